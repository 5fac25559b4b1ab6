//! `migtest`: process migration (docs/migration.md) as a test, modelled on the anchors' own
//! suites: one line per case and `migtest: N passed, M failed`, the same wherever it runs.
//!
//! 1. A computation moved mid-run central → satellite 1 → satellite 2 → home → satellite 3
//!    gives the result of the same computation never moved; `ps` sees it on each node.
//! 2. A process forked onto a satellite moves satellite → satellite → home.
//! 3. A process moves itself (`migrate(0, node)`) and carries on there: its pid, parent and
//!    open pipe are the same.
//! 4. Asleep in `read` on a pipe, it is moved at once — to a satellite, to another, then home
//!    (every direction) — each `migrate` returning while it sleeps, `ps` showing it asleep on
//!    each node; then it wakes at home on the data it waits for.
//! 5. Asleep in `wait` for its own child: the same, woken by the child's exit.
//! 6. Asleep in `sleep`: the same; it sleeps the time it asked for in all, not again after
//!    each move.
//! 7. Asleep in `pause`: the same; a signal wakes it at home, its handler runs there.
//! 8. Refusals: an unknown node (`EINVAL`), init (`EPERM`), no such process (`ESRCH`), a
//!    process that asked for a notification to a port it sent away (`EBUSY`: the request
//!    would stay behind), an image larger than the target's memory (`ENOMEM`) — and the refused process
//!    runs on where it was, its memory intact.
//! 9. Load balancing: six CPU-bound processes started on satellite 1 with the balancer on
//!    spread over at least three nodes, and each computes what it computes unmoved; one
//!    pinned with `balance PID off` stays.
//! 10. A signal blocked on a satellite moves with the process: in its `SIGUSR1` handler on
//!    satellite 1 (where `SIGUSR1` is blocked) it sends itself `SIGUSR1` again and moves to
//!    satellite 2, where the handler's return delivers the pending one.
//! 11. Isolation: a process of user 1000 moved to a satellite, and one of user 2000 that
//!    moves itself there beside it, cannot signal each other (`EPERM`) or read each other's
//!    memory (`EPERM`: neither is the other's child), each way; a third process of user
//!    1000 moved there can signal the first. Being on the same node gives no power over a
//!    process.
//! 12. Ports move with their holder: asleep in `read`, a process holding a receive right (two
//!    send references, in a port set, queue limit 6), a send right to this suite's port, a
//!    dead name and its task port is moved along the sleeper's path with messages queued
//!    for it before and between the moves; at home its names denote the same rights, the
//!    messages come through the set in order, its task port says where it runs. Then asleep
//!    in a port receive it is moved at once along the same path, and the next message wakes
//!    it at home; and the no-senders notification it asked before the moves comes when this
//!    suite lets go.
//!
//! `migtest console` runs one more case, whose line a test types (`tests/tests/suites.rs`):
//! asleep in `read` on the console, a process is moved along the sleeper's path and reads the
//! line at home.

#![no_std]
#![no_main]

extern crate alloc;

mod crunch;

use alloc::format;
use alloc::string::String;

use core::sync::atomic::{AtomicU32, Ordering};

use alloc::vec;
use alloc::vec::Vec;

use ox_ulib::abi::{
    Errno, Placement, Signal, WaitStatus, MSG_COPY_SEND, MSG_MAKE_SEND, MSG_MOVE_RECEIVE, NOTIFY_NO_SENDERS,
    NOTIFY_PORT_DESTROYED, PORT_RIGHT_DEAD_NAME, PORT_RIGHT_PORT_SET, PORT_RIGHT_RECEIVE, PORT_RIGHT_SEND,
    PORT_TYPE_DEAD_NAME, PORT_TYPE_PORT_SET, PORT_TYPE_RECEIVE, PORT_TYPE_SEND,
};
use ox_ulib::port::{self, GotItem, Msg, SendItem, FOREVER};
use ox_ulib::signal::{self, Handler};

use crunch::crunch;
use ox_ulib::suite::{self, ensure, node_of, ok, reap, refused, spawn, spawn_on, Outcome};
use ox_ulib::sys::{self, Pid};

ox_ulib::entry!(main);

