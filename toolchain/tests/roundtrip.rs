//! Round trips between the ISA crate's text and the assembler, and between oxdis and oxas:
//! - every word `ox32::decode` accepts, printed by `ox32::disassemble` at address `pc`, assembles
//!   at `pc` to the same word (random words, and a sweep of every opcode and function value);
//! - an assembled program, turned back into source by `oxdis --reassemblable`, assembles to the
//!   same sections.

use orrery_toolchain::asm::{assemble, Options, Program};
use orrery_toolchain::disasm::reassemblable_source;
use proptest::prelude::{any, prop_assert_eq, proptest, ProptestConfig};

/// Assembles the disassembly of `word` at `pc`; the word it produced, or why not.
fn reassemble(word: u32, pc: u32) -> Result<(), String> {
    let Ok(inst) = ox32::decode(word) else { return Ok(()) };
    let text = ox32::disassemble(&inst, pc, &|_| None);
    let options = Options { base: pc, page_align_sections: true };
    let program = assemble(&[("rt.s", &text)], &options).map_err(|d| format!("`{text}` at {pc:#x}:\n{d}"))?;
    let bytes = program.sections.first().map(|s| s.bytes.clone()).unwrap_or_default();
    if bytes == word.to_le_bytes() {
        Ok(())
    } else {
        Err(format!("`{text}` at {pc:#x}: {word:#010x} reassembled to {bytes:02x?}"))
    }
}

/// Words whose opcode is one ox32 defines, so most random words decode.
fn biased_word(opcode_pick: u8, low: u32) -> u32 {
    const OPCODES: [u32; 30] = [
        0x01, 0x02, 0x03, 0x04, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x10, 0x11, 0x12, 0x13, 0x14, 0x18, 0x19,
        0x1a, 0x20, 0x21, 0x22, 0x23, 0x24, 0x25, 0x28, 0x29, 0x2a, 0x30, 0x31, 0x38,
    ];
    let op = match opcode_pick as usize {
        i if i < OPCODES.len() => OPCODES[i],
        i if i % 3 == 0 => 0x39,
        i if i % 3 == 1 => 0x3a,
        i => (i as u32) & 63,
    };
    (op << 26) | (low & 0x03ff_ffff)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(20_000))]

    #[test]
    fn disassembly_reassembles_to_the_same_word(pick in 0u8..40, low in any::<u32>(), page in any::<u32>()) {
        let word = biased_word(pick, low);
        let pc = page & !3;
        prop_assert_eq!(reassemble(word, pc), Ok(()));
    }
}

#[test]
fn twenty_thousand_decodable_words_round_trip() {
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let mut tested = 0;
    let mut failures = Vec::new();
    while tested < 20_000 {
        let r = next();
        let word = biased_word((r >> 32) as u8 % 40, r as u32);
        if ox32::decode(word).is_err() {
            continue;
        }
        let pc = ((r >> 40) as u32).wrapping_mul(4) ^ 0x8000_0000;
        tested += 1;
        if let Err(e) = reassemble(word, pc) {
            failures.push(e);
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures, first: {:?}",
        failures.len(),
        failures.iter().take(5).collect::<Vec<_>>()
    );
}

#[test]
fn every_opcode_and_function_value_round_trips() {
    let mut failures = Vec::new();
    let mut decoded = 0;
    let regs = (5 << 21) | (6 << 16);
    for op in 0..64u32 {
        // Bits 10..0 hold the function of ALU, AMO (with aq/rl) and SYS, and part of every
        // immediate; bits 15..12 hold the function of CR and the fence mode.
        let mut words: Vec<u32> = (0..0x800).map(|low| (op << 26) | regs | low).collect();
        words.extend(
            (0..16).flat_map(|f| [(op << 26) | regs | (f << 12) | 0x007, (op << 26) | (f << 12) | 0x330]),
        );
        words.extend((0..0x1000).map(|v| (op << 26) | (v << 4)));
        words.extend([(op << 26) | 0x03ff_ffff, (op << 26) | 0x0000_8000, (op << 26) | 0x001f_ffff]);
        for word in words {
            if ox32::decode(word).is_ok() {
                decoded += 1;
                for pc in [0, 0x8000_0000, 0xffff_fffc] {
                    if let Err(e) = reassemble(word, pc) {
                        failures.push(e);
                    }
                }
            }
        }
    }
    assert!(decoded > 10_000, "only {decoded} words decoded");
    assert!(
        failures.is_empty(),
        "{} failures, first: {:?}",
        failures.len(),
        failures.iter().take(5).collect::<Vec<_>>()
    );
}

const PROGRAM: &str = r#"
    .globl _start
_start:
    la sp, stack_top
    li a0, 10
    li a1, 0x12345678
loop:
    addi a0, a0, -1
    bnez a0, loop
    call helper
    beq a0, a1, skip
    .word 0          # an illegal word inside code
skip:
    lr.w.aqrl t0, (a0)
    crrs t1, status, t0
    fence.tso
    j .+8
    nop
    ret
helper:
    lw a0, %lo(table)(a0)
    ret
    .rodata
msg: .asciz "hello, ox32\n"
    .byte 1, 2, 3
    .data
    .align 3
table: .word loop, helper, -1
    .half 7
    .section .extra, "awx"
odd: .byte 0x7f
    .bss
buf: .space 64
stack_top:
"#;

fn sections_of(program: &Program) -> Vec<(String, u32, Vec<u8>, u32)> {
    program.sections.iter().map(|s| (s.name.clone(), s.addr, s.bytes.clone(), s.size)).collect()
}

#[test]
fn reassemblable_source_reassembles_to_the_same_sections() {
    let options = Options::default();
    let first = assemble(&[("p.s", PROGRAM)], &options).map_err(|d| d.to_string());
    let first = match first {
        Ok(p) => p,
        Err(d) => panic!("{d}"),
    };
    let source = match reassemblable_source(&first.to_elf()) {
        Ok(s) => s,
        Err(e) => panic!("{e}"),
    };
    let second = match assemble(&[("re.s", &source)], &options) {
        Ok(p) => p,
        Err(d) => panic!("{d}\n--- source ---\n{source}"),
    };
    assert_eq!(sections_of(&first), sections_of(&second), "source:\n{source}");
    assert_eq!(first.entry, second.entry);
    for sym in &first.symbols {
        assert_eq!(second.symbol(&sym.name), Some(sym.addr), "symbol {}", sym.name);
    }
    // The source is placement-independent: at another base it still assembles.
    let moved = Options { base: 0x1000, page_align_sections: false };
    assert!(assemble(&[("re.s", &source)], &moved).is_ok());
}
