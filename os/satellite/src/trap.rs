//! The satellite's interrupt lines (the core's `ox_kcore::task::trap` takes every trap from
//! user mode and the timer's ticks): the link port brings the central's messages, and a
//! process is preempted when they are requests for the server, which then runs first. At each
//! tick the link resends what timed out.

use crate::{link, server};

/// Handles interrupt line `line` (not the timer's); returns whether to preempt.
pub fn interrupt(line: u32) -> bool {
    if line != link::line() {
        panic!("interrupt on line {line}, which no device of the satellite uses");
    }
    link::on_interrupt();
    server::has_work()
}

/// The satellite's work at a tick: the link's retransmissions.
pub fn tick() {
    link::on_tick();
}
