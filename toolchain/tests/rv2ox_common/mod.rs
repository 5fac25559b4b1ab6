//! Shared by the `rv2ox` test files: a RISC-V encoder and tiny assembler written from the bit
//! layouts of the RISC-V specification (independent of the translator's decoder), the encodings
//! `llvm-mc` gives for a set of lines (checked against the encoder), a generator of random valid
//! RV32IMA words, and a small deterministic random-number generator.
//!
//! Each test file uses a different part of this module, hence `dead_code` is allowed here.

#![allow(dead_code)]

use ox32::cr;

/// A RISC-V encoder and a tiny assembler for the syntax `llvm-mc` prints, from the
/// specification's bit layouts.
pub mod rv {
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
pub const LLVM_MC: [(&str, u32); 79] = [
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

/// RV counter CSRs and the ox32 registers they become (docs/isa.md §8), written out here
/// independently of the translator's table.
pub const RV_COUNTERS: [(u32, u16); 6] = [
    (0xc00, cr::CYCLE),
    (0xc80, cr::CYCLEH),
    (0xc01, cr::TIME),
    (0xc81, cr::TIMEH),
    (0xc02, cr::CYCLE),
    (0xc82, cr::CYCLEH),
];

/// A valid RV32IMA (+ Zicsr, Zifencei, privileged) word built from random bits: `class` picks
/// the instruction family, `a` and `b` fill its fields.
pub fn random_word(class: u32, a: u32, b: u32) -> u32 {
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

/// A small deterministic generator (xorshift64) for tests that need many inputs.
pub struct XorShift(pub u64);

impl XorShift {
    pub fn next(&mut self) -> u32 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 16) as u32
    }
}
