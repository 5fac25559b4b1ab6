//! Address spaces: each process's memory as a Mach address map (`ox-vm`, docs/vm.md) over this
//! node's frames and page tables.
//!
//! The machine-independent layer decides everything: which regions exist, their rights, and
//! which frame holds each page (memory objects, shadow chains for copy-on-write). This module
//! gives it the machine: [`KernelMem`] (the frame allocator; a frame's id is its physical page
//! number) and [`KernelPmap`] (the ox32 page tables of [`pmap`](crate::pmap), a cache the VM
//! fills on faults). One [`Vm`] serves the whole node; each [`AddressSpace`] owns one map.
//!
//! A process's address space has three kinds of region below `USER_TOP`:
//! - the **image**, loaded by the ELF loader from `USER_BASE` up, each page with its segment's
//!   rights ([`AddressSpace::load`], [`AddressSpace::set_rights`]);
//! - the **heap**, from the page after the image up to the break, grown and shrunk by `sbrk`
//!   (regions allocated and deallocated; pages are zero-filled on first touch);
//! - the **stack**, the top `USER_STACK_MAX` bytes, one region made with the address space,
//!   zero-filled on first touch.
//!
//! Everything else faults. `fork` copies the map by inheritance (copy-on-write). The kernel
//! reaches user memory only through [`AddressSpace::copy_in`] and [`AddressSpace::copy_out`],
//! which go through the map with the process's rights (user pointers are allegations), so a
//! bad pointer from a process becomes `EFAULT`, never a kernel fault.

use alloc::vec::Vec;
use core::sync::atomic::{AtomicBool, AtomicU32, Ordering};

use ox_abi::{
    Errno, NodeStats, VmRegion, USER_BASE, USER_STACK_MAX, USER_TOP, VM_ANYWHERE_BASE, VM_INHERIT_COPY,
    VM_INHERIT_NONE, VM_INHERIT_SHARE, VM_PROT_ALL,
};
use ox_vm::{
    FaultError, FrameId, Inheritance, Lookup, Map, MapCopy, ObjectId, OutOfFrames, PageIndex, Pager, PhysMem,
    Placement, Pmap, Prot, VAddr, Vm, VmError,
};

use crate::exception::code;
use crate::frame::{self, Frame, FRAME_SIZE};
use crate::global::Global;
use crate::pmap::{PageTable, PteFlags};

/// Lowest address of the stack region.
pub const STACK_BOTTOM: u32 = USER_TOP - USER_STACK_MAX;

/// Rounds `addr` up to a page boundary.
pub fn page_up(addr: u32) -> u32 {
    addr.next_multiple_of(FRAME_SIZE)
}

/// Rounds `addr` down to a page boundary.
pub fn page_down(addr: u32) -> u32 {
    addr & !(FRAME_SIZE - 1)
}

/// The page-table flags a user page needs for `access` by the process itself.
fn user_flags(access: Access) -> PteFlags {
    PteFlags::U
        | match access {
            Access::Read => PteFlags::R,
            Access::Write => PteFlags::W,
            Access::Execute => PteFlags::X,
        }
}

/// The kind of access a page must allow.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// Reading (copy_in, loads).
    Read,
    /// Writing (copy_out, stores).
    Write,
    /// Fetching instructions.
    Execute,
}

impl Access {
    /// The access a page-fault trap with `cause` was making, if it is a page fault (the ones
    /// the VM serves: first touches, copy-on-write; the others are signals).
    pub fn of_page_fault(cause: u32) -> Option<Access> {
        match cause {
            code::FETCH_PAGE_FAULT => Some(Access::Execute),
            code::LOAD_PAGE_FAULT => Some(Access::Read),
            code::STORE_PAGE_FAULT => Some(Access::Write),
            _ => None,
        }
    }

    fn vm(self) -> ox_vm::Access {
        match self {
            Access::Read => ox_vm::Access::Read,
            Access::Write => ox_vm::Access::Write,
            Access::Execute => ox_vm::Access::Execute,
        }
    }
}

/// The frame with id `id` (its physical page number).
fn frame_of(id: FrameId) -> Frame {
    Frame::from_addr(id.0 << 12)
}

/// The id of `frame`.
fn id_of(frame: Frame) -> FrameId {
    FrameId(frame.addr() >> 12)
}

/// Page-table rights for VM rights (write implies read: ox32 refuses W without R).
fn flags_of(prot: Prot) -> PteFlags {
    let mut flags = PteFlags::empty();
    if prot.contains(Prot::READ) || prot.contains(Prot::WRITE) {
        flags |= PteFlags::R;
    }
    if prot.contains(Prot::WRITE) {
        flags |= PteFlags::W;
    }
    if prot.contains(Prot::EXECUTE) {
        flags |= PteFlags::X;
    }
    flags
}

/// VM rights for page-table rights (R, W, X).
pub fn prot_of(flags: PteFlags) -> Prot {
    let mut prot = Prot::NONE;
    for (flag, right) in [(PteFlags::R, Prot::READ), (PteFlags::W, Prot::WRITE), (PteFlags::X, Prot::EXECUTE)]
    {
        if flags.contains(flag) {
            prot = prot.union(right);
        }
    }
    prot
}

/// This node's frames, as the VM sees them.
#[derive(Debug)]
pub struct KernelMem;

impl PhysMem for KernelMem {
    fn allocate(&mut self) -> Option<FrameId> {
        frame::alloc().map(id_of)
    }

    fn free(&mut self, id: FrameId) {
        // Safety: the VM gives a frame back only when nothing refers to it any more, and every
        // frame it has came from `allocate`.
        unsafe { frame::free(frame_of(id)) };
    }

    fn zero(&mut self, id: FrameId) {
        // Safety: the VM owns the frame (it allocated it) and touches it only here.
        unsafe { frame_of(id).bytes_mut().fill(0) };
    }

    fn copy(&mut self, from: FrameId, to: FrameId) {
        if from != to {
            // Safety: two distinct frames the VM owns; RAM is identity-mapped for the kernel.
            let (src, dst) = unsafe { (frame_of(from).bytes_mut(), frame_of(to).bytes_mut()) };
            dst.copy_from_slice(src);
        }
    }

    fn read(&self, id: FrameId, offset: usize, buf: &mut [u8]) {
        // Safety: as for `copy`; the VM keeps `offset + buf.len()` within the page.
        let page = unsafe { frame_of(id).bytes_mut() };
        buf.copy_from_slice(&page[offset..offset + buf.len()]);
    }

    fn write(&mut self, id: FrameId, offset: usize, data: &[u8]) {
        // Safety: as for `read`.
        let page = unsafe { frame_of(id).bytes_mut() };
        page[offset..offset + data.len()].copy_from_slice(data);
    }
}

