//! The shell's grammar: one line of input into a [`List`] of pipelines, or a [`ParseError`].
//!
//! ```text
//! list      := [pipeline ((';' | '&') pipeline)* [';' | '&']]
//! pipeline  := command ('|' command)*
//! command   := (word | redirect)+
//! redirect  := ('<' | '>' | '>>') word
//! ```
//!
//! Words: unquoted text up to a blank or one of `| ; & < >`; `'...'` takes everything up to
//! the next `'` literally; `"..."` takes everything up to the next unescaped `"`, where `\"`,
//! `\\` and `\$` stand for the second character (any other `\` stays); outside quotes `\x` is
//! `x`, and a `\` that ends the line stands for itself. The pieces of one word join up
//! (`a'b c'd` is `ab cd`; `''` is the empty word). `$?` outside single quotes stays a
//! placeholder in the [`Word`], expanded to the exit status of the last command only when the
//! command runs (so `false; echo $?` sees `false`'s status); any other `$` is literal. An unquoted `#` at the start of a word
//! begins a comment to the end of the line.
//!
//! Plain logic on `&str` with `alloc` only: the same code runs in the guest and in the host's
//! tests, and no input makes it panic (the tests feed it random lines).

use alloc::string::{String, ToString};
use alloc::vec::{self, Vec};
use core::fmt;
use core::iter::Peekable;

/// A parsed line: pipelines in the order they run.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct List {
    /// The pipelines, each with how it ends.
    pub jobs: Vec<Job>,
}

/// One pipeline of a [`List`] and whether the shell waits for it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Job {
    /// What runs.
    pub pipeline: Pipeline,
    /// Ended by `&`: the shell does not wait for it.
    pub background: bool,
}

/// Commands joined by pipes: each one's standard output is the next one's standard input.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pipeline {
    /// At least one command.
    pub commands: Vec<Command>,
}

/// One simple command: its words and its redirections (applied in order, after the pipes).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Command {
    /// The program (or built-in) and its arguments; empty for a command of redirections only.
    pub args: Vec<Word>,
    /// `< file`, `> file`, `>> file`, in the order they were written.
    pub redirects: Vec<Redirect>,
}

/// One redirection.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Redirect {
    /// What to open and for which descriptor.
    pub kind: RedirectKind,
    /// The file.
    pub path: Word,
}

impl Command {
    /// The arguments as the program gets them, with `status` for `$?`.
    pub fn expand_args(&self, status: i32) -> Vec<String> {
        self.args.iter().map(|word| word.expand(status)).collect()
    }
}

/// A word as written, quotes removed: text, and a place for each `$?`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Word(Vec<Piece>);

/// A part of a [`Word`].
#[derive(Clone, Debug, PartialEq, Eq)]
enum Piece {
    /// Literal text.
    Text(String),
    /// `$?`.
    Status,
}

impl Word {
    /// The word's text, with `status` for each `$?`.
    pub fn expand(&self, status: i32) -> String {
        let mut text = String::new();
        for piece in &self.0 {
            match piece {
                Piece::Text(t) => text.push_str(t),
                Piece::Status => text.push_str(&status.to_string()),
            }
        }
        text
    }

    fn push(&mut self, c: char) {
        match self.0.last_mut() {
            Some(Piece::Text(text)) => text.push(c),
            _ => self.0.push(Piece::Text(String::from(c))),
        }
    }

    fn push_status(&mut self) {
        self.0.push(Piece::Status);
    }
}

impl From<&str> for Word {
    /// A word of literal text.
    fn from(text: &str) -> Word {
        let mut word = Word::default();
        text.chars().for_each(|c| word.push(c));
        word
    }
}

/// The three redirections.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RedirectKind {
    /// `< file`: standard input from the file.
    Input,
    /// `> file`: standard output to the file, created or cut to length 0.
    Output,
    /// `>> file`: standard output to the end of the file, created if missing.
    Append,
}

impl RedirectKind {
    /// The descriptor it replaces: 0 for input, 1 for output.
    pub fn fd(self) -> u32 {
        match self {
            RedirectKind::Input => 0,
            RedirectKind::Output | RedirectKind::Append => 1,
        }
    }

