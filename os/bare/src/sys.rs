//! The two system calls a bare-metal program makes, in the Linux RISC-V numbering.
//!
//! Under qemu-riscv32 they go to qemu's Linux emulation; on orrery, to [`crate::trap`]. The
//! convention is Linux's: number in `a7`, arguments in `a0`..`a2`, result in `a0` (negative is
//! `-errno`), every other register preserved.

use core::arch::asm;

/// Linux `write(fd, buf, len)`.
pub const SYS_WRITE: u32 = 64;
/// Linux `exit(code)`.
pub const SYS_EXIT: u32 = 93;
/// Linux `exit_group(code)`: the same thing for a single-threaded program.
pub const SYS_EXIT_GROUP: u32 = 94;

/// Standard output.
pub const STDOUT: u32 = 1;
/// Standard error (the same console on orrery).
pub const STDERR: u32 = 2;

/// Linux's "bad file descriptor" error number.
pub const EBADF: i32 = 9;
/// Linux's "no such system call" error number.
pub const ENOSYS: i32 = 38;

/// Writes `bytes` to `fd`; returns how many were written or `-errno`.
pub fn write(fd: u32, bytes: &[u8]) -> i32 {
    let mut ret = fd as i32;
    // Safety: `write` reads `bytes.len()` bytes from `bytes`, which are valid for reads;
    // it changes no memory and no register but a0.
    unsafe {
        asm!(
            "ecall",
            inlateout("a0") ret,
            in("a1") bytes.as_ptr(),
            in("a2") bytes.len(),
            in("a7") SYS_WRITE,
            options(nostack, readonly, preserves_flags),
        );
    }
    ret
}

/// Writes all of `bytes` to `fd`, retrying short writes; stops at the first error.
pub fn write_all(fd: u32, mut bytes: &[u8]) {
    while !bytes.is_empty() {
        let n = write(fd, bytes);
        if n <= 0 {
            return;
        }
        bytes = &bytes[(n as usize).min(bytes.len())..];
    }
}

/// Ends the program with exit status `code` (its low 8 bits reach the host).
pub fn exit(code: i32) -> ! {
    // Safety: `exit` does not return.
    unsafe {
        asm!("ecall", in("a0") code, in("a7") SYS_EXIT, options(nostack, noreturn));
    }
}
