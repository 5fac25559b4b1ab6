//! One message as bytes: the requests a satellite process sends its stub (and the central
//! sends a satellite), the replies, and the protocol error. Every message opens with the
//! common header; all fields are little-endian.
//!
//! | offset | size | field |
//! |---|---|---|
//! | 0 | 1 | `version` ([`crate::VERSION`]) |
//! | 1 | 1 | `kind` ([`Kind`]) |
//! | 2 | 2 | reserved, 0 |
//! | 4 | 4 | `pid`: the process the message is about (the caller, the target, the child) |
//! | 8 | … | the body of the kind |
//!
//! Bodies (offsets from the start of the message; `n` is the length of the variable part):
//!
//! - [`Kind::StubExecutes`] (satellite → central): `call` 8, `args[0..6]` 12..36, `uid` 36,
//!   `gid` 40, `n` 44, data 48.. ([`CALL_FIXED`] = 48).
//! - [`Kind::StubFetches`] (satellite → central): `call` 8, `args[0..6]` 12..36, `uid` 36,
//!   `gid` 40; no data.
//! - [`Kind::Signal`] (either way: deliver it, or interrupt the call being executed): `signal` 8.
//! - [`Kind::Exit`] (satellite → central): `status` 8 (an [`ox_abi::WaitStatus`] word).
//! - [`Kind::ForkImage`] (central → satellite): `parent` 8, `uid` 12, `gid` 16, `size` 20.
//! - [`Kind::ReadImage`] (central → satellite): `offset` 8, `len` 12.
//! - [`Kind::WriteImage`] (central → satellite): `offset` 8, `n` 12, data 16...
//! - [`Kind::Start`] (central → satellite): `pc` 8.
//! - [`Kind::ExecImage`] (central → satellite): `size` 8.
//! - [`Kind::Parent`] (central → satellite): `ppid` 8.
//! - [`Kind::ForkHere`] (central → satellite): `parent` 8, `pc` 12.
//! - [`Kind::Freeze`] (central → satellite): no body.
//! - [`Kind::Frozen`] (satellite → central): `pc` 8, `asleep` 12 (0 or 1).
//! - [`Kind::Load`] (either way): `word` 8 — the report period in ticks (central →
//!   satellite), or the processes that can run (satellite → central).
//! - [`Kind::Stats`] (central → satellite): no body; the reply's data is the satellite's
//!   [`ox_abi::NodeStats`].
//! - [`Kind::CopyIn`] (central → satellite): `addr` 8, `len` 12.
//! - [`Kind::CopyOut`] (central → satellite): `addr` 8, `n` 12, data 16...
//! - [`Kind::Prefetch`] (central → satellite): `on` 8 (0 or 1).
//! - [`Kind::MoveSpace`] (central → satellite): `node` 8.
//! - [`Kind::Net`] (either way, between kernels): `op` 8, `to` 12, `from` 16, `n` 20, the op's
//!   body 24.. ([`crate::net`]).
//! - [`Kind::Reply`] (either way, answering a request): `result` 8, `errno` 12, `signal` 16,
//!   `n` 20, data 24...
//! - [`Kind::ProtocolError`] (either way, answering an undecodable request): `reason` 8,
//!   the `version` 9 and `kind` 10 received, reserved 11.
//!
//! Invariants: a message is exactly its fixed part and its variable part (no trailing bytes);
//! the variable part is at most [`crate::MAX_DATA`] bytes; reserved fields are zero; a reply's
//! `result` is 0 when its `errno` is not; numbers that name a call, an error, a signal or a
//! wait status are ones [`ox_abi`] defines. Kinds from `0x80` up are answers in every version,
//! and a receiver never answers an answer.

use alloc::borrow::Cow;
use alloc::vec::Vec;

use ox_abi::{Errno, Signal, Syscall, WaitStatus, MAX_ARGS};

use crate::error::{DecodeError, EncodeError};
use crate::net::{InlineMessage, InlineRead, Net, NetOp, Sink, WordArea};
use crate::wire::{le_words, put_u16, put_u32, Reader};
use crate::{MAX_DATA, VERSION};

/// Bytes of the common header.
pub const HEADER: usize = 8;
/// Bytes of the fixed part of [`Kind::StubExecutes`], the longest fixed part.
pub const CALL_FIXED: usize = 48;
/// Bytes of the fixed part of [`Kind::Reply`].
pub const REPLY_FIXED: usize = 24;

/// The tag of a message: what it asks for or answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Kind {
    /// The stub executes a system call on the client's behalf.
    StubExecutes = 1,
    /// Central → satellite: deliver a signal to a process on the satellite (a `kill` aimed at
    /// a remote process, forwarded by its idle stub). Satellite → central: the process has a
    /// signal to deliver while it waits for a call's reply: interrupt the call. No reply.
    Signal = 2,
    /// The process on the satellite has ended; its stub exits too. No reply.
    Exit = 3,
    /// Accept a new process whose image follows (the satellite's process server).
    ForkImage = 4,
    /// Send a piece of a process's image (the parent's, for a fork on a satellite).
    ReadImage = 5,
    /// Store a piece of a new process's image.
    WriteImage = 6,
    /// Start a new process whose image is complete, at a given PC (or, after
    /// [`Kind::ExecImage`], build the exec'd image for the process to switch to).
    Start = 7,
    /// Accept a new image for a live process that is in `exec` (it follows in
    /// [`Kind::WriteImage`]s, then [`Kind::Start`]).
    ExecImage = 8,
    /// The process's logical parent changed (its parent exited; init adopted it). No reply.
    Parent = 9,
    /// Fork a process of the satellite there: the child's memory is the parent's by
    /// inheritance (copy-on-write, shared, or absent), no image travels.
    ForkHere = 10,
    /// Central → satellite: stop the process at its next return to user mode and report it
    /// [`Kind::Frozen`] (its stub migrates it). No reply.
    Freeze = 11,
    /// Satellite → central: the process is stopped at its return to user mode, to resume at
    /// `pc`, its registers and memory still, for its stub to move it. The reply's result is 1
    /// if it moved (the process here ends, without an `Exit`), 0 if it stays.
    Frozen = 12,
    /// Central → satellite: report the load every `word` ticks (0: stop). Satellite →
    /// central: the load, `word` processes that can run. No reply (load balancing).
    Load = 13,
    /// Report the satellite's kernel counters ([`ox_abi::NodeStats`]) in the reply's data.
    /// Numbered apart from the process kinds (1..), which may grow.
    Stats = 16,
    /// Between the nodes' kernels: a port message, or the bookkeeping of rights
    /// ([`crate::net`]). The central relays one addressed to another satellite. No reply.
    Net = 17,
    /// As [`Kind::StubExecutes`], without the prefetch cache: no data travels; the stub
    /// reads and writes the caller's memory with [`Kind::CopyIn`] and [`Kind::CopyOut`] as
    /// the call's code needs it.
    StubFetches = 18,
    /// Central → satellite, while the process waits for the reply to a [`Kind::StubFetches`]
    /// call: reply with `len` bytes of its memory at `addr`.
    CopyIn = 19,
    /// Central → satellite, as [`Kind::CopyIn`]: store the data at `addr` of the process's
    /// memory; the reply's result is 0.
    CopyOut = 20,
    /// Central → satellite: forward calls with their buffers (`on` 1, the prefetch cache) or
    /// without ([`Kind::StubFetches`], `on` 0). No reply.
    Prefetch = 21,
    /// Central → satellite, for a process frozen to migrate whose image went to node `node`:
    /// send its port name space there (a [`Kind::Net`] `Space`, which goes ahead of the
    /// reply), and reply with the number of names; `EBUSY` if the space cannot move.
    MoveSpace = 22,
    /// The answer to a request.
    Reply = 0x80,
    /// The answer to a request the receiver could not decode.
    ProtocolError = 0x81,
    /// Central → satellite: part of what the call in progress writes to its caller's memory,
    /// sent ahead of its [`Kind::Reply`] while the rest is still being produced (a large
    /// `read` of a file streams its data so the link carries it while the disk is read).
    Output = 0x82,
}

