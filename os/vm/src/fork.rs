//! Fork by inheritance: a child map built from a parent's entries.
//!
//! Per entry (after Mach's `vm_map_fork`):
//! - [`Inheritance::None`]: the child has a hole there;
//! - [`Inheritance::Share`]: both entries name one object and write it in place (a
//!   copy-on-write entry is first given its own shadow, an untouched one its object); the
//!   parent's mappings of backing pages are dropped, so no stale copy survives a sharer's write;
//! - [`Inheritance::Copy`]: both entries name the object copy-on-write and the parent's mappings
//!   lose write; but an object already shared by inheritance with another task is copied at once
//!   (the other sharers go on writing it, so it cannot be frozen), and so is an object with an
//!   external pager that the entry writes in place (its pages not resident refuse the fork with
//!   [`VmError::InvalidArgument`]: copying them is left to pager support).
//!
//! A fork that runs out of frames destroys the half-built child and leaves the parent as it was
//! in content (some entries may have become copy-on-write, which is invisible).

use crate::addr::{PageIndex, VAddr};
use crate::entry::{Entry, Inheritance, Prot};
use crate::error::VmError;
use crate::frame::PhysMem;
use crate::map::Map;
use crate::object::{Lookup, Pager};
use crate::pmap::Pmap;
use crate::system::Vm;

impl<P: Pmap> Map<P> {
    /// A child map over `child_pmap`, inheriting this map's entries by their inheritance.
    pub fn fork<M: PhysMem>(&mut self, vm: &mut Vm<M>, child_pmap: P) -> Result<Map<P>, VmError> {
        let (min, max) = self.bounds();
        let mut child = Map::new(min, max, child_pmap)?;
        let keys: alloc::vec::Vec<VAddr> = self.entries.keys().copied().collect();
        for key in keys {
            let inherited = match self.entries.get(&key).map(|e| e.inheritance) {
                Some(Inheritance::Share) => Ok(self.share_entry(vm, key)),
                Some(Inheritance::Copy) => self.copy_entry(vm, key),
                Some(Inheritance::None) | None => Ok(None),
            };
            match inherited {
                Ok(Some(entry)) => child.insert(vm, entry),
                Ok(None) => {}
                Err(error) => {
                    child.destroy(vm);
                    return Err(error);
                }
            }
        }
        Ok(child)
    }

    /// Makes the entry at `key` shared and returns the child's twin.
    fn share_entry<M: PhysMem>(&mut self, vm: &mut Vm<M>, key: VAddr) -> Option<Entry> {
        let entry = self.entries.get_mut(&key)?;
        let object = match entry.object {
            Some(object) => object,
            None => {
                let object = vm.objects.create(entry.pages(), Pager::Anonymous);
                entry.object = Some(object);
                entry.offset = PageIndex(0);
                object
            }
        };
        let mut object = object;
        if entry.needs_copy {
            if !vm.objects.is_private(object) {
                object = vm.objects.shadow(object, entry.offset, entry.pages());
                entry.object = Some(object);
                entry.offset = PageIndex(0);
            }
            entry.needs_copy = false;
        }
        vm.objects.collapse(object, &mut vm.frames);
        if vm.objects.get(object).is_some_and(|o| o.backing.is_some()) {
            self.pmap.remove(entry.start, entry.end);
        }
        entry.shared = true;
        vm.objects.reference(object);
        Some(entry.clone())
    }

