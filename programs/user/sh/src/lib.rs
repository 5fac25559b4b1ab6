//! The logic of `sh` that needs no system calls, in a library of its own so that it builds and
//! is tested on the host too (`cd os && cargo test -p sh`): the grammar ([`parse`]) and the
//! line editing ([`line`]). The shell itself is the binary (`src/main.rs`), which runs only in
//! the guest.
//!
//! Design principles:
//! 1. **No input makes it panic.** Both modules take arbitrary text or bytes and return
//!    values or errors; the tests feed them random input.
//! 2. **`no_std` with `alloc`.** Nothing here knows about Orrery's system calls, so the
//!    guest and the host compile the same code.

#![no_std]

extern crate alloc;
#[cfg(test)]
extern crate std;

pub mod line;
pub mod parse;
