//! Typed contents of pgBackRest's `archive.info` and `backup.info`.
//!
//! These two files are the source of truth pgBackRest itself reads for `info`, `restore` and
//! `stanza-create`; reading them (rather than guessing from object names) is what lets stackbook
//! tell "empty bucket" from "stanza without backups" from "stanza with backups" exactly as
//! pgBackRest would. Parsing is pure: bytes in, typed structs or a named error out.

use serde::Deserialize;

use crate::cipher::{self, CipherError};
use crate::ini::{IniError, IniFile, SECTION_BACKREST};
use crate::secret::Secret;

/// The only repository format pgBackRest 2.x writes and reads (`REPOSITORY_FORMAT`).
pub const REPOSITORY_FORMAT: u64 = 5;

/// Why an info file could not be used.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum InfoError {
    /// Decryption failed (wrong passphrase, or not an encrypted file).
    #[error("{file}: {source}")]
    Cipher {
        /// Object name.
        file: String,
        /// Underlying cipher error.
        #[source]
        source: CipherError,
    },
    /// The repository is encrypted but no passphrase was supplied.
    #[error(
        "{file}: the repository is encrypted (aes-256-cbc) but no cipher passphrase was given (repo1-cipher-pass)"
    )]
    PassphraseRequired {
        /// Object name.
        file: String,
    },
    /// A passphrase was supplied but the file is not encrypted.
    #[error(
        "{file}: a cipher passphrase was given but the file is not encrypted; the repository has no repo1-cipher-type (pgBackRest would fail to read it)"
    )]
    NotEncrypted {
        /// Object name.
        file: String,
    },
    /// The (decrypted) bytes are not UTF-8 text.
    #[error("{file}: content is not UTF-8 text{hint}")]
    NotText {
        /// Object name.
        file: String,
        /// Extra hint (e.g. about encryption).
        hint: &'static str,
    },
    /// INI syntax or checksum problem.
    #[error(transparent)]
    Ini(#[from] IniError),
    /// `backrest-format` is not 5.
    #[error("{file}: unsupported backrest-format {found}, expected {REPOSITORY_FORMAT}")]
    Format {
        /// Object name.
        file: String,
        /// Format found.
        found: String,
    },
    /// A required key is absent.
    #[error("{file}: missing [{section}] {key}")]
    MissingKey {
        /// Object name.
        file: String,
        /// Section name.
        section: String,
        /// Key name.
        key: String,
    },
    /// A value does not have the expected JSON shape.
    #[error("{file}: [{section}] {key}: expected {expected}, found {value}")]
    BadValue {
        /// Object name.
        file: String,
        /// Section name.
        section: String,
        /// Key name.
        key: String,
        /// What was expected.
        expected: &'static str,
        /// The raw value (never a secret: cipher-pass values are not echoed).
        value: String,
    },
}

/// A PostgreSQL cluster a repository has served (`[db]` or one `[db:history]` entry).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct InfoDb {
    /// pgBackRest's db id (1, 2, ... increasing with each `stanza-upgrade`).
    pub id: u32,
    /// PostgreSQL major version, e.g. `"15"`.
    pub version: String,
    /// PostgreSQL system identifier (`pg_control_system()`), unique per `initdb`.
    pub system_id: u64,
}

/// Parsed `archive.info`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArchiveInfoFile {
    /// `backrest-version` of the pgBackRest that last wrote the file.
    pub backrest_version: String,
    /// Passphrase for WAL files (`[cipher] cipher-pass`), when encrypted.
    pub cipher_pass: Option<Secret>,
    /// Current database (`[db]`).
    pub db: InfoDb,
    /// All databases, oldest first (`[db:history]`).
    pub history: Vec<InfoDb>,
}

/// Parsed `backup.info`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupInfoFile {
    /// `backrest-version` of the pgBackRest that last wrote the file.
    pub backrest_version: String,
    /// Passphrase for manifests (`[cipher] cipher-pass`), when encrypted.
    pub cipher_pass: Option<Secret>,
    /// Current database (`[db]`).
    pub db: InfoDb,
    /// All databases, oldest first (`[db:history]`).
    pub history: Vec<InfoDb>,
    /// `[backup:current]`, in file (label) order.
    pub backups: Vec<BackupEntry>,
}

