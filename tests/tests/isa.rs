//! The ISA conformance programs: every `tests/isa/*.s`, assembled after `tests/isa/prelude.inc`,
//! must power off with exit code 0. A failing case reports its number (and, for an
//! unexpected trap, the trap), so the message points at the `# N:` comment in the file.

use std::path::PathBuf;

use orrery_emulator::machine::RunState;
use orrery_tests::{repo_root, run_elf};
use orrery_toolchain::asm::{assemble, Options};

/// No conformance program needs more than this.
const MAX_CYCLES: u64 = 1_000_000;

/// Bit set in the exit code by the prelude's unexpected-trap handler.
const UNEXPECTED_TRAP: u32 = 0x10000;

fn programs() -> Vec<PathBuf> {
    let dir = repo_root().join("tests/isa");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "s"))
        .collect();
    files.sort();
    files
}

/// Runs one program; `Err` says which case failed and how.
fn check(path: &PathBuf) -> Result<(), String> {
    let prelude_path = repo_root().join("tests/isa/prelude.inc");
    let prelude = std::fs::read_to_string(&prelude_path).unwrap();
    let source = std::fs::read_to_string(path).unwrap();
    let name = path.file_name().unwrap().to_string_lossy().into_owned();
    let program = assemble(&[("prelude.inc", &prelude), (&name, &source)], &Options::default())
        .map_err(|d| format!("{name}: does not assemble:\n{d}"))?;
    let outcome = run_elf(&program.to_elf(), b"", MAX_CYCLES);
    let cpu = &outcome.machine.cpu;
    match outcome.state {
        RunState::PoweredOff(0) => Ok(()),
        RunState::PoweredOff(code) if code & UNEXPECTED_TRAP != 0 => Err(format!(
            "{name}: case {} took an unexpected trap: {} at epc {:#010x}, badaddr {:#010x}",
            code & !UNEXPECTED_TRAP,
            ox32::trap::describe_cause(cpu.cr.cause),
            cpu.cr.epc,
            cpu.cr.badaddr
        )),
        RunState::PoweredOff(case) => Err(format!(
            "{name}: case {case} failed (see `# {case}:`): a2 = {:#010x}, expected t6 = {:#010x}",
            cpu.regs[12], cpu.regs[31]
        )),
        other => {
            Err(format!("{name}: did not finish: {other:?} at pc {:#010x}, case {}", cpu.pc, cpu.regs[3]))
        }
    }
}

#[test]
fn every_conformance_program_passes() {
    let files = programs();
    assert!(files.len() >= 7, "the conformance programs are missing: {files:?}");
    let failures: Vec<String> = files.iter().filter_map(|f| check(f).err()).collect();
    assert!(
        failures.is_empty(),
        "{} of {} programs failed:\n{}",
        failures.len(),
        files.len(),
        failures.join("\n")
    );
}

#[test]
fn a_wrong_expectation_is_reported_with_its_case_number() {
    let dir = std::env::temp_dir().join(format!("orrery-isa-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("broken.s");
    let source = "        .text\nmain:\n        li gp, 1\n        li a2, 2\n        li t6, 2\n        bne a2, t6, fail\n\
                  # 2: deliberately wrong\n        li gp, 2\n        li a2, 3\n        li t6, 4\n        bne a2, t6, fail\n        j pass\n";
    std::fs::write(&path, source).unwrap();
    let message = check(&path).unwrap_err();
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(message, "broken.s: case 2 failed (see `# 2:`): a2 = 0x00000003, expected t6 = 0x00000004");
}
