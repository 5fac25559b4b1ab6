//! `vmtest`: the virtual-memory calls (docs/vm.md), as a test, in the spirit of GNU Mach's
//! `tests/test-vm.c` and xnu's `tests/vm/vm_allocation.c`: allocation anywhere and at a fixed
//! address, overlaps refused, partial deallocation, protection and its maximum, inheritance
//! (none, share, copy) observed through values after `fork`, reading and writing a child,
//! copying, the region query, faults caught by the process itself, copy-on-write isolation and
//! sharing both ways, the heap and the stack as regions.
//!
//! Each case prints `vmtest: NAME: ok` or `vmtest: NAME: FAILED: why`; the last line is
//! `vmtest: N passed, M failed`. Nothing printed depends on where it runs or on timing, so the
//! transcript is the same on the central, on a satellite (`place least-loaded vmtest`) and
//! over lossy links. The children it forks stay on its node (it sets its placement to
//! `local`): the calls that name a process reach only the caller's children on the same node.

#![no_std]
#![no_main]

extern crate alloc;

use alloc::format;
use alloc::string::String;
use core::ptr;
use core::sync::atomic::{AtomicU32, Ordering};

use ox_ulib::abi::{Errno, Placement, Signal, Syscall, VmRegion, USER_STACK_MAX, USER_TOP};
use ox_ulib::println;
use ox_ulib::signal::{self, Handler};
use ox_ulib::suite::{self, ensure, ok, reap, refused, spawn, Outcome};
use ox_ulib::sys::{self, Fork, Pid};
use ox_ulib::vm::{
    self, Inherit, Place, PAGE_SIZE, VM_ANYWHERE_BASE, VM_INHERIT_COPY, VM_PROT_ALL, VM_PROT_EXECUTE,
    VM_PROT_READ, VM_PROT_WRITE,
};

ox_ulib::entry!(main);

const P: u32 = PAGE_SIZE;
const RW: u32 = VM_PROT_READ | VM_PROT_WRITE;

/// Exit code of a child whose expected fault came, at the expected address.
const FAULTED: i32 = 10;
/// Exit code of a child whose fault came at another address.
const FAULTED_ELSEWHERE: i32 = 11;

/// Where a child expects its fault.
static EXPECTED: AtomicU32 = AtomicU32::new(0);
/// Faults the mending handlers served, and the last address.
static MENDED: AtomicU32 = AtomicU32::new(0);
static MENDED_AT: AtomicU32 = AtomicU32::new(0);

fn main(_: &[&str]) -> i32 {
    if let Err(e) = sys::set_placement(Placement::Local) {
        println!("vmtest: place local: {}", e.name());
        return 1;
    }
    let sync = match vm::allocate(Place::Anywhere(0), P)
        .and_then(|a| vm::inherit(a, P, Inherit::Share).map(|()| a))
    {
        Ok(a) => Sync(a),
        Err(e) => {
            println!("vmtest: the shared page for children: {}", e.name());
            return 1;
        }
    };
    let cases: [(&str, fn(&Sync) -> Outcome); 21] = [
        ("allocate anywhere", allocate_anywhere),
        ("allocate fixed", allocate_fixed),
        ("overlap refused", overlap_refused),
        ("anywhere skips what is taken", anywhere_skips_taken),
        ("partial deallocate", partial_deallocate),
        ("deallocate holes", deallocate_holes),
        ("protect beyond maximum refused", protect_beyond_maximum),
        ("read-only region faults on write", read_only_faults),
        ("fault outside every region caught", fault_outside_caught),
        ("fault against protection caught", fault_against_protection_caught),
        ("inherit none", inherit_none),
        ("inherit share, both ways", inherit_share),
        ("inherit copy: copy-on-write both ways", inherit_copy),
        ("read and write a child", read_write_child),
        ("read and write others refused", read_write_others),
        ("copy", copy),
        ("region query", region_query),
        ("heap and stack are regions", heap_and_stack),
        ("bad arguments", bad_arguments),
        ("fork churn keeps chains short", fork_churn),
        ("a fork to another node: none absent, share copied", fork_across_nodes),
    ];
    let sync = &sync;
    suite::run("vmtest", cases.map(|(name, case)| (name, move || case(sync))))
}