fn main(args: &[&str]) -> i32 {
    if let Err(e) = sys::set_placement(Placement::Local) {
        ox_ulib::println!("migtest: place local: {}", e.name());
        return 1;
    }
    if args.get(1) == Some(&"console") {
        return suite::run("migtest", [("asleep in read on the console: moved to 2 satellites and home asleep, it reads the line typed there", asleep_on_the_console as fn() -> Outcome)]);
    }
    let cases: [(&str, fn() -> Outcome); 12] = [
        ("a computation moved central, 1, 2, home, 3 mid-run computes what it computes unmoved", computation),
        ("a process forked onto satellite 1 moves to satellite 2, then home", from_a_satellite),
        ("a process moves itself and keeps its pid, parent and pipe", moves_itself),
        (
            "asleep in read on a pipe: moved to 2 satellites and home asleep, it wakes there on its data",
            asleep_in_read,
        ),
        ("asleep in wait: moved to 2 satellites and home asleep, it reaps its child there", asleep_in_wait),
        ("asleep in sleep: moved to 2 satellites and home asleep, it sleeps only its time", asleep_in_sleep),
        ("asleep in pause: moved to 2 satellites and home asleep, a signal wakes it there", asleep_in_pause),
        ("refused: no such node, init, no such process, a port holder whose request would stay, too big; it runs on", refusals),
        ("balancing spreads six processes from satellite 1 over three nodes; a pinned one stays", balancing),
        (
            "a signal blocked on a satellite moves with the process and is delivered there",
            blocked_signal_moves,
        ),
        (
            "isolation: moved beside another user's process, neither signals nor reads the other; its own user signals it",
            isolation,
        ),
        (
            "ports move with their holder: names, references, set, queue, requests, task port; asleep in a receive it moves at once",
            ports_move,
        ),
    ];
    suite::run("migtest", cases)
}

/// Rounds of [`crunch`]: about 40 M instructions, long enough to be moved several times.
const ROUNDS: u32 = 2_000_000;

/// Moves `pid` to `node` and checks `ps` sees it there.
fn move_to(pid: Pid, node: u32) -> Outcome {
    ok(&format!("migrate {pid} to {node}"), sys::migrate(pid, node))?;
    let at = node_of(pid)?;
    ensure(at == node, || format!("{pid} asked to node {node} runs on node {at}"))
}

/// A child that computes and writes its result to a pipe; the pipe's read end.
fn computing_child(node: Option<u32>) -> Result<(Pid, u32), alloc::string::String> {
    let (read_end, write_end) = ok("pipe", sys::pipe())?;
    let body = move || {
        let result = crunch(ROUNDS);
        let _ = sys::write_all(write_end, &result.to_le_bytes());
        0
    };
    let pid = match node {
        None => spawn(body)?,
        Some(node) => spawn_on(node, body)?,
    };
    ok("close", sys::close(write_end))?;
    Ok((pid, read_end))
}

/// The result a computing child wrote.
fn result_of(read_end: u32) -> Result<u32, alloc::string::String> {
    let bytes = ok("read", sys::read_to_end(read_end))?;
    ok("close", sys::close(read_end))?;
    let word: [u8; 4] =
        bytes.as_slice().try_into().map_err(|_| format!("{} bytes of result", bytes.len()))?;
    Ok(u32::from_le_bytes(word))
}

fn computation() -> Outcome {
    let expected = crunch(ROUNDS);
    let (pid, read_end) = computing_child(None)?;
    for node in [1, 2, 0, 3] {
        move_to(pid, node)?;
    }
    let got = result_of(read_end)?;
    ensure(reap(pid)? == 0, || format!("{pid} did not exit 0"))?;
    ensure(got == expected, || format!("moved: {got:#010x}, unmoved: {expected:#010x}"))
}

/// The `SIGUSR1`s the handler of [`blocked_signal_moves`] took.
static TAKEN: AtomicU32 = AtomicU32::new(0);

/// The first time: sends the process `SIGUSR1` again (blocked while this handler runs, so
/// pending) and moves it to satellite 2.
fn take_and_move(_: Signal) {
    if TAKEN.fetch_add(1, Ordering::SeqCst) == 0 {
        let _ = sys::kill(sys::getpid(), Signal::Usr1);
        let _ = sys::migrate(0, 2);
    }
}

fn blocked_signal_moves() -> Outcome {
    let pid = spawn_on(1, || {
        if signal::set(Signal::Usr1, Handler::Catch(take_and_move)).is_err() {
            return 10;
        }
        if sys::kill(sys::getpid(), Signal::Usr1).is_err() {
            return 11;
        }
        match (TAKEN.load(Ordering::SeqCst), node_of(sys::getpid())) {
            (2, Ok(2)) => 0,
            (1, Ok(2)) => 12,
            (_, Ok(2)) => 13,
            _ => 14,
        }
    })?;
    let status = reap(pid)?;
    ensure(status == 0, || match status {
        12 => String::from("it moved to satellite 2, but the blocked SIGUSR1 was lost on the way"),
        14 => String::from("it did not move to satellite 2"),
        _ => format!("the child exited with {status}"),
    })
}

fn from_a_satellite() -> Outcome {
    let expected = crunch(ROUNDS);
    let (pid, read_end) = computing_child(Some(1))?;
    ensure(node_of(pid)? == 1, || format!("{pid} not forked onto node 1"))?;
    move_to(pid, 2)?;
    move_to(pid, 0)?;
    let got = result_of(read_end)?;
    ensure(reap(pid)? == 0, || format!("{pid} did not exit 0"))?;
    ensure(got == expected, || format!("moved: {got:#010x}, unmoved: {expected:#010x}"))
}

