//! The monitor on a whole system (`orrery debug TOPOLOGY.toml`), driven by scripts on the link
//! demonstration topologies: transcripts as insta snapshots, malformed multi-node commands,
//! and the rule that debugging never changes what the system does — the prefixed console
//! transcript of any session that runs to the end equals a plain run's, byte for byte.

mod common;

use std::io::Write;
use std::path::{Path, PathBuf};

use orrery_emulator::console::Capture;
use orrery_emulator::monitor::{ConsoleCapture, Monitor};
use orrery_emulator::system::{System, SystemOptions, SystemState};
use orrery_emulator::topology::Topology;
use proptest::prelude::{prop, proptest, ProptestConfig, Strategy};
use proptest::prop_oneof;

fn linkdemo(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../topologies/linkdemo").join(name)
}

/// The system of a link-demo topology, its terminal consoles written to `terminal`.
fn system(name: &str, terminal: Box<dyn Write + Send>) -> System {
    let topology = Topology::load(&linkdemo(name)).unwrap();
    let options = SystemOptions { terminal, input: Vec::new(), stdin: false };
    System::new(&topology, options).unwrap()
}

/// Runs `script` on a fresh system and returns the transcript, the consoles shown as `| `
/// lines where the guests print them.
fn transcript(name: &str, script: &str) -> String {
    let console = ConsoleCapture::default();
    let mut system = system(name, Box::new(console.clone()));
    let mut session = Monitor::for_system(&mut system).with_console(console);
    session.run_script(script)
}

/// The consoles of a plain run, and where every node ended.
fn plain_run(name: &str) -> (String, Vec<(u64, u64)>, u64) {
    let capture = Capture::default();
    let mut system = system(name, Box::new(capture.clone()));
    assert_eq!(system.run(u64::MAX, 1).unwrap(), SystemState::PoweredOff(0));
    (capture.text(), clocks(&system), system.time)
}

/// Every node's cycles and instructions retired.
fn clocks(system: &System) -> Vec<(u64, u64)> {
    system.nodes.iter().map(|n| (n.machine.cpu.cycles, n.machine.cpu.instret)).collect()
}

/// Runs `script` on a fresh system, then deletes every breakpoint and continues to the end;
/// returns the consoles as the system wrote them, where every node ended, and the transcript.
fn debugged_run(name: &str, script: &str) -> (String, Vec<(u64, u64)>, u64, String) {
    let capture = Capture::default();
    let mut system = system(name, Box::new(capture.clone()));
    let mut session = Monitor::for_system(&mut system);
    let mut text = String::new();
    for line in script.lines() {
        text += &format!("(orrery) {line}\n{}", session.execute(line));
    }
    text += &session.execute("delete");
    let mut last = String::new();
    for _ in 0..1000 {
        last = session.execute("continue");
        if last.contains("the system has stopped") {
            break;
        }
    }
    assert!(last.contains("powered off with exit code 0: the system has stopped"), "{text}{last}");
    drop(session);
    (capture.text(), clocks(&system), system.time, text)
}

#[test]
fn a_session_on_star3() {
    let script = "\
nodes
node sat2
break link sat2
# The ping from cp arrives at the boundary after its arrival time.
continue
links
time
regs
step 3
time
# sat2 answers: its pong is carried at the next boundary.
continue
info breakpoints
links 2
";
    insta::assert_snapshot!(transcript("star3.toml", script));
}

#[test]
fn a_breakpoint_on_a_satellite_stops_continue_there() {
    let script = "\
node sat3
break from_parent
node cp
info breakpoints
# cp is selected; the stop is on sat3, which becomes the selected node.
continue
x/s got
time
step 4
nodes
# Nothing else stops the system: it runs to the end.
continue
continue
";
    insta::assert_snapshot!(transcript("star3.toml", script));
}

#[test]
fn stepping_across_boundaries_on_a_chain() {
    let script = "\
node sat1
break trap
# The probe of a missing port faults on every node; the catch is sat1's.
continue
traps 2
delete
node sat3
break link
# Every stop condition of every node stops every resuming command.
step 2000
next
links
delete
# Without it, sat3's steps wait for the ping to come down the chain.
step 20
time
continue
";
    insta::assert_snapshot!(transcript("chain.toml", script));
}

#[test]
fn debugging_never_changes_what_the_system_does() {
    let sessions = [
        ("star3.toml", "node sat2\nstep\nstep 5000\nnode cp\nstep 100\ncontinue 3000\n"),
        ("star3.toml", "node sat1\nbreak from_parent\nnode sat3\nbreak send\ncontinue\ncontinue\ncontinue\n"),
        ("star3.toml", "break link\ncontinue\ncontinue\ncontinue\nnode 3\nwatch 0x80000000\ncontinue\n"),
        ("chain.toml", "node sat2\nbreak trap any\ncontinue\ncontinue\nuntil relay\nnext\nstep 777\n"),
        ("chain.toml", "break link sat3\ncontinue\ncontinue\nnode sat3\nbreak puts\ncontinue\nstep 50\n"),
    ];
    for (name, script) in sessions {
        let (plain, plain_clocks, plain_time) = plain_run(name);
        let (debugged, clocks, time, text) = debugged_run(name, script);
        assert_eq!(debugged, plain, "{name}: the consoles differ after\n{text}");
        assert_eq!((clocks, time), (plain_clocks, plain_time), "{name}: the clocks differ after\n{text}");
    }
}

