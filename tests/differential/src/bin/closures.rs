//! Function pointers and closures: arrays of fn pointers, `Box<dyn Fn>` tables built at run
//! time, FnMut state, closures returning closures, and trait objects with vtables.

#![no_std]
#![no_main]

extern crate alloc;

use alloc::boxed::Box;
use alloc::string::String;
use alloc::vec::Vec;
use core::hint::black_box;

use ox_bare::println;

ox_bare::entry!(main);

fn double(x: i64) -> i64 {
    x * 2
}
fn square(x: i64) -> i64 {
    x * x
}
fn negate(x: i64) -> i64 {
    -x
}
fn collatz(x: i64) -> i64 {
    if x % 2 == 0 {
        x / 2
    } else {
        3 * x + 1
    }
}

trait Shape {
    fn area(&self) -> i64;
    fn name(&self) -> String;
}

struct Rect(i64, i64);
struct Square(i64);
struct Tri(i64, i64);

impl Shape for Rect {
    fn area(&self) -> i64 {
        self.0 * self.1
    }
    fn name(&self) -> String {
        alloc::format!("rect {}x{}", self.0, self.1)
    }
}
impl Shape for Square {
    fn area(&self) -> i64 {
        self.0 * self.0
    }
    fn name(&self) -> String {
        alloc::format!("square {}", self.0)
    }
}
impl Shape for Tri {
    fn area(&self) -> i64 {
        self.0 * self.1 / 2
    }
    fn name(&self) -> String {
        alloc::format!("triangle {}/{}", self.0, self.1)
    }
}

fn adder(n: i64) -> impl Fn(i64) -> i64 {
    move |x| x + n
}

fn compose(f: Box<dyn Fn(i64) -> i64>, g: Box<dyn Fn(i64) -> i64>) -> Box<dyn Fn(i64) -> i64> {
    Box::new(move |x| g(f(x)))
}

fn main() {
    let table: [fn(i64) -> i64; 4] = [double, square, negate, collatz];
    let mut x = 7i64;
    for i in 0..40 {
        let f = table[black_box(i * 7 + 3) % 4];
        x = f(x) % 1_000_003;
        if i % 8 == 0 {
            println!("fn table step {i}: {x}");
        }
    }
    let mut dynamic: Vec<Box<dyn Fn(i64) -> i64>> = Vec::new();
    for k in 1..=12i64 {
        match k % 4 {
            0 => dynamic.push(Box::new(move |x| x * k)),
            1 => dynamic.push(Box::new(adder(k * 100))),
            2 => dynamic.push(compose(Box::new(adder(k)), Box::new(move |x| x ^ k))),
            _ => dynamic.push(Box::new(move |x| x - k * k)),
        }
    }
    let results: Vec<i64> = dynamic.iter().map(|f| f(1000)).collect();
    println!("dyn table on 1000: {results:?}");
    let chained = dynamic.iter().fold(1i64, |acc, f| f(acc) % 99_991);
    println!("dyn chain: {chained}");

    let mut counter = 0u32;
    let mut log = String::new();
    let mut tick = |step: u32| {
        counter += step;
        log.push(char::from(b'a' + (counter % 26) as u8));
    };
    for s in 0..30 {
        tick(s);
    }
    println!("FnMut counter {counter} log {log}");

    let shapes: Vec<Box<dyn Shape>> = alloc::vec![
        Box::new(Rect(3, 4)),
        Box::new(Square(5)),
        Box::new(Tri(6, 7)),
        Box::new(Rect(10, 1)),
        Box::new(Square(-2))
    ];
    for shape in &shapes {
        println!("{}: area {}", shape.name(), shape.area());
    }
    let total: i64 = shapes.iter().map(|s| s.area()).sum();
    println!("total area {total}");

    let mut sorted = shapes;
    sorted.sort_by_key(|s| s.area());
    let names: Vec<String> = sorted.iter().map(|s| s.name()).collect();
    println!("by area: {names:?}");

    let make_multipliers = || (1..=5).map(|m| move |v: i64| v * m).collect::<Vec<_>>();
    let ms = make_multipliers();
    println!("multipliers on 11: {:?}", ms.iter().map(|m| m(11)).collect::<Vec<_>>());
    let once: Box<dyn FnOnce() -> String> = Box::new(move || alloc::format!("once {}", names.len()));
    println!("{}", once());
}
