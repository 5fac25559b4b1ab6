//! `oxdis`, the ox32 disassembler: ELF executable → `objdump -d`-style listing, or → `oxas`
//! source that reassembles to the same section bytes.
//!
//! Conventions: the listing shows every allocated executable section as
//! `Disassembly of section NAME:`, a `ADDR <symbol>:` header wherever a symbol starts, and one
//! line per word: `ADDR:\tWORD\tTEXT`, where `TEXT` is `ox32::disassemble` with branch targets
//! annotated `<symbol+0xN>`. A word that does not decode prints as `.word 0x........` followed by
//! `# illegal: <reason>`; trailing bytes that do not fill a word print as `.byte`.
//!
//! The reassemblable source names every section with `.section NAME, "flags"[, @nobits]`, puts
//! every symbol back as a label (plus a `.L<addr>` label at each branch or jump target that has
//! none, so code does not depend on where it is placed), emits instructions as text, undecodable
//! words as `.word` and data as `.byte`. Invariant: assembling it gives the same bytes in every
//! section.
//!
//! Untrusted input: malformed, truncated, 64-bit, big-endian or non-ox32 files are an
//! [`ElfError`], never a panic.

use core::fmt;
use std::collections::{BTreeMap, HashSet};
use std::fmt::Write;

use goblin::elf::section_header::{SHF_ALLOC, SHF_EXECINSTR, SHF_WRITE, SHT_NOBITS, SHT_PROGBITS};
use goblin::elf::sym::{STB_GLOBAL, STT_FILE, STT_SECTION};
use goblin::elf::Elf;
use ox32::Instruction;

/// Why a file cannot be disassembled.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ElfError(pub String);

impl fmt::Display for ElfError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ElfError {}

/// One allocated section of the file.
struct Sec<'a> {
    name: String,
    addr: u32,
    size: u32,
    data: &'a [u8],
    write: bool,
    execute: bool,
    nobits: bool,
}

/// One named symbol.
struct Sym {
    name: String,
    addr: u32,
    global: bool,
}

/// The parts of an ELF file the disassembler uses.
struct Image<'a> {
    sections: Vec<Sec<'a>>,
    symbols: Vec<Sym>,
}

impl Image<'_> {
    /// The section that holds `addr` (a section's end counts, for labels placed there).
    fn section_of(&self, addr: u32) -> Option<&Sec<'_>> {
        self.sections.iter().find(|s| addr >= s.addr && (addr - s.addr) <= s.size)
    }

    /// `name` or `name+0xN` for the closest symbol at or below `addr` in the same section.
    fn describe(&self, addr: u32) -> Option<String> {
        let sec = self.section_of(addr)?;
        let sym = self
            .symbols
            .iter()
            .filter(|s| s.addr <= addr && s.addr >= sec.addr)
            .max_by_key(|s| (s.addr, s.global))?;
        Some(match addr - sym.addr {
            0 => sym.name.clone(),
            off => format!("{}+{off:#x}", sym.name),
        })
    }
}

fn load(bytes: &[u8]) -> Result<Image<'_>, ElfError> {
    let elf = Elf::parse(bytes).map_err(|e| ElfError(format!("not a valid ELF file: {e}")))?;
    if elf.is_64 {
        return Err(ElfError("this is a 64-bit ELF file; ox32 executables are ELF32".to_string()));
    }
    if !elf.little_endian {
        return Err(ElfError("this is a big-endian ELF file; ox32 is little-endian".to_string()));
    }
    if elf.header.e_machine != ox32::EM_OX32 {
        return Err(ElfError(format!(
            "not an ox32 executable: e_machine is {:#x}, expected {:#x}",
            elf.header.e_machine,
            ox32::EM_OX32
        )));
    }
    let mut sections = Vec::new();
    for (i, sh) in elf.section_headers.iter().enumerate() {
        let loaded = sh.sh_type == SHT_PROGBITS || sh.sh_type == SHT_NOBITS;
        if !loaded || sh.sh_flags & u64::from(SHF_ALLOC) == 0 || sh.sh_size == 0 {
            continue;
        }
        let name = elf.shdr_strtab.get_at(sh.sh_name).map_or_else(|| format!("section{i}"), str::to_string);
        let (Ok(addr), Ok(size)) = (u32::try_from(sh.sh_addr), u32::try_from(sh.sh_size)) else {
            return Err(ElfError(format!("section `{name}` lies outside the 32-bit address space")));
        };
        if addr.checked_add(size).is_none() && addr.wrapping_add(size) != 0 {
            return Err(ElfError(format!("section `{name}` wraps around the 32-bit address space")));
        }
        let nobits = sh.sh_type == SHT_NOBITS;
        let data = if nobits {
            &[][..]
        } else {
            usize::try_from(sh.sh_offset)
                .ok()
                .and_then(|start| bytes.get(start..start.checked_add(size as usize)?))
                .ok_or_else(|| {
                    ElfError(format!("section `{name}` extends past the end of the file (truncated?)"))
                })?
        };
        sections.push(Sec {
            name,
            addr,
            size,
            data,
            write: sh.sh_flags & u64::from(SHF_WRITE) != 0,
            execute: sh.sh_flags & u64::from(SHF_EXECINSTR) != 0,
            nobits,
        });
    }
    sections.sort_by_key(|s| s.addr);
    let mut symbols = Vec::new();
    for sym in elf.syms.iter() {
        if sym.st_type() == STT_SECTION || sym.st_type() == STT_FILE || sym.st_name == 0 {
            continue;
        }
        let Some(name) = elf.strtab.get_at(sym.st_name).filter(|n| !n.is_empty()) else { continue };
        let Ok(addr) = u32::try_from(sym.st_value) else { continue };
        symbols.push(Sym { name: name.to_string(), addr, global: sym.st_bind() == STB_GLOBAL });
    }
    Ok(Image { sections, symbols })
}

