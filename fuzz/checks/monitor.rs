//! Fuzzes the monitor's commands: each line of the input is parsed and then executed on a
//! node running `programs/asm/paging.s` (or, when the first byte is odd, on the
//! `linkdemo/star3.toml` system); nothing panics, an error is one line, and no command runs
//! more than the session's cycle limit.

use std::path::Path;
use std::sync::OnceLock;

use orrery_emulator::machine::{Machine, MachineConfig};
use orrery_emulator::monitor::{parse, Monitor};
use orrery_emulator::system::{System, SystemOptions};
use orrery_emulator::topology::Topology;

const REPO: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/..");

/// The paging program, assembled once.
fn program() -> &'static [u8] {
    static ELF: OnceLock<Vec<u8>> = OnceLock::new();
    ELF.get_or_init(|| {
        let path = Path::new(REPO).join("programs/asm/paging.s");
        orrery_emulator::loader::read_image(&path).expect("paging.s assembles")
    })
}

/// Runs every line; checks that an error is one line.
fn session(monitor: &mut Monitor<'_>, lines: &str) {
    for line in lines.lines().take(16) {
        let _ = parse::parse(line);
        let out = monitor.execute(line);
        let own: Vec<&str> = out.lines().filter(|l| !l.starts_with("| ")).collect();
        if own.iter().any(|l| l.starts_with("error: ")) {
            assert_eq!(own.len(), 1, "{line:?} gave {out:?}");
        }
        if monitor.finished() {
            break;
        }
    }
}

/// One input of the target (`fuzz_targets/monitor.rs`; `tests/tests/fuzz_smoke.rs` runs it too).
pub fn check(data: &[u8]) {
    let Some((&mode, rest)) = data.split_first() else { return };
    let Ok(lines) = std::str::from_utf8(rest) else { return };
    if mode & 1 == 0 {
        let mut machine = Machine::new(MachineConfig::new(1 << 20, Box::new(std::io::sink())));
        machine.boot_elf(program()).expect("paging.s boots");
        let mut monitor = Monitor::new(&mut machine).with_limit(5_000);
        session(&mut monitor, lines);
    } else {
        let path = Path::new(REPO).join("topologies/linkdemo/star3.toml");
        let topology = Topology::load(&path).expect("star3.toml parses");
        let options = SystemOptions { terminal: Box::new(std::io::sink()), input: Vec::new(), stdin: false };
        let mut system = System::new(&topology, options).expect("star3.toml boots");
        let mut monitor = Monitor::for_system(&mut system).with_limit(5_000);
        session(&mut monitor, lines);
    }
}
