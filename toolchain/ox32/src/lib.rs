//! The ox32 instruction set, as one crate shared by the emulator, the assembler, the
//! disassembler and the RV32→ox32 translator.
//!
//! Design principles:
//! 1. **One decoder.** [`decode`] is the only place that reads instruction bits; the CPU, the
//!    disassembler and the translator all call it. [`encode`] is its exact inverse: every word
//!    `decode` accepts re-encodes to itself, and every [`Instruction`] round-trips.
//! 2. **One-to-one with RV32IMA.** Every RV32IMA (+ Zicsr, Zifencei) instruction has exactly one
//!    ox32 instruction with the same semantics, so translated code keeps every address.
//! 3. **Our own bits.** The major opcode sits in bits 31..26 and registers in fixed fields
//!    (25..21, 20..16, 15..11); immediates are wider than RV32's, never narrower.
//! 4. **Architectural constants live here**: control registers ([`cr`]), trap causes
//!    ([`trap`]), page-table entries ([`pte`]) and the physical memory map ([`memmap`]), so the
//!    emulator, the tools and (through the docs) the guest agree.
//!
//! `docs/isa.md` is the specification a person reads; this crate is the same in code.
//!
//! The crate is `no_std` with `alloc` (only the disassembly text needs `String`), so the guest
//! kernels use the same constants as the emulator: `ox_kcore` takes its page-table bits,
//! control-register numbers, trap causes and memory map from here.

#![no_std]

extern crate alloc;

pub mod cr;
mod decode;
mod encode;
mod format;
mod instruction;
pub mod memmap;
pub mod pte;
mod reg;
pub mod trap;

pub use decode::{decode, DecodeError, DecodeErrorKind};
pub use encode::encode;
pub use format::{
    alu_imm_mnemonic, alu_mnemonic, amo_mnemonic, branch_mnemonic, cr_mnemonic, disassemble, fence_set,
    load_mnemonic, ordering_suffix, shift_mnemonic, store_mnemonic,
};
pub use instruction::{
    opcode, AluImmOp, AluOp, AmoOp, BranchCond, CrOp, Instruction, LoadWidth, Ordering, ShiftOp, StoreWidth,
    SysOp, CR_MAX, FENCE_TSO, IMM20_MAX, JAL_OFFSET_RANGE,
};
pub use reg::{Reg, ABI_NAMES};

/// The ELF `e_machine` value of ox32 executables: `0x4F58`, the letters "OX" (not assigned by
/// any registry; chosen well away from the assigned range).
pub const EM_OX32: u16 = 0x4f58;

/// The size of every instruction, in bytes.
pub const INSTRUCTION_SIZE: u32 = 4;
