//! Test executables run side by side.
//!
//! `cargo test` runs a workspace's test executables one after another; inside one, its tests
//! run on as many threads as the host has cores. Most of Orrery's whole-system test files hold
//! one or two long tests (a boot of a topology each), so run that way a core stays idle for
//! most of the time. `cargo xtask test` instead builds the executables with `cargo test
//! --no-run`, then runs [`JOBS`] of them at a time — each with what `cargo test` gives it: the
//! package's directory as its working directory and the `CARGO*` variables — and prints each
//! one's output whole when it ends, under the header `cargo test` prints. The doc tests, which
//! `--no-run` does not build, run with `cargo test --doc` afterwards.

// Without the emulator this module is compiled only for its unit tests, which use a part.
#![cfg_attr(not(feature = "emulator"), allow(dead_code))]

use std::collections::VecDeque;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::time::Instant;

use crate::guest::cargo_messages;
use crate::Result;

/// Test executables running at once: two, for the two cores of the machines CI runs on; a
/// whole-system test that runs its nodes on two host threads shares them.
pub const JOBS: usize = 2;

/// One test executable that `cargo test --no-run` built.
#[derive(Clone)]
pub struct TestBinary {
    /// The package it belongs to.
    pub package: String,
    /// What `cargo test` calls it: `tests/suites.rs`, `unittests src/lib.rs`.
    pub title: String,
    /// The executable.
    pub executable: PathBuf,
    /// The package's directory: the working directory `cargo test` runs it in.
    pub manifest_dir: PathBuf,
}

/// A test executable to run, with what sets this run of it apart: variables beyond the ones
/// every job gets (`ORRERY_JIT=off`).
pub struct Job {
    pub binary: TestBinary,
    pub env: Vec<(&'static str, &'static str)>,
}

/// Builds the test executables of `cargo test ARGS` in `dir` (`--no-run`; cargo's messages go to
/// this process's standard error) and returns them in cargo's order.
pub fn build(cargo: &Path, args: &[&str], dir: &Path) -> Result<Vec<TestBinary>> {
    let mut command = Command::new(cargo);
    command
        .arg("test")
        .args(args)
        .args(["--no-run", "--message-format=json-render-diagnostics"])
        .current_dir(dir);
    let (binaries, status) = cargo_messages(&mut command, &cargo.display().to_string(), test_binary)?;
    if !status.success() {
        return Err(format!("`cargo test {} --no-run` failed ({status})", args.join(" ")));
    }
    Ok(binaries)
}

/// The test executable one line of cargo's JSON messages announces, if it announces one.
fn test_binary(line: &str) -> Option<TestBinary> {
    let message: serde_json::Value = serde_json::from_str(line).ok()?;
    if message["reason"] != "compiler-artifact" || message["profile"]["test"] != true {
        return None;
    }
    let executable = PathBuf::from(message["executable"].as_str()?);
    let manifest_dir = PathBuf::from(message["manifest_path"].as_str()?).parent()?.to_path_buf();
    let target = &message["target"];
    let source = Path::new(target["src_path"].as_str()?);
    let relative = source.strip_prefix(&manifest_dir).unwrap_or(source).display().to_string();
    let kinds = target["kind"].as_array()?;
    let title = if kinds.iter().any(|k| k == "test") { relative } else { format!("unittests {relative}") };
    let package = message["package_id"].as_str()?;
    // `path+file:///…/emulator#orrery-emulator@0.1.0` or `…/tests#0.1.0` (the name is the
    // directory's).
    let package = package
        .rsplit_once('#')
        .map(|(path, version)| match version.split_once('@') {
            Some((name, _)) => name.to_string(),
            None => path.rsplit('/').next().unwrap_or(path).to_string(),
        })
        .unwrap_or_else(|| package.to_string());
    Some(TestBinary { package, title, executable, manifest_dir })
}

/// Runs `jobs`, [`JOBS`] at a time, in their order, each with the variables `common` and its
/// own; prints each one's output when it ends. Returns the names of those that failed.
pub fn run(jobs: Vec<Job>, cargo: &Path, common: &[(&str, &str)]) -> Vec<String> {
    let queue = Mutex::new(jobs.into_iter().collect::<VecDeque<Job>>());
    let failed = Mutex::new(Vec::new());
    let started = Instant::now();
    std::thread::scope(|scope| {
        for _ in 0..JOBS {
            scope.spawn(|| {
                while let Some(job) = queue.lock().map(|mut q| q.pop_front()).unwrap_or(None) {
                    let name = job_name(&job);
                    let (ok, text) = run_one(&job, cargo, common);
                    let mut out = std::io::stdout().lock();
                    let _ = writeln!(
                        out,
                        "     Running {name} ({}), ended at {:.0} s\n{text}",
                        job.binary.executable.display(),
                        started.elapsed().as_secs_f64()
                    );
                    let _ = out.flush();
                    if !ok {
                        if let Ok(mut failed) = failed.lock() {
                            failed.push(name);
                        }
                    }
                }
            });
        }
    });
    failed.into_inner().unwrap_or_default()
}

