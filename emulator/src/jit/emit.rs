//! The translator: one block of pre-decoded ox32 instructions to x86-64 machine code.
//!
//! A block is a run of instructions inside one guest page — conditional branches inside it are
//! side exits — ending after a jump (`jal`, `jalr`), before an instruction the dispatcher executes itself (`System`, `Illegal`), at the end
//! of the page, or at [`MAX_BLOCK`] instructions. Its code is a function
//! `extern "sysv64" fn(*mut Ctx) -> u32` (see [`super::helpers`]) built with dynasm-rs:
//!
//! * `rbx` = guest registers, `r12` = the context, `r13` = guest RAM, `r14` = the TLB's entries
//!   with paging, `rbp` = the TLB hit count itself with paging (a chain of blocks carries it
//!   from one to the next; stored back on every return and around every load or store
//!   helper, which counts its own access), the code map without (a chain of blocks never
//!   changes mode), `r15` = the cycles left in the slice after the current block.
//!   Guest registers live in memory (`[rbx + 4 * n]`); in each batch of blocks the (up to six,
//!   seven without paging) most used ones are kept in `rsi`, `rdi`, `r8`–`r11` (and `r14`),
//!   loaded at the block's start, written back before every exit and helper call, and
//!   reloaded after every call.
//! * Branch, jump and fall-through exits go through a [`Link`]: once the dispatcher has filled
//!   it in, the exit jumps straight into the next block when the dispatcher would have chosen
//!   it — at least its length in cycles left, the same target (for `jalr`), and for another
//!   page the same code version and the same TLB entry for the fetch translation (counted as
//!   the hit the interpreter's fetch translation counts).
//! * Loads and stores test the same fast path as the interpreter inline (with paging: the TLB
//!   entry's tag and fast bit for the block's mode, counting a hit; without: the RAM bounds and,
//!   for a store, the code map) and call a helper out of line otherwise. Without paging, a load
//!   that misses RAM first tests the boot ROM's bounds, and reads it without a call (a boot ROM
//!   looks up a table in ROM for every byte it checks).
//! * Every exit stores the cycles left and where to go on (or the trap and its `epc`), so the
//!   dispatcher's cycle count is the interpreter's to the instruction. Nothing in the code depends on guest
//!   data except through those checks: every host address it forms is RAM or the boot ROM
//!   plus an offset the checks bounded, or a field of the context.

use dynasmrt::x64::X64Relocation;
use dynasmrt::{dynasm, DynamicLabel, DynasmApi, DynasmError, DynasmLabelApi, VecAssembler};
use ox32::memmap::{BOOT_ROM_BASE, BOOT_ROM_SIZE, RAM_BASE, RAM_MAX};
use ox32::pte::{PAGE_SHIFT, TLB_ENTRIES};
use ox32::trap::Exception;

use super::helpers::{self, link_off, off, Link, EXIT_NEXT, EXIT_TRAP};
use crate::cpu::op::{Kind, Op};
use crate::mmu::TlbEntry;

/// The most instructions in one block.
pub const MAX_BLOCK: usize = 64;

const TLB_SIZE: i32 = std::mem::size_of::<TlbEntry>() as i32;
// The fast path indexes the TLB as `r14 + (slot * 5) * 8`.
const _: () = assert!(TLB_SIZE == 40);
const TLB_TAG: i32 = std::mem::offset_of!(TlbEntry, tag) as i32;
const TLB_FAST_TAGS: i32 = std::mem::offset_of!(TlbEntry, fast_tags) as i32;
const TLB_ADDEND: i32 = std::mem::offset_of!(TlbEntry, addend) as i32;
const TLB_PPN: i32 = std::mem::offset_of!(TlbEntry, ppn) as i32;
const TLB_FLAGS: i32 = std::mem::offset_of!(TlbEntry, flags) as i32;
const _: () = assert!(TLB_ENTRIES.is_power_of_two());

/// Whether `kind` ends a block after itself (conditional branches do not: their taken path
/// is a side exit, and the block goes on with the path not taken).
pub fn ends_block(kind: Kind) -> bool {
    matches!(kind, Kind::Jal | Kind::Jalr)
}

/// Whether `kind` is a conditional branch.
pub fn is_branch(kind: Kind) -> bool {
    matches!(kind, Kind::Beq | Kind::Bne | Kind::Blt | Kind::Bge | Kind::Bltu | Kind::Bgeu)
}

/// Whether the dispatcher, not a block, executes `kind`.
pub fn is_special(kind: Kind) -> bool {
    matches!(kind, Kind::System | Kind::Illegal | Kind::Undecoded | Kind::PageEnd)
}

/// How the block is entered: the mode and paging state its fast paths assume.
#[derive(Clone, Copy, Debug)]
pub struct Mode {
    /// Paging is on.
    pub paging: bool,
    /// The fast bit a load needs.
    pub load_bit: u8,
    /// The fast bit a store needs.
    pub store_bit: u8,
    /// The RAM size (a multiple of the page size, at most `RAM_MAX`).
    pub ram_len: u32,
}

const _: () = assert!(RAM_MAX as u64 <= (1u64 << 32) - RAM_BASE as u64);

/// An out-of-line slow path to emit after the block's body.
enum Slow {
    Load {
        at: DynamicLabel,
        resume: DynamicLabel,
        index: usize,
        size: u32,
        signed: bool,
        dest: Option<u8>,
        dirty: u64,
    },
    Store {
        at: DynamicLabel,
        resume: DynamicLabel,
        index: usize,
        size: u32,
        rs2: u8,
        dirty: u64,
    },
    /// The taken path of a forward conditional branch inside the block (rarely taken, so kept
    /// out of the straight line the not-taken path runs through): an exit to `target`.
    Exit {
        at: DynamicLabel,
        index: usize,
        target: u32,
        dirty: u64,
    },
}

/// Byte offset of guest register `r` from `rbx`.
fn reg(r: u8) -> i32 {
    (r as i32 & 63) * 4
}

/// The block's instructions: `ops` from index `start` of a page at virtual `base`.
pub struct Block<'a> {
    /// The decoded page (1025 slots, the last a sentinel).
    pub ops: &'a [Op],
    /// The index of the block's first instruction.
    pub start: usize,
    /// The page's virtual address.
    pub base: u32,
}

impl Block<'_> {
    /// The number of instructions the block holds (at least 1 unless the first is special).
    pub fn count(&self) -> usize {
        let mut n = 0;
        for op in &self.ops[self.start..1024] {
            if is_special(op.kind) || n == MAX_BLOCK {
                break;
            }
            n += 1;
            if ends_block(op.kind) {
                break;
            }
        }
        n
    }
}

/// One block of a batch to translate: its instructions, and the links its exits may go
/// through (see [`links_needed`]).
pub struct Part<'a> {
    /// The block.
    pub block: Block<'a>,
    /// Its length (see [`Block::count`]).
    pub len: usize,
    /// Its links.
    pub links: &'a [Link],
}

