//! `spin [KIB [SECONDS]]`: a CPU-bound process for trying process migration and load
//! balancing (docs/migration.md): it grows its heap by `KIB` KiB (every page written), then
//! computes — a checksum over that memory and a counter — for `SECONDS` virtual seconds of
//! this node's CPU (for ever without), and prints what it computed and on which node it ended.
//!
//! Exit status: 0, or 1 if its memory changed under it (which migration must never do), 2 for
//! a bad command line or no memory.

#![no_std]
#![no_main]

use ox_ulib::counter::time_ns;
use ox_ulib::{eprintln, println, sys};

ox_ulib::entry!(main);

fn main(args: &[&str]) -> i32 {
    let number = |i: usize| args.get(i).map(|a| a.parse::<u32>());
    let (kib, seconds) = match (number(1), number(2), args.len()) {
        (None, None, _) => (0, None),
        (Some(Ok(kib)), None, 2) => (kib, None),
        (Some(Ok(kib)), Some(Ok(s)), 3) => (kib, Some(s)),
        _ => {
            eprintln!("usage: spin [KIB [SECONDS]]");
            return 2;
        }
    };
    let start = match sys::sbrk((kib * 1024) as i32) {
        Ok(start) => start,
        Err(e) => {
            eprintln!("spin: {kib} KiB: {}", e.name());
            return 2;
        }
    };
    let pages = kib / 4;
    for page in 0..pages {
        // Safety: the page was just added to the heap by `sbrk`; nothing else refers to it.
        unsafe { start.add(page as usize * 4096).write_volatile(page as u8) };
    }
    let mut rounds: u64 = 0;
    let mut sum: u32 = 0;
    // A computation that runs until `seconds` of virtual time went by on the node it is on
    // (the `time` counter is each node's own), checking its memory every round.
    let mut last = time_ns();
    let mut spent: u64 = 0;
    loop {
        for page in 0..pages {
            // Safety: the page is this process's heap, written above.
            let byte = unsafe { start.add(page as usize * 4096).read_volatile() };
            if byte != page as u8 {
                eprintln!("spin: page {page} changed");
                return 1;
            }
            sum = sum.rotate_left(5) ^ u32::from(byte);
        }
        for _ in 0..10_000 {
            sum = sum.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
        }
        rounds += 1;
        let now = time_ns();
        // A move to another node restarts the clock there: count only forward steps.
        spent += now.saturating_sub(last).min(10_000_000);
        last = now;
        if seconds.is_some_and(|s| spent >= u64::from(s) * 1_000_000_000) {
            break;
        }
    }
    let node =
        sys::ps(64).ok().and_then(|t| t.into_iter().find(|p| p.pid == sys::getpid())).map_or(0, |p| p.node);
    println!("spin: {rounds} rounds, checksum {sum:#010x}, on node {node}");
    0
}
