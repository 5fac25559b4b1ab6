//! The kernel heap: a first-fit allocator over one contiguous region, behind `alloc`.
//!
//! Free memory is a list of blocks sorted by address, each block holding its own header
//! (`size`, `next`) in its first 8 bytes. Sizes are rounded up to 8 bytes, so every block can
//! hold a header; `dealloc` gets the size back from the `Layout`, so allocated blocks carry
//! no header. Freeing merges a block with its neighbours, so the heap does not fragment into
//! slivers. The kernel is never interrupted, so a [`Global`] is lock enough.

use core::alloc::{GlobalAlloc, Layout};
use core::ptr;

use crate::global::Global;

const GRANULE: usize = 8;

#[repr(C)]
struct FreeBlock {
    size: usize,
    next: *mut FreeBlock,
}

struct Heap {
    head: *mut FreeBlock,
    free: usize,
    total: usize,
}

/// The allocator behind `alloc::boxed::Box`, `Vec` and the rest.
pub struct KernelHeap(Global<Heap>);

#[global_allocator]
static HEAP: KernelHeap =
    KernelHeap(Global::new("kernel heap", Heap { head: ptr::null_mut(), free: 0, total: 0 }));

/// Hands `start..end` to the heap.
///
/// # Safety
/// The range must be RAM that nothing else uses, now or later.
pub unsafe fn init(start: usize, end: usize) {
    let start = start.next_multiple_of(GRANULE);
    let end = end & !(GRANULE - 1);
    let mut heap = HEAP.0.lock();
    heap.total += end - start;
    // Safety: the caller gives us the range.
    unsafe { heap.insert(start, end - start) };
}

/// Free bytes in the heap.
pub fn free_bytes() -> usize {
    HEAP.0.lock().free
}

/// Bytes in use and bytes of the whole heap.
pub fn usage() -> (usize, usize) {
    let heap = HEAP.0.lock();
    (heap.total - heap.free, heap.total)
}

fn block_size(layout: Layout) -> usize {
    layout.size().max(GRANULE).next_multiple_of(GRANULE)
}

impl Heap {
    /// Adds `start..start + size` to the free list in address order, merging neighbours.
    ///
    /// # Safety
    /// The range must be free heap memory, GRANULE-aligned, at least GRANULE bytes.
    unsafe fn insert(&mut self, start: usize, size: usize) {
        self.free += size;
        let mut prev: *mut FreeBlock = ptr::null_mut();
        let mut next = self.head;
        while !next.is_null() && (next as usize) < start {
            prev = next;
            // Safety: every list node is a free block with a valid header.
            next = unsafe { (*next).next };
        }
        let block = start as *mut FreeBlock;
        // Safety: the block is free memory we own now; prev and next are list nodes.
        unsafe {
            block.write(FreeBlock { size, next });
            if !next.is_null() && start + size == next as usize {
                (*block).size += (*next).size;
                (*block).next = (*next).next;
            }
            if prev.is_null() {
                self.head = block;
            } else if prev as usize + (*prev).size == start {
                (*prev).size += (*block).size;
                (*prev).next = (*block).next;
            } else {
                (*prev).next = block;
            }
        }
    }

    /// Carves a block of `size` bytes aligned to `align` out of the first free block that
    /// has room.
    fn take(&mut self, size: usize, align: usize) -> *mut u8 {
        let mut prev: *mut FreeBlock = ptr::null_mut();
        let mut node = self.head;
        while !node.is_null() {
            // Safety: every list node is a free block with a valid header.
            let (start, block_size, next) = unsafe { (node as usize, (*node).size, (*node).next) };
            let end = start + block_size;
            let aligned = start.next_multiple_of(align);
            if aligned + size <= end {
                // Unlink the block, then give back what is left on either side.
                if prev.is_null() {
                    self.head = next;
                } else {
                    // Safety: prev is a list node.
                    unsafe { (*prev).next = next };
                }
                self.free -= block_size;
                // Safety: both remainders are free memory, GRANULE-aligned (sizes and
                // alignments are multiples of GRANULE).
                unsafe {
                    if aligned > start {
                        self.insert(start, aligned - start);
                    }
                    if aligned + size < end {
                        self.insert(aligned + size, end - aligned - size);
                    }
                }
                return aligned as *mut u8;
            }
            prev = node;
            node = next;
        }
        ptr::null_mut()
    }
}

// Safety: `alloc` returns blocks from the free list, disjoint from every live allocation and
// aligned as asked; `dealloc` puts back exactly the block `alloc` carved for that layout.
unsafe impl GlobalAlloc for KernelHeap {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        self.0.lock().take(block_size(layout), layout.align().max(GRANULE))
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // Safety: the caller returns a block `alloc` gave out for this layout.
        unsafe { self.0.lock().insert(ptr as usize, block_size(layout)) }
    }
}
