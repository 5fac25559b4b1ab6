//! `usertests`: small tests of every system call, in the spirit of xv6's usertests.
//!
//! Each test is a function returning `Ok(())` or what went wrong. All run, in order; the
//! program prints one line per test, then `ALL TESTS PASSED` and exits 0, or names the failed
//! tests and exits 1. The console test reads one line of input (`read` sleeps until it comes).
//! The file tests ([`files`]) run when the node has a file system and are skipped, with a line
//! saying so, when it has none.

#![no_std]
#![no_main]

extern crate alloc;

mod files;

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::arch::asm;
use core::sync::atomic::{AtomicU32, Ordering};

use ox_ulib::abi::{Errno, Signal, Syscall, WaitStatus, MAX_ARGC, MAX_ARG_BYTES, STDIN, STDOUT};
use ox_ulib::signal::{self, Handler};
use ox_ulib::sys::{self, raw_syscall, Fork, Pid};
use ox_ulib::{eprintln, println};

ox_ulib::entry!(main);

/// What a test found: `Ok`, or what went wrong.
pub type TestResult = Result<(), String>;

/// Fails the test with a message unless `cond` holds.
macro_rules! check {
    ($cond:expr, $($msg:tt)*) => {
        if !$cond {
            return Err(format!($($msg)*));
        }
    };
}
pub(crate) use check;

const TESTS: &[(&str, fn() -> TestResult)] = &[
    ("getpid", getpid),
    ("write", write),
    ("write faults", write_faults),
    ("read faults", read_faults),
    ("console read", console_read),
    ("unknown syscall", unknown_syscall),
    ("sbrk", sbrk),
    ("sbrk limits", sbrk_limits),
    ("sbrk shrink unmaps", sbrk_shrink_unmaps),
    ("heap", heap),
    ("stack growth", stack_growth),
    ("fork and wait", fork_and_wait),
    ("wait errors", wait_errors),
    ("exit status bits", exit_status_bits),
    ("exec", exec),
    ("exec errors", exec_errors),
    ("yield", yield_test),
    ("sleep and uptime", sleep_and_uptime),
    ("preemption", preemption),
    ("kill", kill),
    ("kill a sleeper", kill_sleeper),
    ("kill errors", kill_errors),
    ("signal handler", signal_handler),
    ("sigaction errors", sigaction_errors),
    ("pause", pause),
    ("orphans go to init", orphans),
    ("users: kill needs the same user", users),
    ("syscall cost", syscall_cost),
];

/// Arguments of the `exec` test's probe: `usertests` run with these exits 0 if it received
/// exactly them.
const ARGS_PROBE: [&str; 4] = ["usertests", "--args-probe", "two words", ""];

fn main(args: &[&str]) -> i32 {
    if args.get(1) == Some(&ARGS_PROBE[1]) {
        return if args == ARGS_PROBE { 0 } else { 1 };
    }
    let with_files = files::has_fs();
    if !with_files {
        println!("usertests: no file system: skipping the {} file tests", files::TESTS.len());
    } else if let Err(why) = files::setup() {
        eprintln!("usertests: cannot set up the file tests: {why}");
        return 1;
    }
    let file_tests = if with_files { files::TESTS } else { &[] };
    // `usertests NAME...` runs only the named tests.
    let selected: Vec<_> = TESTS
        .iter()
        .chain(files::ANYWHERE)
        .chain(file_tests)
        .filter(|(name, _)| args.len() < 2 || args[1..].contains(name))
        .collect();
    let mut failed = Vec::new();
    for (name, test) in &selected {
        match test() {
            Ok(()) => println!("usertests: {name}: ok"),
            Err(why) => {
                eprintln!("usertests: {name}: FAILED: {why}");
                failed.push(*name);
            }
        }
    }
    if failed.is_empty() {
        println!("usertests: {} tests: ALL TESTS PASSED", selected.len());
        0
    } else {
        println!("usertests: {} of {} tests FAILED: {}", failed.len(), selected.len(), failed.join(", "));
        1
    }
}

/// A raw system call with three arguments; the result as the kernel returned it.
fn raw(call: Syscall, a0: u32, a1: u32, a2: u32) -> i32 {
    // Safety: the calls made through here either fail (bad pointers, bad numbers) or write
    // only into buffers the caller owns.
    unsafe { raw_syscall(call as u32, [a0, a1, a2, 0, 0, 0]) }
}

