//! Topologies: every mistake in a topology file gets its line, column and hint; the example
//! topologies boot and print the same transcript on every run, on one thread or several; a
//! system of sixteen satellites runs; injected link faults are reproducible.

use std::path::{Path, PathBuf};

use orrery_emulator::admission::{Refusals, MAX_IN_FLIGHT};
use orrery_emulator::console::Capture;
use orrery_emulator::monitor::Monitor;
use orrery_emulator::system::{Fate, System, SystemOptions, SystemState, Target};
use orrery_emulator::topology::{Endpoint, Topology, MAX_NODES};

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
        ("bandwidth that rounds to nothing", format!("{HEAD}{SAT}{LINK}bandwidth_mbps = 1e-7\n")),
        ("bandwidth that is not a number", format!("{HEAD}{SAT}{LINK}bandwidth_mbps = nan\n")),
        ("bandwidth too high", format!("{HEAD}{SAT}{LINK}bandwidth_mbps = 1e12\n")),
        ("latency that is not a number", format!("{HEAD}{SAT}{LINK}latency_us = inf\n")),
        ("drop that is not a number", format!("{HEAD}{SAT}{LINK}drop = nan\n")),
        ("too many nodes", many_nodes(MAX_NODES + 1, "16M")),
        ("bad peer timeout", format!("[system]\npeer_timeout_s = 0\n\n{HEAD}")),
        ("peer timeout too long", format!("[system]\npeer_timeout_s = 100000\n\n{HEAD}")),
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

/// `n` nodes with `memory` each: a central node and satellites in a chain.
fn many_nodes(n: usize, memory: &str) -> String {
    let mut text = String::new();
    for i in 0..n {
        let role = if i == 0 { "central" } else { "satellite" };
        text += &format!(
            "[[node]]\nname = \"n{i}\"\nrole = \"{role}\"\nmemory = \"{memory}\"\nimage = \"k.elf\"\n\n"
        );
    }
    for i in 1..n {
        text += &format!("[[link]]\na = \"n{}.{}\"\nb = \"n{i}.0\"\n", i - 1, u32::from(i > 1));
    }
    text
}

#[test]
fn the_nodes_memory_must_fit_in_the_host() {
    let Some(host) = orrery_emulator::host::memory() else { return };
    // 2 GiB nodes, one more than the host holds.
    let n = (host >> 31) as usize + 1;
    if n > MAX_NODES {
        return;
    }
    let error = Topology::parse("big.toml", &many_nodes(n, "2G"), Path::new("/")).unwrap_err();
    assert_eq!((error.line, error.column), (6 * (n - 1) + 4, 10), "{error}");
    assert!(
        error
            .message
            .starts_with(&format!("the nodes' memory adds up to {} MiB, more than this host's", n << 11)),
        "{error}"
    );
    assert!(Topology::parse("ok.toml", &many_nodes(n, "1M"), Path::new("/")).is_ok());
}

#[test]
fn a_topology_of_the_most_nodes_parses() {
    let topology = Topology::parse("max.toml", &many_nodes(MAX_NODES, "1M"), Path::new("/")).unwrap();
    assert_eq!(topology.nodes.len(), MAX_NODES);
}

#[test]
fn a_tiny_bandwidth_is_refused_where_it_used_to_panic_the_host() {
    let demo = repo().join("programs/asm/linkdemo.s");
    let text = format!(
        "[[node]]\nname = \"cp\"\nrole = \"central\"\nimage = {demo:?}\n[[node]]\nname = \"s1\"\nrole = \"satellite\"\nimage = {demo:?}\n[[link]]\na = \"cp.0\"\nb = \"s1.0\"\nbandwidth_mbps = 1e-7\n"
    );
    let error = Topology::parse("tiny.toml", &text, Path::new("/")).unwrap_err();
    assert_eq!((error.line, error.column), (12, 18), "{error}");
    // The slowest link allowed runs.
    let slow = text.replace("1e-7", "0.001");
    let (_, state, _) = run(&Topology::parse("slow.toml", &slow, Path::new("/")).unwrap(), 1);
    assert_eq!(state, SystemState::PoweredOff(0));
}

/// Node 0 sends 1024-byte frames on port 0 as fast as its port takes them; node 1 spins.
const FLOOD: &str = "        .text
        .globl _start
