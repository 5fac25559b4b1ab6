//! `sigtest`: signals with Bach's semantics (docs/syscalls.md, *Signals*; docs/satellites.md,
//! *Signals*), as a test. Run as init by tests/tests/signals.rs. Lines starting `sigtest:` are
//! the verdict and are the same whatever the links lose; lines starting `measure:` are
//! timings.
//!
//! On the central: a handler runs and returns to the interrupted code; `SIG_IGN`; the default
//! action and the wait status; `EINTR` from a blocked pipe read, from `sleep` and `pause`; an
//! ignored signal does not interrupt; `SIGKILL` cannot be caught or ignored; a caught
//! `SIGSEGV`, and a second fault in its handler; `SIGPIPE`; `SIGCHLD`; `exec` resets handlers.
//!
//! On a satellite (children placed by `rfork`, inheriting the parent's handlers): a signal
//! that interrupts a read blocked on the central (the handler runs on the satellite, the read
//! returns `EINTR`); a handler run while the child computes, and one that ends `pause`; the
//! default action across the link; an ignored signal that does not interrupt a forwarded
//! read; a fault caught on the satellite; and the time from `kill` to a handler there.

#![no_std]
#![no_main]

extern crate alloc;

use alloc::format;
use core::arch::asm;
use core::sync::atomic::{AtomicU32, Ordering};

use ox_ulib::abi::{Errno, Signal, WaitStatus};
use ox_ulib::println;
use ox_ulib::signal::{self, Handler};
use ox_ulib::sys::{self, Fork, Pid};

ox_ulib::entry!(main);

/// The satellite node the remote cases run on.
const NODE: u32 = 1;

/// Handler runs, by signal number.
static HITS: [AtomicU32; 32] = [const { AtomicU32::new(0) }; 32];

fn count(signal: Signal) {
    HITS[signal as usize].fetch_add(1, Ordering::SeqCst);
}

fn hits(signal: Signal) -> u32 {
    HITS[signal as usize].load(Ordering::SeqCst)
}

/// Ends the process with 42: a SEGV handler cannot return into the faulting load.
fn exit_42(_: Signal) {
    sys::exit(42)
}

/// Faults again, inside the SEGV handler.
fn fault_again(_: Signal) {
    load(0);
}

fn load(addr: u32) -> u32 {
    let value: u32;
    // Safety: none: this is meant to fault, and the handler or the kernel takes over.
    unsafe { asm!("lw {0}, 0({1})", out(reg) value, in(reg) addr, options(nostack)) };
    value
}

/// Where a child runs: here (`fork`) or on the satellite (`rfork`).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Place {
    Central,
    Satellite,
}

/// Starts `body` in a child at `place`; the child exits with what it returns.
fn spawn(place: Place, body: impl FnOnce() -> i32) -> Option<Pid> {
    let forked = match place {
        Place::Central => sys::fork(),
        Place::Satellite => sys::rfork(NODE),
    };
    match forked {
        Ok(Fork::Child) => {
            HITS.iter().for_each(|h| h.store(0, Ordering::SeqCst));
            sys::exit(body())
        }
        Ok(Fork::Parent(pid)) => Some(pid),
        Err(e) => {
            println!("sigtest: fork failed: {}", e.name());
            None
        }
    }
}

/// Waits for `pid`; how it ended.
fn reap(pid: Pid) -> Option<WaitStatus> {
    sys::wait(Some(pid)).ok().map(|(_, status)| status)
}

/// Prints the verdict of case `name`: `status` should be `expected`. Returns the failures.
fn verdict(name: &str, status: Option<WaitStatus>, expected: WaitStatus) -> u32 {
    if status == Some(expected) {
        println!("sigtest: {name}: ok ({expected:?})");
        0
    } else {
        println!("sigtest: {name}: FAILED: expected {expected:?}, got {status:?}");
        1
    }
}

