//! Shared helpers of Orrery's whole-system tests: assemble a program, boot it on one node
//! with a capturing console, run it to a cycle budget and report what happened.
//!
//! Conventions: paths are relative to the repository root; programs are assembled with the
//! assembler's default options (base `RAM_BASE`, page-aligned sections); a node has
//! [`RAM_SIZE`] bytes of RAM and the default 100 MHz clock. Nothing here is random: the same
//! program and input always give the same [`Outcome`].

use std::path::{Path, PathBuf};

use orrery_emulator::machine::{Machine, MachineConfig, RunState};
use orrery_toolchain::asm::{assemble, Options, Program};

/// RAM of every test node: 1 MiB.
pub const RAM_SIZE: u32 = 1 << 20;

/// What a run produced.
pub struct Outcome {
    /// Everything the guest wrote to its console, lossily decoded as UTF-8.
    pub console: String,
    /// How the run ended.
    pub state: RunState,
    /// The node after the run, for inspecting registers, memory and TLB counters.
    pub machine: Machine,
}

impl Outcome {
    /// The console followed by one line naming how the run ended: the text a snapshot
    /// records.
    pub fn transcript(&self) -> String {
        let end = match self.state {
            RunState::PoweredOff(code) => format!("powered off, exit code {code}"),
            other => format!("did not power off: {other:?}"),
        };
        format!("{}\n--- {end}", self.console)
    }
}

/// A console that keeps every byte the guest writes.
pub use orrery_emulator::console::Capture;

/// The repository root.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Assembles `source` (named `name` in messages) into an ELF image; panics with the
/// assembler's diagnostics, which is what a test wants.
pub fn assemble_source(name: &str, source: &str) -> Vec<u8> {
    match assemble(&[(name, source)], &Options::default()) {
        Ok(program) => program.to_elf(),
        Err(diagnostics) => panic!("{name} does not assemble:\n{diagnostics}"),
    }
}

/// Assembles the file at `path` (relative to the repository root), keeping every symbol
/// (the loader's table keeps one name per address).
pub fn program(path: &str) -> Program {
    let full = repo_root().join(path);
    let source =
        std::fs::read_to_string(&full).unwrap_or_else(|e| panic!("cannot read {}: {e}", full.display()));
    match assemble(&[(path, &source)], &Options::default()) {
        Ok(program) => program,
        Err(diagnostics) => panic!("{path} does not assemble:\n{diagnostics}"),
    }
}

/// Assembles the file at `path` (relative to the repository root) into an ELF image.
pub fn assemble_file(path: &str) -> Vec<u8> {
    program(path).to_elf()
}

/// A node with a capturing console and `input` queued on its UART.
pub fn machine(input: &[u8]) -> (Machine, Capture) {
    let console = Capture::default();
    let mut config = MachineConfig::new(RAM_SIZE, Box::new(console.clone()));
    config.input = input.to_vec();
    (Machine::new(config), console)
}

/// Boots `elf` and runs it until it powers off, gets stuck, or has run `max_cycles`.
pub fn run_elf(elf: &[u8], input: &[u8], max_cycles: u64) -> Outcome {
    let (mut machine, console) = machine(input);
    if let Err(e) = machine.boot_elf(elf) {
        panic!("the image does not load: {e}");
    }
    let state = machine.run(max_cycles);
    Outcome { console: console.text(), state, machine }
}

/// Assembles the file at `path` (relative to the repository root) and runs it like
/// [`run_elf`].
pub fn run_asm(path: &str, input: &[u8], max_cycles: u64) -> Outcome {
    run_elf(&assemble_file(path), input, max_cycles)
}

/// A deterministic fault generator (xorshift64*) for links simulated in tests: each frame is
/// lost with probability `drop`, or has one bit flipped with probability `corrupt`.
pub struct Faults {
    state: u64,
    drop: f64,
    corrupt: f64,
    /// Frames lost so far.
    pub dropped: u32,
    /// Frames damaged so far.
    pub corrupted: u32,
}

impl Faults {
    /// A generator seeded with `seed`.
    pub fn new(seed: u64, drop: f64, corrupt: f64) -> Faults {
        Faults { state: seed | 1, drop, corrupt, dropped: 0, corrupted: 0 }
    }

    /// The next 64 random bits.
    pub fn bits(&mut self) -> u64 {
        self.state ^= self.state >> 12;
        self.state ^= self.state << 25;
        self.state ^= self.state >> 27;
        self.state.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// A number in `0.0..1.0`.
    pub fn unit(&mut self) -> f64 {
        (self.bits() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// The frame after crossing the link, or `None` if it was lost.
    pub fn cross(&mut self, frame: &[u8]) -> Option<Vec<u8>> {
        if self.unit() < self.drop {
            self.dropped += 1;
            return None;
        }
        let mut frame = frame.to_vec();
        if self.unit() < self.corrupt {
            let at = (self.bits() % frame.len() as u64) as usize;
            frame[at] ^= 1 << (self.bits() % 8);
            self.corrupted += 1;
        }
        Some(frame)
    }
}
