//! The consistency check (`fsck`): everything the format promises, verified on a mounted image.
//!
//! It checks that every inode's blocks are data blocks, lie within its size, belong to it alone
//! and are marked in the bitmap; that every block the bitmap marks is the superblock, bitmap,
//! inode table or some inode's; that the directories form a tree from the root, each with a
//! right `.` and `..`, valid and unique names, and entries naming inodes in use; that link
//! counts match the entries; and that no inode in use is unnamed. Directories are walked with a
//! visited set, so a damaged image with a loop is reported, not followed forever. The check
//! reads only; it changes nothing.

use alloc::collections::VecDeque;
use alloc::format;
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;

use crate::fs::Fs;
use crate::layout::{
    indirect_entry, Inode, Kind, INODES_PER_BLOCK, INODE_SIZE, NDIRECT, NINDIRECT, ROOT_INO,
};
use crate::{zeroed_block, BlockDevice, Error, BLOCK_SIZE};

/// What the check found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Report {
    /// Every inconsistency, one sentence each; empty for a consistent image.
    pub problems: Vec<String>,
    /// Regular files in use.
    pub files: u32,
    /// Directories in use, the root included.
    pub dirs: u32,
    /// Device inodes in use.
    pub devices: u32,
    /// Blocks the bitmap marks in use.
    pub used_blocks: u32,
    /// Blocks in the image.
    pub blocks: u32,
}

impl Report {
    /// Whether the image is consistent.
    pub fn is_clean(&self) -> bool {
        self.problems.is_empty()
    }
}

/// Who holds a block.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Owner {
    Nobody,
    Metadata,
    Inode(u32),
}

/// Checks the whole image behind `fs`. Device errors end the check with an error; everything
/// the image gets wrong is a line of [`Report::problems`].
pub fn check<D: BlockDevice>(fs: &mut Fs<D>) -> Result<Report, Error> {
    let sb = *fs.superblock();
    let mut report = Report { blocks: sb.blocks, ..Report::default() };
    let inodes = read_inodes(fs, &mut report)?;
    let mut owners = vec![Owner::Nobody; sb.blocks as usize];
    owners[..sb.data_start as usize].fill(Owner::Metadata);
    for (ino, inode) in inodes.iter().enumerate() {
        if let Some(inode) = inode {
            claim_blocks(fs, ino as u32, inode, &mut owners, &mut report)?;
        }
    }
    let mut bitmap = Vec::with_capacity(sb.bitmap_blocks as usize * BLOCK_SIZE);
    let mut buf = zeroed_block();
    for n in 0..sb.bitmap_blocks {
        fs.read_block(1 + n, &mut buf)?;
        bitmap.extend_from_slice(&buf[..]);
    }
    for (block, owner) in owners.iter().enumerate() {
        let marked = bitmap[block / 8] & (1 << (block % 8)) != 0;
        report.used_blocks += marked as u32;
        match (owner, marked) {
            (Owner::Nobody, true) => {
                report.problems.push(format!("block {block} is marked in use but nothing holds it"))
            }
            (Owner::Inode(ino), false) => {
                report.problems.push(format!("block {block} of inode {ino} is marked free in the bitmap"))
            }
            (Owner::Metadata, false) => {
                report.problems.push(format!("metadata block {block} is marked free in the bitmap"))
            }
            _ => {}
        }
    }
    walk_tree(fs, &inodes, &mut report)?;
    Ok(report)
}

/// Every inode, `None` for free ones and ones that do not decode (reported).
fn read_inodes<D: BlockDevice>(fs: &mut Fs<D>, report: &mut Report) -> Result<Vec<Option<Inode>>, Error> {
    let sb = *fs.superblock();
    let mut inodes = vec![None; sb.inodes as usize];
    let mut buf = zeroed_block();
    for n in 0..sb.inode_blocks {
        fs.read_block(sb.inode_start + n, &mut buf)?;
        for slot in 0..INODES_PER_BLOCK {
            let ino = n * INODES_PER_BLOCK + slot;
            let at = slot as usize * INODE_SIZE;
            match Inode::decode(&buf[at..at + INODE_SIZE]) {
                Ok(inode) if inode.kind == Kind::Free => {}
                Ok(_) if ino == 0 => report.problems.push("inode 0 is in use; it must stay free".into()),
                Ok(inode) => {
                    match inode.kind {
                        Kind::File => report.files += 1,
                        Kind::Dir => report.dirs += 1,
                        _ => report.devices += 1,
                    }
                    inodes[ino as usize] = Some(inode);
                }
                Err(_) => report.problems.push(format!("inode {ino} has a bad kind or size")),
            }
        }
    }
    match inodes.get(ROOT_INO as usize) {
        Some(Some(root)) if root.kind == Kind::Dir => {}
        _ => report.problems.push("the root inode is not a directory".into()),
    }
    Ok(inodes)
}

