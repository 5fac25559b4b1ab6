//! Fuzzes the ox32 decoder: every 4-byte little-endian word of the input is decoded. Decoding
//! never panics; an accepted word re-encodes to itself and decodes again to the same
//! instruction; its disassembly text (relative and absolute) never panics and is never empty;
//! the error of a rejected word names that word.

/// One input of the target (`fuzz_targets/decode.rs`; `tests/tests/fuzz_smoke.rs` runs it too).
pub fn check(data: &[u8]) {
    let symbols = |addr: u32| addr.is_multiple_of(64).then(|| format!("sym_{addr:x}"));
    for (i, chunk) in data.chunks_exact(4).enumerate() {
        let word = u32::from_le_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]);
        match ox32::decode(word) {
            Ok(inst) => {
                assert_eq!(ox32::encode(&inst), word, "{inst}");
                assert_eq!(ox32::decode(word), Ok(inst));
                assert!(!inst.to_string().is_empty());
                let pc = (i as u32).wrapping_mul(4).wrapping_add(word & !3);
                assert!(!ox32::disassemble(&inst, pc, &symbols).is_empty());
            }
            Err(err) => {
                assert_eq!(err.word, word);
                assert!(!err.to_string().is_empty());
            }
        }
    }
}
