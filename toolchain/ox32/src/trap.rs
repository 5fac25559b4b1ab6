//! Trap causes, as stored in the `cause` control register.
//!
//! Bit 31 of `cause` is set for an interrupt, and the low bits then hold the interrupt line
//! (see [`crate::memmap`] for the lines). For an exception bit 31 is clear and the low bits hold
//! one of the [`Exception`] codes. When one instruction could raise several exceptions, the one
//! earliest in execution wins: fetch (misaligned, page fault, access fault), then decoding
//! (illegal, privileged), then execution (break, syscall, then the memory access: misaligned,
//! page fault, access fault).

use alloc::format;
use alloc::string::{String, ToString};
use core::fmt;

/// `cause` bit 31: the trap is an interrupt.
pub const INTERRUPT_BIT: u32 = 1 << 31;

/// A synchronous exception.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u32)]
pub enum Exception {
    /// The PC is not a multiple of four (raised by the jump or branch that set it; `badaddr` is
    /// the target).
    FetchMisaligned = 1,
    /// Instruction fetch from an address with no memory (or from a device).
    FetchAccess = 2,
    /// Instruction fetch failed translation or lacked execute permission.
    FetchPageFault = 3,
    /// The word is not an instruction (`badaddr` holds the word).
    IllegalInstruction = 4,
    /// A kernel-mode instruction in user mode (`badaddr` holds the word).
    PrivilegedInstruction = 5,
    /// `break`.
    Break = 6,
    /// `syscall`.
    Syscall = 7,
    /// A load from an address that is not a multiple of its size.
    LoadMisaligned = 8,
    /// A load from an address with no memory or device, or a device register that refused it.
    LoadAccess = 9,
    /// A load that failed translation or lacked read permission.
    LoadPageFault = 10,
    /// A store (or atomic) to an address that is not a multiple of its size.
    StoreMisaligned = 11,
    /// A store (or atomic) to an address with no memory, to ROM, or to a device register that
    /// refused it.
    StoreAccess = 12,
    /// A store (or atomic) that failed translation or lacked write permission.
    StorePageFault = 13,
}

impl Exception {
    /// Every exception, in code order.
    pub const ALL: [Exception; 13] = [
        Exception::FetchMisaligned,
        Exception::FetchAccess,
        Exception::FetchPageFault,
        Exception::IllegalInstruction,
        Exception::PrivilegedInstruction,
        Exception::Break,
        Exception::Syscall,
        Exception::LoadMisaligned,
        Exception::LoadAccess,
        Exception::LoadPageFault,
        Exception::StoreMisaligned,
        Exception::StoreAccess,
        Exception::StorePageFault,
    ];

    /// The exception with `cause` code `code`.
    pub fn from_code(code: u32) -> Option<Exception> {
        Exception::ALL.into_iter().find(|e| *e as u32 == code)
    }

    /// A short lower-case name (`load-page-fault`), used by traces and the monitor.
    pub fn name(self) -> &'static str {
        match self {
            Exception::FetchMisaligned => "fetch-misaligned",
            Exception::FetchAccess => "fetch-access",
            Exception::FetchPageFault => "fetch-page-fault",
            Exception::IllegalInstruction => "illegal-instruction",
            Exception::PrivilegedInstruction => "privileged-instruction",
            Exception::Break => "break",
            Exception::Syscall => "syscall",
            Exception::LoadMisaligned => "load-misaligned",
            Exception::LoadAccess => "load-access",
            Exception::LoadPageFault => "load-page-fault",
            Exception::StoreMisaligned => "store-misaligned",
            Exception::StoreAccess => "store-access",
            Exception::StorePageFault => "store-page-fault",
        }
    }
}

impl fmt::Display for Exception {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Describes a raw `cause` value: an exception name, `interrupt N`, or `unknown`.
pub fn describe_cause(cause: u32) -> String {
    if cause & INTERRUPT_BIT != 0 {
        format!("interrupt {}", cause & !INTERRUPT_BIT)
    } else {
        Exception::from_code(cause).map_or_else(|| format!("unknown cause {cause}"), |e| e.name().to_string())
    }
}
