//! A mounted file system: blocks (the bitmap), inodes (the table) and file contents (the block
//! map), over a [`BlockDevice`].
//!
//! Every block this module writes goes through the log ([`crate::log`]): [`Fs::bwrite`] puts it
//! in the transaction under way, [`Fs::bread`] sees it there.
//!
//! Conventions: inode numbers are checked against the table ([`Error::Invalid`] when out of
//! range); every block number read from an inode or an indirect block is checked to be a data
//! block ([`Error::Corrupt`] otherwise) before it is read or written. Newly allocated blocks
//! are zeroed on the disk, and truncation zeroes the tail of the last block it keeps, so the
//! bytes of a file's blocks past its size are always zero and a hole reads as zeros.
//!
//! Allocation: blocks by a first-fit scan of the bitmap starting after the last block
//! allocated (wrapping once); inodes by a scan of the table for a free kind, starting after
//! the last inode allocated. An operation that runs out of space part-way gives back what it
//! took, except a write, which keeps the bytes it managed to write and reports their count.

use alloc::vec;
use alloc::vec::Vec;

use crate::layout::{
    indirect_entry, set_indirect_entry, Inode, Kind, LogHeader, Superblock, BITS_PER_BLOCK, INODE_SIZE,
    MAX_FILE_SIZE, NDIRECT, NINDIRECT, ROOT_INO,
};
use crate::log::{Log, BLOCKS_PER_WRITTEN_BLOCK};
use crate::{zeroed_block, BlockDevice, Error, BLOCK_SIZE};

/// What [`Fs::stat`] tells about an inode.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stat {
    /// The inode number.
    pub ino: u32,
    /// File, directory or device.
    pub kind: Kind,
    /// How many directory entries name it.
    pub nlink: u16,
    /// Size in bytes.
    pub size: u32,
    /// Blocks it holds, the indirect block included.
    pub blocks: u32,
    /// The device number of a device inode.
    pub device: u32,
}

/// A mounted file system on device `D`.
pub struct Fs<D: BlockDevice> {
    pub(crate) dev: D,
    pub(crate) sb: Superblock,
    pub(crate) log: Log,
    next_block: u32,
    next_ino: u32,
    recovered: usize,
}

/// Writes an empty file system of `blocks` blocks on `dev` (the root directory with `.` and
/// `..`, nothing else) and mounts it.
pub fn mkfs<D: BlockDevice>(mut dev: D, blocks: u32) -> Result<Fs<D>, Error> {
    if blocks > dev.block_count() {
        return Err(Error::Invalid);
    }
    let sb = Superblock::for_size(blocks)?;
    let mut block = zeroed_block();
    sb.encode(&mut block[..]);
    dev.write(0, &block)?;
    block.fill(0);
    for n in 1..sb.data_start {
        dev.write(n, &block)?;
    }
    // The superblock, bitmap and inode table are in use from the start.
    for map in 0..sb.bitmap_blocks {
        block.fill(0);
        let first = map * BITS_PER_BLOCK;
        for n in first..sb.data_start.clamp(first, first + BITS_PER_BLOCK) {
            let bit = (n - first) as usize;
            block[bit / 8] |= 1 << (bit % 8);
        }
        dev.write(1 + map, &block)?;
    }
    LogHeader { blocks: Vec::new() }.encode(&mut block[..]);
    dev.write(sb.log_start, &block)?;
    let mut fs = Fs::new(dev, sb);
    fs.op(|fs| {
        let root = fs.alloc_inode(Kind::Dir)?;
        if root != ROOT_INO {
            return Err(Error::Corrupt);
        }
        fs.init_dir(ROOT_INO, ROOT_INO)
    })?;
    fs.dev.flush()?;
    Ok(fs)
}

impl<D: BlockDevice> Fs<D> {
    fn new(dev: D, sb: Superblock) -> Fs<D> {
        Fs { dev, sb, log: Log::default(), next_block: sb.data_start, next_ino: ROOT_INO, recovered: 0 }
    }

