//! The ox32 processor of one node: registers, control registers, traps and memory access.
//!
//! The hot loop lives in [`exec`]; this file holds the state it works on and everything off the
//! fast path: trap entry, control registers, the slow paths of loads and stores (TLB miss, page
//! walk, devices), and the rarely executed instructions (atomics, control-register access,
//! fences, `eret`, `wait`, `tlbflush`). Nothing a guest does can panic here: every failure is a
//! [`Trap`] delivered to the guest.

pub mod exec;
pub mod op;

use std::collections::{BTreeMap, VecDeque};

use ox32::cr::{self, Status};
use ox32::pte::{PteFlags, PAGE_SHIFT};
use ox32::trap::{Exception, INTERRUPT_BIT};
use ox32::{CrOp, Instruction, Reg};

use crate::bus::{Bus, BusFault, Written};
use crate::mmu::{self, fast, Access, Tlb};
use crate::time::{Clock, Time};

/// A trap about to be taken: the `cause` value and the `badaddr` value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Trap {
    /// The value for `cause`.
    pub cause: u32,
    /// The value for `badaddr`.
    pub badaddr: u32,
}

impl Trap {
    /// An exception with its bad address.
    pub fn new(exception: Exception, badaddr: u32) -> Trap {
        Trap { cause: exception as u32, badaddr }
    }
}

/// A trap that was taken, kept for the monitor's history.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TrapRecord {
    /// The cycle at which it was taken.
    pub cycle: u64,
    /// `cause`.
    pub cause: u32,
    /// `epc`.
    pub epc: u32,
    /// `badaddr`.
    pub badaddr: u32,
}

/// How many taken traps the history keeps.
pub const TRAP_HISTORY: usize = 64;

/// The control registers that hold state (the counters are derived).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ControlRegs {
    /// `status`.
    pub status: Status,
    /// `tvec`.
    pub tvec: u32,
    /// `epc`.
    pub epc: u32,
    /// `cause`.
    pub cause: u32,
    /// `badaddr`.
    pub badaddr: u32,
    /// `scratch0`.
    pub scratch0: u32,
    /// `scratch1`.
    pub scratch1: u32,
    /// `ptbr`.
    pub ptbr: u32,
}

/// One processor.
pub struct Cpu {
    /// General registers; index 32 absorbs writes to `r0`, the rest pad the array so that
    /// indexing with a 6-bit mask needs no bounds check.
    pub regs: [u32; 64],
    /// The program counter.
    pub pc: u32,
    /// Control registers.
    pub cr: ControlRegs,
    /// The node's index (the `nodeid` control register).
    pub node_id: u32,
    /// The node's RAM size (the `ramsize` control register).
    pub ram_size: u32,
    /// The TLB.
    pub tlb: Tlb,
    /// Instructions retired.
    pub instret: u64,
    /// Virtual cycles elapsed (instructions plus cycles spent waiting).
    pub cycles: u64,
    /// Converts cycles to virtual time.
    pub clock: Clock,
    /// The last traps taken, oldest first.
    pub traps: VecDeque<TrapRecord>,
    /// The root frame last written to `ptbr` with each ASID (with paging on), so the monitor
    /// can show the page table of any address space the kernel has used.
    pub asid_roots: BTreeMap<u16, u32>,
    /// The address reserved by `lr.w`.
    reservation: Option<u32>,
    /// Bookkeeping of the slice being run, so slow paths can tell the exact time.
    pub(crate) slice: SliceClock,
    /// Cached from `ptbr`: paging is on.
    paging: bool,
    /// Cached from `ptbr`: the current ASID.
    asid: u16,
    /// Fast-path bits for loads and stores in the current mode.
    load_bit: u8,
    store_bit: u8,
}

