//! Multiply and divide corners: MIN / -1, division by zero through checked_div, the signs of
//! remainders, mulh/mulhu/mulhsu patterns, and division by constants (strength-reduced).

#![no_std]
#![no_main]

use core::hint::black_box;

use ox_bare::println;

ox_bare::entry!(main);

fn mulh(a: i32, b: i32) -> i32 {
    ((i64::from(a) * i64::from(b)) >> 32) as i32
}

fn mulhu(a: u32, b: u32) -> u32 {
    ((u64::from(a) * u64::from(b)) >> 32) as u32
}

fn mulhsu(a: i32, b: u32) -> i32 {
    ((i64::from(a) * i64::from(b)) >> 32) as i32
}

fn main() {
    let min = black_box(i32::MIN);
    let m1 = black_box(-1i32);
    println!(
        "MIN / -1: wrapping {} checked {:?} overflowing {:?}",
        min.wrapping_div(m1),
        min.checked_div(m1),
        min.overflowing_div(m1)
    );
    println!("MIN % -1: wrapping {} checked {:?}", min.wrapping_rem(m1), min.checked_rem(m1));
    let zero = black_box(0i32);
    println!(
        "x / 0: {:?} {:?} {:?}",
        7i32.checked_div(zero),
        7u32.checked_div(zero as u32),
        (-7i32).checked_rem(zero)
    );
    let values = [i32::MIN, -1_000_000_007, -13, -7, -1, 0, 1, 3, 7, 13, 1_000_000_007, i32::MAX];
    for &a in &values {
        for &b in &values {
            let (a, b) = (black_box(a), black_box(b));
            if b != 0 && !(a == i32::MIN && b == -1) {
                println!(
                    "{a} / {b} = {} r {}; euclid {} r {}; u {} r {}",
                    a / b,
                    a % b,
                    a.div_euclid(b),
                    a.rem_euclid(b),
                    (a as u32) / (b as u32),
                    (a as u32) % (b as u32)
                );
            }
            println!(
                "mul {a} {b}: lo {} h {} hu {} hsu {} wide {}",
                a.wrapping_mul(b),
                mulh(a, b),
                mulhu(a as u32, b as u32),
                mulhsu(a, b as u32),
                i64::from(a) * i64::from(b)
            );
        }
    }
    let mut acc = 0u32;
    for i in 0..20_000u32 {
        let x = black_box(i.wrapping_mul(2_654_435_761));
        acc = acc
            .wrapping_add(x / 3)
            .wrapping_add(x % 7)
            .wrapping_add(x / 10)
            .wrapping_add(x / 1_000_000_007)
            .wrapping_add(((x as i32) / -5) as u32)
            .wrapping_add(((x as i32) % 9) as u32);
    }
    println!("constant divisions checksum {acc:#010x}");
    let mut acc64 = 0u64;
    for i in 0..5_000u64 {
        let x = black_box(i.wrapping_mul(0x9e37_79b9_7f4a_7c15));
        let d = black_box((i % 97) + 1);
        acc64 = acc64
            .wrapping_add(x / d)
            .wrapping_add(x % d)
            .wrapping_add(((x as i64) / (d as i64 - 50).max(1)) as u64);
    }
    println!("64-bit divisions checksum {acc64:#018x}");
}
