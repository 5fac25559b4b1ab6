//! Mach ports (docs/ports.md): `port_*` and `msg_*` over this process's port name space.
//! Names and rights are `u32`s as the ABI gives them (`PORT_RIGHT_*`, `MSG_*` dispositions,
//! `NOTIFY_*`); messages are built with [`Msg`] and come back as [`Got`] — or, where every
//! instruction counts, are built and received in place in a [`RawMsg`], which allocates
//! nothing.

use alloc::vec;
use alloc::vec::Vec;

use ox_abi::{
    Errno, Syscall, MSG_ITEMS_MAX, MSG_ITEM_INLINE, MSG_ITEM_MEMORY, MSG_ITEM_PORT, MSG_SIZE_MAX, NS_LOOKUP,
    NS_REGISTER, TASK_INFO, TASK_TERMINATE,
};

use crate::sys::{raw_syscall, Pid};

pub use ox_abi::{
    MSG_COPY_SEND, MSG_MAKE_SEND, MSG_MAKE_SEND_ONCE, MSG_MOVE_RECEIVE, MSG_MOVE_SEND, MSG_MOVE_SEND_ONCE,
    NOTIFY_DEAD_NAME, NOTIFY_NO_SENDERS, NOTIFY_PORT_DELETED, NOTIFY_PORT_DESTROYED, NOTIFY_SEND_ONCE,
    PORT_RIGHT_DEAD_NAME, PORT_RIGHT_PORT_SET, PORT_RIGHT_RECEIVE, PORT_RIGHT_SEND, PORT_RIGHT_SEND_ONCE,
    PORT_TYPE_DEAD_NAME, PORT_TYPE_PORT_SET, PORT_TYPE_RECEIVE, PORT_TYPE_SEND, PORT_TYPE_SEND_ONCE,
};

/// Wait for ever (a timeout).
pub const FOREVER: u32 = u32::MAX;

fn call(number: Syscall, args: [u32; 6]) -> Result<u32, Errno> {
    // Safety: the port calls touch only the buffers the message functions below pass, which
    // are valid for the access each makes.
    let result = unsafe { raw_syscall(number as u32, args) };
    match Errno::from_result(result) {
        Some(errno) => Err(errno),
        None => Ok(result as u32),
    }
}

/// A new port (its receive right), port set or dead name: `PORT_RIGHT_*`.
pub fn allocate(right: u32) -> Result<u32, Errno> {
    call(Syscall::PortAllocate, [right, 0, 0, 0, 0, 0])
}

/// One reference less of a send, send-once or dead name.
pub fn deallocate(name: u32) -> Result<(), Errno> {
    call(Syscall::PortDeallocate, [name, 0, 0, 0, 0, 0]).map(|_| ())
}

/// Every right under `name`.
pub fn destroy(name: u32) -> Result<(), Errno> {
    call(Syscall::PortDestroy, [name, 0, 0, 0, 0, 0]).map(|_| ())
}

/// Adds `delta` user references to the `right` under `name`.
pub fn mod_refs(name: u32, right: u32, delta: i32) -> Result<(), Errno> {
    call(Syscall::PortModRefs, [name, right, delta as u32, 0, 0, 0]).map(|_| ())
}

/// The rights `name` denotes (`PORT_TYPE_*` bits).
pub fn port_type(name: u32) -> Result<u32, Errno> {
    call(Syscall::PortType, [name, 0, 0, 0, 0, 0])
}

/// Gives process `pid` (this one, or a child on this node) the right `disposition` takes
/// from `name`, under `target`.
pub fn insert_right(name: u32, disposition: u32, pid: Pid, target: u32) -> Result<(), Errno> {
    call(Syscall::PortInsertRight, [name, disposition, pid, target, 0, 0]).map(|_| ())
}

/// The right `disposition` takes from `name`, under a name of its own (or its port's).
pub fn extract_right(name: u32, disposition: u32) -> Result<u32, Errno> {
    call(Syscall::PortExtractRight, [name, disposition, 0, 0, 0, 0])
}

