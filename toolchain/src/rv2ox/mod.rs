//! `rv2ox`, the RV32 → ox32 translator: an RV32IMA ELF executable in, an ox32 ELF executable out.
//!
//! The pipeline: [`rv32::decode`] reads one RISC-V word, [`map::map`] turns it into one ox32
//! word, and [`translate_elf`] applies that to every word of every executable section, patching
//! a copy of the file in place.
//!
//! Invariants of the output (checked by a verification pass before it is returned):
//! 1. **Same layout.** The output has the input's size, and every byte is the input's except the
//!    re-encoded instruction words, `e_machine` (→ [`ox32::EM_OX32`]) and `e_flags` (→ 0). Every
//!    address, segment, section and symbol therefore stays valid.
//! 2. **One word for one word.** Each 32-bit word of an executable section becomes exactly one
//!    ox32 word, which `ox32::decode` reads back as the instruction the translator produced.
//! 3. **Words that exist to trap still trap.** A zero word (padding between functions, i.e.
//!    `c.unimp c.unimp`) and RV's `unimp` (`0xc0001073`) become ox32's illegal word 0 instead of
//!    an error. Every other word without an ox32 counterpart is an error.
//!
//! Executable sections are the `SHF_EXECINSTR` sections with file contents; a file without
//! section headers is read through its executable `PT_LOAD` segments instead.
//!
//! Errors: the input is untrusted. A malformed file is one [`TranslateError::File`]; otherwise
//! every untranslatable word is reported with its address (the first [`MAX_ERRORS`] by address,
//! and a count of the rest). A compressed instruction stops the scan of its section: after it the
//! stream is only 16-bit aligned, and what follows is not a sequence of 32-bit words.

pub mod map;
pub mod rv32;

use core::fmt;

use goblin::container::{Container, Ctx, Endian};
use goblin::elf::header::{EI_CLASS, EI_DATA, ELFCLASS32, ELFDATA2LSB, ELFMAG, EM_RISCV, ET_EXEC, SELFMAG};
use goblin::elf::program_header::{PF_X, PT_LOAD};
use goblin::elf::section_header::{SHF_EXECINSTR, SHT_NOBITS};
use goblin::elf::{Elf, ProgramHeader, SectionHeader};
use goblin::strtab::Strtab;

pub use map::OxWord;
pub use rv32::{RvError, RvInstruction};

/// At most this many errors are listed; the rest are counted.
pub const MAX_ERRORS: usize = 20;

/// File offsets of the ELF32 header fields the translator rewrites.
const E_MACHINE_OFFSET: usize = 18;
const E_FLAGS_OFFSET: usize = 36;
/// Size of the ELF32 header.
const EHDR32_SIZE: usize = 52;

/// How much was translated.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Words translated into ox32 instructions.
    pub instructions: usize,
    /// Zero and `unimp` words kept as the ox32 illegal word.
    pub illegal_words: usize,
    /// Bytes of executable sections translated (4 per word).
    pub bytes: usize,
}

/// One reason the input cannot be translated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TranslateError {
    /// The file as a whole is not a translatable RV32 executable.
    File(String),
    /// An executable section that cannot be read as a sequence of 32-bit words.
    Section {
        /// The section's name (`segment N` for a file without section headers).
        name: String,
        /// Its address.
        addr: u32,
        /// What is wrong.
        reason: String,
    },
    /// A word with no ox32 counterpart.
    Word {
        /// Its address.
        addr: u32,
        /// The RV32 word.
        word: u32,
        /// Why it cannot be translated.
        error: RvError,
    },
    /// The verification pass found output that breaks the translator's invariants: a bug in
    /// `rv2ox`, never a property of the input.
    Internal(String),
}

impl TranslateError {
    /// The address the error is about, if it is about one (for sorting).
    pub fn addr(&self) -> Option<u32> {
        match self {
            TranslateError::Section { addr, .. } | TranslateError::Word { addr, .. } => Some(*addr),
            TranslateError::File(_) | TranslateError::Internal(_) => None,
        }
    }
}

impl fmt::Display for TranslateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TranslateError::File(msg) => f.write_str(msg),
            TranslateError::Section { name, addr, reason } => {
                write!(f, "{addr:#010x}: section `{name}`: {reason}")
            }
            TranslateError::Word { addr, word, error } => {
                write!(f, "{addr:#010x}: word {word:#010x}: {error}")
            }
            TranslateError::Internal(msg) => write!(f, "internal error (a bug in rv2ox): {msg}"),
        }
    }
}

