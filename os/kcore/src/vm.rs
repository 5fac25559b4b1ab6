//! Address spaces: the machine-independent layer over [`pmap`](crate::pmap).
//!
//! A process's address space has three regions below `USER_TOP`:
//! - the **image**, loaded by [`elf`](crate::elf) from `USER_BASE` up, each segment's pages
//!   with that segment's permissions;
//! - the **heap**, from the page after the image up to the break, grown and shrunk by `sbrk`
//!   (pages mapped and freed eagerly, zeroed);
//! - the **stack**, the top `USER_STACK_MAX` bytes, whose pages are mapped zeroed on first
//!   touch (by the process or by the kernel copying out to it).
//!
//! Everything else faults. The kernel reaches user memory only through [`AddressSpace::copy_in`]
//! and [`AddressSpace::copy_out`], which check every page against the page table (user
//! pointers are allegations) and go through the identity mapping of RAM, so a bad pointer
//! from a process becomes `EFAULT`, never a kernel fault.

use ox_abi::{Errno, USER_STACK_MAX, USER_TOP};

use crate::frame::{self, Frame, FRAME_SIZE};
use crate::pmap::{PageTable, PteFlags};

/// Lowest address of the stack region.
pub const STACK_BOTTOM: u32 = USER_TOP - USER_STACK_MAX;

/// Rounds `addr` up to a page boundary.
pub fn page_up(addr: u32) -> u32 {
    addr.next_multiple_of(FRAME_SIZE)
}

/// Rounds `addr` down to a page boundary.
pub fn page_down(addr: u32) -> u32 {
    addr & !(FRAME_SIZE - 1)
}

/// The kind of access a page must allow.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// Reading (copy_in, loads).
    Read,
    /// Writing (copy_out, stores).
    Write,
}

/// One process's memory.
pub struct AddressSpace {
    table: PageTable,
    heap_start: u32,
    brk: u32,
}

impl AddressSpace {
    /// An empty address space with ASID `asid`.
    pub fn new(asid: u32) -> Result<AddressSpace, Errno> {
        Ok(AddressSpace { table: PageTable::new(asid)?, heap_start: 0, brk: 0 })
    }

    /// Makes this address space the current one.
    pub fn activate(&self) {
        self.table.activate();
    }

    /// The page table, for the loader.
    pub fn table(&mut self) -> &mut PageTable {
        &mut self.table
    }

    /// Where the heap starts and where the break is (for a process image).
    pub fn heap(&self) -> (u32, u32) {
        (self.heap_start, self.brk)
    }

    /// Sets the heap's start and break as a process image recorded them (the pages are
    /// mapped separately).
    pub fn set_heap(&mut self, heap_start: u32, brk: u32) {
        self.heap_start = heap_start;
        self.brk = brk;
    }

    /// Calls `f(va, frame, flags)` for every mapped user page, in address order.
    pub fn for_each_page(&self, f: impl FnMut(u32, Frame, PteFlags)) {
        self.table.for_each_page(f);
    }

    /// Sets where the image ends: the heap starts on the next page.
    pub fn set_image_end(&mut self, end: u32) {
        self.heap_start = page_up(end);
        self.brk = self.heap_start;
    }

    /// Maps a zeroed page at `va` with `flags`.
    pub fn map_zeroed(&mut self, va: u32, flags: PteFlags) -> Result<Frame, Errno> {
        let frame = frame::alloc().ok_or(Errno::NoMem)?;
        if let Err(e) = self.table.map(va, frame, flags) {
            // Safety: the frame was never mapped, so we still own it alone.
            unsafe { frame::free(frame) };
            return Err(e);
        }
        Ok(frame)
    }

    /// Moves the break by `increment` bytes; returns the old break.
    pub fn sbrk(&mut self, increment: i32) -> Result<u32, Errno> {
        let old = self.brk;
        let new = old as i64 + increment as i64;
        if new < self.heap_start as i64 {
            return Err(Errno::Inval);
        }
        if new > STACK_BOTTOM as i64 {
            return Err(Errno::NoMem);
        }
        let new = new as u32;
        let (old_end, new_end) = (page_up(old), page_up(new));
        let mut va = old_end;
        while va < new_end {
            if let Err(e) = self.map_zeroed(va, PteFlags::R | PteFlags::W) {
                self.unmap_range(old_end, va);
                return Err(e);
            }
            va += FRAME_SIZE;
        }
        self.unmap_range(new_end, old_end);
        self.brk = new;
        Ok(old)
    }

