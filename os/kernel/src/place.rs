//! Placement (Bach §13.1; docs/satellites.md): where a process's children go, and putting a
//! child on a satellite — for `fork` and `rfork` on the central and, forwarded by the stub,
//! for `fork` and `rfork` on a satellite.
//!
//! **The policy** is a per-process attribute ([`Placement`], set by `place`, inherited by
//! children, kept by `exec`): `local` (the child stays on the parent's node: the default),
//! `least-loaded` (the satellite with the fewest live processes, the lowest node on a tie),
//! `round-robin` (the satellites in turn, system-wide) or a fixed satellite node. [`choose`]
//! is the one function that applies it. `rfork(node)` names a node, or with 0 follows the
//! policy when it names a satellite and takes the least loaded one otherwise.
//!
//! **Placing a child** is the same wherever the image comes from ([`place`]): `ForkImage`
//! (the child's pid, its logical parent, the image's size) to the chosen satellite's server,
//! the image in `WriteImage`s, each answered; then the child's stub here — same pid, child of
//! the current process (the forker, or the forker's stub), a copy of its descriptors,
//! directory, name and policy — and `Start` with the pc after the forker's call. The image is
//! `ox_kcore::image`, with `a0` = 0: built from the central's memory for a fork here, read
//! with `ReadImage`s from the parent's satellite for a fork there ([`fork_remote`]; the parent
//! sleeps in its call, so its image and registers are still). The child is technically the
//! satellite server's, logically the forker's: `getppid` there and `wait` here say so.
//!
//! **A fork on a satellite whose child stays there** (policy `local`, or `rfork` naming the
//! parent's own node) moves no image: the stub is made here and the satellite is told
//! `ForkHere` ([`fork_here`]), which builds the child from the parent's address map by
//! inheritance — copy-on-write, shared regions shared, as a fork on the central.

use alloc::collections::VecDeque;
use alloc::vec::Vec;

use ox_abi::{Errno, Placement};
use ox_kcore::image;
use ox_kcore::task::proc::{table, Pid, State};
use ox_proto::{marshal, Call, Env, Message, Request, Syscall, MAX_DATA};

use crate::arch::TrapFrame;
use crate::global::Global;
use crate::proc::{self, stub_chan, CentralProc, Remote};
use crate::{file, remote};

/// The largest image read from a satellite (a satellite accepts no larger one).
const MAX_IMAGE: usize = 512 << 10;

/// The satellite `round-robin` takes next, as an index of [`remote::satellites`].
static NEXT: Global<usize> = Global::new("round-robin placement", 0);

/// The link of satellite node `node`; `EINVAL` if no satellite has that node.
fn node_link(node: u32) -> Result<usize, Errno> {
    remote::satellites().iter().find(|(_, n)| *n == node).map(|(link, _)| *link).ok_or(Errno::Inval)
}

/// The link of the satellite with the fewest live processes (the lowest node on a tie);
/// `ENODEV` without satellites.
fn least_loaded() -> Result<usize, Errno> {
    let satellites = remote::satellites();
    let table = table();
    let load = |link: usize| {
        table
            .slots
            .iter()
            .flatten()
            .filter(|p| !p.has_exited() && p.central_ref().remote.as_ref().is_some_and(|r| r.link == link))
            .count()
    };
    satellites
        .iter()
        .min_by_key(|(link, node)| (load(*link), *node))
        .map(|(link, _)| *link)
        .ok_or(Errno::NoDev)
}

/// The link of the next satellite in turn; `ENODEV` without satellites.
fn round_robin() -> Result<usize, Errno> {
    let satellites = remote::satellites();
    if satellites.is_empty() {
        return Err(Errno::NoDev);
    }
    let mut next = NEXT.lock();
    let (link, _) = satellites[*next % satellites.len()];
    *next = (*next + 1) % satellites.len();
    Ok(link)
}

/// Where a child of a process whose user context is on the satellite of link `home` (`None`:
/// on the central) goes under `policy`: a satellite's link, or `None` for the central.
pub fn choose(policy: Placement, home: Option<usize>) -> Result<Option<usize>, Errno> {
    match policy {
        Placement::Local => Ok(home),
        Placement::LeastLoaded => least_loaded().map(Some),
        Placement::RoundRobin => round_robin().map(Some),
        Placement::Node(node) => node_link(node.into()).map(Some),
    }
}

