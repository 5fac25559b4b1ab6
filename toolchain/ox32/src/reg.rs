//! General-purpose registers.
//!
//! ox32 has 32 registers, `r0`..`r31`; `r0` always reads as zero and ignores writes. Because
//! guest code arrives from RV32 one instruction at a time, ox32 keeps the RV32 ILP32 calling
//! convention and its register names (`zero`, `ra`, `sp`, `a0`, ...), which the assembler accepts
//! beside `rN` and the disassembler prints.

use core::fmt;

/// A register number, always in `0..32`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Reg(u8);

/// ABI names, indexed by register number.
pub const ABI_NAMES: [&str; 32] = [
    "zero", "ra", "sp", "gp", "tp", "t0", "t1", "t2", "s0", "s1", "a0", "a1", "a2", "a3", "a4", "a5", "a6",
    "a7", "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9", "s10", "s11", "t3", "t4", "t5", "t6",
];

impl Reg {
    /// `r0`, hard-wired to zero.
    pub const ZERO: Reg = Reg(0);
    /// `r1`, the return address.
    pub const RA: Reg = Reg(1);
    /// `r2`, the stack pointer.
    pub const SP: Reg = Reg(2);
    /// `r10`, the first argument and return value.
    pub const A0: Reg = Reg(10);
    /// `r11`, the second argument.
    pub const A1: Reg = Reg(11);

    /// The register with number `n`, if `n < 32`.
    pub const fn new(n: u32) -> Option<Reg> {
        if n < 32 {
            Some(Reg(n as u8))
        } else {
            None
        }
    }

    /// The register held in the five bits of `word` starting at bit `lsb`.
    pub(crate) const fn field(word: u32, lsb: u32) -> Reg {
        Reg(((word >> lsb) & 31) as u8)
    }

    /// The register number, `0..32`.
    pub const fn num(self) -> u32 {
        self.0 as u32
    }

    /// The register number as an index.
    pub const fn index(self) -> usize {
        self.0 as usize
    }

    /// The ABI name (`a0`, `sp`, ...).
    pub const fn abi_name(self) -> &'static str {
        ABI_NAMES[self.0 as usize]
    }

    /// Parses `rN`, `xN` or an ABI name (`fp` is `s0`).
    pub fn parse(name: &str) -> Option<Reg> {
        if name == "fp" {
            return Some(Reg(8));
        }
        if let Some(i) = ABI_NAMES.iter().position(|n| *n == name) {
            return Some(Reg(i as u8));
        }
        let digits = name.strip_prefix('r').or_else(|| name.strip_prefix('x'))?;
        if digits.is_empty() || (digits.len() > 1 && digits.starts_with('0')) {
            return None;
        }
        digits.parse::<u32>().ok().and_then(Reg::new)
    }
}

impl fmt::Display for Reg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.abi_name())
    }
}