impl Cpu {
    /// A processor in its reset state, starting at `pc`.
    pub fn new(node_id: u32, pc: u32, clock: Clock) -> Cpu {
        let mut cpu = Cpu {
            regs: [0; 64],
            pc,
            cr: ControlRegs { status: Status::KM, ..ControlRegs::default() },
            node_id,
            ram_size: 0,
            tlb: Tlb::default(),
            instret: 0,
            cycles: 0,
            clock,
            traps: VecDeque::with_capacity(TRAP_HISTORY),
            asid_roots: BTreeMap::new(),
            reservation: None,
            slice: SliceClock::default(),
            paging: false,
            asid: 0,
            load_bit: 0,
            store_bit: 0,
        };
        cpu.mode_changed();
        cpu
    }

    /// Register `r` (`r0` reads 0).
    pub fn reg(&self, r: Reg) -> u32 {
        self.regs[r.index()]
    }

    /// Sets register `r` (writes to `r0` are ignored).
    pub fn set_reg(&mut self, r: Reg, value: u32) {
        if r != Reg::ZERO {
            self.regs[r.index()] = value;
        }
    }

    /// Whether the processor is in kernel mode.
    pub fn kernel(&self) -> bool {
        self.cr.status.contains(Status::KM)
    }

    /// Whether paging is on.
    pub fn paging(&self) -> bool {
        self.paging
    }

    /// The current ASID.
    pub fn asid(&self) -> u16 {
        self.asid
    }

    /// The fast-path bits ([`fast`]) of a load and of a store in the current mode.
    pub(crate) fn fast_bits(&self) -> (u8, u8) {
        (self.load_bit, self.store_bit)
    }

    /// The current virtual time.
    pub fn now(&self) -> Time {
        self.clock.time_of(self.cycles)
    }

    /// Brings `cycles` and `instret` up to date in the middle of a slice, with `remaining`
    /// cycles left after the current instruction (which has not retired yet).
    #[inline(never)]
    pub(crate) fn sync_clock(&mut self, remaining: u64) {
        self.clock_at(remaining);
    }

    /// [`Cpu::sync_clock`], inlined.
    #[inline(always)]
    fn clock_at(&mut self, remaining: u64) {
        let done = self.slice.budget - remaining - 1;
        self.cycles = self.slice.cycles0 + done;
        self.instret = self.slice.instret0 + done - self.slice.traps;
    }

    fn mode_changed(&mut self) {
        (self.load_bit, self.store_bit) =
            if self.kernel() { (fast::KR, fast::KW) } else { (fast::UR, fast::UW) };
    }

    /// Takes a trap: saves the state, enters kernel mode and jumps to `tvec`.
    pub fn enter_trap(&mut self, trap: Trap, epc: u32) {
        let status = self.cr.status;
        let mut next = Status::KM;
        next.set(Status::PIE, status.contains(Status::IE));
        next.set(Status::PKM, status.contains(Status::KM));
        self.cr.status = next;
        self.cr.epc = epc;
        self.cr.cause = trap.cause;
        self.cr.badaddr = trap.badaddr;
        self.reservation = None;
        self.pc = self.cr.tvec & !3;
        self.mode_changed();
        if self.traps.len() == TRAP_HISTORY {
            self.traps.pop_front();
        }
        self.traps.push_back(TrapRecord {
            cycle: self.cycles,
            cause: trap.cause,
            epc,
            badaddr: trap.badaddr,
        });
        log::debug!(
            target: "orrery::trap",
            "node {} trap {} epc={epc:#010x} badaddr={:#010x} -> {:#010x}",
            self.node_id,
            ox32::trap::describe_cause(trap.cause),
            trap.badaddr,
            self.pc
        );
    }

    /// Takes interrupt `line` if interrupts are enabled; returns whether it was taken.
    pub fn interrupt(&mut self, line: u32) -> bool {
        if !self.cr.status.contains(Status::IE) {
            return false;
        }
        let pc = self.pc;
        self.enter_trap(Trap { cause: INTERRUPT_BIT | line, badaddr: 0 }, pc);
        true
    }

