//! The mapping RV32 → ox32: one [`RvInstruction`] becomes one [`OxWord`] (docs/isa.md §8).
//!
//! Almost every instruction maps field for field: the operation kinds are shared, `xN` becomes
//! `rN`, and every RV32 immediate fits the wider ox32 field with the same value. The exceptions,
//! all listed in the mapping table of `docs/isa.md`:
//!
//! - CSR numbers: an ox32 control-register number ([`ox32::cr`]) is copied; the RV counters
//!   `cycle`/`cycleh`, `time`/`timeh` and `instret`/`instreth` become ox32's `cycle`/`cycleh`,
//!   `time`/`timeh` and (because ox32's `cycle` counts retired instructions) `cycle`/`cycleh`.
//!   Every other number is an error: it would only trap at run time, far from its cause.
//! - `unimp` (`csrrw zero, cycle, zero`, the word `0xc0001073`) becomes the ox32 illegal word 0:
//!   it exists to trap, and on ox32 it still does, visibly.
//! - The privileged instructions: `sret`/`mret` → `eret`, `wfi` → `wait`, `sfence.vma` →
//!   `tlbflush`, `ecall` → `syscall`, `ebreak` → `break`.

use ox32::{cr, CrOp, Instruction, Reg};

use super::rv32::{RvError, RvInstruction};

/// The ox32 word that replaces one RV32 word.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum OxWord {
    /// An instruction with the same semantics.
    Instruction(Instruction),
    /// The ox32 illegal word `0x0000_0000` (opcode 0 is reserved), for RV words that exist to
    /// trap: padding zeros (`c.unimp c.unimp`) and `unimp`.
    Illegal,
}

impl OxWord {
    /// The 32-bit word written to the output.
    pub fn word(&self) -> u32 {
        match self {
            OxWord::Instruction(inst) => ox32::encode(inst),
            OxWord::Illegal => 0,
        }
    }
}

/// RV's canonical `unimp`: `csrrw zero, cycle, zero`.
pub const RV_UNIMP: u32 = 0xc000_1073;

/// RV counter CSR numbers and the ox32 control registers they become.
pub const RV_COUNTERS: [(u16, &str, u16); 6] = [
    (0xc00, "cycle", cr::CYCLE),
    (0xc80, "cycleh", cr::CYCLEH),
    (0xc01, "time", cr::TIME),
    (0xc81, "timeh", cr::TIMEH),
    (0xc02, "instret", cr::CYCLE),
    (0xc82, "instreth", cr::CYCLEH),
];

/// The ox32 control-register number for RISC-V CSR number `csr`, if it has one.
pub fn map_csr(csr: u16) -> Option<u16> {
    if let Some(&(_, _, ox)) = RV_COUNTERS.iter().find(|(rv, _, _)| *rv == csr) {
        return Some(ox);
    }
    cr::name(csr).map(|_| csr)
}

/// The ox32 word for one decoded RV32 instruction; only an unknown CSR number can fail.
pub fn map(inst: RvInstruction) -> Result<OxWord, RvError> {
    let ox = match inst {
        RvInstruction::Lui { rd, imm20 } => Instruction::Lui { rd, imm20 },
        RvInstruction::Auipc { rd, imm20 } => Instruction::Auipc { rd, imm20 },
        RvInstruction::Jal { rd, offset } => Instruction::Jal { rd, offset },
        RvInstruction::Jalr { rd, rs1, offset } => Instruction::Jalr { rd, rs1, offset },
        RvInstruction::Branch { cond, rs1, rs2, offset } => Instruction::Branch { cond, rs1, rs2, offset },
        RvInstruction::Load { width, rd, rs1, offset } => Instruction::Load { width, rd, rs1, offset },
        RvInstruction::Store { width, rs1, rs2, offset } => Instruction::Store { width, rs1, rs2, offset },
        RvInstruction::AluImm { op, rd, rs1, imm } => Instruction::AluImm { op, rd, rs1, imm },
        RvInstruction::ShiftImm { op, rd, rs1, shamt } => Instruction::ShiftImm { op, rd, rs1, shamt },
        RvInstruction::Alu { op, rd, rs1, rs2 } => Instruction::Alu { op, rd, rs1, rs2 },
        RvInstruction::Lr { rd, rs1, order } => Instruction::Lr { rd, rs1, order },
        RvInstruction::Sc { rd, rs1, rs2, order } => Instruction::Sc { rd, rs1, rs2, order },
        RvInstruction::Amo { op, rd, rs1, rs2, order } => Instruction::Amo { op, rd, rs1, rs2, order },
        RvInstruction::Csr { op: CrOp::Rw, rd: Reg::ZERO, csr: 0xc00, src: 0 } => return Ok(OxWord::Illegal),
        RvInstruction::Csr { op, rd, csr, src } => {
            let cr = map_csr(csr).ok_or(RvError::UnknownCsr(csr))?;
            Instruction::Cr { op, rd, cr, src }
        }
        RvInstruction::Fence { fm, pred, succ } => Instruction::Fence { fm, pred, succ },
        RvInstruction::FenceI => Instruction::FenceI,
        RvInstruction::Ecall => Instruction::Syscall,
        RvInstruction::Ebreak => Instruction::Break,
        RvInstruction::Sret | RvInstruction::Mret => Instruction::Eret,
        RvInstruction::Wfi => Instruction::Wait,
        RvInstruction::SfenceVma { rs1, rs2 } => Instruction::TlbFlush { rs1, rs2 },
    };
    Ok(OxWord::Instruction(ox))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rv2ox::rv32::decode;

    #[test]
    fn unimp_becomes_the_illegal_word() {
        assert_eq!(decode(RV_UNIMP).and_then(map), Ok(OxWord::Illegal));
        assert_eq!(OxWord::Illegal.word(), 0);
        assert!(ox32::decode(0).is_err());
    }

    #[test]
    fn csr_numbers() {
        assert_eq!(map_csr(0xc00), Some(cr::CYCLE));
        assert_eq!(map_csr(0xc82), Some(cr::CYCLEH));
        assert_eq!(map_csr(cr::PTBR), Some(cr::PTBR));
        assert_eq!(map_csr(0x00a), None);
        assert_eq!(map_csr(0x300), None);
        for (num, _, _, _) in cr::ALL {
            assert_eq!(map_csr(num), Some(num));
        }
    }
}
