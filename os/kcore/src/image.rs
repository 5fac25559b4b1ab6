//! A process image: a whole user context as bytes, what the central sends a satellite to place
//! a process there (ox-proto `ForkImage`, `WriteImage`s, `Start`; docs/satellites.md). The
//! central builds it from an address space and a trap frame (a forked process's, or a fresh
//! program's); the satellite rebuilds both from it. All words little-endian:
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
//! After the page records may come the process's signal dispositions and blocked set
//! ([`Signals::encode`], [`SIGNALS`] bytes: they are user context, so a child placed on a
//! satellite keeps its parent's handlers); an image without them starts with every signal's
//! default action.
//!
//! The pc is not in the image: it travels in `Start`. Decoding checks every field (an image
//! comes over a link); a page outside user space or a short record is refused.

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

/// The image of `space` with registers `regs`: its regions, and every page that holds data
/// (pages never touched read as zeros on the other side too, and are left out).
pub fn encode(space: &AddressSpace, regs: &[u32; 32]) -> Vec<u8> {
    let mut pages = 0u32;
    space.for_each_page(|_, _, _| pages += 1);
    let regions = space.regions();
    let mut out = Vec::with_capacity(HEADER + regions.len() * REGION + pages as usize * RECORD);
    let (heap_start, brk) = space.heap();
    out.extend_from_slice(&MAGIC);
    for value in [heap_start, brk, pages] {
        out.extend_from_slice(&value.to_le_bytes());
    }
    for reg in regs {
        out.extend_from_slice(&reg.to_le_bytes());
    }
    out.extend_from_slice(&(regions.len() as u32).to_le_bytes());
    for (start, end, flags) in regions {
        for value in [start, end, flags.bits()] {
            out.extend_from_slice(&value.to_le_bytes());
        }
    }
    space.for_each_page(|va, bytes, flags| {
        let flags = flags & (PteFlags::R | PteFlags::W | PteFlags::X);
        out.extend_from_slice(&va.to_le_bytes());
        out.extend_from_slice(&flags.bits().to_le_bytes());
        out.extend_from_slice(bytes);
    });
    out
}

/// Rebuilds an address space (ASID `asid`) and the first trap frame (resuming at `pc`) from
/// `image`. `NoExec` for a malformed image, `NoMem` when the frames run out.
pub fn decode(image: &[u8], asid: u32, pc: u32) -> Result<(AddressSpace, TrapFrame), Errno> {
    if image.get(..4) != Some(&MAGIC[..]) {
        return Err(Errno::NoExec);
    }
    let (heap_start, brk) = (word(image, 4)?, word(image, 8)?);
    let regions = word(image, HEADER - 4)? as usize;
    let pages_at = regions.checked_mul(REGION).and_then(|n| n.checked_add(HEADER)).ok_or(Errno::NoExec)?;
    let end = records_end(image)?;
    if image.len() != end && image.len() != end + SIGNALS {
        return Err(Errno::NoExec);
    }
    let mut frame = TrapFrame::new(pc, 0);
    for (i, reg) in frame.regs.iter_mut().enumerate().skip(1) {
        *reg = word(image, 16 + 4 * i)?;
    }
    let mut space = AddressSpace::new(asid)?;
    let valid = |va: u32| va % FRAME_SIZE == 0 && (USER_BASE..=USER_TOP).contains(&va);
    let mut previous_end = USER_BASE;
    let mut rights = Vec::with_capacity(regions);
    for record in image[HEADER..pages_at].chunks_exact(REGION) {
        let (start, end, flags) = (word(record, 0)?, word(record, 4)?, word(record, 8)?);
        let flags = PteFlags::from_bits(flags).ok_or(Errno::NoExec)?;
        // Regions come in address order and do not overlap.
        if !valid(start) || !valid(end) || start >= end || start < previous_end {
            return Err(Errno::NoExec);
        }
        previous_end = end;
        space.load(start, end, start, &[])?;
        rights.push((start, end, flags));
    }
    let mut previous = None;
    for record in image[pages_at..end].chunks_exact(RECORD) {
        let va = word(record, 0)?;
        // Records come in address order, each page once.
        if !valid(va) || va == USER_TOP || previous >= Some(va) {
            return Err(Errno::NoExec);
        }
        previous = Some(va);
        space.load(va, va + FRAME_SIZE, va, &record[8..])?;
    }
    for (start, end, flags) in rights {
        if space.rights(start) != Some(flags) {
            space.set_rights(start, end, flags)?;
        }
    }
    space.set_heap(heap_start, brk);
    Ok((space, frame))
}

/// Where the page records of `image` end (its region and page counts say), if that is a
/// size at all.
fn records_end(image: &[u8]) -> Result<usize, Errno> {
    let (pages, regions) = (word(image, 12)? as usize, word(image, HEADER - 4)? as usize);
    regions
        .checked_mul(REGION)
        .and_then(|r| pages.checked_mul(RECORD).and_then(|p| p.checked_add(r)))
        .and_then(|n| n.checked_add(HEADER))
        .ok_or(Errno::NoExec)
}

/// Appends the signal state `signals` to `image` (which must not have one yet).
pub fn append_signals(image: &mut Vec<u8>, signals: &Signals) {
    image.extend_from_slice(&signals.encode());
}

/// The signal state stored in `image`: the default one if it has none, `NoExec` if it is
/// malformed.
pub fn signals(image: &[u8]) -> Result<Signals, Errno> {
    match image.get(records_end(image)?..) {
        Some([]) => Ok(Signals::new()),
        Some(trailer) => {
            let bytes: &[u8; SIGNALS] = trailer.try_into().map_err(|_| Errno::NoExec)?;
            Signals::decode(bytes).map_err(|_| Errno::NoExec)
        }
        None => Err(Errno::NoExec),
    }
}
