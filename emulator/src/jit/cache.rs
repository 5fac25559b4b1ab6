//! The code cache: executable memory for translated blocks and the map that finds them.
//!
//! Blocks are keyed by their virtual address, the physical frame holding them, and the mode
//! and paging state their fast paths assume; each remembers the frame's [`CodeCache`] version
//! at translation and is stale once the interpreter's decoded page for that frame has been
//! dropped (a store to code, a poke, a reload). Host code goes into fixed chunks of executable
//! memory, written while not executable and sealed afterwards (never writable and executable
//! at once). The cache is bounded: when [`MAX_CHUNKS`] chunks are full, everything is dropped
//! and translation starts over.
//!
//! [`CodeCache`]: crate::cpu::op::CodeCache

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use dynasmrt::mmap::ExecutableBuffer;
#[cfg(not(unix))]
use dynasmrt::mmap::MutableBuffer;

use super::helpers::{Ctx, Link};

/// The size of one chunk of executable memory.
const CHUNK: usize = 1 << 20;
/// The most chunks the cache holds before it flushes.
pub const MAX_CHUNKS: usize = 32;
/// Entries of the direct-mapped lookup table in front of the map.
const FRONT: usize = 1 << 12;

/// A translated block's entry point.
pub type BlockFn = unsafe extern "sysv64" fn(*mut Ctx) -> u32;

/// One block as the dispatcher sees it.
#[derive(Clone, Copy)]
pub struct Entry {
    /// The key it was stored under.
    pub key: u64,
    /// The frame's code version at translation.
    pub version: u32,
    /// Instructions in the block; 0 when the first instruction is one the dispatcher executes.
    pub len: u32,
    /// The code (none when `len` is 0).
    pub code: Option<BlockFn>,
    /// Where a linked exit of another block jumps in.
    pub chain: usize,
}

/// The key of a block at virtual `pc` in `frame` with mode/paging `flags` (two bits).
pub fn key(pc: u32, frame: usize, flags: u8) -> u64 {
    (pc as u64) | (frame as u64) << 32 | (flags as u64) << 62
}

/// A multiplicative hasher for block keys (which are already well spread).
#[derive(Default)]
pub struct KeyHasher(u64);

impl Hasher for KeyHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(8) ^ b as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0 ^ n).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }
}

/// Executable memory and the blocks in it.
pub struct Cache {
    chunks: Vec<ExecutableBuffer>,
    used: usize,
    map: HashMap<u64, Entry, BuildHasherDefault<KeyHasher>>,
    front: Vec<Entry>,
    /// The links of every block's direct exits, alive as long as the code that reads them;
    /// boxed because code holds their addresses, which must not move as the vector grows.
    links: Vec<Box<[Link]>>,
    /// The size of a chunk, and how many the cache holds before it flushes.
    chunk: usize,
    max_chunks: usize,
    /// Blocks translated so far.
    pub translated: u64,
    /// Times the cache filled and was flushed.
    pub flushes: u64,
}

const EMPTY: Entry = Entry { key: u64::MAX, version: 0, len: 0, code: None, chain: 0 };

impl Cache {
    /// An empty cache of [`MAX_CHUNKS`] chunks of 1 MiB.
    pub fn new() -> Cache {
        Cache::with_limits(CHUNK, MAX_CHUNKS)
    }

    /// An empty cache of `max_chunks` chunks of `chunk` bytes (tests use tiny ones, to flush
    /// often).
    pub fn with_limits(chunk: usize, max_chunks: usize) -> Cache {
        Cache {
            chunk,
            max_chunks: max_chunks.max(1),
            chunks: Vec::new(),
            used: chunk,
            map: HashMap::default(),
            front: vec![EMPTY; FRONT],
            links: Vec::new(),
            translated: 0,
            flushes: 0,
        }
    }

    #[inline(always)]
    fn slot(key: u64) -> usize {
        (((key >> 2) ^ (key >> 22) ^ (key >> 52)) as usize) % FRONT
    }

    /// The block stored under `key`, if any (possibly stale: check its version).
    #[inline(always)]
    pub fn get(&mut self, key: u64) -> Option<Entry> {
        let slot = Cache::slot(key);
        let e = self.front[slot];
        if e.key == key {
            return Some(e);
        }
        let e = *self.map.get(&key)?;
        self.front[slot] = e;
        Some(e)
    }