    /// Opens the file system on `dev` without the full check: checks the superblock against
    /// the device (another format version is [`Error::Version`]), replays a committed log and
    /// checks that the root is a directory. For tools that look at damaged images.
    pub fn open(mut dev: D) -> Result<Fs<D>, Error> {
        let mut block = zeroed_block();
        dev.read(0, &mut block)?;
        let sb = Superblock::decode(&block[..])?;
        if sb.blocks > dev.block_count() {
            return Err(Error::Corrupt);
        }
        let mut fs = Fs::new(dev, sb);
        fs.recovered = fs.recover()?;
        if fs.inode(ROOT_INO)?.kind != Kind::Dir {
            return Err(Error::Corrupt);
        }
        Ok(fs)
    }

    /// Mounts the file system on `dev`: [`Fs::open`], then the consistency check
    /// ([`crate::check()`]); an image with any problem is refused ([`Error::Corrupt`]; the
    /// kernel runs the check itself to say which).
    pub fn mount(dev: D) -> Result<Fs<D>, Error> {
        let mut fs = Fs::open(dev)?;
        if !crate::check(&mut fs)?.is_clean() {
            return Err(Error::Corrupt);
        }
        Ok(fs)
    }

    /// How many logged blocks the mount installed from a committed log (0 when the last
    /// writer stopped between transactions).
    pub fn recovered_blocks(&self) -> usize {
        self.recovered
    }

    /// The superblock.
    pub fn superblock(&self) -> &Superblock {
        &self.sb
    }

    /// The device it is mounted on.
    pub fn device(&self) -> &D {
        &self.dev
    }

    /// The device it is mounted on, mutably (a test moves its crash point).
    #[cfg(test)]
    pub(crate) fn device_mut(&mut self) -> &mut D {
        &mut self.dev
    }

    /// Flushes the device and gives it back.
    pub fn unmount(mut self) -> Result<D, Error> {
        self.dev.flush()?;
        Ok(self.dev)
    }

    /// Puts every write so far on stable storage.
    pub fn sync(&mut self) -> Result<(), Error> {
        self.dev.flush()
    }

    /// Reads a whole block (for the check and tools that look at raw blocks).
    pub fn read_block(&mut self, block: u32, buf: &mut crate::Block) -> Result<(), Error> {
        if block >= self.sb.blocks {
            return Err(Error::Corrupt);
        }
        self.bread(block, buf)
    }

    /// Writes a whole block, as a transaction of its own (for [`crate::check::repair`]).
    pub(crate) fn write_block(&mut self, block: u32, buf: &crate::Block) -> Result<(), Error> {
        self.op(|fs| fs.bwrite(block, buf))
    }

    // ---- the block bitmap ----

    /// Whether the bitmap marks `block` in use.
    pub fn block_in_use(&mut self, block: u32) -> Result<bool, Error> {
        if block >= self.sb.blocks {
            return Err(Error::Corrupt);
        }
        let mut buf = zeroed_block();
        self.bread(1 + block / BITS_PER_BLOCK, &mut buf)?;
        let bit = block % BITS_PER_BLOCK;
        Ok(buf[bit as usize / 8] & (1 << (bit % 8)) != 0)
    }

    /// How many blocks the bitmap marks free.
    pub fn free_blocks(&mut self) -> Result<u32, Error> {
        let mut buf = zeroed_block();
        let mut free = 0;
        for map in 0..self.sb.bitmap_blocks {
            self.bread(1 + map, &mut buf)?;
            let first = map * BITS_PER_BLOCK;
            let bits = (self.sb.blocks - first).min(BITS_PER_BLOCK);
            free += (0..bits).filter(|b| buf[*b as usize / 8] & (1 << (b % 8)) == 0).count() as u32;
        }
        Ok(free)
    }

