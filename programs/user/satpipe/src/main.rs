//! `satpipe`: pipes between processes on different satellites (Bach §13.1; docs/satellites.md),
//! as a test. Run as init by `tests/tests/pipes.rs`. Every line starts `satpipe:` and is the
//! same whatever the links lose; the exit status is the number of failures.
//!
//! A pipe lives on the central: its ends are entries of the open-file table there, and a
//! process on a satellite holds only descriptor numbers into its stub's table. Two processes on
//! two satellites sharing a pipe are two stubs sharing it, each executing its process's
//! forwarded `read`s and `write`s — blocking there when the pipe is empty or full, while the
//! process on its satellite sleeps until the reply.
//!
//! 1. **Bulk**: a writer on satellite 1 sends 96 KiB in writes of irregular sizes; a reader on
//!    satellite 2, started first (so its reads block on the empty pipe), reads it in pieces of
//!    another size, checks every byte and the end of file, and reports the total.
//! 2. **A pipeline over three satellites**: numbers produced on satellite 1, squared on
//!    satellite 2, summed on satellite 3: `produce | square | sum`, each stage a process on
//!    its own satellite, the lines crossing the central twice.
//! 3. **A full pipe**: a writer on satellite 3 writes 20 KiB (five times the pipe's 4 KiB) to a
//!    reader on satellite 1 that only starts reading 20 ticks after the writer says it is about
//!    to write (a byte on a second pipe), so the writer's forwarded write blocks on the central
//!    until the reader drains the pipe — however long either process took to start (the
//!    remote forks take longer on lossy links).

#![no_std]
#![no_main]

extern crate alloc;

use alloc::vec;
use alloc::vec::Vec;

use ox_ulib::abi::WaitStatus;
use ox_ulib::println;
use ox_ulib::sys::{self, Fork, Pid};

ox_ulib::entry!(main);

/// Bytes of the bulk transfer.
const BULK: usize = 96 * 1024;
/// Numbers sent through the pipeline.
const NUMBERS: u32 = 200;
/// Bytes of the full-pipe test.
const FULL: usize = 20 * 1024;

fn main(_args: &[&str]) -> i32 {
    println!("satpipe: pid {} on the central", sys::getpid());
    let mut failures = 0;
    failures += bulk();
    failures += pipeline();
    failures += full_pipe();
    println!("satpipe: {failures} failure(s)");
    failures as i32
}

/// The byte at offset `i` of a transfer: a pattern no misplaced piece would reproduce.
fn pattern(i: usize) -> u8 {
    (i.wrapping_mul(31) ^ (i >> 8)) as u8
}

/// Starts `child` on satellite `node` (it runs `child` and exits with its result); returns its
/// pid, or `None` (reported) if the placement failed. The child first checks in the process
/// table that it runs where it was asked to (exit 90 if not).
fn start(node: u32, what: &str, child: impl FnOnce() -> i32) -> Option<Pid> {
    match sys::rfork(node) {
        Ok(Fork::Child) => {
            let me = sys::getpid();
            let table = sys::ps(64).unwrap_or_default();
            if !table.iter().any(|row| row.pid == me && u32::from(row.node) == node) {
                println!("satpipe: the {what} (pid {me}) does not run on node {node}");
                sys::exit(90);
            }
            sys::exit(child())
        }
        Ok(Fork::Parent(pid)) => Some(pid),
        Err(e) => {
            println!("satpipe: cannot place the {what} on node {node}: {}", e.name());
            None
        }
    }
}

/// Waits for each of `pids` (in order); counts those that did not exit 0, naming them.
fn reap(pids: &[(Option<Pid>, &str)]) -> u32 {
    let mut failures = 0;
    for (pid, what) in pids {
        let Some(pid) = pid else {
            failures += 1;
            continue;
        };
        match sys::wait(Some(*pid)) {
            Ok((_, WaitStatus::Exited(0))) => {}
            Ok((_, status)) => {
                println!("satpipe: the {what} ended {status:?}");
                failures += 1;
            }
            Err(e) => {
                println!("satpipe: wait for the {what} failed: {}", e.name());
                failures += 1;
            }
        }
    }
    failures
}

/// A new pipe (read end, write end); `None`, reported, on failure.
fn new_pipe() -> Option<(u32, u32)> {
    sys::pipe().map_err(|e| println!("satpipe: pipe failed: {}", e.name())).ok()
}

fn bulk() -> u32 {
    let Some((r, w)) = new_pipe() else { return 1 };
    let reader = start(2, "reader", || {
        let _ = sys::close(w);
        let mut buf = vec![0u8; 1500];
        let mut total = 0usize;
        loop {
            match sys::read(r, &mut buf) {
                Ok(0) => break,
                Ok(n) => {
                    if let Some(bad) = (0..n).find(|&k| buf[k] != pattern(total + k)) {
                        println!("satpipe: bulk: byte {} is wrong", total + bad);
                        return 1;
                    }
                    total += n;
                }
                Err(e) => {
                    println!("satpipe: bulk: read failed: {}", e.name());
                    return 2;
                }
            }
        }
        let ok = total == BULK;
        println!("satpipe: bulk: the reader on node 2 got {total} bytes, then end of file");
        i32::from(!ok) * 3
    });
    let writer = start(1, "writer", || {
        let _ = sys::close(r);
        let data: Vec<u8> = (0..BULK).map(pattern).collect();
        let (mut sent, mut size) = (0, 700);
        while sent < BULK {
            let n = size.min(BULK - sent);
            if sys::write_all(w, &data[sent..sent + n]).is_err() {
                println!("satpipe: bulk: write failed at {sent}");
                return 1;
            }
            sent += n;
            size = size * 7 % 5003 + 1;
        }
        println!("satpipe: bulk: the writer on node 1 sent {sent} bytes");
        0
    });
    let _ = (sys::close(r), sys::close(w));
    reap(&[(reader, "bulk reader"), (writer, "bulk writer")])
}

