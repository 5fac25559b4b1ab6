//! The interface between the bus and a memory-mapped device.
//!
//! A device sees offsets into its own register window, never absolute addresses. Every register
//! is 32 bits wide; the bus has already refused any access that is not an aligned 32-bit load or
//! store. A device answers an access it cannot serve (an offset that names no register, a store
//! to a read-only register) with [`DeviceFault`], which the CPU raises as a precise access fault.

use crate::devices::block::Block;
use crate::devices::link::LinkPort;
use crate::time::Time;

/// The device refused the access; the CPU raises a load or store access fault.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DeviceFault;

/// A copy between a device and RAM that a register write asked for (a link port's DMA). The
/// bus carries it out before the write completes: the device never reaches RAM itself.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dma {
    /// `len` bytes from the device into RAM at guest-physical `addr`.
    ToRam {
        /// Where they go.
        addr: u32,
        /// How many.
        len: usize,
    },
    /// `len` bytes from RAM at guest-physical `addr` into the device.
    FromRam {
        /// Where they come from.
        addr: u32,
        /// How many.
        len: usize,
    },
}

/// A memory-mapped device.
pub trait Device: Send {
    /// A short name for traces and the monitor (`uart`, `timer`).
    fn name(&self) -> &'static str;

    /// Reads the register at `offset` at virtual time `now`.
    fn read(&mut self, offset: u32, now: Time) -> Result<u32, DeviceFault>;

    /// Writes `value` to the register at `offset` at virtual time `now`.
    fn write(&mut self, offset: u32, value: u32, now: Time) -> Result<(), DeviceFault>;

    /// Whether a write to the register at `offset` changes nothing the run loop looks at
    /// between slices — the interrupt line, the next event, host input, power, a transfer
    /// (a data buffer filled before a command): then the CPU carries on without stopping to
    /// look again. The default, false, is always right; true only makes such writes cheaper.
    fn write_is_inert(&self, _offset: u32) -> bool {
        false
    }

    /// The copy the last [`Device::write`] asked for, if any; the bus carries it out through
    /// [`Device::dma_to_ram`] or [`Device::dma_from_ram`] at once, or faults the write if the
    /// bytes are not all RAM (then nothing is copied).
    fn take_dma(&mut self) -> Option<Dma> {
        None
    }

    /// Fills `ram` (the [`Dma::ToRam`] asked for) from the device.
    fn dma_to_ram(&mut self, _ram: &mut [u8]) {}

    /// Takes `ram` (the [`Dma::FromRam`] asked for) into the device.
    fn dma_from_ram(&mut self, _ram: &[u8]) {}

    /// Returns the device to its reset state (the node is powered on again), keeping what
    /// joins it to the host (a console's output, its host input) and to the system (a link's
    /// carrier).
    fn reset(&mut self) {}

    /// Whether the device asserts its interrupt line at `now`.
    fn irq(&self, _now: Time) -> bool {
        false
    }

    /// The earliest virtual time after `now` at which [`Device::irq`] may change by itself (a
    /// timer deadline); `None` when only a guest access or host input can change it.
    fn next_event(&self, _now: Time) -> Option<Time> {
        None
    }

    /// Moves host-side input into the device (bytes typed on a terminal); returns whether
    /// anything arrived. Called between slices, never during one.
    fn poll_host(&mut self) -> bool {
        false
    }

    /// Whether host input may still arrive, so that a node waiting for an interrupt may be
    /// woken by the outside world.
    fn may_receive(&self) -> bool {
        false
    }

    /// Blocks until host input arrives or the host closes it; returns whether bytes arrived
    /// or the input ended (both are news for the guest).
    fn wait_host(&mut self) -> bool {
        false
    }

    /// Says that no host input will come past what was given so far (scripted input ends).
    fn end_input(&mut self) {}

    /// Queues scripted input, as if received (the console: bytes typed by a test).
    fn queue_input(&mut self, _bytes: &[u8]) {}

    /// This device as a link port, for the system that carries frames between nodes.
    fn as_link_port(&mut self) -> Option<&mut LinkPort> {
        None
    }

    /// This device as the block device, for the machine that carries out its transfers.
    fn as_block(&mut self) -> Option<&mut Block> {
        None
    }

    /// The exit code, once the guest has asked the device to power the node off.
    fn power_off(&self) -> Option<u32> {
        None
    }

    /// Whether the guest has asked the device to reset the node (it starts over in its boot
    /// ROM; the reset clears the request).
    fn reset_requested(&self) -> bool {
        false
    }
}
