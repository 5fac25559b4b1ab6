//! Disk images for the block device: building them with files from the host, listing, reading
//! and checking them. The `oxdisk` binary is a thin command line over these functions.
//!
//! An image is an `ox-fs` file system filling the whole file (see `docs/filesystem.md`); it is
//! built and read in memory, with the very code the kernel uses, so what `oxdisk` writes is what
//! the guest reads. Conventions: paths inside an image are absolute (`/bin/sh`); host files are
//! copied byte for byte; a host folder is copied recursively in name order, so the same inputs
//! always give the same image. Every failure is a [`DiskError`] naming the file or path.

use std::fmt;
use std::path::{Path, PathBuf};

use ox_fs::{check, mkfs, Error, Fs, Kind, MemDisk, Report, BLOCK_SIZE};

/// A failure, with what it concerns.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DiskError(pub String);

impl fmt::Display for DiskError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for DiskError {}

/// An error about `what` (a path, in the image or on the host).
fn fail(what: impl fmt::Display, error: impl fmt::Display) -> DiskError {
    DiskError(format!("{what}: {error}"))
}

/// A mounted image held in memory.
pub type Image = Fs<MemDisk>;

/// The smallest image, in bytes.
pub const MIN_SIZE: u64 = 64 * 1024;

/// Parses an image size: bytes, or a number with `K`, `M` or `G` (powers of 1024); it must be
/// a whole number of 4 KiB blocks, at least [`MIN_SIZE`] and at most
/// [`crate::input::MAX_DISK_IMAGE`] (the image is built in memory).
pub fn parse_size(text: &str) -> Result<u64, DiskError> {
    let (digits, unit) = match text.find(|c: char| !c.is_ascii_digit()) {
        Some(i) => text.split_at(i),
        None => (text, ""),
    };
    let shift = match unit {
        "" => 0,
        "K" | "k" => 10,
        "M" | "m" => 20,
        "G" | "g" => 30,
        _ => return Err(fail(text, "unknown size unit (use K, M or G)")),
    };
    let value: u64 = digits.parse().map_err(|_| fail(text, "not a size"))?;
    let bytes = value.checked_shl(shift).filter(|b| b >> shift == value).unwrap_or(u64::MAX);
    if bytes % BLOCK_SIZE as u64 != 0 {
        return Err(fail(text, "an image is a whole number of 4K blocks"));
    }
    if !(MIN_SIZE..=crate::input::MAX_DISK_IMAGE).contains(&bytes) {
        return Err(fail(text, "an image is between 64K and 1G"));
    }
    Ok(bytes)
}

/// A host file to put into the image at an absolute path: `HOST_FILE:/path/in/image`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AddFile {
    /// The host file.
    pub host: PathBuf,
    /// Where it goes in the image.
    pub path: String,
}

impl std::str::FromStr for AddFile {
    type Err = DiskError;

    fn from_str(text: &str) -> Result<AddFile, DiskError> {
        match text.rsplit_once(":/") {
            Some((host, path)) if !host.is_empty() => {
                Ok(AddFile { host: PathBuf::from(host), path: format!("/{path}") })
            }
            _ => Err(fail(text, "expected HOST_FILE:/path/in/image")),
        }
    }
}

/// A host folder whose files go into a folder of the image: `/path/in/image=HOST_DIR`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AddDir {
    /// The folder in the image.
    pub path: String,
    /// The host folder.
    pub host: PathBuf,
}

impl std::str::FromStr for AddDir {
    type Err = DiskError;

    fn from_str(text: &str) -> Result<AddDir, DiskError> {
        match text.split_once('=') {
            Some((path, host)) if path.starts_with('/') && !host.is_empty() => {
                Ok(AddDir { path: path.to_string(), host: PathBuf::from(host) })
            }
            _ => Err(fail(text, "expected /path/in/image=HOST_DIR")),
        }
    }
}

/// Builds an image of `size` bytes holding `files` and the contents of `dirs`; returns its
/// bytes.
pub fn create(size: u64, files: &[AddFile], dirs: &[AddDir]) -> Result<Vec<u8>, DiskError> {
    let blocks = u32::try_from(size / BLOCK_SIZE as u64).map_err(|_| fail(size, "image too large"))?;
    let mut fs = mkfs(MemDisk::new(blocks), blocks).map_err(|e| fail("mkfs", e))?;
    for dir in dirs {
        fs.mkdir_all(&dir.path).map_err(|e| fail(&dir.path, e))?;
        copy_dir(&mut fs, &dir.host, &dir.path)?;
    }
    for file in files {
        add_file(&mut fs, &file.host, &file.path)?;
    }
    let disk = fs.unmount().map_err(|e| fail("unmount", e))?;
    Ok(disk.into_bytes())
}

