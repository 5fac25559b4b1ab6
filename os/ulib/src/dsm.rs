//! Distributed shared memory (docs/dsm.md): a server that is an external pager
//! (docs/pagers.md) giving tasks on different nodes one shared region, and the calls that map
//! it.
//!
//! The algorithm is Li and Hudak's write-invalidate protocol with a central manager (*Memory
//! Coherence in Shared Virtual Memory Systems*, 1989), spoken through Mach's memory object
//! interface as Mach's netmemoryserver did (Forin et al., *The Shared Memory Server*, 1989).
//! Each node's kernel caches the object's pages; the server keeps, for every page, the master
//! copy and who holds it:
//! - **read-shared**: any number of nodes hold a read-only copy (provided with a write lock);
//! - **exclusive**: exactly one node holds the only copy, writable.
//!
//! A read fault of a page held exclusive first has the writer clean it and keep a read-only
//! copy (`MO_LOCK_REQUEST` clean + write lock: its `MO_DATA_WRITE` brings the data, then
//! `MO_LOCK_COMPLETED`); a write fault first has every other copy flushed (`MO_LOCK_REQUEST`
//! flush, each answered by `MO_LOCK_COMPLETED`), then grants write — a lock request lowering the
//! lock to the node that asked `MO_DATA_UNLOCK`, or the page provided writable. Requests for one
//! page are served one at a time, in the order they came: every access sees the last write
//! before it, so the memory is sequentially consistent.

use alloc::collections::VecDeque;
use alloc::format;
use alloc::vec;
use alloc::vec::Vec;

use ox_abi::{
    Errno, MO_DATA_PROVIDED, MO_DATA_REQUEST, MO_DATA_UNLOCK, MO_DATA_WRITE, MO_INIT, MO_LOCK_CLEAN,
    MO_LOCK_COMPLETED, MO_LOCK_FLUSH, MO_LOCK_REQUEST, MO_TERMINATE, VM_PROT_WRITE,
};

use crate::port::{
    self, Got, GotItem, Msg, SendItem, FOREVER, MSG_COPY_SEND, MSG_MAKE_SEND, MSG_MAKE_SEND_ONCE,
    PORT_RIGHT_SEND,
};
use crate::sys;

/// Bytes of a page.
const PAGE: usize = 4096;

/// How often, in ticks, a server waiting for a node's lock completion checks the node lives.
const DEAD_CHECK_TICKS: u32 = 100;

/// To the server: end once no kernel maps the region any more.
pub const DSM_QUIT: u32 = 0x4453_4d01;
/// To the server, with a reply right: answered with [`DSM_REPLY`], an inline of the
/// [`Stats`] words.
pub const DSM_STATS: u32 = 0x4453_4d02;
/// The id of the server's answers.
pub const DSM_REPLY: u32 = 0x4453_4d64;

/// What the server counted.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Faults served for reading (`MO_DATA_REQUEST` for read).
    pub read_faults: u32,
    /// Faults served for writing (`MO_DATA_REQUEST` or `MO_DATA_UNLOCK` for write).
    pub write_faults: u32,
    /// Messages exchanged with kernels of other nodes than the server's (each crosses links).
    pub remote_messages: u32,
    /// Lock requests sent (invalidations and cleanings).
    pub lock_requests: u32,
}

impl Stats {
    fn words(&self) -> [u32; 4] {
        [self.read_faults, self.write_faults, self.remote_messages, self.lock_requests]
    }
}

/// A fault a kernel reported: the node, whether it wants to write, and whether it holds the
/// page (locked: `MO_DATA_UNLOCK`) or not (`MO_DATA_REQUEST`).
#[derive(Clone, Copy, Debug)]
struct Request {
    node: u32,
    write: bool,
    unlock: bool,
}

