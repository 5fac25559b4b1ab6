//! Page-table entries and the shape of the two-level page table.
//!
//! A virtual address splits into a level-1 index (bits 31..22), a level-2 index (bits 21..12)
//! and a page offset (bits 11..0). Each table is one 4 KiB frame of 1024 little-endian 32-bit
//! entries. An entry with `V` clear is invalid. A valid entry with none of `R`, `W`, `X` points
//! to the next-level table; any other valid entry is a leaf. A leaf in the level-1 table maps a
//! 4 MiB superpage, and its frame number must be a multiple of 1024.

use bitflags::bitflags;

/// Page size in bytes.
pub const PAGE_SIZE: u32 = 4096;
/// log2 of the page size.
pub const PAGE_SHIFT: u32 = 12;
/// Entries per page table.
pub const ENTRIES: u32 = 1024;
/// Size of the region one level-1 entry maps.
pub const SUPERPAGE_SIZE: u32 = 4 << 20;
/// Entries in the TLB: direct-mapped, indexed by bits 19..12 of the virtual address.
pub const TLB_ENTRIES: usize = 256;

bitflags! {
    /// The low twelve bits of a page-table entry. Bits 31..12 are the frame number.
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
    pub struct PteFlags: u32 {
        /// Valid.
        const V = 1 << 0;
        /// Readable.
        const R = 1 << 1;
        /// Writable (requires `R`; `W` without `R` is reserved and faults).
        const W = 1 << 2;
        /// Executable.
        const X = 1 << 3;
        /// Accessible from user mode. Kernel mode may read and write user pages (to copy
        /// system-call data) but never executes them.
        const U = 1 << 4;
        /// Global: the translation belongs to every address space and survives ASID changes.
        const G = 1 << 5;
        /// Accessed: set by the hardware walk when the page is used.
        const A = 1 << 6;
        /// Dirty: set by the hardware walk when the page is written.
        const D = 1 << 7;
        /// Four bits for the operating system; the hardware ignores them.
        const OS = 0xf << 8;
    }
}

/// A page-table entry.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Pte(pub u32);

impl Pte {
    /// A new entry for frame `ppn` with `flags`.
    pub const fn new(ppn: u32, flags: PteFlags) -> Pte {
        Pte((ppn << PAGE_SHIFT) | flags.bits())
    }

    /// The flag bits.
    pub const fn flags(self) -> PteFlags {
        PteFlags::from_bits_truncate(self.0)
    }

    /// The physical frame number.
    pub const fn ppn(self) -> u32 {
        self.0 >> PAGE_SHIFT
    }

    /// Whether the entry is valid.
    pub const fn is_valid(self) -> bool {
        self.0 & PteFlags::V.bits() != 0
    }

    /// Whether the entry maps memory (rather than pointing to a table).
    pub const fn is_leaf(self) -> bool {
        self.0 & (PteFlags::R.bits() | PteFlags::W.bits() | PteFlags::X.bits()) != 0
    }
}

/// The level-1 table index of `vaddr`.
pub const fn l1_index(vaddr: u32) -> u32 {
    vaddr >> 22
}

/// The level-2 table index of `vaddr`.
pub const fn l2_index(vaddr: u32) -> u32 {
    (vaddr >> PAGE_SHIFT) & (ENTRIES - 1)
}
