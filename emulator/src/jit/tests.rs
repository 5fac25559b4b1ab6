//! The JIT against the interpreter, in lockstep: random programs, the ISA conformance programs
//! and the example programs.

use std::path::{Path, PathBuf};

use super::lockstep::{check_seed, compare, Rng};
use crate::machine::{Machine, MachineConfig};

/// The repository's root.
fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Boots `elf` twice, with the interpreter and with the JIT, which translates every block at
/// first sight (rather than once it is hot) so that every instruction is translated.
/// With `user`, as a user process (`orrery run --user`).
fn pair(elf: &[u8], user: bool) -> (Machine, Machine) {
    let (a, mut b) = pair_warming(elf, user);
    b.jit_mut().unwrap().hot = 1;
    (a, b)
}

/// [`pair`] with the JIT translating only hot blocks (interpreting the others), as it runs.
fn pair_warming(elf: &[u8], user: bool) -> (Machine, Machine) {
    let boot = |jit: bool| {
        let mut m = Machine::new(MachineConfig::new(16 << 20, Box::new(std::io::sink())));
        m.set_jit(jit);
        if user {
            m.boot_elf_user(elf).unwrap();
        } else {
            m.boot_elf(elf).unwrap();
        }
        m
    };
    (boot(false), boot(true))
}

/// Runs `elf` under both engines in random slices (seeded by `seed`) for at most `cycles`.
fn lockstep(elf: &[u8], seed: u64, cycles: u64) -> Result<(), String> {
    lockstep_as(elf, seed, cycles, false)
}

/// [`lockstep`], with `user` as a user process (`orrery run --user`).
fn lockstep_as(elf: &[u8], seed: u64, cycles: u64, user: bool) -> Result<(), String> {
    let (mut a, mut b) = pair(elf, user);
    let mut rng = Rng::new(seed);
    let mut total = 0;
    let steps = std::iter::from_fn(move || {
        let step = match rng.below(3) {
            0 => 1 + rng.below(50),
            1 => 1 + rng.below(3000),
            _ => 1 + rng.below(100_000),
        };
        total += step;
        (total <= cycles).then_some(step)
    })
    .collect::<Vec<u64>>();
    compare(&mut a, &mut b, steps.iter().copied())?;
    let (run, translated, _) = b.jit_stats().unwrap();
    assert!(run > 0 && translated > 0, "the JIT ran no block");
    let (mut a, mut b) = pair_warming(elf, user);
    compare(&mut a, &mut b, steps.into_iter())
}

/// 300 random programs; `ORRERY_LOCKSTEP_SEEDS=N` runs N instead (a longer search).
#[test]
fn random_programs_match_the_interpreter() {
    let seeds = std::env::var("ORRERY_LOCKSTEP_SEEDS").ok().and_then(|n| n.parse().ok()).unwrap_or(300u64);
    let failures: Vec<String> = (0..seeds).filter_map(|seed| check_seed(seed, None, 30_000).err()).collect();
    assert!(failures.is_empty(), "{} failures:\n{}", failures.len(), failures.join("\n"));
}

#[test]
fn conformance_programs_match_the_interpreter() {
    let dir = root().join("tests/isa");
    let prelude = std::fs::read_to_string(dir.join("prelude.inc")).unwrap();
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "s"))
        .collect();
    files.sort();
    assert!(!files.is_empty());
    for path in files {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let source = std::fs::read_to_string(&path).unwrap();
        let options = orrery_toolchain::asm::Options::default();
        let program =
            orrery_toolchain::asm::assemble(&[("prelude.inc", &prelude), (&name, &source)], &options)
                .unwrap();
        for seed in 0..4 {
            lockstep(&program.to_elf(), seed, 2_000_000).unwrap_or_else(|e| panic!("{name}: {e}"));
        }
    }
}

/// A program run as a user process (`orrery run --user`: `userboot`'s page tables and kernel):
/// loads and stores over 600 pages, more than the TLB maps, so that most pages miss; a
/// `write` the kernel answers; a store to read-only data, which faults into the kernel's report.
#[test]
fn a_user_process_matches_the_interpreter() {
    let source = r#"
        .equ    PAGES, 600
        .text
_start:
        li      s0, 3
round:
        la      s1, buf
        li      s2, PAGES
pages:
        lw      t0, 0(s1)
        add     s3, s3, t0
        addi    t0, t0, 1
        sw      t0, 0(s1)
        sb      s2, 7(s1)
        lbu     t1, 7(s1)
        add     s3, s3, t1
        li      t2, 4096
        add     s1, s1, t2
        addi    s2, s2, -1
        bnez    s2, pages
        addi    s0, s0, -1
        bnez    s0, round
        li      a7, 64
        li      a0, 1
        la      a1, msg
        li      a2, 3
        syscall
        la      t0, msg
        sw      s3, 0(t0)

        .section .rodata
msg:
        .ascii  "ok\n"

        .bss
        .balign 4096
buf:
        .space  PAGES * 4096
"#;
    let options = orrery_toolchain::asm::Options::default();
    let elf = orrery_toolchain::asm::assemble(&[("user.s", source)], &options).unwrap().to_elf();
    for seed in 0..4 {
        lockstep_as(&elf, seed, 200_000, true).unwrap_or_else(|e| panic!("seed {seed}: {e}"));
    }
}

