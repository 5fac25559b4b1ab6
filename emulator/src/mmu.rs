//! The MMU: the hardware page walk and the TLB.
//!
//! [`walk`] performs the two-level walk of `docs/isa.md` and records every step, so the monitor
//! can show it; the CPU calls the same function on a TLB miss. The [`Tlb`] is the architectural
//! TLB: 256 entries, direct-mapped by virtual-address bits 19..12, tagged with an ASID (or
//! global). Each entry also carries what the interpreter's fast path needs: a tag that matches
//! only under the current ASID, a bit per (mode, access) that may proceed without the slow
//! path, and the frame's offset into host RAM. Those derived fields are recomputed whenever the
//! ASID, the code map or the entry changes; they never grant more than the entry does.

use ox32::pte::{l1_index, l2_index, Pte, PteFlags, ENTRIES, PAGE_SHIFT, PAGE_SIZE, TLB_ENTRIES};
use ox32::trap::Exception;

use crate::bus::Bus;

/// The kind of access being translated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// Instruction fetch.
    Fetch,
    /// Load.
    Load,
    /// Store, store-conditional or atomic.
    Store,
}

impl Access {
    /// The page-fault exception for this access.
    pub fn page_fault(self) -> Exception {
        match self {
            Access::Fetch => Exception::FetchPageFault,
            Access::Load => Exception::LoadPageFault,
            Access::Store => Exception::StorePageFault,
        }
    }

    /// The access-fault exception for this access.
    pub fn access_fault(self) -> Exception {
        match self {
            Access::Fetch => Exception::FetchAccess,
            Access::Load => Exception::LoadAccess,
            Access::Store => Exception::StoreAccess,
        }
    }
}

/// One page-table entry read during a walk.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WalkStep {
    /// 1 or 2.
    pub level: u8,
    /// Index into that level's table.
    pub index: u32,
    /// Physical address of the entry.
    pub pte_addr: u32,
    /// The entry as read (before any accessed/dirty update).
    pub pte: Pte,
}

/// A successful translation of one 4 KiB page.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Translation {
    /// Physical frame number of the 4 KiB page holding the address.
    pub ppn: u32,
    /// The leaf's flags (after any accessed/dirty update).
    pub flags: PteFlags,
    /// Whether the leaf was a level-1 superpage.
    pub superpage: bool,
}

/// Why a walk failed: the exception and a sentence for people.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WalkFault {
    /// The exception the access raises.
    pub exception: Exception,
    /// Why, in words.
    pub reason: &'static str,
}

/// The record of one walk.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Walk {
    /// The entries read, level 1 first.
    pub steps: [Option<WalkStep>; 2],
    /// The outcome.
    pub result: Result<Translation, WalkFault>,
}

/// Whether a leaf with `flags` allows `access` in the given mode; the reason if not.
pub fn check_permission(flags: PteFlags, access: Access, kernel: bool) -> Result<(), &'static str> {
    if !kernel && !flags.contains(PteFlags::U) {
        return Err("user access to a kernel page (U clear)");
    }
    match access {
        Access::Load if !flags.contains(PteFlags::R) => Err("page not readable (R clear)"),
        Access::Store if !flags.contains(PteFlags::W) => Err("page not writable (W clear)"),
        Access::Fetch if !flags.contains(PteFlags::X) => Err("page not executable (X clear)"),
        Access::Fetch if kernel && flags.contains(PteFlags::U) => Err("kernel fetch from a user page"),
        _ => Ok(()),
    }
}

/// Walks the page table rooted at frame `root` for `va`. With `update`, sets the accessed bit
/// (and the dirty bit for a store) in the leaf when the access is allowed; without it (the
/// monitor) memory is left untouched. Inlined: see `Cpu::translate`.
#[inline(always)]
pub fn walk(bus: &mut Bus, root: u32, va: u32, access: Access, kernel: bool, update: bool) -> Walk {
    let mut steps = [None, None];
    let fault = |exception, reason| Err(WalkFault { exception, reason });
    let mut table = root;
    let mut result = fault(access.page_fault(), "walk did not finish");
    for level in 1..=2u8 {
        let index = if level == 1 { l1_index(va) } else { l2_index(va) };
        let pte_addr = (table << PAGE_SHIFT).wrapping_add(index * 4);
        let Some(raw) = bus.ram_word(pte_addr) else {
            result = fault(access.access_fault(), "page-table entry is not in RAM");
            break;
        };
        let pte = Pte(raw);
        steps[level as usize - 1] = Some(WalkStep { level, index, pte_addr, pte });
        let flags = pte.flags();
        if !pte.is_valid() {
            result = fault(access.page_fault(), "entry not valid (V clear)");
            break;
        }
        if flags.contains(PteFlags::W) && !flags.contains(PteFlags::R) {
            result = fault(access.page_fault(), "reserved combination: W without R");
            break;
        }
        if !pte.is_leaf() {
            if level == 2 {
                result = fault(access.page_fault(), "level-2 entry points to another table");
                break;
            }
            table = pte.ppn();
            continue;
        }
        let superpage = level == 1;
        if superpage && !pte.ppn().is_multiple_of(ENTRIES) {
            result = fault(access.page_fault(), "superpage frame not aligned to 4 MiB");
            break;
        }
        if let Err(reason) = check_permission(flags, access, kernel) {
            result = fault(access.page_fault(), reason);
            break;
        }
        let mut flags = flags | PteFlags::A;
        if access == Access::Store {
            flags |= PteFlags::D;
        }
        if update && flags != pte.flags() {
            bus.set_ram_word(pte_addr, (pte.0 & !0xfff) | flags.bits());
        }
        let ppn = if superpage { pte.ppn() + l2_index(va) } else { pte.ppn() };
        result = Ok(Translation { ppn, flags, superpage });
        break;
    }
    Walk { steps, result }
}

