//! Paths: names separated by `/`, walked one directory at a time.
//!
//! A path that starts with `/` starts at the root; any other starts at the directory the caller
//! gives (the kernel passes a process's working directory; the `*_at`-less functions below use
//! the root). Empty components are skipped (`a//b` is `a/b`, `a/` is `a`); `.` and `..` are
//! ordinary entries found in each directory. No symbolic links exist, so a walk reads at most
//! one directory per component and always ends.

use alloc::vec::Vec;

use crate::dir::DirEntry;
use crate::fs::{Fs, Stat};
use crate::layout::{Kind, NAME_MAX, ROOT_INO};
use crate::{BlockDevice, Error};

/// The components of `path`, empty ones skipped.
fn components(path: &str) -> impl Iterator<Item = &str> {
    path.split('/').filter(|c| !c.is_empty())
}

impl<D: BlockDevice> Fs<D> {
    /// The inode `path` names, starting at directory `at` unless the path is absolute.
    pub fn lookup_at(&mut self, at: u32, path: &str) -> Result<u32, Error> {
        let mut ino = if path.starts_with('/') { ROOT_INO } else { at };
        for name in components(path) {
            if name.len() > NAME_MAX {
                return Err(Error::NameTooLong);
            }
            ino = self.dir_lookup(ino, name)?;
        }
        Ok(ino)
    }

    /// The directory that would hold the last component of `path` (walked from `at`), and
    /// that component. A path without one (`/`, empty) is [`Error::Invalid`].
    pub fn parent_at<'p>(&mut self, at: u32, path: &'p str) -> Result<(u32, &'p str), Error> {
        let trimmed = path.trim_end_matches('/');
        let (dir_path, name) = match trimmed.rfind('/') {
            Some(i) => (&trimmed[..=i], &trimmed[i + 1..]),
            None => ("", trimmed),
        };
        if name.is_empty() {
            return Err(Error::Invalid);
        }
        let start = if path.starts_with('/') { ROOT_INO } else { at };
        let dir = self.lookup_at(start, dir_path)?;
        if self.live_inode(dir)?.kind != Kind::Dir {
            return Err(Error::NotDir);
        }
        Ok((dir, name))
    }

    /// The inode the absolute `path` names.
    pub fn lookup(&mut self, path: &str) -> Result<u32, Error> {
        self.lookup_at(ROOT_INO, path)
    }

    /// Creates an empty file at `path`; returns its inode.
    pub fn create(&mut self, path: &str) -> Result<u32, Error> {
        let (dir, name) = self.parent_at(ROOT_INO, path)?;
        self.create_in(dir, name)
    }

    /// Creates an empty directory at `path`; returns its inode.
    pub fn mkdir(&mut self, path: &str) -> Result<u32, Error> {
        let (dir, name) = self.parent_at(ROOT_INO, path)?;
        self.mkdir_in(dir, name)
    }

    /// Creates a device inode with number `device` at `path`.
    pub fn mknod(&mut self, path: &str, device: u32) -> Result<u32, Error> {
        let (dir, name) = self.parent_at(ROOT_INO, path)?;
        self.mknod_in(dir, name, device)
    }

    /// Creates the directory `path` and every missing directory above it (`mkdir -p`).
    pub fn mkdir_all(&mut self, path: &str) -> Result<u32, Error> {
        let mut ino = ROOT_INO;
        for name in components(path) {
            ino = match self.dir_lookup(ino, name) {
                Ok(found) if self.live_inode(found)?.kind == Kind::Dir => found,
                Ok(_) => return Err(Error::NotDir),
                Err(Error::NotFound) => self.mkdir_in(ino, name)?,
                Err(e) => return Err(e),
            };
        }
        Ok(ino)
    }

    /// Removes the name `path`: a file loses a link, an empty directory goes.
    pub fn unlink(&mut self, path: &str) -> Result<(), Error> {
        let (dir, name) = self.parent_at(ROOT_INO, path)?;
        self.unlink_in(dir, name)
    }

    /// Gives the file at `existing` the further name `new`.
    pub fn link(&mut self, existing: &str, new: &str) -> Result<(), Error> {
        let ino = self.lookup(existing)?;
        let (dir, name) = self.parent_at(ROOT_INO, new)?;
        self.link_in(dir, name, ino)
    }

    /// What `path` names.
    pub fn stat_path(&mut self, path: &str) -> Result<Stat, Error> {
        let ino = self.lookup(path)?;
        self.stat(ino)
    }

    /// The entries of the directory at `path`.
    pub fn readdir_path(&mut self, path: &str) -> Result<Vec<DirEntry>, Error> {
        let ino = self.lookup(path)?;
        self.readdir(ino)
    }

    /// The whole contents of the file at `path`.
    pub fn read_file(&mut self, path: &str) -> Result<Vec<u8>, Error> {
        let ino = self.lookup(path)?;
        self.read_all(ino)
    }

    /// Makes the file at `path` hold exactly `data`, creating it if needed. A disk that fills
    /// part-way is [`Error::NoSpace`] (the file keeps what was written).
    pub fn write_file(&mut self, path: &str, data: &[u8]) -> Result<u32, Error> {
        let ino = match self.lookup(path) {
            Ok(ino) => ino,
            Err(Error::NotFound) => self.create(path)?,
            Err(e) => return Err(e),
        };
        self.truncate(ino, 0)?;
        let mut done = 0;
        while done < data.len() {
            match self.write_at(ino, done as u32, &data[done..])? {
                0 => return Err(Error::NoSpace),
                n => done += n,
            }
        }
        Ok(ino)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{mkfs, MemDisk};

    #[test]
    fn paths_walk_from_the_root_or_a_directory() {
        let mut fs = mkfs(MemDisk::new(64), 64).unwrap();
        let bin = fs.mkdir_all("/usr/bin").unwrap();
        let ls = fs.write_file("/usr/bin/ls", b"ls").unwrap();
        assert_eq!(fs.lookup("//usr/./bin/../bin/ls/"), Ok(ls));
        assert_eq!(fs.lookup_at(bin, "ls"), Ok(ls));
        assert_eq!(fs.lookup_at(bin, "../.."), Ok(ROOT_INO));
        assert_eq!(fs.lookup("/"), Ok(ROOT_INO));
        assert_eq!(fs.lookup("/usr/bin/ls/x"), Err(Error::NotDir));
        assert_eq!(fs.lookup("/nope/x"), Err(Error::NotFound));
        assert_eq!(fs.create("/usr/bin/ls/x"), Err(Error::NotDir));
        assert_eq!(fs.create("/"), Err(Error::Invalid));
        assert_eq!(fs.unlink("/usr/bin/.."), Err(Error::Invalid));
        assert_eq!(fs.mkdir_all("/usr/bin/ls"), Err(Error::NotDir));
        assert_eq!(fs.parent_at(bin, "a/b"), Err(Error::NotFound));
        assert_eq!(fs.lookup(&alloc::format!("/{}", "x".repeat(NAME_MAX + 1))), Err(Error::NameTooLong));
        fs.link("/usr/bin/ls", "/ls").unwrap();
        assert_eq!(fs.read_file("/ls").unwrap(), b"ls");
    }
}
