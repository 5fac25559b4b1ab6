//! The ELF files oxas writes: readable by goblin (and by `readelf` without warnings), with the
//! right machine, entry, segments and symbols; and oxdis on good and bad files.

use goblin::elf::program_header::{PF_R, PF_W, PF_X, PT_LOAD};
use goblin::elf::sym::{STB_GLOBAL, STB_LOCAL, STT_FUNC, STT_OBJECT};
use goblin::elf::Elf;
use orrery_toolchain::asm::{assemble, Options, Program};
use orrery_toolchain::disasm::{disassemble_elf, reassemblable_source};

const SOURCE: &str = "
    .globl _start
    .globl counter
helper: ret
_start:
    call helper
    j _start
    .word 0
    .rodata
greeting: .asciz \"hi\"
    .data
counter: .word 5
    .bss
buf: .space 100
";

fn program() -> Program {
    match assemble(&[("t.s", SOURCE)], &Options::default()) {
        Ok(p) => p,
        Err(d) => panic!("{d}"),
    }
}

#[test]
fn elf_header_segments_and_symbols() {
    let bytes = program().to_elf();
    let elf = Elf::parse(&bytes).expect("goblin parses oxas output");
    assert!(!elf.is_64 && elf.little_endian);
    assert_eq!(elf.header.e_machine, ox32::EM_OX32);
    assert_eq!(elf.header.e_type, goblin::elf::header::ET_EXEC);
    assert_eq!(elf.entry, 0x8000_0004, "entry is _start");

    let loads: Vec<_> = elf.program_headers.iter().filter(|p| p.p_type == PT_LOAD).collect();
    let summary: Vec<(u64, u64, u64, u32)> =
        loads.iter().map(|p| (p.p_vaddr, p.p_filesz, p.p_memsz, p.p_flags)).collect();
    assert_eq!(
        summary,
        vec![
            (0x8000_0000, 16, 16, PF_R | PF_X),
            (0x8000_1000, 3, 3, PF_R),
            (0x8000_2000, 4, 4, PF_R | PF_W),
            (0x8000_3000, 0, 100, PF_R | PF_W),
        ]
    );
    for p in &loads {
        assert_eq!(p.p_offset % 0x1000, p.p_vaddr % 0x1000, "offset congruent to address");
        let data = &bytes[p.p_offset as usize..(p.p_offset + p.p_filesz) as usize];
        assert_eq!(data.len() as u64, p.p_filesz);
    }
    let text = &bytes[loads[0].p_offset as usize..][..4];
    assert_eq!(u32::from_le_bytes([text[0], text[1], text[2], text[3]]), 0x1001_0000, "ret");

    let syms: Vec<(String, u64, u8, u8)> = elf
        .syms
        .iter()
        .skip(1)
        .map(|s| {
            (elf.strtab.get_at(s.st_name).unwrap_or("?").to_string(), s.st_value, s.st_bind(), s.st_type())
        })
        .collect();
    let expect = |name: &str, value: u64, bind: u8, typ: u8| {
        assert!(syms.contains(&(name.to_string(), value, bind, typ)), "{name} in {syms:?}");
    };
    expect("helper", 0x8000_0000, STB_LOCAL, STT_FUNC);
    expect("_start", 0x8000_0004, STB_GLOBAL, STT_FUNC);
    expect("greeting", 0x8000_1000, STB_LOCAL, STT_OBJECT);
    expect("counter", 0x8000_2000, STB_GLOBAL, STT_OBJECT);
    expect("buf", 0x8000_3000, STB_LOCAL, STT_OBJECT);
    let first_global = syms.iter().position(|s| s.2 == STB_GLOBAL).unwrap_or(syms.len());
    assert!(syms[first_global..].iter().all(|s| s.2 == STB_GLOBAL), "locals come first");
}

#[test]
fn readelf_reads_it_without_warnings() {
    let path = std::env::temp_dir().join(format!("oxas-elf-test-{}.elf", std::process::id()));
    std::fs::write(&path, program().to_elf()).expect("write temp file");
    let output = std::process::Command::new("readelf").arg("-a").arg("-W").arg(&path).output();
    let _ = std::fs::remove_file(&path);
    let Ok(output) = output else {
        eprintln!("readelf not found; skipping the readelf check");
        return;
    };
    let stderr = String::from_utf8_lossy(&output.stderr);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stderr.trim().is_empty(), "readelf warnings:\n{stderr}");
    assert!(stdout.contains(".symtab") && stdout.contains("_start"), "{stdout}");
}

