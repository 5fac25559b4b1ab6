//! Go-back-N automatic repeat request with cumulative acknowledgements: up to a window of data
//! frames in flight per channel, resent from the oldest unacknowledged one when its
//! acknowledgement is overdue.
//!
//! The sender numbers data frames 0, 1, 2, ...; the receiver accepts exactly the next number
//! and acknowledges it, which acknowledges every frame before it too. A frame older than the
//! next expected one (a resend whose acknowledgement was lost) is acknowledged again, with the
//! newest number delivered, and not delivered twice; a frame ahead of it (one before it was
//! lost) is dropped. Damaged frames are dropped by [`frame::decode`], so loss and corruption
//! both end in the sender's timeout and a retransmission of everything from the oldest
//! unacknowledged frame on. A window of 1 is stop-and-wait, what the boot ROM's receiver
//! expects on the boot channel.
//!
//! The sender keeps its frames until they are acknowledged, and tells a frame it built
//! ([`Sender::queue`]) from one the link took ([`Sender::transmitted`]): a port whose
//! transmit queue is full keeps the frame waiting in the sender instead of losing it.
//!
//! **The retransmission timeout adapts** to the round trips measured, as TCP's does
//! (Jacobson, *Congestion Avoidance and Control*, 1988; RFC 6298): each acknowledgement of a
//! frame sent once (Karn's rule) is a sample of the round trip, a smoothed mean and mean
//! deviation are kept, and a frame is overdue after the mean plus four deviations, never
//! sooner than the timeout the sender was made with (nor later than 64 times it). A timeout
//! doubles the wait, up to [`BACKOFF_MAX`] times the measured one, until an acknowledgement of
//! new frames comes: enough for Karn's rule to find a sample again when the round trip grew
//! past the wait, short enough that a link that really loses frames recovers promptly (the
//! links are each two nodes' own: no congestion to back off from). A receiver that takes a
//! bulk transfer at about the link's pace answers a full window late; a fixed timeout would
//! then resend, go-back-N, frames it holds already.

use alloc::vec;
use alloc::vec::Vec;

use crate::frame::{self, Frame, Kind, HEADER};

/// The most a run of timeouts multiplies the measured timeout by.
pub const BACKOFF_MAX: u64 = 4;

/// The largest frame this crate builds (the largest MTU of a link port).
pub const MAX_FRAME: usize = 1024;

/// Why a payload cannot be sent now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SendError {
    /// The window is full: the oldest frame is not acknowledged yet.
    Busy,
    /// The payload does not fit in one frame of the link's MTU.
    TooLarge,
}

/// The sending end of one channel.
///
/// Sequence numbers, oldest first: `base` (the oldest unacknowledged frame) ≤ `next_tx` (the
/// next frame to hand to the link) ≤ `next_seq` (the number of the next frame queued), with
/// `sent_high` (one past the newest frame ever handed to the link) between `next_tx` and
/// `next_seq`; at most `window` frames from `base` on are kept.
#[derive(Clone, Debug)]
pub struct Sender {
    channel: u16,
    mtu: usize,
    timeout: u64,
    window: u32,
    base: u32,
    next_tx: u32,
    sent_high: u32,
    next_seq: u32,
    /// The kept frames: slot `seq % window`, `mtu` bytes each.
    frames: Vec<u8>,
    /// Each slot's frame length.
    lens: Vec<usize>,
    /// When each slot's frame was last handed to the link.
    sent_at: Vec<u64>,
    /// Whether each slot's frame was sent more than once (its acknowledgement is then no
    /// sample of the round trip: Karn's rule).
    resent: Vec<bool>,
    /// The round trip's smoothed mean, once sampled.
    srtt: Option<u64>,
    /// The round trip's mean deviation.
    rttvar: u64,
    /// The timeout now: the measured one, or more after timeouts (at least `timeout`).
    rto: u64,
    /// After a timeout, only the oldest frame goes until an acknowledgement comes: the
    /// receiver may hold the rest already, and its cumulative answer says so.
    probing: bool,
    /// Whether the link port fills in each frame's CRC as it leaves (checksum offload).
    port_checksums: bool,
    /// How many frames were sent again after a timeout.
    pub retransmissions: u32,
}

