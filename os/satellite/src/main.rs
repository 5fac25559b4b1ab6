//! The satellite kernel: the light kernel of a peripheral processor (Bach §13.1), loaded over
//! link 0 by the central kernel and started by the satellite's boot ROM.
//!
//! Design principles:
//! 1. **The central kernel's code, not a copy.** Boot entry, traps, frames, heap, paging,
//!    address spaces, process images, the process channel's endpoint and the drivers come
//!    from `ox-kcore`, exactly as the central kernel uses them; this crate adds only what a
//!    satellite does differently: [`link`] (its side of the link), [`server`] (the process
//!    that accepts processes), [`proc`] (its processes' role, `exit` and signals from the
//!    stub), [`trap`] (its interrupt lines) and [`syscall`] (the calls forwarded to the
//!    process's stub on the central; docs/satellites.md). The process table, the scheduler,
//!    the trap path and the calls served locally are the core's (`ox_kcore::task`).
//!    Dependencies run one way: `trap` (routing the link's messages) → `syscall`, `server`,
//!    `stats` → `proc` → `link` (the transport, which knows no process).
//! 2. **Light.** No file system, no devices but the timer, the console and the link to the
//!    central processor: everything else is the central's, reached through the stubs.
//! 3. **Honest reports.** What it prints and what it tells the central it measured itself.
//!
//! Boot: the ROM jumps to `_start` (in `ox_kcore::arch`) with `a0` = node index, `a1` = RAM
//! size and `sp` undefined; `_start` sets the boot stack, clears `.bss` (zero on a fresh
//! satellite anyway) and calls [`kmain`].

#![no_std]
#![no_main]

extern crate alloc;

mod link;
mod proc;
mod server;
mod stats;
mod syscall;
mod trap;

use ox_kcore::arch;
use ox_kcore::console::{self, Role};
use ox_kcore::frame::{self, FRAME_SIZE};
use ox_kcore::pmap::{self, RAM_BASE};
use ox_kcore::task::{self, sched, Kernel};
use ox_kcore::{heap, kprintln, timer};

/// What the satellite adds to the core.
static SATELLITE: Kernel = Kernel {
    home: syscall::home,
    exit: proc::exit,
    interrupt: trap::interrupt,
    tick: trap::tick,
    idle: link::idle,
    deadline: trap::deadline,
    returning: proc::returning,
};

/// Smallest RAM the satellite kernel boots with.
const MIN_RAM: u32 = 2 << 20;
/// The kernel heap: kernel stacks and the images being received.
const HEAP_SIZE: u32 = 1 << 20;

extern "C" {
    /// The first byte after the kernel image (page-aligned), from kernel.ld.
    static __kernel_end: u8;
}

/// The satellite kernel's Rust entry point, called by `_start` on the boot stack, paging off.
#[no_mangle]
extern "C" fn kmain(node_id: u32, ram_size: u32) -> ! {
    console::set_role(Role::Satellite);
    arch::init_traps();
    kprintln!("satellite kernel on node {node_id}, {} KiB of RAM", ram_size / 1024);
    if ram_size < MIN_RAM {
        panic!(
            "{} KiB of RAM is too little: the satellite kernel needs {} KiB",
            ram_size / 1024,
            MIN_RAM / 1024
        );
    }
    let kernel_end = &raw const __kernel_end as u32;
    let heap_end = kernel_end + HEAP_SIZE;
    let ram_end = RAM_BASE + (ram_size & !(FRAME_SIZE - 1));
    // Safety: the heap and the frames are disjoint ranges of RAM after the kernel image,
    // which nothing else uses (the boot ROM keeps its state in registers).
    unsafe {
        heap::init(kernel_end as usize, heap_end as usize);
        frame::init(heap_end, ram_end);
    }
    pmap::init(ram_size);
    let (free, total) = frame::stats();
    kprintln!(
        "kernel image {RAM_BASE:#010x}..{kernel_end:#010x}, heap {} KiB, paging on, {free} of {total} frames free",
        heap::free_bytes() / 1024
    );
    task::init(&SATELLITE, proc::NPROC, 1);
    server::init();
    let transmit = ox_kcore::ipcall::Transmit {
        whole: |_, bytes| link::send_net(bytes),
        in_frame: |_, write| link::send_net_with(write),
    };
    ox_kcore::ipcall::init(node_id, None, transmit);
    link::init(node_id, ram_size);
    timer::start();
    sched::run()
}
