//! The ports of a node, the name spaces of its tasks, and every operation on them.
//!
//! A right is either **named** (an entry of a task's space) or **in transit** (a [`Carried`]
//! right in a queued message, or held by the kernel for a notification). A port counts its send
//! and send-once rights wherever they are. When the receive right is destroyed the port dies:
//! its queue is destroyed (releasing what the messages carry), every name for it becomes a
//! dead name (dead-name notifications go out), and the port stays as a tombstone until the
//! last right in transit naming it is gone, so such a right arrives as a dead name.

use alloc::collections::{BTreeMap, BTreeSet, VecDeque};
use alloc::vec;
use alloc::vec::Vec;
use core::fmt;

use crate::message::{Header, Item, Message, Received, ReceivedItem};
use crate::name::{Disposition, Name, Notify, RightKind, TaskId, Types};
use crate::sorted::SortedMap;
use crate::table::NameTable;

/// A queue's limit unless set (`MACH_PORT_QLIMIT_DEFAULT`).
pub const QLIMIT_DEFAULT: usize = 5;
/// The largest limit a queue may be given (`MACH_PORT_QLIMIT_MAX`).
pub const MAX_QLIMIT: usize = 16;

/// Why an operation was refused (Mach's codes, named).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum IpcError {
    /// No such name in the space (`KERN_INVALID_NAME`).
    InvalidName,
    /// The name does not denote the right the operation needs (`KERN_INVALID_RIGHT`).
    InvalidRight,
    /// A value out of range: a reference count below zero or above the maximum, a queue limit
    /// above [`MAX_QLIMIT`] (`KERN_INVALID_VALUE`).
    InvalidValue,
    /// The name is taken (`KERN_NAME_EXISTS`) or the right is already there
    /// (`KERN_RIGHT_EXISTS`).
    NameExists,
    /// No such task (`KERN_INVALID_TASK`).
    InvalidTask,
    /// The destination is a dead name: its port died (`MACH_SEND_INVALID_DEST` on a dead name).
    DeadName,
    /// The destination's queue is full (`MACH_SEND_TIMED_OUT` with a zero timeout): the kernel
    /// blocks the sender or fails the send.
    QueueFull,
}

impl fmt::Display for IpcError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = match self {
            IpcError::InvalidName => "invalid name",
            IpcError::InvalidRight => "invalid right",
            IpcError::InvalidValue => "invalid value",
            IpcError::NameExists => "name exists",
            IpcError::InvalidTask => "invalid task",
            IpcError::DeadName => "dead name",
            IpcError::QueueFull => "queue full",
        };
        f.write_str(text)
    }
}

/// A name of a task's space taken out by [`Ipc::take_space`] for the task's move to another
/// node (`R` a name in the space its rights went to), or put back by [`Ipc::put_name`] there
/// (`R` a name in the space they come from, and how to take each).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TakenName<R> {
    /// The name in the task's space.
    pub name: Name,
    /// What it denoted.
    pub what: Taken<R>,
    /// The notifications the task asked about it.
    pub notify: Requests,
}

/// The notifications a task asked about one of its names, each by the name of the task's
/// own receive right it is to be sent to: a dead-name request on a send or send-once right,
/// a no-senders or port-destroyed request on a receive right.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Requests {
    /// Dead-name.
    pub dead_name: Option<Name>,
    /// No-senders.
    pub no_senders: Option<Name>,
    /// Port-destroyed.
    pub port_destroyed: Option<Name>,
}

/// What a [`TakenName`] denoted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Taken<R> {
    /// A port: its receive, send and send-once rights, each where it went (or comes from).
    /// A name that held the receive right and send rights has no `send`: its send right is
    /// made again from the receive right. `urefs` are the send right's user references,
    /// `qlimit` the queue limit of a port whose receive right moves.
    Port {
        /// The receive right.
        receive: Option<R>,
        /// The send right (of a name without the receive right).
        send: Option<R>,
        /// The send right's user references.
        urefs: u32,
        /// The send-once right.
        send_once: Option<R>,
        /// The queue limit (with the receive right).
        qlimit: usize,
    },
    /// A port set, and the names (in the task's space) of its members.
    Set(Vec<Name>),
    /// A dead name and its user references.
    Dead(u32),
}

/// The most user references of one send right or dead name (`MACH_PORT_UREFS_MAX`).
const UREFS_MAX: u32 = 0xffff;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
struct PortId(u32);

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
struct SetId(u32);

/// A right in transit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Carried {
    Send(PortId),
    SendOnce(PortId),
    Receive(PortId),
}

enum QItem<M> {
    Inline(Vec<u8>),
    Port(Carried),
    Memory(M),
}

struct Queued<M> {
    seq: u64,
    dest: Carried,
    reply: Option<Carried>,
    id: u32,
    items: Vec<QItem<M>>,
}

struct Port<M> {
    alive: bool,
    /// The task and name holding the receive right; `None` while it is in transit.
    receiver: Option<(TaskId, Name)>,
    send: u32,
    send_once: u32,
    mscount: u32,
    queue: VecDeque<Queued<M>>,
    qlimit: usize,
    set: Option<SetId>,
    no_senders: Option<PortId>,
    port_destroyed: Option<PortId>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Object {
    Port(PortId),
    Set(SetId),
    Dead,
}

#[derive(Clone, Debug)]
struct Entry {
    object: Object,
    receive: bool,
    send: u32,
    send_once: bool,
    dead: u32,
    dead_name_request: Option<PortId>,
}

impl Entry {
    #[inline]
    fn new(object: Object) -> Entry {
        Entry { object, receive: false, send: 0, send_once: false, dead: 0, dead_name_request: None }
    }

    #[inline]
    fn types(&self) -> Types {
        let mut bits = 0;
        if self.receive {
            bits |= Types::RECEIVE;
        }
        if self.send > 0 {
            bits |= Types::SEND;
        }
        if self.send_once {
            bits |= Types::SEND_ONCE;
        }
        if matches!(self.object, Object::Set(_)) {
            bits |= Types::PORT_SET;
        }
        if self.dead > 0 {
            bits |= Types::DEAD_NAME;
        }
        Types(bits)
    }

    #[inline]
    fn is_empty(&self) -> bool {
        self.types() == Types(0)
    }

    /// Whether the entry's only right is its send-once right (moving it leaves the name
    /// denoting nothing).
    #[inline(always)]
    fn is_once_only(&self) -> bool {
        self.types() == Types(Types::SEND_ONCE)
    }
}

struct Set {
    members: BTreeSet<PortId>,
}

/// What the kernel should wake after an operation: receivers of the queues or sets that got a
/// message, and senders waiting for room in a queue. Keys are what [`Ipc::receive_key`] and
/// [`Ipc::send_key`] gave the sleepers.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Wakeups {
    /// Keys of sleepers to wake.
    pub keys: Vec<u64>,
}

/// What is alive, for leak checks.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    /// Ports, dead ones still named by rights in transit included.
    pub ports: usize,
    /// Port sets.
    pub sets: usize,
    /// Names in every space.
    pub names: usize,
    /// Messages queued.
    pub messages: usize,
}

/// What the receiver of a message handed off ([`Ipc::send_direct`]) gets, as a receive would
/// give it: its name for the port, and the reply right under its new name with its kind.
pub type HandedOff = (Name, Option<(Name, RightKind)>);

/// Where a message can be handed off ([`Ipc::direct_target`]): the receiver and what it
/// sleeps on, and what [`Ipc::send_direct`] needs of the look-ups that found them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Direct {
    /// What the receiver sleeps on ([`Ipc::receive_key`] of its name for the port).
    pub key: u64,
    /// The task holding the destination's receive right.
    pub receiver: TaskId,
    port: PortId,
    /// The receiver's name for the port.
    member: Name,
    shape: Shape,
}

/// What [`Ipc::hand_off_rpc`] did: what the receiver's receive gives, and what the sender's
/// receive waits on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RpcHandOff {
    /// The receiver's name for the port the message came to.
    pub member: Name,
    /// The receiver's name for the request's send-once reply right (`None` for an answer).
    pub reply: Option<Name>,
    /// The key the sender's receive waits on ([`Ipc::receive_key`]).
    pub wait: u64,
}

/// An RPC [`Ipc::rpc_target`] found can be made at once, for [`Ipc::hand_off_rpc`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RpcTarget {
    /// The task holding the destination's receive right.
    pub receiver: TaskId,
    /// What the receiver sleeps on ([`Ipc::receive_key`] of its name for the port).
    pub key: u64,
    /// Where the sender's space is in the spaces.
    space_at: usize,
    /// The sender's name for the destination.
    dest: Name,
    /// Where the destination port is in the ports.
    at: usize,
    /// The receiver's name for the port.
    member: Name,
    /// A request's reply port, and where it is in the ports.
    reply: Option<(PortId, usize)>,
    /// The key the sender's receive waits on.
    wait: u64,
}

impl RpcTarget {
    /// The wait key ([`Ipc::port_key`]) of a request's reply port: what the port key of the
    /// receiver's name for its send-once reply right will be, known without a look-up.
    pub fn reply_key(&self) -> Option<u64> {
        self.reply.map(|(port, _)| KEY_PORT | u64::from(port.0))
    }
}