impl Sender {
    /// A stop-and-wait sender (a window of one frame) on `channel` for frames of at most
    /// `mtu` bytes, resending after `timeout` units of the caller's clock without an
    /// acknowledgement.
    pub fn new(channel: u16, mtu: usize, timeout: u64) -> Sender {
        Sender::with_window(channel, mtu, timeout, 1)
    }

    /// A sender that keeps up to `window` (at least 1) frames unacknowledged.
    pub fn with_window(channel: u16, mtu: usize, timeout: u64, window: u32) -> Sender {
        let mtu = mtu.min(MAX_FRAME);
        let window = window.max(1);
        Sender {
            channel,
            mtu,
            timeout,
            window,
            base: 0,
            next_tx: 0,
            sent_high: 0,
            next_seq: 0,
            frames: vec![0; mtu * window as usize],
            lens: vec![0; window as usize],
            sent_at: vec![0; window as usize],
            resent: vec![false; window as usize],
            srtt: None,
            rttvar: 0,
            rto: timeout,
            probing: false,
            port_checksums: false,
            retransmissions: 0,
        }
    }

    /// Leaves each frame's CRC to the link port, which computes it as the frame leaves
    /// (checksum offload, docs/devices.md): the frames are built without it.
    pub fn set_port_checksums(&mut self, on: bool) {
        self.port_checksums = on;
    }

    /// The largest payload one frame carries.
    pub fn max_payload(&self) -> usize {
        self.mtu - HEADER
    }

    /// How many frames have been acknowledged so far (the number of the oldest one not yet).
    pub fn acknowledged(&self) -> u32 {
        self.base
    }

    /// Whether every frame queued has been acknowledged.
    pub fn is_idle(&self) -> bool {
        self.base == self.next_seq
    }

    /// Whether the window has room for another frame.
    pub fn can_queue(&self) -> bool {
        self.next_seq.wrapping_sub(self.base) < self.window
    }

    fn slot(&self, seq: u32) -> usize {
        (seq % self.window) as usize
    }

    /// Builds the data frame of `payload` and keeps it for [`Sender::next_frame`].
    pub fn queue(&mut self, payload: &[u8]) -> Result<(), SendError> {
        self.queue_parts(&[payload])
    }

    /// [`Sender::queue`] of the payload made of `parts` one after the other, built straight
    /// into the frame the sender keeps (no copy of the whole payload first).
    pub fn queue_parts(&mut self, parts: &[&[u8]]) -> Result<(), SendError> {
        if parts.iter().map(|p| p.len()).sum::<usize>() > self.max_payload() {
            return Err(SendError::TooLarge);
        }
        self.queue_with(|room| {
            let mut at = 0;
            for part in parts {
                room[at..at + part.len()].copy_from_slice(part);
                at += part.len();
            }
            Some(at)
        })
    }

    /// [`Sender::queue`] of a payload that `write` writes straight into the frame the sender
    /// keeps: it is given the frame's room for a payload ([`Sender::max_payload`] bytes, at
    /// [`frame::HEADER`] in the frame) and returns the length it wrote, or `None` to queue
    /// nothing (what it wrote there is then of no account).
    pub fn queue_with(&mut self, write: impl FnOnce(&mut [u8]) -> Option<usize>) -> Result<(), SendError> {
        if !self.can_queue() {
            return Err(SendError::Busy);
        }
        let slot = self.slot(self.next_seq);
        let out = &mut self.frames[slot * self.mtu..(slot + 1) * self.mtu];
        let room = out.len() - HEADER;
        let payload = write(&mut out[HEADER..]).filter(|&n| n <= room).ok_or(SendError::TooLarge)?;
        let len = HEADER + payload;
        data_header(&mut out[..len], (self.channel, self.next_seq, !self.port_checksums), payload);
        self.lens[slot] = len;
        self.next_seq = self.next_seq.wrapping_add(1);
        Ok(())
    }

