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
//! then booted again exactly as at the start, with the satellites behind it if it relays
//! (`satellites::Reboot`, stepped here), and each that answers `Hello` as the node it was
//! takes its old slot in [`LINKS`] in a new **incarnation**. The rest of the kernel holds a
//! link by an id that names the slot and its incarnation ([`id`]), so nothing that named the
//! old one — its processes' stubs, a placement under way, a reply asked of it — can reach the
//! new incarnation, nor anything of the old one be taken from it; and the list of links
//! never grows. [`newly_back`] tells the caller (`net::back`).

use alloc::borrow::Cow;
use alloc::boxed::Box;
use alloc::vec::Vec;

use ox_kcore::endpoint::Endpoint;
use ox_kcore::linkport::{FrameBuf, Port};
use ox_kcore::message::{Message as HelloMessage, CHANNEL_SATELLITE};
use ox_kcore::task::chan::{Chan, Class};
use ox_kcore::task::proc::{self, Pid};
use ox_kcore::task::sched;
use ox_link::arq::Receiver;
use ox_proto::net::NetOp;
use ox_proto::{Body, Errno, Kind, Message, NetEnvelope, Reply, Request};

use crate::global::Global;
use crate::satellites::{Reboot, Where};
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
    /// Dead, behind a relay: the relay said its link came up again (`LinkState`), so its
    /// boot ROM may wait there.
    came_up: bool,
    /// Dead and back: its boot under way, and those behind it (boxed: a link keeps it only
    /// then; only a link on a port of the central has one).
    reboot: Option<Box<Reboot>>,
    /// A new incarnation that [`newly_back`] has not told of yet.
    back: bool,
    /// How many times the satellite was booted again (part of the link's [`id`]; it says
    /// so in its `Hello`, and numbers its ports by it).
    incarnation: u32,
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
            came_up: false,
            reboot: None,
            back: false,
            incarnation: 0,
        }
    }

    /// The link's id in slot `slot` of [`LINKS`]: the slot in the low 16 bits, the
    /// incarnation (modulo 2¹⁶) in the high ones.
    fn id(&self, slot: usize) -> usize {
        slot | (self.incarnation as usize & 0xffff) << 16
    }
}

/// The link whose id is `id`, if it is still that incarnation's.
fn link(links: &mut [Link], id: usize) -> Option<&mut Link> {
    links.get_mut(id & 0xffff).filter(|l| l.id(id & 0xffff) == id)
}

/// Every link with its id.
fn with_ids(links: &mut [Link]) -> impl Iterator<Item = (usize, &mut Link)> {
    links.iter_mut().enumerate().map(|(slot, l)| (l.id(slot), l))
}

/// Every satellite that answered at boot, in the order they answered, each in its latest
/// incarnation. Several share a port of the central when they are behind a relaying
/// satellite: each frame's address says whose it is (the `Port` of its endpoint holds it;
/// docs/link-protocol.md, *Relaying*).
static LINKS: Global<Vec<Link>> = Global::new("satellite links", Vec::new());
/// Where each frame from a port is read (taken with [`LINKS`] held).
static RX: Global<FrameBuf> = Global::new("satellite frame buffer", FrameBuf::new());
/// Most replies kept at once (one per process, then the answers to a placement's image
/// pieces): reserved at start, so the heap's use does not move with how many happen to be in
/// flight; a reply beyond it is dropped and counted, so no peer can fill the heap.
const REPLIES_WORKING: usize = 128;

/// Links whose satellite is dead (their returns are looked for only while there are some).
static DEAD: Global<u32> = Global::new("dead links", 0);
/// Whether a satellite died or came back since [`take_news`] last said.
static NEWS: Global<bool> = Global::new("link news", false);

/// Whether a satellite died or came back since the last call: only then have [`newly_dead`]
/// and [`newly_back`] anything to say.
pub fn take_news() -> bool {
    core::mem::take(&mut *NEWS.lock())
}

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

/// The live satellites: (link id, node index).
pub fn satellites() -> Vec<(usize, u32)> {
    with_ids(&mut LINKS.lock()).filter(|(_, link)| !link.dead).map(|(id, link)| (id, link.node)).collect()
}

