//! `rv2ox` word by word: every RV32IMA instruction class with its field extremes, every error
//! with its exact message, a property test that translation is lossless (ox32 → RV through a
//! test-side inverse mapping gives back the word), and strictness on random words.
//!
//! The RISC-V words come from the test assembler in [`rv2ox_common::rv`], whose encodings are
//! checked here against a table produced by `llvm-mc -triple=riscv32 -mattr=+m,+a` (the table is
//! data, so the tests do not need LLVM installed).

mod rv2ox_common;

use orrery_toolchain::rv2ox::map::RV_UNIMP;
use orrery_toolchain::rv2ox::{translate_word, OxWord, RvError};
use ox32::{cr, AluImmOp, CrOp, Instruction, Ordering, Reg};
use proptest::prelude::{any, prop_assert, prop_assert_eq, proptest, ProptestConfig};
use rv2ox_common::{random_word, rv, LLVM_MC, RV_COUNTERS};

fn x(n: u32) -> Reg {
    Reg::new(n).expect("register number")
}

/// Translates an assembled RV line and expects an instruction.
fn tr(line: &str) -> Instruction {
    match translate_word(rv::asm(line)) {
        Ok(OxWord::Instruction(inst)) => inst,
        other => panic!("`{line}` ({:#010x}) translated to {other:?}", rv::asm(line)),
    }
}

/// The reason text of a word's error.
fn err(word: u32) -> String {
    match translate_word(word) {
        Err(e) => e.to_string(),
        Ok(ox) => panic!("{word:#010x} translated to {ox:?}, expected an error"),
    }
}

/// Every RV word that translates to `inst` (several for `eret` and the renamed counters): the
/// inverse of the translator's mapping, built from the encoder's tables.
fn rv_words(inst: &Instruction) -> Vec<u32> {
    let n = |r: Reg| r.num();
    let order = |o: Ordering| (o.aq, o.rl);
    match *inst {
        Instruction::Lui { rd, imm20 } => vec![rv::u(imm20, n(rd), rv::LUI)],
        Instruction::Auipc { rd, imm20 } => vec![rv::u(imm20, n(rd), rv::AUIPC)],
        Instruction::Jal { rd, offset } => vec![rv::j(offset, n(rd))],
        Instruction::Jalr { rd, rs1, offset } => vec![rv::i(offset.into(), n(rs1), 0, n(rd), rv::JALR)],
        Instruction::Branch { cond, rs1, rs2, offset } => rv::BRANCHES
            .iter()
            .filter(|e| e.2 == cond)
            .map(|e| rv::b(offset.into(), n(rs2), n(rs1), e.1))
            .collect(),
        Instruction::Load { width, rd, rs1, offset } => rv::LOADS
            .iter()
            .filter(|e| e.2 == width)
            .map(|e| rv::i(offset.into(), n(rs1), e.1, n(rd), rv::LOAD))
            .collect(),
        Instruction::Store { width, rs1, rs2, offset } => rv::STORES
            .iter()
            .filter(|e| e.2 == width)
            .map(|e| rv::s(offset.into(), n(rs2), n(rs1), e.1, rv::STORE))
            .collect(),
        Instruction::AluImm { op, rd, rs1, imm } => rv::OP_IMMS
            .iter()
            .filter(|e| e.2 == op)
            .map(|e| rv::i(imm.into(), n(rs1), e.1, n(rd), rv::OP_IMM))
            .collect(),
        Instruction::ShiftImm { op, rd, rs1, shamt } => rv::SHIFTS
            .iter()
            .filter(|e| e.3 == op)
            .map(|e| rv::r(e.2, shamt.into(), n(rs1), e.1, n(rd), rv::OP_IMM))
            .collect(),
        Instruction::Alu { op, rd, rs1, rs2 } => rv::OPS
            .iter()
            .filter(|e| e.3 == op)
            .map(|e| rv::r(e.1, n(rs2), n(rs1), e.2, n(rd), rv::OP))
            .collect(),
        Instruction::Lr { rd, rs1, order: o } => {
            vec![rv::amo(rv::LR, order(o).0, order(o).1, 0, n(rs1), n(rd))]
        }
        Instruction::Sc { rd, rs1, rs2, order: o } => {
            vec![rv::amo(rv::SC, order(o).0, order(o).1, n(rs2), n(rs1), n(rd))]
        }
        Instruction::Amo { op, rd, rs1, rs2, order: o } => rv::AMOS
            .iter()
            .filter(|e| e.2 == op)
            .map(|e| rv::amo(e.1, o.aq, o.rl, n(rs2), n(rs1), n(rd)))
            .collect(),
        Instruction::Cr { op, rd, cr, src } => {
            let f3 = rv::CSRS.iter().find(|e| e.2 == op).map(|e| e.1).expect("CSR op");
            let mut numbers = vec![u32::from(cr)];
            numbers.extend(RV_COUNTERS.iter().filter(|c| c.1 == cr).map(|c| c.0));
            numbers.into_iter().map(|csr| rv::csr(csr, src.into(), f3, n(rd))).collect()
        }
        Instruction::Fence { fm, pred, succ } => vec![rv::fence(fm.into(), pred.into(), succ.into(), 0, 0)],
        Instruction::FenceI => vec![rv::FENCE_I],
        Instruction::Syscall => vec![rv::ECALL],
        Instruction::Break => vec![rv::EBREAK],
        Instruction::Eret => vec![rv::SRET, rv::MRET],
        Instruction::Wait => vec![rv::WFI],
        Instruction::TlbFlush { rs1, rs2 } => vec![rv::sfence_vma(n(rs1), n(rs2))],
    }
}

