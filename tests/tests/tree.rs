//! Configurations of many nodes (docs/link-protocol.md, *Relaying*; docs/boot.md):
//! `topologies/tree256.toml`, the central and 255 satellites in a tree three hops deep, boots
//! every satellite through its parent to the shell, and commands run on its deepest satellite
//! (node 255, behind sat16 behind sat1): `place 255 sh` is a shell whose commands are forked
//! there, and `where`, `echo` and `ps` in it run there; `stats 255` asks it from the central.
//! Every frame to and from node 255 crosses two relaying satellites each way. Placement
//! reaches the rest of the tree too: a command on node 200, and round-robin's first two.
//! `tree64.toml` loses a relay (its satellites go with it, no others) and gets it back (they
//! come back with it), loses and gets back a satellite behind a relay, and boots and serves
//! over links that lose and damage frames. In `tree256.toml` a relay two hops out dies and
//! comes back with the fifteen satellites behind it.

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
sendline place 255 sh -c "echo ready; cat"
expect "] ready"
sleep 300ms
poweroff sat16
expect "killed by SIGKILL"
expect "$ "
sleep 50ms
poweron sat16
expect "satellite node 255 (port 15 of node 16) is back: booted again"
sendline place 255 sh -c where
expect "where: satellite node 255, served by stub"
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
    // The shell's part, from its first prompt to the death of sat16.
    let shell = transcript.find("[cp] $ ").map_or(transcript, |at| &transcript[at..]);
    let (shell, after) = shell.split_once("place 255 sh -c \"echo ready").expect("the relay's death");
    insta::assert_snapshot!(shell);
    // sat16, behind sat1, dies: its link on sat1's port 1 goes down and sat1 says so at once;
    // the fifteen satellites behind it die with it, then come back with it, each in its
    // second incarnation.
    assert!(after.contains("satellite node 16 (port 1 of node 1) is dead: its link is down"), "{after}");
    for node in (16..=16).chain(241..=255) {
        let port = if node == 16 {
            "port 1 of node 1".to_string()
        } else {
            format!("port {} of node 16", node - 240)
        };
        if node != 16 {
            let dead = format!("satellite node {node} ({port}) is dead: the relay before it is dead");
            assert!(after.contains(&dead), "{dead}:\n{after}");
        }
        let back = format!("satellite node {node} ({port}) is back: booted again");
        assert!(after.contains(&back), "{back}:\n{after}");
        let incarnation = format!(
            "[sat{node}] [sat] hello from the central processor: this is node {node}'s incarnation 1"
        );
        assert!(after.contains(&incarnation), "{incarnation}:\n{after}");
    }
    assert!(!after.contains("no acknowledgement for 2 s"), "{after}");
}

/// sat1 of `tree64.toml` dies with a job running on sat9, behind it; then what a user would
/// try; then sat1 is powered on again. Then sat9 itself dies and is powered on again.
const RELAY_DIES: &str = r#"timeout 20s
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
sleep 50ms
poweron sat1
expect "satellite node 16 (port 8 of node 1) is back: booted again"
sendline place 9 sh -c "echo ready again; cat"
expect "] ready again"
sleep 50ms
poweroff sat9
expect "killed by SIGKILL"
expect "$ "
sleep 50ms
poweron sat9
expect "satellite node 9 (port 1 of node 1) is back: booted again"
sendline place 9 sh -c where
expect "where: satellite node 9, served by stub"
expect "$ "
sendline stats 9
expect "node 9: procs 1 (stubs 0, zombies 0)"
expect "$ "
sendline exit 0
exit 0
"#;

#[test]
fn a_relay_that_dies_takes_the_satellites_behind_it_and_no_other_and_brings_them_back() {
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
    // sat9 … sat16 lost their link with sat1 and started over in their boot ROMs; sat1 came
    // back, and they with it, in their second incarnation.
    for node in (1..=1).chain(9..=16) {
        let over =
            format!("[sat{node}] [sat] node {node}: the link towards the central is down; starting over");
        assert!(node == 1 || transcript.contains(&over), "{over}:\n{transcript}");
        let back = format!("] satellite node {node} (");
        assert!(
            transcript.lines().any(|l| l.contains(&back) && l.ends_with(") is back: booted again")),
            "{transcript}"
        );
        let second = format!(
            "[sat{node}] [sat] hello from the central processor: this is node {node}'s incarnation 1"
        );
        assert!(transcript.contains(&second), "{second}:\n{transcript}");
    }
    // sat9, behind sat1, died alone: sat1 said at once that its port 1 went down, and that it
    // came up; sat9 came back in its third incarnation, and nothing else died.
    let dead9 = "satellite node 9 (port 1 of node 1) is dead: its link is down";
    assert_eq!(transcript.matches(dead9).count(), 2, "{transcript}");
    assert!(transcript.contains("this is node 9's incarnation 2"), "{transcript}");
    assert!(!transcript.contains("no acknowledgement"), "{transcript}");
    assert_eq!(transcript.matches(") is dead: ").count(), 10, "{transcript}");
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
