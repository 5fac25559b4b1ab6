//! Instruction-level tests of the CPU: each builds a few instructions with `ox32::encode`,
//! runs them on a bare machine and checks registers, memory and traps.

use ox32::cr::{self as crn, Status};
use ox32::memmap::{BOOT_ROM_BASE, INTC_BASE, POWER_BASE, RAM_BASE, TIMER_BASE};
use ox32::pte::{Pte, PteFlags};
use ox32::trap::{Exception, INTERRUPT_BIT};
use ox32::{
    AluImmOp, AluOp, AmoOp, BranchCond, CrOp, Instruction as I, LoadWidth, Ordering, Reg, ShiftOp, StoreWidth,
};

use crate::machine::{Machine, MachineConfig, RunState};

const TVEC: u32 = RAM_BASE + 0x8000;
const DATA: u32 = RAM_BASE + 0x10000;

fn x(n: u32) -> Reg {
    Reg::new(n).unwrap()
}

/// A machine with `program` at RAM_BASE, a trap vector at TVEC that powers off with exit
/// code 0xEE, and `a0`..: unset.
fn machine(program: &[I]) -> Machine {
    let mut m = Machine::new(MachineConfig::new(1 << 20, Box::new(std::io::sink())));
    place(&mut m, RAM_BASE, program);
    let handler = [
        I::Lui { rd: x(31), imm20: POWER_BASE >> 12 },
        I::AluImm { op: AluImmOp::Addi, rd: x(30), rs1: Reg::ZERO, imm: 0xee },
        I::Store { width: StoreWidth::W, rs1: x(31), rs2: x(30), offset: 0 },
    ];
    place(&mut m, TVEC, &handler);
    m.cpu.pc = RAM_BASE;
    m.cpu.cr.tvec = TVEC;
    m
}

fn place(m: &mut Machine, at: u32, program: &[I]) {
    let bytes: Vec<u8> = program.iter().flat_map(|i| ox32::encode(i).to_le_bytes()).collect();
    m.bus.poke(at, &bytes).unwrap();
}

/// Runs `n` cycles.
fn run(m: &mut Machine, n: u64) -> RunState {
    let until = m.cpu.cycles + n;
    m.run(until)
}

fn addi(rd: u32, rs1: u32, imm: i16) -> I {
    I::AluImm { op: AluImmOp::Addi, rd: x(rd), rs1: x(rs1), imm }
}

fn alu(op: AluOp, a: u32, b: u32) -> u32 {
    let mut m = machine(&[I::Alu { op, rd: x(3), rs1: x(1), rs2: x(2) }]);
    m.cpu.regs[1] = a;
    m.cpu.regs[2] = b;
    run(&mut m, 1);
    m.cpu.regs[3]
}

#[test]
fn a_slice_ending_on_the_last_word_of_a_page_resumes_on_the_next_page() {
    // The page at RAM_BASE + 0x1000 (bit 12 set): its last word, then the next page's first.
    let mut m = machine(&[]);
    let last = RAM_BASE + 0x1ffc;
    place(&mut m, last, &[addi(1, 1, 1), addi(2, 2, 2)]);
    m.cpu.pc = last;
    run(&mut m, 1);
    assert_eq!((m.cpu.pc, m.cpu.regs[1]), (RAM_BASE + 0x2000, 1), "stepping off the page's end");
    run(&mut m, 1);
    assert_eq!((m.cpu.pc, m.cpu.regs[1], m.cpu.regs[2]), (RAM_BASE + 0x2004, 1, 2));
}

