//! Offline tests on bytes captured from the REAL pgBackRest 2.45 fixture (see
//! `tests/capture-fixtures.sh`): decryption against OpenSSL's output, checksums, `.copy`
//! fallback, and inspection reports compared with `pgbackrest info --output=json` for every
//! captured bucket, then the guard decisions on those reports.

mod common;

use common::{assert_matches_pgbackrest, captured, fixtures_dir, mem_store, oracle};
use jiff::{SignedDuration, Timestamp};
use stackbook_backups::cipher::{self, CipherError};
use stackbook_backups::info::{self, InfoError};
use stackbook_backups::ini::IniError;
use stackbook_backups::{
    Decision, InspectError, MemStore, RepoReport, RepoStore, Secret, StanzaStatus, decide_init,
    decide_restore, inspect,
};

const ALL: [&str; 5] = [
    "pgbr-backups",
    "pgbr-wal-only",
    "pgbr-stanza-only",
    "pgbr-empty",
    "pgbr-plain",
];

fn info_keys(c: &common::Captured) -> [String; 2] {
    let base = c.repo_path.trim_matches('/');
    [
        format!("{base}/archive/{}/archive.info", c.stanza),
        format!("{base}/backup/{}/backup.info", c.stanza),
    ]
}

fn pass_for(c: &common::Captured, bucket: &str) -> Option<Secret> {
    c.encrypted
        .iter()
        .any(|b| b == bucket)
        .then(|| c.cipher_pass.clone())
}

async fn report(bucket: &str) -> RepoReport {
    let c = captured();
    let store = mem_store(bucket);
    inspect(
        &store,
        &c.repo_path,
        &c.stanza,
        pass_for(&c, bucket).as_ref(),
    )
    .await
    .unwrap_or_else(|e| panic!("{bucket}: {e}"))
}

#[test]
fn capture_covers_every_bucket() {
    let c = captured();
    let mut all: Vec<String> = c.encrypted.iter().chain(&c.plain).cloned().collect();
    all.sort();
    let mut want: Vec<String> = ALL.iter().map(|s| s.to_string()).collect();
    want.sort();
    assert_eq!(all, want);
}

#[test]
fn decrypts_exactly_like_openssl() {
    let c = captured();
    let mut checked = 0;
    for bucket in &c.encrypted {
        for key in info_keys(&c) {
            for suffix in ["", ".copy"] {
                let path = fixtures_dir()
                    .join(bucket)
                    .join("objects")
                    .join(format!("{key}{suffix}"));
                let Ok(enc) = std::fs::read(&path) else {
                    continue;
                };
                assert!(cipher::is_encrypted(&enc), "{}", path.display());
                let name = key.rsplit('/').next().unwrap();
                let want = std::fs::read(fixtures_dir().join(bucket).join("decrypted").join(name))
                    .unwrap();
                let got = cipher::decrypt(&enc, &c.cipher_pass).unwrap();
                assert_eq!(got, want, "{}", path.display());
                checked += 1;
            }
        }
    }
    // 3 encrypted buckets with a stanza x 2 info files x (main + copy).
    assert_eq!(checked, 12);
}

#[test]
fn wrong_passphrase_is_bad_decrypt_never_garbage() {
    let c = captured();
    let key = &info_keys(&c)[1];
    let enc = std::fs::read(fixtures_dir().join("pgbr-backups/objects").join(key)).unwrap();
    for wrong in [
        "",
        "x",
        "pgbr-fixture-cipher-pass-012345678",
        "PGBR-FIXTURE-CIPHER-PASS-0123456789",
    ] {
        let r = info::decode_info(&enc, Some(&Secret::new(wrong)), key);
        match r {
            Err(InfoError::Cipher {
                source: CipherError::BadDecrypt,
                ..
            })
            | Err(InfoError::NotText { .. })
            | Err(InfoError::Ini(IniError::ChecksumMismatch { .. })) => {}
            other => panic!("wrong pass {wrong:?} gave {other:?}"),
        }
    }
}

#[test]
fn checksums_verify_and_detect_tampering() {
    let c = captured();
    for bucket in ["pgbr-backups", "pgbr-stanza-only", "pgbr-plain"] {
        for name in ["archive.info", "backup.info"] {
            let plain =
                std::fs::read(fixtures_dir().join(bucket).join("decrypted").join(name)).unwrap();
            info::decode_info(&plain, None, name)
                .unwrap_or_else(|e| panic!("{bucket}/{name}: {e}"));
            // Change one digit of the system id: still valid syntax, wrong checksum.
            let text = String::from_utf8(plain).unwrap();
            let tampered = text.replacen("db-system-id=7", "db-system-id=8", 1);
            assert_ne!(tampered, text);
            match info::decode_info(tampered.as_bytes(), None, name) {
                Err(InfoError::Ini(IniError::ChecksumMismatch { file, .. })) => {
                    assert_eq!(file, name)
                }
                other => panic!("{bucket}/{name}: {other:?}"),
            }
        }
    }
    let _ = c;
}

