//! Physical frames: the machine-dependent [`PhysMem`] that the kernel implements, the
//! [`FrameTable`] that keeps each frame's metadata, and [`VecMem`], a host double.
//!
//! Invariants: every frame handed out by [`FrameTable::allocate`] has an entry in the table until
//! its reference count returns to zero, and only then goes back to the [`PhysMem`]; a frame
//! resident in a memory object holds one reference and names that object and page as its owner;
//! page tables ([`Pmap`](crate::Pmap)s) map frames but hold no reference: the map layer removes
//! a mapping before the page it maps leaves its object.

use alloc::vec::Vec;

use crate::addr::{FrameId, ObjectId, PageIndex, PAGE_SIZE};

/// Physical memory as the kernel provides it: whole frames, and copies into and out of them.
pub trait PhysMem {
    /// A frame nobody uses (contents unspecified), or `None` when memory is exhausted.
    fn allocate(&mut self) -> Option<FrameId>;
    /// Gives `frame` back (it came from [`PhysMem::allocate`] and nothing uses it any more).
    fn free(&mut self, frame: FrameId);
    /// Fills `frame` with zeros.
    fn zero(&mut self, frame: FrameId);
    /// Copies all of `from` over `to` (the same frame: nothing to do).
    fn copy(&mut self, from: FrameId, to: FrameId);
    /// Copies bytes of `frame` from `offset` into `buf` (`offset + buf.len()` ≤ a page).
    fn read(&self, frame: FrameId, offset: usize, buf: &mut [u8]);
    /// Copies `data` into `frame` at `offset` (`offset + data.len()` ≤ a page).
    fn write(&mut self, frame: FrameId, offset: usize, data: &[u8]);
}

/// What the table knows of one frame in use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FrameInfo {
    /// References: one for the object page holding it, one for each temporary hold.
    pub refs: u32,
    /// The object and page it is resident in, if any.
    pub owner: Option<(ObjectId, PageIndex)>,
}

/// The frames in use and their metadata, over a [`PhysMem`]. The metadata sit in a vector
/// indexed by frame number from the lowest frame seen (frames are numbered densely: a node's
/// RAM), so every page fault, copy and release finds a frame's in one step.
#[derive(Debug)]
pub struct FrameTable<M> {
    mem: M,
    /// `info[i]` is frame `base + i`'s, if it is in use.
    info: Vec<Option<FrameInfo>>,
    base: u32,
    in_use: usize,
}

impl<M: PhysMem> FrameTable<M> {
    /// A table with no frame in use, over `mem`.
    pub fn new(mem: M) -> FrameTable<M> {
        FrameTable { mem, info: Vec::new(), base: 0, in_use: 0 }
    }

    fn slot(&self, frame: FrameId) -> Option<&FrameInfo> {
        let i = frame.0.checked_sub(self.base)? as usize;
        self.info.get(i)?.as_ref()
    }

    fn slot_mut(&mut self, frame: FrameId) -> Option<&mut FrameInfo> {
        let i = frame.0.checked_sub(self.base)? as usize;
        self.info.get_mut(i)?.as_mut()
    }

    /// Records `info` for `frame`, growing the vector to reach it.
    fn insert(&mut self, frame: FrameId, info: FrameInfo) {
        if self.info.is_empty() {
            self.base = frame.0;
        } else if frame.0 < self.base {
            let more = (self.base - frame.0) as usize;
            self.info.splice(0..0, core::iter::repeat_n(None, more));
            self.base = frame.0;
        }
        let i = (frame.0 - self.base) as usize;
        if i >= self.info.len() {
            self.info.resize(i + 1, None);
        }
        if self.info[i].replace(info).is_none() {
            self.in_use += 1;
        }
    }

    /// The physical memory.
    pub fn mem(&self) -> &M {
        &self.mem
    }

    /// The physical memory, for copies into frames.
    pub fn mem_mut(&mut self) -> &mut M {
        &mut self.mem
    }

    /// A frame with one reference and no owner yet (contents unspecified), or `None`.
    pub fn allocate(&mut self) -> Option<FrameId> {
        let frame = self.mem.allocate()?;
        self.insert(frame, FrameInfo { refs: 1, owner: None });
        Some(frame)
    }

    /// Records that `frame` is resident in `object` at `index` (or in nothing).
    pub fn set_owner(&mut self, frame: FrameId, owner: Option<(ObjectId, PageIndex)>) {
        if let Some(info) = self.slot_mut(frame) {
            info.owner = owner;
        }
    }

    /// Takes one more reference on `frame` (in use).
    pub fn retain(&mut self, frame: FrameId) {
        if let Some(info) = self.slot_mut(frame) {
            info.refs += 1;
        }
    }

    /// Drops one reference on `frame`; at zero the frame goes back to the physical memory.
    pub fn release(&mut self, frame: FrameId) {
        let Some(info) = self.slot_mut(frame) else { return };
        info.refs -= 1;
        if info.refs == 0 {
            let i = (frame.0 - self.base) as usize;
            self.info[i] = None;
            self.in_use -= 1;
            self.mem.free(frame);
        }
    }

    /// The metadata of `frame`, if it is in use.
    pub fn info(&self, frame: FrameId) -> Option<FrameInfo> {
        self.slot(frame).copied()
    }

    /// Frames in use.
    pub fn in_use(&self) -> usize {
        self.in_use
    }
}

