//! Address maps: a task's allocated ranges as a sorted set of [`Entry`]s, over its [`Pmap`].
//!
//! Conventions: every range is page-aligned and half-open; a map covers `min..max` of the 32-bit
//! space (`max` at most [`MAP_LIMIT`]); addresses and sizes come from user processes, so every
//! one is checked and a bad one is a [`VmError`], never a panic.
//!
//! Invariants: entries do not overlap and lie inside `min..max`; each entry holds one reference
//! on its object; every entry is counted in [`Vm`]'s entry count (so all changes to the set go
//! through `insert`, `remove` and `clip`); the pmap maps only pages of entries, with at most
//! their rights. Operations on ranges first check the whole range, then change it, so a refused
//! operation changes nothing.

use alloc::collections::BTreeMap;
use alloc::vec::Vec;

use crate::addr::{ObjectId, PageIndex, VAddr, PAGE_SIZE};
use crate::entry::{Entry, Inheritance, Prot};
use crate::error::VmError;
use crate::frame::PhysMem;
use crate::pmap::Pmap;
use crate::system::Vm;

/// The highest end a map may have: the last page of the 32-bit space is never mapped, so ends
/// fit in a `u32`.
pub const MAP_LIMIT: VAddr = VAddr(0u32.wrapping_sub(PAGE_SIZE));

/// Where [`Map::allocate`] puts a new range.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Placement {
    /// The lowest hole big enough inside `min..max` (and the map): first fit.
    Anywhere {
        /// Lowest acceptable start (page-aligned).
        min: VAddr,
        /// Highest acceptable end (page-aligned).
        max: VAddr,
    },
    /// Exactly at this (page-aligned) address.
    Fixed(VAddr),
}

/// What [`Map::region`] tells of one entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Region {
    /// First address.
    pub start: VAddr,
    /// First address past the region.
    pub end: VAddr,
    /// Current protection.
    pub prot: Prot,
    /// Maximum protection.
    pub max: Prot,
    /// Inheritance at fork.
    pub inheritance: Inheritance,
    /// The backing object (`None`: never touched, reads as zeros).
    pub object: Option<ObjectId>,
    /// The object page `start` maps.
    pub offset: PageIndex,
    /// Shared with another task by inheritance.
    pub shared: bool,
    /// Copy-on-write: the object is shared and will be shadowed at the first write.
    pub copy_on_write: bool,
}

/// One task's address map. End it with [`Map::destroy`]: dropping it would keep its objects'
/// references (it cannot reach the [`Vm`] to give them back).
#[derive(Debug)]
pub struct Map<P> {
    pub(crate) entries: BTreeMap<VAddr, Entry>,
    min: VAddr,
    max: VAddr,
    pub(crate) pmap: P,
    /// Its objects are never paged out (the default pager's own task).
    pub(crate) wired: bool,
}

impl<P: Pmap> Map<P> {
    /// An empty map of `min..max` (page-aligned, non-empty, `max` ≤ [`MAP_LIMIT`]) over `pmap`.
    pub fn new(min: VAddr, max: VAddr, pmap: P) -> Result<Map<P>, VmError> {
        if !min.is_page_aligned() || !max.is_page_aligned() || min >= max || max > MAP_LIMIT {
            return Err(VmError::InvalidArgument);
        }
        Ok(Map { entries: BTreeMap::new(), min, max, pmap, wired: false })
    }

    /// The range the map covers.
    pub fn bounds(&self) -> (VAddr, VAddr) {
        (self.min, self.max)
    }

    /// The page tables.
    pub fn pmap(&self) -> &P {
        &self.pmap
    }

    /// The entries, in address order.
    pub fn entries(&self) -> impl Iterator<Item = &Entry> {
        self.entries.values()
    }

    /// The entry mapping `addr`, if any.
    pub fn lookup(&self, addr: VAddr) -> Option<&Entry> {
        self.entries.range(..=addr).next_back().map(|(_, e)| e).filter(|e| e.contains(addr))
    }

