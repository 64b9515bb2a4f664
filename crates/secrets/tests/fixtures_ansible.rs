//! Files and values made by the real `ansible-vault` (committed fixtures)
//! decrypt with ours; migration to age keeps the YAML around them.

mod common;

use common::{fx, fx_text, ids};
use stackbook_secrets::ansible::{
    self, AnsibleVaultError, PasswordSource, VaultIdSpec, VaultKeyring,
};
use stackbook_secrets::inline::{InlineTag, find_inline_values};
use stackbook_secrets::ops::{self, MigrateOutcome, VaultFileError};
use stackbook_secrets::{DecryptError, Keys};

fn spec(s: &str) -> VaultIdSpec {
    // `label@relative-fixture-path`
    let (label, path) = s.split_once('@').unwrap_or(("", s));
    VaultIdSpec::parse(&format!("{label}@{}", fx(path).display()))
}

fn ring(specs: &[&str]) -> VaultKeyring {
    let specs: Vec<VaultIdSpec> = specs.iter().map(|s| spec(s)).collect();
    VaultKeyring::load(&specs, None).expect("load keyring")
}

#[test]
fn whole_files_1_1_and_1_2() {
    let expected = fx_text("vars.yml");
    for (file, specs, used) in [
        (
            "ansible/vault-1.1.yml",
            vec!["ansible/pw-default.txt"],
            "default",
        ),
        (
            "ansible/vault-1.2-prod.yml",
            vec!["prod@ansible/pw-prod.txt"],
            "prod",
        ),
        // Label match first, even when listed last.
        (
            "ansible/vault-1.2-prod.yml",
            vec!["ansible/pw-default.txt", "prod@ansible/pw-prod.txt"],
            "prod",
        ),
        // Unlabelled fallback: a 1.2 file opens with a differently labelled secret.
        (
            "ansible/vault-1.2-prod.yml",
            vec!["dev@ansible/pw-prod.txt"],
            "dev",
        ),
        (
            "ansible/vault-script.yml",
            vec!["ansible/pw-script.sh"],
            "default",
        ),
        (
            "ansible/vault-client.yml",
            vec!["client@ansible/pw-vault-client.sh"],
            "client",
        ),
    ] {
        let d = ring(&specs)
            .decrypt(&fx_text(file))
            .unwrap_or_else(|e| panic!("{file}: {e}"));
        assert_eq!(d.plaintext.expose(), expected.as_bytes(), "{file}");
        assert_eq!(d.vault_id, used, "{file}");
    }
}

#[test]
fn password_files_are_stripped_like_ansible() {
    // pw-prod.txt is "  prod-fixture-password \r\n\n": whitespace stripped.
    let p = ansible::read_password_source(&fx("ansible/pw-prod.txt"), "prod").unwrap();
    assert_eq!(p.expose(), "prod-fixture-password");
    let p = ansible::read_password_source(&fx("ansible/pw-script.sh"), "x").unwrap();
    assert_eq!(p.expose(), "script-fixture-password");
    let err = ansible::read_password_source(&fx("ansible/pw-vault-client.sh"), "nope")
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("pw-vault-client.sh") && err.contains("vault-id=nope"),
        "{err}"
    );
    let err = ansible::read_password_source(&fx("ansible/missing.txt"), "x")
        .unwrap_err()
        .to_string();
    assert!(err.contains("missing.txt"), "{err}");
}

#[test]
fn prompt_source_uses_the_prompt_trait() {
    let prompt = common::FixedPrompt::new("default-fixture-password\n");
    let specs = vec![VaultIdSpec::ask()];
    assert_eq!(specs[0].source, PasswordSource::Prompt);
    let ring = VaultKeyring::load(&specs, Some(prompt.as_ref())).unwrap();
    let d = ring.decrypt(&fx_text("ansible/vault-1.1.yml")).unwrap();
    assert_eq!(d.plaintext.expose(), fx_text("vars.yml").as_bytes());
    let err = VaultKeyring::load(&specs, None).unwrap_err();
    assert!(matches!(err, AnsibleVaultError::Prompt { .. }), "{err}");
}

#[test]
fn inline_values_from_encrypt_string() {
    let yaml = fx_text("ansible/inline.yml");
    let keys = Keys::new(
        Default::default(),
        ring(&["ansible/pw-default.txt", "prod@ansible/pw-prod.txt"]),
    );
    let values = keys.decrypt_inline_values(&yaml).unwrap();
    let got: Vec<(String, String)> = values
        .iter()
        .map(|(v, s)| (v.key.clone().unwrap_or_default(), s.expose().to_owned()))
        .collect();
    let want: Vec<(String, String)> = ["s3_secret_key", "pgbackrest_cipher_pass", "ssl_key"]
        .iter()
        .map(|k| (k.to_string(), fx_text(&format!("ansible/values/{k}"))))
        .collect();
    assert_eq!(got, want);
}

#[test]
fn wrong_password_names_the_failure_and_never_returns_garbage() {
    let keys = Keys::new(Default::default(), ring(&["ansible/pw-prod.txt"]));
    let err = keys
        .decrypt_text(fx_text("ansible/vault-1.1.yml").as_bytes())
        .unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("HMAC verification failed"), "{msg}");
    assert!(
        !msg.contains("prod-fixture-password") && !msg.contains("AKIA"),
        "{msg}"
    );
    // Inline failures name the line and key.
    let yaml = fx_text("ansible/inline.yml");
    let err = keys.decrypt_inline_values(&yaml).unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, DecryptError::Inline { line: 3, .. }), "{msg}");
    assert!(msg.contains("s3_secret_key"), "{msg}");
}

