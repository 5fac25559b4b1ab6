//! `cargo xtask`: Orrery's build driver.
//!
//! Design principles:
//! 1. **One command per job, nothing by hand.** The cross toolchain for the guest
//!    (`riscv32ima-unknown-none-elf`) and the test tools (qemu-riscv32, clang) are found — or,
//!    as root with apt, installed — by [`toolchain`]; a user never sets a variable.
//! 2. **RV32 once, ox32 next to it.** The guest workspace (`os/`) is built in release into
//!    `target/guest`; every executable is then translated by `rv2ox` into `target/ox32`, and the
//!    RV original stays where cargo put it (the differential suite runs both) ([`guest`]).
//! 3. **Warm runs are cheap.** Cargo caches the build; a translation is redone only when its
//!    input (or this driver, which contains the translator) is newer than its output.
//!
//! 4. **The same bytes wherever the repository lives.** Paths in the guest code are remapped
//!    and crate identities made path-independent ([`wrapper`]); `test` checks it by building a
//!    copy at another path ([`repro`]).
//!
//! Subcommands: `build`, `run [TOPOLOGY]`, `bench-os`, `test`, `difftest [NAME...]`,
//! `bare FILE.rs|FILE.c [-o OUT]`, `toolchain`, `repro [--keep]`. Paths are relative to the repository root,
//! which is found from this crate's manifest directory, so the driver works from any directory.

mod bare;
#[cfg(feature = "emulator")]
mod bench;
#[cfg(feature = "emulator")]
mod difftest;
mod guest;
mod repro;
// Its unit tests run in `cargo test --workspace`, which builds this driver without the emulator.
#[cfg(any(feature = "emulator", test))]
mod testrun;
mod toolchain;
mod wrapper;

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::Instant;

use clap::{Parser, Subcommand};

/// Orrery's build driver.
#[derive(Parser)]
#[command(name = "cargo xtask", about)]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Builds the guest workspace and translates every executable into target/ox32.
    Build,
    /// Builds, then boots a topology on orrery (default: topologies/default.toml: the kernel on
    /// the central processor, which boots three satellites), consoles on this terminal.
    Run {
        /// The topology file to boot.
        topology: Option<PathBuf>,
    },
    /// Builds, then boots the default topology with the benchmark `satbench` as init and
    /// prints its table (docs/satellites.md, "Figures").
    BenchOs,
    /// Builds the guest, runs the host tests (`cargo test --workspace`), then the differential suite.
    Test,
    /// Builds the guest and runs the differential suite only (all programs, or those named).
    Difftest {
        /// Program names (files in tests/differential/src/bin without `.rs`).
        names: Vec<String>,
        /// Programs run at the same time (default: the number of CPUs).
        #[arg(long, short)]
        jobs: Option<usize>,
    },
    /// Builds one Rust or C file into an ox32 executable for `orrery run`.
    Bare {
        /// The source file: `.rs` (a program for ox-bare) or `.c` (built by clang).
        file: PathBuf,
        /// The ox32 executable (default: target/ox32/bare/NAME.elf).
        #[arg(short = 'o', long)]
        output: Option<PathBuf>,
    },
    /// Finds (or installs) the cross toolchain and the test tools, and says what it uses.
    Toolchain,
    /// Builds the guest, then builds it again in a copy of the repository at another path and
    /// checks that every image is byte-identical (docs/build.md).
    Repro {
        /// Keep the copy (its path is printed) instead of removing it.
        #[arg(long)]
        keep: bool,
    },
}

/// A failure of a subcommand: its message, printed once by `main`.
pub type Result<T> = std::result::Result<T, String>;

/// The repository root.
pub fn repo_root() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().map(Path::to_path_buf).unwrap_or_else(|| manifest.to_path_buf())
}

fn main() -> ExitCode {
    // Cargo runs this driver as rustc's wrapper during the guest build (see `wrapper`).
    if let Some(root) = std::env::var_os(wrapper::ROOT_VAR) {
        return wrapper::run(Path::new(&root), std::env::args_os().skip(1).collect());
    }
    let cli = Cli::parse();
    let result = match cli.command {
        Cmd::Build => build(guest::Scope::All).map(|_| ExitCode::SUCCESS),
        Cmd::Run { topology } => run(topology),
        #[cfg(feature = "emulator")]
        Cmd::BenchOs => build(guest::Scope::All).and_then(|built| bench::bench_os(&built)),
        #[cfg(feature = "emulator")]
        Cmd::Test => test(),
        #[cfg(feature = "emulator")]
        Cmd::Difftest { names, jobs } => difftest_only(&names, jobs),
        #[cfg(not(feature = "emulator"))]
        Cmd::BenchOs | Cmd::Test | Cmd::Difftest { .. } => with_emulator(),
        Cmd::Bare { file, output } => bare::bare(&file, output.as_deref()).map(|_| ExitCode::SUCCESS),
        Cmd::Toolchain => toolchain_report(),
        Cmd::Repro { keep } => repro(keep),
    };
    match result {
        Ok(code) => code,
        Err(message) => {
            eprintln!("xtask: {message}");
            ExitCode::FAILURE
        }
    }
}