/// Runs `child` in a child process and returns how it ended.
pub fn in_child(child: impl FnOnce() -> i32) -> Result<WaitStatus, String> {
    match sys::fork().map_err(|e| format!("fork: {}", e.name()))? {
        Fork::Child => sys::exit(child()),
        Fork::Parent(pid) => {
            let (got, status) = sys::wait(Some(pid)).map_err(|e| format!("wait: {}", e.name()))?;
            check!(got == pid, "wait returned pid {got}, not {pid}");
            Ok(status)
        }
    }
}

/// A process that gives up the superuser's id may signal only its own user's processes: not
/// its parent, not init (`EPERM`), but its own child; it cannot take the id back.
fn users() -> TestResult {
    check!(sys::getuid() == 0 && sys::getgid() == 0, "usertests runs as {} {}", sys::getuid(), sys::getgid());
    let status = in_child(|| {
        if sys::setgid(100).is_err() || sys::setuid(1000).is_err() {
            return 1;
        }
        if (sys::getuid(), sys::getgid()) != (1000, 100) {
            return 2;
        }
        if sys::kill(sys::getppid(), Signal::Usr1) != Err(Errno::Perm) {
            return 3;
        }
        if sys::kill(1, Signal::Term) != Err(Errno::Perm) {
            return 4;
        }
        if sys::setuid(0) != Err(Errno::Perm) || sys::setgid(0) != Err(Errno::Perm) {
            return 5;
        }
        let own = match sys::fork() {
            Ok(Fork::Child) => loop {
                signal::pause();
            },
            Ok(Fork::Parent(own)) => own,
            Err(_) => return 6,
        };
        if sys::kill(own, Signal::Kill).is_err() {
            return 7;
        }
        match sys::wait(Some(own)) {
            Ok((_, WaitStatus::Signaled(Signal::Kill))) => 0,
            _ => 8,
        }
    })?;
    check!(status == WaitStatus::Exited(0), "the user's child ended with {status:?}");
    Ok(())
}

fn getpid() -> TestResult {
    let me = sys::getpid();
    check!(me > 1, "getpid gave {me}");
    check!(sys::getpid() == me, "getpid changed");
    let status = in_child(|| if sys::getppid() == me && sys::getpid() != me { 0 } else { 1 })?;
    check!(status == WaitStatus::Exited(0), "child saw the wrong pid or ppid: {status:?}");
    Ok(())
}

fn write() -> TestResult {
    let text = b"usertests: write: this line is written by one write call\n";
    check!(sys::write(STDOUT, text) == Ok(text.len()), "write did not report the whole line");
    check!(sys::write(STDOUT, b"") == Ok(0), "an empty write did not return 0");
    check!(sys::write(2, b"") == Ok(0), "stderr is not writable");
    check!(sys::write(STDIN, b"x") == Err(Errno::BadF), "write to stdin did not fail with EBADF");
    check!(sys::write(7, b"x") == Err(Errno::BadF), "write to fd 7 did not fail with EBADF");
    Ok(())
}

fn write_faults() -> TestResult {
    for (addr, what) in [(0, "null"), (0x8000_0000, "a kernel address"), (0x0800_0000, "unmapped")] {
        let result = raw(Syscall::Write, STDOUT, addr, 16);
        check!(result == Errno::Fault.to_result(), "write from {what} gave {result}, not EFAULT");
    }
    // A buffer running off the end of user space.
    let result = raw(Syscall::Write, STDOUT, 0x0fff_fff0, 0x100);
    check!(result == Errno::Fault.to_result(), "write across USER_TOP gave {result}");
    Ok(())
}

fn read_faults() -> TestResult {
    let mut buf = [0u8; 4];
    check!(sys::read(STDOUT, &mut buf) == Err(Errno::BadF), "read from stdout did not fail with EBADF");
    // Into code (read-only), the kernel, null: EFAULT, and no input is consumed.
    let code = main as *const () as u32;
    for (addr, what) in [(0, "null"), (0x8000_0000, "a kernel address"), (code, "code")] {
        let result = raw(Syscall::Read, STDIN, addr, 4);
        check!(result == Errno::Fault.to_result(), "read into {what} gave {result}, not EFAULT");
    }
    check!(sys::read(STDIN, &mut []) == Ok(0), "an empty read did not return 0");
    Ok(())
}

