//! The scheduler, the same on every kernel: round robin over runnable processes (a
//! runnable system thread first), preemptive on the timer tick.
//!
//! The scheduler is a kernel thread of its own, on the boot stack. It picks the next process,
//! activates its address space (the kernel's page table for a kernel thread) and switches to
//! its kernel thread; the process switches back when it yields (the tick's interrupt), sleeps
//! or exits. With nothing runnable the scheduler `wait`s for an interrupt and handles it
//! here. The timer stays quiet while idle unless someone sleeps on a tick — or it is armed for
//! the kernel's next deadline ([`Kernel::deadline`](super::Kernel): a link's retransmission) —
//! so an idle node really idles. The kernel always runs with interrupts masked, so this loop
//! and the return to user mode are the only places they are taken.
//!
//! `sleep`/`wakeup` follow xv6: a process sleeps on a [`Chan`]; `wakeup(chan)` makes every
//! sleeper on it runnable, and each re-checks its condition. No wakeup can be lost, since
//! nothing runs between a check and the sleep.

use crate::arch::{self, Context};
use crate::global::Global;
use crate::task::chan::{self, Chan};
use crate::task::proc::{self, State};
use crate::task::{kernel, trap};
use crate::timer;

/// The scheduler thread's saved context.
static SCHEDULER: Global<Context> = Global::new("scheduler context", Context { ra: 0, sp: 0, s: [0; 12] });

/// Runs processes forever.
pub fn run() -> ! {
    loop {
        let next = proc::table().pick_next().map(|proc| {
            proc.activate();
            &proc.context as *const Context
        });
        match next {
            Some(context) => {
                // Safety: the context belongs to a boxed process that stays in the table
                // while it runs; the scheduler's own context is saved in SCHEDULER, which
                // nothing else touches. No guard is alive across the switch.
                unsafe { arch::swtch(SCHEDULER.as_ptr(), context) };
                proc::table().clear_current();
            }
            None => idle(),
        }
    }
}

/// Waits for an interrupt with nothing to run, and handles it.
fn idle() {
    crate::ipcall::send_later();
    (kernel().idle)();
    let ticking = proc::table().has_sleepers(chan::tick());
    if !ticking {
        match (kernel().deadline)() {
            Some(deadline) => timer::wake_at(deadline),
            None => timer::stop(),
        }
    }
    arch::wait();
    trap::poll_interrupts();
    if !ticking {
        timer::start();
    }
}

/// Switches from the current process to the scheduler, leaving it in `state`. Returns when
/// the scheduler runs it again.
pub fn switch_away(state: State) {
    crate::ipcall::send_later();
    let context = {
        let mut table = proc::table();
        let proc = table.current();
        proc.state = state;
        &mut proc.context as *mut Context
    };
    // Safety: the process's context lives in its boxed Proc, which stays in the table at
    // least until it has exited and switched away for good (an exited process is never
    // switched back to); no guard is alive across the switch.
    unsafe { arch::swtch(context, SCHEDULER.as_ptr()) };
}

/// Sleeps until `wakeup(chan)`, running the process in `slot` at once if it is runnable (it
/// was just woken by this one, as an RPC's server by its client's request) and no system
/// thread waits: Mach's hand-off, which skips the scheduler's look for the next process.
pub fn sleep_handing(chan: Chan, slot: usize) {
    let switch = hand_over(&mut proc::table(), chan, slot);
    match switch {
        Some(switch) => switch.run(),
        None => sleep(chan),
    }
}

/// A switch from the current process, asleep, straight to another ([`hand_over`]).
pub struct HandOver {
    from: *mut Context,
    to: *const Context,
}

impl HandOver {
    /// Switches; returns when the sleeper runs again. No guard may be alive.
    pub fn run(self) {
        // Safety: both contexts live in boxed processes that stay in the table (the sleeper
        // sleeps, the next runs); the table names the next as current, as if the scheduler
        // had picked it, and it switches back to the scheduler as any process does.
        unsafe { arch::swtch(self.from, self.to) }
    }
}

/// [`sleep_handing`]'s first half, in `table` (a guard the caller holds): if the process in
/// `slot` may run at once, the current process is left asleep on `chan`, the other is made
/// current with its address space active, and the switch is returned, to [`HandOver::run`]
/// once the caller has dropped its guards. `None` (nothing changed) when it may not.
pub fn hand_over(table: &mut proc::Table, chan: Chan, slot: usize) -> Option<HandOver> {
    let me = table.current_slot().unwrap_or_else(|| panic!("a sleep with no current process"));
    let from = {
        let proc = table.current();
        proc.check_stack();
        &mut proc.context as *mut Context
    };
    let next = table.hand_to(slot)?;
    next.activate();
    let to = &next.context as *const Context;
    if let Some(proc) = table.slots[me].as_deref_mut() {
        proc.state = State::Sleeping(chan);
    }
    Some(HandOver { from, to })
}

/// Gives up the CPU, staying runnable.
pub fn yield_now() {
    switch_away(State::Runnable);
}

/// Sleeps until `wakeup(chan)`.
pub fn sleep(chan: Chan) {
    switch_away(State::Sleeping(chan));
}

/// Wakes every process sleeping on `chan`.
pub fn wakeup(chan: Chan) {
    proc::table().wakeup(chan);
}
