//! The console: UART output for the kernel's messages and for `write`, and a queue of input
//! bytes filled by the UART's receive interrupt for `read` (docs/devices.md).
//!
//! Output never blocks (the UART's transmitter is always ready), so printing needs no state
//! and works even inside the panic handler. Input: the receive interrupt drains the UART
//! into [`INPUT`]; when the queue is full the interrupt is disabled until a reader makes room,
//! so no byte is lost and the line does not stay asserted. When the host's input ends (a file
//! or pipe on the emulator's standard input ran out) the UART says so (`STATUS.RX_END`, with
//! its own interrupt); from then on, once the queue is read, [`input_ended`] holds and a
//! `read` of the console returns 0, the end of file.
//!
//! Log lines ([`kprintln!`](crate::kprintln)) start with the kernel's tag: `[kernel] ` on the
//! central processor, `[sat] ` on a satellite ([`set_role`]).

use alloc::collections::VecDeque;
use alloc::vec::Vec;
use core::fmt;
use core::sync::atomic::{AtomicBool, Ordering};

use crate::global::Global;

const UART_BASE: usize = ox32::memmap::UART_BASE as usize;
const DATA: *mut u32 = UART_BASE as *mut u32; // Data Register (RW): transmit / receive a byte
const STATUS: *const u32 = (UART_BASE + 0x04) as *const u32; // Status Register (RO)
const CTRL: *mut u32 = (UART_BASE + 0x08) as *mut u32; // Control Register (RW)
const STATUS_RX_READY: u32 = 1 << 0;
const STATUS_RX_END: u32 = 1 << 2;
const CTRL_RX_IRQ: u32 = 1 << 0;
const CTRL_END_IRQ: u32 = 1 << 2;

/// How many received bytes wait for a reader at most.
const INPUT_CAPACITY: usize = 1024;

/// Which kernel this is, for the tag of its log lines.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// The central kernel: `[kernel] `.
    Central,
    /// The satellite kernel: `[sat] `.
    Satellite,
}

/// Whether this is the satellite kernel (an atomic, not a `Global`: the panic handler prints).
static SATELLITE: AtomicBool = AtomicBool::new(false);

/// Sets the role that tags log lines (the central one unless told otherwise).
pub fn set_role(role: Role) {
    SATELLITE.store(role == Role::Satellite, Ordering::Relaxed);
}

/// The tag of log lines: `kernel` or `sat`.
pub fn tag() -> &'static str {
    if SATELLITE.load(Ordering::Relaxed) {
        "sat"
    } else {
        "kernel"
    }
}

/// Whether the UART said its input has ended (no byte will come after those queued).
static ENDED: AtomicBool = AtomicBool::new(false);

/// Whether Ctrl-C (the byte 0x03) arrived since [`take_interrupt_key`] last looked.
static INTERRUPT_KEY: AtomicBool = AtomicBool::new(false);

/// The interrupt key: Ctrl-C. It is not queued as input: it asks for `SIGINT`.
const CTRL_C: u8 = 0x03;

/// Received bytes not yet read.
static INPUT: Global<VecDeque<u8>> = Global::new("console input", VecDeque::new());

/// Transmits one byte.
pub fn put_byte(byte: u8) {
    // Safety: DATA is the UART's data register, identity-mapped for the kernel; a store
    // transmits and never blocks.
    unsafe { DATA.write_volatile(byte as u32) }
}

/// Transmits `bytes`.
pub fn write_bytes(bytes: &[u8]) {
    bytes.iter().copied().for_each(put_byte);
}

/// Enables the receive interrupt.
pub fn init() {
    set_rx_interrupt(true);
}

fn set_rx_interrupt(on: bool) {
    // The end of the input is told once: after that its interrupt stays off.
    let end = if ENDED.load(Ordering::Relaxed) { 0 } else { CTRL_END_IRQ };
    // Safety: CTRL is the UART's control register; bit 0 enables the receive interrupt, bit 2
    // the end-of-input one.
    unsafe { CTRL.write_volatile(if on { CTRL_RX_IRQ | end } else { 0 }) }
}

/// The receive interrupt: moves waiting bytes into the input queue. Returns whether any came.
pub fn on_interrupt() -> bool {
    let mut input = INPUT.lock();
    let before = input.len();
    loop {
        // Safety: STATUS and DATA are the UART's registers; reading DATA pops one byte, and
        // only after STATUS said one waits.
        let ready = unsafe { STATUS.read_volatile() } & STATUS_RX_READY != 0;
        if !ready {
            break;
        }
        if input.len() == INPUT_CAPACITY {
            set_rx_interrupt(false);
            break;
        }
        // Safety: see above.
        let byte = unsafe { DATA.read_volatile() } as u8;
        if byte == CTRL_C {
            INTERRUPT_KEY.store(true, Ordering::Relaxed);
            continue;
        }
        input.push_back(byte);
    }
    // Safety: STATUS is the UART's status register; reading it changes nothing.
    let status = unsafe { STATUS.read_volatile() };
    if status & (STATUS_RX_READY | STATUS_RX_END) == STATUS_RX_END && !ENDED.swap(true, Ordering::Relaxed) {
        set_rx_interrupt(input.len() < INPUT_CAPACITY);
        return true;
    }
    input.len() > before
}

/// Whether Ctrl-C arrived since the last call: the kernel then sends `SIGINT` to the
/// console's processes.
pub fn take_interrupt_key() -> bool {
    INTERRUPT_KEY.swap(false, Ordering::Relaxed)
}

/// Whether the console's input has ended and every byte of it has been read: a `read` then
/// returns 0.
pub fn input_ended() -> bool {
    ENDED.load(Ordering::Relaxed) && INPUT.lock().is_empty()
}

/// Takes up to `max` received bytes (none if the queue is empty).
pub fn take_input(max: usize) -> Vec<u8> {
    let mut input = INPUT.lock();
    let n = max.min(input.len());
    let bytes = input.drain(..n).collect();
    if n > 0 {
        set_rx_interrupt(true);
    }
    bytes
}

/// A `fmt::Write` on the console, for the print macros.
pub struct Console;

impl fmt::Write for Console {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        write_bytes(s.as_bytes());
        Ok(())
    }
}

/// Prints to the console.
#[macro_export]
macro_rules! print {
    ($($arg:tt)*) => {{
        let _ = core::fmt::Write::write_fmt(&mut $crate::console::Console, format_args!($($arg)*));
    }};
}

/// Prints a kernel log line: the tag (`[kernel] ` or `[sat] `), the message and a newline.
#[macro_export]
macro_rules! kprintln {
    ($($arg:tt)*) => {{
        $crate::print!("[{}] {}\n", $crate::console::tag(), format_args!($($arg)*));
    }};
}
