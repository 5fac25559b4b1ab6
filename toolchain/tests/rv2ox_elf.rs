//! `rv2ox` on whole ELF files: the layout, symbols and data are kept and only instruction words
//! change; errors name address, word and reason, sorted and capped; files without section
//! headers; wrong kinds of file; malformed input never panics; and the translator's speed.
//!
//! The RISC-V files are built by hand here ([`build_elf`]), the way `ld.lld` lays them out, so
//! the tests need no RISC-V toolchain.

mod rv2ox_common;

use goblin::elf::Elf;
use orrery_toolchain::rv2ox::{
    translate_elf, translate_elf_with_stats, translate_word, TranslateError, MAX_ERRORS,
};
use rv2ox_common::{random_word, rv, XorShift, LLVM_MC};

/// A section of a hand-built RISC-V ELF file.
struct Sec {
    name: &'static str,
    addr: u32,
    /// `SHF_*` flags.
    flags: u32,
    /// File contents; `None` for `SHT_NOBITS` with the given size.
    data: Option<Vec<u8>>,
    nobits_size: u32,
}

const SHF_WRITE: u32 = 1;
const SHF_ALLOC: u32 = 2;
const SHF_EXECINSTR: u32 = 4;
const EM_RISCV: u16 = 243;

fn code(words: &[u32]) -> Vec<u8> {
    words.iter().flat_map(|w| w.to_le_bytes()).collect()
}

fn text(addr: u32, words: &[u32]) -> Sec {
    Sec { name: ".text", addr, flags: SHF_ALLOC | SHF_EXECINSTR, data: Some(code(words)), nobits_size: 0 }
}

fn put16(out: &mut Vec<u8>, v: u16) {
    out.extend_from_slice(&v.to_le_bytes());
}

fn put32(out: &mut Vec<u8>, v: u32) {
    out.extend_from_slice(&v.to_le_bytes());
}

