//! `balance [on|off]` and `balance PID [on|off]`: automatic load balancing (docs/migration.md)
//! for the whole system — off at boot; only the superuser turns it on or off — or for one
//! process (whether the balancer may move it; on by default, inherited by children). Without
//! `on` or `off` it prints the setting.
//!
//! Exit status: 0 on success, 1 if the kernel refused (`balance: 12: EPERM`), 2 for a bad
//! command line.

#![no_std]
#![no_main]

use ox_ulib::{eprintln, println, sys};

ox_ulib::entry!(main);

fn main(args: &[&str]) -> i32 {
    let (pid, setting) = match args {
        [_] => (0, None),
        [_, word @ ("on" | "off")] => (0, Some(*word)),
        [_, pid] => match pid.parse::<u32>() {
            Ok(pid) if pid != 0 => (pid, None),
            _ => return usage(),
        },
        [_, pid, word @ ("on" | "off")] => match pid.parse::<u32>() {
            Ok(pid) if pid != 0 => (pid, Some(*word)),
            _ => return usage(),
        },
        _ => return usage(),
    };
    let what = Name((pid != 0).then_some(pid));
    match sys::balance(pid, setting.map(|word| word == "on")) {
        Ok(old) => {
            if setting.is_none() {
                println!("{what}: {}", if old { "on" } else { "off" });
            }
            0
        }
        Err(e) => {
            eprintln!("balance: {what}: {}", e.name());
            1
        }
    }
}

/// The system or a process, as a line names it.
struct Name(Option<u32>);

impl core::fmt::Display for Name {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self.0 {
            None => write!(f, "load balancing"),
            Some(pid) => write!(f, "process {pid}"),
        }
    }
}

fn usage() -> i32 {
    eprintln!("usage: balance [on|off] | balance PID [on|off]");
    2
}
