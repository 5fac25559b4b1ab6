//! The network message service's messages ([`crate::Kind::Net`]): Mach port messages and the
//! bookkeeping of rights between the nodes' kernels (docs/ports.md, *Across nodes*; the role of
//! Mach's NetMsgServer). A port is named across the system by a [`PortRef`] — the node that
//! holds its receive right and a number that node gave it; a right travels as a [`NetRight`].
//!
//! The body of a `Net` message is one [`NetOp`], little-endian, after the fixed part (op 8,
//! `to` 12, `from` 16, `n` 20):
//!
//! | op | body |
//! |---|---|
//! | 1 `Message` | dest (right: kind, node, id), reply kind (0: none) node id, msg id, item count, items |
//! | 2 `Delivered` | node, id: one message from `to` was queued on that port |
//! | 3 `AddRef` | node, id, holder: one more send-right reference, held by node `holder` |
//! | 4 `Release` | node, id, holder: one reference fewer |
//! | 5 `Dead` | node, id: the port died (its holders turn their rights into dead names) |
//! | 6 `NodeDead` | node: that node is dead |
//! | 7 `Moved` | old node, id; new node, id: the receive right in transit arrived there |
//! | 8 `Space` | pid, task port (0, or 1 node id), name count, names: the space of a migrating task |
//! | 9 `Piece` | stream, offset, length, bytes: a piece of a streamed out-of-line region (no bytes: the sender gave it up) |
//! | 10 `Taken` | stream, bytes taken so far, ok (1) or refused (0): the answer to pieces |
//! | 11 `Batch` | count (at most [`MAX_BATCH`]), then each op's number, its body's length and its body (no batch in a batch) |
//!
//! A name of a `Space` is its number, three words of the notifications asked about it
//! (dead-name, no-senders, port-destroyed: the name of the task's port each goes to, or 0;
//! only a port's), then `1` (a port: a bit set of the rights it brings —
//! 1 receive, 2 send, 4 send-once — a node and an id for each in that order, the send right's
//! user references, the queue limit), `2` (a port set: member count, member names) or `3` (a
//! dead name: its references).
//!
//! An item is `1, length, bytes` (inline), `2, kind, node, id` (a right), `3, length, bytes`
//! (out-of-line memory: its bytes, placed as a region of its own by the receiving node) or `4,
//! stream, size` (out-of-line memory larger than a piece, [`MAX_PIECE`]: its bytes follow in
//! `Piece`s of that stream, in order, each answered by a `Taken`). Every number is checked on
//! decoding: a kind out of range, a count beyond [`MAX_ITEMS`], a piece beyond [`MAX_PIECE`], a stream's size not a positive page multiple, trailing bytes are
//! [`DecodeError::BadNet`].

use alloc::vec::Vec;
use core::mem::MaybeUninit;

use crate::error::DecodeError;
use crate::wire::{put_u32, Reader};

/// The most items one message carries.
pub const MAX_ITEMS: usize = 64;

/// The most bytes of out-of-line memory a message carries itself ([`NetItem::Memory`]), and
/// of one [`NetOp::Piece`] of a larger region.
pub const MAX_PIECE: usize = 8192;

/// A port, named across the system: its receive right's node, and the number that node gave
/// it for the other nodes ([`PortRef::number`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PortRef {
    /// The node holding the receive right (as the sender knows it).
    pub node: u32,
    /// The number the node gave it.
    pub id: u32,
}

/// A page: a streamed region's size is a multiple of it.
const PAGE: u32 = 4096;

/// The bits of a port's number that count its node's exports (the high byte is the node's
/// incarnation).
pub const EXPORT_COUNT: u32 = 0x00ff_ffff;

impl PortRef {
    /// The number a node in its `incarnation` (how many times it was booted and died before)
    /// gives its `count`th export: the incarnation, modulo 256, in the high byte. A node that
    /// comes back numbers its ports afresh, and a reference to a port of an earlier
    /// incarnation, still on its way when it came back, names none of the new one's.
    pub const fn number(incarnation: u32, count: u32) -> u32 {
        (incarnation & 0xff) << 24 | count & EXPORT_COUNT
    }

    /// The incarnation (modulo 256) of the node that gave this port its number.
    pub const fn incarnation(&self) -> u32 {
        self.id >> 24
    }
}

/// What a right in a network message is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub enum NetKind {
    /// A send right, carrying one reference the receiving node holds from then on.
    Send = 1,
    /// A send-once right.
    SendOnce = 2,
    /// The receive right: the port moves to the receiving node.
    Receive = 3,
}

impl NetKind {
    fn from_word(word: u32) -> Result<NetKind, DecodeError> {
        match word {
            1 => Ok(NetKind::Send),
            2 => Ok(NetKind::SendOnce),
            3 => Ok(NetKind::Receive),
            _ => Err(DecodeError::BadNet),
        }
    }
}

/// A right travelling between nodes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NetRight {
    /// Which right.
    pub kind: NetKind,
    /// To which port.
    pub port: PortRef,
}

/// An item of a port message between nodes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NetItem {
    /// Bytes.
    Inline(Vec<u8>),
    /// A port right.
    Right(NetRight),
    /// Out-of-line memory: the region's bytes.
    Memory(Vec<u8>),
    /// Out-of-line memory whose bytes follow in [`NetOp::Piece`]s.
    Stream {
        /// The sender's number for the stream.
        stream: u32,
        /// The region's bytes (a page multiple).
        size: u32,
    },
}

impl NetItem {
    /// The word before an item on the wire that says which it is.
    pub const INLINE: u32 = 1;
    pub const RIGHT: u32 = 2;
    pub const MEMORY: u32 = 3;
    pub const STREAM: u32 = 4;
}

/// The most names of a migrating task's space ([`NetOp::Space`]): a task naming more cannot
/// move.
pub const MAX_SPACE_NAMES: usize = 64;

/// One name of a migrating task's space ([`NetOp::Space`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NetName {
    /// The name in the task's space.
    pub name: u32,
    /// What it denotes.
    pub what: NetNamed,
    /// The notifications the task asked about it — dead-name, no-senders, port-destroyed —
    /// each the name of the task's receive right it goes to (0: not asked). Only a port's.
    pub notify: [u32; 3],
}

