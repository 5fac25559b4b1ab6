//! The central's processes: what the central adds to the core's table (`ox_kcore::task`,
//! shared with the satellites: the table, the scheduler, the trap path, the signal path), and
//! creation (`init`, `fork`), `exec`, `exit`, `wait`, `kill` and `ps`.
//!
//! Besides its memory, a process here has (its [`Central`] role) a descriptor table ([`FdTable`], into the system-wide
//! open-file table) and a working directory ([`Cwd`]). `fork` gives the child the same open
//! files (one more reference each) and directory; `exec` keeps both; `exit` closes every
//! descriptor. Programs come from `/bin` on the root file system, or from the images embedded
//! in the kernel when the node has no disk ([`program_image`]).
//!
//! Signals: `kill` posts a signal and wakes the target if it sleeps (every sleep loops and
//! re-checks, so an interruptible one returns `EINTR` when `interrupted` says so, and the
//! others sleep again); the signal is acted on before the process next returns to user mode
//! (the core's signal path). A stub's signals are not acted on here: the dispositions of its
//! process live on the satellite (its role says its user context is elsewhere), so every
//! signal sent to a stub stays pending until the stub passes it on (in its reply, or as a
//! `Signal` request; [`stub`](crate::stub)). An exiting process sends its parent `SIGCHLD`.
//!
//! Lifecycle: `Runnable` ⇄ `Running` ⇄ `Sleeping(chan)`; `exit` (or a fatal signal) makes it a
//! `Zombie` holding its wait status, after freeing its memory; its parent's `wait` frees the
//! rest (the kernel stack the zombie last ran on). Children of an exiting process go to
//! `init` (pid 1). When `init` itself exits, the kernel powers the node off with its status as
//! the exit code (a signal `n` gives 128 + n): that is how a run reports its verdict.

use alloc::borrow::Cow;
use alloc::boxed::Box;
use alloc::collections::VecDeque;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::any::Any;
use core::sync::atomic::{AtomicU32, Ordering};

use ox_abi::{ArgSlice, Errno, Placement, ProcInfo, Signal, WaitStatus, PROC_NAME_MAX, USER_BASE, USER_TOP};
use ox_kcore::task::chan::{Chan, Class};
use ox_kcore::task::proc::{table, Pid, Proc, Role, State};
use ox_kcore::task::sched;
use ox_kcore::task::signal::{interrupted, post};
use ox_proto::{Request, MAX_DATA};

use crate::arch::TrapFrame;
use crate::file::{self, FdTable};
use crate::vm::{Access, AddressSpace};
use crate::{elf, fs, images, kprintln, pmap, power, user};

/// Most processes alive at once (stubs included).
pub const NPROC: usize = 64;

/// Parents waiting in `wait` for a child to exit (id: the parent's pid).
static CHILD: Class = Class::new("child");

/// What a parent `pid` sleeps on in `wait`.
pub fn child_chan(pid: Pid) -> Chan {
    Chan::new(&CHILD, pid)
}

/// Stubs waiting for a request from their process (id: the pid).
pub static STUB: Class = Class::new("stub");

/// What stub `pid` sleeps on while its mailbox is empty.
pub fn stub_chan(pid: Pid) -> Chan {
    Chan::new(&STUB, pid)
}

/// Where a stub keeps a call's input (the request's data).
pub const IN_BASE: u32 = USER_BASE;
/// Where a stub lets a call put its output (the reply's data).
pub const OUT_BASE: u32 = USER_BASE + MAX_DATA as u32;

extern "C" {
    /// Where a stub's kernel thread starts: `stub::run` (`crate::stub`, which depends on
    /// this module, not the other way round).
    fn stub_entry() -> !;
}

