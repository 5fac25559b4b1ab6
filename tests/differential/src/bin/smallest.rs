//! The smallest program: prints a line, allocates, and exits 3. (Not named `hello`: the guest
//! workspace shares one target directory, where `programs/user/hello` already builds a `hello`.)

#![no_std]
#![no_main]

extern crate alloc;

use alloc::vec::Vec;
use ox_bare::println;

ox_bare::entry!(main);

fn main() -> i32 {
    let v: Vec<u32> = (1..=10).collect();
    println!("hello from ox-bare: sum {}", v.iter().sum::<u32>());
    3
}
