//! The file operations behind `stackbook vault …`.
//!
//! Every function takes paths and already-loaded [`Keys`]/recipients, and
//! returns errors that name the file. Two invariants hold everywhere:
//! vault files are written atomically (temp file in the same directory,
//! fsync, rename) with mode 0600; and plaintext only touches disk in
//! [`edit`]/[`create`], inside a fresh 0700 directory, in a 0600 file that is
//! overwritten and removed on every exit path (including errors and panics,
//! through `Drop`).

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::Command;

use zeroize::Zeroizing;

use crate::age::{self, AgeVaultError, Recipient};
use crate::ansible::VaultKeyring;
use crate::inline::{InlineTag, format_tagged_block, rewrite_inline_values};
use crate::keys::{DecryptError, Keys, VaultFormat};
use crate::secret::{SecretBytes, SecretString};

/// Errors of vault file operations; each names the file involved.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum VaultFileError {
    /// Reading failed.
    #[error("cannot read {}: {source}", .path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Cause.
        source: io::Error,
    },
    /// Writing failed.
    #[error("cannot write {}: {source}", .path.display())]
    Write {
        /// The file.
        path: PathBuf,
        /// Cause.
        source: io::Error,
    },
    /// Decryption failed.
    #[error("cannot decrypt {}: {source}", .path.display())]
    Decrypt {
        /// The file.
        path: PathBuf,
        /// Cause.
        source: DecryptError,
    },
    /// Encryption failed.
    #[error("cannot encrypt {}: {source}", .path.display())]
    Encrypt {
        /// The file (or `<string>` for encrypt-string).
        path: PathBuf,
        /// Cause.
        source: AgeVaultError,
    },
    /// `create` target exists.
    #[error("{} already exists", .path.display())]
    AlreadyExists {
        /// The file.
        path: PathBuf,
    },
    /// `encrypt` input is already a vault.
    #[error("{} is already encrypted ({format:?})", .path.display())]
    AlreadyEncrypted {
        /// The file.
        path: PathBuf,
        /// Its format.
        format: VaultFormat,
    },
    /// The input is not encrypted.
    #[error("{} is not an encrypted vault (no age armor or `$ANSIBLE_VAULT` header)", .path.display())]
    NotEncrypted {
        /// The file.
        path: PathBuf,
    },
    /// The operation does not apply to this kind of file.
    #[error("{}: {detail}", .path.display())]
    Unsupported {
        /// The file.
        path: PathBuf,
        /// Why.
        detail: String,
    },
    /// `migrate` found nothing to migrate.
    #[error("{} contains no Ansible Vault data (whole-file or `!vault` values) to migrate", .path.display())]
    NothingToMigrate {
        /// The file.
        path: PathBuf,
    },
    /// Re-encryption needs recipients.
    #[error("{}: no age recipients given (use --recipient or --recipients-file)", .path.display())]
    NoRecipients {
        /// The file.
        path: PathBuf,
    },
    /// The editor failed; the vault was left unchanged.
    #[error("editor `{command}` failed ({detail}); {} left unchanged", .path.display())]
    Editor {
        /// The vault file.
        path: PathBuf,
        /// The editor command.
        command: String,
        /// Exit status or spawn error.
        detail: String,
    },
    /// The private temporary directory could not be set up.
    #[error("cannot create a private temporary file: {0}")]
    Temp(io::Error),
}

/// Result of [`edit`] / [`create`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EditOutcome {
    /// The plaintext changed and the vault was re-encrypted.
    Changed,
    /// Nothing changed; the vault file was not rewritten.
    Unchanged,
}

/// Result of [`migrate`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MigrateOutcome {
    /// A whole Ansible Vault file became a whole age vault.
    WholeFile,
    /// This many `!vault` values became `!age` values.
    Inline(usize),
}

/// The editor to run: `$VISUAL`, else `$EDITOR`, else `vi`. The command is
/// run through `sh -c` so values like `code --wait` work as in Ansible.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Editor {
    command: String,
}

impl Editor {
    /// A specific editor command line.
    pub fn new(command: impl Into<String>) -> Self {
        Self {
            command: command.into(),
        }
    }

    /// `$VISUAL`, `$EDITOR`, or `vi`.
    pub fn from_env() -> Self {
        let pick = |k| {
            std::env::var(k)
                .ok()
                .filter(|v: &String| !v.trim().is_empty())
        };
        Self::new(
            pick("VISUAL")
                .or_else(|| pick("EDITOR"))
                .unwrap_or_else(|| "vi".to_owned()),
        )
    }

    /// The command line.
    pub fn command(&self) -> &str {
        &self.command
    }