/// The satellite of `rfork(node)` for a process under `policy`: node `node`; for 0 the
/// policy's choice if it names a satellite, else the least loaded.
fn rfork_link(node: u32, policy: Placement) -> Result<usize, Errno> {
    if node != 0 {
        return node_link(node);
    }
    match choose(policy, None)? {
        Some(link) => Ok(link),
        None => least_loaded(),
    }
}

/// `place(policy) -> previous policy`: sets the current process's policy (a [`Placement`]
/// word; 0 only reads it). `EINVAL` for a word that is no policy or a node that is no
/// satellite.
pub fn set(word: u32) -> Result<u32, Errno> {
    let new = match word {
        0 => None,
        word => Some(Placement::decode(word).ok_or(Errno::Inval)?),
    };
    if let Some(Placement::Node(node)) = new {
        node_link(node.into())?;
    }
    let mut table = table();
    let me = table.current().central();
    let old = me.placement;
    if let Some(policy) = new {
        me.placement = policy;
    }
    Ok(old.encode())
}

/// `fork` on the central: the child where the current process's policy says (here, or on a
/// satellite); returns its pid.
pub fn fork(frame: &TrapFrame) -> Result<Pid, Errno> {
    let policy = table().current().central().placement;
    match choose(policy, None)? {
        None => proc::fork(frame),
        Some(link) => fork_to(frame, link),
    }
}

/// `rfork(node)` on the central: the current process forked onto a satellite; returns the
/// child's pid.
pub fn rfork(frame: &TrapFrame, node: u32) -> Result<Pid, Errno> {
    let policy = table().current().central().placement;
    let link = rfork_link(node, policy)?;
    fork_to(frame, link)
}

/// The current (central) process forked onto the satellite of `link`.
fn fork_to(frame: &TrapFrame, link: usize) -> Result<Pid, Errno> {
    let (pid, bytes) = {
        let mut table = table();
        table.free_slot()?;
        let pid = table.new_pid();
        let me = table.current();
        let mut regs = frame.regs;
        regs[ox_abi::REG_RESULT] = 0;
        let mut bytes = image::encode(me.space(), &regs);
        image::append_signals(&mut bytes, &me.signals.forked());
        (pid, bytes)
    };
    place(link, pid, &bytes, frame.epc)
}

/// A `fork` or `rfork` of the current stub's satellite process (forwarded, with its resume pc
/// as the data: `marshal::fork_data`): the child goes where the policy (or `rfork`'s node)
/// says — `local` is the parent's own satellite —, its image read from the parent's
/// satellite. Returns the child's pid.
pub fn fork_remote(call: &Call) -> Result<Pid, Errno> {
    let pc = marshal::fork_pc(&call.data).ok_or(Errno::Inval)?;
    let (parent, home, policy) = {
        let mut table = table();
        let me = table.current();
        let pid = me.pid;
        let central = me.central();
        let home = central.remote.as_ref().map(|r| r.link).ok_or(Errno::NoSys)?;
        (pid, home, central.placement)
    };
    let link = match call.call {
        Syscall::Rfork => rfork_link(call.args[0], policy)?,
        _ => choose(policy, Some(home))?.unwrap_or(home),
    };
    if link == home {
        return fork_here(link, parent, pc);
    }
    let bytes = read_image(home, parent)?;
    let pid = {
        let mut table = table();
        table.free_slot()?;
        table.new_pid()
    };
    place(link, pid, &bytes, pc)
}

/// A fork of `parent` on the satellite of `link` whose child stays there: the satellite
/// makes the child from the parent's address space by inheritance (`ForkHere`: copy-on-write,
/// shared regions shared), no image travels; the child's stub is made here first, as for any
/// placement.
fn fork_here(link: usize, parent: Pid, pc: u32) -> Result<Pid, Errno> {
    let pid = {
        let mut table = table();
        table.free_slot()?;
        table.new_pid()
    };
    let slot = stand_in(link, pid, parent)?;
    remote::send(link, &Message::request(pid, Request::ForkHere { parent, pc }));
    if let Err(e) = remote::wait_reply(pid).result {
        discard(slot);
        return Err(e);
    }
    Ok(pid)
}

