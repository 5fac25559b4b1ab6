//! The guest build: the workspace in `os/` built for RV32, then translated to ox32.
//!
//! Three phases, so that the central kernel can embed the user programs and the satellite
//! kernel:
//! 1. every package whose manifest is under `programs/user/` is built and translated into
//!    `target/ox32/user/<name>.elf`, and reduced to its loadable segments in
//!    `target/ox32/`[`USER_LOAD_DIR`]`/<name>.elf` (`orrery_toolchain::strip`), which is what
//!    the central kernel embeds and the disk holds (the full file keeps the symbols and debug
//!    information for a debugger);
//! 2. the satellite kernel ([`SATELLITE_PACKAGE`]) is built with the cargo profile
//!    [`KERNEL_PROFILE`] (fat LTO: small code, sent over every link at boot), translated into
//!    `target/ox32/satellite.elf`, and reduced to its loadable segments in
//!    `target/ox32/`[`SATELLITE_LOAD_IMAGE`] (`orrery_toolchain::strip`: no symbols or debug
//!    information, which the full file keeps for a debugger);
//! 3. the central kernel ([`KERNEL_PACKAGE`], with [`KERNEL_PROFILE`] beside the satellite
//!    kernel, whose dependencies it shares) and, at the same time, everything else (with
//!    `release`) are built, the central kernel with `ORRERY_USER_IMAGES` = the absolute path of
//!    `target/ox32/`[`USER_LOAD_DIR`] and `ORRERY_SATELLITE_IMAGE` = that of the reduced
//!    satellite kernel (its build script reads both; it embeds only what it sends), and
//!    translated into `target/ox32/<name>.elf`.
//!
//! After phase 1 the disk image `target/ox32/disk.img` ([`DISK_SIZE`], an `ox-fs` file system)
//! is built with every user program's loadable copy as `/bin/<name>` (see [`build_disk`]), the
//! same bytes for the same programs.
//!
//! The build is reproducible: the same sources and toolchain give the same bytes in every file
//! of `target/ox32` and every RV32 executable, wherever the repository lives — the paths in the
//! code are remapped to `/orrery` and each crate's identity is made path-independent by
//! [`crate::wrapper`]; `cargo xtask repro` checks it (docs/build.md). It is rebuilt only when a program is newer than it, so what a run wrote
//! on it stays across runs until the programs change (tests boot copies of it).
//!
//! Phases 1 and 2 run at once, the kernels in their own target directory
//! (`target/guest-kernel`). The RV32 executables stay in
//! `target/guest/riscv32ima-unknown-none-elf/release/` (the kernels' in
//! `target/guest-kernel/riscv32ima-unknown-none-elf/kernel/`). A
//! translation is skipped when its output is newer than both its input and this driver (the
//! translator is compiled into it), so a warm run only pays for cargo's own up-to-date check.

use std::fs;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Instant, SystemTime};

use orrery_toolchain::disk::{self, AddFile};
use orrery_toolchain::{rv2ox, strip};

use crate::toolchain::Cross;
use crate::{log_time, repo_root, wrapper, Result};

/// The package of the satellite kernel, which the central kernel embeds.
pub const SATELLITE_PACKAGE: &str = "ox-satellite";

/// The central kernel's package, the only one of the last phase a boot needs.
pub const KERNEL_PACKAGE: &str = "ox-kernel";

/// What a guest build makes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    /// Every executable of the guest workspace: the kernels, the user programs and the disk
    /// image, the differential programs and the `ox-bare` examples.
    All,
    /// What a boot of the OS needs: the kernels, the user programs and the disk image (`cargo
    /// xtask run`, which leaves out the differential programs and the bare-metal examples,
    /// about 25 s of a core on a fresh machine).
    Boot,
}

/// The cargo profile of both kernels and their dependencies (`os/Cargo.toml`).
pub const KERNEL_PROFILE: &str = "kernel";

/// The satellite kernel's loadable segments, which the central kernel embeds, in `target/ox32`.
pub const SATELLITE_LOAD_IMAGE: &str = "satellite.load.elf";

/// Size of the disk image in bytes.
pub const DISK_SIZE: u64 = 32 << 20;

/// The disk image's file name in `target/ox32`.
pub const DISK_IMAGE: &str = "disk.img";

