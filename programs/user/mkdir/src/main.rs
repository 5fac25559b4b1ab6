//! `mkdir DIR...`: creates each directory.

#![no_std]
#![no_main]

use ox_ulib::{eprintln, sys};

ox_ulib::entry!(main);

fn main(args: &[&str]) -> i32 {
    if args.len() < 2 {
        eprintln!("usage: mkdir DIR...");
        return 2;
    }
    let mut status = 0;
    for path in &args[1..] {
        if let Err(e) = sys::mkdir(path) {
            eprintln!("mkdir: {path}: {}", e.name());
            status = 1;
        }
    }
    status
}
