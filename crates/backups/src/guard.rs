//! Pure decisions: may a new cluster be initialised on this repository, may it be restored from?
//!
//! The seed playbook warns that initialising over a bucket with backups destroys them and that a
//! restore with nothing to restore leaves a database that never starts. These functions turn a
//! [`RepoReport`] into an allow/refuse answer whose refusal text says what was found and what to
//! do instead, so the caller can fail a task before anything is written.

use jiff::Timestamp;
use serde::Serialize;

use crate::report::{BackupInfo, RepoReport, StanzaStatus};

/// Outcome of a guard.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "decision", rename_all = "lowercase")]
pub enum Decision {
    /// Safe to proceed.
    Allow,
    /// Must not proceed; `reason` is a complete, user-facing explanation.
    Refuse {
        /// What was found, why it blocks, and the ways forward.
        reason: String,
    },
}

impl Decision {
    /// True for [`Decision::Allow`].
    pub fn is_allow(&self) -> bool {
        matches!(self, Self::Allow)
    }
}

/// One-line description of a stanza's content, for messages.
pub fn summary(report: &RepoReport) -> String {
    let mut parts = Vec::new();
    match &report.db {
        Some(db) => parts.push(format!(
            "stanza '{}' of PostgreSQL {} (system-id {})",
            report.stanza, db.version, db.system_id
        )),
        None => parts.push(format!("stanza '{}'", report.stanza)),
    }
    match report.latest_backup() {
        Some(b) => parts.push(format!(
            "{} backup(s), latest {} ({}, finished {})",
            report.backups.len(),
            b.label,
            kind_name(b),
            b.stop
        )),
        None => parts.push("no backups".to_owned()),
    }
    match &report.wal_archive {
        Some(w) => parts.push(format!("archived WAL {} .. {}", w.min, w.max)),
        None => parts.push("no archived WAL".to_owned()),
    }
    parts.join(", ")
}

fn kind_name(b: &BackupInfo) -> &'static str {
    match b.kind {
        crate::report::BackupKind::Full => "full",
        crate::report::BackupKind::Diff => "diff",
        crate::report::BackupKind::Incr => "incr",
    }
}

/// May a brand-new cluster use this repository (no restore)? Refused whenever the stanza exists
/// in any form: with backups or WAL, initialising would bury them (and PGO's `stanza-create`
/// fails with pgBackRest error 028 because the new cluster has another system-id); even an empty
/// stanza belongs to another cluster's system-id and blocks `stanza-create` the same way.
pub fn decide_init(report: &RepoReport) -> Decision {
    let found = summary(report);
    let ways = "Either restore from it (request a restore / dataSource instead of a new cluster), \
                or point the new cluster at an empty bucket or repo path; delete the old stanza \
                only deliberately (pgbackrest stanza-delete).";
    let reason = match report.status {
        StanzaStatus::MissingStanzaPath => return Decision::Allow,
        StanzaStatus::Ok => format!(
            "refusing to initialise: the repository already holds {found}. Initialising a new \
             cluster here would fail pgBackRest stanza-create (error 028, system-id mismatch) or, \
             if forced, expire and overwrite these backups. {ways}"
        ),
        StanzaStatus::NoValidBackups if report.wal_archive.is_some() => format!(
            "refusing to initialise: the repository already holds {found}. That WAL belongs to \
             another cluster; stanza-create would fail with pgBackRest error 028. {ways}"
        ),
        StanzaStatus::NoValidBackups => format!(
            "refusing to initialise: the repository already holds {found}. The stanza was created \
             for another cluster, so the new cluster's stanza-create would fail with pgBackRest \
             error 028 (system-id mismatch). {ways}"
        ),
        StanzaStatus::MissingStanzaData => format!(
            "refusing to initialise: objects exist under stanza '{}' but its archive.info/backup.info \
             are missing (pgBackRest status 'missing stanza data'; stanza-create and restore would \
             fail with error 103, repository invalid); the repository is damaged or belongs to \
             something else. Inspect it before reusing it, or use an empty bucket or \
             repo path.",
            report.stanza
        ),
    };
    Decision::Refuse { reason }
}

/// May a cluster be restored from this repository, optionally to `target_time` (PITR,
/// `--type=time`)? Refused when there is no usable backup, or when the target lies before the end
/// of the oldest backup or after the newest archived WAL.
///
/// The upper bound is the store's modification time of the newest archived segment: recovery
/// cannot replay past it. A target shortly before it can still fail if no transaction committed
/// after the target; that is checked by PostgreSQL at recovery time, not here.
pub fn decide_restore(report: &RepoReport, target_time: Option<Timestamp>) -> Decision {
    let refuse = |reason: String| Decision::Refuse { reason };
    if !report.stanza_exists {
        return refuse(format!(
            "nothing to restore: there is no pgBackRest stanza '{}' in this repository ({}); \
             pgBackRest restore would fail (error 055, archive.info/backup.info missing) and the \
             database would not start. Check the bucket, repo path and stanza name, or initialise \
             a new cluster instead of restoring.",
            report.stanza,
            report.status.message()
        ));
    }
    let usable: Vec<&BackupInfo> = report.usable_backups().collect();
    let Some(oldest) = usable.first() else {
        return refuse(format!(
            "nothing to restore: {} — no usable backup set (pgBackRest restore would fail with \
             error 075, no backup set found). Take a backup first, or initialise a new cluster \
             instead of restoring.",
            summary(report)
        ));
    };
    let Some(target) = target_time else {
        return Decision::Allow;
    };
    if target < oldest.stop {
        return refuse(format!(
            "PITR target {target} is before the end of the oldest backup {} (finished {}); the \
             earliest reachable time is {}. Choose a later target.",
            oldest.label, oldest.stop, oldest.stop
        ));
    }
    match &report.wal_archive {
        None => refuse(format!(
            "PITR target {target} cannot be reached: there is no archived WAL, so a restore can \
             only reach the end of a backup (type=immediate). Found: {}.",
            summary(report)
        )),
        Some(w) => match w.max_archived_at {
            Some(at) if target > at => refuse(format!(
                "PITR target {target} is after the newest archived WAL ({} stored at {at}); \
                 recovery would end before the target and PostgreSQL would refuse to start. \
                 Choose a target between {} and {at}.",
                w.max, oldest.stop
            )),
            _ => Decision::Allow,
        },
    }
}
