//! Fuzzes the monitor's commands: each line of the input is parsed and then executed on a
//! node running `programs/asm/paging.s` (or, when the first byte is odd, on a system of a
//! central and three satellites running `programs/asm/linkdemo.s`, `linkdemo/star3.toml` with
//! 1 MiB nodes); nothing panics, an error is one line, and no command runs more than the
//! session's cycle limit. Nodes are small and the limit short so that an input costs well under
//! a millisecond: what is fuzzed is the monitor, not the guest.

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

/// The system of the odd inputs, parsed once; its nodes boot `linkdemo.s` assembled once, into
/// a file of this process in the host's temporary folder (an input must not pay for the
/// assembler four times).
fn topology() -> &'static Topology {
    static TOPOLOGY: OnceLock<Topology> = OnceLock::new();
    TOPOLOGY.get_or_init(|| {
        let base = Path::new(REPO).join("topologies/linkdemo");
        let elf = orrery_emulator::loader::read_image(&Path::new(REPO).join("programs/asm/linkdemo.s"))
            .expect("linkdemo.s assembles");
        let path = std::env::temp_dir().join(format!("orrery-fuzz-linkdemo-{}.elf", std::process::id()));
        std::fs::write(&path, elf).expect("the assembled linkdemo.s is written");
        let text = std::fs::read_to_string(base.join("star3.toml")).expect("star3.toml reads");
        let image = format!("image = {:?}", path.display().to_string());
        let small = text
            .replace("memory = \"64M\"", "memory = \"1M\"")
            .replace("memory = \"16M\"", "memory = \"1M\"")
            .replace("image = \"../../programs/asm/linkdemo.s\"", &image);
        assert!(small.contains(&image) && !small.contains("16M"), "star3.toml changed: {small}");
        Topology::parse("star3.toml", &small, &base).expect("star3.toml parses")
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
        let options = SystemOptions { terminal: Box::new(std::io::sink()), input: Vec::new(), stdin: false };
        let mut system = System::new(topology(), options).expect("star3.toml boots");
        let mut monitor = Monitor::for_system(&mut system).with_limit(5_000);
        session(&mut monitor, lines);
    }
}
