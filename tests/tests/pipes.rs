//! Pipes between processes on different satellites (docs/satellites.md, *Pipes across
//! satellites*): `topologies/default.toml` (and the lossy one) booted with `programs/user/satpipe`
//! as `/bin/init`. It places writers and readers of central pipes on different satellites — a
//! 96 KiB transfer from node 1 to node 2 with the reader blocked first, a three-stage pipeline
//! over nodes 1, 2 and 3, and a write that blocks on a full pipe until a sleeping reader on
//! another satellite drains it — and exits with its count of failures.

use orrery_emulator::system::SystemState;
use orrery_tests::run_topology;

/// More virtual time than any run here needs.
const LIMIT_NS: u64 = 20_000_000_000;

/// Runs satpipe on `topologies/FILE`; returns the console from init's start, after checking
/// the run passed.
fn run(file: &str, threads: usize) -> String {
    let (text, state) = run_topology(file, Some("satpipe"), b"", threads, LIMIT_NS);
    assert_eq!(state, SystemState::PoweredOff(0), "satpipe should pass on {file}:\n{text}");
    assert!(!text.contains("panic"), "{text}");
    let from = text.find("[cp] [kernel] starting init").expect("init starts");
    text[from..].to_string()
}

/// satpipe's own lines: what it found, the same whatever the links lose.
fn verdict(transcript: &str) -> Vec<&str> {
    transcript.lines().filter(|l| l.contains("satpipe:")).collect()
}

#[test]
fn pipes_join_processes_on_different_satellites() {
    let transcript = run("default.toml", 1);
    insta::assert_snapshot!("default", transcript);
    assert_eq!(run("default.toml", 2), transcript, "a second run, on two threads");
}

#[test]
fn lossy_links_carry_the_same_pipes() {
    let clean = run("default.toml", 1);
    let lossy = run("lossy.toml", 1);
    assert_eq!(verdict(&lossy), verdict(&clean));
}
