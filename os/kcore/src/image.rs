//! A process image: a whole user context as a byte stream, what the central sends a satellite to
//! place a process there (ox-proto `ForkImage`, `WriteImage`s, `Start`; docs/satellites.md).
//! It is never held whole in a kernel heap: the sender reads any piece of it straight from the
//! address space ([`Layout`]: the header and region table as bytes, the list of pages, the
//! signal state), and the receiver builds the address space as the pieces arrive
//! ([`Builder`]: the regions first, then each page straight into a frame), keeping at most one
//! record that a piece cut in two. All words little-endian:
//!
//! | offset | size | field |
//! |---|---|---|
//! | 0 | 4 | magic `OXIM` |
//! | 4 | 4 | `heap_start` |
//! | 8 | 4 | `brk` |
//! | 12 | 4 | `pages`: how many page records follow |
//! | 16 | 128 | `regs[0..32]`: the user registers (`regs[0]` 0) |
//! | 144 | 4 | `regions`: how many region records follow |
//! | 148 | … | `regions` records: `start` (4), `end` (4), `flags` (4: R, W, X of [`PteFlags`]) — every region of the address map, in address order |
//! | … | … | `pages` records: `va` (4), `flags` (4), 4096 bytes — the pages that hold data, in address order |
//!
//! Pages of a region that no record carries read as zeros (they were never touched).
//!
//! After the page records may come the process's signal dispositions, blocked and pending
//! sets ([`Signals::encode`], [`SIGNALS`] bytes: they are user context, so a child placed on a
//! satellite keeps its parent's handlers — with nothing pending — and a process migrating from
//! a satellite its pending signals, blocked ones included), and whether its pc is a call
//! broken off for its move, to make again; an image without them starts with every signal's
//! default action.
//!
//! The pc is not in the image: it travels in `Start`. The builder checks every field (an image
//! comes over a link): the counts against the announced size as soon as the header is in, each
//! region and page record as it completes; a page outside user space, a record out of order or
//! a short image is refused (`ENOEXEC`), and a frame that cannot be had is `ENOMEM`. Either
//! way dropping the builder frees everything it had built.

use alloc::vec::Vec;

use ox_abi::{Errno, USER_BASE, USER_TOP};

use crate::arch::TrapFrame;
use crate::frame::FRAME_SIZE;
use crate::pmap::PteFlags;
use crate::signal::Signals;
use crate::vm::AddressSpace;

/// The first word of every image.
pub const MAGIC: [u8; 4] = *b"OXIM";
/// Bytes before the region records.
pub const HEADER: usize = 16 + 4 * 32 + 4;
/// Bytes of one region record.
pub const REGION: usize = 12;
/// Bytes of one page record.
pub const RECORD: usize = 8 + FRAME_SIZE as usize;
/// Bytes of the optional signal state after the page records.
pub const SIGNALS: usize = Signals::ENCODED;

fn word(bytes: &[u8], at: usize) -> Result<u32, Errno> {
    let b = bytes.get(at..at + 4).ok_or(Errno::NoExec)?;
    Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
}

/// A vector of `n` elements' room, or `ENOMEM` (a kernel heap refuses, it does not panic).
fn room<T>(n: usize) -> Result<Vec<T>, Errno> {
    let mut v = Vec::new();
    v.try_reserve_exact(n).map_err(|_| Errno::NoMem)?;
    Ok(v)
}

/// Frames an image of `size` bytes needs at most on the node that builds it: one per page
/// record it can hold, and the page tables (a root, and a level-2 table per 4 MiB the pages
/// may span: the image and heap from the bottom, the stack at the top).
pub fn frames_for(size: u32) -> u32 {
    let pages = size / RECORD as u32;
    pages + pages / 1024 + 3
}

/// What the image of an address space is made of, without the pages' bytes: the header and
/// region records, the pages that hold data (address and rights), and the signal state. The
/// bytes of any piece of the image are then read from the space itself ([`Layout::read`]), so
/// the sender holds a few bytes per page, never the image. The space must not change between
/// [`Layout::new`] and the last read (its process sleeps in a call, or has not started); no
/// anonymous page of the node is paged out meanwhile. A space with pages paged out has no
/// image (`EAGAIN`).
pub struct Layout {
    /// The header and the region records.
    head: Vec<u8>,
    /// The page records' address and rights, in address order.
    pages: Vec<(u32, u32)>,
    /// The signal state after the page records, if any.
    signals: Option<[u8; SIGNALS]>,
    /// Anonymous memory is not paged out while the image is read.
    _pinned: crate::vm::NoPageOut,
}

