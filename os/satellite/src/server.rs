//! The process server (Bach §13.1): a process of this satellite that moves process images
//! between it and the central's stubs (docs/satellites.md, docs/protocol.md). Each request is
//! answered.
//!
//! - **A new process** (a fork, here or elsewhere): `ForkImage` reserves room for an image of
//!   the announced size, `WriteImage`s fill it, `Start` rebuilds the address space and
//!   registers and signal dispositions (`ox_kcore::image`) and makes the process runnable at
//!   the given pc.
//!   `ENOMEM`/`EAGAIN` refuse a process, `ENOEXEC` a malformed image.
//! - **An exec**: `ExecImage` for a live process sleeping in its forwarded `exec`, the
//!   `WriteImage`s, then `Start` builds the new address space and registers and keeps them; the
//!   process takes them ([`take_exec`]) when its reply comes, and switches to them if the reply
//!   is a success.
//! - **A fork of a process here whose child stays here** (`ForkHere`): no image travels; the
//!   child's address space is the parent's by inheritance (`AddressSpace::duplicate`:
//!   copy-on-write, shared regions shared), as on the central.
//! - **A fork of a process here whose child goes elsewhere** (`ReadImage`): the image of a process sleeping in its
//!   forwarded `fork`, with `a0` = 0 (the child's result) and its signal dispositions (a
//!   child inherits them; pending signals are not), encoded at the first piece
//!   (offset 0) and kept until its last piece has been read.
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
use ox_kcore::image;
use ox_kcore::kprintln;
use ox_kcore::task::proc::{self, NoRole, Pid, Proc, State};
use ox_kcore::task::sched;
use ox_kcore::vm::AddressSpace;
use ox_proto::{Message, Reply, Request, MAX_DATA};

use crate::link;
use crate::proc::{new_process, reply_chan, server_chan, NPROC, SERVER_PID};

/// The largest image accepted (the satellite's heap holds it until `Start`).
const MAX_IMAGE: u32 = 512 << 10;

/// What an image being received is for.
enum Purpose {
    /// A new process, logically this one's child.
    Fork {
        /// The logical parent.
        parent: Pid,
    },
    /// The live process's `exec`; once built by `Start`, its new space, registers and ASID
    /// (boxed: the table keeps its capacity, so its entries stay small).
    Exec(Option<Box<(AddressSpace, TrapFrame, u32)>>),
}

/// An image being received.
struct Incoming {
    pid: Pid,
    purpose: Purpose,
    bytes: Vec<u8>,
}

static INCOMING: Global<Vec<Incoming>> = Global::new("incoming processes", Vec::new());
/// Images being read by a stub (a fork of a process here): pid and bytes.
static OUTGOING: Global<Vec<(Pid, Vec<u8>)>> = Global::new("outgoing images", Vec::new());

/// Requests waiting for the server, oldest first: the pid each is about, and the request. The
/// central sends an image's announcement and all its `WriteImage`s before it waits for the
/// replies, and the link's window brings them in a burst: up to [`MAILBOX_WORKING`].
static MAILBOX: Global<Vec<(Pid, Request)>> = Global::new("server mailbox", Vec::new());

/// The mailbox's working size, reserved at boot (so its heap does not grow with the first
/// burst): a whole image's requests, the announcement and one `WriteImage` per 16 KiB.
const MAILBOX_WORKING: usize = (MAX_IMAGE as usize).div_ceil(MAX_DATA) + 1;

/// Creates the server process, sleeping until its first request.
pub fn init() {
    MAILBOX.lock().reserve(MAILBOX_WORKING);
    let mut server =
        Proc::kernel_thread(SERVER_PID, SERVER_PID, "server", entry as *const () as u32, Box::new(NoRole))
            .unwrap_or_else(|e| panic!("no room for the process server at boot: {e:?}"));
    server.state = State::Sleeping(server_chan());
    let mut table = proc::table();
    let slot = table.system_slot();
    table.slots[slot] = Some(server);
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
            None => sched::sleep(server_chan()),
        }
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
        _ => {
            kprintln!("the server got a request about pid {pid} that is not an image request");
            Reply::err(Errno::Inval)
        }
    }
}

/// Room for an image of `size` bytes, or `ENOMEM`.
fn room(size: u32) -> Result<Vec<u8>, Errno> {
    if size > MAX_IMAGE {
        return Err(Errno::NoMem);
    }
    let mut bytes = Vec::new();
    bytes.try_reserve_exact(size as usize).map_err(|_| Errno::NoMem)?;
    bytes.resize(size as usize, 0);
    Ok(bytes)
}

/// The slot of process `pid` if it sleeps in a forwarded call (its registers are still).
fn in_call(table: &proc::Table, pid: Pid) -> Option<usize> {
    table
        .slots
        .iter()
        .position(|p| p.as_ref().is_some_and(|p| p.pid == pid && p.state == State::Sleeping(reply_chan(pid))))
}

/// Images being received (for `stats`).
pub fn receiving() -> u32 {
    INCOMING.lock().len() as u32
}

