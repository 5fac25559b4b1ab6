//! Disassembly text: the assembler syntax of one instruction.
//!
//! The text reassembles to the same word: `oxas` accepts everything printed here. Branch and
//! jump targets print as absolute addresses when the instruction's address is known
//! ([`disassemble`]) and as `.+N` / `.-N` otherwise (`Display`). Five single-instruction aliases
//! are printed the way `objdump` does: `nop`, `mv`, `li`, `j` and `ret`.

use alloc::string::{String, ToString};
use core::fmt::{self, Write};

use crate::{
    cr, AluImmOp, AluOp, AmoOp, BranchCond, CrOp, Instruction, LoadWidth, Ordering, Reg, ShiftOp, StoreWidth,
};

/// The mnemonic of a branch condition.
pub fn branch_mnemonic(cond: BranchCond) -> &'static str {
    match cond {
        BranchCond::Eq => "beq",
        BranchCond::Ne => "bne",
        BranchCond::Lt => "blt",
        BranchCond::Ge => "bge",
        BranchCond::Ltu => "bltu",
        BranchCond::Geu => "bgeu",
    }
}

/// The mnemonic of a load.
pub fn load_mnemonic(width: LoadWidth) -> &'static str {
    match width {
        LoadWidth::B => "lb",
        LoadWidth::H => "lh",
        LoadWidth::W => "lw",
        LoadWidth::Bu => "lbu",
        LoadWidth::Hu => "lhu",
    }
}

/// The mnemonic of a store.
pub fn store_mnemonic(width: StoreWidth) -> &'static str {
    match width {
        StoreWidth::B => "sb",
        StoreWidth::H => "sh",
        StoreWidth::W => "sw",
    }
}

/// The mnemonic of a register–immediate operation.
pub fn alu_imm_mnemonic(op: AluImmOp) -> &'static str {
    match op {
        AluImmOp::Addi => "addi",
        AluImmOp::Slti => "slti",
        AluImmOp::Sltiu => "sltiu",
        AluImmOp::Xori => "xori",
        AluImmOp::Ori => "ori",
        AluImmOp::Andi => "andi",
    }
}

/// The mnemonic of a shift by an immediate.
pub fn shift_mnemonic(op: ShiftOp) -> &'static str {
    match op {
        ShiftOp::Slli => "slli",
        ShiftOp::Srli => "srli",
        ShiftOp::Srai => "srai",
    }
}

/// The mnemonic of a register–register operation.
pub fn alu_mnemonic(op: AluOp) -> &'static str {
    match op {
        AluOp::Add => "add",
        AluOp::Sub => "sub",
        AluOp::Sll => "sll",
        AluOp::Slt => "slt",
        AluOp::Sltu => "sltu",
        AluOp::Xor => "xor",
        AluOp::Srl => "srl",
        AluOp::Sra => "sra",
        AluOp::Or => "or",
        AluOp::And => "and",
        AluOp::Mul => "mul",
        AluOp::Mulh => "mulh",
        AluOp::Mulhsu => "mulhsu",
        AluOp::Mulhu => "mulhu",
        AluOp::Div => "div",
        AluOp::Divu => "divu",
        AluOp::Rem => "rem",
        AluOp::Remu => "remu",
    }
}

/// The mnemonic of an atomic operation, without the `.w` and ordering suffixes.
pub fn amo_mnemonic(op: AmoOp) -> &'static str {
    match op {
        AmoOp::Swap => "amoswap",
        AmoOp::Add => "amoadd",
        AmoOp::Xor => "amoxor",
        AmoOp::And => "amoand",
        AmoOp::Or => "amoor",
        AmoOp::Min => "amomin",
        AmoOp::Max => "amomax",
        AmoOp::Minu => "amominu",
        AmoOp::Maxu => "amomaxu",
    }
}

/// The mnemonic of a control-register operation.
pub fn cr_mnemonic(op: CrOp) -> &'static str {
    match op {
        CrOp::Rw => "crrw",
        CrOp::Rs => "crrs",
        CrOp::Rc => "crrc",
        CrOp::Rwi => "crrwi",
        CrOp::Rsi => "crrsi",
        CrOp::Rci => "crrci",
    }
}

/// The ordering suffix of an atomic (`""`, `.aq`, `.rl` or `.aqrl`).
pub fn ordering_suffix(order: Ordering) -> &'static str {
    match (order.aq, order.rl) {
        (false, false) => "",
        (true, false) => ".aq",
        (false, true) => ".rl",
        (true, true) => ".aqrl",
    }
}

/// The `iorw` letters of a fence set (`0` for the empty set).
pub fn fence_set(set: u8) -> String {
    let text: String = [(8, 'i'), (4, 'o'), (2, 'r'), (1, 'w')]
        .into_iter()
        .filter(|(bit, _)| set & bit != 0)
        .map(|(_, c)| c)
        .collect();
    if text.is_empty() {
        "0".to_string()
    } else {
        text
    }
}

/// How to print the target of a branch or jump.
#[derive(Clone, Copy)]
enum Target<'a> {
    /// Relative to the instruction: `.+16`.
    Relative,
    /// Absolute, with the instruction at `pc`, annotated by a symbol lookup.
    Absolute(u32, &'a dyn Fn(u32) -> Option<String>),
}

