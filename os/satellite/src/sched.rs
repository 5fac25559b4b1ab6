//! The satellite's scheduler: round robin over runnable processes, preemptive on the timer
//! tick, like the central's (`os/kernel/src/sched.rs`); the process server, a kernel thread
//! without memory (run on the kernel's page table), goes first whenever it is runnable. With nothing runnable it `wait`s for
//! an interrupt and handles it here: the link brings requests and replies. The timer is
//! stopped while idle unless a process sleeps on a tick, or it is armed for the link's
//! retransmission deadline, so an idle satellite really idles.

use ox_kcore::arch::{self, Context};
use ox_kcore::global::Global;
use ox_kcore::{pmap, timer};

use crate::proc::{self, Chan, State};
use crate::{link, trap};

/// The scheduler thread's saved context.
static SCHEDULER: Global<Context> = Global::new("scheduler context", Context { ra: 0, sp: 0, s: [0; 12] });

/// Runs processes forever.
pub fn run() -> ! {
    loop {
        let next = proc::table().pick_next().map(|proc| {
            match proc.space.as_mut() {
                Some(space) => space.activate(),
                None => pmap::activate_kernel(),
            }
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
            None => {
                if !proc::table().has_sleepers(Chan::Tick) {
                    match link::deadline() {
                        Some(deadline) => timer::wake_at(deadline),
                        None => timer::stop(),
                    }
                }
                arch::wait();
                trap::poll_interrupts();
                timer::start();
            }
        }
    }
}

/// Switches from the current process to the scheduler, leaving it in `state`.
pub fn switch_away(state: State) {
    let context = {
        let mut table = proc::table();
        let proc = table.current();
        proc.state = state;
        &mut proc.context as *mut Context
    };
    // Safety: the context lives in the boxed Proc, which stays in the table until the
    // scheduler frees it after a switch to `Dead` (never switched back to); no guard is
    // alive across the switch.
    unsafe { arch::swtch(context, SCHEDULER.as_ptr()) };
}

/// Gives up the CPU, staying runnable.
pub fn yield_now() {
    switch_away(State::Runnable);
}

/// Sleeps until `wakeup(chan)`.
pub fn sleep(chan: Chan) {
    switch_away(State::Sleeping(chan));
}
