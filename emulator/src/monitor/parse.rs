//! The monitor's command grammar: one line of text to one [`Command`].
//!
//! Parsing needs no machine: addresses and values stay [`Expr`]essions (numbers, register
//! names, symbols, joined by `+` and `-`) until the session evaluates them against the current
//! registers and symbol table. Every input line, whatever it holds, gives either a command or a
//! one-line error message; nothing here can panic (counts are bounded, numbers are checked).

use ox32::trap::Exception;

use crate::mmu::Access;

/// The most items one `x`, `xp` or `disas` shows.
pub const MAX_COUNT: u32 = 4096;

/// An address or value as written: terms joined by `+` and `-`, evaluated with wrapping 32-bit
/// arithmetic.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Expr {
    /// The terms; the flag is true for a subtracted term.
    pub terms: Vec<(bool, Term)>,
}

/// One term of an [`Expr`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Term {
    /// A number (hex `0x..`, binary `0b..` or decimal).
    Number(u32),
    /// A register name (`pc`, `sp`, `a0`, `r5`, `x5`) or a symbol, resolved in that order.
    Name(String),
}

/// What a watchpoint watches.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WatchKind {
    /// Loads (and the read half of atomics).
    Read,
    /// Stores (and the write half of atomics, `sc.w`).
    Write,
    /// Both.
    ReadWrite,
}

impl WatchKind {
    /// The short name used in listings: `r`, `w`, `rw`.
    pub fn name(self) -> &'static str {
        match self {
            WatchKind::Read => "r",
            WatchKind::Write => "w",
            WatchKind::ReadWrite => "rw",
        }
    }
}

/// Which traps `break trap` stops at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TrapFilter {
    /// Every trap.
    Any,
    /// One exception.
    Exception(Exception),
    /// Every interrupt.
    Interrupt,
}

impl TrapFilter {
    /// Whether a trap with this `cause` value matches.
    pub fn matches(self, cause: u32) -> bool {
        let interrupt = cause & ox32::trap::INTERRUPT_BIT != 0;
        match self {
            TrapFilter::Any => true,
            TrapFilter::Interrupt => interrupt,
            TrapFilter::Exception(e) => !interrupt && cause == e as u32,
        }
    }

    /// The name written after `break trap`.
    pub fn name(self) -> &'static str {
        match self {
            TrapFilter::Any => "any",
            TrapFilter::Interrupt => "interrupt",
            TrapFilter::Exception(e) => e.name(),
        }
    }
}

/// How `x` and `xp` show memory.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// 32-bit words in hex.
    Hex,
    /// Bytes in hex.
    Bytes,
    /// Instructions.
    Instructions,
    /// A NUL-terminated string.
    String,
}

/// The mode a `translate` checks permissions for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// User mode.
    User,
    /// Kernel mode.
    Kernel,
}

/// One monitor command.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Command {
    /// An empty line or a `#` comment.
    Nothing,
    /// `step [n]`.
    Step(u64),
    /// `next`.
    Next,
    /// `continue [max-cycles]`.
    Continue(Option<u64>),
    /// `until ADDR`.
    Until(Expr),
    /// `break ADDR`.
    Break(Expr),
    /// `break trap [KIND]`.
    BreakTrap(TrapFilter),
    /// `break link [NODE]`: the node as written (an index or a name), or every node.
    BreakLink(Option<String>),
    /// `watch ADDR [r|w|rw]`.
    Watch(Expr, WatchKind),
    /// `delete [N]`.
    Delete(Option<u32>),
    /// `info breakpoints`.
    InfoBreakpoints,
    /// `regs`.
    Regs,
    /// `set REG VALUE`.
    Set(String, Expr),
    /// `x/FMT VADDR` (`physical` false) or `xp/FMT PADDR` (`physical` true).
    Examine {
        /// Whether the address is physical.
        physical: bool,
        /// How to show the memory.
        format: Format,
        /// How many items.
        count: u32,
        /// Where.
        addr: Expr,
    },
    /// `disas [ADDR] [N]`.
    Disas(Option<Expr>, Option<u32>),
    /// `bt`.
    Backtrace,
    /// `mmu`.
    Mmu,
    /// `pt [ROOT]`.
    PageTable(Option<Expr>),
    /// `tlb`.
    Tlb,
    /// `translate VADDR [r|w|x] [user|kernel]`.
    Translate(Expr, Access, Option<Mode>),
    /// `traps [N]`.
    Traps(usize),
    /// `time`.
    Time,
    /// `nodes`.
    Nodes,
    /// `node N`: the node as written (an index or a name).
    Node(String),
    /// `links [N]`.
    Links(usize),
    /// `poweroff NODE` (false) or `poweron NODE` (true): the node as written.
    Power(String, bool),
    /// `help [CMD]`.
    Help(Option<String>),
    /// `quit`.
    Quit,
}

