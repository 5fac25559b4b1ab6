//! The monitor (`orrery debug`), driven by scripts on `programs/asm/paging.s`: transcripts as
//! insta snapshots, malformed commands, random lines, and the CLI and TCP front ends.
//!
//! The machine has 1 MiB of RAM and the default 100 MHz clock; the guest's console is
//! captured into the transcript as `| ` lines. Everything is deterministic.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

use orrery_emulator::machine::{Machine, MachineConfig};
use orrery_emulator::monitor::{self, ConsoleCapture, Monitor};
use ox32::{CrOp, Instruction};
use proptest::prelude::{any, prop, proptest, Just, ProptestConfig, Strategy};
use proptest::prop_oneof;

const PAGING_S: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../programs/asm/paging.s");

/// paging.s, assembled once.
fn paging_elf() -> &'static [u8] {
    static ELF: OnceLock<Vec<u8>> = OnceLock::new();
    ELF.get_or_init(|| {
        let source = std::fs::read_to_string(PAGING_S).expect("programs/asm/paging.s");
        let options = orrery_toolchain::asm::Options::default();
        match orrery_toolchain::asm::assemble(&[("paging.s", &source)], &options) {
            Ok(program) => program.to_elf(),
            Err(d) => panic!("paging.s does not assemble:\n{d}"),
        }
    })
}

/// A node booted from paging.s with its console captured.
fn paging_machine() -> (Machine, ConsoleCapture) {
    let console = ConsoleCapture::default();
    let mut machine = Machine::new(MachineConfig::new(1 << 20, Box::new(console.clone())));
    machine.boot_elf(paging_elf()).expect("paging.s loads");
    (machine, console)
}

/// Runs `script` on a fresh paging.s node and returns the transcript.
fn transcript(script: &str) -> String {
    let (mut machine, console) = paging_machine();
    let mut session = Monitor::new(&mut machine).with_console(console);
    session.run_script(script)
}

/// The address of the kernel's `crrw zero, ptbr, t0`: the instruction that turns paging on.
fn ptbr_write(machine: &Machine) -> u32 {
    let start = machine.symbols.address_of("_start").expect("_start");
    (0..1024)
        .map(|i| start + 4 * i)
        .find(|&pc| {
            let mut bytes = [0; 4];
            machine.bus.peek(pc, &mut bytes).is_ok()
                && matches!(
                    ox32::decode(u32::from_le_bytes(bytes)),
                    Ok(Instruction::Cr { op: CrOp::Rw, cr: ox32::cr::PTBR, .. })
                )
        })
        .expect("paging.s writes ptbr")
}