/// One address space's ox32 page tables, as the VM's pmap.
pub struct KernelPmap(PageTable);

impl Pmap for KernelPmap {
    fn enter(&mut self, va: VAddr, frame: FrameId, prot: Prot) -> Result<(), OutOfFrames> {
        self.0.enter(va.0, frame_of(frame), flags_of(prot)).map_err(|_| OutOfFrames)
    }

    fn remove(&mut self, start: VAddr, end: VAddr) {
        self.0.remove(start.0, end.0);
    }

    fn protect(&mut self, start: VAddr, end: VAddr, prot: Prot) {
        self.0.protect(start.0, end.0, flags_of(prot));
    }

    fn extract(&self, va: VAddr) -> Option<(FrameId, Prot)> {
        self.0.lookup(va.0).map(|(frame, flags)| (id_of(frame), prot_of(flags)))
    }
}

/// The node's memory objects and frames, shared by every address space.
static VM: Global<Option<Vm<KernelMem>>> = Global::new("virtual memory", None);

/// Runs `f` on the node's VM.
fn with_vm<R>(f: impl FnOnce(&mut Vm<KernelMem>) -> R) -> R {
    let mut vm = VM.lock();
    f(vm.get_or_insert_with(|| Vm::new(KernelMem)))
}

/// Memory objects, frames held by them and map entries alive on this node, and the deepest
/// shadow chain: the VM's leak counters.
pub fn counts() -> (usize, usize, usize, usize) {
    with_vm(|vm| {
        let counts = vm.counts();
        (counts.objects, counts.frames, counts.entries, vm.deepest_chain())
    })
}

/// Puts the VM's counters in `stats` (objects, entries, deepest chain).
pub fn count_into(stats: &mut NodeStats) {
    let (objects, _, entries, deepest) = counts();
    stats.vm_objects = objects as u32;
    stats.vm_entries = entries as u32;
    stats.vm_deepest_chain = deepest as u32;
}

/// Why the VM refused, as an errno.
fn errno(e: ox_vm::VmError) -> Errno {
    match e {
        ox_vm::VmError::ResourceShortage => Errno::NoMem,
        ox_vm::VmError::NoSpace => Errno::NoMem,
        _ => Errno::Inval,
    }
}

/// Why the VM refused a virtual-memory call, as the call's errno (docs/vm.md): Mach's
/// `KERN_INVALID_ADDRESS` is `EFAULT`, `KERN_NO_SPACE` and `KERN_RESOURCE_SHORTAGE` are
/// `ENOMEM`, `KERN_PROTECTION_FAILURE` is `EACCES`, `KERN_INVALID_ARGUMENT` is `EINVAL`.
fn call_errno(e: VmError) -> Errno {
    match e {
        VmError::InvalidAddress => Errno::Fault,
        VmError::NoSpace | VmError::ResourceShortage => Errno::NoMem,
        VmError::ProtectionFailure => Errno::Acces,
        VmError::InvalidArgument => Errno::Inval,
    }
}

/// The rights of a `VM_PROT_*` word (`EINVAL` for other bits).
fn prot_of_word(word: u32) -> Result<Prot, Errno> {
    if word & !VM_PROT_ALL != 0 {
        return Err(Errno::Inval);
    }
    Ok(Prot::from_bits_truncate(word as u8))
}

/// A `VM_INHERIT_*` word for an inheritance, and back.
fn inheritance_word(inheritance: Inheritance) -> u32 {
    match inheritance {
        Inheritance::Share => VM_INHERIT_SHARE,
        Inheritance::Copy => VM_INHERIT_COPY,
        Inheritance::None => VM_INHERIT_NONE,
    }
}

/// One process's memory.
pub struct AddressSpace {
    /// The map; `None` only while it is being destroyed.
    map: Option<Map<KernelPmap>>,
    heap_start: u32,
    brk: u32,
}

impl AddressSpace {
    /// An address space with ASID `asid` and nothing but its (untouched) stack region.
    pub fn new(asid: u32) -> Result<AddressSpace, Errno> {
        let table = PageTable::new(asid)?;
        let mut map = Map::new(VAddr(USER_BASE), VAddr(USER_TOP), KernelPmap(table)).map_err(errno)?;
        let stack = with_vm(|vm| {
            map.allocate(
                vm,
                Placement::Fixed(VAddr(STACK_BOTTOM)),
                USER_STACK_MAX,
                Prot::READ.union(Prot::WRITE),
            )
        });
        let space = AddressSpace { map: Some(map), heap_start: USER_BASE, brk: USER_BASE };
        stack.map_err(errno)?;
        Ok(space)
    }

    fn map(&mut self) -> &mut Map<KernelPmap> {
        self.map.as_mut().unwrap_or_else(|| unreachable!("an address space has its map until dropped"))
    }

    /// Makes this address space the current one.
    pub fn activate(&self) {
        if let Some(map) = &self.map {
            map.pmap().0.activate();
        }
    }

    /// Where the heap starts and where the break is (for a process image).
    pub fn heap(&self) -> (u32, u32) {
        (self.heap_start, self.brk)
    }

    /// Sets the heap's start and break as a process image recorded them (the pages are
    /// placed separately).
    pub fn set_heap(&mut self, heap_start: u32, brk: u32) {
        self.heap_start = heap_start;
        self.brk = brk;
    }

    /// Sets where the image ends: the heap starts on the next page.
    pub fn set_image_end(&mut self, end: u32) {
        self.heap_start = page_up(end);
        self.brk = self.heap_start;
    }

    /// Makes the pages of `start..end` (page-aligned) that are in no region yet a region
    /// (readable and writable, so that data can go in), then writes `data` at `at` (inside the
    /// range). The loader sets the final rights with [`AddressSpace::set_rights`] once every
    /// segment is in. For the ELF loader and images arriving over a link.
    pub fn load(&mut self, start: u32, end: u32, at: u32, data: &[u8]) -> Result<(), Errno> {
        let map = self.map.as_mut().ok_or(Errno::Fault)?;
        with_vm(|vm| {
            let mut page = start;
            while page < end {
                // A run of pages with no region yet becomes one region.
                let run_end = (page..end)
                    .step_by(FRAME_SIZE as usize)
                    .find(|&p| map.lookup(VAddr(p)).is_some())
                    .unwrap_or(end);
                if run_end > page {
                    let rw = Prot::READ.union(Prot::WRITE);
                    map.allocate(vm, Placement::Fixed(VAddr(page)), run_end - page, rw).map_err(errno)?;
                    page = run_end;
                } else {
                    let writable = map.lookup(VAddr(page)).is_some_and(|e| e.prot.contains(Prot::WRITE));
                    if !writable {
                        let rw = Prot::READ.union(Prot::WRITE);
                        map.protect(vm, VAddr(page), FRAME_SIZE, false, rw).map_err(errno)?;
                    }
                    page += FRAME_SIZE;
                }
            }
            map.write(vm, VAddr(at), data).map_err(|e| match e {
                FaultError::OutOfFrames => Errno::NoMem,
                _ => Errno::Fault,
            })
        })
    }

