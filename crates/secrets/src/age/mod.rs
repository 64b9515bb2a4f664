//! age vaults: stackbook's native secret format.
//!
//! A vault is either a whole ASCII-armored age file or a YAML file whose
//! individual values are `!age |` armored block scalars; both are produced
//! and consumed by the two functions here, [`encrypt_age_armored`] and
//! [`decrypt_age_armored`]. Binary (unarmored) age input is accepted too so
//! files from `age` without `-a` still open.

mod identities;
mod recipients;

use std::io::{Read, Write};
use std::path::PathBuf;

use age::armor::{ArmoredReader, ArmoredWriter, Format};
use zeroize::Zeroizing;

pub use identities::{ENV_IDENTITY, ENV_SOPS_KEY, ENV_SOPS_KEY_FILE, Identities, IdentitySources};
pub use recipients::{Recipient, parse_recipients, parse_recipients_file};

use crate::secret::{SecretBytes, SecretString};

/// First line of an ASCII-armored age file.
pub const ARMOR_BEGIN: &str = "-----BEGIN AGE ENCRYPTED FILE-----";
/// Magic prefix of a binary age file.
pub const BINARY_MAGIC: &str = "age-encryption.org/";

/// Errors of the age subsystem. None carries plaintext or key material.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AgeVaultError {
    /// Encryption was asked for without recipients.
    #[error("no age recipients given (use --recipient or --recipients-file)")]
    NoRecipients,
    /// A passphrase was mixed with public-key recipients.
    #[error("a passphrase cannot be combined with other age recipients")]
    MixedPassphrase,
    /// A recipient string did not parse.
    #[error("invalid age recipient {value:?}: {detail}")]
    InvalidRecipient {
        /// The offending value (truncated).
        value: String,
        /// Why.
        detail: String,
    },
    /// A recipients file could not be read or has a bad line.
    #[error("age recipients file {} line {line}: {detail}", .path.display())]
    RecipientsFile {
        /// The file.
        path: PathBuf,
        /// 1-based line (0: the file itself).
        line: usize,
        /// Why.
        detail: String,
    },
    /// An identity file could not be read or parsed.
    #[error("age identity file {}: {detail}", .path.display())]
    IdentityFile {
        /// The file (or environment variable) the identity came from.
        path: PathBuf,
        /// Why.
        detail: String,
    },
    /// Decryption needs an identity but none is configured.
    #[error(
        "no age identity available (use --age-identity, ${ENV_IDENTITY}, ${ENV_SOPS_KEY_FILE} or ~/.config/sops/age/keys.txt)"
    )]
    NoIdentities,
    /// None of the identities can open the file.
    #[error("none of the age identities ({}) can decrypt this data (wrong identity?)", .sources.join(", "))]
    NoMatchingIdentity {
        /// Where the tried identities came from.
        sources: Vec<String>,
    },
    /// The file is passphrase-encrypted but no passphrase is available.
    #[error("data is passphrase-encrypted (scrypt) but no passphrase was given")]
    NeedsPassphrase,
    /// The passphrase is wrong.
    #[error("wrong passphrase for passphrase-encrypted (scrypt) age data")]
    WrongPassphrase,
    /// Prompting for the passphrase failed.
    #[error("cannot read the age passphrase: {0}")]
    Passphrase(String),
    /// The data is not valid age, or is truncated or tampered.
    #[error("invalid, truncated or tampered age data: {0}")]
    Corrupt(String),
    /// age refused to encrypt.
    #[error("age encryption failed: {0}")]
    Encrypt(String),
    /// Decrypted data was expected to be text.
    #[error("decrypted age data is not UTF-8 text")]
    NotUtf8,
    /// An environment-variable source failed.
    #[error("{var}: {source}")]
    Context {
        /// The variable that named the failing file.
        var: &'static str,
        /// The underlying error.
        #[source]
        source: Box<AgeVaultError>,
    },
}

impl AgeVaultError {
    fn context(self, var: &'static str) -> Self {
        Self::Context {
            var,
            source: Box::new(self),
        }
    }
}

/// Whether `data` looks like age (armored or binary).
pub fn is_age(data: &[u8]) -> bool {
    let trimmed = data.trim_ascii_start();
    trimmed.starts_with(ARMOR_BEGIN.as_bytes()) || trimmed.starts_with(BINARY_MAGIC.as_bytes())
}

