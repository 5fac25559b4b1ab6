//! Pseudo-instructions: mnemonics that stand for one or two machine instructions.
//!
//! | pseudo | expansion |
//! |---|---|
//! | `nop` | `addi zero, zero, 0` |
//! | `li rd, v` | `addi rd, zero, v` if `v` is known in the first pass and fits 16 signed bits, else `lui rd, %hi(v)` + `addi rd, rd, %lo(v)` |
//! | `la rd, sym` | `lui rd, %hi(sym)` + `addi rd, rd, %lo(sym)` (absolute address) |
//! | `mv rd, rs` | `addi rd, rs, 0` |
//! | `not rd, rs` | `xori rd, rs, -1` |
//! | `neg rd, rs` | `sub rd, zero, rs` |
//! | `seqz rd, rs` | `sltiu rd, rs, 1` |
//! | `snez rd, rs` | `sltu rd, zero, rs` |
//! | `sltz rd, rs` | `slt rd, rs, zero` |
//! | `sgtz rd, rs` | `slt rd, zero, rs` |
//! | `j t` | `jal zero, t` |
//! | `jal t` | `jal ra, t` |
//! | `call t` | `jal ra, t` |
//! | `tail t` | `jal zero, t` |
//! | `jr rs` | `jalr zero, 0(rs)` |
//! | `jalr rs` | `jalr ra, 0(rs)` |
//! | `ret` | `jalr zero, 0(ra)` |
//! | `beqz rs, t` / `bnez` | `beq rs, zero, t` / `bne rs, zero, t` |
//! | `bltz rs, t` / `bgez` | `blt rs, zero, t` / `bge rs, zero, t` |
//! | `blez rs, t` / `bgtz` | `bge zero, rs, t` / `blt zero, rs, t` |
//! | `bgt a, b, t` / `ble` | `blt b, a, t` / `bge b, a, t` |
//! | `bgtu a, b, t` / `bleu` | `bltu b, a, t` / `bgeu b, a, t` |
//!
//! Invariant: the number of instructions is decided by [`size`] in the first pass and
//! [`expand`] produces exactly that many, so no address moves between the passes. A `li` whose
//! value involves a label or a symbol defined further down is therefore always two instructions.

use ox32::{AluImmOp, AluOp, BranchCond, Instruction, Reg};

use super::expr::{eval, Env};
use super::matcher::Args;
use super::parser::{Body, OperandKind};
use super::Error;

const NAMES: [&str; 25] = [
    "nop", "li", "la", "mv", "not", "neg", "seqz", "snez", "sltz", "sgtz", "j", "jr", "call", "tail", "ret",
    "beqz", "bnez", "blez", "bgez", "bltz", "bgtz", "bgt", "ble", "bgtu", "bleu",
];

/// Whether `name` is a pseudo-instruction (besides the one-operand forms of `jal` and `jalr`).
pub fn is_pseudo(name: &str) -> bool {
    NAMES.contains(&name)
}

fn applies(body: &Body) -> bool {
    is_pseudo(&body.name) || (matches!(body.name.as_str(), "jal" | "jalr") && body.operands.len() == 1)
}

/// Whether `li`'s value `v` (if known) fits one `addi`.
fn li_fits(v: i64) -> bool {
    (i16::MIN as i64..=i16::MAX as i64).contains(&v)
}

/// The instruction count of a pseudo-instruction, decided with first-pass knowledge; `None` if
/// `body` is not a pseudo-instruction.
pub fn size(body: &Body, env: &dyn Env) -> Option<u32> {
    if !applies(body) {
        return None;
    }
    Some(match body.name.as_str() {
        "la" => 2,
        "li" => match body.operands.get(1).map(|o| &o.kind) {
            Some(OperandKind::Expr(e)) if body.operands.len() == 2 => match eval(e, env) {
                Ok(v) if li_fits(v) => 1,
                _ => 2,
            },
            _ => 1,
        },
        _ => 1,
    })
}

fn addi(rd: Reg, rs1: Reg, imm: i16) -> Instruction {
    Instruction::AluImm { op: AluImmOp::Addi, rd, rs1, imm }
}

fn branch(a: &Args<'_>, cond: BranchCond, swap: bool) -> Result<Vec<Instruction>, Error> {
    a.arity(&[3], "rs1, rs2, target")?;
    let (x, y) = (a.reg(0)?, a.reg(1)?);
    let offset = a.target(2, 16)? as i16;
    let (rs1, rs2) = if swap { (y, x) } else { (x, y) };
    Ok(vec![Instruction::Branch { cond, rs1, rs2, offset }])
}

fn branch_zero(a: &Args<'_>, cond: BranchCond, zero_first: bool) -> Result<Vec<Instruction>, Error> {
    a.arity(&[2], "rs, target")?;
    let rs = a.reg(0)?;
    let offset = a.target(1, 16)? as i16;
    let (rs1, rs2) = if zero_first { (Reg::ZERO, rs) } else { (rs, Reg::ZERO) };
    Ok(vec![Instruction::Branch { cond, rs1, rs2, offset }])
}