#[test]
fn flat_binary_spans_the_file_backed_sections() {
    let image = program().to_flat_binary();
    assert_eq!(image.len(), 0x2000 + 4, "text to the end of data; bss left out");
    assert_eq!(&image[0x1000..0x1003], b"hi\0");
    assert_eq!(&image[0x2000..], &5u32.to_le_bytes());
}

#[test]
fn objdump_style_listing() {
    let listing = disassemble_elf(&program().to_elf()).expect("disassembles");
    let expected = "
Disassembly of section .text:

80000000 <helper>:
80000000:\t10010000\tret

80000004 <_start>:
80000004:\t0c3ffffc\tjal ra, 0x80000000 <helper>
80000008:\t0c1ffffc\tj 0x80000004 <_start>
8000000c:\t00000000\t.word 0x00000000  # illegal: 0x00000000: unknown opcode 0x00
";
    assert_eq!(listing, expected);
}

#[test]
fn branch_targets_are_annotated_with_offsets() {
    let source = "f: nop\n nop\n j f+4\n";
    let program = assemble(&[("t.s", source)], &Options::default()).map_err(|d| d.to_string());
    let listing = disassemble_elf(&program.expect("assembles").to_elf()).expect("disassembles");
    assert!(listing.contains("j 0x80000004 <f+0x4>"), "{listing}");
}

#[test]
fn bad_files_are_clear_errors() {
    let good = program().to_elf();
    let err = |bytes: &[u8]| disassemble_elf(bytes).err().map(|e| e.to_string()).unwrap_or_default();
    assert!(err(b"").contains("not a valid ELF file"), "{}", err(b""));
    assert!(err(b"hello world, not an ELF at all").contains("not a valid ELF file"));
    let mut riscv = good.clone();
    riscv[18..20].copy_from_slice(&243u16.to_le_bytes());
    assert_eq!(err(&riscv), "not an ox32 executable: e_machine is 0xf3, expected 0x4f58");
    let mut wide = good.clone();
    wide[4] = 2;
    assert!(!err(&wide).is_empty());
    // Every truncation and many corruptions give an error or a listing, never a panic.
    for len in 0..good.len() {
        let _ = disassemble_elf(&good[..len]);
        let _ = reassemblable_source(&good[..len]);
    }
    for i in 0..good.len() {
        let mut bad = good.clone();
        bad[i] ^= 0xa5;
        let _ = disassemble_elf(&bad);
        let _ = reassemblable_source(&bad);
    }
}

#[test]
fn hostile_sources_give_errors_not_panics() {
    let long_expr = format!(".word {}", vec!["1"; 2000].join("+"));
    let deep = format!(".word {}1{}", "(".repeat(500), ")".repeat(500));
    let inputs = [
        "",
        "\0",
        "\u{feff}nop",
        "é: nop",
        ".word 'é'",
        "'",
        "\"",
        ".space 0xffffffff",
        ".space 0x7fffffffffffffff",
        ".bss\n.space 0xffffffff\n.space 0xffffffff",
        ".align 16\n.align 17",
        "li a0, 1 << 63",
        "j -1",
        "beq a0, a0, 0xffffffff",
        ".equ a, a\n.word a",
        "%hi",
        "%hi(",
        "lw a0, (",
        "lw a0, ()",
        "x: x:",
        ".section",
        ".section \"\"",
        "la a0, 0x100000000",
        long_expr.as_str(),
        deep.as_str(),
        "-",
        "()",
        "a,b",
        ".word 9223372036854775807 * 2",
        ".word -9223372036854775807 - 1",
        ".word (-9223372036854775807 - 1) / -1",
        ".word (-9223372036854775807 - 1) % -1",
        ".word -(-9223372036854775807 - 1)",
        "crrwi a0, status, 32",
    ];
    for input in inputs {
        let result = assemble(&[("h.s", input)], &Options::default());
        if let Err(d) = result {
            assert!(!d.to_string().is_empty());
        }
    }
    // A chain of symbols that each use the previous one twice evaluates in linear time.
    let mut chain = String::from(".equ s0, 1\n");
    for i in 1..60 {
        chain.push_str(&format!(".equ s{i}, s{} + s{} - s{}\n", i - 1, i - 1, i - 1));
    }
    chain.push_str(".word s59\n");
    assert!(assemble(&[("chain.s", &chain)], &Options::default()).is_ok());
    let too_big = Options { base: 0xffff_fff0, page_align_sections: true };
    let err = assemble(&[("h.s", ".space 32")], &too_big).err().map(|d| d.to_string()).unwrap_or_default();
    assert!(err.contains("does not fit in the 32-bit address space"), "{err}");
}
