//! A strict decoder for RV32IMA + Zicsr + Zifencei and the four privileged instructions a kernel
//! needs (`sret`, `mret`, `wfi`, `sfence.vma`): RISC-V word → [`RvInstruction`].
//!
//! This is the translator's only reader of RISC-V bits. It follows the RISC-V unprivileged
//! specification (20191213) and the privileged specification (20211203) field by field, and it
//! is strict where the specifications reserve: a word decodes only if it is exactly one of the
//! instructions above with every reserved field as the specification requires. The operation
//! kinds (`BranchCond`, `LoadWidth`, `AluOp`, ...) are the ox32 crate's, because the operations
//! are the same ones; operands keep RISC-V's meaning (control-register numbers are RISC-V CSR
//! numbers, which [`super::map`] translates).
//!
//! Immediates are stored as the values they mean, already sign-extended: a 12-bit I/S immediate
//! and a 13-bit branch offset always fit an `i16`, a 21-bit `jal` offset an `i32`.

use core::fmt;

use ox32::{AluImmOp, AluOp, AmoOp, BranchCond, CrOp, LoadWidth, Ordering, Reg, ShiftOp, StoreWidth};

/// One decoded RV32 instruction.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RvInstruction {
    /// `lui rd, imm20`.
    Lui { rd: Reg, imm20: u32 },
    /// `auipc rd, imm20`.
    Auipc { rd: Reg, imm20: u32 },
    /// `jal rd, offset` (even, signed 21 bits).
    Jal { rd: Reg, offset: i32 },
    /// `jalr rd, offset(rs1)` (signed 12 bits).
    Jalr { rd: Reg, rs1: Reg, offset: i16 },
    /// `beq`/`bne`/`blt`/`bge`/`bltu`/`bgeu rs1, rs2, offset` (even, signed 13 bits).
    Branch { cond: BranchCond, rs1: Reg, rs2: Reg, offset: i16 },
    /// `lb`/`lh`/`lw`/`lbu`/`lhu rd, offset(rs1)`.
    Load { width: LoadWidth, rd: Reg, rs1: Reg, offset: i16 },
    /// `sb`/`sh`/`sw rs2, offset(rs1)`.
    Store { width: StoreWidth, rs1: Reg, rs2: Reg, offset: i16 },
    /// `addi`/`slti`/`sltiu`/`xori`/`ori`/`andi rd, rs1, imm` (signed 12 bits).
    AluImm { op: AluImmOp, rd: Reg, rs1: Reg, imm: i16 },
    /// `slli`/`srli`/`srai rd, rs1, shamt` (`shamt < 32`).
    ShiftImm { op: ShiftOp, rd: Reg, rs1: Reg, shamt: u8 },
    /// The register–register operations of RV32I and M.
    Alu { op: AluOp, rd: Reg, rs1: Reg, rs2: Reg },
    /// `lr.w rd, (rs1)`.
    Lr { rd: Reg, rs1: Reg, order: Ordering },
    /// `sc.w rd, rs2, (rs1)`.
    Sc { rd: Reg, rs1: Reg, rs2: Reg, order: Ordering },
    /// `amo<op>.w rd, rs2, (rs1)`.
    Amo { op: AmoOp, rd: Reg, rs1: Reg, rs2: Reg, order: Ordering },
    /// `csrrw`/`csrrs`/`csrrc` (`src` a register number) and `csrrwi`/`csrrsi`/`csrrci` (`src`
    /// a 5-bit immediate), with the RISC-V CSR number.
    Csr { op: CrOp, rd: Reg, csr: u16, src: u8 },
    /// `fence pred, succ` (fm = 0) or `fence.tso` (fm = 0b1000, pred = succ = `rw`).
    Fence { fm: u8, pred: u8, succ: u8 },
    /// `fence.i`.
    FenceI,
    /// `ecall`.
    Ecall,
    /// `ebreak`.
    Ebreak,
    /// `sret`.
    Sret,
    /// `mret`.
    Mret,
    /// `wfi`.
    Wfi,
    /// `sfence.vma rs1, rs2`.
    SfenceVma { rs1: Reg, rs2: Reg },
}