    /// How it is written.
    pub fn symbol(self) -> &'static str {
        match self {
            RedirectKind::Input => "<",
            RedirectKind::Output => ">",
            RedirectKind::Append => ">>",
        }
    }
}

/// Why a line does not parse.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ParseError {
    /// An operator where it cannot be (`None`: the line ended where something was needed).
    Syntax(Option<&'static str>),
    /// A quote (`'` or `"`) that is never closed.
    UnterminatedQuote(char),
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match self {
            ParseError::Syntax(Some(token)) => write!(f, "syntax error near '{token}'"),
            ParseError::Syntax(None) => write!(f, "syntax error near end of line"),
            ParseError::UnterminatedQuote(quote) => write!(f, "syntax error: unterminated {quote}"),
        }
    }
}

/// One token of a line.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Token {
    Word(Word),
    Op(Op),
}

/// The tokens of a line, with one of look-ahead.
type Tokens = Peekable<vec::IntoIter<Token>>;

/// The operators.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Op {
    Pipe,
    Semi,
    Amp,
    Redirect(RedirectKind),
}

impl Op {
    fn symbol(self) -> &'static str {
        match self {
            Op::Pipe => "|",
            Op::Semi => ";",
            Op::Amp => "&",
            Op::Redirect(kind) => kind.symbol(),
        }
    }
}

/// Parses `line`.
pub fn parse(line: &str) -> Result<List, ParseError> {
    let tokens = tokenize(line)?;
    let mut tokens = tokens.into_iter().peekable();
    let mut list = List::default();
    while tokens.peek().is_some() {
        let pipeline = parse_pipeline(&mut tokens)?;
        let background = match tokens.next() {
            None | Some(Token::Op(Op::Semi)) => false,
            Some(Token::Op(Op::Amp)) => true,
            // A pipeline stops only at `;`, `&` or the end.
            Some(Token::Op(op)) => return Err(ParseError::Syntax(Some(op.symbol()))),
            Some(Token::Word(_)) => return Err(ParseError::Syntax(None)),
        };
        list.jobs.push(Job { pipeline, background });
    }
    Ok(list)
}

/// Reads one pipeline, leaving the `;`, `&` or end after it.
fn parse_pipeline(tokens: &mut Tokens) -> Result<Pipeline, ParseError> {
    let mut commands = Vec::new();
    loop {
        let mut command = Command::default();
        while let Some(token) = tokens.peek() {
            match token {
                Token::Word(_) => {
                    if let Some(Token::Word(word)) = tokens.next() {
                        command.args.push(word);
                    }
                }
                Token::Op(Op::Redirect(kind)) => {
                    let kind = *kind;
                    tokens.next();
                    match tokens.next() {
                        Some(Token::Word(path)) => command.redirects.push(Redirect { kind, path }),
                        Some(Token::Op(op)) => return Err(ParseError::Syntax(Some(op.symbol()))),
                        None => return Err(ParseError::Syntax(None)),
                    }
                }
                Token::Op(_) => break,
            }
        }
        if command.args.is_empty() && command.redirects.is_empty() {
            return Err(ParseError::Syntax(match tokens.peek() {
                Some(Token::Op(op)) => Some(op.symbol()),
                _ => None,
            }));
        }
        commands.push(command);
        if tokens.peek() == Some(&Token::Op(Op::Pipe)) {
            tokens.next();
        } else {
            return Ok(Pipeline { commands });
        }
    }
}

