//! `satbench`: what a process on a satellite pays for its stub (docs/satellites.md,
//! "Figures"). Everything is measured in virtual time and in instructions retired (the `time`
//! and `cycle` counters, read from user mode: on a satellite they are the satellite's), so a
//! run prints the same table every time. Run as init by tests/tests/satbench.rs, or from a
//! shell.
//!
//! 1. **Calls**: `getpid` (served where the process runs), a 1-byte `write` to a file and an
//!    `fstat` (forwarded to the stub from a satellite), each on the central and on satellite 1;
//!    per call, instructions of the node the caller runs on and virtual nanoseconds.
//! 2. **Remote fork** (`rfork(1)`, the child's `exit` and the parent's `wait`) of an image
//!    grown by `sbrk` (the pages touched), against the image's size; in virtual time, the
//!    central's instructions and the process channel's messages and link frames (`stats`);
//!    for images of about 256 KiB, 1 MiB and 4 MiB again per KiB of image, as
//!    `remote-fork us/KiB ... ins/KiB ...`; and an image larger than the satellite's memory,
//!    refused with `ENOMEM`.
//! 3. **Throughput** of 256 KiB written to and read from a file on the central's disk in
//!    16 KiB calls, from the central and from satellite 1, in bytes per virtual second; the
//!    read from satellite 1 again in calls of 16 KiB, 64 KiB and 256 KiB, and the 64 KiB one
//!    as `link-bulk KiB/s=N`, the link's bulk transfer.
//! 4. **Port RPC** (docs/ports.md): an 8-byte request and its answer between two processes on
//!    the central, through a send-once reply right, in the node's instructions per round trip
//!    (`port-rpc local=N`); and between a client on satellite 1 and a server on satellite 2,
//!    through the name service and the central's relay (`port-rpc-remote remote=N`, the three
//!    nodes' instructions per round trip, with the virtual time); and 1 MiB moved to another
//!    process of the central out of line and inline (`port-ool-1m`, virtual µs each).
//! 5. **Page faults** (docs/vm.md): the instructions a zero-fill fault and a copy-on-write
//!    fault cost, on the central and on satellite 1 (`vm-faults node=N zero-fill=Z cow=C`).
//! 6. **The prefetch cache** (docs/migration.md, [`prefetch`]): the round trips per call of a
//!    file copy and of a shell's commands on satellite 1, with the cache and without.
//! 7. **Migration** (docs/migration.md, [`migration`]): each move of a process against its
//!    image's size, and the load balancer's six-process demo.

#![no_std]
#![no_main]

extern crate alloc;

mod migration;
mod prefetch;

use alloc::format;
use alloc::string::String;
use alloc::vec;

use ox_ulib::abi::open_flags::{O_CREAT, O_RDONLY, O_TRUNC, O_WRONLY};
use ox_ulib::abi::{Errno, NodeStats, WaitStatus};
use ox_ulib::counter::{instructions, time_ns};
use ox_ulib::port::{self, GotItem, Msg, RawItem, RawMsg, SendItem, FOREVER};
use ox_ulib::println;
use ox_ulib::suite::{spawn_on, spawn_receiver};
use ox_ulib::sys::{self, Fork};
use ox_ulib::vm::{self, Inherit, Place};

ox_ulib::entry!(main);

/// The satellite measured.
const SAT: u32 = 1;
/// Local calls per measurement.
const LOCAL_CALLS: u32 = 2000;
/// Forwarded calls per measurement.
const FORWARDED_CALLS: u32 = 100;
/// Heap added before each remote fork, in KiB.
const FORK_HEAP_KIB: [u32; 7] = [0, 16, 64, 128, 256, 1024, 4096];
/// The rows given again per KiB of image (`remote-fork`), and their names.
const PER_KIB_ROWS: [(u32, &str); 3] = [(256, "256k"), (1024, "1m"), (4096, "4m")];
/// A heap the satellite refuses: the image would not fit in its 16 MiB of RAM.
const TOO_BIG_KIB: u32 = 16 * 1024;
/// Bytes of one image page record (`ox_kcore::image`: va, flags, the page) and of its header.
const PAGE_RECORD: u32 = 8 + 4096;
const IMAGE_HEADER: u32 = 144;
/// Bytes moved by the throughput test, and per call.
const TOTAL: usize = 256 * 1024;
const CHUNK: usize = 16 * 1024;
/// The file the benchmark writes.
const FILE: &str = "/satbench.dat";

