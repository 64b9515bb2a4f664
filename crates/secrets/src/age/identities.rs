//! Where age private keys come from.
//!
//! stackbook reads identities from every configured place and tries them
//! all, like `age -i a -i b` and sops do: explicit `--age-identity` files
//! (in order), `$STACKBOOK_AGE_IDENTITY`, `$SOPS_AGE_KEY_FILE`, the
//! `$SOPS_AGE_KEY` value, and the sops default
//! `${XDG_CONFIG_HOME:-~/.config}/sops/age/keys.txt`. Explicitly named files
//! must exist (a typo must not silently fall back); only the implicit
//! default location is skipped when absent. Identity files may hold
//! `AGE-SECRET-KEY-…` lines with `#` comments, or be an OpenSSH/PEM SSH
//! private key. A passphrase (scrypt) identity can be set or prompted for.

use std::ffi::OsString;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use zeroize::Zeroizing;

use super::AgeVaultError;
use crate::prompt::PasswordPrompt;
use crate::secret::SecretString;

/// Environment variable naming an identity file (stackbook's own).
pub const ENV_IDENTITY: &str = "STACKBOOK_AGE_IDENTITY";
/// sops' environment variable naming an identity file.
pub const ENV_SOPS_KEY_FILE: &str = "SOPS_AGE_KEY_FILE";
/// sops' environment variable holding identities inline.
pub const ENV_SOPS_KEY: &str = "SOPS_AGE_KEY";

/// The highest scrypt work factor accepted when decrypting (the age CLI's
/// own limit), so files made on fast machines still open in debug builds.
const MAX_SCRYPT_WORK_FACTOR: u8 = 22;

/// Where to look for identities. Build with [`IdentitySources::from_env`]
/// in the CLI, or fill the fields directly in tests.
#[derive(Debug, Clone, Default)]
pub struct IdentitySources {
    /// `--age-identity FILE`, repeatable; must exist.
    pub files: Vec<PathBuf>,
    /// `$STACKBOOK_AGE_IDENTITY`; must exist when set.
    pub env_identity: Option<PathBuf>,
    /// `$SOPS_AGE_KEY_FILE`; must exist when set.
    pub sops_key_file: Option<PathBuf>,
    /// `$SOPS_AGE_KEY`: identity lines inline.
    pub sops_key: Option<SecretString>,
    /// The sops default keys file; skipped when absent.
    pub default_keys_file: Option<PathBuf>,
}

impl IdentitySources {
    /// The explicit files plus everything the process environment names.
    pub fn from_env(files: Vec<PathBuf>) -> Self {
        Self::from_vars(files, |k| std::env::var_os(k))
    }

    /// Like [`IdentitySources::from_env`] with a custom variable lookup
    /// (tests, or an environment captured elsewhere).
    pub fn from_vars(files: Vec<PathBuf>, lookup: impl Fn(&str) -> Option<OsString>) -> Self {
        let var = |k: &str| lookup(k).filter(|v| !v.is_empty());
        let config_home = var("XDG_CONFIG_HOME")
            .map(PathBuf::from)
            .or_else(|| var("HOME").map(|h| PathBuf::from(h).join(".config")));
        Self {
            files,
            env_identity: var(ENV_IDENTITY).map(PathBuf::from),
            sops_key_file: var(ENV_SOPS_KEY_FILE).map(PathBuf::from),
            sops_key: var(ENV_SOPS_KEY)
                .and_then(|v| v.into_string().ok())
                .filter(|v| !v.trim().is_empty())
                .map(SecretString::from),
            default_keys_file: config_home.map(|c| c.join("sops").join("age").join("keys.txt")),
        }
    }
}

/// A set of age identities (plus an optional passphrase) used to decrypt.
#[derive(Default)]
pub struct Identities {
    keys: Vec<Box<dyn age::Identity + Send + Sync>>,
    passphrase: Option<SecretString>,
    prompt: Option<Arc<dyn PasswordPrompt>>,
    sources: Vec<String>,
}

impl fmt::Debug for Identities {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Identities")
            .field("keys", &self.keys.len())
            .field("sources", &self.sources)
            .field("passphrase", &self.passphrase.as_ref().map(|_| crate::MASK))
            .finish()
    }
}

