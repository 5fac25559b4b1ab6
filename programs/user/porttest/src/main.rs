//! `porttest`: Mach ports (docs/ports.md), as a test, in the spirit of GNU Mach's
//! `tests/test-mach_port.c` and `tests/test-machmsg.c`: rights and reference counts, bad names
//! and rights, messages with their boundaries, queue limits with a timeout and a blocked sender
//! woken, rights carried in messages, an RPC between two processes, send-once rights and their
//! notification, dead-name and no-senders notifications when a process ends, port sets, a
//! receive interrupted by a signal, out-of-line memory copy-on-write both ways; and across
//! nodes, with a child on another node (a satellite: the first satellite from the central,
//! another satellite from a satellite): an RPC through the name service, rights carried and a
//! no-senders notification coming back, a full queue holding the far sender back (it times
//! out, then blocks, and nothing is lost or reordered), a dead name when the far task ends, a
//! receive right moving with its queue, a task port, out-of-line memory (8 KiB inside a
//! message, and 1 MiB in pieces, copy-on-write as it was sent).
//!
//! Each case prints `porttest: NAME: ok` or `porttest: NAME: FAILED: why`; the last line is
//! `porttest: N passed, M failed`. The transcript is the same on any node. Its children stay on
//! its node (placement `local`) but for the cross-node cases: a process's ports live where it
//! runs.

#![no_std]
#![no_main]

extern crate alloc;

use alloc::format;
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicU32, Ordering};

use ox_ulib::abi::{Errno, Placement, Signal, Syscall, WaitStatus, MSG_SIZE_MAX};
use ox_ulib::counter;
use ox_ulib::port::{
    self, Got, GotItem, Msg, RawItem, RawMsg, SendItem, FOREVER, MSG_COPY_SEND, MSG_MAKE_SEND,
    MSG_MAKE_SEND_ONCE, MSG_MOVE_RECEIVE, MSG_MOVE_SEND_ONCE, NOTIFY_DEAD_NAME, NOTIFY_NO_SENDERS,
    NOTIFY_SEND_ONCE, PORT_RIGHT_PORT_SET, PORT_RIGHT_RECEIVE, PORT_RIGHT_SEND, PORT_RIGHT_SEND_ONCE,
    PORT_TYPE_DEAD_NAME, PORT_TYPE_RECEIVE, PORT_TYPE_SEND,
};
use ox_ulib::println;
use ox_ulib::signal::{self, Handler};
use ox_ulib::suite::{self, ensure, ok, other_node, reap, refused, spawn, spawn_on, Outcome};
use ox_ulib::sys::{self, Pid};
use ox_ulib::vm::{self, Place};

ox_ulib::entry!(main);

/// The name a parent gives its child's right under (`port_insert_right`).
const GIVEN: u32 = 100;

fn main(_: &[&str]) -> i32 {
    if let Err(e) = sys::set_placement(Placement::Local) {
        println!("porttest: place local: {}", e.name());
        return 1;
    }
    let cases: [(&str, fn() -> Outcome); 23] = [
        ("rights and reference counts", rights),
        ("bad names, rights and messages", bad_input),
        ("messages keep boundaries and order", boundaries),
        ("a full queue: timeout, then a blocked sender woken", queue_limit),
        ("a wait with a time limit ends when the message comes", timed_wait),
        ("rights carried in messages", carried),
        ("an RPC between two processes", rpc),
        ("msg_rpc: request and answer in one call each", rpc_one_call),
        ("a send-once right destroyed unused", send_once),
        ("a process ends: dead name for its senders", dead_name),
        ("a process ends: no senders for its receiver", no_senders),
        ("port sets in arrival order", port_sets),
        ("a blocked receive interrupted by a signal", interrupted),
        ("out-of-line memory, copy-on-write both ways", out_of_line),
        ("across nodes: an RPC through the name service", remote_rpc),
        ("across nodes: msg_rpc, request and answer in one call each", remote_rpc_one_call),
        ("across nodes: rights carried, no senders back", remote_rights),
        ("across nodes: a full queue holds the far sender back", remote_queue_limit),
        ("across nodes: a dead name when the far task ends", remote_dead_name),
        ("across nodes: a receive right moves with its queue", remote_move),
        ("across nodes: a task port", remote_task_port),
        ("across nodes: out-of-line memory", remote_out_of_line),
        ("nothing left: no port, name or message on the node", nothing_left),
    ];
    suite::run("porttest", cases)
}

fn inline(bytes: &[u8]) -> SendItem {
    SendItem::Inline(bytes.to_vec())
}

/// In a child: waits until its parent gave it a right under [`GIVEN`].
fn await_given() -> bool {
    for _ in 0..10_000 {
        if port::port_type(GIVEN).is_ok() {
            return true;
        }
        sys::yield_now();
    }
    false
}

fn rights() -> Outcome {
    let p = ok("allocate", port::allocate(PORT_RIGHT_RECEIVE))?;
    ensure(ok("type", port::port_type(p))? == PORT_TYPE_RECEIVE, || String::from("not a receive right"))?;
    let same = ok("extract make-send", port::extract_right(p, MSG_MAKE_SEND))?;
    ensure(same == p, || format!("the send right is under {same}, not {p}"))?;
    ensure(ok("type", port::port_type(p))? == PORT_TYPE_RECEIVE | PORT_TYPE_SEND, || {
        String::from("no send right")
    })?;
    ok("mod_refs +2", port::mod_refs(p, PORT_RIGHT_SEND, 2))?;
    refused("mod_refs below zero", port::mod_refs(p, PORT_RIGHT_SEND, -4), Errno::Inval)?;
    ok("mod_refs -3", port::mod_refs(p, PORT_RIGHT_SEND, -3))?;
    ensure(ok("type", port::port_type(p))? == PORT_TYPE_RECEIVE, || String::from("send rights left"))?;
    ok("destroy", port::destroy(p))?;
    refused("type of a destroyed name", port::port_type(p), Errno::BadName)
}

