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
        /// The nested template error this one wraps (`include`).
        source: Option<Box<ExecError>>,
        /// True when the message wraps a plain (non-template) error, which
        /// makes Helm print the raw Go message instead of a call chain.
        wraps_plain: bool,
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
    /// Helm's `reformatExecErrorMsg` rendering for errors that are not
    /// `required`/`fail`: one `location / executing ... / message` block
    /// per template in the call chain, or Go's raw message when the chain
    /// ends in a plain error.
    pub fn helm_trace(&self) -> String {
        let mut blocks: Vec<String> = Vec::new();
        let mut cur = Some(self);
        while let Some(e) = cur {
            match e {
                ExecError::At {
                    location,
                    template,
                    context,
                    message,
                    source,
                    wraps_plain,
                } => {
                    if *wraps_plain {
                        return self.to_string();
                    }
                    let msg = match message.find(" template:") {
                        Some(cut) => &message[..cut],
                        None => message.as_str(),
                    };
                    blocks.push(format!(
                        "{location}\n  executing \"{template}\" at <{context}>:\n    {msg}\n"
                    ));
                    cur = source.as_deref();
                }
                ExecError::Plain { template, message } => {
                    blocks.push(format!("{template}\n  {message}\n"));
                    cur = None;
                }
                ExecError::NoTemplate { .. } => {
                    blocks.push(format!("{e}\n"));
                    cur = None;
                }
            }
        }
        blocks.concat().trim().to_string()
    }

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
