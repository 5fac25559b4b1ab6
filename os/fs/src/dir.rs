//! Names inside one directory: looking them up, adding and removing entries, and the
//! operations that create and remove inodes by name.
//!
//! A directory's contents are an array of [`DIRENT_SIZE`]-byte entries; an entry with inode 0 is
//! a free slot, reused by the next name added (the directory never shrinks). Every directory
//! starts with `.` (itself) and `..` (its parent; the root's parent is the root). Link counts:
//! a file's `nlink` is the number of entries naming it; a directory's is 2 (its entry in the
//! parent and its own `.`) plus one for each subdirectory's `..`.
//!
//! A valid new name is 1 to [`NAME_MAX`] bytes, without `/` or NUL, and not `.` or `..`.
//! Names read from the disk are not trusted: they are compared as bytes and shown lossily.

use alloc::string::String;
use alloc::vec::Vec;

use crate::fs::Fs;
use crate::layout::{Kind, RawEntry, DIRENTS_PER_BLOCK, DIRENT_SIZE, MAX_LINKS, NAME_MAX};
use crate::{zeroed_block, BlockDevice, Error, BLOCK_SIZE};

/// One name in a directory.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DirEntry {
    /// The name (bytes that are not UTF-8 are replaced).
    pub name: String,
    /// The inode it names.
    pub ino: u32,
}

/// Checks a name for a new entry.
pub fn check_name(name: &str) -> Result<(), Error> {
    if name.is_empty() || name == "." || name == ".." || name.contains(['/', '\0']) {
        return Err(Error::Invalid);
    }
    if name.len() > NAME_MAX {
        return Err(Error::NameTooLong);
    }
    Ok(())
}

impl<D: BlockDevice> Fs<D> {
    /// Every used slot of directory `dir`, with its byte offset.
    pub(crate) fn entries(&mut self, dir: u32) -> Result<Vec<(u32, RawEntry)>, Error> {
        let inode = self.live_inode(dir)?;
        if inode.kind != Kind::Dir {
            return Err(Error::NotDir);
        }
        if !(inode.size as usize).is_multiple_of(DIRENT_SIZE) {
            return Err(Error::Corrupt);
        }
        let blocks = self.block_list(&inode)?;
        let mut buf = zeroed_block();
        let mut found = Vec::new();
        let slots = inode.size as usize / DIRENT_SIZE;
        for (n, block) in blocks.into_iter().enumerate() {
            if block == 0 {
                continue;
            }
            self.read_block(block, &mut buf)?;
            for i in 0..DIRENTS_PER_BLOCK.min(slots.saturating_sub(n * DIRENTS_PER_BLOCK)) {
                let entry = RawEntry::decode(&buf[i * DIRENT_SIZE..(i + 1) * DIRENT_SIZE]);
                if entry.ino != 0 {
                    found.push(((n * BLOCK_SIZE + i * DIRENT_SIZE) as u32, entry));
                }
            }
        }
        Ok(found)
    }

    /// Finds `name` in directory `dir`: its inode and the entry's byte offset.
    fn find(&mut self, dir: u32, name: &[u8]) -> Result<Option<(u32, u32)>, Error> {
        let entries = self.entries(dir)?;
        Ok(entries.into_iter().find(|(_, e)| e.name() == name).map(|(at, e)| (e.ino, at)))
    }

    /// The inode that `name` names in directory `dir` (`.` and `..` included).
    pub fn dir_lookup(&mut self, dir: u32, name: &str) -> Result<u32, Error> {
        if name.len() > NAME_MAX {
            return Err(Error::NameTooLong);
        }
        match self.find(dir, name.as_bytes())? {
            Some((ino, _)) => Ok(ino),
            None => Err(Error::NotFound),
        }
    }

    /// The entries of directory `dir` in the order they are stored, `.` and `..` first.
    pub fn readdir(&mut self, dir: u32) -> Result<Vec<DirEntry>, Error> {
        Ok(self
            .entries(dir)?
            .into_iter()
            .map(|(_, e)| DirEntry { name: String::from_utf8_lossy(e.name()).into_owned(), ino: e.ino })
            .collect())
    }

    /// The byte offset of the first free slot of directory `dir`, or its size when it is full.
    fn free_slot(&mut self, dir: u32) -> Result<u32, Error> {
        let inode = self.live_inode(dir)?;
        if !(inode.size as usize).is_multiple_of(DIRENT_SIZE) {
            return Err(Error::Corrupt);
        }
        let slots = inode.size as usize / DIRENT_SIZE;
        let mut buf = zeroed_block();
        for (n, block) in self.block_list(&inode)?.into_iter().enumerate() {
            if block == 0 {
                // A hole reads as zeros: free slots.
                return Ok((n * BLOCK_SIZE) as u32);
            }
            self.read_block(block, &mut buf)?;
            for i in 0..DIRENTS_PER_BLOCK.min(slots - n * DIRENTS_PER_BLOCK) {
                if RawEntry::decode(&buf[i * DIRENT_SIZE..(i + 1) * DIRENT_SIZE]).ino == 0 {
                    return Ok((n * BLOCK_SIZE + i * DIRENT_SIZE) as u32);
                }
            }
        }
        Ok(inode.size)
    }

