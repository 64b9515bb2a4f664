//! Vault file operations: permissions, atomic writes, and `edit` leaving no
//! plaintext behind on success or failure.

mod common;

use std::path::{Path, PathBuf};

use common::{fx, fx_text, ids, mode};
use stackbook_secrets::age::{Identities, Recipient, parse_recipients_file};
use stackbook_secrets::ansible::VaultKeyring;
use stackbook_secrets::inline::find_inline_values;
use stackbook_secrets::ops::{self, EditOutcome, Editor, VaultFileError};
use stackbook_secrets::{Keys, SecretString, VaultFormat};

fn recipients() -> Vec<Recipient> {
    parse_recipients_file(&fx("keys/recipient.txt")).unwrap()
}

fn keys() -> Keys {
    Keys::new(ids(&["keys/identity.txt"]), VaultKeyring::new())
}

/// An editor script that records the temp file's path and modes into `log`
/// and then runs `action` (shell, `$1` = file).
fn editor(dir: &Path, action: &str) -> (Editor, PathBuf) {
    let log = dir.join("editor.log");
    let script = dir.join("fake-editor.sh");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\nprintf '%s\\n' \"$1\" > '{log}'\nstat -c '%a' \"$1\" \"$(dirname \"$1\")\" >> '{log}'\n{action}\n",
            log = log.display()
        ),
    )
    .unwrap();
    (Editor::new(format!("sh '{}'", script.display())), log)
}

/// Asserts the editor saw a 0600 file in a 0700 dir, and both are gone.
fn assert_temp_cleaned(log: &Path) {
    let log = std::fs::read_to_string(log).expect("editor ran");
    let mut lines = log.lines();
    let file = PathBuf::from(lines.next().unwrap());
    assert_eq!(lines.next(), Some("600"), "temp file mode");
    assert_eq!(lines.next(), Some("700"), "temp dir mode");
    assert!(
        !file.exists(),
        "plaintext temp file left behind: {}",
        file.display()
    );
    assert!(!file.parent().unwrap().exists(), "temp dir left behind");
}

fn new_vault(dir: &Path, content: &str) -> PathBuf {
    let path = dir.join("vault.yml");
    std::fs::write(&path, content).unwrap();
    ops::encrypt_file(&path, None, &recipients()).unwrap();
    path
}

#[test]
fn encrypt_decrypt_view_round_trip_with_0600() {
    let dir = tempfile::tempdir().unwrap();
    let path = new_vault(dir.path(), "a: 1\n");
    assert_eq!(mode(&path), 0o600);
    let data = std::fs::read(&path).unwrap();
    assert_eq!(VaultFormat::detect(&data), VaultFormat::Age);
    assert_eq!(ops::view(&path, &keys()).unwrap().expose(), "a: 1\n");
    let err = ops::encrypt_file(&path, None, &recipients()).unwrap_err();
    assert!(
        matches!(err, VaultFileError::AlreadyEncrypted { .. }),
        "{err}"
    );
    let out = dir.path().join("plain.yml");
    ops::decrypt_file(&path, Some(&out), &keys()).unwrap();
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "a: 1\n");
    assert_eq!(mode(&out), 0o600);
    let err = ops::decrypt_file(&out, None, &keys()).unwrap_err();
    assert!(matches!(err, VaultFileError::NotEncrypted { .. }), "{err}");
    // No leftover temp files from the atomic writes.
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert!(
        names.iter().all(|n| !n.starts_with(".stackbook-vault-")),
        "{names:?}"
    );
}

#[test]
fn edit_changed_reencrypts_and_cleans_up() {
    let dir = tempfile::tempdir().unwrap();
    let path = new_vault(dir.path(), "a: 1\n");
    let (ed, log) = editor(dir.path(), "echo 'b: 2' >> \"$1\"");
    let before = std::fs::read(&path).unwrap();
    assert_eq!(
        ops::edit(&path, &keys(), &recipients(), &ed).unwrap(),
        EditOutcome::Changed
    );
    assert_temp_cleaned(&log);
    assert_ne!(std::fs::read(&path).unwrap(), before);
    assert_eq!(mode(&path), 0o600);
    assert_eq!(ops::view(&path, &keys()).unwrap().expose(), "a: 1\nb: 2\n");
}

#[test]
fn edit_unchanged_does_not_rewrite() {
    let dir = tempfile::tempdir().unwrap();
    let path = new_vault(dir.path(), "a: 1\n");
    let (ed, log) = editor(dir.path(), "true");
    let before = std::fs::read(&path).unwrap();
    assert_eq!(
        ops::edit(&path, &keys(), &recipients(), &ed).unwrap(),
        EditOutcome::Unchanged
    );
    assert_temp_cleaned(&log);
    assert_eq!(std::fs::read(&path).unwrap(), before);
}

#[test]
fn edit_failure_leaves_vault_and_no_plaintext() {
    let dir = tempfile::tempdir().unwrap();
    let path = new_vault(dir.path(), "canary: s3cr3t-canary-value\n");
    let (ed, log) = editor(dir.path(), "echo changed >> \"$1\"; exit 3");
    let before = std::fs::read(&path).unwrap();
    let err = ops::edit(&path, &keys(), &recipients(), &ed).unwrap_err();
    assert!(matches!(err, VaultFileError::Editor { .. }), "{err}");
    let msg = err.to_string();
    assert!(
        msg.contains("vault.yml") && !msg.contains("canary-value"),
        "{msg}"
    );
    assert_temp_cleaned(&log);
    assert_eq!(std::fs::read(&path).unwrap(), before);
}

