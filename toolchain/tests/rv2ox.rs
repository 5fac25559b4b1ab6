//! `rv2ox`, the RV32 → ox32 translator: every RV32IMA instruction class with its field extremes,
//! every error with its exact message, a property test that translation is lossless (ox32 → RV
//! through a test-side inverse mapping gives back the word), strictness on random words, and
//! whole ELF files (layout kept, symbols kept, malformed input never panics).
//!
//! The RISC-V words come from a small assembler in this file ([`rv`]), written from the bit
//! layouts of the RISC-V specification and independent of the translator's decoder; its
//! encodings are checked against a table produced by `llvm-mc -triple=riscv32 -mattr=+m,+a`
//! (the table is data here, so the tests do not need LLVM installed).

use goblin::elf::Elf;
use orrery_toolchain::rv2ox::map::RV_UNIMP;
use orrery_toolchain::rv2ox::{
    translate_elf, translate_elf_with_stats, translate_word, OxWord, RvError, TranslateError, MAX_ERRORS,
};
use ox32::{cr, AluImmOp, CrOp, Instruction, Ordering, Reg};
use proptest::prelude::{any, prop_assert, prop_assert_eq, proptest, ProptestConfig};

/// A RISC-V encoder and a tiny assembler for the syntax `llvm-mc` prints, from the
/// specification's bit layouts.
mod rv {
    use ox32::{AluImmOp, AluOp, AmoOp, BranchCond, CrOp, LoadWidth, ShiftOp, StoreWidth};

    pub const LOAD: u32 = 0x03;
    pub const MISC_MEM: u32 = 0x0f;
    pub const OP_IMM: u32 = 0x13;
    pub const AUIPC: u32 = 0x17;
    pub const STORE: u32 = 0x23;
    pub const AMO: u32 = 0x2f;
    pub const OP: u32 = 0x33;
    pub const LUI: u32 = 0x37;
    pub const BRANCH: u32 = 0x63;
    pub const JALR: u32 = 0x67;
    pub const JAL: u32 = 0x6f;
    pub const SYSTEM: u32 = 0x73;

    /// R-type: funct7 | rs2 | rs1 | funct3 | rd | opcode.
    pub fn r(funct7: u32, rs2: u32, rs1: u32, funct3: u32, rd: u32, opcode: u32) -> u32 {
        funct7 << 25 | rs2 << 20 | rs1 << 15 | funct3 << 12 | rd << 7 | opcode
    }

    /// I-type: imm[11:0] | rs1 | funct3 | rd | opcode.
    pub fn i(imm: i32, rs1: u32, funct3: u32, rd: u32, opcode: u32) -> u32 {
        (imm as u32 & 0xfff) << 20 | rs1 << 15 | funct3 << 12 | rd << 7 | opcode
    }

    /// S-type: imm[11:5] | rs2 | rs1 | funct3 | imm[4:0] | opcode.
    pub fn s(imm: i32, rs2: u32, rs1: u32, funct3: u32, opcode: u32) -> u32 {
        let imm = imm as u32;
        (imm >> 5 & 0x7f) << 25 | rs2 << 20 | rs1 << 15 | funct3 << 12 | (imm & 0x1f) << 7 | opcode
    }

    /// B-type: imm[12] | imm[10:5] | rs2 | rs1 | funct3 | imm[4:1] | imm[11] | opcode.
    pub fn b(imm: i32, rs2: u32, rs1: u32, funct3: u32) -> u32 {
        let imm = imm as u32;
        (imm >> 12 & 1) << 31
            | (imm >> 5 & 0x3f) << 25
            | rs2 << 20
            | rs1 << 15
            | funct3 << 12
            | (imm >> 1 & 0xf) << 8
            | (imm >> 11 & 1) << 7
            | BRANCH
    }

    /// U-type: imm[31:12] | rd | opcode.
    pub fn u(imm20: u32, rd: u32, opcode: u32) -> u32 {
        imm20 << 12 | rd << 7 | opcode
    }

    /// J-type: imm[20] | imm[10:1] | imm[11] | imm[19:12] | rd | opcode.
    pub fn j(imm: i32, rd: u32) -> u32 {
        let imm = imm as u32;
        (imm >> 20 & 1) << 31
            | (imm >> 1 & 0x3ff) << 21
            | (imm >> 11 & 1) << 20
            | (imm >> 12 & 0xff) << 12
            | rd << 7
            | JAL
    }

    /// AMO: funct5 | aq | rl | rs2 | rs1 | 010 | rd | 0101111.
    pub fn amo(funct5: u32, aq: bool, rl: bool, rs2: u32, rs1: u32, rd: u32) -> u32 {
        r(funct5 << 2 | u32::from(aq) << 1 | u32::from(rl), rs2, rs1, 2, rd, AMO)
    }

    /// CSR: csr | rs1 or uimm | funct3 | rd | 1110011.
    pub fn csr(csr: u32, src: u32, funct3: u32, rd: u32) -> u32 {
        csr << 20 | src << 15 | funct3 << 12 | rd << 7 | SYSTEM
    }

    /// FENCE: fm | pred | succ | rs1 | 000 | rd | 0001111.
    pub fn fence(fm: u32, pred: u32, succ: u32, rs1: u32, rd: u32) -> u32 {
        fm << 28 | pred << 24 | succ << 20 | rs1 << 15 | rd << 7 | MISC_MEM
    }

