//! How a program ends: its main function's result, [`exit`], a panic.

use core::fmt::{Debug, Write};
use core::panic::PanicInfo;

use crate::print::Stderr;
use crate::sys;

/// Exit status of a panic (as for a Rust program on Linux).
pub const PANIC_EXIT_CODE: i32 = 101;
/// Exit status after an unexpected trap on orrery (a fault, an illegal instruction, `ebreak`).
pub const TRAP_EXIT_CODE: i32 = 0x7f;

/// Ends the program with exit status `code`; output already printed is complete (printing is
/// unbuffered between calls).
pub fn exit(code: i32) -> ! {
    crate::start::check_stack();
    sys::exit(code)
}

/// What a main function may return: its exit status.
pub trait Termination {
    /// The exit status this value stands for.
    fn report(self) -> i32;
}

impl Termination for () {
    fn report(self) -> i32 {
        0
    }
}

impl Termination for i32 {
    fn report(self) -> i32 {
        self
    }
}

impl<E: Debug> Termination for Result<(), E> {
    fn report(self) -> i32 {
        match self {
            Ok(()) => 0,
            Err(e) => {
                let _ = writeln!(Stderr, "Error: {e:?}");
                1
            }
        }
    }
}

#[panic_handler]
fn panic(info: &PanicInfo) -> ! {
    let mut err = Stderr;
    match info.location() {
        Some(location) => {
            let (file, line, column) = (location.file(), location.line(), location.column());
            let _ = write!(err, "panicked at {file}:{line}:{column}:\n{}\n", info.message());
        }
        None => {
            let _ = writeln!(err, "panicked:\n{}", info.message());
        }
    }
    exit(PANIC_EXIT_CODE)
}
