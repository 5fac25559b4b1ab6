//! Table tests: specific words ↔ instructions ↔ disassembly text, covering every mnemonic and
//! every alias the disassembler prints.
//!
//! The words were computed independently of the encoder, from the format table in `docs/isa.md`.

use ox32::{
    decode, disassemble, encode, AluImmOp, AluOp, AmoOp, BranchCond, CrOp, Instruction, LoadWidth, Ordering,
    Reg, ShiftOp, StoreWidth,
};

/// The register with ABI name `name`.
fn r(name: &str) -> Reg {
    Reg::parse(name).unwrap_or_else(|| panic!("no register {name}"))
}

const NONE: Ordering = Ordering { aq: false, rl: false };
const AQ: Ordering = Ordering { aq: true, rl: false };
const RL: Ordering = Ordering { aq: false, rl: true };
const AQRL: Ordering = Ordering { aq: true, rl: true };

fn alu(op: AluOp, rd: &str, rs1: &str, rs2: &str) -> Instruction {
    Instruction::Alu { op, rd: r(rd), rs1: r(rs1), rs2: r(rs2) }
}

fn amo(op: AmoOp, order: Ordering) -> Instruction {
    Instruction::Amo { op, rd: r("s0"), rs1: r("s2"), rs2: r("s1"), order }
}

fn cr(op: CrOp, rd: &str, cr: u16, src: u8) -> Instruction {
    Instruction::Cr { op, rd: r(rd), cr, src }
}

