//! `dsmtest`: distributed shared memory (docs/dsm.md), as a test: a DSM server (an external
//! pager, `ox_ulib::dsm`) on this node and tasks on satellites 1 to 3 mapping its region —
//! read-only copies on every reader, a write invalidating every other copy first (the order
//! counted by the server's lock requests), a read of a written page cleaning the writer's
//! copy, pages written back when their holders end, Peterson's mutual exclusion holding over
//! the region (it needs sequential consistency), and the histogram demo giving the one-process
//! result.
//!
//! Each case prints `dsmtest: NAME: ok` or `dsmtest: NAME: FAILED: why`; the last line is
//! `dsmtest: N passed, M failed`. The transcript is the same on any node.

#![no_std]
#![no_main]

extern crate alloc;

#[path = "../../dsm/src/demo.rs"]
mod demo;

use alloc::format;
use alloc::string::String;

use ox_ulib::abi::Placement;
use ox_ulib::dsm::{self, Stats};
use ox_ulib::suite::{self, ensure, ok, reap, spawn_on, Outcome};
use ox_ulib::sys;

use demo::{
    histogram_dsm, histogram_local, read, start_server, stop_server, write, Agents, PAGE, REGION_PAGES,
};

ox_ulib::entry!(main);

fn main(_: &[&str]) -> i32 {
    if let Err(e) = sys::set_placement(Placement::Local) {
        ox_ulib::println!("dsmtest: place local: {}", e.name());
        return 1;
    }
    let cases: [(&str, fn() -> Outcome); 5] = [
        ("readers on three satellites, then a writer: the other copies are invalidated first", invalidation),
        ("pages written back when their holders end reach the next reader", written_back),
        ("Peterson's mutual exclusion over the region: sequential consistency", peterson),
        ("the demo: the histogram on three satellites is the one-process histogram", histogram),
        ("nothing left: no port, name or message on either node", nothing_left),
    ];
    suite::run("dsmtest", cases)
}

/// A region's name unique to this run of the test.
fn region(case: &str) -> String {
    format!("dsmtest.{}.{case}", sys::getpid())
}

fn stats(region: &str) -> Result<Stats, String> {
    ok("dsm stats", dsm::stats(&dsm::service_name(region)))
}

/// What changed between two readings of the server's counters: (read faults, write faults,
/// lock requests).
fn delta(before: Stats, after: Stats) -> (u32, u32, u32) {
    (
        after.read_faults - before.read_faults,
        after.write_faults - before.write_faults,
        after.lock_requests - before.lock_requests,
    )
}

/// Agent `k` reads `expected` at `offset`.
fn reads(agents: &Agents, k: usize, offset: u32, expected: u32) -> Outcome {
    let got = agents.read(k, offset)?;
    ensure(got == expected, || format!("agent {k} reads {got} at {offset}, not {expected}"))
}

fn invalidation() -> Outcome {
    let region = region("invalidation");
    let server = start_server(&region, REGION_PAGES, None)?;
    let agents = Agents::start(&region, &[1, 2, 3])?;
    let at = PAGE + 8;
    let s0 = stats(&region)?;
    for k in 0..3 {
        reads(&agents, k, at, 0)?;
    }
    let s1 = stats(&region)?;
    ensure(delta(s0, s1) == (3, 0, 0), || format!("three first reads: {:?}, not (3, 0, 0)", delta(s0, s1)))?;
    agents.write(0, at, 11)?;
    let s2 = stats(&region)?;
    ensure(delta(s1, s2) == (0, 1, 2), || {
        format!("a write with two other copies: {:?}, not one write fault and two flushes", delta(s1, s2))
    })?;
    reads(&agents, 1, at, 11)?;
    reads(&agents, 2, at, 11)?;
    let s3 = stats(&region)?;
    ensure(delta(s2, s3) == (2, 0, 1), || {
        format!("two reads of a written page: {:?}, not two read faults and one clean", delta(s2, s3))
    })?;
    agents.write(2, at, 33)?;
    agents.write(2, at + 4, 34)?;
    let s4 = stats(&region)?;
    ensure(delta(s3, s4) == (0, 1, 2), || {
        format!("two writes by one node: {:?}, not one write fault and two flushes", delta(s3, s4))
    })?;
    reads(&agents, 0, at, 33)?;
    reads(&agents, 1, at + 4, 34)?;
    reads(&agents, 2, at, 33)?;
    agents.stop()?;
    stop_server(&region, server)
}

fn written_back() -> Outcome {
    let region = region("written-back");
    let server = start_server(&region, REGION_PAGES, None)?;
    let first = Agents::start(&region, &[1, 2])?;
    first.write(0, 2 * PAGE, 1111)?;
    first.write(1, 3 * PAGE, 2222)?;
    first.stop()?;
    let next = Agents::start(&region, &[3])?;
    reads(&next, 0, 2 * PAGE, 1111)?;
    reads(&next, 0, 3 * PAGE, 2222)?;
    next.stop()?;
    stop_server(&region, server)
}

/// Peterson's entries each worker makes.
const PETERSON_ROUNDS: u32 = 20;

/// Worker `me` (0 or 1) of Peterson's algorithm on the region at `at`: the two flags at words
/// 0 and 1, the turn at word 2, the counter in the next page. Exit 0 when done.
fn peterson_worker(name: &str, me: u32) -> i32 {
    let Ok(at) = dsm::map(name, REGION_PAGES * PAGE) else { return 30 };
    let other = 1 - me;
    let (flag, turn, counter) = (|i: u32| at + 4 * i, at + 8, at + PAGE);
    for _ in 0..PETERSON_ROUNDS {
        write(flag(me), 1);
        write(turn, other);
        while read(flag(other)) == 1 && read(turn) == other {
            sys::yield_now();
        }
        write(counter, read(counter) + 1);
        write(flag(me), 0);
    }
    if demo::unmap(at, REGION_PAGES * PAGE).is_err() {
        return 31;
    }
    0
}

fn peterson() -> Outcome {
    let region = region("peterson");
    let server = start_server(&region, REGION_PAGES, None)?;
    let name = dsm::service_name(&region);
    let mut workers = [0; 2];
    for (me, pid) in workers.iter_mut().enumerate() {
        let name = name.clone();
        *pid = spawn_on(1 + me as u32, move || peterson_worker(&name, me as u32))?;
    }
    for pid in workers {
        let code = reap(pid)?;
        ensure(code == 0, || format!("a worker: exit {code}"))?;
    }
    let check = Agents::start(&region, &[3])?;
    reads(&check, 0, PAGE, 2 * PETERSON_ROUNDS)?;
    check.stop()?;
    stop_server(&region, server)
}

fn histogram() -> Outcome {
    let region = region("histogram");
    let server = start_server(&region, REGION_PAGES, None)?;
    let (bins, _) = histogram_dsm(&region, 3)?;
    stop_server(&region, server)?;
    let local = histogram_local();
    ensure(bins == local, || format!("{} over DSM, {} in one process", demo::show(&bins), demo::show(&local)))
}

/// Every region ended and its server with it: no port, name or message on this node or the
/// other (once the last words have crossed).
fn nothing_left() -> Outcome {
    suite::no_ports_left()
}
