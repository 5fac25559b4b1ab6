//! Processes, the same on every kernel (in the manner of xv6's `proc.c` and GNU Mach's
//! `kern/`): the table ([`proc`]), what a sleeper waits for ([`chan`]), the scheduler
//! ([`sched`]), the trap entry from user mode ([`trap`]), the system-call entry and the calls
//! served where a process runs ([`syscall`]), and the signal path ([`signal`]).
//!
//! A kernel plugs in what is its own through a [`Kernel`] of functions, given once at boot
//! ([`init`]): the calls served at home (the central serves them; a satellite forwards them to
//! the process's stub), `exit` (the central keeps a zombie for `wait` and closes descriptors;
//! a satellite tells the stub), its interrupt lines, its tick work and its next deadline. A
//! process's kernel-specific state is its [`Role`](proc::Role). Dependencies run one way: the
//! kernels use this module, never the reverse, except through [`Kernel`].

pub mod chan;
pub mod proc;
pub mod sched;
pub mod signal;
pub mod syscall;
pub mod trap;

use ox_abi::{Errno, Syscall, WaitStatus};
use ox_proto::calls::Home;

use crate::arch::TrapFrame;
use core::sync::atomic::{AtomicPtr, Ordering};

/// What a kernel adds to the core: a table of functions.
pub struct Kernel {
    /// Serves `call` (= `home`), one of the calls served at home, for the current process.
    pub home: fn(Syscall, Home, [u32; ox_abi::MAX_ARGS], &mut TrapFrame) -> Result<u32, Errno>,
    /// Ends the current process with a status; never returns.
    pub exit: fn(WaitStatus) -> !,
    /// Handles an interrupt line other than the timer's; returns whether the current process
    /// should give up the CPU.
    pub interrupt: fn(u32) -> bool,
    /// The kernel's work at each timer tick (after sleepers on a tick are woken).
    pub tick: fn(),
    /// What the kernel put off until it has nothing else to do, done before the node idles
    /// (a satellite's acknowledgement of what arrived, when no message of its own carried it
    /// along).
    pub idle: fn(),
    /// The earliest virtual time (ns) an idle node must wake at, if any (beyond ticks).
    pub deadline: fn() -> Option<u64>,
    /// The last step before the current process returns to user mode with `frame`, after its
    /// signals were acted on: where a process asked to migrate leaves (it may never return).
    pub returning: fn(&mut TrapFrame),
}

/// The kernel this core serves.
/// Set once, at [`init`], from a `&'static Kernel`; read at every trap, so without a lock.
static KERNEL: AtomicPtr<Kernel> = AtomicPtr::new(core::ptr::null_mut());

/// Makes the process table (`user` user slots, `system` slots for the kernel's threads) and
/// plugs in `kernel`.
pub fn init(kernel: &'static Kernel, user: usize, system: usize) {
    KERNEL.store(core::ptr::from_ref(kernel).cast_mut(), Ordering::Release);
    proc::init(user, system);
}

/// The kernel's functions.
fn kernel() -> &'static Kernel {
    let kernel = KERNEL.load(Ordering::Acquire);
    // Safety: the pointer is null or came from a `&'static Kernel` (`init`), and nothing ever
    // writes through it.
    unsafe { kernel.as_ref() }.unwrap_or_else(|| panic!("the task core runs before task::init"))
}