/// A child at `place` runs `body`; the parent lets it block (`ticks`), sends it `signal`,
/// and checks how it ended.
fn signal_child(
    name: &str,
    place: Place,
    signal: Signal,
    expected: WaitStatus,
    body: impl FnOnce() -> i32,
) -> u32 {
    let Some(pid) = spawn(place, body) else { return 1 };
    let _ = sys::sleep(20);
    if let Err(e) = sys::kill(pid, signal) {
        println!("sigtest: {name}: kill failed: {}", e.name());
    }
    verdict(name, reap(pid), expected)
}

/// Reads one byte of `fd`: 0 if the read returned `EINTR` after a `SIGUSR1` handler ran,
/// 10 + n for a read of n bytes, 20 + errno for another error, 30 + hits for a wrong count.
fn read_expecting_eintr(fd: u32) -> i32 {
    let mut buf = [0u8; 1];
    match sys::read(fd, &mut buf) {
        Err(Errno::Intr) if hits(Signal::Usr1) == 1 => 0,
        Err(Errno::Intr) => 30 + hits(Signal::Usr1) as i32,
        Ok(n) => 10 + n as i32,
        Err(e) => 20 + e as i32,
    }
}

fn main(args: &[&str]) -> i32 {
    if args.get(1) == Some(&"--after-exec") {
        return after_exec();
    }
    if let Err(e) = signal::set(Signal::Usr1, Handler::Catch(count)) {
        println!("sigtest: sigaction failed: {}", e.name());
        return 1;
    }
    let mut failures = 0;
    failures += central();
    failures += satellite();
    println!("sigtest: {} failure(s)", failures);
    i32::from(failures != 0)
}

fn central() -> u32 {
    let mut failures = 0;

    // A handler runs on the way back from `kill`, then the code it interrupted resumes with
    // its registers intact.
    let before = hits(Signal::Usr1);
    let mut sum = 0u32;
    for i in 0..10 {
        sum += i;
        if i == 5 {
            let _ = sys::kill(sys::getpid(), Signal::Usr1);
        }
    }
    let ran = hits(Signal::Usr1) - before;
    failures += check("handler runs and returns", ran == 1 && sum == 45, || {
        println!("sigtest: handler ran {ran} time(s), sum {sum}")
    });

    // SIG_IGN: the signal is discarded; `set` returns the previous handler.
    let old = signal::set(Signal::Usr2, Handler::Ignore);
    let _ = sys::kill(sys::getpid(), Signal::Usr2);
    let back = signal::set(Signal::Usr2, Handler::Default);
    failures +=
        check("SIG_IGN", matches!(old, Ok(Handler::Default)) && matches!(back, Ok(Handler::Ignore)), || {
            println!("sigtest: set returned {old:?} then {back:?}")
        });

    // The default action: the child ends, and `wait` says which signal it was.
    failures += signal_child(
        "default action",
        Place::Central,
        Signal::Term,
        WaitStatus::Signaled(Signal::Term),
        || {
            signal::pause();
            1
        },
    );

    // EINTR from a read blocked on an empty pipe, after the handler ran.
    let Ok((r, w)) = sys::pipe() else { return failures + 1 };
    failures +=
        signal_child("EINTR from a pipe read", Place::Central, Signal::Usr1, WaitStatus::Exited(0), || {
            read_expecting_eintr(r)
        });
    failures += signal_child("EINTR from sleep", Place::Central, Signal::Usr1, WaitStatus::Exited(0), || {
        match sys::sleep(100_000) {
            Err(Errno::Intr) if hits(Signal::Usr1) == 1 => 0,
            _ => 1,
        }
    });
    failures += signal_child("EINTR from pause", Place::Central, Signal::Usr1, WaitStatus::Exited(0), || {
        match signal::pause() {
            Errno::Intr if hits(Signal::Usr1) == 1 => 0,
            _ => 1,
        }
    });

    // An ignored signal does not break the sleep: the read returns the byte written after it.
    failures += ignored_does_not_interrupt(Place::Central, r, w);

    // SIGKILL cannot be caught or ignored.
    let catch = signal::set(Signal::Kill, Handler::Catch(count));
    let ignore = signal::set(Signal::Kill, Handler::Ignore);
    failures += check(
        "SIGKILL cannot be caught or ignored",
        matches!((catch, ignore), (Err(Errno::Inval), Err(Errno::Inval))),
        || println!("sigtest: set(SIGKILL) gave {catch:?} and {ignore:?}"),
    );
    failures += signal_child(
        "SIGKILL ends a pause",
        Place::Central,
        Signal::Kill,
        WaitStatus::Signaled(Signal::Kill),
        || {
            signal::pause();
            1
        },
    );

    // A fault is a signal: caught, or (in its own handler) fatal.
    failures += caught_fault(Place::Central);

    // SIGPIPE: a write to a pipe nobody reads; ignored, the write fails with EPIPE.
    failures += sigpipe();

    // SIGCHLD: ignored by default; caught, it comes when a child ends.
    let _ = signal::set(Signal::Chld, Handler::Catch(count));
    let status = spawn(Place::Central, || 5).and_then(reap);
    let _ = signal::set(Signal::Chld, Handler::Default);
    let chld = hits(Signal::Chld);
    failures += check("SIGCHLD", status == Some(WaitStatus::Exited(5)) && chld == 1, || {
        println!("sigtest: child {status:?}, {chld} SIGCHLD")
    });

    // exec resets handlers to the default and keeps ignored signals ignored: the child runs
    // this program again, which checks (`--after-exec`).
    let status = spawn(Place::Central, || {
        let _ = signal::set(Signal::Usr2, Handler::Ignore);
        let _ = sys::exec("sigtest", &["sigtest", "--after-exec"]);
        1
    })
    .and_then(reap);
    failures += verdict("exec keeps SIG_IGN, resets handlers", status, WaitStatus::Exited(0));

    let _ = sys::close(r);
    let _ = sys::close(w);
    failures
}

