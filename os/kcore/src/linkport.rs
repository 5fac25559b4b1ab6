//! The link port driver (docs/devices.md, "Link port"): whole frames in and out of one port.
//!
//! Port `n` is the device at `0x1001_0000 + n × 0x1000` on interrupt line `8 + n`. A node's
//! ports are numbered from 0 without gaps (docs/topology.md), and a missing port is a hole
//! whose registers fault, so [`count`] probes ports 0, 1, … with [`arch::probe_load`] until the
//! first that is not there. Every register takes only aligned word accesses. Frames go in and
//! out by DMA (`TX_LOAD`, `RX_STORE`): the port copies a frame between its buffers and the
//! kernel's memory — RAM is identity-mapped for the kernel, so a buffer's address is its
//! physical address — at the cost of four register accesses, not one per word.
//!
//! The driver moves bytes only; what they mean is `ox_link`'s business (frames, ARQ) — with
//! one exception, the checksum: a port that can (`FEATURES.CRC`) is told where an `ox_link`
//! frame keeps its CRC-32 (`CRC_AT` = 12), and from then on fills it in as each frame leaves
//! and checks it on each frame that arrives, as a network card offloads checksums. That spares
//! both ends of a link a pass over every byte of every frame: [`Port::receive_frame`] parses a
//! frame the port found good without checking it again, and a sender told
//! [`Port::checksums`] builds its frames without the CRC (`ox_link::arq::Sender::set_port_checksums`).

use core::sync::atomic::{compiler_fence, Ordering};

use ox_link::frame::{self, Frame, FrameError, HEADER};

use crate::arch;
use crate::intc::IRQ_LINK0;

/// At most this many ports per node.
pub const MAX_PORTS: u32 = ox32::memmap::LINK_PORTS;
/// The largest frame any port carries (the largest MTU a topology may give).
pub const MAX_MTU: usize = 1024;

const PORTS_BASE: usize = ox32::memmap::LINK_BASE as usize;
const PORT_STRIDE: usize = ox32::memmap::DEVICE_SIZE as usize;
const STATUS: usize = 0x000; // Status Register (RO): bit 0 UP, bit 1 RX_READY, bit 2 TX_READY
const CTRL: usize = 0x004; // Control Register (RW): line asserted while bit 0 a frame waits, 2 down, 3 up
const MTU: usize = 0x008; // MTU Register (RO): the largest frame in bytes
const TX_SEND: usize = 0x00c; // Transmit Register (WO): send the first N bytes of the buffer
const RX_LEN: usize = 0x010; // Receive Length Register (RO): the head frame's length, 0 if none
const RX_POP: usize = 0x014; // Receive Pop Register (WO): drop the head frame
const FEATURES: usize = 0x02c; // Features Register (RO): bit 0 CRC, checksum offload
const CRC_AT: usize = 0x030; // Checksum Register (RW): where frames keep their CRC-32
const TX_ADDR: usize = 0x034; // Transmit Address Register (RW): where TX_LOAD copies from
const TX_LOAD: usize = 0x038; // Transmit Load Register (WO): copy N bytes into the buffer
const RX_ADDR: usize = 0x03c; // Receive Address Register (RW): where RX_STORE copies to
const RX_STORE: usize = 0x040; // Receive Store Register (WO): copy the head frame's N bytes
const RX_SKIP: usize = 0x044; // Receive Skip Register (RW): where in the frame RX_STORE starts
const TX_BUF: usize = 0x400; // transmit buffer (RW)

const STATUS_UP: u32 = 1 << 0;
const STATUS_TX_READY: u32 = 1 << 2;
const STATUS_RX_CRC_OK: u32 = 1 << 3;
const FEATURE_CRC: u32 = 1 << 0;
const FEATURE_DMA: u32 = 1 << 1;
/// Where an `ox_link` frame keeps its CRC-32 (docs/link-protocol.md).
const FRAME_CRC_AT: u32 = 12;
const CTRL_RX_IRQ: u32 = 1 << 0;
const CTRL_DOWN_IRQ: u32 = 1 << 2;
const CTRL_UP_IRQ: u32 = 1 << 3;

/// A buffer for one frame, word-aligned so that the frame's header reads as words.
#[repr(align(4))]
pub struct FrameBuf(pub [u8; MAX_MTU]);

impl FrameBuf {
    /// An empty buffer.
    pub const fn new() -> FrameBuf {
        FrameBuf([0; MAX_MTU])
    }
}

impl Default for FrameBuf {
    fn default() -> FrameBuf {
        FrameBuf::new()
    }
}

