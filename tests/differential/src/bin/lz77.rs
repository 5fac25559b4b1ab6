//! Compression round trips: a run-length coder and an LZ77 coder with a hash-chain match
//! finder over generated text; sizes, digests and a check that decoding gives the input back.

#![no_std]
#![no_main]

extern crate alloc;

use alloc::vec;
use alloc::vec::Vec;

use difftest::{fnv1a, XorShift32};
use ox_bare::println;

ox_bare::entry!(main);

const WINDOW: usize = 4096;
const MIN_MATCH: usize = 3;
const MAX_MATCH: usize = 258;

fn rle_encode(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < data.len() {
        let b = data[i];
        let mut run = 1;
        while i + run < data.len() && data[i + run] == b && run < 255 {
            run += 1;
        }
        out.push(run as u8);
        out.push(b);
        i += run;
    }
    out
}

fn rle_decode(data: &[u8]) -> Vec<u8> {
    data.chunks(2).flat_map(|pair| core::iter::repeat_n(pair[1], usize::from(pair[0]))).collect()
}

/// Tokens: 0, literal byte; or 1, distance (2 bytes), length - MIN_MATCH (1 byte).
fn lz_encode(data: &[u8]) -> Vec<u8> {
    let mut head = vec![usize::MAX; 1 << 12];
    let mut prev = vec![usize::MAX; data.len()];
    let hash = |i: usize| {
        (usize::from(data[i]) << 8 ^ usize::from(data[i + 1]) << 4 ^ usize::from(data[i + 2])) & 0xfff
    };
    let mut out = Vec::new();
    let mut i = 0;
    while i < data.len() {
        let mut best = (0usize, 0usize);
        if i + MIN_MATCH <= data.len() {
            let h = hash(i);
            let mut candidate = head[h];
            let mut chain = 0;
            while candidate != usize::MAX && i - candidate <= WINDOW && chain < 32 {
                let len = data[candidate..]
                    .iter()
                    .zip(&data[i..])
                    .take(MAX_MATCH)
                    .take_while(|(a, b)| a == b)
                    .count();
                if len > best.1 {
                    best = (i - candidate, len);
                }
                candidate = prev[candidate];
                chain += 1;
            }
            prev[i] = head[h];
            head[h] = i;
        }
        if best.1 >= MIN_MATCH {
            out.push(1);
            out.extend_from_slice(&(best.0 as u16).to_le_bytes());
            out.push((best.1 - MIN_MATCH) as u8);
            for k in i + 1..i + best.1 {
                if k + MIN_MATCH <= data.len() {
                    let h = hash(k);
                    prev[k] = head[h];
                    head[h] = k;
                }
            }
            i += best.1;
        } else {
            out.push(0);
            out.push(data[i]);
            i += 1;
        }
    }
    out
}

fn lz_decode(data: &[u8]) -> Vec<u8> {
    let mut out: Vec<u8> = Vec::new();
    let mut i = 0;
    while i < data.len() {
        if data[i] == 0 {
            out.push(data[i + 1]);
            i += 2;
        } else {
            let distance = usize::from(u16::from_le_bytes([data[i + 1], data[i + 2]]));
            let len = usize::from(data[i + 3]) + MIN_MATCH;
            let start = out.len() - distance;
            for k in 0..len {
                out.push(out[start + k]);
            }
            i += 4;
        }
    }
    out
}

fn main() {
    let words =
        ["orrery ", "planet ", "moon ", "satellite ", "link ", "kernel ", "trap ", "page ", "the ", "a "];
    let mut rng = XorShift32::new(5);
    let mut text = Vec::new();
    while text.len() < 200_000 {
        text.extend_from_slice(words[rng.below(words.len() as u32) as usize].as_bytes());
        if rng.below(20) == 0 {
            text.extend_from_slice(b"\n");
        }
        if rng.below(50) == 0 {
            text.extend(core::iter::repeat_n(b'=', rng.below(40) as usize));
        }
    }
    println!("input {} bytes digest {:#010x}", text.len(), fnv1a(&text));
    let rle = rle_encode(&text);
    println!("rle {} bytes, round trip {}", rle.len(), rle_decode(&rle) == text);
    let lz = lz_encode(&text);
    println!("lz77 {} bytes digest {:#010x}", lz.len(), fnv1a(&lz));
    let back = lz_decode(&lz);
    println!("lz77 round trip {}", back == text);
    let noise: Vec<u8> = (0..20_000).map(|_| rng.next_u32() as u8).collect();
    let lz_noise = lz_encode(&noise);
    println!(
        "noise {} -> {} bytes, round trip {}",
        noise.len(),
        lz_noise.len(),
        lz_decode(&lz_noise) == noise
    );
}