/// The `--after-exec` half of the exec case: USR1 (caught before exec) is default again, so
/// it would kill; USR2 (ignored before exec) is still ignored.
fn after_exec() -> i32 {
    match (signal::set(Signal::Usr1, Handler::Default), signal::set(Signal::Usr2, Handler::Default)) {
        (Ok(Handler::Default), Ok(Handler::Ignore)) => 0,
        _ => 1,
    }
}

/// Prints the verdict of a case checked in this process.
fn check(name: &str, ok: bool, why: impl FnOnce()) -> u32 {
    if ok {
        println!("sigtest: {name}: ok");
        0
    } else {
        why();
        println!("sigtest: {name}: FAILED");
        1
    }
}

/// A child at `place` ignores SIGUSR2 and reads `r`; SIGUSR2 is sent, then a byte written:
/// the read returns it.
fn ignored_does_not_interrupt(place: Place, r: u32, w: u32) -> u32 {
    let name = match place {
        Place::Central => "an ignored signal does not interrupt",
        Place::Satellite => "an ignored signal does not interrupt a forwarded read",
    };
    let Some(pid) = spawn(place, || {
        let _ = signal::set(Signal::Usr2, Handler::Ignore);
        let mut buf = [0u8; 1];
        match sys::read(r, &mut buf) {
            Ok(1) if buf[0] == b'x' => 0,
            Ok(_) => 1,
            Err(e) => 20 + e as i32,
        }
    }) else {
        return 1;
    };
    let _ = sys::sleep(20);
    let _ = sys::kill(pid, Signal::Usr2);
    let _ = sys::sleep(20);
    let _ = sys::write(w, b"x");
    verdict(name, reap(pid), WaitStatus::Exited(0))
}

/// A child at `place` catches SIGSEGV (its handler exits 42); another faults again in its
/// handler and dies by SIGSEGV.
fn caught_fault(place: Place) -> u32 {
    let where_ = if place == Place::Central { "" } else { " on a satellite" };
    let caught = spawn(place, || {
        let _ = signal::set(Signal::Segv, Handler::Catch(exit_42));
        load(0) as i32
    })
    .and_then(reap);
    let mut failures = verdict(&format!("a caught SIGSEGV{where_}"), caught, WaitStatus::Exited(42));
    let twice = spawn(place, || {
        let _ = signal::set(Signal::Segv, Handler::Catch(fault_again));
        load(0) as i32
    })
    .and_then(reap);
    failures += verdict(
        &format!("a fault in the SIGSEGV handler{where_}"),
        twice,
        WaitStatus::Signaled(Signal::Segv),
    );
    failures
}