    /// Adds the entry `name` → `ino` to directory `dir`, in the first free slot or at the end.
    fn add_entry(&mut self, dir: u32, name: &str, ino: u32) -> Result<(), Error> {
        let at = self.free_slot(dir)?;
        let mut slot = [0u8; DIRENT_SIZE];
        RawEntry::new(ino, name.as_bytes()).encode(&mut slot);
        if self.write_raw(dir, at, &slot, false)? != DIRENT_SIZE {
            return Err(Error::NoSpace);
        }
        Ok(())
    }

    /// Clears the entry at byte `at` of directory `dir`.
    pub(crate) fn clear_entry(&mut self, dir: u32, at: u32) -> Result<(), Error> {
        self.write_raw(dir, at, &[0; DIRENT_SIZE], false).map(|_| ())
    }

    /// Makes the entry at byte `at` of directory `dir` name `ino` (keeping its name).
    pub(crate) fn set_entry(&mut self, dir: u32, at: u32, name: &[u8], ino: u32) -> Result<(), Error> {
        let mut slot = [0u8; DIRENT_SIZE];
        RawEntry::new(ino, name).encode(&mut slot);
        self.write_raw(dir, at, &slot, false).map(|_| ())
    }

    /// Writes `.` and `..` into the new, empty directory `dir`.
    pub(crate) fn init_dir(&mut self, dir: u32, parent: u32) -> Result<(), Error> {
        let mut two = [0u8; 2 * DIRENT_SIZE];
        RawEntry::new(dir, b".").encode(&mut two[..DIRENT_SIZE]);
        RawEntry::new(parent, b"..").encode(&mut two[DIRENT_SIZE..]);
        if self.write_raw(dir, 0, &two, false)? != two.len() {
            return Err(Error::NoSpace);
        }
        let mut inode = self.live_inode(dir)?;
        inode.nlink = 2;
        self.write_inode(dir, &inode)
    }

    /// Checks that `name` is new in directory `dir`.
    fn check_new(&mut self, dir: u32, name: &str) -> Result<(), Error> {
        check_name(name)?;
        match self.find(dir, name.as_bytes())? {
            Some(_) => Err(Error::Exists),
            None => Ok(()),
        }
    }

    /// Adds a link to inode `ino`, refusing past [`MAX_LINKS`] (the most a count holds).
    fn add_link(&mut self, ino: u32) -> Result<(), Error> {
        let mut inode = self.live_inode(ino)?;
        inode.nlink = inode.nlink.checked_add(1).ok_or(Error::TooManyLinks)?;
        self.write_inode(ino, &inode)
    }

    /// Creates an empty `kind` (a file or a device) named `name` in directory `dir`.
    fn create_node(&mut self, dir: u32, name: &str, kind: Kind, device: u32) -> Result<u32, Error> {
        self.check_new(dir, name)?;
        let ino = self.alloc_inode(kind)?;
        let mut inode = self.live_inode(ino)?;
        inode.nlink = 1;
        inode.device = device;
        self.write_inode(ino, &inode)?;
        if let Err(e) = self.add_entry(dir, name, ino) {
            self.free_inode(ino)?;
            return Err(e);
        }
        Ok(ino)
    }

    /// Creates an empty file named `name` in directory `dir`; returns its inode.
    pub fn create_in(&mut self, dir: u32, name: &str) -> Result<u32, Error> {
        self.op(|fs| fs.create_node(dir, name, Kind::File, 0))
    }

    /// Creates a device inode with number `device` named `name` in directory `dir`.
    pub fn mknod_in(&mut self, dir: u32, name: &str, device: u32) -> Result<u32, Error> {
        self.op(|fs| fs.create_node(dir, name, Kind::Device, device))
    }

    /// Creates an empty directory named `name` in directory `dir`; returns its inode.
    pub fn mkdir_in(&mut self, dir: u32, name: &str) -> Result<u32, Error> {
        self.op(|fs| fs.make_dir(dir, name))
    }

    fn make_dir(&mut self, dir: u32, name: &str) -> Result<u32, Error> {
        self.check_new(dir, name)?;
        if self.live_inode(dir)?.nlink == MAX_LINKS {
            return Err(Error::TooManyLinks);
        }
        let ino = self.alloc_inode(Kind::Dir)?;
        let made = self.init_dir(ino, dir).and_then(|()| self.add_entry(dir, name, ino));
        if let Err(e) = made {
            self.free_inode(ino)?;
            return Err(e);
        }
        self.add_link(dir)?;
        Ok(ino)
    }

