//! Sorting 10 000 items with sort, sort_unstable, sort_by_key and sort_by on several types,
//! then binary search, dedup and merging; digests of the results.

#![no_std]
#![no_main]

extern crate alloc;

use alloc::string::String;
use alloc::vec::Vec;

use difftest::{fnv1a, fnv1a_words, XorShift32};
use ox_bare::println;

ox_bare::entry!(main);

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Record {
    group: u8,
    score: i32,
    id: u32,
}

fn main() {
    let mut rng = XorShift32::new(2024);
    let original: Vec<u32> = (0..10_000).map(|_| rng.next_u32()).collect();
    let mut a = original.clone();
    a.sort();
    let mut b = original.clone();
    b.sort_unstable();
    println!(
        "u32 sorted equal {} digest {:#010x} min {} max {}",
        a == b,
        fnv1a_words(&a),
        a[0],
        a[a.len() - 1]
    );
    let mut desc = original.clone();
    desc.sort_unstable_by(|x, y| y.cmp(x));
    println!("descending first {:?}", &desc[..4]);
    let probes = [a[17], a[5000], 12345, a[9999]];
    for p in probes {
        println!("binary_search({p}) = {:?}", a.binary_search(&p));
    }

    let mut small: Vec<u16> = (0..10_000).map(|_| rng.below(500) as u16).collect();
    small.sort();
    small.dedup();
    println!("dedup len {}", small.len());

    let mut records: Vec<Record> = (0..10_000)
        .map(|id| Record { group: rng.below(8) as u8, score: rng.below(2001) as i32 - 1000, id })
        .collect();
    records.sort_by_key(|r| (r.group, r.score));
    let stable_ok =
        records.windows(2).all(|w| (w[0].group, w[0].score) < (w[1].group, w[1].score) || w[0].id < w[1].id);
    println!("records stable {stable_ok} first {:?} last {:?}", records[0], records[records.len() - 1]);
    records.sort_unstable();
    println!("records full order first {:?}", records[1]);

    let mut floats: Vec<f64> = (0..10_000).map(|_| f64::from(rng.next_u32() as i32) / 1e3).collect();
    floats.sort_by(|x, y| x.total_cmp(y));
    println!("floats min {} median {} max {}", floats[0], floats[5000], floats[9999]);

    let mut words: Vec<String> = (0..2000)
        .map(|_| (0..1 + rng.below(8)).map(|_| char::from(b'a' + rng.below(26) as u8)).collect())
        .collect();
    words.sort();
    let joined: String = words.iter().take(10).map(String::as_str).collect::<Vec<_>>().join(" ");
    println!("words first {joined}");
    let concat: Vec<u8> = words.iter().flat_map(|w| w.bytes()).collect();
    println!("words digest {:#010x}", fnv1a(&concat));

    let mut evens: Vec<u32> = a.iter().copied().filter(|x| x % 2 == 0).collect();
    let odds: Vec<u32> = a.iter().copied().filter(|x| x % 2 == 1).collect();
    evens.extend_from_slice(&odds);
    evens.sort();
    println!("merge equals sorted {}", evens == a);
    let pos = a.partition_point(|&x| x < 1 << 31);
    println!("partition point {pos}");
    let mut nth = original.clone();
    let (_, median, _) = nth.select_nth_unstable(5000);
    println!("select_nth median {median} equals sorted {}", *median == a[5000]);
}