    /// Stores `entry` (replacing any older block under its key).
    pub fn put(&mut self, entry: Entry) {
        self.front[Cache::slot(entry.key)] = entry;
        self.map.insert(entry.key, entry);
    }

    /// Keeps `links` (read by the code of a block being installed) until the next flush.
    pub fn keep(&mut self, links: Box<[Link]>) {
        self.links.push(links);
    }

    /// The size of a chunk: the most host code [`Cache::install`] takes at once.
    pub fn chunk_size(&self) -> usize {
        self.chunk
    }

    /// Copies `code` into executable memory (made writable and sealed again once) and returns
    /// the entry points at the offsets `entries` in it, flushing every block first if the
    /// cache is full. `None` if the host refuses executable memory or the code is larger than
    /// a chunk.
    pub fn install(&mut self, code: &[u8], entries: &[usize]) -> Option<Vec<BlockFn>> {
        if code.len() > self.chunk {
            return None;
        }
        if self.used + code.len() > self.chunk {
            if self.chunks.len() == self.max_chunks {
                self.flush();
            }
            self.chunks.push(ExecutableBuffer::new(self.chunk).ok()?);
            self.used = 0;
        }
        let chunk = self.chunks.pop()?;
        let start = self.used;
        let Some(sealed) = write(chunk, start, code) else {
            // The chunk is gone (or no longer executable): so must every block in it be.
            self.flush();
            return None;
        };
        let base = sealed.as_ptr().wrapping_add(start);
        self.chunks.push(sealed);
        self.used = (start + code.len()).next_multiple_of(16);
        self.translated += entries.len() as u64;
        let entry = |offset: &usize| {
            // Safety: `base + offset` is the start of one function of `code` with the
            // `BlockFn` signature emitted by `emit::translate`, in a sealed executable mapping
            // that lives until `flush` (which also forgets every `Entry` holding it).
            unsafe { std::mem::transmute::<*const u8, BlockFn>(base.wrapping_add(*offset)) }
        };
        Some(entries.iter().map(entry).collect())
    }

    /// Drops every block and all executable memory.
    pub fn flush(&mut self) {
        self.map.clear();
        self.front.iter_mut().for_each(|e| *e = EMPTY);
        self.chunks.clear();
        self.links.clear();
        self.used = self.chunk;
        self.flushes += 1;
    }
}

/// Copies `code` into `chunk` at `start`, unprotecting and sealing again only the pages it
/// covers: changing the protection of the whole chunk would make the host flush its entire
/// TLB, twice per installation, and walk every page of the chunk.
#[cfg(unix)]
fn write(chunk: ExecutableBuffer, start: usize, code: &[u8]) -> Option<ExecutableBuffer> {
    if code.is_empty() {
        return Some(chunk);
    }
    // Safety: sysconf has no preconditions.
    let page =
        usize::try_from(unsafe { libc::sysconf(libc::_SC_PAGESIZE) }).ok().filter(|p| p.is_power_of_two())?;
    let base = chunk.as_ptr() as usize;
    let first = (base + start) & !(page - 1);
    let end = (base + start + code.len()).next_multiple_of(page);
    if !base.is_multiple_of(page) || end > base + chunk.size().next_multiple_of(page) {
        return None;
    }
    // Safety: `first..end` lies within the chunk's mapping (page-aligned, checked above), which
    // the chunk owns; no translated code runs while the pages are writable (installation
    // happens in the dispatcher, between blocks, and each node has its own cache), and they
    // are sealed again before any is entered.
    unsafe {
        if libc::mprotect(first as *mut libc::c_void, end - first, libc::PROT_READ | libc::PROT_WRITE) != 0 {
            return None;
        }
        std::ptr::copy_nonoverlapping(code.as_ptr(), (base + start) as *mut u8, code.len());
        if libc::mprotect(first as *mut libc::c_void, end - first, libc::PROT_READ | libc::PROT_EXEC) != 0 {
            return None;
        }
    }
    Some(chunk)
}

/// Copies `code` into `chunk` at `start` (made writable and sealed again as a whole).
#[cfg(not(unix))]
fn write(chunk: ExecutableBuffer, start: usize, code: &[u8]) -> Option<ExecutableBuffer> {
    let mut writable: MutableBuffer = chunk.make_mut().ok()?;
    writable.set_len(start + code.len());
    writable[start..].copy_from_slice(code);
    writable.make_exec().ok()
}

impl Default for Cache {
    fn default() -> Cache {
        Cache::new()
    }
}
