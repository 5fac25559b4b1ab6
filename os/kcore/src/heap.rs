//! The kernel heap: a first-fit allocator over one contiguous region, behind `alloc`, with
//! a cache of small blocks in front of it.
//!
//! Free memory is a list of blocks sorted by address, each block holding its own header
//! (`size`, `next`) in its first 8 bytes. Sizes are rounded up to 8 bytes, so every block can
//! hold a header; `dealloc` gets the size back from the `Layout`, so allocated blocks carry
//! no header. Freeing merges a block with its neighbours, so the heap does not fragment into
//! slivers. The kernel is never interrupted, so a [`Global`] is lock enough.
//!
//! Walking that list costs a step per free block, and the kernels allocate small blocks on
//! every message (a port message's bytes and items, a wake-up list). So a freed block of up to
//! [`SMALL_MAX`] bytes goes onto a list of its own size instead (a *size class*, as a slab
//! allocator keeps), from which the next allocation of that size takes it in a few
//! instructions. Cached blocks count as free. When the address-ordered list cannot serve a
//! request, every cached block goes back into it (merging with its neighbours) and the
//! request is tried again, so the cache never makes an allocation fail that would have
//! succeeded without it.

use core::alloc::{GlobalAlloc, Layout};
use core::ptr;

use crate::global::Global;

const GRANULE: usize = 8;
/// The largest block the size classes cache.
const SMALL_MAX: usize = 256;
/// Size classes: one list per multiple of [`GRANULE`] up to [`SMALL_MAX`].
const CLASSES: usize = SMALL_MAX / GRANULE;

#[repr(C)]
struct FreeBlock {
    size: usize,
    next: *mut FreeBlock,
}

struct Heap {
    head: *mut FreeBlock,
    /// Freed small blocks by size class (`size / GRANULE - 1`), linked through `next`.
    small: [*mut FreeBlock; CLASSES],
    free: usize,
    total: usize,
}

/// The allocator behind `alloc::boxed::Box`, `Vec` and the rest.
pub struct KernelHeap(Global<Heap>);

#[global_allocator]
static HEAP: KernelHeap = KernelHeap(Global::new(
    "kernel heap",
    Heap { head: ptr::null_mut(), small: [ptr::null_mut(); CLASSES], free: 0, total: 0 },
));

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
    /// A block of `size` bytes (a multiple of [`GRANULE`]) aligned to `align`: from its size
    /// class if one is cached there, else first fit (after giving the cache back, if that is
    /// what it takes).
    fn allocate(&mut self, size: usize, align: usize) -> *mut u8 {
        if size <= SMALL_MAX && align == GRANULE {
            let class = &mut self.small[size / GRANULE - 1];
            let block = *class;
            if !block.is_null() {
                // Safety: a cached block is free memory holding a valid header.
                *class = unsafe { (*block).next };
                self.free -= size;
                return block.cast();
            }
        }
        let block = self.take(size, align);
        if !block.is_null() {
            return block;
        }
        if self.flush() {
            self.take(size, align)
        } else {
            ptr::null_mut()
        }
    }

    /// Gives back a block `allocate` carved for `size` bytes.
    ///
    /// # Safety
    /// As for [`Heap::insert`].
    unsafe fn release(&mut self, start: usize, size: usize) {
        if size <= SMALL_MAX {
            let class = &mut self.small[size / GRANULE - 1];
            let block = start as *mut FreeBlock;
            // Safety: the caller gives the block back; it has room for a header.
            unsafe { block.write(FreeBlock { size, next: *class }) };
            *class = block;
            self.free += size;
        } else {
            // Safety: as the caller says.
            unsafe { self.insert(start, size) };
        }
    }

    /// Puts every cached small block back into the address-ordered list; whether there was
    /// any.
    fn flush(&mut self) -> bool {
        let mut any = false;
        for class in 0..CLASSES {
            let mut block = core::mem::replace(&mut self.small[class], ptr::null_mut());
            while !block.is_null() {
                // Safety: a cached block is free memory holding a valid header.
                let (size, next) = unsafe { ((*block).size, (*block).next) };
                self.free -= size;
                // Safety: the block is free heap memory, GRANULE-aligned, of its class's size.
                unsafe { self.insert(block as usize, size) };
                block = next;
                any = true;
            }
        }
        any
    }

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
        self.0.lock().allocate(block_size(layout), layout.align().max(GRANULE))
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // Safety: the caller returns a block `alloc` gave out for this layout.
        unsafe { self.0.lock().release(ptr as usize, block_size(layout)) }
    }
}
