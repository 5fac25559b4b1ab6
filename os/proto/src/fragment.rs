//! A message as link payloads. A message longer than one `ox-link` payload (the link's MTU
//! less the 16-byte frame header) travels as several fragments, each a payload that opens with
//! this header (little-endian):
//!
//! | offset | size | field |
//! |---|---|---|
//! | 0 | 2 | `id`: the message's number, counted by its sender (wrapping) |
//! | 2 | 1 | `flags`: bit 0 = more fragments follow; other bits 0 |
//! | 3 | 1 | reserved, 0 |
//! | 4 | 4 | `total`: bytes of the whole message |
//! | 8 | 4 | `offset`: where this fragment's bytes go in the message |
//! | 12 | … | the bytes |
//!
//! Invariants of a well-formed sequence: on a channel, in one direction, the fragments of one
//! message are sent back to back, offsets 0, then each where the previous ended; every
//! fragment of a message has its `id` and `total`; the more flag is set exactly when the
//! fragment ends before `total`; only an empty message has an empty fragment. Because the
//! transport delivers every payload once and in order, [`Reassembler`] needs no buffer for
//! out-of-order pieces: anything else is an error. Payloads of at least [`MIN_PAYLOAD`] bytes
//! make the first fragment carry the whole common message header, so a receiver that refuses
//! a message can still address the refusal to its process.

use alloc::borrow::Cow;
use alloc::vec::Vec;

use crate::error::FragmentError;
use crate::wire::le_words;
use crate::MAX_MESSAGE;

/// Bytes of the fragment header.
pub const FRAGMENT_HEADER: usize = 12;
/// The smallest payload the encoder accepts: a fragment header and a message header.
pub const MIN_PAYLOAD: usize = FRAGMENT_HEADER + crate::message::HEADER;
/// The `flags` bit saying more fragments of the message follow.
pub const MORE: u8 = 1;

/// The header of one fragment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FragmentHeader {
    /// The message's number.
    pub id: u16,
    /// Whether more fragments of the message follow this one.
    pub more: bool,
    /// Bytes of the whole message.
    pub total: u32,
    /// Where this fragment's bytes go.
    pub offset: u32,
}

impl FragmentHeader {
    /// Appends the header to `out`.
    pub fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.to_bytes());
    }

    /// The header's bytes.
    pub fn to_bytes(&self) -> [u8; FRAGMENT_HEADER] {
        let mut out = [0; FRAGMENT_HEADER];
        out[0..2].copy_from_slice(&self.id.to_le_bytes());
        out[2] = if self.more { MORE } else { 0 };
        out[4..8].copy_from_slice(&self.total.to_le_bytes());
        out[8..12].copy_from_slice(&self.offset.to_le_bytes());
        out
    }

    /// Writes the header's bytes into the first [`FRAGMENT_HEADER`] bytes of `out` (which holds
    /// at least that many): three word stores where they lie word-aligned (in a frame the
    /// sender keeps, they do), as [`FragmentHeader::to_bytes`] gives them.
    #[inline]
    pub fn write(&self, out: &mut [u8]) {
        let out = &mut out[..FRAGMENT_HEADER];
        // Safety: any bytes are valid `u32`s, and `align_to_mut` gives only the whole, aligned
        // words within `out`.
        match unsafe { out.align_to_mut::<u32>() } {
            ([], [first, total, offset], []) => {
                let flags = if self.more { MORE } else { 0 };
                *first = (u32::from(self.id) | u32::from(flags) << 16).to_le();
                *total = self.total.to_le();
                *offset = self.offset.to_le();
            }
            _ => out.copy_from_slice(&self.to_bytes()),
        }
    }

    /// Splits an untrusted payload into its header and its bytes.
    pub fn decode(payload: &[u8]) -> Result<(FragmentHeader, &[u8]), FragmentError> {
        // The header is three words.
        let (Some([first, total, offset]), Some(bytes)) = (le_words(payload), payload.get(FRAGMENT_HEADER..))
        else {
            return Err(FragmentError::Truncated { len: payload.len() });
        };
        let [flags, reserved] = [(first >> 16) as u8, (first >> 24) as u8];
        if flags & !MORE != 0 || reserved != 0 {
            return Err(FragmentError::Reserved);
        }
        let header = FragmentHeader { id: first as u16, more: flags & MORE != 0, total, offset };
        Ok((header, bytes))
    }
}

/// Splits one encoded message into payloads of at most `max_payload` bytes, in order.
#[derive(Clone, Debug)]
pub struct Fragmenter<'a> {
    id: u16,
    message: &'a [u8],
    chunk: usize,
    offset: usize,
    done: bool,
}

