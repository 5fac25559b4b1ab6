//! CRC-32 (IEEE 802.3, the polynomial of zlib and Ethernet), bit by bit: small, table-free, and
//! the same loop the boot ROM runs in assembly.

/// The reflected polynomial.
const POLY: u32 = 0xedb8_8320;

/// Continues a CRC-32 over `bytes` from a previous `crc` (start with 0).
pub fn crc32_update(crc: u32, bytes: &[u8]) -> u32 {
    let mut crc = !crc;
    for &byte in bytes {
        crc ^= byte as u32;
        for _ in 0..8 {
            let mask = (crc & 1).wrapping_neg();
            crc = (crc >> 1) ^ (POLY & mask);
        }
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
}
