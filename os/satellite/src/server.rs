//! The process server (Bach §13.1): a process of this satellite that moves process images
//! between it and the central's stubs (docs/satellites.md, docs/protocol.md). Each request is
//! answered.
//!
//! - **A new process** (a fork, here or elsewhere): `ForkImage` checks that the frames the
//!   announced image needs are free (less those promised to images already arriving) and a
//!   slot, and starts an address space; each `WriteImage` goes straight into it
//!   (`ox_kcore::image::Builder`: the regions, then each page into a frame as its record
//!   completes), so no image is ever held whole in this kernel's heap; `Start` sets the rights,
//!   registers and signal dispositions and makes the process runnable at the given pc.
//!   `ENOMEM`/`EAGAIN` refuse a process, `ENOEXEC` a malformed image; a refused `WriteImage`
//!   drops what was built, and a `Start` before the whole image came (the central abandoning a
//!   transfer) is `ENOEXEC` and drops it too.
//! - **An exec**: `ExecImage` for a live process sleeping in its forwarded `exec` (the same
//!   check of frames), the `WriteImage`s built into a new address space beside the old one,
//!   then `Start` finishes it and keeps it with the registers; the
//!   process takes them ([`take_exec`]) when its reply comes, and switches to them if the reply
//!   is a success.
//! - **A fork of a process here whose child stays here** (`ForkHere`): no image travels; the
//!   child's address space is the parent's by inheritance (`AddressSpace::duplicate`:
//!   copy-on-write, shared regions shared), as on the central.
//! - **A fork of a process here whose child goes elsewhere** (`ReadImage`): the image of a process sleeping in its
//!   forwarded `fork`, with `a0` = 0 (the child's result) and its signal dispositions (a
//!   child inherits them; pending signals are not). The first piece (offset 0) takes its
//!   layout (`ox_kcore::image::Layout`: header, region table, the list of pages), a few bytes
//!   a page; every piece is then read from the process's still memory, until a piece reaching
//!   the end has been read or the process gets its reply.
//!
//! The server is a kernel thread in the process table (its system slot, pid
//! [`SERVER_PID`]), created at boot ([`init`]). The link's interrupt only puts these
//! requests in its mailbox ([`deliver`]) and wakes it; it takes them one at a time, in the
//! order they came, serves each and sends the reply, and sleeps on [`server_chan`] when the
//! mailbox is empty. It runs with interrupts masked, like all kernel code here, so a request
//! cannot arrive between its look at the mailbox and its sleep. It never runs user code and
//! never exits; the processes it starts are its children technically, their `ppid` is the
//! logical parent's (the forker's).

use alloc::boxed::Box;
use alloc::vec::Vec;

use ox_abi::Errno;
use ox_kcore::arch::TrapFrame;
use ox_kcore::global::Global;
use ox_kcore::image::{self, Builder, Layout};
use ox_kcore::task::proc::{self, NoRole, Pid, Proc, State};
use ox_kcore::task::sched;
use ox_kcore::vm::AddressSpace;
use ox_kcore::{frame, kprintln};
use ox_proto::{Message, Reply, Request, IMAGE_WINDOW, MAX_DATA};

use crate::link;
use crate::proc::{new_process, server_chan, NPROC, SERVER_PID};

/// What an image being received is for.
enum Purpose {
    /// A new process, logically this one's child, in slot `slot` (kept for it from
    /// `ForkImage` on, so its ASID is known while its pages arrive).
    Fork {
        /// The logical parent.
        parent: Pid,
        /// Its slot in the process table.
        slot: usize,
    },
    /// The live process's `exec`; once built by `Start`, its new space, registers and ASID
    /// (boxed: the table keeps its capacity, so its entries stay small).
    Exec(Option<Box<(AddressSpace, TrapFrame, u32)>>),
}

/// An image being received.
struct Incoming {
    pid: Pid,
    purpose: Purpose,
    /// The address space being built (`None` once `Start` built an exec's).
    builder: Option<Box<Builder>>,
    /// Frames promised to it at its announcement ([`image::frames_for`]).
    promised: u32,
}

impl Incoming {
    /// Frames promised and not yet taken by its pages.
    fn outstanding(&self) -> u32 {
        self.builder.as_ref().map_or(0, |b| self.promised.saturating_sub(b.pages_placed()))
    }
}

static INCOMING: Global<Vec<Incoming>> = Global::new("incoming processes", Vec::new());
/// Images being read by a stub (a fork of a process here): the pid and the image's layout.
static OUTGOING: Global<Vec<(Pid, Layout)>> = Global::new("outgoing images", Vec::new());

/// Requests waiting for the server, oldest first: the pid each is about, and the request. The
/// central keeps at most [`IMAGE_WINDOW`] requests of one image unanswered, and a few images
/// may travel at once.
static MAILBOX: Global<Vec<(Pid, Request)>> = Global::new("server mailbox", Vec::new());