/// `orrery-tests tests/suites.rs ORRERY_JIT=off`: its package, its title and its own variables.
fn job_name(job: &Job) -> String {
    let mut name = format!("{} {}", job.binary.package, job.binary.title);
    for (key, value) in &job.env {
        name.push_str(&format!(" {key}={value}"));
    }
    name
}

/// Runs one test executable as `cargo test` would; whether it passed, and what it printed
/// (standard output, then standard error).
fn run_one(job: &Job, cargo: &Path, common: &[(&str, &str)]) -> (bool, String) {
    let binary = &job.binary;
    let mut command = Command::new(&binary.executable);
    command
        .current_dir(&binary.manifest_dir)
        .env("CARGO", cargo)
        .env("CARGO_MANIFEST_DIR", &binary.manifest_dir)
        .env("CARGO_PKG_NAME", &binary.package);
    for (key, value) in common.iter().chain(&job.env) {
        command.env(key, value);
    }
    match command.stdin(Stdio::null()).output() {
        Ok(output) => {
            let mut text = String::from_utf8_lossy(&output.stdout).into_owned();
            text.push_str(&String::from_utf8_lossy(&output.stderr));
            if !output.status.success() && !text.contains("test result: FAILED") {
                text.push_str(&format!("\n{} ended: {}\n", binary.executable.display(), output.status));
            }
            (output.status.success(), text)
        }
        Err(e) => (false, format!("cannot run {}: {e}\n", binary.executable.display())),
    }
}

#[cfg(test)]
mod tests {
    use super::test_binary;

    #[test]
    fn an_integration_test_and_a_library_s_unit_tests_are_read_from_cargo_s_messages() {
        let integration = r#"{"reason":"compiler-artifact","package_id":"path+file:///r/tests#orrery-tests@0.1.0","manifest_path":"/r/tests/Cargo.toml","target":{"kind":["test"],"name":"suites","src_path":"/r/tests/tests/suites.rs"},"profile":{"test":true},"executable":"/r/target/debug/deps/suites-1"}"#;
        let binary = test_binary(integration).expect("a test executable");
        assert_eq!(binary.package, "orrery-tests");
        assert_eq!(binary.title, "tests/suites.rs");
        assert_eq!(binary.executable.to_str(), Some("/r/target/debug/deps/suites-1"));
        assert_eq!(binary.manifest_dir.to_str(), Some("/r/tests"));
        let library = r#"{"reason":"compiler-artifact","package_id":"path+file:///r/os/ipc#ox-ipc@0.1.0","manifest_path":"/r/os/ipc/Cargo.toml","target":{"kind":["lib"],"name":"ox_ipc","src_path":"/r/os/ipc/src/lib.rs"},"profile":{"test":true},"executable":"/r/t/ox_ipc-2"}"#;
        let binary = test_binary(library).expect("a test executable");
        assert_eq!((binary.package.as_str(), binary.title.as_str()), ("ox-ipc", "unittests src/lib.rs"));
        // A package named as its directory is named by the directory alone.
        let driver = r#"{"reason":"compiler-artifact","package_id":"path+file:///r/xtask#0.1.0","manifest_path":"/r/xtask/Cargo.toml","target":{"kind":["bin"],"src_path":"/r/xtask/src/main.rs"},"profile":{"test":true},"executable":"/r/x-3"}"#;
        let binary = test_binary(driver).expect("a test executable");
        assert_eq!((binary.package.as_str(), binary.title.as_str()), ("xtask", "unittests src/main.rs"));
        // The library itself, built for the tests, is no test executable.
        let plain = r#"{"reason":"compiler-artifact","package_id":"x","manifest_path":"/r/x/Cargo.toml","target":{"kind":["lib"],"src_path":"/r/x/src/lib.rs"},"profile":{"test":false},"executable":null}"#;
        assert!(test_binary(plain).is_none());
        assert!(test_binary("not json").is_none());
    }
}
