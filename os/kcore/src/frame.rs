//! The physical frame allocator: 4 KiB frames of RAM for page tables and user pages.
//!
//! Freed frames form a stack linked through their own first word (RAM is identity-mapped for
//! the kernel, so a frame's physical address is also a pointer to it); frames never handed
//! out yet are the rest of the range, taken from its low end once the stack is empty. So a
//! frame is first written when it is first allocated: RAM a node never uses is never touched
//! (the emulator, like a host OS, backs a guest's RAM only as it is touched: a 4 MiB
//! satellite that idles costs its host about what it uses, not its 4 MiB). Frames come out
//! in the same order as from one stack of every frame, lowest first. Allocation and freeing
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
    /// The frame freed last (0: none).
    head: u32,
    /// Frames never handed out: `fresh..end`.
    fresh: u32,
    end: u32,
    free: u32,
    total: u32,
}

static FRAMES: Global<FreeList> =
    Global::new("frame allocator", FreeList { head: 0, fresh: 0, end: 0, free: 0, total: 0 });

/// Hands the frames of `start..end` (page-aligned physical addresses) to the allocator, once,
/// at boot; none of them is written until it is allocated.
///
/// # Safety
/// The range must be RAM that nothing else uses, now or later.
pub unsafe fn init(start: u32, end: u32) {
    let mut frames = FRAMES.lock();
    assert!(frames.total == 0, "the frame allocator is given its RAM once");
    let count = end.saturating_sub(start) / FRAME_SIZE;
    (frames.fresh, frames.end) = (start, start + count * FRAME_SIZE);
    (frames.free, frames.total) = (count, count);
}

/// A zeroed frame, or `None` when RAM is exhausted.
pub fn alloc() -> Option<Frame> {
    let mut frames = FRAMES.lock();
    let frame = if frames.head != 0 {
        let frame = Frame(frames.head);
        // Safety: the head is a free frame, so we own it; its first word is the next link.
        frames.head = unsafe { (frame.0 as *const u32).read() };
        frame
    } else if frames.fresh < frames.end {
        let frame = Frame(frames.fresh);
        frames.fresh += FRAME_SIZE;
        frame
    } else {
        return None;
    };
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
