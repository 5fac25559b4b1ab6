//! The write-ahead log, after xv6's logging layer (Cox, Kaashoek and Morris, *xv6: a simple,
//! Unix-like teaching operating system*, chapter "File system", section "Logging layer").
//!
//! Every operation that changes the image runs as a **transaction**: its block writes are held
//! in memory ([`Fs::bwrite`] puts them in the pending set, where later writes of the same block
//! are absorbed and reads find them) until the outermost operation ends. Then [`Fs::commit`]:
//!
//! 1. writes each pending block to the log (`log_start + 1 + i`), and flushes;
//! 2. writes the header naming their home blocks, and flushes: **the commit point**;
//! 3. installs each block at its home, and flushes;
//! 4. writes an empty header, and flushes.
//!
//! A crash before step 2 leaves the old image (the log blocks are not named by any header); a
//! crash after it leaves a committed log, which [`Fs::recover`] replays at the next mount
//! (installing the same blocks again is harmless). So each transaction happens wholly or not
//! at all, and every transaction that returned is on the disk.
//!
//! An operation that fails with an error is rolled back: its pending blocks are dropped. A
//! transaction must fit the log ([`crate::layout::Superblock::log_capacity`] blocks); the log
//! is sized for the largest operation but a write, and a write commits part-way, between two
//! blocks, when the log is nearly full, so a large write is several transactions (each leaving
//! the file a consistent, shorter version of the write).

use alloc::boxed::Box;
use alloc::vec::Vec;

use crate::fs::Fs;
use crate::layout::{LogHeader, Superblock};
use crate::{zeroed_block, Block, BlockDevice, Error};

/// The most new blocks one block of a write can add to a transaction: the data block, a
/// bitmap block, the indirect block and the inode's block.
pub(crate) const BLOCKS_PER_WRITTEN_BLOCK: usize = 4;

/// The transaction under way: its nesting depth and its blocks.
#[derive(Default)]
pub(crate) struct Log {
    /// Operations begun and not ended; the transaction commits when this returns to 0.
    depth: u32,
    /// The blocks written, in the order first written, with their newest contents.
    pub(crate) pending: Vec<(u32, Box<Block>)>,
    /// Transactions committed since mount.
    pub(crate) commits: u64,
}

/// What the log of an image holds, read without changing anything.
pub fn read_header<D: BlockDevice>(dev: &mut D, sb: &Superblock) -> Result<LogHeader, Error> {
    let mut block = zeroed_block();
    dev.read(sb.log_start, &mut block)?;
    LogHeader::decode(sb, &block[..])
}

impl<D: BlockDevice> Fs<D> {
    /// Reads block `block`, as the transaction under way left it.
    pub(crate) fn bread(&mut self, block: u32, buf: &mut Block) -> Result<(), Error> {
        if let Some((_, data)) = self.log.pending.iter().find(|(b, _)| *b == block) {
            buf.copy_from_slice(&data[..]);
            return Ok(());
        }
        self.dev.read(block, buf)
    }

    /// Lends block `block`, as the transaction under way left it, to `look` (without a copy
    /// where the cache holds it: [`BlockDevice::read_with`]).
    pub(crate) fn bread_with<R>(&mut self, block: u32, look: impl FnOnce(&Block) -> R) -> Result<R, Error> {
        if let Some((_, data)) = self.log.pending.iter().find(|(b, _)| *b == block) {
            return Ok(look(data));
        }
        let mut look = Some(look);
        let mut result = None;
        self.dev.read_with(block, &mut |data| result = look.take().map(|look| look(data)))?;
        result.ok_or(Error::Io)
    }

    /// Writes block `block` as part of the transaction under way (outside one, as a
    /// transaction of its own). A transaction that outgrows the log is [`Error::NoSpace`].
    pub(crate) fn bwrite(&mut self, block: u32, buf: &Block) -> Result<(), Error> {
        if !self.sb.is_loggable(block) {
            return Err(Error::Corrupt);
        }
        if let Some((_, data)) = self.log.pending.iter_mut().find(|(b, _)| *b == block) {
            data.copy_from_slice(buf);
        } else {
            if self.log.pending.len() >= self.sb.log_capacity() as usize {
                return Err(Error::NoSpace);
            }
            let mut data = zeroed_block();
            data.copy_from_slice(buf);
            self.log.pending.push((block, data));
        }
        if self.log.depth == 0 {
            self.commit()?;
        }
        Ok(())
    }