/// One `[backup:current]` entry, as pgBackRest stores it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct BackupEntry {
    /// Backup label (the key), e.g. `20261123-073905F_20261123-073923I`.
    #[serde(skip)]
    pub label: String,
    /// `full`, `diff` or `incr`.
    #[serde(rename = "backup-type")]
    pub backup_type: String,
    /// Start time, Unix seconds.
    #[serde(rename = "backup-timestamp-start")]
    pub timestamp_start: i64,
    /// Stop time, Unix seconds.
    #[serde(rename = "backup-timestamp-stop")]
    pub timestamp_stop: i64,
    /// Database size restored by this backup.
    #[serde(rename = "backup-info-size")]
    pub size: u64,
    /// Bytes copied by this backup.
    #[serde(rename = "backup-info-size-delta")]
    pub size_delta: u64,
    /// Repository bytes needed to restore (this backup and its references).
    #[serde(rename = "backup-info-repo-size")]
    pub repo_size: u64,
    /// Repository bytes stored by this backup.
    #[serde(rename = "backup-info-repo-size-delta")]
    pub repo_size_delta: u64,
    /// The backup this one is based on (diff/incr).
    #[serde(rename = "backup-prior", default)]
    pub prior: Option<String>,
    /// All backups whose files this one references.
    #[serde(rename = "backup-reference", default)]
    pub reference: Option<Vec<String>>,
    /// First WAL segment needed for consistency.
    #[serde(rename = "backup-archive-start", default)]
    pub archive_start: Option<String>,
    /// Last WAL segment needed for consistency.
    #[serde(rename = "backup-archive-stop", default)]
    pub archive_stop: Option<String>,
    /// Start LSN.
    #[serde(rename = "backup-lsn-start", default)]
    pub lsn_start: Option<String>,
    /// Stop LSN.
    #[serde(rename = "backup-lsn-stop", default)]
    pub lsn_stop: Option<String>,
    /// True when page checksum errors were found during the backup.
    #[serde(rename = "backup-error", default)]
    pub error: Option<bool>,
    /// Which `[db:history]` entry the backup belongs to.
    #[serde(rename = "db-id")]
    pub db_id: u32,
}

/// Decode the stored bytes of an info file: decrypt when `pass` is given, then parse INI and
/// verify the checksum and format. `file` names the object in errors.
pub fn decode_info(data: &[u8], pass: Option<&Secret>, file: &str) -> Result<IniFile, InfoError> {
    let plain;
    let bytes = match pass {
        Some(p) => {
            if !cipher::is_encrypted(data) {
                return Err(InfoError::NotEncrypted {
                    file: file.to_owned(),
                });
            }
            plain = cipher::decrypt(data, p).map_err(|source| InfoError::Cipher {
                file: file.to_owned(),
                source,
            })?;
            plain.as_slice()
        }
        None => {
            if cipher::is_encrypted(data) {
                return Err(InfoError::PassphraseRequired {
                    file: file.to_owned(),
                });
            }
            data
        }
    };
    let text = std::str::from_utf8(bytes).map_err(|_| InfoError::NotText {
        file: file.to_owned(),
        hint: if pass.is_some() {
            " after decryption (wrong passphrase?)"
        } else {
            ""
        },
    })?;
    let ini = IniFile::parse(text, file)?;
    ini.verify_checksum()?;
    let format = required(&ini, SECTION_BACKREST, "backrest-format")?;
    if format.trim() != REPOSITORY_FORMAT.to_string() {
        return Err(InfoError::Format {
            file: file.to_owned(),
            found: format.to_owned(),
        });
    }
    Ok(ini)
}

