//! Vault passwords and the order in which they are tried.
//!
//! Mirrors Ansible's `--vault-password-file`, `--vault-id label@source` and
//! `--ask-vault-pass`: a password file is read and stripped like Ansible does
//! (surrounding whitespace, then CR/LF); an *executable* password file is run
//! and its stdout used (scripts named `*-client[.ext]` get `--vault-id
//! <label>`, exit code 2 meaning "unknown id"); `prompt` asks through the
//! caller-supplied [`PasswordPrompt`]. Decryption tries the secrets whose
//! label matches the 1.2 header first, then (unless strict matching is on)
//! every other secret in the order given — exactly Ansible's rule.

use std::fmt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use zeroize::Zeroizing;

use super::{AnsibleVaultError, DEFAULT_VAULT_ID, cipher, envelope};
use crate::prompt::PasswordPrompt;
use crate::secret::{SecretBytes, SecretString};

/// Where one vault password comes from.
#[derive(Clone, PartialEq, Eq)]
pub enum PasswordSource {
    /// Ask through the [`PasswordPrompt`].
    Prompt,
    /// A password file, or an executable password script.
    File(PathBuf),
    /// A password already in memory (tests, embedding).
    Literal(SecretString),
}

impl fmt::Debug for PasswordSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Prompt => f.write_str("Prompt"),
            Self::File(p) => f.debug_tuple("File").field(p).finish(),
            Self::Literal(s) => f.debug_tuple("Literal").field(s).finish(),
        }
    }
}

/// One `--vault-id`: a label and a password source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VaultIdSpec {
    /// The vault id label (`default` when none was given).
    pub label: String,
    /// Where the password comes from.
    pub source: PasswordSource,
}

impl VaultIdSpec {
    /// Parses `--vault-id` syntax: `label@source` or just `source`, where
    /// `source` is `prompt` or a file path (split at the first `@`, as
    /// Ansible does).
    pub fn parse(spec: &str) -> Self {
        let (label, source) = match spec.split_once('@') {
            Some((label, source)) => (label, source),
            None => ("", spec),
        };
        let label = if label.is_empty() {
            DEFAULT_VAULT_ID
        } else {
            label
        };
        let source = if source == "prompt" {
            PasswordSource::Prompt
        } else {
            PasswordSource::File(PathBuf::from(source))
        };
        Self {
            label: label.to_owned(),
            source,
        }
    }

    /// `--vault-password-file FILE` (label `default`).
    pub fn password_file(path: impl Into<PathBuf>) -> Self {
        Self {
            label: DEFAULT_VAULT_ID.to_owned(),
            source: PasswordSource::File(path.into()),
        }
    }

    /// `--ask-vault-pass` (label `default`).
    pub fn ask() -> Self {
        Self {
            label: DEFAULT_VAULT_ID.to_owned(),
            source: PasswordSource::Prompt,
        }
    }
}

/// The result of a successful Ansible Vault decryption.
#[derive(Debug)]
pub struct AnsibleDecrypted {
    /// The plaintext bytes.
    pub plaintext: SecretBytes,
    /// Label of the secret that worked.
    pub vault_id: String,
}

/// An ordered set of labelled vault passwords.
#[derive(Debug, Default, Clone)]
pub struct VaultKeyring {
    secrets: Vec<(String, SecretString)>,
    strict_label_match: bool,
}

impl VaultKeyring {
    /// An empty keyring.
    pub fn new() -> Self {
        Self::default()
    }