/// Fast-path permission bits of a TLB entry, one per (mode, access).
pub mod fast {
    /// Kernel load.
    pub const KR: u8 = 1 << 0;
    /// Kernel store.
    pub const KW: u8 = 1 << 1;
    /// User load.
    pub const UR: u8 = 1 << 2;
    /// User store.
    pub const UW: u8 = 1 << 3;
}

/// One TLB entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TlbEntry {
    /// Holds a translation.
    pub valid: bool,
    /// Virtual page number.
    pub vpn: u32,
    /// Address space the entry belongs to (ignored when `G` is set).
    pub asid: u16,
    /// Physical frame number.
    pub ppn: u32,
    /// The leaf's flags.
    pub flags: PteFlags,
    /// `vpn + 1` while the entry is usable under the current ASID, else 0.
    pub(crate) tag: u32,
    /// Which [`fast`] accesses may skip the slow path.
    pub(crate) fast: u8,
    /// For each bit `k` of [`fast`], the VPN when `fast` has it, else `u32::MAX` (no VPN): an
    /// access of that kind at `va` takes the fast path when `fast_tags[k] == va >> 12`, one
    /// comparison for translated code.
    pub(crate) fast_tags: [u32; 4],
    /// The host RAM offset of any `va` in the page is `va + addend` (modulo 2^32; meaningful
    /// when `fast` is not 0): the frame's offset in RAM minus the page's virtual address.
    pub(crate) addend: u32,
}

impl Default for TlbEntry {
    fn default() -> TlbEntry {
        TlbEntry {
            valid: false,
            vpn: 0,
            asid: 0,
            ppn: 0,
            flags: PteFlags::empty(),
            tag: 0,
            fast: 0,
            fast_tags: [u32::MAX; 4],
            addend: 0,
        }
    }
}

impl TlbEntry {
    /// The offset in host RAM of the frame (meaningful when `fast` is not 0).
    fn ram_off(&self) -> u32 {
        self.addend.wrapping_add(self.vpn << PAGE_SHIFT)
    }
}

/// The TLB and its counters.
#[derive(Clone, Debug)]
pub struct Tlb {
    /// The entries, indexed by VPN modulo 256.
    pub entries: Box<[TlbEntry; TLB_ENTRIES]>,
    /// Lookups that found their translation.
    pub hits: u64,
    /// Lookups that needed a walk.
    pub misses: u64,
    /// `tlbflush` instructions executed.
    pub flushes: u64,
}

impl Default for Tlb {
    fn default() -> Tlb {
        Tlb { entries: Box::new([TlbEntry::default(); TLB_ENTRIES]), hits: 0, misses: 0, flushes: 0 }
    }
}

/// The slot of `va` in the TLB.
#[inline(always)]
pub fn slot(va: u32) -> usize {
    (va >> PAGE_SHIFT) as usize % TLB_ENTRIES
}

impl Tlb {
    /// The entry translating `va` under `asid`, if present.
    pub fn lookup(&self, va: u32, asid: u16) -> Option<&TlbEntry> {
        let e = &self.entries[slot(va)];
        (e.valid && e.vpn == va >> PAGE_SHIFT && (e.flags.contains(PteFlags::G) || e.asid == asid))
            .then_some(e)
    }

    /// Caches a translation of `va` for `asid`.
    pub fn insert(&mut self, va: u32, asid: u16, t: &Translation, bus: &Bus) {
        let e = &mut self.entries[slot(va)];
        *e = TlbEntry {
            valid: true,
            vpn: va >> PAGE_SHIFT,
            asid,
            ppn: t.ppn,
            flags: t.flags,
            ..TlbEntry::default()
        };
        refresh_entry(e, asid, bus);
    }