fn console_read() -> TestResult {
    println!("usertests: console read: type a line and press Enter");
    let mut line = Vec::new();
    let mut buf = [0u8; 7];
    while !line.ends_with(b"\n") {
        let n = sys::read(STDIN, &mut buf).map_err(|e| format!("read: {}", e.name()))?;
        check!(n > 0 && n <= buf.len(), "read returned {n}");
        line.extend_from_slice(&buf[..n]);
    }
    let text = core::str::from_utf8(&line).map_err(|_| String::from("the line is not UTF-8"))?;
    println!("usertests: console read: got {:?}", text.trim_end());
    check!(text.trim_end().len() > 0, "the line is empty");
    Ok(())
}

fn unknown_syscall() -> TestResult {
    for number in [0, 39, 999, u32::MAX] {
        // Safety: an unknown call does nothing.
        let result = unsafe { raw_syscall(number, [0; 6]) };
        check!(result == Errno::NoSys.to_result(), "call {number} gave {result}, not ENOSYS");
    }
    Ok(())
}

fn sbrk() -> TestResult {
    let start = sys::sbrk(0).map_err(|e| format!("sbrk(0): {}", e.name()))? as u32;
    let old = sys::sbrk(3 * 4096 + 10).map_err(|e| format!("sbrk: {}", e.name()))? as u32;
    check!(old == start, "sbrk returned {old:#x}, not the old break {start:#x}");
    let memory = old as *mut u8;
    for i in 0..(3 * 4096 + 10) {
        // Safety: sbrk just gave us these bytes; the allocator does not use them.
        unsafe { memory.add(i).write_volatile(i as u8) };
    }
    for i in 0..(3 * 4096 + 10) {
        // Safety: as above.
        let byte = unsafe { memory.add(i).read_volatile() };
        check!(byte == i as u8, "byte {i} of the new memory reads {byte}");
    }
    check!(sys::sbrk(0).ok() == Some((start + 3 * 4096 + 10) as *mut u8), "the break did not move");
    sys::sbrk(-(3 * 4096 + 10)).map_err(|e| format!("shrinking: {}", e.name()))?;
    check!(sys::sbrk(0).ok() == Some(start as *mut u8), "the break did not come back");
    Ok(())
}

fn sbrk_limits() -> TestResult {
    check!(sys::sbrk(0x7000_0000) == Err(Errno::NoMem), "a huge sbrk did not fail with ENOMEM");
    check!(sys::sbrk(i32::MIN) == Err(Errno::Inval), "shrinking below the heap did not fail with EINVAL");
    let before = sys::sbrk(0).map_err(|e| format!("sbrk(0): {}", e.name()))?;
    // More than RAM: fails cleanly, and the break stays.
    check!(sys::sbrk(200 << 20) == Err(Errno::NoMem), "sbrk of 200 MiB did not fail with ENOMEM");
    check!(sys::sbrk(0) == Ok(before), "a failed sbrk moved the break");
    Ok(())
}

fn sbrk_shrink_unmaps() -> TestResult {
    let status = in_child(|| {
        let Ok(page) = sys::sbrk(4096 * 2) else { return 2 };
        let last = page as u32 + 4096;
        if sys::sbrk(-4096).is_err() {
            return 3;
        }
        // The page past the new break is gone: this load kills us.
        // Safety: none: it is meant to fault.
        unsafe { asm!("lw {0}, 0({0})", inout(reg) last => _, options(nostack)) };
        4
    })?;
    check!(status == WaitStatus::Signaled(Signal::Segv), "touching freed heap gave {status:?}");
    Ok(())
}

fn heap() -> TestResult {
    let mut vectors: Vec<Vec<u32>> = Vec::new();
    for round in 0..20u32 {
        vectors.push((0..round * 500).map(|i| i ^ round).collect());
        if round % 3 == 0 {
            vectors.remove(0);
        }
    }
    for v in &vectors {
        let round = v.len() as u32 / 500;
        check!(v.iter().enumerate().all(|(i, x)| *x == i as u32 ^ round), "heap data corrupted");
    }
    let big: Vec<u8> = alloc::vec![0xa5; 512 * 1024];
    check!(big.iter().all(|b| *b == 0xa5), "a 512 KiB allocation is wrong");
    Ok(())
}

#[inline(never)]
fn recurse(depth: u32) -> u32 {
    let frame = core::hint::black_box([depth; 64]);
    if depth == 0 {
        0
    } else {
        frame[depth as usize % 64] + recurse(depth - 1)
    }
}

fn stack_growth() -> TestResult {
    // About 300 KiB of stack, mapped page by page as it is touched.
    let sum = recurse(1000);
    check!(sum == 1000 * 1001 / 2, "deep recursion computed {sum}");
    Ok(())
}

