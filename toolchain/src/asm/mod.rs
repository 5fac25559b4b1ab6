//! `oxas`, the ox32 assembler, as a pipeline read top to bottom:
//! [`source`] (files, `.include`) → [`lexer`] (line → tokens) → [`parser`] (tokens →
//! statements) → [`layout`] (two passes:
//! sections, symbols and sizes, then bytes) using [`expr`] for values, [`matcher`] and
//! [`pseudo`] for instructions and `ox32::encode` for the bits; [`Program`] turns the result into
//! an ELF file or a flat image.
//!
//! # Syntax (GNU-as flavoured, RISC-V style)
//! - One statement per line, or several separated by `;`. Any number of `label:` may precede a
//!   statement. Comments run from `#` or `//` to the end of the line.
//! - Mnemonics are exactly those `ox32::disassemble` prints, plus the pseudo-instructions listed
//!   in the `pseudo` module (`nop li la mv not neg seqz snez sltz sgtz j jal jr jalr call tail ret
//!   beqz bnez blez bgez bltz bgtz bgt ble bgtu bleu`); registers are `r0..r31`, `x0..x31` or ABI names (`zero ra sp gp tp t0-t6
//!   s0-s11 fp a0-a7`). Memory operands are `offset(reg)`; atomics take `(reg)`.
//! - Branch and jump operands are target *addresses* (`beq a0, a1, loop`, `j .+8`,
//!   `jal ra, 0x80000010`); the encoded offset is `target - pc` and must fit (branch: signed 16
//!   bits, ±32 KiB; `jal`: signed 21 bits, ±1 MiB).
//! - `lui`/`auipc` take a 20-bit value (`0..=0xfffff`, or `-0x80000..0` as two's complement).
//!   Control registers by name (`status`, `ptbr`, ...) or number. `fence [pred, succ]` with sets
//!   of `iorw` letters or `0` (bare `fence` is `fence iorw, iorw`), `fence.tso`, `fence.i`.
//! - Expressions: see [`expr`] (literals `10 0x1f 0b101 0o17 'c'`, symbols, `.`, `%hi`, `%lo`).
//!
//! # Directives
//! `.text .data .rodata .bss`, `.section NAME[, "flags"[, @nobits|@progbits]]` (flags letters
//! `a` allocate, `w` write, `x` execute; without flags a new section takes the flags of the
//! standard section its name starts with, else read-only), `.word/.long/.4byte`,
//! `.half/.short/.2byte`, `.byte` (comma lists, range-checked: a value must fit the width signed
//! or unsigned), `.ascii`, `.asciz/.string` (C escapes), `.align N`/`.p2align N` (to `2^N`
//! bytes), `.balign N` (to `N` bytes, a power of two), both with an optional fill byte (padding in
//! an executable section is `nop`s where it can be), `.space/.zero/.skip N[, fill]`,
//! `.equ/.set NAME, EXPR`, `.globl/.global NAME[, ...]`, `.include "PATH"` (the statements of
//! file `PATH`, relative to the including file's directory, in place of the directive; see
//! [`source`]). Any other directive is an error.
//!
//! # Rules worth knowing
//! - Every symbol (label or `.equ`) is defined once across all files, which form one unit in
//!   order. `.globl` of a symbol that is never defined is an error.
//! - `.` is the address of the statement it appears in; in `.equ` it is where the `.equ` stands.
//! - Instructions must sit on 4-byte boundaries; `.word`/`.half` data may be unaligned.
//! - `.align`/`.space` counts and the choice between one and two instructions for `li` are made
//!   in the first pass, from literals and `.equ` symbols defined above; label addresses are
//!   known only in the second pass.
//! - `.bss`-like (`@nobits`) sections hold only labels, `.align` and zero `.space`.
//!
//! # Layout
//! Sections are placed in the order `.text`, `.rodata`, `.data`, `.bss`, then the others in order
//! of first appearance; the first at [`Options::base`], each next one on a 4 KiB boundary when
//! [`Options::page_align_sections`] is set (so each ELF segment has its own pages), else at its
//! alignment. Empty sections occupy nothing. The entry point is `_start` if defined, else the
//! start of `.text`.
//!
//! # Errors
//! The assembler never panics on input. Each error is a [`Diagnostic`] with file, line, column and
//! the underlined token, and for an included file the chain of `.include`s that led to it; all
//! errors of all lines are reported (one per statement). A missing or unreadable include, an
//! include cycle and a chain deeper than [`source::MAX_INCLUDE_DEPTH`] are errors at the
//! `.include`.

mod expr;
mod layout;
mod lexer;
mod matcher;
mod parser;
mod pseudo;
mod source;
mod span;

use span::{Error, Span};

use core::fmt;

/// How to assemble.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Options {
    /// The address of the first section.
    pub base: u32,
    /// Start every section on a 4 KiB page boundary.
    pub page_align_sections: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options { base: ox32::memmap::RAM_BASE, page_align_sections: true }
    }
}

