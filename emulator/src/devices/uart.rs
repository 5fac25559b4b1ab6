//! The console UART: bytes out to the host, bytes in from the host.
//!
//! Registers:
//! - `0x00 DATA` (RW): a write transmits the low byte (it never blocks); a read pops the next
//!   received byte, or 0 when none waits.
//! - `0x04 STATUS` (RO): bit 0 `RX_READY` (a byte waits), bit 1 `TX_READY` (always set), bit 2
//!   `RX_END` (the input has ended: no byte waits and none will ever come).
//! - `0x08 CTRL` (RW): bit 0 asserts the line while a byte waits, bit 1 while `TX_READY`, bit 2
//!   while `RX_END`.
//!
//! The host side is any `Write` for output and, for input, bytes queued up front (scripted,
//! deterministic) and/or a channel fed by a host thread (a terminal: not deterministic). The
//! input ends when the host's channel closes (standard input reached its end), or after the
//! queued bytes when the host says so ([`Uart::end_input`]).

use std::collections::VecDeque;
use std::io::Write;
use std::sync::mpsc::{Receiver, TryRecvError};

use crate::device::{Device, DeviceFault};
use crate::time::Time;

/// Data Register (RW).
const DATA: u32 = 0x00;
/// Status Register (RO).
const STATUS: u32 = 0x04;
/// Control Register (RW).
const CTRL: u32 = 0x08;

/// `STATUS` bit 0: a received byte waits.
const STATUS_RX_READY: u32 = 1 << 0;
/// `STATUS` bit 1: the transmitter takes a byte.
const STATUS_TX_READY: u32 = 1 << 1;
/// `STATUS` bit 2: the input has ended.
const STATUS_RX_END: u32 = 1 << 2;
/// `CTRL` bit 0: receive interrupt enable.
const CTRL_RX_IE: u32 = 1 << 0;
/// `CTRL` bit 1: transmit interrupt enable.
const CTRL_TX_IE: u32 = 1 << 1;
/// `CTRL` bit 2: end-of-input interrupt enable.
const CTRL_END_IE: u32 = 1 << 2;

/// The most host input bytes the UART holds for the guest.
pub const RX_HOST_LIMIT: usize = 64 * 1024;

/// The console UART.
pub struct Uart {
    ctrl: u32,
    rx: VecDeque<u8>,
    output: Box<dyn Write + Send>,
    host_input: Option<Receiver<u8>>,
    /// No byte will arrive past those in `rx`.
    ended: bool,
}

impl Uart {
    /// A UART that sends its output to `output` and has no input yet.
    pub fn new(output: Box<dyn Write + Send>) -> Uart {
        Uart { ctrl: 0, rx: VecDeque::new(), output, host_input: None, ended: false }
    }

    /// Queues bytes as if they had been received already.
    pub fn queue_input(&mut self, bytes: &[u8]) {
        self.rx.extend(bytes);
    }

    /// Connects a host source of input bytes (a terminal reader thread).
    pub fn attach_host_input(&mut self, input: Receiver<u8>) {
        self.host_input = Some(input);
    }

    /// Says that no input will come past the bytes queued so far (and whatever a host
    /// channel still holds): once they are read, `STATUS.RX_END` is set.
    pub fn end_input(&mut self) {
        if self.host_input.is_none() {
            self.ended = true;
        }
    }

    fn at_end(&self) -> bool {
        self.ended && self.rx.is_empty()
    }

    fn status(&self) -> u32 {
        let ready = if self.rx.is_empty() { 0 } else { STATUS_RX_READY };
        let end = if self.at_end() { STATUS_RX_END } else { 0 };
        STATUS_TX_READY | ready | end
    }
}

