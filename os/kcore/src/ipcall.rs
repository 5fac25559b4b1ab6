//! The port and message system calls (docs/ports.md), served the same way on the central and
//! on a satellite: each process's port name space lives on the node it runs on, in one
//! node-wide [`Ipc`] (`ox-ipc`); a task is a process, named by its pid. The calls that name
//! another process (`port_insert_right`) reach the caller's children on this node, as the
//! virtual-memory calls do.
//!
//! `msg_send` and `msg_receive` block: a send to a full queue waits for room, a receive from
//! an empty port or set for a message, each up to a timeout in ticks (`u32::MAX`: for ever; 0:
//! poll) and interruptibly (`EINTR`, nothing sent or received). A finite wait re-checks at
//! every tick; an endless one sleeps until the operation that makes room or brings a message
//! wakes it.
//!
//! Messages cross the user boundary in the `ox_abi::MsgHeader` layout, checked word by word:
//! a malformed one is `EINVAL`, a bad pointer `EFAULT`, one over `MSG_SIZE_MAX` bytes `E2BIG`.
//! A message larger than the receiver's buffer stays queued and the call fails with `E2BIG`
//! (Mach's `MACH_RCV_LARGE`): the receiver may try again with a larger buffer.

use alloc::borrow::Cow;
use alloc::vec;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicBool, AtomicU32, Ordering};

use ox_abi::{
    Errno, MsgHeader, MSG_COPY_SEND, MSG_ITEMS_MAX, MSG_ITEM_INLINE, MSG_ITEM_MEMORY, MSG_ITEM_PORT,
    MSG_MAKE_SEND, MSG_MAKE_SEND_ONCE, MSG_MOVE_RECEIVE, MSG_MOVE_SEND, MSG_MOVE_SEND_ONCE, MSG_SIZE_MAX,
    NOTIFY_DEAD_NAME, NOTIFY_NO_SENDERS, NOTIFY_PORT_DESTROYED, PORT_RIGHT_DEAD_NAME, PORT_RIGHT_PORT_SET,
    PORT_RIGHT_RECEIVE, PORT_RIGHT_SEND, PORT_RIGHT_SEND_ONCE,
};
use ox_ipc::{
    Direct, Disposition, HandedOff, Header, Ipc, IpcError, Item, Message, Name, Notify, Received,
    ReceivedItem, RightKind, TaskId, Wakeups,
};
use ox_proto::calls::PortCall;
use ox_proto::net::{InlineRead, NetOp, Words};
use ox_proto::{DecodeError, NetEnvelope};

use crate::frame::Frame;
use crate::global::{Global, GlobalGuard};
use crate::netmsg::{self, errno, Net, PageIn, Reply, SendInFrame};
use crate::task::chan::{self, Chan, Class};
use crate::task::proc::{self, copy_in, copy_out};
use crate::task::{sched, signal};
use crate::timer;
use crate::vm;
use crate::vm::Captured;
use ox_vm::ObjectId;

/// The node's ports and name spaces, the network message service's books, and who waits
/// for them: one global, so that a message's hand-off takes one guard.
struct Ports {
    ipc: Ipc<Captured>,
    net: Net,
    /// The wait keys of ports and port sets some process sleeps on ([`sleep_for_ever`],
    /// [`sleep_timed`]) without being parked, with the sleeper's slot in the process table. Every message and every receive makes a wake-up key, and most have no sleeper:
    /// a key not here or in `parked` wakes no one, and one here wakes its sleepers without a
    /// look through the table. An entry leaves at its wake-up (a sleeper that sleeps again
    /// puts it back).
    waiters: Vec<(u64, usize)>,
    /// The processes in a wait with a time limit ([`sleep_timed`]): the slot, the key it
    /// sleeps on (it is among the `waiters` too) and the tick at which its time is up, when
    /// the tick wakes it if nothing did before.
    timed: Vec<(usize, u64, u32)>,
    /// The processes asleep in a receive that a message can be handed to; a wake-up of their
    /// key wakes them too. Each leaves the list when a message is handed to it, or when it
    /// runs again ([`unpark`]).
    parked: Vec<Parked>,
    /// The process a message was just handed to ([`hand_off`]), which the sender, about to
    /// sleep in the same call (an RPC's receive), runs at once ([`sched::sleep_handing`]). It
    /// lasts for the call that made it.
    handed_to: Option<usize>,
}

static PORTS: Global<Option<Ports>> = Global::new("ports", None);