    /// Makes the entry at `key` copy-on-write (or copies it outright, if shared) and returns the
    /// child's twin.
    pub(crate) fn copy_entry<M: PhysMem>(
        &mut self,
        vm: &mut Vm<M>,
        key: VAddr,
    ) -> Result<Option<Entry>, VmError> {
        let Some(entry) = self.entries.get_mut(&key) else { return Ok(None) };
        let Some(object) = entry.object else {
            let mut twin = entry.clone();
            twin.shared = false;
            return Ok(Some(twin));
        };
        vm.objects.collapse(object, &mut vm.frames);
        let pager_writer = !entry.needs_copy && vm.objects.get(object).is_some_and(|o| !o.is_anonymous());
        if (entry.shared && vm.objects.refs(object) > 1) || pager_writer {
            let copy = vm.objects.create(entry.pages(), Pager::Anonymous);
            for page in 0..entry.pages() {
                let frame = match vm.objects.lookup(object, entry.offset.plus(page)) {
                    Lookup::Resident { frame, .. } => frame,
                    Lookup::Absent => continue,
                    Lookup::Pager { .. } => {
                        vm.objects.release(copy, &mut vm.frames);
                        return Err(VmError::InvalidArgument);
                    }
                };
                let Some(new) = vm.frames.allocate() else {
                    vm.objects.release(copy, &mut vm.frames);
                    return Err(VmError::ResourceShortage);
                };
                vm.frames.mem_mut().copy(frame, new);
                vm.objects.insert_page(copy, PageIndex(page), new, &mut vm.frames);
            }
            let mut twin = entry.clone();
            (twin.object, twin.offset, twin.needs_copy, twin.shared) =
                (Some(copy), PageIndex(0), false, false);
            return Ok(Some(twin));
        }
        entry.needs_copy = true;
        entry.shared = false;
        self.pmap.protect(entry.start, entry.end, entry.prot.without(Prot::WRITE));
        vm.objects.reference(object);
        Ok(Some(entry.clone()))
    }
}

#[cfg(test)]
mod tests {
    use crate::addr::{VAddr, PAGE_SIZE};
    use crate::entry::{Access, Inheritance, Prot};
    use crate::error::FaultError;
    use crate::frame::{PhysMem, VecMem};
    use crate::map::{Map, Placement};
    use crate::pmap::{Pmap, TreePmap};
    use crate::system::{Counts, Vm};

    fn parent() -> (Vm<VecMem>, Map<TreePmap>, VAddr) {
        let mut vm = Vm::new(VecMem::new(64));
        let mut map = Map::new(VAddr(0x1000), VAddr(0x100000), TreePmap::new()).unwrap();
        let a =
            map.allocate(&mut vm, Placement::Fixed(VAddr(0x10000)), 2 * PAGE_SIZE, Prot::DEFAULT).unwrap();
        map.write(&mut vm, a, b"parent").unwrap();
        (vm, map, a)
    }

    fn read6(vm: &mut Vm<VecMem>, map: &mut Map<TreePmap>, at: VAddr) -> [u8; 6] {
        let mut buf = [0u8; 6];
        map.read(vm, at, &mut buf).unwrap();
        buf
    }

    #[test]
    fn copy_is_copy_on_write() {
        let (mut vm, mut map, a) = parent();
        let mut child = map.fork(&mut vm, TreePmap::new()).unwrap();
        assert_eq!(map.pmap().extract(a).unwrap().1, Prot::READ, "the parent lost write");
        assert!(map.region(a).unwrap().copy_on_write && child.region(a).unwrap().copy_on_write);
        assert_eq!(&read6(&mut vm, &mut child, a), b"parent");
        child.write(&mut vm, a, b"child!").unwrap();
        assert_eq!(&read6(&mut vm, &mut map, a), b"parent");
        map.write(&mut vm, VAddr(a.0 + PAGE_SIZE), b"second").unwrap();
        assert_eq!(read6(&mut vm, &mut child, VAddr(a.0 + PAGE_SIZE)), [0; 6]);
        assert_eq!(&read6(&mut vm, &mut child, a), b"child!");
        child.destroy(&mut vm);
        map.write(&mut vm, a, b"again!").unwrap();
        assert_eq!(vm.deepest_chain(), 1, "the exited child's object was collapsed away");
        map.destroy(&mut vm);
        assert_eq!(vm.counts(), Counts::default());
    }

