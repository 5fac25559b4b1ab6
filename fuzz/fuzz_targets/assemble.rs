//! The `assemble` target: what one input must satisfy is in `checks/assemble.rs`, shared with
//! the smoke run in CI (`tests/tests/fuzz_smoke.rs`).

#![no_main]

#[path = "../checks/assemble.rs"]
mod check;

libfuzzer_sys::fuzz_target!(|data: &[u8]| check::check(data));
