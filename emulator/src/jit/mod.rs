//! The JIT: ox32 blocks translated to x86-64 and run with the interpreter's exact semantics.
//!
//! [`run`] is a drop-in replacement for [`exec::run`]: same arguments, same result, same
//! state afterwards, to the cycle. It follows the interpreter's outer loop step by step — the
//! fetch translation happens exactly where the interpreter makes it (at the start of a slice,
//! on entering another page, after a trap or a store to code), so TLB contents and counters
//! match too — but instead of interpreting a page's ops one by one it runs translated blocks
//! ([`emit`]). A block whose length exceeds the cycles left in the slice is not entered: the
//! interpreter finishes the slice ([`exec::run_from`]), so budgets, interrupts and
//! `--max-cycles` land on the same instruction. System instructions and illegal words are
//! executed here, exactly as the interpreter's `System` and `Illegal` arms do. See
//! `docs/jit.md`.
//!
//! [`exec::run`]: crate::cpu::exec::run

pub mod cache;
pub mod emit;
pub mod helpers;
pub mod lockstep;

use std::collections::HashMap;
use std::hash::BuildHasherDefault;

use ox32::pte::PAGE_SHIFT;
use ox32::trap::Exception;

use crate::bus::Bus;
use crate::cpu::exec::{self, Exit};
use crate::cpu::op::{CodeCache, Kind, Op};
use crate::cpu::{Cpu, SliceClock, SystemEffect, Trap};
use cache::{Cache, Entry, KeyHasher};
use helpers::{Ctx, Link, EXIT_CODE, EXIT_DEVICE, EXIT_NEXT, EXIT_TRAP};

/// Whether this host can run translated code.
pub const SUPPORTED: bool = cfg!(all(target_arch = "x86_64", unix));

/// The JIT's state for one node: its code cache and counters.
#[derive(Default)]
pub struct Jit {
    /// Translated blocks.
    pub cache: Cache,
    /// Blocks entered.
    pub blocks_run: u64,
    /// Slices (or slice ends) handed to the interpreter.
    pub handed_over: u64,
    /// Blocks run in the interpreter because they were not hot yet.
    pub interpreted: u64,
    /// How often a block is reached before it is translated ([`HOT`]; tests set 1 to
    /// translate every block at first sight).
    pub hot: u32,
    /// How often each block not translated yet has been reached, and its length, by key.
    warm: HashMap<u64, (u32, u32), BuildHasherDefault<KeyHasher>>,
    /// `ORRERY_JIT_DUMP`: where to write each block's host code.
    dump_dir: Option<std::path::PathBuf>,
    /// `ORRERY_JIT_PERF`: name blocks for perf.
    perf_map: bool,
}

impl Jit {
    /// A JIT with an empty cache.
    pub fn new() -> Jit {
        Jit {
            dump_dir: std::env::var_os("ORRERY_JIT_DUMP").map(Into::into),
            perf_map: std::env::var_os("ORRERY_JIT_PERF").is_some(),
            hot: HOT,
            ..Jit::default()
        }
    }
}

/// How often a block is reached before it is translated: code that runs a few times (most
/// of a boot) costs less to interpret than to translate.
const HOT: u32 = 128;

/// The most blocks counted towards [`HOT`] at once; past it the counts start over.
const MAX_WARM: usize = 1 << 16;

/// What the dispatcher finds at a `pc`.
enum Found {
    /// A block, translated (or one the dispatcher executes itself).
    Block(Entry),
    /// Code not hot yet: interpret this many instructions (its block's length, at least 1).
    Cold(u32),
    /// Nothing (translation failed): the interpreter runs the rest of the slice.
    Nothing,
}

/// The block at `pc` (in `frame`), translated now if it has become hot.
#[inline(always)]
fn block(jit: &mut Jit, cpu: &Cpu, bus: &Bus, code: &mut CodeCache, pc: u32, frame: usize) -> Found {
    let flags = u8::from(cpu.paging()) | u8::from(cpu.kernel()) << 1;
    let key = cache::key(pc, frame, flags);
    let version = code.version(frame);
    match jit.cache.get(key) {
        Some(e) if e.version == version => Found::Block(e),
        _ => warm_up(jit, cpu, bus, code, pc, frame, key),
    }
}

