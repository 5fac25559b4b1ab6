//! A link port: the node's end of a point-to-point link, sending and receiving whole frames.
//!
//! Registers (all 32-bit):
//! - `0x000 STATUS` (RO): bit 0 `UP` (the link is connected), bit 1 `RX_READY` (a frame waits),
//!   bit 2 `TX_READY` (a frame can be sent now).
//! - `0x004 CTRL` (RW): bit 0 asserts the line while a frame waits, bit 1 while `TX_READY`,
//!   bit 2 while the link is down (the far end powered off, or its process went away), bit 3
//!   while it is up (for a link that comes back).
//! - `0x008 MTU` (RO): the largest frame in bytes.
//! - `0x00C TX_SEND` (WO): send the first N bytes of the transmit buffer as one frame, N the
//!   value written; a store access fault if N is 0 or above the MTU, or the transmit queue is
//!   full. On a link that is down the frame is lost, as on a wire without carrier: the link
//!   can go down between a driver's look at `TX_READY` and its send (at any quantum
//!   boundary), and that race must not fault the driver.
//! - `0x010 RX_LEN` (RO): length of the frame at the head of the receive queue, 0 if none.
//! - `0x014 RX_POP` (WO): drop the head frame (any value).
//! - `0x018 TX_FREE` (RO): how many more frames can be sent before `TX_READY` clears.
//! - `0x01C RX_COUNT` (RO): frames waiting.
//! - `0x020 TX_FRAMES`, `0x024 RX_FRAMES`, `0x028 RX_OVERFLOWS` (RO): frames sent, frames
//!   received, frames lost because the receive queue was full.
//! - `0x02C FEATURES` (RO): bit 0 `CRC`, the port can compute and check frame checksums.
//! - `0x030 CRC_AT` (RW): checksum offload, as a network card's: the byte offset of a 4-byte
//!   CRC-32 field in every frame, or `0xFFFF_FFFF` (the reset value) for none. While set,
//!   `TX_SEND` writes the CRC-32 (IEEE 802.3, as `ox_link::crc`) of the frame — taken with that
//!   field zero — into the field before the frame leaves, and `STATUS` bit 3 `RX_CRC_OK` says
//!   whether the head frame's field holds the CRC-32 of that frame (a frame too short to hold
//!   the field is not OK). The boot ROM and the kernels turn it on, which spares each end a
//!   pass over every byte of every frame (docs/devices.md).
//! - `0x034 TX_ADDR` (RW): the guest-physical address in RAM that `TX_LOAD` copies from.
//! - `0x038 TX_LOAD` (WO): DMA, copy the N bytes at `TX_ADDR` into the transmit buffer, N the
//!   value written; a store access fault if N is 0 or above the MTU, or the bytes are not all
//!   RAM (then nothing is copied). It does not send: `TX_SEND` does, after whatever the driver
//!   writes into the buffer in between.
//! - `0x03C RX_ADDR` (RW): the guest-physical address in RAM that `RX_STORE` copies to.
//! - `0x040 RX_STORE` (WO): DMA, copy N bytes of the head frame from byte `RX_SKIP` on (as
//!   many as it has past `RX_SKIP` if fewer; nothing if no frame waits) to `RX_ADDR`, N the
//!   value written, and take them into `RX_CRC`; a store access fault if N is 0 or above the
//!   MTU, or the bytes are not all RAM. It does not pop.
//! - `0x044 RX_SKIP` (RW): the byte of the head frame `RX_STORE` starts at (reset 0): a
//!   driver that wants a frame's payload where it belongs skips its headers.
//! - `0x048 RX_CRC` (RW): a running CRC-32 (IEEE 802.3, as `ox_link::crc::crc32_update`) of
//!   the bytes `RX_STORE` has copied since it was last written (reset 0, the CRC of nothing):
//!   the boot ROM checks a whole image with it.
//! - `0x400..0x400 + MTU` transmit buffer (RW); `0x800..0x800 + MTU` the head frame (RO;
//!   bytes past its length read 0).
//!
//! A driver moves a frame either way: a word at a time through the two windows, or by DMA,
//! which costs the CPU four register accesses instead of one per word (the kernels and the boot
//! ROM do; `FEATURES` bit 1 `DMA` says the port can). The copies take no virtual time: a
//! frame is at most 1 KiB, which a bus master moves in well under an instruction's time per
//! word.
//!
//! Frames leave in the order sent, stamped with the virtual time of the `TX_SEND`; the system
//! carries them over the link and hands them over as the quantum in which they arrive opens
//! ([`LinkPort::deliver_at`]): each joins the receive queue at its arrival time. The
//! transmit side holds at most [`TX_QUEUE`] frames until the system collects them at the next
//! boundary, which is how a link's bandwidth pushes back on a fast sender.