    /// Takes a free data block, zeroed.
    fn alloc_block(&mut self) -> Result<u32, Error> {
        let data = self.sb.blocks - self.sb.data_start;
        let mut buf = zeroed_block();
        let mut loaded = None;
        for step in 0..data {
            let block = self.sb.data_start + (self.next_block - self.sb.data_start + step) % data;
            let map = 1 + block / BITS_PER_BLOCK;
            if loaded != Some(map) {
                self.bread(map, &mut buf)?;
                loaded = Some(map);
            }
            let bit = (block % BITS_PER_BLOCK) as usize;
            if buf[bit / 8] & (1 << (bit % 8)) == 0 {
                buf[bit / 8] |= 1 << (bit % 8);
                self.bwrite(map, &buf)?;
                buf.fill(0);
                self.bwrite(block, &buf)?;
                self.next_block = if block + 1 < self.sb.blocks { block + 1 } else { self.sb.data_start };
                return Ok(block);
            }
        }
        Err(Error::NoSpace)
    }

    /// Gives back data block `block`; freeing a free block is [`Error::Corrupt`].
    fn free_block(&mut self, block: u32) -> Result<(), Error> {
        if !self.sb.is_data(block) {
            return Err(Error::Corrupt);
        }
        let map = 1 + block / BITS_PER_BLOCK;
        let bit = (block % BITS_PER_BLOCK) as usize;
        let mut buf = zeroed_block();
        self.bread(map, &mut buf)?;
        if buf[bit / 8] & (1 << (bit % 8)) == 0 {
            return Err(Error::Corrupt);
        }
        buf[bit / 8] &= !(1 << (bit % 8));
        self.bwrite(map, &buf)
    }

    // ---- the inode table ----

    /// Reads inode `ino`.
    pub fn inode(&mut self, ino: u32) -> Result<Inode, Error> {
        if ino == 0 || ino >= self.sb.inodes {
            return Err(Error::Invalid);
        }
        let (block, at) = self.sb.inode_place(ino);
        self.bread_with(block, |buf| Inode::decode(&buf[at..at + INODE_SIZE]))?
    }

    /// Writes inode `ino`.
    pub(crate) fn write_inode(&mut self, ino: u32, inode: &Inode) -> Result<(), Error> {
        if ino == 0 || ino >= self.sb.inodes {
            return Err(Error::Invalid);
        }
        let (block, at) = self.sb.inode_place(ino);
        let mut buf = zeroed_block();
        self.bread(block, &mut buf)?;
        inode.encode(&mut buf[at..at + INODE_SIZE]);
        self.bwrite(block, &buf)
    }

    /// Writes inode `ino` (any number, 0 included) as a transaction of its own: for the repair.
    pub(crate) fn write_inode_raw(&mut self, ino: u32, inode: &Inode) -> Result<(), Error> {
        if ino >= self.sb.inodes {
            return Err(Error::Invalid);
        }
        let (block, at) = self.sb.inode_place(ino);
        let mut buf = zeroed_block();
        self.bread(block, &mut buf)?;
        inode.encode(&mut buf[at..at + INODE_SIZE]);
        self.write_block(block, &buf)
    }

    /// Reads inode `ino`, which must be in use.
    pub(crate) fn live_inode(&mut self, ino: u32) -> Result<Inode, Error> {
        let inode = self.inode(ino)?;
        if inode.kind == Kind::Free {
            return Err(Error::Corrupt);
        }
        Ok(inode)
    }

    /// Takes a free inode and makes it an empty `kind` with no links.
    pub(crate) fn alloc_inode(&mut self, kind: Kind) -> Result<u32, Error> {
        let count = self.sb.inodes - 1;
        let mut buf = zeroed_block();
        let mut loaded = None;
        for step in 0..count {
            let ino = 1 + (self.next_ino - 1 + step) % count;
            let (block, at) = self.sb.inode_place(ino);
            if loaded != Some(block) {
                self.bread(block, &mut buf)?;
                loaded = Some(block);
            }
            if Inode::decode(&buf[at..at + INODE_SIZE])?.kind == Kind::Free {
                self.write_inode(ino, &Inode { kind, ..Inode::FREE })?;
                self.next_ino = if ino + 1 < self.sb.inodes { ino + 1 } else { 1 };
                return Ok(ino);
            }
        }
        Err(Error::NoSpace)
    }

    /// Frees inode `ino` and every block it holds.
    pub(crate) fn free_inode(&mut self, ino: u32) -> Result<(), Error> {
        self.truncate_blocks(ino, 0)?;
        self.write_inode(ino, &Inode::FREE)
    }