/// Counts a visit to the block at `pc` that is not translated: translates it once it is hot,
/// else says how far to interpret.
#[inline(never)]
fn warm_up(
    jit: &mut Jit,
    cpu: &Cpu,
    bus: &Bus,
    code: &mut CodeCache,
    pc: u32,
    frame: usize,
    key: u64,
) -> Found {
    if jit.warm.len() >= MAX_WARM {
        jit.warm.clear();
    }
    let (visits, len) = jit.warm.entry(key).or_insert_with(|| {
        // The block's length, found once: the interpreter runs that many cycles at a time
        // (any number would be exact; a block's keeps the visits at block starts).
        let (page, _) = code.page(frame);
        let start = ((pc & 0xfff) >> 2) as usize;
        decode(page, bus, frame, start);
        (0, emit::Block { ops: &page[..], start, base: pc & !0xfff }.count().max(1) as u32)
    });
    *visits += 1;
    if *visits < jit.hot {
        return Found::Cold(*len);
    }
    jit.warm.remove(&key);
    match translate(jit, cpu, bus, code, pc, frame, key) {
        Some(entry) => Found::Block(entry),
        None => Found::Nothing,
    }
}

/// Decodes the ops of a block starting at index `start` of the page of `frame`.
fn decode(page: &mut [Op], bus: &Bus, frame: usize, start: usize) {
    for (idx, op) in page.iter_mut().enumerate().take(1024).skip(start).take(emit::MAX_BLOCK + 1) {
        if op.kind == Kind::Undecoded {
            *op = Op::decode(bus.fetch_word(frame, idx));
        }
    }
}

/// The most blocks translated together (see [`translate`]).
const BATCH: usize = 16;

/// Translates the block at `pc` (in `frame`) and stores it under `key` — together with up to
/// [`BATCH`] − 1 blocks of the same page its exits lead to (branch and jump targets, the
/// instruction after a call, where a full block goes on), already reached but not translated
/// yet. They are translated for the same mode and code version, stored under their own keys
/// exactly as if asked for, and share their code: one change of the memory's protection installs them all
/// (the system calls cost more than emitting), and exits between them jump straight from one
/// to the other with the guest registers kept in host registers ([`emit::translate`]). A
/// block that is never entered costs only its memory.
#[inline(never)]
fn translate(
    jit: &mut Jit,
    cpu: &Cpu,
    bus: &Bus,
    code: &mut CodeCache,
    pc: u32,
    frame: usize,
    key: u64,
) -> Option<Entry> {
    let (load_bit, store_bit) = cpu.fast_bits();
    let mode = emit::Mode { paging: cpu.paging(), load_bit, store_bit, ram_len: bus.ram_size() };
    let version = code.version(frame);
    let (base, flags) = (pc & !0xfff, (key >> 62) as u8);
    let (page, _) = code.page(frame);
    let mut starts = vec![pc];
    let mut chosen: Vec<(usize, usize)> = Vec::new();
    let mut next = 0;
    while next < starts.len() && chosen.len() < BATCH {
        let at = starts[next];
        next += 1;
        let start = ((at & 0xfff) >> 2) as usize;
        decode(page, bus, frame, start);
        let block = emit::Block { ops: &page[..], start, base };
        let len = block.count();
        if len == 0 {
            if at == pc {
                // The dispatcher executes the first instruction itself.
                let entry = Entry { key, version, len: 0, code: None, chain: 0 };
                jit.cache.put(entry);
                return Some(entry);
            }
            continue;
        }
        // Another block qualifies if it is not translated and has been reached (every block
        // has, when every block is hot at first sight).
        let other = cache::key(at, frame, flags);
        let reached = jit.hot <= 1 || jit.warm.contains_key(&other);
        if at != pc && (jit.cache.get(other).is_some_and(|e| e.version == version) || !reached) {
            continue;
        }
        jit.warm.remove(&other);
        for target in emit::successors(&block, len) {
            if !starts.contains(&target) {
                starts.push(target);
            }
        }
        chosen.push((start, len));
    }
    let page = &page[..];
    let links: Vec<Box<[Link]>> = chosen
        .iter()
        .map(|&(start, len)| {
            let block = emit::Block { ops: page, start, base };
            (0..emit::links_needed(&block, len)).map(|_| Link::default()).collect()
        })
        .collect();
    let parts: Vec<emit::Part> = chosen
        .iter()
        .zip(&links)
        .map(|(&(start, len), links)| emit::Part {
            block: emit::Block { ops: page, start, base },
            len,
            links,
        })
        .collect();
    // A batch too large for a chunk of the cache is cut down to the block asked for.
    let emitted = emit::translate(&parts, mode)
        .ok()
        .filter(|emitted| emitted.bytes.len() <= jit.cache.chunk_size() || parts.len() == 1);
    let (emitted, count) = match emitted {
        Some(emitted) => (emitted, parts.len()),
        None => (emit::translate(&parts[..1], mode).ok()?, 1),
    };
    let entries: Vec<usize> = emitted.blocks.iter().map(|&(entry, _, _)| entry).collect();
    let fns = jit.cache.install(&emitted.bytes, &entries)?;
    if let Some(dir) = &jit.dump_dir {
        dump(dir, cpu.node_id, pc, frame, &emitted.bytes);
    }
    let mut first = None;
    for (((&(start, len), links), &(entry, chain, end)), code_fn) in
        chosen.iter().zip(links).zip(&emitted.blocks).zip(fns).take(count)
    {
        let at = base | (start as u32) << 2;
        log::debug!(target: "orrery::jit", "node {} block {at:#010x} frame {frame:#x}: {len} insns, {} bytes of host code",
            cpu.node_id, end - entry);
        if jit.perf_map {
            perf_map(code_fn as usize, end - entry, cpu.node_id, at);
        }
        jit.cache.keep(links);
        let chain = code_fn as usize + (chain - entry);
        let entry =
            Entry { key: cache::key(at, frame, flags), version, len: len as u32, code: Some(code_fn), chain };
        jit.cache.put(entry);
        first.get_or_insert(entry);
    }
    first
}

