//! Traps from the satellite's processes. `syscall` goes to [`syscall::dispatch`]; a page
//! fault in the stack region grows the stack; every other fault is a signal, delivered here,
//! on this node: the process's handler takes it, or the process ends (reported here, and told
//! to its stub by `Exit`). Before returning to user mode the pending signals are acted on
//! ([`proc::deliver_signals`]). Interrupts: the timer ticks (waking
//! sleepers, resending what the link timed out, then preempting), the link port brings the
//! central's messages (and preempts the process when they are requests for the server, which
//! then runs first).

use ox_kcore::arch::{self, cr, TrapFrame};
use ox_kcore::exception::{self, code, INTERRUPT};
use ox_kcore::vm::Access;
use ox_kcore::{intc, kprintln, timer};

use crate::proc::{self, Chan};
use crate::{link, sched, server, syscall};

/// Every trap from user mode lands here (from the trap vector, with the frame on the
/// process's kernel stack). Returning resumes the process at `frame.epc`.
#[no_mangle]
extern "C" fn user_trap(frame: &mut TrapFrame) {
    let cause = arch::read_cr::<{ cr::CAUSE }>();
    if cause & INTERRUPT != 0 {
        let line = cause & !INTERRUPT;
        handle_interrupt(line);
        if line == intc::IRQ_TIMER || server::has_work() {
            sched::yield_now();
        }
    } else if cause == code::SYSCALL {
        syscall::dispatch(frame);
    } else {
        let badaddr = arch::read_cr::<{ cr::BADADDR }>();
        let served = Access::of_page_fault(cause)
            .is_some_and(|access| proc::table().current().space().fault_in(badaddr, access));
        let signal = exception::signal(cause);
        if !served && !proc::fault(signal, exception::fault_address(cause, badaddr, frame.epc)) {
            let pid = proc::table().current().pid;
            kprintln!(
                "pid {pid}: killed by {}: {} at {badaddr:#010x}, pc {:#010x}",
                signal.name(),
                exception::name(cause),
                frame.epc
            );
        }
    }
    proc::deliver_signals(frame);
}

/// Handles interrupt line `line`.
fn handle_interrupt(line: u32) {
    match line {
        intc::IRQ_TIMER => {
            timer::on_interrupt();
            proc::table().wakeup(Chan::Tick);
            link::on_tick();
        }
        line if line == link::line() => link::on_interrupt(),
        other => panic!("interrupt on line {other}, which no device of the satellite uses"),
    }
}

/// Handles every pending interrupt (the idle loop, which runs with interrupts masked).
pub fn poll_interrupts() {
    while let Some(line) = intc::claim() {
        handle_interrupt(line);
    }
}
