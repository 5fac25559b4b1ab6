//! `cargo xtask bare FILE.rs|FILE.c [-o OUT.elf]`: one source file in, one ox32 executable out.
//!
//! A Rust file becomes the `main.rs` of a generated package in `target/guest-bare/<name>/` that
//! depends on `os/bare` (ox-bare) and links with its `link.x`. A C file is compiled by clang
//! (with `os/bare/c/libc.c`) in that package's build script and linked the same way, its
//! `main` called by the runtime through `ox_bare::c_main!`: the same startup, heap and system
//! calls as a Rust program, so it too runs unchanged under qemu-riscv32 and on orrery. It is built with the guest
//! toolchain into the shared `target/guest` directory (so `core` and `alloc` are not built
//! again; the binary is called `bare-<name>` there so it cannot clash with the workspace's), then
//! translated. The RV32 executable stays beside the others, where qemu-riscv32 can run it.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::Instant;

use crate::guest::{self, TranslateTotals};
use crate::toolchain::Cross;
use crate::{log_time, repo_root, Result};

/// The profile of the guest workspace (`os/Cargo.toml`): the same one, so the standard library
/// built for the workspace is reused.
const PROFILE: &str =
    "[profile.release]\npanic = \"abort\"\nopt-level = 2\ndebug = true\ncodegen-units = 1\n";

/// Builds `file` into an ox32 executable at `output` (default `target/ox32/bare/<name>.elf`).
pub fn bare(file: &Path, output: Option<&Path>) -> Result<()> {
    let name = program_name(file)?;
    let out = match output {
        Some(out) => out.to_path_buf(),
        None => repo_root().join("target/ox32/bare").join(format!("{name}.elf")),
    };
    let rv = match file.extension().and_then(|e| e.to_str()) {
        Some("rs") => bare_rust(file, &name, &out)?,
        Some("c") => bare_c(file, &name, &out)?,
        _ => return Err(format!("{}: expected a .rs or .c file", file.display())),
    };
    println!("{}", out.display());
    eprintln!(
        "xtask: run it with `orrery run {}` (the RV32 original, for qemu-riscv32: {})",
        out.display(),
        rv.display()
    );
    Ok(())
}

/// A file stem usable as a cargo binary name.
fn program_name(file: &Path) -> Result<String> {
    let stem = file
        .file_stem()
        .and_then(|s| s.to_str())
        .ok_or_else(|| format!("{}: no usable file name", file.display()))?;
    let name: String = stem
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || c == '_' || c == '-' { c } else { '_' })
        .collect();
    if name.is_empty() || !name.starts_with(|c: char| c.is_ascii_alphabetic()) {
        return Err(format!("{}: the file name must start with a letter", file.display()));
    }
    Ok(name)
}

/// Builds the Rust file `file` into an RV32 executable and its ox32 translation at `out`;
/// returns the RV32 path.
fn bare_rust(file: &Path, name: &str, out: &Path) -> Result<PathBuf> {
    let source = fs::read(file).map_err(|e| format!("cannot read {}: {e}", file.display()))?;
    let build_rs = "fn main() {\n    if let Ok(script) = std::env::var(\"DEP_OX_BARE_LINK_X\") {\n        \
                    println!(\"cargo:rustc-link-arg-bins=-T{script}\");\n    }\n}\n";
    let rv = build_package(file, name, &source, build_rs, &[])?;
    translate(&rv, out)?;
    Ok(rv)
}

/// The build script of a C program's package: clang compiles the program and libc.c, and the
/// objects join the link. Paths come from the environment `bare_c` sets.
const C_BUILD_RS: &str = r#"use std::path::PathBuf;
use std::process::Command;

fn main() {
    let var = |name: &str| std::env::var(name).unwrap_or_else(|_| panic!("{name} is set by cargo xtask"));
    let (clang, source, include) = (var("ORRERY_CLANG"), var("ORRERY_C_SOURCE"), var("ORRERY_C_INCLUDE"));
    let out = PathBuf::from(var("OUT_DIR"));
    for name in ["ORRERY_CLANG", "ORRERY_C_SOURCE", "ORRERY_C_INCLUDE"] {
        println!("cargo:rerun-if-env-changed={name}");
    }
    let libc = format!("{include}/libc.c");
    for (input, object) in [(source.as_str(), "program.o"), (libc.as_str(), "libc.o")] {
        println!("cargo:rerun-if-changed={input}");
        let object = out.join(object);
        let status = Command::new(&clang)
            .args(["--target=riscv32-unknown-elf", "-march=rv32ima", "-mabi=ilp32", "-mcmodel=medany"])
            .args(["-O2", "-g", "-ffreestanding", "-fno-builtin", "-nostdlib", "-fno-pic", "-mno-relax"])
            .args(["-Wall", "-Wextra", "-I", &include, "-c", input, "-o"])
            .arg(&object)
            .status()
            .expect("clang runs");
        assert!(status.success(), "clang failed on {input}");
        println!("cargo:rustc-link-arg-bins={}", object.display());
    }
    println!("cargo:rerun-if-changed={include}/orrery.h");
    if let Ok(script) = std::env::var("DEP_OX_BARE_LINK_X") {
        println!("cargo:rustc-link-arg-bins=-T{script}");
    }
}
"#;