/// The most messages `name`'s queue holds (at most 16).
pub fn set_qlimit(name: u32, limit: u32) -> Result<(), Errno> {
    call(Syscall::PortSetQlimit, [name, limit, 0, 0, 0, 0]).map(|_| ())
}

/// Puts the port `member` receives from into `set` (0: out of any set).
pub fn move_member(member: u32, set: u32) -> Result<(), Errno> {
    call(Syscall::PortMoveMember, [member, set, 0, 0, 0, 0]).map(|_| ())
}

/// Asks for `what` (`NOTIFY_*`) about `name`, sent to the port `notify` receives from.
pub fn request_notification(name: u32, what: u32, notify: u32) -> Result<(), Errno> {
    call(Syscall::PortRequestNotification, [name, what, notify, 0, 0, 0]).map(|_| ())
}

/// A send right to the name service on the central (the bootstrap port), from any node.
pub fn bootstrap() -> Result<u32, Errno> {
    call(Syscall::PortBootstrap, [0; 6])
}

/// Maps `size` bytes (a page multiple) of the memory object whose port `memory_object` names
/// (a send right) anywhere, readable and writable; its address. The pages come from the
/// external pager receiving on that port (docs/pagers.md): a fault on one the pager has not
/// provided waits for it, and gets `SIGBUS` if the pager is dead or does not answer.
pub fn vm_map(memory_object: u32, size: u32) -> Result<u32, Errno> {
    call(Syscall::VmMap, [memory_object, size, 0, 0, 0, 0])
}

/// Makes this process its node's default pager (docs/pagers.md, *The default pager*): the
/// kernel sends `MO_CREATE` to the port `port` names (a receive or send right) when it first
/// pages out an anonymous object, and this process's memory is wired. `EBUSY` if the node has
/// one.
pub fn set_default_pager(port: u32) -> Result<(), Errno> {
    call(Syscall::VmSetDefaultPager, [port, 0, 0, 0, 0, 0]).map(|_| ())
}

/// A send right to this process's task port (`TASK_INFO`, `TASK_TERMINATE`).
pub fn task_self() -> Result<u32, Errno> {
    call(Syscall::TaskSelf, [0; 6])
}

/// Sends `msg` to `dest` (a send right, copied) with a send-once reply right to a port made
/// for the call, and waits up to `timeout` ticks for the answer (Mach's `mach_msg` with send
/// and receive): the answer, or the error of either half.
pub fn rpc(dest: u32, id: u32, items: Vec<SendItem>, timeout: u32) -> Result<Got, Errno> {
    let reply = allocate(PORT_RIGHT_RECEIVE)?;
    let msg = Msg { dest: (dest, MSG_COPY_SEND), reply: (reply, MSG_MAKE_SEND_ONCE), id, items };
    let answer = send(&msg, timeout).and_then(|()| receive(reply, timeout));
    destroy(reply)?;
    answer
}

/// The bytes a [`RawMsg`] holds, header and items.
pub const RAW_MSG_BYTES: usize = 256;

/// A message in the very layout `msg_send` reads and `msg_receive` writes (docs/ports.md,
/// *Messages*), in a buffer of its own: building, sending and receiving one touches no heap,
/// and [`rpc_raw`] sends one and receives the answer into another in a single call. The
/// form for a server's loop or a client's hot path; [`Msg`] and [`Got`] are the convenient
/// ones.
///
/// A message being built has the layout `msg_send` reads (destination and its disposition,
/// reply right and its disposition, id, item count); one received has the layout
/// `msg_receive` writes (the port it came to, reply right and its kind, id, item count,
/// size). The accessors read either.
#[derive(Clone)]
pub struct RawMsg {
    /// The message, a word at a time (the calls' layout is in words, little-endian as ox32
    /// is, so a header word is one load or store).
    words: [u32; RAW_MSG_WORDS],
    /// Bytes of it in use (a multiple of 4: items are padded to words).
    len: usize,
    /// Whether the words are a received message's.
    received: bool,
}

/// Words of a [`RawMsg`].
const RAW_MSG_WORDS: usize = RAW_MSG_BYTES / 4;

