//! Pre-decoded instructions: the form the interpreter executes.
//!
//! Each instruction word is decoded once (by `ox32::decode`) into an 8-byte [`Op`] whose
//! `kind` selects one arm of the interpreter's `match`. Immediates are pre-shifted, and a
//! destination of `r0` is redirected to a scratch register (index 32) so that no arm has to
//! test for `r0`.

use ox32::{AluImmOp, AluOp, BranchCond, Instruction, LoadWidth, ShiftOp, StoreWidth};

/// Register index that absorbs writes to `r0`.
pub const SINK: u8 = 32;

/// What an [`Op`] does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Kind {
    /// Not decoded yet: decode the word in place, then execute it.
    Undecoded,
    /// The slot after a page's last instruction: leave the page.
    PageEnd,
    /// Not an instruction; `imm` holds the word.
    Illegal,
    Lui,
    Auipc,
    Jal,
    Jalr,
    Beq,
    Bne,
    Blt,
    Bge,
    Bltu,
    Bgeu,
    Lb,
    Lh,
    Lw,
    Lbu,
    Lhu,
    Sb,
    Sh,
    Sw,
    Addi,
    Slti,
    Sltiu,
    Xori,
    Ori,
    Andi,
    Slli,
    Srli,
    Srai,
    Add,
    Sub,
    Sll,
    Slt,
    Sltu,
    Xor,
    Srl,
    Sra,
    Or,
    And,
    Mul,
    Mulh,
    Mulhsu,
    Mulhu,
    Div,
    Divu,
    Rem,
    Remu,
    /// Everything rarer: atomics, control registers, fences and system instructions, executed
    /// from the full [`Instruction`] in `Cpu::execute_system`.
    System,
}

/// One pre-decoded instruction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Op {
    /// What to do.
    pub kind: Kind,
    /// Destination register (or [`SINK`]); for stores and branches, the first source.
    pub rd: u8,
    /// First source register (base register for memory access).
    pub rs1: u8,
    /// Second source register (the value for stores).
    pub rs2: u8,
    /// Immediate, sign-extended and pre-shifted; the word for `Illegal` and `System`.
    pub imm: u32,
}

impl Op {
    /// A slot not decoded yet.
    pub const UNDECODED: Op = Op { kind: Kind::Undecoded, rd: 0, rs1: 0, rs2: 0, imm: 0 };
    /// The sentinel after the last slot of a page.
    pub const PAGE_END: Op = Op { kind: Kind::PageEnd, rd: 0, rs1: 0, rs2: 0, imm: 0 };

    /// The op for instruction word `word`.
    pub fn decode(word: u32) -> Op {
        match ox32::decode(word) {
            Ok(inst) => Op::from_instruction(&inst, word),
            Err(_) => Op { kind: Kind::Illegal, rd: 0, rs1: 0, rs2: 0, imm: word },
        }
    }

