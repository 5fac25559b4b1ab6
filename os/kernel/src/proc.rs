//! Processes: the table, creation (`init`, `fork`), `exec`, `exit`, `wait`, `kill` and the
//! delivery of signals (`ox_kcore::signal` holds each process's pending set and dispositions;
//! docs/syscalls.md, *Signals*).
//!
//! Besides its memory, a process has a descriptor table ([`FdTable`], into the system-wide
//! open-file table) and a working directory ([`Cwd`]). `fork` gives the child the same open
//! files (one more reference each) and directory; `exec` keeps both; `exit` closes every
//! descriptor. Programs come from `/bin` on the root file system, or from the images embedded
//! in the kernel when the node has no disk ([`program_image`]).
//!
//! Each process has its own address space, its own kernel stack (with its [`TrapFrame`] at
//! the top) and a saved kernel [`Context`] for the scheduler. A process's slot in the table
//! also gives its ASID (slot + 1), so two live address spaces never share an ASID.
//!
//! Signals: `kill` posts a signal and wakes the target if it sleeps (every sleep loops and
//! re-checks, so an interruptible one returns `EINTR` when [`interrupted`] says so, and the
//! others sleep again); the signal is acted on before the process next returns to user mode
//! ([`deliver_signals`]). A stub's signals are not acted on here: the dispositions of its
//! process live on the satellite, so every signal sent to a stub stays pending until the stub
//! passes it on (in its reply, or as a `Signal` request; [`stub`](crate::stub)). An exiting
//! process sends its parent `SIGCHLD`.
//!
//! Lifecycle: `Runnable` ⇄ `Running` ⇄ `Sleeping(chan)`; `exit` (or a fatal signal) makes it a
//! `Zombie` holding its wait status, after freeing its memory; its parent's `wait` frees the
//! rest (the kernel stack the zombie last ran on). Children of an exiting process go to
//! `init` (pid 1). When `init` itself exits, the kernel powers the node off with its status as
//! the exit code (a signal `n` gives 128 + n): that is how a run reports its verdict.

use alloc::alloc::{alloc_zeroed, Layout};
use alloc::borrow::Cow;
use alloc::boxed::Box;
use alloc::collections::VecDeque;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use ox_abi::{ArgSlice, Errno, Placement, ProcInfo, Signal, WaitStatus, PROC_NAME_MAX, USER_TOP};
use ox_kcore::signal::{self, Delivery, Signals};
use ox_proto::Request;

use crate::arch::{self, Context, TrapFrame, FRAME_SIZE};
use crate::file::{self, FdTable};
use crate::global::{Global, GlobalGuard};
use crate::vm::{Access, AddressSpace};
use crate::{elf, fs, images, kprintln, pmap, power, sched};

/// Most processes alive at once.
pub const NPROC: usize = 64;
/// Bytes of each kernel stack.
pub const KSTACK_SIZE: usize = 16 * 1024;
/// Written at the bottom of every kernel stack; the scheduler checks it is still there.
const STACK_CANARY: u32 = 0x57ac_c0de;

/// A process id.
pub type Pid = u32;

/// What a sleeping process waits for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Chan {
    /// A child of this process to exit.
    Child(Pid),
    /// Console input.
    Console,
    /// The next timer tick.
    Tick,
    /// A change of the pipe with this id (bytes in, bytes out, an end closed).
    Pipe(u32),
    /// A request for the stub with this pid (docs/satellites.md).
    Stub(Pid),
    /// A satellite's reply about the process with this pid.
    Reply(Pid),
    /// Nothing but a signal (`pause`).
    Pause,
}

/// What makes a process a stub: the satellite its user context runs on, and the requests from
/// there not executed yet.
pub struct Remote {
    /// The link to the satellite ([`remote`](crate::remote)'s index).
    pub link: usize,
    /// The satellite's node index.
    pub node: u32,
    /// Requests in arrival order.
    pub mailbox: VecDeque<Request>,
    /// A call from the mailbox is being executed.
    pub busy: bool,
    /// The satellite asked to interrupt the call being executed (or the one waiting in the
    /// mailbox): its process has a signal to deliver (it arrived there while the process
    /// waited for this call's reply).
    pub interrupt: bool,
}

