//! Messages: as a task sends them (names and dispositions), as they wait in a queue (rights in
//! transit, held by the kernel), and as a task receives them (names in its space).

use alloc::vec::Vec;

use crate::name::{Disposition, Name};

/// The header a sender gives (`mach_msg_header_t`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Header {
    /// The port to send to, and how the right to it is used: `CopySend`, `MakeSend`,
    /// `MoveSend`, `MakeSendOnce` or `MoveSendOnce`.
    pub dest: (Name, Disposition),
    /// A right for the receiver to answer with, if any (usually `MakeSendOnce`).
    pub reply: Option<(Name, Disposition)>,
    /// What the message means, for the receiver.
    pub id: u32,
}

/// One item of a message's body, as sent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Item<M> {
    /// Bytes, copied.
    Inline(Vec<u8>),
    /// A port right of the sender's, moved, copied or made as the disposition says.
    Port(Name, Disposition),
    /// Out-of-line memory, as the kernel's VM captured it (copy-on-write).
    Memory(M),
}

/// A message as sent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message<M> {
    /// Where it goes and who answers.
    pub header: Header,
    /// The body.
    pub items: Vec<Item<M>>,
}

/// One item of a received message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReceivedItem<M> {
    /// Bytes.
    Inline(Vec<u8>),
    /// A right, now the receiver's, under this name (which may denote more rights of the same
    /// port: send rights coalesce under one name).
    Port(Name, crate::name::RightKind),
    /// Out-of-line memory, for the kernel's VM to map into the receiver.
    Memory(M),
}

/// A message as received (`mach_msg` with `MACH_RCV_MSG`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Received<M> {
    /// The receiver's name of the port the message came to (for a port set, the member).
    pub port: Name,
    /// The right to answer with, now the receiver's, and its kind (send or send-once).
    pub reply: Option<(Name, crate::name::RightKind)>,
    /// The sender's id.
    pub id: u32,
    /// The body.
    pub items: Vec<ReceivedItem<M>>,
}
