//! Helpers shared by the differential programs in `src/bin/`: a deterministic PRNG and
//! checksums, so that programs can print short digests of large results.
//!
//! Every program is a `#![no_std]` ox-bare program; its transcript must be byte-identical
//! under qemu-riscv32 and on orrery (`cargo xtask difftest`).

#![no_std]

/// Marsaglia's xorshift32: deterministic, cheap, good enough for test data.
pub struct XorShift32(u32);

impl XorShift32 {
    /// A generator with a non-zero state derived from `seed`.
    pub fn new(seed: u32) -> XorShift32 {
        XorShift32(if seed == 0 { 0x9e37_79b9 } else { seed })
    }

    /// The next value.
    pub fn next_u32(&mut self) -> u32 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        self.0 = x;
        x
    }

    /// Two values as one 64-bit value.
    pub fn next_u64(&mut self) -> u64 {
        (u64::from(self.next_u32()) << 32) | u64::from(self.next_u32())
    }

    /// A value below `bound` (which must not be 0); slightly biased, which does not matter here.
    pub fn below(&mut self, bound: u32) -> u32 {
        self.next_u32() % bound
    }
}

/// 32-bit FNV-1a of `bytes`.
pub fn fnv1a(bytes: &[u8]) -> u32 {
    bytes.iter().fold(0x811c_9dc5, |h, &b| (h ^ u32::from(b)).wrapping_mul(0x0100_0193))
}

/// FNV-1a over the little-endian bytes of `words`.
pub fn fnv1a_words(words: &[u32]) -> u32 {
    words.iter().fold(0x811c_9dc5, |h, w| {
        w.to_le_bytes().iter().fold(h, |h, &b| (h ^ u32::from(b)).wrapping_mul(0x0100_0193))
    })
}
