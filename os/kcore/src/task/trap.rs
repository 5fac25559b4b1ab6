//! Traps from user mode, the same on every kernel: where every exception and interrupt of a
//! user process goes (`trap_vector` in [`crate::arch`] calls [`user_trap`] with the frame saved
//! on the process's kernel stack).
//!
//! - `syscall` → [`syscall::dispatch`](super::syscall::dispatch).
//! - A page fault the VM can serve (a first touch, a copy-on-write) maps the page and the
//!   instruction is retried. Every other fault is a signal carrying the faulting address
//!   (SIGSEGV for page and access faults, SIGBUS for misaligned accesses, SIGILL for illegal
//!   and privileged instructions, SIGTRAP for `break`): the process's handler takes it, or, if
//!   it has none (or is already in that handler), the process dies, reported on the console.
//! - Interrupts: the timer ticks here (waking sleepers on a tick, then the kernel's own tick
//!   work, then preempting the process); every other line is the kernel's
//!   ([`Kernel::interrupt`](super::Kernel)), which says whether to preempt.
//!
//! Before returning to user mode the process's pending signals are acted on
//! ([`signal::deliver`](super::signal::deliver): a handler, or death), and then the kernel
//! has its last word ([`Kernel::returning`](super::Kernel): a process asked to migrate
//! leaves the node there, its registers and memory exactly as user mode would resume them).

use crate::arch::{self, cr, TrapFrame};
use crate::exception::{self, code, INTERRUPT};
use crate::intc;
use crate::task::{chan, kernel, proc, sched, signal, syscall};
use crate::timer;
use crate::vm::{Access, Fault};
use ox_abi::Signal;

/// Every trap from user mode lands here. Returning resumes the process at `frame.epc`.
#[no_mangle]
extern "C" fn user_trap(frame: &mut TrapFrame) {
    let cause = arch::read_cr::<{ cr::CAUSE }>();
    let mut call_made = false;
    if cause & INTERRUPT != 0 {
        if handle_interrupt(cause & !INTERRUPT) {
            sched::yield_now();
        }
    } else if cause == code::SYSCALL {
        call_made = syscall::dispatch(frame);
    } else {
        exception(cause, frame);
    }
    signal::deliver(frame, call_made);
    (kernel().returning)(frame);
}

/// An exception of the current process's, with `cause`: a page fault served, waited for or
/// made a signal, or any other fault's signal.
#[inline(never)]
fn exception(cause: u32, frame: &mut TrapFrame) {
    let badaddr = arch::read_cr::<{ cr::BADADDR }>();
    let outcome =
        Access::of_page_fault(cause).map(|access| proc::table().current().space().fault_in(badaddr, access));
    match outcome {
        Some(Fault::Served) => {}
        // The page is its external pager's: wait for it (no lock held), then run the
        // access again; a pager that is dead or too slow is a bus error.
        Some(Fault::Pager(object, index, access)) => {
            if !crate::ipcall::page_in(object, index, access) {
                pager_fault(badaddr, frame.epc);
            }
        }
        // No frame: pages are reclaimed, or the default pager is to make room first (the
        // access runs again), or there is nothing to reclaim (a signal).
        Some(Fault::NoMemory) if crate::ipcall::make_room() => {}
        _ => fault(cause, badaddr, frame.epc),
    }
}

/// A page its external pager did not provide: `SIGBUS`, to its handler or killing it.
fn pager_fault(badaddr: u32, pc: u32) {
    if !signal::fault(Signal::Bus, badaddr) {
        signal::report(&format_args!(
            "killed by SIGBUS: the pager of the page at {badaddr:#010x} is dead or did not answer, pc {pc:#010x}"
        ));
    }
}

/// A fault of the current process: its signal goes to its handler, or the process dies (at
/// its return to user mode), reported here.
fn fault(cause: u32, badaddr: u32, pc: u32) {
    let sig = exception::signal(cause);
    if signal::fault(sig, exception::fault_address(cause, badaddr, pc)) {
        return;
    }
    let (name, what) = (sig.name(), exception::name(cause));
    match cause {
        code::BREAK => signal::report(&format_args!("killed by {name}: {what}, pc {pc:#010x}")),
        code::ILLEGAL_INSTRUCTION | code::PRIVILEGED_INSTRUCTION => {
            signal::report(&format_args!("killed by {name}: {what} word {badaddr:#010x}, pc {pc:#010x}"))
        }
        _ => signal::report(&format_args!("killed by {name}: {what} at {badaddr:#010x}, pc {pc:#010x}")),
    }
}

/// Handles interrupt line `line`; returns whether the current process should give up the CPU.
fn handle_interrupt(line: u32) -> bool {
    if line == intc::IRQ_TIMER {
        timer::on_interrupt();
        sched::wakeup(chan::tick());
        (kernel().tick)();
        true
    } else {
        (kernel().interrupt)(line)
    }
}

/// Handles every pending interrupt (the idle loop, which runs with interrupts masked).
pub fn poll_interrupts() {
    while let Some(line) = intc::claim() {
        handle_interrupt(line);
    }
}
