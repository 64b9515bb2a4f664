//! Turning the vault command-line options into keys: Ansible Vault password sources, age
//! identities, and a hidden-input terminal prompt for `--ask-vault-pass` and passphrases.

use std::sync::Arc;

use stackbook_secrets::age::{Identities, IdentitySources};
use stackbook_secrets::ansible::{VaultIdSpec, VaultKeyring};
use stackbook_secrets::{Keys, PasswordPrompt, SecretString};

use crate::cli::VaultSecretArgs;

/// Asks on the terminal without echo; refuses when there is no terminal.
struct TerminalPrompt;

impl PasswordPrompt for TerminalPrompt {
    fn prompt_password(&self, what: &str) -> std::io::Result<SecretString> {
        rpassword::prompt_password(format!("Vault password ({what}): ")).map(SecretString::new)
    }
}

/// The keys the options describe, and whether any source was configured at all.
pub fn load_keys(args: &VaultSecretArgs) -> Result<(Keys, bool), String> {
    let prompt: Arc<dyn PasswordPrompt> = Arc::new(TerminalPrompt);
    let mut specs: Vec<VaultIdSpec> = args
        .vault_password_file
        .iter()
        .map(VaultIdSpec::password_file)
        .collect();
    specs.extend(args.vault_id.iter().map(|spec| VaultIdSpec::parse(spec)));
    if args.ask_vault_pass {
        specs.push(VaultIdSpec::ask());
    }
    let keyring =
        VaultKeyring::load(&specs, Some(prompt.as_ref())).map_err(|error| error.to_string())?;
    let sources = IdentitySources::from_env(args.age_identity.clone());
    let identities = Identities::load(&sources, Some(prompt)).map_err(|error| error.to_string())?;
    let configured = !keyring.is_empty() || !identities.is_empty();
    Ok((Keys::new(identities, keyring), configured))
}
