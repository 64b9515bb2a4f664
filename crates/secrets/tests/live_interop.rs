//! Live interop against the REAL tools, both directions: the `age` CLI
//! (Debian package `age`) and `ansible-vault` (ansible-core, oracle venv).
//! Missing tools: skip locally, fail under `CI` (see common::tool).
//! Setup: `crates/secrets/scripts/setup-oracles.sh`.

mod common;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use common::{fx, fx_text, ids, run, tool};
use stackbook_secrets::age::{
    Identities, Recipient, decrypt_age_armored, encrypt_age_armored, parse_recipients_file,
};
use stackbook_secrets::ansible::{self, VaultIdSpec, VaultKeyring};
use stackbook_secrets::inline::{InlineTag, format_tagged_block};
use stackbook_secrets::{Keys, SecretString, ops};

const PLAINTEXT: &str = "live: interop ✓\npassword: \"p@ss w0rd\"\nmulti: |\n  a\n  b\n";

fn age_tty() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/age_tty.py")
}

fn python() -> Option<PathBuf> {
    tool("python3")
}

fn write(dir: &Path, name: &str, data: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, data).unwrap();
    p
}

#[test]
fn ours_to_age_cli() {
    let Some(age) = tool("age") else { return };
    let dir = tempfile::tempdir().unwrap();
    for (recipients_file, identity) in [
        ("keys/recipient.txt", "keys/identity.txt"),
        ("keys/ssh_ed25519.pub", "keys/ssh_ed25519"),
        ("keys/ssh_rsa.pub", "keys/ssh_rsa"),
    ] {
        let recipients = parse_recipients_file(&fx(recipients_file)).unwrap();
        let armored = encrypt_age_armored(PLAINTEXT.as_bytes(), &recipients).unwrap();
        let file = write(dir.path(), "ours.age", armored.as_bytes());
        // age insists on private key files not being world-readable.
        let key = dir.path().join("key");
        std::fs::copy(fx(identity), &key).unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).unwrap();
        let out = run(Command::new(&age).arg("-d").arg("-i").arg(&key).arg(&file));
        assert_eq!(
            String::from_utf8(out).unwrap(),
            PLAINTEXT,
            "{recipients_file}"
        );
    }
}

#[test]
fn ours_passphrase_to_age_cli() {
    let (Some(age), Some(py)) = (tool("age"), python()) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let pass = "live passphrase 42";
    let armored =
        encrypt_age_armored(PLAINTEXT.as_bytes(), &[Recipient::Passphrase(pass.into())]).unwrap();
    let file = write(dir.path(), "pass.age", armored.as_bytes());
    let out = dir.path().join("out.txt");
    run(Command::new(&py)
        .arg(age_tty())
        .arg(pass)
        .arg(&age)
        .arg("-d")
        .arg("-o")
        .arg(&out)
        .arg(&file));
    assert_eq!(std::fs::read_to_string(&out).unwrap(), PLAINTEXT);
}

#[test]
fn age_cli_to_ours() {
    let Some(age) = tool("age") else { return };
    let dir = tempfile::tempdir().unwrap();
    let plain = write(dir.path(), "plain.yml", PLAINTEXT.as_bytes());
    let recipient = fx_text("keys/recipient.txt");
    for (args, identity) in [
        (vec!["-a", "-r", recipient.trim()], "keys/identity.txt"),
        (vec!["-r", recipient.trim()], "keys/identity.txt"),
        (
            vec!["-a", "-R", fx("keys/ssh_ed25519.pub").to_str().unwrap()],
            "keys/ssh_ed25519",
        ),
        (
            vec!["-a", "-R", fx("keys/ssh_rsa.pub").to_str().unwrap()],
            "keys/ssh_rsa",
        ),
    ] {
        let ct = run(Command::new(&age).args(&args).arg(&plain));
        let keys = Keys::new(ids(&[identity]), VaultKeyring::new());
        let (got, _) = keys.decrypt_text(&ct).unwrap();
        assert_eq!(got.expose(), PLAINTEXT, "{args:?}");
    }
}

#[test]
fn age_cli_passphrase_to_ours() {
    let (Some(age), Some(py)) = (tool("age"), python()) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let plain = write(dir.path(), "plain.yml", PLAINTEXT.as_bytes());
    let out = dir.path().join("p.age");
    let pass = "cli passphrase";
    run(Command::new(&py)
        .arg(age_tty())
        .arg(pass)
        .arg(&age)
        .args(["-a", "-p", "-o"])
        .arg(&out)
        .arg(&plain));
    let mut ids = Identities::new();
    ids.set_passphrase(pass.into());
    let got = decrypt_age_armored(&std::fs::read_to_string(&out).unwrap(), &ids).unwrap();
    assert_eq!(got.expose(), PLAINTEXT);
}