fn fork_and_wait() -> TestResult {
    let mut pids = Vec::new();
    for i in 0..5 {
        match sys::fork().map_err(|e| format!("fork: {}", e.name()))? {
            Fork::Child => sys::exit(40 + i),
            Fork::Parent(pid) => pids.push(pid),
        }
    }
    // Wait for them in reverse order, by pid.
    for (i, pid) in pids.iter().enumerate().rev() {
        let got = sys::wait(Some(*pid)).map_err(|e| format!("wait({pid}): {}", e.name()))?;
        check!(got == (*pid, WaitStatus::Exited(40 + i as u8)), "wait({pid}) gave {got:?}");
    }
    Ok(())
}

fn wait_errors() -> TestResult {
    check!(sys::wait(None) == Err(Errno::Child), "wait with no children did not fail with ECHILD");
    check!(sys::wait(Some(1)) == Err(Errno::Child), "wait for init did not fail with ECHILD");
    let pid = match sys::fork().map_err(|e| format!("fork: {}", e.name()))? {
        Fork::Child => sys::exit(0),
        Fork::Parent(pid) => pid,
    };
    // A status pointer into code: EFAULT, and the child stays to be collected.
    let code = main as *const () as u32;
    let result = raw(Syscall::Wait, pid, code, 0);
    check!(result == Errno::Fault.to_result(), "wait with a read-only status pointer gave {result}");
    let result = raw(Syscall::Wait, pid, 0, 0);
    check!(result == pid as i32, "wait with a null status pointer gave {result}");
    Ok(())
}

fn exit_status_bits() -> TestResult {
    for (code, expected) in [(0, 0u8), (255, 255), (256, 0), (-1, 255), (1234, 210)] {
        let status = in_child(|| code)?;
        check!(status == WaitStatus::Exited(expected), "exit({code}) gave {status:?}");
    }
    Ok(())
}

fn exec() -> TestResult {
    let status = in_child(|| {
        let errno = sys::exec("hello", &["hello", "exec'd", "by usertests"]);
        eprintln!("exec hello: {}", errno.name());
        99
    })?;
    check!(status == WaitStatus::Exited(0), "the exec'd hello ended with {status:?}");
    // A program that checks its arguments: usertests itself, in its argument-echo mode.
    let status = in_child(|| {
        sys::exec("usertests", &ARGS_PROBE);
        99
    })?;
    check!(status == WaitStatus::Exited(0), "the exec'd program saw other arguments: {status:?}");
    Ok(())
}

fn exec_errors() -> TestResult {
    check!(
        sys::exec("no-such-program", &["x"]) == Errno::NoEnt,
        "exec of a missing program did not fail with ENOENT"
    );
    check!(sys::exec("", &[]) == Errno::NoEnt, "exec of the empty name did not fail with ENOENT");
    let long = "x".repeat(100);
    check!(sys::exec(&long, &[]) == Errno::NoEnt, "exec of a long name did not fail with ENOENT");
    let many = ["a"; MAX_ARGC + 1];
    check!(sys::exec("hello", &many) == Errno::TooBig, "too many arguments did not fail with E2BIG");
    let huge = "y".repeat(MAX_ARG_BYTES + 1);
    check!(sys::exec("hello", &[&huge]) == Errno::TooBig, "too long arguments did not fail with E2BIG");
    // Safety: exec with a bad pointer fails before it changes anything.
    let result = unsafe { raw_syscall(Syscall::Exec as u32, [0, 5, 0, 0, 0, 0]) };
    check!(result == Errno::Fault.to_result(), "exec with a null name gave {result}");
    // Safety: as above.
    let result =
        unsafe { raw_syscall(Syscall::Exec as u32, ["hello".as_ptr() as u32, 5, 0x8000_0000, 1, 0, 0]) };
    check!(result == Errno::Fault.to_result(), "exec with a kernel argv gave {result}");
    Ok(())
}

fn yield_test() -> TestResult {
    for _ in 0..10 {
        sys::yield_now();
    }
    Ok(())
}

fn sleep_and_uptime() -> TestResult {
    let before = sys::uptime();
    sys::sleep(5).map_err(|e| format!("sleep: {}", e.name()))?;
    let after = sys::uptime();
    check!(after >= before + 5, "slept from tick {before} to {after}");
    check!(after <= before + 7, "slept too long: from tick {before} to {after}");
    sys::sleep(0).map_err(|e| format!("sleep(0): {}", e.name()))?;
    Ok(())
}

