//! Console output: [`print!`](crate::print), [`println!`](crate::println) and
//! [`eprintln!`](crate::eprintln). Each call formats into one buffer and issues one `write`.

use alloc::string::String;
use core::fmt::{self, Write};

use ox_abi::{STDERR, STDOUT};

use crate::sys;

/// Formats `args` and writes them to `fd` in one system call.
pub fn write_fmt(fd: u32, args: fmt::Arguments) {
    let mut text = String::new();
    let _ = text.write_fmt(args);
    let _ = sys::write(fd, text.as_bytes());
}

/// Writes to standard output.
pub fn print(args: fmt::Arguments) {
    write_fmt(STDOUT, args);
}

/// Writes to standard error.
pub fn eprint(args: fmt::Arguments) {
    write_fmt(STDERR, args);
}

/// Prints to standard output.
#[macro_export]
macro_rules! print {
    ($($arg:tt)*) => { $crate::io::print(format_args!($($arg)*)) };
}

/// Prints a line to standard output.
#[macro_export]
macro_rules! println {
    () => { $crate::io::print(format_args!("\n")) };
    ($($arg:tt)*) => { $crate::io::print(format_args!("{}\n", format_args!($($arg)*))) };
}

/// Prints a line to standard error.
#[macro_export]
macro_rules! eprintln {
    ($($arg:tt)*) => { $crate::io::eprint(format_args!("{}\n", format_args!($($arg)*))) };
}
