//! Signals (docs/syscalls.md, *Signals*): what this process does with each signal, and
//! waiting for one.
//!
//! [`set`] installs a [`Handler`]: the default action, ignore, or a Rust function to catch
//! it. The kernel itself knows only two addresses per caught signal: this module's
//! `trampoline`, which looks the function up in a table and calls it with the [`Signal`], and
//! the restorer `__ulib_sigreturn`, where the trampoline returns and which calls `sigreturn`,
//! so the kernel needs no code in user space. A handler runs on the process's stack, below the
//! frame the kernel saved, with its signal blocked until it returns; it may run between any
//! two instructions of the program, so it should only touch atomics (a handler that
//! allocates could find the heap half-updated).

use core::arch::global_asm;
use core::sync::atomic::{AtomicU32, AtomicUsize, Ordering};

use ox_abi::{Errno, Signal, Syscall, SIG_DFL, SIG_IGN};

use crate::sys::raw_syscall;

/// What the process does with a signal.
#[derive(Clone, Copy, Debug)]
pub enum Handler {
    /// The signal's default action (terminate; nothing for `SIGCHLD`).
    Default,
    /// Discard it.
    Ignore,
    /// Call this function with the signal, then resume what it interrupted.
    Catch(fn(Signal)),
    /// A handler at this address, installed without this module (by a raw `sigaction`).
    Foreign(u32),
}

/// The function caught signals go to, by signal number (0: none).
static CATCHERS: [AtomicUsize; 32] = [const { AtomicUsize::new(0) }; 32];

global_asm!(
    r#"
    .section .text.__ulib_sigreturn, "ax"
    .balign 4
    .globl __ulib_sigreturn
__ulib_sigreturn:
    li      a7, {sigreturn}
    ecall
1:  j       1b
"#,
    sigreturn = const Syscall::Sigreturn as u32,
);

extern "C" {
    /// Where every handler returns: calls `sigreturn`, which never returns here.
    fn __ulib_sigreturn();
}

/// The address the last fault's handler was given (see [`fault_address`]).
static FAULT_ADDRESS: AtomicU32 = AtomicU32::new(0);

/// In the handler of a fault's signal (`SIGSEGV`, `SIGBUS`, `SIGILL`, `SIGTRAP`), the
/// faulting address (the instruction's, for `SIGILL` and `SIGTRAP`); 0 in the handler of any
/// other signal. A handler that makes the address valid (maps the page with
/// [`vm::allocate`](crate::vm::allocate), say) and returns has the instruction run again.
pub fn fault_address() -> u32 {
    FAULT_ADDRESS.load(Ordering::Acquire)
}

/// Where the kernel enters a caught signal: `a0` is its number, `a1` the faulting address.
extern "C" fn trampoline(number: u32, address: u32) {
    FAULT_ADDRESS.store(address, Ordering::Release);
    let catcher = CATCHERS.get(number as usize).map_or(0, |c| c.load(Ordering::Acquire));
    if let (Some(signal), true) = (Signal::from_number(number), catcher != 0) {
        // Safety: `set` stores in CATCHERS only values made from `fn(Signal)` pointers.
        let catcher: fn(Signal) = unsafe { core::mem::transmute::<usize, fn(Signal)>(catcher) };
        catcher(signal);
    }
}

/// Sets what this process does with `signal`; returns what it did before. `EINVAL` for
/// catching or ignoring `SIGKILL`, or for [`Handler::Foreign`].
pub fn set(signal: Signal, handler: Handler) -> Result<Handler, Errno> {
    let slot = &CATCHERS[signal as usize];
    let (word, restorer) = match handler {
        Handler::Default => (SIG_DFL, 0),
        Handler::Ignore => (SIG_IGN, 0),
        Handler::Catch(_) if !signal.can_be_caught() => return Err(Errno::Inval),
        Handler::Catch(_) => (trampoline as *const () as u32, __ulib_sigreturn as *const () as u32),
        Handler::Foreign(_) => return Err(Errno::Inval),
    };
    let previous = slot.load(Ordering::Acquire);
    if let Handler::Catch(catcher) = handler {
        slot.store(catcher as usize, Ordering::Release);
    }
    // Safety: sigaction touches no memory of this process; the addresses it installs are
    // this module's trampoline and restorer.
    let old = unsafe { raw_syscall(Syscall::Sigaction as u32, [signal as u32, word, restorer, 0, 0, 0]) };
    if let Some(errno) = Errno::from_result(old) {
        slot.store(previous, Ordering::Release);
        return Err(errno);
    }
    Ok(match old as u32 {
        SIG_DFL => Handler::Default,
        SIG_IGN => Handler::Ignore,
        pc if pc == trampoline as *const () as u32 && previous != 0 => {
            // Safety: as in `trampoline`: only `fn(Signal)` pointers are stored.
            Handler::Catch(unsafe { core::mem::transmute::<usize, fn(Signal)>(previous) })
        }
        pc => Handler::Foreign(pc),
    })
}

/// Sleeps until a signal is delivered (after its handler, if it has one, has run); the
/// kernel's answer is always `EINTR`.
pub fn pause() -> Errno {
    // Safety: pause touches no memory of this process.
    let result = unsafe { raw_syscall(Syscall::Pause as u32, [0; 6]) };
    Errno::from_result(result).unwrap_or(Errno::Intr)
}
