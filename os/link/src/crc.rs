//! CRC-32 (IEEE 802.3, the polynomial of zlib and Ethernet), a byte at a time through a
//! 256-entry table computed at compile time: the same table-driven loop the boot ROM runs in
//! assembly, and eight times fewer steps than going bit by bit (the central kernel checksums
//! every byte of every satellite image twice: once for `START`, once per frame).

/// The reflected polynomial.
const POLY: u32 = 0xedb8_8320;

/// `TABLE[b]`: the CRC register after shifting byte `b` through it, bit by bit.
const TABLE: [u32; 256] = {
    let mut table = [0u32; 256];
    let mut i = 0;
    while i < 256 {
        let mut crc = i as u32;
        let mut bit = 0;
        while bit < 8 {
            let mask = (crc & 1).wrapping_neg();
            crc = (crc >> 1) ^ (POLY & mask);
            bit += 1;
        }
        table[i] = crc;
        i += 1;
    }
    table
};

/// Continues a CRC-32 over `bytes` from a previous `crc` (start with 0).
pub fn crc32_update(crc: u32, bytes: &[u8]) -> u32 {
    let mut crc = !crc;
    for &byte in bytes {
        crc = TABLE[((crc ^ byte as u32) & 0xff) as usize] ^ (crc >> 8);
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
}