fn main(args: &[&str]) -> i32 {
    // `satbench [PART ...]` runs only the parts named (all of them without any), e.g. under
    // `orrery run --profile` to see where one figure's instructions go.
    let names = args.get(1..).unwrap_or(&[]);
    if let Some(unknown) = names.iter().find(|n| !PARTS.contains(n)) {
        println!("satbench: no part `{unknown}`; the parts are {}", PARTS.join(", "));
        return 2;
    }
    let want = |part: &str| names.is_empty() || names.contains(&part);
    let mut failures = 0;
    if want("calls") {
        println!("satbench: calls ({LOCAL_CALLS} local, {FORWARDED_CALLS} forwarded each; per call)");
        println!("satbench: {:<28} {:>5} {:>12} {:>12}", "call", "node", "instructions", "ns");
        failures += calls(0);
        failures += on_satellite(|| calls(SAT));
    }
    if want("throughput") {
        println!(
            "satbench: throughput, {} KiB in {} KiB calls to {FILE} on the central",
            TOTAL / 1024,
            CHUNK / 1024
        );
        println!("satbench: {:<6} {:>5} {:>10} {:>12}", "", "node", "us", "KiB/s");
        failures += on_central(|| throughput(0));
        failures += on_satellite(|| throughput(SAT));
    }
    if want("fork-cow") {
        failures += on_central(fork_cow);
    }
    if want("port-rpc") {
        failures += on_central(port_rpc);
        failures += on_central(port_rpc_remote);
        failures += on_central(|| port_ool(None));
        failures += on_central(|| port_ool(Some(OOL_REMOTE)));
    }
    if want("vm-faults") {
        failures += on_central(|| vm_faults(0));
        failures += on_satellite(|| vm_faults(SAT));
    }
    if want("prefetch") {
        failures += prefetch::prefetch();
    }
    // Before the remote forks, which leave this process's heap grown (the moved processes
    // are its children, copies of it).
    if want("migration") {
        failures += migration::migration();
    }
    if want("balance") {
        failures += migration::balance();
    }
    if want("remote-fork") {
        failures += remote_forks();
    }
    if want("dsm") {
        // Distributed shared memory (docs/dsm.md): `dsm bench` prints its own lines.
        failures += on_central(|| {
            let e = sys::exec("/bin/dsm", &["dsm", "bench"]);
            println!("satbench: exec /bin/dsm: {}", e.name());
            1
        });
    }
    println!("satbench: {failures} failure(s)");
    i32::from(failures != 0)
}

/// The parts of the benchmark, in the order they run.
const PARTS: [&str; 10] = [
    "calls",
    "throughput",
    "fork-cow",
    "port-rpc",
    "vm-faults",
    "prefetch",
    "migration",
    "balance",
    "remote-fork",
    "dsm",
];

/// The remote forks of growing images, then one too big; returns the failures.
fn remote_forks() -> u32 {
    let mut failures = 0;
    println!("satbench: remote fork onto satellite {SAT} (rfork + exit + wait)");
    println!(
        "satbench: {:>8} {:>6} {:>9} {:>10} {:>13} {:>9} {:>7} {:>7}",
        "heap KiB", "pages", "image KiB", "us", "instructions", "messages", "frames", "resent"
    );
    let mut grown = 0;
    let mut per_kib = vec![];
    for kib in FORK_HEAP_KIB {
        match remote_fork(grown, kib) {
            Some((image, ns, ins)) => {
                if let Some((_, name)) = PER_KIB_ROWS.iter().find(|(k, _)| *k == kib) {
                    per_kib.push((name, ns / 1000 / image, ins / image));
                }
            }
            None => failures += 1,
        }
        grown = kib;
    }
    let mut us = String::new();
    let mut ins = String::new();
    for (name, us_per_kib, ins_per_kib) in &per_kib {
        us += &format!(" {name}={us_per_kib}");
        ins += &format!(" {name}={ins_per_kib}");
    }
    println!("satbench: remote-fork us/KiB{us} ins/KiB{ins} (per KiB of image)");
    failures + too_big(grown)
}

/// Runs `f` in a child on the central (so what it allocates does not grow this process's
/// image); returns 1 if it failed.
fn on_central(f: fn() -> u32) -> u32 {
    match sys::fork() {
        Ok(Fork::Child) => sys::exit(f() as i32),
        Ok(Fork::Parent(pid)) => u32::from(!matches!(sys::wait(Some(pid)), Ok((_, WaitStatus::Exited(0))))),
        Err(e) => {
            println!("satbench: fork failed: {}", e.name());
            1
        }
    }
}

/// Runs `f` in a child on satellite [`SAT`]; returns 1 if it failed.
fn on_satellite(f: fn() -> u32) -> u32 {
    match sys::rfork(SAT) {
        Ok(Fork::Child) => sys::exit(f() as i32),
        Ok(Fork::Parent(pid)) => match sys::wait(Some(pid)) {
            Ok((_, WaitStatus::Exited(0))) => 0,
            other => {
                println!("satbench: the child on satellite {SAT} ended {other:?}");
                1
            }
        },
        Err(e) => {
            println!("satbench: rfork({SAT}) failed: {}", e.name());
            1
        }
    }
}

