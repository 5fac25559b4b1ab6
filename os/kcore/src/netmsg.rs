//! The network message service: ports across nodes (docs/ports.md, *Across nodes*), in the
//! kernel, in the role of Mach's NetMsgServer (Sansom, Julin and Rashid, *Extending a
//! Capability Based System into a Network Environment*, 1986), and the ports the kernel
//! serves itself: the name service and the task ports.
//!
//! **Why in the kernel.** A server process would cost every remote message two more context
//! switches and two more copies on each node, and it would have to be placed, started and
//! kept alive on every satellite before any port could cross a link; the kernels already
//! hold the links and the name spaces. It is still written as a task: the service holds its
//! rights in a name space of its own ([`NET`]) and moves messages with the same operations a
//! process uses, so every right it holds is counted as a process's would be.
//!
//! **The model.** A port lives on the node that holds its receive right, its *home*; the
//! other nodes name it by a [`PortRef`] (home node, a number the home gave it, an *export*).
//! A task elsewhere holding a send right holds it to a **proxy**: a port on its own node whose
//! receive right the service holds. A message queued on a proxy is taken by the service,
//! its rights turned into [`NetRight`]s, and sent to the home, which queues it on the real
//! port with the rights turned back — into proxies on the home's side for rights to ports of
//! other nodes. Every send right on the wire carries one reference the receiving node then
//! holds at the port's home; the home counts them per node and forgets the export when the
//! last is released, so a port's no-senders notification is exact across nodes.
//!
//! - **Order and limits**: a proxy sends one message at a time and the next only when the
//!   home says it was queued ([`NetOp::Delivered`]); a home whose port is full keeps it until
//!   there is room. A sender therefore blocks, or times out, on a full proxy, as on a full
//!   port; messages from one sender arrive in order.
//! - **Send-once rights** travel as a proxy of their own, used once.
//! - **A receive right moves** with its queue: the old home keeps the port as a proxy of the
//!   new one and forwards to it what was queued and what comes later (the new home says where
//!   it is with [`NetOp::Moved`]).
//! - **Death**: a port that dies tells every node holding a reference ([`NetOp::Dead`]); their
//!   proxies die and their send rights become dead names (dead-name notifications follow). A
//!   dead node ([`NetOp::NodeDead`]) takes its ports and its references with it.
//!
//! **Kernel ports.** The name service is a port on the central served by the kernel: export 1
//! on every node's books, so [`bootstrap`] gives a task anywhere a send right to it. A task's
//! own port ([`task_self`]) answers `TASK_INFO` and `TASK_TERMINATE`, and dies with the task.

use alloc::borrow::Cow;
use alloc::boxed::Box;
use alloc::collections::VecDeque;
use alloc::vec;
use alloc::vec::Vec;

use ox_abi::{
    Errno, Signal, MO_CREATE, MO_DATA_PROVIDED, MO_DATA_REQUEST, MO_DATA_UNAVAILABLE, MO_DATA_UNLOCK,
    MO_DATA_WRITE, MO_DESTROY, MO_INIT, MO_LOCK_CLEAN, MO_LOCK_COMPLETED, MO_LOCK_FLUSH, MO_LOCK_REQUEST,
    MO_SET_ATTRIBUTES, MO_TERMINATE, NOTIFY_DEAD_NAME, NOTIFY_NO_SENDERS, NS_LOOKUP, NS_NAME_MAX,
    NS_REGISTER, NS_REPLY, PAGER_TIMEOUT_TICKS, TASK_INFO, TASK_REPLY, TASK_TERMINATE,
};
use ox_ipc::{
    Direct, Disposition, Header, Ipc, IpcError, Item, Message, Name, Notify, Received, ReceivedItem,
    Requests, RightKind, Taken, TakenName, TaskId, Wakeups, KEY_PORT,
};
use ox_proto::net::{
    InlineMessage, InlineRead, NetItem, NetKind, NetName, NetNamed, NetOp, NetRight, PortRef, WordArea,
    Words, EXPORT_COUNT, MAX_BATCH, MAX_PIECE, MAX_SPACE_NAMES,
};
use ox_proto::NetEnvelope;

use crate::task::{proc, signal};
use crate::vm::{self, AddressSpace, Captured, Staged};
use ox_vm::{ObjectId, Prot};

/// The service's own name space.
pub const NET: TaskId = TaskId(u32::MAX);

/// A way to give a port message from another node straight to a receiver waiting for it, as
/// the kernel hands a local one to a parked receiver (`ox_kcore::ipcall`): into the receiver's
/// buffer, nothing queued, nothing allocated.
pub trait HandOff {
    /// Sends the service's message of `header` and inline `items` (their bytes) straight to
    /// its port's receiver if it waits in a receive there with room: what the send gave;
    /// `None` (nothing changed) if it does not, and the message is queued.
    fn hand_off(
        &mut self,
        ipc: &mut Ipc<Captured>,
        header: Header,
        items: &[&[u8]],
    ) -> Option<Result<Wakeups, IpcError>>;

    /// [`HandOff::hand_off`] of a message of id `id` with no reply right through the
    /// service's held send-once right to the port of wait key `key` ([`Export::held`]), which
    /// it uses up; `None` (nothing changed) if its receiver does not wait.
    fn hand_off_held(
        &mut self,
        ipc: &mut Ipc<Captured>,
        key: u64,
        id: u32,
        items: &[&[u8]],
    ) -> Option<Result<Wakeups, IpcError>>;
}

/// No hand-off: every message is queued.
pub struct Queue;

impl HandOff for Queue {
    fn hand_off(
        &mut self,
        _: &mut Ipc<Captured>,
        _: Header,
        _: &[&[u8]],
    ) -> Option<Result<Wakeups, IpcError>> {
        None
    }

    fn hand_off_held(
        &mut self,
        _: &mut Ipc<Captured>,
        _: u64,
        _: u32,
        _: &[&[u8]],
    ) -> Option<Result<Wakeups, IpcError>> {
        None
    }
}

/// A message's reply right as the service sends it on ([`Net::forward_moved`]).
#[derive(Clone, Copy, Debug)]
pub enum Reply {
    /// A right the service names, and its port's key if the caller knows it.
    Named(Name, RightKind, Option<u64>),
    /// A send-once right the service holds outside its space ([`Export::held`]) to the port
    /// of this key (`Ipc::hand_off_rpc_held`).
    Held(u64),
}

/// The longest batch [`Net::take_out`] makes of a message and what waited for later: well
/// within a frame.
const BATCH_BYTES: usize = 512;

/// At most this many used send-once proxies' ports are kept for the next ([`Net::spare_once`]):
/// one per RPC a node's servers answer at once; the rest are destroyed.
const SPARE_ONCE: usize = 4;

/// At most this many `Delivered`s ride with a message [`Net::encode_direct`] encodes (a server
/// answering one client has one); more, and the message goes by [`Net::take_out`].
const DIRECT_DELIVERED: usize = 4;

/// Whether `item` is a receive right on its way.
fn is_receive_right(item: &NetItem) -> bool {
    matches!(item, NetItem::Right(NetRight { kind: NetKind::Receive, .. }))
}

/// The name service's export on the central.
pub const BOOTSTRAP_EXPORT: u32 = 1;

/// The most names the name service keeps.
const NAMES_MAX: usize = 256;

/// The most messages kept for one port whose queue is full. A well-behaved node has at most
/// one message in flight per port (it waits for `Delivered`), so this bounds what a peer that
/// does not wait can make a node hold.
const PENDING_MAX: usize = 256;

/// Bytes of a streamed out-of-line region in flight to a node (sent, not yet taken) at most:
/// four pieces, so a region crosses at the links' pace without piling up in any heap.
const STREAM_WINDOW: u32 = 4 * MAX_PIECE as u32;

/// Streamed regions arriving at once at most: one more is refused (its message goes on
/// without it), so no peer can make a node hold scratch maps without end.
const STREAMS_IN_MAX: usize = 16;

/// An out-of-line region leaving for node `to` in pieces ([`NetOp::Piece`]).
struct Outgoing {
    to: u32,
    stream: u32,
    region: Staged,
    /// Bytes sent, and bytes the addressee has taken.
    sent: u32,
    taken: u32,
}

/// An out-of-line region arriving from node `from` in pieces: written into `region` as they
/// come (`None` once refused or given up: its message goes without it).
struct Incoming {
    from: u32,
    stream: u32,
    region: Option<Staged>,
    /// Bytes written, and the region's size: it is whole when they meet.
    got: u32,
    size: u32,
}

impl Outgoing {
    /// Whether the window lets it send another piece.
    fn may_send(&self) -> bool {
        self.sent < self.region.size() && self.sent - self.taken < STREAM_WINDOW
    }
}

/// The streams (each with its region's size) whose regions follow a message of `items` in
/// pieces.
fn streams(items: &[NetItem]) -> impl Iterator<Item = (u32, u32)> + '_ {
    items.iter().filter_map(|i| match i {
        NetItem::Stream { stream, size } => Some((*stream, *size)),
        _ => None,
    })
}

/// The bytes of `items` if every one is inline and there are at most [`InlineRead::ITEMS`]
/// (as many as a hand-off takes), and how many there are.
fn inline_bytes(items: &[NetItem]) -> Option<([&[u8]; InlineRead::ITEMS], usize)> {
    let mut bytes = [&[][..]; InlineRead::ITEMS];
    for (slot, item) in items.iter().enumerate() {
        let NetItem::Inline(item) = item else { return None };
        *bytes.get_mut(slot)? = item;
    }
    Some((bytes, items.len()))
}

/// [`streams`] of message `op`, without their sizes.
fn streams_of(op: &NetOp) -> impl Iterator<Item = u32> + '_ {
    let items = match op {
        NetOp::Message { items, .. } => items.as_slice(),
        _ => &[],
    };
    streams(items).map(|(stream, _)| stream)
}

/// Kernel heap the clock over anonymous memory leaves free: pages on their way to the
/// default pager wait in the heap, so paging out stops while it is short.
const PAGE_OUT_HEAP_RESERVE: usize = 256 * 1024;

/// What a port the service receives from is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Role {
    /// A proxy for a send right to a port elsewhere.
    Proxy(PortRef),
    /// A proxy for one send-once right to a port elsewhere.
    Once(PortRef),
    /// A port of this node whose receive right is on its way to another node (export id):
    /// what comes waits for [`NetOp::Moved`].
    Moving(u32),
    /// The service's notification port.
    Notify,
    /// The name service.
    NameService,
    /// The task port of a process here.
    Task(u32),
    /// The control port of external object `id` (its pager's answers).
    Control(u32),
}

/// A memory object of this node whose pages an external pager provides (docs/pagers.md).
struct External {
    /// The VM's object (the service holds one reference while it lives).
    object: ObjectId,
    /// The service's send right to the pager's memory object port.
    memory: Name,
    /// The control port (the service's receive right).
    control: Name,
    /// Pages asked for and not yet provided: (index, the tick it was asked at).
    requested: Vec<(u32, u32)>,
    /// Pages whose pager did not answer in time.
    failed: Vec<u32>,
    /// The pager's port died.
    dead: bool,
    /// Mapped nowhere any more: the written pages still to send back before `MO_TERMINATE`.
    writing: Option<Vec<u32>>,
    /// The pager's `MO_SET_ATTRIBUTES`: kept with its pages while mapped nowhere.
    may_cache: bool,
    /// Anonymous memory the node's default pager holds pages of (the service holds no
    /// reference to the object: it ends when the VM destroys it, [`vm::take_ended`]).
    anonymous: bool,
}

impl External {
    /// Page `index` of object `id` is resident, unlocked or gone: its request is no longer
    /// awaited, and the processes waiting for a page of the object wake (to fault again).
    fn answered(&mut self, id: u32, index: u32, woken: &mut Vec<u64>) {
        self.requested.retain(|(i, _)| *i != index);
        woken.push(KEY_PAGER | u64::from(id));
    }

    /// Whether the object is to end: mapped nowhere (the service's reference is the last), and
    /// not kept for the next mapping by a living pager that asked so.
    fn ending(&self, id: u32) -> bool {
        !self.anonymous && vm::external_refs(self.object, id) <= 1 && (self.dead || !self.may_cache)
    }

    /// Sends page `index` back to the pager (`MO_DATA_WRITE`, past its queue's limit: a
    /// written page is never lost) from node `me`, unless the pager is dead.
    fn write_back(&mut self, ipc: &mut Ipc<Captured>, index: u32, me: u32, woken: &mut Vec<u64>) {
        if self.dead {
            return;
        }
        let data = vm::read_page(self.object, index).unwrap_or_default();
        let write = self.to_pager(MO_DATA_WRITE, vec![inline(&[index * 4096, me]), Item::Inline(data)]);
        match ipc.send_always(NET, write) {
            Ok(w) => woken.extend(w.keys),
            Err(_) => self.dead = true,
        }
    }

    /// A message to the pager on the memory object's port.
    fn to_pager(&self, id: u32, items: Vec<Item<Captured>>) -> Message<Captured> {
        Message { header: Header { dest: (self.memory, Disposition::CopySend), reply: None, id }, items }
    }
}

/// The order a clock's hand at `hand` visits `pages` (sorted) in: from the first page at or
/// after it, round twice.
fn two_turns(pages: &[(u32, u32)], hand: (u32, u32)) -> impl Iterator<Item = (u32, u32)> + '_ {
    let start = pages.iter().position(|p| *p >= hand).unwrap_or(0);
    (0..2 * pages.len()).map(move |step| pages[(start + step) % pages.len()])
}

/// An inline item of little-endian words.
fn inline(words: &[u32]) -> Item<Captured> {
    Item::Inline(words.iter().flat_map(|w| w.to_le_bytes()).collect())
}

/// The words of an inline item of exactly `n` words.
fn words_of(item: Option<&ReceivedItem<Captured>>, n: usize) -> Option<Vec<u32>> {
    match item {
        Some(ReceivedItem::Inline(b)) if b.len() == 4 * n => {
            Some(b.chunks_exact(4).map(|w| u32::from_le_bytes([w[0], w[1], w[2], w[3]])).collect())
        }
        _ => None,
    }
}

/// The `VM_PROT_*` word of an access.
fn access_word(access: vm::Access) -> u32 {
    match access {
        vm::Access::Read => ox_abi::VM_PROT_READ,
        vm::Access::Write => ox_abi::VM_PROT_WRITE,
        vm::Access::Execute => ox_abi::VM_PROT_EXECUTE,
    }
}

/// The wake-up key class of processes waiting for a pager (`ipcall`'s channel of external
/// object `id`: `KEY_PAGER | id`).
pub const KEY_PAGER: u64 = 4 << 32;

/// What a fault on an external object's page comes to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PageIn {
    /// Asked for: wait on external object `id`'s channel.
    Wait(u32),
    /// The pager is dead, or did not answer in time: `SIGBUS`.
    Failed,
    /// No pager has the object any more (it merged into its shadow, or ended): the access
    /// runs again and finds the page afresh.
    Gone,
}

/// A right of this node that other nodes hold (or are being given). Small (28 bytes: moved
/// with a few loads and stores, where a larger one was a call of `memcpy`), as one is made
/// and forgotten for every RPC's reply right: what most exports never have — a second
/// holder, messages waiting for room — is boxed apart.
struct Export {
    /// The service's right to the port: a send right (one reference), or a send-once right.
    name: Name,
    /// The port's number: its wait key is `KEY_PORT |` it ([`Ipc::port_key`]), by which its
    /// queue's room is looked at without a look-up of the name.
    port: u32,
    once: bool,
    /// Never forgotten (the name service's port).
    immortal: bool,
    /// A send-once right the service holds outside its space (`name` is none): an RPC's reply
    /// right, sent on from the RPC's fast path (`Ipc::hand_off_rpc_held`), its answer handed
    /// to its receiver through it ([`HandOff::hand_off_held`]). Anything else gives it a name
    /// first ([`Net::name_held`]).
    held: bool,
    /// The references each node holds.
    holders: Holders,
    /// Messages that came while the port's queue was full.
    pending: Pending,
}