/// How the kernel sends a `Net` message to a node: encoded ([`Transmit::whole`]), or encoded
/// straight into the frame that carries it ([`Transmit::in_frame`]).
#[derive(Clone, Copy)]
pub struct Transmit {
    /// Sends a `Net` message (its bytes: `ox_proto::NetEnvelope::encode`) towards a node.
    pub whole: fn(u32, Cow<'_, [u8]>),
    /// Sends one in the frame that carries it, if the link has one ready ([`SendInFrame`]).
    pub in_frame: SendInFrame,
}

static TRANSMIT: Global<Option<Transmit>> = Global::new("net transmit", None);

/// A process asleep for ever in a receive on a port (not a set), with its buffer: a message
/// of inline items sent to the port while it sleeps goes straight into the buffer
/// ([`hand_off`]), and the process's `handed` says how many bytes it is when it wakes.
#[derive(Clone, Copy)]
struct Parked {
    key: u64,
    slot: usize,
    pid: u32,
    buf: u32,
    size: u32,
}

/// Receivers waiting for a message on a port (id: the port's key).
static PORT_MESSAGE: Class = Class::new("port message");
/// Receivers waiting for a message on a port set.
static SET_MESSAGE: Class = Class::new("port-set message");
/// Senders waiting for room in a port's queue.
static PORT_ROOM: Class = Class::new("port room");
/// Processes waiting for an external pager's page (id: the external object's number).
static PAGE_IN: Class = Class::new("page-in");

/// Wait for ever.
const FOREVER: u32 = u32::MAX;

/// Whether the network message service keeps something for later ([`send_later`]): a flag,
/// so that the scheduler's look costs one load.
static LATER: AtomicBool = AtomicBool::new(false);

/// Starts the node's ports: this is node `me`, the central is `central` (if known yet), and
/// `transmit` sends a `Net` message towards a node.
pub fn init(me: u32, central: Option<u32>, transmit: Transmit) {
    let mut ipc = Ipc::new();
    let net = Net::new(&mut ipc, me, central);
    *PORTS.lock() =
        Some(Ports { ipc, net, waiters: Vec::new(), timed: Vec::new(), parked: Vec::new(), handed_to: None });
    *TRANSMIT.lock() = Some(transmit);
    NODE.store(me, Ordering::Relaxed);
}

fn with_ports<R>(f: impl FnOnce(&mut Ports) -> R) -> R {
    let mut ports = PORTS.lock();
    f(ports.as_mut().unwrap_or_else(|| panic!("a port call before ipcall::init")))
}

fn with_ipc<R>(f: impl FnOnce(&mut Ipc<Captured>) -> R) -> R {
    with_ports(|p| f(&mut p.ipc))
}

/// This node's index.
pub fn node() -> u32 {
    NODE.load(Ordering::Relaxed)
}

/// This node's number, as [`init`] was given it (the service's own, read without its guard:
/// every interrupt of the central's links asks).
static NODE: AtomicU32 = AtomicU32::new(0);

/// The central is node `central`, and this node is in its `incarnation` (a satellite learns
/// both from the central's hello).
pub fn set_central(central: u32, incarnation: u32) {
    with_ports(|p| p.net.set_central(central, incarnation));
}

/// A `Net` message for this node, from node `from`.
pub fn net_receive(from: u32, op: NetOp) {
    net_arrival(|net, ipc, woken, hand| net.receive_handing(ipc, from, op, woken, hand));
}

/// Takes the `Net` message `bytes` of envelope `envelope`, for this node: a short message of
/// inline items (and the `Delivered`s after it) read in place ([`NetEnvelope::inline_into`],
/// [`Net::receive_inline`]: nothing decoded into vectors), any other op decoded
/// ([`net_receive`]); the error if it does not decode (the link refuses it).
pub fn net_message(envelope: NetEnvelope, bytes: &[u8]) -> Result<(), DecodeError> {
    let mut read = INLINE_READ.lock();
    if !envelope.inline_into(bytes, &mut read) {
        drop(read);
        net_receive(envelope.from, envelope.op(bytes)?);
        return Ok(());
    }
    let body = NetEnvelope::body(bytes);
    net_arrival(|net, ipc, woken, hand| net.receive_inline(ipc, envelope.from, (&read, body), woken, hand));
    Ok(())
}

/// Where [`net_message`] reads a message in place: kept, because a fresh one is some 90 bytes
/// to initialise (a copy of [`InlineRead::EMPTY`]) that the read then writes over.
static INLINE_READ: Global<InlineRead> = Global::new("inline read", InlineRead::EMPTY);

/// What arrived from another node, given to the service by `receive` with the hand-off to
/// parked receivers; then who it woke is woken.
fn net_arrival(receive: impl FnOnce(&mut Net, &mut Ipc<Captured>, &mut Vec<u64>, &mut ToParked<'_>)) {
    let (woken, busy) = with_ports(|p| {
        let mut woken = Vec::new();
        let Ports { ipc, net, parked, .. } = p;
        receive(net, ipc, &mut woken, &mut ToParked(parked));
        note_later(&p.net);
        // Most often (a message handed to its parked receiver) no one else is woken: whether
        // the service has work is looked at here, under the same guard.
        let busy = woken.is_empty() && p.net.busy();
        (woken, busy)
    });
    if !woken.is_empty() {
        wake(Wakeups { keys: woken });
    } else if busy {
        settle();
    }
}

/// Node `node` is dead: its ports die here, its references are dropped.
pub fn node_dead(node: u32) {
    net_receive(node, NetOp::NodeDead { node });
}

/// Sends what the service queued, then does its work until there is none (its own sends
/// and deliveries make more), waking who it concerns.
fn settle() {
    if with_ports(|p| p.net.settling(true)) {
        return;
    }
    let transmit = *TRANSMIT.lock();
    loop {
        let (more, woken, out, me) = with_ports(|p| {
            let mut woken = Vec::new();
            let stepped = p.net.step(&mut p.ipc, &mut woken);
            let woken = p.net.claim(woken);
            let out = p.net.take_out();
            (stepped || p.net.busy(), woken, out, p.net.node())
        });
        for (to, op) in out {
            match (transmit, NetEnvelope::encode(me, to, &op)) {
                (Some(transmit), Ok(bytes)) => (transmit.whole)(to, Cow::Owned(bytes)),
                // (No op the service makes is too long to encode.)
                _ => with_ports(|p| p.net.dropped = p.net.dropped.wrapping_add(1)),
            }
        }
        for key in woken {
            wake_key(key);
        }
        if !more {
            break;
        }
    }
    with_ports(|p| {
        p.net.settling(false);
        note_later(&p.net);
    });
}

/// Raises [`LATER`] if the service keeps something for later.
fn note_later(net: &Net) {
    if net.has_later() {
        LATER.store(true, Ordering::Relaxed);
    }
}

/// Sends what the network message service kept for later (`Net::later`: the `Delivered`s of
/// messages handed here to a parked receiver that no message to their node has carried yet),
/// and retires the send-once proxies used since ([`Net::retire_used`]), if anything. Called
/// when a process sleeps or yields, when the node idles and at each tick: the process a
/// message woke has had its turn by then, and the sender's next message waits no longer.
pub fn send_later() {
    if !LATER.load(Ordering::Relaxed) {
        return;
    }
    LATER.store(false, Ordering::Relaxed);
    let (due, woken) = with_ports(|p| {
        let mut woken = Vec::new();
        p.net.retire_used(&mut p.ipc, &mut woken);
        let woken = p.net.claim(woken);
        (p.net.release_later() || p.net.busy(), woken)
    });
    for key in woken {
        wake_key(key);
    }
    if due {
        settle();
    }
}

/// The caller's task, made when it first uses a port, at the start of a call (a hand-off's
/// hint is forgotten).
fn me() -> TaskId {
    let task = TaskId(proc::table().current().pid);
    with_ports(|p| {
        let _ = p.ipc.add_task(task);
        p.handed_to = None;
    });
    task
}

/// The channel a wait key stands for.
fn chan_of(key: u64) -> Chan {
    let id = key as u32;
    match key >> 32 {
        1 => Chan::new(&PORT_MESSAGE, id),
        2 => Chan::new(&SET_MESSAGE, id),
        4 => Chan::new(&PAGE_IN, id),
        _ => Chan::new(&PORT_ROOM, id),
    }
}

/// Wakes the processes sleeping on `key`'s channel.
fn wake_key(key: u64) {
    with_ports(|p| wake_waiters(p, key));
}

/// [`wake_key`] with the ports' guard held.
fn wake_waiters(ports: &mut Ports, key: u64) {
    if !matches!(key >> 32, 1..=3) {
        sched::wakeup(chan_of(key));
        return;
    }
    let waiters = &mut ports.waiters;
    let mut i = 0;
    while i < waiters.len() {
        if waiters[i].0 == key {
            let (_, slot) = waiters.swap_remove(i);
            proc::table().wake_slot(slot, chan_of(key));
        } else {
            i += 1;
        }
    }
    // A parked receiver leaves the list itself when it runs ([`unpark`]).
    for parked in ports.parked.iter().filter(|p| p.key == key) {
        proc::table().wake_slot(parked.slot, chan_of(key));
    }
}

/// Wakes the sleepers of `wakeups`; what is the network message service's work is done now.
fn wake(wakeups: Wakeups) {
    if wakeups.keys.is_empty() {
        if with_ports(|p| p.net.busy()) {
            settle();
        }
        return;
    }
    let busy = with_ports(|p| {
        for key in p.net.claim(wakeups.keys) {
            wake_waiters(p, key);
        }
        p.net.busy()
    });
    if busy {
        settle();
    }
}

fn right(word: u32) -> Result<RightKind, Errno> {
    Ok(match word {
        PORT_RIGHT_SEND => RightKind::Send,
        PORT_RIGHT_RECEIVE => RightKind::Receive,
        PORT_RIGHT_SEND_ONCE => RightKind::SendOnce,
        PORT_RIGHT_PORT_SET => RightKind::PortSet,
        PORT_RIGHT_DEAD_NAME => RightKind::DeadName,
        _ => return Err(Errno::Inval),
    })
}

fn right_word(kind: RightKind) -> u32 {
    match kind {
        RightKind::Send => PORT_RIGHT_SEND,
        RightKind::Receive => PORT_RIGHT_RECEIVE,
        RightKind::SendOnce => PORT_RIGHT_SEND_ONCE,
        RightKind::PortSet => PORT_RIGHT_PORT_SET,
        RightKind::DeadName => PORT_RIGHT_DEAD_NAME,
    }
}

fn disposition(word: u32) -> Result<Disposition, Errno> {
    Ok(match word {
        MSG_MOVE_RECEIVE => Disposition::MoveReceive,
        MSG_MOVE_SEND => Disposition::MoveSend,
        MSG_MOVE_SEND_ONCE => Disposition::MoveSendOnce,
        MSG_COPY_SEND => Disposition::CopySend,
        MSG_MAKE_SEND => Disposition::MakeSend,
        MSG_MAKE_SEND_ONCE => Disposition::MakeSendOnce,
        _ => return Err(Errno::Inval),
    })
}

/// Serves `call` with arguments `a` for the current process.
pub fn serve(call: PortCall, a: [u32; ox_abi::MAX_ARGS]) -> Result<u32, Errno> {
    let task = me();
    let name = Name(a[0]);
    let done = |r: Result<Wakeups, IpcError>| r.map(|w| wake(w)).map(|()| 0).map_err(errno);
    match call {
        PortCall::Allocate => {
            let kind = right(a[0])?;
            with_ipc(|ipc| ipc.allocate(task, kind)).map(|n| n.0).map_err(errno)
        }
        PortCall::Deallocate => done(with_ipc(|ipc| ipc.deallocate(task, name))),
        PortCall::Destroy => done(with_ipc(|ipc| ipc.destroy(task, name))),
        PortCall::ModRefs => {
            let kind = right(a[1])?;
            done(with_ipc(|ipc| ipc.mod_refs(task, name, kind, a[2] as i32)))
        }
        PortCall::Type => with_ipc(|ipc| ipc.types(task, name)).map(|t| t.0).map_err(errno),
        PortCall::InsertRight => {
            let how = disposition(a[1])?;
            let target = TaskId(proc::controlled(a[2])?);
            with_ipc(|ipc| {
                let _ = ipc.add_task(target);
            });
            done(with_ipc(|ipc| ipc.insert_right(task, name, how, target, Name(a[3]))))
        }
        PortCall::ExtractRight => {
            let how = disposition(a[1])?;
            with_ipc(|ipc| ipc.extract_right(task, name, how)).map(|(n, _)| n.0).map_err(errno)
        }
        PortCall::SetQlimit => done(with_ipc(|ipc| ipc.set_qlimit(task, name, a[1] as usize))),
        PortCall::MoveMember => {
            done(with_ipc(|ipc| ipc.move_member(task, name, Name(a[1])).map(|()| Wakeups::default())))
        }
        PortCall::RequestNotification => {
            let what = match a[1] {
                NOTIFY_DEAD_NAME => Notify::DeadName,
                NOTIFY_NO_SENDERS => Notify::NoSenders,
                NOTIFY_PORT_DESTROYED => Notify::PortDestroyed,
                _ => return Err(Errno::Inval),
            };
            done(with_ipc(|ipc| ipc.request_notification(task, name, what, Name(a[2]))))
        }
        PortCall::Send => send(task, a[0], a[1], a[2]),
        PortCall::Receive => receive(task, name, a[1], a[2], a[3], true),
        PortCall::Rpc => {
            send(task, a[0], a[1], a[5])?;
            // Not broken for a move: the call would be made again, its send with it.
            receive(task, Name(a[2]), a[3], a[4], a[5], false)
        }
        PortCall::Bootstrap => {
            let (given, woken) = with_ports(|p| {
                let mut woken = Vec::new();
                (p.net.bootstrap(&mut p.ipc, task, &mut woken), woken)
            });
            wake(Wakeups { keys: woken });
            given.map(|n| n.0)
        }
        PortCall::VmMap => {
            let size = a[1];
            if size == 0 || !size.is_multiple_of(4096) {
                return Err(Errno::Inval);
            }
            let (object, woken) = with_ports(|p| {
                let mut woken = Vec::new();
                (p.net.external(&mut p.ipc, task, name, size / 4096, &mut woken), woken)
            });
            wake(Wakeups { keys: woken });
            proc::table().current().space().map_external(object?, size)
        }
        PortCall::SetDefaultPager => {
            let mut table = proc::table();
            let space = table.current().space();
            let (set, woken) = with_ports(|p| {
                let mut woken = Vec::new();
                (p.net.set_default_pager(&mut p.ipc, task, name, space, &mut woken), woken)
            });
            drop(table);
            wake(Wakeups { keys: woken });
            set.map(|()| 0)
        }
        PortCall::TaskSelf => {
            let (given, woken) = with_ports(|p| {
                let mut woken = Vec::new();
                (p.net.task_self(&mut p.ipc, task.0, &mut woken), woken)
            });
            wake(Wakeups { keys: woken });
            given.map(|n| n.0)
        }
    }
}

/// The tick at which a wait of `timeout` ticks from now ends (`FOREVER` and 0 need no clock).
fn deadline_of(timeout: u32) -> u32 {
    match timeout {
        0 | FOREVER => timeout,
        _ => timer::ticks().saturating_add(timeout),
    }
}

/// Waits (interruptibly, up to `until`) on `key`; `EINTR` or `ETIMEDOUT` when it is over. A
/// wait for ever that is `movable` is broken by a move of the process to another node as by a
/// signal (its call, which has done nothing yet, is made again there); a timed one is not (it
/// would start its time again).
fn wait(key: u64, timeout: u32, until: u32, movable: bool) -> Result<(), Errno> {
    may_wait(timeout, until, movable)?;
    if timeout == FOREVER {
        sleep_for_ever(key, None);
    } else {
        sleep_timed(key, until);
    }
    Ok(())
}

/// Sleeps until `key` is woken or tick `until` comes, whichever is first: a message (or room)
/// wakes a wait with a time limit as soon as it comes, as it does one without ([`tick`]
/// ends the others, and an idle node wakes for the first: [`deadline`]).
fn sleep_timed(key: u64, until: u32) {
    let slot = proc::table().current_slot().unwrap_or_else(|| panic!("a port wait with no current process"));
    with_ports(|p| {
        if !p.waiters.contains(&(key, slot)) {
            p.waiters.push((key, slot));
        }
        p.timed.push((slot, key, until));
    });
    sched::sleep(chan_of(key));
    with_ports(|p| {
        p.timed.retain(|&(s, _, _)| s != slot);
        p.waiters.retain(|&w| w != (key, slot));
    });
}

/// Whether a wait as [`wait`] says may begin: `ETIMEDOUT` for a poll or a wait whose time is
/// over, `EINTR` for one a signal (or, `movable`, a move) breaks.
fn may_wait(timeout: u32, until: u32, movable: bool) -> Result<(), Errno> {
    if timeout == 0 || (timeout != FOREVER && timer::ticks() >= until) {
        return Err(Errno::TimedOut);
    }
    let broken = if movable && timeout == FOREVER { signal::interrupted() } else { signal::signalled() };
    if broken {
        return Err(Errno::Intr);
    }
    Ok(())
}

/// Sleeps until `key` is woken, parked (if `park` gives the task, buffer and size of a
/// receive on a port) so that a message can be handed to it; runs at once the process a
/// hand-off of this call just woke.
fn sleep_for_ever(key: u64, park: Option<(TaskId, u32, u32)>) {
    let slot = proc::table().current_slot().unwrap_or_else(|| panic!("a port wait with no current process"));
    let next = with_ports(|p| {
        // A parked receiver is woken through the parked list, not the waiters.
        if let Some((task, buf, size)) = park {
            p.parked.push(Parked { key, slot, pid: task.0, buf, size });
        } else if !p.waiters.contains(&(key, slot)) {
            p.waiters.push((key, slot));
        }
        p.handed_to.take()
    });
    match next {
        Some(next) => sched::sleep_handing(chan_of(key), next),
        None => sched::sleep(chan_of(key)),
    }
}

/// Scratch for a short message on the kernel stack, word-aligned as user buffers usually are,
/// so the copies in and out go a word at a time.
#[repr(C, align(8))]
struct Scratch([u8; 64]);

/// Runs `f` on `len` zeroed bytes of scratch: on the kernel stack for a short message (most
/// are: an RPC's request and answer), from the heap for a long one.
fn with_scratch<R>(len: usize, f: impl FnOnce(&mut [u8]) -> R) -> R {
    if len <= size_of::<Scratch>() {
        f(&mut Scratch([0; 64]).0[..len])
    } else {
        f(&mut vec![0; len])
    }
}

/// Whether the items of the message `bytes` (well formed or not) include out-of-line memory.
fn carries_memory(bytes: &[u8]) -> bool {
    let count = word(bytes, 20).unwrap_or(0);
    let mut at = MsgHeader::SIZE;
    for _ in 0..count.min(MSG_ITEMS_MAX) {
        match (word(bytes, at), word(bytes, at + 4)) {
            (Ok(MSG_ITEM_INLINE), Ok(len)) => at += 8 + (len as usize).next_multiple_of(4),
            (Ok(MSG_ITEM_PORT), _) => at += 12,
            (Ok(MSG_ITEM_MEMORY), _) => return true,
            _ => return false,
        }
    }
    false
}

/// `msg_send(msg, size, timeout)`.
fn send(task: TaskId, msg: u32, size: u32, timeout: u32) -> Result<u32, Errno> {
    if size > MSG_SIZE_MAX {
        return Err(Errno::TooBig);
    }
    if let Some(sent) = hand_off(task, msg, size) {
        return sent;
    }
    if let Some(sent) = to_service(task, msg, size) {
        return sent;
    }
    // Most messages lie in one resident page of the sender's and carry no out-of-line memory
    // (whose capture needs the sender's space): they are parsed where they are. The first try
    // at queueing one needs nothing else; one that must wait for room goes the long way.
    let parsed = proc::table().current().space().in_place(msg, size as usize, vm::Access::Read, |bytes| {
        (!carries_memory(bytes)).then(|| parse(bytes))
    });
    if let Some(Some(message)) = parsed {
        let message = message?;
        match with_ipc(|ipc| ipc.send(task, message)) {
            Ok(wakeups) => {
                wake(wakeups);
                return Ok(0);
            }
            Err(IpcError::QueueFull) => {}
            Err(e) => return Err(errno(e)),
        }
    }
    with_scratch(size as usize, |bytes| {
        copy_in(msg, bytes)?;
        send_bytes(task, bytes, timeout)
    })
}

/// The longest message a hand-off moves: an RPC's request or answer.
const HAND_OFF_MAX: u32 = 64;

/// The guards a hand-off of a message of `size` bytes holds throughout, one of the ports and
/// one of the process table, if it may be made at all: the message is short enough (an RPC's
/// request or answer) and some receiver is parked.
#[inline(always)]
fn hand_off_guards(
    size: u32,
) -> Option<(GlobalGuard<'static, Option<Ports>>, GlobalGuard<'static, proc::Table>)> {
    if !(MsgHeader::SIZE as u32..=HAND_OFF_MAX).contains(&size) {
        return None;
    }
    let guard = PORTS.lock();
    if guard.as_ref()?.parked.is_empty() {
        return None;
    }
    Some((guard, proc::table()))
}

/// Mach's RPC fast path for `msg_send`: a short message of inline items whose port's receiver
/// is asleep in a receive on it ([`Parked`]) goes straight into the receiver's buffer
/// ([`hand_to_parked`]). `None` when the message does not qualify (it carries rights or
/// memory, is malformed, long or not word-aligned, no receiver is asleep, or a buffer is not
/// resident): the caller takes the general path, which reports what is wrong.
fn hand_off(task: TaskId, msg: u32, size: u32) -> Option<Result<u32, Errno>> {
    let (mut guard, mut table) = hand_off_guards(size)?;
    let ports = guard.as_mut()?;
    let (words, frame) = table.current().space().resident_words(msg, size as usize, vm::Access::Read)?;
    // Safety: the message lies in one page the caller's table maps (`resident_words`), held by
    // one of the VM's objects while mapped; nothing changes the mappings while the guards are
    // held, and the words are only read, before the guards go.
    let msg = unsafe { core::slice::from_raw_parts(words, size as usize / 4) };
    let header = header_words(msg)?;
    let direct = ports.ipc.direct_target(task, &header)?;
    let (slot, wakeups) = match hand_to_parked(ports, &mut table, task, (msg, frame), header, direct)? {
        Ok(handed) => handed,
        Err(e) => return Some(Err(e)),
    };
    ports.handed_to = Some(slot);
    drop(table);
    drop(guard);
    if !wakeups.keys.is_empty() {
        wake(wakeups);
    }
    Some(Ok(0))
}

/// A short message of inline items to a port the network message service receives on (a
/// proxy for a port on another node) goes to the service at once, as a hand-off goes to a
/// parked receiver: read where it lies, its rights moved as a send and the service's receive
/// would move them, and on its way to the port's node before the call returns — no message is
/// queued on the proxy and the service is not woken for it ([`Net::forward_direct`]). `None`
/// when the message does not qualify (as for [`hand_off`], or the proxy has a message in
/// flight or queued): the general path queues it, and the service takes it from there.
fn to_service(task: TaskId, msg: u32, size: u32) -> Option<Result<u32, Errno>> {
    if !(MsgHeader::SIZE as u32..=HAND_OFF_MAX).contains(&size) {
        return None;
    }
    let mut woken = Vec::new();
    let mut scratch = Words::new();
    let transmit = *TRANSMIT.lock();
    let sent = {
        let mut guard = PORTS.lock();
        let ports = guard.as_mut()?;
        let mut table = proc::table();
        let (words, _) = table.current().space().resident_words(msg, size as usize, vm::Access::Read)?;
        // Safety: as in `hand_off`: one resident page of the caller's, whose mappings nothing
        // changes while the guards are held; only read (as words, and the items' as bytes),
        // before they go.
        let msg = unsafe { core::slice::from_raw_parts(words, size as usize / 4) };
        let header = header_words(msg)?;
        let direct = ports.ipc.direct_target(task, &header)?;
        if direct.receiver != netmsg::NET {
            return None;
        }
        // Safety: the same words, each of whose bytes is an initialised `u8`.
        let bytes = unsafe { core::slice::from_raw_parts(words.cast::<u8>(), size as usize) };
        let (ranges, count) = inline_ranges(msg)?;
        let mut items: [&[u8]; HANDED_ITEMS] = [&[]; HANDED_ITEMS];
        for (item, range) in items.iter_mut().zip(&ranges[..count]) {
            *item = bytes.get(range.clone())?;
        }
        let what = (task, header, direct);
        let out = (&mut scratch, transmit.map(|t| t.in_frame));
        let sent = ports.net.forward_direct(&mut ports.ipc, what, &items[..count], out, &mut woken)?;
        note_later(&ports.net);
        match sent {
            Ok(sent) => sent,
            Err(e) => return Some(Err(errno(e))),
        }
    };
    if let (Some((to, bytes)), Some(transmit)) = (sent, transmit) {
        (transmit.whole)(to, bytes);
    }
    wake(Wakeups { keys: woken });
    Some(Ok(0))
}

/// The most items a message of at most [`HAND_OFF_MAX`] bytes holds (each at least a word of
/// type and one of length).
const HANDED_ITEMS: usize = (HAND_OFF_MAX as usize - MsgHeader::SIZE) / 8;

/// Where the bytes of each inline item of the message `msg` (words [`header_words`] accepted,
/// at most [`HAND_OFF_MAX`] bytes) lie in it, and how many items there are.
#[inline(always)]
fn inline_ranges(msg: &[u32]) -> Option<([core::ops::Range<usize>; HANDED_ITEMS], usize)> {
    let mut ranges: [core::ops::Range<usize>; HANDED_ITEMS] = Default::default();
    let mut count = 0;
    let mut at = MsgHeader::SIZE / 4;
    while at + 1 < msg.len() {
        let len = msg[at + 1] as usize;
        *ranges.get_mut(count)? = (at + 2) * 4..(at + 2) * 4 + len;
        count += 1;
        at += 2 + len.div_ceil(4);
    }
    Some((ranges, count))
}

/// The hand-off of a short message from another node to a receiver parked here
/// ([`netmsg::HandOff`]), as [`hand_off`] makes it for a local one: the message is laid out as
/// its sender would have, given by [`Ipc::send_direct`] and written into the receiver's buffer,
/// and the receiver woken with it. Nothing is queued, and the receiver's receive is over when
/// it runs.
struct ToParked<'a>(&'a mut Vec<Parked>);

impl netmsg::HandOff for ToParked<'_> {
    fn hand_off(
        &mut self,
        ipc: &mut Ipc<Captured>,
        header: Header,
        items: &[&[u8]],
    ) -> Option<Result<Wakeups, IpcError>> {
        if self.0.is_empty() {
            return None;
        }
        let len = net_len(items)?;
        let direct = ipc.direct_target(netmsg::NET, &header)?;
        self.hand_off_to(ipc, (header, direct), items, len)
    }