/// Escapes text from the user so that an error message stays on one line.
pub fn quote(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars().take(60) {
        if c.is_control() {
            out.extend(c.escape_debug());
        } else {
            out.push(c);
        }
    }
    if text.chars().count() > 60 {
        out.push_str("...");
    }
    format!("`{out}`")
}

/// Parses a number: `0x` hex, `0b` binary or decimal, at most 32 bits.
pub fn parse_number(text: &str) -> Result<u32, String> {
    let digits = text.replace('_', "");
    let (radix, body) = if let Some(hex) = digits.strip_prefix("0x").or_else(|| digits.strip_prefix("0X")) {
        (16, hex)
    } else if let Some(bin) = digits.strip_prefix("0b").or_else(|| digits.strip_prefix("0B")) {
        (2, bin)
    } else {
        (10, digits.as_str())
    };
    if body.is_empty() {
        return Err(format!("{} is not a number", quote(text)));
    }
    u32::from_str_radix(body, radix).map_err(|e| match e.kind() {
        std::num::IntErrorKind::PosOverflow => format!("{} does not fit in 32 bits", quote(text)),
        _ => format!("{} is not a number", quote(text)),
    })
}

/// Parses a count (a number, possibly larger than 32 bits for `step`).
fn parse_count(text: &str, what: &str) -> Result<u64, String> {
    let digits = text.replace('_', "");
    let value = match digits.strip_prefix("0x") {
        Some(hex) => u64::from_str_radix(hex, 16),
        None => digits.parse::<u64>(),
    };
    value.map_err(|_| format!("{what} {} is not a number", quote(text)))
}

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '$' | ':')
}

/// Parses an address expression such as `0x80001000`, `sp`, `main+0x10` or `sp-4`.
pub fn parse_expr(text: &str) -> Result<Expr, String> {
    let mut terms = Vec::new();
    let mut rest = text.trim();
    if rest.is_empty() {
        return Err("missing address or value".to_string());
    }
    let mut negative = false;
    if let Some(r) = rest.strip_prefix('-') {
        negative = true;
        rest = r.trim_start();
    } else if let Some(r) = rest.strip_prefix('+') {
        rest = r.trim_start();
    }
    loop {
        let end = rest.find(|c: char| !is_name_char(c)).unwrap_or(rest.len());
        let token = &rest[..end];
        if token.is_empty() {
            return match rest.chars().next() {
                Some(c) => Err(format!("unexpected {} in expression {}", quote(&c.to_string()), quote(text))),
                None => Err(format!("expression {} ends with an operator", quote(text))),
            };
        }
        let term = if token.starts_with(|c: char| c.is_ascii_digit()) {
            Term::Number(parse_number(token)?)
        } else {
            Term::Name(token.to_string())
        };
        terms.push((negative, term));
        rest = rest[end..].trim_start();
        match rest.chars().next() {
            None => return Ok(Expr { terms }),
            Some('+') => negative = false,
            Some('-') => negative = true,
            Some(c) => {
                return Err(format!("unexpected {} in expression {}", quote(&c.to_string()), quote(text)))
            }
        }
        rest = rest[1..].trim_start();
    }
}