#[test]
fn passphrase_mismatch_with_repo_encryption_is_explained() {
    let c = captured();
    let key = &info_keys(&c)[0];
    let enc = std::fs::read(fixtures_dir().join("pgbr-backups/objects").join(key)).unwrap();
    let e = info::decode_info(&enc, None, key).unwrap_err();
    assert!(matches!(e, InfoError::PassphraseRequired { .. }), "{e}");
    assert!(e.to_string().contains("repo1-cipher-pass"), "{e}");
    let plain = std::fs::read(fixtures_dir().join("pgbr-plain/objects").join(key)).unwrap();
    let e = info::decode_info(&plain, Some(&c.cipher_pass), key).unwrap_err();
    assert!(matches!(e, InfoError::NotEncrypted { .. }), "{e}");
}

#[test]
fn sub_file_passphrases_are_read_and_redacted() {
    let c = captured();
    let [akey, bkey] = info_keys(&c);
    let root = fixtures_dir().join("pgbr-backups/objects");
    let a = info::decode_info(
        &std::fs::read(root.join(&akey)).unwrap(),
        Some(&c.cipher_pass),
        &akey,
    )
    .unwrap();
    let b = info::decode_info(
        &std::fs::read(root.join(&bkey)).unwrap(),
        Some(&c.cipher_pass),
        &bkey,
    )
    .unwrap();
    let a = info::archive_info(&a).unwrap();
    let b = info::backup_info(&b).unwrap();
    let (ap, bp) = (
        a.cipher_pass.clone().unwrap(),
        b.cipher_pass.clone().unwrap(),
    );
    assert_eq!(ap.expose().len(), 64);
    assert_ne!(ap, bp);
    assert!(!format!("{a:?}{b:?}").contains(ap.expose()));
    assert!(!format!("{a:?}{b:?}").contains(bp.expose()));
    // Plain repositories have no [cipher] section.
    let p = std::fs::read(fixtures_dir().join("pgbr-plain/objects").join(&bkey)).unwrap();
    let p = info::backup_info(&info::decode_info(&p, None, &bkey).unwrap()).unwrap();
    assert!(p.cipher_pass.is_none());
}

#[tokio::test]
async fn reports_match_pgbackrest_info_json_for_every_bucket() {
    let mut backups = 0;
    for bucket in ALL {
        let r = report(bucket).await;
        let o = oracle(&fixtures_dir().join(bucket).join("pgbackrest-info.json"));
        backups += assert_matches_pgbackrest(&r, &o, bucket);
        assert!(r.warnings.is_empty(), "{bucket}: {:?}", r.warnings);
    }
    assert_eq!(backups, 3, "2 backups in pgbr-backups + 1 in pgbr-plain");
}

#[tokio::test]
async fn the_bucket_states_are_told_apart() {
    let s = |b| async move { report(b).await };
    let (b, w, so, e, p) = (
        s("pgbr-backups").await,
        s("pgbr-wal-only").await,
        s("pgbr-stanza-only").await,
        s("pgbr-empty").await,
        s("pgbr-plain").await,
    );
    assert_eq!(b.status, StanzaStatus::Ok);
    assert!(b.stanza_exists && b.encrypted && b.wal_archive.is_some() && b.backups.len() == 2);
    assert_eq!(w.status, StanzaStatus::NoValidBackups);
    assert!(w.stanza_exists && w.backups.is_empty() && w.wal_archive.is_some());
    assert_eq!(so.status, StanzaStatus::NoValidBackups);
    assert!(so.stanza_exists && so.backups.is_empty() && so.wal_archive.is_none());
    assert_eq!(e.status, StanzaStatus::MissingStanzaPath);
    assert!(!e.stanza_exists && e.db.is_none() && e.wal_archive.is_none());
    assert_eq!(p.status, StanzaStatus::Ok);
    assert!(!p.encrypted && p.wal_archive.is_none() && p.backups.len() == 1);
    // The incremental depends on the full.
    assert_eq!(
        b.backups[1].depends_on.as_deref(),
        Some(b.backups[0].label.as_str())
    );
    // JSON-serialisable, with the fields integrators rely on.
    let j = serde_json::to_value(&b).unwrap();
    assert_eq!(j["status"], "ok");
    assert_eq!(j["backups"][1]["kind"], "incr");
    assert!(j["backups"][0]["stop"].as_str().unwrap().ends_with('Z'));
}