impl Export {
    /// An export of the service's right `name` (a send-once right if `once`) to the port of
    /// wait key `key`, held by no node yet.
    fn new((name, key): (Name, u64), once: bool) -> Export {
        Export {
            name,
            port: key as u32,
            once,
            immortal: false,
            held: false,
            holders: Holders::default(),
            pending: Pending::default(),
        }
    }

    /// The port's wait key.
    fn key(&self) -> u64 {
        KEY_PORT | u64::from(self.port)
    }
}

/// Messages that came for an export while its port's queue was full, (from node, the op) in
/// order: most often none, kept as nothing until one comes.
#[derive(Default)]
struct Pending(Option<Box<VecDeque<(u32, NetOp)>>>);

impl Pending {
    fn is_empty(&self) -> bool {
        self.0.as_ref().is_none_or(|queue| queue.is_empty())
    }

    fn len(&self) -> usize {
        self.0.as_ref().map_or(0, |queue| queue.len())
    }

    fn iter(&self) -> impl Iterator<Item = &(u32, NetOp)> {
        self.0.iter().flat_map(|queue| queue.iter())
    }

    fn retain(&mut self, keep: impl FnMut(&(u32, NetOp)) -> bool) {
        if let Some(queue) = &mut self.0 {
            queue.retain(keep);
        }
    }

    fn push_back(&mut self, message: (u32, NetOp)) {
        self.0.get_or_insert_with(Box::default).push_back(message);
    }

    fn push_front(&mut self, message: (u32, NetOp)) {
        self.0.get_or_insert_with(Box::default).push_front(message);
    }

    fn pop_front(&mut self) -> Option<(u32, NetOp)> {
        self.0.as_mut()?.pop_front()
    }
}

/// A send proxy: a port of the service's standing for a port of another node.
#[derive(Clone, Copy, Debug)]
struct Proxy {
    /// The service's receive right for it.
    name: Name,
    /// Its wait key ([`Ipc::port_key`]).
    key: u64,
    /// Whether a message it sent is in flight (until its `Delivered`).
    inflight: bool,
}

/// No node: [`Holders`]' first place is empty.
const NO_HOLDER: u32 = u32::MAX;

/// The references each node holds to an export, in the order the nodes came. Most exports
/// have one holder — a send-once right's (an RPC's reply right, made and used up every round
/// trip), or a port one other node sends to — kept in place, so that making one allocates
/// nothing; a second moves both into a map.
struct Holders {
    /// The only holder and its references ([`NO_HOLDER`]: none), if there is just one that
    /// came while `more` was empty.
    one: (u32, u32),
    more: Option<Box<VecMap<u32, u32>>>,
}

impl Default for Holders {
    fn default() -> Holders {
        Holders { one: (NO_HOLDER, 0), more: None }
    }
}

impl Holders {
    /// The references `node` holds, to change, inserted as `refs` if it held none.
    fn or_insert(&mut self, node: u32, refs: u32) -> &mut u32 {
        let (held, held_refs) = self.one;
        if held != NO_HOLDER && held != node {
            self.one = (NO_HOLDER, 0);
            self.more.get_or_insert_with(Box::default).insert(held, held_refs);
        } else if held == NO_HOLDER && self.more.as_ref().is_none_or(|more| more.is_empty()) {
            self.one = (node, refs);
        }
        if self.one.0 == node {
            return &mut self.one.1;
        }
        self.more.get_or_insert_with(Box::default).or_insert(node, refs)
    }

    /// Sets the references `node` holds.
    fn insert(&mut self, node: u32, refs: u32) {
        *self.or_insert(node, refs) = refs;
    }

    /// Whether `node` is the holder kept in place.
    fn is_one(&self, node: u32) -> bool {
        node != NO_HOLDER && self.one.0 == node
    }

    fn get_mut(&mut self, node: &u32) -> Option<&mut u32> {
        if self.is_one(*node) {
            return Some(&mut self.one.1);
        }
        self.more.as_mut()?.get_mut(node)
    }

    fn remove(&mut self, node: &u32) {
        if self.is_one(*node) {
            self.one = (NO_HOLDER, 0);
        } else if let Some(more) = &mut self.more {
            more.remove(node);
        }
    }

    fn contains_key(&self, node: &u32) -> bool {
        self.is_one(*node) || self.more.as_ref().is_some_and(|more| more.contains_key(node))
    }

    fn is_empty(&self) -> bool {
        self.one.0 == NO_HOLDER && self.more.as_ref().is_none_or(|more| more.is_empty())
    }

    /// The holding nodes, in the order they came.
    fn keys(&self) -> impl Iterator<Item = &u32> {
        let one = (self.one.0 != NO_HOLDER).then_some(&self.one.0);
        one.into_iter().chain(self.more.iter().flat_map(|more| more.keys()))
    }
}

/// A link's way of sending a `Net` message to node `to` encoded straight into the frame that
/// carries it ([`crate::endpoint::Endpoint::send_with`]): if the message can go in one frame at
/// once, the writer is given the frame's room for it, as words, and returns how many bytes it
/// wrote (`None`: nothing to send); true if the message went. Otherwise it returns false
/// without calling the writer.
pub type SendInFrame = fn(u32, &mut dyn FnMut(&mut [u32]) -> Option<usize>) -> bool;

/// A proxy ready to send a message at once ([`Net::ready_proxy`]).
#[derive(Clone, Copy, Debug)]
pub struct ReadyProxy {
    /// Its wait key, the service's name for it, and its role.
    key: u64,
    name: Name,
    role: Role,
    /// The message's destination on the wire: the port it stands for.
    dest: NetRight,
}

/// The service's state on one node.
pub struct Net {
    me: u32,
    central: Option<u32>,
    roles: VecMap<u64, (Name, Role)>,
    /// Proxies (send), by the port they stand for.
    proxies: VecMap<PortRef, Proxy>,
    exports: VecMap<u32, Export>,
    /// Send exports by the port's key, so that rights to one port share one export.
    export_of: VecMap<u64, u32>,
    /// Exports waiting for room: the key a sender to them sleeps on.
    room: VecMap<u64, u32>,
    /// The count of the next export's number ([`PortRef::number`]).
    next_export: u32,
    /// This node's incarnation (how many times it was booted and died before), in every
    /// export's number ([`PortRef::number`]).
    incarnation: u32,
    notify: Name,
    names: VecMap<Vec<u8>, Name>,
    tasks: VecMap<u32, Name>,
    pagers: VecMap<u32, External>,
    next_pager: u32,
    /// The page-replacement clock's hand: the external object and page it points at.
    hand: (u32, u32),
    /// The hand of the clock over anonymous memory: the object and page it points at.
    anonymous_hand: (u32, u32),
    /// The node's default pager: the service's send right to the port it takes `MO_CREATE`
    /// on, and its process.
    default_pager: Option<(Name, u32)>,
    /// The clock over anonymous memory last stopped short for want of kernel heap, or while
    /// a process image was being read: room comes by waiting.
    page_out_held: bool,
    /// The service's own messages held until the send proxy for a port elsewhere has sent and
    /// delivered what it holds (that port, and the message).
    held: Vec<(PortRef, Message<Captured>)>,
    /// Keys of ports with work.
    work: VecDeque<u64>,
    /// What to send: (to node, op), in order.
    out: Vec<(u32, NetOp)>,
    /// What may wait a little: the `Delivered` of each message from another node handed
    /// straight to its receiver ([`HandOff`]). It goes in one [`NetOp::Batch`] with the next
    /// message for that node, or when the process the message woke has had its turn
    /// ([`Net::release_later`]) — so an RPC's answer carries the `Delivered` of its request,
    /// and the server's node sends one frame where it sent two, the answer first. (Node, port.)
    later: Vec<(u32, PortRef)>,
    settling: bool,
    /// Processes arriving here whose port name space may follow ([`NetOp::Space`]).
    arriving: Vec<u32>,
    /// Out-of-line regions leaving in pieces, and the next stream's number.
    outgoing: Vec<Outgoing>,
    next_stream: u32,
    /// Regions arriving in pieces; the messages waiting for them (from, op); and the regions
    /// whole, by (from, stream), until their message is queued.
    incoming: Vec<Incoming>,
    awaiting: Vec<(u32, NetOp)>,
    streamed: Vec<((u32, u32), Captured)>,
    /// The ports of send-once proxies that were used, kept to serve the next send-once right
    /// from another node (an RPC's reply right comes with every request): at most
    /// [`SPARE_ONCE`], each a receive right of the service's and nothing more (and its key).
    spare_once: Vec<(Name, u64)>,
    /// Send-once proxies used since the service last looked (their key, name and home), to be
    /// retired ([`Net::retire_once`]) once the message they sent is on its way: an RPC's
    /// answer leaves first ([`Net::retire_used`]).
    used_once: Vec<(u64, Name, PortRef)>,
    /// Send-once exports used (their message was delivered here), forgotten with the used
    /// proxies ([`Net::retire_used`]): off an RPC's path, after the next request has left.
    /// Meanwhile each has no name and no holder, so nothing more can come through it.
    spent_once: Vec<u32>,
    /// Messages from other nodes dropped (their port gone, malformed).
    pub dropped: u32,
}

impl Net {
    /// The service of node `me` (the central is `central`, if known), with its name space in
    /// `ipc`.
    pub fn new(ipc: &mut Ipc<Captured>, me: u32, central: Option<u32>) -> Net {
        let _ = ipc.add_task(NET);
        let notify = ipc.allocate(NET, RightKind::Receive).unwrap_or(Name::NULL);
        let mut net = Net {
            me,
            central,
            roles: VecMap::new(),
            proxies: VecMap::new(),
            exports: VecMap::new(),
            export_of: VecMap::new(),
            room: VecMap::new(),
            next_export: BOOTSTRAP_EXPORT + 1,
            incarnation: 0,
            notify,
            names: VecMap::new(),
            tasks: VecMap::new(),
            pagers: VecMap::new(),
            next_pager: 1,
            hand: (0, 0),
            anonymous_hand: (0, 0),
            default_pager: None,
            page_out_held: false,
            held: Vec::new(),
            work: VecDeque::new(),
            out: Vec::new(),
            later: Vec::new(),
            settling: false,
            arriving: Vec::new(),
            outgoing: Vec::new(),
            next_stream: 1,
            incoming: Vec::new(),
            awaiting: Vec::new(),
            streamed: Vec::new(),
            spare_once: Vec::new(),
            used_once: Vec::new(),
            spent_once: Vec::new(),
            dropped: 0,
        };
        net.serve(ipc, notify, Role::Notify);
        if central == Some(me) {
            let ns = ipc.allocate(NET, RightKind::Receive).unwrap_or(Name::NULL);
            net.serve(ipc, ns, Role::NameService);
            let _ = ipc.extract_right(NET, ns, Disposition::MakeSend);
            let key = ipc.port_key(NET, ns);
            let export = Export { immortal: true, ..Export::new((ns, key.unwrap_or(0)), false) };
            net.exports.insert(BOOTSTRAP_EXPORT, export);
            if let Ok(key) = key {
                net.export_of.insert(key, BOOTSTRAP_EXPORT);
            }
        }
        net
    }

    /// This node.
    pub fn node(&self) -> u32 {
        self.me
    }

    /// The central is `central`, and this node is in its `incarnation` (a satellite learns
    /// both from the central's hello).
    pub fn set_central(&mut self, central: u32, incarnation: u32) {
        self.central = Some(central);
        self.incarnation = incarnation;
    }

    /// Whether the service has something to do.
    pub fn busy(&self) -> bool {
        !self.work.is_empty() || !self.out.is_empty() || self.outgoing.iter().any(Outgoing::may_send)
    }

    /// Whether `settle` runs now (and marks it so, or not).
    pub fn settling(&mut self, on: bool) -> bool {
        core::mem::replace(&mut self.settling, on)
    }

    /// Takes what is to be sent. What waited for later ([`Net::later`]) for a node something
    /// is sent to goes too: in a batch with the first message to that node, if that message
    /// is short and carries no receive right (the only message a proxy's `Delivered` may
    /// wait behind without its bookkeeping depending on the order); ahead of everything to
    /// that node otherwise.
    pub fn take_out(&mut self) -> Vec<(u32, NetOp)> {
        let mut out = core::mem::take(&mut self.out);
        if self.later.is_empty() || out.is_empty() {
            return out;
        }
        let mut first = Vec::new();
        for (to, port) in core::mem::take(&mut self.later) {
            let Some(at) = out.iter().position(|(node, _)| *node == to) else {
                self.later.push((to, port));
                continue;
            };
            let op = NetOp::Delivered { port };
            let joins = match &out[at].1 {
                NetOp::Batch(ops) => ops.len() < MAX_BATCH,
                NetOp::Message { items, .. } => !items.iter().any(is_receive_right),
                _ => false,
            };
            if joins && out[at].1.encoded_len() + 8 + op.encoded_len() <= BATCH_BYTES {
                match &mut out[at].1 {
                    NetOp::Batch(ops) => ops.push(op),
                    message => {
                        let message = core::mem::replace(message, NetOp::Batch(Vec::new()));
                        out[at].1 = NetOp::Batch(vec![message, op]);
                    }
                }
            } else {
                first.push((to, op));
            }
        }
        first.append(&mut out);
        first
    }

    /// Whether something waits for later ([`Net::release_later`], [`Net::retire_used`]).
    pub fn has_later(&self) -> bool {
        !self.later.is_empty() || !self.used_once.is_empty() || !self.spent_once.is_empty()
    }

    /// Retires the send-once proxies used since the last call ([`Net::retire_once`]) — each
    /// only if it is still the proxy it was: a node's death may have taken it meanwhile, and
    /// its key and name serve another port since (which never stands for the same home: a
    /// send-once right's export is used once) — and forgets the send-once exports used
    /// ([`Net::spent_once`]).
    pub fn retire_used(&mut self, ipc: &mut Ipc<Captured>, woken: &mut Vec<u64>) {
        // Popped, not taken: the vector keeps its room, and a proxy's use allocates nothing.
        while let Some((key, name, home)) = self.used_once.pop() {
            if self.roles.get(&key) == Some(&(name, Role::Once(home))) {
                self.retire_once(ipc, key, name, woken);
            }
        }
        while let Some(id) = self.spent_once.pop() {
            self.exports.discard(&id);
        }
    }

    /// Makes what waited for later due now (the next [`Net::take_out`] gives it); false if
    /// nothing waited.
    pub fn release_later(&mut self) -> bool {
        if self.later.is_empty() {
            return false;
        }
        let later = core::mem::take(&mut self.later).into_iter();
        let mut out: Vec<(u32, NetOp)> = later.map(|(to, port)| (to, NetOp::Delivered { port })).collect();
        out.append(&mut self.out);
        self.out = out;
        true
    }

    /// Keeps the wake-up keys that are the service's work; returns the others.
    pub fn claim(&mut self, keys: Vec<u64>) -> Vec<u64> {
        if self.room.is_empty() && !keys.iter().any(|k| self.roles.contains_key(k)) {
            return keys;
        }
        let mut rest = Vec::new();
        for key in keys {
            if self.roles.contains_key(&key) || self.room.contains_key(&key) {
                if !self.work.contains(&key) {
                    self.work.push_back(key);
                }
            } else {
                rest.push(key);
            }
        }
        rest
    }