impl Layout {
    /// The layout of the image of `space` with registers `regs` and, if given, signal state
    /// `signals`. `ENOMEM` if the kernel heap cannot hold the lists.
    pub fn new(space: &AddressSpace, regs: &[u32; 32], signals: Option<&Signals>) -> Result<Layout, Errno> {
        let pinned = crate::vm::NoPageOut::new();
        // A page with the default pager would be missing from the image.
        if space.paged_out() {
            return Err(Errno::Again);
        }
        let mut count = 0usize;
        space.for_each_page(|_, _, _| count += 1);
        let mut pages = room(count)?;
        space.for_each_page(|va, _, flags| {
            if pages.len() < count {
                pages.push((va, (flags & (PteFlags::R | PteFlags::W | PteFlags::X)).bits()));
            }
        });
        let regions = space.regions();
        let mut head = room(HEADER + regions.len() * REGION)?;
        let (heap_start, brk) = space.heap();
        head.extend_from_slice(&MAGIC);
        for value in [heap_start, brk, pages.len() as u32] {
            head.extend_from_slice(&value.to_le_bytes());
        }
        for reg in regs {
            head.extend_from_slice(&reg.to_le_bytes());
        }
        head.extend_from_slice(&(regions.len() as u32).to_le_bytes());
        for (start, end, flags) in regions {
            for value in [start, end, flags.bits()] {
                head.extend_from_slice(&value.to_le_bytes());
            }
        }
        Ok(Layout { head, pages, signals: signals.map(Signals::encode), _pinned: pinned })
    }

    /// Bytes of the whole image; `ENOMEM` if that is no 32-bit size.
    pub fn size(&self) -> Result<u32, Errno> {
        let signals = if self.signals.is_some() { SIGNALS } else { 0 };
        self.pages
            .len()
            .checked_mul(RECORD)
            .and_then(|p| p.checked_add(self.head.len() + signals))
            .and_then(|n| u32::try_from(n).ok())
            .ok_or(Errno::NoMem)
    }

    /// Bytes `offset..offset + len` of the image (fewer at its end), read from `space`, the
    /// space the layout was made of.
    pub fn read(&self, space: &AddressSpace, offset: usize, len: usize) -> Result<Vec<u8>, Errno> {
        let size = self.size()? as usize;
        let (start, end) = (offset.min(size), offset.saturating_add(len).min(size));
        let mut out = room(end - start)?;
        let mut at = start;
        if at < self.head.len() {
            let to = end.min(self.head.len());
            out.extend_from_slice(&self.head[at..to]);
            at = to;
        }
        let pages_end = self.head.len() + self.pages.len() * RECORD;
        while at < end.min(pages_end) {
            let i = (at - self.head.len()) / RECORD;
            let record = self.head.len() + i * RECORD;
            let (lo, hi) = (at - record, (end - record).min(RECORD));
            let (va, flags) = self.pages[i];
            let mut prefix = [0u8; 8];
            prefix[..4].copy_from_slice(&va.to_le_bytes());
            prefix[4..].copy_from_slice(&flags.to_le_bytes());
            if lo < 8 {
                out.extend_from_slice(&prefix[lo..hi.min(8)]);
            }
            if hi > 8 {
                let (from, to) = (lo.max(8) - 8, hi - 8);
                // The page held data when the layout was made and the space has not changed.
                space.with_page(va, |page| out.extend_from_slice(&page[from..to])).ok_or(Errno::Io)?;
            }
            at = record + hi;
        }
        if at < end {
            let signals = self.signals.as_ref().ok_or(Errno::Io)?;
            out.extend_from_slice(&signals[at - pages_end..end - pages_end]);
        }
        Ok(out)
    }
}

/// Which part of the image the builder expects next.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Step {
    /// The header.
    Header,
    /// This many more region records, then this many page records.
    Regions(u32, u32),
    /// This many more page records.
    Pages(u32),
    /// The signal state (the announced size has room for it).
    Signals,
    /// Nothing: the image is complete.
    Done,
}

/// An address space being built from an image as its pieces arrive in order: the regions as
/// soon as their records are in, each page into a frame as soon as its record is, so at most
/// one record is ever held whole (a piece may end inside one). Dropping it frees everything.
pub struct Builder {
    size: usize,
    received: usize,
    step: Step,
    /// Whether the announced size has room for the signal state after the page records.
    with_signals: bool,
    /// The record being assembled (at most [`RECORD`] bytes).
    partial: Vec<u8>,
    space: AddressSpace,
    regs: [u32; 32],
    heap: (u32, u32),
    /// Every region's final rights, set once the pages are in.
    rights: Vec<(u32, u32, PteFlags)>,
    /// Where the last region ended.
    regions_end: u32,
    /// The last page placed.
    last_page: Option<u32>,
    pages_placed: u32,
    signals: Signals,
}

/// Whether `va` is a page address of user space (or its end).
fn user_page(va: u32) -> bool {
    va % FRAME_SIZE == 0 && (USER_BASE..=USER_TOP).contains(&va)
}

impl Builder {
    /// A builder for an image of `size` bytes, into a new address space with ASID `asid`.
    /// `ENOMEM` without the frames or heap for it.
    pub fn new(size: u32, asid: u32) -> Result<Builder, Errno> {
        Ok(Builder {
            size: size as usize,
            received: 0,
            step: Step::Header,
            with_signals: false,
            partial: room(RECORD)?,
            space: AddressSpace::new(asid)?,
            regs: [0; 32],
            heap: (USER_BASE, USER_BASE),
            rights: Vec::new(),
            regions_end: USER_BASE,
            last_page: None,
            pages_placed: 0,
            signals: Signals::new(),
        })
    }

