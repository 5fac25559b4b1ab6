//! The on-disk format: constants, and the superblock, inode and directory entry with their
//! encodings. Pure data, no I/O.
//!
//! An image is a sequence of [`BLOCK_SIZE`]-byte blocks:
//!
//! | blocks | what |
//! |---|---|
//! | 0 | superblock |
//! | `1..1 + bitmap_blocks` | block bitmap: bit `b % 8` of byte `b / 8` set = block `b` in use |
//! | `log_start..log_start + log_blocks` | the write-ahead log: a header block, then logged blocks |
//! | `inode_start..inode_start + inode_blocks` | inode table, [`INODES_PER_BLOCK`] per block |
//! | `data_start..blocks` | data: file contents, directory entries, indirect blocks |
//!
//! Every integer is little-endian. Block number 0 in an inode means "no block" (block 0 is the
//! superblock, never data); inode number 0 means "no inode" (inode 0 is never allocated).
//! Invariants of a decoded [`Superblock`]: the regions are contiguous, in that order, inside
//! the image, and there is at least one data block.

use crate::Error;

/// Bytes per block (a page; eight 512-byte sectors).
pub const BLOCK_SIZE: usize = 4096;
/// The superblock's first four bytes: `"OXFS"`.
pub const MAGIC: u32 = u32::from_le_bytes(*b"OXFS");
/// The format version this code reads and writes.
/// Version 1 had no log; version 2 added it (`log_start`, `log_blocks`).
pub const VERSION: u32 = 2;
/// The log header's first four bytes: `"OXLG"`.
pub const LOG_MAGIC: u32 = u32::from_le_bytes(*b"OXLG");
/// The most blocks one transaction can log: as many block numbers as the header holds.
pub const MAX_LOG_CAPACITY: u32 = (BLOCK_SIZE as u32 - 8) / 4;
/// Bytes per inode.
pub const INODE_SIZE: usize = 64;
/// Inodes per block of the inode table.
pub const INODES_PER_BLOCK: u32 = (BLOCK_SIZE / INODE_SIZE) as u32;
/// Direct block pointers per inode.
pub const NDIRECT: usize = 12;
/// Block numbers per indirect block.
pub const NINDIRECT: usize = BLOCK_SIZE / 4;
/// The most blocks a file can have.
pub const MAX_FILE_BLOCKS: usize = NDIRECT + NINDIRECT;
/// The largest file, in bytes (4 243 456).
pub const MAX_FILE_SIZE: u32 = (MAX_FILE_BLOCKS * BLOCK_SIZE) as u32;
/// Bytes per directory entry.
pub const DIRENT_SIZE: usize = 32;
/// Directory entries per block.
pub const DIRENTS_PER_BLOCK: usize = BLOCK_SIZE / DIRENT_SIZE;
/// The longest name, in bytes.
pub const NAME_MAX: usize = DIRENT_SIZE - 4;
/// Bits of the block bitmap per bitmap block.
pub const BITS_PER_BLOCK: u32 = (BLOCK_SIZE * 8) as u32;
/// The root directory's inode number.
pub const ROOT_INO: u32 = 1;
/// The most links an inode can have.
pub const MAX_LINKS: u16 = u16::MAX;
/// The smallest image `mkfs` makes, in blocks.
pub const MIN_BLOCKS: u32 = 16;
/// The most inodes an image can have.
pub const MAX_INODES: u32 = 1 << 20;

/// The kind of an inode.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kind {
    /// Not in use.
    Free,
    /// A regular file.
    File,
    /// A directory.
    Dir,
    /// A device: no data, a device number for the kernel.
    Device,
}

impl Kind {
    fn code(self) -> u16 {
        match self {
            Kind::Free => 0,
            Kind::File => 1,
            Kind::Dir => 2,
            Kind::Device => 3,
        }
    }

    fn from_code(code: u16) -> Result<Kind, Error> {
        match code {
            0 => Ok(Kind::Free),
            1 => Ok(Kind::File),
            2 => Ok(Kind::Dir),
            3 => Ok(Kind::Device),
            _ => Err(Error::Corrupt),
        }
    }
}

fn get_u32(bytes: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]])
}

fn put_u32(bytes: &mut [u8], at: usize, value: u32) {
    bytes[at..at + 4].copy_from_slice(&value.to_le_bytes());
}

