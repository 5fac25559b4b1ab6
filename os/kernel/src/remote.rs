//! The central's side of the process channel (docs/satellites.md): one ox-proto
//! [`Endpoint`] per satellite that answered at boot, driven by the ports' interrupts and the
//! timer tick.
//!
//! What arrives: a reply (to the placement requests `ForkImage`, `WriteImage`, `Start`, …) is
//! kept here for the process that waits for it on its reply channel ([`REPLY`],
//! [`wait_reply`]); a request from a satellite process is handed up to the caller of
//! [`on_interrupt`] (the stubs route it, `stub::route`). This module is the transport and
//! knows nothing of processes but their pids.
//!
//! **Dead satellites** (docs/reliability.md): a satellite is declared dead when its port
//! reports the link down (the far end powered off, or the process it ran in went away: the
//! port's line rises for it), or when frames have waited [`DEAD_NS`] of virtual time for its
//! acknowledgement without any coming. Its link then carries nothing more: what was queued is
//! dropped, a reply awaited from it is `EHOSTDOWN`, it is no longer placed on, and
//! [`newly_dead`] tells the caller, which ends its processes' stubs (`stub::host_down`).
//!
//! **A satellite that comes back**: the port of a dead satellite on a port of the central
//! raises its line only when its link goes down (if it is up: a hung satellite must first go
//! away) and then only when the link comes up again: its boot ROM waits at the far end. It is
//! then booted again exactly as at the start (`satellites::Reboot`, stepped here), and once
//! it answers `Hello` it is a new link, appended to [`LINKS`]: the old one stays dead for
//! good, so nothing that named it — its processes' stubs, a placement under way, a reply
//! asked of it — can reach the new incarnation, nor anything of the old one be taken from it.
//! [`newly_back`] tells the caller (`net::back`). A satellite behind a relay is not booted
//! again.

use alloc::boxed::Box;
use alloc::vec::Vec;

use ox_kcore::endpoint::Endpoint;
use ox_kcore::linkport::{FrameBuf, Port};
use ox_kcore::task::chan::{Chan, Class};
use ox_kcore::task::proc::{self, Pid};
use ox_kcore::task::sched;
use ox_link::arq::Receiver;
use ox_proto::{Body, Errno, Kind, Message, Reply, Request};

use crate::global::Global;
use crate::satellites::Reboot;
use crate::{intc, kprintln};

/// A satellite whose frames have waited this long for an acknowledgement, with none coming,
/// is dead: 2 s of virtual time, against a resend every 3 ms and a live satellite's answer
/// within a few link round trips.
pub const DEAD_NS: u64 = 2_000_000_000;

/// Processes waiting for a satellite's reply about a pid (id: the pid).
static REPLY: Class = Class::new("reply");

/// What a process waiting for a reply about `pid` sleeps on.
fn reply_chan(pid: Pid) -> Chan {
    Chan::new(&REPLY, pid)
}

/// A satellite the central talks to.
pub struct Link {
    /// The conversation.
    pub endpoint: Endpoint,
    /// The satellite's node index.
    pub node: u32,
    /// The boot's receiver on the hello channel: it acknowledges a repeated hello reply.
    hello: Receiver,
    /// Whether a stub sleeps until the messages queued for this link drain ([`wait_for_room`]).
    waiting_room: bool,
    /// Whether the satellite is dead, and whether [`newly_dead`] has said so yet.
    dead: bool,
    reported: bool,
    /// Dead: whether its link has been seen down since (so that its coming up is a return).
    down_seen: bool,
    /// Dead and back: its boot under way (boxed: a link keeps it only then).
    reboot: Option<Box<Reboot>>,
    /// A new incarnation that [`newly_back`] has not told of yet.
    back: bool,
    /// Dead, and a later link is the satellite's new incarnation: its port is that one's.
    superseded: bool,
}

impl Link {
    /// The link to the satellite `node` on `port`, whose hello channel is `hello`.
    fn new(port: Port, node: u32, hello: Receiver) -> Link {
        Link {
            endpoint: Endpoint::new(port),
            node,
            hello,
            waiting_room: false,
            dead: false,
            reported: false,
            down_seen: false,
            reboot: None,
            back: false,
            superseded: false,
        }
    }
}

