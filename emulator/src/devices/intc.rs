//! The interrupt controller: gathers the level-triggered lines of the devices.
//!
//! Registers:
//! - `0x00 PENDING` (RO): bit n set while line n is asserted.
//! - `0x04 ENABLE` (RW): bit n lets line n interrupt the CPU (0 at reset).
//! - `0x08 CLAIM` (RO): the lowest line both pending and enabled, or `0xFFFF_FFFF`.
//!
//! The controller does not own the lines: the bus computes them from the devices and passes
//! the pending set in, so this stays a pure state machine.

use crate::device::DeviceFault;

/// Pending Register (RO).
const PENDING: u32 = 0x00;
/// Enable Register (RW).
const ENABLE: u32 = 0x04;
/// Claim Register (RO).
const CLAIM: u32 = 0x08;

/// `CLAIM` when nothing is pending.
pub const NO_LINE: u32 = u32::MAX;

/// The interrupt controller's state.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Intc {
    /// Lines allowed to interrupt the CPU.
    pub enable: u32,
}

impl Intc {
    /// The lowest line that is pending and enabled.
    pub fn claim(&self, pending: u32) -> Option<u32> {
        let active = pending & self.enable;
        (active != 0).then(|| active.trailing_zeros())
    }

    /// Reads a register, given the lines now asserted.
    pub fn read(&self, offset: u32, pending: u32) -> Result<u32, DeviceFault> {
        match offset {
            PENDING => Ok(pending),
            ENABLE => Ok(self.enable),
            CLAIM => Ok(self.claim(pending).unwrap_or(NO_LINE)),
            _ => Err(DeviceFault),
        }
    }

    /// Writes a register.
    pub fn write(&mut self, offset: u32, value: u32) -> Result<(), DeviceFault> {
        match offset {
            ENABLE => {
                self.enable = value;
                Ok(())
            }
            _ => Err(DeviceFault),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn claim_picks_the_lowest_enabled_line() {
        let mut intc = Intc::default();
        assert_eq!(intc.read(CLAIM, 0b110).unwrap(), NO_LINE);
        intc.write(ENABLE, 0b100).unwrap();
        assert_eq!(intc.read(CLAIM, 0b110).unwrap(), 2);
        intc.write(ENABLE, 0b110).unwrap();
        assert_eq!(intc.claim(0b110), Some(1));
        assert_eq!(intc.read(PENDING, 0b110).unwrap(), 0b110);
        assert_eq!(intc.write(PENDING, 0), Err(DeviceFault));
        assert_eq!(intc.read(0x0c, 0), Err(DeviceFault));
    }
}
