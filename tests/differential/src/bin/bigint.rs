//! Arbitrary-precision arithmetic with u32 limbs and u64 intermediates: 500!, 2^4000,
//! Fibonacci(3000), and decimal conversion by repeated division.

#![no_std]
#![no_main]

extern crate alloc;

use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;

use difftest::fnv1a;
use ox_bare::println;

ox_bare::entry!(main);

#[derive(Clone, PartialEq)]
struct Big(Vec<u32>);

impl Big {
    fn from(n: u32) -> Big {
        Big(vec![n])
    }

    fn mul_small(&mut self, m: u32) {
        let mut carry = 0u64;
        for limb in self.0.iter_mut() {
            let v = u64::from(*limb) * u64::from(m) + carry;
            *limb = v as u32;
            carry = v >> 32;
        }
        if carry > 0 {
            self.0.push(carry as u32);
        }
    }

    fn add(&self, other: &Big) -> Big {
        let mut out = Vec::with_capacity(self.0.len().max(other.0.len()) + 1);
        let mut carry = 0u64;
        for i in 0..self.0.len().max(other.0.len()) {
            let v =
                u64::from(*self.0.get(i).unwrap_or(&0)) + u64::from(*other.0.get(i).unwrap_or(&0)) + carry;
            out.push(v as u32);
            carry = v >> 32;
        }
        if carry > 0 {
            out.push(carry as u32);
        }
        Big(out)
    }

    fn mul(&self, other: &Big) -> Big {
        let mut out = vec![0u32; self.0.len() + other.0.len()];
        for (i, &a) in self.0.iter().enumerate() {
            let mut carry = 0u64;
            for (j, &b) in other.0.iter().enumerate() {
                let v = u64::from(a) * u64::from(b) + u64::from(out[i + j]) + carry;
                out[i + j] = v as u32;
                carry = v >> 32;
            }
            out[i + other.0.len()] = carry as u32;
        }
        while out.len() > 1 && out[out.len() - 1] == 0 {
            out.pop();
        }
        Big(out)
    }

    fn div_small(&mut self, d: u32) -> u32 {
        let mut rem = 0u64;
        for limb in self.0.iter_mut().rev() {
            let v = (rem << 32) | u64::from(*limb);
            *limb = (v / u64::from(d)) as u32;
            rem = v % u64::from(d);
        }
        while self.0.len() > 1 && self.0[self.0.len() - 1] == 0 {
            self.0.pop();
        }
        rem as u32
    }

    fn is_zero(&self) -> bool {
        self.0.iter().all(|&l| l == 0)
    }

    fn to_decimal(&self) -> String {
        let mut n = self.clone();
        let mut chunks = Vec::new();
        while !n.is_zero() {
            chunks.push(n.div_small(1_000_000_000));
        }
        let mut s = String::new();
        for (i, c) in chunks.iter().rev().enumerate() {
            if i == 0 {
                s.push_str(&alloc::format!("{c}"));
            } else {
                s.push_str(&alloc::format!("{c:09}"));
            }
        }
        if s.is_empty() {
            s.push('0');
        }
        s
    }
}

fn show(name: &str, n: &Big) {
    let d = n.to_decimal();
    println!(
        "{name}: {} digits, starts {}, ends {}, digest {:#010x}",
        d.len(),
        &d[..20.min(d.len())],
        &d[d.len().saturating_sub(20)..],
        fnv1a(d.as_bytes())
    );
}

fn main() {
    let mut f = Big::from(1);
    for i in 2..=500 {
        f.mul_small(i);
    }
    show("500!", &f);
    let mut p = Big::from(2);
    let mut result = Big::from(1);
    let mut e = 4000u32;
    while e > 0 {
        if e & 1 == 1 {
            result = result.mul(&p);
        }
        p = p.mul(&p);
        e >>= 1;
    }
    show("2^4000", &result);
    let (mut a, mut b) = (Big::from(0), Big::from(1));
    for _ in 0..3000 {
        let c = a.add(&b);
        a = b;
        b = c;
    }
    show("fib(3000)", &a);
    let square = f.mul(&f);
    show("(500!)^2", &square);
    let mut check = square.clone();
    for i in (2..=500).rev() {
        let r = check.div_small(i);
        if r != 0 {
            println!("remainder {r} at {i}");
        }
    }
    println!("(500!)^2 / 500! == 500!: {}", check == f);
}
