//! The central's interrupt lines (the core's `ox_kcore::task::trap` takes every trap from
//! user mode and the timer's ticks): the UART brings console input (waking its readers), the
//! link ports bring the satellites' messages. At each tick the links resend what timed out.
//! `Net` messages (ports across nodes) go to `net`. A satellite found dead on either
//! (`remote`) has its processes' stubs ended (`stub`) and its ports declared dead (`net`); one
//! that comes back starts afresh (`net::back`).

use ox_proto::{Body, Request};

use crate::{balance, block, console, intc, net, prefetch, proc, remote, stub, sysfile};

/// Handles interrupt line `line` (not the timer's); returns whether to preempt (never: the
/// woken run at the next tick).
pub fn interrupt(line: u32) -> bool {
    match line {
        intc::IRQ_UART => {
            if console::on_interrupt() {
                sysfile::wake_console_readers();
            }
            if console::take_interrupt_key() {
                proc::interrupt_key();
            }
        }
        // The disk driver waits for its own completions and acknowledges them before it
        // returns, so the line is never asserted here.
        block::IRQ_BLOCK => {}
        line if remote::owns(line) => {
            for (link, message) in remote::on_interrupt(line) {
                match message.body {
                    Body::Request(Request::Net(msg)) => net::route(link, msg),
                    _ => stub::route(link, message),
                }
            }
            links_changed();
        }
        other => panic!("interrupt on line {other}, which no device of ours uses"),
    }
    false
}

/// The central's work at a tick: the links' retransmissions, the pagers' timeouts, the load
/// balancer.
pub fn tick() {
    remote::on_tick();
    links_changed();
    ox_kcore::ipcall::tick();
    balance::tick();
}

/// Acts on the satellites that died (their processes' ports) and those that booted again
/// (their ports, and the prefetch cache's setting) since the last look.
fn links_changed() {
    if !remote::take_news() {
        return;
    }
    remote::newly_dead().into_iter().for_each(net::lost);
    for link in remote::newly_back() {
        net::back(link);
        prefetch::back(link);
    }
}

/// When an idle central must wake: a link's resend, a pager request's timeout, or the load
/// balancer's next look.
pub fn deadline() -> Option<u64> {
    [remote::deadline(), ox_kcore::ipcall::deadline(), balance::deadline()].into_iter().flatten().min()
}
