//! The fault handler: resolving one access through map entry and object shadow chain to a frame,
//! and entering the mapping in the pmap.
//!
//! Resolution (after Mach's `vm_fault`): the entry must exist and allow the access; an entry
//! never touched gets an anonymous object; a write to a copy-on-write entry first shadows its
//! object (or, if the entry is the object's only holder, simply takes it over); then the page is
//! looked up down the chain:
//! - resident in the top object: mapped with the entry's rights (without write while
//!   copy-on-write);
//! - resident further down: copied into the top object for a write (so no sibling ever sees the
//!   write), or mapped read-only for a read — except that an entry sharing a writable top object
//!   with other entries copies it up at once, so no mapping of a backing page can outlive the
//!   copy another sharer makes;
//! - nowhere: a zeroed frame is put in the top object (what every object below reads as);
//! - with an external pager (not resident, or resident and locked against the access by the
//!   pager): [`FaultError::PagerRequest`], for the kernel to ask the pager. A resident page of
//!   an external object is mapped without the rights its lock refuses, and without write until
//!   it is written (so the kernel knows which pages are dirty).

use crate::addr::{FrameId, PageIndex, VAddr, PAGE_SIZE};
use crate::entry::{Access, Prot};
use crate::error::FaultError;
use crate::frame::PhysMem;
use crate::map::Map;
use crate::object::{Lookup, Pager};
use crate::pmap::Pmap;
use crate::system::Vm;

impl<P: Pmap> Map<P> {
    /// Resolves an `access` at `addr`, maps its page in the pmap and returns the page's frame.
    pub fn fault<M: PhysMem>(
        &mut self,
        vm: &mut Vm<M>,
        addr: VAddr,
        access: Access,
    ) -> Result<FrameId, FaultError> {
        let key = self.lookup(addr).map(|e| e.start).ok_or(FaultError::InvalidAddress(addr))?;
        let Some(entry) = self.entries.get_mut(&key) else { return Err(FaultError::InvalidAddress(addr)) };
        if !entry.prot.allows(access) {
            return Err(FaultError::ProtectionFailure(addr));
        }
        let mut object = match entry.object {
            Some(object) => object,
            None => {
                let object = vm.objects.create(entry.pages(), Pager::Anonymous);
                if self.wired {
                    vm.objects.wire(object);
                }
                entry.object = Some(object);
                entry.offset = PageIndex(0);
                entry.needs_copy = false;
                object
            }
        };
        if access == Access::Write && entry.needs_copy {
            if !vm.objects.is_private(object) {
                object = vm.objects.shadow(object, entry.offset, entry.pages());
                if self.wired {
                    vm.objects.wire(object);
                }
                entry.object = Some(object);
                entry.offset = PageIndex(0);
            }
            entry.needs_copy = false;
            vm.objects.collapse(object, &mut vm.frames);
        }
        let index = entry.index_of(addr);
        let prot = entry.mapping_prot();
        let mut copied_up = false;
        let (frame, prot) = match vm.objects.lookup(object, index) {
            Lookup::Resident { frame, depth: 0 } if vm.objects.is_external(object) => {
                // The pager's lock refuses some accesses until it lowers it; the first write
                // of a clean page faults (it is mapped without write) so the page is known
                // dirty.
                let lock = vm.objects.lock_of(object, index);
                if lock.contains(access.prot()) {
                    return Err(FaultError::PagerRequest { object, index });
                }
                (frame, vm.objects.track_write(object, index, access, prot.without(lock)))
            }
            // While the node pages anonymous memory out: a page the default pager holds a copy
            // of is clean until written, like an external object's (any other goes to it whole
            // at page-out), and the fault marks the page referenced for the clock.
            Lookup::Resident { frame, depth: 0 } if vm.objects.tracks_anonymous() => {
                (frame, vm.objects.track_write(object, index, access, prot))
            }
            Lookup::Resident { frame, depth: 0 } => (frame, prot),
            Lookup::Resident { frame, .. } => {
                let shared_top = !entry.needs_copy && vm.objects.refs(object) > 1;
                if access == Access::Write || shared_top {
                    let copy = vm.frames.allocate().ok_or(FaultError::OutOfFrames)?;
                    vm.frames.mem_mut().copy(frame, copy);
                    vm.objects.insert_page(object, index, copy, &mut vm.frames);
                    if vm.objects.tracks_anonymous() {
                        vm.objects.mark_referenced(object, index);
                    }
                    copied_up = true;
                    (copy, prot)
                } else {
                    (frame, prot.without(Prot::WRITE))
                }
            }
            Lookup::Absent => {
                let zero = vm.frames.allocate().ok_or(FaultError::OutOfFrames)?;
                vm.frames.mem_mut().zero(zero);
                vm.objects.insert_page(object, index, zero, &mut vm.frames);
                if vm.objects.tracks_anonymous() {
                    vm.objects.mark_referenced(object, index);
                }
                (zero, prot)
            }
            Lookup::Pager { object, index } => return Err(FaultError::PagerRequest { object, index }),
        };
        let page = addr.page_down();
        let entered = self.pmap.enter(page, frame, prot);
        if entered.is_err() {
            self.pmap.remove(page, VAddr(page.0 + PAGE_SIZE));
        }
        if copied_up {
            // The page the copy hides may now be garbage: Mach collapses here too.
            vm.objects.collapse(object, &mut vm.frames);
        }
        entered.map_err(|_| FaultError::OutOfFrames)?;
        Ok(frame)
    }
}

