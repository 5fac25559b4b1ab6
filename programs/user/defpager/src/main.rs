//! `defpager [MIB]`: the default pager of the node it runs on (docs/pagers.md, *The default
//! pager*), as in Mach: the kernel gives it each anonymous memory object at the object's first
//! page-out (`MO_CREATE`, Mach's `memory_object_create`), sends it the pages it evicts
//! (`MO_DATA_WRITE`) and asks for them back when a process touches one (`MO_DATA_REQUEST`).
//! It keeps them in swap files on the central's disk — `/swap/nodeN.K`, 4 MiB each, at most
//! `MIB` MiB in all (default 24) — through the ordinary file calls, so on a satellite every
//! page goes over its link to the central's file system. `defpager` (or `place N defpager`
//! for satellite N) returns once the pager, a child it leaves running until killed, serves
//! its node; a node without one never pages anonymous memory out.
//!
//! Exit status: 0 once the pager serves; 1 if the node has a default pager already, 2 for a
//! bad command line, 3 if a call fails.

#![no_std]
#![no_main]

extern crate alloc;

use alloc::collections::{BTreeMap, BTreeSet};
use alloc::format;
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;

use ox_ulib::abi::open_flags::{O_CREAT, O_RDWR, O_TRUNC};
use ox_ulib::abi::{
    Errno, MO_CREATE, MO_DATA_PROVIDED, MO_DATA_REQUEST, MO_DATA_UNAVAILABLE, MO_DATA_WRITE, MO_TERMINATE,
    MSG_SIZE_MAX, SEEK_SET,
};
use ox_ulib::port::{
    self, GotItem, Msg, SendItem, FOREVER, MSG_COPY_SEND, PORT_RIGHT_PORT_SET, PORT_RIGHT_RECEIVE,
};
use ox_ulib::sys::{self, Fork};
use ox_ulib::{eprintln, println, suite};

ox_ulib::entry!(main);

/// Bytes of a page, and of a swap slot.
const PAGE: u32 = 4096;
/// Slots of one swap file (4 MiB: under the file system's largest file).
const SLOTS_PER_FILE: u32 = 1024;
/// Pages written to the swap files in one call at most (64 KiB: the file system logs 16
/// blocks per transaction).
const CLUSTER: usize = 16;
/// Heap made resident before the memory is wired, so that serving never needs a new page
/// while the node is short of them.
const WARM_HEAP: usize = 128 * 1024;

fn main(args: &[&str]) -> i32 {
    let mib = match args {
        [_] => 24,
        [_, mib] => match mib.parse::<u32>() {
            Ok(mib) if mib > 0 && mib <= 1024 => mib,
            _ => return usage(),
        },
        _ => return usage(),
    };
    let node = match suite::my_node() {
        Ok(node) => node,
        Err(e) => {
            eprintln!("defpager: {e}");
            return 3;
        }
    };
    // The pager runs on in a child; this process returns once it serves (or could not).
    let (ready_read, ready_write) = match sys::pipe() {
        Ok(ends) => ends,
        Err(e) => {
            eprintln!("defpager: pipe: {}", e.name());
            return 3;
        }
    };
    match sys::fork() {
        Ok(Fork::Child) => {
            let _ = sys::close(ready_read);
            sys::exit(serve(node, mib, ready_write))
        }
        Ok(Fork::Parent(pid)) => {
            let _ = sys::close(ready_write);
            let mut status = [3u8];
            let _ = sys::read(ready_read, &mut status);
            match status[0] {
                0 => {
                    println!("defpager: node {node}: pid {pid}, swap in /swap/node{node}.*, up to {mib} MiB")
                }
                1 => eprintln!("defpager: node {node} has a default pager"),
                _ => eprintln!("defpager: node {node}: could not start"),
            }
            i32::from(status[0])
        }
        Err(e) => {
            eprintln!("defpager: fork: {}", e.name());
            3
        }
    }
}

