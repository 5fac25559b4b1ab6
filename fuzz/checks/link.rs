//! Fuzzes a link's receiving end: any frames (checked in software, or trusted as a port that
//! offloads the checksum would) never panic the parser or the window's state machines, and a
//! frame that parses is within its bytes.

use ox_link::arq::{Receiver, Sender};
use ox_link::frame;

/// One input of the target (`fuzz_targets/link.rs`; `tests/tests/fuzz_smoke.rs` runs it too).
pub fn check(data: &[u8]) {
    let mut sender = Sender::with_window(2, 1024, 3_000_000, 16);
    let mut receiver = Receiver::new(2);
    let mut now = 0u64;
    // A few frames of ours in flight, so that acknowledgements have something to acknowledge.
    for i in 0..4u8 {
        let _ = sender.queue(&[i; 40]);
    }
    while sender.next_frame().is_some() {
        sender.transmitted(now);
    }
    // The input is a sequence of frames, each a length byte and that many bytes.
    let mut rest = data;
    while let Some((&len, tail)) = rest.split_first() {
        let (bytes, tail) = tail.split_at((len as usize).min(tail.len()));
        rest = tail;
        now += 1_000_000;
        for parsed in [frame::decode(bytes), frame::parse(bytes)] {
            let Ok(f) = parsed else { continue };
            assert!(f.payload.len() + frame::HEADER <= bytes.len());
            sender.receive_frame(&f, now);
            let received = receiver.receive_frame(&f);
            if let Some(ack) = received.ack {
                assert!(frame::decode(&ack.frame()).is_ok(), "an acknowledgement we make is a frame");
            }
        }
        sender.check_timeout(now);
        while sender.next_frame().is_some() {
            sender.transmitted(now);
        }
    }
}
