//! The ox32 toolchain: the `oxas` assembler, the `oxdis` disassembler, the `rv2ox`
//! RV32IMA→ox32 translator, the `oxdisk` disk-image tool ([`disk`]) and [`strip`], which keeps
//! only the loadable segments of an executable; [`input`] reads every file a user names, with a
//! bound.
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
//! 5. **Translation is re-encoding** ([`rv2ox`]): one RV32 word becomes one ox32 word at the
//!    same address, so every address, symbol and jump table stays valid.

pub mod asm;
pub mod disasm;
pub mod disk;
mod elf_write;
pub mod input;
pub mod rv2ox;
pub mod strip;