#[cfg(test)]
mod tests {
    use crate::addr::{ObjectId, PageIndex, VAddr, PAGE_SIZE};
    use crate::entry::{Access, Prot};
    use crate::error::FaultError;
    use crate::frame::{PhysMem, VecMem};
    use crate::map::{Map, Placement};
    use crate::object::Pager;
    use crate::pmap::{Pmap, TreePmap};
    use crate::system::{Counts, Vm};

    fn setup(frames: usize) -> (Vm<VecMem>, Map<TreePmap>, VAddr) {
        let mut vm = Vm::new(VecMem::new(frames));
        let mut map = Map::new(VAddr(0x1000), VAddr(0x100000), TreePmap::new()).unwrap();
        let a =
            map.allocate(&mut vm, Placement::Fixed(VAddr(0x10000)), 4 * PAGE_SIZE, Prot::DEFAULT).unwrap();
        (vm, map, a)
    }

    #[test]
    fn zero_fill_then_protection() {
        let (mut vm, mut map, a) = setup(8);
        let frame = map.fault(&mut vm, VAddr(a.0 + 5), Access::Read).unwrap();
        let mut buf = [1u8; 16];
        vm.frames.mem().read(frame, 0, &mut buf);
        assert_eq!(buf, [0; 16]);
        assert_eq!(map.pmap().extract(a), Some((frame, Prot::DEFAULT)));
        assert_eq!(map.fault(&mut vm, a, Access::Execute), Err(FaultError::ProtectionFailure(a)));
        assert_eq!(
            map.fault(&mut vm, VAddr(0x2000), Access::Read),
            Err(FaultError::InvalidAddress(VAddr(0x2000)))
        );
        let owner = vm.frames.info(frame).unwrap().owner;
        assert_eq!(owner, Some((map.lookup(a).unwrap().object.unwrap(), PageIndex(0))));
        map.destroy(&mut vm);
        assert_eq!(vm.counts(), Counts::default());
    }

    #[test]
    fn out_of_frames_is_distinct_and_recoverable() {
        let (mut vm, mut map, a) = setup(1);
        map.fault(&mut vm, a, Access::Write).unwrap();
        assert_eq!(map.fault(&mut vm, VAddr(a.0 + PAGE_SIZE), Access::Write), Err(FaultError::OutOfFrames));
        vm.frames.mem_mut().set_limit(2);
        map.fault(&mut vm, VAddr(a.0 + PAGE_SIZE), Access::Write).unwrap();
        map.destroy(&mut vm);
        assert_eq!(vm.counts(), Counts::default());
    }