/// A page shared with every child (inherit share): words 0..3 carry a child's progress.
struct Sync(u32);

impl Sync {
    fn set(&self, word: u32, value: u32) {
        poke(self.0 + 4 * word, value);
    }

    fn get(&self, word: u32) -> u32 {
        peek(self.0 + 4 * word)
    }

    /// Waits (letting others run) until word `word` is `value`; false after a long while.
    fn wait_for(&self, word: u32, value: u32) -> bool {
        for _ in 0..100_000 {
            if self.get(word) == value {
                return true;
            }
            sys::yield_now();
        }
        false
    }

    fn clear(&self) {
        (0..4).for_each(|w| self.set(w, 0));
    }
}

fn peek(addr: u32) -> u32 {
    // Safety: the address is mapped readable, or the case means the load to fault (and a
    // handler ends the child or mends the page).
    unsafe { ptr::read_volatile(addr as *const u32) }
}

fn poke(addr: u32, value: u32) {
    // Safety: as for `peek`: the memory is this test's own regions, which nothing else uses.
    unsafe { ptr::write_volatile(addr as *mut u32, value) }
}

/// Runs `body` in a child (on this node) and returns its exit code.
fn child(body: impl FnOnce() -> i32) -> Result<(Pid, i32), String> {
    let pid = spawn(body)?;
    Ok((pid, reap(pid)?))
}

/// The SIGSEGV handler of a child that expects a fault: exits [`FAULTED`] if it came at the
/// expected address.
fn exit_on_fault(_: Signal) {
    let code =
        if signal::fault_address() == EXPECTED.load(Ordering::SeqCst) { FAULTED } else { FAULTED_ELSEWHERE };
    sys::exit(code)
}

/// In a child: touches `addr` (a store if `write`), expecting a fault there.
fn touch_expecting_fault(addr: u32, write: bool) -> i32 {
    EXPECTED.store(addr, Ordering::SeqCst);
    if signal::set(Signal::Segv, Handler::Catch(exit_on_fault)).is_err() {
        return 2;
    }
    if write {
        poke(addr, 1);
    } else {
        peek(addr);
    }
    0
}

/// A child touching `addr` must fault there.
fn faults_in_child(addr: u32, write: bool) -> Outcome {
    let (_, code) = child(|| touch_expecting_fault(addr, write))?;
    ensure(code == FAULTED, || format!("a touch at {addr:#x} in a child: exit {code}, not a fault there"))
}

fn region(addr: u32) -> Result<VmRegion, String> {
    ok("vm_region", vm::region(addr))
}

fn allocate_anywhere(_: &Sync) -> Outcome {
    let a = ok("vm_allocate", vm::allocate(Place::Anywhere(0), 3 * P))?;
    ensure(a >= VM_ANYWHERE_BASE && a % P == 0, || format!("placed at {a:#x}"))?;
    ensure((0..3 * P).step_by(4).all(|o| peek(a + o) == 0), || String::from("not zero-filled"))?;
    for page in 0..3 {
        poke(a + page * P + 8, 0xa110_c000 + page);
    }
    ensure((0..3).all(|page| peek(a + page * P + 8) == 0xa110_c000 + page), || String::from("values lost"))?;
    let r = region(a)?;
    ensure(
        (r.start, r.end, r.prot, r.max_prot, r.inheritance, r.flags)
            == (a, a + 3 * P, RW, VM_PROT_ALL, VM_INHERIT_COPY, 0),
        || format!("region {r:?}"),
    )
}

fn allocate_fixed(_: &Sync) -> Outcome {
    let at = 0x0a00_0000;
    let a = ok("vm_allocate fixed", vm::allocate(Place::Fixed(at), 2 * P))?;
    ensure(a == at, || format!("placed at {a:#x}, not {at:#x}"))?;
    poke(at + P, 7);
    ensure(peek(at + P) == 7 && peek(at) == 0, || String::from("values"))
}