fn ansible_cmd(program: &Path, dir: &Path) -> Command {
    let mut cmd = Command::new(program);
    cmd.current_dir(dir)
        .env("ANSIBLE_HOME", dir.join(".ansible"))
        .env("ANSIBLE_NOCOLOR", "1")
        .env("ANSIBLE_LOCALHOST_WARNING", "0")
        .env("ANSIBLE_INVENTORY_UNPARSED_WARNING", "0");
    cmd
}

#[test]
fn ours_to_ansible_vault() {
    let Some(av) = tool("ansible-vault") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let pw = write(dir.path(), "pw.txt", b"live-ansible-pw\n");
    let password = SecretString::from("live-ansible-pw");
    for label in [None, Some("prod")] {
        let text = ansible::encrypt(PLAINTEXT.as_bytes(), &password, label).unwrap();
        let file = write(dir.path(), "v.yml", text.as_bytes());
        let id = format!("{}@{}", label.unwrap_or("default"), pw.display());
        let out = run(ansible_cmd(&av, dir.path())
            .args(["view", "--vault-id", &id])
            .arg(&file));
        assert_eq!(String::from_utf8(out).unwrap(), PLAINTEXT, "{label:?}");
    }
}

#[test]
fn ours_inline_vault_value_to_ansible() {
    let Some(ansible) = tool("ansible") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let pw = write(dir.path(), "pw.txt", b"inline-pw\n");
    let secret = "inline secret ✓ \"quoted\"";
    let body = ansible::encrypt(secret.as_bytes(), &"inline-pw".into(), None).unwrap();
    let yaml = format_tagged_block(Some("my_secret"), InlineTag::Vault, &body);
    let vars = write(dir.path(), "vars.yml", yaml.as_bytes());
    let out = run(ansible_cmd(&ansible, dir.path())
        .args([
            "localhost",
            "-i",
            "localhost,",
            "-c",
            "local",
            "-m",
            "debug",
            "-a",
            "var=my_secret",
            "-e",
        ])
        .arg(format!("@{}", vars.display()))
        .arg("--vault-password-file")
        .arg(&pw));
    let out = String::from_utf8(out).unwrap();
    // The default callback prints the var as JSON: quotes escaped, and
    // non-ASCII either raw or as \uXXXX.
    let escaped = secret.replace('"', "\\\"");
    let ascii = escaped.replace('✓', "\\u2713");
    assert!(
        out.contains("SUCCESS") && (out.contains(&escaped) || out.contains(&ascii)),
        "ansible output: {out}"
    );
}

#[test]
fn ansible_vault_to_ours() {
    let Some(av) = tool("ansible-vault") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let pw = write(dir.path(), "pw.txt", b"fresh-pw\n");
    let plain = write(dir.path(), "v.yml", PLAINTEXT.as_bytes());
    run(ansible_cmd(&av, dir.path())
        .args(["encrypt", "--vault-id"])
        .arg(format!("stage@{}", pw.display()))
        .args(["--encrypt-vault-id", "stage"])
        .arg(&plain));
    let ring = VaultKeyring::load(&[VaultIdSpec::password_file(&pw)], None).unwrap();
    let d = ring
        .decrypt(&std::fs::read_to_string(&plain).unwrap())
        .unwrap();
    assert_eq!(d.plaintext.expose(), PLAINTEXT.as_bytes());

    let mut child = ansible_cmd(&av, dir.path())
        .args(["encrypt_string", "--vault-password-file"])
        .arg(&pw)
        .args(["--stdin-name", "db_password"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"from stdin\nsecond")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    let keys = Keys::new(Identities::new(), ring);
    let values = keys
        .decrypt_inline_values(&String::from_utf8(out.stdout).unwrap())
        .unwrap();
    assert_eq!(values.len(), 1);
    assert_eq!(values[0].0.key.as_deref(), Some("db_password"));
    assert_eq!(values[0].1.expose(), "from stdin\nsecond");
}

#[test]
fn migrate_ansible_vault_then_age_cli_decrypts() {
    let (Some(av), Some(age)) = (tool("ansible-vault"), tool("age")) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let pw = write(dir.path(), "pw.txt", b"migrate-pw\n");
    let file = write(dir.path(), "vault.yml", PLAINTEXT.as_bytes());
    run(ansible_cmd(&av, dir.path())
        .args(["encrypt", "--vault-password-file"])
        .arg(&pw)
        .arg(&file));
    let ring = VaultKeyring::load(&[VaultIdSpec::password_file(&pw)], None).unwrap();
    let recipients = parse_recipients_file(&fx("keys/recipient.txt")).unwrap();
    ops::migrate(&file, None, &ring, &recipients).unwrap();
    let key = dir.path().join("key");
    std::fs::copy(fx("keys/identity.txt"), &key).unwrap();
    let out = run(Command::new(&age).arg("-d").arg("-i").arg(&key).arg(&file));
    assert_eq!(String::from_utf8(out).unwrap(), PLAINTEXT);
}
