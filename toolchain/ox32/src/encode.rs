//! The encoder: [`Instruction`] → instruction word.
//!
//! Formats (bit 31 on the left); every bit not named here is zero:
//!
//! | format | 31..26 | 25..21 | 20..16 | 15..0 |
//! |---|---|---|---|---|
//! | U | opcode | rd  | bit 20 zero, 19..0 imm20 | |
//! | J | opcode | rd  | 20..0 signed byte offset | |
//! | I | opcode | rd  | rs1 | imm16 (signed) |
//! | S | opcode | rs2 | rs1 | imm16 (signed) |
//! | B | opcode | rs1 | rs2 | imm16 (signed byte offset) |
//! | R | opcode | rd  | rs1 | 15..11 rs2, 10..0 function |
//! | A | opcode | rd  | rs1 | 15..11 rs2, 10 aq, 9 rl, 3..0 function |
//! | C | opcode | rd  | rs1 or uimm5 | 15..12 function, 11..0 control register |
//! | F | opcode | 0   | 0   | 15..12 fm, 11..8 pred, 7..4 succ |

use crate::instruction::opcode;
use crate::{Instruction, Reg, SysOp};

const fn op(opcode: u32) -> u32 {
    opcode << 26
}

const fn r1(reg: Reg) -> u32 {
    reg.num() << 21
}

const fn r2(reg: Reg) -> u32 {
    reg.num() << 16
}

const fn r3(reg: Reg) -> u32 {
    reg.num() << 11
}

const fn imm16(imm: i16) -> u32 {
    imm as u16 as u32
}

/// Function-field values of the `AMO` opcode for the two non-read-modify-write forms.
pub(crate) const AMO_LR: u32 = 0;
pub(crate) const AMO_SC: u32 = 1;

/// The instruction word of `inst`.
pub fn encode(inst: &Instruction) -> u32 {
    match *inst {
        Instruction::Lui { rd, imm20 } => op(opcode::LUI) | r1(rd) | (imm20 & 0xf_ffff),
        Instruction::Auipc { rd, imm20 } => op(opcode::AUIPC) | r1(rd) | (imm20 & 0xf_ffff),
        Instruction::Jal { rd, offset } => op(opcode::JAL) | r1(rd) | (offset as u32 & 0x1f_ffff),
        Instruction::Jalr { rd, rs1, offset } => op(opcode::JALR) | r1(rd) | r2(rs1) | imm16(offset),
        Instruction::Branch { cond, rs1, rs2, offset } => {
            op(opcode::BRANCH_BASE + cond as u32) | r1(rs1) | r2(rs2) | imm16(offset)
        }
        Instruction::Load { width, rd, rs1, offset } => {
            op(opcode::LOAD_BASE + width as u32) | r1(rd) | r2(rs1) | imm16(offset)
        }
        Instruction::Store { width, rs1, rs2, offset } => {
            op(opcode::STORE_BASE + width as u32) | r1(rs2) | r2(rs1) | imm16(offset)
        }
        Instruction::AluImm { op: alu, rd, rs1, imm } => {
            op(opcode::ALUI_BASE + alu as u32) | r1(rd) | r2(rs1) | imm16(imm)
        }
        Instruction::ShiftImm { op: shift, rd, rs1, shamt } => {
            op(opcode::SHIFTI_BASE + shift as u32) | r1(rd) | r2(rs1) | (shamt as u32 & 31)
        }
        Instruction::Alu { op: alu, rd, rs1, rs2 } => {
            op(opcode::ALU) | r1(rd) | r2(rs1) | r3(rs2) | alu as u32
        }
        Instruction::Lr { rd, rs1, order } => amo(AMO_LR, rd, rs1, Reg::ZERO, order),
        Instruction::Sc { rd, rs1, rs2, order } => amo(AMO_SC, rd, rs1, rs2, order),
        Instruction::Amo { op: amo_op, rd, rs1, rs2, order } => amo(amo_op as u32, rd, rs1, rs2, order),
        Instruction::Cr { op: cr_op, rd, cr, src } => {
            op(opcode::CR) | r1(rd) | ((src as u32 & 31) << 16) | ((cr_op as u32) << 12) | (cr as u32 & 0xfff)
        }
        Instruction::Fence { fm, pred, succ } => {
            op(opcode::FENCE)
                | ((fm as u32 & 15) << 12)
                | ((pred as u32 & 15) << 8)
                | ((succ as u32 & 15) << 4)
        }
        Instruction::FenceI => sys(SysOp::FenceI),
        Instruction::Syscall => sys(SysOp::Syscall),
        Instruction::Break => sys(SysOp::Break),
        Instruction::Eret => sys(SysOp::Eret),
        Instruction::Wait => sys(SysOp::Wait),
        Instruction::TlbFlush { rs1, rs2 } => sys(SysOp::TlbFlush) | r2(rs1) | r3(rs2),
    }
}

fn amo(funct: u32, rd: Reg, rs1: Reg, rs2: Reg, order: crate::Ordering) -> u32 {
    op(opcode::AMO)
        | r1(rd)
        | r2(rs1)
        | r3(rs2)
        | ((order.aq as u32) << 10)
        | ((order.rl as u32) << 9)
        | funct
}

fn sys(funct: SysOp) -> u32 {
    op(opcode::SYS) | funct as u32
}