fn overlap_refused(_: &Sync) -> Outcome {
    let at = ok("vm_allocate", vm::allocate(Place::Fixed(0x0a10_0000), 2 * P))?;
    refused("the same range", vm::allocate(Place::Fixed(at), 2 * P), Errno::Exist)?;
    refused("a range straddling its start", vm::allocate(Place::Fixed(at - P), 2 * P), Errno::Exist)?;
    refused("a range inside it", vm::allocate(Place::Fixed(at + P), P), Errno::Exist)?;
    refused("an unaligned address", vm::allocate(Place::Fixed(at + 2 * P + 4), P), Errno::Inval)?;
    refused("an unaligned size", vm::allocate(Place::Anywhere(0), P + 1), Errno::Inval)?;
    refused("size 0", vm::allocate(Place::Anywhere(0), 0), Errno::Inval)?;
    refused("above user space", vm::allocate(Place::Fixed(USER_TOP), P), Errno::Fault)?;
    ensure(peek(at) == 0, || String::from("the first region changed"))
}

fn anywhere_skips_taken(_: &Sync) -> Outcome {
    let at = ok("vm_allocate", vm::allocate(Place::Fixed(0x0a20_0000), 2 * P))?;
    let next = ok("vm_allocate anywhere", vm::allocate(Place::Anywhere(at), P))?;
    ensure(next == at + 2 * P, || format!("anywhere from {at:#x} gave {next:#x}"))
}

fn partial_deallocate(_: &Sync) -> Outcome {
    let a = ok("vm_allocate", vm::allocate(Place::Anywhere(0), 4 * P))?;
    (0..4).for_each(|page| poke(a + page * P, page + 1));
    // Safety: the pages are this case's own.
    ok("vm_deallocate", unsafe { vm::deallocate(a + P, 2 * P) })?;
    let (first, second) = (region(a)?, region(a + P)?);
    ensure((first.start, first.end) == (a, a + P), || format!("the first piece is {first:?}"))?;
    ensure((second.start, second.end) == (a + 3 * P, a + 4 * P), || {
        format!("the next region is {second:?}")
    })?;
    ensure(peek(a) == 1 && peek(a + 3 * P) == 4, || String::from("the pieces lost their values"))?;
    faults_in_child(a + P + 8, false)?;
    faults_in_child(a + 3 * P - 4, true)?;
    // A new region over the hole is zero-filled.
    ok("vm_allocate over the hole", vm::allocate(Place::Fixed(a + P), 2 * P))?;
    ensure(peek(a + P) == 0 && peek(a + 2 * P) == 0, || String::from("the hole kept old values"))
}

fn deallocate_holes(_: &Sync) -> Outcome {
    let a = ok("vm_allocate", vm::allocate(Place::Anywhere(0), P))?;
    // Safety: the range holds this case's page and unallocated space only.
    ok("vm_deallocate across a hole", unsafe { vm::deallocate(a, 8 * P) })?;
    ensure(region(a).map_or(true, |r| r.start > a), || String::from("the page is still there"))?;
    // Safety: nothing lives at an unaligned range (it is refused).
    refused("an unaligned range", unsafe { vm::deallocate(a + 4, P) }, Errno::Inval)
}

fn protect_beyond_maximum(_: &Sync) -> Outcome {
    let a = ok("vm_allocate", vm::allocate(Place::Anywhere(0), 2 * P))?;
    poke(a, 5);
    ok("vm_protect maximum", vm::protect(a, P, true, VM_PROT_READ))?;
    let r = region(a)?;
    ensure((r.end, r.prot, r.max_prot) == (a + P, VM_PROT_READ, VM_PROT_READ), || format!("region {r:?}"))?;
    refused("raising beyond the maximum", vm::protect(a, P, false, RW), Errno::Acces)?;
    refused("raising the maximum", vm::protect(a, P, true, VM_PROT_ALL), Errno::Acces)?;
    refused("a range with a hole", vm::protect(a, 64 * P, false, VM_PROT_READ), Errno::Fault)?;
    ok("lowering the second page", vm::protect(a + P, P, false, VM_PROT_READ))?;
    ok("raising it again", vm::protect(a + P, P, false, RW))?;
    ensure(peek(a) == 5, || String::from("the value changed"))
}

