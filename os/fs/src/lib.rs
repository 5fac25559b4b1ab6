//! The Orrery file system: an xv6-like format of 4 KiB blocks, with a block bitmap, a table of
//! inodes (twelve direct blocks and one indirect block each) and directories of fixed-size
//! entries. The central kernel mounts it from the block device; the host tool `oxdisk` builds
//! and checks images with the same code. `docs/filesystem.md` specifies the format.
//!
//! Design principles:
//! 1. **One definition for both ends.** The layout ([`layout`]), the operations ([`Fs`]) and the
//!    consistency check ([`check`]) are used by the kernel and by host tools and tests, so an
//!    image `oxdisk` writes is exactly what the kernel reads.
//! 2. **An image is untrusted.** Every number read from the disk — block and inode numbers,
//!    sizes, kinds, directory entries — is checked before it is used; a bad one is
//!    [`Error::Corrupt`], never a panic or an endless loop. Nothing follows a chain without a
//!    bound: paths are walked a component at a time, and the check marks what it has visited.
//! 3. **No I/O of its own.** The file system reads and writes whole blocks through the
//!    [`BlockDevice`] trait: the kernel's disk driver, an in-memory [`MemDisk`], or the
//!    write-through [`BlockCache`] in front of either.
//! 4. **Small stacks.** Block buffers live on the heap ([`zeroed_block`]); the kernel's stacks
//!    are 16 KiB.
//!
//! Layering: [`fs`] handles blocks, inodes and file data; [`dir`] names inside one directory;
//! [`path`] walks paths made of names; [`log`] makes every operation a transaction of a
//! write-ahead log, so a crash at any block write leaves an image that mounts consistent.
#![no_std]

extern crate alloc;
#[cfg(test)]
extern crate std;

pub mod cache;
pub mod check;
pub mod dir;
mod error;
pub mod fs;
pub mod layout;
pub mod log;
pub mod path;

use alloc::boxed::Box;
use alloc::vec;
use alloc::vec::Vec;

pub use cache::BlockCache;
pub use check::{check, Report};
pub use dir::DirEntry;
pub use error::Error;
pub use fs::{mkfs, Fs, Stat};
pub use layout::{Kind, BLOCK_SIZE, MAX_FILE_SIZE, NAME_MAX, ROOT_INO};

/// One block's bytes.
pub type Block = [u8; BLOCK_SIZE];

/// A zeroed block buffer on the heap.
pub fn zeroed_block() -> Box<Block> {
    let bytes = vec![0u8; BLOCK_SIZE].into_boxed_slice();
    match bytes.try_into() {
        Ok(block) => block,
        Err(_) => unreachable!("the buffer has BLOCK_SIZE bytes"),
    }
}

/// A disk of [`BLOCK_SIZE`]-byte blocks, numbered from 0.
pub trait BlockDevice {
    /// How many blocks the device holds.
    fn block_count(&self) -> u32;

    /// Reads block `block` (below [`BlockDevice::block_count`]) into `buf`.
    fn read(&mut self, block: u32, buf: &mut Block) -> Result<(), Error>;

    /// Writes `buf` to block `block` (below [`BlockDevice::block_count`]).
    fn write(&mut self, block: u32, buf: &Block) -> Result<(), Error>;

    /// Puts every write so far on stable storage.
    fn flush(&mut self) -> Result<(), Error> {
        Ok(())
    }

    /// Lends block `block` to `look`, for a reader that wants a few bytes of it or copies it
    /// somewhere itself: a cache lends its own copy, so nothing is copied twice. By default
    /// the block is read into a buffer first.
    fn read_with(&mut self, block: u32, look: &mut dyn FnMut(&Block)) -> Result<(), Error> {
        let mut buf = zeroed_block();
        self.read(block, &mut buf)?;
        look(&buf);
        Ok(())
    }
}

impl<D: BlockDevice + ?Sized> BlockDevice for &mut D {
    fn block_count(&self) -> u32 {
        (**self).block_count()
    }

    fn read(&mut self, block: u32, buf: &mut Block) -> Result<(), Error> {
        (**self).read(block, buf)
    }

    fn write(&mut self, block: u32, buf: &Block) -> Result<(), Error> {
        (**self).write(block, buf)
    }

    fn flush(&mut self) -> Result<(), Error> {
        (**self).flush()
    }

    fn read_with(&mut self, block: u32, look: &mut dyn FnMut(&Block)) -> Result<(), Error> {
        (**self).read_with(block, look)
    }
}

/// A disk held in memory: for tests, and for host tools that load a whole image.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MemDisk {
    bytes: Vec<u8>,
}

impl MemDisk {
    /// A zeroed disk of `blocks` blocks.
    pub fn new(blocks: u32) -> MemDisk {
        MemDisk { bytes: vec![0; blocks as usize * BLOCK_SIZE] }
    }

