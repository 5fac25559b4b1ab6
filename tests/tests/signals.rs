//! Signals with Bach's semantics (docs/syscalls.md, *Signals*; docs/satellites.md, *Signals*),
//! end to end: the default topology (and the lossy one) booted with a disk whose `/bin/init`
//! is the test program `sigtest` (programs/user/sigtest). On the central it checks handlers,
//! `SIG_IGN`, default actions and wait statuses, `EINTR` from pipe reads, `sleep` and `pause`,
//! `SIGKILL`, caught faults, `SIGPIPE`, `SIGCHLD` and `exec`; on a satellite, a signal that
//! interrupts a read its stub is blocked in (the handler runs on the satellite), handlers run
//! while computing, default actions across the link, an ignored signal, a caught fault, and
//! the time from `kill` to a handler there. The run's exit code is the program's verdict.
//!
//! Images from `ORRERY_GUEST_DIR` (set by `cargo xtask test`); every run boots a pristine disk.

use orrery_emulator::system::SystemState;
use orrery_tests::run_topology;

/// More virtual time than any run here needs.
const LIMIT_NS: u64 = 20_000_000_000;

/// Runs sigtest on `topologies/FILE`; returns the console, after checking the run passed.
fn run(file: &str, threads: usize) -> String {
    let (text, state) = run_topology(file, Some("sigtest"), b"", threads, LIMIT_NS);
    assert_eq!(state, SystemState::PoweredOff(0), "sigtest should pass on {file}:\n{text}");
    assert!(!text.contains("panic"), "{text}");
    assert!(!text.contains("FAILED"), "{text}");
    text
}

/// The program's verdict lines (`sigtest:`) and the kernels' reports of fatal faults, the
/// same whatever the links lose.
fn verdict(transcript: &str) -> Vec<&str> {
    transcript.lines().filter(|l| l.contains("sigtest:") || l.contains("killed by")).collect()
}

/// One test, three runs (each is long: sixty processes are placed on a satellite for the
/// crossing rounds): the snapshot, the same bytes on two threads, the same verdict over lossy
/// links.
#[test]
fn signals_behave_as_on_one_processor_on_the_central_and_across_the_link() {
    let transcript = run("default.toml", 1);
    let from = transcript.find("[cp] [kernel] starting init").expect("init starts");
    insta::assert_snapshot!("default", &transcript[from..]);
    for case in [
        "a signal interrupts a blocked read on a satellite: ok",
        "a handler runs while computing on a satellite: ok",
        "default action on a satellite: ok",
        "sigtest: 0 failure(s)",
    ] {
        assert!(transcript.contains(case), "{case}:\n{transcript}");
    }
    assert_eq!(run("default.toml", 2), transcript, "a second run, on two threads");
    let lossy = run("lossy.toml", 1);
    assert_eq!(verdict(&lossy), verdict(&transcript), "the lossy links' verdict");
}