/// Host code for a batch of blocks of one page, one function each.
pub struct Code {
    /// The machine code.
    pub bytes: Vec<u8>,
    /// Per block: where its function starts, where another block's linked exit jumps in
    /// (after the prologue), and where its code ends.
    pub blocks: Vec<(usize, usize, usize)>,
}

/// The emitter's state for one block.
struct Emitter<'a> {
    a: &'a mut VecAssembler<X64Relocation>,
    /// The shared epilogue.
    exit: DynamicLabel,
    /// The blocks translated with this one: address, length, and the start of the body.
    siblings: &'a [(u32, usize, DynamicLabel)],
    len: usize,
    links: &'a [Link],
    links_used: usize,
    paging: bool,
    /// The block's first address.
    start: u32,
    /// The start of the body (after the cycles are counted and registers loaded), where a
    /// loop on the block itself jumps back to.
    top: DynamicLabel,
    /// The host register (a number for `Rd`) holding each guest register kept in one.
    cached: [Option<u8>; 64],
    /// The same as `(guest, host)` pairs, in guest register order: the first `kept_len`.
    kept: [(u8, u8); CACHE_REGS.len()],
    kept_len: usize,
    /// Guest registers whose host copy is newer than memory, at this point of the emission.
    dirty: u64,
    /// The guest register whose value `eax` holds at this point of the emission, if any: set
    /// by [`Emitter::get`] and [`Emitter::set`] into or from `eax`, forgotten when the register
    /// changes otherwise or `eax` gets an address. Every other write of `eax` is followed by a
    /// `set` from it or ends the block, and the labels jumped to inside a block (a branch's
    /// path not taken, a slow path's return) see `eax` as the straight line does, or follow
    /// an `address` (see `emit_block`).
    eax: Option<u8>,
}

/// Host registers that hold guest registers inside a block (`rsi`, `rdi`, `r8`–`r11`:
/// caller-saved, so written back before every call and exit and reloaded after every call;
/// exits may use them as scratch once written back), and without paging also `r14`, which
/// then points nowhere (the TLB is only read with paging; callee-saved, the block's prologue
/// saves it).
const CACHE_REGS: [u8; 7] = [6, 7, 8, 9, 10, 11, 14];

/// The host registers that may hold guest registers in `mode` (see [`CACHE_REGS`]).
fn cache_regs(mode: Mode) -> &'static [u8] {
    if mode.paging {
        &CACHE_REGS[..6]
    } else {
        &CACHE_REGS
    }
}

/// How much more a register use counts in a block that loops on itself.
const LOOP_WEIGHT: u32 = 16;

/// The cached guest registers that `ops` write, as a mask.
fn written(ops: &[Op], cached: &[Option<u8>; 64]) -> u64 {
    let writes_rd = |k: Kind| {
        !matches!(
            k,
            Kind::Beq
                | Kind::Bne
                | Kind::Blt
                | Kind::Bge
                | Kind::Bltu
                | Kind::Bgeu
                | Kind::Sb
                | Kind::Sh
                | Kind::Sw
        )
    };
    ops.iter()
        .filter(|op| writes_rd(op.kind) && cached[op.rd as usize & 63].is_some())
        .fold(0, |mask, op| mask | 1 << (op.rd & 63))
}

/// The guest registers worth keeping in host registers in `ops`: the most used ones (counting
/// each use with its weight; at least 2 in all), one per host register of `hosts`.
fn choose_cached(ops: &[(Op, u32)], hosts: &[u8]) -> [Option<u8>; 64] {
    let mut uses = [0u32; 32];
    for &(op, weight) in ops {
        let (reads, writes): (&[u8], &[u8]) = match op.kind {
            Kind::Lui | Kind::Auipc | Kind::Jal => (&[], &[op.rd]),
            Kind::Beq | Kind::Bne | Kind::Blt | Kind::Bge | Kind::Bltu | Kind::Bgeu => {
                (&[op.rs1, op.rs2], &[])
            }
            Kind::Sb | Kind::Sh | Kind::Sw => (&[op.rs1, op.rs2], &[]),
            Kind::Jalr
            | Kind::Lb
            | Kind::Lh
            | Kind::Lw
            | Kind::Lbu
            | Kind::Lhu
            | Kind::Addi
            | Kind::Slti
            | Kind::Sltiu
            | Kind::Xori
            | Kind::Ori
            | Kind::Andi
            | Kind::Slli
            | Kind::Srli
            | Kind::Srai => (&[op.rs1], &[op.rd]),
            _ => (&[op.rs1, op.rs2], &[op.rd]),
        };
        for &r in reads.iter().chain(writes) {
            if (1..32).contains(&r) {
                uses[r as usize] += weight;
            }
        }
    }
    let mut order: Vec<usize> = (1..32).filter(|&r| uses[r] >= 2).collect();
    order.sort_by_key(|&r| (std::cmp::Reverse(uses[r]), r));
    let mut cached = [None; 64];
    for (&r, &host) in order.iter().zip(hosts) {
        cached[r] = Some(host);
    }
    cached
}