/// A working directory: its inode, and the absolute path that led there (for `getcwd`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cwd {
    /// The directory's inode on the root file system.
    pub ino: u32,
    /// Its absolute path, normalised (no `.`, `..` or empty components).
    pub path: String,
}

impl Cwd {
    /// The root directory.
    pub fn root() -> Cwd {
        Cwd { ino: ox_fs::ROOT_INO, path: String::from("/") }
    }
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
    /// Exited; waiting for its parent to collect the status.
    Zombie(WaitStatus),
}

/// One process.
pub struct Proc {
    /// Its id.
    pub pid: Pid,
    /// Its parent's id (0 for init).
    pub ppid: Pid,
    /// The program it runs (set by `exec`).
    pub name: String,
    /// Scheduling state.
    pub state: State,
    /// Its pending signals and what it does with each.
    pub signals: Signals,
    /// Its memory (`None` once it has exited).
    pub space: Option<AddressSpace>,
    /// Its kernel thread, saved while it is not on the CPU.
    pub context: Context,
    /// Its open descriptors.
    pub files: FdTable,
    /// Its working directory.
    pub cwd: Cwd,
    /// `Some` for a stub, whose user context runs on a satellite.
    pub remote: Option<Remote>,
    /// Where its `fork`s put children (`place`; inherited, kept by `exec`).
    pub placement: Placement,
    kstack: *mut u8,
}

impl Proc {
    /// A process with a fresh kernel stack whose first switch returns to user mode with
    /// `frame`.
    pub fn new(
        pid: Pid,
        ppid: Pid,
        name: String,
        space: AddressSpace,
        frame: TrapFrame,
    ) -> Result<Box<Proc>, Errno> {
        // Safety: the layout has a non-zero size.
        let kstack = unsafe { alloc_zeroed(kstack_layout()) };
        if kstack.is_null() {
            return Err(Errno::NoMem);
        }
        let mut proc = Box::new(Proc {
            pid,
            ppid,
            name,
            state: State::Runnable,
            signals: Signals::new(),
            space: Some(space),
            context: Context::default(),
            files: FdTable::empty(),
            cwd: Cwd::root(),
            remote: None,
            placement: Placement::Local,
            kstack,
        });
        let frame_addr = proc.kstack_top() - FRAME_SIZE as u32;
        // Safety: the frame slot and the canary word lie inside the stack we just allocated,
        // which no one else uses yet.
        unsafe {
            (frame_addr as *mut TrapFrame).write(frame);
            (kstack as *mut u32).write(STACK_CANARY);
        }
        proc.context.ra = arch::user_return_address();
        proc.context.sp = frame_addr;
        Ok(proc)
    }

    /// A stub for process `pid` on the satellite of `link` (node `node`): a kernel thread
    /// that starts in [`stub::run`](crate::stub::run), with an address space holding only its
    /// call buffers ([`stub::buffers`](crate::stub::buffers)), in table slot `slot`.
    pub fn new_stub(
        pid: Pid,
        ppid: Pid,
        name: String,
        slot: usize,
        link: usize,
        node: u32,
    ) -> Result<Box<Proc>, Errno> {
        let space = crate::stub::buffers(slot as u32 + 1)?;
        let mut proc = Proc::new(pid, ppid, name, space, TrapFrame::new(0, 0))?;
        proc.context.ra = crate::stub::entry_address();
        proc.remote = Some(Remote { link, node, mailbox: VecDeque::new(), busy: false, interrupt: false });
        Ok(proc)
    }

    fn kstack_top(&self) -> u32 {
        self.kstack as u32 + KSTACK_SIZE as u32
    }

    /// Whether the bottom of the kernel stack is intact.
    pub fn stack_intact(&self) -> bool {
        // Safety: kstack points to this process's live kernel stack.
        unsafe { (self.kstack as *const u32).read() == STACK_CANARY }
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
        // is a reaped zombie that never runs again.
        unsafe { alloc::alloc::dealloc(self.kstack, kstack_layout()) }
    }
}