fn word_at(data: &[u8], offset: usize) -> Option<u32> {
    let b = data.get(offset..offset + 4)?;
    Some(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
}

/// The `objdump -d`-style listing of every executable section of the ELF file `bytes`.
pub fn disassemble_elf(bytes: &[u8]) -> Result<String, ElfError> {
    let image = load(bytes)?;
    let lookup = |addr: u32| image.describe(addr);
    let mut out = String::new();
    for sec in image.sections.iter().filter(|s| s.execute && !s.nobits) {
        let _ = write!(out, "\nDisassembly of section {}:\n", sec.name);
        let starts: BTreeMap<u32, &str> = image
            .symbols
            .iter()
            .filter(|s| s.addr >= sec.addr && s.addr - sec.addr < sec.size)
            .map(|s| (s.addr, s.name.as_str()))
            .collect();
        if !starts.contains_key(&sec.addr) {
            let _ = write!(out, "\n{:08x} <{}>:\n", sec.addr, sec.name);
        }
        let mut offset = 0usize;
        while offset < sec.data.len() {
            let pc = sec.addr.wrapping_add(offset as u32);
            if let Some(name) = starts.get(&pc) {
                let _ = write!(out, "\n{pc:08x} <{name}>:\n");
            }
            let Some(word) = word_at(sec.data, offset) else {
                let rest: Vec<String> = sec.data[offset..].iter().map(|b| format!("{b:#04x}")).collect();
                let _ = writeln!(out, "{pc:08x}:\t\t.byte {}", rest.join(", "));
                break;
            };
            match ox32::decode(word) {
                Ok(inst) => {
                    let _ = writeln!(out, "{pc:08x}:\t{word:08x}\t{}", ox32::disassemble(&inst, pc, &lookup));
                }
                Err(e) => {
                    let _ = writeln!(out, "{pc:08x}:\t{word:08x}\t.word {word:#010x}  # illegal: {e}");
                }
            }
            offset += 4;
        }
    }
    Ok(out)
}

/// Whether `name` can be written as an `oxas` symbol.
fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    let first_ok = chars.next().is_some_and(|c| c.is_ascii_alphabetic() || "_.$".contains(c));
    first_ok && name != "." && chars.all(|c| c.is_ascii_alphanumeric() || "_.$".contains(c))
}

fn quote(name: &str) -> String {
    let mut text = String::from("\"");
    for b in name.bytes() {
        if b.is_ascii_graphic() && b != b'"' && b != b'\\' || b == b' ' {
            text.push(b as char);
        } else {
            let _ = write!(text, "\\x{b:02x}");
        }
    }
    text.push('"');
    text
}

fn branch_target(inst: &Instruction, pc: u32) -> Option<u32> {
    match *inst {
        Instruction::Branch { offset, .. } => Some(pc.wrapping_add(offset as i32 as u32)),
        Instruction::Jal { offset, .. } => Some(pc.wrapping_add(offset as u32)),
        _ => None,
    }
}