/// The access rights of a section (and of its ELF segment).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SectionFlags {
    /// Readable (every allocated section is).
    pub read: bool,
    /// Writable.
    pub write: bool,
    /// Executable.
    pub execute: bool,
}

/// One placed, non-empty section.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Section {
    /// Its name, e.g. `.text`.
    pub name: String,
    /// Its load address.
    pub addr: u32,
    /// Its contents; empty for a `@nobits` section such as `.bss`.
    pub bytes: Vec<u8>,
    /// Its size in memory (equal to `bytes.len()` unless `nobits`).
    pub size: u32,
    /// Its access rights.
    pub flags: SectionFlags,
    /// Whether it occupies memory but no file bytes (zero-initialised, like `.bss`).
    pub nobits: bool,
}

/// One symbol of the program: every label, and `.equ` symbols made global.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Symbol {
    /// Its name.
    pub name: String,
    /// Its value (an address for labels).
    pub addr: u32,
    /// Declared with `.globl`.
    pub global: bool,
    /// The index in [`Program::sections`] of the section it points into, if any.
    pub section: Option<usize>,
}

/// An assembled program.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Program {
    /// The entry point.
    pub entry: u32,
    /// The non-empty sections, in address order.
    pub sections: Vec<Section>,
    /// The symbols, in order of definition.
    pub symbols: Vec<Symbol>,
}

impl Program {
    /// The program as an ELF32 executable for ox32 (see [`crate::elf_write`]).
    pub fn to_elf(&self) -> Vec<u8> {
        crate::elf_write::write(self)
    }

    /// The memory image from the lowest section address to the end of the last section with
    /// file bytes; gaps are zero, trailing `nobits` sections are left out.
    pub fn to_flat_binary(&self) -> Vec<u8> {
        let Some(low) = self.sections.iter().map(|s| s.addr).min() else {
            return Vec::new();
        };
        let mut image = Vec::new();
        for section in self.sections.iter().filter(|s| !s.nobits && !s.bytes.is_empty()) {
            let start = (section.addr - low) as usize;
            let end = start + section.bytes.len();
            if image.len() < end {
                image.resize(end, 0);
            }
            image[start..end].copy_from_slice(&section.bytes);
        }
        image
    }

    /// The address of symbol `name`, if the program defines it.
    pub fn symbol(&self, name: &str) -> Option<u32> {
        self.symbols.iter().find(|s| s.name == name).map(|s| s.addr)
    }
}

/// One error, with enough context to render it like a compiler does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    /// The source file name.
    pub file: String,
    /// 1-based line; 0 when the error concerns the file as a whole.
    pub line: usize,
    /// 1-based column (in characters) of the offending token.
    pub column: usize,
    /// Width of the offending token in characters (at least 1).
    pub width: usize,
    /// What is wrong.
    pub message: String,
    /// The text of the line.
    pub source_line: String,
    /// `file:line:column` of each `.include` that led to `file`, innermost first (empty for a
    /// file given to the assembler).
    pub included_from: Vec<String>,
}

impl Diagnostic {
    /// The first line of the rendering: `file:line:column: error: message`.
    pub fn header(&self) -> String {
        if self.line == 0 {
            format!("{}: error: {}", self.file, self.message)
        } else {
            format!("{}:{}:{}: error: {}", self.file, self.line, self.column, self.message)
        }
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.header())?;
        if self.line == 0 {
            for site in &self.included_from {
                write!(f, "\n  included from {site}")?;
            }
            return Ok(());
        }
        let gutter = self.line.to_string().len().max(5);
        let pad: String = self
            .source_line
            .chars()
            .take(self.column.saturating_sub(1))
            .map(|c| if c == '\t' { '\t' } else { ' ' })
            .collect();
        write!(f, "\n{:>gutter$} | {}", self.line, self.source_line)?;
        write!(f, "\n{:>gutter$} | {pad}{}", "", "^".repeat(self.width.max(1)))?;
        for site in &self.included_from {
            write!(f, "\n{:>gutter$} = included from {site}", "")?;
        }
        Ok(())
    }
}

/// Every error of one assembly, in source order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, d) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{d}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Diagnostics {}

/// What one statement produced, for listings and line-by-line tests.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListingLine {
    /// Index of the source file in the `sources` given to [`assemble_with_listing`].
    pub file: usize,
    /// 1-based line.
    pub line: usize,
    /// The address of the first byte.
    pub addr: u32,
    /// Bytes reserved (equal to `bytes.len()` except in `nobits` sections).
    pub size: u32,
    /// The bytes written.
    pub bytes: Vec<u8>,
}

/// Assembles `sources` (file name, text) as one unit, in order.
pub fn assemble(sources: &[(&str, &str)], options: &Options) -> Result<Program, Diagnostics> {
    layout::assemble(sources, options).map(|(program, _)| program)
}

/// Like [`assemble`], and also returns what each statement produced, in source order.
pub fn assemble_with_listing(
    sources: &[(&str, &str)],
    options: &Options,
) -> Result<(Program, Vec<ListingLine>), Diagnostics> {
    layout::assemble(sources, options)
}
