//! Virtual memory (docs/vm.md, *The calls*): Mach's `vm_allocate`, `vm_deallocate`,
//! `vm_protect`, `vm_inherit`, `vm_read`, `vm_write`, `vm_copy` and `vm_region` over this
//! process's address map, and over its children's (`pid` 0 is this process).
//!
//! Addresses are plain `u32`s: the kernel checks every range, and a call that would break the
//! program's own memory under the compiler's feet (unmapping, overwriting) is `unsafe`.

use ox_abi::{Errno, Syscall, VmRegion};

use crate::sys::{raw_syscall, Pid};

pub use ox_abi::{
    PAGE_SIZE, VM_ANYWHERE_BASE, VM_INHERIT_COPY, VM_INHERIT_NONE, VM_INHERIT_SHARE, VM_PROT_ALL,
    VM_PROT_EXECUTE, VM_PROT_READ, VM_PROT_WRITE,
};

/// Where [`allocate`] puts a region.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Place {
    /// Exactly at this page-aligned address (`EEXIST` if any of it is taken).
    Fixed(u32),
    /// The lowest free range at or above this address (0: [`VM_ANYWHERE_BASE`]).
    Anywhere(u32),
}

/// What [`inherit`] gives a child of `fork`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Inherit {
    /// The same memory: a write on either side is seen by the other.
    Share,
    /// A copy, made page by page at the first write (copy-on-write; the default).
    Copy,
    /// Nothing: the range is unallocated in the child.
    None,
}

fn call(number: Syscall, args: [u32; 6]) -> Result<u32, Errno> {
    // Safety: the callers pass only buffers valid for the access the call makes, or are
    // `unsafe` themselves and pass the burden on.
    let result = unsafe { raw_syscall(number as u32, args) };
    match Errno::from_result(result) {
        Some(errno) => Err(errno),
        None => Ok(result as u32),
    }
}

/// A new region of `size` bytes (a non-zero multiple of [`PAGE_SIZE`]), zero-filled on first
/// touch, readable and writable; returns its address. `EEXIST`: a fixed range is taken;
/// `ENOMEM`: no room; `EINVAL`: a size or address not page-aligned, or 0.
pub fn allocate(place: Place, size: u32) -> Result<u32, Errno> {
    let (addr, anywhere) = match place {
        Place::Fixed(addr) => (addr, 0),
        Place::Anywhere(addr) => (addr, 1),
    };
    call(Syscall::VmAllocate, [addr, size, anywhere, 0, 0, 0])
}

/// Unmaps every page of `addr..addr + size` (holes are fine; regions straddling the ends are
/// cut).
///
/// # Safety
/// Nothing the program still uses may live in the range.
pub unsafe fn deallocate(addr: u32, size: u32) -> Result<(), Errno> {
    call(Syscall::VmDeallocate, [addr, size, 0, 0, 0, 0]).map(|_| ())
}

/// Sets the current protection of the range (`VM_PROT_*` bits; `EACCES` beyond a region's
/// maximum), or with `set_max` the maximum, which can only go down (and lowers the current).
/// `EFAULT`: part of the range is not allocated.
pub fn protect(addr: u32, size: u32, set_max: bool, prot: u32) -> Result<(), Errno> {
    call(Syscall::VmProtect, [addr, size, set_max as u32, prot, 0, 0]).map(|_| ())
}

/// Sets what a child of `fork` gets of the range.
pub fn inherit(addr: u32, size: u32, inheritance: Inherit) -> Result<(), Errno> {
    let word = match inheritance {
        Inherit::Share => VM_INHERIT_SHARE,
        Inherit::Copy => VM_INHERIT_COPY,
        Inherit::None => VM_INHERIT_NONE,
    };
    call(Syscall::VmInherit, [addr, size, word, 0, 0, 0]).map(|_| ())
}

/// Copies `buf.len()` bytes at `addr` of process `pid` (0: this one; else a child of this
/// process on the same node — `EPERM` for another's, `ESRCH` for none here) into `buf`.
pub fn read(pid: Pid, addr: u32, buf: &mut [u8]) -> Result<(), Errno> {
    call(Syscall::VmRead, [pid, addr, buf.len() as u32, buf.as_mut_ptr() as u32, 0, 0]).map(|_| ())
}

/// Copies `data` to `addr` of process `pid` (as for [`read`]).
///
/// # Safety
/// For `pid` 0 (this process), nothing the program holds a reference to may be in the range.
pub unsafe fn write(pid: Pid, addr: u32, data: &[u8]) -> Result<(), Errno> {
    call(Syscall::VmWrite, [pid, addr, data.as_ptr() as u32, data.len() as u32, 0, 0]).map(|_| ())
}

/// Copies `size` bytes (a page multiple) from `src` to `dst` inside process `pid`; the ranges
/// may not overlap.
///
/// # Safety
/// As [`write`], for `dst..dst + size`.
pub unsafe fn copy(pid: Pid, src: u32, size: u32, dst: u32) -> Result<(), Errno> {
    call(Syscall::VmCopy, [pid, src, size, dst, 0, 0]).map(|_| ())
}

/// The region holding `addr`, or the first one above it (`ENOMEM`: none).
pub fn region(addr: u32) -> Result<VmRegion, Errno> {
    let mut bytes = [0u8; VmRegion::SIZE];
    call(Syscall::VmRegion, [addr, bytes.as_mut_ptr() as u32, 0, 0, 0, 0])?;
    VmRegion::decode(&bytes).ok_or(Errno::Inval)
}
