//! Kernel counters (`stats`, docs/syscalls.md): what the central holds right now, counted from
//! its live structures — the process table, the open-file and pipe tables, the buffer cache,
//! the replies not taken — or kept at every allocation and release (frames, user pages and
//! page tables in `ox_kcore`, the heap). A satellite's counters come from the satellite itself:
//! the kernel asks it with an ox-proto `Stats` request and waits for the reply, like a placement
//! step (docs/protocol.md).
//!
//! A test compares the resource counters before and after a workload (`ox_abi::NodeStats::
//! leaks`): equal counters mean no process, stub, frame, page, table, heap byte, open file,
//! descriptor or pipe was leaked.

use ox_abi::{Errno, NodeStats};
use ox_kcore::task::proc::{self, State};
use ox_kcore::{frame, heap, ipcall, pmap, vm};
use ox_proto::{Message, Request};

use crate::proc::CentralProc;
use crate::{file, fs, pipe, remote, stub, user};

/// The central's counters.
pub fn collect() -> NodeStats {
    let mut stats = NodeStats::default();
    {
        let table = proc::table();
        for p in table.slots.iter().flatten() {
            stats.procs += 1;
            let zombie = matches!(p.state, State::Zombie(_));
            stats.zombies += u32::from(zombie);
            stats.stubs += u32::from(p.central_ref().remote.is_some() && !zombie);
            stats.descriptors += p.central_ref().files.count();
        }
    }
    (stats.free_frames, stats.total_frames) = frame::stats();
    (stats.user_pages, stats.page_tables) = pmap::counts();
    let (used, total) = heap::usage();
    (stats.heap_used, stats.heap_total) = (used as u32, total as u32);
    stats.open_files = file::open_count();
    stats.pipes = pipe::count();
    stats.buffers = fs::cached_blocks();
    let (pending, [messages, frames, resent], dropped) = remote::counters();
    stats.dropped = dropped;
    vm::count_into(&mut stats);
    ipcall::count_into(&mut stats);
    (stats.pending, stats.messages_out, stats.frames_out, stats.resent) = (pending, messages, frames, resent);
    (stats.forwarded, stats.user_copies) = (stub::calls(), user::copies());
    stats
}

/// The counters of satellite node `node`, asked over its link for the current process.
fn satellite(node: u32) -> Result<NodeStats, Errno> {
    let link = remote::node_link(node)?;
    let pid = proc::table().current().pid;
    remote::send(link, &Message::request(pid, Request::Stats));
    let reply = remote::wait_reply(link, pid);
    reply.result?;
    NodeStats::decode(&reply.data).ok_or(Errno::Io)
}

/// `stats(node, buf, len)`: stores the counters of `node` (0: this node) at `buf`; returns
/// the bytes stored. `EINVAL` for a `len` below [`NodeStats::SIZE`] or a node with no
/// satellite up.
pub fn syscall(node: u32, buf: u32, len: u32) -> Result<u32, Errno> {
    if (len as usize) < NodeStats::SIZE {
        return Err(Errno::Inval);
    }
    let stats = if node == 0 { collect() } else { satellite(node)? };
    user::copy_out(buf, &stats.encode())?;
    Ok(NodeStats::SIZE as u32)
}