/// Copies host file `host` to `path` in the image, making the folders above it.
fn add_file(fs: &mut Image, host: &Path, path: &str) -> Result<(), DiskError> {
    let data = crate::input::read_input(host, crate::input::MAX_DISK_IMAGE).map_err(|e| DiskError(e.0))?;
    if let Some((parent, _)) = path.rsplit_once('/') {
        fs.mkdir_all(parent).map_err(|e| fail(parent, e))?;
    }
    fs.write_file(path, &data).map_err(|e| fail(path, e))?;
    Ok(())
}

/// Copies every file and folder under host folder `host` into image folder `path`.
fn copy_dir(fs: &mut Image, host: &Path, path: &str) -> Result<(), DiskError> {
    let mut entries = std::fs::read_dir(host)
        .map_err(|e| fail(host.display(), e))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| fail(host.display(), e))?;
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let name = entry.file_name();
        let name = name.to_str().ok_or_else(|| fail(entry.path().display(), "the name is not UTF-8"))?;
        let target = format!("{}/{name}", path.trim_end_matches('/'));
        let kind = entry.file_type().map_err(|e| fail(entry.path().display(), e))?;
        if kind.is_dir() {
            fs.mkdir_all(&target).map_err(|e| fail(&target, e))?;
            copy_dir(fs, &entry.path(), &target)?;
        } else {
            add_file(fs, &entry.path(), &target)?;
        }
    }
    Ok(())
}

/// Opens the image held in `bytes` without refusing a damaged one (so it can be checked and
/// repaired): a committed log is replayed in memory ([`Fs::recovered_blocks`] tells how many
/// blocks), the file is not changed.
pub fn open(bytes: Vec<u8>) -> Result<Image, DiskError> {
    if bytes.len() % BLOCK_SIZE != 0 {
        return Err(DiskError(format!("{} bytes is not a whole number of 4K blocks", bytes.len())));
    }
    Fs::open(MemDisk::from_bytes(bytes)).map_err(|e| match e {
        Error::Corrupt => DiskError("not an ox-fs image, or a damaged superblock, log header or root".into()),
        e => DiskError(e.to_string()),
    })
}

/// One line of a listing: kind, links, size, name.
fn listing_line(kind: Kind, nlink: u16, size: u32, name: &str) -> String {
    let kind = match kind {
        Kind::Dir => 'd',
        Kind::Device => 'c',
        _ => '-',
    };
    format!("{kind} {nlink:>3} {size:>9}  {name}\n")
}

/// Lists the folder at `path` (every entry, `.` and `..` first), or describes the file there.
pub fn ls(fs: &mut Image, path: &str) -> Result<String, DiskError> {
    let stat = fs.stat_path(path).map_err(|e| fail(path, e))?;
    if stat.kind != Kind::Dir {
        return Ok(listing_line(stat.kind, stat.nlink, stat.size, path));
    }
    let mut text = String::new();
    for entry in fs.readdir(stat.ino).map_err(|e| fail(path, e))? {
        let stat = fs.stat(entry.ino).map_err(|e| fail(format!("{path}/{}", entry.name), e))?;
        text += &listing_line(stat.kind, stat.nlink, stat.size, &entry.name);
    }
    Ok(text)
}

/// The contents of the file at `path`.
pub fn cat(fs: &mut Image, path: &str) -> Result<Vec<u8>, DiskError> {
    fs.read_file(path).map_err(|e| fail(path, e))
}

/// Checks the image's consistency.
pub fn fsck(fs: &mut Image) -> Result<Report, DiskError> {
    check(fs).map_err(|e| fail("check", e))
}

/// Repairs the image (see [`ox_fs::check::repair`]) and returns each fix; a committed log,
/// already replayed by [`open`], is the first.
pub fn repair(fs: &mut Image) -> Result<Vec<String>, DiskError> {
    let mut fixes = Vec::new();
    if fs.recovered_blocks() != 0 {
        fixes.push(format!("replayed the log: installed {} committed blocks", fs.recovered_blocks()));
    }
    fixes.extend(ox_fs::check::repair(fs).map_err(|e| fail("repair", e))?);
    Ok(fixes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_and_arguments_parse() {
        assert_eq!(parse_size("16M"), Ok(16 << 20));
        assert_eq!(parse_size("65536"), Ok(65536));
        assert!(parse_size("16Q").is_err());
        assert!(parse_size("4K").is_err(), "too small");
        assert!(parse_size("100000").is_err(), "not whole blocks");
        assert!(parse_size("99999999999999G").is_err());
        assert_eq!(
            "out/hello.elf:/bin/hello".parse::<AddFile>(),
            Ok(AddFile { host: "out/hello.elf".into(), path: "/bin/hello".into() })
        );
        assert!("hello.elf".parse::<AddFile>().is_err());
        assert_eq!("/bin=out".parse::<AddDir>(), Ok(AddDir { path: "/bin".into(), host: "out".into() }));
        assert!("bin=out".parse::<AddDir>().is_err());
    }
}