/// Why a word cannot be translated. The `Display` text is the reason part of the translator's
/// error line (`ADDR: word WORD: REASON`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RvError {
    /// The low two bits are not `0b11`: a 16-bit RVC instruction.
    Compressed,
    /// An F/D/Q instruction; the name of its major opcode (`LOAD-FP`, `OP-FP`, ...).
    FloatingPoint(&'static str),
    /// A 7-bit major opcode that no RV32IMA instruction uses.
    UnknownOpcode(u32),
    /// A major opcode of RV32IMA with function fields that name none of its instructions
    /// (another extension, or RV64): the opcode's name, funct3, and the other distinguishing
    /// field if there is one (its name and value).
    UnknownFunction { opcode: &'static str, funct3: u32, field: Option<(&'static str, u32)> },
    /// An encoding the RISC-V specifications reserve.
    Reserved(&'static str),
    /// A CSR number that is neither an ox32 control register nor one of the mapped RV counters.
    UnknownCsr(u16),
}

impl fmt::Display for RvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            RvError::Compressed => {
                f.write_str("compressed instruction (RVC is not supported; build for riscv32ima)")
            }
            RvError::FloatingPoint(opcode) => write!(
                f,
                "floating-point instruction ({opcode}; F and D are not supported; build for riscv32ima)"
            ),
            RvError::UnknownOpcode(opcode) => {
                write!(f, "unknown opcode {opcode:#04x}")?;
                match opcode_note(opcode) {
                    Some(note) => write!(f, " ({note}; not RV32IMA)"),
                    None => f.write_str(" (not RV32IMA)"),
                }
            }
            RvError::UnknownFunction { opcode, funct3, field } => {
                write!(f, "not an RV32IMA instruction ({opcode}, funct3 = {funct3}")?;
                if let Some((name, value)) = field {
                    write!(f, ", {name} = {value:#x}")?;
                }
                f.write_str(")")
            }
            RvError::Reserved(what) => write!(f, "reserved encoding: {what}"),
            RvError::UnknownCsr(csr) => write!(
                f,
                "unknown CSR {csr:#05x} (only ox32 control-register numbers and the RV counters \
                 cycle, time, instret and their high halves are translated)"
            ),
        }
    }
}

impl std::error::Error for RvError {}

/// What the major opcodes outside RV32IMA are, for error messages.
fn opcode_note(opcode: u32) -> Option<&'static str> {
    Some(match opcode {
        0x0b => "custom-0",
        0x2b => "custom-1",
        0x5b => "custom-2",
        0x7b => "custom-3",
        0x1b => "OP-IMM-32, RV64 only",
        0x3b => "OP-32, RV64 only",
        0x57 => "OP-V, vector extension",
        0x6b | 0x77 => "reserved",
        _ if opcode & 0x1f == 0x1f => "an instruction longer than 32 bits",
        _ => return None,
    })
}

/// Major opcodes (bits 6..0), as the unprivileged specification's opcode map names them.
mod major {
    pub const LOAD: u32 = 0x03;
    pub const LOAD_FP: u32 = 0x07;
    pub const MISC_MEM: u32 = 0x0f;
    pub const OP_IMM: u32 = 0x13;
    pub const AUIPC: u32 = 0x17;
    pub const STORE: u32 = 0x23;
    pub const STORE_FP: u32 = 0x27;
    pub const AMO: u32 = 0x2f;
    pub const OP: u32 = 0x33;
    pub const LUI: u32 = 0x37;
    pub const MADD: u32 = 0x43;
    pub const MSUB: u32 = 0x47;
    pub const NMSUB: u32 = 0x4b;
    pub const NMADD: u32 = 0x4f;
    pub const OP_FP: u32 = 0x53;
    pub const BRANCH: u32 = 0x63;
    pub const JALR: u32 = 0x67;
    pub const JAL: u32 = 0x6f;
    pub const SYSTEM: u32 = 0x73;
}

/// The register in the five bits of `word` starting at `lsb`.
fn reg(word: u32, lsb: u32) -> Reg {
    // Five bits always name a register; the fallback is never taken.
    Reg::new((word >> lsb) & 31).unwrap_or(Reg::ZERO)
}

fn rd(word: u32) -> Reg {
    reg(word, 7)
}

fn rs1(word: u32) -> Reg {
    reg(word, 15)
}

fn rs2(word: u32) -> Reg {
    reg(word, 20)
}

fn funct3(word: u32) -> u32 {
    (word >> 12) & 7
}

fn funct7(word: u32) -> u32 {
    word >> 25
}