fn sigpipe() -> u32 {
    let killed = spawn(Place::Central, || {
        let Ok((r, w)) = sys::pipe() else { return 1 };
        let _ = sys::close(r);
        let _ = sys::write(w, b"nobody reads");
        2
    })
    .and_then(reap);
    let mut failures = verdict("SIGPIPE", killed, WaitStatus::Signaled(Signal::Pipe));
    let ignored = spawn(Place::Central, || {
        let _ = signal::set(Signal::Pipe, Handler::Ignore);
        let Ok((r, w)) = sys::pipe() else { return 1 };
        let _ = sys::close(r);
        match sys::write(w, b"nobody reads") {
            Err(Errno::Pipe) => 0,
            _ => 2,
        }
    })
    .and_then(reap);
    failures += verdict("SIGPIPE ignored: EPIPE", ignored, WaitStatus::Exited(0));
    failures
}

fn satellite() -> u32 {
    let mut failures = 0;
    let Ok((r, w)) = sys::pipe() else { return 1 };

    // The child, on the satellite, reads the empty pipe: its stub sleeps in `read` on the
    // central. The parent's SIGUSR1 breaks that sleep; the reply carries the signal; the
    // handler (inherited through rfork) runs on the satellite and the read returns EINTR.
    failures += signal_child(
        "a signal interrupts a blocked read on a satellite",
        Place::Satellite,
        Signal::Usr1,
        WaitStatus::Exited(0),
        || read_expecting_eintr(r),
    );

    // The child computes on the satellite (its stub is idle): the signal goes as a Signal
    // request and the handler runs there.
    failures += signal_child(
        "a handler runs while computing on a satellite",
        Place::Satellite,
        Signal::Usr1,
        WaitStatus::Exited(0),
        || {
            let mut spins = 0u32;
            while hits(Signal::Usr1) == 0 {
                spins = spins.wrapping_add(1);
                core::hint::spin_loop();
            }
            i32::from(spins == 0)
        },
    );
    failures +=
        signal_child("pause on a satellite", Place::Satellite, Signal::Usr1, WaitStatus::Exited(0), || {
            match signal::pause() {
                Errno::Intr if hits(Signal::Usr1) == 1 => 0,
                _ => 1,
            }
        });
    failures += signal_child(
        "EINTR from sleep on a satellite",
        Place::Satellite,
        Signal::Usr1,
        WaitStatus::Exited(0),
        || match sys::sleep(100_000) {
            Err(Errno::Intr) if hits(Signal::Usr1) == 1 => 0,
            _ => 1,
        },
    );

    // Default actions across the link: computing, and blocked in a forwarded read.
    failures += signal_child(
        "default action on a satellite",
        Place::Satellite,
        Signal::Term,
        WaitStatus::Signaled(Signal::Term),
        || loop {
            core::hint::spin_loop();
        },
    );
    failures += signal_child(
        "SIGKILL ends a forwarded read",
        Place::Satellite,
        Signal::Kill,
        WaitStatus::Signaled(Signal::Kill),
        || {
            let mut buf = [0u8; 1];
            let _ = sys::read(r, &mut buf);
            1
        },
    );

    failures += ignored_does_not_interrupt(Place::Satellite, r, w);
    failures += crossing();
    failures += caught_fault(Place::Satellite);
    failures += measure(Place::Central);
    failures += measure(Place::Satellite);
    let _ = sys::close(r);
    let _ = sys::close(w);
    failures
}

/// Children of `crossing`, each making its call a little later than the one before (by
/// [`CROSSING_STEP`] iterations of a spin loop, about 80 µs), over about 5 ms around the
/// signal, so some meet it on the link whatever the exact timing of this build.
const CROSSINGS: u32 = 60;
/// See [`CROSSINGS`].
const CROSSING_STEP: u32 = 2_500;