    fn unmap_range(&mut self, start: u32, end: u32) {
        let mut va = start;
        while va < end {
            if let Some(frame) = self.table.unmap(va) {
                // Safety: the page table gave the frame back; nothing else maps it.
                unsafe { frame::free(frame) };
            }
            va += FRAME_SIZE;
        }
    }

    /// Serves a page fault at `va` that the process may recover from (the first touch of a
    /// stack page). Returns whether the page is now mapped.
    pub fn fault_in(&mut self, va: u32) -> bool {
        (STACK_BOTTOM..USER_TOP).contains(&va)
            && self.table.lookup(va).is_none()
            && self.map_zeroed(page_down(va), PteFlags::R | PteFlags::W).is_ok()
    }

    /// The physical address of user address `va`, if the process may make `access` there.
    fn resolve(&mut self, va: u32, access: Access) -> Result<u32, Errno> {
        if va >= USER_TOP {
            return Err(Errno::Fault);
        }
        if self.table.lookup(va).is_none() {
            self.fault_in(va);
        }
        let (frame, flags) = self.table.lookup(va).ok_or(Errno::Fault)?;
        let needed = match access {
            Access::Read => PteFlags::U | PteFlags::R,
            Access::Write => PteFlags::U | PteFlags::W,
        };
        if !flags.contains(needed) {
            return Err(Errno::Fault);
        }
        Ok(frame.addr() + (va & (FRAME_SIZE - 1)))
    }

    /// Calls `f(physical address, chunk length)` for each page-sized piece of
    /// `va..va + len`, after checking the process may make `access` there.
    fn for_each_chunk(
        &mut self,
        va: u32,
        len: usize,
        access: Access,
        mut f: impl FnMut(u32, usize, usize),
    ) -> Result<(), Errno> {
        let end = va.checked_add(len as u32).filter(|e| *e <= USER_TOP).ok_or(Errno::Fault)?;
        let mut addr = va;
        while addr < end {
            let chunk = (page_down(addr) + FRAME_SIZE).min(end) - addr;
            let pa = self.resolve(addr, access)?;
            f(pa, (addr - va) as usize, chunk as usize);
            addr += chunk;
        }
        Ok(())
    }

    /// Checks that the process may make `access` on all of `va..va + len`.
    pub fn check(&mut self, va: u32, len: usize, access: Access) -> Result<(), Errno> {
        self.for_each_chunk(va, len, access, |_, _, _| {})
    }

    /// Copies `buf.len()` bytes from user address `va` into `buf`.
    pub fn copy_in(&mut self, va: u32, buf: &mut [u8]) -> Result<(), Errno> {
        self.for_each_chunk(va, buf.len(), Access::Read, |pa, offset, len| {
            // Safety: `resolve` checked the page is the process's and readable; RAM is
            // identity-mapped for the kernel, and the chunk stays inside the page.
            let src = unsafe { core::slice::from_raw_parts(pa as *const u8, len) };
            buf[offset..offset + len].copy_from_slice(src);
        })
    }

    /// Copies `data` to user address `va`.
    pub fn copy_out(&mut self, va: u32, data: &[u8]) -> Result<(), Errno> {
        self.for_each_chunk(va, data.len(), Access::Write, |pa, offset, len| {
            // Safety: `resolve` checked the page is the process's and writable; RAM is
            // identity-mapped for the kernel, and the chunk stays inside the page.
            let dst = unsafe { core::slice::from_raw_parts_mut(pa as *mut u8, len) };
            dst.copy_from_slice(&data[offset..offset + len]);
        })
    }

    /// A full copy of this address space (for `fork`) with ASID `asid`.
    pub fn duplicate(&self, asid: u32) -> Result<AddressSpace, Errno> {
        let mut copy =
            AddressSpace { table: PageTable::new(asid)?, heap_start: self.heap_start, brk: self.brk };
        let mut result = Ok(());
        self.table.for_each_page(|va, frame, flags| {
            if result.is_err() {
                return;
            }
            let permissions = flags & (PteFlags::R | PteFlags::W | PteFlags::X);
            result = copy.map_zeroed(va, permissions).map(|new| {
                // Safety: `new` was just allocated for the copy; `frame` is a page of this
                // address space, which nothing writes while the kernel copies it.
                unsafe { new.bytes_mut().copy_from_slice(frame.bytes_mut()) };
            });
        });
        result.map(|()| copy)
    }
}