#[test]
fn test_assembler_matches_llvm_mc() {
    for (line, word) in LLVM_MC {
        assert_eq!(
            rv::asm(line),
            word,
            "`{line}`: test assembler {:#010x}, llvm-mc {word:#010x}",
            rv::asm(line)
        );
    }
}

#[test]
fn every_llvm_mc_line_translates_losslessly() {
    for (line, word) in LLVM_MC {
        let ox = translate_word(word).unwrap_or_else(|e| panic!("`{line}`: {e}"));
        match ox {
            OxWord::Instruction(inst) => {
                assert!(rv_words(&inst).contains(&word), "`{line}` → {inst:?} does not map back");
                assert_eq!(ox32::decode(ox32::encode(&inst)), Ok(inst));
            }
            OxWord::Illegal => assert_eq!(word, RV_UNIMP, "`{line}`"),
        }
    }
}

#[test]
fn register_immediate_with_extremes() {
    assert_eq!(
        tr("addi x5, x6, -2048"),
        Instruction::AluImm { op: AluImmOp::Addi, rd: x(5), rs1: x(6), imm: -2048 }
    );
    for (name, _, op) in rv::OP_IMMS {
        for imm in [-2048, -1, 0, 1, 2047] {
            for (rd, rs1) in [(0, 31), (31, 0), (17, 17)] {
                let inst = tr(&format!("{name} x{rd}, x{rs1}, {imm}"));
                assert_eq!(inst, Instruction::AluImm { op, rd: x(rd), rs1: x(rs1), imm });
            }
        }
    }
    for (name, _, _, op) in rv::SHIFTS {
        for shamt in [0u8, 1, 16, 31] {
            let inst = tr(&format!("{name} x31, x1, {shamt}"));
            assert_eq!(inst, Instruction::ShiftImm { op, rd: x(31), rs1: x(1), shamt });
        }
    }
}

#[test]
fn register_register_every_operation() {
    for (name, _, _, op) in rv::OPS {
        for (rd, rs1, rs2) in [(0, 0, 0), (31, 30, 29), (1, 31, 0), (5, 5, 31)] {
            let inst = tr(&format!("{name} x{rd}, x{rs1}, x{rs2}"));
            assert_eq!(inst, Instruction::Alu { op, rd: x(rd), rs1: x(rs1), rs2: x(rs2) });
        }
    }
}