impl<'a> Fragmenter<'a> {
    /// The fragments of `message`, numbered `id`, for payloads of `max_payload` bytes (for
    /// `ox-link`, `Sender::max_payload()`).
    pub fn new(id: u16, message: &'a [u8], max_payload: usize) -> Result<Fragmenter<'a>, FragmentError> {
        if max_payload < MIN_PAYLOAD {
            return Err(FragmentError::PayloadTooSmall { max_payload });
        }
        if u32::try_from(message.len()).is_err() {
            return Err(FragmentError::TooLarge { total: message.len() as u64, limit: u32::MAX as usize });
        }
        Ok(Fragmenter { id, message, chunk: max_payload - FRAGMENT_HEADER, offset: 0, done: false })
    }

    /// The fragments of `message` after those that end at byte `offset` (0 for all of them;
    /// an offset past the end leaves none): for a sender that keeps the message and how far
    /// it got, and makes each fragment when the link can take it.
    pub fn resume(
        id: u16,
        message: &'a [u8],
        max_payload: usize,
        offset: usize,
    ) -> Result<Fragmenter<'a>, FragmentError> {
        let mut fragmenter = Fragmenter::new(id, message, max_payload)?;
        fragmenter.offset = offset.min(message.len());
        fragmenter.done = offset > 0 && offset >= message.len();
        Ok(fragmenter)
    }

    /// The next fragment as its header and the message bytes it carries (which follow the
    /// header in the payload), or `None` when every fragment has been produced.
    pub fn next_parts(&mut self) -> Option<([u8; FRAGMENT_HEADER], &'a [u8])> {
        if self.done {
            return None;
        }
        let end = self.message.len().min(self.offset + self.chunk);
        let more = end < self.message.len();
        // `new` checked that the length fits in a u32, and every offset is at most the length.
        let header = FragmentHeader {
            id: self.id,
            more,
            total: self.message.len() as u32,
            offset: self.offset as u32,
        };
        let bytes = &self.message[self.offset..end];
        self.offset = end;
        self.done = !more;
        Some((header.to_bytes(), bytes))
    }

    /// Replaces `out` with the next fragment; `false` when every fragment has been produced.
    pub fn write_next(&mut self, out: &mut Vec<u8>) -> bool {
        let Some((header, bytes)) = self.next_parts() else { return false };
        out.clear();
        out.extend_from_slice(&header);
        out.extend_from_slice(bytes);
        true
    }
}

impl Iterator for Fragmenter<'_> {
    type Item = Vec<u8>;

    fn next(&mut self) -> Option<Vec<u8>> {
        let mut out = Vec::new();
        self.write_next(&mut out).then_some(out)
    }

    /// Exact: the fragments not produced yet (an empty message still takes one).
    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = match self.done {
            true => 0,
            false => (self.message.len() - self.offset).div_ceil(self.chunk).max(1),
        };
        (left, Some(left))
    }
}

impl ExactSizeIterator for Fragmenter<'_> {}

/// The message being reassembled. Invariant: `bytes.len() < total`.
#[derive(Clone, Debug)]
struct Partial {
    id: u16,
    total: u32,
    bytes: Vec<u8>,
}

/// Turns the in-order payloads of one channel direction back into whole messages, refusing
/// any message longer than its limit before allocating for it. After an error it discards the
/// message in progress and waits for the first fragment of the next one.
#[derive(Clone, Debug)]
pub struct Reassembler {
    limit: usize,
    partial: Option<Partial>,
}

impl Default for Reassembler {
    /// A reassembler for messages of up to [`MAX_MESSAGE`] bytes.
    fn default() -> Reassembler {
        Reassembler::new(MAX_MESSAGE)
    }
}

impl Reassembler {
    /// A reassembler for messages of at most `limit` bytes.
    pub fn new(limit: usize) -> Reassembler {
        Reassembler { limit, partial: None }
    }

    /// Whether no message is half-received.
    pub fn is_idle(&self) -> bool {
        self.partial.is_none()
    }

    /// Takes the next payload; returns the message it completes, if it completes one.
    pub fn push(&mut self, payload: &[u8]) -> Result<Option<Vec<u8>>, FragmentError> {
        Ok(self.push_in_place(payload)?.map(Cow::into_owned))
    }

