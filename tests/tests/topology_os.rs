//! The operating system on whole topologies (docs/boot.md): the central kernel boots every
//! satellite over its link through the satellite's boot ROM, each satellite kernel starts and
//! answers the central's hello, then init starts.
//!
//! The files are `topologies/*.toml` with the kernel taken from `ORRERY_GUEST_DIR` (set by
//! `cargo xtask test`) instead of `../target/ox32`. Each system runs until nothing can happen
//! any more (the shell waits at its prompt, or, with `runtests` typed, usertests waits for a
//! console line that never comes),
//! and the transcript up to `starting init` is what is checked: the same on every run and on
//! one host thread or two, since everything runs in virtual time.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use orrery_emulator::system::{System, SystemOptions, SystemState};
use orrery_emulator::topology::Topology;
use orrery_tests::Capture;

/// The line that ends the boot: the central kernel hands over to init.
const BOOTED: &str = "[cp] [kernel] starting init";

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The kernel built by `cargo xtask build`.
fn kernel() -> PathBuf {
    let Some(dir) = std::env::var_os("ORRERY_GUEST_DIR") else {
        panic!(
            "ORRERY_GUEST_DIR is not set: these tests boot target/ox32/kernel.elf, built and named \
             by `cargo xtask test` (run that instead of `cargo test`)"
        );
    };
    let path = PathBuf::from(dir).join("kernel.elf");
    assert!(path.is_file(), "{} does not exist (run `cargo xtask test`)", path.display());
    path
}

/// A fresh disk image for topology `name` (a run writes to its disk).
fn fresh_disk(name: &str) -> PathBuf {
    static COPIES: AtomicUsize = AtomicUsize::new(0);
    let n = COPIES.fetch_add(1, Ordering::Relaxed);
    orrery_tests::pristine_disk(&format!("topology-{n}-{name}"), None)
}

/// A topology's text with the kernel taken from `ORRERY_GUEST_DIR` and the disk a fresh copy
/// of the one there.
fn with_kernel(name: &str, text: &str) -> Topology {
    let text = text.replace("\"../target/ox32/kernel.elf\"", &format!("{:?}", kernel()));
    let text = if text.contains("\"../target/ox32/disk.img\"") {
        text.replace("\"../target/ox32/disk.img\"", &format!("{:?}", fresh_disk(name)))
    } else {
        text
    };
    Topology::parse(name, &text, &repo().join("topologies"))
        .unwrap_or_else(|e| panic!("{name} does not parse:\n{e}"))
}

/// `topologies/NAME`, with the kernel from `ORRERY_GUEST_DIR`.
fn topology(name: &str) -> Topology {
    let path = repo().join("topologies").join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    with_kernel(name, &text)
}

/// A star of `n` satellites with `memory` each, generated.
fn star(n: usize, memory: &str) -> Topology {
    let mut text = String::from(
        "[[node]]\nname = \"cp\"\nrole = \"central\"\nimage = \"../target/ox32/kernel.elf\"\n\n",
    );
    for i in 1..=n {
        text += &format!(
            "[[node]]\nname = \"sat{i}\"\nrole = \"satellite\"\nmemory = \"{memory}\"\n\
             rom = \"../os/bootrom/bootrom.s\"\n\n"
        );
    }
    for i in 1..=n {
        text += &format!("[[link]]\na = \"cp.{}\"\nb = \"sat{i}.0\"\n\n", i - 1);
    }
    with_kernel("star.toml", &text)
}

/// More virtual time than any run here needs.
const LIMIT_NS: u64 = 10_000_000_000;

/// Runs `topology` to its end on `threads` host threads; returns the transcript up to and
/// including the line where init starts.
fn boot(topology: &Topology, threads: usize) -> String {
    let capture = Capture::default();
    let options = SystemOptions { terminal: Box::new(capture.clone()), input: Vec::new(), stdin: false };
    let mut system = System::new(topology, options).unwrap_or_else(|e| panic!("{e}"));
    for node in &mut system.nodes {
        node.machine.set_jit(orrery_tests::jit());
    }
    let state = system.run(LIMIT_NS, threads).unwrap_or_else(|e| panic!("{e}"));
    let text = capture.text();
    assert_eq!(state, SystemState::Stuck, "the shell should wait for console input:\n{text}");
    assert!(!text.contains("panic"), "{text}");
    let Some(start) = text.find(BOOTED) else {
        panic!("init did not start:\n{text}");
    };
    let end = text[start..].find('\n').map_or(text.len(), |i| start + i + 1);
    text[..end].to_string()
}