_start:
        bnez    a0, spin
        li      t0, 0x10010000
        li      t1, 1024
flood:
        lw      t2, 0(t0)
        andi    t2, t2, 4
        beqz    t2, flood
        sw      t1, 12(t0)
        j       flood
spin:
        j       spin
";

/// A guest flooding a link of `link_extra` for 2 ms of virtual time; returns the system.
fn flood(link_extra: &str) -> System {
    let dir = std::env::temp_dir().join(format!("orrery-flood-{}-{}", std::process::id(), link_extra.len()));
    std::fs::create_dir_all(&dir).unwrap();
    let program = dir.join("flood.s");
    std::fs::write(&program, FLOOD).unwrap();
    let text = format!(
        "[[node]]\nname = \"cp\"\nrole = \"central\"\nimage = {program:?}\n[[node]]\nname = \"s1\"\nrole = \"satellite\"\nimage = {program:?}\n[[link]]\na = \"cp.0\"\nb = \"s1.0\"\n{link_extra}\n"
    );
    let topology = Topology::parse("flood.toml", &text, Path::new("/")).unwrap();
    let options = SystemOptions { terminal: Box::new(std::io::sink()), input: Vec::new(), stdin: false };
    let mut system = System::new(&topology, options).unwrap();
    assert_eq!(system.run(2_000_000, 1).unwrap(), SystemState::TimeLimit);
    std::fs::remove_dir_all(&dir).unwrap();
    system
}

const S1: Target = Target::Port(Endpoint { node: 1, port: 0 });

#[test]
fn a_guest_flooding_a_slow_link_has_its_frames_refused_outside_the_window() {
    // 1 kbit/s: a 1024-byte frame takes 8.2 s; the second would arrive past the 10 s window.
    let system = flood("bandwidth_mbps = 0.001");
    let sent = system.link_events();
    assert!(sent > 3000, "{sent} frames sent");
    assert_eq!(system.link_refusals(), &[(S1, Refusals { out_of_window: sent - 1, queue_full: 0 })]);
}

#[test]
fn a_guest_flooding_a_long_link_fills_its_queue_and_no_more() {
    // 1 s of latency: nothing arrives within the run, and at most MAX_IN_FLIGHT frames wait.
    let mut system = flood("latency_us = 1000000\nbandwidth_mbps = 1000000");
    let sent = system.link_events();
    let queue_full = sent - MAX_IN_FLIGHT as u64;
    assert_eq!(system.link_refusals(), &[(S1, Refusals { out_of_window: 0, queue_full })]);
    let mut monitor = Monitor::for_system(&mut system);
    let links = monitor.execute("links 1");
    assert!(
        links.ends_with(&format!(
            "refused on the way to s1.0: 0 dated outside the window, {queue_full} over a full queue\n"
        )),
        "{links}"
    );
    assert!(links.contains("refused\n"), "the last frame's fate: {links}");
}

/// The nodes and links of a tree topology in the long form: `cp` and satellites `s1 … sn`,
/// `fanout` children each, breadth-first (the central's on its ports 0.., the others' on 1..).
fn long_tree(n: usize, fanout: usize) -> String {
    let mut text = String::from("[[node]]\nname = \"cp\"\nrole = \"central\"\nimage = \"k.elf\"\n\n");
    for i in 1..=n {
        text +=
            &format!("[[node]]\nname = \"s{i}\"\nrole = \"satellite\"\nmemory = \"2M\"\nrom = \"r.s\"\n\n");
    }
    for i in 1..=n {
        let (parent, port) = if i <= fanout {
            ("cp".to_string(), i - 1)
        } else {
            (format!("s{}", (i - fanout - 1) / fanout + 1), (i - fanout - 1) % fanout + 1)
        };
        text += &format!("[[link]]\na = \"{parent}.{port}\"\nb = \"s{i}.0\"\nlatency_us = 3\n");
    }
    text
}