/// The shape of a message to hand off: one of an RPC's two, whose rights are already looked
/// up, or any other.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Shape {
    /// A request through a copied send right, its reply right a send-once right made from the
    /// sender's receive right for this port (and where it is in the ports).
    Request(PortId, usize),
    /// An answer through a moved send-once right, the sender's only right under its name.
    Answer,
    /// A message through a held send-once right ([`Ipc::hand_off_rpc_held`]).
    Held,
    /// Anything else.
    Other,
}

/// Whether a header's dispositions are ones a send may use: a send or send-once right's for
/// the destination, anything but a receive right's for the reply (`InvalidRight` otherwise).
#[inline]
fn usable(header: &Header) -> Result<(), IpcError> {
    let dest = matches!(
        header.dest.1,
        Disposition::CopySend
            | Disposition::MakeSend
            | Disposition::MoveSend
            | Disposition::MakeSendOnce
            | Disposition::MoveSendOnce
    );
    if !dest || header.reply.is_some_and(|(_, d)| d == Disposition::MoveReceive) {
        return Err(IpcError::InvalidRight);
    }
    Ok(())
}

/// The class of a port's wait key ([`Ipc::port_key`]): `KEY_PORT | ` its number.
pub const KEY_PORT: u64 = 1 << 32;
const KEY_SET: u64 = 2 << 32;
const KEY_ROOM: u64 = 3 << 32;

/// The ports and name spaces of a node. `M` is out-of-line memory, as the VM captures it.
pub struct Ipc<M> {
    ports: SortedMap<PortId, Port<M>>,
    sets: BTreeMap<SetId, Set>,
    spaces: SortedMap<TaskId, NameTable<Entry>>,
    next_port: u32,
    next_set: u32,
    seq: u64,
    wakeups: Vec<u64>,
}

impl<M> Default for Ipc<M> {
    fn default() -> Ipc<M> {
        Ipc::new()
    }
}

impl<M> Ipc<M> {
    /// No ports, no tasks.
    pub fn new() -> Ipc<M> {
        Ipc {
            ports: SortedMap::new(),
            sets: BTreeMap::new(),
            spaces: SortedMap::new(),
            next_port: 0,
            next_set: 0,
            seq: 0,
            wakeups: Vec::new(),
        }
    }

    /// What is alive.
    pub fn counts(&self) -> Counts {
        Counts {
            ports: self.ports.len(),
            sets: self.sets.len(),
            names: self.spaces.values().map(NameTable::len).sum(),
            messages: self.ports.values().map(|p| p.queue.len()).sum(),
        }
    }

    /// Gives task `task` an empty name space (`EEXIST`-like [`IpcError::NameExists`] if it has
    /// one).
    pub fn add_task(&mut self, task: TaskId) -> Result<(), IpcError> {
        if self.spaces.contains_key(&task) {
            return Err(IpcError::NameExists);
        }
        self.spaces.insert(task, NameTable::new());
        Ok(())
    }

    /// How many names task `task` has (rights, port sets and dead names); 0 for a task with
    /// no name space.
    pub fn names_held(&self, task: TaskId) -> usize {
        self.spaces.get(&task).map_or(0, NameTable::len)
    }

    /// Ends task `task`: every right it names is released as `mach_port_destroy` would.
    pub fn remove_task(&mut self, task: TaskId) -> Wakeups {
        let names: Vec<Name> = self.spaces.get(&task).map(|s| s.keys().collect()).unwrap_or_default();
        let mut keys = Vec::new();
        for name in names {
            if let Ok(woken) = self.destroy(task, name) {
                keys.extend(woken.keys);
            }
        }
        self.spaces.remove(&task);
        keys.extend(self.take_wakeups().keys);
        Wakeups { keys }
    }

    fn take_wakeups(&mut self) -> Wakeups {
        Wakeups { keys: core::mem::take(&mut self.wakeups) }
    }

    fn space(&self, task: TaskId) -> Result<&NameTable<Entry>, IpcError> {
        self.spaces.get(&task).ok_or(IpcError::InvalidTask)
    }

    fn space_mut(&mut self, task: TaskId) -> Result<&mut NameTable<Entry>, IpcError> {
        self.spaces.get_mut(&task).ok_or(IpcError::InvalidTask)
    }

    fn entry(&self, task: TaskId, name: Name) -> Result<&Entry, IpcError> {
        self.space(task)?.get(&name).ok_or(IpcError::InvalidName)
    }

    /// The lowest name not in use in `task`'s space.
    fn free_name(&self, task: TaskId) -> Result<Name, IpcError> {
        Ok(self.space(task)?.lowest_free())
    }

    /// `mach_port_allocate`: a new port with its receive right, a new port set, or a dead name
    /// (one reference), under the lowest free name.
    pub fn allocate(&mut self, task: TaskId, kind: RightKind) -> Result<Name, IpcError> {
        let name = self.free_name(task)?;
        let entry = match kind {
            RightKind::Receive => {
                let id = PortId(self.next_port);
                self.next_port += 1;
                self.ports.insert(
                    id,
                    Port {
                        alive: true,
                        receiver: Some((task, name)),
                        send: 0,
                        send_once: 0,
                        mscount: 0,
                        queue: VecDeque::new(),
                        qlimit: QLIMIT_DEFAULT,
                        set: None,
                        no_senders: None,
                        port_destroyed: None,
                    },
                );
                Entry { receive: true, ..Entry::new(Object::Port(id)) }
            }
            RightKind::PortSet => Entry::new(Object::Set(self.new_set())),
            RightKind::DeadName => Entry { dead: 1, ..Entry::new(Object::Dead) },
            RightKind::Send | RightKind::SendOnce => return Err(IpcError::InvalidValue),
        };
        self.space_mut(task)?.insert(name, entry);
        Ok(name)
    }

    /// A new, empty port set.
    fn new_set(&mut self) -> SetId {
        let id = SetId(self.next_set);
        self.next_set += 1;
        self.sets.insert(id, Set { members: BTreeSet::new() });
        id
    }

    /// `mach_port_type`: the rights `name` denotes.
    pub fn types(&self, task: TaskId, name: Name) -> Result<Types, IpcError> {
        Ok(self.entry(task, name)?.types())
    }

    /// `mach_port_get_refs`: the user references of one kind of right under `name` (0 or 1 for
    /// receive, send-once and port set).
    pub fn refs(&self, task: TaskId, name: Name, kind: RightKind) -> Result<u32, IpcError> {
        let entry = self.entry(task, name)?;
        Ok(match kind {
            RightKind::Receive => u32::from(entry.receive),
            RightKind::Send => entry.send,
            RightKind::SendOnce => u32::from(entry.send_once),
            RightKind::PortSet => u32::from(matches!(entry.object, Object::Set(_))),
            RightKind::DeadName => entry.dead,
        })
    }

    /// `mach_port_mod_refs`: adds `delta` user references to the right of `kind` under `name`.
    /// Receive, send-once and port-set rights have one reference: -1 destroys them, 0 does
    /// nothing, anything else is [`IpcError::InvalidValue`]. Send rights and dead names go
    /// from 1 to [`UREFS_MAX`] references; at 0 the right is gone.
    pub fn mod_refs(
        &mut self,
        task: TaskId,
        name: Name,
        kind: RightKind,
        delta: i32,
    ) -> Result<Wakeups, IpcError> {
        let entry = self.entry(task, name)?.clone();
        if !entry.types().has(kind) {
            return Err(IpcError::InvalidRight);
        }
        match kind {
            RightKind::Send | RightKind::DeadName => {
                let refs = if kind == RightKind::Send { entry.send } else { entry.dead };
                let new = i64::from(refs) + i64::from(delta);
                if !(0..=i64::from(UREFS_MAX)).contains(&new) {
                    return Err(IpcError::InvalidValue);
                }
                let new = new as u32;
                let e = self.entry_mut(task, name)?;
                if kind == RightKind::Send {
                    e.send = new;
                } else {
                    e.dead = new;
                }
                if kind == RightKind::Send && new == 0 {
                    if let Object::Port(port) = entry.object {
                        self.release(Carried::Send(port));
                    }
                }
                self.tidy(task, name);
            }
            RightKind::Receive | RightKind::SendOnce | RightKind::PortSet => match delta {
                0 => {}
                -1 => self.remove_right(task, name, kind)?,
                _ => return Err(IpcError::InvalidValue),
            },
        }
        Ok(self.take_wakeups())
    }

    /// `mach_port_deallocate`: one user reference less of the send right, send-once right or
    /// dead name under `name` (a name with only a receive right or a port set is
    /// [`IpcError::InvalidRight`]).
    pub fn deallocate(&mut self, task: TaskId, name: Name) -> Result<Wakeups, IpcError> {
        let types = self.types(task, name)?;
        let kind = if types.has(RightKind::Send) {
            RightKind::Send
        } else if types.has(RightKind::SendOnce) {
            RightKind::SendOnce
        } else if types.has(RightKind::DeadName) {
            RightKind::DeadName
        } else {
            return Err(IpcError::InvalidRight);
        };
        self.mod_refs(task, name, kind, -1)
    }