/// The pager of node `node` with `mib` MiB of swap: registers, says so on `ready` (a status
/// byte: 0, or the exit status), and serves until killed.
fn serve(node: u32, mib: u32, ready: u32) -> i32 {
    let started = |status: u8| {
        let _ = sys::write(ready, &[status]);
        let _ = sys::close(ready);
        i32::from(status)
    };
    let mut swap = Swap::new(node, mib * (1024 * 1024 / PAGE));
    let warm = vec![1u8; WARM_HEAP];
    drop(warm);
    let (service, set) = match (port::allocate(PORT_RIGHT_RECEIVE), port::allocate(PORT_RIGHT_PORT_SET)) {
        (Ok(service), Ok(set)) if port::move_member(service, set).is_ok() => (service, set),
        _ => return started(3),
    };
    match port::set_default_pager(service) {
        Ok(()) => {}
        Err(Errno::Busy) => return started(1),
        Err(_) => return started(3),
    }
    let _ = sys::mkdir("/swap");
    started(0);
    let mut objects: BTreeMap<u32, Object> = BTreeMap::new();
    let mut buf = vec![0u8; MSG_SIZE_MAX as usize];
    loop {
        // Pages written come in bursts: they are kept until the queue is empty (or a cluster
        // is full) and written together, in runs of adjacent slots.
        let wait = if swap.pending.is_empty() { FOREVER } else { 0 };
        let got = match port::receive_into(set, &mut buf, wait) {
            Ok(got) => got,
            Err(Errno::TimedOut) => {
                swap.flush();
                continue;
            }
            Err(Errno::Intr) => continue,
            Err(e) => {
                eprintln!("defpager: msg_receive: {}", e.name());
                return 3;
            }
        };
        match (got.id, got.items.as_slice()) {
            (MO_CREATE, [GotItem::Port(memory, _), GotItem::Port(control, _), ..]) => {
                objects.insert(*memory, Object { control: *control, slots: BTreeMap::new() });
                if port::move_member(*memory, set).is_err() {
                    return 3;
                }
            }
            (MO_DATA_WRITE, [GotItem::Inline(words), GotItem::Inline(data)]) => {
                let (Some(object), Some(offset)) = (objects.get_mut(&got.port), word(words, 0)) else {
                    continue;
                };
                let page = offset / PAGE;
                match object.slots.get(&page).copied().or_else(|| swap.allocate()) {
                    Some(slot) => {
                        object.slots.insert(page, slot);
                        swap.store(slot, data);
                    }
                    // The page is lost: a process that touches it again gets no answer, so
                    // `SIGBUS` after the kernel's timeout.
                    None => swap.losing(format_args!("swap full ({mib} MiB)")),
                }
            }
            (MO_DATA_REQUEST, [GotItem::Inline(words)]) => {
                let (Some(object), Some(offset)) = (objects.get(&got.port), word(words, 0)) else { continue };
                let answer = match object.slots.get(&(offset / PAGE)).map(|&slot| swap.load(slot)) {
                    Some(Ok(data)) => Msg::new(
                        object.control,
                        MSG_COPY_SEND,
                        MO_DATA_PROVIDED,
                        vec![inline(offset), SendItem::Inline(data)],
                    ),
                    Some(Err(_)) => continue,
                    None => {
                        Msg::new(object.control, MSG_COPY_SEND, MO_DATA_UNAVAILABLE, vec![inline(offset)])
                    }
                };
                let _ = port::send(&answer, FOREVER);
            }
            (MO_TERMINATE, _) => {
                if let Some(object) = objects.remove(&got.port) {
                    swap.release(object.slots.into_values());
                    let _ = port::destroy(got.port);
                    let _ = port::deallocate(object.control);
                }
            }
            _ => {}
        }
    }
}

fn usage() -> i32 {
    eprintln!("usage: defpager [MIB]");
    2
}

/// An anonymous memory object the kernel gave the pager.
struct Object {
    /// The send right to its control port on the kernel.
    control: u32,
    /// Its pages held: page → swap slot.
    slots: BTreeMap<u32, u32>,
}

/// The swap space: slots of a page in files of [`SLOTS_PER_FILE`].
struct Swap {
    node: u32,
    /// The open swap files, in order.
    files: Vec<u32>,
    /// Slots from here on are unused, and their files (whole ones) do not exist.
    next: u32,
    /// Slots below `next` given back; the lowest is used first, so that the files stay short.
    free: BTreeSet<u32>,
    /// Slots in all.
    max: u32,
    /// Pages written to the pager and not yet to their slots: (slot, page).
    pending: Vec<(u32, Vec<u8>)>,
    /// Slots whose page could not be written: a request for one is not answered.
    lost: BTreeSet<u32>,
    /// Said that pages are being lost.
    said_losing: bool,
}

impl Swap {
    fn new(node: u32, max: u32) -> Swap {
        Swap {
            node,
            files: Vec::new(),
            next: 0,
            free: BTreeSet::new(),
            max,
            pending: Vec::new(),
            lost: BTreeSet::new(),
            said_losing: false,
        }
    }

