//! A small write-through block cache that sits in front of any [`BlockDevice`].
//!
//! The file system reads the same few blocks over and over (the bitmap, inode-table blocks,
//! directories), so the kernel wraps its disk driver in a [`BlockCache`]. Writes go to the
//! device at once and update the cached copy, so dropping the cache never loses data and the
//! disk is always as up to date as without it; only reads are saved. Eviction is least
//! recently used. The cache is itself a [`BlockDevice`].

use alloc::boxed::Box;
use alloc::vec::Vec;

use crate::{zeroed_block, Block, BlockDevice, Error};

/// One cached block.
struct Slot {
    block: u32,
    data: Box<Block>,
    used: u64,
}

/// A write-through cache of up to `capacity` blocks over device `D`.
pub struct BlockCache<D: BlockDevice> {
    dev: D,
    slots: Vec<Slot>,
    capacity: usize,
    clock: u64,
    /// Reads served from the cache.
    pub hits: u64,
    /// Reads that went to the device.
    pub misses: u64,
}

impl<D: BlockDevice> BlockCache<D> {
    /// A cache of `capacity` blocks (at least 1) in front of `dev`.
    pub fn new(dev: D, capacity: usize) -> BlockCache<D> {
        BlockCache { dev, slots: Vec::new(), capacity: capacity.max(1), clock: 0, hits: 0, misses: 0 }
    }

    /// Blocks held now (at most the capacity).
    pub fn cached(&self) -> usize {
        self.slots.len()
    }

    /// The device, given back.
    pub fn into_inner(self) -> D {
        self.dev
    }

    /// Keeps a copy of `data` as block `block`, evicting the least recently used block.
    fn remember(&mut self, block: u32, data: &Block) {
        self.clock += 1;
        if let Some(slot) = self.slots.iter_mut().find(|s| s.block == block) {
            slot.data.copy_from_slice(data);
            slot.used = self.clock;
            return;
        }
        if self.slots.len() < self.capacity {
            let mut copy = zeroed_block();
            copy.copy_from_slice(data);
            self.slots.push(Slot { block, data: copy, used: self.clock });
        } else if let Some(slot) = self.slots.iter_mut().min_by_key(|s| s.used) {
            slot.block = block;
            slot.data.copy_from_slice(data);
            slot.used = self.clock;
        }
    }
}

impl<D: BlockDevice> BlockDevice for BlockCache<D> {
    fn block_count(&self) -> u32 {
        self.dev.block_count()
    }

    fn read(&mut self, block: u32, buf: &mut Block) -> Result<(), Error> {
        self.clock += 1;
        let clock = self.clock;
        if let Some(slot) = self.slots.iter_mut().find(|s| s.block == block) {
            slot.used = clock;
            buf.copy_from_slice(&slot.data[..]);
            self.hits += 1;
            return Ok(());
        }
        self.misses += 1;
        self.dev.read(block, buf)?;
        self.remember(block, buf);
        Ok(())
    }

    fn write(&mut self, block: u32, buf: &Block) -> Result<(), Error> {
        self.dev.write(block, buf)?;
        self.remember(block, buf);
        Ok(())
    }

    fn flush(&mut self) -> Result<(), Error> {
        self.dev.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{mkfs, Fs, MemDisk};

    #[test]
    fn the_cache_saves_reads_and_loses_no_writes() {
        let mut fs = mkfs(BlockCache::new(MemDisk::new(128), 8), 128).unwrap();
        for n in 0..20 {
            fs.write_file(&alloc::format!("/f{n}"), &[n as u8; 5000]).unwrap();
        }
        let cache = fs.unmount().unwrap();
        assert!(cache.hits > cache.misses, "{} hits, {} misses", cache.hits, cache.misses);
        let mut fs = Fs::mount(cache.into_inner()).unwrap();
        assert_eq!(fs.read_file("/f7").unwrap(), [7u8; 5000]);
    }
}
