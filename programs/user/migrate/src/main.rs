//! `migrate PID NODE|home`: moves process `PID` to node `NODE` (a satellite's node number, or
//! `home`/`0` for the central, where every process's deputy lives) — the administrator's
//! lever of process migration (docs/migration.md). It waits until the process has moved: at
//! once for a running one, when its call is over for one asleep in a call. The process keeps
//! its pid, parent, children, open files and everything it computes; `where PID` and `ps`
//! show where it runs.
//!
//! Exit status: 0 once it has moved (or was there already), 1 if the kernel refused
//! (`migrate: 12: EBUSY`), 2 for a bad command line.

#![no_std]
#![no_main]

use ox_ulib::{eprintln, sys};

ox_ulib::entry!(main);

fn main(args: &[&str]) -> i32 {
    let [_, pid, node] = args else {
        eprintln!("usage: migrate PID NODE|home");
        return 2;
    };
    let Some(pid_number) = pid.parse::<u32>().ok().filter(|p| *p != 0) else {
        eprintln!("migrate: {pid}: not a process id");
        return 2;
    };
    let node_number = match *node {
        "home" => 0,
        text => match text.parse::<u32>() {
            Ok(n) => n,
            Err(_) => {
                eprintln!("migrate: {text}: not a node (a number, or home)");
                return 2;
            }
        },
    };
    match sys::migrate(pid_number, node_number) {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("migrate: {pid}: {}", e.name());
            1
        }
    }
}