/// The link of satellite node `node` (its latest incarnation): `EHOSTDOWN` if it is dead,
/// `EINVAL` if no satellite has that node.
pub fn node_link(node: u32) -> Result<usize, Errno> {
    let mut links = LINKS.lock();
    let (id, found) = with_ids(&mut links).find(|(_, l)| l.node == node).ok_or(Errno::Inval)?;
    if found.dead {
        return Err(Errno::HostDown);
    }
    Ok(id)
}

/// The node of the satellite of link `id`, if there is such a link (in that incarnation).
pub fn link_node(id: usize) -> Option<u32> {
    link(&mut LINKS.lock(), id).map(|l| l.node)
}

/// Whether the satellite of link `id` is dead (or there is no such link: its incarnation is
/// over).
pub fn is_dead(id: usize) -> bool {
    link(&mut LINKS.lock(), id).is_none_or(|l| l.dead)
}

/// The links declared dead since the last call, for their processes to be ended. A dead link
/// is booted again only once it was told here, so that its id still names it when it is.
pub fn newly_dead() -> Vec<usize> {
    let mut links = LINKS.lock();
    with_ids(&mut links)
        .filter(|(_, l)| l.dead && !l.reported)
        .map(|(id, l)| {
            l.reported = true;
            id
        })
        .collect()
}

/// The satellites that came back since the last call (their new incarnations' ids), for the
/// rest of the system to start them afresh.
pub fn newly_back() -> Vec<usize> {
    let mut links = LINKS.lock();
    with_ids(&mut links)
        .filter(|(_, l)| l.back)
        .map(|(id, l)| {
            l.back = false;
            id
        })
        .collect()
}

/// Declares the satellite of link `id` dead for `why`: its port falls silent (one on a port
/// of the central waits for the link to go and come back, [`watch`]; a port shared with a
/// live relay is left as it is), what was queued for it is dropped, and everyone waiting on
/// it is woken (to find it dead).
fn declare_dead(id: usize, link: &mut Link, why: &str) {
    link.dead = true;
    *DEAD.lock() += 1;
    *NEWS.lock() = true;
    ASKED.lock().retain(|(_, l, _)| *l != id);
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
    room_made(id, link);
    let mut table = proc::table();
    let waiting: Vec<Pid> = table.slots.iter().flatten().map(|p| p.pid).collect();
    for pid in waiting {
        table.wakeup(reply_chan(pid));
    }
}

/// Checks the satellite of link `id` at `now`: dead if its link is down or its frames have
/// waited [`DEAD_NS`] unacknowledged. Whether it died now.
fn check(id: usize, link: &mut Link, now: u64) -> bool {
    if link.dead {
        return false;
    }
    if !link.endpoint.port().is_up() {
        declare_dead(id, link, "its link is down");
    } else if link.endpoint.stalled_for(now).is_some_and(|t| t >= DEAD_NS) {
        declare_dead(id, link, "no acknowledgement for 2 s");
    }
    link.dead
}