    /// `mach_port_destroy`: every right under `name`, whatever its references.
    pub fn destroy(&mut self, task: TaskId, name: Name) -> Result<Wakeups, IpcError> {
        let entry = self.entry(task, name)?.clone();
        if let Some(notify) = entry.dead_name_request {
            self.entry_mut(task, name)?.dead_name_request = None;
            self.notify(notify, Notify::PORT_DELETED, vec![QItem::Inline(name.0.to_le_bytes().to_vec())]);
        }
        for kind in [RightKind::Send, RightKind::SendOnce, RightKind::Receive, RightKind::PortSet] {
            if entry.types().has(kind) {
                self.remove_right(task, name, kind)?;
            }
        }
        if let Ok(e) = self.entry_mut(task, name) {
            e.dead = 0;
        }
        self.tidy(task, name);
        Ok(self.take_wakeups())
    }

    fn entry_mut(&mut self, task: TaskId, name: Name) -> Result<&mut Entry, IpcError> {
        self.space_mut(task)?.get_mut(&name).ok_or(IpcError::InvalidName)
    }

    /// Removes a name that denotes nothing any more.
    fn tidy(&mut self, task: TaskId, name: Name) {
        let Some(space) = self.spaces.get_mut(&task) else { return };
        if space.get(&name).is_some_and(Entry::is_empty) {
            if let Some(entry) = space.remove(&name) {
                if let Some(notify) = entry.dead_name_request {
                    self.release(Carried::SendOnce(notify));
                }
            }
        }
    }

    /// Takes the whole right of `kind` out of the entry and releases it.
    fn remove_right(&mut self, task: TaskId, name: Name, kind: RightKind) -> Result<(), IpcError> {
        let entry = self.entry_mut(task, name)?;
        let object = entry.object;
        match (kind, object) {
            (RightKind::Send, Object::Port(port)) => {
                entry.send = 0;
                self.release(Carried::Send(port));
            }
            (RightKind::SendOnce, Object::Port(port)) => {
                entry.send_once = false;
                self.release(Carried::SendOnce(port));
            }
            (RightKind::Receive, Object::Port(port)) => {
                entry.receive = false;
                if let Some(p) = self.ports.get_mut(&port) {
                    p.receiver = None;
                }
                self.port_dies(port, Some((task, name)));
            }
            (RightKind::PortSet, Object::Set(set)) => {
                entry.object = Object::Dead;
                if let Some(set) = self.sets.remove(&set) {
                    for member in set.members {
                        if let Some(p) = self.ports.get_mut(&member) {
                            p.set = None;
                        }
                    }
                }
            }
            _ => return Err(IpcError::InvalidRight),
        }
        self.tidy(task, name);
        Ok(())
    }

    /// Gives up a right in transit (or a named one already taken out of its entry).
    fn release(&mut self, right: Carried) {
        match right {
            Carried::Send(port) => {
                let Some(p) = self.ports.get_mut(&port) else { return };
                p.send -= 1;
                if p.send == 0 && p.alive {
                    if let Some(notify) = p.no_senders.take() {
                        let mscount = p.mscount;
                        self.notify(
                            notify,
                            Notify::NO_SENDERS,
                            vec![QItem::Inline(mscount.to_le_bytes().to_vec())],
                        );
                    }
                }
                self.bury(port);
            }
            Carried::SendOnce(port) => {
                let Some(p) = self.ports.get_mut(&port) else { return };
                if p.alive {
                    // The right is used to say it was not used (its count goes with it).
                    self.enqueue(Queued {
                        seq: 0,
                        dest: Carried::SendOnce(port),
                        reply: None,
                        id: Notify::SEND_ONCE,
                        items: Vec::new(),
                    });
                } else {
                    p.send_once -= 1;
                    self.bury(port);
                }
            }
            Carried::Receive(port) => self.port_dies(port, None),
        }
    }

    /// Forgets a dead port once no right names it any more.
    fn bury(&mut self, port: PortId) {
        if self.ports.get(&port).is_some_and(|p| !p.alive && p.send == 0 && p.send_once == 0) {
            self.ports.remove(&port);
        }
    }

    /// The receive right of `port` is being destroyed: back to its port-destroyed requester, or
    /// the port dies. `receiver` is the name that held the right, if one did: a port no send or
    /// send-once right names (both its counts 0) has no other name, and then no name space is
    /// looked through for it (the network message service's send-once proxies die so, one per
    /// remote RPC).
    fn port_dies(&mut self, port: PortId, receiver: Option<(TaskId, Name)>) {
        let Some(p) = self.ports.get_mut(&port) else { return };
        if let Some(notify) = p.port_destroyed.take() {
            p.receiver = None;
            self.notify(notify, Notify::PORT_DESTROYED, vec![QItem::Port(Carried::Receive(port))]);
            return;
        }
        p.alive = false;
        p.receiver = None;
        let queue = core::mem::take(&mut p.queue);
        let requests = [p.no_senders.take(), p.port_destroyed.take()];
        let unnamed = p.send == 0 && p.send_once == 0;
        if let Some(set) = p.set.take() {
            if let Some(s) = self.sets.get_mut(&set) {
                s.members.remove(&port);
            }
        }
        self.wakeups.push(KEY_ROOM | u64::from(port.0));
        // Every name for it becomes a dead name; those that asked are told.
        let mut told = Vec::new();
        let mut dies =
            |task: TaskId, name: Name, entry: &mut Entry, ports: &mut SortedMap<PortId, Port<M>>| {
                if entry.object != Object::Port(port) {
                    return;
                }
                let refs = entry.send + u32::from(entry.send_once);
                if let Some(p) = ports.get_mut(&port) {
                    p.send -= u32::from(entry.send > 0);
                    p.send_once -= u32::from(entry.send_once);
                }
                entry.object = Object::Dead;
                entry.dead = (entry.dead + refs).min(UREFS_MAX);
                entry.send = 0;
                entry.send_once = false;
                if let Some(notify) = entry.dead_name_request.take() {
                    told.push((task, name, notify));
                }
            };
        if unnamed {
            if let Some((task, name)) = receiver {
                if let Some(entry) = self.spaces.get_mut(&task).and_then(|space| space.get_mut(&name)) {
                    dies(task, name, entry, &mut self.ports);
                }
            }
        } else {
            for (task, space) in self.spaces.iter_mut() {
                for (name, entry) in space.iter_mut() {
                    dies(*task, name, entry, &mut self.ports);
                }
            }
        }
        for (_, name, notify) in told {
            self.notify(notify, Notify::DEAD_NAME, vec![QItem::Inline(name.0.to_le_bytes().to_vec())]);
        }
        for notify in requests.into_iter().flatten() {
            self.release(Carried::SendOnce(notify));
        }
        for message in queue {
            self.destroy_message(message);
        }
        self.bury(port);
    }

    /// Releases everything a message carries.
    fn destroy_message(&mut self, message: Queued<M>) {
        self.release(message.dest);
        if let Some(reply) = message.reply {
            self.release(reply);
        }
        for item in message.items {
            if let QItem::Port(right) = item {
                self.release(right);
            }
        }
    }

    /// A kernel message to `port` through a send-once right the kernel holds (counted in the
    /// port's send-once rights); a dead port just loses the right.
    fn notify(&mut self, port: PortId, id: u32, items: Vec<QItem<M>>) {
        if self.ports.get(&port).is_some_and(|p| p.alive) {
            self.enqueue(Queued { seq: 0, dest: Carried::SendOnce(port), reply: None, id, items });
        } else {
            let message = Queued { seq: 0, dest: Carried::SendOnce(port), reply: None, id, items };
            self.destroy_message(message);
        }
    }

    fn enqueue(&mut self, mut message: Queued<M>) {
        let port = match message.dest {
            Carried::Send(port) | Carried::SendOnce(port) | Carried::Receive(port) => port,
        };
        self.seq += 1;
        message.seq = self.seq;
        let Some(p) = self.ports.get_mut(&port) else { return };
        p.queue.push_back(message);
        self.wakeups.push(KEY_PORT | u64::from(port.0));
        if let Some(set) = p.set {
            self.wakeups.push(KEY_SET | u64::from(set.0));
        }
    }

    /// What a receiver on `name` (a receive right or a port set) sleeps on until a message
    /// comes.
    pub fn receive_key(&self, task: TaskId, name: Name) -> Result<u64, IpcError> {
        let entry = self.entry(task, name)?;
        match entry.object {
            Object::Port(port) if entry.receive => Ok(KEY_PORT | u64::from(port.0)),
            Object::Set(set) => Ok(KEY_SET | u64::from(set.0)),
            _ => Err(IpcError::InvalidRight),
        }
    }

    /// What a sender to `name` sleeps on until the queue has room.
    pub fn send_key(&self, task: TaskId, name: Name) -> Result<u64, IpcError> {
        match self.entry(task, name)?.object {
            Object::Port(port) => Ok(KEY_ROOM | u64::from(port.0)),
            Object::Dead => Err(IpcError::DeadName),
            Object::Set(_) => Err(IpcError::InvalidRight),
        }
    }

