//! Stage 4: a mnemonic and its operands → [`ox32::Instruction`] values.
//!
//! The mnemonics are exactly those `ox32::disassemble` prints (the names come from the `ox32`
//! crate's mnemonic functions, so the two cannot drift apart); encoding is `ox32::encode`'s job.
//! Pseudo-instructions live in [`super::pseudo`] and are tried first.
//!
//! Operand conventions: registers by any name `Reg::parse` accepts; loads and stores take
//! `offset(base)`; atomics take `(base)` (an explicit `0(base)` is accepted); branch and jump
//! operands are target addresses and the encoded offset is `target - pc` (wrapping around the
//! 32-bit address space, as the program counter does); control registers by name or number.

use ox32::{
    alu_imm_mnemonic, alu_mnemonic, amo_mnemonic, branch_mnemonic, cr, cr_mnemonic, load_mnemonic,
    ordering_suffix, shift_mnemonic, store_mnemonic, AluImmOp, AluOp, AmoOp, BranchCond, CrOp, Instruction,
    LoadWidth, Ordering, Reg, ShiftOp, StoreWidth, CR_MAX, FENCE_TSO, IMM20_MAX, JAL_OFFSET_RANGE,
};

use super::expr::{eval, Env, EvalError, Expr, ExprKind};
use super::parser::{Body, Operand, OperandKind};
use super::pseudo;
use super::{Error, Span};

const BRANCH_CONDS: [BranchCond; 6] =
    [BranchCond::Eq, BranchCond::Ne, BranchCond::Lt, BranchCond::Ge, BranchCond::Ltu, BranchCond::Geu];
const LOAD_WIDTHS: [LoadWidth; 5] = [LoadWidth::B, LoadWidth::H, LoadWidth::W, LoadWidth::Bu, LoadWidth::Hu];
const STORE_WIDTHS: [StoreWidth; 3] = [StoreWidth::B, StoreWidth::H, StoreWidth::W];
const ALU_IMM_OPS: [AluImmOp; 6] =
    [AluImmOp::Addi, AluImmOp::Slti, AluImmOp::Sltiu, AluImmOp::Xori, AluImmOp::Ori, AluImmOp::Andi];
const SHIFT_OPS: [ShiftOp; 3] = [ShiftOp::Slli, ShiftOp::Srli, ShiftOp::Srai];
const ORDERINGS: [Ordering; 4] = [
    Ordering { aq: false, rl: false },
    Ordering { aq: true, rl: false },
    Ordering { aq: false, rl: true },
    Ordering { aq: true, rl: true },
];

/// A machine instruction mnemonic, classified.
#[derive(Clone, Copy, Debug)]
enum Kind {
    Lui,
    Auipc,
    Jal,
    Jalr,
    Branch(BranchCond),
    Load(LoadWidth),
    Store(StoreWidth),
    AluImm(AluImmOp),
    Shift(ShiftOp),
    Alu(AluOp),
    Lr(Ordering),
    Sc(Ordering),
    Amo(AmoOp, Ordering),
    Cr(CrOp),
    Fence,
    FenceTso,
    Plain(Instruction),
    TlbFlush,
}

fn classify(name: &str) -> Option<Kind> {
    let fixed = match name {
        "lui" => Some(Kind::Lui),
        "auipc" => Some(Kind::Auipc),
        "jal" => Some(Kind::Jal),
        "jalr" => Some(Kind::Jalr),
        "fence" => Some(Kind::Fence),
        "fence.tso" => Some(Kind::FenceTso),
        "fence.i" => Some(Kind::Plain(Instruction::FenceI)),
        "syscall" => Some(Kind::Plain(Instruction::Syscall)),
        "break" => Some(Kind::Plain(Instruction::Break)),
        "eret" => Some(Kind::Plain(Instruction::Eret)),
        "wait" => Some(Kind::Plain(Instruction::Wait)),
        "tlbflush" => Some(Kind::TlbFlush),
        _ => None,
    };
    fixed
        .or_else(|| BRANCH_CONDS.into_iter().find(|c| branch_mnemonic(*c) == name).map(Kind::Branch))
        .or_else(|| LOAD_WIDTHS.into_iter().find(|w| load_mnemonic(*w) == name).map(Kind::Load))
        .or_else(|| STORE_WIDTHS.into_iter().find(|w| store_mnemonic(*w) == name).map(Kind::Store))
        .or_else(|| ALU_IMM_OPS.into_iter().find(|o| alu_imm_mnemonic(*o) == name).map(Kind::AluImm))
        .or_else(|| SHIFT_OPS.into_iter().find(|o| shift_mnemonic(*o) == name).map(Kind::Shift))
        .or_else(|| AluOp::ALL.into_iter().find(|o| alu_mnemonic(*o) == name).map(Kind::Alu))
        .or_else(|| CrOp::ALL.into_iter().find(|o| cr_mnemonic(*o) == name).map(Kind::Cr))
        .or_else(|| classify_atomic(name))
}

