//! Traps: where every exception and interrupt of a user process goes, and what a trap in the
//! kernel means (a bug: it panics).
//!
//! - `syscall` → [`syscall::dispatch`](crate::syscall::dispatch).
//! - A load or store page fault in the stack region is the stack growing: the page is mapped
//!   and the instruction retried. Every other fault kills the process with a signal (SIGSEGV
//!   for page and access faults, SIGBUS for misaligned accesses, SIGILL for illegal and
//!   privileged instructions, SIGTRAP for `break`), reported on the console.
//! - Interrupts: the timer ticks (waking sleepers, then preempting the process), the UART
//!   brings input (waking readers).
//!
//! Before returning to user mode the process dies if a signal was sent to it.

use ox_abi::{Signal, WaitStatus};

use crate::arch::{self, cr, TrapFrame};
use crate::proc::{self, Chan};
use crate::{console, intc, kprintln, sched, syscall, timer};

/// `cause` bit 31: an interrupt.
const INTERRUPT: u32 = 1 << 31;

/// Exception codes (docs/isa.md §9.4).
mod code {
    pub const FETCH_MISALIGNED: u32 = 1;
    pub const FETCH_ACCESS: u32 = 2;
    pub const FETCH_PAGE_FAULT: u32 = 3;
    pub const ILLEGAL_INSTRUCTION: u32 = 4;
    pub const PRIVILEGED_INSTRUCTION: u32 = 5;
    pub const BREAK: u32 = 6;
    pub const SYSCALL: u32 = 7;
    pub const LOAD_MISALIGNED: u32 = 8;
    pub const LOAD_ACCESS: u32 = 9;
    pub const LOAD_PAGE_FAULT: u32 = 10;
    pub const STORE_MISALIGNED: u32 = 11;
    pub const STORE_ACCESS: u32 = 12;
    pub const STORE_PAGE_FAULT: u32 = 13;
}

/// The name docs/isa.md gives an exception code.
pub fn exception_name(cause: u32) -> &'static str {
    match cause {
        code::FETCH_MISALIGNED => "fetch-misaligned",
        code::FETCH_ACCESS => "fetch-access",
        code::FETCH_PAGE_FAULT => "fetch-page-fault",
        code::ILLEGAL_INSTRUCTION => "illegal-instruction",
        code::PRIVILEGED_INSTRUCTION => "privileged-instruction",
        code::BREAK => "break",
        code::SYSCALL => "syscall",
        code::LOAD_MISALIGNED => "load-misaligned",
        code::LOAD_ACCESS => "load-access",
        code::LOAD_PAGE_FAULT => "load-page-fault",
        code::STORE_MISALIGNED => "store-misaligned",
        code::STORE_ACCESS => "store-access",
        code::STORE_PAGE_FAULT => "store-page-fault",
        _ => "unknown exception",
    }
}

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
        let growing_stack =
            matches!(cause, code::LOAD_PAGE_FAULT | code::STORE_PAGE_FAULT) && proc::fault_in(badaddr);
        if !growing_stack {
            kill_for_fault(cause, badaddr, frame.epc);
        }
    }
    proc::exit_if_killed();
}

/// Reports a fatal fault of the current process and ends it.
fn kill_for_fault(cause: u32, badaddr: u32, pc: u32) -> ! {
    let signal = match cause {
        code::ILLEGAL_INSTRUCTION | code::PRIVILEGED_INSTRUCTION => Signal::Ill,
        code::BREAK => Signal::Trap,
        code::FETCH_MISALIGNED | code::LOAD_MISALIGNED | code::STORE_MISALIGNED => Signal::Bus,
        _ => Signal::Segv,
    };
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
            exception_name(cause)
        );
    } else {
        kprintln!(
            "pid {pid} ({name}): killed by {}: {} {what} {badaddr:#010x}, pc {pc:#010x}",
            signal.name(),
            exception_name(cause)
        );
    }
    proc::exit(WaitStatus::Signaled(signal));
}

/// Handles interrupt line `line`.
fn handle_interrupt(line: u32) {
    match line {
        intc::IRQ_TIMER => {
            timer::on_interrupt();
            sched::wakeup(Chan::Tick);
        }
        intc::IRQ_UART => {
            if console::on_interrupt() {
                sched::wakeup(Chan::Console);
            }
        }
        other => panic!("interrupt on line {other}, which no device of ours uses"),
    }
}

/// Handles every pending interrupt (the idle loop, which runs with interrupts masked).
pub fn poll_interrupts() {
    while let Some(line) = intc::claim() {
        handle_interrupt(line);
    }
}

/// A trap in kernel mode: always a kernel bug.
#[no_mangle]
extern "C" fn kernel_trap(frame: &TrapFrame) -> ! {
    let cause = arch::read_cr::<{ cr::CAUSE }>();
    let badaddr = arch::read_cr::<{ cr::BADADDR }>();
    if cause & INTERRUPT != 0 {
        panic!("interrupt {} in kernel mode, pc {:#010x}", cause & !INTERRUPT, frame.epc);
    }
    panic!(
        "{} in kernel mode at {badaddr:#010x}, pc {:#010x}, ra {:#010x}, sp {:#010x}",
        exception_name(cause),
        frame.epc,
        frame.regs[1],
        frame.regs[2]
    );
}
