//! Locations within a line and errors tied to them, shared by every stage.

/// A byte range within one source line (half-open).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Span {
    /// First byte.
    pub start: usize,
    /// One past the last byte.
    pub end: usize,
}

impl Span {
    /// The span `start..end` (an inverted range becomes empty).
    pub fn new(start: usize, end: usize) -> Span {
        Span { start, end: end.max(start) }
    }

    /// The span from the start of `self` to the end of `other`.
    pub fn to(self, other: Span) -> Span {
        Span::new(self.start.min(other.start), self.end.max(other.end))
    }
}

/// An error located within one line; the layout stage adds the file and line.
#[derive(Clone, Debug)]
pub struct Error {
    /// The offending text.
    pub span: Span,
    /// What is wrong.
    pub message: String,
}

impl Error {
    /// An error at `span`.
    pub fn new(span: Span, message: String) -> Error {
        Error { span, message }
    }
}
