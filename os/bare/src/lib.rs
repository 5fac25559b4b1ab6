//! `ox-bare`: the runtime of bare-metal programs that run unchanged on two machines.
//!
//! A program is built once for `riscv32ima-unknown-none-elf` and linked with `link.x`. The same
//! RV32 executable then runs
//! - under `qemu-riscv32` (Linux user mode), whose kernel is the "Linux-syscall shim", and
//! - translated by `rv2ox`, on `orrery run`, where [`trap`]'s handler is the "bare-metal shim".
//!
//! Design principles:
//! 1. **One I/O path.** The program does all I/O with Linux-style `ecall`s ([`sys`]): `write`
//!    (a7 = 64) and `exit` (a7 = 93). qemu answers them itself; on orrery the trap handler
//!    answers them with the UART and the power device. Nothing else differs between machines,
//!    so a differing transcript is a bug in the translator or the emulator, not in the program.
//! 2. **Tell the machines apart once, at `_start`.** qemu-user starts a process with a valid
//!    `sp`; orrery's direct boot starts with every register but `a0`/`a1` zero. Only on orrery
//!    does `_start` install the trap handler ([`start`]).
//! 3. **Same memory on both.** The stack and the heap are regions of the image ([`heap`],
//!    `link.x`), not whatever the machine provides, so a program allocates and recurses the
//!    same way on both.
//! 4. **Failures are reported, not hidden.** A panic prints its message and location and exits
//!    101 ([`exit::PANIC_EXIT_CODE`]); on orrery any trap other than `ecall` prints its cause,
//!    `epc` and `badaddr` and exits 0x7f ([`exit::TRAP_EXIT_CODE`]).
//!
//! A program: `#![no_std] #![no_main]`, depend on `ox-bare`, call [`entry!`] with its main
//! function, and have a `build.rs` that passes the linker script (see `docs/bare-metal.md`).

#![no_std]

extern crate alloc;

pub mod c;
pub mod exit;
pub mod heap;
pub mod print;
pub mod start;
pub mod sys;
pub mod trap;

pub use exit::{exit, Termination, PANIC_EXIT_CODE, TRAP_EXIT_CODE};
pub use print::{Stderr, Stdout};
