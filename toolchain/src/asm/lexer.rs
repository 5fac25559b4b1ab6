//! Stage 1: one source line → tokens.
//!
//! Conventions: spans are byte ranges into the line; comments (`#` or `//` to the end of the line)
//! produce no tokens; `;` becomes [`Tok::Semi`] so the parser can split statements. Character
//! literals (`'a'`, `'\n'`) become integers. String literals keep their decoded bytes, with C
//! escapes (`\n \t \r \0 \\ \" \' \a \b \f \v \xHH \NNN`).
//!
//! Invariant: every span starts and ends on a character boundary of the line.

use super::{Error, Span};

/// One token of a line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Tok {
    /// A name: mnemonic, directive, register, symbol or `.` (identifier characters are letters,
    /// digits, `_`, `.` and `$`; a digit cannot start one).
    Ident(String),
    /// An integer or character literal.
    Int(i64),
    /// A string literal's bytes, escapes decoded.
    Str(Vec<u8>),
    /// `,`
    Comma,
    /// `:`
    Colon,
    /// `;`
    Semi,
    /// `(`
    LParen,
    /// `)`
    RParen,
    /// `+`
    Plus,
    /// `-`
    Minus,
    /// `*`
    Star,
    /// `/`
    Slash,
    /// `%` (remainder, or the start of `%hi` / `%lo`)
    Percent,
    /// `<<`
    Shl,
    /// `>>`
    Shr,
    /// `&`
    Amp,
    /// `|`
    Pipe,
    /// `^`
    Caret,
    /// `~`
    Tilde,
    /// `@`, only used in `@nobits` / `@progbits` section types
    At,
}

/// A token with the bytes of the line it came from.
#[derive(Clone, Debug)]
pub struct Token {
    /// What it is.
    pub tok: Tok,
    /// Where it is.
    pub span: Span,
}

fn is_ident_start(c: char) -> bool {
    c.is_ascii_alphabetic() || c == '_' || c == '.' || c == '$'
}

fn is_ident_char(c: char) -> bool {
    is_ident_start(c) || c.is_ascii_digit()
}

/// Splits `line` into tokens, or reports the first thing that is not a token.
pub fn lex(line: &str) -> Result<Vec<Token>, Error> {
    let bytes = line.as_bytes();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let start = i;
        let Some(c) = line[i..].chars().next() else { break };
        if c.is_whitespace() {
            i += c.len_utf8();
            continue;
        }
        if c == '#' || line[i..].starts_with("//") {
            break;
        }
        let single = match c {
            ',' => Some(Tok::Comma),
            ':' => Some(Tok::Colon),
            ';' => Some(Tok::Semi),
            '(' => Some(Tok::LParen),
            ')' => Some(Tok::RParen),
            '+' => Some(Tok::Plus),
            '-' => Some(Tok::Minus),
            '*' => Some(Tok::Star),
            '/' => Some(Tok::Slash),
            '%' => Some(Tok::Percent),
            '&' => Some(Tok::Amp),
            '|' => Some(Tok::Pipe),
            '^' => Some(Tok::Caret),
            '~' => Some(Tok::Tilde),
            '@' => Some(Tok::At),
            _ => None,
        };
        if let Some(tok) = single {
            i += 1;
            tokens.push(Token { tok, span: Span::new(start, i) });
            continue;
        }
        if line[i..].starts_with("<<") || line[i..].starts_with(">>") {
            let tok = if c == '<' { Tok::Shl } else { Tok::Shr };
            i += 2;
            tokens.push(Token { tok, span: Span::new(start, i) });
            continue;
        }
        if is_ident_start(c) {
            while let Some(d) = line[i..].chars().next().filter(|d| is_ident_char(*d)) {
                i += d.len_utf8();
            }
            tokens.push(Token { tok: Tok::Ident(line[start..i].to_string()), span: Span::new(start, i) });
            continue;
        }
        if c.is_ascii_digit() {
            while let Some(d) = line[i..].chars().next().filter(|d| d.is_ascii_alphanumeric() || *d == '_') {
                i += d.len_utf8();
            }
            let span = Span::new(start, i);
            let value =
                parse_int(&line[start..i]).ok_or_else(|| Error::new(span, int_message(&line[start..i])))?;
            tokens.push(Token { tok: Tok::Int(value), span });
            continue;
        }
        if c == '"' {
            let (value, end) = lex_string(line, start)?;
            i = end;
            tokens.push(Token { tok: Tok::Str(value), span: Span::new(start, i) });
            continue;
        }
        if c == '\'' {
            let (value, end) = lex_char(line, start)?;
            i = end;
            tokens.push(Token { tok: Tok::Int(value), span: Span::new(start, i) });
            continue;
        }
        let span = Span::new(start, start + c.len_utf8());
        return Err(Error::new(span, format!("unexpected character `{}`", c.escape_default())));
    }
    Ok(tokens)
}

fn int_message(text: &str) -> String {
    let digits_ok = text.chars().all(|c| c.is_ascii_hexdigit() || "xXbBoO_".contains(c));
    if digits_ok && parse_int_radix(text).is_some() {
        format!("integer literal `{text}` is too large (the limit is {})", i64::MAX)
    } else {
        format!("malformed integer literal `{text}` (expected decimal, 0x hex, 0b binary or 0o octal)")
    }
}

