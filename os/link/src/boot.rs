//! Booting a satellite over its link: the messages the central kernel sends on
//! [`crate::frame::CHANNEL_BOOT`] and the satellite's boot ROM obeys.
//!
//! Every payload starts with a little-endian `u32` operation:
//! - `LOAD` (1), `addr: u32`, then bytes: copy the bytes to physical `addr` (word-aligned; the
//!   length is a multiple of 4).
//! - `START` (2), `entry: u32`, `total: u32`, `crc: u32`: every `LOAD` so far carried `total`
//!   bytes whose CRC-32, in order, is `crc`; if so, acknowledge and jump to `entry` with
//!   `a0` = node index and `a1` = RAM size, as a direct boot does. If not, the ROM says so on
//!   its console and waits for a new transfer.

use crate::crc::crc32_update;

/// Operation: load bytes.
pub const OP_LOAD: u32 = 1;
/// Operation: check and start.
pub const OP_START: u32 = 2;

/// A parsed boot message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Message<'a> {
    /// Copy `data` to `addr`.
    Load { addr: u32, data: &'a [u8] },
    /// Check `total` bytes with CRC `crc`, then jump to `entry`.
    Start { entry: u32, total: u32, crc: u32 },
}

fn word(bytes: &[u8], at: usize) -> Option<u32> {
    bytes.get(at..at + 4).map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
}

/// Parses a boot payload.
pub fn parse(payload: &[u8]) -> Option<Message<'_>> {
    match word(payload, 0)? {
        OP_LOAD => Some(Message::Load { addr: word(payload, 4)?, data: &payload[8..] }),
        OP_START if payload.len() == 16 => Some(Message::Start {
            entry: word(payload, 4)?,
            total: word(payload, 8)?,
            crc: word(payload, 12)?,
        }),
        _ => None,
    }
}

/// Splits an image into boot payloads that each fit `max_payload` bytes: `LOAD`s for every
/// segment (padded with zeros to a multiple of 4), then `START`.
pub struct Plan<'a> {
    segments: &'a [(u32, &'a [u8])],
    entry: u32,
    chunk: usize,
    segment: usize,
    offset: usize,
    total: u32,
    crc: u32,
    /// The `total` and `crc` of `START`, known beforehand ([`Plan::with_checksum`]).
    known: Option<(u32, u32)>,
    done: bool,
}

/// The `total` and `crc` a `START` carries for `segments`: their bytes in order, each segment
/// padded with zeros to whole words, as the `LOAD`s of any [`Plan`] carry them. A sender that
/// boots many satellites with one image computes it once ([`Plan::with_checksum`]).
pub fn checksum(segments: &[(u32, &[u8])]) -> (u32, u32) {
    segments.iter().fold((0, 0), |(total, crc), (_, bytes)| {
        let pad = (4 - bytes.len() % 4) % 4;
        let crc = crc32_update(crc32_update(crc, bytes), &[0u8; 3][..pad]);
        (total + (bytes.len() + pad) as u32, crc)
    })
}

