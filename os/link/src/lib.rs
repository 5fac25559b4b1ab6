//! The reliable transport that every conversation over an Orrery link uses: the central kernel
//! booting a satellite, and (later) the system-call protocol between a process and its stub.
//!
//! Design principles:
//! 1. **One definition for both ends.** The frame layout, the checksum and the state machines
//!    live here, used by the kernel and by host-side tests; the satellite boot ROM
//!    (`os/bootrom/bootrom.s`) implements the receiving side of the same layout in assembly.
//! 2. **Poll-driven state machines, no I/O.** [`arq::Sender`] and [`arq::Receiver`] take frames
//!    and the current time and return frames to transmit; whoever owns the link device moves
//!    the bytes. So the same code runs in an interrupt handler, a polling loop or a test.
//! 3. **Every frame is checked.** A frame whose CRC-32, version or length is wrong is dropped
//!    silently; the sender's timeout recovers it. Nothing a damaged frame carries is trusted.
//!
//! `docs/link-protocol.md` specifies the format for readers.
#![no_std]

extern crate alloc;

pub mod arq;
pub mod boot;
pub mod crc;
pub mod frame;

pub use crc::crc32;
