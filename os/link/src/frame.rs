//! The frame: a 16-byte header and a payload, checked by a CRC-32.
//!
//! | offset | size | field |
//! |---|---|---|
//! | 0 | 1 | `version` ([`VERSION`]) |
//! | 1 | 1 | `kind`: [`Kind::Data`] or [`Kind::Ack`] |
//! | 2 | 2 | `channel`: which conversation ([`CHANNEL_BOOT`], ...) |
//! | 4 | 4 | `seq`: sequence number of the data frame (or of the one acknowledged) |
//! | 8 | 2 | `len`: payload length |
//! | 10 | 2 | `address`: which satellite behind a relay, 0 for the neighbour ([`Frame::address`]) |
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
    /// Where the satellite end of the conversation is attached: 0 for the node at the other end
    /// of this link, `parent × 16 + port` for one behind relaying satellites (its parent's node
    /// number and the parent's port it hangs on). Written by the central and by the relays,
    /// never by the satellite itself (docs/link-protocol.md, *Relaying*).
    pub address: u16,
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
    encode_parts(out, kind, channel, seq, &[payload])
}

/// [`encode`] without the CRC (the field stays zero), for a link port that fills it in as
/// the frame leaves (checksum offload, `CRC_AT` = 12: docs/devices.md).
pub fn encode_unsummed(out: &mut [u8], kind: Kind, channel: u16, seq: u32, payload: &[u8]) -> usize {
    encode_parts_unsummed(out, kind, channel, seq, &[payload])
}

/// [`encode_unsummed`] of the payload made of `parts` one after the other (a header and the
/// bytes it introduces, without first joining them elsewhere).
pub fn encode_parts_unsummed(out: &mut [u8], kind: Kind, channel: u16, seq: u32, parts: &[&[u8]]) -> usize {
    let payload: usize = parts.iter().map(|p| p.len()).sum();
    let len = HEADER + payload;
    let out = &mut out[..len];
    encode_header(out, kind, channel, seq, payload);
    let mut at = HEADER;
    for part in parts {
        out[at..at + part.len()].copy_from_slice(part);
        at += part.len();
    }
    len
}

/// Writes the header of a frame of a `payload`-byte payload (which follows it in `out`, or
/// will) into the first [`HEADER`] bytes of `out`, its address 0 and its CRC field zero: a
/// payload written in place first, and its header after ([`seal`] for the CRC).
#[inline]
pub fn encode_header(out: &mut [u8], kind: Kind, channel: u16, seq: u32, payload: usize) {
    out[0] = VERSION;
    out[1] = kind as u8;
    out[2..4].copy_from_slice(&channel.to_le_bytes());
    out[4..8].copy_from_slice(&seq.to_le_bytes());
    out[8..10].copy_from_slice(&(payload as u16).to_le_bytes());
    out[10..16].fill(0);
}

/// [`encode`] of the payload made of `parts`.
pub fn encode_parts(out: &mut [u8], kind: Kind, channel: u16, seq: u32, parts: &[&[u8]]) -> usize {
    let len = encode_parts_unsummed(out, kind, channel, seq, parts);
    let crc = crc_of(&out[..len]);
    out[12..16].copy_from_slice(&crc.to_le_bytes());
    len
}

/// Where the header's `address` field is.
pub const ADDRESS_AT: usize = 10;

/// The `address` of the frame in `bytes` (0 if they are too short to hold one).
pub fn address(bytes: &[u8]) -> u16 {
    bytes.get(ADDRESS_AT..ADDRESS_AT + 2).map_or(0, |b| u16::from_le_bytes([b[0], b[1]]))
}

/// Sets the `address` of the frame in `bytes` (which hold at least a header). Its CRC is then
/// stale: [`seal`] it, or let a port with checksum offload fill it in as it leaves.
pub fn set_address(bytes: &mut [u8], address: u16) {
    bytes[ADDRESS_AT..ADDRESS_AT + 2].copy_from_slice(&address.to_le_bytes());
}

/// Writes the CRC of the frame that is exactly `bytes` (a header and its payload).
pub fn seal(bytes: &mut [u8]) {
    let crc = crc_of(bytes);
    bytes[12..16].copy_from_slice(&crc.to_le_bytes());
}

/// Checks and parses a received frame.
pub fn decode(bytes: &[u8]) -> Result<Frame<'_>, FrameError> {
    let (bytes, frame) = parse_fields(bytes)?;
    let crc = u32::from_le_bytes([bytes[12], bytes[13], bytes[14], bytes[15]]);
    if crc != crc_of(bytes) {
        return Err(FrameError::Checksum);
    }
    frame
}

/// [`decode`] for a frame whose CRC the link port has checked already (checksum offload:
/// docs/devices.md): every other check, not the CRC.
#[inline]
pub fn parse(bytes: &[u8]) -> Result<Frame<'_>, FrameError> {
    parse_fields(bytes)?.1
}

