//! `swaptest [MIB]`: the default pager and swap (docs/pagers.md, *The default pager*), as a
//! test. It needs a default pager on its node (`defpager &`, or `place N defpager &` for a
//! satellite): without one, memory larger than the node's cannot be had at all.
//!
//! Cases: a working set of `MIB` MiB (default: twice the node's free memory at start) written
//! page by page, then read back in two other orders, every word checked; a forked child that
//! writes a quarter of those pages while they are paged out, its parent still reading its own
//! (copy-on-write through pages the pager holds); a child keeping 64 of those pages, most of
//! them paged out, forking onto another node (`rfork`: its image must bring them back); a
//! parent reading and writing a child's paged-out pages with `vm_read` and `vm_write`; the
//! memory given back.
//!
//! Each case prints `swaptest: NAME: ok` or `swaptest: NAME: FAILED: why`; the last line is
//! `swaptest: N passed, M failed`. The first case also prints how fast each pass went, in KiB
//! of the working set per virtual second (`swaptest: passes in KiB/s: write=W read=R
//! strided=S`): the swap's throughput, which `cargo xtask bench-os` reports.

#![no_std]
#![no_main]

extern crate alloc;

use alloc::format;
use core::cell::RefCell;

use ox_ulib::abi::Placement;
use ox_ulib::counter::time_ns;
use ox_ulib::suite::{self, ensure, ok, reap, spawn, Outcome};
use ox_ulib::{eprintln, println, sys, vm};

ox_ulib::entry!(main);

/// Words of a page.
const WORDS: usize = 1024;

fn main(args: &[&str]) -> i32 {
    if let Err(e) = sys::set_placement(Placement::Local) {
        println!("swaptest: place local: {}", e.name());
        return 1;
    }
    let node = match suite::my_node() {
        Ok(node) => node,
        Err(e) => {
            println!("swaptest: {e}");
            return 1;
        }
    };
    let mib = match args {
        [_] => match sys::stats(node) {
            Ok(stats) => (2 * stats.free_frames).div_ceil(256),
            Err(e) => {
                println!("swaptest: stats: {}", e.name());
                return 1;
            }
        },
        [_, mib] => match mib.parse::<u32>() {
            Ok(mib) if mib > 0 && mib <= 256 => mib,
            _ => return usage(),
        },
        _ => return usage(),
    };
    println!("swaptest: {mib} MiB on node {node}");
    let pages = mib as usize * 256;
    let region = match sys::sbrk((pages * 4096) as i32) {
        // Safety: `sbrk` gave these pages to this process alone; nothing else refers to them.
        Ok(start) => unsafe { core::slice::from_raw_parts_mut(start.cast::<u32>(), pages * WORDS) },
        Err(e) => {
            println!("swaptest: sbrk {mib} MiB: {} (is a default pager running? `defpager &`)", e.name());
            return 1;
        }
    };
    let region = RefCell::new(region);
    let cases: [(&str, &dyn Fn(&mut [u32]) -> Outcome); 5] = [
        ("a working set twice the node's memory, written and read back", &working_set),
        ("a forked child writes paged-out pages copy-on-write", &forked),
        ("a process with pages paged out forks onto another node", &forked_elsewhere),
        ("vm_read and vm_write reach a child's paged-out pages", &other_task),
        ("the memory is given back", &|region| given_back(region, node)),
    ];
    suite::run("swaptest", cases.map(|(name, case)| (name, || case(&mut region.borrow_mut()))))
}

fn usage() -> i32 {
    eprintln!("usage: swaptest [MIB]");
    2
}

/// The value word `i` of page `page` holds in generation `generation`.
fn value(page: usize, i: usize, generation: u32) -> u32 {
    let x = (page * WORDS + i) as u32;
    x.wrapping_mul(0x9e37_79b1) ^ generation.wrapping_mul(0x85eb_ca6b) ^ 0x5bd1_e995
}

/// Writes every word of page `page`.
fn fill(region: &mut [u32], page: usize, generation: u32) {
    for (i, word) in region[page * WORDS..(page + 1) * WORDS].iter_mut().enumerate() {
        *word = value(page, i, generation);
    }
}

/// Checks every word of page `page` against `generation`.
fn check(region: &[u32], page: usize, generation: u32) -> Outcome {
    for (i, &word) in region[page * WORDS..(page + 1) * WORDS].iter().enumerate() {
        let want = value(page, i, generation);
        ensure(word == want, || format!("page {page} word {i}: {word:#010x}, not {want:#010x}"))?;
    }
    Ok(())
}

/// The node's free frames.
fn frames_free(node: u32) -> Result<u32, alloc::string::String> {
    ok("stats", sys::stats(node)).map(|s| s.free_frames)
}