    /// Queues as the next data frame the `payload` bytes that lie in `frame` after a frame
    /// header's room ([`frame::HEADER`]; a payload relayed as it came, in the frame it came
    /// in), making `frame` that frame in place (its header written over), and hands it to the
    /// link from there with `send` at time `now` if it is the next to go — so the copy the
    /// sender keeps for a resend is made after it left, not before. Whether `send` took it
    /// (if not, it waits for [`Sender::next_frame`] like any other); `Err` as
    /// [`Sender::queue_with`], with nothing queued or sent.
    pub fn queue_and_send(
        &mut self,
        frame: &mut [u8],
        payload: usize,
        now: u64,
        send: impl FnOnce(&[u8]) -> bool,
    ) -> Result<bool, SendError> {
        if !self.can_queue() {
            return Err(SendError::Busy);
        }
        let len = HEADER + payload;
        if len > self.mtu {
            return Err(SendError::TooLarge);
        }
        let frame = frame.get_mut(..len).ok_or(SendError::TooLarge)?;
        data_header(frame, (self.channel, self.next_seq, !self.port_checksums), payload);
        // What `next_frame` would give once it is queued: this frame, if nothing waits before
        // it.
        let next = self.next_tx == self.next_seq && !self.probe_waits();
        let sent = next && send(frame);
        let slot = self.slot(self.next_seq);
        self.frames[slot * self.mtu..slot * self.mtu + len].copy_from_slice(frame);
        self.lens[slot] = len;
        self.next_seq = self.next_seq.wrapping_add(1);
        if sent {
            self.transmitted(now);
        }
        Ok(sent)
    }

    /// Whether what is left to hand the link waits for the probe's answer: after a timeout,
    /// only the oldest frame goes until it is acknowledged.
    fn probe_waits(&self) -> bool {
        self.probing && self.next_tx != self.base
    }

    /// The next frame to hand to the link, if one waits (a new one, or one to resend after a
    /// timeout). Call [`Sender::transmitted`] once the link took it.
    #[inline]
    pub fn next_frame(&self) -> Option<&[u8]> {
        if self.next_tx == self.next_seq || self.probe_waits() {
            return None;
        }
        let slot = self.slot(self.next_tx);
        Some(&self.frames[slot * self.mtu..slot * self.mtu + self.lens[slot]])
    }

    /// The link took the frame [`Sender::next_frame`] gave, at time `now`.
    pub fn transmitted(&mut self, now: u64) {
        if self.next_frame().is_none() {
            return;
        }
        let slot = self.slot(self.next_tx);
        self.sent_at[slot] = now;
        let again = self.next_tx.wrapping_sub(self.base) < self.sent_high.wrapping_sub(self.base);
        self.resent[slot] = again;
        if again {
            self.retransmissions = self.retransmissions.wrapping_add(1);
        }
        self.next_tx = self.next_tx.wrapping_add(1);
        if self.next_tx.wrapping_sub(self.base) > self.sent_high.wrapping_sub(self.base) {
            self.sent_high = self.next_tx;
        }
    }

    /// Queues `payload` and returns its frame, taken as transmitted at `now` (stop-and-wait
    /// use: the caller sends the frame; should the link drop it, the timeout resends it).
    pub fn send(&mut self, payload: &[u8], now: u64) -> Result<&[u8], SendError> {
        self.send_parts(&[payload], now)
    }

    /// [`Sender::send`] of the payload made of `parts` one after the other, built straight
    /// into the frame the sender keeps.
    pub fn send_parts(&mut self, parts: &[&[u8]], now: u64) -> Result<&[u8], SendError> {
        if self.next_tx != self.next_seq {
            return Err(SendError::Busy);
        }
        self.queue_parts(parts)?;
        self.transmitted(now);
        let slot = self.slot(self.next_seq.wrapping_sub(1));
        Ok(&self.frames[slot * self.mtu..slot * self.mtu + self.lens[slot]])
    }

    /// Handles a frame received at `now`; returns whether it acknowledged frames in flight.
    pub fn receive(&mut self, bytes: &[u8], now: u64) -> bool {
        frame::decode(bytes).is_ok_and(|f| self.receive_frame(&f, now))
    }

    /// Handles a checked frame received at `now`; returns whether it acknowledged frames in
    /// flight (an acknowledgement of number `n` acknowledges every frame up to `n`).
    pub fn receive_frame(&mut self, f: &Frame, now: u64) -> bool {
        if f.kind != Kind::Ack || f.channel != self.channel {
            return false;
        }
        let acked = f.seq.wrapping_sub(self.base);
        if acked >= self.sent_high.wrapping_sub(self.base) {
            return false;
        }
        // The newest frame acknowledged is a sample if it was sent once; either way the
        // timeouts' doubling ends: the link carries frames again.
        let newest = self.slot(f.seq);
        if self.resent[newest] {
            self.rto = self.measured_rto();
        } else {
            self.sample(now.saturating_sub(self.sent_at[newest]));
        }
        self.base = f.seq.wrapping_add(1);
        self.probing = false;
        if self.next_tx.wrapping_sub(self.base) > self.next_seq.wrapping_sub(self.base) {
            self.next_tx = self.base;
        }
        true
    }

