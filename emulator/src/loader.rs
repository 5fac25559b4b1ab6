//! Loading ox32 ELF executables into a node's memory, and reading their symbols.
//!
//! Only what a loader must trust is checked, and every check has its own message: the ELF
//! header (32-bit, little-endian, executable, `e_machine` = ox32), each `PT_LOAD` segment
//! (file range inside the file, `p_filesz ≤ p_memsz`, physical range inside RAM). A RISC-V
//! executable is recognised and the user told to translate it first.

use std::fmt;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use goblin::elf::header::{EM_RISCV, ET_EXEC};
use goblin::elf::program_header::PT_LOAD;
use goblin::elf::{Elf, SectionHeader};

use orrery_toolchain::input::{open_input, read_input, read_text_input, MAX_BINARY, MAX_TEXT};
use ox32::memmap::BOOT_ROM_BASE;

use crate::bus::Bus;

/// Why an image could not be loaded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoadError(pub String);

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for LoadError {}

/// Reads an executable image, assembling it first when it is assembly source (`.s`); a file
/// that is not regular or is too large is refused ([`orrery_toolchain::input`]).
pub fn read_image(path: &Path) -> Result<Vec<u8>, String> {
    if is_source(path) {
        return Ok(assemble(path, orrery_toolchain::asm::Options::default())?.to_elf());
    }
    Ok(read_loaded_parts(path, Parts::WithSymbols)?.0)
}

/// An executable read for [`load_executable`] ([`read_executable`]): the bytes loading reads and,
/// for an ELF file, the file itself, kept open, from which its symbol tables are read the first
/// time anything asks for a symbol (a trap report, the profiler, the monitor, gdb).
#[derive(Debug)]
pub struct Executable {
    /// The file's bytes; of an ELF file only the headers and the segments, zeros elsewhere.
    bytes: Vec<u8>,
    /// The ELF file these bytes were read from, and its path (for messages), if any.
    file: Option<(Arc<File>, PathBuf)>,
}

/// Reads an executable image for [`load_executable`], as [`read_image`] does, but an ELF file's
/// symbol tables are left in the file: most runs never name a function, and reading and
/// collecting the symbols of a Rust executable (tens of thousands) is a good part of a short
/// run's start-up. Assembly source is assembled, its symbols kept in memory.
pub fn read_executable(path: &Path) -> Result<Executable, String> {
    if is_source(path) {
        let bytes = assemble(path, orrery_toolchain::asm::Options::default())?.to_elf();
        return Ok(Executable { bytes, file: None });
    }
    let (bytes, file) = read_loaded_parts(path, Parts::WithoutSymbols)?;
    Ok(Executable { bytes, file: file.map(|file| (Arc::new(file), path.to_path_buf())) })
}

/// Reads a boot ROM image: assembly source (`.s`, laid out at the ROM's base with its
/// sections packed) becomes a flat binary; any other file is taken as a flat binary.
pub fn read_rom(path: &Path) -> Result<Vec<u8>, String> {
    let options = orrery_toolchain::asm::Options { base: BOOT_ROM_BASE, page_align_sections: false };
    if is_source(path) {
        return Ok(assemble(path, options)?.to_flat_binary());
    }
    Ok(read_loaded_parts(path, Parts::WithSymbols)?.0)
}

/// Whether `path` names assembly source (`.s` or `.S`).
fn is_source(path: &Path) -> bool {
    path.extension().is_some_and(|e| e == "s" || e == "S")
}

fn assemble(
    path: &Path,
    options: orrery_toolchain::asm::Options,
) -> Result<orrery_toolchain::asm::Program, String> {
    let text = read_text_input(path, MAX_TEXT)?;
    let name = path.display().to_string();
    orrery_toolchain::asm::assemble(&[(&name, &text)], &options).map_err(|d| d.to_string())
}

/// Which parts of an ELF file [`read_loaded_parts`] reads.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Parts {
    /// The headers, the segments and the sections that may hold tables (the symbols).
    WithSymbols,
    /// The headers and the segments: all that loading reads when the symbols come from the
    /// file later.
    WithoutSymbols,
}

