//! The pmap: the only code that knows ox32's page-table format (docs/isa.md §10).
//!
//! Layout of every address space:
//! - `0x0000_0000..USER_TOP` (level-1 entries 0..63): the process's own pages, 4 KiB leaves
//!   with `U`, in level-2 tables the [`PageTable`] owns. The frames its leaves map are not its
//!   own: they belong to the memory objects of the machine-independent VM ([`crate::vm`],
//!   `ox-vm`), for which a page table is only a cache of resolved pages.
//! - the device windows (`0x1000_0000`, one 4 MiB superpage) and all of RAM
//!   (`0x8000_0000..`, 4 MiB superpages), identity-mapped, kernel-only and global. Every
//!   table copies these level-1 entries from the kernel's table, so the kernel runs unchanged
//!   whichever process's table is active, and its TLB entries survive address-space switches.
//!
//! A and D are preset in every leaf the kernel writes, so the walker never has to write them.
//!
//! Counters ([`counts`]): the user pages mapped and the page-table frames of address spaces,
//! kept at every enter, remove and drop, so a leaked address space shows in them.
//!
//! The entry format, the table shape and the memory map are the ISA's, from the `ox32` crate
//! (`ox32::pte`, `ox32::memmap`), the same definitions the emulator's page walker uses.

use core::cell::Cell;
use core::sync::atomic::{AtomicU32, Ordering};

use ox32::memmap::UART_BASE;
use ox32::pte::{l1_index, l2_index, PAGE_SHIFT, SUPERPAGE_SIZE};
use ox_abi::{Errno, USER_BASE, USER_TOP};

use crate::arch;
use crate::frame::{self, Frame, FRAME_SIZE};
use crate::global::Global;

pub use ox32::memmap::RAM_BASE;
pub use ox32::pte::PteFlags;

/// Physical (and kernel virtual) base of the device windows: the first device, the UART;
/// every device window lies in this one superpage.
const DEVICES_BASE: u32 = UART_BASE;
/// Level-1 entries that belong to user space.
const USER_L1_ENTRIES: usize = (USER_TOP / SUPERPAGE_SIZE) as usize;

/// The kernel's own table: the template for every address space, and the one active while
/// no process's is.
static KERNEL_ROOT: Global<Option<Frame>> = Global::new("kernel page table", None);

/// User pages mapped in every [`PageTable`].
static USER_PAGES: AtomicU32 = AtomicU32::new(0);
/// Frames of every [`PageTable`]'s own tables (roots and level-2 tables).
static TABLE_FRAMES: AtomicU32 = AtomicU32::new(0);

/// User pages mapped and page-table frames held, over all address spaces.
pub fn counts() -> (u32, u32) {
    (USER_PAGES.load(Ordering::Relaxed), TABLE_FRAMES.load(Ordering::Relaxed))
}

fn table(frame: Frame) -> &'static mut [u32; 1024] {
    // Safety: page-table frames are owned by their PageTable (or are the kernel's root) and
    // only ever accessed through this module, one access at a time (the kernel is never
    // interrupted).
    unsafe { &mut *(frame.addr() as *mut [u32; 1024]) }
}

fn leaf(frame: Frame, flags: PteFlags) -> u32 {
    frame.addr() | (flags | PteFlags::V | PteFlags::A | PteFlags::D).bits()
}

fn entry_frame(pte: u32) -> Frame {
    Frame::from_addr(pte & !(FRAME_SIZE - 1))
}

/// Builds the kernel's table (devices and `ram_size` bytes of RAM, identity-mapped, kernel
/// only, global) and turns paging on with it.
pub fn init(ram_size: u32) {
    let root = frame::alloc().unwrap_or_else(|| panic!("no frame for the kernel page table"));
    let entries = table(root);
    let kernel = PteFlags::R | PteFlags::W | PteFlags::G;
    entries[l1_index(DEVICES_BASE) as usize] = leaf(Frame::from_addr(DEVICES_BASE), kernel);
    let ram_end = RAM_BASE as u64 + ram_size as u64;
    let mut base = RAM_BASE as u64;
    while base < ram_end {
        entries[(base / SUPERPAGE_SIZE as u64) as usize] =
            leaf(Frame::from_addr(base as u32), kernel | PteFlags::X);
        base += SUPERPAGE_SIZE as u64;
    }
    *KERNEL_ROOT.lock() = Some(root);
    activate_kernel();
}

