//! Fuzzes the ELF loader: any bytes given to `Machine::boot_elf` load or are refused with a
//! message, never a panic; a file that loads runs 10 000 cycles without crashing the emulator.

#![no_main]

use libfuzzer_sys::fuzz_target;
use orrery_emulator::machine::{Machine, MachineConfig};

fuzz_target!(|data: &[u8]| {
    let mut m = Machine::new(MachineConfig::new(1 << 20, Box::new(std::io::sink())));
    match m.boot_elf(data) {
        Ok(()) => {
            m.run(10_000);
        }
        Err(e) => assert!(!e.0.is_empty() && !e.0.contains('\n')),
    }
});
