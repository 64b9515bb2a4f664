//! Shared helpers for the integration tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use stackbook_secrets::SecretString;
use stackbook_secrets::age::{Identities, IdentitySources};
use stackbook_secrets::ansible::PasswordPrompt;

/// Path of a committed fixture.
pub fn fx(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(rel)
}

/// Reads a committed fixture as text.
pub fn fx_text(rel: &str) -> String {
    std::fs::read_to_string(fx(rel)).unwrap_or_else(|e| panic!("fixture {rel}: {e}"))
}

/// Identities from explicit files only (no environment).
pub fn ids(files: &[&str]) -> Identities {
    let sources = IdentitySources {
        files: files.iter().map(|f| fx(f)).collect(),
        ..IdentitySources::default()
    };
    Identities::load(&sources, None).expect("load identities")
}

/// The fixture passphrase.
pub fn passphrase() -> SecretString {
    SecretString::from(fx_text("keys/passphrase.txt"))
}

/// A prompt that answers with a fixed password and counts calls.
pub struct FixedPrompt(pub String, pub std::sync::atomic::AtomicUsize);

impl FixedPrompt {
    pub fn new(p: &str) -> Arc<Self> {
        Arc::new(Self(p.to_owned(), Default::default()))
    }
}

impl PasswordPrompt for FixedPrompt {
    fn prompt_password(&self, _vault_id: &str) -> std::io::Result<SecretString> {
        self.1.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        Ok(SecretString::from(self.0.as_str()))
    }
}

/// Finds an external tool for live tests. Missing: fail under `CI`, else
/// print a skip notice and return `None`.
pub fn tool(name: &str) -> Option<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect())
        .unwrap_or_default();
    // The shared oracle venv (scripts/oracle-env.sh at the repo root).
    dirs.push(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.oracle-venv/bin"));
    for d in dirs {
        let p = d.join(name);
        if p.is_file() {
            return Some(p);
        }
    }
    if std::env::var_os("CI").is_some() {
        panic!("{name} not found but CI is set; run crates/secrets/scripts/setup-oracles.sh first");
    }
    eprintln!("SKIP: {name} not installed (run crates/secrets/scripts/setup-oracles.sh)");
    None
}

/// Runs a command, asserting success, returning stdout.
pub fn run(cmd: &mut Command) -> Vec<u8> {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("spawn {cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// Mode bits of a path.
pub fn mode(p: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).expect("stat").permissions().mode() & 0o777
}
