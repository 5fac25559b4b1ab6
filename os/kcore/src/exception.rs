//! Trap causes (docs/isa.md §9.4) and what a trap in kernel mode means: a kernel bug, which
//! panics with everything known about it.

use ox32::trap::Exception;
use ox_abi::Signal;

use crate::arch::{self, cr, TrapFrame};

pub use ox32::trap::INTERRUPT_BIT as INTERRUPT;

/// Exception codes (docs/isa.md §9.4): `ox32::trap::Exception`'s, as the `u32`s `cause` holds,
/// for `match`ing on it.
pub mod code {
    use ox32::trap::Exception;

    /// Fetch from a misaligned pc.
    pub const FETCH_MISALIGNED: u32 = Exception::FetchMisaligned as u32;
    /// Fetch from a hole or a device.
    pub const FETCH_ACCESS: u32 = Exception::FetchAccess as u32;
    /// Fetch through a missing or non-executable page.
    pub const FETCH_PAGE_FAULT: u32 = Exception::FetchPageFault as u32;
    /// An undefined instruction word.
    pub const ILLEGAL_INSTRUCTION: u32 = Exception::IllegalInstruction as u32;
    /// A kernel-only instruction in user mode.
    pub const PRIVILEGED_INSTRUCTION: u32 = Exception::PrivilegedInstruction as u32;
    /// `break`.
    pub const BREAK: u32 = Exception::Break as u32;
    /// `syscall`.
    pub const SYSCALL: u32 = Exception::Syscall as u32;
    /// Misaligned load.
    pub const LOAD_MISALIGNED: u32 = Exception::LoadMisaligned as u32;
    /// Load from a hole or a register that does not allow it.
    pub const LOAD_ACCESS: u32 = Exception::LoadAccess as u32;
    /// Load through a missing or unreadable page.
    pub const LOAD_PAGE_FAULT: u32 = Exception::LoadPageFault as u32;
    /// Misaligned store.
    pub const STORE_MISALIGNED: u32 = Exception::StoreMisaligned as u32;
    /// Store to a hole, the ROM or a register that does not allow it.
    pub const STORE_ACCESS: u32 = Exception::StoreAccess as u32;
    /// Store through a missing or read-only page.
    pub const STORE_PAGE_FAULT: u32 = Exception::StorePageFault as u32;
}

/// The name docs/isa.md gives an exception code.
pub fn name(cause: u32) -> &'static str {
    Exception::from_code(cause).map_or("unknown exception", Exception::name)
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

/// The address a fault's handler is told (`a1`): the faulting address for a memory fault
/// (`badaddr`), the instruction's address (`pc`) for an illegal instruction or a `break`.
pub fn fault_address(cause: u32, badaddr: u32, pc: u32) -> u32 {
    match cause {
        code::ILLEGAL_INSTRUCTION | code::PRIVILEGED_INSTRUCTION | code::BREAK => pc,
        _ => badaddr,
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
