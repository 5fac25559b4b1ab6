//! The satellite's link to the central processor: port 0, the port the boot ROM received this
//! kernel on, served from its interrupt (and the timer tick, for resends). Three conversations
//! arrive there:
//! - the **boot channel**: only the central's `START` again, when the ROM's acknowledgement
//!   was lost; the ROM is gone, so the kernel acknowledges the repeat itself;
//! - the **satellite channel** (`ox_kcore::message`): `Hello`, answered with the node index,
//!   the RAM size and the frame allocator's counts;
//! - the **process channel** (ox-proto, an [`Endpoint`]): its messages are returned to the
//!   interrupt's caller, which routes them (`trap::route`); the other way go the calls,
//!   `Exit`s and the server's replies. This module is the transport and knows nothing of
//!   processes.
//!
//! **Relaying** (docs/link-protocol.md, *Relaying*): the satellites wired to this one's ports
//! past 0 are booted and served by the central through it. A frame from port 0 whose
//! address is not 0 is not this satellite's: an address of this node's number goes out the
//! port it names, its address cleared (the satellite there sees a frame from its neighbour);
//! any other goes out the port the central's `Route` for its node gave. A frame from a port
//! past 0 goes out port 0, given the address of the port it came on if it has none yet. A
//! frame a port cannot take now waits in a short queue ([`RELAY_QUEUE`]); one with no route,
//! no room or too long for its next link is dropped, and the end-to-end transport resends
//! it.
//!
//! **Link state**: a change of the link of a port past 0 is told to the central
//! (`LinkState`), so that the satellite behind it is dead at once, or booted again; and when
//! port 0's own link goes down, the central has declared this satellite dead, so it starts over
//! in its boot ROM ([`lost_central`]).

use alloc::borrow::Cow;
use alloc::boxed::Box;
use alloc::collections::VecDeque;
use alloc::vec::Vec;
use core::ops::Range;

use ox_kcore::endpoint::Endpoint;
use ox_kcore::global::Global;
use ox_kcore::linkport::{self, FrameBuf, Port};
use ox_kcore::message::{HelloReply, Message as Hello, CHANNEL_SATELLITE};
use ox_kcore::{arch, frame, intc, kprintln, power};
use ox_link::arq::{Receiver, Sender};
use ox_link::boot;
use ox_link::frame::{self as link_frame, Frame, Kind, CHANNEL_BOOT, HEADER};
use ox_proto::{DecodeError, Message, NetEnvelope};

/// A message from the central ([`on_interrupt`]).
pub enum Arrival<'a> {
    /// A `Net` message for this node: its envelope and its bytes, in the frame it came in if it
    /// came in one (its op is read by `ox_kcore::ipcall::net_message`, which reads a short one
    /// in place).
    Net { envelope: NetEnvelope, bytes: &'a [u8] },
    /// Any other message.
    Message(Message),
}

/// A message from the central as [`Link::next`] finds it: a `Net` message's bytes are where
/// they lie in the frame buffer, or gathered from its fragments.
enum Found {
    Net { envelope: NetEnvelope, bytes: Place },
    Message(Message),
}

/// Where a message's bytes are.
enum Place {
    /// In the frame buffer, at these offsets.
    Frame(Range<usize>),
    /// Gathered from several frames.
    Gathered(Vec<u8>),
}

impl Place {
    /// The message's bytes, with `rx` the frame buffer.
    fn bytes<'a>(&'a self, rx: &'a FrameBuf) -> &'a [u8] {
        match self {
            Place::Frame(at) => &rx.0[at.clone()],
            Place::Gathered(bytes) => bytes,
        }
    }
}

/// Resend a hello reply after this long without its acknowledgement.
const TIMEOUT_NS: u64 = 3_000_000;
/// Frames at most waiting for each port's transmit queue.
const RELAY_QUEUE: usize = 64;
/// With frames waiting for a full transmit queue, try again after this long (the queue
/// empties at the next quantum boundary, 10 µs by default).
const RETRY_NS: u64 = 10_000;