/// What a [`NetName`] denotes: each right as the port it is a right to (a receive right
/// moves its port, a send right carries a reference, as in a message).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NetNamed {
    /// A port: the rights the name held. A name with the receive right and send rights
    /// brings no send right: the receiving node makes it from the receive right.
    Port {
        /// The receive right.
        receive: Option<PortRef>,
        /// The send right.
        send: Option<PortRef>,
        /// The send right's user references (0 without one).
        urefs: u32,
        /// The send-once right.
        send_once: Option<PortRef>,
        /// The port's queue limit (with the receive right).
        qlimit: u32,
    },
    /// A port set and the names of its members.
    Set(Vec<u32>),
    /// A dead name and its user references.
    Dead(u32),
}

impl NetNamed {
    /// The rights a port's name brings, as rights on the wire: receive, send, send-once
    /// (none for a port set or a dead name).
    pub fn rights(&self) -> [Option<NetRight>; 3] {
        match self {
            NetNamed::Port { receive, send, send_once, .. } => [
                receive.map(|port| NetRight { kind: NetKind::Receive, port }),
                send.map(|port| NetRight { kind: NetKind::Send, port }),
                send_once.map(|port| NetRight { kind: NetKind::SendOnce, port }),
            ],
            NetNamed::Set(_) | NetNamed::Dead(_) => [None; 3],
        }
    }
}

/// What one `Net` message says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NetOp {
    /// A port message for the port `dest` names, on the node that receives from it.
    Message {
        /// The destination right (send or send-once).
        dest: NetRight,
        /// The reply right, if any.
        reply: Option<NetRight>,
        /// The message id.
        id: u32,
        /// The items.
        items: Vec<NetItem>,
    },
    /// One message from the addressee to `port` is queued there: it may send the next.
    Delivered {
        /// The port.
        port: PortRef,
    },
    /// Node `holder` will hold one more reference to `port` (sent to the port's node ahead of
    /// a message that gives `holder` a send right it did not get from the port's node).
    AddRef {
        /// The port.
        port: PortRef,
        /// The node that will hold it.
        holder: u32,
    },
    /// Node `holder` holds one reference fewer to `port`.
    Release {
        /// The port.
        port: PortRef,
        /// The node that held it.
        holder: u32,
    },
    /// `port` died: its rights on the addressee become dead names.
    Dead {
        /// The port.
        port: PortRef,
    },
    /// Node `node` is dead: every port there died, every reference it held is gone.
    NodeDead {
        /// The dead node.
        node: u32,
    },
    /// The receive right of `old` (in a message) arrived on its new node, where the port is
    /// `new`: `old`'s node forwards to `new` what comes for `old`.
    Moved {
        /// The port as its old node named it.
        old: PortRef,
        /// The port on its new node.
        new: PortRef,
    },
    /// The port name space of process `pid`, which migrates to the addressee: its names go
    /// back in under the same numbers before it runs there, and its task port's receive right
    /// (if it has one) moves with it.
    Space {
        /// The process.
        pid: u32,
        /// Its task port, moving.
        task_port: Option<PortRef>,
        /// Its names, at most [`MAX_SPACE_NAMES`], in order.
        names: Vec<NetName>,
    },
    /// Bytes `offset..` of the region a message's [`NetItem::Stream`] announced, the pieces of
    /// a stream in order; a piece of no bytes says the sender gave the region up (it could not
    /// read it), and the message goes on without it.
    Piece {
        /// The sender's number for the stream.
        stream: u32,
        /// Where the bytes go in the region.
        offset: u32,
        /// At most [`MAX_PIECE`] bytes.
        bytes: Vec<u8>,
    },
    /// The addressee's stream `stream` to the sender: `upto` bytes of it are taken (the
    /// addressee may send further), or the region is refused (`ok` false: it stops).
    Taken {
        /// The addressee's number for the stream.
        stream: u32,
        /// Bytes taken so far.
        upto: u32,
        /// Whether the region is being taken.
        ok: bool,
    },
    /// Several ops for one node, to be taken in order, as if each had come alone (at most
    /// [`MAX_BATCH`], none a batch itself or a `NodeDead`, which only the central sends): what
    /// a node sends one after the other goes in one message, so an RPC's answer and the
    /// `Delivered` of its request cross in one frame.
    Batch(Vec<NetOp>),
}

/// The most ops one [`NetOp::Batch`] carries.
pub const MAX_BATCH: usize = 16;

impl NetOp {
    /// [`NetOp::Message`]'s number.
    pub const MESSAGE: u32 = 1;

    /// [`NetOp::Delivered`]'s number.
    pub const DELIVERED: u32 = 2;

    /// [`NetOp::NodeDead`]'s number: only the central sends it.
    pub const NODE_DEAD: u32 = 6;

    /// [`NetOp::Batch`]'s number.
    pub const BATCH: u32 = 11;

    /// Whether `code` numbers an op.
    pub fn is_code(code: u32) -> bool {
        (1..=NetOp::BATCH).contains(&code)
    }

    /// The op's number.
    pub fn code(&self) -> u32 {
        match self {
            NetOp::Message { .. } => NetOp::MESSAGE,
            NetOp::Delivered { .. } => NetOp::DELIVERED,
            NetOp::AddRef { .. } => 3,
            NetOp::Release { .. } => 4,
            NetOp::Dead { .. } => 5,
            NetOp::NodeDead { .. } => NetOp::NODE_DEAD,
            NetOp::Moved { .. } => 7,
            NetOp::Space { .. } => 8,
            NetOp::Piece { .. } => 9,
            NetOp::Taken { .. } => 10,
            NetOp::Batch(_) => NetOp::BATCH,
        }
    }