/// One item of a [`RawMsg`], borrowed from it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RawItem<'a> {
    /// Bytes.
    Inline(&'a [u8]),
    /// A right: its name and disposition (`MSG_*`) as sent, or kind (`PORT_RIGHT_*`) as
    /// received.
    Port(u32, u32),
    /// Out-of-line memory: an address and a size.
    Memory(u32, u32),
}

impl RawMsg {
    /// A message to `dest` (a name and a disposition), with the reply right `reply` (name 0:
    /// none) and `id`, and no items yet.
    pub fn new(dest: (u32, u32), reply: (u32, u32), id: u32) -> RawMsg {
        let mut msg = RawMsg::empty();
        msg.start(dest, reply, id);
        msg
    }

    /// A buffer to receive into.
    pub fn empty() -> RawMsg {
        RawMsg { words: [0; RAW_MSG_WORDS], len: 0, received: false }
    }

    /// Makes this buffer a new message, as [`RawMsg::new`] does, without clearing it all: a
    /// loop that sends one message after another reuses one buffer.
    pub fn start(&mut self, dest: (u32, u32), reply: (u32, u32), id: u32) -> &mut RawMsg {
        // A word at a time: `copy_from_slice` would call `memcpy` for every message.
        let [a, b, c, d, e, f, ..] = &mut self.words;
        (*a, *b, *c, *d, *e, *f) =
            (dest.0.to_le(), dest.1.to_le(), reply.0.to_le(), reply.1.to_le(), id.to_le(), 0);
        self.len = 24;
        self.received = false;
        self
    }

    /// The whole buffer as bytes.
    fn bytes(&self) -> &[u8] {
        // Safety: the words are initialised memory of RAW_MSG_BYTES bytes, any byte value is
        // a valid u8, and u8 needs no alignment; the slice borrows `self`.
        unsafe { core::slice::from_raw_parts(self.words.as_ptr().cast::<u8>(), RAW_MSG_BYTES) }
    }

    /// The word at byte `at` (word-aligned), if it is in the buffer.
    fn word_at(&self, at: usize) -> Option<u32> {
        self.words.get(at / 4).map(|w| u32::from_le(*w))
    }

    /// Makes room for an item of `words` words at the end: the word it starts at. `E2BIG` if
    /// it does not fit, or the message is a received one.
    fn room(&mut self, words: usize) -> Result<usize, Errno> {
        let at = self.len / 4;
        if self.received || self.len < 24 || at + words > RAW_MSG_WORDS || self.words[5] >= MSG_ITEMS_MAX {
            return Err(Errno::TooBig);
        }
        self.len += 4 * words;
        self.words[5] += 1;
        Ok(at)
    }