impl Target<'_> {
    fn write(self, out: &mut dyn Write, offset: i32) -> fmt::Result {
        match self {
            Target::Relative if offset < 0 => write!(out, ".-{}", offset.unsigned_abs()),
            Target::Relative => write!(out, ".+{offset}"),
            Target::Absolute(pc, symbols) => {
                let target = pc.wrapping_add(offset as u32);
                write!(out, "{target:#x}")?;
                match symbols(target) {
                    Some(name) => write!(out, " <{name}>"),
                    None => Ok(()),
                }
            }
        }
    }
}

fn write_cr(out: &mut dyn Write, num: u16) -> fmt::Result {
    match cr::name(num) {
        Some(name) => out.write_str(name),
        None => write!(out, "{num:#x}"),
    }
}

fn write_inst(out: &mut dyn Write, inst: &Instruction, target: Target<'_>) -> fmt::Result {
    match *inst {
        Instruction::Lui { rd, imm20 } => write!(out, "lui {rd}, {imm20:#x}"),
        Instruction::Auipc { rd, imm20 } => write!(out, "auipc {rd}, {imm20:#x}"),
        Instruction::Jal { rd, offset } => {
            if rd == Reg::ZERO {
                out.write_str("j ")?;
            } else {
                write!(out, "jal {rd}, ")?;
            }
            target.write(out, offset)
        }
        Instruction::Jalr { rd, rs1, offset } => {
            if rd == Reg::ZERO && rs1 == Reg::RA && offset == 0 {
                out.write_str("ret")
            } else {
                write!(out, "jalr {rd}, {offset}({rs1})")
            }
        }
        Instruction::Branch { cond, rs1, rs2, offset } => {
            write!(out, "{} {rs1}, {rs2}, ", branch_mnemonic(cond))?;
            target.write(out, offset as i32)
        }
        Instruction::Load { width, rd, rs1, offset } => {
            write!(out, "{} {rd}, {offset}({rs1})", load_mnemonic(width))
        }
        Instruction::Store { width, rs1, rs2, offset } => {
            write!(out, "{} {rs2}, {offset}({rs1})", store_mnemonic(width))
        }
        Instruction::AluImm { op, rd, rs1, imm } => match op {
            AluImmOp::Addi if rd == Reg::ZERO && rs1 == Reg::ZERO && imm == 0 => out.write_str("nop"),
            AluImmOp::Addi if rs1 == Reg::ZERO => write!(out, "li {rd}, {imm}"),
            AluImmOp::Addi if imm == 0 => write!(out, "mv {rd}, {rs1}"),
            _ => write!(out, "{} {rd}, {rs1}, {imm}", alu_imm_mnemonic(op)),
        },
        Instruction::ShiftImm { op, rd, rs1, shamt } => {
            write!(out, "{} {rd}, {rs1}, {shamt}", shift_mnemonic(op))
        }
        Instruction::Alu { op, rd, rs1, rs2 } => write!(out, "{} {rd}, {rs1}, {rs2}", alu_mnemonic(op)),
        Instruction::Lr { rd, rs1, order } => write!(out, "lr.w{} {rd}, ({rs1})", ordering_suffix(order)),
        Instruction::Sc { rd, rs1, rs2, order } => {
            write!(out, "sc.w{} {rd}, {rs2}, ({rs1})", ordering_suffix(order))
        }
        Instruction::Amo { op, rd, rs1, rs2, order } => {
            write!(out, "{}.w{} {rd}, {rs2}, ({rs1})", amo_mnemonic(op), ordering_suffix(order))
        }
        Instruction::Cr { op, rd, cr, src } => {
            write!(out, "{} {rd}, ", cr_mnemonic(op))?;
            write_cr(out, cr)?;
            if op.is_immediate() {
                write!(out, ", {src}")
            } else {
                write!(out, ", {}", Reg::field(src as u32, 0))
            }
        }
        Instruction::Fence { fm, pred, succ } => {
            if fm == crate::instruction::FENCE_TSO {
                out.write_str("fence.tso")
            } else {
                write!(out, "fence {}, {}", fence_set(pred), fence_set(succ))
            }
        }
        Instruction::FenceI => out.write_str("fence.i"),
        Instruction::Syscall => out.write_str("syscall"),
        Instruction::Break => out.write_str("break"),
        Instruction::Eret => out.write_str("eret"),
        Instruction::Wait => out.write_str("wait"),
        Instruction::TlbFlush { rs1, rs2 } => write!(out, "tlbflush {rs1}, {rs2}"),
    }
}

impl fmt::Display for Instruction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_inst(f, self, Target::Relative)
    }
}

/// The text of `inst` at address `pc`, with branch targets as absolute addresses annotated
/// `<symbol+offset>` by `symbols` where it knows a name.
pub fn disassemble(inst: &Instruction, pc: u32, symbols: &dyn Fn(u32) -> Option<String>) -> String {
    let mut text = String::new();
    // Writing into a String cannot fail.
    let _ = write_inst(&mut text, inst, Target::Absolute(pc, symbols));
    text
}