    fn allocate(&mut self) -> Option<u32> {
        if let Some(slot) = self.free.pop_first() {
            return Some(slot);
        }
        (self.next < self.max).then(|| {
            self.next += 1;
            self.next - 1
        })
    }

    /// Gives `slots` back (their object ended). Free slots at the end no longer count, and a
    /// file none of whose slots is used is removed, so that the disk gets its room back once
    /// the node no longer needs it (the files of a pager never outgrow the most it held at once).
    fn release(&mut self, slots: impl IntoIterator<Item = u32>) {
        for slot in slots {
            self.pending.retain(|(s, _)| *s != slot);
            self.lost.remove(&slot);
            self.free.insert(slot);
        }
        while self.next > 0 && self.free.remove(&(self.next - 1)) {
            self.next -= 1;
        }
        let needed = self.next.div_ceil(SLOTS_PER_FILE) as usize;
        while self.files.len() > needed {
            if let Some(fd) = self.files.pop() {
                let _ = sys::close(fd);
                let _ = sys::unlink(&self.path(self.files.len()));
            }
        }
    }

    /// The path of swap file `index`.
    fn path(&self, index: usize) -> String {
        format!("/swap/node{}.{}", self.node, index)
    }

    /// The file descriptor and offset of `slot`, its file made (empty) on first use.
    fn place(&mut self, slot: u32) -> Result<(u32, u32), Errno> {
        let file = (slot / SLOTS_PER_FILE) as usize;
        while self.files.len() <= file {
            self.files.push(sys::open(&self.path(self.files.len()), O_RDWR | O_CREAT | O_TRUNC)?);
        }
        Ok((self.files[file], (slot % SLOTS_PER_FILE) * PAGE))
    }

    /// Keeps `data` for `slot`, written at the next [`Swap::flush`] (at once if a cluster is
    /// full).
    fn store(&mut self, slot: u32, data: &[u8]) {
        self.lost.remove(&slot);
        self.pending.retain(|(s, _)| *s != slot);
        self.pending.push((slot, data[..data.len().min(PAGE as usize)].to_vec()));
        if self.pending.len() >= CLUSTER {
            self.flush();
        }
    }

    /// Writes the pending pages, a run of adjacent slots of one file per call.
    fn flush(&mut self) {
        let mut pending = core::mem::take(&mut self.pending);
        pending.sort_by_key(|(slot, _)| *slot);
        let mut run: Vec<u8> = Vec::new();
        let mut first = 0;
        for (i, (slot, data)) in pending.iter().enumerate() {
            if run.is_empty() {
                first = i;
            }
            run.extend_from_slice(data);
            run.resize(run.len().next_multiple_of(PAGE as usize), 0);
            let next = pending.get(i + 1).map(|(s, _)| *s);
            let ends = next != Some(slot + 1) || (slot + 1) % SLOTS_PER_FILE == 0;
            if ends {
                let start = pending[first].0;
                let written = self.place(start).and_then(|(fd, offset)| {
                    sys::lseek(fd, offset as i32, SEEK_SET)?;
                    sys::write_all(fd, &run)
                });
                if let Err(e) = written {
                    self.lost.extend(pending[first..=i].iter().map(|(s, _)| *s));
                    let (node, file) = (self.node, start / SLOTS_PER_FILE);
                    self.losing(format_args!("writing /swap/node{node}.{file}: {}", e.name()));
                }
                run.clear();
            }
        }
    }

    fn load(&mut self, slot: u32) -> Result<Vec<u8>, Errno> {
        if self.lost.contains(&slot) {
            return Err(Errno::Io);
        }
        if let Some((_, data)) = self.pending.iter().find(|(s, _)| *s == slot) {
            return Ok(data.clone());
        }
        let (fd, offset) = self.place(slot)?;
        sys::lseek(fd, offset as i32, SEEK_SET)?;
        let mut page = vec![0u8; PAGE as usize];
        let mut at = 0;
        while at < page.len() {
            match sys::read(fd, &mut page[at..])? {
                0 => break,
                n => at += n,
            }
        }
        Ok(page)
    }

    /// A page could not be kept, for `why`: said once.
    fn losing(&mut self, why: core::fmt::Arguments) {
        if !self.said_losing {
            self.said_losing = true;
            eprintln!("defpager: node {}: {why}; pages are being lost", self.node);
        }
    }
}

/// Word `i` of an inline item.
fn word(bytes: &[u8], i: usize) -> Option<u32> {
    bytes.get(4 * i..4 * i + 4).map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
}

fn inline(word: u32) -> SendItem {
    SendItem::Inline(word.to_le_bytes().to_vec())
}