    pub const LOADS: [(&str, u32, LoadWidth); 5] = [
        ("lb", 0, LoadWidth::B),
        ("lh", 1, LoadWidth::H),
        ("lw", 2, LoadWidth::W),
        ("lbu", 4, LoadWidth::Bu),
        ("lhu", 5, LoadWidth::Hu),
    ];
    pub const STORES: [(&str, u32, StoreWidth); 3] =
        [("sb", 0, StoreWidth::B), ("sh", 1, StoreWidth::H), ("sw", 2, StoreWidth::W)];
    pub const BRANCHES: [(&str, u32, BranchCond); 6] = [
        ("beq", 0, BranchCond::Eq),
        ("bne", 1, BranchCond::Ne),
        ("blt", 4, BranchCond::Lt),
        ("bge", 5, BranchCond::Ge),
        ("bltu", 6, BranchCond::Ltu),
        ("bgeu", 7, BranchCond::Geu),
    ];
    pub const OP_IMMS: [(&str, u32, AluImmOp); 6] = [
        ("addi", 0, AluImmOp::Addi),
        ("slti", 2, AluImmOp::Slti),
        ("sltiu", 3, AluImmOp::Sltiu),
        ("xori", 4, AluImmOp::Xori),
        ("ori", 6, AluImmOp::Ori),
        ("andi", 7, AluImmOp::Andi),
    ];
    /// (mnemonic, funct3, imm[11:5], operation).
    pub const SHIFTS: [(&str, u32, u32, ShiftOp); 3] = [
        ("slli", 1, 0x00, ShiftOp::Slli),
        ("srli", 5, 0x00, ShiftOp::Srli),
        ("srai", 5, 0x20, ShiftOp::Srai),
    ];
    /// (mnemonic, funct7, funct3, operation).
    pub const OPS: [(&str, u32, u32, AluOp); 18] = [
        ("add", 0x00, 0, AluOp::Add),
        ("sub", 0x20, 0, AluOp::Sub),
        ("sll", 0x00, 1, AluOp::Sll),
        ("slt", 0x00, 2, AluOp::Slt),
        ("sltu", 0x00, 3, AluOp::Sltu),
        ("xor", 0x00, 4, AluOp::Xor),
        ("srl", 0x00, 5, AluOp::Srl),
        ("sra", 0x20, 5, AluOp::Sra),
        ("or", 0x00, 6, AluOp::Or),
        ("and", 0x00, 7, AluOp::And),
        ("mul", 0x01, 0, AluOp::Mul),
        ("mulh", 0x01, 1, AluOp::Mulh),
        ("mulhsu", 0x01, 2, AluOp::Mulhsu),
        ("mulhu", 0x01, 3, AluOp::Mulhu),
        ("div", 0x01, 4, AluOp::Div),
        ("divu", 0x01, 5, AluOp::Divu),
        ("rem", 0x01, 6, AluOp::Rem),
        ("remu", 0x01, 7, AluOp::Remu),
    ];
    pub const LR: u32 = 0b00010;
    pub const SC: u32 = 0b00011;
    pub const AMOS: [(&str, u32, AmoOp); 9] = [
        ("amoswap.w", 0b00001, AmoOp::Swap),
        ("amoadd.w", 0b00000, AmoOp::Add),
        ("amoxor.w", 0b00100, AmoOp::Xor),
        ("amoand.w", 0b01100, AmoOp::And),
        ("amoor.w", 0b01000, AmoOp::Or),
        ("amomin.w", 0b10000, AmoOp::Min),
        ("amomax.w", 0b10100, AmoOp::Max),
        ("amominu.w", 0b11000, AmoOp::Minu),
        ("amomaxu.w", 0b11100, AmoOp::Maxu),
    ];
    pub const CSRS: [(&str, u32, CrOp); 6] = [
        ("csrrw", 1, CrOp::Rw),
        ("csrrs", 2, CrOp::Rs),
        ("csrrc", 3, CrOp::Rc),
        ("csrrwi", 5, CrOp::Rwi),
        ("csrrsi", 6, CrOp::Rsi),
        ("csrrci", 7, CrOp::Rci),
    ];
    pub const ECALL: u32 = 0x0000_0073;
    pub const EBREAK: u32 = 0x0010_0073;
    pub const SRET: u32 = 0x1020_0073;
    pub const MRET: u32 = 0x3020_0073;
    pub const WFI: u32 = 0x1050_0073;
    pub const FENCE_I: u32 = 0x0000_100f;

    pub fn sfence_vma(rs1: u32, rs2: u32) -> u32 {
        r(0b000_1001, rs2, rs1, 0, 0, SYSTEM)
    }

    fn reg(text: &str) -> u32 {
        let n: u32 = text.trim().strip_prefix('x').and_then(|n| n.parse().ok()).expect("register xN");
        assert!(n < 32, "register {text}");
        n
    }

    fn num(text: &str) -> i64 {
        let text = text.trim();
        let (neg, digits) = text.strip_prefix('-').map_or((false, text), |d| (true, d));
        let value = match digits.strip_prefix("0x") {
            Some(hex) => i64::from_str_radix(hex, 16),
            None => digits.parse(),
        }
        .expect("number");
        if neg {
            -value
        } else {
            value
        }
    }

    /// `imm(xN)` or `(xN)` → (imm, N).
    fn mem(text: &str) -> (i32, u32) {
        let (imm, rest) = text.trim().split_once('(').expect("memory operand");
        let imm = if imm.is_empty() { 0 } else { num(imm) as i32 };
        (imm, reg(rest.trim_end_matches(')')))
    }

    fn fence_set(text: &str) -> u32 {
        let text = text.trim();
        if text == "0" {
            return 0;
        }
        text.chars().map(|c| 1 << (3 - "iorw".find(c).expect("fence set letter"))).sum()
    }