#[test]
fn tampered_truncated_and_unknown_formats() {
    let r = ring(&["ansible/pw-default.txt"]);
    let text = fx_text("ansible/vault-1.1.yml");
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    // Flip one hex digit in the last line (ciphertext part).
    let last = lines.len() - 1;
    let mut chars: Vec<char> = lines[last].chars().collect();
    chars[2] = if chars[2] == '3' { '4' } else { '3' };
    lines[last] = chars.into_iter().collect();
    let tampered = lines.join("\n");
    assert!(r.decrypt(&tampered).is_err());
    let truncated: String = text.lines().take(5).collect::<Vec<_>>().join("\n");
    let err = r.decrypt(&truncated).unwrap_err();
    assert!(matches!(err, AnsibleVaultError::Format(_)), "{err}");
    let bad_version = text.replacen("1.1", "9.9", 1);
    assert!(matches!(
        r.decrypt(&bad_version),
        Err(AnsibleVaultError::UnsupportedVersion(_))
    ));
    let keys = Keys::new(Default::default(), r);
    assert!(matches!(
        keys.decrypt_bytes(b"just: yaml\n"),
        Err(DecryptError::UnknownFormat)
    ));
}

#[test]
fn migrate_inline_vault_yaml_to_age_preserving_structure() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("vault.yml");
    let recipients =
        stackbook_secrets::age::parse_recipients_file(&fx("keys/recipient.txt")).unwrap();
    let keyring = ring(&["ansible/pw-default.txt", "prod@ansible/pw-prod.txt"]);
    let outcome =
        ops::migrate(&fx("ansible/inline.yml"), Some(&out), &keyring, &recipients).unwrap();
    assert_eq!(outcome, MigrateOutcome::Inline(3));
    assert_eq!(common::mode(&out), 0o600);
    let migrated = std::fs::read_to_string(&out).unwrap();
    assert!(!migrated.contains("$ANSIBLE_VAULT"));
    // Everything that is not an encrypted value is byte-identical.
    let strip = |s: &str, tag: InlineTag| {
        let mut kept = String::new();
        let mut pos = 0;
        for v in find_inline_values(s) {
            assert_eq!(v.tag, tag);
            kept.push_str(&s[pos..v.header_range.start]);
            pos = v.body_range.end;
        }
        kept.push_str(&s[pos..]);
        kept
    };
    assert_eq!(
        strip(&migrated, InlineTag::Age),
        strip(&fx_text("ansible/inline.yml"), InlineTag::Vault)
    );
    let keys = Keys::new(ids(&["keys/identity.txt"]), VaultKeyring::new());
    let values = keys.decrypt_inline_values(&migrated).unwrap();
    assert_eq!(values.len(), 3);
    for (v, s) in values {
        let key = v.key.unwrap();
        assert_eq!(
            s.expose(),
            fx_text(&format!("ansible/values/{key}")),
            "{key}"
        );
    }
}

#[test]
fn migrate_whole_file_and_refusals() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("vault.yml.age");
    let recipients =
        stackbook_secrets::age::parse_recipients_file(&fx("keys/recipient.txt")).unwrap();
    let keyring = ring(&["prod@ansible/pw-prod.txt"]);
    let outcome = ops::migrate(
        &fx("ansible/vault-1.2-prod.yml"),
        Some(&out),
        &keyring,
        &recipients,
    )
    .unwrap();
    assert_eq!(outcome, MigrateOutcome::WholeFile);
    let keys = Keys::new(ids(&["keys/identity.txt"]), VaultKeyring::new());
    assert_eq!(
        ops::view(&out, &keys).unwrap().expose(),
        fx_text("vars.yml")
    );
    // Nothing to migrate / already age / wrong password: errors name the file.
    let err = ops::migrate(&fx("vars.yml"), Some(&out), &keyring, &recipients).unwrap_err();
    assert!(
        matches!(err, VaultFileError::NothingToMigrate { .. }),
        "{err}"
    );
    let err = ops::migrate(&out, None, &keyring, &recipients).unwrap_err();
    assert!(err.to_string().contains("vault.yml.age"), "{err}");
    let err = ops::migrate(
        &fx("ansible/vault-1.1.yml"),
        Some(&out),
        &keyring,
        &recipients,
    )
    .unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.contains("vault-1.1.yml") && msg.contains("HMAC"),
        "{msg}"
    );
}

#[test]
fn ops_view_and_decrypt_handle_ansible_vault_files() {
    let keys = Keys::new(Default::default(), ring(&["ansible/pw-default.txt"]));
    let got = ops::view(&fx("ansible/vault-1.1.yml"), &keys).unwrap();
    assert_eq!(got.expose(), fx_text("vars.yml"));
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("plain.yml");
    let format = ops::decrypt_file(&fx("ansible/vault-1.1.yml"), Some(&out), &keys).unwrap();
    assert_eq!(format, stackbook_secrets::VaultFormat::AnsibleVault);
    assert_eq!(std::fs::read_to_string(&out).unwrap(), fx_text("vars.yml"));
    assert_eq!(common::mode(&out), 0o600);
}
