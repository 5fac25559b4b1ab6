//! The ELF loader: puts an ox32 executable's `PT_LOAD` segments into an address space.
//!
//! Accepted: ELF32, little-endian, `ET_EXEC`, `e_machine` = `EM_OX32` (0x4F58, what `rv2ox`
//! writes), every segment inside user space (`USER_BASE..` below the stack region), and an
//! entry point that is word-aligned in an executable segment (else `ENOEXEC`, at `exec`, not
//! a fault at the first instruction). Each page
//! gets its segment's permissions (R, W, X from `p_flags`); a page shared by two segments gets
//! both. File bytes are copied; the rest up to `p_memsz` reads as zeros (zero-filled on first
//! touch).

use alloc::collections::BTreeMap;

use goblin::elf::header::{ELFCLASS32, ELFDATA2LSB, ET_EXEC};
use goblin::elf::program_header::{PF_R, PF_W, PF_X, PT_LOAD};
use goblin::elf::Elf;
use ox_abi::{Errno, USER_BASE};

use crate::frame::FRAME_SIZE;
use crate::pmap::PteFlags;
use crate::vm::{self, AddressSpace, STACK_BOTTOM};

/// `e_machine` of ox32 executables ("OX").
pub const EM_OX32: u16 = 0x4F58;

/// Loads `image` into `space`; returns the entry point.
pub fn load(space: &mut AddressSpace, image: &[u8]) -> Result<u32, Errno> {
    let elf = Elf::parse(image).map_err(|_| Errno::NoExec)?;
    let header = &elf.header;
    if header.e_ident[4] != ELFCLASS32
        || header.e_ident[5] != ELFDATA2LSB
        || header.e_type != ET_EXEC
        || header.e_machine != EM_OX32
    {
        return Err(Errno::NoExec);
    }
    let mut image_end = USER_BASE;
    // The rights of every page: the union of the segments' that share it.
    let mut rights: BTreeMap<u32, PteFlags> = BTreeMap::new();
    for segment in elf.program_headers.iter().filter(|p| p.p_type == PT_LOAD && p.p_memsz > 0) {
        let (vaddr, memsz, filesz, offset) = (
            segment.p_vaddr as u32,
            segment.p_memsz as u32,
            segment.p_filesz as u32,
            segment.p_offset as usize,
        );
        let end = vaddr.checked_add(memsz).ok_or(Errno::NoExec)?;
        if vaddr < USER_BASE || end > STACK_BOTTOM || filesz > memsz {
            return Err(Errno::NoExec);
        }
        let data = offset
            .checked_add(filesz as usize)
            .and_then(|data_end| image.get(offset..data_end))
            .ok_or(Errno::NoExec)?;
        let mut flags = PteFlags::empty();
        for (bit, flag) in [(PF_R, PteFlags::R), (PF_W, PteFlags::W | PteFlags::R), (PF_X, PteFlags::X)] {
            if segment.p_flags & bit != 0 {
                flags |= flag;
            }
        }
        let (first, last) = (vm::page_down(vaddr), vm::page_up(end));
        space.load(first, last, vaddr, data)?;
        for page in (first..last).step_by(FRAME_SIZE as usize) {
            *rights.entry(page).or_insert(PteFlags::empty()) |= flags;
        }
        image_end = image_end.max(end);
    }
    let entry = header.e_entry as u32;
    let runnable = rights.get(&vm::page_down(entry)).is_some_and(|f| f.contains(PteFlags::X));
    if !runnable || entry % 4 != 0 {
        return Err(Errno::NoExec);
    }
    for (page, flags) in rights {
        space.set_rights(page, page + FRAME_SIZE, flags)?;
    }
    space.set_image_end(image_end);
    Ok(entry)
}
