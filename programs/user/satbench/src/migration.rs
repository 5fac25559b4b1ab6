//! The migration parts of `satbench` (docs/migration.md, "Figures"):
//!
//! - **migration**: a process whose image grows (its heap grown by `sbrk`, every page
//!   touched), spinning in `yield`, moved central → satellite 1 → satellite 2 → home; each
//!   move's virtual time, against the image's size; and `migration us/KiB` for the 1 MiB and
//!   4 MiB images.
//! - **balance**: six CPU-bound processes started on satellite 1, all waited for, with the
//!   load balancer off (`one-node`) and on (`balanced`), in virtual milliseconds, as
//!   `balance: one-node=A balanced=B`.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use ox_ulib::abi::{Errno, Signal, WaitStatus};
use ox_ulib::counter::time_ns;
use ox_ulib::println;
use ox_ulib::sys::{self, Fork, Pid};

#[path = "../../migtest/src/crunch.rs"]
mod crunch;

use crunch::crunch;

/// Heap added to the moved process, in KiB.
const HEAP_KIB: [u32; 4] = [0, 256, 1024, 4096];
/// Rounds of [`crunch`] for each of the balancing demo's processes: about a virtual second
/// alone on a node.
const DEMO_ROUNDS: u32 = 5_000_000;
/// The demo's processes.
const DEMO_PROCESSES: usize = 6;

/// Moves a process of growing images around; returns the failures.
pub fn migration() -> u32 {
    println!("satbench: migration of a process spinning in yield (virtual us per move)");
    println!("satbench: {:>8} {:>9} {:>10} {:>10} {:>10}", "heap KiB", "image KiB", "cp->1", "1->2", "2->cp");
    let mut failures = 0;
    let mut per_kib = String::new();
    for kib in HEAP_KIB {
        match moves(kib) {
            Ok((image, times)) => {
                println!(
                    "satbench: {kib:>8} {image:>9} {:>10} {:>10} {:>10}",
                    times[0] / 1000,
                    times[1] / 1000,
                    times[2] / 1000
                );
                if kib >= 1024 {
                    let mean = times.iter().sum::<u64>() / 3;
                    per_kib += &format!(" {}m={}", kib / 1024, mean / 1000 / u64::from(image));
                }
            }
            Err(e) => {
                println!("satbench: moving a process with {kib} KiB of heap failed: {}", e.name());
                failures += 1;
            }
        }
    }
    println!("satbench: migration us/KiB{per_kib} (per KiB of image, the mean of the three moves)");
    failures
}

/// A process with `kib` KiB more heap moved central → 1 → 2 → home: its image's size in KiB
/// and each move's virtual nanoseconds.
fn moves(kib: u32) -> Result<(u32, [u64; 3]), Errno> {
    let (r, w) = sys::pipe()?;
    let pid = match sys::fork()? {
        Fork::Child => {
            let grown = super::grow(kib);
            let _ = sys::write(w, &[u8::from(grown.is_ok())]);
            loop {
                sys::yield_now();
            }
        }
        Fork::Parent(pid) => pid,
    };
    let _ = sys::close(w);
    let mut ready = [0u8; 1];
    let started = sys::read(r, &mut ready);
    let _ = sys::close(r);
    let mut times = [0u64; 3];
    let mut result = if started == Ok(1) && ready[0] == 1 { Ok(()) } else { Err(Errno::NoMem) };
    let mut image = 0;
    for (i, node) in [1, 2, 0].into_iter().enumerate() {
        if result.is_err() {
            break;
        }
        let t0 = time_ns();
        result = sys::migrate(pid, node);
        times[i] = time_ns() - t0;
        if node == 1 && result.is_ok() {
            image = sys::stats(1).map_or(0, |s| s.user_pages) * 4;
        }
    }
    let _ = sys::kill(pid, Signal::Kill);
    let _ = sys::wait(Some(pid));
    result.map(|()| (image, times))
}

/// The balancing demo, without and with the balancer; returns the failures.
pub fn balance() -> u32 {
    let was = sys::balance(0, Some(false));
    let one_node = demo();
    let _ = sys::balance(0, Some(true));
    let balanced = demo();
    let _ = sys::balance(0, Some(was.unwrap_or(false)));
    match (one_node, balanced) {
        (Ok(a), Ok(b)) => {
            println!(
                "satbench: balance: one-node={} balanced={} (virtual ms, six processes)",
                a / 1_000_000,
                b / 1_000_000
            );
            0
        }
        (a, b) => {
            println!("satbench: the balancing demo failed: {a:?} {b:?}");
            1
        }
    }
}

/// Six CPU-bound processes started on satellite 1, each checking its result; the virtual
/// nanoseconds until the last is waited for.
fn demo() -> Result<u64, Errno> {
    let expected = crunch(DEMO_ROUNDS / 64);
    let t0 = time_ns();
    let mut pids: Vec<Pid> = Vec::new();
    for _ in 0..DEMO_PROCESSES {
        match sys::rfork(1)? {
            Fork::Child => {
                let mut ok = true;
                for _ in 0..64 {
                    ok &= crunch(DEMO_ROUNDS / 64) == expected;
                }
                sys::exit(i32::from(!ok))
            }
            Fork::Parent(pid) => pids.push(pid),
        }
    }
    let mut failed = false;
    for pid in pids {
        failed |= sys::wait(Some(pid))?.1 != WaitStatus::Exited(0);
    }
    if failed {
        return Err(Errno::Io);
    }
    Ok(time_ns() - t0)
}