    /// The service's port `name` serves in `role`; its key (`None`, and nothing done, if `name`
    /// names no port).
    fn serve(&mut self, ipc: &Ipc<Captured>, name: Name, role: Role) -> Option<u64> {
        let key = ipc.port_key(NET, name).ok()?;
        self.roles.insert(key, (name, role));
        Some(key)
    }

    /// Numbers `export` ([`PortRef::number`]: the node's incarnation, and a count past
    /// [`BOOTSTRAP_EXPORT`]), skipping one still in use after the count went round.
    fn new_export(&mut self, export: Export) -> u32 {
        let id = loop {
            let id = PortRef::number(self.incarnation, self.next_export);
            self.next_export = ((self.next_export + 1) & EXPORT_COUNT).max(BOOTSTRAP_EXPORT + 1);
            if !self.exports.contains_key(&id) {
                break id;
            }
        };
        self.exports.insert_new(id, export);
        id
    }

    /// Does one piece of work; false when there is none. Wake-ups are pushed to `woken`.
    pub fn step(&mut self, ipc: &mut Ipc<Captured>, woken: &mut Vec<u64>) -> bool {
        if !self.outgoing.is_empty() && self.pump_streams() {
            return true;
        }
        let Some(key) = self.work.pop_front() else { return false };
        if let Some(id) = self.room.get(&key).copied() {
            self.room.remove(&key);
            self.retry(ipc, id, woken);
            return true;
        }
        let Some(&(name, role)) = self.roles.get(&key) else { return true };
        match role {
            Role::Proxy(home) => {
                if self.proxies.get(&home).is_some_and(|proxy| proxy.inflight) {
                    return true;
                }
                let Some(received) = take(ipc, name, woken) else { return true };
                if received.id == NOTIFY_NO_SENDERS && ipc.send_rights(NET, name) == Ok(0) {
                    self.drop_proxy(ipc, home, woken);
                    self.out.push((home.node, NetOp::Release { port: home, holder: self.me }));
                } else if received.id == NOTIFY_NO_SENDERS && received.reply.is_none() {
                    // Rights were made since: ask again.
                    keep(woken, ipc.request_notification(NET, name, Notify::NoSenders, name));
                } else {
                    let dest = NetRight { kind: NetKind::Send, port: home };
                    self.forward(ipc, dest, received, woken);
                    self.forwarded((key, name, role));
                }
                self.work.push_back(key);
            }
            Role::Once(home) => {
                let Some(received) = take(ipc, name, woken) else { return true };
                let dest = NetRight { kind: NetKind::SendOnce, port: home };
                self.forward(ipc, dest, received, woken);
                self.forwarded((key, name, role));
            }
            Role::Moving(_) => {}
            Role::Notify => {
                let Some(received) = take(ipc, name, woken) else { return true };
                if received.id == NOTIFY_DEAD_NAME {
                    if let Some(ReceivedItem::Inline(bytes)) = received.items.first() {
                        if let Ok(word) = <[u8; 4]>::try_from(bytes.as_slice()) {
                            self.port_died(ipc, Name(u32::from_le_bytes(word)), woken);
                        }
                    }
                }
                release_received(ipc, received, woken);
                self.work.push_back(key);
            }
            Role::NameService => {
                let Some(received) = take(ipc, name, woken) else { return true };
                self.serve_names(ipc, received, woken);
                self.work.push_back(key);
            }
            Role::Task(pid) => {
                let Some(received) = take(ipc, name, woken) else { return true };
                serve_task(ipc, pid, self.me, received, woken);
                self.work.push_back(key);
            }
            Role::Control(id) => {
                let Some(received) = take(ipc, name, woken) else { return true };
                self.serve_control(ipc, id, received, woken);
                self.work.push_back(key);
            }
        }
        true
    }

    /// Sends a message of `task`'s with `header` and the inline `items` on to the port's home
    /// at once, when [`Ipc::direct_target`] found that it goes to a port the service receives
    /// on (`direct`) and that port is a proxy ready to send — a send proxy with no message in
    /// flight or held for it, or a send-once proxy — and the message is not a no-senders
    /// notification's look-alike, which the service's own reading of a proxy treats apart.
    /// The rights move as a send and the service's receive would move them
    /// ([`Ipc::send_direct`]), and the message leaves as [`Net::step`] would send it: as bytes
    /// for the caller to transmit at once (`Some(Ok(Some((node, bytes))))`, encoded from its
    /// parts: [`Net::encode_direct`]), or, if something for that node must go first, in
    /// [`Net::take_out`]'s turn. `None` when it does not qualify (nothing changed);
    /// `Some(Err)` when the send is refused, as it would be through the queue.
    pub fn forward_direct<'s>(
        &mut self,
        ipc: &mut Ipc<Captured>,
        (task, header, direct): (TaskId, Header, Direct),
        items: &[&[u8]],
        (scratch, link): (&'s mut Words, Option<SendInFrame>),
        woken: &mut Vec<u64>,
    ) -> Option<Result<Option<(u32, Cow<'s, [u8]>)>, IpcError>> {
        let proxy = self.ready_proxy(direct.key, header.id)?;
        let ((_, reply), wakeups) = match ipc.send_direct(task, header, direct) {
            Ok(sent) => sent,
            Err(e) => return Some(Err(e)),
        };
        woken.extend(wakeups.keys);
        let reply = reply.map(|(name, kind)| Reply::Named(name, kind, None));
        Some(Ok(self.forward_moved(ipc, proxy, (reply, header.id), items, (scratch, link), woken)))
    }

    /// Whether the port of wait key `key` is a proxy ready to send a message of id `id` at once
    /// ([`Net::forward_direct`]'s rule): what [`Net::forward_moved`] needs of it, the message's
    /// destination on the wire with it.
    #[inline(always)]
    pub fn ready_proxy(&self, key: u64, id: u32) -> Option<ReadyProxy> {
        let &(name, role) = self.roles.get(&key)?;
        let dest = match role {
            Role::Proxy(home) => {
                let busy = self.proxies.get(&home).is_none_or(|proxy| proxy.inflight)
                    || self.held.iter().any(|(port, _)| *port == home);
                if busy || id == NOTIFY_NO_SENDERS {
                    return None;
                }
                NetRight { kind: NetKind::Send, port: home }
            }
            Role::Once(home) => NetRight { kind: NetKind::SendOnce, port: home },
            _ => return None,
        };
        Some(ReadyProxy { key, name, role, dest })
    }

    /// Sends on to its port's home a message of inline `items` (its reply right, now the
    /// service's — with its port's key if the caller knows it — and its id) whose rights the caller moved out of its sender into the service's
    /// space, as a send and the service's receive would, once [`Net::ready_proxy`] said its
    /// proxy `proxy` was ready: encoded from its parts ([`Net::encode_direct`]) straight into
    /// the frame that carries it if `link` has one ready for it ([`SendInFrame`]: `None`
    /// returned), else as bytes in `scratch` for the caller to transmit at once; or, if
    /// something for that node must go first, in [`Net::take_out`]'s turn (`None`).
    pub fn forward_moved<'s>(
        &mut self,
        ipc: &mut Ipc<Captured>,
        proxy: ReadyProxy,
        (reply, id): (Option<Reply>, u32),
        items: &[&[u8]],
        (scratch, link): (&'s mut Words, Option<SendInFrame>),
        woken: &mut Vec<u64>,
    ) -> Option<(u32, Cow<'s, [u8]>)> {
        let ReadyProxy { key, name, role, dest } = proxy;
        let to = dest.port.node;
        let reply = reply.and_then(|reply| match reply {
            Reply::Named(name, kind, key) => self.export_right(ipc, (name, key), kind, to, woken),
            Reply::Held(key) => self.export_held(ipc, key, to, woken),
        });
        // What the encoding made when the frame could not hold it (`None`: nothing, it waits
        // its turn), if `link` had a frame for it.
        let mut elsewhere = None;
        let in_frame = link.is_some_and(|send| {
            send(to, &mut |words| {
                let made = self.encode_direct(to, (dest, reply, id), items, WordArea::of(words));
                match made {
                    Some(Cow::Borrowed(bytes)) => Some(bytes.len()),
                    made => {
                        elsewhere = Some(made.map(|bytes| Cow::Owned(bytes.into_owned())));
                        None
                    }
                }
            })
        });
        let bytes = match elsewhere {
            _ if in_frame => {
                self.forwarded((key, name, role));
                return None;
            }
            Some(made) => made,
            None => self.encode_direct(to, (dest, reply, id), items, scratch.area()),
        };
        if bytes.is_none() {
            let items = items.iter().map(|bytes| NetItem::Inline(bytes.to_vec())).collect();
            self.out.push((to, NetOp::Message { dest, reply, id, items }));
        }
        self.forwarded((key, name, role));
        bytes.map(|bytes| (to, bytes))
    }

    /// A message on proxy `name` (`key`, in `role`) went on to the port's home: a send proxy
    /// has it in flight until its `Delivered`; a send-once proxy was used, and is retired
    /// once the message has left ([`Net::retire_used`]: off the path of an RPC's answer).
    #[inline(always)]
    fn forwarded(&mut self, (key, name, role): (u64, Name, Role)) {
        match role {
            Role::Proxy(home) => {
                if let Some(proxy) = self.proxies.get_mut(&home) {
                    proxy.inflight = true;
                }
            }
            Role::Once(home) => self.used_once.push((key, name, home)),
            _ => {}
        }
    }

