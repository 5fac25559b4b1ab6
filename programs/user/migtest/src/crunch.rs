//! The CPU-bound work of `migtest` and of `satbench`'s migration parts (included by path).

/// A computation whose every step depends on the one before (a xorshift chain folded with
/// multiplications and divisions): any register or memory word lost in a move changes it.
pub fn crunch(rounds: u32) -> u32 {
    let mut table = [0u32; 64];
    let mut x: u32 = 0x1234_5678;
    for i in 0..rounds {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        let slot = (x as usize) % table.len();
        table[slot] = table[slot].wrapping_mul(31).wrapping_add(x / (i | 1));
    }
    table.iter().fold(x, |acc, v| acc.rotate_left(3) ^ v)
}
