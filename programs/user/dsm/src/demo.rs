//! The distributed shared memory demo (docs/dsm.md), shared by `dsm` and `dsmtest`: a
//! histogram of a computed function over an input array, split across satellites that share
//! the input and the bins through one DSM region, with a lock built on ports.
//!
//! The region: page 0 holds the bins, pages 1.. the input. The coordinator fills the input,
//! then each worker (on satellite 1, 2, …) counts its slice into bins of its own, takes the
//! lock, adds them into the shared bins and gives the lock back. The result is the same as the
//! histogram computed in one process without DSM ([`histogram_local`]).

use alloc::collections::VecDeque;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use ox_ulib::abi::PORT_RIGHT_RECEIVE;
use ox_ulib::port::{self, Msg, FOREVER, MSG_COPY_SEND, MSG_MAKE_SEND, MSG_MOVE_SEND_ONCE};
use ox_ulib::suite::{ensure, ok, reap, spawn, spawn_on};
use ox_ulib::sys::{self, Pid};
use ox_ulib::{counter, dsm, vm};

/// Bytes of a page.
pub const PAGE: u32 = 4096;
/// Bins of the histogram.
pub const BINS: usize = 16;
/// Pages of input.
pub const DATA_PAGES: u32 = 12;
/// Words of input.
pub const WORDS: u32 = DATA_PAGES * PAGE / 4;
/// Pages of the region: the bins, then the input.
pub const REGION_PAGES: u32 = 1 + DATA_PAGES;
/// Rounds of the mixing function per input word (the work to share).
const ROUNDS: u32 = 192;

/// To the lock's port, with a reply right: answered when the lock is the sender's.
const ACQUIRE: u32 = 0x4c4f_0001;
/// To the lock's port: the lock is free again (each worker gives it back once).
const RELEASE: u32 = 0x4c4f_0002;

/// Input word `i`.
pub fn input(i: u32) -> u32 {
    i.wrapping_mul(2_654_435_761) ^ 0x5bd1_e995
}

/// The bin of input word `x`: the top four bits of an xorshift-multiply mix of it.
pub fn bin_of(mut x: u32) -> usize {
    for _ in 0..ROUNDS {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        x = x.wrapping_mul(0x9e37_79b1);
    }
    (x >> 28) as usize
}

/// The histogram computed here, in ordinary memory.
pub fn histogram_local() -> [u32; BINS] {
    let mut bins = [0; BINS];
    for i in 0..WORDS {
        bins[bin_of(input(i))] += 1;
    }
    bins
}

/// The word at `addr` (mapped).
pub fn read(addr: u32) -> u32 {
    // Safety: the callers read mapped memory of this process.
    unsafe { core::ptr::read_volatile(addr as *const u32) }
}

/// Writes the word at `addr` (mapped, writable).
pub fn write(addr: u32, value: u32) {
    // Safety: the callers write mapped, writable memory of this process.
    unsafe { core::ptr::write_volatile(addr as *mut u32, value) }
}

/// Unmaps a region mapped with `dsm::map`.
pub fn unmap(at: u32, size: u32) -> Result<(), String> {
    // Safety: nothing refers to the mapping after this.
    ok("vm_deallocate", unsafe { vm::deallocate(at, size) })
}

/// Starts a DSM server for region `region` of `pages` pages in a child on `node` (`None`:
/// this node); its pid, once its name is registered.
pub fn start_server(region: &str, pages: u32, node: Option<u32>) -> Result<Pid, String> {
    let name = dsm::service_name(region);
    let served = name.clone();
    let body = move || {
        let Ok(object) = port::allocate(PORT_RIGHT_RECEIVE) else { return 1 };
        match dsm::serve(object, &served, pages) {
            Ok(_) => 0,
            Err(_) => 2,
        }
    };
    let pid = match node {
        Some(node) => spawn_on(node, body)?,
        None => spawn(body)?,
    };
    for _ in 0..1000 {
        if let Ok(right) = port::lookup(&name) {
            ok("deallocate", port::deallocate(right))?;
            return Ok(pid);
        }
        ok("sleep", sys::sleep(1))?;
    }
    Err(format!("the DSM server of {region} did not register"))
}

/// Asks the server of `region` to end and waits for it.
pub fn stop_server(region: &str, pid: Pid) -> Result<(), String> {
    ok("dsm quit", dsm::quit(&dsm::service_name(region)))?;
    let code = reap(pid)?;
    ensure(code == 0, || format!("the DSM server: exit {code}"))
}

