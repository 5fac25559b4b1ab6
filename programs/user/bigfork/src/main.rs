//! `bigfork`: forks of processes whose heaps hold several MiB, onto and on satellites, and
//! forks too big for a satellite's memory (docs/satellites.md, "Placing a child"), as a test.
//! Run as init by tests/tests/remote.rs. Images travel page by page, so their size is bounded
//! by the receiving satellite's free frames, not by a kernel heap. Lines starting `bigfork:`
//! are the verdict.
//!
//! 1. A process on the central with [`BIG_KIB`] KiB more heap, each page holding its number,
//!    forks onto satellite 1 (`rfork(1)`): the child reads every page back there.
//! 2. That child, on satellite 1, forks onto satellite 2 (`rfork(2)`) and `local`ly (the child
//!    stays on satellite 1): each grandchild checks every page.
//! 3. A process on the central with [`HUGE_KIB`] KiB more heap (more than a satellite's 16 MiB
//!    of RAM): `rfork(1)` fails with `ENOMEM`, and a second time leaves satellite 1's counters
//!    (frames, pages, page tables, heap, images being received) as the first did; then a
//!    process of the usual size still forks onto it.
//! 4. A process on satellite 2 grows its heap there to [`SAT_KIB`] KiB, more than half the
//!    satellite's RAM: a `local` fork succeeds all the same, because it is copy-on-write there
//!    (`ForkHere`: no second copy is made); the child reads every page back, and the parent's
//!    heap is intact.

#![no_std]
#![no_main]

use ox_ulib::abi::{Errno, NodeStats, Placement, WaitStatus};
use ox_ulib::println;
use ox_ulib::sys::{self, Fork};

ox_ulib::entry!(main);

/// The heap the forked processes grow, in KiB: several MiB.
const BIG_KIB: u32 = 2048;
/// More than a satellite's RAM, in KiB.
const HUGE_KIB: u32 = 20 * 1024;
/// Heap grown on a satellite: more than half of its free memory, in KiB.
const SAT_KIB: u32 = 9 * 1024;

fn main(_args: &[&str]) -> i32 {
    println!("bigfork: pid {} on the central", sys::getpid());
    let tests: [fn() -> u32; 4] = [
        onto_and_on_satellites,
        too_big_onto_a_satellite,
        small_onto_a_satellite,
        big_local_fork_on_a_satellite,
    ];
    let failures: u32 = tests.iter().map(|test| on_central(*test)).sum();
    println!("bigfork: {failures} failure(s)");
    i32::from(failures != 0)
}

/// Runs `f` in a child on the central (so its heap is its own); returns 1 if it failed.
fn on_central(f: fn() -> u32) -> u32 {
    match sys::fork() {
        Ok(Fork::Child) => sys::exit(f() as i32),
        Ok(Fork::Parent(pid)) => u32::from(!matches!(sys::wait(Some(pid)), Ok((_, WaitStatus::Exited(0))))),
        Err(e) => {
            println!("bigfork: fork failed: {}", e.name());
            1
        }
    }
}

/// The node this process runs on (0: the central), from `ps`.
fn node() -> Option<u8> {
    let me = sys::getpid();
    sys::ps(64).ok()?.into_iter().find(|row| row.pid == me).map(|row| row.node)
}

/// Grows the heap by `kib` KiB and writes each new page's number into its first and last
/// words; returns where the new pages start.
fn grow(kib: u32) -> Result<*mut u32, Errno> {
    let start = sys::sbrk((kib * 1024) as i32)?.cast::<u32>();
    for page in 0..kib / 4 {
        // Safety: the page was just added to the heap by `sbrk`; nothing else refers to it.
        unsafe {
            start.add(page as usize * 1024).write_volatile(page);
            start.add(page as usize * 1024 + 1023).write_volatile(!page);
        }
    }
    Ok(start)
}

/// Whether the `kib` KiB from `start` hold what [`grow`] wrote.
fn intact(start: *mut u32, kib: u32) -> bool {
    (0..kib / 4).all(|page| {
        // Safety: the pages are this process's heap, grown by `grow` (here or in its parent).
        let (first, last) = unsafe {
            (
                start.add(page as usize * 1024).read_volatile(),
                start.add(page as usize * 1024 + 1023).read_volatile(),
            )
        };
        first == page && last == !page
    })
}

/// Forks (`rfork(node)`, or a plain `fork` under `local` for `None`) a child that checks the
/// heap from `start` on the node it lands on; returns the node and how the child ended.
fn fork_and_check(
    start: *mut u32,
    kib: u32,
    node_wanted: Option<u32>,
) -> Result<(Option<u8>, WaitStatus), Errno> {
    let (r, w) = sys::pipe()?;
    let forked = match node_wanted {
        Some(n) => sys::rfork(n),
        None => sys::fork(),
    };
    let pid = match forked {
        Ok(Fork::Child) => {
            let _ = sys::close(r);
            let _ = sys::write(w, &[node().unwrap_or(u8::MAX)]);
            sys::exit(if intact(start, kib) { 0 } else { 1 })
        }
        Ok(Fork::Parent(pid)) => pid,
        Err(e) => {
            let _ = (sys::close(r), sys::close(w));
            return Err(e);
        }
    };
    let _ = sys::close(w);
    let mut byte = [u8::MAX];
    let _ = sys::read(r, &mut byte);
    let _ = sys::close(r);
    let (_, status) = sys::wait(Some(pid))?;
    Ok((Some(byte[0]).filter(|n| *n != u8::MAX), status))
}

