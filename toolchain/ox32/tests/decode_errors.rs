//! Decode errors: unknown opcodes, unknown function values, and reserved bits in every format
//! that has them.

use ox32::{decode, encode, opcode, DecodeError, DecodeErrorKind, Instruction, Reg};

fn kind(word: u32) -> DecodeErrorKind {
    match decode(word) {
        Ok(inst) => panic!("{word:#010x} decoded as {inst}"),
        Err(DecodeError { word: w, reason }) => {
            assert_eq!(w, word, "the error names the word");
            reason
        }
    }
}

/// Every opcode that names an instruction.
fn assigned(op: u32) -> bool {
    matches!(op, opcode::LUI | opcode::AUIPC | opcode::JAL | opcode::JALR)
        || (opcode::BRANCH_BASE..opcode::BRANCH_BASE + 6).contains(&op)
        || (opcode::LOAD_BASE..opcode::LOAD_BASE + 5).contains(&op)
        || (opcode::STORE_BASE..opcode::STORE_BASE + 3).contains(&op)
        || (opcode::ALUI_BASE..opcode::ALUI_BASE + 6).contains(&op)
        || (opcode::SHIFTI_BASE..opcode::SHIFTI_BASE + 3).contains(&op)
        || matches!(op, opcode::ALU | opcode::AMO | opcode::CR | opcode::SYS | opcode::FENCE)
}

#[test]
fn unassigned_opcodes_are_unknown() {
    let mut unknown = 0;
    for op in 0..64 {
        if assigned(op) {
            continue;
        }
        unknown += 1;
        for low in [0, 0x03ff_ffff, 0x0012_3456] {
            assert_eq!(kind((op << 26) | low), DecodeErrorKind::UnknownOpcode(op), "opcode {op:#04x}");
        }
    }
    assert_eq!(unknown, 64 - 32, "32 opcodes are assigned");
    // A word of zeros (erased memory) is never an instruction.
    assert_eq!(kind(0), DecodeErrorKind::UnknownOpcode(0));
    assert_eq!(kind(0xffff_ffff), DecodeErrorKind::UnknownOpcode(0x3f));
}

#[test]
fn unknown_function_values() {
    let alu = opcode::ALU << 26;
    for funct in [0x0a, 0x0f, 0x18, 0x7ff] {
        assert_eq!(kind(alu | funct), DecodeErrorKind::UnknownFunction(funct));
    }
    let amo = opcode::AMO << 26;
    for funct in 11..16 {
        assert_eq!(kind(amo | funct), DecodeErrorKind::UnknownFunction(funct));
    }
    let cr = opcode::CR << 26;
    for funct in [3, 7, 8, 15] {
        assert_eq!(kind(cr | funct << 12), DecodeErrorKind::UnknownFunction(funct));
    }
    let sys = opcode::SYS << 26;
    for funct in [6, 0x10, 0x7ff] {
        assert_eq!(kind(sys | funct), DecodeErrorKind::UnknownFunction(funct));
    }
}

#[test]
fn reserved_bits_of_every_format() {
    let cases: &[(&str, u32, u32)] = &[
        // (what, a valid word, a reserved bit to set in it)
        ("lui bit 20", 0x0541_2345, 1 << 20),
        ("auipc bit 20", 0x08cf_ffff, 1 << 20),
        ("slli bit 5", 0xa14b_001f, 1 << 5),
        ("srli bit 15", 0xa4a6_0000, 1 << 15),
        ("srai bits 15..5", 0xaa74_0007, 0xffe0),
        ("lr.w rs2", 0xc54b_0000, 1 << 11),
        ("lr.w bits 8..4", 0xc54b_0000, 1 << 4),
        ("sc.w bits 8..4", 0xc58e_6801, 1 << 8),
        ("amoadd.w bits 8..4", 0xc512_4c03, 0x1f0),
        ("syscall bits 25..11", 0xe400_0000, 1 << 11),
        ("break rd", 0xe400_0001, 1 << 21),
        ("eret rs1", 0xe400_0002, 1 << 16),
        ("wait bit 25", 0xe400_0003, 1 << 25),
        ("fence.i rs2", 0xe400_0005, 31 << 11),
        ("tlbflush rd", 0xe40a_5804, 1 << 21),
        ("fence bits 3..0", 0xe800_0330, 1),
        ("fence bits 25..16", 0xe800_0330, 0x03ff_0000),
    ];
    for &(what, word, bits) in cases {
        assert!(decode(word).is_ok(), "{what}: base word {word:#010x} is valid");
        assert_eq!(kind(word | bits), DecodeErrorKind::ReservedBits(bits), "{what}");
    }
}

#[test]
fn fence_modes_other_than_plain_and_tso_are_reserved() {
    let fence = |fm: u32, pred: u32, succ: u32| opcode::FENCE << 26 | fm << 12 | pred << 8 | succ << 4;
    for fm in 1..16 {
        if fm == 8 {
            continue;
        }
        assert_eq!(kind(fence(fm, 3, 3)), DecodeErrorKind::ReservedBits(fm << 12), "fm {fm}");
    }
    // fence.tso exists only as `fence.tso rw, rw`.
    assert!(decode(fence(8, 3, 3)).is_ok());
    assert_eq!(kind(fence(8, 15, 15)), DecodeErrorKind::ReservedBits(8 << 12));
    assert_eq!(kind(fence(8, 3, 1)), DecodeErrorKind::ReservedBits(8 << 12));
}

#[test]
fn formats_without_reserved_bits_accept_every_field_value() {
    // I, S, B, J, R (11-bit function) and C have no reserved bits: all ones in the operand
    // fields still decode.
    for op in [opcode::JAL, opcode::JALR, opcode::BRANCH_BASE, opcode::LOAD_BASE, opcode::STORE_BASE] {
        let word = op << 26 | 0x03ff_ffff;
        assert_eq!(encode(&decode(word).expect("valid")), word);
    }
    let word = opcode::CR << 26 | 0x03ff_6fff; // crrci t6, 0xfff, 31
    assert_eq!(encode(&decode(word).expect("valid")), word);
    let word = opcode::ALU << 26 | 0x03ff_f817; // remu t6, t6, t6
    assert_eq!(
        decode(word),
        Ok(Instruction::Alu { op: ox32::AluOp::Remu, rd: r31(), rs1: r31(), rs2: r31() })
    );
}

fn r31() -> Reg {
    Reg::new(31).expect("31 < 32")
}

#[test]
fn errors_display_the_word_and_the_reason() {
    let err = decode(0).expect_err("zero is illegal");
    assert_eq!(err.to_string(), "0x00000000: unknown opcode 0x00");
    let err = decode(opcode::ALU << 26 | 0x7ff).expect_err("no such function");
    assert_eq!(err.to_string(), "0xc00007ff: unknown function 0x7ff");
    let err = decode(0x0551_2345).expect_err("lui bit 20");
    assert_eq!(err.to_string(), "0x05512345: reserved bits 0x00100000 are set");
}
