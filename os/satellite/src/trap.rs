//! The satellite's interrupt lines (the core's `ox_kcore::task::trap` takes every trap from
//! user mode and the timer's ticks): the link ports bring the central's messages, routed here
//! ([`route`]), and a process is preempted when they are requests for the server, which then
//! runs first. At each tick the link resends what timed out.

use ox_kcore::global::Global;
use ox_kcore::kprintln;
use ox_kcore::task::proc::table;
use ox_proto::{Body, Message, Request};

use crate::link::{self, Arrival};
use crate::{proc, server, stats, syscall};

/// Handles interrupt line `line` (not the timer's); returns whether to preempt.
pub fn interrupt(line: u32) -> bool {
    if !link::owns(line) {
        panic!("interrupt on line {line}, which no device of the satellite uses");
    }
    link::on_interrupt(|arrival| match arrival {
        Arrival::Net { envelope, bytes } => {
            if let Err(e) = ox_kcore::ipcall::net_message(envelope, bytes) {
                link::refuse(bytes, &e);
            }
        }
        Arrival::Message(message) => route(message),
    });
    server::has_work()
}

/// The satellite's work at a tick: the link's retransmissions, the pagers' timeouts, and the
/// load report every [`LOAD_PERIOD`] ticks while the central balances loads.
pub fn tick() {
    link::on_tick();
    ox_kcore::ipcall::tick();
    let now = ox_kcore::timer::ticks();
    let due = {
        let mut load = LOAD.lock();
        let due = load.0 != 0 && now >= load.1;
        if due {
            load.1 = now + load.0;
        }
        due
    };
    if due {
        link::send(&Message::request(0, Request::Load(proc::runnable())));
    }
}

/// The load reports to the central: ticks between two (0: none), as the central asked
/// (`Load`), and the tick of the next.
static LOAD: Global<(u32, u32)> = Global::new("load reports", (0, 0));

/// When an idle satellite must wake: a resend, a pager request's timeout, or its next load
/// report.
pub fn deadline() -> Option<u64> {
    let (period, next) = *LOAD.lock();
    let report = (period != 0).then(|| u64::from(next) * ox_abi::TICK_NS);
    [link::deadline(), ox_kcore::ipcall::deadline(), report].into_iter().flatten().min()
}

/// Acts on one message from the central: the image requests go to the [`server`]'s mailbox
/// (the server replies); `Stats` is answered here; `Signal`s and `Parent`s for processes here
/// and the replies to forwarded calls are acted on here.
fn route(message: Message) {
    let (pid, kind) = (message.pid, message.kind());
    let answer = match message.body {
        Body::Request(
            request @ (Request::ForkImage { .. }
            | Request::WriteImage { .. }
            | Request::Start { .. }
            | Request::ExecImage { .. }
            | Request::ReadImage { .. }
            | Request::MoveSpace { .. }
            | Request::ForkHere { .. }),
        ) => {
            server::deliver(pid, request);
            None
        }
        Body::Request(Request::Stats) => Some(stats::reply()),
        Body::Request(Request::Parent { ppid }) => {
            if let Some(proc) = table().find(pid) {
                proc.ppid = ppid;
            }
            None
        }
        Body::Request(Request::Signal(signal)) => {
            proc::kill(pid, signal);
            None
        }
        Body::Request(Request::Freeze) => {
            proc::freeze(pid);
            None
        }
        Body::Request(request @ (Request::CopyIn { .. } | Request::CopyOut { .. })) => {
            proc::deliver_copy(pid, request);
            None
        }
        Body::Request(Request::Prefetch(on)) => {
            syscall::set_prefetch(on);
            None
        }
        Body::Request(Request::Load(period)) => {
            *LOAD.lock() = (period, ox_kcore::timer::ticks() + period);
            None
        }
        Body::Reply(reply) => {
            // Its call is over: the image a fork was reading from it may change from now on.
            server::forget_outgoing(pid);
            proc::deliver_reply(pid, reply);
            None
        }
        Body::Output(output) => {
            proc::deliver_output(pid, output);
            None
        }
        Body::ProtocolError(refusal) => {
            let (reason, version, kind) = (refusal.reason, refusal.version, refusal.kind);
            kprintln!(
                "the central refused a message about pid {pid}: {reason:?} (version {version}, kind {kind})"
            );
            None
        }
        Body::Request(_) => {
            kprintln!("the central sent {kind:?} about pid {pid}, which a satellite does not serve");
            None
        }
    };
    if let Some(reply) = answer {
        link::send(&Message::reply(pid, reply));
    }
}