    fn hand_off_held(
        &mut self,
        ipc: &mut Ipc<Captured>,
        key: u64,
        id: u32,
        items: &[&[u8]],
    ) -> Option<Result<Wakeups, IpcError>> {
        if self.0.is_empty() {
            return None;
        }
        let len = net_len(items)?;
        let direct = ipc.direct_to_held(key)?;
        // (The header's names are not looked at: the right is the held one `direct` names.)
        let header = Header { dest: (Name::NULL, Disposition::MoveSendOnce), reply: None, id };
        self.hand_off_to(ipc, (header, direct), items, len)
    }
}

impl ToParked<'_> {
    /// Hands the message of `header` (the service's) and the inline `items` (`len` words laid
    /// out) to the receiver `direct` found, if it is parked with room.
    #[inline(always)]
    fn hand_off_to(
        &mut self,
        ipc: &mut Ipc<Captured>,
        (header, direct): (Header, Direct),
        items: &[&[u8]],
        len: usize,
    ) -> Option<Result<Wakeups, IpcError>> {
        let mut table = proc::table();
        let (at, slot, out) = parked_receiver(self.0, &mut table, direct.receiver, direct.key, (len, None))?;
        let ((port, reply), wakeups) = match ipc.send_direct(netmsg::NET, header, direct) {
            Ok(sent) => sent,
            Err(e) => return Some(Err(e)),
        };
        lay_out_net(header.id, items, (port, reply), out);
        self.0.swap_remove(at);
        wake_handed(&mut table, slot, len as u32 * 4);
        Some(Ok(wakeups))
    }
}

