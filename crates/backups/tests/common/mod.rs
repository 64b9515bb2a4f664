//! Shared test helpers: loading captured fixtures and comparing a [`RepoReport`] with
//! `pgbackrest info --output=json` (the oracle).

#![allow(dead_code)]

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde_json::Value;
use stackbook_backups::{BackupKind, MemStore, RepoReport, Secret};

/// The committed fixture directory.
pub fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// Parse a `KEY=VALUE` / `export KEY=VALUE` env file.
pub fn read_env(path: &Path) -> HashMap<String, String> {
    let text =
        std::fs::read_to_string(path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    text.lines()
        .filter_map(|l| {
            let l = l.trim();
            let l = l.strip_prefix("export ").unwrap_or(l);
            if l.starts_with('#') {
                return None;
            }
            l.split_once('=')
                .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        })
        .collect()
}

/// Settings of the committed capture.
pub struct Captured {
    pub repo_path: String,
    pub stanza: String,
    pub cipher_pass: Secret,
    pub encrypted: Vec<String>,
    pub plain: Vec<String>,
}

pub fn captured() -> Captured {
    let env = read_env(&fixtures_dir().join("fixture.env"));
    let get = |k: &str| {
        env.get(k)
            .cloned()
            .unwrap_or_else(|| panic!("fixture.env lacks {k}"))
    };
    Captured {
        repo_path: get("PGBR_REPO_PATH"),
        stanza: get("PGBR_STANZA"),
        cipher_pass: Secret::new(get("PGBR_CIPHER_PASS")),
        encrypted: get("PGBR_ENCRYPTED_BUCKETS")
            .split_whitespace()
            .map(str::to_owned)
            .collect(),
        plain: get("PGBR_PLAIN_BUCKETS")
            .split_whitespace()
            .map(str::to_owned)
            .collect(),
    }
}

/// A bucket as captured: info files with content, everything else listing-only.
pub fn mem_store(bucket: &str) -> MemStore {
    let dir = fixtures_dir().join(bucket);
    let mut store = MemStore::new();
    let listing = std::fs::read_to_string(dir.join("listing.tsv")).expect("listing.tsv");
    for line in listing.lines().filter(|l| !l.is_empty()) {
        let mut cols = line.split('\t');
        let key = cols.next().expect("key");
        let size: u64 = cols.next().expect("size").parse().expect("size number");
        let modified: jiff::Timestamp = cols.next().expect("mtime").parse().expect("mtime");
        let obj = dir.join("objects").join(key);
        if obj.is_file() {
            store.insert(key, std::fs::read(&obj).expect("object"), Some(modified));
        } else {
            store.insert_listed(key, size, Some(modified));
        }
    }
    store
}

/// `pgbackrest info --output=json` of one stanza.
pub fn oracle(path: &Path) -> Value {
    let text =
        std::fs::read_to_string(path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    let v: Value = serde_json::from_str(&text).expect("pgbackrest JSON");
    v.as_array()
        .and_then(|a| a.first())
        .cloned()
        .expect("one stanza in pgbackrest info output")
}

fn opt_str(v: &Value) -> Option<String> {
    v.as_str().map(str::to_owned)
}

/// Assert that `report` says what pgBackRest said. Returns the number of backups compared.
pub fn assert_matches_pgbackrest(report: &RepoReport, o: &Value, what: &str) -> usize {
    assert_eq!(report.stanza, o["name"].as_str().unwrap(), "{what}: stanza");
    assert_eq!(
        u64::from(report.status.code()),
        o["status"]["code"].as_u64().unwrap(),
        "{what}: status code"
    );
    assert_eq!(
        report.status.message(),
        o["status"]["message"].as_str().unwrap(),
        "{what}: status message"
    );
    let cipher = o["cipher"].as_str().unwrap();
    if report.stanza_exists {
        assert_eq!(report.encrypted, cipher == "aes-256-cbc", "{what}: cipher");
    }

    // Current database = last [db] entry pgBackRest lists.
    let dbs = o["db"].as_array().unwrap();
    match dbs.last() {
        None => assert!(report.db.is_none(), "{what}: no db expected"),
        Some(d) => {
            let db = report
                .db
                .as_ref()
                .unwrap_or_else(|| panic!("{what}: db missing"));
            assert_eq!(u64::from(db.id), d["id"].as_u64().unwrap(), "{what}: db id");
            assert_eq!(
                db.system_id,
                d["system-id"].as_u64().unwrap(),
                "{what}: system id"
            );
            assert_eq!(
                db.version,
                d["version"].as_str().unwrap(),
                "{what}: version"
            );
        }
    }
    assert_eq!(
        report.db_history.len(),
        dbs.len(),
        "{what}: db history length"
    );

    // WAL archive range of the current archive id.
    let arch = o["archive"].as_array().unwrap();
    match &report.wal_archive {
        None => assert!(
            arch.iter()
                .all(|a| a["min"].is_null() && a["max"].is_null()),
            "{what}: pgBackRest reports WAL but we found none: {arch:?}"
        ),
        Some(w) => {
            let a = arch
                .iter()
                .find(|a| a["id"].as_str() == Some(w.archive_id.as_str()))
                .unwrap_or_else(|| panic!("{what}: archive id {} not in oracle", w.archive_id));
            assert_eq!(Some(w.min.clone()), opt_str(&a["min"]), "{what}: wal min");
            assert_eq!(Some(w.max.clone()), opt_str(&a["max"]), "{what}: wal max");
        }
    }

    let backups = o["backup"].as_array().unwrap();
    assert_eq!(report.backups.len(), backups.len(), "{what}: backup count");
    for (b, j) in report.backups.iter().zip(backups) {
        let w = format!("{what}: backup {}", b.label);
        assert_eq!(b.label, j["label"].as_str().unwrap(), "{w}: label");
        let kind = match b.kind {
            BackupKind::Full => "full",
            BackupKind::Diff => "diff",
            BackupKind::Incr => "incr",
        };
        assert_eq!(kind, j["type"].as_str().unwrap(), "{w}: type");
        assert_eq!(
            b.start.as_second(),
            j["timestamp"]["start"].as_i64().unwrap(),
            "{w}: start"
        );
        assert_eq!(
            b.stop.as_second(),
            j["timestamp"]["stop"].as_i64().unwrap(),
            "{w}: stop"
        );
        assert_eq!(b.size, j["info"]["size"].as_u64().unwrap(), "{w}: size");
        assert_eq!(
            b.size_delta,
            j["info"]["delta"].as_u64().unwrap(),
            "{w}: delta"
        );
        assert_eq!(
            b.repo_size,
            j["info"]["repository"]["size"].as_u64().unwrap(),
            "{w}: repo size"
        );
        assert_eq!(
            b.repo_size_delta,
            j["info"]["repository"]["delta"].as_u64().unwrap(),
            "{w}: repo delta"
        );
        assert_eq!(b.depends_on, opt_str(&j["prior"]), "{w}: prior");
        let refs: Vec<String> = j["reference"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|r| r.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default();
        assert_eq!(b.references, refs, "{w}: reference");
        assert_eq!(
            b.wal_start,
            opt_str(&j["archive"]["start"]),
            "{w}: wal start"
        );
        assert_eq!(b.wal_stop, opt_str(&j["archive"]["stop"]), "{w}: wal stop");
        assert_eq!(b.lsn_start, opt_str(&j["lsn"]["start"]), "{w}: lsn start");
        assert_eq!(b.lsn_stop, opt_str(&j["lsn"]["stop"]), "{w}: lsn stop");
        assert_eq!(b.error, j["error"].as_bool().unwrap(), "{w}: error");
        assert_eq!(
            u64::from(b.database.id),
            j["database"]["id"].as_u64().unwrap(),
            "{w}: database id"
        );
    }
    backups.len()
}