    #[test]
    fn external_pager_is_asked() {
        let (mut vm, mut map, _) = setup(4);
        let file = vm.objects.create(4, Pager::External(1));
        let at = Placement::Fixed(VAddr(0x20000));
        let va = map.map_object(&mut vm, at, PAGE_SIZE, Prot::READ, file, PageIndex(2), true).unwrap();
        assert_eq!(
            map.fault(&mut vm, va, Access::Read),
            Err(FaultError::PagerRequest { object: file, index: PageIndex(2) })
        );
        vm.supply_page(file, PageIndex(2), b"file data").unwrap();
        let frame = map.fault(&mut vm, va, Access::Read).unwrap();
        let mut buf = [0u8; 9];
        vm.frames.mem().read(frame, 0, &mut buf);
        assert_eq!(&buf, b"file data");
        map.destroy(&mut vm);
        assert_eq!(vm.counts(), Counts::default());
    }

    #[test]
    fn a_pager_lock_refuses_writes_and_first_writes_are_seen() {
        let (mut vm, mut map, _) = setup(8);
        let object = vm.objects.create(2, Pager::External(3));
        let at = Placement::Fixed(VAddr(0x40000));
        let va =
            map.map_object(&mut vm, at, 2 * PAGE_SIZE, Prot::DEFAULT, object, PageIndex(0), false).unwrap();
        vm.supply_page(object, PageIndex(0), b"shared").unwrap();
        vm.objects.set_lock(object, PageIndex(0), Prot::WRITE);
        let frame = map.fault(&mut vm, va, Access::Read).unwrap();
        assert_eq!(map.pmap().extract(va), Some((frame, Prot::READ)), "locked: mapped read-only");
        let refused = map.fault(&mut vm, va, Access::Write);
        assert_eq!(refused, Err(FaultError::PagerRequest { object, index: PageIndex(0) }));
        assert!(vm.objects.get(object).unwrap().dirty.is_empty());
        vm.objects.set_lock(object, PageIndex(0), Prot::NONE);
        let frame = map.fault(&mut vm, va, Access::Read).unwrap();
        assert_eq!(map.pmap().extract(va), Some((frame, Prot::READ)), "clean: mapped without write");
        map.fault(&mut vm, va, Access::Write).unwrap();
        assert_eq!(map.pmap().extract(va), Some((frame, Prot::DEFAULT)));
        assert!(vm.objects.take_dirty(object, PageIndex(0)), "the write made it dirty");
        assert!(!vm.objects.take_dirty(object, PageIndex(0)), "taking the mark cleans it");
        map.unmap_object_pages(&vm, object, PageIndex(0), 1);
        assert_eq!(map.pmap().extract(va), None, "unmapped everywhere the object is mapped");
        assert!(vm.objects.remove_page(object, PageIndex(0), &mut vm.frames));
        assert_eq!(
            map.fault(&mut vm, va, Access::Read),
            Err(FaultError::PagerRequest { object, index: PageIndex(0) }),
            "a flushed page is asked for again"
        );
        map.destroy(&mut vm);
        vm.objects.release(object, &mut vm.frames);
        assert_eq!(vm.counts(), Counts::default());
    }

