//! One end of the process conversation on one link: ox-proto messages over `ox_link`'s
//! go-back-N transport on [`CHANNEL_PROCESS`] (docs/protocol.md, docs/link-protocol.md), shared
//! by the central kernel (one endpoint per satellite) and the satellite kernel (one, towards
//! the central).
//!
//! Sending: a message is encoded into the outbox, and cut into fragments as the window lets
//! them go, each written straight into the frame that carries it; up to [`WINDOW`] fragments
//! are in flight at once ([`Endpoint::pump`], which also goes back to the oldest unacknowledged
//! one when it timed out); a message in one fragment with nothing before it goes into its frame
//! at once, from where it lies ([`Endpoint::send_bytes`]), or is encoded there by its writer
//! ([`Endpoint::send_with`]: a remote RPC's request or answer), and to the port with it when
//! nothing else waits. A frame the port cannot take now
//! (its transmit queue is full until the next quantum boundary) stays in the sender for the
//! next pump: it is not lost. Receiving: the kernel drains its port, checks every frame once
//! (the port checks its CRC: `linkport`) and hands it to [`Endpoint::on_frame`], which
//! reassembles fragments into the message's bytes (a message in one fragment stays in its
//! frame), for the kernel to decode ([`Endpoint::decode`]) or, a `Net` message, to relay or
//! read the op of; the acknowledgement is cumulative, so one, sent by the pump after the port
//! is drained (or after every fourth data frame, so that a sender with a full window is not
//! kept waiting while frames keep arriving), acknowledges a whole batch. A message that does
//! not decode is answered with ox-proto's refusal and dropped; a broken fragment sequence is
//! dropped (the transport never produces one).

use alloc::borrow::Cow;
use alloc::collections::VecDeque;
use alloc::vec::Vec;

use ox_link::arq::{Ack, Receiver, Sender};
use ox_link::frame::{Frame, Kind, HEADER};
use ox_proto::fragment::FRAGMENT_HEADER;
use ox_proto::{DecodeError, FragmentHeader, Fragmenter, Message, Reassembler, CHANNEL_PROCESS};

use crate::linkport::Port;
use crate::{arch, kprintln};

/// Resend a fragment after this long without its acknowledgement: the other end acknowledges
/// at its next interrupt, within a few link round trips.
const TIMEOUT_NS: u64 = 3_000_000;
/// Fragments in flight at most: the port's transmit queue holds 16 frames until the next
/// quantum boundary, and 16 frames of 1 KiB outlast the other end's turnaround.
pub const WINDOW: u32 = 16;
/// Acknowledge at least every this many data frames, even while more wait in the port: a
/// sender whose window is full waits for it.
const ACK_EVERY: u32 = 4;

/// Messages the outbox keeps room for when it is empty: a burst (frames lost, the window
/// stuck) may grow it, and it gives the room back once it drains, so that the heap an idle
/// node uses is the same after any burst (the storm test's leak check counts every byte).
const OUTBOX_KEPT: usize = 8;
/// With a frame waiting for a full transmit queue, try again after this long (the queue
/// empties at the next quantum boundary, 10 µs by default).
const RETRY_NS: u64 = 10_000;

/// A message waiting to be cut into fragments.
struct Outgoing {
    id: u16,
    bytes: Vec<u8>,
    sent: usize,
}

/// One ox-proto conversation over one port.
pub struct Endpoint {
    port: Port,
    tx: Sender,
    rx: Receiver,
    /// The newest acknowledgement not yet handed to the port.
    ack: Option<Ack>,
    /// Data frames received since the last acknowledgement went out.
    unacked: u32,
    /// When the pump last ran.
    pumped_at: u64,
    /// When the other end last acknowledged something new, or when frames started to wait
    /// for it after none did.
    progress_at: u64,
    /// Encoded messages not yet wholly handed to the sender, oldest first, each with its
    /// number and how many of its bytes went in fragments so far.
    outbox: VecDeque<Outgoing>,
    reassembler: Reassembler,
    next_id: u16,
    messages: u32,
    fragments: u32,
}

