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
//! Lifecycle: `Runnable` ⇄ `Running` ⇄ `Sleeping(chan)`, then `Dead`: `exit` frees its
//! memory, tells the stub (`Exit`) and switches away for good; the scheduler then frees its
//! slot and kernel stack. A process's slot gives its ASID (slot + 1).
//!
//! The table's last slot, [`SERVER_SLOT`], holds the process server ([`server`](crate::server)),
//! created at boot: a kernel thread with pid [`SERVER_PID`] (0, which the central never gives)
//! and no address space, which never runs user code and never exits. It is not a user process:
//! [`Table::find`] and the server's choice of a slot for a new process see only slots `0..NPROC`, so
//! nothing the central sends about a pid reaches it and it takes no user process's room; `stats`
//! counts it (it is one more live process, always). It is the technical parent of every
//! process it starts (Bach §13.1), which the satellite needs no record of: no one waits for a
//! process here, its stub is waited for on the central; `ppid` stays the logical parent.

use alloc::alloc::{alloc_zeroed, Layout};
use alloc::boxed::Box;

use ox_abi::{Errno, Signal, WaitStatus};
use ox_kcore::arch::{self, Context, TrapFrame, FRAME_SIZE};
use ox_kcore::global::{Global, GlobalGuard};
use ox_kcore::signal::{self, Delivery, Signals};
use ox_kcore::vm::AddressSpace;
use ox_kcore::{kprintln, pmap};
use ox_proto::{Message, Reply, Request};

use crate::{link, sched, server};

/// Most user processes on one satellite.
pub const NPROC: usize = 32;
/// The process server's slot, after the user processes'.
pub const SERVER_SLOT: usize = NPROC;
/// The process server's pid (the central's pids start at 1).
pub const SERVER_PID: Pid = 0;
/// Bytes of each kernel stack.
const KSTACK_SIZE: usize = 16 * 1024;

/// A process id (given by the central: pids are system-wide).
pub type Pid = u32;

/// What a sleeping process waits for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Chan {
    /// The reply to the call it forwarded.
    Reply(Pid),
    /// The next timer tick.
    Tick,
    /// Nothing but a signal (`pause`).
    Pause,
    /// Requests for the process server.
    Server,
}

/// Scheduling state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    /// Ready to run.
    Runnable,
    /// On the CPU.
    Running,
    /// Blocked until `wakeup(chan)`.
    Sleeping(Chan),
    /// Exited; the scheduler frees it.
    Dead,
}

/// One process.
pub struct Proc {
    /// Its id, the same as its stub's.
    pub pid: Pid,
    /// Its logical parent on the central, as it was at placement (the cached `getppid`).
    pub ppid: Pid,
    /// Scheduling state.
    pub state: State,
    /// Its pending signals and what it does with each.
    pub signals: Signals,
    /// Its memory (`None` once it has exited, and for the server, which has none).
    pub space: Option<AddressSpace>,
    /// Its kernel thread, saved while it is not on the CPU.
    pub context: Context,
    /// The reply to its forwarded call, once it came.
    pub reply: Option<Reply>,
    kstack: *mut u8,
}

fn kstack_layout() -> Layout {
    Layout::from_size_align(KSTACK_SIZE, 16).unwrap_or_else(|_| unreachable!("a valid layout"))
}

impl Proc {
    /// A process that enters user mode with `frame` in `space`.
    pub fn new(pid: Pid, ppid: Pid, space: AddressSpace, frame: TrapFrame) -> Result<Box<Proc>, Errno> {
        let mut proc = Proc::kernel_thread(pid, ppid, arch::user_return_address())?;
        let frame_addr = proc.kstack as u32 + (KSTACK_SIZE - FRAME_SIZE) as u32;
        // Safety: the frame slot lies inside the stack just allocated, which no one uses yet.
        unsafe { (frame_addr as *mut TrapFrame).write(frame) };
        proc.context.sp = frame_addr;
        proc.space = Some(space);
        Ok(proc)
    }

    /// The process server: a kernel thread starting at `entry` on its own stack, sleeping on
    /// [`Chan::Server`] until its first request.
    pub fn new_server(entry: u32) -> Result<Box<Proc>, Errno> {
        let mut proc = Proc::kernel_thread(SERVER_PID, SERVER_PID, entry)?;
        proc.state = State::Sleeping(Chan::Server);
        Ok(proc)
    }