#[test]
fn upper_immediates_all_twenty_bits() {
    for imm20 in [0, 1, 0x7ffff, 0x80000, 0xfffff, 0xaaaaa, 0x55555] {
        assert_eq!(tr(&format!("lui x31, {imm20:#x}")), Instruction::Lui { rd: x(31), imm20 });
        assert_eq!(tr(&format!("auipc x1, {imm20:#x}")), Instruction::Auipc { rd: x(1), imm20 });
    }
    for bit in 0..20 {
        assert_eq!(
            tr(&format!("lui x7, {:#x}", 1u32 << bit)),
            Instruction::Lui { rd: x(7), imm20: 1 << bit }
        );
    }
}

#[test]
fn jumps_and_branches_at_their_range_edges() {
    for offset in [-(1 << 20), -2, 0, 2, 4, (1 << 20) - 2, 0x5554, -0x2aaac] {
        assert_eq!(tr(&format!("jal x1, {offset}")), Instruction::Jal { rd: x(1), offset });
        assert_eq!(tr(&format!("jal x0, {offset}")), Instruction::Jal { rd: x(0), offset });
    }
    for bit in 1..21 {
        let offset = if bit == 20 { -(1 << 20) } else { 1 << bit };
        assert_eq!(tr(&format!("jal x31, {offset}")), Instruction::Jal { rd: x(31), offset });
    }
    for offset in [-2048, -1, 0, 1, 2047] {
        assert_eq!(
            tr(&format!("jalr x1, {offset}(x31)")),
            Instruction::Jalr { rd: x(1), rs1: x(31), offset }
        );
    }
    for (name, _, cond) in rv::BRANCHES {
        for offset in [-4096, -4094, -2, 0, 2, 2048, 4094] {
            let inst = tr(&format!("{name} x31, x1, {offset}"));
            assert_eq!(inst, Instruction::Branch { cond, rs1: x(31), rs2: x(1), offset });
        }
        for bit in 1..13 {
            let offset = if bit == 12 { -4096 } else { 1 << bit };
            let inst = tr(&format!("{name} x2, x30, {offset}"));
            assert_eq!(inst, Instruction::Branch { cond, rs1: x(2), rs2: x(30), offset });
        }
    }
}

#[test]
fn loads_and_stores_with_extreme_offsets() {
    for offset in [-2048, -1, 0, 1, 2047, 0x555, -0x556] {
        for (name, _, width) in rv::LOADS {
            let inst = tr(&format!("{name} x31, {offset}(x2)"));
            assert_eq!(inst, Instruction::Load { width, rd: x(31), rs1: x(2), offset });
        }
        for (name, _, width) in rv::STORES {
            let inst = tr(&format!("{name} x31, {offset}(x2)"));
            assert_eq!(inst, Instruction::Store { width, rs1: x(2), rs2: x(31), offset });
        }
    }
}

#[test]
fn atomics_with_every_ordering() {
    let orders = [("", false, false), (".aq", true, false), (".rl", false, true), (".aqrl", true, true)];
    for (suffix, aq, rl) in orders {
        let order = Ordering { aq, rl };
        assert_eq!(tr(&format!("lr.w{suffix} x31, (x1)")), Instruction::Lr { rd: x(31), rs1: x(1), order });
        assert_eq!(
            tr(&format!("sc.w{suffix} x1, x31, (x30)")),
            Instruction::Sc { rd: x(1), rs1: x(30), rs2: x(31), order }
        );
        for (name, _, op) in rv::AMOS {
            let inst = tr(&format!("{name}{suffix} x5, x6, (x7)"));
            assert_eq!(inst, Instruction::Amo { op, rd: x(5), rs1: x(7), rs2: x(6), order });
        }
    }
}

