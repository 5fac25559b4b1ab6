//! The root file system: the disk ([`block::Disk`]) behind a buffer cache
//! ([`ox_fs::BlockCache`]), mounted at boot when the node has a disk, and the path operations
//! the system calls use.
//!
//! Every operation locks [`ROOT`] for its whole length and never sleeps (the disk driver
//! polls), so operations are atomic with respect to each other. A node without a disk has no
//! file system: every path operation fails with `ENODEV`, and `exec` takes its programs from
//! the images embedded in the kernel.
//!
//! Paths are strings of at most [`PATH_MAX`] bytes; a relative path starts at the caller's
//! working directory (an inode number). Errors of `ox-fs` become the `Errno` of the same number.

use alloc::vec::Vec;

use ox_abi::{Errno, PATH_MAX};
use ox_fs::layout::{Inode, INODES_PER_BLOCK, INODE_SIZE};
use ox_fs::{BlockCache, BlockDevice, Fs, Kind};

use crate::block::Disk;
use crate::global::{Global, GlobalGuard};
use crate::kprintln;

/// Blocks the buffer cache holds (4 KiB each): the bitmap, inode blocks and directories of a
/// busy moment, with room for file data.
pub const CACHE_BLOCKS: usize = 64;

/// The mounted file system's type.
pub type RootFs = Fs<BlockCache<Disk>>;

/// The root file system, if the node has a disk with one on it.
static ROOT: Global<Option<RootFs>> = Global::new("root file system", None);

/// The `Errno` of a file-system error (both use Linux numbers).
pub fn errno(error: ox_fs::Error) -> Errno {
    Errno::from_number(error.errno()).unwrap_or(Errno::Io)
}

/// Mounts the root file system if the node has a disk, and says so: replays a committed log
/// (the last writer stopped mid-commit) and runs the consistency check; a damaged image is not
/// mounted (the node runs without a file system, as with no disk) and the first problem is
/// shown, to be fixed on the host with `oxdisk check --repair`.
pub fn mount_root() {
    let Some(disk) = Disk::probe() else {
        kprintln!("no disk: no file system (console only)");
        return;
    };
    let blocks = disk.block_count();
    let mut fs = match Fs::open(BlockCache::new(disk, CACHE_BLOCKS)) {
        Ok(fs) => fs,
        Err(e) => {
            kprintln!("disk of {blocks} blocks: cannot mount it: {e}; no file system");
            return;
        }
    };
    if fs.recovered_blocks() != 0 {
        kprintln!("log: replayed {} blocks of a committed transaction", fs.recovered_blocks());
    }
    match ox_fs::check(&mut fs) {
        Ok(report) if report.is_clean() => {}
        Ok(report) => {
            let first = report.problems.first().map_or("", |p| p.as_str());
            let more = report.problems.len() - 1;
            let more =
                if more == 0 { alloc::string::String::new() } else { alloc::format!(" (and {more} more)") };
            kprintln!(
                "disk of {blocks} blocks: damaged file system: {first}{more}; not mounted, no file system \
                 (repair it with `oxdisk check --repair`)"
            );
            return;
        }
        Err(e) => {
            kprintln!("disk of {blocks} blocks: cannot check it: {e}; no file system");
            return;
        }
    }
    let free = fs.free_blocks().unwrap_or(0);
    let inodes = free_inodes(&mut fs);
    kprintln!("mounted / ({blocks} blocks, {free} free; {inodes} inodes free)");
    *ROOT.lock() = Some(fs);
}

/// Free inodes, counted by a scan of the table, a block at a time (inode 0 is never used).
fn free_inodes(fs: &mut RootFs) -> u32 {
    let sb = *fs.superblock();
    let mut buf = ox_fs::zeroed_block();
    let mut free = 0;
    for n in 0..sb.inode_blocks {
        if fs.read_block(sb.inode_start + n, &mut buf).is_err() {
            continue;
        }
        for (i, bytes) in buf.chunks_exact(INODE_SIZE).enumerate() {
            let ino = n * INODES_PER_BLOCK + i as u32;
            if ino != 0 && Inode::decode(bytes).is_ok_and(|inode| inode.kind == Kind::Free) {
                free += 1;
            }
        }
    }
    free
}

/// Blocks held by the buffer cache (0 without a file system; for `stats`).
pub fn cached_blocks() -> u32 {
    ROOT.lock().as_ref().map_or(0, |fs| fs.device().cached() as u32)
}

/// The mounted file system, locked, or `ENODEV`.
pub fn root() -> Result<FsGuard, Errno> {
    let guard = ROOT.lock();
    if guard.is_none() {
        return Err(Errno::NoDev);
    }
    Ok(FsGuard(guard))
}

/// Exclusive use of the mounted file system.
pub struct FsGuard(GlobalGuard<'static, Option<RootFs>>);

impl FsGuard {
    /// The file system.
    pub fn fs(&mut self) -> &mut RootFs {
        self.0.as_mut().unwrap_or_else(|| unreachable!("root() checked it is mounted"))
    }
}

/// Checks a path a process passed: at most [`PATH_MAX`] bytes of UTF-8, not empty.
pub fn check_path(bytes: &[u8]) -> Result<&str, Errno> {
    if bytes.len() > PATH_MAX {
        return Err(Errno::NameTooLong);
    }
    let path = core::str::from_utf8(bytes).map_err(|_| Errno::NoEnt)?;
    if path.is_empty() {
        return Err(Errno::NoEnt);
    }
    Ok(path)
}

/// The whole contents of the regular file at `path` (from directory `cwd`).
pub fn read_file(cwd: u32, path: &str) -> Result<Vec<u8>, Errno> {
    let mut root = root()?;
    let fs = root.fs();
    let ino = fs.lookup_at(cwd, path).map_err(errno)?;
    fs.read_all(ino).map_err(errno)
}

/// `cwd` followed by `path` with `.`, `..` and empty components resolved: the absolute path a
/// successful `chdir(path)` leads to (there are no symbolic links, so this is exact).
pub fn join(cwd: &str, path: &str) -> alloc::string::String {
    let mut parts: Vec<&str> = Vec::new();
    let start = if path.starts_with('/') { "" } else { cwd };
    for part in start.split('/').chain(path.split('/')) {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            name => parts.push(name),
        }
    }
    let mut joined = alloc::string::String::new();
    for part in &parts {
        joined.push('/');
        joined.push_str(part);
    }
    if joined.is_empty() {
        joined.push('/');
    }
    joined
}
