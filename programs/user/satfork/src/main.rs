//! `satfork`: processes created and replaced **on** satellites, and where `fork` puts children
//! (docs/satellites.md), as a test. Run as init by tests/tests/remote.rs. Lines starting
//! `satfork:` are the verdict and are the same whatever the links lose (every line is printed
//! after what it reports has happened: a parent prints after its `wait`); lines starting
//! `measure:` are timings.
//!
//! 1. Placement policies on the central: children of plain `fork`s under `round-robin`,
//!    a fixed node, `least-loaded` and `local`, where `ps` sees them; a bad node is refused.
//! 2. A `fork` on satellite 1 under policy node 2: the child runs on satellite 2, sees its
//!    parent with `getppid`, inherits the policy (its own child lands on node 2 as well); the
//!    parent `wait`s on satellite 1 for it; a `local` fork there stays on satellite 1; an
//!    `rfork(3)` from the satellite lands on node 3.
//! 3. `exec` on a satellite: `echo` prints through the stub; `ps` shows the stub renamed.
//! 4. A failed `exec` on a satellite returns `ENOENT` with the old image intact.
//! 5. `getppid` on a satellite after its parent exits: 1 (init adopted it) — and init's
//!    `wait` collects it.
//! 6. `dup2` on the central and on a satellite (the console redirected to a file).
//! 7. The utility `place`: `place 3 satfork placed` runs this program (as `placed`) under
//!    policy node 3, and its plain `fork` puts the child on satellite 3.
//! 8. Timings: forks placed from the central and from a satellite.

#![no_std]
#![no_main]

extern crate alloc;

use alloc::vec::Vec;

use ox_ulib::abi::open_flags::{O_APPEND, O_CREAT, O_RDONLY, O_TRUNC, O_WRONLY};
use ox_ulib::abi::{Errno, Placement, WaitStatus};
use ox_ulib::sys::{self, Fork, Pid};
use ox_ulib::{print, println};

ox_ulib::entry!(main);

fn main(args: &[&str]) -> i32 {
    if args.get(1) == Some(&"placed") {
        return placed();
    }
    println!("satfork: pid {} on the central, policy {:?}", sys::getpid(), sys::placement());
    let tests: [fn() -> u32; 8] = [
        policies,
        fork_on_a_satellite,
        exec_on_a_satellite,
        failed_exec,
        reparenting,
        dup2,
        place_utility,
        measure,
    ];
    let failures: u32 = tests.iter().map(|test| test()).sum();
    println!("satfork: {failures} failure(s)");
    i32::from(failures != 0)
}

/// The node process `pid` runs on (0: the central), from `ps`.
fn node_of(pid: Pid) -> Option<u8> {
    sys::ps(64).ok()?.into_iter().find(|row| row.pid == pid).map(|row| row.node)
}

/// Waits for `pid`; says how it ended.
fn reap(pid: Pid) -> Option<WaitStatus> {
    match sys::wait(Some(pid)) {
        Ok((_, status)) => Some(status),
        Err(e) => {
            println!("satfork: wait for {pid} failed: {}", e.name());
            None
        }
    }
}

/// Forks a child that sleeps `ticks` and exits `code`; returns its pid.
fn sleeper(ticks: u32, code: i32) -> Result<Pid, Errno> {
    match sys::fork()? {
        Fork::Child => {
            let _ = sys::sleep(ticks);
            sys::exit(code)
        }
        Fork::Parent(pid) => Ok(pid),
    }
}

/// Reaps `pid`, which should exit `code`; 1 if it did not.
fn expect(what: &str, pid: Pid, code: u8) -> u32 {
    let status = reap(pid);
    if status == Some(WaitStatus::Exited(code)) {
        0
    } else {
        println!("satfork: {what}: child {pid} ended {status:?}, not Exited({code})");
        1
    }
}