impl Kind {
    /// Every kind, in number order.
    pub const ALL: [Kind; 23] = [
        Kind::StubExecutes,
        Kind::Signal,
        Kind::Exit,
        Kind::ForkImage,
        Kind::ReadImage,
        Kind::WriteImage,
        Kind::Start,
        Kind::ExecImage,
        Kind::Parent,
        Kind::ForkHere,
        Kind::Freeze,
        Kind::Frozen,
        Kind::Load,
        Kind::Stats,
        Kind::Net,
        Kind::StubFetches,
        Kind::CopyIn,
        Kind::CopyOut,
        Kind::Prefetch,
        Kind::MoveSpace,
        Kind::Reply,
        Kind::ProtocolError,
        Kind::Output,
    ];

    /// The kind with tag `tag`, if this version defines one.
    pub fn from_tag(tag: u8) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| *k as u8 == tag)
    }

    /// Whether the tag is an answer (from `0x80` up, in every version): never answered.
    pub fn is_answer_tag(tag: u8) -> bool {
        tag >= 0x80
    }
}

/// The caller's environment that travels with a request. The current directory does not: as
/// in Bach's design it lives on the stub, which executes `chdir` and resolves relative paths
/// against its own.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Env {
    /// User id.
    pub uid: u32,
    /// Group id.
    pub gid: u32,
}

/// A system call for the stub to execute ([`Kind::StubExecutes`], or [`Kind::StubFetches`]
/// when it is not `prefetched`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Call {
    /// The call.
    pub call: Syscall,
    /// Its fixed parameters, `a0`..`a5` as the process passed them (unused ones 0). Pointers
    /// stay as they are, meaningless to the stub: what they point to travels in `data`.
    pub args: [u32; MAX_ARGS],
    /// Who is calling.
    pub env: Env,
    /// The variable-length part: what the call reads from the caller's memory (a path, the
    /// data of a write), copied in by the satellite kernel.
    pub data: Vec<u8>,
    /// Whether the call's buffers travel with it and its reply (the prefetch cache): its
    /// input in `data`, its output in the reply's. Without it, `data` is empty and the stub
    /// copies from and to the caller's memory with [`Request::CopyIn`] and
    /// [`Request::CopyOut`], a round trip each.
    pub prefetched: bool,
}

/// What a request asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Request {
    /// The stub executes the call on the client's behalf and replies.
    StubExecutes(Call),
    /// Deliver this signal to the process. No reply.
    Signal(Signal),
    /// The process ended this way. No reply.
    Exit(WaitStatus),
    /// Accept the process `pid`, logically a child of `parent`, with `env`; its image of
    /// `size` bytes follows in [`Request::WriteImage`]s.
    ForkImage {
        /// The logical parent (the process that forked).
        parent: u32,
        /// The child's environment, the parent's.
        env: Env,
        /// Bytes of the image.
        size: u32,
    },
    /// Reply with up to `len` bytes of the process's image from `offset`; the reply's result is
    /// the image's total size.
    ReadImage {
        /// Where in the image.
        offset: u32,
        /// Most bytes wanted.
        len: u32,
    },
    /// Store `data` at `offset` of the image of a process accepted by [`Request::ForkImage`].
    WriteImage {
        /// Where in the image.
        offset: u32,
        /// The bytes.
        data: Vec<u8>,
    },
    /// The image is complete: start the process at `pc`, with `fork`'s result 0 in `a0`; or,
    /// for an image announced by [`Request::ExecImage`], build it (to resume at `pc`) for the
    /// process to switch to when its `exec` succeeds.
    Start {
        /// Where the child resumes: after the parent's `syscall` (for an exec: the entry).
        pc: u32,
    },
    /// The live process `pid`, in `exec`, gets a new image of `size` bytes; it follows in
    /// [`Request::WriteImage`]s and is built by [`Request::Start`].
    ExecImage {
        /// Bytes of the image.
        size: u32,
    },
    /// The process's logical parent is now `ppid` (its parent exited): the satellite's cached
    /// `getppid`. No reply.
    Parent {
        /// The new parent (init, 1).
        ppid: u32,
    },
    /// Create the process `pid`, a child of `parent` — a process of this satellite sleeping
    /// in its forwarded `fork` — from `parent`'s address space by inheritance (Mach's
    /// `task_create`: copy-on-write for copy regions, the same memory for share regions,
    /// nothing for none regions), its registers and signal dispositions, resuming at `pc` with
    /// `fork`'s result 0 in `a0`. The reply says whether it runs.
    ForkHere {
        /// The process that forked, on this satellite.
        parent: u32,
        /// Where the child resumes: after the parent's `syscall`.
        pc: u32,
    },
    /// Stop the process `pid` at its next return to user mode, and report [`Request::Frozen`]
    /// (process migration: its stub moves it). No reply.
    Freeze,
    /// The process `pid` stopped at its return to user mode, to resume at `pc` (asked by
    /// [`Request::Freeze`]): its registers and memory stay still until the reply, so its stub
    /// can read its image (`ReadImage`, with the registers exact). The reply's result is 1 if
    /// it moved elsewhere (it ends here, without an `Exit`), 0 if it stays.
    Frozen {
        /// Where it resumes.
        pc: u32,
        /// It was asleep in a call, broken off for the move, which it makes again where it
        /// resumes (`pc` is the call's): it is asleep in it, logically.
        asleep: bool,
    },
    /// Load balancing, no reply: from the central, report the load every this many ticks (0:
    /// stop); from a satellite, its load — the processes there that can run. `pid` is 0.
    Load(u32),
    /// Reply with the satellite's kernel counters: result [`ox_abi::NodeStats::SIZE`], data
    /// the encoded counters. `pid` is the process that asked (`stats`), which waits for the
    /// reply.
    Stats,
    /// A port message or right bookkeeping between kernels ([`crate::net`]). `pid` is 0.
    Net(Net),
    /// Reply with `len` bytes (at most [`MAX_DATA`]) of the memory of process `pid`, which
    /// waits for the reply to a call that is not prefetched, from `addr`: result `len`, data
    /// the bytes.
    CopyIn {
        /// Where in the process's memory.
        addr: u32,
        /// How many bytes.
        len: u32,
    },
    /// Store `data` at `addr` of the memory of process `pid`, as [`Request::CopyIn`]; result 0.
    CopyOut {
        /// Where in the process's memory.
        addr: u32,
        /// The bytes.
        data: Vec<u8>,
    },
    /// Forward calls with their buffers (`true`, the prefetch cache) or without. `pid` is 0.
    /// No reply.
    Prefetch(bool),
    /// Send the port name space of the frozen process `pid` to node `node` (a `Net` `Space`
    /// ahead of the reply); the reply's result is the number of names.
    MoveSpace {
        /// The node the process moves to.
        node: u32,
    },
}

/// The answer to a request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reply {
    /// The call's result, or its error.
    pub result: Result<u32, Errno>,
    /// A signal the stub received while executing the call (Bach: the call completed before
    /// the signal was checked, or an interruptible sleep was broken); the satellite delivers
    /// it to the process.
    pub signal: Option<Signal>,
    /// The variable-length part: what the call writes to the caller's memory (the data of a
    /// read), copied out by the satellite kernel.
    pub data: Vec<u8>,
}

impl Reply {
    /// A successful reply with no data and no signal.
    pub fn ok(result: u32) -> Reply {
        Reply { result: Ok(result), signal: None, data: Vec::new() }
    }

    /// A failed reply with no data and no signal.
    pub fn err(errno: Errno) -> Reply {
        Reply { result: Err(errno), signal: None, data: Vec::new() }
    }
}