/// Every reason a translation failed: sorted by address, at most [`MAX_ERRORS`] of them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TranslateErrors {
    /// The errors, file-level ones first, then by address.
    pub errors: Vec<TranslateError>,
    /// How many more errors were found but not listed.
    pub omitted: usize,
}

impl TranslateErrors {
    fn one(error: TranslateError) -> TranslateErrors {
        TranslateErrors { errors: vec![error], omitted: 0 }
    }

    fn file(msg: impl Into<String>) -> TranslateErrors {
        TranslateErrors::one(TranslateError::File(msg.into()))
    }

    fn push(&mut self, error: TranslateError) {
        if self.errors.len() < MAX_ERRORS {
            self.errors.push(error);
        } else {
            self.omitted += 1;
        }
    }
}

impl fmt::Display for TranslateErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, error) in self.errors.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{error}")?;
        }
        if self.omitted > 0 {
            write!(f, "\n... and {} more error{}", self.omitted, if self.omitted == 1 { "" } else { "s" })?;
        }
        Ok(())
    }
}

impl std::error::Error for TranslateErrors {}

/// Translates one RV32 word into the ox32 word that replaces it.
///
/// The zero word is padding and becomes [`OxWord::Illegal`] (as does `unimp`); everything
/// else goes through [`rv32::decode`] and [`map::map`].
pub fn translate_word(word: u32) -> Result<OxWord, RvError> {
    if word == 0 {
        return Ok(OxWord::Illegal);
    }
    rv32::decode(word).and_then(map::map)
}

/// Translates an RV32IMA ELF executable into an ox32 ELF executable with the same layout.
pub fn translate_elf(bytes: &[u8]) -> Result<Vec<u8>, TranslateErrors> {
    translate_elf_with_stats(bytes).map(|(out, _)| out)
}

/// [`translate_elf`], also saying how much was translated.
pub fn translate_elf_with_stats(bytes: &[u8]) -> Result<(Vec<u8>, Stats), TranslateErrors> {
    let regions = executable_regions(bytes)?;
    let mut errors = TranslateErrors::default();
    let mut out = bytes.to_vec();
    let mut produced: Vec<(usize, OxWord)> = Vec::with_capacity(regions.iter().map(|r| r.size / 4).sum());
    let mut stats = Stats::default();
    for region in &regions {
        if region.addr % 4 != 0 {
            errors.push(region.error(format!("starts at {:#x}, which is not a multiple of 4", region.addr)));
            continue;
        }
        let words = region.size / 4;
        for i in 0..words {
            let offset = region.offset + 4 * i;
            let addr = region.addr.wrapping_add((4 * i) as u32);
            let word = read_u32(bytes, offset);
            match translate_word(word) {
                Ok(ox) => {
                    out[offset..offset + 4].copy_from_slice(&ox.word().to_le_bytes());
                    produced.push((offset, ox));
                    match ox {
                        OxWord::Instruction(_) => stats.instructions += 1,
                        OxWord::Illegal => stats.illegal_words += 1,
                    }
                    stats.bytes += 4;
                }
                Err(error) => {
                    errors.push(TranslateError::Word { addr, word, error });
                    if error == RvError::Compressed {
                        break;
                    }
                }
            }
        }
        if region.size % 4 != 0 {
            errors.push(region.error(format!(
                "size {:#x} is not a multiple of 4 (ox32 and RV32IMA code are 32-bit words)",
                region.size
            )));
        }
    }
    if !errors.errors.is_empty() {
        errors.errors.sort_by_key(TranslateError::addr);
        return Err(errors);
    }
    out[E_MACHINE_OFFSET..E_MACHINE_OFFSET + 2].copy_from_slice(&ox32::EM_OX32.to_le_bytes());
    out[E_FLAGS_OFFSET..E_FLAGS_OFFSET + 4].copy_from_slice(&0u32.to_le_bytes());
    verify(bytes, &out, &produced).map_err(|msg| TranslateErrors::one(TranslateError::Internal(msg)))?;
    Ok((out, stats))
}