/// Makes the kernel's own table active (for when the current process's is going away).
pub fn activate_kernel() {
    let root = KERNEL_ROOT.lock().unwrap_or_else(|| panic!("the kernel page table is not built"));
    // Safety: the kernel's table maps the kernel identically to every other table.
    unsafe { arch::set_page_table(root.addr(), 0) };
}

/// One address space's page table.
pub struct PageTable {
    root: Frame,
    asid: u32,
    /// Pages mapped: a table with none left, or one emptied whole, is cleared without a walk
    /// over its entries.
    leaves: u32,
    /// The last two pages [`PageTable::lookup`] found mapped: their page numbers plus one (0:
    /// none) and their entries, newest first. A system call's copies and a message's read and
    /// write look at the same few pages again and again (an RPC's two buffers, every round);
    /// every change to the table forgets them ([`PageTable::changed`]).
    recent: Cell<[(u32, u32); 2]>,
}

/// No page remembered.
const FORGOTTEN: [(u32, u32); 2] = [(0, 0); 2];

impl PageTable {
    /// An empty user address space with ASID `asid`, sharing the kernel's mappings.
    pub fn new(asid: u32) -> Result<PageTable, Errno> {
        let root = frame::alloc().ok_or(Errno::NoMem)?;
        TABLE_FRAMES.fetch_add(1, Ordering::Relaxed);
        let kernel = KERNEL_ROOT.lock().unwrap_or_else(|| panic!("the kernel page table is not built"));
        table(root)[USER_L1_ENTRIES..].copy_from_slice(&table(kernel)[USER_L1_ENTRIES..]);
        // The ASID may have belonged to a dead address space: drop its stale entries.
        arch::flush_asid(asid);
        Ok(PageTable { root, asid, leaves: 0, recent: Cell::new(FORGOTTEN) })
    }

    /// Makes this table active.
    pub fn activate(&self) {
        // Safety: the table shares the kernel's level-1 entries (`new`).
        unsafe { arch::set_page_table(self.root.addr(), self.asid) };
    }

    /// Forgets the pages [`PageTable::lookup`] remembers: every change to an entry calls it
    /// (through `entry`, `clear` and `for_each_entry`).
    fn changed(&self) {
        self.recent.set(FORGOTTEN);
    }