/// Runs the histogram over the DSM region `region` (its server running) with `workers`
/// workers on satellites 1, 2, …: the bins, and the virtual nanoseconds from the first
/// worker's start to the last one's result.
pub fn histogram_dsm(region: &str, workers: u32) -> Result<([u32; BINS], u64), String> {
    let name = dsm::service_name(region);
    let size = REGION_PAGES * PAGE;
    let at = ok("map the region", dsm::map(&name, size))?;
    for i in 0..WORDS {
        write(at + PAGE + 4 * i, input(i));
    }
    let lock = ok("allocate", port::allocate(PORT_RIGHT_RECEIVE))?;
    let lock_name = format!("{name}.lock");
    ok("register the lock", port::register(&lock_name, lock, MSG_MAKE_SEND))?;
    let start = counter::time_ns();
    let mut pids = Vec::new();
    for w in 0..workers {
        let (name, lock_name) = (name.clone(), lock_name.clone());
        pids.push(spawn_on(1 + w, move || worker(&name, &lock_name, w, workers))?);
    }
    // The lock: granted in the order asked; every worker gives it back once.
    let (mut held, mut waiting, mut released) = (false, VecDeque::new(), 0);
    while released < workers {
        let got = ok("receive", port::receive(lock, FOREVER))?;
        match got.id {
            ACQUIRE if held => waiting.push_back(got.reply.0),
            ACQUIRE => {
                held = true;
                grant(got.reply.0)?;
            }
            RELEASE => {
                released += 1;
                match waiting.pop_front() {
                    Some(next) => grant(next)?,
                    None => held = false,
                }
            }
            id => return Err(format!("the lock got message {id:#x}")),
        }
    }
    let elapsed = counter::time_ns() - start;
    for pid in pids {
        let code = reap(pid)?;
        ensure(code == 0, || format!("a worker: exit {code}"))?;
    }
    ok("destroy the lock", port::destroy(lock))?;
    let mut bins = [0; BINS];
    for (b, bin) in bins.iter_mut().enumerate() {
        *bin = read(at + 4 * b as u32);
    }
    unmap(at, size)?;
    Ok((bins, elapsed))
}

/// Gives the lock to the worker whose send-once `reply` right it is.
fn grant(reply: u32) -> Result<(), String> {
    ok("grant the lock", port::send(&Msg::new(reply, MSG_MOVE_SEND_ONCE, ACQUIRE, Vec::new()), FOREVER))
}

/// Worker `w` of `workers`: counts its slice of the input, then adds its bins into the
/// region's under the lock. The exit code says what went wrong (0: nothing).
fn worker(name: &str, lock_name: &str, w: u32, workers: u32) -> i32 {
    let size = REGION_PAGES * PAGE;
    let Ok(at) = dsm::map(name, size) else { return 10 };
    let mut local = [0u32; BINS];
    for i in WORDS * w / workers..WORDS * (w + 1) / workers {
        local[bin_of(read(at + PAGE + 4 * i))] += 1;
    }
    let Ok(lock) = port::lookup(lock_name) else { return 11 };
    if port::rpc(lock, ACQUIRE, Vec::new(), FOREVER).is_err() {
        return 12;
    }
    for (b, count) in local.iter().enumerate() {
        let bin = at + 4 * b as u32;
        write(bin, read(bin) + count);
    }
    if port::send(&Msg::new(lock, MSG_COPY_SEND, RELEASE, Vec::new()), FOREVER).is_err() {
        return 13;
    }
    if port::deallocate(lock).is_err() || unmap(at, size).is_err() {
        return 14;
    }
    0
}

/// The bins as one line of numbers.
pub fn show(bins: &[u32; BINS]) -> String {
    bins.iter().map(|b| format!("{b}")).collect::<Vec<_>>().join(" ")
}

/// Agent → its starter, on the starter's port: the agent's index (an inline word) and a send
/// right to the agent's command port.
const HELLO: u32 = 0x4147_0001;
/// To an agent, with a reply right: read the word at the offset (an inline word) of the region;
/// answered with it.
const READ: u32 = 0x4147_0002;
/// To an agent, with a reply right: write a word (inline: offset, value); answered with the
/// virtual nanoseconds the store took (its fault, if it faulted).
const WRITE: u32 = 0x4147_0003;
/// To an agent: unmap the region and end.
const QUIT: u32 = 0x4147_0004;

/// Processes on given nodes that each map one DSM region and read and write it word by word
/// when told: a test's or a benchmark's hands on each node.
pub struct Agents {
    rights: Vec<u32>,
    pids: Vec<Pid>,
}