/// I-type immediate: `word[31:20]`, sign-extended.
fn imm_i(word: u32) -> i16 {
    ((word as i32) >> 20) as i16
}

/// S-type immediate: `word[31:25] : word[11:7]`, sign-extended.
fn imm_s(word: u32) -> i16 {
    ((((word as i32) >> 25) << 5) | ((word >> 7) & 0x1f) as i32) as i16
}

/// B-type offset: `word[31] : word[7] : word[30:25] : word[11:8] : 0`, sign-extended.
fn imm_b(word: u32) -> i16 {
    let sign = ((word as i32) >> 31) << 12;
    let bits = ((word >> 7) & 1) << 11 | ((word >> 25) & 0x3f) << 5 | ((word >> 8) & 0xf) << 1;
    (sign | bits as i32) as i16
}

/// J-type offset: `word[31] : word[19:12] : word[20] : word[30:21] : 0`, sign-extended.
fn imm_j(word: u32) -> i32 {
    let sign = ((word as i32) >> 31) << 20;
    let bits = word & 0xf_f000 | ((word >> 20) & 1) << 11 | ((word >> 21) & 0x3ff) << 1;
    sign | bits as i32
}

/// Decodes one RISC-V instruction word.
///
/// Only the exact RV32IMA + Zicsr + Zifencei + (`sret`, `mret`, `wfi`, `sfence.vma`) encodings
/// succeed; the error says which rule the word breaks. The all-zero word is a compressed
/// instruction here (`c.unimp`); treating it as padding is the caller's decision.
pub fn decode(word: u32) -> Result<RvInstruction, RvError> {
    if word & 3 != 3 {
        return Err(RvError::Compressed);
    }
    let opcode = word & 0x7f;
    let f3 = funct3(word);
    let unknown = |name: &'static str, field: Option<(&'static str, u32)>| {
        Err(RvError::UnknownFunction { opcode: name, funct3: f3, field })
    };
    let inst = match opcode {
        major::LUI => RvInstruction::Lui { rd: rd(word), imm20: word >> 12 },
        major::AUIPC => RvInstruction::Auipc { rd: rd(word), imm20: word >> 12 },
        major::JAL => RvInstruction::Jal { rd: rd(word), offset: imm_j(word) },
        major::JALR => {
            if f3 != 0 {
                return Err(RvError::Reserved("JALR with funct3 other than 0"));
            }
            RvInstruction::Jalr { rd: rd(word), rs1: rs1(word), offset: imm_i(word) }
        }
        major::BRANCH => {
            let cond = match f3 {
                0 => BranchCond::Eq,
                1 => BranchCond::Ne,
                4 => BranchCond::Lt,
                5 => BranchCond::Ge,
                6 => BranchCond::Ltu,
                7 => BranchCond::Geu,
                _ => return unknown("BRANCH", None),
            };
            RvInstruction::Branch { cond, rs1: rs1(word), rs2: rs2(word), offset: imm_b(word) }
        }
        major::LOAD => {
            let width = match f3 {
                0 => LoadWidth::B,
                1 => LoadWidth::H,
                2 => LoadWidth::W,
                4 => LoadWidth::Bu,
                5 => LoadWidth::Hu,
                _ => return unknown("LOAD", None),
            };
            RvInstruction::Load { width, rd: rd(word), rs1: rs1(word), offset: imm_i(word) }
        }
        major::STORE => {
            let width = match f3 {
                0 => StoreWidth::B,
                1 => StoreWidth::H,
                2 => StoreWidth::W,
                _ => return unknown("STORE", None),
            };
            RvInstruction::Store { width, rs1: rs1(word), rs2: rs2(word), offset: imm_s(word) }
        }
        major::OP_IMM => decode_op_imm(word)?,
        major::OP => decode_op(word)?,
        major::AMO => decode_amo(word)?,
        major::MISC_MEM => decode_misc_mem(word)?,
        major::SYSTEM => decode_system(word)?,
        major::LOAD_FP => return Err(RvError::FloatingPoint("LOAD-FP")),
        major::STORE_FP => return Err(RvError::FloatingPoint("STORE-FP")),
        major::MADD => return Err(RvError::FloatingPoint("MADD")),
        major::MSUB => return Err(RvError::FloatingPoint("MSUB")),
        major::NMSUB => return Err(RvError::FloatingPoint("NMSUB")),
        major::NMADD => return Err(RvError::FloatingPoint("NMADD")),
        major::OP_FP => return Err(RvError::FloatingPoint("OP-FP")),
        _ => return Err(RvError::UnknownOpcode(opcode)),
    };
    Ok(inst)
}

