//! A guest cannot crash the emulator: a page of random words, executed (and used as the trap
//! vector) in kernel and user mode, with paging off or on over random page tables, never
//! panics, and the node runs for exactly the cycles it was given unless the guest powered it
//! off or waits with nothing to wake it.

use orrery_emulator::machine::{Machine, RunState};
use orrery_tests::machine;
use ox32::cr::{self, PTBR_PAGING};
use ox32::memmap::RAM_BASE;
use ox32::{CrOp, Instruction, Reg};
use proptest::prelude::{any, prop_assert, prop_assert_eq, proptest, ProptestConfig};

const BUDGET: u64 = 20_000;
/// The random code page; also the trap vector.
const CODE: u32 = RAM_BASE;
/// Two random page tables: the root, then one more the random entries may point to.
const ROOT: u32 = RAM_BASE + 0x2000;
/// The prologue that sets ptbr and enters the chosen mode.
const PROLOGUE: u32 = RAM_BASE + 0x10000;

fn poke_words(m: &mut Machine, at: u32, words: &[u32]) {
    let bytes: Vec<u8> = words.iter().flat_map(|w| w.to_le_bytes()).collect();
    m.poke(at, &bytes).unwrap();
}

/// `crrw zero, <cr>, <src>`.
fn write_cr(cr: u16, src: Reg) -> u32 {
    ox32::encode(&Instruction::Cr { op: CrOp::Rw, rd: Reg::ZERO, cr, src: src.index() as u8 })
}

fn run_random(code: &[u32], tables: &[u32], user: bool, paging: bool) -> (Machine, RunState) {
    let (mut m, _) = machine(b"");
    poke_words(&mut m, CODE, code);
    // Page-table words point into the first 16 frames of RAM with random flags.
    let ptes: Vec<u32> = tables.iter().map(|r| ((RAM_BASE >> 12) + (r >> 28)) << 12 | (r & 0xfff)).collect();
    poke_words(&mut m, ROOT, &ptes);
    let t0 = Reg::new(5).unwrap();
    let t1 = Reg::new(6).unwrap();
    let t2 = Reg::new(7).unwrap();
    poke_words(
        &mut m,
        PROLOGUE,
        &[
            write_cr(cr::TVEC, t0),
            write_cr(cr::EPC, t0),
            write_cr(cr::STATUS, t2),
            write_cr(cr::PTBR, t1),
            ox32::encode(&Instruction::Eret),
        ],
    );
    m.cpu.pc = PROLOGUE;
    m.cpu.set_reg(t0, CODE);
    m.cpu.set_reg(t1, if paging { PTBR_PAGING | (3 << cr::PTBR_ASID_SHIFT) | (ROOT >> 12) } else { 0 });
    // status for eret: PKM chooses the mode, PIE enables interrupts there.
    m.cpu.set_reg(t2, if user { 0b010 } else { 0b110 });
    let state = m.run(BUDGET);
    (m, state)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn random_code_cannot_crash_the_emulator(
        code in proptest::collection::vec(any::<u32>(), 1024),
        tables in proptest::collection::vec(any::<u32>(), 2048),
        user in any::<bool>(),
        paging in any::<bool>(),
    ) {
        let (m, state) = run_random(&code, &tables, user, paging);
        match state {
            RunState::Running => prop_assert_eq!(m.cpu.cycles, BUDGET),
            RunState::PoweredOff(_) | RunState::Stuck => prop_assert!(m.cpu.cycles <= BUDGET),
            RunState::Idle => prop_assert!(false, "no host input is attached, so never Idle"),
        }
        prop_assert!(m.cpu.instret <= m.cpu.cycles);
    }
}

#[test]
fn the_prologue_sets_up_what_the_property_claims() {
    let brk = ox32::encode(&Instruction::Break);
    let breaks = vec![brk; 1024];
    let invalid = vec![0; 2048];

    // Paging off: the five prologue instructions retire, then every cycle is a `break` trap.
    let (m, state) = run_random(&breaks, &invalid, true, false);
    assert_eq!((state, m.cpu.cycles, m.cpu.instret), (RunState::Running, BUDGET, 5));
    assert!(m.cpu.traps.iter().all(|t| (t.cause, t.epc) == (6, CODE)));

    // Paging on over an all-invalid table: the `eret` after the ptbr write cannot be fetched,
    // and neither can the trap vector; ASID 3 is in force.
    let (m, state) = run_random(&breaks, &invalid, true, true);
    assert_eq!((state, m.cpu.cycles, m.cpu.instret), (RunState::Running, BUDGET, 4));
    assert!(m.cpu.paging());
    assert_eq!(m.cpu.asid(), 3);
    assert_eq!(m.cpu.traps.back().map(|t| (t.cause, t.badaddr)), Some((3, CODE)));
}