    /// Assembles one instruction, written as `llvm-mc` accepts it with `x` register names.
    pub fn asm(line: &str) -> u32 {
        let (mnemonic, operands) = line.split_once(' ').unwrap_or((line, ""));
        let ops: Vec<&str> = if operands.is_empty() { Vec::new() } else { operands.split(", ").collect() };
        let (base, aq, rl) = match mnemonic.rsplit_once('.') {
            Some((base, "aq")) => (base, true, false),
            Some((base, "rl")) => (base, false, true),
            Some((base, "aqrl")) => (base, true, true),
            _ => (mnemonic, false, false),
        };
        if let Some(&(_, f3, _)) = OP_IMMS.iter().find(|e| e.0 == mnemonic) {
            return i(num(ops[2]) as i32, reg(ops[1]), f3, reg(ops[0]), OP_IMM);
        }
        if let Some(&(_, f3, f7, _)) = SHIFTS.iter().find(|e| e.0 == mnemonic) {
            return r(f7, num(ops[2]) as u32, reg(ops[1]), f3, reg(ops[0]), OP_IMM);
        }
        if let Some(&(_, f7, f3, _)) = OPS.iter().find(|e| e.0 == mnemonic) {
            return r(f7, reg(ops[2]), reg(ops[1]), f3, reg(ops[0]), OP);
        }
        if let Some(&(_, f3, _)) = LOADS.iter().find(|e| e.0 == mnemonic) {
            let (imm, rs1) = mem(ops[1]);
            return i(imm, rs1, f3, reg(ops[0]), LOAD);
        }
        if let Some(&(_, f3, _)) = STORES.iter().find(|e| e.0 == mnemonic) {
            let (imm, rs1) = mem(ops[1]);
            return s(imm, reg(ops[0]), rs1, f3, STORE);
        }
        if let Some(&(_, f3, _)) = BRANCHES.iter().find(|e| e.0 == mnemonic) {
            return b(num(ops[2]) as i32, reg(ops[1]), reg(ops[0]), f3);
        }
        if let Some(&(_, funct5, _)) = AMOS.iter().find(|e| e.0 == base) {
            return amo(funct5, aq, rl, reg(ops[1]), mem(ops[2]).1, reg(ops[0]));
        }
        if let Some(&(_, f3, op)) = CSRS.iter().find(|e| e.0 == mnemonic) {
            let src = if op.is_immediate() { num(ops[2]) as u32 } else { reg(ops[2]) };
            return csr(num(ops[1]) as u32, src, f3, reg(ops[0]));
        }
        match base {
            "lr.w" => amo(LR, aq, rl, 0, mem(ops[1]).1, reg(ops[0])),
            "sc.w" => amo(SC, aq, rl, reg(ops[1]), mem(ops[2]).1, reg(ops[0])),
            "lui" => u(num(ops[1]) as u32, reg(ops[0]), LUI),
            "auipc" => u(num(ops[1]) as u32, reg(ops[0]), AUIPC),
            "jal" => j(num(ops[1]) as i32, reg(ops[0])),
            "jalr" => {
                let (imm, rs1) = mem(ops[1]);
                i(imm, rs1, 0, reg(ops[0]), JALR)
            }
            "fence" => fence(0, fence_set(ops[0]), fence_set(ops[1]), 0, 0),
            "fence.tso" => fence(0b1000, 0b0011, 0b0011, 0, 0),
            "fence.i" => FENCE_I,
            "ecall" => ECALL,
            "ebreak" => EBREAK,
            "sret" => SRET,
            "mret" => MRET,
            "wfi" => WFI,
            "unimp" => 0xc000_1073,
            "sfence.vma" => sfence_vma(reg(ops[0]), reg(ops[1])),
            _ => panic!("test assembler: unknown mnemonic in `{line}`"),
        }
    }
}

