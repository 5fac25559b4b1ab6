//! Stage 2: tokens of one line → statements.
//!
//! A line holds statements separated by `;`. A statement is any number of `name:` labels followed
//! by at most one directive (a name starting with `.`) or instruction, whose operands are
//! separated by commas. An operand is an expression, a memory reference `expr(reg)` or `(reg)`, a
//! string, or a section type `@nobits` / `@progbits`. Registers are not told apart from symbols
//! here: the instruction matcher decides which operands must be registers.

use super::expr::{self, describe, Cursor, Expr};
use super::lexer::{Tok, Token};
use super::{Error, Span};

/// One statement of a line.
#[derive(Clone, Debug)]
pub struct Statement {
    /// Labels defined at the statement, with their spans.
    pub labels: Vec<(String, Span)>,
    /// The directive or instruction, if any.
    pub body: Option<Body>,
}

/// A directive or an instruction with its operands.
#[derive(Clone, Debug)]
pub struct Body {
    /// The directive (with its dot) or mnemonic, as written.
    pub name: String,
    /// Where the name is.
    pub span: Span,
    /// The operands, in order.
    pub operands: Vec<Operand>,
    /// Where the statement ends (for errors about missing operands).
    pub end: Span,
}

impl Body {
    /// Whether this is a directive.
    pub fn is_directive(&self) -> bool {
        self.name.starts_with('.')
    }
}

/// One operand.
#[derive(Clone, Debug)]
pub struct Operand {
    /// What it is.
    pub kind: OperandKind,
    /// Its text in the line.
    pub span: Span,
}

/// The shapes of operands.
#[derive(Clone, Debug)]
pub enum OperandKind {
    /// An expression (also a register or fence set, which look like symbols).
    Expr(Expr),
    /// `offset(base)` or `(base)`.
    Mem {
        /// The offset expression, if written.
        offset: Option<Expr>,
        /// The base register name.
        base: String,
        /// Where the base register name is.
        base_span: Span,
    },
    /// A string literal.
    Str(Vec<u8>),
    /// `@name`.
    Type(String),
}

/// The statements of a line and the errors found in it; a statement with an error keeps its
/// labels and loses its body.
pub fn parse_line(tokens: &[Token], line_len: usize) -> (Vec<Statement>, Vec<Error>) {
    let mut statements = Vec::new();
    let mut errors = Vec::new();
    for part in tokens.split(|t| t.tok == Tok::Semi) {
        let end = part.last().map_or(Span::new(line_len, line_len), |t| Span::new(t.span.end, t.span.end));
        let mut labels = Vec::new();
        let mut rest = part;
        while let [Token { tok: Tok::Ident(name), span }, Token { tok: Tok::Colon, .. }, tail @ ..] = rest {
            if name == "." {
                errors.push(Error::new(*span, "`.` cannot be a label".to_string()));
            } else {
                labels.push((name.clone(), *span));
            }
            rest = tail;
        }
        let body = match rest {
            [] => None,
            [Token { tok: Tok::Ident(name), span }, operands @ ..] => match parse_operands(operands, end) {
                Ok(operands) => Some(Body { name: name.clone(), span: *span, operands, end }),
                Err(e) => {
                    errors.push(e);
                    None
                }
            },
            [first, ..] => {
                errors.push(Error::new(
                    first.span,
                    format!("expected a label, directive or instruction, found {}", describe(&first.tok)),
                ));
                None
            }
        };
        statements.push(Statement { labels, body });
    }
    (statements, errors)
}

fn parse_operands(tokens: &[Token], end: Span) -> Result<Vec<Operand>, Error> {
    let mut cur = Cursor::new(tokens, end);
    let mut operands = Vec::new();
    if cur.peek().is_none() {
        return Ok(operands);
    }
    loop {
        operands.push(parse_operand(&mut cur)?);
        match cur.next() {
            None => return Ok(operands),
            Some(Token { tok: Tok::Comma, .. }) => {}
            Some(t) => {
                return Err(Error::new(
                    t.span,
                    format!("expected `,` between operands, found {}", describe(&t.tok)),
                ))
            }
        }
    }
}

/// Whether the cursor is at `( name )` followed by the end of the operand.
fn at_bare_base(cur: &Cursor<'_>) -> bool {
    matches!(
        (cur.peek().map(|t| &t.tok), cur.peek2(1).map(|t| &t.tok), cur.peek2(2).map(|t| &t.tok)),
        (Some(Tok::LParen), Some(Tok::Ident(_)), Some(Tok::RParen))
    ) && matches!(cur.peek2(3).map(|t| &t.tok), None | Some(Tok::Comma))
}

fn parse_base(cur: &mut Cursor<'_>, open: Span) -> Result<(String, Span, Span), Error> {
    cur.expect(&Tok::LParen, "`(`")?;
    let (name, span) = match cur.next() {
        Some(Token { tok: Tok::Ident(name), span }) => (name.clone(), *span),
        Some(t) => {
            return Err(Error::new(t.span, format!("expected a base register, found {}", describe(&t.tok))))
        }
        None => return Err(Error::new(open, "expected a base register after `(`".to_string())),
    };
    let close = cur.expect(&Tok::RParen, "`)` after the base register")?;
    Ok((name, span, close))
}

fn parse_operand(cur: &mut Cursor<'_>) -> Result<Operand, Error> {
    let start = cur.here_span();
    match cur.peek().map(|t| &t.tok) {
        Some(Tok::Str(bytes)) => {
            cur.next();
            return Ok(Operand { kind: OperandKind::Str(bytes.clone()), span: start });
        }
        Some(Tok::At) => {
            cur.next();
            return match cur.next() {
                Some(Token { tok: Tok::Ident(name), span }) => {
                    Ok(Operand { kind: OperandKind::Type(name.clone()), span: start.to(*span) })
                }
                _ => Err(Error::new(
                    start,
                    "expected a section type after `@` (@progbits or @nobits)".to_string(),
                )),
            };
        }
        _ => {}
    }
    if at_bare_base(cur) {
        let (base, base_span, close) = parse_base(cur, start)?;
        return Ok(Operand {
            kind: OperandKind::Mem { offset: None, base, base_span },
            span: start.to(close),
        });
    }
    let e = expr::parse(cur)?;
    if cur.at(&Tok::LParen) {
        let (base, base_span, close) = parse_base(cur, start)?;
        let span = e.span.to(close);
        return Ok(Operand { kind: OperandKind::Mem { offset: Some(e), base, base_span }, span });
    }
    Ok(Operand { span: e.span, kind: OperandKind::Expr(e) })
}
