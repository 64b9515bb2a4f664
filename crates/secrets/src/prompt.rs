//! Interactive password entry, supplied by the caller.
//!
//! The library never touches a terminal itself: the CLI implements
//! [`PasswordPrompt`] (hidden TTY input) and passes it in, so tests and
//! non-interactive runs can supply answers or refuse cleanly.

use crate::secret::SecretString;

/// Supplies passwords interactively: `--ask-vault-pass`,
/// `--vault-id label@prompt`, age passphrases and passphrase-protected SSH
/// keys all go through it.
pub trait PasswordPrompt: Send + Sync {
    /// Asks for a password. `what` is the Ansible vault id (`default` when
    /// unlabelled), `age passphrase`, or age's description of an SSH key.
    fn prompt_password(&self, what: &str) -> std::io::Result<SecretString>;
}
