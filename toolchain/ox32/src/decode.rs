//! The decoder: instruction word → [`Instruction`], used by the CPU, the disassembler and the
//! translator alike.
//!
//! Decoding is strict: a word decodes only if [`crate::encode`] would produce exactly that word
//! from the result, so every reserved bit must be zero. Anything else is a [`DecodeError`], which
//! the CPU raises as an illegal-instruction trap.

use core::fmt;

use crate::encode::{AMO_LR, AMO_SC};
use crate::instruction::opcode;
use crate::instruction::FENCE_TSO;
use crate::{
    AluImmOp, AluOp, AmoOp, BranchCond, CrOp, Instruction, LoadWidth, Ordering, Reg, ShiftOp, StoreWidth,
    SysOp,
};

/// Why a word is not an ox32 instruction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DecodeError {
    /// The word that failed to decode.
    pub word: u32,
    /// What is wrong with it.
    pub reason: DecodeErrorKind,
}

/// The ways a word can fail to decode.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DecodeErrorKind {
    /// No instruction has this major opcode.
    UnknownOpcode(u32),
    /// The opcode takes a function field and this value names no operation.
    UnknownFunction(u32),
    /// A bit that must be zero is set (the mask shows which).
    ReservedBits(u32),
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.reason {
            DecodeErrorKind::UnknownOpcode(op) => {
                write!(f, "{:#010x}: unknown opcode {op:#04x}", self.word)
            }
            DecodeErrorKind::UnknownFunction(funct) => {
                write!(f, "{:#010x}: unknown function {funct:#x}", self.word)
            }
            DecodeErrorKind::ReservedBits(mask) => {
                write!(f, "{:#010x}: reserved bits {mask:#010x} are set", self.word)
            }
        }
    }
}

impl core::error::Error for DecodeError {}

fn rd(word: u32) -> Reg {
    Reg::field(word, 21)
}

fn rs1(word: u32) -> Reg {
    Reg::field(word, 16)
}

fn rs2(word: u32) -> Reg {
    Reg::field(word, 11)
}

fn imm16(word: u32) -> i16 {
    word as u16 as i16
}

