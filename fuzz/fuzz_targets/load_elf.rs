//! The `load_elf` target: what one input must satisfy is in `checks/load_elf.rs`, shared with
//! the smoke run in CI (`tests/tests/fuzz_smoke.rs`).

#![no_main]

#[path = "../checks/load_elf.rs"]
mod check;

libfuzzer_sys::fuzz_target!(|data: &[u8]| check::check(data));
