//! Engine errors and the exit codes they map to, following `ansible-playbook`.

use stackbook_syntax::{Location, SyntaxError};

/// Process exit codes, as `ansible-playbook` uses them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitCode {
    /// Everything ran.
    Ok = 0,
    /// An unexpected error (I/O, internal).
    Error = 1,
    /// One or more hosts failed.
    HostFailed = 2,
    /// One or more hosts were unreachable — and, as in Ansible, parse errors of the playbook.
    UnreachableOrParse = 4,
    /// Bad command-line usage.
    Usage = 5,
}

/// An error that stops the run (as opposed to a task failure, which is a result).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EngineError {
    /// The playbook or a file it loads is malformed.
    #[error(transparent)]
    Syntax(#[from] SyntaxError),
    /// The playbook is well-formed YAML but invalid (bad module arguments, bad loop, …).
    #[error("{location}: {message}")]
    Invalid {
        /// Where.
        location: Location,
        /// What was expected.
        message: String,
    },
    /// A file the playbook refers to (import, vars file) is missing or unreadable.
    #[error("{location}: {message}")]
    Missing {
        /// Where it is referenced.
        location: Location,
        /// What was looked for.
        message: String,
    },
    /// The run cannot go on at this point of the playbook (a role that depends on itself).
    #[error("{location}: {message}")]
    Aborted {
        /// Where.
        location: Location,
        /// Why.
        message: String,
    },
    /// Command-line usage error.
    #[error("{0}")]
    Usage(String),
    /// Anything else that aborts the run.
    #[error("{0}")]
    Fatal(String),
}

impl EngineError {
    /// Builds an [`EngineError::Invalid`].
    pub fn invalid(location: &Location, message: impl Into<String>) -> EngineError {
        EngineError::Invalid {
            location: location.clone(),
            message: message.into(),
        }
    }

    /// Builds an [`EngineError::Missing`].
    pub fn missing(location: &Location, message: impl Into<String>) -> EngineError {
        EngineError::Missing {
            location: location.clone(),
            message: message.into(),
        }
    }

    /// The exit code this error maps to.
    pub fn exit_code(&self) -> ExitCode {
        match self {
            EngineError::Syntax(SyntaxError::Read { .. }) => ExitCode::Error,
            EngineError::Syntax(_) | EngineError::Invalid { .. } => ExitCode::UnreachableOrParse,
            EngineError::Usage(_) => ExitCode::Usage,
            EngineError::Fatal(_) | EngineError::Missing { .. } | EngineError::Aborted { .. } => {
                ExitCode::Error
            }
        }
    }

    /// The source location, when the error has one.
    pub fn location(&self) -> Option<&Location> {
        match self {
            EngineError::Syntax(error) => error.location(),
            EngineError::Invalid { location, .. }
            | EngineError::Missing { location, .. }
            | EngineError::Aborted { location, .. } => Some(location),

            _ => None,
        }
    }
}