    /// The bytes of the `Message` op of inline `items` (`dest`, `reply` and `id`) for node `to`,
    /// with what waited for later for that node in a batch ([`Net::take_out`]'s rule), built
    /// from its parts (`ox_proto::net::InlineMessage`): no op, no vector of items. `None`, and
    /// nothing taken, when something for that node is queued to go first, or what waits for
    /// later is more than [`DIRECT_DELIVERED`] or does not fit in the batch.
    fn encode_direct<'s>(
        &mut self,
        to: u32,
        (dest, reply, id): (NetRight, Option<NetRight>, u32),
        items: &[&[u8]],
        scratch: WordArea<'s>,
    ) -> Option<Cow<'s, [u8]>> {
        if self.out.iter().any(|(node, _)| *node == to) {
            return None;
        }
        let mut delivered = [PortRef { node: 0, id: 0 }; DIRECT_DELIVERED];
        let mut taken = 0;
        for &(_, port) in self.later.iter().filter(|(node, _)| *node == to) {
            *delivered.get_mut(taken)? = port;
            taken += 1;
        }
        let message = InlineMessage { dest, reply, id, items, delivered: &delivered[..taken] };
        let bytes = NetEnvelope::encode_inline_message(self.me, to, &message, scratch)?;
        if taken > 0 && NetEnvelope::body(&bytes).len() > BATCH_BYTES {
            return None;
        }
        // Most often all that waited was for this node (a server's one `Delivered`), or none.
        if taken == self.later.len() {
            self.later.clear();
        } else if taken > 0 {
            self.later.retain(|&(node, _)| node != to);
        }
        Some(bytes)
    }

    /// The send-once proxy `name` (`key`) was used: its port is kept for the next one
    /// ([`Net::spare_once`]) if nothing else names it and there is room, else destroyed.
    fn retire_once(&mut self, ipc: &mut Ipc<Captured>, key: u64, name: Name, woken: &mut Vec<u64>) {
        self.roles.remove(&key);
        if self.spare_once.len() < SPARE_ONCE && ipc.is_pristine(NET, name) {
            self.spare_once.push((name, key));
        } else {
            keep(woken, ipc.destroy(NET, name));
        }
    }

    /// Sends what a proxy took to the port's home: `dest`, the message's reply and items
    /// turned into rights on the wire.
    fn forward(
        &mut self,
        ipc: &mut Ipc<Captured>,
        dest: NetRight,
        received: Received<Captured>,
        woken: &mut Vec<u64>,
    ) {
        let to = dest.port.node;
        let reply =
            received.reply.and_then(|(name, kind)| self.export_right(ipc, (name, None), kind, to, woken));
        let mut items = Vec::with_capacity(received.items.len());
        for item in received.items {
            match item {
                ReceivedItem::Inline(bytes) => items.push(NetItem::Inline(bytes)),
                ReceivedItem::Port(name, kind) => {
                    if let Some(right) = self.export_right(ipc, (name, None), kind, to, woken) {
                        items.push(NetItem::Right(right));
                    }
                }
                // A region larger than a piece streams after the message.
                ReceivedItem::Memory(captured) if captured.size() as usize > MAX_PIECE => {
                    match Staged::of(captured) {
                        Ok(region) => {
                            let stream = self.next_stream;
                            self.next_stream = self.next_stream.wrapping_add(1);
                            items.push(NetItem::Stream { stream, size: region.size() });
                            self.outgoing.push(Outgoing { to, stream, region, sent: 0, taken: 0 });
                        }
                        Err(_) => self.dropped = self.dropped.wrapping_add(1),
                    }
                }
                ReceivedItem::Memory(mut captured) => match AddressSpace::read_captured(&mut captured) {
                    Ok(bytes) => items.push(NetItem::Memory(bytes)),
                    Err(_) => self.dropped = self.dropped.wrapping_add(1),
                },
            }
        }
        self.out.push((to, NetOp::Message { dest, reply, id: received.id, items }));
    }

    /// The send-once right the service holds outside its space to the port of `key` as a
    /// right on the wire to node `to`: an export that holds it ([`Export::held`]), unless
    /// the port has a role of the service's (a proxy's port: then it takes a name, and goes
    /// as one).
    fn export_held(
        &mut self,
        ipc: &mut Ipc<Captured>,
        key: u64,
        to: u32,
        woken: &mut Vec<u64>,
    ) -> Option<NetRight> {
        if self.roles.contains_key(&key) {
            let name = ipc.insert_held(NET, key).ok()?;
            return self.export_right(ipc, (name, Some(key)), RightKind::SendOnce, to, woken);
        }
        Some(self.export_once((Name::NULL, key), true, to))
    }

    /// A new send-once export of the service's right `name` (or of the one it holds, if
    /// `held`: [`Export::held`]) to the port of `key`, given to node `to`: its right on the
    /// wire. Its one holder may give it back unused (`Release`), or die.
    fn export_once(&mut self, (name, key): (Name, u64), held: bool, to: u32) -> NetRight {
        let holders = Holders { one: (to, 1), more: None };
        let id = self.new_export(Export { held, holders, ..Export::new((name, key), true) });
        NetRight { kind: NetKind::SendOnce, port: PortRef { node: self.me, id } }
    }

    /// Gives export `id`'s held send-once right ([`Export::held`]) a name in the service's
    /// space, for any use but a hand-off through it; the export's name (`None`: no export).
    fn name_held(&mut self, ipc: &mut Ipc<Captured>, id: u32) -> Option<Name> {
        let export = self.exports.get_mut(&id)?;
        if export.held {
            if let Ok(name) = ipc.insert_held(NET, export.key()) {
                (export.name, export.held) = (name, false);
            }
        }
        Some(export.name)
    }

    /// The service's right of export `export` given up (a held one released).
    fn drop_export_right(ipc: &mut Ipc<Captured>, export: &Export, woken: &mut Vec<u64>) {
        if export.held {
            keep(woken, Ok(ipc.release_held(export.key())));
        } else {
            keep(woken, ipc.deallocate(NET, export.name));
        }
    }

    /// The right the service holds under `name` as a right on the wire to node `to`; `key`,
    /// if the caller knows it, is its port's key ([`Ipc::port_key`], not looked up again).
    fn export_right(
        &mut self,
        ipc: &mut Ipc<Captured>,
        (name, key): (Name, Option<u64>),
        kind: RightKind,
        to: u32,
        woken: &mut Vec<u64>,
    ) -> Option<NetRight> {
        let Some(key) = key.or_else(|| ipc.port_key(NET, name).ok()) else {
            // A dead name: nothing to give.
            keep(woken, ipc.deallocate(NET, name));
            return None;
        };
        let role = self.roles.get(&key).map(|(_, role)| *role);
        match (kind, role) {
            (RightKind::Send, Some(Role::Proxy(home))) => {
                if home.node != to {
                    self.out.push((home.node, NetOp::AddRef { port: home, holder: to }));
                }
                keep(woken, ipc.deallocate(NET, name));
                Some(NetRight { kind: NetKind::Send, port: home })
            }
            (RightKind::SendOnce, Some(Role::Once(home))) => {
                // The proxy is handed on: its port dies first, so that the right's end sends
                // no send-once notification.
                if let Some((proxy, _)) = self.roles.remove(&key) {
                    keep(woken, ipc.destroy(NET, proxy));
                }
                keep(woken, ipc.deallocate(NET, name));
                Some(NetRight { kind: NetKind::SendOnce, port: home })
            }
            (RightKind::Send, _) => {
                let id = match self.export_of.get(&key) {
                    Some(&id) => {
                        // The service keeps one reference per export.
                        if self.exports.get(&id).is_some_and(|e| e.name == name) {
                            keep(woken, ipc.deallocate(NET, name));
                        }
                        id
                    }
                    None => {
                        let export = Export::new((name, key), false);
                        let id = self.new_export(export);
                        self.export_of.insert(key, id);
                        if !self.roles.contains_key(&key) {
                            keep(woken, ipc.request_notification(NET, name, Notify::DeadName, self.notify));
                        }
                        id
                    }
                };
                if to != self.me {
                    if let Some(export) = self.exports.get_mut(&id) {
                        *export.holders.or_insert(to, 0) += 1;
                    }
                }
                Some(NetRight { kind: NetKind::Send, port: PortRef { node: self.me, id } })
            }
            (RightKind::SendOnce, _) => Some(self.export_once((name, key), false, to)),
            (RightKind::Receive, _) => {
                // The port moves: it stays here as a proxy of its new home once that is known,
                // and what comes meanwhile waits in its queue.
                let id = match self.export_of.get(&key) {
                    Some(&id) => id,
                    None => {
                        let export = Export::new((name, key), false);
                        let id = self.new_export(export);
                        self.export_of.insert(key, id);
                        id
                    }
                };
                self.roles.insert(key, (name, Role::Moving(id)));
                Some(NetRight { kind: NetKind::Receive, port: PortRef { node: self.me, id } })
            }
            (RightKind::PortSet | RightKind::DeadName, _) => {
                keep(woken, ipc.deallocate(NET, name));
                None
            }
        }
    }

    /// Takes a `Net` message for this node.
    pub fn receive(&mut self, ipc: &mut Ipc<Captured>, from: u32, op: NetOp, woken: &mut Vec<u64>) {
        self.receive_handing(ipc, from, op, woken, &mut Queue);
    }

    /// [`Net::receive`] of a short message of inline items, and the `Delivered`s after it,
    /// read in place from `body` ([`InlineRead`]; what `ox_proto::NetEnvelope::inline`
    /// gives): with nothing decoded into vectors when its port is here, nothing waits before
    /// it and its queue has room — handed to its receiver through `hand` if the receiver is
    /// parked, else queued. Anything else takes [`Net::receive_handing`] whole.
    pub fn receive_inline(
        &mut self,
        ipc: &mut Ipc<Captured>,
        from: u32,
        (read, body): (&InlineRead, &[u8]),
        woken: &mut Vec<u64>,
        hand: &mut dyn HandOff,
    ) {
        // The checks of `deliver` and `try_deliver` that would not deliver it now.
        let port = read.dest.port;
        let export = self.exports.get(&port.id).filter(|e| port.node == self.me && e.pending.is_empty());
        let Some(export) = export else {
            return self.receive_handing(ipc, from, read.to_op(body), woken, hand);
        };
        let (mut name, once, held, key) = (export.name, export.once, export.held, export.key());
        let kind = if once { NetKind::SendOnce } else { NetKind::Send };
        if read.dest.kind != kind || !once && !ipc.key_has_room(key) {
            return self.receive_handing(ipc, from, read.to_op(body), woken, hand);
        }
        let (items, count) = read.items(body);
        if held {
            // An RPC's answer, through the reply right held since its request left: handed to
            // its parked receiver with no name given and taken back.
            let handed = read.reply.is_none().then(|| hand.hand_off_held(ipc, key, read.id, &items[..count]));
            if let Some(sent) = handed.flatten() {
                self.sent(ipc, (port.id, from, once), true, sent, Afters::default(), woken);
                for &port in read.delivered() {
                    self.delivered(ipc, port, woken);
                }
                return;
            }
            name = self.name_held(ipc, port.id).unwrap_or(Name::NULL);
        }
        let mut after = Afters::default();
        let header = self.header_here(ipc, (name, once), from, (read.reply, read.id), &mut after, woken);
        let handed = hand.hand_off(ipc, header, &items[..count]);
        let handed_off = handed.is_some();
        let sent = handed.unwrap_or_else(|| {
            let items = items[..count].iter().map(|bytes| Item::Inline(bytes.to_vec())).collect();
            ipc.send(NET, Message { header, items })
        });
        self.sent(ipc, (port.id, from, once), handed_off, sent, after, woken);
        for &port in read.delivered() {
            self.delivered(ipc, port, woken);
        }
    }

    /// A message this node sent to `port` was delivered there ([`NetOp::Delivered`]): its
    /// proxy may send the next.
    fn delivered(&mut self, ipc: &mut Ipc<Captured>, port: PortRef, woken: &mut Vec<u64>) {
        if let Some(proxy) = self.proxies.get_mut(&port) {
            proxy.inflight = false;
            // The proxy has work only if a message waits on it.
            if ipc.key_has_queued(proxy.key) {
                self.work.push_back(proxy.key);
            }
        }
        self.release_held(ipc, port, woken);
    }

    /// [`Net::receive`], a port message that can be handed straight to a receiver waiting for
    /// it given to `hand` ([`HandOff`]) rather than queued.
    pub fn receive_handing(
        &mut self,
        ipc: &mut Ipc<Captured>,
        from: u32,
        op: NetOp,
        woken: &mut Vec<u64>,
        hand: &mut dyn HandOff,
    ) {
        match op {
            NetOp::Message { .. } => self.message_arrives(ipc, from, op, woken, hand),
            // (A batch holds no batch, and no `NodeDead`: ox-proto refuses either.)
            NetOp::Batch(ops) => {
                ops.into_iter().for_each(|op| self.receive_handing(ipc, from, op, woken, hand))
            }
            NetOp::Piece { stream, offset, bytes } => self.piece(ipc, from, stream, offset, &bytes, woken),
            NetOp::Taken { stream, upto, ok } => {
                let Some(at) = self.outgoing.iter().position(|o| o.to == from && o.stream == stream) else {
                    return;
                };
                let outgoing = &mut self.outgoing[at];
                if !ok || upto >= outgoing.region.size() {
                    self.outgoing.swap_remove(at);
                    ox_ipc::sorted::give_back(&mut self.outgoing);
                } else {
                    outgoing.taken = outgoing.taken.max(upto.min(outgoing.sent));
                }
            }
            NetOp::Delivered { port } => self.delivered(ipc, port, woken),
            NetOp::AddRef { port, holder } => match self.exports.get_mut(&port.id) {
                Some(export) if port.node == self.me && !export.once => {
                    *export.holders.or_insert(holder, 0) += 1;
                }
                _ => self.out.push((holder, NetOp::Dead { port })),
            },
            NetOp::Release { port, holder } => {
                if port.node == self.me {
                    self.release(ipc, port.id, holder, woken);
                }
            }
            NetOp::Dead { port } => self.drop_proxy(ipc, port, woken),
            NetOp::NodeDead { node } => self.node_dead(ipc, node, woken),
            NetOp::Space { pid, task_port, names } => {
                self.space_arrives(ipc, from, pid, task_port, names, woken)
            }
            NetOp::Moved { old, new } => {
                let Some(export) = self.exports.get(&old.id).filter(|_| old.node == self.me) else { return };
                let name = export.name;
                let Ok(key) = ipc.port_key(NET, name) else { return };
                if !matches!(self.roles.get(&key), Some((_, Role::Moving(_)))) {
                    return;
                }
                self.roles.insert(key, (name, Role::Proxy(new)));
                self.proxies.insert(new, Proxy { name, key, inflight: false });
                // The forwarder lives while something here or elsewhere sends to it.
                keep(woken, ipc.request_notification(NET, name, Notify::NoSenders, name));
                self.work.push_back(key);
            }
        }
    }

    /// Process `pid` may arrive here with its port name space (its image is coming): a
    /// [`NetOp::Space`] for it is taken until [`Net::arrived`]; one for any other process is
    /// refused.
    pub fn arriving(&mut self, pid: u32) {
        if !self.arriving.contains(&pid) {
            self.arriving.push(pid);
        }
    }

    /// Process `pid` arrived (or did not): no space for it is taken any more.
    pub fn arrived(&mut self, pid: u32) {
        self.arriving.retain(|&p| p != pid);
        ox_ipc::sorted::give_back(&mut self.arriving);
    }

    /// Whether process `pid`'s port name space can move to another node: it is not the
    /// node's default pager, it names at most [`MAX_SPACE_NAMES`] names, and every
    /// notification it asked about them goes to a port of its own (`Ipc::space_can_move`).
    pub fn space_can_move(&self, ipc: &Ipc<Captured>, pid: u32) -> bool {
        self.default_pager.is_none_or(|(_, pager)| pager != pid)
            && ipc.space_can_move(TaskId(pid), MAX_SPACE_NAMES)
    }

    /// Sends the port name space of process `pid`, which migrates to node `to`, there: every
    /// right leaves the task as it would leave in a message (a receive right's port stays
    /// here as a forwarder until the new node says where it is; send rights carry a
    /// reference), its task port's receive right too, and the names go in one
    /// [`NetOp::Space`] after the references it needs. The number of names; `EBUSY` if
    /// [`Net::space_can_move`] says no.
    pub fn send_space(
        &mut self,
        ipc: &mut Ipc<Captured>,
        pid: u32,
        to: u32,
        woken: &mut Vec<u64>,
    ) -> Result<u32, Errno> {
        if !self.space_can_move(ipc, pid) {
            return Err(Errno::Busy);
        }
        let (taken, w) = match ipc.take_space(TaskId(pid), NET) {
            // A task that never used a port has no space.
            Err(IpcError::InvalidTask) => Default::default(),
            taken => taken.map_err(errno)?,
        };
        woken.extend(w.keys);
        let mut export = |net: &mut Net, ipc: &mut Ipc<Captured>, name: Option<Name>, kind| {
            name.and_then(|name| net.export_right(ipc, (name, None), kind, to, woken)).map(|right| right.port)
        };
        let mut names = Vec::with_capacity(taken.len());
        for TakenName { name, what, notify } in taken {
            let asked = [notify.dead_name, notify.no_senders, notify.port_destroyed];
            let notify = asked.map(|n| n.map_or(0, |n| n.0));
            let what = match what {
                Taken::Port { receive, send, urefs, send_once, qlimit } => {
                    let receive = export(self, ipc, receive, RightKind::Receive);
                    let sent = send.is_some();
                    let send = export(self, ipc, send, RightKind::Send);
                    let once = send_once.is_some();
                    let send_once = export(self, ipc, send_once, RightKind::SendOnce);
                    match (receive, send, send_once) {
                        // The port died meanwhile: a dead name.
                        (None, None, None) => {
                            NetNamed::Dead(if sent { urefs } else { u32::from(once) }.max(1))
                        }
                        _ => NetNamed::Port {
                            receive,
                            send,
                            urefs: if receive.is_some() || send.is_some() { urefs } else { 0 },
                            send_once,
                            qlimit: qlimit as u32,
                        },
                    }
                }
                Taken::Set(members) => NetNamed::Set(members.into_iter().map(|m| m.0).collect()),
                Taken::Dead(urefs) => NetNamed::Dead(urefs),
            };
            let notify = if matches!(what, NetNamed::Port { .. }) { notify } else { [0; 3] };
            names.push(NetName { name: name.0, what, notify });
        }
        let task_port =
            self.tasks.remove(&pid).and_then(|name| export(self, ipc, Some(name), RightKind::Receive));
        let count = names.len() as u32;
        // (A task that never used a port has nothing to send.)
        if count > 0 || task_port.is_some() {
            self.out.push((to, NetOp::Space { pid, task_port, names }));
        }
        Ok(count)
    }

    /// The port name space of process `pid`, moving here from node `from`: its rights come in
    /// as a message's would, and go into the task under their old names; port sets last,
    /// once their members are in. A space for a process not [arriving](Net::arriving) is
    /// refused, its references given back.
    fn space_arrives(
        &mut self,
        ipc: &mut Ipc<Captured>,
        from: u32,
        pid: u32,
        task_port: Option<PortRef>,
        names: Vec<NetName>,
        woken: &mut Vec<u64>,
    ) {
        let task = TaskId(pid);
        if !self.arriving.contains(&pid) || ipc.names_held(task) > 0 {
            self.dropped = self.dropped.wrapping_add(1);
            let rights: Vec<NetRight> = names.iter().flat_map(|n| n.what.rights()).flatten().collect();
            self.drop_rights(ipc, rights.into_iter(), woken);
            return;
        }
        self.arrived(pid);
        let _ = ipc.add_task(task);
        let mut after = Afters::default();
        let (mut ports, mut sets) = (Vec::new(), Vec::new());
        for NetName { name, what, notify } in names {
            let asked = notify.map(|n| (n != 0).then_some(Name(n)));
            let notify = Requests { dead_name: asked[0], no_senders: asked[1], port_destroyed: asked[2] };
            let what = match what {
                NetNamed::Set(members) => {
                    sets.push(TakenName {
                        name: Name(name),
                        what: Taken::Set(members.into_iter().map(Name).collect()),
                        notify,
                    });
                    continue;
                }
                NetNamed::Dead(urefs) => Taken::Dead(urefs),
                NetNamed::Port { urefs, qlimit, .. } => {
                    let [receive, send, send_once] = what
                        .rights()
                        .map(|right| right.and_then(|r| self.import(ipc, r, from, &mut after, woken)));
                    if receive.is_none() && send.is_none() && send_once.is_none() {
                        // Its port died on the way.
                        Taken::Dead(urefs.max(1))
                    } else {
                        let urefs = if receive.is_some() || send.is_some() { urefs } else { 0 };
                        Taken::Port { receive, send, urefs, send_once, qlimit: qlimit as usize }
                    }
                }
            };
            ports.push(TakenName { name: Name(name), what, notify });
        }
        for taken in ports.iter().chain(sets.iter()) {
            if ipc.put_name(task, NET, taken).is_err() {
                self.dropped = self.dropped.wrapping_add(1);
            }
        }
        // The notifications asked, once every port they go to is in place.
        for taken in &ports {
            match ipc.put_requests(task, taken.name, taken.notify) {
                Ok(w) => woken.extend(w.keys),
                Err(_) => self.dropped = self.dropped.wrapping_add(1),
            }
        }
        if let Some(port) = task_port {
            let right = NetRight { kind: NetKind::Receive, port };
            if let Some((name, _)) = self.import(ipc, right, from, &mut after, woken) {
                self.serve(ipc, name, Role::Task(pid));
                self.tasks.insert(pid, name);
            }
        }
        self.after_import(ipc, after, woken);
    }

    /// One reference fewer held by `holder` to export `id`; the export is forgotten when none
    /// is left.
    fn release(&mut self, ipc: &mut Ipc<Captured>, id: u32, holder: u32, woken: &mut Vec<u64>) {
        let Some(export) = self.exports.get_mut(&id) else { return };
        if let Some(refs) = export.holders.get_mut(&holder) {
            *refs = refs.saturating_sub(1);
            if *refs == 0 {
                export.holders.remove(&holder);
            }
        }
        if export.holders.is_empty() && !export.immortal && export.pending.is_empty() {
            self.forget(ipc, id, woken);
        }
    }

    /// Forgets export `id`, releasing the service's right.
    fn forget(&mut self, ipc: &mut Ipc<Captured>, id: u32, woken: &mut Vec<u64>) {
        let Some(export) = self.exports.remove(&id) else { return };
        self.export_of.retain(|_, e| *e != id);
        self.room.retain(|_, e| *e != id);
        // The service's reference (a send-once right forgotten is destroyed unused).
        Net::drop_export_right(ipc, &export, woken);
    }

    /// The port of the service's send right `name` died (a dead-name notification): the
    /// holders of its export hear it, the names registered for it are forgotten, and the
    /// dead name goes.
    fn port_died(&mut self, ipc: &mut Ipc<Captured>, name: Name, woken: &mut Vec<u64>) {
        self.names.retain(|_, n| *n != name);
        if self.default_pager.is_some_and(|(n, _)| n == name) {
            self.default_pager = None;
            vm::set_swap(false);
        }
        for (id, external) in self.pagers.items.iter_mut() {
            if external.memory == name {
                // The name goes below: the external forgets it.
                (external.dead, external.memory) = (true, Name::NULL);
                woken.push(KEY_PAGER | u64::from(*id));
            }
        }
        keep(woken, ipc.destroy(NET, name));
        let Some((&id, _)) = self.exports.iter().find(|(_, e)| e.name == name && !e.once) else { return };
        if let Some(export) = self.exports.remove(&id) {
            for &holder in export.holders.keys() {
                self.out.push((holder, NetOp::Dead { port: PortRef { node: self.me, id } }));
            }
            self.dropped = self.dropped.wrapping_add(export.pending.len() as u32);
            for (from, op) in export.pending.iter() {
                if let NetOp::Message { items, .. } = op {
                    self.discard_streams(*from, items);
                }
            }
        }
        self.export_of.retain(|_, e| *e != id);
        self.room.retain(|_, e| *e != id);
    }

    /// Sends `message` (the service's own) once the send proxy of the service's right `after`
    /// has sent and delivered every message it holds — at once if `after` is a right to a port
    /// of this node, or its proxy is idle. Messages on different rights travel independently
    /// (a proxy per right), so this is how the service keeps one after another: a kernel's
    /// `MO_LOCK_COMPLETED`, on the pager's reply right, after its `MO_DATA_WRITE`s on the
    /// memory object's send right.
    fn send_after(
        &mut self,
        ipc: &mut Ipc<Captured>,
        after: Name,
        message: Message<Captured>,
        woken: &mut Vec<u64>,
    ) {
        let proxy = ipc.port_key(NET, after).ok().and_then(|key| match self.roles.get(&key) {
            Some(&(_, Role::Proxy(home))) => Some(home),
            _ => None,
        });
        match proxy {
            Some(home) if self.proxy_busy(ipc, home) => self.held.push((home, message)),
            _ => send_or_drop(ipc, message, woken),
        }
    }

    /// Whether the proxy for `port` has a message in flight or queued.
    fn proxy_busy(&self, ipc: &Ipc<Captured>, port: PortRef) -> bool {
        self.proxies.get(&port).is_some_and(|proxy| {
            proxy.inflight || ipc.next_size(NET, proxy.name, 0, |_| 0, 0).is_ok_and(|next| next.is_some())
        })
    }

    /// The messages held behind the proxy for `port` go, once it has nothing in flight or
    /// queued (or is gone).
    #[inline]
    fn release_held(&mut self, ipc: &mut Ipc<Captured>, port: PortRef, woken: &mut Vec<u64>) {
        // Most often none is held: no call.
        if !self.held.is_empty() {
            self.release_held_for(ipc, port, woken);
        }
    }

    /// [`Net::release_held`] when messages are held.
    #[inline(never)]
    fn release_held_for(&mut self, ipc: &mut Ipc<Captured>, port: PortRef, woken: &mut Vec<u64>) {
        if !self.held.iter().any(|(home, _)| *home == port) || self.proxy_busy(ipc, port) {
            return;
        }
        let (ready, rest): (Vec<_>, Vec<_>) = self.held.drain(..).partition(|(home, _)| *home == port);
        self.held = rest;
        for (_, message) in ready {
            send_or_drop(ipc, message, woken);
        }
    }

    /// The proxy for `port` dies: the rights to it here become dead names (and the names
    /// registered for it are forgotten: the service's right was the proxy's name).
    fn drop_proxy(&mut self, ipc: &mut Ipc<Captured>, port: PortRef, woken: &mut Vec<u64>) {
        let Some(Proxy { name, .. }) = self.proxies.remove(&port) else { return };
        self.release_held(ipc, port, woken);
        self.port_gone(ipc, name, woken);
    }

    /// The service's port `name` (a proxy, or a task port) dies: the names registered for it
    /// are forgotten, and the holders of its export (a moved port's old home forwarded to a
    /// proxy; a task port given to other nodes) hear it.
    fn port_gone(&mut self, ipc: &mut Ipc<Captured>, name: Name, woken: &mut Vec<u64>) {
        self.names.retain(|_, n| *n != name);
        if let Ok(key) = ipc.port_key(NET, name) {
            self.roles.remove(&key);
            if let Some(id) = self.export_of.remove(&key) {
                if let Some(export) = self.exports.remove(&id) {
                    for &holder in export.holders.keys() {
                        self.out.push((holder, NetOp::Dead { port: PortRef { node: self.me, id } }));
                    }
                }
            }
        }
        keep(woken, ipc.destroy(NET, name));
    }

    /// Node `node` is dead.
    fn node_dead(&mut self, ipc: &mut Ipc<Captured>, node: u32, woken: &mut Vec<u64>) {
        // Regions on their way to or from it go; the messages waiting for them give their
        // rights' references back.
        self.outgoing.retain(|o| o.to != node);
        self.incoming.retain(|i| i.from != node);
        self.streamed.retain(|((from, _), _)| *from != node);
        let (waiting, rest): (Vec<_>, Vec<_>) = self.awaiting.drain(..).partition(|(from, _)| *from == node);
        self.awaiting = rest;
        for (_, op) in waiting {
            if let NetOp::Message { reply, items, .. } = op {
                self.drop_rights(ipc, reply.into_iter().chain(rights(&items)), woken);
            }
        }
        let homed: Vec<PortRef> = self.proxies.keys().filter(|p| p.node == node).copied().collect();
        for port in homed {
            self.drop_proxy(ipc, port, woken);
        }
        let onces: Vec<(u64, Name)> = self
            .roles
            .iter()
            .filter(|(_, (_, role))| matches!(role, Role::Once(p) if p.node == node))
            .map(|(k, (n, _))| (*k, *n))
            .collect();
        for (key, name) in onces {
            self.roles.remove(&key);
            keep(woken, ipc.destroy(NET, name));
        }
        let held: Vec<u32> =
            self.exports.iter().filter(|(_, e)| e.holders.contains_key(&node)).map(|(id, _)| *id).collect();
        for id in held {
            if let Some(export) = self.exports.get_mut(&id) {
                export.holders.remove(&node);
                export.pending.retain(|(from, _)| *from != node);
                if export.holders.is_empty() && !export.immortal && export.pending.is_empty() {
                    self.forget(ipc, id, woken);
                }
            }
        }
    }

    /// Queues a message from node `from` on its port here, or keeps it until there is room.
    fn deliver(
        &mut self,
        ipc: &mut Ipc<Captured>,
        from: u32,
        op: NetOp,
        woken: &mut Vec<u64>,
        hand: &mut dyn HandOff,
    ) {
        let NetOp::Message { dest, .. } = &op else { return };
        let port = dest.port;
        let Some(export) = self.exports.get_mut(&port.id).filter(|_| port.node == self.me) else {
            self.refuse(ipc, from, op, woken);
            return;
        };
        if !export.pending.is_empty() {
            if export.pending.len() >= PENDING_MAX {
                // Dropped and counted; its rights' references go back.
                self.dropped = self.dropped.wrapping_add(1);
                if let NetOp::Message { reply, items, .. } = op {
                    self.discard_streams(from, &items);
                    self.drop_rights(ipc, reply.into_iter().chain(rights(&items)), woken);
                }
            } else {
                export.pending.push_back((from, op));
            }
            return;
        }
        self.try_deliver(ipc, port.id, from, op, woken, hand);
    }

    /// Tries to queue `op` on export `id`'s port (or to hand it to its receiver, `hand`); keeps
    /// it pending if the queue is full.
    fn try_deliver(
        &mut self,
        ipc: &mut Ipc<Captured>,
        id: u32,
        from: u32,
        op: NetOp,
        woken: &mut Vec<u64>,
        hand: &mut dyn HandOff,
    ) {
        let NetOp::Message { dest, reply, id: msg_id, items } = op else { return };
        self.name_held(ipc, id);
        let Some(export) = self.exports.get(&id) else { return };
        let (name, once) = (export.name, export.once);
        if dest.kind == NetKind::SendOnce && !once || dest.kind == NetKind::Send && once {
            self.dropped = self.dropped.wrapping_add(1);
            self.discard_streams(from, &items);
            self.drop_rights(ipc, reply.into_iter().chain(rights(&items)), woken);
            return;
        }
        if !once && !ipc.has_room(NET, name).unwrap_or(true) {
            if let Ok(room) = ipc.send_key(NET, name) {
                self.room.insert(room, id);
            }
            let op = NetOp::Message { dest, reply, id: msg_id, items };
            if let Some(export) = self.exports.get_mut(&id) {
                export.pending.push_front((from, op));
            }
            return;
        }
        let mut after = Afters::default();
        let header = self.header_here(ipc, (name, once), from, (reply, msg_id), &mut after, woken);
        let handed = inline_bytes(&items).and_then(|(bytes, n)| hand.hand_off(ipc, header, &bytes[..n]));
        let handed_off = handed.is_some();
        let sent = match handed {
            Some(sent) => sent,
            None => {
                let items = self.local_items(ipc, from, items, &mut after, woken);
                ipc.send(NET, Message { header, items })
            }
        };
        self.sent(ipc, (id, from, once), handed_off, sent, after, woken);
    }

    /// The header of a message from node `from` (its reply right `reply`, its id) delivered
    /// here through the service's right `name` to the port (`once`: a send-once right): the
    /// reply right imported (what to do once it is sent goes to `after`).
    fn header_here(
        &mut self,
        ipc: &mut Ipc<Captured>,
        (name, once): (Name, bool),
        from: u32,
        (reply, id): (Option<NetRight>, u32),
        after: &mut Afters,
        woken: &mut Vec<u64>,
    ) -> Header {
        let reply = reply.and_then(|r| self.import(ipc, r, from, after, woken));
        let how = if once { Disposition::MoveSendOnce } else { Disposition::CopySend };
        Header { dest: (name, how), reply, id }
    }

    /// What follows a message's delivery on export `id`'s port from node `from` (`once`: a
    /// send-once export), handed off to its receiver or queued, with what `sent` gave: the
    /// imported rights settled (`after`) and the sender told (`Delivered`) — or, if it
    /// failed, the rights undone and a port gone reported dead.
    fn sent(
        &mut self,
        ipc: &mut Ipc<Captured>,
        (id, from, once): (u32, u32, bool),
        handed_off: bool,
        sent: Result<Wakeups, IpcError>,
        after: Afters,
        woken: &mut Vec<u64>,
    ) {
        let port = PortRef { node: self.me, id };
        match sent {
            Ok(w) => {
                woken.extend(w.keys);
                self.after_import(ipc, after, woken);
                if once {
                    self.spend_once(id);
                } else if from != self.me && handed_off {
                    // Its receiver runs now, and may well answer: the `Delivered` rides along.
                    self.later.push((from, port));
                } else if from != self.me {
                    // Queued: the sender's next message should not wait for its receiver.
                    self.out.push((from, NetOp::Delivered { port }));
                }
            }
            Err(e) => {
                self.dropped = self.dropped.wrapping_add(1);
                self.undo_import(ipc, after, woken);
                // A port gone (or its name) is dead to the sender: its proxy goes.
                if matches!(e, IpcError::DeadName | IpcError::InvalidName | IpcError::InvalidRight) && !once {
                    self.out.push((from, NetOp::Dead { port }));
                }
            }
        }
    }

    /// Send-once export `id` was used (its right moved into the message delivered): it is
    /// left with no name and no holder until [`Net::retire_used`] forgets it.
    fn spend_once(&mut self, id: u32) {
        if let Some(export) = self.exports.get_mut(&id) {
            (export.name, export.held) = (Name::NULL, false);
            export.holders = Holders::default();
            self.spent_once.push(id);
        }
    }

    /// The items of a message from node `from` as this node's: rights imported (what to do
    /// once it is queued goes to `after`), whole regions taken from what arrived in pieces.
    fn local_items(
        &mut self,
        ipc: &mut Ipc<Captured>,
        from: u32,
        items: Vec<NetItem>,
        after: &mut Afters,
        woken: &mut Vec<u64>,
    ) -> Vec<Item<Captured>> {
        let mut local = Vec::with_capacity(items.len());
        for item in items {
            match item {
                NetItem::Inline(bytes) => local.push(Item::Inline(bytes)),
                NetItem::Memory(bytes) => match Captured::from_bytes(&bytes) {
                    Ok(captured) => local.push(Item::Memory(captured)),
                    Err(_) => self.dropped = self.dropped.wrapping_add(1),
                },
                // Whole (a region refused on the way was counted then, and is left out).
                NetItem::Stream { stream, .. } => {
                    if let Some(at) = self.streamed.iter().position(|(key, _)| *key == (from, stream)) {
                        local.push(Item::Memory(self.streamed.swap_remove(at).1));
                        ox_ipc::sorted::give_back(&mut self.streamed);
                    }
                }
                NetItem::Right(right) => {
                    if let Some((n, d)) = self.import(ipc, right, from, after, woken) {
                        local.push(Item::Port(n, d));
                    }
                }
            }
        }
        local
    }

    /// Delivers what waited on export `id` while there is room.
    fn retry(&mut self, ipc: &mut Ipc<Captured>, id: u32, woken: &mut Vec<u64>) {
        while let Some((from, op)) = self.exports.get_mut(&id).and_then(|e| e.pending.pop_front()) {
            self.try_deliver(ipc, id, from, op, woken, &mut Queue);
            if self.room.values().any(|e| *e == id) {
                return;
            }
        }
        let idle = self.exports.get(&id).is_some_and(|e| e.holders.is_empty() && !e.immortal && !e.once);
        if idle {
            self.forget(ipc, id, woken);
        }
    }

    /// A message for a port this node does not have: its rights are released and the sender
    /// told the port is dead.
    fn refuse(&mut self, ipc: &mut Ipc<Captured>, from: u32, op: NetOp, woken: &mut Vec<u64>) {
        let NetOp::Message { dest, reply, items, .. } = op else { return };
        self.dropped = self.dropped.wrapping_add(1);
        if dest.kind == NetKind::Send {
            self.out.push((from, NetOp::Dead { port: dest.port }));
        }
        self.discard_streams(from, &items);
        self.drop_rights(ipc, reply.into_iter().chain(rights(&items)), woken);
    }

    /// Sends the pieces the window allows of every region leaving; whether it sent any. A
    /// region that cannot be read is given up (a piece of no bytes says so).
    fn pump_streams(&mut self) -> bool {
        let mut pumped = false;
        for outgoing in &mut self.outgoing {
            while outgoing.may_send() {
                let len = (outgoing.region.size() - outgoing.sent).min(MAX_PIECE as u32);
                let mut bytes = vec![0; len as usize];
                let offset = outgoing.sent;
                if outgoing.region.read(offset, &mut bytes).is_err() {
                    self.dropped = self.dropped.wrapping_add(1);
                    bytes.clear();
                    // Nothing more is sent; the addressee's answer ends it.
                    outgoing.sent = outgoing.region.size();
                } else {
                    outgoing.sent += len;
                }
                self.out.push((outgoing.to, NetOp::Piece { stream: outgoing.stream, offset, bytes }));
                pumped = true;
            }
        }
        pumped
    }

    /// A port message from node `from`: queued at once, or, if regions of it follow in
    /// pieces, once they are whole (each made ready to take them, or refused: the message
    /// then goes on without it, and the sender is told to stop).
    fn message_arrives(
        &mut self,
        ipc: &mut Ipc<Captured>,
        from: u32,
        op: NetOp,
        woken: &mut Vec<u64>,
        hand: &mut dyn HandOff,
    ) {
        let NetOp::Message { items, .. } = &op else { return };
        if streams(items).next().is_none() {
            self.deliver(ipc, from, op, woken, hand);
            return;
        }
        let streams: Vec<(u32, u32)> = streams(items).collect();
        for (stream, size) in streams {
            // Refused: a stream already arriving, one too many, or a region larger than half
            // the node's free memory.
            let duplicate = self.incoming.iter().any(|i| i.from == from && i.stream == stream);
            let room = u64::from(crate::frame::stats().0) * u64::from(crate::frame::FRAME_SIZE) / 2;
            let fits = !duplicate && self.incoming.len() < STREAMS_IN_MAX && u64::from(size) <= room;
            let region = fits.then(|| Staged::new(size).ok()).flatten();
            if region.is_none() {
                self.dropped = self.dropped.wrapping_add(1);
                self.out.push((from, NetOp::Taken { stream, upto: 0, ok: false }));
            }
            let got = if region.is_some() { 0 } else { size };
            self.incoming.push(Incoming { from, stream, region, got, size });
        }
        self.awaiting.push((from, op));
        self.complete(ipc, woken);
    }

    /// A piece of stream `stream` from node `from`: written in its place (in order, and within
    /// the region), or the region is refused (no frame left, a piece out of order or beyond
    /// it, or the sender gave it up).
    fn piece(
        &mut self,
        ipc: &mut Ipc<Captured>,
        from: u32,
        stream: u32,
        offset: u32,
        bytes: &[u8],
        woken: &mut Vec<u64>,
    ) {
        let Some(incoming) = self.incoming.iter_mut().find(|i| i.from == from && i.stream == stream) else {
            self.dropped = self.dropped.wrapping_add(1);
            return;
        };
        let Some(region) = incoming.region.as_mut() else { return };
        let written = !bytes.is_empty() && offset == incoming.got && region.write(offset, bytes).is_ok();
        if written {
            incoming.got += bytes.len() as u32;
            self.out.push((from, NetOp::Taken { stream, upto: incoming.got, ok: true }));
        } else {
            incoming.region = None;
            incoming.got = incoming.size;
            self.dropped = self.dropped.wrapping_add(1);
            self.out.push((from, NetOp::Taken { stream, upto: 0, ok: false }));
        }
        if incoming.got >= incoming.size {
            self.complete(ipc, woken);
        }
    }

    /// Queues every message whose streamed regions are all whole (or refused).
    fn complete(&mut self, ipc: &mut Ipc<Captured>, woken: &mut Vec<u64>) {
        loop {
            let whole = |incoming: &[Incoming], from: u32, op: &NetOp| {
                streams_of(op)
                    .all(|s| incoming.iter().any(|i| (i.from, i.stream) == (from, s) && i.got >= i.size))
            };
            let Some(at) = self.awaiting.iter().position(|(from, op)| whole(&self.incoming, *from, op))
            else {
                return;
            };
            let (from, op) = self.awaiting.swap_remove(at);
            for stream in streams_of(&op) {
                let Some(i) = self.incoming.iter().position(|i| (i.from, i.stream) == (from, stream)) else {
                    continue;
                };
                if let Some(region) = self.incoming.swap_remove(i).region {
                    match region.captured() {
                        Ok(captured) => self.streamed.push(((from, stream), captured)),
                        Err(_) => self.dropped = self.dropped.wrapping_add(1),
                    }
                }
            }
            ox_ipc::sorted::give_back(&mut self.awaiting);
            ox_ipc::sorted::give_back(&mut self.incoming);
            self.deliver(ipc, from, op, woken, &mut Queue);
        }
    }

    /// Gives back the whole regions a message from node `from` that is dropped was waiting to
    /// take.
    fn discard_streams(&mut self, from: u32, items: &[NetItem]) {
        for (stream, _) in streams(items) {
            self.streamed.retain(|(key, _)| *key != (from, stream));
        }
    }

    /// Releases the references rights on the wire carried.
    fn drop_rights(
        &mut self,
        ipc: &mut Ipc<Captured>,
        rights: impl Iterator<Item = NetRight>,
        woken: &mut Vec<u64>,
    ) {
        for right in rights {
            match right.kind {
                NetKind::Send if right.port.node == self.me => {}
                NetKind::Send => {
                    self.out.push((right.port.node, NetOp::Release { port: right.port, holder: self.me }))
                }
                NetKind::SendOnce if right.port.node == self.me => {
                    if let Some(export) = self.exports.remove(&right.port.id) {
                        Net::drop_export_right(ipc, &export, woken);
                    }
                }
                // Its home forgets the export (the port hears the right's end).
                NetKind::SendOnce => {
                    self.out.push((right.port.node, NetOp::Release { port: right.port, holder: self.me }))
                }
                NetKind::Receive => {}
            }
        }
    }

    /// A right on the wire from node `from` as a right in the service's space, and how to put
    /// it in a message. New proxies are listed in `after` (their no-senders notification is
    /// asked once the message holds their first send right).
    fn import(
        &mut self,
        ipc: &mut Ipc<Captured>,
        right: NetRight,
        from: u32,
        after: &mut Afters,
        woken: &mut Vec<u64>,
    ) -> Option<(Name, Disposition)> {
        let port = right.port;
        if port.node == self.me {
            self.name_held(ipc, port.id);
            let export = self.exports.get(&port.id)?;
            return match right.kind {
                NetKind::Send if !export.once => Some((export.name, Disposition::CopySend)),
                NetKind::SendOnce if export.once => {
                    after.push(After::OnceUsed(port.id));
                    Some((export.name, Disposition::MoveSendOnce))
                }
                // A receive right coming home: its forwarder becomes the port again.
                NetKind::Receive => None,
                _ => None,
            };
        }
        match right.kind {
            NetKind::Send => {
                if let Some(proxy) = self.proxies.get(&port) {
                    self.out.push((port.node, NetOp::Release { port, holder: self.me }));
                    return Some((proxy.name, Disposition::MakeSend));
                }
                let name = ipc.allocate(NET, RightKind::Receive).ok()?;
                let key = self.serve(ipc, name, Role::Proxy(port))?;
                self.proxies.insert(port, Proxy { name, key, inflight: false });
                after.push(After::NoSenders(name));
                Some((name, Disposition::MakeSend))
            }
            NetKind::SendOnce => {
                let name = match self.spare_once.pop() {
                    Some((name, key)) => {
                        self.roles.insert(key, (name, Role::Once(port)));
                        name
                    }
                    None => {
                        let name = ipc.allocate(NET, RightKind::Receive).ok()?;
                        self.serve(ipc, name, Role::Once(port));
                        name
                    }
                };
                after.push(After::OnceProxy { name, port });
                Some((name, Disposition::MakeSendOnce))
            }
            NetKind::Receive => {
                let name = ipc.allocate(NET, RightKind::Receive).ok()?;
                keep(
                    woken,
                    ipc.extract_right(NET, name, Disposition::MakeSend).map(|_| ox_ipc::Wakeups::default()),
                );
                let key = ipc.port_key(NET, name);
                let export = Export::new((name, key.unwrap_or(0)), false);
                let id = self.new_export(export);
                if let Some(export) = self.exports.get_mut(&id) {
                    export.holders.insert(from, 1);
                }
                if let Ok(key) = key {
                    self.export_of.insert(key, id);
                }
                after.push(After::Moved { name, old: port, new: PortRef { node: self.me, id } });
                Some((name, Disposition::MoveReceive))
            }
        }
    }

    /// Undoes what importing did for a message that could not be queued.
    fn undo_import(&mut self, ipc: &mut Ipc<Captured>, after: Afters, woken: &mut Vec<u64>) {
        for step in after {
            match step {
                After::NoSenders(name) => {
                    let port = self.proxies.iter().find(|(_, proxy)| proxy.name == name).map(|(p, _)| *p);
                    if let Some(port) = port {
                        self.drop_proxy(ipc, port, woken);
                        self.out.push((port.node, NetOp::Release { port, holder: self.me }));
                    }
                }
                After::Moved { name, new, .. } => {
                    self.exports.remove(&new.id);
                    self.export_of.retain(|_, e| *e != new.id);
                    keep(woken, ipc.destroy(NET, name));
                }
                After::OnceProxy { name, port } => {
                    if let Ok(key) = ipc.port_key(NET, name) {
                        self.roles.remove(&key);
                    }
                    keep(woken, ipc.destroy(NET, name));
                    self.out.push((port.node, NetOp::Release { port, holder: self.me }));
                }
                After::OnceUsed(_) => {}
            }
        }
    }

    /// What importing a message's rights left to do (`after`), once it was handed off or
    /// queued.
    #[inline]
    fn after_import(&mut self, ipc: &mut Ipc<Captured>, after: Afters, woken: &mut Vec<u64>) {
        // Most often nothing is left to do (an RPC's answer carries no right; its request a
        // send-once right, whose proxy needs nothing more): no call.
        let work = match after.first {
            None => false,
            Some(After::OnceProxy { .. }) => !after.rest.is_empty(),
            Some(_) => true,
        };
        if work {
            self.after_import_steps(ipc, after, woken);
        }
    }

    /// [`Net::after_import`] when something was imported.
    #[inline(never)]
    fn after_import_steps(&mut self, ipc: &mut Ipc<Captured>, after: Afters, woken: &mut Vec<u64>) {
        for step in after {
            match step {
                After::OnceUsed(id) => {
                    self.exports.discard(&id);
                }
                After::OnceProxy { .. } => {}
                After::NoSenders(name) => {
                    keep(woken, ipc.request_notification(NET, name, Notify::NoSenders, name))
                }
                After::Moved { name, old, new } => {
                    keep(woken, ipc.request_notification(NET, name, Notify::DeadName, self.notify));
                    self.out.push((old.node, NetOp::Moved { old, new }));
                }
            }
        }
    }

    /// The name service: `NS_REGISTER` (an inline name and a send right) and `NS_LOOKUP` (an
    /// inline name), each answered on the reply right with an errno word (and the right).
    fn serve_names(&mut self, ipc: &mut Ipc<Captured>, received: Received<Captured>, woken: &mut Vec<u64>) {
        let key = match received.items.first() {
            Some(ReceivedItem::Inline(bytes)) => Some(bytes.clone()),
            _ => None,
        };
        let mut answer: Vec<Item<Captured>> = Vec::new();
        let status = match (received.id, key) {
            (_, Some(key)) if key.is_empty() || key.len() > NS_NAME_MAX => Err(Errno::NameTooLong),
            (NS_REGISTER, Some(key)) => match received.items.get(1) {
                Some(&ReceivedItem::Port(name, RightKind::Send)) => {
                    let live = |ipc: &Ipc<Captured>, n: Name| ipc.port_key(NET, n).is_ok();
                    match self.names.get(&key) {
                        Some(&old) if live(ipc, old) => Err(Errno::Exist),
                        _ if self.names.len() >= NAMES_MAX => Err(Errno::NoSpc),
                        old => {
                            if let Some(&old) = old {
                                keep(woken, ipc.deallocate(NET, old));
                            }
                            self.names.insert(key, name);
                            // The right is the service's now: not released below. Its death
                            // forgets the name.
                            if ipc.types(NET, name).is_ok_and(|t| !t.has(RightKind::Receive)) {
                                let notify = self.notify;
                                keep(woken, ipc.request_notification(NET, name, Notify::DeadName, notify));
                            }
                            Ok(())
                        }
                    }
                }
                _ => Err(Errno::Inval),
            },
            (NS_LOOKUP, Some(key)) => match self.names.get(&key).copied() {
                Some(name) if ipc.port_key(NET, name).is_ok() => {
                    answer.push(Item::Port(name, Disposition::CopySend));
                    Ok(())
                }
                Some(name) => {
                    self.names.remove(&key);
                    keep(woken, ipc.deallocate(NET, name));
                    Err(Errno::NoEnt)
                }
                None => Err(Errno::NoEnt),
            },
            _ => Err(Errno::Inval),
        };
        let kept = matches!((received.id, &status), (NS_REGISTER, Ok(())));
        let word = status.err().map_or(0, |e| e as u32);
        answer.insert(0, Item::Inline(word.to_le_bytes().to_vec()));
        let Received { reply, items, .. } = received;
        if let Some((reply, _)) = reply {
            let message = Message {
                header: Header { dest: (reply, Disposition::MoveSendOnce), reply: None, id: NS_REPLY },
                items: answer,
            };
            keep(woken, ipc.send(NET, message));
        }
        for (i, item) in items.into_iter().enumerate() {
            if let ReceivedItem::Port(name, kind) = item {
                if !(kept && i == 1) {
                    drop_right(ipc, name, kind, woken);
                }
            }
        }
    }

    /// A send right to the name service for `task`: its name.
    pub fn bootstrap(
        &mut self,
        ipc: &mut Ipc<Captured>,
        task: TaskId,
        woken: &mut Vec<u64>,
    ) -> Result<Name, Errno> {
        let central = self.central.ok_or(Errno::HostDown)?;
        let name = if central == self.me {
            self.exports.get(&BOOTSTRAP_EXPORT).ok_or(Errno::HostDown)?.name
        } else {
            let port = PortRef { node: central, id: BOOTSTRAP_EXPORT };
            match self.proxies.get(&port) {
                Some(proxy) => proxy.name,
                None => {
                    let name = ipc.allocate(NET, RightKind::Receive).map_err(errno)?;
                    let key = self.serve(ipc, name, Role::Proxy(port)).ok_or(Errno::NoMem)?;
                    self.proxies.insert(port, Proxy { name, key, inflight: false });
                    let (given, _, w) = ipc.give(NET, name, Disposition::MakeSend, task).map_err(errno)?;
                    woken.extend(w.keys);
                    keep(woken, ipc.request_notification(NET, name, Notify::NoSenders, name));
                    return Ok(given);
                }
            }
        };
        let how = if central == self.me { Disposition::CopySend } else { Disposition::MakeSend };
        let (given, _, w) = ipc.give(NET, name, how, task).map_err(errno)?;
        woken.extend(w.keys);
        Ok(given)
    }

    /// The external object the memory object port `task`'s `name` stands for (a send right),
    /// made on its first mapping — the pager then gets `MO_INIT` with a send right to the
    /// object's control port — or the one made before, so that every mapping of one memory
    /// object shares its pages. `EINVAL` if the object is smaller than `pages`.
    pub fn external(
        &mut self,
        ipc: &mut Ipc<Captured>,
        task: TaskId,
        name: Name,
        pages: u32,
        woken: &mut Vec<u64>,
    ) -> Result<ObjectId, Errno> {
        if !ipc.types(task, name).map_err(errno)?.has(RightKind::Send) {
            return Err(Errno::BadRight);
        }
        let (memory, _, w) = ipc.give(task, name, Disposition::CopySend, NET).map_err(errno)?;
        woken.extend(w.keys);
        let known = self
            .pagers
            .iter()
            .find(|(id, e)| e.memory == memory && !e.dead && vm::external_refs(e.object, **id) > 0);
        if let Some((&id, external)) = known {
            let (object, size) = (external.object, vm::external_size(external.object, id));
            // Mapped again while its pages were going back: it is not ending after all.
            if let Some(external) = self.pagers.get_mut(&id) {
                external.writing = None;
            }
            // The service keeps one reference to the memory object's port.
            keep(woken, ipc.deallocate(NET, memory));
            return if pages <= size { Ok(object) } else { Err(Errno::Inval) };
        }
        let id = self.next_pager;
        self.next_pager = self.next_pager.wrapping_add(1).max(1);
        let control = ipc.allocate(NET, RightKind::Receive).map_err(errno)?;
        self.serve(ipc, control, Role::Control(id));
        let object = vm::external_create(pages, id);
        keep(woken, ipc.request_notification(NET, memory, Notify::DeadName, self.notify));
        let init = Message {
            header: Header { dest: (memory, Disposition::CopySend), reply: None, id: MO_INIT },
            items: vec![Item::Port(control, Disposition::MakeSend), inline(&[4096]), inline(&[self.me])],
        };
        // Past the queue's limit, like every message of the kernel to a pager; a dead pager: the
        // faults will tell (SIGBUS).
        keep(woken, ipc.send_always(NET, init));
        self.pagers.insert(
            id,
            External {
                object,
                memory,
                control,
                requested: Vec::new(),
                failed: Vec::new(),
                dead: false,
                writing: None,
                may_cache: false,
                anonymous: false,
            },
        );
        Ok(object)
    }

    /// Makes the port `task`'s `name` stands for (a receive right, or a send right) the one
    /// the node's default pager takes `MO_CREATE` on, and wires `space`, the task's memory
    /// (Mach's `vm_set_default_memory_manager`). `EBUSY` if the node has a default pager.
    pub fn set_default_pager(
        &mut self,
        ipc: &mut Ipc<Captured>,
        task: TaskId,
        name: Name,
        space: &mut AddressSpace,
        woken: &mut Vec<u64>,
    ) -> Result<(), Errno> {
        if self.default_pager.is_some() {
            return Err(Errno::Busy);
        }
        let types = ipc.types(task, name).map_err(errno)?;
        let how = if types.has(RightKind::Receive) {
            Disposition::MakeSend
        } else if types.has(RightKind::Send) {
            Disposition::CopySend
        } else {
            return Err(Errno::BadRight);
        };
        let (pager, _, w) = ipc.give(task, name, how, NET).map_err(errno)?;
        woken.extend(w.keys);
        keep(woken, ipc.request_notification(NET, pager, Notify::DeadName, self.notify));
        space.wire();
        self.default_pager = Some((pager, task.0));
        vm::set_swap(true);
        Ok(())
    }

    /// Whether a process `pid` short of memory may wait for the node's default pager: it has
    /// one (not `pid` itself), and its clock last stopped short of frames for want of kernel
    /// heap (pages on their way to the pager) or because a process image is being read.
    pub fn pages_for(&self, pid: u32) -> bool {
        self.page_out_held && self.default_pager.is_some_and(|(_, pager)| pager != pid)
    }

    /// Follows the default pager's objects the VM merged into their shadows: the shadow has
    /// the pager (and its pages) now.
    fn follow_adoptions(&mut self) {
        for (from, to) in vm::take_adopted() {
            for external in self.pagers.values_mut() {
                if external.anonymous && external.object == from {
                    external.object = to;
                }
            }
        }
    }

    /// The external object record of anonymous `object`, made at its first page-out: a new
    /// memory object port whose receive right goes to the default pager `pager` in
    /// `MO_CREATE`, with a send right to a new control port (Mach's `memory_object_create`).
    /// `None` if the object cannot be given (a port cannot be made).
    fn default_object(
        &mut self,
        ipc: &mut Ipc<Captured>,
        object: ObjectId,
        pager: Name,
        woken: &mut Vec<u64>,
    ) -> Option<u32> {
        if let Some((&id, _)) = self.pagers.iter().find(|(_, e)| e.anonymous && e.object == object) {
            return Some(id);
        }
        let memory = ipc.allocate(NET, RightKind::Receive).ok()?;
        let Ok((_, _, w)) = ipc.give(NET, memory, Disposition::MakeSend, NET) else {
            keep(woken, ipc.destroy(NET, memory));
            return None;
        };
        woken.extend(w.keys);
        let Ok(control) = ipc.allocate(NET, RightKind::Receive) else {
            keep(woken, ipc.destroy(NET, memory));
            return None;
        };
        let id = self.next_pager;
        self.next_pager = self.next_pager.wrapping_add(1).max(1);
        let Some(size) = vm::give_to_default(object, id) else {
            keep(woken, ipc.destroy(NET, memory));
            keep(woken, ipc.destroy(NET, control));
            return None;
        };
        self.serve(ipc, control, Role::Control(id));
        let create = Message {
            header: Header { dest: (pager, Disposition::CopySend), reply: None, id: MO_CREATE },
            items: vec![
                Item::Port(memory, Disposition::MoveReceive),
                Item::Port(control, Disposition::MakeSend),
                inline(&[4096, size.saturating_mul(4096), self.me]),
            ],
        };
        let dead = ipc.send_always(NET, create).map(|w| woken.extend(w.keys)).is_err();
        keep(woken, ipc.request_notification(NET, memory, Notify::DeadName, self.notify));
        let external = External {
            object,
            memory,
            control,
            requested: Vec::new(),
            failed: Vec::new(),
            dead,
            writing: None,
            may_cache: false,
            anonymous: true,
        };
        self.pagers.insert(id, external);
        Some(id)
    }

    /// A fault on page `index` of external object `object` for `access` at tick `now`: its
    /// pager is asked (once) for the page, or to unlock it if it is resident; or it has failed.
    pub fn page_request(
        &mut self,
        ipc: &mut Ipc<Captured>,
        object: ObjectId,
        index: u32,
        access: vm::Access,
        now: u32,
        woken: &mut Vec<u64>,
    ) -> PageIn {
        self.follow_adoptions();
        let me = self.me;
        let Some((&id, external)) =
            self.pagers.items.iter_mut().map(|(k, v)| (&*k, v)).find(|(_, e)| e.object == object)
        else {
            return PageIn::Gone;
        };
        if external.dead {
            return PageIn::Failed;
        }
        if let Some(at) = external.failed.iter().position(|i| *i == index) {
            external.failed.swap_remove(at);
            return PageIn::Failed;
        }
        if !external.requested.iter().any(|(i, _)| *i == index) {
            external.requested.push((index, now));
            let what = if vm::resident(object, index) { MO_DATA_UNLOCK } else { MO_DATA_REQUEST };
            let request =
                external.to_pager(what, vec![inline(&[index * 4096, 4096, access_word(access), me])]);
            match ipc.send_always(NET, request) {
                Ok(w) => woken.extend(w.keys),
                Err(_) => external.dead = true,
            }
        }
        PageIn::Wait(id)
    }

    /// The pager's message on the control port of external object `id`: a page provided (or
    /// zero-filled), a lock request, attributes, or the object's destruction. Anything else,
    /// or malformed, is dropped and counted.
    fn serve_control(
        &mut self,
        ipc: &mut Ipc<Captured>,
        id: u32,
        mut received: Received<Captured>,
        woken: &mut Vec<u64>,
    ) {
        let me = self.me;
        self.follow_adoptions();
        if matches!(received.id, MO_DATA_PROVIDED | MO_DATA_UNAVAILABLE) && crate::frame::stats().0 < 2 {
            // A frame for the page: replace another.
            self.reclaim(ipc, 1, woken);
        }
        // The lock request's completion, sent after the pages it sent back.
        let mut completion = None;
        // The default pager's objects are anonymous memory: it only gives pages back.
        let served = match self.pagers.get_mut(&id) {
            Some(external)
                if !external.anonymous || matches!(received.id, MO_DATA_PROVIDED | MO_DATA_UNAVAILABLE) =>
            {
                let size = vm::external_size(external.object, id);
                let items = &received.items;
                let offset = words_of(items.first(), 1).map(|w| w[0]).filter(|o| o % 4096 == 0);
                let lock = |item| words_of(item, 1).and_then(|w| prot(w[0]));
                let provided: Option<(&[u8], Prot)> = match (received.id, items.get(1), items.len()) {
                    (MO_DATA_PROVIDED, Some(ReceivedItem::Inline(bytes)), 2) => Some((bytes, Prot::NONE)),
                    (MO_DATA_PROVIDED, Some(ReceivedItem::Inline(bytes)), 3) => {
                        lock(items.get(2)).map(|lock| (bytes.as_slice(), lock))
                    }
                    (MO_DATA_UNAVAILABLE, None, 1) => Some((&[], Prot::NONE)),
                    _ => None,
                };
                match received.id {
                    MO_DATA_PROVIDED | MO_DATA_UNAVAILABLE => match (offset, provided) {
                        (Some(offset), Some((data, lock))) if data.len() <= 4096 && offset / 4096 < size => {
                            let index = offset / 4096;
                            let supplied = vm::supply(external.object, index, data, lock).is_ok();
                            if supplied {
                                external.answered(id, index, woken);
                            }
                            supplied
                        }
                        _ => false,
                    },
                    MO_LOCK_REQUEST => {
                        let request = words_of(items.first(), 4).filter(|_| items.len() == 1);
                        match request {
                            Some(w)
                                if w[0] % 4096 == 0
                                    && w[1] % 4096 == 0
                                    && w[2] & !(MO_LOCK_CLEAN | MO_LOCK_FLUSH) == 0
                                    && prot(w[3]).is_some() =>
                            {
                                let (first, pages) = (w[0] / 4096, w[1] / 4096);
                                let count = pages.min(size.saturating_sub(first));
                                let lock = prot(w[3]).unwrap_or(Prot::NONE);
                                lock_request(ipc, id, external, me, (first, count), w[2], lock, woken);
                                if let Some((reply, kind)) = received.reply.take() {
                                    let how = match kind {
                                        RightKind::SendOnce => Disposition::MoveSendOnce,
                                        _ => Disposition::MoveSend,
                                    };
                                    let header =
                                        Header { dest: (reply, how), reply: None, id: MO_LOCK_COMPLETED };
                                    let done = Message { header, items: vec![inline(&[w[0], w[1], me])] };
                                    completion = Some((external.memory, done));
                                }
                                true
                            }
                            _ => false,
                        }
                    }
                    MO_SET_ATTRIBUTES => match words_of(items.first(), 1) {
                        Some(w) if items.len() == 1 && w[0] <= 1 => {
                            external.may_cache = w[0] == 1;
                            true
                        }
                        _ => false,
                    },
                    MO_DESTROY if items.is_empty() => {
                        let object = external.object;
                        vm::shoot_down(object, 0, size);
                        for index in 0..size {
                            vm::flush_page(object, index);
                        }
                        if !external.dead {
                            let terminate = external.to_pager(MO_TERMINATE, vec![inline(&[me])]);
                            keep(woken, ipc.send_always(NET, terminate));
                        }
                        external.dead = true;
                        woken.push(KEY_PAGER | u64::from(id));
                        true
                    }
                    _ => false,
                }
            }
            _ => false,
        };
        if !served {
            self.dropped = self.dropped.wrapping_add(1);
        }
        if let Some((memory, done)) = completion {
            self.send_after(ipc, memory, done, woken);
        }
        release_received(ipc, received, woken);
    }

    /// Page replacement: frees up to `want` frames holding pages of external objects, chosen by
    /// a second-chance clock over every resident page of every external object of the node (in
    /// the order the objects were made and of their pages, the hand going on from where it
    /// stopped): a page
    /// referenced since the hand last passed loses its mark and its mappings (so the next access
    /// marks it again) and is passed over; one not referenced is evicted — sent back to its pager
    /// first if written (`MO_DATA_WRITE`), then freed, so the next access asks the pager again.
    /// Two turns of the hand at most. How many frames it freed.
    pub fn reclaim(&mut self, ipc: &mut Ipc<Captured>, want: u32, woken: &mut Vec<u64>) -> u32 {
        let freed = self.reclaim_external(ipc, want, woken);
        if freed >= want {
            return freed;
        }
        freed + self.reclaim_anonymous(ipc, want - freed, woken)
    }

    /// The clock over external objects' pages ([`Net::reclaim`]).
    fn reclaim_external(&mut self, ipc: &mut Ipc<Captured>, want: u32, woken: &mut Vec<u64>) -> u32 {
        let me = self.me;
        // The objects in the order they were made (their ids grow; the hand compares them).
        let mut pages: Vec<(u32, u32)> = Vec::new();
        for (&id, external) in self.pagers.iter().filter(|(_, e)| !e.anonymous) {
            pages.extend(vm::resident_pages(external.object).into_iter().map(|i| (id, i)));
        }
        let mut freed = 0;
        for (id, index) in two_turns(&pages, self.hand) {
            if freed >= want {
                break;
            }
            self.hand = (id, index + 1);
            let Some(external) = self.pagers.get_mut(&id) else { continue };
            let object = external.object;
            if !vm::resident(object, index) {
                continue;
            }
            vm::shoot_down(object, index, 1);
            if vm::take_referenced(object, index) {
                continue;
            }
            if vm::take_dirty(object, index) {
                external.write_back(ipc, index, me, woken);
            }
            if vm::flush_page(object, index) {
                freed += 1;
            }
            external.answered(id, index, woken);
        }
        freed
    }

    /// The clock over anonymous memory ([`Net::reclaim`]), once external pages are spent: the
    /// same second chance, over every resident page of every anonymous object not wired, in
    /// the order of the objects' ids. A page evicted goes to the node's default pager
    /// (`MO_DATA_WRITE`) unless the pager holds it unchanged; its object is given to the
    /// pager at its first page-out. Nothing without a default pager, while a process image is
    /// being read, or while the kernel heap is short (the pages on their way to the pager
    /// are in it: they must drain first).
    fn reclaim_anonymous(&mut self, ipc: &mut Ipc<Captured>, want: u32, woken: &mut Vec<u64>) -> u32 {
        let me = self.me;
        let Some((pager, _)) = self.default_pager else { return 0 };
        self.page_out_held = !vm::may_page_out();
        if self.page_out_held {
            return 0;
        }
        self.follow_adoptions();
        let pages = vm::pageable_pages();
        let mut freed = 0;
        for (object, index) in two_turns(&pages, self.anonymous_hand) {
            if freed >= want {
                break;
            }
            if crate::heap::free_bytes() < PAGE_OUT_HEAP_RESERVE {
                self.page_out_held = true;
                break;
            }
            self.anonymous_hand = (object, index + 1);
            let object = ObjectId(object);
            if !vm::resident_in(object, index) {
                continue;
            }
            vm::shoot_down(object, index, 1);
            if vm::take_referenced(object, index) {
                continue;
            }
            let Some(id) = self.default_object(ipc, object, pager, woken) else { break };
            let Some(external) = self.pagers.get_mut(&id) else { continue };
            if external.dead {
                continue;
            }
            if vm::must_write_out(object, index) {
                external.write_back(ipc, index, me, woken);
                if external.dead {
                    continue;
                }
            }
            if vm::page_out(object, index) {
                freed += 1;
            }
        }
        freed
    }

    /// The tick `now`: requests older than `PAGER_TIMEOUT_TICKS` fail (their processes get
    /// `SIGBUS`), and external objects ending (mapped nowhere) are ended: their written pages
    /// sent back (`MO_DATA_WRITE`), then `MO_TERMINATE`.
    pub fn pager_tick(&mut self, ipc: &mut Ipc<Captured>, now: u32, woken: &mut Vec<u64>) {
        let me = self.me;
        self.follow_adoptions();
        // Anonymous objects the default pager held pages of, destroyed: it frees them.
        for (_, id) in vm::take_ended() {
            self.terminate(ipc, id, woken);
        }
        for (id, external) in self.pagers.items.iter_mut() {
            let late: Vec<u32> = external
                .requested
                .iter()
                .filter(|(_, at)| now.wrapping_sub(*at) >= PAGER_TIMEOUT_TICKS)
                .map(|(i, _)| *i)
                .collect();
            if !late.is_empty() {
                external.requested.retain(|(i, _)| !late.contains(i));
                external.failed.extend(late);
                woken.push(KEY_PAGER | u64::from(*id));
            }
        }
        let ending: Vec<u32> =
            self.pagers.iter().filter(|(id, e)| e.ending(**id)).map(|(id, _)| *id).collect();
        for id in ending {
            // Its written pages go back to the pager first (`MO_DATA_WRITE`), as many a tick as
            // the pager's queue takes; then `MO_TERMINATE`.
            let Some(external) = self.pagers.get_mut(&id) else { continue };
            let object = external.object;
            let mut left = external.writing.take().unwrap_or_else(|| vm::dirty_pages(object));
            while !external.dead {
                let Some(&index) = left.first() else { break };
                if !ipc.has_room(NET, external.memory).unwrap_or(false) {
                    break;
                }
                external.write_back(ipc, index, me, woken);
                left.remove(0);
            }
            if !external.dead && !left.is_empty() {
                external.writing = Some(left);
                continue;
            }
            self.terminate(ipc, id, woken);
        }
    }

    /// Ends pager object `id`: `MO_TERMINATE` to its pager, the service's reference to its
    /// object given back (an external object's: the VM ended an anonymous one already), its
    /// control port dead, its memory object port's right released.
    fn terminate(&mut self, ipc: &mut Ipc<Captured>, id: u32, woken: &mut Vec<u64>) {
        let Some(external) = self.pagers.remove(&id) else { return };
        if !external.dead {
            // Past the queue's limit: a pager that missed it would wait for this node for ever.
            keep(woken, ipc.send_always(NET, external.to_pager(MO_TERMINATE, vec![inline(&[self.me])])));
        }
        if !external.anonymous {
            vm::release_object(external.object);
        }
        // Its holders (the pager's node) hear it is dead.
        self.port_gone(ipc, external.control, woken);
        if external.memory != Name::NULL {
            keep(woken, ipc.deallocate(NET, external.memory));
        }
    }

    /// The tick at which the tick has pager work: the next (`now` + 1) if an object is mapped
    /// nowhere (its pager is to be told), else when the oldest outstanding request times out.
    pub fn pager_deadline(&self, now: u32) -> Option<u32> {
        if self.pagers.iter().any(|(id, e)| e.ending(*id)) || vm::has_ended() {
            return Some(now.wrapping_add(1));
        }
        self.pagers
            .values()
            .flat_map(|e| e.requested.iter().map(|(_, at)| at.saturating_add(PAGER_TIMEOUT_TICKS)))
            .min()
    }

    /// Whether any external object lives, or the node has a default pager (the tick has
    /// pager work).
    pub fn has_pagers(&self) -> bool {
        !self.pagers.is_empty() || self.default_pager.is_some()
    }

    /// A send right to the task port of process `pid` (made on first use), for it.
    pub fn task_self(
        &mut self,
        ipc: &mut Ipc<Captured>,
        pid: u32,
        woken: &mut Vec<u64>,
    ) -> Result<Name, Errno> {
        let name = match self.tasks.get(&pid) {
            Some(&name) => name,
            None => {
                let name = ipc.allocate(NET, RightKind::Receive).map_err(errno)?;
                self.serve(ipc, name, Role::Task(pid));
                self.tasks.insert(pid, name);
                name
            }
        };
        let (given, _, w) = ipc.give(NET, name, Disposition::MakeSend, TaskId(pid)).map_err(errno)?;
        woken.extend(w.keys);
        Ok(given)
    }

    /// Process `pid` ended: its task port dies (its holders see a dead name).
    pub fn task_gone(&mut self, ipc: &mut Ipc<Captured>, pid: u32, woken: &mut Vec<u64>) {
        let Some(name) = self.tasks.remove(&pid) else { return };
        self.port_gone(ipc, name, woken);
    }

    /// The ports and names the service always holds: its notification port, on the central
    /// the name service's (a receive right and the send right of its export), and the spare
    /// send-once proxies' ports ([`Net::spare_once`]), and the used ones not retired yet.
    pub fn standing(&self) -> (usize, usize) {
        let spare = self.spare_once.len() + self.used_once.len();
        if self.exports.get(&BOOTSTRAP_EXPORT).is_some_and(|e| e.immortal) {
            (2 + spare, 2 + spare)
        } else {
            (1 + spare, 1 + spare)
        }
    }
}