#[tokio::test]
async fn request_count_is_small_and_independent_of_backups() {
    let c = captured();
    let store = mem_store("pgbr-backups");
    inspect(&store, &c.repo_path, &c.stanza, Some(&c.cipher_pass))
        .await
        .unwrap();
    // 2 info GETs + archive-id LIST + one WAL directory LIST.
    assert_eq!(store.request_count(), 4);
    let store = mem_store("pgbr-empty");
    inspect(&store, &c.repo_path, &c.stanza, Some(&c.cipher_pass))
        .await
        .unwrap();
    // 4 GETs (info + .copy) + 2 LISTs of the stanza paths.
    assert_eq!(store.request_count(), 6);
}

fn copy_store(bucket: &str, f: impl Fn(&str, &mut MemStore)) -> MemStore {
    let c = captured();
    let mut store = mem_store(bucket);
    for key in info_keys(&c) {
        f(&key, &mut store);
    }
    store
}

#[tokio::test]
async fn falls_back_to_copy_like_pgbackrest() {
    let c = captured();
    let want = report("pgbr-backups").await;
    // Main files missing.
    let store = copy_store("pgbr-backups", |k, s| assert!(s.remove(k)));
    let r = inspect(&store, &c.repo_path, &c.stanza, Some(&c.cipher_pass))
        .await
        .unwrap();
    assert_eq!(r.backups, want.backups);
    assert_eq!(r.warnings.len(), 2);
    assert!(
        r.warnings
            .iter()
            .all(|w| w.contains("missing; used") && w.contains(".copy"))
    );
    // Main files truncated (an interrupted upload): unreadable, copy used, reason kept.
    let store = copy_store("pgbr-backups", |k, s| {
        s.insert(k, b"Salted__12345678".to_vec(), None)
    });
    let r = inspect(&store, &c.repo_path, &c.stanza, Some(&c.cipher_pass))
        .await
        .unwrap();
    assert_eq!(r.backups, want.backups);
    assert!(
        r.warnings
            .iter()
            .all(|w| w.contains("truncated ciphertext")),
        "{:?}",
        r.warnings
    );
    // Both bad: an error naming both files.
    let store = copy_store("pgbr-backups", |k, s| {
        s.insert(k, b"Salted__12345678".to_vec(), None);
        s.insert(format!("{k}.copy"), b"garbage".to_vec(), None);
    });
    let e = inspect(&store, &c.repo_path, &c.stanza, Some(&c.cipher_pass))
        .await
        .unwrap_err();
    let msg = e.to_string();
    assert!(
        msg.contains("archive.info") && msg.contains("truncated") && msg.contains("not encrypted"),
        "{msg}"
    );
}

#[tokio::test]
async fn wrong_passphrase_fails_inspection_clearly() {
    let c = captured();
    for bucket in ["pgbr-backups", "pgbr-stanza-only", "pgbr-wal-only"] {
        let store = mem_store(bucket);
        let e = inspect(
            &store,
            &c.repo_path,
            &c.stanza,
            Some(&Secret::new("not-the-pass")),
        )
        .await
        .unwrap_err();
        assert!(e.is_wrong_passphrase(), "{bucket}: {e}");
        let msg = e.to_string();
        assert!(
            msg.contains("archive.info") && msg.contains("passphrase is wrong"),
            "{msg}"
        );
        assert!(!msg.contains("not-the-pass"));
    }
    // No passphrase for an encrypted repository.
    let e = inspect(&mem_store("pgbr-backups"), &c.repo_path, &c.stanza, None)
        .await
        .unwrap_err();
    assert!(
        matches!(e, InspectError::InfoUnreadable { .. })
            && e.to_string().contains("no cipher passphrase"),
        "{e}"
    );
}

#[tokio::test]
async fn missing_stanza_data_is_detected() {
    let c = captured();
    // Info files gone, WAL left behind.
    let store = copy_store("pgbr-wal-only", |k, s| {
        s.remove(k);
        s.remove(&format!("{k}.copy"));
    });
    let r = inspect(&store, &c.repo_path, &c.stanza, Some(&c.cipher_pass))
        .await
        .unwrap();
    assert_eq!(r.status, StanzaStatus::MissingStanzaData);
    assert!(!r.stanza_exists);
    assert!(!decide_init(&r).is_allow());
    // Another stanza name in the same bucket does not exist.
    let r = inspect(
        &mem_store("pgbr-backups"),
        &c.repo_path,
        "other",
        Some(&c.cipher_pass),
    )
    .await
    .unwrap();
    assert_eq!(r.status, StanzaStatus::MissingStanzaPath);
    // A repo path with slashes in any form.
    let r = inspect(
        &mem_store("pgbr-backups"),
        "pgbackrest/repo1/",
        &c.stanza,
        Some(&c.cipher_pass),
    )
    .await
    .unwrap();
    assert_eq!(r.status, StanzaStatus::Ok);
    assert!(matches!(
        inspect(&mem_store("pgbr-backups"), "/", "a/b", None).await,
        Err(InspectError::InvalidStanza(_))
    ));
}

