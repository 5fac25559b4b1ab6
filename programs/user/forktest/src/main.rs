//! `forktest`: many forks, waits, and checks of pids and exit statuses.
//!
//! 1. Forks [`CHILDREN`] children, each exiting with its own status; waits for any child
//!    until none is left and checks every pid and status came back exactly once.
//! 2. Forks until the process table is full (`EAGAIN`), waits for all of them, and checks
//!    that fork works again afterwards (nothing leaked).
//! 3. A chain of nested forks, each child checking `getppid` is the process that forked it.
//! 4. A child's writes to memory do not reach its parent.
//!
//! Prints `forktest: OK` and exits 0, or names what failed and exits 1.

#![no_std]
#![no_main]

extern crate alloc;

use alloc::vec::Vec;

use ox_ulib::abi::{Errno, WaitStatus};
use ox_ulib::sys::{self, Fork};
use ox_ulib::{eprintln, println};

ox_ulib::entry!(main);

const CHILDREN: u32 = 20;
const DEPTH: u32 = 8;

fn main(_args: &[&str]) -> i32 {
    let tests: [(&str, fn() -> Result<(), &'static str>); 4] = [
        ("statuses", statuses),
        ("fill the process table", fill_table),
        ("nested", || nested(DEPTH)),
        ("copied memory", copied_memory),
    ];
    for (name, test) in tests {
        if let Err(why) = test() {
            eprintln!("forktest: {name}: FAILED: {why}");
            return 1;
        }
        println!("forktest: {name}: ok");
    }
    println!("forktest: OK");
    0
}

fn statuses() -> Result<(), &'static str> {
    let mut children = Vec::new();
    for i in 0..CHILDREN {
        match sys::fork().map_err(|_| "fork failed")? {
            Fork::Child => sys::exit(i as i32 + 1),
            Fork::Parent(pid) => children.push((pid, i as u8 + 1)),
        }
    }
    for _ in 0..CHILDREN {
        let (pid, status) = sys::wait(None).map_err(|_| "wait failed")?;
        let index = children.iter().position(|(p, _)| *p == pid).ok_or("wait returned an unknown pid")?;
        let (_, code) = children.swap_remove(index);
        if status != WaitStatus::Exited(code) {
            return Err("wrong exit status");
        }
    }
    match sys::wait(None) {
        Err(Errno::Child) => Ok(()),
        _ => Err("wait with no children left did not fail with ECHILD"),
    }
}

fn fill_table() -> Result<(), &'static str> {
    let mut count = 0;
    loop {
        match sys::fork() {
            Ok(Fork::Child) => {
                // Stay alive until the parent has filled the table.
                sys::sleep(5).ok();
                sys::exit(0);
            }
            Ok(Fork::Parent(_)) => count += 1,
            Err(Errno::Again) => break,
            Err(_) => return Err("fork failed with something other than EAGAIN"),
        }
        if count > 1000 {
            return Err("fork never ran out of process slots");
        }
    }
    for _ in 0..count {
        if sys::wait(None).map_err(|_| "wait failed")?.1 != WaitStatus::Exited(0) {
            return Err("a child ended badly");
        }
    }
    if count < 10 {
        return Err("fewer than 10 processes fit");
    }
    match sys::fork().map_err(|_| "fork fails after the table emptied")? {
        Fork::Child => sys::exit(7),
        Fork::Parent(_) => match sys::wait(None) {
            Ok((_, WaitStatus::Exited(7))) => Ok(()),
            _ => Err("the last child's status is wrong"),
        },
    }
}

fn nested(depth: u32) -> Result<(), &'static str> {
    if depth == 0 {
        return Ok(());
    }
    let me = sys::getpid();
    match sys::fork().map_err(|_| "fork failed")? {
        Fork::Child => {
            let ok = sys::getppid() == me && nested(depth - 1).is_ok();
            sys::exit(if ok { 0 } else { 1 });
        }
        Fork::Parent(pid) => match sys::wait(Some(pid)) {
            Ok((child, WaitStatus::Exited(0))) if child == pid => Ok(()),
            _ => Err("a nested child failed"),
        },
    }
}

fn copied_memory() -> Result<(), &'static str> {
    let mut value = [1u32; 1024];
    let boxed: Vec<u32> = (0..4096).collect();
    match sys::fork().map_err(|_| "fork failed")? {
        Fork::Child => {
            let same = value.iter().all(|v| *v == 1) && boxed.iter().enumerate().all(|(i, v)| *v == i as u32);
            value.iter_mut().for_each(|v| *v = 2);
            core::hint::black_box(&mut value);
            sys::exit(if same { 0 } else { 1 });
        }
        Fork::Parent(pid) => {
            let (_, status) = sys::wait(Some(pid)).map_err(|_| "wait failed")?;
            if status != WaitStatus::Exited(0) {
                return Err("the child did not see the parent's memory");
            }
            if core::hint::black_box(&value).iter().any(|v| *v != 1) {
                return Err("the child's write reached the parent");
            }
            Ok(())
        }
    }
}
