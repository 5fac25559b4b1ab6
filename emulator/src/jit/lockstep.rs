//! Lockstep differential testing of the JIT against the interpreter.
//!
//! [`compare`] runs two machines built the same way — one with the JIT, one without — slice by
//! slice to the same cycle targets and compares everything architectural after each: `pc`,
//! registers, control registers, cycle and instruction counts, the TLB (entries and counters),
//! the trap history, where each stands ([`RunState`]) and, at the end, all of RAM.
//! [`random_program`] builds the random programs the tests and the fuzz target feed it.

use ox32::cr::{self, PTBR_PAGING};
use ox32::memmap::{RAM_BASE, UART_BASE};
use ox32::pte::{l1_index, Pte, PteFlags, PAGE_SHIFT};
use ox32::{
    AluImmOp, AluOp, AmoOp, BranchCond, CrOp, Instruction, LoadWidth, Ordering, Reg, ShiftOp, StoreWidth,
};

use crate::machine::{Machine, MachineConfig, RunState};

/// A small deterministic random source (xorshift64*).
pub struct Rng(u64);

impl Rng {
    /// A source seeded with `seed`.
    pub fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// A number below `n` (n > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }
}

/// Describes the first difference between the two machines' architectural state.
pub fn differences(a: &Machine, b: &Machine) -> Option<String> {
    let (x, y) = (&a.cpu, &b.cpu);
    macro_rules! same {
        ($what:expr, $l:expr, $r:expr) => {
            if $l != $r {
                return Some(format!("{} differs: interpreter {:x?}, JIT {:x?}", $what, $l, $r));
            }
        };
    }
    same!("pc", x.pc, y.pc);
    same!("cycles", x.cycles, y.cycles);
    same!("instret", x.instret, y.instret);
    same!("registers", &x.regs[..32], &y.regs[..32]);
    same!("control registers", x.cr, y.cr);
    same!("TLB hits", x.tlb.hits, y.tlb.hits);
    same!("TLB misses", x.tlb.misses, y.tlb.misses);
    same!("TLB entries", &x.tlb.entries[..], &y.tlb.entries[..]);
    same!("trap history", &x.traps, &y.traps);
    same!("waiting", a.is_waiting(), b.is_waiting());
    None
}

/// Runs `interp` (interpreter) and `jit` (JIT) to the same cycle targets — each the last plus
/// a step from `steps` — comparing them after every run, until both stop or `steps` ends.
pub fn compare(
    interp: &mut Machine,
    jit: &mut Machine,
    steps: impl Iterator<Item = u64>,
) -> Result<(), String> {
    let mut until = interp.cpu.cycles;
    for step in steps {
        until = until.saturating_add(step.max(1));
        let (s, t) = (interp.run(until), jit.run(until));
        let at = format!("at cycle target {until}");
        if s != t {
            return Err(format!("{at}: run state differs: interpreter {s:?}, JIT {t:?}"));
        }
        if let Some(d) = differences(interp, jit) {
            return Err(format!("{at}: {d}"));
        }
        if s != RunState::Running {
            break;
        }
    }
    if interp.bus.ram() != jit.bus.ram() {
        let at = interp.bus.ram().iter().zip(jit.bus.ram()).position(|(p, q)| p != q).unwrap_or(0);
        return Err(format!("RAM differs first at {:#010x}", RAM_BASE as usize + at));
    }
    Ok(())
}

/// Where random programs put things.
const CODE: u32 = RAM_BASE;
const DATA: u32 = RAM_BASE + 0x4000;
const ROOT: u32 = RAM_BASE + 0x2000;
const PROLOGUE: u32 = RAM_BASE + 0x10000;

fn r(n: u32) -> Reg {
    Reg::new(n & 31).unwrap_or(Reg::ZERO)
}