    /// Sets the rights of `start..end` (page-aligned) to `flags` (after loading).
    pub fn set_rights(&mut self, start: u32, end: u32, flags: PteFlags) -> Result<(), Errno> {
        let map = self.map.as_mut().ok_or(Errno::Fault)?;
        with_vm(|vm| map.protect(vm, VAddr(start), end - start, false, prot_of(flags))).map_err(errno)
    }

    /// The rights of the page at `va`, if a region holds it.
    pub fn rights(&self, va: u32) -> Option<PteFlags> {
        let entry = self.map.as_ref()?.lookup(VAddr(va))?;
        Some(flags_of(entry.prot))
    }

    /// Every region a child of `fork` gets (all but those inherited `none`): start, end and
    /// rights, in address order — what a process image carries to another node, where `share`
    /// regions arrive as copies.
    pub fn regions(&self) -> Vec<(u32, u32, PteFlags)> {
        let Some(map) = &self.map else { return Vec::new() };
        map.entries()
            .filter(|e| e.inheritance != Inheritance::None)
            .map(|e| (e.start.0, e.end.0, flags_of(e.prot)))
            .collect()
    }

    /// Whether this memory can move to another node whole as a process image (process
    /// migration): every region is private and inherited by copy (a shared region or one
    /// left out of children has a meaning the image cannot carry), and none is backed, even
    /// through its shadows, by an external pager's object (its pages are that pager's) or
    /// has pages with the node's default pager (paged out: they would have to come back
    /// first).
    pub fn travels(&self) -> bool {
        let Some(map) = &self.map else { return false };
        with_vm(|vm| {
            map.entries().all(|e| {
                let mut object = e.object;
                while let Some(id) = object {
                    match vm.objects.get(id) {
                        Some(o) if o.is_anonymous() => object = o.backing.map(|(b, _)| b),
                        _ => return false,
                    }
                }
                e.inheritance == Inheritance::Copy && !e.shared
            })
        }) && !self.paged_out()
    }

    /// Wires the space: its pages, now and later, are never paged out (the default pager's).
    pub fn wire(&mut self) {
        if let Some(map) = self.map.as_mut() {
            with_vm(|vm| map.wire(vm));
        }
    }

    /// The pages of the space's regions the default pager holds (paged out), as the objects
    /// and pages to ask for. Without a default pager on the node, or with no object of the
    /// space holding any, there is no walk of the pages.
    pub fn paged_out_pages(&self) -> Vec<(ObjectId, u32)> {
        let Some(map) = &self.map else { return Vec::new() };
        with_vm(|vm| {
            let mut pages = Vec::new();
            for entry in map.entries() {
                let mut chain = entry.object;
                let mut any = false;
                while let Some(o) = chain.and_then(|id| vm.objects.get(id)) {
                    any |= !o.paged_out.is_empty();
                    chain = o.backing.map(|(b, _)| b);
                }
                let Some(object) = entry.object.filter(|_| any) else { continue };
                for i in 0..entry.pages() {
                    if let Lookup::Pager { object, index } =
                        vm.objects.lookup(object, PageIndex(entry.offset.0 + i))
                    {
                        if vm.objects.is_anonymous(object) {
                            pages.push((object, index.0));
                        }
                    }
                }
            }
            pages
        })
    }

    /// Whether some page of the space's regions is with the default pager (paged out).
    pub fn paged_out(&self) -> bool {
        !self.paged_out_pages().is_empty()
    }

    /// Calls `f(va, page bytes, flags)` for every page of the regions a child gets (as
    /// [`AddressSpace::regions`]) that holds data — resident in its map's objects — in address
    /// order. Pages never touched read as zeros and are left out.
    pub fn for_each_page(&self, mut f: impl FnMut(u32, &[u8; FRAME_SIZE as usize], PteFlags)) {
        let Some(map) = &self.map else { return };
        let vm = VM.lock();
        let Some(vm) = vm.as_ref() else { return };
        for entry in map.entries().filter(|e| e.inheritance != Inheritance::None) {
            let Some(object) = entry.object else { continue };
            for i in 0..entry.pages() {
                if let Lookup::Resident { frame, .. } =
                    vm.objects.lookup(object, PageIndex(entry.offset.0 + i))
                {
                    // Safety: the frame is resident in an object of this space's map, which
                    // does not run while the kernel reads it.
                    let bytes = unsafe { frame_of(frame).bytes_mut() };
                    f(entry.start.0 + i * FRAME_SIZE, bytes, flags_of(entry.prot));
                }
            }
        }
    }

    /// Calls `f` with the bytes of the page at `va` (page-aligned) if it holds data — resident
    /// in the map's objects, as [`AddressSpace::for_each_page`] finds it; `None` if it does not.
    pub fn with_page<R>(&self, va: u32, f: impl FnOnce(&[u8; FRAME_SIZE as usize]) -> R) -> Option<R> {
        let entry = self.map.as_ref()?.lookup(VAddr(va))?;
        let object = entry.object?;
        let index = PageIndex(entry.offset.0 + (va - entry.start.0) / FRAME_SIZE);
        let vm = VM.lock();
        let Lookup::Resident { frame, .. } = vm.as_ref()?.objects.lookup(object, index) else { return None };
        // Safety: the frame is resident in an object of this space's map, which does not run
        // while the kernel reads it.
        let bytes = unsafe { frame_of(frame).bytes_mut() };
        Some(f(bytes))
    }

    /// Moves the break by `increment` bytes; returns the old break. Growing needs as many
    /// free frames as the new pages (a check, not a reservation: pages are filled on first
    /// touch), unless the node has a default pager (then memory is what it can swap).
    pub fn sbrk(&mut self, increment: i32) -> Result<u32, Errno> {
        let old = self.brk;
        let new = old as i64 + increment as i64;
        if new < self.heap_start as i64 {
            return Err(Errno::Inval);
        }
        if new > STACK_BOTTOM as i64 {
            return Err(Errno::NoMem);
        }
        let new = new as u32;
        let (old_end, new_end) = (page_up(old), page_up(new));
        let map = self.map.as_mut().ok_or(Errno::NoMem)?;
        with_vm(|vm| {
            if new_end > old_end {
                if (new_end - old_end) / FRAME_SIZE > frame::stats().0 && !SWAP.load(Ordering::Relaxed) {
                    return Err(Errno::NoMem);
                }
                let rw = Prot::READ.union(Prot::WRITE);
                map.allocate(vm, Placement::Fixed(VAddr(old_end)), new_end - old_end, rw).map_err(errno)?;
            } else if new_end < old_end {
                map.deallocate(vm, VAddr(new_end), old_end - new_end).map_err(errno)?;
            }
            Ok(())
        })?;
        self.brk = new;
        Ok(old)
    }

