//! The context translated code runs with, and the host functions it calls.
//!
//! A translated block is an `extern "sysv64" fn(*mut Ctx) -> u32`: it reads and writes guest
//! registers and RAM through the pointers in [`Ctx`], and calls the helpers here for anything
//! off its fast path (a TLB miss, a device, a fault, a store to code, division). A helper that
//! cannot complete an access records the trap in the context and tells the block to leave;
//! the dispatcher then takes the trap exactly where the interpreter would.

use std::cell::Cell;

use ox32::trap::Exception;

use crate::bus::Bus;
use crate::cpu::{Cpu, StoreEffect, Trap};
use crate::mmu::TlbEntry;

/// The block (or the chain of blocks) ran to its end; `next_pc` says where to go on.
pub const EXIT_NEXT: u32 = 0;
/// The instruction at `trap_epc` trapped; the trap is in `trap_cause` and `trap_badaddr`.
pub const EXIT_TRAP: u32 = 1;
/// A store wrote a frame holding decoded code (`stale_frame`); go on at `next_pc`.
pub const EXIT_CODE: u32 = 2;
/// A store wrote a device; go on at `next_pc` after the run loop looks again.
pub const EXIT_DEVICE: u32 = 3;

/// What translated code sees: pointers into the node's state, and what a block reports back.
#[repr(C)]
pub struct Ctx {
    /// `cpu.regs`.
    pub regs: *mut u32,
    /// The start of guest RAM.
    pub ram: *mut u8,
    /// The start of the boot ROM ([`ox32::memmap::BOOT_ROM_SIZE`] bytes, read only).
    pub rom: *const u8,
    /// The TLB's entries.
    pub tlb: *const TlbEntry,
    /// `cpu.tlb.hits`.
    pub hits: *mut u64,
    /// The RAM size in bytes.
    pub ram_len: u64,
    /// The bus's code map (one `bool` per fetchable frame).
    pub code_map: *const bool,
    /// The processor, for helpers.
    pub cpu: *mut Cpu,
    /// The bus, for helpers.
    pub bus: *mut Bus,
    /// Cycles left in the slice: when the block is entered, and when it leaves (after the
    /// last instruction it executed, a trapping one included).
    pub remaining: u64,
    /// Where execution goes on (for every exit but a trap).
    pub next_pc: u32,
    /// The address of the instruction that trapped.
    pub trap_epc: u32,
    /// The trap's cause.
    pub trap_cause: u32,
    /// The trap's bad address.
    pub trap_badaddr: u32,
    /// The frame a store to code wrote.
    pub stale_frame: u64,
    /// For an `EXIT_NEXT` through an exit with a [`Link`]: the link, which the dispatcher may
    /// point at the next block; else null.
    pub link: *const Link,
    /// The frame of the page the last block executed lies in (set when a link crosses pages).
    pub cur_frame: u64,
    /// That page's virtual address.
    pub cur_base: u32,
    /// Padding.
    pub pad: u32,
}

/// Where an exit of a block may jump without returning to the dispatcher: the next block and
/// what must still hold for the dispatcher to choose it. The dispatcher fills it in after the
/// exit was taken once (a `jalr` has two, for two targets; the second is overwritten as
/// targets change).
#[repr(C)]
#[derive(Default)]
pub struct Link {
    /// The chain entry of the next block, or 0 while the link is empty.
    pub code: Cell<usize>,
    /// Its length in instructions: it is entered only with at least this many cycles left.
    pub len: Cell<u64>,
    /// Its address (what a `jalr` compares its target with).
    pub pc: Cell<u32>,
    /// Whether it lies in another page: then the checks below replace the fetch translation.
    pub cross: Cell<u32>,
    /// The code version of its frame, and where the current one is.
    pub version_ptr: Cell<usize>,
    /// The version it was translated from.
    pub version: Cell<u32>,
    /// With paging: the TLB entry the fetch translation hit, by its tag, frame and flags...
    pub tag: Cell<u32>,
    /// ...its frame number...
    pub ppn: Cell<u32>,
    /// ...its flags (which allowed the fetch).
    pub flags: Cell<u32>,
    /// ...and its byte offset in the TLB.
    pub tlb_off: Cell<u64>,
    /// The frame holding the next block (the dispatcher's current page afterwards).
    pub frame: Cell<u64>,
}

/// Offsets of [`Link`] fields, for the emitter.
pub mod link_off {
    use super::Link;
    use std::mem::offset_of;

    /// `Link::code`.
    pub const CODE: i32 = offset_of!(Link, code) as i32;
    /// `Link::len`.
    pub const LEN: i32 = offset_of!(Link, len) as i32;
    /// `Link::pc`.
    pub const PC: i32 = offset_of!(Link, pc) as i32;
    /// `Link::cross`.
    pub const CROSS: i32 = offset_of!(Link, cross) as i32;
    /// `Link::version_ptr`.
    pub const VERSION_PTR: i32 = offset_of!(Link, version_ptr) as i32;
    /// `Link::version`.
    pub const VERSION: i32 = offset_of!(Link, version) as i32;
    /// `Link::tag`.
    pub const TAG: i32 = offset_of!(Link, tag) as i32;
    /// `Link::ppn`.
    pub const PPN: i32 = offset_of!(Link, ppn) as i32;
    /// `Link::flags`.
    pub const FLAGS: i32 = offset_of!(Link, flags) as i32;
    /// `Link::tlb_off`.
    pub const TLB_OFF: i32 = offset_of!(Link, tlb_off) as i32;
    /// `Link::frame`.
    pub const FRAME: i32 = offset_of!(Link, frame) as i32;
}

