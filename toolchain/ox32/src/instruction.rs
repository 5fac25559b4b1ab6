//! The instruction type: one value per ox32 instruction, with its operands.
//!
//! Every RV32IMA instruction (plus Zicsr, Zifencei and the few privileged instructions a kernel
//! needs) has exactly one ox32 counterpart, so the RV32→ox32 translator is a re-encoding. The bit
//! layout lives in [`crate::encode`] and [`crate::decode`]; the opcode numbers are in [`opcode`].
//!
//! Immediates are stored as the values they mean (a branch offset is a signed byte offset, `lui`
//! holds the 20 bits that land in bits 31..12), already range-checked: an `Instruction` that
//! exists can always be encoded.

/// Major opcodes, bits 31..26 of every instruction word. Opcode 0 is reserved so that a word of
/// zeros (erased or uninitialised memory) is an illegal instruction.
pub mod opcode {
    /// `lui rd, imm20`
    pub const LUI: u32 = 0x01;
    /// `auipc rd, imm20`
    pub const AUIPC: u32 = 0x02;
    /// `jal rd, off21`
    pub const JAL: u32 = 0x03;
    /// `jalr rd, off16(rs1)`
    pub const JALR: u32 = 0x04;
    /// First of the six branch opcodes, in [`crate::BranchCond`] order.
    pub const BRANCH_BASE: u32 = 0x08;
    /// First of the five load opcodes, in [`crate::LoadWidth`] order.
    pub const LOAD_BASE: u32 = 0x10;
    /// First of the three store opcodes, in [`crate::StoreWidth`] order.
    pub const STORE_BASE: u32 = 0x18;
    /// First of the six register–immediate opcodes, in [`crate::AluImmOp`] order.
    pub const ALUI_BASE: u32 = 0x20;
    /// First of the three shift-by-immediate opcodes, in [`crate::ShiftOp`] order.
    pub const SHIFTI_BASE: u32 = 0x28;
    /// Register–register arithmetic; the operation is in the function field.
    pub const ALU: u32 = 0x30;
    /// Load-reserved, store-conditional and atomic memory operations.
    pub const AMO: u32 = 0x31;
    /// Control-register access.
    pub const CR: u32 = 0x38;
    /// System instructions without operands' data: syscall, break, eret, wait, tlbflush, fence.i.
    pub const SYS: u32 = 0x39;
    /// Memory-ordering fence.
    pub const FENCE: u32 = 0x3A;
}

use crate::Reg;

/// The condition of a conditional branch.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BranchCond {
    /// Equal.
    Eq,
    /// Not equal.
    Ne,
    /// Less than, signed.
    Lt,
    /// Greater or equal, signed.
    Ge,
    /// Less than, unsigned.
    Ltu,
    /// Greater or equal, unsigned.
    Geu,
}

/// The width and extension of a load.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LoadWidth {
    /// Byte, sign-extended.
    B,
    /// Half-word, sign-extended.
    H,
    /// Word.
    W,
    /// Byte, zero-extended.
    Bu,
    /// Half-word, zero-extended.
    Hu,
}

/// The width of a store.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum StoreWidth {
    /// Byte.
    B,
    /// Half-word.
    H,
    /// Word.
    W,
}

/// A register–immediate operation (the immediate is sign-extended from 16 bits).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AluImmOp {
    /// Add.
    Addi,
    /// Set if less than, signed.
    Slti,
    /// Set if less than, unsigned (the immediate is still sign-extended first).
    Sltiu,
    /// Exclusive or.
    Xori,
    /// Or.
    Ori,
    /// And.
    Andi,
}

/// A shift by an immediate amount (`0..32`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ShiftOp {
    /// Shift left logical.
    Slli,
    /// Shift right logical.
    Srli,
    /// Shift right arithmetic.
    Srai,
}

