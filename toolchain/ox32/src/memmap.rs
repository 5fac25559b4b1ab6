//! The physical memory map of one node, and its interrupt lines.
//!
//! | range | what |
//! |---|---|
//! | `0x0000_0000..0x0001_0000` | nothing: any access faults (catches null pointers) |
//! | `BOOT_ROM_BASE..+BOOT_ROM_SIZE` | boot ROM, read and execute only |
//! | `UART_BASE..+DEVICE_SIZE` | console UART |
//! | `TIMER_BASE..+DEVICE_SIZE` | timer |
//! | `INTC_BASE..+DEVICE_SIZE` | interrupt controller |
//! | `POWER_BASE..+DEVICE_SIZE` | power and test device |
//! | `BLOCK_BASE..+DEVICE_SIZE` | block device (the disk; central processor only) |
//! | `LINK_BASE + n * DEVICE_SIZE..+DEVICE_SIZE` | link port `n` (`n < LINK_PORTS`) |
//! | `RAM_BASE..+ram size` | RAM (size set per node, at most `RAM_MAX`) |
//!
//! Devices see offsets from their base, never absolute addresses.

/// Base of the boot ROM; the reset PC.
pub const BOOT_ROM_BASE: u32 = 0x0001_0000;
/// Size of the boot ROM window.
pub const BOOT_ROM_SIZE: u32 = 0x0001_0000;
/// Size of every device's register window.
pub const DEVICE_SIZE: u32 = 0x1000;
/// Console UART.
pub const UART_BASE: u32 = 0x1000_0000;
/// Timer.
pub const TIMER_BASE: u32 = 0x1000_1000;
/// Interrupt controller.
pub const INTC_BASE: u32 = 0x1000_2000;
/// Power and test device.
pub const POWER_BASE: u32 = 0x1000_3000;
/// Block device (the disk), present on a node given a disk image.
pub const BLOCK_BASE: u32 = 0x1000_4000;
/// Link port 0; port `n` is at `LINK_BASE + n * DEVICE_SIZE`.
pub const LINK_BASE: u32 = 0x1001_0000;
/// The most link ports a node can have.
pub const LINK_PORTS: u32 = 16;
/// Base of RAM.
pub const RAM_BASE: u32 = 0x8000_0000;
/// The largest RAM a node can have (RAM runs to the top of the address space).
pub const RAM_MAX: u32 = 0x8000_0000;

/// Interrupt line of the timer.
pub const IRQ_TIMER: u32 = 0;
/// Interrupt line of the console UART.
pub const IRQ_UART: u32 = 1;
/// Interrupt line of the block device.
pub const IRQ_BLOCK: u32 = 2;
/// Interrupt line of link port 0; port `n` uses `IRQ_LINK_BASE + n`.
pub const IRQ_LINK_BASE: u32 = 8;
/// Number of interrupt lines the controller has.
pub const IRQ_LINES: u32 = 32;