/// The directory of `target/ox32` with the user programs' loadable copies.
pub const USER_LOAD_DIR: &str = "user.load";

/// One guest executable and its translation.
#[derive(Clone, Debug)]
pub struct Image {
    /// The package that built it.
    #[cfg_attr(
        not(feature = "emulator"),
        expect(dead_code, reason = "only the differential suite picks programs by package")
    )]
    pub package: String,
    /// The executable's name.
    pub name: String,
    /// The RV32 executable.
    pub rv: PathBuf,
    /// The ox32 executable.
    pub ox: PathBuf,
}

/// What a guest build produced.
pub struct Built {
    /// `target/ox32`, absolute.
    pub ox32_dir: PathBuf,
    /// Every executable of both phases.
    pub images: Vec<Image>,
}

/// An executable cargo reported.
pub struct Artifact {
    /// Its package's name.
    pub package: String,
    /// The binary target's name.
    pub name: String,
    /// The file.
    pub path: PathBuf,
}

/// Totals of the translations done in one run.
#[derive(Default)]
pub struct TranslateTotals {
    /// Images translated.
    pub images: usize,
    /// Images already up to date.
    pub up_to_date: usize,
    /// Instruction words translated.
    pub instructions: usize,
    /// Bytes of input read.
    pub bytes: u64,
    /// Time spent translating (reading, translating, writing).
    pub seconds: f64,
    /// Of that, time spent in the translator itself.
    pub translate_seconds: f64,
}

/// The guest target directory of the repository at `root`, `target/guest`.
pub fn guest_target_dir(root: &Path) -> PathBuf {
    root.join("target/guest")
}

/// The kernels' target directory, `target/guest-kernel`: apart from [`guest_target_dir`], so
/// that the satellite kernel builds beside the user programs (a cargo holds its target directory
/// for the whole of its build), and the central kernel beside the rest of the workspace.
pub fn kernel_target_dir(root: &Path) -> PathBuf {
    root.join("target/guest-kernel")
}

/// Builds the guest of this repository: both phases, translated.
pub fn build(tools: &Cross, scope: Scope) -> Result<Built> {
    build_at(tools, &repo_root(), scope)
}