    /// Runs `f` as a transaction (or as part of the one under way): committed when the
    /// outermost operation succeeds, dropped when it fails.
    pub(crate) fn op<T>(&mut self, f: impl FnOnce(&mut Self) -> Result<T, Error>) -> Result<T, Error> {
        self.log.depth += 1;
        let result = f(self);
        self.log.depth -= 1;
        if self.log.depth == 0 {
            match &result {
                Ok(_) => self.commit()?,
                Err(_) => self.log.pending.clear(),
            }
        }
        result
    }

    /// Whether a write may commit part-way now: it is the outermost operation and fewer than
    /// `more` blocks are left in the log.
    pub(crate) fn log_nearly_full(&self, more: usize) -> bool {
        self.log.depth == 1 && self.log.pending.len() + more > self.sb.log_capacity() as usize
    }

    /// Commits the blocks written so far (see the module's steps), inside or outside an
    /// operation; nothing to do when none were.
    pub(crate) fn commit(&mut self) -> Result<(), Error> {
        if self.log.pending.is_empty() {
            return Ok(());
        }
        let pending = core::mem::take(&mut self.log.pending);
        let log_start = self.sb.log_start;
        for (i, (_, data)) in pending.iter().enumerate() {
            self.dev.write(log_start + 1 + i as u32, data)?;
        }
        self.dev.flush()?;
        let header = LogHeader { blocks: pending.iter().map(|(b, _)| *b).collect() };
        self.write_header(&header)?;
        self.dev.flush()?;
        for (home, data) in &pending {
            self.dev.write(*home, data)?;
        }
        self.dev.flush()?;
        self.write_header(&LogHeader { blocks: Vec::new() })?;
        self.dev.flush()?;
        self.log.commits += 1;
        Ok(())
    }

    fn write_header(&mut self, header: &LogHeader) -> Result<(), Error> {
        let mut block = zeroed_block();
        header.encode(&mut block[..]);
        self.dev.write(self.sb.log_start, &block)
    }

    /// Replays a committed log (at mount): installs its blocks and empties it. Returns how many
    /// blocks it installed; a damaged header is [`Error::Corrupt`].
    pub(crate) fn recover(&mut self) -> Result<usize, Error> {
        let sb = self.sb;
        let header = read_header(&mut self.dev, &sb)?;
        if header.blocks.is_empty() {
            return Ok(0);
        }
        let mut block = zeroed_block();
        for (i, home) in header.blocks.iter().enumerate() {
            self.dev.read(sb.log_start + 1 + i as u32, &mut block)?;
            self.dev.write(*home, &block)?;
        }
        self.dev.flush()?;
        self.write_header(&LogHeader { blocks: Vec::new() })?;
        self.dev.flush()?;
        Ok(header.blocks.len())
    }

    /// Transactions committed since mount.
    pub fn commits(&self) -> u64 {
        self.log.commits
    }
}

#[cfg(test)]
mod tests {
    //! Crashes at every kind of moment: a disk that stops taking writes after a number of
    //! them, then a mount that must recover a consistent image in which each operation is
    //! wholly there or wholly absent.

    use alloc::collections::BTreeMap;
    use alloc::format;
    use alloc::string::String;
    use alloc::vec;
    use alloc::vec::Vec;

    use proptest::prelude::{any, prop, prop_assert, prop_oneof, proptest, Just, ProptestConfig, Strategy};

    use crate::fs::Fs;
    use crate::layout::Kind;
    use crate::{check, mkfs, Block, BlockDevice, Error, MemDisk};

    /// A disk that takes the first `budget` writes and silently drops the rest: power lost
    /// after write number `budget`.
    struct CrashDisk {
        disk: MemDisk,
        writes: u64,
        budget: u64,
    }

    impl BlockDevice for CrashDisk {
        fn block_count(&self) -> u32 {
            self.disk.block_count()
        }

        fn read(&mut self, block: u32, buf: &mut Block) -> Result<(), Error> {
            self.disk.read(block, buf)
        }

        fn write(&mut self, block: u32, buf: &Block) -> Result<(), Error> {
            self.writes += 1;
            if self.writes > self.budget {
                return Ok(());
            }
            self.disk.write(block, buf)
        }
    }

    #[derive(Clone, Debug)]
    enum Op {
        Create(String),
        Write(String, u32, u32, u8),
        Truncate(String, u32),
        Unlink(String),
        Mkdir(String),
        Link(String, String),
    }