    /// The level-2 entry for user address `va`, creating its table if `create`.
    fn entry(&mut self, va: u32, create: bool) -> Result<Option<&'static mut u32>, Errno> {
        let l1 = l1_index(va) as usize;
        assert!(l1 < USER_L1_ENTRIES, "pmap: {va:#010x} is not a user address");
        self.changed();
        let root = table(self.root);
        if root[l1] & PteFlags::V.bits() == 0 {
            if !create {
                return Ok(None);
            }
            let l2 = frame::alloc().ok_or(Errno::NoMem)?;
            TABLE_FRAMES.fetch_add(1, Ordering::Relaxed);
            root[l1] = l2.addr() | PteFlags::V.bits();
        }
        let l2 = table(entry_frame(root[l1]));
        Ok(Some(&mut l2[l2_index(va) as usize]))
    }

    /// Maps the page at `va` to `frame` with `flags` (plus V, U, A, D), replacing any mapping
    /// (the frame stays its memory object's). `NoMem` when a level-2 table cannot be had.
    pub fn enter(&mut self, va: u32, frame: Frame, flags: PteFlags) -> Result<(), Errno> {
        let Some(entry) = self.entry(va, true)? else { unreachable!("entry(create) gives an entry") };
        let old = *entry;
        *entry = leaf(frame, flags | PteFlags::U);
        if old & PteFlags::V.bits() == 0 {
            USER_PAGES.fetch_add(1, Ordering::Relaxed);
            self.leaves += 1;
        } else {
            arch::flush_asid(self.asid);
        }
        Ok(())
    }

    /// Calls `f` on the level-2 entry of every page of `start..end` that has a level-2 table
    /// (page-aligned bounds, cut to user space); returns whether `f` changed any.
    fn for_each_entry(&mut self, start: u32, end: u32, mut f: impl FnMut(&mut u32) -> bool) -> bool {
        self.changed();
        let (end, root) = (end.min(USER_TOP), table(self.root));
        let (mut va, mut changed) = (start, false);
        while va < end {
            let dir = root[l1_index(va) as usize];
            let next_dir = (va / SUPERPAGE_SIZE + 1).saturating_mul(SUPERPAGE_SIZE);
            if dir & PteFlags::V.bits() == 0 {
                va = next_dir;
                continue;
            }
            let l2 = table(entry_frame(dir));
            while va < end && va < next_dir {
                changed |= f(&mut l2[l2_index(va) as usize]);
                va += FRAME_SIZE;
            }
        }
        changed
    }

    /// Removes every mapping in `start..end` (page-aligned).
    pub fn remove(&mut self, start: u32, end: u32) {
        if self.leaves == 0 {
            return;
        }
        if start <= USER_BASE && end >= USER_TOP {
            // All of user space (an address space going away): nothing is mapped below it.
            self.clear();
            return;
        }
        let mut removed = 0;
        let changed = self.for_each_entry(start, end, |entry| {
            let mapped = *entry & PteFlags::V.bits() != 0;
            if mapped {
                *entry = 0;
                removed += 1;
            }
            mapped
        });
        USER_PAGES.fetch_sub(removed, Ordering::Relaxed);
        self.leaves -= removed;
        if changed {
            arch::flush_asid(self.asid);
        }
    }

    /// Removes every user mapping: frees the level-2 tables (not the frames their leaves map:
    /// those are their memory objects'), without looking at their entries.
    fn clear(&mut self) {
        self.changed();
        let root = table(self.root);
        for dir in root[..USER_L1_ENTRIES].iter_mut().filter(|d| **d & PteFlags::V.bits() != 0) {
            // Safety: the level-2 table belongs to this table alone, and its entry goes now.
            unsafe { frame::free(entry_frame(*dir)) };
            *dir = 0;
            TABLE_FRAMES.fetch_sub(1, Ordering::Relaxed);
        }
        USER_PAGES.fetch_sub(self.leaves, Ordering::Relaxed);
        self.leaves = 0;
        arch::flush_asid(self.asid);
    }

    /// Keeps, of every mapping in `start..end` (page-aligned), only the rights in `keep`
    /// (of R, W, X).
    pub fn protect(&mut self, start: u32, end: u32, keep: PteFlags) {
        let rights = PteFlags::R | PteFlags::W | PteFlags::X;
        let drop = (rights - keep).bits();
        let changed = self.for_each_entry(start, end, |entry| {
            let lowered = *entry & PteFlags::V.bits() != 0 && *entry & drop != 0;
            if lowered {
                *entry &= !drop;
                // Hardware refuses W without R: such a page keeps neither.
                if *entry & PteFlags::R.bits() == 0 {
                    *entry &= !PteFlags::W.bits();
                }
            }
            lowered
        });
        if changed {
            arch::flush_asid(self.asid);
        }
    }

    /// The frame and flags `va`'s page is mapped to.
    pub fn lookup(&self, va: u32) -> Option<(Frame, PteFlags)> {
        let found = |entry: u32| Some((entry_frame(entry), PteFlags::from_bits_truncate(entry)));
        let page = (va >> PAGE_SHIFT) + 1;
        let [newer, older] = self.recent.get();
        if newer.0 == page {
            return found(newer.1);
        }
        if older.0 == page {
            self.recent.set([older, newer]);
            return found(older.1);
        }
        let l1 = l1_index(va) as usize;
        if l1 >= USER_L1_ENTRIES {
            return None;
        }
        let dir = table(self.root)[l1];
        if dir & PteFlags::V.bits() == 0 {
            return None;
        }
        let entry = table(entry_frame(dir))[l2_index(va) as usize];
        if entry & PteFlags::V.bits() == 0 {
            return None;
        }
        self.recent.set([(page, entry), newer]);
        found(entry)
    }
}

impl Drop for PageTable {
    /// Frees every level-2 table and the root (not the frames the leaves map: those are
    /// their memory objects'). The table must not be active.
    fn drop(&mut self) {
        self.clear();
        // Safety: the root belongs to this table, which is not active (the caller's duty).
        unsafe { frame::free(self.root) };
        TABLE_FRAMES.fetch_sub(1, Ordering::Relaxed);
    }
}
