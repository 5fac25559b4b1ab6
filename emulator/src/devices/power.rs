//! The power and test device: the guest writes an exit code and the node powers off, or asks
//! for a reset and the node starts over in its boot ROM.
//!
//! Registers:
//! - `0x00 EXIT` (write-only): power off with this exit code (`orrery run` exits with its low
//!   eight bits).
//! - `0x04 RESET` (write-only): any value restarts the node as `poweron` does (RAM cleared,
//!   devices and CPU reset, the CPU at the boot ROM), with its links left up.

use crate::device::{Device, DeviceFault};
use crate::time::Time;

/// Exit Register (WO).
const EXIT: u32 = 0x00;
/// Reset Register (WO).
const RESET: u32 = 0x04;

/// The power device.
#[derive(Debug, Default)]
pub struct Power {
    exit: Option<u32>,
    reset: bool,
}

impl Power {
    /// A powered-on device.
    pub fn new() -> Power {
        Power::default()
    }
}

impl Device for Power {
    fn name(&self) -> &'static str {
        "power"
    }

    fn reset(&mut self) {
        *self = Power::default();
    }

    fn read(&mut self, _offset: u32, _now: Time) -> Result<u32, DeviceFault> {
        Err(DeviceFault)
    }

    fn write(&mut self, offset: u32, value: u32, _now: Time) -> Result<(), DeviceFault> {
        match offset {
            EXIT => {
                self.exit = Some(value);
                Ok(())
            }
            RESET => {
                self.reset = true;
                Ok(())
            }
            _ => Err(DeviceFault),
        }
    }

    fn power_off(&self) -> Option<u32> {
        self.exit
    }

    fn reset_requested(&self) -> bool {
        self.reset
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_code_is_kept_and_reads_fault() {
        let mut power = Power::new();
        assert_eq!(power.power_off(), None);
        assert_eq!(power.read(EXIT, 0), Err(DeviceFault));
        assert_eq!(power.write(8, 1, 0), Err(DeviceFault));
        power.write(EXIT, 3, 0).unwrap();
        assert_eq!(power.power_off(), Some(3));
    }

    #[test]
    fn a_reset_is_asked_by_any_write_and_forgotten_by_the_reset() {
        let mut power = Power::new();
        assert!(!power.reset_requested());
        assert_eq!(power.read(RESET, 0), Err(DeviceFault));
        power.write(RESET, 0, 0).unwrap();
        assert!(power.reset_requested());
        assert_eq!(power.power_off(), None, "a reset is not a power-off");
        power.reset();
        assert!(!power.reset_requested());
    }
}