/// How many words a message of the inline `items` (their bytes) takes laid out, if it is
/// short enough to hand off.
fn net_len(items: &[&[u8]]) -> Option<usize> {
    let len = items.iter().fold(MsgHeader::SIZE / 4, |at, bytes| at + 2 + bytes.len().div_ceil(4));
    (len <= HAND_OFF_MAX as usize / 4).then_some(len)
}

/// Lays a message of id `id` and the inline `items` (their bytes) out in `out` (of
/// [`net_len`] words) as its receiver sees it, as [`lay_out_words`] does a process's: the
/// receiver's name for the port and the reply right (what [`Ipc::send_direct`] gave), then the
/// items, the padding of each zeroed.
#[inline(always)]
fn lay_out_net(id: u32, items: &[&[u8]], (port, reply): HandedOff, out: &mut [u32]) {
    let (reply, right) = reply.map_or((0, 0), |(name, kind)| (name.0, right_word(kind)));
    let size = out.len() as u32 * 4;
    if let [o0, o1, o2, o3, o4, o5, ..] = out {
        (*o0, *o1, *o2, *o3, *o4, *o5) = (port.0, reply, right, id, items.len() as u32, size);
    }
    let mut at = MsgHeader::SIZE / 4;
    for bytes in items {
        let Some(item) = out.get_mut(at..at + 2 + bytes.len().div_ceil(4)) else { return };
        item[0] = MSG_ITEM_INLINE;
        item[1] = bytes.len() as u32;
        // Safety: a `u32` may hold any four bytes, and every byte of `bytes` is initialised;
        // only the aligned middle is taken.
        let (head, words, tail) = unsafe { bytes.align_to::<u32>() };
        if head.is_empty() && tail.is_empty() {
            // Whole words where they lie (an RPC's, in the frame it came in): a load each.
            for (word, from) in item[2..].iter_mut().zip(words) {
                *word = u32::from_le(*from);
            }
            at += item.len();
            continue;
        }
        for (word, chunk) in item[2..].iter_mut().zip(bytes.chunks(4)) {
            // A word at a time (a loop over the bytes, or `copy_from_slice`, becomes a call
            // of `memcpy`, dear for four bytes).
            *word = match *chunk {
                [a, b, c, d] => u32::from_le_bytes([a, b, c, d]),
                [a, b, c] => u32::from_le_bytes([a, b, c, 0]),
                [a, b] => u32::from_le_bytes([a, b, 0, 0]),
                [a] => u32::from(a),
                _ => 0,
            };
        }
        at += item.len();
    }
}