/// Block 0: what the image holds and where.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Superblock {
    /// Size of the image in blocks.
    pub blocks: u32,
    /// Number of inodes (a multiple of [`INODES_PER_BLOCK`]).
    pub inodes: u32,
    /// Blocks of the block bitmap (from block 1).
    pub bitmap_blocks: u32,
    /// First block of the log (its header).
    pub log_start: u32,
    /// Blocks of the log, its header included.
    pub log_blocks: u32,
    /// First block of the inode table.
    pub inode_start: u32,
    /// Blocks of the inode table.
    pub inode_blocks: u32,
    /// First data block.
    pub data_start: u32,
}

impl Superblock {
    /// The layout of an image of `blocks` blocks: one inode per 16 KiB (at least one block of
    /// inodes, at most [`MAX_INODES`]).
    pub fn for_size(blocks: u32) -> Result<Superblock, Error> {
        if blocks < MIN_BLOCKS {
            return Err(Error::Invalid);
        }
        let inodes = (blocks / 4).next_multiple_of(INODES_PER_BLOCK).clamp(INODES_PER_BLOCK, MAX_INODES);
        let bitmap_blocks = blocks.div_ceil(BITS_PER_BLOCK);
        let log_start = 1 + bitmap_blocks;
        let log_blocks = log_blocks_for(blocks, bitmap_blocks);
        let inode_start = log_start + log_blocks;
        let inode_blocks = inodes / INODES_PER_BLOCK;
        let sb = Superblock {
            blocks,
            inodes,
            bitmap_blocks,
            log_start,
            log_blocks,
            inode_start,
            inode_blocks,
            data_start: inode_start + inode_blocks,
        };
        sb.validate()?;
        Ok(sb)
    }

    /// Checks that the regions are where they must be and leave room for data.
    fn validate(&self) -> Result<(), Error> {
        let consistent = self.blocks >= MIN_BLOCKS
            && self.bitmap_blocks == self.blocks.div_ceil(BITS_PER_BLOCK)
            && self.log_start == 1 + self.bitmap_blocks
            && self.log_blocks == log_blocks_for(self.blocks, self.bitmap_blocks)
            && self.inode_start as u64 == self.log_start as u64 + self.log_blocks as u64
            && self.inodes > ROOT_INO
            && self.inodes <= MAX_INODES
            && self.inodes.is_multiple_of(INODES_PER_BLOCK)
            && self.inode_blocks == self.inodes / INODES_PER_BLOCK
            && self.data_start as u64 == self.inode_start as u64 + self.inode_blocks as u64
            && self.data_start < self.blocks;
        if consistent {
            Ok(())
        } else {
            Err(Error::Corrupt)
        }
    }

    /// Reads and checks a superblock: another format version is [`Error::Version`], anything
    /// else wrong [`Error::Corrupt`].
    pub fn decode(block: &[u8]) -> Result<Superblock, Error> {
        if get_u32(block, 0) != MAGIC {
            return Err(Error::Corrupt);
        }
        if get_u32(block, 4) != VERSION {
            return Err(Error::Version(get_u32(block, 4)));
        }
        if get_u32(block, 8) != BLOCK_SIZE as u32 {
            return Err(Error::Corrupt);
        }
        let sb = Superblock {
            blocks: get_u32(block, 12),
            inodes: get_u32(block, 16),
            bitmap_blocks: get_u32(block, 20),
            inode_start: get_u32(block, 24),
            inode_blocks: get_u32(block, 28),
            data_start: get_u32(block, 32),
            log_start: get_u32(block, 36),
            log_blocks: get_u32(block, 40),
        };
        sb.validate()?;
        Ok(sb)
    }

    /// Writes the superblock into the front of `block` (the rest stays as it is).
    pub fn encode(&self, block: &mut [u8]) {
        for (at, value) in [
            (0, MAGIC),
            (4, VERSION),
            (8, BLOCK_SIZE as u32),
            (12, self.blocks),
            (16, self.inodes),
            (20, self.bitmap_blocks),
            (24, self.inode_start),
            (28, self.inode_blocks),
            (32, self.data_start),
            (36, self.log_start),
            (40, self.log_blocks),
        ] {
            put_u32(block, at, value);
        }
    }

    /// Blocks one transaction may log (the log without its header).
    pub fn log_capacity(&self) -> u32 {
        self.log_blocks - 1
    }

    /// Whether `block` may be logged: inside the image, not the superblock, not the log.
    pub fn is_loggable(&self, block: u32) -> bool {
        block != 0 && block < self.blocks && !(self.log_start..self.inode_start).contains(&block)
    }

    /// Whether `block` may hold file data (or an indirect block).
    pub fn is_data(&self, block: u32) -> bool {
        (self.data_start..self.blocks).contains(&block)
    }

