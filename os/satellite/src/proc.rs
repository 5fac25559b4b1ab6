//! The satellite's processes: the table, `exit`, signals, and the wait for a reply from the
//! central. A process here is the user context of a process whose stub (same pid) lives on the
//! central processor (docs/satellites.md); it arrives whole from the central's placement
//! ([`server`](crate::server)), also when it forks or is forked here (the stub places it).
//!
//! Signals are user context, so they live here (`ox_kcore::signal`, the central's code): the
//! dispositions, the blocked set, the pending set and delivery with handlers on this node's
//! user stack. A signal arrives from the central as a `Signal` request (its stub was idle) or
//! in a reply's signal field (its stub was executing a call: the call completed first, or an
//! interruptible sleep there was broken and the call failed with `EINTR`); a fault raises one
//! here. [`kill`] breaks the local interruptible sleeps (`sleep`, `pause`); a process waiting
//! for a reply keeps waiting, since its stub's call is the one to interrupt.
//!
//! The table, the scheduler, the trap path and the signal path are the core's
//! (`ox_kcore::task`, shared with the central); this module is what a satellite adds: the
//! [`Satellite`] role (the reply to the forwarded call), `exit` (`Dead` at once, the stub told
//! with `Exit`: no one here waits for it), and signals that come from the stub.
//!
//! The table's one system slot holds the process server ([`server`](crate::server)), created
//! at boot: a kernel thread with pid [`SERVER_PID`] (0, which the central never gives) and no
//! address space, which never runs user code and never exits. It is not a user process:
//! `find`, `count` and `free_slot` see only the [`NPROC`] user slots, so nothing the central
//! sends about a pid reaches it and it takes no user process's room; `stats` counts it (it is
//! one more live process, always). It is the technical parent of every
//! process it starts (Bach §13.1), which the satellite needs no record of: no one waits for a
//! process here, its stub is waited for on the central; `ppid` stays the logical parent.

use alloc::boxed::Box;
use alloc::collections::VecDeque;
use alloc::vec;
use core::any::Any;
use core::sync::atomic::{AtomicU32, Ordering};

use ox_abi::{Signal, WaitStatus};
use ox_kcore::arch::TrapFrame;
use ox_kcore::pmap;
use ox_kcore::task::chan::{Chan, Class};
use ox_kcore::task::proc::{self, Pid, Proc, Role, State};
use ox_kcore::task::{sched, signal};
use ox_kcore::vm::AddressSpace;
use ox_proto::{Errno, Message, Output, Reply, Request};

use crate::link;

/// Most user processes on one satellite.
pub const NPROC: usize = 32;
/// The process server's pid (the central's pids start at 1).
pub const SERVER_PID: Pid = 0;

/// Sleepers waiting for the central's reply to their forwarded call (id: the pid).
static REPLY: Class = Class::new("reply");
/// The process server, waiting for requests.
static SERVER: Class = Class::new("server");

/// What process `pid` sleeps on while it waits for its call's reply.
pub fn reply_chan(pid: Pid) -> Chan {
    Chan::new(&REPLY, pid)
}

/// What the server sleeps on while its mailbox is empty.
pub fn server_chan() -> Chan {
    Chan::new(&SERVER, 0)
}

/// What a satellite adds to a process: the reply to its forwarded call, once it came, and
/// the output that came ahead of it.
#[derive(Default)]
pub struct Satellite {
    /// The central's reply, until the process takes it.
    pub reply: Option<Reply>,
    /// Whether the process waits for a reply (pieces of output are kept only then).
    pub asking: bool,
    /// Pieces of the call's output that came ahead of its reply ([`Output`]), until the
    /// process copies them into its buffer.
    pub output: VecDeque<Output>,
    /// The stub's `CopyIn` or `CopyOut` for a call sent without its buffers (the prefetch
    /// cache off), until the process serves it.
    pub copies: VecDeque<Request>,
    /// Its stub asked to migrate it (`Freeze`): it stops at its next return to user mode.
    pub freeze: bool,
    /// It is stopped at its return to user mode for its stub to move it (`Frozen`): its
    /// image is read with its registers exact.
    pub frozen: bool,
}

impl Role for Satellite {
    fn as_any(&mut self) -> &mut dyn Any {
        self
    }

    fn as_any_ref(&self) -> &dyn Any {
        self
    }

    fn move_requested(&self) -> bool {
        self.freeze
    }
}

