//! The timer: a 64-bit count of virtual nanoseconds and one compare register.
//!
//! Registers:
//! - `0x00 TIME_LO` (RO): virtual time, low word; reading it latches the high word.
//! - `0x04 TIME_HI` (RO): the high word latched by the last `TIME_LO` read.
//! - `0x08 CMP_LO`, `0x0C CMP_HI` (RW): the compare value (all ones at reset).
//! - `0x10 CTRL` (RW): bit 0 enables the interrupt.
//!
//! The line is asserted while `CTRL.0` is set and time ≥ compare.

use crate::device::{Device, DeviceFault};
use crate::time::Time;

/// Time Register, low word (RO).
const TIME_LO: u32 = 0x00;
/// Time Register, latched high word (RO).
const TIME_HI: u32 = 0x04;
/// Compare Register, low word (RW).
const CMP_LO: u32 = 0x08;
/// Compare Register, high word (RW).
const CMP_HI: u32 = 0x0c;
/// Control Register (RW).
const CTRL: u32 = 0x10;

/// `CTRL` bit 0: interrupt enable.
const CTRL_IE: u32 = 1;

/// The timer.
#[derive(Debug)]
pub struct Timer {
    compare: u64,
    ctrl: u32,
    latched_hi: u32,
}

impl Default for Timer {
    fn default() -> Timer {
        Timer { compare: u64::MAX, ctrl: 0, latched_hi: 0 }
    }
}

impl Timer {
    /// A timer in its reset state.
    pub fn new() -> Timer {
        Timer::default()
    }
}

impl Device for Timer {
    fn name(&self) -> &'static str {
        "timer"
    }

    fn reset(&mut self) {
        *self = Timer::default();
    }

    fn read(&mut self, offset: u32, now: Time) -> Result<u32, DeviceFault> {
        match offset {
            TIME_LO => {
                self.latched_hi = (now >> 32) as u32;
                Ok(now as u32)
            }
            TIME_HI => Ok(self.latched_hi),
            CMP_LO => Ok(self.compare as u32),
            CMP_HI => Ok((self.compare >> 32) as u32),
            CTRL => Ok(self.ctrl),
            _ => Err(DeviceFault),
        }
    }

    fn write(&mut self, offset: u32, value: u32, _now: Time) -> Result<(), DeviceFault> {
        match offset {
            CMP_LO => self.compare = (self.compare & !0xffff_ffff) | value as u64,
            CMP_HI => self.compare = (self.compare & 0xffff_ffff) | ((value as u64) << 32),
            CTRL => self.ctrl = value & CTRL_IE,
            _ => return Err(DeviceFault),
        }
        Ok(())
    }

    fn irq(&self, now: Time) -> bool {
        self.ctrl & CTRL_IE != 0 && now >= self.compare
    }

    fn next_event(&self, now: Time) -> Option<Time> {
        (self.ctrl & CTRL_IE != 0 && self.compare > now).then_some(self.compare)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_reads_latch_the_high_word() {
        let mut timer = Timer::new();
        let now = 0x1_2345_6789;
        assert_eq!(timer.read(TIME_LO, now).unwrap(), 0x2345_6789);
        assert_eq!(timer.read(TIME_HI, now + 0x1_0000_0000).unwrap(), 1);
    }

    #[test]
    fn interrupt_follows_compare_and_enable() {
        let mut timer = Timer::new();
        assert!(!timer.irq(u64::MAX - 1));
        timer.write(CMP_HI, 0, 0).unwrap();
        timer.write(CMP_LO, 1000, 0).unwrap();
        assert!(!timer.irq(2000), "disabled");
        timer.write(CTRL, 1, 0).unwrap();
        assert!(!timer.irq(999));
        assert!(timer.irq(1000));
        assert_eq!(timer.next_event(10), Some(1000));
        assert_eq!(timer.next_event(1000), None);
        assert_eq!(timer.write(TIME_LO, 0, 0), Err(DeviceFault), "time is read-only");
    }
}
