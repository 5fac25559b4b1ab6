//! The shell (`programs/user/sh`) as init: a scripted session on one node, and its parser
//! under random lines.
//!
//! The disk is built here, like `cargo xtask build` builds `disk.img`: every program of
//! `ORRERY_GUEST_DIR/user` as `/bin/<name>`, except that `/bin/init` is the shell. The kernel
//! (`ORRERY_GUEST_DIR/kernel.elf`) boots with it and starts the shell as pid 1. The test types
//! the session a line at a time, each when the node is idle with the shell waiting for input,
//! and records what a terminal would show: the console's output with each typed line after it
//! (the console does not echo; a host terminal does). Everything runs in virtual time, so the
//! transcript is the same bytes every run. `exit 3` ends init, which powers the node off with
//! exit code 3.
//!
//! The parser is the guest's own module (`programs/user/sh/src/parse.rs`), compiled into this
//! test as well: its unit tests run here, and proptest feeds it random lines.

extern crate alloc;

// The shell uses parts of the module (descriptor numbers of redirections) that the tests do not.
#[allow(dead_code)]
#[path = "../../programs/user/sh/src/parse.rs"]
mod parse;

use std::path::{Path, PathBuf};
use std::sync::mpsc;

use orrery_emulator::devices::block::Disk;
use orrery_emulator::machine::{Machine, MachineConfig, RunState};
use orrery_tests::Capture;
use orrery_toolchain::disk::{self, AddFile};
use proptest::prelude::{prop_assert, proptest, ProptestConfig};

/// RAM of the node: the emulator's default.
const RAM_SIZE: u32 = 64 << 20;
/// Size of the disk image, as `cargo xtask build` makes it.
const DISK_SIZE: u64 = 32 << 20;
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

/// `target/ox32`, as `cargo xtask test` names it.
fn guest_dir() -> PathBuf {
    let Some(dir) = std::env::var_os("ORRERY_GUEST_DIR") else {
        panic!(
            "ORRERY_GUEST_DIR is not set: the shell test boots target/ox32/kernel.elf with the \
             programs of target/ox32/user, built and named by `cargo xtask test` (run that instead)"
        );
    };
    PathBuf::from(dir)
}

/// A disk image with every user program in `/bin` and the shell as `/bin/init`, written to a
/// temporary file named after `name`.
fn shell_disk(name: &str) -> PathBuf {
    let user = guest_dir().join("user");
    let mut programs: Vec<PathBuf> = std::fs::read_dir(&user)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", user.display()))
        .flatten()
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|e| e == "elf"))
        .collect();
    programs.sort();
    let mut files = Vec::new();
    for program in programs {
        let stem = program.file_stem().and_then(|s| s.to_str()).expect("program names are UTF-8").to_string();
        match stem.as_str() {
            "init" => continue,
            "sh" => files.push(AddFile { host: program.clone(), path: "/bin/init".to_string() }),
            _ => {}
        }
        files.push(AddFile { host: program, path: format!("/bin/{stem}") });
    }
    assert!(files.iter().any(|f| f.path == "/bin/init"), "no sh.elf in {}", user.display());
    let bytes = disk::create(DISK_SIZE, &files, &[]).unwrap_or_else(|e| panic!("disk image: {e}"));
    let path = std::env::temp_dir().join(format!("orrery-shell-{}-{name}.img", std::process::id()));
    std::fs::write(&path, bytes).unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
    path
}

/// What a session showed and how it ended.
struct Session {
    /// The console's output with each typed line after the output that preceded it.
    transcript: String,
    /// How the node ended after the last line.
    state: RunState,
}

/// Boots the kernel with the disk `disk` and types `lines`, each once the node is idle.
fn run_session(disk: &Path, lines: &[&str]) -> Session {
    let kernel = guest_dir().join("kernel.elf");
    let kernel = std::fs::read(&kernel).unwrap_or_else(|e| panic!("cannot read {}: {e}", kernel.display()));
    let console = Capture::default();
    let (input, host_input) = mpsc::channel();
    let mut config = MachineConfig::new(RAM_SIZE, Box::new(console.clone()));
    config.host_input = Some(host_input);
    config.disk = Some(Disk::open(disk).unwrap_or_else(|e| panic!("{}: {e}", disk.display())));
    let mut machine = Machine::new(config);
    machine.boot_elf(&kernel).unwrap_or_else(|e| panic!("kernel.elf does not load: {e}"));

    let mut transcript = String::new();
    let mut seen = 0;
    let mut state = machine.run(BUDGET);
    for line in lines {
        let text = console.text();
        transcript.push_str(&text[seen..]);
        seen = text.len();
        assert_eq!(state, RunState::Idle, "the shell should wait for {line:?}:\n{transcript}");
        let line = line.replace("{parent}", last_parent(&transcript));
        transcript.push_str(&line);
        transcript.push('\n');
        for byte in line.bytes().chain([b'\n']) {
            input.send(byte).expect("the UART holds its receiver");
        }
        state = machine.run(machine.cpu.cycles + BUDGET);
    }
    transcript.push_str(&console.text()[seen..]);
    Session { transcript, state }
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
    let disk = shell_disk("session");
    let session = run_session(&disk, SESSION);
    let _ = std::fs::remove_file(&disk);
    assert_eq!(
        session.state,
        RunState::PoweredOff(3),
        "exit 3 should power off with 3:\n{}",
        session.transcript
    );
    assert!(!session.transcript.contains("panic"), "{}", session.transcript);
    insta::assert_snapshot!("session", from_line(&session.transcript, "$ "));
}

#[test]
fn end_of_input_ends_the_shell_with_the_last_status() {
    // Ctrl-D on an empty line is the end of the input, as on a terminal.
    let disk = shell_disk("eof");
    let session = run_session(&disk, &["nosuch", "\u{4}"]);
    let _ = std::fs::remove_file(&disk);
    assert_eq!(session.state, RunState::PoweredOff(127), "{}", session.transcript);
    assert!(session.transcript.contains("sh: nosuch: not found\n"), "{}", session.transcript);
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