/// Builds the guest of the repository at `root` (this one, or a copy of it) into its
/// `target/`: both phases, translated; `scope` says what the last phase builds.
pub fn build_at(tools: &Cross, root: &Path, scope: Scope) -> Result<Built> {
    let os = root.join("os");
    let ox32_dir = root.join("target/ox32");
    let user_dir = ox32_dir.join("user");
    let load_dir = ox32_dir.join(USER_LOAD_DIR);
    for dir in [&user_dir, &load_dir] {
        fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }

    check_recipe(root)?;
    let user_packages = user_packages(tools, root)?;
    let mut totals = TranslateTotals::default();
    let mut images = Vec::new();

    // Phases 1 and 2 build at once, each in its own target directory: each spends much of its
    // time in one crate at a time (`core`, a kernel), so the two keep two cores busy.
    let mut satellite_args =
        vec!["build".to_string(), "--package".to_string(), SATELLITE_PACKAGE.to_string()];
    satellite_args.extend(Cross::build_args_for(KERNEL_PROFILE));
    let kernel_dir = kernel_target_dir(root);
    let (satellite_artifacts, user_artifacts) = at_once(
        "the satellite kernel's build",
        || {
            let started = Instant::now();
            let built = cargo_build(tools, root, &os, &kernel_dir, &satellite_args, &[]);
            log_time("guest build, phase 2 (satellite kernel)", started);
            built
        },
        || {
            if user_packages.is_empty() {
                return Ok(Vec::new());
            }
            let mut args = vec!["build".to_string()];
            args.extend(Cross::build_args());
            for package in &user_packages {
                args.extend(["--package".to_string(), package.clone()]);
            }
            let started = Instant::now();
            let built = cargo_build(tools, root, &os, &guest_target_dir(root), &args, &[]);
            log_time("guest build, phase 1 (programs/user)", started);
            built
        },
    );
    let programs = translate_all(&user_artifacts?, &user_dir, &mut totals)?;
    for program in &programs {
        strip_loadable(&program.ox, &load_dir.join(format!("{}.elf", program.name)))?;
    }
    images.extend(programs);
    build_disk(&load_dir, &ox32_dir.join(DISK_IMAGE))?;

    let satellite = translate_all(&satellite_artifacts?, &ox32_dir, &mut totals)?;
    let satellite_image = match satellite.as_slice() {
        [image] => strip_loadable(&image.ox, &ox32_dir.join(SATELLITE_LOAD_IMAGE))?,
        other => {
            return Err(format!(
                "{SATELLITE_PACKAGE} built {} executables; the central kernel embeds exactly one",
                other.len()
            ))
        }
    };
    images.extend(satellite);

    let env = [
        ("ORRERY_USER_IMAGES", load_dir.as_os_str()),
        ("ORRERY_SATELLITE_IMAGE", satellite_image.as_os_str()),
    ];
    // The central kernel builds with the kernels' profile beside the satellite kernel (whose
    // dependencies it shares there), at the same time as the rest of the workspace.
    let mut kernel_args = vec!["build".to_string(), "--package".to_string(), KERNEL_PACKAGE.to_string()];
    kernel_args.extend(Cross::build_args_for(KERNEL_PROFILE));
    let rest_args = match scope {
        Scope::All => {
            let mut args = vec!["build".to_string(), "--workspace".to_string()];
            let excluded =
                user_packages.iter().map(String::as_str).chain([SATELLITE_PACKAGE, KERNEL_PACKAGE]);
            for package in excluded {
                args.extend(["--exclude".to_string(), package.to_string()]);
            }
            args.extend(Cross::build_args());
            Some(args)
        }
        Scope::Boot => None,
    };
    let started = Instant::now();
    let (kernel_artifacts, rest_artifacts) = at_once(
        "the central kernel's build",
        || {
            let started = Instant::now();
            let built = cargo_build(tools, root, &os, &kernel_dir, &kernel_args, &env);
            log_time("guest build, phase 3 (central kernel)", started);
            built
        },
        || match &rest_args {
            Some(args) => cargo_build(tools, root, &os, &guest_target_dir(root), args, &[]),
            None => Ok(Vec::new()),
        },
    );
    log_time("guest build", started);
    images.extend(translate_all(&kernel_artifacts?, &ox32_dir, &mut totals)?);
    images.extend(translate_all(&rest_artifacts?, &ox32_dir, &mut totals)?);

    if totals.images > 0 {
        eprintln!(
            "xtask: rv2ox: {} image(s) translated ({} up to date): {} instructions in {:.1} MiB of ELF, \
             {:.1} ms with file I/O, {:.1} ms translating ({:.1} M instructions/s)",
            totals.images,
            totals.up_to_date,
            totals.instructions,
            totals.bytes as f64 / (1 << 20) as f64,
            totals.seconds * 1e3,
            totals.translate_seconds * 1e3,
            totals.instructions as f64 / totals.translate_seconds.max(1e-9) / 1e6
        );
    } else {
        eprintln!("xtask: rv2ox: all {} image(s) up to date", totals.up_to_date);
    }
    Ok(Built { ox32_dir, images })
}

/// Runs `spawned` on a thread of its own while `here` runs on this one — two cargo builds in
/// different target directories, which keep two cores busy — and gives both results,
/// `spawned`'s first; a panic of `spawned` (`what`) is an error.
fn at_once<T: Send>(
    what: &str,
    spawned: impl FnOnce() -> Result<T> + Send,
    here: impl FnOnce() -> Result<T>,
) -> (Result<T>, Result<T>) {
    std::thread::scope(|scope| {
        let spawned = scope.spawn(spawned);
        let here = here();
        (spawned.join().unwrap_or_else(|_| Err(format!("{what} panicked"))), here)
    })
}

/// Empties the guest target directories of `root` when they were built with another recipe of
/// crate identities than [`wrapper::RECIPE`] (or before there was one), and records the current
/// one.
fn check_recipe(root: &Path) -> Result<()> {
    for dir in [guest_target_dir(root), kernel_target_dir(root)] {
        check_recipe_of(&dir)?;
    }
    Ok(())
}

/// [`check_recipe`] for the target directory `dir`.
fn check_recipe_of(dir: &Path) -> Result<()> {
    let stamp = dir.join("orrery-recipe");
    if fs::read_to_string(&stamp).is_ok_and(|recipe| recipe == wrapper::RECIPE) {
        return Ok(());
    }
    if dir.exists() {
        eprintln!(
            "xtask: {} was built with another recipe of crate identities: building afresh",
            dir.display()
        );
        fs::remove_dir_all(dir).map_err(|e| format!("cannot empty {}: {e}", dir.display()))?;
    }
    fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    fs::write(&stamp, wrapper::RECIPE).map_err(|e| format!("cannot write {}: {e}", stamp.display()))
}

