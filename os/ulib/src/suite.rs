//! In-guest test suites (`vmtest`, `porttest`): cases that pass or say why not, and one
//! verdict line per case and per suite, so a transcript is the same wherever the suite runs.

use alloc::format;
use alloc::string::String;
use core::fmt::Debug;

use ox_abi::{Errno, WaitStatus};

use crate::port::{self, MSG_MAKE_SEND, MSG_MOVE_RECEIVE, PORT_RIGHT_RECEIVE};
use crate::println;
use crate::sys::{self, Fork, Pid};

/// What a case gives: nothing, or why it failed.
pub type Outcome = Result<(), String>;

/// Runs `cases` in order, printing `SUITE: NAME: ok` or `SUITE: NAME: FAILED: why` for each,
/// then `SUITE: N passed, M failed`; returns the exit status (0 when every case passed).
pub fn run<'a, F: FnOnce() -> Outcome>(suite: &str, cases: impl IntoIterator<Item = (&'a str, F)>) -> i32 {
    let (mut passed, mut failed) = (0, 0);
    for (name, case) in cases {
        match case() {
            Ok(()) => {
                passed += 1;
                println!("{suite}: {name}: ok");
            }
            Err(why) => {
                failed += 1;
                println!("{suite}: {name}: FAILED: {why}");
            }
        }
    }
    println!("{suite}: {passed} passed, {failed} failed");
    i32::from(failed != 0)
}

/// Starts `body` in a child (on this node, as the caller's placement says) and returns its
/// pid without waiting; the child exits with what `body` returns.
pub fn spawn(body: impl FnOnce() -> i32) -> Result<Pid, String> {
    match ok("fork", sys::fork())? {
        Fork::Child => sys::exit(body()),
        Fork::Parent(pid) => Ok(pid),
    }
}

/// Starts `body` in a child on satellite node `node` (`rfork`) and returns its pid without
/// waiting; the child exits with what `body` returns.
pub fn spawn_on(node: u32, body: impl FnOnce() -> i32) -> Result<Pid, String> {
    match ok("rfork", sys::rfork(node))? {
        Fork::Child => sys::exit(body()),
        Fork::Parent(pid) => Ok(pid),
    }
}

/// The node this process runs on (from `ps`).
pub fn my_node() -> Result<u32, String> {
    node_of(sys::getpid())
}

/// The node process `pid` runs on (from `ps`).
pub fn node_of(pid: Pid) -> Result<u32, String> {
    let table = ok("ps", sys::ps(64))?;
    table.iter().find(|p| p.pid == pid).map(|p| u32::from(p.node)).ok_or_else(|| format!("{pid} not in ps"))
}

/// The satellite a suite's cross-node cases put their child on: satellite 1, or from
/// satellite 1 satellite 2 (if there is one).
pub fn other_node() -> Result<u32, String> {
    let me = my_node()?;
    Ok(if me == 1 && sys::stats(2).is_ok() { 2 } else { 1 })
}

/// Checks that no port, name or queued message is left on this node and on
/// [`other_node`], waiting up to 100 ticks for the nodes' last words about rights to cross.
pub fn no_ports_left() -> Result<(), String> {
    for node in [my_node()?, other_node()?] {
        let mut left = (0, 0, 0);
        for _ in 0..100 {
            let stats = ok("stats", sys::stats(node))?;
            left = (stats.ports, stats.port_names, stats.port_messages);
            if left == (0, 0, 0) {
                break;
            }
            ok("sleep", sys::sleep(1))?;
        }
        ensure(left == (0, 0, 0), || format!("node {node}: ports, names, messages left: {left:?}"))?;
    }
    Ok(())
}

/// The name a child of [`spawn_receiver`] gets its port's receive right under.
const RECEIVER_NAME: u32 = 100;

/// Makes a port and starts `body` in a child on this node that holds its receive right (the
/// child waits until its parent gave it, then runs `body` with its name); returns a send
/// right to the port, kept here, and the child's pid. The child exits with what `body`
/// returns.
pub fn spawn_receiver(body: impl FnOnce(u32) -> i32) -> Result<(u32, Pid), String> {
    let port = ok("allocate", port::allocate(PORT_RIGHT_RECEIVE))?;
    let child = spawn(move || {
        while port::port_type(RECEIVER_NAME).is_err() {
            sys::yield_now();
        }
        body(RECEIVER_NAME)
    })?;
    let send = ok("make send", port::extract_right(port, MSG_MAKE_SEND))?;
    ok("give the receive right", port::insert_right(port, MSG_MOVE_RECEIVE, child, RECEIVER_NAME))?;
    Ok((send, child))
}

/// Waits for child `pid`; its exit code, or why it did not exit.
pub fn reap(pid: Pid) -> Result<i32, String> {
    match ok("wait", sys::wait(Some(pid)))? {
        (_, WaitStatus::Exited(code)) => Ok(i32::from(code)),
        (_, status) => Err(format!("the child ended with {status:?}")),
    }
}

/// Fails with `what` unless `ok`.
pub fn ensure(ok: bool, what: impl FnOnce() -> String) -> Outcome {
    if ok {
        Ok(())
    } else {
        Err(what())
    }
}

/// `context: ERRNO` for a call that should have worked.
pub fn ok<T>(context: &str, result: Result<T, Errno>) -> Result<T, String> {
    result.map_err(|e| format!("{context}: {}", e.name()))
}

/// Expects `result` to be the error `errno`.
pub fn refused<T: Debug>(what: &str, result: Result<T, Errno>, errno: Errno) -> Outcome {
    match result {
        Err(e) if e == errno => Ok(()),
        other => Err(format!("{what}: {other:?}, not {}", errno.name())),
    }
}
