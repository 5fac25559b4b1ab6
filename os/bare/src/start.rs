//! Program startup: `_start`, the stack, and the call of the program's main function.
//!
//! `_start` (in `.text.start`, the first bytes of the image) decides which machine it is on
//! by `sp`: qemu-user starts a process with `sp` pointing at its argument block, orrery's direct
//! boot starts with `sp` = 0. On orrery it installs the trap handler in `tvec` (control
//! register 0x001). On both it then moves `sp` to `__stack_top` (the image's own stack, from
//! `link.x`) and calls [`__ox_bare_start`], which runs `main` and exits with its status.
//!
//! Invariant: after `_start`, both machines run the same code on the same memory layout; the
//! only difference is who answers `ecall`.

use core::arch::global_asm;
use core::sync::atomic::{AtomicBool, Ordering};

use crate::print::Stderr;

global_asm!(
    r#"
    .section .text.start, "ax"
    .globl _start
    .type _start, @function
_start:
    bnez    sp, 1f
    la      t0, __ox_bare_trap_entry
    .option push
    .option arch, +zicsr
    csrw    0x001, t0
    .option pop
    li      a0, 1
    j       2f
1:
    li      a0, 0
2:
    la      sp, __stack_top
    call    __ox_bare_start
    unimp
    .size _start, . - _start
"#
);

/// Written at the lowest word of the stack at startup and checked at exit: a program that
/// overflowed its stack has overwritten it.
const STACK_CANARY: u32 = 0x57ac_c0de;

static ON_ORRERY: AtomicBool = AtomicBool::new(false);

extern "C" {
    static mut __stack_bottom: u32;
}

extern "Rust" {
    /// The program's main function, defined by [`crate::entry!`].
    fn __ox_bare_main() -> i32;
}

/// Whether the program runs on orrery (translated) rather than under qemu-riscv32. A program
/// whose output depends on this will fail the differential suite: use it for diagnostics only.
pub fn on_orrery() -> bool {
    ON_ORRERY.load(Ordering::Relaxed)
}

/// Called by `_start` on the image's stack; `orrery` is 1 when there is no host kernel.
#[no_mangle]
extern "C" fn __ox_bare_start(orrery: u32) -> ! {
    ON_ORRERY.store(orrery != 0, Ordering::Relaxed);
    // Safety: `__stack_bottom` is the lowest word of the stack region of `link.x`, far below
    // the frames in use now.
    unsafe { core::ptr::addr_of_mut!(__stack_bottom).write_volatile(STACK_CANARY) };
    // Safety: `entry!` defines `__ox_bare_main` with this signature; a program without it
    // does not link.
    let code = unsafe { __ox_bare_main() };
    crate::exit(code)
}

/// Checks the stack canary; a program that overran its stack is told so and exits with
/// [`crate::TRAP_EXIT_CODE`] instead of its own status.
pub fn check_stack() {
    // Safety: see `__ox_bare_start`; the word is only read.
    let canary = unsafe { core::ptr::addr_of!(__stack_bottom).read_volatile() };
    if canary != STACK_CANARY {
        use core::fmt::Write;
        let _ =
            writeln!(Stderr, "ox-bare: stack overflow (the canary at the stack's bottom was overwritten)");
        crate::sys::exit(crate::TRAP_EXIT_CODE);
    }
}

/// Names the program's main function: `ox_bare::entry!(main);` with `fn main()`,
/// `fn main() -> i32` or `fn main() -> Result<(), E>` (any [`crate::Termination`]).
#[macro_export]
macro_rules! entry {
    ($main:path) => {
        #[no_mangle]
        extern "Rust" fn __ox_bare_main() -> i32 {
            $crate::Termination::report($main())
        }
    };
}
