//! The interpreter's hot loop.
//!
//! Execution proceeds a page at a time: the PC is translated once when execution enters a page
//! (a TLB lookup, counted as one fetch translation), and then instructions are taken from that
//! page's pre-decoded [`Op`]s by index until control leaves the page, the cycle budget runs
//! out, or something happens that the loop does not handle itself (a trap, a system
//! instruction that changes mode or translation, a store to a device or to code). Straight-line
//! code needs no check for the end of the page: slot 1024 holds a `PageEnd` sentinel.
//!
//! Per instruction the loop does one indexed load of an 8-byte op, one `match` (a jump table),
//! and one budget test; no allocation, no dynamic dispatch, no `r0` test (writes to `r0` go to
//! a scratch register). Cycles are counted per slice, and exactly, so a budget of one steps one
//! instruction.

use ox32::pte::PAGE_SHIFT;
use ox32::trap::Exception;

use crate::bus::Bus;
use crate::cpu::op::{CodeCache, Kind, Op};
use crate::cpu::{Cpu, StoreEffect, SystemEffect, Trap};

/// Why a slice ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit {
    /// The cycle budget is spent.
    Budget,
    /// Something changed that may make an interrupt deliverable or power the node off.
    Recheck,
    /// The CPU executed `wait`.
    Wait,
}

/// Index of a register field into `Cpu::regs`, masked so indexing needs no bounds check.
#[inline(always)]
fn r(field: u8) -> usize {
    (field & 63) as usize
}

/// Runs up to `budget` cycles (at least 1) from `cpu.pc`.
pub fn run(cpu: &mut Cpu, bus: &mut Bus, code: &mut CodeCache, budget: u64) -> Exit {
    run_from(cpu, bus, code, budget, None)
}

/// Runs up to `budget` cycles (at least 1) from `cpu.pc`; with `entered`, the page of `cpu.pc`
/// is already translated to that frame (whose decoded page exists), as when the JIT hands the
/// end of a slice over without the fetch translation a new slice would make.
pub(crate) fn run_from(
    cpu: &mut Cpu,
    bus: &mut Bus,
    code: &mut CodeCache,
    budget: u64,
    entered: Option<usize>,
) -> Exit {
    run_within(cpu, bus, code, budget, &mut { entered })
}