/// What the central adds to a process: its descriptors, its directory, where its forks go,
/// and for a stub the satellite its user context runs on.
pub struct Central {
    /// Its open descriptors.
    pub files: FdTable,
    /// Its working directory.
    pub cwd: Cwd,
    /// `Some` for a stub, whose user context runs on a satellite.
    pub remote: Option<Remote>,
    /// Where its `fork`s put children (`place`; inherited, kept by `exec`).
    pub placement: Placement,
    /// The user it acts for (0: the superuser; inherited, kept by `exec`).
    pub uid: u32,
    /// Its group.
    pub gid: u32,
    /// The node it is to migrate to (0: home, the central), until it has moved or failed.
    pub migrate_to: Option<u32>,
    /// Why its last migration failed, for the `migrate` waiting for it.
    pub migrate_error: Option<Errno>,
    /// Whether the load balancer may move it (`balance`; inherited).
    pub balanced: bool,
    /// Its call was broken off for a move while it slept, to be made again where it goes
    /// (docs/migration.md): until its deputy takes a call again, `ps` shows it asleep, its
    /// logical state.
    pub restarting: bool,
}

impl Central {
    /// A process of the superuser with no descriptors, at the root, placing children locally.
    pub fn new() -> Central {
        Central {
            files: FdTable::empty(),
            cwd: Cwd::root(),
            remote: None,
            placement: Placement::Local,
            uid: 0,
            gid: 0,
            migrate_to: None,
            migrate_error: None,
            balanced: true,
            restarting: false,
        }
    }

    /// What a child of this process starts with: the same open files (one more reference
    /// each), directory, placement and identity.
    pub fn forked(&self) -> Central {
        Central {
            files: self.files.duplicate(),
            cwd: self.cwd.clone(),
            remote: None,
            placement: self.placement,
            uid: self.uid,
            gid: self.gid,
            migrate_to: None,
            migrate_error: None,
            balanced: self.balanced,
            restarting: false,
        }
    }
}

/// Sets a process's `flag` to `on`, keeping `count` of the processes whose flag is set: a
/// path that matters only while some flag is set looks at the count first, not the table.
pub fn set_counted(flag: &mut bool, on: bool, count: &AtomicU32) {
    if *flag != on {
        *flag = on;
        if on {
            count.fetch_add(1, Ordering::Relaxed);
        } else {
            count.fetch_sub(1, Ordering::Relaxed);
        }
    }
}

/// Whether a process acting for user `actor` may signal one acting for `target`: the
/// superuser may signal any, a user its own.
pub fn may_signal(actor: u32, target: u32) -> bool {
    actor == 0 || actor == target
}

/// `setuid(id)` (`group` false) or `setgid(id)`: the superuser may take any id, a user only
/// the one it has (`EPERM`).
pub fn set_identity(group: bool, id: u32) -> Result<u32, Errno> {
    let mut table = table();
    let me = table.current().central();
    if me.uid != 0 && id != if group { me.gid } else { me.uid } {
        return Err(Errno::Perm);
    }
    if group {
        me.gid = id;
    } else {
        me.uid = id;
    }
    Ok(0)
}

impl Role for Central {
    fn as_any(&mut self) -> &mut dyn Any {
        self
    }

    fn as_any_ref(&self) -> &dyn Any {
        self
    }

    fn user_context_elsewhere(&self) -> bool {
        self.remote.is_some()
    }

    fn interrupt_requested(&self) -> bool {
        self.remote.as_ref().is_some_and(|r| r.interrupt)
    }

    fn move_requested(&self) -> bool {
        self.remote.is_none() && self.migrate_to.is_some()
    }

    fn call_restarted(&mut self) {
        crate::migrate::set_restarting(self, true);
    }
}

/// The central's part of a process.
pub trait CentralProc {
    /// The process's [`Central`] role (every process here has one).
    fn central(&mut self) -> &mut Central;
    /// The same, shared.
    fn central_ref(&self) -> &Central;
}

impl CentralProc for Proc {
    fn central(&mut self) -> &mut Central {
        let pid = self.pid;
        self.role::<Central>().unwrap_or_else(|| panic!("pid {pid} has no central role"))
    }

    fn central_ref(&self) -> &Central {
        let pid = self.pid;
        self.role_ref::<Central>().unwrap_or_else(|| panic!("pid {pid} has no central role"))
    }
}

/// A user process `pid`, child of `ppid`, entering user mode with `frame` in `space`, with the
/// central role `central`.
pub fn new_process(
    pid: Pid,
    ppid: Pid,
    name: &str,
    space: AddressSpace,
    frame: TrapFrame,
    central: Central,
) -> Result<Box<Proc>, Errno> {
    Proc::user(pid, ppid, name, space, frame, Box::new(central))
}

