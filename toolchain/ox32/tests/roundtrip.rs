//! Round trips between instructions and words: every [`Instruction`] encodes to a word that
//! decodes back to it, and every word the decoder accepts re-encodes to itself.
//!
//! The property tests run in the normal test suite; the exhaustive sweep over all 2^32 words is
//! `#[ignore]`d and meant for a release build: `cargo test -p ox32 --release -- --ignored`.

use std::time::Instant;

use ox32::{
    decode, encode, opcode, AluImmOp, AluOp, AmoOp, BranchCond, CrOp, Instruction, LoadWidth, Ordering, Reg,
    ShiftOp, StoreWidth, CR_MAX, FENCE_TSO, IMM20_MAX, JAL_OFFSET_RANGE,
};
use proptest::prelude::{any, prop_assert_eq, prop_oneof, proptest, Just, ProptestConfig, Strategy};
use proptest::sample::select;

fn reg() -> impl Strategy<Value = Reg> {
    (0u32..32).prop_map(|n| Reg::new(n).expect("n < 32"))
}

fn order() -> impl Strategy<Value = Ordering> {
    (any::<bool>(), any::<bool>()).prop_map(|(aq, rl)| Ordering { aq, rl })
}

/// Every `Instruction` variant, with every field ranging over all the values it may hold.
fn instruction() -> impl Strategy<Value = Instruction> {
    let conds =
        [BranchCond::Eq, BranchCond::Ne, BranchCond::Lt, BranchCond::Ge, BranchCond::Ltu, BranchCond::Geu];
    let loads = [LoadWidth::B, LoadWidth::H, LoadWidth::W, LoadWidth::Bu, LoadWidth::Hu];
    let stores = [StoreWidth::B, StoreWidth::H, StoreWidth::W];
    let alu_imms =
        [AluImmOp::Addi, AluImmOp::Slti, AluImmOp::Sltiu, AluImmOp::Xori, AluImmOp::Ori, AluImmOp::Andi];
    let shifts = [ShiftOp::Slli, ShiftOp::Srli, ShiftOp::Srai];
    prop_oneof![
        (reg(), 0..=IMM20_MAX).prop_map(|(rd, imm20)| Instruction::Lui { rd, imm20 }),
        (reg(), 0..=IMM20_MAX).prop_map(|(rd, imm20)| Instruction::Auipc { rd, imm20 }),
        (reg(), JAL_OFFSET_RANGE).prop_map(|(rd, offset)| Instruction::Jal { rd, offset }),
        (reg(), reg(), any::<i16>()).prop_map(|(rd, rs1, offset)| Instruction::Jalr { rd, rs1, offset }),
        (select(conds.to_vec()), reg(), reg(), any::<i16>())
            .prop_map(|(cond, rs1, rs2, offset)| Instruction::Branch { cond, rs1, rs2, offset }),
        (select(loads.to_vec()), reg(), reg(), any::<i16>())
            .prop_map(|(width, rd, rs1, offset)| Instruction::Load { width, rd, rs1, offset }),
        (select(stores.to_vec()), reg(), reg(), any::<i16>())
            .prop_map(|(width, rs1, rs2, offset)| Instruction::Store { width, rs1, rs2, offset }),
        (select(alu_imms.to_vec()), reg(), reg(), any::<i16>())
            .prop_map(|(op, rd, rs1, imm)| Instruction::AluImm { op, rd, rs1, imm }),
        (select(shifts.to_vec()), reg(), reg(), 0u8..32)
            .prop_map(|(op, rd, rs1, shamt)| Instruction::ShiftImm { op, rd, rs1, shamt }),
        (select(AluOp::ALL.to_vec()), reg(), reg(), reg()).prop_map(|(op, rd, rs1, rs2)| Instruction::Alu {
            op,
            rd,
            rs1,
            rs2
        }),
        (reg(), reg(), order()).prop_map(|(rd, rs1, order)| Instruction::Lr { rd, rs1, order }),
        (reg(), reg(), reg(), order()).prop_map(|(rd, rs1, rs2, order)| Instruction::Sc {
            rd,
            rs1,
            rs2,
            order
        }),
        (select(AmoOp::ALL.to_vec()), reg(), reg(), reg(), order())
            .prop_map(|(op, rd, rs1, rs2, order)| Instruction::Amo { op, rd, rs1, rs2, order }),
        (select(CrOp::ALL.to_vec()), reg(), 0..=CR_MAX, 0u8..32)
            .prop_map(|(op, rd, cr, src)| Instruction::Cr { op, rd, cr, src }),
        (0u8..16, 0u8..16).prop_map(|(pred, succ)| Instruction::Fence { fm: 0, pred, succ }),
        Just(Instruction::Fence { fm: FENCE_TSO, pred: 3, succ: 3 }),
        Just(Instruction::FenceI),
        Just(Instruction::Syscall),
        Just(Instruction::Break),
        Just(Instruction::Eret),
        Just(Instruction::Wait),
        (reg(), reg()).prop_map(|(rs1, rs2)| Instruction::TlbFlush { rs1, rs2 }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(20_000))]

    #[test]
    fn every_instruction_round_trips(inst in instruction()) {
        let word = encode(&inst);
        prop_assert_eq!(decode(word), Ok(inst), "word {:#010x}", word);
        // Disassembly text never panics and is never empty.
        prop_assert_eq!(inst.to_string().is_empty(), false);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(100_000))]

    #[test]
    fn accepted_words_re_encode(word in any::<u32>()) {
        if let Ok(inst) = decode(word) {
            prop_assert_eq!(encode(&inst), word, "{}", inst);
        }
    }

    /// Random words rarely hit the opcodes with many reserved bits; this sweeps each opcode with
    /// random low bits, so every format's checks are exercised.
    #[test]
    fn accepted_words_re_encode_per_opcode(op in 0u32..64, low in 0u32..(1 << 26)) {
        let word = (op << 26) | low;
        match decode(word) {
            Ok(inst) => prop_assert_eq!(encode(&inst), word, "{}", inst),
            Err(err) => prop_assert_eq!(err.word, word),
        }
    }
}