    fn eret(&mut self) {
        let status = self.cr.status;
        let mut next = Status::PIE;
        next.set(Status::IE, status.contains(Status::PIE));
        next.set(Status::KM, status.contains(Status::PKM));
        self.cr.status = next;
        self.reservation = None;
        self.pc = self.cr.epc;
        self.mode_changed();
    }

    /// Writes `ptbr` and everything derived from it.
    fn set_ptbr(&mut self, value: u32, bus: &Bus) {
        self.cr.ptbr = value & !cr::PTBR_RESERVED;
        self.paging = value & cr::PTBR_PAGING != 0;
        self.asid = ((value >> cr::PTBR_ASID_SHIFT) & cr::ASID_MASK) as u16;
        if self.paging {
            self.asid_roots.insert(self.asid, value & cr::PTBR_PPN_MASK);
        }
        self.tlb.refresh(self.asid, bus);
    }

    /// Reads control register `num`.
    pub fn read_cr(&self, num: u16, word: u32) -> Result<u32, Trap> {
        let counters = [cr::CYCLE, cr::CYCLEH, cr::TIME, cr::TIMEH];
        if !self.kernel() && !counters.contains(&num) {
            return Err(Trap::new(Exception::PrivilegedInstruction, word));
        }
        let now = self.now();
        Ok(match num {
            cr::STATUS => self.cr.status.bits(),
            cr::TVEC => self.cr.tvec,
            cr::EPC => self.cr.epc,
            cr::CAUSE => self.cr.cause,
            cr::BADADDR => self.cr.badaddr,
            cr::SCRATCH0 => self.cr.scratch0,
            cr::SCRATCH1 => self.cr.scratch1,
            cr::PTBR => self.cr.ptbr,
            cr::NODEID => self.node_id,
            cr::RAMSIZE => self.ram_size,
            cr::CYCLE => self.instret as u32,
            cr::CYCLEH => (self.instret >> 32) as u32,
            cr::TIME => now as u32,
            cr::TIMEH => (now >> 32) as u32,
            _ => return Err(Trap::new(Exception::IllegalInstruction, word)),
        })
    }

    /// Writes control register `num` (kernel mode; the read already checked privilege).
    fn write_cr(&mut self, num: u16, value: u32, word: u32, bus: &Bus) -> Result<(), Trap> {
        match num {
            cr::STATUS => {
                let keep = self.cr.status & Status::KM;
                self.cr.status = keep | (Status::from_bits_truncate(value) & cr::STATUS_WRITABLE);
            }
            cr::TVEC => self.cr.tvec = value,
            cr::EPC => self.cr.epc = value,
            cr::CAUSE => self.cr.cause = value,
            cr::BADADDR => self.cr.badaddr = value,
            cr::SCRATCH0 => self.cr.scratch0 = value,
            cr::SCRATCH1 => self.cr.scratch1 = value,
            cr::PTBR => self.set_ptbr(value, bus),
            _ => return Err(Trap::new(Exception::IllegalInstruction, word)),
        }
        Ok(())
    }

    /// Translates `va` for `access` in the current mode, walking on a TLB miss.
    #[inline]
    pub fn translate(&mut self, bus: &mut Bus, va: u32, access: Access) -> Result<u32, Trap> {
        if !self.paging {
            return Ok(va);
        }
        let kernel = self.kernel();
        if let Some(e) = self.tlb.lookup(va, self.asid).copied() {
            let dirty_ok = access != Access::Store || e.flags.contains(PteFlags::D);
            if dirty_ok && mmu::check_permission(e.flags, access, kernel).is_ok() {
                self.tlb.hits += 1;
                return Ok((e.ppn << PAGE_SHIFT) | (va & 0xfff));
            }
        }
        self.tlb.misses += 1;
        let root = self.cr.ptbr & cr::PTBR_PPN_MASK;
        // Inlined, and its result logged by value in a cold function: a result handed back
        // through memory and read back wider than it was written cannot be forwarded from the
        // store buffer, and then waits for every store before it to reach the cache (behind
        // a guest's stores that miss, the better part of a TLB miss's cost).
        let result = mmu::walk(bus, root, va, access, kernel, true).result;
        if log::log_enabled!(target: "orrery::mmu", log::Level::Trace) {
            trace_walk(self.node_id, va, access, result);
        }
        match result {
            Ok(t) => {
                self.tlb.insert(va, self.asid, &t, bus);
                Ok((t.ppn << PAGE_SHIFT) | (va & 0xfff))
            }
            Err(fault) => Err(Trap::new(fault.exception, va)),
        }
    }