#[test]
fn arithmetic_edge_cases() {
    let min = i32::MIN as u32;
    let cases = [
        (AluOp::Add, u32::MAX, 1, 0),
        (AluOp::Sub, 0, 1, u32::MAX),
        (AluOp::Sll, 1, 33, 2),
        (AluOp::Srl, min, 31, 1),
        (AluOp::Sra, min, 31, u32::MAX),
        (AluOp::Slt, u32::MAX, 0, 1),
        (AluOp::Sltu, u32::MAX, 0, 0),
        (AluOp::Mul, 0x10000, 0x10000, 0),
        (AluOp::Mulh, u32::MAX, u32::MAX, 0),
        (AluOp::Mulh, min, min, 0x4000_0000),
        (AluOp::Mulhu, u32::MAX, u32::MAX, 0xffff_fffe),
        (AluOp::Mulhsu, u32::MAX, u32::MAX, u32::MAX),
        (AluOp::Div, 7, 0, u32::MAX),
        (AluOp::Div, min, u32::MAX, min),
        (AluOp::Div, (-7i32) as u32, 2, (-3i32) as u32),
        (AluOp::Divu, 7, 0, u32::MAX),
        (AluOp::Rem, 7, 0, 7),
        (AluOp::Rem, min, u32::MAX, 0),
        (AluOp::Rem, (-7i32) as u32, 2, u32::MAX),
        (AluOp::Remu, 7, 0, 7),
        (AluOp::Xor, 0xff00, 0x0ff0, 0xf0f0),
        (AluOp::Or, 0xff00, 0x0ff0, 0xfff0),
        (AluOp::And, 0xff00, 0x0ff0, 0x0f00),
    ];
    for (op, a, b, want) in cases {
        assert_eq!(alu(op, a, b), want, "{op:?} {a:#x} {b:#x}");
    }
}

#[test]
fn immediates_sign_extend_and_r0_stays_zero() {
    let mut m = machine(&[
        addi(1, 0, -1),
        I::AluImm { op: AluImmOp::Sltiu, rd: x(2), rs1: x(0), imm: -1 },
        I::AluImm { op: AluImmOp::Andi, rd: x(3), rs1: x(1), imm: -16 },
        I::ShiftImm { op: ShiftOp::Srai, rd: x(4), rs1: x(3), shamt: 4 },
        I::Lui { rd: x(5), imm20: 0xfffff },
        I::Auipc { rd: x(6), imm20: 1 },
        addi(0, 1, 5),
        I::Alu { op: AluOp::Add, rd: x(7), rs1: x(0), rs2: x(0) },
    ]);
    run(&mut m, 8);
    assert_eq!(
        m.cpu.regs[1..8],
        [u32::MAX, 1, 0xffff_fff0, u32::MAX, 0xffff_f000, RAM_BASE + 20 + 0x1000, 0]
    );
    assert_eq!(m.cpu.reg(Reg::ZERO), 0);
    assert_eq!(m.cpu.instret, 8);
}

#[test]
fn loads_and_stores_extend_and_fault_precisely() {
    let mut m = machine(&[
        I::Lui { rd: x(1), imm20: DATA >> 12 },
        addi(2, 0, -128),
        I::Store { width: StoreWidth::B, rs1: x(1), rs2: x(2), offset: 0 },
        I::Load { width: LoadWidth::B, rd: x(3), rs1: x(1), offset: 0 },
        I::Load { width: LoadWidth::Bu, rd: x(4), rs1: x(1), offset: 0 },
        I::Store { width: StoreWidth::H, rs1: x(1), rs2: x(2), offset: 2 },
        I::Load { width: LoadWidth::H, rd: x(5), rs1: x(1), offset: 2 },
        I::Load { width: LoadWidth::Hu, rd: x(6), rs1: x(1), offset: 2 },
        I::Load { width: LoadWidth::W, rd: x(7), rs1: x(1), offset: 0 },
        I::Load { width: LoadWidth::W, rd: x(8), rs1: x(1), offset: 2 },
    ]);
    m.cpu.regs[8] = 0x1234;
    run(&mut m, 10);
    assert_eq!(m.cpu.regs[3..8], [0xffff_ff80, 0x80, 0xffff_ff80, 0xff80, 0xff80_0080]);
    assert_eq!(m.cpu.regs[8], 0x1234, "a faulting load leaves rd alone");
    assert_eq!((m.cpu.cr.cause, m.cpu.cr.badaddr), (Exception::LoadMisaligned as u32, DATA + 2));
    assert_eq!(m.cpu.cr.epc, RAM_BASE + 36);
    assert_eq!(m.cpu.pc, TVEC);
    assert_eq!(m.cpu.instret, 9, "the faulting load did not retire");
}