    #[test]
    fn unmapping_an_object_page_reaches_mappings_through_shadows() {
        let (mut vm, mut map, _) = setup(8);
        let object = vm.objects.create(4, Pager::External(3));
        let at = Placement::Fixed(VAddr(0x40000));
        let va =
            map.map_object(&mut vm, at, 2 * PAGE_SIZE, Prot::DEFAULT, object, PageIndex(2), true).unwrap();
        vm.supply_page(object, PageIndex(2), b"two").unwrap();
        vm.supply_page(object, PageIndex(3), b"three").unwrap();
        map.write(&mut vm, va, b"TWO").unwrap();
        assert_ne!(map.lookup(va).unwrap().object, Some(object), "the write shadowed the object");
        let second = VAddr(va.0 + PAGE_SIZE);
        let frame = map.fault(&mut vm, second, Access::Read).unwrap();
        assert_eq!(map.pmap().extract(second), Some((frame, Prot::READ)));
        map.unmap_object_pages(&vm, object, PageIndex(2), 1);
        assert!(map.pmap().extract(second).is_some(), "page 2 of the object is not this one");
        assert_eq!(map.pmap().extract(va), None, "the shadow's own copy of page 2 is unmapped too: harmless");
        map.unmap_object_pages(&vm, object, PageIndex(3), 1);
        assert_eq!(map.pmap().extract(second), None);
        map.destroy(&mut vm);
        vm.objects.release(object, &mut vm.frames);
        assert_eq!(vm.counts(), Counts::default());
    }

    #[test]
    fn execute_needs_the_right_and_maps_it() {
        let (mut vm, mut map, a) = setup(4);
        map.protect(&mut vm, a, PAGE_SIZE, false, Prot::READ.union(Prot::EXECUTE)).unwrap();
        let frame = map.fault(&mut vm, a, Access::Execute).unwrap();
        assert_eq!(map.pmap().extract(a), Some((frame, Prot::from_bits_truncate(5))));
        assert_eq!(map.fault(&mut vm, a, Access::Write), Err(FaultError::ProtectionFailure(a)));
        let b = VAddr(a.0 + PAGE_SIZE);
        assert_eq!(map.fault(&mut vm, b, Access::Execute), Err(FaultError::ProtectionFailure(b)));
        map.protect(&mut vm, a, PAGE_SIZE, true, Prot::READ).unwrap();
        assert_eq!(map.pmap().extract(a), Some((frame, Prot::READ)), "lowering reaches the pmap");
        assert_eq!(
            map.protect(&mut vm, a, PAGE_SIZE, false, Prot::DEFAULT),
            Err(crate::error::VmError::ProtectionFailure)
        );
        map.destroy(&mut vm);
        assert_eq!(vm.counts(), Counts::default());
    }

    #[test]
    fn a_shared_object_mapping_writes_through() {
        let (mut vm, mut map, _) = setup(4);
        let object = vm.objects.create(2, Pager::Anonymous);
        vm.objects.reference(object);
        let at = Placement::Fixed(VAddr(0x40000));
        let va =
            map.map_object(&mut vm, at, 2 * PAGE_SIZE, Prot::DEFAULT, object, PageIndex(0), false).unwrap();
        let frame = map.fault(&mut vm, VAddr(va.0 + PAGE_SIZE), Access::Write).unwrap();
        vm.frames.mem_mut().write(frame, 0, b"x");
        assert_eq!(vm.objects.get(object).unwrap().pages.get(&PageIndex(1)), Some(&frame));
        map.destroy(&mut vm);
        assert_eq!(vm.objects.refs(object), 1, "the caller's reference remains");
        vm.objects.release(object, &mut vm.frames);
        assert_eq!(vm.counts(), Counts::default());
    }