/// The bytes of the file `path` that loading it may read, the others left zero: an ELF32 file's
/// headers, segments and, with [`Parts::WithSymbols`], every section but those holding neither
/// code nor data nor tables (the `.debug_*` sections and `.comment`: non-allocated
/// `PROGBITS`), which are most of an executable built with debug information; and the file,
/// still open. Any other file is read whole, and not kept.
fn read_loaded_parts(path: &Path, parts: Parts) -> Result<(Vec<u8>, Option<File>), String> {
    const EHDR: usize = 52;
    const PHDR: usize = 32;
    const SHDR: usize = 40;
    const SHT_PROGBITS: u32 = 1;
    const SHT_SYMTAB: u32 = 2;
    const SHT_NOBITS: u32 = 8;
    const SHF_ALLOC: u32 = 2;
    let (mut file, len) = open_input(path, MAX_BINARY)?;
    let fail = |e: std::io::Error| format!("cannot read {}: {e}", path.display());
    let len = len as usize;
    // Zeroed and never written where nothing is read: the host maps those pages lazily.
    let mut bytes = vec![0u8; len];
    let mut read = |bytes: &mut [u8], start: usize, size: usize| -> Result<(), String> {
        let end = start.saturating_add(size).min(len);
        if start < end {
            file.seek(SeekFrom::Start(start as u64)).map_err(fail)?;
            file.read_exact(&mut bytes[start..end]).map_err(fail)?;
        }
        Ok(())
    };
    read(&mut bytes, 0, EHDR)?;
    if len < EHDR || bytes[..6] != *b"\x7fELF\x01\x01" {
        return Ok((read_input(path, MAX_BINARY)?, None));
    }
    let half = |b: &[u8], at: usize| u16::from_le_bytes([b[at], b[at + 1]]) as usize;
    let word = |b: &[u8], at: usize| u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]]);
    // The headers are read as the parser reads them (`parse_elf`): entries of the ELF32 sizes
    // whatever `e_phentsize` and `e_shentsize` say, and, when `e_shnum` is 0, as many section
    // headers as the first one's `sh_size` (none without `e_shoff`); so loading sees the same
    // bytes as from the whole file, even a damaged one.
    let (phoff, shoff, phnum) = (word(&bytes, 28) as usize, word(&bytes, 32) as usize, half(&bytes, 44));
    read(&mut bytes, phoff, PHDR * phnum)?;
    let mut shnum = 0;
    if shoff != 0 {
        read(&mut bytes, shoff, SHDR)?;
        shnum = match half(&bytes, 48) {
            0 if shoff.saturating_add(SHDR) <= len => word(&bytes, shoff + 20) as usize,
            n => n,
        }
        .min(len / SHDR);
        read(&mut bytes, shoff, SHDR * shnum)?;
    }
    for i in 0..phnum {
        let at = phoff.saturating_add(i * PHDR);
        if at.saturating_add(20) <= len {
            let (offset, filesz) = (word(&bytes, at + 4) as usize, word(&bytes, at + 16) as usize);
            read(&mut bytes, offset, filesz)?;
        }
    }
    if parts == Parts::WithoutSymbols {
        return Ok((bytes, Some(file)));
    }
    // The symbol table's names are read whatever their section's kind, as the loader reads them.
    let mut names = None;
    for i in 0..shnum {
        let at = shoff.saturating_add(i * SHDR);
        if at.saturating_add(24) <= len {
            let (kind, flags) = (word(&bytes, at + 4), word(&bytes, at + 8));
            let (offset, size) = (word(&bytes, at + 16) as usize, word(&bytes, at + 20) as usize);
            if kind != SHT_NOBITS && !(kind == SHT_PROGBITS && flags & SHF_ALLOC == 0) {
                read(&mut bytes, offset, size)?;
            }
            if kind == SHT_SYMTAB && at.saturating_add(28) <= len {
                names = Some(word(&bytes, at + 24) as usize);
            }
        }
    }
    if let Some(at) = names.filter(|i| *i < shnum).map(|i| shoff + i * SHDR) {
        if at.saturating_add(24) <= len {
            let (offset, size) = (word(&bytes, at + 16) as usize, word(&bytes, at + 20) as usize);
            read(&mut bytes, offset, size)?;
        }
    }
    Ok((bytes, Some(file)))
}

/// A loaded image: where to start, and its symbols for traces and the monitor.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Image {
    /// The entry point.
    pub entry: u32,
    /// The symbols.
    pub symbols: Symbols,
    /// The `PT_LOAD` segments: virtual address, physical address, size in memory, and
    /// `p_flags` (`PF_X` 1, `PF_W` 2, `PF_R` 4), for `--user`'s page tables.
    pub segments: Vec<(u32, u32, u32, u32)>,
}