    /// `vm_allocate`: a zero-filled region of `size` bytes (a page multiple), read and write,
    /// at `addr` exactly, or with `anywhere` at the lowest free range at or above `addr`
    /// ([`VM_ANYWHERE_BASE`] for 0) — below the stack. `EEXIST` if a fixed range is taken.
    pub fn allocate(&mut self, addr: u32, size: u32, anywhere: bool) -> Result<u32, Errno> {
        let map = self.map.as_mut().ok_or(Errno::NoMem)?;
        let placement = if anywhere {
            let min = if addr == 0 { VM_ANYWHERE_BASE } else { page_up(addr) };
            Placement::Anywhere { min: VAddr(min), max: VAddr(STACK_BOTTOM) }
        } else {
            Placement::Fixed(VAddr(addr))
        };
        with_vm(|vm| map.allocate(vm, placement, size, Prot::DEFAULT)).map(|a| a.0).map_err(|e| match e {
            VmError::NoSpace if !anywhere => Errno::Exist,
            e => call_errno(e),
        })
    }

    /// `vm_deallocate`: unmaps every page of `addr..addr + size`.
    pub fn deallocate(&mut self, addr: u32, size: u32) -> Result<(), Errno> {
        let map = self.map.as_mut().ok_or(Errno::Fault)?;
        with_vm(|vm| map.deallocate(vm, VAddr(addr), size)).map_err(call_errno)
    }

    /// `vm_protect`: the current (or with `set_max` the maximum) protection of a range.
    pub fn protect(&mut self, addr: u32, size: u32, set_max: bool, prot: u32) -> Result<(), Errno> {
        let prot = prot_of_word(prot)?;
        let map = self.map.as_mut().ok_or(Errno::Fault)?;
        with_vm(|vm| map.protect(vm, VAddr(addr), size, set_max, prot)).map_err(call_errno)
    }

    /// `vm_inherit`: what a child of `fork` gets of a range.
    pub fn inherit(&mut self, addr: u32, size: u32, inheritance: u32) -> Result<(), Errno> {
        let inheritance = match inheritance {
            VM_INHERIT_SHARE => Inheritance::Share,
            VM_INHERIT_COPY => Inheritance::Copy,
            VM_INHERIT_NONE => Inheritance::None,
            _ => return Err(Errno::Inval),
        };
        let map = self.map.as_mut().ok_or(Errno::Fault)?;
        with_vm(|vm| map.inherit(vm, VAddr(addr), size, inheritance)).map_err(call_errno)
    }

    /// `vm_region`: the region holding `addr`, or the first one above it.
    pub fn region(&self, addr: u32) -> Option<VmRegion> {
        let region = self.map.as_ref()?.region(VAddr(addr))?;
        let mut flags = 0;
        if region.shared {
            flags |= VmRegion::SHARED;
        }
        if region.copy_on_write {
            flags |= VmRegion::COPY_ON_WRITE;
        }
        Some(VmRegion {
            start: region.start.0,
            end: region.end.0,
            prot: u32::from(region.prot.bits()),
            max_prot: u32::from(region.max.bits()),
            inheritance: inheritance_word(region.inheritance),
            flags,
            object: region.object.map_or(0, |o| o.0 + 1),
            offset: region.offset.0,
        })
    }

    /// `vm_copy` inside this space: `size` bytes (a page multiple) from `src` over `dst`.
    pub fn copy_within(&mut self, src: u32, size: u32, dst: u32) -> Result<(), Errno> {
        let map = self.map.as_mut().ok_or(Errno::Fault)?;
        with_vm(|vm| map.copy_within(vm, VAddr(src), VAddr(dst), size)).map_err(call_errno)
    }

    /// Serves a page fault of the process at `va` for `access`: the page is now mapped
    /// (zero-filled, copied on write, or found), or the access is not allowed there (a
    /// signal) or memory ran out, or the page is an external pager's to provide.
    pub fn fault_in(&mut self, va: u32, access: Access) -> Fault {
        if va >= USER_TOP {
            return Fault::Refused;
        }
        let map = self.map();
        // With a default pager, the last frames are its own: a process that waited for
        // them would wait for the pager, and the pager for a frame.
        if SWAP.load(Ordering::Relaxed) && !map.is_wired() && frame::stats().0 < PAGER_RESERVE {
            return Fault::NoMemory;
        }
        match with_vm(|vm| map.fault(vm, VAddr(va), access.vm())) {
            Ok(_) => Fault::Served,
            Err(FaultError::PagerRequest { object, index }) => Fault::Pager(object, index.0, access),
            Err(FaultError::OutOfFrames) => Fault::NoMemory,
            Err(_) => Fault::Refused,
        }
    }

    /// Maps `size` bytes (a page multiple) of the external object `object` anywhere,
    /// readable and writable, shared with every other mapping of it (and inherited shared by
    /// a fork); its address.
    pub fn map_external(&mut self, object: ObjectId, size: u32) -> Result<u32, Errno> {
        let map = self.map.as_mut().ok_or(Errno::Fault)?;
        let placement = Placement::Anywhere { min: VAddr(VM_ANYWHERE_BASE), max: VAddr(USER_TOP) };
        with_vm(|vm| {
            vm.objects.reference(object);
            let mapped = map.map_object(vm, placement, size, Prot::DEFAULT, object, PageIndex(0), false);
            match mapped {
                Ok(at) => {
                    let _ = map.inherit(vm, at, size, Inheritance::Share);
                    Ok(at.0)
                }
                Err(e) => {
                    vm.objects.release(object, &mut vm.frames);
                    Err(call_errno(e))
                }
            }
        })
    }