/// A user process `pid` (logically `ppid`'s child) entering user mode with `frame` in `space`.
pub fn new_process(pid: Pid, ppid: Pid, space: AddressSpace, frame: TrapFrame) -> Result<Box<Proc>, Errno> {
    Proc::user(pid, ppid, "", space, frame, Box::new(Satellite::default()))
}

/// Ends the current process with `status`: frees its memory and tells its stub, which exits
/// with the same status. Never returns.
pub fn exit(status: WaitStatus) -> ! {
    end_here(Some(status))
}

/// Ends the current process here: frees its memory and its rights, tells its stub `status`
/// if given (none when it moved to another node, where it lives on). Never returns.
fn end_here(status: Option<WaitStatus>) -> ! {
    let pid = {
        let mut table = proc::table();
        let me = table.current();
        pmap::activate_kernel();
        me.space = None;
        if me.role::<Satellite>().is_some_and(|r| core::mem::take(&mut r.freeze)) {
            FREEZES.fetch_sub(1, Ordering::Relaxed);
        }
        me.pid
    };
    ox_kcore::ipcall::task_exit(pid);
    if let Some(status) = status {
        link::send(&Message::request(pid, Request::Exit(status)));
    }
    sched::switch_away(State::Dead);
    unreachable!("a dead process was scheduled");
}

/// A signal for `pid` (a `Signal` request from its stub): pending unless ignored; it breaks
/// a local interruptible sleep (`sleep`, `pause`). If the process waits for the reply to a
/// call (the stub sent the signal while idle, and the call crossed it on the link), the stub
/// is asked to interrupt that call: a `Signal` request back.
pub fn kill(pid: Pid, sig: Signal) {
    let mut table = proc::table();
    let Some(proc) = table.find(pid) else { return };
    let in_call = asking(proc);
    if signal::post(proc, sig) && in_call {
        drop(table);
        link::send(&Message::request(pid, Request::Signal(sig)));
    }
}

/// A signal the current process's stub passed back in a reply: pending unless ignored.
/// Returns whether it interrupts (pending and not blocked).
pub fn post_current(signal: Signal) -> bool {
    proc::table().current().signals.post(signal)
}

/// The user processes here that can run (the load reported to the central's balancer).
pub fn runnable() -> u32 {
    proc::table().user_procs().filter(|p| matches!(p.state, State::Runnable | State::Running)).count() as u32
}

/// `Freeze` from the stub of `pid`: the process stops at its next return to user mode
/// ([`returning`]).
pub fn freeze(pid: Pid) {
    let mut table = proc::table();
    let Some(proc) = table.find(pid) else { return };
    let Some(role) = proc.role::<Satellite>() else { return };
    if !core::mem::replace(&mut role.freeze, true) {
        FREEZES.fetch_add(1, Ordering::Relaxed);
    }
    // Asleep here (`sleep`, `pause`), it moves now: the sleep breaks, and the call is made
    // again where it goes. One waiting for its call's reply stops when the reply comes (its
    // stub breaks the call off).
    let asking = role.asking;
    if !asking && matches!(proc.state, State::Sleeping(_)) {
        proc.state = State::Runnable;
    }
}

/// Processes asked to stop (`Freeze`) that have not yet: while there are none, a return to
/// user mode costs one load more, not a look at the process table.
static FREEZES: AtomicU32 = AtomicU32::new(0);

/// Whether `proc` is stopped for its stub to move it.
pub fn frozen(proc: &Proc) -> bool {
    proc.role_ref::<Satellite>().is_some_and(|r| r.frozen)
}

/// The core's last step before the current process returns to user mode with `frame`: if
/// its stub asked to move it, it reports `Frozen` with its pc and waits, its registers and
/// memory still, while the stub reads its image; the reply 1 says it runs elsewhere now, and
/// it ends here without a word (its stub lives on); 0 that it stays.
pub fn returning(frame: &mut TrapFrame) {
    if FREEZES.load(Ordering::Relaxed) != 0 {
        stop_if_asked(frame);
    }
}

/// [`returning`] when some process is asked to stop: the current one stops if it is.
#[cold]
#[inline(never)]
fn stop_if_asked(frame: &TrapFrame) {
    let (pid, asleep) = {
        let mut table = proc::table();
        let me = table.current();
        let (pid, asleep) = (me.pid, me.signals.restarting());
        let Some(role) = me.role::<Satellite>().filter(|r| r.freeze) else { return };
        (role.freeze, role.frozen, role.asking) = (false, true, true);
        FREEZES.fetch_sub(1, Ordering::Relaxed);
        (pid, asleep)
    };
    link::send(&Message::request(pid, Request::Frozen { pc: frame.epc, asleep }));
    let reply = wait_reply(&mut |_| {});
    if let Some(role) = proc::table().current().role::<Satellite>() {
        role.frozen = false;
    }
    if let Some(signal) = reply.signal {
        post_current(signal);
    }
    if reply.result == Ok(1) {
        end_here(None);
    }
}

