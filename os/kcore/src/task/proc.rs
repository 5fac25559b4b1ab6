//! The process table, the same on every kernel: each process's id, parent, name, scheduling
//! state, signals, address space and kernel thread, and a **role** — what the kernel it runs
//! on adds (the central: descriptors, directory, placement, and for a stub the satellite its
//! user context runs on; a satellite: the reply to its forwarded call).
//!
//! Each process has its own kernel stack (its user registers, the [`TrapFrame`], at the top;
//! a canary word at the bottom, checked by the scheduler) and a saved kernel [`Context`].
//! Its slot in the table gives its ASID (slot + 1), so two live address spaces never share
//! one. The table has **user slots** (`fork` and `find` see these) and, after them, **system
//! slots** for kernel threads of the kernel's own (a satellite's process server), which the
//! scheduler runs first when they are runnable.
//!
//! Lifecycle: `Runnable` ⇄ `Running` ⇄ `Sleeping(chan)`; then either `Zombie(status)`, kept
//! until a parent on this node collects it (`wait`), or `Dead`, freed by the scheduler as soon
//! as it has switched away (a process whose parent is elsewhere).

use alloc::alloc::{alloc_zeroed, Layout};
use alloc::boxed::Box;
use alloc::string::String;
use alloc::vec::Vec;
use core::any::Any;

use ox_abi::{Errno, WaitStatus};

use crate::arch::{self, Context, TrapFrame, FRAME_SIZE};
use crate::global::{Global, GlobalGuard};
use crate::pmap;
use crate::signal::Signals;
use crate::task::chan::Chan;
use crate::vm::AddressSpace;
use crate::vm::Paged;

/// A process id (system-wide: the central gives them, also to satellites' processes).
pub type Pid = u32;

/// Bytes of each kernel stack.
pub const KSTACK_SIZE: usize = 16 * 1024;
/// Written at the bottom of every kernel stack; the scheduler checks it is still there.
const STACK_CANARY: u32 = 0x57ac_c0de;

/// Scheduling state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    /// Ready to run.
    Runnable,
    /// On the CPU.
    Running,
    /// Blocked until `wakeup(chan)`.
    Sleeping(Chan),
    /// Exited; waiting for its parent to collect the status.
    Zombie(WaitStatus),
    /// Exited, with no one here to collect it: the scheduler frees it.
    Dead,
}

/// What a kernel adds to a process (its extension of the table), and the two facts about it
/// the core's signal path and virtual-memory calls need.
pub trait Role: Any {
    /// The role as `Any`, for the kernel that made it to get its own type back.
    fn as_any(&mut self) -> &mut dyn Any;

    /// The same, shared.
    fn as_any_ref(&self) -> &dyn Any;

    /// Whether the process's user context — its registers, memory and signal dispositions —
    /// lives on another node, this entry standing for it (a stub, Bach §13.1). Its signals
    /// are then kept pending for that node, whatever they are, and never delivered here; its
    /// memory is not the process's.
    fn user_context_elsewhere(&self) -> bool {
        false
    }

    /// Whether the process was asked to abandon the call it executes (a stub whose process
    /// has a signal to take on its node).
    fn interrupt_requested(&self) -> bool {
        false
    }

    /// Whether the process is to move to another node (process migration,
    /// docs/migration.md): an interruptible sleep breaks as for a signal, and the call it was
    /// in is made again where the process goes ([`crate::task::syscall`]).
    fn move_requested(&self) -> bool {
        false
    }

    /// The call the process was asleep in was broken off for its move, and it makes the call
    /// again where it goes: it is asleep in it, logically (`ps`).
    fn call_restarted(&mut self) {}
}

/// A role that adds nothing (a kernel thread).
pub struct NoRole;

impl Role for NoRole {
    fn as_any(&mut self) -> &mut dyn Any {
        self
    }

    fn as_any_ref(&self) -> &dyn Any {
        self
    }
}