/// One random instruction for slot `idx` of the code page: mostly ALU, memory and branches,
/// some atomics, control-register reads and traps.
fn random_instruction(rng: &mut Rng, idx: u32) -> u32 {
    // Registers 20..=23 hold addresses (data, data, code, a device); keep them as bases.
    let dest = |rng: &mut Rng| r(1 + rng.below(19) as u32 + if rng.below(4) == 0 { 23 } else { 0 });
    let any = |rng: &mut Rng| r(rng.below(32) as u32);
    let base = |rng: &mut Rng| r(20 + rng.below(4) as u32);
    let small = |rng: &mut Rng| (rng.below(64) as i16 - 32) * if rng.below(8) == 0 { 1 } else { 4 };
    let inst = match rng.below(100) {
        0..=29 => Instruction::Alu {
            op: AluOp::ALL[rng.below(AluOp::ALL.len() as u64) as usize],
            rd: dest(rng),
            rs1: any(rng),
            rs2: any(rng),
        },
        30..=44 => Instruction::AluImm {
            op: [
                AluImmOp::Addi,
                AluImmOp::Slti,
                AluImmOp::Sltiu,
                AluImmOp::Xori,
                AluImmOp::Ori,
                AluImmOp::Andi,
            ][rng.below(6) as usize],
            rd: dest(rng),
            rs1: any(rng),
            imm: rng.next_u64() as i16,
        },
        45..=49 => Instruction::ShiftImm {
            op: [ShiftOp::Slli, ShiftOp::Srli, ShiftOp::Srai][rng.below(3) as usize],
            rd: dest(rng),
            rs1: any(rng),
            shamt: rng.below(32) as u8,
        },
        50..=51 => Instruction::Lui { rd: dest(rng), imm20: rng.next_u64() as u32 & 0xf_ffff },
        52 => Instruction::Auipc { rd: dest(rng), imm20: rng.next_u64() as u32 & 0xf_ffff },
        53..=64 => Instruction::Load {
            width: [LoadWidth::B, LoadWidth::H, LoadWidth::W, LoadWidth::Bu, LoadWidth::Hu]
                [rng.below(5) as usize],
            rd: dest(rng),
            rs1: base(rng),
            offset: small(rng),
        },
        65..=74 => Instruction::Store {
            width: [StoreWidth::B, StoreWidth::H, StoreWidth::W][rng.below(3) as usize],
            rs1: base(rng),
            rs2: any(rng),
            offset: small(rng),
        },
        75..=84 => {
            // Mostly forward, so programs make progress; sometimes misaligned.
            let words = rng.below(24) as i16 - 6;
            let offset = words * 4 + if rng.below(16) == 0 { 2 } else { 0 };
            Instruction::Branch {
                cond: [
                    BranchCond::Eq,
                    BranchCond::Ne,
                    BranchCond::Lt,
                    BranchCond::Ge,
                    BranchCond::Ltu,
                    BranchCond::Geu,
                ][rng.below(6) as usize],
                rs1: any(rng),
                rs2: any(rng),
                offset,
            }
        }
        85..=87 => Instruction::Jal { rd: dest(rng), offset: (rng.below(32) as i32 - 4) * 4 },
        88 => Instruction::Jalr {
            rd: dest(rng),
            rs1: r(22),
            offset: (idx as i16 + rng.below(16) as i16) * 4 + 4,
        },
        90..=91 => Instruction::Amo {
            op: [AmoOp::Add, AmoOp::Swap, AmoOp::Max][rng.below(3) as usize],
            rd: dest(rng),
            rs1: base(rng),
            rs2: any(rng),
            order: Ordering::default(),
        },
        92 => Instruction::Lr { rd: dest(rng), rs1: base(rng), order: Ordering::default() },
        93 => Instruction::Sc { rd: dest(rng), rs1: base(rng), rs2: any(rng), order: Ordering::default() },
        94..=96 => Instruction::Cr {
            op: CrOp::Rs,
            rd: dest(rng),
            cr: [cr::CYCLE, cr::TIME, cr::STATUS, cr::EPC, cr::BADADDR][rng.below(5) as usize],
            src: 0,
        },
        97 => Instruction::Syscall,
        98 => Instruction::FenceI,
        _ => return rng.next_u64() as u32,
    };
    ox32::encode(&inst)
}