/// Instructions and nanoseconds of `n` runs of `f`, per run.
fn per_call(n: u32, mut f: impl FnMut()) -> (u64, u64) {
    let (i0, t0) = (instructions(), time_ns());
    for _ in 0..n {
        f();
    }
    let (i1, t1) = (instructions(), time_ns());
    ((i1 - i0) / u64::from(n), (t1 - t0) / u64::from(n))
}

/// Measures the three calls on `node`, where this process runs; returns the failures.
fn calls(node: u32) -> u32 {
    let row =
        |name: &str, (ins, ns): (u64, u64)| println!("satbench: {name:<28} {node:>5} {ins:>12} {ns:>12}");
    row(
        "getpid",
        per_call(LOCAL_CALLS, || {
            sys::getpid();
        }),
    );
    let fd = match sys::open(FILE, O_CREAT | O_TRUNC | O_WRONLY) {
        Ok(fd) => fd,
        Err(e) => {
            println!("satbench: open {FILE}: {}", e.name());
            return 1;
        }
    };
    let mut failed = 0;
    row(
        "write 1 byte to a file",
        per_call(FORWARDED_CALLS, || {
            failed += u32::from(sys::write(fd, b"x") != Ok(1));
        }),
    );
    row(
        "fstat",
        per_call(FORWARDED_CALLS, || {
            failed += u32::from(sys::fstat(fd).is_err());
        }),
    );
    let _ = sys::close(fd);
    if failed != 0 {
        println!("satbench: {failed} call(s) failed on node {node}");
    }
    u32::from(failed != 0)
}

/// The central's process-channel traffic now: messages, frames, resent.
fn traffic() -> Result<NodeStats, Errno> {
    sys::stats(0)
}

/// Touched data of the copy-on-write measure, in KiB.
const COW_KIB: u32 = 256;
/// Forks the copy-on-write measure averages over.
const COW_FORKS: u32 = 10;

/// `fork` + `exit` + `wait` of this process with [`COW_KIB`] KiB of touched heap, in central
/// instructions per fork: a child that exits at once (copy-on-write: nothing is copied) against
/// one that first writes a byte of every page of it (every page copied, as an eager copy would,
/// plus the faults that copy them). Prints `fork-cow-256k cow=N copy=M`; returns 1 if it failed.
fn fork_cow() -> u32 {
    if let Err(e) = grow(COW_KIB) {
        println!("satbench: sbrk({COW_KIB} KiB): {}", e.name());
        return 1;
    }
    let heap = match sys::sbrk(0) {
        Ok(end) => end as usize - COW_KIB as usize * 1024,
        Err(e) => {
            println!("satbench: sbrk(0): {}", e.name());
            return 1;
        }
    };
    let mut failures = 0;
    let mut fork_once = |write_all: bool| match sys::fork() {
        Ok(Fork::Child) => {
            if write_all {
                for page in 0..COW_KIB as usize / 4 {
                    // Safety: the page is this process's heap, grown above and never shrunk.
                    unsafe { ((heap + page * 4096) as *mut u8).write_volatile(1) };
                }
            }
            sys::exit(0)
        }
        Ok(Fork::Parent(pid)) => {
            if !matches!(sys::wait(Some(pid)), Ok((_, WaitStatus::Exited(0)))) {
                failures += 1;
            }
        }
        Err(_) => failures += 1,
    };
    let (cow, _) = per_call(COW_FORKS, || fork_once(false));
    let (copy, _) = per_call(COW_FORKS, || fork_once(true));
    println!("satbench: fork-cow-256k cow={cow} copy={copy} (instructions per fork + exit + wait)");
    failures
}

/// Grows the heap by `kib` KiB, touching every page. The heap only grows: the user library's
/// allocator takes memory with `sbrk` too, so shrinking could take its pages away.
fn grow(kib: u32) -> Result<(), Errno> {
    let start = sys::sbrk((kib * 1024) as i32)?;
    for page in 0..kib / 4 {
        // Safety: the page was just added to the heap by `sbrk`; nothing else refers to it.
        unsafe { start.add(page as usize * 4096).write_volatile(page as u8) };
    }
    Ok(())
}

/// Pages of this process's image as the satellite receives it: a child placed there counts
/// the user pages of the satellite (where it is alone) and sends the count through a pipe.
fn image_pages() -> Result<u32, Errno> {
    let (r, w) = sys::pipe()?;
    let pid = match sys::rfork(SAT)? {
        Fork::Child => {
            let pages = sys::stats(SAT).map_or(0, |s| s.user_pages);
            let ok = sys::write(w, &pages.to_le_bytes()) == Ok(4);
            sys::exit(i32::from(!ok))
        }
        Fork::Parent(pid) => pid,
    };
    let _ = sys::close(w);
    let mut word = [0u8; 4];
    let n = sys::read(r, &mut word);
    let _ = sys::close(r);
    match (sys::wait(Some(pid)), n) {
        (Ok((_, WaitStatus::Exited(0))), Ok(4)) => Ok(u32::from_le_bytes(word)),
        _ => Err(Errno::Io),
    }
}

