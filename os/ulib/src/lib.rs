//! The user library of Orrery programs.
//!
//! Design principles:
//! 1. **The ABI comes from `ox_abi`.** Every wrapper in [`sys`] names its call by
//!    [`ox_abi::Syscall`] and decodes errors into [`ox_abi::Errno`]; nothing here invents a
//!    number.
//! 2. **A program is a `main`.** `_start` ([`rt`]) receives `argc`/`argv` from the kernel,
//!    turns them into `&[&str]`, calls the program's `main` (declared with [`entry!`]) and exits
//!    with what it returns. A panic prints its message and exits with status 101.
//! 3. **Output in lines.** [`print!`]/[`println!`] format into a buffer and issue one `write`,
//!    so lines of concurrent processes do not interleave mid-line.
//!
//! A program: a `no_std`, `no_main` binary depending on this crate, with
//! `ox_ulib::entry!(main)` and a `build.rs` that links with this crate's `user.ld`:
//!
//! ```text
//! println!("cargo:rustc-link-arg=-T{}/../../../os/ulib/user.ld", env!("CARGO_MANIFEST_DIR"));
//! ```

#![no_std]

extern crate alloc;
// Linked for its `memcpy` and `memset`, which replace compiler_builtins'.
use ox_mem as _;

pub mod counter;
pub mod dsm;
pub mod heap;
pub mod io;
pub mod mapfile;
pub mod port;
pub mod rt;
pub mod signal;
pub mod suite;
pub mod sys;
pub mod vm;

pub use ox_abi as abi;
