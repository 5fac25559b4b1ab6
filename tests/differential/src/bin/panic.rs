//! A deliberate panic: the panic handler's message (with location) and exit status 101 must be
//! the same on both machines. Output printed before the panic must come out first.

#![no_std]
#![no_main]

extern crate alloc;

use alloc::vec::Vec;
use core::hint::black_box;

use ox_bare::println;

ox_bare::entry!(main);

fn main() {
    let v: Vec<u32> = (0..10).collect();
    println!("before the panic: {}", v.len());
    let index = black_box(12);
    let value = v.get(index).copied();
    println!("get({index}) = {value:?}");
    let total: u32 = v.iter().sum();
    if black_box(total) == 45 {
        panic!("deliberate panic: total {total}, index {index}");
    }
    println!("not reached");
}