fn table() -> Vec<(u32, Instruction, &'static str)> {
    use Instruction as I;
    vec![
        (0x0541_2345, I::Lui { rd: r("a0"), imm20: 0x12345 }, "lui a0, 0x12345"),
        (0x08cf_ffff, I::Auipc { rd: r("t1"), imm20: 0xfffff }, "auipc t1, 0xfffff"),
        (0x0c20_0800, I::Jal { rd: r("ra"), offset: 2048 }, "jal ra, .+2048"),
        (0x0c30_0000, I::Jal { rd: r("ra"), offset: -1048576 }, "jal ra, .-1048576"),
        (0x0c0f_fffc, I::Jal { rd: r("zero"), offset: 1048572 }, "j .+1048572"),
        (0x10af_fffc, I::Jalr { rd: r("t0"), rs1: r("a5"), offset: -4 }, "jalr t0, -4(a5)"),
        (0x1001_0000, I::Jalr { rd: r("zero"), rs1: r("ra"), offset: 0 }, "ret"),
        (
            0x214b_0008,
            I::Branch { cond: BranchCond::Eq, rs1: r("a0"), rs2: r("a1"), offset: 8 },
            "beq a0, a1, .+8",
        ),
        (
            0x2500_8000,
            I::Branch { cond: BranchCond::Ne, rs1: r("s0"), rs2: r("zero"), offset: -32768 },
            "bne s0, zero, .-32768",
        ),
        (
            0x2b9d_7ffc,
            I::Branch { cond: BranchCond::Lt, rs1: r("t3"), rs2: r("t4"), offset: 32764 },
            "blt t3, t4, .+32764",
        ),
        (
            0x2c43_0004,
            I::Branch { cond: BranchCond::Ge, rs1: r("sp"), rs2: r("gp"), offset: 4 },
            "bge sp, gp, .+4",
        ),
        (
            0x318d_fffc,
            I::Branch { cond: BranchCond::Ltu, rs1: r("a2"), rs2: r("a3"), offset: -4 },
            "bltu a2, a3, .-4",
        ),
        (
            0x377f_0000,
            I::Branch { cond: BranchCond::Geu, rs1: r("s11"), rs2: r("t6"), offset: 0 },
            "bgeu s11, t6, .+0",
        ),
        (0x4142_0000, I::Load { width: LoadWidth::B, rd: r("a0"), rs1: r("sp"), offset: 0 }, "lb a0, 0(sp)"),
        (
            0x4568_fffe,
            I::Load { width: LoadWidth::H, rd: r("a1"), rs1: r("s0"), offset: -2 },
            "lh a1, -2(s0)",
        ),
        (
            0x4822_7fff,
            I::Load { width: LoadWidth::W, rd: r("ra"), rs1: r("sp"), offset: 32767 },
            "lw ra, 32767(sp)",
        ),
        (
            0x4cf1_8000,
            I::Load { width: LoadWidth::Bu, rd: r("t2"), rs1: r("a7"), offset: -32768 },
            "lbu t2, -32768(a7)",
        ),
        (
            0x5244_0006,
            I::Load { width: LoadWidth::Hu, rd: r("s2"), rs1: r("tp"), offset: 6 },
            "lhu s2, 6(tp)",
        ),
        (
            0x614b_0001,
            I::Store { width: StoreWidth::B, rs1: r("a1"), rs2: r("a0"), offset: 1 },
            "sb a0, 1(a1)",
        ),
        (
            0x6402_fffe,
            I::Store { width: StoreWidth::H, rs1: r("sp"), rs2: r("zero"), offset: -2 },
            "sh zero, -2(sp)",
        ),
        (
            0x6822_000c,
            I::Store { width: StoreWidth::W, rs1: r("sp"), rs2: r("ra"), offset: 12 },
            "sw ra, 12(sp)",
        ),
        (
            0x8042_fff0,
            I::AluImm { op: AluImmOp::Addi, rd: r("sp"), rs1: r("sp"), imm: -16 },
            "addi sp, sp, -16",
        ),
        (0x8000_0000, I::AluImm { op: AluImmOp::Addi, rd: r("zero"), rs1: r("zero"), imm: 0 }, "nop"),
        (0x8140_ffff, I::AluImm { op: AluImmOp::Addi, rd: r("a0"), rs1: r("zero"), imm: -1 }, "li a0, -1"),
        (0x812a_0000, I::AluImm { op: AluImmOp::Addi, rd: r("s1"), rs1: r("a0"), imm: 0 }, "mv s1, a0"),
        (
            0x84a6_fffb,
            I::AluImm { op: AluImmOp::Slti, rd: r("t0"), rs1: r("t1"), imm: -5 },
            "slti t0, t1, -5",
        ),
        (
            0x894a_0001,
            I::AluImm { op: AluImmOp::Sltiu, rd: r("a0"), rs1: r("a0"), imm: 1 },
            "sltiu a0, a0, 1",
        ),
        (
            0x8d4b_ffff,
            I::AluImm { op: AluImmOp::Xori, rd: r("a0"), rs1: r("a1"), imm: -1 },
            "xori a0, a1, -1",
        ),
        (
            0x918d_00ff,
            I::AluImm { op: AluImmOp::Ori, rd: r("a2"), rs1: r("a3"), imm: 255 },
            "ori a2, a3, 255",
        ),
        (
            0x95cf_0fff,
            I::AluImm { op: AluImmOp::Andi, rd: r("a4"), rs1: r("a5"), imm: 4095 },
            "andi a4, a5, 4095",
        ),
        (
            0xa14b_001f,
            I::ShiftImm { op: ShiftOp::Slli, rd: r("a0"), rs1: r("a1"), shamt: 31 },
            "slli a0, a1, 31",
        ),
        (
            0xa4a6_0000,
            I::ShiftImm { op: ShiftOp::Srli, rd: r("t0"), rs1: r("t1"), shamt: 0 },
            "srli t0, t1, 0",
        ),
        (
            0xaa74_0007,
            I::ShiftImm { op: ShiftOp::Srai, rd: r("s3"), rs1: r("s4"), shamt: 7 },
            "srai s3, s4, 7",
        ),
        (0xc14b_6000, alu(AluOp::Add, "a0", "a1", "a2"), "add a0, a1, a2"),
        (0xc14b_6001, alu(AluOp::Sub, "a0", "a1", "a2"), "sub a0, a1, a2"),
        (0xc14b_6002, alu(AluOp::Sll, "a0", "a1", "a2"), "sll a0, a1, a2"),
        (0xc14b_6003, alu(AluOp::Slt, "a0", "a1", "a2"), "slt a0, a1, a2"),
        (0xc14b_6004, alu(AluOp::Sltu, "a0", "a1", "a2"), "sltu a0, a1, a2"),
        (0xc14b_6005, alu(AluOp::Xor, "a0", "a1", "a2"), "xor a0, a1, a2"),
        (0xc14b_6006, alu(AluOp::Srl, "a0", "a1", "a2"), "srl a0, a1, a2"),
        (0xc14b_6007, alu(AluOp::Sra, "a0", "a1", "a2"), "sra a0, a1, a2"),
        (0xc14b_6008, alu(AluOp::Or, "a0", "a1", "a2"), "or a0, a1, a2"),
        (0xc14b_6009, alu(AluOp::And, "a0", "a1", "a2"), "and a0, a1, a2"),
        (0xc3fa_0810, alu(AluOp::Mul, "t6", "s10", "ra"), "mul t6, s10, ra"),
        (0xc3fa_0811, alu(AluOp::Mulh, "t6", "s10", "ra"), "mulh t6, s10, ra"),
        (0xc3fa_0812, alu(AluOp::Mulhsu, "t6", "s10", "ra"), "mulhsu t6, s10, ra"),
        (0xc3fa_0813, alu(AluOp::Mulhu, "t6", "s10", "ra"), "mulhu t6, s10, ra"),
        (0xc3fa_0814, alu(AluOp::Div, "t6", "s10", "ra"), "div t6, s10, ra"),
        (0xc3fa_0815, alu(AluOp::Divu, "t6", "s10", "ra"), "divu t6, s10, ra"),
        (0xc3fa_0816, alu(AluOp::Rem, "t6", "s10", "ra"), "rem t6, s10, ra"),
        (0xc3fa_0817, alu(AluOp::Remu, "t6", "s10", "ra"), "remu t6, s10, ra"),
        (0xc54b_0000, I::Lr { rd: r("a0"), rs1: r("a1"), order: NONE }, "lr.w a0, (a1)"),
        (0xc4a2_0600, I::Lr { rd: r("t0"), rs1: r("sp"), order: AQRL }, "lr.w.aqrl t0, (sp)"),
        (0xc58e_6801, I::Sc { rd: r("a2"), rs1: r("a4"), rs2: r("a3"), order: NONE }, "sc.w a2, a3, (a4)"),
        (0xc58e_6a01, I::Sc { rd: r("a2"), rs1: r("a4"), rs2: r("a3"), order: RL }, "sc.w.rl a2, a3, (a4)"),
        (0xc512_4802, amo(AmoOp::Swap, NONE), "amoswap.w s0, s1, (s2)"),
        (0xc512_4c03, amo(AmoOp::Add, AQ), "amoadd.w.aq s0, s1, (s2)"),
        (0xc512_4a04, amo(AmoOp::Xor, RL), "amoxor.w.rl s0, s1, (s2)"),
        (0xc512_4e05, amo(AmoOp::And, AQRL), "amoand.w.aqrl s0, s1, (s2)"),
        (0xc512_4806, amo(AmoOp::Or, NONE), "amoor.w s0, s1, (s2)"),
        (0xc512_4c07, amo(AmoOp::Min, AQ), "amomin.w.aq s0, s1, (s2)"),
        (0xc512_4a08, amo(AmoOp::Max, RL), "amomax.w.rl s0, s1, (s2)"),
        (0xc512_4e09, amo(AmoOp::Minu, AQRL), "amominu.w.aqrl s0, s1, (s2)"),
        (0xc512_480a, amo(AmoOp::Maxu, NONE), "amomaxu.w s0, s1, (s2)"),
        (0xe14b_0000, cr(CrOp::Rw, "a0", 0x000, 11), "crrw a0, status, a1"),
        (0xe005_1001, cr(CrOp::Rs, "zero", 0x001, 5), "crrs zero, tvec, t0"),
        (0xe160_2002, cr(CrOp::Rc, "a1", 0x002, 0), "crrc a1, epc, zero"),
        (0xe19f_4003, cr(CrOp::Rwi, "a2", 0x003, 31), "crrwi a2, cause, 31"),
        (0xe1a1_5004, cr(CrOp::Rsi, "a3", 0x004, 1), "crrsi a3, badaddr, 1"),
        (0xe1c0_6005, cr(CrOp::Rci, "a4", 0x005, 0), "crrci a4, scratch0, 0"),
        (0xe140_1006, cr(CrOp::Rs, "a0", 0x006, 0), "crrs a0, scratch1, zero"),
        (0xe00a_0007, cr(CrOp::Rw, "zero", 0x007, 10), "crrw zero, ptbr, a0"),
        (0xe140_1008, cr(CrOp::Rs, "a0", 0x008, 0), "crrs a0, nodeid, zero"),
        (0xe140_1010, cr(CrOp::Rs, "a0", 0x010, 0), "crrs a0, cycle, zero"),
        (0xe160_1011, cr(CrOp::Rs, "a1", 0x011, 0), "crrs a1, cycleh, zero"),
        (0xe140_1012, cr(CrOp::Rs, "a0", 0x012, 0), "crrs a0, time, zero"),
        (0xe160_1013, cr(CrOp::Rs, "a1", 0x013, 0), "crrs a1, timeh, zero"),
        (0xe14a_0fff, cr(CrOp::Rw, "a0", 0xfff, 10), "crrw a0, 0xfff, a0"),
        (0xe800_0330, I::Fence { fm: 0, pred: 3, succ: 3 }, "fence rw, rw"),
        (0xe800_0ff0, I::Fence { fm: 0, pred: 15, succ: 15 }, "fence iorw, iorw"),
        (0xe800_0840, I::Fence { fm: 0, pred: 8, succ: 4 }, "fence i, o"),
        (0xe800_0000, I::Fence { fm: 0, pred: 0, succ: 0 }, "fence 0, 0"),
        (0xe800_8330, I::Fence { fm: 8, pred: 3, succ: 3 }, "fence.tso"),
        (0xe400_0000, I::Syscall, "syscall"),
        (0xe400_0001, I::Break, "break"),
        (0xe400_0002, I::Eret, "eret"),
        (0xe400_0003, I::Wait, "wait"),
        (0xe40a_5804, I::TlbFlush { rs1: r("a0"), rs2: r("a1") }, "tlbflush a0, a1"),
        (0xe400_0004, I::TlbFlush { rs1: r("zero"), rs2: r("zero") }, "tlbflush zero, zero"),
        (0xe400_0005, I::FenceI, "fence.i"),
    ]
}