    #[test]
    fn fork_copies_a_written_pager_mapping_or_refuses() {
        let (mut vm, mut map, _) = setup(8);
        let file = vm.objects.create(2, Pager::External(7));
        let at = Placement::Fixed(VAddr(0x40000));
        let va =
            map.map_object(&mut vm, at, 2 * PAGE_SIZE, Prot::DEFAULT, file, PageIndex(0), false).unwrap();
        vm.supply_page(file, PageIndex(0), b"page 0").unwrap();
        assert_eq!(map.fork(&mut vm, TreePmap::new()).err(), Some(crate::error::VmError::InvalidArgument));
        vm.supply_page(file, PageIndex(1), b"page 1").unwrap();
        let mut child = map.fork(&mut vm, TreePmap::new()).unwrap();
        map.write(&mut vm, va, b"PAGE").unwrap();
        assert_eq!(vm.objects.get(file).unwrap().pages.len(), 2, "the parent still writes the file object");
        let mut buf = [0u8; 6];
        child.read(&mut vm, va, &mut buf).unwrap();
        assert_eq!(&buf, b"page 0");
        map.read(&mut vm, va, &mut buf).unwrap();
        assert_eq!(&buf, b"PAGE 0");
        child.destroy(&mut vm);
        map.destroy(&mut vm);
        assert_eq!(vm.counts(), Counts::default());
    }

    /// Pages out page `index` of `object` the way the kernel's clock does (with a default
    /// pager: faults track anonymous pages): the default pager takes the object at its first
    /// page-out, then the page's frame is freed.
    fn page_out(vm: &mut Vm<VecMem>, map: &mut Map<TreePmap>, object: ObjectId, index: u32) {
        vm.objects.track_anonymous(true);
        vm.objects.give_to_default(object, 9);
        let va = VAddr(0x10000 + index * PAGE_SIZE);
        map.unmap_object_pages(vm, object, PageIndex(index), 1);
        assert!(map.pmap().extract(va).is_none());
        assert!(vm.objects.page_out(object, PageIndex(index), &mut vm.frames));
    }

    #[test]
    fn paged_out_anonymous_pages_come_from_the_default_pager() {
        let (mut vm, mut map, a) = setup(8);
        map.write(&mut vm, a, b"zero").unwrap();
        map.write(&mut vm, VAddr(a.0 + PAGE_SIZE), b"one").unwrap();
        let object = map.lookup(a).unwrap().object.unwrap();
        page_out(&mut vm, &mut map, object, 1);
        assert_eq!(vm.counts().frames, 1);
        let one = VAddr(a.0 + PAGE_SIZE);
        assert_eq!(
            map.fault(&mut vm, one, Access::Read),
            Err(FaultError::PagerRequest { object, index: PageIndex(1) })
        );
        // Pages never paged out are still anonymous: zeros, or what they hold.
        map.fault(&mut vm, VAddr(a.0 + 2 * PAGE_SIZE), Access::Read).unwrap();
        vm.supply_page(object, PageIndex(1), b"one").unwrap();
        // The pager holds a copy: clean, so mapped without write until written.
        let frame = map.fault(&mut vm, one, Access::Read).unwrap();
        assert_eq!(map.pmap().extract(one), Some((frame, Prot::READ)));
        assert!(!vm.objects.get(object).unwrap().dirty.contains(&PageIndex(1)));
        map.fault(&mut vm, one, Access::Write).unwrap();
        assert_eq!(map.pmap().extract(one), Some((frame, Prot::DEFAULT)));
        assert!(vm.objects.get(object).unwrap().dirty.contains(&PageIndex(1)));
        // Page 0 never went out: written whole at its page-out, so mapped with write.
        assert_eq!(map.pmap().extract(a).map(|(_, p)| p), Some(Prot::DEFAULT));
        map.destroy(&mut vm);
        assert_eq!(vm.counts(), Counts::default());
        assert_eq!(vm.objects.take_ended(), [(object, 9)], "the pager is told the object ended");
        assert!(vm.objects.take_ended().is_empty());
    }