/// Why a request was refused by [`Kind::ProtocolError`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Reason {
    /// The receiver does not speak the request's version.
    Version = 1,
    /// The receiver's version has no such kind.
    Kind = 2,
    /// The request is malformed (lengths, reserved fields, numbers).
    Malformed = 3,
    /// The request is longer than the receiver accepts.
    TooLarge = 4,
}

impl Reason {
    /// Every reason.
    pub const ALL: [Reason; 4] = [Reason::Version, Reason::Kind, Reason::Malformed, Reason::TooLarge];

    /// The reason with code `code`.
    pub fn from_code(code: u8) -> Option<Reason> {
        Reason::ALL.into_iter().find(|r| *r as u8 == code)
    }
}

/// A refusal: the receiver could not decode a request. Its layout is the same in every
/// version, and its byte 0 is the version its sender speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProtocolError {
    /// The version the refusing end speaks.
    pub speaks: u8,
    /// Why.
    pub reason: Reason,
    /// The version of the refused message.
    pub version: u8,
    /// The kind of the refused message.
    pub kind: u8,
}

/// What a message carries.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Body {
    /// A request.
    Request(Request),
    /// A reply.
    Reply(Reply),
    /// A refusal.
    ProtocolError(ProtocolError),
    /// Part of the output of a call in progress.
    Output(Output),
}

/// Part of a call's output, ahead of its reply ([`Kind::Output`]).
#[derive(Clone, Debug)]
pub struct Output {
    /// Where the bytes go, from the start of the call's output buffer.
    pub offset: u32,
    /// The bytes are `bytes[start..]`: a message decoded by [`Message::decode_owned`] keeps
    /// the bytes it came in, without copying its data out of them.
    bytes: Vec<u8>,
    start: usize,
}

impl Output {
    /// `data`, to go at `offset` of the call's output buffer.
    pub fn new(offset: u32, data: Vec<u8>) -> Output {
        Output { offset, bytes: data, start: 0 }
    }

    /// The bytes.
    pub fn data(&self) -> &[u8] {
        &self.bytes[self.start..]
    }
}

impl PartialEq for Output {
    fn eq(&self, other: &Output) -> bool {
        self.offset == other.offset && self.data() == other.data()
    }
}

impl Eq for Output {}

/// One message: the process it is about and its body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message {
    /// The caller (a request from a satellite, a reply to it), the target ([`Request::Signal`])
    /// or the new process (the fork requests).
    pub pid: u32,
    /// What it says.
    pub body: Body,
}

impl Message {
    /// A request about `pid`.
    pub fn request(pid: u32, request: Request) -> Message {
        Message { pid, body: Body::Request(request) }
    }

    /// A reply to `pid`.
    pub fn reply(pid: u32, reply: Reply) -> Message {
        Message { pid, body: Body::Reply(reply) }
    }

    /// The message's tag.
    pub fn kind(&self) -> Kind {
        match &self.body {
            Body::Request(Request::StubExecutes(call)) if call.prefetched => Kind::StubExecutes,
            Body::Request(Request::StubExecutes(_)) => Kind::StubFetches,
            Body::Request(Request::Signal(_)) => Kind::Signal,
            Body::Request(Request::Exit(_)) => Kind::Exit,
            Body::Request(Request::ForkImage { .. }) => Kind::ForkImage,
            Body::Request(Request::ReadImage { .. }) => Kind::ReadImage,
            Body::Request(Request::WriteImage { .. }) => Kind::WriteImage,
            Body::Request(Request::Start { .. }) => Kind::Start,
            Body::Request(Request::ExecImage { .. }) => Kind::ExecImage,
            Body::Request(Request::Parent { .. }) => Kind::Parent,
            Body::Request(Request::ForkHere { .. }) => Kind::ForkHere,
            Body::Request(Request::Freeze) => Kind::Freeze,
            Body::Request(Request::Frozen { .. }) => Kind::Frozen,
            Body::Request(Request::Load(_)) => Kind::Load,
            Body::Request(Request::Stats) => Kind::Stats,
            Body::Request(Request::Net(_)) => Kind::Net,
            Body::Request(Request::CopyIn { .. }) => Kind::CopyIn,
            Body::Request(Request::CopyOut { .. }) => Kind::CopyOut,
            Body::Request(Request::Prefetch(_)) => Kind::Prefetch,
            Body::Request(Request::MoveSpace { .. }) => Kind::MoveSpace,
            Body::Reply(_) => Kind::Reply,
            Body::ProtocolError(_) => Kind::ProtocolError,
            Body::Output(_) => Kind::Output,
        }
    }

    /// The variable-length part, if the kind has one.
    fn data(&self) -> &[u8] {
        match &self.body {
            Body::Request(Request::StubExecutes(call)) if call.prefetched => &call.data,
            Body::Request(Request::WriteImage { data, .. } | Request::CopyOut { data, .. }) => data,
            Body::Reply(reply) => &reply.data,
            Body::Output(output) => output.data(),
            Body::Request(_) | Body::ProtocolError(_) => &[],
        }
    }

    /// Bytes of the encoded message.
    pub fn encoded_len(&self) -> usize {
        match &self.body {
            Body::Request(Request::Net(net)) => fixed_len(Kind::Net) + net.op.encoded_len(),
            _ => fixed_len(self.kind()) + self.data().len(),
        }
    }

    /// The message as bytes, or `DataTooLong` if its variable part exceeds [`MAX_DATA`].
    pub fn encode(&self) -> Result<Vec<u8>, EncodeError> {
        if let Body::Request(Request::Net(net)) = &self.body {
            return NetEnvelope::encode_as(self.pid, net.from, net.to, &net.op);
        }
        let data = self.data();
        let mut out = self.encode_head(data.len())?;
        out.extend_from_slice(data);
        Ok(out)
    }

    /// The message as bytes up to its variable part, as if that were `data_len` bytes long
    /// (the message's own data is left out): for a sender that appends the data itself as it
    /// produces it, without a copy in between. The vector has room for the data.
    pub fn encode_head(&self, data_len: usize) -> Result<Vec<u8>, EncodeError> {
        if data_len > MAX_DATA {
            return Err(EncodeError::DataTooLong { len: data_len });
        }
        // MAX_DATA fits in a u32, so the length field below is exact.
        let n = data_len as u32;
        let mut out = Vec::with_capacity(fixed_len(self.kind()) + data_len);
        let version = match &self.body {
            Body::ProtocolError(refusal) => refusal.speaks,
            _ => VERSION,
        };
        out.extend_from_slice(&[version, self.kind() as u8]);
        put_u16(&mut out, 0);
        put_u32(&mut out, self.pid);
        match &self.body {
            Body::Request(Request::StubExecutes(call)) => {
                put_u32(&mut out, call.call as u32);
                for arg in call.args {
                    put_u32(&mut out, arg);
                }
                put_env(&mut out, call.env);
                if call.prefetched {
                    put_u32(&mut out, n);
                }
            }
            Body::Request(Request::Signal(signal)) => put_u32(&mut out, *signal as u32),
            Body::Request(Request::Exit(status)) => put_u32(&mut out, status.encode()),
            Body::Request(Request::ForkImage { parent, env, size }) => {
                put_u32(&mut out, *parent);
                put_env(&mut out, *env);
                put_u32(&mut out, *size);
            }
            Body::Request(Request::ReadImage { offset, len }) => {
                put_u32(&mut out, *offset);
                put_u32(&mut out, *len);
            }
            Body::Request(Request::WriteImage { offset, .. }) => {
                put_u32(&mut out, *offset);
                put_u32(&mut out, n);
            }
            Body::Request(Request::Start { pc }) => put_u32(&mut out, *pc),
            Body::Request(Request::ExecImage { size }) => put_u32(&mut out, *size),
            Body::Request(Request::Parent { ppid }) => put_u32(&mut out, *ppid),
            Body::Request(Request::ForkHere { parent, pc }) => {
                put_u32(&mut out, *parent);
                put_u32(&mut out, *pc);
            }
            Body::Request(Request::Stats | Request::Freeze) => {}
            Body::Request(Request::Frozen { pc, asleep }) => {
                put_u32(&mut out, *pc);
                put_u32(&mut out, u32::from(*asleep));
            }
            Body::Request(Request::Load(word)) => put_u32(&mut out, *word),
            Body::Request(Request::CopyIn { addr, len }) => {
                put_u32(&mut out, *addr);
                put_u32(&mut out, *len);
            }
            Body::Request(Request::CopyOut { addr, .. }) => {
                put_u32(&mut out, *addr);
                put_u32(&mut out, n);
            }
            Body::Request(Request::Prefetch(on)) => put_u32(&mut out, u32::from(*on)),
            Body::Request(Request::MoveSpace { node }) => put_u32(&mut out, *node),
            Body::Request(Request::Net(net)) => {
                put_u32(&mut out, net.op.code());
                put_u32(&mut out, net.to);
                put_u32(&mut out, net.from);
                put_u32(&mut out, n);
            }
            Body::Reply(reply) => {
                let (result, errno) = match reply.result {
                    Ok(value) => (value, 0),
                    Err(errno) => (0, errno as u32),
                };
                put_u32(&mut out, result);
                put_u32(&mut out, errno);
                put_u32(&mut out, reply.signal.map_or(0, |s| s as u32));
                put_u32(&mut out, n);
            }
            Body::ProtocolError(refusal) => {
                out.extend_from_slice(&[refusal.reason as u8, refusal.version, refusal.kind, 0]);
            }
            Body::Output(output) => {
                put_u32(&mut out, output.offset);
                put_u32(&mut out, n);
            }
        }
        Ok(out)
    }