/// Every satellite that answered at boot, in the order they answered. Several share a port of
/// the central when they are behind a relaying satellite: each frame's address says whose it
/// is (the `Port` of its endpoint holds it; docs/link-protocol.md, *Relaying*).
static LINKS: Global<Vec<Link>> = Global::new("satellite links", Vec::new());
/// Where each frame from a port is read (taken with [`LINKS`] held).
static RX: Global<FrameBuf> = Global::new("satellite frame buffer", FrameBuf::new());
/// Most replies kept at once (one per process, then the answers to a placement's image
/// pieces): reserved at start, so the heap's use does not move with how many happen to be in
/// flight; a reply beyond it is dropped and counted, so no peer can fill the heap.
const REPLIES_WORKING: usize = 128;

/// Messages refused: replies about a pid no process here has, or beyond the reply list's
/// bound; requests about a pid from a link its process does not live behind (`stub::route`).
static DROPPED: Global<u32> = Global::new("dropped messages", 0);

/// Replies not yet taken by the process waiting for them.
/// Each is the pid's and the link's it came from: a process may wait on two links at once
/// (migration reads its image from one satellite while it writes it to another).
static REPLIES: Global<Vec<(Pid, usize, Reply)>> = Global::new("satellite replies", Vec::new());

/// The replies the central waits for: (pid, link, how many). A request that is answered (a
/// placement's, an image's, `Stats`) counts here when it is sent, and its reply is accepted
/// only from that link, and only as many as were asked: any other is a peer's mistake or lie.
static ASKED: Global<Vec<(Pid, usize, u32)>> = Global::new("replies asked", Vec::new());

/// Whether the satellite answers `request` with a `Reply`.
fn answered(request: &Request) -> bool {
    match request {
        Request::ForkImage { .. }
        | Request::ReadImage { .. }
        | Request::WriteImage { .. }
        | Request::Start { .. }
        | Request::ExecImage { .. }
        | Request::ForkHere { .. }
        | Request::MoveSpace { .. }
        | Request::CopyIn { .. }
        | Request::CopyOut { .. }
        | Request::Stats => true,
        Request::StubExecutes(_)
        | Request::Signal(_)
        | Request::Exit(_)
        | Request::Parent { .. }
        | Request::Freeze
        | Request::Frozen { .. }
        | Request::Load(_)
        | Request::Prefetch(_)
        | Request::Net(_) => false,
    }
}

/// Counts a reply asked of link `link` about `pid`.
fn ask(pid: Pid, link: usize) {
    let mut asked = ASKED.lock();
    match asked.iter_mut().find(|(p, l, _)| *p == pid && *l == link) {
        Some((_, _, n)) => *n += 1,
        None => asked.push((pid, link, 1)),
    }
}

/// Takes one reply asked of link `link` about `pid`; false if none was.
fn take_asked(pid: Pid, link: usize) -> bool {
    let mut asked = ASKED.lock();
    let Some(i) = asked.iter().position(|(p, l, _)| *p == pid && *l == link) else { return false };
    asked[i].2 -= 1;
    if asked[i].2 == 0 {
        asked.swap_remove(i);
    }
    true
}

/// Starts serving the process channel of `satellites` (port and address, node, hello
/// receiver): their receive lines on.
pub fn start(satellites: Vec<(Port, u32, Receiver)>) {
    let mut lines = intc::enabled();
    for (port, _, _) in &satellites {
        port.set_interrupts(true, true);
        lines |= 1 << port.line();
    }
    intc::set_enabled(lines);
    REPLIES.lock().reserve(REPLIES_WORKING);
    ASKED.lock().reserve(REPLIES_WORKING);
    *LINKS.lock() = satellites.into_iter().map(|(port, node, hello)| Link::new(port, node, hello)).collect();
}

/// The live satellites: (link index, node index).
pub fn satellites() -> Vec<(usize, u32)> {
    LINKS.lock().iter().enumerate().filter(|(_, link)| !link.dead).map(|(i, link)| (i, link.node)).collect()
}