/// Parses `FMT` of `x/FMT`: an optional count and a letter (`x`, `b`, `i`, `s`).
fn parse_format(text: &str) -> Result<(Format, u32), String> {
    let split = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
    let (digits, letters) = text.split_at(split);
    let count = if digits.is_empty() {
        1
    } else {
        let n = digits.parse::<u32>().map_err(|_| format!("count {} is too large", quote(digits)))?;
        if n == 0 || n > MAX_COUNT {
            return Err(format!("count must be between 1 and {MAX_COUNT}, not {n}"));
        }
        n
    };
    let format = match letters {
        "" | "x" | "w" => Format::Hex,
        "b" => Format::Bytes,
        "i" => Format::Instructions,
        "s" => Format::String,
        _ => {
            return Err(format!(
                "unknown format {}: use x (hex words), b (bytes), i (instructions) or s (string)",
                quote(letters)
            ))
        }
    };
    Ok((format, count))
}

fn parse_access(word: &str) -> Option<Access> {
    match word {
        "r" | "load" | "read" => Some(Access::Load),
        "w" | "store" | "write" => Some(Access::Store),
        "x" | "fetch" | "exec" => Some(Access::Fetch),
        _ => None,
    }
}

fn parse_trap_filter(word: Option<&str>) -> Result<TrapFilter, String> {
    let Some(word) = word else { return Ok(TrapFilter::Any) };
    if word == "interrupt" {
        return Ok(TrapFilter::Interrupt);
    }
    if word == "any" {
        return Ok(TrapFilter::Any);
    }
    Exception::ALL.into_iter().find(|e| e.name() == word).map(TrapFilter::Exception).ok_or_else(|| {
        format!(
            "unknown trap kind {}: use an exception name such as load-page-fault or syscall, or interrupt",
            quote(word)
        )
    })
}

