//! The shell (`programs/user/sh`) at the console: a scripted session on one node, and its
//! parser under random lines.
//!
//! The disk is built like `cargo xtask build` builds `disk.img`: every program of
//! `ORRERY_GUEST_DIR/user` as `/bin/<name>`. The kernel (`ORRERY_GUEST_DIR/kernel.elf`) boots
//! with it and init starts the shell on the console. The test types
//! the session a line at a time, each when the node is idle with the shell waiting for input,
//! and records what a terminal would show: the console's output with each typed line after it
//! (the console does not echo; a host terminal does). Everything runs in virtual time, so the
//! transcript is the same bytes every run. `exit 3` ends the shell and
//! with it init, which powers the node off with exit code 3.
//!
//! The parser is the guest's own module (`programs/user/sh/src/parse.rs`), compiled into this
//! test as well: its unit tests run here, and proptest feeds it random lines.

extern crate alloc;

// The shell uses parts of the module (descriptor numbers of redirections) that the tests do not.
#[allow(dead_code)]
#[path = "../../programs/user/sh/src/parse.rs"]
mod parse;

use std::path::Path;

use orrery_emulator::devices::block::Disk;
use orrery_emulator::machine::RunState;
use orrery_tests::{kernel_image, pristine_disk, Terminal};
use proptest::prelude::{prop_assert, proptest, ProptestConfig};

/// RAM of the node: the emulator's default.
const RAM_SIZE: u32 = 64 << 20;
/// Instructions allowed for each typed line (far more than any takes).
const BUDGET: u64 = 1_000_000_000;

/// The session, one typed line each: files, redirections, pipelines, directories, errors,
/// `$?`, quoting, background jobs, a shell in the shell killed by `kill`, and `exit`.
/// `{parent}` is typed as the parent pid the last `hello` printed (the inner shell's).
/// Background jobs write to files: how their output would interleave with the shell's on the
/// console depends on the scheduler, which is not what this test is about.
const SESSION: &[&str] = &[
    "echo hello > f",
    "cat f",
    "echo more >> f; wc < f",
    "cat f | wc",
    "ls / | cat | wc",
    "ls /",
    "mkdir d; cd d; pwd",
    "cd ..; pwd",
    "rm f; cat f",
    "echo status $?",
    "nosuch arg",
    "echo $?",
    "cat < nosuch; echo $?",
    "echo 'single  $? | quoted' \"double $? quoted\" back\\ slash",
    "echo a |",
    "hello & ;",
    "hello in the background > bg &",
    "echo started",
    "cat bg; wait",
    "hello one > o1 & hello two > o2 &",
    "wait; echo $?",
    "cat o1 o2",
    "rm bg o1 o2; ls",
    "sh",
    "hello from a shell in the shell",
    "kill {parent}",
    "echo $?",
    "kill 999; kill 2 NOSUCH",
    "cd nosuch; exit 3",
];

/// Boots the kernel with the disk `disk` (init starts the shell) and types `lines`, each once
/// the node is idle; returns the transcript and how the node ended.
fn run_session(disk: &Path, lines: &[&str]) -> (String, RunState) {
    let disk = Disk::open(disk).unwrap_or_else(|e| panic!("{}: {e}", disk.display()));
    let mut terminal = Terminal::boot(&kernel_image(), RAM_SIZE, Some(disk));
    let state =
        terminal.session(lines, BUDGET, |line, transcript| line.replace("{parent}", last_parent(transcript)));
    (terminal.transcript, state)
}

/// The parent pid in the last greeting of `hello` in `transcript` (`..., child of 7; ...`).
fn last_parent(transcript: &str) -> &str {
    let Some(at) = transcript.rfind("child of ") else { return "" };
    let rest = &transcript[at + "child of ".len()..];
    &rest[..rest.find(';').unwrap_or(rest.len())]
}

/// The part of `console` from the first `from` to the end.
fn from_line<'a>(console: &'a str, from: &str) -> &'a str {
    let start = console.find(from).unwrap_or_else(|| panic!("no {from:?} in:\n{console}"));
    &console[start..]
}