    /// A runnable kernel thread with a fresh stack, without memory, whose first switch goes
    /// to `entry` with the stack empty.
    fn kernel_thread(pid: Pid, ppid: Pid, entry: u32) -> Result<Box<Proc>, Errno> {
        // Safety: the layout has a non-zero size.
        let kstack = unsafe { alloc_zeroed(kstack_layout()) };
        if kstack.is_null() {
            return Err(Errno::NoMem);
        }
        let context = Context { ra: entry, sp: kstack as u32 + KSTACK_SIZE as u32, s: [0; 12] };
        Ok(Box::new(Proc {
            pid,
            ppid,
            state: State::Runnable,
            signals: Signals::new(),
            space: None,
            context,
            reply: None,
            kstack,
        }))
    }

    /// The user registers and pc it entered the kernel with (the frame on its kernel stack;
    /// for a process sleeping in a call, the call's, with the pc already after it).
    pub fn frame(&self) -> TrapFrame {
        let frame_addr = self.kstack as u32 + (KSTACK_SIZE - FRAME_SIZE) as u32;
        // Safety: the frame slot lies inside this process's live kernel stack, where its
        // trap entry saved the user registers.
        unsafe { (frame_addr as *const TrapFrame).read() }
    }

    /// The address space of a process that has not exited.
    pub fn space(&mut self) -> &mut AddressSpace {
        let pid = self.pid;
        self.space.as_mut().unwrap_or_else(|| panic!("pid {pid} has no address space"))
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        // Safety: the stack came from `alloc_zeroed` with this layout, and a dropped process
        // is dead and never runs again (the scheduler drops it on its own stack).
        unsafe { alloc::alloc::dealloc(self.kstack, kstack_layout()) }
    }
}

/// The process table.
pub struct Table {
    /// The processes, by slot: the user processes', then the server's.
    pub slots: [Option<Box<Proc>>; NPROC + 1],
    current: Option<usize>,
    last: usize,
}

impl Table {
    /// The running process.
    pub fn current(&mut self) -> &mut Proc {
        let slot = self.current.unwrap_or_else(|| panic!("no current process"));
        self.slots[slot].as_deref_mut().unwrap_or_else(|| panic!("the current slot is empty"))
    }

    /// The next process to run, marked running and current: the server if it is runnable
    /// (it serves the link, so it goes first), else the next runnable user process after the
    /// last one picked (round robin).
    pub fn pick_next(&mut self) -> Option<&mut Proc> {
        let runnable = |p: &Option<Box<Proc>>| p.as_ref().is_some_and(|p| p.state == State::Runnable);
        let slot = if runnable(&self.slots[SERVER_SLOT]) {
            SERVER_SLOT
        } else {
            let slot = (1..=NPROC).map(|i| (self.last + i) % NPROC).find(|&i| runnable(&self.slots[i]))?;
            self.last = slot;
            slot
        };
        self.current = Some(slot);
        let proc = self.current();
        proc.state = State::Running;
        Some(proc)
    }

    /// Forgets the current process (it switched back to the scheduler); frees it if dead.
    pub fn clear_current(&mut self) {
        if let Some(slot) = self.current.take() {
            if self.slots[slot].as_ref().is_some_and(|p| p.state == State::Dead) {
                self.slots[slot] = None;
            }
        }
    }

    /// Makes every process sleeping on `chan` runnable.
    pub fn wakeup(&mut self, chan: Chan) {
        for proc in self.slots.iter_mut().flatten() {
            if proc.state == State::Sleeping(chan) {
                proc.state = State::Runnable;
            }
        }
    }

    /// Whether some process sleeps on `chan`.
    pub fn has_sleepers(&self, chan: Chan) -> bool {
        self.slots.iter().flatten().any(|p| p.state == State::Sleeping(chan))
    }

    /// The user process `pid`.
    pub fn find(&mut self, pid: Pid) -> Option<&mut Proc> {
        self.slots[..NPROC].iter_mut().flatten().find(|p| p.pid == pid).map(|p| &mut **p)
    }
}

/// Every process.
static PROCS: Global<Table> = Global::new(
    "process table",
    Table { slots: [const { None }; NPROC + 1], current: None, last: NPROC - 1 },
);

/// The process table, locked.
pub fn table() -> GlobalGuard<'static, Table> {
    PROCS.lock()
}