/// Encodings printed by `llvm-mc -triple=riscv32 -mattr=+m,+a -show-encoding` for these lines
/// (the last two `fence` lines, which llvm-mc's syntax cannot express, from the spec's layout).
const LLVM_MC: [(&str, u32); 79] = [
    ("addi x5, x6, -2048", 0x80030293),
    ("addi x31, x31, 2047", 0x7fff8f93),
    ("slti x1, x2, -1", 0xfff12093),
    ("sltiu x3, x4, 1", 0x00123193),
    ("xori x5, x6, -2048", 0x80034293),
    ("ori x7, x8, 2047", 0x7ff46393),
    ("andi x9, x10, -1", 0xfff57493),
    ("slli x11, x12, 31", 0x01f61593),
    ("srli x13, x14, 1", 0x00175693),
    ("srai x15, x16, 31", 0x41f85793),
    ("add x1, x2, x3", 0x003100b3),
    ("sub x31, x30, x29", 0x41df0fb3),
    ("sll x1, x2, x3", 0x003110b3),
    ("slt x1, x2, x3", 0x003120b3),
    ("sltu x1, x2, x3", 0x003130b3),
    ("xor x1, x2, x3", 0x003140b3),
    ("srl x1, x2, x3", 0x003150b3),
    ("sra x1, x2, x3", 0x403150b3),
    ("or x1, x2, x3", 0x003160b3),
    ("and x1, x2, x3", 0x003170b3),
    ("mul x1, x2, x3", 0x023100b3),
    ("mulh x1, x2, x3", 0x023110b3),
    ("mulhsu x1, x2, x3", 0x023120b3),
    ("mulhu x1, x2, x3", 0x023130b3),
    ("div x1, x2, x3", 0x023140b3),
    ("divu x1, x2, x3", 0x023150b3),
    ("rem x1, x2, x3", 0x023160b3),
    ("remu x31, x31, x31", 0x03ffffb3),
    ("lui x5, 0xfffff", 0xfffff2b7),
    ("auipc x6, 0x80000", 0x80000317),
    ("jal x1, -1048576", 0x800000ef),
    ("jal x0, 1048574", 0x7ffff06f),
    ("jalr x1, -2048(x31)", 0x800f80e7),
    ("beq x1, x2, -4096", 0x80208063),
    ("bne x3, x4, 4094", 0x7e419fe3),
    ("blt x5, x6, -2", 0xfe62cfe3),
    ("bge x7, x8, 2", 0x0083d163),
    ("bltu x9, x10, 0", 0x00a4e063),
    ("bgeu x31, x31, 4094", 0x7fffffe3),
    ("lb x1, -2048(x2)", 0x80010083),
    ("lh x3, 2047(x4)", 0x7ff21183),
    ("lw x5, -1(x6)", 0xfff32283),
    ("lbu x7, 0(x8)", 0x00044383),
    ("lhu x9, 1(x10)", 0x00155483),
    ("sb x1, -2048(x2)", 0x80110023),
    ("sh x3, 2047(x4)", 0x7e321fa3),
    ("sw x31, -1(x30)", 0xffff2fa3),
    ("lr.w x1, (x2)", 0x100120af),
    ("lr.w.aqrl x3, (x4)", 0x160221af),
    ("sc.w.aq x5, x6, (x7)", 0x1c63a2af),
    ("sc.w.rl x5, x6, (x7)", 0x1a63a2af),
    ("amoswap.w x1, x2, (x3)", 0x0821a0af),
    ("amoadd.w.aq x1, x2, (x3)", 0x0421a0af),
    ("amoxor.w.rl x1, x2, (x3)", 0x2221a0af),
    ("amoand.w.aqrl x1, x2, (x3)", 0x6621a0af),
    ("amoor.w x1, x2, (x3)", 0x4021a0af),
    ("amomin.w x1, x2, (x3)", 0x8021a0af),
    ("amomax.w x1, x2, (x3)", 0xa021a0af),
    ("amominu.w x1, x2, (x3)", 0xc021a0af),
    ("amomaxu.w x31, x30, (x29)", 0xe1eeafaf),
    ("csrrw x1, 0x007, x2", 0x007110f3),
    ("csrrs x3, 0xc00, x0", 0xc00021f3),
    ("csrrc x4, 0x000, x5", 0x0002b273),
    ("csrrwi x6, 0x001, 31", 0x001fd373),
    ("csrrsi x7, 0xc81, 0", 0xc81063f3),
    ("csrrci x8, 0x013, 1", 0x0130f473),
    ("fence iorw, iorw", 0x0ff0000f),
    ("fence.tso", 0x8330000f),
    ("fence.i", 0x0000100f),
    ("ecall", 0x00000073),
    ("ebreak", 0x00100073),
    ("sret", 0x10200073),
    ("mret", 0x30200073),
    ("wfi", 0x10500073),
    ("sfence.vma x0, x0", 0x12000073),
    ("sfence.vma x5, x31", 0x13f28073),
    ("unimp", 0xc0001073),
    ("fence w, 0", 0x0100000f),
    ("fence 0, 0", 0x0000000f),
];

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

/// RV counter CSRs and the ox32 registers they become (docs/isa.md §8), written out here
/// independently of the translator's table.
const RV_COUNTERS: [(u32, u16); 6] = [
    (0xc00, cr::CYCLE),
    (0xc80, cr::CYCLEH),
    (0xc01, cr::TIME),
    (0xc81, cr::TIMEH),
    (0xc02, cr::CYCLE),
    (0xc82, cr::CYCLEH),
];

