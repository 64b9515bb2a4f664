//! One decryption context for both vault formats.
//!
//! The engine loads `vars_files` without knowing in advance whether a file
//! is an age vault, an Ansible Vault, or plain YAML carrying `!age`/`!vault`
//! values. [`Keys`] bundles the age identities and the Ansible keyring and
//! dispatches on the content, so callers make one call per file or value.

use crate::age::{self, AgeVaultError, Identities};
use crate::ansible::{self, AnsibleVaultError, VaultKeyring};
use crate::inline::{InlineTag, InlineValue, find_inline_values};
use crate::secret::{SecretBytes, SecretString};

/// What a file or value is, judged by its first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VaultFormat {
    /// ASCII-armored or binary age.
    Age,
    /// `$ANSIBLE_VAULT;…`.
    AnsibleVault,
    /// Anything else (plain text, possibly with inline encrypted values).
    Plain,
}

impl VaultFormat {
    /// Detects the format of a whole file's bytes.
    pub fn detect(data: &[u8]) -> Self {
        if age::is_age(data) {
            Self::Age
        } else if data
            .trim_ascii_start()
            .starts_with(ansible::HEADER.as_bytes())
        {
            Self::AnsibleVault
        } else {
            Self::Plain
        }
    }
}

/// Errors from [`Keys`]; wraps the format-specific errors.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DecryptError {
    /// age failed.
    #[error(transparent)]
    Age(#[from] AgeVaultError),
    /// Ansible Vault failed.
    #[error(transparent)]
    Ansible(#[from] AnsibleVaultError),
    /// The input is neither age nor Ansible Vault.
    #[error("not an encrypted vault (expected an age file or `$ANSIBLE_VAULT` header)")]
    UnknownFormat,
    /// The plaintext is not UTF-8.
    #[error("decrypted data is not UTF-8 text")]
    NotUtf8,
    /// An inline value failed; names its line and key.
    #[error("line {line}{}: {source}", .key.as_ref().map(|k| format!(" (key {k:?})")).unwrap_or_default())]
    Inline {
        /// 1-based line of the value's header.
        line: usize,
        /// Its mapping key, if any.
        key: Option<String>,
        /// Why it failed.
        #[source]
        source: Box<DecryptError>,
    },
}

/// Age identities plus Ansible Vault passwords.
#[derive(Debug, Default)]
pub struct Keys {
    /// age identities / passphrase.
    pub age: Identities,
    /// Ansible Vault passwords.
    pub ansible: VaultKeyring,
}

impl Keys {
    /// Bundles the two.
    pub fn new(age: Identities, ansible: VaultKeyring) -> Self {
        Self { age, ansible }
    }

    /// Decrypts a whole encrypted file's bytes (age or Ansible Vault).
    pub fn decrypt_bytes(&self, data: &[u8]) -> Result<(SecretBytes, VaultFormat), DecryptError> {
        match VaultFormat::detect(data) {
            VaultFormat::Age => Ok((age::decrypt_age(data, &self.age)?, VaultFormat::Age)),
            VaultFormat::AnsibleVault => {
                let text = std::str::from_utf8(data)
                    .map_err(|_| AnsibleVaultError::Format("vault text is not ASCII".to_owned()))?;
                let d = self.ansible.decrypt(text)?;
                Ok((d.plaintext, VaultFormat::AnsibleVault))
            }
            VaultFormat::Plain => Err(DecryptError::UnknownFormat),
        }
    }

    /// Like [`Keys::decrypt_bytes`] but requires UTF-8 plaintext.
    pub fn decrypt_text(&self, data: &[u8]) -> Result<(SecretString, VaultFormat), DecryptError> {
        let (bytes, format) = self.decrypt_bytes(data)?;
        Ok((
            SecretString::from_utf8(bytes).ok_or(DecryptError::NotUtf8)?,
            format,
        ))
    }

    /// Decrypts a whole vars file's text when it is a vault; `None` when it
    /// is plain (shape of the engine's `Decryptor::decrypt_file`).
    pub fn decrypt_file_text(&self, text: &str) -> Option<Result<SecretString, DecryptError>> {
        match VaultFormat::detect(text.as_bytes()) {
            VaultFormat::Plain => None,
            _ => Some(self.decrypt_text(text.as_bytes()).map(|(s, _)| s)),
        }
    }

    /// Decrypts the body of one tagged scalar (`!age` or `!vault`).
    pub fn decrypt_tagged(&self, tag: InlineTag, body: &str) -> Result<SecretString, DecryptError> {
        match tag {
            InlineTag::Age => Ok(age::decrypt_age_armored(body, &self.age)?),
            InlineTag::Vault => {
                let d = self.ansible.decrypt(body)?;
                SecretString::from_utf8(d.plaintext).ok_or(DecryptError::NotUtf8)
            }
        }
    }

    /// Decrypts every inline value of a YAML text; errors name the line/key.
    pub fn decrypt_inline_values(
        &self,
        yaml: &str,
    ) -> Result<Vec<(InlineValue, SecretString)>, DecryptError> {
        find_inline_values(yaml)
            .into_iter()
            .map(|v| {
                let s = self
                    .decrypt_tagged(v.tag, &v.body)
                    .map_err(|e| DecryptError::Inline {
                        line: v.line,
                        key: v.key.clone(),
                        source: Box::new(e),
                    })?;
                Ok((v, s))
            })
            .collect()
    }
}