    /// The block of the inode table holding inode `ino`, and the byte offset in it.
    pub fn inode_place(&self, ino: u32) -> (u32, usize) {
        (self.inode_start + ino / INODES_PER_BLOCK, (ino % INODES_PER_BLOCK) as usize * INODE_SIZE)
    }
}

/// The log's size, its header included, for an image of `blocks` blocks with `bitmap_blocks`
/// bitmap blocks: one block in 16, 8 to 64, and at least 10; always room for a transaction that frees
/// blocks in every bitmap block (a truncation) plus the few inode and directory blocks an
/// operation touches; at most a header's worth ([`MAX_LOG_CAPACITY`]).
pub fn log_blocks_for(blocks: u32, bitmap_blocks: u32) -> u32 {
    let capacity = (blocks / 16).clamp(8, 64).max(bitmap_blocks.saturating_add(9)) - 1;
    capacity.min(MAX_LOG_CAPACITY) + 1
}

/// The log header (block `log_start`): which blocks the log holds, in order. `count` 0 means
/// the log is empty; otherwise log block `log_start + 1 + i` is the new contents of block
/// `blocks[i]`, committed (written before the header) but perhaps not yet installed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogHeader {
    /// The home blocks of the logged blocks, in log order.
    pub blocks: alloc::vec::Vec<u32>,
}

impl LogHeader {
    /// Reads a header, checking its magic and every block number against `sb`: a damaged
    /// header is [`Error::Corrupt`].
    pub fn decode(sb: &Superblock, block: &[u8]) -> Result<LogHeader, Error> {
        let count = get_u32(block, 4);
        if get_u32(block, 0) != LOG_MAGIC || count > sb.log_capacity() {
            return Err(Error::Corrupt);
        }
        let blocks: alloc::vec::Vec<u32> = (0..count as usize).map(|i| get_u32(block, 8 + 4 * i)).collect();
        if !blocks.iter().all(|b| sb.is_loggable(*b)) {
            return Err(Error::Corrupt);
        }
        Ok(LogHeader { blocks })
    }

    /// Writes the header into `block` (the whole block: the rest is zeroed).
    pub fn encode(&self, block: &mut [u8]) {
        block.fill(0);
        put_u32(block, 0, LOG_MAGIC);
        put_u32(block, 4, self.blocks.len() as u32);
        for (i, home) in self.blocks.iter().enumerate() {
            put_u32(block, 8 + 4 * i, *home);
        }
    }
}

/// An inode: what a file is and where its blocks are.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Inode {
    /// Free, file, directory or device.
    pub kind: Kind,
    /// Directory entries naming it (for a directory: 2 + its subdirectories).
    pub nlink: u16,
    /// Size in bytes.
    pub size: u32,
    /// Blocks 0..12 of the contents (0 = none: a hole).
    pub direct: [u32; NDIRECT],
    /// The block holding the numbers of blocks 12.. (0 = none).
    pub indirect: u32,
    /// For a device, its number (the kernel's business); 0 otherwise.
    pub device: u32,
}

impl Inode {
    /// A free inode.
    pub const FREE: Inode =
        Inode { kind: Kind::Free, nlink: 0, size: 0, direct: [0; NDIRECT], indirect: 0, device: 0 };

    /// Reads an inode from its [`INODE_SIZE`] bytes; an unknown kind or a size above
    /// [`MAX_FILE_SIZE`] is [`Error::Corrupt`].
    pub fn decode(bytes: &[u8]) -> Result<Inode, Error> {
        let kind = Kind::from_code(u16::from_le_bytes([bytes[0], bytes[1]]))?;
        let size = get_u32(bytes, 4);
        if size > MAX_FILE_SIZE {
            return Err(Error::Corrupt);
        }
        let mut direct = [0; NDIRECT];
        for (i, slot) in direct.iter_mut().enumerate() {
            *slot = get_u32(bytes, 8 + 4 * i);
        }
        Ok(Inode {
            kind,
            nlink: u16::from_le_bytes([bytes[2], bytes[3]]),
            size,
            direct,
            indirect: get_u32(bytes, 56),
            device: get_u32(bytes, 60),
        })
    }

    /// Writes the inode into its [`INODE_SIZE`] bytes.
    pub fn encode(&self, bytes: &mut [u8]) {
        bytes[0..2].copy_from_slice(&self.kind.code().to_le_bytes());
        bytes[2..4].copy_from_slice(&self.nlink.to_le_bytes());
        put_u32(bytes, 4, self.size);
        for (i, block) in self.direct.iter().enumerate() {
            put_u32(bytes, 8 + 4 * i, *block);
        }
        put_u32(bytes, 56, self.indirect);
        put_u32(bytes, 60, self.device);
    }
}