/// Whether `ox` is there and `stamp` says it was translated from what `origin` describes.
fn is_translated(ox: &Path, stamp: &Path, origin: Option<&str>) -> bool {
    ox.exists() && origin.is_some() && fs::read_to_string(stamp).ok().as_deref() == origin
}

/// What a translation of `rv` depends on, as [`translate`] keeps it: the length and time of
/// change of `rv` and of this driver (`None` if either cannot be read).
fn origin(rv: &Path) -> Option<String> {
    let stamp = |p: &Path| {
        let meta = fs::metadata(p).ok()?;
        let changed = meta.modified().ok()?.duration_since(SystemTime::UNIX_EPOCH).ok()?;
        Some(format!("{} {}", meta.len(), changed.as_nanos()))
    };
    let driver = std::env::current_exe().ok()?;
    Some(format!("{}\n{}\n", stamp(rv)?, stamp(&driver)?))
}

/// Writes the loadable segments of the executable `elf` to `out` (unless `out` is already
/// newer) and returns `out`.
fn strip_loadable(elf: &Path, out: &Path) -> Result<PathBuf> {
    let modified = |p: &Path| fs::metadata(p).and_then(|m| m.modified()).ok();
    if let (Some(done), Some(input)) = (modified(out), modified(elf)) {
        if done >= input {
            return Ok(out.to_path_buf());
        }
    }
    let bytes = fs::read(elf).map_err(|e| format!("cannot read {}: {e}", elf.display()))?;
    let loadable = strip::loadable(&bytes).map_err(|e| format!("{}: {e}", elf.display()))?;
    let partial = out.with_extension("elf.partial");
    fs::write(&partial, &loadable).map_err(|e| format!("cannot write {}: {e}", partial.display()))?;
    fs::rename(&partial, out).map_err(|e| format!("cannot rename to {}: {e}", out.display()))?;
    Ok(out.to_path_buf())
}

/// Builds the disk image `image`: an empty `ox-fs` of [`DISK_SIZE`] bytes with every
/// `<name>.elf` of `user_dir` as `/bin/<name>`, in name order (`oxdisk create IMAGE --size 32M
/// --file ...` through the toolchain's library). Skipped when the image is newer than every
/// program and this driver, so a run's writes persist until the programs change.
pub fn build_disk(user_dir: &Path, image: &Path) -> Result<()> {
    let modified = |p: &Path| fs::metadata(p).and_then(|m| m.modified()).ok();
    let programs = programs_in(user_dir)?;
    let driver = std::env::current_exe().ok().and_then(|p| modified(&p));
    if let Some(built) = modified(image) {
        let newest = programs.iter().filter_map(|p| modified(p)).chain(driver).max();
        if newest.is_none_or(|newest| built >= newest) {
            return Ok(());
        }
    }
    let started = Instant::now();
    let bytes = disk_image_of(&programs)?;
    let partial = image.with_extension("img.partial");
    fs::write(&partial, &bytes).map_err(|e| format!("cannot write {}: {e}", partial.display()))?;
    fs::rename(&partial, image).map_err(|e| format!("cannot rename to {}: {e}", image.display()))?;
    log_time(&format!("disk image {} ({} programs in /bin)", image.display(), programs.len()), started);
    Ok(())
}

/// The bytes of the disk image [`build_disk`] makes from the programs of `user_dir`.
pub fn disk_image(user_dir: &Path) -> Result<Vec<u8>> {
    disk_image_of(&programs_in(user_dir)?)
}

/// The `<name>.elf` files of `dir`, sorted.
pub fn programs_in(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut programs: Vec<PathBuf> = fs::read_dir(dir)
        .map_err(|e| format!("cannot list {}: {e}", dir.display()))?
        .flatten()
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|e| e == "elf"))
        .collect();
    programs.sort();
    Ok(programs)
}

