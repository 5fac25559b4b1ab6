//! Breakpoints, watchpoints and trap catches: one numbered list, as in gdb.
//!
//! - A **breakpoint** stops before the instruction at its virtual address executes (`pc` is
//!   compared before each step; resuming from a breakpoint first executes the instruction
//!   there).
//! - A **watchpoint** watches the 4 bytes at a virtual address. Before each step the monitor
//!   decodes the instruction at `pc` and computes its effective address; if the access
//!   overlaps the watched bytes and has the watched kind, the instruction is executed and the
//!   session stops **after** it, showing the old and new value. An access that traps instead
//!   did not happen and does not stop (catch the trap with `break trap`).
//! - A **trap catch** (`break trap [KIND]`) stops when a matching trap has been taken: `pc` is
//!   the handler's first instruction, not yet executed.
//! - A **link break** (`break link [NODE]`, systems only) stops at a quantum boundary where a
//!   frame NODE (any node) sent was carried, or a frame to it was handed to its port (see
//!   [`super::nodes`]).
//!
//! On a system every breakpoint, watchpoint and trap catch belongs to one node (the one
//! selected when it was set) and is checked only while that node runs.

use ox32::{Instruction, LoadWidth, Reg, StoreWidth};

use crate::mmu::Access;
use crate::monitor::format::{hex, sym_suffix};
use crate::monitor::parse::{TrapFilter, WatchKind};
use crate::monitor::Monitor;

/// What one numbered entry stops at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PointKind {
    /// The instruction at this virtual address is about to execute.
    Break(u32),
    /// An access of this kind to the word at this virtual address.
    Watch(u32, WatchKind),
    /// A trap of this kind was taken.
    Trap(TrapFilter),
    /// A frame from or to this node (or any node) crossed a link.
    Link(Option<usize>),
}

/// One numbered entry of the list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Point {
    /// Its number, for `delete`.
    pub id: u32,
    /// The node it belongs to (0 for one node on its own).
    pub node: usize,
    /// What it stops at.
    pub kind: PointKind,
    /// How many times it stopped the guest.
    pub hits: u64,
}

/// The memory access the instruction at `pc` is about to make.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MemAccess {
    /// The instruction's address.
    pub pc: u32,
    /// The mnemonic, for the report.
    pub mnemonic: &'static str,
    /// The effective virtual address.
    pub va: u32,
    /// Bytes accessed.
    pub size: u32,
    /// It reads memory.
    pub reads: bool,
    /// It writes memory.
    pub writes: bool,
}

impl MemAccess {
    /// The access `inst` at `pc` makes with the registers `reg` gives, if it touches memory.
    pub fn of(inst: &Instruction, pc: u32, reg: impl Fn(Reg) -> u32) -> Option<MemAccess> {
        let make =
            |mnemonic, va, size, reads, writes| Some(MemAccess { pc, mnemonic, va, size, reads, writes });
        match *inst {
            Instruction::Load { width, rs1, offset, .. } => {
                let size = match width {
                    LoadWidth::B | LoadWidth::Bu => 1,
                    LoadWidth::H | LoadWidth::Hu => 2,
                    LoadWidth::W => 4,
                };
                let va = reg(rs1).wrapping_add(offset as i32 as u32);
                make(ox32::load_mnemonic(width), va, size, true, false)
            }
            Instruction::Store { width, rs1, offset, .. } => {
                let size = match width {
                    StoreWidth::B => 1,
                    StoreWidth::H => 2,
                    StoreWidth::W => 4,
                };
                let va = reg(rs1).wrapping_add(offset as i32 as u32);
                make(ox32::store_mnemonic(width), va, size, false, true)
            }
            Instruction::Lr { rs1, .. } => make("lr.w", reg(rs1), 4, true, false),
            Instruction::Sc { rs1, .. } => make("sc.w", reg(rs1), 4, false, true),
            Instruction::Amo { op, rs1, .. } => make(ox32::amo_mnemonic(op), reg(rs1), 4, true, true),
            _ => None,
        }
    }

