//! `remote`: processes on satellites with stubs on the central (docs/satellites.md), as a
//! test. Run as init by tests/tests/remote.rs. Lines starting `remote:` are the verdict and
//! are the same whatever the links lose; lines starting `measure:` are timings.
//!
//! 1. A child forked onto a satellite (`rfork`) writes to the console and to a file on the
//!    central's disk through its stub, reads the file back, checks `getppid`, and exits 7,
//!    which the parent's `wait` sees.
//! 2. Three children spread by the placement policy over the three satellites sleep while
//!    `ps` (forked here, on the central) shows where each runs.
//! 3. A child measures a local call (`getpid`) against a forwarded one (a 1-byte `write`).

#![no_std]
#![no_main]

use ox_ulib::abi::open_flags::{O_CREAT, O_RDONLY, O_TRUNC, O_WRONLY};
use ox_ulib::abi::WaitStatus;
use ox_ulib::sys::{self, Fork};
use ox_ulib::{println, sys::Pid};

ox_ulib::entry!(main);

const FILE: &str = "/remote.txt";
const TEXT: &[u8] = b"written on a satellite, kept on the central's disk\n";

fn main(_args: &[&str]) -> i32 {
    let me = sys::getpid();
    println!("remote: pid {me} on the central");
    let mut failures = 0;
    failures += file_and_exit(me);
    failures += spread(me);
    failures += measure();
    println!("remote: {} failure(s)", failures);
    i32::from(failures != 0)
}

/// Waits for `pid`; says how it ended.
fn reap(pid: Pid) -> Option<WaitStatus> {
    match sys::wait(Some(pid)) {
        Ok((_, status)) => Some(status),
        Err(e) => {
            println!("remote: wait for {pid} failed: {}", e.name());
            None
        }
    }
}

fn file_and_exit(me: Pid) -> u32 {
    match sys::rfork(0) {
        Err(e) => {
            println!("remote: rfork failed: {}", e.name());
            1
        }
        Ok(Fork::Child) => {
            let (pid, ppid) = (sys::getpid(), sys::getppid());
            println!("remote: child pid {pid} on a satellite, parent {ppid}");
            if ppid != me {
                println!("remote: getppid says {ppid}, not {me}");
                sys::exit(1);
            }
            let Ok(fd) = sys::open(FILE, O_CREAT | O_WRONLY | O_TRUNC) else { sys::exit(2) };
            if sys::write_all(fd, TEXT).is_err() || sys::close(fd).is_err() {
                sys::exit(3);
            }
            let Ok(fd) = sys::open(FILE, O_RDONLY) else { sys::exit(4) };
            let Ok(back) = sys::read_to_end(fd) else { sys::exit(5) };
            let _ = sys::close(fd);
            match core::str::from_utf8(&back) {
                Ok(text) if back == TEXT => println!("remote: read back: {}", text.trim_end()),
                _ => sys::exit(6),
            }
            sys::exit(7)
        }
        Ok(Fork::Parent(pid)) => {
            let status = reap(pid);
            println!("remote: child {pid} ended: {status:?}");
            u32::from(status != Some(WaitStatus::Exited(7)))
        }
    }
}

fn spread(me: Pid) -> u32 {
    let mut children = [0; 3];
    for (i, child) in children.iter_mut().enumerate() {
        match sys::rfork(0) {
            Err(e) => {
                println!("remote: rfork {i} failed: {}", e.name());
                return 1;
            }
            Ok(Fork::Child) => {
                let _ = sys::sleep(300);
                sys::exit(if sys::getppid() == me { 10 + i as i32 } else { 1 })
            }
            Ok(Fork::Parent(pid)) => *child = pid,
        }
    }
    let _ = sys::sleep(5);
    match sys::fork() {
        Ok(Fork::Child) => {
            let errno = sys::exec("ps", &["ps"]);
            println!("remote: exec ps failed: {}", errno.name());
            sys::exit(127)
        }
        Ok(Fork::Parent(pid)) => {
            reap(pid);
        }
        Err(e) => println!("remote: fork failed: {}", e.name()),
    }
    let mut failures = 0;
    for (i, pid) in children.into_iter().enumerate() {
        let status = reap(pid);
        println!("remote: child {pid} ended: {status:?}");
        failures += u32::from(status != Some(WaitStatus::Exited(10 + i as u8)));
    }
    failures
}

fn measure() -> u32 {
    const LOCAL: u32 = 20_000;
    const FORWARDED: u32 = 200;
    match sys::rfork(0) {
        Err(_) => 1,
        Ok(Fork::Child) => {
            let start = sys::uptime();
            for _ in 0..LOCAL {
                sys::getpid();
            }
            let local = sys::uptime() - start;
            let Ok(fd) = sys::open("/measure.txt", O_CREAT | O_WRONLY | O_TRUNC) else { sys::exit(2) };
            let start = sys::uptime();
            for _ in 0..FORWARDED {
                let _ = sys::write(fd, b"x");
            }
            let forwarded = sys::uptime() - start;
            let _ = sys::close(fd);
            println!("measure: {LOCAL} getpid in {local} ms; {FORWARDED} forwarded 1-byte writes in {forwarded} ms");
            sys::exit(0)
        }
        Ok(Fork::Parent(pid)) => {
            let status = reap(pid);
            println!("remote: measuring child ended: {status:?}");
            u32::from(status != Some(WaitStatus::Exited(0)))
        }
    }
}
