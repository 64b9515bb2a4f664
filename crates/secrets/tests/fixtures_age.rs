//! Files made by the real `age` CLI (committed fixtures) decrypt with ours.

mod common;

use common::{fx, fx_text, ids, passphrase};
use stackbook_secrets::age::{
    AgeVaultError, Identities, IdentitySources, decrypt_age, decrypt_age_armored,
};
use stackbook_secrets::inline::InlineTag;
use stackbook_secrets::{Keys, VaultFormat};

#[test]
fn age_cli_files_decrypt_with_each_identity_kind() {
    let expected = fx_text("vars.yml");
    for (file, key) in [
        ("age/x25519.yml.age", "keys/identity.txt"),
        ("age/ssh_ed25519.yml.age", "keys/ssh_ed25519"),
        ("age/ssh_rsa.yml.age", "keys/ssh_rsa"),
        ("age/multi.yml.age", "keys/identity.txt"),
        ("age/multi.yml.age", "keys/ssh_ed25519"),
    ] {
        let got = decrypt_age_armored(&fx_text(file), &ids(&[key]))
            .unwrap_or_else(|e| panic!("{file} with {key}: {e}"));
        assert_eq!(got.expose(), expected, "{file} with {key}");
    }
}

#[test]
fn binary_age_file_decrypts() {
    let data = std::fs::read(fx("age/binary.yml.age")).unwrap();
    assert_eq!(VaultFormat::detect(&data), VaultFormat::Age);
    let got = decrypt_age(&data, &ids(&["keys/identity.txt"])).unwrap();
    assert_eq!(got.expose(), fx_text("vars.yml").as_bytes());
}

#[test]
fn passphrase_file_from_age_cli() {
    let mut ids = Identities::new();
    ids.set_passphrase(passphrase());
    let got = decrypt_age_armored(&fx_text("age/passphrase.yml.age"), &ids).unwrap();
    assert_eq!(got.expose(), fx_text("vars.yml"));

    let mut wrong = Identities::new();
    wrong.set_passphrase("not it".into());
    let err = decrypt_age_armored(&fx_text("age/passphrase.yml.age"), &wrong).unwrap_err();
    assert!(matches!(err, AgeVaultError::WrongPassphrase), "{err}");
    let err =
        decrypt_age_armored(&fx_text("age/passphrase.yml.age"), &Identities::new()).unwrap_err();
    assert!(matches!(err, AgeVaultError::NeedsPassphrase), "{err}");
}

#[test]
fn passphrase_prompt_is_used_when_no_passphrase_set() {
    let prompt = common::FixedPrompt::new(&fx_text("keys/passphrase.txt"));
    let ids = Identities::load(&IdentitySources::default(), Some(prompt.clone())).unwrap();
    let got = decrypt_age_armored(&fx_text("age/passphrase.yml.age"), &ids).unwrap();
    assert_eq!(got.expose(), fx_text("vars.yml"));
    assert_eq!(prompt.1.load(std::sync::atomic::Ordering::SeqCst), 1);
}

#[test]
fn inline_age_values_from_age_cli() {
    let yaml = fx_text("age/inline.yml");
    let keys = Keys::new(ids(&["keys/identity.txt"]), Default::default());
    let values = keys.decrypt_inline_values(&yaml).unwrap();
    let got: Vec<(Option<&str>, &str)> = values
        .iter()
        .map(|(v, s)| (v.key.as_deref(), s.expose()))
        .collect();
    let s3 = fx_text("age/inline.value.s3_secret_key");
    let pg = fx_text("age/inline.value.pgbackrest_cipher_pass");
    let ml = fx_text("age/inline.value.multiline");
    assert_eq!(
        got,
        vec![
            (Some("s3_secret_key"), s3.as_str()),
            (Some("pgbackrest_cipher_pass"), pg.as_str()),
            (Some("value"), ml.as_str()),
        ]
    );
    assert!(values.iter().all(|(v, _)| v.tag == InlineTag::Age));
}

#[test]
fn wrong_identity_is_a_clear_error() {
    let err = decrypt_age_armored(
        &fx_text("age/x25519.yml.age"),
        &ids(&["keys/other-identity.txt"]),
    )
    .unwrap_err();
    let msg = err.to_string();
    assert!(
        matches!(err, AgeVaultError::NoMatchingIdentity { .. }),
        "{msg}"
    );
    assert!(msg.contains("other-identity.txt"), "{msg}");
    assert!(!msg.contains("AGE-SECRET-KEY"), "{msg}");
    let err = decrypt_age_armored(&fx_text("age/x25519.yml.age"), &Identities::new()).unwrap_err();
    assert!(matches!(err, AgeVaultError::NoIdentities), "{err}");
}