    /// Whether this access touches the word at `addr` in a way `kind` watches.
    pub fn hits(&self, addr: u32, kind: WatchKind) -> bool {
        let start = self.va as u64;
        let watched = addr as u64;
        let overlaps = start < watched + 4 && watched < start + self.size as u64;
        let wanted = match kind {
            WatchKind::Read => self.reads,
            WatchKind::Write => self.writes,
            WatchKind::ReadWrite => self.reads || self.writes,
        };
        overlaps && wanted
    }
}

impl Monitor<'_> {
    pub(super) fn push_point(&mut self, kind: PointKind) -> u32 {
        let id = self.next_id;
        self.next_id = self.next_id.saturating_add(1);
        self.points.push(Point { id, node: self.node, kind, hits: 0 });
        id
    }

    /// `break ADDR`.
    pub(super) fn add_breakpoint(&mut self, addr: u32) -> String {
        let id = self.push_point(PointKind::Break(addr));
        let mut text = format!(
            "breakpoint {id} at {}{}{}\n",
            hex(addr),
            sym_suffix(&self.machine().symbols, addr),
            self.on_node(self.node)
        );
        if addr & 3 != 0 {
            text.push_str("note: the address is not a multiple of 4, so no instruction starts there\n");
        }
        text
    }

    /// `watch ADDR [r|w|rw]`.
    pub(super) fn add_watchpoint(&mut self, addr: u32, kind: WatchKind) -> String {
        let id = self.push_point(PointKind::Watch(addr, kind));
        format!(
            "watchpoint {id}: {} of {}..{}{} (virtual){}\n",
            watch_words(kind),
            hex(addr),
            hex(addr.wrapping_add(4)),
            sym_suffix(&self.machine().symbols, addr),
            self.on_node(self.node)
        )
    }

    /// `break trap [KIND]`.
    pub(super) fn add_trap_catch(&mut self, filter: TrapFilter) -> String {
        let id = self.push_point(PointKind::Trap(filter));
        let what = match filter {
            TrapFilter::Any => "any trap".to_string(),
            TrapFilter::Interrupt => "any interrupt".to_string(),
            TrapFilter::Exception(e) => e.name().to_string(),
        };
        format!("catchpoint {id}: stop when a trap is taken: {what}{}\n", self.on_node(self.node))
    }

    /// `delete [N]`.
    pub(super) fn delete(&mut self, id: Option<u32>) -> Result<String, String> {
        match id {
            None => {
                let n = self.points.len();
                self.points.clear();
                Ok(format!("deleted {n} breakpoint(s), watchpoint(s) and catchpoint(s)\n"))
            }
            Some(id) => {
                let Some(i) = self.points.iter().position(|p| p.id == id) else {
                    return Err(format!("no breakpoint number {id}"));
                };
                self.points.remove(i);
                Ok(format!("deleted {id}\n"))
            }
        }
    }

    /// `info breakpoints`: on a system, with the node each belongs to.
    pub(super) fn info_breakpoints(&self) -> String {
        if self.points.is_empty() {
            return "no breakpoints, watchpoints or catchpoints\n".to_string();
        }
        let system = self.system();
        let width = system.map_or(0, |s| s.nodes.iter().map(|n| n.name.len()).max().unwrap_or(0).max(4));
        let mut text = match system {
            Some(_) => format!("num  {:<width$}  type        what\n", "node"),
            None => String::from("num  type        what\n"),
        };
        for p in &self.points {
            let symbols = match system {
                Some(s) => &s.nodes[p.node].machine.symbols,
                None => &self.machine().symbols,
            };
            let (kind, what) = match p.kind {
                PointKind::Break(addr) => {
                    ("breakpoint", format!("{}{}", hex(addr), sym_suffix(symbols, addr)))
                }
                PointKind::Watch(addr, kind) => {
                    ("watchpoint", format!("{} {}{}", kind.name(), hex(addr), sym_suffix(symbols, addr)))
                }
                PointKind::Trap(filter) => ("catchpoint", format!("trap {}", filter.name())),
                PointKind::Link(node) => {
                    ("link", format!("frames {} sends or receives", self.link_subject(node)))
                }
            };
            let node = match (system, p.kind) {
                (None, _) => String::new(),
                (Some(_), PointKind::Link(_)) => format!("{:<width$}  ", "-"),
                (Some(s), _) => format!("{:<width$}  ", s.nodes[p.node].name),
            };
            text.push_str(&format!("{:<4} {node}{kind:<11} {what}  (hit {} time(s))\n", p.id, p.hits));
        }
        text
    }

    /// The points of the selected node.
    fn own_points(&self) -> impl Iterator<Item = &Point> {
        let node = self.node;
        self.points.iter().filter(move |p| p.node == node)
    }

    /// The breakpoint of the selected node at `pc`, if any.
    pub(super) fn breakpoint_at(&self, pc: u32) -> Option<u32> {
        self.own_points().find(|p| p.kind == PointKind::Break(pc)).map(|p| p.id)
    }

    /// The selected node's catchpoint matching a trap with `cause`, if any.
    pub(super) fn catch_for(&self, cause: u32) -> Option<u32> {
        self.own_points().find(|p| matches!(p.kind, PointKind::Trap(f) if f.matches(cause))).map(|p| p.id)
    }

    /// Whether the selected node has a watchpoint.
    pub(super) fn watching(&self) -> bool {
        self.own_points().any(|p| matches!(p.kind, PointKind::Watch(..)))
    }

    /// Whether node `node` has a breakpoint, watchpoint or catchpoint (so that it must run
    /// one instruction at a time).
    pub(super) fn checks(&self, node: usize) -> bool {
        self.points.iter().any(|p| p.node == node && !matches!(p.kind, PointKind::Link(_)))
    }

    /// The watchpoint the instruction at `pc` is about to trigger, with its access.
    pub(super) fn pending_watch(&mut self) -> Option<(u32, MemAccess)> {
        if !self.watching() {
            return None;
        }
        let pc = self.machine().cpu.pc;
        let pa = self.cpu_translate(pc, Access::Fetch).ok()?;
        let word = self.peek_word(pa)?;
        let inst = ox32::decode(word).ok()?;
        let cpu = &self.machine().cpu;
        let access = MemAccess::of(&inst, pc, |r| cpu.reg(r))?;
        self.own_points().find_map(|p| match p.kind {
            PointKind::Watch(addr, kind) if access.hits(addr, kind) => Some((p.id, access)),
            _ => None,
        })
    }

    /// Counts a stop at entry `id`.
    pub(super) fn count_hit(&mut self, id: u32) {
        if let Some(p) = self.points.iter_mut().find(|p| p.id == id) {
            p.hits += 1;
        }
    }
}

fn watch_words(kind: WatchKind) -> &'static str {
    match kind {
        WatchKind::Read => "reads",
        WatchKind::Write => "writes",
        WatchKind::ReadWrite => "reads and writes",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accesses_overlap_the_watched_word() {
        let sw = Instruction::Store { width: StoreWidth::B, rs1: Reg::SP, rs2: Reg::A0, offset: 3 };
        let access = MemAccess::of(&sw, 0x100, |_| 0x1000).unwrap();
        assert_eq!((access.va, access.size), (0x1003, 1));
        assert!(access.hits(0x1000, WatchKind::Write));
        assert!(!access.hits(0x1000, WatchKind::Read));
        assert!(!access.hits(0x1004, WatchKind::ReadWrite));
        assert!(access.hits(0x1003 - 3, WatchKind::ReadWrite));
        let top = MemAccess::of(&sw, 0, |_| 0xffff_fff9).unwrap();
        assert!(top.va == 0xffff_fffc && !top.hits(0, WatchKind::Write), "no wrap-around");
    }
}