impl Device for Uart {
    fn name(&self) -> &'static str {
        "uart"
    }

    fn reset(&mut self) {
        self.ctrl = 0;
    }

    fn read(&mut self, offset: u32, _now: Time) -> Result<u32, DeviceFault> {
        match offset {
            DATA => Ok(self.rx.pop_front().unwrap_or(0) as u32),
            STATUS => Ok(self.status()),
            CTRL => Ok(self.ctrl),
            _ => Err(DeviceFault),
        }
    }

    fn write(&mut self, offset: u32, value: u32, _now: Time) -> Result<(), DeviceFault> {
        match offset {
            DATA => {
                let byte = value as u8;
                // The console is best effort: a closed pipe on the host must not stop the guest.
                let _ = self.output.write_all(&[byte]);
                if byte == b'\n' {
                    let _ = self.output.flush();
                }
                Ok(())
            }
            CTRL => {
                self.ctrl = value & (CTRL_RX_IE | CTRL_TX_IE | CTRL_END_IE);
                Ok(())
            }
            _ => Err(DeviceFault),
        }
    }

    fn irq(&self, _now: Time) -> bool {
        (self.ctrl & CTRL_RX_IE != 0 && !self.rx.is_empty())
            || self.ctrl & CTRL_TX_IE != 0
            || (self.ctrl & CTRL_END_IE != 0 && self.at_end())
    }

    fn poll_host(&mut self) -> bool {
        let _ = self.output.flush();
        let Some(input) = &self.host_input else { return false };
        let mut arrived = false;
        // Bytes past the bound stay with the host, which the bounded channel then holds back.
        while self.rx.len() < RX_HOST_LIMIT {
            match input.try_recv() {
                Ok(byte) => {
                    self.rx.push_back(byte);
                    arrived = true;
                }
                Err(TryRecvError::Empty) => break,
                Err(TryRecvError::Disconnected) => {
                    self.host_input = None;
                    self.ended = true;
                    arrived = true;
                    break;
                }
            }
        }
        arrived
    }

    fn may_receive(&self) -> bool {
        self.host_input.is_some()
    }

    fn end_input(&mut self) {
        Uart::end_input(self);
    }

    fn queue_input(&mut self, bytes: &[u8]) {
        Uart::queue_input(self, bytes);
    }

    fn wait_host(&mut self) -> bool {
        let Some(input) = &self.host_input else { return false };
        if self.rx.len() >= RX_HOST_LIMIT {
            // The guest leaves a full queue unread: more input cannot wake it.
            return false;
        }
        match input.recv() {
            Ok(byte) => {
                self.rx.push_back(byte);
                self.poll_host();
                true
            }
            Err(_) => {
                self.host_input = None;
                self.ended = true;
                // The end of the input is news the guest may be waiting for.
                true
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::console::Capture;
    use std::sync::mpsc::channel;

    #[test]
    fn transmits_low_bytes() {
        let capture = Capture::default();
        let mut uart = Uart::new(Box::new(capture.clone()));
        uart.write(DATA, 0x141, 0).unwrap();
        uart.write(DATA, b'\n' as u32, 0).unwrap();
        assert_eq!(capture.text(), "A\n");
        assert_eq!(uart.write(STATUS, 0, 0), Err(DeviceFault));
    }

    #[test]
    fn receives_in_order_with_status_and_interrupt() {
        let mut uart = Uart::new(Box::new(Capture::default()));
        assert_eq!(uart.read(STATUS, 0).unwrap(), STATUS_TX_READY);
        uart.queue_input(b"hi");
        assert!(!uart.irq(0), "interrupt disabled");
        uart.write(CTRL, CTRL_RX_IE, 0).unwrap();
        assert!(uart.irq(0));
        assert_eq!(uart.read(STATUS, 0).unwrap(), STATUS_TX_READY | STATUS_RX_READY);
        assert_eq!(uart.read(DATA, 0).unwrap(), b'h' as u32);
        assert_eq!(uart.read(DATA, 0).unwrap(), b'i' as u32);
        assert_eq!(uart.read(DATA, 0).unwrap(), 0);
        assert!(!uart.irq(0));
    }

    #[test]
    fn the_end_of_input_comes_after_the_last_byte() {
        let mut uart = Uart::new(Box::new(Capture::default()));
        uart.queue_input(b"a");
        uart.end_input();
        uart.write(CTRL, CTRL_END_IE, 0).unwrap();
        assert_eq!(uart.read(STATUS, 0).unwrap(), STATUS_TX_READY | STATUS_RX_READY);
        assert!(!uart.irq(0), "a byte still waits");
        assert_eq!(uart.read(DATA, 0).unwrap(), b'a' as u32);
        assert_eq!(uart.read(STATUS, 0).unwrap(), STATUS_TX_READY | STATUS_RX_END);
        assert!(uart.irq(0));
        uart.write(CTRL, 0, 0).unwrap();
        assert!(!uart.irq(0), "the driver turns the end's interrupt off");
    }

    #[test]
    fn a_closed_host_channel_ends_the_input() {
        let mut uart = Uart::new(Box::new(Capture::default()));
        let (tx, rx) = channel();
        uart.attach_host_input(rx);
        uart.end_input();
        assert_eq!(uart.read(STATUS, 0).unwrap() & STATUS_RX_END, 0, "the host decides");
        tx.send(b'z').unwrap();
        drop(tx);
        assert!(uart.poll_host());
        assert_eq!(uart.read(DATA, 0).unwrap(), b'z' as u32);
        assert_eq!(uart.read(STATUS, 0).unwrap() & STATUS_RX_END, STATUS_RX_END);
        let mut waiting = Uart::new(Box::new(Capture::default()));
        let (tx, rx) = channel::<u8>();
        waiting.attach_host_input(rx);
        drop(tx);
        assert!(waiting.wait_host(), "the end is news for a waiting guest");
        assert!(!waiting.may_receive());
    }

    #[test]
    fn host_input_arrives_when_polled() {
        let mut uart = Uart::new(Box::new(Capture::default()));
        let (tx, rx) = channel();
        uart.attach_host_input(rx);
        assert!(uart.may_receive());
        tx.send(b'x').unwrap();
        assert!(uart.poll_host());
        assert_eq!(uart.read(DATA, 0).unwrap(), b'x' as u32);
        drop(tx);
        assert!(uart.poll_host(), "the end of the input is news");
        assert!(!uart.poll_host());
        assert!(!uart.may_receive());
    }

    #[test]
    fn host_input_waits_with_the_host_past_the_bound() {
        let mut uart = Uart::new(Box::new(Capture::default()));
        let (tx, rx) = channel();
        for _ in 0..RX_HOST_LIMIT + 10 {
            tx.send(0u8).unwrap();
        }
        uart.attach_host_input(rx);
        assert!(uart.poll_host());
        assert_eq!(uart.rx.len(), RX_HOST_LIMIT);
        assert!(!uart.wait_host(), "a full queue the guest leaves unread cannot wake it");
        uart.read(DATA, 0).unwrap();
        assert!(uart.poll_host());
        assert_eq!(uart.rx.len(), RX_HOST_LIMIT);
    }
}