    /// `mach_port_set_qlimit`: the most messages the queue of `name`'s port holds (up to
    /// [`MAX_QLIMIT`]); needs the receive right.
    pub fn set_qlimit(&mut self, task: TaskId, name: Name, limit: usize) -> Result<Wakeups, IpcError> {
        if limit > MAX_QLIMIT {
            return Err(IpcError::InvalidValue);
        }
        let port = self.receive_port(task, name)?;
        if let Some(p) = self.ports.get_mut(&port) {
            p.qlimit = limit;
        }
        self.wakeups.push(KEY_ROOM | u64::from(port.0));
        Ok(self.take_wakeups())
    }

    fn receive_port(&self, task: TaskId, name: Name) -> Result<PortId, IpcError> {
        let entry = self.entry(task, name)?;
        match entry.object {
            Object::Port(port) if entry.receive => Ok(port),
            _ => Err(IpcError::InvalidRight),
        }
    }

    /// `mach_port_move_member`: puts the port whose receive right `member` names into the set
    /// `set` (out of any other), or out of every set when `set` is [`Name::NULL`].
    pub fn move_member(&mut self, task: TaskId, member: Name, set: Name) -> Result<(), IpcError> {
        let port = self.receive_port(task, member)?;
        let target = if set == Name::NULL {
            None
        } else {
            match self.entry(task, set)?.object {
                Object::Set(id) => Some(id),
                _ => return Err(IpcError::InvalidRight),
            }
        };
        let old = self.ports.get_mut(&port).and_then(|p| core::mem::replace(&mut p.set, target));
        if let Some(old) = old.and_then(|o| self.sets.get_mut(&o)) {
            old.members.remove(&port);
        }
        if let Some(id) = target {
            if let Some(s) = self.sets.get_mut(&id) {
                s.members.insert(port);
            }
            if self.ports.get(&port).is_some_and(|p| !p.queue.is_empty()) {
                self.wakeups.push(KEY_SET | u64::from(id.0));
            }
        }
        Ok(())
    }

    /// `mach_port_request_notification`: asks for `what` about `name`, to be sent to the port
    /// whose receive right `notify` names (the kernel makes a send-once right to it). A
    /// dead-name request on a name that is dead already is answered at once. Replaces an
    /// earlier request of the same kind (whose right is released).
    pub fn request_notification(
        &mut self,
        task: TaskId,
        name: Name,
        what: Notify,
        notify: Name,
    ) -> Result<Wakeups, IpcError> {
        let notify_port = self.receive_port(task, notify)?;
        let entry = self.entry(task, name)?.clone();
        let old = match (what, entry.object) {
            (Notify::DeadName, Object::Port(_)) if entry.send > 0 || entry.send_once => {
                self.make_send_once(notify_port);
                self.entry_mut(task, name)?.dead_name_request.replace(notify_port)
            }
            (Notify::DeadName, Object::Dead) => {
                self.make_send_once(notify_port);
                self.notify(
                    notify_port,
                    Notify::DEAD_NAME,
                    vec![QItem::Inline(name.0.to_le_bytes().to_vec())],
                );
                None
            }
            (Notify::NoSenders, Object::Port(port)) if entry.receive => {
                self.make_send_once(notify_port);
                let p = self.ports.get_mut(&port).ok_or(IpcError::InvalidName)?;
                let old = p.no_senders.replace(notify_port);
                if p.send == 0 {
                    let mscount = p.mscount;
                    p.no_senders = None;
                    self.notify(
                        notify_port,
                        Notify::NO_SENDERS,
                        vec![QItem::Inline(mscount.to_le_bytes().to_vec())],
                    );
                }
                old
            }
            (Notify::PortDestroyed, Object::Port(port)) if entry.receive => {
                self.make_send_once(notify_port);
                self.ports.get_mut(&port).ok_or(IpcError::InvalidName)?.port_destroyed.replace(notify_port)
            }
            _ => return Err(IpcError::InvalidRight),
        };
        if let Some(old) = old {
            self.release(Carried::SendOnce(old));
        }
        Ok(self.take_wakeups())
    }

    fn make_send_once(&mut self, port: PortId) {
        if let Some(p) = self.ports.get_mut(&port) {
            p.send_once += 1;
        }
    }

    /// Takes the right `disposition` says out of `task`'s `name` (checked by `check_out`).
    fn copy_in(&mut self, task: TaskId, name: Name, disposition: Disposition) -> Result<Carried, IpcError> {
        let entry = self.entry(task, name)?.clone();
        let Object::Port(port) = entry.object else {
            return Err(if entry.object == Object::Dead {
                IpcError::DeadName
            } else {
                IpcError::InvalidRight
            });
        };
        let carried = match disposition {
            Disposition::MoveReceive if entry.receive => {
                self.entry_mut(task, name)?.receive = false;
                if let Some(p) = self.ports.get_mut(&port) {
                    p.receiver = None;
                    if let Some(set) = p.set.take() {
                        if let Some(s) = self.sets.get_mut(&set) {
                            s.members.remove(&port);
                        }
                    }
                }
                Carried::Receive(port)
            }
            Disposition::CopySend if entry.send > 0 => {
                self.ports.get_mut(&port).ok_or(IpcError::InvalidName)?.send += 1;
                Carried::Send(port)
            }
            Disposition::MakeSend if entry.receive => {
                let p = self.ports.get_mut(&port).ok_or(IpcError::InvalidName)?;
                p.send += 1;
                p.mscount += 1;
                Carried::Send(port)
            }
            Disposition::MoveSend if entry.send > 0 => {
                let e = self.entry_mut(task, name)?;
                e.send -= 1;
                if e.send > 0 {
                    // The entry keeps its right; the message gets a new one.
                    self.ports.get_mut(&port).ok_or(IpcError::InvalidName)?.send += 1;
                }
                Carried::Send(port)
            }
            Disposition::MakeSendOnce if entry.receive => {
                self.make_send_once(port);
                Carried::SendOnce(port)
            }
            Disposition::MoveSendOnce if entry.send_once => {
                self.entry_mut(task, name)?.send_once = false;
                Carried::SendOnce(port)
            }
            _ => return Err(IpcError::InvalidRight),
        };
        // Only a move can leave the name denoting nothing.
        if matches!(disposition, Disposition::MoveReceive | Disposition::MoveSend | Disposition::MoveSendOnce)
        {
            self.tidy(task, name);
        }
        Ok(carried)
    }

    /// Whether every right a message names can be taken, all together (so that a refused send
    /// changes nothing). Allocates nothing: a message names a few rights, and each is checked
    /// against the uses before it.
    fn check_out(&self, task: TaskId, uses: &[(Name, Disposition)]) -> Result<(), IpcError> {
        let moves = |d: Disposition| matches!(d, Disposition::MoveReceive | Disposition::MoveSendOnce);
        for (i, &(name, disposition)) in uses.iter().enumerate() {
            let entry = self.entry(task, name)?;
            if entry.object == Object::Dead {
                return Err(IpcError::DeadName);
            }
            let earlier = &uses[..i];
            let taken = || earlier.iter().any(|&(n, d)| n == name && moves(d));
            let ok = match disposition {
                Disposition::MoveReceive => entry.receive && !taken(),
                Disposition::MoveSendOnce => entry.send_once && !taken(),
                Disposition::MakeSend | Disposition::MakeSendOnce => entry.receive && !taken(),
                Disposition::CopySend => entry.send > 0,
                Disposition::MoveSend => {
                    let before =
                        earlier.iter().filter(|&&(n, d)| n == name && d == Disposition::MoveSend).count();
                    before < entry.send as usize
                }
            };
            if !ok {
                return Err(IpcError::InvalidRight);
            }
        }
        // A receive right moved out cannot also make rights in the same message.
        for &(name, disposition) in uses {
            if matches!(disposition, Disposition::MakeSend | Disposition::MakeSendOnce)
                && uses.iter().any(|&(n, d)| n == name && d == Disposition::MoveReceive)
            {
                return Err(IpcError::InvalidRight);
            }
        }
        Ok(())
    }

    /// `mach_msg` (send): queues `message` on its destination's port, taking the rights it
    /// names as their dispositions say. A full queue refuses it ([`IpcError::QueueFull`])
    /// unless the destination right is send-once; a dead destination is
    /// [`IpcError::DeadName`]. Refused, nothing changes.
    pub fn send(&mut self, task: TaskId, message: Message<M>) -> Result<Wakeups, IpcError> {
        self.send_checked(task, message, true)
    }

    /// [`Ipc::send`] past the destination's queue limit (Mach's `MACH_SEND_ALWAYS`): for the
    /// kernel's own messages to a pager, which must not be lost and cannot wait.
    pub fn send_always(&mut self, task: TaskId, message: Message<M>) -> Result<Wakeups, IpcError> {
        self.send_checked(task, message, false)
    }