/// The link of satellite node `node` (its latest incarnation): `EHOSTDOWN` if it is dead,
/// `EINVAL` if no satellite has that node.
pub fn node_link(node: u32) -> Result<usize, Errno> {
    let links = LINKS.lock();
    let (link, found) = links.iter().enumerate().rev().find(|(_, l)| l.node == node).ok_or(Errno::Inval)?;
    if found.dead {
        return Err(Errno::HostDown);
    }
    Ok(link)
}

/// The node of the satellite of link `link`, if there is such a link.
pub fn link_node(link: usize) -> Option<u32> {
    LINKS.lock().get(link).map(|l| l.node)
}

/// Whether the satellite of link `link` is dead (or there is no such link).
pub fn is_dead(link: usize) -> bool {
    LINKS.lock().get(link).is_none_or(|l| l.dead)
}

/// The links declared dead since the last call, for their processes to be ended.
pub fn newly_dead() -> Vec<usize> {
    let mut links = LINKS.lock();
    links
        .iter_mut()
        .enumerate()
        .filter(|(_, l)| l.dead && !l.reported)
        .map(|(i, l)| {
            l.reported = true;
            i
        })
        .collect()
}

/// The satellites that came back since the last call (their new links), for the rest of the
/// system to start them afresh.
pub fn newly_back() -> Vec<usize> {
    let mut links = LINKS.lock();
    links
        .iter_mut()
        .enumerate()
        .filter(|(_, l)| l.back)
        .map(|(i, l)| {
            l.back = false;
            i
        })
        .collect()
}

/// Declares the satellite of link `index` dead for `why`: its port falls silent (one on a port
/// of the central waits for the link to go and come back, [`watch`]; a port shared with a
/// live relay is left as it is), what was queued for it is dropped, and everyone waiting on
/// it is woken (to find it dead).
fn declare_dead(index: usize, link: &mut Link, why: &str) {
    link.dead = true;
    ASKED.lock().retain(|(_, l, _)| *l != index);
    if link.endpoint.port().address() == 0 {
        watch(link);
    }
    link.endpoint.abandon();
    let port = link.endpoint.port();
    match port.address() {
        0 => kprintln!(
            "satellite node {} (port {}) is dead: {why}; its processes are killed",
            link.node,
            port.index()
        ),
        address => kprintln!(
            "satellite node {} (port {} of node {}) is dead: {why}; its processes are killed",
            link.node,
            address & 0xf,
            address >> 4
        ),
    }
    link.waiting_room = true;
    room_made(index, link);
    let mut table = proc::table();
    let waiting: Vec<Pid> = table.slots.iter().flatten().map(|p| p.pid).collect();
    for pid in waiting {
        table.wakeup(reply_chan(pid));
    }
}

/// Checks the satellite of link `index` at `now`: dead if its link is down or its frames have
/// waited [`DEAD_NS`] unacknowledged.
fn check(index: usize, link: &mut Link, now: u64) {
    if link.dead {
        return;
    }
    if !link.endpoint.port().is_up() {
        declare_dead(index, link, "its link is down");
    } else if link.endpoint.stalled_for(now).is_some_and(|t| t >= DEAD_NS) {
        declare_dead(index, link, "no acknowledgement for 2 s");
    }
}

/// Watches the port of dead satellite `link` (on a port of the central, not being booted): its
/// line rises only when the link goes down, and after that only when it comes back up.
fn watch(link: &mut Link) {
    let port = link.endpoint.port();
    if !port.is_up() {
        link.down_seen = true;
    }
    port.watch_link(link.down_seen);
}

/// The dead satellite of link `link` (at `now`): if its link has gone and is up again, its
/// boot ROM waits: it is booted again.
fn look_back(link: &mut Link, now: u64) {
    if !link.dead || link.superseded || link.reboot.is_some() || link.endpoint.port().address() != 0 {
        return;
    }
    watch(link);
    let port = link.endpoint.port();
    if link.down_seen && port.is_up() {
        link.down_seen = false;
        port.set_interrupts(true, false);
        kprintln!("satellite node {} (port {}): its link is up again; booting it", link.node, port.index());
        link.reboot = Some(Box::new(Reboot::new(port, now)));
    }
}

