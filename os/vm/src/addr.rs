//! Addresses and numbers: virtual addresses, page indices inside memory objects, frame ids and
//! object ids, each its own type so one can never be passed for another.
//!
//! Conventions: the address space is 32 bits; pages are [`PAGE_SIZE`] bytes; sizes are bytes
//! (`u32`) and must be page multiples where a range is meant; ranges are half-open
//! (`start..end`), and since a map never reaches the last page of the 32-bit space an `end` always
//! fits in a `u32`.

/// Bytes in a page (and a frame).
pub const PAGE_SIZE: u32 = 4096;

/// A virtual address in a task's 32-bit address space.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct VAddr(pub u32);

impl VAddr {
    /// Whether the address is on a page boundary.
    pub const fn is_page_aligned(self) -> bool {
        self.0.is_multiple_of(PAGE_SIZE)
    }

    /// The start of the page holding the address.
    pub const fn page_down(self) -> VAddr {
        VAddr(self.0 & !(PAGE_SIZE - 1))
    }

    /// The byte offset of the address inside its page.
    pub const fn page_offset(self) -> usize {
        (self.0 % PAGE_SIZE) as usize
    }

    /// The address `bytes` further on, or `None` past the end of the 32-bit space.
    pub fn checked_add(self, bytes: u32) -> Option<VAddr> {
        self.0.checked_add(bytes).map(VAddr)
    }

    /// Pages from `self` (page-aligned) up to `later` (page-aligned, not below `self`).
    pub(crate) const fn pages_until(self, later: VAddr) -> u32 {
        (later.0 - self.0) / PAGE_SIZE
    }
}

/// A page's position inside a memory object, counted in pages from the object's start.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PageIndex(pub u32);

impl PageIndex {
    /// The index `pages` further on (saturating: indices never come near `u32::MAX`).
    pub const fn plus(self, pages: u32) -> PageIndex {
        PageIndex(self.0.saturating_add(pages))
    }
}

/// A physical frame, as numbered by the [`PhysMem`](crate::PhysMem) that handed it out.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FrameId(pub u32);

/// A memory object, as numbered by the [`Objects`](crate::Objects) table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ObjectId(pub u32);

#[cfg(test)]
mod tests {
    use super::{PageIndex, VAddr, PAGE_SIZE};

    #[test]
    fn page_arithmetic() {
        assert!(VAddr(0x3000).is_page_aligned());
        assert!(!VAddr(0x3001).is_page_aligned());
        assert_eq!(VAddr(0x3fff).page_down(), VAddr(0x3000));
        assert_eq!(VAddr(0x3fff).page_offset(), 0xfff);
        assert_eq!(VAddr(u32::MAX).checked_add(1), None);
        assert_eq!(VAddr(0x1000).pages_until(VAddr(0x1000 + 3 * PAGE_SIZE)), 3);
        assert_eq!(PageIndex(u32::MAX).plus(5), PageIndex(u32::MAX));
    }
}
