//! Memory in transit: a range of a map captured copy-on-write for a port message's out-of-line
//! item, and placed in another map when the message is received (Mach's `vm_map_copyin` and
//! `vm_map_copyout`, with an entry-list copy object).
//!
//! Capturing makes the range's entries copy-on-write exactly as a fork by copy does (a shared
//! object is copied at once), and keeps their twins in a [`MapCopy`]: no page is copied until
//! the sender or the receiver writes it. The copy holds one reference on each object, given
//! back when it is placed (the map's entries take them over) or discarded (a message destroyed
//! unreceived).

use alloc::vec::Vec;

use crate::addr::VAddr;
use crate::entry::{Entry, Inheritance, Prot};
use crate::error::VmError;
use crate::frame::PhysMem;
use crate::map::{Map, Placement};
use crate::pmap::Pmap;
use crate::system::Vm;

/// A range of memory captured copy-on-write, not in any map: its entries' addresses are
/// offsets from the start of the range.
#[derive(Debug)]
pub struct MapCopy {
    size: u32,
    entries: Vec<Entry>,
}

impl MapCopy {
    /// Bytes of the range (a page multiple).
    pub fn size(&self) -> u32 {
        self.size
    }

    /// Gives back the copy's references: the message that carried it was destroyed.
    pub fn discard<M: PhysMem>(self, vm: &mut Vm<M>) {
        for entry in self.entries {
            if let Some(object) = entry.object {
                vm.objects.release(object, &mut vm.frames);
            }
        }
    }
}

impl<P: Pmap> Map<P> {
    /// Captures `size` bytes (a page multiple) from `start`, which must be allocated and
    /// readable, copy-on-write.
    pub fn copy_in<M: PhysMem>(
        &mut self,
        vm: &mut Vm<M>,
        start: VAddr,
        size: u32,
    ) -> Result<MapCopy, VmError> {
        if size == 0 || !start.is_page_aligned() || !size.is_multiple_of(crate::addr::PAGE_SIZE) {
            return Err(VmError::InvalidArgument);
        }
        let (start, end) = self.check_access(start, size, Prot::READ)?;
        self.clip(vm, start);
        self.clip(vm, end);
        let mut entries = Vec::new();
        for key in self.keys_overlapping(start, end) {
            match self.copy_entry(vm, key) {
                Ok(Some(mut twin)) => {
                    twin.start = VAddr(twin.start.0 - start.0);
                    twin.end = VAddr(twin.end.0 - start.0);
                    (twin.prot, twin.max, twin.inheritance) = (Prot::DEFAULT, Prot::ALL, Inheritance::Copy);
                    entries.push(twin);
                }
                Ok(None) => {}
                Err(error) => {
                    MapCopy { size, entries }.discard(vm);
                    return Err(error);
                }
            }
        }
        Ok(MapCopy { size, entries })
    }

    /// Places `copy` anywhere in this map, readable and writable; its start. Refused with
    /// [`VmError::NoSpace`], the copy is given back untouched.
    pub fn copy_out<M: PhysMem>(
        &mut self,
        vm: &mut Vm<M>,
        copy: MapCopy,
    ) -> Result<VAddr, (VmError, MapCopy)> {
        let (min, max) = self.bounds();
        let at = match self.place(Placement::Anywhere { min, max }, copy.size) {
            Ok(at) => at,
            Err(error) => return Err((error, copy)),
        };
        for mut entry in copy.entries {
            entry.start = VAddr(entry.start.0 + at.0);
            entry.end = VAddr(entry.end.0 + at.0);
            self.insert(vm, entry);
        }
        Ok(at)
    }
}

#[cfg(test)]
mod tests {
    use crate::addr::{VAddr, PAGE_SIZE};
    use crate::entry::Prot;
    use crate::error::VmError;
    use crate::frame::VecMem;
    use crate::map::{Map, Placement};
    use crate::pmap::TreePmap;
    use crate::system::{Counts, Vm};

    fn space() -> Map<TreePmap> {
        Map::new(VAddr(0x1000), VAddr(0x100000), TreePmap::new()).unwrap()
    }

    #[test]
    fn a_copy_is_isolated_both_ways_and_copies_only_what_is_written() {
        let mut vm = Vm::new(VecMem::new(64));
        let (mut a, mut b) = (space(), space());
        let at = a.allocate(&mut vm, Placement::Fixed(VAddr(0x10000)), 3 * PAGE_SIZE, Prot::DEFAULT).unwrap();
        a.write(&mut vm, at, b"first").unwrap();
        a.write(&mut vm, VAddr(at.0 + 2 * PAGE_SIZE), b"third").unwrap();
        let frames = vm.frames.in_use();
        // The middle page and the one after: clipped out of the entry.
        let copy = a.copy_in(&mut vm, VAddr(at.0 + PAGE_SIZE), 2 * PAGE_SIZE).unwrap();
        assert_eq!(copy.size(), 2 * PAGE_SIZE);
        let there = b.copy_out(&mut vm, copy).unwrap();
        assert_eq!(vm.frames.in_use(), frames, "nothing copied yet");
        let mut buf = [0u8; 5];
        b.read(&mut vm, VAddr(there.0 + PAGE_SIZE), &mut buf).unwrap();
        assert_eq!(&buf, b"third");
        b.write(&mut vm, VAddr(there.0 + PAGE_SIZE), b"THIRD").unwrap();
        a.read(&mut vm, VAddr(at.0 + 2 * PAGE_SIZE), &mut buf).unwrap();
        assert_eq!(&buf, b"third", "the sender keeps its page");
        a.write(&mut vm, VAddr(at.0 + 2 * PAGE_SIZE), b"3rd!!").unwrap();
        b.read(&mut vm, VAddr(there.0 + PAGE_SIZE), &mut buf).unwrap();
        assert_eq!(&buf, b"THIRD", "the receiver keeps its copy");
        a.destroy(&mut vm);
        b.destroy(&mut vm);
        assert_eq!(vm.counts(), Counts::default());
    }

    #[test]
    fn bad_ranges_are_refused_and_a_discarded_copy_leaks_nothing() {
        let mut vm = Vm::new(VecMem::new(16));
        let mut a = space();
        let at = a.allocate(&mut vm, Placement::Fixed(VAddr(0x10000)), PAGE_SIZE, Prot::DEFAULT).unwrap();
        a.write(&mut vm, at, b"x").unwrap();
        assert_eq!(a.copy_in(&mut vm, at, 2 * PAGE_SIZE).unwrap_err(), VmError::InvalidAddress);
        assert_eq!(a.copy_in(&mut vm, VAddr(at.0 + 1), PAGE_SIZE).unwrap_err(), VmError::InvalidArgument);
        assert_eq!(a.copy_in(&mut vm, at, 0).unwrap_err(), VmError::InvalidArgument);
        let copy = a.copy_in(&mut vm, at, PAGE_SIZE).unwrap();
        copy.discard(&mut vm);
        a.destroy(&mut vm);
        assert_eq!(vm.counts(), Counts::default());
    }
}