/// A sorted table of named addresses. Loading an executable only collects its symbols' raw
/// names, or, for an executable read with [`read_executable`], only notes where its symbol
/// tables are in the file; the names are read, demangled and sorted the first time the table
/// is read (most runs never name a function). Clones share the table.
#[derive(Clone, Debug, Default)]
pub struct Symbols(Arc<Table>);

/// The table behind [`Symbols`]: made once, from its source.
#[derive(Debug, Default)]
struct Table {
    /// `(address, size, name)`, sorted by address, once made.
    entries: OnceLock<Vec<(u32, u32, String)>>,
    /// What they are made from.
    source: Source,
}

/// What a table of symbols is made from.
#[derive(Debug, Default)]
enum Source {
    /// Nothing more: the entries are made already, or there are none.
    #[default]
    Made,
    /// Symbols as the loader collects them from bytes in memory.
    Raw(RawSymbols),
    /// The symbol tables of an executable's file, read on first use.
    File(TablesInFile),
}

/// Symbols as the loader collects them: `(address, size, name start, name end)`, the names
/// (mangled) one after the other in a string.
type RawSymbols = (Vec<(u32, u32, u32, u32)>, String);

/// Where an executable's symbol table and its string table are in its file. The loader has
/// checked that the symbol table lies inside the file, as for an executable in memory.
#[derive(Debug)]
struct TablesInFile {
    /// The file, open since it was loaded (so the same file even if the path is replaced).
    file: Arc<File>,
    /// Its path, for a message.
    path: PathBuf,
    /// The symbol table's offset and its number of entries.
    symtab: (u64, usize),
    /// The string table's offset and size, if it lies inside the file (else no symbol has a
    /// name, as in memory).
    strtab: Option<(u64, usize)>,
}

impl TablesInFile {
    /// The symbols, as [`symbols_of`] collects them from the file's bytes in memory.
    fn read(&self) -> Result<RawSymbols, String> {
        let read = |offset: u64, size: usize| -> std::io::Result<Vec<u8>> {
            let mut bytes = vec![0; size];
            let mut file: &File = &self.file;
            file.seek(SeekFrom::Start(offset))?;
            file.read_exact(&mut bytes)?;
            Ok(bytes)
        };
        let (offset, count) = self.symtab;
        if count == 0 {
            return Ok(RawSymbols::default());
        }
        let symtab = read(offset, count * SYM_SIZE).map_err(|e| e.to_string())?;
        let strtab = match self.strtab {
            Some((offset, size)) => read(offset, size).map_err(|e| e.to_string())?,
            None => Vec::new(),
        };
        let syms = goblin::elf::Symtab::parse(&symtab, 0, count, elf32()).map_err(|e| e.to_string())?;
        Ok(collect(&syms, &strtab))
    }
}

/// The size of an ELF32 symbol table entry.
const SYM_SIZE: usize = 16;

/// ELF32, little-endian: how `goblin` is told to read the file.
fn elf32() -> goblin::container::Ctx {
    goblin::container::Ctx::new(goblin::container::Container::Little, goblin::container::Endian::Little)
}

impl PartialEq for Symbols {
    fn eq(&self, other: &Symbols) -> bool {
        self.entries() == other.entries()
    }
}

impl Eq for Symbols {}

impl Symbols {
    /// A table of `(address, size, name)`, in any order.
    pub fn new(mut entries: Vec<(u32, u32, String)>) -> Symbols {
        entries.sort();
        entries.dedup();
        Symbols(Arc::new(Table { entries: OnceLock::from(entries), source: Source::Made }))
    }

    /// A table made on first use from `source`.
    fn lazy(source: Source) -> Symbols {
        Symbols(Arc::new(Table { entries: OnceLock::new(), source }))
    }

    /// The table, made from its source on first use. Symbol tables that can no longer be read
    /// from the file (changed or gone since it was loaded) leave the table empty, with a
    /// warning: a missing name is no reason to stop a run.
    fn entries(&self) -> &[(u32, u32, String)] {
        self.0.entries.get_or_init(|| {
            let from_file;
            let (raw, names) = match &self.0.source {
                Source::Made => return Vec::new(),
                Source::Raw(raw) => raw,
                Source::File(tables) => {
                    from_file = tables.read().unwrap_or_else(|e| {
                        log::warn!("cannot read the symbols of {}: {e}", tables.path.display());
                        RawSymbols::default()
                    });
                    &from_file
                }
            };
            let mut entries: Vec<(u32, u32, String)> = raw
                .iter()
                .map(|&(address, size, start, end)| {
                    (address, size, display_name(&names[start as usize..end as usize]))
                })
                .collect();
            entries.sort();
            entries.dedup();
            entries
        })
    }

