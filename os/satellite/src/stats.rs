//! The satellite's kernel counters, for the central's `Stats` request (docs/protocol.md):
//! processes, frames, user pages and page tables, heap, images being received, and the link's
//! traffic, each counted from the live structures or kept at every allocation and release
//! (`ox_kcore`). The central's `stats` system call relays them to whoever asked.

use ox_abi::NodeStats;
use ox_kcore::task::proc::{self, State};
use ox_kcore::{frame, heap, ipcall, pmap, vm};
use ox_proto::Reply;

use crate::{link, server, syscall};

/// The counters now.
pub fn collect() -> NodeStats {
    let mut stats = NodeStats { node: link::node(), ..NodeStats::default() };
    {
        let table = proc::table();
        for p in table.slots.iter().flatten() {
            stats.procs += 1;
            stats.zombies += u32::from(p.state == State::Dead);
        }
    }
    (stats.free_frames, stats.total_frames) = frame::stats();
    (stats.user_pages, stats.page_tables) = pmap::counts();
    let (used, total) = heap::usage();
    (stats.heap_used, stats.heap_total) = (used as u32, total as u32);
    stats.pending = server::receiving();
    vm::count_into(&mut stats);
    ipcall::count_into(&mut stats);
    [stats.messages_out, stats.frames_out, stats.resent] = link::traffic();
    stats.dropped = link::relay_dropped();
    (stats.forwarded, stats.user_copies) = (syscall::forwarded(), crate::proc::copies());
    stats
}

/// The answer to `Stats`: the counters as the reply's data.
pub fn reply() -> Reply {
    let bytes = collect().encode();
    Reply { result: Ok(bytes.len() as u32), signal: None, data: bytes.to_vec() }
}