fn policies() -> u32 {
    let plan = [
        (Placement::RoundRobin, "round-robin"),
        (Placement::RoundRobin, "round-robin"),
        (Placement::RoundRobin, "round-robin"),
        (Placement::Node(2), "node 2"),
        (Placement::LeastLoaded, "least-loaded"),
        (Placement::Local, "local"),
    ];
    let mut children = Vec::new();
    for (i, (policy, name)) in plan.iter().enumerate() {
        if let Err(e) = sys::set_placement(*policy) {
            println!("satfork: place {name} failed: {}", e.name());
            return 1;
        }
        match sleeper(100, 20 + i as i32) {
            Ok(pid) => children.push((pid, *name)),
            Err(e) => {
                println!("satfork: fork under {name} failed: {}", e.name());
                return 1;
            }
        }
    }
    let nodes: Vec<Option<u8>> = children.iter().map(|(pid, _)| node_of(*pid)).collect();
    let mut failures = 0;
    for (i, (pid, _)) in children.iter().enumerate() {
        failures += expect("policies", *pid, 20 + i as u8);
    }
    for ((_, name), node) in children.iter().zip(&nodes) {
        println!("satfork: fork under {name}: child on node {node:?}");
    }
    let expected = [Some(1), Some(2), Some(3), Some(2), Some(1), Some(0)];
    failures += u32::from(nodes != expected);
    let refused = sys::set_placement(Placement::Node(9));
    println!("satfork: place node 9 (no such satellite): {:?}", refused.map_err(Errno::name));
    failures += u32::from(refused != Err(Errno::Inval));
    println!("satfork: policy now {:?}", sys::placement());
    failures
}

fn fork_on_a_satellite() -> u32 {
    let me = sys::getpid();
    let parent = match sys::rfork(1) {
        Err(e) => {
            println!("satfork: rfork 1 failed: {}", e.name());
            return 1;
        }
        Ok(Fork::Child) => sys::exit(on_satellite_one(me) as i32),
        Ok(Fork::Parent(pid)) => pid,
    };
    let status = reap(parent);
    println!("satfork: the parent on node 1 ended {status:?}");
    u32::from(status != Some(WaitStatus::Exited(0)))
}

/// The parent's part of test 2, on satellite 1; returns its failures.
fn on_satellite_one(init: Pid) -> u32 {
    let me = sys::getpid();
    let mut failures = u32::from(sys::getppid() != init);
    let _ = sys::set_placement(Placement::Node(2));
    let child = match sys::fork() {
        Err(e) => {
            println!("satfork: fork on node 1 failed: {}", e.name());
            return failures + 1;
        }
        Ok(Fork::Child) => sys::exit(child_on_satellite_two(me)),
        Ok(Fork::Parent(pid)) => pid,
    };
    let (my_node, child_node) = (node_of(me), node_of(child));
    let status = reap(child);
    println!(
        "satfork: pid {me} on node {my_node:?} forked pid {child} on node {child_node:?}; wait there: {status:?}"
    );
    failures +=
        u32::from(my_node != Some(1) || child_node != Some(2) || status != Some(WaitStatus::Exited(33)));
    let _ = sys::set_placement(Placement::Local);
    match sleeper(20, 34) {
        Ok(local) => {
            let node = node_of(local);
            failures += expect("local fork on node 1", local, 34);
            println!("satfork: local fork on node 1: child on node {node:?}");
            failures += u32::from(node != Some(1));
        }
        Err(e) => {
            println!("satfork: local fork on node 1 failed: {}", e.name());
            failures += 1;
        }
    }
    match sys::rfork(3) {
        Ok(Fork::Child) => {
            let _ = sys::sleep(20);
            sys::exit(35)
        }
        Ok(Fork::Parent(pid)) => {
            let node = node_of(pid);
            failures += expect("rfork 3 from node 1", pid, 35);
            println!("satfork: rfork(3) on node 1: child on node {node:?}");
            failures += u32::from(node != Some(3));
        }
        Err(e) => {
            println!("satfork: rfork 3 on node 1 failed: {}", e.name());
            failures += 1;
        }
    }
    failures
}

