//! Atomics: fetch_add/sub/and/or/xor/min/max/swap and compare_exchange loops on 32-bit types
//! (AMO instructions), and the same on AtomicU8/AtomicU16/AtomicI8/AtomicI16/AtomicBool, which
//! compile to masked LR/SC loops.

#![no_std]
#![no_main]

use core::sync::atomic::{
    AtomicBool, AtomicI16, AtomicI32, AtomicI8, AtomicU16, AtomicU32, AtomicU8, AtomicUsize, Ordering,
};

use ox_bare::println;

ox_bare::entry!(main);

static COUNTER: AtomicU32 = AtomicU32::new(0);
static BYTES: [AtomicU8; 8] = [const { AtomicU8::new(0) }; 8];
static HALVES: [AtomicU16; 4] = [const { AtomicU16::new(0) }; 4];

fn main() {
    let o = Ordering::SeqCst;
    let a = AtomicU32::new(10);
    println!(
        "u32 add {} sub {} and {} or {} xor {}",
        a.fetch_add(5, o),
        a.fetch_sub(3, o),
        a.fetch_and(0xe, o),
        a.fetch_or(0x100, o),
        a.fetch_xor(0xff, o)
    );
    println!(
        "u32 min {} max {} swap {} now {}",
        a.fetch_min(3, o),
        a.fetch_max(1000, o),
        a.swap(0xffff_ffff, o),
        a.load(o)
    );
    println!("u32 wrap add {} now {}", a.fetch_add(2, o), a.load(o));
    let i = AtomicI32::new(-5);
    println!("i32 min {} max {} now {}", i.fetch_min(-100, o), i.fetch_max(7, o), i.load(o));
    println!("i32 min(u) vs signed: {} {}", i.fetch_min(i32::MIN, o), i.load(o));
    println!(
        "i32 cas ok {:?} fail {:?}",
        i.compare_exchange(i32::MIN, 1, o, o),
        i.compare_exchange(5, 2, o, o)
    );
    let b = AtomicBool::new(false);
    println!(
        "bool or {} and {} xor {} nand {} now {}",
        b.fetch_or(true, o),
        b.fetch_and(true, o),
        b.fetch_xor(true, o),
        b.fetch_nand(true, o),
        b.load(o)
    );
    println!(
        "bool cas {:?} {:?}",
        b.compare_exchange(true, false, o, o),
        b.compare_exchange(true, false, o, o)
    );

    for step in 0..1000u32 {
        COUNTER.fetch_add(step, Ordering::Relaxed);
        let mut current = COUNTER.load(Ordering::Relaxed);
        loop {
            let new = current.rotate_left(3) ^ step;
            match COUNTER.compare_exchange_weak(current, new, Ordering::AcqRel, Ordering::Relaxed) {
                Ok(_) => break,
                Err(seen) => current = seen,
            }
        }
    }
    println!("cas loop result {:#010x}", COUNTER.load(o));

    for step in 0..300u32 {
        let k = (step % 8) as usize;
        BYTES[k].fetch_add((step * 7) as u8, o);
        BYTES[(k + 3) % 8].fetch_xor(step as u8, o);
        BYTES[(k + 5) % 8].fetch_max((step * 13) as u8, o);
        HALVES[k % 4].fetch_sub((step * 1001) as u16, o);
        HALVES[(k + 1) % 4].fetch_min((step * 3331) as u16 | 1, o);
        let _ = BYTES[(k + 1) % 8].compare_exchange(step as u8, 0xee, o, o);
    }
    let bytes: [u8; 8] = core::array::from_fn(|k| BYTES[k].load(o));
    let halves: [u16; 4] = core::array::from_fn(|k| HALVES[k].load(o));
    println!("bytes {bytes:?}");
    println!("halves {halves:?}");

    let i8a = AtomicI8::new(-128);
    println!(
        "i8 add {} max {} min {} now {}",
        i8a.fetch_add(-1, o),
        i8a.fetch_max(-3, o),
        i8a.fetch_min(-100, o),
        i8a.load(o)
    );
    let i16a = AtomicI16::new(i16::MAX);
    println!("i16 add {} and {} now {}", i16a.fetch_add(1, o), i16a.fetch_and(0x7ff0, o), i16a.load(o));
    println!("u8 update {:?} {}", BYTES[0].fetch_update(o, o, |v| Some(v.wrapping_mul(3))), BYTES[0].load(o));
    println!("u16 update none {:?}", HALVES[0].fetch_update(o, o, |_| None));
    let u = AtomicUsize::new(usize::MAX);
    println!("usize add {} now {} ptr-size {}", u.fetch_add(2, o), u.load(o), core::mem::size_of::<usize>());
}
