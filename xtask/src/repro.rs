//! `cargo xtask repro`: checks that the guest build does not depend on where the repository
//! lives.
//!
//! The repository's files (those git tracks, and untracked ones it does not ignore, as they are
//! in the working tree) are copied into a second folder whose path has another length, the guest
//! is built there from scratch with the same toolchain, and every output is compared byte for
//! byte with this checkout's: each RV32 executable, each translated ox32 executable, the
//! loadable copies the central kernel embeds, and the disk image made from them (made afresh on
//! both sides, since runs write to `target/ox32/disk.img`). `cargo xtask test` runs it after its
//! own build; docs/build.md states the guarantee.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use crate::guest::{self, Built, USER_LOAD_DIR};
use crate::toolchain::Cross;
use crate::{log_time, repo_root, Result};

/// The name of the copy's folder under the temporary directory's `orrery-repro-PID/`.
const COPY_NAME: &str = "a-second-clone-of-the-repository";

/// One output compared on both sides.
struct Output {
    /// Its path relative to the repository root (or a name, for the disk made in memory).
    name: String,
    /// Its bytes here.
    here: Vec<u8>,
    /// Its bytes in the copy.
    there: Vec<u8>,
}

/// Copies the repository, builds the copy's guest and compares it with `built` (this
/// checkout's build). Returns the number of identical outputs, or an error naming every
/// output that differs. The copy is removed afterwards unless `keep`.
pub fn check(tools: &Cross, built: &Built, keep: bool) -> Result<usize> {
    let root = repo_root();
    let copy = copy_path(&root);
    let started = Instant::now();
    let files = copy_tree(&root, &copy)?;
    log_time(&format!("repro: {files} files copied to {}", copy.display()), started);
    eprintln!("xtask: repro: building the guest again in {}", copy.display());
    let result = guest::build_at(tools, &copy, guest::Scope::All)
        .and_then(|there| compare(&root, built, &copy, &there));
    if keep {
        eprintln!("xtask: repro: the copy stays in {}", copy.display());
    } else if let Some(parent) = copy.parent() {
        let _ = fs::remove_dir_all(parent);
    }
    result
}

/// A folder for the copy whose path differs in length from `root`'s.
fn copy_path(root: &Path) -> PathBuf {
    let base = std::env::temp_dir().join(format!("orrery-repro-{}", std::process::id()));
    let mut copy = base.join(COPY_NAME);
    if copy.as_os_str().len() == root.as_os_str().len() {
        copy = base.join(format!("{COPY_NAME}-2"));
    }
    copy
}

/// Copies the files of the repository at `root` (git's tracked and unignored untracked files,
/// as they are in the working tree) to `to`; returns how many.
fn copy_tree(root: &Path, to: &Path) -> Result<usize> {
    let output = Command::new("git")
        .args(["ls-files", "-z", "--cached", "--others", "--exclude-standard"])
        .current_dir(root)
        .output()
        .map_err(|e| format!("repro: cannot run git (the check copies the files git knows): {e}"))?;
    if !output.status.success() {
        return Err(format!("repro: `git ls-files` failed in {} ({})", root.display(), output.status));
    }
    if to.exists() {
        fs::remove_dir_all(to).map_err(|e| format!("repro: cannot empty {}: {e}", to.display()))?;
    }
    let mut copied = 0;
    for name in output.stdout.split(|&b| b == 0).filter(|n| !n.is_empty()) {
        let name = String::from_utf8_lossy(name);
        let from = root.join(name.as_ref());
        // A tracked file deleted in the working tree is not part of what is built.
        if !from.is_file() {
            continue;
        }
        let dest = to.join(name.as_ref());
        if let Some(dir) = dest.parent() {
            fs::create_dir_all(dir).map_err(|e| format!("repro: cannot create {}: {e}", dir.display()))?;
        }
        fs::copy(&from, &dest).map_err(|e| format!("repro: cannot copy {}: {e}", from.display()))?;
        copied += 1;
    }
    Ok(copied)
}

