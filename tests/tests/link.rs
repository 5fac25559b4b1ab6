//! The link transport's window (`ox_link::arq`, docs/link-protocol.md) against a model of a
//! hostile link: whatever the window, the payloads and the link's loss, duplication, damage
//! and reordering of frames in both directions, every payload is delivered exactly once and in
//! order, and the sender ends idle.

use std::collections::VecDeque;

use ox_link::arq::{Receiver, Sender};
use proptest::prelude::{any, prop, prop_assert, prop_assert_eq, proptest, ProptestConfig};

/// The channel used.
const CHANNEL: u16 = 2;
/// The sender's timeout, in steps of the model.
const TIMEOUT: u64 = 6;
/// Frames the link takes from a sender per step (the port's transmit queue).
const PER_STEP: usize = 4;

/// One direction of the link: frames in flight, each with the step it arrives at.
struct Wire {
    frames: VecDeque<(u64, Vec<u8>)>,
}

/// What the link does to a frame, from a random word: each of loss, damage and duplication
/// with probability `percent` %, and a delay of up to 3 steps (which reorders).
fn carry(wire: &mut Wire, frame: &[u8], now: u64, fate: u64, percent: u64) {
    let roll = |shift: u32| (fate >> shift) % 100 < percent;
    if roll(0) {
        return;
    }
    let mut frame = frame.to_vec();
    if roll(8) {
        let bit = (fate >> 16) as usize % (frame.len() * 8);
        frame[bit / 8] ^= 1 << (bit % 8);
    }
    let delay = 1 + (fate >> 32) % 3;
    if roll(40) {
        wire.frames.push_back((now + delay + 1, frame.clone()));
    }
    wire.frames.push_back((now + delay, frame));
}

/// The frames of `wire` that arrive at `now`, in the order they were put on it.
fn arrive(wire: &mut Wire, now: u64) -> Vec<Vec<u8>> {
    let (due, later): (Vec<_>, Vec<_>) = wire.frames.drain(..).partition(|(at, _)| *at <= now);
    wire.frames = later.into();
    due.into_iter().map(|(_, frame)| frame).collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    /// Every payload arrives once, in order, through a link that loses, damages, duplicates
    /// and reorders frames and acknowledgements.
    #[test]
    fn a_window_delivers_once_in_order(
        window in 1u32..=16,
        mtu in 20usize..=128,
        percent in 0u64..=30,
        sizes in prop::collection::vec(0usize..=112, 1..60),
        fates in prop::collection::vec(any::<u64>(), 64),
    ) {
        let mut tx = Sender::with_window(CHANNEL, mtu, TIMEOUT, window);
        let mut rx = Receiver::new(CHANNEL);
        let payloads: Vec<Vec<u8>> = sizes
            .iter()
            .enumerate()
            .map(|(i, &n)| (0..n.min(tx.max_payload())).map(|b| (b * 31 + i) as u8).collect())
            .collect();
        let (mut forward, mut back) = (Wire { frames: VecDeque::new() }, Wire { frames: VecDeque::new() });
        let (mut next, mut delivered, mut fate) = (0, Vec::new(), 0usize);
        let mut fate_of = || {
            fate += 1;
            fates[fate % fates.len()].rotate_left(fate as u32 / fates.len() as u32)
        };
        let mut now = 0;
        while delivered.len() < payloads.len() || !tx.is_idle() {
            // (At 30 % faults each way the timeouts double often: slow, not stuck.)
            prop_assert!(now < 1_000_000, "no progress: {} of {} delivered", delivered.len(), payloads.len());
            while next < payloads.len() && tx.queue(&payloads[next]).is_ok() {
                next += 1;
            }
            tx.check_timeout(now);
            for _ in 0..PER_STEP {
                let Some(frame) = tx.next_frame() else { break };
                carry(&mut forward, frame, now, fate_of(), percent);
                tx.transmitted(now);
            }
            let mut ack = None;
            for frame in arrive(&mut forward, now) {
                let got = rx.receive(&frame);
                delivered.extend(got.payload.map(<[u8]>::to_vec));
                ack = got.ack.or(ack);
            }
            // One cumulative acknowledgement per step, as the kernels send after a batch.
            if let Some(ack) = ack {
                carry(&mut back, &ack.frame(), now, fate_of(), percent);
            }
            for frame in arrive(&mut back, now) {
                tx.receive(&frame, now);
            }
            now += 1;
        }
        prop_assert_eq!(delivered, payloads);
        prop_assert!(tx.deadline().is_none());
    }
}