#[test]
fn edit_needs_recipients_unless_passphrase_and_checks_before_editing() {
    let dir = tempfile::tempdir().unwrap();
    let path = new_vault(dir.path(), "a: 1\n");
    let (ed, log) = editor(dir.path(), "echo x >> \"$1\"");
    let err = ops::edit(&path, &keys(), &[], &ed).unwrap_err();
    assert!(matches!(err, VaultFileError::NoRecipients { .. }), "{err}");
    assert!(!log.exists(), "editor must not run");

    // A passphrase vault is re-encrypted with the same passphrase.
    let pass = SecretString::from("edit-test passphrase");
    let ppath = dir.path().join("pass.yml");
    std::fs::write(&ppath, "p: 1\n").unwrap();
    ops::encrypt_file(&ppath, None, &[Recipient::Passphrase(pass.clone())]).unwrap();
    let mut ids = Identities::new();
    ids.set_passphrase(pass);
    let pkeys = Keys::new(ids, VaultKeyring::new());
    assert_eq!(
        ops::edit(&ppath, &pkeys, &[], &ed).unwrap(),
        EditOutcome::Changed
    );
    assert_eq!(ops::view(&ppath, &pkeys).unwrap().expose(), "p: 1\nx\n");
}

#[test]
fn create_refuses_existing_and_writes_new() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("new.yml");
    let (ed, log) = editor(dir.path(), "echo 'created: true' > \"$1\"");
    assert_eq!(
        ops::create(&path, &recipients(), &ed).unwrap(),
        EditOutcome::Changed
    );
    assert_temp_cleaned(&log);
    assert_eq!(mode(&path), 0o600);
    assert_eq!(
        ops::view(&path, &keys()).unwrap().expose(),
        "created: true\n"
    );
    let err = ops::create(&path, &recipients(), &ed).unwrap_err();
    assert!(matches!(err, VaultFileError::AlreadyExists { .. }), "{err}");
}

#[test]
fn rekey_whole_and_inline() {
    let dir = tempfile::tempdir().unwrap();
    let path = new_vault(dir.path(), "a: 1\n");
    let ssh: Vec<Recipient> = parse_recipients_file(&fx("keys/ssh_ed25519.pub")).unwrap();
    ops::rekey(&path, &keys(), &ssh).unwrap();
    let ssh_keys = Keys::new(ids(&["keys/ssh_ed25519"]), VaultKeyring::new());
    assert_eq!(ops::view(&path, &ssh_keys).unwrap().expose(), "a: 1\n");
    assert!(
        ops::view(&path, &keys()).is_err(),
        "old identity must no longer work"
    );

    let inline = dir.path().join("inline.yml");
    std::fs::copy(fx("age/inline.yml"), &inline).unwrap();
    ops::rekey(&inline, &keys(), &ssh).unwrap();
    let text = std::fs::read_to_string(&inline).unwrap();
    let values = ssh_keys.decrypt_inline_values(&text).unwrap();
    assert_eq!(values.len(), 3);
    assert_eq!(
        values[0].1.expose(),
        fx_text("age/inline.value.s3_secret_key")
    );
    assert!(text.starts_with("# plain YAML with age-encrypted values"));
}

#[test]
fn encrypt_string_snippet_round_trips() {
    let secret = SecretString::from("p@ss: \"w0rd\"\nline2");
    let snippet = ops::encrypt_string(&secret, Some("db_password"), &recipients()).unwrap();
    assert!(snippet.starts_with("db_password: !age |\n  -----BEGIN AGE ENCRYPTED FILE-----\n"));
    let doc = format!("x: 1\n{snippet}y: 2\n");
    let values = keys().decrypt_inline_values(&doc).unwrap();
    assert_eq!(values.len(), 1);
    assert_eq!(values[0].1.expose(), secret.expose());
    assert_eq!(
        find_inline_values(&doc)[0].key.as_deref(),
        Some("db_password")
    );
    let err = ops::encrypt_string(&secret, None, &[]).unwrap_err();
    assert!(err.to_string().contains("no age recipients"), "{err}");
}

#[test]
fn missing_and_bad_files_name_the_path() {
    let err = ops::view(Path::new("/nonexistent/dir/vault.yml"), &keys()).unwrap_err();
    assert!(
        err.to_string().contains("/nonexistent/dir/vault.yml"),
        "{err}"
    );
    let err = ops::view(
        &fx("age/x25519.yml.age"),
        &Keys::new(ids(&["keys/other-identity.txt"]), VaultKeyring::new()),
    )
    .unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.contains("x25519.yml.age") && msg.contains("other-identity.txt"),
        "{msg}"
    );
}

#[test]
fn symlinked_vault_is_written_through() {
    let dir = tempfile::tempdir().unwrap();
    let real = new_vault(dir.path(), "a: 1\n");
    let link = dir.path().join("link.yml");
    std::os::unix::fs::symlink(&real, &link).unwrap();
    ops::rekey(&link, &keys(), &recipients()).unwrap();
    assert!(
        std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert_eq!(ops::view(&real, &keys()).unwrap().expose(), "a: 1\n");
    assert_eq!(mode(&real), 0o600);
}