#[test]
fn the_compact_form_is_the_long_form() {
    let compact = "[[node]]\nname = \"cp\"\nrole = \"central\"\nimage = \"k.elf\"\n\n\
                   [[node]]\nname = \"s{n}\"\ncount = 40\nrole = \"satellite\"\nmemory = \"2M\"\nrom = \"r.s\"\n\n\
                   [[tree]]\nroot = \"cp\"\nchildren = \"s{1..40}\"\nfanout = 3\nlatency_us = 3\n";
    let compact = Topology::parse("compact.toml", compact, Path::new("/")).unwrap();
    let long = Topology::parse("long.toml", &long_tree(40, 3), Path::new("/")).unwrap();
    assert_eq!(compact, long);
    // Groups with `first`, ids and a list of children beside a `[[link]]` of the root's.
    let mixed = "[[node]]\nname = \"cp\"\nrole = \"central\"\nimage = \"k.elf\"\n\n\
                 [[node]]\nname = \"a{n}x\"\ncount = 2\nfirst = 7\nid = 10\nrole = \"satellite\"\nrom = \"r.s\"\n\n\
                 [[node]]\nname = \"b\"\nrole = \"satellite\"\nrom = \"r.s\"\n\n\
                 [[link]]\na = \"cp.0\"\nb = \"b.0\"\n\n\
                 [[tree]]\nroot = \"cp\"\nchildren = \"a{7..8}x\"\nfanout = 2\n";
    let mixed = Topology::parse("mixed.toml", mixed, Path::new("/")).unwrap();
    let names: Vec<(&str, u32)> = mixed.nodes.iter().map(|n| (n.name.as_str(), n.id)).collect();
    assert_eq!(names, [("cp", 0), ("a7x", 10), ("a8x", 11), ("b", 3)]);
    let ends: Vec<(usize, u32, usize, u32)> =
        mixed.links.iter().map(|l| (l.a.node, l.a.port, l.b.node, l.b.port)).collect();
    assert_eq!(ends, [(0, 0, 3, 0), (0, 1, 1, 0), (0, 2, 2, 0)]);
}

#[test]
fn the_tree_topologies_are_trees_of_256_and_64_nodes() {
    for (name, nodes, fanout, deepest) in
        [("tree64.toml", 64, 8, ("sat63", 2)), ("tree256.toml", 256, 15, ("sat255", 3))]
    {
        let topology = Topology::load(&repo().join("topologies").join(name)).unwrap();
        assert_eq!((topology.nodes.len(), topology.links.len()), (nodes, nodes - 1), "{name}");
        // Each node's parent, and the hops from the central to the deepest.
        let parent = |node: usize| topology.links.iter().find(|l| l.b.node == node).map(|l| l.a.node);
        let depth = |mut node: usize| {
            let mut hops = 0;
            while let Some(up) = parent(node) {
                (node, hops) = (up, hops + 1);
            }
            hops
        };
        let deep = topology.nodes.iter().position(|n| n.name == deepest.0).unwrap();
        assert_eq!(depth(deep), deepest.1, "{name}");
        assert!((1..nodes).all(|n| depth(n) <= deepest.1), "{name}");
        assert!(topology.nodes.iter().all(|n| n.ports as usize <= fanout + 1), "{name}");
    }
}