#[test]
fn example_programs_match_the_interpreter() {
    for name in ["hello.s", "paging.s", "bench.s"] {
        let path = root().join("programs/asm").join(name);
        let elf = crate::loader::read_image(&path).unwrap();
        for seed in 0..3 {
            lockstep(&elf, seed, 3_000_000).unwrap_or_else(|e| panic!("{name}: {e}"));
        }
    }
}

/// A loop calling a function in another page (`jal` there, `jalr` back), with paging `on` or
/// off: exercises links across pages, the fetch translation's TLB check, `jalr`'s cache, and
/// (rewriting the called function between calls) the code version a link checks.
fn far_calls(paging: bool) -> String {
    let setup = if paging {
        "        la      t0, root
        li      t1, 0x800000CF
        sw      t1, 2048(t0)
        li      t1, 0x100000C7
        sw      t1, 256(t0)
        srli    t0, t0, 12
        li      t1, 0x80100000
        or      t0, t0, t1
        crrw    zero, ptbr, t0
"
    } else {
        ""
    };
    let add = |imm| {
        let s1 = ox32::Reg::new(9).unwrap();
        ox32::encode(&ox32::Instruction::AluImm { op: ox32::AluImmOp::Addi, rd: s1, rs1: s1, imm })
    };
    let (add3, add7) = (add(3), add(7));
    format!(
        "        .text
        .globl _start
_start:
{setup}        li      s0, 20000
        li      s1, 0
        la      s2, table
loop:
        jal     ra, far
        addi    s0, s0, -1
        bnez    s0, loop
        li      s0, 300
        la      s3, patches
        la      s4, far
rewrite:
        andi    t3, s0, 1
        slli    t3, t3, 2
        add     t3, t3, s3
        lw      t3, 0(t3)
        sw      t3, 0(s4)
        jal     ra, far
        jal     ra, far
        addi    s0, s0, -1
        bnez    s0, rewrite
        li      s0, 2000
indirect:
        andi    t2, s0, 1
        slli    t2, t2, 2
        add     t2, t2, s2
        lw      t2, 0(t2)
        jalr    ra, t2, 0
        addi    s0, s0, -1
        bnez    s0, indirect
        li      t0, 0x10003000
        sw      s1, 0(t0)
        .balign 4096
far:
        addi    s1, s1, 3
        andi    s1, s1, 0xff
        ret
other:
        addi    s1, s1, 5
        ret
        .balign 4096
table:
        .word   far
        .word   other
patches:
        .word   {add3}
        .word   {add7}
        .balign 4096
root:
        .space  4096
"
    )
}

#[test]
fn calls_across_pages_match_the_interpreter() {
    for paging in [false, true] {
        let source = far_calls(paging);
        let options = orrery_toolchain::asm::Options::default();
        let program = orrery_toolchain::asm::assemble(&[("far.s", &source)], &options).unwrap();
        for seed in 0..6 {
            lockstep(&program.to_elf(), seed, 400_000).unwrap_or_else(|e| panic!("paging {paging}: {e}"));
        }
        let (mut a, mut b) = pair(&program.to_elf(), false);
        let (s, t) = (a.run(u64::MAX), b.run(u64::MAX));
        assert_eq!(s, t);
        assert!(matches!(s, crate::machine::RunState::PoweredOff(_)), "{s:?}");
        assert_eq!(super::lockstep::differences(&a, &b), None);
        let (entered, _, _) = b.jit_stats().unwrap();
        // The direct loop's 20 000 calls chain; the indirect loop's calls alternate between
        // two targets, which a one-entry cache per `jalr` cannot hold.
        assert!(
            entered < 9000,
            "paging {paging}: calls across pages go through the dispatcher ({entered} entries)"
        );
    }
}

#[test]
fn a_tiny_code_cache_that_flushes_all_the_time_changes_nothing() {
    let path = root().join("programs/asm/bench.s");
    let elf = crate::loader::read_image(&path).unwrap();
    let source = far_calls(true);
    let options = orrery_toolchain::asm::Options::default();
    let far = orrery_toolchain::asm::assemble(&[("far.s", &source)], &options).unwrap().to_elf();
    for (elf, seed) in [(&elf, 1), (&far, 2)] {
        let (mut a, mut b) = pair(elf, false);
        // One chunk of 2 KiB: a few blocks, then a flush, over and over.
        b.jit_mut().unwrap().cache = super::cache::Cache::with_limits(2048, 1);
        let mut rng = Rng::new(seed);
        let steps = std::iter::repeat_with(move || 1 + rng.below(20_000)).take(100);
        compare(&mut a, &mut b, steps).unwrap();
        let flushes = b.jit_mut().unwrap().cache.flushes;
        assert!(flushes > 10, "the cache flushed only {flushes} times");
    }
}