    /// What inode `ino` is.
    pub fn stat(&mut self, ino: u32) -> Result<Stat, Error> {
        let inode = self.live_inode(ino)?;
        let blocks = self.block_list(&inode)?.iter().filter(|b| **b != 0).count() as u32
            + (inode.indirect != 0) as u32;
        Ok(Stat { ino, kind: inode.kind, nlink: inode.nlink, size: inode.size, blocks, device: inode.device })
    }

    // ---- the block map ----

    fn checked(&self, block: u32) -> Result<u32, Error> {
        if block != 0 && !self.sb.is_data(block) {
            return Err(Error::Corrupt);
        }
        Ok(block)
    }

    /// The data blocks of an inode in file order, 0 for holes, up to the last one its size
    /// covers; every number checked.
    pub fn block_list(&mut self, inode: &Inode) -> Result<Vec<u32>, Error> {
        let count = (inode.size as usize).div_ceil(BLOCK_SIZE);
        let mut list = Vec::with_capacity(count);
        for n in 0..count.min(NDIRECT) {
            list.push(self.checked(inode.direct[n])?);
        }
        if count > NDIRECT && self.checked(inode.indirect)? != 0 {
            let mut buf = zeroed_block();
            self.bread(inode.indirect, &mut buf)?;
            for n in 0..count - NDIRECT {
                list.push(self.checked(indirect_entry(&buf[..], n))?);
            }
        }
        list.resize(count, 0);
        Ok(list)
    }

    /// The disk block holding block `n` of inode `ino`'s contents; with `alloc`, a hole gets a
    /// new zeroed block (and the inode, already read into `inode`, is updated on the disk).
    fn bmap(&mut self, ino: u32, inode: &mut Inode, n: usize, alloc: bool) -> Result<u32, Error> {
        if n < NDIRECT {
            let block = self.checked(inode.direct[n])?;
            if block != 0 || !alloc {
                return Ok(block);
            }
            let block = self.alloc_block()?;
            inode.direct[n] = block;
            self.write_inode(ino, inode)?;
            return Ok(block);
        }
        let n = n - NDIRECT;
        if n >= NINDIRECT {
            return Err(Error::FileTooBig);
        }
        if self.checked(inode.indirect)? == 0 {
            if !alloc {
                return Ok(0);
            }
            inode.indirect = self.alloc_block()?;
            self.write_inode(ino, inode)?;
        }
        let entry = self.bread_with(inode.indirect, |buf| indirect_entry(&buf[..], n))?;
        let block = self.checked(entry)?;
        if block != 0 || !alloc {
            return Ok(block);
        }
        let block = self.alloc_block()?;
        let mut buf = zeroed_block();
        self.bread(inode.indirect, &mut buf)?;
        set_indirect_entry(&mut buf[..], n, block);
        self.bwrite(inode.indirect, &buf)?;
        Ok(block)
    }

    // ---- contents ----

    /// Reads from byte `offset` of inode `ino` (any kind) into `buf`; returns how many bytes it
    /// read (0 at or past the end).
    pub(crate) fn read_raw(&mut self, ino: u32, offset: u32, buf: &mut [u8]) -> Result<usize, Error> {
        let mut inode = self.live_inode(ino)?;
        if offset >= inode.size {
            return Ok(0);
        }
        let len = buf.len().min((inode.size - offset) as usize);
        let mut done = 0;
        while done < len {
            let pos = offset as usize + done;
            let (n, within) = (pos / BLOCK_SIZE, pos % BLOCK_SIZE);
            let chunk = (BLOCK_SIZE - within).min(len - done);
            let to = &mut buf[done..done + chunk];
            match self.bmap(ino, &mut inode, n, false)? {
                0 => to.fill(0),
                block => self.bread_with(block, |data| to.copy_from_slice(&data[within..within + chunk]))?,
            }
            done += chunk;
        }
        Ok(len)
    }