/// Splits `line` into words and operators, removing quotes.
fn tokenize(line: &str) -> Result<Vec<Token>, ParseError> {
    let mut tokens = Vec::new();
    let mut chars = line.chars().peekable();
    // The word being built; `None` between words (so that `''` still makes a word).
    let mut word: Option<Word> = None;
    while let Some(c) = chars.next() {
        let op = match c {
            ' ' | '\t' | '\n' | '\r' => {
                tokens.extend(word.take().map(Token::Word));
                continue;
            }
            '#' if word.is_none() => break,
            '|' => Op::Pipe,
            ';' => Op::Semi,
            '&' => Op::Amp,
            '<' => Op::Redirect(RedirectKind::Input),
            '>' if chars.peek() == Some(&'>') => {
                chars.next();
                Op::Redirect(RedirectKind::Append)
            }
            '>' => Op::Redirect(RedirectKind::Output),
            '\'' => {
                let text = word.get_or_insert_with(Word::default);
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(c) => text.push(c),
                        None => return Err(ParseError::UnterminatedQuote('\'')),
                    }
                }
                continue;
            }
            '"' => {
                let text = word.get_or_insert_with(Word::default);
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => match chars.peek() {
                            Some(&next @ ('"' | '\\' | '$')) => {
                                chars.next();
                                text.push(next);
                            }
                            _ => text.push('\\'),
                        },
                        Some('$') if chars.peek() == Some(&'?') => {
                            chars.next();
                            text.push_status();
                        }
                        Some(c) => text.push(c),
                        None => return Err(ParseError::UnterminatedQuote('"')),
                    }
                }
                continue;
            }
            '\\' => {
                word.get_or_insert_with(Word::default).push(chars.next().unwrap_or('\\'));
                continue;
            }
            '$' if chars.peek() == Some(&'?') => {
                chars.next();
                word.get_or_insert_with(Word::default).push_status();
                continue;
            }
            c => {
                word.get_or_insert_with(Word::default).push(c);
                continue;
            }
        };
        tokens.extend(word.take().map(Token::Word));
        tokens.push(Token::Op(op));
    }
    tokens.extend(word.take().map(Token::Word));
    Ok(tokens)
}

#[cfg(test)]
mod tests {
    use alloc::string::String;
    use alloc::vec;
    use alloc::vec::Vec;

    use super::{parse, Command, Job, List, ParseError, Pipeline, Redirect, RedirectKind, Word};

    /// The words of each command of each pipeline, with 42 for `$?`.
    fn words(list: &List) -> Vec<Vec<Vec<String>>> {
        list.jobs
            .iter()
            .map(|job| job.pipeline.commands.iter().map(|c| c.expand_args(42)).collect())
            .collect()
    }

    fn command(args: &[&str]) -> Command {
        Command { args: args.iter().map(|a| Word::from(*a)).collect(), redirects: Vec::new() }
    }

    #[test]
    fn blank_lines_and_comments_are_empty_lists() {
        for line in ["", "   ", "\t\n", "# a comment", "  # echo no"] {
            assert_eq!(parse(line), Ok(List::default()), "{line:?}");
        }
    }

    #[test]
    fn words_split_on_blanks() {
        let list = parse("  echo  hello\tworld ").unwrap();
        assert_eq!(words(&list), vec![vec![vec!["echo", "hello", "world"]]]);
        assert!(!list.jobs[0].background);
    }

