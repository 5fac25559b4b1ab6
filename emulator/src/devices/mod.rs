//! The devices of a node, one file each: a pure state machine with its registers as named
//! offsets. [`crate::bus`] attaches them to the physical address space.

pub mod block;
pub mod intc;
pub mod link;
pub mod power;
pub mod timer;
pub mod uart;
