//! Secret-holding types.
//!
//! Plaintext recovered from a vault must never end up in a log line, an error
//! message or a `{:?}` dump by accident. [`SecretString`] and [`SecretBytes`]
//! therefore print as `********` in both `Debug` and `Display`, wipe their
//! memory on drop, and only hand out the plaintext through an explicit
//! [`SecretString::expose`] call that is easy to grep for in review.

use std::fmt;

use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

/// What every secret prints as.
pub const MASK: &str = "********";

/// A UTF-8 secret (a password, a decrypted variable, a whole decrypted vars
/// file). Zeroised on drop; `Debug`/`Display` print [`MASK`].
#[derive(Clone, Default, PartialEq, Eq, Zeroize, ZeroizeOnDrop)]
pub struct SecretString(String);

/// Alias kept for readers who look for the generic name.
pub type Secret = SecretString;

impl SecretString {
    /// Wraps an owned string. The caller's buffer is moved, not copied.
    pub fn new(value: String) -> Self {
        Self(value)
    }

    /// Returns the plaintext. Every call site is a place where the secret
    /// leaves its wrapper: keep them few and obvious.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Length in bytes of the plaintext.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether the plaintext is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Converts validated UTF-8 bytes; on failure the bytes are wiped and
    /// `None` is returned (the caller builds an error that does not echo them).
    pub fn from_utf8(bytes: SecretBytes) -> Option<Self> {
        let mut bytes = bytes;
        let owned = std::mem::take(&mut bytes.0);
        match String::from_utf8(owned) {
            Ok(s) => Some(Self(s)),
            Err(e) => {
                let mut raw = e.into_bytes();
                raw.zeroize();
                None
            }
        }
    }

    /// Converts into the `secrecy` type the `age` crate expects.
    pub(crate) fn to_age(&self) -> age::secrecy::SecretString {
        age::secrecy::SecretString::from(self.0.clone())
    }
}

impl From<String> for SecretString {
    fn from(value: String) -> Self {
        Self(value)
    }
}

impl From<&str> for SecretString {
    fn from(value: &str) -> Self {
        Self(value.to_owned())
    }
}

impl fmt::Debug for SecretString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(MASK)
    }
}

impl fmt::Display for SecretString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(MASK)
    }
}

/// Secret bytes (a decrypted payload before UTF-8 validation, key material).
#[derive(Clone, Default, PartialEq, Eq, Zeroize, ZeroizeOnDrop)]
pub struct SecretBytes(Vec<u8>);

impl SecretBytes {
    /// Wraps an owned buffer.
    pub fn new(value: Vec<u8>) -> Self {
        Self(value)
    }

    /// Returns the plaintext bytes.
    pub fn expose(&self) -> &[u8] {
        &self.0
    }

    /// Length in bytes.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether the buffer is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl From<Vec<u8>> for SecretBytes {
    fn from(value: Vec<u8>) -> Self {
        Self(value)
    }
}

impl From<Zeroizing<Vec<u8>>> for SecretBytes {
    fn from(mut value: Zeroizing<Vec<u8>>) -> Self {
        Self(std::mem::take(&mut *value))
    }
}

impl fmt::Debug for SecretBytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(MASK)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_and_display_are_masked() {
        let s = SecretString::from("canary-8f3a1c");
        assert_eq!(format!("{s:?}"), MASK);
        assert_eq!(format!("{s}"), MASK);
        assert_eq!(format!("{:?}", Some(&s)), format!("Some({MASK})"));
        assert_eq!(s.expose(), "canary-8f3a1c");
        let b = SecretBytes::new(b"canary".to_vec());
        assert_eq!(format!("{b:?}"), MASK);
    }

    #[test]
    fn from_utf8_rejects_invalid_bytes() {
        assert!(SecretString::from_utf8(SecretBytes::new(vec![0xff, 0xfe])).is_none());
        let ok = SecretString::from_utf8(SecretBytes::new(b"abc".to_vec()));
        assert_eq!(ok.map(|s| s.expose().to_owned()).as_deref(), Some("abc"));
    }
}