    /// [`Message::decode`] of bytes the caller gives up: an [`Output`] keeps them and points at
    /// its data in them (the largest messages a satellite receives are not copied again). The
    /// bytes come back with the error, for [`Message::refusal`].
    pub fn decode_owned(bytes: Vec<u8>) -> Result<Message, (DecodeError, Vec<u8>)> {
        let fixed = fixed_len(Kind::Output);
        if bytes.get(1) == Some(&(Kind::Output as u8)) && bytes.len() >= fixed {
            let n = &bytes[fixed - 4..fixed];
            let declared = u32::from_le_bytes([n[0], n[1], n[2], n[3]]) as usize;
            if declared == bytes.len() - fixed && declared <= MAX_DATA {
                // Every check of the head, with its data left out (its length field then 0).
                let mut head = bytes[..fixed].to_vec();
                head[fixed - 4..].fill(0);
                if let Ok(Message { pid, body: Body::Output(output) }) = Message::decode(&head) {
                    let output = Output { offset: output.offset, bytes, start: fixed };
                    return Ok(Message { pid, body: Body::Output(output) });
                }
            }
        }
        Message::decode(&bytes).map_err(|e| (e, bytes))
    }

    /// Reads a message from untrusted bytes: exactly one whole message, every field checked.
    pub fn decode(bytes: &[u8]) -> Result<Message, DecodeError> {
        let mut r = Reader::new(bytes);
        let version = r.u8()?;
        let tag = r.u8()?;
        let reserved = r.u16()?;
        let pid = r.u32()?;
        // A refusal keeps its layout in every version, so it is read whatever its version.
        if version != VERSION && tag != Kind::ProtocolError as u8 {
            return Err(DecodeError::UnknownVersion { version, pid });
        }
        let kind = Kind::from_tag(tag).ok_or(DecodeError::UnknownKind { kind: tag, pid })?;
        if reserved != 0 {
            return Err(DecodeError::Reserved);
        }
        let need = fixed_len(kind);
        if bytes.len() < need {
            return Err(DecodeError::Truncated { needed: need, got: bytes.len() });
        }
        let body = match kind {
            Kind::StubExecutes | Kind::StubFetches => {
                let number = r.u32()?;
                let mut args = [0; MAX_ARGS];
                for arg in &mut args {
                    *arg = r.u32()?;
                }
                let env = env(&mut r)?;
                let prefetched = kind == Kind::StubExecutes;
                let data = if prefetched { data(&mut r)? } else { Vec::new() };
                let call = Syscall::from_number(number).ok_or(DecodeError::UnknownCall { pid, number })?;
                Body::Request(Request::StubExecutes(Call { call, args, env, data, prefetched }))
            }
            Kind::Signal => Body::Request(Request::Signal(signal(r.u32()?)?)),
            Kind::Exit => {
                let word = r.u32()?;
                // Only the word the status encodes to: stray bits would not survive a round trip.
                let status = WaitStatus::decode(word).filter(|s| s.encode() == word);
                Body::Request(Request::Exit(status.ok_or(DecodeError::BadStatus(word))?))
            }
            Kind::ForkImage => {
                let parent = r.u32()?;
                let env = env(&mut r)?;
                let size = r.u32()?;
                Body::Request(Request::ForkImage { parent, env, size })
            }
            Kind::ReadImage => {
                let offset = r.u32()?;
                let len = r.u32()?;
                Body::Request(Request::ReadImage { offset, len })
            }
            Kind::WriteImage => {
                let offset = r.u32()?;
                let data = data(&mut r)?;
                Body::Request(Request::WriteImage { offset, data })
            }
            Kind::Start => Body::Request(Request::Start { pc: r.u32()? }),
            Kind::ExecImage => Body::Request(Request::ExecImage { size: r.u32()? }),
            Kind::Parent => Body::Request(Request::Parent { ppid: r.u32()? }),
            Kind::ForkHere => {
                let parent = r.u32()?;
                let pc = r.u32()?;
                Body::Request(Request::ForkHere { parent, pc })
            }
            Kind::Stats => Body::Request(Request::Stats),
            Kind::Freeze => Body::Request(Request::Freeze),
            Kind::Frozen => {
                let pc = r.u32()?;
                let asleep = match r.u32()? {
                    0 => false,
                    1 => true,
                    _ => return Err(DecodeError::Reserved),
                };
                Body::Request(Request::Frozen { pc, asleep })
            }
            Kind::Load => Body::Request(Request::Load(r.u32()?)),
            Kind::MoveSpace => Body::Request(Request::MoveSpace { node: r.u32()? }),
            Kind::CopyIn => {
                let addr = r.u32()?;
                let len = r.u32()?;
                if len as usize > MAX_DATA {
                    return Err(DecodeError::DataTooLong { len });
                }
                Body::Request(Request::CopyIn { addr, len })
            }
            Kind::CopyOut => {
                let addr = r.u32()?;
                let data = data(&mut r)?;
                Body::Request(Request::CopyOut { addr, data })
            }
            Kind::Prefetch => match r.u32()? {
                0 => Body::Request(Request::Prefetch(false)),
                1 => Body::Request(Request::Prefetch(true)),
                _ => return Err(DecodeError::Reserved),
            },
            Kind::Net => {
                let code = r.u32()?;
                let to = r.u32()?;
                let from = r.u32()?;
                Body::Request(Request::Net(Net { to, from, op: NetOp::decode(code, data_slice(&mut r)?)? }))
            }
            Kind::Reply => {
                let value = r.u32()?;
                let errno = r.u32()?;
                let signal = match r.u32()? {
                    0 => None,
                    n => Some(self::signal(n)?),
                };
                let data = data(&mut r)?;
                let result = match errno {
                    0 => Ok(value),
                    _ if value != 0 => return Err(DecodeError::ResultWithError),
                    n => Err(errno_of(n)?),
                };
                Body::Reply(Reply { result, signal, data })
            }
            Kind::Output => {
                let offset = r.u32()?;
                let data = data(&mut r)?;
                Body::Output(Output::new(offset, data))
            }
            Kind::ProtocolError => {
                let code = r.u8()?;
                let reason = Reason::from_code(code).ok_or(DecodeError::UnknownReason(code))?;
                let refused_version = r.u8()?;
                let refused_kind = r.u8()?;
                if r.u8()? != 0 {
                    return Err(DecodeError::Reserved);
                }
                Body::ProtocolError(ProtocolError {
                    speaks: version,
                    reason,
                    version: refused_version,
                    kind: refused_kind,
                })
            }
        };
        let extra = r.rest().len();
        if extra != 0 {
            return Err(DecodeError::TrailingBytes { extra });
        }
        Ok(Message { pid, body })
    }