    /// Pages placed so far (each took a frame).
    pub fn pages_placed(&self) -> u32 {
        self.pages_placed
    }

    /// Takes `data`, the piece of the image at `offset`. The pieces come in order, so `offset`
    /// is what arrived so far (`EINVAL` otherwise, or past the announced size). `ENOEXEC` for
    /// a malformed image, `ENOMEM` when the frames or the heap run out.
    pub fn write(&mut self, offset: u32, mut data: &[u8]) -> Result<(), Errno> {
        if offset as usize != self.received || data.len() > self.size - self.received {
            return Err(Errno::Inval);
        }
        self.received += data.len();
        while !data.is_empty() {
            let wanted = match self.step {
                Step::Header => HEADER,
                Step::Regions(..) => REGION,
                Step::Pages(_) => RECORD,
                Step::Signals => SIGNALS,
                Step::Done => return Err(Errno::NoExec),
            };
            let n = (wanted - self.partial.len()).min(data.len());
            self.partial.extend_from_slice(&data[..n]);
            data = &data[n..];
            if self.partial.len() == wanted {
                let part = core::mem::take(&mut self.partial);
                let done = self.complete(&part);
                self.partial = part;
                self.partial.clear();
                done?;
            }
        }
        Ok(())
    }

    /// Acts on `part`, the whole part the step expected.
    fn complete(&mut self, part: &[u8]) -> Result<(), Errno> {
        self.step = match self.step {
            Step::Header => {
                if part[..4] != MAGIC {
                    return Err(Errno::NoExec);
                }
                self.heap = (word(part, 4)?, word(part, 8)?);
                let (pages, regions) = (word(part, 12)?, word(part, HEADER - 4)?);
                for (i, reg) in self.regs.iter_mut().enumerate().skip(1) {
                    *reg = word(part, 16 + 4 * i)?;
                }
                let end = (regions as usize)
                    .checked_mul(REGION)
                    .and_then(|r| (pages as usize).checked_mul(RECORD).and_then(|p| p.checked_add(r)))
                    .and_then(|n| n.checked_add(HEADER))
                    .ok_or(Errno::NoExec)?;
                self.with_signals = match self.size.checked_sub(end) {
                    Some(0) => false,
                    Some(SIGNALS) => true,
                    _ => return Err(Errno::NoExec),
                };
                self.rights = room(regions as usize)?;
                Step::Regions(regions, pages)
            }
            Step::Regions(left, pages) => {
                let (start, end, flags) = (word(part, 0)?, word(part, 4)?, word(part, 8)?);
                let flags = PteFlags::from_bits(flags).ok_or(Errno::NoExec)?;
                // Regions come in address order and do not overlap.
                if !user_page(start) || !user_page(end) || start >= end || start < self.regions_end {
                    return Err(Errno::NoExec);
                }
                self.regions_end = end;
                self.space.load(start, end, start, &[])?;
                self.rights.push((start, end, flags));
                Step::Regions(left.saturating_sub(1), pages)
            }
            Step::Pages(left) => {
                let va = word(part, 0)?;
                // Records come in address order, each page once.
                if !user_page(va) || va == USER_TOP || self.last_page >= Some(va) {
                    return Err(Errno::NoExec);
                }
                self.last_page = Some(va);
                self.space.load(va, va + FRAME_SIZE, va, &part[8..])?;
                self.pages_placed += 1;
                Step::Pages(left.saturating_sub(1))
            }
            Step::Signals => {
                let bytes: &[u8; SIGNALS] = part.try_into().map_err(|_| Errno::NoExec)?;
                self.signals = Signals::decode(bytes).map_err(|_| Errno::NoExec)?;
                Step::Done
            }
            Step::Done => return Err(Errno::NoExec),
        };
        self.advance();
        Ok(())
    }

    /// Moves past the parts that are complete (and past empty lists).
    fn advance(&mut self) {
        loop {
            self.step = match self.step {
                Step::Regions(0, pages) => Step::Pages(pages),
                Step::Pages(0) if self.with_signals => Step::Signals,
                Step::Pages(0) => Step::Done,
                _ => return,
            };
        }
    }

    /// The address space and first trap frame (resuming at `pc`) and the signal state, once
    /// the whole image is in (`ENOEXEC` before: a `Start` that abandons a transfer).
    pub fn finish(mut self, pc: u32) -> Result<(AddressSpace, TrapFrame, Signals), Errno> {
        if self.step != Step::Done || self.received != self.size {
            return Err(Errno::NoExec);
        }
        for &(start, end, flags) in &self.rights {
            if self.space.rights(start) != Some(flags) {
                self.space.set_rights(start, end, flags)?;
            }
        }
        self.space.set_heap(self.heap.0, self.heap.1);
        let mut frame = TrapFrame::new(pc, 0);
        frame.regs[1..].copy_from_slice(&self.regs[1..]);
        Ok((self.space, frame, self.signals))
    }
}