// dynasm's dynamic registers (`Rd(n)`) convert their number with `.into()`.
#[allow(clippy::useless_conversion)]
impl Emitter<'_> {
    /// Emits `scratch` (a host register number: 0 = eax, 1 = ecx, 2 = edx) = guest register `r`.
    fn get(&mut self, scratch: u8, r: u8) {
        match (self.cached[r as usize & 63], self.eax == Some(r)) {
            (_, true) if scratch == 0 => {}
            (_, true) => dynasm!(self.a ; .arch x64 ; mov Rd(scratch), eax),
            (Some(host), false) => dynasm!(self.a ; .arch x64 ; mov Rd(scratch), Rd(host)),
            (None, false) => dynasm!(self.a ; .arch x64 ; mov Rd(scratch), [rbx + reg(r)]),
        }
        if scratch == 0 {
            self.eax = Some(r);
        }
    }

    /// Emits the comparison of guest registers `a` and `b` (the flags as after `cmp a, b`),
    /// reading each where it is: a host register, memory, or for `r0` the constant 0.
    fn compare(&mut self, a: u8, b: u8) {
        let first = match self.cached[a as usize & 63] {
            Some(host) => host,
            None => {
                self.get(0, a);
                0
            }
        };
        match (b, self.cached[b as usize & 63]) {
            (0, _) => dynasm!(self.a ; .arch x64 ; cmp Rd(first), 0),
            (_, Some(host)) => dynasm!(self.a ; .arch x64 ; cmp Rd(first), Rd(host)),
            _ if self.eax == Some(b) => dynasm!(self.a ; .arch x64 ; cmp Rd(first), eax),
            _ => dynasm!(self.a ; .arch x64 ; cmp Rd(first), [rbx + reg(b)]),
        }
    }

    /// Emits `eax` = guest register `r` + `imm` (an access's address).
    fn address(&mut self, r: u8, imm: i32) {
        match (self.cached[r as usize & 63], imm) {
            (_, 0) if self.eax == Some(r) => {}
            (_, _) if self.eax == Some(r) => dynasm!(self.a ; .arch x64 ; add eax, imm),
            (Some(host), 0) => dynasm!(self.a ; .arch x64 ; mov eax, Rd(host)),
            (Some(host), _) => dynasm!(self.a ; .arch x64 ; lea eax, [Rq(host) + imm]),
            (None, 0) => dynasm!(self.a ; .arch x64 ; mov eax, [rbx + reg(r)]),
            (None, _) => dynasm!(self.a ; .arch x64 ; mov eax, [rbx + reg(r)] ; add eax, imm),
        }
        self.eax = None;
    }

    /// Emits the address of an access, `r` + `imm`, where [`fast_path`] expects it: in `eax`
    /// with paging; without, as its offset from RAM's start in `edx` (one `lea`; a slow path
    /// gets the address back with [`Emitter::address_back`]).
    fn access_address(&mut self, paging: bool, r: u8, imm: i32) {
        if paging {
            self.address(r, imm);
            return;
        }
        // `va - RAM_BASE` is `va + RAM_BASE` modulo 2^32 (RAM_BASE = 2^31, see `fast_path`).
        let disp = imm.wrapping_add(RAM_BASE as i32);
        let src = match (self.cached[r as usize & 63], self.eax == Some(r)) {
            (_, true) => 0,
            (Some(host), false) => host,
            (None, false) => {
                dynasm!(self.a ; .arch x64 ; mov eax, [rbx + reg(r)]);
                0
            }
        };
        dynasm!(self.a ; .arch x64 ; lea edx, [Rq(src) + disp]);
        self.eax = None;
    }

    /// Emits, at the start of a slow path, the access's address in `eax` again (see
    /// [`Emitter::access_address`]).
    fn address_back(&mut self) {
        if !self.paging {
            dynasm!(self.a ; .arch x64 ; lea eax, [rdx + RAM_BASE as i32]);
        }
    }

    /// Emits, at the start of a load's slow path without paging, a read of the boot ROM when
    /// the address lies in it, aligned, into where the fast path puts the value (`dest`, else
    /// `eax`), and a jump back to `resume`; falls through otherwise, `edx` intact. The helper
    /// would read the same bytes: the ROM is read only, no device, and counts nothing.
    #[allow(clippy::useless_conversion)] // dynasm's `Rd(n)` converts its number with `.into()`.
    fn rom_load(&mut self, size: u32, signed: bool, dest: Option<u8>, resume: DynamicLabel) {
        let other = self.a.new_dynamic_label();
        // `edx` is `va - RAM_BASE` (see `access_address`); `ecx` becomes `va - BOOT_ROM_BASE`,
        // which wraps for addresses below the ROM to more than its size: one unsigned compare
        // checks both ends.
        dynasm!(self.a
            ; .arch x64
            ; lea ecx, [rdx + RAM_BASE.wrapping_sub(BOOT_ROM_BASE) as i32]
            ; cmp ecx, (BOOT_ROM_SIZE - size) as i32
            ; ja =>other
        );
        if size > 1 {
            dynasm!(self.a ; .arch x64 ; test ecx, (size - 1) as i32 ; jnz =>other);
        }
        dynasm!(self.a ; .arch x64 ; mov rax, [r12 + off::ROM]);
        let d = dest.unwrap_or(0);
        match (size, signed) {
            (1, true) => dynasm!(self.a ; .arch x64 ; movsx Rd(d), BYTE [rax + rcx]),
            (1, false) => dynasm!(self.a ; .arch x64 ; movzx Rd(d), BYTE [rax + rcx]),
            (2, true) => dynasm!(self.a ; .arch x64 ; movsx Rd(d), WORD [rax + rcx]),
            (2, false) => dynasm!(self.a ; .arch x64 ; movzx Rd(d), WORD [rax + rcx]),
            _ => dynasm!(self.a ; .arch x64 ; mov Rd(d), [rax + rcx]),
        }
        dynasm!(self.a ; .arch x64 ; jmp =>resume ; =>other);
    }

    /// Emits guest register `r` = `scratch`.
    fn set(&mut self, r: u8, scratch: u8) {
        self.eax = if scratch == 0 { Some(r) } else { self.eax.filter(|&held| held != r) };
        match self.cached[r as usize & 63] {
            Some(host) => {
                dynasm!(self.a ; .arch x64 ; mov Rd(host), Rd(scratch));
                self.dirty |= 1 << (r & 63);
            }
            None => dynasm!(self.a ; .arch x64 ; mov [rbx + reg(r)], Rd(scratch)),
        }
    }

    /// Emits guest register `r` = `value`.
    fn set_imm(&mut self, r: u8, value: u32) {
        self.eax = self.eax.filter(|&held| held != r);
        match self.cached[r as usize & 63] {
            Some(host) => {
                dynasm!(self.a ; .arch x64 ; mov Rd(host), value as i32);
                self.dirty |= 1 << (r & 63);
            }
            None => dynasm!(self.a ; .arch x64 ; mov DWORD [rbx + reg(r)], value as i32),
        }
    }

    /// Emits `op` straight on the host register of its destination, if it has one and `op` is a
    /// plain two-operand ALU instruction; returns whether it did.
    fn direct(&mut self, op: Op) -> bool {
        let Some(h) = self.cached[op.rd as usize & 63] else { return false };
        let imm = op.imm as i32;
        let with_imm = matches!(
            op.kind,
            Kind::Addi | Kind::Xori | Kind::Ori | Kind::Andi | Kind::Slli | Kind::Srli | Kind::Srai
        );
        let with_reg = matches!(op.kind, Kind::Add | Kind::Sub | Kind::Xor | Kind::Or | Kind::And);
        if !(with_imm || with_reg) {
            return false;
        }
        // `rd = rs1 op rd` would overwrite its second operand first: as `rd = rd op rs1` when
        // `op` commutes, else not here.
        let mut op = op;
        if with_reg && op.rs2 == op.rd && op.rs1 != op.rd {
            if op.kind == Kind::Sub {
                return false;
            }
            (op.rs1, op.rs2) = (op.rs2, op.rs1);
        }
        if op.rs1 != op.rd {
            match self.cached[op.rs1 as usize & 63] {
                Some(h1) => dynasm!(self.a ; .arch x64 ; mov Rd(h), Rd(h1)),
                None if self.eax == Some(op.rs1) => dynasm!(self.a ; .arch x64 ; mov Rd(h), eax),
                None => dynasm!(self.a ; .arch x64 ; mov Rd(h), [rbx + reg(op.rs1)]),
            }
        }
        // An uncached second operand that `eax` holds is read from there.
        let rs2 = match self.cached[op.rs2 as usize & 63] {
            None if with_reg && self.eax == Some(op.rs2) => Some(0),
            other => other,
        };
        self.eax = self.eax.filter(|&held| held != op.rd);
        match (op.kind, rs2) {
            (Kind::Addi, _) if imm == 0 => {}
            (Kind::Addi, _) => dynasm!(self.a ; .arch x64 ; add Rd(h), imm),
            (Kind::Xori, _) => dynasm!(self.a ; .arch x64 ; xor Rd(h), imm),
            (Kind::Ori, _) => dynasm!(self.a ; .arch x64 ; or Rd(h), imm),
            (Kind::Andi, _) => dynasm!(self.a ; .arch x64 ; and Rd(h), imm),
            (Kind::Slli, _) => dynasm!(self.a ; .arch x64 ; shl Rd(h), (imm & 31) as i8),
            (Kind::Srli, _) => dynasm!(self.a ; .arch x64 ; shr Rd(h), (imm & 31) as i8),
            (Kind::Srai, _) => dynasm!(self.a ; .arch x64 ; sar Rd(h), (imm & 31) as i8),
            (Kind::Add, Some(h2)) => dynasm!(self.a ; .arch x64 ; add Rd(h), Rd(h2)),
            (Kind::Sub, Some(h2)) => dynasm!(self.a ; .arch x64 ; sub Rd(h), Rd(h2)),
            (Kind::Xor, Some(h2)) => dynasm!(self.a ; .arch x64 ; xor Rd(h), Rd(h2)),
            (Kind::Or, Some(h2)) => dynasm!(self.a ; .arch x64 ; or Rd(h), Rd(h2)),
            (Kind::And, Some(h2)) => dynasm!(self.a ; .arch x64 ; and Rd(h), Rd(h2)),
            (Kind::Add, None) => dynasm!(self.a ; .arch x64 ; add Rd(h), [rbx + reg(op.rs2)]),
            (Kind::Sub, None) => dynasm!(self.a ; .arch x64 ; sub Rd(h), [rbx + reg(op.rs2)]),
            (Kind::Xor, None) => dynasm!(self.a ; .arch x64 ; xor Rd(h), [rbx + reg(op.rs2)]),
            (Kind::Or, None) => dynasm!(self.a ; .arch x64 ; or Rd(h), [rbx + reg(op.rs2)]),
            _ => dynasm!(self.a ; .arch x64 ; and Rd(h), [rbx + reg(op.rs2)]),
        }
        self.dirty |= 1 << (op.rd & 63);
        true
    }

    /// Emits the write-back of the guest registers in `dirty` to memory.
    fn flush(&mut self, dirty: u64) {
        for (r, host) in self.kept.into_iter().take(self.kept_len) {
            if dirty & 1 << r != 0 {
                dynasm!(self.a ; .arch x64 ; mov [rbx + reg(r)], Rd(host));
            }
        }
    }

    /// Emits, with paging, the store of the TLB hit count (`rbp`) where a helper counts on
    /// (before a load or store helper, which counts its own access). Clobbers `rcx`.
    fn hits_out(&mut self) {
        if self.paging {
            dynasm!(self.a ; .arch x64 ; mov rcx, [r12 + off::HITS] ; mov [rcx], rbp);
        }
    }

    /// Emits, with paging, the reload of the TLB hit count into `rbp` after a helper call.
    /// Clobbers `rcx`.
    fn hits_in(&mut self) {
        if self.paging {
            dynasm!(self.a ; .arch x64 ; mov rcx, [r12 + off::HITS] ; mov rbp, [rcx]);
        }
    }

    /// Emits the load of every cached guest register from memory.
    fn reload(&mut self) {
        for (r, host) in self.kept.into_iter().take(self.kept_len) {
            dynasm!(self.a ; .arch x64 ; mov Rd(host), [rbx + reg(r)]);
        }
    }

    /// Emits `add r15, n`: `r15` holds the cycles left after the whole block, so the cycles
    /// left after `k` of its instructions are `r15 + (len - k)`.
    fn give_back(&mut self, executed: usize) {
        let n = (self.len - executed) as i32;
        if n != 0 {
            dynasm!(self.a ; .arch x64 ; add r15, n);
        }
    }

    /// Emits a normal exit after `executed` instructions, going on at `next`: straight into the
    /// next block when the dispatcher has linked it, else back.
    fn next_exit(&mut self, next: u32, executed: usize) {
        if next == self.start {
            // A loop on itself: the block, its frame and its version are this one's, so only
            // the cycles need checking; the host registers hold the guest's (those the block
            // writes count as dirty from its start, so no write-back is needed here). With
            // `r15` the cycles left after the whole block, the cycles left now are
            // `r15 + len - executed`, enough for another round when `r15 >= executed`: then
            // `r15 - executed` is what is left after that round; else undo, and give back.
            let top = self.top;
            dynasm!(self.a
                ; .arch x64
                ; sub r15, executed as i32
                ; jae =>top
                ; add r15, self.len as i32
            );
        } else if let Some(&(_, len, top)) = self.siblings.iter().find(|s| s.0 == next) {
            // A block translated with this one (same page, code version and mode, and the same
            // guest registers in the same host registers, dirty or not alike): entered, as by
            // the dispatcher, when its length in cycles is left.
            // With `g = self.len - executed` cycles to give back, enough are left when
            // `r15 + g >= len`: `r15 - (len - g)` is then what is left after that block.
            let need = len as i64 - (self.len - executed) as i64;
            if need <= 0 {
                dynasm!(self.a ; .arch x64 ; sub r15, need as i32 ; jmp =>top);
            } else {
                dynasm!(self.a
                    ; .arch x64
                    ; sub r15, need as i32
                    ; jae =>top
                    ; add r15, len as i32
                );
            }
        } else {
            self.give_back(executed);
        }
        self.flush(self.dirty);
        if self.links_used < self.links.len() {
            let link = &self.links[self.links_used];
            self.links_used += 1;
            let out = self.a.new_dynamic_label();
            self.follow(link, None, Some(next & !0xfff == self.start & !0xfff), out);
            dynasm!(self.a ; .arch x64 ; =>out ; mov [r12 + off::LINK], rax);
        }
        let exit = self.exit;
        dynasm!(self.a
            ; .arch x64
            ; mov DWORD [r12 + off::NEXT_PC], next as i32
            ; mov [r12 + off::REMAINING], r15
            ; mov eax, EXIT_NEXT as i32
            ; jmp =>exit
        );
    }

    /// Emits the test of `link` (leaving its address in `rax`): jumps into the linked block if
    /// the link is filled in, its block fits in the cycles left (`r15`), the target is the
    /// link's (`target`: a register holding a computed one) and, for another page, the frame's
    /// code is unchanged and (with paging) the TLB still holds the entry the fetch hit;
    /// otherwise goes to `out`. `same_page` is whether the target is in this page, when known
    /// at translation (then the link's `cross` flag, which the dispatcher sets to match, is
    /// not tested).
    fn follow(&mut self, link: &Link, target: Option<()>, same_page: Option<bool>, out: DynamicLabel) {
        let go = self.a.new_dynamic_label();
        dynasm!(self.a
            ; .arch x64
            ; mov rax, QWORD link as *const Link as usize as i64
            ; mov rcx, [rax + link_off::CODE]
            ; test rcx, rcx
            ; jz =>out
        );
        if target.is_some() {
            dynasm!(self.a ; .arch x64 ; cmp edx, [rax + link_off::PC] ; jne =>out);
        }
        dynasm!(self.a ; .arch x64 ; cmp r15, [rax + link_off::LEN] ; jb =>out);
        match same_page {
            Some(true) => {
                dynasm!(self.a ; .arch x64 ; jmp rcx);
                return;
            }
            Some(false) => {}
            None => dynasm!(self.a ; .arch x64 ; cmp DWORD [rax + link_off::CROSS], 0 ; je =>go),
        }
        dynasm!(self.a
            ; .arch x64
            ; mov r8, [rax + link_off::VERSION_PTR]
            ; mov r9d, [r8]
            ; cmp r9d, [rax + link_off::VERSION]
            ; jne =>out
        );
        if self.paging {
            dynasm!(self.a
                ; .arch x64
                ; mov r8, [rax + link_off::TLB_OFF]
                ; mov r9d, [r14 + r8 + TLB_TAG]
                ; cmp r9d, [rax + link_off::TAG]
                ; jne =>out
                ; mov r9d, [r14 + r8 + TLB_PPN]
                ; cmp r9d, [rax + link_off::PPN]
                ; jne =>out
                ; mov r9d, [r14 + r8 + TLB_FLAGS]
                ; cmp r9d, [rax + link_off::FLAGS]
                ; jne =>out
                ; add rbp, 1
            );
        }
        dynasm!(self.a
            ; .arch x64
            ; mov r9, [rax + link_off::FRAME]
            ; mov [r12 + off::CUR_FRAME], r9
            ; mov r9d, [rax + link_off::PC]
            ; and r9d, -4096
            ; mov [r12 + off::CUR_BASE], r9d
            ; =>go
            ; jmp rcx
        );
    }

    /// Emits the exit of instruction `index` (at `here`) trapping, the trap already recorded.
    fn trapped(&mut self, here: u32, index: usize) {
        self.give_back(index + 1);
        let exit = self.exit;
        dynasm!(self.a
            ; .arch x64
            ; mov DWORD [r12 + off::TRAP_EPC], here as i32
            ; mov [r12 + off::REMAINING], r15
            ; mov eax, EXIT_TRAP as i32
            ; jmp =>exit
        );
    }

    /// Emits the exit of instruction `index` (at `here`) raising `cause` with `badaddr`.
    fn trap_exit(&mut self, cause: Exception, badaddr: u32, here: u32, index: usize) {
        self.flush(self.dirty);
        dynasm!(self.a
            ; .arch x64
            ; mov DWORD [r12 + off::TRAP_CAUSE], cause as i32
            ; mov DWORD [r12 + off::TRAP_BADADDR], badaddr as i32
        );
        self.trapped(here, index);
    }
}

