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
        // In 64 bits while the product fits (every run but one near the end of time): the
        // system converts at every node and quantum, and a 128-bit division is a call.
        match cycles.checked_mul(self.period_ps) {
            Some(ps) => ps / 1000,
            None => ((cycles as u128 * self.period_ps as u128) / 1000).min(u64::MAX as u128) as u64,
        }
    }

    /// The first cycle count whose time is at or after `time`.
    pub fn cycles_until(self, time: Time) -> u64 {
        let period = self.period_ps.max(1);
        match time.checked_mul(1000) {
            Some(ps) => ps.div_ceil(period),
            None => (time as u128 * 1000).div_ceil(period as u128).min(u64::MAX as u128) as u64,
        }
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

    #[test]
    fn the_64_bit_paths_agree_with_128_bit_arithmetic() {
        for mhz in [1, 3, 7, 100, 333, 1_000_000] {
            let clock = Clock::from_mhz(mhz);
            let p = u128::from(clock.period_ps);
            for x in [
                0u64,
                1,
                999,
                1000,
                1001,
                123_456_789,
                1 << 40,
                u64::MAX / 1000,
                u64::MAX / 1000 + 1,
                u64::MAX,
            ] {
                let time = ((u128::from(x) * p) / 1000).min(u128::from(u64::MAX)) as u64;
                let cycles = (u128::from(x) * 1000).div_ceil(p).min(u128::from(u64::MAX)) as u64;
                assert_eq!((clock.time_of(x), clock.cycles_until(x)), (time, cycles), "{mhz} MHz, {x}");
            }
        }
    }
}
