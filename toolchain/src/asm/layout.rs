//! Stage 3: the two passes over all statements of all files.
//!
//! Pass 1 walks the statements in order, keeps the current section and its size, defines labels
//! as (section, offset), records `.equ` expressions, and decides the size of every statement
//! (data directives from their operand count, `.align`/`.space` from constants, instructions
//! from [`matcher::size`]). Sections then get addresses (see the module docs of [`super`]).
//! Pass 2 evaluates every operand with all symbols known and writes the bytes.
//!
//! Invariant: pass 2 writes exactly the bytes pass 1 reserved at exactly the offsets it
//! reserved them; a statement that fails in pass 2 leaves zeros of its reserved size, so later
//! addresses never shift and every error of the file is still reported.

use std::cell::RefCell;
use std::collections::HashMap;

use super::expr::{eval, Env, EvalError, Expr, ExprKind};
use super::matcher::{self, Args};
use super::parser::{Body, OperandKind, Statement};
use super::source::{self, SourceFile};
use super::{
    Diagnostic, Diagnostics, Error, ListingLine, Options, Program, Section, SectionFlags, Span, Symbol,
};

/// Largest number of file bytes in one section (keeps hostile input from exhausting memory).
const MAX_SECTION_BYTES: u64 = 64 << 20;
/// Largest number of file bytes in all sections together.
const MAX_TOTAL_BYTES: u64 = 256 << 20;
/// Largest alignment `.align`/`.balign` accept.
const MAX_ALIGN: u64 = 1 << 16;
/// Deepest chain of `.equ` symbols referring to each other.
const MAX_EQU_DEPTH: usize = 64;
/// The page size sections are aligned to.
const PAGE: u64 = 4096;
/// The standard sections, in layout order, with their flags and whether they are `nobits`.
const STANDARD: [(&str, SectionFlags, bool); 4] = [
    (".text", SectionFlags { read: true, write: false, execute: true }, false),
    (".rodata", SectionFlags { read: true, write: false, execute: false }, false),
    (".data", SectionFlags { read: true, write: true, execute: false }, false),
    (".bss", SectionFlags { read: true, write: true, execute: false }, true),
];

/// Where a statement is.
#[derive(Clone, Copy, Debug)]
struct Loc {
    file: usize,
    line: usize,
}

struct SectionState {
    name: String,
    flags: SectionFlags,
    nobits: bool,
    size: u64,
    align: u64,
    bytes: Vec<u8>,
    addr: u64,
    created: Loc,
}

enum SymDef {
    Label {
        section: usize,
        offset: u64,
    },
    /// An expression, with the place of the `.equ` (the value of `.` in it).
    Equ {
        expr: Expr,
        section: usize,
        offset: u64,
    },
}

struct SymEntry {
    def: SymDef,
    global: bool,
}

/// What pass 2 must do for one statement.
enum Emit {
    /// `count` instructions.
    Instructions(u32),
    /// A data directive, evaluated in pass 2.
    Data,
    /// `len` bytes of `fill`, or of `nop`s when `nop` is set.
    Fill { len: u64, fill: u8, nop: bool },
}

struct Placed {
    section: usize,
    offset: u64,
    emit: Emit,
}

struct Assembler {
    files: Vec<SourceFile>,
    sections: Vec<SectionState>,
    symbols: HashMap<String, SymEntry>,
    /// Symbol names in order of definition.
    order: Vec<String>,
    globals: Vec<(String, Loc, Span)>,
    errors: Vec<Diagnostic>,
    current: usize,
    listing: Vec<ListingLine>,
    /// `.equ` values known in pass 1.
    cache1: EquCache,
    /// `.equ` values known in pass 2.
    cache2: EquCache,
    /// File bytes of all sections together, bounded by [`MAX_TOTAL_BYTES`].
    total_bytes: u64,
}

fn align_up(value: u64, align: u64) -> u64 {
    value.div_ceil(align) * align
}