#[test]
fn a_scripted_session_runs_and_exit_powers_off_with_its_status() {
    let disk = pristine_disk("shell-session", None);
    let (transcript, state) = run_session(&disk, SESSION);
    let _ = std::fs::remove_file(&disk);
    assert_eq!(state, RunState::PoweredOff(3), "exit 3 should power off with 3:\n{transcript}");
    assert!(!transcript.contains("panic"), "{transcript}");
    insta::assert_snapshot!("session", from_line(&transcript, "$ "));
}

#[test]
fn end_of_input_ends_the_shell_with_the_last_status() {
    // Ctrl-D on an empty line is the end of the input, as on a terminal.
    let disk = pristine_disk("shell-eof", None);
    let (transcript, state) = run_session(&disk, &["nosuch", "\u{4}"]);
    let _ = std::fs::remove_file(&disk);
    assert_eq!(state, RunState::PoweredOff(127), "{transcript}");
    assert!(transcript.contains("sh: nosuch: not found\n"), "{transcript}");
}

#[test]
fn the_end_of_the_console_input_ends_the_shell() {
    // A file on standard input runs out: the console's read returns 0 and the shell exits
    // with its last status, which init powers off with.
    let disk = pristine_disk("shell-end", None);
    let disk_file = Disk::open(&disk).unwrap_or_else(|e| panic!("{}: {e}", disk.display()));
    let mut terminal = Terminal::boot(&kernel_image(), RAM_SIZE, Some(disk_file));
    let mut state = terminal.session(&["echo before the end", "nosuch"], BUDGET, |line, _| line.to_string());
    assert_eq!(state, RunState::Idle, "{}", terminal.transcript);
    terminal.end_input();
    state = terminal.run(BUDGET);
    let _ = std::fs::remove_file(&disk);
    assert_eq!(state, RunState::PoweredOff(127), "{}", terminal.transcript);
    insta::assert_snapshot!("end_of_input", from_line(&terminal.transcript, "$ "));
}

#[test]
fn ctrl_c_interrupts_the_foreground_job_not_the_shell() {
    let disk = pristine_disk("shell-ctrl-c", None);
    let disk_file = Disk::open(&disk).unwrap_or_else(|e| panic!("{}: {e}", disk.display()));
    let mut terminal = Terminal::boot(&kernel_image(), RAM_SIZE, Some(disk_file));
    let state = terminal.session(&["cat", "typed to cat"], BUDGET, |line, _| line.to_string());
    assert_eq!(state, RunState::Idle, "{}", terminal.transcript);
    terminal.type_keys(b"\x03");
    let state = terminal.session(&["echo $?", "exit"], BUDGET, |line, _| line.to_string());
    let _ = std::fs::remove_file(&disk);
    assert_eq!(state, RunState::PoweredOff(0), "{}", terminal.transcript);
    // SIGINT is signal 2: the status of a command it ended is 128 + 2.
    assert!(terminal.transcript.contains("^C\n$ echo $?\n130\n"), "{}", terminal.transcript);
    insta::assert_snapshot!("ctrl_c", from_line(&terminal.transcript, "$ "));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// Any line, of metacharacters above all, parses or fails with an error: never a panic,
    /// never an empty pipeline or command.
    #[test]
    fn random_lines_parse_or_fail_cleanly(line in r#"[a-c |;&<>'"\\$?# \t\n\x00é]{0,40}"#, status in -1i32..300) {
        if let Ok(list) = parse::parse(&line) {
            // Expanding `$?` with any status works too.
            list.jobs.iter().flat_map(|job| &job.pipeline.commands).for_each(|c| drop(c.expand_args(status)));
            for job in &list.jobs {
                prop_assert!(!job.pipeline.commands.is_empty());
                for command in &job.pipeline.commands {
                    prop_assert!(!command.args.is_empty() || !command.redirects.is_empty());
                }
            }
        }
    }

    /// Any text at all (not only metacharacters) is handled.
    #[test]
    fn arbitrary_text_never_panics(line in ".{0,80}") {
        let _ = parse::parse(&line);
    }

    /// Quoting a word in single quotes gives it back unchanged as one argument.
    #[test]
    fn single_quoted_words_come_back_verbatim(word in "[^'\\x00]{0,20}") {
        let list = parse::parse(&format!("echo '{word}'")).expect("a quoted word parses");
        prop_assert!(list.jobs.len() == 1);
        prop_assert!(list.jobs[0].pipeline.commands[0].expand_args(0) == vec!["echo".to_string(), word]);
    }
}
