//! `kill PID [SIGNAL]`: sends `SIGNAL` (default `SIGTERM`) to process `PID`. The signal is a
//! number (`9`) or a name with or without `SIG`, in any case (`KILL`, `sigkill`), optionally
//! after a `-` (`-9`, `-KILL`). What the target does with it is its own affair (docs/syscalls.md,
//! *Signals*).
//!
//! Exit status: 0 if the signal was sent, 1 if the kernel refused it, 2 for a bad command line.

#![no_std]
#![no_main]

extern crate alloc;

use alloc::string::String;
use core::fmt::Write;

use ox_ulib::abi::Signal;
use ox_ulib::{eprintln, sys};

ox_ulib::entry!(main);

fn main(args: &[&str]) -> i32 {
    let (pid, signal) = match args {
        [_, pid] => (pid, None),
        [_, pid, signal] => (pid, Some(signal)),
        _ => {
            eprintln!("usage: kill PID [SIGNAL]");
            return 2;
        }
    };
    let Some(pid_number) = pid.parse::<u32>().ok().filter(|p| *p != 0) else {
        eprintln!("kill: {pid}: not a process id");
        return 2;
    };
    let signal = match signal {
        None => Signal::Term,
        Some(text) => match parse_signal(text) {
            Some(signal) => signal,
            None => {
                eprintln!("kill: {text}: unknown signal (one of {})", signal_names());
                return 2;
            }
        },
    };
    match sys::kill(pid_number, signal) {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("kill: {pid}: {}", e.name());
            1
        }
    }
}

/// The signal `text` names: a number or a name, with or without `-` and `SIG`.
fn parse_signal(text: &str) -> Option<Signal> {
    let text = text.strip_prefix('-').unwrap_or(text);
    if let Ok(number) = text.parse::<u32>() {
        return Signal::from_number(number);
    }
    Signal::ALL.into_iter().find(|signal| {
        let name = signal.name();
        name.eq_ignore_ascii_case(text)
            || name.strip_prefix("SIG").is_some_and(|n| n.eq_ignore_ascii_case(text))
    })
}

/// The signals kill knows, for its error message: `SIGILL 4, SIGTRAP 5, ...`.
fn signal_names() -> String {
    let mut names = String::new();
    for (i, signal) in Signal::ALL.into_iter().enumerate() {
        if i > 0 {
            names.push_str(", ");
        }
        let _ = write!(names, "{} {}", signal.name(), signal as u32);
    }
    names
}
