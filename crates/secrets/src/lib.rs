//! Vaults and secrets for stackbook.
//!
//! Production playbooks load vaulted `vars_files` and print a lot of output;
//! this crate makes the first easy and the second leak-proof:
//!
//! * [`secret`]: [`SecretString`]/[`SecretBytes`], zeroised on drop and
//!   printed as `********`.
//! * [`age`]: stackbook's vault format (ASCII-armored age, as a
//!   whole file or as `!age |` values), recipients (X25519, SSH, passphrase)
//!   and identity discovery (`--age-identity`, `STACKBOOK_AGE_IDENTITY`,
//!   `SOPS_AGE_KEY_FILE`, `SOPS_AGE_KEY`, `~/.config/sops/age/keys.txt`).
//! * [`ansible`]: Ansible Vault 1.1/1.2 (`$ANSIBLE_VAULT`, `!vault |`) with
//!   password files, password scripts, `--vault-id label@source` and prompts.
//! * [`inline`]: finds `!vault`/`!age` block scalars in YAML text and
//!   rewrites them without disturbing the rest of the file.
//! * [`keys`]: [`Keys`], one decryption context over both formats.
//! * [`ops`]: the file operations behind `stackbook vault
//!   create|encrypt|decrypt|view|edit|rekey|encrypt-string|migrate`.
//! * [`redact`]: [`Redactor`], which every output sink runs its text through.
//! * [`prompt`]: [`PasswordPrompt`], the CLI-supplied interactive prompt.
//!
//! ```
//! use stackbook_secrets::age::{Identities, Recipient, decrypt_age_armored, encrypt_age_armored};
//! use stackbook_secrets::Redactor;
//!
//! let key = age::x25519::Identity::generate();
//! let armored = encrypt_age_armored(b"s3cr3t-value", &[Recipient::X25519(key.to_public())])?;
//! let mut ids = Identities::new();
//! ids.add_x25519(key);
//! let plain = decrypt_age_armored(&armored, &ids)?;
//! assert_eq!(format!("{plain:?}"), "********");
//!
//! let redactor = Redactor::new();
//! redactor.add_secret(&plain);
//! assert_eq!(redactor.redact("password=s3cr3t-value"), "password=********");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod age;
pub mod ansible;
pub mod inline;
pub mod keys;
pub mod ops;
pub mod prompt;
pub mod redact;
pub mod secret;

/// The upstream `age` crate, re-exported because its key types appear in
/// this crate's API ([`age::Recipient::X25519`](crate::age::Recipient)).
pub use ::age as age_crate;
pub use keys::{DecryptError, Keys, VaultFormat};
pub use prompt::PasswordPrompt;
pub use redact::Redactor;
pub use secret::{MASK, Secret, SecretBytes, SecretString};
