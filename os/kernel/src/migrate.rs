//! Process migration (MOSIX's deputy and remote; docs/migration.md): a running process moves
//! between the central and the satellites, and between satellites, with its pid, parent,
//! children, descriptors, directory and pending signals unchanged.
//!
//! **The split.** Every process's *deputy* is on the central, its home: a process running on
//! the central is its own deputy; one running on a satellite has its stub
//! ([`stub`](crate::stub)), which keeps the kernel context (descriptors, directory, identity,
//! children, the calls in progress) and executes its system calls. The *remote* part — the
//! registers and the memory — is what moves, as a process image (`ox_kcore::image`, the same
//! stream a remote fork sends).
//!
//! **When.** A process moves at its return to user mode (the core's `Kernel::returning`),
//! where its registers and memory are exactly what user mode resumes: a running process at
//! its next tick. One asleep in a call (`read` on a pipe or the console, `wait`, `sleep`,
//! `pause`) moves at once, as MOSIX does it "in its sleep": the sleep is broken as a signal
//! would break it, the call — which did nothing, as its `EINTR` says — is made again where the
//! process goes (the core restarts it, `sleep` with the ticks it had left), and sleeps there on
//! the same event; `ps` shows it asleep throughout (`Central::restarting`). On a satellite the
//! stub's call is broken off ([`stub::interrupt`]) after the `Freeze`, so the process finds
//! its move asked for when the `EINTR` comes. `migrate(pid, node)` ([`migrate`]) asks for a
//! move and waits until the process has moved or failed:
//!
//! - **From the central** ([`returning`]): the process sends its own image to the target
//!   satellite (`ForkImage` with its own pid, `WriteImage`s, `Start` at its pc, its registers
//!   exact), then becomes its stub: its memory is freed for the stub's call buffers, and its
//!   kernel thread goes on in the stub's loop.
//! - **From a satellite**: the stub sends `Freeze`; the satellite stops the process at its
//!   return to user mode and reports `Frozen` with its pc; the stub ([`frozen`]) reads the
//!   image from there (`ReadImage`, registers exact) and either sends it on to the target
//!   satellite, switching its link to the new one before the `Start`, or builds it here and
//!   becomes the process again (home). Its reply (1) ends the process on the old satellite,
//!   without an `Exit`; a failure (0) leaves it running where it was.
//!
//! A process whose memory cannot travel whole — shared regions, regions left out of children,
//! an external pager's memory, port rights — is refused (`EBUSY`); so is init.

use alloc::vec::Vec;
use core::sync::atomic::{AtomicU32, Ordering};

use ox_abi::Errno;
use ox_kcore::image::{self, Builder};
use ox_kcore::ipcall;
use ox_kcore::task::chan::{Chan, Class};
use ox_kcore::task::proc::{table, Pid, Proc, State};
use ox_kcore::task::sched;
use ox_kcore::task::signal::interrupted;
use ox_kcore::vm::AddressSpace;
use ox_proto::{Env, Message, Request, MAX_DATA};

use crate::arch::TrapFrame;
use crate::proc::{self as central, Central, CentralProc, Remote};
use crate::{place, remote, stub};

/// Processes asked to move and not yet moved (or failed, or ended): while there are none, a
/// return to user mode costs one load more, not a look at the process table.
static ASKED: AtomicU32 = AtomicU32::new(0);

/// Asks `deputy`'s process to move to `node` (0: home).
pub fn ask(deputy: &mut Central, node: u32) {
    if deputy.migrate_to.replace(node).is_none() {
        ASKED.fetch_add(1, Ordering::Relaxed);
    }
    deputy.migrate_error = None;
}

/// `deputy`'s process is no longer to move (it moved, failed, or ends); `error` is why it
/// failed.
pub fn forget(deputy: &mut Central, error: Option<Errno>) {
    if let Some(remote) = deputy.remote.as_mut() {
        remote.interrupt_next = false;
    }
    if deputy.migrate_to.take().is_some() {
        ASKED.fetch_sub(1, Ordering::Relaxed);
    }
    deputy.migrate_error = error;
}

/// Processes waiting in `migrate` for another one to move (id: the mover's pid).
static MIGRATED: Class = Class::new("migrated");

/// What `migrate` of process `pid` sleeps on.
fn migrated_chan(pid: Pid) -> Chan {
    Chan::new(&MIGRATED, pid)
}

