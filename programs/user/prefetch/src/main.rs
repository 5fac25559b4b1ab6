//! `prefetch [on|off]`: the prefetch cache of calls forwarded from satellites
//! (docs/migration.md), for the whole system. On at boot: a forwarded call travels with the
//! buffers it reads and comes back with what it writes, one round trip. Off: only its
//! registers travel, and its stub copies from and to the caller's memory as the call needs it,
//! a round trip per copy (to measure what the cache saves). Only the superuser turns it on or
//! off. Without `on` or `off` it prints the setting.
//!
//! Exit status: 0 on success, 1 if the kernel refused (`prefetch: EPERM`), 2 for a bad
//! command line.

#![no_std]
#![no_main]

use ox_ulib::{eprintln, println, sys};

ox_ulib::entry!(main);

fn main(args: &[&str]) -> i32 {
    let setting = match args {
        [_] => None,
        [_, "on"] => Some(true),
        [_, "off"] => Some(false),
        _ => {
            eprintln!("usage: prefetch [on|off]");
            return 2;
        }
    };
    match sys::prefetch(setting) {
        Ok(old) => {
            if setting.is_none() {
                println!("prefetch cache: {}", if old { "on" } else { "off" });
            }
            0
        }
        Err(e) => {
            eprintln!("prefetch: {}", e.name());
            1
        }
    }
}