/// A stub's address space (ASID `asid`): the two call buffers, [`IN_BASE`] and [`OUT_BASE`],
/// mapped, zeroed.
pub fn stub_buffers(asid: u32) -> Result<AddressSpace, Errno> {
    let mut space = AddressSpace::new(asid)?;
    space.set_image_end(USER_BASE);
    space.sbrk(2 * MAX_DATA as i32)?;
    Ok(space)
}

/// A stub for process `pid` on the satellite of `remote`: a kernel thread that starts in
/// `stub::run`, with an address space holding only its call buffers, in table slot `slot`,
/// with the central role `central` (the forker's descriptors, directory and placement).
pub fn new_stub(
    pid: Pid,
    ppid: Pid,
    name: &str,
    slot: usize,
    remote: Remote,
    mut central: Central,
) -> Result<Box<Proc>, Errno> {
    let space = stub_buffers(slot as u32 + 1)?;
    central.remote = Some(remote);
    let mut proc = Proc::user(pid, ppid, name, space, TrapFrame::new(0, 0), Box::new(central))?;
    proc.context.ra = stub_entry as *const () as u32;
    Ok(proc)
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
    /// A `Freeze` went to the satellite while no call of its process was here: the call it
    /// may have made meanwhile, still on its way (a lossy link resends it), is broken off as
    /// soon as it comes ([`stub::interrupt_for_move`](crate::stub::interrupt_for_move)).
    pub interrupt_next: bool,
    /// Its logical parent changed (init adopted it): the stub tells the satellite, which
    /// caches `getppid`.
    pub reparented: bool,
    /// The call being executed came without its buffers (the prefetch cache off): the
    /// caller's memory is reached on the satellite ([`crate::user`]).
    pub fetching: bool,
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

/// Whether some live process has directory `ino` as its working directory.
pub fn is_cwd(ino: u32) -> bool {
    table().user_procs().any(|p| !p.has_exited() && p.central_ref().cwd.ino == ino)
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
    let files = FdTable::console().unwrap_or_else(|e| panic!("init's console: {}", e.name()));
    let central = Central { files, ..Central::new() };
    let init =
        new_process(pid, 0, &name, space, frame, central).unwrap_or_else(|e| panic!("init: {}", e.name()));
    table.put(0, init);
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
    let central = parent.central().forked();
    let mut child = new_process(pid, parent.pid, &parent.name, space, child_frame, central)?;
    child.signals = parent.signals.forked();
    table.put(slot, child);
    Ok(pid)
}

/// `exec`: replaces the current process's program by executable `image`, called `name`; on
/// success `frame` starts the new one.
pub fn exec(frame: &mut TrapFrame, name: &str, image: &[u8], args: &[Vec<u8>]) -> Result<(), Errno> {
    let mut table = table();
    let slot = table.current_slot().unwrap_or_else(|| panic!("exec without a current process"));
    let (space, new_frame) = load_program(slot, image, args)?;
    let proc = table.current();
    // The new space has the same ASID: `PageTable::new` flushed it, and the old one is
    // switched away from before it is freed.
    proc.switch_space(space, slot as u32 + 1);
    proc.signals.exec();
    proc.name = String::from(name.rsplit('/').next().unwrap_or(name));
    *frame = new_frame;
    Ok(())
}

/// Ends the current process with `status`: closes its descriptors, frees its memory. Never
/// returns.
pub fn exit(status: WaitStatus) -> ! {
    // Closing may wake processes (the other end of a pipe), which locks the table.
    let open = table().current().central().files.take_all();
    for id in open {
        file::close(id);
    }
    // Its rights go first: that wakes their ports' receivers (the table is locked for it).
    let pid = table().current().pid;
    ox_kcore::ipcall::task_exit(pid);
    let mut table = table();
    let me = table.current();
    let ppid = me.ppid;
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
    if me.central().migrate_to.is_some() {
        crate::migrate::forget(me.central(), Some(Errno::Srch));
    }
    crate::migrate::set_restarting(me.central(), false);
    let mut orphan_zombie = false;
    let mut orphan_stubs = Vec::new();
    for child in table.user_procs().filter(|p| p.ppid == pid) {
        child.ppid = 1;
        orphan_zombie |= matches!(child.state, State::Zombie(_));
        let alive = !child.has_exited();
        if let (Some(remote), true) = (&mut child.central().remote, alive) {
            remote.reparented = true;
            orphan_stubs.push(child.pid);
        }
    }
    for stub in orphan_stubs {
        table.wakeup(stub_chan(stub));
    }
    if orphan_zombie {
        table.wakeup(child_chan(1));
    }
    table.wakeup(child_chan(ppid));
    if let Some(parent) = table.find(ppid) {
        post(parent, Signal::Chld);
    }
    drop(table);
    sched::switch_away(State::Zombie(status));
    unreachable!("a zombie was scheduled");
}

/// `wait`: collects an exited child (`pid` = -1: any) and stores its status at `status_ptr`
/// (unless 0); returns its pid. Sleeps while matching children are all alive.
pub fn wait(pid: i32, status_ptr: u32) -> Result<Pid, Errno> {
    loop {
        if status_ptr != 0 {
            // Checked and brought in (it may be paged out) before a child is taken, so the
            // store below does not fail and a status is never lost.
            user::prefault(status_ptr, 4, Access::Write)?;
        }
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
            let child = table.slots[slot].take().unwrap_or_else(|| unreachable!("the zombie's slot is full"));
            drop(table);
            if status_ptr != 0 {
                user::copy_out(status_ptr, &status.encode().to_le_bytes())?;
            }
            return Ok(child.pid);
        }
        if !have_child {
            return Err(Errno::Child);
        }
        drop(table);
        if interrupted() {
            return Err(Errno::Intr);
        }
        sched::sleep(child_chan(me));
    }
}

