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
//! **Placing a child** is the same wherever the image comes from ([`place`]): the child's
//! stub here — same pid, child of the current process (the forker, or the forker's stub), a
//! copy of its descriptors, directory, name and policy —, `ForkImage` (the child's pid, its
//! logical parent, the image's size) to the chosen satellite's server, the image in
//! `WriteImage`s with at most [`IMAGE_WINDOW`] requests unanswered, then `Start` with the pc
//! after the forker's call. The image is `ox_kcore::image`, with `a0` = 0, and no kernel holds
//! it whole: each 16 KiB piece is read when it is sent — from the central's memory for a fork
//! here (`image::Layout`), or with `ReadImage`s from the parent's satellite for a fork there
//! ([`fork_remote`], a few pieces ahead; the parent sleeps in its call, so its image and
//! registers are still) —, and the satellite builds each piece into the child's address space
//! as it arrives, so the image is bounded by that satellite's free memory alone. The child is
//! technically the satellite server's, logically the forker's: `getppid` there and `wait`
//! here say so.
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
use ox_proto::{marshal, Call, Env, Message, Request, Syscall, IMAGE_WINDOW, MAX_DATA};

use crate::arch::TrapFrame;
use crate::global::Global;
use crate::proc::{self, stub_chan, CentralProc, Remote};
use crate::{file, remote};

/// The satellite `round-robin` takes next, as an index of [`remote::satellites`].
static NEXT: Global<usize> = Global::new("round-robin placement", 0);

/// The link of satellite node `node`; `EINVAL` if no satellite has that node, `EHOSTDOWN` if
/// it is dead.
fn node_link(node: u32) -> Result<usize, Errno> {
    remote::node_link(node)
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

/// The current (central) process forked onto the satellite of `link`: its image is read a
/// piece at a time from its memory, which stays still while it is in this call (its pages the
/// default pager holds brought back first).
fn fork_to(frame: &TrapFrame, link: usize) -> Result<Pid, Errno> {
    ox_kcore::task::proc::page_in_all()?;
    let (pid, layout) = {
        let mut table = table();
        table.free_slot()?;
        let pid = table.new_pid();
        let me = table.current();
        let mut regs = frame.regs;
        regs[ox_abi::REG_RESULT] = 0;
        let signals = me.signals.forked();
        (pid, image::Layout::new(me.space(), &regs, Some(&signals))?)
    };
    let size = layout.size()?;
    let piece = |offset: usize| layout.read(table().current().space(), offset, MAX_DATA);
    place(link, pid, size, piece, frame.epc)
}

/// A `fork` or `rfork` of the current stub's satellite process (forwarded, with its resume pc
/// as the data: `marshal::fork_data`): the child goes where the policy (or `rfork`'s node)
/// says — `local` is the parent's own satellite —, its image read from the parent's
/// satellite a piece at a time as it is written to the child's. Returns the child's pid.
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
    let mut reader = Reader::open(home, parent)?;
    let pid = {
        let mut table = table();
        table.free_slot().map(|_| table.new_pid())
    };
    let placed = pid.and_then(|pid| place(link, pid, reader.size, |offset| reader.piece(offset), pc));
    reader.close();
    placed
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
    if let Err(e) = remote::wait_reply(link, pid).result {
        discard(slot);
        return Err(e);
    }
    Ok(pid)
}

/// The image of a process sleeping in a call on a satellite, read in `ReadImage`s: the first
/// learns its size; then up to [`IMAGE_WINDOW`] are in flight ahead of the piece wanted.
pub struct Reader {
    link: usize,
    pid: Pid,
    /// The image's size.
    pub size: u32,
    /// The first piece, until it is taken.
    first: Option<Vec<u8>>,
    /// Where the next `ReadImage` asks from.
    asked: usize,
    /// `ReadImage`s not answered yet.
    unanswered: usize,
}

impl Reader {
    /// Reads the first piece of the image of `pid` on the satellite of `link`.
    pub fn open(link: usize, pid: Pid) -> Result<Reader, Errno> {
        remote::send(link, &Message::request(pid, Reader::ask(0)));
        let first = remote::wait_reply(link, pid);
        let size = first.result?;
        let mut reader = Reader { link, pid, size, first: None, asked: MAX_DATA, unanswered: 0 };
        reader.first = Some(reader.check(0, first.data)?);
        Ok(reader)
    }

    fn ask(offset: usize) -> Request {
        Request::ReadImage { offset: offset as u32, len: MAX_DATA as u32 }
    }

    /// `data`, if it is the whole piece at `offset`.
    fn check(&self, offset: usize, data: Vec<u8>) -> Result<Vec<u8>, Errno> {
        let expected = (self.size as usize).saturating_sub(offset).min(MAX_DATA);
        if data.len() != expected {
            return Err(Errno::Io);
        }
        Ok(data)
    }

    /// The piece at `offset`; the pieces are asked in order.
    pub fn piece(&mut self, offset: usize) -> Result<Vec<u8>, Errno> {
        if offset == 0 {
            return self.first.take().ok_or(Errno::Io);
        }
        let ahead = offset.saturating_add(IMAGE_WINDOW * MAX_DATA).min(self.size as usize);
        while self.asked < ahead {
            remote::send(self.link, &Message::request(self.pid, Reader::ask(self.asked)));
            self.asked += MAX_DATA;
            self.unanswered += 1;
        }
        if self.unanswered == 0 {
            return Err(Errno::Io);
        }
        self.unanswered -= 1;
        let reply = remote::wait_reply(self.link, self.pid);
        reply.result.and_then(|_| self.check(offset, reply.data))
    }