/// Runs up to `budget` cycles (at least 1) from `cpu.pc`, exactly as [`exec::run`] would.
pub fn run(cpu: &mut Cpu, bus: &mut Bus, code: &mut CodeCache, jit: &mut Jit, mut budget: u64) -> Exit {
    cpu.slice = SliceClock { cycles0: cpu.cycles, instret0: cpu.instret, budget, traps: 0 };
    let mut remaining = budget;
    let mut stale_frame: Option<usize> = None;
    // The page the interpreter would be executing from: its virtual base and frame.
    let mut current: Option<(u32, usize)> = None;
    // The link of the exit that led here, to fill in once the next block is known.
    let mut pending: Option<*const Link> = None;
    let exit = loop {
        if let Some(frame) = stale_frame.take() {
            code.drop_frame(frame);
            bus.set_code(frame, false);
        }
        if remaining == 0 {
            break Exit::Budget;
        }
        let pc = cpu.pc;
        let link = pending.take();
        let same_page = matches!(current, Some((base, _)) if pc & !0xfff == base);
        let frame = match current {
            Some((base, frame)) if pc & !0xfff == base => frame,
            _ => match cpu.fetch_frame(bus, pc) {
                Ok(frame) => {
                    if code.page(frame).1 {
                        bus.set_code(frame, true);
                        cpu.tlb.revoke_fast_store((frame << PAGE_SHIFT) as u32);
                    }
                    current = Some((pc & !0xfff, frame));
                    frame
                }
                Err(trap) => {
                    remaining -= 1;
                    take_trap(cpu, trap, pc, remaining);
                    current = None;
                    continue;
                }
            },
        };
        let flushes = jit.cache.flushes;
        let entry = match block(jit, cpu, bus, code, pc, frame) {
            Found::Block(entry) => Some(entry),
            Found::Nothing => None,
            Found::Cold(len) => {
                // The interpreter runs the block (or the rest of the slice, if shorter) from
                // the page already entered, then the slice goes on from where it stopped, on
                // its own count of cycles.
                jit.interpreted += 1;
                let done = budget - remaining;
                cpu.cycles = cpu.slice.cycles0 + done;
                cpu.instret = cpu.slice.instret0 + done - cpu.slice.traps;
                let before = cpu.cycles;
                let mut at = Some(frame);
                let exit = exec::run_within(cpu, bus, code, remaining.min(len as u64), &mut at);
                if exit != Exit::Budget {
                    return exit;
                }
                remaining -= cpu.cycles - before;
                budget = remaining;
                cpu.slice = SliceClock { cycles0: cpu.cycles, instret0: cpu.instret, budget, traps: 0 };
                current = at.map(|frame| (cpu.pc & !0xfff, frame));
                continue;
            }
        };
        if let Some((link, entry)) = link.zip(entry).filter(|_| jit.cache.flushes == flushes) {
            fill(link, &entry, cpu, code, frame, !same_page);
        }
        let Some(entry) = entry.filter(|e| e.len as u64 <= remaining) else {
            jit.handed_over += 1;
            return hand_over(cpu, bus, code, remaining, frame);
        };
        let Some(block_fn) = entry.code else {
            // The first instruction is one the interpreter's `System` or `Illegal` arm runs.
            let idx = ((pc & 0xfff) >> 2) as usize;
            let op = code.page(frame).0[idx];
            remaining -= 1;
            if op.kind == Kind::Illegal {
                take_trap(cpu, Trap::new(Exception::IllegalInstruction, op.imm), pc, remaining);
                current = None;
                continue;
            }
            cpu.sync_clock(remaining);
            match cpu.execute_system(bus, op.imm, pc) {
                Ok(SystemEffect::None) if cpu.pc == pc.wrapping_add(4) && idx < 1023 => {}
                Ok(SystemEffect::None) => current = None,
                Ok(SystemEffect::Code(frame)) => {
                    stale_frame = Some(frame);
                    current = None;
                }
                Ok(SystemEffect::Recheck) => break Exit::Recheck,
                Ok(SystemEffect::Wait) => break Exit::Wait,
                Err(trap) => {
                    take_trap(cpu, trap, pc, remaining);
                    current = None;
                }
            }
            continue;
        };
        let (tlb, hits) = (cpu.tlb.entries.as_ptr(), &raw mut cpu.tlb.hits);
        let mut ctx = Ctx {
            regs: cpu.regs.as_mut_ptr(),
            ram: bus.ram_mut().as_mut_ptr(),
            rom: bus.rom().as_ptr(),
            tlb,
            hits,
            ram_len: bus.ram_size() as u64,
            code_map: bus.code_map(),
            cpu: &raw mut *cpu,
            bus: &raw mut *bus,
            remaining,
            next_pc: 0,
            trap_epc: 0,
            trap_cause: 0,
            trap_badaddr: 0,
            stale_frame: 0,
            link: std::ptr::null(),
            cur_frame: frame as u64,
            cur_base: pc & !0xfff,
            pad: 0,
        };
        jit.blocks_run += 1;
        // Safety: `block_fn` was emitted by `emit::translate` for the code now at `pc` in
        // `frame` (the version matched) and the current mode, and `remaining` covers its
        // length; it touches only what `ctx` points to: the registers, RAM (and, reading only,
        // the boot ROM, which `bus` keeps for as long as the call lasts) within bounds its
        // inline checks establish, the TLB, the code versions, `cpu`/`bus` through the
        // helpers (none of which is borrowed during the call), and links, which lead only to
        // live blocks of the same mode: in this page, translated from this (current) version;
        // in another, after checking that page's version and fetch translation in the TLB.
        // Its direct jumps lead only into the code translated with it (same allocation, page,
        // version and mode). The cache is not flushed while code runs (only translation
        // flushes it).
        let status = unsafe { block_fn(&mut ctx) };
        remaining = ctx.remaining;
        match status {
            EXIT_NEXT => {
                cpu.pc = ctx.next_pc;
                current = Some((ctx.cur_base, ctx.cur_frame as usize));
                // Fill in the exit's link once the next block is known, so that next time
                // it needs no dispatcher.
                pending = (!ctx.link.is_null()).then_some(ctx.link);
            }
            EXIT_TRAP => {
                let trap = Trap { cause: ctx.trap_cause, badaddr: ctx.trap_badaddr };
                take_trap(cpu, trap, ctx.trap_epc, remaining);
                current = None;
            }
            EXIT_CODE => {
                cpu.pc = ctx.next_pc;
                stale_frame = Some(ctx.stale_frame as usize);
                current = None;
            }
            EXIT_DEVICE => {
                cpu.pc = ctx.next_pc;
                break Exit::Recheck;
            }
            _ => unreachable!("translated blocks return only EXIT_* codes"),
        }
    };
    if let Some(frame) = stale_frame {
        code.drop_frame(frame);
        bus.set_code(frame, false);
    }
    let done = budget - remaining;
    cpu.cycles = cpu.slice.cycles0 + done;
    cpu.instret = cpu.slice.instret0 + done - cpu.slice.traps;
    exit
}