/// The image of process `pid` (sleeping in a call) from the satellite of `link`: a first
/// `ReadImage` learns its size, the others are sent back to back.
fn read_image(link: usize, pid: Pid) -> Result<Vec<u8>, Errno> {
    let piece = |offset: usize| Request::ReadImage { offset: offset as u32, len: MAX_DATA as u32 };
    remote::send(link, &Message::request(pid, piece(0)));
    let first = remote::wait_reply(pid);
    let size = first.result? as usize;
    if size > MAX_IMAGE {
        return Err(Errno::NoMem);
    }
    let mut bytes = Vec::new();
    bytes.try_reserve_exact(size).map_err(|_| Errno::NoMem)?;
    bytes.extend_from_slice(&first.data);
    let mut asked = 0;
    for offset in (bytes.len()..size).step_by(MAX_DATA) {
        remote::send(link, &Message::request(pid, piece(offset)));
        asked += 1;
    }
    let mut failed = None;
    for _ in 0..asked {
        let reply = remote::wait_reply(pid);
        match reply.result {
            Ok(_) => bytes.extend_from_slice(&reply.data),
            Err(e) => {
                failed.get_or_insert(e);
            }
        }
    }
    if let Some(e) = failed {
        return Err(e);
    }
    if bytes.len() != size {
        return Err(Errno::Io);
    }
    Ok(bytes)
}

/// Sends process `pid`'s new image to the satellite of `link`: `announce` (`ForkImage` or
/// `ExecImage`), then `bytes` in `WriteImage`s; the first refusal among the answers is the
/// error.
pub fn send_image(link: usize, pid: Pid, announce: Request, bytes: &[u8]) -> Result<(), Errno> {
    remote::send(link, &Message::request(pid, announce));
    let mut answers = 1;
    for (i, piece) in bytes.chunks(MAX_DATA).enumerate() {
        let request = Request::WriteImage { offset: (i * MAX_DATA) as u32, data: piece.to_vec() };
        remote::send(link, &Message::request(pid, request));
        answers += 1;
    }
    let mut refused = None;
    for _ in 0..answers {
        if let Err(e) = remote::wait_reply(pid).result {
            refused.get_or_insert(e);
        }
    }
    refused.map_or(Ok(()), Err)
}

/// `Start { pc }` for process `pid` on the satellite of `link`, and its answer.
pub fn start(link: usize, pid: Pid, pc: u32) -> Result<(), Errno> {
    remote::send(link, &Message::request(pid, Request::Start { pc }));
    remote::wait_reply(pid).result.map(|_| ())
}

/// Puts child `pid`, whose image is `bytes`, on the satellite of `link`, to resume at `pc`,
/// with its stub here as a child of the current process; returns `pid`.
///
/// The stub takes its slot of the process table *before* the image travels, asleep until its
/// process sends something: a table that fills meanwhile cannot strand an image on the
/// satellite. If the satellite refuses the image or the start, the stub is taken out again
/// (its descriptors closed, its memory freed) and the fork fails with the satellite's error:
/// no child is left for the forker's `wait`.
fn place(link: usize, pid: Pid, bytes: &[u8], pc: u32) -> Result<Pid, Errno> {
    let parent = table().current().pid;
    let slot = stand_in(link, pid, parent)?;
    let announce = Request::ForkImage { parent, env: Env::default(), size: bytes.len() as u32 };
    let placed = send_image(link, pid, announce, bytes).and_then(|()| start(link, pid, pc));
    if let Err(e) = placed {
        discard(slot);
        return Err(e);
    }
    Ok(pid)
}

/// Creates the stub of child `pid` on the satellite of `link` (a child of the current process,
/// `parent`, with a copy of its descriptors, directory, name and policy), asleep until its
/// process's first request; returns its slot.
fn stand_in(link: usize, pid: Pid, parent: Pid) -> Result<usize, Errno> {
    let mut table = table();
    let slot = table.free_slot()?;
    let node = remote::satellites().get(link).map_or(0, |(_, node)| *node);
    let me = table.current();
    let name = me.name.clone();
    let central = me.central().forked();
    let remote =
        Remote { link, node, mailbox: VecDeque::new(), busy: false, interrupt: false, reparented: false };
    let mut stub = proc::new_stub(pid, parent, &name, slot, remote, central)?;
    stub.state = State::Sleeping(stub_chan(pid));
    table.slots[slot] = Some(stub);
    Ok(slot)
}

/// Takes the stub in `slot`, whose process never started, out of the table: closes its
/// descriptors and frees it (its kernel thread is asleep, not on the CPU: this one is).
fn discard(slot: usize) {
    let stub = table().slots[slot].take();
    if let Some(mut stub) = stub {
        // Closing may wake processes (the other end of a pipe), which locks the table.
        for id in stub.central().files.take_all() {
            file::close(id);
        }
    }
}