    /// Appends inline bytes (`E2BIG` if they do not fit, or the message is a received one).
    pub fn inline(&mut self, data: &[u8]) -> Result<&mut RawMsg, Errno> {
        let words = data.len().div_ceil(4);
        let at = self.room(2 + words)?;
        let item = &mut self.words[at..at + 2 + words];
        item[0] = MSG_ITEM_INLINE.to_le();
        item[1] = (data.len() as u32).to_le();
        let body = &mut item[2..];
        // The bytes a word at a time, the last word's padding zeroed: an RPC's few bytes do
        // not pay for `memcpy` calls. Word-aligned bytes (a received message's) are read a
        // word at a time too.
        // Safety: any four bytes are a valid `u32`; `align_to` gives only the aligned middle
        // as words, the rest as bytes.
        let (head, aligned, _) = unsafe { data.align_to::<u32>() };
        if head.is_empty() {
            for (word, from) in body.iter_mut().zip(aligned) {
                *word = *from;
            }
        } else {
            for (word, chunk) in body.iter_mut().zip(data.chunks_exact(4)) {
                *word = u32::from_ne_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]);
            }
        }
        let whole = data.len() / 4;
        let rest = &data[4 * whole..];
        if !rest.is_empty() {
            let mut bytes = [0; 4];
            bytes[..rest.len()].copy_from_slice(rest);
            body[whole] = u32::from_ne_bytes(bytes);
        }
        Ok(self)
    }

    /// Appends a right: `name` used as `disposition` (`MSG_*`).
    pub fn port(&mut self, name: u32, disposition: u32) -> Result<&mut RawMsg, Errno> {
        let at = self.room(3)?;
        self.words[at..at + 3].copy_from_slice(&[MSG_ITEM_PORT.to_le(), name.to_le(), disposition.to_le()]);
        Ok(self)
    }

    /// Appends out-of-line memory (page multiples), sent copy-on-write.
    pub fn memory(&mut self, addr: u32, size: u32) -> Result<&mut RawMsg, Errno> {
        let at = self.room(3)?;
        self.words[at..at + 3].copy_from_slice(&[MSG_ITEM_MEMORY.to_le(), addr.to_le(), size.to_le()]);
        Ok(self)
    }

    /// The message's bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes()[..self.len]
    }

    /// Received: the name of the port it came to; being built: the destination's.
    pub fn port_name(&self) -> u32 {
        u32::from_le(self.words[0])
    }

    /// The reply right: its name (0: none) and its kind (`PORT_RIGHT_*`) if received, its
    /// disposition (`MSG_*`) if being built.
    pub fn reply(&self) -> (u32, u32) {
        let at = if self.received { 1 } else { 2 };
        (u32::from_le(self.words[at]), u32::from_le(self.words[at + 1]))
    }

    /// The message's id.
    pub fn id(&self) -> u32 {
        u32::from_le(self.words[if self.received { 3 } else { 4 }])
    }

    /// The items, in order (a malformed one ends them).
    pub fn items(&self) -> impl Iterator<Item = RawItem<'_>> {
        let mut at = 24;
        let count = u32::from_le(self.words[if self.received { 4 } else { 5 }]);
        (0..count).map_while(move |_| {
            let item = match self.word_at(at)? {
                MSG_ITEM_INLINE => {
                    let len = self.word_at(at + 4)? as usize;
                    let data = self.as_bytes().get(at + 8..at + 8 + len)?;
                    at += 8 + len.next_multiple_of(4);
                    RawItem::Inline(data)
                }
                MSG_ITEM_PORT => {
                    at += 12;
                    RawItem::Port(self.word_at(at - 8)?, self.word_at(at - 4)?)
                }
                MSG_ITEM_MEMORY => {
                    at += 12;
                    RawItem::Memory(self.word_at(at - 8)?, self.word_at(at - 4)?)
                }
                _ => return None,
            };
            Some(item)
        })
    }

    /// A received message as a [`Got`] (`None` if malformed, or not a received one).
    pub fn to_got(&self) -> Option<Got> {
        self.received.then(|| decode(self.as_bytes())).flatten()
    }

    /// Takes what a receive of `n` bytes left in the buffer.
    fn received(&mut self, n: u32) -> Result<(), Errno> {
        if n as usize > RAW_MSG_BYTES || n < 24 || n % 4 != 0 {
            return Err(Errno::Inval);
        }
        self.len = n as usize;
        self.received = true;
        Ok(())
    }
}

/// Sends `msg`, waiting up to `timeout` ticks for room, as [`send`] does.
pub fn send_raw(msg: &RawMsg, timeout: u32) -> Result<(), Errno> {
    let bytes = msg.as_bytes();
    call(Syscall::MsgSend, [bytes.as_ptr() as u32, bytes.len() as u32, timeout, 0, 0, 0]).map(|_| ())
}

/// Receives from a port or port set into `msg`, waiting up to `timeout` ticks: `E2BIG`, the
/// message left queued, if it is larger than [`RAW_MSG_BYTES`].
pub fn receive_raw(name: u32, msg: &mut RawMsg, timeout: u32) -> Result<(), Errno> {
    let args = [name, msg.words.as_mut_ptr() as u32, RAW_MSG_BYTES as u32, timeout, 0, 0];
    let n = call(Syscall::MsgReceive, args)?;
    msg.received(n)
}

