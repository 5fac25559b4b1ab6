//! Finding — or installing — the cross toolchain and the test tools.
//!
//! The guest is built for `riscv32ima-unknown-none-elf` with `-Zbuild-std=core,alloc`. The
//! search order (the brief's "How Rust gets onto ox32"):
//! 1. rustup with the target **and** `rust-src` installed: its `cargo`, linking with the
//!    target's default `rust-lld`;
//! 2. Debian's `rustc-web` packages: `/usr/bin/rustc`, `/usr/bin/cargo`, the library source in
//!    `/usr/lib/rustlib/src/rust/library`, and `/usr/lib/llvm-22/bin/ld.lld`;
//! 3. as root with apt: `apt-get update`, then `apt-get install -y rustc-web cargo-web
//!    rust-web-src lld-22` (each command is printed first), then 2;
//! 4. otherwise an error listing the commands to run.
//!
//! The test tools follow the same pattern: `qemu-riscv32` (package `qemu-user`) and, for C
//! programs, `clang-22` (package `clang-22`).
//!
//! rustup's shims come first on PATH, so Debian's binaries are always named by full path, and
//! the variables cargo sets for the process it runs (`CARGO`, `RUSTC`, `CARGO_PKG_*`...) are
//! removed before the guest cargo starts.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::{wrapper, Result};

/// The guest target.
pub const TARGET: &str = "riscv32ima-unknown-none-elf";

const DEBIAN_RUSTC: &str = "/usr/bin/rustc";
const DEBIAN_CARGO: &str = "/usr/bin/cargo";
const DEBIAN_RUST_SRC: &str = "/usr/lib/rustlib/src/rust/library";
const DEBIAN_LLD: &str = "/usr/lib/llvm-22/bin/ld.lld";
const DEBIAN_PACKAGES: [&str; 4] = ["rustc-web", "cargo-web", "rust-web-src", "lld-22"];
const CLANG: &str = "/usr/bin/clang-22";

/// Variables a parent cargo sets that must not leak into the guest build.
const CARGO_RUN_VARS: [&str; 14] = [
    "CARGO",
    "CARGO_MANIFEST_DIR",
    "CARGO_MANIFEST_PATH",
    "CARGO_CRATE_NAME",
    "CARGO_BIN_NAME",
    "CARGO_PRIMARY_PACKAGE",
    "CARGO_TARGET_DIR",
    "CARGO_BUILD_TARGET",
    "CARGO_ENCODED_RUSTFLAGS",
    "RUSTFLAGS",
    "RUSTC",
    "RUSTC_WRAPPER",
    "RUSTC_WORKSPACE_WRAPPER",
    "RUSTDOC",
];

/// Which cross toolchain was found.
#[derive(Clone, Debug)]
pub enum Cross {
    /// rustup's active toolchain, with the target and rust-src.
    Rustup,
    /// Debian's rustc-web packages.
    Debian,
}

impl Cross {
    /// One line saying what is used.
    pub fn describe(&self) -> String {
        match self {
            Cross::Rustup => format!("rustup (cargo with target {TARGET} and rust-src, rust-lld)"),
            Cross::Debian => format!("Debian rustc-web ({DEBIAN_RUSTC}, {DEBIAN_RUST_SRC}, {DEBIAN_LLD})"),
        }
    }

    /// A `cargo` command for the guest of the repository at `root`: the right binary and
    /// environment, `-Zbuild-std` allowed, and the build independent of where `root` is.
    pub fn cargo(&self, root: &Path) -> Result<Command> {
        let mut command = match self {
            Cross::Rustup => Command::new("cargo"),
            Cross::Debian => {
                let mut command = Command::new(DEBIAN_CARGO);
                command.env("RUSTC", DEBIAN_RUSTC);
                command.env(format!("CARGO_TARGET_{}_LINKER", env_target()), DEBIAN_LLD);
                command
            }
        };
        for var in CARGO_RUN_VARS {
            if !(var == "RUSTC" && matches!(self, Cross::Debian)) {
                command.env_remove(var);
            }
        }
        for (var, _) in std::env::vars_os() {
            if var.to_string_lossy().starts_with("CARGO_PKG_") {
                command.env_remove(var);
            }
        }
        // -Zbuild-std needs nightly features: the bootstrap switch enables them on a stable rustc.
        command.env("RUSTC_BOOTSTRAP", "1");
        // Source paths end up in the images (panic locations, debug information), so a checkout
        // elsewhere, or crates.io's sources under another user's home, would build different
        // bytes; naming the repository `/orrery` and cargo's home `/cargo` in the guest code
        // makes them the same wherever the repository lives and whoever builds it. (Encoded
        // flags, separated by 0x1f, so that paths may hold spaces.)
        let mut remaps = vec![format!("--remap-path-prefix={}=/orrery", root.display())];
        if let Some(home) = cargo_home() {
            remaps.push(format!("--remap-path-prefix={}=/cargo", home.display()));
        }
        command.env("CARGO_ENCODED_RUSTFLAGS", remaps.join("\x1f"));
        // So do the crates' identities (symbol names): this driver, as rustc's wrapper, gives
        // the repository's crates identities that do not depend on `root` (see `wrapper`).
        let driver =
            std::env::current_exe().map_err(|e| format!("cannot find this driver's executable: {e}"))?;
        command.env("RUSTC_WRAPPER", driver);
        command.env(wrapper::ROOT_VAR, root);
        Ok(command)
    }

