//! The bare-metal shim: orrery's trap handler, installed by `_start` only on orrery.
//!
//! It runs in kernel mode on the program's own stack (there is no mode switch: the program
//! itself runs in kernel mode with paging off). The entry saves every caller-saved register,
//! so an `ecall` preserves everything but `a0`, as under Linux. System calls:
//!
//! | a7 | call | on orrery |
//! |---|---|---|
//! | 64 | `write(fd, buf, len)` | fd 1 and 2: each byte to the UART's `DATA`; returns `len`. Other fds: `-EBADF` |
//! | 93, 94 | `exit(code)`, `exit_group(code)` | writes `code` to the power device's `EXIT`: the node stops |
//! | other | — | returns `-ENOSYS` |
//!
//! Any other trap (a fault, an illegal instruction, `ebreak`, an interrupt) is reported on the
//! console with `cause`, `epc` and `badaddr`, and the program exits with
//! [`crate::TRAP_EXIT_CODE`].

use core::arch::{asm, global_asm};
use core::fmt::{self, Write};

use crate::sys;

/// The UART's transmit register (`docs/devices.md`).
const UART_DATA: *mut u32 = 0x1000_0000 as *mut u32;
/// The power device's exit register.
const POWER_EXIT: *mut u32 = 0x1000_3000 as *mut u32;

/// Exception code of `syscall` (RV `ecall`), `docs/isa.md` §9.4.
const CAUSE_SYSCALL: u32 = 7;

global_asm!(
    r#"
    .section .text.ox_bare_trap, "ax"
    .balign 4
    .globl __ox_bare_trap_entry
__ox_bare_trap_entry:
    addi    sp, sp, -64
    sw      ra, 0(sp)
    sw      t0, 4(sp)
    sw      t1, 8(sp)
    sw      t2, 12(sp)
    sw      a0, 16(sp)
    sw      a1, 20(sp)
    sw      a2, 24(sp)
    sw      a3, 28(sp)
    sw      a4, 32(sp)
    sw      a5, 36(sp)
    sw      a6, 40(sp)
    sw      a7, 44(sp)
    sw      t3, 48(sp)
    sw      t4, 52(sp)
    sw      t5, 56(sp)
    sw      t6, 60(sp)
    mv      a0, sp
    call    __ox_bare_trap
    lw      ra, 0(sp)
    lw      t0, 4(sp)
    lw      t1, 8(sp)
    lw      t2, 12(sp)
    lw      a0, 16(sp)
    lw      a1, 20(sp)
    lw      a2, 24(sp)
    lw      a3, 28(sp)
    lw      a4, 32(sp)
    lw      a5, 36(sp)
    lw      a6, 40(sp)
    lw      a7, 44(sp)
    lw      t3, 48(sp)
    lw      t4, 52(sp)
    lw      t5, 56(sp)
    lw      t6, 60(sp)
    addi    sp, sp, 64
    sret
"#
);

/// The registers the entry saved, in its order; the handler may change them.
#[repr(C)]
pub struct TrapFrame {
    /// `ra`.
    pub ra: u32,
    /// `t0`..`t2`.
    pub t0_2: [u32; 3],
    /// `a0`..`a7`: the system call's arguments, number and result.
    pub a: [u32; 8],
    /// `t3`..`t6`.
    pub t3_6: [u32; 4],
}

/// Reads control register `$n` (an ox32 number, `docs/isa.md` §9.1).
macro_rules! cr_read {
    ($n:literal) => {{
        let value: u32;
        // Safety: reading a kernel control register has no side effect; this code runs only
        // in kernel mode on orrery.
        unsafe {
            asm!(
                ".option push", ".option arch, +zicsr", concat!("csrr {0}, ", $n), ".option pop",
                out(reg) value, options(nomem, nostack),
            );
        }
        value
    }};
}

/// Writes control register `$n`.
macro_rules! cr_write {
    ($n:literal, $value:expr) => {{
        let value: u32 = $value;
        // Safety: only `epc` is written, to the instruction after the `ecall` being answered.
        unsafe {
            asm!(
                ".option push", ".option arch, +zicsr", concat!("csrw ", $n, ", {0}"), ".option pop",
                in(reg) value, options(nomem, nostack),
            );
        }
    }};
}

/// The console, written directly (the handler cannot make system calls).
struct Uart;

impl Write for Uart {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        for byte in s.bytes() {
            uart_put(byte);
        }
        Ok(())
    }
}

fn uart_put(byte: u8) {
    // Safety: the UART's DATA register accepts any aligned word store; it only transmits.
    unsafe { UART_DATA.write_volatile(byte as u32) };
}

fn power_off(code: u32) -> ! {
    // Safety: writing EXIT powers the node off; nothing runs after it.
    unsafe { POWER_EXIT.write_volatile(code) };
    loop {
        core::hint::spin_loop();
    }
}

/// Called by the entry with the saved registers.
#[no_mangle]
extern "C" fn __ox_bare_trap(frame: &mut TrapFrame) {
    let cause = cr_read!("0x003");
    let epc = cr_read!("0x002");
    if cause != CAUSE_SYSCALL {
        let badaddr = cr_read!("0x004");
        let _ = write!(
            Uart,
            "\nox-bare: unexpected trap: cause {cause:#x} ({}), epc {epc:#010x}, badaddr {badaddr:#010x}\n",
            cause_name(cause)
        );
        power_off(crate::TRAP_EXIT_CODE as u32);
    }
    let [a0, a1, a2, ..] = frame.a;
    frame.a[0] = match frame.a[7] {
        sys::SYS_WRITE => write(a0, a1, a2) as u32,
        sys::SYS_EXIT | sys::SYS_EXIT_GROUP => {
            crate::start::check_stack();
            power_off(a0)
        }
        _ => (-sys::ENOSYS) as u32,
    };
    cr_write!("0x002", epc.wrapping_add(4));
}

/// `write(fd, buf, len)` on the console.
fn write(fd: u32, buf: u32, len: u32) -> i32 {
    if fd != sys::STDOUT && fd != sys::STDERR {
        return -sys::EBADF;
    }
    for i in 0..len {
        // Safety: paging is off and the program passed a buffer of its own; a bad pointer
        // faults inside the handler, which the handler then reports like any other trap.
        let byte = unsafe { (buf.wrapping_add(i) as *const u8).read_volatile() };
        uart_put(byte);
    }
    len as i32
}

/// The name of an exception code (`docs/isa.md` §9.4), or "interrupt".
fn cause_name(cause: u32) -> &'static str {
    if cause & 0x8000_0000 != 0 {
        return "interrupt";
    }
    match cause {
        1 => "fetch-misaligned",
        2 => "fetch-access",
        3 => "fetch-page-fault",
        4 => "illegal-instruction",
        5 => "privileged-instruction",
        6 => "break",
        8 => "load-misaligned",
        9 => "load-access",
        10 => "load-page-fault",
        11 => "store-misaligned",
        12 => "store-access",
        13 => "store-page-fault",
        _ => "unknown",
    }
}
