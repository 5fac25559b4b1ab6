//! Long loops over memory: CRC-32 (IEEE) of a megabyte, table-driven and bit by bit, Adler-32,
//! and the standard check value of "123456789".

#![no_std]
#![no_main]

extern crate alloc;

use alloc::vec::Vec;

use difftest::XorShift32;
use ox_bare::println;

ox_bare::entry!(main);

fn table() -> [u32; 256] {
    let mut t = [0u32; 256];
    for (i, entry) in t.iter_mut().enumerate() {
        let mut c = i as u32;
        for _ in 0..8 {
            c = if c & 1 != 0 { 0xedb8_8320 ^ (c >> 1) } else { c >> 1 };
        }
        *entry = c;
    }
    t
}

fn crc_table(t: &[u32; 256], data: &[u8]) -> u32 {
    !data.iter().fold(!0u32, |c, &b| t[((c ^ u32::from(b)) & 0xff) as usize] ^ (c >> 8))
}

fn crc_bitwise(data: &[u8]) -> u32 {
    let mut c = !0u32;
    for &b in data {
        c ^= u32::from(b);
        for _ in 0..8 {
            let mask = (c & 1).wrapping_neg();
            c = (c >> 1) ^ (0xedb8_8320 & mask);
        }
    }
    !c
}

fn adler32(data: &[u8]) -> u32 {
    let (mut a, mut b) = (1u32, 0u32);
    for chunk in data.chunks(5552) {
        for &x in chunk {
            a += u32::from(x);
            b += a;
        }
        a %= 65521;
        b %= 65521;
    }
    (b << 16) | a
}

fn main() {
    let t = table();
    println!("check crc32(\"123456789\") = {:#010x}", crc_table(&t, b"123456789"));
    println!("check bitwise = {:#010x}", crc_bitwise(b"123456789"));
    let mut rng = XorShift32::new(99);
    let mut data: Vec<u8> = Vec::with_capacity(1 << 20);
    while data.len() < 1 << 20 {
        data.extend_from_slice(&rng.next_u32().to_le_bytes());
    }
    println!("crc32 of 1 MiB (table) = {:#010x}", crc_table(&t, &data));
    println!("crc32 of first 256 KiB (bitwise) = {:#010x}", crc_bitwise(&data[..1 << 18]));
    println!("adler32 of 1 MiB = {:#010x}", adler32(&data));
    for size in [0usize, 1, 3, 4, 5, 63, 64, 65, 4095, 4096, 4097] {
        println!("crc32 prefix {size}: {:#010x}", crc_table(&t, &data[..size]));
    }
}