    /// Writes `data` at byte `offset` of inode `ino` (any kind), growing it as needed; returns
    /// how many bytes it wrote (fewer than asked when the disk fills or the file reaches
    /// [`MAX_FILE_SIZE`]; an error if it could write none).
    /// With `split`, a write that fills the log commits part-way (see [`crate::log`]).
    pub(crate) fn write_raw(
        &mut self,
        ino: u32,
        offset: u32,
        data: &[u8],
        split: bool,
    ) -> Result<usize, Error> {
        let mut inode = self.live_inode(ino)?;
        if data.is_empty() {
            return Ok(0);
        }
        if offset >= MAX_FILE_SIZE {
            return Err(Error::FileTooBig);
        }
        let len = data.len().min((MAX_FILE_SIZE - offset) as usize);
        let mut block_buf = zeroed_block();
        let mut done = 0;
        let mut failure = None;
        while done < len {
            let pos = offset as usize + done;
            let (n, within) = (pos / BLOCK_SIZE, pos % BLOCK_SIZE);
            let chunk = (BLOCK_SIZE - within).min(len - done);
            if split && self.log_nearly_full(BLOCKS_PER_WRITTEN_BLOCK) {
                // The inode is up to date: what is written so far is a consistent file.
                self.commit()?;
            }
            let block = match self.bmap(ino, &mut inode, n, true) {
                Ok(block) => block,
                Err(e) => {
                    failure = Some(e);
                    break;
                }
            };
            if chunk < BLOCK_SIZE {
                self.bread(block, &mut block_buf)?;
            }
            block_buf[within..within + chunk].copy_from_slice(&data[done..done + chunk]);
            self.bwrite(block, &block_buf)?;
            done += chunk;
            let end = offset + done as u32;
            if end > inode.size {
                inode.size = end;
                self.write_inode(ino, &inode)?;
            }
        }
        match failure {
            Some(e) if done == 0 => Err(e),
            _ => Ok(done),
        }
    }

    /// Reads from byte `offset` of file `ino` into `buf`; returns how many bytes it read (0 at
    /// or past the end). A directory is [`Error::IsDir`], a device [`Error::Invalid`].
    pub fn read_at(&mut self, ino: u32, offset: u32, buf: &mut [u8]) -> Result<usize, Error> {
        self.expect_file(ino)?;
        self.read_raw(ino, offset, buf)
    }

    /// Writes `data` at byte `offset` of file `ino`, growing it (a gap before `offset` reads as
    /// zeros); returns how many bytes it wrote, fewer than asked when the disk fills or the
    /// file reaches [`MAX_FILE_SIZE`], and an error ([`Error::NoSpace`], [`Error::FileTooBig`])
    /// when it could write none.
    /// One transaction, or several for a write larger than the log holds.
    pub fn write_at(&mut self, ino: u32, offset: u32, data: &[u8]) -> Result<usize, Error> {
        self.op(|fs| {
            fs.expect_file(ino)?;
            fs.write_raw(ino, offset, data, true)
        })
    }

    /// Sets the size of file `ino` to `size`: blocks past it are freed, and a larger size
    /// reads as zeros past the old end.
    pub fn truncate(&mut self, ino: u32, size: u32) -> Result<(), Error> {
        self.expect_file(ino)?;
        if size > MAX_FILE_SIZE {
            return Err(Error::FileTooBig);
        }
        self.op(|fs| fs.truncate_blocks(ino, size))
    }

    fn expect_file(&mut self, ino: u32) -> Result<Inode, Error> {
        let inode = self.live_inode(ino)?;
        match inode.kind {
            Kind::File => Ok(inode),
            Kind::Dir => Err(Error::IsDir),
            _ => Err(Error::Invalid),
        }
    }