/// Steps the boots of the satellites that came back; one that answers as the node it was is
/// a new link (the old stays dead), one that does not is watched again.
fn step_reboots(links: &mut Vec<Link>, now: u64) {
    let mut revived = Vec::new();
    for link in links.iter_mut() {
        let Some(reboot) = &mut link.reboot else { continue };
        let Some(done) = reboot.step(now) else { continue };
        link.reboot = None;
        let port = link.endpoint.port();
        match done {
            Ok((node, hello)) if node == link.node => {
                link.superseded = true;
                revived.push((port, node, hello));
            }
            Ok((node, _)) => {
                kprintln!(
                    "satellite on port {} answers as node {node}, not node {}; left dead",
                    port.index(),
                    link.node
                );
                watch(link);
            }
            Err(()) => watch(link),
        }
    }
    for (port, node, hello) in revived {
        port.set_interrupts(true, true);
        let mut link = Link::new(port, node, hello);
        link.back = true;
        links.push(link);
        kprintln!("satellite node {node} (port {}) is back: booted again", port.index());
    }
}

/// Whether interrupt line `line` is a satellite port's (the link down on a port of the
/// central is every satellite's behind it).
pub fn owns(line: u32) -> bool {
    LINKS.lock().iter().any(|link| link.endpoint.port().line() == line)
}

/// Sends `message` to the satellite of link `link`.
pub fn send(link: usize, message: &Message) {
    let mut links = LINKS.lock();
    let Some(l) = links.get_mut(link).filter(|l| !l.dead) else { return };
    l.endpoint.send(message);
    drop(links);
    if matches!(&message.body, Body::Request(request) if answered(request)) {
        ask(message.pid, link);
    }
}

/// Sends a message already encoded to the satellite of link `link`.
pub fn send_encoded(link: usize, bytes: Vec<u8>) {
    if let Some(link) = LINKS.lock().get_mut(link).filter(|l| !l.dead) {
        link.endpoint.send_encoded(bytes);
    }
}

/// Stubs waiting for the messages queued for a link to drain (id: the link).
static ROOM: Class = Class::new("link room");

/// Sleeps until at most `limit` bytes of messages wait to be cut into frames for link `link`:
/// a stub that streams a long answer keeps that far ahead of the link, and no further.
pub fn wait_for_room(link: usize, limit: usize) {
    loop {
        {
            let mut links = LINKS.lock();
            let Some(l) = links.get_mut(link) else { return };
            if l.dead || l.endpoint.backlog() <= limit {
                return;
            }
            l.waiting_room = true;
        }
        sched::sleep(Chan::new(&ROOM, link as u32));
    }
}

/// Sends what link `index` may send now (unless its satellite is dead) and wakes the stubs
/// waiting for room on it.
fn pump(index: usize, link: &mut Link) {
    if !link.dead {
        link.endpoint.pump();
        room_made(index, link);
    }
}

/// Wakes the stubs waiting for room on link `index` (after its pump).
fn room_made(index: usize, link: &mut Link) {
    if core::mem::take(&mut link.waiting_room) {
        sched::wakeup(Chan::new(&ROOM, index as u32));
    }
}

/// Bytes of data the `Output` messages of a streamed answer on link `link` carry, their frames
/// full: the first (one fragment, so that the link starts as soon as a frame's worth is
/// ready) and every other ([`OUTPUT_FRAGMENTS`]); `None` if there is no such link.
pub fn output_pieces(link: usize) -> Option<(usize, usize)> {
    let room = LINKS.lock().get(link)?.endpoint.fragment_room();
    let data = |fragments: usize| {
        (fragments * room).saturating_sub(ox_proto::message::fixed_len(Kind::Output)).max(1)
    };
    Some((data(1), data(OUTPUT_FRAGMENTS)))
}

/// Fragments per `Output` message of a streamed answer, but its first: a few, so that each
/// leaves soon and the window (16 frames) holds several.
const OUTPUT_FRAGMENTS: usize = 4;