use std::collections::VecDeque;

use ox_link::crc::crc32_update;

use crate::device::{Device, DeviceFault, Dma};
use crate::time::Time;

/// Status Register (RO).
const STATUS: u32 = 0x000;
/// Control Register (RW).
const CTRL: u32 = 0x004;
/// Frame size limit (RO).
const MTU: u32 = 0x008;
/// Send Register (WO).
const TX_SEND: u32 = 0x00c;
/// Head frame length (RO).
const RX_LEN: u32 = 0x010;
/// Drop the head frame (WO).
const RX_POP: u32 = 0x014;
/// Free transmit slots (RO).
const TX_FREE: u32 = 0x018;
/// Frames waiting (RO).
const RX_COUNT: u32 = 0x01c;
/// Frames sent (RO).
const TX_FRAMES: u32 = 0x020;
/// Frames received (RO).
const RX_FRAMES: u32 = 0x024;
/// Frames lost to a full receive queue (RO).
const RX_OVERFLOWS: u32 = 0x028;
/// What the port can do (RO).
const FEATURES: u32 = 0x02c;
/// Where the checksum goes, or [`CRC_OFF`] (RW).
const CRC_AT: u32 = 0x030;
/// Where `TX_LOAD` copies from (RW).
const TX_ADDR: u32 = 0x034;
/// DMA into the transmit buffer (WO).
const TX_LOAD: u32 = 0x038;
/// Where `RX_STORE` copies to (RW).
const RX_ADDR: u32 = 0x03c;
/// DMA out of the head frame (WO).
const RX_STORE: u32 = 0x040;
/// Where in the head frame `RX_STORE` starts (RW).
const RX_SKIP: u32 = 0x044;
/// The CRC-32 of what `RX_STORE` copied (RW).
const RX_CRC: u32 = 0x048;
/// Transmit buffer (RW).
const TX_BUF: u32 = 0x400;
/// Receive window onto the head frame (RO).
const RX_BUF: u32 = 0x800;

/// `STATUS` bit 0: connected.
pub const STATUS_UP: u32 = 1 << 0;
/// `STATUS` bit 1: a frame waits.
pub const STATUS_RX_READY: u32 = 1 << 1;
/// `STATUS` bit 2: a frame can be sent.
pub const STATUS_TX_READY: u32 = 1 << 2;
/// `STATUS` bit 3: the head frame's checksum is right (with `CRC_AT` set).
pub const STATUS_RX_CRC_OK: u32 = 1 << 3;
/// `FEATURES` bit 0: checksum offload.
pub const FEATURE_CRC: u32 = 1 << 0;
/// `FEATURES` bit 1: frames copied to and from RAM by DMA.
pub const FEATURE_DMA: u32 = 1 << 1;
/// `CRC_AT`'s value for no checksum offload.
pub const CRC_OFF: u32 = u32::MAX;
/// `CTRL` bit 0: receive interrupt enable.
const CTRL_RX_IE: u32 = 1 << 0;
/// `CTRL` bit 1: transmit interrupt enable.
const CTRL_TX_IE: u32 = 1 << 1;
/// `CTRL` bit 2: link-down interrupt enable.
const CTRL_DOWN_IE: u32 = 1 << 2;
/// `CTRL` bit 3: link-up interrupt enable.
const CTRL_UP_IE: u32 = 1 << 3;

/// Frames the transmit side holds before the system collects them.
pub const TX_QUEUE: usize = 16;
/// Frames the receive side holds; more are dropped and counted.
pub const RX_QUEUE: usize = 64;