/// The server's books on one page.
#[derive(Debug, Default)]
struct Page {
    /// The master copy (empty: zeros), current unless a node holds the page exclusive.
    data: Vec<u8>,
    /// Nodes holding a read-only copy.
    readers: Vec<u32>,
    /// The node holding the one writable copy.
    writer: Option<u32>,
    /// The request being served, once the nodes of `waiting` have completed their lock
    /// requests.
    serving: Option<Request>,
    waiting: Vec<u32>,
    /// Requests that came while one was being served, in order.
    queue: VecDeque<Request>,
}

/// The server.
struct Server {
    object: u32,
    me: u32,
    /// Each node's kernel's control port (from its `MO_INIT`).
    kernels: Vec<(u32, u32)>,
    pages: Vec<Page>,
    stats: Stats,
}

/// Runs a DSM server for a region of `pages` pages on the memory object port whose receive
/// right is `object`, registered under `name` in the name service, until it is asked to quit
/// ([`DSM_QUIT`]) and no kernel maps the region any more; what it counted.
pub fn serve(object: u32, name: &str, pages: u32) -> Result<Stats, Errno> {
    let (_, me) = port::task_info(port::task_self()?)?;
    port::register(name, object, MSG_MAKE_SEND)?;
    let mut server = Server {
        object,
        me,
        kernels: Vec::new(),
        pages: (0..pages).map(|_| Page::default()).collect(),
        stats: Stats::default(),
    };
    let mut quitting = false;
    loop {
        if quitting && server.kernels.is_empty() {
            return Ok(server.stats);
        }
        // While a lock request waits for a node, the node's death is looked for now and then:
        // a dead satellite never answers, nor ends the object.
        let waiting = server.pages.iter().any(|p| !p.waiting.is_empty());
        let got = match port::receive(object, if waiting { DEAD_CHECK_TICKS } else { FOREVER }) {
            Err(Errno::TimedOut) => {
                server.check_nodes();
                continue;
            }
            got => got?,
        };
        match got.id {
            DSM_QUIT => quitting = true,
            DSM_STATS => {
                let bytes = server.stats.words().iter().flat_map(|w| w.to_le_bytes()).collect();
                if got.reply.0 != 0 {
                    let reply = Msg::new(
                        got.reply.0,
                        port::MSG_MOVE_SEND_ONCE,
                        DSM_REPLY,
                        vec![SendItem::Inline(bytes)],
                    );
                    let _ = port::send(&reply, FOREVER);
                }
            }
            _ => server.kernel_message(&got),
        }
        drop_rights(&got);
    }
}

/// A send right to the DSM region registered under `name`, mapped: its address.
pub fn map(name: &str, size: u32) -> Result<u32, Errno> {
    let object = port::lookup(name)?;
    let mapped = port::vm_map(object, size);
    port::deallocate(object)?;
    mapped
}

/// Asks the server registered under `name` for its counters.
pub fn stats(name: &str) -> Result<Stats, Errno> {
    let server = port::lookup(name)?;
    let answer = port::rpc(server, DSM_STATS, Vec::new(), FOREVER);
    port::deallocate(server)?;
    match answer?.items.first() {
        Some(GotItem::Inline(b)) if b.len() == 16 => {
            let w = |i: usize| u32::from_le_bytes([b[4 * i], b[4 * i + 1], b[4 * i + 2], b[4 * i + 3]]);
            Ok(Stats { read_faults: w(0), write_faults: w(1), remote_messages: w(2), lock_requests: w(3) })
        }
        _ => Err(Errno::Inval),
    }
}

/// Asks the server registered under `name` to end once no kernel maps its region.
pub fn quit(name: &str) -> Result<(), Errno> {
    let server = port::lookup(name)?;
    let sent = port::send(&Msg::new(server, MSG_COPY_SEND, DSM_QUIT, Vec::new()), FOREVER);
    port::deallocate(server)?;
    sent
}

/// The words of an inline item of exactly `n` words.
fn words(item: Option<&GotItem>, n: usize) -> Option<Vec<u32>> {
    match item {
        Some(GotItem::Inline(b)) if b.len() == 4 * n => {
            Some(b.chunks_exact(4).map(|w| u32::from_le_bytes([w[0], w[1], w[2], w[3]])).collect())
        }
        _ => None,
    }
}