/// A child that never yields: only the timer can take the CPU from it.
fn spinner() -> Result<Pid, String> {
    match sys::fork().map_err(|e| format!("fork: {}", e.name()))? {
        Fork::Child => loop {
            core::hint::spin_loop();
        },
        Fork::Parent(pid) => Ok(pid),
    }
}

fn preemption() -> TestResult {
    let (a, b) = (spinner()?, spinner()?);
    // We get the CPU back although both children spin.
    sys::sleep(3).map_err(|e| format!("sleep: {}", e.name()))?;
    for pid in [a, b] {
        sys::kill(pid, Signal::Kill).map_err(|e| format!("kill: {}", e.name()))?;
        let status = sys::wait(Some(pid)).map_err(|e| format!("wait: {}", e.name()))?.1;
        check!(status == WaitStatus::Signaled(Signal::Kill), "the spinner ended with {status:?}");
    }
    Ok(())
}

fn kill() -> TestResult {
    let pid = spinner()?;
    sys::kill(pid, Signal::Term).map_err(|e| format!("kill: {}", e.name()))?;
    let status = sys::wait(Some(pid)).map_err(|e| format!("wait: {}", e.name()))?.1;
    check!(status == WaitStatus::Signaled(Signal::Term), "killed child ended with {status:?}");
    let status = in_child(|| {
        let _ = sys::kill(sys::getpid(), Signal::Kill);
        0
    })?;
    check!(
        status == WaitStatus::Signaled(Signal::Kill),
        "a process that killed itself ended with {status:?}"
    );
    Ok(())
}

fn kill_sleeper() -> TestResult {
    let pid = match sys::fork().map_err(|e| format!("fork: {}", e.name()))? {
        Fork::Child => {
            let _ = sys::sleep(1_000_000);
            sys::exit(0)
        }
        Fork::Parent(pid) => pid,
    };
    sys::yield_now();
    let before = sys::uptime();
    sys::kill(pid, Signal::Kill).map_err(|e| format!("kill: {}", e.name()))?;
    let status = sys::wait(Some(pid)).map_err(|e| format!("wait: {}", e.name()))?.1;
    check!(status == WaitStatus::Signaled(Signal::Kill), "the sleeper ended with {status:?}");
    check!(sys::uptime() - before < 10, "the sleeper took long to die");
    Ok(())
}

fn kill_errors() -> TestResult {
    check!(
        sys::kill(9999, Signal::Kill) == Err(Errno::Srch),
        "kill of a missing pid did not fail with ESRCH"
    );
    let result = raw(Syscall::Kill, sys::getpid(), 0, 0);
    check!(result == Errno::Inval.to_result(), "kill with signal 0 gave {result}");
    let result = raw(Syscall::Kill, sys::getpid(), 64, 0);
    check!(result == Errno::Inval.to_result(), "kill with signal 64 gave {result}");
    Ok(())
}

/// SIGUSR2 handler runs, for `signal_handler`.
static USR2_RUNS: AtomicU32 = AtomicU32::new(0);

fn on_usr2(signal: Signal) {
    if signal == Signal::Usr2 {
        USR2_RUNS.fetch_add(1, Ordering::SeqCst);
    }
}

fn signal_handler() -> TestResult {
    let old =
        signal::set(Signal::Usr2, Handler::Catch(on_usr2)).map_err(|e| format!("sigaction: {}", e.name()))?;
    check!(matches!(old, Handler::Default), "the old handler was {old:?}");
    let before = USR2_RUNS.load(Ordering::SeqCst);
    sys::kill(sys::getpid(), Signal::Usr2).map_err(|e| format!("kill: {}", e.name()))?;
    let runs = USR2_RUNS.load(Ordering::SeqCst) - before;
    let back = signal::set(Signal::Usr2, Handler::Default).map_err(|e| format!("sigaction: {}", e.name()))?;
    check!(runs == 1, "the handler ran {runs} times");
    check!(matches!(back, Handler::Catch(_)), "sigaction returned {back:?} for the handler");
    // A handler is inherited by fork: the child survives its SIGUSR2.
    let status = in_child(|| {
        let _ = signal::set(Signal::Usr2, Handler::Catch(on_usr2));
        let _ = sys::kill(sys::getpid(), Signal::Usr2);
        match sys::fork() {
            Ok(Fork::Child) => {
                let _ = sys::kill(sys::getpid(), Signal::Usr2);
                sys::exit(6)
            }
            Ok(Fork::Parent(pid)) => {
                sys::wait(Some(pid)).map_or(1, |(_, s)| i32::from(s != WaitStatus::Exited(6)))
            }
            Err(_) => 2,
        }
    })?;
    check!(status == WaitStatus::Exited(0), "the forked handler's test ended with {status:?}");
    Ok(())
}