    #[test]
    fn quotes_and_escapes_join_into_one_word() {
        let list = parse(r#"echo 'a b' "c d" e\ f a'b'"c"d '' "" \'x "\"\\\$\n" a#b"#).unwrap();
        assert_eq!(
            words(&list),
            vec![vec![vec!["echo", "a b", "c d", "e f", "abcd", "", "", "'x", "\"\\$\\n", "a#b"]]]
        );
    }

    #[test]
    fn operators_need_no_blanks_around_them() {
        let list = parse("a|b;c&d<in>out>>log").unwrap();
        assert_eq!(words(&list), vec![vec![vec!["a"], vec!["b"]], vec![vec!["c"]], vec![vec!["d"]]]);
        assert_eq!(list.jobs.iter().map(|j| j.background).collect::<Vec<_>>(), vec![false, true, false]);
        let last = &list.jobs[2].pipeline.commands[0];
        assert_eq!(
            last.redirects,
            vec![
                Redirect { kind: RedirectKind::Input, path: "in".into() },
                Redirect { kind: RedirectKind::Output, path: "out".into() },
                Redirect { kind: RedirectKind::Append, path: "log".into() },
            ]
        );
    }

    #[test]
    fn quoted_operators_are_words() {
        let list = parse(r#"echo '|' ";" \& "<" '>>'"#).unwrap();
        assert_eq!(words(&list), vec![vec![vec!["echo", "|", ";", "&", "<", ">>"]]]);
    }

    #[test]
    fn a_pipeline_with_redirections() {
        let list = parse("cat < f | wc > out &").unwrap();
        let mut cat = command(&["cat"]);
        cat.redirects.push(Redirect { kind: RedirectKind::Input, path: "f".into() });
        let mut wc = command(&["wc"]);
        wc.redirects.push(Redirect { kind: RedirectKind::Output, path: "out".into() });
        assert_eq!(
            list,
            List { jobs: vec![Job { pipeline: Pipeline { commands: vec![cat, wc] }, background: true }] }
        );
    }

    #[test]
    fn a_command_of_redirections_only() {
        let list = parse("> f").unwrap();
        assert_eq!(list.jobs[0].pipeline.commands[0].args, Vec::<Word>::new());
        assert_eq!(list.jobs[0].pipeline.commands[0].redirects[0].path, Word::from("f"));
    }

    #[test]
    fn status_expands_outside_single_quotes() {
        let list = parse(r#"echo $? "$?" '$?' \$? $ $x a$?b"#).unwrap();
        assert_eq!(list.jobs[0].pipeline.commands[0].args[1].expand(-1), "-1");
        assert_eq!(words(&list), vec![vec![vec!["echo", "42", "42", "$?", "$?", "$", "$x", "a42b"]]]);
    }

    #[test]
    fn trailing_separators_are_allowed() {
        assert_eq!(parse("a;").unwrap().jobs.len(), 1);
        assert!(parse("a &").unwrap().jobs[0].background);
        assert_eq!(parse("a & b").unwrap().jobs.len(), 2);
    }

    #[test]
    fn a_backslash_at_the_end_stands_for_itself() {
        assert_eq!(words(&parse("echo a\\").unwrap()), vec![vec![vec!["echo", "a\\"]]]);
    }

    #[test]
    fn syntax_errors_name_the_token() {
        let cases: &[(&str, Option<&str>)] = &[
            ("|", Some("|")),
            ("a |", None),
            ("a | | b", Some("|")),
            ("; a", Some(";")),
            ("a ;; b", Some(";")),
            ("a & ; b", Some(";")),
            ("&", Some("&")),
            ("a >", None),
            ("a > | b", Some("|")),
            ("a < ;", Some(";")),
            ("a >> >", Some(">")),
            ("a | ;", Some(";")),
        ];
        for (line, token) in cases {
            assert_eq!(parse(line), Err(ParseError::Syntax(*token)), "{line:?}");
        }
    }

    #[test]
    fn unterminated_quotes_are_errors() {
        assert_eq!(parse("echo 'abc"), Err(ParseError::UnterminatedQuote('\'')));
        assert_eq!(parse("echo \"abc\\\""), Err(ParseError::UnterminatedQuote('"')));
    }

    #[test]
    fn errors_read_well() {
        use alloc::string::ToString;
        assert_eq!(ParseError::Syntax(Some("|")).to_string(), "syntax error near '|'");
        assert_eq!(ParseError::Syntax(None).to_string(), "syntax error near end of line");
        assert_eq!(ParseError::UnterminatedQuote('"').to_string(), "syntax error: unterminated \"");
    }

    /// A small deterministic generator (xorshift), so the random lines need no dependency.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
    }

    #[test]
    fn random_lines_never_panic() {
        const ALPHABET: &[char] =
            &['a', 'b', ' ', '\t', '|', ';', '&', '<', '>', '\'', '"', '\\', '$', '?', '#', 'é', '\0', '\n'];
        let mut rng = Rng(0x2545_f491_4f6c_dd1d);
        for _ in 0..20_000 {
            let len = (rng.next() % 24) as usize;
            let line: String =
                (0..len).map(|_| ALPHABET[(rng.next() % ALPHABET.len() as u64) as usize]).collect();
            if let Ok(list) = parse(&line) {
                for job in &list.jobs {
                    assert!(!job.pipeline.commands.is_empty(), "{line:?}");
                    for command in &job.pipeline.commands {
                        assert!(!command.args.is_empty() || !command.redirects.is_empty(), "{line:?}");
                    }
                }
            }
        }
    }
}