fn bad_input() -> Outcome {
    let p = ok("allocate", port::allocate(PORT_RIGHT_RECEIVE))?;
    refused("an unknown name", port::port_type(9999), Errno::BadName)?;
    refused("a right it does not hold", port::mod_refs(p, PORT_RIGHT_SEND_ONCE, -1), Errno::BadRight)?;
    refused("a queue limit of 17", port::set_qlimit(p, 17), Errno::Inval)?;
    refused("an unknown right", port::allocate(9), Errno::Inval)?;
    refused(
        "a send to a receive-only name",
        port::send(&Msg::new(p, MSG_COPY_SEND, 1, vec![]), 0),
        Errno::BadRight,
    )?;
    let mut bad = Msg::new(p, MSG_MAKE_SEND, 1, vec![inline(b"x")]).encode();
    bad[24] = 9;
    let raw = |args: [u32; 6]| {
        // Safety: msg_send only reads the buffer it is given; bad ones are refused.
        Errno::from_result(unsafe { sys::raw_syscall(Syscall::MsgSend as u32, args) })
    };
    ensure(raw([bad.as_ptr() as u32, bad.len() as u32, 0, 0, 0, 0]) == Some(Errno::Inval), || {
        String::from("an unknown item kind was accepted")
    })?;
    ensure(raw([0x8000_0000, 24, 0, 0, 0, 0]) == Some(Errno::Fault), || {
        String::from("a kernel pointer was read")
    })?;
    ensure(raw([bad.as_ptr() as u32, MSG_SIZE_MAX + 4, 0, 0, 0, 0]) == Some(Errno::TooBig), || {
        String::from("an oversize message was taken")
    })?;
    refused("a receive from an empty port, polled", port::receive(p, 0), Errno::TimedOut)?;
    ok("destroy", port::destroy(p))
}

fn boundaries() -> Outcome {
    let p = ok("allocate", port::allocate(PORT_RIGHT_RECEIVE))?;
    for i in 0..3u8 {
        ok(
            "send",
            port::send(
                &Msg::new(p, MSG_MAKE_SEND, u32::from(i), vec![inline(&vec![i; usize::from(i) * 3 + 1])]),
                0,
            ),
        )?;
    }
    for i in 0..3u8 {
        let got = ok("receive", port::receive(p, 0))?;
        let expected = vec![GotItem::Inline(vec![i; usize::from(i) * 3 + 1])];
        ensure(got.id == u32::from(i) && got.port == p && got.items == expected, || {
            format!("message {i}: {got:?}")
        })?;
    }
    ok("destroy", port::destroy(p))
}

fn queue_limit() -> Outcome {
    let p = ok("allocate", port::allocate(PORT_RIGHT_RECEIVE))?;
    ok("qlimit 1", port::set_qlimit(p, 1))?;
    ok("send", port::send(&Msg::new(p, MSG_MAKE_SEND, 1, vec![]), 0))?;
    refused(
        "a send to a full queue, polled",
        port::send(&Msg::new(p, MSG_MAKE_SEND, 2, vec![]), 0),
        Errno::TimedOut,
    )?;
    refused(
        "with a timeout of 3 ticks",
        port::send(&Msg::new(p, MSG_MAKE_SEND, 2, vec![]), 3),
        Errno::TimedOut,
    )?;
    ok("receive", port::receive(p, 0))?;
    let child = spawn(|| {
        if !await_given() {
            return 20;
        }
        for i in 0..4 {
            if port::send(&Msg::new(GIVEN, MSG_COPY_SEND, 10 + i, vec![]), FOREVER).is_err() {
                return 21;
            }
        }
        0
    })?;
    ok("insert a send right in the child", port::insert_right(p, MSG_MAKE_SEND, child, GIVEN))?;
    let mut ids = Vec::new();
    for _ in 0..4 {
        ids.push(ok("receive", port::receive(p, FOREVER))?.id);
    }
    let code = reap(child)?;
    ensure(code == 0 && ids == [10, 11, 12, 13], || format!("the child: {code}, ids {ids:?}"))?;
    ok("destroy", port::destroy(p))
}