/// Sends `msg` and then receives from `name` into `answer`, in one call (`msg_rpc`, Mach's
/// `mach_msg` with send and receive): a client's request and the wait for its answer on its
/// reply port, or a server's answer and the wait for its next request. A failed send
/// receives nothing; `timeout` bounds each half.
pub fn rpc_raw(msg: &RawMsg, name: u32, answer: &mut RawMsg, timeout: u32) -> Result<(), Errno> {
    let bytes = msg.as_bytes();
    let args = [
        bytes.as_ptr() as u32,
        bytes.len() as u32,
        name,
        answer.words.as_mut_ptr() as u32,
        RAW_MSG_BYTES as u32,
        timeout,
    ];
    let n = call(Syscall::MsgRpc, args)?;
    answer.received(n)
}

/// The errno word an answer of the name service or a task port opens with: `Ok` for 0.
fn status(got: &Got) -> Result<(), Errno> {
    let word = match got.items.first() {
        Some(GotItem::Inline(bytes)) if bytes.len() >= 4 => {
            u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]])
        }
        _ => return Err(Errno::Inval),
    };
    match word {
        0 => Ok(()),
        n => Err(Errno::ALL.into_iter().find(|e| *e as u32 == n).unwrap_or(Errno::Inval)),
    }
}

/// Registers a send right to `port` (made from its receive right, or copied from a send
/// right: `disposition`) under `name` in the name service. `EEXIST` if a live port has the
/// name.
pub fn register(name: &str, port: u32, disposition: u32) -> Result<(), Errno> {
    let ns = bootstrap()?;
    let items = vec![SendItem::Inline(name.as_bytes().to_vec()), SendItem::Port(port, disposition)];
    let answer = rpc(ns, NS_REGISTER, items, FOREVER);
    deallocate(ns)?;
    status(&answer?)
}

/// A send right to the port registered under `name` (`ENOENT` if none is, or it died).
pub fn lookup(name: &str) -> Result<u32, Errno> {
    let ns = bootstrap()?;
    let answer = rpc(ns, NS_LOOKUP, vec![SendItem::Inline(name.as_bytes().to_vec())], FOREVER);
    deallocate(ns)?;
    let answer = answer?;
    status(&answer)?;
    match answer.items.get(1) {
        Some(&GotItem::Port(right, PORT_RIGHT_SEND)) => Ok(right),
        _ => Err(Errno::Inval),
    }
}

/// Asks the task port `task` for its task's pid and node.
pub fn task_info(task: u32) -> Result<(u32, u32), Errno> {
    let answer = rpc(task, TASK_INFO, Vec::new(), FOREVER)?;
    status(&answer)?;
    match answer.items.first() {
        Some(GotItem::Inline(b)) if b.len() == 12 => {
            let word = |i: usize| u32::from_le_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]);
            Ok((word(4), word(8)))
        }
        _ => Err(Errno::Inval),
    }
}

/// Kills the task of task port `task`.
pub fn task_terminate(task: u32) -> Result<(), Errno> {
    status(&rpc(task, TASK_TERMINATE, Vec::new(), FOREVER)?)
}

/// One item of a message to send.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SendItem {
    /// Bytes.
    Inline(Vec<u8>),
    /// A right: a name and a disposition (`MSG_*`).
    Port(u32, u32),
    /// Out-of-line memory: an address and a size (page multiples), sent copy-on-write.
    Memory(u32, u32),
}

/// A message to send.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Msg {
    /// The destination name and the disposition of its right.
    pub dest: (u32, u32),
    /// A reply right and its disposition (name 0: none).
    pub reply: (u32, u32),
    /// The message's id.
    pub id: u32,
    /// The body.
    pub items: Vec<SendItem>,
}

impl Msg {
    /// A message to `dest` (used as `disposition`) with `id` and `items`, no reply right.
    pub fn new(dest: u32, disposition: u32, id: u32, items: Vec<SendItem>) -> Msg {
        Msg { dest: (dest, disposition), reply: (0, 0), id, items }
    }

