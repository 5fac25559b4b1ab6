//! Trap causes (docs/isa.md §9.4) and what a trap in kernel mode means: a kernel bug, which
//! panics with everything known about it.

use ox_abi::Signal;

use crate::arch::{self, cr, TrapFrame};

/// `cause` bit 31: an interrupt; the low bits are then the line.
pub const INTERRUPT: u32 = 1 << 31;

/// Exception codes (docs/isa.md §9.4).
pub mod code {
    /// Fetch from a misaligned pc.
    pub const FETCH_MISALIGNED: u32 = 1;
    /// Fetch from a hole or a device.
    pub const FETCH_ACCESS: u32 = 2;
    /// Fetch through a missing or non-executable page.
    pub const FETCH_PAGE_FAULT: u32 = 3;
    /// An undefined instruction word.
    pub const ILLEGAL_INSTRUCTION: u32 = 4;
    /// A kernel-only instruction in user mode.
    pub const PRIVILEGED_INSTRUCTION: u32 = 5;
    /// `break`.
    pub const BREAK: u32 = 6;
    /// `syscall`.
    pub const SYSCALL: u32 = 7;
    /// Misaligned load.
    pub const LOAD_MISALIGNED: u32 = 8;
    /// Load from a hole or a register that does not allow it.
    pub const LOAD_ACCESS: u32 = 9;
    /// Load through a missing or unreadable page.
    pub const LOAD_PAGE_FAULT: u32 = 10;
    /// Misaligned store.
    pub const STORE_MISALIGNED: u32 = 11;
    /// Store to a hole, the ROM or a register that does not allow it.
    pub const STORE_ACCESS: u32 = 12;
    /// Store through a missing or read-only page.
    pub const STORE_PAGE_FAULT: u32 = 13;
}

/// The name docs/isa.md gives an exception code.
pub fn name(cause: u32) -> &'static str {
    match cause {
        code::FETCH_MISALIGNED => "fetch-misaligned",
        code::FETCH_ACCESS => "fetch-access",
        code::FETCH_PAGE_FAULT => "fetch-page-fault",
        code::ILLEGAL_INSTRUCTION => "illegal-instruction",
        code::PRIVILEGED_INSTRUCTION => "privileged-instruction",
        code::BREAK => "break",
        code::SYSCALL => "syscall",
        code::LOAD_MISALIGNED => "load-misaligned",
        code::LOAD_ACCESS => "load-access",
        code::LOAD_PAGE_FAULT => "load-page-fault",
        code::STORE_MISALIGNED => "store-misaligned",
        code::STORE_ACCESS => "store-access",
        code::STORE_PAGE_FAULT => "store-page-fault",
        _ => "unknown exception",
    }
}

/// The signal a fault with exception code `cause` sends the process (docs/syscalls.md,
/// *Faults*).
pub fn signal(cause: u32) -> Signal {
    match cause {
        code::ILLEGAL_INSTRUCTION | code::PRIVILEGED_INSTRUCTION => Signal::Ill,
        code::BREAK => Signal::Trap,
        code::FETCH_MISALIGNED | code::LOAD_MISALIGNED | code::STORE_MISALIGNED => Signal::Bus,
        _ => Signal::Segv,
    }
}

/// A trap in kernel mode (from `trap_vector`): always a kernel bug.
#[no_mangle]
extern "C" fn kernel_trap(frame: &TrapFrame) -> ! {
    let cause = arch::read_cr::<{ cr::CAUSE }>();
    let badaddr = arch::read_cr::<{ cr::BADADDR }>();
    if cause & INTERRUPT != 0 {
        panic!("interrupt {} in kernel mode, pc {:#010x}", cause & !INTERRUPT, frame.epc);
    }
    panic!(
        "{} in kernel mode at {badaddr:#010x}, pc {:#010x}, ra {:#010x}, sp {:#010x}",
        name(cause),
        frame.epc,
        frame.regs[1],
        frame.regs[2]
    );
}
