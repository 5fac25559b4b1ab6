//! Byte, half-word and word memory access: signed and unsigned loads, unaligned reads and
//! writes (read_unaligned on every offset), packed structs, slice copy/fill/rotate, and
//! memcpy/memmove/memset of every size from 0 to 300 with overlapping ranges.

#![no_std]
#![no_main]

extern crate alloc;

use alloc::vec;
use core::hint::black_box;
use core::ptr;

use difftest::fnv1a;
use ox_bare::println;

ox_bare::entry!(main);

#[repr(C, packed)]
#[derive(Clone, Copy)]
struct Packed {
    tag: u8,
    word: u32,
    half: u16,
    wide: u64,
    byte: i8,
}

fn main() {
    let mut buf = [0u8; 64];
    for (i, b) in buf.iter_mut().enumerate() {
        *b = (i as u8).wrapping_mul(37).wrapping_add(0x81);
    }
    let base = black_box(buf.as_ptr());
    for off in 0..8 {
        // Safety: every read stays inside `buf`.
        let (w, h, d, s) = unsafe {
            (
                ptr::read_unaligned(base.add(off) as *const u32),
                ptr::read_unaligned(base.add(off) as *const i16),
                ptr::read_unaligned(base.add(off) as *const u64),
                *(base.add(off) as *const i8),
            )
        };
        println!("off {off}: u32 {w:#010x} i16 {h} u64 {d:#018x} i8 {s}");
    }
    let mut out = [0u8; 40];
    for off in 0..8 {
        // Safety: every write stays inside `out`.
        unsafe {
            let p = black_box(out.as_mut_ptr()).add(off);
            ptr::write_unaligned(p as *mut u32, 0xdead_beef ^ off as u32);
            ptr::write_unaligned(p.add(8) as *mut u16, 0xa55a);
            ptr::write_unaligned(p.add(16) as *mut u64, 0x0123_4567_89ab_cdef);
        }
        println!("write off {off}: {:02x?}", &out[..28]);
        out.fill(0);
    }
    let p = Packed { tag: 0xab, word: 0x1122_3344, half: 0x5566, wide: 0x7788_99aa_bbcc_ddee, byte: -2 };
    let copy = black_box(p);
    let (tag, word, half, wide, byte) = (copy.tag, copy.word, copy.half, copy.wide, copy.byte);
    println!(
        "packed size {} fields {tag:#x} {word:#x} {half:#x} {wide:#x} {byte}",
        core::mem::size_of::<Packed>()
    );
    let mut packed_array = [p; 5];
    for (i, q) in packed_array.iter_mut().enumerate() {
        q.word = q.word.wrapping_mul(i as u32 + 3);
        q.wide ^= i as u64;
    }
    // Safety: a packed struct is plain bytes.
    let raw = unsafe {
        core::slice::from_raw_parts(packed_array.as_ptr() as *const u8, core::mem::size_of_val(&packed_array))
    };
    println!("packed array fnv {:#010x}", fnv1a(raw));

    let mut src = vec![0u8; 700];
    for (i, b) in src.iter_mut().enumerate() {
        *b = (i * 7 + i / 13) as u8;
    }
    let mut digest = 0u32;
    for size in 0..=300usize {
        let mut dst = vec![0xccu8; 320];
        let at = black_box(size % 9);
        dst[at..at + size].copy_from_slice(&src[size % 5..size % 5 + size]);
        let mut moved = src.clone();
        let from = black_box(size % 11);
        moved.copy_within(from..from + size, from + size % 7 + 1);
        let mut back = src.clone();
        back.copy_within(20..20 + size, 20 - size % 17);
        let mut filled = vec![1u8; 320];
        filled[at..at + size].fill(size as u8);
        digest = digest.rotate_left(5)
            ^ fnv1a(&dst)
            ^ fnv1a(&moved).rotate_left(1)
            ^ fnv1a(&back).rotate_left(2)
            ^ fnv1a(&filled).rotate_left(3);
        if size % 50 == 0 {
            println!("size {size}: digest {digest:#010x}");
        }
    }
    let mut halves = [0u16; 100];
    for (i, h) in halves.iter_mut().enumerate() {
        *h = (i as u16).wrapping_mul(0x9e37);
    }
    halves.rotate_left(37);
    halves.reverse();
    let signed: i32 = halves.iter().map(|&h| i32::from(h as i16)).sum();
    println!("halves sum signed {signed} first {:?}", &halves[..6]);
    let mut words = [0u32; 33];
    words.iter_mut().enumerate().for_each(|(i, w)| *w = (i as u32) << (i % 32));
    words.swap(3, 30);
    words[5..20].sort_unstable_by(|a, b| b.cmp(a));
    println!("words {:x?}", &words[..12]);
}
