//! `cargo xtask bench-os`: boots the default topology with `satbench` (programs/user/satbench)
//! as init and prints its table — the figures of docs/satellites.md. The disk is a copy of the
//! built one made for the run (`target/ox32/bench.img`: every program in `/bin`, `/bin/init`
//! being `satbench`), and the topology is `topologies/default.toml` with that disk, so the
//! system, and hence every figure, is the one the tests boot. Everything is virtual time: the
//! table is the same on every run and on every host.

use std::fs;
use std::path::Path;
use std::process::ExitCode;

use orrery_toolchain::disk::{self, AddFile};

use crate::guest::{Built, DISK_SIZE, USER_LOAD_DIR};
use crate::{repo_root, Result};

/// The program run as init.
const PROGRAM: &str = "satbench";

/// Builds the bench disk and topology from `built` and boots it with the `orrery` binary.
pub fn bench_os(built: &Built) -> Result<ExitCode> {
    let user_dir = built.ox32_dir.join(USER_LOAD_DIR);
    let mut files = Vec::new();
    let entries = fs::read_dir(&user_dir).map_err(|e| format!("cannot list {}: {e}", user_dir.display()))?;
    let mut programs: Vec<_> = entries
        .flatten()
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|e| e == "elf"))
        .collect();
    programs.sort();
    for program in programs {
        let Some(name) = program.file_stem().and_then(|n| n.to_str()).map(str::to_string) else { continue };
        if name == "init" {
            continue;
        }
        if name == PROGRAM {
            files.push(AddFile { host: program.clone(), path: "/bin/init".to_string() });
        }
        files.push(AddFile { host: program, path: format!("/bin/{name}") });
    }
    if !files.iter().any(|f| f.path == "/bin/init") {
        return Err(format!("{} has no {PROGRAM}.elf", user_dir.display()));
    }
    let image = built.ox32_dir.join("bench.img");
    let bytes = disk::create(DISK_SIZE, &files, &[]).map_err(|e| format!("bench disk: {e}"))?;
    fs::write(&image, bytes).map_err(|e| format!("cannot write {}: {e}", image.display()))?;
    let topology = bench_topology(&built.ox32_dir, &image)?;
    crate::boot(&topology)
}

/// `topologies/default.toml` with the kernel of `ox32_dir` and the disk `image`, written next
/// to them; returns its path.
fn bench_topology(ox32_dir: &Path, image: &Path) -> Result<std::path::PathBuf> {
    let default = repo_root().join("topologies/default.toml");
    let text = fs::read_to_string(&default).map_err(|e| format!("{}: {e}", default.display()))?;
    let rom = repo_root().join("os/bootrom/bootrom.s");
    let text = text
        .replace("\"../target/ox32/kernel.elf\"", &format!("{:?}", ox32_dir.join("kernel.elf")))
        .replace("\"../target/ox32/disk.img\"", &format!("{image:?}"))
        .replace("\"../os/bootrom/bootrom.s\"", &format!("{rom:?}"));
    let path = ox32_dir.join("bench.toml");
    fs::write(&path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    Ok(path)
}
