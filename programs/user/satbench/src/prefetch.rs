//! The prefetch-cache part of `satbench` (docs/migration.md, "The prefetch cache"): two
//! workloads run on satellite 1, once with the cache on and once with it off (`prefetch`),
//! counting the round trips their forwarded calls cost there (`stats 1`: calls forwarded
//! plus copies served for the stubs, each one a round trip) and their virtual time.
//!
//! - **file-copy**: `cp` of a [`COPY_KIB`] KiB file, in 64 KiB reads and writes.
//! - **shell**: `sh -c` running a few commands, as a shell user would ([`SHELL`]).
//!
//! Without the cache, each call the program makes is forwarded once, so that run's count of
//! forwarded calls is the program's calls; the round trips per call of each run are against
//! it. The last line is `prefetch: file-copy on=A off=B fewer=Rx shell on=C off=D fewer=Sx`:
//! round trips per call with the cache and without, and how many times fewer the cache
//! makes.

use alloc::format;
use alloc::string::String;
use alloc::vec;

use ox_ulib::abi::open_flags::{O_CREAT, O_TRUNC, O_WRONLY};
use ox_ulib::abi::{Errno, Placement, WaitStatus};
use ox_ulib::counter::time_ns;
use ox_ulib::println;
use ox_ulib::sys::{self, Fork};

use super::SAT;

/// KiB of the file copied.
const COPY_KIB: usize = 256;
/// The file copied, and its copy.
const SOURCE: &str = "/satbench.src";
const TARGET: &str = "/satbench.dst";
/// The shell workload: a listing written, read through a pipe, counted and removed.
const SHELL: &str =
    "ls /bin > /satbench.ls; cat /satbench.ls | wc > /satbench.wc; cat /satbench.wc; rm /satbench.ls; rm /satbench.wc";

/// What a workload cost on the satellite: calls forwarded, copies served, virtual µs.
#[derive(Clone, Copy)]
struct Cost {
    calls: u32,
    copies: u32,
    us: u64,
}

impl Cost {
    /// Round trips: each forwarded call and each copy.
    fn round_trips(&self) -> u32 {
        self.calls + self.copies
    }
}

/// Both workloads with the cache on and off; returns the failures.
pub fn prefetch() -> u32 {
    if let Err(e) = make_source() {
        println!("satbench: writing {SOURCE}: {}", e.name());
        return 1;
    }
    println!("satbench: prefetch cache, round trips on satellite {SAT} (forwarded calls + copies)");
    println!(
        "satbench: {:<10} {:>5} {:>6} {:>7} {:>12} {:>8} {:>10}",
        "workload", "cache", "calls", "copies", "round trips", "rt/call", "us"
    );
    let mut failures = 0;
    let mut summary = String::new();
    let copy: [&str; 3] = ["cp", SOURCE, TARGET];
    let shell: [&str; 3] = ["sh", "-c", SHELL];
    for (name, args) in [("file-copy", &copy), ("shell", &shell)] {
        let mut costs = [None, None];
        for (i, on) in [true, false].into_iter().enumerate() {
            match setting(on).and_then(|()| run(args)) {
                Ok(cost) => costs[i] = Some(cost),
                Err(e) => {
                    println!("satbench: {name} with the cache {}: {}", word(on), e.name());
                    failures += 1;
                }
            }
        }
        // The program's calls: each is forwarded once without the cache.
        let Some(program_calls) = costs[1].map(|c| c.calls.max(1)) else { continue };
        summary += &format!(" {name}");
        for (cost, on) in costs.iter().zip([true, false]) {
            let Some(cost) = cost else { continue };
            println!(
                "satbench: {name:<10} {:>5} {:>6} {:>7} {:>12} {:>8} {:>10}",
                word(on),
                cost.calls,
                cost.copies,
                cost.round_trips(),
                per_call(cost.round_trips(), program_calls),
                cost.us
            );
            summary += &format!(" {}={}", word(on), per_call(cost.round_trips(), program_calls));
        }
        if let [Some(on), Some(off)] = costs {
            summary += &format!(" fewer={}x", per_call(off.round_trips(), on.round_trips().max(1)));
        }
    }
    if let Err(e) = setting(true) {
        println!("satbench: turning the cache back on: {}", e.name());
        failures += 1;
    }
    let _ = sys::unlink(SOURCE);
    let _ = sys::unlink(TARGET);
    println!("satbench: prefetch:{summary} (round trips per call, off/on)");
    failures
}

/// `on` or `off`.
fn word(on: bool) -> &'static str {
    if on {
        "on"
    } else {
        "off"
    }
}

/// `rt / calls` with two decimals.
fn per_call(rt: u32, calls: u32) -> String {
    let hundredths = (u64::from(rt) * 100 + u64::from(calls) / 2) / u64::from(calls);
    format!("{}.{:02}", hundredths / 100, hundredths % 100)
}

/// Turns the prefetch cache on or off.
fn setting(on: bool) -> Result<(), Errno> {
    sys::prefetch(Some(on)).map(|_| ())
}

/// Writes the file the copy reads.
fn make_source() -> Result<(), Errno> {
    let fd = sys::open(SOURCE, O_CREAT | O_TRUNC | O_WRONLY)?;
    let block: vec::Vec<u8> = (0..1024u32).map(|i| (i * 7 + i / 256) as u8).collect();
    let mut result = Ok(());
    for _ in 0..COPY_KIB {
        if let Err(e) = sys::write_all(fd, &block) {
            result = Err(e);
            break;
        }
    }
    let _ = sys::close(fd);
    result
}

/// Runs `/bin/ARGS[0]` on satellite [`SAT`] (its children there too) and waits for it; what
/// its calls cost there.
fn run(args: &[&str]) -> Result<Cost, Errno> {
    let before = sys::stats(SAT)?;
    let start = time_ns();
    let pid = match sys::rfork(SAT)? {
        Fork::Child => {
            let _ = sys::set_placement(Placement::Local);
            let e = sys::exec(&format!("/bin/{}", args[0]), args);
            println!("satbench: exec /bin/{}: {}", args[0], e.name());
            sys::exit(1);
        }
        Fork::Parent(pid) => pid,
    };
    let status = sys::wait(Some(pid))?.1;
    let us = (time_ns() - start) / 1000;
    let after = sys::stats(SAT)?;
    if status != WaitStatus::Exited(0) {
        println!("satbench: {} ended {status:?}", args[0]);
        return Err(Errno::Io);
    }
    let calls = after.forwarded.wrapping_sub(before.forwarded);
    let copies = after.user_copies.wrapping_sub(before.user_copies);
    Ok(Cost { calls, copies, us })
}