fn classify_atomic(name: &str) -> Option<Kind> {
    ORDERINGS.into_iter().find_map(|order| {
        let suffix = format!(".w{}", ordering_suffix(order));
        let stem = name.strip_suffix(suffix.as_str())?;
        match stem {
            "lr" => Some(Kind::Lr(order)),
            "sc" => Some(Kind::Sc(order)),
            _ => AmoOp::ALL.into_iter().find(|o| amo_mnemonic(*o) == stem).map(|o| Kind::Amo(o, order)),
        }
    })
}

/// Whether `name` is an instruction or pseudo-instruction mnemonic.
pub fn is_mnemonic(name: &str) -> bool {
    classify(name).is_some() || pseudo::is_pseudo(name)
}

/// The operands of one instruction statement, evaluated on demand.
pub struct Args<'a> {
    /// The statement.
    pub body: &'a Body,
    /// Symbol values.
    pub env: &'a dyn Env,
    /// The address of the statement.
    pub pc: u32,
}

/// The error for an expression whose value is needed but unknown.
fn eval_error(e: EvalError, span: Span) -> Error {
    match e {
        EvalError::Error(e) => e,
        EvalError::NotYet => Error::new(span, "value is not known at this point".to_string()),
    }
}

impl<'a> Args<'a> {
    /// Checks that the operand count is one of `counts`; `usage` shows the operands in the error.
    pub fn arity(&self, counts: &[usize], usage: &str) -> Result<usize, Error> {
        let n = self.body.operands.len();
        if counts.contains(&n) {
            return Ok(n);
        }
        let span = self
            .body
            .operands
            .get(counts.iter().copied().max().unwrap_or(0))
            .map_or(self.body.span, |o| o.span);
        let expected = match counts {
            [1] => "1 operand".to_string(),
            [c] => format!("{c} operands"),
            _ => {
                let list: Vec<String> = counts.iter().map(|c| c.to_string()).collect();
                format!("{} operands", list.join(" or "))
            }
        };
        Err(Error::new(span, format!("`{}` takes {expected} ({usage}), found {n}", self.body.name)))
    }

    fn operand(&self, i: usize) -> Result<&'a Operand, Error> {
        self.body.operands.get(i).ok_or_else(|| Error::new(self.body.end, "missing operand".to_string()))
    }

    fn expr(&self, i: usize, what: &str) -> Result<&'a Expr, Error> {
        let op = self.operand(i)?;
        match &op.kind {
            OperandKind::Expr(e) => Ok(e),
            _ => Err(Error::new(op.span, format!("expected {what}"))),
        }
    }

    /// Operand `i` as a register.
    pub fn reg(&self, i: usize) -> Result<Reg, Error> {
        let e = self.expr(i, "a register")?;
        register(e)
    }

    /// Operand `i` as a value.
    pub fn value(&self, i: usize) -> Result<i64, Error> {
        let e = self.expr(i, "an expression")?;
        eval(e, self.env).map_err(|err| eval_error(err, e.span))
    }

    /// Operand `i` as a value in `min..=max`; `what` names the field in the error.
    pub fn imm(&self, i: usize, min: i64, max: i64, what: &str) -> Result<i64, Error> {
        let v = self.value(i)?;
        if (min..=max).contains(&v) {
            Ok(v)
        } else {
            let span = self.operand(i)?.span;
            Err(Error::new(
                span,
                format!("{what} {v} is out of range; `{}` takes {min}..={max}", self.body.name),
            ))
        }
    }

    /// Operand `i` as a signed 16-bit immediate.
    pub fn imm16(&self, i: usize) -> Result<i16, Error> {
        Ok(self.imm(i, i16::MIN as i64, i16::MAX as i64, "immediate")? as i16)
    }

    /// Operand `i` as a branch or jump target: the byte offset from the statement, which must fit
    /// `bits` signed bits.
    pub fn target(&self, i: usize, bits: u32) -> Result<i32, Error> {
        let target = self.value(i)?;
        let span = self.operand(i)?.span;
        if !(i32::MIN as i64..=u32::MAX as i64).contains(&target) {
            return Err(Error::new(span, format!("target {target} is not a 32-bit address")));
        }
        let offset = (target as u32).wrapping_sub(self.pc) as i32;
        let limit = 1i64 << (bits - 1);
        if (-limit..limit).contains(&(offset as i64)) {
            return Ok(offset);
        }
        let (kind, reach) = if bits == 16 { ("branch", "±32 KiB") } else { ("jump", "±1 MiB") };
        Err(Error::new(span, format!("{kind} target is {offset} bytes away; a {kind} reaches {reach}")))
    }

    /// Operand `i` as `offset(base)`.
    pub fn mem(&self, i: usize) -> Result<(i16, Reg), Error> {
        let op = self.operand(i)?;
        let OperandKind::Mem { offset, base, base_span } = &op.kind else {
            return Err(Error::new(op.span, "expected a memory operand `offset(register)`".to_string()));
        };
        let base = parse_reg(base, *base_span)?;
        let offset = match offset {
            None => 0,
            Some(e) => {
                let v = eval(e, self.env).map_err(|err| eval_error(err, e.span))?;
                i16::try_from(v).map_err(|_| {
                    Error::new(
                        e.span,
                        format!("offset {v} is out of range; `{}` takes -32768..=32767", self.body.name),
                    )
                })?
            }
        };
        Ok((offset, base))
    }

    /// Operand `i` as `(base)` for an atomic (an offset must be zero).
    pub fn atomic_addr(&self, i: usize) -> Result<Reg, Error> {
        let (offset, base) = self.mem(i)?;
        if offset != 0 {
            let span = self.operand(i)?.span;
            return Err(Error::new(span, "atomics take no offset: write `(register)`".to_string()));
        }
        Ok(base)
    }
}