fn moves_itself() -> Outcome {
    let parent = sys::getpid();
    let (read_end, write_end) = ok("pipe", sys::pipe())?;
    let pid = spawn(move || {
        let me = sys::getpid();
        let mut seen = [0u32; 4];
        for (i, node) in [2u32, 1, 0, 3].into_iter().enumerate() {
            if sys::migrate(0, node).is_err() {
                return 1;
            }
            seen[i] = node_of(me).unwrap_or(99);
        }
        let line = format!("{me} {} {:?}", sys::getppid(), seen);
        i32::from(sys::write_all(write_end, line.as_bytes()).is_err())
    })?;
    ok("close", sys::close(write_end))?;
    let said = ok("read", sys::read_to_end(read_end))?;
    ok("close", sys::close(read_end))?;
    ensure(reap(pid)? == 0, || format!("{pid} failed to move itself"))?;
    let expected = format!("{pid} {parent} [2, 1, 0, 3]");
    ensure(said == expected.as_bytes(), || {
        format!("it said {:?}, not {expected:?}", core::str::from_utf8(&said))
    })
}

/// Moves `pid` to `node` from a helper process, whose `migrate` waits until it has moved or
/// failed; the helper's pid. The helper exits 0 when the move was done, else with the error's
/// number.
fn mover(pid: Pid, node: u32) -> Result<Pid, alloc::string::String> {
    spawn(move || sys::migrate(pid, node).map_or_else(|e| e as i32, |()| 0))
}

/// The node this process runs on, and `node` or, if that is this one, satellite 1: where a
/// child of this process is sent.
fn elsewhere(node: u32) -> Result<(u32, u32), alloc::string::String> {
    let here = suite::my_node()?;
    Ok((here, if here == node { 1 } else { node }))
}

/// Where [`asleep`] moves a sleeper: one satellite, another, then home — every direction
/// from here (the central, or the satellite this suite runs on).
fn sleeper_path() -> Result<[u32; 3], String> {
    let here = suite::my_node()?;
    let mut satellites = [1u32, 2, 3].into_iter().filter(|n| *n != here);
    let first = satellites.next().unwrap_or(1);
    let second = satellites.next().unwrap_or(2);
    Ok([first, second, 0])
}

/// The state `ps` shows for `pid`.
fn state_of(pid: Pid) -> Result<u8, String> {
    let table = ok("ps", sys::ps(64))?;
    table.iter().find(|p| p.pid == pid).map(|p| p.state).ok_or_else(|| format!("{pid} not in ps"))
}

/// Moves `pid`, asleep in a call, along [`sleeper_path`]: each `migrate` returns once it has
/// moved, while it still sleeps, and `ps` shows it asleep on each node. Ends at home.
fn asleep(pid: Pid) -> Outcome {
    ok("sleep", sys::sleep(2))?;
    for node in sleeper_path()? {
        ok(&format!("migrate {pid} to {node}"), sys::migrate(pid, node))?;
        ensure(node_of(pid)? == node, || format!("{pid} is not on node {node} after its move"))?;
        let state = state_of(pid)?;
        ensure(state == b'S', || format!("{pid} shows {:?} on node {node}, not asleep", state as char))?;
    }
    Ok(())
}

fn asleep_in_read() -> Outcome {
    let (to_child, from_parent) = {
        let (r, w) = ok("pipe", sys::pipe())?;
        (w, r)
    };
    let (answer_r, answer_w) = ok("pipe", sys::pipe())?;
    let pid = spawn(move || {
        let mut byte = [0u8; 1];
        if sys::read(from_parent, &mut byte) != Ok(1) {
            return 1;
        }
        let node = node_of(sys::getpid()).unwrap_or(99);
        i32::from(sys::write_all(answer_w, &[byte[0], node as u8]).is_err())
    })?;
    ok("close", sys::close(from_parent))?;
    ok("close", sys::close(answer_w))?;
    asleep(pid)?;
    ok("write", sys::write_all(to_child, b"x"))?;
    let answer = ok("read", sys::read_to_end(answer_r))?;
    ok("close", sys::close(answer_r))?;
    ok("close", sys::close(to_child))?;
    ensure(reap(pid)? == 0, || format!("{pid} failed"))?;
    ensure(answer == [b'x', 0], || format!("it read and ran at {answer:?}, not x at home"))
}