/// The little-endian word at `offset`; callers have checked that it is inside `bytes`.
fn read_u32(bytes: &[u8], offset: usize) -> u32 {
    let mut word = [0; 4];
    word.copy_from_slice(&bytes[offset..offset + 4]);
    u32::from_le_bytes(word)
}

/// A part of the file holding instructions: an executable section (or segment).
struct Region {
    name: String,
    addr: u32,
    offset: usize,
    size: usize,
}

impl Region {
    fn error(&self, reason: String) -> TranslateError {
        TranslateError::Section { name: self.name.clone(), addr: self.addr, reason }
    }
}

/// Checks the ELF header and finds the executable regions, sorted by address.
fn executable_regions(bytes: &[u8]) -> Result<Vec<Region>, TranslateErrors> {
    if bytes.len() < SELFMAG || &bytes[..SELFMAG] != ELFMAG {
        return Err(TranslateErrors::file("not an ELF file (bad magic number)"));
    }
    if bytes.get(EI_CLASS) != Some(&ELFCLASS32) {
        return Err(TranslateErrors::file(
            "not a 32-bit ELF file (ELFCLASS32); rv2ox translates RV32 executables, not RV64",
        ));
    }
    if bytes.get(EI_DATA) != Some(&ELFDATA2LSB) {
        return Err(TranslateErrors::file("a big-endian ELF file; RV32 and ox32 are little-endian"));
    }
    if bytes.len() < EHDR32_SIZE {
        return Err(TranslateErrors::file(format!(
            "truncated ELF header ({} bytes, ELF32 needs {EHDR32_SIZE})",
            bytes.len()
        )));
    }
    let header =
        Elf::parse_header(bytes).map_err(|e| TranslateErrors::file(format!("not a valid ELF file: {e}")))?;
    if header.e_machine == ox32::EM_OX32 {
        return Err(TranslateErrors::file(format!(
            "already an ox32 executable (e_machine {:#x}); rv2ox translates RISC-V executables \
             (e_machine EM_RISCV = {EM_RISCV})",
            ox32::EM_OX32
        )));
    }
    if header.e_machine != EM_RISCV {
        return Err(TranslateErrors::file(format!(
            "not a RISC-V executable: e_machine is {}, expected EM_RISCV = {EM_RISCV}",
            header.e_machine
        )));
    }
    if header.e_type != ET_EXEC {
        return Err(TranslateErrors::file(format!(
            "e_type is {}, not an executable (ET_EXEC = {ET_EXEC}); translate linked programs",
            header.e_type
        )));
    }
    let ctx = Ctx::new(Container::Little, Endian::Little);
    let e_shoff = usize::try_from(header.e_shoff).unwrap_or(usize::MAX);
    let sections = SectionHeader::parse(bytes, e_shoff, usize::from(header.e_shnum), ctx)
        .map_err(|e| TranslateErrors::file(format!("malformed section headers: {e}")))?;
    let mut candidates = Vec::new();
    if sections.is_empty() {
        let e_phoff = usize::try_from(header.e_phoff).unwrap_or(usize::MAX);
        let segments = ProgramHeader::parse(bytes, e_phoff, usize::from(header.e_phnum), ctx)
            .map_err(|e| TranslateErrors::file(format!("malformed program headers: {e}")))?;
        for (i, ph) in segments.iter().enumerate() {
            if ph.p_type == PT_LOAD && ph.p_flags & PF_X != 0 && ph.p_filesz > 0 {
                candidates.push((format!("segment {i}"), ph.p_vaddr, ph.p_offset, ph.p_filesz));
            }
        }
    } else {
        let names = section_names(bytes, &sections, usize::from(header.e_shstrndx));
        for (i, sh) in sections.iter().enumerate() {
            if sh.sh_flags & u64::from(SHF_EXECINSTR) != 0 && sh.sh_type != SHT_NOBITS && sh.sh_size > 0 {
                let name = names
                    .as_ref()
                    .and_then(|n| n.get_at(sh.sh_name))
                    .map_or_else(|| format!("section {i}"), str::to_string);
                candidates.push((name, sh.sh_addr, sh.sh_offset, sh.sh_size));
            }
        }
    }
    let mut regions = Vec::new();
    for (name, addr, offset, size) in candidates {
        let fits = |v: u64| u32::try_from(v).is_ok();
        if !fits(addr) || !fits(size) || addr + size > 1 << 32 {
            return Err(TranslateErrors::file(format!(
                "`{name}` ({addr:#x}, size {size:#x}) lies outside the 32-bit address space"
            )));
        }
        let in_file = offset.checked_add(size).is_some_and(|end| end <= bytes.len() as u64);
        if !in_file {
            return Err(TranslateErrors::file(format!(
                "`{name}` (file offset {offset:#x}, size {size:#x}) extends past the end of the file \
                 ({:#x} bytes; truncated?)",
                bytes.len()
            )));
        }
        if offset < EHDR32_SIZE as u64 {
            return Err(TranslateErrors::file(format!(
                "`{name}` (file offset {offset:#x}) overlaps the ELF header"
            )));
        }
        regions.push(Region { name, addr: addr as u32, offset: offset as usize, size: size as usize });
    }
    if regions.is_empty() {
        return Err(TranslateErrors::file("no executable section: nothing to translate"));
    }
    regions.sort_by_key(|r| r.addr);
    Ok(regions)
}