    /// What to send back for `bytes` that did not decode with `error`: a [`ProtocolError`],
    /// or an `ENOSYS` reply for an unknown call. `None` when nothing should be sent: the bytes
    /// have no header to address an answer with, or they were an answer themselves.
    pub fn refusal(bytes: &[u8], error: &DecodeError) -> Option<Message> {
        let mut r = Reader::new(bytes);
        let version = r.u8().ok()?;
        let tag = r.u8().ok()?;
        let _reserved = r.u16().ok()?;
        let pid = r.u32().ok()?;
        if Kind::is_answer_tag(tag) {
            return None;
        }
        let reason = match error {
            DecodeError::UnknownCall { .. } => return Some(Message::reply(pid, Reply::err(Errno::NoSys))),
            DecodeError::UnknownVersion { .. } => Reason::Version,
            DecodeError::UnknownKind { .. } => Reason::Kind,
            DecodeError::DataTooLong { .. } => Reason::TooLarge,
            _ => Reason::Malformed,
        };
        Some(Message::refused(pid, reason, version, tag))
    }

    /// The refusal of a message about `pid` of `version` and `kind` for `reason` (also for a
    /// message the reassembler refused as too large: its first fragment carries the header).
    pub fn refused(pid: u32, reason: Reason, version: u8, kind: u8) -> Message {
        Message { pid, body: Body::ProtocolError(ProtocolError { speaks: VERSION, reason, version, kind }) }
    }
}

/// Bytes of the fixed part of a kind: the common header and the body before the data.
pub fn fixed_len(kind: Kind) -> usize {
    match kind {
        Kind::StubExecutes => CALL_FIXED,
        Kind::StubFetches => CALL_FIXED - 4,
        Kind::Signal
        | Kind::Exit
        | Kind::Start
        | Kind::ExecImage
        | Kind::Parent
        | Kind::Load
        | Kind::Prefetch
        | Kind::MoveSpace
        | Kind::ProtocolError => HEADER + 4,
        Kind::ForkImage => HEADER + 16,
        Kind::ReadImage
        | Kind::WriteImage
        | Kind::ForkHere
        | Kind::Frozen
        | Kind::Output
        | Kind::CopyIn
        | Kind::CopyOut => HEADER + 8,
        Kind::Reply => REPLY_FIXED,
        Kind::Stats | Kind::Freeze => HEADER,
        Kind::Net => HEADER + 16,
    }
}

fn put_env(out: &mut Vec<u8>, env: Env) {
    put_u32(out, env.uid);
    put_u32(out, env.gid);
}

fn env(r: &mut Reader<'_>) -> Result<Env, DecodeError> {
    Ok(Env { uid: r.u32()?, gid: r.u32()? })
}

/// The length field and the variable-length part after it, which must be the rest of the
/// message.
fn data(r: &mut Reader<'_>) -> Result<Vec<u8>, DecodeError> {
    data_slice(r).map(<[u8]>::to_vec)
}

/// [`data`], in place.
fn data_slice<'a>(r: &mut Reader<'a>) -> Result<&'a [u8], DecodeError> {
    let declared = r.u32()?;
    if declared as usize > MAX_DATA {
        return Err(DecodeError::DataTooLong { len: declared });
    }
    let rest = r.rest();
    if rest.len() != declared as usize {
        return Err(DecodeError::LengthMismatch { declared, actual: rest.len() });
    }
    Ok(rest)
}

/// Where an encoded [`Kind::Net`] message goes, read from its fixed part alone: what a node
/// that relays it needs (the central, between two satellites), which leaves its body to the
/// node it is for. The body is checked there, when it is decoded; a relay that forwards the
/// bytes as they came spares itself a decoding and an encoding per message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NetEnvelope {
    /// The op's number.
    pub code: u32,
    /// The node it is for, and the node it says it is from.
    pub to: u32,
    pub from: u32,
}

impl NetEnvelope {
    /// The envelope of `bytes` if their fixed part is a `Net` message's that [`Message::decode`]
    /// takes (this version, the kind, the reserved field zero, an op's number, a length field
    /// that is the rest of the bytes); `None` for anything else.
    #[inline]
    pub fn read(bytes: &[u8]) -> Option<NetEnvelope> {
        let fixed = fixed_len(Kind::Net);
        let [first, _, code, to, from, n]: [u32; 6] = le_words(bytes.get(..fixed)?)?;
        if first != u32::from_le_bytes([VERSION, Kind::Net as u8, 0, 0]) {
            return None;
        }
        let whole = n as usize == bytes.len() - fixed && n as usize <= MAX_DATA;
        (whole && NetOp::is_code(code)).then_some(NetEnvelope { code, to, from })
    }

    /// The op of `bytes`, whose envelope this is ([`NetEnvelope::read`]), every field checked:
    /// what [`Message::decode`] makes of them, without the message around it.
    pub fn op(&self, bytes: &[u8]) -> Result<NetOp, DecodeError> {
        NetOp::decode(self.code, NetEnvelope::body(bytes))
    }

    /// The op's body in `bytes`, the whole message.
    pub fn body(bytes: &[u8]) -> &[u8] {
        bytes.get(fixed_len(Kind::Net)..).unwrap_or_default()
    }

    /// [`NetEnvelope::op`] read in place, if the op is a short message of inline items (and
    /// the `Delivered`s after it: [`InlineRead::read`]); its items lie in
    /// [`NetEnvelope::body`] of `bytes`.
    pub fn inline(&self, bytes: &[u8]) -> Option<InlineRead> {
        InlineRead::read(self.code, NetEnvelope::body(bytes))
    }

    /// [`NetEnvelope::inline`] into `read`, which the caller keeps ([`InlineRead::fill`]).
    #[inline]
    pub fn inline_into(&self, bytes: &[u8], read: &mut InlineRead) -> bool {
        read.fill(self.code, NetEnvelope::body(bytes))
    }

    /// The bytes of the `Net` message carrying `op` from node `from` to node `to`: what
    /// [`Message::encode`] makes of it, without a message to build first; `DataTooLong` if the
    /// op's body exceeds [`MAX_DATA`].
    pub fn encode(from: u32, to: u32, op: &NetOp) -> Result<Vec<u8>, EncodeError> {
        NetEnvelope::encode_as(0, from, to, op)
    }

    /// [`NetEnvelope::encode`], the message's `pid` field `pid` (not part of the envelope).
    fn encode_as(pid: u32, from: u32, to: u32, op: &NetOp) -> Result<Vec<u8>, EncodeError> {
        let mut out = NetEnvelope::head(pid, op.code(), from, to, op.encoded_len())?;
        op.encode_into(&mut out);
        Ok(out)
    }