fn sigaction_errors() -> TestResult {
    let bad = |signal: u32, handler: u32, restorer: u32| raw(Syscall::Sigaction, signal, handler, restorer);
    let inval = Errno::Inval.to_result();
    check!(bad(0, 0, 0) == inval, "sigaction of signal 0 did not give EINVAL");
    check!(bad(8, 0, 0) == inval, "sigaction of signal 8 did not give EINVAL");
    check!(bad(Signal::Kill as u32, 1, 0) == inval, "ignoring SIGKILL did not give EINVAL");
    check!(bad(Signal::Kill as u32, 0x1_0000, 0x1_0004) == inval, "catching SIGKILL did not give EINVAL");
    check!(bad(Signal::Usr2 as u32, 0x1_0002, 0x1_0004) == inval, "a misaligned handler did not give EINVAL");
    check!(bad(Signal::Usr2 as u32, 0x8000_0000, 0x1_0004) == inval, "a kernel handler did not give EINVAL");
    check!(
        bad(Signal::Usr2 as u32, 0x1_0000, 0) == inval,
        "a handler without a restorer did not give EINVAL"
    );
    check!(bad(Signal::Kill as u32, 0, 0) == 0, "setting SIGKILL's default action failed");
    // sigreturn with no frame at sp (here: sp = 0) ends the process with SIGSEGV.
    let status = in_child(|| {
        // Safety: none needed: the call ends the process.
        unsafe { asm!("li sp, 0", "ecall", in("a7") Syscall::Sigreturn as u32, options(noreturn)) }
    })?;
    check!(status == WaitStatus::Signaled(Signal::Segv), "sigreturn without a frame: {status:?}");
    Ok(())
}

fn pause() -> TestResult {
    let pid = match sys::fork().map_err(|e| format!("fork: {}", e.name()))? {
        Fork::Child => {
            USR2_RUNS.store(0, Ordering::SeqCst);
            let _ = signal::set(Signal::Usr2, Handler::Catch(on_usr2));
            let paused = signal::pause();
            sys::exit(if paused == Errno::Intr && USR2_RUNS.load(Ordering::SeqCst) == 1 { 0 } else { 1 })
        }
        Fork::Parent(pid) => pid,
    };
    sys::sleep(2).map_err(|e| format!("sleep: {}", e.name()))?;
    sys::kill(pid, Signal::Usr2).map_err(|e| format!("kill: {}", e.name()))?;
    let status = sys::wait(Some(pid)).map_err(|e| format!("wait: {}", e.name()))?.1;
    check!(status == WaitStatus::Exited(0), "the paused child ended with {status:?}");
    Ok(())
}

fn orphans() -> TestResult {
    // The child forks a grandchild and exits; the grandchild reports its new parent through
    // its exit status, which init collects: here we only check the child's side.
    let status = in_child(|| match sys::fork() {
        Ok(Fork::Child) => {
            for _ in 0..100 {
                if sys::getppid() == 1 {
                    sys::exit(0);
                }
                let _ = sys::sleep(1);
            }
            sys::exit(1)
        }
        Ok(Fork::Parent(_)) => 0,
        Err(_) => 1,
    })?;
    check!(status == WaitStatus::Exited(0), "the orphan's parent ended with {status:?}");
    Ok(())
}

/// Instructions retired so far (the `cycle` counter, readable in user mode).
fn instructions() -> u32 {
    let count: u32;
    // Safety: reading the counter has no effect; user mode may read it.
    unsafe { asm!(".option push", ".option arch, +zicsr", "csrr {0}, cycle", ".option pop", out(reg) count) };
    count
}

fn syscall_cost() -> TestResult {
    const CALLS: u32 = 1000;
    let start = instructions();
    for _ in 0..CALLS {
        core::hint::black_box(sys::getpid());
    }
    let per_call = (instructions() - start) / CALLS;
    println!("usertests: syscall cost: a getpid round trip takes {per_call} instructions");
    check!(per_call < 2000, "a system call costs {per_call} instructions");
    Ok(())
}
