//! Admission of frames onto links: the bounds that keep every per-link queue of the system
//! finite whatever a guest or a peer process sends, and the counts of what they refused.
//!
//! A frame is admitted when its arrival time lies in the link's window — no earlier than one
//! quantum before the boundary at which it is put on the link, no later than
//! [`LINK_WINDOW_NS`] after it — and fewer than [`MAX_IN_FLIGHT`] frames are already on their
//! way to the same place. Anything else is refused and counted per destination, so that a run's
//! summary and the monitor's `links` can say what was lost and why.

use crate::system::Target;
use crate::time::Time;

/// The latest a frame may arrive, after the boundary at which it is put on its link: 10 s of
/// virtual time (the slowest link, 1 kbit/s, takes 8.2 s to send a 1024-byte frame).
pub const LINK_WINDOW_NS: u64 = 10_000_000_000;
/// The most frames on their way to one place (a port, or the peer of a remote link).
pub const MAX_IN_FLIGHT: usize = 1024;

/// What was refused on the way to one place.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Refusals {
    /// Frames dated outside the link's window.
    pub out_of_window: u64,
    /// Frames refused because [`MAX_IN_FLIGHT`] were already on their way, or because a peer
    /// process sent more than its share in one quantum.
    pub queue_full: u64,
}

/// The frames on their way to each place, and what was refused.
#[derive(Debug, Default)]
pub struct Admission {
    queued: Vec<(Target, usize)>,
    refused: Vec<(Target, Refusals)>,
}

impl Admission {
    /// Whether a frame to `to`, arriving at `arrive`, may be put on its link at `boundary`
    /// (quantum `quantum_ns`); an admitted frame counts as queued until [`Admission::left`].
    pub fn admit(&mut self, to: Target, arrive: Time, boundary: Time, quantum_ns: u64) -> bool {
        let earliest = boundary.saturating_sub(quantum_ns);
        if arrive < earliest || arrive > boundary.saturating_add(LINK_WINDOW_NS) {
            self.refusals(to).out_of_window += 1;
            return false;
        }
        let queued = self.queued_mut(to);
        if *queued >= MAX_IN_FLIGHT {
            self.refusals(to).queue_full += 1;
            return false;
        }
        *queued += 1;
        true
    }

    /// Notes that an admitted frame to `to` has been delivered (or has left for a peer).
    pub fn left(&mut self, to: Target) {
        let queued = self.queued_mut(to);
        *queued = queued.saturating_sub(1);
    }

    /// Counts `count` frames to `to` refused because its queue was full.
    pub fn overflowed(&mut self, to: Target, count: u64) {
        if count > 0 {
            self.refusals(to).queue_full += count;
        }
    }

    /// Every place some frame was refused on the way to, in the order they first refused one.
    pub fn refused(&self) -> &[(Target, Refusals)] {
        &self.refused
    }

    fn queued_mut(&mut self, to: Target) -> &mut usize {
        let i = match self.queued.iter().position(|(t, _)| *t == to) {
            Some(i) => i,
            None => {
                self.queued.push((to, 0));
                self.queued.len() - 1
            }
        };
        &mut self.queued[i].1
    }

    fn refusals(&mut self, to: Target) -> &mut Refusals {
        let i = match self.refused.iter().position(|(t, _)| *t == to) {
            Some(i) => i,
            None => {
                self.refused.push((to, Refusals::default()));
                self.refused.len() - 1
            }
        };
        &mut self.refused[i].1
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::topology::Endpoint;

    const PORT: Target = Target::Port(Endpoint { node: 1, port: 0 });
    const QUANTUM: u64 = 10_000;

    #[test]
    fn frames_outside_the_window_are_refused_and_counted() {
        let mut admission = Admission::default();
        let boundary = 1_000_000;
        assert!(admission.admit(PORT, boundary - QUANTUM, boundary, QUANTUM));
        assert!(admission.admit(PORT, boundary + LINK_WINDOW_NS, boundary, QUANTUM));
        assert!(!admission.admit(PORT, boundary - QUANTUM - 1, boundary, QUANTUM));
        assert!(!admission.admit(PORT, boundary + LINK_WINDOW_NS + 1, boundary, QUANTUM));
        assert!(!admission.admit(PORT, u64::MAX, boundary, QUANTUM));
        assert_eq!(admission.refused(), &[(PORT, Refusals { out_of_window: 3, queue_full: 0 })]);
    }

    #[test]
    fn the_queue_to_one_place_is_bounded() {
        let mut admission = Admission::default();
        for _ in 0..MAX_IN_FLIGHT {
            assert!(admission.admit(PORT, 5, 0, QUANTUM));
        }
        assert!(!admission.admit(PORT, 5, 0, QUANTUM));
        let other = Target::Remote(0);
        assert!(admission.admit(other, 5, 0, QUANTUM), "another place has its own queue");
        admission.left(PORT);
        assert!(admission.admit(PORT, 5, 0, QUANTUM));
        admission.overflowed(PORT, 2);
        assert_eq!(admission.refused(), &[(PORT, Refusals { out_of_window: 0, queue_full: 3 })]);
    }
}