/// Decodes one instruction word.
pub fn decode(word: u32) -> Result<Instruction, DecodeError> {
    let fail = |reason| Err(DecodeError { word, reason });
    let reserved = |mask: u32| {
        if word & mask != 0 {
            Err(DecodeError { word, reason: DecodeErrorKind::ReservedBits(word & mask) })
        } else {
            Ok(())
        }
    };
    let op = word >> 26;
    let inst = match op {
        opcode::LUI | opcode::AUIPC => {
            reserved(1 << 20)?;
            let imm20 = word & 0xf_ffff;
            if op == opcode::LUI {
                Instruction::Lui { rd: rd(word), imm20 }
            } else {
                Instruction::Auipc { rd: rd(word), imm20 }
            }
        }
        opcode::JAL => Instruction::Jal { rd: rd(word), offset: ((word << 11) as i32) >> 11 },
        opcode::JALR => Instruction::Jalr { rd: rd(word), rs1: rs1(word), offset: imm16(word) },
        _ if (opcode::BRANCH_BASE..opcode::BRANCH_BASE + 6).contains(&op) => {
            let cond = [
                BranchCond::Eq,
                BranchCond::Ne,
                BranchCond::Lt,
                BranchCond::Ge,
                BranchCond::Ltu,
                BranchCond::Geu,
            ][(op - opcode::BRANCH_BASE) as usize];
            Instruction::Branch { cond, rs1: rd(word), rs2: rs1(word), offset: imm16(word) }
        }
        _ if (opcode::LOAD_BASE..opcode::LOAD_BASE + 5).contains(&op) => {
            let width = [LoadWidth::B, LoadWidth::H, LoadWidth::W, LoadWidth::Bu, LoadWidth::Hu]
                [(op - opcode::LOAD_BASE) as usize];
            Instruction::Load { width, rd: rd(word), rs1: rs1(word), offset: imm16(word) }
        }
        _ if (opcode::STORE_BASE..opcode::STORE_BASE + 3).contains(&op) => {
            let width = [StoreWidth::B, StoreWidth::H, StoreWidth::W][(op - opcode::STORE_BASE) as usize];
            Instruction::Store { width, rs2: rd(word), rs1: rs1(word), offset: imm16(word) }
        }
        _ if (opcode::ALUI_BASE..opcode::ALUI_BASE + 6).contains(&op) => {
            let alu = [
                AluImmOp::Addi,
                AluImmOp::Slti,
                AluImmOp::Sltiu,
                AluImmOp::Xori,
                AluImmOp::Ori,
                AluImmOp::Andi,
            ][(op - opcode::ALUI_BASE) as usize];
            Instruction::AluImm { op: alu, rd: rd(word), rs1: rs1(word), imm: imm16(word) }
        }
        _ if (opcode::SHIFTI_BASE..opcode::SHIFTI_BASE + 3).contains(&op) => {
            reserved(0xffe0)?;
            let shift = [ShiftOp::Slli, ShiftOp::Srli, ShiftOp::Srai][(op - opcode::SHIFTI_BASE) as usize];
            Instruction::ShiftImm { op: shift, rd: rd(word), rs1: rs1(word), shamt: (word & 31) as u8 }
        }
        opcode::ALU => {
            let funct = word & 0x7ff;
            let Some(alu) = AluOp::from_funct(funct) else {
                return fail(DecodeErrorKind::UnknownFunction(funct));
            };
            Instruction::Alu { op: alu, rd: rd(word), rs1: rs1(word), rs2: rs2(word) }
        }
        opcode::AMO => {
            reserved(0x1f0)?;
            let order = Ordering { aq: word & (1 << 10) != 0, rl: word & (1 << 9) != 0 };
            let funct = word & 15;
            match funct {
                AMO_LR => {
                    reserved(31 << 11)?;
                    Instruction::Lr { rd: rd(word), rs1: rs1(word), order }
                }
                AMO_SC => Instruction::Sc { rd: rd(word), rs1: rs1(word), rs2: rs2(word), order },
                _ => {
                    let Some(amo) = AmoOp::from_funct(funct) else {
                        return fail(DecodeErrorKind::UnknownFunction(funct));
                    };
                    Instruction::Amo { op: amo, rd: rd(word), rs1: rs1(word), rs2: rs2(word), order }
                }
            }
        }
        opcode::CR => {
            let funct = (word >> 12) & 15;
            let Some(cr_op) = CrOp::from_funct(funct) else {
                return fail(DecodeErrorKind::UnknownFunction(funct));
            };
            Instruction::Cr {
                op: cr_op,
                rd: rd(word),
                cr: (word & 0xfff) as u16,
                src: ((word >> 16) & 31) as u8,
            }
        }
        opcode::SYS => {
            let funct = word & 0x7ff;
            let (reserved_mask, inst) = match funct {
                f if f == SysOp::Syscall as u32 => (0x03ff_f800, Instruction::Syscall),
                f if f == SysOp::Break as u32 => (0x03ff_f800, Instruction::Break),
                f if f == SysOp::Eret as u32 => (0x03ff_f800, Instruction::Eret),
                f if f == SysOp::Wait as u32 => (0x03ff_f800, Instruction::Wait),
                f if f == SysOp::FenceI as u32 => (0x03ff_f800, Instruction::FenceI),
                f if f == SysOp::TlbFlush as u32 => {
                    (31 << 21, Instruction::TlbFlush { rs1: rs1(word), rs2: rs2(word) })
                }
                _ => return fail(DecodeErrorKind::UnknownFunction(funct)),
            };
            reserved(reserved_mask)?;
            inst
        }
        opcode::FENCE => {
            reserved(0x03ff_000f)?;
            let fm = ((word >> 12) & 15) as u8;
            let pred = ((word >> 8) & 15) as u8;
            let succ = ((word >> 4) & 15) as u8;
            // Only plain fences and `fence.tso` (fm 8, rw, rw) exist; other modes are reserved.
            if fm != 0 && !(fm == FENCE_TSO && pred == 3 && succ == 3) {
                return fail(DecodeErrorKind::ReservedBits(word & 0xf000));
            }
            Instruction::Fence { fm, pred, succ }
        }
        _ => return fail(DecodeErrorKind::UnknownOpcode(op)),
    };
    Ok(inst)
}