/// How many links the `len` instructions of `block` need: one per exit through which
/// execution may go on (the taken path of each branch, and the block's end: two for `jalr`).
pub fn links_needed(block: &Block, len: usize) -> usize {
    let ops = &block.ops[block.start..block.start + len];
    let jalr = ops.last().is_some_and(|op| op.kind == Kind::Jalr);
    ops.iter().filter(|op| is_branch(op.kind)).count() + 1 + usize::from(jalr)
}

/// Where in the same page the `len` instructions of `block` may lead: the targets of its
/// branches and of a final `jal`, the instruction after a final `jal` or `jalr` (where a call
/// returns), and the next instruction when the block stops before the end of its code.
pub fn successors(block: &Block, len: usize) -> Vec<u32> {
    let ops = &block.ops[block.start..block.start + len];
    let at = |i: usize| block.base | ((block.start + i) as u32) << 2;
    let mut next = Vec::new();
    for (i, op) in ops.iter().enumerate() {
        if is_branch(op.kind) || op.kind == Kind::Jal {
            next.push(at(i).wrapping_add(op.imm));
        }
    }
    if block.start + len < 1024 {
        next.push(at(len));
    }
    next.retain(|pc| pc & 3 == 0 && pc & !0xfff == block.base);
    next
}

/// Translates the blocks of one page in `parts` into one piece of host code, a function per
/// block. They keep the same guest registers in host registers (the most used over all of
/// them), so an exit from one to another whose length in cycles is left jumps straight to
/// its body, without writing registers back, reloading them, or going through a link.
pub fn translate(parts: &[Part], mode: Mode) -> Result<Code, DynasmError> {
    let mut a = VecAssembler::new(0);
    let exit = a.new_dynamic_label();
    let siblings: Vec<(u32, usize, DynamicLabel)> = parts
        .iter()
        .map(|p| (p.block.base | (p.block.start as u32) << 2, p.len, a.new_dynamic_label()))
        .collect();
    // A block that loops on itself is likely where the time goes: its registers count more.
    let weighted: Vec<(Op, u32)> = parts
        .iter()
        .zip(&siblings)
        .flat_map(|(p, &(start, _, _))| {
            let ops = &p.block.ops[p.block.start..p.block.start + p.len];
            let weight = if successors(&p.block, p.len).contains(&start) { LOOP_WEIGHT } else { 1 };
            ops.iter().map(move |op| (*op, weight))
        })
        .collect();
    let cached = choose_cached(&weighted, cache_regs(mode));
    let ops: Vec<Op> = weighted.iter().map(|(op, _)| *op).collect();
    // What any of the blocks writes may be newer than memory from the start of each (a loop on
    // itself, or a jump from another, comes in without writing back).
    let dirty = written(&ops, &cached);
    let mut blocks = Vec::with_capacity(parts.len());
    for (part, &(_, _, top)) in parts.iter().zip(&siblings) {
        let entry = a.offset().0;
        let chain = emit_block(&mut a, part, mode, cached, dirty, exit, top, &siblings)?;
        blocks.push((entry, chain, a.offset().0));
    }
    dynasm!(a ; .arch x64 ; =>exit);
    if mode.paging {
        // The TLB hit count, kept in `rbp` while translated code runs, back in the TLB.
        dynasm!(a ; .arch x64 ; mov rcx, [r12 + off::HITS] ; mov [rcx], rbp);
    }
    dynasm!(a
        ; .arch x64
        ; add rsp, 8
        ; pop r15
        ; pop r14
        ; pop r13
        ; pop r12
        ; pop rbp
        ; pop rbx
        ; ret
    );
    Ok(Code { bytes: a.finalize()?, blocks })
}