fn inline(words: &[u32]) -> SendItem {
    SendItem::Inline(words.iter().flat_map(|w| w.to_le_bytes()).collect())
}

/// Gives back the rights a message brought that the server does not keep.
fn drop_rights(got: &Got) {
    if got.reply.0 != 0 && got.id != DSM_STATS {
        let _ = port::deallocate(got.reply.0);
    }
    for item in &got.items {
        if let GotItem::Port(name, _) = item {
            if got.id != MO_INIT {
                let _ = port::deallocate(*name);
            }
        }
    }
}

impl Server {
    /// A message of the memory object protocol from a kernel.
    fn kernel_message(&mut self, got: &Got) {
        let items = &got.items;
        match got.id {
            MO_INIT => {
                let (Some(&GotItem::Port(control, PORT_RIGHT_SEND)), Some(node)) =
                    (items.first(), words(items.get(2), 1))
                else {
                    return;
                };
                let node = node[0];
                self.count(node);
                if let Some(old) = self.kernels.iter().position(|(n, _)| *n == node) {
                    let _ = port::deallocate(self.kernels[old].1);
                    self.kernels.swap_remove(old);
                }
                self.kernels.push((node, control));
            }
            MO_DATA_REQUEST | MO_DATA_UNLOCK => {
                let Some(w) = words(items.first(), 4) else { return };
                let (index, write, node) = (w[0] as usize / PAGE, w[2] & VM_PROT_WRITE != 0, w[3]);
                self.count(node);
                if index < self.pages.len() {
                    if write {
                        self.stats.write_faults += 1;
                    } else {
                        self.stats.read_faults += 1;
                    }
                    let unlock = got.id == MO_DATA_UNLOCK;
                    self.pages[index].queue.push_back(Request { node, write, unlock });
                    self.pump(index);
                }
            }
            MO_DATA_WRITE => {
                let (Some(w), Some(GotItem::Inline(data))) = (words(items.first(), 2), items.get(1)) else {
                    return;
                };
                self.count(w[1]);
                if let Some(page) = self.pages.get_mut(w[0] as usize / PAGE) {
                    page.data.clone_from(data);
                }
            }
            MO_LOCK_COMPLETED => {
                let Some(w) = words(items.first(), 3) else { return };
                self.count(w[2]);
                self.completed(w[0] as usize / PAGE, w[2]);
            }
            MO_TERMINATE => {
                let Some(w) = words(items.first(), 1) else { return };
                self.count(w[0]);
                self.gone(w[0]);
            }
            _ => {}
        }
    }

    /// The kernel of `node` ended the object (its written pages came before), or the node is
    /// dead (a page only it held written is lost: the master copy is the last one seen).
    fn gone(&mut self, node: u32) {
        if let Some(at) = self.kernels.iter().position(|(n, _)| *n == node) {
            let _ = port::deallocate(self.kernels[at].1);
            self.kernels.swap_remove(at);
        }
        for index in 0..self.pages.len() {
            let page = &mut self.pages[index];
            page.readers.retain(|n| *n != node);
            if page.writer == Some(node) {
                page.writer = None;
            }
            self.completed(index, node);
        }
    }

    /// Forgets the kernels of nodes that are dead (`EHOSTDOWN`).
    fn check_nodes(&mut self) {
        let nodes: Vec<u32> = self.kernels.iter().map(|(n, _)| *n).filter(|n| *n != self.me).collect();
        for node in nodes {
            if sys::stats(node).err() == Some(Errno::HostDown) {
                self.gone(node);
            }
        }
    }

    /// Counts a message to or from the kernel of `node`, if it crosses links.
    fn count(&mut self, node: u32) {
        if node != self.me {
            self.stats.remote_messages += 1;
        }
    }