/// The mailbox's working size, reserved at boot (so its heap does not grow with the first
/// burst): the windows of a few images at once.
const MAILBOX_WORKING: usize = 4 * IMAGE_WINDOW;

/// Creates the server process, sleeping until its first request.
pub fn init() {
    MAILBOX.lock().reserve(MAILBOX_WORKING);
    let mut server =
        Proc::kernel_thread(SERVER_PID, SERVER_PID, "server", entry as *const () as u32, Box::new(NoRole))
            .unwrap_or_else(|e| panic!("no room for the process server at boot: {e:?}"));
    server.state = State::Sleeping(server_chan());
    let mut table = proc::table();
    let slot = table.system_slot();
    table.put(slot, server);
}

/// Puts `request` (about process `pid`) in the server's mailbox and wakes the server (from the
/// link's interrupt).
pub fn deliver(pid: Pid, request: Request) {
    MAILBOX.lock().push((pid, request));
    proc::table().wakeup(server_chan());
}

/// Whether requests wait for the server.
pub fn has_work() -> bool {
    !MAILBOX.lock().is_empty()
}

extern "C" fn entry() -> ! {
    run()
}

/// The server's life: take a request, serve it, reply; sleep while there is none.
fn run() -> ! {
    loop {
        let next = {
            let mut mailbox = MAILBOX.lock();
            (!mailbox.is_empty()).then(|| mailbox.remove(0))
        };
        match next {
            Some((pid, request)) => link::send(&Message::reply(pid, serve(pid, request))),
            None => {
                give_back();
                sched::sleep(server_chan());
            }
        }
    }
}

/// With nothing to do, the server's tables give back what a burst grew them to (a lossy link
/// delivers requests in bunches; several images may travel at once): the mailbox keeps its
/// working size, the images in and out none, so that the heap an idle satellite uses is the
/// same after any burst (the storm test counts every byte).
fn give_back() {
    let mut mailbox = MAILBOX.lock();
    if mailbox.is_empty() && mailbox.capacity() > MAILBOX_WORKING {
        mailbox.shrink_to(MAILBOX_WORKING);
    }
    let mut incoming = INCOMING.lock();
    if incoming.is_empty() {
        *incoming = Vec::new();
    }
    let mut outgoing = OUTGOING.lock();
    if outgoing.is_empty() {
        *outgoing = Vec::new();
    }
}

/// The answer to `request` about process `pid`.
fn serve(pid: Pid, request: Request) -> Reply {
    match request {
        Request::ForkImage { parent, size, .. } => accept(pid, parent, size),
        Request::ExecImage { size } => accept_exec(pid, size),
        Request::WriteImage { offset, data } => write(pid, offset, &data),
        Request::Start { pc } => start(pid, pc),
        Request::ReadImage { offset, len } => read(pid, offset, len),
        Request::ForkHere { parent, pc } => fork_here(pid, parent, pc),
        Request::MoveSpace { node } => move_space(pid, node),
        _ => {
            kprintln!("the server got a request about pid {pid} that is not an image request");
            Reply::err(Errno::Inval)
        }
    }
}

/// The frames an image of `size` bytes needs, if they are free: the frames free less those
/// promised to the images arriving (`incoming`) must hold its pages and page tables. This is
/// the bound on an image: about the node's free memory.
fn promise(incoming: &[Incoming], size: u32) -> Result<u32, Errno> {
    let needed = image::frames_for(size);
    let promised: u32 = incoming.iter().map(Incoming::outstanding).sum();
    if needed > frame::stats().0.saturating_sub(promised) {
        return Err(Errno::NoMem);
    }
    Ok(needed)
}

/// The slot of process `pid` if it waits for the reply to a forwarded call (its registers
/// and memory are still). That is its logical state, not whether it sleeps at this moment: a
/// signal or a piece of output wakes it, and it goes back to sleep when it finds no reply.
fn in_call(table: &proc::Table, pid: Pid) -> Option<usize> {
    table.slots.iter().position(|p| p.as_deref().is_some_and(|p| p.pid == pid && crate::proc::asking(p)))
}

/// Images being received (for `stats`).
pub fn receiving() -> u32 {
    INCOMING.lock().len() as u32
}

/// A user slot that is free and not kept for an image still arriving.
fn free_slot(table: &proc::Table, incoming: &[Incoming]) -> Option<usize> {
    let kept = |slot: usize| {
        incoming.iter().any(|i| matches!(i.purpose, Purpose::Fork { slot: s, .. } if s == slot))
    };
    (0..NPROC).find(|&slot| table.slots[slot].is_none() && !kept(slot))
}

