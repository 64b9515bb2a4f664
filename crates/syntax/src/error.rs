//! Errors of the loading stage. Every variant carries the location it is about.

use crate::location::Location;

/// A problem found while reading YAML or building the playbook AST.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SyntaxError {
    /// The file could not be read.
    #[error("{path}: cannot read file: {source}")]
    Read {
        /// The path as given.
        path: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The text is not valid YAML.
    #[error("{location}: YAML syntax error: {message}")]
    Yaml {
        /// Where the parser stopped.
        location: Location,
        /// The parser's explanation.
        message: String,
    },
    /// The YAML is valid but its shape is not what a playbook, task or vars file needs.
    #[error("{location}: {message}")]
    Invalid {
        /// The offending node.
        location: Location,
        /// What was expected.
        message: String,
    },
}

impl SyntaxError {
    /// Builds an [`SyntaxError::Invalid`] at `location`.
    pub fn invalid(location: &Location, message: impl Into<String>) -> SyntaxError {
        SyntaxError::Invalid {
            location: location.clone(),
            message: message.into(),
        }
    }

    /// The location this error points at, when it has one.
    pub fn location(&self) -> Option<&Location> {
        match self {
            SyntaxError::Read { .. } => None,
            SyntaxError::Yaml { location, .. } | SyntaxError::Invalid { location, .. } => {
                Some(location)
            }
        }
    }
}