/// After a death: every satellite behind a dead relay (its frames went through it) is dead
/// too, at once, and so on down the tree.
fn bury(links: &mut [Link]) {
    loop {
        let relay = |l: &Link| (l.endpoint.port().line(), l.node);
        let dead: Vec<(u32, u32)> = links.iter().filter(|l| l.dead).map(relay).collect();
        let mut more = false;
        for (id, link) in with_ids(links) {
            let (line, address) = (link.endpoint.port().line(), link.endpoint.port().address());
            if !link.dead && address != 0 && dead.contains(&(line, u32::from(address >> 4))) {
                declare_dead(id, link, "the relay before it is dead");
                more = true;
            }
        }
        if !more {
            return;
        }
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

/// The dead satellite of link slot `slot` (at `now`): if its link has gone and is up again
/// (seen on its port of the central, or told by its relay), its boot ROM waits: it is
/// booted again, and the satellites behind it with it, each in its next incarnation.
fn look_back(links: &mut [Link], slot: usize, now: u64) {
    let link = &mut links[slot];
    if !link.dead || !link.reported || link.reboot.is_some() {
        return;
    }
    let port = link.endpoint.port();
    if port.address() == 0 {
        watch(link);
        if !link.down_seen || !port.is_up() {
            return;
        }
        link.down_seen = false;
        port.set_interrupts(true, false);
    } else if !core::mem::take(&mut link.came_up) {
        return;
    }
    kprintln!("satellite node {} ({}): its link is up again; booting it", link.node, Where(port));
    let next = |l: &Link| (l.endpoint.port().address(), l.incarnation.wrapping_add(1));
    let behind = links.iter().filter(|l| l.endpoint.port().index() == port.index()).map(next).collect();
    links[slot].reboot = Some(Box::new(Reboot::new(port, behind, now)));
}

/// A relay's `LinkState`: the link of its port `port` went down (the satellite there is dead
/// at once, rather than after [`DEAD_NS`]) or came up (it may be booted again). Whether a
/// satellite died of it.
fn link_state(links: &mut [Link], relay: usize, port: u32, up: bool) -> bool {
    let Some(address) = u16::try_from(links[relay].node << 4 | port).ok().filter(|_| port < 16) else {
        count_dropped();
        return false;
    };
    let line = links[relay].endpoint.port().line();
    let at = |l: &Link| l.endpoint.port().line() == line && l.endpoint.port().address() == address;
    let Some(slot) = links.iter().position(at) else { return false };
    let id = links[slot].id(slot);
    let link = &mut links[slot];
    if link.dead {
        link.came_up |= up;
        return false;
    }
    if !up {
        declare_dead(id, link, "its link is down");
    }
    link.dead
}

/// Steps the boots of the satellites that came back. Each that answers as the node it was,
/// dead and told of ([`newly_dead`]), takes its slot in its next incarnation; one that
/// answers as another node is left dead, and one at an address no satellite had is left
/// alone. A satellite on a port of the central that did not come back is watched again.
fn step_reboots(links: &mut [Link], now: u64) {
    for root in 0..links.len() {
        let Some(reboot) = &mut links[root].reboot else { continue };
        let Some(up) = reboot.step(now) else { continue };
        links[root].reboot = None;
        let mut root_back = false;
        for (port, node, hello) in up {
            let Some(slot) = links.iter().position(|l| l.endpoint.port() == port) else {
                kprintln!(
                    "satellite on {} answers as node {node}, which no satellite there was; left alone",
                    Where(port)
                );
                continue;
            };
            let old = &links[slot];
            if old.node != node {
                kprintln!(
                    "satellite on {} answers as node {node}, not node {}; left dead",
                    Where(port),
                    old.node
                );
            } else if old.dead && old.reported {
                let incarnation = old.incarnation.wrapping_add(1);
                port.set_interrupts(true, true);
                links[slot] = Link { incarnation, back: true, ..Link::new(port, node, hello) };
                *DEAD.lock() -= 1;
                *NEWS.lock() = true;
                root_back |= slot == root;
                kprintln!("satellite node {node} ({}) is back: booted again", Where(port));
            }
        }
        if !root_back && links[root].endpoint.port().address() == 0 {
            watch(&mut links[root]);
        }
    }
}

/// Whether interrupt line `line` is a satellite port's (the link down on a port of the
/// central is every satellite's behind it).
pub fn owns(line: u32) -> bool {
    LINKS.lock().iter().any(|link| link.endpoint.port().line() == line)
}

/// Sends `message` to the satellite of link `id`.
pub fn send(id: usize, message: &Message) {
    let mut links = LINKS.lock();
    let Some(l) = link(&mut links, id).filter(|l| !l.dead) else { return };
    l.endpoint.send(message);
    drop(links);
    if matches!(&message.body, Body::Request(request) if answered(request)) {
        ask(message.pid, id);
    }
}

/// Sends a message already encoded to the satellite of link `id`: lent (a short `Net` message
/// in its writer's scratch) or owned.
pub fn send_net(id: usize, bytes: Cow<'_, [u8]>) {
    if let Some(l) = link(&mut LINKS.lock(), id).filter(|l| !l.dead) {
        l.endpoint.send_net(bytes);
    }
}

/// Sends a `Net` message to the satellite of link `id` that `write` encodes straight into the
/// frame that carries it, if the link has one ready (`ox_kcore::endpoint::Endpoint::send_with`);
/// false if not, or if the satellite is dead (`write` may not have run).
pub fn send_net_with(id: usize, write: &mut dyn FnMut(&mut [u32]) -> Option<usize>) -> bool {
    link(&mut LINKS.lock(), id).filter(|l| !l.dead).is_some_and(|l| l.endpoint.send_with(write))
}

/// Stubs waiting for the messages queued for a link to drain (id: the link).
static ROOM: Class = Class::new("link room");

/// Sleeps until at most `limit` bytes of messages wait to be cut into frames for link `id`:
/// a stub that streams a long answer keeps that far ahead of the link, and no further.
pub fn wait_for_room(id: usize, limit: usize) {
    loop {
        {
            let mut links = LINKS.lock();
            let Some(l) = link(&mut links, id) else { return };
            if l.dead || l.endpoint.backlog() <= limit {
                return;
            }
            l.waiting_room = true;
        }
        sched::sleep(Chan::new(&ROOM, id as u32));
    }
}

/// Sends what link `id` may send now (unless its satellite is dead) and wakes the stubs
/// waiting for room on it.
fn pump(id: usize, link: &mut Link) {
    if !link.dead {
        link.endpoint.pump();
        room_made(id, link);
    }
}

/// Wakes the stubs waiting for room on link `id` (after its pump).
fn room_made(id: usize, link: &mut Link) {
    if core::mem::take(&mut link.waiting_room) {
        sched::wakeup(Chan::new(&ROOM, id as u32));
    }
}

/// Bytes of data the `Output` messages of a streamed answer on link `link` carry, their frames
/// full: the first (one fragment, so that the link starts as soon as a frame's worth is
/// ready) and every other ([`OUTPUT_FRAGMENTS`]); `None` if there is no such link.
pub fn output_pieces(id: usize) -> Option<(usize, usize)> {
    let room = link(&mut LINKS.lock(), id)?.endpoint.fragment_room();
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
    let me = ox_kcore::ipcall::node();
    {
        let mut links = LINKS.lock();
        let on_line = |link: &Link| link.endpoint.port().line() == line;
        let port = links.iter().find(|l| on_line(l)).map(|l| l.endpoint.port().routed(0));
        let mut states = Vec::new();
        let mut rx = RX.lock();
        let base = rx.0.as_ptr() as usize;
        while let Some(checked) = port.and_then(|port| port.receive_frame(&mut rx)) {
            // Checked once (by the port, or here); a damaged frame is dropped (its sender
            // resends it), and so is one whose address names no live satellite or boot.
            let Ok(frame) = checked else { continue };
            let whose = |l: &Link| on_line(l) && l.endpoint.port().address() == frame.address;
            match links.iter().position(whose) {
                Some(slot) if !links[slot].dead => {
                    let id = links[slot].id(slot);
                    let link = &mut links[slot];
                    if frame.channel == CHANNEL_SATELLITE {
                        let hello = link.hello.receive_frame(&frame);
                        if let Some(ack) = hello.ack {
                            link.endpoint.port().send(&ack.frame());
                        }
                        // A relay's news of its ports (anything else there is a repeated
                        // hello reply, or a peer's mistake).
                        match hello.payload.and_then(HelloMessage::decode) {
                            Some(HelloMessage::LinkState { port, up }) => states.push((slot, port, up)),
                            Some(HelloMessage::HelloReply(_)) => {}
                            Some(_) => count_dropped(),
                            None if hello.payload.is_some() => count_dropped(),
                            None => {}
                        }
                        continue;
                    }
                    if let Some(message) = link.endpoint.on_frame(&frame) {
                        match NetEnvelope::read(&message) {
                            // Relayed at once, from the frame it came in if it came whole (and
                            // made the next link's frame there); the acknowledgements wait for
                            // the pumps below: a message between two satellites waits for
                            // nothing here.
                            Some(envelope) if envelope.to != me => {
                                let whole = match &message {
                                    Cow::Borrowed(bytes) => bytes.as_ptr() as usize - base == IN_FRAME,
                                    Cow::Owned(_) => false,
                                };
                                let len = message.len();
                                if whole {
                                    let frame = &mut rx.0[..IN_FRAME + len];
                                    relay(&mut links, slot, envelope, Relayed::InFrame(frame));
                                } else {
                                    relay(&mut links, slot, envelope, Relayed::Bytes(&message));
                                }
                            }
                            _ => arrived.extend(link.endpoint.decode(message.into_owned()).map(|m| (id, m))),
                        }
                    }
                }
                // For a satellite being booted again: the boot under way on this line whose
                // satellites include it has it.
                _ => {
                    let reboots = links.iter_mut().filter(|l| on_line(l)).filter_map(|l| l.reboot.as_mut());
                    for reboot in reboots {
                        if reboot.on_frame(&frame) {
                            break;
                        }
                    }
                }
            }
        }
        drop(rx);
        // The links' deaths are looked for after their frames: a message relayed between two
        // satellites has left by then.
        let now = ox_kcore::arch::time_ns();
        let mut died = false;
        for (id, link) in with_ids(&mut links).filter(|(_, l)| on_line(l)) {
            died |= check(id, link, now);
        }
        for (relay, port, up) in states {
            died |= link_state(&mut links, relay, port, up);
        }
        if died {
            bury(&mut links);
        }
        for (id, link) in with_ids(&mut links).filter(|(_, l)| on_line(l)) {
            pump(id, link);
        }
        returns(&mut links, now, on_line);
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
    let mut died = false;
    for (id, link) in with_ids(&mut links) {
        died |= check(id, link, now);
        pump(id, link);
    }
    if died {
        bury(&mut links);
    }
    returns(&mut links, now, |link| link.endpoint.port().address() != 0);
}

/// While a satellite is dead: looks for the return of those of `links` that `which` picks
/// (at an interrupt, those on its line; at a tick, every satellite's), and steps the boots of
/// those coming back.
fn returns(links: &mut [Link], now: u64, which: impl Fn(&Link) -> bool) {
    if *DEAD.lock() > 0 {
        for slot in 0..links.len() {
            if which(&links[slot]) {
                look_back(links, slot, now);
            }
        }
        step_reboots(links, now);
    }
}

/// Sends on a `Net` message between two satellites (docs/ports.md, *Across nodes*), as it came
/// from the satellite of slot `from`: its envelope only is read here, and its body is checked
/// by the node it is for. It is dropped (and counted) unless it says it is from the node of
/// the link it came on, is not a `NodeDead` (only the central says a node died), and is for a
/// live satellite.
fn relay(links: &mut [Link], from: usize, envelope: NetEnvelope, message: Relayed<'_>) {
    let honest = links[from].node == envelope.from && !links[from].dead && envelope.code != NetOp::NODE_DEAD;
    match (links.iter_mut().find(|l| l.node == envelope.to && !l.dead), message) {
        (Some(to), Relayed::InFrame(frame)) if honest => {
            let len = frame.len() - IN_FRAME;
            if !to.endpoint.send_in_place(frame, len) {
                to.endpoint.send_bytes(&frame[IN_FRAME..]);
            }
        }
        (Some(to), Relayed::Bytes(bytes)) if honest => to.endpoint.send_bytes(bytes),
        _ => count_dropped(),
    }
}

/// Where a message that came whole in one frame lies in it: after the frame's header and
/// the fragment's.
const IN_FRAME: usize = ox_link::frame::HEADER + ox_proto::fragment::FRAGMENT_HEADER;

/// A message to relay: in the frame it came in, whole (`[..IN_FRAME]` the headers, which the
/// relay may write over: [`Endpoint::send_in_place`]), or its bytes.
enum Relayed<'a> {
    InFrame(&'a mut [u8]),
    Bytes(&'a [u8]),
}

/// The earliest retransmission deadline (the idle loop keeps the timer for it).
pub fn deadline() -> Option<u64> {
    let links = LINKS.lock();
    let resends = links.iter().filter(|link| !link.dead).filter_map(|link| link.endpoint.deadline());
    resends.chain(links.iter().filter_map(|link| link.reboot.as_ref().and_then(|r| r.due()))).min()
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
