//! A storm of processes across the satellites, and a fault on one of them (docs/satellites.md):
//! `programs/user/storm` as init on the default topology (and the lossy one). It forks 300
//! processes in waves onto the three satellites, each working through its stub (files, a
//! pipe, `getppid`) and exiting with a status its parent checks; prints the kernel counters of
//! every node before and after (`stats`) and compares them itself — equal counters mean no
//! stub, frame, page, page table, heap byte, open file, descriptor or pipe leaked; then one
//! child on satellite 1 faults while its siblings on satellites 2 and 3 finish, and a new
//! process is placed on satellite 1. The run's exit code is the verdict.

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
#[test]
fn a_fork_bomb_on_a_satellite_degrades_like_one_on_the_central() {
    let disk = orrery_tests::pristine_disk("storm-fork-bomb", None);
    let script = r#"timeout 20s
expect "$ "
sendline echo 'sh /s & sh /s' > /s
expect "$ "
sendline place 1 sh /s
sleep 3s
sendline stats 1
expect "node 1: procs 1 (stubs 0"
sendline exit 0
exit 0
"#;
    let session = orrery_tests::run_script(orrery_tests::os_topology("default.toml", &disk), &disk, script);
    let transcript = session.transcript();
    assert!(transcript.contains("fork: EAGAIN"), "{transcript}");
    assert!(!transcript.contains("panic"), "{transcript}");
}