/// Checks that `args` has at most `n` words.
fn at_most<'a>(command: &str, args: &'a [&'a str], n: usize) -> Result<&'a [&'a str], String> {
    if args.len() > n {
        let takes = match n {
            0 => "takes no arguments".to_string(),
            1 => "takes at most 1 argument".to_string(),
            n => format!("takes at most {n} arguments"),
        };
        return Err(format!("`{command}` {takes}; unexpected {}", quote(args[n])));
    }
    Ok(args)
}

/// The first word of `args` as an expression, for commands that need one.
fn required_expr(command: &str, args: &[&str], what: &str) -> Result<Expr, String> {
    match args.first() {
        Some(word) => parse_expr(word),
        None => Err(format!("`{command}` needs {what}")),
    }
}

/// Parses one line of the command language.
pub fn parse(line: &str) -> Result<Command, String> {
    let line = line.trim();
    if line.is_empty() || line.starts_with('#') {
        return Ok(Command::Nothing);
    }
    let words: Vec<&str> = line.split_whitespace().collect();
    let (head, args) = match words.split_first() {
        Some((head, args)) => (*head, args),
        None => return Ok(Command::Nothing),
    };
    if let Some((name, fmt)) = head.split_once('/') {
        let physical = match name {
            "x" => false,
            "xp" => true,
            _ => return Err(format!("unknown command {}; try `help`", quote(head))),
        };
        let (format, count) = parse_format(fmt)?;
        at_most(name, args, 1)?;
        let addr = required_expr(name, args, "an address")?;
        return Ok(Command::Examine { physical, format, count, addr });
    }
    match head {
        "step" | "s" | "si" | "stepi" => {
            let count = match at_most(head, args, 1)?.first() {
                Some(word) => parse_count(word, "step count")?,
                None => 1,
            };
            if count == 0 {
                return Err("step count must be at least 1".to_string());
            }
            Ok(Command::Step(count))
        }
        "next" | "n" | "ni" => {
            at_most(head, args, 0)?;
            Ok(Command::Next)
        }
        "continue" | "c" | "cont" => {
            let limit = match at_most(head, args, 1)?.first() {
                Some(word) => Some(parse_count(word, "cycle limit")?),
                None => None,
            };
            Ok(Command::Continue(limit))
        }
        "until" | "u" => {
            at_most(head, args, 1)?;
            Ok(Command::Until(required_expr(head, args, "an address")?))
        }
        "break" | "b" => {
            if args.first() == Some(&"trap") {
                at_most("break trap", &args[1..], 1)?;
                return Ok(Command::BreakTrap(parse_trap_filter(args.get(1).copied())?));
            }
            if args.first() == Some(&"link") {
                at_most("break link", &args[1..], 1)?;
                return Ok(Command::BreakLink(args.get(1).map(|w| w.to_string())));
            }
            at_most(head, args, 1)?;
            Ok(Command::Break(required_expr(head, args, "an address or symbol (or `trap [KIND]`)")?))
        }
        "watch" => {
            at_most(head, args, 2)?;
            let addr = required_expr(head, args, "an address")?;
            let kind = match args.get(1).copied() {
                None | Some("w") => WatchKind::Write,
                Some("r") => WatchKind::Read,
                Some("rw") | Some("wr") => WatchKind::ReadWrite,
                Some(other) => return Err(format!("watch kind must be r, w or rw, not {}", quote(other))),
            };
            Ok(Command::Watch(addr, kind))
        }
        "delete" | "d" => {
            let id = match at_most(head, args, 1)?.first() {
                Some(word) => Some(
                    word.parse::<u32>()
                        .map_err(|_| format!("breakpoint number {} is not a number", quote(word)))?,
                ),
                None => None,
            };
            Ok(Command::Delete(id))
        }
        "info" => match args {
            [what] if matches!(*what, "breakpoints" | "break" | "b" | "watchpoints") => {
                Ok(Command::InfoBreakpoints)
            }
            [what] if matches!(*what, "registers" | "regs" | "r") => Ok(Command::Regs),
            [] => Err("`info` needs a subject: `info breakpoints` or `info registers`".to_string()),
            [what, ..] => Err(format!("unknown `info` subject {}; try `info breakpoints`", quote(what))),
        },
        "regs" | "registers" => {
            at_most(head, args, 0)?;
            Ok(Command::Regs)
        }
        "set" => match args {
            [reg, value] => Ok(Command::Set(reg.to_string(), parse_expr(value)?)),
            [reg, "=", value] => Ok(Command::Set(reg.to_string(), parse_expr(value)?)),
            _ => Err("usage: set REG VALUE (for example `set a0 0x10` or `set pc main`)".to_string()),
        },
        "x" | "xp" => {
            at_most(head, args, 1)?;
            let addr = required_expr(head, args, "an address")?;
            Ok(Command::Examine { physical: head == "xp", format: Format::Hex, count: 1, addr })
        }
        "disas" | "disassemble" => {
            at_most(head, args, 2)?;
            let addr = args.first().map(|w| parse_expr(w)).transpose()?;
            let count = match args.get(1) {
                Some(word) => {
                    let n = parse_number(word)?;
                    if n == 0 || n > MAX_COUNT {
                        return Err(format!("count must be between 1 and {MAX_COUNT}, not {n}"));
                    }
                    Some(n)
                }
                None => None,
            };
            Ok(Command::Disas(addr, count))
        }
        "bt" | "backtrace" | "where" => {
            at_most(head, args, 0)?;
            Ok(Command::Backtrace)
        }
        "mmu" => {
            at_most(head, args, 0)?;
            Ok(Command::Mmu)
        }
        "pt" => {
            at_most(head, args, 1)?;
            Ok(Command::PageTable(args.first().map(|w| parse_expr(w)).transpose()?))
        }
        "tlb" => {
            at_most(head, args, 0)?;
            Ok(Command::Tlb)
        }
        "translate" | "tr" => {
            at_most(head, args, 3)?;
            let addr = required_expr(head, args, "a virtual address")?;
            let mut access = None;
            let mut mode = None;
            for word in &args[1..] {
                if let Some(a) = parse_access(word).filter(|_| access.is_none()) {
                    access = Some(a);
                } else if matches!(*word, "user" | "u") && mode.is_none() {
                    mode = Some(Mode::User);
                } else if matches!(*word, "kernel" | "k") && mode.is_none() {
                    mode = Some(Mode::Kernel);
                } else {
                    return Err(format!(
                        "unexpected {} after the address: use r, w or x, then user or kernel",
                        quote(word)
                    ));
                }
            }
            Ok(Command::Translate(addr, access.unwrap_or(Access::Load), mode))
        }
        "traps" => {
            let count = match at_most(head, args, 1)?.first() {
                Some(word) => parse_number(word)? as usize,
                None => 10,
            };
            Ok(Command::Traps(count))
        }
        "time" => {
            at_most(head, args, 0)?;
            Ok(Command::Time)
        }
        "nodes" => {
            at_most(head, args, 0)?;
            Ok(Command::Nodes)
        }
        "node" => match at_most(head, args, 1)?.first() {
            Some(word) => Ok(Command::Node(word.to_string())),
            None => Err("`node` needs a node: its index or its name (`nodes` lists them)".to_string()),
        },
        "poweroff" | "poweron" => match at_most(head, args, 1)?.first() {
            Some(word) => Ok(Command::Power(word.to_string(), head == "poweron")),
            None => Err(format!("`{head}` needs a node: its index or its name (`nodes` lists them)")),
        },
        "links" => {
            let count = match at_most(head, args, 1)?.first() {
                Some(word) => parse_number(word)? as usize,
                None => 10,
            };
            Ok(Command::Links(count))
        }
        "help" | "h" | "?" => {
            at_most(head, args, 1)?;
            Ok(Command::Help(args.first().map(|w| w.to_string())))
        }
        "quit" | "q" | "exit" => {
            at_most(head, args, 0)?;
            Ok(Command::Quit)
        }
        _ => Err(format!("unknown command {}; try `help`", quote(head))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expressions() {
        let e = parse_expr("main+0x10").unwrap();
        assert_eq!(e.terms, vec![(false, Term::Name("main".into())), (false, Term::Number(16))]);
        let e = parse_expr("-4").unwrap();
        assert_eq!(e.terms, vec![(true, Term::Number(4))]);
        assert!(parse_expr("sp-").is_err());
        assert!(parse_expr("a*b").is_err());
        assert!(parse_expr("0x1_0000_0000").is_err());
        assert!(parse_expr("").is_err());
    }

    #[test]
    fn formats_and_commands() {
        assert_eq!(
            parse("x/4i pc"),
            Ok(Command::Examine {
                physical: false,
                format: Format::Instructions,
                count: 4,
                addr: parse_expr("pc").unwrap()
            })
        );
        assert_eq!(
            parse("break trap load-page-fault"),
            Ok(Command::BreakTrap(TrapFilter::Exception(Exception::LoadPageFault)))
        );
        assert_eq!(
            parse("translate 0x400000 x user"),
            Ok(Command::Translate(parse_expr("0x400000").unwrap(), Access::Fetch, Some(Mode::User)))
        );
        assert!(parse("x/0x pc").is_err());
        assert!(parse("x/99999999999x pc").is_err());
        assert!(parse("step 0").is_err());
        assert_eq!(parse("  # a comment"), Ok(Command::Nothing));
        assert_eq!(parse("break link sat2"), Ok(Command::BreakLink(Some("sat2".into()))));
        assert_eq!(parse("break link"), Ok(Command::BreakLink(None)));
        assert_eq!(parse("node 2"), Ok(Command::Node("2".into())));
        assert_eq!(parse("links"), Ok(Command::Links(10)));
        assert_eq!(parse("poweroff sat3"), Ok(Command::Power("sat3".into(), false)));
        assert_eq!(parse("poweron 3"), Ok(Command::Power("3".into(), true)));
        assert!(parse("poweron").is_err());
        assert!(parse("node").is_err());
        assert!(parse("links x").is_err());
        assert!(parse("break link a b").is_err());
    }
}
