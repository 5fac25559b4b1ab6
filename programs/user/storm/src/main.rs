//! `storm`: hundreds of processes across the satellites leak nothing, and a fault on one
//! satellite leaves the others running (docs/satellites.md). Run as init by
//! tests/tests/storm.rs. Lines starting `storm:` are the verdict and are the same whatever the
//! links lose; lines starting `stats:` are the kernel counters of every node (`stats`), which
//! the program compares itself.
//!
//! 1. A first wave warms the kernel's tables up (the open-file and pipe tables, the buffer
//!    cache and the links' queues grow to their working size and stay there); then every
//!    node's counters are taken.
//! 2. The storm: [`WAVES`] waves of [`WAVE`] processes forked onto the satellites (half the
//!    waves name the node, `rfork(n)`; half let the placement policy choose, `rfork(0)`); the
//!    central's process table has 64 slots and every satellite process holds a stub there, so a
//!    wave ends before the next starts. Each child works through its stub — `getppid`, a file
//!    created, written, read back and removed, a pipe written and read — then with ports
//!    (docs/ports.md): it makes a port, carries its task port, the name service's port and a
//!    send-once right to itself in a message to itself, looks the storm's hub up in the name
//!    service (a port of this process on the central) and sends the hub a send right to its own
//!    port across the link (polling: a full hub refuses it) — and exits with a status computed
//!    from its pid, which the parent checks. After each wave the parent empties the hub,
//!    dropping the rights it got (dead names by then).
//! 3. The counters again: every resource counter of every node must equal its value before the
//!    storm (no process, stub, frame, page, page table, open file, descriptor, pipe, pending
//!    message, memory object or region, port, port name or queued port message leaked), the
//!    kernel heap's within [`HEAP_SLACK`] bytes.
//! 4. A fault: one child on each satellite; the one on satellite 1 stores to address 0 and is
//!    killed (its wait status says `SIGSEGV`) while the other two, still running, finish their
//!    work; then a new process is placed on satellite 1. The counters again.
//! 5. The utility `stats` prints the counters as a user sees them (storm and itself running).

#![no_std]
#![no_main]

extern crate alloc;

use alloc::format;
use alloc::vec;
use alloc::vec::Vec;
use core::arch::asm;

use ox_ulib::abi::open_flags::{O_CREAT, O_EXCL, O_RDONLY, O_WRONLY};
use ox_ulib::abi::{Errno, NodeStats, Signal, WaitStatus};
use ox_ulib::port::{
    self, GotItem, Msg, SendItem, MSG_COPY_SEND, MSG_MAKE_SEND, MSG_MAKE_SEND_ONCE, MSG_MOVE_SEND,
    PORT_RIGHT_RECEIVE,
};
use ox_ulib::println;
use ox_ulib::sys::{self, Fork, Pid};

ox_ulib::entry!(main);

/// Processes per wave (a stub each on the central, whose table has 64 slots).
const WAVE: u32 = 30;
/// Waves of the storm: `WAVES * WAVE` processes.
const WAVES: u32 = 10;
/// The satellites of the default topology: nodes 1..=SATELLITES.
const SATELLITES: u32 = 3;
/// Where the children keep their files.
const DIR: &str = "/storm";

fn main(_args: &[&str]) -> i32 {
    let me = sys::getpid();
    println!(
        "storm: pid {me}, {} processes in {WAVES} waves of {WAVE} over {SATELLITES} satellites",
        WAVES * WAVE
    );
    match sys::mkdir(DIR) {
        Ok(()) | Err(Errno::Exist) => {}
        Err(e) => {
            println!("storm: mkdir {DIR}: {}", e.name());
            return 1;
        }
    }
    let Some(hub) = make_hub() else { return 1 };
    let mut failures = 0;
    let warm = wave(me, 0, true);
    drain(hub);
    println!("storm: warm-up wave: {} of {WAVE} exited with their status", WAVE - warm);
    failures += warm;
    let Some(before) = counters("before the storm") else { return 1 };
    let mut bad = 0;
    for w in 0..WAVES {
        bad += wave(me, w, w < WAVES / 2);
        drain(hub);
    }
    println!("storm: {} of {} processes exited with their status", WAVES * WAVE - bad, WAVES * WAVE);
    failures += bad;
    let Some(after) = counters("after the storm") else { return 1 };
    failures += compare(&before, &after, "the storm");
    failures += fault(me);
    drain(hub);
    let Some(last) = counters("after the fault") else { return 1 };
    failures += compare(&before, &last, "the fault");
    failures += run_stats();
    println!("storm: {failures} failure(s)");
    i32::from(failures != 0)
}

/// The name of the storm's hub in the name service.
const HUB: &str = "storm.hub";

/// The hub: a port of this process, registered as [`HUB`], with the longest queue.
fn make_hub() -> Option<u32> {
    let hub = port::allocate(PORT_RIGHT_RECEIVE)
        .and_then(|hub| port::set_qlimit(hub, 16).map(|()| hub))
        .and_then(|hub| port::register(HUB, hub, MSG_MAKE_SEND).map(|()| hub));
    match hub {
        Ok(hub) => Some(hub),
        Err(e) => {
            println!("storm: the hub: {}", e.name());
            None
        }
    }
}