    /// The address of the symbol `name`.
    pub fn address_of(&self, name: &str) -> Option<u32> {
        self.entries().iter().find(|(_, _, n)| n == name).map(|(a, _, _)| *a)
    }

    /// `name` or `name+0x10` for `addr`: the closest symbol at or below it, if it is within
    /// that symbol's size (or, for symbols without a size, within 64 KiB).
    pub fn describe(&self, addr: u32) -> Option<String> {
        let (start, name) = self.holding(addr)?;
        let offset = addr - start;
        Some(if offset == 0 { name.to_string() } else { format!("{name}+{offset:#x}") })
    }

    /// The name of the symbol holding `addr` (as [`Symbols::describe`], without the offset).
    pub fn name_of(&self, addr: u32) -> Option<&str> {
        self.holding(addr).map(|(_, name)| name)
    }

    /// The closest symbol at or below `addr`, if `addr` is within its size (or, for a symbol
    /// without a size, within 64 KiB): its address and name.
    fn holding(&self, addr: u32) -> Option<(u32, &str)> {
        let entries = self.entries();
        let i = entries.partition_point(|(a, _, _)| *a <= addr).checked_sub(1)?;
        let (start, size, name) = &entries[i];
        let limit = if *size == 0 { 0x10000 } else { *size };
        (addr - start < limit).then_some((*start, name.as_str()))
    }

    /// The symbol starting exactly at `addr`.
    pub fn at(&self, addr: u32) -> Option<&str> {
        let entries = self.entries();
        let i = entries.partition_point(|(a, _, _)| *a < addr);
        entries.get(i).filter(|(a, _, _)| *a == addr).map(|(_, _, n)| n.as_str())
    }
}

/// Whether `name` is a label only the assembler cares about, which never names a function in
/// the monitor or a trace: `.L*` (LLVM's and GCC's local labels, such as the `.L0 ` of
/// relaxation), any other name starting with `.`, and `$x`/`$d` mapping symbols. The nearest
/// function or global symbol before an address names it instead, as `func+0x1c`.
pub fn is_local_label(name: &str) -> bool {
    name.starts_with('.') || name.starts_with('$')
}

/// A symbol as the monitor and traces show it: a mangled Rust name as its path without the
/// hash (`_RNvNtCs..._7ox_link3crc12crc32_update` is `ox_link::crc::crc32_update`), any
/// other name as it is.
pub fn display_name(name: &str) -> String {
    match rustc_demangle::try_demangle(name) {
        Ok(demangled) => format!("{demangled:#}"),
        Err(_) => name.to_string(),
    }
}

/// Checks the identification bytes and `e_machine` before handing the file to the parser, so
/// that the common mistakes get a message of their own.
fn check_ident(bytes: &[u8]) -> Result<(), LoadError> {
    let err = |msg: &str| Err(LoadError(msg.to_string()));
    if bytes.len() < 4 || bytes[..4] != *b"\x7fELF" {
        return err("not an ELF file (no ELF magic number)");
    }
    match bytes.get(4) {
        Some(1) => {}
        Some(2) => return err("a 64-bit ELF file; ox32 executables are ELF32"),
        _ => return err("not a valid ELF file: unknown class byte"),
    }
    if bytes.len() < 52 {
        return Err(LoadError(format!(
            "not a valid ELF file: the header is truncated ({} bytes; an ELF32 header has 52)",
            bytes.len()
        )));
    }
    if bytes[5] != 1 {
        return err("not a little-endian ELF file; ox32 is little-endian");
    }
    let machine = u16::from_le_bytes([bytes[18], bytes[19]]);
    if machine == EM_RISCV {
        return err("a RISC-V executable: translate it to ox32 with `rv2ox` first");
    }
    if machine != ox32::EM_OX32 {
        return Err(LoadError(format!("e_machine is {machine:#x}, not ox32 ({:#x})", ox32::EM_OX32)));
    }
    Ok(())
}

/// Checks `bytes` as an ox32 executable and copies its segments into `bus`'s RAM.
pub fn load_elf(bus: &mut Bus, bytes: &[u8]) -> Result<Image, LoadError> {
    load(bus, bytes, None)
}

