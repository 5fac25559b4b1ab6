//! The central's side of the process channel (docs/satellites.md): one ox-proto
//! [`Endpoint`] per satellite that answered at boot, driven by the ports' interrupts and the
//! timer tick.
//!
//! What arrives is routed by its pid: a request from a satellite process (`StubExecutes`,
//! `Exit`) goes to the mailbox of its stub ([`stub::deliver`]), a `Signal` interrupts the
//! call its stub executes ([`stub::interrupt`]); a reply (to the placement
//! requests `ForkImage`, `WriteImage`, `Start`) is kept for the process that waits for it on
//! [`Chan::Reply`] ([`wait_reply`]). A call for a pid with no stub is answered `ESRCH`.

use alloc::vec::Vec;

use ox_kcore::endpoint::Endpoint;
use ox_kcore::linkport::{Port, MAX_MTU};
use ox_link::arq::Receiver;
use ox_proto::{Body, Message, Reply, Request};

use crate::global::Global;
use crate::proc::{self, Chan, Pid};
use crate::{intc, sched, stub};

/// A satellite the central talks to.
pub struct Link {
    /// The conversation.
    pub endpoint: Endpoint,
    /// The satellite's node index.
    pub node: u32,
    /// The boot's receiver on the hello channel: it acknowledges a repeated hello reply.
    hello: Receiver,
}

/// Every satellite that answered at boot, in port order.
static LINKS: Global<Vec<Link>> = Global::new("satellite links", Vec::new());
/// Replies not yet taken by the process waiting for them.
static REPLIES: Global<Vec<(Pid, Reply)>> = Global::new("satellite replies", Vec::new());

/// Starts serving the process channel of `satellites` (port, node, hello receiver): their
/// receive lines on.
pub fn start(satellites: Vec<(Port, u32, Receiver)>) {
    let mut lines = intc::enabled();
    for (port, _, _) in &satellites {
        port.set_rx_interrupt(true);
        lines |= 1 << port.line();
    }
    intc::set_enabled(lines);
    // Its working size, reserved once (so its heap does not grow with the first burst): a
    // reply for every process at once.
    REPLIES.lock().reserve(proc::NPROC);
    *LINKS.lock() = satellites
        .into_iter()
        .map(|(port, node, hello)| Link { endpoint: Endpoint::new(port), node, hello })
        .collect();
}

/// The satellites: (link index, node index).
pub fn satellites() -> Vec<(usize, u32)> {
    LINKS.lock().iter().enumerate().map(|(i, link)| (i, link.node)).collect()
}

/// Whether interrupt line `line` is a satellite port's.
pub fn owns(line: u32) -> bool {
    LINKS.lock().iter().any(|link| link.endpoint.port().line() == line)
}

/// Sends `message` to the satellite of link `link`.
pub fn send(link: usize, message: &Message) {
    if let Some(link) = LINKS.lock().get_mut(link) {
        link.endpoint.send(message);
    }
}

/// The port interrupt of line `line`: takes every frame waiting there and routes what they
/// complete.
pub fn on_interrupt(line: u32) {
    let mut arrived = Vec::new();
    {
        let mut links = LINKS.lock();
        let mut buf = [0u8; MAX_MTU];
        for (index, link) in links.iter_mut().enumerate().filter(|(_, l)| l.endpoint.port().line() == line) {
            while let Some(len) = link.endpoint.port().receive(&mut buf) {
                // Checked once here; a damaged frame is dropped (its sender resends it).
                let Ok(frame) = ox_link::frame::decode(&buf[..len]) else { continue };
                if let Some(ack) = link.hello.receive_frame(&frame).ack {
                    link.endpoint.port().send(&ack);
                }
                if let Some(message) = link.endpoint.on_frame(&frame) {
                    arrived.push((index, message));
                }
            }
            link.endpoint.pump();
        }
    }
    for (link, message) in arrived {
        route(link, message);
    }
}

/// The timer tick: resends what timed out.
pub fn on_tick() {
    LINKS.lock().iter_mut().for_each(|link| link.endpoint.pump());
}

/// The earliest retransmission deadline (the idle loop keeps the timer for it).
pub fn deadline() -> Option<u64> {
    LINKS.lock().iter().filter_map(|link| link.endpoint.deadline()).min()
}

fn route(link: usize, message: Message) {
    let pid = message.pid;
    match message.body {
        Body::Request(request @ (Request::StubExecutes(_) | Request::Exit(_))) => {
            if let Err(request) = stub::deliver(pid, request) {
                if matches!(request, Request::StubExecutes(_)) {
                    send(link, &Message::reply(pid, Reply::err(ox_abi::Errno::Srch)));
                }
            }
        }
        Body::Request(Request::Signal(_)) => stub::interrupt(pid),
        Body::Reply(reply) => {
            REPLIES.lock().push((pid, reply));
            sched::wakeup(Chan::Reply(pid));
        }
        other => crate::kprintln!("satellite on link {link} sent {other:?} about pid {pid}; ignored"),
    }
}

/// Replies not taken yet, and the process channel's traffic over every link: messages and
/// fragments sent, fragments resent (for `stats`).
pub fn counters() -> (u32, [u32; 3]) {
    let pending = REPLIES.lock().len() as u32;
    let traffic = LINKS.lock().iter().fold([0u32; 3], |[m, f, r], link| {
        let (messages, fragments) = link.endpoint.sent();
        [m.wrapping_add(messages), f.wrapping_add(fragments), r.wrapping_add(link.endpoint.retransmissions())]
    });
    (pending, traffic)
}

/// Sleeps until a reply about `pid` arrives and takes it.
pub fn wait_reply(pid: Pid) -> Reply {
    loop {
        let taken = {
            let mut replies = REPLIES.lock();
            replies.iter().position(|(p, _)| *p == pid).map(|i| replies.remove(i).1)
        };
        if let Some(reply) = taken {
            return reply;
        }
        sched::sleep(Chan::Reply(pid));
    }
}
