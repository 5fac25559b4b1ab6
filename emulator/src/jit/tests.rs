//! The JIT against the interpreter, in lockstep: random programs, the ISA conformance programs
//! and the example programs.

use std::path::{Path, PathBuf};

use super::lockstep::{check_seed, compare, Rng};
use crate::machine::{Machine, MachineConfig};

/// The repository's root.
fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Boots `elf` twice, with the interpreter and with the JIT.
fn pair(elf: &[u8]) -> (Machine, Machine) {
    let boot = |jit: bool| {
        let mut m = Machine::new(MachineConfig::new(16 << 20, Box::new(std::io::sink())));
        m.set_jit(jit);
        m.boot_elf(elf).unwrap();
        m
    };
    (boot(false), boot(true))
}

/// Runs `elf` under both engines in random slices (seeded by `seed`) for at most `cycles`.
fn lockstep(elf: &[u8], seed: u64, cycles: u64) -> Result<(), String> {
    let (mut a, mut b) = pair(elf);
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
    });
    compare(&mut a, &mut b, steps)?;
    let (run, translated, _) = b.jit_stats().unwrap();
    assert!(run > 0 && translated > 0, "the JIT ran no block");
    Ok(())
}

#[test]
fn random_programs_match_the_interpreter() {
    let failures: Vec<String> = (0..300).filter_map(|seed| check_seed(seed, None, 30_000).err()).collect();
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