    /// The entry holding `addr`, or else the first one after it.
    pub fn region(&self, addr: VAddr) -> Option<Region> {
        let entry = self.lookup(addr).or_else(|| self.entries.range(addr..).next().map(|(_, e)| e))?;
        Some(Region {
            start: entry.start,
            end: entry.end,
            prot: entry.prot,
            max: entry.max,
            inheritance: entry.inheritance,
            object: entry.object,
            offset: entry.offset,
            shared: entry.shared,
            copy_on_write: entry.needs_copy,
        })
    }

    /// Allocates `size` bytes (a non-zero page multiple) of zero-filled memory with protection
    /// `prot`, maximum all rights, inherited by copy; returns where.
    pub fn allocate<M: PhysMem>(
        &mut self,
        vm: &mut Vm<M>,
        placement: Placement,
        size: u32,
        prot: Prot,
    ) -> Result<VAddr, VmError> {
        let start = self.place(placement, size)?;
        self.insert(vm, Entry::new(start, VAddr(start.0 + size), prot));
        Ok(start)
    }

    /// Maps `size` bytes of `object` from page `offset`, handing over a reference the caller
    /// holds on it (kept by the caller on error); copy-on-write if `copy`. For objects with an
    /// external pager.
    #[allow(clippy::too_many_arguments)]
    pub fn map_object<M: PhysMem>(
        &mut self,
        vm: &mut Vm<M>,
        placement: Placement,
        size: u32,
        prot: Prot,
        object: ObjectId,
        offset: PageIndex,
        copy: bool,
    ) -> Result<VAddr, VmError> {
        if vm.objects.get(object).is_none() {
            return Err(VmError::InvalidArgument);
        }
        let start = self.place(placement, size)?;
        let mut entry = Entry::new(start, VAddr(start.0 + size), prot);
        entry.object = Some(object);
        entry.offset = offset;
        entry.needs_copy = copy;
        self.insert(vm, entry);
        Ok(start)
    }

    /// Frees every allocated page of `start..start + size` (holes are fine), splitting entries
    /// that straddle its ends.
    pub fn deallocate<M: PhysMem>(&mut self, vm: &mut Vm<M>, start: VAddr, size: u32) -> Result<(), VmError> {
        let (start, end) = self.range(start, size)?;
        self.clip(vm, start);
        self.clip(vm, end);
        self.pmap.remove(start, end);
        for key in self.keys_overlapping(start, end) {
            self.remove(vm, key);
        }
        Ok(())
    }

    /// Sets the current protection of `start..start + size` (all allocated) to `prot`, or, with
    /// `set_max`, the maximum (lowering the current to fit); refused if `prot` exceeds a maximum.
    pub fn protect<M: PhysMem>(
        &mut self,
        vm: &mut Vm<M>,
        start: VAddr,
        size: u32,
        set_max: bool,
        prot: Prot,
    ) -> Result<(), VmError> {
        let (start, end) = self.range(start, size)?;
        if !self.covered(start, end) {
            return Err(VmError::InvalidAddress);
        }
        if self.keys_overlapping(start, end).iter().any(|k| !self.entries[k].max.contains(prot)) {
            return Err(VmError::ProtectionFailure);
        }
        self.clip(vm, start);
        self.clip(vm, end);
        for key in self.keys_overlapping(start, end) {
            let Some(entry) = self.entries.get_mut(&key) else { continue };
            if set_max {
                entry.max = prot;
                entry.prot = entry.prot.intersection(prot);
            } else {
                entry.prot = prot;
            }
            self.pmap.protect(entry.start, entry.end, entry.prot);
        }
        Ok(())
    }

    /// Sets the inheritance of `start..start + size` (all allocated).
    pub fn inherit<M: PhysMem>(
        &mut self,
        vm: &mut Vm<M>,
        start: VAddr,
        size: u32,
        inheritance: Inheritance,
    ) -> Result<(), VmError> {
        let (start, end) = self.range(start, size)?;
        if !self.covered(start, end) {
            return Err(VmError::InvalidAddress);
        }
        self.clip(vm, start);
        self.clip(vm, end);
        for key in self.keys_overlapping(start, end) {
            if let Some(entry) = self.entries.get_mut(&key) {
                entry.inheritance = inheritance;
            }
        }
        Ok(())
    }