#[test]
fn control_registers_every_form() {
    for (name, _, op) in rv::CSRS {
        let srcs: [(String, u8); 3] = if op.is_immediate() {
            [("0".into(), 0), ("31".into(), 31), ("17".into(), 17)]
        } else {
            [("x0".into(), 0), ("x31".into(), 31), ("x17".into(), 17)]
        };
        for (src_text, src) in &srcs {
            for (num, _, _, _) in cr::ALL {
                let inst = tr(&format!("{name} x31, {num:#x}, {src_text}"));
                assert_eq!(inst, Instruction::Cr { op, rd: x(31), cr: num, src: *src });
            }
            for (rv_num, ox) in RV_COUNTERS {
                let inst = tr(&format!("{name} x1, {rv_num:#x}, {src_text}"));
                assert_eq!(inst, Instruction::Cr { op, rd: x(1), cr: ox, src: *src });
            }
        }
    }
    // rdcycle/rdtime/rdinstret and their high halves, as the RV pseudo-instructions encode them.
    assert_eq!(
        tr("csrrs x10, 0xc00, x0"),
        Instruction::Cr { op: CrOp::Rs, rd: x(10), cr: cr::CYCLE, src: 0 }
    );
    assert_eq!(
        tr("csrrs x10, 0xc81, x0"),
        Instruction::Cr { op: CrOp::Rs, rd: x(10), cr: cr::TIMEH, src: 0 }
    );
    assert_eq!(
        tr("csrrs x10, 0xc02, x0"),
        Instruction::Cr { op: CrOp::Rs, rd: x(10), cr: cr::CYCLE, src: 0 }
    );
}

#[test]
fn privileged_fences_and_traps() {
    assert_eq!(tr("sret"), Instruction::Eret);
    assert_eq!(tr("mret"), Instruction::Eret);
    assert_eq!(tr("wfi"), Instruction::Wait);
    assert_eq!(tr("ecall"), Instruction::Syscall);
    assert_eq!(tr("ebreak"), Instruction::Break);
    assert_eq!(tr("fence.i"), Instruction::FenceI);
    assert_eq!(tr("sfence.vma x0, x0"), Instruction::TlbFlush { rs1: x(0), rs2: x(0) });
    assert_eq!(tr("sfence.vma x5, x31"), Instruction::TlbFlush { rs1: x(5), rs2: x(31) });
    assert_eq!(tr("sfence.vma x31, x0"), Instruction::TlbFlush { rs1: x(31), rs2: x(0) });
    assert_eq!(tr("fence iorw, iorw"), Instruction::Fence { fm: 0, pred: 15, succ: 15 });
    assert_eq!(tr("fence rw, w"), Instruction::Fence { fm: 0, pred: 3, succ: 1 });
    assert_eq!(tr("fence w, 0"), Instruction::Fence { fm: 0, pred: 1, succ: 0 });
    assert_eq!(tr("fence 0, 0"), Instruction::Fence { fm: 0, pred: 0, succ: 0 });
    assert_eq!(tr("fence.tso"), Instruction::Fence { fm: 8, pred: 3, succ: 3 });
    for pred in 0..16 {
        for succ in 0..16 {
            assert_eq!(
                translate_word(rv::fence(0, pred, succ, 0, 0)),
                Ok(OxWord::Instruction(Instruction::Fence { fm: 0, pred: pred as u8, succ: succ as u8 }))
            );
        }
    }
}

#[test]
fn words_that_exist_to_trap_become_the_illegal_word() {
    assert_eq!(translate_word(0), Ok(OxWord::Illegal));
    assert_eq!(translate_word(rv::asm("unimp")), Ok(OxWord::Illegal));
    assert_eq!(OxWord::Illegal.word(), 0);
    // Other writes of the read-only counters are kept: they trap at run time on both machines.
    assert_eq!(tr("csrrw x1, 0xc00, x0"), Instruction::Cr { op: CrOp::Rw, rd: x(1), cr: cr::CYCLE, src: 0 });
    assert_eq!(tr("csrrw x0, 0xc00, x1"), Instruction::Cr { op: CrOp::Rw, rd: x(0), cr: cr::CYCLE, src: 1 });
}

#[test]
fn compressed_and_floating_point_errors() {
    let compressed = "compressed instruction (RVC is not supported; build for riscv32ima)";
    for word in [0x0000_4501, 0x0000_0001, 0x0000_0002, 0x8082_8082, 0xffff_fffc, 0x0000_ffff_u32 << 16] {
        assert_eq!(err(word), compressed, "{word:#010x}");
    }
    let fp = |name: &str| {
        format!("floating-point instruction ({name}; F and D are not supported; build for riscv32ima)")
    };
    // flw fa0, 0(a0); fsw; fmadd.s; fmsub.s; fnmsub.s; fnmadd.s; fadd.s; fld (LOAD-FP, D).
    assert_eq!(err(0x0005_2507), fp("LOAD-FP"));
    assert_eq!(err(0x0005_3507), fp("LOAD-FP"));
    assert_eq!(err(0x00a5_2027), fp("STORE-FP"));
    assert_eq!(err(0x60b5_7543), fp("MADD"));
    assert_eq!(err(0x60b5_7547), fp("MSUB"));
    assert_eq!(err(0x60b5_754b), fp("NMSUB"));
    assert_eq!(err(0x60b5_754f), fp("NMADD"));
    assert_eq!(err(0x00b5_7553), fp("OP-FP"));
    assert_eq!(err(0x02b5_7553), fp("OP-FP"));
}