    fn run(&self, file: &Path, vault: &Path) -> Result<(), VaultFileError> {
        let err = |detail: String| VaultFileError::Editor {
            path: vault.to_path_buf(),
            command: self.command.clone(),
            detail,
        };
        let status = Command::new("sh")
            .arg("-c")
            .arg(format!("{} \"$1\"", self.command))
            .arg("stackbook-editor")
            .arg(file)
            .status()
            .map_err(|e| err(e.to_string()))?;
        if status.success() {
            Ok(())
        } else {
            Err(err(status.to_string()))
        }
    }
}

fn read(path: &Path) -> Result<Zeroizing<Vec<u8>>, VaultFileError> {
    fs::read(path)
        .map(Zeroizing::new)
        .map_err(|source| VaultFileError::Read {
            path: path.to_path_buf(),
            source,
        })
}

/// Writes `data` to `path` atomically with mode 0600: a temp file in the same
/// directory, fsync, rename over the target, fsync of the directory. A
/// symlinked vault (`group_vars/all/vault.yml -> ../../vaults/…`) is written
/// through: its target is replaced, the link is kept.
pub fn write_private_atomic(path: &Path, data: &[u8]) -> io::Result<()> {
    let resolved;
    let path = if fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink()) {
        resolved = fs::canonicalize(path)?;
        resolved.as_path()
    } else {
        path
    };
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let mut tmp = tempfile::Builder::new()
        .prefix(".stackbook-vault-")
        .suffix(".tmp")
        .tempfile_in(&dir)?;
    set_mode(tmp.as_file(), 0o600)?;
    tmp.write_all(data)?;
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    if let Ok(d) = File::open(&dir) {
        // Best effort: not every filesystem supports fsync on directories.
        let _ = d.sync_all();
    }
    Ok(())
}

#[cfg(unix)]
fn set_mode(file: &File, mode: u32) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    file.set_permissions(fs::Permissions::from_mode(mode))
}

#[cfg(not(unix))]
fn set_mode(_file: &File, _mode: u32) -> io::Result<()> {
    Ok(())
}

fn write(path: &Path, data: &[u8]) -> Result<(), VaultFileError> {
    write_private_atomic(path, data).map_err(|source| VaultFileError::Write {
        path: path.to_path_buf(),
        source,
    })
}

fn encrypt_for(
    path: &Path,
    plaintext: &[u8],
    recipients: &[Recipient],
) -> Result<String, VaultFileError> {
    age::encrypt_age_armored(plaintext, recipients).map_err(|source| VaultFileError::Encrypt {
        path: path.to_path_buf(),
        source,
    })
}

fn decrypt_err(path: &Path) -> impl FnOnce(DecryptError) -> VaultFileError + '_ {
    move |source| VaultFileError::Decrypt {
        path: path.to_path_buf(),
        source,
    }
}

/// `vault encrypt-string`: encrypts one value and returns a YAML snippet
/// `name: !age |` + armored block (or a bare `!age |` block without name).
pub fn encrypt_string(
    plaintext: &SecretString,
    name: Option<&str>,
    recipients: &[Recipient],
) -> Result<String, VaultFileError> {
    let armored = encrypt_for(
        Path::new("<string>"),
        plaintext.expose().as_bytes(),
        recipients,
    )?;
    Ok(format_tagged_block(name, InlineTag::Age, &armored))
}

/// `vault encrypt`: encrypts a plaintext file to an age vault, in place or
/// into `output`.
pub fn encrypt_file(
    path: &Path,
    output: Option<&Path>,
    recipients: &[Recipient],
) -> Result<(), VaultFileError> {
    let data = read(path)?;
    let format = VaultFormat::detect(&data);
    if format != VaultFormat::Plain {
        return Err(VaultFileError::AlreadyEncrypted {
            path: path.to_path_buf(),
            format,
        });
    }
    let armored = encrypt_for(path, &data, recipients)?;
    write(output.unwrap_or(path), armored.as_bytes())
}

/// `vault decrypt`: writes the plaintext (mode 0600) in place or into
/// `output`. Works for age and Ansible Vault files.
pub fn decrypt_file(
    path: &Path,
    output: Option<&Path>,
    keys: &Keys,
) -> Result<VaultFormat, VaultFileError> {
    let (plain, format) = decrypt_whole(path, keys)?;
    write(output.unwrap_or(path), plain.expose())?;
    Ok(format)
}

/// `vault view`: returns the decrypted content (age or Ansible Vault).
pub fn view(path: &Path, keys: &Keys) -> Result<SecretString, VaultFileError> {
    let (plain, _) = decrypt_whole(path, keys)?;
    SecretString::from_utf8(plain).ok_or_else(|| VaultFileError::Decrypt {
        path: path.to_path_buf(),
        source: DecryptError::NotUtf8,
    })
}

