//! Helpers for the module and CLI tests: the running pgBackRest S3 fixture (same skip/fail
//! rules as `live_s3.rs`), and a scratch directory removed on drop.

#![allow(dead_code)]

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The running fixture's settings (`fixture.env` + `stackbook-backups/plain.env`).
pub struct Fixture {
    env: HashMap<String, String>,
}

impl Fixture {
    /// A fixture variable.
    pub fn get(&self, k: &str) -> String {
        self.env
            .get(k)
            .cloned()
            .unwrap_or_else(|| panic!("fixture.env lacks {k}"))
    }

    /// An `s3.conf` as PGO's Secret holds it: keys and the cipher passphrase (when `encrypted`).
    pub fn s3_conf(&self, encrypted: bool) -> String {
        let mut s = format!(
            "[global]\nrepo1-s3-key={}\nrepo1-s3-key-secret={}\n",
            self.get("PGBR_S3_KEY"),
            self.get("PGBR_S3_KEY_SECRET")
        );
        if encrypted {
            s.push_str(&format!(
                "repo1-cipher-pass={}\n",
                self.get("PGBR_CIPHER_PASS")
            ));
        }
        s
    }

    /// Endpoint `host:port` as a PGO `repos[].s3.endpoint`.
    pub fn endpoint_host_port(&self) -> String {
        format!(
            "{}:{}",
            self.get("PGBR_S3_HOST"),
            self.get("PGBR_S3_TLS_PORT")
        )
    }
}

fn parse_env(path: &Path) -> HashMap<String, String> {
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

/// The running fixture, or `None` (skip, with a notice) — panics when `CI` is set.
pub fn fixture() -> Option<Fixture> {
    let dir = PathBuf::from(
        std::env::var("PGBR_FIXTURE_DIR").unwrap_or_else(|_| "/tmp/pgbr-fixture".to_owned()),
    );
    let unavailable = |why: String| {
        let msg = format!(
            "pgBackRest S3 fixture unavailable ({why}); run crates/backups/tests/setup-fixture.sh as root"
        );
        if std::env::var_os("CI").is_some() {
            panic!("{msg}");
        }
        eprintln!("SKIP: {msg}");
        None
    };
    let env_file = dir.join("fixture.env");
    let plain_env = dir.join("stackbook-backups/plain.env");
    if !env_file.is_file() || !plain_env.is_file() {
        return unavailable(format!(
            "{} or stackbook-backups/plain.env missing",
            env_file.display()
        ));
    }
    let mut env = parse_env(&env_file);
    env.extend(parse_env(&plain_env));
    let addr = format!(
        "{}:{}",
        env.get("PGBR_S3_HOST").cloned().unwrap_or_default(),
        env.get("PGBR_S3_TLS_PORT").cloned().unwrap_or_default()
    );
    let reachable = addr
        .parse()
        .ok()
        .is_some_and(|a| std::net::TcpStream::connect_timeout(&a, Duration::from_secs(2)).is_ok());
    if !reachable {
        return unavailable(format!("nothing listens on {addr}"));
    }
    Some(Fixture { env })
}

/// A unique scratch directory, removed on drop.
pub struct Scratch(pub PathBuf);

impl Scratch {
    /// Create `<tmp>/stackbook-backups-<tag>-<pid>-<n>`.
    pub fn new(tag: &str) -> Self {
        use std::sync::atomic::{AtomicU32, Ordering};
        static N: AtomicU32 = AtomicU32::new(0);
        let dir = std::env::temp_dir().join(format!(
            "stackbook-backups-{tag}-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }

    /// Write a file in the directory and return its path.
    pub fn write(&self, name: &str, text: &str) -> PathBuf {
        let p = self.0.join(name);
        std::fs::write(&p, text).unwrap();
        p
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