/// One process.
pub struct Proc {
    /// Its id.
    pub pid: Pid,
    /// Its logical parent's id (0 for init and kernel threads).
    pub ppid: Pid,
    /// The program it runs (for messages and `ps`; empty when this node does not know it).
    pub name: String,
    /// Scheduling state.
    pub state: State,
    /// Its pending signals and what it does with each.
    pub signals: Signals,
    /// Its memory (`None` once it has exited, and for a kernel thread).
    pub space: Option<AddressSpace>,
    /// Its kernel thread, saved while it is not on the CPU.
    pub context: Context,
    /// What this kernel adds.
    pub role: Box<dyn Role>,
    /// The bytes of a message handed to it while it slept parked in a receive (the port
    /// calls' hand-off, `ipcall`), laid out in its buffer already; taken when it wakes.
    pub handed: Option<u32>,
    kstack: *mut u8,
}

fn kstack_layout() -> Layout {
    Layout::from_size_align(KSTACK_SIZE, 16).unwrap_or_else(|_| unreachable!("a valid layout"))
}

impl Proc {
    /// A kernel thread that starts at `entry` (a function that never returns) on a stack of
    /// its own, with no address space; runnable.
    pub fn kernel_thread(
        pid: Pid,
        ppid: Pid,
        name: &str,
        entry: u32,
        role: Box<dyn Role>,
    ) -> Result<Box<Proc>, Errno> {
        // Safety: the layout has a non-zero size.
        let kstack = unsafe { alloc_zeroed(kstack_layout()) };
        if kstack.is_null() {
            return Err(Errno::NoMem);
        }
        // Safety: the canary word lies inside the stack just allocated, which no one uses yet.
        unsafe { (kstack as *mut u32).write(STACK_CANARY) };
        let context = Context { ra: entry, sp: kstack as u32 + KSTACK_SIZE as u32, s: [0; 12] };
        Ok(Box::new(Proc {
            pid,
            ppid,
            name: String::from(name),
            state: State::Runnable,
            signals: Signals::new(),
            space: None,
            context,
            role,
            handed: None,
            kstack,
        }))
    }

    /// A process whose first switch enters user mode with `frame` in `space`; runnable.
    pub fn user(
        pid: Pid,
        ppid: Pid,
        name: &str,
        space: AddressSpace,
        frame: TrapFrame,
        role: Box<dyn Role>,
    ) -> Result<Box<Proc>, Errno> {
        let mut proc = Proc::kernel_thread(pid, ppid, name, arch::user_return_address(), role)?;
        let frame_addr = proc.frame_addr();
        // Safety: the frame slot lies inside the stack just allocated, which no one uses yet.
        unsafe { (frame_addr as *mut TrapFrame).write(frame) };
        proc.context.sp = frame_addr;
        proc.space = Some(space);
        Ok(proc)
    }

    /// Enters user mode as the current process with `frame`, abandoning the kernel call
    /// chain that calls it: a stub becoming its process again (migration home). The caller
    /// holds no lock and nothing to drop, and the current address space is the process's.
    pub fn enter_user(frame: &TrapFrame) -> ! {
        let at = table().current().frame_addr();
        // Safety: `at` is the frame slot at the top of the current process's kernel stack,
        // which its kernel thread never uses (a process's thread starts below it, `user`), so
        // `frame`, wherever it lies on that stack, lies below the slot and does not overlap
        // it; the kernel runs with interrupts masked, so nothing else uses the stack while the
        // frame is copied, and `user_return` then leaves for user mode with it.
        unsafe { arch::enter_user_at(frame, at) }
    }

    /// Makes `space`, built with this process's ASID `asid`, its address space: switched to
    /// before the old one is freed, and what the TLB cached for either forgotten. The process
    /// must be the current one.
    pub fn switch_space(&mut self, space: AddressSpace, asid: u32) {
        space.activate();
        self.space = Some(space);
        arch::flush_asid(asid);
    }

    fn frame_addr(&self) -> u32 {
        self.kstack as u32 + (KSTACK_SIZE - FRAME_SIZE) as u32
    }

    /// The user registers and pc it entered the kernel with (the frame on its kernel stack;
    /// for a process sleeping in a call, the call's, with the pc already after it).
    pub fn frame(&self) -> TrapFrame {
        // Safety: the frame slot lies inside this process's live kernel stack, where its
        // trap entry saved the user registers.
        unsafe { (self.frame_addr() as *const TrapFrame).read() }
    }