#[test]
fn bad_addresses_are_access_faults() {
    let cases = [
        (I::Load { width: LoadWidth::W, rd: x(2), rs1: x(0), offset: 0 }, Exception::LoadAccess, 0),
        (
            I::Store { width: StoreWidth::W, rs1: x(1), rs2: x(0), offset: 0 },
            Exception::StoreAccess,
            BOOT_ROM_BASE,
        ),
        (I::Load { width: LoadWidth::B, rd: x(2), rs1: x(3), offset: 0 }, Exception::LoadAccess, TIMER_BASE),
        (
            I::Load { width: LoadWidth::W, rd: x(2), rs1: x(3), offset: 0x40 },
            Exception::LoadAccess,
            TIMER_BASE + 0x40,
        ),
        (
            I::Store { width: StoreWidth::W, rs1: x(3), rs2: x(0), offset: 0 },
            Exception::StoreAccess,
            TIMER_BASE,
        ),
    ];
    for (inst, exception, badaddr) in cases {
        let mut m = machine(&[inst]);
        m.cpu.regs[1] = BOOT_ROM_BASE;
        m.cpu.regs[3] = TIMER_BASE;
        run(&mut m, 1);
        assert_eq!((m.cpu.cr.cause, m.cpu.cr.badaddr), (exception as u32, badaddr), "{inst}");
        assert_eq!(m.cpu.cr.epc, RAM_BASE);
    }
}

#[test]
fn jumps_link_and_misaligned_targets_trap_at_the_jump() {
    let mut m = machine(&[
        I::Jal { rd: x(1), offset: 8 },
        addi(5, 0, 1),
        I::Jalr { rd: x(2), rs1: x(1), offset: 9 },
        addi(6, 0, 1),
        I::Jal { rd: x(3), offset: 6 },
    ]);
    run(&mut m, 2);
    assert_eq!((m.cpu.regs[1], m.cpu.regs[2], m.cpu.pc), (RAM_BASE + 4, RAM_BASE + 12, RAM_BASE + 12));
    assert_eq!(m.cpu.regs[5], 0, "skipped by jal");
    run(&mut m, 3);
    assert_eq!(m.cpu.regs[6], 1);
    assert_eq!(m.cpu.regs[3], 0, "a misaligned jal does not link");
    assert_eq!(
        (m.cpu.cr.cause, m.cpu.cr.epc, m.cpu.cr.badaddr),
        (Exception::FetchMisaligned as u32, RAM_BASE + 16, RAM_BASE + 22)
    );
}

#[test]
fn branches_compare_signed_and_unsigned() {
    for (cond, a, b, taken) in [
        (BranchCond::Eq, 1, 1, true),
        (BranchCond::Ne, 1, 1, false),
        (BranchCond::Lt, u32::MAX, 0, true),
        (BranchCond::Ltu, u32::MAX, 0, false),
        (BranchCond::Ge, 0, u32::MAX, true),
        (BranchCond::Geu, 0, u32::MAX, false),
    ] {
        let mut m = machine(&[I::Branch { cond, rs1: x(1), rs2: x(2), offset: -8 }]);
        m.cpu.regs[1] = a;
        m.cpu.regs[2] = b;
        run(&mut m, 1);
        assert_eq!(m.cpu.pc, if taken { RAM_BASE - 8 } else { RAM_BASE + 4 }, "{cond:?}");
    }
}

#[test]
fn atomics_and_reservations() {
    let order = Ordering::default();
    let mut m = machine(&[
        I::Lr { rd: x(2), rs1: x(1), order },
        I::Sc { rd: x(3), rs1: x(1), rs2: x(4), order },
        I::Sc { rd: x(5), rs1: x(1), rs2: x(4), order },
        I::Amo { op: AmoOp::Add, rd: x(6), rs1: x(1), rs2: x(4), order },
        I::Amo { op: AmoOp::Min, rd: x(7), rs1: x(1), rs2: x(8), order },
        I::Amo { op: AmoOp::Maxu, rd: x(9), rs1: x(1), rs2: x(8), order },
        I::Amo { op: AmoOp::Swap, rd: x(10), rs1: x(11), rs2: x(8), order },
    ]);
    m.bus.poke(DATA, &40u32.to_le_bytes()).unwrap();
    m.cpu.regs[1] = DATA;
    m.cpu.regs[4] = 2;
    m.cpu.regs[8] = (-5i32) as u32;
    m.cpu.regs[11] = DATA + 2;
    run(&mut m, 7);
    assert_eq!(m.cpu.regs[2], 40);
    assert_eq!((m.cpu.regs[3], m.cpu.regs[5]), (0, 1), "first sc succeeds, second fails");
    assert_eq!((m.cpu.regs[6], m.cpu.regs[7], m.cpu.regs[9]), (2, 4, (-5i32) as u32));
    let mut word = [0; 4];
    m.bus.peek(DATA, &mut word).unwrap();
    assert_eq!(u32::from_le_bytes(word), (-5i32) as u32);
    assert_eq!((m.cpu.cr.cause, m.cpu.cr.badaddr), (Exception::StoreMisaligned as u32, DATA + 2));
}