/// Offsets of [`Ctx`] fields, for the emitter.
pub mod off {
    use super::Ctx;
    use std::mem::offset_of;

    /// `Ctx::hits`.
    pub const HITS: i32 = offset_of!(Ctx, hits) as i32;
    /// `Ctx::ram_len`.
    pub const RAM_LEN: i32 = offset_of!(Ctx, ram_len) as i32;
    /// `Ctx::code_map`.
    pub const CODE_MAP: i32 = offset_of!(Ctx, code_map) as i32;
    /// `Ctx::next_pc`.
    pub const NEXT_PC: i32 = offset_of!(Ctx, next_pc) as i32;
    /// `Ctx::remaining`.
    pub const REMAINING: i32 = offset_of!(Ctx, remaining) as i32;
    /// `Ctx::trap_epc`.
    pub const TRAP_EPC: i32 = offset_of!(Ctx, trap_epc) as i32;
    /// `Ctx::link`.
    pub const LINK: i32 = offset_of!(Ctx, link) as i32;
    /// `Ctx::cur_frame`.
    pub const CUR_FRAME: i32 = offset_of!(Ctx, cur_frame) as i32;
    /// `Ctx::cur_base`.
    pub const CUR_BASE: i32 = offset_of!(Ctx, cur_base) as i32;
    /// `Ctx::trap_cause`.
    pub const TRAP_CAUSE: i32 = offset_of!(Ctx, trap_cause) as i32;
    /// `Ctx::trap_badaddr`.
    pub const TRAP_BADADDR: i32 = offset_of!(Ctx, trap_badaddr) as i32;
    /// `Ctx::regs`.
    pub const REGS: i32 = offset_of!(Ctx, regs) as i32;
    /// `Ctx::ram`.
    pub const RAM: i32 = offset_of!(Ctx, ram) as i32;
    /// `Ctx::rom`.
    pub const ROM: i32 = offset_of!(Ctx, rom) as i32;
    /// `Ctx::tlb`.
    pub const TLB: i32 = offset_of!(Ctx, tlb) as i32;
}

/// Records `trap` in the context.
fn record(ctx: &mut Ctx, trap: Trap) {
    ctx.trap_cause = trap.cause;
    ctx.trap_badaddr = trap.badaddr;
}

/// The slow path of a load of `size` bytes at `va`, with `remaining` cycles left after it:
/// the value (zero-extended), with bit 32 set if it trapped instead. Called only when the
/// block's inline fast path failed (misaligned, no fast TLB entry, not plain RAM), so it goes
/// straight to what `Cpu::load` does then, inlined: one call on a TLB miss, not four.
pub(crate) extern "sysv64" fn load(ctx: *mut Ctx, va: u32, size: u32, remaining: u64) -> u64 {
    // Safety: the dispatcher passes a context whose pointers are live for the block's run and
    // not otherwise borrowed while the block runs; translated code is suspended during the call.
    let ctx = unsafe { &mut *ctx };
    // Safety: as above; `cpu` and `bus` point to the machine the dispatcher was given.
    let (cpu, bus) = unsafe { (&mut *ctx.cpu, &mut *ctx.bus) };
    let value = if va & (size - 1) != 0 {
        Err(Trap::new(Exception::LoadMisaligned, va))
    } else {
        cpu.load_miss(bus, va, size, remaining)
    };
    match value {
        Ok(value) => value as u64,
        Err(trap) => {
            record(ctx, trap);
            1 << 32
        }
    }
}

/// The slow path of a store of `size` bytes of `value` at `va`, with `remaining` cycles left
/// after it: one of the `EXIT_*` codes (`EXIT_NEXT` when the block may go on). Like `load`,
/// called only when the inline fast path failed.
pub(crate) extern "sysv64" fn store(ctx: *mut Ctx, va: u32, size: u32, value: u32, remaining: u64) -> u32 {
    // Safety: as in `load`.
    let ctx = unsafe { &mut *ctx };
    // Safety: as in `load`.
    let (cpu, bus) = unsafe { (&mut *ctx.cpu, &mut *ctx.bus) };
    let effect = if va & (size - 1) != 0 {
        Err(Trap::new(Exception::StoreMisaligned, va))
    } else {
        cpu.store_miss(bus, va, size, value, remaining)
    };
    match effect {
        Ok(StoreEffect::Ram | StoreEffect::Buffer) => EXIT_NEXT,
        Ok(StoreEffect::Code(frame)) => {
            ctx.stale_frame = frame as u64;
            EXIT_CODE
        }
        Ok(StoreEffect::Device) => EXIT_DEVICE,
        Err(trap) => {
            record(ctx, trap);
            EXIT_TRAP
        }
    }
}

/// `div`: x / 0 = -1, MIN / -1 = MIN.
pub extern "sysv64" fn div(a: u32, b: u32) -> u32 {
    if b == 0 {
        u32::MAX
    } else {
        (a as i32).wrapping_div(b as i32) as u32
    }
}

/// `divu`: x / 0 = all ones.
pub extern "sysv64" fn divu(a: u32, b: u32) -> u32 {
    a.checked_div(b).unwrap_or(u32::MAX)
}

/// `rem`: x % 0 = x, MIN % -1 = 0.
pub extern "sysv64" fn rem(a: u32, b: u32) -> u32 {
    if b == 0 {
        a
    } else {
        (a as i32).wrapping_rem(b as i32) as u32
    }
}

/// `remu`: x % 0 = x.
pub extern "sysv64" fn remu(a: u32, b: u32) -> u32 {
    a.checked_rem(b).unwrap_or(a)
}
