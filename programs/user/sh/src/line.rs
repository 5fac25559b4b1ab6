//! Input lines from raw bytes: the little line editing the shell does itself.
//!
//! The Orrery console delivers raw bytes (docs/syscalls.md, `read`): the kernel neither echoes
//! nor edits. The shell does not echo either: run from a host terminal, the terminal echoes
//! and edits the line before the emulator sees it, and echoing again would print every line
//! twice. What reaches the shell may still carry editing keys (a terminal in raw mode, or a
//! script), so [`LineEditor`] applies them to the line being collected:
//!
//! - `\n` or `\r` ends a line (`\r\n` is one end);
//! - backspace (0x7f, or 0x08) erases the last character (a whole UTF-8 sequence);
//! - Ctrl-U (0x15) erases the whole line;
//! - Ctrl-D (0x04) on an empty line is the end of the input, as on a Unix terminal; elsewhere
//!   it is ignored.
//!
//! A line longer than [`MAX_LINE`] bytes is dropped whole ([`Input::TooLong`]) instead of being
//! run cut short. Bytes that are not UTF-8 become U+FFFD.

use alloc::string::String;
use alloc::vec::Vec;

/// The longest line the shell runs, in bytes.
pub const MAX_LINE: usize = 4096;

const BACKSPACE: u8 = 0x08;
const DELETE: u8 = 0x7f;
const CTRL_D: u8 = 0x04;
const CTRL_U: u8 = 0x15;

/// What the editor hands on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Input {
    /// A finished line, without its end.
    Line(String),
    /// A line longer than [`MAX_LINE`] ended; it was dropped.
    TooLong,
    /// Ctrl-D on an empty line.
    End,
}

/// Collects bytes into lines.
#[derive(Debug, Default)]
pub struct LineEditor {
    line: Vec<u8>,
    too_long: bool,
    after_cr: bool,
}

impl LineEditor {
    /// An editor with an empty line.
    pub fn new() -> LineEditor {
        LineEditor::default()
    }

    /// Takes one input byte; returns what it finished, if anything.
    pub fn feed(&mut self, byte: u8) -> Option<Input> {
        let after_cr = core::mem::replace(&mut self.after_cr, byte == b'\r');
        match byte {
            b'\n' if after_cr => None,
            b'\n' | b'\r' => Some(self.take()),
            BACKSPACE | DELETE => {
                while let Some(last) = self.line.pop() {
                    // Stop after removing the first byte of a UTF-8 sequence.
                    if last & 0xc0 != 0x80 {
                        break;
                    }
                }
                None
            }
            CTRL_U => {
                self.line.clear();
                self.too_long = false;
                None
            }
            CTRL_D if self.line.is_empty() && !self.too_long => Some(Input::End),
            CTRL_D => None,
            _ if self.line.len() == MAX_LINE => {
                self.too_long = true;
                None
            }
            _ => {
                self.line.push(byte);
                None
            }
        }
    }

    /// The end of the input: the last line, if it had no line end.
    pub fn finish(&mut self) -> Option<Input> {
        (!self.line.is_empty() || self.too_long).then(|| self.take())
    }

    /// Hands on the line collected so far and starts a new one.
    fn take(&mut self) -> Input {
        let line = core::mem::take(&mut self.line);
        if core::mem::take(&mut self.too_long) {
            Input::TooLong
        } else {
            Input::Line(String::from_utf8_lossy(&line).into_owned())
        }
    }
}

#[cfg(test)]
mod tests {
    use alloc::string::String;
    use alloc::vec::Vec;

    use super::{Input, LineEditor, MAX_LINE};

    fn lines(bytes: &[u8]) -> Vec<Input> {
        let mut editor = LineEditor::new();
        let mut out: Vec<Input> = bytes.iter().filter_map(|b| editor.feed(*b)).collect();
        out.extend(editor.finish());
        out
    }

    fn line(text: &str) -> Input {
        Input::Line(String::from(text))
    }

    #[test]
    fn line_ends() {
        assert_eq!(lines(b"a\nb\r\nc\rd"), [line("a"), line("b"), line("c"), line("d")]);
        assert_eq!(lines(b"\n\r\n"), [line(""), line("")]);
    }

    #[test]
    fn backspace_erases_characters() {
        assert_eq!(lines(b"ecx\x7fho\n"), [line("echo")]);
        assert_eq!(lines(b"ab\x08\x08\x08c\n"), [line("c")]);
        assert_eq!(lines("né\x7f\n".as_bytes()), [line("n")]);
    }

    #[test]
    fn ctrl_u_erases_the_line() {
        assert_eq!(lines(b"rm -r /\x15ls\n"), [line("ls")]);
    }

    #[test]
    fn ctrl_d_ends_the_input_only_on_an_empty_line() {
        assert_eq!(lines(b"ab\x04c\n\x04"), [line("abc"), Input::End]);
    }

    #[test]
    fn overlong_lines_are_dropped_whole() {
        let mut bytes = alloc::vec![b'x'; MAX_LINE + 10];
        bytes.extend_from_slice(b"\nok\n");
        assert_eq!(lines(&bytes), [Input::TooLong, line("ok")]);
        let exact = alloc::vec![b'y'; MAX_LINE];
        assert_eq!(lines(&exact), [Input::Line(String::from_utf8(exact.clone()).unwrap())]);
    }

    #[test]
    fn invalid_utf8_is_replaced() {
        assert_eq!(lines(b"a\xffb\n"), [line("a\u{fffd}b")]);
    }
}
