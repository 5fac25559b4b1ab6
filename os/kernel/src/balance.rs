//! Automatic load balancing (MOSIX's load vector; docs/migration.md): while it is on
//! (`balance 0 on`, off at boot), the satellites report their load over their links every
//! [`PERIOD`] ticks (`Load`: the processes there that can run), the central counts its own,
//! and every [`PERIOD`] ticks the balancer moves at most one process from the most loaded
//! node to the least loaded one, when they differ by two or more.
//!
//! The policy is deterministic: the most loaded node is the lowest-numbered of those with the
//! highest load, the least loaded the lowest-numbered of those with the lowest; the process
//! moved is the one with the lowest pid that computes there (on the central: runnable; on a
//! satellite: its stub waits for requests), that the balancer may move (`balance PID off`
//! pins a process) and whose memory can travel. No decision is taken while a move is under
//! way, nor before every satellite has reported since the last one ended: a move is judged on
//! loads that already show the one before.

use alloc::vec::Vec;

use ox_abi::{Errno, BALANCE_OFF, BALANCE_ON, BALANCE_READ};
use ox_kcore::global::Global;
use ox_kcore::task::proc::{table, Pid, State};
use ox_kcore::timer;
use ox_proto::{Message, Request};

use crate::proc::{self as central, stub_chan, CentralProc};
use crate::{migrate, remote};

/// Ticks between two load reports, and between two decisions.
pub const PERIOD: u32 = 20;

/// The balancer's state.
struct Balancer {
    /// Whether it runs.
    on: bool,
    /// Each satellite's last report: (node, load, tick it came).
    loads: Vec<(u32, u32, u32)>,
    /// The tick the last move it made ended, or was made (while it is under way).
    settled_at: u32,
    /// The process it moves now, if any.
    moving: Option<Pid>,
    /// The tick of its next look.
    next_at: u32,
    /// The links of the satellites told to report (a satellite that boots later, or again
    /// on a new link, is told at the next look).
    told: Vec<usize>,
}

static BALANCER: Global<Balancer> = Global::new(
    "load balancer",
    Balancer { on: false, loads: Vec::new(), settled_at: 0, moving: None, next_at: 0, told: Vec::new() },
);

/// `balance(pid, setting)`: the system's switch (`pid` 0) or process `pid`'s; the previous
/// setting.
pub fn set(pid: u32, setting: u32) -> Result<u32, Errno> {
    let on = match setting {
        BALANCE_OFF => Some(false),
        BALANCE_ON => Some(true),
        BALANCE_READ => None,
        _ => return Err(Errno::Inval),
    };
    let mut table = table();
    let actor = table.current().central_ref().uid;
    if pid == 0 {
        let mut balancer = BALANCER.lock();
        let old = balancer.on;
        if let Some(on) = on.filter(|on| *on != old) {
            if actor != 0 {
                return Err(Errno::Perm);
            }
            balancer.on = on;
            balancer.loads.clear();
            balancer.moving = None;
            balancer.settled_at = timer::ticks();
            balancer.next_at = balancer.settled_at + PERIOD;
            let told = core::mem::take(&mut balancer.told);
            drop(balancer);
            drop(table);
            if on {
                tell(&remote::satellites());
            } else {
                for link in told {
                    remote::send(link, &Message::request(0, Request::Load(0)));
                }
            }
        }
        return Ok(u32::from(old));
    }
    let proc = table.find(pid).filter(|p| !p.has_exited()).ok_or(Errno::Srch)?;
    if !central::may_signal(actor, proc.central_ref().uid) {
        return Err(Errno::Perm);
    }
    let deputy = proc.central();
    let old = deputy.balanced;
    if let Some(on) = on {
        deputy.balanced = on;
    }
    Ok(u32::from(old))
}

/// A satellite's load report (`Load` from the satellite of `link`).
pub fn report(link: usize, load: u32) {
    let Some(node) = remote::link_node(link) else { return };
    let mut balancer = BALANCER.lock();
    if !balancer.on {
        return;
    }
    let now = timer::ticks();
    match balancer.loads.iter_mut().find(|(n, _, _)| *n == node) {
        Some(entry) => *entry = (node, load, now),
        None => balancer.loads.push((node, load, now)),
    }
}