fn kstack_layout() -> Layout {
    Layout::from_size_align(KSTACK_SIZE, 16).unwrap_or_else(|_| unreachable!("a valid layout"))
}

/// The process table.
pub struct Table {
    /// The processes, by slot.
    pub slots: [Option<Box<Proc>>; NPROC],
    current: Option<usize>,
    next_pid: Pid,
    last: usize,
}

impl Table {
    /// The running process.
    pub fn current(&mut self) -> &mut Proc {
        let slot = self.current.unwrap_or_else(|| panic!("no current process"));
        self.slots[slot].as_deref_mut().unwrap_or_else(|| panic!("the current slot is empty"))
    }

    /// The next runnable process after the last one picked (round robin), marked running
    /// and current; returns its slot.
    pub fn pick_next(&mut self) -> Option<usize> {
        let slot = (1..=NPROC)
            .map(|i| (self.last + i) % NPROC)
            .find(|&i| self.slots[i].as_ref().is_some_and(|p| p.state == State::Runnable))?;
        self.last = slot;
        self.current = Some(slot);
        let proc = self.current();
        proc.state = State::Running;
        Some(slot)
    }

    /// Forgets which process is current (it has switched back to the scheduler).
    pub fn clear_current(&mut self) -> Option<&mut Proc> {
        let slot = self.current.take()?;
        self.slots[slot].as_deref_mut()
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

    /// Whether some live process has directory `ino` as its working directory.
    pub fn is_cwd(&self, ino: u32) -> bool {
        self.slots.iter().flatten().any(|p| p.cwd.ino == ino && !matches!(p.state, State::Zombie(_)))
    }

    /// The process `pid`.
    pub fn find(&mut self, pid: Pid) -> Option<&mut Proc> {
        self.slots.iter_mut().flatten().find(|p| p.pid == pid).map(|p| &mut **p)
    }

    /// The running process's slot (its ASID is slot + 1).
    pub fn current_slot(&self) -> Option<usize> {
        self.current
    }

    /// A free slot of the table.
    pub fn free_slot(&self) -> Result<usize, Errno> {
        self.slots.iter().position(Option::is_none).ok_or(Errno::Again)
    }

    /// A pid never used before (pids are system-wide: satellites get theirs here too).
    pub fn new_pid(&mut self) -> Pid {
        self.next_pid += 1;
        self.next_pid
    }
}

/// Every process.
pub static PROCS: Global<Table> = Global::new(
    "process table",
    Table { slots: [const { None }; NPROC], current: None, next_pid: 0, last: NPROC - 1 },
);

/// The process table, locked.
pub fn table() -> GlobalGuard<'static, Table> {
    PROCS.lock()
}

/// The executable of program `name`: a name with a `/` is a path (from directory `cwd`) on
/// the file system; any other name is the file `/bin/NAME`, or, when there is no file system
/// or no such file, the image of that name embedded in the kernel (so a blank disk still boots).
pub fn program_image(cwd: u32, name: &str) -> Result<Cow<'static, [u8]>, Errno> {
    if name.is_empty() {
        return Err(Errno::NoEnt);
    }
    if name.contains('/') {
        return fs::read_file(cwd, name).map(Cow::Owned);
    }
    match fs::read_file(cwd, &format!("/bin/{name}")) {
        Err(Errno::NoDev | Errno::NoEnt) => images::find(name).map(Cow::Borrowed).ok_or(Errno::NoEnt),
        found => found.map(Cow::Owned),
    }
}

