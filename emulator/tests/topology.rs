//! Topologies: every mistake in a topology file gets its line, column and hint; the example
//! topologies boot and print the same transcript on every run, on one thread or several; a
//! system of sixteen satellites runs; injected link faults are reproducible.

use std::path::{Path, PathBuf};

use orrery_emulator::console::Capture;
use orrery_emulator::system::{Fate, System, SystemOptions, SystemState};
use orrery_emulator::topology::Topology;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Runs a topology to the end; returns the terminal transcript, the outcome and the system.
fn run(topology: &Topology, threads: usize) -> (String, SystemState, System) {
    let capture = Capture::default();
    let options = SystemOptions { terminal: Box::new(capture.clone()), input: Vec::new(), stdin: false };
    let mut system = System::new(topology, options).unwrap();
    let state = system.run(1_000_000_000, threads).unwrap();
    let text = capture.text();
    (text, state, system)
}

fn example(name: &str) -> Topology {
    Topology::load(&repo().join("topologies/linkdemo").join(name)).unwrap()
}

#[test]
fn the_example_topologies_boot() {
    for name in ["star3.toml", "star8.toml", "chain.toml"] {
        let (transcript, state, system) = run(&example(name), 1);
        assert_eq!(state, SystemState::PoweredOff(0), "{name}");
        let summary = format!("{transcript}--- {state:?} at {} ns\n", system.time);
        insta::assert_snapshot!(name.trim_end_matches(".toml"), summary);
    }
}

#[test]
fn output_is_byte_identical_across_runs_and_thread_counts() {
    for name in ["star3.toml", "chain.toml"] {
        let topology = example(name);
        let (first, _, reference) = run(&topology, 1);
        for threads in [1, 1, 2, 2, 2, 4] {
            let (again, _, system) = run(&topology, threads);
            assert_eq!(again, first, "{name} with {threads} thread(s)");
            assert_eq!(system.time, reference.time);
            let cycles: Vec<u64> = system.nodes.iter().map(|n| n.machine.cpu.cycles).collect();
            let expected: Vec<u64> = reference.nodes.iter().map(|n| n.machine.cpu.cycles).collect();
            assert_eq!(cycles, expected, "{name} with {threads} thread(s)");
        }
    }
}

/// A star of `n` satellites running the link demo.
fn star(n: usize, link_extra: &str) -> Topology {
    let demo = repo().join("programs/asm/linkdemo.s");
    let mut text = String::new();
    text += &format!("[[node]]\nname = \"cp\"\nrole = \"central\"\nimage = {:?}\n\n", demo);
    for i in 1..=n {
        text += &format!(
            "[[node]]\nname = \"s{i}\"\nrole = \"satellite\"\nmemory = \"1M\"\nimage = {demo:?}\n\n"
        );
    }
    for i in 1..=n {
        text += &format!("[[link]]\na = \"cp.{}\"\nb = \"s{i}.0\"\n{link_extra}\n", i - 1);
    }
    Topology::parse("star.toml", &text, Path::new("/")).unwrap()
}

#[test]
fn sixteen_satellites_all_answer() {
    let (transcript, state, system) = run(&star(16, ""), 2);
    assert_eq!(state, SystemState::PoweredOff(0));
    assert!(transcript.contains("[cp] quiet for 1 ms after 16 replies; powering off"), "{transcript}");
    for i in 1..=16 {
        assert!(transcript.contains(&format!("[s{i}] got: ping on port ")), "s{i} in {transcript}");
    }
    assert_eq!(system.nodes.len(), 17);
}

#[test]
fn injected_faults_are_reproducible() {
    let lossy = star(8, "drop = 0.3\ncorrupt = 0.3\nseed = 7\n");
    let (first, state, system) = run(&lossy, 1);
    assert_eq!(state, SystemState::PoweredOff(0));
    let fates: Vec<Fate> = system.link_log().iter().map(|e| e.fate).collect();
    assert!(fates.contains(&Fate::Dropped), "{fates:?}");
    assert!(fates.contains(&Fate::Corrupted), "{fates:?}");
    let (again, _, _) = run(&lossy, 2);
    assert_eq!(again, first);
}