impl Identities {
    /// An empty set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Loads identities from every configured source, in the documented
    /// order. An empty result is not an error here; decryption reports it.
    /// `prompt` (optional) unlocks passphrase-protected SSH keys and asks for
    /// the passphrase of passphrase-encrypted files.
    pub fn load(
        sources: &IdentitySources,
        prompt: Option<Arc<dyn PasswordPrompt>>,
    ) -> Result<Self, AgeVaultError> {
        let mut ids = Self::new();
        ids.prompt = prompt;
        for f in &sources.files {
            ids.add_file(f)?;
        }
        if let Some(f) = &sources.env_identity {
            ids.add_file(f).map_err(|e| e.context(ENV_IDENTITY))?;
        }
        if let Some(f) = &sources.sops_key_file {
            ids.add_file(f).map_err(|e| e.context(ENV_SOPS_KEY_FILE))?;
        }
        if let Some(k) = &sources.sops_key {
            ids.add_text(k.expose(), ENV_SOPS_KEY)?;
        }
        if let Some(f) = &sources.default_keys_file {
            if f.is_file() {
                ids.add_file(f)?;
            }
        }
        Ok(ids)
    }

    /// Sets the passphrase tried on passphrase-encrypted (scrypt) files.
    pub fn set_passphrase(&mut self, passphrase: SecretString) {
        self.passphrase = Some(passphrase);
    }

    /// A prompt used for passphrase-encrypted files when no passphrase is
    /// set, and for passphrase-protected SSH keys added *after* this call.
    pub fn set_prompt(&mut self, prompt: Arc<dyn PasswordPrompt>) {
        self.prompt = Some(prompt);
    }

    /// Adds a native X25519 identity.
    pub fn add_x25519(&mut self, identity: age::x25519::Identity) {
        self.keys.push(Box::new(identity));
        self.sources.push("in-memory X25519 key".to_owned());
    }

    /// Adds the identities in `path` (an age identity file or an SSH private
    /// key); returns how many were added.
    pub fn add_file(&mut self, path: &Path) -> Result<usize, AgeVaultError> {
        let err = |detail: String| AgeVaultError::IdentityFile {
            path: path.to_path_buf(),
            detail,
        };
        let meta = std::fs::metadata(path).map_err(|e| err(e.to_string()))?;
        if meta.is_dir() {
            return Err(err("is a directory".to_owned()));
        }
        let raw = Zeroizing::new(std::fs::read(path).map_err(|e| err(e.to_string()))?);
        let text = std::str::from_utf8(&raw).map_err(|_| err("is not UTF-8 text".to_owned()))?;
        let label = path.display().to_string();
        self.add_text(text, &label).map_err(|e| match e {
            AgeVaultError::IdentityFile { detail, .. } => err(detail),
            other => other,
        })
    }

    /// Adds identities from text (identity-file or SSH private key format).
    /// `label` names the source in errors.
    pub fn add_text(&mut self, text: &str, label: &str) -> Result<usize, AgeVaultError> {
        let err = |detail: String| AgeVaultError::IdentityFile {
            path: PathBuf::from(label),
            detail,
        };
        let trimmed = text.trim_start();
        if trimmed.starts_with("-----BEGIN AGE ENCRYPTED FILE-----")
            || trimmed.starts_with("age-encryption.org/")
        {
            return Err(err(
                "passphrase-encrypted identity files are not supported; decrypt it with `age -d` first"
                    .to_owned(),
            ));
        }
        if trimmed.starts_with("-----BEGIN") {
            return self.add_ssh(text, label).map(|()| 1);
        }
        // Files edited on Windows: age's parser would keep the `\r`.
        let text: Zeroizing<String> = Zeroizing::new(text.replace("\r\n", "\n"));
        let file = age::IdentityFile::from_buffer(text.as_bytes())
            .map_err(|e| err(scrub_label(&e.to_string())))?;
        let keys = file
            .into_identities()
            .map_err(|e| err(format!("cannot use identity: {e}")))?;
        if keys.is_empty() {
            return Err(err("contains no `AGE-SECRET-KEY-…` identity".to_owned()));
        }
        let n = keys.len();
        self.keys.extend(keys);
        self.sources.push(label.to_owned());
        Ok(n)
    }

    fn add_ssh(&mut self, text: &str, label: &str) -> Result<(), AgeVaultError> {
        let err = |detail: String| AgeVaultError::IdentityFile {
            path: PathBuf::from(label),
            detail,
        };
        let id = age::ssh::Identity::from_buffer(text.as_bytes(), Some(label.to_owned()))
            .map_err(|e| err(format!("not a usable SSH private key: {e}")))?;
        match id {
            age::ssh::Identity::Unencrypted(_) => self.keys.push(Box::new(id)),
            age::ssh::Identity::Encrypted(_) => {
                let Some(prompt) = self.prompt.clone() else {
                    return Err(err(
                        "SSH key is passphrase-protected and no prompt is available".to_owned(),
                    ));
                };
                self.keys
                    .push(Box::new(id.with_callbacks(PromptCallbacks(prompt))));
            }
            age::ssh::Identity::Unsupported(_) => {
                return Err(err(
                    "unsupported SSH key (only unencrypted or bcrypt-protected ed25519/RSA OpenSSH keys)"
                        .to_owned(),
                ));
            }
        }
        self.sources.push(label.to_owned());
        Ok(())
    }