    /// Checks that the bottom of the kernel stack is intact: an overflow is a kernel bug, and
    /// the kernel stops at once with the process named.
    pub fn check_stack(&self) {
        // Safety: kstack points to this process's live kernel stack.
        if unsafe { (self.kstack as *const u32).read() } != STACK_CANARY {
            panic!("pid {} ({}) overflowed its kernel stack", self.pid, self.name);
        }
    }

    /// Makes the process's address space the processor's (the kernel's alone for a system
    /// thread), before switching to it.
    pub fn activate(&mut self) {
        match self.space.as_mut() {
            Some(space) => space.activate(),
            None => pmap::activate_kernel(),
        }
    }

    /// The address space of a process that has not exited.
    pub fn space(&mut self) -> &mut AddressSpace {
        let pid = self.pid;
        self.space.as_mut().unwrap_or_else(|| panic!("pid {pid} has no address space"))
    }

    /// The role as the kernel's type `R`, if it is one.
    pub fn role<R: Role>(&mut self) -> Option<&mut R> {
        self.role.as_any().downcast_mut::<R>()
    }

    /// The role as the kernel's type `R`, shared.
    pub fn role_ref<R: Role>(&self) -> Option<&R> {
        self.role.as_any_ref().downcast_ref::<R>()
    }

    /// Whether it has ended (a zombie or dead).
    pub fn has_exited(&self) -> bool {
        matches!(self.state, State::Zombie(_) | State::Dead)
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        // Safety: the stack came from `alloc_zeroed` with this layout, and a dropped process
        // has exited and never runs again (it is dropped by `wait` or the scheduler, on
        // another stack).
        unsafe { alloc::alloc::dealloc(self.kstack, kstack_layout()) }
    }
}

/// The process table.
pub struct Table {
    /// The processes, by slot: `user` user slots, then the system slots. A process enters
    /// its slot through [`Table::put`] (which keeps `high`); it may leave it any way.
    pub slots: Vec<Option<Box<Proc>>>,
    user: usize,
    /// No user slot at or above this one holds a process: the scheduler's look for the next
    /// one to run stops here, not at the last of the `user` slots (most are empty).
    high: usize,
    current: Option<usize>,
    last: usize,
    next_pid: Pid,
}

/// Whether the slot holds a runnable process.
fn runnable(slot: &Option<Box<Proc>>) -> bool {
    slot.as_deref().is_some_and(|p| matches!(p.state, State::Runnable))
}

impl Table {
    /// The running process.
    pub fn current(&mut self) -> &mut Proc {
        let slot = self.current.unwrap_or_else(|| panic!("no current process"));
        self.slots[slot].as_deref_mut().unwrap_or_else(|| panic!("the current slot is empty"))
    }

    /// The running process's slot (its ASID is slot + 1).
    pub fn current_slot(&self) -> Option<usize> {
        self.current
    }

    /// The next process to run, marked running and current: a runnable system thread first,
    /// else the next runnable user process after the last one picked (round robin).
    pub fn pick_next(&mut self) -> Option<&mut Proc> {
        let slot = match (self.user..self.slots.len()).find(|&i| runnable(&self.slots[i])) {
            Some(system) => system,
            None => {
                // The user slots after the last one picked, then from the first up to it
                // (those from `high` on are empty, and the empty ones at the top are dropped).
                while self.high > 0 && self.slots[self.high - 1].is_none() {
                    self.high -= 1;
                }
                let (high, last) = (self.high, self.last);
                let slot =
                    (last + 1..high).chain(0..(last + 1).min(high)).find(|&i| runnable(&self.slots[i]))?;
                self.last = slot;
                slot
            }
        };
        self.current = Some(slot);
        let proc = self.current();
        proc.state = State::Running;
        Some(proc)
    }

    /// Makes the runnable user process in `slot` the current one, running, as [`pick_next`]
    /// would have made it (and the next round-robin turn starts after it) — if the scheduler
    /// would run no system thread first. For a process that hands the CPU straight to the one
    /// it woke ([`sched::sleep_handing`](super::sched::sleep_handing)).
    ///
    /// [`pick_next`]: Table::pick_next
    pub fn hand_to(&mut self, slot: usize) -> Option<&mut Proc> {
        if slot >= self.user || !runnable(&self.slots[slot]) || self.slots[self.user..].iter().any(runnable) {
            return None;
        }
        (self.current, self.last) = (Some(slot), slot);
        let proc = self.current();
        proc.state = State::Running;
        Some(proc)
    }