#[test]
fn every_topology_mistake_is_located_and_explained() {
    const HEAD: &str = "[[node]]\nname = \"cp\"\nrole = \"central\"\nimage = \"k.elf\"\n\n";
    const SAT: &str = "[[node]]\nname = \"sat1\"\nrole = \"satellite\"\nimage = \"k.elf\"\n\n";
    const LINK: &str = "[[link]]\na = \"cp.0\"\nb = \"sat1.0\"\n";
    let cases: Vec<(&str, String)> = vec![
        ("syntax", "[[node]\nname = \"cp\"\n".into()),
        ("unknown field", format!("{HEAD}{SAT}{LINK}latncy_us = 3\n")),
        ("wrong type", HEAD.replace("image = \"k.elf\"", "image = 42")),
        ("memory not a size", HEAD.replace("image", "memory = \"lots\"\nimage")),
        ("memory too small", HEAD.replace("image", "memory = \"12\"\nimage")),
        ("no nodes", "[system]\nquantum_us = 10\n".into()),
        ("bad quantum", format!("[system]\nquantum_us = 0\n\n{HEAD}")),
        ("bad name", HEAD.replace("\"cp\"", "\"9cp\"")),
        ("duplicate name", format!("{HEAD}{}", SAT.replace("sat1", "cp"))),
        ("unknown role", HEAD.replace("central", "boss")),
        ("two centrals", format!("{HEAD}{}", SAT.replace("satellite", "central"))),
        ("no central", SAT.into()),
        ("nothing to boot", HEAD.replace("image = \"k.elf\"\n", "")),
        ("image and rom", HEAD.replace("image = \"k.elf\"", "image = \"k.elf\"\nrom = \"r.s\"")),
        ("bad console", HEAD.replace("image", "console = \"serial\"\nimage")),
        ("bad mhz", HEAD.replace("image", "mhz = 0\nimage")),
        ("unknown node in a link", format!("{HEAD}{SAT}{}", LINK.replace("sat1.0", "sat9.0"))),
        ("endpoint without a port", format!("{HEAD}{SAT}{}", LINK.replace("sat1.0", "sat1"))),
        ("port out of range", format!("{HEAD}{SAT}{}", LINK.replace("sat1.0", "sat1.16"))),
        (
            "port used twice",
            format!(
                "{HEAD}{SAT}{}{SAT2}{}",
                LINK,
                "[[link]]\na = \"cp.0\"\nb = \"sat2.0\"\n",
                SAT2 = SAT.replace("sat1", "sat2")
            ),
        ),
        ("link to itself", format!("{HEAD}{SAT}[[link]]\na = \"cp.0\"\nb = \"cp.1\"\n")),
        ("gap in ports", format!("{HEAD}{SAT}{}", LINK.replace("cp.0", "cp.1"))),
        ("satellite with no route", format!("{HEAD}{SAT}")),
        ("bad mtu", format!("{HEAD}{SAT}{LINK}mtu = 2000\n")),
        ("bad drop rate", format!("{HEAD}{SAT}{LINK}drop = 1.5\n")),
        ("bad latency", format!("{HEAD}{SAT}{LINK}latency_us = -1.0\n")),
        ("bad bandwidth", format!("{HEAD}{SAT}{LINK}bandwidth_mbps = 0.0\n")),
        ("udp without a peer", format!("{HEAD}[[link]]\na = \"cp.0\"\nb = \"udp:127.0.0.1:7000\"\n")),
        ("disk on a satellite", format!("{HEAD}{}{LINK}", SAT.replace("image", "disk = \"d.img\"\nimage"))),
    ];
    let mut report = String::new();
    for (what, text) in &cases {
        let error = Topology::parse("bad.toml", text, Path::new("/")).expect_err(what);
        assert!(error.line >= 1 && error.column >= 1, "{what}");
        report += &format!("== {what}\n{error}\n");
    }
    insta::assert_snapshot!(report);
}