fn cr_op(op: CrOp, rd: u32, cr: u16, src: u8) -> I {
    I::Cr { op, rd: x(rd), cr, src }
}

#[test]
fn control_registers_read_write_and_refuse() {
    let mut m = machine(&[
        cr_op(CrOp::Rw, 0, crn::SCRATCH0, 1),
        cr_op(CrOp::Rsi, 2, crn::SCRATCH0, 6),
        cr_op(CrOp::Rc, 3, crn::SCRATCH0, 1),
        cr_op(CrOp::Rs, 4, crn::SCRATCH0, 0),
        cr_op(CrOp::Rs, 5, crn::NODEID, 0),
        cr_op(CrOp::Rs, 6, crn::CYCLE, 0),
        cr_op(CrOp::Rw, 7, crn::NODEID, 1),
    ]);
    m.cpu.regs[1] = 0x11;
    run(&mut m, 7);
    assert_eq!(m.cpu.regs[2..7], [0x11, 0x17, 0x06, 0, 5]);
    assert_eq!(
        (m.cpu.cr.cause, m.cpu.cr.badaddr),
        (Exception::IllegalInstruction as u32, ox32::encode(&cr_op(CrOp::Rw, 7, crn::NODEID, 1)))
    );
    let mut m = machine(&[cr_op(CrOp::Rs, 1, 0x7ff, 0)]);
    run(&mut m, 1);
    assert_eq!(m.cpu.cr.cause, Exception::IllegalInstruction as u32, "unknown register");
}

/// Drops to user mode at RAM_BASE + 0x100 running `user`.
fn user_machine(user: &[I]) -> Machine {
    let mut m = machine(&[
        cr_op(CrOp::Rw, 0, crn::EPC, 1),
        cr_op(CrOp::Rwi, 0, crn::STATUS, Status::PIE.bits() as u8),
        I::Eret,
    ]);
    m.cpu.regs[1] = RAM_BASE + 0x100;
    place(&mut m, RAM_BASE + 0x100, user);
    m
}

#[test]
fn user_mode_is_refused_privileged_work() {
    for inst in [
        I::Eret,
        I::Wait,
        I::TlbFlush { rs1: x(0), rs2: x(0) },
        cr_op(CrOp::Rs, 1, crn::STATUS, 0),
        cr_op(CrOp::Rw, 1, crn::CYCLE, 2),
    ] {
        let mut m = user_machine(&[cr_op(CrOp::Rs, 5, crn::TIME, 0), inst]);
        run(&mut m, 5);
        assert_eq!(m.cpu.regs[5], 30, "time is readable in user mode: 3 cycles at 10 ns");
        assert_eq!(m.cpu.cr.cause, Exception::PrivilegedInstruction as u32, "{inst}");
        assert_eq!(m.cpu.cr.badaddr, ox32::encode(&inst));
        assert!(m.cpu.kernel());
        assert_eq!(m.cpu.cr.status, Status::KM | Status::PIE, "PKM records user mode, PIE the old IE");
    }
}