    /// The RAM offset for an aligned access of `size` at `va`, if the fast path allows it:
    /// a TLB entry live under the current ASID whose fast bits include `bit` (with paging), or
    /// plain RAM (without; for a store, RAM that holds no decoded code).
    #[inline(always)]
    fn fast_offset(&mut self, bus: &Bus, va: u32, size: u32, bit: u8, store: bool) -> Option<usize> {
        if self.paging {
            let e = &self.tlb.entries[mmu::slot(va)];
            if e.tag == (va >> PAGE_SHIFT) + 1 && e.fast & bit != 0 {
                self.tlb.hits += 1;
                return Some(e.addend.wrapping_add(va) as usize);
            }
            None
        } else {
            bus.ram_offset(va, size).filter(|off| !store || !bus.is_code(off >> PAGE_SHIFT))
        }
    }

    /// Loads `size` bytes at `va`, zero-extended.
    #[inline(always)]
    pub fn load(&mut self, bus: &mut Bus, va: u32, size: u32, remaining: u64) -> Result<u32, Trap> {
        if va & (size - 1) != 0 {
            return Err(Trap::new(Exception::LoadMisaligned, va));
        }
        match self.fast_offset(bus, va, size, self.load_bit, false) {
            Some(off) => Ok(crate::bus::read_le(&bus.ram()[off..], size)),
            None => self.load_slow(bus, va, size, remaining),
        }
    }

    #[inline(never)]
    fn load_slow(&mut self, bus: &mut Bus, va: u32, size: u32, remaining: u64) -> Result<u32, Trap> {
        self.load_miss(bus, va, size, remaining)
    }

    /// What [`Cpu::load`] does once its fast path has failed (`va` aligned; with paging, no
    /// TLB entry allowing the fast path; without, not plain RAM): for translated code, whose
    /// inline fast path has already made those tests, and which calls this with the whole
    /// miss path inlined into one helper.
    #[inline(always)]
    pub(crate) fn load_miss(
        &mut self,
        bus: &mut Bus,
        va: u32,
        size: u32,
        remaining: u64,
    ) -> Result<u32, Trap> {
        self.clock_at(remaining);
        let pa = self.translate(bus, va, Access::Load)?;
        let now = self.now();
        bus.read(pa, size, now).map_err(|BusFault| Trap::new(Exception::LoadAccess, va))
    }

    /// Stores the low `size` bytes of `value` at `va`. Returns what the slow path touched.
    #[inline(always)]
    pub fn store(
        &mut self,
        bus: &mut Bus,
        va: u32,
        size: u32,
        value: u32,
        remaining: u64,
    ) -> Result<StoreEffect, Trap> {
        if va & (size - 1) != 0 {
            return Err(Trap::new(Exception::StoreMisaligned, va));
        }
        match self.fast_offset(bus, va, size, self.store_bit, true) {
            Some(off) => {
                crate::bus::write_le(&mut bus.ram_mut()[off..], size, value);
                Ok(StoreEffect::Ram)
            }
            None => self.store_slow(bus, va, size, value, remaining),
        }
    }

    #[inline(never)]
    fn store_slow(
        &mut self,
        bus: &mut Bus,
        va: u32,
        size: u32,
        value: u32,
        remaining: u64,
    ) -> Result<StoreEffect, Trap> {
        self.store_miss(bus, va, size, value, remaining)
    }

