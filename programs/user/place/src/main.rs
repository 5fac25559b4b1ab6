//! `place [POLICY [CMD ARGS...]]`: where `fork` puts children (docs/satellites.md). With no
//! argument, prints this process's placement policy (inherited from the shell). With a
//! policy and a command, runs the command under that policy, like `nice`: `place` sets its
//! own policy and `exec`s the command, which keeps it and passes it to its children. A policy
//! alone is an error (it would die with this process).
//!
//! Policies: `local` (the child stays on its parent's node), `least-loaded` (the satellite
//! with the fewest processes), `round-robin` (the satellites in turn), or a satellite's node
//! number (`2`).

#![no_std]
#![no_main]

use ox_ulib::abi::Placement;
use ox_ulib::sys;
use ox_ulib::{eprintln, println};

ox_ulib::entry!(main);

const USAGE: &str = "usage: place [local|least-loaded|round-robin|NODE CMD [ARGS...]]";

/// The policy a user names.
fn parse(word: &str) -> Option<Placement> {
    match word {
        "local" => Some(Placement::Local),
        "least-loaded" => Some(Placement::LeastLoaded),
        "round-robin" => Some(Placement::RoundRobin),
        number => number.parse::<u8>().ok().filter(|n| *n != 0).map(Placement::Node),
    }
}

/// How `place` prints a policy (the form `parse` reads, "node" before a number).
fn show(policy: Placement) {
    match policy {
        Placement::Local => println!("local"),
        Placement::LeastLoaded => println!("least-loaded"),
        Placement::RoundRobin => println!("round-robin"),
        Placement::Node(node) => println!("node {node}"),
    }
}

fn main(args: &[&str]) -> i32 {
    match args {
        [] | [_] => match sys::placement() {
            Ok(policy) => {
                show(policy);
                0
            }
            Err(e) => {
                eprintln!("place: {}", e.name());
                1
            }
        },
        [_, word, command @ ..] => {
            let Some(policy) = parse(word) else {
                eprintln!("place: {word}: no such policy\n{USAGE}");
                return 2;
            };
            let Some(name) = command.first() else {
                eprintln!("{USAGE}");
                return 2;
            };
            if let Err(e) = sys::set_placement(policy) {
                eprintln!("place: {word}: {}", e.name());
                return 1;
            }
            let errno = sys::exec(name, command);
            eprintln!("place: {name}: {}", errno.name());
            127
        }
    }
}