fn asleep_in_wait() -> Outcome {
    let (answer_r, answer_w) = ok("pipe", sys::pipe())?;
    let (go_r, go_w) = ok("pipe", sys::pipe())?;
    let pid = spawn(move || {
        let grandchild = match sys::fork() {
            Ok(sys::Fork::Child) => {
                let mut byte = [0u8; 1];
                let _ = sys::read(go_r, &mut byte);
                sys::exit(7)
            }
            Ok(sys::Fork::Parent(pid)) => pid,
            Err(_) => return 1,
        };
        let status = sys::wait(Some(grandchild)).map(|(_, s)| s);
        let node = node_of(sys::getpid()).unwrap_or(99);
        let reaped = u8::from(status == Ok(WaitStatus::Exited(7)));
        i32::from(sys::write_all(answer_w, &[reaped, node as u8]).is_err())
    })?;
    ok("close", sys::close(answer_w))?;
    ok("close", sys::close(go_r))?;
    asleep(pid)?;
    ok("write", sys::write_all(go_w, b"g"))?;
    let answer = ok("read", sys::read_to_end(answer_r))?;
    ok("close", sys::close(answer_r))?;
    ok("close", sys::close(go_w))?;
    ensure(reap(pid)? == 0, || format!("{pid} failed"))?;
    ensure(answer == [1, 0], || format!("reaped and ran at {answer:?}, not [1, 0] (at home)"))
}

/// Ticks the sleeper of [`asleep_in_sleep`] sleeps, and after how many it is moved.
const NAP: u32 = 400;
const MOVED_AFTER: u32 = 300;

fn asleep_in_sleep() -> Outcome {
    let (answer_r, answer_w) = ok("pipe", sys::pipe())?;
    let start = sys::uptime();
    let pid = spawn(move || {
        if sys::sleep(NAP).is_err() {
            return 1;
        }
        let node = node_of(sys::getpid()).unwrap_or(99);
        i32::from(sys::write_all(answer_w, &[node as u8]).is_err())
    })?;
    ok("close", sys::close(answer_w))?;
    ok("sleep", sys::sleep(MOVED_AFTER))?;
    asleep(pid)?;
    let answer = ok("read", sys::read_to_end(answer_r))?;
    let slept = sys::uptime() - start;
    ok("close", sys::close(answer_r))?;
    ensure(reap(pid)? == 0, || format!("{pid} failed"))?;
    ensure(answer == [0], || format!("it woke at {answer:?}, not at home"))?;
    // Its moves cost some ticks (a hundred on lossy links); sleeping its whole nap again after
    // a move would end it after `MOVED_AFTER + NAP` at the earliest.
    ensure((NAP..MOVED_AFTER + NAP).contains(&slept), || {
        format!("it slept {slept} ticks in all for a sleep of {NAP}, moved after {MOVED_AFTER}")
    })
}

/// The `SIGUSR1`s the pauser of [`asleep_in_pause`] took.
static WOKEN: AtomicU32 = AtomicU32::new(0);

fn woken(_: Signal) {
    WOKEN.fetch_add(1, Ordering::SeqCst);
}

fn asleep_in_pause() -> Outcome {
    let (answer_r, answer_w) = ok("pipe", sys::pipe())?;
    let pid = spawn(move || {
        if signal::set(Signal::Usr1, Handler::Catch(woken)).is_err() {
            return 1;
        }
        let paused = signal::pause();
        let node = node_of(sys::getpid()).unwrap_or(99);
        let took = WOKEN.load(Ordering::SeqCst) as u8;
        i32::from(sys::write_all(answer_w, &[u8::from(paused == Errno::Intr), took, node as u8]).is_err())
    })?;
    ok("close", sys::close(answer_w))?;
    asleep(pid)?;
    ok("kill", sys::kill(pid, Signal::Usr1))?;
    let answer = ok("read", sys::read_to_end(answer_r))?;
    ok("close", sys::close(answer_r))?;
    ensure(reap(pid)? == 0, || format!("{pid} failed"))?;
    ensure(answer == [1, 1, 0], || format!("pause, handler, node: {answer:?}, not EINTR, 1 and home"))
}

