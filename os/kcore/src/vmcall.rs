//! The virtual-memory system calls (docs/vm.md, *The calls*), served the same way on the
//! central and on a satellite: each is local to the node the process runs on
//! ([`ox_proto::calls::Local::Vm`]). A kernel gives this module its processes through
//! [`Tasks`]; everything else — arguments, limits, errors — is here, once.
//!
//! `vm_read`, `vm_write` and `vm_copy` name a process: 0 or the caller's own pid is the caller,
//! any other must be a child of the caller on the same node (`EPERM` for a process that is
//! not, `ESRCH` for none here). Mach names tasks by port; until ports exist a pid is the name,
//! and "the caller controls it" is "it is the caller's child" (Mach's own `vm_read` needs the
//! task port, which a parent holds for the children it created).

use alloc::vec;

use ox_abi::{Errno, PAGE_SIZE};
use ox_proto::calls::VmCall;

use crate::task::proc::until_resident;
use crate::vm::{Access, AddressSpace, Paged};

/// Most bytes moved per step of `vm_read` and `vm_write` (one kernel buffer).
const CHUNK: u32 = PAGE_SIZE;

/// The processes a virtual-memory call may name, as a kernel keeps them.
pub trait Tasks {
    /// Runs `f` on the address space of process `pid`: the caller for 0 or its own pid, else a
    /// child of the caller on this node (`ESRCH` if there is no process `pid` here, `EPERM` if
    /// it is not the caller's child).
    fn with_space<R>(&mut self, pid: u32, f: impl FnOnce(&mut AddressSpace) -> R) -> Result<R, Errno>;
}

/// The caller.
const ME: u32 = 0;

/// Serves `call` with arguments `a` (the registers `a0`..`a5`).
pub fn serve(call: VmCall, a: [u32; ox_abi::MAX_ARGS], tasks: &mut impl Tasks) -> Result<u32, Errno> {
    match call {
        VmCall::Allocate => {
            let anywhere = flag(a[2])?;
            tasks.with_space(ME, |s| s.allocate(a[0], a[1], anywhere))?
        }
        VmCall::Deallocate => tasks.with_space(ME, |s| s.deallocate(a[0], a[1]))?.map(|()| 0),
        VmCall::Protect => {
            let set_max = flag(a[2])?;
            tasks.with_space(ME, |s| s.protect(a[0], a[1], set_max, a[3]))?.map(|()| 0)
        }
        VmCall::Inherit => tasks.with_space(ME, |s| s.inherit(a[0], a[1], a[2]))?.map(|()| 0),
        VmCall::Read => copy_between(tasks, (a[0], a[1]), (ME, a[3]), a[2]).map(|()| 0),
        VmCall::Write => copy_between(tasks, (ME, a[2]), (a[0], a[1]), a[3]).map(|()| 0),
        VmCall::Copy => tasks.with_space(a[0], |s| s.copy_within(a[1], a[2], a[3]))?.map(|()| 0),
        VmCall::Region => {
            let region = tasks.with_space(ME, |s| s.region(a[0]))?.ok_or(Errno::NoMem)?;
            crate::task::proc::copy_out(a[1], &region.encode()).map(|()| 0)
        }
    }
}

/// A 0-or-1 argument.
fn flag(word: u32) -> Result<bool, Errno> {
    match word {
        0 => Ok(false),
        1 => Ok(true),
        _ => Err(Errno::Inval),
    }
}

/// Copies `size` bytes from `from` (a process and an address in it) to `to`: `vm_read` (from
/// a process to the caller's buffer) and `vm_write` (the other way). Both ranges are checked
/// whole first, so a bad one changes nothing; then the bytes move a page at a time through a
/// kernel buffer. A page of either process that its pager holds (the default pager's swap,
/// an external pager's object) is brought in first, as for the caller's own copies.
fn copy_between(tasks: &mut impl Tasks, from: (u32, u32), to: (u32, u32), size: u32) -> Result<(), Errno> {
    let ((from_pid, src), (to_pid, dst)) = (from, to);
    tasks.with_space(from_pid, |s| s.check(src, size as usize, Access::Read))??;
    tasks.with_space(to_pid, |s| s.check(dst, size as usize, Access::Write))??;
    let mut bytes = vec![0; size.min(CHUNK) as usize];
    let mut done = 0;
    while done < size {
        let n = (size - done).min(CHUNK) as usize;
        let buf = &mut bytes[..n];
        until_resident(|| {
            tasks
                .with_space(from_pid, |s| s.copy_in_paged(src + done, buf))
                .unwrap_or_else(|e| Err(Paged::Errno(e)))
        })?;
        let buf = &bytes[..n];
        until_resident(|| {
            tasks
                .with_space(to_pid, |s| s.copy_out_paged(dst + done, buf))
                .unwrap_or_else(|e| Err(Paged::Errno(e)))
        })?;
        done += n as u32;
    }
    Ok(())
}
