//! Where a piece of source came from, for messages that point at `file:line:column`.

use std::fmt;
use std::sync::Arc;

/// A position in a source file: 1-based line and column, as editors show them.
///
/// The file name is shared (`Arc`) so that every node of a large playbook can carry its own
/// location cheaply.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Location {
    /// The file as the user named it (relative paths stay relative, so messages and golden
    /// files carry no machine-specific prefix).
    pub file: Arc<str>,
    /// 1-based line.
    pub line: u32,
    /// 1-based column.
    pub column: u32,
}

impl Location {
    /// A location for values that do not come from a file (command line, computed values).
    pub fn synthetic(origin: &str) -> Location {
        Location {
            file: Arc::from(origin),
            line: 0,
            column: 0,
        }
    }

    /// True when this location points into a real file.
    pub fn is_in_file(&self) -> bool {
        self.line > 0
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_in_file() {
            write!(f, "{}:{}:{}", self.file, self.line, self.column)
        } else {
            write!(f, "{}", self.file)
        }
    }
}

impl fmt::Debug for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "@{self}")
    }
}
