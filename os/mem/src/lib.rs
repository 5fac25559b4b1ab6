//! `memcpy` and `memset` for ox32, which every copy of the kernels and of user programs ends in.
//!
//! The ones `compiler_builtins` gives an RV32 target without them move one word per five
//! instructions (`lw`, `sw`, two `addi`, a branch): 1.25 instructions a byte, and a copy of a
//! 1 KiB frame costs 1,300. The kernels copy every byte a satellite reads from a file several
//! times (file system, stub, message, fragment, frame), so that loop was most of the central's
//! work per byte on a link. Here the aligned loop moves eight words per nineteen instructions
//! (0.6 a byte), `memset` eight words per ten (0.3 a byte), and a copy between addresses that
//! differ in alignment merges aligned words with shifts instead of going a byte at a time. A
//! copy under 16 bytes between aligned addresses — most are the compiler's moves of small
//! values — goes a word at a time (a byte at a time, the remote port RPC's round trip took
//! 389 virtual µs instead of 370), and the words after the last eight of a longer one go four,
//! two and one as their count's bits say rather than in a loop.
//!
//! Design principles:
//! 1. **Plain Rust, no builtins.** `#![no_builtins]` keeps the compiler from recognising these
//!    loops as `memcpy` and calling themselves; nothing else is special.
//! 2. **Overriding, not patching.** On ox32 (`riscv32` before translation) the functions are
//!    exported as the C symbols `memcpy` and `memset`, which `compiler_builtins` defines weakly:
//!    linking this crate replaces them in the whole image. Elsewhere (tests on the host) they are
//!    ordinary functions, checked against the slice methods by property tests.
#![no_std]
#![no_builtins]

/// Copies `n` bytes from `src` to `dst` (which do not overlap).
///
/// # Safety
/// `src` must be valid for `n` bytes of reads and `dst` for `n` bytes of writes, and the two
/// ranges must not overlap.
#[inline(always)]
pub unsafe fn copy(dst: *mut u8, src: *const u8, n: usize) {
    let (mut d, mut s, mut n) = (dst, src, n);
    if n < 16 {
        // Small copies first, before anything needs a saved register: a word at a time while
        // both are aligned (most are: the moves of small values), then bytes.
        if (d as usize | s as usize) & 3 == 0 {
            // Two words and one as the count's bits say.
            if n & 8 != 0 {
                // Safety: both aligned, and two words remain in both ranges.
                unsafe {
                    let (a, b) = (*s.cast::<u32>(), *s.add(4).cast::<u32>());
                    *d.cast::<u32>() = a;
                    *d.add(4).cast::<u32>() = b;
                    d = d.add(8);
                    s = s.add(8);
                }
            }
            if n & 4 != 0 {
                // Safety: both aligned, and a word remains in both ranges.
                unsafe {
                    *d.cast::<u32>() = *s.cast::<u32>();
                    d = d.add(4);
                    s = s.add(4);
                }
            }
            n &= 3;
        }
        while n > 0 {
            // Safety: inside both ranges, which the caller vouches for.
            unsafe {
                *d = *s;
                d = d.add(1);
                s = s.add(1);
            }
            n -= 1;
        }
        return;
    }
    // Bytes until `dst` is aligned.
    while d as usize & 3 != 0 {
        // Safety: inside both ranges, which the caller vouches for.
        unsafe {
            *d = *s;
            d = d.add(1);
            s = s.add(1);
        }
        n -= 1;
    }
    // Safety: `d` is aligned and `n` bytes remain in both ranges.
    unsafe {
        let words = if s as usize & 3 == 0 {
            copy_aligned(d.cast(), s.cast(), n / 4)
        } else {
            copy_shifted(d.cast(), s, n / 4)
        };
        d = d.add(words * 4);
        s = s.add(words * 4);
    }
    // The last bytes.
    for _ in 0..n & 3 {
        // Safety: inside both ranges.
        unsafe {
            *d = *s;
            d = d.add(1);
            s = s.add(1);
        }
    }
}

/// Copies `words` words between aligned addresses, eight a loop; returns `words`.
///
/// # Safety
/// Both aligned and valid for `words` words; no overlap.
#[inline(always)]
unsafe fn copy_aligned(mut d: *mut u32, mut s: *const u32, words: usize) -> usize {
    let mut left = words;
    while left >= 8 {
        // Safety: eight words remain in both ranges.
        unsafe {
            let (a, b, c, e) = (*s, *s.add(1), *s.add(2), *s.add(3));
            let (f, g, h, i) = (*s.add(4), *s.add(5), *s.add(6), *s.add(7));
            *d = a;
            *d.add(1) = b;
            *d.add(2) = c;
            *d.add(3) = e;
            *d.add(4) = f;
            *d.add(5) = g;
            *d.add(6) = h;
            *d.add(7) = i;
            d = d.add(8);
            s = s.add(8);
        }
        left -= 8;
    }
    // The last seven words at most: four, two and one as the count's bits say (a loop of one
    // word at a time costs five instructions a word and a branch back).
    if left & 4 != 0 {
        // Safety: four words remain in both ranges.
        unsafe {
            let (a, b, c, e) = (*s, *s.add(1), *s.add(2), *s.add(3));
            *d = a;
            *d.add(1) = b;
            *d.add(2) = c;
            *d.add(3) = e;
            d = d.add(4);
            s = s.add(4);
        }
    }
    if left & 2 != 0 {
        // Safety: two words remain in both ranges.
        unsafe {
            let (a, b) = (*s, *s.add(1));
            *d = a;
            *d.add(1) = b;
            d = d.add(2);
            s = s.add(2);
        }
    }
    if left & 1 != 0 {
        // Safety: a word remains in both ranges.
        unsafe { *d = *s };
    }
    words
}

