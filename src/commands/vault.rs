//! `stackbook vault …`: the file operations of `stackbook-secrets`, with recipients and keys
//! from the command line. Plaintext only ever goes to the file the user asked for or stdout.

use std::io::{Read, Write};
use std::path::Path;

use stackbook_secrets::SecretString;
use stackbook_secrets::age::{Recipient, parse_recipients_file};
use stackbook_secrets::ops::{self, EditOutcome, Editor, MigrateOutcome};

use crate::cli::{VaultAction, VaultArgs};

/// Runs the subcommand; returns the exit code.
pub fn run(args: VaultArgs) -> i32 {
    match execute(&args) {
        Ok(()) => 0,
        Err(message) => {
            eprintln!("[ERROR]: {message}");
            1
        }
    }
}

fn recipients(args: &VaultArgs) -> Result<Vec<Recipient>, String> {
    let mut recipients = Vec::new();
    for text in &args.recipient {
        recipients.push(Recipient::parse(text).map_err(|e| format!("recipient '{text}': {e}"))?);
    }
    for file in &args.recipients_file {
        recipients
            .extend(parse_recipients_file(file).map_err(|e| format!("{}: {e}", file.display()))?);
    }
    if args.passphrase {
        let passphrase = rpassword::prompt_password("Passphrase for the age vault: ")
            .map_err(|e| e.to_string())?;
        recipients.push(Recipient::Passphrase(SecretString::new(passphrase)));
    }
    Ok(recipients)
}

fn require(recipients: Vec<Recipient>, what: &str) -> Result<Vec<Recipient>, String> {
    if recipients.is_empty() {
        return Err(format!(
            "{what} needs --recipient, --recipients-file or --passphrase"
        ));
    }
    Ok(recipients)
}

fn execute(args: &VaultArgs) -> Result<(), String> {
    let (keys, _) = crate::secrets::load_keys(&args.secrets)?;
    let editor = Editor::from_env();
    match &args.action {
        VaultAction::Create { file } => {
            let recipients = require(recipients(args)?, "create")?;
            ops::create(file, &recipients, &editor).map_err(|e| e.to_string())?;
            eprintln!("created {}", file.display());
        }
        VaultAction::Encrypt { file, output } => {
            let recipients = require(recipients(args)?, "encrypt")?;
            ops::encrypt_file(file, output.as_deref(), &recipients).map_err(|e| e.to_string())?;
            eprintln!("Encryption successful");
        }
        VaultAction::Decrypt { file, output } => {
            if output.as_deref() == Some(Path::new("-")) {
                let plaintext = ops::view(file, &keys).map_err(|e| e.to_string())?;
                print_plaintext(&plaintext)?;
            } else {
                ops::decrypt_file(file, output.as_deref(), &keys).map_err(|e| e.to_string())?;
                eprintln!("Decryption successful");
            }
        }
        VaultAction::View { file } => {
            let plaintext = ops::view(file, &keys).map_err(|e| e.to_string())?;
            print_plaintext(&plaintext)?;
        }
        VaultAction::Edit { file } => {
            let recipients = recipients(args)?;
            match ops::edit(file, &keys, &recipients, &editor).map_err(|e| e.to_string())? {
                EditOutcome::Changed => eprintln!("{} re-encrypted", file.display()),
                EditOutcome::Unchanged => eprintln!("{} unchanged", file.display()),
            }
        }
        VaultAction::Rekey { file } => {
            let recipients = require(recipients(args)?, "rekey")?;
            ops::rekey(file, &keys, &recipients).map_err(|e| e.to_string())?;
            eprintln!("Rekey successful");
        }
        VaultAction::EncryptString { value, name } => {
            let recipients = require(recipients(args)?, "encrypt-string")?;
            let plaintext = match value {
                Some(value) => SecretString::new(value.clone()),
                None => {
                    let mut text = String::new();
                    std::io::stdin()
                        .read_to_string(&mut text)
                        .map_err(|e| e.to_string())?;
                    SecretString::new(text.trim_end_matches('\n').to_string())
                }
            };
            let snippet = ops::encrypt_string(&plaintext, name.as_deref(), &recipients)
                .map_err(|e| e.to_string())?;
            println!("{snippet}");
        }
        VaultAction::Migrate { file, output } => {
            let recipients = require(recipients(args)?, "migrate")?;
            match ops::migrate(file, output.as_deref(), &keys.ansible, &recipients)
                .map_err(|e| e.to_string())?
            {
                MigrateOutcome::WholeFile => eprintln!(
                    "{}: Ansible Vault file rewritten as an age vault",
                    file.display()
                ),
                MigrateOutcome::Inline(count) => eprintln!(
                    "{}: {count} !vault values rewritten as !age",
                    file.display()
                ),
            }
        }
    }
    Ok(())
}

/// `view` and `decrypt --output -` are the one place plaintext is meant to be shown.
fn print_plaintext(plaintext: &SecretString) -> Result<(), String> {
    let mut stdout = std::io::stdout().lock();
    stdout
        .write_all(plaintext.expose().as_bytes())
        .map_err(|e| e.to_string())?;
    stdout.flush().map_err(|e| e.to_string())
}