    /// The body's bytes.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.encoded_len());
        self.encode_into(&mut out);
        out
    }

    /// Bytes of the body.
    pub fn encoded_len(&self) -> usize {
        let items = |items: &[NetItem]| -> usize {
            items
                .iter()
                .map(|item| match item {
                    NetItem::Inline(bytes) | NetItem::Memory(bytes) => 8 + bytes.len(),
                    NetItem::Right(_) => 16,
                    NetItem::Stream { .. } => 12,
                })
                .sum()
        };
        match self {
            NetOp::Message { items: list, .. } => 32 + items(list),
            NetOp::Delivered { .. } | NetOp::Dead { .. } => DELIVERED_LEN,
            NetOp::AddRef { .. } | NetOp::Release { .. } => 12,
            NetOp::NodeDead { .. } => 4,
            NetOp::Moved { .. } => 16,
            NetOp::Piece { bytes, .. } => 12 + bytes.len(),
            NetOp::Taken { .. } => 12,
            NetOp::Space { .. } => self.encode_slow().len(),
            NetOp::Batch(ops) => 4 + ops.iter().map(|op| 8 + op.encoded_len()).sum::<usize>(),
        }
    }

    /// [`NetOp::encode`] of the ops whose length is not worth working out beforehand.
    fn encode_slow(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.encode_into(&mut out);
        out
    }

    /// Appends the body's bytes to `out`.
    pub fn encode_into(&self, out: &mut Vec<u8>) {
        let right = |out: &mut Vec<u8>, r: &NetRight| {
            put_u32(out, r.kind as u32);
            put_port(out, &r.port);
        };
        match self {
            NetOp::Message { dest, reply, id, items } => {
                put_message_head(out, dest, reply.as_ref(), *id, items.len());
                for item in items {
                    match item {
                        NetItem::Inline(bytes) => put_inline(out, bytes),
                        NetItem::Right(r) => {
                            put_u32(out, NetItem::RIGHT);
                            right(out, r);
                        }
                        NetItem::Memory(bytes) => {
                            put_u32(out, NetItem::MEMORY);
                            put_u32(out, bytes.len() as u32);
                            out.extend_from_slice(bytes);
                        }
                        NetItem::Stream { stream, size } => {
                            put_u32(out, NetItem::STREAM);
                            put_u32(out, *stream);
                            put_u32(out, *size);
                        }
                    }
                }
            }
            NetOp::Delivered { port: p } | NetOp::Dead { port: p } => put_port(out, p),
            NetOp::AddRef { port: p, holder } | NetOp::Release { port: p, holder } => {
                put_port(out, p);
                put_u32(out, *holder);
            }
            NetOp::NodeDead { node } => put_u32(out, *node),
            NetOp::Piece { stream, offset, bytes } => {
                put_u32(out, *stream);
                put_u32(out, *offset);
                put_u32(out, bytes.len() as u32);
                out.extend_from_slice(bytes);
            }
            NetOp::Taken { stream, upto, ok } => {
                put_u32(out, *stream);
                put_u32(out, *upto);
                put_u32(out, u32::from(*ok));
            }
            NetOp::Moved { old, new } => {
                put_port(out, old);
                put_port(out, new);
            }
            NetOp::Space { pid, task_port, names } => {
                put_u32(out, *pid);
                match task_port {
                    Some(p) => {
                        put_u32(out, 1);
                        put_port(out, p);
                    }
                    None => put_u32(out, 0),
                }
                put_u32(out, names.len() as u32);
                for name in names {
                    put_u32(out, name.name);
                    for notify in name.notify {
                        put_u32(out, notify);
                    }
                    match &name.what {
                        NetNamed::Port { receive, send, urefs, send_once, qlimit } => {
                            put_u32(out, 1);
                            let rights = [receive, send, send_once];
                            let bits = rights
                                .iter()
                                .enumerate()
                                .fold(0, |b, (i, r)| b | (u32::from(r.is_some()) << i));
                            put_u32(out, bits);
                            for p in rights.into_iter().flatten() {
                                put_port(out, p);
                            }
                            put_u32(out, *urefs);
                            put_u32(out, *qlimit);
                        }
                        NetNamed::Set(members) => {
                            put_u32(out, 2);
                            put_u32(out, members.len() as u32);
                            for member in members {
                                put_u32(out, *member);
                            }
                        }
                        NetNamed::Dead(urefs) => {
                            put_u32(out, 3);
                            put_u32(out, *urefs);
                        }
                    }
                }
            }
            NetOp::Batch(ops) => {
                put_u32(out, ops.len() as u32);
                for op in ops {
                    put_batched(out, op);
                }
            }
        }
    }

    /// The op numbered `code` from its body, every field checked.
    pub fn decode(code: u32, body: &[u8]) -> Result<NetOp, DecodeError> {
        let mut r = Reader::new(body);
        let port = |r: &mut Reader<'_>| -> Result<PortRef, DecodeError> {
            Ok(PortRef { node: r.u32()?, id: r.u32()? })
        };
        let right = |r: &mut Reader<'_>| -> Result<NetRight, DecodeError> {
            let kind = NetKind::from_word(r.u32()?)?;
            Ok(NetRight { kind, port: port(r)? })
        };
        let op = match code {
            NetOp::MESSAGE => {
                let dest = right(&mut r)?;
                if dest.kind == NetKind::Receive {
                    return Err(DecodeError::BadNet);
                }
                let reply = match r.u32()? {
                    0 => {
                        if (r.u32()?, r.u32()?) != (0, 0) {
                            return Err(DecodeError::BadNet);
                        }
                        None
                    }
                    kind => Some(NetRight { kind: NetKind::from_word(kind)?, port: port(&mut r)? }),
                };
                if reply.is_some_and(|r| r.kind == NetKind::Receive) {
                    return Err(DecodeError::BadNet);
                }
                let id = r.u32()?;
                let count = r.u32()? as usize;
                if count > MAX_ITEMS {
                    return Err(DecodeError::BadNet);
                }
                let mut items = Vec::with_capacity(count);
                for _ in 0..count {
                    items.push(match r.u32()? {
                        NetItem::INLINE => {
                            let len = r.u32()? as usize;
                            NetItem::Inline(r.take(len)?.to_vec())
                        }
                        NetItem::RIGHT => NetItem::Right(right(&mut r)?),
                        NetItem::MEMORY => {
                            let len = r.u32()? as usize;
                            NetItem::Memory(r.take(len)?.to_vec())
                        }
                        NetItem::STREAM => {
                            let (stream, size) = (r.u32()?, r.u32()?);
                            if size == 0 || size % PAGE != 0 {
                                return Err(DecodeError::BadNet);
                            }
                            NetItem::Stream { stream, size }
                        }
                        _ => return Err(DecodeError::BadNet),
                    });
                }
                NetOp::Message { dest, reply, id, items }
            }
            NetOp::DELIVERED => NetOp::Delivered { port: port(&mut r)? },
            3 => NetOp::AddRef { port: port(&mut r)?, holder: r.u32()? },
            4 => NetOp::Release { port: port(&mut r)?, holder: r.u32()? },
            5 => NetOp::Dead { port: port(&mut r)? },
            6 => NetOp::NodeDead { node: r.u32()? },
            7 => NetOp::Moved { old: port(&mut r)?, new: port(&mut r)? },
            9 => {
                let (stream, offset, len) = (r.u32()?, r.u32()?, r.u32()? as usize);
                if len > MAX_PIECE {
                    return Err(DecodeError::BadNet);
                }
                NetOp::Piece { stream, offset, bytes: r.take(len)?.to_vec() }
            }
            10 => {
                let (stream, upto) = (r.u32()?, r.u32()?);
                let ok = match r.u32()? {
                    0 => false,
                    1 => true,
                    _ => return Err(DecodeError::BadNet),
                };
                NetOp::Taken { stream, upto, ok }
            }
            8 => {
                let pid = r.u32()?;
                let task_port = match r.u32()? {
                    0 => None,
                    1 => Some(port(&mut r)?),
                    _ => return Err(DecodeError::BadNet),
                };
                let count = r.u32()? as usize;
                if count > MAX_SPACE_NAMES {
                    return Err(DecodeError::BadNet);
                }
                let mut names: Vec<NetName> = Vec::with_capacity(count);
                for _ in 0..count {
                    let name = r.u32()?;
                    // Names are given in order, none twice, never the null name.
                    if name == 0 || names.last().is_some_and(|last| last.name >= name) {
                        return Err(DecodeError::BadNet);
                    }
                    let notify = [r.u32()?, r.u32()?, r.u32()?];
                    let what = match r.u32()? {
                        1 => {
                            let bits = r.u32()?;
                            if bits == 0 || bits > 7 {
                                return Err(DecodeError::BadNet);
                            }
                            let mut rights = [None; 3];
                            for (i, right) in rights.iter_mut().enumerate() {
                                if bits & (1 << i) != 0 {
                                    *right = Some(port(&mut r)?);
                                }
                            }
                            let [receive, send, send_once] = rights;
                            let (urefs, qlimit) = (r.u32()?, r.u32()?);
                            // A send right has references; only a name with one (or with the
                            // receive right, which makes it again) counts any.
                            let counted = send.is_some() || receive.is_some();
                            if send.is_some() && urefs == 0 || !counted && urefs != 0 {
                                return Err(DecodeError::BadNet);
                            }
                            NetNamed::Port { receive, send, urefs, send_once, qlimit }
                        }
                        2 => {
                            let members = r.u32()? as usize;
                            if members > MAX_SPACE_NAMES {
                                return Err(DecodeError::BadNet);
                            }
                            NetNamed::Set((0..members).map(|_| r.u32()).collect::<Result<_, _>>()?)
                        }
                        3 => match r.u32()? {
                            0 => return Err(DecodeError::BadNet),
                            urefs => NetNamed::Dead(urefs),
                        },
                        _ => return Err(DecodeError::BadNet),
                    };
                    if notify != [0; 3] && !matches!(what, NetNamed::Port { .. }) {
                        return Err(DecodeError::BadNet);
                    }
                    names.push(NetName { name, what, notify });
                }
                NetOp::Space { pid, task_port, names }
            }
            NetOp::BATCH => {
                let count = r.u32()? as usize;
                if count > MAX_BATCH {
                    return Err(DecodeError::BadNet);
                }
                let mut ops = Vec::with_capacity(count);
                for _ in 0..count {
                    let code = r.u32()?;
                    let len = r.u32()? as usize;
                    // Only the central says a node died, and alone, its envelope seen by all.
                    if code == NetOp::BATCH || code == NetOp::NODE_DEAD {
                        return Err(DecodeError::BadNet);
                    }
                    ops.push(NetOp::decode(code, r.take(len)?)?);
                }
                NetOp::Batch(ops)
            }
            _ => return Err(DecodeError::BadNet),
        };
        if !r.rest().is_empty() {
            return Err(DecodeError::BadNet);
        }
        Ok(op)
    }
}