/// Values of `.equ` symbols already computed, so chains of symbols that use each other several
/// times cost linear, not exponential, time.
type EquCache = RefCell<HashMap<String, i64>>;

/// First-pass values: literals and `.equ` symbols defined above; everything else is not yet known.
struct Pass1Env<'s> {
    symbols: &'s HashMap<String, SymEntry>,
    cache: &'s EquCache,
    depth: usize,
}

impl Env for Pass1Env<'_> {
    fn symbol(&self, name: &str, _span: Span) -> Result<i64, EvalError> {
        if let Some(v) = self.cache.borrow().get(name) {
            return Ok(*v);
        }
        match self.symbols.get(name).map(|s| &s.def) {
            Some(SymDef::Equ { expr, .. }) if self.depth < MAX_EQU_DEPTH => {
                let inner = Pass1Env { depth: self.depth + 1, ..*self };
                let value = eval(expr, &inner).map_err(|_| EvalError::NotYet)?;
                // A value known in pass 1 only used constants, which never change later.
                self.cache.borrow_mut().insert(name.to_string(), value);
                Ok(value)
            }
            _ => Err(EvalError::NotYet),
        }
    }

    fn here(&self, _span: Span) -> Result<i64, EvalError> {
        Err(EvalError::NotYet)
    }
}

/// Second-pass values: every symbol, with section addresses assigned.
struct Pass2Env<'s> {
    symbols: &'s HashMap<String, SymEntry>,
    sections: &'s [SectionState],
    cache: &'s EquCache,
    pc: u64,
    depth: usize,
}

impl Pass2Env<'_> {
    fn address(&self, section: usize, offset: u64) -> i64 {
        self.sections.get(section).map_or(0, |s| s.addr) as i64 + offset as i64
    }
}

impl Env for Pass2Env<'_> {
    fn symbol(&self, name: &str, span: Span) -> Result<i64, EvalError> {
        if let Some(v) = self.cache.borrow().get(name) {
            return Ok(*v);
        }
        match self.symbols.get(name).map(|s| &s.def) {
            None => Err(Error::new(span, format!("undefined symbol `{name}`")).into()),
            Some(SymDef::Label { section, offset }) => Ok(self.address(*section, *offset)),
            Some(SymDef::Equ { expr, section, offset }) => {
                if self.depth >= MAX_EQU_DEPTH {
                    return Err(Error::new(
                        span,
                        format!(
                            "`{name}` is defined in terms of itself (or nests deeper than {MAX_EQU_DEPTH})"
                        ),
                    )
                    .into());
                }
                // `.` in a `.equ` is the address where the `.equ` stands.
                let inner =
                    Pass2Env { depth: self.depth + 1, pc: self.address(*section, *offset) as u64, ..*self };
                match eval(expr, &inner) {
                    Ok(value) => {
                        self.cache.borrow_mut().insert(name.to_string(), value);
                        Ok(value)
                    }
                    // The inner error's span belongs to the `.equ` line: report it at the use.
                    Err(EvalError::Error(inner)) if self.depth == 0 => {
                        Err(Error::new(span, format!("in the value of `{name}`: {}", inner.message)).into())
                    }
                    Err(other) => Err(other),
                }
            }
        }
    }

    fn here(&self, _span: Span) -> Result<i64, EvalError> {
        Ok(self.pc as i64)
    }
}

fn char_column(line: &str, byte: usize) -> usize {
    line.get(..byte).map_or(1, |s| s.chars().count() + 1)
}

impl Assembler {
    /// `file:line:column` of every `.include` that led to `file`, innermost first.
    fn included_from(&self, file: usize) -> Vec<String> {
        let mut chain = Vec::new();
        let mut at = self.files.get(file).and_then(|f| f.included_at);
        while let Some((parent, line, column)) = at {
            chain.push(format!("{}:{line}:{column}", self.files[parent].name));
            at = self.files[parent].included_at;
        }
        chain
    }

