//! Canary tests: a planted secret must never appear in Debug/Display output
//! or error messages, and the Redactor must catch it in every encoding the
//! engine's sinks produce. Also: no panics on mangled input.

mod common;

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE};
use common::{fx_text, ids};
use stackbook_secrets::age::{Identities, Recipient, decrypt_age, encrypt_age_armored};
use stackbook_secrets::ansible::{self, PasswordSource, VaultIdSpec, VaultKeyring};
use stackbook_secrets::inline::find_inline_values;
use stackbook_secrets::{Keys, MASK, Redactor, SecretBytes, SecretString};

const CANARY: &str = "CANARY-7f3e9a1b-do-not-print";
const CANARY_PW: &str = "CANARYPW-52c1e0";

fn assert_clean(what: &str, s: &str) {
    assert!(!s.contains(CANARY), "{what} leaked the canary: {s}");
    assert!(!s.contains(CANARY_PW), "{what} leaked the password: {s}");
    assert!(
        !s.contains("7f3e9a1b") && !s.contains("52c1e0"),
        "{what} leaked a fragment: {s}"
    );
}

#[test]
fn debug_and_display_never_show_secrets() {
    let s = SecretString::from(CANARY);
    assert_clean("SecretString Debug", &format!("{s:?} {s:#?}"));
    assert_clean("SecretString Display", &format!("{s}"));
    assert_clean(
        "SecretBytes",
        &format!("{:?}", SecretBytes::new(CANARY.into())),
    );
    let mut ring = VaultKeyring::new();
    ring.add("prod", CANARY_PW.into());
    assert_clean("VaultKeyring", &format!("{ring:?} {ring:#?}"));
    let spec = VaultIdSpec {
        label: "x".into(),
        source: PasswordSource::Literal(CANARY_PW.into()),
    };
    assert_clean("VaultIdSpec", &format!("{spec:?}"));
    let mut ids = Identities::new();
    ids.set_passphrase(CANARY_PW.into());
    ids.add_x25519(age::x25519::Identity::generate());
    let dbg = format!("{ids:?}");
    assert_clean("Identities", &dbg);
    assert!(!dbg.contains("AGE-SECRET-KEY"), "{dbg}");
    let r = Recipient::Passphrase(CANARY_PW.into());
    assert_clean("Recipient", &format!("{r:?} {r}"));
    let keys = Keys::new(ids, ring);
    assert_clean("Keys", &format!("{keys:?}"));
    let redactor = Redactor::new();
    redactor.add(CANARY);
    assert_clean("Redactor", &format!("{redactor:?}"));
}

#[test]
fn errors_never_show_plaintext_or_passwords() {
    let pw = SecretString::from(CANARY_PW);
    let vault = ansible::encrypt(CANARY.as_bytes(), &pw, Some("prod")).unwrap();
    let mut wrong = VaultKeyring::new();
    wrong.add("prod", "wrong-password-123".into());
    let mut msgs = vec![wrong.decrypt(&vault).unwrap_err().to_string()];
    // Tampered payloads.
    for cut in [40, vault.len() / 2, vault.len() - 5] {
        let mut ring = VaultKeyring::new();
        ring.add("prod", pw.clone());
        if let Err(e) = ring.decrypt(&vault[..cut]) {
            msgs.push(e.to_string());
        }
    }
    // age: wrong identity, wrong passphrase, truncated.
    let armored = encrypt_age_armored(
        CANARY.as_bytes(),
        &[Recipient::X25519(
            age::x25519::Identity::generate().to_public(),
        )],
    )
    .unwrap();
    msgs.push(
        decrypt_age(armored.as_bytes(), &ids(&["keys/identity.txt"]))
            .unwrap_err()
            .to_string(),
    );
    msgs.push(
        decrypt_age(
            &armored.as_bytes()[..armored.len() - 60],
            &ids(&["keys/identity.txt"]),
        )
        .unwrap_err()
        .to_string(),
    );
    // A password file containing the canary, used as an identity file.
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("pw.txt");
    std::fs::write(&f, format!("{CANARY_PW}\n")).unwrap();
    let mut ids = Identities::new();
    msgs.push(ids.add_file(&f).unwrap_err().to_string());
    // Recipient parse errors echo (truncated) input: never a secret key.
    msgs.push(
        Recipient::parse(&format!("{}{CANARY_PW}", concat!("AGE-SECRET-", "KEY-1")))
            .unwrap_err()
            .to_string(),
    );
    for m in &msgs {
        assert_clean("error message", m);
        assert_clean("error debug", &format!("{m:?}"));
    }
}