/// `kill`: sends `signal` to process `pid` (a stub passes it on to its satellite process);
/// `EPERM` unless the caller acts for the superuser or for the target's user.
pub fn kill(pid: i32, signal: Signal) -> Result<(), Errno> {
    let mut table = table();
    let actor = table.current().central_ref().uid;
    let proc = table.find(pid.try_into().map_err(|_| Errno::Srch)?).ok_or(Errno::Srch)?;
    if matches!(proc.state, State::Zombie(_)) {
        return Err(Errno::Srch);
    }
    if !may_signal(actor, proc.central_ref().uid) {
        return Err(Errno::Perm);
    }
    post(proc, signal);
    Ok(())
}

/// Ctrl-C at the console: `SIGINT` to every live process but init (a stub passes it on).
/// Those that ignore it — the shell reading the console, background jobs — carry on.
pub fn interrupt_key() {
    let mut table = table();
    for proc in table.user_procs().filter(|p| p.pid != 1 && !p.has_exited()) {
        post(proc, Signal::Int);
    }
}

/// `ps`: a row per process, stored at `buf` (at most `len` bytes); returns the bytes stored.
/// A stub shows the node its process runs on, and state `R` while it waits for requests
/// (its process is then running on the satellite, as far as the central knows). A process
/// whose call was broken off for its move shows `S` until its deputy takes a call again.
pub fn ps(buf: u32, len: u32) -> Result<u32, Errno> {
    user::prefault(buf, len as usize, Access::Write)?;
    let mut rows = Vec::new();
    let table = table();
    for proc in table.slots.iter().flatten() {
        let state = match proc.state {
            State::Zombie(_) | State::Dead => b'Z',
            _ if proc.central_ref().restarting => b'S',
            State::Sleeping(chan) if chan.is(&STUB) => b'R',
            State::Runnable | State::Running => b'R',
            State::Sleeping(_) => b'S',
        };
        let mut name = [0; PROC_NAME_MAX];
        let n = proc.name.len().min(PROC_NAME_MAX);
        name[..n].copy_from_slice(&proc.name.as_bytes()[..n]);
        let (node, flags) = match &proc.central_ref().remote {
            Some(remote) => (remote.node as u8, ProcInfo::STUB),
            None => (0, 0),
        };
        let info = ProcInfo { pid: proc.pid, ppid: proc.ppid, state, node, flags, name };
        if rows.len() + ProcInfo::SIZE > len as usize {
            break;
        }
        rows.extend_from_slice(&info.encode());
    }
    drop(table);
    user::copy_out(buf, &rows)?;
    Ok(rows.len() as u32)
}