    /// [`Reassembler::push`], but a message that came whole in `payload` is left there
    /// (`Cow::Borrowed`; one gathered from several is `Cow::Owned`): the common case of a short
    /// message, read where it arrived with no copy and no heap.
    pub fn push_in_place<'a>(&mut self, payload: &'a [u8]) -> Result<Option<Cow<'a, [u8]>>, FragmentError> {
        let result = self.accept(payload);
        if result.is_err() {
            self.partial = None;
        }
        result
    }

    fn accept<'a>(&mut self, payload: &'a [u8]) -> Result<Option<Cow<'a, [u8]>>, FragmentError> {
        let (h, bytes) = FragmentHeader::decode(payload)?;
        if let Some(p) = &self.partial {
            if h.id != p.id {
                return Err(FragmentError::Interleaved { expected: p.id, got: h.id });
            }
            if h.total != p.total {
                return Err(FragmentError::WrongTotal { expected: p.total, got: h.total });
            }
        }
        if u64::from(h.total) > self.limit as u64 {
            return Err(FragmentError::TooLarge { total: h.total.into(), limit: self.limit });
        }
        let end = u64::from(h.offset) + bytes.len() as u64;
        if end > u64::from(h.total) {
            return Err(FragmentError::Overrun { offset: h.offset, len: bytes.len(), total: h.total });
        }
        if h.more != (end < u64::from(h.total)) {
            return Err(FragmentError::MoreFlag { more: h.more });
        }
        if bytes.is_empty() && h.total != 0 {
            return Err(FragmentError::Empty);
        }
        let Some(p) = &mut self.partial else {
            if h.offset != 0 {
                return Err(FragmentError::NotStarted { id: h.id, offset: h.offset });
            }
            if !h.more {
                return Ok(Some(Cow::Borrowed(bytes)));
            }
            let mut buffer = Vec::with_capacity(h.total as usize);
            buffer.extend_from_slice(bytes);
            self.partial = Some(Partial { id: h.id, total: h.total, bytes: buffer });
            return Ok(None);
        };
        // The partial holds fewer than `total` bytes, which fits in a u32.
        let expected = p.bytes.len() as u32;
        if h.offset > expected {
            return Err(FragmentError::Gap { expected, got: h.offset });
        }
        if h.offset < expected {
            return Err(FragmentError::Overlap { expected, got: h.offset });
        }
        p.bytes.extend_from_slice(bytes);
        if h.more {
            return Ok(None);
        }
        Ok(self.partial.take().map(|p| Cow::Owned(p.bytes)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    fn fragment(id: u16, more: bool, total: u32, offset: u32, bytes: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        FragmentHeader { id, more, total, offset }.encode(&mut out);
        out.extend_from_slice(bytes);
        out
    }

    #[test]
    fn a_header_reads_the_same_word_aligned_or_not() {
        let header = FragmentHeader { id: 0xbeef, more: true, total: 0x0102_0304, offset: 0x0a0b_0c0d };
        let bytes = fragment(header.id, header.more, header.total, header.offset, b"xyz");
        let mut words = [0u32; 8];
        // Safety: the words' bytes, all initialised, any of them a valid `u8`.
        let room = unsafe { core::slice::from_raw_parts_mut(words.as_mut_ptr().cast::<u8>(), 32) };
        for offset in 0..4 {
            room[offset..offset + bytes.len()].copy_from_slice(&bytes);
            let there = &room[offset..offset + bytes.len()];
            assert_eq!(FragmentHeader::decode(there), Ok((header, &b"xyz"[..])), "at {offset}");
            room[offset + 3] = 1;
            assert_eq!(
                FragmentHeader::decode(&room[offset..offset + bytes.len()]),
                Err(FragmentError::Reserved)
            );
            // Written there, word-aligned or not, it is the bytes `to_bytes` gives.
            for header in [header, FragmentHeader { id: 7, more: false, total: 12, offset: 0 }] {
                room.fill(0xff);
                header.write(&mut room[offset..]);
                assert_eq!(room[offset..offset + FRAGMENT_HEADER], header.to_bytes(), "at {offset}");
                assert!(room[offset + FRAGMENT_HEADER..].iter().all(|&b| b == 0xff));
            }
        }
    }

    #[test]
    fn splits_and_joins() {
        let message: Vec<u8> = (0..100u8).collect();
        let mut fragmenter = Fragmenter::new(5, &message, 40).unwrap();
        assert_eq!(fragmenter.len(), 4);
        let first = fragmenter.next().unwrap();
        assert_eq!(fragmenter.len(), 3);
        let mut pieces = vec![first];
        pieces.extend(fragmenter);
        assert_eq!(pieces.len(), 4);
        assert!(pieces.iter().all(|p| p.len() <= 40));
        assert_eq!(pieces[0][..FRAGMENT_HEADER], [5, 0, 1, 0, 100, 0, 0, 0, 0, 0, 0, 0]);
        assert_eq!(pieces[3][..FRAGMENT_HEADER], [5, 0, 0, 0, 100, 0, 0, 0, 84, 0, 0, 0]);
        let mut joiner = Reassembler::default();
        let mut whole = Vec::new();
        for piece in &pieces {
            assert!(whole.is_empty());
            if let Some(message) = joiner.push(piece).unwrap() {
                whole = message;
            }
        }
        assert_eq!(whole, message);
        assert!(joiner.is_idle());
    }

    #[test]
    fn an_empty_message_is_one_empty_fragment() {
        assert_eq!(Fragmenter::new(0, &[], MIN_PAYLOAD).unwrap().len(), 1);
        let pieces: Vec<Vec<u8>> = Fragmenter::new(0, &[], MIN_PAYLOAD).unwrap().collect();
        assert_eq!(pieces, vec![vec![0; FRAGMENT_HEADER]]);
        assert_eq!(Reassembler::default().push(&pieces[0]), Ok(Some(Vec::new())));
        assert_eq!(
            Fragmenter::new(0, &[], MIN_PAYLOAD - 1).unwrap_err(),
            FragmentError::PayloadTooSmall { max_payload: MIN_PAYLOAD - 1 }
        );
    }

    #[test]
    fn malformed_sequences_are_refused_and_forgotten() {
        let mut r = Reassembler::new(64);
        assert_eq!(r.push(&[0; 11]), Err(FragmentError::Truncated { len: 11 }));
        assert_eq!(
            r.push(&fragment(1, true, 65, 0, b"x")),
            Err(FragmentError::TooLarge { total: 65, limit: 64 })
        );
        assert_eq!(
            r.push(&fragment(1, true, 4, 2, b"x")),
            Err(FragmentError::NotStarted { id: 1, offset: 2 })
        );
        assert_eq!(r.push(&fragment(1, false, 4, 0, b"x")), Err(FragmentError::MoreFlag { more: false }));
        assert_eq!(
            r.push(&fragment(1, true, 1, 0, b"xy")),
            Err(FragmentError::Overrun { offset: 0, len: 2, total: 1 })
        );
        assert_eq!(r.push(&fragment(1, true, 4, 0, b"")), Err(FragmentError::Empty));
        let mut bad_flags = fragment(1, true, 4, 0, b"x");
        bad_flags[2] = 3;
        assert_eq!(r.push(&bad_flags), Err(FragmentError::Reserved));
        assert_eq!(r.push(&fragment(1, true, 4, 0, b"ab")), Ok(None));
        assert_eq!(
            r.push(&fragment(2, false, 4, 2, b"cd")),
            Err(FragmentError::Interleaved { expected: 1, got: 2 })
        );
        assert!(r.is_idle(), "an error forgets the message in progress");
        assert_eq!(
            r.push(&fragment(1, false, 4, 2, b"cd")),
            Err(FragmentError::NotStarted { id: 1, offset: 2 })
        );
        assert_eq!(r.push(&fragment(1, true, 4, 0, b"ab")), Ok(None));
        assert_eq!(
            r.push(&fragment(1, false, 5, 2, b"cd")),
            Err(FragmentError::WrongTotal { expected: 4, got: 5 })
        );
        assert_eq!(r.push(&fragment(1, true, 4, 0, b"a")), Ok(None));
        assert_eq!(r.push(&fragment(1, false, 4, 2, b"cd")), Err(FragmentError::Gap { expected: 1, got: 2 }));
        assert_eq!(r.push(&fragment(1, true, 4, 0, b"ab")), Ok(None));
        assert_eq!(
            r.push(&fragment(1, false, 4, 1, b"bcd")),
            Err(FragmentError::Overlap { expected: 2, got: 1 })
        );
        assert_eq!(r.push(&fragment(1, true, 4, 0, b"ab")), Ok(None));
        assert_eq!(r.push(&fragment(1, false, 4, 2, b"cd")), Ok(Some(b"abcd".to_vec())));
    }

    #[test]
    fn a_message_in_one_fragment_is_left_where_it_came() {
        let mut r = Reassembler::default();
        let whole = fragment(3, false, 4, 0, b"abcd");
        let Ok(Some(Cow::Borrowed(bytes))) = r.push_in_place(&whole) else { panic!("not whole") };
        assert!(core::ptr::eq(bytes, &whole[FRAGMENT_HEADER..]), "left in the payload");
        assert_eq!(r.push_in_place(&fragment(4, true, 4, 0, b"ab")), Ok(None));
        assert_eq!(r.push_in_place(&fragment(4, false, 4, 2, b"cd")), Ok(Some(Cow::Owned(b"abcd".to_vec()))));
        assert!(r.is_idle());
        // A whole message while another is half received breaks the sequence, as with `push`.
        assert_eq!(r.push_in_place(&fragment(5, true, 4, 0, b"ab")), Ok(None));
        assert_eq!(r.push_in_place(&whole), Err(FragmentError::Interleaved { expected: 5, got: 3 }));
    }
}