    /// Sets the size of inode `ino`, freeing the blocks past it and zeroing the tail of the
    /// last block it keeps.
    fn truncate_blocks(&mut self, ino: u32, size: u32) -> Result<(), Error> {
        let mut inode = self.live_inode(ino)?;
        let keep = (size as usize).div_ceil(BLOCK_SIZE);
        for n in keep.min(NDIRECT)..NDIRECT {
            let block = self.checked(inode.direct[n])?;
            if block != 0 {
                inode.direct[n] = 0;
                self.free_block(block)?;
            }
        }
        if self.checked(inode.indirect)? != 0 {
            let mut buf = zeroed_block();
            self.bread(inode.indirect, &mut buf)?;
            let first = keep.saturating_sub(NDIRECT);
            for n in first..NINDIRECT {
                let block = self.checked(indirect_entry(&buf[..], n))?;
                if block != 0 {
                    set_indirect_entry(&mut buf[..], n, 0);
                    self.free_block(block)?;
                }
            }
            if first == 0 {
                self.free_block(inode.indirect)?;
                inode.indirect = 0;
            } else {
                self.bwrite(inode.indirect, &buf)?;
            }
        }
        if size < inode.size && !(size as usize).is_multiple_of(BLOCK_SIZE) {
            let block = self.bmap(ino, &mut inode, keep - 1, false)?;
            if block != 0 {
                let mut buf = zeroed_block();
                self.bread(block, &mut buf)?;
                buf[size as usize % BLOCK_SIZE..].fill(0);
                self.bwrite(block, &buf)?;
            }
        }
        inode.size = size;
        self.write_inode(ino, &inode)
    }

    /// The whole contents of file `ino`.
    pub fn read_all(&mut self, ino: u32) -> Result<Vec<u8>, Error> {
        let size = self.expect_file(ino)?.size;
        let mut data = vec![0; size as usize];
        let got = self.read_raw(ino, 0, &mut data)?;
        data.truncate(got);
        Ok(data)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::MemDisk;

    #[test]
    fn blocks_are_allocated_zeroed_and_freed_once() {
        let mut fs = mkfs(MemDisk::new(64), 64).unwrap();
        let free = fs.free_blocks().unwrap();
        let b = fs.alloc_block().unwrap();
        assert!(fs.sb.is_data(b) && fs.block_in_use(b).unwrap());
        assert_eq!(fs.free_blocks().unwrap(), free - 1);
        fs.free_block(b).unwrap();
        assert_eq!(fs.free_block(b), Err(Error::Corrupt), "double free");
        assert_eq!(fs.free_block(0), Err(Error::Corrupt), "not a data block");
        while fs.alloc_block().is_ok() {}
        assert_eq!(fs.free_blocks().unwrap(), 0);
        assert_eq!(fs.alloc_block(), Err(Error::NoSpace));
    }

    #[test]
    fn holes_read_as_zeros_and_truncate_zeroes_the_tail() {
        let mut fs = mkfs(MemDisk::new(256), 256).unwrap();
        let ino = fs.alloc_inode(Kind::File).unwrap();
        assert_eq!(fs.write_at(ino, 20_000, b"tail").unwrap(), 4);
        let mut buf = [1u8; 8];
        assert_eq!(fs.read_at(ino, 100, &mut buf).unwrap(), 8);
        assert_eq!(buf, [0; 8]);
        assert_eq!(fs.stat(ino).unwrap().blocks, 1, "only the written block exists");
        fs.write_at(ino, 0, &[9; 100]).unwrap();
        fs.truncate(ino, 10).unwrap();
        fs.truncate(ino, 100).unwrap();
        let data = fs.read_all(ino).unwrap();
        assert_eq!((&data[..10], &data[10..]), (&[9u8; 10][..], &[0u8; 90][..]));
        assert_eq!(fs.write_at(ino, MAX_FILE_SIZE, b"x"), Err(Error::FileTooBig));
    }

    #[test]
    fn out_of_range_numbers_are_refused() {
        let mut fs = mkfs(MemDisk::new(64), 64).unwrap();
        assert_eq!(fs.inode(0), Err(Error::Invalid));
        assert_eq!(fs.inode(fs.sb.inodes), Err(Error::Invalid));
        let ino = fs.alloc_inode(Kind::File).unwrap();
        let mut inode = fs.inode(ino).unwrap();
        inode.direct[0] = 1;
        inode.size = 10;
        fs.write_inode(ino, &inode).unwrap();
        assert_eq!(fs.read_at(ino, 0, &mut [0; 4]), Err(Error::Corrupt));
        assert_eq!(fs.stat(ino), Err(Error::Corrupt));
    }
}