    /// Whether the page table maps every page of `va..va + len` for `access`, resident and
    /// allowed as the process's own loads and stores are ([`AddressSpace::through_table`]
    /// without the copy).
    pub fn table_allows(&self, va: u32, len: usize, access: Access) -> bool {
        // Most ranges a call names lie in one page.
        if self.one_page(va, len, access).is_some() {
            return true;
        }
        let Some(map) = &self.map else { return false };
        let table = &map.pmap().0;
        let needed = user_flags(access);
        let Some(end) = va.checked_add(len as u32).filter(|e| *e <= USER_TOP) else { return false };
        let mut page = page_down(va);
        while page < end {
            if !table.lookup(page).is_some_and(|(_, flags)| flags.contains(needed)) {
                return false;
            }
            page += FRAME_SIZE;
        }
        true
    }

    /// Whether the page table maps every page of `va..va + len` for `access` — resident,
    /// and allowed as the process's own loads and stores are — and if so hands each page's
    /// part of the range to `each`, with how many bytes of the range come before it. This is
    /// how a system call's small copies usually go: a table walk a page, no look-up in the
    /// map and no call into the VM, which a page the table does not map still needs.
    fn through_table(
        &self,
        va: u32,
        len: usize,
        access: Access,
        mut each: impl FnMut(&mut [u8], usize),
    ) -> bool {
        let Some(map) = &self.map else { return false };
        let table = &map.pmap().0;
        if !self.table_allows(va, len, access) {
            return false;
        }
        let mut done = 0;
        while done < len {
            let addr = va + done as u32;
            let offset = (addr % FRAME_SIZE) as usize;
            let part = (FRAME_SIZE as usize - offset).min(len - done);
            let Some((frame, _)) = table.lookup(addr) else { return false };
            // Safety: the table maps the frame into this space, so it is a page one of the
            // VM's objects holds, alive while mapped; RAM is identity-mapped for the kernel,
            // which is never interrupted, so nothing else touches the page during the copy.
            let page = unsafe { frame.bytes_mut() };
            each(&mut page[offset..offset + part], done);
            done += part;
        }
        true
    }

    /// Runs `f` on the bytes of `va..va + len` where they are, if the range lies in one page
    /// the page table maps for `access` (as [`AddressSpace::through_table`] asks): how a
    /// short message is read and written in place, with no copy. `None` otherwise.
    pub fn in_place<R>(
        &self,
        va: u32,
        len: usize,
        access: Access,
        f: impl FnOnce(&mut [u8]) -> R,
    ) -> Option<R> {
        let (frame, offset) = self.one_page(va, len, access)?;
        // Safety: as in `through_table`: the table maps the frame into this space, so it is a
        // page one of the VM's objects holds, alive while mapped; RAM is identity-mapped for
        // the kernel, which is never interrupted, so nothing else touches the page meanwhile.
        let page = unsafe { frame.bytes_mut() };
        Some(f(&mut page[offset..offset + len]))
    }

    /// The kernel's address of `va..va + len` if the range is word-aligned and lies in one
    /// page the table maps for `access`, and the page's frame: how the RPC's fast path
    /// reaches a message and the buffer it goes to, a word at a time. `None` otherwise.
    ///
    /// The words stay this space's page only while nothing changes its mappings: the caller
    /// uses them before it lets anything else run.
    #[inline]
    pub fn resident_words(&self, va: u32, len: usize, access: Access) -> Option<(*mut u32, Frame)> {
        if (va | len as u32) % 4 != 0 {
            return None;
        }
        let (frame, offset) = self.one_page(va, len, access)?;
        Some(((frame.addr() as usize + offset) as *mut u32, frame))
    }

    /// The frame and offset of `va..va + len` if the range lies in one page the table maps
    /// for `access`: one walk of the table, no look-up in the map.
    #[inline(always)]
    fn one_page(&self, va: u32, len: usize, access: Access) -> Option<(Frame, usize)> {
        let offset = (va % FRAME_SIZE) as usize;
        if len == 0 || offset + len > FRAME_SIZE as usize || va.checked_add(len as u32)? > USER_TOP {
            return None;
        }
        let (frame, flags) = self.map.as_ref()?.pmap().0.lookup(va)?;
        flags.contains(user_flags(access)).then_some((frame, offset))
    }

    /// Checks that the process may make `access` on all of `va..va + len`.
    pub fn check(&mut self, va: u32, len: usize, access: Access) -> Result<(), Errno> {
        let end = va.checked_add(len as u32).filter(|e| *e <= USER_TOP).ok_or(Errno::Fault)?;
        if len == 0 || self.table_allows(va, len, access) {
            return Ok(());
        }
        let map = self.map.as_ref().ok_or(Errno::Fault)?;
        let needed = match access {
            Access::Read => Prot::READ,
            Access::Write => Prot::WRITE,
            Access::Execute => Prot::EXECUTE,
        };
        let mut addr = page_down(va);
        while addr < end {
            let entry = map.lookup(VAddr(addr)).ok_or(Errno::Fault)?;
            if !entry.prot.contains(needed) {
                return Err(Errno::Fault);
            }
            addr = entry.end.0;
        }
        Ok(())
    }

    /// Copies `buf.len()` bytes from user address `va` into `buf`.
    pub fn copy_in(&mut self, va: u32, buf: &mut [u8]) -> Result<(), Errno> {
        self.copy_in_paged(va, buf).map_err(Paged::errno)
    }

    /// Copies `data` to user address `va`.
    pub fn copy_out(&mut self, va: u32, data: &[u8]) -> Result<(), Errno> {
        self.copy_out_paged(va, data).map_err(Paged::errno)
    }

    /// [`AddressSpace::copy_in`], telling a page its pager has to provide (or unlock) apart.
    pub fn copy_in_paged(&mut self, va: u32, buf: &mut [u8]) -> Result<(), Paged> {
        if self.through_table(va, buf.len(), Access::Read, |page, done| {
            buf[done..done + page.len()].copy_from_slice(page);
        }) {
            return Ok(());
        }
        self.check(va, buf.len(), Access::Read).map_err(Paged::Errno)?;
        let map = self.map();
        with_vm(|vm| map.read(vm, VAddr(va), buf)).map_err(|e| Paged::of(e, Access::Read))
    }

    /// [`AddressSpace::copy_out`], telling a page its pager has to provide (or unlock) apart.
    pub fn copy_out_paged(&mut self, va: u32, data: &[u8]) -> Result<(), Paged> {
        if self.through_table(va, data.len(), Access::Write, |page, done| {
            page.copy_from_slice(&data[done..done + page.len()]);
        }) {
            return Ok(());
        }
        self.check(va, data.len(), Access::Write).map_err(Paged::Errno)?;
        let map = self.map();
        with_vm(|vm| map.write(vm, VAddr(va), data)).map_err(|e| Paged::of(e, Access::Write))
    }