impl<'a> Plan<'a> {
    /// A plan for `segments` (word-aligned physical address, bytes) starting at `entry`.
    pub fn new(segments: &'a [(u32, &'a [u8])], entry: u32, max_payload: usize) -> Plan<'a> {
        Plan {
            segments,
            entry,
            chunk: (max_payload - 8) & !3,
            segment: 0,
            offset: 0,
            total: 0,
            crc: 0,
            known: None,
            done: false,
        }
    }

    /// This plan, its `START`'s `total` and `crc` given ([`checksum`] of its segments) rather
    /// than computed again as the `LOAD`s are made.
    pub fn with_checksum(self, (total, crc): (u32, u32)) -> Plan<'a> {
        Plan { known: Some((total, crc)), ..self }
    }

    /// Writes the next payload into `out` (which must hold `max_payload` bytes); returns its
    /// length, or `None` after `START`.
    pub fn next_payload(&mut self, out: &mut [u8]) -> Option<usize> {
        let mut head = [0u8; 16];
        let (head_len, data, pad) = self.next_parts(&mut head)?;
        let end = head_len + data.len();
        out[..head_len].copy_from_slice(&head[..head_len]);
        out[head_len..end].copy_from_slice(data);
        out[end..end + pad].fill(0);
        Some(end + pad)
    }

    /// The next payload as its parts, for a sender that builds them straight into its frame
    /// (`arq::Sender::send_parts`) instead of copying them into a payload first: the first
    /// `head_len` bytes of `head` (the operation and its words, written there), the image's
    /// bytes it carries (borrowed), and how many zeros pad them to whole words. The payloads
    /// are those of [`Plan::next_payload`]; `None` after `START`.
    pub fn next_parts(&mut self, head: &mut [u8; 16]) -> Option<(usize, &'a [u8], usize)> {
        while let Some(&(addr, bytes)) = self.segments.get(self.segment) {
            if self.offset >= bytes.len() {
                self.segment += 1;
                self.offset = 0;
                continue;
            }
            let take = (bytes.len() - self.offset).min(self.chunk);
            let pad = ((take + 3) & !3) - take;
            let data = &bytes[self.offset..self.offset + take];
            head[..4].copy_from_slice(&OP_LOAD.to_le_bytes());
            head[4..8].copy_from_slice(&(addr + self.offset as u32).to_le_bytes());
            if self.known.is_none() {
                self.crc = crc32_update(crc32_update(self.crc, data), &[0u8; 3][..pad]);
            }
            self.total += (take + pad) as u32;
            self.offset += take;
            return Some((8, data, pad));
        }
        if self.done {
            return None;
        }
        self.done = true;
        let (total, crc) = self.known.unwrap_or((self.total, self.crc));
        for (i, value) in [OP_START, self.entry, total, crc].into_iter().enumerate() {
            head[i * 4..i * 4 + 4].copy_from_slice(&value.to_le_bytes());
        }
        Some((16, &[], 0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plan_loads_every_byte_then_starts() {
        let text = [0xaau8; 30];
        let data = [0x55u8; 7];
        let segments = [(0x8000_0000, &text[..]), (0x8000_1000, &data[..])];
        let mut plan = Plan::new(&segments, 0x8000_0000, 24);
        let mut out = [0u8; 24];
        let mut loads = 0;
        let mut image = [0u8; 0x1008];
        loop {
            let n = plan.next_payload(&mut out).unwrap();
            match parse(&out[..n]).unwrap() {
                Message::Load { addr, data } => {
                    assert_eq!((addr % 4, data.len() % 4), (0, 0));
                    let at = (addr - 0x8000_0000) as usize;
                    image[at..at + data.len()].copy_from_slice(data);
                    loads += 1;
                }
                Message::Start { entry, total, crc } => {
                    assert_eq!((entry, total), (0x8000_0000, 32 + 8));
                    let mut check = crc32_update(0, &image[..32]);
                    check = crc32_update(check, &image[0x1000..0x1008]);
                    assert_eq!(crc, check);
                    break;
                }
            }
        }
        assert_eq!(loads, 3, "30 bytes in two chunks of at most 16, then 7 bytes");
        assert_eq!(&image[..30], &text[..]);
        assert_eq!(&image[0x1000..0x1007], &data[..]);
        assert_eq!(plan.next_payload(&mut out), None);
        assert_eq!(parse(&[9, 0, 0, 0]), None);
    }

    #[test]
    fn a_checksum_known_beforehand_gives_the_same_payloads() {
        let (text, data) = ([0xa5u8; 1001], [0x3cu8; 7]);
        let segments = [(0x8000_0000, &text[..]), (0x8000_1000, &data[..])];
        let (mut computed, mut known) = (
            Plan::new(&segments, 0x8000_0000, 64),
            Plan::new(&segments, 0x8000_0000, 64).with_checksum(checksum(&segments)),
        );
        let (mut a, mut b) = ([0u8; 64], [0u8; 64]);
        loop {
            let (n, m) = (computed.next_payload(&mut a), known.next_payload(&mut b));
            assert_eq!(n, m);
            let Some(n) = n else { break };
            assert_eq!(a[..n], b[..n]);
        }
    }
}