    /// Goes back to the oldest unacknowledged frame if its acknowledgement is overdue at
    /// `now`: [`Sender::next_frame`] then gives it again, alone until an acknowledgement
    /// comes, then the frames after the newest one acknowledged (go-back-N, without resending
    /// what the receiver holds already). Returns whether it did.
    pub fn check_timeout(&mut self, now: u64) -> bool {
        match self.deadline() {
            Some(deadline) if now >= deadline => {
                self.next_tx = self.base;
                self.probing = true;
                self.rto = self.rto.saturating_mul(2).min(self.measured_rto().saturating_mul(BACKOFF_MAX));
                true
            }
            _ => false,
        }
    }

    /// Takes a round trip of `rtt` into the smoothed mean and deviation, and the timeout from
    /// them.
    fn sample(&mut self, rtt: u64) {
        let (srtt, rttvar) = match self.srtt {
            None => (rtt, rtt / 2),
            Some(srtt) => ((7 * srtt + rtt) / 8, (3 * self.rttvar + srtt.abs_diff(rtt)) / 4),
        };
        (self.srtt, self.rttvar) = (Some(srtt), rttvar);
        self.rto = self.measured_rto();
    }

    /// The timeout the round trips measured give: the mean plus four deviations, within
    /// [`Sender::timeout`] and [`Sender::max_rto`] (the sender's own before any is measured).
    fn measured_rto(&self) -> u64 {
        let rto = self.srtt.map_or(self.timeout, |srtt| srtt.saturating_add(4 * self.rttvar));
        rto.clamp(self.timeout, self.max_rto())
    }

    /// The longest the timeout grows: 64 times the one the sender was made with.
    fn max_rto(&self) -> u64 {
        self.timeout.saturating_mul(64)
    }

    /// The retransmission timeout now.
    pub fn timeout_now(&self) -> u64 {
        self.rto
    }

    /// The frame to transmit again, if the acknowledgement of the oldest frame is overdue at
    /// `now` (stop-and-wait use; with a larger window, [`Sender::next_frame`] gives the
    /// frames after it).
    pub fn poll(&mut self, now: u64) -> Option<&[u8]> {
        if !self.check_timeout(now) {
            return None;
        }
        self.transmitted(now);
        let slot = self.slot(self.base);
        Some(&self.frames[slot * self.mtu..slot * self.mtu + self.lens[slot]])
    }

    /// When the oldest frame in flight times out, if one is.
    pub fn deadline(&self) -> Option<u64> {
        let in_flight = self.base != self.sent_high && self.next_tx != self.base;
        in_flight.then(|| self.sent_at[self.slot(self.base)].saturating_add(self.rto))
    }

    /// How many queued frames have not been handed to the link yet (at most).
    pub fn untransmitted(&self) -> u32 {
        self.next_seq.wrapping_sub(self.next_tx)
    }

    /// Whether a frame waits for the link to take it now.
    pub fn has_untransmitted(&self) -> bool {
        self.next_frame().is_some()
    }
}

/// Writes into `frame` (the whole data frame, of `payload` bytes after its header) the header
/// of frame `seq` on `channel`, and its CRC if `summed` (else the port fills it in).
#[inline]
fn data_header(frame: &mut [u8], (channel, seq, summed): (u16, u32, bool), payload: usize) {
    frame::encode_header(frame, Kind::Data, channel, seq, payload);
    if summed {
        frame::seal(frame);
    }
}

/// An acknowledgement frame, ready to transmit: a header and no payload. Word-aligned, so that
/// keeping it and handing it on copies four words, not sixteen bytes through `memcpy`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(C, align(4))]
pub struct AckFrame(pub [u8; HEADER]);

impl AckFrame {
    /// The acknowledgement of frame `seq` on `channel`, its CRC filled in if `summed` (else
    /// left for a port with checksum offload): [`frame::encode`] of a `Kind::Ack` with no
    /// payload, written as its two words that are not zero, as every data frame that arrives
    /// makes one.
    pub fn new(channel: u16, seq: u32, summed: bool) -> AckFrame {
        let first = u32::from(frame::VERSION) | (Kind::Ack as u32) << 8 | u32::from(channel) << 16;
        let mut ack = AckFrame([0; HEADER]);
        ack.0[..4].copy_from_slice(&first.to_le_bytes());
        ack.0[4..8].copy_from_slice(&seq.to_le_bytes());
        if summed {
            frame::seal(&mut ack.0);
        }
        ack
    }
}