/// Copies `words` words to aligned `d` from `s`, which is not aligned, reading only the aligned
/// words that hold the source bytes and merging each two with shifts (little-endian); returns
/// `words`.
///
/// # Safety
/// `d` aligned and valid for `words` words of writes, `s` valid for `4 × words` bytes of reads;
/// no overlap. The aligned words read around the source lie within the aligned words that hold
/// its first and last byte, so they are in the same pages as the source.
#[inline(always)]
unsafe fn copy_shifted(mut d: *mut u32, s: *const u8, words: usize) -> usize {
    let offset = s as usize & 3;
    let (right, left) = (8 * offset as u32, 32 - 8 * offset as u32);
    let mut from = (s as usize - offset) as *const u32;
    // Safety: the aligned word holding the first source byte.
    let mut low = unsafe { *from };
    for _ in 0..words {
        // Safety: the next aligned word holds source bytes (the last one read holds the last
        // source byte of this word, since `offset` > 0), and `d` has room for a word.
        unsafe {
            from = from.add(1);
            let high = *from;
            *d = (low >> right) | (high << left);
            d = d.add(1);
            low = high;
        }
    }
    words
}

/// Fills `n` bytes at `dst` with `byte`.
///
/// # Safety
/// `dst` must be valid for `n` bytes of writes.
#[inline(always)]
pub unsafe fn fill(dst: *mut u8, byte: u8, n: usize) {
    let (mut d, mut n) = (dst, n);
    if n >= 16 {
        while d as usize & 3 != 0 {
            // Safety: inside the range.
            unsafe {
                *d = byte;
                d = d.add(1);
            }
            n -= 1;
        }
        let word = u32::from_ne_bytes([byte; 4]);
        let mut w: *mut u32 = d.cast();
        let mut left = n / 4;
        while left >= 8 {
            // Safety: eight aligned words remain in the range.
            unsafe {
                *w = word;
                *w.add(1) = word;
                *w.add(2) = word;
                *w.add(3) = word;
                *w.add(4) = word;
                *w.add(5) = word;
                *w.add(6) = word;
                *w.add(7) = word;
                w = w.add(8);
            }
            left -= 8;
        }
        while left > 0 {
            // Safety: an aligned word remains in the range.
            unsafe {
                *w = word;
                w = w.add(1);
            }
            left -= 1;
        }
        d = w.cast();
        n &= 3;
    }
    while n > 0 {
        // Safety: inside the range.
        unsafe {
            *d = byte;
            d = d.add(1);
        }
        n -= 1;
    }
}

/// The C `memcpy` of every ox32 image that links this crate.
///
/// # Safety
/// As [`copy`].
#[cfg(target_arch = "riscv32")]
#[no_mangle]
pub unsafe extern "C" fn memcpy(dst: *mut u8, src: *const u8, n: usize) -> *mut u8 {
    // Safety: the caller's promise is `copy`'s.
    unsafe { copy(dst, src, n) };
    dst
}

/// The C `memset` of every ox32 image that links this crate.
///
/// # Safety
/// As [`fill`].
#[cfg(target_arch = "riscv32")]
#[no_mangle]
pub unsafe extern "C" fn memset(dst: *mut u8, byte: i32, n: usize) -> *mut u8 {
    // Safety: the caller's promise is `fill`'s.
    unsafe { fill(dst, byte as u8, n) };
    dst
}

#[cfg(test)]
mod tests {
    extern crate std;

    use std::vec;
    use std::vec::Vec;

    use proptest::prelude::{prop_assert_eq, proptest};

    use super::{copy, fill};

    proptest! {
        #[test]
        fn copy_is_a_slice_copy(len in 0usize..300, from in 0usize..8, to in 0usize..8, seed: u8) {
            let src: Vec<u8> = (0..len + 16).map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed)).collect();
            let mut dst = vec![0xeeu8; len + 16];
            let mut want = dst.clone();
            want[to..to + len].copy_from_slice(&src[from..from + len]);
            // Safety: both ranges are inside their vectors, which are distinct.
            unsafe { copy(dst.as_mut_ptr().add(to), src.as_ptr().add(from), len) };
            prop_assert_eq!(dst, want);
        }

        #[test]
        fn fill_is_a_slice_fill(len in 0usize..300, at in 0usize..8, byte: u8) {
            let mut dst = vec![0x11u8; len + 8];
            let mut want = dst.clone();
            want[at..at + len].fill(byte);
            // Safety: the range is inside the vector.
            unsafe { fill(dst.as_mut_ptr().add(at), byte, len) };
            prop_assert_eq!(dst, want);
        }
    }
}