#[test]
fn words_decode_encode_and_print() {
    for (word, inst, text) in table() {
        assert_eq!(decode(word), Ok(inst), "decode {word:#010x} ({text})");
        assert_eq!(encode(&inst), word, "encode {text}");
        assert_eq!(inst.to_string(), text, "display {word:#010x}");
    }
}

#[test]
fn table_covers_every_mnemonic() {
    let mut mnemonics: Vec<String> = table()
        .iter()
        .map(|(_, inst, _)| inst.to_string().split(' ').next().unwrap_or_default().to_string())
        .map(|m| m.trim_end_matches(".aqrl").trim_end_matches(".aq").trim_end_matches(".rl").to_string())
        .collect();
    mnemonics.sort();
    mnemonics.dedup();
    let expected = [
        "add",
        "addi",
        "amoadd.w",
        "amoand.w",
        "amomax.w",
        "amomaxu.w",
        "amomin.w",
        "amominu.w",
        "amoor.w",
        "amoswap.w",
        "amoxor.w",
        "and",
        "andi",
        "auipc",
        "beq",
        "bge",
        "bgeu",
        "blt",
        "bltu",
        "bne",
        "break",
        "crrc",
        "crrci",
        "crrs",
        "crrsi",
        "crrw",
        "crrwi",
        "div",
        "divu",
        "eret",
        "fence",
        "fence.i",
        "fence.tso",
        "j",
        "jal",
        "jalr",
        "lb",
        "lbu",
        "lh",
        "lhu",
        "li",
        "lr.w",
        "lui",
        "lw",
        "mul",
        "mulh",
        "mulhsu",
        "mulhu",
        "mv",
        "nop",
        "or",
        "ori",
        "rem",
        "remu",
        "ret",
        "sb",
        "sc.w",
        "sh",
        "sll",
        "slli",
        "slt",
        "slti",
        "sltiu",
        "sltu",
        "sra",
        "srai",
        "srl",
        "srli",
        "sub",
        "sw",
        "syscall",
        "tlbflush",
        "wait",
        "xor",
        "xori",
    ];
    assert_eq!(mnemonics, expected);
}

