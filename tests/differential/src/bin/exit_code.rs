//! Exit statuses: `main` returns an error through `Termination` (status 1, message on
//! stderr), after output on both streams.

#![no_std]
#![no_main]

use ox_bare::{eprintln, println};

ox_bare::entry!(main);

#[derive(Debug)]
#[allow(dead_code)]
enum Problem {
    TooBig(u32),
}

fn check(n: u32) -> Result<u32, Problem> {
    if n > 100 {
        Err(Problem::TooBig(n))
    } else {
        Ok(n * 2)
    }
}

fn main() -> Result<(), Problem> {
    println!("stdout line");
    eprintln!("stderr line");
    for n in [1, 50, 100] {
        println!("check({n}) = {:?}", check(n));
    }
    let doubled = check(core::hint::black_box(101))?;
    println!("not reached {doubled}");
    Ok(())
}