    #[test]
    fn a_shadow_sees_its_backings_paged_out_pages() {
        let (mut vm, mut parent, a) = setup(8);
        parent.write(&mut vm, a, b"parent").unwrap();
        let object = parent.lookup(a).unwrap().object.unwrap();
        let mut child = parent.fork(&mut vm, TreePmap::new()).unwrap();
        child.unmap_object_pages(&vm, object, PageIndex(0), 1);
        page_out(&mut vm, &mut parent, object, 0);
        // The child's write shadows the object; the page it copies is with the pager.
        assert_eq!(
            child.write(&mut vm, a, b"C"),
            Err(FaultError::PagerRequest { object, index: PageIndex(0) })
        );
        vm.supply_page(object, PageIndex(0), b"parent").unwrap();
        child.write(&mut vm, a, b"C").unwrap();
        let mut buf = [0u8; 6];
        child.read(&mut vm, a, &mut buf).unwrap();
        assert_eq!(&buf, b"Carent");
        parent.read(&mut vm, a, &mut buf).unwrap();
        assert_eq!(&buf, b"parent");
        child.destroy(&mut vm);
        parent.destroy(&mut vm);
        assert_eq!(vm.counts(), Counts::default());
    }

    #[test]
    fn collapse_keeps_a_shadows_paged_out_page_over_its_backings() {
        let (mut vm, mut parent, a) = setup(8);
        parent.write(&mut vm, a, b"old").unwrap();
        let mut child = parent.fork(&mut vm, TreePmap::new()).unwrap();
        child.write(&mut vm, a, b"new").unwrap();
        let top = child.lookup(a).unwrap().object.unwrap();
        page_out(&mut vm, &mut child, top, 0);
        // The parent goes: its object is the child's shadow's alone, and merges up — but not
        // over the page the pager holds.
        parent.destroy(&mut vm);
        vm.objects.collapse(top, &mut vm.frames);
        assert_eq!(vm.objects.depth(top), 1);
        assert_eq!(
            child.fault(&mut vm, a, Access::Read),
            Err(FaultError::PagerRequest { object: top, index: PageIndex(0) })
        );
        vm.supply_page(top, PageIndex(0), b"new").unwrap();
        let mut buf = [0u8; 3];
        child.read(&mut vm, a, &mut buf).unwrap();
        assert_eq!(&buf, b"new");
        child.destroy(&mut vm);
        assert_eq!(vm.counts(), Counts::default());
    }

    #[test]
    fn a_wired_maps_objects_are_wired() {
        let (mut vm, mut map, a) = setup(8);
        map.write(&mut vm, a, b"before").unwrap();
        map.wire(&mut vm);
        let later =
            map.allocate(&mut vm, Placement::Fixed(VAddr(0x20000)), PAGE_SIZE, Prot::DEFAULT).unwrap();
        map.write(&mut vm, later, b"after").unwrap();
        for va in [a, later] {
            let object = map.lookup(va).unwrap().object.unwrap();
            assert!(vm.objects.get(object).unwrap().wired);
        }
        let child = map.fork(&mut vm, TreePmap::new()).unwrap();
        assert!(!child.is_wired());
        child.destroy(&mut vm);
        map.destroy(&mut vm);
        assert_eq!(vm.counts(), Counts::default());
    }

    #[test]
    fn anonymous_pages_are_marked_referenced_only_while_tracked() {
        let (mut vm, mut map, a) = setup(8);
        map.fault(&mut vm, a, Access::Write).unwrap();
        let object = map.lookup(a).unwrap().object.unwrap();
        assert!(vm.objects.get(object).unwrap().referenced.is_empty(), "no clock passes them");
        vm.objects.track_anonymous(true);
        map.fault(&mut vm, VAddr(a.0 + PAGE_SIZE), Access::Write).unwrap();
        assert!(vm.objects.take_referenced(object, PageIndex(1)));
        assert!(!vm.objects.take_referenced(object, PageIndex(1)), "taking the mark clears it");
        map.fault(&mut vm, a, Access::Read).unwrap();
        vm.objects.track_anonymous(false);
        assert!(vm.objects.get(object).unwrap().referenced.is_empty(), "marks dropped when turned off");
        map.destroy(&mut vm);
        assert_eq!(vm.counts(), Counts::default());
    }
}
