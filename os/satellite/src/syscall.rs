//! System calls on a satellite (docs/satellites.md): the local ones — `getpid`, `getppid`
//! (cached at placement), `sbrk`, `yield`, `sleep`, `uptime` (this node's ticks), `exit` (which
//! tells the stub), the signal calls and the virtual-memory calls — are served by the core
//! (`ox_kcore::task::syscall`), as on the central; every other is **forwarded** here: the input buffer
//! (`ox_proto::marshal`) is copied in through the checked helpers, the output buffer checked
//! writable, a `StubExecutes` request goes to the central, and the process sleeps until the
//! reply, whose data is copied out and whose signal is made pending here (delivered before the
//! process returns to user mode).
//!
//! `fork` and `rfork` are forwarded with the pc the child resumes at (`marshal::fork_data`):
//! the stub reads this process's image from here (`ReadImage`, [`server`]) while it sleeps,
//! places the child, and replies with its pid. `exec` is forwarded with its name and
//! arguments (`marshal::exec_data`): the stub sends the new image, which the [`server`] builds
//! and keeps, and on a success reply the process switches to it (its old space is freed, its
//! caught signals reset to the default action); on a failure it keeps its old image and gets
//! the error.
//!
//! **Without the prefetch cache** (`prefetch off` on the central, which sends `Prefetch`;
//! docs/migration.md), a forwarded call is sent with its registers only (`StubFetches`): its
//! buffers are checked here as before, then stay in this process's memory, and while the
//! process waits for the reply it serves its stub's `CopyIn`s and `CopyOut`s
//! ([`proc::wait_reply`]), one round trip for each copy the central's code makes. `fork`,
//! `rfork` and `exec` carry their few bytes either way.
//!
//! The signal calls are local: `sigaction`, `sigreturn` and `pause` (the dispositions and
//! handlers are user context, kept here). A forwarded call that comes back `EINTR` with a
//! signal this process ignores (or has blocked) is sent again: the stub could not know, and on
//! one processor such a signal would not have broken the sleep. (`EINTR` means the call did
//! nothing, so sending it again is safe.)

use alloc::vec;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicBool, AtomicU32, Ordering};

use ox_abi::{Errno, Syscall};
use ox_kcore::arch::TrapFrame;
use ox_kcore::task::proc::{self as kproc, table};
use ox_kcore::task::signal::{interrupted, signalled};
use ox_kcore::vm::Access;
use ox_proto::calls::Home;
use ox_proto::marshal::{self, Transfer};
use ox_proto::{Call, Env, Message, Output, Reply, Request};

use crate::{link, proc, server};

/// Serves `call` (= `home`), one of the calls served at home: forwarded to the stub with the
/// buffers the call table names (the core's [`Kernel::home`](ox_kcore::task::Kernel)).
pub fn home(
    call: Syscall,
    home: Home,
    a: [u32; ox_abi::MAX_ARGS],
    frame: &mut TrapFrame,
) -> Result<u32, Errno> {
    match home {
        // A child placed on another satellite is made from this process's image, which reads
        // pages where they are: those the default pager holds come back first.
        Home::Rfork if a[0] != 0 && a[0] != crate::link::node() => {
            kproc::page_in_all()?;
            ask(call, a, marshal::fork_data(frame.epc)).result
        }
        Home::Fork | Home::Rfork => ask(call, a, marshal::fork_data(frame.epc)).result,
        Home::Exec => exec(frame, a),
        Home::Write => write(a),
        _ => forward(call, home.transfer(), a),
    }
}

/// Whether forwarded calls carry their buffers (the prefetch cache; on at boot).
static PREFETCH: AtomicBool = AtomicBool::new(true);

/// Turns the prefetch cache on or off (`Prefetch` from the central).
pub fn set_prefetch(on: bool) {
    PREFETCH.store(on, Ordering::Relaxed);
}

/// Calls sent to the stub ([`ox_abi::NodeStats::forwarded`]).
static FORWARDED: AtomicU32 = AtomicU32::new(0);

/// Calls sent to the stub so far.
pub fn forwarded() -> u32 {
    FORWARDED.load(Ordering::Relaxed)
}

/// `write(fd, buf, len)`: forwarded in pieces of at most one message's data
/// ([`ox_proto::MAX_DATA`]), so that a large write is whole, as on the central. Stops at the
/// first piece that fails or is short (a full disk, a pipe whose reader left, a signal):
/// the bytes written before it are the result, or its error if there are none. The whole
/// buffer is checked first, as on the central: a bad one is `EFAULT` with nothing written.
fn write(a: [u32; ox_abi::MAX_ARGS]) -> Result<u32, Errno> {
    let (buf, len) = (a[1], a[2]);
    if !PREFETCH.load(Ordering::Relaxed) {
        // No data travels with the call: the stub copies it in, a piece at a time.
        return forward(Syscall::Write, Home::Write.transfer(), a);
    }
    table().current().space().check(buf, len as usize, Access::Read)?;
    let mut done = 0;
    loop {
        let piece = (len - done).min(ox_proto::MAX_DATA as u32);
        let mut args = a;
        (args[1], args[2]) = (buf.wrapping_add(done), piece);
        match forward(Syscall::Write, Home::Write.transfer(), args) {
            Ok(n) => {
                done += n;
                if n < piece || done == len {
                    return Ok(done);
                }
            }
            Err(e) => return if done == 0 { Err(e) } else { Ok(done) },
        }
        if signalled() {
            return Ok(done);
        }
    }
}

