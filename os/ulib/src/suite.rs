//! In-guest test suites (`vmtest`, `porttest`): cases that pass or say why not, and one
//! verdict line per case and per suite, so a transcript is the same wherever the suite runs.

use alloc::format;
use alloc::string::String;
use core::fmt::Debug;

use ox_abi::{Errno, WaitStatus};

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
