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

use alloc::boxed::Box;
use alloc::collections::VecDeque;
use alloc::vec::Vec;

use ox_kcore::endpoint::Endpoint;
use ox_kcore::global::Global;
use ox_kcore::linkport::{FrameBuf, Port};
use ox_kcore::message::{HelloReply, Message as Hello, CHANNEL_SATELLITE, MAX_MESSAGE};
use ox_kcore::{arch, frame, intc, kprintln};
use ox_link::arq::{Receiver, Sender};
use ox_link::boot;
use ox_link::frame::{self as link_frame, Frame, Kind, CHANNEL_BOOT, HEADER};
use ox_proto::Message;

/// Resend a hello reply after this long without its acknowledgement.
const TIMEOUT_NS: u64 = 3_000_000;

/// Everything on port 0. It lives on the heap: a `Link` is a few KiB of buffers, which as
/// the static's initial value would be sent at every boot (in `.data`, not `.bss`).
struct Link {
    node: u32,
    ram: u32,
    hello_rx: Receiver,
    hello_tx: Sender,
    hello_outbox: VecDeque<Vec<u8>>,
    process: Endpoint,
    /// Where each frame from the port is read.
    rx: FrameBuf,
}

static LINK: Global<Option<Box<Link>>> = Global::new("link to the central", None);

fn port0() -> Port {
    Port::probe(0)
        .unwrap_or_else(|| panic!("no link port 0: a satellite is booted over its port 0, so it has one"))
}

/// Starts serving port 0 (its receive line and the timer's on).
pub fn init(node: u32, ram: u32) {
    let port = port0();
    *LINK.lock() = Some(Box::new(Link {
        node,
        ram,
        hello_rx: Receiver::new(CHANNEL_SATELLITE),
        hello_tx: Sender::new(CHANNEL_SATELLITE, port.mtu(), TIMEOUT_NS),
        hello_outbox: VecDeque::new(),
        process: Endpoint::new(port),
        rx: FrameBuf::new(),
    }));
    intc::set_enabled(1 << port.line() | 1 << intc::IRQ_TIMER);
    port.set_rx_interrupt(true);
}

/// The port's interrupt line.
pub fn line() -> u32 {
    port0().line()
}

fn with<R>(f: impl FnOnce(&mut Link) -> R) -> R {
    let mut link = LINK.lock();
    f(link.as_mut().unwrap_or_else(|| panic!("the link is not served yet")))
}

/// Sends `message` to the central.
pub fn send(message: &Message) {
    with(|link| link.process.send(message));
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

/// The earliest resend deadline, if something is in flight.
pub fn deadline() -> Option<u64> {
    with(|link| [link.process.deadline(), link.hello_tx.deadline()].into_iter().flatten().min())
}

/// The timer tick: resends what timed out.
pub fn on_tick() {
    with(|link| {
        link.process.pump();
        link.pump_hello();
    });
}

/// The port's interrupt: takes every frame waiting; answers the boot and satellite channels
/// here and returns the process channel's messages they complete (`trap` routes them).
pub fn on_interrupt() -> Vec<Message> {
    with(|link| {
        let port = link.process.port();
        let mut arrived = Vec::new();
        while let Some(checked) = port.receive_frame(&mut link.rx) {
            // Checked once (by the port, or here); a damaged frame is dropped (its sender
            // resends it).
            let Ok(frame) = checked else { continue };
            if let Some(ack) = repeated_start(&frame) {
                port.send(&ack);
                continue;
            }
            link.hello_tx.receive_frame(&frame);
            let received = link.hello_rx.receive_frame(&frame);
            if let Some(ack) = received.ack {
                port.send(&ack);
            }
            if let Some(payload) = received.payload {
                let answer = answer_hello(link.node, link.ram, payload);
                link.hello_outbox.extend(answer);
            }
            arrived.extend(link.process.on_frame(&frame));
        }
        link.process.pump();
        link.pump_hello();
        arrived
    })
}

impl Link {
    fn pump_hello(&mut self) {
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

/// The reply of node `node` (with `ram` bytes) to a message on the satellite channel, if it
/// needs one.
fn answer_hello(node: u32, ram: u32, payload: &[u8]) -> Option<Vec<u8>> {
    match Hello::decode(payload) {
        Some(Hello::Hello { central }) => {
            ox_kcore::ipcall::set_central(central);
            let (free_frames, total_frames) = frame::stats();
            kprintln!("hello from the central processor; answering: node {node}, {free_frames} of {total_frames} frames free");
            let reply = Hello::HelloReply(HelloReply { node, ram, free_frames, total_frames });
            let mut bytes = [0u8; MAX_MESSAGE];
            let len = reply.encode(&mut bytes);
            Some(bytes[..len].to_vec())
        }
        Some(Hello::HelloReply(_)) => {
            kprintln!("the central sent a hello reply, which a satellite does not answer");
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