/// One link port, and the satellite it talks to through it: the node at the other end
/// (`address` 0), or one behind relaying satellites, whose address every frame sent through
/// this `Port` carries (docs/link-protocol.md, *Relaying*).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Port {
    index: u32,
    base: usize,
    mtu: usize,
    checksums: bool,
    address: u16,
}

/// How many ports this node has: ports 0, 1, … up to the first missing one.
pub fn count() -> u32 {
    (0..MAX_PORTS).find(|&n| Port::probe(n).is_none()).unwrap_or(MAX_PORTS)
}

/// The interrupt line of link port `index`.
pub const fn line_of(index: u32) -> u32 {
    IRQ_LINK0 + index
}

impl Port {
    /// Port `index`, if this node has it.
    pub fn probe(index: u32) -> Option<Port> {
        if index >= MAX_PORTS {
            return None;
        }
        let base = PORTS_BASE + index as usize * PORT_STRIDE;
        let mtu = arch::probe_load((base + MTU) as u32)? as usize;
        let mut port = Port { index, base, mtu: mtu.min(MAX_MTU), checksums: false, address: 0 };
        let features = port.read(FEATURES);
        assert!(features & FEATURE_DMA != 0, "link port {index} cannot move frames by DMA");
        // Whole frames (the boot ROM, which loads payloads, leaves it so too).
        port.write(RX_SKIP, 0);
        if features & FEATURE_CRC != 0 {
            port.write(CRC_AT, FRAME_CRC_AT);
            port.checksums = true;
        }
        Some(port)
    }

    /// This port, talking to the satellite at `address` behind it: every frame [`Port::send`]
    /// sends carries that address.
    pub fn routed(self, address: u16) -> Port {
        Port { address, ..self }
    }

    /// The address its frames carry (0: the node at the other end).
    pub fn address(&self) -> u16 {
        self.address
    }

    /// Whether the port fills in and checks every frame's CRC-32 (checksum offload).
    pub fn checksums(&self) -> bool {
        self.checksums
    }

    /// The port's number on this node.
    pub fn index(&self) -> u32 {
        self.index
    }

    /// The largest frame the link carries.
    pub fn mtu(&self) -> usize {
        self.mtu
    }

    /// The port's interrupt line.
    pub fn line(&self) -> u32 {
        line_of(self.index)
    }

    fn read(&self, offset: usize) -> u32 {
        // Safety: `base` is a port that `probe` found, identity-mapped for the kernel, and
        // every offset used here names a readable register or the receive window.
        unsafe { ((self.base + offset) as *const u32).read_volatile() }
    }

    fn write(&self, offset: usize, value: u32) {
        // Safety: as for `read`, for writable registers and the transmit buffer. The DMA
        // registers make the port reach RAM, but only during the store to `TX_LOAD` or
        // `RX_STORE`, and only the buffer `send` or `take` borrows over it (`take`'s mutably).
        unsafe { ((self.base + offset) as *mut u32).write_volatile(value) }
    }

    /// Whether the link is connected.
    pub fn is_up(&self) -> bool {
        self.read(STATUS) & STATUS_UP != 0
    }

    /// Sends `frame` (at most the MTU), with this port's address if it has one; false if the
    /// port cannot take a frame now (its transmit queue is full until the next quantum
    /// boundary), in which case nothing was sent.
    pub fn send(&self, frame: &[u8]) -> bool {
        assert!(
            !frame.is_empty() && frame.len() <= self.mtu,
            "a frame of {} bytes on port {}",
            frame.len(),
            self.index
        );
        if self.read(STATUS) & STATUS_TX_READY == 0 {
            return false;
        }
        let readdress = self.address != 0 && frame.len() >= HEADER && frame::address(frame) != self.address;
        if readdress && !self.checksums {
            // The CRC covers the address: without the port to fill it in, it is computed here.
            let mut copy = FrameBuf::new();
            let copy = &mut copy.0[..frame.len()];
            copy.copy_from_slice(frame);
            frame::set_address(copy, self.address);
            frame::seal(copy);
            return self.send(copy);
        }
        // The bytes must be in RAM before the port copies them.
        compiler_fence(Ordering::SeqCst);
        self.write(TX_ADDR, frame.as_ptr() as u32);
        self.write(TX_LOAD, frame.len() as u32);
        if readdress {
            // The word of `len` and `address`; the port fills in the CRC as the frame leaves.
            let word = u32::from_le_bytes([frame[8], frame[9], 0, 0]) | u32::from(self.address) << 16;
            self.write(TX_BUF + frame::ADDRESS_AT - 2, word);
        }
        self.write(TX_SEND, frame.len() as u32);
        true
    }