/// Emits the function of one block of a batch (see [`translate`]); returns where its chain
/// entry is. (dynasm's dynamic registers, `Rd(n)`, convert their number with `.into()`.)
#[allow(clippy::too_many_arguments, clippy::useless_conversion)]
fn emit_block(
    a: &mut VecAssembler<X64Relocation>,
    part: &Part,
    mode: Mode,
    cached: [Option<u8>; 64],
    dirty: u64,
    exit: DynamicLabel,
    top: DynamicLabel,
    siblings: &[(u32, usize, DynamicLabel)],
) -> Result<usize, DynasmError> {
    let (block, len, links) = (&part.block, part.len, part.links);
    let start = block.base | (block.start as u32) << 2;
    let (mut kept, mut kept_len) = ([(0, 0); CACHE_REGS.len()], 0);
    for (r, host) in (0..64u8).filter_map(|r| cached[r as usize].map(|host| (r, host))) {
        kept[kept_len] = (r, host);
        kept_len += 1;
    }
    let mut e = Emitter {
        a,
        exit,
        siblings,
        len,
        links,
        links_used: 0,
        paging: mode.paging,
        start,
        top,
        cached,
        kept,
        kept_len,
        dirty: 0,
        eax: None,
    };
    let mut slow = Vec::new();
    dynasm!(e.a
        ; .arch x64
        ; push rbx
        ; push rbp
        ; push r12
        ; push r13
        ; push r14
        ; push r15
        ; sub rsp, 8
        ; mov r12, rdi
        ; mov rbx, [rdi + off::REGS]
        ; mov r13, [rdi + off::RAM]
    );
    if mode.paging {
        dynasm!(e.a ; .arch x64 ; mov r14, [rdi + off::TLB] ; mov rax, [rdi + off::HITS] ; mov rbp, [rax]);
    } else {
        dynasm!(e.a ; .arch x64 ; mov rbp, [rdi + off::CODE_MAP]);
    }
    dynasm!(e.a
        ; .arch x64
        ; mov r15, [rdi + off::REMAINING]
    );
    let chain_offset = e.a.offset().0;
    dynasm!(e.a ; .arch x64 ; sub r15, len as i32);
    e.reload();
    dynasm!(e.a ; .arch x64 ; =>top);
    e.dirty = dirty;
    let mut ended = false;
    for i in 0..len {
        let op = block.ops[block.start + i];
        let here = block.base | ((block.start + i) as u32) << 2;
        let (rs1, rs2, imm) = (reg(op.rs1), reg(op.rs2), op.imm as i32);
        macro_rules! alu_imm {
            ($($t:tt)*) => {{
                e.get(0, op.rs1);
                dynasm!(e.a ; .arch x64 $($t)*);
                e.set(op.rd, 0);
            }};
        }
        macro_rules! alu {
            ($($t:tt)*) => {{
                // `ecx` first: `eax` may already hold either operand.
                e.get(1, op.rs2);
                e.get(0, op.rs1);
                dynasm!(e.a ; .arch x64 $($t)*);
                e.set(op.rd, 0);
            }};
        }
        macro_rules! call2 {
            ($f:expr) => {{
                e.flush(e.dirty);
                dynasm!(e.a
                    ; .arch x64
                    ; mov edi, [rbx + rs1]
                    ; mov esi, [rbx + rs2]
                    ; mov rax, QWORD $f as usize as i64
                    ; call rax
                );
                e.reload();
                e.set(op.rd, 0);
            }};
        }
        if matches!(op.kind, Kind::Addi | Kind::Ori | Kind::Xori) && op.rs1 == 0 {
            // `li`: `r0` reads as 0.
            e.set_imm(op.rd, op.imm);
            continue;
        }
        if e.direct(op) {
            continue;
        }
        match op.kind {
            Kind::Lui => e.set_imm(op.rd, op.imm),
            Kind::Auipc => e.set_imm(op.rd, here.wrapping_add(op.imm)),
            Kind::Addi if imm == 0 => {
                e.get(0, op.rs1);
                e.set(op.rd, 0);
            }
            Kind::Addi => alu_imm!(; add eax, imm),
            Kind::Slti => alu_imm!(; cmp eax, imm ; setl al ; movzx eax, al),
            Kind::Sltiu => alu_imm!(; cmp eax, imm ; setb al ; movzx eax, al),
            Kind::Xori => alu_imm!(; xor eax, imm),
            Kind::Ori => alu_imm!(; or eax, imm),
            Kind::Andi => alu_imm!(; and eax, imm),
            Kind::Slli => alu_imm!(; shl eax, (imm & 31) as i8),
            Kind::Srli => alu_imm!(; shr eax, (imm & 31) as i8),
            Kind::Srai => alu_imm!(; sar eax, (imm & 31) as i8),
            Kind::Add => alu!(; add eax, ecx),
            Kind::Sub => alu!(; sub eax, ecx),
            Kind::Sll => alu!(; shl eax, cl),
            Kind::Slt => alu!(; cmp eax, ecx ; setl al ; movzx eax, al),
            Kind::Sltu => alu!(; cmp eax, ecx ; setb al ; movzx eax, al),
            Kind::Xor => alu!(; xor eax, ecx),
            Kind::Srl => alu!(; shr eax, cl),
            Kind::Sra => alu!(; sar eax, cl),
            Kind::Or => alu!(; or eax, ecx),
            Kind::And => alu!(; and eax, ecx),
            Kind::Mul => alu!(; imul eax, ecx),
            Kind::Mulh => alu!(; movsxd rax, eax ; movsxd rcx, ecx ; imul rax, rcx ; shr rax, 32),
            Kind::Mulhsu => alu!(; movsxd rax, eax ; imul rax, rcx ; shr rax, 32),
            Kind::Mulhu => alu!(; imul rax, rcx ; shr rax, 32),
            Kind::Div => call2!(helpers::div as extern "sysv64" fn(u32, u32) -> u32),
            Kind::Divu => call2!(helpers::divu as extern "sysv64" fn(u32, u32) -> u32),
            Kind::Rem => call2!(helpers::rem as extern "sysv64" fn(u32, u32) -> u32),
            Kind::Remu => call2!(helpers::remu as extern "sysv64" fn(u32, u32) -> u32),
            Kind::Lb | Kind::Lh | Kind::Lw | Kind::Lbu | Kind::Lhu => {
                let size = match op.kind {
                    Kind::Lb | Kind::Lbu => 1,
                    Kind::Lh | Kind::Lhu => 2,
                    _ => 4,
                };
                let (at, resume) = (e.a.new_dynamic_label(), e.a.new_dynamic_label());
                e.access_address(mode.paging, op.rs1, imm);
                fast_path(e.a, mode, size, false, at);
                // Straight into the destination's host register if it has one (the slow path
                // puts it there too), else through `eax`.
                let dest = e.cached[op.rd as usize & 63];
                let d = dest.unwrap_or(0);
                match op.kind {
                    Kind::Lb => dynasm!(e.a ; .arch x64 ; movsx Rd(d), BYTE [r13 + rdx]),
                    Kind::Lbu => dynasm!(e.a ; .arch x64 ; movzx Rd(d), BYTE [r13 + rdx]),
                    Kind::Lh => dynasm!(e.a ; .arch x64 ; movsx Rd(d), WORD [r13 + rdx]),
                    Kind::Lhu => dynasm!(e.a ; .arch x64 ; movzx Rd(d), WORD [r13 + rdx]),
                    _ => dynasm!(e.a ; .arch x64 ; mov Rd(d), [r13 + rdx]),
                }
                dynasm!(e.a ; .arch x64 ; =>resume);
                let signed = matches!(op.kind, Kind::Lb | Kind::Lh);
                slow.push(Slow::Load { at, resume, index: i, size, signed, dest, dirty: e.dirty });
                match dest {
                    Some(_) => e.dirty |= 1 << (op.rd & 63),
                    None => e.set(op.rd, 0),
                }
            }
            Kind::Sb | Kind::Sh | Kind::Sw => {
                let size = match op.kind {
                    Kind::Sb => 1,
                    Kind::Sh => 2,
                    _ => 4,
                };
                let (at, resume) = (e.a.new_dynamic_label(), e.a.new_dynamic_label());
                e.access_address(mode.paging, op.rs1, imm);
                fast_path(e.a, mode, size, true, at);
                e.get(1, op.rs2);
                match size {
                    1 => dynasm!(e.a ; .arch x64 ; mov [r13 + rdx], cl),
                    2 => dynasm!(e.a ; .arch x64 ; mov [r13 + rdx], cx),
                    _ => dynasm!(e.a ; .arch x64 ; mov [r13 + rdx], ecx),
                }
                dynasm!(e.a ; .arch x64 ; =>resume);
                slow.push(Slow::Store { at, resume, index: i, size, rs2: op.rs2, dirty: e.dirty });
            }
            Kind::Jal => {
                let target = here.wrapping_add(op.imm);
                if target & 3 != 0 {
                    e.trap_exit(Exception::FetchMisaligned, target, here, i);
                } else {
                    e.set_imm(op.rd, here.wrapping_add(4));
                    e.next_exit(target, i + 1);
                }
                ended = true;
            }
            Kind::Jalr => {
                let (misaligned, out) = (e.a.new_dynamic_label(), e.a.new_dynamic_label());
                e.get(0, op.rs1);
                dynasm!(e.a
                    ; .arch x64
                    ; add eax, imm
                    ; and eax, -2
                    ; test al, 3
                    ; jnz =>misaligned
                    ; mov edx, eax
                );
                let before = e.dirty;
                e.set_imm(op.rd, here.wrapping_add(4));
                e.give_back(i + 1);
                e.flush(e.dirty);
                // Two cached targets (a return serves two call sites); the dispatcher fills
                // the first link while it is empty, then the second.
                let pair = (links.get(e.links_used), links.get(e.links_used + 1));
                e.links_used += 2;
                match pair {
                    (Some(first), Some(second)) => {
                        let (other, missed) = (e.a.new_dynamic_label(), e.a.new_dynamic_label());
                        e.follow(first, Some(()), None, other);
                        dynasm!(e.a ; .arch x64 ; =>other);
                        e.follow(second, Some(()), None, missed);
                        dynasm!(e.a
                            ; .arch x64
                            ; =>missed
                            ; mov rcx, QWORD first as *const Link as usize as i64
                            ; cmp QWORD [rcx + link_off::CODE], 0
                            ; jne =>out
                            ; mov rax, rcx
                        );
                    }
                    _ => dynasm!(e.a ; .arch x64 ; xor eax, eax),
                }
                dynasm!(e.a
                    ; .arch x64
                    ; =>out
                    ; mov [r12 + off::LINK], rax
                    ; mov [r12 + off::NEXT_PC], edx
                    ; mov [r12 + off::REMAINING], r15
                    ; mov eax, EXIT_NEXT as i32
                    ; jmp =>exit
                    ; =>misaligned
                    ; mov [r12 + off::TRAP_BADADDR], eax
                    ; mov DWORD [r12 + off::TRAP_CAUSE], Exception::FetchMisaligned as i32
                );
                e.flush(before);
                e.trapped(here, i);
                ended = true;
            }
            Kind::Beq | Kind::Bne | Kind::Blt | Kind::Bge | Kind::Bltu | Kind::Bgeu
                if i + 1 < len && here.wrapping_add(op.imm) > here =>
            {
                // A forward side exit, likely not taken (a loop's test jumps back; an `if`
                // jumps ahead): the taken path is out of line, so the block runs straight on.
                let at = e.a.new_dynamic_label();
                e.compare(op.rs1, op.rs2);
                match op.kind {
                    Kind::Beq => dynasm!(e.a ; .arch x64 ; je =>at),
                    Kind::Bne => dynasm!(e.a ; .arch x64 ; jne =>at),
                    Kind::Blt => dynasm!(e.a ; .arch x64 ; jl =>at),
                    Kind::Bge => dynasm!(e.a ; .arch x64 ; jge =>at),
                    Kind::Bltu => dynasm!(e.a ; .arch x64 ; jb =>at),
                    _ => dynasm!(e.a ; .arch x64 ; jae =>at),
                }
                slow.push(Slow::Exit { at, index: i, target: here.wrapping_add(op.imm), dirty: e.dirty });
            }
            Kind::Beq | Kind::Bne | Kind::Blt | Kind::Bge | Kind::Bltu | Kind::Bgeu if i + 1 < len => {
                // A backward side exit (a loop's test, likely taken): taken, leave or go
                // round again; not taken, go on with the block.
                let not_taken = e.a.new_dynamic_label();
                e.compare(op.rs1, op.rs2);
                match op.kind {
                    Kind::Beq => dynasm!(e.a ; .arch x64 ; jne =>not_taken),
                    Kind::Bne => dynasm!(e.a ; .arch x64 ; je =>not_taken),
                    Kind::Blt => dynasm!(e.a ; .arch x64 ; jge =>not_taken),
                    Kind::Bge => dynasm!(e.a ; .arch x64 ; jl =>not_taken),
                    Kind::Bltu => dynasm!(e.a ; .arch x64 ; jae =>not_taken),
                    _ => dynasm!(e.a ; .arch x64 ; jb =>not_taken),
                }
                let target = here.wrapping_add(op.imm);
                if target & 3 != 0 {
                    e.trap_exit(Exception::FetchMisaligned, target, here, i);
                } else {
                    e.next_exit(target, i + 1);
                }
                dynasm!(e.a ; .arch x64 ; =>not_taken);
            }
            Kind::Beq | Kind::Bne | Kind::Blt | Kind::Bge | Kind::Bltu | Kind::Bgeu => {
                let taken = e.a.new_dynamic_label();
                e.compare(op.rs1, op.rs2);
                match op.kind {
                    Kind::Beq => dynasm!(e.a ; .arch x64 ; je =>taken),
                    Kind::Bne => dynasm!(e.a ; .arch x64 ; jne =>taken),
                    Kind::Blt => dynasm!(e.a ; .arch x64 ; jl =>taken),
                    Kind::Bge => dynasm!(e.a ; .arch x64 ; jge =>taken),
                    Kind::Bltu => dynasm!(e.a ; .arch x64 ; jb =>taken),
                    _ => dynasm!(e.a ; .arch x64 ; jae =>taken),
                }
                e.next_exit(here.wrapping_add(4), i + 1);
                dynasm!(e.a ; .arch x64 ; =>taken);
                let target = here.wrapping_add(op.imm);
                if target & 3 != 0 {
                    e.trap_exit(Exception::FetchMisaligned, target, here, i);
                } else {
                    e.next_exit(target, i + 1);
                }
                ended = true;
            }
            Kind::Undecoded | Kind::PageEnd | Kind::Illegal | Kind::System => {
                unreachable!("Block::count stops before special instructions")
            }
        }
    }
    if !ended {
        // `+`, not `|`: after the page's last slot this is the next page.
        let next = block.base.wrapping_add(((block.start + len) as u32) << 2);
        e.next_exit(next, len);
    }
    e.eax = None;
    for path in slow {
        match path {
            Slow::Load { at, resume, index, size, signed, dest, dirty } => {
                let trapped = e.a.new_dynamic_label();
                let left = (len - index - 1) as i32;
                dynasm!(e.a ; .arch x64 ; =>at);
                if !e.paging {
                    e.rom_load(size, signed, dest, resume);
                }
                e.address_back();
                e.flush(dirty);
                e.hits_out();
                dynasm!(e.a
                    ; .arch x64
                    ; mov rdi, r12
                    ; mov esi, eax
                    ; mov edx, size as i32
                    ; lea rcx, [r15 + left]
                    ; mov rax, QWORD helpers::load as extern "sysv64" fn(_, _, _, _) -> _ as usize as i64
                    ; call rax
                );
                e.hits_in();
                dynasm!(e.a
                    ; .arch x64
                    ; bt rax, 32
                    ; jc =>trapped
                );
                match (signed, size) {
                    (true, 1) => dynasm!(e.a ; .arch x64 ; movsx eax, al),
                    (true, _) => dynasm!(e.a ; .arch x64 ; movsx eax, ax),
                    _ => {}
                }
                e.reload();
                if let Some(host) = dest {
                    dynasm!(e.a ; .arch x64 ; mov Rd(host), eax);
                }
                dynasm!(e.a ; .arch x64 ; jmp =>resume ; =>trapped);
                let here = block.base | ((block.start + index) as u32) << 2;
                e.trapped(here, index);
            }
            Slow::Exit { at, index, target, dirty } => {
                dynasm!(e.a ; .arch x64 ; =>at);
                e.dirty = dirty;
                let here = block.base | ((block.start + index) as u32) << 2;
                if target & 3 != 0 {
                    e.trap_exit(Exception::FetchMisaligned, target, here, index);
                } else {
                    e.next_exit(target, index + 1);
                }
            }
            Slow::Store { at, resume, index, size, rs2, dirty } => {
                let (left_block, trapped, next) =
                    (e.a.new_dynamic_label(), e.a.new_dynamic_label(), e.a.new_dynamic_label());
                let left = (len - index - 1) as i32;
                let here = block.base | ((block.start + index) as u32) << 2;
                dynasm!(e.a ; .arch x64 ; =>at);
                e.address_back();
                e.flush(dirty);
                e.hits_out();
                dynasm!(e.a
                    ; .arch x64
                    ; mov rdi, r12
                    ; mov esi, eax
                    ; mov edx, size as i32
                    ; mov ecx, [rbx + reg(rs2)]
                    ; lea r8, [r15 + left]
                    ; mov rax, QWORD helpers::store as extern "sysv64" fn(_, _, _, _, _) -> _ as usize as i64
                    ; call rax
                );
                e.hits_in();
                dynasm!(e.a
                    ; .arch x64
                    ; test eax, eax
                    ; jz =>next
                    ; =>left_block
                    ; cmp eax, EXIT_TRAP as i32
                    ; je =>trapped
                    ; add r15, left
                    ; mov [r12 + off::REMAINING], r15
                    ; mov DWORD [r12 + off::NEXT_PC], here.wrapping_add(4) as i32
                    ; jmp =>exit
                    ; =>trapped
                );
                e.trapped(here, index);
                dynasm!(e.a ; .arch x64 ; =>next);
                e.reload();
                dynasm!(e.a ; .arch x64 ; jmp =>resume);
            }
        }
    }
    Ok(chain_offset)
}

