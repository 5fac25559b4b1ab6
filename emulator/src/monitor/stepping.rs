//! Running the guest under the monitor: `step`, `next`, `until`, `continue`, and the stops.
//!
//! With nothing to check (`continue` and no breakpoint, watchpoint or catchpoint), the guest
//! runs at full speed through [`Machine::run`](crate::machine::Machine::run). Otherwise the
//! monitor drives it one *step* at a time, where a step is one of:
//! - **taking a pending interrupt** (through `Machine::run` with a target equal to the current
//!   cycle, which delivers the interrupt and executes nothing): `pc` becomes the handler;
//! - **executing one instruction** (`Machine::step`), or taking the trap it raises;
//! - while the CPU sleeps in `wait`, jumping to the next device event (not counted as a step).
//!
//! Checks around each step make every stop exact:
//! - before a step (except the first of a command, so that resuming from a breakpoint moves
//!   on): a breakpoint at `pc`, and the goal of `until`/`next`;
//! - before an instruction, the watchpoints (see [`super::breakpoints`]), reported after it
//!   (or, for gdb, before it: [`super::gdb`]);
//! - after a step, a new entry in the trap history matched against the catchpoints: the stop
//!   shows the trap, and `pc` is the handler's first instruction, not yet executed.
//!
//! Every resuming command runs at most the session's cycle limit (`continue N` lowers it for one
//! command), so a script never hangs on a guest that loops.
//!
//! On a system, [`super::nodes`] runs each node through the same checked stepping, up to its
//! quantum boundary, and crosses boundaries with the system's own executor.

use ox32::trap::{describe_cause, INTERRUPT_BIT};
use ox32::{Instruction, Reg};

use crate::cpu::{Cpu, TrapRecord};
use crate::machine::RunState;
use crate::monitor::breakpoints::MemAccess;
use crate::monitor::format::{hex, sym_suffix};
use crate::monitor::Monitor;
use crate::system::SystemState;

/// What a resuming command runs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Goal {
    /// This many steps.
    Steps(u64),
    /// A stop of another kind.
    Continue,
    /// `pc` equals this address.
    Until(u32),
    /// `pc` equals the return address with `sp` back at (or above) its value at the call.
    Return { addr: u32, sp: u32 },
    /// `pc` leaves `start..end` (gdb's range stepping).
    Outside(u32, u32),
}

/// Why the guest stopped.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Stop {
    /// The requested steps are done.
    Done,
    /// `until` or `next` reached its address.
    Reached,
    /// A breakpoint.
    Breakpoint(u32),
    /// A watchpoint, after the access; the value read before and after.
    Watch(u32, MemAccess, Option<u32>, Option<u32>),
    /// A catchpoint, after the trap was taken.
    Trap(u32, TrapRecord),
    /// The guest powered off.
    PoweredOff(u32),
    /// The guest waits for an interrupt that can never come.
    Stuck,
    /// The cycle limit ran out.
    Limit(u64),
    /// A node of a system reached its quantum boundary (or waits for it); the system crosses
    /// it and goes on. Never reported.
    Boundary,
    /// A link break at a boundary, with a line per frame that fired it.
    Link(u32, Vec<String>),
    /// The system's run ended.
    Ended(SystemState),
}

/// Identifies the newest entry of the trap history, to notice a new one: the history has a
/// fixed capacity, so its length alone stops changing once it is full.
pub(super) fn trap_marker(cpu: &Cpu) -> (usize, Option<TrapRecord>) {
    (cpu.traps.len(), cpu.traps.back().copied())
}

/// The most instructions `step N` lists one by one; a longer step says how many it executed.
pub const STEP_LISTED: u64 = 100;

