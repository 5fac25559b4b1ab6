//! Every tool refuses an input it cannot bound — a device such as `/dev/zero`, a folder, a file
//! above its limit — with one line on standard error and status 1, instead of reading for ever
//! (`orrery_toolchain::input`, `docs/reliability.md`).

use std::path::PathBuf;
use std::process::{Command, Output};

use orrery_toolchain::input::{MAX_BINARY, MAX_TEXT};

fn tool(exe: &str, args: &[&str]) -> Output {
    Command::new(exe).args(args).output().expect("the tool runs")
}

/// Checks that the tool failed with exactly one line that says `expected`.
fn refused(output: &Output, expected: &str) {
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "stderr: {stderr}");
    assert_eq!(stderr.lines().count(), 1, "one line: {stderr:?}");
    assert!(stderr.contains(expected), "{stderr:?} should say {expected:?}");
}

/// A sparse file of `len` bytes (it costs no disk space).
fn sparse(name: &str, len: u64) -> PathBuf {
    let path = std::env::temp_dir().join(format!("orrery-inputs-{}-{name}", std::process::id()));
    std::fs::File::create(&path).unwrap().set_len(len).unwrap();
    path
}

const ZERO: &str = "cannot read /dev/zero: not a regular file";

#[test]
fn oxas_refuses_a_device_and_a_huge_source() {
    refused(&tool(env!("CARGO_BIN_EXE_oxas"), &["/dev/zero", "-o", "/dev/null"]), ZERO);
    let huge = sparse("huge.s", MAX_TEXT + 1);
    let output = tool(env!("CARGO_BIN_EXE_oxas"), &[huge.to_str().unwrap(), "-o", "/dev/null"]);
    std::fs::remove_file(&huge).unwrap();
    refused(&output, "above the limit of 16777216 bytes");
}

#[test]
fn oxdis_and_rv2ox_refuse_a_device_and_a_huge_executable() {
    refused(&tool(env!("CARGO_BIN_EXE_oxdis"), &["/dev/zero"]), ZERO);
    refused(&tool(env!("CARGO_BIN_EXE_rv2ox"), &["/dev/zero", "-o", "/dev/null"]), ZERO);
    refused(&tool(env!("CARGO_BIN_EXE_oxdis"), &["/"]), "cannot read /: not a regular file");
    let huge = sparse("huge.elf", MAX_BINARY + 1);
    let oxdis = tool(env!("CARGO_BIN_EXE_oxdis"), &[huge.to_str().unwrap()]);
    let rv2ox = tool(env!("CARGO_BIN_EXE_rv2ox"), &[huge.to_str().unwrap(), "-o", "/dev/null"]);
    std::fs::remove_file(&huge).unwrap();
    refused(&oxdis, "above the limit of 268435456 bytes");
    refused(&rv2ox, "above the limit of 268435456 bytes");
}

#[test]
fn oxdisk_refuses_a_device_as_image_or_file_and_an_image_above_its_limit() {
    let oxdisk = env!("CARGO_BIN_EXE_oxdisk");
    refused(&tool(oxdisk, &["ls", "/dev/zero"]), ZERO);
    refused(&tool(oxdisk, &["check", "/dev/zero"]), ZERO);
    let image = std::env::temp_dir().join(format!("orrery-inputs-{}-disk.img", std::process::id()));
    let image = image.to_str().unwrap();
    refused(&tool(oxdisk, &["create", image, "--size", "64K", "--add", "/dev/zero:/zero"]), ZERO);
    let output = tool(oxdisk, &["create", image, "--size", "2G"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "a bad --size is a command-line error: {stderr}");
    assert!(stderr.contains("an image is between 64K and 1G"), "{stderr}");
    assert!(!std::path::Path::new(image).exists());
}