/// Checks an executable read by [`read_executable`] and copies its segments into `bus`'s RAM,
/// exactly as [`load_elf`] does with the whole file's bytes; its symbols are read from its file
/// on first use.
pub fn load_executable(bus: &mut Bus, executable: &Executable) -> Result<Image, LoadError> {
    load(bus, &executable.bytes, executable.file.as_ref())
}

/// [`load_elf`], with the symbol tables read from `file` (on first use) instead of `bytes`.
fn load(bus: &mut Bus, bytes: &[u8], file: Option<&(Arc<File>, PathBuf)>) -> Result<Image, LoadError> {
    let err = |msg: String| Err(LoadError(msg));
    check_ident(bytes)?;
    let elf = parse_elf(bytes)?;
    if elf.header.e_type != ET_EXEC {
        return err(format!("e_type is {}, not an executable (ET_EXEC)", elf.header.e_type));
    }
    let mut segments = Vec::new();
    for (i, ph) in elf.program_headers.iter().filter(|ph| ph.p_type == PT_LOAD).enumerate() {
        let file = ph.p_offset.checked_add(ph.p_filesz).filter(|end| *end <= bytes.len() as u64);
        let Some(file_end) = file else {
            return err(format!(
                "segment {i}: file range {:#x}+{:#x} is past the end of the file",
                ph.p_offset, ph.p_filesz
            ));
        };
        if ph.p_filesz > ph.p_memsz {
            return err(format!(
                "segment {i}: p_filesz {:#x} exceeds p_memsz {:#x}",
                ph.p_filesz, ph.p_memsz
            ));
        }
        let in_ram = u32::try_from(ph.p_paddr)
            .ok()
            .zip(u32::try_from(ph.p_memsz).ok())
            .filter(|(pa, size)| bus.ram_offset(*pa, *size).is_some());
        let Some((pa, memsz)) = in_ram else {
            return err(format!(
                "segment {i}: {:#x}..{:#x} is not inside RAM ({:#x}..{:#x})",
                ph.p_paddr,
                ph.p_paddr + ph.p_memsz,
                ox32::memmap::RAM_BASE,
                ox32::memmap::RAM_BASE as u64 + bus.ram_size() as u64
            ));
        };
        // The file's bytes, then zeros to `p_memsz` (written only where RAM is not zero already:
        // a large `.bss` on fresh RAM costs no writes).
        let data = &bytes[ph.p_offset as usize..file_end as usize];
        let cannot = |_| LoadError(format!("segment {i}: cannot write RAM"));
        bus.poke(pa, data).map_err(cannot)?;
        bus.zero(pa + data.len() as u32, memsz - data.len() as u32).map_err(cannot)?;
        segments.push((ph.p_vaddr as u32, pa, memsz, ph.p_flags));
    }
    let entry =
        u32::try_from(elf.entry).map_err(|_| LoadError(format!("entry {:#x} is not 32-bit", elf.entry)))?;
    let symbols = match file {
        Some((file, path)) => symbols_in_file(&elf, bytes.len(), file, path),
        None => symbols_of(&elf, bytes),
    };
    Ok(Image { entry, symbols, segments })
}

/// The symbols of an ox32 executable, without loading it: for a node whose kernel arrives over
/// a link (a satellite booted by its ROM), so that profiles and traces can name its functions.
pub fn read_symbols(bytes: &[u8]) -> Result<Symbols, LoadError> {
    check_ident(bytes)?;
    let elf = parse_elf(bytes)?;
    Ok(symbols_of(&elf, bytes))
}

/// The parts of an ELF32 little-endian file (`check_ident` passed) that loading uses: the
/// header, the program and section headers and the symbol table. `Elf::parse` would also decode
/// every string table whole, name by name (about a tenth of a short program's start-up);
/// `symbols_of` reads the names it keeps straight from the bytes.
fn parse_elf(bytes: &[u8]) -> Result<Elf<'_>, LoadError> {
    use goblin::elf::{ProgramHeader, Symtab};
    let bad = |e: goblin::error::Error| LoadError(format!("not a valid ELF file: {e}"));
    let header = Elf::parse_header(bytes).map_err(bad)?;
    let ctx = elf32();
    let mut elf = Elf::lazy_parse(header).map_err(bad)?;
    elf.program_headers =
        ProgramHeader::parse(bytes, header.e_phoff as usize, header.e_phnum as usize, ctx).map_err(bad)?;
    elf.section_headers =
        SectionHeader::parse(bytes, header.e_shoff as usize, header.e_shnum as usize, ctx).map_err(bad)?;
    let symtab = symbol_sections(&elf).map(|(sh, _)| (sh.sh_offset, sh.sh_size.checked_div(sh.sh_entsize)));
    if let Some((offset, count)) = symtab {
        elf.syms = Symtab::parse(bytes, offset as usize, count.unwrap_or(0) as usize, ctx).map_err(bad)?;
    }
    Ok(elf)
}