#[test]
fn stepping_through_enabling_paging() {
    let (machine, _) = paging_machine();
    let at = ptbr_write(&machine);
    let script = format!(
        "\
# Run to the instruction that writes ptbr: paging is still off.
until {at:#x}
x/2i pc
mmu
pt
pt root_table
translate 0x00400000 x user
# Execute it: paging is on, with ASID 1.
step
mmu
pt
translate 0x00400000 x user
tlb
# Run into the user program and look again: the TLB now holds the user page.
until 0x00400000
step
translate 0x00400000 x user
translate 0x00400000 w user
tlb
time
"
    );
    insta::assert_snapshot!(transcript(&script));
}

#[test]
fn a_watchpoint_stops_after_the_write() {
    let script = "\
watch current_process w
info breakpoints
continue
x/x current_process
regs
continue
delete 1
continue
";
    insta::assert_snapshot!(transcript(script));
}

#[test]
fn a_page_fault_in_the_user_program_is_caught_and_explained() {
    let script = "\
break trap load-page-fault
continue
regs
traps 4
translate badaddr r user
x/i epc
# The handler maps a page and returns; the same load now translates.
until 0x00400018
translate 0x00600000 r user
# Process 3 reads the kernel's page table from user mode.
continue
translate badaddr r user
info breakpoints
delete
continue
";
    insta::assert_snapshot!(transcript(script));
}

/// Lines that must each give exactly one `error: ...` line.
const BAD_LINES: &[&str] = &[
    "frobnicate",
    "step x",
    "step 0",
    "step 1 2",
    "next now",
    "continue forever",
    "until",
    "until nowhere",
    "break",
    "break no_such_symbol",
    "break trap no-such-trap",
    "break trap syscall extra",
    "watch",
    "watch 0x1000 rwx",
    "delete 99",
    "delete one",
    "info",
    "info frogs",
    "set",
    "set pc",
    "set ptbr 0",
    "set zero 1",
    "set q9 1",
    "x/",
    "x/4q pc",
    "x/0x pc",
    "x/99999999999x pc",
    "x/4x",
    "x/4x 0x10000000",
    "xp/4x 0",
    "y/4x pc",
    "x/4x pc+",
    "x/4x pc*2",
    "x/4x 0x1_0000_0000",
    "disas pc 0",
    "disas 0x0",
    "pt 0x80000123",
    "pt 0",
    "translate",
    "translate pc q",
    "translate pc r user kernel",
    "traps many",
    "help frobnicate",
    "quit now",
    "\u{1b}[A",
    "x/s \"hello\"",
];

#[test]
fn every_malformed_command_gets_one_error_line_and_the_session_goes_on() {
    let (mut machine, _) = paging_machine();
    let mut session = Monitor::new(&mut machine);
    let mut table = String::new();
    for line in BAD_LINES {
        let out = session.execute(line);
        assert!(
            out.starts_with("error: ") && out.ends_with('\n') && out.lines().count() == 1,
            "{line:?} gave {out:?}"
        );
        table.push_str(&format!("{:<30} | {out}", line.escape_debug().to_string()));
    }
    assert!(!session.finished());
    assert!(session.execute("step").starts_with("=> [kernel]"), "the session goes on");
    insta::assert_snapshot!(table);
}

#[test]
fn help_covers_every_command() {
    let (mut machine, _) = paging_machine();
    let mut session = Monitor::new(&mut machine);
    let list = session.execute("help");
    for topic in monitor::help::TOPICS {
        assert!(list.contains(topic.syntax), "{} is listed", topic.names[0]);
        let one = session.execute(&format!("help {}", topic.names[0]));
        assert!(one.contains(topic.example), "help {}", topic.names[0]);
        // Every example is a valid command (but deleting what does not exist, and powering a
        // satellite off or on, which needs a system: tests/topology.rs runs those).
        let out = session.execute(topic.example);
        let needs_more = ["delete", "poweroff", "poweron"].contains(&topic.names[0]);
        assert!(!out.starts_with("error:") || needs_more, "{}: {out}", topic.example);
    }
}

/// Words a random command line is built from.
fn word() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "step",
            "next",
            "continue",
            "until",
            "break",
            "trap",
            "watch",
            "delete",
            "info",
            "breakpoints",
            "regs",
            "set",
            "x/4x",
            "x/2i",
            "x/s",
            "x/3b",
            "xp/4x",
            "disas",
            "bt",
            "mmu",
            "pt",
            "tlb",
            "translate",
            "traps",
            "time",
            "help",
            "r",
            "w",
            "rw",
            "x",
            "user",
            "kernel",
            "pc",
            "sp",
            "a0",
            "epc",
            "badaddr",
            "_start",
            "map_page",
            "root_table",
            "load-page-fault",
            "syscall",
            "interrupt",
            "0x00400000",
            "0x00600000",
            "0x80000000",
            "0x80004",
            "+",
            "-",
            "0",
            "1",
            "7",
            "0xffffffff",
            "99999999999",
            "x/",
            "/",
            "#",
        ])
        .prop_map(str::to_string),
        any::<u32>().prop_map(|n| format!("{n:#x}")),
        "[ -~]{0,12}",
        "\\PC{0,6}",
    ]
}

fn line() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::collection::vec(word(), 0..5).prop_map(|w| w.join(" ")),
        prop::collection::vec(word(), 1..4).prop_map(|w| w.concat()),
        "\\PC{0,40}",
        Just("set pc 0".to_string()),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn random_lines_never_panic(lines in prop::collection::vec(line(), 1..8)) {
        let (mut machine, console) = paging_machine();
        let mut session = Monitor::new(&mut machine).with_limit(2_000).with_console(console);
        for line in &lines {
            let out = session.execute(line);
            let own: Vec<&str> = out.lines().filter(|l| !l.starts_with("| ")).collect();
            if own.iter().any(|l| l.starts_with("error: ")) {
                assert_eq!(own.len(), 1, "{line:?} gave {out:?}");
            }
            if session.finished() {
                break;
            }
        }
    }
}

#[test]
fn the_cli_echoes_commands_from_a_script_and_from_a_pipe() {
    let dir = std::env::temp_dir().join(format!("orrery-monitor-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let script = dir.join("session.txt");
    std::fs::write(&script, "break trap syscall\ncontinue\nbogus\nquit\nregs\n").unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_orrery"))
        .args(["debug", PAGING_S, "--script"])
        .arg(&script)
        .output()
        .unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(output.status.code(), Some(0));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.starts_with("(orrery) break trap syscall\ncatchpoint 1"), "{stdout}");
    assert!(stdout.contains("catchpoint 1: trap taken: syscall"), "{stdout}");
    assert!(stdout.contains("(orrery) bogus\nerror: unknown command `bogus`"), "{stdout}");
    assert!(stdout.trim_end().ends_with("(orrery) quit"), "nothing after quit: {stdout}");

    let mut child = Command::new(env!("CARGO_BIN_EXE_orrery"))
        .args(["debug", PAGING_S])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(b"step 2\ncontinue\n").unwrap();
    let output = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.starts_with("(orrery) step 2\n   [kernel] 0x80000000 <kernel_start>:"), "{stdout}");
    assert!(stdout.contains("\n=> [kernel] 0x80000008 <kernel_start+0x8>:"), "{stdout}");
    assert!(stdout.contains("the guest powered off with exit code 0"), "{stdout}");
}

