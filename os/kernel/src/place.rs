//! Placement: `rfork`, Bach's fork on the central processor to a satellite (docs/satellites.md).
//!
//! The kernel picks a satellite ([`choose`]: the one running the fewest of our processes,
//! the lowest node on a tie — or the node the caller names), and asks its server to accept a
//! process: `ForkImage` (the child's pid, its logical parent, the image's size), the image of
//! the forker (`ox_kcore::image`: its pages and registers, `a0` = 0) in `WriteImage`s, each
//! answered. Then it creates the child's stub here — same pid, child of the forker, a copy of
//! the forker's descriptors and directory — and sends `Start` with the pc after the `rfork`.
//! The child is technically the satellite server's, logically the forker's: `getppid` there
//! and `wait` here say so.

use ox_kcore::image;
use ox_proto::{Env, Message, Request, MAX_DATA};

use crate::arch::TrapFrame;
use crate::proc::{self, Pid, State};
use crate::remote;
use ox_abi::Errno;

/// The link of the satellite to place a process on: node `node`, or, for 0, the least
/// loaded one (fewest live stubs; the lowest node on a tie).
pub fn choose(node: u32) -> Result<usize, Errno> {
    let satellites = remote::satellites();
    if node != 0 {
        return satellites.iter().find(|(_, n)| *n == node).map(|(link, _)| *link).ok_or(Errno::Inval);
    }
    let table = proc::table();
    let load = |link: usize| {
        table
            .slots
            .iter()
            .flatten()
            .filter(|p| {
                p.remote.as_ref().is_some_and(|r| r.link == link) && !matches!(p.state, State::Zombie(_))
            })
            .count()
    };
    satellites
        .iter()
        .min_by_key(|(link, node)| (load(*link), *node))
        .map(|(link, _)| *link)
        .ok_or(Errno::NoDev)
}

/// `rfork(node)`: the current process forked onto a satellite; returns the child's pid.
pub fn rfork(frame: &TrapFrame, node: u32) -> Result<Pid, Errno> {
    let link = choose(node)?;
    let (pid, parent, bytes) = {
        let mut table = proc::table();
        table.free_slot()?;
        let pid = table.new_pid();
        let me = table.current();
        let mut regs = frame.regs;
        regs[10] = 0;
        let mut bytes = image::encode(me.space(), &regs);
        image::append_signals(&mut bytes, &me.signals.forked());
        (pid, me.pid, bytes)
    };
    let env = Env::default();
    remote::send(link, &Message::request(pid, Request::ForkImage { parent, env, size: bytes.len() as u32 }));
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
    if let Some(e) = refused {
        return Err(e);
    }
    {
        let mut table = proc::table();
        let slot = table.free_slot()?;
        let node = remote::satellites().get(link).map_or(0, |(_, node)| *node);
        let me = table.current();
        let mut stub = proc::Proc::new_stub(pid, parent, me.name.clone(), slot, link, node)?;
        stub.files = me.files.duplicate();
        stub.cwd = me.cwd.clone();
        table.slots[slot] = Some(stub);
    }
    remote::send(link, &Message::request(pid, Request::Start { pc: frame.epc }));
    let started = remote::wait_reply(pid).result.map(|_| pid);
    if started.is_err() {
        // The satellite has no process for the stub to stand for: it exits, and the
        // forker's `wait` collects it.
        let killed = ox_abi::WaitStatus::Signaled(ox_abi::Signal::Kill);
        let _ = crate::stub::deliver(pid, Request::Exit(killed));
    }
    started
}