/// `migrate(pid, node)`: process `pid` (0: the caller) is to move to node `node` (0: home,
/// the central) at its next return to user mode; waits until it has (at once for the caller
/// itself, which moves as this call returns).
pub fn migrate(pid: u32, node: u32) -> Result<u32, Errno> {
    if node != 0 {
        remote::node_link(node)?;
    }
    let (me, target, freeze) = {
        let mut table = table();
        let caller = table.current();
        let (me, actor) = (caller.pid, caller.central_ref().uid);
        let target = if pid == 0 { me } else { pid };
        let proc = table.find(target).filter(|p| !p.has_exited()).ok_or(Errno::Srch)?;
        if target == 1 || !central::may_signal(actor, proc.central_ref().uid) {
            return Err(Errno::Perm);
        }
        let at = proc.central_ref().remote.as_ref().map_or(0, |r| r.node);
        if at == node {
            return Ok(0);
        }
        if at == 0 && !can_travel(proc) {
            return Err(Errno::Busy);
        }
        // A sleeper here moves now: its sleep breaks, and its call is made again where it
        // goes (on a satellite, its stub's call is broken off below).
        if at == 0 && matches!(proc.state, State::Sleeping(_)) {
            proc.state = State::Runnable;
        }
        let deputy = proc.central();
        ask(deputy, node);
        (me, target, deputy.remote.as_ref().map(|r| r.link))
    };
    if let Some(link) = freeze {
        remote::send(link, &Message::request(target, Request::Freeze));
        stub::interrupt_for_move(target);
    }
    if target == me {
        return Ok(0);
    }
    loop {
        {
            // The outcome stays with the process when it ends right after (a zombie); one that
            // ends with its move still asked for says `ESRCH`.
            let mut table = table();
            let Some(proc) = table.find(target) else { return Err(Errno::Srch) };
            let deputy = proc.central();
            if deputy.migrate_to.is_none() {
                return deputy.migrate_error.take().map_or(Ok(0), Err);
            }
        }
        if interrupted() {
            return Err(Errno::Intr);
        }
        sched::sleep(migrated_chan(target));
    }
}

/// Whether `proc`, a process running here, can travel: its memory whole, and its port name
/// space ([`ipcall::space_can_move`]).
pub fn can_travel(proc: &mut Proc) -> bool {
    ipcall::space_can_move(proc.pid) && proc.space.as_ref().is_some_and(AddressSpace::travels)
}

/// The migration of the current process is over (`result`): `migrate` hears it. One that
/// failed leaves it where it was, making its call again there.
fn done(result: Result<(), Errno>) {
    let mut table = table();
    let me = table.current();
    let pid = me.pid;
    let deputy = me.central();
    forget(deputy, result.err());
    table.wakeup(migrated_chan(pid));
}

/// Processes whose call was broken off for a move and not made again yet
/// ([`Central::restarting`]): while there are none, a call costs one load more.
static RESTARTING: AtomicU32 = AtomicU32::new(0);

/// Marks `deputy`'s process as asleep in a call made again after its move, or no longer.
pub fn set_restarting(deputy: &mut Central, on: bool) {
    central::set_counted(&mut deputy.restarting, on, &RESTARTING);
}

/// The current process makes a call (its deputy takes one): it is no longer asleep in a call
/// broken off for a move, as far as `ps` is concerned, but in this one.
pub fn calling() {
    if RESTARTING.load(Ordering::Relaxed) != 0 {
        let mut table = table();
        let deputy = table.current().central();
        // A call taken while a move is still asked for is broken off for it at once.
        if deputy.migrate_to.is_none() {
            set_restarting(deputy, false);
        }
    }
}

/// The core's last step before the current process (running here) returns to user mode with
/// `frame`: if it is to migrate to a satellite, it goes, and its thread stays here as its
/// stub (never returning).
pub fn returning(frame: &mut TrapFrame) {
    if ASKED.load(Ordering::Relaxed) != 0 {
        go_if_asked(frame);
    }
}

/// [`returning`] when some process is to move: the current one goes if it is.
#[cold]
#[inline(never)]
fn go_if_asked(frame: &TrapFrame) {
    let target = table().current().central().migrate_to;
    let Some(node) = target else { return };
    if node == 0 {
        return done(Ok(()));
    }
    let gone = leave(frame, node);
    done(gone);
    if gone.is_ok() {
        stub::run();
    }
}

/// Sends the current process to satellite `node` and makes it its own stub; a failure leaves
/// it as it was.
fn leave(frame: &TrapFrame, node: u32) -> Result<(), Errno> {
    let link = remote::node_link(node)?;
    let (pid, ppid, slot, layout, buffers) = {
        let mut table = table();
        let slot = table.current_slot().ok_or(Errno::Srch)?;
        let me = table.current();
        if !can_travel(me) {
            return Err(Errno::Busy);
        }
        let buffers = central::stub_buffers(slot as u32 + 1)?;
        let signals = me.signals.moving();
        let layout = image::Layout::new(me.space(), &frame.regs, Some(&signals))?;
        (me.pid, me.ppid, slot, layout, buffers)
    };
    let size = layout.size()?;
    let piece = |offset: usize| layout.read(table().current().space(), offset, MAX_DATA);
    let announce = Request::ForkImage { parent: ppid, env: Env::default(), size };
    place::send_image(link, pid, announce, size, piece)?;
    // Its ports go next, ahead of the `Start` on the same link.
    ipcall::send_space(pid, node)?;
    // From here on its requests come from the new satellite: the stub must own that link
    // before the process starts there.
    let remote = Remote {
        link,
        node,
        mailbox: Default::default(),
        busy: false,
        interrupt: false,
        interrupt_next: false,
        reparented: false,
        fetching: false,
    };
    table().current().central().remote = Some(remote);
    if let Err(e) = place::start(link, pid, frame.epc) {
        table().current().central().remote = None;
        return Err(e);
    }
    table().current().switch_space(buffers, slot as u32 + 1);
    Ok(())
}