/// [`run_from`], telling in `at` where it stopped: the frame of `cpu.pc`'s page when the
/// budget ran out inside a page it had entered (so the caller goes on without the fetch
/// translation this loop would not make either), else `None`. For the JIT, which runs code
/// that is not hot yet in the interpreter a block at a time, in the middle of its slices.
pub(crate) fn run_within(
    cpu: &mut Cpu,
    bus: &mut Bus,
    code: &mut CodeCache,
    budget: u64,
    at: &mut Option<usize>,
) -> Exit {
    let mut entered = at.take();
    cpu.slice = super::SliceClock { cycles0: cpu.cycles, instret0: cpu.instret, budget, traps: 0 };
    let mut remaining = budget;
    let mut stale_frame: Option<usize> = None;
    let exit = 'outer: loop {
        if let Some(frame) = stale_frame.take() {
            code.drop_frame(frame);
            bus.set_code(frame, false);
        }
        if remaining == 0 {
            break Exit::Budget;
        }
        let pc = cpu.pc;
        let fetched = match entered.take() {
            Some(frame) => Ok(frame),
            None => cpu.fetch_frame(bus, pc),
        };
        let frame = match fetched {
            Ok(frame) => frame,
            Err(trap) => {
                remaining -= 1;
                cpu.sync_clock(remaining);
                cpu.slice.traps += 1;
                cpu.enter_trap(trap, pc);
                continue;
            }
        };
        let (page, created) = code.page(frame);
        if created {
            bus.set_code(frame, true);
            cpu.tlb.revoke_fast_store((frame << PAGE_SHIFT) as u32);
        }
        let base = pc & !0xfff;
        let mut idx = ((pc & 0xfff) >> 2) as usize;

        // Leaves the page for `$target`, continuing in this page when it stays inside.
        macro_rules! jump {
            ($here:expr, $target:expr) => {{
                let target: u32 = $target;
                if target & 3 != 0 {
                    trap!($here, Trap::new(Exception::FetchMisaligned, target));
                }
                if target & !0xfff == base {
                    idx = ((target & 0xfff) >> 2) as usize;
                } else {
                    cpu.pc = target;
                    continue 'outer;
                }
            }};
        }
        // Takes a trap raised by the instruction at `$here`.
        macro_rules! trap {
            ($here:expr, $trap:expr) => {{
                let trap: Trap = $trap;
                cpu.sync_clock(remaining);
                cpu.slice.traps += 1;
                cpu.enter_trap(trap, $here);
                continue 'outer;
            }};
        }
        macro_rules! branch {
            ($op:expr, $cond:expr) => {{
                if $cond {
                    let here = base | (idx as u32) << 2;
                    jump!(here, here.wrapping_add($op.imm));
                } else {
                    idx += 1;
                }
            }};
        }
        macro_rules! load {
            ($op:expr, $size:expr, $v:ident => $extend:expr) => {{
                let va = cpu.regs[r($op.rs1)].wrapping_add($op.imm);
                match cpu.load(bus, va, $size, remaining) {
                    Ok($v) => {
                        cpu.regs[r($op.rd)] = $extend;
                        idx += 1;
                    }
                    Err(t) => trap!(base | (idx as u32) << 2, t),
                }
            }};
        }
        macro_rules! store {
            ($op:expr, $size:expr) => {{
                let va = cpu.regs[r($op.rs1)].wrapping_add($op.imm);
                let value = cpu.regs[r($op.rs2)];
                match cpu.store(bus, va, $size, value, remaining) {
                    Ok(StoreEffect::Ram | StoreEffect::Buffer) => idx += 1,
                    Ok(StoreEffect::Code(frame)) => {
                        cpu.pc = (base | (idx as u32) << 2).wrapping_add(4);
                        stale_frame = Some(frame);
                        continue 'outer;
                    }
                    Ok(StoreEffect::Device) => {
                        cpu.pc = (base | (idx as u32) << 2).wrapping_add(4);
                        break 'outer Exit::Recheck;
                    }
                    Err(t) => trap!(base | (idx as u32) << 2, t),
                }
            }};
        }
        macro_rules! alu {
            ($op:expr, $value:expr) => {{
                cpu.regs[r($op.rd)] = $value;
                idx += 1;
            }};
        }

        loop {
            let op = page[idx];
            if remaining == 0 {
                // `+`, not `|`: at the page-end sentinel (idx 1024) this is the next page.
                cpu.pc = base.wrapping_add((idx as u32) << 2);
                *at = (idx < 1024).then_some(frame);
                break 'outer Exit::Budget;
            }
            remaining -= 1;
            let a = cpu.regs[r(op.rs1)];
            let b = cpu.regs[r(op.rs2)];
            match op.kind {
                Kind::Undecoded => {
                    page[idx] = Op::decode(bus.fetch_word(frame, idx));
                    remaining += 1;
                }
                Kind::PageEnd => {
                    remaining += 1;
                    cpu.pc = base.wrapping_add(4096);
                    continue 'outer;
                }
                Kind::Illegal => {
                    trap!(base | (idx as u32) << 2, Trap::new(Exception::IllegalInstruction, op.imm))
                }
                Kind::Lui => alu!(op, op.imm),
                Kind::Auipc => alu!(op, (base | (idx as u32) << 2).wrapping_add(op.imm)),
                Kind::Jal => {
                    let here = base | (idx as u32) << 2;
                    let target = here.wrapping_add(op.imm);
                    if target & 3 == 0 {
                        cpu.regs[r(op.rd)] = here.wrapping_add(4);
                    }
                    jump!(here, target);
                }
                Kind::Jalr => {
                    let here = base | (idx as u32) << 2;
                    let target = a.wrapping_add(op.imm) & !1;
                    if target & 3 == 0 {
                        cpu.regs[r(op.rd)] = here.wrapping_add(4);
                    }
                    jump!(here, target);
                }
                Kind::Beq => branch!(op, a == b),
                Kind::Bne => branch!(op, a != b),
                Kind::Blt => branch!(op, (a as i32) < (b as i32)),
                Kind::Bge => branch!(op, (a as i32) >= (b as i32)),
                Kind::Bltu => branch!(op, a < b),
                Kind::Bgeu => branch!(op, a >= b),
                Kind::Lb => load!(op, 1, v => v as u8 as i8 as i32 as u32),
                Kind::Lh => load!(op, 2, v => v as u16 as i16 as i32 as u32),
                Kind::Lw => load!(op, 4, v => v),
                Kind::Lbu => load!(op, 1, v => v),
                Kind::Lhu => load!(op, 2, v => v),
                Kind::Sb => store!(op, 1),
                Kind::Sh => store!(op, 2),
                Kind::Sw => store!(op, 4),
                Kind::Addi => alu!(op, a.wrapping_add(op.imm)),
                Kind::Slti => alu!(op, ((a as i32) < (op.imm as i32)) as u32),
                Kind::Sltiu => alu!(op, (a < op.imm) as u32),
                Kind::Xori => alu!(op, a ^ op.imm),
                Kind::Ori => alu!(op, a | op.imm),
                Kind::Andi => alu!(op, a & op.imm),
                Kind::Slli => alu!(op, a << op.imm),
                Kind::Srli => alu!(op, a >> op.imm),
                Kind::Srai => alu!(op, ((a as i32) >> op.imm) as u32),
                Kind::Add => alu!(op, a.wrapping_add(b)),
                Kind::Sub => alu!(op, a.wrapping_sub(b)),
                Kind::Sll => alu!(op, a << (b & 31)),
                Kind::Slt => alu!(op, ((a as i32) < (b as i32)) as u32),
                Kind::Sltu => alu!(op, (a < b) as u32),
                Kind::Xor => alu!(op, a ^ b),
                Kind::Srl => alu!(op, a >> (b & 31)),
                Kind::Sra => alu!(op, ((a as i32) >> (b & 31)) as u32),
                Kind::Or => alu!(op, a | b),
                Kind::And => alu!(op, a & b),
                Kind::Mul => alu!(op, a.wrapping_mul(b)),
                Kind::Mulh => alu!(op, ((a as i32 as i64 * b as i32 as i64) >> 32) as u32),
                Kind::Mulhsu => alu!(op, ((a as i32 as i64).wrapping_mul(b as i64) >> 32) as u32),
                Kind::Mulhu => alu!(op, ((a as u64 * b as u64) >> 32) as u32),
                Kind::Div => alu!(op, div(a as i32, b as i32) as u32),
                Kind::Divu => alu!(op, a.checked_div(b).unwrap_or(u32::MAX)),
                Kind::Rem => alu!(op, rem(a as i32, b as i32) as u32),
                Kind::Remu => alu!(op, a.checked_rem(b).unwrap_or(a)),
                Kind::System => {
                    let here = base | (idx as u32) << 2;
                    cpu.sync_clock(remaining);
                    match cpu.execute_system(bus, op.imm, here) {
                        Ok(SystemEffect::None) if cpu.pc == here.wrapping_add(4) && idx < 1023 => idx += 1,
                        Ok(SystemEffect::None) => continue 'outer,
                        Ok(SystemEffect::Code(frame)) => {
                            stale_frame = Some(frame);
                            continue 'outer;
                        }
                        Ok(SystemEffect::Recheck) => break 'outer Exit::Recheck,
                        Ok(SystemEffect::Wait) => break 'outer Exit::Wait,
                        Err(t) => trap!(here, t),
                    }
                }
            }
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

/// Signed division with the ox32 edge cases: x / 0 = -1, MIN / -1 = MIN.
fn div(a: i32, b: i32) -> i32 {
    if b == 0 {
        -1
    } else {
        a.wrapping_div(b)
    }
}

/// Signed remainder with the ox32 edge cases: x % 0 = x, MIN % -1 = 0.
fn rem(a: i32, b: i32) -> i32 {
    if b == 0 {
        a
    } else {
        a.wrapping_rem(b)
    }
}