#[test]
fn unknown_opcode_errors() {
    let cases = [
        (0x0b, "unknown opcode 0x0b (custom-0; not RV32IMA)"),
        (0x2b, "unknown opcode 0x2b (custom-1; not RV32IMA)"),
        (0x5b, "unknown opcode 0x5b (custom-2; not RV32IMA)"),
        (0x7b, "unknown opcode 0x7b (custom-3; not RV32IMA)"),
        (0x1b, "unknown opcode 0x1b (OP-IMM-32, RV64 only; not RV32IMA)"),
        (0x3b, "unknown opcode 0x3b (OP-32, RV64 only; not RV32IMA)"),
        (0x57, "unknown opcode 0x57 (OP-V, vector extension; not RV32IMA)"),
        (0x6b, "unknown opcode 0x6b (reserved; not RV32IMA)"),
        (0x77, "unknown opcode 0x77 (reserved; not RV32IMA)"),
        (0x1f, "unknown opcode 0x1f (an instruction longer than 32 bits; not RV32IMA)"),
        (0x3f, "unknown opcode 0x3f (an instruction longer than 32 bits; not RV32IMA)"),
        (0x7f, "unknown opcode 0x7f (an instruction longer than 32 bits; not RV32IMA)"),
    ];
    for (opcode, message) in cases {
        assert_eq!(err(0x1234_5000 | opcode), message);
        assert_eq!(translate_word(opcode | 0x80), Err(RvError::UnknownOpcode(opcode)));
    }
    // Every major opcode is classified: RV32IMA, float, or unknown — never a panic.
    let known = [0x03, 0x0f, 0x13, 0x17, 0x23, 0x2f, 0x33, 0x37, 0x63, 0x67, 0x6f, 0x73];
    let float = [0x07, 0x27, 0x43, 0x47, 0x4b, 0x4f, 0x53];
    for opcode in (0..128).filter(|o| o & 3 == 3) {
        let result = translate_word(0x0000_0f80 | opcode);
        if float.contains(&opcode) {
            assert!(matches!(result, Err(RvError::FloatingPoint(_))), "{opcode:#x}");
        } else if !known.contains(&opcode) {
            assert_eq!(result, Err(RvError::UnknownOpcode(opcode)), "{opcode:#x}");
        }
    }
}