    /// Removes from the pmap every mapping of pages `first..first + count` of `object` made by
    /// this map's entries over it or over a shadow of it, so that the next access faults and
    /// sees the page as it is then (Mach's `pmap_page_protect` to none, for one object): what
    /// a pager's lock request, or a page leaving its object, needs of every map.
    pub fn unmap_object_pages<M: PhysMem>(
        &mut self,
        vm: &Vm<M>,
        object: ObjectId,
        first: PageIndex,
        count: u32,
    ) {
        let (first, end) = (u64::from(first.0), u64::from(first.0) + u64::from(count));
        for entry in self.entries.values() {
            // Entry page `i` is page `i + base` of each object down its chain.
            let (mut next, mut base) = (entry.object, u64::from(entry.offset.0));
            while let Some(id) = next {
                if id == object {
                    let from = first.saturating_sub(base);
                    let to = end.saturating_sub(base).min(u64::from(entry.pages()));
                    if from < to {
                        let start = u64::from(entry.start.0) + from * u64::from(PAGE_SIZE);
                        let stop = u64::from(entry.start.0) + to * u64::from(PAGE_SIZE);
                        self.pmap.remove(VAddr(start as u32), VAddr(stop as u32));
                    }
                    break;
                }
                let backing = vm.objects.get(id).and_then(|o| o.backing);
                next = backing.map(|(b, _)| b);
                base += backing.map_or(0, |(_, offset)| u64::from(offset.0));
            }
        }
    }

    /// Frees everything the map holds and gives back its (empty) page tables.
    pub fn destroy<M: PhysMem>(mut self, vm: &mut Vm<M>) -> P {
        self.pmap.remove(self.min, self.max);
        let keys: Vec<VAddr> = self.entries.keys().copied().collect();
        for key in keys {
            self.remove(vm, key);
        }
        self.pmap
    }

    /// Checks `start..start + size`: page-aligned and non-empty (else
    /// [`VmError::InvalidArgument`]), inside the map (else [`VmError::InvalidAddress`]).
    pub(crate) fn range(&self, start: VAddr, size: u32) -> Result<(VAddr, VAddr), VmError> {
        if !start.is_page_aligned() || !size.is_multiple_of(PAGE_SIZE) || size == 0 {
            return Err(VmError::InvalidArgument);
        }
        let end = start.checked_add(size).ok_or(VmError::InvalidAddress)?;
        if start < self.min || end > self.max {
            return Err(VmError::InvalidAddress);
        }
        Ok((start, end))
    }

    /// Where a new range of `size` bytes goes.
    pub(crate) fn place(&self, placement: Placement, size: u32) -> Result<VAddr, VmError> {
        if !size.is_multiple_of(PAGE_SIZE) || size == 0 {
            return Err(VmError::InvalidArgument);
        }
        match placement {
            Placement::Fixed(start) => {
                let (start, end) = self.range(start, size)?;
                if self.keys_overlapping(start, end).is_empty() {
                    Ok(start)
                } else {
                    Err(VmError::NoSpace)
                }
            }
            Placement::Anywhere { min, max } => {
                if !min.is_page_aligned() || !max.is_page_aligned() {
                    return Err(VmError::InvalidArgument);
                }
                let (low, high) = (u64::from(min.max(self.min).0), u64::from(max.min(self.max).0));
                let mut cursor = low;
                for entry in self.entries.values() {
                    if u64::from(entry.end.0) <= cursor {
                        continue;
                    }
                    if u64::from(entry.start.0) >= cursor + u64::from(size) {
                        break;
                    }
                    cursor = u64::from(entry.end.0);
                }
                if cursor + u64::from(size) <= high {
                    Ok(VAddr(cursor as u32))
                } else {
                    Err(VmError::NoSpace)
                }
            }
        }
    }

    /// The starts of the entries meeting `start..end`, in order.
    pub(crate) fn keys_overlapping(&self, start: VAddr, end: VAddr) -> Vec<VAddr> {
        let first = self.lookup(start).map(|e| e.start);
        first
            .into_iter()
            .chain(self.entries.range(start..end).map(|(k, _)| *k).filter(|k| Some(*k) != first))
            .collect()
    }

