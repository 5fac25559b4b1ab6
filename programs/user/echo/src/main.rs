//! `echo [-n] [WORD...]`: prints its arguments separated by spaces, then a newline (none with
//! `-n`), in one write.

#![no_std]
#![no_main]

extern crate alloc;

use alloc::string::String;

use ox_ulib::abi::STDOUT;
use ox_ulib::sys;

ox_ulib::entry!(main);

fn main(args: &[&str]) -> i32 {
    let (newline, words) = match args.get(1) {
        Some(&"-n") => (false, &args[2..]),
        _ => (true, args.get(1..).unwrap_or(&[])),
    };
    let mut line = String::new();
    for (i, word) in words.iter().enumerate() {
        if i > 0 {
            line.push(' ');
        }
        line.push_str(word);
    }
    if newline {
        line.push('\n');
    }
    match sys::write_all(STDOUT, line.as_bytes()) {
        Ok(()) => 0,
        Err(_) => 1,
    }
}
