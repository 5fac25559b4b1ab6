//! Backtracking: N-queens for N = 1..=10 with bitmasks (8 has 92 solutions), the first
//! solution of 8 drawn, and a permutation generator.

#![no_std]
#![no_main]

use ox_bare::{print, println};

ox_bare::entry!(main);

fn solve(n: u32, row: u32, cols: u32, d1: u32, d2: u32) -> u32 {
    if row == n {
        return 1;
    }
    let mut count = 0;
    let mut free = !(cols | d1 | d2) & ((1 << n) - 1);
    while free != 0 {
        let bit = free & free.wrapping_neg();
        free &= free - 1;
        count += solve(n, row + 1, cols | bit, (d1 | bit) << 1, (d2 | bit) >> 1);
    }
    count
}

fn first(n: usize, row: usize, placed: &mut [usize; 8]) -> bool {
    if row == n {
        return true;
    }
    for c in 0..n {
        let ok = (0..row).all(|r| placed[r] != c && placed[r].abs_diff(c) != row - r);
        if ok {
            placed[row] = c;
            if first(n, row + 1, placed) {
                return true;
            }
        }
    }
    false
}

fn permutations(items: &mut [u8], k: usize, count: &mut u32, digest: &mut u32) {
    if k == items.len() {
        *count += 1;
        for &i in items.iter() {
            *digest = digest.wrapping_mul(31).wrapping_add(u32::from(i));
        }
        return;
    }
    for i in k..items.len() {
        items.swap(k, i);
        permutations(items, k + 1, count, digest);
        items.swap(k, i);
    }
}

fn main() {
    for n in 1..=10 {
        println!("queens({n}) = {}", solve(n, 0, 0, 0, 0));
    }
    let mut placed = [0usize; 8];
    if first(8, 0, &mut placed) {
        for &c in &placed {
            for x in 0..8 {
                print!("{}", if x == c { 'Q' } else { '.' });
            }
            println!();
        }
    }
    let mut items = [1u8, 2, 3, 4, 5, 6, 7, 8];
    let (mut count, mut digest) = (0, 0);
    permutations(&mut items, 0, &mut count, &mut digest);
    println!("permutations of 8: {count} digest {digest:#010x}");
}