/// Encrypts to the recipients and returns ASCII-armored text (ending in a
/// newline), readable by `age -d`.
pub fn encrypt_age_armored(
    plaintext: &[u8],
    recipients: &[Recipient],
) -> Result<String, AgeVaultError> {
    if recipients.is_empty() {
        return Err(AgeVaultError::NoRecipients);
    }
    let has_pass = recipients
        .iter()
        .any(|r| matches!(r, Recipient::Passphrase(_)));
    if has_pass && recipients.len() > 1 {
        return Err(AgeVaultError::MixedPassphrase);
    }
    let boxed: Vec<Box<dyn age::Recipient + Send>> =
        recipients.iter().map(Recipient::to_age).collect();
    let encryptor =
        age::Encryptor::with_recipients(boxed.iter().map(|r| r.as_ref() as &dyn age::Recipient))
            .map_err(|e| AgeVaultError::Encrypt(e.to_string()))?;
    let io = |e: std::io::Error| AgeVaultError::Encrypt(e.to_string());
    let mut out = Vec::with_capacity(plaintext.len() * 2 + 512);
    let armor = ArmoredWriter::wrap_output(&mut out, Format::AsciiArmor).map_err(io)?;
    let mut writer = encryptor.wrap_output(armor).map_err(io)?;
    writer.write_all(plaintext).map_err(io)?;
    writer.finish().and_then(|a| a.finish()).map_err(io)?;
    let mut text = String::from_utf8(out)
        .map_err(|_| AgeVaultError::Encrypt("armor produced non-UTF-8 output".to_owned()))?;
    if !text.ends_with('\n') {
        text.push('\n');
    }
    Ok(text)
}

/// Decrypts armored (or binary) age data into bytes.
pub fn decrypt_age(data: &[u8], ids: &Identities) -> Result<SecretBytes, AgeVaultError> {
    // Tolerate indentation/whitespace around armor (inline YAML values).
    let trimmed = data.trim_ascii();
    let normalized;
    let input: &[u8] = if trimmed.starts_with(ARMOR_BEGIN.as_bytes()) {
        let text = std::str::from_utf8(trimmed)
            .map_err(|_| AgeVaultError::Corrupt("armor is not ASCII".to_owned()))?;
        let mut s = String::with_capacity(text.len() + 1);
        for line in text.lines() {
            s.push_str(line.trim());
            s.push('\n');
        }
        normalized = s;
        normalized.as_bytes()
    } else {
        data
    };
    let corrupt = |e: &dyn std::fmt::Display| AgeVaultError::Corrupt(e.to_string());
    let decryptor =
        age::Decryptor::new_buffered(ArmoredReader::new(input)).map_err(|e| corrupt(&e))?;
    let reader = if decryptor.is_scrypt() {
        let pass = ids
            .passphrase_or_prompt()?
            .ok_or(AgeVaultError::NeedsPassphrase)?;
        let scrypt = Identities::scrypt_identity(&pass);
        decryptor
            .decrypt(std::iter::once(&scrypt as &dyn age::Identity))
            .map_err(|e| match e {
                age::DecryptError::DecryptionFailed | age::DecryptError::NoMatchingKeys => {
                    AgeVaultError::WrongPassphrase
                }
                other => corrupt(&other),
            })?
    } else {
        if ids.keys().next().is_none() {
            return Err(AgeVaultError::NoIdentities);
        }
        decryptor.decrypt(ids.keys()).map_err(|e| match e {
            age::DecryptError::NoMatchingKeys => AgeVaultError::NoMatchingIdentity {
                sources: ids.sources().to_vec(),
            },
            other => corrupt(&other),
        })?
    };
    let mut buf = Zeroizing::new(Vec::new());
    let mut reader = reader;
    // On a mid-stream MAC failure the partial plaintext in `buf` is wiped
    // when it drops; it is never returned.
    reader.read_to_end(&mut buf).map_err(|e| corrupt(&e))?;
    Ok(SecretBytes::from(buf))
}

/// Decrypts armored age text (a whole vault file or the body of an `!age`
/// scalar) into a UTF-8 secret.
pub fn decrypt_age_armored(text: &str, ids: &Identities) -> Result<SecretString, AgeVaultError> {
    let bytes = decrypt_age(text.as_bytes(), ids)?;
    SecretString::from_utf8(bytes).ok_or(AgeVaultError::NotUtf8)
}

/// Whether `data` is age encrypted to a passphrase (scrypt). `false` for
/// anything that is not parseable age.
pub fn is_passphrase_encrypted(data: &[u8]) -> bool {
    let trimmed = data.trim_ascii();
    age::Decryptor::new_buffered(ArmoredReader::new(trimmed)).is_ok_and(|d| d.is_scrypt())
}