/// What this satellite relays for the satellites behind it.
struct Relay {
    /// The ports past 0, towards the satellites behind this one.
    children: Vec<Port>,
    /// Whether each child port's link was up when last looked at (a change is told to the
    /// central: `LinkState`).
    up: Vec<bool>,
    /// The central's routes: frames for the satellites hanging on node `.0` go out port `.1`.
    routes: Vec<(u32, u32)>,
    /// Frames waiting for each port (by port number) whose transmit queue was full, and how
    /// many in all.
    waiting: Vec<VecDeque<Vec<u8>>>,
    queued: usize,
    /// Frames it could not relay (no route, no room, too long).
    dropped: u32,
}

/// Everything on port 0. It lives on the heap: a `Link` is a few KiB of buffers, which as
/// the static's initial value would be sent at every boot (in `.data`, not `.bss`).
struct Link {
    node: u32,
    ram: u32,
    hello_rx: Receiver,
    hello_tx: Sender,
    hello_outbox: VecDeque<Vec<u8>>,
    process: Endpoint,
    relay: Relay,
}

static LINK: Global<Option<Box<Link>>> = Global::new("link to the central", None);

/// Where each frame from a port is read (on the heap, like the [`Link`]), apart from the link:
/// a `Net` message that came in one frame is read there by the ports, which may send on the
/// link as they do.
static RX: Global<Option<Box<FrameBuf>>> = Global::new("frames from the links", None);

fn port0() -> Port {
    Port::probe(0)
        .unwrap_or_else(|| panic!("no link port 0: a satellite is booted over its port 0, so it has one"))
}

/// Starts serving port 0 and relaying on the others (their receive lines and the timer's
/// on).
pub fn init(node: u32, ram: u32) {
    let port = port0();
    let children: Vec<Port> = (1..linkport::count()).filter_map(Port::probe).collect();
    let lines = children.iter().fold(1 << port.line() | 1 << intc::IRQ_TIMER, |l, p| l | 1 << p.line());
    *LINK.lock() = Some(Box::new(Link {
        node,
        ram,
        hello_rx: Receiver::new(CHANNEL_SATELLITE),
        hello_tx: Sender::new(CHANNEL_SATELLITE, port.mtu(), TIMEOUT_NS),
        hello_outbox: VecDeque::new(),
        process: Endpoint::new(port),
        relay: Relay {
            waiting: (0..=children.len()).map(|_| VecDeque::new()).collect(),
            up: children.iter().map(Port::is_up).collect(),
            children,
            routes: Vec::new(),
            queued: 0,
            dropped: 0,
        },
    }));
    *RX.lock() = Some(Box::new(FrameBuf::new()));
    intc::set_enabled(lines);
    port.set_interrupts(true, true);
    with(|link| link.relay.children.iter().for_each(|child| child.watch_change(true)));
}

/// This satellite's link towards the central went down: the central (or the relay between)
/// powered off or went away, and the central has declared this satellite dead and killed its
/// processes' stubs. What runs here is nobody's any more, so the satellite starts over in its
/// boot ROM (the power device's reset), where the central finds it when the link comes back
/// and boots it again, a new incarnation (docs/reliability.md, *A satellite that comes back*).
fn lost_central(node: u32) -> ! {
    kprintln!("node {node}: the link towards the central is down; starting over in the boot ROM");
    power::reset()
}

/// Whether interrupt line `line` is one of this satellite's ports'.
pub fn owns(line: u32) -> bool {
    line == linkport::line_of(0) || with(|link| link.relay.children.iter().any(|p| p.line() == line))
}

fn with<R>(f: impl FnOnce(&mut Link) -> R) -> R {
    let mut link = LINK.lock();
    f(link.as_mut().unwrap_or_else(|| panic!("the link is not served yet")))
}

/// Answers the message `bytes` from the central, which did not decode (with `e`), with
/// ox-proto's refusal.
pub fn refuse(bytes: &[u8], e: &DecodeError) {
    with(|link| link.process.refuse(bytes, e));
}

/// Sends `message` to the central.
pub fn send(message: &Message) {
    with(|link| link.process.send(message));
}

/// Sends a `Net` message, encoded, to the central (for whichever node).
pub fn send_net(bytes: Cow<'_, [u8]>) {
    with(|link| link.process.send_net(bytes));
}