impl Agents {
    /// Starts an agent on each of `nodes` mapping region `region` (its server running).
    pub fn start(region: &str, nodes: &[u32]) -> Result<Agents, String> {
        let hello = ok("allocate", port::allocate(PORT_RIGHT_RECEIVE))?;
        let hello_name = format!("{}.agents", dsm::service_name(region));
        ok("register", port::register(&hello_name, hello, MSG_MAKE_SEND))?;
        let mut pids = Vec::new();
        for (k, &node) in nodes.iter().enumerate() {
            let (name, hello_name) = (dsm::service_name(region), hello_name.clone());
            pids.push(spawn_on(node, move || agent(&name, &hello_name, k as u32))?);
        }
        let mut rights = alloc::vec![0; nodes.len()];
        for _ in nodes {
            let got = ok("receive", port::receive(hello, FOREVER))?;
            match (got.id, got.items.as_slice()) {
                (HELLO, [port::GotItem::Inline(k), port::GotItem::Port(right, _)]) if k.len() == 4 => {
                    let k = u32::from_le_bytes([k[0], k[1], k[2], k[3]]) as usize;
                    if let Some(slot) = rights.get_mut(k) {
                        *slot = *right;
                    }
                }
                _ => return Err(format!("an agent said {:#x}", got.id)),
            }
        }
        ok("destroy", port::destroy(hello))?;
        Ok(Agents { rights, pids })
    }

    fn ask(&self, k: usize, id: u32, words: &[u32]) -> Result<u64, String> {
        let bytes = words.iter().flat_map(|w| w.to_le_bytes()).collect();
        let got = ok(
            "ask an agent",
            port::rpc(self.rights[k], id, alloc::vec![port::SendItem::Inline(bytes)], FOREVER),
        )?;
        match got.items.first() {
            Some(port::GotItem::Inline(b)) if b.len() == 8 => {
                Ok(u64::from_le_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]))
            }
            _ => Err(format!("agent {k}'s answer is malformed: {:#x} {:?}", got.id, got.items)),
        }
    }

    /// Agent `k` reads the word at `offset`.
    pub fn read(&self, k: usize, offset: u32) -> Result<u32, String> {
        self.ask(k, READ, &[offset]).map(|v| v as u32)
    }

    /// Agent `k` writes `value` at `offset`; the virtual nanoseconds the store took.
    pub fn write(&self, k: usize, offset: u32, value: u32) -> Result<u64, String> {
        self.ask(k, WRITE, &[offset, value])
    }

    /// Every agent unmaps the region and ends.
    pub fn stop(self) -> Result<(), String> {
        for &right in &self.rights {
            ok("tell an agent", port::send(&Msg::new(right, MSG_COPY_SEND, QUIT, Vec::new()), FOREVER))?;
            ok("deallocate", port::deallocate(right))?;
        }
        for pid in self.pids {
            let code = reap(pid)?;
            ensure(code == 0, || format!("an agent: exit {code}"))?;
        }
        Ok(())
    }
}

/// Agent `k`: maps the region, says hello on `hello_name`, then does what it is told. The exit
/// code says what went wrong (0: nothing).
fn agent(name: &str, hello_name: &str, k: u32) -> i32 {
    let size = REGION_PAGES * PAGE;
    let Ok(at) = dsm::map(name, size) else { return 20 };
    let Ok(commands) = port::allocate(PORT_RIGHT_RECEIVE) else { return 21 };
    let Ok(hello) = port::lookup(hello_name) else { return 22 };
    let items = alloc::vec![
        port::SendItem::Inline(k.to_le_bytes().to_vec()),
        port::SendItem::Port(commands, MSG_MAKE_SEND)
    ];
    if port::send(&Msg::new(hello, MSG_COPY_SEND, HELLO, items), FOREVER).is_err() {
        return 23;
    }
    let _ = port::deallocate(hello);
    loop {
        let Ok(got) = port::receive(commands, FOREVER) else { return 24 };
        let words: Vec<u32> = match got.items.first() {
            Some(port::GotItem::Inline(b)) => {
                b.chunks_exact(4).map(|w| u32::from_le_bytes([w[0], w[1], w[2], w[3]])).collect()
            }
            _ => Vec::new(),
        };
        let answer: u64 = match (got.id, words.as_slice()) {
            (READ, [offset]) if *offset < size => u64::from(read(at + offset)),
            (WRITE, [offset, value]) if *offset < size => {
                let start = counter::time_ns();
                write(at + offset, *value);
                counter::time_ns() - start
            }
            (QUIT, _) => break,
            _ => return 25,
        };
        let bytes = answer.to_le_bytes().to_vec();
        let reply =
            Msg::new(got.reply.0, MSG_MOVE_SEND_ONCE, got.id, alloc::vec![port::SendItem::Inline(bytes)]);
        if port::send(&reply, FOREVER).is_err() {
            return 26;
        }
    }
    if port::destroy(commands).is_err() || unmap(at, size).is_err() {
        return 27;
    }
    0
}