    #[test]
    fn share_and_none() {
        let (mut vm, mut map, a) = parent();
        let b = map.allocate(&mut vm, Placement::Fixed(VAddr(0x20000)), PAGE_SIZE, Prot::DEFAULT).unwrap();
        map.inherit(&mut vm, a, 2 * PAGE_SIZE, Inheritance::Share).unwrap();
        map.inherit(&mut vm, b, PAGE_SIZE, Inheritance::None).unwrap();
        let mut child = map.fork(&mut vm, TreePmap::new()).unwrap();
        assert_eq!(child.fault(&mut vm, b, Access::Read), Err(FaultError::InvalidAddress(b)));
        child.write(&mut vm, a, b"shared").unwrap();
        assert_eq!(&read6(&mut vm, &mut map, a), b"shared");
        child.inherit(&mut vm, a, 2 * PAGE_SIZE, Inheritance::Copy).unwrap();
        let mut grandchild = child.fork(&mut vm, TreePmap::new()).unwrap();
        assert!(!grandchild.region(a).unwrap().shared, "a copy of a shared entry is private");
        map.write(&mut vm, a, b"later!").unwrap();
        assert_eq!(&read6(&mut vm, &mut child, a), b"later!");
        assert_eq!(&read6(&mut vm, &mut grandchild, a), b"shared");
        for m in [map, child, grandchild] {
            m.destroy(&mut vm);
        }
        assert_eq!(vm.counts(), Counts::default());
    }

    /// The first byte of `va` as the processor reads it: through the pmap, faulting only when
    /// nothing readable is mapped.
    fn cpu_byte(vm: &mut Vm<VecMem>, map: &mut Map<TreePmap>, va: VAddr) -> u8 {
        let frame = match map.pmap().extract(va) {
            Some((frame, prot)) if prot.contains(Prot::READ) => frame,
            _ => map.fault(vm, va, Access::Read).unwrap(),
        };
        let mut byte = [0];
        vm.frames.mem().read(frame, va.page_offset(), &mut byte);
        byte[0]
    }

    #[test]
    fn sharing_a_copy_on_write_entry_leaves_no_stale_mapping() {
        let (mut vm, mut map, a) = parent();
        let mut copy = map.fork(&mut vm, TreePmap::new()).unwrap();
        assert_eq!(cpu_byte(&mut vm, &mut map, a), b'p');
        map.inherit(&mut vm, a, 2 * PAGE_SIZE, Inheritance::Share).unwrap();
        let mut sharer = map.fork(&mut vm, TreePmap::new()).unwrap();
        sharer.write(&mut vm, a, b"S").unwrap();
        assert_eq!(cpu_byte(&mut vm, &mut map, a), b'S', "the parent sees its sharer's write");
        assert_eq!(cpu_byte(&mut vm, &mut copy, a), b'p', "the copy does not");
        map.write(&mut vm, a, b"P").unwrap();
        assert_eq!(cpu_byte(&mut vm, &mut sharer, a), b'P');
        for m in [map, copy, sharer] {
            m.destroy(&mut vm);
        }
        assert_eq!(vm.counts(), Counts::default());
    }

    #[test]
    fn fork_out_of_frames_leaves_nothing_behind() {
        let (mut vm, mut map, a) = parent();
        map.inherit(&mut vm, a, 2 * PAGE_SIZE, Inheritance::Share).unwrap();
        let mut child = map.fork(&mut vm, TreePmap::new()).unwrap();
        child.inherit(&mut vm, a, 2 * PAGE_SIZE, Inheritance::Copy).unwrap();
        let before = vm.counts();
        vm.frames.mem_mut().set_limit(before.frames);
        assert_eq!(child.fork(&mut vm, TreePmap::new()).err(), Some(crate::error::VmError::ResourceShortage));
        assert_eq!(vm.counts(), before);
        child.destroy(&mut vm);
        map.destroy(&mut vm);
        assert_eq!(vm.counts(), Counts::default());
    }

    #[test]
    fn regions_report_sharing_and_offsets() {
        let (mut vm, mut map, a) = parent();
        map.inherit(&mut vm, a, 2 * PAGE_SIZE, Inheritance::Share).unwrap();
        let mut child = map.fork(&mut vm, TreePmap::new()).unwrap();
        child.deallocate(&mut vm, a, PAGE_SIZE).unwrap();
        let (mine, theirs) = (map.region(a).unwrap(), child.region(a).unwrap());
        assert_eq!(theirs.start, VAddr(a.0 + PAGE_SIZE), "the region after the hole");
        assert_eq!((mine.object, mine.offset.0, mine.shared), (theirs.object, 0, true));
        assert_eq!(theirs.offset.0, 1);
        assert!(!mine.copy_on_write && !theirs.copy_on_write);
        map.destroy(&mut vm);
        child.destroy(&mut vm);
        assert_eq!(vm.counts(), Counts::default());
    }
}