/// `lui rd, %hi(v)` + `addi rd, rd, %lo(v)`.
fn load_upper_lower(rd: Reg, v: i64) -> Vec<Instruction> {
    let hi = (((v + 0x800) >> 12) & 0xf_ffff) as u32;
    let lo = (((v & 0xfff) ^ 0x800) - 0x800) as i16;
    vec![Instruction::Lui { rd, imm20: hi }, addi(rd, rd, lo)]
}

fn two_regs(a: &Args<'_>) -> Result<(Reg, Reg), Error> {
    a.arity(&[2], "rd, rs")?;
    Ok((a.reg(0)?, a.reg(1)?))
}

/// The expansion of a pseudo-instruction into `count` instructions; `None` if `args.body` is not
/// a pseudo-instruction.
pub fn expand(a: &Args<'_>, count: u32) -> Option<Result<Vec<Instruction>, Error>> {
    if !applies(a.body) {
        return None;
    }
    Some(expand_inner(a, count))
}

fn expand_inner(a: &Args<'_>, count: u32) -> Result<Vec<Instruction>, Error> {
    let alu = |op, rd, rs1, rs2| Ok(vec![Instruction::Alu { op, rd, rs1, rs2 }]);
    let jal = |rd| -> Result<Vec<Instruction>, Error> {
        a.arity(&[1], "target")?;
        Ok(vec![Instruction::Jal { rd, offset: a.target(0, 21)? }])
    };
    let jalr = |rd| -> Result<Vec<Instruction>, Error> {
        a.arity(&[1], "rs")?;
        Ok(vec![Instruction::Jalr { rd, rs1: a.reg(0)?, offset: 0 }])
    };
    match a.body.name.as_str() {
        "nop" => {
            a.arity(&[0], "no operands")?;
            Ok(vec![addi(Reg::ZERO, Reg::ZERO, 0)])
        }
        "ret" => {
            a.arity(&[0], "no operands")?;
            Ok(vec![Instruction::Jalr { rd: Reg::ZERO, rs1: Reg::RA, offset: 0 }])
        }
        "li" => {
            a.arity(&[2], "rd, value")?;
            let rd = a.reg(0)?;
            if count == 1 {
                Ok(vec![addi(rd, Reg::ZERO, a.imm16(1)?)])
            } else {
                Ok(load_upper_lower(rd, a.imm(1, i32::MIN as i64, u32::MAX as i64, "value")?))
            }
        }
        "la" => {
            a.arity(&[2], "rd, symbol")?;
            let rd = a.reg(0)?;
            Ok(load_upper_lower(rd, a.imm(1, i32::MIN as i64, u32::MAX as i64, "address")?))
        }
        "mv" => {
            let (rd, rs) = two_regs(a)?;
            Ok(vec![addi(rd, rs, 0)])
        }
        "not" => {
            let (rd, rs) = two_regs(a)?;
            Ok(vec![Instruction::AluImm { op: AluImmOp::Xori, rd, rs1: rs, imm: -1 }])
        }
        "seqz" => {
            let (rd, rs) = two_regs(a)?;
            Ok(vec![Instruction::AluImm { op: AluImmOp::Sltiu, rd, rs1: rs, imm: 1 }])
        }
        "neg" => {
            let (rd, rs) = two_regs(a)?;
            alu(AluOp::Sub, rd, Reg::ZERO, rs)
        }
        "snez" => {
            let (rd, rs) = two_regs(a)?;
            alu(AluOp::Sltu, rd, Reg::ZERO, rs)
        }
        "sltz" => {
            let (rd, rs) = two_regs(a)?;
            alu(AluOp::Slt, rd, rs, Reg::ZERO)
        }
        "sgtz" => {
            let (rd, rs) = two_regs(a)?;
            alu(AluOp::Slt, rd, Reg::ZERO, rs)
        }
        "j" | "tail" => jal(Reg::ZERO),
        "jal" | "call" => jal(Reg::RA),
        "jr" => jalr(Reg::ZERO),
        "jalr" => jalr(Reg::RA),
        "beqz" => branch_zero(a, BranchCond::Eq, false),
        "bnez" => branch_zero(a, BranchCond::Ne, false),
        "bltz" => branch_zero(a, BranchCond::Lt, false),
        "bgez" => branch_zero(a, BranchCond::Ge, false),
        "blez" => branch_zero(a, BranchCond::Ge, true),
        "bgtz" => branch_zero(a, BranchCond::Lt, true),
        "bgt" => branch(a, BranchCond::Lt, true),
        "ble" => branch(a, BranchCond::Ge, true),
        "bgtu" => branch(a, BranchCond::Ltu, true),
        "bleu" => branch(a, BranchCond::Geu, true),
        other => Err(Error::new(a.body.span, format!("unknown instruction `{other}`"))),
    }
}
