//! The ox32 toolchain: the `oxas` assembler and the `oxdis` disassembler.
//!
//! Design principles:
//! 1. **The ISA crate is the single source of truth.** Mnemonics, register and control-register
//!    names come from `ox32`; instructions are built as `ox32::Instruction` values and encoded
//!    with `ox32::encode`, decoded with `ox32::decode` and printed with `ox32::disassemble`.
//! 2. **The assembler is a pipeline** ([`asm`]): lexer → parser → two-pass layout → matcher →
//!    output, one file per stage.
//! 3. **No panics on input.** Source text and ELF files are untrusted; every problem becomes a
//!    diagnostic with its location ([`asm::Diagnostics`]) or an [`disasm::ElfError`].
//! 4. **Round trips are the tests.** Everything `oxdis` prints, `oxas` assembles back to the same
//!    bytes.

pub mod asm;
pub mod disasm;
mod elf_write;
pub mod rv2ox;