/// `ForkImage`: accept process `pid` (logically `parent`'s child) with an image of `size` bytes.
fn accept(pid: Pid, parent: Pid, size: u32) -> Reply {
    let mut incoming = INCOMING.lock();
    let arriving = incoming.iter().filter(|i| matches!(i.purpose, Purpose::Fork { .. })).count();
    if size <= MAX_IMAGE && proc::table().count() + arriving >= NPROC {
        return Reply::err(Errno::Again);
    }
    match room(size) {
        Ok(bytes) => {
            incoming.retain(|i| i.pid != pid);
            incoming.push(Incoming { pid, purpose: Purpose::Fork { parent }, bytes });
            Reply::ok(0)
        }
        Err(e) => Reply::err(e),
    }
}

/// `ExecImage`: process `pid`, sleeping in its `exec`, gets an image of `size` bytes.
fn accept_exec(pid: Pid, size: u32) -> Reply {
    if in_call(&proc::table(), pid).is_none() {
        return Reply::err(Errno::Srch);
    }
    let mut incoming = INCOMING.lock();
    match room(size) {
        Ok(bytes) => {
            incoming.retain(|i| i.pid != pid);
            incoming.push(Incoming { pid, purpose: Purpose::Exec(None), bytes });
            Reply::ok(0)
        }
        Err(e) => Reply::err(e),
    }
}

/// `WriteImage`: `data` at `offset` of the image of `pid`.
fn write(pid: Pid, offset: u32, data: &[u8]) -> Reply {
    let mut incoming = INCOMING.lock();
    let Some(image) = incoming.iter_mut().find(|i| i.pid == pid) else { return Reply::err(Errno::Srch) };
    let start = offset as usize;
    match image.bytes.get_mut(start..start + data.len()) {
        Some(place) => {
            place.copy_from_slice(data);
            Reply::ok(data.len() as u32)
        }
        None => Reply::err(Errno::Inval),
    }
}

/// `Start`: the image of `pid` is complete; run it from `pc` (a new process), or build it for
/// the process's `exec`.
fn start(pid: Pid, pc: u32) -> Reply {
    let mut incoming = INCOMING.lock();
    let Some(at) = incoming.iter().position(|i| i.pid == pid) else { return Reply::err(Errno::Srch) };
    let mut table = proc::table();
    if matches!(incoming[at].purpose, Purpose::Exec(_)) {
        let built = in_call(&table, pid).ok_or(Errno::Srch).and_then(|slot| {
            let asid = slot as u32 + 1;
            image::decode(&incoming[at].bytes, asid, pc).map(|(space, frame)| (space, frame, asid))
        });
        return match built {
            Ok(built) => {
                incoming[at] =
                    Incoming { pid, purpose: Purpose::Exec(Some(Box::new(built))), bytes: Vec::new() };
                Reply::ok(0)
            }
            Err(e) => {
                incoming.remove(at);
                Reply::err(e)
            }
        };
    }
    let Incoming { purpose: Purpose::Fork { parent }, bytes, .. } = incoming.remove(at) else {
        unreachable!("an exec image returned above")
    };
    let Ok(slot) = table.free_slot() else { return Reply::err(Errno::Again) };
    let started = image::decode(&bytes, slot as u32 + 1, pc).and_then(|(space, frame)| {
        let mut proc = new_process(pid, parent, space, frame)?;
        proc.signals = image::signals(&bytes)?;
        Ok(proc)
    });
    match started {
        Ok(proc) => {
            table.slots[slot] = Some(proc);
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
    let Ok(slot) = table.free_slot() else { return Reply::err(Errno::Again) };
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
            table.slots[slot] = Some(child);
            Reply::ok(0)
        }
        Err(e) => Reply::err(e),
    }
}

/// `ReadImage`: up to `len` bytes from `offset` of the image of `pid`, which sleeps in its
/// forwarded `fork`; the result is the image's size.
fn read(pid: Pid, offset: u32, len: u32) -> Reply {
    let mut outgoing = OUTGOING.lock();
    if offset == 0 {
        outgoing.retain(|(p, _)| *p != pid);
        let mut table = proc::table();
        let Some(slot) = in_call(&table, pid) else { return Reply::err(Errno::Srch) };
        let Some(proc) = table.slots[slot].as_deref_mut() else { return Reply::err(Errno::Srch) };
        let mut regs = proc.frame().regs;
        regs[ox_abi::REG_RESULT] = 0;
        let mut bytes = image::encode(proc.space(), &regs);
        image::append_signals(&mut bytes, &proc.signals.forked());
        outgoing.push((pid, bytes));
    }
    let Some(at) = outgoing.iter().position(|(p, _)| *p == pid) else { return Reply::err(Errno::Srch) };
    let bytes = &outgoing[at].1;
    let total = bytes.len();
    let start = (offset as usize).min(total);
    let end = start + (len as usize).min(MAX_DATA).min(total - start);
    let reply = Reply { result: Ok(total as u32), signal: None, data: bytes[start..end].to_vec() };
    if end == total {
        outgoing.remove(at);
    }
    reply
}
