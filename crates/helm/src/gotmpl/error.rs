//! Template errors, formatted like Go's `text/template` so messages users
//! already know from Helm keep their shape:
//! `template: NAME:LINE: msg` (parse) and
//! `template: FILE:LINE:COL: executing "NAME" at <CTX>: msg` (execution).

use thiserror::Error;

/// A syntax error found while parsing a template.
#[derive(Debug, Clone, Error, PartialEq)]
#[error("template: {name}:{line}: {message}")]
pub struct ParseError {
    /// Template (file) name.
    pub name: String,
    /// 1-based line.
    pub line: usize,
    /// What went wrong.
    pub message: String,
}

impl ParseError {
    /// Builds a parse error.
    pub fn new(name: &str, line: usize, message: impl Into<String>) -> ParseError {
        ParseError {
            name: name.to_string(),
            line,
            message: message.into(),
        }
    }
}

/// An error raised while executing a template.
#[derive(Debug, Clone, Error, PartialEq)]
pub enum ExecError {
    /// An error at a node: `template: LOC: executing "NAME" at <CTX>: MSG`.
    #[error("template: {location}: executing \"{template}\" at <{context}>: {message}")]
    At {
        /// `file:line:col`.
        location: String,
        /// Name of the executing template.
        template: String,
        /// Source of the failing node.
        context: String,
        /// The message (may itself hold a nested template error).
        message: String,
    },
    /// An error without a node (`template: NAME: msg`).
    #[error("template: {template}: {message}")]
    Plain {
        /// Template name.
        template: String,
        /// The message.
        message: String,
    },
    /// `no template "x" associated with template "y"`.
    #[error("template: no template {name:?} associated with template {parent:?}")]
    NoTemplate {
        /// Requested name.
        name: String,
        /// The set's root name.
        parent: String,
    },
}

impl ExecError {
    /// The innermost message (after all `executing ... at <...>:` prefixes).
    pub fn message(&self) -> &str {
        match self {
            ExecError::At { message, .. } | ExecError::Plain { message, .. } => message,
            ExecError::NoTemplate { .. } => "no template",
        }
    }
}

/// Any template error.
#[derive(Debug, Clone, Error, PartialEq)]
pub enum TemplateError {
    /// Syntax error.
    #[error(transparent)]
    Parse(#[from] ParseError),
    /// Runtime error.
    #[error(transparent)]
    Exec(#[from] ExecError),
}