/// A receive with a time limit takes a message when it comes, not at the next tick: a child
/// sends one a tenth of a tick after a tick (its virtual time in it) and sleeps, and the
/// receive, made before with a limit of 1,000 ticks, returns well before the next tick.
fn timed_wait() -> Outcome {
    const TICK_NS: u64 = ox_ulib::abi::TICK_NS;
    let p = ok("allocate", port::allocate(PORT_RIGHT_RECEIVE))?;
    let child = spawn(|| {
        let send = |id: u32, at: u64| {
            let item = SendItem::Inline(at.to_le_bytes().to_vec());
            port::send(&Msg::new(GIVEN, MSG_COPY_SEND, id, vec![item]), FOREVER).is_ok()
        };
        // A first message, which also brings in the pages a send touches (this child's are
        // its parent's, copied on first write): the second is sent at once.
        if !await_given() || !send(0, 0) {
            return 20;
        }
        // Into the next tick, then a tenth of one on.
        let tick = counter::time_ns() / TICK_NS + 1;
        while counter::time_ns() < tick * TICK_NS + TICK_NS / 10 {}
        if !send(1, counter::time_ns()) {
            return 21;
        }
        // Off the processor, so that the parent runs as soon as it is woken.
        let _ = sys::sleep(2);
        0
    })?;
    ok("insert a send right in the child", port::insert_right(p, MSG_MAKE_SEND, child, GIVEN))?;
    ok("receive the first", port::receive(p, FOREVER))?;
    let got = ok("receive", port::receive(p, 1_000))?;
    let received = counter::time_ns();
    let code = reap(child)?;
    let sent = match &got.items[..] {
        [GotItem::Inline(bytes)] => <[u8; 8]>::try_from(&bytes[..]).map(u64::from_le_bytes).ok(),
        _ => None,
    };
    let Some(sent) = sent.filter(|_| code == 0 && got.id == 1) else {
        return Err(format!("the child: {code}, message {} with {:?}", got.id, got.items));
    };
    ensure(received - sent < TICK_NS / 4, || {
        format!("sent at {sent} ns, received at {received} ns: the receive waited for a tick")
    })?;
    ok("destroy", port::destroy(p))
}

fn carried() -> Outcome {
    let inbox = ok("allocate", port::allocate(PORT_RIGHT_RECEIVE))?;
    let other = ok("allocate", port::allocate(PORT_RIGHT_RECEIVE))?;
    let items = vec![SendItem::Port(other, MSG_MAKE_SEND), SendItem::Port(other, MSG_MAKE_SEND_ONCE)];
    ok("send", port::send(&Msg::new(inbox, MSG_MAKE_SEND, 1, items), 0))?;
    let got = ok("receive", port::receive(inbox, 0))?;
    let [GotItem::Port(send, PORT_RIGHT_SEND), GotItem::Port(once, PORT_RIGHT_SEND_ONCE)] = got.items[..]
    else {
        return Err(format!("items {:?}", got.items));
    };
    ensure(send == other && once != other, || format!("names {send} and {once} for {other}"))?;
    // The receive right itself travels, and comes back under a name of its own.
    ok(
        "move receive",
        port::send(&Msg::new(inbox, MSG_MAKE_SEND, 2, vec![SendItem::Port(other, MSG_MOVE_RECEIVE)]), 0),
    )?;
    let got = ok("receive", port::receive(inbox, 0))?;
    let [GotItem::Port(back, PORT_RIGHT_RECEIVE)] = got.items[..] else {
        return Err(format!("items {:?}", got.items));
    };
    ensure(ok("type", port::port_type(back))? & PORT_TYPE_RECEIVE != 0, || {
        String::from("no receive right back")
    })?;
    ok("destroy", port::destroy(back))?;
    let _ = port::destroy(once);
    let _ = port::receive(inbox, 0);
    ok("destroy", port::destroy(inbox))
}

/// In a child whose parent gives it a right under [`GIVEN`]: a new port, a send right to which
/// goes to the parent; the port's name, or the exit code of the step that failed.
fn offer_service() -> Result<u32, i32> {
    if !await_given() {
        return Err(20);
    }
    let service = port::allocate(PORT_RIGHT_RECEIVE).map_err(|_| 21)?;
    let hello = Msg::new(GIVEN, MSG_COPY_SEND, 1, vec![SendItem::Port(service, MSG_MAKE_SEND)]);
    port::send(&hello, FOREVER).map_err(|_| 22)?;
    Ok(service)
}

/// In the parent: gives `child` a send right to `inbox` under [`GIVEN`], and takes the send
/// right to its service port that the child sends back ([`offer_service`]).
fn service_of(inbox: u32, child: Pid) -> Result<u32, String> {
    ok("insert", port::insert_right(inbox, MSG_MAKE_SEND, child, GIVEN))?;
    let hello = ok("receive the service", port::receive(inbox, FOREVER))?;
    match hello.items[..] {
        [GotItem::Port(service, PORT_RIGHT_SEND)] => Ok(service),
        _ => Err(format!("{:?}", hello.items)),
    }
}

/// A child serving one RPC: it gets the parent's port under [`GIVEN`], sends it a send right
/// to its own service port, then answers one request through the request's reply right.
fn rpc() -> Outcome {
    let inbox = ok("allocate", port::allocate(PORT_RIGHT_RECEIVE))?;
    let child = spawn(|| {
        let service = match offer_service() {
            Ok(service) => service,
            Err(code) => return code,
        };
        let Ok(request) = port::receive(service, FOREVER) else { return 23 };
        let [GotItem::Inline(ref x)] = request.items[..] else { return 24 };
        let answer = Msg::new(request.reply.0, MSG_MOVE_SEND_ONCE, request.id + 1, vec![inline(&[x[0] * 2])]);
        if request.reply.1 != PORT_RIGHT_SEND_ONCE || port::send(&answer, FOREVER).is_err() {
            return 25;
        }
        0
    })?;
    let service = service_of(inbox, child)?;
    let reply_port = ok("allocate", port::allocate(PORT_RIGHT_RECEIVE))?;
    let request = Msg {
        dest: (service, MSG_COPY_SEND),
        reply: (reply_port, MSG_MAKE_SEND_ONCE),
        id: 40,
        items: vec![inline(&[21])],
    };
    ok("request", port::send(&request, FOREVER))?;
    let answer: Got = ok("answer", port::receive(reply_port, FOREVER))?;
    let code = reap(child)?;
    ensure(answer.id == 41 && answer.items == [GotItem::Inline(vec![42])], || format!("answer {answer:?}"))?;
    ensure(code == 0, || format!("the child: exit {code}"))?;
    for name in [service, reply_port, inbox] {
        let _ = port::destroy(name);
    }
    Ok(())
}