    /// Removes entries as `tlbflush` does: `va` (or all) of `asid` (or all, globals included).
    pub fn flush(&mut self, va: Option<u32>, asid: Option<u16>) {
        self.flushes += 1;
        for e in self.entries.iter_mut() {
            let page_matches = va.is_none_or(|va| e.vpn == va >> PAGE_SHIFT);
            let asid_matches = asid.is_none_or(|a| !e.flags.contains(PteFlags::G) && e.asid == a);
            if e.valid && page_matches && asid_matches {
                *e = TlbEntry::default();
            }
        }
    }

    /// Recomputes every entry's fast-path fields for the current ASID and code map.
    pub fn refresh(&mut self, asid: u16, bus: &Bus) {
        for e in self.entries.iter_mut() {
            refresh_entry(e, asid, bus);
        }
    }

    /// Removes fast store permission from entries mapping RAM frame offset `ram_off` (the frame
    /// now holds decoded code, so stores must take the slow path to notice).
    pub fn revoke_fast_store(&mut self, ram_off: u32) {
        for e in self.entries.iter_mut().filter(|e| e.fast != 0 && e.ram_off() == ram_off) {
            e.fast &= !(fast::KW | fast::UW);
            e.fast_tags[fast::KW.trailing_zeros() as usize] = u32::MAX;
            e.fast_tags[fast::UW.trailing_zeros() as usize] = u32::MAX;
        }
    }
}