/// One row of the remote-fork table: the heap grown from `grown` to `kib` KiB more than at
/// the start. Returns the image's KiB, the fork's nanoseconds and central instructions, or
/// `None` if it failed.
fn remote_fork(grown: u32, kib: u32) -> Option<(u64, u64, u64)> {
    if let Err(e) = grow(kib - grown) {
        println!("satbench: sbrk({} KiB): {}", kib - grown, e.name());
        return None;
    }
    let result = (|| -> Result<(u32, u64, u64, NodeStats, NodeStats), Errno> {
        let pages = image_pages()?;
        let before = traffic()?;
        let (i0, t0) = (instructions(), time_ns());
        let pid = match sys::rfork(SAT)? {
            Fork::Child => sys::exit(0),
            Fork::Parent(pid) => pid,
        };
        let status = sys::wait(Some(pid))?;
        let (i1, t1) = (instructions(), time_ns());
        let after = traffic()?;
        if status.1 != WaitStatus::Exited(0) {
            return Err(Errno::Io);
        }
        Ok((pages, i1 - i0, t1 - t0, before, after))
    })();
    match result {
        Ok((pages, ins, ns, before, after)) => {
            let image = (IMAGE_HEADER + pages * PAGE_RECORD).div_ceil(1024);
            println!(
                "satbench: {kib:>8} {pages:>6} {image:>9} {:>10} {ins:>13} {:>9} {:>7} {:>7}",
                ns / 1000,
                after.messages_out - before.messages_out,
                after.frames_out - before.frames_out,
                after.resent - before.resent
            );
            Some((u64::from(image), ns, ins))
        }
        Err(e) => {
            println!("satbench: remote fork with {kib} KiB more heap failed: {}", e.name());
            None
        }
    }
}

/// An image over the satellite's limit (heap grown from `grown` to [`TOO_BIG_KIB`] KiB more)
/// is refused with `ENOMEM`.
fn too_big(grown: u32) -> u32 {
    if let Err(e) = grow(TOO_BIG_KIB - grown) {
        println!("satbench: sbrk({} KiB): {}", TOO_BIG_KIB - grown, e.name());
        return 1;
    }
    match sys::rfork(SAT) {
        Err(Errno::NoMem) => {
            println!("satbench: {TOO_BIG_KIB:>8} KiB more: refused (ENOMEM: more than the satellite's free memory)");
            0
        }
        Ok(Fork::Child) => sys::exit(0),
        other => {
            println!("satbench: rfork with {TOO_BIG_KIB} KiB more heap: {other:?}, not ENOMEM");
            if let Ok(Fork::Parent(pid)) = other {
                let _ = sys::wait(Some(pid));
            }
            1
        }
    }
}

/// Writes [`TOTAL`] bytes to [`FILE`] in [`CHUNK`]-byte calls, reads them back, checks them,
/// and prints the rates; returns the failures.
fn throughput(node: u32) -> u32 {
    let data: alloc::vec::Vec<u8> = (0..TOTAL).map(|i| (i * 7 % 251) as u8).collect();
    let Ok(fd) = sys::open(FILE, O_CREAT | O_TRUNC | O_WRONLY) else { return 1 };
    let t0 = time_ns();
    let mut ok = data.chunks(CHUNK).all(|chunk| sys::write_all(fd, chunk).is_ok());
    let wrote = time_ns() - t0;
    ok &= sys::close(fd).is_ok();
    let (read, same) = read_back(CHUNK, &data);
    ok &= same;
    let rate = |ns: u64| TOTAL as u64 * 1_000_000_000 / 1024 / ns.max(1);
    println!("satbench: {:<6} {node:>5} {:>10} {:>12}", "write", wrote / 1000, rate(wrote));
    println!("satbench: {:<6} {node:>5} {:>10} {:>12}", "read", read / 1000, rate(read));
    if node != 0 {
        // The bulk transfer over the link (`cargo xtask bench-os` sets it against the link's
        // bandwidth): the file read from the satellite, every byte crossing the link, in
        // calls of 16 KiB (the table's), 64 KiB (the figure: `cp` and `cat` read this much or
        // more at once) and the whole file.
        let mut rates = String::new();
        let mut bulk = 0;
        for call in BULK_CALLS {
            let (ns, same) = read_back(call, &data);
            ok &= same;
            rates += &format!(" {}k={}", call / 1024, rate(ns));
            if call == BULK_CALL {
                bulk = rate(ns);
            }
        }
        println!("satbench: read on node {node} in calls of{rates} (KiB/s)");
        println!("satbench: link-bulk KiB/s={bulk}");
    }
    if !ok {
        println!("satbench: the data read back on node {node} differs");
    }
    u32::from(!ok)
}

