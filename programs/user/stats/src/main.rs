//! `stats`: the kernel counters of every node (docs/syscalls.md, `stats`), one line per node:
//! the central (node 0) and each satellite that is up, which answers for itself over its link.
//! `stats N` prints node `N` only.

#![no_std]
#![no_main]

use ox_ulib::abi::Errno;
use ox_ulib::{eprintln, println, sys};

ox_ulib::entry!(main);

/// Nodes tried when none is named: a topology's satellites are numbered from 1 in file order.
const MAX_NODE: u32 = 16;

fn main(args: &[&str]) -> i32 {
    let nodes = match args.get(1) {
        None => 0..=MAX_NODE,
        Some(arg) => match arg.parse::<u32>() {
            Ok(node) => node..=node,
            Err(_) => {
                eprintln!("usage: stats [NODE]");
                return 2;
            }
        },
    };
    let named = args.len() > 1;
    for node in nodes {
        match sys::stats(node) {
            Ok(stats) => println!("{stats}"),
            Err(Errno::Inval) if !named => {}
            Err(e) => {
                eprintln!("stats: node {node}: {}", e.name());
                return 1;
            }
        }
    }
    0
}