    /// Puts `proc` in the empty slot `slot`.
    pub fn put(&mut self, slot: usize, proc: Box<Proc>) {
        if slot < self.user {
            self.high = self.high.max(slot + 1);
        }
        self.slots[slot] = Some(proc);
    }

    /// Forgets the current process (it switched back to the scheduler): checks its kernel
    /// stack, and frees it if it is dead.
    pub fn clear_current(&mut self) {
        let Some(slot) = self.current.take() else { return };
        let Some(proc) = self.slots[slot].as_ref() else { return };
        proc.check_stack();
        if proc.state == State::Dead {
            self.slots[slot] = None;
        }
    }

    /// Makes every process sleeping on `chan` runnable.
    pub fn wakeup(&mut self, chan: Chan) {
        let (high, user) = (self.high, self.user);
        let (users, system) = self.slots.split_at_mut(user);
        for proc in users[..high].iter_mut().chain(system.iter_mut()).flatten() {
            if matches!(proc.state, State::Sleeping(c) if c == chan) {
                proc.state = State::Runnable;
            }
        }
    }

    /// Makes the process in `slot` runnable if it sleeps on `chan` (what [`Table::wakeup`]
    /// does for one process whose slot the caller knows).
    pub fn wake_slot(&mut self, slot: usize, chan: Chan) {
        if let Some(proc) = self.slots.get_mut(slot).and_then(Option::as_deref_mut) {
            if matches!(proc.state, State::Sleeping(c) if c == chan) {
                proc.state = State::Runnable;
            }
        }
    }

    /// Whether some process sleeps on `chan`.
    pub fn has_sleepers(&self, chan: Chan) -> bool {
        let (users, system) = self.slots.split_at(self.user);
        users[..self.high].iter().chain(system).flatten().any(|p| p.state == State::Sleeping(chan))
    }

    /// The user process `pid`.
    pub fn find(&mut self, pid: Pid) -> Option<&mut Proc> {
        self.slots[..self.high].iter_mut().flatten().find(|p| p.pid == pid).map(|p| &mut **p)
    }

    /// The processes of the user slots.
    pub fn user_procs(&mut self) -> impl Iterator<Item = &mut Proc> {
        self.slots[..self.high].iter_mut().flatten().map(|p| &mut **p)
    }

    /// A free user slot; `EAGAIN` when the table is full.
    pub fn free_slot(&self) -> Result<usize, Errno> {
        self.slots[..self.user].iter().position(Option::is_none).ok_or(Errno::Again)
    }

    /// Live user processes.
    pub fn count(&self) -> usize {
        self.slots[..self.high].iter().flatten().count()
    }

    /// The first system slot (after the user slots).
    pub fn system_slot(&self) -> usize {
        self.user
    }

    /// A pid never used before on this node (the central gives every pid of the system).
    pub fn new_pid(&mut self) -> Pid {
        self.next_pid += 1;
        self.next_pid
    }
}

/// Every process of this node.
static PROCS: Global<Table> = Global::new(
    "process table",
    Table { slots: Vec::new(), user: 0, high: 0, current: None, last: 0, next_pid: 0 },
);

/// Makes the table: `user` slots for user processes, `system` for the kernel's threads.
pub fn init(user: usize, system: usize) {
    let mut table = PROCS.lock();
    table.slots = (0..user + system).map(|_| None).collect();
    (table.user, table.last) = (user, user - 1);
}

/// The process table, locked.
pub fn table() -> GlobalGuard<'static, Table> {
    PROCS.lock()
}

/// The process a call that names `pid` may act on: the caller for 0 or its own pid, else a
/// child of the caller whose user context is on this node (`EPERM` for a process that is not
/// the caller's child, `ESRCH` for none here).
pub fn controlled(pid: Pid) -> Result<Pid, Errno> {
    let mut table = table();
    let me = table.current().pid;
    if pid == 0 || pid == me {
        return Ok(me);
    }
    let proc = table.find(pid).ok_or(Errno::Srch)?;
    if proc.ppid != me {
        return Err(Errno::Perm);
    }
    if proc.role.user_context_elsewhere() || proc.has_exited() {
        return Err(Errno::Srch);
    }
    Ok(pid)
}

