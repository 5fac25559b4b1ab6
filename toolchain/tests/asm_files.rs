//! Runs every data-file test in `tests/asm/` (format in `tests/asm/README.md`): `ok_*.s` must
//! assemble to the bytes annotated on each line, `err_*.s` must fail with exactly the errors
//! annotated. `ASM_TESTS_UPDATE=1` rewrites the `# =>` annotations of the `ok_*.s` files from
//! the assembler's output (review the diff before committing it).
//!
//! Each file is assembled under its path relative to the package (`tests/asm/ok_x.s`, the tests
//! run there), so that its `.include`s resolve; files under `tests/asm/include/` are only
//! included, never run on their own.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::path::{Path, PathBuf};

use orrery_toolchain::asm::{assemble, assemble_with_listing, ListingLine, Options};

fn test_files(prefix: &str) -> Vec<PathBuf> {
    std::env::set_current_dir(env!("CARGO_MANIFEST_DIR")).expect("the package directory exists");
    let dir = Path::new("tests/asm");
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|entries| entries.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    files.retain(|p| {
        let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
        name.starts_with(prefix) && name.ends_with(".s")
    });
    files.sort();
    files
}

/// Parses `0xHHHHHHHH` (word), `0xHHHH` (half), `0xHH` (byte), each optionally `*N`, into
/// little-endian bytes; `bss N` into (no bytes, size N).
fn parse_expectation(text: &str) -> Result<(Vec<u8>, u32), String> {
    let mut words = text.split_whitespace();
    if text.trim_start().starts_with("bss") {
        words.next();
        let n = words.next().and_then(|n| n.parse().ok()).ok_or("`bss` needs a size")?;
        return Ok((Vec::new(), n));
    }
    let mut bytes = Vec::new();
    for token in words {
        let (value, count) = match token.split_once('*') {
            Some((v, n)) => (v, n.parse::<usize>().map_err(|e| format!("bad count in `{token}`: {e}"))?),
            None => (token, 1),
        };
        let hex = value.strip_prefix("0x").ok_or_else(|| format!("`{token}` is not 0x-hex"))?;
        let v = u32::from_str_radix(hex, 16).map_err(|e| format!("`{token}`: {e}"))?;
        let width = match hex.len() {
            8 => 4,
            4 => 2,
            2 => 1,
            _ => return Err(format!("`{token}` must have 2, 4 or 8 hex digits")),
        };
        for _ in 0..count {
            bytes.extend_from_slice(&v.to_le_bytes()[..width]);
        }
    }
    let size = bytes.len() as u32;
    Ok((bytes, size))
}

/// The listing of the file itself (not of what it includes) merged per line: line → (bytes, size).
fn per_line(listing: &[ListingLine]) -> BTreeMap<usize, (Vec<u8>, u32)> {
    let mut lines: BTreeMap<usize, (Vec<u8>, u32)> = BTreeMap::new();
    for entry in listing.iter().filter(|e| e.size > 0 && e.file == 0) {
        let slot = lines.entry(entry.line).or_default();
        slot.0.extend_from_slice(&entry.bytes);
        slot.1 += entry.size;
    }
    lines
}

fn format_expectation(line: &str, bytes: &[u8], size: u32) -> String {
    if bytes.is_empty() {
        return format!("bss {size}");
    }
    let code = line.split('#').next().unwrap_or("");
    let byte_wise = [".byte", ".ascii", ".asciz", ".string", ".space", ".zero", ".skip", ".balign"]
        .iter()
        .any(|d| code.contains(d));
    let half_wise = [".half", ".short", ".2byte"].iter().any(|d| code.contains(d));
    let parts: Vec<String> = if byte_wise || bytes.len() % 4 != 0 && !half_wise {
        bytes.iter().map(|b| format!("0x{b:02x}")).collect()
    } else if half_wise {
        bytes
            .chunks(2)
            .map(|c| format!("0x{:04x}", u16::from_le_bytes([c[0], c.get(1).copied().unwrap_or(0)])))
            .collect()
    } else {
        bytes.chunks(4).map(|c| format!("0x{:08x}", u32::from_le_bytes([c[0], c[1], c[2], c[3]]))).collect()
    };
    parts.join(" ")
}

