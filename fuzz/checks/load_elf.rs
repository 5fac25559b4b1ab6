//! Fuzzes the ELF loader: any bytes given to `Machine::boot_elf` load or are refused with a
//! message, never a panic; a file that loads runs 10 000 cycles without crashing the emulator.

use orrery_emulator::machine::{Machine, MachineConfig};

/// One input of the target (`fuzz_targets/load_elf.rs`; `tests/tests/fuzz_smoke.rs` runs it too).
pub fn check(data: &[u8]) {
    let mut m = Machine::new(MachineConfig::new(1 << 20, Box::new(std::io::sink())));
    match m.boot_elf(data) {
        Ok(()) => {
            m.run(10_000);
        }
        Err(e) => assert!(!e.0.is_empty() && !e.0.contains('\n')),
    }
}