/// A new address space for slot `slot` running executable `image` with arguments `args`:
/// the image loaded, the arguments on the stack. Returns the space and the first trap frame
/// (`a0` = argc, `a1` = argv, an array of [`ArgSlice`]). `exec` here and a stub's `exec` for
/// its satellite process ([`stub`](crate::stub), which ships the result as an image) both
/// build the new user context with it.
pub fn load_program(slot: usize, image: &[u8], args: &[Vec<u8>]) -> Result<(AddressSpace, TrapFrame), Errno> {
    let mut space = AddressSpace::new(slot as u32 + 1)?;
    let entry = elf::load(&mut space, image)?;
    let mut sp = USER_TOP;
    let mut argv = Vec::with_capacity(args.len());
    for arg in args {
        sp -= arg.len() as u32;
        space.copy_out(sp, arg)?;
        argv.push(ArgSlice { ptr: sp, len: arg.len() as u32 });
    }
    sp = (sp & !7) - 8 * argv.len() as u32;
    let argv_addr = sp;
    for (i, slice) in argv.iter().enumerate() {
        let mut bytes = [0; 8];
        bytes[..4].copy_from_slice(&slice.ptr.to_le_bytes());
        bytes[4..].copy_from_slice(&slice.len.to_le_bytes());
        space.copy_out(argv_addr + 8 * i as u32, &bytes)?;
    }
    let mut frame = TrapFrame::new(entry, sp & !15);
    frame.regs[10] = argv.len() as u32;
    frame.regs[11] = argv_addr;
    Ok((space, frame))
}

/// Creates process 1 running the program `init` (from `/bin` or embedded, see
/// [`program_image`]), with the console as descriptors 0, 1 and 2.
pub fn spawn_init() {
    let name = String::from("init");
    let image =
        program_image(ox_fs::ROOT_INO, &name).unwrap_or_else(|e| panic!("cannot find init: {}", e.name()));
    let mut table = table();
    let (space, frame) = load_program(0, &image, &[name.clone().into_bytes()])
        .unwrap_or_else(|e| panic!("cannot start init: {}", e.name()));
    let pid = table.new_pid();
    let mut init = Proc::new(pid, 0, name, space, frame).unwrap_or_else(|e| panic!("init: {}", e.name()));
    init.files = FdTable::console().unwrap_or_else(|e| panic!("init's console: {}", e.name()));
    table.slots[0] = Some(init);
}

/// `fork`: a copy of the current process whose `fork` returns 0; returns the child's pid.
pub fn fork(frame: &TrapFrame) -> Result<Pid, Errno> {
    let mut table = table();
    let slot = table.free_slot()?;
    let pid = table.new_pid();
    let parent = table.current();
    let space = parent.space().duplicate(slot as u32 + 1)?;
    let mut child_frame = *frame;
    child_frame.regs[10] = 0;
    let mut child = Proc::new(pid, parent.pid, parent.name.clone(), space, child_frame)?;
    child.signals = parent.signals.forked();
    child.files = parent.files.duplicate();
    child.cwd = parent.cwd.clone();
    child.placement = parent.placement;
    table.slots[slot] = Some(child);
    Ok(pid)
}

/// `exec`: replaces the current process's program by executable `image`, called `name`; on
/// success `frame` starts the new one.
pub fn exec(frame: &mut TrapFrame, name: &str, image: &[u8], args: &[Vec<u8>]) -> Result<(), Errno> {
    let mut table = table();
    let slot = table.current.unwrap_or_else(|| panic!("exec without a current process"));
    let (space, new_frame) = load_program(slot, image, args)?;
    let proc = table.current();
    // The new space has the same ASID: `PageTable::new` flushed it, and the old one is
    // switched away from before it is freed.
    space.activate();
    proc.space = Some(space);
    proc.signals.exec();
    proc.name = String::from(name.rsplit('/').next().unwrap_or(name));
    arch::flush_asid(slot as u32 + 1);
    *frame = new_frame;
    Ok(())
}

