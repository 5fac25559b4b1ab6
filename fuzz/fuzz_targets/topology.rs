//! The `topology` target: what one input must satisfy is in `checks/topology.rs`, shared with
//! the smoke run in CI (`tests/tests/fuzz_smoke.rs`).

#![no_main]

#[path = "../checks/topology.rs"]
mod check;

libfuzzer_sys::fuzz_target!(|data: &[u8]| check::check(data));