fn parse_reg(name: &str, span: Span) -> Result<Reg, Error> {
    Reg::parse(name).ok_or_else(|| Error::new(span, format!("unknown register `{name}`")))
}

/// `e` as a register name.
pub fn register(e: &Expr) -> Result<Reg, Error> {
    match &e.kind {
        ExprKind::Sym(name) => parse_reg(name, e.span),
        _ => Err(Error::new(e.span, "expected a register (r0..r31, x0..x31 or an ABI name)".to_string())),
    }
}

/// Instructions the statement occupies, decided in the first pass (`env` knows constants only).
pub fn size(body: &Body, env: &dyn Env) -> Result<u32, Error> {
    if let Some(n) = pseudo::size(body, env) {
        return Ok(n);
    }
    if classify(&body.name).is_some() {
        return Ok(1);
    }
    Err(Error::new(body.span, format!("unknown instruction `{}`", body.name)))
}

/// The instructions of the statement at `args.pc`; `count` is what [`size`] decided.
pub fn lower(args: &Args<'_>, count: u32) -> Result<Vec<Instruction>, Error> {
    if let Some(result) = pseudo::expand(args, count) {
        return result;
    }
    let Some(kind) = classify(&args.body.name) else {
        return Err(Error::new(args.body.span, format!("unknown instruction `{}`", args.body.name)));
    };
    lower_real(args, kind).map(|inst| vec![inst])
}

fn upper_imm(args: &Args<'_>) -> Result<u32, Error> {
    Ok(args.imm(1, -(1 << 19), IMM20_MAX as i64, "upper immediate")? as u32 & IMM20_MAX)
}

fn fence_set(e: &Expr, env: &dyn Env) -> Result<u8, Error> {
    let bad = || Error::new(e.span, "expected a fence set: letters from `iorw`, or `0`".to_string());
    if let ExprKind::Sym(letters) = &e.kind {
        let mut set = 0u8;
        for c in letters.chars() {
            let bit = match c {
                'i' => 8,
                'o' => 4,
                'r' => 2,
                'w' => 1,
                _ => return Err(bad()),
            };
            if set & bit != 0 {
                return Err(bad());
            }
            set |= bit;
        }
        return Ok(set);
    }
    match eval(e, env) {
        Ok(v @ 0..=15) => Ok(v as u8),
        Ok(_) => Err(bad()),
        Err(err) => Err(eval_error(err, e.span)),
    }
}

fn control_register(args: &Args<'_>, i: usize) -> Result<u16, Error> {
    let e = args.expr(i, "a control register")?;
    if let ExprKind::Sym(name) = &e.kind {
        if let Some(num) = cr::by_name(name) {
            return Ok(num);
        }
    }
    Ok(args.imm(i, 0, CR_MAX as i64, "control register number")? as u16)
}

