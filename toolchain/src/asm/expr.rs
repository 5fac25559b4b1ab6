//! Expressions: parsing from tokens and evaluation against a symbol environment.
//!
//! Grammar (C precedence, lowest first): `|`, `^`, `&`, `<< >>`, `+ -`, `* / %`, unary `- ~ +`,
//! primary: integer, symbol, `.` (the address of the current statement), `( expr )`,
//! `%hi(expr)`, `%lo(expr)`.
//!
//! Values are `i64`; every operation is checked, so an overflow, a division by zero or a shift by
//! 64 or more is an error at the operator, never a wrap. Range checks against the width of a
//! field happen where the value is used.
//!
//! `%hi(e)` is `(e + 0x800) >> 12` masked to 20 bits and `%lo(e)` is the low 12 bits of `e`
//! sign-extended, so `lui r, %hi(e)` followed by `addi r, r, %lo(e)` loads `e`.

use super::lexer::{Tok, Token};
use super::{Error, Span};

/// A parsed expression.
#[derive(Clone, Debug)]
pub struct Expr {
    /// What it computes.
    pub kind: ExprKind,
    /// Its text in the line.
    pub span: Span,
}

/// The shape of an expression.
#[derive(Clone, Debug)]
pub enum ExprKind {
    /// A literal.
    Int(i64),
    /// A symbol reference.
    Sym(String),
    /// `.`, the address of the statement.
    Here,
    /// `-e`.
    Neg(Box<Expr>),
    /// `~e`.
    Not(Box<Expr>),
    /// `a op b`.
    Binary(BinOp, Box<Expr>, Box<Expr>, Span),
    /// `%hi(e)`.
    Hi(Box<Expr>),
    /// `%lo(e)`.
    Lo(Box<Expr>),
}

/// A binary operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinOp {
    Mul,
    Div,
    Rem,
    Add,
    Sub,
    Shl,
    Shr,
    And,
    Xor,
    Or,
}

/// Why an expression has no value.
#[derive(Debug)]
pub enum EvalError {
    /// A symbol or `.` is not known yet (first pass only).
    NotYet,
    /// A real error.
    Error(Error),
}

impl From<Error> for EvalError {
    fn from(e: Error) -> Self {
        EvalError::Error(e)
    }
}

/// Where an expression finds the values of names.
pub trait Env {
    /// The value of symbol `name` (referenced at `span`).
    fn symbol(&self, name: &str, span: Span) -> Result<i64, EvalError>;
    /// The address of the current statement.
    fn here(&self, span: Span) -> Result<i64, EvalError>;
}

/// A cursor over the tokens of one operand list.
pub struct Cursor<'a> {
    tokens: &'a [Token],
    pos: usize,
    /// Operators parsed so far, bounded by [`MAX_OPERATORS`].
    operators: usize,
    /// Where the tokens end, for "expected ..." errors at the end of the statement.
    end: Span,
}

impl<'a> Cursor<'a> {
    /// A cursor at the start of `tokens`; `end` is the span reported for a missing token.
    pub fn new(tokens: &'a [Token], end: Span) -> Self {
        Cursor { tokens, pos: 0, operators: 0, end }
    }

    /// The next token, without consuming it.
    pub fn peek(&self) -> Option<&'a Token> {
        self.tokens.get(self.pos)
    }

    /// The token after the next one.
    pub fn peek2(&self, n: usize) -> Option<&'a Token> {
        self.tokens.get(self.pos + n)
    }

    /// Consumes and returns the next token.
    pub fn next(&mut self) -> Option<&'a Token> {
        let t = self.tokens.get(self.pos);
        if t.is_some() {
            self.pos += 1;
        }
        t
    }

    /// Whether the next token is `tok`.
    pub fn at(&self, tok: &Tok) -> bool {
        self.peek().is_some_and(|t| &t.tok == tok)
    }

    /// The span of the next token, or the end of the statement.
    pub fn here_span(&self) -> Span {
        self.peek().map_or(self.end, |t| t.span)
    }

    /// Consumes `tok` or reports what was expected.
    pub fn expect(&mut self, tok: &Tok, what: &str) -> Result<Span, Error> {
        match self.peek() {
            Some(t) if &t.tok == tok => {
                self.pos += 1;
                Ok(t.span)
            }
            Some(t) => Err(Error::new(t.span, format!("expected {what}, found {}", describe(&t.tok)))),
            None => Err(Error::new(self.end, format!("expected {what} before the end of the statement"))),
        }
    }
}

