//! Floating point in software: the target has no F/D instructions, so every f32/f64 operation
//! is a compiler-builtins call. Arithmetic, conversions, comparisons, special values, rounding
//! and formatting (shortest round-trip, fixed precision, exponent).

#![no_std]
#![no_main]

use core::hint::black_box;

use ox_bare::println;

ox_bare::entry!(main);

fn sqrt(x: f64) -> f64 {
    if x <= 0.0 {
        return 0.0;
    }
    let mut g = x;
    for _ in 0..60 {
        g = 0.5 * (g + x / g);
    }
    g
}

fn exp(x: f64) -> f64 {
    let mut term = 1.0;
    let mut sum = 1.0;
    for n in 1..60 {
        term *= x / f64::from(n);
        sum += term;
    }
    sum
}

fn main() {
    let values = [
        0.0f64,
        -0.0,
        1.0,
        -1.5,
        0.1,
        1e-310,
        2.5e300,
        f64::MAX,
        f64::MIN_POSITIVE,
        f64::EPSILON,
        3.141592653589793,
    ];
    for &a in &values {
        for &b in &values[..6] {
            let (a, b) = (black_box(a), black_box(b));
            println!(
                "{a:e} {b:e}: + {:e} - {:e} * {:e} / {:e} < {} == {}",
                a + b,
                a - b,
                a * b,
                a / b,
                a < b,
                a == b
            );
        }
    }
    let specials = [f64::NAN, f64::INFINITY, f64::NEG_INFINITY, -0.0];
    for &s in &specials {
        let s = black_box(s);
        println!(
            "{s}: nan {} inf {} sign {} +1 {} *0 {} as i32 {} as u8 {} bits {:#018x}",
            s.is_nan(),
            s.is_infinite(),
            s.is_sign_negative(),
            s + 1.0,
            s * 0.0,
            s as i32,
            s as u8,
            s.to_bits()
        );
    }
    for &x in &[0.5f64, 1.5, 2.5, -0.5, -2.5, 1e10, -1e10, 4294967295.7, 1e19, -3.99] {
        let x = black_box(x);
        println!(
            "{x}: as i32 {} as u32 {} as i64 {} as u64 {} as f32 {} round {}",
            x as i32,
            x as u32,
            x as i64,
            x as u64,
            x as f32,
            x.round_ties_even_int()
        );
    }
    for &n in &[0i64, 1, -1, i64::MAX, i64::MIN, 9007199254740993, 123456789] {
        let n = black_box(n);
        println!("{n}: as f64 {} as f32 {} u64 as f64 {}", n as f64, n as f32, n as u64 as f64);
    }
    let mut sum = 0.0f64;
    let mut harmonic = 0.0f32;
    for i in 1..=20_000 {
        sum += 1.0 / (f64::from(i) * f64::from(i));
        harmonic += 1.0 / i as f32;
    }
    println!("basel sum {sum:.15} pi from it {:.12}", sqrt(sum * 6.0));
    println!("harmonic f32 {harmonic} sqrt2 {} e {:.15}", sqrt(2.0), exp(1.0));
    println!(
        "formats {:.0} {:.3} {:10.4} {:<12.2e} {:+} {:?} {:?}",
        2.5f64,
        -1.0005f64,
        3.14159f64,
        123456.789f64,
        7.0f64,
        1.0f64 / 3.0,
        0.1f32 + 0.2f32
    );
    println!(
        "min/max {} {} clamp {} copysign {} abs {}",
        1.0f64.min(f64::NAN),
        (-0.0f64).max(0.0),
        5.5f64.clamp(-1.0, 2.0),
        3.0f64.copysign(-0.0),
        (-2.25f64).abs()
    );
    let f32s = [1.0f32 / 3.0, 16777217.0, 1e-45, 3.4e38, -0.0];
    for &f in &f32s {
        println!("f32 {f} {f:e} {:?} bits {:#010x} to f64 {}", f * 2.0, f.to_bits(), f64::from(f));
    }
}

/// Rounds half to even, into an i64, without libm.
trait RoundTiesEven {
    fn round_ties_even_int(self) -> i64;
}

impl RoundTiesEven for f64 {
    fn round_ties_even_int(self) -> i64 {
        let t = self as i64;
        let frac = self - t as f64;
        if frac > 0.5 || (frac == 0.5 && t % 2 != 0) {
            t + 1
        } else if frac < -0.5 || (frac == -0.5 && t % 2 != 0) {
            t - 1
        } else {
            t
        }
    }
}
