//! The `orrery` command line: exit statuses and error messages, run on the real binary.
//!
//! Exit status: the guest's exit code when it powers off; 2 with a one-line message for a bad
//! image; 124 when `--max-cycles` runs out; 125 when the guest waits for an interrupt that
//! can never come.

use std::path::PathBuf;
use std::process::{Command, Output};

/// A scratch directory for this test process.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("orrery-cli-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Runs `orrery run <file>` on `contents` written to `name` (console input given up front, so
/// the test never reads the terminal).
fn run_file(name: &str, contents: &[u8], extra: &[&str]) -> Output {
    let dir = scratch(name);
    let path = dir.join(name);
    std::fs::write(&path, contents).unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_orrery"))
        .arg("run")
        .arg(&path)
        .args(["--input", ""])
        .args(extra)
        .output()
        .unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    output
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn the_guest_exit_code_propagates() {
    let source = "        .text\n_start:\n        li t0, 0x10003000\n        li t1, 42\n        sw t1, 0(t0)\nhang:\n        j hang\n";
    let output = run_file("exit42.s", source.as_bytes(), &[]);
    assert_eq!(output.status.code(), Some(42), "stderr: {}", text(&output.stderr));
}

#[test]
fn hello_prints_and_exits_zero() {
    let source = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../programs/asm/hello.s")).unwrap();
    let output = run_file("hello.s", &source, &[]);
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(text(&output.stdout), "Hello from ox32!\n");
}

#[test]
fn a_malformed_elf_exits_2_with_one_line() {
    let output = run_file("broken.elf", b"\x7fELF\x01\x01\x01 definitely not an executable", &[]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = text(&output.stderr);
    assert_eq!(stderr.lines().count(), 1, "one line: {stderr:?}");
    assert!(
        stderr.starts_with("orrery: ")
            && stderr.contains("broken.elf: not a valid ELF file: the header is truncated"),
        "{stderr:?}"
    );
}

#[test]
fn running_out_of_max_cycles_exits_124() {
    let source = "        .text\n_start:\n        j _start\n";
    let output = run_file("spin.s", source.as_bytes(), &["--max-cycles", "1000"]);
    assert_eq!(output.status.code(), Some(124));
    assert!(text(&output.stderr).contains("stopped after 1000 cycles"), "{}", text(&output.stderr));
}

#[test]
fn waiting_with_no_wake_source_exits_125() {
    let source = "        .text\n_start:\n        wait\n        j _start\n";
    let output = run_file("stuck.s", source.as_bytes(), &[]);
    assert_eq!(output.status.code(), Some(125));
    assert!(text(&output.stderr).contains("can never come"), "{}", text(&output.stderr));
}

/// Runs `orrery` with `args`.
fn orrery(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_orrery")).args(args).output().unwrap()
}

/// Checks that `orrery` failed with status 2 and one line that says `expected`.
fn refused(output: &Output, expected: &str) {
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "stderr: {stderr}");
    assert_eq!(stderr.lines().count(), 1, "one line: {stderr:?}");
    assert!(stderr.contains(expected), "{stderr:?} should say {expected:?}");
}

#[test]
fn devices_and_huge_files_are_refused_as_inputs() {
    const ZERO: &str = "cannot read /dev/zero: not a regular file";
    refused(&orrery(&["run", "/dev/zero", "--input", ""]), ZERO);
    let dir = scratch("inputs");
    let hello = concat!(env!("CARGO_MANIFEST_DIR"), "/../programs/asm/hello.s");
    refused(&orrery(&["debug", hello, "--script", "/dev/zero"]), ZERO);
    for key in ["image", "rom"] {
        let topology = dir.join(format!("{key}.toml"));
        std::fs::write(
            &topology,
            format!("[[node]]\nname = \"cp\"\nrole = \"central\"\n{key} = \"/dev/zero\"\n"),
        )
        .unwrap();
        refused(&orrery(&["run", topology.to_str().unwrap(), "--input", ""]), ZERO);
    }
    let huge = dir.join("huge.elf");
    std::fs::File::create(&huge).unwrap().set_len(orrery_toolchain::input::MAX_BINARY + 1).unwrap();
    refused(&orrery(&["run", huge.to_str().unwrap(), "--input", ""]), "above the limit of 268435456 bytes");
    let huge_topology = dir.join("huge.toml");
    std::fs::File::create(&huge_topology).unwrap().set_len(orrery_toolchain::input::MAX_TEXT + 1).unwrap();
    refused(
        &orrery(&["run", huge_topology.to_str().unwrap(), "--input", ""]),
        "above the limit of 16777216 bytes",
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn bench_refuses_absurd_counts() {
    for args in [
        ["--nodes", "100000"],
        ["--nodes", "0"],
        ["--rounds", "0"],
        ["--rounds", "4294967295"],
        ["--threads", "0"],
        ["--quantum-us", "0"],
        ["--quantum-us", "18446744073709551615"],
    ] {
        let output = orrery(&["bench", args[0], args[1]]);
        let stderr = text(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(
            stderr.starts_with(&format!("error: invalid value '{}' for '{}", args[1], args[0])),
            "{stderr}"
        );
    }
}

#[test]
fn an_overlong_monitor_line_is_skipped_with_one_error() {
    use std::io::Write;
    let hello = concat!(env!("CARGO_MANIFEST_DIR"), "/../programs/asm/hello.s");
    let mut child = Command::new(env!("CARGO_BIN_EXE_orrery"))
        .args(["debug", hello])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let long = "x".repeat(1 << 20);
    let writer = std::thread::spawn(move || {
        stdin.write_all(format!("{long}\nregs\nquit\n").as_bytes()).unwrap();
    });
    let output = child.wait_with_output().unwrap();
    writer.join().unwrap();
    let stdout = text(&output.stdout);
    assert!(
        stdout.contains("error: a command line is at most 4096 bytes; this one was skipped\n"),
        "{stdout}"
    );
    assert!(stdout.contains("(orrery) regs\n"), "the session goes on: {stdout}");
    assert!(!stdout.contains("xxxx"), "the long line is not echoed: {}", &stdout[..200.min(stdout.len())]);
}

/// The guest of `examples/snapshot-test`: asks for a name, greets it.
const GREET_S: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/snapshot-test/guest/greet.s");

/// Runs `orrery run greet.s --expect SCRIPT` with `script` as the script.
fn run_expect(name: &str, script: &str) -> Output {
    let dir = scratch(name);
    let path = dir.join("script.expect");
    std::fs::write(&path, script).unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_orrery"))
        .args(["run", GREET_S, "--expect"])
        .arg(&path)
        .output()
        .unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    output
}

#[test]
fn an_expect_script_that_holds_exits_zero_with_the_transcript() {
    let script =
        "# greet\nexpect \"name? \"\nsendline Ada\ntimeout 50ms\nexpect \"hello, Ada!\\n\"\nexit 0\n";
    let output = run_expect("expect-ok", script);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    assert_eq!(text(&output.stdout), "name? Ada\nhello, Ada!\n");
    assert_eq!(text(&output.stderr), "");
    let again = run_expect("expect-again", script);
    assert_eq!(again.stdout, output.stdout, "the same script gives the same bytes");
}

#[test]
fn a_failed_expectation_names_its_step_and_exits_one() {
    let output = run_expect("expect-fail", "expect \"name? \"\ntimeout 20ms\nexpect welcome\n");
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(text(&output.stdout), "name? ");
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("step 3 (line 3: `expect welcome`) failed: \"welcome\" did not appear within 20ms of virtual time"),
        "{stderr}"
    );
    let output = run_expect("expect-code", "expect \"name? \"\neof\nexit 0\n");
    assert_eq!(output.status.code(), Some(1));
    assert!(
        text(&output.stderr)
            .contains("step 3 (line 3: `exit 0`) failed: the guest powered off with exit code 1, not 0"),
        "{}",
        text(&output.stderr)
    );
}

#[test]
fn a_bad_expect_script_is_refused_with_its_line() {
    let output = run_expect("expect-bad", "expect \"name? \"\nwait 3s\n");
    assert_eq!(output.status.code(), Some(2));
    let stderr = text(&output.stderr);
    assert!(stderr.contains("script.expect: line 2: unknown step `wait`"), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
}

#[test]
fn a_polling_guest_in_a_topology_shows_its_prompt_for_expect() {
    // greet.s polls the UART and never waits: its prompt, an unfinished line, is shown once a
    // quantum passes without output, prefixed, and the typed name continues that line.
    let dir = scratch("expect-topology");
    let topology = dir.join("greet.toml");
    std::fs::write(&topology, format!("[[node]]\nname = \"cp\"\nrole = \"central\"\nimage = {GREET_S:?}\n"))
        .unwrap();
    let script = dir.join("greet.expect");
    std::fs::write(&script, "expect \"[cp] name? \"\nsendline Ada\nexpect \"[cp] hello, Ada!\\n\"\nexit 0\n")
        .unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_orrery"))
        .arg("run")
        .arg(&topology)
        .arg("--expect")
        .arg(&script)
        .output()
        .unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    assert_eq!(text(&output.stdout), "[cp] name? Ada\n[cp] hello, Ada!\n");
}

/// A program run with `--user` (docs/bare-metal.md, "As a user process"): in user mode with
/// paging on from its first instruction, `write` and `exit` answered, anything else reported.
#[test]
fn user_runs_a_program_as_a_user_process() {
    let source = r#"
        .text
_start:
        crrs    t0, status, zero        # a control register: user mode may not read it
        li      a0, 9
        syscall
"#;
    let output = run_file("privileged.s", source.as_bytes(), &["--user"]);
    assert_eq!(output.status.code(), Some(127), "stderr: {}", text(&output.stderr));
    assert_eq!(
        text(&output.stdout),
        "orrery --user: unexpected trap: cause 0x00000005, epc 0x80000000, badaddr 0xe0a01000\n"
    );

    let source = r#"
        .text
_start:
        beqz    sp, wrong               # a stack, as a process gets
        crrs    t0, cycle, zero         # counters stay readable
        li      a7, 64                  # write(1, msg, 3)
        li      a0, 1
        la      a1, msg
        li      a2, 3
        syscall
        li      t0, 3
        bne     a0, t0, wrong
        li      a7, 64                  # write(5, ...) -> -EBADF
        li      a0, 5
        syscall
        li      t0, -9
        bne     a0, t0, wrong
        li      a7, 1000                # unknown -> -ENOSYS
        syscall
        li      t0, -38
        bne     a0, t0, wrong
        la      t0, msg                 # text and rodata are read-only: this store faults
        sw      zero, 0(t0)
wrong:
        li      a7, 93
        li      a0, 1
        syscall

        .section .rodata
msg:
        .ascii  "hi\n"
"#;
    let output = run_file("user.s", source.as_bytes(), &["--user"]);
    assert_eq!(output.status.code(), Some(127), "stderr: {}", text(&output.stderr));
    let stdout = text(&output.stdout);
    assert!(
        stdout.starts_with("hi\norrery --user: unexpected trap: cause 0x0000000d, epc 0x80000"),
        "{stdout}"
    );
    assert!(stdout.ends_with(", badaddr 0x80001000\n"), "{stdout}");

    let output = run_file("topology.toml", b"", &["--user"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output.stderr).contains("--user runs one executable"), "{}", text(&output.stderr));
}

#[test]
fn the_profile_writes_every_address_sampled_with_its_samples() {
    let dir = scratch("profile-addresses");
    let (report, addresses) = (dir.join("report.txt"), dir.join("addresses.txt"));
    let source = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../programs/asm/hello.s")).unwrap();
    let output = run_file(
        "hello-profiled.s",
        &source,
        &[
            "--profile",
            report.to_str().unwrap(),
            "--profile-interval",
            "1",
            "--profile-addresses",
            addresses.to_str().unwrap(),
        ],
    );
    assert_eq!(output.status.code(), Some(0), "stderr: {}", text(&output.stderr));
    let report = std::fs::read_to_string(&report).unwrap();
    let addresses = std::fs::read_to_string(&addresses).unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    // hello runs in machine mode, so every sample is a kernel address; their sum is the
    // report's total, and the addresses come in order.
    let total: u64 = report.split_whitespace().nth(2).unwrap().parse().unwrap();
    let mut sum = 0;
    let mut last = None;
    for line in addresses.lines() {
        let [_, mode, address, samples] = line.split(' ').collect::<Vec<_>>()[..] else {
            panic!("a line of four fields: {line:?}")
        };
        assert_eq!(mode, "k", "{line}");
        let address = u32::from_str_radix(address.trim_start_matches("0x"), 16).unwrap();
        assert!(last < Some(address), "{addresses}");
        last = Some(address);
        sum += samples.parse::<u64>().unwrap();
    }
    assert_eq!((sum, total), (94, 94), "{report}\n{addresses}");
}