    /// Adds the name `name` in directory `dir` for the existing file `ino` (a hard link;
    /// directories cannot be linked).
    pub fn link_in(&mut self, dir: u32, name: &str, ino: u32) -> Result<(), Error> {
        self.op(|fs| fs.add_name(dir, name, ino))
    }

    fn add_name(&mut self, dir: u32, name: &str, ino: u32) -> Result<(), Error> {
        self.check_new(dir, name)?;
        let inode = self.live_inode(ino)?;
        if inode.kind == Kind::Dir {
            return Err(Error::IsDir);
        }
        if inode.nlink == MAX_LINKS {
            return Err(Error::TooManyLinks);
        }
        self.add_entry(dir, name, ino)?;
        self.add_link(ino)
    }

    /// Removes the name `name` from directory `dir`. A file loses a link and is freed with its
    /// last one; a directory must be empty, and is freed.
    pub fn unlink_in(&mut self, dir: u32, name: &str) -> Result<(), Error> {
        self.op(|fs| fs.remove_name(dir, name))
    }

    fn remove_name(&mut self, dir: u32, name: &str) -> Result<(), Error> {
        check_name(name)?;
        let (ino, at) = self.find(dir, name.as_bytes())?.ok_or(Error::NotFound)?;
        let mut inode = self.live_inode(ino)?;
        if inode.kind == Kind::Dir {
            if ino == dir || self.entries(ino)?.iter().any(|(_, e)| e.name() != b"." && e.name() != b"..") {
                return Err(Error::NotEmpty);
            }
            self.clear_entry(dir, at)?;
            let mut parent = self.live_inode(dir)?;
            parent.nlink = parent.nlink.saturating_sub(1);
            self.write_inode(dir, &parent)?;
            return self.free_inode(ino);
        }
        self.clear_entry(dir, at)?;
        inode.nlink = inode.nlink.saturating_sub(1);
        if inode.nlink == 0 {
            return self.free_inode(ino);
        }
        self.write_inode(ino, &inode)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layout::ROOT_INO;
    use crate::{mkfs, MemDisk};

    #[test]
    fn names_are_added_found_and_removed() {
        let mut fs = mkfs(MemDisk::new(64), 64).unwrap();
        let names: Vec<String> = fs.readdir(ROOT_INO).unwrap().into_iter().map(|e| e.name).collect();
        assert_eq!(names, [".", ".."]);
        let a = fs.create_in(ROOT_INO, "a").unwrap();
        assert_eq!(fs.create_in(ROOT_INO, "a"), Err(Error::Exists));
        assert_eq!(fs.create_in(ROOT_INO, ".."), Err(Error::Invalid));
        assert_eq!(fs.create_in(ROOT_INO, "x/y"), Err(Error::Invalid));
        assert_eq!(fs.create_in(ROOT_INO, &"n".repeat(NAME_MAX + 1)), Err(Error::NameTooLong));
        fs.create_in(ROOT_INO, &"n".repeat(NAME_MAX)).unwrap();
        assert_eq!(fs.dir_lookup(ROOT_INO, "a"), Ok(a));
        fs.link_in(ROOT_INO, "b", a).unwrap();
        assert_eq!(fs.stat(a).unwrap().nlink, 2);
        fs.unlink_in(ROOT_INO, "a").unwrap();
        assert_eq!(fs.dir_lookup(ROOT_INO, "b"), Ok(a));
        fs.unlink_in(ROOT_INO, "b").unwrap();
        assert_eq!(fs.stat(a), Err(Error::Corrupt), "freed with its last link");
        let c = fs.create_in(ROOT_INO, "c").unwrap();
        assert_eq!(fs.readdir(ROOT_INO).unwrap()[2].name, "c", "reuses the first free slot");
        assert_eq!(fs.unlink_in(ROOT_INO, "a"), Err(Error::NotFound));
        assert_eq!(fs.create_in(c, "x"), Err(Error::NotDir));
    }

    #[test]
    fn directories_count_their_subdirectories() {
        let mut fs = mkfs(MemDisk::new(64), 64).unwrap();
        let d = fs.mkdir_in(ROOT_INO, "d").unwrap();
        assert_eq!(fs.stat(ROOT_INO).unwrap().nlink, 3);
        assert_eq!(fs.dir_lookup(d, ".."), Ok(ROOT_INO));
        fs.create_in(d, "f").unwrap();
        assert_eq!(fs.unlink_in(ROOT_INO, "d"), Err(Error::NotEmpty));
        assert_eq!(fs.link_in(ROOT_INO, "e", d), Err(Error::IsDir));
        fs.unlink_in(d, "f").unwrap();
        fs.unlink_in(ROOT_INO, "d").unwrap();
        assert_eq!(fs.stat(ROOT_INO).unwrap().nlink, 2);
        assert_eq!(fs.unlink_in(ROOT_INO, "."), Err(Error::Invalid));
    }
}