/// Copies `buf.len()` bytes from the current process's address `va` (`EFAULT` for a bad one).
/// A page an external pager has to provide is waited for (docs/pagers.md), so the caller must
/// hold no lock.
pub fn copy_in(va: u32, buf: &mut [u8]) -> Result<(), Errno> {
    paged(|space| space.copy_in_paged(va, buf))
}

/// Copies `data` to the current process's address `va` (`EFAULT` for a bad one), waiting for
/// pagers as [`copy_in`] does.
pub fn copy_out(va: u32, data: &[u8]) -> Result<(), Errno> {
    paged(|space| space.copy_out_paged(va, data))
}

/// Makes the current process's pages of `va..va + len` resident for `access`, waiting for
/// pagers as [`copy_in`] does: a copy right after will not need them.
pub fn prefault(va: u32, len: usize, access: crate::vm::Access) -> Result<(), Errno> {
    paged(|space| space.prefault(va, len, access))
}

/// Brings back every page of the current process that the default pager holds, before its
/// image is read (a remote `fork`: an image reads pages where they are). Rounds, since
/// bringing pages in may page others of the process out on a node short of memory: another
/// round while the last left fewer pages out than the one before (at least three rounds).
/// `EAGAIN` if some are still out when a round gains nothing (the process is larger than the
/// node's memory), `EFAULT` if the pager fails, `EINTR` for a signal.
pub fn page_in_all() -> Result<(), Errno> {
    let mut rounds = 0;
    let mut left = usize::MAX;
    loop {
        let pages = table().current().space().paged_out_pages();
        if pages.is_empty() {
            return Ok(());
        }
        if rounds >= 3 && pages.len() >= left {
            return Err(Errno::Again);
        }
        (rounds, left) = (rounds + 1, pages.len());
        for (object, index) in pages {
            if !crate::ipcall::page_in(object, index, crate::vm::Access::Read) {
                return Err(Errno::Fault);
            }
            if crate::task::signal::interrupted() {
                return Err(Errno::Intr);
            }
        }
    }
}

/// [`prefault`] through pending signals: for the copies delivering a signal makes (its
/// frame on the user stack, and back at `sigreturn`), which a signal cannot put off. Errors
/// are the copy's to report.
pub fn prefault_through_signals(va: u32, len: usize, access: crate::vm::Access) {
    for _ in 0..len.div_ceil(crate::frame::FRAME_SIZE as usize) + 1 {
        let result = table().current().space().prefault(va, len, access);
        match result {
            Err(Paged::Wait(object, index, access))
                if crate::ipcall::page_in_as(object, index, access, false) => {}
            _ => return,
        }
    }
}

/// Runs `copy` on the current process's space until it is done or fails for good, as
/// [`until_resident`] says.
fn paged(mut copy: impl FnMut(&mut crate::vm::AddressSpace) -> Result<(), Paged>) -> Result<(), Errno> {
    until_resident(|| copy(table().current().space()))
}

/// Runs `attempt` (a copy to or from some process's memory) until it is done or fails for
/// good: a page its pager has to provide is asked for and waited for (`EFAULT` if the pager
/// is dead or too slow, `EINTR` if a signal comes first), and a frame short is reclaimed or
/// waited for ([`crate::ipcall::make_room`]).
pub fn until_resident(mut attempt: impl FnMut() -> Result<(), Paged>) -> Result<(), Errno> {
    loop {
        match attempt() {
            Ok(()) => return Ok(()),
            Err(Paged::Errno(Errno::NoMem)) if crate::ipcall::make_room() => {}
            Err(Paged::Errno(e)) => return Err(e),
            Err(Paged::Wait(object, index, access)) => {
                if !crate::ipcall::page_in(object, index, access) {
                    return Err(Errno::Fault);
                }
                if crate::task::signal::interrupted() {
                    return Err(Errno::Intr);
                }
            }
        }
    }
}

/// The current process's pid and name, for messages.
pub fn current_name() -> (Pid, String) {
    let mut table = table();
    let me = table.current();
    (me.pid, me.name.clone())
}
