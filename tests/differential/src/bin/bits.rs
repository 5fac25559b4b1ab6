//! Bit manipulation: popcount, leading/trailing zeros, reverse_bits, swap_bytes, Gray code,
//! bit-sliced counting, a bitboard knight-move generator and a Morton encoder.

#![no_std]
#![no_main]

use core::hint::black_box;

use difftest::XorShift32;
use ox_bare::println;

ox_bare::entry!(main);

fn knight_attacks(sq: u32) -> u64 {
    let b = 1u64 << sq;
    let not_a = 0xfefe_fefe_fefe_fefeu64;
    let not_ab = 0xfcfc_fcfc_fcfc_fcfcu64;
    let not_h = 0x7f7f_7f7f_7f7f_7f7fu64;
    let not_gh = 0x3f3f_3f3f_3f3f_3f3fu64;
    ((b << 17) & not_a)
        | ((b << 15) & not_h)
        | ((b << 10) & not_ab)
        | ((b << 6) & not_gh)
        | ((b >> 17) & not_h)
        | ((b >> 15) & not_a)
        | ((b >> 10) & not_gh)
        | ((b >> 6) & not_ab)
}

fn morton(x: u16, y: u16) -> u32 {
    fn spread(v: u16) -> u32 {
        let mut v = u32::from(v);
        v = (v | (v << 8)) & 0x00ff_00ff;
        v = (v | (v << 4)) & 0x0f0f_0f0f;
        v = (v | (v << 2)) & 0x3333_3333;
        (v | (v << 1)) & 0x5555_5555
    }
    spread(x) | (spread(y) << 1)
}

fn main() {
    let mut rng = XorShift32::new(4242);
    for _ in 0..12 {
        let v = black_box(rng.next_u32());
        println!(
            "{v:#010x}: ones {} lz {} tz {} rev {:#010x} swap {:#010x} gray {:#010x} ungray ok {} next_pow2 {:?} ilog2 {:?}",
            v.count_ones(),
            v.leading_zeros(),
            v.trailing_zeros(),
            v.reverse_bits(),
            v.swap_bytes(),
            v ^ (v >> 1),
            {
                let mut g = v ^ (v >> 1);
                let mut shift = 1;
                while shift < 32 {
                    g ^= g >> shift;
                    shift <<= 1;
                }
                g == v
            },
            v.checked_next_power_of_two(),
            v.checked_ilog2()
        );
    }
    let wide = black_box(0x0123_4567_89ab_cdefu64);
    println!(
        "u64 ones {} lz {} tz {} rev {:#018x} swap {:#018x}",
        wide.count_ones(),
        wide.leading_zeros(),
        wide.trailing_zeros(),
        wide.reverse_bits(),
        wide.swap_bytes()
    );
    println!(
        "u16 rev {:#06x} u8 rev {:#04x} i16 swap {}",
        0x1234u16.reverse_bits(),
        0x12u8.reverse_bits(),
        (-2i16).swap_bytes()
    );
    let mut total = 0u64;
    for sq in 0..64 {
        total += u64::from(knight_attacks(sq).count_ones());
    }
    println!("knight moves on an empty board: {total}; from b1 {:#018x}", knight_attacks(1));
    let mut subsets = 0u32;
    let mask = 0b1011_0110u32;
    let mut sub = mask;
    loop {
        subsets += 1;
        if sub == 0 {
            break;
        }
        sub = (sub - 1) & mask;
    }
    println!("subsets of {mask:#b}: {subsets}");
    println!(
        "morton(3, 5) {} morton(65535, 0) {:#x} morton(1234, 4321) {:#x}",
        morton(3, 5),
        morton(65535, 0),
        morton(1234, 4321)
    );
    let mut histogram = [0u32; 33];
    for i in 0..100_000u32 {
        histogram[i.wrapping_mul(0x9e37_79b9).count_ones() as usize] += 1;
    }
    println!("popcount histogram {:?}", &histogram[8..25]);
}