/// Tests 1 and 2.
fn onto_and_on_satellites() -> u32 {
    let start = match grow(BIG_KIB) {
        Ok(start) => start,
        Err(e) => {
            println!("bigfork: sbrk({BIG_KIB} KiB): {}", e.name());
            return 1;
        }
    };
    match sys::rfork(1) {
        Ok(Fork::Child) => {
            let mut failures = u32::from(!intact(start, BIG_KIB));
            println!(
                "bigfork: {BIG_KIB} KiB of heap forked onto node {:?}: every page read back: {}",
                node(),
                failures == 0
            );
            for (what, wanted) in [("rfork(2)", Some(2)), ("a local fork", None)] {
                match fork_and_check(start, BIG_KIB, wanted) {
                    Ok((node, status)) => {
                        println!("bigfork: {what} from node 1 with {BIG_KIB} KiB of heap: child on node {node:?}, {status:?}");
                        failures += u32::from(status != WaitStatus::Exited(0));
                    }
                    Err(e) => {
                        println!(
                            "bigfork: {what} from node 1 with {BIG_KIB} KiB of heap failed: {}",
                            e.name()
                        );
                        failures += 1;
                    }
                }
            }
            sys::exit(failures as i32)
        }
        Ok(Fork::Parent(pid)) => match sys::wait(Some(pid)) {
            Ok((_, WaitStatus::Exited(0))) => 0,
            other => {
                println!("bigfork: the child on node 1 ended {other:?}");
                1
            }
        },
        Err(e) => {
            println!("bigfork: rfork(1) with {BIG_KIB} KiB of heap failed: {}", e.name());
            1
        }
    }
}

/// A fork that must fail with `ENOMEM`, twice, leaving node `node`'s counters after the second
/// as after the first; returns the failures.
fn refused_cleanly(what: &str, node: u32, fork: impl Fn() -> Result<Fork, Errno>) -> u32 {
    let mut counters: [Option<NodeStats>; 2] = [None, None];
    for round in 0..2 {
        match fork() {
            Err(Errno::NoMem) => counters[round] = sys::stats(node).ok(),
            Ok(Fork::Child) => sys::exit(0),
            other => {
                println!("bigfork: {what}: {other:?}, not ENOMEM");
                if let Ok(Fork::Parent(pid)) = other {
                    let _ = sys::wait(Some(pid));
                }
                return 1;
            }
        }
    }
    let [Some(first), Some(second)] = counters else {
        println!("bigfork: {what}: no counters from node {node}");
        return 1;
    };
    let leaks = first.leaks(&second).count();
    println!("bigfork: {what}: ENOMEM; node {node}'s counters as before: {}", leaks == 0);
    for (name, was, is) in first.leaks(&second) {
        println!("bigfork: node {node}: {name} was {was}, is {is}");
    }
    u32::from(leaks != 0)
}

/// Test 3.
fn too_big_onto_a_satellite() -> u32 {
    if let Err(e) = grow(HUGE_KIB) {
        println!("bigfork: sbrk({HUGE_KIB} KiB): {}", e.name());
        return 1;
    }
    refused_cleanly("rfork(1) with 20 MiB of heap", 1, || sys::rfork(1))
}

/// After test 3: a process of the usual size still forks onto satellite 1.
fn small_onto_a_satellite() -> u32 {
    let landed = match sys::rfork(1) {
        Ok(Fork::Child) => sys::exit(node().map_or(1, |n| i32::from(n != 1))),
        Ok(Fork::Parent(pid)) => matches!(sys::wait(Some(pid)), Ok((_, WaitStatus::Exited(0)))),
        Err(_) => false,
    };
    println!("bigfork: then a small process forks onto node 1: {landed}");
    u32::from(!landed)
}

/// Test 4.
fn big_local_fork_on_a_satellite() -> u32 {
    match sys::rfork(2) {
        Ok(Fork::Child) => {
            let start = match grow(SAT_KIB) {
                Ok(start) => start,
                Err(e) => {
                    println!("bigfork: sbrk({SAT_KIB} KiB) on node 2: {}", e.name());
                    sys::exit(1)
                }
            };
            let _ = sys::set_placement(Placement::Local);
            let forked = match sys::fork() {
                Ok(Fork::Child) => sys::exit(i32::from(!intact(start, SAT_KIB))),
                Ok(Fork::Parent(pid)) => sys::wait(Some(pid)),
                Err(e) => Err(e),
            };
            println!("bigfork: a local fork on node 2 with 9 MiB of heap (copy-on-write): {forked:?}");
            let mut failures = u32::from(!matches!(forked, Ok((_, WaitStatus::Exited(0)))));
            let kept = intact(start, SAT_KIB);
            println!("bigfork: the process on node {:?} carries on, its heap intact: {kept}", node());
            failures += u32::from(!kept);
            sys::exit(failures as i32)
        }
        Ok(Fork::Parent(pid)) => u32::from(!matches!(sys::wait(Some(pid)), Ok((_, WaitStatus::Exited(0))))),
        Err(e) => {
            println!("bigfork: rfork(2) failed: {}", e.name());
            1
        }
    }
}
