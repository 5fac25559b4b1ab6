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
//!
//! An item is `1, length, bytes` (inline), `2, kind, node, id` (a right) or `3, length, bytes`
//! (out-of-line memory: its bytes, placed as a region of its own by the receiving node). Every number is
//! checked on decoding: a kind out of range, a count beyond [`MAX_ITEMS`], trailing bytes are
//! [`DecodeError::BadNet`].

use alloc::vec::Vec;

use crate::error::DecodeError;
use crate::wire::{put_u32, Reader};

/// The most items one message carries.
pub const MAX_ITEMS: usize = 64;

/// A port, named across the system: its receive right's node, and the number that node gave
/// it for the other nodes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PortRef {
    /// The node holding the receive right (as the sender knows it).
    pub node: u32,
    /// The number the node gave it.
    pub id: u32,
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
}

impl NetOp {
    /// The op's number.
    pub fn code(&self) -> u32 {
        match self {
            NetOp::Message { .. } => 1,
            NetOp::Delivered { .. } => 2,
            NetOp::AddRef { .. } => 3,
            NetOp::Release { .. } => 4,
            NetOp::Dead { .. } => 5,
            NetOp::NodeDead { .. } => 6,
            NetOp::Moved { .. } => 7,
        }
    }

    /// The body's bytes.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::new();
        let port = |out: &mut Vec<u8>, p: &PortRef| {
            put_u32(out, p.node);
            put_u32(out, p.id);
        };
        let right = |out: &mut Vec<u8>, r: &NetRight| {
            put_u32(out, r.kind as u32);
            port(out, &r.port);
        };
        match self {
            NetOp::Message { dest, reply, id, items } => {
                right(&mut out, dest);
                match reply {
                    Some(r) => right(&mut out, r),
                    None => out.extend_from_slice(&[0; 12]),
                }
                put_u32(&mut out, *id);
                put_u32(&mut out, items.len() as u32);
                for item in items {
                    match item {
                        NetItem::Inline(bytes) => {
                            put_u32(&mut out, 1);
                            put_u32(&mut out, bytes.len() as u32);
                            out.extend_from_slice(bytes);
                        }
                        NetItem::Right(r) => {
                            put_u32(&mut out, 2);
                            right(&mut out, r);
                        }
                        NetItem::Memory(bytes) => {
                            put_u32(&mut out, 3);
                            put_u32(&mut out, bytes.len() as u32);
                            out.extend_from_slice(bytes);
                        }
                    }
                }
            }
            NetOp::Delivered { port: p } | NetOp::Dead { port: p } => port(&mut out, p),
            NetOp::AddRef { port: p, holder } | NetOp::Release { port: p, holder } => {
                port(&mut out, p);
                put_u32(&mut out, *holder);
            }
            NetOp::NodeDead { node } => put_u32(&mut out, *node),
            NetOp::Moved { old, new } => {
                port(&mut out, old);
                port(&mut out, new);
            }
        }
        out
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
            1 => {
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
                        1 => {
                            let len = r.u32()? as usize;
                            NetItem::Inline(r.take(len)?.to_vec())
                        }
                        2 => NetItem::Right(right(&mut r)?),
                        3 => {
                            let len = r.u32()? as usize;
                            NetItem::Memory(r.take(len)?.to_vec())
                        }
                        _ => return Err(DecodeError::BadNet),
                    });
                }
                NetOp::Message { dest, reply, id, items }
            }
            2 => NetOp::Delivered { port: port(&mut r)? },
            3 => NetOp::AddRef { port: port(&mut r)?, holder: r.u32()? },
            4 => NetOp::Release { port: port(&mut r)?, holder: r.u32()? },
            5 => NetOp::Dead { port: port(&mut r)? },
            6 => NetOp::NodeDead { node: r.u32()? },
            7 => NetOp::Moved { old: port(&mut r)?, new: port(&mut r)? },
            _ => return Err(DecodeError::BadNet),
        };
        if !r.rest().is_empty() {
            return Err(DecodeError::BadNet);
        }
        Ok(op)
    }
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
mod tests {
    use super::*;
    use alloc::vec;

    fn every_op() -> Vec<NetOp> {
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
                ],
            },
            NetOp::Message { dest: send, reply: None, id: 0, items: Vec::new() },
            NetOp::Delivered { port: p },
            NetOp::AddRef { port: p, holder: 3 },
            NetOp::Release { port: p, holder: 3 },
            NetOp::Dead { port: p },
            NetOp::NodeDead { node: 5 },
            NetOp::Moved { old: p, new: PortRef { node: 1, id: 9 } },
        ]
    }

    #[test]
    fn every_op_round_trips() {
        for op in every_op() {
            assert_eq!(NetOp::decode(op.code(), &op.encode()), Ok(op));
        }
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
        assert_eq!(NetOp::decode(8, &[]), Err(DecodeError::BadNet));
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
