//! A storm of processes across the satellites, and a fault on one of them (docs/satellites.md):
//! `programs/user/storm` as init on the default topology (and the lossy one). It forks 300
//! processes in waves onto the three satellites, each working through its stub (files, a
//! pipe, `getppid`) and exiting with a status its parent checks; prints the kernel counters of
//! every node before and after (`stats`) and compares them itself — equal counters mean no
//! stub, frame, page, page table, heap byte, open file, descriptor or pipe leaked; then one
//! child on satellite 1 faults while its siblings on satellites 2 and 3 finish, and a new
//! process is placed on satellite 1. The run's exit code is the verdict.

use orrery_emulator::session::Session;
use orrery_emulator::system::SystemState;
use orrery_tests::run_topology;

/// More virtual time than the storm needs.
const LIMIT_NS: u64 = 60_000_000_000;

fn storm(topology: &str) -> String {
    let (text, state) = run_topology(topology, Some("storm"), b"", 1, LIMIT_NS);
    assert_eq!(state, SystemState::PoweredOff(0), "storm should pass:\n{text}");
    assert!(!text.contains("panic"), "{text}");
    text
}

/// The verdict lines (`storm:`), the same whatever the links lose.
fn verdict(transcript: &str) -> Vec<&str> {
    transcript.lines().filter(|l| l.contains("storm:")).collect()
}

#[test]
fn three_hundred_processes_leak_nothing_and_a_fault_stays_on_its_satellite() {
    let transcript = storm("default.toml");
    let from = transcript.find("[cp] [kernel] starting init").expect("init starts");
    insta::assert_snapshot!("default", &transcript[from..]);
    let lossy = storm("lossy.toml");
    assert_eq!(verdict(&lossy), verdict(&transcript));
}

/// A fork bomb placed on satellite 1 (each shell starts two more): the satellite's kernel
/// refuses what it cannot hold (`EAGAIN`), as the central's does, and keeps answering; when
/// the bomb has burnt out, satellite 1 is back to its one process (the process server).
///
/// How long a bomb burns depends on which forks fail, so the test asks `stats 1` every
/// virtual second until the satellite is back to one process. No fork may fail with `ESRCH`:
/// a signal that woke the forker while its forwarded `fork` was under way once made the
/// satellite deny that the forker was in a call.
#[test]
fn a_fork_bomb_on_a_satellite_degrades_like_one_on_the_central() {
    for topology in ["default.toml", "lossy.toml"] {
        let transcript = fork_bomb(topology);
        assert!(transcript.contains("fork: EAGAIN"), "{transcript}");
        assert!(!transcript.contains("ESRCH"), "{transcript}");
        assert!(!transcript.contains("panic"), "{transcript}");
    }
}

/// Runs the bomb on `topology` until satellite 1 has one process again; the transcript.
fn fork_bomb(topology: &str) -> String {
    const SECOND: u64 = 1_000_000_000;
    let disk = orrery_tests::pristine_disk(&format!("storm-fork-bomb-{topology}"), None);
    let mut session =
        Session::topology(orrery_tests::os_topology(topology, &disk)).unwrap_or_else(|e| panic!("{e}"));
    session.set_jit(orrery_tests::jit());
    let step = |session: &mut Session, line: &str| {
        session.send_line(line).unwrap_or_else(|e| panic!("{e}"));
        session.expect("$ ", 20 * SECOND).unwrap_or_else(|e| panic!("{e}\n{}", session.transcript()))
    };
    session.expect("$ ", 20 * SECOND).unwrap_or_else(|e| panic!("{e}"));
    step(&mut session, "echo 'sh /s & sh /s' > /s");
    step(&mut session, "place 1 sh /s");
    let burnt_out = (0..60).any(|_| {
        session.run_for(SECOND);
        step(&mut session, "stats 1").contains("node 1: procs 1 (stubs 0")
    });
    let _ = std::fs::remove_file(&disk);
    assert!(burnt_out, "the bomb still burns after a virtual minute:\n{}", session.transcript());
    session.transcript().to_string()
}
