//! The machine-wide state every map works against: the memory objects, the frame table and the
//! count of map entries, with the counters a leak check reads.
//!
//! Invariant: when every map has been destroyed, [`Vm::counts`] is all zeros.

use crate::addr::{ObjectId, PageIndex, PAGE_SIZE};
use crate::error::VmError;
use crate::frame::{FrameTable, PhysMem};
use crate::object::Objects;

/// Everything outside the maps: objects and frames.
#[derive(Debug)]
pub struct Vm<M> {
    /// Every memory object.
    pub objects: Objects,
    /// Every frame in use.
    pub frames: FrameTable<M>,
    pub(crate) entries: usize,
}

/// What is alive, for leak checks.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    /// Memory objects.
    pub objects: usize,
    /// Frames in use.
    pub frames: usize,
    /// Entries over all maps.
    pub entries: usize,
}

impl<M: PhysMem> Vm<M> {
    /// No object, frame or entry yet, over physical memory `mem`.
    pub fn new(mem: M) -> Vm<M> {
        Vm { objects: Objects::new(), frames: FrameTable::new(mem), entries: 0 }
    }

    /// Objects, frames and entries alive.
    pub fn counts(&self) -> Counts {
        Counts { objects: self.objects.len(), frames: self.frames.in_use(), entries: self.entries }
    }

    /// The longest shadow chain of any object (1: an object with no backing).
    pub fn deepest_chain(&self) -> usize {
        self.objects.deepest_chain()
    }

    /// Makes `data` (at most a page; zeros after it) page `index` of `object`, as its pager
    /// supplies it after a [`FaultError::PagerRequest`](crate::FaultError::PagerRequest).
    pub fn supply_page(&mut self, object: ObjectId, index: PageIndex, data: &[u8]) -> Result<(), VmError> {
        if data.len() > PAGE_SIZE as usize || self.objects.get(object).is_none() {
            return Err(VmError::InvalidArgument);
        }
        let frame = self.frames.allocate().ok_or(VmError::ResourceShortage)?;
        self.frames.mem_mut().zero(frame);
        self.frames.mem_mut().write(frame, 0, data);
        self.objects.insert_page(object, index, frame, &mut self.frames);
        Ok(())
    }
}
