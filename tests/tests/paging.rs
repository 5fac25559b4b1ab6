//! `programs/asm/paging.s`, the teaching kernel: page tables, user mode, system calls, demand
//! paging and protection faults. The transcript is a snapshot; the machine state after the
//! run shows the hardware did its part (TLB walks, accessed and dirty bits).

use orrery_emulator::machine::RunState;
use orrery_emulator::mmu::{self, Access};
use orrery_tests::{program, run_asm, Outcome};
use ox32::cr::{PTBR_PAGING, PTBR_PPN_MASK};
use ox32::pte::PteFlags;
use ox32::trap::Exception;

const PROGRAM: &str = "programs/asm/paging.s";
const USER_VA: u32 = 0x0040_0000;
const DEMAND_VA: u32 = 0x0060_0000;

fn run() -> Outcome {
    run_asm(PROGRAM, b"", 1_000_000)
}

#[test]
fn transcript() {
    let outcome = run();
    assert_eq!(outcome.state, RunState::PoweredOff(0));
    insta::assert_snapshot!(outcome.transcript());
}

#[test]
fn the_walker_set_accessed_and_dirty_on_the_demand_paged_page() {
    let mut outcome = run();
    let machine = &mut outcome.machine;
    let ptbr = machine.cpu.cr.ptbr;
    assert_ne!(ptbr & PTBR_PAGING, 0, "paging is still on at power-off");
    assert_eq!(machine.cpu.asid(), 1);
    let walk = mmu::walk(&mut machine.bus, ptbr & PTBR_PPN_MASK, DEMAND_VA, Access::Load, false, false);
    let leaf = walk.steps[1].expect("the walk reached level 2").pte;
    let flags = leaf.flags();
    assert!(
        flags.contains(PteFlags::V | PteFlags::R | PteFlags::W | PteFlags::U | PteFlags::A | PteFlags::D),
        "demand-paged PTE {:#010x} has {flags:?}",
        leaf.0
    );
    // The kernel mapped the page from its pool and the user wrote i*i into it.
    let mut word = [0; 4];
    machine.bus.peek((leaf.ppn() << 12) + 4 * 15, &mut word).unwrap();
    assert_eq!(u32::from_le_bytes(word), 225);

    // A kernel page the user never touched keeps A clear: the bits are the walker's doing.
    // (The walk's `Translation` reports A as the TLB would hold it, so read the PTE itself.)
    let last_free = program(PROGRAM).symbol("free_pages_end").unwrap() - 4096;
    let walk = mmu::walk(&mut machine.bus, ptbr & PTBR_PPN_MASK, last_free, Access::Load, true, false);
    let flags = walk.steps[1].expect("kernel pages stay mapped").pte.flags();
    assert_eq!(flags, PteFlags::V | PteFlags::R | PteFlags::W, "the last free page was never used");
}

#[test]
fn tlb_and_trap_history_match_the_story() {
    let outcome = run();
    let cpu = &outcome.machine.cpu;
    assert!(cpu.tlb.misses > 0, "walks happened");
    assert!(cpu.tlb.hits > cpu.tlb.misses, "hits {} misses {}", cpu.tlb.hits, cpu.tlb.misses);
    assert!(cpu.tlb.flushes >= 1, "the fault handler flushed");

    let program = program(PROGRAM);
    let symbol = |label: &str| program.symbol(label).unwrap();
    let user_va = |label: &str| USER_VA + (symbol(label) - symbol("user_start"));
    let faults: Vec<_> = cpu
        .traps
        .iter()
        .filter(|t| t.cause != Exception::Syscall as u32)
        .map(|t| (Exception::from_code(t.cause).unwrap(), t.epc, t.badaddr))
        .collect();
    let kernel_start = symbol("_start");
    let root_table = symbol("root_table");
    // The history keeps the last 64 traps, and process 1's many `putc` calls push its demand
    // fault out (the transcript records that one). Process 2 faults on the fetch itself
    // (epc = badaddr = the kernel address); process 3's `lw t1` follows `la a0; jal; la t0`
    // (five instructions).
    assert_eq!(
        faults,
        [
            (Exception::FetchPageFault, kernel_start, kernel_start),
            (Exception::LoadPageFault, user_va("user_read_kernel") + 5 * 4, root_table),
        ]
    );
}

#[test]
fn runs_are_deterministic() {
    let first = run();
    let second = run();
    assert_eq!(first.console.as_bytes(), second.console.as_bytes());
    assert_eq!(first.state, second.state);
    let counters = |o: &Outcome| {
        let cpu = &o.machine.cpu;
        (cpu.cycles, cpu.instret, cpu.tlb.hits, cpu.tlb.misses, cpu.tlb.flushes, cpu.traps.clone())
    };
    assert_eq!(counters(&first), counters(&second));
}