    /// What [`Cpu::store`] does once its fast path has failed: see [`Cpu::load_miss`].
    #[inline(always)]
    pub(crate) fn store_miss(
        &mut self,
        bus: &mut Bus,
        va: u32,
        size: u32,
        value: u32,
        remaining: u64,
    ) -> Result<StoreEffect, Trap> {
        self.clock_at(remaining);
        let pa = self.translate(bus, va, Access::Store)?;
        self.store_phys(bus, va, pa, size, value)
    }

    #[inline(always)]
    fn store_phys(
        &mut self,
        bus: &mut Bus,
        va: u32,
        pa: u32,
        size: u32,
        value: u32,
    ) -> Result<StoreEffect, Trap> {
        let now = self.now();
        match bus.write(pa, size, value, now) {
            Ok(Written::Ram) => Ok(StoreEffect::Ram),
            Ok(Written::Code(frame)) => Ok(StoreEffect::Code(frame)),
            Ok(Written::Register) => Ok(StoreEffect::Device),
            Ok(Written::Buffer) => Ok(StoreEffect::Buffer),
            Err(BusFault) => Err(Trap::new(Exception::StoreAccess, va)),
        }
    }

    /// Executes an instruction the hot loop leaves to this function: atomics, control
    /// registers, fences and system instructions. `pc` is the instruction's address; on return
    /// `self.pc` is the next instruction (unless a trap is returned, which the caller takes).
    pub fn execute_system(&mut self, bus: &mut Bus, word: u32, pc: u32) -> Result<SystemEffect, Trap> {
        let Ok(inst) = ox32::decode(word) else {
            return Err(Trap::new(Exception::IllegalInstruction, word));
        };
        let privileged = Trap::new(Exception::PrivilegedInstruction, word);
        self.pc = pc.wrapping_add(4);
        let mut effect = SystemEffect::None;
        match inst {
            Instruction::Lr { rd, rs1, .. } => {
                let va = self.reg(rs1);
                if va & 3 != 0 {
                    return Err(Trap::new(Exception::LoadMisaligned, va));
                }
                let pa = self.translate(bus, va, Access::Load)?;
                let now = self.now();
                let value = bus.read(pa, 4, now).map_err(|BusFault| Trap::new(Exception::LoadAccess, va))?;
                self.reservation = Some(pa);
                self.set_reg(rd, value);
            }
            Instruction::Sc { rd, rs1, rs2, .. } => {
                let va = self.reg(rs1);
                if va & 3 != 0 {
                    return Err(Trap::new(Exception::StoreMisaligned, va));
                }
                let pa = self.translate(bus, va, Access::Store)?;
                let reserved = self.reservation.take() == Some(pa);
                if reserved {
                    effect = self.store_phys(bus, va, pa, 4, self.reg(rs2))?.into();
                }
                self.set_reg(rd, u32::from(!reserved));
            }
            Instruction::Amo { op, rd, rs1, rs2, .. } => {
                let va = self.reg(rs1);
                if va & 3 != 0 {
                    return Err(Trap::new(Exception::StoreMisaligned, va));
                }
                let pa = self.translate(bus, va, Access::Store)?;
                let now = self.now();
                let old = bus.read(pa, 4, now).map_err(|BusFault| Trap::new(Exception::StoreAccess, va))?;
                let new = op.apply(old, self.reg(rs2));
                effect = self.store_phys(bus, va, pa, 4, new)?.into();
                self.set_reg(rd, old);
            }
            Instruction::Cr { op, rd, cr, src } => {
                let old = self.read_cr(cr, word)?;
                let operand = if op.is_immediate() { src as u32 } else { self.regs[src as usize] };
                let writes = matches!(op, CrOp::Rw | CrOp::Rwi) || src != 0;
                if writes {
                    if !self.kernel() {
                        return Err(privileged);
                    }
                    let new = match op {
                        CrOp::Rw | CrOp::Rwi => operand,
                        CrOp::Rs | CrOp::Rsi => old | operand,
                        CrOp::Rc | CrOp::Rci => old & !operand,
                    };
                    self.write_cr(cr, new, word, bus)?;
                    // Only these change what the run loop caches: interrupt enable and the
                    // translation of the page it executes from.
                    if matches!(cr, cr::STATUS | cr::PTBR) {
                        effect = SystemEffect::Recheck;
                    }
                }
                self.set_reg(rd, old);
            }
            Instruction::Fence { .. } => {}
            Instruction::FenceI => effect = SystemEffect::Recheck,
            Instruction::Syscall => return Err(Trap::new(Exception::Syscall, 0)),
            Instruction::Break => return Err(Trap::new(Exception::Break, 0)),
            Instruction::Eret | Instruction::Wait | Instruction::TlbFlush { .. } if !self.kernel() => {
                return Err(privileged)
            }
            Instruction::Eret => {
                self.eret();
                effect = SystemEffect::Recheck;
            }
            Instruction::Wait => effect = SystemEffect::Wait,
            Instruction::TlbFlush { rs1, rs2 } => {
                let va = (rs1 != Reg::ZERO).then(|| self.reg(rs1));
                let asid = (rs2 != Reg::ZERO).then(|| (self.reg(rs2) & cr::ASID_MASK) as u16);
                self.tlb.flush(va, asid);
                effect = SystemEffect::Recheck;
            }
            _ => return Err(Trap::new(Exception::IllegalInstruction, word)),
        }
        Ok(effect)
    }