/// A valid RV32IMA (+ Zicsr, Zifencei, privileged) word built from random bits: `class` picks
/// the instruction family, `a` and `b` fill its fields.
fn random_word(class: u32, a: u32, b: u32) -> u32 {
    let (rd, rs1, rs2) = (a & 31, a >> 5 & 31, a >> 10 & 31);
    let pick = a >> 15;
    let imm12 = ((b << 20) as i32) >> 20;
    match class % 16 {
        0 => rv::u(b >> 12, rd, if pick & 1 == 0 { rv::LUI } else { rv::AUIPC }),
        1 => rv::j((((b << 11) as i32) >> 11) & !1, rd),
        2 => rv::i(imm12, rs1, 0, rd, rv::JALR),
        3 => rv::b(imm12 * 2, rs2, rs1, rv::BRANCHES[pick as usize % 6].1),
        4 => rv::i(imm12, rs1, rv::LOADS[pick as usize % 5].1, rd, rv::LOAD),
        5 => rv::s(imm12, rs2, rs1, rv::STORES[pick as usize % 3].1, rv::STORE),
        6 => rv::i(imm12, rs1, rv::OP_IMMS[pick as usize % 6].1, rd, rv::OP_IMM),
        7 => {
            let (_, f3, f7, _) = rv::SHIFTS[pick as usize % 3];
            rv::r(f7, b & 31, rs1, f3, rd, rv::OP_IMM)
        }
        8 | 9 => {
            let (_, f7, f3, _) = rv::OPS[pick as usize % 18];
            rv::r(f7, rs2, rs1, f3, rd, rv::OP)
        }
        10 => {
            let funct5 = match pick % 11 {
                0 => rv::LR,
                1 => rv::SC,
                k => rv::AMOS[k as usize - 2].1,
            };
            let rs2 = if funct5 == rv::LR { 0 } else { rs2 };
            rv::amo(funct5, b & 1 != 0, b & 2 != 0, rs2, rs1, rd)
        }
        11 | 12 => {
            let numbers: Vec<u32> =
                cr::ALL.iter().map(|r| u32::from(r.0)).chain(RV_COUNTERS.iter().map(|c| c.0)).collect();
            let csr = numbers[b as usize % numbers.len()];
            rv::csr(csr, rs1, rv::CSRS[pick as usize % 6].1, rd)
        }
        13 => {
            if pick % 4 == 0 {
                rv::fence(0b1000, 0b0011, 0b0011, 0, 0)
            } else {
                rv::fence(0, b & 15, b >> 4 & 15, 0, 0)
            }
        }
        14 => [rv::FENCE_I, rv::ECALL, rv::EBREAK, rv::SRET, rv::MRET, rv::WFI][pick as usize % 6],
        _ => rv::sfence_vma(rs1, rs2),
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
    for num in [0x300, 0x100, 0x180, 0x341, 0xf14, 0x009, 0x00f, 0x014, 0xfff, 0xc03, 0xc83, 0xb00] {
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

// ---------------------------------------------------------------------------------------------
// Whole ELF files.

/// A section of a hand-built RISC-V ELF file.
struct Sec {
    name: &'static str,
    addr: u32,
    /// `SHF_*` flags.
    flags: u32,
    /// File contents; `None` for `SHT_NOBITS` with the given size.
    data: Option<Vec<u8>>,
    nobits_size: u32,
}

const SHF_WRITE: u32 = 1;
const SHF_ALLOC: u32 = 2;
const SHF_EXECINSTR: u32 = 4;
const EM_RISCV: u16 = 243;

fn code(words: &[u32]) -> Vec<u8> {
    words.iter().flat_map(|w| w.to_le_bytes()).collect()
}

fn text(addr: u32, words: &[u32]) -> Sec {
    Sec { name: ".text", addr, flags: SHF_ALLOC | SHF_EXECINSTR, data: Some(code(words)), nobits_size: 0 }
}

fn put16(out: &mut Vec<u8>, v: u16) {
    out.extend_from_slice(&v.to_le_bytes());
}

fn put32(out: &mut Vec<u8>, v: u32) {
    out.extend_from_slice(&v.to_le_bytes());
}

/// An ELF32 little-endian `ET_EXEC` file laid out as `ld.lld` would: ELF header, one `PT_LOAD`
/// per allocated section, contents at offsets congruent to their addresses modulo 4 KiB, then
/// `.symtab`, `.strtab`, `.shstrtab` and the section headers (left out when `section_headers` is
/// false). Symbols are `(name, value, size, info, section index)`, section indices counting the
/// null section.
fn build_elf(
    machine: u16,
    e_flags: u32,
    sections: &[Sec],
    symbols: &[(&str, u32, u32, u8, u16)],
    section_headers: bool,
) -> Vec<u8> {
    let alloc: Vec<&Sec> = sections.iter().filter(|s| s.flags & SHF_ALLOC != 0).collect();
    let phnum = alloc.len() as u32;
    let mut out = vec![0u8; 52 + 32 * phnum as usize];
    let mut offsets = Vec::new();
    for sec in sections {
        let len = out.len() as u32;
        let offset = len + (sec.addr.wrapping_sub(len)) % 0x1000;
        out.resize(offset as usize, 0);
        offsets.push(offset);
        if let Some(data) = &sec.data {
            out.extend_from_slice(data);
        }
    }
    let mut strtab = vec![0u8];
    let mut symtab = vec![0u8; 16];
    for &(name, value, size, info, shndx) in symbols {
        put32(&mut symtab, strtab.len() as u32);
        strtab.extend_from_slice(name.as_bytes());
        strtab.push(0);
        put32(&mut symtab, value);
        put32(&mut symtab, size);
        symtab.push(info);
        symtab.push(0);
        put16(&mut symtab, shndx);
    }
    let mut shstrtab = vec![0u8];
    let mut name_of = |name: &str| {
        let at = shstrtab.len() as u32;
        shstrtab.extend_from_slice(name.as_bytes());
        shstrtab.push(0);
        at
    };
    let sec_names: Vec<u32> = sections.iter().map(|s| name_of(s.name)).collect();
    let (symtab_name, strtab_name, shstrtab_name) =
        (name_of(".symtab"), name_of(".strtab"), name_of(".shstrtab"));
    let symtab_off = out.len() as u32;
    out.extend_from_slice(&symtab);
    let strtab_off = out.len() as u32;
    out.extend_from_slice(&strtab);
    let shstrtab_off = out.len() as u32;
    out.extend_from_slice(&shstrtab);
    while out.len() % 4 != 0 {
        out.push(0);
    }
    let shoff = out.len() as u32;
    let nsec = sections.len() as u32;
    let shnum = nsec + 4;
    if section_headers {
        out.extend_from_slice(&[0; 40]);
        for (i, sec) in sections.iter().enumerate() {
            let (ty, size) = match &sec.data {
                Some(data) => (1, data.len() as u32),
                None => (8, sec.nobits_size),
            };
            for v in [sec_names[i], ty, sec.flags, sec.addr, offsets[i], size, 0, 0, 4, 0] {
                put32(&mut out, v);
            }
        }
        let locals = symbols.iter().filter(|s| s.3 >> 4 == 0).count() as u32 + 1;
        for v in [symtab_name, 2, 0, 0, symtab_off, symtab.len() as u32, nsec + 2, locals, 4, 16] {
            put32(&mut out, v);
        }
        for v in [strtab_name, 3, 0, 0, strtab_off, strtab.len() as u32, 0, 0, 1, 0] {
            put32(&mut out, v);
        }
        for v in [shstrtab_name, 3, 0, 0, shstrtab_off, shstrtab.len() as u32, 0, 0, 1, 0] {
            put32(&mut out, v);
        }
    }
    let mut header = Vec::new();
    header.extend_from_slice(&[0x7f, b'E', b'L', b'F', 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    put16(&mut header, 2);
    put16(&mut header, machine);
    put32(&mut header, 1);
    put32(&mut header, alloc.first().map_or(0, |s| s.addr));
    put32(&mut header, 52);
    put32(&mut header, if section_headers { shoff } else { 0 });
    put32(&mut header, e_flags);
    put16(&mut header, 52);
    put16(&mut header, 32);
    put16(&mut header, phnum as u16);
    put16(&mut header, 40);
    put16(&mut header, if section_headers { shnum as u16 } else { 0 });
    put16(&mut header, if section_headers { shnum as u16 - 1 } else { 0 });
    for (i, sec) in sections.iter().enumerate().filter(|(_, s)| s.flags & SHF_ALLOC != 0) {
        let filesz = sec.data.as_ref().map_or(0, |d| d.len() as u32);
        let memsz = sec.data.as_ref().map_or(sec.nobits_size, |d| d.len() as u32);
        let flags = 4
            | if sec.flags & SHF_WRITE != 0 { 2 } else { 0 }
            | if sec.flags & SHF_EXECINSTR != 0 { 1 } else { 0 };
        for v in [1, offsets[i], sec.addr, sec.addr, filesz, memsz, flags, 0x1000] {
            put32(&mut header, v);
        }
    }
    out[..header.len()].copy_from_slice(&header);
    out
}

/// The code of the sample program: every instruction class once, a padding word and `unimp`.
fn sample_code() -> Vec<u32> {
    let mut words: Vec<u32> = LLVM_MC.iter().map(|(_, w)| *w).collect();
    words.push(0);
    words.push(rv::asm("addi x10, x0, 42"));
    words
}

fn sample_elf(code: &[u32]) -> Vec<u8> {
    let data: Vec<u8> = (0..=255).collect();
    let sections = [
        text(0x8000_0000, code),
        Sec {
            name: ".rodata",
            addr: 0x8001_0000,
            flags: SHF_ALLOC,
            data: Some(code.iter().take(8).flat_map(|w| w.to_le_bytes()).collect()),
            nobits_size: 0,
        },
        Sec {
            name: ".data",
            addr: 0x8002_0000,
            flags: SHF_ALLOC | SHF_WRITE,
            data: Some(data),
            nobits_size: 0,
        },
        Sec { name: ".bss", addr: 0x8002_0100, flags: SHF_ALLOC | SHF_WRITE, data: None, nobits_size: 0x400 },
        Sec { name: ".comment", addr: 0, flags: 0, data: Some(b"Linker: LLD 22\0".to_vec()), nobits_size: 0 },
    ];
    let symbols = [
        ("helper", 0x8000_0010, 8, 0x02, 1),
        ("_start", 0x8000_0000, 16, 0x12, 1),
        ("table", 0x8001_0000, 32, 0x11, 2),
        ("counter", 0x8002_0000, 4, 0x11, 3),
        ("buf", 0x8002_0100, 0x400, 0x11, 4),
    ];
    build_elf(EM_RISCV, 0x10, &sections, &symbols, true)
}

fn words_at(bytes: &[u8], offset: usize, count: usize) -> Vec<u32> {
    bytes[offset..offset + 4 * count]
        .chunks(4)
        .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect()
}

#[test]
fn elf_translation_keeps_the_layout() {
    let rv_code = sample_code();
    let input = sample_elf(&rv_code);
    let (out, stats) = translate_elf_with_stats(&input).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(stats.instructions, rv_code.len() - 2, "all but the zero word and unimp");
    assert_eq!(stats.illegal_words, 2);
    assert_eq!(stats.bytes, 4 * rv_code.len());
    assert_eq!(out.len(), input.len());

    let before = Elf::parse(&input).expect("input parses");
    let after = Elf::parse(&out).expect("output parses");
    assert_eq!(before.header.e_machine, EM_RISCV);
    assert_eq!(after.header.e_machine, ox32::EM_OX32);
    assert_eq!(after.header.e_flags, 0);
    assert_eq!(after.header.e_type, before.header.e_type);
    assert_eq!(after.entry, before.entry);
    assert_eq!(after.program_headers, before.program_headers);
    assert_eq!(after.section_headers, before.section_headers);
    let names = |elf: &Elf| -> Vec<(String, u64, u64, u8)> {
        elf.syms
            .iter()
            .map(|s| {
                (elf.strtab.get_at(s.st_name).unwrap_or("").to_string(), s.st_value, s.st_size, s.st_info)
            })
            .collect()
    };
    assert_eq!(names(&after), names(&before));
    assert_eq!(names(&after).len(), 6);

    // Only the text words and the two header fields differ.
    let text = &before.section_headers[1];
    let (start, end) = (text.sh_offset as usize, (text.sh_offset + text.sh_size) as usize);
    for (i, (a, b)) in input.iter().zip(&out).enumerate() {
        if !(start..end).contains(&i) && !(18..20).contains(&i) && !(36..40).contains(&i) {
            assert_eq!(a, b, "byte {i:#x} changed");
        }
    }
    // The `.rodata` copy of the first words is data: untouched.
    let rodata = &after.section_headers[2];
    assert_eq!(words_at(&out, rodata.sh_offset as usize, 8), rv_code[..8]);
    // Every text word is the translation of the RV word at the same address.
    for (i, (rv_word, ox_word)) in rv_code.iter().zip(words_at(&out, start, rv_code.len())).enumerate() {
        let expected = translate_word(*rv_word).expect("translates").word();
        assert_eq!(ox_word, expected, "word {i}");
    }

    // What the emulator's loader checks (toolchain tests cannot depend on the emulator crate):
    // ELF32, little-endian, ox32, ET_EXEC, PT_LOAD segments inside the file and inside RAM.
    assert!(!after.is_64 && after.little_endian);
    for ph in after.program_headers.iter().filter(|ph| ph.p_type == goblin::elf::program_header::PT_LOAD) {
        assert!(ph.p_offset + ph.p_filesz <= out.len() as u64);
        assert!(ph.p_filesz <= ph.p_memsz);
        assert!(ph.p_paddr >= u64::from(ox32::memmap::RAM_BASE));
    }
    // oxdis reads it as an ox32 executable.
    let listing = orrery_toolchain::disasm::disassemble_elf(&out).unwrap_or_else(|e| panic!("{e}"));
    assert!(listing.contains("<_start>:"), "{listing}");
    assert!(listing.contains("addi\tt0, t1, -2048") || listing.contains("addi t0, t1, -2048"), "{listing}");
    assert!(listing.contains("tlbflush"), "{listing}");
    assert!(listing.contains("li a0, 42") || listing.contains("li\ta0, 42"), "{listing}");
}

#[test]
fn elf_errors_name_address_word_and_reason_sorted() {
    let mut words = vec![rv::asm("addi x1, x0, 1"); 64];
    words[3] = 0x0000_0053; // fadd.s
    words[10] = rv::csr(0x300, 0, 2, 10); // csrr a0, mstatus
    words[5] = 0x0000_000b; // custom-0
    let init = Sec {
        name: ".init",
        addr: 0x7fff_f000,
        flags: SHF_ALLOC | SHF_EXECINSTR,
        data: Some(code(&[0x0000_0013, 0x0000_4501, 0x0000_0053, 0x0000_0053])),
        nobits_size: 0,
    };
    let input = build_elf(EM_RISCV, 0, &[text(0x8000_0000, &words), init], &[], true);
    let errors = translate_elf(&input).expect_err("errors");
    let lines: Vec<String> = errors.errors.iter().map(TranslateError::to_string).collect();
    assert_eq!(
        lines,
        [
            "0x7ffff004: word 0x00004501: compressed instruction (RVC is not supported; build for riscv32ima)",
            "0x8000000c: word 0x00000053: floating-point instruction (OP-FP; F and D are not supported; build for riscv32ima)",
            "0x80000014: word 0x0000000b: unknown opcode 0x0b (custom-0; not RV32IMA)",
            "0x80000028: word 0x30002573: unknown CSR 0x300 (only ox32 control-register numbers and the RV counters cycle, time, instret and their high halves are translated)",
        ]
    );
    assert_eq!(errors.omitted, 0);
}

#[test]
fn elf_errors_are_capped() {
    let words = vec![0x0000_0053u32; 100];
    let input = build_elf(EM_RISCV, 0, &[text(0x8000_0000, &words)], &[], true);
    let errors = translate_elf(&input).expect_err("errors");
    assert_eq!(errors.errors.len(), MAX_ERRORS);
    assert_eq!(errors.omitted, 100 - MAX_ERRORS);
    assert_eq!(errors.errors[0].addr(), Some(0x8000_0000));
    assert_eq!(errors.errors[MAX_ERRORS - 1].addr(), Some(0x8000_0000 + 4 * (MAX_ERRORS as u32 - 1)));
    assert!(errors.to_string().ends_with("\n... and 80 more errors"));
}

#[test]
fn elf_section_shape_errors() {
    let misaligned = Sec {
        name: ".text",
        addr: 0x8000_0002,
        flags: SHF_ALLOC | SHF_EXECINSTR,
        data: Some(code(&[0x13])),
        nobits_size: 0,
    };
    let input = build_elf(EM_RISCV, 0, &[misaligned], &[], true);
    assert_eq!(
        translate_elf(&input).expect_err("misaligned").to_string(),
        "0x80000002: section `.text`: starts at 0x80000002, which is not a multiple of 4"
    );
    let mut odd = code(&[0x13, 0x13]);
    odd.extend_from_slice(&[0x01, 0x45]);
    let sec = Sec {
        name: ".text",
        addr: 0x8000_0000,
        flags: SHF_ALLOC | SHF_EXECINSTR,
        data: Some(odd),
        nobits_size: 0,
    };
    let input = build_elf(EM_RISCV, 0, &[sec], &[], true);
    assert_eq!(
        translate_elf(&input).expect_err("odd size").to_string(),
        "0x80000000: section `.text`: size 0xa is not a multiple of 4 (ox32 and RV32IMA code are 32-bit words)"
    );
    let data_only = Sec {
        name: ".data",
        addr: 0x8000_0000,
        flags: SHF_ALLOC | SHF_WRITE,
        data: Some(vec![1; 8]),
        nobits_size: 0,
    };
    let input = build_elf(EM_RISCV, 0, &[data_only], &[], true);
    assert_eq!(
        translate_elf(&input).expect_err("no code").to_string(),
        "no executable section: nothing to translate"
    );
}

#[test]
fn elf_without_section_headers_uses_executable_segments() {
    let words = sample_code();
    let data = Sec {
        name: ".data",
        addr: 0x8002_0000,
        flags: SHF_ALLOC | SHF_WRITE,
        data: Some(code(&[0x53; 4])),
        nobits_size: 0,
    };
    let input = build_elf(EM_RISCV, 0, &[text(0x8000_0000, &words), data], &[], false);
    let (out, stats) = translate_elf_with_stats(&input).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(stats.instructions + stats.illegal_words, words.len());
    let elf = Elf::parse(&out).expect("parses");
    assert!(elf.section_headers.is_empty());
    let text_ph = &elf.program_headers[0];
    let translated = words_at(&out, text_ph.p_offset as usize, words.len());
    assert_eq!(translated[0], translate_word(words[0]).expect("ok").word());
    // The data segment holds float-looking words and is not touched.
    let data_ph = &elf.program_headers[1];
    assert_eq!(words_at(&out, data_ph.p_offset as usize, 4), [0x53; 4]);
    // An error in a segment is named after it.
    let input = build_elf(EM_RISCV, 0, &[text(0x8000_0000, &[0x13, 0x53])], &[], false);
    assert_eq!(
        translate_elf(&input).expect_err("float").to_string(),
        "0x80000004: word 0x00000053: floating-point instruction (OP-FP; F and D are not supported; build for riscv32ima)"
    );
}

#[test]
fn wrong_kinds_of_file_get_clear_errors() {
    let message = |bytes: &[u8]| translate_elf(bytes).expect_err("rejected").to_string();
    // An ox32 file: our own output, translated again.
    let ox = translate_elf(&sample_elf(&sample_code())).expect("translates");
    assert_eq!(
        message(&ox),
        "already an ox32 executable (e_machine 0x4f58); rv2ox translates RISC-V executables (e_machine EM_RISCV = 243)"
    );
    // Another machine (x86: 3).
    let x86 = build_elf(3, 0, &[text(0x8000_0000, &[0x13])], &[], true);
    assert_eq!(message(&x86), "not a RISC-V executable: e_machine is 3, expected EM_RISCV = 243");
    // A 64-bit file: the same header with ELFCLASS64.
    let mut rv64 = sample_elf(&[0x13]);
    rv64[4] = 2;
    assert_eq!(
        message(&rv64),
        "not a 32-bit ELF file (ELFCLASS32); rv2ox translates RV32 executables, not RV64"
    );
    let mut big = sample_elf(&[0x13]);
    big[5] = 2;
    assert_eq!(message(&big), "a big-endian ELF file; RV32 and ox32 are little-endian");
    let mut object = sample_elf(&[0x13]);
    object[16] = 1;
    assert_eq!(message(&object), "e_type is 1, not an executable (ET_EXEC = 2); translate linked programs");
    assert_eq!(
        message(b"\x7fELF"),
        "not a 32-bit ELF file (ELFCLASS32); rv2ox translates RV32 executables, not RV64"
    );
    assert_eq!(message(b"#!/bin/sh\n"), "not an ELF file (bad magic number)");
    assert_eq!(message(&[]), "not an ELF file (bad magic number)");
    assert_eq!(message(&sample_elf(&[0x13])[..40]), "truncated ELF header (40 bytes, ELF32 needs 52)");
}

/// A small deterministic generator for the malformed-input and speed tests.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u32 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 16) as u32
    }
}

#[test]
fn malformed_elf_never_panics() {
    let input = sample_elf(&sample_code());
    // Every truncation.
    for len in 0..input.len() {
        let _ = translate_elf(&input[..len]);
    }
    // Flips of single bytes in the headers and tables, and random multi-byte damage.
    let shoff = u32::from_le_bytes([input[32], input[33], input[34], input[35]]) as usize;
    let mut rng = XorShift(0x9e37_79b9_7f4a_7c15);
    let interesting: Vec<usize> = (0..52 + 32 * 4).chain(shoff..input.len()).collect();
    for &i in &interesting {
        for v in [0x00, 0xff, 0x80, 0x7f] {
            let mut bad = input.clone();
            bad[i] = v;
            check_output_if_ok(&bad);
        }
    }
    for _ in 0..3000 {
        let mut bad = input.clone();
        for _ in 0..1 + rng.next() % 4 {
            let i = interesting[rng.next() as usize % interesting.len()];
            bad[i] = rng.next() as u8;
        }
        check_output_if_ok(&bad);
    }
}

/// When damaged input still translates, the output keeps the size and the ox32 header fields.
fn check_output_if_ok(bytes: &[u8]) {
    if let Ok(out) = translate_elf(bytes) {
        assert_eq!(out.len(), bytes.len());
        assert_eq!(u16::from_le_bytes([out[18], out[19]]), ox32::EM_OX32);
    }
}

/// The translator's speed on a million random valid instructions in one section. Run with
/// `cargo test -p orrery-toolchain --release --test rv2ox -- --ignored --nocapture speed`.
#[test]
#[ignore = "a measurement, not a check; run in release"]
fn speed_on_a_million_instructions() {
    let mut rng = XorShift(1);
    let words: Vec<u32> =
        (0..1_000_000).map(|_| random_word(rng.next() % 16, rng.next(), rng.next())).collect();
    let input = build_elf(EM_RISCV, 0, &[text(0x8000_0000, &words)], &[], true);
    let mut best = f64::MAX;
    for _ in 0..5 {
        let start = std::time::Instant::now();
        let (_, stats) = translate_elf_with_stats(&input).unwrap_or_else(|e| panic!("{e}"));
        best = best.min(start.elapsed().as_secs_f64());
        assert_eq!(stats.instructions + stats.illegal_words, words.len());
    }
    println!(
        "rv2ox: {} instructions in {:.1} ms: {:.1} M instructions/s",
        words.len(),
        best * 1e3,
        words.len() as f64 / best / 1e6
    );
}
