//! Who an age vault is encrypted to.
//!
//! Accepts the recipient kinds stackbook supports: native X25519 (`age1…`),
//! SSH ed25519/RSA public keys (as found in `authorized_keys` and `*.pub`),
//! and a passphrase (scrypt). Recipients files follow the `age -R` format:
//! one recipient per line, `#` comments and blank lines ignored.

use std::fmt;
use std::path::Path;
use std::str::FromStr;

use super::AgeVaultError;
use crate::secret::SecretString;

/// One encryption recipient.
#[derive(Clone)]
pub enum Recipient {
    /// A native age X25519 public key, `age1…`.
    X25519(age::x25519::Recipient),
    /// An SSH `ssh-ed25519` or `ssh-rsa` public key.
    Ssh(age::ssh::Recipient),
    /// A passphrase (scrypt). Must be the only recipient of a file.
    Passphrase(SecretString),
}

impl Recipient {
    /// Parses an `age1…` or `ssh-…` public key string.
    pub fn parse(s: &str) -> Result<Self, AgeVaultError> {
        s.parse()
    }

    pub(crate) fn to_age(&self) -> Box<dyn age::Recipient + Send> {
        match self {
            Self::X25519(r) => Box::new(r.clone()),
            Self::Ssh(r) => Box::new(r.clone()),
            Self::Passphrase(p) => Box::new(age::scrypt::Recipient::new(p.to_age())),
        }
    }
}

impl FromStr for Recipient {
    type Err = AgeVaultError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        if s.starts_with("age1") {
            return age::x25519::Recipient::from_str(s)
                .map(Self::X25519)
                .map_err(|e| invalid(s, e));
        }
        if s.starts_with("ssh-") {
            return age::ssh::Recipient::from_str(s)
                .map(Self::Ssh)
                .map_err(|e| invalid(s, format!("{e:?}")));
        }
        if s.starts_with("AGE-SECRET-KEY-") {
            return Err(AgeVaultError::InvalidRecipient {
                value: "AGE-SECRET-KEY-…".to_owned(),
                detail: "this is a private identity, not a public recipient".to_owned(),
            });
        }
        Err(invalid(
            s,
            "expected an `age1…` X25519 key or an `ssh-ed25519`/`ssh-rsa` public key",
        ))
    }
}

fn invalid(s: &str, detail: impl fmt::Display) -> AgeVaultError {
    AgeVaultError::InvalidRecipient {
        value: s.chars().take(40).collect(),
        detail: detail.to_string(),
    }
}

impl fmt::Display for Recipient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::X25519(r) => write!(f, "{r}"),
            Self::Ssh(r) => write!(f, "{r}"),
            Self::Passphrase(_) => f.write_str("passphrase"),
        }
    }
}

impl fmt::Debug for Recipient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Recipient({self})")
    }
}

/// Parses a recipients file (`age -R` format).
pub fn parse_recipients_file(path: &Path) -> Result<Vec<Recipient>, AgeVaultError> {
    let text = std::fs::read_to_string(path).map_err(|e| AgeVaultError::RecipientsFile {
        path: path.to_path_buf(),
        line: 0,
        detail: e.to_string(),
    })?;
    parse_recipients(&text).map_err(|(line, e)| AgeVaultError::RecipientsFile {
        path: path.to_path_buf(),
        line,
        detail: e.to_string(),
    })
}

/// Parses recipients text; on error returns the 1-based line number.
pub fn parse_recipients(text: &str) -> Result<Vec<Recipient>, (usize, AgeVaultError)> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        out.push(line.parse().map_err(|e| (i + 1, e))?);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_kinds_and_rejects_garbage() {
        let id = age::x25519::Identity::generate();
        let pk = id.to_public().to_string();
        assert!(matches!(Recipient::parse(&pk), Ok(Recipient::X25519(_))));
        assert!(Recipient::parse("age1notakey").is_err());
        assert!(Recipient::parse("hello").is_err());
        let err = Recipient::parse(concat!("AGE-SECRET-", "KEY-1ABC"))
            .unwrap_err()
            .to_string();
        assert!(!err.contains("1ABC"), "{err}");
        let text = format!("# team\n\n{pk}\n  {pk}  \n");
        assert_eq!(parse_recipients(&text).unwrap().len(), 2);
        let bad = format!("{pk}\nnope\n");
        assert_eq!(parse_recipients(&bad).unwrap_err().0, 2);
    }
}
