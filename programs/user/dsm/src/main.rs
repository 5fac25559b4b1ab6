//! `dsm`: distributed shared memory (docs/dsm.md) from the shell.
//!
//! - `dsm demo [N]` — the histogram demo on N satellites (1 to 3; 0: in one process here,
//!   without DSM), printing the bins and the virtual time it took;
//! - `dsm serve REGION PAGES` — a DSM server for a region of PAGES pages, registered as
//!   `dsm.REGION` in the name service (tasks map it with `ox_ulib::dsm::map`), until asked to
//!   quit;
//! - `dsm bench` — the figures of `cargo xtask bench-os`: the link messages and virtual time of
//!   a write fault on a page held read-only on two other nodes, and the demo on 0 to 3
//!   satellites.

#![no_std]
#![no_main]

extern crate alloc;

mod demo;

use alloc::format;
use alloc::string::String;

use ox_ulib::abi::PORT_RIGHT_RECEIVE;
use ox_ulib::{counter, dsm, port, println};

use demo::{histogram_dsm, histogram_local, show, start_server, stop_server, Agents, PAGE, REGION_PAGES};

ox_ulib::entry!(main);

const USAGE: &str = "usage: dsm demo [0-3] | dsm serve REGION PAGES | dsm bench";

fn main(args: &[&str]) -> i32 {
    let result = match args.get(1..).unwrap_or_default() {
        ["demo"] => run_demo(3),
        ["demo", n] => match n.parse() {
            Ok(n) if n <= 3 => run_demo(n),
            _ => Err(String::from(USAGE)),
        },
        ["serve", region, pages] => match pages.parse() {
            Ok(pages) if pages > 0 => serve(region, pages),
            _ => Err(String::from(USAGE)),
        },
        ["bench"] => bench(),
        _ => Err(String::from(USAGE)),
    };
    match result {
        Ok(()) => 0,
        Err(why) => {
            println!("dsm: {why}");
            1
        }
    }
}

fn serve(region: &str, pages: u32) -> Result<(), String> {
    let object = port::allocate(PORT_RIGHT_RECEIVE).map_err(|e| format!("allocate: {}", e.name()))?;
    let stats =
        dsm::serve(object, &dsm::service_name(region), pages).map_err(|e| format!("serve: {}", e.name()))?;
    println!(
        "dsm: {region}: {} read faults, {} write faults, {} lock requests, {} messages with other nodes",
        stats.read_faults, stats.write_faults, stats.lock_requests, stats.remote_messages
    );
    Ok(())
}

/// The demo on `workers` satellites: the bins and the virtual milliseconds.
fn demo(workers: u32) -> Result<([u32; demo::BINS], u64), String> {
    if workers == 0 {
        let start = counter::time_ns();
        let bins = histogram_local();
        return Ok((bins, counter::time_ns() - start));
    }
    let region = format!("demo.{}", ox_ulib::sys::getpid());
    let server = start_server(&region, REGION_PAGES, None)?;
    let result = histogram_dsm(&region, workers);
    stop_server(&region, server)?;
    result
}

fn run_demo(workers: u32) -> Result<(), String> {
    let (bins, ns) = demo(workers)?;
    let total: u32 = bins.iter().sum();
    let place = match workers {
        0 => String::from("in one process"),
        1 => String::from("on 1 satellite"),
        n => format!("on {n} satellites"),
    };
    println!(
        "dsm: histogram {} (total {total}) {place} in {}.{:03} ms",
        show(&bins),
        ns / 1_000_000,
        ns / 1000 % 1000
    );
    Ok(())
}

/// Pages the write-fault measure writes, one fault each.
const BENCH_FAULTS: u32 = 9;

fn bench() -> Result<(), String> {
    // The server on satellite 1 and an agent on each of satellites 1 to 3: every page is read
    // by the three, then written by one of them in turn.
    let region = format!("bench.{}", ox_ulib::sys::getpid());
    let server = start_server(&region, REGION_PAGES, Some(1))?;
    let agents = Agents::start(&region, &[1, 2, 3])?;
    let name = dsm::service_name(&region);
    let (mut messages, mut ns) = (0, 0);
    for p in 1..=BENCH_FAULTS {
        for k in 0..3 {
            agents.read(k, p * PAGE)?;
        }
        let before = dsm::stats(&name).map_err(|e| format!("stats: {}", e.name()))?;
        ns += agents.write((p % 3) as usize, p * PAGE, p)?;
        let after = dsm::stats(&name).map_err(|e| format!("stats: {}", e.name()))?;
        messages += after.remote_messages - before.remote_messages;
    }
    agents.stop()?;
    stop_server(&region, server)?;
    let per_fault = messages * 10 / BENCH_FAULTS;
    println!(
        "dsm: messages-per-write-fault={}.{} fault-us={}",
        per_fault / 10,
        per_fault % 10,
        ns / 1000 / u64::from(BENCH_FAULTS)
    );
    let mut times = String::new();
    for workers in 0..=3 {
        let (_, ns) = demo(workers)?;
        times += &format!(" {}={}", ["one-process", "sat1", "sat1-2", "sat1-3"][workers as usize], ns / 1000);
    }
    println!("dsm-demo: us{times}");
    Ok(())
}