    /// Makes every page of `va..va + len` resident and mapped for `access` (as the copies
    /// would), telling a page its pager has to provide (or unlock) apart.
    pub fn prefault(&mut self, va: u32, len: usize, access: Access) -> Result<(), Paged> {
        self.check(va, len, access).map_err(Paged::Errno)?;
        if len == 0 {
            return Ok(());
        }
        let map = self.map();
        let end = va as u64 + len as u64;
        let mut page = u64::from(page_down(va));
        let needed = access.vm().prot();
        while page < end {
            let va = VAddr(page as u32);
            // A page mapped for the access already is resident: no fault needed.
            if !map.pmap().extract(va).is_some_and(|(_, prot)| prot.contains(needed)) {
                with_vm(|vm| map.fault(vm, va, access.vm())).map_err(|e| Paged::of(e, access))?;
            }
            page += u64::from(FRAME_SIZE);
        }
        Ok(())
    }

    /// The child's address space for `fork` (ASID `asid`): every region inherited by copy,
    /// copy-on-write — no page is copied until one side writes it.
    pub fn duplicate(&mut self, asid: u32) -> Result<AddressSpace, Errno> {
        let table = PageTable::new(asid)?;
        let (heap_start, brk) = (self.heap_start, self.brk);
        let map = self.map();
        let child = with_vm(|vm| map.fork(vm, KernelPmap(table))).map_err(errno)?;
        Ok(AddressSpace { map: Some(child), heap_start, brk })
    }
}

/// A region captured copy-on-write for a message's out-of-line item (`ox_vm::MapCopy`), in a
/// port's queue until it is received; dropped unreceived, it gives its memory back.
pub struct Captured(Option<MapCopy>);

impl Captured {
    /// Bytes of the region.
    pub fn size(&self) -> u32 {
        self.0.as_ref().map_or(0, MapCopy::size)
    }

    /// A region holding `data` (its pages zero-filled past the end), in no space yet: the
    /// out-of-line memory of a message that came from another node.
    pub fn from_bytes(data: &[u8]) -> Result<Captured, Errno> {
        let size = page_up(u32::try_from(data.len()).map_err(|_| Errno::Inval)?.max(1));
        let mut staged = Staged::new(size)?;
        staged.write(0, data)?;
        staged.captured()
    }
}

impl Drop for Captured {
    fn drop(&mut self) {
        if let Some(copy) = self.0.take() {
            with_vm(|vm| copy.discard(vm));
        }
    }
}

/// An out-of-line region crossing to or from another node piece by piece, held in a scratch
/// map of the kernel's own: one arriving is written a piece at a time and then captured for
/// its message ([`Staged::captured`]); one leaving is read a piece at a time. Its pages are
/// the VM's, never the kernel heap's; dropped, it gives them back.
pub struct Staged {
    map: Option<Map<KernelPmap>>,
    at: VAddr,
    size: u32,
}

impl Staged {
    fn scratch() -> Result<Map<KernelPmap>, Errno> {
        let table = PageTable::new(0)?;
        Map::new(VAddr(USER_BASE), VAddr(USER_TOP), KernelPmap(table)).map_err(errno)
    }

    /// A zero-filled region of `size` bytes (a page multiple), for one arriving: no page is
    /// taken until it is written.
    pub fn new(size: u32) -> Result<Staged, Errno> {
        let mut map = Staged::scratch()?;
        let anywhere = Placement::Anywhere { min: VAddr(USER_BASE), max: VAddr(USER_TOP) };
        match with_vm(|vm| map.allocate(vm, anywhere, size, Prot::DEFAULT)) {
            Ok(at) => Ok(Staged { map: Some(map), at, size }),
            Err(e) => {
                with_vm(|vm| drop(map.destroy(vm)));
                Err(call_errno(e))
            }
        }
    }

    /// The captured region `captured`, placed to be read (still copy-on-write: nothing is
    /// copied).
    pub fn of(mut captured: Captured) -> Result<Staged, Errno> {
        let Some(copy) = captured.0.take() else { return Err(Errno::Inval) };
        let size = copy.size();
        let mut map = match Staged::scratch() {
            Ok(map) => map,
            Err(e) => {
                captured.0 = Some(copy);
                return Err(e);
            }
        };
        match with_vm(|vm| map.copy_out(vm, copy)) {
            Ok(at) => Ok(Staged { map: Some(map), at, size }),
            Err((e, copy)) => {
                with_vm(|vm| {
                    drop(map.destroy(vm));
                    copy.discard(vm);
                });
                Err(call_errno(e))
            }
        }
    }

    /// Bytes of the region.
    pub fn size(&self) -> u32 {
        self.size
    }

    /// Where `len` bytes at `offset` lie, if inside the region.
    fn range(&self, offset: u32, len: usize) -> Result<VAddr, Errno> {
        let len = u32::try_from(len).map_err(|_| Errno::Inval)?;
        let end = offset.checked_add(len).ok_or(Errno::Inval)?;
        if end > self.size {
            return Err(Errno::Inval);
        }
        Ok(VAddr(self.at.0 + offset))
    }

    /// Reads `buf.len()` bytes at `offset`.
    pub fn read(&mut self, offset: u32, buf: &mut [u8]) -> Result<(), Errno> {
        let at = self.range(offset, buf.len())?;
        let map = self.map.as_mut().ok_or(Errno::Inval)?;
        with_vm(|vm| map.read(vm, at, buf)).map_err(|_| Errno::NoMem)
    }

    /// Writes `bytes` at `offset`; `ENOMEM` if no frame is left for them.
    pub fn write(&mut self, offset: u32, bytes: &[u8]) -> Result<(), Errno> {
        let at = self.range(offset, bytes.len())?;
        let map = self.map.as_mut().ok_or(Errno::Inval)?;
        with_vm(|vm| map.write(vm, at, bytes)).map_err(|_| Errno::NoMem)
    }

    /// The region, captured for a message (its pages move with it, none is copied).
    pub fn captured(mut self) -> Result<Captured, Errno> {
        let mut map = self.map.take().ok_or(Errno::Inval)?;
        let (at, size) = (self.at, self.size);
        with_vm(|vm| {
            let copied = map.copy_in(vm, at, size);
            drop(map.destroy(vm));
            copied
        })
        .map(|c| Captured(Some(c)))
        .map_err(call_errno)
    }
}

impl Drop for Staged {
    fn drop(&mut self) {
        if let Some(map) = self.map.take() {
            with_vm(|vm| drop(map.destroy(vm)));
        }
    }
}

impl AddressSpace {
    /// Captures `size` bytes from `addr` (page multiples, allocated and readable)
    /// copy-on-write, for a message.
    pub fn capture(&mut self, addr: u32, size: u32) -> Result<Captured, Errno> {
        let map = self.map.as_mut().ok_or(Errno::Fault)?;
        with_vm(|vm| map.copy_in(vm, VAddr(addr), size)).map(|c| Captured(Some(c))).map_err(call_errno)
    }

