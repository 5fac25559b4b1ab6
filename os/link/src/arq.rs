//! Stop-and-wait automatic repeat request: one data frame in flight per channel, resent until
//! its acknowledgement arrives.
//!
//! The sender numbers data frames 0, 1, 2, ...; the receiver accepts exactly the next number,
//! acknowledges it, and acknowledges again any older number (its first acknowledgement was
//! lost) without delivering the payload twice. Damaged frames are dropped by [`frame::decode`],
//! so loss and corruption both end in the sender's timeout and a retransmission.

use crate::frame::{self, Kind, HEADER};

/// The largest frame this crate builds (the largest MTU of a link port).
pub const MAX_FRAME: usize = 1024;

/// Why a payload cannot be sent now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SendError {
    /// The previous frame is not acknowledged yet.
    Busy,
    /// The payload does not fit in one frame of the link's MTU.
    TooLarge,
}

/// The sending end of one channel.
#[derive(Clone, Debug)]
pub struct Sender {
    channel: u16,
    mtu: usize,
    timeout: u64,
    next_seq: u32,
    frame: [u8; MAX_FRAME],
    frame_len: usize,
    outstanding: bool,
    sent_at: u64,
    /// How many times a frame was sent again after a timeout.
    pub retransmissions: u32,
}

impl Sender {
    /// A sender on `channel` for frames of at most `mtu` bytes, resending after `timeout`
    /// units of the caller's clock without an acknowledgement.
    pub fn new(channel: u16, mtu: usize, timeout: u64) -> Sender {
        Sender {
            channel,
            mtu: mtu.min(MAX_FRAME),
            timeout,
            next_seq: 0,
            frame: [0; MAX_FRAME],
            frame_len: 0,
            outstanding: false,
            sent_at: 0,
            retransmissions: 0,
        }
    }

    /// The largest payload one frame carries.
    pub fn max_payload(&self) -> usize {
        self.mtu - HEADER
    }

    /// Whether every frame sent has been acknowledged.
    pub fn is_idle(&self) -> bool {
        !self.outstanding
    }

    /// Starts sending `payload` at time `now`; returns the frame to transmit.
    pub fn send(&mut self, payload: &[u8], now: u64) -> Result<&[u8], SendError> {
        if self.outstanding {
            return Err(SendError::Busy);
        }
        if payload.len() > self.max_payload() {
            return Err(SendError::TooLarge);
        }
        self.frame_len = frame::encode(&mut self.frame, Kind::Data, self.channel, self.next_seq, payload);
        self.outstanding = true;
        self.sent_at = now;
        Ok(&self.frame[..self.frame_len])
    }

    /// Handles a received frame; returns whether it acknowledged the frame in flight.
    pub fn receive(&mut self, bytes: &[u8]) -> bool {
        let acked = matches!(frame::decode(bytes), Ok(f) if f.kind == Kind::Ack
            && f.channel == self.channel
            && f.seq == self.next_seq
            && self.outstanding);
        if acked {
            self.outstanding = false;
            self.next_seq = self.next_seq.wrapping_add(1);
        }
        acked
    }

    /// The frame to transmit again, if its acknowledgement is overdue at `now`.
    pub fn poll(&mut self, now: u64) -> Option<&[u8]> {
        if !self.outstanding || now.saturating_sub(self.sent_at) < self.timeout {
            return None;
        }
        self.sent_at = now;
        self.retransmissions += 1;
        Some(&self.frame[..self.frame_len])
    }

    /// When the frame in flight times out, if one is.
    pub fn deadline(&self) -> Option<u64> {
        self.outstanding.then(|| self.sent_at.saturating_add(self.timeout))
    }
}

/// What the receiver made of a frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Received<'a> {
    /// A new payload, in order, delivered once.
    pub payload: Option<&'a [u8]>,
    /// The acknowledgement to transmit, if any.
    pub ack: Option<[u8; HEADER]>,
}

/// The receiving end of one channel.
#[derive(Clone, Debug)]
pub struct Receiver {
    channel: u16,
    expected: u32,
}

impl Receiver {
    /// A receiver on `channel`, expecting frame 0 first.
    pub fn new(channel: u16) -> Receiver {
        Receiver { channel, expected: 0 }
    }

    /// Handles a received frame.
    pub fn receive<'a>(&mut self, bytes: &'a [u8]) -> Received<'a> {
        let nothing = Received { payload: None, ack: None };
        let Ok(f) = frame::decode(bytes) else { return nothing };
        if f.kind != Kind::Data || f.channel != self.channel {
            return nothing;
        }
        let mut ack = [0; HEADER];
        if f.seq == self.expected {
            self.expected = self.expected.wrapping_add(1);
            frame::encode(&mut ack, Kind::Ack, self.channel, f.seq, &[]);
            Received { payload: Some(f.payload), ack: Some(ack) }
        } else if f.seq.wrapping_add(1) == self.expected {
            frame::encode(&mut ack, Kind::Ack, self.channel, f.seq, &[]);
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
        // The acknowledgement is lost too: the duplicate is acknowledged, not delivered.
        let dup = tx.poll(200).unwrap().to_vec();
        let got = rx.receive(&dup);
        assert_eq!(got.payload, None);
        assert!(tx.receive(&got.ack.unwrap()));
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
        let ack = rx.receive(&good).ack.unwrap();
        let mut wrong_channel = Sender::new(2, 64, 10);
        wrong_channel.send(b"y", 0).unwrap();
        assert!(!wrong_channel.receive(&ack));
        assert!(tx.receive(&ack));
        assert!(!tx.receive(&ack), "an acknowledgement counts once");
        assert_eq!(tx.send(&[0; 49], 0), Err(SendError::TooLarge));
    }
}
