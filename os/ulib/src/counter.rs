//! The node's counters, read from user mode without a system call (docs/isa.md §9.1): `cycle`
//! (instructions retired by this node's processor, whatever runs on it) and `time` (its
//! virtual time in nanoseconds). On a satellite they are the satellite's. Both are 64 bits
//! wide, read as high, low, high until the high halves agree.

use core::arch::asm;

/// Reads the 64-bit counter whose low half is `$low` and high half `$high` (CSR names).
macro_rules! read64 {
    ($low:literal, $high:literal) => {{
        loop {
            let (high, low, again): (u32, u32, u32);
            // Safety: reading a user-readable counter has no side effects.
            unsafe {
                asm!(
                    ".option push",
                    ".option arch, +zicsr",
                    concat!("csrr {0}, ", $high),
                    concat!("csrr {1}, ", $low),
                    concat!("csrr {2}, ", $high),
                    ".option pop",
                    out(reg) high,
                    out(reg) low,
                    out(reg) again,
                    options(nomem, nostack),
                )
            };
            if high == again {
                break (u64::from(high) << 32) | u64::from(low);
            }
        }
    }};
}

/// Instructions this node's processor has retired since reset.
pub fn instructions() -> u64 {
    read64!("cycle", "cycleh")
}

/// This node's virtual time since reset, in nanoseconds.
pub fn time_ns() -> u64 {
    read64!("time", "timeh")
}