/// Ends the current process with `status`: frees its memory and tells its stub, which exits
/// with the same status. Never returns.
pub fn exit(status: WaitStatus) -> ! {
    let pid = {
        let mut table = table();
        let me = table.current();
        pmap::activate_kernel();
        me.space = None;
        me.pid
    };
    link::send(&Message::request(pid, Request::Exit(status)));
    sched::switch_away(State::Dead);
    unreachable!("a dead process was scheduled");
}

/// Acts on the current process's pending signals before it returns to user mode with
/// `frame`: enters handlers here, or ends the process (and so its stub).
pub fn deliver_signals(frame: &mut TrapFrame) {
    let delivery = {
        let mut table = table();
        let me = table.current();
        if !me.signals.interrupting() {
            return;
        }
        let Some(space) = me.space.as_mut() else { return };
        signal::deliver(&mut me.signals, space, frame)
    };
    if let Delivery::Terminate(signal) = delivery {
        exit(WaitStatus::Signaled(signal));
    }
}

/// Whether the current process has a pending signal that is not blocked.
pub fn interrupted() -> bool {
    table().current().signals.interrupting()
}

/// A signal for `pid` (a `Signal` request from its stub): pending unless ignored; it breaks
/// a local interruptible sleep (`sleep`, `pause`). If the process waits for the reply to a
/// call (the stub sent the signal while idle, and the call crossed it on the link), the stub
/// is asked to interrupt that call: a `Signal` request back.
pub fn kill(pid: Pid, signal: Signal) {
    let mut table = table();
    let Some(proc) = table.find(pid) else { return };
    if !proc.signals.post(signal) {
        return;
    }
    match proc.state {
        State::Sleeping(Chan::Tick | Chan::Pause) => proc.state = State::Runnable,
        State::Sleeping(Chan::Reply(_)) => {
            drop(table);
            link::send(&Message::request(pid, Request::Signal(signal)));
        }
        _ => {}
    }
}

/// A signal the current process's stub passed back in a reply: pending unless ignored.
/// Returns whether it interrupts (pending and not blocked).
pub fn post_current(signal: Signal) -> bool {
    table().current().signals.post(signal)
}

/// A fault's `signal` for the current process: `true` if a handler will take it, `false` if
/// it ends the process at its return to user mode.
pub fn fault(signal: Signal) -> bool {
    table().current().signals.fault(signal)
}

/// `sigaction(signal, handler, restorer)`, served here: returns the old handler word.
pub fn sigaction(signal: u32, handler: u32, restorer: u32) -> Result<u32, Errno> {
    table().current().signals.sigaction(signal, handler, restorer)
}

/// `sigreturn`, served here: `frame` resumes what the handler interrupted. A missing or
/// damaged frame on the stack ends the process with `SIGSEGV`.
pub fn sigreturn(frame: &mut TrapFrame) -> u32 {
    let restored = {
        let mut table = table();
        let me = table.current();
        let Some(space) = me.space.as_mut() else { unreachable!("a running process has memory") };
        signal::sigreturn(&mut me.signals, space, frame).map_err(|_| me.pid)
    };
    match restored {
        Ok(a0) => a0,
        Err(pid) => {
            kprintln!("pid {pid}: killed by SIGSEGV: no signal frame at sp {:#010x}", frame.regs[2]);
            exit(WaitStatus::Signaled(Signal::Segv))
        }
    }
}

/// `pause`, served here: sleeps until a signal is to be delivered; always `EINTR`.
pub fn pause() -> Result<u32, Errno> {
    loop {
        if interrupted() {
            return Err(Errno::Intr);
        }
        sched::sleep(Chan::Pause);
    }
}

/// Hands the central's reply to process `pid` and wakes it.
pub fn deliver_reply(pid: Pid, reply: Reply) {
    // Its call is over: the image a fork was reading from it may change from now on.
    server::forget_outgoing(pid);
    let mut table = table();
    if let Some(proc) = table.find(pid) {
        proc.reply = Some(reply);
        table.wakeup(Chan::Reply(pid));
    }
}

/// Sleeps until the reply to the current process's forwarded call arrives.
pub fn wait_reply() -> Reply {
    loop {
        let (pid, reply) = {
            let mut table = table();
            let me = table.current();
            (me.pid, me.reply.take())
        };
        if let Some(reply) = reply {
            return reply;
        }
        sched::sleep(Chan::Reply(pid));
    }
}