#[test]
fn every_compact_form_mistake_is_located_and_explained() {
    const HEAD: &str = "[[node]]\nname = \"cp\"\nrole = \"central\"\nimage = \"k.elf\"\n\n";
    const GROUP: &str = "[[node]]\nname = \"s{n}\"\ncount = 20\nrole = \"satellite\"\nrom = \"r.s\"\n\n";
    const TREE: &str = "[[tree]]\nroot = \"cp\"\nchildren = \"s{1..20}\"\nfanout = 4\n";
    let cases: Vec<(&str, String)> = vec![
        ("a group without {n}", format!("{HEAD}{}{TREE}", GROUP.replace("s{n}", "s"))),
        ("a group of none", format!("{HEAD}{}", GROUP.replace("count = 20", "count = 0"))),
        ("a group past the most nodes", format!("{HEAD}{}", GROUP.replace("count = 20", "count = 300"))),
        (
            "groups together past the most nodes",
            format!("{HEAD}{GROUP}{}", GROUP.replace("count = 20", "count = 240").replace("s{n}", "t{n}")),
        ),
        ("first without count", HEAD.replace("image", "first = 3\nimage")),
        (
            "numbers that overflow",
            format!("{HEAD}{}", GROUP.replace("count = 20", "count = 20\nfirst = 4294967290")),
        ),
        (
            "ids that overflow",
            format!("{HEAD}{}", GROUP.replace("count = 20", "count = 20\nid = 4294967290")),
        ),
        ("a bad member name", format!("{HEAD}{}", GROUP.replace("s{n}", "{n}s"))),
        (
            "a member named twice",
            format!("{HEAD}{GROUP}{}", GROUP.replace("count = 20", "count = 2\nfirst = 20")),
        ),
        (
            "a member whose memory is not a size",
            format!("{HEAD}{}", GROUP.replace("rom", "memory = \"lots\"\nrom")),
        ),
        ("a tree with an unknown root", format!("{HEAD}{GROUP}{}", TREE.replace("\"cp\"", "\"hub\""))),
        ("a tree with an unknown child", format!("{HEAD}{GROUP}{}", TREE.replace("20}", "21}"))),
        ("a range that is not one", format!("{HEAD}{GROUP}{}", TREE.replace("1..20", "20..1"))),
        ("a range without its brace", format!("{HEAD}{GROUP}{}", TREE.replace("1..20}", "1..20"))),
        ("a range too long", format!("{HEAD}{GROUP}{}", TREE.replace("1..20", "1..4000000000"))),
        ("an empty child", format!("{HEAD}{GROUP}{}", TREE.replace("s{1..20}", "s{1..20},"))),
        ("a child twice", format!("{HEAD}{GROUP}{}", TREE.replace("s{1..20}", "s{1..20}, s3"))),
        ("the root among the children", format!("{HEAD}{GROUP}{}", TREE.replace("s{1..20}", "s{1..20}, cp"))),
        ("fanout zero", format!("{HEAD}{GROUP}{}", TREE.replace("fanout = 4", "fanout = 0"))),
        ("fanout past the ports", format!("{HEAD}{GROUP}{}", TREE.replace("fanout = 4", "fanout = 16"))),
        ("a child already linked", format!("{HEAD}{GROUP}[[link]]\na = \"cp.0\"\nb = \"s2.0\"\n\n{TREE}")),
        (
            "a root without free ports",
            format!(
                "{HEAD}{GROUP}{}\n{}",
                TREE.replace("fanout = 4", "fanout = 15").replace("s{1..20}", "s{1..15}"),
                TREE.replace("s{1..20}", "s{16..20}")
            ),
        ),
        ("a bad mtu on a tree", format!("{HEAD}{GROUP}{TREE}mtu = 3\n")),
        ("an unknown key in a tree", format!("{HEAD}{GROUP}{TREE}depth = 3\n")),
        ("a satellite the tree leaves out", format!("{HEAD}{GROUP}{}", TREE.replace("1..20", "1..19"))),
    ];
    let mut report = String::new();
    for (what, text) in &cases {
        let error = Topology::parse("bad.toml", text, Path::new("/")).expect_err(what);
        assert!(error.line >= 1 && error.column >= 1, "{what}");
        report += &format!("== {what}\n{error}\n");
    }
    insta::assert_snapshot!(report);
}

#[test]
fn a_damaged_compact_file_is_an_error_never_a_panic() {
    let text = std::fs::read_to_string(repo().join("topologies/tree256.toml")).unwrap();
    let bytes = text.as_bytes();
    // Every cut, and every byte replaced by one of a few that change its meaning.
    for at in 0..bytes.len() {
        let _ = Topology::parse("cut.toml", &text[..text.floor_char_boundary(at)], Path::new("/"));
        for by in [b'{', b'}', b'.', b',', b'0', b'9', b'"', b'\n', b'-'] {
            let mut damaged = bytes.to_vec();
            damaged[at] = by;
            if let Ok(damaged) = String::from_utf8(damaged) {
                let _ = Topology::parse("damaged.toml", &damaged, Path::new("/"));
            }
        }
    }
}