/// `msg_rpc` in one pass, when its send can be handed off and its receive will wait: Mach's
/// `mach_msg` fast path (Draves et al., *Using Continuations to Implement Thread Management
/// and Communication in Operating Systems*, 1991). Under one guard of the ports and one of
/// the process table: the message is read where it lies in the caller's page, the rights are
/// looked up once ([`Ipc::rpc_target`]: one of an RPC's two shapes, a receive that would
/// wait), the receiver is found parked with room ([`parked_receiver`]), the rights move
/// ([`Ipc::hand_off_rpc`]), the message is laid out in the receiver's buffer, the caller
/// takes the receiver's place on the parked list, and the processor switches to the receiver
/// at once. A call to a port of another node (its receiver the network message service) is
/// made the same way up to the rights' move: the request goes on to the port's node at once,
/// as [`to_service`] sends it ([`Net::ready_proxy`], [`Net::forward_moved`]), and the caller
/// parks for the answer. `None` when the call does not qualify (the timeout is not for ever, a
/// signal is pending, the message or either buffer does not qualify, no receiver is parked,
/// the proxy is not ready): the general path makes it, with every check and error of its own.
pub fn rpc(a: &[u32; ox_abi::MAX_ARGS]) -> Option<Result<u32, Errno>> {
    let [msg, size, receive_on, buf, room, timeout] = *a;
    if timeout != FOREVER {
        return None;
    }
    if !(MsgHeader::SIZE as u32..=HAND_OFF_MAX).contains(&size) {
        return None;
    }
    let mut guard = PORTS.lock();
    let ports = guard.as_mut()?;
    let mut table = proc::table();
    let me = table.current_slot()?;
    let caller = table.slots[me].as_deref()?;
    let space = caller.space.as_ref()?;
    if signal::signal_breaks_sleep(caller) || !space.table_allows(buf, room as usize, vm::Access::Write) {
        return None;
    }
    let task = TaskId(caller.pid);
    let (words, frame) = space.resident_words(msg, size as usize, vm::Access::Read)?;
    // Safety: as in `hand_off`.
    let msg = unsafe { core::slice::from_raw_parts(words, size as usize / 4) };
    let header = header_words(msg)?;
    let Ports { ipc, parked, net, .. } = ports;
    let target = ipc.rpc_target(task, &header, Name(receive_on))?;
    if target.receiver == netmsg::NET {
        // To a port on another node: the request goes to the network message service at once,
        // as `to_service` sends it, and the caller parks for the answer.
        let proxy = net.ready_proxy(target.key, header.id)?;
        let (ranges, count) = inline_ranges(msg)?;
        // Safety: the message's words (above), each of whose bytes is an initialised `u8`.
        let bytes = unsafe { core::slice::from_raw_parts(words.cast::<u8>(), size as usize) };
        let mut items: [&[u8]; HANDED_ITEMS] = [&[]; HANDED_ITEMS];
        for (item, range) in items.iter_mut().zip(&ranges[..count]) {
            *item = bytes.get(range.clone())?;
        }
        // The request's reply right is held by the service, not named in its space: its
        // answer is handed through it ([`Net::receive_inline`]).
        let handed = ipc.hand_off_rpc_held(target)?;
        let reply = target.reply_key().map(Reply::Held);
        let mut woken = Vec::new();
        let mut scratch = Words::new();
        let transmit = *TRANSMIT.lock();
        let out = (&mut scratch, transmit.map(|t| t.in_frame));
        let sent = net.forward_moved(ipc, proxy, (reply, header.id), &items[..count], out, &mut woken);
        parked.push(Parked { key: handed.wait, slot: me, pid: task.0, buf, size: room });
        // A used send-once proxy (the server's answer went through one) is retired once the
        // caller sleeps, after the answer left.
        note_later(net);
        // The request went into the service's queue of ops if it could not be sent at once.
        let busy = net.busy();
        drop(table);
        drop(guard);
        if let (Some((to, bytes)), Some(transmit)) = (sent, transmit) {
            (transmit.whole)(to, bytes);
        }
        if !woken.is_empty() || busy {
            wake(Wakeups { keys: woken });
        }
        sched::sleep(chan_of(handed.wait));
        return Some(match unpark(task) {
            Some(len) => Ok(len),
            None => receive(task, Name(receive_on), buf, room, timeout, false),
        });
    }
    let (at, slot, out) =
        parked_receiver(parked, &mut table, target.receiver, target.key, (msg.len(), Some(frame)))?;
    let handed = ipc.hand_off_rpc(target)?;
    let reply = handed.reply.map(|name| (name, RightKind::SendOnce));
    lay_out_words(msg, handed.member, reply, out);
    // The receiver leaves the parked list, the caller takes its place.
    parked[at] = Parked { key: handed.wait, slot: me, pid: task.0, buf, size: room };
    wake_handed(&mut table, slot, size);
    let chan = chan_of(handed.wait);
    let switch = sched::hand_over(&mut table, chan, slot);
    drop(table);
    drop(guard);
    match switch {
        Some(switch) => switch.run(),
        None => sched::sleep(chan),
    }
    match unpark(task) {
        Some(len) => Some(Ok(len)),
        None => Some(receive(task, Name(receive_on), buf, room, timeout, false)),
    }
}

