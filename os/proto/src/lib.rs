//! The satellite message protocol: what a process on a satellite (a peripheral processor) and
//! its stub process on the central processor say to each other, after Bach's peripheral
//! processors (*The Design of the UNIX Operating System*, §13.1). A system call the satellite
//! cannot serve locally becomes a **request** ([`Request::StubExecutes`]: the call number, six
//! fixed parameters, the caller's environment and a variable-length part); the stub executes it
//! in its own context and answers with a **reply** ([`Reply`]: result, error code, signal
//! number and a variable-length part). A message longer than one link payload travels as
//! several **fragments** ([`fragment`]).
//!
//! Design principles:
//! 1. **One definition for both ends.** The central kernel, the satellite kernel and the
//!    host-side tests encode and decode with this crate; call numbers, errors and signals are
//!    those of [`ox_abi`], so the protocol cannot disagree with the system-call ABI.
//! 2. **Bytes are explicit.** Every field is written and read as little-endian bytes at a
//!    documented offset; nothing is transmuted, nothing is `unsafe`.
//! 3. **Received bytes are untrusted.** Decoding checks every length, every reserved field and
//!    every number against its type, and answers a typed error ([`DecodeError`],
//!    [`FragmentError`]) instead of panicking; the reassembler refuses a message longer than
//!    its bound before allocating anything.
//! 4. **Versioned, with a stable prefix.** The first eight bytes of every message (version,
//!    kind, reserved, pid) and the whole [`ProtocolError`] message keep their layout in every
//!    version, so a receiver can always say "I do not speak your version" to the right process.
//! 5. **No I/O.** The crate turns messages into payloads and back; the transport (`ox-link`,
//!    which delivers every payload of a channel once and in order) and the kernels move them.
//!
//! Layering: [`message`] is one message as bytes; [`fragment`] is a message as link payloads.
//! `docs/protocol.md` specifies the format for readers, with worked examples.
#![no_std]

extern crate alloc;
#[cfg(test)]
extern crate std;

pub mod calls;
mod error;
pub mod fragment;
pub mod marshal;
pub mod message;
pub mod net;
mod wire;

pub use error::{DecodeError, EncodeError, FragmentError};
pub use fragment::{FragmentHeader, Fragmenter, Reassembler};
pub use message::{
    Body, Call, Env, Kind, Message, NetEnvelope, Output, ProtocolError, Reason, Reply, Request,
};
pub use ox_abi::{Errno, Signal, Syscall, WaitStatus, MAX_ARGS};

/// The protocol version this crate speaks.
pub const VERSION: u8 = 1;

/// The `ox-link` channel of the boot transfer (`ox_link::frame::CHANNEL_BOOT`, the boot ROM's
/// `LOAD`/`START`).
pub const CHANNEL_BOOT: u16 = 0;
/// The `ox-link` channel of the satellite kernel's hello (`ox_kcore::message`), after boot.
pub const CHANNEL_SATELLITE: u16 = 1;
/// The `ox-link` channel of this protocol: on each link, the one stream of requests and
/// replies between the central processor and the satellite at the other end, in both
/// directions (each end has an `arq::Sender` and an `arq::Receiver` on it). Channels above it
/// are free for later use.
pub const CHANNEL_PROCESS: u16 = 2;

/// Most bytes in the variable-length part of one message. A longer read or write is served
/// as several calls by the satellite kernel; an image moves in pieces of at most this.
pub const MAX_DATA: usize = 16 * 1024;
/// Most requests about one image (`ForkImage`/`ExecImage`, `WriteImage`s, `ReadImage`s) the
/// central keeps unanswered at once: an image streams through both kernels a few pieces at a
/// time, never whole (at most this many pieces of [`MAX_DATA`] are queued at either end).
pub const IMAGE_WINDOW: usize = 4;
/// Most bytes of one encoded message: the longest fixed part ([`Kind::StubExecutes`], 48
/// bytes) and [`MAX_DATA`].
pub const MAX_MESSAGE: usize = message::CALL_FIXED + MAX_DATA;