/// A `Message` op of inline items only, in parts (`NetEnvelope::encode_inline_message`): its
/// destination, reply right, id and items' bytes, and the ports whose `Delivered` ops a `Batch`
/// carries after it (none: the message alone).
pub struct InlineMessage<'a> {
    /// The right it is sent through.
    pub dest: NetRight,
    /// The right it carries for an answer.
    pub reply: Option<NetRight>,
    /// The message id.
    pub id: u32,
    /// Its items, all inline: their bytes.
    pub items: &'a [&'a [u8]],
    /// The ports of the `Delivered` ops that ride with it.
    pub delivered: &'a [PortRef],
}

impl InlineMessage<'_> {
    /// The op's number (`Message`, or `Batch` if `Delivered`s ride with it) and its body's
    /// length; `None` if the batch would be too long ([`MAX_BATCH`]).
    pub(crate) fn code_and_len(&self) -> Option<(u32, usize)> {
        match self.delivered.len() {
            0 => Some((NetOp::MESSAGE, self.message_len())),
            n if n < MAX_BATCH => Some((NetOp::BATCH, 4 + 8 + self.message_len() + n * 16)),
            _ => None,
        }
    }

    /// Bytes of the `Message` op's body.
    fn message_len(&self) -> usize {
        32 + self.items.iter().map(|item| 8 + item.len()).sum::<usize>()
    }

    /// Gives the body to `out`, field by field: what [`NetOp::encode_into`] writes for the
    /// op built of these parts, without building it (no vector for its items, nor for each
    /// item's bytes, nor an op for each `Delivered`).
    pub(crate) fn encode_into(&self, out: &mut impl Sink) {
        if !self.delivered.is_empty() {
            out.words([1 + self.delivered.len() as u32, NetOp::MESSAGE, self.message_len() as u32]);
        }
        put_message_head(out, &self.dest, self.reply.as_ref(), self.id, self.items.len());
        for item in self.items {
            put_inline(out, item);
        }
        for port in self.delivered {
            // As `put_op_head` of the op (its number and its body's length), and `put_port`.
            out.words([NetOp::DELIVERED, DELIVERED_LEN as u32, port.node, port.id]);
        }
    }
}

/// A `Message` op of inline items read where it lies ([`InlineRead::read`]): the shape
/// [`InlineMessage`] writes — the message alone, or a `Batch` of it and the `Delivered`s after
/// it — with its items' places in the body instead of copies of them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InlineRead {
    /// The right it came through.
    pub dest: NetRight,
    /// The right it carries for an answer.
    pub reply: Option<NetRight>,
    /// The message id.
    pub id: u32,
    /// Where each item's bytes lie in the body: start and end (a body is at most
    /// [`crate::MAX_DATA`] bytes).
    items: [(u16, u16); InlineRead::ITEMS],
    count: u8,
    delivered: [PortRef; InlineRead::DELIVERED],
    delivered_count: u8,
}

impl InlineRead {
    /// The most items it reads in place: as many as an RPC's short message holds.
    pub const ITEMS: usize = 5;

    /// The most `Delivered`s after the message it reads in place.
    pub const DELIVERED: usize = 4;