/// Reads lines from `fd` until the end of file, calling `each` with every complete line.
fn for_each_line(fd: u32, mut each: impl FnMut(&str) -> bool) -> bool {
    let mut pending = Vec::new();
    let mut buf = [0u8; 256];
    loop {
        let n = match sys::read(fd, &mut buf) {
            Ok(0) => return pending.is_empty(),
            Ok(n) => n,
            Err(_) => return false,
        };
        pending.extend_from_slice(&buf[..n]);
        while let Some(end) = pending.iter().position(|&b| b == b'\n') {
            let line: Vec<u8> = pending.drain(..=end).collect();
            let Ok(text) = core::str::from_utf8(&line[..end]) else { return false };
            if !each(text) {
                return false;
            }
        }
    }
}

fn pipeline() -> u32 {
    let Some((r1, w1)) = new_pipe() else { return 1 };
    let Some((r2, w2)) = new_pipe() else { return 1 };
    let produce = start(1, "producer", || {
        for fd in [r1, r2, w2] {
            let _ = sys::close(fd);
        }
        for n in 1..=NUMBERS {
            if sys::write_all(w1, alloc::format!("{n}\n").as_bytes()).is_err() {
                return 1;
            }
        }
        0
    });
    let square = start(2, "squarer", || {
        for fd in [w1, r2] {
            let _ = sys::close(fd);
        }
        let ok = for_each_line(r1, |line| match line.parse::<u32>() {
            Ok(n) => sys::write_all(w2, alloc::format!("{}\n", n * n).as_bytes()).is_ok(),
            Err(_) => false,
        });
        i32::from(!ok)
    });
    let sum = start(3, "summer", || {
        for fd in [r1, w1, w2] {
            let _ = sys::close(fd);
        }
        let (mut lines, mut total) = (0u32, 0u64);
        let ok = for_each_line(r2, |line| {
            lines += 1;
            line.parse::<u64>().map(|v| total += v).is_ok()
        });
        let expected = (1..=u64::from(NUMBERS)).map(|n| n * n).sum::<u64>();
        println!("satpipe: pipeline: node 3 summed {lines} squares from node 2 of numbers from node 1: {total} (expected {expected})");
        i32::from(!ok || total != expected || lines != NUMBERS)
    });
    for fd in [r1, w1, r2, w2] {
        let _ = sys::close(fd);
    }
    reap(&[(produce, "producer"), (square, "squarer"), (sum, "summer")])
}

fn full_pipe() -> u32 {
    let Some((r, w)) = new_pipe() else { return 1 };
    // The writer's word that it is about to write.
    let Some((go_r, go_w)) = new_pipe() else { return 1 };
    let reader = start(1, "slow reader", || {
        let _ = (sys::close(w), sys::close(go_w));
        let mut go = [0u8; 1];
        if sys::read(go_r, &mut go) != Ok(1) {
            println!("satpipe: full pipe: the writer never said it writes");
            return 3;
        }
        let _ = sys::sleep(20);
        match sys::read_to_end(r) {
            Ok(bytes) if bytes.len() == FULL && bytes.iter().enumerate().all(|(i, b)| *b == pattern(i)) => {
                println!(
                    "satpipe: full pipe: the reader on node 1 woke after 20 ticks and got all {FULL} bytes"
                );
                0
            }
            Ok(bytes) => {
                println!("satpipe: full pipe: the reader got {} bytes, not the pattern", bytes.len());
                1
            }
            Err(e) => {
                println!("satpipe: full pipe: read failed: {}", e.name());
                2
            }
        }
    });
    let writer = start(3, "writer", || {
        let _ = (sys::close(r), sys::close(go_r));
        let data: Vec<u8> = (0..FULL).map(pattern).collect();
        let _ = (sys::write(go_w, b"!"), sys::close(go_w));
        let before = sys::uptime();
        match sys::write(w, &data) {
            Ok(n) if n == FULL => {
                let waited = sys::uptime().wrapping_sub(before);
                let blocked =
                    if waited >= 10 { "blocked until the reader drained it" } else { "did not block" };
                println!("satpipe: full pipe: one write of {FULL} bytes from node 3 {blocked}");
                i32::from(waited < 10)
            }
            Ok(n) => {
                println!("satpipe: full pipe: wrote {n} of {FULL} bytes");
                1
            }
            Err(e) => {
                println!("satpipe: full pipe: write failed: {}", e.name());
                2
            }
        }
    });
    let _ = (sys::close(r), sys::close(w), sys::close(go_r), sys::close(go_w));
    reap(&[(reader, "slow reader"), (writer, "full-pipe writer")])
}
