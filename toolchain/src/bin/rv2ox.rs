//! `rv2ox`: translates an RV32IMA ELF executable into an ox32 ELF executable with the same
//! layout (see `orrery_toolchain::rv2ox` and `docs/isa.md` §8).
//!
//! On success it writes the output and prints one summary line; on failure it prints every error
//! as `rv2ox: IN: ADDR: word WORD: REASON` (at most 20, sorted by address), writes nothing and
//! exits with status 1.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use clap::Parser;
use orrery_toolchain::input::{read_input, MAX_BINARY};
use orrery_toolchain::rv2ox::translate_elf_with_stats;

/// Translate an RV32IMA ELF executable into an ox32 ELF executable.
#[derive(Parser, Debug)]
#[command(name = "rv2ox", version, about)]
struct Cli {
    /// The RISC-V executable (built for riscv32ima: no compressed or float instructions).
    input: PathBuf,
    /// The ox32 executable to write.
    #[arg(short, long)]
    output: PathBuf,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let input = cli.input.display();
    let bytes = match read_input(&cli.input, MAX_BINARY) {
        Ok(bytes) => bytes,
        Err(e) => {
            eprintln!("rv2ox: {e}");
            return ExitCode::FAILURE;
        }
    };
    let start = Instant::now();
    let result = translate_elf_with_stats(&bytes);
    let elapsed = start.elapsed();
    let (out, stats) = match result {
        Ok(done) => done,
        Err(errors) => {
            for error in &errors.errors {
                eprintln!("rv2ox: {input}: {error}");
            }
            if errors.omitted > 0 {
                eprintln!("rv2ox: {input}: ... and {} more errors", errors.omitted);
            }
            return ExitCode::FAILURE;
        }
    };
    if let Err(e) = std::fs::write(&cli.output, out) {
        eprintln!("rv2ox: cannot write {}: {e}", cli.output.display());
        return ExitCode::FAILURE;
    }
    let illegal = match stats.illegal_words {
        0 => String::new(),
        n => format!(" ({n} zero/unimp word{} kept as illegal)", if n == 1 { "" } else { "s" }),
    };
    println!(
        "rv2ox: {input} -> {}: {} instructions translated in {:.1} ms{illegal}",
        cli.output.display(),
        stats.instructions,
        elapsed.as_secs_f64() * 1e3
    );
    ExitCode::SUCCESS
}
