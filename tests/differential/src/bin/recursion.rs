//! Deep recursion: Ackermann, a recursion 10 000 frames deep with a sizeable frame, mutual
//! recursion, and recursive tree building and folding.

#![no_std]
#![no_main]

extern crate alloc;

use alloc::boxed::Box;
use core::hint::black_box;

use ox_bare::println;

ox_bare::entry!(main);

fn ackermann(m: u32, n: u32) -> u32 {
    match (m, n) {
        (0, n) => n + 1,
        (m, 0) => ackermann(m - 1, 1),
        (m, n) => ackermann(m - 1, ackermann(m, n - 1)),
    }
}

#[inline(never)]
fn deep(depth: u32, acc: u64) -> u64 {
    let frame = black_box([depth as u64; 12]);
    if depth == 0 {
        return acc;
    }
    let below = deep(depth - 1, acc.wrapping_mul(31).wrapping_add(u64::from(depth)));
    below ^ frame[(depth % 12) as usize].rotate_left(depth % 64)
}

fn is_even(n: u32) -> bool {
    if n == 0 {
        true
    } else {
        is_odd(black_box(n - 1))
    }
}

fn is_odd(n: u32) -> bool {
    if n == 0 {
        false
    } else {
        is_even(black_box(n - 1))
    }
}

enum Tree {
    Leaf(u32),
    Node(Box<Tree>, Box<Tree>),
}

fn build(depth: u32, seed: u32) -> Tree {
    if depth == 0 {
        Tree::Leaf(seed % 1000)
    } else {
        Tree::Node(
            Box::new(build(depth - 1, seed.wrapping_mul(3) + 1)),
            Box::new(build(depth - 1, seed ^ 0x55)),
        )
    }
}

fn fold(tree: &Tree) -> (u64, u32) {
    match tree {
        Tree::Leaf(v) => (u64::from(*v), 1),
        Tree::Node(l, r) => {
            let (a, x) = fold(l);
            let (b, y) = fold(r);
            (a * 3 + b, x.max(y) + 1)
        }
    }
}

fn fib(n: u32) -> u64 {
    if n < 2 {
        u64::from(n)
    } else {
        fib(n - 1) + fib(n - 2)
    }
}

fn main() {
    for m in 0..=3 {
        for n in 0..=4 {
            println!("ackermann({m}, {n}) = {}", ackermann(m, n));
        }
    }
    println!("ackermann(3, 7) = {}", ackermann(black_box(3), black_box(7)));
    for depth in [10, 1000, 10_000] {
        println!("deep({depth}) = {:#018x}", deep(black_box(depth), 1));
    }
    println!("is_even(9999) = {} is_odd(7777) = {}", is_even(9999), is_odd(7777));
    let tree = build(14, 1);
    let (value, height) = fold(&tree);
    println!("tree value {value} height {height}");
    println!("fib(27) = {}", fib(black_box(27)));
}