    /// [`NetEnvelope::encode`] of the `Message` op of inline items (and the ops in a batch
    /// with it) that `message` holds in parts, without building the op; `None` if it cannot
    /// be encoded (a batch too long, or a body longer than [`MAX_DATA`]).
    ///
    /// An RPC's request or answer (items of whole words, the message short) is built a word
    /// at a time in `scratch` (a [`Words`](crate::net::Words)' area, or the frame that will carry it:
    /// [`WordArea`]) and lent from there (`Cow::Borrowed`; any other, or one that does not fit
    /// there, is `Cow::Owned`): a quarter of the instructions of a field appended to a vector at a time,
    /// and no allocation.
    pub fn encode_inline_message<'a>(
        from: u32,
        to: u32,
        message: &InlineMessage<'_>,
        scratch: WordArea<'a>,
    ) -> Option<Cow<'a, [u8]>> {
        let (code, n) = message.code_and_len()?;
        if n > MAX_DATA {
            return None;
        }
        let mut scratch = scratch;
        NetEnvelope::put_head(&mut scratch, 0, code, from, to, n);
        message.encode_into(&mut scratch);
        if let Some(bytes) = scratch.written() {
            return Some(Cow::Borrowed(bytes));
        }
        let mut out = NetEnvelope::head(0, code, from, to, n).ok()?;
        message.encode_into(&mut out);
        Some(Cow::Owned(out))
    }

    /// A vector with room for a `Net` message of an `n`-byte body, holding its fixed part.
    fn head(pid: u32, code: u32, from: u32, to: u32, n: usize) -> Result<Vec<u8>, EncodeError> {
        if n > MAX_DATA {
            return Err(EncodeError::DataTooLong { len: n });
        }
        let mut out = Vec::with_capacity(fixed_len(Kind::Net) + n);
        NetEnvelope::put_head(&mut out, pid, code, from, to, n);
        Ok(out)
    }

    /// Gives `out` the fixed part of a `Net` message of an `n`-byte body: the version and kind,
    /// then `pid` and the envelope (op, to, from, the body's length).
    fn put_head(out: &mut impl Sink, pid: u32, code: u32, from: u32, to: u32, n: usize) {
        out.words([u32::from_le_bytes([VERSION, Kind::Net as u8, 0, 0]), pid, code, to, from, n as u32]);
    }
}

fn signal(number: u32) -> Result<Signal, DecodeError> {
    Signal::from_number(number).ok_or(DecodeError::UnknownSignal(number))
}

