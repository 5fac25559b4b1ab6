//! The Rust kernel (`os/kernel`) on one node: boot, then init running `hello`, `forktest`,
//! `faulttest` and `usertests`, each transcript a snapshot, and the run's exit code the
//! verdict of `usertests`.
//!
//! The images come from `cargo xtask build` (`ORRERY_GUEST_DIR` = `target/ox32`, set by
//! `cargo xtask test`). Console input is scripted and deterministic: the node runs until it is
//! idle with every process blocked (usertests' console test sleeping in `read`), then the
//! line arrives. Everything runs in virtual time, so two runs print the same bytes.

use std::path::PathBuf;
use std::sync::mpsc;

use orrery_emulator::machine::{Machine, MachineConfig, RunState};
use orrery_tests::Capture;

/// RAM of the node: the emulator's default.
const RAM_SIZE: u32 = 64 << 20;
/// More instructions than the whole run needs (it takes about 30 million).
const BUDGET: u64 = 2_000_000_000;
/// The line usertests' console test reads.
const INPUT: &[u8] = b"a line typed at the console\n";

/// The kernel image built by `cargo xtask build`.
fn kernel_image() -> Vec<u8> {
    let Some(dir) = std::env::var_os("ORRERY_GUEST_DIR") else {
        panic!(
            "ORRERY_GUEST_DIR is not set: the kernel tests boot target/ox32/kernel.elf, built and \
             named by `cargo xtask test` (run that instead of `cargo test`)"
        );
    };
    let path = PathBuf::from(dir).join("kernel.elf");
    std::fs::read(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e} (run `cargo xtask test`)", path.display()))
}

/// What one boot printed and how it ended.
struct Run {
    console: String,
    state: RunState,
    /// The cycle at which the node first went idle waiting for input.
    idle_at: u64,
}

/// Boots the kernel, runs it to its first idle point, types [`INPUT`], and runs it to the end.
fn boot() -> Run {
    let console = Capture::default();
    let (input, host_input) = mpsc::channel();
    let mut config = MachineConfig::new(RAM_SIZE, Box::new(console.clone()));
    config.host_input = Some(host_input);
    let mut machine = Machine::new(config);
    machine.boot_elf(&kernel_image()).unwrap_or_else(|e| panic!("kernel.elf does not load: {e}"));
    let state = machine.run(BUDGET);
    assert_eq!(state, RunState::Idle, "the node should go idle waiting for input:\n{}", console.text());
    let idle_at = machine.cpu.cycles;
    for byte in INPUT {
        input.send(*byte).expect("the UART holds its receiver");
    }
    drop(input);
    let state = machine.run(BUDGET);
    Run { console: console.text(), state, idle_at }
}

/// The part of `console` from the line starting with `from` up to and including the line
/// starting with `to`.
fn section<'a>(console: &'a str, from: &str, to: &str) -> &'a str {
    let start = console.find(from).unwrap_or_else(|| panic!("no {from:?} in:\n{console}"));
    let end =
        console[start..].find(to).map(|i| start + i).unwrap_or_else(|| panic!("no {to:?} after {from:?}"));
    let end = console[end..].find('\n').map_or(console.len(), |i| end + i + 1);
    &console[start..end]
}

#[test]
fn boot_runs_every_program_and_usertests_passes() {
    let run = boot();
    assert_eq!(run.state, RunState::PoweredOff(0), "usertests' verdict:\n{}", run.console);
    assert!(run.console.contains("ALL TESTS PASSED"), "{}", run.console);
    assert!(!run.console.contains("panic"), "{}", run.console);

    insta::assert_snapshot!("boot", section(&run.console, "[kernel] Orrery kernel", "init: starting hello"));
    for program in ["hello", "forktest", "faulttest", "usertests"] {
        let transcript =
            section(&run.console, &format!("init: starting {program}"), &format!("init: {program} "));
        insta::assert_snapshot!(program, transcript);
    }
    insta::assert_snapshot!(
        "shutdown",
        section(&run.console, "init: usertests exited", "[kernel] init exited")
    );
}

#[test]
fn two_boots_print_the_same_bytes() {
    let (first, second) = (boot(), boot());
    assert_eq!(first.idle_at, second.idle_at, "the node went idle at different cycles");
    assert_eq!(first.console, second.console);
}
