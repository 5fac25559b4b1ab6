//! Dynamic programming: longest common subsequence, edit distance, 0/1 knapsack, longest
//! increasing subsequence, coin change counts and Catalan numbers.

#![no_std]
#![no_main]

extern crate alloc;

use alloc::vec;
use alloc::vec::Vec;

use difftest::XorShift32;
use ox_bare::println;

ox_bare::entry!(main);

fn lcs(a: &[u8], b: &[u8]) -> usize {
    let mut prev = vec![0usize; b.len() + 1];
    let mut cur = vec![0usize; b.len() + 1];
    for &x in a {
        for (j, &y) in b.iter().enumerate() {
            cur[j + 1] = if x == y { prev[j] + 1 } else { prev[j + 1].max(cur[j]) };
        }
        core::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

fn edit_distance(a: &[u8], b: &[u8]) -> usize {
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, &x) in a.iter().enumerate() {
        let mut diag = row[0];
        row[0] = i + 1;
        for (j, &y) in b.iter().enumerate() {
            let up = row[j + 1];
            row[j + 1] = (diag + usize::from(x != y)).min(up + 1).min(row[j] + 1);
            diag = up;
        }
    }
    row[b.len()]
}

fn knapsack(items: &[(usize, u64)], capacity: usize) -> u64 {
    let mut best = vec![0u64; capacity + 1];
    for &(weight, value) in items {
        for c in (weight..=capacity).rev() {
            best[c] = best[c].max(best[c - weight] + value);
        }
    }
    best[capacity]
}

fn lis(values: &[u32]) -> usize {
    let mut tails: Vec<u32> = Vec::new();
    for &v in values {
        match tails.binary_search(&v) {
            Ok(_) => {}
            Err(i) if i == tails.len() => tails.push(v),
            Err(i) => tails[i] = v,
        }
    }
    tails.len()
}

fn main() {
    let mut rng = XorShift32::new(777);
    let a: Vec<u8> = (0..1500).map(|_| b'a' + rng.below(4) as u8).collect();
    let b: Vec<u8> = (0..1500).map(|_| b'a' + rng.below(4) as u8).collect();
    println!("lcs {}", lcs(&a, &b));
    println!("edit distance {}", edit_distance(&a[..800], &b[..700]));
    println!("edit kitten/sitting {}", edit_distance(b"kitten", b"sitting"));
    let items: Vec<(usize, u64)> =
        (0..200).map(|_| (1 + rng.below(50) as usize, u64::from(rng.below(1000)))).collect();
    println!("knapsack {}", knapsack(&items, 1000));
    let seq: Vec<u32> = (0..20_000).map(|_| rng.below(100_000)).collect();
    println!("lis {}", lis(&seq));
    let coins = [1usize, 2, 5, 10, 20, 50, 100, 200];
    let mut ways = vec![0u64; 1001];
    ways[0] = 1;
    for &c in &coins {
        for v in c..=1000 {
            ways[v] += ways[v - c];
        }
    }
    println!("ways to make 200: {} 1000: {}", ways[200], ways[1000]);
    let mut catalan = vec![0u128; 60];
    catalan[0] = 1;
    for n in 1..60 {
        catalan[n] = (0..n).map(|i| catalan[i] * catalan[n - 1 - i]).sum();
    }
    println!("catalan 10 {} 30 {} 59 {}", catalan[10], catalan[30], catalan[59]);
}
