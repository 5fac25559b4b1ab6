//! Stage 0: the source files, and `.include`.
//!
//! Every line of every file given to the assembler is lexed and parsed in order; a statement
//! `.include "path"` is replaced by the statements of that file, read from the file system with
//! `path` relative to the directory of the including file (its name as given, for the files
//! given; an absolute `path` is taken as it is). Labels on the `.include` line stay where they
//! are, before the included statements.
//!
//! Every file read becomes a [`SourceFile`] that remembers where it was included, so a
//! diagnostic in it names the whole chain. Invariants: an include never reads a file that is
//! already open in its own chain (a cycle is an error at the `.include` that would close it),
//! chains are at most [`MAX_INCLUDE_DEPTH`] files deep, and only regular files of at most
//! [`MAX_INCLUDE_BYTES`] are read (so `/dev/zero` is an error, not a hang).

use std::path::{Component, Path, PathBuf};

use super::lexer::lex;
use super::parser::{parse_line, OperandKind, Statement};
use super::{Error, Span};

/// The longest chain of files including each other (the given file counts as one).
pub const MAX_INCLUDE_DEPTH: usize = 32;
/// The largest file `.include` reads.
pub const MAX_INCLUDE_BYTES: u64 = crate::input::MAX_TEXT;

/// One file of the unit: given, or read by `.include`.
pub struct SourceFile {
    /// Its name in diagnostics: as given, or the including file's directory joined with the
    /// included path (`..` and `.` folded away where they can be).
    pub name: String,
    /// Its lines.
    pub lines: Vec<String>,
    /// Where it was included: (file index, 1-based line, 1-based column of the directive).
    pub included_at: Option<(usize, usize, usize)>,
    /// What tells two files apart for cycles: the canonical path if it exists, else the name.
    key: PathBuf,
}

/// Where a statement or an error is: (file index, 1-based line).
pub type Place = (usize, usize);

/// Everything read: the files, the statements of all of them in order, and the errors of
/// lexing, parsing and including.
pub struct Read {
    /// Every file, the given ones first.
    pub files: Vec<SourceFile>,
    /// The statements, includes expanded.
    pub statements: Vec<(Place, Statement)>,
    /// The errors, each in its line.
    pub errors: Vec<(Place, Error)>,
}

/// Lexes and parses `sources` (name, text) in order, expanding `.include`.
pub fn read(sources: &[(&str, &str)]) -> Read {
    let mut read = Read { files: Vec::new(), statements: Vec::new(), errors: Vec::new() };
    for (name, text) in sources {
        let file = read.add(name.to_string(), text, None);
        read.file(file);
    }
    read
}

impl Read {
    fn add(&mut self, name: String, text: &str, included_at: Option<(usize, usize, usize)>) -> usize {
        let key = std::fs::canonicalize(&name).unwrap_or_else(|_| PathBuf::from(&name));
        let lines = text.lines().map(str::to_string).collect();
        self.files.push(SourceFile { name, lines, included_at, key });
        self.files.len() - 1
    }

    fn file(&mut self, file: usize) {
        for index in 0..self.files[file].lines.len() {
            let place = (file, index + 1);
            let line = self.files[file].lines[index].clone();
            let tokens = match lex(&line) {
                Ok(tokens) => tokens,
                Err(e) => {
                    self.errors.push((place, e));
                    continue;
                }
            };
            let (statements, errors) = parse_line(&tokens, line.len());
            self.errors.extend(errors.into_iter().map(|e| (place, e)));
            for mut statement in statements {
                match statement.body.take_if(|body| body.name == ".include") {
                    Some(body) => {
                        if !statement.labels.is_empty() {
                            self.statements.push((place, statement));
                        }
                        let column = line.get(..body.span.start).map_or(1, |s| s.chars().count() + 1);
                        match self.include(file, &body.operands, body.span.to(body.end), (index + 1, column))
                        {
                            Ok(included) => self.file(included),
                            Err(e) => self.errors.push((place, e)),
                        }
                    }
                    None => self.statements.push((place, statement)),
                }
            }
        }
    }

    /// Reads the file an `.include` in `file` names; `at` is the directive's line and column.
    fn include(
        &mut self,
        file: usize,
        operands: &[super::parser::Operand],
        span: Span,
        at: (usize, usize),
    ) -> Result<usize, Error> {
        let [operand] = operands else {
            return Err(Error::new(span, "`.include` takes one file name in double quotes".to_string()));
        };
        let OperandKind::Str(bytes) = &operand.kind else {
            return Err(Error::new(
                operand.span,
                "`.include` takes a file name in double quotes".to_string(),
            ));
        };
        let Ok(path) = std::str::from_utf8(bytes) else {
            return Err(Error::new(operand.span, "the file name is not UTF-8".to_string()));
        };
        let here = Path::new(&self.files[file].name).parent().unwrap_or(Path::new(""));
        let name = normalize(&here.join(path)).display().to_string();
        let key = std::fs::canonicalize(&name).unwrap_or_else(|_| PathBuf::from(&name));
        let mut chain = vec![file];
        while let Some((parent, _, _)) = self.files[*chain.last().unwrap_or(&file)].included_at {
            chain.push(parent);
        }
        if let Some(open) = chain.iter().find(|&&f| self.files[f].key == key) {
            let mut names: Vec<&str> = chain[..=chain.iter().position(|f| f == open).unwrap_or(0)]
                .iter()
                .rev()
                .map(|&f| self.files[f].name.as_str())
                .collect();
            names.push(&name);
            return Err(Error::new(operand.span, format!("`{name}` includes itself: {}", names.join(" → "))));
        }
        if chain.len() >= MAX_INCLUDE_DEPTH {
            return Err(Error::new(
                operand.span,
                format!("includes nest deeper than {MAX_INCLUDE_DEPTH} files"),
            ));
        }
        let text = read_text(Path::new(&name))
            .map_err(|why| Error::new(operand.span, format!("cannot include `{name}`: {why}")))?;
        Ok(self.add(name, &text, Some((file, at.0, at.1))))
    }
}

/// The text of the regular file `path`, at most [`MAX_INCLUDE_BYTES`] of UTF-8.
fn read_text(path: &Path) -> Result<String, String> {
    let metadata = std::fs::metadata(path).map_err(|e| e.to_string())?;
    if !metadata.is_file() {
        return Err("not a regular file".to_string());
    }
    if metadata.len() > MAX_INCLUDE_BYTES {
        return Err(format!(
            "{} bytes, more than the {MAX_INCLUDE_BYTES} an include may have",
            metadata.len()
        ));
    }
    let bytes = std::fs::read(path).map_err(|e| e.to_string())?;
    String::from_utf8(bytes).map_err(|_| "not UTF-8 text".to_string())
}

/// `path` with `.` dropped and `dir/..` folded (lexically: the names in diagnostics stay short).
fn normalize(path: &Path) -> PathBuf {
    let mut out: Vec<Component> = Vec::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir if matches!(out.last(), Some(Component::Normal(_))) => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out.iter().collect()
}
