//! Fuzzes the oxas assembler: any UTF-8 text is assembled as one file; it either fails with
//! diagnostics or gives a program that can be written as ELF. Neither step may panic.

use orrery_toolchain::asm::{assemble, Options};

/// One input of the target (`fuzz_targets/assemble.rs`; `tests/tests/fuzz_smoke.rs` runs it too).
pub fn check(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(program) = assemble(&[("fuzz.s", text)], &Options::default()) {
        let elf = program.to_elf();
        assert!(elf.starts_with(b"\x7fELF"));
    }
}
