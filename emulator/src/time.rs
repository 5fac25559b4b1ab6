//! Virtual time.
//!
//! Every node counts virtual cycles: an instruction takes one cycle, and a node waiting for an
//! interrupt skips ahead to the next event. A node's clock rate turns cycles into virtual
//! nanoseconds, the unit devices and guests see. Virtual time never depends on the host.

/// A point in virtual time, in nanoseconds since the node's reset.
pub type Time = u64;

/// A node's clock: converts cycles to nanoseconds and back.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Clock {
    /// Length of one cycle in picoseconds (10 000 for a 100 MHz CPU).
    pub period_ps: u64,
}

impl Default for Clock {
    fn default() -> Clock {
        Clock::from_mhz(100)
    }
}

impl Clock {
    /// A clock of `mhz` million cycles per virtual second (at least 1).
    pub fn from_mhz(mhz: u64) -> Clock {
        Clock { period_ps: 1_000_000 / mhz.clamp(1, 1_000_000) }
    }

    /// The virtual time after `cycles` cycles (the end of time, `u64::MAX`, if it is later).
    pub fn time_of(self, cycles: u64) -> Time {
        ((cycles as u128 * self.period_ps as u128) / 1000).min(u64::MAX as u128) as u64
    }

    /// The first cycle count whose time is at or after `time`.
    pub fn cycles_until(self, time: Time) -> u64 {
        let ps = time as u128 * 1000;
        ps.div_ceil(self.period_ps as u128).min(u64::MAX as u128) as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_past_the_end_of_time_saturate() {
        let clock = Clock::from_mhz(100);
        assert_eq!(clock.time_of(100), 1000);
        assert_eq!(clock.time_of(u64::MAX), u64::MAX);
        assert_eq!(clock.time_of(1 << 62), u64::MAX, "used to wrap around to 2^63 ns");
        assert_eq!(Clock::from_mhz(0), Clock::from_mhz(1));
    }
}
