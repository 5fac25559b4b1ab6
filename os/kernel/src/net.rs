//! The central's part in the network message service (`ox_kcore::netmsg`, docs/ports.md,
//! *Across nodes*): every satellite is wired to the central, so the central relays a `Net`
//! message from one satellite to another, and it is the one that says a satellite died.
//!
//! A `Net` message is accepted only from the link of the node it says it is from; one for a
//! node that is not a live satellite is dropped (and counted). A satellite that comes back
//! (`remote`) starts with a clean slate: whatever named its ports is dead already.

use ox_kcore::ipcall;
use ox_kcore::netmsg;
use ox_proto::net::{Net, NetOp};
use ox_proto::{Message, Request};

use crate::{remote, stub};

/// Sends `message` towards node `to` (a satellite: on its link).
pub fn transmit(to: u32, message: &Message) {
    match remote::node_link(to) {
        Ok(link) => remote::send(link, message),
        Err(_) => remote::count_dropped(),
    }
}

/// A `Net` message that came on link `link`: served here, or relayed to its node.
pub fn route(link: usize, net: Net) {
    let from_link = remote::link_node(link);
    // Only the central says a node is dead.
    if from_link != Some(net.from) || matches!(net.op, NetOp::NodeDead { .. }) {
        remote::count_dropped();
        return;
    }
    if net.to == ipcall::node() {
        ipcall::net_receive(net.from, net.op);
    } else {
        transmit(net.to, &Message::request(0, Request::Net(net)));
    }
}

/// The satellite of link `link` is dead: its processes are killed (`stub::host_down`), its
/// ports die here, and every other satellite hears it.
pub fn lost(link: usize) {
    stub::host_down(link);
    let Some(node) = remote::link_node(link) else { return };
    ipcall::node_dead(node);
    let me = ipcall::node();
    for (other, other_node) in remote::satellites() {
        remote::send(other, &netmsg::message(me, other_node, NetOp::NodeDead { node }));
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
            remote::send(other, &netmsg::message(me, other_node, NetOp::NodeDead { node }));
        }
    }
}