/// A frame in flight, stamped with the time it was sent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Frame {
    /// Virtual time of the send.
    pub sent: Time,
    /// The bytes.
    pub data: Vec<u8>,
}

/// One link port.
#[derive(Debug)]
pub struct LinkPort {
    mtu: u32,
    up: bool,
    ctrl: u32,
    tx_buf: Vec<u8>,
    outbox: Vec<Frame>,
    inbox: VecDeque<Vec<u8>>,
    /// Frames handed over ahead of their arrival ([`LinkPort::deliver_at`]), in arrival order,
    /// each with its arrival time; they join `inbox` when the CPU's time reaches it.
    arriving: VecDeque<(Time, Vec<u8>)>,
    tx_frames: u32,
    rx_frames: u32,
    rx_overflows: u32,
    crc_at: u32,
    /// Whether the head frame's checksum is right, once `STATUS` has looked (a guest may
    /// read `STATUS` many times while a frame waits); forgotten when the head frame or
    /// `CRC_AT` changes.
    head_crc_ok: Option<bool>,
    tx_addr: u32,
    rx_addr: u32,
    rx_skip: u32,
    rx_crc: u32,
    /// The copy the last register write asked for, until the bus takes it.
    dma: Option<Dma>,
}

impl LinkPort {
    /// A connected port carrying frames of at most `mtu` bytes (a multiple of 4, ≤ 1024).
    pub fn new(mtu: u32) -> LinkPort {
        LinkPort {
            mtu,
            up: true,
            ctrl: 0,
            tx_buf: vec![0; mtu as usize],
            outbox: Vec::new(),
            inbox: VecDeque::new(),
            arriving: VecDeque::new(),
            tx_frames: 0,
            rx_frames: 0,
            rx_overflows: 0,
            crc_at: CRC_OFF,
            head_crc_ok: None,
            tx_addr: 0,
            rx_addr: 0,
            rx_skip: 0,
            rx_crc: 0,
            dma: None,
        }
    }

    /// Takes the frames sent since the last call, oldest first.
    pub fn take_sent(&mut self) -> Vec<Frame> {
        std::mem::take(&mut self.outbox)
    }

    /// Hands over a frame that arrives at virtual time `at`: it joins the receive queue then
    /// (at once if `at` has passed), as it would on a wire. The system hands a quantum's
    /// frames over as the quantum opens, so a frame arrives when its link says, not at the
    /// next boundary.
    pub fn deliver_at(&mut self, at: Time, data: Vec<u8>) {
        let after = self.arriving.partition_point(|(t, _)| *t <= at);
        self.arriving.insert(after, (at, data));
    }

    /// Moves the frames that have arrived by `now` into the receive queue.
    fn arrive(&mut self, now: Time) {
        while self.arriving.front().is_some_and(|(at, _)| *at <= now) {
            if let Some((_, data)) = self.arriving.pop_front() {
                self.deliver(data);
            }
        }
    }

    /// Whether a frame waits in the receive queue at `now`.
    fn rx_waiting(&self, now: Time) -> bool {
        !self.inbox.is_empty() || self.arriving.front().is_some_and(|(at, _)| *at <= now)
    }

    /// Puts a frame that crossed the link into the receive queue (or counts it lost).
    pub fn deliver(&mut self, data: Vec<u8>) {
        if self.inbox.len() < RX_QUEUE {
            if self.inbox.is_empty() {
                self.head_crc_ok = None;
            }
            self.inbox.push_back(data);
            self.rx_frames = self.rx_frames.wrapping_add(1);
        } else {
            self.rx_overflows = self.rx_overflows.wrapping_add(1);
        }
    }

    /// Marks the link connected or not (a remote peer that has not connected yet).
    pub fn set_up(&mut self, up: bool) {
        self.up = up;
    }

    fn tx_ready(&self) -> bool {
        self.up && self.outbox.len() < TX_QUEUE
    }

    fn status(&mut self) -> u32 {
        let mut status = 0;
        if self.up {
            status |= STATUS_UP;
        }
        if !self.inbox.is_empty() {
            status |= STATUS_RX_READY;
        }
        if self.tx_ready() {
            status |= STATUS_TX_READY;
        }
        if self.head_crc_ok() {
            status |= STATUS_RX_CRC_OK;
        }
        status
    }