fn refusals() -> Outcome {
    refused("migrate to node 99", sys::migrate(sys::getpid(), 99), Errno::Inval)?;
    refused("migrate init", sys::migrate(1, 1), Errno::Perm)?;
    refused("migrate pid 9999", sys::migrate(9999, 1), Errno::Srch)?;
    let (ready_r, ready_w) = ok("pipe", sys::pipe())?;
    let (go_r, go_w) = ok("pipe", sys::pipe())?;
    let pid = spawn(move || {
        // A port-destroyed request on its port, to a port whose receive right it then sends
        // away (in a message queued on a third): the request would stay behind.
        let asked = port::allocate(PORT_RIGHT_RECEIVE).and_then(|p| {
            let (notify, away) = (port::allocate(PORT_RIGHT_RECEIVE)?, port::allocate(PORT_RIGHT_RECEIVE)?);
            port::request_notification(p, NOTIFY_PORT_DESTROYED, notify)?;
            let gone = Msg::new(away, MSG_MAKE_SEND, 0, vec![SendItem::Port(notify, MSG_MOVE_RECEIVE)]);
            port::send(&gone, FOREVER)
        });
        if asked.is_err() {
            return 2;
        }
        let _ = sys::write_all(ready_w, b"p");
        let mut byte = [0u8; 1];
        let _ = sys::read(go_r, &mut byte);
        0
    })?;
    let mut byte = [0u8; 1];
    ok("read", sys::read(ready_r, &mut byte))?;
    let (here, there) = elsewhere(2)?;
    let helper = mover(pid, there)?;
    ok("sleep", sys::sleep(2))?;
    ok("write", sys::write_all(go_w, b"q"))?;
    let status = reap(helper)?;
    ensure(status == Errno::Busy as i32, || {
        format!("migrate a notified port holder: status {status}, not EBUSY")
    })?;
    ensure(node_of(pid)? == here, || format!("{pid} moved"))?;
    for fd in [ready_r, ready_w, go_r, go_w] {
        ok("close", sys::close(fd))?;
    }
    ensure(reap(pid)? == 0, || format!("{pid} failed"))?;
    too_big()
}

/// Heap that no satellite's 16 MiB holds.
const TOO_BIG_KIB: u32 = 20 * 1024;

/// A process with more memory than a satellite has (it goes home to grow) is refused there
/// (`ENOMEM`) and runs on at home with every page it wrote.
fn too_big() -> Outcome {
    let (ready_r, ready_w) = ok("pipe", sys::pipe())?;
    let (go_r, go_w) = ok("pipe", sys::pipe())?;
    let pid = spawn(move || {
        if sys::migrate(0, 0).is_err() {
            return 3;
        }
        let Ok(start) = sys::sbrk((TOO_BIG_KIB * 1024) as i32) else { return 2 };
        for page in 0..TOO_BIG_KIB / 4 {
            // Safety: the page was just added to the heap by `sbrk`; nothing else refers to it.
            unsafe { start.add(page as usize * 4096).write_volatile(page as u8) };
        }
        let _ = sys::write_all(ready_w, b"r");
        let mut byte = [0u8; 1];
        let _ = sys::read(go_r, &mut byte);
        let intact = (0..TOO_BIG_KIB / 4).all(|page| {
            // Safety: the page is this process's heap, written above.
            unsafe { start.add(page as usize * 4096).read_volatile() == page as u8 }
        });
        i32::from(!intact)
    })?;
    let mut byte = [0u8; 1];
    let ready = ok("read", sys::read(ready_r, &mut byte))?;
    ensure(ready == 1, || String::from("the big process could not grow"))?;
    let helper = mover(pid, 2)?;
    ok("sleep", sys::sleep(2))?;
    ok("write", sys::write_all(go_w, b"g"))?;
    let status = reap(helper)?;
    ensure(status == Errno::NoMem as i32, || {
        format!("migrate a 20 MiB process: status {status}, not ENOMEM")
    })?;
    ensure(node_of(pid)? == 0, || format!("{pid} left home"))?;
    for fd in [ready_r, ready_w, go_r, go_w] {
        ok("close", sys::close(fd))?;
    }
    ensure(reap(pid)? == 0, || format!("{pid} failed"))
}

/// Rounds of each balanced process's work, in [`SLICES`] slices: about a virtual second.
const BALANCED_ROUNDS: u32 = 5_000_000;
const SLICES: u32 = 50;

fn balancing() -> Outcome {
    let was = ok("balance read", sys::balance(0, None))?;
    ok("balance on", sys::balance(0, Some(true)))?;
    let outcome = spread();
    ok("balance restore", sys::balance(0, Some(was)))?;
    outcome
}

/// Starts the six on satellite 1 (the first pinned there); each exits with the set of nodes
/// it ran on (a bit each), or 255 for a wrong result.
fn spread() -> Outcome {
    let expected = crunch(BALANCED_ROUNDS / SLICES);
    let mut pids = alloc::vec::Vec::new();
    for i in 0..6 {
        let pid = spawn_on(1, move || {
            let me = sys::getpid();
            let mut nodes = 0u8;
            for _ in 0..SLICES {
                if crunch(BALANCED_ROUNDS / SLICES) != expected {
                    return 255;
                }
                nodes |= 1 << node_of(me).unwrap_or(7).min(7);
            }
            i32::from(nodes)
        })?;
        if i == 0 {
            ok("balance pin", sys::balance(pid, Some(false)))?;
        }
        pids.push(pid);
    }
    let mut visited = 0u8;
    for (i, pid) in pids.into_iter().enumerate() {
        let nodes = reap(pid)?;
        ensure(nodes != 255, || format!("{pid} computed wrong"))?;
        if i == 0 {
            ensure(nodes == 0b10, || format!("the pinned {pid} ran on nodes {nodes:#b}"))?;
        }
        visited |= nodes as u8;
    }
    ensure(visited.count_ones() >= 3, || format!("the six ran on nodes {visited:#b} only"))
}

