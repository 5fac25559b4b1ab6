//! How a forwarded call's memory travels; which buffers each call has is the call table's
//! ([`crate::calls`], [`Home::transfer`](crate::calls::Home::transfer)). The satellite
//! kernel copies a call's input buffer into the request's variable part and the reply's
//! variable part into the caller's output buffer; the stub on the central puts the input into
//! its own memory, points the call's pointer arguments there, and sends back what the call
//! wrote. Pointers themselves are meaningless on the other node and travel unchanged.
//!
//! A call has at most one input buffer and one output buffer, each named by the argument
//! holding its address and a length (an argument, or fixed by the ABI). Buffers are cut to
//! [`MAX_DATA`]: a longer `read` or `write` moves at most that much, a short count the caller
//! sees as with any short transfer.
//!
//! Three calls move more than one buffer, or something that is not in the caller's memory,
//! and have a variable part of their own: `exec` ([`exec_data`]: the name and every argument)
//! and `fork`/`rfork` ([`fork_data`]: the pc the child resumes at, which the stub sends in its
//! `Start`).

use alloc::vec;
use alloc::vec::Vec;

use ox_abi::{Errno, MAX_ARGC, MAX_ARG_BYTES, MAX_NAME};

use crate::MAX_DATA;

/// How long a buffer is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Len {
    /// The value of argument `n` (cut to [`MAX_DATA`]).
    Arg(usize),
    /// A length fixed by the ABI.
    Fixed(usize),
}

/// One buffer of a call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Buffer {
    /// The argument that holds its address.
    pub ptr: usize,
    /// Its length.
    pub len: Len,
}

impl Buffer {
    /// The buffer's address and length in a call with `args`, the length cut to
    /// [`MAX_DATA`]. A null output pointer (`wait`'s status) means "no output": both ends
    /// skip it and the stub passes 0 on.
    pub fn resolve(&self, args: &[u32; 6]) -> (u32, usize) {
        let (ptr, whole) = self.whole(args);
        (ptr, whole.min(MAX_DATA))
    }

    /// The buffer's address and its whole length as the caller gave it: what the caller's
    /// kernel checks, and what a streamed output may fill (a `read` of a file, whose data
    /// travels in [`Output`](crate::Output) messages, is not cut to one message's data).
    pub fn whole(&self, args: &[u32; 6]) -> (u32, usize) {
        let len = match self.len {
            Len::Arg(n) => args[n] as usize,
            Len::Fixed(n) => n,
        };
        (args[self.ptr], len)
    }
}

/// What moves for one call.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Transfer {
    /// Read from the caller's memory before the call: the request's data.
    pub input: Option<Buffer>,
    /// Written to the caller's memory after the call: the reply's data.
    pub output: Option<Buffer>,
    /// The output's valid length is the call's result (`read`, `getcwd`, `getdents`), not
    /// the whole buffer.
    pub output_is_result: bool,
}

/// Copies in `exec(name, name_len, argv, argc)`'s name and arguments with `copy_in` (the
/// caller's checked copy), with `exec`'s limits: `ENOENT` for a name longer than
/// [`MAX_NAME`], `E2BIG` for more than [`MAX_ARGC`] arguments or [`MAX_ARG_BYTES`] bytes.
pub fn exec_args(
    mut copy_in: impl FnMut(u32, &mut [u8]) -> Result<(), Errno>,
    [name, name_len, argv, argc, ..]: [u32; 6],
) -> Result<(Vec<u8>, Vec<Vec<u8>>), Errno> {
    if name_len as usize > MAX_NAME {
        return Err(Errno::NoEnt);
    }
    if argc as usize > MAX_ARGC {
        return Err(Errno::TooBig);
    }
    let mut name_bytes = vec![0; name_len as usize];
    copy_in(name, &mut name_bytes)?;
    let mut args = Vec::with_capacity(argc as usize);
    let mut total = 0;
    for i in 0..argc {
        let mut slice = [0; 8];
        copy_in(argv.wrapping_add(8 * i), &mut slice)?;
        let ptr = u32::from_le_bytes([slice[0], slice[1], slice[2], slice[3]]);
        let len = u32::from_le_bytes([slice[4], slice[5], slice[6], slice[7]]) as usize;
        total += len;
        if total > MAX_ARG_BYTES {
            return Err(Errno::TooBig);
        }
        let mut arg = vec![0; len];
        copy_in(ptr, &mut arg)?;
        args.push(arg);
    }
    Ok((name_bytes, args))
}

/// The variable part of a forwarded `exec`: the name, then each argument, each as a 4-byte
/// length and its bytes. Within `exec`'s limits it is at most 4 + 64 + 32 × 4 + 4096 bytes.
pub fn exec_data(name: &[u8], args: &[Vec<u8>]) -> Vec<u8> {
    let mut out = Vec::new();
    for piece in core::iter::once(name).chain(args.iter().map(Vec::as_slice)) {
        out.extend_from_slice(&(piece.len() as u32).to_le_bytes());
        out.extend_from_slice(piece);
    }
    out
}

