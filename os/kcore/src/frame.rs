//! The physical frame allocator: 4 KiB frames of RAM for page tables and user pages.
//!
//! Free frames form a stack linked through their own first word (RAM is identity-mapped for
//! the kernel, so a frame's physical address is also a pointer to it). Allocation and freeing
//! are O(1); every frame handed out is zeroed, so no process sees another's old data.

use crate::global::Global;

/// Bytes in a frame (and a page).
pub const FRAME_SIZE: u32 = ox32::pte::PAGE_SIZE;

/// A physical frame: the page-aligned physical address of 4 KiB of RAM.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Frame(u32);

impl Frame {
    /// The frame at `addr`, which must be page-aligned.
    pub const fn from_addr(addr: u32) -> Frame {
        assert!(addr % FRAME_SIZE == 0, "frame address not page-aligned");
        Frame(addr)
    }

    /// The physical address of the first byte.
    pub const fn addr(self) -> u32 {
        self.0
    }

    /// The frame's bytes.
    ///
    /// # Safety
    /// The frame must be RAM the caller owns (allocated and not freed), with no other live
    /// reference to it.
    pub unsafe fn bytes_mut(self) -> &'static mut [u8; FRAME_SIZE as usize] {
        // Safety: RAM is identity-mapped for the kernel and the caller owns the frame.
        unsafe { &mut *(self.0 as *mut [u8; FRAME_SIZE as usize]) }
    }
}

struct FreeList {
    /// The first free frame (0: none).
    head: u32,
    free: u32,
    total: u32,
}

static FRAMES: Global<FreeList> = Global::new("frame allocator", FreeList { head: 0, free: 0, total: 0 });

/// Hands the frames of `start..end` (page-aligned physical addresses) to the allocator.
///
/// # Safety
/// The range must be RAM that nothing else uses, now or later.
pub unsafe fn init(start: u32, end: u32) {
    let mut frames = FRAMES.lock();
    let mut addr = end;
    while addr > start {
        addr -= FRAME_SIZE;
        // Safety: the caller gives us the range; the first word of a free frame is its link.
        unsafe { (addr as *mut u32).write(frames.head) };
        frames.head = addr;
        frames.free += 1;
        frames.total += 1;
    }
}

/// A zeroed frame, or `None` when RAM is exhausted.
pub fn alloc() -> Option<Frame> {
    let mut frames = FRAMES.lock();
    if frames.head == 0 {
        return None;
    }
    let frame = Frame(frames.head);
    // Safety: the head is a free frame, so we own it; its first word is the next link.
    frames.head = unsafe { (frame.0 as *const u32).read() };
    frames.free -= 1;
    drop(frames);
    // Safety: the frame was just taken off the free list: nobody else refers to it.
    unsafe { frame.bytes_mut().fill(0) };
    Some(frame)
}

/// Returns `frame` to the allocator.
///
/// # Safety
/// The frame must have come from [`alloc`] and nothing may use it any more.
pub unsafe fn free(frame: Frame) {
    let mut frames = FRAMES.lock();
    // Safety: the caller gives the frame up; its first word becomes the link.
    unsafe { (frame.0 as *mut u32).write(frames.head) };
    frames.head = frame.0;
    frames.free += 1;
}

/// Free frames and all frames.
pub fn stats() -> (u32, u32) {
    let frames = FRAMES.lock();
    (frames.free, frames.total)
}