/// A short description of a token for error messages.
pub fn describe(tok: &Tok) -> String {
    match tok {
        Tok::Ident(s) => format!("`{s}`"),
        Tok::Int(v) => format!("`{v}`"),
        Tok::Str(_) => "a string".to_string(),
        Tok::Comma => "`,`".to_string(),
        Tok::Colon => "`:`".to_string(),
        Tok::Semi => "`;`".to_string(),
        Tok::LParen => "`(`".to_string(),
        Tok::RParen => "`)`".to_string(),
        Tok::Plus => "`+`".to_string(),
        Tok::Minus => "`-`".to_string(),
        Tok::Star => "`*`".to_string(),
        Tok::Slash => "`/`".to_string(),
        Tok::Percent => "`%`".to_string(),
        Tok::Shl => "`<<`".to_string(),
        Tok::Shr => "`>>`".to_string(),
        Tok::Amp => "`&`".to_string(),
        Tok::Pipe => "`|`".to_string(),
        Tok::Caret => "`^`".to_string(),
        Tok::Tilde => "`~`".to_string(),
        Tok::At => "`@`".to_string(),
    }
}

/// Deepest nesting of parentheses and unary operators accepted, so hostile input cannot overflow
/// the stack.
const MAX_DEPTH: usize = 64;

/// Most operators in one statement, so evaluating and dropping a tree stays shallow.
const MAX_OPERATORS: usize = 512;

fn binop(tok: &Tok, level: usize) -> Option<BinOp> {
    let op = match tok {
        Tok::Pipe => BinOp::Or,
        Tok::Caret => BinOp::Xor,
        Tok::Amp => BinOp::And,
        Tok::Shl => BinOp::Shl,
        Tok::Shr => BinOp::Shr,
        Tok::Plus => BinOp::Add,
        Tok::Minus => BinOp::Sub,
        Tok::Star => BinOp::Mul,
        Tok::Slash => BinOp::Div,
        Tok::Percent => BinOp::Rem,
        _ => return None,
    };
    (precedence(op) == level).then_some(op)
}

fn precedence(op: BinOp) -> usize {
    match op {
        BinOp::Or => 0,
        BinOp::Xor => 1,
        BinOp::And => 2,
        BinOp::Shl | BinOp::Shr => 3,
        BinOp::Add | BinOp::Sub => 4,
        BinOp::Mul | BinOp::Div | BinOp::Rem => 5,
    }
}

const UNARY_LEVEL: usize = 6;

/// Parses one expression at the cursor.
pub fn parse(cur: &mut Cursor<'_>) -> Result<Expr, Error> {
    parse_level(cur, 0, 0)
}

fn parse_level(cur: &mut Cursor<'_>, level: usize, depth: usize) -> Result<Expr, Error> {
    if level == UNARY_LEVEL {
        return parse_unary(cur, depth);
    }
    let mut lhs = parse_level(cur, level + 1, depth)?;
    while let Some(op) = cur.peek().and_then(|t| binop(&t.tok, level)) {
        let op_span = cur.next().map_or(cur.end, |t| t.span);
        cur.operators += 1;
        if cur.operators > MAX_OPERATORS {
            return Err(Error::new(op_span, format!("more than {MAX_OPERATORS} operators in one statement")));
        }
        let rhs = parse_level(cur, level + 1, depth)?;
        let span = lhs.span.to(rhs.span);
        lhs = Expr { kind: ExprKind::Binary(op, Box::new(lhs), Box::new(rhs), op_span), span };
    }
    Ok(lhs)
}

fn parse_unary(cur: &mut Cursor<'_>, depth: usize) -> Result<Expr, Error> {
    if depth > MAX_DEPTH {
        return Err(Error::new(cur.here_span(), format!("expression nested deeper than {MAX_DEPTH} levels")));
    }
    let Some(t) = cur.peek() else {
        return Err(Error::new(
            cur.end,
            "expected an expression before the end of the statement".to_string(),
        ));
    };
    match &t.tok {
        Tok::Minus | Tok::Tilde | Tok::Plus => {
            cur.next();
            let inner = parse_unary(cur, depth + 1)?;
            let span = t.span.to(inner.span);
            let kind = match t.tok {
                Tok::Minus => ExprKind::Neg(Box::new(inner)),
                Tok::Tilde => ExprKind::Not(Box::new(inner)),
                _ => inner.kind,
            };
            Ok(Expr { kind, span })
        }
        Tok::Int(v) => {
            cur.next();
            Ok(Expr { kind: ExprKind::Int(*v), span: t.span })
        }
        Tok::Ident(name) => {
            cur.next();
            let kind = if name == "." { ExprKind::Here } else { ExprKind::Sym(name.clone()) };
            Ok(Expr { kind, span: t.span })
        }
        Tok::LParen => {
            cur.next();
            let inner = parse_level(cur, 0, depth + 1)?;
            let close = cur.expect(&Tok::RParen, "`)`")?;
            Ok(Expr { kind: inner.kind, span: t.span.to(close) })
        }
        Tok::Percent => {
            cur.next();
            let Some(Token { tok: Tok::Ident(modifier), span: mspan }) = cur.next() else {
                return Err(Error::new(t.span, "expected `%hi(...)` or `%lo(...)`".to_string()));
            };
            let hi = match modifier.as_str() {
                "hi" => true,
                "lo" => false,
                _ => {
                    return Err(Error::new(
                        t.span.to(*mspan),
                        format!("unknown modifier `%{modifier}` (expected %hi or %lo)"),
                    ))
                }
            };
            cur.expect(&Tok::LParen, "`(` after the modifier")?;
            let inner = parse_level(cur, 0, depth + 1)?;
            let close = cur.expect(&Tok::RParen, "`)`")?;
            let inner = Box::new(inner);
            let kind = if hi { ExprKind::Hi(inner) } else { ExprKind::Lo(inner) };
            Ok(Expr { kind, span: t.span.to(close) })
        }
        other => Err(Error::new(t.span, format!("expected an expression, found {}", describe(other)))),
    }
}