/// Hands the message `msg` (the sender's words, in `frame`), of `task`'s, with `header`, to
/// the receiver `direct` names, if it is parked in a receive on the port with room for it:
/// the header's rights are moved at once ([`Ipc::send_direct`]), the message is laid out in
/// the receiver's buffer, and the receiver is woken with it. Gives the receiver's slot and
/// what else the send woke. `None` (nothing changed) when the receiver is not parked or its
/// buffer is not resident; `Some(Err)` when the send is refused.
fn hand_to_parked(
    ports: &mut Ports,
    table: &mut proc::Table,
    task: TaskId,
    (msg, frame): (&[u32], Frame),
    header: Header,
    direct: Direct,
) -> Option<Result<(usize, Wakeups), Errno>> {
    let (at, slot, out) =
        parked_receiver(&ports.parked, table, direct.receiver, direct.key, (msg.len(), Some(frame)))?;
    let ((port, reply), wakeups) = match ports.ipc.send_direct(task, header, direct) {
        Ok(sent) => sent,
        Err(e) => return Some(Err(errno(e))),
    };
    lay_out_words(msg, port, reply, out);
    ports.parked.swap_remove(at);
    wake_handed(table, slot, msg.len() as u32 * 4);
    Some(Ok((slot, wakeups)))
}

/// The receiver `receiver` parked in a receive on `key` with room for a message of `len` words
/// (the sender's, in `frame` if a process sent it), asleep there: its place in `parked`, its
/// slot and the message's place in its buffer (not the sender's page), for the message to be
/// written into before it is woken. `None` when there is none or its buffer is not resident.
#[inline(always)]
fn parked_receiver<'a>(
    parked: &[Parked],
    table: &mut proc::Table,
    receiver: TaskId,
    key: u64,
    (len, frame): (usize, Option<Frame>),
) -> Option<(usize, usize, &'a mut [u32])> {
    let at = parked.iter().position(|p| p.key == key && p.pid == receiver.0)?;
    let Parked { slot, buf, size: room, .. } = parked[at];
    let size = len as u32 * 4;
    let proc = table.slots.get_mut(slot)?.as_deref_mut()?;
    let asleep = matches!(proc.state, proc::State::Sleeping(chan) if chan == chan_of(key));
    if room < size || proc.pid != receiver.0 || !asleep {
        return None;
    }
    let (words, to) = proc.space.as_ref()?.resident_words(buf, size as usize, vm::Access::Write)?;
    if frame == Some(to) {
        return None;
    }
    // Safety: the buffer lies in one page the receiver's table maps writable
    // (`resident_words`), held by one of the VM's objects while mapped, and it is not the
    // sender's page (checked above; a message from the kernel has none), so it overlaps no other reference; the caller writes it
    // before it lets anything else run.
    Some((at, slot, unsafe { core::slice::from_raw_parts_mut(words, len) }))
}

/// Wakes the receiver in `slot`, which [`parked_receiver`] found asleep, with the `size` bytes
/// handed to it (it has left the parked list).
fn wake_handed(table: &mut proc::Table, slot: usize, size: u32) {
    if let Some(proc) = table.slots.get_mut(slot).and_then(Option::as_deref_mut) {
        proc.handed = Some(size);
        proc.state = proc::State::Runnable;
    }
}

/// The header of the message `msg` (its words) if it is well formed and all its items are
/// inline.
///
/// It reads the header as [`parse`] does, on its own: this is the RPC fast path, and sharing
/// `parse`'s reading (a `Result` with the header and the item count) cost the local RPC
/// benchmark 220 instructions a round trip (5,489 against 5,713).
#[inline(always)]
fn header_words(msg: &[u32]) -> Option<Header> {
    let [dest, dest_how, reply, reply_how, id, count, ..] = *msg else { return None };
    let dest = (Name(dest), disposition(dest_how).ok()?);
    let reply = match reply {
        0 => None,
        name => Some((Name(name), disposition(reply_how).ok()?)),
    };
    if count > MSG_ITEMS_MAX {
        return None;
    }
    let mut at = MsgHeader::SIZE / 4;
    for _ in 0..count {
        if *msg.get(at)? != MSG_ITEM_INLINE {
            return None;
        }
        at += 2 + (*msg.get(at + 1)? as usize).div_ceil(4);
    }
    (at == msg.len()).then_some(Header { dest, reply, id })
}

