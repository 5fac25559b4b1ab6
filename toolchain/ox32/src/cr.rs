//! Control registers: numbers, names and the bits of `status`.
//!
//! Control registers are reached only through the `cr*` instructions with a 12-bit number.
//! In user mode only the counters (`cycle`, `cycleh`, `time`, `timeh`) may be read; every other
//! access from user mode raises a privileged-instruction trap, and an unknown number or a write
//! to a read-only register raises an illegal-instruction trap.

use bitflags::bitflags;

/// Processor status: interrupt enable and the mode stack of one trap level.
pub const STATUS: u16 = 0x000;
/// Trap vector: the address every trap and interrupt jumps to (low two bits are ignored).
pub const TVEC: u16 = 0x001;
/// Exception PC: the address of the trapping instruction, or the next one for an interrupt.
pub const EPC: u16 = 0x002;
/// The cause of the last trap (see [`crate::trap`]).
pub const CAUSE: u16 = 0x003;
/// The faulting address of the last memory trap, or the instruction word of an illegal one.
pub const BADADDR: u16 = 0x004;
/// Scratch register for the kernel (typically the kernel stack of the current process).
pub const SCRATCH0: u16 = 0x005;
/// Second scratch register for the kernel.
pub const SCRATCH1: u16 = 0x006;
/// Page-table base: bit 31 paging on, bits 28..20 ASID, bits 19..0 root table frame number.
pub const PTBR: u16 = 0x007;
/// The node's index in its topology (read-only).
pub const NODEID: u16 = 0x008;
/// The node's RAM size in bytes (read-only): how a boot ROM learns how much memory it has.
pub const RAMSIZE: u16 = 0x009;
/// Instructions retired, low word (read-only, readable from user mode).
pub const CYCLE: u16 = 0x010;
/// Instructions retired, high word (read-only, readable from user mode).
pub const CYCLEH: u16 = 0x011;
/// Virtual time in nanoseconds, low word (read-only, readable from user mode).
pub const TIME: u16 = 0x012;
/// Virtual time in nanoseconds, high word (read-only, readable from user mode).
pub const TIMEH: u16 = 0x013;

/// Every control register: number, name, read-only, readable from user mode.
pub const ALL: [(u16, &str, bool, bool); 14] = [
    (STATUS, "status", false, false),
    (TVEC, "tvec", false, false),
    (EPC, "epc", false, false),
    (CAUSE, "cause", false, false),
    (BADADDR, "badaddr", false, false),
    (SCRATCH0, "scratch0", false, false),
    (SCRATCH1, "scratch1", false, false),
    (PTBR, "ptbr", false, false),
    (NODEID, "nodeid", true, false),
    (RAMSIZE, "ramsize", true, false),
    (CYCLE, "cycle", true, true),
    (CYCLEH, "cycleh", true, true),
    (TIME, "time", true, true),
    (TIMEH, "timeh", true, true),
];

/// The name of control register `num`, if it exists.
pub fn name(num: u16) -> Option<&'static str> {
    ALL.iter().find(|r| r.0 == num).map(|r| r.1)
}

/// The number of the control register called `name`.
pub fn by_name(name: &str) -> Option<u16> {
    ALL.iter().find(|r| r.1 == name).map(|r| r.0)
}

bitflags! {
    /// The bits of `status`.
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
    pub struct Status: u32 {
        /// Interrupts are enabled.
        const IE = 1 << 0;
        /// `IE` as it was before the last trap; `eret` restores it.
        const PIE = 1 << 1;
        /// The mode before the last trap was kernel mode; `eret` returns to that mode.
        const PKM = 1 << 2;
        /// The processor is in kernel mode (read-only).
        const KM = 1 << 8;
    }
}

/// The `status` bits software may write.
pub const STATUS_WRITABLE: Status = Status::IE.union(Status::PIE).union(Status::PKM);

/// `ptbr` bit 31: paging is on.
pub const PTBR_PAGING: u32 = 1 << 31;
/// `ptbr` bits 28..20: the address-space identifier.
pub const PTBR_ASID_SHIFT: u32 = 20;
/// Mask of the ASID once shifted down.
pub const ASID_MASK: u32 = 0x1ff;
/// `ptbr` bits 19..0: the frame number of the level-1 table.
pub const PTBR_PPN_MASK: u32 = 0xf_ffff;
/// `ptbr` bits that are reserved and read as zero.
pub const PTBR_RESERVED: u32 = 0x6000_0000;