/// An empty `ox-fs` of [`DISK_SIZE`] bytes with every program of `programs` as `/bin/<name>`.
fn disk_image_of(programs: &[PathBuf]) -> Result<Vec<u8>> {
    let mut files = Vec::new();
    for program in programs {
        let Some(name) = program.file_stem().and_then(|n| n.to_str()) else { continue };
        files.push(AddFile { host: program.clone(), path: format!("/bin/{name}") });
    }
    disk::create(DISK_SIZE, &files, &[]).map_err(|e| format!("disk image: {e}"))
}

/// The guest workspace's packages under `root/programs/user/`. A package directory there that
/// is not a member is an error (cargo would not build it).
fn user_packages(tools: &Cross, root: &Path) -> Result<Vec<String>> {
    let os = root.join("os");
    let output = tools
        .cargo(root)?
        .args(["metadata", "--format-version", "1", "--no-deps", "--offline"])
        .current_dir(&os)
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("cannot run cargo metadata: {e}"))?;
    if !output.status.success() {
        return Err(format!("cargo metadata failed in {} ({})", os.display(), output.status));
    }
    let metadata: serde_json::Value = serde_json::from_slice(&output.stdout)
        .map_err(|e| format!("cargo metadata: unreadable output: {e}"))?;
    let user_root = root.join("programs/user");
    let mut packages = Vec::new();
    let mut member_dirs = Vec::new();
    for package in metadata["packages"].as_array().into_iter().flatten() {
        let (Some(name), Some(manifest)) = (package["name"].as_str(), package["manifest_path"].as_str())
        else {
            continue;
        };
        let manifest = Path::new(manifest);
        if let Some(dir) = manifest.parent() {
            member_dirs.push(fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf()));
        }
        if manifest.starts_with(&user_root) {
            packages.push(name.to_string());
        }
    }
    if let Ok(entries) = fs::read_dir(&user_root) {
        for entry in entries.flatten() {
            let dir = entry.path();
            let canonical = fs::canonicalize(&dir).unwrap_or_else(|_| dir.clone());
            if dir.join("Cargo.toml").is_file() && !member_dirs.contains(&canonical) {
                return Err(format!(
                    "{} is not a member of the guest workspace: add it to `members` in os/Cargo.toml",
                    dir.display()
                ));
            }
        }
    }
    packages.sort();
    Ok(packages)
}

/// Runs a guest `cargo` of the repository at `root` with `args` in `dir` and target directory
/// `target` and returns the executables it reports. Diagnostics and progress go to the
/// terminal.
pub fn cargo_build(
    tools: &Cross,
    root: &Path,
    dir: &Path,
    target: &Path,
    args: &[String],
    env: &[(&str, &std::ffi::OsStr)],
) -> Result<Vec<Artifact>> {
    let mut command = tools.cargo(root)?;
    command
        .args(args)
        .arg("--message-format=json-render-diagnostics")
        .env("CARGO_TARGET_DIR", target)
        .current_dir(dir);
    for (var, value) in env {
        command.env(var, value);
    }
    let (artifacts, status) = cargo_messages(&mut command, "the guest cargo", parse_artifact)?;
    if !status.success() {
        return Err(format!("the guest build failed ({status}) in {}", dir.display()));
    }
    Ok(artifacts)
}

/// Runs `command`, a cargo (`what`, in errors) with `--message-format=json…`, its standard
/// error passed through; what `pick` takes from each line of its messages, in order, and how
/// it ended.
pub(crate) fn cargo_messages<T>(
    command: &mut Command,
    what: &str,
    pick: impl Fn(&str) -> Option<T>,
) -> Result<(Vec<T>, ExitStatus)> {
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| format!("cannot run {what}: {e}"))?;
    let mut picked = Vec::new();
    if let Some(stdout) = child.stdout.take() {
        for line in BufReader::new(stdout).lines() {
            let line = line.map_err(|e| format!("reading cargo's output: {e}"))?;
            picked.extend(pick(&line));
        }
    }
    let status = child.wait().map_err(|e| format!("waiting for cargo: {e}"))?;
    Ok((picked, status))
}