/// Reads exactly `buf.len()` bytes from `fd` (`EIO` at an early end).
fn read_full(fd: u32, buf: &mut [u8]) -> Result<(), Errno> {
    let mut done = 0;
    while done < buf.len() {
        match sys::read(fd, &mut buf[done..])? {
            0 => return Err(Errno::Io),
            n => done += n as usize,
        }
    }
    Ok(())
}

/// A word each process of [`isolation`] holds, for the other to try to read.
static MARK: AtomicU32 = AtomicU32::new(0);

/// What a process of [`isolation`] gets trying to signal (`SIGUSR1`) and read the memory of
/// `other`: a byte each, 0 for success or the errno.
fn try_other(other: Pid) -> [u8; 2] {
    let code = |r: Result<(), Errno>| r.map_or_else(|e| e as u8, |()| 0);
    let mut word = [0u8; 4];
    let read = ox_ulib::vm::read(other, MARK.as_ptr() as u32, &mut word);
    [code(sys::kill(other, Signal::Usr1)), code(read)]
}

fn isolation() -> Outcome {
    let (_, node) = elsewhere(2)?;
    let (a_says_r, a_says_w) = ok("pipe", sys::pipe())?;
    let (b_says_r, b_says_w) = ok("pipe", sys::pipe())?;
    let (go_a_r, go_a_w) = ok("pipe", sys::pipe())?;
    let (go_b_r, go_b_w) = ok("pipe", sys::pipe())?;
    let (b_pid_r, b_pid_w) = ok("pipe", sys::pipe())?;
    let wait_on = |fd: u32| {
        let mut byte = [0u8; 1];
        sys::read(fd, &mut byte).map(|_| byte[0])
    };
    // A: user 1000, moved to `node` by this process; when told, tries B and reports.
    let a = spawn(move || {
        MARK.store(0xa, Ordering::Relaxed);
        if sys::setuid(1000).is_err() || sys::write_all(a_says_w, b"r").is_err() {
            return 1;
        }
        let _ = wait_on(go_a_r);
        let mut pid = [0u8; 4];
        if sys::read(b_pid_r, &mut pid) != Ok(4) {
            return 2;
        }
        let tried = try_other(u32::from_le_bytes(pid));
        let here = node_of(sys::getpid()).unwrap_or(99) as u8;
        let _ = sys::write_all(a_says_w, &[tried[0], tried[1], here]);
        // Waits to be signalled by its own user (the end of the case).
        let _ = wait_on(go_a_r);
        3
    })?;
    ok("read", sys::read(a_says_r, &mut [0u8; 1]))?;
    ok(&format!("migrate {a} to {node}"), sys::migrate(a, node))?;
    // B: user 2000, moves itself beside A and tries it.
    let b = spawn(move || {
        MARK.store(0xb, Ordering::Relaxed);
        if sys::setuid(2000).is_err() || sys::migrate(0, node).is_err() {
            return 1;
        }
        let tried = try_other(a);
        let here = node_of(sys::getpid()).unwrap_or(99) as u8;
        let _ = sys::write_all(b_says_w, &[tried[0], tried[1], here]);
        let _ = wait_on(go_b_r);
        0
    })?;
    let mut said = [0u8; 3];
    ok("read", read_full(b_says_r, &mut said))?;
    let eperm = Errno::Perm as u8;
    ensure(said == [eperm, eperm, node as u8], || {
        format!("user 2000 beside user 1000's process on {node}: kill, read, node = {said:?}, not EPERM twice on {node}")
    })?;
    // The other way round: A, woken, tries B.
    ok("write", sys::write_all(b_pid_w, &b.to_le_bytes()))?;
    ok("write", sys::write_all(go_a_w, b"g"))?;
    ok("read", read_full(a_says_r, &mut said))?;
    ensure(said == [eperm, eperm, node as u8], || {
        format!("user 1000 beside user 2000's process on {node}: kill, read, node = {said:?}, not EPERM twice on {node}")
    })?;
    // C: user 1000 too, moved there: it may signal A (which ends it).
    let c = spawn(move || {
        if sys::setuid(1000).is_err() || sys::migrate(0, node).is_err() {
            return 1;
        }
        i32::from(sys::kill(a, Signal::Kill).is_err()) * 2
    })?;
    ensure(reap(c)? == 0, || format!("user 1000's {c} could not signal its own user's {a}"))?;
    let status = ok("wait", sys::wait(Some(a)).map(|(_, s)| s))?;
    ensure(status == WaitStatus::Signaled(Signal::Kill), || format!("{a} ended {status:?}, not killed"))?;
    ok("write", sys::write_all(go_b_w, b"g"))?;
    ensure(reap(b)? == 0, || format!("{b} failed"))?;
    for fd in [a_says_r, a_says_w, b_says_r, b_says_w, go_a_r, go_a_w, go_b_r, go_b_w, b_pid_r, b_pid_w] {
        ok("close", sys::close(fd))?;
    }
    Ok(())
}