fn decrypt_whole(path: &Path, keys: &Keys) -> Result<(SecretBytes, VaultFormat), VaultFileError> {
    let data = read(path)?;
    if VaultFormat::detect(&data) == VaultFormat::Plain {
        return Err(VaultFileError::NotEncrypted {
            path: path.to_path_buf(),
        });
    }
    keys.decrypt_bytes(&data).map_err(decrypt_err(path))
}

/// `vault rekey`: re-encrypts to new recipients. A whole age (or Ansible)
/// vault becomes an age vault for `recipients`; a YAML file with `!age`
/// values gets each value re-encrypted in place.
pub fn rekey(path: &Path, keys: &Keys, recipients: &[Recipient]) -> Result<(), VaultFileError> {
    if recipients.is_empty() {
        return Err(VaultFileError::NoRecipients {
            path: path.to_path_buf(),
        });
    }
    let data = read(path)?;
    if VaultFormat::detect(&data) != VaultFormat::Plain {
        let (plain, _) = keys.decrypt_bytes(&data).map_err(decrypt_err(path))?;
        let armored = encrypt_for(path, plain.expose(), recipients)?;
        return write(path, armored.as_bytes());
    }
    let text = utf8(path, &data)?;
    let (out, n) = rewrite_inline_values(text, |v| {
        if v.tag != InlineTag::Age {
            return Ok(None);
        }
        let plain = keys
            .decrypt_tagged(v.tag, &v.body)
            .map_err(|e| inline_err(path, v, e))?;
        let armored = encrypt_for(path, plain.expose().as_bytes(), recipients)?;
        Ok(Some((InlineTag::Age, armored)))
    })?;
    if n == 0 {
        return Err(VaultFileError::NotEncrypted {
            path: path.to_path_buf(),
        });
    }
    write(path, out.as_bytes())
}

fn utf8<'a>(path: &Path, data: &'a [u8]) -> Result<&'a str, VaultFileError> {
    std::str::from_utf8(data).map_err(|_| VaultFileError::Unsupported {
        path: path.to_path_buf(),
        detail: "not UTF-8 text".to_owned(),
    })
}

fn inline_err(path: &Path, v: &crate::inline::InlineValue, e: DecryptError) -> VaultFileError {
    VaultFileError::Decrypt {
        path: path.to_path_buf(),
        source: DecryptError::Inline {
            line: v.line,
            key: v.key.clone(),
            source: Box::new(e),
        },
    }
}

/// `vault migrate`: turns an Ansible Vault file into an age vault, or every
/// `!vault` value of a YAML file into an `!age` value (the rest of the YAML
/// is kept byte for byte). Writes in place or into `output`.
pub fn migrate(
    path: &Path,
    output: Option<&Path>,
    keyring: &VaultKeyring,
    recipients: &[Recipient],
) -> Result<MigrateOutcome, VaultFileError> {
    if recipients.is_empty() {
        return Err(VaultFileError::NoRecipients {
            path: path.to_path_buf(),
        });
    }
    let data = read(path)?;
    let dest = output.unwrap_or(path);
    match VaultFormat::detect(&data) {
        VaultFormat::Age => Err(VaultFileError::Unsupported {
            path: path.to_path_buf(),
            detail: "already an age vault".to_owned(),
        }),
        VaultFormat::AnsibleVault => {
            let text = utf8(path, &data)?;
            let plain = keyring
                .decrypt(text)
                .map_err(|e| decrypt_err(path)(DecryptError::Ansible(e)))?;
            let armored = encrypt_for(path, plain.plaintext.expose(), recipients)?;
            write(dest, armored.as_bytes())?;
            Ok(MigrateOutcome::WholeFile)
        }
        VaultFormat::Plain => {
            let text = utf8(path, &data)?;
            let (out, n) = rewrite_inline_values(text, |v| {
                if v.tag != InlineTag::Vault {
                    return Ok(None);
                }
                let plain = keyring
                    .decrypt(&v.body)
                    .map_err(|e| inline_err(path, v, DecryptError::Ansible(e)))?;
                let armored = encrypt_for(path, plain.plaintext.expose(), recipients)?;
                Ok(Some((InlineTag::Age, armored)))
            })?;
            if n == 0 {
                return Err(VaultFileError::NothingToMigrate {
                    path: path.to_path_buf(),
                });
            }
            write(dest, out.as_bytes())?;
            Ok(MigrateOutcome::Inline(n))
        }
    }
}

/// A plaintext file in a private 0700 directory; overwritten with zeros and
/// removed (with its directory and anything an editor left there) on drop.
struct PlainTemp {
    dir: Option<tempfile::TempDir>,
    file: PathBuf,
}