    fn path() -> impl Strategy<Value = String> {
        (prop::sample::select(vec!["/", "/d/", "/d/e/"]), prop::sample::select(vec!["a", "b", "c", "d", "e"]))
            .prop_map(|(dir, name)| format!("{dir}{name}"))
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            path().prop_map(Op::Create),
            // At most three blocks: a write the log holds whole (larger ones commit part-way).
            (path(), 0..60_000u32, 1..8192u32, any::<u8>())
                .prop_map(|(p, at, len, byte)| Op::Write(p, at, len, byte)),
            (path(), 0..70_000u32).prop_map(|(p, size)| Op::Truncate(p, size)),
            path().prop_map(Op::Unlink),
            path().prop_map(Op::Mkdir),
            (path(), path()).prop_map(|(a, b)| Op::Link(a, b)),
            Just(Op::Unlink(String::from("/d/e"))),
        ]
    }

    fn apply<D: BlockDevice>(fs: &mut Fs<D>, op: &Op) {
        let _ = match op {
            Op::Create(p) => fs.create(p).map(drop),
            Op::Write(p, at, len, byte) => {
                fs.lookup(p).and_then(|ino| fs.write_at(ino, *at, &vec![*byte; *len as usize])).map(drop)
            }
            Op::Truncate(p, size) => fs.lookup(p).and_then(|ino| fs.truncate(ino, *size)),
            Op::Unlink(p) => fs.unlink(p),
            Op::Mkdir(p) => fs.mkdir(p).map(drop),
            Op::Link(a, b) => fs.link(a, b),
        };
    }

    /// What the tree holds: every path, with a file's contents (`None` for a directory).
    fn contents<D: BlockDevice>(fs: &mut Fs<D>) -> BTreeMap<String, Option<Vec<u8>>> {
        let mut found = BTreeMap::new();
        let mut dirs = vec![String::new()];
        while let Some(dir) = dirs.pop() {
            let path = if dir.is_empty() { String::from("/") } else { dir.clone() };
            for entry in fs.readdir_path(&path).unwrap() {
                if entry.name == "." || entry.name == ".." {
                    continue;
                }
                let full = format!("{dir}/{}", entry.name);
                if fs.stat(entry.ino).unwrap().kind == Kind::Dir {
                    dirs.push(full.clone());
                    found.insert(full, None);
                } else {
                    found.insert(full, Some(fs.read_all(entry.ino).unwrap()));
                }
            }
        }
        found
    }

    fn start() -> MemDisk {
        let mut fs = mkfs(MemDisk::new(256), 256).unwrap();
        fs.mkdir_all("/d/e").unwrap();
        fs.write_file("/a", &[1; 20_000]).unwrap();
        fs.write_file("/d/b", b"bee").unwrap();
        fs.unmount().unwrap()
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

        #[test]
        fn a_crash_at_any_write_leaves_each_operation_whole_or_absent(
            ops in prop::collection::vec(op(), 1..25),
            cut in 0.0..=1.0f64,
        ) {
            // Without a crash: the state after each operation, and the writes up to its end.
            let mut fs = Fs::mount(CrashDisk { disk: start(), writes: 0, budget: u64::MAX }).unwrap();
            let mut states = vec![contents(&mut fs)];
            let mut ends = vec![0];
            for op in &ops {
                apply(&mut fs, op);
                states.push(contents(&mut fs));
                ends.push(fs.device().writes);
            }
            let total = *ends.last().unwrap();
            let budget = (total as f64 * cut) as u64;
            // The same operations, with the disk lost after `budget` writes.
            let mut fs = Fs::mount(CrashDisk { disk: start(), writes: 0, budget }).unwrap();
            for op in &ops {
                apply(&mut fs, op);
            }
            let crashed = fs.unmount().unwrap().disk;
            let mounted = Fs::mount(crashed.clone());
            prop_assert!(mounted.is_ok(), "the crashed image does not mount: {:?}", mounted.err());
            let mut fs = mounted.unwrap();
            let report = check(&mut fs).unwrap();
            prop_assert!(report.is_clean(), "{:?}", report.problems);
            // Operation k was under way: the ones before it are whole, it is whole or absent.
            let k = ends.iter().position(|end| *end > budget).unwrap_or(ends.len() - 1).max(1);
            let now = contents(&mut fs);
            prop_assert!(
                now == states[k - 1] || now == states[k],
                "crash after write {} of {}, during {:?}: neither the state before nor after it",
                budget, total, ops.get(k - 1)
            );
        }
    }

    /// The writes of one transaction of `blocks` blocks: each logged, the header, each
    /// installed, the header emptied.
    fn commit_writes(blocks: u64) -> u64 {
        2 * blocks + 2
    }

    #[test]
    fn a_committed_log_is_replayed_at_mount() {
        let mut fs = Fs::mount(CrashDisk { disk: start(), writes: 0, budget: u64::MAX }).unwrap();
        let ino = fs.lookup("/d/b").unwrap();
        let before = fs.device().writes;
        fs.write_at(ino, 0, b"BEE").unwrap();
        // One data block (an existing one: no bitmap, no inode change).
        assert_eq!(fs.device().writes - before, commit_writes(1));
        // Lost just after the commit point: logged and committed, not installed.
        let mut fs = Fs::mount(CrashDisk { disk: start(), writes: 0, budget: 0 }).unwrap();
        fs.device_mut().budget = 2; // the log block and the header
        fs.write_at(ino, 0, b"BEE").unwrap();
        let mut crashed = fs.unmount().unwrap().disk;
        let sb = *Fs::open(start()).unwrap().superblock();
        assert_eq!(super::read_header(&mut crashed, &sb).unwrap().blocks.len(), 1, "committed");
        assert_eq!(Fs::open(crashed.clone()).unwrap().read_file("/d/b").unwrap(), b"BEE");
        let fs = Fs::mount(crashed.clone()).unwrap();
        assert_eq!(fs.recovered_blocks(), 1);
        // Lost just before it: the old contents.
        let mut fs = Fs::mount(CrashDisk { disk: start(), writes: 0, budget: 0 }).unwrap();
        fs.device_mut().budget = 1; // the log block only
        fs.write_at(ino, 0, b"BEE").unwrap();
        let crashed = fs.unmount().unwrap().disk;
        let mut fs = Fs::mount(crashed).unwrap();
        assert_eq!((fs.recovered_blocks(), fs.read_file("/d/b").unwrap()), (0, b"bee".to_vec()));
    }

    #[test]
    fn a_large_write_is_several_transactions_each_consistent() {
        let data: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
        let mut fs = Fs::mount(CrashDisk { disk: start(), writes: 0, budget: u64::MAX }).unwrap();
        let commits = fs.commits();
        fs.write_file("/big", &data).unwrap();
        assert!(fs.commits() - commits > 3, "{} commits", fs.commits() - commits);
        let total = fs.device().writes;
        for budget in (0..total).step_by(7) {
            let mut fs = Fs::mount(CrashDisk { disk: start(), writes: 0, budget }).unwrap();
            let _ = fs.write_file("/big", &data);
            let mut fs = Fs::mount(fs.unmount().unwrap().disk).unwrap();
            if let Ok(got) = fs.read_file("/big") {
                assert_eq!(got[..], data[..got.len()], "a prefix of the write");
            }
        }
    }

    #[test]
    fn other_format_versions_are_refused() {
        for version in [1u8, 3] {
            let mut disk = start();
            disk.as_bytes_mut()[4] = version;
            let error = Fs::mount(disk).err().unwrap();
            assert_eq!(error, Error::Version(version as u32));
            assert!(format!("{error}").contains(&format!("format version {version}")), "{error}");
        }
    }

    #[test]
    fn a_damaged_bitmap_or_log_is_refused_at_mount() {
        let mut fs = Fs::mount(start()).unwrap();
        let root_block = fs.inode(crate::ROOT_INO).unwrap().direct[0];
        let log_start = fs.superblock().log_start as usize;
        let mut disk = fs.unmount().unwrap();
        disk.as_bytes_mut()[crate::BLOCK_SIZE + root_block as usize / 8] &= !(1 << (root_block % 8));
        assert_eq!(Fs::mount(disk.clone()).err(), Some(Error::Corrupt), "the root's block marked free");
        let mut fs = Fs::open(disk).unwrap();
        assert!(!check(&mut fs).unwrap().is_clean());
        let mut disk = start();
        disk.as_bytes_mut()[log_start * crate::BLOCK_SIZE + 4] = 0xff;
        assert_eq!(Fs::open(disk).err(), Some(Error::Corrupt), "a log header counting too many");
    }
}