    fn send_checked(&mut self, task: TaskId, message: Message<M>, limit: bool) -> Result<Wakeups, IpcError> {
        let Message { header, items } = message;
        let (dest_name, dest_disposition) = header.dest;
        usable(&header)?;
        // The rights the message names: the header's, on the stack, and those of its items
        // (a vector only for a message that carries rights).
        let head = [header.dest, header.reply.unwrap_or(header.dest)];
        let head = &head[..1 + usize::from(header.reply.is_some())];
        if items.iter().any(|i| matches!(i, Item::Port(..))) {
            let mut uses = Vec::with_capacity(2 + items.len());
            uses.extend_from_slice(head);
            uses.extend(items.iter().filter_map(|i| match i {
                Item::Port(name, disposition) => Some((*name, *disposition)),
                _ => None,
            }));
            self.check_out(task, &uses)?;
        } else {
            self.check_out(task, head)?;
        }
        let Object::Port(port) = self.entry(task, dest_name)?.object else {
            return Err(IpcError::InvalidRight);
        };
        let once = matches!(dest_disposition, Disposition::MakeSendOnce | Disposition::MoveSendOnce);
        let p = self.ports.get(&port).ok_or(IpcError::InvalidName)?;
        if !p.alive {
            return Err(IpcError::DeadName);
        }
        if limit && !once && p.queue.len() >= p.qlimit {
            return Err(IpcError::QueueFull);
        }
        let dest = self.copy_in(task, dest_name, dest_disposition)?;
        let reply = match header.reply {
            Some((name, disposition)) => Some(self.copy_in(task, name, disposition)?),
            None => None,
        };
        // (Collected in the items' own vector where the two kinds of item are the same size.)
        let queued = items
            .into_iter()
            .map(|item| {
                Ok(match item {
                    Item::Inline(bytes) => QItem::Inline(bytes),
                    Item::Port(name, disposition) => QItem::Port(self.copy_in(task, name, disposition)?),
                    Item::Memory(memory) => QItem::Memory(memory),
                })
            })
            .collect::<Result<Vec<_>, IpcError>>()?;
        self.enqueue(Queued { seq: 0, dest, reply, id: header.id, items: queued });
        Ok(self.take_wakeups())
    }

    /// Where a message of `task`'s with `header` and only inline items can go straight to the
    /// task holding the destination's receive right ([`Ipc::send_direct`]): the port is
    /// alive, its queue is empty (so nothing overtakes what is queued) and has room, and some
    /// task holds its receive right. `None` otherwise (the message takes the queue). The
    /// rights are looked up here once, for the hand-off too.
    pub fn direct_target(&self, task: TaskId, header: &Header) -> Option<Direct> {
        self.direct_in(self.spaces.get(&task)?, header)
    }

    /// [`Ipc::direct_target`] with the sender's space looked up.
    #[inline(always)]
    fn direct_in(&self, space: &NameTable<Entry>, header: &Header) -> Option<Direct> {
        let dest = space.get(&header.dest.0)?;
        let Object::Port(port) = dest.object else { return None };
        let p = self.ports.get(&port)?;
        let (receiver, member) = p.receiver?;
        if !(p.alive && p.queue.is_empty() && p.qlimit > 0) {
            return None;
        }
        let shape = match (header.dest.1, header.reply) {
            (Disposition::CopySend, Some((reply_name, Disposition::MakeSendOnce))) if dest.send > 0 => {
                match space.get(&reply_name) {
                    Some(Entry { object: Object::Port(reply), receive: true, .. }) => {
                        match self.ports.position(reply) {
                            Some(at) if self.ports.at(at).alive => Shape::Request(*reply, at),
                            _ => Shape::Other,
                        }
                    }
                    _ => Shape::Other,
                }
            }
            (Disposition::MoveSendOnce, None) if dest.send_once && dest.is_once_only() => Shape::Answer,
            _ => Shape::Other,
        };
        Some(Direct { key: KEY_PORT | u64::from(port.0), receiver, port, member, shape })
    }

    /// [`Ipc::direct_target`] of a message of inline items only, with no reply right, through
    /// a held send-once right to the port of wait key `key` ([`Ipc::hand_off_rpc_held`]): for
    /// [`Ipc::send_direct`] (whose `task` and `header` it does not look at), which uses the
    /// right up. `None` when the message would take the queue: then the right keeps a name
    /// ([`Ipc::insert_held`]) for the general send.
    pub fn direct_to_held(&self, key: u64) -> Option<Direct> {
        let port = PortId(u32::try_from(key ^ KEY_PORT).ok()?);
        let p = self.ports.get(&port)?;
        let (receiver, member) = p.receiver?;
        if !(p.alive && p.queue.is_empty() && p.qlimit > 0) {
            return None;
        }
        Some(Direct { key, receiver, port, member, shape: Shape::Held })
    }

    /// Gives the held send-once right to the port of wait key `key` a name in `task`'s space,
    /// as a receive of it would (a right to a dead port becomes a dead name); the name.
    pub fn insert_held(&mut self, task: TaskId, key: u64) -> Result<Name, IpcError> {
        let port = PortId(u32::try_from(key ^ KEY_PORT).map_err(|_| IpcError::InvalidRight)?);
        self.space(task)?;
        Ok(self.copy_out(task, Carried::SendOnce(port)).0)
    }

    /// Destroys the held send-once right to the port of wait key `key` unused: the port hears a
    /// send-once notification, as for a named one destroyed.
    pub fn release_held(&mut self, key: u64) -> Wakeups {
        if let Ok(port) = u32::try_from(key ^ KEY_PORT) {
            self.release(Carried::SendOnce(PortId(port)));
        }
        self.take_wakeups()
    }

    /// Whether an RPC's send and receive can be made at once, the hand-off of Mach's
    /// `mach_msg` fast path: `task` sends a message with `header` and only inline items, and
    /// then receives on `receive`. It can when the message has one of an RPC's two shapes — a
    /// request through a copied send right with a send-once reply right made from a receive
    /// right of `task`'s, or an answer through a moved send-once right (with no dead-name
    /// request) and no reply right — its port is alive with an empty queue and room, and
    /// `receive` names a receive right whose queue is empty (the receive would wait). Gives
    /// the receiver and the key it waits on, for the kernel to see whether it sleeps in a
    /// receive with room, and what [`Ipc::hand_off_rpc`] needs. `None` otherwise: the general
    /// path makes the call.
    #[inline(always)]
    pub fn rpc_target(&self, task: TaskId, header: &Header, receive: Name) -> Option<RpcTarget> {
        let space_at = self.spaces.position(&task)?;
        let space = self.spaces.at(space_at);
        let dest = space.get(&header.dest.0)?;
        let Object::Port(port) = dest.object else { return None };
        // The request's reply port (with its name), or none for an answer.
        let reply = match (header.dest.1, header.reply) {
            (Disposition::CopySend, Some((name, Disposition::MakeSendOnce))) if dest.send > 0 => {
                match space.get(&name)? {
                    Entry { object: Object::Port(reply), receive: true, .. } => Some((name, *reply)),
                    _ => return None,
                }
            }
            (Disposition::MoveSendOnce, None)
                if dest.send_once && dest.is_once_only() && dest.dead_name_request.is_none() =>
            {
                None
            }
            _ => return None,
        };
        let waits_on = match reply {
            Some((name, reply)) if name == receive => reply,
            _ => match space.get(&receive)? {
                Entry { object: Object::Port(port), receive: true, .. } => *port,
                _ => return None,
            },
        };
        let at = self.ports.position(&port)?;
        let p = self.ports.at(at);
        let (receiver, member) = p.receiver?;
        if !(p.alive && p.queue.is_empty() && p.qlimit > 0) {
            return None;
        }
        let reply = match reply {
            Some((_, reply)) => {
                let at = self.ports.position(&reply)?;
                Some((reply, self.ports.at(at).alive.then_some(at)?))
            }
            None => None,
        };
        if !self.ports.get(&waits_on)?.queue.is_empty() {
            return None;
        }
        let key = KEY_PORT | u64::from(port.0);
        let wait = KEY_PORT | u64::from(waits_on.0);
        Some(RpcTarget { receiver, key, space_at, dest: header.dest.0, at, member, reply, wait })
    }

    /// Makes the RPC's send and receive [`Ipc::rpc_target`] found possible (nothing has
    /// changed since), the receiver waiting in a receive on the port: the rights move exactly
    /// as a send and the receiver's receive would move them (the request's reply right gets
    /// the lowest free name in the receiver's space; the answer's send-once right is used
    /// up), nothing is queued and no one else is woken.
    #[inline(always)]
    pub fn hand_off_rpc(&mut self, target: RpcTarget) -> Option<RpcHandOff> {
        self.hand_off_rpc_as(target, false)
    }

    /// [`Ipc::hand_off_rpc`] of a request whose send-once reply right the receiver holds
    /// outside its name space (`reply` is `None`): a *held* right, to the port of
    /// [`RpcTarget::reply_key`]. The kernel's network message service holds so the reply
    /// right of a request it sends on to another node, where a name in its space would be
    /// given and taken back every round trip. A held right is the holder's to use up, by
    /// exactly one of: a message handed off through it ([`Ipc::direct_to_held`],
    /// [`Ipc::send_direct`]), a name in a space ([`Ipc::insert_held`]), or its release
    /// ([`Ipc::release_held`]: the port hears a send-once notification). The port counts it
    /// as a send-once right meanwhile.
    pub fn hand_off_rpc_held(&mut self, target: RpcTarget) -> Option<RpcHandOff> {
        self.hand_off_rpc_as(target, true)
    }