impl PlainTemp {
    fn new(vault: &Path, contents: &[u8]) -> Result<Self, VaultFileError> {
        let dir = tempfile::Builder::new()
            .prefix("stackbook-vault-")
            .tempdir()
            .map_err(VaultFileError::Temp)?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o700))
                .map_err(VaultFileError::Temp)?;
        }
        // Keep the vault's file name so editors pick the right syntax.
        let name = vault
            .file_name()
            .map_or_else(|| "vault.yml".into(), |n| n.to_os_string());
        let file = dir.path().join(name);
        let guard = Self {
            dir: Some(dir),
            file,
        };
        let mut opts = OpenOptions::new();
        opts.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(0o600);
        }
        let mut f = opts.open(&guard.file).map_err(VaultFileError::Temp)?;
        f.write_all(contents).map_err(VaultFileError::Temp)?;
        f.sync_all().map_err(VaultFileError::Temp)?;
        Ok(guard)
    }
}

impl Drop for PlainTemp {
    fn drop(&mut self) {
        if let Ok(meta) = fs::metadata(&self.file) {
            if let Ok(mut f) = OpenOptions::new().write(true).open(&self.file) {
                let zeros = vec![0u8; usize::try_from(meta.len()).unwrap_or(0)];
                let _ = f.write_all(&zeros).and_then(|()| f.sync_all());
            }
        }
        if let Some(dir) = self.dir.take() {
            let _ = dir.close();
        }
    }
}

/// Runs the editor on a private copy of `initial` and returns the result.
fn edit_plaintext(
    vault: &Path,
    initial: &[u8],
    editor: &Editor,
) -> Result<Zeroizing<Vec<u8>>, VaultFileError> {
    let temp = PlainTemp::new(vault, initial)?;
    editor.run(&temp.file, vault)?;
    let edited =
        fs::read(&temp.file)
            .map(Zeroizing::new)
            .map_err(|source| VaultFileError::Read {
                path: temp.file.clone(),
                source,
            })?;
    drop(temp);
    Ok(edited)
}

/// `vault create`: opens the editor on an empty private file and writes the
/// result as a new age vault (refuses to overwrite an existing file).
pub fn create(
    path: &Path,
    recipients: &[Recipient],
    editor: &Editor,
) -> Result<EditOutcome, VaultFileError> {
    if path.exists() {
        return Err(VaultFileError::AlreadyExists {
            path: path.to_path_buf(),
        });
    }
    if recipients.is_empty() {
        return Err(VaultFileError::NoRecipients {
            path: path.to_path_buf(),
        });
    }
    let edited = edit_plaintext(path, b"", editor)?;
    let armored = encrypt_for(path, &edited, recipients)?;
    write(path, armored.as_bytes())?;
    Ok(EditOutcome::Changed)
}

/// `vault edit`: decrypts an age vault into a private temp file, runs the
/// editor, and re-encrypts only if the content changed. With no
/// `recipients`, a passphrase-encrypted vault is re-encrypted with the same
/// passphrase; a public-key vault needs `recipients` (age files do not
/// record them), checked before the editor starts.
pub fn edit(
    path: &Path,
    keys: &Keys,
    recipients: &[Recipient],
    editor: &Editor,
) -> Result<EditOutcome, VaultFileError> {
    let data = read(path)?;
    match VaultFormat::detect(&data) {
        VaultFormat::Age => {}
        VaultFormat::AnsibleVault => {
            return Err(VaultFileError::Unsupported {
                path: path.to_path_buf(),
                detail: "is an Ansible Vault; run `stackbook vault migrate` first".to_owned(),
            });
        }
        VaultFormat::Plain => {
            return Err(VaultFileError::NotEncrypted {
                path: path.to_path_buf(),
            });
        }
    }
    let (plain, targets) = if recipients.is_empty() {
        if !age::is_passphrase_encrypted(&data) {
            return Err(VaultFileError::NoRecipients {
                path: path.to_path_buf(),
            });
        }
        let pass = keys
            .age
            .passphrase_or_prompt()
            .and_then(|p| p.ok_or(AgeVaultError::NeedsPassphrase))
            .map_err(|e| decrypt_err(path)(DecryptError::Age(e)))?;
        let mut ids = age::Identities::new();
        ids.set_passphrase(pass.clone());
        let plain = age::decrypt_age(&data, &ids).map_err(|e| decrypt_err(path)(e.into()))?;
        (plain, vec![Recipient::Passphrase(pass)])
    } else {
        let (plain, _) = keys.decrypt_bytes(&data).map_err(decrypt_err(path))?;
        (plain, recipients.to_vec())
    };
    let edited = edit_plaintext(path, plain.expose(), editor)?;
    if edited.as_slice() == plain.expose() {
        return Ok(EditOutcome::Unchanged);
    }
    let armored = encrypt_for(path, &edited, &targets)?;
    write(path, armored.as_bytes())?;
    Ok(EditOutcome::Changed)
}