fn send_once() -> Outcome {
    let p = ok("allocate", port::allocate(PORT_RIGHT_RECEIVE))?;
    let once = ok("make send-once", port::extract_right(p, MSG_MAKE_SEND_ONCE))?;
    ok("deallocate", port::deallocate(once))?;
    let note = ok("receive the notification", port::receive(p, 0))?;
    ensure(note.id == NOTIFY_SEND_ONCE, || format!("id {:#x}", note.id))?;
    ok("destroy", port::destroy(p))
}

/// The child's port, as a send right here, and the child's pid; the child waits for a byte on
/// `go` (its port) before it exits.
fn child_with_port(inbox: u32) -> Result<(u32, Pid), String> {
    let child = spawn(|| {
        if !await_given() {
            return 20;
        }
        let Ok(mine) = port::allocate(PORT_RIGHT_RECEIVE) else { return 21 };
        if port::send(&Msg::new(GIVEN, MSG_COPY_SEND, 1, vec![SendItem::Port(mine, MSG_MAKE_SEND)]), FOREVER)
            .is_err()
        {
            return 22;
        }
        match port::receive(mine, FOREVER) {
            Ok(_) => 0,
            Err(_) => 23,
        }
    })?;
    ok("insert", port::insert_right(inbox, MSG_MAKE_SEND, child, GIVEN))?;
    let hello = ok("receive", port::receive(inbox, FOREVER))?;
    let [GotItem::Port(theirs, PORT_RIGHT_SEND)] = hello.items[..] else {
        return Err(format!("{:?}", hello.items));
    };
    Ok((theirs, child))
}

fn dead_name() -> Outcome {
    let inbox = ok("allocate", port::allocate(PORT_RIGHT_RECEIVE))?;
    let (theirs, child) = child_with_port(inbox)?;
    end_and_see_dead_name(theirs, child, inbox)
}

/// Asks for a dead-name notification on `theirs`, tells the child `child` (which holds its
/// receive right and ends at its first message) to end, and checks the notification, the dead
/// name and a send to it refused; destroys `theirs` and `inbox` after.
fn end_and_see_dead_name(theirs: u32, child: Pid, inbox: u32) -> Outcome {
    let watch = ok("allocate", port::allocate(PORT_RIGHT_RECEIVE))?;
    ok("request dead-name", port::request_notification(theirs, NOTIFY_DEAD_NAME, watch))?;
    ok("tell the child to end", port::send(&Msg::new(theirs, MSG_COPY_SEND, 2, vec![]), FOREVER))?;
    let code = reap(child)?;
    let note = ok("receive the notification", port::receive(watch, FOREVER))?;
    ensure(code == 0 && note.id == NOTIFY_DEAD_NAME, || format!("exit {code}, id {:#x}", note.id))?;
    ensure(first_word(&note) == Some(theirs), || format!("{:?}", note.items))?;
    ensure(ok("type", port::port_type(theirs))? == PORT_TYPE_DEAD_NAME, || String::from("not a dead name"))?;
    refused(
        "a send to a dead name",
        port::send(&Msg::new(theirs, MSG_COPY_SEND, 3, vec![]), 0),
        Errno::DeadName,
    )?;
    for name in [theirs, watch, inbox] {
        let _ = port::destroy(name);
    }
    Ok(())
}

fn no_senders() -> Outcome {
    let p = ok("allocate", port::allocate(PORT_RIGHT_RECEIVE))?;
    let watch = ok("allocate", port::allocate(PORT_RIGHT_RECEIVE))?;
    let child = spawn(|| if await_given() { 0 } else { 20 })?;
    ok("insert", port::insert_right(p, MSG_MAKE_SEND, child, GIVEN))?;
    ok("request no-senders", port::request_notification(p, NOTIFY_NO_SENDERS, watch))?;
    let code = reap(child)?;
    let note = ok("receive the notification", port::receive(watch, FOREVER))?;
    ensure(code == 0 && note.id == NOTIFY_NO_SENDERS, || format!("exit {code}, id {:#x}", note.id))?;
    ensure(note.items == [GotItem::Inline(1u32.to_le_bytes().to_vec())], || format!("{:?}", note.items))?;
    for name in [watch, p] {
        let _ = port::destroy(name);
    }
    Ok(())
}

fn port_sets() -> Outcome {
    let set = ok("allocate a set", port::allocate(PORT_RIGHT_PORT_SET))?;
    let p = ok("allocate", port::allocate(PORT_RIGHT_RECEIVE))?;
    let q = ok("allocate", port::allocate(PORT_RIGHT_RECEIVE))?;
    ok("move p", port::move_member(p, set))?;
    ok("move q", port::move_member(q, set))?;
    for (name, id) in [(q, 1), (p, 2), (q, 3)] {
        ok("send", port::send(&Msg::new(name, MSG_MAKE_SEND, id, vec![]), 0))?;
    }
    let mut order = Vec::new();
    for _ in 0..3 {
        let got = ok("receive from the set", port::receive(set, 0))?;
        order.push((got.id, got.port));
    }
    ensure(order == [(1, q), (2, p), (3, q)], || format!("order {order:?}"))?;
    refused("an empty set, polled", port::receive(set, 0), Errno::TimedOut)?;
    for name in [p, q, set] {
        ok("destroy", port::destroy(name))?;
    }
    Ok(())
}