    /// Whether entries cover all of `start..end`.
    pub(crate) fn covered(&self, start: VAddr, end: VAddr) -> bool {
        let mut cursor = start;
        for key in self.keys_overlapping(start, end) {
            let entry = &self.entries[&key];
            if entry.start > cursor {
                return false;
            }
            cursor = entry.end;
        }
        cursor >= end
    }

    /// Splits the entry strictly containing `addr` (if any) in two at `addr`.
    pub(crate) fn clip<M: PhysMem>(&mut self, vm: &mut Vm<M>, addr: VAddr) {
        let Some(key) = self.lookup(addr).map(|e| e.start).filter(|start| *start != addr) else { return };
        let Some(left) = self.entries.get_mut(&key) else { return };
        let mut right = left.clone();
        right.start = addr;
        right.offset = left.offset.plus(left.start.pages_until(addr));
        left.end = addr;
        if let Some(object) = right.object {
            vm.objects.reference(object);
        }
        self.entries.insert(addr, right);
        vm.entries += 1;
    }

    /// Wires the map: the objects it maps now or later are never paged out (Mach wires the
    /// default pager's memory: a pager that waited for itself would wait for ever).
    pub fn wire<M: PhysMem>(&mut self, vm: &mut Vm<M>) {
        self.wired = true;
        for object in self.entries.values().filter_map(|e| e.object) {
            vm.objects.wire(object);
        }
    }

    /// Whether the map is wired ([`Map::wire`]).
    pub fn is_wired(&self) -> bool {
        self.wired
    }

    /// Adds `entry` (which holds a reference on its object, if any).
    pub(crate) fn insert<M: PhysMem>(&mut self, vm: &mut Vm<M>, entry: Entry) {
        if let (true, Some(object)) = (self.wired, entry.object) {
            vm.objects.wire(object);
        }
        self.entries.insert(entry.start, entry);
        vm.entries += 1;
    }

