//! The central's part in the network message service (`ox_kcore::netmsg`, docs/ports.md,
//! *Across nodes*): every satellite is wired to the central, so the central relays a `Net`
//! message from one satellite to another, and it is the one that says a satellite died.
//!
//! A `Net` message is accepted only from the link of the node it says it is from; one for a
//! node that is not a live satellite is dropped (and counted). A satellite that comes back
//! (`remote`) starts with a clean slate: whatever named its ports is dead already.

use alloc::borrow::Cow;

use ox_kcore::ipcall;
use ox_proto::net::{Net, NetOp};
use ox_proto::NetEnvelope;

use crate::{remote, stub};

/// Sends the `Net` message `bytes` towards node `to` (a satellite: on its link).
pub fn transmit(to: u32, bytes: Cow<'_, [u8]>) {
    match remote::node_link(to) {
        Ok(link) => remote::send_net(link, bytes),
        Err(_) => remote::count_dropped(),
    }
}

/// Sends a `Net` message towards node `to` (a satellite) that `write` encodes straight into the
/// frame that carries it, if its link has one ready (`ox_kcore::netmsg::SendInFrame`); false
/// if not (`write` may not have run).
pub fn transmit_in_frame(to: u32, write: &mut dyn FnMut(&mut [u32]) -> Option<usize>) -> bool {
    remote::node_link(to).is_ok_and(|link| remote::send_net_with(link, write))
}

/// A `Net` message for the central that came on link `link` (one for another node was
/// relayed as it came: `remote::relay`). Anything else is dropped and counted.
pub fn route(link: usize, net: Net) {
    let from_link = remote::link_node(link);
    // Only the central says a node is dead.
    let forged = from_link != Some(net.from) || matches!(net.op, NetOp::NodeDead { .. });
    if forged || net.to != ipcall::node() {
        remote::count_dropped();
        return;
    }
    ipcall::net_receive(net.from, net.op);
}

/// The satellite of link `link` is dead: its processes are killed (`stub::host_down`), its
/// ports die here, and every other satellite hears it.
pub fn lost(link: usize) {
    stub::host_down(link);
    let Some(node) = remote::link_node(link) else { return };
    ipcall::node_dead(node);
    let me = ipcall::node();
    for (other, other_node) in remote::satellites() {
        tell_dead(other, me, other_node, node);
    }
}

/// The satellite of link `link` came back (booted again, a new link): whatever this node and
/// the other satellites still hold about it — proxies and references made, while it was dead,
/// from rights that were on their way — dies now, before anything of the new incarnation can
/// arrive, so that no right to a port of the old one names a port of the new.
pub fn back(link: usize) {
    let Some(node) = remote::link_node(link) else { return };
    ipcall::node_dead(node);
    let me = ipcall::node();
    for (other, other_node) in remote::satellites() {
        if other != link {
            tell_dead(other, me, other_node, node);
        }
    }
}

/// Tells the satellite `to` of link `link` that node `node` is dead (this is node `me`).
fn tell_dead(link: usize, me: u32, to: u32, node: u32) {
    match NetEnvelope::encode(me, to, &NetOp::NodeDead { node }) {
        Ok(bytes) => remote::send_net(link, Cow::Owned(bytes)),
        Err(_) => remote::count_dropped(),
    }
}
