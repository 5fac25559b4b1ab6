//! The signal path of a process, the same on every kernel (the signal state itself, and
//! delivery onto the user stack, are [`crate::signal`]): posting, the check an interruptible
//! sleep makes, faults, the signal calls, and acting on pending signals before a process
//! returns to user mode.
//!
//! A process whose user context lives on another node (its role says so: a stub) keeps every
//! signal pending for that node, whatever its dispositions here, and never delivers one here;
//! any pending signal, or that node's request to interrupt, breaks its interruptible sleeps.

use ox_abi::{Errno, Signal, WaitStatus};

use crate::arch::TrapFrame;
use crate::kprintln;
use crate::signal::{self, Delivery};
use crate::task::chan;
use crate::task::kernel;
use crate::task::proc::{self, Proc, State};
use crate::task::sched;
use crate::vm::Access;

/// Sends `signal` to `proc`: pending (unless it ignores it), and if it should break a sleep,
/// `proc` is woken (its sleep loop decides whether to return `EINTR`). Returns whether it was
/// woken.
pub fn post(proc: &mut Proc, signal: Signal) -> bool {
    let wake = if proc.role.user_context_elsewhere() {
        proc.signals.post_unfiltered(signal);
        true
    } else {
        proc.signals.post(signal)
    };
    let sleeping = matches!(proc.state, State::Sleeping(_));
    if wake && sleeping {
        proc.state = State::Runnable;
    }
    wake && sleeping
}

/// Sends `signal` to the current process (`SIGPIPE` from a write to a pipe nobody reads).
pub fn raise(signal: Signal) {
    post(proc::table().current(), signal);
}

/// Whether the current process has a signal that breaks an interruptible sleep: a pending one
/// that is not blocked; for a process whose user context is elsewhere, any pending one (its
/// dispositions are there, and decide), or that node's request to interrupt. A process that
/// is to move to another node is interrupted too: its call is made again there.
pub fn interrupted() -> bool {
    let mut table = proc::table();
    let me = table.current();
    signal_breaks_sleep(me) || (!me.role.user_context_elsewhere() && me.role.move_requested())
}

/// [`interrupted`] by a signal only, not by a move: for the waits whose `EINTR` a call could
/// not simply make again (the receive half of `msg_rpc`, after its send; a timed port wait)
/// or that a process that cannot move anyway makes (a fault short of memory).
pub fn signalled() -> bool {
    signal_breaks_sleep(proc::table().current())
}

/// Whether `me` has a signal that breaks an interruptible sleep ([`interrupted`], without a
/// move).
#[inline]
pub fn signal_breaks_sleep(me: &Proc) -> bool {
    if me.role.user_context_elsewhere() {
        me.role.interrupt_requested() || me.signals.any_pending()
    } else {
        me.signals.interrupting()
    }
}

/// Whether the current process's call that just failed with `EINTR` is to be made again
/// after the process moves (process migration): it was interrupted for its move, and no
/// signal is to be delivered, which would make the `EINTR` the caller's to see. If so, its
/// role hears that it is asleep in the call ([`Role::call_restarted`](proc::Role)).
pub fn restart_for_move() -> bool {
    let mut table = proc::table();
    let me = table.current();
    let restart = !me.role.user_context_elsewhere() && me.role.move_requested() && !me.signals.interrupting();
    if restart {
        me.signals.set_restart();
        me.role.call_restarted();
    }
    restart
}

/// A fault's `signal` at `addr` for the current process: `true` if a handler will take it
/// (with `addr`), `false` if it terminates the process at its return to user mode.
pub fn fault(signal: Signal, addr: u32) -> bool {
    proc::table().current().signals.fault(signal, addr)
}

/// `sigaction(signal, handler, restorer)`: sets the current process's action for `signal`;
/// returns the old handler word.
pub fn sigaction(signal: u32, handler: u32, restorer: u32) -> Result<u32, Errno> {
    proc::table().current().signals.sigaction(signal, handler, restorer)
}

/// `sigreturn`: the current process's handler is done; `frame` resumes what it interrupted.
/// A missing or damaged frame on the stack ends the process with `SIGSEGV`.
pub fn sigreturn(frame: &mut TrapFrame) -> u32 {
    proc::prefault_through_signals(frame.regs[2], ox_abi::SigFrame::SIZE, Access::Read);
    let restored = {
        let mut table = proc::table();
        let me = table.current();
        let Some(space) = me.space.as_mut() else { unreachable!("a process in user mode has memory") };
        signal::sigreturn(&mut me.signals, space, frame)
    };
    match restored {
        Ok(a0) => a0,
        Err(_) => {
            report(&format_args!("killed by SIGSEGV: no signal frame at sp {:#010x}", frame.regs[2]));
            (kernel().exit)(WaitStatus::Signaled(Signal::Segv))
        }
    }
}

/// `pause`: sleeps until a signal is to be delivered; always `EINTR`.
pub fn pause() -> Result<u32, Errno> {
    loop {
        if interrupted() {
            return Err(Errno::Intr);
        }
        sched::sleep(chan::pause());
    }
}

/// Acts on the current process's pending signals before it returns to user mode with
/// `frame`: enters handlers, or ends the process for a signal whose action terminates.
/// `call_made` says the trap was a system call that was made (not one put off to be made
/// again after a move): no call is left to make again.
pub fn deliver(frame: &mut TrapFrame, call_made: bool) {
    let handled = {
        let mut table = proc::table();
        let me = table.current();
        if call_made {
            me.signals.clear_restart();
        }
        me.signals.interrupting() && !me.role.user_context_elsewhere()
    };
    if !handled {
        return;
    }
    // The signal frame's page may be with a pager (paged out): brought in first.
    let below = frame.regs[2].wrapping_sub(ox_abi::SigFrame::RESERVED) & !15;
    if below < frame.regs[2] {
        proc::prefault_through_signals(below, (frame.regs[2] - below) as usize, Access::Write);
    }
    let delivery = {
        let mut table = proc::table();
        let me = table.current();
        if !me.signals.interrupting() || me.role.user_context_elsewhere() {
            return;
        }
        let Some(space) = me.space.as_mut() else { return };
        signal::deliver(&mut me.signals, space, frame)
    };
    if let Delivery::Terminate(signal) = delivery {
        (kernel().exit)(WaitStatus::Signaled(signal));
    }
}

/// Reports `what` happened to the current process on the console: `pid N (name): what`.
pub fn report(what: &dyn core::fmt::Display) {
    let (pid, name) = proc::current_name();
    if name.is_empty() {
        kprintln!("pid {pid}: {what}");
    } else {
        kprintln!("pid {pid} ({name}): {what}");
    }
}