impl core::ops::Deref for AckFrame {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        &self.0
    }
}

/// An acknowledgement to transmit, before it is made into its frame ([`Ack::frame`]): every
/// data frame that arrives makes one, which most often waits (an endpoint sends one in so
/// many, or rides the next pump) and is replaced by the next — so it is built when it leaves,
/// not when it is made.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ack {
    channel: u16,
    seq: u32,
    summed: bool,
}

impl Ack {
    /// Its frame ([`AckFrame::new`]).
    pub fn frame(&self) -> AckFrame {
        AckFrame::new(self.channel, self.seq, self.summed)
    }
}

/// What the receiver made of a frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Received<'a> {
    /// A new payload, in order, delivered once.
    pub payload: Option<&'a [u8]>,
    /// The acknowledgement to transmit, if any.
    pub ack: Option<Ack>,
}

/// The receiving end of one channel.
#[derive(Clone, Debug)]
pub struct Receiver {
    channel: u16,
    expected: u32,
    /// Whether the link port fills in the CRC of the acknowledgements (checksum offload).
    port_checksums: bool,
}

impl Receiver {
    /// A receiver on `channel`, expecting frame 0 first.
    pub fn new(channel: u16) -> Receiver {
        Receiver { channel, expected: 0, port_checksums: false }
    }

    /// Leaves the CRC of its acknowledgements to the link port, as
    /// [`Sender::set_port_checksums`] does for data frames.
    pub fn set_port_checksums(&mut self, on: bool) {
        self.port_checksums = on;
    }

