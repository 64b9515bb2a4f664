//! The typed answer to "what is in this pgBackRest repository?".
//!
//! Everything a guard or a runbook needs, in one serialisable value, independent of where the
//! bytes came from. Field meanings follow `pgbackrest info --output=json`.

use jiff::Timestamp;
use serde::Serialize;

/// pgBackRest's stanza status, as `pgbackrest info` reports it (`status.code`/`message`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum StanzaStatus {
    /// Code 0, "ok": at least one backup.
    Ok,
    /// Code 1, "missing stanza path": nothing under the stanza's archive/backup paths.
    MissingStanzaPath,
    /// Code 2, "no valid backups": info files exist, backup list empty.
    NoValidBackups,
    /// Code 3, "missing stanza data": objects exist under the stanza but no readable info files.
    MissingStanzaData,
}

impl StanzaStatus {
    /// pgBackRest's numeric status code.
    pub fn code(self) -> u32 {
        match self {
            Self::Ok => 0,
            Self::MissingStanzaPath => 1,
            Self::NoValidBackups => 2,
            Self::MissingStanzaData => 3,
        }
    }

    /// pgBackRest's status message.
    pub fn message(self) -> &'static str {
        match self {
            Self::Ok => "ok",
            Self::MissingStanzaPath => "missing stanza path",
            Self::NoValidBackups => "no valid backups",
            Self::MissingStanzaData => "missing stanza data",
        }
    }
}

/// Backup type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum BackupKind {
    /// Full backup.
    Full,
    /// Differential (relative to the last full).
    Diff,
    /// Incremental (relative to the previous backup).
    Incr,
}

impl BackupKind {
    /// Parse pgBackRest's `backup-type` value.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "full" => Some(Self::Full),
            "diff" => Some(Self::Diff),
            "incr" => Some(Self::Incr),
            _ => None,
        }
    }
}

/// A PostgreSQL cluster known to the repository.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DbInfo {
    /// pgBackRest db id (history index).
    pub id: u32,
    /// PostgreSQL major version, e.g. `"15"`.
    pub version: String,
    /// PostgreSQL system identifier.
    pub system_id: u64,
}

/// One backup set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BackupInfo {
    /// Label, e.g. `20261123-073905F`.
    pub label: String,
    /// full / diff / incr.
    pub kind: BackupKind,
    /// When the backup started.
    pub start: Timestamp,
    /// When the backup stopped (the earliest point it can be restored to).
    pub stop: Timestamp,
    /// Database size restored by this backup, bytes.
    pub size: u64,
    /// Database bytes copied by this backup.
    pub size_delta: u64,
    /// Repository bytes needed to restore it (with its references).
    pub repo_size: u64,
    /// Repository bytes stored by this backup itself.
    pub repo_size_delta: u64,
    /// The prior backup it depends on (`backup-prior`), for diff/incr.
    pub depends_on: Option<String>,
    /// All backups whose files it references.
    pub references: Vec<String>,
    /// The database it was taken from.
    pub database: DbInfo,
    /// First/last WAL segment needed for consistency.
    pub wal_start: Option<String>,
    /// Last WAL segment needed for consistency.
    pub wal_stop: Option<String>,
    /// Start LSN.
    pub lsn_start: Option<String>,
    /// Stop LSN.
    pub lsn_stop: Option<String>,
    /// True when pgBackRest recorded page checksum errors.
    pub error: bool,
}

/// Archived WAL range of the current database.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WalRange {
    /// Archive id, e.g. `15-1`.
    pub archive_id: String,
    /// Oldest archived segment.
    pub min: String,
    /// Newest archived segment.
    pub max: String,
    /// When the newest segment was stored (object modification time): an upper bound for a
    /// point-in-time-recovery target.
    pub max_archived_at: Option<Timestamp>,
}

/// What a repository holds for one stanza.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RepoReport {
    /// Stanza name.
    pub stanza: String,
    /// pgBackRest's view of the stanza.
    pub status: StanzaStatus,
    /// True when `archive.info` or `backup.info` (or a `.copy`) is present and readable.
    pub stanza_exists: bool,
    /// True when the info files were encrypted.
    pub encrypted: bool,
    /// Current database (from `backup.info`, else `archive.info`); `None` without a stanza.
    pub db: Option<DbInfo>,
    /// Every database the stanza has served, oldest first.
    pub db_history: Vec<DbInfo>,
    /// Backup sets, oldest first.
    pub backups: Vec<BackupInfo>,
    /// Archived WAL of the current database; `None` when no segment is archived.
    pub wal_archive: Option<WalRange>,
    /// pgBackRest version that last wrote the info files.
    pub backrest_version: Option<String>,
    /// Non-fatal findings (a `.copy` used because the main file was bad, db mismatch, ...).
    pub warnings: Vec<String>,
}

impl RepoReport {
    /// Backups a restore can start from, oldest first. Backups flagged `error` (page checksum
    /// errors found while copying) are included: pgBackRest still restores them.
    pub fn usable_backups(&self) -> impl Iterator<Item = &BackupInfo> {
        self.backups.iter()
    }

    /// The newest backup, if any.
    pub fn latest_backup(&self) -> Option<&BackupInfo> {
        self.backups.last()
    }
}
