//! Hash functions over generated data: FNV-1a 32/64, djb2, MurmurHash3 (x86_32), and a
//! SipHash-2-4 implementation checked against the reference test vector.

#![no_std]
#![no_main]

extern crate alloc;

use alloc::vec::Vec;

use difftest::fnv1a;
use ox_bare::println;

ox_bare::entry!(main);

fn fnv64(data: &[u8]) -> u64 {
    data.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3))
}

fn djb2(data: &[u8]) -> u32 {
    data.iter().fold(5381u32, |h, &b| h.wrapping_mul(33) ^ u32::from(b))
}

fn murmur3(data: &[u8], seed: u32) -> u32 {
    let (c1, c2) = (0xcc9e_2d51u32, 0x1b87_3593u32);
    let mut h = seed;
    let chunks = data.chunks_exact(4);
    let tail = chunks.remainder();
    for chunk in chunks {
        let mut k = u32::from_le_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]);
        k = k.wrapping_mul(c1).rotate_left(15).wrapping_mul(c2);
        h ^= k;
        h = h.rotate_left(13).wrapping_mul(5).wrapping_add(0xe654_6b64);
    }
    let mut k = 0u32;
    for (i, &b) in tail.iter().enumerate() {
        k |= u32::from(b) << (8 * i);
    }
    if !tail.is_empty() {
        h ^= k.wrapping_mul(c1).rotate_left(15).wrapping_mul(c2);
    }
    h ^= data.len() as u32;
    h ^= h >> 16;
    h = h.wrapping_mul(0x85eb_ca6b);
    h ^= h >> 13;
    h = h.wrapping_mul(0xc2b2_ae35);
    h ^ (h >> 16)
}

struct Sip {
    v: [u64; 4],
}

impl Sip {
    fn round(&mut self) {
        let v = &mut self.v;
        v[0] = v[0].wrapping_add(v[1]);
        v[1] = v[1].rotate_left(13) ^ v[0];
        v[0] = v[0].rotate_left(32);
        v[2] = v[2].wrapping_add(v[3]);
        v[3] = v[3].rotate_left(16) ^ v[2];
        v[0] = v[0].wrapping_add(v[3]);
        v[3] = v[3].rotate_left(21) ^ v[0];
        v[2] = v[2].wrapping_add(v[1]);
        v[1] = v[1].rotate_left(17) ^ v[2];
        v[2] = v[2].rotate_left(32);
    }
}

fn siphash24(k0: u64, k1: u64, data: &[u8]) -> u64 {
    let mut s = Sip {
        v: [
            k0 ^ 0x736f_6d65_7073_6575,
            k1 ^ 0x646f_7261_6e64_6f6d,
            k0 ^ 0x6c79_6765_6e65_7261,
            k1 ^ 0x7465_6462_7974_6573,
        ],
    };
    let chunks = data.chunks_exact(8);
    let tail = chunks.remainder();
    for chunk in chunks {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        let m = u64::from_le_bytes(word);
        s.v[3] ^= m;
        s.round();
        s.round();
        s.v[0] ^= m;
    }
    let mut last = (data.len() as u64) << 56;
    for (i, &b) in tail.iter().enumerate() {
        last |= u64::from(b) << (8 * i);
    }
    s.v[3] ^= last;
    s.round();
    s.round();
    s.v[0] ^= last;
    s.v[2] ^= 0xff;
    for _ in 0..4 {
        s.round();
    }
    s.v[0] ^ s.v[1] ^ s.v[2] ^ s.v[3]
}

fn main() {
    let key0 = u64::from_le_bytes([0, 1, 2, 3, 4, 5, 6, 7]);
    let key1 = u64::from_le_bytes([8, 9, 10, 11, 12, 13, 14, 15]);
    let input: Vec<u8> = (0..15).collect();
    println!("siphash24 reference (expect 0xa129ca6149be45e5): {:#018x}", siphash24(key0, key1, &input));
    println!(
        "fnv1a(\"\") {:#010x} fnv1a(\"a\") {:#010x} fnv64(\"foobar\") {:#018x}",
        fnv1a(b""),
        fnv1a(b"a"),
        fnv64(b"foobar")
    );
    println!("murmur3(\"hello\", 0) {:#010x} (\"\", 1) {:#010x}", murmur3(b"hello", 0), murmur3(b"", 1));
    let data: Vec<u8> = (0..100_000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8).collect();
    for len in [1usize, 7, 8, 9, 63, 64, 1000, 100_000] {
        let d = &data[..len];
        println!(
            "len {len}: fnv {:#010x} fnv64 {:#018x} djb2 {:#010x} murmur {:#010x} sip {:#018x}",
            fnv1a(d),
            fnv64(d),
            djb2(d),
            murmur3(d, 42),
            siphash24(key0, key1, d)
        );
    }
    let mut buckets = [0u32; 16];
    for i in 0..20_000u32 {
        buckets[(siphash24(1, 2, &i.to_le_bytes()) & 15) as usize] += 1;
    }
    println!("sip buckets {buckets:?}");
}
