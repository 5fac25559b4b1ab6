//! Matrix arithmetic: integer 96x96 multiply, transpose and power by squaring modulo a prime,
//! f64 multiply and Gaussian elimination (determinant), printed with fixed precision.

#![no_std]
#![no_main]

extern crate alloc;

use alloc::vec;
use alloc::vec::Vec;

use difftest::XorShift32;
use ox_bare::println;

ox_bare::entry!(main);

const N: usize = 96;
const P: u64 = 1_000_000_007;

fn mul_mod(a: &[u64], b: &[u64], n: usize) -> Vec<u64> {
    let mut c = vec![0u64; n * n];
    for i in 0..n {
        for k in 0..n {
            let aik = a[i * n + k];
            for j in 0..n {
                c[i * n + j] = (c[i * n + j] + aik * b[k * n + j]) % P;
            }
        }
    }
    c
}

fn determinant(mut m: Vec<f64>, n: usize) -> f64 {
    let mut det = 1.0;
    for col in 0..n {
        let mut pivot = col;
        for row in col + 1..n {
            if abs(m[row * n + col]) > abs(m[pivot * n + col]) {
                pivot = row;
            }
        }
        if m[pivot * n + col] == 0.0 {
            return 0.0;
        }
        if pivot != col {
            for j in 0..n {
                m.swap(pivot * n + j, col * n + j);
            }
            det = -det;
        }
        let d = m[col * n + col];
        det *= d;
        for row in col + 1..n {
            let f = m[row * n + col] / d;
            for j in col..n {
                m[row * n + j] -= f * m[col * n + j];
            }
        }
    }
    det
}

fn abs(x: f64) -> f64 {
    if x < 0.0 {
        -x
    } else {
        x
    }
}

fn main() {
    let mut rng = XorShift32::new(314159);
    let a: Vec<u64> = (0..N * N).map(|_| u64::from(rng.below(1000))).collect();
    let b: Vec<u64> = (0..N * N).map(|_| u64::from(rng.below(1000))).collect();
    let c = mul_mod(&a, &b, N);
    let trace: u64 = (0..N).map(|i| c[i * N + i]).sum();
    println!("int product trace {trace} corner {} {}", c[0], c[N * N - 1]);
    let mut t = vec![0u64; N * N];
    for i in 0..N {
        for j in 0..N {
            t[j * N + i] = c[i * N + j];
        }
    }
    println!("transpose check {}", (0..N).all(|i| t[i * N + 3] == c[3 * N + i]));
    let mut fib = vec![1u64, 1, 1, 0];
    let mut result = vec![1u64, 0, 0, 1];
    let mut e = 1_000_000u64;
    while e > 0 {
        if e & 1 == 1 {
            result = mul_mod(&result, &fib, 2);
        }
        fib = mul_mod(&fib, &fib, 2);
        e >>= 1;
    }
    println!("fib(10^6) mod p = {}", result[1]);

    let n = 24;
    let m: Vec<f64> = (0..n * n).map(|_| f64::from(rng.below(2001) as i32 - 1000) / 100.0).collect();
    let x: Vec<f64> = (0..n * n).map(|i| if i % (n + 1) == 0 { 2.0 } else { 0.25 }).collect();
    let mut prod = vec![0.0f64; n * n];
    for i in 0..n {
        for k in 0..n {
            for j in 0..n {
                prod[i * n + j] += m[i * n + k] * x[k * n + j];
            }
        }
    }
    println!(
        "float product [0][0] {:.6} [5][7] {:.6} sum {:.4}",
        prod[0],
        prod[5 * n + 7],
        prod.iter().sum::<f64>()
    );
    println!("det(m) = {:.6e}", determinant(m, n));
    println!("det(x) = {:.9}", determinant(x, n));
    let hilbert: Vec<f64> = (0..64).map(|k| 1.0 / ((k / 8 + k % 8 + 1) as f64)).collect();
    println!("det(hilbert 8) = {:e}", determinant(hilbert, 8));
}