#[test]
fn the_monitor_serves_one_tcp_client() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let client = std::thread::spawn(move || {
        let stream = TcpStream::connect(addr).unwrap();
        let mut writer = stream.try_clone().unwrap();
        writer.write_all(b"x/s msg_paging_on\nquit\n").unwrap();
        let mut text = String::new();
        for line in BufReader::new(stream).lines() {
            text.push_str(&line.unwrap());
            text.push('\n');
        }
        text
    });
    let (stream, _) = listener.accept().unwrap();
    let (mut machine, _) = paging_machine();
    let mut session = Monitor::new(&mut machine);
    let reader = BufReader::new(stream.try_clone().unwrap());
    monitor::serve(&mut session, reader, stream, false).unwrap();
    drop(session);
    let text = client.join().unwrap();
    assert_eq!(text, "(orrery) 0x80002123 <msg_paging_on>: \"kernel: paging on (ASID 1)\\n\"\n(orrery) \n");
}

#[test]
fn the_documented_session_is_current() {
    let (expected, output) = common::documented_session("session", std::ffi::OsStr::new(PAGING_S));
    let actual = String::from_utf8_lossy(&output.stdout);
    assert_eq!(actual, expected, "docs/monitor.md's example session is out of date: regenerate it");
}

#[test]
fn pt_takes_an_asid_the_kernel_has_used() {
    let out = transcript("pt 1\nbreak trap syscall\ncontinue\ndelete\npt 1\npt 7\npt 0x80004000\n");
    let lines: Vec<&str> = out.lines().collect();
    let first = lines.iter().position(|l| l.starts_with("(orrery) pt 1")).unwrap();
    assert!(
        lines[first + 1]
            .starts_with("error: no page table has been installed with ASID 1 (ASIDs seen in ptbr: none)"),
        "{out}"
    );
    let by_asid = out.split("(orrery) pt 1\n").nth(2).unwrap().split("(orrery) pt 7").next().unwrap();
    let by_root = out.split("(orrery) pt 0x80004000\n").nth(1).unwrap();
    assert!(
        by_asid.starts_with("page table at 0x80004000 (frame 0x80004), the root in ptbr (ASID 1"),
        "{out}"
    );
    assert_eq!(by_asid, by_root, "ASID 1's table is the one at its root");
    assert!(
        out.contains("error: no page table has been installed with ASID 7 (ASIDs seen in ptbr: 1)"),
        "{out}"
    );
}

/// A function with an assembler-local loop label, as compilers emit them (`.Lloop`).
const LOCAL_LABELS_S: &str = "
        .text
        .globl _start
_start:
        li      sp, 0x80010000
        call    func
        li      t0, 0x10003000
        sw      zero, 0(t0)
func:
        li      t0, 3
.Lloop:
        addi    t0, t0, -1
        bnez    t0, .Lloop
        ret
";

/// Runs `script` on a node booted from [`LOCAL_LABELS_S`].
fn local_labels_transcript(script: &str) -> String {
    let options = orrery_toolchain::asm::Options::default();
    let elf = match orrery_toolchain::asm::assemble(&[("labels.s", LOCAL_LABELS_S)], &options) {
        Ok(program) => program.to_elf(),
        Err(d) => panic!("labels.s does not assemble:\n{d}"),
    };
    let console = ConsoleCapture::default();
    let mut machine = Machine::new(MachineConfig::new(1 << 20, Box::new(console.clone())));
    machine.boot_elf(&elf).expect("labels.s loads");
    let mut session = Monitor::new(&mut machine).with_console(console);
    session.run_script(script)
}

#[test]
fn functions_name_addresses_never_local_labels() {
    let text = local_labels_transcript("break func+8\ncontinue\nbt\ndisas func 4\nbreak .Lloop\n");
    let named = text.split("(orrery) break .Lloop").next().unwrap_or_default();
    assert!(!named.contains(".L"), "a local label named an address:\n{text}");
    assert!(text.ends_with("error: no register or symbol named `.Lloop`\n"), "{text}");
    assert!(text.contains("breakpoint 1 at 0x80000020 <func+0x8>"), "{text}");
    assert!(text.contains("bne t0, zero, 0x8000001c <func+0x4>"), "{text}");
    assert!(text.contains("ra = 0x8000000c <_start+0xc>"), "{text}");
    insta::assert_snapshot!("local_labels", text);
}

#[test]
fn step_n_lists_each_instruction_it_executes() {
    let text = local_labels_transcript("step 4\nstep 1\nstep 200\n");
    insta::assert_snapshot!("step_listing", text);
    let listed = text.lines().filter(|l| l.starts_with("   [kernel] ")).count();
    assert_eq!(listed, 4, "{text}");
    assert!(text.contains("instructions executed (step lists at most 100)"), "{text}");
}