fn check_ok_file(path: &Path, failures: &mut Vec<String>) {
    let name = path.display().to_string();
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let (program, listing) = match assemble_with_listing(&[(&name, &text)], &Options::default()) {
        Ok(result) => result,
        Err(d) => {
            failures.push(format!("{name}: expected to assemble, got:\n{d}"));
            return;
        }
    };
    let actual = per_line(&listing);
    if std::env::var_os("ASM_TESTS_UPDATE").is_some() {
        let mut out = String::new();
        for (i, line) in text.lines().enumerate() {
            let code = line.split(" # =>").next().unwrap_or(line).trim_end();
            match actual.get(&(i + 1)) {
                Some((bytes, size)) => {
                    let _ = writeln!(out, "{code:<40} # => {}", format_expectation(code, bytes, *size));
                }
                None => {
                    let _ = writeln!(out, "{code}");
                }
            }
        }
        let _ = std::fs::write(path, out);
        return;
    }
    let mut annotated = 0;
    for (i, line) in text.lines().enumerate() {
        let line_no = i + 1;
        let got = actual.get(&line_no);
        if let Some(rest) = line.trim().strip_prefix("# symbol:") {
            let (sym, value) = rest.split_once('=').unwrap_or((rest, ""));
            let expected = u32::from_str_radix(value.trim().trim_start_matches("0x"), 16).ok();
            let found = program.symbol(sym.trim());
            if expected.is_none() || found != expected {
                failures.push(format!(
                    "{name}:{line_no}: symbol `{}` is {found:x?}, expected {value}",
                    sym.trim()
                ));
            }
            continue;
        }
        if let Some(rest) = line.trim().strip_prefix("# entry:") {
            let expected = u32::from_str_radix(rest.trim().trim_start_matches("0x"), 16).ok();
            if expected != Some(program.entry) {
                failures.push(format!("{name}:{line_no}: entry is {:#x}, expected {rest}", program.entry));
            }
            continue;
        }
        let expectation = line.split_once("# =>").map(|(_, e)| e);
        match (expectation, got) {
            (Some(e), got) => {
                annotated += 1;
                match parse_expectation(e) {
                    Ok(expected) => {
                        let got = got.cloned().unwrap_or_default();
                        if got != expected {
                            failures.push(format!(
                                "{name}:{line_no}: `{}`\n    expected {}\n    got      {}",
                                line.trim(),
                                e.trim(),
                                format_expectation(line, &got.0, got.1)
                            ));
                        }
                    }
                    Err(msg) => failures.push(format!("{name}:{line_no}: bad annotation: {msg}")),
                }
            }
            (None, Some((bytes, size))) => failures.push(format!(
                "{name}:{line_no}: `{}` produced {} but has no `# =>` annotation",
                line.trim(),
                format_expectation(line, bytes, *size)
            )),
            (None, None) => {}
        }
    }
    if annotated == 0 {
        failures.push(format!("{name}: no `# =>` annotations"));
    }
}

fn check_err_file(path: &Path, failures: &mut Vec<String>) {
    let name = path.display().to_string();
    let dir = path.parent().unwrap_or(Path::new(""));
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let mut expected: Vec<String> = text
        .lines()
        .filter_map(|l| l.trim().strip_prefix("# error:"))
        .map(|rest| {
            let (pos, message) = rest.trim().split_once(": ").unwrap_or((rest, ""));
            let pos = pos.trim();
            // `LINE:COLUMN` is in this file; `PATH:LINE:COLUMN` in a file it includes.
            if pos.starts_with(|c: char| c.is_ascii_digit()) {
                format!("{name}:{pos}: error: {message}")
            } else {
                format!("{}/{pos}: error: {message}", dir.display())
            }
        })
        .collect();
    if expected.is_empty() {
        failures.push(format!("{name}: no `# error:` annotation"));
        return;
    }
    match assemble(&[(&name, &text)], &Options::default()) {
        Ok(_) => {
            failures.push(format!("{name}: assembled, expected errors:\n    {}", expected.join("\n    ")))
        }
        Err(diagnostics) => {
            let mut actual: Vec<String> = diagnostics.0.iter().map(|d| d.header()).collect();
            for d in &diagnostics.0 {
                let rendered = d.to_string();
                if d.line > 0 && !rendered.lines().nth(2).is_some_and(|l| l.trim_end().ends_with('^')) {
                    failures.push(format!("{name}: rendering has no caret line:\n{rendered}"));
                }
                let included = format!("= included from {name}:");
                if d.file != name && !rendered.lines().any(|l| l.trim_start().starts_with(&included)) {
                    failures.push(format!(
                        "{name}: an error in an included file does not name the chain:\n{rendered}"
                    ));
                }
            }
            expected.sort();
            actual.sort();
            if expected != actual {
                failures.push(format!(
                    "{name}: errors differ\n  expected:\n    {}\n  actual:\n    {}\n  rendered:\n{diagnostics}",
                    expected.join("\n    "),
                    actual.join("\n    ")
                ));
            }
        }
    }
}

#[test]
fn ok_files_assemble_to_the_annotated_bytes() {
    let files = test_files("ok_");
    assert!(files.len() >= 10, "expected the ok_*.s files, found {}", files.len());
    let mut failures = Vec::new();
    for path in &files {
        check_ok_file(path, &mut failures);
    }
    assert!(failures.is_empty(), "{} failure(s):\n{}", failures.len(), failures.join("\n"));
}

#[test]
fn err_files_fail_with_the_annotated_errors() {
    let files = test_files("err_");
    assert!(files.len() >= 20, "expected at least 20 err_*.s files, found {}", files.len());
    let mut failures = Vec::new();
    for path in &files {
        check_err_file(path, &mut failures);
    }
    assert!(failures.is_empty(), "{} failure(s):\n{}", failures.len(), failures.join("\n"));
}