/// The signal and the call cross on the link: the child computes for a while, then reads an
/// empty pipe unless the handler already ran; the parent sends SIGUSR1 about when the read
/// leaves. Whichever way they meet — the handler first, the stub's read interrupted, or the
/// signal reaching the satellite while the read's request is on its way to the idle stub —
/// the handler runs once and the read, if it started, fails with EINTR. (If the handler runs
/// between the check and the `read` — as on one processor, nothing closes that window — the
/// read would sleep for good: the parent writes a byte 5 ms after the signal to end it.) How
/// the rounds went is a `measure:` line: it depends on timing.
fn crossing() -> u32 {
    let (mut interrupted, mut before, mut rescued, mut bad) = (0, 0, 0, 0);
    for delay in 0..CROSSINGS {
        let Ok((r, w)) = sys::pipe() else { return 1 };
        let Some(pid) = spawn(Place::Satellite, || {
            for _ in 0..delay * CROSSING_STEP {
                core::hint::spin_loop();
            }
            if hits(Signal::Usr1) == 1 {
                return 1;
            }
            let mut buf = [0u8; 1];
            match (sys::read(r, &mut buf), hits(Signal::Usr1)) {
                (Err(Errno::Intr), 1) => 0,
                (Ok(1), 1) => 2,
                _ => 3,
            }
        }) else {
            return 1;
        };
        let _ = sys::sleep(3);
        let _ = sys::kill(pid, Signal::Usr1);
        let _ = sys::sleep(5);
        let _ = sys::write(w, b"x");
        match reap(pid) {
            Some(WaitStatus::Exited(0)) => interrupted += 1,
            Some(WaitStatus::Exited(1)) => before += 1,
            Some(WaitStatus::Exited(2)) => rescued += 1,
            _ => bad += 1,
        }
        let _ = sys::close(r);
        let _ = sys::close(w);
    }
    println!("measure: crossing rounds: {interrupted} read(s) interrupted, {before} handler(s) before the read, {rescued} in the window before it");
    check("a signal crossing a call on the link", bad == 0, || {
        println!("sigtest: {bad} of {CROSSINGS} crossings went wrong")
    })
}

/// Signals `measure` sends.
const ROUNDS: u32 = 200;

/// The time from `kill` to a handler running at `place` and its answer coming back: the child
/// computes; each SIGUSR1's handler run makes it write one byte to a pipe the parent reads
/// before it sends the next.
fn measure(place: Place) -> u32 {
    let Ok((answer_r, answer_w)) = sys::pipe() else { return 1 };
    let Some(pid) = spawn(place, || {
        // Ready: the counters are zero. (A kill before this would be counted and then zeroed,
        // and the child would wait for it for ever.)
        let _ = sys::write(answer_w, b"r");
        let mut seen = 0;
        while seen < ROUNDS {
            let now = hits(Signal::Usr1);
            if now != seen {
                seen = now;
                let _ = sys::write(answer_w, b"!");
            }
            core::hint::spin_loop();
        }
        0
    }) else {
        return 1;
    };
    let mut ready = [0u8; 1];
    let _ = sys::read(answer_r, &mut ready);
    let start = sys::uptime();
    let mut answered = 0;
    for _ in 0..ROUNDS {
        let _ = sys::kill(pid, Signal::Usr1);
        let mut byte = [0u8; 1];
        if sys::read(answer_r, &mut byte) == Ok(1) {
            answered += 1;
        }
    }
    let elapsed = sys::uptime() - start;
    let status = reap(pid);
    let _ = sys::close(answer_r);
    let _ = sys::close(answer_w);
    let (name, where_) = match place {
        Place::Central => ("signals measured on the central", "on the central"),
        Place::Satellite => ("signals measured on a satellite", "on a satellite"),
    };
    println!("measure: {ROUNDS} kills of a process computing {where_}, each answered by a pipe write from its handler, in {elapsed} ms");
    let mut failures = verdict(name, status, WaitStatus::Exited(0));
    if answered != ROUNDS {
        println!("sigtest: only {answered} of {ROUNDS} signals answered {where_}: FAILED");
        failures += 1;
    }
    failures
}