/// Records inode `ino`'s blocks in `owners`, reporting bad, shared and stray ones.
fn claim_blocks<D: BlockDevice>(
    fs: &mut Fs<D>,
    ino: u32,
    inode: &Inode,
    owners: &mut [Owner],
    report: &mut Report,
) -> Result<(), Error> {
    let sb = *fs.superblock();
    let in_size = (inode.size as usize).div_ceil(BLOCK_SIZE);
    let mut claim = |block: u32, index: Option<usize>, report: &mut Report| -> bool {
        if !sb.is_data(block) {
            report.problems.push(format!("inode {ino} points at block {block}, which is not a data block"));
            return false;
        }
        if index.is_some_and(|i| i >= in_size) {
            report.problems.push(format!("inode {ino} holds block {block} past its size {}", inode.size));
        }
        match owners[block as usize] {
            Owner::Inode(other) => {
                report.problems.push(format!("block {block} is held by inode {other} and inode {ino}"));
                false
            }
            _ => {
                owners[block as usize] = Owner::Inode(ino);
                true
            }
        }
    };
    if inode.kind == Kind::Device && (inode.size != 0 || inode.indirect != 0) {
        report.problems.push(format!("device inode {ino} has contents"));
    }
    for (i, block) in inode.direct.iter().enumerate() {
        if *block != 0 {
            claim(*block, Some(i), report);
        }
    }
    if inode.indirect != 0 && claim(inode.indirect, None, report) {
        let mut buf = zeroed_block();
        fs.read_block(inode.indirect, &mut buf)?;
        for i in 0..NINDIRECT {
            let block = indirect_entry(&buf[..], i);
            if block != 0 {
                claim(block, Some(NDIRECT + i), report);
            }
        }
    }
    Ok(())
}

/// Walks the directories from the root, checking entries and link counts.
fn walk_tree<D: BlockDevice>(
    fs: &mut Fs<D>,
    inodes: &[Option<Inode>],
    report: &mut Report,
) -> Result<(), Error> {
    let mut names = vec![0u32; inodes.len()];
    let mut subdirs = vec![0u32; inodes.len()];
    let mut seen = vec![false; inodes.len()];
    let mut queue = VecDeque::from([(ROOT_INO, ROOT_INO)]);
    seen[ROOT_INO as usize] = true;
    while let Some((dir, parent)) = queue.pop_front() {
        let entries = match fs.readdir(dir) {
            Ok(entries) => entries,
            Err(Error::Io) => return Err(Error::Io),
            Err(e) => {
                report.problems.push(format!("directory {dir} cannot be read: {e}"));
                continue;
            }
        };
        let mut dot = 0;
        let mut dotdot = 0;
        let mut seen_names: Vec<&str> = Vec::new();
        for entry in &entries {
            let name = entry.name.as_str();
            if seen_names.contains(&name) {
                report.problems.push(format!("directory {dir} has two entries named `{name}`"));
            }
            seen_names.push(name);
            match name {
                "." => {
                    dot += 1;
                    if entry.ino != dir {
                        report.problems.push(format!("`.` of directory {dir} names inode {}", entry.ino));
                    }
                    continue;
                }
                ".." => {
                    dotdot += 1;
                    if entry.ino != parent {
                        report.problems.push(format!(
                            "`..` of directory {dir} names inode {}, not its parent {parent}",
                            entry.ino
                        ));
                    }
                    continue;
                }
                _ => {}
            }
            if crate::dir::check_name(name).is_err() {
                report.problems.push(format!("directory {dir} has an entry with a bad name `{name}`"));
            }
            let Some(Some(inode)) = inodes.get(entry.ino as usize) else {
                report.problems.push(format!("`{name}` in directory {dir} names free inode {}", entry.ino));
                continue;
            };
            names[entry.ino as usize] += 1;
            if inode.kind == Kind::Dir {
                subdirs[dir as usize] += 1;
                if seen[entry.ino as usize] {
                    report.problems.push(format!("directory {} has more than one name (a loop?)", entry.ino));
                } else {
                    seen[entry.ino as usize] = true;
                    queue.push_back((entry.ino, dir));
                }
            }
        }
        if dot != 1 || dotdot != 1 {
            report.problems.push(format!("directory {dir} needs exactly one `.` and one `..`"));
        }
    }
    for (ino, inode) in inodes.iter().enumerate() {
        let Some(inode) = inode else { continue };
        if ino as u32 != ROOT_INO && names[ino] == 0 {
            report.problems.push(format!("inode {ino} is in use but no directory names it"));
            continue;
        }
        let expected = match inode.kind {
            Kind::Dir => 2 + subdirs[ino],
            _ => names[ino],
        };
        if inode.nlink as u32 != expected {
            report.problems.push(format!("inode {ino} has link count {}, expected {expected}", inode.nlink));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{mkfs, MemDisk};

    #[test]
    fn a_fresh_and_a_busy_image_are_clean() {
        let mut fs = mkfs(MemDisk::new(512), 512).unwrap();
        assert_eq!(check(&mut fs).unwrap().problems, Vec::<String>::new());
        fs.mkdir_all("/a/b/c").unwrap();
        fs.write_file("/a/big", &[1; 100_000]).unwrap();
        fs.link("/a/big", "/a/b/big").unwrap();
        fs.mknod("/console", 1).unwrap();
        let report = check(&mut fs).unwrap();
        assert!(report.is_clean(), "{:?}", report.problems);
        assert_eq!((report.files, report.dirs, report.devices), (1, 4, 1));
    }

    #[test]
    fn damage_is_reported() {
        let mut fs = mkfs(MemDisk::new(128), 128).unwrap();
        let f = fs.write_file("/f", &[1; 10]).unwrap();
        let g = fs.write_file("/g", &[2; 10]).unwrap();
        let mut inode = fs.inode(g).unwrap();
        inode.direct[0] = fs.inode(f).unwrap().direct[0];
        inode.nlink = 5;
        fs.write_inode(g, &inode).unwrap();
        let problems = check(&mut fs).unwrap().problems;
        assert!(problems.iter().any(|p| p.contains("held by inode")), "{problems:?}");
        assert!(problems.iter().any(|p| p.contains("link count 5")), "{problems:?}");
        assert!(problems.iter().any(|p| p.contains("marked in use but nothing holds it")), "{problems:?}");
    }
}
