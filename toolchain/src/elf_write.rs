//! Writes a [`Program`] as an ELF32 little-endian `ET_EXEC` file for ox32.
//!
//! File layout, in order: ELF header, program headers (one `PT_LOAD` per section), the section
//! contents (each at a file offset congruent to its address modulo the 4 KiB page, as `p_align`
//! requires), `.symtab`, `.strtab`, `.shstrtab`, and the section headers. Section header 0 is the
//! null section, then the program's sections in order, then the three tables.
//!
//! Symbols: locals first (as ELF requires), then globals; `STT_FUNC` for labels in executable
//! sections, `STT_OBJECT` for other labels, `STT_NOTYPE` with `SHN_ABS` for absolute values.
//! Field names follow the ELF specification (`e_type`, `sh_flags`, ...).

use crate::asm::{Program, Symbol};

const EHDR_SIZE: u32 = 52;
const PHDR_SIZE: u32 = 32;
const SHDR_SIZE: u32 = 40;
const SYM_SIZE: u32 = 16;
const PAGE: u32 = 0x1000;

const ET_EXEC: u16 = 2;
const PT_LOAD: u32 = 1;
const PF_X: u32 = 1;
const PF_W: u32 = 2;
const PF_R: u32 = 4;
const SHT_PROGBITS: u32 = 1;
const SHT_SYMTAB: u32 = 2;
const SHT_STRTAB: u32 = 3;
const SHT_NOBITS: u32 = 8;
const SHF_WRITE: u32 = 1;
const SHF_ALLOC: u32 = 2;
const SHF_EXECINSTR: u32 = 4;
const SHN_ABS: u16 = 0xfff1;
const STB_LOCAL: u8 = 0;
const STB_GLOBAL: u8 = 1;
const STT_NOTYPE: u8 = 0;
const STT_OBJECT: u8 = 1;
const STT_FUNC: u8 = 2;

/// A string table under construction (starts with the empty name).
struct StrTab(Vec<u8>);

impl StrTab {
    fn new() -> Self {
        StrTab(vec![0])
    }

    fn add(&mut self, name: &str) -> u32 {
        let offset = self.0.len() as u32;
        self.0.extend_from_slice(name.as_bytes());
        self.0.push(0);
        offset
    }
}

/// One section header's fields.
struct Shdr {
    sh_name: u32,
    sh_type: u32,
    sh_flags: u32,
    sh_addr: u32,
    sh_offset: u32,
    sh_size: u32,
    sh_link: u32,
    sh_info: u32,
    sh_addralign: u32,
    sh_entsize: u32,
}

fn put16(out: &mut Vec<u8>, v: u16) {
    out.extend_from_slice(&v.to_le_bytes());
}

fn put32(out: &mut Vec<u8>, v: u32) {
    out.extend_from_slice(&v.to_le_bytes());
}

/// The smallest offset `>= offset` that is congruent to `addr` modulo the page size.
fn congruent(offset: u32, addr: u32) -> u32 {
    let want = addr % PAGE;
    let have = offset % PAGE;
    offset + (want + PAGE - have) % PAGE
}

fn symbol_entry(out: &mut Vec<u8>, strtab: &mut StrTab, program: &Program, sym: &Symbol) {
    let (shndx, typ) = match sym.section {
        Some(i) => {
            let exec = program.sections.get(i).is_some_and(|s| s.flags.execute);
            ((i + 1) as u16, if exec { STT_FUNC } else { STT_OBJECT })
        }
        None => (SHN_ABS, STT_NOTYPE),
    };
    let bind = if sym.global { STB_GLOBAL } else { STB_LOCAL };
    put32(out, strtab.add(&sym.name));
    put32(out, sym.addr);
    put32(out, 0);
    out.push((bind << 4) | typ);
    out.push(0);
    put16(out, shndx);
}