    /// Takes the answers still due (a transfer that stopped early), so that none is left
    /// for the process's next wait.
    pub fn close(mut self) {
        while self.unanswered > 0 {
            self.unanswered -= 1;
            remote::wait_reply(self.link, self.pid);
        }
    }
}

/// The sending end of one image: the announcement, then `WriteImage`s with at most
/// [`IMAGE_WINDOW`] requests unanswered, so neither kernel ever queues more than that many
/// pieces of it.
struct Upload {
    link: usize,
    pid: Pid,
    unanswered: usize,
    /// The first refusal (the satellite then dropped what it had built).
    refused: Option<Errno>,
}

impl Upload {
    /// Announces process `pid`'s image (`ForkImage` or `ExecImage`) to the satellite of `link`.
    fn announce(link: usize, pid: Pid, announce: Request) -> Upload {
        remote::send(link, &Message::request(pid, announce));
        Upload { link, pid, unanswered: 1, refused: None }
    }

    /// Takes one answer.
    fn answer(&mut self) {
        self.unanswered -= 1;
        if let Err(e) = remote::wait_reply(self.link, self.pid).result {
            self.refused.get_or_insert(e);
        }
    }

    /// Sends `data`, the piece at `offset`; the first refusal so far is the error.
    fn write(&mut self, offset: usize, data: Vec<u8>) -> Result<(), Errno> {
        while self.unanswered >= IMAGE_WINDOW {
            self.answer();
        }
        if let Some(e) = self.refused {
            return Err(e);
        }
        let request = Request::WriteImage { offset: offset as u32, data };
        remote::send(self.link, &Message::request(self.pid, request));
        self.unanswered += 1;
        Ok(())
    }

    /// Takes every answer still due; the first refusal is the error.
    fn finish(mut self) -> Result<(), Errno> {
        while self.unanswered > 0 {
            self.answer();
        }
        self.refused.map_or(Ok(()), Err)
    }
}

/// Sends process `pid`'s new image of `size` bytes to the satellite of `link`: `announce`
/// (`ForkImage` or `ExecImage`), then the pieces `piece(offset)` gives, each sent as it is
/// made. The first refusal among the answers is the error; if the pieces themselves fail
/// after the satellite accepted the image, a `Start` abandons it there (an incomplete image is
/// refused and dropped).
pub fn send_image(
    link: usize,
    pid: Pid,
    announce: Request,
    size: u32,
    mut piece: impl FnMut(usize) -> Result<Vec<u8>, Errno>,
) -> Result<(), Errno> {
    let mut upload = Upload::announce(link, pid, announce);
    let mut failed = None;
    for offset in (0..size as usize).step_by(MAX_DATA) {
        match piece(offset) {
            Ok(data) => {
                if upload.write(offset, data).is_err() {
                    break;
                }
            }
            Err(e) => {
                failed = Some(e);
                break;
            }
        }
    }
    upload.finish()?;
    if let Some(e) = failed {
        let _ = start(link, pid, 0);
        return Err(e);
    }
    Ok(())
}

/// `Start { pc }` for process `pid` on the satellite of `link`, and its answer.
pub fn start(link: usize, pid: Pid, pc: u32) -> Result<(), Errno> {
    remote::send(link, &Message::request(pid, Request::Start { pc }));
    remote::wait_reply(link, pid).result.map(|_| ())
}

/// Puts child `pid`, whose image of `size` bytes `piece` gives a piece at a time, on the
/// satellite of `link`, to resume at `pc`, with its stub here as a child of the current
/// process; returns `pid`.
///
/// The stub takes its slot of the process table *before* the image travels, asleep until its
/// process sends something: a table that fills meanwhile cannot strand an image on the
/// satellite. If the satellite refuses the image or the start, the stub is taken out again
/// (its descriptors closed, its memory freed) and the fork fails with the satellite's error:
/// no child is left for the forker's `wait`.
fn place(
    link: usize,
    pid: Pid,
    size: u32,
    piece: impl FnMut(usize) -> Result<Vec<u8>, Errno>,
    pc: u32,
) -> Result<Pid, Errno> {
    let parent = table().current().pid;
    let slot = stand_in(link, pid, parent)?;
    let announce = Request::ForkImage { parent, env: Env::default(), size };
    let placed = send_image(link, pid, announce, size, piece).and_then(|()| start(link, pid, pc));
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
    let node = remote::link_node(link).unwrap_or(0);
    let me = table.current();
    let name = me.name.clone();
    let central = me.central().forked();
    let remote = Remote {
        link,
        node,
        mailbox: VecDeque::new(),
        busy: false,
        interrupt: false,
        interrupt_next: false,
        reparented: false,
        fetching: false,
    };
    let mut stub = proc::new_stub(pid, parent, &name, slot, remote, central)?;
    stub.state = State::Sleeping(stub_chan(pid));
    table.put(slot, stub);
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