    /// An empty read, for [`InlineRead::fill`] to fill.
    pub const EMPTY: InlineRead = InlineRead {
        dest: NetRight { kind: NetKind::Send, port: PortRef { node: 0, id: 0 } },
        reply: None,
        id: 0,
        items: [(0, 0); InlineRead::ITEMS],
        count: 0,
        delivered: [PortRef { node: 0, id: 0 }; InlineRead::DELIVERED],
        delivered_count: 0,
    };

    /// The op of number `code` and body `body`, if it is a `Message` of at most
    /// [`InlineRead::ITEMS`] items, all inline, alone or first in a `Batch` with at most
    /// [`InlineRead::DELIVERED`] `Delivered`s after it: read in place, and exactly what
    /// [`NetOp::decode`] makes of it ([`InlineRead::to_op`]). `None` for any other op and
    /// for anything `NetOp::decode` refuses: decode those whole.
    pub fn read(code: u32, body: &[u8]) -> Option<InlineRead> {
        let mut read = InlineRead::EMPTY;
        read.fill(code, body).then_some(read)
    }

    /// [`InlineRead::read`] into `self`, which the caller keeps (a read is some 90 bytes,
    /// which a returned one would be copied through twice on its way to the caller); false,
    /// and `self` undefined, where `read` gives `None`.
    ///
    /// A body that lies word-aligned, every item a whole number of words (an RPC's, in the
    /// frame it came in), is read a word at a time ([`InlineRead::read_words`]); any other is
    /// read field by field.
    #[inline]
    pub fn fill(&mut self, code: u32, body: &[u8]) -> bool {
        self.fill_words(code, body).is_some() || self.fill_bytes(code, body).is_some()
    }

    /// [`InlineRead::read`] of a body that lies word-aligned and whose items are whole words:
    /// the fields are read as the words they are, with a load each. `None` if the body is not
    /// such (or not such a message at all: [`InlineRead::read_bytes`] then says which).
    #[cfg(test)]
    pub(crate) fn read_words(code: u32, body: &[u8]) -> Option<InlineRead> {
        let mut read = InlineRead::EMPTY;
        read.fill_words(code, body).map(|()| read)
    }

    /// [`InlineRead::read_words`] into `self`.
    fn fill_words(&mut self, code: u32, body: &[u8]) -> Option<()> {
        // Safety: a `u32` may hold any four bytes, and every byte of `body` is initialised;
        // only the aligned middle is taken, and used only when it is the whole body.
        let (head, words, tail) = unsafe { body.align_to::<u32>() };
        if !head.is_empty() || !tail.is_empty() {
            return None;
        }
        let word = |at: usize| words.get(at).map(|w| u32::from_le(*w));
        // The message's words, where it begins in `body`, and how many `Delivered`s follow it.
        let (message, base, delivered_count) = match code {
            NetOp::MESSAGE => (words, 0, 0),
            NetOp::BATCH => {
                let count = word(0)? as usize;
                if !(1..=1 + InlineRead::DELIVERED).contains(&count) || word(1)? != NetOp::MESSAGE {
                    return None;
                }
                let len = word(2)? as usize;
                if !len.is_multiple_of(4) {
                    return None;
                }
                (words.get(3..3 + len / 4)?, 12, count - 1)
            }
            _ => return None,
        };
        self.fill_message_words(message, base)?;
        // Each `Delivered`: its number, its body's length (8) and its port.
        let after = words.get(3 + message.len()..).filter(|_| code == NetOp::BATCH).unwrap_or_default();
        if after.len() != 4 * delivered_count {
            return None;
        }
        for (slot, op) in self.delivered.iter_mut().zip(after.chunks_exact(4)) {
            let [number, len, node, id] = [op[0], op[1], op[2], op[3]].map(u32::from_le);
            if (number, len) != (NetOp::DELIVERED, 8) {
                return None;
            }
            *slot = PortRef { node, id };
        }
        self.delivered_count = delivered_count as u8;
        Some(())
    }

    /// [`InlineRead::fill_message`] of a message's words, which begin `base` bytes into the
    /// op's body; `None` also if an item is not a whole number of words.
    fn fill_message_words(&mut self, message: &[u32], base: usize) -> Option<()> {
        let word = |at: usize| message.get(at).map(|w| u32::from_le(*w));
        let right = |kind: u32, node: u32, id: u32| -> Option<NetRight> {
            let kind = NetKind::from_word(kind).ok().filter(|k| *k != NetKind::Receive)?;
            Some(NetRight { kind, port: PortRef { node, id } })
        };
        let head: [u32; 8] = message.get(..8)?.try_into().ok()?;
        let [kind, node, id, reply_kind, reply_node, reply_id, message_id, count] = head.map(u32::from_le);
        self.dest = right(kind, node, id)?;
        self.reply = match reply_kind {
            0 if (reply_node, reply_id) == (0, 0) => None,
            0 => return None,
            kind => Some(right(kind, reply_node, reply_id)?),
        };
        let count = count as usize;
        if count > InlineRead::ITEMS {
            return None;
        }
        self.items = [(0, 0); InlineRead::ITEMS];
        let mut at = 8;
        for item in &mut self.items[..count] {
            let len = word(at + 1)? as usize;
            if word(at)? != NetItem::INLINE || !len.is_multiple_of(4) {
                return None;
            }
            let start = base + (at + 2) * 4;
            at += 2 + len / 4;
            if at > message.len() {
                return None;
            }
            *item = (u16::try_from(start).ok()?, u16::try_from(start + len).ok()?);
        }
        if at != message.len() {
            return None;
        }
        self.id = message_id;
        self.count = count as u8;
        self.delivered = [PortRef { node: 0, id: 0 }; InlineRead::DELIVERED];
        self.delivered_count = 0;
        Some(())
    }

    /// [`InlineRead::read`] field by field.
    #[cfg(test)]
    pub(crate) fn read_bytes(code: u32, body: &[u8]) -> Option<InlineRead> {
        let mut read = InlineRead::EMPTY;
        read.fill_bytes(code, body).map(|()| read)
    }

