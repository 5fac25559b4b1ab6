//! The in-guest suites of the Mach designs under both kernels: `programs/user/vmtest` (the
//! virtual-memory calls, docs/vm.md), `programs/user/porttest` (ports, docs/ports.md) and
//! `programs/user/pagertest` (external pagers, docs/pagers.md), `programs/user/dsmtest`
//! (distributed shared memory over satellites 1 to 3, docs/dsm.md) and `programs/user/migtest`
//! (process migration between every pair of nodes, docs/migration.md), typed
//! at the central's shell on `topologies/default.toml` — each once on the central, once placed
//! on a satellite (`place least-loaded sh -c …`) — and placed again on `topologies/lossy.toml`,
//! whose links lose and corrupt frames. Each suite's verdict lines must be the same in the
//! three runs, every case passing: the calls are served by the node the process runs on, so
//! neither the node nor the links may change what a program sees; and the default topology's
//! session again with its nodes on two host threads, byte for byte the same. The sessions share
//! their boots.

use orrery_emulator::system::SystemState;
use orrery_tests::run_topology;

/// More virtual time than the sessions need.
const LIMIT_NS: u64 = 90_000_000_000;

/// The verdict lines of each run of `suite` in `text`, a run starting at its first case.
fn verdicts(text: &str, suite: &str, first_case: &str) -> Vec<Vec<String>> {
    let prefix = format!("{suite}: ");
    let mut runs: Vec<Vec<String>> = Vec::new();
    for line in text.lines() {
        let Some(at) = line.find(&prefix) else { continue };
        let verdict = &line[at..];
        if verdict.starts_with(&format!("{prefix}{first_case}:")) {
            runs.push(Vec::new());
        }
        if let Some(run) = runs.last_mut() {
            run.push(verdict.to_string());
        }
    }
    runs
}

const SUITES: [(&str, &str); 5] = [
    ("vmtest", "allocate anywhere"),
    ("porttest", "rights and reference counts"),
    ("pagertest", "pages computed by the pager"),
    ("dsmtest", "readers on three satellites, then a writer"),
    ("migtest", "a computation moved central, 1, 2, home, 3 mid-run computes what it computes unmoved"),
];

#[test]
fn the_suites_pass_on_the_central_and_on_satellites_alike() {
    let session = "vmtest\nporttest\npagertest\ndsmtest\nmigtest\nplace least-loaded sh -c vmtest\n\
                   place least-loaded sh -c porttest\nplace least-loaded sh -c pagertest\n\
                   place least-loaded sh -c dsmtest\nplace least-loaded sh -c migtest\nexit 0\n";
    let (text, state) = run_topology("default.toml", None, session.as_bytes(), 1, LIMIT_NS);
    assert_eq!(state, SystemState::PoweredOff(0), "{text}");
    assert!(!text.contains("panic"), "{text}");
    // The nodes on two host threads: the same run, byte for byte.
    let (two, _) = run_topology("default.toml", None, session.as_bytes(), 2, LIMIT_NS);
    assert!(two == text, "two host threads change the run:\n{two}");
    let lossy_session = "place least-loaded sh -c vmtest\nplace least-loaded sh -c porttest\n\
                         place least-loaded sh -c pagertest\nplace least-loaded sh -c dsmtest\n\
                         place least-loaded sh -c migtest\nexit 0\n";
    let (lossy, state) = run_topology("lossy.toml", None, lossy_session.as_bytes(), 1, LIMIT_NS);
    assert_eq!(state, SystemState::PoweredOff(0), "{lossy}");
    for (suite, first) in SUITES {
        let runs = verdicts(&text, suite, first);
        assert_eq!(runs.len(), 2, "{suite} should run twice:\n{text}");
        assert_eq!(runs[0], runs[1], "{suite}: the central and a satellite disagree:\n{text}");
        assert!(runs[0].last().is_some_and(|l| l.ends_with(" passed, 0 failed")), "{text}");
        assert_eq!(
            verdicts(&lossy, suite, first),
            vec![runs[0].clone()],
            "{suite}: lossy links change the verdict"
        );
        insta::assert_snapshot!(suite, runs[0].join("\n"));
    }
}

/// `migtest console` (docs/migration.md): a process asleep in `read` on the console is moved
/// to a satellite, to another and home while it sleeps; the line typed after that reaches it at
/// home (the shell waits for `migtest`, so the process is the console's only reader).
#[test]
fn a_process_asleep_on_the_console_moves_and_reads_the_line_at_home() {
    let disk = orrery_tests::pristine_disk("migtest-console", None);
    let script = r#"timeout 60s
expect "$ "
sendline migtest console
expect "type a line"
sendline typed at home
expect "migtest: 1 passed, 0 failed"
expect "$ "
sendline exit 0
exit 0
"#;
    let session = orrery_tests::run_script(orrery_tests::os_topology("default.toml", &disk), &disk, script);
    let transcript = session.transcript();
    assert!(transcript.contains("migtest: read \"typed at home\" on node 0"), "{transcript}");
}