/// Lays the message `msg` (words [`header_words`] accepted) out in `out` as its receiver sees
/// it: the receiver's name for the port and the reply right, then the items as they are but
/// the padding of each, which the receiver sees zeroed.
#[inline(always)]
fn lay_out_words(msg: &[u32], port: Name, reply: Option<(Name, RightKind)>, out: &mut [u32]) {
    let (reply, right) = reply.map_or((0, 0), |(name, kind)| (name.0, right_word(kind)));
    // A word at a time: `copy_from_slice` would call `memcpy`.
    if let ([o0, o1, o2, o3, o4, o5, ..], [_, _, _, _, id, count, ..]) = (&mut *out, msg) {
        (*o0, *o1, *o2, *o3, *o4, *o5) = (port.0, reply, right, *id, *count, msg.len() as u32 * 4);
    }
    let mut at = MsgHeader::SIZE / 4;
    while at < msg.len() {
        let len = msg[at + 1] as usize;
        let end = at + 2 + len.div_ceil(4);
        // The last word's padding masked off as it goes (which also keeps the loop from
        // becoming a call of `memcpy`, dearer for a few words).
        let tail = match len % 4 {
            0 => u32::MAX,
            r => u32::MAX >> (32 - 8 * r),
        };
        let last = end - at - 1;
        for (i, (o, m)) in out[at..end].iter_mut().zip(&msg[at..end]).enumerate() {
            *o = *m & if i == last { tail } else { u32::MAX };
        }
        at = end;
    }
}

/// The current process (task `task`) woke from a sleep parked in a receive
/// ([`sleep_for_ever`]): the bytes of the message it was handed, if one was (the hand-off took
/// it off the parked list); else it leaves the list.
fn unpark(task: TaskId) -> Option<u32> {
    let handed = proc::table().current().handed.take();
    if handed.is_none() {
        with_ports(|p| {
            if let Some(at) = p.parked.iter().position(|parked| parked.pid == task.0) {
                p.parked.swap_remove(at);
            }
        });
    }
    handed
}

/// Sends the message `bytes` (copied in from the caller), waiting up to `timeout` for room.
fn send_bytes(task: TaskId, bytes: &[u8], timeout: u32) -> Result<u32, Errno> {
    let until = deadline_of(timeout);
    loop {
        let message = parse(bytes)?;
        match with_ipc(|ipc| ipc.send(task, message)) {
            Ok(wakeups) => {
                wake(wakeups);
                return Ok(0);
            }
            Err(IpcError::QueueFull) => {
                let dest = Name(word(bytes, 0)?);
                let key = with_ipc(|ipc| ipc.send_key(task, dest)).map_err(errno)?;
                wait(key, timeout, until, true)?;
            }
            Err(e) => return Err(errno(e)),
        }
    }
}

fn word(bytes: &[u8], at: usize) -> Result<u32, Errno> {
    let b = bytes.get(at..at + 4).ok_or(Errno::Inval)?;
    Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
}

/// A message from its user layout.
fn parse(bytes: &[u8]) -> Result<Message<Captured>, Errno> {
    let w = |i: usize| word(bytes, 4 * i);
    let dest = (Name(w(0)?), disposition(w(1)?)?);
    let reply = match w(2)? {
        0 => None,
        name => Some((Name(name), disposition(w(3)?)?)),
    };
    let (id, count) = (w(4)?, w(5)? as usize);
    if count > MSG_ITEMS_MAX as usize {
        return Err(Errno::Inval);
    }
    let mut at = MsgHeader::SIZE;
    let mut items = Vec::with_capacity(count);
    for _ in 0..count {
        match word(bytes, at)? {
            MSG_ITEM_INLINE => {
                let len = word(bytes, at + 4)? as usize;
                let data = bytes.get(at + 8..at + 8 + len).ok_or(Errno::Inval)?;
                items.push(Item::Inline(data.to_vec()));
                at += 8 + len.next_multiple_of(4);
            }
            MSG_ITEM_PORT => {
                items.push(Item::Port(Name(word(bytes, at + 4)?), disposition(word(bytes, at + 8)?)?));
                at += 12;
            }
            MSG_ITEM_MEMORY => {
                let (addr, size) = (word(bytes, at + 4)?, word(bytes, at + 8)?);
                let captured = proc::table().current().space().capture(addr, size)?;
                items.push(Item::Memory(captured));
                at += 12;
            }
            _ => return Err(Errno::Inval),
        }
    }
    if at != bytes.len() {
        return Err(Errno::Inval);
    }
    Ok(Message { header: Header { dest, reply, id }, items })
}

/// Bytes of an inline item of `len` bytes in a message's user layout: its kind and length
/// words, then the bytes padded to a word.
fn inline_item_size(len: usize) -> usize {
    8 + len.next_multiple_of(4)
}

/// Bytes of a right or an out-of-line region in a message's user layout: three words.
const OTHER_ITEM_SIZE: usize = 12;

/// The bytes of a received message in its user layout.
fn layout_size(received: &Received<Captured>) -> usize {
    received.items.iter().fold(MsgHeader::SIZE, |size, item| {
        size + match item {
            ReceivedItem::Inline(data) => inline_item_size(data.len()),
            ReceivedItem::Port(..) | ReceivedItem::Memory(_) => OTHER_ITEM_SIZE,
        }
    })
}

/// Lays a received message out in `out` (of [`layout_size`] bytes) in its user layout; its
/// out-of-line regions are placed in the current process's space (one that finds no room
/// there is dropped: address 0, its size kept).
fn layout(received: Received<Captured>, out: &mut [u8]) {
    fn put(out: &mut [u8], at: &mut usize, v: u32) {
        out[*at..*at + 4].copy_from_slice(&v.to_le_bytes());
        *at += 4;
    }
    let mut at = 0;
    let (reply, reply_right) = received.reply.map_or((0, 0), |(n, k)| (n.0, right_word(k)));
    let size = out.len() as u32;
    for v in [received.port.0, reply, reply_right, received.id, received.items.len() as u32, size] {
        put(out, &mut at, v);
    }
    for item in received.items {
        match item {
            ReceivedItem::Inline(data) => {
                put(out, &mut at, MSG_ITEM_INLINE);
                put(out, &mut at, data.len() as u32);
                let padded = data.len().next_multiple_of(4);
                out[at..at + data.len()].copy_from_slice(&data);
                out[at + data.len()..at + padded].fill(0);
                at += padded;
            }
            ReceivedItem::Port(name, kind) => {
                for v in [MSG_ITEM_PORT, name.0, right_word(kind)] {
                    put(out, &mut at, v);
                }
            }
            ReceivedItem::Memory(captured) => {
                let size = captured.size();
                let addr = proc::table().current().space().place(captured).unwrap_or(0);
                for v in [MSG_ITEM_MEMORY, addr, size] {
                    put(out, &mut at, v);
                }
            }
        }
    }
}

/// `msg_receive(name, buf, size, timeout) -> bytes`, and the receive half of `msg_rpc` (not
/// `movable`: see [`wait`]).
fn receive(task: TaskId, name: Name, buf: u32, size: u32, timeout: u32, movable: bool) -> Result<u32, Errno> {
    proc::table().current().space().check(buf, size as usize, crate::vm::Access::Write)?;
    let until = deadline_of(timeout);
    loop {
        let (received, wakeups, key) = with_ipc(|ipc| {
            ipc.receive_within(task, name, size as usize, MsgHeader::SIZE, inline_item_size, OTHER_ITEM_SIZE)
        })
        .map_err(errno)?;
        // (A receive that found nothing wakes no one and gives the service no work.)
        if !wakeups.keys.is_empty() {
            wake(wakeups);
        }
        let received = received.map_err(|_| Errno::TooBig)?;
        match received {
            Some(message) => {
                let len = layout_size(&message);
                // Laid out in place when the buffer's part lies in one resident page (and no
                // out-of-line region needs placing in the space).
                let in_place = !message.items.iter().any(|i| matches!(i, ReceivedItem::Memory(_)));
                let mut message = Some(message);
                if in_place {
                    proc::table().current().space().in_place(buf, len, vm::Access::Write, |bytes| {
                        if let Some(message) = message.take() {
                            layout(message, bytes);
                        }
                    });
                }
                if let Some(message) = message {
                    with_scratch(len, |bytes| {
                        layout(message, bytes);
                        copy_out(buf, bytes)
                    })?;
                }
                return Ok(len as u32);
            }
            None if timeout == FOREVER => {
                may_wait(timeout, until, movable)?;
                // A receiver on a port (not a set) can be handed its message (`hand_off`).
                let parks = key >> 32 == 1;
                sleep_for_ever(key, parks.then_some((task, buf, size)));
                if parks {
                    if let Some(len) = unpark(task) {
                        return Ok(len);
                    }
                }
            }
            None => wait(key, timeout, until, movable)?,
        }
    }
}