/// A register–register operation; the discriminant is the function field.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u32)]
pub enum AluOp {
    /// Add.
    Add = 0x00,
    /// Subtract.
    Sub = 0x01,
    /// Shift left logical by the low five bits of `rs2`.
    Sll = 0x02,
    /// Set if less than, signed.
    Slt = 0x03,
    /// Set if less than, unsigned.
    Sltu = 0x04,
    /// Exclusive or.
    Xor = 0x05,
    /// Shift right logical.
    Srl = 0x06,
    /// Shift right arithmetic.
    Sra = 0x07,
    /// Or.
    Or = 0x08,
    /// And.
    And = 0x09,
    /// Low 32 bits of the product.
    Mul = 0x10,
    /// High 32 bits of the signed × signed product.
    Mulh = 0x11,
    /// High 32 bits of the signed × unsigned product.
    Mulhsu = 0x12,
    /// High 32 bits of the unsigned × unsigned product.
    Mulhu = 0x13,
    /// Signed division, rounding towards zero.
    Div = 0x14,
    /// Unsigned division.
    Divu = 0x15,
    /// Signed remainder.
    Rem = 0x16,
    /// Unsigned remainder.
    Remu = 0x17,
}

impl AluOp {
    /// Every operation, for tables and tests.
    pub const ALL: [AluOp; 18] = [
        AluOp::Add,
        AluOp::Sub,
        AluOp::Sll,
        AluOp::Slt,
        AluOp::Sltu,
        AluOp::Xor,
        AluOp::Srl,
        AluOp::Sra,
        AluOp::Or,
        AluOp::And,
        AluOp::Mul,
        AluOp::Mulh,
        AluOp::Mulhsu,
        AluOp::Mulhu,
        AluOp::Div,
        AluOp::Divu,
        AluOp::Rem,
        AluOp::Remu,
    ];

    /// The operation with function field `funct`.
    pub fn from_funct(funct: u32) -> Option<AluOp> {
        AluOp::ALL.into_iter().find(|op| *op as u32 == funct)
    }
}

/// An atomic read-modify-write operation on a word; the discriminant is the function field.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u32)]
pub enum AmoOp {
    /// Swap.
    Swap = 2,
    /// Add.
    Add = 3,
    /// Exclusive or.
    Xor = 4,
    /// And.
    And = 5,
    /// Or.
    Or = 6,
    /// Signed minimum.
    Min = 7,
    /// Signed maximum.
    Max = 8,
    /// Unsigned minimum.
    Minu = 9,
    /// Unsigned maximum.
    Maxu = 10,
}

impl AmoOp {
    /// Every operation, for tables and tests.
    pub const ALL: [AmoOp; 9] = [
        AmoOp::Swap,
        AmoOp::Add,
        AmoOp::Xor,
        AmoOp::And,
        AmoOp::Or,
        AmoOp::Min,
        AmoOp::Max,
        AmoOp::Minu,
        AmoOp::Maxu,
    ];

    /// The operation with function field `funct`.
    pub fn from_funct(funct: u32) -> Option<AmoOp> {
        AmoOp::ALL.into_iter().find(|op| *op as u32 == funct)
    }

    /// The new memory value from the old one and the register operand.
    pub fn apply(self, old: u32, src: u32) -> u32 {
        match self {
            AmoOp::Swap => src,
            AmoOp::Add => old.wrapping_add(src),
            AmoOp::Xor => old ^ src,
            AmoOp::And => old & src,
            AmoOp::Or => old | src,
            AmoOp::Min => (old as i32).min(src as i32) as u32,
            AmoOp::Max => (old as i32).max(src as i32) as u32,
            AmoOp::Minu => old.min(src),
            AmoOp::Maxu => old.max(src),
        }
    }
}

/// Memory-ordering bits of an atomic instruction (kept so that translation is lossless; a
/// single-hart node executes every atomic in order anyway).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Ordering {
    /// Acquire.
    pub aq: bool,
    /// Release.
    pub rl: bool,
}

/// A control-register operation; the discriminant is the function field.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u32)]
pub enum CrOp {
    /// Read the old value into `rd`, write `rs1`.
    Rw = 0,
    /// Read, then set the bits that are set in `rs1` (no write when `rs1` is `r0`).
    Rs = 1,
    /// Read, then clear the bits that are set in `rs1` (no write when `rs1` is `r0`).
    Rc = 2,
    /// Read, then write the 5-bit immediate.
    Rwi = 4,
    /// Read, then set the bits of the 5-bit immediate (no write when it is 0).
    Rsi = 5,
    /// Read, then clear the bits of the 5-bit immediate (no write when it is 0).
    Rci = 6,
}

impl CrOp {
    /// Every operation, for tables and tests.
    pub const ALL: [CrOp; 6] = [CrOp::Rw, CrOp::Rs, CrOp::Rc, CrOp::Rwi, CrOp::Rsi, CrOp::Rci];