    /// Places a captured region anywhere in this space (readable and writable); its address.
    pub fn place(&mut self, mut captured: Captured) -> Result<u32, Errno> {
        let map = self.map.as_mut().ok_or(Errno::Fault)?;
        let Some(copy) = captured.0.take() else { return Err(Errno::Inval) };
        match with_vm(|vm| map.copy_out(vm, copy)) {
            Ok(at) => Ok(at.0),
            Err((e, copy)) => {
                captured.0 = Some(copy);
                Err(call_errno(e))
            }
        }
    }

    /// The bytes of a captured region (to send it to another node), read through a scratch
    /// map; the region is left as it was.
    pub fn read_captured(captured: &mut Captured) -> Result<Vec<u8>, Errno> {
        let mut staged = Staged::of(Captured(captured.0.take()))?;
        let mut bytes = alloc::vec![0; staged.size() as usize];
        let read = staged.read(0, &mut bytes).map_err(|_| Errno::Fault);
        // The region goes back as it was, read or not.
        *captured = staged.captured()?;
        read.map(|()| bytes)
    }
}

/// Why a copy between the kernel and a process stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Paged {
    /// Page `index` of external object `object` is with its pager, for `access`: the copy
    /// goes again once [`page_in`](crate::ipcall::page_in) has it.
    Wait(ObjectId, u32, Access),
    /// A bad address or no memory.
    Errno(Errno),
}

impl Paged {
    fn of(e: FaultError, access: Access) -> Paged {
        match e {
            FaultError::PagerRequest { object, index } => Paged::Wait(object, index.0, access),
            FaultError::OutOfFrames => Paged::Errno(Errno::NoMem),
            _ => Paged::Errno(Errno::Fault),
        }
    }

    /// The errno of a copy that does not wait for pagers: `EFAULT` for a pager's page.
    pub fn errno(self) -> Errno {
        match self {
            Paged::Wait(..) => Errno::Fault,
            Paged::Errno(e) => e,
        }
    }
}

/// What a page fault came to ([`AddressSpace::fault_in`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// The page is mapped: the instruction runs again.
    Served,
    /// Not allowed there: a signal.
    Refused,
    /// No frame for the page: pages may be reclaimed, else a signal.
    NoMemory,
    /// Page `index` of external object `object` is not resident, or is locked against the
    /// access: its pager is asked.
    Pager(ObjectId, u32, Access),
}

/// A new object of `pages` pages whose pages external pager `pager` provides; the caller holds
/// its one reference.
pub(crate) fn external_create(pages: u32, pager: u32) -> ObjectId {
    with_vm(|vm| vm.objects.create(pages, ox_vm::Pager::External(pager)))
}

/// References to `object` if it is still external pager `pager`'s (0 if not).
pub(crate) fn external_refs(object: ObjectId, pager: u32) -> u32 {
    with_vm(|vm| match vm.objects.get(object) {
        Some(o) if o.pager == ox_vm::Pager::External(pager) => o.refs,
        _ => 0,
    })
}

/// The size in pages of `object` if it is still pager `pager`'s, external or default (0 if
/// not).
pub(crate) fn external_size(object: ObjectId, pager: u32) -> u32 {
    with_vm(|vm| match vm.objects.get(object) {
        Some(o) if matches!(o.pager, Pager::External(p) | Pager::Default(p) if p == pager) => o.size,
        _ => 0,
    })
}

/// The node has a default pager: anonymous memory may be larger than its RAM.
static SWAP: AtomicBool = AtomicBool::new(false);

/// Whether the node has a default pager (`sbrk` no longer counts free frames).
pub(crate) fn set_swap(on: bool) {
    SWAP.store(on, Ordering::Relaxed);
    with_vm(|vm| vm.objects.track_anonymous(on));
}

/// Frames only the default pager's task may take (Mach's `vm_page_free_reserved`): a page
/// fault of any other process with fewer free waits for page-out.
const PAGER_RESERVE: u32 = 16;

/// Process images being read ([`crate::image::Layout`]): while any is, no anonymous page is
/// paged out (an image reads its pages where they are).
static IMAGES: AtomicU32 = AtomicU32::new(0);

/// Holds anonymous memory in while it lives.
pub struct NoPageOut(());

impl NoPageOut {
    /// Anonymous memory stays in until the result is dropped.
    pub fn new() -> NoPageOut {
        IMAGES.fetch_add(1, Ordering::Relaxed);
        NoPageOut(())
    }
}

impl Default for NoPageOut {
    fn default() -> NoPageOut {
        NoPageOut::new()
    }
}

