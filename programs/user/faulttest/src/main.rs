//! `faulttest`: each kind of fatal fault, in a child; the parent checks the kernel killed the
//! child with the right signal (and the kernel's report goes to the console).

#![no_std]
#![no_main]

use core::arch::asm;

use ox_ulib::abi::{Signal, WaitStatus};
use ox_ulib::sys::{self, Fork};
use ox_ulib::{eprintln, println};

ox_ulib::entry!(main);

/// Kernel RAM: mapped, but not for user mode.
const KERNEL_ADDRESS: u32 = 0x8000_0000;

fn load(addr: u32) {
    // Safety: none: this is meant to fault, and the kernel kills the process.
    unsafe { asm!("lw {0}, 0({0})", inout(reg) addr => _, options(nostack)) }
}

fn store(addr: u32) {
    // Safety: none: this is meant to fault.
    unsafe { asm!("sw zero, 0({0})", in(reg) addr, options(nostack)) }
}

fn jump(addr: u32) {
    // Safety: none: this is meant to fault.
    unsafe { asm!("jalr ra, 0({0})", in(reg) addr, lateout("ra") _, options(nostack)) }
}

fn illegal() {
    // Safety: none: `unimp` is the illegal word 0 after translation.
    unsafe { asm!("unimp", options(nostack)) }
}

fn privileged() {
    // Safety: none: `wfi` is ox32's kernel-only `wait`.
    unsafe { asm!("wfi", options(nostack)) }
}

fn breakpoint() {
    // Safety: none: `ebreak` is ox32's `break`.
    unsafe { asm!("ebreak", options(nostack)) }
}

fn misaligned() {
    let word = [0u32; 2];
    load(word.as_ptr() as u32 + 2);
}

fn write_code() {
    store(main as *const () as u32);
}

fn run_data() {
    let code = [0x0000_8067u32]; // `ret`, but on the stack, which is not executable
    jump(code.as_ptr() as u32);
}

const CASES: &[(&str, fn(), Signal)] = &[
    ("load from null", || load(0), Signal::Segv),
    ("store to null", || store(0), Signal::Segv),
    ("load from the kernel", || load(KERNEL_ADDRESS), Signal::Segv),
    ("store to the kernel", || store(KERNEL_ADDRESS), Signal::Segv),
    ("jump into the kernel", || jump(KERNEL_ADDRESS), Signal::Segv),
    ("store to code", write_code, Signal::Segv),
    ("execute the stack", run_data, Signal::Segv),
    ("load from a device", || load(0x1000_0000), Signal::Segv),
    ("illegal instruction", illegal, Signal::Ill),
    ("privileged instruction", privileged, Signal::Ill),
    ("breakpoint", breakpoint, Signal::Trap),
    ("misaligned load", misaligned, Signal::Bus),
];

fn main(_args: &[&str]) -> i32 {
    let mut failed = 0;
    for (name, fault, expected) in CASES {
        let result = match sys::fork() {
            Ok(Fork::Child) => {
                fault();
                sys::exit(0);
            }
            Ok(Fork::Parent(pid)) => sys::wait(Some(pid)),
            Err(e) => {
                eprintln!("faulttest: fork: {}", e.name());
                return 1;
            }
        };
        match result {
            Ok((_, WaitStatus::Signaled(signal))) if signal == *expected => {
                println!("faulttest: {name}: killed by {}, as expected", signal.name())
            }
            other => {
                eprintln!("faulttest: {name}: FAILED: expected {}, got {other:?}", expected.name());
                failed += 1;
            }
        }
    }
    if failed == 0 {
        println!("faulttest: OK");
        0
    } else {
        1
    }
}
