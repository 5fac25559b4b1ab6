//! `hello`: greets, naming its pid, its parent and its arguments.

#![no_std]
#![no_main]

use ox_ulib::{println, sys};

ox_ulib::entry!(main);

fn main(args: &[&str]) -> i32 {
    println!("hello, world! I am pid {}, child of {}; args {:?}", sys::getpid(), sys::getppid(), args);
    0
}