/// The current process faulted on page `index` of external object `object` for `access`:
/// asks its pager (once) for the page (`MO_DATA_REQUEST`) or, if it is resident but locked
/// against the access, to unlock it (`MO_DATA_UNLOCK`), and waits. True when the access should
/// be tried again (the page came or was unlocked, or a signal is pending); false when the
/// pager is dead or did not answer within `PAGER_TIMEOUT_TICKS` (the process gets `SIGBUS`).
pub fn page_in(object: ObjectId, index: u32, access: vm::Access) -> bool {
    page_in_as(object, index, access, true)
}

/// [`page_in`], waiting through signals if not `interruptible` (the kernel's own copies a
/// signal's delivery makes, which cannot be left for later).
pub fn page_in_as(object: ObjectId, index: u32, access: vm::Access, interruptible: bool) -> bool {
    loop {
        if vm::accessible(object, index, access) || (interruptible && signal::interrupted()) {
            return true;
        }
        let (state, woken) = with_ports(|p| {
            let mut woken = Vec::new();
            (p.net.page_request(&mut p.ipc, object, index, access, timer::ticks(), &mut woken), woken)
        });
        wake(Wakeups { keys: woken });
        match state {
            PageIn::Failed => return false,
            PageIn::Gone => return true,
            PageIn::Wait(id) => sched::sleep(Chan::new(&PAGE_IN, id)),
        }
    }
}

/// Frames a reclaim after a fault that found none frees at most.
const RECLAIM_BATCH: u32 = 16;

/// Below this many free frames the tick reclaims pages of external objects ...
const FREE_LOW: u32 = 32;
/// ... until this many are free (or none is left to reclaim).
const FREE_HIGH: u32 = 64;

/// Frees up to `want` frames by page replacement (docs/pagers.md, *Page replacement*): pages
/// of external objects, chosen by the second-chance clock, written ones sent back to their
/// pagers first. How many it freed.
pub fn reclaim(want: u32) -> u32 {
    let (freed, woken) = with_ports(|p| {
        let mut woken = Vec::new();
        (p.net.reclaim(&mut p.ipc, want, &mut woken), woken)
    });
    wake(Wakeups { keys: woken });
    freed
}

/// The current process found no frame: frees some by page replacement, or else waits for the
/// default pager to make room ([`memory_wait`]). True when the access that found none should
/// run again; false when nothing can make room (the access fails, or the fault is fatal).
pub fn make_room() -> bool {
    reclaim(RECLAIM_BATCH) > 0 || memory_wait()
}

/// The current process found no frame and none could be reclaimed: if the node's default
/// pager can make room soon — pages on their way to it fill the kernel heap, or a process
/// image being read holds anonymous memory in — waits a tick and says so (the access runs
/// again); false if waiting would not help (no default pager, or the process is it).
pub fn memory_wait() -> bool {
    let pid = proc::table().current().pid;
    if !with_ports(|p| p.net.pages_for(pid)) || signal::signalled() {
        return false;
    }
    sched::sleep(chan::tick());
    true
}

/// The tick: waits whose time is up end ([`sleep_timed`]), pager requests that waited too long
/// fail, external objects mapped nowhere end, and with fewer than `FREE_LOW` frames free, pages
/// are reclaimed up to `FREE_HIGH`.
pub fn tick() {
    send_later();
    let woken = with_ports(|p| {
        let now = timer::ticks();
        for &(slot, key, _) in p.timed.iter().filter(|t| t.2 <= now) {
            proc::table().wake_slot(slot, chan_of(key));
        }
        let mut woken = Vec::new();
        if p.net.has_pagers() {
            p.net.pager_tick(&mut p.ipc, now, &mut woken);
            let free = crate::frame::stats().0;
            if free < FREE_LOW {
                p.net.reclaim(&mut p.ipc, FREE_HIGH - free, &mut woken);
            }
        }
        woken
    });
    if !woken.is_empty() {
        wake(Wakeups { keys: woken });
    }
}

/// When an idle node must wake for a pager request's timeout, if one is outstanding, or for
/// the end of a wait with a time limit ([`sleep_timed`]).
pub fn deadline() -> Option<u64> {
    let tick = with_ports(|p| {
        let timed = p.timed.iter().map(|t| t.2).min();
        [p.net.pager_deadline(timer::ticks()), timed].into_iter().flatten().min()
    });
    tick.map(|tick| u64::from(tick) * ox_abi::TICK_NS)
}

/// Whether process `pid`'s port name space can move with it to another node
/// ([`Net::space_can_move`](netmsg::Net::space_can_move)).
pub fn space_can_move(pid: u32) -> bool {
    with_ports(|p| p.net.space_can_move(&p.ipc, pid))
}

/// Sends the port name space of process `pid`, frozen to migrate to node `to`, there
/// ([`Net::send_space`](netmsg::Net::send_space)): on its way before this returns, so ahead of
/// anything the caller sends after. The number of names.
pub fn send_space(pid: u32, to: u32) -> Result<u32, Errno> {
    let (sent, woken) = with_ports(|p| {
        let mut woken = Vec::new();
        (p.net.send_space(&mut p.ipc, pid, to, &mut woken), woken)
    });
    wake(Wakeups { keys: woken });
    settle();
    sent
}

/// Process `pid`'s image is coming here: its port name space may follow
/// ([`Net::arriving`](netmsg::Net::arriving)), until [`space_arrived`].
pub fn space_arriving(pid: u32) {
    with_ports(|p| p.net.arriving(pid));
}

/// Process `pid` arrived here, or will not: no port name space is taken for it any more.
pub fn space_arrived(pid: u32) {
    with_ports(|p| p.net.arrived(pid));
}

/// Process `pid` ended: every right it held is released (its ports die, their senders see
/// dead names).
pub fn task_exit(pid: u32) {
    let woken = with_ports(|p| {
        p.parked.retain(|parked| parked.pid != pid);
        let mut woken = p.ipc.remove_task(TaskId(pid)).keys;
        p.net.task_gone(&mut p.ipc, pid, &mut woken);
        woken
    });
    wake(Wakeups { keys: woken });
}

/// Puts the ports' counters in `stats`: ports, names (port sets included) and queued
/// messages alive on this node — less the network message service's standing ports (its
/// notification port, and the name service's on the central), so that a node with nothing
/// in use counts 0 — and adds the port messages from other nodes it dropped to `dropped`.
pub fn count_into(stats: &mut ox_abi::NodeStats) {
    let (counts, (ports, names), dropped) = with_ports(|p| (p.ipc.counts(), p.net.standing(), p.net.dropped));
    stats.dropped = stats.dropped.wrapping_add(dropped);
    stats.ports = counts.ports.saturating_sub(ports) as u32;
    stats.port_names = (counts.names + counts.sets).saturating_sub(names) as u32;
    stats.port_messages = counts.messages as u32;
}