#[test]
fn redactor_catches_canary_in_engine_sinks() {
    let r = Redactor::new();
    r.add(CANARY);
    r.add(&format!("{CANARY_PW}\n"));
    let s3_conf = format!("[default]\naccess_key = AKIA0000\nsecret_key = {CANARY}\n");
    let lines = vec![
        format!("ok: [db1] => {{\"msg\": \"password is {CANARY}\"}}"),
        format!("TASK [x] env: PGPASSWORD={CANARY_PW} psql"),
        serde_like_json(&s3_conf),
        format!("  data:\n    s3.conf: {}", STANDARD.encode(&s3_conf)),
        format!("-    s3.conf: {}", URL_SAFE.encode(format!("x{s3_conf}"))),
        format!("+    s3.conf: {}", STANDARD.encode(format!("xy{s3_conf}"))),
        format!("fatal: [db1]: FAILED! => {{\"cmd\": \"echo {CANARY}\", \"rc\": 1}}"),
    ];
    for line in &lines {
        let out = r.redact(line);
        assert!(out.contains(MASK), "not redacted: {line}");
        assert_clean("redacted output", &out);
        // No long fragment of the canary's base64 survives either.
        for enc in [STANDARD.encode(CANARY), URL_SAFE.encode(CANARY)] {
            assert!(
                !out.contains(&enc[2..enc.len() - 4]),
                "base64 fragment left: {out}"
            );
        }
    }
    assert_eq!(r.redact("nothing to see"), "nothing to see");
}

/// JSON-encode a string the way the engine's `--output json` would.
fn serde_like_json(s: &str) -> String {
    let mut out = String::from("{\"content\": \"");
    for c in s.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '"' => out.push_str("\\\""),
            c => out.push(c),
        }
    }
    out.push_str("\"}");
    out
}

/// Tiny deterministic PRNG (no extra dependency).
struct Lcg(u64);
impl Lcg {
    fn next(&mut self) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) as usize
    }
}

#[test]
fn no_panics_on_mangled_input() {
    let seeds = [
        fx_text("ansible/vault-1.1.yml"),
        fx_text("ansible/inline.yml"),
        fx_text("age/x25519.yml.age"),
        fx_text("age/inline.yml"),
    ];
    let keys = Keys::new(ids(&["keys/identity.txt"]), {
        let mut r = VaultKeyring::new();
        r.add("default", "default-fixture-password".into());
        r
    });
    let mut rng = Lcg(42);
    for round in 0..120 {
        let seed = seeds[round % seeds.len()].as_bytes();
        let mut data = seed.to_vec();
        match rng.next() % 4 {
            0 => data.truncate(rng.next() % data.len().max(1)),
            1 => {
                for _ in 0..1 + rng.next() % 4 {
                    let i = rng.next() % data.len();
                    data[i] = (rng.next() % 256) as u8;
                }
            }
            2 => {
                let i = rng.next() % data.len();
                data.insert(i, b'\n');
            }
            _ => data.retain(|b| *b != b' ' || rng.next() % 7 != 0),
        }
        let _ = keys.decrypt_bytes(&data);
        if let Ok(text) = std::str::from_utf8(&data) {
            let _ = find_inline_values(text);
            let _ = keys.decrypt_inline_values(text);
            let _ = ansible::parse_envelope(text);
        }
    }
}