static HANDLED: AtomicU32 = AtomicU32::new(0);

fn note_signal(_: Signal) {
    HANDLED.fetch_add(1, Ordering::SeqCst);
}

fn interrupted() -> Outcome {
    let p = ok("allocate", port::allocate(PORT_RIGHT_RECEIVE))?;
    ok("sigaction", signal::set(Signal::Usr1, Handler::Catch(note_signal)))?;
    let me = sys::getpid();
    // The child signals every 5 ticks until it is killed: this process may not be asleep in
    // the receive by the first signal (the fork's reply can come late, on a lossy link),
    // which its handler then takes before the receive starts; a later one finds it asleep.
    let child = spawn(|| loop {
        let _ = sys::sleep(5);
        if sys::kill(me, Signal::Usr1).is_err() {
            return 1;
        }
    })?;
    let result = port::receive(p, FOREVER);
    ok("kill", sys::kill(child, Signal::Kill))?;
    // Every signal the child sent has reached this process by the time it is reaped.
    let (_, status) = ok("wait", sys::wait(Some(child)))?;
    ok("sigaction back", signal::set(Signal::Usr1, Handler::Default))?;
    let handled = HANDLED.load(Ordering::SeqCst);
    ensure(status == WaitStatus::Signaled(Signal::Kill) && handled >= 1, || {
        format!("the child ended with {status:?}, {handled} signal(s) handled")
    })?;
    refused("the receive", result, Errno::Intr)?;
    ok("destroy", port::destroy(p))
}

/// Every case destroyed what it made and its children ended: the port counters of this node
/// and of the other node are 0 (once the nodes' last words about proxies have crossed).
fn nothing_left() -> Outcome {
    suite::no_ports_left()
}

/// A name for the name service, this process's own.
fn service_name(what: &str) -> String {
    format!("porttest.{}.{what}", sys::getpid())
}

/// The first inline word of a message.
fn first_word(got: &Got) -> Option<u32> {
    match got.items.first() {
        Some(GotItem::Inline(b)) if b.len() >= 4 => Some(u32::from_le_bytes([b[0], b[1], b[2], b[3]])),
        _ => None,
    }
}

/// A child on the other node that looks up `name` and sends the port registered under it a
/// message of id 1 carrying `right` (made by `make` in the child, and kept as the name the
/// child's body gets), then runs `body` with that name.
fn remote_child(name: String, make: fn() -> Result<u32, Errno>, body: fn(u32) -> i32) -> Result<Pid, String> {
    let node = other_node()?;
    spawn_on(node, move || {
        let Ok(parent) = port::lookup(&name) else { return 30 };
        let Ok(mine) = make() else { return 31 };
        let disposition = if port::port_type(mine).is_ok_and(|t| t & PORT_TYPE_RECEIVE != 0) {
            MSG_MAKE_SEND
        } else {
            MSG_COPY_SEND
        };
        if port::send(&Msg::new(parent, MSG_COPY_SEND, 1, vec![SendItem::Port(mine, disposition)]), FOREVER)
            .is_err()
        {
            return 32;
        }
        let _ = port::deallocate(parent);
        body(mine)
    })
}

/// Registers a new port under a name of its own; the port and the name.
fn registered(what: &str) -> Result<(u32, String), String> {
    let inbox = ok("allocate", port::allocate(PORT_RIGHT_RECEIVE))?;
    let name = service_name(what);
    ok("register", port::register(&name, inbox, MSG_MAKE_SEND))?;
    Ok((inbox, name))
}

/// The send right a remote child sent in its first message.
fn their_right(inbox: u32) -> Result<u32, String> {
    let hello = ok("receive the child's right", port::receive(inbox, FOREVER))?;
    match hello.items[..] {
        [GotItem::Port(theirs, PORT_RIGHT_SEND)] => Ok(theirs),
        _ => Err(format!("hello {:?}", hello.items)),
    }
}

fn remote_rpc() -> Outcome {
    let (inbox, name) = registered("rpc")?;
    refused("a second registration", port::register(&name, inbox, MSG_MAKE_SEND), Errno::Exist)?;
    let child = spawn_on(other_node()?, move || {
        let Ok(server) = port::lookup(&service_name_of_parent("rpc")) else { return 30 };
        let Ok(answer) = port::rpc(server, 40, vec![inline(&[21])], FOREVER) else { return 31 };
        let _ = port::deallocate(server);
        if answer.id != 41 || answer.items != [GotItem::Inline(vec![42])] {
            return 32;
        }
        0
    })?;
    let request = ok("receive the request", port::receive(inbox, FOREVER))?;
    let [GotItem::Inline(ref x)] = request.items[..] else { return Err(format!("{:?}", request.items)) };
    ensure(request.reply.1 == PORT_RIGHT_SEND_ONCE, || format!("reply {:?}", request.reply))?;
    let answer = Msg::new(request.reply.0, MSG_MOVE_SEND_ONCE, request.id + 1, vec![inline(&[x[0] * 2])]);
    ok("answer", port::send(&answer, FOREVER))?;
    let code = reap(child)?;
    ensure(code == 0, || format!("the child: exit {code}"))?;
    ok("destroy", port::destroy(inbox))?;
    refused("a look-up of a dead port's name", port::lookup(&name), Errno::NoEnt)
}