#[inline(always)]
fn refresh_entry(e: &mut TlbEntry, asid: u16, bus: &Bus) {
    let live = e.valid && (e.flags.contains(PteFlags::G) || e.asid == asid);
    e.tag = if live { e.vpn + 1 } else { 0 };
    e.fast = 0;
    e.fast_tags = [u32::MAX; 4];
    let pa = e.ppn.wrapping_shl(PAGE_SHIFT);
    let Some(off) = bus.ram_offset(pa, PAGE_SIZE).filter(|_| live && e.ppn < 1 << 20) else { return };
    e.addend = (off as u32).wrapping_sub(e.vpn << PAGE_SHIFT);
    let f = e.flags;
    let writable = f.contains(PteFlags::W) && f.contains(PteFlags::D) && !bus.is_code(off >> PAGE_SHIFT);
    if f.contains(PteFlags::R) {
        e.fast |= fast::KR;
        if f.contains(PteFlags::U) {
            e.fast |= fast::UR;
        }
    }
    if writable {
        e.fast |= fast::KW;
        if f.contains(PteFlags::U) {
            e.fast |= fast::UW;
        }
    }
    for (k, tag) in e.fast_tags.iter_mut().enumerate() {
        if e.fast & 1 << k != 0 {
            *tag = e.vpn;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ox32::memmap::RAM_BASE;

    const ROOT: u32 = RAM_BASE >> PAGE_SHIFT;
    const L2: u32 = ROOT + 1;
    const DATA: u32 = ROOT + 2;

    /// A bus with a root table at the start of RAM mapping 0x0040_0000 through a level-2 table.
    fn setup(leaf: PteFlags) -> Bus {
        let mut bus = Bus::new(1 << 20);
        let va = 0x0040_3000u32;
        bus.set_ram_word((ROOT << 12) + 4 * l1_index(va), Pte::new(L2, PteFlags::V).0);
        bus.set_ram_word((L2 << 12) + 4 * l2_index(va), Pte::new(DATA, leaf | PteFlags::V).0);
        bus
    }

    #[test]
    fn walk_translates_and_sets_accessed_and_dirty() {
        let mut bus = setup(PteFlags::R | PteFlags::W | PteFlags::U);
        let w = walk(&mut bus, ROOT, 0x0040_3abc, Access::Load, false, true);
        let t = w.result.unwrap();
        assert_eq!(t.ppn, DATA);
        assert!(t.flags.contains(PteFlags::A) && !t.flags.contains(PteFlags::D));
        assert_eq!(w.steps[0].unwrap().index, 1);
        assert_eq!(w.steps[1].unwrap().index, 3);
        let leaf_addr = w.steps[1].unwrap().pte_addr;
        assert_eq!(Pte(bus.ram_word(leaf_addr).unwrap()).flags() & (PteFlags::A | PteFlags::D), PteFlags::A);
        walk(&mut bus, ROOT, 0x0040_3000, Access::Store, false, true).result.unwrap();
        assert!(Pte(bus.ram_word(leaf_addr).unwrap()).flags().contains(PteFlags::D));
    }

    #[test]
    fn walk_without_update_leaves_memory_alone() {
        let mut bus = setup(PteFlags::R);
        let w = walk(&mut bus, ROOT, 0x0040_3000, Access::Load, true, false);
        assert!(w.result.is_ok());
        assert!(!Pte(bus.ram_word(w.steps[1].unwrap().pte_addr).unwrap()).flags().contains(PteFlags::A));
    }

    #[test]
    fn permission_faults() {
        let mut bus = setup(PteFlags::R | PteFlags::X);
        let cases = [
            (Access::Store, true, "page not writable (W clear)"),
            (Access::Load, false, "user access to a kernel page (U clear)"),
        ];
        for (access, kernel, reason) in cases {
            let fault = walk(&mut bus, ROOT, 0x0040_3000, access, kernel, true).result.unwrap_err();
            assert_eq!(fault.reason, reason);
            assert_eq!(fault.exception, access.page_fault());
        }
        let mut bus = setup(PteFlags::R | PteFlags::X | PteFlags::U);
        let fault = walk(&mut bus, ROOT, 0x0040_3000, Access::Fetch, true, true).result.unwrap_err();
        assert_eq!(fault.reason, "kernel fetch from a user page");
        let mut bus = setup(PteFlags::W);
        let fault = walk(&mut bus, ROOT, 0x0040_3000, Access::Load, true, true).result.unwrap_err();
        assert_eq!(fault.reason, "reserved combination: W without R");
    }

    #[test]
    fn unmapped_and_outside_ram() {
        let mut bus = setup(PteFlags::R);
        let w = walk(&mut bus, ROOT, 0x0080_0000, Access::Load, true, true);
        assert_eq!(w.result.unwrap_err().reason, "entry not valid (V clear)");
        assert!(w.steps[1].is_none());
        let w = walk(&mut bus, 0x1234, 0, Access::Store, true, true);
        assert_eq!(w.result.unwrap_err().exception, Exception::StoreAccess);
    }

    #[test]
    fn superpages_map_4_mib_and_must_be_aligned() {
        let mut bus = Bus::new(1 << 20);
        let big = 0x80400u32;
        bus.set_ram_word(ROOT << 12, Pte::new(big, PteFlags::V | PteFlags::R).0);
        let t = walk(&mut bus, ROOT, 0x0012_3456, Access::Load, true, true).result.unwrap();
        assert!(t.superpage);
        assert_eq!(t.ppn, big + 0x123);
        bus.set_ram_word(ROOT << 12, Pte::new(big + 1, PteFlags::V | PteFlags::R).0);
        let fault = walk(&mut bus, ROOT, 0x0012_3456, Access::Load, true, true).result.unwrap_err();
        assert_eq!(fault.reason, "superpage frame not aligned to 4 MiB");
    }

    #[test]
    fn tlb_respects_asids_globals_and_flushes() {
        let bus = Bus::new(1 << 20);
        let mut tlb = Tlb::default();
        let t = Translation { ppn: DATA, flags: PteFlags::V | PteFlags::R | PteFlags::A, superpage: false };
        tlb.insert(0x1000, 1, &t, &bus);
        assert!(tlb.lookup(0x1fff, 1).is_some());
        assert!(tlb.lookup(0x1000, 2).is_none(), "other ASID");
        let g = Translation { flags: t.flags | PteFlags::G, ..t };
        tlb.insert(0x2000, 1, &g, &bus);
        assert!(tlb.lookup(0x2000, 7).is_some(), "global");
        tlb.flush(None, Some(1));
        assert!(tlb.lookup(0x1000, 1).is_none());
        assert!(tlb.lookup(0x2000, 1).is_some(), "globals survive an ASID flush");
        tlb.flush(Some(0x2000), None);
        assert!(tlb.lookup(0x2000, 1).is_none());
        assert_eq!(tlb.flushes, 2);
    }

    #[test]
    fn fast_path_needs_dirty_for_stores_and_matching_asid() {
        let mut bus = Bus::new(1 << 20);
        let mut tlb = Tlb::default();
        let clean = Translation {
            ppn: DATA,
            flags: PteFlags::V | PteFlags::R | PteFlags::W | PteFlags::A,
            superpage: false,
        };
        tlb.insert(0x1000, 1, &clean, &bus);
        assert_eq!(tlb.entries[1].fast, fast::KR);
        let dirty = Translation { flags: clean.flags | PteFlags::D | PteFlags::U, ..clean };
        tlb.insert(0x1000, 1, &dirty, &bus);
        assert_eq!(tlb.entries[1].fast, fast::KR | fast::KW | fast::UR | fast::UW);
        tlb.refresh(2, &bus);
        assert_eq!((tlb.entries[1].tag, tlb.entries[1].fast), (0, 0));
        tlb.refresh(1, &bus);
        bus.set_code((DATA - ROOT) as usize, true);
        tlb.revoke_fast_store((DATA - ROOT) << PAGE_SHIFT);
        assert_eq!(tlb.entries[1].fast, fast::KR | fast::UR);
    }
}