/// Runs this command again with a build of this driver that has the emulator (the feature
/// `emulator`): the commands that need it.
#[cfg(not(feature = "emulator"))]
fn with_emulator() -> Result<ExitCode> {
    let status = Command::new(host_cargo())
        .args(["run", "--quiet", "--release", "--package", "xtask", "--features", "emulator", "--"])
        .args(std::env::args_os().skip(1))
        .current_dir(repo_root())
        .status()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    Ok(exit_code_of(status))
}

/// `repro`: the guest built here and in a copy at another path, compared.
fn repro(keep: bool) -> Result<ExitCode> {
    let tools = toolchain::cross()?;
    let built = guest::build(&tools, guest::Scope::All)?;
    repro::check(&tools, &built, keep).map(|_| ExitCode::SUCCESS)
}

/// `build`: the guest, in two phases, translated; `scope` says how much of it.
fn build(scope: guest::Scope) -> Result<guest::Built> {
    let tools = toolchain::cross()?;
    guest::build(&tools, scope)
}

/// The topology `cargo xtask run` boots without an argument.
const DEFAULT_TOPOLOGY: &str = "topologies/default.toml";

/// `run`: builds the guest, then boots a topology (by default [`DEFAULT_TOPOLOGY`]) with the
/// `orrery` binary, consoles passed through.
fn run(topology: Option<PathBuf>) -> Result<ExitCode> {
    let topology = topology.unwrap_or_else(|| repo_root().join(DEFAULT_TOPOLOGY));
    if !topology.is_file() {
        return Err(format!("{}: no such topology file", topology.display()));
    }
    // The emulator builds while the guest does, behind it: the guest is the longer of the
    // two, and the toolchain's download and the guest's crates that build one at a time leave
    // a core to the emulator.
    let (built, orrery) = std::thread::scope(|scope| {
        let orrery = scope.spawn(|| host_binary("orrery-emulator", "orrery", true));
        let built = build(guest::Scope::Boot);
        (built, orrery.join().unwrap_or_else(|_| Err("building orrery panicked".to_string())))
    });
    let kernel = built?.ox32_dir.join("kernel.elf");
    if !kernel.exists() {
        return Err(format!(
            "{} does not exist: the guest workspace has no executable named `kernel` (os/kernel \
             must build a binary target `kernel`)",
            kernel.display()
        ));
    }
    boot_with(&orrery?, &topology)
}

/// Boots `topology` with the `orrery` binary at `orrery`, consoles passed through; its exit
/// code is the system's.
fn boot_with(orrery: &Path, topology: &Path) -> Result<ExitCode> {
    let status = Command::new(orrery)
        .arg("run")
        .arg(topology)
        .status()
        .map_err(|e| format!("cannot start {}: {e}", orrery.display()))?;
    Ok(exit_code_of(status))
}

/// Guest crates whose unit tests `cargo xtask test` runs on the host.
#[cfg(feature = "emulator")]
const GUEST_UNIT_TESTED: [&str; 7] = ["ox-abi", "ox-link", "ox-proto", "ox-fs", "ox-vm", "ox-ipc", "ox-mem"];

