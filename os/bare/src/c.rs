//! The runtime's side of C programs: the C heap functions over [`crate::heap`], the exit that
//! `libc.c` calls, and [`c_main!`](crate::c_main), which makes a C `main` the program's main
//! function (and flushes libc's output buffer when it returns).
//!
//! `c/orrery.h` and `c/libc.c` (beside this crate) are the C library; `cargo xtask bare
//! prog.c` compiles them with clang and links them with this crate.
//!
//! Every C allocation carries a 16-byte header holding its size, so `free` and `realloc` can
//! rebuild the `Layout` the Rust allocator needs.

use alloc::alloc::{alloc, alloc_zeroed, dealloc, Layout};
use core::ptr;

/// Bytes before each C allocation (keeps the pointer 16-byte aligned).
const HEADER: usize = 16;

fn layout(size: usize) -> Option<Layout> {
    Layout::from_size_align(size.checked_add(HEADER)?, HEADER).ok()
}

/// Allocates with `allocate` and records the size in the header.
///
/// # Safety
/// `allocate` must be `alloc` or `alloc_zeroed`.
unsafe fn allocate_with(size: usize, allocate: unsafe fn(Layout) -> *mut u8) -> *mut u8 {
    let Some(layout) = layout(size) else { return ptr::null_mut() };
    // Safety: the layout has a non-zero size (at least the header).
    let block = unsafe { allocate(layout) };
    if block.is_null() {
        return block;
    }
    // Safety: the block holds at least HEADER bytes, aligned to 16.
    unsafe {
        block.cast::<usize>().write(size);
        block.add(HEADER)
    }
}

/// `malloc(size)`: a 16-byte-aligned block, or null.
#[no_mangle]
pub extern "C" fn malloc(size: usize) -> *mut u8 {
    // Safety: `alloc` is one of the two allowed allocators.
    unsafe { allocate_with(size, alloc) }
}

/// `calloc(count, size)`: a zeroed block, or null (also when the product overflows).
#[no_mangle]
pub extern "C" fn calloc(count: usize, size: usize) -> *mut u8 {
    match count.checked_mul(size) {
        // Safety: `alloc_zeroed` is one of the two allowed allocators.
        Some(total) => unsafe { allocate_with(total, alloc_zeroed) },
        None => ptr::null_mut(),
    }
}

/// `free(ptr)`: returns a block from `malloc`, `calloc` or `realloc` (null is ignored).
///
/// # Safety
/// `block` is null or a live pointer from this module's allocation functions.
#[no_mangle]
pub unsafe extern "C" fn free(block: *mut u8) {
    if block.is_null() {
        return;
    }
    // Safety: by the contract, the header precedes the block and holds its size.
    unsafe {
        let start = block.sub(HEADER);
        let size = start.cast::<usize>().read();
        if let Some(layout) = layout(size) {
            dealloc(start, layout);
        }
    }
}

/// `realloc(ptr, size)`: a block of `size` bytes holding the old contents.
///
/// # Safety
/// `block` is null or a live pointer from this module's allocation functions.
#[no_mangle]
pub unsafe extern "C" fn realloc(block: *mut u8, size: usize) -> *mut u8 {
    if block.is_null() {
        return malloc(size);
    }
    let fresh = malloc(size);
    if !fresh.is_null() {
        // Safety: by the contract the header holds the old size; both blocks are live and
        // distinct, and the copy stays within the smaller one.
        unsafe {
            let old = block.sub(HEADER).cast::<usize>().read();
            ptr::copy_nonoverlapping(block, fresh, old.min(size));
            free(block);
        }
    }
    fresh
}

/// The exit `libc.c` calls: the runtime's [`crate::exit`] (stack check, then `exit`).
#[no_mangle]
pub extern "C" fn __ox_bare_exit(code: i32) -> ! {
    crate::exit(code)
}

/// Makes the C function `int main(void)` the program's main function.
#[macro_export]
macro_rules! c_main {
    () => {
        extern "C" {
            fn main() -> i32;
            fn __ox_libc_flush();
        }
        #[no_mangle]
        extern "Rust" fn __ox_bare_main() -> i32 {
            // Safety: the C program defines `int main(void)` and libc.c the flush; the
            // program does not link otherwise.
            unsafe {
                let code = main();
                __ox_libc_flush();
                code
            }
        }
    };
}
