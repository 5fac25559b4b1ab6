//! Map entries and their attributes: protections, inheritance, and the entry itself.
//!
//! Invariants of an [`Entry`]: `start < end`, both page-aligned; the current protection is a
//! subset of the maximum; `object` is `None` only for memory never touched (it reads as zeros and
//! gets an anonymous object at its first fault); `offset` is the object page that `start` maps;
//! `needs_copy` means the object is shared copy-on-write with another entry and must be shadowed
//! before this entry writes; `shared` means the object was shared by inheritance (both sides
//! write it) and is never made copy-on-write lazily.

use crate::addr::{ObjectId, PageIndex, VAddr};

/// A set of access rights: read, write, execute.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Prot(u8);

impl Prot {
    /// No access.
    pub const NONE: Prot = Prot(0);
    /// Reading.
    pub const READ: Prot = Prot(1);
    /// Writing.
    pub const WRITE: Prot = Prot(2);
    /// Executing.
    pub const EXECUTE: Prot = Prot(4);
    /// Reading and writing: what [`Map::allocate`](crate::Map::allocate) callers usually ask.
    pub const DEFAULT: Prot = Prot(3);
    /// Every right: the maximum protection of new entries.
    pub const ALL: Prot = Prot(7);

    /// The rights of the low three bits of `bits` (read 1, write 2, execute 4).
    pub const fn from_bits_truncate(bits: u8) -> Prot {
        Prot(bits & 7)
    }

    /// The rights as bits (read 1, write 2, execute 4).
    pub const fn bits(self) -> u8 {
        self.0
    }

    /// Whether every right of `other` is in `self`.
    pub const fn contains(self, other: Prot) -> bool {
        self.0 & other.0 == other.0
    }

    /// The rights in both.
    pub const fn intersection(self, other: Prot) -> Prot {
        Prot(self.0 & other.0)
    }

    /// The rights in either.
    pub const fn union(self, other: Prot) -> Prot {
        Prot(self.0 | other.0)
    }

    /// `self` without the rights of `other`.
    pub const fn without(self, other: Prot) -> Prot {
        Prot(self.0 & !other.0)
    }

    /// Whether `access` is allowed.
    pub const fn allows(self, access: Access) -> bool {
        self.contains(access.prot())
    }
}

/// The kind of one access.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Access {
    /// A load.
    Read,
    /// A store.
    Write,
    /// An instruction fetch.
    Execute,
}

impl Access {
    /// The right the access needs.
    pub const fn prot(self) -> Prot {
        match self {
            Access::Read => Prot::READ,
            Access::Write => Prot::WRITE,
            Access::Execute => Prot::EXECUTE,
        }
    }
}

/// What a child gets of an entry at fork.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Inheritance {
    /// Nothing: the range is unallocated in the child.
    None,
    /// The same memory: writes on either side are seen by both.
    Share,
    /// A copy, made lazily (copy-on-write): writes on one side are never seen by the other.
    #[default]
    Copy,
}

/// One allocated range of a map and what backs it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// First address (page-aligned).
    pub start: VAddr,
    /// First address past the range (page-aligned).
    pub end: VAddr,
    /// The rights accesses have now.
    pub prot: Prot,
    /// The most rights `prot` may ever be raised to.
    pub max: Prot,
    /// What a child gets at fork.
    pub inheritance: Inheritance,
    /// The memory object backing the range; `None` until the first fault (zeros).
    pub object: Option<ObjectId>,
    /// The object page `start` maps.
    pub offset: PageIndex,
    /// The object is copy-on-write: shadow it before writing.
    pub needs_copy: bool,
    /// The object was shared by inheritance: writes go to it and are seen by every sharer.
    pub shared: bool,
}

impl Entry {
    /// A fresh entry for `start..end`: no object yet, protection `prot`, maximum all rights,
    /// inherited by copy.
    pub(crate) fn new(start: VAddr, end: VAddr, prot: Prot) -> Entry {
        Entry {
            start,
            end,
            prot,
            max: Prot::ALL,
            inheritance: Inheritance::Copy,
            object: None,
            offset: PageIndex(0),
            needs_copy: false,
            shared: false,
        }
    }

    /// Pages in the range.
    pub fn pages(&self) -> u32 {
        self.start.pages_until(self.end)
    }

    /// Whether `addr` lies in the range.
    pub fn contains(&self, addr: VAddr) -> bool {
        self.start <= addr && addr < self.end
    }

    /// The object page that `addr` (inside the range) maps.
    pub fn index_of(&self, addr: VAddr) -> PageIndex {
        self.offset.plus(self.start.pages_until(addr.page_down()))
    }

    /// The rights a mapping of a page of this entry may get: the protection, without writing
    /// while the object is copy-on-write.
    pub(crate) fn mapping_prot(&self) -> Prot {
        if self.needs_copy {
            self.prot.without(Prot::WRITE)
        } else {
            self.prot
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{Access, Entry, Prot};
    use crate::addr::{PageIndex, VAddr};

    #[test]
    fn prot_sets() {
        assert!(Prot::ALL.contains(Prot::DEFAULT));
        assert!(!Prot::READ.contains(Prot::DEFAULT));
        assert_eq!(Prot::DEFAULT.without(Prot::WRITE), Prot::READ);
        assert_eq!(Prot::READ.union(Prot::EXECUTE).bits(), 5);
        assert_eq!(Prot::from_bits_truncate(0xff), Prot::ALL);
        assert!(Prot::READ.allows(Access::Read) && !Prot::READ.allows(Access::Write));
        assert_eq!(Prot::DEFAULT.intersection(Prot::EXECUTE), Prot::NONE);
    }

    #[test]
    fn entry_geometry() {
        let mut e = Entry::new(VAddr(0x4000), VAddr(0x7000), Prot::DEFAULT);
        e.offset = PageIndex(10);
        assert_eq!(e.pages(), 3);
        assert!(e.contains(VAddr(0x6fff)) && !e.contains(VAddr(0x7000)));
        assert_eq!(e.index_of(VAddr(0x5123)), PageIndex(11));
        e.needs_copy = true;
        assert_eq!(e.mapping_prot(), Prot::READ);
    }
}