fn errno_of(number: u32) -> Result<Errno, DecodeError> {
    Errno::ALL.into_iter().find(|e| *e as u32 == number).ok_or(DecodeError::UnknownErrno(number))
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    /// `getppid` from process 12 of uid 1000, gid 100: the example of docs/protocol.md.
    fn getppid() -> Message {
        Message::request(
            12,
            Request::StubExecutes(Call {
                call: Syscall::GetPpid,
                args: [0; MAX_ARGS],
                env: Env { uid: 1000, gid: 100 },
                data: Vec::new(),
                prefetched: true,
            }),
        )
    }

    #[test]
    fn getppid_request_has_the_documented_bytes() {
        let bytes = getppid().encode().unwrap();
        let mut expected = vec![1, 1, 0, 0, 12, 0, 0, 0, 6, 0, 0, 0];
        expected.extend_from_slice(&[0; 24]);
        expected.extend_from_slice(&[0xe8, 3, 0, 0, 100, 0, 0, 0, 0, 0, 0, 0]);
        assert_eq!(bytes, expected);
        assert_eq!(bytes.len(), fixed_len(Kind::StubExecutes));
        assert_eq!(Message::decode(&bytes), Ok(getppid()));
    }

    #[test]
    fn read_reply_has_the_documented_bytes() {
        let reply = Message::reply(12, Reply { result: Ok(6), signal: None, data: b"hello\n".to_vec() });
        let bytes = reply.encode().unwrap();
        let mut expected = vec![1, 0x80, 0, 0, 12, 0, 0, 0, 6, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 6, 0, 0, 0];
        expected.extend_from_slice(b"hello\n");
        assert_eq!(bytes, expected);
        assert_eq!(Message::decode(&bytes), Ok(reply));
    }

    #[test]
    fn output_has_the_documented_bytes_and_its_head_is_encode_without_the_data() {
        let output = Message { pid: 12, body: Body::Output(Output::new(4096, b"abc".to_vec())) };
        let bytes = output.encode().unwrap();
        let mut expected = vec![1, 0x82, 0, 0, 12, 0, 0, 0, 0, 16, 0, 0, 3, 0, 0, 0];
        expected.extend_from_slice(b"abc");
        assert_eq!(bytes, expected);
        assert_eq!(Message::decode(&bytes), Ok(output.clone()));
        assert_eq!(Message::decode_owned(bytes.clone()), Ok(output));
        let mut long = bytes.clone();
        long.push(0);
        assert_eq!(
            Message::decode_owned(long.clone()).map_err(|e| e.0),
            Message::decode(&long),
            "the same error"
        );
        let mut bad = bytes.clone();
        bad[2] = 1;
        assert_eq!(Message::decode_owned(bad.clone()), Err((DecodeError::Reserved, bad)));
        let empty = Message { pid: 12, body: Body::Output(Output::new(4096, vec![])) };
        let mut head = empty.encode_head(3).unwrap();
        head.extend_from_slice(b"abc");
        assert_eq!(head, bytes);
        assert_eq!(empty.encode_head(MAX_DATA + 1), Err(EncodeError::DataTooLong { len: MAX_DATA + 1 }));
    }

    #[test]
    fn every_truncation_is_an_error() {
        let mut call = getppid();
        if let Body::Request(Request::StubExecutes(c)) = &mut call.body {
            c.data = b"/etc/motd".to_vec();
        }
        let bytes = call.encode().unwrap();
        for len in 0..bytes.len() {
            assert!(Message::decode(&bytes[..len]).is_err(), "prefix of {len} bytes decoded");
        }
        let mut longer = bytes.clone();
        longer.push(0);
        assert_eq!(Message::decode(&longer), Err(DecodeError::LengthMismatch { declared: 9, actual: 10 }));
        let mut start = Message::request(1, Request::Start { pc: 4 }).encode().unwrap();
        start.push(0);
        assert_eq!(Message::decode(&start), Err(DecodeError::TrailingBytes { extra: 1 }));
    }

    #[test]
    fn a_call_without_the_cache_has_no_data_and_its_copies_round_trip() {
        let mut call = getppid();
        if let Body::Request(Request::StubExecutes(c)) = &mut call.body {
            c.prefetched = false;
        }
        let bytes = call.encode().unwrap();
        assert_eq!(bytes[1], Kind::StubFetches as u8);
        assert_eq!(bytes.len(), fixed_len(Kind::StubFetches));
        assert_eq!(bytes[8..], getppid().encode().unwrap()[8..CALL_FIXED - 4]);
        assert_eq!(Message::decode(&bytes), Ok(call));
        let mut longer = bytes.clone();
        longer.extend_from_slice(&[0; 4]);
        assert_eq!(Message::decode(&longer), Err(DecodeError::TrailingBytes { extra: 4 }));

        let copy_in = Message::request(12, Request::CopyIn { addr: 0x1000, len: 5 });
        let bytes = copy_in.encode().unwrap();
        assert_eq!(bytes, [1, 19, 0, 0, 12, 0, 0, 0, 0, 0x10, 0, 0, 5, 0, 0, 0]);
        assert_eq!(Message::decode(&bytes), Ok(copy_in));
        let too_long = Message::request(12, Request::CopyIn { addr: 0, len: MAX_DATA as u32 + 1 });
        let bytes = too_long.encode().unwrap();
        assert_eq!(Message::decode(&bytes), Err(DecodeError::DataTooLong { len: MAX_DATA as u32 + 1 }));

        let copy_out = Message::request(12, Request::CopyOut { addr: 0x2000, data: b"hi".to_vec() });
        let bytes = copy_out.encode().unwrap();
        assert_eq!(bytes, [1, 20, 0, 0, 12, 0, 0, 0, 0, 0x20, 0, 0, 2, 0, 0, 0, b'h', b'i']);
        assert_eq!(Message::decode(&bytes), Ok(copy_out));

        for on in [false, true] {
            let switch = Message::request(0, Request::Prefetch(on));
            let bytes = switch.encode().unwrap();
            assert_eq!(bytes, [1, 21, 0, 0, 0, 0, 0, 0, u8::from(on), 0, 0, 0]);
            assert_eq!(Message::decode(&bytes), Ok(switch));
        }
        assert_eq!(Message::decode(&[1, 21, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0]), Err(DecodeError::Reserved));

        let space = Message::request(7, Request::MoveSpace { node: 2 });
        let bytes = space.encode().unwrap();
        assert_eq!(bytes, [1, 22, 0, 0, 7, 0, 0, 0, 2, 0, 0, 0]);
        assert_eq!(Message::decode(&bytes), Ok(space));
    }

    #[test]
    fn a_net_message_has_the_documented_bytes_and_round_trips() {
        use crate::net::{NetKind, NetRight, PortRef};
        let dest = NetRight { kind: NetKind::Send, port: PortRef { node: 2, id: 5 } };
        let op = NetOp::Message { dest, reply: None, id: 9, items: Vec::new() };
        let message = Message::request(0, Request::Net(Net { to: 2, from: 1, op }));
        let bytes = message.encode().unwrap();
        assert_eq!(bytes.len(), message.encoded_len());
        assert_eq!(&bytes[..24], &[1, 17, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0, 32, 0, 0, 0]);
        assert_eq!(Message::decode(&bytes), Ok(message));
        for len in 0..bytes.len() {
            assert!(Message::decode(&bytes[..len]).is_err(), "prefix of {len} bytes decoded");
        }
    }

    #[test]
    fn a_net_envelope_is_read_from_the_fixed_part_alone() {
        for (n, op) in crate::net::tests::every_op().into_iter().enumerate() {
            let code = op.code();
            let (to, from) = (n as u32, n as u32 + 100);
            let bytes = Message::request(0, Request::Net(Net { to, from, op })).encode().unwrap();
            assert_eq!(NetEnvelope::read(&bytes), Some(NetEnvelope { code, to, from }));
            // Read as words where they lie word-aligned, byte by byte elsewhere: the same.
            let mut shifted = vec![0u32; bytes.len().div_ceil(4) + 1];
            // Safety: the words' bytes, all initialised, any of them a valid `u8`.
            let room = unsafe {
                core::slice::from_raw_parts_mut(shifted.as_mut_ptr().cast::<u8>(), shifted.len() * 4)
            };
            for offset in 0..4 {
                room[offset..offset + bytes.len()].copy_from_slice(&bytes);
                let there = &room[offset..offset + bytes.len()];
                assert_eq!(NetEnvelope::read(there), Some(NetEnvelope { code, to, from }), "at {offset}");
            }
            // Whatever the body says: the node it is for checks it.
            let mut body_changed = bytes.clone();
            if let Some(last) = body_changed.get_mut(fixed_len(Kind::Net)..).and_then(|b| b.last_mut()) {
                *last ^= 0xff;
                assert_eq!(NetEnvelope::read(&body_changed), Some(NetEnvelope { code, to, from }));
            }
            for len in 0..bytes.len() {
                assert_eq!(NetEnvelope::read(&bytes[..len]), None, "{len} bytes");
            }
            let mut longer = bytes.clone();
            longer.push(0);
            assert_eq!(NetEnvelope::read(&longer), None);
            // The version, the kind, the reserved field and the op's number are checked.
            for (at, value) in [(0, 2), (1, Kind::Stats as u8), (2, 1), (3, 1), (8, 0), (8, 12)] {
                let mut bad = bytes.clone();
                bad[at] = value;
                assert_eq!(NetEnvelope::read(&bad), None, "byte {at} = {value}");
            }
        }
        assert_eq!(NetEnvelope::read(&getppid().encode().unwrap()), None);
    }

    #[test]
    fn an_inline_message_in_parts_is_the_op_built_of_them() {
        use crate::net::{NetItem, NetKind, NetRight, PortRef, Words};
        let right = |kind, node, id| NetRight { kind, port: PortRef { node, id } };
        let (dest, reply) = (right(NetKind::SendOnce, 2, 9), Some(right(NetKind::Send, 1, 4)));
        let ports = [PortRef { node: 2, id: 3 }, PortRef { node: 2, id: 8 }];
        // Whole words (built a word at a time), and not (a field at a time), and too many
        // words for the first way; whole words lying word-aligned and not (read a word or a
        // byte at a time).
        let words: [u32; 3] = [u32::from_le_bytes(*b"8 by"), u32::from_le_bytes(*b"tes!"), 0];
        // Safety: the array's twelve bytes, as bytes.
        let aligned: &[u8] = unsafe { core::slice::from_raw_parts(words.as_ptr().cast::<u8>(), 12) };
        let items: [&[u8]; 7] =
            [b"", b"8 bytes!", b"hello", &[7; 13], &[9; 160], &aligned[..8], &aligned[1..9]];
        for (reply, items, delivered) in [
            (None, &items[..0], &[][..]),
            (reply, &items[..2], &[][..]),
            (None, &items[1..2], &ports[..1]),
            (reply, &items[..5], &[][..]),
            (reply, &items[2..3], &ports[..1]),
            (None, &items[..5], &ports[..]),
            (None, &items[4..5], &ports[..]),
            (reply, &items[5..], &ports[..1]),
        ] {
            let parts = InlineMessage { dest, reply, id: 77, items, delivered };
            let message = NetOp::Message {
                dest,
                reply,
                id: 77,
                items: items.iter().map(|i| NetItem::Inline(i.to_vec())).collect(),
            };
            let op = match delivered {
                [] => message,
                ports => NetOp::Batch(
                    core::iter::once(message)
                        .chain(ports.iter().map(|&port| NetOp::Delivered { port }))
                        .collect(),
                ),
            };
            let bytes =
                NetEnvelope::encode_inline_message(1, 2, &parts, Words::new().area()).map(Cow::into_owned);
            assert_eq!(bytes, Some(NetEnvelope::encode(1, 2, &op).unwrap()));
            // And read back in place, it is the op.
            let bytes = bytes.unwrap();
            let read = NetEnvelope::read(&bytes).and_then(|envelope| envelope.inline(&bytes));
            assert_eq!(read.map(|read| read.to_op(NetEnvelope::body(&bytes))), Some(op));
        }
        // A batch too long is not made.
        let many = [ports[0]; crate::net::MAX_BATCH];
        let parts = InlineMessage { dest, reply: None, id: 1, items: &[], delivered: &many };
        assert_eq!(NetEnvelope::encode_inline_message(1, 2, &parts, Words::new().area()), None);
    }

    #[test]
    fn what_is_read_in_place_is_what_decode_makes_of_the_same_bytes() {
        use crate::net::{NetItem, NetKind, NetRight, PortRef, Words};
        let right = |kind, node, id| NetRight { kind, port: PortRef { node, id } };
        let (dest, reply) = (right(NetKind::SendOnce, 2, 9), Some(right(NetKind::Send, 1, 4)));
        let ports = [PortRef { node: 2, id: 3 }, PortRef { node: 2, id: 8 }];
        let mut bodies: Vec<(u32, Vec<u8>)> =
            crate::net::tests::every_op().iter().map(|op| (op.code(), op.encode())).collect();
        for (reply, items, delivered) in [
            (reply, &[&b"8 bytes!"[..]][..], &ports[..1]),
            (None, &[&b"odd"[..], b"", b"4444"][..], &ports[..]),
        ] {
            let mut scratch = Words::new();
            let parts = InlineMessage { dest, reply, id: 5, items, delivered };
            let bytes =
                NetEnvelope::encode_inline_message(1, 2, &parts, scratch.area()).unwrap().into_owned();
            let envelope = NetEnvelope::read(&bytes).unwrap();
            assert!(envelope.inline(&bytes).is_some());
            bodies.push((envelope.code, NetEnvelope::body(&bytes).to_vec()));
        }
        // What is not read in place: a right among the items, too many items or `Delivered`s,
        // another op.
        let message = |items: Vec<NetItem>| NetOp::Message { dest, reply: None, id: 1, items };
        let batch = |n| {
            NetOp::Batch(
                core::iter::once(message(vec![]))
                    .chain((0..n).map(|_| NetOp::Delivered { port: ports[0] }))
                    .collect(),
            )
        };
        for op in [
            message(vec![NetItem::Right(dest)]),
            message((0..=InlineRead::ITEMS).map(|_| NetItem::Inline(vec![1])).collect()),
            batch(InlineRead::DELIVERED + 1),
            NetOp::Batch(vec![NetOp::Delivered { port: ports[0] }]),
        ] {
            assert_eq!(InlineRead::read(op.code(), &op.encode()), None, "{op:?}");
        }
        // Every body, every byte of it changed, and cut short: whatever is read in place is
        // what decode makes of it.
        let (mut read, mut by_words) = (0, 0);
        for (code, body) in bodies {
            let mut variants = vec![body.clone()];
            for at in 0..body.len() {
                for flip in [1, 0x80, 0xff] {
                    let mut changed = body.clone();
                    changed[at] ^= flip;
                    variants.push(changed);
                }
                variants.push(body[..at].to_vec());
            }
            for bytes in variants {
                if let Some(inline) = InlineRead::read(code, &bytes) {
                    assert_eq!(NetOp::decode(code, &bytes), Ok(inline.to_op(&bytes)), "{bytes:?}");
                    read += 1;
                }
                // Read a word at a time, it is what is read field by field; and so it is one
                // byte further on (not word-aligned: field by field only).
                if let Some(inline) = InlineRead::read_words(code, &bytes) {
                    assert_eq!(InlineRead::read_bytes(code, &bytes), Some(inline), "{bytes:?}");
                    by_words += 1;
                }
                let mut shifted = vec![0];
                shifted.extend_from_slice(&bytes);
                assert_eq!(InlineRead::read_words(code, &shifted[1..]), None);
                assert_eq!(InlineRead::read(code, &shifted[1..]), InlineRead::read_bytes(code, &bytes));
            }
        }
        assert!(read > 100, "only {read} read in place");
        assert!(by_words > 50, "only {by_words} read a word at a time");
    }

    #[test]
    fn a_net_message_without_the_message_around_it_is_the_same_bytes_and_the_same_op() {
        for (n, op) in crate::net::tests::every_op().into_iter().enumerate() {
            let (to, from) = (n as u32 + 7, n as u32);
            let bytes = NetEnvelope::encode(from, to, &op).unwrap();
            let message = Message::request(0, Request::Net(Net { to, from, op: op.clone() }));
            assert_eq!(bytes, message.encode().unwrap());
            let envelope = NetEnvelope::read(&bytes).unwrap();
            assert_eq!(envelope.op(&bytes), Ok(op));
            // A damaged body reads the same either way: as the same op, or as the same error.
            let mut damaged = bytes.clone();
            damaged[fixed_len(Kind::Net)..].fill(0xff);
            let op = envelope.op(&damaged).map(|op| Message::request(0, Request::Net(Net { to, from, op })));
            assert_eq!(op, Message::decode(&damaged));
        }
    }

    #[test]
    fn checks_numbers_and_reserved_fields() {
        let mut bytes = getppid().encode().unwrap();
        bytes[8] = 99;
        let error = Message::decode(&bytes).unwrap_err();
        assert_eq!(error, DecodeError::UnknownCall { pid: 12, number: 99 });
        assert_eq!(Message::refusal(&bytes, &error), Some(Message::reply(12, Reply::err(Errno::NoSys))));
        bytes[8] = 6;
        bytes[2] = 1;
        assert_eq!(Message::decode(&bytes), Err(DecodeError::Reserved));
        let failed = Message::reply(1, Reply::err(Errno::NoEnt)).encode().unwrap();
        let mut both = failed.clone();
        both[8] = 1;
        assert_eq!(Message::decode(&both), Err(DecodeError::ResultWithError));
        let mut bad_errno = failed;
        bad_errno[12] = 250;
        assert_eq!(Message::decode(&bad_errno), Err(DecodeError::UnknownErrno(250)));
        let mut bad_signal = Message::request(1, Request::Signal(Signal::Kill)).encode().unwrap();
        bad_signal[8] = 8;
        assert_eq!(Message::decode(&bad_signal), Err(DecodeError::UnknownSignal(8)));
        let mut bad_status = Message::request(1, Request::Exit(WaitStatus::Exited(3))).encode().unwrap();
        bad_status[8] = 1;
        assert_eq!(Message::decode(&bad_status), Err(DecodeError::BadStatus(0x301)));
        let mut stray =
            Message::request(1, Request::Exit(WaitStatus::Signaled(Signal::Kill))).encode().unwrap();
        stray[10] = 1;
        assert_eq!(Message::decode(&stray), Err(DecodeError::BadStatus(0x1_0009)), "stray bits are refused");
        let mut bad_kind = getppid().encode().unwrap();
        bad_kind[1] = 14;
        let error = Message::decode(&bad_kind).unwrap_err();
        assert_eq!(error, DecodeError::UnknownKind { kind: 14, pid: 12 });
        assert_eq!(Message::refusal(&bad_kind, &error), Some(Message::refused(12, Reason::Kind, 1, 14)));
    }

    #[test]
    fn freeze_and_frozen_have_the_documented_bytes() {
        let freeze = Message::request(12, Request::Freeze);
        let bytes = freeze.encode().unwrap();
        assert_eq!(bytes, [1, 11, 0, 0, 12, 0, 0, 0]);
        assert_eq!(Message::decode(&bytes), Ok(freeze));
        let frozen = Message::request(12, Request::Frozen { pc: 0x1_0040, asleep: true });
        let bytes = frozen.encode().unwrap();
        assert_eq!(bytes, [1, 12, 0, 0, 12, 0, 0, 0, 0x40, 0, 1, 0, 1, 0, 0, 0]);
        assert_eq!(Message::decode(&bytes), Ok(frozen));
        let mut odd = bytes.clone();
        odd[12] = 2;
        assert_eq!(Message::decode(&odd), Err(DecodeError::Reserved));
        let load = Message::request(0, Request::Load(3));
        let bytes = load.encode().unwrap();
        assert_eq!(bytes, [1, 13, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0]);
        assert_eq!(Message::decode(&bytes), Ok(load));
    }

    #[test]
    fn exec_image_and_parent_have_the_documented_bytes() {
        let exec = Message::request(12, Request::ExecImage { size: 0x1234 });
        let bytes = exec.encode().unwrap();
        assert_eq!(bytes, [1, 8, 0, 0, 12, 0, 0, 0, 0x34, 0x12, 0, 0]);
        assert_eq!(Message::decode(&bytes), Ok(exec));
        let parent = Message::request(12, Request::Parent { ppid: 1 });
        let bytes = parent.encode().unwrap();
        assert_eq!(bytes, [1, 9, 0, 0, 12, 0, 0, 0, 1, 0, 0, 0]);
        assert_eq!(Message::decode(&bytes), Ok(parent));
        assert_eq!(Message::decode(&bytes[..11]), Err(DecodeError::Truncated { needed: 12, got: 11 }));
    }

    #[test]
    fn an_unknown_version_is_refused_but_a_refusal_is_read_in_any_version() {
        let mut bytes = getppid().encode().unwrap();
        bytes[0] = 2;
        let error = Message::decode(&bytes).unwrap_err();
        assert_eq!(error, DecodeError::UnknownVersion { version: 2, pid: 12 });
        let refusal = Message::refusal(&bytes, &error).unwrap();
        assert_eq!(refusal, Message::refused(12, Reason::Version, 2, Kind::StubExecutes as u8));
        let mut from_the_future = refusal.encode().unwrap();
        assert_eq!(from_the_future, [1, 0x81, 0, 0, 12, 0, 0, 0, 1, 2, 1, 0]);
        from_the_future[0] = 9;
        let read = Message::decode(&from_the_future).unwrap();
        let expected = ProtocolError { speaks: 9, reason: Reason::Version, version: 2, kind: 1 };
        assert_eq!(read.body, Body::ProtocolError(expected));
        assert_eq!(
            Message::refusal(&from_the_future, &DecodeError::Reserved),
            None,
            "an answer is never answered"
        );
        assert_eq!(Message::refusal(&from_the_future[..7], &DecodeError::Reserved), None);
    }
}
