//! Fuzzes the JIT against the interpreter: the first 8 bytes seed the machine's mode, paging,
//! data and registers (see `orrery_emulator::jit::lockstep`), the rest is a page of code (also
//! the trap vector). Both engines run 20 000 cycles in random slices and must agree on every
//! register, control register, cycle count, TLB entry and trap at every slice boundary, and on
//! RAM at the end.

use orrery_emulator::jit::lockstep;

/// One input of the target (`fuzz_targets/jit.rs`; `tests/tests/fuzz_smoke.rs` runs it too).
pub fn check(data: &[u8]) {
    let Some((seed, rest)) = data.split_first_chunk::<8>() else { return };
    let words: Vec<u32> =
        rest.chunks_exact(4).map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]])).take(1024).collect();
    if let Err(difference) = lockstep::check_seed(u64::from_le_bytes(*seed), Some(&words), 20_000) {
        panic!("the JIT differs from the interpreter: {difference}");
    }
}