/// Builds the C file `file` (named `name`) into an RV32 executable and its ox32 translation at
/// `out`; returns the RV32 path.
pub fn bare_c(file: &Path, name: &str, out: &Path) -> Result<PathBuf> {
    let clang = crate::toolchain::clang(true)?;
    let source = fs::canonicalize(file).map_err(|e| format!("cannot read {}: {e}", file.display()))?;
    let include = repo_root().join("os/bare/c");
    let main_rs = b"#![no_std]\n#![no_main]\n\nox_bare::c_main!();\n";
    let env = [
        ("ORRERY_CLANG", clang.display().to_string()),
        ("ORRERY_C_SOURCE", source.display().to_string()),
        ("ORRERY_C_INCLUDE", include.display().to_string()),
    ];
    let rv = build_package(file, &format!("c-{name}"), main_rs, C_BUILD_RS, &env)?;
    translate(&rv, out)?;
    Ok(rv)
}

/// Writes the generated package for `file` (its `main.rs` and `build.rs`) and builds it with
/// the guest toolchain into the shared target directory; returns the RV32 executable.
fn build_package(
    file: &Path,
    name: &str,
    main_rs: &[u8],
    build_rs: &str,
    env: &[(&str, String)],
) -> Result<PathBuf> {
    let root = repo_root();
    let dir = root.join("target/guest-bare").join(name);
    let bin = format!("bare-{name}");
    let manifest = format!(
        "# Generated by `cargo xtask bare` from {file}; rewritten on every run.\n\
         [package]\nname = \"{bin}\"\nversion = \"0.1.0\"\nedition = \"2021\"\npublish = false\nbuild = \"build.rs\"\n\n\
         [[bin]]\nname = \"{bin}\"\npath = \"main.rs\"\n\n\
         [dependencies]\nox-bare = {{ path = {bare:?} }}\n\n[workspace]\n\n{PROFILE}",
        file = file.display(),
        bare = root.join("os/bare").display().to_string(),
    );
    fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    write_if_changed(&dir.join("Cargo.toml"), manifest.as_bytes())?;
    write_if_changed(&dir.join("build.rs"), build_rs.as_bytes())?;
    write_if_changed(&dir.join("main.rs"), main_rs)?;

    let tools = crate::toolchain::cross()?;
    let mut args = vec!["build".to_string()];
    args.extend(Cross::build_args());
    let started = Instant::now();
    let env: Vec<(&str, &std::ffi::OsStr)> = env.iter().map(|(k, v)| (*k, std::ffi::OsStr::new(v))).collect();
    let artifacts =
        guest::cargo_build(&tools, &repo_root(), &dir, &guest::guest_target_dir(&repo_root()), &args, &env)?;
    log_time(&format!("build {}", file.display()), started);
    artifacts
        .iter()
        .find(|a| a.name == bin)
        .map(|a| a.path.clone())
        .ok_or_else(|| format!("cargo built no executable `{bin}` from {}", file.display()))
}

/// Translates the RV32 executable `rv` to `out`.
fn translate(rv: &Path, out: &Path) -> Result<()> {
    if let Some(parent) = out.parent().filter(|p| !p.as_os_str().is_empty()) {
        fs::create_dir_all(parent).map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
    }
    guest::translate(rv, out, &mut TranslateTotals::default())
}

/// Writes `bytes` to `path` unless it already holds them (keeps the mtime cargo looks at).
fn write_if_changed(path: &PathBuf, bytes: &[u8]) -> Result<()> {
    if fs::read(path).is_ok_and(|old| old == bytes) {
        return Ok(());
    }
    fs::write(path, bytes).map_err(|e| format!("cannot write {}: {e}", path.display()))
}