/// An ELF32 little-endian `ET_EXEC` file laid out as `ld.lld` would: ELF header, one `PT_LOAD`
/// per allocated section, contents at offsets congruent to their addresses modulo 4 KiB, then
/// `.symtab`, `.strtab`, `.shstrtab` and the section headers (left out when `section_headers` is
/// false). Symbols are `(name, value, size, info, section index)`, section indices counting the
/// null section.
fn build_elf(
    machine: u16,
    e_flags: u32,
    sections: &[Sec],
    symbols: &[(&str, u32, u32, u8, u16)],
    section_headers: bool,
) -> Vec<u8> {
    let alloc: Vec<&Sec> = sections.iter().filter(|s| s.flags & SHF_ALLOC != 0).collect();
    let phnum = alloc.len() as u32;
    let mut out = vec![0u8; 52 + 32 * phnum as usize];
    let mut offsets = Vec::new();
    for sec in sections {
        let len = out.len() as u32;
        let offset = len + (sec.addr.wrapping_sub(len)) % 0x1000;
        out.resize(offset as usize, 0);
        offsets.push(offset);
        if let Some(data) = &sec.data {
            out.extend_from_slice(data);
        }
    }
    let mut strtab = vec![0u8];
    let mut symtab = vec![0u8; 16];
    for &(name, value, size, info, shndx) in symbols {
        put32(&mut symtab, strtab.len() as u32);
        strtab.extend_from_slice(name.as_bytes());
        strtab.push(0);
        put32(&mut symtab, value);
        put32(&mut symtab, size);
        symtab.push(info);
        symtab.push(0);
        put16(&mut symtab, shndx);
    }
    let mut shstrtab = vec![0u8];
    let mut name_of = |name: &str| {
        let at = shstrtab.len() as u32;
        shstrtab.extend_from_slice(name.as_bytes());
        shstrtab.push(0);
        at
    };
    let sec_names: Vec<u32> = sections.iter().map(|s| name_of(s.name)).collect();
    let (symtab_name, strtab_name, shstrtab_name) =
        (name_of(".symtab"), name_of(".strtab"), name_of(".shstrtab"));
    let symtab_off = out.len() as u32;
    out.extend_from_slice(&symtab);
    let strtab_off = out.len() as u32;
    out.extend_from_slice(&strtab);
    let shstrtab_off = out.len() as u32;
    out.extend_from_slice(&shstrtab);
    while out.len() % 4 != 0 {
        out.push(0);
    }
    let shoff = out.len() as u32;
    let nsec = sections.len() as u32;
    let shnum = nsec + 4;
    if section_headers {
        out.extend_from_slice(&[0; 40]);
        for (i, sec) in sections.iter().enumerate() {
            let (ty, size) = match &sec.data {
                Some(data) => (1, data.len() as u32),
                None => (8, sec.nobits_size),
            };
            for v in [sec_names[i], ty, sec.flags, sec.addr, offsets[i], size, 0, 0, 4, 0] {
                put32(&mut out, v);
            }
        }
        let locals = symbols.iter().filter(|s| s.3 >> 4 == 0).count() as u32 + 1;
        for v in [symtab_name, 2, 0, 0, symtab_off, symtab.len() as u32, nsec + 2, locals, 4, 16] {
            put32(&mut out, v);
        }
        for v in [strtab_name, 3, 0, 0, strtab_off, strtab.len() as u32, 0, 0, 1, 0] {
            put32(&mut out, v);
        }
        for v in [shstrtab_name, 3, 0, 0, shstrtab_off, shstrtab.len() as u32, 0, 0, 1, 0] {
            put32(&mut out, v);
        }
    }
    let mut header = Vec::new();
    header.extend_from_slice(&[0x7f, b'E', b'L', b'F', 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    put16(&mut header, 2);
    put16(&mut header, machine);
    put32(&mut header, 1);
    put32(&mut header, alloc.first().map_or(0, |s| s.addr));
    put32(&mut header, 52);
    put32(&mut header, if section_headers { shoff } else { 0 });
    put32(&mut header, e_flags);
    put16(&mut header, 52);
    put16(&mut header, 32);
    put16(&mut header, phnum as u16);
    put16(&mut header, 40);
    put16(&mut header, if section_headers { shnum as u16 } else { 0 });
    put16(&mut header, if section_headers { shnum as u16 - 1 } else { 0 });
    for (i, sec) in sections.iter().enumerate().filter(|(_, s)| s.flags & SHF_ALLOC != 0) {
        let filesz = sec.data.as_ref().map_or(0, |d| d.len() as u32);
        let memsz = sec.data.as_ref().map_or(sec.nobits_size, |d| d.len() as u32);
        let flags = 4
            | if sec.flags & SHF_WRITE != 0 { 2 } else { 0 }
            | if sec.flags & SHF_EXECINSTR != 0 { 1 } else { 0 };
        for v in [1, offsets[i], sec.addr, sec.addr, filesz, memsz, flags, 0x1000] {
            put32(&mut header, v);
        }
    }
    out[..header.len()].copy_from_slice(&header);
    out
}

/// The code of the sample program: every instruction class once, a padding word and `unimp`.
fn sample_code() -> Vec<u32> {
    let mut words: Vec<u32> = LLVM_MC.iter().map(|(_, w)| *w).collect();
    words.push(0);
    words.push(rv::asm("addi x10, x0, 42"));
    words
}

fn sample_elf(code: &[u32]) -> Vec<u8> {
    let data: Vec<u8> = (0..=255).collect();
    let sections = [
        text(0x8000_0000, code),
        Sec {
            name: ".rodata",
            addr: 0x8001_0000,
            flags: SHF_ALLOC,
            data: Some(code.iter().take(8).flat_map(|w| w.to_le_bytes()).collect()),
            nobits_size: 0,
        },
        Sec {
            name: ".data",
            addr: 0x8002_0000,
            flags: SHF_ALLOC | SHF_WRITE,
            data: Some(data),
            nobits_size: 0,
        },
        Sec { name: ".bss", addr: 0x8002_0100, flags: SHF_ALLOC | SHF_WRITE, data: None, nobits_size: 0x400 },
        Sec { name: ".comment", addr: 0, flags: 0, data: Some(b"Linker: LLD 22\0".to_vec()), nobits_size: 0 },
    ];
    let symbols = [
        ("helper", 0x8000_0010, 8, 0x02, 1),
        ("_start", 0x8000_0000, 16, 0x12, 1),
        ("table", 0x8001_0000, 32, 0x11, 2),
        ("counter", 0x8002_0000, 4, 0x11, 3),
        ("buf", 0x8002_0100, 0x400, 0x11, 4),
    ];
    build_elf(EM_RISCV, 0x10, &sections, &symbols, true)
}

fn words_at(bytes: &[u8], offset: usize, count: usize) -> Vec<u32> {
    bytes[offset..offset + 4 * count]
        .chunks(4)
        .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect()
}

#[test]
fn elf_translation_keeps_the_layout() {
    let rv_code = sample_code();
    let input = sample_elf(&rv_code);
    let (out, stats) = translate_elf_with_stats(&input).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(stats.instructions, rv_code.len() - 2, "all but the zero word and unimp");
    assert_eq!(stats.illegal_words, 2);
    assert_eq!(stats.bytes, 4 * rv_code.len());
    assert_eq!(out.len(), input.len());

    let before = Elf::parse(&input).expect("input parses");
    let after = Elf::parse(&out).expect("output parses");
    assert_eq!(before.header.e_machine, EM_RISCV);
    assert_eq!(after.header.e_machine, ox32::EM_OX32);
    assert_eq!(after.header.e_flags, 0);
    assert_eq!(after.header.e_type, before.header.e_type);
    assert_eq!(after.entry, before.entry);
    assert_eq!(after.program_headers, before.program_headers);
    assert_eq!(after.section_headers, before.section_headers);
    let names = |elf: &Elf| -> Vec<(String, u64, u64, u8)> {
        elf.syms
            .iter()
            .map(|s| {
                (elf.strtab.get_at(s.st_name).unwrap_or("").to_string(), s.st_value, s.st_size, s.st_info)
            })
            .collect()
    };
    assert_eq!(names(&after), names(&before));
    assert_eq!(names(&after).len(), 6);

    // Only the text words and the two header fields differ.
    let text = &before.section_headers[1];
    let (start, end) = (text.sh_offset as usize, (text.sh_offset + text.sh_size) as usize);
    for (i, (a, b)) in input.iter().zip(&out).enumerate() {
        if !(start..end).contains(&i) && !(18..20).contains(&i) && !(36..40).contains(&i) {
            assert_eq!(a, b, "byte {i:#x} changed");
        }
    }
    // The `.rodata` copy of the first words is data: untouched.
    let rodata = &after.section_headers[2];
    assert_eq!(words_at(&out, rodata.sh_offset as usize, 8), rv_code[..8]);
    // Every text word is the translation of the RV word at the same address.
    for (i, (rv_word, ox_word)) in rv_code.iter().zip(words_at(&out, start, rv_code.len())).enumerate() {
        let expected = translate_word(*rv_word).expect("translates").word();
        assert_eq!(ox_word, expected, "word {i}");
    }

    // What the emulator's loader checks (toolchain tests cannot depend on the emulator crate):
    // ELF32, little-endian, ox32, ET_EXEC, PT_LOAD segments inside the file and inside RAM.
    assert!(!after.is_64 && after.little_endian);
    for ph in after.program_headers.iter().filter(|ph| ph.p_type == goblin::elf::program_header::PT_LOAD) {
        assert!(ph.p_offset + ph.p_filesz <= out.len() as u64);
        assert!(ph.p_filesz <= ph.p_memsz);
        assert!(ph.p_paddr >= u64::from(ox32::memmap::RAM_BASE));
    }
    // oxdis reads it as an ox32 executable.
    let listing = orrery_toolchain::disasm::disassemble_elf(&out).unwrap_or_else(|e| panic!("{e}"));
    assert!(listing.contains("<_start>:"), "{listing}");
    assert!(listing.contains("addi\tt0, t1, -2048") || listing.contains("addi t0, t1, -2048"), "{listing}");
    assert!(listing.contains("tlbflush"), "{listing}");
    assert!(listing.contains("li a0, 42") || listing.contains("li\ta0, 42"), "{listing}");
}

#[test]
fn elf_errors_name_address_word_and_reason_sorted() {
    let mut words = vec![rv::asm("addi x1, x0, 1"); 64];
    words[3] = 0x0000_0053; // fadd.s
    words[10] = rv::csr(0x300, 0, 2, 10); // csrr a0, mstatus
    words[5] = 0x0000_000b; // custom-0
    let init = Sec {
        name: ".init",
        addr: 0x7fff_f000,
        flags: SHF_ALLOC | SHF_EXECINSTR,
        data: Some(code(&[0x0000_0013, 0x0000_4501, 0x0000_0053, 0x0000_0053])),
        nobits_size: 0,
    };
    let input = build_elf(EM_RISCV, 0, &[text(0x8000_0000, &words), init], &[], true);
    let errors = translate_elf(&input).expect_err("errors");
    let lines: Vec<String> = errors.errors.iter().map(TranslateError::to_string).collect();
    assert_eq!(
        lines,
        [
            "0x7ffff004: word 0x00004501: compressed instruction (RVC is not supported; build for riscv32ima)",
            "0x8000000c: word 0x00000053: floating-point instruction (OP-FP; F and D are not supported; build for riscv32ima)",
            "0x80000014: word 0x0000000b: unknown opcode 0x0b (custom-0; not RV32IMA)",
            "0x80000028: word 0x30002573: unknown CSR 0x300 (only ox32 control-register numbers and the RV counters cycle, time, instret and their high halves are translated)",
        ]
    );
    assert_eq!(errors.omitted, 0);
}

#[test]
fn elf_errors_are_capped() {
    let words = vec![0x0000_0053u32; 100];
    let input = build_elf(EM_RISCV, 0, &[text(0x8000_0000, &words)], &[], true);
    let errors = translate_elf(&input).expect_err("errors");
    assert_eq!(errors.errors.len(), MAX_ERRORS);
    assert_eq!(errors.omitted, 100 - MAX_ERRORS);
    assert_eq!(errors.errors[0].addr(), Some(0x8000_0000));
    assert_eq!(errors.errors[MAX_ERRORS - 1].addr(), Some(0x8000_0000 + 4 * (MAX_ERRORS as u32 - 1)));
    assert!(errors.to_string().ends_with("\n... and 80 more errors"));
}

#[test]
fn elf_section_shape_errors() {
    let misaligned = Sec {
        name: ".text",
        addr: 0x8000_0002,
        flags: SHF_ALLOC | SHF_EXECINSTR,
        data: Some(code(&[0x13])),
        nobits_size: 0,
    };
    let input = build_elf(EM_RISCV, 0, &[misaligned], &[], true);
    assert_eq!(
        translate_elf(&input).expect_err("misaligned").to_string(),
        "0x80000002: section `.text`: starts at 0x80000002, which is not a multiple of 4"
    );
    let mut odd = code(&[0x13, 0x13]);
    odd.extend_from_slice(&[0x01, 0x45]);
    let sec = Sec {
        name: ".text",
        addr: 0x8000_0000,
        flags: SHF_ALLOC | SHF_EXECINSTR,
        data: Some(odd),
        nobits_size: 0,
    };
    let input = build_elf(EM_RISCV, 0, &[sec], &[], true);
    assert_eq!(
        translate_elf(&input).expect_err("odd size").to_string(),
        "0x80000000: section `.text`: size 0xa is not a multiple of 4 (ox32 and RV32IMA code are 32-bit words)"
    );
    let data_only = Sec {
        name: ".data",
        addr: 0x8000_0000,
        flags: SHF_ALLOC | SHF_WRITE,
        data: Some(vec![1; 8]),
        nobits_size: 0,
    };
    let input = build_elf(EM_RISCV, 0, &[data_only], &[], true);
    assert_eq!(
        translate_elf(&input).expect_err("no code").to_string(),
        "no executable section: nothing to translate"
    );
}

#[test]
fn elf_without_section_headers_uses_executable_segments() {
    let words = sample_code();
    let data = Sec {
        name: ".data",
        addr: 0x8002_0000,
        flags: SHF_ALLOC | SHF_WRITE,
        data: Some(code(&[0x53; 4])),
        nobits_size: 0,
    };
    let input = build_elf(EM_RISCV, 0, &[text(0x8000_0000, &words), data], &[], false);
    let (out, stats) = translate_elf_with_stats(&input).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(stats.instructions + stats.illegal_words, words.len());
    let elf = Elf::parse(&out).expect("parses");
    assert!(elf.section_headers.is_empty());
    let text_ph = &elf.program_headers[0];
    let translated = words_at(&out, text_ph.p_offset as usize, words.len());
    assert_eq!(translated[0], translate_word(words[0]).expect("ok").word());
    // The data segment holds float-looking words and is not touched.
    let data_ph = &elf.program_headers[1];
    assert_eq!(words_at(&out, data_ph.p_offset as usize, 4), [0x53; 4]);
    // An error in a segment is named after it.
    let input = build_elf(EM_RISCV, 0, &[text(0x8000_0000, &[0x13, 0x53])], &[], false);
    assert_eq!(
        translate_elf(&input).expect_err("float").to_string(),
        "0x80000004: word 0x00000053: floating-point instruction (OP-FP; F and D are not supported; build for riscv32ima)"
    );
}

#[test]
fn wrong_kinds_of_file_get_clear_errors() {
    let message = |bytes: &[u8]| translate_elf(bytes).expect_err("rejected").to_string();
    // An ox32 file: our own output, translated again.
    let ox = translate_elf(&sample_elf(&sample_code())).expect("translates");
    assert_eq!(
        message(&ox),
        "already an ox32 executable (e_machine 0x4f58); rv2ox translates RISC-V executables (e_machine EM_RISCV = 243)"
    );
    // Another machine (x86: 3).
    let x86 = build_elf(3, 0, &[text(0x8000_0000, &[0x13])], &[], true);
    assert_eq!(message(&x86), "not a RISC-V executable: e_machine is 3, expected EM_RISCV = 243");
    // A 64-bit file: the same header with ELFCLASS64.
    let mut rv64 = sample_elf(&[0x13]);
    rv64[4] = 2;
    assert_eq!(
        message(&rv64),
        "not a 32-bit ELF file (ELFCLASS32); rv2ox translates RV32 executables, not RV64"
    );
    let mut big = sample_elf(&[0x13]);
    big[5] = 2;
    assert_eq!(message(&big), "a big-endian ELF file; RV32 and ox32 are little-endian");
    let mut object = sample_elf(&[0x13]);
    object[16] = 1;
    assert_eq!(message(&object), "e_type is 1, not an executable (ET_EXEC = 2); translate linked programs");
    assert_eq!(
        message(b"\x7fELF"),
        "not a 32-bit ELF file (ELFCLASS32); rv2ox translates RV32 executables, not RV64"
    );
    assert_eq!(message(b"#!/bin/sh\n"), "not an ELF file (bad magic number)");
    assert_eq!(message(&[]), "not an ELF file (bad magic number)");
    assert_eq!(message(&sample_elf(&[0x13])[..40]), "truncated ELF header (40 bytes, ELF32 needs 52)");
}

#[test]
fn malformed_elf_never_panics() {
    let input = sample_elf(&sample_code());
    // Every truncation.
    for len in 0..input.len() {
        let _ = translate_elf(&input[..len]);
    }
    // Flips of single bytes in the headers and tables, and random multi-byte damage.
    let shoff = u32::from_le_bytes([input[32], input[33], input[34], input[35]]) as usize;
    let mut rng = XorShift(0x9e37_79b9_7f4a_7c15);
    let interesting: Vec<usize> = (0..52 + 32 * 4).chain(shoff..input.len()).collect();
    for &i in &interesting {
        for v in [0x00, 0xff, 0x80, 0x7f] {
            let mut bad = input.clone();
            bad[i] = v;
            check_output_if_ok(&bad);
        }
    }
    for _ in 0..3000 {
        let mut bad = input.clone();
        for _ in 0..1 + rng.next() % 4 {
            let i = interesting[rng.next() as usize % interesting.len()];
            bad[i] = rng.next() as u8;
        }
        check_output_if_ok(&bad);
    }
}

/// When damaged input still translates, the output keeps the size and the ox32 header fields.
fn check_output_if_ok(bytes: &[u8]) {
    if let Ok(out) = translate_elf(bytes) {
        assert_eq!(out.len(), bytes.len());
        assert_eq!(u16::from_le_bytes([out[18], out[19]]), ox32::EM_OX32);
    }
}

/// The translator's speed on a million random valid instructions in one section. Run with
/// `cargo test -p orrery-toolchain --release --test rv2ox_elf -- --ignored --nocapture speed`.
#[test]
#[ignore = "a measurement, not a check; run in release"]
fn speed_on_a_million_instructions() {
    let mut rng = XorShift(1);
    let words: Vec<u32> =
        (0..1_000_000).map(|_| random_word(rng.next() % 16, rng.next(), rng.next())).collect();
    let input = build_elf(EM_RISCV, 0, &[text(0x8000_0000, &words)], &[], true);
    let mut best = f64::MAX;
    for _ in 0..5 {
        let start = std::time::Instant::now();
        let (_, stats) = translate_elf_with_stats(&input).unwrap_or_else(|e| panic!("{e}"));
        best = best.min(start.elapsed().as_secs_f64());
        assert_eq!(stats.instructions + stats.illegal_words, words.len());
    }
    println!(
        "rv2ox: {} instructions in {:.1} ms: {:.1} M instructions/s",
        words.len(),
        best * 1e3,
        words.len() as f64 / best / 1e6
    );
}
