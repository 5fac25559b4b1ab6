//! The caller's memory, for the calls served at home (`sysfile`, `proc`'s `wait` and `ps`,
//! `stats`): every pointer such a call follows goes through here.
//!
//! For a local process, and for a stub executing a call its satellite sent with its buffers
//! (the prefetch cache, [`prefetch`](crate::prefetch)), that memory is the current process's
//! own (`ox_kcore`'s copies; a stub's pointers were pointed at its buffers). For a stub
//! executing a call sent **without** them (`StubFetches`), the caller's memory stays on its
//! satellite, and each copy the call's code makes goes there and back: a [`Request::CopyIn`]
//! answered with the bytes, or a [`Request::CopyOut`] answered when they are stored, in
//! pieces of at most one message's data. That is MOSIX's deputy without its cache: every
//! `copy_from_user` and `copy_to_user` a round trip. The satellite checked the call's buffers
//! before it sent the call, so [`check`] and [`prefault`] have nothing to do for such a stub; a
//! copy the satellite cannot make comes back as its error (`EFAULT`).

use core::sync::atomic::{AtomicU32, Ordering};

use ox_abi::Errno;
use ox_kcore::task::proc::{self as kproc, table, Pid};
use ox_kcore::vm::Access;
use ox_proto::{Message, Reply, Request, MAX_DATA};

use crate::proc::CentralProc;
use crate::remote;

/// Stubs executing a call whose buffers stayed on their satellite: while there are none (the
/// cache on, as at boot), a copy costs one load more than `ox_kcore`'s.
static FETCHING: AtomicU32 = AtomicU32::new(0);

/// Copies asked of satellites ([`ox_abi::NodeStats::user_copies`]).
static COPIES: AtomicU32 = AtomicU32::new(0);

/// Copies asked of satellites so far.
pub fn copies() -> u32 {
    COPIES.load(Ordering::Relaxed)
}

/// Runs `call` in the current stub's context with its caller's memory on its satellite
/// (a call sent without its buffers).
pub fn fetching<R>(call: impl FnOnce() -> R) -> R {
    mark(true);
    let result = call();
    mark(false);
    result
}

/// Marks the current stub as executing a call whose buffers stayed on its satellite, or no
/// longer.
fn mark(on: bool) {
    let mut table = table();
    if let Some(remote) = table.current().central().remote.as_mut() {
        crate::proc::set_counted(&mut remote.fetching, on, &FETCHING);
    }
}

/// The link and pid to copy through, when the current process's caller memory is on a
/// satellite.
fn elsewhere() -> Option<(usize, Pid)> {
    if FETCHING.load(Ordering::Relaxed) == 0 {
        return None;
    }
    let mut table = table();
    let me = table.current();
    let pid = me.pid;
    me.central_ref().remote.as_ref().filter(|r| r.fetching).map(|r| (r.link, pid))
}

/// Copies `buf.len()` bytes from the caller's address `va` (`EFAULT` for a bad one).
pub fn copy_in(va: u32, buf: &mut [u8]) -> Result<(), Errno> {
    let Some((link, pid)) = elsewhere() else { return kproc::copy_in(va, buf) };
    for (i, piece) in buf.chunks_mut(MAX_DATA).enumerate() {
        let addr = va.wrapping_add((i * MAX_DATA) as u32);
        let reply = ask(link, pid, Request::CopyIn { addr, len: piece.len() as u32 })?;
        // Anything but the bytes asked for is the satellite's mistake.
        if reply.data.len() != piece.len() {
            return Err(Errno::Io);
        }
        piece.copy_from_slice(&reply.data);
    }
    Ok(())
}

/// Copies `data` to the caller's address `va` (`EFAULT` for a bad one).
pub fn copy_out(va: u32, data: &[u8]) -> Result<(), Errno> {
    let Some((link, pid)) = elsewhere() else { return kproc::copy_out(va, data) };
    for (i, piece) in data.chunks(MAX_DATA).enumerate() {
        let addr = va.wrapping_add((i * MAX_DATA) as u32);
        ask(link, pid, Request::CopyOut { addr, data: piece.to_vec() })?;
    }
    Ok(())
}

/// Checks that the caller may make `access` to `len` bytes at `va` (`EFAULT` if not).
pub fn check(va: u32, len: usize, access: Access) -> Result<(), Errno> {
    match elsewhere() {
        Some(_) => Ok(()),
        None => table().current().space().check(va, len, access),
    }
}

/// Makes the caller's pages of `va..va + len` resident for `access` (`ox_kcore`'s
/// `prefault`): a copy right after will not wait for a pager.
pub fn prefault(va: u32, len: usize, access: Access) -> Result<(), Errno> {
    match elsewhere() {
        Some(_) => Ok(()),
        None => kproc::prefault(va, len, access),
    }
}

/// Sends `request` about `pid` to the satellite of `link` and waits for its answer: one
/// round trip.
fn ask(link: usize, pid: Pid, request: Request) -> Result<Reply, Errno> {
    COPIES.fetch_add(1, Ordering::Relaxed);
    remote::send(link, &Message::request(pid, request));
    let reply = remote::wait_reply(link, pid);
    reply.result.map(|_| reply)
}