/// Takes every message the hub has, and what comes in the next ticks (the last messages of a
/// wave may still be on a link), dropping the rights they carry.
fn drain(hub: u32) {
    let mut quiet = 0;
    while quiet < 20 {
        match port::receive(hub, 0) {
            Ok(got) => {
                quiet = 0;
                for item in got.items {
                    if let GotItem::Port(name, _) = item {
                        let _ = port::destroy(name);
                    }
                }
            }
            Err(_) => {
                quiet += 1;
                let _ = sys::sleep(1);
            }
        }
    }
}

/// A child's work with ports; false if something failed.
fn port_work() -> bool {
    let Ok(mine) = port::allocate(PORT_RIGHT_RECEIVE) else { return false };
    let (Ok(task), Ok(ns)) = (port::task_self(), port::bootstrap()) else { return false };
    let carried = vec![
        SendItem::Port(task, MSG_MOVE_SEND),
        SendItem::Port(ns, MSG_MOVE_SEND),
        SendItem::Port(mine, MSG_MAKE_SEND_ONCE),
    ];
    if port::send(&Msg::new(mine, MSG_MAKE_SEND, 1, carried), 0).is_err() {
        return false;
    }
    let Ok(got) = port::receive(mine, 0) else { return false };
    if got.items.len() != 3 {
        return false;
    }
    let Ok(hub) = port::lookup(HUB) else { return false };
    // The hub may be full: then the right is refused, and dropped with the rest at exit.
    let _ = port::send(&Msg::new(hub, MSG_COPY_SEND, 2, vec![SendItem::Port(mine, MSG_MAKE_SEND)]), 0);
    for item in got.items {
        if let GotItem::Port(name, _) = item {
            let _ = port::deallocate(name);
        }
    }
    true
}

/// The counters of the central and of every satellite, printed.
fn counters(when: &str) -> Option<Vec<NodeStats>> {
    println!("stats: {when}");
    let mut all = Vec::new();
    for node in 0..=SATELLITES {
        match sys::stats(node) {
            Ok(stats) => {
                println!("stats: {stats}");
                all.push(stats);
            }
            Err(e) => {
                println!("storm: stats of node {node} failed: {}", e.name());
                return None;
            }
        }
    }
    Some(all)
}

/// How far a node's kernel heap use may move without a leak: the shape of the kernel's
/// B-trees (the VM's object and frame tables) depends on the order of their insertions and
/// removals, not only on what they hold, so the same contents can take a node more or less.
/// A leak of anything a process holds — its 16 KiB kernel stack, its table entry, a message —
/// would show 300 times over.
const HEAP_SLACK: u32 = 1024;

/// Compares every node's resource counters with their values before (the heap's within
/// [`HEAP_SLACK`]); returns the number of nodes where some differ.
fn compare(before: &[NodeStats], after: &[NodeStats], what: &str) -> u32 {
    let mut failures = 0;
    for (b, a) in before.iter().zip(after) {
        let leaks: Vec<_> = b
            .leaks(a)
            .filter(|(name, was, is)| *name != "heap_used" || was.abs_diff(*is) > HEAP_SLACK)
            .collect();
        if leaks.is_empty() {
            println!("storm: node {}: every counter as before {what}", b.node);
        } else {
            failures += 1;
            for (name, was, is) in leaks {
                println!("storm: node {}: {name} was {was}, is {is} after {what}", b.node);
            }
        }
    }
    failures
}

/// Runs the program `stats` (fork, exec, wait); returns 1 if it failed.
fn run_stats() -> u32 {
    match sys::fork() {
        Ok(Fork::Child) => {
            let errno = sys::exec("stats", &["stats"]);
            println!("storm: exec stats failed: {}", errno.name());
            sys::exit(127)
        }
        Ok(Fork::Parent(pid)) => match sys::wait(Some(pid)) {
            Ok((_, WaitStatus::Exited(0))) => 0,
            other => {
                println!("storm: stats ended {other:?}");
                1
            }
        },
        Err(e) => {
            println!("storm: fork failed: {}", e.name());
            1
        }
    }
}

/// The status a child with pid `pid` exits with when its work succeeded (1..=200; failures
/// exit with 201 and up).
fn expected(pid: Pid) -> u8 {
    (pid * 7 % 200 + 1) as u8
}