    /// Takes the frame at the head of the receive queue into `buf` and checks it as
    /// [`Port::receive_frame`] does, without parsing it: its length if it is good. `None` if
    /// no frame waits.
    pub fn receive_checked(&self, buf: &mut FrameBuf) -> Option<Result<usize, FrameError>> {
        let (waiting, verdict) = self.head()?;
        let len = self.take(waiting, &mut buf.0);
        Some(match verdict {
            Some(true) => Ok(len),
            Some(false) => Err(FrameError::Checksum),
            None => frame::decode(&buf.0[..len]).map(|_| len),
        })
    }

    /// Takes the frame at the head of the receive queue into `buf` and checks it: parsed
    /// without a second look at its CRC if the port found it good, as damaged if the port
    /// found it bad, checked whole here on a port without checksum offload. `None` if no
    /// frame waits.
    pub fn receive_frame<'a>(&self, buf: &'a mut FrameBuf) -> Option<Result<Frame<'a>, FrameError>> {
        let (waiting, verdict) = self.head()?;
        let buf = &mut buf.0;
        let len = self.take(waiting, buf);
        Some(match verdict {
            Some(true) => frame::parse(&buf[..len]),
            Some(false) => Err(FrameError::Checksum),
            None => frame::decode(&buf[..len]),
        })
    }

    /// Takes the frame at the head of the receive queue into `buf`; returns its length (cut to
    /// `buf`), or `None` if no frame waits.
    pub fn receive(&self, buf: &mut [u8]) -> Option<usize> {
        let waiting = self.read(RX_LEN) as usize;
        (waiting != 0).then(|| self.take(waiting, buf))
    }

    /// The length of the frame at the head of the receive queue, if one waits, and — with
    /// checksum offload — whether the port found its CRC good. The length is read first: a
    /// frame may arrive between any two reads, and `STATUS` read while the queue was empty
    /// says no good frame waits, which must not be taken as the verdict on the frame that
    /// arrived since (it would be dropped as damaged, and its sender would wait for its
    /// timeout to send it again). The head changes only when this kernel pops it.
    #[inline(always)]
    fn head(&self) -> Option<(usize, Option<bool>)> {
        let waiting = self.read(RX_LEN) as usize;
        if waiting == 0 {
            return None;
        }
        Some((waiting, self.checksums.then(|| self.read(STATUS) & STATUS_RX_CRC_OK != 0)))
    }

    /// Copies the head frame, `waiting` bytes long (as `RX_LEN` said), into `buf` and pops it;
    /// returns its length, cut to `buf`.
    #[inline(always)]
    fn take(&self, waiting: usize, buf: &mut [u8]) -> usize {
        let len = waiting.min(buf.len()).min(self.mtu);
        self.write(RX_ADDR, buf.as_mut_ptr() as u32);
        self.write(RX_STORE, len as u32);
        // The port wrote `buf` behind the compiler's back: nothing read from it may come from
        // before.
        compiler_fence(Ordering::SeqCst);
        self.write(RX_POP, 1);
        len
    }

    /// Asserts the port's line while a frame waits (so `wait` wakes for it), or not.
    pub fn set_rx_interrupt(&self, on: bool) {
        self.set_interrupts(on, false);
    }

    /// Asserts the port's line while a frame waits (`rx`), and while the link is down
    /// (`down`: the far end powered off or went away), or not.
    pub fn set_interrupts(&self, rx: bool, down: bool) {
        let rx = if rx { CTRL_RX_IRQ } else { 0 };
        let down = if down { CTRL_DOWN_IRQ } else { 0 };
        self.write(CTRL, rx | down);
    }

    /// Asserts the port's line only when the link is up (`up`), or only when it is down: a
    /// dead satellite's port waits so for its link to go down and come back (nothing else).
    pub fn watch_link(&self, up: bool) {
        self.write(CTRL, if up { CTRL_UP_IRQ } else { CTRL_DOWN_IRQ });
    }

    /// Asserts the port's line while a frame waits (`rx`), and when the link is no longer as
    /// it is now: while it is down if it is up, while it is up if it is down. A relaying
    /// satellite watches the ports it relays to so, and calls this again after each change.
    pub fn watch_change(&self, rx: bool) {
        let change = if self.is_up() { CTRL_DOWN_IRQ } else { CTRL_UP_IRQ };
        self.write(CTRL, if rx { CTRL_RX_IRQ } else { 0 } | change);
    }
}