fn read_only_faults(_: &Sync) -> Outcome {
    let a = ok("vm_allocate", vm::allocate(Place::Anywhere(0), P))?;
    poke(a, 5);
    ok("vm_protect", vm::protect(a, P, false, VM_PROT_READ))?;
    faults_in_child(a + 16, true)?;
    ensure(peek(a) == 5, || String::from("the page changed"))
}

/// Maps the page of the faulting address, so the access is retried and succeeds.
fn map_the_page(_: Signal) {
    let addr = signal::fault_address();
    MENDED.fetch_add(1, Ordering::SeqCst);
    MENDED_AT.store(addr, Ordering::SeqCst);
    if vm::allocate(Place::Fixed(addr & !(P - 1)), P).is_err() {
        sys::exit(3);
    }
}

/// Makes the page of the faulting address writable again.
fn unprotect_the_page(_: Signal) {
    let addr = signal::fault_address();
    MENDED.fetch_add(1, Ordering::SeqCst);
    MENDED_AT.store(addr, Ordering::SeqCst);
    if vm::protect(addr & !(P - 1), P, false, RW).is_err() {
        sys::exit(3);
    }
}

/// Runs `access` with `handler` catching SIGSEGV; returns how often it ran and the last
/// address it was given.
fn with_mending(handler: fn(Signal), access: impl FnOnce()) -> Result<(u32, u32), String> {
    MENDED.store(0, Ordering::SeqCst);
    let old = ok("sigaction", signal::set(Signal::Segv, Handler::Catch(handler)))?;
    access();
    ok("sigaction back", signal::set(Signal::Segv, old))?;
    Ok((MENDED.load(Ordering::SeqCst), MENDED_AT.load(Ordering::SeqCst)))
}

fn fault_outside_caught(_: &Sync) -> Outcome {
    let addr = 0x0b00_0124;
    ensure(region(addr).map_or(true, |r| r.start > addr), || String::from("the address is mapped already"))?;
    let mut value = 1;
    let (count, at) = with_mending(map_the_page, || value = peek(addr))?;
    ensure(count == 1 && at == addr && value == 0, || format!("{count} fault(s), at {at:#x}, read {value}"))?;
    poke(addr, 9);
    ensure(peek(addr) == 9, || String::from("the mended page does not keep a value"))
}

fn fault_against_protection_caught(_: &Sync) -> Outcome {
    let a = ok("vm_allocate", vm::allocate(Place::Anywhere(0), P))?;
    ok("vm_protect", vm::protect(a, P, false, VM_PROT_READ))?;
    let (count, at) = with_mending(unprotect_the_page, || poke(a + 40, 77))?;
    ensure(count == 1 && at == a + 40 && peek(a + 40) == 77, || format!("{count} fault(s), at {at:#x}"))?;
    ensure(region(a)?.prot == RW, || String::from("the handler's protection did not hold"))
}

fn inherit_none(_: &Sync) -> Outcome {
    let a = ok("vm_allocate", vm::allocate(Place::Anywhere(0), 2 * P))?;
    poke(a, 3);
    ok("vm_inherit none", vm::inherit(a, 2 * P, Inherit::None))?;
    let (_, code) = child(|| match vm::region(a) {
        Ok(r) if r.start <= a => 20,
        _ => touch_expecting_fault(a, false),
    })?;
    ensure(code == FAULTED, || format!("the child: exit {code} (20: the region is there)"))?;
    ensure(peek(a) == 3, || String::from("the parent lost its page"))
}