/// Writes the host code of the blocks translated with the one at `pc` to
/// `DIR/node-N-PC-fFRAME.bin` (for `objdump -D -b binary -m i386:x86-64`; the block at `pc`
/// starts at offset 0); a failure is logged, not fatal.
fn dump(dir: &std::path::Path, node: u32, pc: u32, frame: usize, bytes: &[u8]) {
    let path = dir.join(format!("node{node}-{pc:08x}-f{frame:x}.bin"));
    if let Err(e) = std::fs::write(&path, bytes) {
        log::warn!(target: "orrery::jit", "cannot write {}: {e}", path.display());
    }
}

/// Names a block for `perf report` in `/tmp/perf-PID.map`; a failure is logged, not fatal.
fn perf_map(addr: usize, len: usize, node: u32, pc: u32) {
    use std::io::Write;
    let path = format!("/tmp/perf-{}.map", std::process::id());
    let line = format!("{addr:x} {len:x} ox32_node{node}_{pc:08x}\n");
    let written = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .and_then(|mut f| f.write_all(line.as_bytes()));
    if let Err(e) = written {
        log::warn!(target: "orrery::jit", "cannot write {path}: {e}");
    }
}

/// Points `link` — the exit of the last block run, which led to `cpu.pc` (in `frame`, in
/// another page if `cross`) — at `next`, the block there, so that the exit jumps straight in
/// while the dispatcher would make the same choice. Leaves the link alone when `next` is one
/// the dispatcher runs itself, or the fetch translation cannot be repeated by a TLB check.
fn fill(link: *const Link, next: &Entry, cpu: &Cpu, code: &CodeCache, frame: usize, cross: bool) {
    if next.code.is_none() {
        return;
    }
    // Safety: `link` belongs to a block translated since the last flush (the caller checked
    // that translating `next` did not flush), so the cache still owns it; only translated code
    // reads it, and none is running.
    let link = unsafe { &*link };
    let pc = cpu.pc;
    if cross && cpu.paging() {
        let e = &cpu.tlb.entries[crate::mmu::slot(pc)];
        if e.tag != (pc >> PAGE_SHIFT) + 1 {
            return;
        }
        link.tag.set(e.tag);
        link.ppn.set(e.ppn);
        link.flags.set(e.flags.bits());
        link.tlb_off.set((crate::mmu::slot(pc) * std::mem::size_of::<crate::mmu::TlbEntry>()) as u64);
    }
    link.cross.set(u32::from(cross));
    link.version_ptr.set(code.version_ptr(frame) as usize);
    link.version.set(next.version);
    link.frame.set(frame as u64);
    link.pc.set(pc);
    link.len.set(next.len as u64);
    link.code.set(next.chain);
}

/// Takes `trap` raised by the instruction at `epc`, with `remaining` cycles left after it.
fn take_trap(cpu: &mut Cpu, trap: Trap, epc: u32, remaining: u64) {
    cpu.sync_clock(remaining);
    cpu.slice.traps += 1;
    cpu.enter_trap(trap, epc);
}

/// Lets the interpreter run the rest of the slice (`remaining` cycles) from the page already
/// entered at `frame`.
fn hand_over(cpu: &mut Cpu, bus: &mut Bus, code: &mut CodeCache, remaining: u64, frame: usize) -> Exit {
    let done = cpu.slice.budget - remaining;
    cpu.cycles = cpu.slice.cycles0 + done;
    cpu.instret = cpu.slice.instret0 + done - cpu.slice.traps;
    exec::run_from(cpu, bus, code, remaining, Some(frame))
}

#[cfg(test)]
mod tests;