/// Reads entry `index` of an indirect block.
pub fn indirect_entry(block: &[u8], index: usize) -> u32 {
    get_u32(block, 4 * index)
}

/// Writes entry `index` of an indirect block.
pub fn set_indirect_entry(block: &mut [u8], index: usize, value: u32) {
    put_u32(block, 4 * index, value);
}

/// A raw directory entry: an inode number (0 = a free slot) and a NUL-padded name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RawEntry {
    /// The inode it names, 0 for a free slot.
    pub ino: u32,
    /// The name, NUL-padded.
    pub name: [u8; NAME_MAX],
}

impl RawEntry {
    /// An entry naming `ino` with `name` (at most [`NAME_MAX`] bytes, already checked).
    pub fn new(ino: u32, name: &[u8]) -> RawEntry {
        let mut padded = [0; NAME_MAX];
        let len = name.len().min(NAME_MAX);
        padded[..len].copy_from_slice(&name[..len]);
        RawEntry { ino, name: padded }
    }

    /// Reads an entry from its [`DIRENT_SIZE`] bytes.
    pub fn decode(bytes: &[u8]) -> RawEntry {
        let mut name = [0; NAME_MAX];
        name.copy_from_slice(&bytes[4..DIRENT_SIZE]);
        RawEntry { ino: get_u32(bytes, 0), name }
    }

    /// Writes the entry into its [`DIRENT_SIZE`] bytes.
    pub fn encode(&self, bytes: &mut [u8]) {
        put_u32(bytes, 0, self.ino);
        bytes[4..DIRENT_SIZE].copy_from_slice(&self.name);
    }

    /// The name without its padding.
    pub fn name(&self) -> &[u8] {
        let len = self.name.iter().position(|b| *b == 0).unwrap_or(NAME_MAX);
        &self.name[..len]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layouts_fit_their_images() {
        let sb = Superblock::for_size(4096).unwrap();
        assert_eq!(
            (sb.bitmap_blocks, sb.log_start, sb.log_blocks, sb.inodes, sb.inode_start, sb.data_start),
            (1, 2, 64, 1024, 66, 82)
        );
        let small = Superblock::for_size(MIN_BLOCKS).unwrap();
        assert_eq!((small.inodes, small.log_blocks, small.data_start), (64, 10, 13));
        let big = Superblock::for_size(1 << 20).unwrap();
        assert_eq!((big.bitmap_blocks, big.inodes), (32, 1 << 18));
        assert_eq!(Superblock::for_size(MIN_BLOCKS - 1), Err(Error::Invalid));
    }

    #[test]
    fn structures_round_trip() {
        let sb = Superblock::for_size(1000).unwrap();
        let mut block = [0u8; BLOCK_SIZE];
        sb.encode(&mut block);
        assert_eq!(&block[..4], b"OXFS");
        assert_eq!(Superblock::decode(&block), Ok(sb));
        block[32] ^= 1;
        assert_eq!(Superblock::decode(&block), Err(Error::Corrupt));
        block[4] = 1;
        assert_eq!(Superblock::decode(&block), Err(Error::Version(1)), "the format before the log");
        block[4] = 3;
        assert_eq!(Superblock::decode(&block), Err(Error::Version(3)), "a newer format");

        let header = LogHeader { blocks: alloc::vec![sb.data_start, 1, sb.inode_start] };
        header.encode(&mut block);
        assert_eq!(LogHeader::decode(&sb, &block), Ok(header));
        LogHeader { blocks: alloc::vec![sb.log_start + 1] }.encode(&mut block);
        assert_eq!(LogHeader::decode(&sb, &block), Err(Error::Corrupt), "a log block logged");

        let inode =
            Inode { kind: Kind::Dir, nlink: 3, size: 64, direct: [7; NDIRECT], indirect: 9, device: 0 };
        let mut bytes = [0u8; INODE_SIZE];
        inode.encode(&mut bytes);
        assert_eq!(Inode::decode(&bytes), Ok(inode));
        bytes[0] = 9;
        assert_eq!(Inode::decode(&bytes), Err(Error::Corrupt));

        let entry = RawEntry::new(5, b"hello");
        let mut bytes = [0u8; DIRENT_SIZE];
        entry.encode(&mut bytes);
        assert_eq!(RawEntry::decode(&bytes).name(), b"hello");
        assert_eq!(RawEntry::new(1, &[b'x'; NAME_MAX]).name().len(), NAME_MAX);
    }
}
