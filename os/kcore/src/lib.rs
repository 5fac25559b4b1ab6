//! What every Orrery kernel shares, whatever its role: the central kernel (`os/kernel`) and the
//! light satellite kernel (`os/satellite`) are two binaries over this one library.
//!
//! Design principles:
//! 1. **One concept per module, shared, not copied.** `arch` is the only module with
//!    privileged instructions (the boot entry, the trap vector, the context switch); `pmap`
//!    the only one that knows the page-table format; `linkport` the only one that touches a
//!    link port's registers; `vm` and `vmcall` the address spaces and their calls; `task` the
//!    processes — one table, one scheduler, one trap path, one signal path, one system-call
//!    entry — for both kernels. Each kernel adds its own modules on top and plugs its own
//!    behaviour in through a `task::Kernel` table and a process `Role`; nothing here depends
//!    on a kernel.
//! 2. **Where to look.** Page faults: `task::trap` → `vm::AddressSpace::fault_in` → the
//!    `ox-vm` crate's `Map::fault`. The scheduler: `task::sched`. The call table:
//!    `ox_proto::calls` (which calls are served where, which buffers travel), read by
//!    `task::syscall`. Sleeping and waking: `task::chan`.
//! 3. **A kernel is never interrupted.** It runs with `status.IE` = 0 on one hart; interrupts
//!    are taken only in user mode or polled after `wait`. Shared state lives in
//!    [`Global`](global::Global)s, which need no locks, only a re-entry check.
//! 4. **Loud failure.** A kernel bug panics: the panic handler here prints where and why and
//!    powers the node off with [`power::PANIC_EXIT_CODE`]; a trap in kernel mode is a bug
//!    ([`exception::kernel_trap`]).
//! 5. **Virtual time only.** Clocks and timeouts come from the node's virtual clock, so a run
//!    is the same, cycle for cycle, every time.
//!
//! Boot (a direct ELF boot, docs/isa.md §11, or the satellite boot ROM's jump, which leaves the
//! same state but an undefined `sp`): `_start` (in `arch`) sets the boot stack, clears `.bss`
//! and calls the binary's `kmain(node_id, ram_size)`, which calls `task::init` with its
//! `task::Kernel` and ends in `task::sched::run`. The trap vector sends traps from user mode to
//! `task::trap`.

#![no_std]

extern crate alloc;
// Linked for its `memcpy` and `memset`, which replace compiler_builtins'.
use ox_mem as _;

pub mod arch;
pub mod console;
pub mod endpoint;
pub mod exception;
pub mod frame;
pub mod global;
pub mod heap;
pub mod image;
pub mod intc;
pub mod ipcall;
pub mod linkport;
pub mod message;
pub mod netmsg;
pub mod pmap;
pub mod power;
pub mod signal;
pub mod task;
pub mod timer;
pub mod vm;
pub mod vmcall;

use core::panic::PanicInfo;

/// A kernel panic: say where and why, then power off with a failure code.
#[panic_handler]
fn panic(info: &PanicInfo) -> ! {
    match info.location() {
        Some(at) => kprintln!("panic at {}:{}:{}: {}", at.file(), at.line(), at.column(), info.message()),
        None => kprintln!("panic: {}", info.message()),
    }
    power::power_off(power::PANIC_EXIT_CODE)
}