    /// Resolves every spec now (files read, scripts run, prompts shown), in
    /// order, as Ansible does at start-up.
    pub fn load(
        specs: &[VaultIdSpec],
        prompt: Option<&dyn PasswordPrompt>,
    ) -> Result<Self, AnsibleVaultError> {
        let mut ring = Self::new();
        for spec in specs {
            let password = match &spec.source {
                PasswordSource::Literal(s) => s.clone(),
                PasswordSource::File(path) => read_password_source(path, &spec.label)?,
                PasswordSource::Prompt => {
                    let prompt = prompt.ok_or_else(|| AnsibleVaultError::Prompt {
                        vault_id: spec.label.clone(),
                        detail: "no interactive prompt available".to_owned(),
                    })?;
                    let raw = prompt.prompt_password(&spec.label).map_err(|e| {
                        AnsibleVaultError::Prompt {
                            vault_id: spec.label.clone(),
                            detail: e.to_string(),
                        }
                    })?;
                    let trimmed = SecretString::from(raw.expose().trim());
                    if trimmed.is_empty() {
                        return Err(AnsibleVaultError::EmptyPassword {
                            source_desc: format!("prompt for vault id {}", spec.label),
                        });
                    }
                    trimmed
                }
            };
            ring.add(&spec.label, password);
        }
        Ok(ring)
    }

    /// Adds a password under `label`.
    pub fn add(&mut self, label: &str, password: SecretString) {
        self.secrets.push((label.to_owned(), password));
    }

    /// With strict matching (Ansible's `DEFAULT_VAULT_ID_MATCH`), a labelled
    /// vault is only tried with secrets of the same label.
    pub fn set_strict_label_match(&mut self, strict: bool) {
        self.strict_label_match = strict;
    }

    /// Whether no password is loaded.
    pub fn is_empty(&self) -> bool {
        self.secrets.is_empty()
    }

    /// The labels, in try order for an unlabelled vault.
    pub fn labels(&self) -> Vec<&str> {
        self.secrets.iter().map(|(l, _)| l.as_str()).collect()
    }

    /// The secret `ansible-vault encrypt` would pick: the first one.
    pub fn encrypt_secret(&self) -> Option<(&str, &SecretString)> {
        self.secrets.first().map(|(l, s)| (l.as_str(), s))
    }

    /// Decrypts a whole vault text or an inline `!vault` body.
    pub fn decrypt(&self, vaulttext: &str) -> Result<AnsibleDecrypted, AnsibleVaultError> {
        let env = envelope::parse(vaulttext)?;
        cipher::validate_body(&env.body)?;
        if self.secrets.is_empty() {
            return Err(AnsibleVaultError::NoSecrets);
        }
        let mut order: Vec<&(String, SecretString)> = Vec::with_capacity(self.secrets.len());
        if let Some(id) = &env.vault_id {
            order.extend(self.secrets.iter().filter(|(l, _)| l == id));
        }
        if !self.strict_label_match {
            order.extend(
                self.secrets
                    .iter()
                    .filter(|(l, _)| env.vault_id.as_deref() != Some(l.as_str())),
            );
        }
        let mut tried = Vec::new();
        for (label, password) in order {
            match cipher::decrypt_body(&env.body, password.expose().as_bytes()) {
                Ok(plaintext) => {
                    return Ok(AnsibleDecrypted {
                        plaintext,
                        vault_id: label.clone(),
                    });
                }
                Err(AnsibleVaultError::HmacMismatch) => tried.push(label.clone()),
                Err(other) => return Err(other),
            }
        }
        Err(AnsibleVaultError::NoMatchingSecret {
            vault_id: env.vault_id,
            tried,
        })
    }
}

/// Reads one password file, or runs it when it is executable.
pub fn read_password_source(path: &Path, label: &str) -> Result<SecretString, AnsibleVaultError> {
    let meta = std::fs::metadata(path).map_err(|e| AnsibleVaultError::PasswordFile {
        path: path.to_path_buf(),
        detail: e.to_string(),
    })?;
    if meta.is_dir() {
        return Err(AnsibleVaultError::PasswordFile {
            path: path.to_path_buf(),
            detail: "is a directory".to_owned(),
        });
    }
    if is_executable(&meta) {
        return run_password_script(path, label);
    }
    let raw = Zeroizing::new(
        std::fs::read(path).map_err(|e| AnsibleVaultError::PasswordFile {
            path: path.to_path_buf(),
            detail: e.to_string(),
        })?,
    );
    let stripped = strip_crlf(raw.trim_ascii());
    finish_password(stripped, || format!("password file {}", path.display()))
}