/// `msg_rpc` on both sides, as a Mach client and server use `mach_msg` with send and
/// receive: the client's request and wait for the answer in one call, the server's answer and
/// wait for the next request in one call ([`serve_msg_rpc`], [`call_msg_rpc`]). Also: a send
/// that fails receives nothing (a message already queued on the reply port stays there), and
/// an answer too large for the buffer is refused with `E2BIG` and stays queued for a larger
/// one.
fn rpc_one_call() -> Outcome {
    let inbox = ok("allocate", port::allocate(PORT_RIGHT_RECEIVE))?;
    let child = spawn(|| match offer_service() {
        Ok(service) => serve_msg_rpc(service),
        Err(code) => code,
    })?;
    let service = service_of(inbox, child)?;
    call_msg_rpc(service, child)?;
    ok("destroy", port::destroy(inbox))
}

/// [`rpc_one_call`] with the server on the other node: each request and answer crosses the
/// links, the client's and the server's `msg_rpc` each still one call.
fn remote_rpc_one_call() -> Outcome {
    let (inbox, name) = registered("msg_rpc")?;
    let child = remote_child(name, || port::allocate(PORT_RIGHT_RECEIVE), serve_msg_rpc)?;
    let service = their_right(inbox)?;
    call_msg_rpc(service, child)?;
    ok("destroy", port::destroy(inbox))
}

/// The server of [`rpc_one_call`] on its port `service`: it answers each request (id 50 with
/// 300 bytes, any other with its byte doubled) and waits for the next in one `msg_rpc`, until
/// a message with no reply right comes; 0 if that message is the stop (id 0).
fn serve_msg_rpc(service: u32) -> i32 {
    let (mut request, mut answer) = (RawMsg::empty(), RawMsg::empty());
    if port::receive_raw(service, &mut request, FOREVER).is_err() {
        return 23;
    }
    while request.reply().0 != 0 {
        let Some(RawItem::Inline(&[x])) = request.items().next() else { return 24 };
        let to = (request.reply().0, MSG_MOVE_SEND_ONCE);
        let built = if request.id() == 50 {
            answer.start(to, (0, 0), 51).inline(&[7; 300])
        } else {
            answer.start(to, (0, 0), request.id() + 1).inline(&[x * 2])
        };
        // A 300-byte answer does not fit a raw message: it goes the convenient way.
        let sent = match built {
            Ok(answer) => port::rpc_raw(answer, service, &mut request, FOREVER),
            Err(_) => port::send(&Msg::new(to.0, to.1, 51, vec![inline(&[7; 300])]), FOREVER)
                .and_then(|()| port::receive_raw(service, &mut request, FOREVER)),
        };
        if sent.is_err() {
            return 25;
        }
    }
    i32::from(request.id() != 0) * 26
}

/// The client of [`rpc_one_call`], calling the server `child` through its port `service`,
/// then stopping it.
fn call_msg_rpc(service: u32, child: Pid) -> Outcome {
    let reply_port = ok("allocate", port::allocate(PORT_RIGHT_RECEIVE))?;
    let (mut request, mut answer) = (RawMsg::empty(), RawMsg::empty());
    for x in 1..=3u8 {
        let built =
            request.start((service, MSG_COPY_SEND), (reply_port, MSG_MAKE_SEND_ONCE), 40).inline(&[x]);
        ok("msg_rpc", built.and_then(|request| port::rpc_raw(request, reply_port, &mut answer, FOREVER)))?;
        let got: Vec<RawItem> = answer.items().collect();
        ensure(answer.id() == 41 && got == [RawItem::Inline(&[x * 2])], || {
            format!("answer {:?}", answer.to_got())
        })?;
    }
    // A send that fails receives nothing.
    ok("queue a message", port::send(&Msg::new(reply_port, MSG_MAKE_SEND, 9, vec![]), FOREVER))?;
    let bad = request.start((9999, MSG_COPY_SEND), (reply_port, MSG_MAKE_SEND_ONCE), 40);
    refused("msg_rpc to a bad name", port::rpc_raw(bad, reply_port, &mut answer, FOREVER), Errno::BadName)?;
    ok("the queued message is still there", port::receive_raw(reply_port, &mut answer, 0))?;
    ensure(answer.id() == 9, || format!("id {}", answer.id()))?;
    // An answer too large for the buffer stays queued.
    let built = request.start((service, MSG_COPY_SEND), (reply_port, MSG_MAKE_SEND_ONCE), 50).inline(&[1]);
    let too_big = built.and_then(|request| port::rpc_raw(request, reply_port, &mut answer, FOREVER));
    refused("a 300-byte answer into a raw message", too_big, Errno::TooBig)?;
    let large = ok("the answer, received whole", port::receive(reply_port, FOREVER))?;
    ensure(large.id == 51 && large.items == [GotItem::Inline(vec![7; 300])], || format!("{:?}", large.id))?;
    ok("stop the server", port::send(&Msg::new(service, MSG_COPY_SEND, 0, vec![]), FOREVER))?;
    let code = reap(child)?;
    ensure(code == 0, || format!("the child: exit {code}"))?;
    for name in [service, reply_port] {
        let _ = port::destroy(name);
    }
    Ok(())
}

/// The name the parent registered `what` under, seen from its child.
fn service_name_of_parent(what: &str) -> String {
    format!("porttest.{}.{what}", sys::getppid())
}