/// A loop whose instructions read what the one before wrote — through the scratch register
/// the emitter remembers, as either operand, as an address and in a branch — after writes
/// that must make it forget (`li`, `lui`, `auipc`, a load, a two-operand instruction on a
/// register kept in a host register); more registers than the host keeps, so both kinds meet.
fn chained_registers(paging: bool) -> String {
    let setup = if paging {
        "        la      t0, root
        li      t1, 0x800000CF
        sw      t1, 2048(t0)
        li      t1, 0x100000C7
        sw      t1, 256(t0)
        srli    t0, t0, 12
        li      t1, 0x80100000
        or      t0, t0, t1
        crrw    zero, ptbr, t0
"
    } else {
        ""
    };
    format!(
        "        .text
        .globl _start
_start:
{setup}        li      s0, 3000
        la      s2, data
        li      a1, 12345
        li      a2, 678
        li      s1, 0
loop:
        add     a0, a1, a2
        lui     a0, 5
        add     a3, a0, a0
        sub     a4, a3, a0
        li      a4, 77
        xor     a5, a4, a3
        addi    a5, a5, 3
        auipc   a5, 1
        sub     a6, a2, a5
        andi    a6, a6, 60
        add     a6, a6, s2
        sw      a3, 0(a6)
        lw      a7, 0(a6)
        lw      a7, 4(a6)
        add     t3, a7, a6
        bltu    t3, a6, skip
        addi    t4, t3, 1
        add     t4, t4, t4
        or      t5, t4, a1
        slli    t6, t5, 3
skip:
        add     a1, a1, t6
        add     a2, a2, a1
        xor     s1, s1, a2
        add     s1, s1, a3
        addi    s0, s0, -1
        bnez    s0, loop
        li      t0, 0x10003000
        sw      s1, 0(t0)
        .balign 4096
data:
        .space  4096
root:
        .space  4096
"
    )
}

#[test]
fn chained_registers_match_the_interpreter() {
    for paging in [false, true] {
        let source = chained_registers(paging);
        let options = orrery_toolchain::asm::Options::default();
        let program = orrery_toolchain::asm::assemble(&[("chained.s", &source)], &options).unwrap();
        for seed in 0..4 {
            lockstep(&program.to_elf(), seed, 200_000).unwrap_or_else(|e| panic!("paging {paging}: {e}"));
        }
        let (mut a, mut b) = pair(&program.to_elf(), false);
        let (s, t) = (a.run(u64::MAX), b.run(u64::MAX));
        assert_eq!(s, t);
        assert!(matches!(s, crate::machine::RunState::PoweredOff(_)), "{s:?}");
        assert_eq!(super::lockstep::differences(&a, &b), None);
    }
}

/// Loads from the boot ROM without paging — every size, signed or not, over the whole ROM,
/// then a misaligned one and one on either side of it, which trap — read the same under both
/// engines (translated code reads the ROM inline).
#[test]
fn boot_rom_loads_match_the_interpreter() {
    let source = "        .text
        .globl _start
_start:
        la      t0, caught
        crrw    zero, tvec, t0
        li      s0, 0x10000
        li      s1, 0
        li      s2, 0
        li      s3, 0x10000
loop:
        add     t0, s0, s2
        lb      t1, 0(t0)
        add     s1, s1, t1
        lbu     t1, 3(t0)
        xor     s1, s1, t1
        lh      t1, 2(t0)
        add     s1, s1, t1
        lhu     t1, 0(t0)
        xor     s1, s1, t1
        lw      t1, 0(t0)
        add     s1, s1, t1
        slli    t2, s1, 3
        srli    s1, s1, 29
        or      s1, s1, t2
        addi    s2, s2, 4
        bltu    s2, s3, loop
        lh      t1, 1(s0)
        add     t0, s0, s3
        lw      t1, 0(t0)
        lbu     t1, -1(s0)
        li      t0, 0x10003000
        sw      s1, 0(t0)
caught:
        crrs    t3, cause, zero
        add     s1, s1, t3
        crrs    t3, badaddr, zero
        add     s1, s1, t3
        crrs    t3, epc, zero
        addi    t3, t3, 4
        crrw    zero, epc, t3
        eret
";
    let options = orrery_toolchain::asm::Options::default();
    let elf = orrery_toolchain::asm::assemble(&[("rom.s", source)], &options).unwrap().to_elf();
    let mut rng = Rng::new(7);
    let rom: Vec<u8> = (0..ox32::memmap::BOOT_ROM_SIZE).map(|_| rng.below(256) as u8).collect();
    for warming in [false, true] {
        let (mut a, mut b) = if warming { pair_warming(&elf, false) } else { pair(&elf, false) };
        a.bus.load_rom(&rom).unwrap();
        b.bus.load_rom(&rom).unwrap();
        let mut steps = Rng::new(8);
        compare(&mut a, &mut b, std::iter::repeat_with(move || 1 + steps.below(30_000)).take(100)).unwrap();
        assert!(matches!(a.run(u64::MAX), crate::machine::RunState::PoweredOff(_)), "the program ends");
        let (entered, translated, _) = b.jit_stats().unwrap();
        assert!(entered > 0 && translated > 0, "warming {warming}: the JIT ran no block");
    }
}