/// `ForkImage`: accept process `pid` (logically `parent`'s child) with an image of `size` bytes.
fn accept(pid: Pid, parent: Pid, size: u32) -> Reply {
    let mut incoming = INCOMING.lock();
    incoming.retain(|i| i.pid != pid);
    let Some(slot) = free_slot(&proc::table(), &incoming) else { return Reply::err(Errno::Again) };
    let accepted = promise(&incoming, size).and_then(|promised| {
        let builder = Builder::new(size, slot as u32 + 1)?;
        Ok(Incoming {
            pid,
            purpose: Purpose::Fork { parent, slot },
            builder: Some(Box::new(builder)),
            promised,
        })
    });
    match accepted.and_then(|i| incoming.try_reserve(1).map(|()| i).map_err(|_| Errno::NoMem)) {
        Ok(arriving) => {
            incoming.push(arriving);
            // A migrating process's port name space comes before its `Start`.
            ox_kcore::ipcall::space_arriving(pid);
            Reply::ok(0)
        }
        Err(e) => Reply::err(e),
    }
}

/// `MoveSpace`: process `pid`, frozen here to migrate, sends its port name space to node
/// `node` (ahead of this reply); the result is the number of names.
fn move_space(pid: Pid, node: u32) -> Reply {
    {
        let mut table = proc::table();
        let Some(slot) = in_call(&table, pid) else { return Reply::err(Errno::Srch) };
        let Some(proc) = table.slots[slot].as_deref_mut() else { return Reply::err(Errno::Srch) };
        if !crate::proc::frozen(proc) {
            return Reply::err(Errno::Inval);
        }
    }
    match ox_kcore::ipcall::send_space(pid, node) {
        Ok(names) => Reply::ok(names),
        Err(e) => Reply::err(e),
    }
}

/// `ExecImage`: process `pid`, sleeping in its `exec`, gets an image of `size` bytes.
fn accept_exec(pid: Pid, size: u32) -> Reply {
    let Some(slot) = in_call(&proc::table(), pid) else { return Reply::err(Errno::Srch) };
    let mut incoming = INCOMING.lock();
    incoming.retain(|i| i.pid != pid);
    let accepted = promise(&incoming, size).and_then(|promised| {
        // The new space has the process's ASID; it stays inactive until the process switches.
        let builder = Builder::new(size, slot as u32 + 1)?;
        Ok(Incoming { pid, purpose: Purpose::Exec(None), builder: Some(Box::new(builder)), promised })
    });
    match accepted.and_then(|i| incoming.try_reserve(1).map(|()| i).map_err(|_| Errno::NoMem)) {
        Ok(arriving) => {
            incoming.push(arriving);
            Reply::ok(0)
        }
        Err(e) => Reply::err(e),
    }
}

/// `WriteImage`: `data` at `offset` of the image of `pid`, built into its address space at
/// once. A refusal drops the image (its frames freed): the transfer is over.
fn write(pid: Pid, offset: u32, data: &[u8]) -> Reply {
    let mut incoming = INCOMING.lock();
    let Some(at) = incoming.iter().position(|i| i.pid == pid) else { return Reply::err(Errno::Srch) };
    let written = match incoming[at].builder.as_mut() {
        Some(builder) => builder.write(offset, data),
        None => Err(Errno::Inval),
    };
    match written {
        Ok(()) => Reply::ok(data.len() as u32),
        Err(e) => {
            incoming.remove(at);
            ox_kcore::ipcall::space_arrived(pid);
            Reply::err(e)
        }
    }
}

/// `Start`: the image of `pid` is complete; run it from `pc` (a new process), or finish it for
/// the process's `exec`. An incomplete image is refused (`ENOEXEC`) and dropped.
fn start(pid: Pid, pc: u32) -> Reply {
    ox_kcore::ipcall::space_arrived(pid);
    let reply = start_image(pid, pc);
    if reply.result.is_err() && proc::table().find(pid).is_none() {
        // Rights that came for it go, as a process's go when it ends.
        ox_kcore::ipcall::task_exit(pid);
    }
    reply
}

/// [`start`], the image's part.
fn start_image(pid: Pid, pc: u32) -> Reply {
    let mut incoming = INCOMING.lock();
    let Some(at) = incoming.iter().position(|i| i.pid == pid) else { return Reply::err(Errno::Srch) };
    let mut table = proc::table();
    let Some(builder) = incoming[at].builder.take() else {
        incoming.remove(at);
        return Reply::err(Errno::Inval);
    };
    if matches!(incoming[at].purpose, Purpose::Exec(_)) {
        let built = in_call(&table, pid).ok_or(Errno::Srch).and_then(|slot| {
            let asid = slot as u32 + 1;
            builder.finish(pc).map(|(space, frame, _)| (space, frame, asid))
        });
        return match built {
            Ok(built) => {
                incoming[at].purpose = Purpose::Exec(Some(Box::new(built)));
                Reply::ok(0)
            }
            Err(e) => {
                incoming.remove(at);
                Reply::err(e)
            }
        };
    }
    let Incoming { purpose: Purpose::Fork { parent, slot }, .. } = incoming.remove(at) else {
        unreachable!("an exec image returned above")
    };
    if table.slots[slot].is_some() {
        return Reply::err(Errno::Again);
    }
    let started = builder.finish(pc).and_then(|(space, frame, signals)| {
        let mut proc = new_process(pid, parent, space, frame)?;
        proc.signals = signals;
        Ok(proc)
    });
    match started {
        Ok(proc) => {
            table.put(slot, proc);
            Reply::ok(0)
        }
        Err(e) => Reply::err(e),
    }
}

