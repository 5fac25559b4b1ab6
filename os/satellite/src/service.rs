//! The satellite's side of its link to the central processor: port 0, the port the boot ROM
//! received this kernel on.
//!
//! Two conversations arrive there:
//! - the **boot channel**: after this kernel started, the only thing the central can still
//!   send there is its `START` again, when the ROM's acknowledgement was lost. The ROM is gone,
//!   so the kernel acknowledges such a repeat itself (same channel and number), or the central
//!   would resend it until it gave up;
//! - the **satellite channel** ([`CHANNEL_SATELLITE`], `ox_kcore::message`): the central's
//!   requests, received in order with an `ox_link` receiver, each answered with an `ox_link`
//!   sender in the other direction. Today the only request is `Hello`, answered with the node
//!   index, the RAM size and the frame allocator's counts as they are now.
//!
//! Like the central kernel, this one is never interrupted: it drains the port, resends what
//! timed out, and `wait`s for the port's line or the timer armed at the resend deadline.

use alloc::collections::VecDeque;
use alloc::vec::Vec;

use ox_kcore::linkport::{Port, MAX_MTU};
use ox_kcore::message::{HelloReply, Message, CHANNEL_SATELLITE, MAX_MESSAGE};
use ox_kcore::{arch, frame, intc, kprintln, timer};
use ox_link::arq::{Receiver, Sender};
use ox_link::boot;
use ox_link::frame::{self as link_frame, Kind, CHANNEL_BOOT, HEADER};

/// Resend a reply after this long without its acknowledgement (the central polls its ports
/// while it boots satellites, so it answers within a few link round trips).
const TIMEOUT_NS: u64 = 3_000_000;

/// Serves the central processor over port 0, forever.
pub fn serve(node_id: u32, ram_size: u32) -> ! {
    let port = Port::probe(0)
        .unwrap_or_else(|| panic!("no link port 0: a satellite is booted over its port 0, so it has one"));
    let mut requests = Receiver::new(CHANNEL_SATELLITE);
    let mut replies = Sender::new(CHANNEL_SATELLITE, port.mtu(), TIMEOUT_NS);
    let mut outbox: VecDeque<Vec<u8>> = VecDeque::new();
    intc::set_enabled(1 << port.line() | 1 << intc::IRQ_TIMER);
    port.set_rx_interrupt(true);
    let mut buf = [0u8; MAX_MTU];
    loop {
        while let Some(len) = port.receive(&mut buf) {
            let frame = &buf[..len];
            if let Some(ack) = repeated_start(frame) {
                port.send(&ack);
                continue;
            }
            replies.receive(frame);
            let received = requests.receive(frame);
            if let Some(ack) = received.ack {
                port.send(&ack);
            }
            if let Some(payload) = received.payload {
                if let Some(reply) = answer(payload, node_id, ram_size) {
                    outbox.push_back(reply);
                }
            }
        }
        let now = arch::time_ns();
        if replies.is_idle() {
            if let Some(reply) = outbox.pop_front() {
                if let Ok(frame) = replies.send(&reply, now) {
                    port.send(frame);
                }
            }
        }
        if let Some(frame) = replies.poll(now) {
            port.send(frame);
        }
        match replies.deadline() {
            Some(deadline) => timer::wake_at(deadline),
            None => timer::stop(),
        }
        arch::wait();
    }
}

/// The acknowledgement of a repeated `START` on the boot channel, if `frame` is one.
fn repeated_start(frame: &[u8]) -> Option<[u8; HEADER]> {
    let f = link_frame::decode(frame).ok()?;
    let is_start = f.kind == Kind::Data
        && f.channel == CHANNEL_BOOT
        && matches!(boot::parse(f.payload), Some(boot::Message::Start { .. }));
    is_start.then(|| {
        let mut ack = [0u8; HEADER];
        link_frame::encode(&mut ack, Kind::Ack, CHANNEL_BOOT, f.seq, &[]);
        ack
    })
}

/// The reply to one request from the central, if it needs one.
fn answer(payload: &[u8], node_id: u32, ram_size: u32) -> Option<Vec<u8>> {
    match Message::decode(payload) {
        Some(Message::Hello) => {
            let (free_frames, total_frames) = frame::stats();
            kprintln!("hello from the central processor; answering: node {node_id}, {free_frames} of {total_frames} frames free");
            let reply =
                Message::HelloReply(HelloReply { node: node_id, ram: ram_size, free_frames, total_frames });
            let mut bytes = [0u8; MAX_MESSAGE];
            let len = reply.encode(&mut bytes);
            Some(bytes[..len].to_vec())
        }
        other => {
            kprintln!("the central sent {other:?}, which a satellite does not answer");
            None
        }
    }
}
