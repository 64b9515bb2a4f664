//! Timing probes, not assertions: `cargo test --release --test measure --
//! --ignored --nocapture` prints the numbers quoted in the crate report.

mod common;

use std::time::Instant;

use stackbook_secrets::Redactor;
use stackbook_secrets::age::{Recipient, decrypt_age_armored, encrypt_age_armored};
use stackbook_secrets::ansible::{self, VaultKeyring};

#[test]
#[ignore = "timing probe"]
fn measure() {
    let pw = "measure-password".into();
    let text = ansible::encrypt(b"value", &pw, None).unwrap();
    let mut ring = VaultKeyring::new();
    ring.add("default", pw);
    let t = Instant::now();
    for _ in 0..20 {
        ring.decrypt(&text).unwrap();
    }
    println!(
        "ansible-vault decrypt (PBKDF2 10k): {:?}/value",
        t.elapsed() / 20
    );

    let id = age::x25519::Identity::generate();
    let r = [Recipient::X25519(id.to_public())];
    let mut ids = stackbook_secrets::age::Identities::new();
    ids.add_x25519(id);
    let t = Instant::now();
    for _ in 0..20 {
        let a = encrypt_age_armored(b"value", &r).unwrap();
        decrypt_age_armored(&a, &ids).unwrap();
    }
    println!("age x25519 encrypt+decrypt: {:?}/value", t.elapsed() / 20);

    let red = Redactor::new();
    for i in 0..1000 {
        red.add(&format!("secret-{i:04}-{}", "x".repeat(i % 40)));
    }
    let t = Instant::now();
    red.redact("warm-up builds the automaton");
    println!("redactor build, 1000 secrets: {:?} ({red:?})", t.elapsed());
    let line = "TASK [postgres : write s3.conf] ok: [db-1] => changed=false msg=nothing secret here at all, just a long-ish log line of ~150 bytes";
    let n = 100_000;
    let t = Instant::now();
    let mut hits = 0;
    for i in 0..n {
        if i % 100 == 0 {
            hits += red.redact("x secret-0042-xx y").len();
        } else {
            hits += red.redact(line).len();
        }
    }
    let el = t.elapsed();
    println!(
        "redact: {:?}/line, {:.0} MB/s ({hits} bytes out)",
        el / n,
        (line.len() * n as usize) as f64 / el.as_secs_f64() / 1e6
    );
}