/// A host double of physical memory: frames in a vector, at most `limit` of them in use.
#[derive(Clone, Debug, Default)]
pub struct VecMem {
    frames: Vec<[u8; PAGE_SIZE as usize]>,
    free: Vec<u32>,
    limit: usize,
}

impl VecMem {
    /// Memory of at most `limit` frames in use at once.
    pub fn new(limit: usize) -> VecMem {
        VecMem { frames: Vec::new(), free: Vec::new(), limit }
    }

    /// Frames handed out and not freed.
    pub fn in_use(&self) -> usize {
        self.frames.len() - self.free.len()
    }

    /// Changes how many frames may be in use at once.
    pub fn set_limit(&mut self, limit: usize) {
        self.limit = limit;
    }

    fn bytes(&self, frame: FrameId) -> &[u8; PAGE_SIZE as usize] {
        &self.frames[frame.0 as usize]
    }
}

impl PhysMem for VecMem {
    fn allocate(&mut self) -> Option<FrameId> {
        if self.in_use() >= self.limit {
            return None;
        }
        // Fill reused frames with garbage, so a missing zero-fill or copy shows in tests.
        if let Some(n) = self.free.pop() {
            self.frames[n as usize].fill(0xa5);
            return Some(FrameId(n));
        }
        let n = u32::try_from(self.frames.len()).ok()?;
        self.frames.push([0xa5; PAGE_SIZE as usize]);
        Some(FrameId(n))
    }

    fn free(&mut self, frame: FrameId) {
        assert!(!self.free.contains(&frame.0), "VecMem: frame {} freed twice", frame.0);
        self.free.push(frame.0);
    }

    fn zero(&mut self, frame: FrameId) {
        self.frames[frame.0 as usize].fill(0);
    }

    fn copy(&mut self, from: FrameId, to: FrameId) {
        if from != to {
            let bytes = *self.bytes(from);
            self.frames[to.0 as usize] = bytes;
        }
    }

    fn read(&self, frame: FrameId, offset: usize, buf: &mut [u8]) {
        buf.copy_from_slice(&self.bytes(frame)[offset..offset + buf.len()]);
    }

    fn write(&mut self, frame: FrameId, offset: usize, data: &[u8]) {
        self.frames[frame.0 as usize][offset..offset + data.len()].copy_from_slice(data);
    }
}

#[cfg(test)]
mod tests {
    use super::{FrameTable, PhysMem, VecMem};
    use crate::addr::{FrameId, ObjectId, PageIndex};

    /// Frames handed out from the top down, as a free list may.
    struct Descending(u32);

    impl PhysMem for Descending {
        fn allocate(&mut self) -> Option<FrameId> {
            self.0 = self.0.checked_sub(3)?;
            Some(FrameId(self.0))
        }
        fn free(&mut self, _: FrameId) {}
        fn zero(&mut self, _: FrameId) {}
        fn copy(&mut self, _: FrameId, _: FrameId) {}
        fn read(&self, _: FrameId, _: usize, _: &mut [u8]) {}
        fn write(&mut self, _: FrameId, _: usize, _: &[u8]) {}
    }

    #[test]
    fn the_table_reaches_frames_below_the_first() {
        let mut table = FrameTable::new(Descending(0x8_0100));
        let frames: alloc::vec::Vec<FrameId> = (0..5).map(|_| table.allocate().unwrap()).collect();
        assert_eq!(frames[4], FrameId(0x8_0100 - 15));
        for (i, frame) in frames.iter().enumerate() {
            table.set_owner(*frame, Some((ObjectId(i as u32), PageIndex(7))));
        }
        assert_eq!(table.in_use(), 5);
        for (i, frame) in frames.iter().enumerate() {
            assert_eq!(table.info(*frame).and_then(|f| f.owner), Some((ObjectId(i as u32), PageIndex(7))));
        }
        assert_eq!(table.info(FrameId(0x8_0100 - 4)), None, "a frame between two in use");
        assert_eq!(table.info(FrameId(1)), None, "far below");
        assert_eq!(table.info(FrameId(u32::MAX)), None, "far above");
        table.retain(frames[2]);
        table.release(frames[2]);
        assert_eq!(table.in_use(), 5);
        table.release(frames[2]);
        assert_eq!((table.in_use(), table.info(frames[2])), (4, None));
    }

    #[test]
    fn vec_mem_limits_and_reuses() {
        let mut mem = VecMem::new(2);
        let a = mem.allocate().unwrap();
        let b = mem.allocate().unwrap();
        assert_eq!(mem.allocate(), None);
        mem.zero(a);
        mem.write(a, 10, b"hi");
        mem.copy(a, b);
        let mut buf = [0u8; 3];
        mem.read(b, 9, &mut buf);
        assert_eq!(&buf, b"\0hi");
        mem.free(a);
        assert_eq!(mem.in_use(), 1);
        assert_eq!(mem.allocate(), Some(a));
    }

    #[test]
    fn table_counts_references() {
        let mut table = FrameTable::new(VecMem::new(4));
        let f = table.allocate().unwrap();
        table.set_owner(f, Some((ObjectId(3), PageIndex(7))));
        table.retain(f);
        assert_eq!(table.info(f).unwrap().refs, 2);
        table.release(f);
        assert_eq!(table.info(f).unwrap().owner, Some((ObjectId(3), PageIndex(7))));
        table.release(f);
        assert_eq!(table.info(f), None);
        assert_eq!((table.in_use(), table.mem().in_use()), (0, 0));
    }
}
