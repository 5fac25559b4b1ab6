//! Integer edge cases: wrapping, checked, saturating and overflowing arithmetic at every width,
//! shifts by every amount, 64-bit arithmetic on a 32-bit machine, u128 multiply and divide.

#![no_std]
#![no_main]

use core::hint::black_box;

use ox_bare::println;

ox_bare::entry!(main);

fn main() {
    let i8s = [i8::MIN, -1, 0, 1, i8::MAX];
    for &a in &i8s {
        for &b in &i8s {
            println!(
                "i8 {a} {b}: w+ {} w- {} w* {} c/ {:?} c% {:?} s+ {} s- {} s* {} o+ {:?}",
                a.wrapping_add(b),
                a.wrapping_sub(b),
                a.wrapping_mul(b),
                a.checked_div(b),
                a.checked_rem(b),
                a.saturating_add(b),
                a.saturating_sub(b),
                a.saturating_mul(b),
                a.overflowing_add(b)
            );
        }
    }
    let u16s = [0u16, 1, 0x7fff, 0x8000, u16::MAX];
    for &a in &u16s {
        for &b in &u16s {
            println!(
                "u16 {a} {b}: w+ {} w- {} w* {} c/ {:?} s- {} abs_diff {} o* {:?}",
                a.wrapping_add(b),
                a.wrapping_sub(b),
                a.wrapping_mul(b),
                a.checked_div(b),
                a.saturating_sub(b),
                a.abs_diff(b),
                a.overflowing_mul(b)
            );
        }
    }
    let i32s = [i32::MIN, i32::MIN + 1, -65536, -7, -1, 0, 1, 7, 65535, i32::MAX - 1, i32::MAX];
    for &a in &i32s {
        for &b in &i32s {
            let a = black_box(a);
            let b = black_box(b);
            println!(
                "i32 {a} {b}: w+ {} w- {} w* {} c* {:?} c/ {:?} c% {:?} e/ {:?} e% {:?} s* {} cmp {:?} min {} max {}",
                a.wrapping_add(b),
                a.wrapping_sub(b),
                a.wrapping_mul(b),
                a.checked_mul(b),
                a.checked_div(b),
                a.checked_rem(b),
                a.checked_div_euclid(b),
                a.checked_rem_euclid(b),
                a.saturating_mul(b),
                a.cmp(&b),
                a.min(b),
                a.max(b)
            );
        }
        println!(
            "i32 {a}: abs {:?} neg {:?} signum {} lz {} tz {} ones {} pow3 {:?} isqrt {:?}",
            a.checked_abs(),
            a.checked_neg(),
            a.signum(),
            a.leading_zeros(),
            a.trailing_zeros(),
            a.count_ones(),
            a.checked_pow(3),
            (a >= 0).then(|| a.isqrt())
        );
    }
    let word = black_box(0x8123_4567u32);
    for s in 0..32 {
        let s = black_box(s);
        println!(
            "shift {s}: shl {:#010x} shr {:#010x} sar {:#010x} rotl {:#010x} rotr {:#010x} wshl {:#x}",
            word << s,
            word >> s,
            (word as i32) >> s,
            word.rotate_left(s),
            word.rotate_right(s),
            word.wrapping_shl(s + 32)
        );
    }
    let big = black_box(0x8123_4567_89ab_cdefu64);
    for s in [0u32, 1, 7, 31, 32, 33, 40, 63] {
        let s = black_box(s);
        println!(
            "shift64 {s}: shl {:#018x} shr {:#018x} sar {:#018x}",
            big << s,
            big >> s,
            (big as i64) >> s
        );
    }
    let i64s = [i64::MIN, -0x1_0000_0001, -1, 0, 1, 0xffff_ffff, 0x1_0000_0000, i64::MAX];
    for &a in &i64s {
        for &b in &i64s {
            let (a, b) = (black_box(a), black_box(b));
            println!(
                "i64 {a} {b}: w+ {} w- {} w* {} c/ {:?} c% {:?} s+ {} lt {}",
                a.wrapping_add(b),
                a.wrapping_sub(b),
                a.wrapping_mul(b),
                a.checked_div(b),
                a.checked_rem(b),
                a.saturating_add(b),
                a < b
            );
        }
    }
    let u128s = [0u128, 1, u64::MAX as u128, 0xdead_beef_0123_4567_89ab_cdef_0f1e_2d3c, u128::MAX];
    for &a in &u128s {
        for &b in &u128s {
            let (a, b) = (black_box(a), black_box(b));
            println!(
                "u128 {a:#x} {b:#x}: w* {:#x} c/ {:?} c% {:?} w+ {:#x}",
                a.wrapping_mul(b),
                a.checked_div(b),
                a.checked_rem(b),
                a.wrapping_add(b)
            );
        }
    }
    let mut f: u128 = 1;
    for n in 1..=34u32 {
        f *= u128::from(n);
        println!("{n}! = {f}");
    }
    println!("i128 min {} / 7 = {} rem {}", i128::MIN, i128::MIN / 7, i128::MIN % 7);
}