fn decode_op_imm(word: u32) -> Result<RvInstruction, RvError> {
    let (rd, rs1, imm) = (rd(word), rs1(word), imm_i(word));
    let op = match funct3(word) {
        0 => AluImmOp::Addi,
        2 => AluImmOp::Slti,
        3 => AluImmOp::Sltiu,
        4 => AluImmOp::Xori,
        6 => AluImmOp::Ori,
        7 => AluImmOp::Andi,
        f3 => {
            // Shifts: imm[11:5] selects the operation; bit 25 would be shamt[5] on RV64.
            let f7 = funct7(word);
            let op = match (f3, f7 & !1) {
                (1, 0x00) => ShiftOp::Slli,
                (5, 0x00) => ShiftOp::Srli,
                (5, 0x20) => ShiftOp::Srai,
                _ => {
                    return Err(RvError::UnknownFunction {
                        opcode: "OP-IMM",
                        funct3: f3,
                        field: Some(("imm[11:5]", f7)),
                    })
                }
            };
            if f7 & 1 != 0 {
                return Err(RvError::Reserved("shift amount with shamt[5] = 1 (RV32 shifts by 0..31)"));
            }
            return Ok(RvInstruction::ShiftImm { op, rd, rs1, shamt: ((word >> 20) & 31) as u8 });
        }
    };
    Ok(RvInstruction::AluImm { op, rd, rs1, imm })
}

fn decode_op(word: u32) -> Result<RvInstruction, RvError> {
    let f3 = funct3(word);
    let f7 = funct7(word);
    let op = match (f7, f3) {
        (0x00, 0) => AluOp::Add,
        (0x20, 0) => AluOp::Sub,
        (0x00, 1) => AluOp::Sll,
        (0x00, 2) => AluOp::Slt,
        (0x00, 3) => AluOp::Sltu,
        (0x00, 4) => AluOp::Xor,
        (0x00, 5) => AluOp::Srl,
        (0x20, 5) => AluOp::Sra,
        (0x00, 6) => AluOp::Or,
        (0x00, 7) => AluOp::And,
        (0x01, 0) => AluOp::Mul,
        (0x01, 1) => AluOp::Mulh,
        (0x01, 2) => AluOp::Mulhsu,
        (0x01, 3) => AluOp::Mulhu,
        (0x01, 4) => AluOp::Div,
        (0x01, 5) => AluOp::Divu,
        (0x01, 6) => AluOp::Rem,
        (0x01, 7) => AluOp::Remu,
        _ => return Err(RvError::UnknownFunction { opcode: "OP", funct3: f3, field: Some(("funct7", f7)) }),
    };
    Ok(RvInstruction::Alu { op, rd: rd(word), rs1: rs1(word), rs2: rs2(word) })
}

fn decode_amo(word: u32) -> Result<RvInstruction, RvError> {
    let f3 = funct3(word);
    let funct5 = word >> 27;
    if f3 != 2 {
        return Err(RvError::UnknownFunction { opcode: "AMO", funct3: f3, field: Some(("funct5", funct5)) });
    }
    let order = Ordering { aq: word & (1 << 26) != 0, rl: word & (1 << 25) != 0 };
    let (rd, rs1, rs2) = (rd(word), rs1(word), rs2(word));
    let op = match funct5 {
        0b00010 => {
            if rs2.num() != 0 {
                return Err(RvError::Reserved("LR.W with rs2 other than x0"));
            }
            return Ok(RvInstruction::Lr { rd, rs1, order });
        }
        0b00011 => return Ok(RvInstruction::Sc { rd, rs1, rs2, order }),
        0b00001 => AmoOp::Swap,
        0b00000 => AmoOp::Add,
        0b00100 => AmoOp::Xor,
        0b01100 => AmoOp::And,
        0b01000 => AmoOp::Or,
        0b10000 => AmoOp::Min,
        0b10100 => AmoOp::Max,
        0b11000 => AmoOp::Minu,
        0b11100 => AmoOp::Maxu,
        _ => {
            return Err(RvError::UnknownFunction {
                opcode: "AMO",
                funct3: f3,
                field: Some(("funct5", funct5)),
            })
        }
    };
    Ok(RvInstruction::Amo { op, rd, rs1, rs2, order })
}