    /// Handles a received frame.
    pub fn receive<'a>(&mut self, bytes: &'a [u8]) -> Received<'a> {
        match frame::decode(bytes) {
            Ok(f) => self.receive_frame(&f),
            Err(_) => Received { payload: None, ack: None },
        }
    }

    /// Handles a received, checked frame.
    #[inline]
    pub fn receive_frame<'a>(&mut self, f: &Frame<'a>) -> Received<'a> {
        let nothing = Received { payload: None, ack: None };
        if f.kind != Kind::Data || f.channel != self.channel {
            return nothing;
        }
        let summed = !self.port_checksums;
        if f.seq == self.expected {
            self.expected = self.expected.wrapping_add(1);
            Received {
                payload: Some(f.payload),
                ack: Some(Ack { channel: self.channel, seq: f.seq, summed }),
            }
        } else if self.expected != 0 && (f.seq.wrapping_sub(self.expected) as i32) < 0 {
            let ack = Ack { channel: self.channel, seq: self.expected.wrapping_sub(1), summed };
            Received { payload: None, ack: Some(ack) }
        } else {
            nothing
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_acknowledgement_is_the_frame_encode_makes() {
        for (channel, seq) in [(0, 0), (3, 1), (0xfffe, 0xdead_beef), (1, u32::MAX)] {
            let mut summed = [0; HEADER];
            frame::encode(&mut summed, Kind::Ack, channel, seq, &[]);
            assert_eq!(AckFrame::new(channel, seq, true).0, summed);
            let mut unsummed = [0; HEADER];
            frame::encode_unsummed(&mut unsummed, Kind::Ack, channel, seq, &[]);
            assert_eq!(AckFrame::new(channel, seq, false).0, unsummed);
        }
    }

    #[test]
    fn delivers_once_in_order_through_loss() {
        let mut tx = Sender::new(3, 256, 100);
        let mut rx = Receiver::new(3);
        let first = tx.send(b"one", 0).unwrap().to_vec();
        assert_eq!(tx.send(b"two", 1), Err(SendError::Busy));
        // The first copy is lost; the timeout resends it.
        assert_eq!(tx.poll(99), None);
        let again = tx.poll(100).unwrap().to_vec();
        assert_eq!(again, first);
        let got = rx.receive(&again);
        assert_eq!(got.payload, Some(&b"one"[..]));
        // The acknowledgement is lost too: the timeout, doubled, resends it again; the
        // duplicate is acknowledged, not delivered.
        assert_eq!(tx.poll(299), None);
        let dup = tx.poll(300).unwrap().to_vec();
        let got = rx.receive(&dup);
        assert_eq!(got.payload, None);
        assert!(tx.receive(&got.ack.unwrap().frame(), 300));
        assert!(tx.is_idle());
        assert_eq!(tx.retransmissions, 2);
        let second = tx.send(b"two", 300).unwrap().to_vec();
        assert_eq!(rx.receive(&second).payload, Some(&b"two"[..]));
    }

    #[test]
    fn ignores_damage_other_channels_and_stale_acks() {
        let mut tx = Sender::new(1, 64, 10);
        let mut rx = Receiver::new(1);
        let mut frame = tx.send(b"x", 0).unwrap().to_vec();
        frame[16] ^= 4;
        assert_eq!(rx.receive(&frame), Received { payload: None, ack: None });
        let mut other = Receiver::new(2);
        let good = tx.poll(10).unwrap().to_vec();
        assert_eq!(other.receive(&good).ack, None);
        let ack = rx.receive(&good).ack.unwrap().frame();
        let mut wrong_channel = Sender::new(2, 64, 10);
        wrong_channel.send(b"y", 0).unwrap();
        assert!(!wrong_channel.receive(&ack, 10));
        assert!(tx.receive(&ack, 10));
        assert!(!tx.receive(&ack, 10), "an acknowledgement counts once");
        assert_eq!(tx.send(&[0; 49], 0), Err(SendError::TooLarge));
    }

    #[test]
    fn a_payload_written_in_place_makes_the_frame_queue_makes() {
        for port_checksums in [false, true] {
            let (mut by_copy, mut in_place) =
                (Sender::with_window(2, 64, 100, 2), Sender::with_window(2, 64, 100, 2));
            by_copy.set_port_checksums(port_checksums);
            in_place.set_port_checksums(port_checksums);
            by_copy.queue(b"written in place").unwrap();
            in_place
                .queue_with(|room| {
                    assert_eq!(room.len(), 64 - HEADER);
                    room[..16].copy_from_slice(b"written in place");
                    Some(16)
                })
                .unwrap();
            assert_eq!(in_place.next_frame(), by_copy.next_frame());
            // Nothing written, or a length past the room: nothing queued.
            assert_eq!(in_place.queue_with(|_| None), Err(SendError::TooLarge));
            assert_eq!(in_place.queue_with(|room| Some(room.len() + 1)), Err(SendError::TooLarge));
            assert_eq!(in_place.untransmitted(), 1);
            // A full window: the writer is not called.
            in_place.queue(b"second").unwrap();
            assert_eq!(in_place.queue_with(|_| unreachable!("no room")), Err(SendError::Busy));
        }
    }

    #[test]
    fn a_payload_queued_and_sent_in_place_is_the_frame_queue_makes() {
        for port_checksums in [false, true] {
            let (mut by_copy, mut in_place) =
                (Sender::with_window(2, 64, 100, 2), Sender::with_window(2, 64, 100, 2));
            by_copy.set_port_checksums(port_checksums);
            in_place.set_port_checksums(port_checksums);
            by_copy.queue(b"sent in place").unwrap();
            let expected = by_copy.next_frame().unwrap().to_vec();
            // A frame that came in on another channel, its payload where this one's goes.
            let mut came = [0; 64];
            let n = frame::encode(&mut came, Kind::Data, 7, 41, b"sent in place");
            let came = &mut came[..n];
            let mut sent = None;
            let went = in_place.queue_and_send(came, 13, 500, |frame| {
                sent = Some(frame.to_vec());
                true
            });
            assert_eq!(went, Ok(true));
            assert_eq!(sent.as_deref(), Some(&expected[..]), "sent as queue makes it");
            assert_eq!(&came[..], &expected[..], "made in place");
            // Kept for a resend, and transmitted at 500: its timeout is from then.
            assert_eq!(in_place.untransmitted(), 0);
            assert_eq!(in_place.deadline(), Some(600));
            // A second one waits behind nothing untransmitted: sent; a link that cannot take
            // it leaves it queued for `next_frame`, as it is.
            let mut second = [0; 64];
            let n = frame::encode(&mut second, Kind::Data, 7, 42, b"second");
            assert_eq!(in_place.queue_and_send(&mut second[..n], 6, 510, |_| false), Ok(false));
            assert_eq!(in_place.next_frame(), Some(&second[..n]));
            // A full window, or a payload past the MTU: nothing queued, nothing sent.
            let mut third = [0; 64];
            let refused = |_: &[u8]| -> bool { unreachable!("nothing sent") };
            assert_eq!(in_place.queue_and_send(&mut third, 5, 520, refused), Err(SendError::Busy));
            let mut other = Sender::with_window(2, 64, 100, 2);
            let mut long = [0; 80];
            assert_eq!(
                other.queue_and_send(&mut long, 64 - HEADER + 1, 0, refused),
                Err(SendError::TooLarge)
            );
            assert_eq!(other.untransmitted(), 0);
        }
    }

    #[test]
    fn a_window_keeps_frames_in_flight_and_acknowledges_cumulatively() {
        let mut tx = Sender::with_window(2, 64, 100, 4);
        let mut rx = Receiver::new(2);
        for i in 0..4u8 {
            tx.queue(&[i]).unwrap();
        }
        assert_eq!(tx.queue(b"full"), Err(SendError::Busy));
        let mut frames = alloc::vec::Vec::new();
        while let Some(f) = tx.next_frame() {
            frames.push(f.to_vec());
            tx.transmitted(0);
        }
        assert_eq!(frames.len(), 4);
        // Frame 1 is lost: 2 and 3 are dropped unacknowledged; only frame 0's ack comes back.
        let first = rx.receive(&frames[0]);
        assert_eq!(first.payload, Some(&[0u8][..]));
        assert_eq!(rx.receive(&frames[2]), Received { payload: None, ack: None });
        assert!(tx.receive(&first.ack.unwrap().frame(), 0));
        assert!(tx.can_queue() && !tx.is_idle());
        // The timeout goes back to frame 1, alone until it is acknowledged; then 2 and 3.
        assert!(!tx.check_timeout(99));
        assert!(tx.check_timeout(100));
        let mut last_ack = None;
        let mut delivered = alloc::vec::Vec::new();
        for round in 0..2 {
            while let Some(f) = tx.next_frame() {
                let got = rx.receive(f);
                delivered.extend(got.payload.map(<[u8]>::to_vec));
                last_ack = got.ack;
                tx.transmitted(100);
            }
            if round == 0 {
                assert_eq!(delivered, [[1u8]]);
                assert!(tx.receive(&last_ack.unwrap().frame(), 100));
            }
        }
        assert_eq!(delivered, [[1u8], [2], [3]]);
        assert_eq!(tx.retransmissions, 3);
        // One acknowledgement, the last, acknowledges both.
        assert!(tx.receive(&last_ack.unwrap().frame(), 100));
        assert!(tx.is_idle());
        assert_eq!(tx.deadline(), None);
        // A late duplicate of frame 0 is acknowledged with the newest number, not delivered.
        let again = rx.receive(&frames[0]);
        assert_eq!(again.payload, None);
        let again_ack = again.ack.unwrap().frame();
        let ack = frame::decode(&again_ack).unwrap();
        assert_eq!((ack.kind, ack.seq), (Kind::Ack, 3));
        assert!(!tx.receive(&again_ack, 100), "an old acknowledgement moves nothing");
    }

    /// Queues the one-byte frame `i`, hands it to the link at `now`, and has `rx` take it:
    /// its acknowledgement.
    fn sent_and_taken(tx: &mut Sender, rx: &mut Receiver, i: u8, now: u64) -> AckFrame {
        tx.queue(&[i]).unwrap();
        let f = tx.next_frame().unwrap().to_vec();
        tx.transmitted(now);
        rx.receive(&f).ack.unwrap().frame()
    }

    /// A receiver that answers late — it takes a window at the link's pace — makes the
    /// timeout grow past its answers, so nothing it holds is sent again; one that answers
    /// at once leaves the timeout at the sender's own; a resent frame's answer is no sample.
    #[test]
    fn the_timeout_follows_the_round_trips_measured() {
        let mut tx = Sender::with_window(2, 64, 100, 4);
        let mut rx = Receiver::new(2);
        let mut now = 0;
        // Every frame answered 10 after it left: the timeout stays 100.
        for i in 0..20u8 {
            let ack = sent_and_taken(&mut tx, &mut rx, i, now);
            now += 10;
            assert!(tx.receive(&ack, now));
        }
        assert_eq!(tx.timeout_now(), 100);
        // Now each answered 90 to 150 after it left, more than the first timeout: it grows
        // past them, and after the first few no frame times out.
        let mut late = 0;
        for i in 0..40u8 {
            let ack = sent_and_taken(&mut tx, &mut rx, i, now);
            let delay = 90 + u64::from(i % 7) * 10;
            if i >= 8 && tx.deadline().is_some_and(|d| d <= now + delay) {
                late += 1;
            }
            now += delay;
            assert!(!tx.check_timeout(now) || i < 8, "frame {i} timed out at {now}");
            assert!(tx.receive(&ack, now));
        }
        assert_eq!(late, 0);
        assert!(tx.timeout_now() > 150 && tx.timeout_now() < 600, "{}", tx.timeout_now());
        // A timeout doubles it, up to four times the measured one.
        let before = tx.timeout_now();
        tx.queue(b"lost").unwrap();
        tx.next_frame().unwrap();
        tx.transmitted(now);
        let mut copy = alloc::vec::Vec::new();
        for _ in 0..10 {
            let due = tx.deadline().unwrap();
            copy = tx.poll(due).unwrap().to_vec();
        }
        assert_eq!(tx.timeout_now(), before * BACKOFF_MAX);
        // The lost frame, resent, arrives at last: its answer is no sample (it may answer any
        // of the copies), but the doubling ends: the timeout is the measured one again.
        let ack = rx.receive(&copy).ack.unwrap().frame();
        now = tx.deadline().unwrap() - 1;
        assert!(tx.receive(&ack, now));
        assert_eq!(tx.timeout_now(), before);
    }

    /// A deterministic generator for the link model.
    struct Lcg(u64);

    impl Lcg {
        fn below(&mut self, n: u64) -> u64 {
            self.0 = self.0.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            (self.0 >> 33) % n
        }
    }

    /// A link that loses, duplicates, damages and reorders frames, `percent` each.
    fn hostile(rng: &mut Lcg, percent: u64, sent: &mut alloc::vec::Vec<alloc::vec::Vec<u8>>) {
        let mut out = alloc::vec::Vec::new();
        for mut f in sent.drain(..) {
            if rng.below(100) < percent {
                continue;
            }
            if rng.below(100) < percent {
                let bit = rng.below(f.len() as u64 * 8) as usize;
                f[bit / 8] ^= 1 << (bit % 8);
            }
            if rng.below(100) < percent {
                out.push(f.clone());
            }
            out.push(f);
        }
        for i in 1..out.len() {
            if rng.below(100) < percent {
                out.swap(i - 1, i);
            }
        }
        *sent = out;
    }

    #[test]
    fn a_window_delivers_once_in_order_through_a_hostile_link() {
        for (seed, window, percent) in [(1, 1, 20), (2, 4, 10), (3, 8, 25), (4, 16, 5), (5, 3, 40)] {
            let mut rng = Lcg(seed);
            let mut tx = Sender::with_window(2, 48, 50, window);
            let mut rx = Receiver::new(2);
            let payloads: alloc::vec::Vec<alloc::vec::Vec<u8>> =
                (0..200u32).map(|i| (0..(i % 32) as u8).map(|b| b ^ i as u8).collect()).collect();
            let (mut next, mut delivered, mut now) = (0, alloc::vec::Vec::new(), 0u64);
            while delivered.len() < payloads.len() {
                // (At 40 % loss each way the timeouts double often: slow, not stuck.)
                assert!(now < 20_000_000, "seed {seed}: no progress");
                while next < payloads.len() && tx.queue(&payloads[next]).is_ok() {
                    next += 1;
                }
                tx.check_timeout(now);
                let mut forward = alloc::vec::Vec::new();
                // The link takes at most four frames per step, like a full transmit queue.
                for _ in 0..4 {
                    let Some(f) = tx.next_frame() else { break };
                    forward.push(f.to_vec());
                    tx.transmitted(now);
                }
                hostile(&mut rng, percent, &mut forward);
                let mut acks = alloc::vec::Vec::new();
                for f in &forward {
                    let got = rx.receive(f);
                    delivered.extend(got.payload.map(<[u8]>::to_vec));
                    acks.extend(got.ack.map(|a| a.frame().to_vec()));
                }
                hostile(&mut rng, percent, &mut acks);
                for a in &acks {
                    tx.receive(a, now);
                }
                now += 10;
            }
            assert_eq!(delivered, payloads, "seed {seed}, window {window}");
            assert!(percent == 0 || tx.retransmissions > 0);
        }
    }
}
