//! The central Orrery kernel: it boots, pages, boots the satellites over its links, and runs
//! user programs.
//!
//! Design principles:
//! 1. **One concept per module, one way.** What every kernel needs comes from `ox-kcore`,
//!    shared with the satellite kernel (`os/satellite`): the privileged dialect (`arch`),
//!    page tables (`pmap`), address spaces (`vm`), and the processes (`task`: the table, the
//!    scheduler, the trap path, the signal path, the system-call entry and the calls served
//!    where a process runs). Here is what only the central does, each what its name says:
//!    `proc` (the central's part of a process, `fork`/`exec`/`exit`/`wait`/`kill`/`ps`),
//!    `syscall` (the calls served at home), `stub` (Bach's stub processes), `place` (where
//!    children go, and images to satellites), `remote` (the process channel's transport),
//!    `satellites` (booting them), `trap` (the interrupt lines), and for files `block` (the
//!    disk driver), `fs` (the mounted root), `file` (open files and descriptors), `pipe` and
//!    `sysfile` (their system calls). Dependencies run one way: `trap` → `stub` → `place`,
//!    `syscall` → `proc`, `sysfile`, `stats` → `remote`, `file`, `fs` → the core; no module
//!    imports one that imports it.
//! 2. **The kernel is never interrupted.** It runs with `status.IE` = 0 on one hart; interrupts
//!    are taken only in user mode or polled by the idle loop. Shared state lives in
//!    [`Global`](global::Global)s, which need no locks, only a re-entry check.
//! 3. **User pointers are allegations.** The kernel touches user memory only through
//!    `vm::AddressSpace::copy_in`/`copy_out`, which walk the page table first.
//! 4. **Loud failure.** A kernel bug panics: the panic handler prints where and why and powers
//!    the node off with [`power::PANIC_EXIT_CODE`]. A faulting process is killed and reported;
//!    the kernel carries on.
//! 5. **Virtual time only.** Ticks are derived from the node's virtual clock, so a run is the
//!    same, cycle for cycle, every time.
//!
//! Boot (direct ELF boot, docs/isa.md §11): `_start` (in `ox_kcore::arch`) sets the boot
//! stack, clears `.bss` and calls [`kmain`] with `a0` = node id and `a1` = RAM size. Before
//! init starts, every satellite is booted ([`satellites::boot_all`], docs/boot.md).

#![no_std]
#![no_main]

extern crate alloc;

mod balance;
mod block;
mod elf;
mod file;
mod fs;
mod images;
mod migrate;
mod net;
mod pipe;
mod place;
mod prefetch;
mod proc;
mod remote;
mod satellites;
mod stats;
mod stub;
mod syscall;
mod sysfile;
mod trap;
mod user;

use ox_kcore::frame::FRAME_SIZE;
use ox_kcore::pmap::RAM_BASE;
use ox_kcore::task::{self, sched, Kernel};
use ox_kcore::{arch, console, frame, global, heap, intc, kprintln, pmap, power, timer, vm};

/// What the central adds to the core.
static CENTRAL: Kernel = Kernel {
    home: syscall::home,
    exit: proc::exit,
    interrupt: trap::interrupt,
    tick: trap::tick,
    idle: || {},
    deadline: trap::deadline,
    returning: migrate::returning,
};

/// Smallest RAM the kernel boots with.
const MIN_RAM: u32 = 4 << 20;

extern "C" {
    /// The first byte after the kernel image (page-aligned), from kernel.ld.
    static __kernel_end: u8;
}

/// The kernel heap's size for `ram_size` bytes of RAM: an eighth, between 1 and 8 MiB.
fn heap_size(ram_size: u32) -> u32 {
    (ram_size / 8).clamp(1 << 20, 8 << 20)
}

/// The kernel's Rust entry point, called by `_start` on the boot stack with paging off.
#[no_mangle]
extern "C" fn kmain(node_id: u32, ram_size: u32) -> ! {
    arch::init_traps();
    kprintln!("Orrery kernel, node {node_id}, {} KiB of RAM", ram_size / 1024);
    if ram_size < MIN_RAM {
        panic!("{} KiB of RAM is too little: the kernel needs {} KiB", ram_size / 1024, MIN_RAM / 1024);
    }
    let kernel_end = &raw const __kernel_end as u32;
    let heap_end = kernel_end + heap_size(ram_size);
    let ram_end = RAM_BASE + (ram_size & !(FRAME_SIZE - 1));
    // Safety: the heap and the frames are disjoint ranges of RAM after the kernel image,
    // which nothing else uses.
    unsafe {
        heap::init(kernel_end as usize, heap_end as usize);
        frame::init(heap_end, ram_end);
    }
    kprintln!(
        "kernel image {:#010x}..{kernel_end:#010x}, heap {} KiB, {} free frames",
        RAM_BASE,
        heap::free_bytes() / 1024,
        frame::stats().0
    );
    pmap::init(ram_size);
    kprintln!("paging on: RAM and devices mapped kernel-only by 4 MiB superpages");
    console::init();
    intc::init();
    fs::mount_root();
    let transmit = ox_kcore::ipcall::Transmit { whole: net::transmit, in_frame: net::transmit_in_frame };
    ox_kcore::ipcall::init(node_id, Some(node_id), transmit);
    remote::start(satellites::boot_all());
    timer::start();
    kprintln!("timer tick {} us, {} user programs embedded", ox_abi::TICK_NS / 1000, images::IMAGES.len());
    task::init(&CENTRAL, proc::NPROC, 0);
    proc::spawn_init();
    kprintln!("starting init (pid 1) after {} instructions", arch::cycles());
    sched::run()
}