    /// [`InlineRead::read_bytes`] into `self`.
    fn fill_bytes(&mut self, code: u32, body: &[u8]) -> Option<()> {
        let mut r = Reader::new(body);
        // The message's body, where it begins in `body`, and how many `Delivered`s follow it.
        let (message, base, delivered_count) = match code {
            NetOp::MESSAGE => (body, 0, 0),
            NetOp::BATCH => {
                // The batch's count, then the message's number and length.
                let count = r.u32().ok()? as usize;
                if !(1..=1 + InlineRead::DELIVERED).contains(&count) || r.u32().ok()? != NetOp::MESSAGE {
                    return None;
                }
                let len = r.u32().ok()? as usize;
                (r.take(len).ok()?, 12, count - 1)
            }
            _ => return None,
        };
        self.fill_message(message, base)?;
        for slot in &mut self.delivered[..delivered_count] {
            // A `Delivered`'s body is its port: 8 bytes.
            if (r.u32().ok()?, r.u32().ok()?) != (NetOp::DELIVERED, 8) {
                return None;
            }
            *slot = PortRef { node: r.u32().ok()?, id: r.u32().ok()? };
        }
        self.delivered_count = delivered_count as u8;
        if code == NetOp::BATCH && !r.rest().is_empty() {
            return None;
        }
        Some(())
    }

    /// The `Message` body `message`, which begins `base` bytes into the op's body, into
    /// `self`.
    fn fill_message(&mut self, message: &[u8], base: usize) -> Option<()> {
        let mut r = Reader::new(message);
        let right = |r: &mut Reader<'_>, kind: u32| -> Option<NetRight> {
            let kind = NetKind::from_word(kind).ok().filter(|k| *k != NetKind::Receive)?;
            Some(NetRight { kind, port: PortRef { node: r.u32().ok()?, id: r.u32().ok()? } })
        };
        let kind = r.u32().ok()?;
        self.dest = right(&mut r, kind)?;
        self.reply = match r.u32().ok()? {
            0 => {
                if (r.u32().ok()?, r.u32().ok()?) != (0, 0) {
                    return None;
                }
                None
            }
            kind => Some(right(&mut r, kind)?),
        };
        self.id = r.u32().ok()?;
        let count = r.u32().ok()? as usize;
        if count > InlineRead::ITEMS {
            return None;
        }
        self.items = [(0, 0); InlineRead::ITEMS];
        for item in &mut self.items[..count] {
            if r.u32().ok()? != NetItem::INLINE {
                return None;
            }
            let len = r.u32().ok()? as usize;
            let start = base + r.position();
            r.take(len).ok()?;
            *item = (u16::try_from(start).ok()?, u16::try_from(start + len).ok()?);
        }
        if !r.rest().is_empty() {
            return None;
        }
        self.count = count as u8;
        self.delivered = [PortRef { node: 0, id: 0 }; InlineRead::DELIVERED];
        self.delivered_count = 0;
        Some(())
    }

    /// The items' bytes in `body` (the body it was read from), and how many there are.
    pub fn items<'a>(&self, body: &'a [u8]) -> ([&'a [u8]; InlineRead::ITEMS], usize) {
        let items = core::array::from_fn(|i| {
            let (start, end) = self.items[i];
            body.get(usize::from(start)..usize::from(end)).unwrap_or_default()
        });
        (items, usize::from(self.count))
    }

    /// The ports of the `Delivered`s after the message.
    pub fn delivered(&self) -> &[PortRef] {
        &self.delivered[..usize::from(self.delivered_count)]
    }

    /// The op [`NetOp::decode`] makes of `body` (the body it was read from).
    pub fn to_op(&self, body: &[u8]) -> NetOp {
        let (items, count) = self.items(body);
        let items = items[..count].iter().map(|bytes| NetItem::Inline(bytes.to_vec())).collect();
        let message = NetOp::Message { dest: self.dest, reply: self.reply, id: self.id, items };
        if self.delivered_count == 0 {
            return message;
        }
        let delivered = self.delivered().iter().map(|&port| NetOp::Delivered { port });
        NetOp::Batch(core::iter::once(message).chain(delivered).collect())
    }
}

/// Where an encoder puts what it writes: little-endian fields and bytes, in order.
pub(crate) trait Sink {
    /// Appends a little-endian `u32`.
    fn word(&mut self, value: u32);
    /// Appends `bytes`.
    fn bytes(&mut self, bytes: &[u8]);
    /// Appends the little-endian `u32`s `values`, in order.
    #[inline(always)]
    fn words<const N: usize>(&mut self, values: [u32; N]) {
        for value in values {
            self.word(value);
        }
    }
}

impl Sink for Vec<u8> {
    fn word(&mut self, value: u32) {
        put_u32(self, value);
    }

    fn bytes(&mut self, bytes: &[u8]) {
        self.extend_from_slice(bytes);
    }
}

/// Room for a short encoding built a word at a time ([`WordArea`]), kept by the caller on its
/// stack, uninitialised until written, so that a short message is encoded with no allocation
/// and no copy ([`NetEnvelope::encode_inline_message`] lends its bytes: `Cow::Borrowed`).
///
/// [`NetEnvelope::encode_inline_message`]: crate::NetEnvelope::encode_inline_message
pub struct Words {
    words: MaybeUninit<[u32; Words::MAX]>,
}

impl Words {
    /// The most words it holds.
    pub const MAX: usize = 48;

    /// Room not written yet.
    pub fn new() -> Words {
        Words { words: MaybeUninit::uninit() }
    }

    /// Its words, to build an encoding in.
    pub fn area(&mut self) -> WordArea<'_> {
        // Safety: an uninitialised array of words and an array of uninitialised words have the
        // same layout.
        let words = unsafe { &mut *self.words.as_mut_ptr().cast::<[MaybeUninit<u32>; Words::MAX]>() };
        WordArea { len: 0, whole: true, words }
    }
}

impl Default for Words {
    fn default() -> Words {
        Words::new()
    }
}

/// A short encoding built a word at a time (a store each, where a vector takes four and a
/// check of its room), for as long as every field and every run of bytes keeps to whole words
/// and fits: then [`WordArea::written`] gives its bytes where they were written. The words are
/// a [`Words`]'s, or those of the frame that will carry the message ([`WordArea::of`]), so that
/// it is encoded where it leaves from.
pub struct WordArea<'a> {
    len: usize,
    whole: bool,
    words: &'a mut [MaybeUninit<u32>],
}

impl<'a> WordArea<'a> {
    /// An encoding built in `words` (whose values it overwrites).
    pub fn of(words: &'a mut [u32]) -> WordArea<'a> {
        // Safety: a word and an uninitialised word have the same layout, and a `WordArea` only
        // ever writes initialised words into them, so `words` stays initialised.
        let words = unsafe { &mut *(core::ptr::from_mut(words) as *mut [MaybeUninit<u32>]) };
        WordArea { len: 0, whole: true, words }
    }

    /// The bytes written, if they kept to whole words and fitted.
    pub(crate) fn written(self) -> Option<&'a [u8]> {
        if !self.whole || self.len > self.words.len() {
            return None;
        }
        // Safety: while `whole`, every word below `len` (at most the area's length) was written
        // (`word` writes the slot of each word it counts, or clears `whole` when there is
        // none), so these are initialised `u32`s (no padding, and every byte a valid `u8`),
        // stored little-endian: the encoding's bytes in order.
        Some(unsafe { core::slice::from_raw_parts(self.words.as_ptr().cast::<u8>(), self.len * 4) })
    }
}

