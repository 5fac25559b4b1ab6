//! The satellite messages: what the central kernel and a satellite kernel say to each other on
//! [`CHANNEL_SATELLITE`] once the satellite runs, one definition for both ends
//! (docs/boot.md). Each message is one `ox_link` payload; fields are little-endian.
//!
//! | offset | size | field |
//! |---|---|---|
//! | 0 | 1 | `version` ([`VERSION`]) |
//! | 1 | 1 | `kind`: [`Kind::Hello`] or [`Kind::HelloReply`] |
//! | 2 | 2 | reserved, 0 |
//! | 4 | … | the body of the kind |
//!
//! - `Hello` (central → satellite): `central: u32`, the central's node index (a satellite
//!   names the central's ports with it), and `incarnation: u32`, how many times before this
//!   satellite was booted and died (0 at the start; a satellite that comes back is one more:
//!   the numbers it gives its ports carry it, so a reference to a port of an earlier
//!   incarnation names none of this one's). "Are you there, and what have you got?"
//! - `HelloReply` (satellite → central): `node: u32`, `ram: u32` (bytes), `free_frames: u32`,
//!   `total_frames: u32`, `ports: u32` (its link ports: those past port 0 may lead to
//!   satellites it relays for), each measured by the satellite kernel when it answers.
//! - `Route` (central → a relaying satellite): `node: u32`, `port: u32`. "Frames for the
//!   satellites hanging on node `node`'s ports go out your port `port`" (docs/link-protocol.md,
//!   *Relaying*). Acknowledged by the link only.
//! - `LinkState` (relaying satellite → central): `port: u32`, `up: u32` (1 up, 0 down). "The
//!   link of my port `port` went down, or came up": the satellite behind it is dead at once,
//!   or its boot ROM may wait there to be booted again (docs/reliability.md). Acknowledged by
//!   the link only.
//!
//! The process protocol (system-call requests and replies between a satellite process and its
//! stub) is the crate `ox-proto` (`os/proto`, docs/protocol.md), on channel 2.

/// The `ox_link` channel of the satellite messages (0 is the boot channel).
pub const CHANNEL_SATELLITE: u16 = 1;
/// The message format this crate speaks.
pub const VERSION: u8 = 3;

/// What a message is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Kind {
    /// Central → satellite: report yourself.
    Hello = 1,
    /// Satellite → central: the report.
    HelloReply = 2,
    /// Central → relaying satellite: a route.
    Route = 3,
    /// Relaying satellite → central: a port's link went down or came up.
    LinkState = 4,
}

/// A satellite's answer to [`Kind::Hello`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HelloReply {
    /// The satellite's node index.
    pub node: u32,
    /// Its RAM in bytes.
    pub ram: u32,
    /// Frames its allocator has free.
    pub free_frames: u32,
    /// Frames its allocator manages.
    pub total_frames: u32,
    /// Its link ports.
    pub ports: u32,
}

/// A parsed message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Message {
    /// [`Kind::Hello`], from the central node `central`.
    Hello {
        /// The central's node index.
        central: u32,
        /// The satellite's incarnation: how many times it was booted and died before.
        incarnation: u32,
    },
    /// [`Kind::HelloReply`].
    HelloReply(HelloReply),
    /// [`Kind::Route`]: frames for the satellites hanging on `node`'s ports go out `port`.
    Route {
        /// The relaying satellite the route leads to.
        node: u32,
        /// The port of the satellite told, towards it.
        port: u32,
    },
    /// [`Kind::LinkState`]: the link of the sender's port `port` went down or came up.
    LinkState {
        /// The sender's port (past 0).
        port: u32,
        /// Whether it is up now.
        up: bool,
    },
}

/// Bytes of the longest message.
pub const MAX_MESSAGE: usize = 24;

fn word(bytes: &[u8], at: usize) -> Option<u32> {
    bytes.get(at..at + 4).map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
}

impl Message {
    /// Writes the message into `out`; returns its length.
    pub fn encode(&self, out: &mut [u8; MAX_MESSAGE]) -> usize {
        let hello;
        let (kind, words): (Kind, &[u32]) = match self {
            Message::Hello { central, incarnation } => {
                hello = [*central, *incarnation];
                (Kind::Hello, &hello)
            }
            Message::HelloReply(r) => {
                (Kind::HelloReply, &[r.node, r.ram, r.free_frames, r.total_frames, r.ports])
            }
            Message::Route { node, port } => (Kind::Route, &[*node, *port]),
            Message::LinkState { port, up } => (Kind::LinkState, &[*port, *up as u32]),
        };
        out[..4].copy_from_slice(&[VERSION, kind as u8, 0, 0]);
        for (i, value) in words.iter().enumerate() {
            out[4 + i * 4..8 + i * 4].copy_from_slice(&value.to_le_bytes());
        }
        4 + words.len() * 4
    }

    /// The message's bytes, as [`Message::encode`] writes them.
    pub fn to_vec(&self) -> alloc::vec::Vec<u8> {
        let mut bytes = [0; MAX_MESSAGE];
        let len = self.encode(&mut bytes);
        bytes[..len].to_vec()
    }

    /// Parses a payload; `None` for another version, an unknown kind or a wrong length.
    pub fn decode(bytes: &[u8]) -> Option<Message> {
        if bytes.len() < 4 || bytes[0] != VERSION {
            return None;
        }
        match bytes[1] {
            1 if bytes.len() == 12 => {
                Some(Message::Hello { central: word(bytes, 4)?, incarnation: word(bytes, 8)? })
            }
            2 if bytes.len() == 24 => Some(Message::HelloReply(HelloReply {
                node: word(bytes, 4)?,
                ram: word(bytes, 8)?,
                free_frames: word(bytes, 12)?,
                total_frames: word(bytes, 16)?,
                ports: word(bytes, 20)?,
            })),
            3 if bytes.len() == 12 => Some(Message::Route { node: word(bytes, 4)?, port: word(bytes, 8)? }),
            4 if bytes.len() == 12 => match word(bytes, 8)? {
                up @ (0 | 1) => Some(Message::LinkState { port: word(bytes, 4)?, up: up == 1 }),
                _ => None,
            },
            _ => None,
        }
    }
}
