//! Heap-heavy code: BTreeMap/BTreeSet with many inserts and removes, BinaryHeap, VecDeque as a
//! ring, String building and formatting, Vec of Vecs, and a word-frequency count.

#![no_std]
#![no_main]

extern crate alloc;

use alloc::collections::{BTreeMap, BTreeSet, BinaryHeap, VecDeque};
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::cmp::Reverse;
use core::fmt::Write;

use difftest::XorShift32;
use ox_bare::println;

ox_bare::entry!(main);

fn main() {
    let mut rng = XorShift32::new(12345);
    let mut map: BTreeMap<u32, String> = BTreeMap::new();
    for i in 0..5000u32 {
        let key = rng.below(3000);
        map.entry(key).or_default().push(char::from(b'a' + (i % 26) as u8));
        if i % 3 == 0 {
            let victim = rng.below(3000);
            map.remove(&victim);
        }
    }
    println!("map len {}", map.len());
    let first: Vec<(&u32, &String)> = map.iter().take(5).collect();
    println!("first {first:?}");
    let range_sum: u64 = map.range(1000..1100).map(|(k, v)| u64::from(*k) * v.len() as u64).sum();
    println!("range sum {range_sum} last {:?}", map.last_key_value());

    let mut set: BTreeSet<i64> = (0..2000).map(|i| (i * i * 7919) % 10007).collect();
    let other: BTreeSet<i64> = (0..2000).map(|i| (i * 31) % 10007).collect();
    println!(
        "set len {} intersection {} union {} difference {}",
        set.len(),
        set.intersection(&other).count(),
        set.union(&other).count(),
        set.difference(&other).count()
    );
    set.retain(|v| v % 3 == 0);
    println!("retained {} min {:?} max {:?}", set.len(), set.first(), set.last());

    let mut heap = BinaryHeap::new();
    for _ in 0..3000 {
        heap.push(rng.below(1_000_000));
    }
    let top: Vec<u32> = (0..8).filter_map(|_| heap.pop()).collect();
    println!("heap top {top:?} remaining {}", heap.len());
    let mut minheap: BinaryHeap<Reverse<(u32, u32)>> =
        (0..500).map(|i| Reverse((rng.below(100), i))).collect();
    let mut drained = Vec::new();
    while let Some(Reverse(item)) = minheap.pop() {
        if drained.len() < 6 {
            drained.push(item);
        }
    }
    println!("min-heap first {drained:?}");

    let mut ring: VecDeque<u32> = VecDeque::with_capacity(4);
    let mut checksum = 0u64;
    for i in 0..10_000u32 {
        if i % 3 == 0 {
            ring.push_front(i);
        } else {
            ring.push_back(i);
        }
        if ring.len() > 37 {
            checksum +=
                u64::from(ring.pop_front().unwrap_or(0)) * 3 + u64::from(ring.pop_back().unwrap_or(0));
        }
    }
    ring.make_contiguous().sort();
    println!("ring len {} checksum {checksum} front {:?} back {:?}", ring.len(), ring.front(), ring.back());

    let text = "the quick brown fox jumps over the lazy dog the fox and the dog are friends \
                quick quick slow over under the end";
    let mut freq: BTreeMap<&str, usize> = BTreeMap::new();
    for word in text.split_whitespace() {
        *freq.entry(word).or_insert(0) += 1;
    }
    let mut by_count: Vec<(&str, usize)> = freq.into_iter().collect();
    by_count.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    println!("word frequencies {:?}", &by_count[..6]);

    let mut s = String::new();
    for i in 0..200 {
        write!(s, "{i:x}-").ok();
        if s.len() > 300 {
            s = s.replace("-", "");
            s.truncate(100);
        }
    }
    println!("string {} {}", s.len(), s);
    let grid: Vec<Vec<u16>> = (0..50).map(|r| (0..r + 1).map(|c| (r * c % 97) as u16).collect()).collect();
    let diag: u32 = grid.iter().enumerate().map(|(r, row)| u32::from(row[r])).sum();
    println!("triangle grid cells {} diag {diag}", grid.iter().map(Vec::len).sum::<usize>());
    let joined = (1..=20).map(|n| n.to_string()).collect::<Vec<_>>().join(",");
    println!("joined {joined}");
    println!("heap untouched bytes after all this: {}", ox_bare::heap::untouched() > 0);
}
