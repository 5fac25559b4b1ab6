//! Which parts of a forwarded call's memory travel, one table for both ends: the satellite
//! kernel copies a call's input buffer into the request's variable part and the reply's
//! variable part into the caller's output buffer; the stub on the central puts the input into
//! its own memory, points the call's pointer arguments there, and sends back what the call
//! wrote. Pointers themselves are meaningless on the other node and travel unchanged.
//!
//! A call has at most one input buffer and one output buffer, each named by the argument
//! holding its address and a length (an argument, or fixed by the ABI). Buffers are cut to
//! [`MAX_DATA`]: a longer `read` or `write` moves at most that much, a short count the caller
//! sees as with any short transfer.

use ox_abi::{Stat, Syscall};

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
        let len = match self.len {
            Len::Arg(n) => args[n] as usize,
            Len::Fixed(n) => n,
        };
        (args[self.ptr], len.min(MAX_DATA))
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

const fn buf(ptr: usize, len: Len) -> Option<Buffer> {
    Some(Buffer { ptr, len })
}

/// What moves for `call` when a satellite forwards it.
pub fn transfer(call: Syscall) -> Transfer {
    let none = Transfer::default();
    match call {
        Syscall::Write => Transfer { input: buf(1, Len::Arg(2)), ..none },
        Syscall::Read => Transfer { output: buf(1, Len::Arg(2)), output_is_result: true, ..none },
        Syscall::Open | Syscall::Mkdir | Syscall::Unlink | Syscall::Chdir => {
            Transfer { input: buf(0, Len::Arg(1)), ..none }
        }
        Syscall::Stat => {
            Transfer { input: buf(0, Len::Arg(1)), output: buf(2, Len::Fixed(Stat::SIZE)), ..none }
        }
        Syscall::Fstat => Transfer { output: buf(1, Len::Fixed(Stat::SIZE)), ..none },
        Syscall::Getcwd => Transfer { output: buf(0, Len::Arg(1)), output_is_result: true, ..none },
        Syscall::Getdents => Transfer { output: buf(1, Len::Arg(2)), output_is_result: true, ..none },
        Syscall::Ps => Transfer { output: buf(0, Len::Arg(1)), output_is_result: true, ..none },
        Syscall::Stats => Transfer { output: buf(1, Len::Arg(2)), output_is_result: true, ..none },
        Syscall::Pipe => Transfer { output: buf(0, Len::Fixed(8)), ..none },
        Syscall::Wait => Transfer { output: buf(1, Len::Fixed(4)), ..none },
        _ => none,
    }
}
