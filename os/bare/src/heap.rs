//! The global allocator: power-of-two size classes with free lists, over the heap region that
//! `link.x` reserves (`__heap_start..__heap_end`, 16 MiB unless the program's link says
//! otherwise).
//!
//! A request is rounded up to a power of two of at least [`MIN_BLOCK`] bytes (and at least its
//! alignment); a freed block goes on its class's free list and is reused by the next request
//! of that class; otherwise blocks are cut from the untouched end of the region. Every block is
//! aligned to its size or to [`MAX_ALIGN`], whichever is smaller, so a reused block meets any
//! alignment its class can be asked for; larger alignments are refused. Simple, deterministic, and
//! never slower than O(1); it wastes up to half of each block and never merges blocks, which
//! is fine for test programs. Out of memory is `null` (Rust's `handle_alloc_error` then
//! panics).
//!
//! Single-threaded: the program is the only thread and no interrupt handler allocates.

use core::alloc::{GlobalAlloc, Layout};
use core::cell::UnsafeCell;
use core::ptr;

/// The smallest block: room for the free-list link with margin.
pub const MIN_BLOCK: usize = 16;
/// The largest alignment served (a page).
pub const MAX_ALIGN: usize = 4096;
/// Number of size classes: 16 B .. 2 GiB.
const CLASSES: usize = 28;

extern "C" {
    static mut __heap_start: u8;
    static mut __heap_end: u8;
}

struct State {
    /// The next untouched byte; 0 until the first allocation.
    next: usize,
    /// Head of each class's free list (0 = empty); a free block's first word links to the next.
    free: [usize; CLASSES],
}

/// The allocator (installed as `#[global_allocator]`).
pub struct Heap {
    state: UnsafeCell<State>,
}

// Safety: the program is single-threaded (see the module docs).
unsafe impl Sync for Heap {}

#[global_allocator]
static HEAP: Heap = Heap { state: UnsafeCell::new(State { next: 0, free: [0; CLASSES] }) };

/// Bytes of the heap region not yet handed out (freed blocks not counted).
pub fn untouched() -> usize {
    // Safety: single-threaded; only reads.
    let state = unsafe { &*HEAP.state.get() };
    let end = ptr::addr_of!(__heap_end) as usize;
    let next = if state.next == 0 { ptr::addr_of!(__heap_start) as usize } else { state.next };
    end - next
}

/// The class of a request: `log2` of its block size.
fn class_of(layout: Layout) -> Option<usize> {
    if layout.align() > MAX_ALIGN {
        return None;
    }
    let size = layout.size().max(layout.align()).max(MIN_BLOCK);
    let block = size.checked_next_power_of_two()?;
    let class = block.trailing_zeros() as usize - MIN_BLOCK.trailing_zeros() as usize;
    (class < CLASSES).then_some(class)
}

unsafe impl GlobalAlloc for Heap {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let Some(class) = class_of(layout) else { return ptr::null_mut() };
        // Safety: single-threaded, and no reference into the state outlives this call.
        let state = unsafe { &mut *self.state.get() };
        let head = state.free[class];
        if head != 0 {
            // Safety: `head` is a free block of this class; its first word is the link.
            state.free[class] = unsafe { (head as *const usize).read() };
            return head as *mut u8;
        }
        if state.next == 0 {
            state.next = ptr::addr_of!(__heap_start) as usize;
        }
        let size = MIN_BLOCK << class;
        let align = size.min(MAX_ALIGN);
        let start = (state.next + align - 1) & !(align - 1);
        let end = ptr::addr_of!(__heap_end) as usize;
        match start.checked_add(size) {
            Some(stop) if stop <= end => {
                state.next = stop;
                start as *mut u8
            }
            _ => ptr::null_mut(),
        }
    }

    unsafe fn dealloc(&self, block: *mut u8, layout: Layout) {
        let Some(class) = class_of(layout) else { return };
        // Safety: single-threaded; `block` came from `alloc` with this layout, so it is a
        // block of this class that nobody uses any more.
        unsafe {
            let state = &mut *self.state.get();
            (block as *mut usize).write(state.free[class]);
            state.free[class] = block as usize;
        }
    }
}