#[test]
fn syscall_and_eret_round_trip() {
    let mut m = user_machine(&[I::Syscall, addi(7, 0, 7)]);
    place(
        &mut m,
        TVEC,
        &[cr_op(CrOp::Rs, 1, crn::EPC, 0), addi(1, 1, 4), cr_op(CrOp::Rw, 0, crn::EPC, 1), I::Eret],
    );
    run(&mut m, 3);
    assert!(!m.cpu.kernel());
    assert!(m.cpu.cr.status.contains(Status::IE), "eret restored IE from PIE");
    run(&mut m, 1);
    assert_eq!(
        (m.cpu.cr.cause, m.cpu.cr.epc, m.cpu.kernel()),
        (Exception::Syscall as u32, RAM_BASE + 0x100, true)
    );
    run(&mut m, 5);
    assert_eq!((m.cpu.regs[7], m.cpu.kernel()), (7, false));
    assert_eq!(m.cpu.traps.len(), 1);
}

#[test]
fn illegal_words_trap_with_the_word() {
    let mut m = machine(&[]);
    m.bus.poke(RAM_BASE, &0u32.to_le_bytes()).unwrap();
    run(&mut m, 1);
    assert_eq!(
        (m.cpu.cr.cause, m.cpu.cr.badaddr, m.cpu.cr.epc),
        (Exception::IllegalInstruction as u32, 0, RAM_BASE)
    );
    let mut m = machine(&[]);
    m.cpu.pc = 0x40;
    run(&mut m, 1);
    assert_eq!((m.cpu.cr.cause, m.cpu.cr.badaddr), (Exception::FetchAccess as u32, 0x40));
}

#[test]
fn a_trap_storm_cannot_hang_the_emulator() {
    let mut m = machine(&[]);
    m.cpu.cr.tvec = 0;
    assert_eq!(run(&mut m, 1000), RunState::Running);
    assert_eq!(m.cpu.cycles, 1000);
    assert_eq!(m.cpu.instret, 0);
}

#[test]
fn self_modifying_code_is_seen() {
    let patched = addi(5, 0, 42);
    let mut m = machine(&[
        I::Store { width: StoreWidth::W, rs1: x(1), rs2: x(2), offset: 8 },
        addi(0, 0, 0),
        addi(5, 0, 1),
    ]);
    m.cpu.regs[1] = RAM_BASE;
    m.cpu.regs[2] = ox32::encode(&patched);
    run(&mut m, 3);
    assert_eq!(m.cpu.regs[5], 42);
    let mut m = machine(&[addi(5, 5, 1), I::Jal { rd: x(0), offset: -4 }]);
    run(&mut m, 4);
    m.poke(RAM_BASE, &ox32::encode(&addi(5, 5, 100)).to_le_bytes()).unwrap();
    run(&mut m, 2);
    assert_eq!(m.cpu.regs[5], 102);
}

#[test]
fn a_budget_of_one_steps_one_instruction() {
    let mut m = machine(&[addi(1, 1, 1), addi(1, 1, 1), addi(1, 1, 1)]);
    for i in 1..=3 {
        m.step();
        assert_eq!((m.cpu.regs[1], m.cpu.pc, m.cpu.instret), (i, RAM_BASE + 4 * i, i as u64));
    }
}

#[test]
fn timer_interrupts_arrive_at_the_exact_cycle_and_wait_skips_ahead() {
    let mut m = machine(&[
        I::Lui { rd: x(1), imm20: TIMER_BASE >> 12 },
        addi(2, 0, 1000),
        I::Store { width: StoreWidth::W, rs1: x(1), rs2: x(2), offset: 0x08 },
        I::Store { width: StoreWidth::W, rs1: x(1), rs2: x(0), offset: 0x0c },
        addi(2, 0, 1),
        I::Store { width: StoreWidth::W, rs1: x(1), rs2: x(2), offset: 0x10 },
        I::Lui { rd: x(1), imm20: INTC_BASE >> 12 },
        I::Store { width: StoreWidth::W, rs1: x(1), rs2: x(2), offset: 4 },
        cr_op(CrOp::Rsi, 0, crn::STATUS, Status::IE.bits() as u8),
        I::Wait,
    ]);
    assert_eq!(run(&mut m, 10_000), RunState::PoweredOff(0xee));
    assert_eq!(m.cpu.cr.cause, INTERRUPT_BIT);
    assert_eq!(m.cpu.cr.epc, RAM_BASE + 40, "after the wait");
    assert_eq!(m.cpu.traps[0].cycle, 100, "1000 ns at 10 ns a cycle");
}