/// Sends a `Net` message to the central (for whichever node) that `write` encodes straight
/// into the frame that carries it, if the link has one ready
/// (`ox_kcore::endpoint::Endpoint::send_with`); false if not (`write` may not have run).
pub fn send_net_with(write: &mut dyn FnMut(&mut [u32]) -> Option<usize>) -> bool {
    with(|link| link.process.send_with(write))
}

/// This node's index (as the central knows it).
pub fn node() -> u32 {
    with(|link| link.node)
}

/// The process channel's traffic: messages and fragments sent, fragments resent.
pub fn traffic() -> [u32; 3] {
    with(|link| {
        let (messages, fragments) = link.process.sent();
        [messages, fragments, link.process.retransmissions()]
    })
}

/// Frames for the satellites behind this one that it could not relay (for `stats`).
pub fn relay_dropped() -> u32 {
    with(|link| link.relay.dropped)
}

/// The earliest resend deadline, if something is in flight, or soon if relayed frames wait
/// for a full transmit queue.
pub fn deadline() -> Option<u64> {
    with(|link| {
        let relay = (link.relay.queued > 0).then(|| arch::time_ns() + RETRY_NS);
        [link.process.deadline(), link.hello_tx.deadline(), relay].into_iter().flatten().min()
    })
}

/// Before the node idles: the acknowledgement the last frames of the process channel wait
/// for, if no message of this node's carried it along.
pub fn idle() {
    with(|link| link.process.send_ack());
}

/// The timer tick: resends what timed out, and relays what waited.
pub fn on_tick() {
    with(|link| {
        link.process.pump();
        link.pump_hello();
        let up = link.process.port();
        link.relay.flush(up);
    });
}

