//! `core::fmt`: width, fill, alignment, precision, sign, alternate forms, radixes, exponents,
//! `{:?}` and `{:#?}` of nested types, and `Display` implementations of our own.

#![no_std]
#![no_main]

extern crate alloc;

use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::vec;
use core::fmt;

use ox_bare::println;

ox_bare::entry!(main);

#[derive(Debug, Clone)]
#[allow(dead_code)]
struct Point {
    x: i32,
    y: i32,
    label: Option<&'static str>,
}

#[derive(Debug)]
#[allow(dead_code)]
enum Shape {
    Circle { center: Point, radius: u16 },
    Poly(alloc::vec::Vec<Point>),
    Empty,
}

struct Money(i64);

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let text =
            alloc::format!("{sign}${}.{:02}", self.0.unsigned_abs() / 100, self.0.unsigned_abs() % 100);
        f.pad(&text)
    }
}

fn main() {
    println!("[{:5}] [{:<5}] [{:^5}] [{:>5}] [{:05}] [{:+}] [{:+05}]", 42, 42, 42, 42, 42, 42, -42);
    println!("[{:*^9}] [{:->7}] [{:_<6}] [{:#x}] [{:#X}] [{:#o}] [{:#b}]", "mid", 7, 'c', 255, 255, 8, 5);
    println!("[{:#010x}] [{:08b}] [{:x}] [{:X}] [{:o}]", 0xbeef, 0x5a, -1i32, u64::MAX, i8::MIN);
    println!("[{:e}] [{:E}] [{:.2e}] [{:e}] [{:e}]", 1234.5f64, 0.00012f64, 9.999f64, 0.0f64, 1u64 << 40);
    println!(
        "[{:.3}] [{:10.3}] [{:<10.1}] [{:+.0}] [{:.*}] [{:w$.p$}]",
        3.14159f64,
        -2.5f64,
        9.96f64,
        2.5f64,
        4,
        1.0f64 / 7.0,
        100.0f64 / 3.0,
        w = 12,
        p = 5
    );
    println!("[{:.3}] [{:8.2}] [{:>8}] [{:^10.4}]", "truncate", "ab", "right", "centered-ish");
    let width = 15;
    println!("[{:>width$}] [{:^width$?}] [{0:?}]", "named", Some(3));
    let p = Point { x: -3, y: 7, label: Some("origin-ish") };
    println!("{p:?}");
    println!("{p:#?}");
    let shapes = vec![
        Shape::Circle { center: p.clone(), radius: 5 },
        Shape::Poly(vec![Point { x: 0, y: 0, label: None }, Point { x: 1, y: 2, label: Some("b") }]),
        Shape::Empty,
    ];
    println!("{shapes:?}");
    println!("{:#?}", shapes[1]);
    let mut map = BTreeMap::new();
    map.insert("k1", (1, 'a', 2.5f32));
    map.insert("k0", (0, 'z', -0.0f32));
    println!("{map:?}");
    println!("{:?} {:?} {:?} {:?}", "quote\"d\n", '\'', (), [Some(1u8), None]);
    for cents in [0i64, 5, 199, -1050, 123_456_789] {
        println!("[{:>14}] [{:<14}] [{}]", Money(cents), Money(cents), Money(cents));
    }
    let mut s = String::new();
    fmt::write(&mut s, format_args!("{}-{:?}-{:3}", 1, "two", 3)).ok();
    println!("{s} {}", s.len());
    println!("{:?} {:?} {:?}", u128::MAX, i128::MIN, (i64::MIN, u32::MAX, i16::MIN));
    println!("{:?} {:?} {:?} {:?}", 1.0f64, 0.1f64 + 0.2f64, 1e21f64, 1.5e-7f64);
    println!("{} {} {} {}", f64::MAX, f64::MIN_POSITIVE, 5e-324f64, 123456789012345680000.0f64);
}