fn remote_rights() -> Outcome {
    let (inbox, name) = registered("rights")?;
    let child = remote_child(
        name,
        || port::allocate(PORT_RIGHT_RECEIVE),
        |mine| {
            let Ok(watch) = port::allocate(PORT_RIGHT_RECEIVE) else { return 40 };
            if port::request_notification(mine, NOTIFY_NO_SENDERS, watch).is_err() {
                return 41;
            }
            // Three messages in order, then the parent lets its rights go.
            for id in 10..13 {
                match port::receive(mine, FOREVER) {
                    Ok(got) if got.id == id => {}
                    _ => return 42,
                }
            }
            match port::receive(watch, FOREVER) {
                Ok(note) if note.id == NOTIFY_NO_SENDERS => 0,
                _ => 43,
            }
        },
    )?;
    let theirs = their_right(inbox)?;
    ok("request a second right", port::send(&Msg::new(theirs, MSG_COPY_SEND, 10, vec![]), FOREVER))?;
    let again = ok("extract", port::extract_right(theirs, MSG_COPY_SEND))?;
    ensure(again == theirs, || format!("a second name {again} for one port {theirs}"))?;
    for id in 11..13 {
        ok("send", port::send(&Msg::new(theirs, MSG_COPY_SEND, id, vec![]), FOREVER))?;
    }
    ok("destroy", port::destroy(theirs))?;
    let code = reap(child)?;
    ensure(code == 0, || format!("the child: exit {code}"))?;
    ok("destroy", port::destroy(inbox))
}

/// Messages the far sender of [`remote_queue_limit`] sends.
const FAR_MESSAGES: u32 = 12;

fn remote_queue_limit() -> Outcome {
    let (inbox, name) = registered("limit")?;
    ok("set the queue limit", port::set_qlimit(inbox, 1))?;
    let child = spawn_on(other_node()?, move || {
        let Ok(parent) = port::lookup(&name) else { return 100 };
        // Polls until the sends would block, then blocks for the rest; the exit code says how
        // many went without blocking.
        let mut polled = 0;
        for id in 1..=FAR_MESSAGES {
            let message = Msg::new(parent, MSG_COPY_SEND, id, vec![]);
            if polled == id - 1 && port::send(&message, 0).is_ok() {
                polled = id;
            } else if port::send(&message, FOREVER).is_err() {
                return 101;
            }
        }
        polled as i32
    })?;
    ok("sleep", sys::sleep(20))?;
    for id in 1..=FAR_MESSAGES {
        let got = ok("receive", port::receive(inbox, FOREVER))?;
        ensure(got.id == id, || format!("message {} where {id} was due", got.id))?;
    }
    let polled = reap(child)?;
    ensure((1..FAR_MESSAGES as i32).contains(&polled), || format!("{polled} sends went without blocking"))?;
    ok("destroy", port::destroy(inbox))
}

fn remote_dead_name() -> Outcome {
    let (inbox, name) = registered("dead")?;
    let child = remote_child(
        name,
        || port::allocate(PORT_RIGHT_RECEIVE),
        |mine| match port::receive(mine, FOREVER) {
            Ok(_) => 0,
            Err(_) => 40,
        },
    )?;
    let theirs = their_right(inbox)?;
    end_and_see_dead_name(theirs, child, inbox)
}

fn remote_move() -> Outcome {
    let (inbox, name) = registered("move")?;
    let child = remote_child(
        name,
        || port::allocate(PORT_RIGHT_RECEIVE),
        |mine| {
            let Ok(got) = port::receive(mine, FOREVER) else { return 40 };
            let [GotItem::Port(moved, PORT_RIGHT_RECEIVE)] = got.items[..] else { return 41 };
            // Three messages queued before the move, one sent after it, in order.
            for id in 1..5 {
                match port::receive(moved, FOREVER) {
                    Ok(got) if got.id == id => {}
                    _ => return 42 + id as i32,
                }
            }
            0
        },
    )?;
    let theirs = their_right(inbox)?;
    let q = ok("allocate", port::allocate(PORT_RIGHT_RECEIVE))?;
    let sender = ok("make send", port::extract_right(q, MSG_MAKE_SEND))?;
    for id in 1..4 {
        ok("queue", port::send(&Msg::new(sender, MSG_COPY_SEND, id, vec![]), FOREVER))?;
    }
    let carry = Msg::new(theirs, MSG_COPY_SEND, 5, vec![SendItem::Port(q, MSG_MOVE_RECEIVE)]);
    ok("move the receive right", port::send(&carry, FOREVER))?;
    ensure(ok("type", port::port_type(sender))? == PORT_TYPE_SEND, || {
        String::from("the send right went too")
    })?;
    ok("send after the move", port::send(&Msg::new(sender, MSG_COPY_SEND, 4, vec![]), FOREVER))?;
    let code = reap(child)?;
    ensure(code == 0, || format!("the child: exit {code}"))?;
    for name in [sender, theirs, inbox] {
        let _ = port::destroy(name);
    }
    Ok(())
}

/// Bytes of a page.
const PAGE: u32 = 4096;

/// A new region of `pages` pages, each starting with `tag` and its page number.
fn tagged_region(pages: u32, tag: u8) -> Result<u32, String> {
    let at = ok("vm_allocate", vm::allocate(Place::Anywhere(0), pages * PAGE))?;
    for page in 0..pages {
        // Safety: the region was just allocated in this process, writable.
        unsafe { core::ptr::write((at + page * PAGE) as *mut [u8; 2], [tag, page as u8]) };
    }
    Ok(at)
}

