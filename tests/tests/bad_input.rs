//! Bad input never panics: malformed ELF files are refused by `Machine::boot_elf` with a
//! message naming the problem, and randomly damaged files either load or are refused, and
//! when they load, running them cannot crash the emulator.

use orrery_emulator::machine::RunState;
use orrery_tests::{assemble_file, machine};
use proptest::prelude::{any, prop_assert, proptest, ProptestConfig};

/// ELF32 header fields and the first program header, by offset.
const EI_CLASS: usize = 4;
const EI_DATA: usize = 5;
const E_TYPE: usize = 16;
const E_MACHINE: usize = 18;
const E_PHOFF: usize = 28;
const P_OFFSET: usize = 4;
const P_PADDR: usize = 12;
const P_FILESZ: usize = 16;
const P_MEMSZ: usize = 20;
const EM_RISCV: u16 = 243;

fn hello() -> Vec<u8> {
    assemble_file("programs/asm/hello.s")
}

fn put16(elf: &mut [u8], at: usize, value: u16) {
    elf[at..at + 2].copy_from_slice(&value.to_le_bytes());
}

fn put32(elf: &mut [u8], at: usize, value: u32) {
    elf[at..at + 4].copy_from_slice(&value.to_le_bytes());
}

/// The offset of the first program header.
fn phdr(elf: &[u8]) -> usize {
    u32::from_le_bytes(elf[E_PHOFF..E_PHOFF + 4].try_into().unwrap()) as usize
}

fn load_error(elf: &[u8]) -> String {
    let (mut m, _) = machine(b"");
    m.boot_elf(elf).expect_err("a malformed file must be refused").0
}

#[test]
fn the_valid_file_loads() {
    let (mut m, _) = machine(b"");
    m.boot_elf(&hello()).unwrap();
}

#[test]
fn each_malformation_has_its_own_message() {
    let good = hello();
    let mut cases: Vec<(&str, Vec<u8>, &str)> = Vec::new();

    cases.push(("truncated header", good[..30].to_vec(), "not a valid ELF file"));
    cases.push(("empty file", Vec::new(), "not an ELF file"));
    cases.push(("not ELF at all", b"#!/bin/sh\necho hello\n".to_vec(), "not an ELF file"));

    let mut elf64 = good.clone();
    elf64[EI_CLASS] = 2;
    cases.push(("64-bit class", elf64, "a 64-bit ELF file; ox32 executables are ELF32"));

    let mut big = good.clone();
    big[EI_DATA] = 2;
    cases.push(("big-endian", big, "not a little-endian ELF file"));

    let mut riscv = good.clone();
    put16(&mut riscv, E_MACHINE, EM_RISCV);
    cases.push(("RISC-V machine", riscv, "a RISC-V executable: translate it to ox32 with `rv2ox` first"));

    let mut x86 = good.clone();
    put16(&mut x86, E_MACHINE, 3);
    cases.push(("x86 machine", x86, "e_machine is 0x3, not ox32"));

    let mut relocatable = good.clone();
    put16(&mut relocatable, E_TYPE, 1);
    cases.push(("relocatable", relocatable, "e_type is 1, not an executable (ET_EXEC)"));

    let ph = phdr(&good);
    let mut outside = good.clone();
    put32(&mut outside, ph + P_PADDR, 0x1000_0000);
    cases.push(("segment outside RAM", outside, "segment 0: 0x10000000..0x"));

    let mut filesz = good.clone();
    let memsz = u32::from_le_bytes(good[ph + P_MEMSZ..ph + P_MEMSZ + 4].try_into().unwrap());
    put32(&mut filesz, ph + P_FILESZ, memsz + 4);
    cases.push(("p_filesz > p_memsz", filesz, "exceeds p_memsz"));

    let mut past_eof = good.clone();
    put32(&mut past_eof, ph + P_OFFSET, good.len() as u32);
    cases.push(("segment data past EOF", past_eof, "segment 0: file range"));

    let mut phdrs_past_eof = good.clone();
    put32(&mut phdrs_past_eof, E_PHOFF, good.len() as u32 + 64);
    cases.push(("program headers past EOF", phdrs_past_eof, "not a valid ELF file"));

    let mut messages = String::new();
    for (what, elf, expected) in &cases {
        let message = load_error(elf);
        assert!(message.contains(expected), "{what}: {message:?} lacks {expected:?}");
        assert!(!message.contains('\n'), "{what}: one line please: {message:?}");
        messages.push_str(&format!("{what}: {message}\n"));
    }
    insta::assert_snapshot!(messages);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn damaged_files_load_or_are_refused_and_never_panic(
        flips in proptest::collection::vec((any::<usize>(), any::<u8>()), 0..8),
        cut in any::<Option<usize>>(),
    ) {
        let mut elf = hello();
        for (at, value) in flips {
            let at = at % elf.len();
            elf[at] = value;
        }
        if let Some(cut) = cut {
            elf.truncate(cut % (elf.len() + 1));
        }
        let (mut m, _) = machine(b"");
        if m.boot_elf(&elf).is_ok() {
            let state = m.run(10_000);
            prop_assert!(matches!(state, RunState::Running | RunState::PoweredOff(_) | RunState::Stuck));
            prop_assert!(m.cpu.cycles <= 10_000);
        }
    }
}
