//! Names, rights and how rights travel.

/// A task (a process), as the kernel numbers it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TaskId(pub u32);

/// A task's name for a right: a small integer, never 0 (`MACH_PORT_NULL`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Name(pub u32);

impl Name {
    /// No name (`MACH_PORT_NULL`).
    pub const NULL: Name = Name(0);
}

/// A kind of right, as `mach_port_allocate` and `mach_port_mod_refs` name them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RightKind {
    /// The one right to receive from a port.
    Receive,
    /// A right to send, any number of times (counted in user references).
    Send,
    /// A right to send one message.
    SendOnce,
    /// A port set's name.
    PortSet,
    /// What a send or send-once right becomes when its port dies (user references).
    DeadName,
}

/// The rights a name denotes, as bits (`mach_port_type`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Types(pub u32);

impl Types {
    /// A receive right.
    pub const RECEIVE: u32 = 1;
    /// Send rights.
    pub const SEND: u32 = 2;
    /// A send-once right.
    pub const SEND_ONCE: u32 = 4;
    /// A port set.
    pub const PORT_SET: u32 = 8;
    /// A dead name.
    pub const DEAD_NAME: u32 = 16;

    /// Whether the bits of `kind` are set.
    pub fn has(self, kind: RightKind) -> bool {
        let bit = match kind {
            RightKind::Receive => Types::RECEIVE,
            RightKind::Send => Types::SEND,
            RightKind::SendOnce => Types::SEND_ONCE,
            RightKind::PortSet => Types::PORT_SET,
            RightKind::DeadName => Types::DEAD_NAME,
        };
        self.0 & bit != 0
    }
}

/// How a right goes into a message or another task (`MACH_MSG_TYPE_*`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Disposition {
    /// The receive right itself leaves the sender.
    MoveReceive,
    /// A new send right, the sender keeping its own.
    CopySend,
    /// A new send right made from the sender's receive right (counts in the make-send count).
    MakeSend,
    /// One user reference of the sender's send right.
    MoveSend,
    /// A new send-once right made from the sender's receive right.
    MakeSendOnce,
    /// The sender's send-once right.
    MoveSendOnce,
}

/// What a task asks to be told (`mach_port_request_notification`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Notify {
    /// The port a send or send-once name denotes died (message id [`Notify::DEAD_NAME`]).
    DeadName,
    /// The port whose receive right the name denotes has no send rights left
    /// ([`Notify::NO_SENDERS`], carrying the make-send count).
    NoSenders,
    /// The receive right would be destroyed: it comes back in a message instead
    /// ([`Notify::PORT_DESTROYED`]).
    PortDestroyed,
}

impl Notify {
    /// Message id: a name with a dead-name request was deleted (its name in the body).
    pub const PORT_DELETED: u32 = 0x41;
    /// Message id: a receive right came back (it is the message's one port item).
    pub const PORT_DESTROYED: u32 = 0x45;
    /// Message id: a port has no senders (the make-send count in the body).
    pub const NO_SENDERS: u32 = 0x46;
    /// Message id: a send-once right was destroyed unused.
    pub const SEND_ONCE: u32 = 0x47;
    /// Message id: a port died (the dead name in the body).
    pub const DEAD_NAME: u32 = 0x48;
}
