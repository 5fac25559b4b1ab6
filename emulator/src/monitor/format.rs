//! Text shared by the monitor's commands: page flags, symbolic addresses, instructions.
//!
//! Every address is printed as `0x` and eight hex digits so that columns line up and
//! transcripts compare byte for byte; nothing printed depends on the host.

use ox32::pte::PteFlags;

use crate::loader::Symbols;

/// `0x` and eight hex digits.
pub fn hex(value: u32) -> String {
    format!("{value:#010x}")
}

/// ` <symbol+off>` for `addr` if a symbol covers it, else nothing.
pub fn sym_suffix(symbols: &Symbols, addr: u32) -> String {
    symbols.describe(addr).map(|s| format!(" <{s}>")).unwrap_or_default()
}

/// The flags of a leaf as `r-x u a d` (with `g` and the OS bits appended when set). Letters
/// stand where the bit is set, `-` where it is clear.
pub fn leaf_flags(flags: PteFlags) -> String {
    let bit = |f: PteFlags, c: &'static str| if flags.contains(f) { c } else { "-" };
    let mut text = format!(
        "{}{}{} {} {} {}",
        bit(PteFlags::R, "r"),
        bit(PteFlags::W, "w"),
        bit(PteFlags::X, "x"),
        bit(PteFlags::U, "u"),
        bit(PteFlags::A, "a"),
        bit(PteFlags::D, "d")
    );
    if flags.contains(PteFlags::G) {
        text.push_str(" g");
    }
    let os = (flags & PteFlags::OS).bits() >> 8;
    if os != 0 {
        text.push_str(&format!(" os={os:#x}"));
    }
    text
}

/// Every set flag of an entry by name (`V R X U A`), for decoding single entries.
pub fn flag_names(flags: PteFlags) -> String {
    let names = [
        (PteFlags::V, "V"),
        (PteFlags::R, "R"),
        (PteFlags::W, "W"),
        (PteFlags::X, "X"),
        (PteFlags::U, "U"),
        (PteFlags::G, "G"),
        (PteFlags::A, "A"),
        (PteFlags::D, "D"),
    ];
    let set: Vec<&str> = names.iter().filter(|(f, _)| flags.contains(*f)).map(|(_, n)| *n).collect();
    if set.is_empty() {
        "no flags".to_string()
    } else {
        set.join(" ")
    }
}

/// The text of the instruction `word` at `pc`, with branch targets named by `symbols`.
pub fn instruction(symbols: &Symbols, word: u32, pc: u32) -> String {
    match ox32::decode(word) {
        Ok(inst) => ox32::disassemble(&inst, pc, &|a| symbols.describe(a)),
        Err(e) => format!("<illegal: {e}>"),
    }
}

/// A byte string as a quoted literal with escapes.
pub fn string_literal(bytes: &[u8]) -> String {
    let mut out = String::from("\"");
    for &b in bytes {
        match b {
            b'"' => out.push_str("\\\""),
            b'\\' => out.push_str("\\\\"),
            b'\n' => out.push_str("\\n"),
            b'\t' => out.push_str("\\t"),
            b'\r' => out.push_str("\\r"),
            0x20..=0x7e => out.push(b as char),
            _ => out.push_str(&format!("\\x{b:02x}")),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_read_left_to_right() {
        let f = PteFlags::V | PteFlags::R | PteFlags::X | PteFlags::U | PteFlags::A;
        assert_eq!(leaf_flags(f), "r-x u a -");
        assert_eq!(leaf_flags(f | PteFlags::G | PteFlags::D), "r-x u a d g");
        assert_eq!(flag_names(PteFlags::V), "V");
        assert_eq!(string_literal(b"a\n\"\x01"), "\"a\\n\\\"\\x01\"");
    }
}
