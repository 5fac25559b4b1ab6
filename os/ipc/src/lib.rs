//! Mach ports, machine-independent (Rashid et al., *Mach: A New Kernel Foundation for UNIX
//! Development*, 1986; the *Mach 3 Kernel Interfaces*; GNU Mach's `ipc/`): a port is a kernel
//! queue of messages with exactly one **receive right** and any number of **send rights**
//! (counted) and **send-once rights**; each task names the rights it holds in its own **name
//! space** — small integers, like descriptors but separate from them. Messages carry inline
//! bytes, port rights and out-of-line memory (an opaque value the kernel's VM provides, `M`).
//! **Port sets** receive from whichever member has a message. **Notifications** tell a task
//! that a port it sends to died (dead-name), that a port it receives from has no senders left
//! (no-senders), that a name it watched was deleted (port-deleted), that a receive right it
//! gave away would have been destroyed (port-destroyed: the right comes back), or that a
//! send-once right was destroyed unused (send-once).
//!
//! Design principles:
//! 1. **Every right is counted, everywhere it is.** A port knows how many send and send-once
//!    rights exist — in name spaces and in messages in transit — so no-senders and the leak
//!    counters ([`Ipc::counts`]) are exact; destroying a message releases the rights it carries.
//! 2. **Everything a task gives is checked.** Names, right kinds, dispositions and limits come
//!    from user processes: a bad one is a typed error ([`IpcError`], as Mach's `KERN_*` and
//!    `MACH_SEND_*` codes), never a panic, and a refused operation changes nothing.
//! 3. **No time, no blocking.** A full queue is [`IpcError::QueueFull`], an empty one `None`:
//!    the kernel decides whether to sleep, for how long, and whom to wake ([`Wakeups`]).
//! 4. **Deterministic.** Names are given lowest-first, port sets deliver in arrival order.
//!
//! Layering: [`name`] names, rights and dispositions; [`message`] messages as sent and as
//! received; [`system`] the ports, the name spaces and every operation.
#![no_std]

extern crate alloc;
#[cfg(test)]
extern crate std;

pub mod message;
pub mod name;
pub mod sorted;
pub mod system;
pub mod table;

/// A fixed pseudo-random walk for the maps' tests: `steps` values of a linear congruential
/// generator.
#[cfg(test)]
fn walk(steps: usize) -> impl Iterator<Item = u32> {
    core::iter::successors(Some(12345u32), |x| Some(x.wrapping_mul(1_103_515_245).wrapping_add(12345)))
        .skip(1)
        .take(steps)
}

pub use message::{Header, Item, Message, Received, ReceivedItem};
pub use name::{Disposition, Name, Notify, RightKind, TaskId, Types};
pub use system::{
    Counts, Direct, HandedOff, Ipc, IpcError, Requests, RpcHandOff, RpcTarget, Taken, TakenName, Wakeups,
    KEY_PORT, MAX_QLIMIT, QLIMIT_DEFAULT,
};
