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

/// The block number of a slot whose read failed: no block has it.
const NO_BLOCK: u32 = u32::MAX;

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
        let (slot, _) = self.slot_for(block);
        self.slots[slot].data.copy_from_slice(data);
    }

    /// The slot of block `block`, marked used now, and whether it holds the block already:
    /// the one holding it, or a new one while there is room, or the least recently used one,
    /// taken over (its contents are the old block's until the caller fills it).
    fn slot_for(&mut self, block: u32) -> (usize, bool) {
        self.clock += 1;
        let clock = self.clock;
        let (slot, cached) = match self.slots.iter().position(|s| s.block == block) {
            Some(slot) => (slot, true),
            None if self.slots.len() < self.capacity => {
                self.slots.push(Slot { block, data: zeroed_block(), used: clock });
                (self.slots.len() - 1, false)
            }
            None => {
                let lru = (0..self.slots.len()).min_by_key(|&i| self.slots[i].used).unwrap_or(0);
                self.slots[lru].block = block;
                (lru, false)
            }
        };
        self.slots[slot].used = clock;
        (slot, cached)
    }
}

impl<D: BlockDevice> BlockDevice for BlockCache<D> {
    fn block_count(&self) -> u32 {
        self.dev.block_count()
    }

    fn read(&mut self, block: u32, buf: &mut Block) -> Result<(), Error> {
        self.read_with(block, &mut |data| buf.copy_from_slice(data))
    }

    fn write(&mut self, block: u32, buf: &Block) -> Result<(), Error> {
        self.dev.write(block, buf)?;
        self.remember(block, buf);
        Ok(())
    }

    fn flush(&mut self) -> Result<(), Error> {
        self.dev.flush()
    }

    /// Lends the cached copy; a block not cached is read straight into the slot it takes.
    fn read_with(&mut self, block: u32, look: &mut dyn FnMut(&Block)) -> Result<(), Error> {
        let (slot, cached) = self.slot_for(block);
        if cached {
            self.hits += 1;
        } else {
            self.misses += 1;
            if let Err(e) = self.dev.read(block, &mut self.slots[slot].data) {
                self.slots[slot].block = NO_BLOCK;
                return Err(e);
            }
        }
        look(&self.slots[slot].data);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{mkfs, zeroed_block, BlockDevice, Error, Fs, MemDisk};

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

    #[test]
    fn a_lent_block_is_the_disks_and_a_failed_read_caches_nothing() {
        let mut disk = MemDisk::new(8);
        let mut block = zeroed_block();
        for n in 0..8 {
            block.fill(n as u8 + 1);
            disk.write(n, &block).unwrap();
        }
        let mut cache = BlockCache::new(disk, 2);
        let mut seen = alloc::vec::Vec::new();
        for n in [0, 1, 0, 2, 1] {
            cache.read_with(n, &mut |data| seen.push((data[0], data[4095]))).unwrap();
        }
        assert_eq!(seen, [(1, 1), (2, 2), (1, 1), (3, 3), (2, 2)]);
        assert_eq!((cache.hits, cache.misses), (1, 4), "block 1 was evicted by block 2");
        assert_eq!(cache.read_with(8, &mut |_| panic!("no such block")), Err(Error::Io));
        cache.read_with(2, &mut |data| assert_eq!(data[0], 3)).unwrap();
        assert_eq!(cache.cached(), 2);
    }
}
