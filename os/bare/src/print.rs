//! `print!`, `println!`, `eprint!`, `eprintln!`: formatted output through [`crate::sys::write`].
//!
//! Each macro call formats into a small buffer on the stack and issues one `write` per full
//! buffer and one at the end, so a line is usually one system call (a trap on orrery, a host
//! call under qemu) and nothing stays buffered between calls.

use core::fmt::{self, Write};

use crate::sys;

/// Bytes formatted before a `write` is issued.
const BUFFER: usize = 256;

/// Standard output, as a [`fmt::Write`] sink (unbuffered between calls).
pub struct Stdout;

/// Standard error, as a [`fmt::Write`] sink (the same console as stdout on orrery).
pub struct Stderr;

impl Write for Stdout {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        sys::write_all(sys::STDOUT, s.as_bytes());
        Ok(())
    }
}

impl Write for Stderr {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        sys::write_all(sys::STDERR, s.as_bytes());
        Ok(())
    }
}

/// A formatting buffer that flushes to one file descriptor.
struct Buffered {
    fd: u32,
    len: usize,
    bytes: [u8; BUFFER],
}

impl Buffered {
    fn flush(&mut self) {
        sys::write_all(self.fd, &self.bytes[..self.len]);
        self.len = 0;
    }
}

impl Write for Buffered {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let mut rest = s.as_bytes();
        while !rest.is_empty() {
            if self.len == BUFFER {
                self.flush();
            }
            let n = rest.len().min(BUFFER - self.len);
            self.bytes[self.len..self.len + n].copy_from_slice(&rest[..n]);
            self.len += n;
            rest = &rest[n..];
        }
        Ok(())
    }
}

/// Formats `args` to file descriptor `fd`: the body of the print macros.
#[doc(hidden)]
pub fn _print(fd: u32, args: fmt::Arguments) {
    let mut buffer = Buffered { fd, len: 0, bytes: [0; BUFFER] };
    let _ = buffer.write_fmt(args);
    buffer.flush();
}

/// Prints to standard output.
#[macro_export]
macro_rules! print {
    ($($arg:tt)*) => { $crate::print::_print($crate::sys::STDOUT, format_args!($($arg)*)) };
}

/// Prints to standard output, with a newline.
#[macro_export]
macro_rules! println {
    () => { $crate::print!("\n") };
    ($($arg:tt)*) => { $crate::print::_print($crate::sys::STDOUT, format_args!("{}\n", format_args!($($arg)*))) };
}

/// Prints to standard error.
#[macro_export]
macro_rules! eprint {
    ($($arg:tt)*) => { $crate::print::_print($crate::sys::STDERR, format_args!($($arg)*)) };
}

/// Prints to standard error, with a newline.
#[macro_export]
macro_rules! eprintln {
    () => { $crate::eprint!("\n") };
    ($($arg:tt)*) => { $crate::print::_print($crate::sys::STDERR, format_args!("{}\n", format_args!($($arg)*))) };
}
