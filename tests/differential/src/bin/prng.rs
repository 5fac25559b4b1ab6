//! Pseudo-random generators and their statistics: an LCG, xorshift32, xorshift64*, PCG32 and
//! splitmix64, with histograms, means and a chi-square figure in integer arithmetic.

#![no_std]
#![no_main]

use difftest::XorShift32;
use ox_bare::println;

ox_bare::entry!(main);

struct Pcg32 {
    state: u64,
    inc: u64,
}

impl Pcg32 {
    fn next(&mut self) -> u32 {
        let old = self.state;
        self.state = old.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(self.inc | 1);
        let xorshifted = (((old >> 18) ^ old) >> 27) as u32;
        let rot = (old >> 59) as u32;
        xorshifted.rotate_right(rot)
    }
}

fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

fn stats(name: &str, mut next: impl FnMut() -> u32) {
    const N: u32 = 200_000;
    let mut buckets = [0u32; 16];
    let mut sum = 0u64;
    let mut ones = 0u64;
    let mut last = 0;
    for _ in 0..N {
        let v = next();
        buckets[(v >> 28) as usize] += 1;
        sum += u64::from(v);
        ones += u64::from(v.count_ones());
        last = v;
    }
    let expected = N / 16;
    let chi100: u64 = buckets
        .iter()
        .map(|&b| (i64::from(b) - i64::from(expected)).pow(2) as u64 * 100 / u64::from(expected))
        .sum();
    println!(
        "{name}: mean {} bits/word x1000 {} chi2 x100 {chi100} last {last:#010x}",
        sum / u64::from(N),
        ones * 1000 / u64::from(N)
    );
    println!("{name}: buckets {buckets:?}");
}

fn main() {
    let mut lcg = 12345u32;
    stats("lcg", || {
        lcg = lcg.wrapping_mul(1_103_515_245).wrapping_add(12345);
        lcg
    });
    let mut xs = XorShift32::new(2463534242);
    stats("xorshift32", || xs.next_u32());
    let mut x64 = 88172645463325252u64;
    stats("xorshift64*", || {
        x64 ^= x64 >> 12;
        x64 ^= x64 << 25;
        x64 ^= x64 >> 27;
        (x64.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 32) as u32
    });
    let mut pcg = Pcg32 { state: 0x853c_49e6_748f_ea9b, inc: 0xda3e_39cb_94b9_5bdb };
    stats("pcg32", || pcg.next());
    let mut sm = 0u64;
    stats("splitmix64", || (splitmix64(&mut sm) >> 16) as u32);
    let mut pi_hits = 0u32;
    let mut rng = XorShift32::new(1);
    for _ in 0..100_000 {
        let x = u64::from(rng.next_u32() >> 16);
        let y = u64::from(rng.next_u32() >> 16);
        if x * x + y * y < 65536 * 65536 {
            pi_hits += 1;
        }
    }
    println!("monte carlo pi x 10^5 = {}", u64::from(pi_hits) * 4);
}