    /// The physical frame index (in the bus's code map) holding the instruction at `pc`.
    pub fn fetch_frame(&mut self, bus: &mut Bus, pc: u32) -> Result<usize, Trap> {
        if pc & 3 != 0 {
            return Err(Trap::new(Exception::FetchMisaligned, pc));
        }
        let pa = self.translate(bus, pc, Access::Fetch)?;
        bus.frame_of(pa).ok_or(Trap::new(Exception::FetchAccess, pc))
    }
}

/// Where the current slice started, so that time can be read exactly in the middle of it.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct SliceClock {
    /// `cycles` when the slice started.
    pub cycles0: u64,
    /// `instret` when the slice started.
    pub instret0: u64,
    /// Cycles the slice may run.
    pub budget: u64,
    /// Traps taken in the slice (cycles that retired nothing).
    pub traps: u64,
}

/// What a store did besides writing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StoreEffect {
    /// Wrote plain RAM.
    Ram,
    /// Wrote a frame holding decoded code, which must be dropped.
    Code(usize),
    /// Wrote a device register (interrupt state may have changed).
    Device,
    /// Wrote a device's data buffer: nothing the run loop looks at between slices changed,
    /// so the CPU carries on as after a store to RAM.
    Buffer,
}

/// What a system instruction asks of the run loop.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SystemEffect {
    /// Nothing: carry on.
    None,
    /// State that the loop caches changed (mode, translation, interrupt enable): leave the
    /// page and look again.
    Recheck,
    /// Code was written: drop this frame's decoded instructions.
    Code(usize),
    /// `wait`: sleep until an interrupt is pending.
    Wait,
}

impl From<StoreEffect> for SystemEffect {
    fn from(effect: StoreEffect) -> SystemEffect {
        match effect {
            StoreEffect::Ram | StoreEffect::Buffer => SystemEffect::None,
            StoreEffect::Code(frame) => SystemEffect::Code(frame),
            StoreEffect::Device => SystemEffect::Recheck,
        }
    }
}

#[cfg(test)]
mod tests;

/// Logs a page walk's outcome (`RUST_LOG=orrery::mmu=trace`).
#[cold]
#[inline(never)]
fn trace_walk(node: u32, va: u32, access: Access, result: Result<mmu::Translation, mmu::WalkFault>) {
    log::trace!(target: "orrery::mmu", "node {node} walk {va:#010x} {access:?}: {result:?}");
}
