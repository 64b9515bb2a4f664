//! `stackbook backups` (`cli::run_with`) against the running pgBackRest S3 fixture: human and
//! JSON reports, guard exit codes, passphrase sources, and the canary that no secret is ever
//! printed. Fixture-backed tests skip without the fixture (fail under `CI`).

mod support;

use clap::Parser;
use stackbook_backups::cli::{
    BackupsArgs, CIPHER_PASS_ENV, EXIT_ERROR, EXIT_OK, EXIT_REFUSED, EXIT_UNREACHABLE, run_with,
};
use support::{Fixture, Scratch, fixture};

#[derive(Parser)]
struct Wrapper {
    #[command(flatten)]
    args: BackupsArgs,
}

struct Run {
    code: i32,
    out: String,
    err: String,
}

fn run(argv: &[String]) -> Run {
    let mut full = vec!["stackbook-backups".to_owned()];
    full.extend_from_slice(argv);
    let args = Wrapper::try_parse_from(full)
        .unwrap_or_else(|e| panic!("{e}"))
        .args;
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let code = run_with(&args, &mut out, &mut err);
    Run {
        code,
        out: String::from_utf8(out).unwrap(),
        err: String::from_utf8(err).unwrap(),
    }
}

/// Flags for `bucket` with keys in an `s3.conf` (and the passphrase there when `pass_in_conf`).
fn base(f: &Fixture, dir: &Scratch, bucket: &str, pass_in_conf: bool) -> Vec<String> {
    let conf = dir.write("s3.conf", &f.s3_conf(pass_in_conf));
    [
        "--s3-conf",
        &conf.display().to_string(),
        "--endpoint",
        &f.get("PGBR_S3_ENDPOINT_URL"),
        "--bucket",
        bucket,
        "--region",
        &f.get("PGBR_S3_REGION"),
        "--uri-style",
        "path",
        "--ca-file",
        &f.get("PGBR_S3_CA_FILE"),
        "--repo-path",
        &f.get("PGBR_REPO_PATH"),
        "--stanza",
        &f.get("PGBR_STANZA"),
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

fn with(mut v: Vec<String>, extra: &[&str]) -> Vec<String> {
    v.extend(extra.iter().map(|s| s.to_string()));
    v
}

fn assert_no_secret(f: &Fixture, r: &Run) {
    for k in ["PGBR_CIPHER_PASS", "PGBR_S3_KEY_SECRET"] {
        let s = f.get(k);
        assert!(
            !r.out.contains(&s) && !r.err.contains(&s),
            "{k} printed:\n{}\n{}",
            r.out,
            r.err
        );
    }
}

fn oracle_labels(f: &Fixture, bucket: &str) -> Vec<String> {
    let path = format!(
        "{}/stackbook-backups/info-{bucket}.json",
        f.get("PGBR_FIXTURE_DIR")
    );
    let o: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    o[0]["backup"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["label"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn human_report_of_a_bucket_with_backups_refuses_init_with_exit_2() {
    let Some(f) = fixture() else { return };
    let dir = Scratch::new("cli");
    let bucket = f.get("PGBR_S3_BUCKET_BACKUPS");
    let r = run(&with(base(&f, &dir, &bucket, true), &["--check-init"]));
    assert_eq!(r.code, EXIT_REFUSED, "{}\n{}", r.out, r.err);
    assert!(r.err.is_empty(), "{}", r.err);
    assert!(
        r.out
            .starts_with("stanza: db\n    status: ok\n    cipher: aes-256-cbc\n"),
        "{}",
        r.out
    );
    let labels = oracle_labels(&f, &bucket);
    assert_eq!(labels.len(), 2);
    assert!(
        r.out
            .contains(&format!("        full backup: {}\n", labels[0])),
        "{}",
        r.out
    );
    assert!(
        r.out
            .contains(&format!("        incr backup: {}\n", labels[1])),
        "{}",
        r.out
    );
    assert!(
        r.out
            .contains(&format!("backup reference list: {}", labels[0])),
        "{}",
        r.out
    );
    assert!(r.out.contains("wal archive min/max (15-1): "), "{}", r.out);
    assert!(
        r.out.contains("\ninit: REFUSED: refusing to initialise"),
        "{}",
        r.out
    );
    assert!(r.out.trim_end().ends_with("restore: allowed"), "{}", r.out);
    assert_no_secret(&f, &r);
    // The same repository without --check-init is just a report: exit 0.
    let r = run(&base(&f, &dir, &bucket, true));
    assert_eq!(r.code, EXIT_OK, "{}", r.err);
}

#[test]
fn json_report_and_pitr_targets() {
    let Some(f) = fixture() else { return };
    let dir = Scratch::new("cli");
    let bucket = f.get("PGBR_S3_BUCKET_BACKUPS");
    let r = run(&with(
        base(&f, &dir, &bucket, true),
        &["--output", "json", "--check-restore"],
    ));
    assert_eq!(r.code, EXIT_OK, "{}\n{}", r.out, r.err);
    let v: serde_json::Value = serde_json::from_str(&r.out).unwrap();
    let labels: Vec<&str> = v["backups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["label"].as_str().unwrap())
        .collect();
    assert_eq!(labels, oracle_labels(&f, &bucket));
    assert_eq!(v["init_allowed"], false);
    assert_eq!(v["restore_allowed"], true);
    assert_eq!(v["status_code"], 0);
    assert!(v["requests"].as_u64().unwrap() <= 6, "{v}");
    assert_no_secret(&f, &r);

    // Inside the range: the end of the oldest backup. Outside: long after the newest WAL.
    let oldest_stop = v["backups"][0]["stop"].as_str().unwrap().to_owned();
    let r = run(&with(
        base(&f, &dir, &bucket, true),
        &["--check-restore", "--target", &oldest_stop],
    ));
    assert_eq!(r.code, EXIT_OK, "{}\n{}", r.out, r.err);
    assert!(
        r.out.contains(&format!(
            "\nrestore to {}: allowed",
            oldest_stop.replace('T', " ").replace('Z', "+00")
        )),
        "{}",
        r.out
    );
    let r = run(&with(
        base(&f, &dir, &bucket, true),
        &["--check-restore", "--target", "2999-01-01 00:00:00+00"],
    ));
    assert_eq!(r.code, EXIT_REFUSED, "{}\n{}", r.out, r.err);
    assert!(
        r.out.contains("is after the newest archived WAL"),
        "{}",
        r.out
    );
    let r = run(&with(
        base(&f, &dir, &bucket, true),
        &["--check-restore", "--target", "2999-01-01 00:00:00"],
    ));
    assert_eq!(r.code, EXIT_ERROR);
    assert!(
        r.err.contains("expected a time with a UTC offset"),
        "{}",
        r.err
    );
}

#[test]
fn empty_bucket_allows_init_and_refuses_restore() {
    let Some(f) = fixture() else { return };
    let dir = Scratch::new("cli");
    let bucket = f.get("PGBR_S3_BUCKET_EMPTY");
    let r = run(&with(base(&f, &dir, &bucket, true), &["--check-init"]));
    assert_eq!(r.code, EXIT_OK, "{}\n{}", r.out, r.err);
    assert!(r.out.contains("status: missing stanza path"), "{}", r.out);
    assert!(r.out.contains("\ninit: allowed\n"), "{}", r.out);
    let r = run(&with(
        base(&f, &dir, &bucket, true),
        &["--check-init", "--check-restore"],
    ));
    assert_eq!(r.code, EXIT_REFUSED, "{}\n{}", r.out, r.err);
    assert!(
        r.out.contains("restore: REFUSED: nothing to restore"),
        "{}",
        r.out
    );
    assert_no_secret(&f, &r);
}

#[test]
fn plain_bucket_needs_no_passphrase_and_a_file_passphrase_is_used() {
    let Some(f) = fixture() else { return };
    let dir = Scratch::new("cli");
    let r = run(&base(&f, &dir, &f.get("PGBR_S3_BUCKET_PLAIN"), false));
    assert_eq!(r.code, EXIT_OK, "{}\n{}", r.out, r.err);
    assert!(r.out.contains("    cipher: none\n"), "{}", r.out);

    // Passphrase from --cipher-pass-file (trailing newline ignored), not from the s3.conf.
    let pass = dir.write("pass", &format!("{}\n", f.get("PGBR_CIPHER_PASS")));
    let r = run(&with(
        base(&f, &dir, &f.get("PGBR_S3_BUCKET_STANZA_ONLY"), false),
        &["--cipher-pass-file", &pass.display().to_string()],
    ));
    assert_eq!(r.code, EXIT_OK, "{}\n{}", r.out, r.err);
    assert!(r.out.contains("status: no valid backups"), "{}", r.out);
    assert_no_secret(&f, &r);
}

#[test]
fn wrong_passphrase_exits_1_without_printing_it() {
    let Some(f) = fixture() else { return };
    let dir = Scratch::new("cli");
    let wrong = "canary-wrong-cli-passphrase-41d2";
    let pass = dir.write("pass", wrong);
    for output in ["human", "json"] {
        let r = run(&with(
            base(&f, &dir, &f.get("PGBR_S3_BUCKET_BACKUPS"), true),
            &[
                "--cipher-pass-file",
                &pass.display().to_string(),
                "--output",
                output,
            ],
        ));
        assert_eq!(r.code, EXIT_ERROR, "{}\n{}", r.out, r.err);
        let text = format!("{}{}", r.out, r.err);
        assert!(text.contains("wrong cipher passphrase"), "{text}");
        assert!(!text.contains(wrong), "{text}");
        assert_no_secret(&f, &r);
    }
}

/// Child half of `passphrase_from_the_environment`: runs only when the parent set the marker.
#[test]
fn env_child() {
    let (Ok(argv), Ok(_)) = (std::env::var("SB_CLI_ARGV"), std::env::var(CIPHER_PASS_ENV)) else {
        return;
    };
    let argv: Vec<String> = serde_json::from_str(&argv).unwrap();
    let r = run(&argv);
    println!("CHILD-EXIT={}", r.code);
    println!("{}", r.out);
    eprintln!("{}", r.err);
}

#[test]
fn passphrase_from_the_environment() {
    let Some(f) = fixture() else { return };
    let dir = Scratch::new("cli");
    let argv = base(&f, &dir, &f.get("PGBR_S3_BUCKET_BACKUPS"), false);
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "env_child", "--nocapture", "--test-threads=1"])
        .env("SB_CLI_ARGV", serde_json::to_string(&argv).unwrap())
        .env(CIPHER_PASS_ENV, f.get("PGBR_CIPHER_PASS"))
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("CHILD-EXIT=0"), "{text}");
    assert!(text.contains("status: ok"), "{text}");
    assert!(!text.contains(&f.get("PGBR_CIPHER_PASS")), "{text}");
}

#[test]
fn unreachable_endpoint_exits_4_within_the_timeout() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let dir = Scratch::new("cli");
    let conf = dir.write(
        "s3.conf",
        "[global]\nrepo1-s3-key=k\nrepo1-s3-key-secret=canary-cli-secret-key-99\n",
    );
    let argv: Vec<String> = [
        "--s3-conf",
        &conf.display().to_string(),
        "--endpoint",
        &format!("http://127.0.0.1:{port}"),
        "--bucket",
        "b",
        "--region",
        "r",
        "--connect-timeout",
        "1",
        "--timeout",
        "5",
        "--attempts",
        "1",
        "--check-init",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let start = std::time::Instant::now();
    let r = run(&argv);
    assert!(start.elapsed() < std::time::Duration::from_secs(10));
    assert_eq!(r.code, EXIT_UNREACHABLE);
    assert!(r.err.starts_with("error: "), "{}", r.err);
    assert!(
        r.err
            .contains(&format!("cannot reach http://127.0.0.1:{port}")),
        "{}",
        r.err
    );
    assert!(!r.err.contains("canary-cli-secret-key-99"));
    assert!(r.out.is_empty());
}