fn inherit_share(sync: &Sync) -> Outcome {
    sync.clear();
    let a = ok("vm_allocate", vm::allocate(Place::Anywhere(0), P))?;
    poke(a, 1);
    ok("vm_inherit share", vm::inherit(a, P, Inherit::Share))?;
    let pid = spawn(|| {
        let shared = vm::region(a).is_ok_and(|r| r.flags & VmRegion::SHARED != 0);
        poke(a, 2);
        sync.set(0, 1);
        if !sync.wait_for(1, 1) {
            return 21;
        }
        match (shared, peek(a)) {
            (true, 3) => 0,
            (false, _) => 22,
            _ => 23,
        }
    })?;
    let seen = sync.wait_for(0, 1) && peek(a) == 2;
    poke(a, 3);
    sync.set(1, 1);
    let code = reap(pid)?;
    ensure(seen, || String::from("the child's write is not seen by the parent"))?;
    ensure(code == 0, || format!("the child: exit {code} (23: the parent's write not seen)"))?;
    ensure(region(a)?.flags & VmRegion::SHARED != 0, || String::from("not shown as shared"))
}

fn inherit_copy(sync: &Sync) -> Outcome {
    sync.clear();
    let a = ok("vm_allocate", vm::allocate(Place::Anywhere(0), 2 * P))?;
    poke(a, 1);
    poke(a + P, 10);
    let pid = spawn(|| {
        poke(a, 2);
        sync.set(0, 1);
        if !sync.wait_for(1, 1) {
            return 21;
        }
        match (peek(a), peek(a + P)) {
            (2, 10) => 0,
            _ => 24,
        }
    })?;
    let cow = region(a)?.flags & VmRegion::COPY_ON_WRITE != 0;
    let ran = sync.wait_for(0, 1);
    let parent_kept = peek(a) == 1;
    poke(a, 3);
    poke(a + P, 11);
    sync.set(1, 1);
    let code = reap(pid)?;
    ensure(cow, || String::from("not shown as copy-on-write after fork"))?;
    ensure(ran && parent_kept, || String::from("the child's write is seen by the parent"))?;
    ensure(code == 0, || format!("the child: exit {code} (24: a parent's write seen by the child)"))?;
    ensure(peek(a) == 3 && peek(a + P) == 11, || String::from("the parent's own writes"))
}

fn read_write_child(sync: &Sync) -> Outcome {
    sync.clear();
    let a = ok("vm_allocate", vm::allocate(Place::Anywhere(0), 2 * P))?;
    poke(a, 0x1111);
    let pid = spawn(|| {
        poke(a, 0x2222);
        poke(a + P + 4, 0x5555);
        sync.set(0, 1);
        if !sync.wait_for(1, 1) {
            return 21;
        }
        if peek(a) == 0x3333 && peek(a + P) == 0x77 && peek(a + P + 4) == 0x5555 {
            0
        } else {
            25
        }
    })?;
    if !sync.wait_for(0, 1) {
        return Err(String::from("the child never got ready"));
    }
    let mut word = [0u8; 4];
    let read = vm::read(pid, a, &mut word).map(|()| u32::from_le_bytes(word));
    let mut across = [0u8; 8];
    let read_across = vm::read(pid, a + P, &mut across).map(|()| across);
    // Safety: the child's memory, not this process's.
    let wrote = unsafe { vm::write(pid, a, &0x3333u32.to_le_bytes()) };
    // Safety: as above; the four bytes straddle the child's two pages.
    let wrote_across = unsafe { vm::write(pid, a + P - 2, &[0, 0, 0x77, 0]) };
    sync.set(1, 1);
    let code = reap(pid)?;
    ensure(read == Ok(0x2222), || format!("vm_read: {read:?}"))?;
    let expected = [0, 0, 0, 0, 0x55, 0x55, 0, 0];
    ensure(read_across == Ok(expected), || format!("vm_read of the second page: {read_across:?}"))?;
    ensure(wrote.is_ok() && wrote_across.is_ok(), || format!("vm_write: {wrote:?}, {wrote_across:?}"))?;
    ensure(code == 0, || format!("the child: exit {code} (25: the writes not seen)"))?;
    ensure(peek(a) == 0x1111, || String::from("the parent's page changed"))
}