fn finish_password(
    bytes: &[u8],
    source_desc: impl FnOnce() -> String,
) -> Result<SecretString, AnsibleVaultError> {
    if bytes.is_empty() {
        return Err(AnsibleVaultError::EmptyPassword {
            source_desc: source_desc(),
        });
    }
    SecretString::from_utf8(SecretBytes::new(bytes.to_vec())).ok_or_else(|| {
        AnsibleVaultError::PasswordFile {
            path: PathBuf::from(source_desc()),
            detail: "password is not valid UTF-8".to_owned(),
        }
    })
}

fn strip_crlf(mut b: &[u8]) -> &[u8] {
    while let [b'\r' | b'\n', rest @ ..] = b {
        b = rest;
    }
    while let [rest @ .., b'\r' | b'\n'] = b {
        b = rest;
    }
    b
}

#[cfg(unix)]
fn is_executable(meta: &std::fs::Metadata) -> bool {
    use std::os::unix::fs::PermissionsExt;
    meta.permissions().mode() & 0o111 != 0
}

#[cfg(not(unix))]
fn is_executable(_meta: &std::fs::Metadata) -> bool {
    false
}

/// Ansible's rule: `foo-client` or `foo-client.<ext>` is a client script.
fn is_client_script(path: &Path) -> bool {
    path.file_stem()
        .and_then(|s| s.to_str())
        .is_some_and(|s| s.ends_with("-client"))
}

const VAULT_ID_UNKNOWN_RC: i32 = 2;

fn run_password_script(path: &Path, label: &str) -> Result<SecretString, AnsibleVaultError> {
    let client = is_client_script(path);
    let mut cmd = Command::new(path);
    if client {
        cmd.arg("--vault-id").arg(label);
        cmd.stderr(Stdio::piped());
    } else {
        // Like Ansible, leave stderr alone so scripts can prompt on it.
        cmd.stderr(Stdio::inherit());
    }
    cmd.stdin(Stdio::inherit()).stdout(Stdio::piped());
    let out = cmd.output().map_err(|e| AnsibleVaultError::Script {
        path: path.to_path_buf(),
        detail: format!("could not run it ({e}); if it is not a script, remove its executable bit"),
    })?;
    let stdout = Zeroizing::new(out.stdout);
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr);
        let stderr: String = stderr.trim().chars().take(500).collect();
        let detail = match out.status.code() {
            Some(VAULT_ID_UNKNOWN_RC) if client => {
                format!("did not find a secret for vault-id={label}: {stderr}")
            }
            Some(code) => format!("exited with status {code}: {stderr}"),
            None => format!("was killed by a signal: {stderr}"),
        };
        return Err(AnsibleVaultError::Script {
            path: path.to_path_buf(),
            detail,
        });
    }
    finish_password(strip_crlf(&stdout), || {
        format!("password script {}", path.display())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_vault_id_specs() {
        let s = VaultIdSpec::parse("prod@/tmp/pw");
        assert_eq!(s.label, "prod");
        assert_eq!(s.source, PasswordSource::File("/tmp/pw".into()));
        let s = VaultIdSpec::parse("@prompt");
        assert_eq!(s.label, "default");
        assert_eq!(s.source, PasswordSource::Prompt);
        let s = VaultIdSpec::parse("dev@prompt");
        assert_eq!(
            (s.label.as_str(), &s.source),
            ("dev", &PasswordSource::Prompt)
        );
        let s = VaultIdSpec::parse("pwfile");
        assert_eq!(s.label, "default");
    }

    #[test]
    fn strips_like_ansible() {
        assert_eq!(strip_crlf(b"\r\npw\r\n"), b"pw");
        assert_eq!(strip_crlf(b"p w"), b"p w");
        assert!(is_client_script(Path::new("/x/vault-pass-client.py")));
        assert!(is_client_script(Path::new("vault-pass-client")));
        assert!(!is_client_script(Path::new("vault-pass.sh")));
    }
}
