//! Reduces an ox32 executable to what a loader uses: the ELF header and the `PT_LOAD`
//! segments, nothing else (no sections, symbols or debug information).
//!
//! The central kernel embeds the satellite kernel only to send its loadable segments over the
//! links, so it embeds this reduced copy (`cargo xtask build` writes it next to the full
//! executable, which keeps the symbols for a debugger).
//!
//! Layout of the output: ELF header, the `PT_LOAD` program headers in the input's order, then
//! each segment's file bytes at a 4-byte-aligned offset (`p_align` = 4, so the offsets need not
//! follow the page). `e_shoff`, `e_shnum` and `e_shstrndx` are 0. Segments keep their addresses,
//! flags, file and memory sizes; the entry point, machine and flags are copied.
//!
//! Invariants: the output is a valid ELF32 file that `goblin` parses with the same entry point
//! and the same `(p_paddr, file bytes, p_memsz)` for every `PT_LOAD` segment as the input.

use goblin::elf::header::ET_EXEC;
use goblin::elf::program_header::PT_LOAD;
use goblin::elf::Elf;

const EHDR_SIZE: usize = 52;
const PHDR_SIZE: usize = 32;
const SEGMENT_ALIGN: usize = 4;

/// The loadable image of the ELF32 executable `elf`, or why it cannot be reduced.
pub fn loadable(elf: &[u8]) -> Result<Vec<u8>, String> {
    let parsed = Elf::parse(elf).map_err(|e| format!("not an ELF file: {e}"))?;
    if parsed.is_64 || !parsed.little_endian {
        return Err("not a little-endian ELF32 file".to_string());
    }
    if parsed.header.e_type != ET_EXEC {
        return Err(format!("not an executable (e_type {})", parsed.header.e_type));
    }
    let segments: Vec<_> = parsed.program_headers.iter().filter(|p| p.p_type == PT_LOAD).collect();
    let mut out = vec![0u8; EHDR_SIZE + PHDR_SIZE * segments.len()];
    let mut phdrs = Vec::with_capacity(segments.len() * PHDR_SIZE);
    for segment in &segments {
        let (offset, filesz) = (segment.p_offset as usize, segment.p_filesz as usize);
        let bytes = offset
            .checked_add(filesz)
            .and_then(|end| elf.get(offset..end))
            .ok_or_else(|| format!("the segment at {:#010x} lies outside the file", segment.p_vaddr))?;
        let at = out.len().next_multiple_of(SEGMENT_ALIGN);
        out.resize(at, 0);
        out.extend_from_slice(bytes);
        let at = if filesz == 0 { 0 } else { at };
        for v in [
            PT_LOAD,
            at as u32,
            segment.p_vaddr as u32,
            segment.p_paddr as u32,
            filesz as u32,
            segment.p_memsz as u32,
            segment.p_flags,
            SEGMENT_ALIGN as u32,
        ] {
            phdrs.extend_from_slice(&v.to_le_bytes());
        }
    }
    let header = &parsed.header;
    let mut ehdr = Vec::with_capacity(EHDR_SIZE);
    ehdr.extend_from_slice(&header.e_ident);
    ehdr.extend_from_slice(&ET_EXEC.to_le_bytes());
    ehdr.extend_from_slice(&header.e_machine.to_le_bytes());
    ehdr.extend_from_slice(&header.e_version.to_le_bytes());
    ehdr.extend_from_slice(&(header.e_entry as u32).to_le_bytes());
    let phoff = if segments.is_empty() { 0 } else { EHDR_SIZE as u32 };
    ehdr.extend_from_slice(&phoff.to_le_bytes());
    ehdr.extend_from_slice(&0u32.to_le_bytes());
    ehdr.extend_from_slice(&header.e_flags.to_le_bytes());
    for v in [EHDR_SIZE, PHDR_SIZE, segments.len(), 0, 0, 0] {
        ehdr.extend_from_slice(&(v as u16).to_le_bytes());
    }
    out[..EHDR_SIZE].copy_from_slice(&ehdr);
    out[EHDR_SIZE..EHDR_SIZE + phdrs.len()].copy_from_slice(&phdrs);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::asm;

    /// `(p_paddr, file bytes, p_memsz, p_flags)` of one `PT_LOAD` segment.
    type Segment = (u64, Vec<u8>, u64, u32);

    fn segments(elf: &[u8]) -> (u64, Vec<Segment>) {
        let parsed = Elf::parse(elf).expect("an ELF file");
        let loads = parsed
            .program_headers
            .iter()
            .filter(|p| p.p_type == PT_LOAD)
            .map(|p| {
                let bytes = elf[p.p_offset as usize..(p.p_offset + p.p_filesz) as usize].to_vec();
                (p.p_paddr, bytes, p.p_memsz, p.p_flags)
            })
            .collect();
        (parsed.header.e_entry, loads)
    }

    #[test]
    fn keeps_every_loadable_segment_and_nothing_else() {
        let source = "\
            .text\n_start: li a0, 42\n  wait\n\
            .data\nvalue: .word 0x12345678\n  .byte 1\n\
            .bss\nzeroes: .space 64\n";
        let elf = asm::assemble(&[("t.s", source)], &asm::Options::default())
            .expect("the program assembles")
            .to_elf();
        let stripped = loadable(&elf).expect("an executable strips");
        assert_eq!(segments(&stripped), segments(&elf));
        assert!(stripped.len() < elf.len(), "{} bytes, was {}", stripped.len(), elf.len());
        let parsed = Elf::parse(&stripped).expect("the output parses");
        assert!(parsed.section_headers.is_empty() && parsed.syms.is_empty());
    }

    #[test]
    fn refuses_what_is_not_an_elf_file() {
        assert!(loadable(b"\x7fELF").is_err());
        assert!(loadable(&[0; 100]).is_err());
    }
}