    /// Whether there is a head frame and, with `CRC_AT` set, its checksum is right.
    fn head_crc_ok(&mut self) -> bool {
        if let Some(ok) = self.head_crc_ok {
            return ok;
        }
        let ok = self
            .inbox
            .front()
            .is_some_and(|frame| self.crc_field(frame).is_some_and(|(stored, crc)| stored == crc));
        self.head_crc_ok = Some(ok);
        ok
    }

    /// With `CRC_AT` set and `frame` long enough to hold the field: the CRC the field holds,
    /// and the CRC of the frame with the field zero.
    fn crc_field(&self, frame: &[u8]) -> Option<(u32, u32)> {
        let at = self.crc_at as usize;
        let field = frame.get(at..at.checked_add(4)?)?;
        let stored = u32::from_le_bytes([field[0], field[1], field[2], field[3]]);
        let crc = crc32_update(0, &frame[..at]);
        let crc = crc32_update(crc, &[0; 4]);
        Some((stored, crc32_update(crc, &frame[at + 4..])))
    }

    fn in_buffer(&self, offset: u32, base: u32) -> Option<usize> {
        (base..base + self.mtu).contains(&offset).then(|| (offset - base) as usize)
    }
}

impl Device for LinkPort {
    fn name(&self) -> &'static str {
        "link"
    }

    fn reset(&mut self) {
        *self = LinkPort { up: self.up, ..LinkPort::new(self.mtu) };
    }

    fn read(&mut self, offset: u32, now: Time) -> Result<u32, DeviceFault> {
        self.arrive(now);
        // The receive window first: a kernel reads every frame through it, a word at a time.
        if let Some(i) = self.in_buffer(offset, RX_BUF) {
            let frame = self.inbox.front().map_or(&[][..], Vec::as_slice);
            if let Some(word) = frame.get(i..i + 4) {
                return Ok(u32::from_le_bytes([word[0], word[1], word[2], word[3]]));
            }
            let byte = |k: usize| frame.get(i + k).copied().unwrap_or(0);
            return Ok(u32::from_le_bytes([byte(0), byte(1), byte(2), byte(3)]));
        }
        if let Some(i) = self.in_buffer(offset, TX_BUF) {
            return Ok(u32::from_le_bytes([
                self.tx_buf[i],
                self.tx_buf[i + 1],
                self.tx_buf[i + 2],
                self.tx_buf[i + 3],
            ]));
        }
        Ok(match offset {
            STATUS => self.status(),
            CTRL => self.ctrl,
            MTU => self.mtu,
            RX_LEN => self.inbox.front().map_or(0, |f| f.len() as u32),
            TX_FREE => (TX_QUEUE - self.outbox.len().min(TX_QUEUE)) as u32 * u32::from(self.up),
            RX_COUNT => self.inbox.len() as u32,
            TX_FRAMES => self.tx_frames,
            RX_FRAMES => self.rx_frames,
            RX_OVERFLOWS => self.rx_overflows,
            FEATURES => FEATURE_CRC | FEATURE_DMA,
            CRC_AT => self.crc_at,
            TX_ADDR => self.tx_addr,
            RX_ADDR => self.rx_addr,
            RX_SKIP => self.rx_skip,
            RX_CRC => self.rx_crc,
            _ => return Err(DeviceFault),
        })
    }

    fn write(&mut self, offset: u32, value: u32, now: Time) -> Result<(), DeviceFault> {
        self.arrive(now);
        if let Some(i) = self.in_buffer(offset, TX_BUF) {
            self.tx_buf[i..i + 4].copy_from_slice(&value.to_le_bytes());
            return Ok(());
        }
        match offset {
            CTRL => self.ctrl = value & (CTRL_RX_IE | CTRL_TX_IE | CTRL_DOWN_IE | CTRL_UP_IE),
            CRC_AT => {
                self.crc_at = value;
                self.head_crc_ok = None;
            }
            TX_SEND => {
                if value == 0 || value > self.mtu || self.outbox.len() >= TX_QUEUE {
                    return Err(DeviceFault);
                }
                if !self.up {
                    return Ok(());
                }
                let mut data = self.tx_buf[..value as usize].to_vec();
                if let Some((_, crc)) = self.crc_field(&data) {
                    let at = self.crc_at as usize;
                    data[at..at + 4].copy_from_slice(&crc.to_le_bytes());
                }
                self.outbox.push(Frame { sent: now, data });
                self.tx_frames = self.tx_frames.wrapping_add(1);
            }
            RX_POP => {
                self.inbox.pop_front();
                self.head_crc_ok = None;
            }
            TX_ADDR => self.tx_addr = value,
            RX_ADDR => self.rx_addr = value,
            RX_SKIP => self.rx_skip = value,
            RX_CRC => self.rx_crc = value,
            TX_LOAD | RX_STORE => {
                if value == 0 || value > self.mtu {
                    return Err(DeviceFault);
                }
                let len = value as usize;
                self.dma = Some(if offset == TX_LOAD {
                    Dma::FromRam { addr: self.tx_addr, len }
                } else {
                    let head = self.inbox.front().map_or(0, Vec::len);
                    let past_skip = head.saturating_sub(self.rx_skip as usize);
                    Dma::ToRam { addr: self.rx_addr, len: len.min(past_skip) }
                });
            }
            _ => return Err(DeviceFault),
        }
        Ok(())
    }

    fn write_is_inert(&self, offset: u32) -> bool {
        // The transmit buffer and what fills it: only `TX_SEND` sends what it holds. Not
        // `RX_STORE`, whose RAM may have held decoded code.
        self.in_buffer(offset, TX_BUF).is_some()
            || matches!(offset, TX_ADDR | TX_LOAD | RX_ADDR | RX_SKIP | RX_CRC)
    }

    fn take_dma(&mut self) -> Option<Dma> {
        self.dma.take()
    }

    fn dma_to_ram(&mut self, ram: &mut [u8]) {
        // (`RX_STORE` cut the length to what the frame has past `RX_SKIP`: none, if the skip
        // lies past its end.)
        let skip = self.rx_skip as usize;
        if let Some(bytes) = self.inbox.front().and_then(|frame| frame.get(skip..skip + ram.len())) {
            ram.copy_from_slice(bytes);
            self.rx_crc = crc32_update(self.rx_crc, ram);
        }
    }

    fn dma_from_ram(&mut self, ram: &[u8]) {
        self.tx_buf[..ram.len()].copy_from_slice(ram);
    }

    fn irq(&self, now: Time) -> bool {
        (self.ctrl & CTRL_RX_IE != 0 && self.rx_waiting(now))
            || (self.ctrl & CTRL_TX_IE != 0 && self.tx_ready())
            || (self.ctrl & CTRL_DOWN_IE != 0 && !self.up)
            || (self.ctrl & CTRL_UP_IE != 0 && self.up)
    }

    fn next_event(&self, now: Time) -> Option<Time> {
        let next = self.arriving.front().map(|(at, _)| *at);
        next.filter(|at| self.ctrl & CTRL_RX_IE != 0 && *at > now)
    }

    fn as_link_port(&mut self) -> Option<&mut LinkPort> {
        Some(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sends_the_buffer_as_a_frame() {
        let mut port = LinkPort::new(64);
        port.write(TX_BUF, u32::from_le_bytes(*b"ping"), 0).unwrap();
        port.write(TX_BUF + 4, u32::from_le_bytes(*b"!!!!"), 0).unwrap();
        port.write(TX_SEND, 5, 700).unwrap();
        assert_eq!(port.take_sent(), vec![Frame { sent: 700, data: b"ping!".to_vec() }]);
        assert!(port.take_sent().is_empty());
        assert_eq!(port.read(TX_FRAMES, 0), Ok(1));
        assert_eq!(port.write(TX_SEND, 0, 0), Err(DeviceFault), "empty frame");
        assert_eq!(port.write(TX_SEND, 65, 0), Err(DeviceFault), "over the MTU");
        assert_eq!(port.write(TX_BUF + 64, 0, 0), Err(DeviceFault), "past the buffer");
        assert!(port.write_is_inert(TX_BUF) && port.write_is_inert(TX_BUF + 60));
        assert!(!port.write_is_inert(TX_SEND) && !port.write_is_inert(CTRL) && !port.write_is_inert(RX_POP));
        assert!(!port.write_is_inert(TX_BUF + 64), "past the buffer: a fault, which the CPU must see");
    }

    #[test]
    fn checksum_offload_fills_and_checks_the_field() {
        let mut port = LinkPort::new(64);
        assert_eq!(port.read(FEATURES, 0), Ok(FEATURE_CRC | FEATURE_DMA));
        assert_eq!(port.read(CRC_AT, 0), Ok(CRC_OFF));
        let mut frame = [0u8; 40];
        let n = ox_link::frame::encode(&mut frame, ox_link::frame::Kind::Data, 2, 9, b"offloaded payload");
        let mut unchecked = frame;
        unchecked[12..16].fill(0);
        for (i, word) in unchecked[..n].chunks(4).enumerate() {
            let mut w = [0; 4];
            w[..word.len()].copy_from_slice(word);
            port.write(TX_BUF + 4 * i as u32, u32::from_le_bytes(w), 0).unwrap();
        }
        port.write(TX_SEND, n as u32, 0).unwrap();
        assert_eq!(port.take_sent()[0].data, unchecked[..n], "off: the frame leaves as written");
        port.write(CRC_AT, 12, 0).unwrap();
        port.write(TX_SEND, n as u32, 0).unwrap();
        let sent = port.take_sent().remove(0).data;
        assert_eq!(sent, frame[..n], "on: the port writes the frame's CRC-32");
        assert!(ox_link::frame::decode(&sent).is_ok());
        port.deliver(sent.clone());
        let mut damaged = sent.clone();
        damaged[20] ^= 4;
        port.deliver(damaged);
        port.deliver(vec![1, 2, 3]);
        assert_ne!(port.read(STATUS, 0).unwrap() & STATUS_RX_CRC_OK, 0, "a good frame");
        port.write(RX_POP, 0, 0).unwrap();
        assert_eq!(port.read(STATUS, 0).unwrap() & STATUS_RX_CRC_OK, 0, "a damaged frame");
        port.write(RX_POP, 0, 0).unwrap();
        assert_eq!(port.read(STATUS, 0).unwrap() & STATUS_RX_CRC_OK, 0, "a frame too short for the field");
        port.write(CRC_AT, CRC_OFF, 0).unwrap();
        port.deliver(sent.clone());
        port.write(RX_POP, 0, 0).unwrap();
        assert_eq!(port.read(STATUS, 0).unwrap() & STATUS_RX_CRC_OK, 0, "off: never OK");
        port.deliver(sent);
        assert_eq!(port.read(STATUS, 0).unwrap() & STATUS_RX_CRC_OK, 0, "off, with a good frame");
        port.write(CRC_AT, 12, 0).unwrap();
        assert_ne!(port.read(STATUS, 0).unwrap() & STATUS_RX_CRC_OK, 0, "on again: the same frame is OK");
        assert_ne!(port.read(STATUS, 0).unwrap() & STATUS_RX_CRC_OK, 0, "and stays so while it waits");
    }

    #[test]
    fn a_link_that_goes_down_raises_the_line_if_asked() {
        let mut port = LinkPort::new(64);
        port.write(CTRL, CTRL_DOWN_IE, 0).unwrap();
        assert!(!port.irq(0));
        assert_ne!(port.read(STATUS, 0).unwrap() & STATUS_UP, 0);
        port.set_up(false);
        assert!(port.irq(0));
        assert_eq!(port.read(STATUS, 0).unwrap() & (STATUS_UP | STATUS_TX_READY), 0);
        port.write(TX_SEND, 4, 0).expect("a send on a link that is down is no fault");
        assert!(port.take_sent().is_empty(), "nothing leaves a link that is down");
        port.write(CTRL, 0, 0).unwrap();
        assert!(!port.irq(0));
    }

    #[test]
    fn a_link_that_comes_back_raises_the_line_if_asked() {
        let mut port = LinkPort::new(64);
        port.set_up(false);
        port.write(CTRL, CTRL_UP_IE, 0).unwrap();
        assert!(!port.irq(0));
        port.set_up(true);
        assert!(port.irq(0));
        assert_ne!(port.read(STATUS, 0).unwrap() & STATUS_UP, 0);
        port.write(CTRL, CTRL_RX_IE, 0).unwrap();
        assert!(!port.irq(0));
    }

    #[test]
    fn the_transmit_queue_pushes_back() {
        let mut port = LinkPort::new(64);
        for _ in 0..TX_QUEUE {
            port.write(TX_SEND, 4, 0).unwrap();
        }
        assert_eq!(port.read(STATUS, 0).unwrap() & STATUS_TX_READY, 0);
        assert_eq!(port.read(TX_FREE, 0), Ok(0));
        assert_eq!(port.write(TX_SEND, 4, 0), Err(DeviceFault));
        port.take_sent();
        assert_eq!(port.read(TX_FREE, 0), Ok(TX_QUEUE as u32));
    }

    #[test]
    fn receives_frames_in_order_with_interrupts() {
        let mut port = LinkPort::new(64);
        port.write(CTRL, CTRL_RX_IE, 0).unwrap();
        assert!(!port.irq(0));
        port.deliver(b"abcdef".to_vec());
        port.deliver(b"xy".to_vec());
        assert!(port.irq(0));
        assert_eq!(port.read(RX_LEN, 0), Ok(6));
        assert_eq!(port.read(RX_BUF, 0), Ok(u32::from_le_bytes(*b"abcd")));
        assert_eq!(port.read(RX_BUF + 4, 0), Ok(u32::from_le_bytes([b'e', b'f', 0, 0])));
        assert_eq!(port.read(RX_BUF + 8, 0), Ok(0), "past the frame");
        port.write(RX_POP, 0, 0).unwrap();
        assert_eq!(port.read(RX_LEN, 0), Ok(2));
        port.write(RX_POP, 0, 0).unwrap();
        assert_eq!((port.read(RX_LEN, 0), port.irq(0)), (Ok(0), false));
        for _ in 0..RX_QUEUE + 3 {
            port.deliver(vec![1]);
        }
        assert_eq!(port.read(RX_OVERFLOWS, 0), Ok(3));
        assert_eq!(port.write(STATUS, 0, 0), Err(DeviceFault), "read-only");
    }

    #[test]
    fn a_frame_handed_over_early_arrives_at_its_time() {
        let mut port = LinkPort::new(64);
        port.deliver_at(300, b"late".to_vec());
        port.deliver_at(200, b"soon".to_vec());
        assert_eq!(port.next_event(0), None, "no wake-up while the line is off");
        port.write(CTRL, CTRL_RX_IE, 0).unwrap();
        assert_eq!((port.irq(199), port.next_event(199)), (false, Some(200)));
        assert_eq!((port.read(RX_LEN, 199), port.read(RX_COUNT, 199)), (Ok(0), Ok(0)));
        assert_eq!(port.read(STATUS, 199).map(|s| s & STATUS_RX_READY), Ok(0));
        assert!(port.irq(200), "the line rises at the arrival, before any read");
        assert_eq!(
            (port.read(RX_LEN, 200), port.read(RX_BUF, 200)),
            (Ok(4), Ok(u32::from_le_bytes(*b"soon")))
        );
        assert_eq!((port.read(RX_COUNT, 250), port.next_event(250)), (Ok(1), Some(300)));
        port.write(RX_POP, 0, 250).unwrap();
        assert_eq!((port.irq(250), port.read(RX_LEN, 250)), (false, Ok(0)));
        assert_eq!(port.read(RX_BUF, 300), Ok(u32::from_le_bytes(*b"late")));
        assert_eq!((port.read(RX_FRAMES, 300), port.next_event(300)), (Ok(2), None));
        // A frame whose time has passed when it is handed over is there at once.
        port.deliver_at(100, b"old!".to_vec());
        port.write(RX_POP, 0, 300).unwrap();
        assert_eq!(port.read(RX_BUF, 300), Ok(u32::from_le_bytes(*b"old!")));
    }
}
