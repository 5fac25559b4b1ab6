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
//! | 144 | … | `pages` records: `va` (4), `flags` (4: R, W, X of [`PteFlags`]), 4096 bytes |
//!
//! After the page records may come the process's signal dispositions and blocked set
//! ([`Signals::encode`], [`SIGNALS`] bytes: they are user context, so a child placed on a
//! satellite keeps its parent's handlers); an image without them starts with every signal's
//! default action.
//!
//! The pc is not in the image: it travels in `Start`. Decoding checks every field (an image
//! comes over a link); a page outside user space or a short record is refused.

use alloc::vec::Vec;

use ox_abi::{Errno, USER_TOP};

use crate::arch::TrapFrame;
use crate::frame::FRAME_SIZE;
use crate::pmap::PteFlags;
use crate::signal::Signals;
use crate::vm::AddressSpace;

/// The first word of every image.
pub const MAGIC: [u8; 4] = *b"OXIM";
/// Bytes before the first page record.
pub const HEADER: usize = 16 + 4 * 32;
/// Bytes of one page record.
pub const RECORD: usize = 8 + FRAME_SIZE as usize;
/// Bytes of the optional signal state after the page records.
pub const SIGNALS: usize = Signals::ENCODED;

fn word(bytes: &[u8], at: usize) -> Result<u32, Errno> {
    let b = bytes.get(at..at + 4).ok_or(Errno::NoExec)?;
    Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
}

/// The image of `space` with registers `regs`.
pub fn encode(space: &AddressSpace, regs: &[u32; 32]) -> Vec<u8> {
    let mut pages = 0u32;
    space.for_each_page(|_, _, _| pages += 1);
    let mut out = Vec::with_capacity(HEADER + pages as usize * RECORD);
    let (heap_start, brk) = space.heap();
    out.extend_from_slice(&MAGIC);
    for value in [heap_start, brk, pages] {
        out.extend_from_slice(&value.to_le_bytes());
    }
    for reg in regs {
        out.extend_from_slice(&reg.to_le_bytes());
    }
    space.for_each_page(|va, frame, flags| {
        let flags = flags & (PteFlags::R | PteFlags::W | PteFlags::X);
        out.extend_from_slice(&va.to_le_bytes());
        out.extend_from_slice(&flags.bits().to_le_bytes());
        // Safety: the frame is a page of `space`, which does not run while it is copied
        // (the kernel is never interrupted).
        out.extend_from_slice(unsafe { frame.bytes_mut() });
    });
    out
}

/// Rebuilds an address space (ASID `asid`) and the first trap frame (resuming at `pc`) from
/// `image`. `NoExec` for a malformed image, `NoMem` when the frames run out.
pub fn decode(image: &[u8], asid: u32, pc: u32) -> Result<(AddressSpace, TrapFrame), Errno> {
    if image.get(..4) != Some(&MAGIC[..]) {
        return Err(Errno::NoExec);
    }
    let (heap_start, brk, pages) = (word(image, 4)?, word(image, 8)?, word(image, 12)? as usize);
    let end = records_end(pages)?;
    if image.len() != end && image.len() != end + SIGNALS {
        return Err(Errno::NoExec);
    }
    let mut frame = TrapFrame::new(pc, 0);
    for (i, reg) in frame.regs.iter_mut().enumerate().skip(1) {
        *reg = word(image, 16 + 4 * i)?;
    }
    let mut space = AddressSpace::new(asid)?;
    for record in image[HEADER..end].chunks_exact(RECORD) {
        let (va, flags) = (word(record, 0)?, word(record, 4)?);
        let flags = PteFlags::from_bits(flags).ok_or(Errno::NoExec)?;
        if va % FRAME_SIZE != 0 || va >= USER_TOP || flags.is_empty() || space.table().lookup(va).is_some() {
            return Err(Errno::NoExec);
        }
        let page = space.map_zeroed(va, flags)?;
        // Safety: the frame was just mapped into `space`, which is not running yet.
        unsafe { page.bytes_mut().copy_from_slice(&record[8..]) };
    }
    space.set_heap(heap_start, brk);
    Ok((space, frame))
}

/// Where the page records of an image with `pages` of them end.
fn records_end(pages: usize) -> Result<usize, Errno> {
    pages.checked_mul(RECORD).and_then(|n| n.checked_add(HEADER)).ok_or(Errno::NoExec)
}

/// Appends the signal state `signals` to `image` (which must not have one yet).
pub fn append_signals(image: &mut Vec<u8>, signals: &Signals) {
    image.extend_from_slice(&signals.encode());
}

/// The signal state stored in `image`: the default one if it has none, `NoExec` if it is
/// malformed.
pub fn signals(image: &[u8]) -> Result<Signals, Errno> {
    match image.get(records_end(word(image, 12)? as usize)?..) {
        Some([]) => Ok(Signals::new()),
        Some(trailer) => {
            let bytes: &[u8; SIGNALS] = trailer.try_into().map_err(|_| Errno::NoExec)?;
            Signals::decode(bytes).map_err(|_| Errno::NoExec)
        }
        None => Err(Errno::NoExec),
    }
}
