//! The frame: a 16-byte header and a payload, checked by a CRC-32.
//!
//! | offset | size | field |
//! |---|---|---|
//! | 0 | 1 | `version` ([`VERSION`]) |
//! | 1 | 1 | `kind`: [`Kind::Data`] or [`Kind::Ack`] |
//! | 2 | 2 | `channel`: which conversation ([`CHANNEL_BOOT`], ...) |
//! | 4 | 4 | `seq`: sequence number of the data frame (or of the one acknowledged) |
//! | 8 | 2 | `len`: payload length |
//! | 10 | 2 | reserved, 0 |
//! | 12 | 4 | `crc`: CRC-32 of the whole frame with this field zero |
//!
//! All fields are little-endian; the payload follows the header.

use crate::crc::crc32_update;

/// The protocol version this crate speaks.
pub const VERSION: u8 = 1;
/// Header size in bytes.
pub const HEADER: usize = 16;
/// The channel that boots satellites.
pub const CHANNEL_BOOT: u16 = 0;

/// What a frame is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Kind {
    /// Carries a payload that must be acknowledged.
    Data = 1,
    /// Acknowledges the data frame with the same channel and sequence number.
    Ack = 2,
}

/// A checked frame, borrowed from the bytes it was read from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Frame<'a> {
    /// Data or acknowledgement.
    pub kind: Kind,
    /// The conversation.
    pub channel: u16,
    /// Sequence number.
    pub seq: u32,
    /// The payload.
    pub payload: &'a [u8],
}

/// Why bytes are not a frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FrameError {
    /// Shorter than a header, or than the length the header gives.
    Truncated,
    /// Another protocol version.
    Version,
    /// An unknown kind.
    Kind,
    /// The checksum does not match: the frame was damaged.
    Checksum,
}

fn crc_of(bytes: &[u8]) -> u32 {
    let crc = crc32_update(0, &bytes[..12]);
    let crc = crc32_update(crc, &[0; 4]);
    crc32_update(crc, &bytes[HEADER..])
}

/// Writes a frame into `out` (which must hold `HEADER + payload.len()` bytes); returns its
/// length.
pub fn encode(out: &mut [u8], kind: Kind, channel: u16, seq: u32, payload: &[u8]) -> usize {
    let len = HEADER + payload.len();
    let out = &mut out[..len];
    out[0] = VERSION;
    out[1] = kind as u8;
    out[2..4].copy_from_slice(&channel.to_le_bytes());
    out[4..8].copy_from_slice(&seq.to_le_bytes());
    out[8..10].copy_from_slice(&(payload.len() as u16).to_le_bytes());
    out[10..16].fill(0);
    out[HEADER..].copy_from_slice(payload);
    let crc = crc_of(out);
    out[12..16].copy_from_slice(&crc.to_le_bytes());
    len
}

/// Checks and parses a received frame.
pub fn decode(bytes: &[u8]) -> Result<Frame<'_>, FrameError> {
    if bytes.len() < HEADER {
        return Err(FrameError::Truncated);
    }
    let len = u16::from_le_bytes([bytes[8], bytes[9]]) as usize;
    let Some(bytes) = bytes.get(..HEADER + len) else {
        return Err(FrameError::Truncated);
    };
    let crc = u32::from_le_bytes([bytes[12], bytes[13], bytes[14], bytes[15]]);
    if crc != crc_of(bytes) {
        return Err(FrameError::Checksum);
    }
    if bytes[0] != VERSION {
        return Err(FrameError::Version);
    }
    let kind = match bytes[1] {
        1 => Kind::Data,
        2 => Kind::Ack,
        _ => return Err(FrameError::Kind),
    };
    Ok(Frame {
        kind,
        channel: u16::from_le_bytes([bytes[2], bytes[3]]),
        seq: u32::from_le_bytes([bytes[4], bytes[5], bytes[6], bytes[7]]),
        payload: &bytes[HEADER..],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_rejects_damage() {
        let mut buf = [0u8; 64];
        let n = encode(&mut buf, Kind::Data, 7, 0x1234_5678, b"payload");
        let frame = decode(&buf[..n]).unwrap();
        assert_eq!(
            (frame.kind, frame.channel, frame.seq, frame.payload),
            (Kind::Data, 7, 0x1234_5678, &b"payload"[..])
        );
        for i in 0..n * 8 {
            let mut damaged = buf;
            damaged[i / 8] ^= 1 << (i % 8);
            assert!(decode(&damaged[..n]).is_err(), "bit {i} flipped went unnoticed");
        }
        assert_eq!(decode(&buf[..n - 1]), Err(FrameError::Truncated));
        assert_eq!(decode(&buf[..3]), Err(FrameError::Truncated));
    }
}