/// Reads [`exec_data`] back, with `exec`'s limits (`ENOENT`, `E2BIG`); `EINVAL` if the bytes
/// are not a name and arguments.
pub fn exec_from_data(mut data: &[u8]) -> Result<(Vec<u8>, Vec<Vec<u8>>), Errno> {
    let mut pieces = Vec::new();
    while !data.is_empty() {
        let len = data.get(..4).ok_or(Errno::Inval)?;
        let len = u32::from_le_bytes([len[0], len[1], len[2], len[3]]) as usize;
        let piece = data.get(4..4 + len).ok_or(Errno::Inval)?;
        pieces.push(piece.to_vec());
        data = &data[4 + len..];
    }
    if pieces.is_empty() {
        return Err(Errno::Inval);
    }
    let name = pieces.remove(0);
    if name.len() > MAX_NAME {
        return Err(Errno::NoEnt);
    }
    if pieces.len() > MAX_ARGC || pieces.iter().map(Vec::len).sum::<usize>() > MAX_ARG_BYTES {
        return Err(Errno::TooBig);
    }
    Ok((name, pieces))
}

/// The variable part of a forwarded `fork` or `rfork`: the caller's resume pc (after its
/// `syscall`), little-endian.
pub fn fork_data(pc: u32) -> Vec<u8> {
    pc.to_le_bytes().to_vec()
}

/// Reads [`fork_data`] back.
pub fn fork_pc(data: &[u8]) -> Option<u32> {
    let bytes: [u8; 4] = data.try_into().ok()?;
    Some(u32::from_le_bytes(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exec_data_round_trips_and_keeps_the_limits() {
        let args = vec![b"echo".to_vec(), b"".to_vec(), b"hello there".to_vec()];
        let data = exec_data(b"echo", &args);
        assert_eq!(&data[..8], &[4, 0, 0, 0, b'e', b'c', b'h', b'o']);
        assert_eq!(exec_from_data(&data), Ok((b"echo".to_vec(), args)));
        assert_eq!(exec_from_data(&data[..data.len() - 1]), Err(Errno::Inval));
        assert_eq!(exec_from_data(&[]), Err(Errno::Inval));
        assert_eq!(exec_from_data(&exec_data(&[b'x'; MAX_NAME + 1], &[])), Err(Errno::NoEnt));
        let many = vec![Vec::new(); MAX_ARGC + 1];
        assert_eq!(exec_from_data(&exec_data(b"x", &many)), Err(Errno::TooBig));
        let long = vec![vec![b'a'; MAX_ARG_BYTES], vec![b'b']];
        assert_eq!(exec_from_data(&exec_data(b"x", &long)), Err(Errno::TooBig));
        let most = vec![vec![b'a'; MAX_ARG_BYTES / MAX_ARGC]; MAX_ARGC];
        assert!(exec_data(&[b'n'; MAX_NAME], &most).len() <= MAX_DATA);
    }

    #[test]
    fn exec_args_copies_in_with_the_limits() {
        // A caller's memory: the name at 0x100, argv (two ArgSlices) at 0x200, strings at 0x300.
        let mut memory = vec![0u8; 0x400];
        memory[0x100..0x104].copy_from_slice(b"echo");
        memory[0x300..0x306].copy_from_slice(b"echohi");
        for (i, (ptr, len)) in [(0x300u32, 4u32), (0x304, 2)].into_iter().enumerate() {
            memory[0x200 + 8 * i..0x204 + 8 * i].copy_from_slice(&ptr.to_le_bytes());
            memory[0x204 + 8 * i..0x208 + 8 * i].copy_from_slice(&len.to_le_bytes());
        }
        let copy_in = |va: u32, buf: &mut [u8]| {
            let at = va as usize;
            buf.copy_from_slice(memory.get(at..at + buf.len()).ok_or(Errno::Fault)?);
            Ok(())
        };
        let got = exec_args(copy_in, [0x100, 4, 0x200, 2, 0, 0]);
        assert_eq!(got, Ok((b"echo".to_vec(), vec![b"echo".to_vec(), b"hi".to_vec()])));
        assert_eq!(exec_args(copy_in, [0x100, 4, 0x3fc, 2, 0, 0]), Err(Errno::Fault));
        assert_eq!(exec_args(copy_in, [0x100, 65, 0x200, 2, 0, 0]), Err(Errno::NoEnt));
        assert_eq!(exec_args(copy_in, [0x100, 4, 0x200, 33, 0, 0]), Err(Errno::TooBig));
    }

    #[test]
    fn placement_words_round_trip() {
        use ox_abi::Placement;
        let all = [Placement::Local, Placement::LeastLoaded, Placement::RoundRobin, Placement::Node(1)];
        for policy in all.into_iter().chain([Placement::Node(255)]) {
            assert_eq!(Placement::decode(policy.encode()), Some(policy));
        }
        assert_eq!(Placement::Node(2).encode(), 0x204);
        for bad in [0, 5, 0x101, 0x4, 0x1_0004, 0x1ff] {
            assert_eq!(Placement::decode(bad), None, "{bad:#x}");
        }
    }

    #[test]
    fn fork_data_is_the_pc() {
        assert_eq!(fork_data(0x1_0234), [0x34, 0x02, 0x01, 0]);
        assert_eq!(fork_pc(&fork_data(0x1_0234)), Some(0x1_0234));
        assert_eq!(fork_pc(&[1, 2, 3]), None);
    }
}