    /// The arguments every guest build takes after `build`.
    pub fn build_args() -> Vec<String> {
        Cross::build_args_for("release")
    }

    /// The arguments of a guest build with the cargo profile `profile` (defined in
    /// `os/Cargo.toml`) instead of `release`.
    pub fn build_args_for(profile: &str) -> Vec<String> {
        [
            "--profile",
            profile,
            "--target",
            TARGET,
            "-Zbuild-std=core,alloc",
            "-Zbuild-std-features=compiler-builtins-mem",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect()
    }
}

/// Cargo's home, where it unpacks crates.io's sources: `CARGO_HOME`, else `~/.cargo`.
fn cargo_home() -> Option<PathBuf> {
    std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cargo")))
}

/// The target in the form of a cargo environment variable.
fn env_target() -> String {
    TARGET.to_uppercase().replace('-', "_")
}

/// Finds the cross toolchain, installing Debian's when that is possible.
pub fn cross() -> Result<Cross> {
    if rustup_has_target() {
        return Ok(Cross::Rustup);
    }
    if debian_present() {
        return Ok(Cross::Debian);
    }
    if can_apt() {
        apt_install(&DEBIAN_PACKAGES)?;
        if debian_present() {
            return Ok(Cross::Debian);
        }
        return Err(format!(
            "installed {} but {DEBIAN_RUSTC}, {DEBIAN_CARGO}, {DEBIAN_RUST_SRC} or {DEBIAN_LLD} is still missing",
            DEBIAN_PACKAGES.join(" ")
        ));
    }
    Err(format!(
        "no cross toolchain for {TARGET}. Either\n  rustup target add {TARGET} && rustup component add \
         rust-src\nor, as root on Debian,\n  apt-get update && apt-get install -y {}",
        DEBIAN_PACKAGES.join(" ")
    ))
}

/// Finds `qemu-riscv32`, installing `qemu-user` when that is possible.
pub fn qemu() -> Result<PathBuf> {
    if let Some(path) = on_path("qemu-riscv32") {
        return Ok(path);
    }
    if can_apt() {
        apt_install(&["qemu-user"])?;
        if let Some(path) = on_path("qemu-riscv32") {
            return Ok(path);
        }
    }
    Err("qemu-riscv32 not found; as root on Debian: apt-get update && apt-get install -y qemu-user".into())
}

/// Finds `clang-22`; with `install`, installs it when that is possible.
pub fn clang(install: bool) -> Result<PathBuf> {
    if Path::new(CLANG).exists() {
        return Ok(PathBuf::from(CLANG));
    }
    if install && can_apt() {
        apt_install(&["clang-22"])?;
        if Path::new(CLANG).exists() {
            return Ok(PathBuf::from(CLANG));
        }
    }
    Err(format!("{CLANG} not found; as root on Debian: apt-get update && apt-get install -y clang-22"))
}

fn rustup_has_target() -> bool {
    let installed = |args: &[&str], wanted: &str| {
        Command::new("rustup")
            .args(args)
            .output()
            .ok()
            .filter(|out| out.status.success())
            .map(|out| String::from_utf8_lossy(&out.stdout).lines().any(|l| l.trim().starts_with(wanted)))
            .unwrap_or(false)
    };
    installed(&["target", "list", "--installed"], TARGET)
        && installed(&["component", "list", "--installed"], "rust-src")
}

fn debian_present() -> bool {
    [DEBIAN_RUSTC, DEBIAN_CARGO, DEBIAN_LLD].iter().all(|p| Path::new(p).exists())
        && Path::new(DEBIAN_RUST_SRC).join("core").is_dir()
}

/// Whether packages can be installed here: root, with apt-get.
fn can_apt() -> bool {
    let root = Command::new("id")
        .arg("-u")
        .output()
        .map(|out| String::from_utf8_lossy(&out.stdout).trim() == "0")
        .unwrap_or(false);
    root && on_path("apt-get").is_some()
}

/// `apt-get update` has been run by this process.
static APT_UPDATED: AtomicBool = AtomicBool::new(false);

fn apt_install(packages: &[&str]) -> Result<()> {
    if !APT_UPDATED.swap(true, Ordering::SeqCst) {
        run_printed(Command::new("apt-get").arg("update"))?;
    }
    run_printed(Command::new("apt-get").args(["install", "-y"]).args(packages))
}

fn run_printed(command: &mut Command) -> Result<()> {
    command.env("DEBIAN_FRONTEND", "noninteractive");
    let shown = format!(
        "{} {}",
        command.get_program().to_string_lossy(),
        command.get_args().map(|a| a.to_string_lossy()).collect::<Vec<_>>().join(" ")
    );
    eprintln!("xtask: installing: {shown}");
    let status = command.status().map_err(|e| format!("cannot run {shown}: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("`{shown}` failed ({status})"))
    }
}

/// The first `name` on PATH.
pub fn on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).map(|dir| dir.join(name)).find(|p| p.is_file())
}