    /// A disk holding `bytes`, cut to whole blocks.
    pub fn from_bytes(mut bytes: Vec<u8>) -> MemDisk {
        let blocks = (bytes.len() / BLOCK_SIZE).min(u32::MAX as usize);
        bytes.truncate(blocks * BLOCK_SIZE);
        MemDisk { bytes }
    }

    /// The disk's bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The disk's bytes, mutably (to damage an image in a test).
    pub fn as_bytes_mut(&mut self) -> &mut [u8] {
        &mut self.bytes
    }

    /// The disk's bytes, taken.
    pub fn into_bytes(self) -> Vec<u8> {
        self.bytes
    }

    fn range(&self, block: u32) -> Result<core::ops::Range<usize>, Error> {
        let start = block as usize * BLOCK_SIZE;
        if block >= self.block_count() {
            return Err(Error::Io);
        }
        Ok(start..start + BLOCK_SIZE)
    }
}

impl BlockDevice for MemDisk {
    fn block_count(&self) -> u32 {
        (self.bytes.len() / BLOCK_SIZE) as u32
    }

    fn read(&mut self, block: u32, buf: &mut Block) -> Result<(), Error> {
        let range = self.range(block)?;
        buf.copy_from_slice(&self.bytes[range]);
        Ok(())
    }

    fn write(&mut self, block: u32, buf: &Block) -> Result<(), Error> {
        let range = self.range(block)?;
        self.bytes[range].copy_from_slice(buf);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    //! Damaged and random images: every operation returns, with a result or an error, and
    //! never panics.

    use super::*;
    use alloc::string::String;

    /// A small deterministic generator (xorshift64*).
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
        }

        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }
    }

    /// Runs every kind of operation on whatever `disk` holds.
    fn exercise(disk: MemDisk) {
        // `open`, not `mount`: a damaged image is worked on, not refused by the check.
        let Ok(mut fs) = Fs::open(disk) else { return };
        let _ = check(&mut fs);
        let mut dirs = alloc::vec![String::from("/")];
        for path in ["/", "/a", "/a/b", "/bin", "/bin/sh", "/x/y/z"] {
            let _ = fs.lookup(path);
            let _ = fs.stat_path(path);
            if let Ok(entries) = fs.readdir_path(path) {
                for entry in entries.iter().take(50) {
                    let _ = fs.stat(entry.ino);
                    let _ = fs.read_all(entry.ino);
                    let _ = fs.readdir(entry.ino);
                    dirs.push(alloc::format!("{path}/{}", entry.name));
                }
            }
        }
        for (n, dir) in dirs.iter().enumerate().take(20) {
            let file = alloc::format!("{dir}/new{n}");
            let _ = fs.write_file(&file, &[n as u8; 9000]);
            let _ = fs.mkdir(&alloc::format!("{dir}/d{n}"));
            let _ = fs.link(&file, &alloc::format!("{dir}/l{n}"));
            let ino = fs.lookup(&file).unwrap_or(0);
            let _ = fs.truncate(ino, 100);
            let _ = fs.unlink(&file);
            let _ = fs.unlink(dir);
        }
        let _ = check(&mut fs);
    }

    /// A populated image to damage.
    fn populated() -> MemDisk {
        let mut fs = mkfs(MemDisk::new(96), 96).unwrap();
        fs.mkdir_all("/a/b").unwrap();
        fs.mkdir("/bin").unwrap();
        fs.write_file("/bin/sh", &[7; 70_000]).unwrap();
        fs.write_file("/a/b/f", b"hello").unwrap();
        fs.unmount().unwrap()
    }

    #[test]
    fn random_images_never_panic() {
        let mut rng = Rng(0x1234_5678);
        for round in 0..200 {
            let mut bytes = alloc::vec![0u8; 16 * BLOCK_SIZE];
            bytes.iter_mut().for_each(|b| *b = rng.next() as u8);
            if round % 2 == 0 {
                // A valid superblock over random contents reaches deeper.
                let sb = layout::Superblock::for_size(16).unwrap();
                sb.encode(&mut bytes[..BLOCK_SIZE]);
            }
            exercise(MemDisk::from_bytes(bytes));
        }
    }

    #[test]
    fn damaged_images_never_panic() {
        let clean = populated();
        let metadata = Fs::mount(clean.clone()).unwrap().superblock().data_start as usize * BLOCK_SIZE;
        let mut rng = Rng(0xdead_beef);
        for _ in 0..300 {
            let mut disk = clean.clone();
            let bytes = disk.as_bytes_mut();
            for _ in 0..1 + rng.below(20) {
                // Mostly metadata, sometimes directory and indirect blocks too.
                let at = if rng.below(3) == 0 { rng.below(bytes.len()) } else { rng.below(metadata) };
                bytes[at] = match rng.below(3) {
                    0 => rng.next() as u8,
                    1 => bytes[at] ^ (1 << rng.below(8)),
                    _ => 0xff,
                };
            }
            exercise(disk);
        }
    }
}