fn reason(d: Decision) -> String {
    match d {
        Decision::Refuse { reason } => reason,
        Decision::Allow => panic!("expected a refusal"),
    }
}

#[tokio::test]
async fn init_guard_on_real_states() {
    assert_eq!(decide_init(&report("pgbr-empty").await), Decision::Allow);
    let b = report("pgbr-backups").await;
    let msg = reason(decide_init(&b));
    let sys = b.db.as_ref().unwrap().system_id.to_string();
    assert!(
        msg.contains(&sys) && msg.contains(&b.backups[1].label) && msg.contains("restore"),
        "{msg}"
    );
    let msg = reason(decide_init(&report("pgbr-wal-only").await));
    assert!(
        msg.contains("no backups") && msg.contains("archived WAL") && msg.contains("028"),
        "{msg}"
    );
    let msg = reason(decide_init(&report("pgbr-stanza-only").await));
    assert!(msg.contains("no backups") && msg.contains("028"), "{msg}");
    assert!(!decide_init(&report("pgbr-plain").await).is_allow());
}

#[tokio::test]
async fn restore_guard_on_real_states() {
    let msg = reason(decide_restore(&report("pgbr-empty").await, None));
    assert!(
        msg.contains("nothing to restore") && msg.contains("missing stanza path"),
        "{msg}"
    );
    for b in ["pgbr-stanza-only", "pgbr-wal-only"] {
        let msg = reason(decide_restore(&report(b).await, None));
        assert!(
            msg.contains("no usable backup") && msg.contains("075"),
            "{b}: {msg}"
        );
    }
    let r = report("pgbr-backups").await;
    assert_eq!(decide_restore(&r, None), Decision::Allow);
    let first_stop = r.backups[0].stop;
    let wal_end = r.wal_archive.as_ref().unwrap().max_archived_at.unwrap();
    assert!(first_stop < wal_end);
    // Inside [end of oldest backup, newest WAL].
    assert_eq!(decide_restore(&r, Some(first_stop)), Decision::Allow);
    assert_eq!(decide_restore(&r, Some(wal_end)), Decision::Allow);
    // Before the oldest backup finished.
    let msg = reason(decide_restore(
        &r,
        Some(first_stop - SignedDuration::from_secs(1)),
    ));
    assert!(
        msg.contains("before the end of the oldest backup") && msg.contains(&r.backups[0].label),
        "{msg}"
    );
    // After the newest archived WAL.
    let late: Timestamp = wal_end + SignedDuration::from_secs(60);
    let msg = reason(decide_restore(&r, Some(late)));
    assert!(msg.contains("after the newest archived WAL"), "{msg}");
    // A backup but no WAL: only the backup itself can be restored.
    let p = report("pgbr-plain").await;
    assert_eq!(decide_restore(&p, None), Decision::Allow);
    let msg = reason(decide_restore(&p, Some(p.backups[0].stop)));
    assert!(msg.contains("no archived WAL"), "{msg}");
}

#[test]
fn mutated_info_files_never_panic() {
    let c = captured();
    let key = &info_keys(&c)[1];
    let enc = std::fs::read(fixtures_dir().join("pgbr-backups/objects").join(key)).unwrap();
    let plain = std::fs::read(fixtures_dir().join("pgbr-backups/decrypted/backup.info")).unwrap();
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let mut accepted = 0;
    for i in 0..3000 {
        let (src, pass) = if i % 2 == 0 {
            (&enc, Some(&c.cipher_pass))
        } else {
            (&plain, None)
        };
        let mut m = src.clone();
        match next() % 3 {
            0 => {
                let at = (next() as usize) % m.len();
                m[at] ^= 1 << (next() % 8);
            }
            1 => m.truncate((next() as usize) % m.len()),
            _ => {
                let at = (next() as usize) % m.len();
                m.insert(at, (next() % 256) as u8);
            }
        }
        if let Ok(ini) = info::decode_info(&m, pass, key) {
            // Only changes the checksum cannot see (e.g. whitespace) may pass.
            info::backup_info(&ini).unwrap();
            accepted += 1;
        }
    }
    assert!(accepted < 300, "{accepted} mutated files accepted");
}