/// A random debugging command on a link-demo system (star3 or chain: four nodes each).
fn command() -> impl Strategy<Value = String> {
    prop_oneof![
        (0..4usize).prop_map(|n| format!("node {n}")),
        (1..3000u64).prop_map(|n| format!("step {n}")),
        (1..20_000u64).prop_map(|n| format!("continue {n}")),
        prop::sample::select(vec![
            "step",
            "next",
            "continue",
            "until relay",
            "until collect",
            "break from_parent",
            "break send",
            "break puts",
            "break collect",
            "break relay",
            "break trap",
            "break link",
            "break link sat1",
            "break link cp",
            "watch 0x80000000",
            "watch got r",
            "delete",
        ])
        .prop_map(str::to_string),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]

    #[test]
    fn any_session_prints_what_a_plain_run_prints(
        name in prop::sample::select(vec!["star3.toml", "chain.toml"]),
        commands in prop::collection::vec(command(), 1..12),
    ) {
        let (plain, plain_clocks, plain_time) = plain_run(name);
        let script = commands.join("\n");
        let (debugged, clocks, time, text) = debugged_run(name, &script);
        assert_eq!(debugged, plain, "the consoles differ after\n{text}");
        assert_eq!((clocks, time), (plain_clocks, plain_time), "the clocks differ after\n{text}");
    }
}

/// A random line, mostly of multi-node words.
fn line() -> impl Strategy<Value = String> {
    let word = prop_oneof![
        prop::sample::select(vec![
            "node",
            "nodes",
            "links",
            "break",
            "link",
            "trap",
            "step",
            "continue",
            "time",
            "info",
            "breakpoints",
            "delete",
            "regs",
            "cp",
            "sat1",
            "sat3",
            "nosuch",
            "0",
            "3",
            "4",
            "99",
            "-1",
            "0x10",
            "from_parent",
            "relay",
            "x/2i",
            "pc",
        ])
        .prop_map(str::to_string),
        "[ -~]{0,8}",
    ];
    prop::collection::vec(word, 0..4).prop_map(|w| w.join(" "))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn random_lines_on_a_system_never_panic(lines in prop::collection::vec(line(), 1..8)) {
        let console = ConsoleCapture::default();
        let mut system = system("star3.toml", Box::new(console.clone()));
        let mut session = Monitor::for_system(&mut system).with_limit(5_000).with_console(console);
        for line in &lines {
            let out = session.execute(line);
            let own: Vec<&str> = out.lines().filter(|l| !l.starts_with("| ")).collect();
            if own.iter().any(|l| l.starts_with("error: ")) {
                assert_eq!(own.len(), 1, "{line:?} gave {out:?}");
            }
        }
    }
}

/// Multi-node lines that must each give exactly one `error: ...` line.
const BAD_LINES: &[&str] = &[
    "node 99",
    "node",
    "node nosuch",
    "node -1",
    "node 1 2",
    "nodes all",
    "break link nosuch",
    "break link 7",
    "break link sat1 sat2",
    "links x",
    "links 1 2",
];

#[test]
fn every_malformed_multi_node_command_gets_one_error_line() {
    let mut system = system("star3.toml", Box::new(std::io::sink()));
    let mut session = Monitor::for_system(&mut system);
    let mut table = String::new();
    for line in BAD_LINES {
        let out = session.execute(line);
        assert!(
            out.starts_with("error: ") && out.ends_with('\n') && out.lines().count() == 1,
            "{line:?} gave {out:?}"
        );
        table.push_str(&format!("{line:<24} | {out}"));
    }
    assert!(session.execute("step").starts_with("=> cp [kernel]"), "the session goes on");
    insta::assert_snapshot!(table);
}

#[test]
fn every_help_example_runs_on_a_system() {
    let mut system = system("star3.toml", Box::new(std::io::sink()));
    let mut session = Monitor::for_system(&mut system);
    for topic in orrery_emulator::monitor::help::TOPICS {
        let out = session.execute(topic.example);
        // The examples are made for paging.s: its symbols, its stack.
        let expected_error = topic.names[0] == "delete"
            || out.contains("no register or symbol named")
            || out.contains("cannot read");
        assert!(!out.starts_with("error:") || expected_error, "{}: {out}", topic.example);
    }
}

#[test]
fn the_documented_system_session_is_current() {
    let (expected, output) = common::documented_session("system-session", linkdemo("star3.toml").as_os_str());
    assert_eq!(output.status.code(), Some(0), "{}", String::from_utf8_lossy(&output.stderr));
    let actual = String::from_utf8_lossy(&output.stdout);
    assert_eq!(actual, expected, "docs/monitor.md's system session is out of date: regenerate it");
}