    #[inline(always)]
    fn hand_off_rpc_as(&mut self, target: RpcTarget, hold: bool) -> Option<RpcHandOff> {
        let RpcTarget { receiver, space_at, dest, at, member, reply, wait, .. } = target;
        let reply = match reply {
            Some((_, reply_at)) if hold => {
                self.ports.at_mut(reply_at).send_once += 1;
                None
            }
            Some((reply, reply_at)) => {
                // A send-once right always gets a name of its own (`copy_out`).
                let entry = Entry { send_once: true, ..Entry::new(Object::Port(reply)) };
                let name = self.spaces.get_mut(&receiver)?.insert_lowest(entry);
                self.ports.at_mut(reply_at).send_once += 1;
                Some(name)
            }
            None => {
                self.spaces.at_mut(space_at).discard(&dest);
                self.ports.at_mut(at).send_once -= 1;
                None
            }
        };
        Some(RpcHandOff { member, reply, wait })
    }

    /// [`Ipc::send`] and [`Ipc::receive`] at once, for a message whose items are all inline
    /// (the caller moves its bytes): the header's rights are taken from `task` as a send takes
    /// them and given to the receiver `direct` names, which waits for a message on the
    /// destination ([`Ipc::direct_target`] found it for `header`, and nothing has changed
    /// since). Returns what a receive would have: the receiver's name for the port and the
    /// reply right under its new name. Refused (a bad right, a dead name), nothing changes, as
    /// for a send. This is the hand-off of Mach's RPC fast path: no message is queued, so
    /// nothing is allocated, and the two shapes of an RPC look no right up again: a request
    /// through a copied send right with a send-once reply right made from a receive right of
    /// the sender's (the copy is used up by the delivery, so the port's count does not move),
    /// and an answer through a moved send-once right with no reply right.
    #[inline(always)]
    pub fn send_direct(
        &mut self,
        task: TaskId,
        header: Header,
        direct: Direct,
    ) -> Result<(HandedOff, Wakeups), IpcError> {
        let Direct { receiver, port, member, shape, .. } = direct;
        match shape {
            Shape::Request(reply, reply_at) => {
                let space = self.space_mut(receiver)?;
                // A send-once right always gets a name of its own (`copy_out`): the lowest
                // free, found and filled in one pass.
                let name = space.insert_lowest(Entry { send_once: true, ..Entry::new(Object::Port(reply)) });
                self.ports.at_mut(reply_at).send_once += 1;
                return Ok(((member, Some((name, RightKind::SendOnce))), self.take_wakeups()));
            }
            Shape::Held => {
                // The held right is used up by the delivery.
                if let Some(p) = self.ports.get_mut(&port) {
                    p.send_once -= 1;
                }
                return Ok(((member, None), self.take_wakeups()));
            }
            Shape::Answer => {
                // The right leaves its slot without being moved out (only its dead-name
                // request is wanted).
                let space = self.space_mut(task)?;
                let entry = space.get(&header.dest.0).ok_or(IpcError::InvalidName)?;
                let notify = entry.dead_name_request;
                space.discard(&header.dest.0);
                if let Some(notify) = notify {
                    self.release(Carried::SendOnce(notify));
                }
                if let Some(p) = self.ports.get_mut(&port) {
                    p.send_once -= 1;
                }
                return Ok(((member, None), self.take_wakeups()));
            }
            Shape::Other => {}
        }
        let (dest_name, dest_disposition) = header.dest;
        usable(&header)?;
        let head = [header.dest, header.reply.unwrap_or(header.dest)];
        self.check_out(task, &head[..1 + usize::from(header.reply.is_some())])?;
        if self.entry(task, dest_name)?.object != Object::Port(port) {
            return Err(IpcError::InvalidRight);
        }
        let dest = self.copy_in(task, dest_name, dest_disposition)?;
        let reply = match header.reply {
            Some((name, disposition)) => Some(self.copy_in(task, name, disposition)?),
            None => None,
        };
        self.use_up(dest, port);
        let reply = reply.map(|right| self.copy_out(receiver, right));
        Ok(((member, reply), self.take_wakeups()))
    }

    /// The port whose queue holds the next message for a receive on `name` (a receive right,
    /// or a port set: the member with the oldest message), if any.
    fn next_port(&self, task: TaskId, name: Name) -> Result<Option<PortId>, IpcError> {
        self.next_port_keyed(task, name).map(|(port, _)| port)
    }

    /// [`Ipc::next_port`], and the [`Ipc::receive_key`] of `name`, from one look-up.
    fn next_port_keyed(&self, task: TaskId, name: Name) -> Result<(Option<PortId>, u64), IpcError> {
        let entry = self.entry(task, name)?;
        Ok(match entry.object {
            Object::Port(port) if entry.receive => (
                self.ports.get(&port).is_some_and(|p| !p.queue.is_empty()).then_some(port),
                KEY_PORT | u64::from(port.0),
            ),
            Object::Set(set) => (
                self.sets.get(&set).and_then(|s| {
                    s.members
                        .iter()
                        .filter_map(|m| self.ports.get(m).and_then(|p| p.queue.front()).map(|q| (q.seq, *m)))
                        .min()
                        .map(|(_, m)| m)
                }),
                KEY_SET | u64::from(set.0),
            ),
            _ => return Err(IpcError::InvalidRight),
        })
    }

    /// The size of the next message a receive on `name` would give, laid out as `header`
    /// bytes, `inline(len)` for each inline item and `other` for each right or out-of-line
    /// region (`None`: no message): so a receiver can refuse one too large for its buffer and
    /// leave it queued.
    pub fn next_size(
        &self,
        task: TaskId,
        name: Name,
        header: usize,
        inline: impl Fn(usize) -> usize,
        other: usize,
    ) -> Result<Option<usize>, IpcError> {
        let Some(id) = self.next_port(task, name)? else { return Ok(None) };
        Ok(self.front_size(id, header, inline, other))
    }

    /// Whether a message is queued on the port `name` names in `task`'s space (a receive
    /// right's; false for any other name): [`Ipc::next_size`]'s `Some` without the size.
    pub fn has_queued(&self, task: TaskId, name: Name) -> bool {
        match self.entry(task, name) {
            Ok(Entry { object: Object::Port(port), receive: true, .. }) => {
                self.ports.get(port).is_some_and(|p| !p.queue.is_empty())
            }
            _ => false,
        }
    }

    /// [`Ipc::has_queued`] of the port whose wait key ([`Ipc::port_key`]) is `key`, without a
    /// look-up of a name: whether a message waits on it.
    pub fn key_has_queued(&self, key: u64) -> bool {
        match u32::try_from(key ^ KEY_PORT) {
            Ok(port) => self.ports.get(&PortId(port)).is_some_and(|p| !p.queue.is_empty()),
            Err(_) => false,
        }
    }

    /// The size of the oldest message queued on `port`, laid out as [`Ipc::next_size`] says;
    /// `None` if its queue is empty.
    fn front_size(
        &self,
        port: PortId,
        header: usize,
        inline: impl Fn(usize) -> usize,
        other: usize,
    ) -> Option<usize> {
        let message = self.ports.get(&port)?.queue.front()?;
        Some(message.items.iter().fold(header, |size, item| {
            size + match item {
                QItem::Inline(bytes) => inline(bytes.len()),
                QItem::Port(_) | QItem::Memory(_) => other,
            }
        }))
    }

    /// `mach_msg` (receive): the oldest message of `name`'s port, or of the set's members
    /// (the oldest of them all), with its rights now `task`'s; `None` if there is none.
    pub fn receive(&mut self, task: TaskId, name: Name) -> Result<(Option<Received<M>>, Wakeups), IpcError> {
        let Some(port) = self.next_port(task, name)? else { return Ok((None, self.take_wakeups())) };
        Ok(self.receive_from(task, name, port))
    }

    /// [`Ipc::receive`] of a message no larger than `max` bytes laid out as
    /// [`Ipc::next_size`] counts them (`header`, `inline`, `other`), in one look-up: a larger
    /// one stays queued, and its size is the `Err`. The last part is what the receiver sleeps
    /// on if there is no message ([`Ipc::receive_key`]).
    #[allow(clippy::type_complexity)]
    pub fn receive_within(
        &mut self,
        task: TaskId,
        name: Name,
        max: usize,
        header: usize,
        inline: impl Fn(usize) -> usize,
        other: usize,
    ) -> Result<(Result<Option<Received<M>>, usize>, Wakeups, u64), IpcError> {
        let (next, key) = self.next_port_keyed(task, name)?;
        let Some(port) = next else { return Ok((Ok(None), self.take_wakeups(), key)) };
        let size = self.front_size(port, header, inline, other).unwrap_or(header);
        if size > max {
            return Ok((Err(size), self.take_wakeups(), key));
        }
        let (received, wakeups) = self.receive_from(task, name, port);
        Ok((Ok(received), wakeups, key))
    }

