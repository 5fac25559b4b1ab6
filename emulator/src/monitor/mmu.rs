//! MMU state for people: `mmu`, `pt`, `tlb` and `translate`, and the side-effect-free
//! translations the other commands use.
//!
//! Two views of a virtual address:
//! - the **CPU's view** ([`Monitor::cpu_translate`]): what the next access would do in the
//!   current mode: the TLB first (when its entry allows the access), else the page walk;
//! - the **debugger's view** ([`Monitor::debug_translate`], used by `x`, `disas` and `bt`):
//!   the page tables alone, ignoring permissions, so that a kernel can look at user pages and
//!   execute-only code.
//!
//! Both walk with `update = false`: looking never sets accessed or dirty bits, never fills the
//! TLB and never counts a hit or a miss.

use ox32::cr::{self, Status};
use ox32::memmap::{BOOT_ROM_BASE, BOOT_ROM_SIZE, DEVICE_SIZE, INTC_BASE};
use ox32::pte::{Pte, PteFlags, ENTRIES, PAGE_SHIFT, SUPERPAGE_SIZE};

use crate::bus::Bus;
use crate::mmu::{self as hw, Access, WalkFault, WalkStep};
use crate::monitor::format::{flag_names, hex, leaf_flags};
use crate::monitor::parse::Mode;
use crate::monitor::Monitor;

/// The most lines `pt` prints before it summarises the rest.
const PT_MAX_LINES: usize = 2000;

/// A lower-case name of an access, for sentences.
pub fn access_name(access: Access) -> &'static str {
    match access {
        Access::Fetch => "fetch",
        Access::Load => "load",
        Access::Store => "store",
    }
}

/// The names of the set bits of `status`.
pub fn status_names(status: Status) -> String {
    let names = [(Status::KM, "KM"), (Status::IE, "IE"), (Status::PIE, "PIE"), (Status::PKM, "PKM")];
    let set: Vec<&str> = names.iter().filter(|(s, _)| status.contains(*s)).map(|(_, n)| *n).collect();
    if set.is_empty() {
        "none".to_string()
    } else {
        set.join(" ")
    }
}

/// What lives at physical address `pa`: RAM, the boot ROM, a device, or nothing.
pub fn physical_kind(bus: &Bus, pa: u32) -> String {
    if bus.ram_offset(pa, 1).is_some() {
        return "RAM".to_string();
    }
    if (BOOT_ROM_BASE..BOOT_ROM_BASE + BOOT_ROM_SIZE).contains(&pa) {
        return "boot ROM".to_string();
    }
    if (INTC_BASE..INTC_BASE + DEVICE_SIZE).contains(&pa) {
        return "device: interrupt controller".to_string();
    }
    for (base, _, device) in bus.devices() {
        if pa.wrapping_sub(base) < DEVICE_SIZE {
            return format!("device: {}", device.name());
        }
    }
    "nothing (an access faults)".to_string()
}

/// The physical address a leaf maps `va` to, ignoring permissions (`None` for a non-leaf).
fn leaf_target(step: &WalkStep, va: u32) -> Option<u32> {
    let flags = step.pte.flags();
    let reserved = flags.contains(PteFlags::W) && !flags.contains(PteFlags::R);
    let usable = step.pte.is_valid() && step.pte.is_leaf() && !reserved;
    if !usable {
        return None;
    }
    let base = step.pte.ppn().wrapping_shl(PAGE_SHIFT);
    Some(if step.level == 1 { base.wrapping_add(va & (SUPERPAGE_SIZE - 1)) } else { base | (va & 0xfff) })
}

