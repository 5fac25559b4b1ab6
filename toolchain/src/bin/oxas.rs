//! `oxas`: assembles ox32 source files into an ELF executable or a flat binary.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, ValueEnum};
use orrery_toolchain::asm::{assemble, Options};
use orrery_toolchain::input::{read_text_input, MAX_TEXT};

/// The output format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Format {
    /// ELF32 executable with symbols.
    Elf,
    /// Flat memory image starting at the lowest section address.
    Bin,
}

/// Assemble ox32 source files (in order, as one unit).
#[derive(Parser, Debug)]
#[command(name = "oxas", version, about)]
struct Cli {
    /// Output file (default: the first input's stem with `.elf` or `.bin`).
    #[arg(short, long)]
    output: Option<PathBuf>,
    /// Address of the first section (decimal or 0x hex).
    #[arg(long, value_parser = parse_addr, default_value = "0x80000000")]
    base: u32,
    /// Output format.
    #[arg(long, value_enum, default_value = "elf")]
    format: Format,
    /// Pack sections instead of starting each on a 4 KiB page.
    #[arg(long)]
    no_page_align: bool,
    /// Source files.
    #[arg(required = true)]
    files: Vec<PathBuf>,
}

fn parse_addr(text: &str) -> Result<u32, String> {
    let digits = text.replace('_', "");
    let parsed = match digits.strip_prefix("0x").or_else(|| digits.strip_prefix("0X")) {
        Some(hex) => u32::from_str_radix(hex, 16),
        None => digits.parse(),
    };
    parsed.map_err(|e| format!("`{text}` is not a 32-bit address: {e}"))
}

fn default_output(first: &Path, format: Format) -> PathBuf {
    let extension = match format {
        Format::Elf => "elf",
        Format::Bin => "bin",
    };
    first.with_extension(extension)
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let mut texts = Vec::new();
    for path in &cli.files {
        match read_text_input(path, MAX_TEXT) {
            Ok(text) => texts.push((path.display().to_string(), text)),
            Err(e) => {
                eprintln!("oxas: {e}");
                return ExitCode::FAILURE;
            }
        }
    }
    let sources: Vec<(&str, &str)> = texts.iter().map(|(n, t)| (n.as_str(), t.as_str())).collect();
    let options = Options { base: cli.base, page_align_sections: !cli.no_page_align };
    let program = match assemble(&sources, &options) {
        Ok(program) => program,
        Err(diagnostics) => {
            eprintln!("{diagnostics}");
            let n = diagnostics.0.len();
            eprintln!("oxas: {n} error{}", if n == 1 { "" } else { "s" });
            return ExitCode::FAILURE;
        }
    };
    let bytes = match cli.format {
        Format::Elf => program.to_elf(),
        Format::Bin => program.to_flat_binary(),
    };
    let output = cli.output.unwrap_or_else(|| default_output(&cli.files[0], cli.format));
    if let Err(e) = std::fs::write(&output, bytes) {
        eprintln!("oxas: cannot write {}: {e}", output.display());
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}