/// Ends the current process with `status`: closes its descriptors, frees its memory. Never
/// returns.
pub fn exit(status: WaitStatus) -> ! {
    // Closing may wake processes (the other end of a pipe), which locks the table.
    let open = table().current().files.take_all();
    for id in open {
        file::close(id);
    }
    let mut table = table();
    let me = table.current();
    let (pid, ppid) = (me.pid, me.ppid);
    if pid == 1 {
        let code = match status {
            WaitStatus::Exited(code) => code as u32,
            WaitStatus::Signaled(signal) => 128 + signal as u32,
        };
        drop(table);
        kprintln!("init exited ({status:?}); powering off with exit code {code}");
        power::power_off(code);
    }
    pmap::activate_kernel();
    me.space = None;
    let mut orphan_zombie = false;
    let mut remote_orphans = Vec::new();
    for child in table.slots.iter_mut().flatten().filter(|p| p.ppid == pid) {
        child.ppid = 1;
        orphan_zombie |= matches!(child.state, State::Zombie(_));
        if let (Some(remote), State::Runnable | State::Running | State::Sleeping(_)) =
            (&child.remote, child.state)
        {
            remote_orphans.push((remote.link, child.pid));
        }
    }
    if orphan_zombie {
        table.wakeup(Chan::Child(1));
    }
    table.wakeup(Chan::Child(ppid));
    if let Some(parent) = table.find(ppid) {
        post(parent, Signal::Chld);
    }
    drop(table);
    // A satellite caches its processes' parents (`getppid` stays local): tell it.
    for (link, child) in remote_orphans {
        crate::remote::send(link, &ox_proto::Message::request(child, Request::Parent { ppid: 1 }));
    }
    sched::switch_away(State::Zombie(status));
    unreachable!("a zombie was scheduled");
}

/// Acts on the current process's pending signals before it returns to user mode with
/// `frame`: enters handlers, or ends the process for a signal whose action terminates.
pub fn deliver_signals(frame: &mut TrapFrame) {
    let delivery = {
        let mut table = table();
        let me = table.current();
        if me.remote.is_some() || !me.signals.interrupting() {
            return;
        }
        let Some(space) = me.space.as_mut() else { return };
        signal::deliver(&mut me.signals, space, frame)
    };
    if let Delivery::Terminate(signal) = delivery {
        exit(WaitStatus::Signaled(signal));
    }
}

/// Whether the current process has a signal that breaks an interruptible sleep: a pending one
/// that is not blocked; for a stub, any pending one (its process's dispositions are on the
/// satellite, which decides), or the satellite's request to interrupt the call.
pub fn interrupted() -> bool {
    let mut table = table();
    let me = table.current();
    match &me.remote {
        Some(remote) => remote.interrupt || me.signals.any_pending(),
        None => me.signals.interrupting(),
    }
}

/// Sends `signal` to `proc`: pending (unless it ignores it), and if it should break a sleep,
/// `proc` is woken (its sleep loop decides whether to return `EINTR`).
fn post(proc: &mut Proc, signal: Signal) {
    let wake = if proc.remote.is_some() {
        proc.signals.post_unfiltered(signal);
        true
    } else {
        proc.signals.post(signal)
    };
    if wake && matches!(proc.state, State::Sleeping(_)) {
        proc.state = State::Runnable;
    }
}

/// Sends `signal` to the current process (`SIGPIPE` from a write to a pipe nobody reads).
pub fn raise(signal: Signal) {
    post(table().current(), signal);
}

/// A fault's `signal` for the current process: `true` if a handler will take it, `false` if
/// it terminates the process at its return to user mode (the caller reports it).
pub fn fault(signal: Signal) -> bool {
    table().current().signals.fault(signal)
}

/// `sigaction(signal, handler, restorer)`: sets the current process's action for `signal`;
/// returns the old handler word.
pub fn sigaction(signal: u32, handler: u32, restorer: u32) -> Result<u32, Errno> {
    table().current().signals.sigaction(signal, handler, restorer)
}

/// `sigreturn`: the current process's handler is done; `frame` resumes what it interrupted.
/// A missing or damaged frame on the stack ends the process with `SIGSEGV`.
pub fn sigreturn(frame: &mut TrapFrame) -> u32 {
    let restored = {
        let mut table = table();
        let me = table.current();
        let Some(space) = me.space.as_mut() else { unreachable!("a running process has memory") };
        signal::sigreturn(&mut me.signals, space, frame)
    };
    match restored {
        Ok(a0) => a0,
        Err(_) => {
            let (pid, name) = current_name();
            kprintln!("pid {pid} ({name}): killed by SIGSEGV: no signal frame at sp {:#010x}", frame.regs[2]);
            exit(WaitStatus::Signaled(Signal::Segv))
        }
    }
}