/// The tag of each page of the region at `at`.
fn tags(at: u32, pages: u32) -> Vec<[u8; 2]> {
    // Safety: the caller's region is mapped and readable.
    (0..pages).map(|page| unsafe { core::ptr::read((at + page * PAGE) as *const [u8; 2]) }).collect()
}

fn out_of_line() -> Outcome {
    let p = ok("allocate", port::allocate(PORT_RIGHT_RECEIVE))?;
    let region = tagged_region(3, b'a')?;
    let send = |addr, size| port::send(&Msg::new(p, MSG_MAKE_SEND, 9, vec![SendItem::Memory(addr, size)]), 0);
    refused("an unaligned region", send(region + 1, PAGE), Errno::Inval)?;
    refused("an empty region", send(region, 0), Errno::Inval)?;
    refused("a region past the end of the allocation", send(region, 4 * PAGE), Errno::Fault)?;
    ok("send", send(region, 3 * PAGE))?;
    let got = ok("receive", port::receive(p, 0))?;
    let [GotItem::Memory(copy, size)] = got.items[..] else { return Err(format!("{:?}", got.items)) };
    ensure(copy != region && size == 3 * PAGE, || format!("region {copy:#x}, {size} bytes"))?;
    ensure(tags(copy, 3) == tags(region, 3), || format!("{:?}", tags(copy, 3)))?;
    // Safety: both regions are this process's, writable.
    unsafe {
        core::ptr::write(copy as *mut u8, b'r');
        core::ptr::write((region + PAGE) as *mut u8, b's');
    }
    let (mine, theirs) = (tags(region, 3), tags(copy, 3));
    ensure(mine == [[b'a', 0], [b's', 1], [b'a', 2]], || format!("the sender's pages {mine:?}"))?;
    ensure(theirs == [[b'r', 0], [b'a', 1], [b'a', 2]], || format!("the receiver's pages {theirs:?}"))?;
    // Safety: nothing refers to the regions after this.
    unsafe {
        ok("vm_deallocate", vm::deallocate(copy, size))?;
        ok("vm_deallocate", vm::deallocate(region, 3 * PAGE))?;
    }
    ok("destroy", port::destroy(p))
}

/// Pages of the large region [`remote_out_of_line`] sends: 1 MiB, which crosses in pieces.
const LARGE: u32 = 256;

fn remote_out_of_line() -> Outcome {
    let (inbox, name) = registered("ool")?;
    let child = remote_child(
        name,
        || port::allocate(PORT_RIGHT_RECEIVE),
        |mine| {
            // Two pages, inside the message; then 1 MiB in pieces, each as it was when sent.
            for (pages, code) in [(2, 40), (LARGE, 43)] {
                let Ok(got) = port::receive(mine, FOREVER) else { return code };
                let [GotItem::Memory(at, size)] = got.items[..] else { return code + 1 };
                let sent: Vec<[u8; 2]> = (0..pages).map(|page| [b'o', page as u8]).collect();
                if size != pages * PAGE || tags(at, pages) != sent {
                    return code + 2;
                }
                // Safety: the receive placed the region in this process; nothing else uses it.
                if unsafe { vm::deallocate(at, size) }.is_err() {
                    return code + 3;
                }
            }
            0
        },
    )?;
    let theirs = their_right(inbox)?;
    let region = tagged_region(LARGE, b'o')?;
    let carry = |pages: u32| Msg::new(theirs, MSG_COPY_SEND, 1, vec![SendItem::Memory(region, pages * PAGE)]);
    ok("send 8 KiB out of line", port::send(&carry(2), FOREVER))?;
    ok("send 1 MiB out of line", port::send(&carry(LARGE), FOREVER))?;
    // What the sender writes once it has sent is not what crosses (copy-on-write).
    // Safety: the region is this process's, writable.
    unsafe {
        core::ptr::write(region as *mut u8, b'x');
        core::ptr::write((region + (LARGE - 1) * PAGE) as *mut u8, b'x');
    }
    let code = reap(child)?;
    ensure(code == 0, || format!("the child: exit {code}"))?;
    // Safety: nothing refers to the region after this.
    unsafe { ok("vm_deallocate", vm::deallocate(region, LARGE * PAGE))? };
    for name in [theirs, inbox] {
        let _ = port::destroy(name);
    }
    Ok(())
}

fn remote_task_port() -> Outcome {
    let (inbox, name) = registered("task")?;
    let watch = ok("allocate", port::allocate(PORT_RIGHT_RECEIVE))?;
    let child = remote_child(name, port::task_self, |_| {
        let Ok(p) = port::allocate(PORT_RIGHT_RECEIVE) else { return 40 };
        let _ = port::receive(p, FOREVER);
        41
    })?;
    let task = their_right(inbox)?;
    let (pid, node) = ok("task_info", port::task_info(task))?;
    ensure(pid == child && node == other_node()?, || format!("task_info: pid {pid}, node {node}"))?;
    ok("request dead-name", port::request_notification(task, NOTIFY_DEAD_NAME, watch))?;
    ok("task_terminate", port::task_terminate(task))?;
    let status = ok("wait", sys::wait(Some(child)))?.1;
    ensure(status == WaitStatus::Signaled(Signal::Kill), || format!("the child ended with {status:?}"))?;
    let note = ok("receive the notification", port::receive(watch, FOREVER))?;
    ensure(note.id == NOTIFY_DEAD_NAME && first_word(&note) == Some(task), || format!("{note:?}"))?;
    for name in [task, watch, inbox] {
        let _ = port::destroy(name);
    }
    Ok(())
}