    /// Whether neither keys nor a passphrase (or prompt) are available.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty() && self.passphrase.is_none() && self.prompt.is_none()
    }

    /// Human-readable list of where the keys came from (no key material).
    pub fn sources(&self) -> &[String] {
        &self.sources
    }

    /// Resolves a passphrase for a scrypt file: the set one, else the prompt.
    pub(crate) fn passphrase_or_prompt(&self) -> Result<Option<SecretString>, AgeVaultError> {
        if let Some(p) = &self.passphrase {
            return Ok(Some(p.clone()));
        }
        match &self.prompt {
            Some(prompt) => prompt
                .prompt_password("age passphrase")
                .map(Some)
                .map_err(|e| AgeVaultError::Passphrase(e.to_string())),
            None => Ok(None),
        }
    }

    pub(crate) fn scrypt_identity(passphrase: &SecretString) -> age::scrypt::Identity {
        let mut id = age::scrypt::Identity::new(passphrase.to_age());
        id.set_max_work_factor(MAX_SCRYPT_WORK_FACTOR);
        id
    }

    pub(crate) fn keys(&self) -> impl Iterator<Item = &dyn age::Identity> {
        self.keys.iter().map(|k| k.as_ref() as &dyn age::Identity)
    }
}

/// age's identity-file errors embed no key material (only line numbers), but
/// drop any `identity file <name>` prefix since we add the path ourselves.
fn scrub_label(msg: &str) -> String {
    msg.strip_prefix("identity file ").unwrap_or(msg).to_owned()
}

/// Adapts our prompt trait to age's callbacks (passphrase-protected SSH keys).
#[derive(Clone)]
struct PromptCallbacks(Arc<dyn PasswordPrompt>);

impl age::Callbacks for PromptCallbacks {
    fn display_message(&self, _message: &str) {}

    fn confirm(&self, _message: &str, _yes: &str, _no: Option<&str>) -> Option<bool> {
        None
    }

    fn request_public_string(&self, _description: &str) -> Option<String> {
        None
    }

    fn request_passphrase(&self, description: &str) -> Option<age::secrecy::SecretString> {
        self.0.prompt_password(description).ok().map(|p| p.to_age())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[test]
    fn identity_text_with_comments_and_crlf() {
        let key = age::x25519::Identity::generate();
        let text = format!(
            "# created: today\r\n# public key: {}\r\n{}\r\n\r\n",
            key.to_public(),
            age::secrecy::ExposeSecret::expose_secret(&key.to_string())
        );
        let mut ids = Identities::new();
        assert_eq!(ids.add_text(&text, "crlf.txt").unwrap(), 1);
        let err = ids.add_text("# only comments\n", "empty.txt").unwrap_err();
        assert!(err.to_string().contains("empty.txt"), "{err}");
    }

    #[test]
    fn sources_from_variables() {
        let vars: HashMap<&str, &str> = [
            ("HOME", "/home/u"),
            (ENV_IDENTITY, "/keys/stackbook.txt"),
            (ENV_SOPS_KEY_FILE, ""),
        ]
        .into();
        let s = IdentitySources::from_vars(vec!["a.txt".into()], |k| vars.get(k).map(Into::into));
        assert_eq!(s.files, vec![PathBuf::from("a.txt")]);
        assert_eq!(s.env_identity, Some(PathBuf::from("/keys/stackbook.txt")));
        assert_eq!(s.sops_key_file, None, "empty variables are unset");
        assert!(s.sops_key.is_none());
        assert_eq!(
            s.default_keys_file,
            Some(PathBuf::from("/home/u/.config/sops/age/keys.txt"))
        );
        let xdg: HashMap<&str, &str> = [("XDG_CONFIG_HOME", "/xdg"), ("HOME", "/home/u")].into();
        let s = IdentitySources::from_vars(vec![], |k| xdg.get(k).map(Into::into));
        assert_eq!(
            s.default_keys_file,
            Some(PathBuf::from("/xdg/sops/age/keys.txt"))
        );
    }
}
