//! Processes on satellites with stubs on the central (docs/satellites.md), end to end: the
//! default topology (and the lossy one) booted with a disk whose `/bin/init` is the test
//! program `remote` (programs/user/remote). It forks children onto satellites (`rfork`) that
//! write to the console and to a file on the central's disk through their stubs, read it
//! back, check `getppid` and exit with statuses the parent's `wait` sees; spreads three over
//! the three satellites and lists them with `ps`; and measures a forwarded call against a
//! local one. The run's exit code is the program's verdict.
//!
//! The same way with `programs/user/satfork` as init: processes created and replaced **on**
//! satellites (a `fork` there landing on another satellite, `wait` across satellites, `exec`,
//! a failed `exec`, `getppid` after a reparenting), the placement policies, and `dup2`.
//!
//! And with `programs/user/bigfork` as init: processes with several MiB of heap forked onto a
//! satellite, from it to another and on it, every page checked there; a fork too big for a
//! satellite's memory refused with `ENOMEM`, leaving its counters as they were; a local fork of
//! more than half a satellite's memory succeeding there by copy-on-write; the same verdict on
//! the lossy topology.
//!
//! Images from `ORRERY_GUEST_DIR` (set by `cargo xtask test`); every run boots a pristine disk
//! with the program as `/bin/init` (`orrery_tests::run_topology`).

use orrery_emulator::system::SystemState;
use orrery_tests::run_topology;

/// More virtual time than any run here needs.
const LIMIT_NS: u64 = 20_000_000_000;

/// Runs `topologies/NAME` with `remote` as init to its end; returns the transcript.
fn run(name: &str, threads: usize) -> String {
    run_init("remote", name, threads)
}

/// Runs `topologies/NAME` with `/bin/PROGRAM` as init to its end; returns the transcript.
fn run_init(program: &str, name: &str, threads: usize) -> String {
    let (text, state) = run_topology(name, Some(program), b"", threads, LIMIT_NS);
    assert_eq!(state, SystemState::PoweredOff(0), "{program} should pass:\n{text}");
    assert!(!text.contains("panic"), "{text}");
    text
}

/// The program's verdict lines (`remote:` or `satfork:`, and what `ps` prints), the same
/// whatever the links lose.
fn verdict(transcript: &str) -> Vec<&str> {
    transcript
        .lines()
        .filter(|l| {
            l.contains("remote:") || l.contains("satfork:") || l.contains(" PID ") || l.contains("    ")
        })
        .collect()
}

#[test]
fn processes_run_on_satellites_through_their_stubs() {
    let transcript = run("default.toml", 1);
    let from = transcript.find("[cp] [kernel] starting init").expect("init starts");
    insta::assert_snapshot!("default", &transcript[from..]);
    assert_eq!(run("default.toml", 2), transcript, "a second run, on two threads");
}

#[test]
fn lossy_links_give_the_same_console_output() {
    let clean = run("default.toml", 1);
    let lossy = run("lossy.toml", 1);
    assert_eq!(verdict(&lossy), verdict(&clean));
    assert_eq!(run("lossy.toml", 1), lossy, "a second lossy run");
}

#[test]
fn processes_fork_and_exec_on_satellites() {
    let transcript = run_init("satfork", "default.toml", 1);
    let from = transcript.find("[cp] [kernel] starting init").expect("init starts");
    insta::assert_snapshot!("satfork", &transcript[from..]);
    assert!(transcript.contains("[cp] satfork: echo ran on satellite 3 after exec"), "{transcript}");
    assert!(transcript.contains("[cp] satfork: 0 failure(s)"), "{transcript}");
    assert_eq!(run_init("satfork", "default.toml", 2), transcript, "a second run, on two threads");
}

#[test]
fn satellite_forks_survive_lossy_links() {
    let clean = run_init("satfork", "default.toml", 1);
    let lossy = run_init("satfork", "lossy.toml", 1);
    assert_eq!(verdict(&lossy), verdict(&clean));
}

#[test]
fn images_of_several_mib_move_page_by_page_and_too_big_ones_are_refused() {
    let transcript = run_init("bigfork", "default.toml", 1);
    for line in [
        "[cp] bigfork: 2048 KiB of heap forked onto node Some(1): every page read back: true",
        "[cp] bigfork: rfork(2) from node 1 with 2048 KiB of heap: child on node Some(2), Exited(0)",
        "[cp] bigfork: a local fork from node 1 with 2048 KiB of heap: child on node Some(1), Exited(0)",
        "[cp] bigfork: rfork(1) with 20 MiB of heap: ENOMEM; node 1's counters as before: true",
        "[cp] bigfork: then a small process forks onto node 1: true",
        "[cp] bigfork: a local fork on node 2 with 9 MiB of heap (copy-on-write): Ok((13, Exited(0)))",
        "[cp] bigfork: the process on node Some(2) carries on, its heap intact: true",
        "[cp] bigfork: 0 failure(s)",
    ] {
        assert!(transcript.contains(line), "{line:?} missing:\n{transcript}");
    }
}

#[test]
fn big_images_survive_lossy_links() {
    let verdict =
        |t: &str| t.lines().filter(|l| l.contains("bigfork:")).map(str::to_string).collect::<Vec<_>>();
    let clean = run_init("bigfork", "default.toml", 1);
    let lossy = run_init("bigfork", "lossy.toml", 1);
    assert_eq!(verdict(&lossy), verdict(&clean));
}