/// Hands the central's reply to process `pid` and wakes it.
pub fn deliver_reply(pid: Pid, reply: Reply) {
    let mut table = proc::table();
    if let Some(role) = table.find(pid).and_then(|p| p.role::<Satellite>()) {
        role.reply = Some(reply);
        table.wakeup(reply_chan(pid));
    }
}

/// Hands process `pid` a piece of its call's output, which came ahead of the reply, and wakes
/// it to copy the piece into its buffer. Dropped unless the process waits for a reply.
pub fn deliver_output(pid: Pid, output: Output) {
    let mut table = proc::table();
    if let Some(role) = table.find(pid).and_then(|p| p.role::<Satellite>()).filter(|r| r.asking) {
        role.output.push_back(output);
        table.wakeup(reply_chan(pid));
    }
}

/// Hands process `pid` its stub's `CopyIn` or `CopyOut` and wakes it to serve it; answers
/// `ESRCH` at once unless the process waits for a reply (the stub waits for one).
pub fn deliver_copy(pid: Pid, request: Request) {
    let mut table = proc::table();
    if let Some(role) = table.find(pid).and_then(|p| p.role::<Satellite>()).filter(|r| r.asking) {
        role.copies.push_back(request);
        table.wakeup(reply_chan(pid));
        return;
    }
    drop(table);
    link::send(&Message::reply(pid, Reply::err(Errno::Srch)));
}

/// Copies of processes' memory served for their stubs ([`ox_abi::NodeStats::user_copies`]).
static COPIES: AtomicU32 = AtomicU32::new(0);

/// Copies served so far.
pub fn copies() -> u32 {
    COPIES.load(Ordering::Relaxed)
}

/// Serves the stub's `request` (`CopyIn` or `CopyOut`) in the current process's memory, as
/// the process's own copies are (its pages may be brought in first), and answers it.
fn serve_copy(pid: Pid, request: Request) {
    COPIES.fetch_add(1, Ordering::Relaxed);
    let reply = match request {
        Request::CopyIn { addr, len } => {
            let mut data = vec![0; len as usize];
            match proc::copy_in(addr, &mut data) {
                Ok(()) => Reply { result: Ok(len), signal: None, data },
                Err(e) => Reply::err(e),
            }
        }
        Request::CopyOut { addr, data } => match proc::copy_out(addr, &data) {
            Ok(()) => Reply::ok(0),
            Err(e) => Reply::err(e),
        },
        _ => Reply::err(Errno::Inval),
    };
    link::send(&Message::reply(pid, reply));
}

/// Whether `proc` waits for the reply to a forwarded call: from before the call is sent until
/// it takes the reply, asleep or not.
pub fn asking(proc: &Proc) -> bool {
    proc.role_ref::<Satellite>().is_some_and(|r| r.asking)
}

/// Marks the current process as waiting for a reply (before its call is sent: the central
/// may ask about it — `ReadImage`, `ForkHere` — as soon as the call arrives).
pub fn start_asking() {
    if let Some(role) = proc::table().current().role::<Satellite>() {
        role.asking = true;
    }
}

/// Sleeps until the reply to the current process's forwarded call arrives ([`start_asking`]
/// was called before the call was sent); hands `output` each piece of output that comes ahead
/// of it, in order, as it comes, and serves the stub's copies meanwhile.
pub fn wait_reply(output: &mut dyn FnMut(Output)) -> Reply {
    loop {
        let (pid, piece, copy, reply) = {
            let mut table = proc::table();
            let me = table.current();
            let pid = me.pid;
            let mut role = me.role::<Satellite>();
            let piece = role.as_mut().and_then(|r| r.output.pop_front());
            let copy = if piece.is_none() { role.as_mut().and_then(|r| r.copies.pop_front()) } else { None };
            let reply =
                if piece.is_none() && copy.is_none() { role.and_then(|r| r.reply.take()) } else { None };
            (pid, piece, copy, reply)
        };
        if let Some(piece) = piece {
            output(piece);
            continue;
        }
        if let Some(copy) = copy {
            serve_copy(pid, copy);
            continue;
        }
        if let Some(reply) = reply {
            if let Some(role) = proc::table().current().role::<Satellite>() {
                role.asking = false;
            }
            return reply;
        }
        sched::sleep(reply_chan(pid));
    }
}