    fn diag(&mut self, loc: Loc, e: Error) {
        let included_from = self.included_from(loc.file);
        let file = &self.files[loc.file];
        let source_line = file.lines.get(loc.line.wrapping_sub(1)).map_or("", String::as_str);
        let column = char_column(source_line, e.span.start);
        let width = source_line.get(e.span.start..e.span.end).map_or(1, |s| s.chars().count().max(1));
        let diagnostic = Diagnostic {
            file: file.name.clone(),
            line: loc.line,
            column,
            width,
            message: e.message,
            source_line: source_line.to_string(),
            included_from,
        };
        self.errors.push(diagnostic);
    }

    fn file_diag(&mut self, file: usize, message: String) {
        let name = self.files.get(file).map_or("", |f| f.name.as_str());
        let diagnostic = Diagnostic {
            file: name.to_string(),
            line: 0,
            column: 1,
            width: 1,
            message,
            source_line: String::new(),
            included_from: self.included_from(file),
        };
        self.errors.push(diagnostic);
    }

    fn section_index(&mut self, name: &str, loc: Loc) -> usize {
        if let Some(i) = self.sections.iter().position(|s| s.name == name) {
            return i;
        }
        let (flags, nobits) = STANDARD
            .iter()
            .find(|(std, _, _)| name == *std || name.starts_with(&format!("{std}.")))
            .map_or((SectionFlags { read: true, write: false, execute: false }, false), |s| (s.1, s.2));
        self.sections.push(SectionState {
            name: name.to_string(),
            flags,
            nobits,
            size: 0,
            align: 4,
            bytes: Vec::new(),
            addr: 0,
            created: loc,
        });
        self.sections.len() - 1
    }

    fn define(&mut self, name: &str, def: SymDef, span: Span) -> Result<(), Error> {
        if self.symbols.contains_key(name) {
            return Err(Error::new(span, format!("symbol `{name}` is already defined")));
        }
        self.symbols.insert(name.to_string(), SymEntry { def, global: false });
        self.order.push(name.to_string());
        Ok(())
    }

    /// Reserves `len` bytes in the current section.
    fn reserve(&mut self, len: u64, span: Span) -> Result<u64, Error> {
        let section = &mut self.sections[self.current];
        let offset = section.size;
        let limit = if section.nobits { 1 << 32 } else { MAX_SECTION_BYTES };
        let file_bytes = if section.nobits { 0 } else { len };
        if self.total_bytes.saturating_add(file_bytes) > MAX_TOTAL_BYTES {
            return Err(Error::new(span, format!("the program would exceed {MAX_TOTAL_BYTES} bytes")));
        }
        match offset.checked_add(len) {
            Some(end) if end <= limit => {
                section.size = end;
                self.total_bytes += file_bytes;
                Ok(offset)
            }
            _ => Err(Error::new(span, format!("section `{}` would exceed {} bytes", section.name, limit))),
        }
    }

    fn pass1(&mut self, statements: &[(Loc, Statement)]) -> Vec<Option<Placed>> {
        let mut placed = Vec::with_capacity(statements.len());
        for (loc, stmt) in statements {
            for (name, span) in &stmt.labels {
                let def = SymDef::Label { section: self.current, offset: self.sections[self.current].size };
                if let Err(e) = self.define(name, def, *span) {
                    self.diag(*loc, e);
                }
            }
            let result = match &stmt.body {
                None => Ok(None),
                Some(body) if body.is_directive() => self.directive1(body, *loc),
                Some(body) => self.instruction1(body),
            };
            match result {
                Ok(p) => placed.push(p),
                Err(e) => {
                    self.diag(*loc, e);
                    placed.push(None);
                }
            }
        }
        placed
    }