/// The number of words each opcode accepts, derived from the formats in `encode.rs`.
fn expected_count(op: u32) -> u64 {
    let regs = 1u64 << 5;
    match op {
        opcode::LUI | opcode::AUIPC => regs * (1 << 20),
        opcode::JAL => regs * (1 << 21),
        opcode::JALR => regs * regs * (1 << 16),
        _ if (opcode::BRANCH_BASE..opcode::BRANCH_BASE + 6).contains(&op) => regs * regs * (1 << 16),
        _ if (opcode::LOAD_BASE..opcode::LOAD_BASE + 5).contains(&op) => regs * regs * (1 << 16),
        _ if (opcode::STORE_BASE..opcode::STORE_BASE + 3).contains(&op) => regs * regs * (1 << 16),
        _ if (opcode::ALUI_BASE..opcode::ALUI_BASE + 6).contains(&op) => regs * regs * (1 << 16),
        _ if (opcode::SHIFTI_BASE..opcode::SHIFTI_BASE + 3).contains(&op) => regs * regs * 32,
        opcode::ALU => AluOp::ALL.len() as u64 * regs * regs * regs,
        // lr: rd, rs1, aq, rl; sc and the nine AMOs: rd, rs1, rs2, aq, rl.
        opcode::AMO => regs * regs * 4 + (1 + AmoOp::ALL.len() as u64) * regs * regs * regs * 4,
        opcode::CR => CrOp::ALL.len() as u64 * regs * 32 * (1 << 12),
        // syscall, break, eret, wait, fence.i, and tlbflush with any rs1, rs2.
        opcode::SYS => 5 + regs * regs,
        // fm 0 with any pred and succ, plus fence.tso.
        opcode::FENCE => 256 + 1,
        _ => 0,
    }
}

#[test]
#[ignore = "sweeps all 2^32 words; run in release: cargo test -p ox32 --release -- --ignored"]
fn exhaustive_sweep_of_all_words() {
    let start = Instant::now();
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()) as u32;
    let counts: Vec<[u64; 64]> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|t| {
                scope.spawn(move || {
                    let mut counts = [0u64; 64];
                    for op in (t..64).step_by(threads as usize) {
                        for low in 0..1u32 << 26 {
                            let word = (op << 26) | low;
                            if let Ok(inst) = decode(word) {
                                assert_eq!(encode(&inst), word, "{inst}");
                                counts[op as usize] += 1;
                            }
                        }
                    }
                    counts
                })
            })
            .collect();
        workers.into_iter().map(|w| w.join().expect("sweep thread panicked")).collect()
    });
    let mut total = 0;
    for op in 0..64u32 {
        let count: u64 = counts.iter().map(|c| c[op as usize]).sum();
        if count > 0 {
            println!("opcode {op:#04x}: {count:>10} valid words");
        }
        assert_eq!(count, expected_count(op), "opcode {op:#04x}");
        total += count;
    }
    println!(
        "{total} of 2^32 words are valid ({:.2}%), swept in {:.1?} on {threads} threads",
        total as f64 * 100.0 / 2f64.powi(32),
        start.elapsed()
    );
}