/// Emits the inline test of an access of `size` at the address in `eax` (with paging) or
/// `edx` (without: the address minus RAM_BASE, see [`Emitter::access_address`]): falls through
/// with the RAM offset in `rdx` when the fast path allows it, else jumps to `slow` (with `eax`,
/// or without paging `edx`, intact).
#[allow(clippy::useless_conversion)] // dynasm's `Rd(n)` converts its number with `.into()`.
fn fast_path(a: &mut VecAssembler<X64Relocation>, mode: Mode, size: u32, store: bool, slow: DynamicLabel) {
    // Without paging the address comes as its offset from RAM's start, RAM_BASE being
    // page-aligned: the same alignment.
    let addr = if mode.paging { 0 } else { 2 };
    if size > 1 {
        dynasm!(a ; .arch x64 ; test Rd(addr), (size - 1) as i32 ; jnz =>slow);
    }
    if mode.paging {
        // The entry's tag for this kind of access (its VPN when the access may take the
        // fast path, else one no VPN equals), then the RAM offset as `va + addend`.
        let bit = if store { mode.store_bit } else { mode.load_bit };
        if !bit.is_power_of_two() || bit.trailing_zeros() >= 4 {
            // No single fast bit (no mode gives none, but never read past the tags).
            dynasm!(a ; .arch x64 ; jmp =>slow);
            return;
        }
        let tag = TLB_FAST_TAGS + 4 * bit.trailing_zeros() as i32;
        dynasm!(a
            ; .arch x64
            ; mov edx, eax
            ; shr edx, PAGE_SHIFT as i8
            ; movzx ecx, dl
            ; lea ecx, [rcx + rcx * 4]
            ; cmp [r14 + rcx * 8 + tag], edx
            ; jne =>slow
            ; mov edx, [r14 + rcx * 8 + TLB_ADDEND]
            ; add edx, eax
            ; add rbp, 1
        );
    } else {
        // `va - RAM_BASE` (computed as `va + RAM_BASE`, the same modulo 2^32 for RAM_BASE =
        // 2^31) wraps for addresses below RAM to at least `2^32 - RAM_BASE`, more than any RAM
        // size, so one unsigned compare checks both ends.
        const _: () = assert!(RAM_BASE == 1 << 31);
        let Some(last) = mode.ram_len.checked_sub(size) else {
            dynasm!(a ; .arch x64 ; jmp =>slow);
            return;
        };
        dynasm!(a
            ; .arch x64
            ; cmp edx, last as i32
            ; ja =>slow
        );
        if store {
            dynasm!(a
                ; .arch x64
                ; mov ecx, edx
                ; shr ecx, PAGE_SHIFT as i8
                ; cmp BYTE [rbp + rcx], 0
                ; jne =>slow
            );
        }
    }
}