fn lower_real(a: &Args<'_>, kind: Kind) -> Result<Instruction, Error> {
    let inst = match kind {
        Kind::Lui => {
            a.arity(&[2], "rd, imm20")?;
            Instruction::Lui { rd: a.reg(0)?, imm20: upper_imm(a)? }
        }
        Kind::Auipc => {
            a.arity(&[2], "rd, imm20")?;
            Instruction::Auipc { rd: a.reg(0)?, imm20: upper_imm(a)? }
        }
        Kind::Jal => {
            a.arity(&[1, 2], "[rd,] target")?;
            let offset = a.target(1, 21)?;
            debug_assert!(JAL_OFFSET_RANGE.contains(&offset));
            Instruction::Jal { rd: a.reg(0)?, offset }
        }
        Kind::Jalr => match a.arity(&[1, 2, 3], "rs | rd, offset(rs1) | rd, rs1, offset")? {
            2 if matches!(a.operand(1)?.kind, OperandKind::Mem { .. }) => {
                let (offset, rs1) = a.mem(1)?;
                Instruction::Jalr { rd: a.reg(0)?, rs1, offset }
            }
            2 => Instruction::Jalr { rd: a.reg(0)?, rs1: a.reg(1)?, offset: 0 },
            _ => Instruction::Jalr { rd: a.reg(0)?, rs1: a.reg(1)?, offset: a.imm16(2)? },
        },
        Kind::Branch(cond) => {
            a.arity(&[3], "rs1, rs2, target")?;
            let offset = a.target(2, 16)? as i16;
            Instruction::Branch { cond, rs1: a.reg(0)?, rs2: a.reg(1)?, offset }
        }
        Kind::Load(width) => {
            a.arity(&[2], "rd, offset(rs1)")?;
            let (offset, rs1) = a.mem(1)?;
            Instruction::Load { width, rd: a.reg(0)?, rs1, offset }
        }
        Kind::Store(width) => {
            a.arity(&[2], "rs2, offset(rs1)")?;
            let (offset, rs1) = a.mem(1)?;
            Instruction::Store { width, rs2: a.reg(0)?, rs1, offset }
        }
        Kind::AluImm(op) => {
            a.arity(&[3], "rd, rs1, imm16")?;
            Instruction::AluImm { op, rd: a.reg(0)?, rs1: a.reg(1)?, imm: a.imm16(2)? }
        }
        Kind::Shift(op) => {
            a.arity(&[3], "rd, rs1, shamt")?;
            let shamt = a.imm(2, 0, 31, "shift amount")? as u8;
            Instruction::ShiftImm { op, rd: a.reg(0)?, rs1: a.reg(1)?, shamt }
        }
        Kind::Alu(op) => {
            a.arity(&[3], "rd, rs1, rs2")?;
            Instruction::Alu { op, rd: a.reg(0)?, rs1: a.reg(1)?, rs2: a.reg(2)? }
        }
        Kind::Lr(order) => {
            a.arity(&[2], "rd, (rs1)")?;
            Instruction::Lr { rd: a.reg(0)?, rs1: a.atomic_addr(1)?, order }
        }
        Kind::Sc(order) => {
            a.arity(&[3], "rd, rs2, (rs1)")?;
            Instruction::Sc { rd: a.reg(0)?, rs2: a.reg(1)?, rs1: a.atomic_addr(2)?, order }
        }
        Kind::Amo(op, order) => {
            a.arity(&[3], "rd, rs2, (rs1)")?;
            Instruction::Amo { op, rd: a.reg(0)?, rs2: a.reg(1)?, rs1: a.atomic_addr(2)?, order }
        }
        Kind::Cr(op) => {
            a.arity(&[3], if op.is_immediate() { "rd, cr, uimm5" } else { "rd, cr, rs1" })?;
            let rd = a.reg(0)?;
            let cr = control_register(a, 1)?;
            let src =
                if op.is_immediate() { a.imm(2, 0, 31, "immediate")? as u8 } else { a.reg(2)?.num() as u8 };
            Instruction::Cr { op, rd, cr, src }
        }
        Kind::Fence => match a.arity(&[0, 2], "pred, succ")? {
            0 => Instruction::Fence { fm: 0, pred: 0b1111, succ: 0b1111 },
            _ => Instruction::Fence {
                fm: 0,
                pred: fence_set(a.expr(0, "a fence set")?, a.env)?,
                succ: fence_set(a.expr(1, "a fence set")?, a.env)?,
            },
        },
        Kind::FenceTso => {
            a.arity(&[0], "no operands")?;
            Instruction::Fence { fm: FENCE_TSO, pred: 0b0011, succ: 0b0011 }
        }
        Kind::Plain(inst) => {
            a.arity(&[0], "no operands")?;
            inst
        }
        Kind::TlbFlush => {
            a.arity(&[2], "rs1, rs2")?;
            Instruction::TlbFlush { rs1: a.reg(0)?, rs2: a.reg(1)? }
        }
    };
    Ok(inst)
}
