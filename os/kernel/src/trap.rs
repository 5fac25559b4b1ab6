//! Traps: where every exception and interrupt of a user process goes. (A trap in the kernel is
//! a bug: `ox_kcore::exception::kernel_trap` panics.)
//!
//! - `syscall` → [`syscall::dispatch`](crate::syscall::dispatch).
//! - A load or store page fault in the stack region is the stack growing: the page is mapped
//!   and the instruction retried. Every other fault is a signal (SIGSEGV for page and access
//!   faults, SIGBUS for misaligned accesses, SIGILL for illegal and privileged instructions,
//!   SIGTRAP for `break`): the process's handler takes it, or, if it has none (or is already
//!   in that handler), the process dies, reported on the console.
//! - Interrupts: the timer ticks (waking sleepers, then preempting the process), the UART
//!   brings input (waking readers).
//!
//! Before returning to user mode the process's pending signals are acted on
//! ([`proc::deliver_signals`]: a handler, or death).

use ox_kcore::exception::{self, code, INTERRUPT};
use ox_kcore::vm::Access;

use crate::arch::{self, cr, TrapFrame};
use crate::proc::{self, Chan};
use crate::{block, console, intc, kprintln, remote, sched, syscall, timer};

/// Every trap from user mode lands here (from `trap_vector`, with the frame saved on the
/// process's kernel stack). Returning resumes the process at `frame.epc`.
#[no_mangle]
extern "C" fn user_trap(frame: &mut TrapFrame) {
    let cause = arch::read_cr::<{ cr::CAUSE }>();
    if cause & INTERRUPT != 0 {
        let line = cause & !INTERRUPT;
        handle_interrupt(line);
        if line == intc::IRQ_TIMER {
            sched::yield_now();
        }
    } else if cause == code::SYSCALL {
        syscall::dispatch(frame);
    } else {
        let badaddr = arch::read_cr::<{ cr::BADADDR }>();
        let served = Access::of_page_fault(cause).is_some_and(|access| proc::fault_in(badaddr, access));
        if !served {
            fault(cause, badaddr, frame.epc);
        }
    }
    proc::deliver_signals(frame);
}

/// A fault of the current process: its signal goes to its handler, or the process dies (at
/// its return to user mode), reported here.
fn fault(cause: u32, badaddr: u32, pc: u32) {
    let signal = exception::signal(cause);
    if proc::fault(signal) {
        return;
    }
    let what = match cause {
        code::ILLEGAL_INSTRUCTION | code::PRIVILEGED_INSTRUCTION => "word",
        code::BREAK => "",
        _ => "at",
    };
    let (pid, name) = proc::current_name();
    if what.is_empty() {
        kprintln!(
            "pid {pid} ({name}): killed by {}: {}, pc {pc:#010x}",
            signal.name(),
            exception::name(cause)
        );
    } else {
        kprintln!(
            "pid {pid} ({name}): killed by {}: {} {what} {badaddr:#010x}, pc {pc:#010x}",
            signal.name(),
            exception::name(cause)
        );
    }
}

/// Handles interrupt line `line`.
fn handle_interrupt(line: u32) {
    match line {
        intc::IRQ_TIMER => {
            timer::on_interrupt();
            sched::wakeup(Chan::Tick);
            remote::on_tick();
        }
        intc::IRQ_UART => {
            if console::on_interrupt() {
                sched::wakeup(Chan::Console);
            }
            if console::take_interrupt_key() {
                crate::proc::interrupt_key();
            }
        }
        // The disk driver waits for its own completions and acknowledges them before it
        // returns, so the line is never asserted here.
        block::IRQ_BLOCK => {}
        line if remote::owns(line) => remote::on_interrupt(line),
        other => panic!("interrupt on line {other}, which no device of ours uses"),
    }
}

/// Handles every pending interrupt (the idle loop, which runs with interrupts masked).
pub fn poll_interrupts() {
    while let Some(line) = intc::claim() {
        handle_interrupt(line);
    }
}