/// The symbol table (the last `SHT_SYMTAB` section, as in every tool) and the section its
/// `sh_link` names, which holds their names.
fn symbol_sections<'e>(elf: &'e Elf) -> Option<(&'e SectionHeader, Option<&'e SectionHeader>)> {
    let symtab =
        elf.section_headers.iter().rfind(|sh| sh.sh_type == goblin::elf::section_header::SHT_SYMTAB)?;
    Some((symtab, elf.section_headers.get(symtab.sh_link as usize)))
}

/// The file range `offset..offset + size` of a section, if it lies inside a file of `len` bytes.
fn section_range(sh: &SectionHeader, len: usize) -> Option<std::ops::Range<usize>> {
    let start = usize::try_from(sh.sh_offset).ok()?;
    let end = usize::try_from(sh.sh_offset.checked_add(sh.sh_size)?).ok()?;
    (start <= end && end <= len).then_some(start..end)
}

fn symbols_of(elf: &Elf, bytes: &[u8]) -> Symbols {
    let table = symbol_sections(elf)
        .and_then(|(_, strtab)| section_range(strtab?, bytes.len()))
        .and_then(|range| bytes.get(range))
        .unwrap_or_default();
    Symbols::lazy(Source::Raw(collect(&elf.syms, table)))
}

/// The symbols of an executable whose symbol tables are still in `file` (`len` bytes), which
/// `parse_elf` found inside the file: where they are, to read on first use.
fn symbols_in_file(elf: &Elf, len: usize, file: &Arc<File>, path: &Path) -> Symbols {
    let Some((symtab, strtab)) = symbol_sections(elf) else {
        return Symbols::default();
    };
    let strtab = strtab.and_then(|sh| section_range(sh, len)).map(|range| (range.start as u64, range.len()));
    Symbols::lazy(Source::File(TablesInFile {
        file: Arc::clone(file),
        path: path.to_path_buf(),
        symtab: (symtab.sh_offset, elf.syms.len()),
        strtab,
    }))
}