    /// Sends `id` with `items` to the kernel of `node` (with a send-once reply right to the
    /// memory object port if `reply`); false if that kernel is gone.
    fn tell(&mut self, node: u32, id: u32, items: Vec<SendItem>, reply: bool) -> bool {
        let Some(&(_, control)) = self.kernels.iter().find(|(n, _)| *n == node) else { return false };
        let mut msg = Msg::new(control, MSG_COPY_SEND, id, items);
        if reply {
            msg.reply = (self.object, MSG_MAKE_SEND_ONCE);
        }
        self.count(node);
        port::send(&msg, FOREVER).is_ok()
    }

    /// Starts the next request of page `index` if none is being served.
    fn pump(&mut self, index: usize) {
        while self.pages[index].serving.is_none() {
            let Some(request) = self.pages[index].queue.pop_front() else { return };
            let page = &self.pages[index];
            // Who must give up (or clean) their copy first.
            let holders: Vec<u32> = if request.write {
                page.readers.iter().copied().chain(page.writer).filter(|n| *n != request.node).collect()
            } else {
                page.writer.into_iter().filter(|n| *n != request.node).collect()
            };
            let (flags, lock) =
                if request.write { (MO_LOCK_FLUSH, 0) } else { (MO_LOCK_CLEAN, VM_PROT_WRITE) };
            let offset = (index * PAGE) as u32;
            let mut waiting = Vec::new();
            for node in holders {
                self.stats.lock_requests += 1;
                self.tell(node, MO_LOCK_REQUEST, vec![inline(&[offset, PAGE as u32, flags, lock])], true);
                // A kernel that ended the object meanwhile cannot answer, but its written pages
                // and then its `MO_TERMINATE` are on their way: that completes it.
                if self.kernels.iter().any(|(n, _)| *n == node) {
                    waiting.push(node);
                }
            }
            let page = &mut self.pages[index];
            page.serving = Some(request);
            page.waiting = waiting;
            if page.waiting.is_empty() {
                self.finish(index);
            }
        }
    }

    /// Node `node` completed its lock request on page `index` (or is gone).
    fn completed(&mut self, index: usize, node: u32) {
        let Some(page) = self.pages.get_mut(index) else { return };
        let before = page.waiting.len();
        page.waiting.retain(|n| *n != node);
        if before > 0 && page.waiting.is_empty() && page.serving.is_some() {
            self.finish(index);
            self.pump(index);
        }
    }

    /// Every other copy is flushed (or cleaned): the request of page `index` is granted.
    fn finish(&mut self, index: usize) {
        let Some(request) = self.pages[index].serving.take() else { return };
        let offset = (index * PAGE) as u32;
        let page = &mut self.pages[index];
        let node = request.node;
        // A node that asked to unlock keeps its copy, unless it lost it meanwhile (flushed for
        // a writer served before): then it asks again, for the data.
        let had_copy = request.unlock && (page.readers.contains(&node) || page.writer == Some(node));
        if request.write {
            page.readers.clear();
            page.writer = Some(node);
            if had_copy {
                // It keeps its copy: the lock comes down.
                self.tell(node, MO_LOCK_REQUEST, vec![inline(&[offset, PAGE as u32, 0, 0])], false);
            } else {
                let data = page.data.clone();
                self.tell(node, MO_DATA_PROVIDED, vec![inline(&[offset]), SendItem::Inline(data)], false);
            }
        } else {
            if let Some(writer) = page.writer.take() {
                if writer != node {
                    page.readers.push(writer);
                } else {
                    page.writer = Some(writer);
                }
            }
            if page.writer == Some(node) {
                return;
            }
            if !page.readers.contains(&node) {
                page.readers.push(node);
            }
            let data = page.data.clone();
            let items = vec![inline(&[offset]), SendItem::Inline(data), inline(&[VM_PROT_WRITE])];
            self.tell(node, MO_DATA_PROVIDED, items, false);
        }
    }
}

/// The name a region's server registers: `dsm.` and the region's name.
pub fn service_name(region: &str) -> alloc::string::String {
    format!("dsm.{region}")
}