/// Compares every output of `here` (built at `root`) with `there` (built at `copy`).
fn compare(root: &Path, here: &Built, copy: &Path, there: &Built) -> Result<usize> {
    let mut paths: Vec<PathBuf> = Vec::new();
    for image in &here.images {
        paths.push(image.rv.clone());
        paths.push(image.ox.clone());
    }
    for entry in fs::read_dir(here.ox32_dir.join(USER_LOAD_DIR)).map_err(|e| format!("repro: {e}"))?.flatten()
    {
        paths.push(entry.path());
    }
    paths.push(here.ox32_dir.join(guest::SATELLITE_LOAD_IMAGE));
    paths.sort();
    paths.dedup();

    let mut outputs = Vec::new();
    for path in &paths {
        let relative = path
            .strip_prefix(root)
            .map_err(|_| format!("repro: {} is not inside {}", path.display(), root.display()))?;
        let read = |p: &Path| fs::read(p).map_err(|e| format!("repro: cannot read {}: {e}", p.display()));
        outputs.push(Output {
            name: relative.display().to_string(),
            here: read(path)?,
            there: read(&copy.join(relative))?,
        });
    }
    let disk = |built: &Built| guest::disk_image(&built.ox32_dir.join(USER_LOAD_DIR));
    outputs.push(Output {
        name: format!("the disk image ({})", guest::DISK_IMAGE),
        here: disk(here)?,
        there: disk(there)?,
    });
    if there.images.len() != here.images.len() {
        return Err(format!(
            "repro: the copy built {} executables, this checkout {}",
            there.images.len(),
            here.images.len()
        ));
    }

    let differing: Vec<String> = outputs.iter().filter_map(describe_difference).collect();
    if differing.is_empty() {
        eprintln!(
            "xtask: repro: {} outputs byte-identical in {} and {}",
            outputs.len(),
            root.display(),
            copy.display()
        );
        Ok(outputs.len())
    } else {
        Err(format!(
            "the guest build depends on where the repository lives: {} of {} outputs differ between {} and {}:\n  {}",
            differing.len(),
            outputs.len(),
            root.display(),
            copy.display(),
            differing.join("\n  ")
        ))
    }
}

/// What differs between the two sides of `output`, or `None` when they are identical.
fn describe_difference(output: &Output) -> Option<String> {
    if output.here == output.there {
        return None;
    }
    let first = output
        .here
        .iter()
        .zip(&output.there)
        .position(|(a, b)| a != b)
        .unwrap_or(output.here.len().min(output.there.len()));
    Some(format!(
        "{}: {} bytes here, {} there, first difference at offset {first:#x}",
        output.name,
        output.here.len(),
        output.there.len()
    ))
}

#[cfg(test)]
mod tests {
    use super::{copy_path, describe_difference, Output};
    use std::path::Path;

    #[test]
    fn the_copy_has_another_length() {
        let copy = copy_path(Path::new("/work/main"));
        assert_ne!(copy.as_os_str().len(), "/work/main".len());
        let same_length = "x".repeat(copy.as_os_str().len());
        assert_ne!(copy_path(Path::new(&same_length)).as_os_str().len(), same_length.len());
    }

    #[test]
    fn a_difference_names_its_offset() {
        let same = Output { name: "a".into(), here: vec![1, 2, 3], there: vec![1, 2, 3] };
        assert_eq!(describe_difference(&same), None);
        let changed = Output { name: "a".into(), here: vec![1, 2, 3], there: vec![1, 9, 3, 4] };
        assert_eq!(
            describe_difference(&changed).as_deref(),
            Some("a: 3 bytes here, 4 there, first difference at offset 0x1")
        );
        let longer = Output { name: "b".into(), here: vec![1, 2], there: vec![1, 2, 3] };
        assert!(describe_difference(&longer).is_some_and(|d| d.ends_with("offset 0x2")));
    }
}
