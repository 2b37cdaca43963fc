//! What went wrong with the input, located precisely enough for the user to go and look.

use std::fmt;

/// Where in a file a problem sits.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Where {
    /// The file as a whole (unreadable, empty, not CloudTrail...).
    File,
    /// The n-th record (0-based) of a `Records` batch or array.
    Record(usize),
    /// A line of a JSON-lines file (1-based).
    Line(usize),
    /// A byte offset into the decoded (decompressed) text.
    Byte(u64),
    /// A line and column of the decoded text, as the JSON parser reports it (1-based).
    LineColumn(usize, usize),
}

/// One problem with the input: the file, where in it, and what.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Problem {
    pub file: String,
    pub at: Where,
    pub message: String,
}

impl Problem {
    pub fn new(file: impl Into<String>, at: Where, message: impl Into<String>) -> Self {
        Problem {
            file: file.into(),
            at,
            message: message.into(),
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        match self.at {
            Where::File => {}
            Where::Record(i) => write!(f, ": record {i}")?,
            Where::Line(l) => write!(f, ": line {l}")?,
            Where::Byte(b) => write!(f, ": byte {b}")?,
            Where::LineColumn(l, c) => write!(f, ": line {l} column {c}")?,
        }
        write!(f, ": {}", self.message)
    }
}
