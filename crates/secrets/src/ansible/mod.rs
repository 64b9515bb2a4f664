//! Ansible Vault compatibility (read for migration, write for tests and
//! round-trips).
//!
//! stackbook's own vault format is age; Ansible Vault support exists so that
//! existing `$ANSIBLE_VAULT` files and inline `!vault |` values keep working
//! and can be migrated. Only the `AES256` cipher of formats 1.1 and 1.2
//! exists in the wild, and that is all that is implemented, with RustCrypto
//! primitives (no OpenSSL).

mod cipher;
mod envelope;
mod keyring;

use std::path::PathBuf;

pub use crate::prompt::PasswordPrompt;
pub use cipher::PBKDF2_ROUNDS;
pub use envelope::{Envelope, HEADER, is_ansible_vault, parse as parse_envelope};
pub use keyring::{
    AnsibleDecrypted, PasswordSource, VaultIdSpec, VaultKeyring, read_password_source,
};

use crate::secret::{SecretBytes, SecretString};

/// Label Ansible uses for secrets given without one.
pub const DEFAULT_VAULT_ID: &str = "default";

/// Errors of the Ansible Vault subsystem. None of them carries plaintext or
/// password material.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AnsibleVaultError {
    /// The envelope or payload is malformed (truncated, not hex, ...).
    #[error("malformed Ansible Vault data: {0}")]
    Format(String),
    /// Header version other than 1.1/1.2.
    #[error("unsupported Ansible Vault format version {0:?} (expected 1.1 or 1.2)")]
    UnsupportedVersion(String),
    /// Header cipher other than AES256.
    #[error("unsupported Ansible Vault cipher {0:?} (expected AES256)")]
    UnsupportedCipher(String),
    /// The HMAC did not verify: wrong password or tampered ciphertext.
    #[error("HMAC verification failed: wrong vault password or tampered ciphertext")]
    HmacMismatch,
    /// No password was configured at all.
    #[error("no vault password given (use --vault-password-file, --vault-id or --ask-vault-pass)")]
    NoSecrets,
    /// Every candidate password failed the HMAC check.
    #[error(
        "decryption failed: HMAC verification failed with every vault password tried \
         (vault id in file: {}; tried: {}) — wrong password or tampered ciphertext",
        .vault_id.as_deref().unwrap_or("none"),
        if .tried.is_empty() { "none matched the label".to_owned() } else { .tried.join(", ") }
    )]
    NoMatchingSecret {
        /// Label found in a 1.2 header.
        vault_id: Option<String>,
        /// Labels of the passwords tried.
        tried: Vec<String>,
    },
    /// A password file could not be read or is unusable.
    #[error("vault password file {}: {detail}", .path.display())]
    PasswordFile {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        detail: String,
    },
    /// A password script failed.
    #[error("vault password script {}: {detail}", .path.display())]
    Script {
        /// The script.
        path: PathBuf,
        /// What went wrong (exit status, its stderr).
        detail: String,
    },
    /// The password source produced an empty password.
    #[error("empty vault password from {source_desc}")]
    EmptyPassword {
        /// Which source.
        source_desc: String,
    },
    /// Prompting failed or no prompt is available.
    #[error("cannot prompt for the password of vault id {vault_id}: {detail}")]
    Prompt {
        /// The vault id asked for.
        vault_id: String,
        /// What went wrong.
        detail: String,
    },
    /// The system random generator failed.
    #[error("random number generator failed: {0}")]
    Random(String),
}

/// Encrypts `plaintext` into a complete vault text (1.1, or 1.2 when a
/// non-default `vault_id` is given), byte-compatible with `ansible-vault`.
pub fn encrypt(
    plaintext: &[u8],
    password: &SecretString,
    vault_id: Option<&str>,
) -> Result<String, AnsibleVaultError> {
    let body = cipher::encrypt_body(plaintext, password.expose().as_bytes(), None)?;
    Ok(envelope::format(&body, vault_id))
}

/// Decrypts a vault text (whole file or inline body) with one password.
pub fn decrypt(vaulttext: &str, password: &SecretString) -> Result<SecretBytes, AnsibleVaultError> {
    let env = envelope::parse(vaulttext)?;
    cipher::decrypt_body(&env.body, password.expose().as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keyring_prefers_label_then_falls_back() {
        let text = encrypt(b"v", &SecretString::from("pw-prod"), Some("prod")).unwrap();
        let mut ring = VaultKeyring::new();
        ring.add("dev", SecretString::from("pw-dev"));
        ring.add("other", SecretString::from("pw-prod"));
        // No label matches, but the fallback finds the right password.
        let d = ring.decrypt(&text).unwrap();
        assert_eq!(d.vault_id, "other");
        ring.set_strict_label_match(true);
        let err = ring.decrypt(&text).unwrap_err();
        assert!(
            matches!(err, AnsibleVaultError::NoMatchingSecret { .. }),
            "{err}"
        );
        ring.add("prod", SecretString::from("pw-prod"));
        assert_eq!(ring.decrypt(&text).unwrap().vault_id, "prod");
    }

    #[test]
    fn wrong_password_is_a_clear_error() {
        let text = encrypt(b"canary-value", &SecretString::from("right"), None).unwrap();
        let mut ring = VaultKeyring::new();
        ring.add("default", SecretString::from("wrong"));
        let msg = ring.decrypt(&text).unwrap_err().to_string();
        assert!(msg.contains("HMAC verification failed"), "{msg}");
        assert!(!msg.contains("canary") && !msg.contains("wrong,") && !msg.contains("right"));
        assert!(matches!(
            VaultKeyring::new().decrypt(&text),
            Err(AnsibleVaultError::NoSecrets)
        ));
    }
}