    fn from_instruction(inst: &Instruction, word: u32) -> Op {
        let dest = |r: ox32::Reg| if r.num() == 0 { SINK } else { r.num() as u8 };
        let op = |kind, rd: u8, rs1: ox32::Reg, rs2: ox32::Reg, imm: u32| Op {
            kind,
            rd,
            rs1: rs1.num() as u8,
            rs2: rs2.num() as u8,
            imm,
        };
        let zero = ox32::Reg::ZERO;
        match *inst {
            Instruction::Lui { rd, imm20 } => op(Kind::Lui, dest(rd), zero, zero, imm20 << 12),
            Instruction::Auipc { rd, imm20 } => op(Kind::Auipc, dest(rd), zero, zero, imm20 << 12),
            Instruction::Jal { rd, offset } => op(Kind::Jal, dest(rd), zero, zero, offset as u32),
            Instruction::Jalr { rd, rs1, offset } => {
                op(Kind::Jalr, dest(rd), rs1, zero, offset as i32 as u32)
            }
            Instruction::Branch { cond, rs1, rs2, offset } => {
                let kind = match cond {
                    BranchCond::Eq => Kind::Beq,
                    BranchCond::Ne => Kind::Bne,
                    BranchCond::Lt => Kind::Blt,
                    BranchCond::Ge => Kind::Bge,
                    BranchCond::Ltu => Kind::Bltu,
                    BranchCond::Geu => Kind::Bgeu,
                };
                op(kind, 0, rs1, rs2, offset as i32 as u32)
            }
            Instruction::Load { width, rd, rs1, offset } => {
                let kind = match width {
                    LoadWidth::B => Kind::Lb,
                    LoadWidth::H => Kind::Lh,
                    LoadWidth::W => Kind::Lw,
                    LoadWidth::Bu => Kind::Lbu,
                    LoadWidth::Hu => Kind::Lhu,
                };
                op(kind, dest(rd), rs1, zero, offset as i32 as u32)
            }
            Instruction::Store { width, rs1, rs2, offset } => {
                let kind = match width {
                    StoreWidth::B => Kind::Sb,
                    StoreWidth::H => Kind::Sh,
                    StoreWidth::W => Kind::Sw,
                };
                op(kind, 0, rs1, rs2, offset as i32 as u32)
            }
            Instruction::AluImm { op: alu, rd, rs1, imm } => {
                let kind = match alu {
                    AluImmOp::Addi => Kind::Addi,
                    AluImmOp::Slti => Kind::Slti,
                    AluImmOp::Sltiu => Kind::Sltiu,
                    AluImmOp::Xori => Kind::Xori,
                    AluImmOp::Ori => Kind::Ori,
                    AluImmOp::Andi => Kind::Andi,
                };
                op(kind, dest(rd), rs1, zero, imm as i32 as u32)
            }
            Instruction::ShiftImm { op: shift, rd, rs1, shamt } => {
                let kind = match shift {
                    ShiftOp::Slli => Kind::Slli,
                    ShiftOp::Srli => Kind::Srli,
                    ShiftOp::Srai => Kind::Srai,
                };
                op(kind, dest(rd), rs1, zero, shamt as u32)
            }
            Instruction::Alu { op: alu, rd, rs1, rs2 } => {
                let kind = match alu {
                    AluOp::Add => Kind::Add,
                    AluOp::Sub => Kind::Sub,
                    AluOp::Sll => Kind::Sll,
                    AluOp::Slt => Kind::Slt,
                    AluOp::Sltu => Kind::Sltu,
                    AluOp::Xor => Kind::Xor,
                    AluOp::Srl => Kind::Srl,
                    AluOp::Sra => Kind::Sra,
                    AluOp::Or => Kind::Or,
                    AluOp::And => Kind::And,
                    AluOp::Mul => Kind::Mul,
                    AluOp::Mulh => Kind::Mulh,
                    AluOp::Mulhsu => Kind::Mulhsu,
                    AluOp::Mulhu => Kind::Mulhu,
                    AluOp::Div => Kind::Div,
                    AluOp::Divu => Kind::Divu,
                    AluOp::Rem => Kind::Rem,
                    AluOp::Remu => Kind::Remu,
                };
                op(kind, dest(rd), rs1, rs2, 0)
            }
            _ => Op { kind: Kind::System, rd: 0, rs1: 0, rs2: 0, imm: word },
        }
    }
}

/// Decoded instructions for every fetchable frame that has run code.
pub struct CodeCache {
    pages: Vec<Option<Box<[Op; 1025]>>>,
    /// Per frame, bumped each time its decoded instructions are forgotten, so that anything
    /// derived from them (the JIT's blocks) can tell it is stale.
    versions: Vec<u32>,
}

impl CodeCache {
    /// An empty cache for `frames` fetchable frames.
    pub fn new(frames: usize) -> CodeCache {
        CodeCache { pages: (0..frames).map(|_| None).collect(), versions: vec![0; frames] }
    }

    /// The decoded page of `frame`, created empty if needed; the flag says it was created.
    pub fn page(&mut self, frame: usize) -> (&mut [Op; 1025], bool) {
        let slot = &mut self.pages[frame];
        let created = slot.is_none();
        let page = slot.get_or_insert_with(|| {
            let mut page = Box::new([Op::UNDECODED; 1025]);
            page[1024] = Op::PAGE_END;
            page
        });
        (page, created)
    }

    /// Forgets the decoded instructions of `frame`.
    pub fn drop_frame(&mut self, frame: usize) {
        self.pages[frame] = None;
        self.versions[frame] = self.versions[frame].wrapping_add(1);
    }

    /// Where `frame`'s version is kept (stable while the cache lives), for translated code.
    pub fn version_ptr(&self, frame: usize) -> *const u32 {
        &self.versions[frame]
    }

    /// How many times `frame`'s decoded instructions have been forgotten (wrapping).
    #[inline(always)]
    pub fn version(&self, frame: usize) -> u32 {
        self.versions[frame]
    }

    /// Forgets everything.
    pub fn clear(&mut self) {
        self.pages.iter_mut().for_each(|p| *p = None);
        self.versions.iter_mut().for_each(|v| *v = v.wrapping_add(1));
    }
}
