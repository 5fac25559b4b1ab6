//! The default pager and swap (docs/pagers.md, "The default pager"): on `topologies/small.toml`
//! (a central with 8 MiB of RAM, two satellites with 4 MiB) `defpager` starts the default pager
//! of the central and of satellite 1, and `programs/user/swaptest` works through twice the
//! node's RAM — 16 MiB on the central, 8 MiB on the satellite, whose pages go over its link to
//! swap files on the central's disk — every word checked; then a forked child writes pages that
//! are paged out, and a child with pages paged out forks onto another node.
//! Each run must pass every case, and the satellite's verdicts must be the central's. The
//! snapshot keeps the verdicts and the throughput lines (virtual time, so the same on every
//! run). The session is not run again on two host threads: in CI's debug build one session
//! takes about four minutes; the pager suites of `tests/tests/suites.rs` check paging across
//! nodes on two threads.

use orrery_emulator::system::SystemState;
use orrery_tests::run_topology;

/// More virtual time than the session needs.
const LIMIT_NS: u64 = 120_000_000_000;

/// The lines `swaptest` printed, in order.
fn swaptest_lines(text: &str) -> Vec<&str> {
    text.lines().filter_map(|l| l.find("swaptest: ").map(|at| &l[at..])).collect()
}

#[test]
fn twice_a_nodes_memory_swaps_on_the_central_and_on_a_satellite() {
    let session = "defpager\nswaptest 16\nplace 1 sh -c defpager\nplace 1 sh -c \"swaptest 8\"\nexit 0\n";
    let (text, state) = run_topology("small.toml", None, session.as_bytes(), 1, LIMIT_NS);
    assert_eq!(state, SystemState::PoweredOff(0), "{text}");
    assert!(!text.contains("panic"), "{text}");
    assert!(text.contains("defpager: node 0: pid"), "{text}");
    assert!(text.contains("defpager: node 1: pid"), "{text}");
    let lines = swaptest_lines(&text);
    let verdicts: Vec<&&str> = lines.iter().filter(|l| l.ends_with(": ok") || l.contains("passed")).collect();
    assert_eq!(verdicts.len(), 12, "{text}");
    assert_eq!(verdicts[..6], verdicts[6..], "the central and the satellite disagree:\n{text}");
    assert_eq!(*verdicts[5], "swaptest: 5 passed, 0 failed", "{text}");
    insta::assert_snapshot!(lines.join("\n"));
}

/// A default pager that dies takes with it only the processes whose pages it held: on satellite
/// 1 a `spin` of 8 MiB (twice the node's RAM) is computing over pages it holds when it is
/// killed; the next page the spin touches that the pager had gets `SIGBUS` (the pager's port is
/// dead, so at once, not after the timeout). The central and its shell go on, and satellite 1
/// is left with nothing: no process, object, region or port.
#[test]
fn a_dead_default_pager_takes_only_the_processes_it_paged() {
    let session = "place 1 sh -c defpager\nplace 1 sh -c \"spin 8192 20\" &\nspin 0 12\nkill 5\nwait\n\
                   stats 1\nexit 0\n";
    let (text, state) = run_topology("small.toml", None, session.as_bytes(), 1, LIMIT_NS);
    assert_eq!(state, SystemState::PoweredOff(0), "{text}");
    assert!(text.contains("defpager: node 1: pid 5,"), "{text}");
    // The spin's pid depends on whether its shell forks it before the central's `spin` starts.
    let bus = |l: &str| {
        l.starts_with("[sat1] [sat] pid ") && l.contains(": killed by SIGBUS: the pager of the page at")
    };
    assert!(text.lines().any(bus), "the spin should die of SIGBUS:\n{text}");
    assert!(text.contains("done, status 135"), "{text}");
    let after = text.lines().find(|l| l.contains("node 1: procs")).unwrap_or_default();
    for nothing in ["procs 1 ", "user pages 0,", "vm objects 0,", "ports 0 (0 names, 0 messages)"] {
        assert!(after.contains(nothing), "satellite 1 should be empty ({nothing}): {after}");
    }
}