/// Build an [`ArchiveInfoFile`] from a decoded (checksum-verified) INI.
pub fn archive_info(ini: &IniFile) -> Result<ArchiveInfoFile, InfoError> {
    let db = current_db(ini)?;
    let mut history = Vec::new();
    for e in ini.section("db:history") {
        #[derive(Deserialize)]
        struct Raw {
            // archive.info stores the *system id* under "db-id" (a pgBackRest quirk).
            #[serde(rename = "db-id")]
            system_id: u64,
            #[serde(rename = "db-version")]
            version: String,
        }
        let raw: Raw = json(ini, e, "an object with db-id (system id) and db-version")?;
        history.push(InfoDb {
            id: parse_id(ini, e)?,
            version: raw.version,
            system_id: raw.system_id,
        });
    }
    Ok(ArchiveInfoFile {
        backrest_version: backrest_version(ini)?,
        cipher_pass: cipher_pass(ini)?,
        db,
        history,
    })
}

/// Build a [`BackupInfoFile`] from a decoded (checksum-verified) INI.
pub fn backup_info(ini: &IniFile) -> Result<BackupInfoFile, InfoError> {
    let db = current_db(ini)?;
    let mut history = Vec::new();
    for e in ini.section("db:history") {
        #[derive(Deserialize)]
        struct Raw {
            #[serde(rename = "db-system-id")]
            system_id: u64,
            #[serde(rename = "db-version")]
            version: String,
        }
        let raw: Raw = json(ini, e, "an object with db-system-id and db-version")?;
        history.push(InfoDb {
            id: parse_id(ini, e)?,
            version: raw.version,
            system_id: raw.system_id,
        });
    }
    let mut backups = Vec::new();
    for e in ini.section("backup:current") {
        let mut b: BackupEntry = json(ini, e, "a backup object (backup-type, timestamps, sizes)")?;
        b.label = e.key.clone();
        backups.push(b);
    }
    Ok(BackupInfoFile {
        backrest_version: backrest_version(ini)?,
        cipher_pass: cipher_pass(ini)?,
        db,
        history,
        backups,
    })
}

fn required<'a>(ini: &'a IniFile, section: &str, key: &str) -> Result<&'a str, InfoError> {
    ini.get(section, key)
        .map(|e| e.value.as_str())
        .ok_or_else(|| InfoError::MissingKey {
            file: ini.file.clone(),
            section: section.to_owned(),
            key: key.to_owned(),
        })
}

fn bad(ini: &IniFile, section: &str, key: &str, expected: &'static str, value: &str) -> InfoError {
    InfoError::BadValue {
        file: ini.file.clone(),
        section: section.to_owned(),
        key: key.to_owned(),
        expected,
        value: value.chars().take(120).collect(),
    }
}

fn json<T: serde::de::DeserializeOwned>(
    ini: &IniFile,
    e: &crate::ini::IniEntry,
    expected: &'static str,
) -> Result<T, InfoError> {
    serde_json::from_str(&e.value).map_err(|_| bad(ini, &e.section, &e.key, expected, &e.value))
}

fn value<T: serde::de::DeserializeOwned>(
    ini: &IniFile,
    section: &str,
    key: &str,
    expected: &'static str,
) -> Result<T, InfoError> {
    let raw = required(ini, section, key)?;
    serde_json::from_str(raw).map_err(|_| bad(ini, section, key, expected, raw))
}

fn parse_id(ini: &IniFile, e: &crate::ini::IniEntry) -> Result<u32, InfoError> {
    e.key
        .parse()
        .map_err(|_| bad(ini, &e.section, &e.key, "a numeric db id as key", &e.key))
}

fn current_db(ini: &IniFile) -> Result<InfoDb, InfoError> {
    Ok(InfoDb {
        id: value(ini, "db", "db-id", "an integer")?,
        version: value(ini, "db", "db-version", "a string like \"15\"")?,
        system_id: value(ini, "db", "db-system-id", "an unsigned integer")?,
    })
}

fn backrest_version(ini: &IniFile) -> Result<String, InfoError> {
    value(ini, SECTION_BACKREST, "backrest-version", "a string")
}

fn cipher_pass(ini: &IniFile) -> Result<Option<Secret>, InfoError> {
    match ini.get("cipher", "cipher-pass") {
        None => Ok(None),
        Some(e) => serde_json::from_str::<String>(&e.value)
            .map(|s| Some(Secret::new(s)))
            .map_err(|_| bad(ini, "cipher", "cipher-pass", "a string", "<redacted>")),
    }
}