/// What follows the delivery of a message with imported rights ([`After`]), in order: the
/// first in place (most often the only one: a request's reply right), the rest in a vector, so
/// that an RPC's request allocates nothing for it.
#[derive(Default)]
struct Afters {
    /// The first step; `rest` is empty while it is `None`.
    first: Option<After>,
    rest: Vec<After>,
}

impl Afters {
    fn push(&mut self, step: After) {
        if self.first.is_none() && self.rest.is_empty() {
            self.first = Some(step);
        } else {
            self.rest.push(step);
        }
    }
}

impl IntoIterator for Afters {
    type Item = After;
    type IntoIter = core::iter::Chain<core::option::IntoIter<After>, alloc::vec::IntoIter<After>>;

    fn into_iter(self) -> Self::IntoIter {
        self.first.into_iter().chain(self.rest)
    }
}

/// What to do once a message with imported rights is queued.
enum After {
    /// Ask for the new proxy's no-senders notification.
    NoSenders(Name),
    /// Tell the old home where the moved port is.
    Moved { name: Name, old: PortRef, new: PortRef },
    /// A send-once export was used.
    OnceUsed(u32),
    /// A proxy for a send-once right was made (undone: its home forgets the right).
    OnceProxy { name: Name, port: PortRef },
}

/// The rights among `items`.
fn rights(items: &[NetItem]) -> impl Iterator<Item = NetRight> + '_ {
    items.iter().filter_map(|i| match i {
        NetItem::Right(r) => Some(*r),
        NetItem::Inline(_) | NetItem::Memory(_) | NetItem::Stream { .. } => None,
    })
}