#[test]
fn disassemble_prints_absolute_targets_and_symbols() {
    let symbols = |addr: u32| (addr == 0x8000_0100).then(|| "main".to_string());
    let jal = Instruction::Jal { rd: Reg::RA, offset: 0x100 };
    assert_eq!(disassemble(&jal, 0x8000_0000, &symbols), "jal ra, 0x80000100 <main>");
    let back = Instruction::Branch { cond: BranchCond::Ne, rs1: r("a0"), rs2: Reg::ZERO, offset: -8 };
    assert_eq!(disassemble(&back, 0x8000_0010, &symbols), "bne a0, zero, 0x80000008");
    // Targets wrap around the address space like the PC does.
    let wrap = Instruction::Jal { rd: Reg::ZERO, offset: -8 };
    assert_eq!(disassemble(&wrap, 0, &symbols), "j 0xfffffff8");
    // Non-branches print the same as `Display`.
    let add = alu(AluOp::Add, "a0", "a1", "a2");
    assert_eq!(disassemble(&add, 0x1234, &symbols), add.to_string());
}

#[test]
fn register_names_parse_and_print() {
    for n in 0..32 {
        let reg = Reg::new(n).expect("n < 32");
        assert_eq!(Reg::parse(&format!("r{n}")), Some(reg));
        assert_eq!(Reg::parse(&format!("x{n}")), Some(reg));
        assert_eq!(Reg::parse(reg.abi_name()), Some(reg));
        assert_eq!(reg.to_string(), reg.abi_name());
    }
    assert_eq!(Reg::parse("fp"), Some(r("s0")));
    for bad in ["r32", "x01", "r", "a8", "R1", "", "r-1"] {
        assert_eq!(Reg::parse(bad), None, "{bad:?}");
    }
    assert_eq!(Reg::new(32), None);
}