#[test]
fn waiting_with_nothing_to_wake_is_reported() {
    let mut m = machine(&[I::Wait]);
    assert_eq!(run(&mut m, 100), RunState::Stuck);
}

/// Page tables at DATA: root, one level-2 table for VA 0x0040_0000.., with `leaf` flags for
/// the page at VA 0x0040_0000 mapping frame DATA + 0x3000.
fn paged_machine(program: &[I], leaf: PteFlags) -> Machine {
    let mut m = machine(program);
    let root = DATA >> 12;
    let l2 = root + 1;
    let page = root + 3;
    let words = [
        ((root << 12) + 4, Pte::new(l2, PteFlags::V).0),
        (
            (root << 12) + 4 * 0x200,
            Pte::new(RAM_BASE >> 12, PteFlags::V | PteFlags::R | PteFlags::W | PteFlags::X).0,
        ),
        (l2 << 12, Pte::new(page, leaf | PteFlags::V).0),
    ];
    for (pa, pte) in words {
        m.bus.poke(pa, &pte.to_le_bytes()).unwrap();
    }
    m.cpu.regs[20] = ox32::cr::PTBR_PAGING | (1 << ox32::cr::PTBR_ASID_SHIFT) | root;
    m.cpu.regs[21] = 0x0040_0000;
    m
}

#[test]
fn paging_translates_and_sets_accessed_dirty() {
    let mut m = paged_machine(
        &[
            cr_op(CrOp::Rw, 0, crn::PTBR, 20),
            addi(2, 0, 77),
            I::Store { width: StoreWidth::W, rs1: x(21), rs2: x(2), offset: 4 },
            I::Load { width: LoadWidth::W, rd: x(3), rs1: x(21), offset: 4 },
        ],
        PteFlags::R | PteFlags::W,
    );
    run(&mut m, 4);
    assert_eq!(m.cpu.regs[3], 77);
    let mut word = [0; 4];
    m.bus.peek(DATA + 0x3004, &mut word).unwrap();
    assert_eq!(u32::from_le_bytes(word), 77, "went to the mapped frame");
    m.bus.peek(DATA + 0x1000, &mut word).unwrap();
    let flags = Pte(u32::from_le_bytes(word)).flags();
    assert!(flags.contains(PteFlags::A | PteFlags::D));
}

#[test]
fn page_faults_carry_the_address_and_stale_tlb_entries_need_a_flush() {
    let mut m = paged_machine(
        &[
            cr_op(CrOp::Rw, 0, crn::PTBR, 20),
            I::Load { width: LoadWidth::W, rd: x(3), rs1: x(21), offset: 0 },
            I::Store { width: StoreWidth::W, rs1: x(21), rs2: x(0), offset: 0x10 },
        ],
        PteFlags::R,
    );
    run(&mut m, 3);
    assert_eq!((m.cpu.cr.cause, m.cpu.cr.badaddr), (Exception::StorePageFault as u32, 0x0040_0010));
    assert_eq!(m.cpu.tlb.misses, 3, "the code page, the load, and the refused store");

    // Unmap the page; the TLB still holds it until a flush.
    let mut m = paged_machine(
        &[
            cr_op(CrOp::Rw, 0, crn::PTBR, 20),
            I::Load { width: LoadWidth::W, rd: x(3), rs1: x(21), offset: 0 },
            I::Store { width: StoreWidth::W, rs1: x(22), rs2: x(0), offset: 0 },
            I::Load { width: LoadWidth::W, rd: x(4), rs1: x(21), offset: 0 },
            I::TlbFlush { rs1: x(21), rs2: x(0) },
            I::Load { width: LoadWidth::W, rd: x(5), rs1: x(21), offset: 0 },
        ],
        PteFlags::R,
    );
    m.cpu.regs[22] = DATA + 0x1000;
    m.cpu.regs[4] = 9;
    m.cpu.regs[5] = 9;
    run(&mut m, 6);
    assert_eq!(m.cpu.regs[4], 0, "stale entry still translates");
    assert_eq!(m.cpu.regs[5], 9, "after the flush the load faults");
    assert_eq!((m.cpu.cr.cause, m.cpu.cr.badaddr), (Exception::LoadPageFault as u32, 0x0040_0000));
    assert_eq!(m.cpu.tlb.flushes, 1);
}