/// The next message of the service's port `name`, if any.
fn take(ipc: &mut Ipc<Captured>, name: Name, woken: &mut Vec<u64>) -> Option<Received<Captured>> {
    let (received, w) = ipc.receive(NET, name).ok()?;
    woken.extend(w.keys);
    received
}

/// Releases the rights a message the service took carries.
fn release_received(ipc: &mut Ipc<Captured>, received: Received<Captured>, woken: &mut Vec<u64>) {
    if let Some((name, kind)) = received.reply {
        drop_right(ipc, name, kind, woken);
    }
    for item in received.items {
        if let ReceivedItem::Port(name, kind) = item {
            drop_right(ipc, name, kind, woken);
        }
    }
}

/// Releases one right the service got: a receive right is destroyed, any other loses one
/// reference (the name may hold others the service keeps).
fn drop_right(ipc: &mut Ipc<Captured>, name: Name, kind: RightKind, woken: &mut Vec<u64>) {
    match kind {
        RightKind::Receive | RightKind::PortSet => keep(woken, ipc.destroy(NET, name)),
        _ => keep(woken, ipc.deallocate(NET, name)),
    }
}

/// A task port's calls: `TASK_INFO` (answered with the pid and the node) and `TASK_TERMINATE`
/// (the process is killed; answered with 0).
fn serve_task(
    ipc: &mut Ipc<Captured>,
    pid: u32,
    me: u32,
    received: Received<Captured>,
    woken: &mut Vec<u64>,
) {
    let words: Vec<u32> = match received.id {
        TASK_INFO => vec![0, pid, me],
        TASK_TERMINATE => {
            let mut table = proc::table();
            match table.find(pid) {
                Some(p) => {
                    signal::post(p, Signal::Kill);
                    vec![0]
                }
                None => vec![Errno::Srch as u32],
            }
        }
        _ => vec![Errno::Inval as u32],
    };
    let bytes: Vec<u8> = words.iter().flat_map(|w| w.to_le_bytes()).collect();
    let Received { reply, items, .. } = received;
    if let Some((reply, _)) = reply {
        let header = Header { dest: (reply, Disposition::MoveSendOnce), reply: None, id: TASK_REPLY };
        keep(woken, ipc.send(NET, Message { header, items: vec![Item::Inline(bytes)] }));
    }
    for item in items {
        if let ReceivedItem::Port(name, kind) = item {
            drop_right(ipc, name, kind, woken);
        }
    }
}