/// Call sizes of the bulk reads, and the one `link-bulk` reports.
const BULK_CALLS: [usize; 3] = [16 * 1024, 64 * 1024, TOTAL];
const BULK_CALL: usize = 64 * 1024;

/// Reads `FILE` back in calls of `call` bytes: the virtual nanoseconds it took, and whether
/// every byte was `data`'s.
fn read_back(call: usize, data: &[u8]) -> (u64, bool) {
    let Ok(fd) = sys::open(FILE, O_RDONLY) else { return (1, false) };
    let mut back = vec![0u8; TOTAL];
    let t0 = time_ns();
    let mut at = 0;
    while at < TOTAL {
        match sys::read(fd, &mut back[at..(at + call).min(TOTAL)]) {
            Ok(0) | Err(_) => break,
            Ok(n) => at += n,
        }
    }
    let ns = time_ns() - t0;
    (ns, sys::close(fd).is_ok() && at == TOTAL && back == data)
}

/// Pages of the page-fault measure.
const FAULT_PAGES: u32 = 64;

/// Instructions per store to each of `pages` pages from `base`.
fn per_page_store(base: u32, pages: u32, value: u8) -> u64 {
    let start = instructions();
    for page in 0..pages {
        // Safety: the pages are the caller's region, allocated for the measure.
        unsafe { ((base + page * 4096) as *mut u8).write_volatile(value) };
    }
    (instructions() - start) / u64::from(pages)
}

/// The cost of a page fault on `node` (where this process runs), in the node's instructions
/// per fault beyond a store to a mapped page: a first touch of an allocated page (zero-fill)
/// and a child's first write to a page it shares copy-on-write with its parent (the copy).
/// Prints `vm-faults node=N zero-fill=Z cow=C`; returns 1 if it failed.
fn vm_faults(node: u32) -> u32 {
    let size = FAULT_PAGES * 4096;
    let (Ok(fresh), Ok(touched), Ok(shared)) = (
        vm::allocate(Place::Anywhere(0), size),
        vm::allocate(Place::Anywhere(0), size),
        vm::allocate(Place::Anywhere(0), 4096),
    ) else {
        println!("satbench: vm_allocate failed on node {node}");
        return 1;
    };
    if vm::inherit(shared, 4096, Inherit::Share).is_err() {
        println!("satbench: vm_inherit failed on node {node}");
        return 1;
    }
    let first = per_page_store(fresh, FAULT_PAGES, 1);
    let zero_fill = first.saturating_sub(per_page_store(fresh, FAULT_PAGES, 2));
    per_page_store(touched, FAULT_PAGES, 1);
    let figure = shared as *mut u64;
    let cow = match sys::fork() {
        Ok(Fork::Child) => {
            let first = per_page_store(touched, FAULT_PAGES, 3);
            let again = per_page_store(touched, FAULT_PAGES, 4);
            // Safety: the shared page was allocated above; the parent reads it after `wait`.
            unsafe { figure.write_volatile(first.saturating_sub(again)) };
            sys::exit(0)
        }
        Ok(Fork::Parent(pid)) => match sys::wait(Some(pid)) {
            // Safety: as above: the child stored it before it exited.
            Ok((_, WaitStatus::Exited(0))) => unsafe { figure.read_volatile() },
            other => {
                println!("satbench: the copy-on-write child ended {other:?}");
                return 1;
            }
        },
        Err(e) => {
            println!("satbench: fork failed: {}", e.name());
            return 1;
        }
    };
    println!("satbench: vm-faults node={node} zero-fill={zero_fill} cow={cow} (instructions per fault)");
    0
}

/// Round trips of the port RPC measure.
const RPC_ROUNDS: u32 = 200;

/// Round trips made before the local RPC measure starts.
const RPC_WARM_UP: u32 = 4;