    /// The operation with function field `funct`.
    pub fn from_funct(funct: u32) -> Option<CrOp> {
        CrOp::ALL.into_iter().find(|op| *op as u32 == funct)
    }

    /// Whether the source is a 5-bit immediate rather than a register.
    pub fn is_immediate(self) -> bool {
        matches!(self, CrOp::Rwi | CrOp::Rsi | CrOp::Rci)
    }
}

/// Function field values of the `SYS` opcode.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u32)]
pub enum SysOp {
    /// System call trap.
    Syscall = 0,
    /// Breakpoint trap.
    Break = 1,
    /// Return from a trap.
    Eret = 2,
    /// Wait for an interrupt.
    Wait = 3,
    /// Flush TLB entries (operands in `rs1`, `rs2`).
    TlbFlush = 4,
    /// Instruction-stream fence.
    FenceI = 5,
}

/// One decoded ox32 instruction.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Instruction {
    /// `rd = imm20 << 12`.
    Lui { rd: Reg, imm20: u32 },
    /// `rd = pc + (imm20 << 12)`.
    Auipc { rd: Reg, imm20: u32 },
    /// `rd = pc + 4; pc += offset` (signed 21-bit byte offset).
    Jal { rd: Reg, offset: i32 },
    /// `t = (rs1 + offset) & !1; rd = pc + 4; pc = t`.
    Jalr { rd: Reg, rs1: Reg, offset: i16 },
    /// `if cond(rs1, rs2) { pc += offset }` (signed 16-bit byte offset).
    Branch { cond: BranchCond, rs1: Reg, rs2: Reg, offset: i16 },
    /// `rd = load(rs1 + offset)`.
    Load { width: LoadWidth, rd: Reg, rs1: Reg, offset: i16 },
    /// `store(rs1 + offset, rs2)`.
    Store { width: StoreWidth, rs1: Reg, rs2: Reg, offset: i16 },
    /// `rd = op(rs1, sign_extend(imm))`.
    AluImm { op: AluImmOp, rd: Reg, rs1: Reg, imm: i16 },
    /// `rd = op(rs1, shamt)`, `shamt < 32`.
    ShiftImm { op: ShiftOp, rd: Reg, rs1: Reg, shamt: u8 },
    /// `rd = op(rs1, rs2)`.
    Alu { op: AluOp, rd: Reg, rs1: Reg, rs2: Reg },
    /// Load-reserved word: `rd = mem[rs1]`, and reserve the address.
    Lr { rd: Reg, rs1: Reg, order: Ordering },
    /// Store-conditional word: store `rs2` at `rs1` if still reserved; `rd = 0` on success, 1 on
    /// failure.
    Sc { rd: Reg, rs1: Reg, rs2: Reg, order: Ordering },
    /// Atomic `rd = mem[rs1]; mem[rs1] = op(rd, rs2)`.
    Amo { op: AmoOp, rd: Reg, rs1: Reg, rs2: Reg, order: Ordering },
    /// Control-register access; `src` is a register number or a 5-bit immediate, as `op` says.
    Cr { op: CrOp, rd: Reg, cr: u16, src: u8 },
    /// Memory-ordering fence, with the fence mode and the predecessor and successor sets
    /// (bit 3 device input, 2 device output, 1 memory read, 0 memory write).
    Fence { fm: u8, pred: u8, succ: u8 },
    /// Instruction-stream fence.
    FenceI,
    /// System call trap.
    Syscall,
    /// Breakpoint trap.
    Break,
    /// Return from a trap (kernel mode only).
    Eret,
    /// Wait for an interrupt (kernel mode only).
    Wait,
    /// Flush TLB entries: the page of virtual address `rs1` (all pages if `rs1` is `r0`) of
    /// address space `rs2` (all address spaces if `rs2` is `r0`). Kernel mode only.
    TlbFlush { rs1: Reg, rs2: Reg },
}

/// The range of `Jal` offsets: signed 21 bits.
pub const JAL_OFFSET_RANGE: core::ops::RangeInclusive<i32> = -(1 << 20)..=(1 << 20) - 1;

/// The largest 20-bit upper immediate.
pub const IMM20_MAX: u32 = (1 << 20) - 1;

/// The fence mode of `fence.tso`.
pub const FENCE_TSO: u8 = 8;

/// The largest control-register number.
pub const CR_MAX: u16 = 0xfff;