    /// Removes the entry at `key` and drops its reference on its object (its pages must already
    /// be out of the pmap).
    pub(crate) fn remove<M: PhysMem>(&mut self, vm: &mut Vm<M>, key: VAddr) {
        if let Some(entry) = self.entries.remove(&key) {
            vm.entries -= 1;
            if let Some(object) = entry.object {
                vm.objects.release(object, &mut vm.frames);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{Map, Placement, MAP_LIMIT};
    use crate::addr::{VAddr, PAGE_SIZE};
    use crate::entry::{Inheritance, Prot};
    use crate::error::VmError;
    use crate::frame::VecMem;
    use crate::pmap::TreePmap;
    use crate::system::{Counts, Vm};

    const P: u32 = PAGE_SIZE;

    fn setup() -> (Vm<VecMem>, Map<TreePmap>) {
        (Vm::new(VecMem::new(64)), Map::new(VAddr(0x1000), VAddr(0x20000), TreePmap::new()).unwrap())
    }

    fn anywhere() -> Placement {
        Placement::Anywhere { min: VAddr(0), max: MAP_LIMIT }
    }

    #[test]
    fn new_checks_bounds() {
        assert!(Map::new(VAddr(1), VAddr(0x2000), TreePmap::new()).is_err());
        assert!(Map::new(VAddr(0x2000), VAddr(0x2000), TreePmap::new()).is_err());
        assert!(Map::new(VAddr(0), VAddr(0xffff_f000), TreePmap::new()).is_ok());
    }

    #[test]
    fn allocate_first_fit_and_fixed() {
        let (mut vm, mut map) = setup();
        assert_eq!(map.allocate(&mut vm, anywhere(), 2 * P, Prot::DEFAULT), Ok(VAddr(0x1000)));
        assert_eq!(map.allocate(&mut vm, Placement::Fixed(VAddr(0x5000)), P, Prot::READ), Ok(VAddr(0x5000)));
        assert_eq!(map.allocate(&mut vm, anywhere(), 3 * P, Prot::DEFAULT), Ok(VAddr(0x6000)));
        assert_eq!(map.allocate(&mut vm, anywhere(), 2 * P, Prot::DEFAULT), Ok(VAddr(0x3000)));
        assert_eq!(
            map.allocate(&mut vm, Placement::Fixed(VAddr(0x4000)), 2 * P, Prot::READ),
            Err(VmError::NoSpace)
        );
        assert_eq!(
            map.allocate(&mut vm, Placement::Fixed(VAddr(0x4001)), P, Prot::READ),
            Err(VmError::InvalidArgument)
        );
        assert_eq!(
            map.allocate(&mut vm, Placement::Fixed(VAddr(0x1f000)), 2 * P, Prot::READ),
            Err(VmError::InvalidAddress)
        );
        assert_eq!(map.allocate(&mut vm, anywhere(), 0, Prot::READ), Err(VmError::InvalidArgument));
        assert_eq!(map.allocate(&mut vm, anywhere(), 0x40 * P, Prot::READ), Err(VmError::NoSpace));
        let bounded = Placement::Anywhere { min: VAddr(0x8000), max: VAddr(0xb000) };
        assert_eq!(map.allocate(&mut vm, bounded, 2 * P, Prot::READ), Ok(VAddr(0x9000)));
        assert_eq!(map.allocate(&mut vm, bounded, P, Prot::READ), Err(VmError::NoSpace));
        assert_eq!(vm.counts().entries, 5);
    }

    #[test]
    fn deallocate_splits_entries() {
        let (mut vm, mut map) = setup();
        let a = map.allocate(&mut vm, anywhere(), 5 * P, Prot::DEFAULT).unwrap();
        map.deallocate(&mut vm, VAddr(a.0 + P), 2 * P).unwrap();
        let starts: std::vec::Vec<_> = map.entries().map(|e| (e.start.0, e.end.0)).collect();
        assert_eq!(starts, [(0x1000, 0x2000), (0x4000, 0x6000)]);
        assert_eq!(map.lookup(VAddr(0x4000)).unwrap().offset.0, 3);
        map.deallocate(&mut vm, VAddr(0x1000), 0x10 * P).unwrap();
        assert_eq!(map.entries().count(), 0);
        assert_eq!(map.deallocate(&mut vm, VAddr(0x1000), 0), Err(VmError::InvalidArgument));
        assert_eq!(map.deallocate(&mut vm, VAddr(0x1f000), 2 * P), Err(VmError::InvalidAddress));
        assert_eq!(vm.counts(), Counts::default());
    }

    #[test]
    fn protect_current_and_maximum() {
        let (mut vm, mut map) = setup();
        let a = map.allocate(&mut vm, anywhere(), 3 * P, Prot::DEFAULT).unwrap();
        map.protect(&mut vm, VAddr(a.0 + P), P, true, Prot::READ).unwrap();
        let r = map.region(VAddr(a.0 + P)).unwrap();
        assert_eq!(
            (r.start, r.end, r.prot, r.max),
            (VAddr(a.0 + P), VAddr(a.0 + 2 * P), Prot::READ, Prot::READ)
        );
        assert_eq!(map.protect(&mut vm, a, 3 * P, false, Prot::DEFAULT), Err(VmError::ProtectionFailure));
        assert_eq!(map.lookup(a).unwrap().end, VAddr(a.0 + P), "a refused protect changes nothing");
        map.protect(&mut vm, a, P, false, Prot::ALL).unwrap();
        assert_eq!(map.protect(&mut vm, a, 4 * P, false, Prot::READ), Err(VmError::InvalidAddress));
        assert_eq!(map.inherit(&mut vm, a, 4 * P, Inheritance::Share), Err(VmError::InvalidAddress));
        map.inherit(&mut vm, VAddr(a.0 + 2 * P), P, Inheritance::None).unwrap();
        assert_eq!(map.region(VAddr(a.0 + 2 * P)).unwrap().inheritance, Inheritance::None);
        assert_eq!(map.region(VAddr(0)).unwrap().start, a, "the region after an unmapped address");
        assert_eq!(map.region(VAddr(a.0 + 3 * P)), None);
        map.destroy(&mut vm);
        assert_eq!(vm.counts(), Counts::default());
    }
}
