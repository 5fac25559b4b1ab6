//! Jump tables: a dense `match` on every u8 value, enum dispatch, a match on ranges and a
//! state machine; rustc turns these into tables of addresses in .rodata that the translated
//! code must still jump through.

#![no_std]
#![no_main]

use core::hint::black_box;

use difftest::XorShift32;
use ox_bare::println;

ox_bare::entry!(main);

fn classify(b: u8) -> u32 {
    match b {
        0 => 17,
        1 => 3,
        2 => 99,
        3 => 1000,
        4 => 5,
        5 => 8,
        6 => 13,
        7 => 21,
        8 => 34,
        9 => 55,
        10 => 89,
        11 => 144,
        12 => 233,
        13 => 377,
        14 => 610,
        15 => 987,
        16..=31 => u32::from(b) * 3,
        32 => 7,
        33 => 70,
        34 => 700,
        35 => 7000,
        36 => 11,
        37 => 111,
        38 => 1111,
        39 => 11111,
        40..=63 => u32::from(b) ^ 0x55,
        64 | 66 | 68 | 70 => 1,
        65 | 67 | 69 | 71 => 2,
        72..=127 => u32::from(b).pow(2),
        128 => 12,
        129 => 24,
        130 => 48,
        131 => 96,
        132 => 192,
        133 => 384,
        134 => 768,
        135 => 1536,
        136..=200 => 200 - u32::from(b),
        201 => 4,
        202 => 44,
        203 => 444,
        204 => 4444,
        _ => u32::from(b) << 4,
    }
}

#[derive(Clone, Copy, Debug)]
enum Op {
    Add(i32),
    Sub(i32),
    Mul(i32),
    Neg,
    Shl(u8),
    Xor(i32),
    Clamp(i32, i32),
    Nop,
    Square,
    Halve,
}

fn apply(op: Op, x: i32) -> i32 {
    match op {
        Op::Add(v) => x.wrapping_add(v),
        Op::Sub(v) => x.wrapping_sub(v),
        Op::Mul(v) => x.wrapping_mul(v),
        Op::Neg => x.wrapping_neg(),
        Op::Shl(s) => x.wrapping_shl(u32::from(s)),
        Op::Xor(v) => x ^ v,
        Op::Clamp(lo, hi) => x.clamp(lo, hi),
        Op::Nop => x,
        Op::Square => x.wrapping_mul(x),
        Op::Halve => x / 2,
    }
}

fn op_of(n: u32) -> Op {
    match n % 10 {
        0 => Op::Add(n as i32),
        1 => Op::Sub(n as i32 / 3),
        2 => Op::Mul(3),
        3 => Op::Neg,
        4 => Op::Shl((n % 7) as u8),
        5 => Op::Xor(0x5a5a),
        6 => Op::Clamp(-100_000, 100_000),
        7 => Op::Nop,
        8 => Op::Square,
        _ => Op::Halve,
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum State {
    Start,
    Ident,
    Number,
    Space,
    Punct,
}

fn main() {
    let mut sum = 0u64;
    for b in 0..=255u8 {
        let v = classify(black_box(b));
        sum += u64::from(v);
        if b % 32 == 0 {
            println!("classify({b}) = {v}");
        }
    }
    println!("classify sum {sum}");
    let mut rng = XorShift32::new(7);
    let mut x = 1i32;
    let mut counts = [0u32; 10];
    for _ in 0..50_000 {
        let n = rng.next_u32();
        counts[(n % 10) as usize] += 1;
        x = apply(op_of(n), x);
    }
    println!("enum dispatch x = {x}, counts {counts:?}, last op {:?}", op_of(rng.next_u32()));
    let text = b"let x1 = 42 + foo_bar(7, y2); // done 99 times!";
    let mut state = State::Start;
    let mut transitions = 0;
    for &c in text.iter() {
        let next = match (state, c) {
            (_, b' ') => State::Space,
            (State::Ident, b'a'..=b'z' | b'_' | b'0'..=b'9') => State::Ident,
            (_, b'a'..=b'z' | b'_') => State::Ident,
            (State::Number, b'0'..=b'9') => State::Number,
            (_, b'0'..=b'9') => State::Number,
            _ => State::Punct,
        };
        if next != state {
            transitions += 1;
        }
        state = next;
    }
    println!("state machine: {transitions} transitions, ends in {state:?}");
}
