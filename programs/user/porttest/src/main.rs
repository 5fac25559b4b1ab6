//! `porttest`: Mach ports on one node (docs/ports.md), as a test, in the spirit of GNU Mach's
//! `tests/test-mach_port.c` and `tests/test-machmsg.c`: rights and reference counts, bad names
//! and rights, messages with their boundaries, queue limits with a timeout and a blocked sender
//! woken, rights carried in messages, an RPC between two processes, send-once rights and their
//! notification, dead-name and no-senders notifications when a process ends, port sets, and a
//! receive interrupted by a signal.
//!
//! Each case prints `porttest: NAME: ok` or `porttest: NAME: FAILED: why`; the last line is
//! `porttest: N passed, M failed`. The transcript is the same on any node. Its children stay on
//! its node (placement `local`): a process's ports live where it runs.

#![no_std]
#![no_main]

extern crate alloc;

use alloc::format;
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicU32, Ordering};

use ox_ulib::abi::{Errno, Placement, Signal, Syscall, MSG_SIZE_MAX};
use ox_ulib::port::{
    self, Got, GotItem, Msg, SendItem, FOREVER, MSG_COPY_SEND, MSG_MAKE_SEND, MSG_MAKE_SEND_ONCE,
    MSG_MOVE_RECEIVE, MSG_MOVE_SEND_ONCE, NOTIFY_DEAD_NAME, NOTIFY_NO_SENDERS, NOTIFY_SEND_ONCE,
    PORT_RIGHT_PORT_SET, PORT_RIGHT_RECEIVE, PORT_RIGHT_SEND, PORT_RIGHT_SEND_ONCE, PORT_TYPE_DEAD_NAME,
    PORT_TYPE_RECEIVE, PORT_TYPE_SEND,
};
use ox_ulib::println;
use ox_ulib::signal::{self, Handler};
use ox_ulib::suite::{self, ensure, ok, reap, refused, spawn, Outcome};
use ox_ulib::sys::{self, Pid};

ox_ulib::entry!(main);

/// The name a parent gives its child's right under (`port_insert_right`).
const GIVEN: u32 = 100;

fn main(_: &[&str]) -> i32 {
    if let Err(e) = sys::set_placement(Placement::Local) {
        println!("porttest: place local: {}", e.name());
        return 1;
    }
    let cases: [(&str, fn() -> Outcome); 12] = [
        ("rights and reference counts", rights),
        ("bad names, rights and messages", bad_input),
        ("messages keep boundaries and order", boundaries),
        ("a full queue: timeout, then a blocked sender woken", queue_limit),
        ("rights carried in messages", carried),
        ("an RPC between two processes", rpc),
        ("a send-once right destroyed unused", send_once),
        ("a process ends: dead name for its senders", dead_name),
        ("a process ends: no senders for its receiver", no_senders),
        ("port sets in arrival order", port_sets),
        ("a blocked receive interrupted by a signal", interrupted),
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

/// A child serving one RPC: it gets the parent's port under [`GIVEN`], sends it a send right
/// to its own service port, then answers one request through the request's reply right.
fn rpc() -> Outcome {
    let inbox = ok("allocate", port::allocate(PORT_RIGHT_RECEIVE))?;
    let child = spawn(|| {
        if !await_given() {
            return 20;
        }
        let Ok(service) = port::allocate(PORT_RIGHT_RECEIVE) else { return 21 };
        let hello = Msg::new(GIVEN, MSG_COPY_SEND, 1, vec![SendItem::Port(service, MSG_MAKE_SEND)]);
        if port::send(&hello, FOREVER).is_err() {
            return 22;
        }
        let Ok(request) = port::receive(service, FOREVER) else { return 23 };
        let [GotItem::Inline(ref x)] = request.items[..] else { return 24 };
        let answer = Msg::new(request.reply.0, MSG_MOVE_SEND_ONCE, request.id + 1, vec![inline(&[x[0] * 2])]);
        if request.reply.1 != PORT_RIGHT_SEND_ONCE || port::send(&answer, FOREVER).is_err() {
            return 25;
        }
        0
    })?;
    ok("insert", port::insert_right(inbox, MSG_MAKE_SEND, child, GIVEN))?;
    let hello = ok("receive the service", port::receive(inbox, FOREVER))?;
    let [GotItem::Port(service, PORT_RIGHT_SEND)] = hello.items[..] else {
        return Err(format!("{:?}", hello.items));
    };
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
    let watch = ok("allocate", port::allocate(PORT_RIGHT_RECEIVE))?;
    let (theirs, child) = child_with_port(inbox)?;
    ok("request dead-name", port::request_notification(theirs, NOTIFY_DEAD_NAME, watch))?;
    ok("tell the child to end", port::send(&Msg::new(theirs, MSG_COPY_SEND, 2, vec![]), FOREVER))?;
    let code = reap(child)?;
    let note = ok("receive the notification", port::receive(watch, FOREVER))?;
    ensure(code == 0 && note.id == NOTIFY_DEAD_NAME, || format!("exit {code}, id {:#x}", note.id))?;
    ensure(note.items == [GotItem::Inline(theirs.to_le_bytes().to_vec())], || format!("{:?}", note.items))?;
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
    let child = spawn(|| {
        let _ = sys::sleep(5);
        i32::from(sys::kill(me, Signal::Usr1).is_err())
    })?;
    let result = port::receive(p, FOREVER);
    let code = reap(child)?;
    ok("sigaction back", signal::set(Signal::Usr1, Handler::Default))?;
    ensure(code == 0 && HANDLED.load(Ordering::SeqCst) == 1, || format!("exit {code}"))?;
    refused("the receive", result, Errno::Intr)?;
    ok("destroy", port::destroy(p))
}

/// Every case destroyed what it made and its children ended: the node's port counters are 0.
fn nothing_left() -> Outcome {
    let me = sys::getpid();
    let table = ok("ps", sys::ps(64))?;
    let node = table.iter().find(|p| p.pid == me).map(|p| u32::from(p.node)).ok_or("not in ps")?;
    let stats = ok("stats", sys::stats(node))?;
    let left = (stats.ports, stats.port_names, stats.port_messages);
    ensure(left == (0, 0, 0), || format!("ports, names, messages left: {left:?}"))
}
