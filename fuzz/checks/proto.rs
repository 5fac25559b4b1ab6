//! Fuzzes what a kernel reads from a satellite's process channel: any payloads, cut as
//! fragments and reassembled, decode to a message or one error, never a panic; a message that
//! decodes encodes back to the same bytes, and decoding the owned bytes agrees; a `Net`
//! message's op read in place (`NetEnvelope::inline`) is the op decoding gives.

use ox_proto::{Message, NetEnvelope, Reassembler};

/// One input of the target (`fuzz_targets/proto.rs`; `tests/tests/fuzz_smoke.rs` runs it too).
pub fn check(data: &[u8]) {
    // The input is a sequence of payloads, each a length byte and that many bytes.
    let mut joiner = Reassembler::default();
    let mut rest = data;
    while let Some((&len, tail)) = rest.split_first() {
        let (payload, tail) = tail.split_at((len as usize).min(tail.len()));
        rest = tail;
        if let Ok(Some(bytes)) = joiner.push(payload) {
            check_message(&bytes);
        }
    }
    check_message(data);
}

fn check_message(bytes: &[u8]) {
    if let Some(envelope) = NetEnvelope::read(bytes) {
        if let Some(read) = envelope.inline(bytes) {
            assert_eq!(envelope.op(bytes), Ok(read.to_op(NetEnvelope::body(bytes))));
        }
    }
    let decoded = Message::decode(bytes);
    let owned = Message::decode_owned(bytes.to_vec()).map_err(|(e, back)| {
        assert_eq!(back, bytes, "the bytes come back with the error");
        e
    });
    assert_eq!(decoded, owned);
    match decoded {
        Ok(message) => {
            assert_eq!(message.encode().expect("a decoded message encodes"), bytes);
        }
        Err(error) => {
            // The answer to it, if any, is itself a message that decodes.
            if let Some(refusal) = Message::refusal(bytes, &error) {
                let again = refusal.encode().expect("a refusal encodes");
                assert_eq!(Message::decode(&again), Ok(refusal));
            }
        }
    }
}