/// Removes the disk copies `topology` booted with (see [`fresh_disk`]).
fn remove_disks(topology: &Topology) {
    for disk in topology.nodes.iter().filter_map(|node| node.disk.as_ref()) {
        if disk.starts_with(std::env::temp_dir()) {
            let _ = std::fs::remove_file(disk);
        }
    }
}

/// Checks that every one of `n` satellites booted and answered.
fn assert_all_booted(transcript: &str, n: usize) {
    for i in 1..=n {
        let line = format!("[sat{i}] [sat] satellite kernel on node {i}, ");
        assert!(transcript.contains(&line), "no {line:?} in:\n{transcript}");
        let booted = format!("[cp] [kernel] booted satellite on port {}: ", i - 1);
        assert!(transcript.contains(&booted), "no {booted:?} in:\n{transcript}");
        let answered = format!("[cp] [kernel] satellite on port {} answers: node {i}, ", i - 1);
        assert!(transcript.contains(&answered), "no {answered:?} in:\n{transcript}");
    }
    assert!(transcript.contains(&format!("[cp] [kernel] {n} of {n} satellite(s) up after ")), "{transcript}");
}

#[test]
fn default_boots_three_satellites() {
    let default = topology("default.toml");
    let transcript = boot(&default, 1);
    remove_disks(&default);
    assert_all_booted(&transcript, 3);
    insta::assert_snapshot!("default", transcript);
}

#[test]
fn star8_boots_eight_satellites() {
    let star8 = topology("star8.toml");
    let transcript = boot(&star8, 2);
    remove_disks(&star8);
    assert_all_booted(&transcript, 8);
    insta::assert_snapshot!("star8", transcript);
}

#[test]
fn lossy_links_boot_every_satellite_the_same_way_every_time() {
    // Each run boots a fresh copy of the disk: the mount line counts free blocks.
    let lossy_run = |threads| {
        let lossy = topology("lossy.toml");
        let transcript = boot(&lossy, threads);
        remove_disks(&lossy);
        transcript
    };
    let first = lossy_run(1);
    assert_all_booted(&first, 3);
    let retransmitted: u32 = first
        .lines()
        .filter_map(|l| l.strip_suffix(" retransmissions"))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<u32>().ok())
        .sum();
    assert!(retransmitted > 0, "5 % loss and 1 % damage should cost retransmissions:\n{first}");
    assert_eq!(lossy_run(1), first, "a second run");
    assert_eq!(lossy_run(2), first, "on two threads");
}

#[test]
fn sixteen_satellites_all_boot() {
    let transcript = boot(&star(16, "2M"), 2);
    assert_all_booted(&transcript, 16);
}

/// Runs `topologies/NAME` on a fresh disk to its end on `threads` host threads, with
/// `runtests` typed at the shell; returns the whole transcript and every node's cycle count.
fn run_whole(name: &str, threads: usize) -> (String, Vec<u64>) {
    let topology = topology(name);
    let capture = Capture::default();
    let input = b"runtests\n".to_vec();
    let options = SystemOptions { terminal: Box::new(capture.clone()), input, stdin: false };
    let mut system = System::new(&topology, options).unwrap_or_else(|e| panic!("{e}"));
    for node in &mut system.nodes {
        node.machine.set_jit(orrery_tests::jit());
    }
    let state = system.run(LIMIT_NS, threads).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(state, SystemState::Stuck, "usertests should wait for console input");
    remove_disks(&topology);
    (capture.text(), system.nodes.iter().map(|n| n.machine.cpu.cycles).collect())
}

#[test]
fn the_default_topology_prints_the_same_bytes_three_times_on_one_thread_and_on_two() {
    let (first, cycles) = run_whole("default.toml", 1);
    assert!(first.contains("[cp] runtests: starting usertests"), "{first}");
    for (run, threads) in [(2, 1), (3, 1), (1, 2), (2, 2), (3, 2)] {
        let (again, again_cycles) = run_whole("default.toml", threads);
        assert_eq!(again, first, "run {run} on {threads} thread(s)");
        assert_eq!(again_cycles, cycles, "run {run} on {threads} thread(s)");
    }
}