/// Rights of a `VM_PROT_*` word (`None` for other bits).
fn prot(word: u32) -> Option<Prot> {
    (word & !ox_abi::VM_PROT_ALL == 0).then(|| Prot::from_bits_truncate(word as u8))
}

/// Carries out a pager's lock request on pages `first..first + count` of external object `id`
/// (node `me`): with `MO_LOCK_CLEAN` or `MO_LOCK_FLUSH` the written ones go back to the pager
/// (`MO_DATA_WRITE`); with `MO_LOCK_FLUSH` they leave the node, else each resident page gets
/// lock `lock`. The mappings that allowed more than that are shot down first (so a cleaned
/// page is seen written again); processes waiting for a page unlocked or flushed wake (to
/// fault again).
#[allow(clippy::too_many_arguments)]
fn lock_request(
    ipc: &mut Ipc<Captured>,
    id: u32,
    external: &mut External,
    me: u32,
    (first, count): (u32, u32),
    flags: u32,
    lock: Prot,
    woken: &mut Vec<u64>,
) {
    let object = external.object;
    let (clean, flush) = (flags & MO_LOCK_CLEAN != 0, flags & MO_LOCK_FLUSH != 0);
    if clean || flush || lock != Prot::NONE {
        vm::shoot_down(object, first, count);
    }
    for index in first..first + count {
        if !vm::resident(object, index) {
            continue;
        }
        if (clean || flush) && vm::take_dirty(object, index) {
            external.write_back(ipc, index, me, woken);
        }
        let woke = if flush {
            vm::flush_page(object, index);
            true
        } else {
            let old = vm::lock_of(object, index);
            vm::set_lock(object, index, lock);
            !lock.contains(old)
        };
        if woke {
            external.answered(id, index, woken);
        }
    }
}