/// The section-name string table, if the file has a usable one.
fn section_names<'a>(bytes: &'a [u8], sections: &[SectionHeader], shstrndx: usize) -> Option<Strtab<'a>> {
    let sh = sections.get(shstrndx)?;
    let offset = usize::try_from(sh.sh_offset).ok()?;
    let size = usize::try_from(sh.sh_size).ok()?;
    if offset.checked_add(size)? > bytes.len() {
        return None;
    }
    Strtab::parse(bytes, offset, size, 0).ok()
}

/// The verification pass: every produced word decodes to what was produced, and every other
/// byte (except `e_machine` and `e_flags`) is the input's.
fn verify(input: &[u8], out: &[u8], produced: &[(usize, OxWord)]) -> Result<(), String> {
    if input.len() != out.len() {
        return Err(format!("output size {} differs from input size {}", out.len(), input.len()));
    }
    let mut changed: Vec<(usize, usize)> =
        vec![(E_MACHINE_OFFSET, E_MACHINE_OFFSET + 2), (E_FLAGS_OFFSET, E_FLAGS_OFFSET + 4)];
    for &(offset, ox) in produced {
        let word = read_u32(out, offset);
        let ok = match ox {
            OxWord::Instruction(inst) => ox32::decode(word) == Ok(inst),
            OxWord::Illegal => word == 0 && ox32::decode(word).is_err(),
        };
        if !ok {
            return Err(format!("word {word:#010x} at file offset {offset:#x} does not decode as {ox:?}"));
        }
        match changed.last_mut() {
            Some(last) if last.1 == offset => last.1 = offset + 4,
            _ => changed.push((offset, offset + 4)),
        }
    }
    changed.sort_unstable();
    let mut pos = 0;
    for (start, end) in changed {
        if start > pos && input[pos..start] != out[pos..start] {
            return Err(format!("bytes outside instructions changed in {pos:#x}..{start:#x}"));
        }
        pos = pos.max(end);
    }
    if input[pos..] != out[pos..] {
        return Err(format!("bytes outside instructions changed after {pos:#x}"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_are_capped_and_counted() {
        let mut errors = TranslateErrors::default();
        for i in 0..MAX_ERRORS as u32 + 3 {
            errors.push(TranslateError::Word { addr: 4 * i, word: 1, error: RvError::Compressed });
        }
        assert_eq!(errors.errors.len(), MAX_ERRORS);
        assert_eq!(errors.omitted, 3);
        assert!(errors.to_string().ends_with("\n... and 3 more errors"));
    }

    #[test]
    fn verify_catches_changed_bytes() {
        let input = vec![7u8; 64];
        let mut out = input.clone();
        assert_eq!(verify(&input, &out, &[]), Ok(()));
        out[50] = 0;
        assert!(verify(&input, &out, &[]).is_err());
        let mut out = input.clone();
        out[40..44].copy_from_slice(&0u32.to_le_bytes());
        assert_eq!(verify(&input, &out, &[(40, OxWord::Illegal)]), Ok(()));
        let nop = OxWord::Instruction(ox32::Instruction::FenceI);
        assert!(verify(&input, &out, &[(40, nop)]).is_err());
    }
}