#[test]
fn identity_discovery_order_and_errors() {
    // All configured sources are loaded; any of them may decrypt.
    let sources = IdentitySources {
        files: vec![fx("keys/other-identity.txt")],
        env_identity: Some(fx("keys/ssh_ed25519")),
        sops_key_file: None,
        sops_key: Some(fx_text("keys/identity.txt").into()),
        default_keys_file: Some(fx("does/not/exist/keys.txt")),
    };
    let ids = Identities::load(&sources, None).unwrap();
    assert_eq!(ids.sources().len(), 3, "{:?}", ids.sources());
    for file in ["age/x25519.yml.age", "age/ssh_ed25519.yml.age"] {
        assert_eq!(
            decrypt_age_armored(&fx_text(file), &ids).unwrap().expose(),
            fx_text("vars.yml")
        );
    }
    // Explicit files and env-named files must exist; the error names them.
    for sources in [
        IdentitySources {
            files: vec![fx("keys/missing.txt")],
            ..Default::default()
        },
        IdentitySources {
            sops_key_file: Some(fx("keys/missing.txt")),
            ..Default::default()
        },
    ] {
        let msg = Identities::load(&sources, None).unwrap_err().to_string();
        assert!(msg.contains("missing.txt"), "{msg}");
    }
    // A file that is not an identity file: error names file and line, not content.
    let msg = Identities::load(
        &IdentitySources {
            files: vec![fx("vars.yml")],
            ..Default::default()
        },
        None,
    )
    .unwrap_err()
    .to_string();
    assert!(msg.contains("vars.yml") && msg.contains("line 2"), "{msg}");
    assert!(!msg.contains("AKIAFIXTURE"), "{msg}");
}

#[test]
fn truncated_and_tampered_age_data_fail_without_plaintext() {
    let text = fx_text("age/x25519.yml.age");
    let ids = ids(&["keys/identity.txt"]);
    let lines: Vec<&str> = text.lines().collect();
    // Drop a body line (truncation) / flip a character in the payload.
    let mut truncated = lines.clone();
    truncated.remove(lines.len() - 2);
    let truncated = truncated.join("\n");
    let mut tampered: Vec<String> = lines.iter().map(|s| s.to_string()).collect();
    let i = tampered.len() - 2;
    let flipped: String = tampered[i]
        .chars()
        .enumerate()
        .map(|(k, c)| {
            if k == 3 {
                if c == 'A' { 'B' } else { 'A' }
            } else {
                c
            }
        })
        .collect();
    tampered[i] = flipped;
    let tampered = tampered.join("\n");
    for bad in [
        truncated.as_str(),
        tampered.as_str(),
        &text[..text.len() / 2],
        "-----BEGIN AGE ENCRYPTED FILE-----\n",
    ] {
        let err = decrypt_age_armored(bad, &ids).unwrap_err();
        let msg = err.to_string();
        assert!(
            !msg.contains("AKIAFIXTURE") && !msg.contains("s3_"),
            "{msg}"
        );
    }
}

#[test]
fn passphrase_protected_ssh_key_unlocks_through_the_prompt() {
    let file = fx_text("age/ssh_ed25519_enc.yml.age");
    let sources = IdentitySources {
        files: vec![fx("keys/ssh_ed25519_enc")],
        ..Default::default()
    };
    // Without a prompt the key cannot be used: a clear error naming it.
    let msg = Identities::load(&sources, None).unwrap_err().to_string();
    assert!(
        msg.contains("ssh_ed25519_enc") && msg.contains("passphrase-protected"),
        "{msg}"
    );
    let prompt = common::FixedPrompt::new("ssh-key-passphrase");
    let ids = Identities::load(&sources, Some(prompt.clone())).unwrap();
    assert_eq!(
        decrypt_age_armored(&file, &ids).unwrap().expose(),
        fx_text("vars.yml")
    );
    assert!(prompt.1.load(std::sync::atomic::Ordering::SeqCst) >= 1);
}

#[test]
fn keys_are_thread_safe() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Keys>();
    assert_send_sync::<stackbook_secrets::Redactor>();
    assert_send_sync::<stackbook_secrets::SecretString>();
}
