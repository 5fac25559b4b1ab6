//! `runtests`: the system's self-test. Runs each program of [`PROGRAMS`] in turn (fork, exec,
//! wait), reports how each ended, collects orphans, and exits with the status of the last
//! one, `usertests`. Typed at the shell and followed by `exit $?`, it makes a run's exit code
//! (init's, with which the kernel powers off) the verdict of `usertests`; the kernel tests do
//! exactly that (`tests/tests/kernel.rs`).

#![no_std]
#![no_main]

use ox_ulib::abi::WaitStatus;
use ox_ulib::sys::{self, Fork};
use ox_ulib::{eprintln, println};

ox_ulib::entry!(main);

/// What runtests runs, in order, with their arguments: the programs in `/bin` (`ls` and `boots`
/// need a disk, and fail without one), then the tests.
const PROGRAMS: &[&[&str]] = &[
    &["hello", "from", "runtests"],
    &["forktest"],
    &["faulttest"],
    &["ls", "/bin"],
    &["boots"],
    &["usertests"],
];

fn main(_args: &[&str]) -> i32 {
    println!("runtests: pid {}, running {} programs", sys::getpid(), PROGRAMS.len());
    let mut last = 1;
    for argv in PROGRAMS {
        let name = argv[0];
        println!("runtests: starting {name}");
        let status = match run(argv) {
            Ok(status) => status,
            Err(e) => {
                eprintln!("runtests: cannot run {name}: {}", e.name());
                return 1;
            }
        };
        last = match status {
            WaitStatus::Exited(code) => {
                println!("runtests: {name} exited with status {code}");
                code as i32
            }
            WaitStatus::Signaled(signal) => {
                println!("runtests: {name} was killed by {}", signal.name());
                128 + signal as i32
            }
        };
    }
    while let Ok((pid, status)) = sys::wait(None) {
        println!("runtests: collected orphan pid {pid} ({status:?})");
    }
    println!("runtests: all done, exiting with usertests' status {last}");
    last
}

/// Runs `argv[0]` with `argv` in a child and waits for it.
fn run(argv: &[&str]) -> Result<WaitStatus, ox_ulib::abi::Errno> {
    match sys::fork()? {
        Fork::Child => {
            let errno = sys::exec(argv[0], argv);
            eprintln!("runtests: exec {} failed: {}", argv[0], errno.name());
            sys::exit(127);
        }
        Fork::Parent(pid) => loop {
            let (child, status) = sys::wait(Some(pid))?;
            if child == pid {
                return Ok(status);
            }
        },
    }
}