/// An 8-byte RPC between this process and a child serving it on the same node, as a Mach
/// client and server make one: the request carries a send-once reply right the child answers
/// through; each side builds and receives its messages in place ([`RawMsg`]) and makes one
/// `msg_rpc` call a round (the client's request and wait for the answer, the server's answer
/// and wait for the next request). Prints `port-rpc local=N` (instructions per round trip);
/// returns 1 if it failed.
fn port_rpc() -> u32 {
    let Ok(reply) = port::allocate(port::PORT_RIGHT_RECEIVE) else { return 1 };
    // The child serves on the port's receive right; this process keeps a send right.
    let served = spawn_receiver(|service| serve_echo(service, |_| {}).err().unwrap_or(0));
    let Ok((service, server)) = served else { return 1 };
    let mut failed = 0;
    let mut client = EchoClient::new(service, reply);
    let mut round = 0u64;
    // Warm-up rounds first: the first ones fault the buffers' and stacks' pages in, which is
    // not the cost of an RPC.
    for _ in 0..RPC_WARM_UP {
        round += 1;
        if !client.call(7, round) {
            failed += 1;
        }
    }
    let (instructions, ns) = per_call(RPC_ROUNDS, || {
        round += 1;
        if !client.call(7, round) {
            failed += 1;
        }
    });
    let _ = port::send(&Msg::new(service, port::MSG_COPY_SEND, 0, vec![]), FOREVER);
    let done = matches!(sys::wait(Some(server)), Ok((_, WaitStatus::Exited(0))));
    println!(
        "satbench: port-rpc local={instructions} local-us={} (instructions per 8-byte round trip, node 0)",
        ns / 1000
    );
    u32::from(failed != 0 || !done)
}

/// The RPC measures' server: answers each request on `service` with its id and its inline
/// bytes, through the request's send-once reply right, in one `msg_rpc` with the wait for the
/// next request (`answering(id)` runs just before), until a request of id 0. `Err` is the exit
/// code of the step that failed.
fn serve_echo(service: u32, mut answering: impl FnMut(u32)) -> Result<(), i32> {
    let (mut request, mut answer) = (RawMsg::empty(), RawMsg::empty());
    port::receive_raw(service, &mut request, FOREVER).map_err(|_| 1)?;
    while request.id() != 0 {
        let Some(RawItem::Inline(data)) = request.items().next() else { return Err(2) };
        let to = (request.reply().0, port::MSG_MOVE_SEND_ONCE);
        answer.start(to, (0, 0), request.id()).inline(data).map_err(|_| 2)?;
        answering(request.id());
        port::rpc_raw(&answer, service, &mut request, FOREVER).map_err(|_| 3)?;
    }
    Ok(())
}

/// The RPC measures' client: its server's port, its reply port and its two message buffers.
struct EchoClient {
    server: u32,
    reply: u32,
    request: RawMsg,
    answer: RawMsg,
}

impl EchoClient {
    fn new(server: u32, reply: u32) -> EchoClient {
        EchoClient { server, reply, request: RawMsg::empty(), answer: RawMsg::empty() }
    }

    /// One RPC of id `id` carrying `round`'s 8 bytes, which the answer must bring back with
    /// the id ([`serve_echo`]); whether it did.
    fn call(&mut self, id: u32, round: u64) -> bool {
        let data = round.to_le_bytes();
        let answered = self
            .request
            .start((self.server, port::MSG_COPY_SEND), (self.reply, port::MSG_MAKE_SEND_ONCE), id)
            .inline(&data)
            .and_then(|request| port::rpc_raw(request, self.reply, &mut self.answer, FOREVER));
        // (The bytes compared as a number: comparing slices would call `bcmp`, the
        // benchmark's own cost, not the RPC's.)
        let echoed = match self.answer.items().next() {
            Some(RawItem::Inline(bytes)) => {
                <[u8; 8]>::try_from(bytes).is_ok_and(|b| u64::from_le_bytes(b) == round)
            }
            _ => false,
        };
        answered.is_ok() && self.answer.id() == id && echoed
    }
}

/// The satellites of the remote RPC: the client's and the server's.
const RPC_CLIENT: u32 = 1;
const RPC_SERVER: u32 = 2;

/// The first inline item of a message as a `u64` (0 if it has none).
fn word64(items: &[GotItem]) -> u64 {
    match items.first() {
        Some(GotItem::Inline(b)) if b.len() == 8 => {
            u64::from_le_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]])
        }
        _ => 0,
    }
}

/// Sends `value` with `id` to the port registered as `satbench.results`.
fn report(id: u32, value: u64) -> bool {
    let Ok(results) = port::lookup("satbench.results") else { return false };
    let sent = port::send(
        &Msg::new(results, port::MSG_COPY_SEND, id, vec![SendItem::Inline(value.to_le_bytes().to_vec())]),
        FOREVER,
    );
    let _ = port::deallocate(results);
    sent.is_ok()
}