/// A random program: two pages of code (also the trap vector: a trap restarts it) — `code` if
/// given, else random instructions — data, page tables mapping RAM and the devices; mode,
/// paging, data and registers from `seed`. Built twice alike, the machines are identical. With
/// the JIT, even seeds translate every block at first sight, odd ones only hot blocks.
pub fn random_program(seed: u64, code: Option<&[u32]>, jit: bool) -> Machine {
    let mut rng = Rng::new(seed);
    let (user, paging) = (rng.below(2) == 1, rng.below(3) != 0);
    let mut m = Machine::new(MachineConfig::new(1 << 20, Box::new(std::io::sink())));
    m.set_jit(jit);
    // Every other seed translates each block at first sight, the others once it is hot (and
    // interpret it until then), so both paths are compared.
    if let Some(jit) = m.jit_mut().filter(|_| seed.is_multiple_of(2)) {
        jit.hot = 1;
    }
    let code: Vec<u32> = match code {
        Some(words) => words.iter().copied().take(2048).collect(),
        None => (0..2048).map(|i| random_instruction(&mut rng, i)).collect(),
    };
    poke_words(&mut m, CODE, &code);
    let data: Vec<u32> = (0..4096).map(|_| rng.next_u64() as u32).collect();
    poke_words(&mut m, DATA, &data);
    // Superpages: RAM and the devices, identity-mapped; RAM's flags sometimes without D.
    let user_bit = if user { PteFlags::U } else { PteFlags::empty() };
    let dirty = if rng.below(2) == 0 { PteFlags::D } else { PteFlags::empty() };
    let ram = PteFlags::V | PteFlags::R | PteFlags::W | PteFlags::X | PteFlags::A | dirty | user_bit;
    let dev = PteFlags::V | PteFlags::R | PteFlags::W | PteFlags::A | PteFlags::D | user_bit;
    let root = [(RAM_BASE, ram), (UART_BASE, dev)];
    for (va, flags) in root {
        let pte = Pte::new(va >> PAGE_SHIFT & !0x3ff, flags);
        poke_words(&mut m, ROOT + 4 * l1_index(va), &[pte.0]);
    }
    for n in 1..32 {
        m.cpu.set_reg(r(n), rng.next_u64() as u32);
    }
    m.cpu.set_reg(r(20), DATA + 0x100 * rng.below(16) as u32);
    m.cpu.set_reg(r(21), DATA + 0x3000 + rng.below(0x1000) as u32);
    m.cpu.set_reg(r(22), CODE);
    m.cpu.set_reg(r(23), if rng.below(2) == 0 { UART_BASE } else { RAM_BASE + (1 << 20) - 64 });
    // Traps restart the program anywhere in its two pages.
    let entry = CODE + 4 * rng.below(2048) as u32;
    enter(&mut m, PROLOGUE, entry, user, paging.then_some(ROOT));
    m
}

/// Makes `m` start at `entry` — also its trap vector — in user mode or not, with paging on
/// the page tables at `root` (ASID 3) or off: a prologue written at `prologue` sets the
/// control registers from `t0`..`t2` (which it leaves holding them) and returns there. The
/// CPU fuzz target and the random programs here start alike.
pub fn enter(m: &mut Machine, prologue: u32, entry: u32, user: bool, root: Option<u32>) {
    let write_cr = |cr: u16, src: Reg| {
        ox32::encode(&Instruction::Cr { op: CrOp::Rw, rd: Reg::ZERO, cr, src: src.num() as u8 })
    };
    let (t0, t1, t2) = (r(5), r(6), r(7));
    let code = [
        write_cr(cr::TVEC, t0),
        write_cr(cr::EPC, t0),
        write_cr(cr::STATUS, t2),
        write_cr(cr::PTBR, t1),
        ox32::encode(&Instruction::Eret),
    ];
    poke_words(m, prologue, &code);
    m.cpu.pc = prologue;
    m.cpu.set_reg(t0, entry);
    m.cpu.set_reg(t1, root.map_or(0, |root| PTBR_PAGING | (3 << cr::PTBR_ASID_SHIFT) | (root >> 12)));
    m.cpu.set_reg(t2, if user { 0b010 } else { 0b110 });
}

fn poke_words(m: &mut Machine, at: u32, words: &[u32]) {
    let bytes: Vec<u8> = words.iter().flat_map(|w| w.to_le_bytes()).collect();
    // Every caller writes inside the 1 MiB of RAM random programs have.
    m.poke(at, &bytes).expect("inside RAM");
}

/// Runs the program of `seed` (with `code`, if given) under both engines for about `cycles`
/// cycles in random slices; the first difference, if any.
pub fn check_seed(seed: u64, code: Option<&[u32]>, cycles: u64) -> Result<(), String> {
    let (mut a, mut b) = (random_program(seed, code, false), random_program(seed, code, true));
    let mut rng = Rng::new(seed ^ 0x5eed);
    let steps: Vec<u64> = std::iter::from_fn(|| {
        Some(match rng.below(4) {
            0 => 1 + rng.below(4),
            1 => 1 + rng.below(100),
            _ => 1 + rng.below(5000),
        })
    })
    .scan(0u64, |total, s| {
        *total += s;
        (*total <= cycles).then_some(s)
    })
    .collect();
    compare(&mut a, &mut b, steps.into_iter()).map_err(|e| format!("seed {seed}: {e}"))
}
