//! The shell on the whole configuration, as `cargo xtask run` boots it: `topologies/default.toml`
//! (a central processor and three satellites) with init starting the shell on the central's
//! console. The session runs a shell under the `least-loaded` placement policy (`place
//! least-loaded sh`), so every command it starts is forked onto a satellite and `exec`s there
//! through its stub: `where` reports the node, a file written from a satellite is read back on
//! another, pipelines join processes on satellites, and `ps` (piped to `cat`) lists itself on
//! its satellite beside the shells on the central, and `runtests` — the system's self-test, `usertests`
//! included — runs there as it does on the central (its forks of processes whose heap and stack
//! grew move their images to and from satellites page by page). The typed
//! lines are given up front; the shell reads its input a byte at a time, so each command gets
//! only its own line. Everything runs in virtual time: the transcript is a snapshot.

use orrery_emulator::system::SystemState;
use orrery_tests::run_topology;

/// More virtual time than the session needs.
const LIMIT_NS: u64 = 60_000_000_000;

/// What is typed at the central's console.
const SESSION: &str = "\
place
where
place least-loaded sh
place
where
echo written on a satellite > /note; cat /note
cat /note | wc
ls /bin | wc
ps | cat
where 1
runtests
a line typed at the console
echo runtests on satellites ended with $?
exit 7
echo the shell on satellites ended with $?
exit 3
";

#[test]
fn the_shell_runs_commands_on_satellites() {
    let (text, state) = run_topology("default.toml", None, SESSION.as_bytes(), 1, LIMIT_NS);
    assert_eq!(state, SystemState::PoweredOff(3), "exit 3 should power off with 3:\n{text}");
    assert!(!text.contains("panic"), "{text}");
    assert!(text.contains("tests: ALL TESTS PASSED"), "{text}");
    assert!(text.contains("runtests on satellites ended with 0"), "{text}");
    let from = text.find("[cp] [kernel] starting init").expect("init starts");
    insta::assert_snapshot!("session", &text[from..]);
}