/// The same 8-byte RPC between a client on satellite [`RPC_CLIENT`] and a server on satellite
/// [`RPC_SERVER`], which find each other through the name service; the central relays every
/// message. Each node counts its own instructions over the round trips (the central's while
/// this process waits for the client's start and end); prints `port-rpc-remote remote=N`
/// (their sum per round trip) with the virtual time of one; returns 1 if it failed.
fn port_rpc_remote() -> u32 {
    let Ok(results) = port::allocate(port::PORT_RIGHT_RECEIVE) else { return 1 };
    if port::register("satbench.results", results, port::MSG_MAKE_SEND).is_err() {
        return 1;
    }
    let server = match sys::rfork(RPC_SERVER) {
        Ok(Fork::Child) => {
            let Ok(inbox) = port::allocate(port::PORT_RIGHT_RECEIVE) else { sys::exit(1) };
            if port::register("satbench.rpc", inbox, port::MSG_MAKE_SEND).is_err() {
                sys::exit(1);
            }
            // The server's count starts with its answer to the first request.
            let mut start = 0;
            let served = serve_echo(inbox, |id| {
                if id == 1 {
                    start = instructions();
                }
            });
            if let Err(code) = served {
                sys::exit(code);
            }
            sys::exit(i32::from(!report(3, instructions() - start)));
        }
        Ok(Fork::Parent(pid)) => pid,
        Err(_) => return 1,
    };
    let client = match sys::rfork(RPC_CLIENT) {
        Ok(Fork::Child) => {
            let mut found = port::lookup("satbench.rpc");
            while found == Err(Errno::NoEnt) {
                let _ = sys::sleep(1);
                found = port::lookup("satbench.rpc");
            }
            let Ok(server) = found else { sys::exit(1) };
            let Ok(reply) = port::allocate(port::PORT_RIGHT_RECEIVE) else { sys::exit(1) };
            let mut client = EchoClient::new(server, reply);
            if !client.call(1, 0) || !report(1, 0) {
                sys::exit(1);
            }
            let (mut failed, mut round) = (false, 0);
            let (ins, ns) = per_call(RPC_ROUNDS, || {
                round += 1;
                failed |= !client.call(7, round);
            });
            let quit = port::send(&Msg::new(server, port::MSG_COPY_SEND, 0, vec![]), FOREVER);
            let reported = report(2, ins) && report(4, ns);
            sys::exit(i32::from(failed || quit.is_err() || !reported));
        }
        Ok(Fork::Parent(pid)) => pid,
        Err(_) => return 1,
    };
    let (mut central, mut client_ins, mut server_ins, mut ns) = (0, 0, 0, 0);
    for _ in 0..4 {
        let Ok(got) = port::receive(results, FOREVER) else { return 1 };
        match got.id {
            1 => central = instructions(),
            2 => {
                central = instructions() - central;
                client_ins = word64(&got.items);
            }
            3 => server_ins = word64(&got.items) / u64::from(RPC_ROUNDS),
            _ => ns = word64(&got.items),
        }
    }
    let central = central / u64::from(RPC_ROUNDS);
    let done =
        [client, server].iter().all(|pid| matches!(sys::wait(Some(*pid)), Ok((_, WaitStatus::Exited(0)))));
    let _ = port::destroy(results);
    let total = client_ins + central + server_ins;
    println!(
        "satbench: port-rpc-remote remote={total} remote-us={} (instructions per 8-byte round trip from satellite {RPC_CLIENT} to satellite {RPC_SERVER}: {client_ins} on the client's node, {central} on the central, {server_ins} on the server's)",
        ns / 1000
    );
    u32::from(!done)
}

/// Bytes moved by the out-of-line measure, and the inline bytes of one message (the largest
/// message, less its header and item words).
const OOL_BYTES: u32 = 1 << 20;
const INLINE_CHUNK: usize = 8160;

/// The node the out-of-line measure's second run sends to (across one link).
const OOL_REMOTE: u32 = 1;

/// A child on satellite `node` receiving on a port of its own, running `body` with it; a send
/// right to that port (the child sends it through the name service's `satbench.ool`), and
/// the child.
fn remote_receiver(node: u32, body: fn(u32) -> i32) -> Result<(u32, sys::Pid), String> {
    const NAME: &str = "satbench.ool";
    let inbox = port::allocate(port::PORT_RIGHT_RECEIVE).map_err(|e| format!("allocate: {}", e.name()))?;
    port::register(NAME, inbox, port::MSG_MAKE_SEND).map_err(|e| format!("register: {}", e.name()))?;
    let child = spawn_on(node, move || {
        let Ok(parent) = port::lookup(NAME) else { return 30 };
        let Ok(mine) = port::allocate(port::PORT_RIGHT_RECEIVE) else { return 31 };
        let hello = Msg::new(parent, port::MSG_COPY_SEND, 1, vec![SendItem::Port(mine, port::MSG_MAKE_SEND)]);
        if port::send(&hello, FOREVER).is_err() {
            return 32;
        }
        let _ = port::deallocate(parent);
        body(mine)
    })?;
    let hello = port::receive(inbox, FOREVER).map_err(|e| format!("receive: {}", e.name()))?;
    let _ = port::destroy(inbox);
    match hello.items[..] {
        [GotItem::Port(theirs, _)] => Ok((theirs, child)),
        _ => Err(format!("hello {:?}", hello.items)),
    }
}