fn decode_misc_mem(word: u32) -> Result<RvInstruction, RvError> {
    let regs_zero = rd(word).num() == 0 && rs1(word).num() == 0;
    match funct3(word) {
        0 => {
            if !regs_zero {
                return Err(RvError::Reserved("FENCE with rd or rs1 other than x0"));
            }
            let fm = (word >> 28) as u8;
            let pred = ((word >> 24) & 15) as u8;
            let succ = ((word >> 20) & 15) as u8;
            let tso = fm == 0b1000 && pred == 0b0011 && succ == 0b0011;
            if fm != 0 && !tso {
                return Err(RvError::Reserved(
                    "FENCE with a fence mode other than 0, or 0b1000 (TSO) without pred = succ = rw",
                ));
            }
            Ok(RvInstruction::Fence { fm, pred, succ })
        }
        1 => {
            if !regs_zero || word >> 20 != 0 {
                return Err(RvError::Reserved("FENCE.I with imm, rs1 or rd other than 0"));
            }
            Ok(RvInstruction::FenceI)
        }
        f3 => Err(RvError::UnknownFunction { opcode: "MISC-MEM", funct3: f3, field: None }),
    }
}

fn decode_system(word: u32) -> Result<RvInstruction, RvError> {
    let f3 = funct3(word);
    let csr = (word >> 20) as u16;
    let src = ((word >> 15) & 31) as u8;
    let op = match f3 {
        0 => return decode_privileged(word),
        1 => CrOp::Rw,
        2 => CrOp::Rs,
        3 => CrOp::Rc,
        5 => CrOp::Rwi,
        6 => CrOp::Rsi,
        7 => CrOp::Rci,
        _ => return Err(RvError::UnknownFunction { opcode: "SYSTEM", funct3: f3, field: None }),
    };
    Ok(RvInstruction::Csr { op, rd: rd(word), csr, src })
}

/// SYSTEM with funct3 = 0: `ecall`, `ebreak`, the trap returns, `wfi` and `sfence.vma`.
fn decode_privileged(word: u32) -> Result<RvInstruction, RvError> {
    let rd_zero = rd(word).num() == 0;
    if funct7(word) == 0b000_1001 {
        if !rd_zero {
            return Err(RvError::Reserved("SFENCE.VMA with rd other than x0"));
        }
        return Ok(RvInstruction::SfenceVma { rs1: rs1(word), rs2: rs2(word) });
    }
    let imm12 = word >> 20;
    let (inst, name) = match imm12 {
        0x000 => (RvInstruction::Ecall, "ECALL with rs1 or rd other than x0"),
        0x001 => (RvInstruction::Ebreak, "EBREAK with rs1 or rd other than x0"),
        0x102 => (RvInstruction::Sret, "SRET with rs1 or rd other than x0"),
        0x302 => (RvInstruction::Mret, "MRET with rs1 or rd other than x0"),
        0x105 => (RvInstruction::Wfi, "WFI with rs1 or rd other than x0"),
        _ => {
            return Err(RvError::UnknownFunction {
                opcode: "SYSTEM",
                funct3: 0,
                field: Some(("imm12", imm12)),
            })
        }
    };
    if !rd_zero || rs1(word).num() != 0 {
        return Err(RvError::Reserved(name));
    }
    Ok(inst)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn immediates_follow_the_bit_layouts() {
        // addi x0, x0, -1; sw x0, -1(x0); beq x0, x0, -2; jal x0, -2 (all immediate bits set).
        assert_eq!(imm_i(0xfff0_0013), -1);
        assert_eq!(imm_s(0xfe00_0fa3), -1);
        assert_eq!(imm_b(0xfe00_0fe3), -2);
        assert_eq!(imm_j(0xfffff06f), -2);
        // The largest positive values.
        assert_eq!(imm_b(0x7e00_0fe3), 4094);
        assert_eq!(imm_j(0x7ffff06f), (1 << 20) - 2);
    }

    #[test]
    fn zero_word_is_compressed_and_nop_decodes() {
        assert_eq!(decode(0), Err(RvError::Compressed));
        assert_eq!(
            decode(0x0000_0013),
            Ok(RvInstruction::AluImm { op: AluImmOp::Addi, rd: Reg::ZERO, rs1: Reg::ZERO, imm: 0 })
        );
    }
}
