//! Reading a stanza's state out of a repository: info files (with `.copy` fallback and
//! decryption), then the WAL archive range.
//!
//! The request pattern is fixed and small regardless of how many backups exist: two GETs for the
//! info files (plus `.copy` only when a main file is missing or unreadable), one delimited LIST of
//! the archive id, and one LIST per WAL directory scanned (usually one or two). Backup sets are
//! all described in `backup.info`, so their number does not add requests.

use std::collections::HashMap;

use jiff::Timestamp;

use crate::info::{self, ArchiveInfoFile, BackupEntry, BackupInfoFile, InfoDb, InfoError};
use crate::ini::IniFile;
use crate::report::{BackupInfo, BackupKind, DbInfo, RepoReport, StanzaStatus, WalRange};
use crate::secret::Secret;
use crate::store::{Listing, ObjectEntry, RepoStore, StoreError};
use crate::wal;

/// Why a repository could not be inspected.
#[derive(Debug, thiserror::Error)]
pub enum InspectError {
    /// The object store failed; `what` says what was being read.
    #[error("while reading {what}: {source}")]
    Store {
        /// What was being read.
        what: String,
        /// The store error.
        #[source]
        source: StoreError,
    },
    /// An info file exists but neither it nor its `.copy` could be used.
    #[error("cannot use {file} nor {file}.copy: {}", join(.errors))]
    InfoUnreadable {
        /// Main file key.
        file: String,
        /// Errors of the main file and/or the copy, in that order.
        errors: Vec<InfoError>,
    },
    /// An info file decoded but its content was inconsistent.
    #[error(transparent)]
    Info(#[from] InfoError),
    /// The stanza name cannot be a path component.
    #[error("invalid stanza name '{0}': must be non-empty and contain no '/'")]
    InvalidStanza(String),
}

impl InspectError {
    /// True when every failure is the signature of a wrong passphrase (bad padding, a checksum
    /// mismatch or non-text after decryption).
    pub fn is_wrong_passphrase(&self) -> bool {
        match self {
            Self::InfoUnreadable { errors, .. } => {
                !errors.is_empty()
                    && errors.iter().all(|e| {
                        matches!(
                            e,
                            InfoError::Cipher {
                                source: crate::cipher::CipherError::BadDecrypt,
                                ..
                            } | InfoError::NotText { .. }
                                | InfoError::Ini(crate::ini::IniError::ChecksumMismatch { .. })
                        )
                    })
            }
            _ => false,
        }
    }
}

fn join(errors: &[InfoError]) -> String {
    errors
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

/// Inspect `stanza` in the repository at `repo_path` (pgBackRest's `repo1-path`, e.g.
/// `/pgbackrest/repo1`) of `store`. `cipher_pass` is `repo1-cipher-pass` for encrypted
/// repositories, `None` for plain ones.
pub async fn inspect<S: RepoStore>(
    store: &S,
    repo_path: &str,
    stanza: &str,
    cipher_pass: Option<&Secret>,
) -> Result<RepoReport, InspectError> {
    if stanza.is_empty() || stanza.contains('/') {
        return Err(InspectError::InvalidStanza(stanza.to_owned()));
    }
    let base = repo_prefix(repo_path);
    let archive_dir = format!("{base}archive/{stanza}/");
    let backup_dir = format!("{base}backup/{stanza}/");
    let mut warnings = Vec::new();

    let archive_ini = load_info(
        store,
        &format!("{archive_dir}archive.info"),
        cipher_pass,
        &mut warnings,
    )
    .await?;
    let backup_ini = load_info(
        store,
        &format!("{backup_dir}backup.info"),
        cipher_pass,
        &mut warnings,
    )
    .await?;
    let archive = archive_ini.as_ref().map(info::archive_info).transpose()?;
    let backup = backup_ini.as_ref().map(info::backup_info).transpose()?;

    let wal_archive = match &archive {
        Some(a) => wal_range(store, &archive_dir, &a.db).await?,
        None => None,
    };

    let status = match (&archive, &backup) {
        (Some(_), Some(b)) if !b.backups.is_empty() => StanzaStatus::Ok,
        (Some(_), Some(_)) => StanzaStatus::NoValidBackups,
        (Some(_), None) | (None, Some(_)) => {
            warnings.push(format!(
                "only one of {archive_dir}archive.info and {backup_dir}backup.info exists"
            ));
            StanzaStatus::MissingStanzaData
        }
        (None, None) => {
            let mut any = false;
            for dir in [&archive_dir, &backup_dir] {
                let l = list(store, dir, true).await?;
                any |= !l.objects.is_empty() || !l.prefixes.is_empty();
            }
            if any {
                StanzaStatus::MissingStanzaData
            } else {
                StanzaStatus::MissingStanzaPath
            }
        }
    };

    build_report(
        stanza,
        status,
        cipher_pass.is_some(),
        archive.as_ref(),
        backup.as_ref(),
        wal_archive,
        warnings,
    )
}

/// `repo1-path` as an S3 key prefix: no leading `/`, a trailing `/` unless empty.
pub fn repo_prefix(repo_path: &str) -> String {
    let p = repo_path.trim_matches('/');
    if p.is_empty() {
        String::new()
    } else {
        format!("{p}/")
    }
}

/// Assemble a report from already-parsed info files (pure).
pub fn build_report(
    stanza: &str,
    status: StanzaStatus,
    encrypted: bool,
    archive: Option<&ArchiveInfoFile>,
    backup: Option<&BackupInfoFile>,
    wal_archive: Option<WalRange>,
    mut warnings: Vec<String>,
) -> Result<RepoReport, InspectError> {
    if let (Some(a), Some(b)) = (archive, backup)
        && (a.db.system_id != b.db.system_id || a.db.version != b.db.version)
    {
        warnings.push(format!(
            "archive.info (system-id {}, PostgreSQL {}) and backup.info (system-id {}, PostgreSQL {}) disagree; pgBackRest would refuse to use this stanza",
            a.db.system_id, a.db.version, b.db.system_id, b.db.version
        ));
    }
    let current = backup.map(|b| &b.db).or(archive.map(|a| &a.db));
    let history: &[InfoDb] = backup
        .map(|b| b.history.as_slice())
        .or(archive.map(|a| a.history.as_slice()))
        .unwrap_or_default();
    let mut backups = Vec::new();
    if let Some(b) = backup {
        for e in &b.backups {
            backups.push(backup_from_entry(e, history, &b.db)?);
        }
    }
    Ok(RepoReport {
        stanza: stanza.to_owned(),
        status,
        stanza_exists: archive.is_some() || backup.is_some(),
        encrypted,
        db: current.map(db_info),
        db_history: history.iter().map(db_info).collect(),
        backups,
        wal_archive,
        backrest_version: backup
            .map(|b| b.backrest_version.clone())
            .or(archive.map(|a| a.backrest_version.clone())),
        warnings,
    })
}

fn db_info(d: &InfoDb) -> DbInfo {
    DbInfo {
        id: d.id,
        version: d.version.clone(),
        system_id: d.system_id,
    }
}

fn backup_from_entry(
    e: &BackupEntry,
    history: &[InfoDb],
    current: &InfoDb,
) -> Result<BackupInfo, InspectError> {
    let bad = |key: &str, expected: &'static str, value: String| {
        InspectError::Info(InfoError::BadValue {
            file: "backup.info".to_owned(),
            section: "backup:current".to_owned(),
            key: format!("{} {key}", e.label),
            expected,
            value,
        })
    };
    let kind = BackupKind::parse(&e.backup_type)
        .ok_or_else(|| bad("backup-type", "full, diff or incr", e.backup_type.clone()))?;
    let ts = |key: &str, v: i64| {
        Timestamp::from_second(v).map_err(|_| bad(key, "a Unix timestamp", v.to_string()))
    };
    let database = history
        .iter()
        .find(|h| h.id == e.db_id)
        .or((current.id == e.db_id).then_some(current))
        .map(db_info)
        .ok_or_else(|| {
            bad(
                "db-id",
                "an id present in [db:history]",
                e.db_id.to_string(),
            )
        })?;
    Ok(BackupInfo {
        label: e.label.clone(),
        kind,
        start: ts("backup-timestamp-start", e.timestamp_start)?,
        stop: ts("backup-timestamp-stop", e.timestamp_stop)?,
        size: e.size,
        size_delta: e.size_delta,
        repo_size: e.repo_size,
        repo_size_delta: e.repo_size_delta,
        depends_on: e.prior.clone(),
        references: e.reference.clone().unwrap_or_default(),
        database,
        wal_start: e.archive_start.clone(),
        wal_stop: e.archive_stop.clone(),
        lsn_start: e.lsn_start.clone(),
        lsn_stop: e.lsn_stop.clone(),
        error: e.error.unwrap_or(false),
    })
}

async fn get<S: RepoStore>(store: &S, key: &str) -> Result<Option<Vec<u8>>, InspectError> {
    store.get(key).await.map_err(|source| InspectError::Store {
        what: key.to_owned(),
        source,
    })
}

async fn list<S: RepoStore>(
    store: &S,
    prefix: &str,
    delimited: bool,
) -> Result<Listing, InspectError> {
    store
        .list(prefix, delimited)
        .await
        .map_err(|source| InspectError::Store {
            what: format!("the listing of {prefix}"),
            source,
        })
}

/// Load an info file the way pgBackRest does: the main file, else its `.copy`.
async fn load_info<S: RepoStore>(
    store: &S,
    key: &str,
    pass: Option<&Secret>,
    warnings: &mut Vec<String>,
) -> Result<Option<IniFile>, InspectError> {
    let main = get(store, key)
        .await?
        .map(|d| info::decode_info(&d, pass, key));
    let main_err = match main {
        Some(Ok(ini)) => return Ok(Some(ini)),
        Some(Err(e)) => Some(e),
        None => None,
    };
    let copy_key = format!("{key}.copy");
    let copy = get(store, &copy_key)
        .await?
        .map(|d| info::decode_info(&d, pass, &copy_key));
    match (main_err, copy) {
        (None, None) => Ok(None),
        (main_err, Some(Ok(ini))) => {
            warnings.push(match main_err {
                Some(e) => format!("{key} is unreadable ({e}); used {copy_key}"),
                None => format!("{key} is missing; used {copy_key}"),
            });
            Ok(Some(ini))
        }
        (main_err, copy) => {
            let errors: Vec<InfoError> = main_err
                .into_iter()
                .chain(copy.and_then(Result::err))
                .collect();
            Err(InspectError::InfoUnreadable {
                file: key.to_owned(),
                errors,
            })
        }
    }
}

/// Oldest and newest archived segment of `db`'s archive id, as `pgbackrest info` computes them.
async fn wal_range<S: RepoStore>(
    store: &S,
    archive_dir: &str,
    db: &InfoDb,
) -> Result<Option<WalRange>, InspectError> {
    let archive_id = wal::archive_id(&db.version, db.id);
    let top = list(store, &format!("{archive_dir}{archive_id}/"), true).await?;
    let mut dirs: Vec<&String> = top
        .prefixes
        .iter()
        .filter(|p| wal::is_wal_dir(wal::last_component(p)))
        .collect();
    dirs.sort();
    let mut listed: HashMap<&str, Vec<(String, ObjectEntry)>> = HashMap::new();

    let mut min = None;
    for d in &dirs {
        let segs = segments(store, d, &mut listed).await?;
        if let Some((s, _)) = segs.iter().min_by(|a, b| a.0.cmp(&b.0)) {
            min = Some(s.clone());
            break;
        }
    }
    let Some(min) = min else {
        return Ok(None);
    };
    let mut max = None;
    for d in dirs.iter().rev() {
        let segs = segments(store, d, &mut listed).await?;
        if let Some((s, o)) = segs.iter().max_by(|a, b| a.0.cmp(&b.0)) {
            max = Some((s.clone(), o.last_modified));
            break;
        }
    }
    let (max, max_archived_at) = max.unwrap_or_else(|| (min.clone(), None));
    Ok(Some(WalRange {
        archive_id,
        min,
        max,
        max_archived_at,
    }))
}

/// Segments in one WAL directory (listed once, then cached).
async fn segments<'a, S: RepoStore>(
    store: &S,
    dir: &'a str,
    cache: &mut HashMap<&'a str, Vec<(String, ObjectEntry)>>,
) -> Result<Vec<(String, ObjectEntry)>, InspectError> {
    if let Some(v) = cache.get(dir) {
        return Ok(v.clone());
    }
    let l = list(store, dir, true).await?;
    let v: Vec<(String, ObjectEntry)> = l
        .objects
        .into_iter()
        .filter_map(|o| {
            wal::segment_of(wal::last_component(&o.key)).map(|s| (s.to_owned(), o.clone()))
        })
        .collect();
    cache.insert(dir, v.clone());
    Ok(v)
}