/// `test`: guest build, the reproducibility check, host tests (the host workspace — its
/// whole-system tests with the JIT —, the whole-system tests again with the interpreter, the
/// guest crates' unit tests: all built first, then run side by side by [`testrun`]; then the
/// doc tests), differential suite.
#[cfg(feature = "emulator")]
fn test() -> Result<ExitCode> {
    let tools = toolchain::cross()?;
    let built = guest::build(&tools, guest::Scope::All)?;
    // The snapshots below count instructions of images that must not depend on the checkout's
    // path: a second build at another path must give the same bytes.
    let reproducible = match repro::check(&tools, &built, false) {
        Ok(_) => true,
        Err(message) => {
            eprintln!("xtask: {message}");
            false
        }
    };
    let cargo = host_cargo();
    let guest_dir = built.ox32_dir.display().to_string();
    eprintln!("xtask: cargo test --workspace (ORRERY_GUEST_DIR={guest_dir})");
    let host = testrun::build(&cargo, &["--workspace"], &repo_root())?;
    // The guest crates that are plain logic (the ABI, the link transport, the message protocol, the
    // file system, the virtual memory) carry unit tests; they run on the host too.
    eprintln!("xtask: cargo test -p {} (guest crates, on the host)", GUEST_UNIT_TESTED.join(" -p "));
    let guest_target = repo_root().join("target/guest-host-tests").display().to_string();
    let mut guest_args = vec!["--target-dir", guest_target.as_str()];
    for package in GUEST_UNIT_TESTED {
        guest_args.extend(["-p", package]);
    }
    let guest_crates = testrun::build(&cargo, &guest_args, &repo_root().join("os"))?;
    // The whole-system tests run guest code with the JIT (where the host has one); the
    // interpreter must print the same, byte for byte: they run once more with it. They are
    // the long ones: they go first, each beside its run with the other engine (so that the
    // last to end are two of a kind), the short executables after them.
    let (mut whole_system, others): (Vec<_>, Vec<_>) =
        host.into_iter().partition(|b| b.package == "orrery-tests");
    whole_system.sort_by(|a, b| a.title.cmp(&b.title));
    let mut jobs = Vec::new();
    for binary in whole_system {
        if orrery_emulator::machine::JIT_SUPPORTED {
            jobs.push(testrun::Job { binary: binary.clone(), env: vec![("ORRERY_JIT", "off")] });
        }
        jobs.push(testrun::Job { binary, env: Vec::new() });
    }
    jobs.extend(
        others.into_iter().chain(guest_crates).map(|binary| testrun::Job { binary, env: Vec::new() }),
    );
    eprintln!("xtask: {} test executables, {} at a time", jobs.len(), testrun::JOBS);
    let started = Instant::now();
    let failed = testrun::run(jobs, &cargo, &[("ORRERY_GUEST_DIR", guest_dir.as_str())]);
    eprintln!("xtask: test executables: {:.1} s", started.elapsed().as_secs_f64());
    let doc = |dir: PathBuf, args: &[&str]| {
        Command::new(&cargo)
            .args(["test", "--doc", "--no-fail-fast"])
            .args(args)
            .current_dir(dir)
            .status()
            .map(|status| status.success())
            .map_err(|e| format!("cannot run {}: {e}", cargo.display()))
    };
    let docs_ok = doc(repo_root(), &["--workspace"])? & doc(repo_root().join("os"), &guest_args)?;
    for name in &failed {
        eprintln!("xtask: failed: {name}");
    }
    let host_ok = failed.is_empty() && docs_ok;
    if !host_ok {
        eprintln!("xtask: host tests failed; running the differential suite anyway");
    }
    let qemu = toolchain::qemu()?;
    let summary = difftest::run(&built, &qemu, &[], None)?;
    if !reproducible {
        eprintln!("xtask: the guest build is not reproducible (see the repro report above)");
    }
    if host_ok && reproducible && summary.failed == 0 {
        Ok(ExitCode::SUCCESS)
    } else {
        Ok(ExitCode::FAILURE)
    }
}

/// `difftest`: the differential suite alone.
#[cfg(feature = "emulator")]
fn difftest_only(names: &[String], jobs: Option<usize>) -> Result<ExitCode> {
    let built = build(guest::Scope::All)?;
    let qemu = toolchain::qemu()?;
    let summary = difftest::run(&built, &qemu, names, jobs)?;
    Ok(if summary.failed == 0 { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}

/// `toolchain`: what was found.
fn toolchain_report() -> Result<ExitCode> {
    let tools = toolchain::cross()?;
    println!("guest toolchain: {}", tools.describe());
    let qemu = toolchain::qemu()?;
    println!("qemu-riscv32:    {}", qemu.display());
    match toolchain::clang(false) {
        Ok(clang) => println!("clang:           {}", clang.display()),
        Err(e) => println!("clang:           not available ({e})"),
    }
    Ok(ExitCode::SUCCESS)
}

/// The cargo that runs this driver (the host toolchain).
pub fn host_cargo() -> PathBuf {
    std::env::var_os("CARGO").map(PathBuf::from).unwrap_or_else(|| PathBuf::from("cargo"))
}

/// Builds a host binary in release and returns its path in target/release. `behind` builds it
/// at the lowest CPU priority (`nice -n 19`, where there is a `nice`), so that what builds
/// beside it goes first.
pub(crate) fn host_binary(package: &str, bin: &str, behind: bool) -> Result<PathBuf> {
    let started = Instant::now();
    let build = |mut command: Command| {
        command
            .args(["build", "--quiet", "--release", "--package", package, "--bin", bin])
            .current_dir(repo_root())
            .status()
    };
    let plain = || build(Command::new(host_cargo()));
    let status = if behind {
        let mut nice = Command::new("nice");
        nice.args(["-n", "19"]).arg(host_cargo());
        match build(nice) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => plain(),
            other => other,
        }
    } else {
        plain()
    }
    .map_err(|e| format!("cannot run cargo: {e}"))?;
    if !status.success() {
        return Err(format!("building {bin} failed ({status})"));
    }
    log_time(&format!("host {bin}"), started);
    Ok(repo_root().join("target/release").join(bin))
}

/// The exit code a child's status stands for (a signal becomes 128 + its number, as a shell says).
pub(crate) fn exit_code_of(status: std::process::ExitStatus) -> ExitCode {
    use std::os::unix::process::ExitStatusExt;
    match (status.code(), status.signal()) {
        (Some(code), _) => ExitCode::from(code as u8),
        (None, Some(signal)) => ExitCode::from(128u8.wrapping_add(signal as u8)),
        (None, None) => ExitCode::FAILURE,
    }
}

/// Prints how long a step took (to stderr, so program output stays clean).
pub fn log_time(what: &str, started: Instant) {
    eprintln!("xtask: {what}: {:.2} s", started.elapsed().as_secs_f64());
}
