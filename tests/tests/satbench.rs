//! The benchmark of processes on satellites (docs/satellites.md, "Figures"):
//! `programs/user/satbench` as init on the default topology. It measures a local call against
//! forwarded ones, a remote fork against the image's size, and file throughput from a
//! satellite, all in virtual time and instructions, so its table is the same on every run and
//! is snapshotted (a change of a figure is a change of the system's cost, to be reviewed).

use orrery_emulator::system::SystemState;
use orrery_tests::run_topology;

/// More virtual time than the benchmark needs.
const LIMIT_NS: u64 = 90_000_000_000;

#[test]
fn the_benchmark_table() {
    let (text, state) = run_topology("default.toml", Some("satbench"), b"", 1, LIMIT_NS);
    assert_eq!(state, SystemState::PoweredOff(0), "satbench should pass:\n{text}");
    assert!(!text.contains("panic"), "{text}");
    let table: Vec<&str> = text.lines().filter(|l| l.contains("satbench:")).collect();
    insta::assert_snapshot!("table", table.join("\n"));
}
