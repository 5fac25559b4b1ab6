//! The machine-dependent page tables behind the [`Pmap`] trait, and [`TreePmap`], a host double.
//!
//! A pmap is a cache of the map: the map layer may remove any mapping at any time and a fault
//! puts it back. A mapping never grants more than its entry's protection, never writing to a
//! page the entry does not own outright (copy-on-write or a backing object's page), and is
//! removed before its frame leaves the object it is resident in.

use alloc::collections::BTreeMap;

use crate::addr::{FrameId, VAddr};
use crate::entry::Prot;
use crate::error::OutOfFrames;

/// One task's page tables: the only thing that knows the hardware's format.
pub trait Pmap {
    /// Maps the page at `va` (page-aligned) to `frame` with `prot`, replacing any mapping.
    fn enter(&mut self, va: VAddr, frame: FrameId, prot: Prot) -> Result<(), OutOfFrames>;
    /// Removes every mapping in `start..end` (page-aligned).
    fn remove(&mut self, start: VAddr, end: VAddr);
    /// Lowers every mapping in `start..end` (page-aligned) to at most `prot` (never raises).
    fn protect(&mut self, start: VAddr, end: VAddr, prot: Prot);
    /// The frame and rights the page at `va` is mapped with, if any.
    fn extract(&self, va: VAddr) -> Option<(FrameId, Prot)>;
}

/// A host double of page tables: page address → frame and rights.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TreePmap {
    /// The mappings, by page address.
    pub pages: BTreeMap<u32, (FrameId, Prot)>,
}

impl TreePmap {
    /// Page tables with nothing mapped.
    pub fn new() -> TreePmap {
        TreePmap::default()
    }
}

impl Pmap for TreePmap {
    fn enter(&mut self, va: VAddr, frame: FrameId, prot: Prot) -> Result<(), OutOfFrames> {
        self.pages.insert(va.page_down().0, (frame, prot));
        Ok(())
    }

    fn remove(&mut self, start: VAddr, end: VAddr) {
        let doomed: alloc::vec::Vec<u32> = self.pages.range(start.0..end.0).map(|(va, _)| *va).collect();
        for va in doomed {
            self.pages.remove(&va);
        }
    }

    fn protect(&mut self, start: VAddr, end: VAddr, prot: Prot) {
        for (_, (_, p)) in self.pages.range_mut(start.0..end.0) {
            *p = p.intersection(prot);
        }
    }

    fn extract(&self, va: VAddr) -> Option<(FrameId, Prot)> {
        self.pages.get(&va.page_down().0).copied()
    }
}

#[cfg(test)]
mod tests {
    use super::{Pmap, TreePmap};
    use crate::addr::{FrameId, VAddr};
    use crate::entry::Prot;

    #[test]
    fn tree_pmap() {
        let mut p = TreePmap::new();
        p.enter(VAddr(0x1000), FrameId(1), Prot::DEFAULT).unwrap();
        p.enter(VAddr(0x2000), FrameId(2), Prot::ALL).unwrap();
        p.enter(VAddr(0x3000), FrameId(3), Prot::READ).unwrap();
        p.protect(VAddr(0x1000), VAddr(0x3000), Prot::READ.union(Prot::EXECUTE));
        assert_eq!(p.extract(VAddr(0x1fff)), Some((FrameId(1), Prot::READ)));
        assert_eq!(p.extract(VAddr(0x2000)), Some((FrameId(2), Prot::from_bits_truncate(5))));
        p.remove(VAddr(0x2000), VAddr(0x4000));
        assert_eq!(p.pages.len(), 1);
    }
}
