//! The virtual-memory calls (docs/vm.md) under both kernels: `programs/user/vmtest`, typed at
//! the central's shell on `topologies/default.toml` — once on the central, once placed on a
//! satellite (`place least-loaded vmtest`) — and placed again on `topologies/lossy.toml`, whose
//! links lose and corrupt frames. Its verdict lines (`vmtest: …`) must be the same in the three
//! runs, every case passing: the calls are served by the node the process runs on, so neither
//! the node nor the links may change what a program sees.

use orrery_emulator::system::SystemState;
use orrery_tests::run_topology;

/// More virtual time than the sessions need.
const LIMIT_NS: u64 = 60_000_000_000;

/// vmtest's lines of the part of `text` after the `n`th time the shell started it.
fn verdicts(text: &str) -> Vec<Vec<String>> {
    let mut runs: Vec<Vec<String>> = Vec::new();
    for line in text.lines() {
        let Some(at) = line.find("vmtest: ") else { continue };
        let verdict = &line[at..];
        if verdict.starts_with("vmtest: allocate anywhere:") {
            runs.push(Vec::new());
        }
        if let Some(run) = runs.last_mut() {
            run.push(verdict.to_string());
        }
    }
    runs
}

#[test]
fn vmtest_passes_on_the_central_and_on_satellites_alike() {
    let session = "vmtest\nplace least-loaded sh -c vmtest\nexit 0\n";
    let (text, state) = run_topology("default.toml", None, session.as_bytes(), 1, LIMIT_NS);
    assert_eq!(state, SystemState::PoweredOff(0), "{text}");
    assert!(!text.contains("panic"), "{text}");
    let runs = verdicts(&text);
    assert_eq!(runs.len(), 2, "vmtest should run twice:\n{text}");
    assert_eq!(runs[0], runs[1], "the central and a satellite disagree:\n{text}");
    assert!(runs[0].last().is_some_and(|l| l.ends_with(" passed, 0 failed")), "{text}");

    let (lossy, state) =
        run_topology("lossy.toml", None, "place least-loaded sh -c vmtest\nexit 0\n".as_bytes(), 1, LIMIT_NS);
    assert_eq!(state, SystemState::PoweredOff(0), "{lossy}");
    let lossy_runs = verdicts(&lossy);
    assert_eq!(lossy_runs, vec![runs[0].clone()], "lossy links change the verdict:\n{lossy}");
    insta::assert_snapshot!("verdict", runs[0].join("\n"));
}