/// The child's part of test 2, on satellite 2: its exit status is 33 when all is well.
fn child_on_satellite_two(parent: Pid) -> i32 {
    let _ = sys::sleep(20);
    if sys::getppid() != parent {
        return 1;
    }
    // It inherited the policy: its own child lands on node 2 too.
    match sleeper(20, 36) {
        Ok(grandchild) => {
            let node = node_of(grandchild);
            let status = reap(grandchild);
            if node != Some(2) || status != Some(WaitStatus::Exited(36)) {
                println!("satfork: the grandchild ran on node {node:?} and ended {status:?}");
                return 2;
            }
            33
        }
        Err(_) => 3,
    }
}

fn exec_on_a_satellite() -> u32 {
    let mut failures = 0;
    for (program, args) in [
        ("echo", &["echo", "satfork:", "echo", "ran", "on", "satellite", "3", "after", "exec"][..]),
        ("ps", &["ps"][..]),
    ] {
        match sys::rfork(3) {
            Ok(Fork::Child) => {
                let errno = sys::exec(program, args);
                println!("satfork: exec {program} on node 3 failed: {}", errno.name());
                sys::exit(127)
            }
            Ok(Fork::Parent(pid)) => {
                let status = reap(pid);
                println!("satfork: exec {program} on node 3: {status:?}");
                failures += u32::from(status != Some(WaitStatus::Exited(0)));
            }
            Err(e) => {
                println!("satfork: rfork 3 failed: {}", e.name());
                failures += 1;
            }
        }
    }
    failures
}

fn failed_exec() -> u32 {
    match sys::rfork(2) {
        Ok(Fork::Child) => {
            let kept = alloc::format!("{} {}", "old", "image");
            let errno = sys::exec("no-such-program", &["no-such-program"]);
            let intact = kept == "old image";
            println!("satfork: exec no-such-program on node 2: {}; heap intact: {intact}", errno.name());
            sys::exit(if errno == Errno::NoEnt && intact { 5 } else { 6 })
        }
        Ok(Fork::Parent(pid)) => expect("failed exec", pid, 5),
        Err(e) => {
            println!("satfork: rfork 2 failed: {}", e.name());
            1
        }
    }
}

fn reparenting() -> u32 {
    let middle = match sys::rfork(1) {
        Ok(Fork::Child) => {
            // Local: the orphan-to-be runs on node 1 too.
            let me = sys::getpid();
            match sys::fork() {
                Ok(Fork::Child) => {
                    let before = sys::getppid();
                    let _ = sys::sleep(100);
                    let after = sys::getppid();
                    sys::exit(if before == me && after == 1 { 40 } else { 41 })
                }
                Ok(Fork::Parent(_)) => sys::exit(0),
                Err(_) => sys::exit(1),
            }
        }
        Ok(Fork::Parent(pid)) => pid,
        Err(e) => {
            println!("satfork: rfork 1 failed: {}", e.name());
            return 1;
        }
    };
    let mut failures = expect("the orphan's parent", middle, 0);
    match sys::wait(None) {
        Ok((orphan, status)) => {
            println!(
                "satfork: the orphan {orphan} saw getppid {}: {status:?}",
                match status {
                    WaitStatus::Exited(40) => "change to 1",
                    _ => "stay",
                }
            );
            failures += u32::from(status != WaitStatus::Exited(40));
        }
        Err(e) => {
            println!("satfork: init adopted no orphan: {}", e.name());
            failures += 1;
        }
    }
    failures
}

const DUP_FILE: &str = "/dup2.txt";

fn dup2() -> u32 {
    let Ok(fd) = sys::open(DUP_FILE, O_CREAT | O_WRONLY | O_TRUNC) else { return 1 };
    let mut failures = 0;
    let moved = sys::dup2(fd, 7);
    failures += u32::from(moved != Ok(7) || sys::write_all(7, b"central via 7\n").is_err());
    let _ = (sys::close(fd), sys::close(7));
    let errors = (sys::dup2(99, 8), sys::dup2(1, 99));
    println!(
        "satfork: dup2(99, 8) {:?}, dup2(1, 99) {:?}",
        errors.0.map_err(Errno::name),
        errors.1.map_err(Errno::name)
    );
    failures += u32::from(errors != (Err(Errno::BadF), Err(Errno::BadF)));
    match sys::rfork(2) {
        Ok(Fork::Child) => {
            let Ok(fd) = sys::open(DUP_FILE, O_WRONLY | O_APPEND) else { sys::exit(2) };
            if sys::dup2(fd, 1) != Ok(1) || sys::dup2(1, 1) != Ok(1) {
                sys::exit(3)
            }
            print!("satellite 2 via stdout\n");
            sys::exit(0)
        }
        Ok(Fork::Parent(pid)) => failures += expect("dup2 on node 2", pid, 0),
        Err(_) => failures += 1,
    }
    let back = sys::open(DUP_FILE, O_RDONLY).and_then(sys::read_to_end).unwrap_or_default();
    let text = core::str::from_utf8(&back).unwrap_or("?");
    println!("satfork: dup2 file: {:?}", text);
    failures + u32::from(text != "central via 7\nsatellite 2 via stdout\n")
}