impl Sink for WordArea<'_> {
    fn word(&mut self, value: u32) {
        match self.words.get_mut(self.len) {
            Some(slot) => {
                slot.write(value.to_le());
            }
            None => self.whole = false,
        }
        self.len += 1;
    }

    /// One look at the room for all of them (a message's fields go so), not one each.
    #[inline(always)]
    fn words<const N: usize>(&mut self, values: [u32; N]) {
        match self.words.get_mut(self.len..self.len + N) {
            Some(slots) => {
                for (slot, value) in slots.iter_mut().zip(values) {
                    slot.write(value.to_le());
                }
            }
            None => self.whole = false,
        }
        self.len += N;
    }

    fn bytes(&mut self, bytes: &[u8]) {
        if !bytes.len().is_multiple_of(4) {
            self.whole = false;
        }
        // Safety: any four bytes are a valid `u32`; `align_to` gives the whole aligned words
        // in between.
        match unsafe { bytes.align_to::<u32>() } {
            // Where they lie word-aligned (an RPC's items, read where they lie in the
            // sender's page), a word at a time: a load each, not four and three shifts.
            ([], words, _) => {
                for &word in words {
                    self.word(u32::from_le(word));
                }
            }
            _ => {
                for chunk in bytes.chunks_exact(4) {
                    self.word(u32::from_le_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]));
                }
            }
        }
    }
}

/// Bytes of a `Delivered` op's body (and a `Dead`'s): a port.
const DELIVERED_LEN: usize = 8;

/// Appends a `Message` op's fields before its items.
fn put_message_head(out: &mut impl Sink, dest: &NetRight, reply: Option<&NetRight>, id: u32, count: usize) {
    // Field by field: an iterator over them costs an encoding twice as much at `opt-level = "s"`.
    let (reply_kind, reply_port) = reply.map_or((0, PortRef { node: 0, id: 0 }), |r| (r.kind as u32, r.port));
    out.words([
        dest.kind as u32,
        dest.port.node,
        dest.port.id,
        reply_kind,
        reply_port.node,
        reply_port.id,
        id,
        count as u32,
    ]);
}

/// Appends an inline item.
fn put_inline(out: &mut impl Sink, bytes: &[u8]) {
    out.words([NetItem::INLINE, bytes.len() as u32]);
    out.bytes(bytes);
}

/// Appends `op` as a batch holds it: its number, its body's length ([`put_op_head`]), its body.
fn put_batched(out: &mut Vec<u8>, op: &NetOp) {
    put_op_head(out, op);
    op.encode_into(out);
}

/// Appends what a batch holds before `op`'s body: its number and its body's length.
fn put_op_head(out: &mut impl Sink, op: &NetOp) {
    out.word(op.code());
    out.word(op.encoded_len() as u32);
}

/// Appends a port: its node and its number there.
fn put_port(out: &mut impl Sink, port: &PortRef) {
    out.word(port.node);
    out.word(port.id);
}

/// A `Net` message: an op from node `from` for node `to` (the central relays what is for
/// another satellite).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Net {
    /// The node it is for.
    pub to: u32,
    /// The node it is from.
    pub from: u32,
    /// What it says.
    pub op: NetOp,
}

#[cfg(test)]
pub(crate) mod tests {
    #[test]
    fn a_port_number_carries_its_incarnation_and_no_two_incarnations_share_one() {
        for incarnation in [0, 1, 2, 255, 256, 257] {
            for count in [2, 3, EXPORT_COUNT, EXPORT_COUNT + 1] {
                let port = PortRef { node: 3, id: PortRef::number(incarnation, count) };
                assert_eq!(port.incarnation(), incarnation % 256);
                assert_eq!(port.id & EXPORT_COUNT, count & EXPORT_COUNT);
                for other in (0..256).filter(|i| *i != incarnation % 256) {
                    for other_count in [2, 3, count, EXPORT_COUNT] {
                        assert_ne!(PortRef::number(other, other_count), port.id);
                    }
                }
            }
        }
    }

    use super::*;
    use alloc::vec;

    pub(crate) fn every_op() -> Vec<NetOp> {
        let p = PortRef { node: 2, id: 7 };
        let send = NetRight { kind: NetKind::Send, port: p };
        vec![
            NetOp::Message {
                dest: send,
                reply: Some(NetRight { kind: NetKind::SendOnce, port: PortRef { node: 0, id: 1 } }),
                id: 42,
                items: vec![
                    NetItem::Inline(b"hello".to_vec()),
                    NetItem::Right(NetRight { kind: NetKind::Receive, port: p }),
                    NetItem::Memory(vec![7; 4096]),
                    NetItem::Stream { stream: 3, size: 1 << 20 },
                ],
            },
            NetOp::Message { dest: send, reply: None, id: 0, items: Vec::new() },
            NetOp::Delivered { port: p },
            NetOp::AddRef { port: p, holder: 3 },
            NetOp::Release { port: p, holder: 3 },
            NetOp::Dead { port: p },
            NetOp::NodeDead { node: 5 },
            NetOp::Moved { old: p, new: PortRef { node: 1, id: 9 } },
            NetOp::Space {
                pid: 12,
                task_port: Some(PortRef { node: 1, id: 4 }),
                names: vec![
                    NetName {
                        name: 1,
                        what: NetNamed::Port {
                            receive: Some(p),
                            send: None,
                            urefs: 2,
                            send_once: None,
                            qlimit: 5,
                        },
                        notify: [0, 1, 1],
                    },
                    NetName { name: 2, what: NetNamed::Set(vec![1]), notify: [0; 3] },
                    NetName {
                        name: 3,
                        what: NetNamed::Port {
                            receive: None,
                            send: Some(PortRef { node: 3, id: 8 }),
                            urefs: 7,
                            send_once: None,
                            qlimit: 0,
                        },
                        notify: [1, 0, 0],
                    },
                    NetName {
                        name: 4,
                        what: NetNamed::Port {
                            receive: None,
                            send: None,
                            urefs: 0,
                            send_once: Some(p),
                            qlimit: 0,
                        },
                        notify: [0; 3],
                    },
                    NetName { name: 9, what: NetNamed::Dead(3), notify: [0; 3] },
                ],
            },
            NetOp::Space { pid: 1, task_port: None, names: Vec::new() },
            NetOp::Piece { stream: 3, offset: 8192, bytes: vec![9; MAX_PIECE] },
            NetOp::Piece { stream: 3, offset: 16384, bytes: Vec::new() },
            NetOp::Taken { stream: 3, upto: 16384, ok: true },
            NetOp::Taken { stream: 3, upto: 0, ok: false },
            NetOp::Batch(vec![
                NetOp::Message {
                    dest: send,
                    reply: None,
                    id: 0,
                    items: vec![NetItem::Inline(vec![1, 2, 3])],
                },
                NetOp::Delivered { port: p },
            ]),
            NetOp::Batch(Vec::new()),
        ]
    }