impl Monitor<'_> {
    /// The root table frame `ptbr` names.
    fn root_frame(&self) -> u32 {
        self.machine().cpu.cr.ptbr & cr::PTBR_PPN_MASK
    }

    /// The CPU's view of `va`: what an access in the current mode would reach, without any
    /// side effect.
    pub fn cpu_translate(&mut self, va: u32, access: Access) -> Result<u32, WalkFault> {
        let cpu = &self.machine().cpu;
        if !cpu.paging() {
            return Ok(va);
        }
        let kernel = cpu.kernel();
        if let Some(e) = cpu.tlb.lookup(va, cpu.asid()) {
            let dirty_ok = access != Access::Store || e.flags.contains(PteFlags::D);
            if dirty_ok && hw::check_permission(e.flags, access, kernel).is_ok() {
                return Ok(e.ppn.wrapping_shl(PAGE_SHIFT) | (va & 0xfff));
            }
        }
        let root = self.root_frame();
        let walk = hw::walk(&mut self.machine_mut().bus, root, va, access, kernel, false);
        walk.result.map(|t| t.ppn.wrapping_shl(PAGE_SHIFT) | (va & 0xfff))
    }

    /// The debugger's view of `va`: the page tables' mapping, whatever the permissions.
    pub fn debug_translate(&mut self, va: u32) -> Result<u32, String> {
        if !self.machine().cpu.paging() {
            return Ok(va);
        }
        let root = self.root_frame();
        let walk = hw::walk(&mut self.machine_mut().bus, root, va, Access::Load, true, false);
        if let Ok(t) = walk.result {
            return Ok(t.ppn.wrapping_shl(PAGE_SHIFT) | (va & 0xfff));
        }
        let last = walk.steps.iter().flatten().last();
        match (last.and_then(|s| leaf_target(s, va)), walk.result) {
            (Some(pa), _) => Ok(pa),
            (None, Err(fault)) => Err(format!("{} is not mapped: {}", hex(va), fault.reason)),
            (None, Ok(_)) => Err(format!("{} is not mapped", hex(va))),
        }
    }

    fn ptbr_line(&self) -> String {
        let cpu = &self.machine().cpu;
        let root = self.root_frame();
        format!(
            "ptbr {}: paging {}, ASID {}, root table at {} (frame {root:#07x})",
            hex(cpu.cr.ptbr),
            if cpu.paging() { "on" } else { "off" },
            cpu.asid(),
            hex(root.wrapping_shl(PAGE_SHIFT))
        )
    }

    /// `mmu`.
    pub(super) fn mmu(&self) -> String {
        let cpu = &self.machine().cpu;
        let tlb = &cpu.tlb;
        let valid = tlb.entries.iter().filter(|e| e.valid).count();
        let paging = if cpu.paging() {
            "on: every fetch, load and store is translated (in both modes)"
        } else {
            "off: physical address = virtual address"
        };
        format!(
            "mode:    {} (status {}: {})\npaging:  {paging}\n{}\ntvec:    {}\nTLB:     {valid} of {} entries valid; {} hits, {} misses, {} flushes\n",
            if cpu.kernel() { "kernel" } else { "user" },
            hex(cpu.cr.status.bits()),
            status_names(cpu.cr.status),
            self.ptbr_line().replacen("ptbr ", "ptbr:    ", 1),
            hex(cpu.cr.tvec),
            tlb.entries.len(),
            tlb.hits,
            tlb.misses,
            tlb.flushes
        )
    }

    /// `tlb`.
    pub(super) fn tlb(&self) -> String {
        let cpu = &self.machine().cpu;
        let tlb = &cpu.tlb;
        let valid: Vec<(usize, &hw::TlbEntry)> =
            tlb.entries.iter().enumerate().filter(|(_, e)| e.valid).collect();
        let mut text = format!(
            "TLB: {} of {} entries valid; {} hits, {} misses, {} flushes; current ASID {}\n",
            valid.len(),
            tlb.entries.len(),
            tlb.hits,
            tlb.misses,
            tlb.flushes,
            cpu.asid()
        );
        if valid.is_empty() {
            return text;
        }
        text.push_str("slot  virtual page  asid  frame    flags\n");
        for (slot, e) in valid {
            let global = e.flags.contains(PteFlags::G);
            let asid = if global { "g".to_string() } else { e.asid.to_string() };
            let other = if !global && e.asid != cpu.asid() { "  (other ASID: not used now)" } else { "" };
            text.push_str(&format!(
                "{slot:#04x}  {}    {asid:<5} {:#07x}  {}{other}\n",
                hex(e.vpn.wrapping_shl(PAGE_SHIFT)),
                e.ppn,
                leaf_flags(e.flags)
            ));
        }
        text
    }

    /// `pt [ROOT]`: the tree of the table rooted at `root` (a frame number below 2^20, else a
    /// page-aligned physical address), or at `ptbr`'s root.
    pub(super) fn page_table(&mut self, root: Option<u32>) -> Result<String, String> {
        let asids = &self.machine().cpu.asid_roots;
        let frame = match root {
            None => self.root_frame(),
            Some(asid) if asid <= ox32::cr::ASID_MASK => match asids.get(&(asid as u16)) {
                Some(frame) => *frame,
                None => {
                    let seen: Vec<String> = asids.keys().map(u16::to_string).collect();
                    return Err(format!(
                        "no page table has been installed with ASID {asid} (ASIDs seen in ptbr: {})",
                        if seen.is_empty() { "none".to_string() } else { seen.join(", ") }
                    ));
                }
            },
            Some(v) if v < 1 << 20 => v,
            Some(v) if v.is_multiple_of(1 << PAGE_SHIFT) => v >> PAGE_SHIFT,
            Some(v) => {
                return Err(format!(
                    "{} is neither a frame number (below 0x100000) nor a page-aligned physical address",
                    hex(v)
                ))
            }
        };
        let bus = &self.machine().bus;
        let base = frame << PAGE_SHIFT;
        if bus.ram_offset(base, 1 << PAGE_SHIFT).is_none() {
            let why = if root.is_none() { " (ptbr names it; paging is not set up yet?)" } else { "" };
            return Err(format!("the table at {} (frame {frame:#07x}) is not in RAM{why}", hex(base)));
        }
        let current = frame == self.root_frame();
        let mut lines = vec![format!(
            "page table at {} (frame {frame:#07x}){}",
            hex(base),
            if current {
                format!(
                    ", the root in ptbr (ASID {}, paging {})",
                    self.machine().cpu.asid(),
                    if self.machine().cpu.paging() { "on" } else { "off" }
                )
            } else {
                ", not the root in ptbr".to_string()
            }
        )];
        let (mut tables, mut pages, mut ranges) = (0u32, 0u64, 0u32);
        for i in 0..ENTRIES {
            let addr = base + 4 * i;
            let pte = Pte(bus.ram_word(addr).unwrap_or(0));
            if !pte.is_valid() {
                continue;
            }
            let flags = pte.flags();
            let head = format!("L1[{i:#05x}] at {} = {}", hex(addr), hex(pte.0));
            let va = i << 22;
            if flags.contains(PteFlags::W) && !flags.contains(PteFlags::R) {
                lines.push(format!("{head}: W without R (reserved: any access here faults)"));
            } else if pte.is_leaf() {
                let pa = pte.ppn().wrapping_shl(PAGE_SHIFT);
                if !pte.ppn().is_multiple_of(ENTRIES) {
                    lines.push(format!("{head}: superpage with a frame not aligned to 4 MiB (faults)"));
                } else {
                    pages += 1024;
                    ranges += 1;
                    lines.push(format!(
                        "{head}: superpage {}-{} -> {}-{} {}",
                        hex(va),
                        hex(va | (SUPERPAGE_SIZE - 1)),
                        hex(pa),
                        hex(pa.wrapping_add(SUPERPAGE_SIZE - 1)),
                        leaf_flags(flags)
                    ));
                }
            } else {
                let table = pte.ppn().wrapping_shl(PAGE_SHIFT);
                if bus.ram_offset(table, 1 << PAGE_SHIFT).is_none() {
                    lines.push(format!(
                        "{head} -> level-2 table at {}, which is not RAM (access fault)",
                        hex(table)
                    ));
                    continue;
                }
                tables += 1;
                lines.push(format!("{head} -> level-2 table at {}", hex(table)));
                let (p, r) = level2_ranges(bus, table, va, &mut lines);
                pages += p;
                ranges += r;
            }
        }
        let total = lines.len();
        if total > PT_MAX_LINES {
            lines.truncate(PT_MAX_LINES);
            lines.push(format!("... {} more lines", total - PT_MAX_LINES));
        }
        lines.push(format!("{tables} level-2 table(s); {pages} page(s) mapped in {ranges} range(s)"));
        Ok(lines.iter().map(|l| format!("{l}\n")).collect())
    }

    /// `translate VADDR [r|w|x] [user|kernel]`: the walk step by step.
    pub(super) fn translate(&mut self, va: u32, access: Access, mode: Option<Mode>) -> String {
        let cpu = &self.machine().cpu;
        let kernel = match mode {
            Some(Mode::Kernel) => true,
            Some(Mode::User) => false,
            None => cpu.kernel(),
        };
        let mode_name = if kernel { "kernel" } else { "user" };
        let mut text = format!(
            "translate {} for a {} in {mode_name} mode\n{}\n",
            hex(va),
            access_name(access),
            self.ptbr_line()
        );
        if !cpu.paging() {
            text.push_str(&format!(
                "paging is off: the access goes to physical {}: {}\n",
                hex(va),
                physical_kind(&self.machine().bus, va)
            ));
            return text;
        }
        let root = self.root_frame();
        let walk = hw::walk(&mut self.machine_mut().bus, root, va, access, kernel, false);
        for step in walk.steps.iter().flatten() {
            let bits = if step.level == 1 { "va[31:22]" } else { "va[21:12]" };
            let pte = step.pte;
            let meaning = if !pte.is_valid() {
                "not valid".to_string()
            } else if !pte.is_leaf() {
                format!("next level: level-2 table at {}", hex(pte.ppn().wrapping_shl(PAGE_SHIFT)))
            } else if step.level == 1 {
                format!(
                    "leaf: 4 MiB superpage at {}, {}",
                    hex(pte.ppn().wrapping_shl(PAGE_SHIFT)),
                    leaf_flags(pte.flags())
                )
            } else {
                format!("leaf: frame {:#07x}, {}", pte.ppn(), leaf_flags(pte.flags()))
            };
            text.push_str(&format!(
                "level {}: index {:#05x} ({bits}); PTE at {} = {} [{}]: {meaning}\n",
                step.level,
                step.index,
                hex(step.pte_addr),
                hex(pte.0),
                flag_names(pte.flags())
            ));
        }
        match walk.result {
            Ok(t) => {
                let pa = t.ppn.wrapping_shl(PAGE_SHIFT) | (va & 0xfff);
                let leaf = walk.steps.iter().flatten().last().map(|s| s.pte.flags()).unwrap_or(t.flags);
                let mut sets = Vec::new();
                if !leaf.contains(PteFlags::A) {
                    sets.push("A");
                }
                if access == Access::Store && !leaf.contains(PteFlags::D) {
                    sets.push("D");
                }
                let update = if sets.is_empty() {
                    String::new()
                } else {
                    format!("; the access would set {} in the leaf", sets.join(" and "))
                };
                text.push_str(&format!(
                    "result: physical {} ({}); {} allowed in {mode_name} mode{update}\n",
                    hex(pa),
                    physical_kind(&self.machine().bus, pa),
                    access_name(access)
                ));
            }
            Err(fault) => {
                text.push_str(&format!(
                    "fault: {} (cause {}, badaddr {}): {}\n",
                    fault.exception.name(),
                    fault.exception as u32,
                    hex(va),
                    fault.reason
                ));
            }
        }
        text.push_str(&self.tlb_holding(va, access, kernel));
        text
    }

    /// What the TLB holds for `va`, and whether the CPU would use it for `access`.
    fn tlb_holding(&self, va: u32, access: Access, kernel: bool) -> String {
        let cpu = &self.machine().cpu;
        let slot = hw::slot(va);
        let e = &cpu.tlb.entries[slot];
        if !e.valid {
            return format!("TLB: slot {slot:#04x} is empty, so an access would walk\n");
        }
        if e.vpn != va >> PAGE_SHIFT {
            return format!(
                "TLB: slot {slot:#04x} holds another page ({}), so an access would walk\n",
                hex(e.vpn.wrapping_shl(PAGE_SHIFT))
            );
        }
        if cpu.tlb.lookup(va, cpu.asid()).is_none() {
            return format!(
                "TLB: slot {slot:#04x} holds this page for ASID {}, not the current ASID {}, so an access would walk\n",
                e.asid,
                cpu.asid()
            );
        }
        let dirty_ok = access != Access::Store || e.flags.contains(PteFlags::D);
        let usable = match hw::check_permission(e.flags, access, kernel) {
            Ok(()) if dirty_ok => "the CPU would use it".to_string(),
            Ok(()) => "D is clear, so a store would walk again".to_string(),
            Err(why) => format!("it does not allow this access ({why}), so the CPU would walk again"),
        };
        let owner =
            if e.flags.contains(PteFlags::G) { "global".to_string() } else { format!("ASID {}", e.asid) };
        format!(
            "TLB: slot {slot:#04x} holds this page ({owner}, frame {:#07x}, {}); {usable}\n",
            e.ppn,
            leaf_flags(e.flags)
        )
    }
}