/// A port's interrupt: takes every frame waiting on every port; relays those for other
/// satellites, answers the boot and satellite channels here, and hands `deliver` each message
/// of the process channel they complete (`trap` routes them), in order, as each completes,
/// the link free for it to send on.
pub fn on_interrupt(mut deliver: impl FnMut(Arrival<'_>)) {
    let mut rx = RX.lock();
    let rx = rx.as_mut().unwrap_or_else(|| panic!("the link is not served yet"));
    while let Some(found) = with(|link| link.next(rx)) {
        match found {
            Found::Net { envelope, bytes } => deliver(Arrival::Net { envelope, bytes: bytes.bytes(rx) }),
            Found::Message(message) => deliver(Arrival::Message(message)),
        }
    }
    with(|link| link.after_frames(rx));
}

impl Relay {
    /// Relays a frame that came down port 0 (`up`) for another satellite.
    fn down(&mut self, node: u32, up: Port, bytes: &mut [u8]) {
        let address = link_frame::address(bytes);
        let (to, port) = (u32::from(address >> 4), u32::from(address & 0xf));
        let out = if to == node {
            // The last hop: the satellite there sees a frame from its neighbour.
            link_frame::set_address(bytes, 0);
            Some(port)
        } else {
            self.routes.iter().find(|(n, _)| *n == to).map(|(_, p)| *p)
        };
        match out.and_then(|p| self.children.iter().find(|c| c.index() == p).copied()) {
            Some(child) => self.forward(child, up, bytes),
            None => self.dropped = self.dropped.wrapping_add(1),
        }
    }

    /// Relays a frame that came up port `child` towards the central, addressed to the port it
    /// came on if it has no address yet (it is from the satellite there).
    fn up(&mut self, node: u32, child: Port, up: Port, bytes: &mut [u8]) {
        if link_frame::address(bytes) == 0 {
            match u16::try_from(node << 4 | child.index()) {
                Ok(address) if node < 1 << 12 => link_frame::set_address(bytes, address),
                _ => {
                    self.dropped = self.dropped.wrapping_add(1);
                    return;
                }
            }
        }
        self.forward(up, up, bytes);
    }

    /// Sends `bytes` out `to` (`up` is port 0), after those waiting for it; keeps them if the
    /// port cannot take them now.
    fn forward(&mut self, to: Port, up: Port, bytes: &mut [u8]) {
        if bytes.len() > to.mtu() {
            self.dropped = self.dropped.wrapping_add(1);
            return;
        }
        if !to.checksums() {
            link_frame::seal(bytes);
        }
        self.flush(up);
        let queue = &mut self.waiting[to.index() as usize];
        if queue.is_empty() && to.send(bytes) {
            return;
        }
        if queue.len() < RELAY_QUEUE {
            queue.push_back(bytes.to_vec());
            self.queued += 1;
        } else {
            self.dropped = self.dropped.wrapping_add(1);
        }
    }

    /// Hands each port (`up` is port 0) the frames waiting for it, as far as it takes them.
    #[inline]
    fn flush(&mut self, up: Port) {
        if self.queued != 0 {
            self.flush_waiting(up);
        }
    }

    /// [`Relay::flush`] when frames wait.
    #[inline(never)]
    fn flush_waiting(&mut self, up: Port) {
        for port in core::iter::once(up).chain(self.children.iter().copied()) {
            let queue = &mut self.waiting[port.index() as usize];
            while let Some(bytes) = queue.front() {
                if !port.send(bytes) {
                    break;
                }
                queue.pop_front();
                self.queued -= 1;
            }
        }
    }
}

impl Link {
    /// Takes the frames waiting on port 0 into `rx`, one by one, until one completes a message
    /// of the process channel for this node; `None` when none is left.
    fn next(&mut self, rx: &mut FrameBuf) -> Option<Found> {
        let port = self.process.port();
        if !port.is_up() {
            lost_central(self.node);
        }
        let base = rx.0.as_ptr() as usize;
        while let Some(checked) = port.receive_checked(rx) {
            // Checked once (by the port, or here); a damaged frame is dropped (its sender
            // resends it).
            let Ok(len) = checked else { continue };
            let bytes = &mut rx.0[..len];
            if link_frame::address(bytes) != 0 {
                self.relay.down(self.node, port, bytes);
                continue;
            }
            let Ok(frame) = link_frame::parse(bytes) else { continue };
            if let Some(ack) = repeated_start(&frame) {
                port.send(&ack);
                continue;
            }
            if frame.channel == CHANNEL_SATELLITE {
                self.on_hello_frame(port, &frame);
                continue;
            }
            let place = match self.process.on_frame(&frame) {
                None => continue,
                Some(Cow::Borrowed(message)) => {
                    // Where the message lies in `rx`: it is a part of the frame read there.
                    let start = message.as_ptr() as usize - base;
                    Place::Frame(start..start + message.len())
                }
                Some(Cow::Owned(bytes)) => Place::Gathered(bytes),
            };
            if let Some(found) = self.arrival(rx, place) {
                return Some(found);
            }
        }
        None
    }

    /// A frame of the satellite channel (the central's hello and routes, and what answers them)
    /// from port 0 (`port`).
    #[inline(never)]
    fn on_hello_frame(&mut self, port: Port, frame: &Frame) {
        self.hello_tx.receive_frame(frame, arch::time_ns());
        let received = self.hello_rx.receive_frame(frame);
        if let Some(ack) = received.ack {
            port.send(&ack.frame());
        }
        if let Some(payload) = received.payload {
            let answer = answer_hello(self.node, self.ram, &mut self.relay, payload);
            self.hello_outbox.extend(answer);
        }
    }

    /// After the frames of an interrupt: the frames from the satellites behind this one (read
    /// into `rx`) and the changes of their links, then what waits to be sent, and the
    /// acknowledgements.
    fn after_frames(&mut self, rx: &mut FrameBuf) {
        let port = self.process.port();
        for at in 0..self.relay.children.len() {
            let child = self.relay.children[at];
            let up = child.is_up();
            if up != self.relay.up[at] {
                // The satellite there powered off or went away, or came back (to its boot
                // ROM): the central hears of it at once.
                self.relay.up[at] = up;
                child.watch_change(true);
                self.hello_outbox.push_back(Hello::LinkState { port: child.index(), up }.to_vec());
            }
            while let Some(checked) = child.receive_checked(rx) {
                let Ok(len) = checked else { continue };
                self.relay.up(self.node, child, port, &mut rx.0[..len]);
            }
        }
        self.relay.flush(port);
        // The acknowledgement of what came waits for the next message this node sends (it
        // follows that message's frames), for the node to go idle ([`idle`]) or for the next
        // tick, whichever is first: an RPC's answer, or its next request, leaves sooner.
        self.process.pump_frames();
        self.pump_hello();
    }

    /// What the message at `place` (in `rx`, or gathered) from the central is: a `Net` message
    /// for this node goes on as it came (its op is read where it goes: [`refuse`] if it does not
    /// decode); anything else is decoded whole. One that does not decode is refused; a `Net`
    /// message for another node is dropped.
    fn arrival(&mut self, rx: &FrameBuf, place: Place) -> Option<Found> {
        let bytes = place.bytes(rx);
        let Some(envelope) = NetEnvelope::read(bytes) else {
            let bytes = match place {
                Place::Frame(at) => rx.0[at].to_vec(),
                Place::Gathered(bytes) => bytes,
            };
            return self.process.decode(bytes).map(Found::Message);
        };
        if envelope.to != self.node {
            if let Err(e) = envelope.op(bytes) {
                self.process.refuse(bytes, &e);
            }
            return None;
        }
        Some(Found::Net { envelope, bytes: place })
    }

    #[inline]
    fn pump_hello(&mut self) {
        // Nothing to send or to resend (past the boot, almost always): no call, no look at
        // the clock.
        if !self.hello_tx.is_idle() || !self.hello_outbox.is_empty() {
            self.pump_hello_frames();
        }
    }

    /// [`Link::pump_hello`] when something waits.
    #[inline(never)]
    fn pump_hello_frames(&mut self) {
        let port = self.process.port();
        let now = arch::time_ns();
        if self.hello_tx.is_idle() {
            if let Some(reply) = self.hello_outbox.pop_front() {
                if let Ok(frame) = self.hello_tx.send(&reply, now) {
                    port.send(frame);
                }
            }
        }
        if let Some(frame) = self.hello_tx.poll(now) {
            port.send(frame);
        }
    }
}

/// The reply of node `node` (with `ram` bytes, relaying by `relay`) to a message on the
/// satellite channel, if it needs one.
fn answer_hello(node: u32, ram: u32, relay: &mut Relay, payload: &[u8]) -> Option<Vec<u8>> {
    match Hello::decode(payload) {
        Some(Hello::Hello { central, incarnation }) => {
            ox_kcore::ipcall::set_central(central, incarnation);
            let (free_frames, total_frames) = frame::stats();
            if incarnation > 0 {
                kprintln!(
                    "hello from the central processor: this is node {node}'s incarnation {incarnation}"
                );
            }
            kprintln!("hello from the central processor; answering: node {node}, {free_frames} of {total_frames} frames free");
            let ports = relay.children.len() as u32 + 1;
            let reply = Hello::HelloReply(HelloReply { node, ram, free_frames, total_frames, ports });
            Some(reply.to_vec())
        }
        Some(Hello::Route { node: to, port }) => {
            kprintln!("relaying: the satellites on node {to}'s ports are out port {port}");
            relay.routes.retain(|(n, _)| *n != to);
            relay.routes.push((to, port));
            None
        }
        Some(Hello::HelloReply(_) | Hello::LinkState { .. }) => {
            kprintln!("the central sent a message only a satellite sends");
            None
        }
        None => {
            kprintln!(
                "the central sent an unreadable message of {} bytes on the satellite channel",
                payload.len()
            );
            None
        }
    }
}

/// The acknowledgement of a repeated `START` on the boot channel, if `f` is one.
fn repeated_start(f: &Frame) -> Option<[u8; HEADER]> {
    let is_start = f.kind == Kind::Data
        && f.channel == CHANNEL_BOOT
        && matches!(boot::parse(f.payload), Some(boot::Message::Start { .. }));
    is_start.then(|| {
        let mut ack = [0u8; HEADER];
        link_frame::encode(&mut ack, Kind::Ack, CHANNEL_BOOT, f.seq, &[]);
        ack
    })
}