impl Monitor<'_> {
    /// `step [n]`: with 2 to [`STEP_LISTED`] steps, each instruction executed (and each trap
    /// taken) is listed before the stop; with more, a line says how many instructions ran.
    pub(super) fn step(&mut self, n: u64) -> String {
        if n <= 1 {
            return self.resume(Goal::Steps(n), self.limit);
        }
        if n > STEP_LISTED {
            let before = self.machine().cpu.instret;
            let report = self.resume(Goal::Steps(n), self.limit);
            let ran = self.machine().cpu.instret.wrapping_sub(before);
            return format!("{ran} instructions executed (step lists at most {STEP_LISTED})\n{report}");
        }
        self.listing = Some((self.node, Vec::new()));
        let report = self.resume(Goal::Steps(n), self.limit);
        let lines = self.listing.take().map(|(_, lines)| lines).unwrap_or_default();
        lines.concat() + &report
    }

    /// Whether `step N` lists what the selected node executes now.
    fn listing_here(&self) -> bool {
        self.listing.as_ref().is_some_and(|(node, _)| *node == self.node)
    }

    /// Lists the instruction about to execute, as `step N` shows it.
    fn list_instruction(&mut self) {
        if self.listing_here() {
            let line = self.location().replacen("=> ", "   ", 1);
            if let Some((_, lines)) = &mut self.listing {
                lines.push(line);
            }
        }
    }

    /// Lists a trap just taken, as `step N` shows it.
    fn list_trap(&mut self, trap: Option<TrapRecord>) {
        if let (true, Some(trap)) = (self.listing_here(), trap) {
            let line = format!("   trap taken: {}\n", self.trap_line(&trap));
            if let Some((_, lines)) = &mut self.listing {
                lines.push(line);
            }
        }
    }

    /// `next`: steps over a call (`jal`/`jalr` with `rd` = `ra`), else steps one instruction.
    pub(super) fn next(&mut self) -> String {
        let pc = self.machine().cpu.pc;
        let call = match self.next_instruction() {
            Some(Instruction::Jal { rd, .. }) | Some(Instruction::Jalr { rd, .. }) => rd == Reg::RA,
            _ => false,
        };
        if !call {
            return self.resume(Goal::Steps(1), self.limit);
        }
        let sp = self.machine().cpu.reg(Reg::SP);
        self.resume(Goal::Return { addr: pc.wrapping_add(4), sp }, self.limit)
    }

    /// `until ADDR`.
    pub(super) fn until(&mut self, addr: u32) -> String {
        self.resume(Goal::Until(addr), self.limit)
    }

    /// `continue [N]`: at most N cycles, and never more than the session's limit.
    pub(super) fn cont(&mut self, limit: Option<u64>) -> String {
        self.resume(Goal::Continue, limit.unwrap_or(self.limit).clamp(1, self.limit))
    }

    /// Runs toward `goal` for at most `limit` cycles and describes the stop.
    fn resume(&mut self, goal: Goal, limit: u64) -> String {
        let start = self.machine().cpu.cycles;
        let (stop, last_trap) = self.run_to(goal, limit, true);
        self.report(stop, last_trap, start)
    }

    /// Runs toward `goal` for at most `limit` cycles of the selected node; returns the stop
    /// and the trap taken in the last step. With `moving_on`, a breakpoint at the current
    /// `pc` is passed over (a command resuming from a stop); without it, it stops at once (a
    /// run that goes on where an earlier one reached its limit, and checked `pc` already).
    pub(super) fn run_to(&mut self, goal: Goal, limit: u64, moving_on: bool) -> (Stop, Option<TrapRecord>) {
        if self.system().is_some() {
            return self.run_system_to(goal, limit, moving_on);
        }
        let start = self.machine().cpu.cycles;
        if moving_on {
            self.skip[self.node] = true;
        }
        if goal == Goal::Continue && !self.checks(self.node) {
            (self.run_free(start.saturating_add(limit)), None)
        } else {
            self.run_checked(goal, start.saturating_add(limit), false, &mut 0)
        }
    }

    /// Runs without checks up to cycle `until`.
    fn run_free(&mut self, until: u64) -> Stop {
        loop {
            match self.machine_mut().run(until) {
                RunState::PoweredOff(code) => return Stop::PoweredOff(code),
                RunState::Running => return Stop::Limit(until),
                RunState::Stuck => return Stop::Stuck,
                RunState::Idle => {
                    self.machine_mut().wait_host();
                }
            }
        }
    }

    /// Steps the selected node toward `goal` until cycle `until`, counting steps in `steps`;
    /// returns the stop and the trap taken in the last step, if any. With `boundary`, `until`
    /// is the node's quantum boundary: reaching it, or waiting for something only a boundary
    /// can bring, is [`Stop::Boundary`] rather than the limit.
    pub(super) fn run_checked(
        &mut self,
        goal: Goal,
        until: u64,
        boundary: bool,
        steps: &mut u64,
    ) -> (Stop, Option<TrapRecord>) {
        let node = self.node;
        let skip_at_entry = self.skip[node];
        let mut executed = false;
        let mut last_trap = None;
        loop {
            if let Some(code) = self.machine().bus.power_off() {
                return (Stop::PoweredOff(code), last_trap);
            }
            let pc = self.machine().cpu.pc;
            if !std::mem::replace(&mut self.skip[node], false) {
                let reached = match goal {
                    Goal::Until(addr) => pc == addr,
                    Goal::Return { addr, sp } => pc == addr && self.machine().cpu.reg(Reg::SP) >= sp,
                    Goal::Outside(start, end) => !(start..end).contains(&pc),
                    Goal::Steps(_) | Goal::Continue => false,
                };
                if reached {
                    return (Stop::Reached, last_trap);
                }
                if let Some(id) = self.breakpoint_at(pc) {
                    self.count_hit(id);
                    return (Stop::Breakpoint(id), last_trap);
                }
            }
            last_trap = None;
            if self.machine().cpu.cycles >= until {
                if boundary {
                    if !executed {
                        self.skip[node] = skip_at_entry;
                    }
                    return (Stop::Boundary, None);
                }
                return (Stop::Limit(until), None);
            }

            // A pending interrupt is a step of its own.
            let before = trap_marker(&self.machine().cpu);
            let now = self.machine().cpu.cycles;
            if let RunState::PoweredOff(code) = self.machine_mut().run(now) {
                return (Stop::PoweredOff(code), None);
            }
            if trap_marker(&self.machine().cpu) != before {
                executed = true;
                *steps += 1;
                last_trap = self.machine().cpu.traps.back().copied();
                self.list_trap(last_trap);
                if let Some(stop) = self.after_trap(last_trap) {
                    return (stop, last_trap);
                }
                if goal == Goal::Steps(*steps) {
                    return (Stop::Done, last_trap);
                }
                continue;
            }

            // Sleeping in `wait`: jump to the next event (which may bring an interrupt).
            if self.machine().is_waiting() {
                let cpu = &self.machine().cpu;
                let now = cpu.now();
                let next = self.machine().bus.next_event(now).map(|t| cpu.clock.cycles_until(t));
                let target = next.unwrap_or(cpu.cycles + 1).max(cpu.cycles + 1).min(until);
                let in_system = self.system().is_some();
                match self.machine_mut().run(target) {
                    RunState::PoweredOff(code) => return (Stop::PoweredOff(code), None),
                    // In a system only a boundary can bring what the node waits for.
                    RunState::Idle | RunState::Stuck if in_system && boundary => {
                        if !executed {
                            self.skip[node] = skip_at_entry;
                        }
                        return (Stop::Boundary, None);
                    }
                    RunState::Idle | RunState::Stuck if in_system => {
                        self.machine_mut().idle_until(until);
                        return (Stop::Limit(until), None);
                    }
                    RunState::Stuck => return (Stop::Stuck, None),
                    RunState::Idle => {
                        self.machine_mut().wait_host();
                    }
                    RunState::Running => {}
                }
                if trap_marker(&self.machine().cpu) != before {
                    executed = true;
                    *steps += 1;
                    last_trap = self.machine().cpu.traps.back().copied();
                    self.list_trap(last_trap);
                    if let Some(stop) = self.after_trap(last_trap) {
                        return (stop, last_trap);
                    }
                    if goal == Goal::Steps(*steps) {
                        return (Stop::Done, last_trap);
                    }
                }
                continue;
            }

            // One instruction.
            let watch = self.pending_watch();
            let old = watch.and_then(|(_, access)| self.watched_value(&access));
            if self.watch_before {
                // gdb's way: stop before the access, unless this node stopped here for it.
                let passed = self.watch_passed[node].take() == Some(pc);
                if let (Some((id, access)), false) = (watch, passed) {
                    self.count_hit(id);
                    self.watch_passed[node] = Some(pc);
                    return (Stop::Watch(id, access, old, old), None);
                }
            }
            self.list_instruction();
            let state = self.machine_mut().step();
            executed = true;
            *steps += 1;
            if trap_marker(&self.machine().cpu) != before {
                last_trap = self.machine().cpu.traps.back().copied();
                self.list_trap(last_trap);
                if let Some(stop) = self.after_trap(last_trap) {
                    return (stop, last_trap);
                }
            } else if let Some((id, access)) = watch.filter(|_| !self.watch_before) {
                self.count_hit(id);
                let new = self.watched_value(&access);
                return (Stop::Watch(id, access, old, new), None);
            }
            if let RunState::PoweredOff(code) = state {
                return (Stop::PoweredOff(code), last_trap);
            }
            if goal == Goal::Steps(*steps) {
                return (Stop::Done, last_trap);
            }
        }
    }

    /// The stop a trap just taken causes, if a catchpoint matches it.
    pub(super) fn after_trap(&mut self, trap: Option<TrapRecord>) -> Option<Stop> {
        let trap = trap?;
        let id = self.catch_for(trap.cause)?;
        self.count_hit(id);
        Some(Stop::Trap(id, trap))
    }

    /// The value of the accessed bytes, read as the CPU would find them (no side effects).
    fn watched_value(&mut self, access: &MemAccess) -> Option<u32> {
        let pa = self.cpu_translate(access.va, crate::mmu::Access::Load).ok()?;
        let mut bytes = [0u8; 4];
        let n = access.size.min(4) as usize;
        self.machine().bus.peek(pa, &mut bytes[..n]).ok()?;
        Some(u32::from_le_bytes(bytes))
    }

    fn trap_line(&self, trap: &TrapRecord) -> String {
        let cause = if trap.cause & INTERRUPT_BIT != 0 { hex(trap.cause) } else { trap.cause.to_string() };
        format!(
            "{} (cause {cause}) at epc {}{}, badaddr {}, cycle {}",
            describe_cause(trap.cause),
            hex(trap.epc),
            sym_suffix(&self.machine().symbols, trap.epc),
            hex(trap.badaddr),
            trap.cycle
        )
    }

    /// Describes a stop, then where the CPU stands.
    pub(super) fn report(&mut self, stop: Stop, last_trap: Option<TrapRecord>, start: u64) -> String {
        let mut text = String::new();
        if let Some(trap) = last_trap.filter(|_| !matches!(stop, Stop::Trap(..))) {
            text.push_str(&format!("trap taken: {}\n", self.trap_line(&trap)));
        }
        match stop {
            Stop::Done | Stop::Reached | Stop::Boundary => {}
            Stop::Breakpoint(id) => {
                let pc = self.machine().cpu.pc;
                text.push_str(&format!(
                    "breakpoint {id} at {}{}{}\n",
                    hex(pc),
                    sym_suffix(&self.machine().symbols, pc),
                    self.on_node(self.node)
                ));
            }
            Stop::Link(id, lines) => {
                let (subject, at) = (self.link_subject_of(id), self.system().map_or(0, |s| s.time));
                text.push_str(&format!("link breakpoint {id} ({subject}) at the boundary at {at} ns:\n"));
                for line in lines {
                    text.push_str(&format!("  {line}\n"));
                }
            }
            Stop::Ended(state) => {
                text.push_str(&self.ended_text(state));
                return text;
            }
            Stop::Watch(id, access, old, new) => {
                let value = |v: Option<u32>| v.map_or_else(|| "(unreadable)".to_string(), hex);
                let what = if access.writes && access.reads {
                    format!("read {} and wrote {}", value(old), value(new))
                } else if access.writes {
                    format!("wrote {} (was {})", value(new), value(old))
                } else {
                    format!("read {}", value(new))
                };
                text.push_str(&format!(
                    "watchpoint {id}: {} at {}{} accessed {} bytes at {}{}: {what}\n",
                    access.mnemonic,
                    hex(access.pc),
                    sym_suffix(&self.machine().symbols, access.pc),
                    access.size,
                    hex(access.va),
                    sym_suffix(&self.machine().symbols, access.va)
                ));
                text.push_str("(stopped after the access)\n");
            }
            Stop::Trap(id, trap) => {
                text.push_str(&format!("catchpoint {id}: trap taken: {}\n", self.trap_line(&trap)));
                text.push_str("(stopped at the handler's first instruction)\n");
            }
            Stop::PoweredOff(code) => {
                match self.system() {
                    Some(system) => text.push_str(&format!(
                        "node {} powered off with exit code {code}\n",
                        system.nodes[self.node].name
                    )),
                    None => text.push_str(&format!("the guest powered off with exit code {code}\n")),
                }
                return text;
            }
            Stop::Stuck => {
                text.push_str("the guest waits for an interrupt that can never come\n");
            }
            Stop::Limit(until) => {
                text.push_str(&format!(
                    "stopped at the cycle limit after {} cycles\n",
                    until.saturating_sub(start)
                ));
            }
        }
        text.push_str(&self.location());
        text
    }
}