/// Appends the coalesced ranges of the level-2 table at `table` (mapping from `va_base`) to
/// `lines`; returns the pages and ranges found.
fn level2_ranges(bus: &Bus, table: u32, va_base: u32, lines: &mut Vec<String>) -> (u64, u32) {
    let mut pages = 0u64;
    let mut ranges = 0u32;
    // (first va, first pa, pages, flags)
    let mut run: Option<(u32, u32, u32, PteFlags)> = None;
    let flush = |run: &mut Option<(u32, u32, u32, PteFlags)>, lines: &mut Vec<String>, ranges: &mut u32| {
        if let Some((va, pa, n, flags)) = run.take() {
            let len = n << PAGE_SHIFT;
            lines.push(format!(
                "    {}-{} -> {}-{} {}",
                hex(va),
                hex(va.wrapping_add(len - 1)),
                hex(pa),
                hex(pa.wrapping_add(len - 1)),
                leaf_flags(flags)
            ));
            *ranges += 1;
        }
    };
    for j in 0..ENTRIES {
        let addr = table + 4 * j;
        let pte = Pte(bus.ram_word(addr).unwrap_or(0));
        if !pte.is_valid() {
            flush(&mut run, lines, &mut ranges);
            continue;
        }
        let flags = pte.flags();
        let va = va_base | (j << PAGE_SHIFT);
        let problem = if flags.contains(PteFlags::W) && !flags.contains(PteFlags::R) {
            Some("W without R (reserved: any access here faults)")
        } else if !pte.is_leaf() {
            Some("points to another table (a level-2 entry must be a leaf: faults)")
        } else {
            None
        };
        if let Some(problem) = problem {
            flush(&mut run, lines, &mut ranges);
            lines.push(format!(
                "    L2[{j:#05x}] at {} = {} for {}: {problem}",
                hex(addr),
                hex(pte.0),
                hex(va)
            ));
            continue;
        }
        pages += 1;
        let pa = pte.ppn().wrapping_shl(PAGE_SHIFT);
        let flags = flags - PteFlags::V;
        match &mut run {
            Some((va0, pa0, n, f))
                if *f == flags
                    && va0.wrapping_add(*n << PAGE_SHIFT) == va
                    && pa0.wrapping_add(*n << PAGE_SHIFT) == pa =>
            {
                *n += 1;
            }
            _ => {
                flush(&mut run, lines, &mut ranges);
                run = Some((va, pa, 1, flags));
            }
        }
    }
    flush(&mut run, lines, &mut ranges);
    (pages, ranges)
}