/// The first three words of a frame's header (version, kind and channel; the sequence number;
/// length and address), little-endian; `None` if `bytes` are shorter than a header. Read a
/// word at a time when `bytes` lie word-aligned (the kernels' frame buffers do), else byte by
/// byte.
#[inline(always)]
fn header_words(bytes: &[u8]) -> Option<[u32; 3]> {
    let head = bytes.get(..HEADER)?;
    // Safety: a `u32` may hold any four bytes, and every byte of `head` is initialised; only
    // the aligned middle is taken, and used only when it is the whole header.
    let (before, words, _) = unsafe { head.align_to::<u32>() };
    Some(match (before.is_empty(), words) {
        (true, [a, b, c, _]) => [u32::from_le(*a), u32::from_le(*b), u32::from_le(*c)],
        _ => [0, 4, 8].map(|at| u32::from_le_bytes([head[at], head[at + 1], head[at + 2], head[at + 3]])),
    })
}

/// The frame's bytes (cut to the length its header gives) and the frame they parse to; a
/// frame shorter than its header or than that length is an error at once.
type Parsed<'a> = (&'a [u8], Result<Frame<'a>, FrameError>);

#[inline(always)]
fn parse_fields(bytes: &[u8]) -> Result<Parsed<'_>, FrameError> {
    let Some([first, seq, third]) = header_words(bytes) else {
        return Err(FrameError::Truncated);
    };
    let len = third as u16 as usize;
    let Some(bytes) = bytes.get(..HEADER + len) else {
        return Err(FrameError::Truncated);
    };
    let kind = match (first >> 8) as u8 {
        1 => Ok(Kind::Data),
        2 => Ok(Kind::Ack),
        _ => Err(FrameError::Kind),
    };
    let frame = match (first as u8, kind) {
        (VERSION, Ok(kind)) => Ok(Frame {
            kind,
            channel: (first >> 16) as u16,
            seq,
            address: (third >> 16) as u16,
            payload: &bytes[HEADER..],
        }),
        (VERSION, Err(e)) => Err(e),
        _ => Err(FrameError::Version),
    };
    Ok((bytes, frame))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_header_parses_the_same_word_aligned_or_not() {
        let mut buf = [0u8; 64];
        let n = encode(&mut buf, Kind::Ack, 0xabcd, 0x1234_5678, b"seven b");
        set_address(&mut buf[..n], 0x0312);
        let mut words = [0u32; 20];
        // Safety: the words' bytes, all initialised, any of them a valid `u8`.
        let room = unsafe { core::slice::from_raw_parts_mut(words.as_mut_ptr().cast::<u8>(), 80) };
        for offset in 0..4 {
            room[offset..offset + n].copy_from_slice(&buf[..n]);
            let frame = parse(&room[offset..offset + n]).unwrap();
            assert_eq!(
                (frame.kind, frame.channel, frame.seq, frame.address, frame.payload),
                (Kind::Ack, 0xabcd, 0x1234_5678, 0x0312, &b"seven b"[..]),
                "at {offset}"
            );
            assert_eq!(parse(&room[offset..offset + 15]), Err(FrameError::Truncated));
            assert_eq!(parse(&room[offset..offset + n - 1]), Err(FrameError::Truncated));
        }
    }

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

    #[test]
    fn an_unsummed_frame_differs_only_in_its_crc() {
        let (mut summed, mut unsummed) = ([0u8; 64], [0u8; 64]);
        let n = encode(&mut summed, Kind::Ack, 3, 41, b"xyz");
        assert_eq!(encode_unsummed(&mut unsummed, Kind::Ack, 3, 41, b"xyz"), n);
        assert_eq!(unsummed[12..16], [0; 4]);
        assert_eq!((&summed[..12], &summed[16..n]), (&unsummed[..12], &unsummed[16..n]));
        assert_eq!(decode(&unsummed[..n]), Err(FrameError::Checksum));
        let mut parts = [0u8; 64];
        assert_eq!(encode_parts(&mut parts, Kind::Ack, 3, 41, &[b"x", b"", b"yz"]), n);
        assert_eq!(parts[..n], summed[..n]);
        assert_eq!(parse(&unsummed[..n]), decode(&summed[..n]), "parse trusts the port's check");
        unsummed[0] = 9;
        assert_eq!(parse(&unsummed[..n]), Err(FrameError::Version));
        assert_eq!(parse(&unsummed[..n - 1]), Err(FrameError::Truncated));
    }

    #[test]
    fn an_address_is_set_and_sealed() {
        let mut buf = [0u8; 64];
        let n = encode(&mut buf, Kind::Data, 2, 5, b"relayed");
        assert_eq!((address(&buf[..n]), decode(&buf[..n]).unwrap().address), (0, 0));
        set_address(&mut buf[..n], 17 * 16 + 3);
        assert_eq!(decode(&buf[..n]), Err(FrameError::Checksum), "the CRC covers the address");
        seal(&mut buf[..n]);
        let frame = decode(&buf[..n]).unwrap();
        assert_eq!((frame.address, frame.seq, frame.payload), (275, 5, &b"relayed"[..]));
        assert_eq!(address(&buf[..11]), 0, "too short to hold one");
    }
}