    /// Takes the oldest message of `port`, which a receive on `name` reaches.
    fn receive_from(&mut self, task: TaskId, name: Name, port: PortId) -> (Option<Received<M>>, Wakeups) {
        let Some(message) = self.ports.get_mut(&port).and_then(|p| p.queue.pop_front()) else {
            return (None, self.take_wakeups());
        };
        self.wakeups.push(KEY_ROOM | u64::from(port.0));
        let member = self.ports.get(&port).and_then(|p| p.receiver).map_or(name, |(_, n)| n);
        self.use_up(message.dest, port);
        let reply = message.reply.map(|right| self.copy_out(task, right));
        let items = message
            .items
            .into_iter()
            .map(|item| match item {
                QItem::Inline(bytes) => ReceivedItem::Inline(bytes),
                QItem::Port(right) => {
                    let (name, kind) = self.copy_out(task, right);
                    ReceivedItem::Port(name, kind)
                }
                QItem::Memory(memory) => ReceivedItem::Memory(memory),
            })
            .collect();
        let received = Received { port: member, reply, id: message.id, items };
        (Some(received), self.take_wakeups())
    }

    /// Uses up `dest`, the destination right of a message delivered to `port`: a send right is
    /// released, a send-once right is spent (and a dead port no right names any more is
    /// forgotten).
    fn use_up(&mut self, dest: Carried, port: PortId) {
        match dest {
            Carried::Send(_) => self.release(dest),
            Carried::SendOnce(once) => {
                if let Some(p) = self.ports.get_mut(&once) {
                    p.send_once -= 1;
                }
                self.bury(port);
            }
            Carried::Receive(_) => {}
        }
    }

    /// Puts a right in transit into `task`'s space: send rights join the name that already
    /// denotes the port (or its receive right); a send-once right, or a right to a dead port,
    /// gets a name of its own (a dead name for the latter).
    fn copy_out(&mut self, task: TaskId, right: Carried) -> (Name, RightKind) {
        let (port, kind) = match right {
            Carried::Send(p) => (p, RightKind::Send),
            Carried::SendOnce(p) => (p, RightKind::SendOnce),
            Carried::Receive(p) => (p, RightKind::Receive),
        };
        let alive = self.ports.get(&port).is_some_and(|p| p.alive);
        if !alive {
            self.release(right);
            let name = self.free_name(task).unwrap_or(Name::NULL);
            if let Ok(space) = self.space_mut(task) {
                space.insert(name, Entry { dead: 1, ..Entry::new(Object::Dead) });
            }
            return (name, RightKind::DeadName);
        }
        // A send-once right always gets a name of its own: no need to look for the port's.
        let existing = (kind != RightKind::SendOnce)
            .then(|| {
                self.spaces.get(&task).and_then(|s| {
                    s.iter().find(|(_, e)| e.object == Object::Port(port) && !e.send_once).map(|(n, _)| n)
                })
            })
            .flatten();
        let name = match (kind, existing) {
            (RightKind::Send | RightKind::Receive, Some(name)) => name,
            _ => {
                let name = self.free_name(task).unwrap_or(Name::NULL);
                if let Ok(space) = self.space_mut(task) {
                    space.insert(name, Entry::new(Object::Port(port)));
                }
                name
            }
        };
        let Ok(entry) = self.entry_mut(task, name) else { return (name, kind) };
        match kind {
            RightKind::Send => {
                if entry.send > 0 {
                    // One send right per name: the arriving one merges into the references.
                    entry.send = (entry.send + 1).min(UREFS_MAX);
                    self.release(right);
                } else {
                    entry.send = 1;
                }
            }
            RightKind::SendOnce => entry.send_once = true,
            _ => {
                entry.receive = true;
                if let Some(p) = self.ports.get_mut(&port) {
                    p.receiver = Some((task, name));
                }
            }
        }
        (name, kind)
    }

    /// `mach_port_insert_right`: gives `to_task` the right `disposition` takes from
    /// `from_task`'s `from`, under the name `to` (which must be free, or already denote the
    /// same port for a send right).
    pub fn insert_right(
        &mut self,
        from_task: TaskId,
        from: Name,
        disposition: Disposition,
        to_task: TaskId,
        to: Name,
    ) -> Result<Wakeups, IpcError> {
        if to == Name::NULL {
            return Err(IpcError::InvalidValue);
        }
        self.check_out(from_task, &[(from, disposition)])?;
        let Object::Port(port) = self.entry(from_task, from)?.object else {
            return Err(IpcError::InvalidRight);
        };
        let target = self.space(to_task)?.get(&to).cloned();
        let sendlike =
            matches!(disposition, Disposition::CopySend | Disposition::MakeSend | Disposition::MoveSend);
        match &target {
            None => {}
            Some(e) if e.object == Object::Port(port) && sendlike && e.send == 0 && !e.send_once => {}
            Some(e) if e.object == Object::Port(port) && sendlike && e.send > 0 => {}
            Some(_) => return Err(IpcError::NameExists),
        }
        let right = self.copy_in(from_task, from, disposition)?;
        // (The target is looked up again: moving a task's last reference onto its own name
        // emptied the entry.)
        if !self.space(to_task)?.contains_key(&to) {
            self.space_mut(to_task)?.insert(to, Entry::new(Object::Port(port)));
        }
        let entry = self.entry_mut(to_task, to)?;
        match right {
            Carried::Send(_) if entry.send > 0 => {
                entry.send = (entry.send + 1).min(UREFS_MAX);
                self.release(right);
            }
            Carried::Send(_) => entry.send = 1,
            Carried::SendOnce(_) => entry.send_once = true,
            Carried::Receive(p) => {
                entry.receive = true;
                if let Some(port) = self.ports.get_mut(&p) {
                    port.receiver = Some((to_task, to));
                }
            }
        }
        Ok(self.take_wakeups())
    }

    /// Gives `to_task` the right `disposition` takes from `from_task`'s `from`, under the name
    /// `to_task`'s space gives it (a send right joins the name that already denotes its port):
    /// how a kernel hands a task a right it made — the name service's port, a task's own port,
    /// a right arriving from another node. Returns the name and the right it is.
    pub fn give(
        &mut self,
        from_task: TaskId,
        from: Name,
        disposition: Disposition,
        to_task: TaskId,
    ) -> Result<(Name, RightKind, Wakeups), IpcError> {
        self.space(to_task)?;
        self.check_out(from_task, &[(from, disposition)])?;
        let right = self.copy_in(from_task, from, disposition)?;
        let (name, kind) = self.copy_out(to_task, right);
        Ok((name, kind, self.take_wakeups()))
    }

    /// Which port `name` denotes, as a number that is the same in every name space and never
    /// reused while the port lives (the port's [`Ipc::receive_key`]): a kernel keeping tables of
    /// ports compares these. [`IpcError::InvalidRight`] for a port set or a dead name.
    pub fn port_key(&self, task: TaskId, name: Name) -> Result<u64, IpcError> {
        match self.entry(task, name)?.object {
            Object::Port(port) => Ok(KEY_PORT | u64::from(port.0)),
            Object::Set(_) | Object::Dead => Err(IpcError::InvalidRight),
        }
    }

    /// Whether `name` is `task`'s receive right and nothing more, to a port as
    /// [`Ipc::allocate`] makes one: no other right to it anywhere (none ever made a send
    /// right), nothing queued, in no set, no notification asked for by or about it, the default
    /// queue limit. Such a port can serve again in place of a new one.
    pub fn is_pristine(&self, task: TaskId, name: Name) -> bool {
        let Ok(entry) = self.entry(task, name) else { return false };
        let Object::Port(port) = entry.object else { return false };
        let named = entry.receive && entry.send == 0 && !entry.send_once && entry.dead == 0;
        named
            && entry.dead_name_request.is_none()
            && self.ports.get(&port).is_some_and(|p| {
                p.alive
                    && p.receiver == Some((task, name))
                    && p.send == 0
                    && p.send_once == 0
                    && p.mscount == 0
                    && p.queue.is_empty()
                    && p.qlimit == QLIMIT_DEFAULT
                    && p.set.is_none()
                    && p.no_senders.is_none()
                    && p.port_destroyed.is_none()
            })
    }

    /// Whether a message sent to `name`'s port with a send right would find room in its queue
    /// now (a dead port has room: the send fails otherwise).
    pub fn has_room(&self, task: TaskId, name: Name) -> Result<bool, IpcError> {
        let Object::Port(port) = self.entry(task, name)?.object else { return Ok(true) };
        Ok(self.port_has_room(port))
    }

    /// [`Ipc::has_room`] of the port whose wait key is `key` ([`Ipc::port_key`]), found
    /// without a look-up of a name: true if there is no such port (any more).
    pub fn key_has_room(&self, key: u64) -> bool {
        match u32::try_from(key ^ KEY_PORT) {
            Ok(port) => self.port_has_room(PortId(port)),
            Err(_) => true,
        }
    }