impl Drop for NoPageOut {
    fn drop(&mut self) {
        IMAGES.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Whether anonymous memory may be paged out now (no process image is being read).
pub(crate) fn may_page_out() -> bool {
    IMAGES.load(Ordering::Relaxed) == 0
}

/// The resident pages the page-replacement clock may take from anonymous memory, as
/// (object, page) in order: those of the anonymous objects not wired that the processes of
/// the node map, through their shadows — the pages [`shoot_down`] can unmap everywhere. A
/// space not installed in a process (an `exec` being built, an image being made) and the
/// out-of-line memory of messages are left alone.
pub(crate) fn pageable_pages() -> Vec<(u32, u32)> {
    let mut table = crate::task::proc::table();
    let vm = VM.lock();
    let Some(vm) = vm.as_ref() else { return Vec::new() };
    let mut mapped: Vec<ObjectId> = Vec::new();
    for proc in table.user_procs() {
        let Some(map) = proc.space.as_ref().and_then(|s| s.map.as_ref()) else { continue };
        for entry in map.entries() {
            // A chain seen before is seen to its end.
            let mut next = entry.object.filter(|id| !mapped.contains(id));
            while let Some(id) = next {
                mapped.push(id);
                next = vm
                    .objects
                    .get(id)
                    .and_then(|o| o.backing)
                    .map(|(b, _)| b)
                    .filter(|b| !mapped.contains(b));
            }
        }
    }
    let mut pages = Vec::new();
    for (id, object) in
        vm.objects.iter().filter(|(id, o)| o.is_anonymous() && !o.wired && mapped.contains(id))
    {
        pages.extend(object.pages.keys().map(|i| (id.0, i.0)));
    }
    pages
}

/// Whether page `index` is resident in `object` itself (not down its chain).
pub(crate) fn resident_in(object: ObjectId, index: u32) -> bool {
    with_vm(|vm| vm.objects.get(object).is_some_and(|o| o.pages.contains_key(&PageIndex(index))))
}

/// Hands anonymous `object` to the default pager numbered `pager` (Mach's
/// `memory_object_create`); its size in pages, or `None` if it is not anonymous or has a
/// pager already.
pub(crate) fn give_to_default(object: ObjectId, pager: u32) -> Option<u32> {
    with_vm(|vm| {
        vm.objects.give_to_default(object, pager).then(|| vm.objects.get(object).map_or(0, |o| o.size))
    })
}

/// Whether resident page `index` of `object` must go to its default pager when paged out:
/// written since the pager last had it, or never given to it. Clears the written mark.
pub(crate) fn must_write_out(object: ObjectId, index: u32) -> bool {
    with_vm(|vm| {
        let dirty = vm.objects.take_dirty(object, PageIndex(index));
        dirty || vm.objects.get(object).is_some_and(|o| !o.paged_out.contains(&PageIndex(index)))
    })
}

/// Takes page `index` out of `object`, now its default pager's, and frees its frame (after
/// [`shoot_down`], and the page sent to the pager if [`must_write_out`]).
pub(crate) fn page_out(object: ObjectId, index: u32) -> bool {
    with_vm(|vm| vm.objects.page_out(object, PageIndex(index), &mut vm.frames))
}

/// The default pager's objects merged into their shadows since the last call: (the object
/// gone, the shadow that has its pager now).
pub(crate) fn take_adopted() -> Vec<(ObjectId, ObjectId)> {
    with_vm(|vm| vm.objects.take_adopted())
}

/// Whether default-pager objects were destroyed and their pagers not told yet.
pub(crate) fn has_ended() -> bool {
    with_vm(|vm| vm.objects.has_ended())
}

/// The default pager's objects destroyed since the last call, with their pagers' numbers.
pub(crate) fn take_ended() -> Vec<(ObjectId, u32)> {
    with_vm(|vm| vm.objects.take_ended())
}

/// Drops one reference to `object`.
pub(crate) fn release_object(object: ObjectId) {
    with_vm(|vm| vm.objects.release(object, &mut vm.frames));
}

/// Makes `data` (a page or less; zeros after) page `index` of `object`, as its pager provides
/// it, locked against `lock`; a page already there is left as it is.
pub(crate) fn supply(object: ObjectId, index: u32, data: &[u8], lock: Prot) -> Result<(), Errno> {
    with_vm(|vm| {
        if matches!(vm.objects.lookup(object, PageIndex(index)), Lookup::Resident { .. }) {
            return Ok(());
        }
        vm.supply_page(object, PageIndex(index), data).map_err(call_errno)?;
        vm.objects.set_lock(object, PageIndex(index), lock);
        Ok(())
    })
}

/// The indices of `object`'s resident pages written since provided or cleaned, in order.
pub(crate) fn dirty_pages(object: ObjectId) -> Vec<u32> {
    with_vm(|vm| vm.objects.get(object).map(|o| o.dirty.iter().map(|i| i.0).collect()).unwrap_or_default())
}

/// Whether page `index` of `object` is resident and its lock allows `access`: a fault on it
/// is over.
pub(crate) fn accessible(object: ObjectId, index: u32, access: Access) -> bool {
    with_vm(|vm| {
        matches!(vm.objects.lookup(object, PageIndex(index)), Lookup::Resident { .. })
            && !vm.objects.lock_of(object, PageIndex(index)).contains(access.vm().prot())
    })
}

/// The accesses the pager's lock on page `index` of `object` refuses.
pub(crate) fn lock_of(object: ObjectId, index: u32) -> Prot {
    with_vm(|vm| vm.objects.lock_of(object, PageIndex(index)))
}

/// Locks resident page `index` of `object` against `lock` (mappings that allow more must have
/// been shot down: [`shoot_down`]).
pub(crate) fn set_lock(object: ObjectId, index: u32, lock: Prot) {
    with_vm(|vm| vm.objects.set_lock(object, PageIndex(index), lock));
}

/// The indices of `object`'s resident pages, in order.
pub(crate) fn resident_pages(object: ObjectId) -> Vec<u32> {
    with_vm(|vm| vm.objects.get(object).map(|o| o.pages.keys().map(|i| i.0).collect()).unwrap_or_default())
}

/// Whether page `index` of `object` was mapped by a fault since the last call (its reference
/// bit); clears it.
pub(crate) fn take_referenced(object: ObjectId, index: u32) -> bool {
    with_vm(|vm| vm.objects.take_referenced(object, PageIndex(index)))
}

/// Whether page `index` of `object` was written since provided or cleaned; it is clean after
/// (its mappings must have been shot down, so the next write is seen).
pub(crate) fn take_dirty(object: ObjectId, index: u32) -> bool {
    with_vm(|vm| vm.objects.take_dirty(object, PageIndex(index)))
}

/// Takes page `index` out of `object` and frees its frame (after [`shoot_down`]).
pub(crate) fn flush_page(object: ObjectId, index: u32) -> bool {
    with_vm(|vm| vm.objects.remove_page(object, PageIndex(index), &mut vm.frames))
}

/// Removes every mapping of pages `first..first + count` of `object` from the page tables of
/// every process of this node (its reverse map is this walk over the processes' maps): the
/// next access to one faults and sees the page's new lock, or its absence.
pub(crate) fn shoot_down(object: ObjectId, first: u32, count: u32) {
    let mut table = crate::task::proc::table();
    let vm = VM.lock();
    let Some(vm) = vm.as_ref() else { return };
    for proc in table.user_procs() {
        if let Some(map) = proc.space.as_mut().and_then(|s| s.map.as_mut()) {
            map.unmap_object_pages(vm, object, PageIndex(first), count);
        }
    }
}

/// A copy of page `index` of `object`, if it is resident there.
pub(crate) fn read_page(object: ObjectId, index: u32) -> Option<Vec<u8>> {
    with_vm(|vm| {
        let frame = *vm.objects.get(object)?.pages.get(&PageIndex(index))?;
        let mut data = alloc::vec![0; FRAME_SIZE as usize];
        vm.frames.mem().read(frame, 0, &mut data);
        Some(data)
    })
}

/// Whether page `index` of `object` is resident.
pub(crate) fn resident(object: ObjectId, index: u32) -> bool {
    with_vm(|vm| matches!(vm.objects.lookup(object, PageIndex(index)), Lookup::Resident { .. }))
}

impl Drop for AddressSpace {
    /// Gives every region back; objects and frames go with their last reference. The space
    /// must not be active.
    fn drop(&mut self) {
        if let Some(map) = self.map.take() {
            let pmap = with_vm(|vm| map.destroy(vm));
            drop(pmap);
        }
    }
}