/// What an `exec` of `pid` received and built (space, registers, ASID), if anything; forgets
/// the image either way (the process calls it whatever its reply says).
pub fn take_exec(pid: Pid) -> Option<(AddressSpace, TrapFrame, u32)> {
    let mut incoming = INCOMING.lock();
    let at = incoming.iter().position(|i| i.pid == pid)?;
    match incoming.remove(at).purpose {
        Purpose::Exec(built) => built.map(|built| *built),
        Purpose::Fork { .. } => None,
    }
}

/// `ForkHere`: child `pid` of `parent`, which sleeps here in its forwarded `fork`, from
/// `parent`'s address space by inheritance (copy-on-write; shared regions shared, none
/// regions left out), its registers with `a0` = 0 and its dispositions, resuming at `pc`.
fn fork_here(pid: Pid, parent: Pid, pc: u32) -> Reply {
    let mut table = proc::table();
    if table.find(pid).is_some() {
        return Reply::err(Errno::Exist);
    }
    let Some(at) = in_call(&table, parent) else { return Reply::err(Errno::Srch) };
    let Some(slot) = free_slot(&table, &INCOMING.lock()) else { return Reply::err(Errno::Again) };
    let Some(from) = table.slots[at].as_deref_mut() else { return Reply::err(Errno::Srch) };
    let mut frame = from.frame();
    frame.regs[ox_abi::REG_RESULT] = 0;
    frame.epc = pc;
    let signals = from.signals.forked();
    let child =
        from.space().duplicate(slot as u32 + 1).and_then(|space| new_process(pid, parent, space, frame));
    match child {
        Ok(mut child) => {
            child.signals = signals;
            table.put(slot, child);
            Reply::ok(0)
        }
        Err(e) => Reply::err(e),
    }
}

/// Forgets the layout of the image of `pid` being read, if any: the process got its reply,
/// so its memory may change.
pub fn forget_outgoing(pid: Pid) {
    OUTGOING.lock().retain(|(p, _)| *p != pid);
}

/// `ReadImage`: up to `len` bytes from `offset` of the image of `pid`, which sleeps in its
/// forwarded `fork`; the result is the image's size.
fn read(pid: Pid, offset: u32, len: u32) -> Reply {
    let mut outgoing = OUTGOING.lock();
    let mut table = proc::table();
    let Some(slot) = in_call(&table, pid) else { return Reply::err(Errno::Srch) };
    let Some(proc) = table.slots[slot].as_deref_mut() else { return Reply::err(Errno::Srch) };
    if offset == 0 {
        outgoing.retain(|(p, _)| *p != pid);
        // A process frozen to migrate travels exactly as it is, if its memory can; one in its
        // `fork` gives its child's image (`fork`'s result 0).
        let frozen = crate::proc::frozen(proc);
        if frozen && (!ox_kcore::ipcall::space_can_move(pid) || !proc.space().travels()) {
            return Reply::err(Errno::Busy);
        }
        let mut regs = proc.frame().regs;
        if !frozen {
            regs[ox_abi::REG_RESULT] = 0;
        }
        // A child starts with nothing pending; a migrating process takes its pending signals
        // along, those it blocks included.
        let signals = if frozen { proc.signals.clone() } else { proc.signals.forked() };
        match Layout::new(proc.space(), &regs, Some(&signals)) {
            Ok(layout) if outgoing.try_reserve(1).is_ok() => outgoing.push((pid, layout)),
            Ok(_) => return Reply::err(Errno::NoMem),
            Err(e) => return Reply::err(e),
        }
    }
    let Some(at) = outgoing.iter().position(|(p, _)| *p == pid) else { return Reply::err(Errno::Srch) };
    let layout = &outgoing[at].1;
    let total = match layout.size() {
        Ok(total) => total as usize,
        Err(e) => return Reply::err(e),
    };
    let len = (len as usize).min(MAX_DATA);
    let data = match layout.read(proc.space(), offset as usize, len) {
        Ok(data) => data,
        Err(e) => return Reply::err(e),
    };
    if offset as usize + data.len() >= total {
        outgoing.remove(at);
    }
    Reply { result: Ok(total as u32), signal: None, data }
}