    fn port_has_room(&self, port: PortId) -> bool {
        self.ports.get(&port).is_none_or(|p| !p.alive || p.queue.len() < p.qlimit)
    }

    /// How many send rights to `name`'s port exist, in name spaces and in messages in transit.
    pub fn send_rights(&self, task: TaskId, name: Name) -> Result<u32, IpcError> {
        let Object::Port(port) = self.entry(task, name)?.object else { return Err(IpcError::InvalidRight) };
        Ok(self.ports.get(&port).map_or(0, |p| p.send))
    }

    /// Whether [`Ipc::take_space`] can take `task`'s whole space: at most `max_names` names,
    /// and every notification asked about them goes to a receive right of the task's own
    /// (which moves with it; a request to another task's port would stay behind).
    pub fn space_can_move(&self, task: TaskId, max_names: usize) -> bool {
        let Ok(space) = self.space(task) else { return true };
        let own = |notify: Option<PortId>| notify.is_none_or(|n| self.receive_name(task, n).is_some());
        space.len() <= max_names
            && space.iter().all(|(_, entry)| {
                own(entry.dead_name_request)
                    && match entry.object {
                        Object::Port(port) if entry.receive => {
                            self.ports.get(&port).is_none_or(|p| own(p.no_senders) && own(p.port_destroyed))
                        }
                        _ => true,
                    }
            })
    }

    /// `task`'s name for the receive right of `port`, if it holds it (where a notification
    /// goes; a set's member).
    fn receive_name(&self, task: TaskId, port: PortId) -> Option<Name> {
        self.ports.get(&port).and_then(|p| p.receiver).filter(|(holder, _)| *holder == task).map(|(_, n)| n)
    }

    /// Takes the notification requests about `task`'s `name` off it (the send-once rights
    /// they hold go unused and unsaid), to be asked again where the task goes.
    fn take_requests(&mut self, task: TaskId, name: Name) -> Requests {
        let Some(entry) = self.spaces.get_mut(&task).and_then(|s| s.get_mut(&name)) else {
            return Requests::default();
        };
        let dead_name = entry.dead_name_request.take();
        let (no_senders, port_destroyed) = match entry.object {
            Object::Port(port) if entry.receive => match self.ports.get_mut(&port) {
                Some(p) => (p.no_senders.take(), p.port_destroyed.take()),
                None => (None, None),
            },
            _ => (None, None),
        };
        let requests = Requests {
            dead_name: dead_name.and_then(|n| self.receive_name(task, n)),
            no_senders: no_senders.and_then(|n| self.receive_name(task, n)),
            port_destroyed: port_destroyed.and_then(|n| self.receive_name(task, n)),
        };
        for notify in [dead_name, no_senders, port_destroyed].into_iter().flatten() {
            if let Some(p) = self.ports.get_mut(&notify) {
                p.send_once -= 1;
            }
        }
        requests
    }

    /// Asks again, for `task`'s `name`, the notifications `requests` says (put back by
    /// [`Ipc::put_name`], with the receive rights they go to).
    pub fn put_requests(
        &mut self,
        task: TaskId,
        name: Name,
        requests: Requests,
    ) -> Result<Wakeups, IpcError> {
        let mut keys = Vec::new();
        let asked = [
            (Notify::DeadName, requests.dead_name),
            (Notify::NoSenders, requests.no_senders),
            (Notify::PortDestroyed, requests.port_destroyed),
        ];
        for (what, notify) in asked {
            if let Some(notify) = notify {
                keys.extend(self.request_notification(task, name, what, notify)?.keys);
            }
        }
        Ok(Wakeups { keys })
    }

    /// Takes every name out of `task`'s space and gives its rights to `to` (a kernel's own
    /// space), as moves in messages would: a receive right leaves its port set and takes its
    /// queue with it, a send right is one right whatever its user references. The task's
    /// space is left empty; what each name denoted is returned, in the order of the names.
    /// For a task moving to another node, whose kernel puts the names back
    /// ([`Ipc::put_name`]). Refused, nothing changes, if [`Ipc::space_can_move`] says no.
    pub fn take_space(
        &mut self,
        task: TaskId,
        to: TaskId,
    ) -> Result<(Vec<TakenName<Name>>, Wakeups), IpcError> {
        self.space(to)?;
        if !self.space_can_move(task, usize::MAX) {
            return Err(IpcError::InvalidRight);
        }
        let names: Vec<(Name, Entry)> = self.space(task)?.iter().map(|(n, e)| (n, e.clone())).collect();
        // Requests first, while their receive rights still have the task's names.
        let requests: Vec<Requests> = names.iter().map(|(name, _)| self.take_requests(task, *name)).collect();
        // Sets next: moving a receive right takes it out of its set.
        let mut taken = Vec::with_capacity(names.len());
        for (name, entry) in &names {
            if let Object::Set(set) = entry.object {
                let members = self.sets.get(&set).map_or_else(Vec::new, |s| {
                    s.members.iter().filter_map(|&port| self.receive_name(task, port)).collect()
                });
                taken.push(TakenName { name: *name, what: Taken::Set(members), notify: Requests::default() });
            }
        }
        for ((name, entry), notify) in names.into_iter().zip(requests) {
            let what = match entry.object {
                Object::Set(_) => {
                    self.remove_right(task, name, RightKind::PortSet)?;
                    self.tidy(task, name);
                    continue;
                }
                Object::Dead => {
                    self.space_mut(task)?.remove(&name);
                    Taken::Dead(entry.dead)
                }
                Object::Port(port) => {
                    let qlimit = self.ports.get(&port).map_or(QLIMIT_DEFAULT, |p| p.qlimit);
                    let moved = |ipc: &mut Ipc<M>, disposition| -> Result<Name, IpcError> {
                        let right = ipc.copy_in(task, name, disposition)?;
                        Ok(ipc.copy_out(to, right).0)
                    };
                    let receive =
                        if entry.receive { Some(moved(self, Disposition::MoveReceive)?) } else { None };
                    let send_once =
                        if entry.send_once { Some(moved(self, Disposition::MoveSendOnce)?) } else { None };
                    let send = match entry.send {
                        0 => None,
                        _ => {
                            // One right, whatever the references: they travel as a count.
                            self.entry_mut(task, name)?.send = 1;
                            let right = self.copy_in(task, name, Disposition::MoveSend)?;
                            if receive.is_some() {
                                self.release(right);
                                None
                            } else {
                                Some(self.copy_out(to, right).0)
                            }
                        }
                    };
                    Taken::Port { receive, send, urefs: entry.send, send_once, qlimit }
                }
            };
            taken.push(TakenName { name, what, notify });
        }
        taken.sort_by_key(|t| t.name);
        Ok((taken, self.take_wakeups()))
    }

    /// Puts `taken` — a name [`Ipc::take_space`] took from a task on another node, its rights
    /// now under names of `from`'s space — into `task`'s space under its name. Port sets go
    /// last, once their members are in place (a member that is missing is left out).
    /// [`IpcError::NameExists`] if the name is in use.
    pub fn put_name(
        &mut self,
        task: TaskId,
        from: TaskId,
        taken: &TakenName<(Name, Disposition)>,
    ) -> Result<Wakeups, IpcError> {
        let name = taken.name;
        if name == Name::NULL || self.space(task)?.contains_key(&name) {
            return Err(IpcError::NameExists);
        }
        match &taken.what {
            Taken::Dead(urefs) => {
                let entry = Entry { dead: (*urefs).clamp(1, UREFS_MAX), ..Entry::new(Object::Dead) };
                self.space_mut(task)?.insert(name, entry);
            }
            Taken::Set(members) => {
                let id = self.new_set();
                self.space_mut(task)?.insert(name, Entry::new(Object::Set(id)));
                for member in members {
                    let _ = self.move_member(task, *member, name);
                }
            }
            Taken::Port { receive, send, urefs, send_once, qlimit } => {
                for (from_name, disposition) in [receive, send, send_once].into_iter().flatten() {
                    self.insert_right(from, *from_name, *disposition, task, name)?;
                }
                if receive.is_some() {
                    self.set_qlimit(task, name, (*qlimit).min(MAX_QLIMIT))?;
                    if *urefs > 0 {
                        self.insert_right(task, name, Disposition::MakeSend, task, name)?;
                    }
                }
                if let Some(entry) = self.space_mut(task)?.get_mut(&name) {
                    if entry.send > 0 {
                        entry.send = (*urefs).clamp(1, UREFS_MAX);
                    }
                }
            }
        }
        Ok(self.take_wakeups())
    }

    /// `mach_port_extract_right`: takes the right `disposition` says out of `task`'s `name`
    /// and gives it back to `task` under a new name (the caller's way to get, say, a send right
    /// it can pass to `insert_right` or keep).
    pub fn extract_right(
        &mut self,
        task: TaskId,
        name: Name,
        disposition: Disposition,
    ) -> Result<(Name, RightKind), IpcError> {
        self.check_out(task, &[(name, disposition)])?;
        let right = self.copy_in(task, name, disposition)?;
        let out = self.copy_out(task, right);
        self.wakeups.clear();
        Ok(out)
    }
}