#[test]
fn other_extensions_in_known_opcodes() {
    // andn (Zbb), ld (RV64), sd (RV64), amocas.w (Zacas), amoadd.d (RV64), cbo.clean (Zicbom),
    // bit 2 of BRANCH funct3, SYSTEM funct3 4 (hypervisor loads), dret, clz (Zbb), an unknown
    // OP-IMM shift form.
    let cases = [
        (rv::r(0x20, 3, 2, 7, 1, rv::OP), "not an RV32IMA instruction (OP, funct3 = 7, funct7 = 0x20)"),
        (rv::i(0, 2, 3, 1, rv::LOAD), "not an RV32IMA instruction (LOAD, funct3 = 3)"),
        (rv::i(0, 2, 6, 1, rv::LOAD), "not an RV32IMA instruction (LOAD, funct3 = 6)"),
        (rv::s(0, 2, 1, 3, rv::STORE), "not an RV32IMA instruction (STORE, funct3 = 3)"),
        (
            rv::amo(0b00101, false, false, 3, 2, 1),
            "not an RV32IMA instruction (AMO, funct3 = 2, funct5 = 0x5)",
        ),
        (rv::r(0, 3, 2, 3, 1, rv::AMO), "not an RV32IMA instruction (AMO, funct3 = 3, funct5 = 0x0)"),
        (rv::i(1, 10, 2, 0, rv::MISC_MEM), "not an RV32IMA instruction (MISC-MEM, funct3 = 2)"),
        (rv::b(8, 2, 1, 2), "not an RV32IMA instruction (BRANCH, funct3 = 2)"),
        (rv::b(8, 2, 1, 3), "not an RV32IMA instruction (BRANCH, funct3 = 3)"),
        (rv::i(0x640, 10, 4, 10, rv::SYSTEM), "not an RV32IMA instruction (SYSTEM, funct3 = 4)"),
        (0x7b20_0073, "not an RV32IMA instruction (SYSTEM, funct3 = 0, imm12 = 0x7b2)"),
        (0x0020_0073, "not an RV32IMA instruction (SYSTEM, funct3 = 0, imm12 = 0x2)"),
        (
            rv::r(0x30, 0, 2, 1, 1, rv::OP_IMM),
            "not an RV32IMA instruction (OP-IMM, funct3 = 1, imm[11:5] = 0x30)",
        ),
        (
            rv::r(0x10, 3, 2, 5, 1, rv::OP_IMM),
            "not an RV32IMA instruction (OP-IMM, funct3 = 5, imm[11:5] = 0x10)",
        ),
    ];
    for (word, message) in cases {
        assert_eq!(err(word), message, "{word:#010x}");
    }
}

#[test]
fn reserved_encoding_errors() {
    let shamt = "reserved encoding: shift amount with shamt[5] = 1 (RV32 shifts by 0..31)";
    let fence_regs = "reserved encoding: FENCE with rd or rs1 other than x0";
    let fence_mode =
        "reserved encoding: FENCE with a fence mode other than 0, or 0b1000 (TSO) without pred = succ = rw";
    let fence_i = "reserved encoding: FENCE.I with imm, rs1 or rd other than 0";
    let cases = [
        (rv::r(0x01, 0, 2, 1, 1, rv::OP_IMM), shamt),
        (rv::r(0x01, 31, 2, 5, 1, rv::OP_IMM), shamt),
        (rv::r(0x21, 31, 2, 5, 1, rv::OP_IMM), shamt),
        (rv::fence(0, 15, 15, 0, 1), fence_regs),
        (rv::fence(0, 15, 15, 1, 0), fence_regs),
        (rv::fence(0, 15, 15, 31, 31), fence_regs),
        (rv::fence(0b1000, 0b0011, 0b0010, 0, 0), fence_mode),
        (rv::fence(0b1000, 0b1111, 0b1111, 0, 0), fence_mode),
        (rv::fence(0b0001, 0b0011, 0b0011, 0, 0), fence_mode),
        (rv::fence(0b1111, 0, 0, 0, 0), fence_mode),
        (rv::i(1, 0, 1, 0, rv::MISC_MEM), fence_i),
        (rv::i(0, 1, 1, 0, rv::MISC_MEM), fence_i),
        (rv::i(0, 0, 1, 1, rv::MISC_MEM), fence_i),
        (rv::i(-1, 0, 1, 0, rv::MISC_MEM), fence_i),
        (rv::ECALL | 1 << 7, "reserved encoding: ECALL with rs1 or rd other than x0"),
        (rv::ECALL | 1 << 15, "reserved encoding: ECALL with rs1 or rd other than x0"),
        (rv::EBREAK | 31 << 7, "reserved encoding: EBREAK with rs1 or rd other than x0"),
        (rv::EBREAK | 31 << 15, "reserved encoding: EBREAK with rs1 or rd other than x0"),
        (rv::SRET | 1 << 7, "reserved encoding: SRET with rs1 or rd other than x0"),
        (rv::MRET | 1 << 15, "reserved encoding: MRET with rs1 or rd other than x0"),
        (rv::WFI | 5 << 7, "reserved encoding: WFI with rs1 or rd other than x0"),
        (rv::sfence_vma(1, 2) | 3 << 7, "reserved encoding: SFENCE.VMA with rd other than x0"),
        (rv::amo(rv::LR, false, false, 1, 2, 3), "reserved encoding: LR.W with rs2 other than x0"),
        (rv::amo(rv::LR, true, true, 31, 2, 3), "reserved encoding: LR.W with rs2 other than x0"),
        (rv::i(0, 1, 1, 1, rv::JALR), "reserved encoding: JALR with funct3 other than 0"),
        (rv::i(0, 1, 7, 1, rv::JALR), "reserved encoding: JALR with funct3 other than 0"),
    ];
    for (word, message) in cases {
        assert_eq!(err(word), message, "{word:#010x}");
    }
}