/// 1 MiB from this process to a child on the same node (`to` `None`) or on satellite `to`,
/// out of line (one message; the child reads a byte of every page and gives the region back)
/// and inline (messages of 8160 bytes); prints `port-ool-1m ool=… inline=…` (or
/// `port-ool-1m-remote`), virtual microseconds each (the child's answer included); returns 1
/// if it failed.
fn port_ool(to: Option<u32>) -> u32 {
    let Ok(done) = port::allocate(port::PORT_RIGHT_RECEIVE) else { return 1 };
    let serve = |service: u32| -> i32 {
        let mut inline = 0usize;
        loop {
            let Ok(got) = port::receive(service, FOREVER) else { return 1 };
            let mut answer = 0u32;
            for item in &got.items {
                match *item {
                    GotItem::Memory(addr, size) if addr != 0 => {
                        let mut sum = 0u32;
                        for page in (0..size).step_by(4096) {
                            // Safety: the region was just mapped in this process, readable.
                            sum = sum.wrapping_add(u32::from(unsafe { *((addr + page) as *const u8) }));
                        }
                        // Safety: nothing here uses the region after this.
                        let _ = unsafe { vm::deallocate(addr, size) };
                        answer = sum;
                    }
                    GotItem::Inline(ref bytes) => inline += bytes.len(),
                    _ => {}
                }
            }
            if got.id == 0 {
                return 0;
            }
            if got.reply.0 != 0 {
                if got.id == 3 {
                    answer = inline as u32;
                    inline = 0;
                }
                let items = vec![SendItem::Inline(answer.to_le_bytes().to_vec())];
                if port::send(&Msg::new(got.reply.0, port::MSG_MOVE_SEND_ONCE, got.id, items), FOREVER)
                    .is_err()
                {
                    return 2;
                }
            }
        }
    };
    let served = match to {
        None => spawn_receiver(serve),
        Some(node) => remote_receiver(node, serve),
    };
    let Ok((service, child)) = served else { return 1 };
    let Ok(region) = vm::allocate(Place::Anywhere(0), OOL_BYTES) else { return 1 };
    for page in (0..OOL_BYTES).step_by(4096) {
        // Safety: the region was just allocated in this process, writable.
        unsafe { *((region + page) as *mut u8) = 1 };
    }
    let answered = |expected: u32| matches!(port::receive(done, FOREVER), Ok(ref got) if got.items.first() == Some(&GotItem::Inline(expected.to_le_bytes().to_vec())));
    let t0 = time_ns();
    let ool = Msg {
        dest: (service, port::MSG_COPY_SEND),
        reply: (done, port::MSG_MAKE_SEND_ONCE),
        id: 1,
        items: vec![SendItem::Memory(region, OOL_BYTES)],
    };
    let ool_ok = port::send(&ool, FOREVER).is_ok() && answered(OOL_BYTES / 4096);
    let t1 = time_ns();
    // Safety: the region is this process's, readable; its pages are still its own (copy-on-write).
    let bytes = unsafe { core::slice::from_raw_parts(region as *const u8, OOL_BYTES as usize) };
    let mut inline_ok = true;
    for (i, chunk) in bytes.chunks(INLINE_CHUNK).enumerate() {
        let last = (i + 1) * INLINE_CHUNK >= bytes.len();
        let msg = Msg {
            dest: (service, port::MSG_COPY_SEND),
            reply: if last { (done, port::MSG_MAKE_SEND_ONCE) } else { (0, 0) },
            id: if last { 3 } else { 2 },
            items: vec![SendItem::Inline(chunk.to_vec())],
        };
        inline_ok &= port::send(&msg, FOREVER).is_ok();
    }
    inline_ok &= answered(OOL_BYTES);
    let t2 = time_ns();
    let _ = port::send(&Msg::new(service, port::MSG_COPY_SEND, 0, vec![]), FOREVER);
    let exited = matches!(sys::wait(Some(child)), Ok((_, WaitStatus::Exited(0))));
    // Safety: `bytes` is not used after this.
    let _ = unsafe { vm::deallocate(region, OOL_BYTES) };
    let (figure, node) = match to {
        None => ("port-ool-1m", 0),
        Some(node) => ("port-ool-1m-remote", node),
    };
    println!(
        "satbench: {figure} ool={} inline={} (virtual us to move 1 MiB to a process on node {node} and hear back: out of line, copy-on-write{}; inline, in messages of {INLINE_CHUNK} bytes)",
        (t1 - t0) / 1000,
        (t2 - t1) / 1000,
        if to.is_some() { ", in pieces across the link" } else { "" }
    );
    u32::from(!(ool_ok && inline_ok && exited))
}
