//! `oxdis`: disassembles an ox32 ELF executable, `objdump -d` style or as reassemblable source.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use orrery_toolchain::disasm::{disassemble_elf, reassemblable_source};
use orrery_toolchain::input::{read_input, MAX_BINARY};

/// Disassemble an ox32 ELF executable.
#[derive(Parser, Debug)]
#[command(name = "oxdis", version, about)]
struct Cli {
    /// The ELF file.
    file: PathBuf,
    /// Print `oxas` source that reassembles to the same section bytes.
    #[arg(long)]
    reassemblable: bool,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let bytes = match read_input(&cli.file, MAX_BINARY) {
        Ok(bytes) => bytes,
        Err(e) => {
            eprintln!("oxdis: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = if cli.reassemblable { reassemblable_source(&bytes) } else { disassemble_elf(&bytes) };
    match result {
        Ok(text) => {
            print!("{text}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("oxdis: {}: {e}", cli.file.display());
            ExitCode::FAILURE
        }
    }
}