/// What a stub does once its process reported `Frozen` at `pc`.
pub enum Outcome {
    /// The process stays where it was (the reply 0).
    Stays,
    /// It runs elsewhere now (the reply 1 ends it on the old satellite).
    Moved,
    /// It came home: the stub becomes the process, entering user mode with this frame (the
    /// reply 1 first).
    Home(TrapFrame),
}

/// The current stub's process, on the satellite of `link`, is frozen at `pc` (`asleep` in a
/// call it makes again there): moves it where its `migrate` asked. `migrate` hears the
/// outcome.
pub fn frozen(link: usize, pid: Pid, pc: u32, asleep: bool) -> Outcome {
    let (target, at) = {
        let mut table = table();
        let deputy = table.current().central();
        if asleep {
            set_restarting(deputy, true);
        }
        (deputy.migrate_to, deputy.remote.as_ref().map_or(0, |r| r.node))
    };
    let outcome = match target {
        None => return Outcome::Stays,
        Some(node) if node == at => Ok(Outcome::Stays),
        Some(0) => come_home(link, pid, pc),
        Some(node) => move_on(link, pid, pc, node),
    };
    match outcome {
        Ok(outcome) => {
            done(Ok(()));
            outcome
        }
        Err(e) => {
            done(Err(e));
            Outcome::Stays
        }
    }
}

/// Reads the frozen process's image from the satellite of `link` and sends it to satellite
/// `node`; the stub's link is the new satellite's from just before the `Start`.
fn move_on(link: usize, pid: Pid, pc: u32, node: u32) -> Result<Outcome, Errno> {
    let to = remote::node_link(node)?;
    let ppid = table().current().ppid;
    let mut reader = place::Reader::open(link, pid)?;
    let size = reader.size;
    let announce = Request::ForkImage { parent: ppid, env: Env::default(), size };
    let sent = place::send_image(to, pid, announce, size, |offset| reader.piece(offset));
    reader.close();
    sent?;
    // Its ports go from the old satellite to the new, through this node, ahead of the
    // `Start` (the old one sends them before its reply, and they are relayed as they come).
    move_space(link, pid, node)?;
    set_link(to, node);
    if let Err(e) = place::start(to, pid, pc) {
        set_link(link, remote::link_node(link).unwrap_or(0));
        return Err(e);
    }
    Ok(Outcome::Moved)
}

/// The current stub's process now runs behind `link`, on `node`.
fn set_link(link: usize, node: u32) {
    if let Some(remote) = table().current().central().remote.as_mut() {
        (remote.link, remote.node) = (link, node);
    }
}

/// Reads the frozen process's image from the satellite of `link` and builds it here, in the
/// stub's ASID; the stub then is the process ([`Outcome::Home`]).
fn come_home(link: usize, pid: Pid, pc: u32) -> Result<Outcome, Errno> {
    let slot = table().current_slot().ok_or(Errno::Srch)?;
    let mut reader = place::Reader::open(link, pid)?;
    let built = build(&mut reader, slot as u32 + 1, pc);
    reader.close();
    let (space, frame, signals) = built?;
    // Its ports come home before it runs here.
    ipcall::space_arriving(pid);
    let moved = move_space(link, pid, ipcall::node());
    ipcall::space_arrived(pid);
    moved?;
    let mut table = table();
    let me = table.current();
    // The pending signals the stub held are the process's; its dispositions came in the image.
    let mut pending = Vec::new();
    while let Some(signal) = me.signals.take_any() {
        pending.push(signal);
    }
    me.signals = signals;
    for signal in pending {
        me.signals.post(signal);
    }
    me.central().remote = None;
    me.switch_space(space, slot as u32 + 1);
    Ok(Outcome::Home(frame))
}

/// Asks the satellite of `link`, where process `pid` is frozen, to send its port name space
/// to node `node` (`MoveSpace`: the space comes ahead of the reply).
fn move_space(link: usize, pid: Pid, node: u32) -> Result<(), Errno> {
    remote::send(link, &Message::request(pid, Request::MoveSpace { node }));
    remote::wait_reply(link, pid).result.map(|_| ())
}

/// The image `reader` gives, built into an address space with ASID `asid`, to resume at `pc`.
fn build(
    reader: &mut place::Reader,
    asid: u32,
    pc: u32,
) -> Result<(AddressSpace, TrapFrame, ox_kcore::signal::Signals), Errno> {
    let mut builder = Builder::new(reader.size, asid)?;
    for offset in (0..reader.size as usize).step_by(MAX_DATA) {
        builder.write(offset as u32, &reader.piece(offset)?)?;
    }
    builder.finish(pc)
}