/// The smallest and largest values that fit in 32 bits, signed or unsigned.
pub const WORD_RANGE: (i64, i64) = (i32::MIN as i64, u32::MAX as i64);

/// Checks that `e`'s value fits 32 bits (signed or unsigned).
fn word(value: i64, span: Span) -> Result<i64, Error> {
    if (WORD_RANGE.0..=WORD_RANGE.1).contains(&value) {
        Ok(value)
    } else {
        Err(Error::new(span, format!("value {value} does not fit in 32 bits")))
    }
}

/// Evaluates `e` in `env`.
pub fn eval(e: &Expr, env: &dyn Env) -> Result<i64, EvalError> {
    let overflow = |span| EvalError::Error(Error::new(span, "arithmetic overflow in expression".to_string()));
    match &e.kind {
        ExprKind::Int(v) => Ok(*v),
        ExprKind::Sym(name) => env.symbol(name, e.span),
        ExprKind::Here => env.here(e.span),
        ExprKind::Neg(a) => eval(a, env)?.checked_neg().ok_or_else(|| overflow(e.span)),
        ExprKind::Not(a) => Ok(!eval(a, env)?),
        ExprKind::Hi(a) => {
            let v = word(eval(a, env)?, a.span)?;
            Ok(((v + 0x800) >> 12) & 0xf_ffff)
        }
        ExprKind::Lo(a) => {
            let v = word(eval(a, env)?, a.span)?;
            Ok(((v & 0xfff) ^ 0x800) - 0x800)
        }
        ExprKind::Binary(op, a, b, op_span) => {
            let x = eval(a, env)?;
            let y = eval(b, env)?;
            let value = match op {
                BinOp::Mul => x.checked_mul(y),
                BinOp::Add => x.checked_add(y),
                BinOp::Sub => x.checked_sub(y),
                BinOp::Div | BinOp::Rem if y == 0 => {
                    return Err(Error::new(*op_span, "division by zero in expression".to_string()).into())
                }
                BinOp::Div => x.checked_div(y),
                BinOp::Rem => x.checked_rem(y),
                BinOp::Shl | BinOp::Shr if !(0..64).contains(&y) => {
                    return Err(Error::new(b.span, format!("shift amount {y} is not in 0..=63")).into())
                }
                BinOp::Shl => x.checked_mul(1i64 << y),
                BinOp::Shr => Some(x >> y),
                BinOp::And => Some(x & y),
                BinOp::Xor => Some(x ^ y),
                BinOp::Or => Some(x | y),
            };
            value.ok_or_else(|| overflow(*op_span))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{eval, parse, Cursor, Env, EvalError};
    use crate::asm::lexer::lex;
    use crate::asm::Span;

    struct Consts;
    impl Env for Consts {
        fn symbol(&self, name: &str, _span: Span) -> Result<i64, EvalError> {
            if name == "x" {
                Ok(0x12345fff)
            } else {
                Err(EvalError::NotYet)
            }
        }
        fn here(&self, _span: Span) -> Result<i64, EvalError> {
            Ok(0x100)
        }
    }

    fn value(text: &str) -> Option<i64> {
        let tokens = lex(text).ok()?;
        let mut cur = Cursor::new(&tokens, Span::new(text.len(), text.len()));
        let e = parse(&mut cur).ok()?;
        eval(&e, &Consts).ok()
    }

    #[test]
    fn precedence_and_operators() {
        assert_eq!(value("1 + 2 * 3"), Some(7));
        assert_eq!(value("(1 + 2) * 3"), Some(9));
        assert_eq!(value("1 << 4 | 1"), Some(17));
        assert_eq!(value("-7 / 2"), Some(-3));
        assert_eq!(value("-7 % 2"), Some(-1));
        assert_eq!(value("~0 & 0xff ^ 0x0f"), Some(0xf0));
        assert_eq!(value(". + 8"), Some(0x108));
        assert_eq!(value("1 / 0"), None);
        assert_eq!(value("1 << 64"), None);
        assert_eq!(value("0x7fffffffffffffff + 1"), None);
    }

    #[test]
    fn hi_lo_rebuild_the_value() {
        let hi = value("%hi(x)").unwrap_or_default();
        let lo = value("%lo(x)").unwrap_or_default();
        assert_eq!((hi << 12) + lo, 0x12345fff);
        assert_eq!(lo, -1);
    }
}
