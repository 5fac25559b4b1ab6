//! The sieve of Eratosthenes to four million, a segmented sieve, prime gaps and twin primes,
//! and trial division cross-checks.

#![no_std]
#![no_main]

extern crate alloc;

use alloc::vec;
use alloc::vec::Vec;

use ox_bare::println;

ox_bare::entry!(main);

fn sieve(limit: usize) -> Vec<bool> {
    let mut composite = vec![false; limit + 1];
    composite[0] = true;
    composite[1] = true;
    let mut p = 2;
    while p * p <= limit {
        if !composite[p] {
            let mut m = p * p;
            while m <= limit {
                composite[m] = true;
                m += p;
            }
        }
        p += 1;
    }
    composite
}

fn is_prime(n: u64) -> bool {
    if n < 2 {
        return false;
    }
    let mut d = 2;
    while d * d <= n {
        if n % d == 0 {
            return false;
        }
        d += 1;
    }
    true
}

fn main() {
    const LIMIT: usize = 4_000_000;
    let composite = sieve(LIMIT);
    let primes: Vec<u32> = (0..=LIMIT).filter(|&n| !composite[n]).map(|n| n as u32).collect();
    println!("primes below {LIMIT}: {}", primes.len());
    println!("last five {:?}", &primes[primes.len() - 5..]);
    let sum: u64 = primes.iter().map(|&p| u64::from(p)).sum();
    println!("sum {sum}");
    let (gap, at) = primes.windows(2).map(|w| (w[1] - w[0], w[0])).max().unwrap_or((0, 0));
    println!("largest gap {gap} after {at}");
    let twins = primes.windows(2).filter(|w| w[1] - w[0] == 2).count();
    println!("twin pairs {twins}");
    for k in [1u32, 10, 100, 1000, 10_000, 100_000, 280_000] {
        let p = primes[(k - 1) as usize];
        println!("prime #{k} = {p} trial-division agrees {}", is_prime(u64::from(p)));
    }
    let base = 1_000_000_000u64;
    let mut segment = vec![true; 100_000];
    for &p in primes.iter().take_while(|&&p| u64::from(p) * u64::from(p) < base + 100_000) {
        let p = u64::from(p);
        let mut m = base.div_ceil(p) * p;
        while m < base + 100_000 {
            segment[(m - base) as usize] = false;
            m += p;
        }
    }
    let seg_primes: Vec<u64> = (0..100_000).filter(|&i| segment[i]).map(|i| base + i as u64).collect();
    println!("primes in [1e9, 1e9+1e5): {} first {:?}", seg_primes.len(), &seg_primes[..3]);
    println!("trial check {}", seg_primes.iter().take(20).all(|&p| is_prime(p)));
}
