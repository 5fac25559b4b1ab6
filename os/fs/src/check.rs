//! The consistency check (`fsck`): everything the format promises, verified on a mounted image.
//!
//! It checks that every inode's blocks are data blocks, lie within its size, belong to it alone
//! and are marked in the bitmap; that every block the bitmap marks is the superblock, bitmap,
//! inode table or some inode's; that the directories form a tree from the root, each with a
//! right `.` and `..`, valid and unique names, and entries naming inodes in use; that link
//! counts match the entries; and that no inode in use is unnamed. Directories are walked with a
//! visited set, so a damaged image with a loop is reported, not followed forever. The check
//! reads only; it changes nothing.
//!
//! [`repair`] (`oxdisk check --repair`) fixes what an fsck can without guessing, each fix a
//! sentence of its answer: inodes that do not decode are freed; block pointers that are not
//! data blocks, lie past the size or repeat another inode's block are cleared (the first
//! holder keeps the block); a device's contents are dropped; directory entries with a bad or
//! repeated name, naming a free inode or a second name of a directory are cleared, and wrong
//! `.` and `..` entries are pointed right; inodes no directory names are freed (there is no
//! `lost+found`); link counts are set to the entries counted; and the bitmap is rebuilt from
//! the inodes. What it cannot fix (a root that is not a directory, a directory without `.` or
//! `..`, or one whose size is not whole entries) is left in the check that follows.

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

/// Repairs the image behind `fs` (see the module) and returns each fix, one sentence each;
/// run [`check`] after it for what is left. Every change is a transaction of the log.
pub fn repair<D: BlockDevice>(fs: &mut Fs<D>) -> Result<Vec<String>, Error> {
    let sb = *fs.superblock();
    let mut fixes = Vec::new();
    let mut owners = vec![Owner::Nobody; sb.blocks as usize];
    owners[..sb.data_start as usize].fill(Owner::Metadata);
    let mut inodes = vec![None; sb.inodes as usize];
    let mut buf = zeroed_block();
    for n in 0..sb.inode_blocks {
        fs.read_block(sb.inode_start + n, &mut buf)?;
        for slot in 0..INODES_PER_BLOCK {
            let ino = n * INODES_PER_BLOCK + slot;
            let at = slot as usize * INODE_SIZE;
            match Inode::decode(&buf[at..at + INODE_SIZE]) {
                Ok(inode) if inode.kind == Kind::Free => {}
                Ok(inode) if ino != 0 => inodes[ino as usize] = Some(inode),
                _ => {
                    fs.write_inode_raw(ino, &Inode::FREE)?;
                    fixes.push(format!("freed inode {ino}, which was damaged or must stay free"));
                }
            }
        }
    }
    for ino in 0..sb.inodes {
        if let Some(inode) = inodes[ino as usize] {
            let fixed = repair_blocks(fs, ino, inode, &mut owners, &mut fixes)?;
            inodes[ino as usize] = Some(fixed);
        }
    }
    if !matches!(inodes.get(ROOT_INO as usize), Some(Some(root)) if root.kind == Kind::Dir) {
        fixes.push("the root inode is not a directory: not repairable".into());
        return Ok(fixes);
    }
    let (names, subdirs) = repair_tree(fs, &inodes, &mut fixes)?;
    for ino in 0..sb.inodes {
        let Some(mut inode) = inodes[ino as usize] else { continue };
        if ino != ROOT_INO && names[ino as usize] == 0 {
            fs.write_inode_raw(ino, &Inode::FREE)?;
            fixes.push(format!("freed inode {ino}, which no directory names"));
            inodes[ino as usize] = None;
            continue;
        }
        let expected = match inode.kind {
            Kind::Dir => 2 + subdirs[ino as usize],
            _ => names[ino as usize],
        };
        let expected = u16::try_from(expected).unwrap_or(u16::MAX);
        if inode.nlink != expected {
            fixes.push(format!("set the link count of inode {ino} from {} to {expected}", inode.nlink));
            inode.nlink = expected;
            fs.write_inode_raw(ino, &inode)?;
        }
    }
    // The bitmap: metadata and the blocks of the inodes left.
    let mut used = vec![false; sb.blocks as usize];
    used[..sb.data_start as usize].fill(true);
    for (block, owner) in owners.iter().enumerate() {
        if let Owner::Inode(ino) = owner {
            used[block] = inodes[*ino as usize].is_some();
        }
    }
    for map in 0..sb.bitmap_blocks {
        fs.read_block(1 + map, &mut buf)?;
        let mut fresh = zeroed_block();
        let first = (map * crate::layout::BITS_PER_BLOCK) as usize;
        for (bit, in_use) in used.iter().skip(first).take(crate::layout::BITS_PER_BLOCK as usize).enumerate()
        {
            if *in_use {
                fresh[bit / 8] |= 1 << (bit % 8);
            }
        }
        let changed: u32 = buf.iter().zip(fresh.iter()).map(|(a, b)| (a ^ b).count_ones()).sum();
        if changed != 0 {
            fs.write_block(1 + map, &fresh)?;
            fixes.push(format!("rebuilt bitmap block {}: {changed} blocks marked right", 1 + map));
        }
    }
    Ok(fixes)
}