/// Sends `call` to the stub with the buffers the call table names, and waits for its reply.
///
/// Without the prefetch cache the buffers are checked the same way and stay here: the stub
/// copies from and to them as it executes the call (the process serves its copies while it
/// waits, [`proc::wait_reply`]).
fn forward(call: Syscall, transfer: Transfer, args: [u32; ox_abi::MAX_ARGS]) -> Result<u32, Errno> {
    let prefetch = PREFETCH.load(Ordering::Relaxed);
    let mut data = vec![];
    if let Some(input) = transfer.input {
        let (ptr, len) = input.resolve(&args);
        if prefetch {
            data = vec![0; len];
            kproc::copy_in(ptr, &mut data)?;
        } else {
            table().current().space().check(ptr, len, Access::Read)?;
        }
    }
    // The whole output buffer is checked, as the central checks a local caller's, and a
    // streamed output may fill all of it; a reply's own data is at most one message's.
    let output = transfer.output.map(|out| out.whole(&args)).filter(|(ptr, _)| *ptr != 0);
    if let Some((ptr, len)) = output {
        table().current().space().check(ptr, len, Access::Write)?;
    }
    if !prefetch {
        let request = Call { call, args, env: Env::default(), data, prefetched: false };
        return exchange(request, &mut |_| {}).result;
    }
    if let Some((ptr, len)) = output {
        // Pages a pager provides are brought in now: the pieces below are copied while the
        // reply is awaited.
        kproc::prefault(ptr, len, Access::Write)?;
    }
    // Output that comes ahead of the reply (a streamed `read`) goes into the buffer as it
    // comes; a piece that does not fit the buffer is the central's mistake, and dropped.
    // A piece whose page went to the default pager meanwhile waits in the kernel until the
    // reply (the copy cannot sleep here).
    let mut late = Vec::new();
    let mut piece = |out: Output| {
        let Some((ptr, len)) = output else { return };
        let at = out.offset as usize;
        if at.checked_add(out.data().len()).is_some_and(|end| end <= len) {
            let va = ptr + at as u32;
            if table().current().space().copy_out(va, out.data()).is_err() {
                late.push((va, out.data().to_vec()));
            }
        }
    };
    let reply = ask_with_output(call, args, data, &mut piece);
    for (va, data) in late {
        kproc::copy_out(va, &data)?;
    }
    if let (Ok(_), Some((ptr, len))) = (reply.result, output) {
        let n = reply.data.len().min(len);
        kproc::copy_out(ptr, &reply.data[..n])?;
    }
    reply.result
}

/// Sends `call` with `args` and the variable part `data` to the stub, sleeps until the reply,
/// and takes the signal it carries.
fn ask(call: Syscall, args: [u32; ox_abi::MAX_ARGS], data: Vec<u8>) -> Reply {
    ask_with_output(call, args, data, &mut |_| {})
}

/// [`ask`], handing `output` the pieces of output that come ahead of the reply.
fn ask_with_output(
    call: Syscall,
    args: [u32; ox_abi::MAX_ARGS],
    data: Vec<u8>,
    output: &mut dyn FnMut(Output),
) -> Reply {
    exchange(Call { call, args, env: Env::default(), data, prefetched: true }, output)
}

/// Sends `request` to the stub and waits for its reply, as [`ask_with_output`] says; sends
/// it again after a spurious `EINTR` (a signal this process ignores or blocks).
fn exchange(request: Call, output: &mut dyn FnMut(Output)) -> Reply {
    let pid = table().current().pid;
    loop {
        FORWARDED.fetch_add(1, Ordering::Relaxed);
        proc::start_asking();
        link::send(&Message::request(pid, Request::StubExecutes(request.clone())));
        let reply = proc::wait_reply(output);
        let interrupts = reply.signal.is_some_and(proc::post_current);
        let spurious = reply.result == Err(Errno::Intr) && reply.signal.is_some() && !interrupts;
        if !spurious || interrupted() {
            return reply;
        }
    }
}

/// `exec(name, name_len, argv, argc)`: forwarded with the name and arguments; on success the
/// process continues in the image the stub sent (`frame` replaced, the old space freed) with
/// argc as the result.
fn exec(frame: &mut TrapFrame, a: [u32; ox_abi::MAX_ARGS]) -> Result<u32, Errno> {
    let copy_in = |va: u32, buf: &mut [u8]| kproc::copy_in(va, buf);
    let (name, args) = marshal::exec_args(copy_in, a)?;
    let pid = table().current().pid;
    let reply = ask(Syscall::Exec, a, marshal::exec_data(&name, &args));
    let built = server::take_exec(pid);
    let argc = reply.result?;
    let (space, new_frame, asid) = built.ok_or(Errno::NoExec)?;
    let mut table = table();
    let me = table.current();
    // The new space has the old one's ASID.
    me.switch_space(space, asid);
    me.signals.exec();
    *frame = new_frame;
    Ok(argc)
}