/// The ELF image of `program`.
pub fn write(program: &Program) -> Vec<u8> {
    let phnum = program.sections.len() as u32;
    let mut out = vec![0u8; (EHDR_SIZE + PHDR_SIZE * phnum) as usize];
    let mut shstrtab = StrTab::new();
    let mut shdrs = vec![Shdr {
        sh_name: 0,
        sh_type: 0,
        sh_flags: 0,
        sh_addr: 0,
        sh_offset: 0,
        sh_size: 0,
        sh_link: 0,
        sh_info: 0,
        sh_addralign: 0,
        sh_entsize: 0,
    }];
    let mut phdrs = Vec::new();
    for section in &program.sections {
        let offset = congruent(out.len() as u32, section.addr);
        out.resize(offset as usize, 0);
        out.extend_from_slice(&section.bytes);
        let flags = &section.flags;
        let p_flags = (if flags.read { PF_R } else { 0 })
            | (if flags.write { PF_W } else { 0 })
            | (if flags.execute { PF_X } else { 0 });
        let filesz = section.bytes.len() as u32;
        phdrs.push([PT_LOAD, offset, section.addr, section.addr, filesz, section.size, p_flags, PAGE]);
        shdrs.push(Shdr {
            sh_name: shstrtab.add(&section.name),
            sh_type: if section.nobits { SHT_NOBITS } else { SHT_PROGBITS },
            sh_flags: SHF_ALLOC
                | (if flags.write { SHF_WRITE } else { 0 })
                | (if flags.execute { SHF_EXECINSTR } else { 0 }),
            sh_addr: section.addr,
            sh_offset: offset,
            sh_size: section.size,
            sh_link: 0,
            sh_info: 0,
            sh_addralign: if section.addr % 4 == 0 { 4 } else { 1 },
            sh_entsize: 0,
        });
    }

    let mut strtab = StrTab::new();
    let mut symtab = vec![0u8; SYM_SIZE as usize];
    let locals = program.symbols.iter().filter(|s| !s.global);
    let globals = program.symbols.iter().filter(|s| s.global);
    let first_global = 1 + program.symbols.iter().filter(|s| !s.global).count() as u32;
    for sym in locals.chain(globals) {
        symbol_entry(&mut symtab, &mut strtab, program, sym);
    }
    let symtab_index = shdrs.len() as u32;
    let table = |out: &mut Vec<u8>, shdrs: &mut Vec<Shdr>, name: u32, sh_type, data: &[u8], link, info| {
        let offset = out.len().next_multiple_of(4) as u32;
        out.resize(offset as usize, 0);
        out.extend_from_slice(data);
        let symtab = sh_type == SHT_SYMTAB;
        shdrs.push(Shdr {
            sh_name: name,
            sh_type,
            sh_flags: 0,
            sh_addr: 0,
            sh_offset: offset,
            sh_size: data.len() as u32,
            sh_link: link,
            sh_info: info,
            sh_addralign: if symtab { 4 } else { 1 },
            sh_entsize: if symtab { SYM_SIZE } else { 0 },
        });
    };
    let symtab_name = shstrtab.add(".symtab");
    let strtab_name = shstrtab.add(".strtab");
    let shstrtab_name = shstrtab.add(".shstrtab");
    table(&mut out, &mut shdrs, symtab_name, SHT_SYMTAB, &symtab, symtab_index + 1, first_global);
    table(&mut out, &mut shdrs, strtab_name, SHT_STRTAB, &strtab.0, 0, 0);
    let shstrndx = shdrs.len() as u16;
    table(&mut out, &mut shdrs, shstrtab_name, SHT_STRTAB, &shstrtab.0, 0, 0);

    let shoff = out.len().next_multiple_of(4) as u32;
    out.resize(shoff as usize, 0);
    for s in &shdrs {
        for v in [
            s.sh_name,
            s.sh_type,
            s.sh_flags,
            s.sh_addr,
            s.sh_offset,
            s.sh_size,
            s.sh_link,
            s.sh_info,
            s.sh_addralign,
            s.sh_entsize,
        ] {
            put32(&mut out, v);
        }
    }

    let mut header = Vec::with_capacity((EHDR_SIZE + PHDR_SIZE * phnum) as usize);
    header.extend_from_slice(&[0x7f, b'E', b'L', b'F', 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    put16(&mut header, ET_EXEC);
    put16(&mut header, ox32::EM_OX32);
    put32(&mut header, 1);
    put32(&mut header, program.entry);
    put32(&mut header, if phnum > 0 { EHDR_SIZE } else { 0 });
    put32(&mut header, shoff);
    put32(&mut header, 0);
    put16(&mut header, EHDR_SIZE as u16);
    put16(&mut header, PHDR_SIZE as u16);
    put16(&mut header, phnum as u16);
    put16(&mut header, SHDR_SIZE as u16);
    put16(&mut header, shdrs.len() as u16);
    put16(&mut header, shstrndx);
    for p in phdrs {
        for v in p {
            put32(&mut header, v);
        }
    }
    out[..header.len()].copy_from_slice(&header);
    out
}