/// The symbols of `syms` worth naming an address with, their names read from the string
/// table's bytes `table` directly (the parser's lookup by offset is a binary search per
/// symbol); a name is the text from its offset to the next NUL, as there.
fn collect(syms: &goblin::elf::Symtab, table: &[u8]) -> RawSymbols {
    // Empty names and local labels (most of a Rust executable's symbols) are passed over
    // before their text is checked.
    let name_at = |offset: usize| {
        let text = table.get(offset..).filter(|t| !matches!(t.first(), None | Some(0 | b'.' | b'$')))?;
        let end = text.iter().position(|b| *b == 0).unwrap_or(text.len());
        std::str::from_utf8(&text[..end]).ok()
    };
    let mut names = String::new();
    let raw = syms
        .iter()
        .filter(|s| {
            s.st_name != 0
                && (s.is_function()
                    || s.st_type() == goblin::elf::sym::STT_OBJECT
                    || s.st_type() == goblin::elf::sym::STT_NOTYPE)
                && s.st_shndx != 0
        })
        .filter_map(|s| {
            let name = name_at(s.st_name)?;
            (!name.is_empty() && !is_local_label(name)).then(|| {
                let start = names.len() as u32;
                names.push_str(name);
                (s.st_value as u32, s.st_size as u32, start, names.len() as u32)
            })
        })
        .collect();
    (raw, names)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_garbage_with_a_message() {
        let mut bus = Bus::new(1 << 16);
        assert!(load_elf(&mut bus, b"not an elf").unwrap_err().0.starts_with("not an ELF file"));
        assert!(load_elf(&mut bus, &[]).is_err());
        let mut truncated = vec![0x7f, b'E', b'L', b'F', 1, 1, 1, 0];
        truncated.resize(40, 0);
        assert!(load_elf(&mut bus, &truncated).is_err());
    }

    #[test]
    fn reads_what_loading_needs() {
        let source = concat!(env!("CARGO_MANIFEST_DIR"), "/../programs/asm/hello.s");
        let elf = read_image(Path::new(source)).unwrap();
        let path = std::env::temp_dir().join(format!("orrery-loader-{}.elf", std::process::id()));
        std::fs::write(&path, &elf).unwrap();
        let parts = read_loaded_parts(&path, Parts::WithSymbols).map(|(bytes, _)| bytes);
        let text = path.with_extension("txt");
        std::fs::write(&text, b"not an executable").unwrap();
        let other = read_loaded_parts(&text, Parts::WithoutSymbols).map(|(bytes, _)| bytes);
        let _ = (std::fs::remove_file(&path), std::fs::remove_file(&text));
        assert_eq!(parts.unwrap(), elf, "no debug sections: every byte is read");
        assert_eq!(other.unwrap(), b"not an executable", "not ELF: read whole");
        let (mut first, mut second) = (Bus::new(1 << 20), Bus::new(1 << 20));
        let image = load_elf(&mut first, &elf).unwrap();
        assert_eq!(image, load_elf(&mut second, &elf).unwrap());
        assert!(image.symbols.address_of("_start").is_some(), "symbols made on first use");
    }

    /// `elf` written to a file of its own (named after `what`), for the tests that read one.
    fn temp_file(what: &str, elf: &[u8]) -> PathBuf {
        let path = std::env::temp_dir().join(format!("orrery-loader-{what}-{}.elf", std::process::id()));
        std::fs::write(&path, elf).unwrap();
        path
    }

    /// The file offset of the section header of hello.s's symbol table, in `elf`.
    fn symtab_header(elf: &[u8]) -> usize {
        let half = |at: usize| u16::from_le_bytes([elf[at], elf[at + 1]]) as usize;
        let shoff = u32::from_le_bytes(elf[32..36].try_into().unwrap()) as usize;
        (0..half(48))
            .map(|i| shoff + i * half(46))
            .find(|at| u32::from_le_bytes(elf[at + 4..at + 8].try_into().unwrap()) == 2)
            .expect("hello.s has a symbol table")
    }

    fn hello() -> Vec<u8> {
        read_image(Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../programs/asm/hello.s"))).unwrap()
    }

    #[test]
    fn symbols_read_from_the_file_on_first_use_are_those_in_memory() {
        let elf = hello();
        let path = temp_file("lazy", &elf);
        let executable = read_executable(&path).unwrap();
        let _ = std::fs::remove_file(&path);
        let symtab = symtab_header(&elf);
        let offset = u32::from_le_bytes(elf[symtab + 16..symtab + 20].try_into().unwrap()) as usize;
        assert!(
            executable.bytes[offset..offset + 32].iter().all(|b| *b == 0),
            "the symbol table is not read"
        );
        let image = load_executable(&mut Bus::new(1 << 20), &executable).unwrap();
        assert!(matches!(image.symbols.0.source, Source::File(_)));
        let in_memory = load_elf(&mut Bus::new(1 << 20), &elf).unwrap();
        assert!(image.symbols.address_of("_start").is_some(), "read although the path is gone");
        assert_eq!(image, in_memory);
    }

    #[test]
    fn a_symbol_table_past_the_end_of_the_file_is_refused_at_load() {
        let mut elf = hello();
        let symtab = symtab_header(&elf);
        let past = elf.len() as u32 + 16;
        elf[symtab + 16..symtab + 20].copy_from_slice(&past.to_le_bytes());
        let path = temp_file("past", &elf);
        let executable = read_executable(&path);
        let _ = std::fs::remove_file(&path);
        let from_file = load_executable(&mut Bus::new(1 << 20), &executable.unwrap()).unwrap_err();
        let in_memory = load_elf(&mut Bus::new(1 << 20), &elf).unwrap_err();
        assert!(from_file.0.starts_with("not a valid ELF file: "), "{from_file}");
        assert_eq!(from_file, in_memory, "the same message as for the file in memory");
    }

    #[test]
    fn symbols_of_a_file_cut_short_after_loading_are_none() {
        let elf = hello();
        let path = temp_file("cut", &elf);
        let executable = read_executable(&path).unwrap();
        let image = load_executable(&mut Bus::new(1 << 20), &executable).unwrap();
        let file = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
        file.set_len(64).unwrap();
        let _ = std::fs::remove_file(&path);
        assert_eq!(image.symbols.address_of("_start"), None, "no names, and no panic");
        assert_eq!(image.symbols.describe(image.entry), None);
    }

    #[test]
    fn symbols_come_from_the_file_loaded_even_when_its_path_is_replaced() {
        let elf = hello();
        let path = temp_file("replaced", &elf);
        let executable = read_executable(&path).unwrap();
        let image = load_executable(&mut Bus::new(1 << 20), &executable).unwrap();
        let other = temp_file("other", b"not an executable");
        std::fs::rename(&other, &path).unwrap();
        let _ = std::fs::remove_file(&path);
        assert!(image.symbols.address_of("_start").is_some());
    }

    #[test]
    fn damaged_files_load_from_the_file_as_from_memory() {
        let good = hello();
        let path = std::env::temp_dir().join(format!("orrery-loader-damaged-{}.elf", std::process::id()));
        let word = |at: usize| u32::from_le_bytes(good[at..at + 4].try_into().unwrap()) as usize;
        let (phoff, shoff, symtab) = (word(28), word(32), symtab_header(&good));
        let strtab = shoff + 40 * word(symtab + 24);
        // Where damage goes: the ELF header, the program headers, the section headers, the
        // symbol table, its names, or anywhere.
        let regions = [
            0..52,
            phoff..phoff + 64,
            shoff..good.len().min(shoff + 40 * (word(48) & 0xffff)),
            word(symtab + 16)..word(symtab + 16) + word(symtab + 20),
            word(strtab + 16)..word(strtab + 16) + word(strtab + 20),
            0..good.len(),
        ];
        let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed as usize
        };
        let (mut loaded, mut refused) = (0, 0);
        for _ in 0..1000 {
            let mut elf = good.clone();
            for _ in 0..1 + next() % 4 {
                let region = &regions[next() % regions.len()];
                let at = region.start + next() % region.len();
                elf[at] = if next() % 2 == 0 { next() as u8 } else { elf[at] ^ 1 << (next() % 8) };
            }
            if next() % 8 == 0 {
                elf.truncate(next() % (elf.len() + 1));
            }
            std::fs::write(&path, &elf).unwrap();
            let executable = read_executable(&path).unwrap();
            let from_file = load_executable(&mut Bus::new(1 << 20), &executable);
            let read = load_elf(&mut Bus::new(1 << 20), &read_image(&path).unwrap());
            assert_eq!(read, load_elf(&mut Bus::new(1 << 20), &elf), "read_image reads what loading reads");
            match (from_file, load_elf(&mut Bus::new(1 << 20), &elf)) {
                (Ok(lazy), Ok(eager)) => {
                    assert_eq!(lazy, eager, "the same image and symbols");
                    loaded += 1;
                }
                (Err(lazy), Err(eager)) => {
                    assert_eq!(lazy, eager, "the same message");
                    refused += 1;
                }
                (lazy, eager) => panic!("from the file {lazy:?}, from memory {eager:?}"),
            }
        }
        let _ = std::fs::remove_file(&path);
        assert!(loaded > 20 && refused > 20, "{loaded} loaded, {refused} refused");
    }

    #[test]
    fn rust_names_show_as_paths() {
        assert_eq!(
            display_name("_RNvNtCs49CAkxvgtb2_7ox_link3crc12crc32_update"),
            "ox_link::crc::crc32_update"
        );
        assert_eq!(display_name("_ZN6kernel4trap6handle17h0123456789abcdefE"), "kernel::trap::handle");
        assert_eq!(display_name("map_page"), "map_page");
    }

    #[test]
    fn local_labels_are_not_symbols() {
        for name in [".L0 ", ".LBB3_2", ".Ltmp7", ".LC0", "$x", "$d.1"] {
            assert!(is_local_label(name), "{name}");
        }
        for name in ["main", "_start", "kernel::trap::handle", "L0", "loop"] {
            assert!(!is_local_label(name), "{name}");
        }
    }

    #[test]
    fn symbols_describe_addresses() {
        let symbols = Symbols::new(vec![(0x100, 0x10, "f".into()), (0x200, 0, "g".into())]);
        assert_eq!(symbols.describe(0x100).as_deref(), Some("f"));
        assert_eq!(symbols.describe(0x104).as_deref(), Some("f+0x4"));
        assert_eq!(symbols.describe(0x110), None);
        assert_eq!(symbols.describe(0x2ff0).as_deref(), Some("g+0x2df0"));
        assert_eq!(symbols.describe(0xff), None);
        assert_eq!(symbols.address_of("g"), Some(0x200));
        assert_eq!(symbols.at(0x200), Some("g"));
    }
}