/// The port interrupt of line `line`: takes every frame waiting there; keeps the replies they
/// complete and returns the requests, with the link each came on.
pub fn on_interrupt(line: u32) -> Vec<(usize, Message)> {
    let mut arrived = Vec::new();
    {
        let mut links = LINKS.lock();
        let now = ox_kcore::arch::time_ns();
        let on_line = |link: &Link| link.endpoint.port().line() == line;
        for (index, link) in links.iter_mut().enumerate().filter(|(_, l)| on_line(l)) {
            check(index, link, now);
            look_back(link, now);
        }
        let port = links.iter().find(|l| on_line(l)).map(|l| l.endpoint.port().routed(0));
        let mut rx = RX.lock();
        while let Some(checked) = port.and_then(|port| port.receive_frame(&mut rx)) {
            // Checked once (by the port, or here); a damaged frame is dropped (its sender
            // resends it), and so is one whose address names no live satellite.
            let Ok(frame) = checked else { continue };
            // The latest incarnation of the satellite at that address.
            let whose =
                |(_, l): &(usize, &mut Link)| on_line(l) && l.endpoint.port().address() == frame.address;
            let Some((index, link)) = links.iter_mut().enumerate().rev().find(whose) else { continue };
            if link.dead {
                if let Some(reboot) = &mut link.reboot {
                    reboot.on_frame(&frame);
                }
                continue;
            }
            if let Some(ack) = link.hello.receive_frame(&frame).ack {
                link.endpoint.port().send(&ack);
            }
            if let Some(message) = link.endpoint.on_frame(&frame) {
                arrived.push((index, message));
            }
        }
        drop(rx);
        for (index, link) in links.iter_mut().enumerate().filter(|(_, l)| on_line(l)) {
            pump(index, link);
        }
        step_reboots(&mut links, now);
    }
    let mut requests = Vec::new();
    for (link, message) in arrived {
        match message.body {
            Body::Reply(reply) => {
                // Someone here asked this link about this pid (a process, or the stub made for
                // it before its image travels); any other reply is a peer's mistake or lie.
                let asked = take_asked(message.pid, link) && proc::table().find(message.pid).is_some();
                let mut replies = REPLIES.lock();
                if asked && replies.len() < REPLIES_WORKING {
                    replies.push((message.pid, link, reply));
                    sched::wakeup(reply_chan(message.pid));
                } else {
                    drop(replies);
                    count_dropped();
                }
            }
            // Output is the central's to send: from a satellite it is a peer's mistake.
            Body::Output(_) => count_dropped(),
            _ => requests.push((link, message)),
        }
    }
    requests
}

/// The timer tick: resends what timed out, steps the boots of satellites that came back.
pub fn on_tick() {
    let now = ox_kcore::arch::time_ns();
    let mut links = LINKS.lock();
    for (index, link) in links.iter_mut().enumerate() {
        check(index, link, now);
        pump(index, link);
    }
    step_reboots(&mut links, now);
}

/// The earliest retransmission deadline (the idle loop keeps the timer for it).
pub fn deadline() -> Option<u64> {
    let links = LINKS.lock();
    let resends = links.iter().filter(|link| !link.dead).filter_map(|link| link.endpoint.deadline());
    resends.chain(links.iter().filter_map(|link| link.reboot.as_ref().map(|r| r.due()))).min()
}

/// Counts a message refused.
pub fn count_dropped() {
    let mut dropped = DROPPED.lock();
    *dropped = dropped.wrapping_add(1);
}

/// Replies not taken yet, the process channel's traffic over every link (messages and
/// fragments sent, fragments resent), and the messages refused (for `stats`).
pub fn counters() -> (u32, [u32; 3], u32) {
    let pending = REPLIES.lock().len() as u32;
    let traffic = LINKS.lock().iter().fold([0u32; 3], |[m, f, r], link| {
        let (messages, fragments) = link.endpoint.sent();
        [m.wrapping_add(messages), f.wrapping_add(fragments), r.wrapping_add(link.endpoint.retransmissions())]
    });
    (pending, traffic, *DROPPED.lock())
}

/// Sleeps until a reply about `pid` arrives from the satellite of link `link` and takes it;
/// `EHOSTDOWN` if that satellite is dead.
pub fn wait_reply(link: usize, pid: Pid) -> Reply {
    loop {
        let taken = {
            let mut replies = REPLIES.lock();
            replies.iter().position(|(p, l, _)| *p == pid && *l == link).map(|i| replies.remove(i).2)
        };
        if let Some(reply) = taken {
            return reply;
        }
        if is_dead(link) {
            return Reply::err(Errno::HostDown);
        }
        sched::sleep(reply_chan(pid));
    }
}