fn read_write_others(sync: &Sync) -> Outcome {
    sync.clear();
    let mut buf = [0u8; 4];
    refused("vm_read of no process", vm::read(0x7fff_0000, 0x1_0000, &mut buf), Errno::Srch)?;
    // A grandchild is not the caller's to read.
    let pid = spawn(|| {
        let grandchild = spawn(|| if sync.wait_for(2, 1) { 0 } else { 21 });
        let Ok(grandchild) = grandchild else { return 26 };
        sync.set(1, grandchild);
        sync.set(0, 1);
        reap(grandchild).unwrap_or(27)
    })?;
    let got = sync.wait_for(0, 1);
    let grandchild = sync.get(1);
    let read = vm::read(grandchild, 0x1_0000, &mut buf);
    sync.set(2, 1);
    let code = reap(pid)?;
    ensure(got && code == 0, || format!("the child: exit {code}"))?;
    refused("vm_read of a grandchild", read, Errno::Perm)?;
    refused("vm_read of an unmapped address", vm::read(0, 0x0c00_0000, &mut buf), Errno::Fault)?;
    // Safety: an unmapped address: the call is refused before anything is written.
    refused("vm_write to an unmapped address", unsafe { vm::write(0, 0x0c00_0000, &buf) }, Errno::Fault)?;
    let a = ok("vm_allocate", vm::allocate(Place::Anywhere(0), P))?;
    // Safety: the kernel refuses the kernel-space buffer before it copies anything.
    let bad_buffer = unsafe { sys::raw_syscall(Syscall::VmRead as u32, [0, a, 4, 0x8000_0000, 0, 0]) };
    refused("vm_read into a kernel address", errno_of(bad_buffer), Errno::Fault)
}

fn errno_of(result: i32) -> Result<i32, Errno> {
    Errno::from_result(result).map_or(Ok(result), Err)
}

fn copy(_: &Sync) -> Outcome {
    let a = ok("vm_allocate", vm::allocate(Place::Anywhere(0), 4 * P))?;
    for o in (0..2 * P).step_by(64) {
        poke(a + o, o ^ 0x00c0_ffee);
    }
    // Safety: the destination pages are this case's own, unused.
    ok("vm_copy", unsafe { vm::copy(0, a, 2 * P, a + 2 * P) })?;
    ensure((0..2 * P).step_by(64).all(|o| peek(a + 2 * P + o) == o ^ 0x00c0_ffee), || {
        String::from("the copy differs")
    })?;
    poke(a, 1);
    ensure(peek(a + 2 * P) == 0x00c0_ffee, || String::from("the copy follows the original"))?;
    // Safety: refused: nothing is written.
    refused("overlapping ranges", unsafe { vm::copy(0, a, 2 * P, a + P) }, Errno::Inval)?;
    // Safety: refused: the destination is unmapped.
    refused("to an unmapped range", unsafe { vm::copy(0, a, P, 0x0c00_0000) }, Errno::Fault)
}

/// The address of this program's code.
fn code_address() -> u32 {
    region_query as *const () as u32
}

fn region_query(_: &Sync) -> Outcome {
    let mut addr = 0;
    let mut last_end = 0;
    let mut count = 0;
    let mut text = None;
    while let Ok(r) = vm::region(addr) {
        ensure(r.start >= last_end && r.start < r.end && r.start % P == 0, || format!("region {r:?}"))?;
        if (r.start..r.end).contains(&code_address()) {
            text = Some(r);
        }
        (last_end, addr, count) = (r.end, r.end, count + 1);
        if r.end == USER_TOP {
            break;
        }
    }
    ensure(count >= 4 && last_end == USER_TOP, || {
        format!("{count} regions, the last ending at {last_end:#x}")
    })?;
    let text = text.ok_or_else(|| String::from("no region holds the code"))?;
    ensure(text.prot & VM_PROT_EXECUTE != 0 && text.prot & VM_PROT_WRITE == 0, || format!("code {text:?}"))?;
    refused("above the last region", vm::region(USER_TOP), Errno::NoMem)
}