/// An executable from one line of cargo's JSON messages.
fn parse_artifact(line: &str) -> Option<Artifact> {
    let message: serde_json::Value = serde_json::from_str(line).ok()?;
    if message["reason"] != "compiler-artifact" {
        return None;
    }
    let path = message["executable"].as_str()?;
    let name = message["target"]["name"].as_str()?.to_string();
    // "package_id" is "path+file:///...#name@version" (or the older "name version (source)").
    let id = message["package_id"].as_str().unwrap_or_default();
    let package = id
        .rsplit_once('#')
        .map(|(_, tail)| tail.split('@').next().unwrap_or(tail).to_string())
        .or_else(|| id.split(' ').next().map(str::to_string))
        .unwrap_or_default();
    Some(Artifact { package, name, path: PathBuf::from(path) })
}

fn translate_all(artifacts: &[Artifact], out_dir: &Path, totals: &mut TranslateTotals) -> Result<Vec<Image>> {
    let mut images = Vec::new();
    for artifact in artifacts {
        let ox = out_dir.join(format!("{}.elf", artifact.name));
        translate(&artifact.path, &ox, totals)?;
        images.push(Image {
            package: artifact.package.clone(),
            name: artifact.name.clone(),
            rv: artifact.path.clone(),
            ox,
        });
    }
    Ok(images)
}

/// Translates `rv` into `ox` unless `ox` was translated from this very `rv` by this driver:
/// their lengths and times of change are kept beside it, in `<ox>.from` ([`origin`]). An
/// output newer than its input is not enough: when a build goes back to settings it built
/// before (a profile's `opt-level`, say), cargo hands back the artifact it kept from then,
/// with that time of change, older than the output translated since from other settings.
pub fn translate(rv: &Path, ox: &Path, totals: &mut TranslateTotals) -> Result<()> {
    let stamp = ox.with_extension("elf.from");
    let origin = origin(rv);
    if is_translated(ox, &stamp, origin.as_deref()) {
        totals.up_to_date += 1;
        return Ok(());
    }
    let started = Instant::now();
    let bytes = fs::read(rv).map_err(|e| format!("cannot read {}: {e}", rv.display()))?;
    let translating = Instant::now();
    let (out, stats) =
        rv2ox::translate_elf_with_stats(&bytes).map_err(|e| format!("rv2ox: {}:\n{e}", rv.display()))?;
    totals.translate_seconds += translating.elapsed().as_secs_f64();
    let partial = ox.with_extension("elf.partial");
    fs::write(&partial, &out).map_err(|e| format!("cannot write {}: {e}", partial.display()))?;
    fs::rename(&partial, ox).map_err(|e| format!("cannot rename to {}: {e}", ox.display()))?;
    if let Some(origin) = origin {
        fs::write(&stamp, origin).map_err(|e| format!("cannot write {}: {e}", stamp.display()))?;
    }
    totals.images += 1;
    totals.instructions += stats.instructions;
    totals.bytes += bytes.len() as u64;
    totals.seconds += started.elapsed().as_secs_f64();
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::fs::{self, File};
    use std::time::{Duration, SystemTime};

    use super::{is_translated, origin};

    /// The bug this stamp mends: an input that changes to an *older* file (cargo's artifact
    /// kept from an earlier build with other settings) must be translated again.
    #[test]
    fn an_input_older_than_its_translation_is_translated_again() {
        let dir = std::env::temp_dir().join(format!("orrery-xtask-stamp-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let (rv, ox, stamp) = (dir.join("prog"), dir.join("prog.elf"), dir.join("prog.elf.from"));
        fs::write(&rv, b"settings one").unwrap();
        fs::write(&ox, b"translated").unwrap();
        assert!(!is_translated(&ox, &stamp, origin(&rv).as_deref()), "no stamp yet");
        fs::write(&stamp, origin(&rv).unwrap()).unwrap();
        assert!(is_translated(&ox, &stamp, origin(&rv).as_deref()));

        fs::write(&rv, b"settings two").unwrap();
        let earlier = SystemTime::now() - Duration::from_secs(3600);
        File::options().write(true).open(&rv).unwrap().set_modified(earlier).unwrap();
        assert!(fs::metadata(&ox).unwrap().modified().unwrap() > earlier);
        assert!(!is_translated(&ox, &stamp, origin(&rv).as_deref()), "an older input is another input");

        fs::remove_file(&ox).unwrap();
        fs::write(&stamp, origin(&rv).unwrap()).unwrap();
        assert!(!is_translated(&ox, &stamp, origin(&rv).as_deref()), "no output, nothing up to date");
        fs::remove_dir_all(&dir).unwrap();
    }
}
