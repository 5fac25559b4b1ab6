//! One end of the process conversation on one link: ox-proto messages over `ox_link`'s
//! stop-and-wait transport on [`CHANNEL_PROCESS`] (docs/protocol.md), shared by the central
//! kernel (one endpoint per satellite) and the satellite kernel (one, towards the central).
//!
//! Sending: a message is encoded, cut into fragments into the outbox, and the fragments go out
//! one at a time, each when the previous one is acknowledged ([`Endpoint::pump`], which also
//! resends what timed out). Receiving: the kernel drains its port and hands every frame to
//! [`Endpoint::on_frame`], which acknowledges data frames, reassembles fragments and decodes
//! the message. A message that does not decode is answered with ox-proto's refusal and
//! dropped; a broken fragment sequence is dropped (the transport never produces one).

use alloc::collections::VecDeque;
use alloc::vec::Vec;

use ox_link::arq::{Receiver, Sender};
use ox_proto::{Fragmenter, Message, Reassembler, CHANNEL_PROCESS};

use crate::linkport::Port;
use crate::{arch, kprintln};

/// Resend a fragment after this long without its acknowledgement: the other end acknowledges
/// at its next interrupt, within a few link round trips.
const TIMEOUT_NS: u64 = 3_000_000;

/// One ox-proto conversation over one port.
pub struct Endpoint {
    port: Port,
    tx: Sender,
    rx: Receiver,
    outbox: VecDeque<Vec<u8>>,
    reassembler: Reassembler,
    next_id: u16,
    messages: u32,
    fragments: u32,
}

impl Endpoint {
    /// The endpoint on `port`.
    pub fn new(port: Port) -> Endpoint {
        Endpoint {
            port,
            tx: Sender::new(CHANNEL_PROCESS, port.mtu(), TIMEOUT_NS),
            rx: Receiver::new(CHANNEL_PROCESS),
            outbox: VecDeque::new(),
            reassembler: Reassembler::default(),
            next_id: 0,
            messages: 0,
            fragments: 0,
        }
    }

    /// The port it talks over.
    pub fn port(&self) -> Port {
        self.port
    }

    /// Queues `message` and starts sending it.
    pub fn send(&mut self, message: &Message) {
        let bytes = message.encode().unwrap_or_else(|e| panic!("a message that does not encode: {e:?}"));
        let fragments = Fragmenter::new(self.next_id, &bytes, self.tx.max_payload())
            .unwrap_or_else(|e| panic!("a link whose payload cannot carry a fragment: {e:?}"));
        self.next_id = self.next_id.wrapping_add(1);
        self.messages = self.messages.wrapping_add(1);
        self.outbox.extend(fragments);
        self.pump();
    }

    /// Handles one frame received on the port; returns the message it completes, if any.
    pub fn on_frame(&mut self, frame: &[u8]) -> Option<Message> {
        if self.tx.receive(frame) {
            self.pump();
        }
        let received = self.rx.receive(frame);
        if let Some(ack) = received.ack {
            self.port.send(&ack);
        }
        let bytes = match self.reassembler.push(received.payload?) {
            Ok(complete) => complete?,
            Err(e) => {
                kprintln!("process channel on port {}: dropped a broken message: {e:?}", self.port.index());
                return None;
            }
        };
        match Message::decode(&bytes) {
            Ok(message) => Some(message),
            Err(e) => {
                kprintln!("process channel on port {}: refused a message: {e:?}", self.port.index());
                if let Some(refusal) = Message::refusal(&bytes, &e) {
                    self.send(&refusal);
                }
                None
            }
        }
    }

    /// Sends the next fragment if the previous one is acknowledged, and resends one that
    /// timed out.
    pub fn pump(&mut self) {
        let now = arch::time_ns();
        if self.tx.is_idle() {
            if let Some(fragment) = self.outbox.pop_front() {
                self.fragments = self.fragments.wrapping_add(1);
                if let Ok(frame) = self.tx.send(&fragment, now) {
                    // A full transmit queue loses the frame like the link would: the timeout
                    // sends it again.
                    self.port.send(frame);
                }
            }
        }
        if let Some(frame) = self.tx.poll(now) {
            self.port.send(frame);
        }
    }

    /// When the fragment in flight times out, if one is.
    pub fn deadline(&self) -> Option<u64> {
        self.tx.deadline()
    }

    /// Messages and fragments sent so far (first copies of the fragments).
    pub fn sent(&self) -> (u32, u32) {
        (self.messages, self.fragments)
    }

    /// Fragments resent after a timeout so far.
    pub fn retransmissions(&self) -> u32 {
        self.tx.retransmissions
    }
}