/// Clears inode `ino`'s bad, stray and shared block pointers; records its blocks in `owners`.
fn repair_blocks<D: BlockDevice>(
    fs: &mut Fs<D>,
    ino: u32,
    mut inode: Inode,
    owners: &mut [Owner],
    fixes: &mut Vec<String>,
) -> Result<Inode, Error> {
    let sb = *fs.superblock();
    let original = inode;
    if inode.kind == Kind::Device && (inode.size != 0 || inode.indirect != 0 || inode.direct != [0; NDIRECT])
    {
        fixes.push(format!("dropped the contents of device inode {ino}"));
        inode = Inode { kind: Kind::Device, nlink: inode.nlink, device: inode.device, ..Inode::FREE };
    }
    let in_size = (inode.size as usize).div_ceil(BLOCK_SIZE);
    let mut keep = |block: u32, index: Option<usize>, fixes: &mut Vec<String>| -> bool {
        let why = if !sb.is_data(block) {
            "is not a data block"
        } else if index.is_some_and(|i| i >= in_size) {
            "lies past its size"
        } else if owners[block as usize] != Owner::Nobody {
            "belongs to another inode"
        } else {
            owners[block as usize] = Owner::Inode(ino);
            return true;
        };
        fixes.push(format!("cleared block {block} of inode {ino}, which {why}"));
        false
    };
    for i in 0..NDIRECT {
        if inode.direct[i] != 0 && !keep(inode.direct[i], Some(i), fixes) {
            inode.direct[i] = 0;
        }
    }
    if inode.indirect != 0 {
        if keep(inode.indirect, None, fixes) {
            let mut buf = zeroed_block();
            fs.read_block(inode.indirect, &mut buf)?;
            let mut changed = false;
            for i in 0..NINDIRECT {
                let block = indirect_entry(&buf[..], i);
                if block != 0 && !keep(block, Some(NDIRECT + i), fixes) {
                    crate::layout::set_indirect_entry(&mut buf[..], i, 0);
                    changed = true;
                }
            }
            if changed {
                fs.write_block(inode.indirect, &buf)?;
            }
        } else {
            inode.indirect = 0;
        }
    }
    if inode != original {
        fs.write_inode_raw(ino, &inode)?;
    }
    Ok(inode)
}

