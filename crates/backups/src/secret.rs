//! A passphrase or key that must never end up in logs.
//!
//! Repository passphrases (`repo1-cipher-pass`) and the per-file passphrases pgBackRest stores
//! inside `backup.info`/`archive.info` decrypt every backup in a bucket. They are carried in this
//! wrapper so that `Debug`, `Display` and serde output are always redacted, and the bytes are
//! zeroed when dropped.

use std::fmt;

use zeroize::Zeroizing;

/// Secret text (a passphrase, an S3 secret key, a session token).
///
/// `Debug`/`Display` print `<redacted>`; the value is only reachable through [`Secret::expose`].
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(Zeroizing<String>);

impl Secret {
    /// Wrap a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        Self(Zeroizing::new(value.into()))
    }

    /// The secret value. Call sites should hand it straight to the consumer (cipher, SDK).
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Self::new(value)
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Self {
        Self::new(value)
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_and_display_are_redacted() {
        let s = Secret::new("hunter2-passphrase");
        assert_eq!(format!("{s:?}"), "Secret(<redacted>)");
        assert_eq!(s.to_string(), "<redacted>");
        assert!(!format!("{s:?}{s}").contains("hunter2"));
        assert_eq!(s.expose(), "hunter2-passphrase");
    }
}
