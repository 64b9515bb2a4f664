//! One error type for the three lookups.
//!
//! Why a closed set of variants with plain-text fields: every message is built by this crate from
//! the lookup's name, a *redacted* target (URL without userinfo/query, or the secret's name) and a
//! description of what was expected. Secret values, passwords, tokens and header values are never
//! handed to a variant, so neither `Display` nor the derived `Debug` can leak them.

/// An error from `url`, `aws_secret` or `scaleway_secret`.
#[derive(Debug, thiserror::Error)]
pub enum LookupError {
    /// A keyword argument the lookup does not know.
    #[error("lookup('{lookup}'): unknown option '{key}'{suggestion}; expected one of: {expected}")]
    UnknownOption {
        lookup: &'static str,
        key: String,
        /// `"" ` or `" (did you mean 'x'?)"`.
        suggestion: String,
        expected: String,
    },
    /// A keyword argument with a value of the wrong type or shape. `expected` never quotes the
    /// value itself (it may be a password), only its type.
    #[error("lookup('{lookup}'): option '{key}' {expected}")]
    BadOption {
        lookup: &'static str,
        key: String,
        expected: String,
    },
    /// The term (URL, secret name or id) is unusable.
    #[error("lookup('{lookup}'): {problem}")]
    BadTerm {
        lookup: &'static str,
        problem: String,
    },
    /// No credentials in the keyword arguments nor in the environment.
    #[error("lookup('{lookup}', '{target}'): {problem}")]
    Credentials {
        lookup: &'static str,
        target: String,
        problem: String,
    },
    /// The request could not be sent or its response not read (DNS, connect, TLS, timeout).
    #[error("lookup('{lookup}', '{target}'): request to {url} failed: {reason}")]
    Transport {
        lookup: &'static str,
        target: String,
        url: String,
        reason: String,
    },
    /// The server answered with a non-2xx status.
    #[error(
        "lookup('{lookup}', '{target}'): {url} answered HTTP {status}{detail}; expected a 2xx status"
    )]
    Status {
        lookup: &'static str,
        target: String,
        url: String,
        status: u16,
        /// `""` or `" (Code: message)"` from the service's error body, credentials scrubbed.
        detail: String,
    },
    /// A 2xx response whose body is not what the API documents.
    #[error("lookup('{lookup}', '{target}'): {problem}")]
    BadResponse {
        lookup: &'static str,
        target: String,
        problem: String,
    },
}
