//! The errors of the protocol: why bytes are not a message ([`DecodeError`]), why a message
//! cannot be encoded ([`EncodeError`]), and why payloads are not fragments of one message
//! ([`FragmentError`]). Each variant carries what a log line needs to explain it.

use core::fmt;

/// Why bytes are not a message this crate can read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DecodeError {
    /// The bytes end before the fixed part of their kind does.
    Truncated {
        /// Bytes the fixed part needs.
        needed: usize,
        /// Bytes there are.
        got: usize,
    },
    /// A version this crate does not speak; the receiver answers with a
    /// [`crate::ProtocolError`].
    UnknownVersion {
        /// The version received.
        version: u8,
        /// The process the message is about.
        pid: u32,
    },
    /// A kind this version does not define.
    UnknownKind {
        /// The kind received.
        kind: u8,
        /// The process the message is about.
        pid: u32,
    },
    /// A reserved field is not zero.
    Reserved,
    /// The declared length of the variable-length part disagrees with the bytes that follow the
    /// fixed part.
    LengthMismatch {
        /// The length the message declares.
        declared: u32,
        /// The bytes after the fixed part.
        actual: usize,
    },
    /// Bytes follow the end of a message whose kind has no variable-length part.
    TrailingBytes {
        /// How many.
        extra: usize,
    },
    /// The variable-length part is longer than [`crate::MAX_DATA`].
    DataTooLong {
        /// Its declared length.
        len: u32,
    },
    /// A call number [`ox_abi::Syscall`] does not know. The stub answers `ENOSYS`, as the
    /// kernel does for an unknown number from a local process.
    UnknownCall {
        /// The calling process.
        pid: u32,
        /// The number received.
        number: u32,
    },
    /// An error number [`ox_abi::Errno`] does not know.
    UnknownErrno(u32),
    /// A signal number [`ox_abi::Signal`] does not know.
    UnknownSignal(u32),
    /// A word that is not a wait status the kernel produces.
    BadStatus(u32),
    /// A reply with an error also carries a result; the result of a failed call is 0.
    ResultWithError,
    /// A [`crate::ProtocolError`] with a reason code this version does not define.
    UnknownReason(u8),
    /// A [`crate::Kind::Net`] message whose op or body is malformed ([`crate::net`]).
    BadNet,
}

/// Why a message cannot be encoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EncodeError {
    /// The variable-length part is longer than [`crate::MAX_DATA`].
    DataTooLong {
        /// Its length.
        len: usize,
    },
}

/// Why payloads are not the fragments of one message, or a message cannot be split.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FragmentError {
    /// The payload size is too small to carry a fragment header and the common message
    /// header ([`crate::fragment::MIN_PAYLOAD`]).
    PayloadTooSmall {
        /// The payload size asked for.
        max_payload: usize,
    },
    /// The message is longer than a fragment header can describe, or than the receiver's
    /// bound.
    TooLarge {
        /// Its total length.
        total: u64,
        /// The most the encoder or the reassembler accepts.
        limit: usize,
    },
    /// The payload is shorter than a fragment header.
    Truncated {
        /// Its length.
        len: usize,
    },
    /// A reserved bit or byte of the fragment header is not zero.
    Reserved,
    /// A fragment that does not start a message arrived while none was being reassembled.
    NotStarted {
        /// Its message id.
        id: u16,
        /// Its offset.
        offset: u32,
    },
    /// A fragment of another message arrived before the current one was complete.
    Interleaved {
        /// The id of the message being reassembled.
        expected: u16,
        /// The id received.
        got: u16,
    },
    /// A fragment starts after the end of what has arrived: bytes are missing.
    Gap {
        /// The offset the next fragment must have.
        expected: u32,
        /// The offset received.
        got: u32,
    },
    /// A fragment starts before the end of what has arrived: bytes would be received twice.
    Overlap {
        /// The offset the next fragment must have.
        expected: u32,
        /// The offset received.
        got: u32,
    },
    /// A fragment gives another total length than the first fragment of its message.
    WrongTotal {
        /// The total of the first fragment.
        expected: u32,
        /// The total received.
        got: u32,
    },
    /// A fragment's bytes run past the total length of its message.
    Overrun {
        /// Its offset.
        offset: u32,
        /// Its length.
        len: usize,
        /// The message's total length.
        total: u32,
    },
    /// The more-fragments flag disagrees with where the fragment ends.
    MoreFlag {
        /// The flag received.
        more: bool,
    },
    /// A fragment of a non-empty message carries no bytes.
    Empty,
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            DecodeError::Truncated { needed, got } => {
                write!(f, "message of {got} bytes is shorter than its fixed part of {needed}")
            }
            DecodeError::UnknownVersion { version, pid } => {
                write!(f, "unknown protocol version {version} (pid {pid})")
            }
            DecodeError::UnknownKind { kind, pid } => write!(f, "unknown message kind {kind} (pid {pid})"),
            DecodeError::Reserved => write!(f, "a reserved field is not zero"),
            DecodeError::LengthMismatch { declared, actual } => {
                write!(f, "variable part declared as {declared} bytes, {actual} present")
            }
            DecodeError::TrailingBytes { extra } => write!(f, "{extra} bytes after the end of the message"),
            DecodeError::DataTooLong { len } => write!(f, "variable part of {len} bytes is too long"),
            DecodeError::UnknownCall { pid, number } => write!(f, "unknown system call {number} (pid {pid})"),
            DecodeError::UnknownErrno(n) => write!(f, "unknown error number {n}"),
            DecodeError::UnknownSignal(n) => write!(f, "unknown signal number {n}"),
            DecodeError::BadStatus(word) => write!(f, "{word:#x} is not a wait status"),
            DecodeError::ResultWithError => write!(f, "a failed call's reply carries a result"),
            DecodeError::UnknownReason(n) => write!(f, "unknown protocol-error reason {n}"),
            DecodeError::BadNet => write!(f, "a malformed network message"),
        }
    }
}

impl fmt::Display for EncodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            EncodeError::DataTooLong { len } => write!(f, "variable part of {len} bytes is too long"),
        }
    }
}

impl fmt::Display for FragmentError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            FragmentError::PayloadTooSmall { max_payload } => {
                write!(f, "payloads of {max_payload} bytes cannot carry a fragment")
            }
            FragmentError::TooLarge { total, limit } => {
                write!(f, "message of {total} bytes exceeds the limit of {limit}")
            }
            FragmentError::Truncated { len } => write!(f, "payload of {len} bytes has no fragment header"),
            FragmentError::Reserved => write!(f, "a reserved fragment-header field is not zero"),
            FragmentError::NotStarted { id, offset } => {
                write!(f, "fragment of message {id} at offset {offset} with no message started")
            }
            FragmentError::Interleaved { expected, got } => {
                write!(f, "fragment of message {got} inside message {expected}")
            }
            FragmentError::Gap { expected, got } => {
                write!(f, "fragment at {got}, expected {expected}: a gap")
            }
            FragmentError::Overlap { expected, got } => {
                write!(f, "fragment at {got}, expected {expected}: an overlap")
            }
            FragmentError::WrongTotal { expected, got } => {
                write!(f, "fragment gives total {got}, the message's is {expected}")
            }
            FragmentError::Overrun { offset, len, total } => {
                write!(f, "fragment of {len} bytes at {offset} runs past the total of {total}")
            }
            FragmentError::MoreFlag { more } => {
                write!(f, "more-fragments flag {more} disagrees with the fragment's end")
            }
            FragmentError::Empty => write!(f, "empty fragment of a non-empty message"),
        }
    }
}
