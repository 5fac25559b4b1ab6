//! Little-endian fields in and out of byte buffers. Reading is checked: a read past the end
//! is [`DecodeError::Truncated`], never a panic; writing appends to a `Vec`.

use alloc::vec::Vec;

use crate::error::DecodeError;

/// A cursor over received bytes. Invariant: `at <= bytes.len()`.
pub(crate) struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    /// A reader at the start of `bytes`.
    pub(crate) fn new(bytes: &'a [u8]) -> Reader<'a> {
        Reader { bytes, at: 0 }
    }

    /// The next `n` bytes, or `Truncated` if fewer remain.
    pub(crate) fn take(&mut self, n: usize) -> Result<&'a [u8], DecodeError> {
        let end = self.at.checked_add(n).filter(|end| *end <= self.bytes.len());
        let Some(end) = end else {
            return Err(DecodeError::Truncated { needed: self.at.saturating_add(n), got: self.bytes.len() });
        };
        let taken = &self.bytes[self.at..end];
        self.at = end;
        Ok(taken)
    }

    /// The next byte.
    pub(crate) fn u8(&mut self) -> Result<u8, DecodeError> {
        let b = self.take(1)?;
        Ok(b[0])
    }

    /// The next little-endian `u16`.
    pub(crate) fn u16(&mut self) -> Result<u16, DecodeError> {
        let b = self.take(2)?;
        Ok(u16::from_le_bytes([b[0], b[1]]))
    }

    /// The next little-endian `u32`.
    pub(crate) fn u32(&mut self) -> Result<u32, DecodeError> {
        let b = self.take(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    /// How many bytes have been read.
    pub(crate) fn position(&self) -> usize {
        self.at
    }

    /// Everything not read yet.
    pub(crate) fn rest(&mut self) -> &'a [u8] {
        let rest = &self.bytes[self.at..];
        self.at = self.bytes.len();
        rest
    }
}

/// Appends a little-endian `u16`.
#[inline(never)]
pub(crate) fn put_u16(out: &mut Vec<u8>, value: u16) {
    put(out, value.to_le_bytes());
}

/// Appends a little-endian `u32`.
#[inline(never)]
pub(crate) fn put_u32(out: &mut Vec<u8>, value: u32) {
    put(out, value.to_le_bytes());
}

/// Appends `bytes` in place. (`extend_from_slice` is a call, with a call of `memcpy` in it,
/// for every field of every message a kernel encodes: most of an encoding's cost. The two
/// callers above are not inlined, so that every encoder does not grow by a copy of this.)
#[inline(always)]
fn put<const N: usize>(out: &mut Vec<u8>, bytes: [u8; N]) {
    out.reserve(N);
    let len = out.len();
    // Safety: `reserve` made room for `N` more bytes past `len`; they are written before the
    // length covers them, and `[u8; N]` has no alignment to keep.
    unsafe {
        out.as_mut_ptr().add(len).cast::<[u8; N]>().write_unaligned(bytes);
        out.set_len(len + N);
    }
}

/// The first `N` little-endian words of `bytes` (`None` if they are shorter): loaded a word at
/// a time where they lie word-aligned (a message in a kernel's frame buffer), else byte by
/// byte.
#[inline(always)]
pub(crate) fn le_words<const N: usize>(bytes: &[u8]) -> Option<[u32; N]> {
    let head = bytes.get(..4 * N)?;
    // Safety: a `u32` may hold any four bytes, and every byte of `head` is initialised; only
    // the aligned middle is taken, and used only when it is the whole of `head`.
    let (before, words, _) = unsafe { head.align_to::<u32>() };
    Some(match <[u32; N]>::try_from(words) {
        Ok(words) if before.is_empty() => words.map(u32::from_le),
        _ => core::array::from_fn(|i| {
            let at = 4 * i;
            u32::from_le_bytes([head[at], head[at + 1], head[at + 2], head[at + 3]])
        }),
    })
}