#[test]
fn unknown_csr_errors() {
    let message = |n: u32| {
        format!(
            "unknown CSR {n:#05x} (only ox32 control-register numbers and the RV counters cycle, \
             time, instret and their high halves are translated)"
        )
    };
    // mstatus, sstatus, satp, mepc, mhartid, fcsr's neighbours, ox32 holes, hpmcounter3.
    for num in [0x300, 0x100, 0x180, 0x341, 0xf14, 0x00a, 0x00f, 0x014, 0xfff, 0xc03, 0xc83, 0xb00] {
        for (_, f3, _) in rv::CSRS {
            assert_eq!(err(rv::csr(num, 1, f3, 1)), message(num), "csr {num:#x}");
        }
    }
    assert_eq!(translate_word(rv::csr(0x300, 0, 2, 10)), Err(RvError::UnknownCsr(0x300)));
    // Every 12-bit number: accepted exactly when it is an ox32 register or a mapped counter.
    for num in 0..0x1000u32 {
        let accepted = translate_word(rv::csr(num, 0, 2, 10)).is_ok();
        let expected = cr::name(num as u16).is_some() || RV_COUNTERS.iter().any(|c| c.0 == num);
        assert_eq!(accepted, expected, "csr {num:#x}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 20_000, ..ProptestConfig::default() })]

    /// Random valid words translate, and the ox32 instruction maps back to the same word.
    #[test]
    fn valid_words_round_trip(class in 0u32..16, a in any::<u32>(), b in any::<u32>()) {
        let word = random_word(class, a, b);
        let ox = translate_word(word);
        prop_assert!(ox.is_ok(), "{:#010x}: {:?}", word, ox);
        match ox {
            Ok(OxWord::Instruction(inst)) => {
                prop_assert!(rv_words(&inst).contains(&word), "{:#010x} → {:?}", word, inst);
                prop_assert_eq!(ox32::decode(ox32::encode(&inst)), Ok(inst));
            }
            _ => prop_assert_eq!(word, RV_UNIMP),
        }
    }

    /// Any word at all: never a panic, and a word that translates is the canonical encoding of
    /// what it translated to (the decoder is strict).
    #[test]
    fn arbitrary_words_are_strict(word in any::<u32>()) {
        match translate_word(word) {
            Ok(OxWord::Instruction(inst)) => prop_assert!(rv_words(&inst).contains(&word), "{:#010x}", word),
            Ok(OxWord::Illegal) => prop_assert!(word == 0 || word == RV_UNIMP),
            Err(_) => {}
        }
    }
}

/// Every field combination of the RV32IMA opcodes with the register fields zero and a few
/// immediates: accepted words are canonical (a deterministic complement to the proptest).
#[test]
fn strictness_sweep_over_function_fields() {
    let mut accepted = 0;
    for opcode in [0x03u32, 0x0f, 0x13, 0x17, 0x23, 0x2f, 0x33, 0x37, 0x63, 0x67, 0x6f, 0x73] {
        for funct3 in 0..8 {
            for high in 0..128u32 {
                for middle in [0u32, 1, 0x1f, 0x401, 0x3ff] {
                    let word =
                        high << 25 | (middle & 0x1f) << 20 | (middle >> 5) << 15 | funct3 << 12 | opcode;
                    for word in [word, word | 1 << 7, word | 31 << 7] {
                        if let Ok(OxWord::Instruction(inst)) = translate_word(word) {
                            assert!(rv_words(&inst).contains(&word), "{word:#010x} → {inst:?}");
                            accepted += 1;
                        }
                    }
                }
            }
        }
    }
    assert!(accepted > 10_000, "only {accepted} words accepted");
}
