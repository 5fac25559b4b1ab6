//! The global allocator of user programs: power-of-two size classes over memory from `sbrk`.
//!
//! A request is rounded up to a power of two (at least 8 bytes); freed blocks go on the free
//! list of their class and are reused by the next request of that class. New blocks are cut
//! from an arena at the break, which grows by `sbrk` in steps of at least [`GROW`] bytes.
//! Memory is never given back to the kernel. Simple and predictable: a program's allocations
//! cost at most twice what they ask for.

use core::alloc::{GlobalAlloc, Layout};
use core::cell::UnsafeCell;
use core::ptr;

use crate::sys;

/// Smallest step the arena grows by.
const GROW: usize = 16 * 1024;
/// Size classes: 8 bytes to 2 GiB.
const CLASSES: usize = 29;

struct State {
    free: [*mut u8; CLASSES],
    next: usize,
    end: usize,
}

/// The allocator; `#[global_allocator]` below.
pub struct SbrkHeap(UnsafeCell<State>);

// Safety: a user process has one thread, and the allocator is not re-entered (it calls only
// `sbrk`, which does not allocate).
unsafe impl Sync for SbrkHeap {}

#[global_allocator]
static HEAP: SbrkHeap =
    SbrkHeap(UnsafeCell::new(State { free: [ptr::null_mut(); CLASSES], next: 0, end: 0 }));

fn class_of(layout: Layout) -> usize {
    let size = layout.size().max(layout.align()).max(8).next_power_of_two();
    size.trailing_zeros() as usize - 3
}

impl State {
    fn carve(&mut self, size: usize, align: usize) -> *mut u8 {
        let mut start = self.next.next_multiple_of(align);
        if start + size > self.end || self.end == 0 {
            let want = (size + align).max(GROW).next_multiple_of(4096);
            let Ok(old) = sys::sbrk(want as i32) else { return ptr::null_mut() };
            let old = old as usize;
            if old != self.end {
                // Someone else moved the break: start a new arena here.
                self.next = old;
            }
            self.end = old + want;
            start = self.next.next_multiple_of(align);
        }
        self.next = start + size;
        start as *mut u8
    }
}

// Safety: blocks come from the arena (disjoint, never handed out twice) or from a free list
// of the same class (freed by `dealloc`); each satisfies the layout's size and alignment
// (checked for reused blocks).
unsafe impl GlobalAlloc for SbrkHeap {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // Safety: single-threaded and not re-entered (see the Sync impl).
        let state = unsafe { &mut *self.0.get() };
        let class = class_of(layout);
        if class >= CLASSES {
            return ptr::null_mut();
        }
        let head = state.free[class];
        if !head.is_null() && head as usize % layout.align() == 0 {
            // Safety: a free block's first word links to the next free block of its class.
            state.free[class] = unsafe { *(head as *mut *mut u8) };
            return head;
        }
        state.carve(8 << class, layout.align().max(8))
    }

    unsafe fn dealloc(&self, block: *mut u8, layout: Layout) {
        // Safety: single-threaded and not re-entered (see the Sync impl).
        let state = unsafe { &mut *self.0.get() };
        let class = class_of(layout);
        // Safety: the block is at least 8 bytes and 8-aligned, and is ours again.
        unsafe { *(block as *mut *mut u8) = state.free[class] };
        state.free[class] = block;
    }
}