    fn pass1_env(&self) -> Pass1Env<'_> {
        Pass1Env { symbols: &self.symbols, cache: &self.cache1, depth: 0 }
    }

    fn constant(&self, body: &Body, i: usize, min: i64, max: i64, what: &str) -> Result<i64, Error> {
        let Some(op) = body.operands.get(i) else {
            return Err(Error::new(body.end, format!("`{}` needs {what}", body.name)));
        };
        let OperandKind::Expr(e) = &op.kind else {
            return Err(Error::new(op.span, format!("expected {what}")));
        };
        let value = match eval(e, &self.pass1_env()) {
            Ok(v) => v,
            Err(EvalError::Error(e)) => return Err(e),
            Err(EvalError::NotYet) => {
                return Err(Error::new(
                    op.span,
                    format!(
                        "{what} must be a constant known here (literals and `.equ` symbols defined above)"
                    ),
                ))
            }
        };
        if (min..=max).contains(&value) {
            Ok(value)
        } else {
            Err(Error::new(
                op.span,
                format!("{what} {value} is out of range; `{}` takes {min}..={max}", body.name),
            ))
        }
    }

    fn arity(body: &Body, counts: &[usize], usage: &str) -> Result<(), Error> {
        if counts.contains(&body.operands.len()) {
            return Ok(());
        }
        let span = body.operands.get(counts.iter().copied().max().unwrap_or(0)).map_or(body.span, |o| o.span);
        Err(Error::new(
            span,
            format!("`{}` expects {usage}, found {} operands", body.name, body.operands.len()),
        ))
    }

    fn no_data_in_nobits(&self, body: &Body) -> Result<(), Error> {
        let section = &self.sections[self.current];
        if section.nobits {
            return Err(Error::new(
                body.span,
                format!(
                    "`{}` holds no data: only labels, `.align` and `.space`/`.zero` with fill 0 belong there",
                    section.name
                ),
            ));
        }
        Ok(())
    }

    fn instruction1(&mut self, body: &Body) -> Result<Option<Placed>, Error> {
        let count = matcher::size(body, &self.pass1_env())?;
        self.no_data_in_nobits(body)?;
        let section = &self.sections[self.current];
        if section.size % 4 != 0 {
            return Err(Error::new(
                body.span,
                format!(
                    "instruction at offset {:#x} of `{}` is not 4-byte aligned (add `.align 2` before it)",
                    section.size, section.name
                ),
            ));
        }
        let offset = self.reserve(4 * count as u64, body.span)?;
        Ok(Some(Placed { section: self.current, offset, emit: Emit::Instructions(count) }))
    }

    fn section_name(body: &Body) -> Result<String, Error> {
        let Some(op) = body.operands.first() else {
            return Err(Error::new(body.end, "`.section` needs a section name".to_string()));
        };
        match &op.kind {
            OperandKind::Expr(Expr { kind: ExprKind::Sym(name), .. }) => Ok(name.clone()),
            OperandKind::Str(bytes) if !bytes.is_empty() => Ok(String::from_utf8_lossy(bytes).into_owned()),
            _ => Err(Error::new(op.span, "expected a section name".to_string())),
        }
    }

    fn section_directive(&mut self, body: &Body, loc: Loc) -> Result<(), Error> {
        Self::arity(body, &[1, 2, 3], "NAME[, \"flags\"[, @type]]")?;
        let name = Self::section_name(body)?;
        let existed = self.sections.iter().any(|s| s.name == name);
        let index = self.section_index(&name, loc);
        let mut flags = self.sections[index].flags;
        let mut nobits = self.sections[index].nobits;
        if let Some(op) = body.operands.get(1) {
            let OperandKind::Str(letters) = &op.kind else {
                return Err(Error::new(
                    op.span,
                    "expected section flags as a string, like \"ax\"".to_string(),
                ));
            };
            flags = SectionFlags { read: true, write: false, execute: false };
            for &b in letters {
                match b {
                    b'a' => {}
                    b'w' => flags.write = true,
                    b'x' => flags.execute = true,
                    _ => {
                        return Err(Error::new(
                            op.span,
                            format!(
                                "unknown section flag `{}` (known: a, w, x)",
                                (b as char).escape_default()
                            ),
                        ))
                    }
                }
            }
        }
        if let Some(op) = body.operands.get(2) {
            nobits = match &op.kind {
                OperandKind::Type(t) if t == "nobits" => true,
                OperandKind::Type(t) if t == "progbits" => false,
                _ => return Err(Error::new(op.span, "expected @progbits or @nobits".to_string())),
            };
        }
        let section = &mut self.sections[index];
        if existed && (section.flags != flags || section.nobits != nobits) {
            let span = body.operands.get(1).map_or(body.span, |o| o.span);
            return Err(Error::new(span, format!("section `{name}` was already given different flags")));
        }
        if section.nobits != nobits && section.size > 0 {
            return Err(Error::new(body.span, format!("section `{name}` already holds data")));
        }
        section.flags = flags;
        section.nobits = nobits;
        self.current = index;
        Ok(())
    }

    fn align1(&mut self, body: &Body, align: u64) -> Result<Option<Placed>, Error> {
        let fill = match body.operands.get(1) {
            Some(_) => Some(self.constant(body, 1, -128, 255, "fill byte")? as u8),
            None => None,
        };
        let section = &mut self.sections[self.current];
        section.align = section.align.max(align);
        let offset = section.size;
        let len = align_up(offset, align) - offset;
        if section.nobits && fill.is_some_and(|f| f != 0) {
            return Err(Error::new(body.span, format!("`{}` can only be filled with zeros", section.name)));
        }
        let nop = fill.is_none() && section.flags.execute && offset % 4 == 0 && len % 4 == 0;
        let offset = self.reserve(len, body.span)?;
        Ok(Some(Placed {
            section: self.current,
            offset,
            emit: Emit::Fill { len, fill: fill.unwrap_or(0), nop },
        }))
    }

    fn directive1(&mut self, body: &Body, loc: Loc) -> Result<Option<Placed>, Error> {
        let name = body.name.as_str();
        match name {
            ".text" | ".data" | ".rodata" | ".bss" => {
                Self::arity(body, &[0], "no operands")?;
                self.current = self.section_index(name, loc);
                Ok(None)
            }
            ".section" => {
                self.section_directive(body, loc)?;
                Ok(None)
            }
            ".equ" | ".set" => {
                Self::arity(body, &[2], "NAME, EXPR")?;
                let (Some(first), Some(second)) = (body.operands.first(), body.operands.get(1)) else {
                    return Err(Error::new(body.span, "expected NAME, EXPR".to_string()));
                };
                let OperandKind::Expr(Expr { kind: ExprKind::Sym(sym), span }) = &first.kind else {
                    return Err(Error::new(first.span, "expected a symbol name".to_string()));
                };
                let OperandKind::Expr(expr) = &second.kind else {
                    return Err(Error::new(second.span, "expected an expression".to_string()));
                };
                self.define(
                    sym,
                    SymDef::Equ {
                        expr: expr.clone(),
                        section: self.current,
                        offset: self.sections[self.current].size,
                    },
                    *span,
                )?;
                Ok(None)
            }
            ".globl" | ".global" => {
                Self::arity(body, &[1, 2, 3, 4, 5, 6, 7, 8], "one or more symbol names")?;
                for op in &body.operands {
                    let OperandKind::Expr(Expr { kind: ExprKind::Sym(sym), span }) = &op.kind else {
                        return Err(Error::new(op.span, "expected a symbol name".to_string()));
                    };
                    self.globals.push((sym.clone(), loc, *span));
                }
                Ok(None)
            }
            ".word" | ".long" | ".4byte" | ".half" | ".short" | ".2byte" | ".byte" => {
                self.no_data_in_nobits(body)?;
                if body.operands.is_empty() {
                    return Err(Error::new(body.end, format!("`{name}` needs at least one value")));
                }
                let len = body.operands.len() as u64 * data_width(name);
                let offset = self.reserve(len, body.span)?;
                Ok(Some(Placed { section: self.current, offset, emit: Emit::Data }))
            }
            ".ascii" | ".asciz" | ".string" => {
                self.no_data_in_nobits(body)?;
                if body.operands.is_empty() {
                    return Err(Error::new(body.end, format!("`{name}` needs at least one string")));
                }
                let mut len = 0;
                for op in &body.operands {
                    let OperandKind::Str(bytes) = &op.kind else {
                        return Err(Error::new(op.span, "expected a string literal".to_string()));
                    };
                    len += bytes.len() as u64 + u64::from(name != ".ascii");
                }
                let offset = self.reserve(len, body.span)?;
                Ok(Some(Placed { section: self.current, offset, emit: Emit::Data }))
            }
            ".align" | ".p2align" => {
                Self::arity(body, &[1, 2], "N[, fill]")?;
                let n = self.constant(body, 0, 0, MAX_ALIGN.trailing_zeros() as i64, "alignment exponent")?;
                self.align1(body, 1 << n)
            }
            ".balign" => {
                Self::arity(body, &[1, 2], "N[, fill]")?;
                let n = self.constant(body, 0, 1, MAX_ALIGN as i64, "alignment")? as u64;
                if !n.is_power_of_two() {
                    let span = body.operands.first().map_or(body.span, |o| o.span);
                    return Err(Error::new(span, format!("alignment {n} is not a power of two")));
                }
                self.align1(body, n)
            }
            ".space" | ".zero" | ".skip" => {
                Self::arity(body, &[1, 2], "SIZE[, fill]")?;
                let len = self.constant(body, 0, 0, u32::MAX as i64, "size")? as u64;
                let fill = match body.operands.get(1) {
                    Some(_) => self.constant(body, 1, -128, 255, "fill byte")? as u8,
                    None => 0,
                };
                if fill != 0 {
                    self.no_data_in_nobits(body)?;
                }
                let offset = self.reserve(len, body.span)?;
                Ok(Some(Placed { section: self.current, offset, emit: Emit::Fill { len, fill, nop: false } }))
            }
            _ if matcher::is_mnemonic(name) => self.instruction1(body),
            _ => Err(Error::new(body.span, format!("unknown directive `{name}`"))),
        }
    }

    /// Gives every section its address; false if the program does not fit in 32 bits.
    fn place_sections(&mut self, options: &Options) -> bool {
        let mut order: Vec<usize> = Vec::new();
        for (std, _, _) in STANDARD {
            order.extend(self.sections.iter().position(|s| s.name == std));
        }
        let others: Vec<usize> = (0..self.sections.len()).filter(|i| !order.contains(i)).collect();
        order.extend(others);
        let mut cursor = options.base as u64;
        let mut first = true;
        for i in order {
            let section = &mut self.sections[i];
            if section.size == 0 {
                section.addr = cursor;
                continue;
            }
            if !first {
                cursor = align_up(
                    cursor,
                    if options.page_align_sections { PAGE.max(section.align) } else { section.align },
                );
            }
            first = false;
            section.addr = cursor;
            cursor += section.size;
            if cursor > 1 << 32 {
                let message = format!(
                    "section `{}` (at {:#x}, {} bytes) does not fit in the 32-bit address space",
                    section.name, section.addr, section.size
                );
                let file = section.created.file;
                self.file_diag(file, message);
                return false;
            }
        }
        true
    }

    fn pass2(&mut self, statements: &[(Loc, Statement)], placed: &[Option<Placed>]) {
        for ((loc, stmt), placed) in statements.iter().zip(placed) {
            let (Some(body), Some(placed)) = (&stmt.body, placed) else { continue };
            let section = &self.sections[placed.section];
            let pc = section.addr + placed.offset;
            let env = Pass2Env {
                symbols: &self.symbols,
                sections: &self.sections,
                cache: &self.cache2,
                pc,
                depth: 0,
            };
            let (bytes, error) = match &placed.emit {
                Emit::Instructions(count) => {
                    let args = Args { body, env: &env, pc: pc as u32 };
                    match matcher::lower(&args, *count) {
                        Ok(insts) if insts.len() == *count as usize => {
                            (insts.iter().flat_map(|i| ox32::encode(i).to_le_bytes()).collect(), None)
                        }
                        Ok(_) => (
                            Vec::new(),
                            Some(Error::new(body.span, "internal: size changed between passes".into())),
                        ),
                        Err(e) => (Vec::new(), Some(e)),
                    }
                }
                Emit::Data => match data_bytes(body, &env) {
                    Ok(bytes) => (bytes, None),
                    Err(e) => (Vec::new(), Some(e)),
                },
                Emit::Fill { len, fill, nop } => {
                    if section.nobits {
                        (Vec::new(), None)
                    } else if *nop {
                        let word = ox32::encode(&ox32::Instruction::AluImm {
                            op: ox32::AluImmOp::Addi,
                            rd: ox32::Reg::ZERO,
                            rs1: ox32::Reg::ZERO,
                            imm: 0,
                        });
                        (word.to_le_bytes().iter().copied().cycle().take(*len as usize).collect(), None)
                    } else {
                        (vec![*fill; *len as usize], None)
                    }
                }
            };
            if let Some(e) = error {
                self.diag(*loc, e);
            }
            let reserved = match placed.emit {
                Emit::Instructions(count) => 4 * count as u64,
                Emit::Fill { len, .. } => len,
                Emit::Data => bytes.len() as u64,
            };
            self.listing.push(ListingLine {
                file: loc.file,
                line: loc.line,
                addr: pc as u32,
                size: reserved as u32,
                bytes: bytes.clone(),
            });
            let section = &mut self.sections[placed.section];
            if section.nobits {
                continue;
            }
            let offset = placed.offset as usize;
            let bytes_end = offset + bytes.len();
            if section.bytes.len() < bytes_end {
                section.bytes.resize(bytes_end, 0);
            }
            section.bytes[offset..bytes_end].copy_from_slice(&bytes);
        }
    }

    fn check_globals(&mut self) {
        for (name, loc, span) in std::mem::take(&mut self.globals) {
            match self.symbols.get_mut(&name) {
                Some(entry) => entry.global = true,
                None => {
                    self.diag(loc, Error::new(span, format!("`{name}` is declared global but never defined")))
                }
            }
        }
    }

    fn finish(mut self, options: &Options) -> Result<(Program, Vec<ListingLine>), Diagnostics> {
        let mut out_index = vec![None; self.sections.len()];
        let mut order: Vec<usize> = (0..self.sections.len()).filter(|i| self.sections[*i].size > 0).collect();
        order.sort_by_key(|i| self.sections[*i].addr);
        let mut sections = Vec::new();
        for (n, &i) in order.iter().enumerate() {
            out_index[i] = Some(n);
            let s = &mut self.sections[i];
            if !s.nobits {
                s.bytes.resize(s.size as usize, 0);
            }
            sections.push(Section {
                name: s.name.clone(),
                addr: s.addr as u32,
                bytes: std::mem::take(&mut s.bytes),
                size: s.size as u32,
                flags: s.flags,
                nobits: s.nobits,
            });
        }
        let env = Pass2Env {
            symbols: &self.symbols,
            sections: &self.sections,
            cache: &self.cache2,
            pc: 0,
            depth: 0,
        };
        let mut symbols = Vec::new();
        for name in &self.order {
            let Some(entry) = self.symbols.get(name) else { continue };
            let section = match entry.def {
                SymDef::Label { section, .. } => out_index[section],
                SymDef::Equ { .. } if entry.global => None,
                SymDef::Equ { .. } => continue,
            };
            let Ok(value) = env.symbol(name, Span::new(0, 0)) else { continue };
            symbols.push(Symbol { name: name.clone(), addr: value as u32, global: entry.global, section });
        }
        let text = self.sections.iter().find(|s| s.name == ".text").map_or(options.base as u64, |s| s.addr);
        let entry = match self.symbols.contains_key("_start") {
            true => env.symbol("_start", Span::new(0, 0)).map_or(text as u32, |v| v as u32),
            false => text as u32,
        };
        if !self.errors.is_empty() {
            return Err(self.into_diagnostics());
        }
        Ok((Program { entry, sections, symbols }, self.listing))
    }

    fn into_diagnostics(self) -> Diagnostics {
        let mut errors = self.errors;
        let file_order: HashMap<String, usize> =
            self.files.iter().enumerate().map(|(i, f)| (f.name.clone(), i)).collect();
        errors.sort_by_key(|d| (file_order.get(&d.file).copied().unwrap_or(0), d.line, d.column));
        Diagnostics(errors)
    }
}