/// The central's tick: every [`PERIOD`] ticks, perhaps one move.
pub fn tick() {
    let now = timer::ticks();
    let (loads, settled_at) = {
        let mut balancer = BALANCER.lock();
        if !balancer.on || now < balancer.next_at {
            return;
        }
        balancer.next_at = now + PERIOD;
        if let Some(pid) = balancer.moving {
            let over =
                table().find(pid).is_none_or(|p| p.has_exited() || p.central_ref().migrate_to.is_none());
            if !over {
                return;
            }
            balancer.moving = None;
            balancer.settled_at = now;
        }
        (balancer.loads.clone(), balancer.settled_at)
    };
    let satellites = remote::satellites();
    tell(&satellites);
    // Every satellite reported since the last move ended.
    let fresh =
        satellites.iter().all(|(_, node)| loads.iter().any(|(n, _, at)| n == node && *at > settled_at));
    if !fresh {
        return;
    }
    let mut vector: Vec<(u32, u32)> = Vec::with_capacity(satellites.len() + 1);
    vector.push((0, central_load()));
    for (_, node) in &satellites {
        let load = loads.iter().find(|(n, _, _)| n == node).map_or(0, |(_, l, _)| *l);
        vector.push((*node, load));
    }
    // The lowest node among the most loaded, and among the least loaded.
    let Some(&(busiest, high)) = vector.iter().min_by_key(|(node, load)| (u32::MAX - load, *node)) else {
        return;
    };
    let Some(&(idlest, low)) = vector.iter().min_by_key(|(node, load)| (*load, *node)) else { return };
    if high < low + 2 {
        return;
    }
    let Some((pid, link)) = candidate(busiest) else { return };
    {
        let mut table = table();
        let Some(proc) = table.find(pid) else { return };
        migrate::ask(proc.central(), idlest);
    }
    BALANCER.lock().moving = Some(pid);
    if let Some(link) = link {
        remote::send(link, &Message::request(pid, Request::Freeze));
    }
}

/// Tells the satellites of `satellites` (links and nodes) not yet told to report their load.
fn tell(satellites: &[(usize, u32)]) {
    let new: Vec<usize> = {
        let mut balancer = BALANCER.lock();
        let new: Vec<usize> =
            satellites.iter().map(|(link, _)| *link).filter(|link| !balancer.told.contains(link)).collect();
        balancer.told.extend(&new);
        new
    };
    for link in new {
        remote::send(link, &Message::request(0, Request::Load(PERIOD)));
    }
}

/// When an idle central must wake for the balancer's next look, while it runs.
pub fn deadline() -> Option<u64> {
    let balancer = BALANCER.lock();
    balancer.on.then(|| u64::from(balancer.next_at) * ox_abi::TICK_NS)
}

/// Processes running on the central that can run now.
fn central_load() -> u32 {
    let mut table = table();
    table
        .user_procs()
        .filter(|p| p.central_ref().remote.is_none() && p.space.is_some())
        .filter(|p| matches!(p.state, State::Runnable | State::Running))
        .count() as u32
}

/// The process the balancer moves off `node`: the lowest pid that computes there, may be
/// moved and can travel; with its satellite's link for one running on a satellite.
fn candidate(node: u32) -> Option<(Pid, Option<usize>)> {
    let mut table = table();
    let mut best: Option<(Pid, Option<usize>)> = None;
    for proc in table.user_procs() {
        let pid = proc.pid;
        if pid == 1 || proc.has_exited() || best.is_some_and(|(b, _)| b < pid) {
            continue;
        }
        let computing = {
            let deputy = proc.central_ref();
            if !deputy.balanced || deputy.migrate_to.is_some() {
                continue;
            }
            match &deputy.remote {
                None => {
                    node == 0
                        && proc.space.is_some()
                        && matches!(proc.state, State::Runnable | State::Running)
                }
                Some(r) => {
                    r.node == node
                        && !r.busy
                        && r.mailbox.is_empty()
                        && proc.state == State::Sleeping(stub_chan(pid))
                }
            }
        };
        if !computing {
            continue;
        }
        let link = proc.central_ref().remote.as_ref().map(|r| r.link);
        if link.is_none() && !migrate::can_travel(proc) {
            continue;
        }
        best = Some((pid, link));
    }
    best
}