/// Walks the directories from the root, clearing or correcting bad entries; returns how many
/// names each inode has and how many subdirectories each directory has.
fn repair_tree<D: BlockDevice>(
    fs: &mut Fs<D>,
    inodes: &[Option<Inode>],
    fixes: &mut Vec<String>,
) -> Result<(Vec<u32>, Vec<u32>), Error> {
    let mut names = vec![0u32; inodes.len()];
    let mut subdirs = vec![0u32; inodes.len()];
    let mut seen = vec![false; inodes.len()];
    let mut queue = VecDeque::from([(ROOT_INO, ROOT_INO)]);
    seen[ROOT_INO as usize] = true;
    while let Some((dir, parent)) = queue.pop_front() {
        let entries = match fs.entries(dir) {
            Ok(entries) => entries,
            Err(Error::Io) => return Err(Error::Io),
            Err(_) => continue,
        };
        let mut seen_names: Vec<Vec<u8>> = Vec::new();
        for (at, entry) in entries {
            let name = entry.name().to_vec();
            let shown = String::from_utf8_lossy(&name).into_owned();
            let mut clear = |fs: &mut Fs<D>, why: &str| -> Result<(), Error> {
                fixes.push(format!("cleared `{shown}` in directory {dir}, which {why}"));
                fs.op(|fs| fs.clear_entry(dir, at))
            };
            if seen_names.contains(&name) {
                clear(fs, "repeats a name")?;
                continue;
            }
            seen_names.push(name.clone());
            if name == b"." || name == b".." {
                let right = if name == b"." { dir } else { parent };
                if entry.ino != right {
                    fixes.push(format!("pointed `{shown}` of directory {dir} at inode {right}"));
                    fs.op(|fs| fs.set_entry(dir, at, &name, right))?;
                }
                continue;
            }
            let valid = core::str::from_utf8(&name).is_ok_and(|n| crate::dir::check_name(n).is_ok());
            if !valid {
                clear(fs, "has a bad name")?;
                continue;
            }
            let Some(Some(inode)) = inodes.get(entry.ino as usize) else {
                clear(fs, "names a free inode")?;
                continue;
            };
            if inode.kind == Kind::Dir {
                if seen[entry.ino as usize] {
                    clear(fs, "is a second name of a directory")?;
                    continue;
                }
                seen[entry.ino as usize] = true;
                subdirs[dir as usize] += 1;
                queue.push_back((entry.ino, dir));
            }
            names[entry.ino as usize] += 1;
        }
    }
    Ok((names, subdirs))
}

#[cfg(test)]
mod tests {
    use alloc::string::String;
    use alloc::vec::Vec;

    use super::{check, repair};
    use crate::layout::Inode;
    use crate::{mkfs, zeroed_block, MemDisk};

    #[test]
    fn repair_fixes_what_the_check_finds() {
        let mut fs = mkfs(MemDisk::new(128), 128).unwrap();
        fs.mkdir("/d").unwrap();
        let f = fs.write_file("/d/f", &[1; 5000]).unwrap();
        let g = fs.write_file("/g", &[2; 10]).unwrap();
        // g shares f's first block, has a wrong link count and a block past its size; f's
        // second block is marked free; an entry names a free inode.
        let mut inode = fs.inode(g).unwrap();
        let shared = fs.inode(f).unwrap().direct[0];
        let freed = fs.inode(f).unwrap().direct[1];
        inode.direct[3] = shared;
        inode.nlink = 5;
        fs.write_inode(g, &inode).unwrap();
        let mut map = zeroed_block();
        fs.read_block(1, &mut map).unwrap();
        map[freed as usize / 8] &= !(1 << (freed % 8));
        fs.write_block(1, &map).unwrap();
        fs.link("/g", "/h").unwrap();
        let h_free = fs.create("/x").unwrap();
        fs.write_inode(h_free, &Inode::FREE).unwrap();
        assert!(!check(&mut fs).unwrap().is_clean());
        let fixes = repair(&mut fs).unwrap();
        for expected in ["past its size", "link count of inode", "names a free inode", "rebuilt bitmap"] {
            assert!(fixes.iter().any(|f| f.contains(expected)), "{expected}: {fixes:?}");
        }
        let report = check(&mut fs).unwrap();
        assert!(report.is_clean(), "{:?}", report.problems);
        assert_eq!(fs.read_file("/d/f").unwrap(), [1; 5000]);
        assert_eq!(fs.read_file("/h").unwrap(), [2; 10]);
        assert_eq!(repair(&mut fs).unwrap(), Vec::<String>::new(), "a clean image needs nothing");
    }

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
