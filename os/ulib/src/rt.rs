//! The runtime: `_start`, the call of the program's `main`, and the panic handler.
//!
//! The kernel enters `_start` with `a0` = argc and `a1` = argv, an array of
//! [`ArgSlice`](ox_abi::ArgSlice) (pointer and length, no NUL) on the stack, and `sp` 16-byte
//! aligned below them (docs/syscalls.md, `exec`).

use alloc::vec::Vec;
use core::arch::global_asm;
use core::panic::PanicInfo;

use ox_abi::{ArgSlice, PANIC_EXIT_CODE};

use crate::{eprintln, sys};

global_asm!(
    r#"
    .section .text.entry, "ax"
    .globl _start
_start:
    call    __ulib_start
1:  j       1b
"#
);

extern "Rust" {
    /// The program's entry, defined by [`entry!`](crate::entry).
    fn __ulib_main(args: &[&str]) -> i32;
}

/// Turns argv into strings, runs `main`, exits with its status.
#[no_mangle]
extern "C" fn __ulib_start(argc: u32, argv: *const ArgSlice) -> ! {
    let args: Vec<&'static str> = (0..argc as usize)
        .map(|i| {
            // Safety: the kernel put argc ArgSlices at argv, each naming bytes on our stack
            // that nothing ever frees or changes.
            let bytes = unsafe {
                let slice = argv.add(i).read();
                core::slice::from_raw_parts(slice.ptr as *const u8, slice.len as usize)
            };
            core::str::from_utf8(bytes).unwrap_or("<not UTF-8>")
        })
        .collect();
    // Safety: `entry!` defines `__ulib_main` with exactly this signature.
    let status = unsafe { __ulib_main(&args) };
    sys::exit(status)
}

/// Declares the program's `main`: `fn main(args: &[&str]) -> i32`, whose result is the exit
/// status.
#[macro_export]
macro_rules! entry {
    ($main:path) => {
        #[no_mangle]
        fn __ulib_main(args: &[&str]) -> i32 {
            $main(args)
        }
    };
}

#[panic_handler]
fn panic(info: &PanicInfo) -> ! {
    match info.location() {
        Some(at) => eprintln!("panic at {}:{}: {}", at.file(), at.line(), info.message()),
        None => eprintln!("panic: {}", info.message()),
    }
    sys::exit(PANIC_EXIT_CODE)
}