fn working_set(region: &mut [u32]) -> Outcome {
    let pages = region.len() / WORDS;
    let started = time_ns();
    for page in 0..pages {
        fill(region, page, 1);
    }
    let written = time_ns();
    for page in (0..pages).rev() {
        check(region, page, 1)?;
    }
    let read = time_ns();
    // A stride prime to the number of pages visits each once, far apart.
    let stride = if pages % 97 == 0 { 89 } else { 97 };
    for step in 0..pages {
        check(region, step * stride % pages, 1)?;
    }
    let strided = time_ns();
    // Each pass touches the whole working set, twice the memory: about every page it touches
    // comes in from the pager and another goes out. KiB of the working set per virtual second.
    let rate = |from: u64, to: u64| (pages as u64 * 4 * 1_000_000_000) / (to - from).max(1);
    println!(
        "swaptest: passes in KiB/s: write={} read={} strided={}",
        rate(started, written),
        rate(written, read),
        rate(read, strided)
    );
    Ok(())
}

fn forked(region: &mut [u32]) -> Outcome {
    let pages = region.len() / WORDS;
    let child = spawn(|| {
        for page in (0..pages).step_by(4) {
            fill(region, page, 2);
        }
        for page in 0..pages {
            let generation = if page % 4 == 0 { 2 } else { 1 };
            if let Err(why) = check(region, page, generation) {
                println!("swaptest: child: {why}");
                return 1;
            }
        }
        0
    })?;
    let status = reap(child)?;
    ensure(status == 0, || format!("the child exited with {status}"))?;
    for page in 0..pages {
        check(region, page, 1)?;
    }
    Ok(())
}

/// Pages of the region the process forked onto another node keeps.
const ELSEWHERE_PAGES: usize = 64;

fn forked_elsewhere(region: &mut [u32]) -> Outcome {
    let other = suite::other_node()?;
    let pages = region.len() / WORDS;
    // A child keeps the first pages of the region (copy-on-write, most of them paged out by
    // the passes before) and gives back the rest, then forks onto the other node: its image
    // must carry them whole.
    let child = spawn(|| {
        let rest = region[ELSEWHERE_PAGES * WORDS..].as_ptr() as u32;
        // Safety: nothing of this child refers to the region past its first pages again.
        if unsafe { vm::deallocate(rest, ((pages - ELSEWHERE_PAGES) * 4096) as u32) }.is_err() {
            return 10;
        }
        let grandchild = match sys::rfork(other) {
            Ok(sys::Fork::Child) => {
                let node = suite::my_node().unwrap_or(u32::MAX);
                let bad = (0..ELSEWHERE_PAGES).find(|&page| check(region, page, 1).is_err());
                sys::exit(match (node == other, bad) {
                    (true, None) => 0,
                    (false, _) => 11,
                    (true, Some(_)) => 12,
                })
            }
            Ok(sys::Fork::Parent(pid)) => pid,
            Err(_) => return 13,
        };
        reap(grandchild).unwrap_or(14)
    })?;
    let status = reap(child)?;
    ensure(status == 0, || {
        let why = match status {
            10 => "vm_deallocate",
            11 => "the grandchild is not on the other node",
            12 => "the grandchild's pages differ",
            13 => "rfork",
            _ => "wait",
        };
        format!("the child exited with {status}: {why}")
    })
}

/// Pages apart of those the parent reads and writes in its child.
const OTHER_STRIDE: usize = 8;

fn other_task(region: &mut [u32]) -> Outcome {
    let pages = region.len() / WORDS;
    let (go_read, go_write) = ok("pipe", sys::pipe())?;
    // The child waits while its parent reads every eighth page of its copy of the region
    // (most of them with the default pager) and writes them anew, then checks them all.
    let child = spawn(|| {
        let mut byte = [0u8];
        if sys::read(go_read, &mut byte) != Ok(1) {
            return 20;
        }
        for page in 0..pages {
            let generation = if page % OTHER_STRIDE == 0 { 3 } else { 1 };
            if let Err(why) = check(region, page, generation) {
                println!("swaptest: child: {why}");
                return 21;
            }
        }
        0
    })?;
    let mut buf = alloc::vec![0u8; 4096];
    for page in (0..pages).step_by(OTHER_STRIDE) {
        let addr = region[page * WORDS..].as_ptr() as u32;
        ok("vm_read", vm::read(child, addr, &mut buf))?;
        for (i, bytes) in buf.chunks_exact_mut(4).enumerate() {
            let (word, want) =
                (u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]), value(page, i, 1));
            ensure(word == want, || {
                format!("the child's page {page} word {i}: {word:#010x}, not {want:#010x}")
            })?;
            bytes.copy_from_slice(&value(page, i, 3).to_le_bytes());
        }
        // Safety: the range is the child's, not this process's.
        ok("vm_write", unsafe { vm::write(child, addr, &buf) })?;
    }
    ok("start the child", sys::write(go_write, b"x"))?;
    let status = reap(child)?;
    let _ = (sys::close(go_read), sys::close(go_write));
    ensure(status == 0, || format!("the child exited with {status}"))?;
    // This process's own pages are untouched.
    for page in (0..pages).step_by(OTHER_STRIDE) {
        check(region, page, 1)?;
    }
    Ok(())
}

fn given_back(region: &mut [u32], node: u32) -> Outcome {
    let bytes = (region.len() * 4) as i32;
    let before = frames_free(node)?;
    ok("sbrk", sys::sbrk(-bytes))?;
    let after = frames_free(node)?;
    ensure(after > before, || format!("{before} frames free before, {after} after"))
}