impl Endpoint {
    /// The endpoint on `port`.
    pub fn new(port: Port) -> Endpoint {
        let mut tx = Sender::with_window(CHANNEL_PROCESS, port.mtu(), TIMEOUT_NS, WINDOW);
        tx.set_port_checksums(port.checksums());
        let mut rx = Receiver::new(CHANNEL_PROCESS);
        rx.set_port_checksums(port.checksums());
        Endpoint {
            port,
            tx,
            rx,
            ack: None,
            unacked: 0,
            pumped_at: 0,
            progress_at: 0,
            outbox: VecDeque::with_capacity(OUTBOX_KEPT),
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
        self.send_encoded(bytes);
    }

    /// Queues a message already encoded (by [`Message::encode`], or its head and then its
    /// data) and starts sending it. Its fragments are made as the window lets them go, each
    /// straight into the frame that carries it — at once, for a message in one fragment with
    /// nothing queued before it and room in the window.
    pub fn send_encoded(&mut self, bytes: Vec<u8>) {
        if !self.send_whole(&bytes) {
            self.outbox.push_back(Outgoing { id: self.next_id, bytes, sent: 0 });
            self.next_id = self.next_id.wrapping_add(1);
            self.messages = self.messages.wrapping_add(1);
            self.pump();
        }
    }

    /// Sends a message encoded short (in its writer's scratch: [`Endpoint::send_bytes`]) or
    /// long (in a vector: [`Endpoint::send_encoded`]).
    pub fn send_net(&mut self, bytes: Cow<'_, [u8]>) {
        match bytes {
            Cow::Borrowed(bytes) => self.send_bytes(bytes),
            Cow::Owned(bytes) => self.send_encoded(bytes),
        }
    }

    /// [`Endpoint::send_encoded`] of a copy of `bytes`; a message that goes into its frame at
    /// once is not copied but there (a relayed message goes on from the frame it came in).
    pub fn send_bytes(&mut self, bytes: &[u8]) {
        if !self.send_whole(bytes) {
            self.send_encoded(bytes.to_vec());
        }
    }

    /// [`Endpoint::send_bytes`] of the message of `len` bytes that lies in `frame` where a
    /// frame of one fragment carries it, after the frame's and the fragment's headers — a
    /// message relayed as it came, in the frame it came in — when nothing is in flight or
    /// queued: `frame` is made this endpoint's frame of it in place and handed to the port
    /// from there, and the copy kept for a resend is made after it left
    /// ([`Sender::queue_and_send`]). False, with nothing sent (the fragment header written
    /// over in `frame`, the message untouched), when it does not qualify.
    pub fn send_in_place(&mut self, frame: &mut [u8], len: usize) -> bool {
        if !self.outbox.is_empty() || !self.tx.is_idle() {
            return false;
        }
        let (Some(head), Ok(total)) = (frame.get_mut(HEADER..HEADER + FRAGMENT_HEADER), u32::try_from(len))
        else {
            return false;
        };
        FragmentHeader { id: self.next_id, more: false, total, offset: 0 }.write(head);
        let now = arch::time_ns();
        let port = &self.port;
        if self.tx.queue_and_send(frame, FRAGMENT_HEADER + len, now, |frame| port.send(frame)).is_err() {
            return false;
        }
        self.count_whole();
        // (A frame the port took is not handed to it again: the sender has it transmitted.)
        self.start_alone(now);
        true
    }

    /// Writes the message `bytes` into its frame if it goes in one fragment, nothing is queued
    /// before it and the window has room, and starts sending it; false if it does not.
    fn send_whole(&mut self, bytes: &[u8]) -> bool {
        self.send_one(|room| {
            room.get_mut(..bytes.len())?.copy_from_slice(bytes);
            Some(bytes.len())
        })
    }

    /// Sends a message in one fragment that `write` encodes straight into the frame that
    /// carries it, if nothing is queued before it and the window has room: `write` is given the
    /// frame's room for a message, as words (the message starts on a word boundary), and
    /// returns how many bytes it wrote, or `None` if it wrote nothing to send. Returns whether
    /// the message went; if not, `write` may not have been called.
    pub fn send_with(&mut self, write: &mut dyn FnMut(&mut [u32]) -> Option<usize>) -> bool {
        self.send_one(|room| {
            // Safety: any bytes are valid `u32`s, and `align_to_mut` gives only the whole,
            // aligned words within `room`.
            match unsafe { room.align_to_mut::<u32>() } {
                ([], words, _) => write(words),
                _ => None,
            }
        })
    }

    /// Sends the message in one fragment that `write` puts into the frame's room for it after
    /// the fragment header (returning its length, or `None` for nothing to send), if nothing is
    /// queued before it and the window has room; whether it went ([`Endpoint::send_whole`],
    /// [`Endpoint::send_with`]).
    fn send_one(&mut self, write: impl FnOnce(&mut [u8]) -> Option<usize>) -> bool {
        if !self.outbox.is_empty() {
            return false;
        }
        let id = self.next_id;
        let idle = self.tx.is_idle();
        // Refused if it is longer than one fragment, or the window is full.
        let queued = self.tx.queue_with(|payload| {
            let (head, room) = payload.split_at_mut_checked(FRAGMENT_HEADER)?;
            let len = write(room)?;
            let total = u32::try_from(len).ok()?;
            FragmentHeader { id, more: false, total, offset: 0 }.write(head);
            Some(FRAGMENT_HEADER + len)
        });
        if queued.is_err() {
            return false;
        }
        self.sent_whole(idle);
        true
    }

    /// A message went whole into the frame queued last (the sender was `idle` before): counts
    /// it and starts sending it.
    fn sent_whole(&mut self, idle: bool) {
        self.count_whole();
        if !idle || self.tx.untransmitted() != 1 {
            self.pump();
            return;
        }
        self.start_alone(arch::time_ns());
    }

    /// Counts a message sent whole in one fragment.
    #[inline]
    fn count_whole(&mut self) {
        self.next_id = self.next_id.wrapping_add(1);
        self.messages = self.messages.wrapping_add(1);
        self.fragments = self.fragments.wrapping_add(1);
    }

    /// The frame queued last is all there is to send (an RPC's request or answer, or a
    /// relayed message, most often): it goes to the port at `now`, as the pump would hand it —
    /// nothing was in flight to time out, and the outbox is empty — with the pending
    /// acknowledgement after it.
    #[inline]
    fn start_alone(&mut self, now: u64) {
        self.pumped_at = now;
        // Frames start waiting for the other end now (as the pump says of its own).
        self.progress_at = now;
        self.transmit();
        self.send_ack();
    }

    /// Bytes of a message one fragment carries.
    pub fn fragment_room(&self) -> usize {
        self.tx.max_payload() - ox_proto::fragment::FRAGMENT_HEADER
    }

    /// Bytes queued and not yet in a frame: a sender that streams a large answer waits while
    /// this exceeds what the window holds, so that it stays a window ahead of the link.
    pub fn backlog(&self) -> usize {
        self.outbox.iter().map(|o| o.bytes.len() - o.sent).sum()
    }

    /// Handles one checked frame received on the port; returns the message it completes, if
    /// any, for [`Endpoint::decode`] — or, a `Net` message, for the node to read its envelope
    /// ([`ox_proto::NetEnvelope`]) and relay it as it came or read its op alone. A message
    /// in one fragment is left in the frame (`Cow::Borrowed`). Its acknowledgement
    /// waits for the next [`Endpoint::pump`].
    pub fn on_frame<'a>(&mut self, frame: &Frame<'a>) -> Option<Cow<'a, [u8]>> {
        // An acknowledgement is the sender's (a data frame is nothing to it: no call, no look
        // at the clock).
        if frame.kind == Kind::Ack {
            let acknowledged = self.tx.acknowledged();
            let now = arch::time_ns();
            self.tx.receive_frame(frame, now);
            if self.tx.acknowledged() != acknowledged {
                self.progress_at = now;
            }
        }
        let received = self.rx.receive_frame(frame);
        if received.ack.is_some() {
            self.ack = received.ack;
            self.unacked += 1;
            if self.unacked >= ACK_EVERY {
                self.send_ack();
            }
        }
        match self.reassembler.push_in_place(received.payload?) {
            Ok(complete) => complete,
            Err(e) => {
                kprintln!("process channel on port {}: dropped a broken message: {e:?}", self.port.index());
                None
            }
        }
    }

    /// The message of `bytes` that arrived here; one that does not decode is answered with
    /// ox-proto's refusal and dropped.
    pub fn decode(&mut self, bytes: Vec<u8>) -> Option<Message> {
        match Message::decode_owned(bytes) {
            Ok(message) => Some(message),
            Err((e, bytes)) => {
                self.refuse(&bytes, &e);
                None
            }
        }
    }

    /// Answers the message `bytes` that arrived here and did not decode (with `e`) with
    /// ox-proto's refusal.
    pub fn refuse(&mut self, bytes: &[u8], e: &DecodeError) {
        kprintln!("process channel on port {}: refused a message: {e:?}", self.port.index());
        if let Some(refusal) = Message::refusal(bytes, e) {
            self.send(&refusal);
        }
    }

    /// [`Endpoint::pump_frames`] and the pending acknowledgement: after a lone frame, so that
    /// a message a node sends as soon as another arrives (an RPC's answer, or its next
    /// request) leaves first; before a burst, which would keep it waiting on the link (and
    /// from the port, while the burst fills the port's queue) past the other end's timeout.
    pub fn pump(&mut self) {
        if self.tx.untransmitted() > 1 || !self.outbox.is_empty() {
            self.send_ack();
        }
        self.pump_frames();
        self.send_ack();
    }

    /// Goes back to the oldest unacknowledged fragment if it timed out, and hands the port
    /// every fragment the window allows — each as soon as it is built, so the first is on the
    /// link while the next ones are made (each stamped with the time it left, for its
    /// timeout). The pending acknowledgement waits ([`Endpoint::send_ack`]).
    pub fn pump_frames(&mut self) {
        let now = arch::time_ns();
        self.pumped_at = now;
        if self.tx.is_idle() {
            self.progress_at = now;
            if self.outbox.is_empty() {
                // Nothing in flight to time out or to hand the port, and nothing to cut
                // into frames (after an interrupt, most often).
                return;
            }
        }
        self.tx.check_timeout(now);
        loop {
            if !self.transmit() {
                break;
            }
            if !self.tx.can_queue() {
                break;
            }
            let max_payload = self.tx.max_payload();
            let Some(out) = self.outbox.front_mut() else { break };
            let mut fragments = Fragmenter::resume(out.id, &out.bytes, max_payload, out.sent)
                .unwrap_or_else(|e| panic!("a link whose payload cannot carry a fragment: {e:?}"));
            let Some((header, part)) = fragments.next_parts() else {
                self.outbox.pop_front();
                continue;
            };
            if self.tx.queue_parts(&[&header, part]).is_err() {
                break;
            }
            out.sent += part.len();
            if out.sent == out.bytes.len() {
                self.outbox.pop_front();
            }
            self.fragments = self.fragments.wrapping_add(1);
        }
        if self.outbox.is_empty() && self.outbox.capacity() > OUTBOX_KEPT {
            self.outbox.shrink_to(OUTBOX_KEPT);
        }
    }

    /// Hands the port every frame the sender has ready; false if the port refused one (its
    /// transmit queue is full until the next quantum boundary).
    fn transmit(&mut self) -> bool {
        while let Some(frame) = self.tx.next_frame() {
            if !self.port.send(frame) {
                return false;
            }
            self.tx.transmitted(arch::time_ns());
        }
        true
    }

    /// Hands the port the pending acknowledgement, if any and if it takes it.
    pub fn send_ack(&mut self) {
        if let Some(ack) = self.ack {
            if self.port.send(&ack.frame()) {
                self.ack = None;
                self.unacked = 0;
            }
        }
    }

    /// When the endpoint next needs the pump without a frame arriving: the oldest fragment's
    /// timeout, or soon if something waits for a full transmit queue.
    pub fn deadline(&self) -> Option<u64> {
        let blocked = self.ack.is_some() || self.tx.has_untransmitted();
        let retry = blocked.then(|| self.pumped_at + RETRY_NS);
        [self.tx.deadline(), retry].into_iter().flatten().min()
    }

    /// How long frames have waited for the other end without any being acknowledged, at
    /// `now`; `None` when none waits.
    pub fn stalled_for(&self, now: u64) -> Option<u64> {
        (!self.tx.is_idle()).then(|| now.saturating_sub(self.progress_at))
    }

    /// Drops every message not yet sent, every frame not yet acknowledged and any message
    /// half reassembled: the other end is dead, and this endpoint sends and takes nothing
    /// more (a satellite that comes back is a new endpoint). What it held goes back to the
    /// heap: its window of frames shrinks to one, so a dead link keeps about one frame's
    /// bytes instead of a window's.
    pub fn abandon(&mut self) {
        self.outbox = VecDeque::new();
        self.tx = Sender::with_window(CHANNEL_PROCESS, self.port.mtu(), TIMEOUT_NS, 1);
        self.reassembler = Reassembler::default();
        self.ack = None;
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