/// The radix and digits of an integer literal, if its shape is valid.
fn parse_int_radix(text: &str) -> Option<(u32, String)> {
    let lower = text.to_ascii_lowercase();
    let (radix, digits) = if let Some(d) = lower.strip_prefix("0x") {
        (16, d)
    } else if let Some(d) = lower.strip_prefix("0b") {
        (2, d)
    } else if let Some(d) = lower.strip_prefix("0o") {
        (8, d)
    } else {
        (10, lower.as_str())
    };
    let digits: String = digits.chars().filter(|c| *c != '_').collect();
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    Some((radix, digits))
}

fn parse_int(text: &str) -> Option<i64> {
    let (radix, digits) = parse_int_radix(text)?;
    i64::from_str_radix(&digits, radix).ok()
}

/// Decodes one escape sequence starting after the backslash at `i`; returns the byte and the
/// index after the sequence.
fn lex_escape(line: &str, backslash: usize) -> Result<(u8, usize), Error> {
    let i = backslash + 1;
    let Some(c) = line[i..].chars().next() else {
        return Err(Error::new(Span::new(backslash, i), "unterminated escape sequence".to_string()));
    };
    let simple = match c {
        'n' => Some(b'\n'),
        't' => Some(b'\t'),
        'r' => Some(b'\r'),
        '\\' => Some(b'\\'),
        '"' => Some(b'"'),
        '\'' => Some(b'\''),
        'a' => Some(7),
        'b' => Some(8),
        'f' => Some(12),
        'v' => Some(11),
        _ => None,
    };
    if let Some(b) = simple {
        return Ok((b, i + 1));
    }
    if c == 'x' {
        let hex: String = line[i + 1..].chars().take_while(|d| d.is_ascii_hexdigit()).take(2).collect();
        let end = i + 1 + hex.len();
        return match u8::from_str_radix(&hex, 16) {
            Ok(b) => Ok((b, end)),
            Err(_) => {
                Err(Error::new(Span::new(backslash, end), "`\\x` needs one or two hex digits".to_string()))
            }
        };
    }
    if ('0'..='7').contains(&c) {
        let oct: String = line[i..].chars().take_while(|d| ('0'..='7').contains(d)).take(3).collect();
        let end = i + oct.len();
        return match u8::from_str_radix(&oct, 8) {
            Ok(b) => Ok((b, end)),
            Err(_) => Err(Error::new(
                Span::new(backslash, end),
                format!("octal escape `\\{oct}` is larger than a byte"),
            )),
        };
    }
    Err(Error::new(
        Span::new(backslash, i + c.len_utf8()),
        format!(
            "unknown escape `\\{}` (known: \\n \\t \\r \\0 \\\\ \\\" \\' \\a \\b \\f \\v \\xHH \\NNN)",
            c.escape_default()
        ),
    ))
}

fn lex_string(line: &str, quote: usize) -> Result<(Vec<u8>, usize), Error> {
    let mut value = Vec::new();
    let mut i = quote + 1;
    loop {
        let Some(c) = line[i..].chars().next() else {
            return Err(Error::new(Span::new(quote, line.len()), "unterminated string".to_string()));
        };
        match c {
            '"' => return Ok((value, i + 1)),
            '\\' => {
                let (b, end) = lex_escape(line, i)?;
                value.push(b);
                i = end;
            }
            _ => {
                let mut buf = [0; 4];
                value.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
                i += c.len_utf8();
            }
        }
    }
}

fn lex_char(line: &str, quote: usize) -> Result<(i64, usize), Error> {
    let i = quote + 1;
    let unterminated =
        || Error::new(Span::new(quote, line.len()), "unterminated character literal".to_string());
    let (value, end) = match line[i..].chars().next() {
        None | Some('\'') => return Err(unterminated()),
        Some('\\') => {
            let (b, end) = lex_escape(line, i)?;
            (b as i64, end)
        }
        Some(c) => (c as i64, i + c.len_utf8()),
    };
    if line[end..].starts_with('\'') {
        Ok((value, end + 1))
    } else {
        Err(unterminated())
    }
}

#[cfg(test)]
mod tests {
    use super::{lex, Tok};

    fn kinds(line: &str) -> Vec<Tok> {
        lex(line).map(|t| t.into_iter().map(|t| t.tok).collect()).unwrap_or_default()
    }

    #[test]
    fn tokens_and_comments() {
        assert_eq!(
            kinds("loop: addi a0, a0, -1 # done"),
            vec![
                Tok::Ident("loop".into()),
                Tok::Colon,
                Tok::Ident("addi".into()),
                Tok::Ident("a0".into()),
                Tok::Comma,
                Tok::Ident("a0".into()),
                Tok::Comma,
                Tok::Minus,
                Tok::Int(1),
            ]
        );
        assert_eq!(kinds("x // y"), vec![Tok::Ident("x".into())]);
        assert_eq!(
            kinds("0x10 0b101 'a' '\\n'"),
            vec![Tok::Int(16), Tok::Int(5), Tok::Int(97), Tok::Int(10)]
        );
        assert_eq!(kinds("\"a\\x41\\101#\""), vec![Tok::Str(b"aAA#".to_vec())]);
    }

    #[test]
    fn errors() {
        assert!(lex("\"abc").is_err());
        assert!(lex("\"\\q\"").is_err());
        assert!(lex("0x").is_err());
        assert!(lex("99999999999999999999").is_err());
        assert!(lex("'").is_err());
        assert!(lex("\\").is_err());
    }
}