    #[test]
    fn every_op_round_trips() {
        for op in every_op() {
            assert_eq!(NetOp::decode(op.code(), &op.encode()), Ok(op));
        }
    }

    #[test]
    fn every_op_knows_its_length_and_its_number() {
        for op in every_op() {
            assert_eq!(op.encoded_len(), op.encode().len(), "{op:?}");
            assert!(NetOp::is_code(op.code()));
        }
        assert_eq!(NetOp::NodeDead { node: 1 }.code(), NetOp::NODE_DEAD);
        assert!(!NetOp::is_code(0) && !NetOp::is_code(12));
    }

    #[test]
    fn every_truncation_and_extension_is_refused() {
        for op in every_op() {
            let bytes = op.encode();
            for len in 0..bytes.len() {
                assert!(NetOp::decode(op.code(), &bytes[..len]).is_err(), "{op:?} cut at {len}");
            }
            let mut longer = bytes.clone();
            longer.push(0);
            assert_eq!(NetOp::decode(op.code(), &longer), Err(DecodeError::BadNet));
        }
    }

    #[test]
    fn bad_numbers_are_refused() {
        assert_eq!(NetOp::decode(0, &[]), Err(DecodeError::BadNet));
        assert_eq!(NetOp::decode(12, &[]), Err(DecodeError::BadNet));
        // A batch in a batch, a batch too long, an op of a batch longer than its length says.
        // A batch in a batch, a node's death in one, a batch too long, an op of a batch longer
        // than its length says.
        let p = PortRef { node: 0, id: 1 };
        let inner = NetOp::Batch(vec![NetOp::Dead { port: p }]);
        let nested = NetOp::Batch(vec![inner]).encode();
        assert_eq!(NetOp::decode(11, &nested), Err(DecodeError::BadNet));
        let death = NetOp::Batch(vec![NetOp::NodeDead { node: 1 }]).encode();
        assert_eq!(NetOp::decode(11, &death), Err(DecodeError::BadNet));
        let many = NetOp::Batch(vec![NetOp::Dead { port: p }; MAX_BATCH + 1]).encode();
        assert_eq!(NetOp::decode(11, &many), Err(DecodeError::BadNet));
        let mut short = NetOp::Batch(vec![NetOp::Dead { port: p }, NetOp::Dead { port: p }]).encode();
        short[8..12].copy_from_slice(&4u32.to_le_bytes());
        assert!(NetOp::decode(11, &short).is_err());
        // A piece too long, a refusal that is neither, a stream of no whole pages.
        let piece = |len| NetOp::Piece { stream: 1, offset: 0, bytes: vec![1; len] }.encode();
        assert_eq!(NetOp::decode(9, &piece(MAX_PIECE + 1)), Err(DecodeError::BadNet));
        let mut taken = NetOp::Taken { stream: 1, upto: 0, ok: true }.encode();
        taken[8..12].copy_from_slice(&2u32.to_le_bytes());
        assert_eq!(NetOp::decode(10, &taken), Err(DecodeError::BadNet));
        for size in [0, 100, 4097] {
            let stream = NetOp::Message {
                dest: NetRight { kind: NetKind::Send, port: PortRef { node: 0, id: 1 } },
                reply: None,
                id: 0,
                items: vec![NetItem::Stream { stream: 1, size }],
            };
            assert_eq!(NetOp::decode(1, &stream.encode()), Err(DecodeError::BadNet), "{size}");
        }
        let space = |names: Vec<NetName>| NetOp::Space { pid: 1, task_port: None, names }.encode();
        let dead = |name| NetName { name, what: NetNamed::Dead(1), notify: [0; 3] };
        // Out of order, twice, the null name, a send right without references, a dead name
        // with a notification asked.
        assert_eq!(NetOp::decode(8, &space(vec![dead(2), dead(1)])), Err(DecodeError::BadNet));
        assert_eq!(NetOp::decode(8, &space(vec![dead(2), dead(2)])), Err(DecodeError::BadNet));
        assert_eq!(NetOp::decode(8, &space(vec![dead(0)])), Err(DecodeError::BadNet));
        let p = PortRef { node: 0, id: 1 };
        let unreferenced = NetName {
            name: 1,
            what: NetNamed::Port { receive: None, send: Some(p), urefs: 0, send_once: None, qlimit: 0 },
            notify: [0; 3],
        };
        assert_eq!(NetOp::decode(8, &space(vec![unreferenced])), Err(DecodeError::BadNet));
        let notified = NetName { notify: [1, 0, 0], ..dead(1) };
        assert_eq!(NetOp::decode(8, &space(vec![notified])), Err(DecodeError::BadNet));
        let many: Vec<NetName> = (1..=MAX_SPACE_NAMES as u32 + 1).map(dead).collect();
        assert_eq!(NetOp::decode(8, &space(many)), Err(DecodeError::BadNet));
        let receive_dest = NetOp::Message {
            dest: NetRight { kind: NetKind::Receive, port: PortRef { node: 0, id: 1 } },
            reply: None,
            id: 0,
            items: Vec::new(),
        };
        assert_eq!(NetOp::decode(1, &receive_dest.encode()), Err(DecodeError::BadNet));
        let mut many = NetOp::Message {
            dest: NetRight { kind: NetKind::Send, port: PortRef { node: 0, id: 1 } },
            reply: None,
            id: 0,
            items: Vec::new(),
        }
        .encode();
        many[28..32].copy_from_slice(&(MAX_ITEMS as u32 + 1).to_le_bytes());
        assert_eq!(NetOp::decode(1, &many), Err(DecodeError::BadNet));
    }
}