/// `pause`: sleeps until a signal is to be delivered; always `EINTR`.
pub fn pause() -> Result<u32, Errno> {
    loop {
        if interrupted() {
            return Err(Errno::Intr);
        }
        sched::sleep(Chan::Pause);
    }
}

/// `wait`: collects an exited child (`pid` = -1: any) and stores its status at `status_ptr`
/// (unless 0); returns its pid. Sleeps while matching children are all alive.
pub fn wait(pid: i32, status_ptr: u32) -> Result<Pid, Errno> {
    loop {
        let mut table = table();
        let me = table.current().pid;
        let mut have_child = false;
        let mut zombie = None;
        for (slot, proc) in table.slots.iter().enumerate() {
            let Some(proc) = proc else { continue };
            if proc.ppid == me && (pid == -1 || proc.pid == pid as u32) {
                have_child = true;
                if let State::Zombie(status) = proc.state {
                    zombie = Some((slot, status));
                    break;
                }
            }
        }
        if let Some((slot, status)) = zombie {
            if status_ptr != 0 {
                table.current().space().copy_out(status_ptr, &status.encode().to_le_bytes())?;
            }
            let child = table.slots[slot].take().unwrap_or_else(|| unreachable!("the zombie's slot is full"));
            return Ok(child.pid);
        }
        if !have_child {
            return Err(Errno::Child);
        }
        drop(table);
        if interrupted() {
            return Err(Errno::Intr);
        }
        sched::sleep(Chan::Child(me));
    }
}

/// `kill`: sends `signal` to process `pid` (a stub passes it on to its satellite process).
pub fn kill(pid: i32, signal: Signal) -> Result<(), Errno> {
    let mut table = table();
    let proc = table.find(pid.try_into().map_err(|_| Errno::Srch)?).ok_or(Errno::Srch)?;
    if matches!(proc.state, State::Zombie(_)) {
        return Err(Errno::Srch);
    }
    post(proc, signal);
    Ok(())
}

/// Ctrl-C at the console: `SIGINT` to every live process but init (a stub passes it on).
/// Those that ignore it — the shell reading the console, background jobs — carry on.
pub fn interrupt_key() {
    let mut table = table();
    for proc in table.slots.iter_mut().flatten() {
        if proc.pid != 1 && !matches!(proc.state, State::Zombie(_)) {
            post(proc, Signal::Int);
        }
    }
}

/// `ps`: a row per process, stored at `buf` (at most `len` bytes); returns the bytes stored.
/// A stub shows the node its process runs on, and state `R` while it waits for requests
/// (its process is then running on the satellite, as far as the central knows).
pub fn ps(buf: u32, len: u32) -> Result<u32, Errno> {
    let mut rows = Vec::new();
    let mut table = table();
    for proc in table.slots.iter().flatten() {
        let state = match proc.state {
            State::Runnable | State::Running | State::Sleeping(Chan::Stub(_)) => b'R',
            State::Sleeping(_) => b'S',
            State::Zombie(_) => b'Z',
        };
        let mut name = [0; PROC_NAME_MAX];
        let n = proc.name.len().min(PROC_NAME_MAX);
        name[..n].copy_from_slice(&proc.name.as_bytes()[..n]);
        let (node, flags) = match &proc.remote {
            Some(remote) => (remote.node as u8, ProcInfo::STUB),
            None => (0, 0),
        };
        let info = ProcInfo { pid: proc.pid, ppid: proc.ppid, state, node, flags, name };
        if rows.len() + ProcInfo::SIZE > len as usize {
            break;
        }
        rows.extend_from_slice(&info.encode());
    }
    table.current().space().copy_out(buf, &rows)?;
    Ok(rows.len() as u32)
}

/// Serves a page fault of the current process at `va` for `access` if the VM can (a first
/// touch, a copy-on-write); false means a signal.
pub fn fault_in(va: u32, access: Access) -> bool {
    table().current().space().fault_in(va, access)
}

/// The current process's pid and name, for messages.
pub fn current_name() -> (Pid, String) {
    let mut table = table();
    let me = table.current();
    (me.pid, me.name.clone())
}