/// Ids of the messages [`ports_move`] sends its holder: two before the moves, one between
/// two of them, one after; then one once it sleeps in a receive on the satellite.
const QUEUED: [u32; 4] = [1, 2, 3, 4];
const WAKE: u32 = 5;
/// The holder's answers: its verdict at home, then the node that woke it.
const VERDICT: u32 = 100;
const WOKE_ON: u32 = 101;

fn ports_move() -> Outcome {
    let inbox = ok("allocate", port::allocate(PORT_RIGHT_RECEIVE))?;
    let tag = format!("migtest.{}", sys::getpid());
    ok("register", port::register(&tag, inbox, MSG_MAKE_SEND))?;
    let (go_r, go_w) = ok("pipe", sys::pipe())?;
    let holder_tag = tag.clone();
    let pid = spawn(move || holder(&holder_tag, go_r))?;
    ok("close", sys::close(go_r))?;
    let hello = ok("receive", port::receive(inbox, FOREVER))?;
    let Some(&GotItem::Port(to_holder, _)) = hello.items.first() else {
        return Err(format!("the holder's hello carried {:?}, not its port", hello.items));
    };
    let send = |id: u32| ok("send", port::send(&Msg::new(to_holder, MSG_COPY_SEND, id, vec![]), FOREVER));
    send(QUEUED[0])?;
    send(QUEUED[1])?;
    let path = sleeper_path()?;
    ok("sleep", sys::sleep(2))?;
    for (i, node) in path.into_iter().enumerate() {
        ok(&format!("migrate {pid} to {node}"), sys::migrate(pid, node))?;
        ensure(node_of(pid)? == node, || format!("{pid} is not on node {node} after its move"))?;
        ensure(state_of(pid)? == b'S', || format!("{pid} is not asleep on node {node}"))?;
        if i == 0 {
            send(QUEUED[2])?;
        }
    }
    send(QUEUED[3])?;
    ok("write", sys::write_all(go_w, b"g"))?;
    let verdict = ok("receive", port::receive(inbox, FOREVER))?;
    let said = match verdict.items.first() {
        Some(GotItem::Inline(bytes)) => String::from_utf8_lossy(bytes).into_owned(),
        other => format!("{other:?}"),
    };
    ensure(verdict.id == VERDICT && said == "ok", || format!("the holder at home: {said}"))?;
    // Asleep in a receive on its port set, it moves at once, along the sleeper's path; the
    // next message wakes it at home.
    asleep(pid)?;
    send(WAKE)?;
    let woke = ok("receive", port::receive(inbox, FOREVER))?;
    let node = match woke.items.first() {
        Some(GotItem::Inline(bytes)) if bytes.len() == 4 => {
            u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]])
        }
        _ => u32::MAX,
    };
    ensure(woke.id == WOKE_ON && node == 0, || {
        format!("woken with {:?} on node {node}, not at home", woke.id)
    })?;
    // Its no-senders notification, asked before the moves, comes when this lets go.
    ok("deallocate", port::deallocate(to_holder))?;
    ok("close", sys::close(go_w))?;
    ensure(reap(pid)? == 0, || format!("{pid} had no no-senders notification"))?;
    ok("destroy", port::destroy(inbox))
}

/// The process [`ports_move`] moves: makes its ports, says hello with a send right to its
/// port, sleeps in `read` on `go` while it is moved, checks at home and says what it found,
/// then receives once more (moved while it sleeps in that receive) and says where it woke.
/// Exits 0, or 1 if it could not report.
fn holder(tag: &str, go: u32) -> i32 {
    let Ok(parent) = port::lookup(tag) else { return 1 };
    let say = |id: u32, bytes: Vec<u8>| {
        port::send(&Msg::new(parent, MSG_COPY_SEND, id, vec![SendItem::Inline(bytes)]), FOREVER).is_ok()
    };
    let checked = holder_checks(parent, go);
    let verdict = checked.as_ref().err().cloned().unwrap_or_else(|| String::from("ok"));
    if !say(VERDICT, verdict.into_bytes()) {
        return 1;
    }
    let Ok((set, task, watch)) = checked else { return 0 };
    let woke = port::receive(set, FOREVER).ok().filter(|got| got.id == WAKE);
    let node = match (woke, port::task_info(task)) {
        (Some(_), Ok((_, node))) if node_of(sys::getpid()) == Ok(node) => node,
        _ => u32::MAX,
    };
    if !say(WOKE_ON, node.to_le_bytes().to_vec()) {
        return 1;
    }
    // The suite lets go of its send right (through the forwarders the moves left): the
    // request asked before the moves tells this process here.
    let told = port::receive(watch, FOREVER).ok().map(|got| got.id);
    i32::from(told != Some(NOTIFY_NO_SENDERS))
}

