//! `ps`: the process table, with where each process runs: `cp` (the central processor) or the
//! satellite's node index; a stub on the central is listed as its process on that node.

#![no_std]
#![no_main]

use ox_ulib::{eprintln, println, sys};

ox_ulib::entry!(main);

fn main(_args: &[&str]) -> i32 {
    let rows = match sys::ps(64) {
        Ok(rows) => rows,
        Err(e) => {
            eprintln!("ps: {}", e.name());
            return 1;
        }
    };
    println!("  PID  PPID S NODE NAME");
    for row in rows {
        let state = row.state as char;
        match row.node {
            0 => println!("{:>5} {:>5} {state}   cp {}", row.pid, row.ppid, row.name()),
            node => println!("{:>5} {:>5} {state} {node:>4} {}", row.pid, row.ppid, row.name()),
        }
    }
    0
}
