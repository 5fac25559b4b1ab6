//! `where [PID...]`: on which processor each process runs (its own pid without arguments).
//!
//! A process on a satellite is served by a stub with the same pid on the central
//! (docs/satellites.md): `where` says so, naming the satellite's node. The answer comes from
//! the process table (`ps`), which the central keeps for every process of the system, so it
//! is the same whichever node `where` itself runs on.
//!
//! Exit status: 0 if every pid was found, 1 if one was not (`where: 99: no such process`), 2
//! for an argument that is not a pid.

#![no_std]
#![no_main]

extern crate alloc;

use alloc::vec::Vec;

use ox_ulib::abi::ProcInfo;
use ox_ulib::{eprintln, println, sys};

ox_ulib::entry!(main);

fn main(args: &[&str]) -> i32 {
    let mut pids = Vec::new();
    for arg in args.iter().skip(1) {
        match arg.parse::<u32>() {
            Ok(pid) => pids.push(pid),
            Err(_) => {
                eprintln!("where: {arg}: not a process id (usage: where [PID...])");
                return 2;
            }
        }
    }
    if pids.is_empty() {
        pids.push(sys::getpid());
    }
    let table = match sys::ps(64) {
        Ok(table) => table,
        Err(e) => {
            eprintln!("where: cannot read the process table: {}", e.name());
            return 1;
        }
    };
    let mut status = 0;
    for pid in pids {
        match table.iter().find(|row| row.pid == pid) {
            Some(row) => println!("{}", describe(row)),
            None => {
                eprintln!("where: {pid}: no such process");
                status = 1;
            }
        }
    }
    status
}

/// One line about `row`'s process.
fn describe(row: &ProcInfo) -> alloc::string::String {
    let (pid, name) = (row.pid, row.name());
    let zombie = if row.state == b'Z' { " (exited, not yet waited for)" } else { "" };
    match row.node {
        0 => alloc::format!("{pid} {name}: the central processor{zombie}"),
        node => {
            alloc::format!("{pid} {name}: satellite node {node}, served by stub {pid} on the central{zombie}")
        }
    }
}