/// Sends the service's own `message` past the queue limit; refused (its port is gone), the
/// right it was to move is dropped.
fn send_or_drop(ipc: &mut Ipc<Captured>, message: Message<Captured>, woken: &mut Vec<u64>) {
    let (dest, how) = message.header.dest;
    match ipc.send_always(NET, message) {
        Ok(w) => woken.extend(w.keys),
        Err(_) if matches!(how, Disposition::MoveSend | Disposition::MoveSendOnce) => {
            keep(woken, ipc.deallocate(NET, dest));
        }
        Err(_) => {}
    }
}

/// Keeps the wake-ups of an operation that may fail (the service ignores what it cannot do:
/// a right already gone).
fn keep(woken: &mut Vec<u64>, result: Result<ox_ipc::Wakeups, IpcError>) {
    if let Ok(w) = result {
        woken.extend(w.keys);
    }
}

/// The errno of an IPC refusal (the port calls' and the service's).
pub(crate) fn errno(e: IpcError) -> Errno {
    match e {
        IpcError::InvalidName => Errno::BadName,
        IpcError::InvalidRight => Errno::BadRight,
        IpcError::InvalidValue => Errno::Inval,
        IpcError::NameExists => Errno::Exist,
        IpcError::InvalidTask => Errno::Srch,
        IpcError::DeadName => Errno::DeadName,
        IpcError::QueueFull => Errno::TimedOut,
    }
}

/// A small map kept as a vector in insertion order: the service's tables hold a few entries
/// each, and a satellite's kernel travels over the link at every boot, so its code stays
/// small (a B-tree map's code is several times larger for each kind of key).
#[derive(Default)]
struct VecMap<K, V> {
    items: Vec<(K, V)>,
}

impl<K: PartialEq, V> VecMap<K, V> {
    fn new() -> VecMap<K, V> {
        VecMap { items: Vec::new() }
    }

    fn position(&self, key: &K) -> Option<usize> {
        self.items.iter().position(|(k, _)| k == key)
    }

    fn get(&self, key: &K) -> Option<&V> {
        self.position(key).map(|i| &self.items[i].1)
    }

    fn get_mut(&mut self, key: &K) -> Option<&mut V> {
        self.position(key).map(|i| &mut self.items[i].1)
    }

    fn contains_key(&self, key: &K) -> bool {
        self.position(key).is_some()
    }

    fn insert(&mut self, key: K, value: V) -> Option<V> {
        match self.position(&key) {
            Some(i) => Some(core::mem::replace(&mut self.items[i].1, value)),
            None => {
                self.items.push((key, value));
                None
            }
        }
    }

    /// Gives `key`, which has no value (the caller looked), the value `value`: no second look.
    fn insert_new(&mut self, key: K, value: V) {
        debug_assert!(!self.contains_key(&key));
        self.items.push((key, value));
    }

    /// The value of `key`, inserted as `value` if there was none.
    fn or_insert(&mut self, key: K, value: V) -> &mut V {
        let i = match self.position(&key) {
            Some(i) => i,
            None => {
                self.items.push((key, value));
                self.items.len() - 1
            }
        };
        &mut self.items[i].1
    }

    fn remove(&mut self, key: &K) -> Option<V> {
        let value = self.position(key).map(|i| self.items.remove(i).1);
        ox_ipc::sorted::give_back(&mut self.items);
        value
    }

    /// [`VecMap::remove`] for a caller that does not want the value: dropped where it lies if it
    /// is the last (as an export made for one message most often is), not moved out first.
    fn discard(&mut self, key: &K) {
        let Some(at) = self.position(key) else { return };
        if at + 1 == self.items.len() {
            self.items.truncate(at);
        } else {
            self.items.remove(at);
        }
        ox_ipc::sorted::give_back(&mut self.items);
    }

    fn retain(&mut self, mut keep: impl FnMut(&K, &mut V) -> bool) {
        self.items.retain_mut(|(k, v)| keep(k, v));
        ox_ipc::sorted::give_back(&mut self.items);
    }

    fn iter(&self) -> impl Iterator<Item = (&K, &V)> {
        self.items.iter().map(|(k, v)| (k, v))
    }

    fn keys(&self) -> impl Iterator<Item = &K> {
        self.items.iter().map(|(k, _)| k)
    }

    fn values_mut(&mut self) -> impl Iterator<Item = &mut V> {
        self.items.iter_mut().map(|(_, v)| v)
    }

    fn values(&self) -> impl Iterator<Item = &V> {
        self.items.iter().map(|(_, v)| v)
    }

    fn len(&self) -> usize {
        self.items.len()
    }

    fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
}
