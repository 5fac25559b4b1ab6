//! Fuzzes the CPU: the input becomes a page of code (also the trap vector) and a page of page
//! tables; a prologue picks kernel or user mode and paging on or off from the first byte, and
//! the node runs 20 000 cycles. The emulator never panics, and the node runs exactly its
//! budget unless the guest powered it off or waits with nothing to wake it.

use orrery_emulator::jit::lockstep;
use orrery_emulator::machine::{Machine, MachineConfig, RunState};
use ox32::memmap::RAM_BASE;

const BUDGET: u64 = 20_000;
const CODE: u32 = RAM_BASE;
const ROOT: u32 = RAM_BASE + 0x2000;
const PROLOGUE: u32 = RAM_BASE + 0x10000;

fn poke_words(m: &mut Machine, at: u32, words: impl Iterator<Item = u32>) {
    let bytes: Vec<u8> = words.flat_map(|w| w.to_le_bytes()).collect();
    m.poke(at, &bytes).expect("inside RAM");
}

/// One input of the target (`fuzz_targets/execute.rs`; `tests/tests/fuzz_smoke.rs` runs it too).
pub fn check(data: &[u8]) {
    let Some((&mode, rest)) = data.split_first() else { return };
    let words = rest.chunks_exact(4).map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]));
    let (user, paging) = (mode & 1 != 0, mode & 2 != 0);
    let mut m = Machine::new(MachineConfig::new(1 << 20, Box::new(std::io::sink())));
    let words: Vec<u32> = words.take(2048).collect();
    let (code, tables) = words.split_at(words.len().min(1024));
    poke_words(&mut m, CODE, code.iter().copied());
    // Page-table entries point into the first 16 frames of RAM, with the fuzzer's flags.
    poke_words(&mut m, ROOT, tables.iter().map(|r| ((RAM_BASE >> 12) + (r >> 28)) << 12 | (r & 0xfff)));
    lockstep::enter(&mut m, PROLOGUE, CODE, user, paging.then_some(ROOT));
    match m.run(BUDGET) {
        RunState::Running => assert_eq!(m.cpu.cycles, BUDGET),
        RunState::PoweredOff(_) | RunState::Stuck => assert!(m.cpu.cycles <= BUDGET),
        RunState::Idle => panic!("no host input is attached, so never Idle"),
    }
    assert!(m.cpu.instret <= m.cpu.cycles);
}