fn data_width(name: &str) -> u64 {
    match name {
        ".word" | ".long" | ".4byte" => 4,
        ".half" | ".short" | ".2byte" => 2,
        _ => 1,
    }
}

fn data_bytes(body: &Body, env: &dyn Env) -> Result<Vec<u8>, Error> {
    let name = body.name.as_str();
    let mut out = Vec::new();
    if matches!(name, ".ascii" | ".asciz" | ".string") {
        for op in &body.operands {
            if let OperandKind::Str(bytes) = &op.kind {
                out.extend_from_slice(bytes);
                if name != ".ascii" {
                    out.push(0);
                }
            }
        }
        return Ok(out);
    }
    let width = data_width(name);
    let bits = width * 8;
    let (min, max) = (-(1i64 << (bits - 1)), (1i64 << bits) - 1);
    for op in &body.operands {
        let OperandKind::Expr(e) = &op.kind else {
            return Err(Error::new(op.span, "expected an expression".to_string()));
        };
        let value = eval(e, env).map_err(|err| match err {
            EvalError::Error(e) => e,
            EvalError::NotYet => Error::new(e.span, "value is not known".to_string()),
        })?;
        if !(min..=max).contains(&value) {
            return Err(Error::new(
                op.span,
                format!("value {value} is out of range; `{name}` takes {min}..={max}"),
            ));
        }
        out.extend_from_slice(&value.to_le_bytes()[..width as usize]);
    }
    Ok(out)
}

/// Assembles `sources` as one unit (see [`super::assemble`]), with the listing.
pub fn assemble(
    sources: &[(&str, &str)],
    options: &Options,
) -> Result<(Program, Vec<ListingLine>), Diagnostics> {
    let read = source::read(sources);
    let mut asm = Assembler {
        files: read.files,
        sections: Vec::new(),
        symbols: HashMap::new(),
        order: Vec::new(),
        globals: Vec::new(),
        errors: Vec::new(),
        current: 0,
        listing: Vec::new(),
        cache1: RefCell::new(HashMap::new()),
        cache2: RefCell::new(HashMap::new()),
        total_bytes: 0,
    };
    asm.current = asm.section_index(".text", Loc { file: 0, line: 1 });
    for ((file, line), e) in read.errors {
        asm.diag(Loc { file, line }, e);
    }
    let statements: Vec<(Loc, Statement)> =
        read.statements.into_iter().map(|((file, line), s)| (Loc { file, line }, s)).collect();
    let placed = asm.pass1(&statements);
    asm.check_globals();
    if !asm.place_sections(options) {
        return Err(asm.into_diagnostics());
    }
    asm.pass2(&statements, &placed);
    asm.finish(options)
}
