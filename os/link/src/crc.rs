//! CRC-32 (IEEE 802.3, the polynomial of zlib and Ethernet) by slicing-by-8: eight 256-entry
//! tables computed at compile time let one step fold eight bytes (two aligned words, loaded
//! whole) into the register with eight lookups, where the byte-at-a-time loop (the one the boot ROM runs in
//! assembly, kept here for the tail) needs eight dependent steps. Every frame of every link is
//! checksummed once when built and once when received, so this loop is the transport's main
//! per-byte cost.

/// The reflected polynomial.
const POLY: u32 = 0xedb8_8320;

/// `TABLES[0][b]`: the CRC register after shifting byte `b` through it, bit by bit;
/// `TABLES[k][b]`: the same followed by `k` zero bytes.
const TABLES: [[u32; 256]; 8] = {
    let mut tables = [[0u32; 256]; 8];
    let mut i = 0;
    while i < 256 {
        let mut crc = i as u32;
        let mut bit = 0;
        while bit < 8 {
            let mask = (crc & 1).wrapping_neg();
            crc = (crc >> 1) ^ (POLY & mask);
            bit += 1;
        }
        tables[0][i] = crc;
        i += 1;
    }
    let mut k = 1;
    while k < 8 {
        let mut i = 0;
        while i < 256 {
            let previous = tables[k - 1][i];
            tables[k][i] = (previous >> 8) ^ tables[0][(previous & 0xff) as usize];
            i += 1;
        }
        k += 1;
    }
    tables
};

/// Continues a CRC-32 over `bytes` from a previous `crc` (start with 0).
pub fn crc32_update(crc: u32, bytes: &[u8]) -> u32 {
    let t = &TABLES;
    let mut crc = !crc;
    // Safety: every bit pattern is a valid `u32`; `align_to` hands out only whole, aligned
    // words from within `bytes`.
    let (head, words, tail) = unsafe { bytes.align_to::<u32>() };
    for &byte in head {
        crc = t[0][((crc ^ byte as u32) & 0xff) as usize] ^ (crc >> 8);
    }
    let mut pairs = words.chunks_exact(2);
    for pair in &mut pairs {
        let lo = crc ^ u32::from_le(pair[0]);
        let hi = u32::from_le(pair[1]);
        crc = t[7][(lo & 0xff) as usize]
            ^ t[6][((lo >> 8) & 0xff) as usize]
            ^ t[5][((lo >> 16) & 0xff) as usize]
            ^ t[4][(lo >> 24) as usize]
            ^ t[3][(hi & 0xff) as usize]
            ^ t[2][((hi >> 8) & 0xff) as usize]
            ^ t[1][((hi >> 16) & 0xff) as usize]
            ^ t[0][(hi >> 24) as usize];
    }
    let rest = pairs.remainder().iter().flat_map(|w| w.to_le_bytes()).chain(tail.iter().copied());
    for byte in rest {
        crc = t[0][((crc ^ byte as u32) & 0xff) as usize] ^ (crc >> 8);
    }
    !crc
}

/// The CRC-32 of `bytes`.
pub fn crc32(bytes: &[u8]) -> u32 {
    crc32_update(0, bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_the_standard_check_values() {
        assert_eq!(crc32(b""), 0);
        assert_eq!(crc32(b"123456789"), 0xcbf4_3926);
        assert_eq!(crc32(b"The quick brown fox jumps over the lazy dog"), 0x414f_a339);
        assert_eq!(crc32_update(crc32(b"12345"), b"6789"), 0xcbf4_3926);
    }

    #[test]
    fn the_table_agrees_with_the_bitwise_definition() {
        for byte in 0..=255u8 {
            let mut crc = !0u32 ^ byte as u32;
            for _ in 0..8 {
                crc = (crc >> 1) ^ (POLY & (crc & 1).wrapping_neg());
            }
            assert_eq!(crc32_update(0, &[byte]), !crc, "byte {byte}");
        }
    }

    /// The bitwise definition over a whole buffer.
    fn bitwise(bytes: &[u8]) -> u32 {
        let mut crc = !0u32;
        for &byte in bytes {
            crc ^= byte as u32;
            for _ in 0..8 {
                crc = (crc >> 1) ^ (POLY & (crc & 1).wrapping_neg());
            }
        }
        !crc
    }

    #[test]
    fn slicing_agrees_with_the_bitwise_definition_at_every_length_and_split() {
        let bytes: [u8; 67] = core::array::from_fn(|i| (i as u8).wrapping_mul(37) ^ 0x5a);
        for len in 0..bytes.len() {
            assert_eq!(crc32(&bytes[..len]), bitwise(&bytes[..len]), "length {len}");
            for split in 0..=len {
                let crc = crc32_update(crc32(&bytes[..split]), &bytes[split..len]);
                assert_eq!(crc, bitwise(&bytes[..len]), "length {len} split at {split}");
            }
        }
    }
}