fn place_utility() -> u32 {
    match sys::fork() {
        Ok(Fork::Child) => {
            let errno = sys::exec("place", &["place", "3", "satfork", "placed"]);
            println!("satfork: exec place failed: {}", errno.name());
            sys::exit(127)
        }
        Ok(Fork::Parent(pid)) => expect("place 3 satfork placed", pid, 0),
        Err(_) => 1,
    }
}

/// Test 7's command, run by `place 3`: the policy it inherited, and where its `fork` puts a
/// child. Exits 0 if that is node 3.
fn placed() -> i32 {
    let policy = sys::placement();
    match sleeper(20, 0) {
        Ok(child) => {
            let node = node_of(child);
            let status = reap(child);
            println!("satfork: under `place 3`: policy {policy:?}, fork put the child on node {node:?}");
            i32::from(
                policy != Ok(Placement::Node(3)) || node != Some(3) || status != Some(WaitStatus::Exited(0)),
            )
        }
        Err(e) => {
            println!("satfork: fork under `place 3` failed: {}", e.name());
            1
        }
    }
}

/// Ticks for `n` forks by `fork_one` (each child exits at once and is reaped).
fn time_forks(n: u32, fork_one: fn() -> Result<Fork, Errno>) -> Result<u32, Errno> {
    let start = sys::uptime();
    for _ in 0..n {
        match fork_one()? {
            Fork::Child => sys::exit(0),
            Fork::Parent(pid) => {
                reap(pid);
            }
        }
    }
    Ok(sys::uptime() - start)
}

fn measure() -> u32 {
    const N: u32 = 10;
    /// Bytes of heap added for the second image size.
    const GROW: i32 = 128 << 10;
    let to_satellite = || sys::rfork(1);
    let central = time_forks(N, sys::fork);
    let placed = time_forks(N, to_satellite);
    println!(
        "measure: {N} forks on the central in {central:?} ms; {N} rforks central -> node 1 in {placed:?} ms"
    );
    let mut failures = u32::from(central.is_err() || placed.is_err());
    match sys::fork() {
        Ok(Fork::Child) => {
            let bigger = sys::sbrk(GROW).and_then(|_| time_forks(N, to_satellite));
            println!("measure: with 128 KiB more heap, {N} rforks central -> node 1 in {bigger:?} ms");
            sys::exit(i32::from(bigger.is_err()))
        }
        Ok(Fork::Parent(pid)) => failures += expect("measuring a bigger image", pid, 0),
        Err(_) => failures += 1,
    }
    match sys::rfork(1) {
        Ok(Fork::Child) => {
            let local = time_forks(N, sys::fork);
            let _ = sys::set_placement(Placement::Node(2));
            let other = time_forks(N, sys::fork);
            println!(
                "measure: on node 1, {N} local forks in {local:?} ms; {N} forks to node 2 in {other:?} ms"
            );
            let bigger = sys::sbrk(GROW).and_then(|_| time_forks(N, sys::fork));
            println!("measure: on node 1 with 128 KiB more heap, {N} forks to node 2 in {bigger:?} ms");
            sys::exit(i32::from(local.is_err() || other.is_err() || bigger.is_err()))
        }
        Ok(Fork::Parent(pid)) => failures + expect("measuring on node 1", pid, 0),
        Err(_) => failures + 1,
    }
}