    /// The bytes `msg_send` reads.
    pub fn encode(&self) -> Vec<u8> {
        let size = self.items.iter().fold(24, |size, item| {
            size + match item {
                SendItem::Inline(data) => 8 + data.len().next_multiple_of(4),
                SendItem::Port(..) | SendItem::Memory(..) => 12,
            }
        });
        let mut out = Vec::with_capacity(size);
        let push = |out: &mut Vec<u8>, v: u32| out.extend_from_slice(&v.to_le_bytes());
        for v in [self.dest.0, self.dest.1, self.reply.0, self.reply.1, self.id, self.items.len() as u32] {
            push(&mut out, v);
        }
        for item in &self.items {
            match item {
                SendItem::Inline(data) => {
                    push(&mut out, MSG_ITEM_INLINE);
                    push(&mut out, data.len() as u32);
                    out.extend_from_slice(data);
                    out.resize(out.len().next_multiple_of(4), 0);
                }
                SendItem::Port(name, disposition) => {
                    for v in [MSG_ITEM_PORT, *name, *disposition] {
                        push(&mut out, v);
                    }
                }
                SendItem::Memory(addr, size) => {
                    for v in [MSG_ITEM_MEMORY, *addr, *size] {
                        push(&mut out, v);
                    }
                }
            }
        }
        out
    }
}

/// One item of a received message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum GotItem {
    /// Bytes.
    Inline(Vec<u8>),
    /// A right, now this process's: its name and kind (`PORT_RIGHT_*`).
    Port(u32, u32),
    /// Out-of-line memory, now mapped in this process: its address (0 if there was no room
    /// for it) and size. `vm::deallocate` gives it back.
    Memory(u32, u32),
}

/// A received message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Got {
    /// The name of the port it came to.
    pub port: u32,
    /// The reply right and its kind (name 0: none).
    pub reply: (u32, u32),
    /// The sender's id.
    pub id: u32,
    /// The body.
    pub items: Vec<GotItem>,
}

/// Sends `msg`, waiting up to `timeout` ticks for room ([`FOREVER`], or 0 to poll).
pub fn send(msg: &Msg, timeout: u32) -> Result<(), Errno> {
    let bytes = msg.encode();
    call(Syscall::MsgSend, [bytes.as_ptr() as u32, bytes.len() as u32, timeout, 0, 0, 0]).map(|_| ())
}

/// Receives from a port or port set, waiting up to `timeout` ticks. A small message comes
/// through a buffer on the stack; a larger one (the kernel says `E2BIG` and keeps it queued)
/// through one of `MSG_SIZE_MAX` bytes.
pub fn receive(name: u32, timeout: u32) -> Result<Got, Errno> {
    let mut small = [0u8; 256];
    match receive_into(name, &mut small, timeout) {
        Err(Errno::TooBig) => {
            let mut buf = vec![0u8; MSG_SIZE_MAX as usize];
            receive_into(name, &mut buf, timeout)
        }
        other => other,
    }
}

/// Receives into `buf` (`E2BIG`, the message left queued, if it does not fit).
pub fn receive_into(name: u32, buf: &mut [u8], timeout: u32) -> Result<Got, Errno> {
    let args = [name, buf.as_mut_ptr() as u32, buf.len() as u32, timeout, 0, 0];
    let n = call(Syscall::MsgReceive, args)? as usize;
    decode(&buf[..n]).ok_or(Errno::Inval)
}

fn decode(bytes: &[u8]) -> Option<Got> {
    let word = |at: usize| bytes.get(at..at + 4).map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]));
    let count = word(16)?;
    let mut got = Got {
        port: word(0)?,
        reply: (word(4)?, word(8)?),
        id: word(12)?,
        items: Vec::with_capacity((count as usize).min(MSG_ITEMS_MAX as usize)),
    };
    let mut at = 24;
    for _ in 0..count {
        match word(at)? {
            MSG_ITEM_INLINE => {
                let len = word(at + 4)? as usize;
                got.items.push(GotItem::Inline(bytes.get(at + 8..at + 8 + len)?.to_vec()));
                at += 8 + len.next_multiple_of(4);
            }
            MSG_ITEM_PORT => {
                got.items.push(GotItem::Port(word(at + 4)?, word(at + 8)?));
                at += 12;
            }
            MSG_ITEM_MEMORY => {
                got.items.push(GotItem::Memory(word(at + 4)?, word(at + 8)?));
                at += 12;
            }
            _ => return None,
        }
    }
    Some(got)
}