/// `oxas` source that reassembles to the same section contents as the ELF file `bytes`.
pub fn reassemblable_source(bytes: &[u8]) -> Result<String, ElfError> {
    let image = load(bytes)?;
    // Labels by address: the file's symbols (usable names, first of each name), then one
    // `.L<addr>` for each branch target inside a section that has none.
    let mut labels: BTreeMap<u32, Vec<String>> = BTreeMap::new();
    let mut used: HashSet<String> = HashSet::new();
    let mut globals = Vec::new();
    let mut absolute = Vec::new();
    for sym in &image.symbols {
        if !is_identifier(&sym.name) || !used.insert(sym.name.clone()) {
            continue;
        }
        if sym.global {
            globals.push(sym.name.clone());
        }
        if image.section_of(sym.addr).is_some() {
            labels.entry(sym.addr).or_default().push(sym.name.clone());
        } else {
            absolute.push((sym.name.clone(), sym.addr));
        }
    }
    for sec in image.sections.iter().filter(|s| s.execute && !s.nobits) {
        for offset in (0..sec.data.len().saturating_sub(3)).step_by(4) {
            let pc = sec.addr.wrapping_add(offset as u32);
            let target = word_at(sec.data, offset)
                .and_then(|w| ox32::decode(w).ok())
                .and_then(|i| branch_target(&i, pc));
            if let Some(target) = target.filter(|t| image.section_of(*t).is_some() && !labels.contains_key(t))
            {
                let mut name = format!(".L{target:08x}");
                while used.contains(&name) {
                    name.push('_');
                }
                used.insert(name.clone());
                labels.insert(target, vec![name]);
            }
        }
    }

    let mut out =
        String::from("# Generated by oxdis --reassemblable; assembles to the same section bytes.\n");
    for name in &globals {
        let _ = writeln!(out, ".globl {name}");
    }
    for (name, value) in &absolute {
        let _ = writeln!(out, ".equ {name}, {value:#x}");
    }
    for sec in &image.sections {
        let name = if is_identifier(&sec.name) { sec.name.clone() } else { quote(&sec.name) };
        let flags = format!("a{}{}", if sec.write { "w" } else { "" }, if sec.execute { "x" } else { "" });
        let kind = if sec.nobits { ", @nobits" } else { "" };
        let _ = write!(out, "\n.section {name}, \"{flags}\"{kind}\n");
        let end = sec.addr as u64 + sec.size as u64;
        let mut offset = 0u64;
        loop {
            let addr = (sec.addr as u64 + offset) as u32;
            for label in labels.get(&addr).into_iter().flatten() {
                let _ = writeln!(out, "{label}:");
            }
            if offset >= sec.size as u64 {
                break;
            }
            let next_label =
                labels.range(addr.saturating_add(1)..).next().map_or(end, |(a, _)| (*a as u64).min(end));
            let stop = next_label - sec.addr as u64;
            offset = emit_chunk(&mut out, sec, offset, stop, &labels);
        }
    }
    Ok(out)
}

/// Emits the bytes of `sec` from `offset` towards `stop` (the next label); returns where it
/// stopped.
fn emit_chunk(
    out: &mut String,
    sec: &Sec<'_>,
    offset: u64,
    stop: u64,
    labels: &BTreeMap<u32, Vec<String>>,
) -> u64 {
    if sec.nobits {
        let _ = writeln!(out, "    .zero {}", stop - offset);
        return stop;
    }
    let pc = (sec.addr as u64 + offset) as u32;
    if sec.execute && offset % 4 == 0 && offset + 4 <= stop {
        if let Some(word) = word_at(sec.data, offset as usize) {
            match ox32::decode(word) {
                Ok(inst) => {
                    let mut text = ox32::disassemble(&inst, pc, &|_| None);
                    if let Some(target) = branch_target(&inst, pc) {
                        if let Some(label) = labels.get(&target).and_then(|l| l.first()) {
                            let printed = format!("{target:#x}");
                            if let Some(head) = text.strip_suffix(printed.as_str()) {
                                text = format!("{head}{label}");
                            }
                        }
                    }
                    let _ = writeln!(out, "    {text}");
                }
                Err(_) => {
                    let _ = writeln!(out, "    .word {word:#010x}");
                }
            }
            return offset + 4;
        }
    }
    // Bytes: up to the next label, 16 per line, and in code only up to the next word boundary.
    let limit = if sec.execute { stop.min((offset / 4 + 1) * 4) } else { stop.min(offset + 16) };
    let start = offset as usize;
    let chunk = sec.data.get(start..limit as usize).unwrap_or(&[]);
    if chunk.is_empty() {
        return stop;
    }
    let list: Vec<String> = chunk.iter().map(|b| format!("{b:#04x}")).collect();
    let _ = writeln!(out, "    .byte {}", list.join(", "));
    limit
}