/// A central and a satellite on one link, each booting from a ROM (the central from the boot
/// ROM, the satellite from `rom`), and what their consoles print.
fn two_nodes(rom: &Path) -> (System, Capture) {
    let boot = repo().join("os/bootrom/bootrom.s");
    let text = format!(
        "[[node]]\nname = \"cp\"\nrole = \"central\"\nrom = {boot:?}\n\
         [[node]]\nname = \"sat1\"\nrole = \"satellite\"\nrom = {rom:?}\n\
         [[link]]\na = \"cp.0\"\nb = \"sat1.0\"\n"
    );
    let topology = Topology::parse("two.toml", &text, Path::new("/")).unwrap();
    let capture = Capture::default();
    let options = SystemOptions { terminal: Box::new(capture.clone()), input: Vec::new(), stdin: false };
    (System::new(&topology, options).unwrap(), capture)
}

/// A satellite whose plug is pulled and that is powered on again starts over in its boot ROM,
/// and the central's port sees its link go down and come back up.
#[test]
fn a_node_powered_on_again_starts_over_in_its_rom_and_its_link_comes_back() {
    use orrery_emulator::device::Device;
    let (mut system, capture) = two_nodes(&repo().join("os/bootrom/bootrom.s"));
    let up = |system: &mut System| {
        let port = system.nodes[0].machine.link_port(0).unwrap();
        port.read(0, 0).unwrap() & 1 != 0
    };
    system.run(1_000_000, 1).unwrap();
    assert!(up(&mut system));
    assert!(!system.power_on(1), "a node that runs is not powered on");
    system.pull_plug(1, 137);
    system.run(2_000_000, 1).unwrap();
    assert!(!up(&mut system), "the link went down with the node");
    let before = system.nodes[1].machine.cpu.cycles;
    assert!(system.power_on(1));
    system.run(3_000_000, 1).unwrap();
    assert!(up(&mut system), "the link came back with the node");
    assert!(system.nodes[1].machine.cpu.cycles >= before, "its clock went on");
    let text = capture.text();
    assert_eq!(text.matches("[sat1] bootrom: node 1 waiting for an image on link 0").count(), 2, "{text}");

    // The monitor does the same, and a system that had stopped runs on.
    let mut monitor = Monitor::for_system(&mut system);
    assert!(monitor.execute("poweroff sat1").contains("sat1 powered off"));
    assert!(monitor.execute("poweroff 1").contains("error: sat1 is powered off already"));
    assert!(monitor.execute("poweron cp").contains("error: cp is the central node"));
    monitor.execute("continue 100000");
    assert!(monitor.execute("nodes").contains("powered off (137)"));
    assert!(monitor.execute("poweron sat1").contains("sat1 powered on"));
    monitor.execute("continue 100000");
    assert!(!monitor.execute("nodes").contains("powered off"));
    drop(monitor);
    assert!(up(&mut system), "the link came back with the node");
}

/// A node whose guest writes the power device's `RESET` starts over in its boot ROM, its RAM
/// cleared and its clock going on, and its links stay up (a satellite kernel that lost its
/// central does this, docs/reliability.md).
#[test]
fn a_node_that_asks_for_a_reset_starts_over_in_its_rom_and_keeps_its_link() {
    use orrery_emulator::device::Device;
    let dir = std::env::temp_dir().join(format!("orrery-reset-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    // Counts its starts in RAM (cleared by each reset, so always 1), says so, and resets.
    let rom = dir.join("reset.s");
    std::fs::write(
        &rom,
        "        .text\n        .globl _start\n_start:\n\
         \x20       li t0, 0x80000100\n        lw t1, 0(t0)\n        addi t1, t1, 1\n        sw t1, 0(t0)\n\
         \x20       addi t1, t1, 48\n        li t2, 0x10000000\n        sw t1, 0(t2)\n        li t1, 10\n        sw t1, 0(t2)\n\
         \x20       li t0, 0x10003004\n        sw zero, 0(t0)\nspin:\n        j spin\n",
    )
    .unwrap();
    let (mut system, capture) = two_nodes(&rom);
    system.run(200_000, 1).unwrap();
    let text = capture.text();
    let starts = text.matches("[sat1] 1\n").count();
    assert!(starts >= 3, "it started over several times: {text}");
    assert!(!text.contains("[sat1] 2"), "RAM is cleared at each reset: {text}");
    let port = system.nodes[0].machine.link_port(0).unwrap();
    assert!(port.read(0, 0).unwrap() & 1 != 0, "the link stayed up");
    std::fs::remove_dir_all(&dir).unwrap();
}