/// One wave of [`WAVE`] children: on the satellites in turn (`by_node`) or where the
/// placement policy puts them. Returns how many did not exit with their status.
fn wave(parent: Pid, number: u32, by_node: bool) -> u32 {
    let mut children = Vec::new();
    let mut failures = 0;
    for i in 0..WAVE {
        let node = if by_node { 1 + i % SATELLITES } else { 0 };
        match sys::rfork(node) {
            Ok(Fork::Child) => sys::exit(i32::from(work(parent, 0))),
            Ok(Fork::Parent(pid)) => children.push(pid),
            Err(e) => {
                println!("storm: wave {number}: rfork({node}) failed: {}", e.name());
                failures += 1;
            }
        }
    }
    for _ in 0..children.len() {
        match sys::wait(None) {
            Ok((pid, status)) if children.contains(&pid) => {
                if status != WaitStatus::Exited(expected(pid)) {
                    println!(
                        "storm: wave {number}: pid {pid} ended {status:?}, not Exited({})",
                        expected(pid)
                    );
                    failures += 1;
                }
            }
            Ok((pid, status)) => println!("storm: wave {number}: unexpected child {pid} ({status:?})"),
            Err(e) => {
                println!("storm: wave {number}: wait failed: {}", e.name());
                return failures + 1;
            }
        }
    }
    failures
}

/// A child's work through its stub, after sleeping `ticks`; returns its exit status.
fn work(parent: Pid, ticks: u32) -> u8 {
    let _ = sys::sleep(ticks);
    let pid = sys::getpid();
    if sys::getppid() != parent {
        return 201;
    }
    let path = format!("{DIR}/{pid}");
    let text = format!("process {pid} was here\n");
    let Ok(fd) = sys::open(&path, O_CREAT | O_EXCL | O_WRONLY) else { return 202 };
    if sys::write_all(fd, text.as_bytes()).is_err() || sys::close(fd).is_err() {
        return 203;
    }
    let Ok(fd) = sys::open(&path, O_RDONLY) else { return 204 };
    let back = sys::read_to_end(fd);
    if sys::close(fd).is_err() || back.as_deref() != Ok(text.as_bytes()) {
        return 205;
    }
    if sys::unlink(&path).is_err() {
        return 206;
    }
    let Ok((r, w)) = sys::pipe() else { return 207 };
    let word = pid.to_le_bytes();
    let mut got = [0u8; 4];
    if sys::write(w, &word) != Ok(4) || sys::read(r, &mut got) != Ok(4) || got != word {
        return 208;
    }
    if sys::close(w).is_err() || sys::close(r).is_err() {
        return 209;
    }
    if !port_work() {
        return 211;
    }
    expected(pid)
}

/// Stores to address 0: the process is killed by `SIGSEGV`.
fn store_to_null() {
    // Safety: the store faults; the kernel kills the process, which never resumes.
    unsafe { asm!("sw zero, 0(zero)", options(nostack)) }
}

/// A child on each satellite; the one on satellite 1 faults while the others run. Returns the
/// number of failures.
fn fault(parent: Pid) -> u32 {
    let mut pids = [0; SATELLITES as usize];
    for (i, pid) in pids.iter_mut().enumerate() {
        let node = i as u32 + 1;
        match sys::rfork(node) {
            Ok(Fork::Child) if node == 1 => {
                store_to_null();
                sys::exit(210)
            }
            Ok(Fork::Child) => sys::exit(i32::from(work(parent, 300))),
            Ok(Fork::Parent(child)) => *pid = child,
            Err(e) => {
                println!("storm: fault: rfork({node}) failed: {}", e.name());
                return 1;
            }
        }
    }
    let mut failures = 0;
    match sys::wait(Some(pids[0])) {
        Ok((_, WaitStatus::Signaled(Signal::Segv))) => {
            println!("storm: the child on satellite 1 was killed by SIGSEGV")
        }
        other => {
            println!("storm: the child on satellite 1 ended {other:?}, not by SIGSEGV");
            failures += 1;
        }
    }
    let running = sys::ps(64).map(|rows| {
        rows.iter()
            .filter(|r| pids[1..].contains(&r.pid) && r.state != b'Z')
            .map(|r| r.node)
            .collect::<Vec<_>>()
    });
    match running {
        Ok(nodes) if nodes == [2, 3] => {
            println!("storm: meanwhile its siblings on satellites 2 and 3 still run")
        }
        other => {
            println!("storm: after the fault, the siblings running are {other:?}, not on nodes [2, 3]");
            failures += 1;
        }
    }
    for (i, &pid) in pids.iter().enumerate().skip(1) {
        match sys::wait(Some(pid)) {
            Ok((_, status)) if status == WaitStatus::Exited(expected(pid)) => {
                println!("storm: the child on satellite {} finished its work", i + 1)
            }
            other => {
                println!("storm: the child on satellite {} ended {other:?}", i + 1);
                failures += 1;
            }
        }
    }
    match sys::rfork(1) {
        Ok(Fork::Child) => sys::exit(i32::from(work(parent, 0))),
        Ok(Fork::Parent(pid)) => match sys::wait(Some(pid)) {
            Ok((_, status)) if status == WaitStatus::Exited(expected(pid)) => {
                println!("storm: a new process on satellite 1 ran and exited with its status")
            }
            other => {
                println!("storm: the new process on satellite 1 ended {other:?}");
                failures += 1;
            }
        },
        Err(e) => {
            println!("storm: rfork(1) after the fault failed: {}", e.name());
            failures += 1;
        }
    }
    failures
}