fn heap_and_stack(_: &Sync) -> Outcome {
    let old = ok("sbrk", sys::sbrk(2 * P as i32))? as u32;
    let r = region(old)?;
    ensure(r.start <= old && r.end >= old + P && r.prot == RW, || format!("the heap at {old:#x}: {r:?}"))?;
    let local = 0u32;
    let sp = &local as *const u32 as u32;
    let stack = region(sp)?;
    ensure((stack.start, stack.end, stack.prot) == (USER_TOP - USER_STACK_MAX, USER_TOP, RW), || {
        format!("the stack: {stack:?}")
    })?;
    ok("sbrk back", sys::sbrk(-(2 * P as i32))).map(|_| ())
}

fn bad_arguments(_: &Sync) -> Outcome {
    let a = ok("vm_allocate", vm::allocate(Place::Anywhere(0), P))?;
    let raw = |call: Syscall, args: [u32; 6]| {
        // Safety: each of these is refused before it touches memory.
        errno_of(unsafe { sys::raw_syscall(call as u32, args) })
    };
    refused("anywhere = 2", raw(Syscall::VmAllocate, [0, P, 2, 0, 0, 0]), Errno::Inval)?;
    refused("set_max = 2", raw(Syscall::VmProtect, [a, P, 2, 1, 0, 0]), Errno::Inval)?;
    refused("protection bit 8", raw(Syscall::VmProtect, [a, P, 0, 8, 0, 0]), Errno::Inval)?;
    refused("inheritance 3", raw(Syscall::VmInherit, [a, P, 3, 0, 0, 0]), Errno::Inval)?;
    refused(
        "vm_region into a kernel address",
        raw(Syscall::VmRegion, [a, 0x8000_0000, 0, 0, 0, 0]),
        Errno::Fault,
    )?;
    refused("an unknown call", errno_of(unsafe_raw(69)), Errno::NoSys)
}

fn unsafe_raw(number: u32) -> i32 {
    // Safety: an unknown call does nothing.
    unsafe { sys::raw_syscall(number, [0; 6]) }
}

fn fork_churn(_: &Sync) -> Outcome {
    let a = ok("vm_allocate", vm::allocate(Place::Anywhere(0), 4 * P))?;
    for round in 0..24 {
        poke(a + (round % 4) * P, round);
        let (_, code) = child(|| {
            poke(a + ((round + 1) % 4) * P, 100 + round);
            0
        })?;
        ensure(code == 0, || format!("round {round}: exit {code}"))?;
    }
    let node = ok("stats", sys::stats(current_node()?))?;
    ensure(node.vm_deepest_chain <= 3, || format!("the deepest chain is {}", node.vm_deepest_chain))
}

/// This process's node, from `ps`.
fn current_node() -> Result<u32, String> {
    let me = sys::getpid();
    let table = ok("ps", sys::ps(64))?;
    table.iter().find(|p| p.pid == me).map(|p| u32::from(p.node)).ok_or_else(|| String::from("not in ps"))
}

/// A child placed on another node (`rfork`) gets the image by value: `none` regions absent,
/// `copy` and `share` regions as copies (sharing stops at the node).
fn fork_across_nodes(_: &Sync) -> Outcome {
    let none = ok("vm_allocate", vm::allocate(Place::Anywhere(0), P))?;
    let shared = ok("vm_allocate", vm::allocate(Place::Anywhere(0), P))?;
    poke(none, 1);
    poke(shared, 2);
    ok("vm_inherit none", vm::inherit(none, P, Inherit::None))?;
    ok("vm_inherit share", vm::inherit(shared, P, Inherit::Share))?;
    let child = match sys::rfork(0) {
        Ok(Fork::Child) => {
            let absent = vm::region(none).map_or(true, |r| r.start > none);
            let copied = peek(shared) == 2;
            poke(shared, 3);
            sys::exit(match (absent, copied) {
                (true, true) => 0,
                (false, _) => 30,
                (_, false) => 31,
            })
        }
        Ok(Fork::Parent(pid)) => pid,
        Err(e) => return Err(format!("rfork: {}", e.name())),
    };
    let code = reap(child)?;
    ensure(code == 0, || format!("the child: exit {code} (30: the none region is there, 31: not copied)"))?;
    ensure(peek(shared) == 2, || String::from("a write on the other node came back"))
}
