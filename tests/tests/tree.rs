//! Configurations of many nodes (docs/link-protocol.md, *Relaying*; docs/boot.md):
//! `topologies/tree256.toml`, the central and 255 satellites in a tree three hops deep, boots
//! every satellite through its parent to the shell, and commands run on its deepest satellite
//! (node 255, behind sat16 behind sat1): `place 255 sh` is a shell whose commands are forked
//! there, and `where`, `echo` and `ps` in it run there; `stats 255` asks it from the central.
//! Every frame to and from node 255 crosses two relaying satellites each way. Placement
//! reaches the rest of the tree too: a command on node 200, and round-robin's first two.
//! `tree64.toml` loses a relay (its satellites go with it, no others), and boots and serves
//! over links that lose and damage frames.

use std::path::Path;

use orrery_emulator::topology::Topology;
use orrery_tests::{guest_dir, os_topology, pristine_disk, repo_root, run_script};

const SCRIPT: &str = r#"timeout 10s
expect "255 of 255 satellite(s) up"
expect "$ "
sendline place 255 sh
expect "$ "
sendline where
expect "where: satellite node 255, served by stub"
expect "$ "
sendline echo hello from the deepest satellite
expect "] hello from the deepest satellite"
expect "$ "
sendline ps
expect "  255 ps"
expect "$ "
sendline exit
expect "$ "
sendline stats 255
expect "node 255: procs 1 (stubs 0, zombies 0)"
expect "$ "
sendline place 200 sh -c where
expect "where: satellite node 200, served by stub"
expect "$ "
sendline place round-robin sh -c "where; where"
expect "where: satellite node"
expect "where: satellite node"
expect "$ "
sendline exit 0
exit 0
"#;

#[test]
fn the_256_node_tree_boots_to_the_shell_and_runs_commands_on_its_deepest_satellite() {
    let disk = pristine_disk("tree256", None);
    let session = run_script(os_topology("tree256.toml", &disk), &disk, SCRIPT);
    let transcript = session.transcript();
    // Every satellite answered, and the one route the central gave: sat1 relays for sat16,
    // whose ports lead to sat241 … sat255.
    for node in 1..=255 {
        assert!(transcript.contains(&format!("answers: node {node}, ")), "node {node}:\n{transcript}");
    }
    assert!(transcript.contains("[sat1] [sat] relaying: the satellites on node 16's ports are out port 1"));
    assert!(transcript.contains("satellite on port 15 of node 16 answers: node 255, "));
    // The shell's part, from its first prompt.
    let shell = transcript.find("[cp] $ ").map_or(transcript, |at| &transcript[at..]);
    insta::assert_snapshot!(shell);
}

/// sat1 of `tree64.toml` dies with a job running on sat9, behind it; then what a user would try.
const RELAY_DIES: &str = r#"timeout 10s
expect "63 of 63 satellite(s) up"
expect "$ "
sendline place 9 sh -c "echo ready; cat"
expect "] ready"
sleep 20ms
poweroff sat1
expect "killed by SIGKILL"
expect "$ "
sendline stats 9
expect "stats: node 9: EHOSTDOWN"
expect "$ "
sendline stats 17
expect "node 17: procs 1 (stubs 0, zombies 0)"
expect "$ "
sendline exit 0
exit 0
"#;

#[test]
fn a_relay_that_dies_takes_the_satellites_behind_it_and_no_other() {
    let disk = pristine_disk("tree64", None);
    let session = run_script(os_topology("tree64.toml", &disk), &disk, RELAY_DIES);
    let transcript = session.transcript();
    let dead = |node: u32| format!("] satellite node {node} (");
    let is_dead =
        |node: u32| transcript.lines().any(|l| l.contains(&dead(node)) && l.contains(") is dead: "));
    // sat1, on the central's port 0, and sat9 … sat16 on its ports 1 to 8.
    assert!(transcript.contains("satellite node 1 (port 0) is dead: its link is down"), "{transcript}");
    assert!(
        transcript.contains("satellite node 9 (port 1 of node 1) is dead: its link is down"),
        "{transcript}"
    );
    assert!((1..=16).filter(|n| *n == 1 || *n >= 9).all(is_dead), "{transcript}");
    assert!(!(2..=8).chain(17..=63).any(is_dead), "{transcript}");
}

/// `tree64.toml` with every link losing 5 % of its frames and damaging 1 %: the end-to-end
/// transport recovers what any hop loses.
fn lossy_tree64(disk: &Path) -> Topology {
    let dir = repo_root().join("topologies");
    let text = std::fs::read_to_string(dir.join("tree64.toml")).expect("tree64.toml");
    let text = text
        .replace("\"../target/ox32/kernel.elf\"", &format!("{:?}", guest_dir().join("kernel.elf")))
        .replace("\"../target/ox32/disk.img\"", &format!("{disk:?}"))
        .replace("fanout = 8\n", "fanout = 8\ndrop = 0.05\ncorrupt = 0.01\nseed = 9\n");
    Topology::parse("lossy-tree64.toml", &text, &dir).unwrap_or_else(|e| panic!("{e}"))
}

const LOSSY: &str = r#"timeout 10s
expect "63 of 63 satellite(s) up"
expect "$ "
sendline place 63 sh
expect "$ "
sendline where
expect "where: satellite node 63, served by stub"
expect "$ "
sendline ls /
expect "bin/"
expect "$ "
sendline exit
expect "$ "
sendline exit 0
exit 0
"#;

#[test]
fn relaying_survives_lossy_links() {
    let disk = pristine_disk("lossy-tree64", None);
    let session = run_script(lossy_tree64(&disk), &disk, LOSSY);
    let transcript = session.transcript();
    let resent: u32 = transcript
        .lines()
        .filter(|l| l.contains("booted satellite on"))
        .filter_map(|l| l.rsplit(", ").next()?.split(' ').next()?.parse::<u32>().ok())
        .sum();
    assert!(resent > 0, "the links lost nothing?\n{transcript}");
}