/// [`holder`]'s ports, its hello, its sleep and what it checks at home: its port set and
/// task port and the port its no-senders notification goes to, or what was wrong.
fn holder_checks(parent: u32, go: u32) -> Result<(u32, u32, u32), String> {
    let mine = ok("allocate", port::allocate(PORT_RIGHT_RECEIVE))?;
    ok("qlimit", port::set_qlimit(mine, 6))?;
    ok("make send", port::insert_right(mine, MSG_MAKE_SEND, sys::getpid(), mine))?;
    ok("mod_refs", port::mod_refs(mine, PORT_RIGHT_SEND, 1))?;
    let set = ok("allocate set", port::allocate(PORT_RIGHT_PORT_SET))?;
    ok("move member", port::move_member(mine, set))?;
    // Told when no one can send to `mine` any more: after the moves, when the suite lets go.
    let watch = ok("allocate", port::allocate(PORT_RIGHT_RECEIVE))?;
    ok("request no-senders", port::request_notification(mine, NOTIFY_NO_SENDERS, watch))?;
    let dead = ok("allocate dead name", port::allocate(PORT_RIGHT_DEAD_NAME))?;
    let task = ok("task_self", port::task_self())?;
    let hello = Msg::new(parent, MSG_COPY_SEND, 0, vec![SendItem::Port(mine, MSG_MAKE_SEND)]);
    ok("hello", port::send(&hello, FOREVER))?;
    let mut byte = [0u8; 1];
    ok("read", sys::read(go, &mut byte))?;
    let here = suite::my_node()?;
    ensure(here == 0, || format!("woke on node {here}, not at home"))?;
    let types = [mine, set, dead, parent].map(|name| port::port_type(name).unwrap_or(0));
    let expected =
        [PORT_TYPE_RECEIVE | PORT_TYPE_SEND, PORT_TYPE_PORT_SET, PORT_TYPE_DEAD_NAME, PORT_TYPE_SEND];
    ensure(types == expected, || format!("names denote {types:?}, not {expected:?}"))?;
    // Two send references: one goes, one stays; then the other.
    ok("mod_refs", port::mod_refs(mine, PORT_RIGHT_SEND, -1))?;
    ensure(port::port_type(mine) == Ok(PORT_TYPE_RECEIVE | PORT_TYPE_SEND), || {
        String::from("one send reference")
    })?;
    ok("mod_refs", port::mod_refs(mine, PORT_RIGHT_SEND, -1))?;
    for id in QUEUED {
        let got = ok("receive", port::receive(set, FOREVER))?;
        ensure((got.port, got.id) == (mine, id), || {
            format!("got {} on {}, not {id} on {mine}", got.id, got.port)
        })?;
    }
    let (pid, node) = ok("task_info", port::task_info(task))?;
    ensure((pid, node) == (sys::getpid(), 0), || format!("its task port says pid {pid} on node {node}"))?;
    Ok((set, task, watch))
}

/// `migtest console` (`tests/tests/suites.rs` types the line): a child asleep in `read` on the
/// console is moved along the sleeper's path; once it is home, this says so and the test types
/// a line, which the child reads there and says.
fn asleep_on_the_console() -> Outcome {
    let (answer_r, answer_w) = ok("pipe", sys::pipe())?;
    let pid = spawn(move || {
        let mut line = [0u8; 64];
        let Ok(n) = sys::read(0, &mut line) else { return 1 };
        let node = node_of(sys::getpid()).unwrap_or(99);
        let mut answer = line[..n].to_vec();
        answer.push(node as u8);
        i32::from(sys::write_all(answer_w, &answer).is_err())
    })?;
    ok("close", sys::close(answer_w))?;
    asleep(pid)?;
    ox_ulib::println!("migtest: moved home asleep; type a line");
    let answer = ok("read", sys::read_to_end(answer_r))?;
    ok("close", sys::close(answer_r))?;
    ensure(reap(pid)? == 0, || format!("{pid} failed"))?;
    let (node, line) = answer.split_last().ok_or_else(|| String::from("no answer"))?;
    ox_ulib::println!("migtest: read {:?} on node {node}", String::from_utf8_lossy(line).trim_end());
    ensure(*node == 0 && !line.is_empty(), || format!("read {line:?} on node {node}, not a line at home"))
}
