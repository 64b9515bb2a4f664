//! Live tests through the S3 implementation against the REAL running fixture (moto behind
//! stunnel TLS, written by pgBackRest 2.45). Start it with `tests/setup-fixture.sh` (root), stop
//! it with `tests/teardown-fixture.sh`. Without a running fixture these tests skip, unless `CI`
//! is set, in which case they fail. The unreachable/timeout tests need no fixture.

mod common;

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use common::{assert_matches_pgbackrest, oracle, read_env};
use stackbook_backups::s3::TlsTrust;
use stackbook_backups::{
    InspectError, RepoStore, S3Credentials, S3Settings, S3Store, Secret, StoreError, UriStyle,
    inspect,
};

struct Fixture {
    dir: PathBuf,
    env: HashMap<String, String>,
}

impl Fixture {
    fn get(&self, k: &str) -> String {
        self.env
            .get(k)
            .cloned()
            .unwrap_or_else(|| panic!("fixture.env lacks {k}"))
    }

    fn settings(&self, bucket: &str) -> S3Settings {
        let mut s = S3Settings::new(bucket, self.get("PGBR_S3_REGION"));
        s.endpoint = Some(self.get("PGBR_S3_ENDPOINT_URL"));
        s.uri_style = UriStyle::Path;
        s.tls = TlsTrust::CaFile(PathBuf::from(self.get("PGBR_S3_CA_FILE")));
        s.credentials = S3Credentials::Static {
            access_key_id: self.get("PGBR_S3_KEY"),
            secret_access_key: Secret::new(self.get("PGBR_S3_KEY_SECRET")),
            session_token: None,
        };
        s.max_attempts = 2;
        s
    }
}

/// The running fixture, or `None` (skip) — panics under CI.
fn fixture() -> Option<Fixture> {
    let dir = PathBuf::from(
        std::env::var("PGBR_FIXTURE_DIR").unwrap_or_else(|_| "/tmp/pgbr-fixture".to_owned()),
    );
    let unavailable = |why: String| {
        let msg = format!(
            "pgBackRest S3 fixture unavailable ({why}); run crates/backups/tests/setup-fixture.sh as root"
        );
        if std::env::var_os("CI").is_some() {
            panic!("{msg}");
        }
        eprintln!("SKIP: {msg}");
        None
    };
    let env_file = dir.join("fixture.env");
    let json_dir = dir.join("stackbook-backups");
    if !env_file.is_file() || !json_dir.join("plain.env").is_file() {
        return unavailable(format!(
            "{} or stackbook-backups/plain.env missing",
            env_file.display()
        ));
    }
    let mut env = read_env(&env_file);
    env.extend(read_env(&json_dir.join("plain.env")));
    let addr = format!(
        "{}:{}",
        env.get("PGBR_S3_HOST").cloned().unwrap_or_default(),
        env.get("PGBR_S3_TLS_PORT").cloned().unwrap_or_default()
    );
    let reachable = addr
        .parse()
        .ok()
        .is_some_and(|a| std::net::TcpStream::connect_timeout(&a, Duration::from_secs(2)).is_ok());
    if !reachable {
        return unavailable(format!("nothing listens on {addr}"));
    }
    Some(Fixture { dir, env })
}

#[tokio::test]
async fn live_reports_match_pgbackrest_for_every_bucket() {
    let Some(f) = fixture() else { return };
    let pass = Secret::new(f.get("PGBR_CIPHER_PASS"));
    let buckets = [
        ("PGBR_S3_BUCKET_BACKUPS", true),
        ("PGBR_S3_BUCKET_WAL_ONLY", true),
        ("PGBR_S3_BUCKET_STANZA_ONLY", true),
        ("PGBR_S3_BUCKET_EMPTY", true),
        ("PGBR_S3_BUCKET_PLAIN", false),
    ];
    let mut backups = 0;
    for (var, encrypted) in buckets {
        let bucket = f.get(var);
        let store = S3Store::connect(&f.settings(&bucket)).await.unwrap();
        let t = Instant::now();
        let report = inspect(
            &store,
            &f.get("PGBR_REPO_PATH"),
            &f.get("PGBR_STANZA"),
            encrypted.then_some(&pass),
        )
        .await
        .unwrap_or_else(|e| panic!("{bucket}: {e}"));
        eprintln!(
            "{bucket}: {} in {:?} with {} requests",
            report.status.message(),
            t.elapsed(),
            store.request_count()
        );
        let o = oracle(&f.dir.join(format!("stackbook-backups/info-{bucket}.json")));
        backups += assert_matches_pgbackrest(&report, &o, &bucket);
        assert!(
            store.request_count() <= 6,
            "{bucket}: {} requests",
            store.request_count()
        );
    }
    assert!(backups >= 3);
}

#[tokio::test]
async fn live_tls_modes() {
    let Some(f) = fixture() else { return };
    let bucket = f.get("PGBR_S3_BUCKET_STANZA_ONLY");
    // Verification off (pgBackRest repo1-storage-verify-tls=n): works with the self-signed CA.
    let mut s = f.settings(&bucket);
    s.tls = TlsTrust::Insecure;
    let store = S3Store::connect(&s).await.unwrap();
    assert_eq!(store.list("", false).await.unwrap().objects.len(), 4);
    // System trust store: the fixture's private CA is not in it.
    let mut s = f.settings(&bucket);
    s.tls = TlsTrust::System;
    s.max_attempts = 1;
    let store = S3Store::connect(&s).await.unwrap();
    let e = store.list("", false).await.unwrap_err();
    assert!(matches!(e, StoreError::Tls { .. }), "{e}");
    assert!(e.to_string().contains("CA file"), "{e}");
}

#[tokio::test]
async fn live_wrong_passphrase_and_missing_bucket() {
    let Some(f) = fixture() else { return };
    let store = S3Store::connect(&f.settings(&f.get("PGBR_S3_BUCKET_BACKUPS")))
        .await
        .unwrap();
    let e = inspect(
        &store,
        &f.get("PGBR_REPO_PATH"),
        &f.get("PGBR_STANZA"),
        Some(&Secret::new("wrong")),
    )
    .await
    .unwrap_err();
    assert!(e.is_wrong_passphrase(), "{e}");

    let store = S3Store::connect(&f.settings("no-such-bucket-sb"))
        .await
        .unwrap();
    let e = inspect(&store, "/pgbackrest/repo1", "db", None)
        .await
        .unwrap_err();
    match e {
        InspectError::Store {
            source: StoreError::NoSuchBucket { bucket, .. },
            ..
        } => assert_eq!(bucket, "no-such-bucket-sb"),
        other => panic!("{other}"),
    }
}

fn plain_settings(endpoint: String) -> S3Settings {
    let mut s = S3Settings::new("bucket", "us-east-1");
    s.endpoint = Some(endpoint);
    s.uri_style = UriStyle::Path;
    s.credentials = S3Credentials::Static {
        access_key_id: "AKIDEXAMPLE".to_owned(),
        secret_access_key: Secret::new("secret"),
        session_token: None,
    };
    s.connect_timeout = Duration::from_secs(1);
    s.attempt_timeout = Duration::from_secs(1);
    s.operation_timeout = Duration::from_secs(5);
    s.max_attempts = 2;
    s
}

#[tokio::test]
async fn unreachable_endpoint_fails_fast_and_clearly() {
    // A port nobody listens on (bound then released).
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let store = S3Store::connect(&plain_settings(format!("http://127.0.0.1:{port}")))
        .await
        .unwrap();
    let t = Instant::now();
    let e = inspect(&store, "/repo", "db", None).await.unwrap_err();
    assert!(t.elapsed() < Duration::from_secs(6), "{:?}", t.elapsed());
    match &e {
        InspectError::Store {
            source: StoreError::Unreachable { endpoint, .. },
            what,
        } => {
            assert!(endpoint.contains(&port.to_string()), "{e}");
            assert!(what.contains("archive.info"), "{e}");
        }
        other => panic!("{other}"),
    }
}

#[tokio::test]
async fn silent_server_times_out_within_the_configured_bounds() {
    // Accepts TCP connections and never answers.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((sock, _)) = listener.accept().await {
            held.push(sock);
        }
    });
    let store = S3Store::connect(&plain_settings(format!("http://127.0.0.1:{port}")))
        .await
        .unwrap();
    let t = Instant::now();
    let e = store.get("repo/archive.info").await.unwrap_err();
    let took = t.elapsed();
    server.abort();
    assert!(matches!(e, StoreError::Timeout { .. }), "{e}");
    // 2 attempts x 1 s plus backoff, capped by the 5 s operation timeout.
    assert!(
        took >= Duration::from_secs(1) && took < Duration::from_secs(6),
        "{took:?}"
    );
}

/// A one-shot fake S3 endpoint answering every request with `status` and an S3 XML error.
async fn error_server(
    status: &'static str,
    code: &'static str,
) -> (u16, tokio::task::JoinHandle<()>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let handle = tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            let mut buf = vec![0u8; 16384];
            let mut seen = Vec::new();
            while !seen.windows(4).any(|w| w == b"\r\n\r\n") {
                match sock.read(&mut buf).await {
                    Ok(0) | Err(_) => break,
                    Ok(n) => seen.extend_from_slice(buf.get(..n).unwrap_or_default()),
                }
            }
            let body = format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>{code}</Code><Message>rejected by test server</Message></Error>"
            );
            let resp = format!(
                "HTTP/1.1 {status}\r\nContent-Type: application/xml\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = sock.write_all(resp.as_bytes()).await;
        }
    });
    (port, handle)
}

#[tokio::test]
async fn rejected_credentials_and_denied_access_are_named() {
    let (port, server) = error_server("403 Forbidden", "InvalidAccessKeyId").await;
    let store = S3Store::connect(&plain_settings(format!("http://127.0.0.1:{port}")))
        .await
        .unwrap();
    let e = store.get("repo/archive.info").await.unwrap_err();
    server.abort();
    match &e {
        StoreError::BadCredentials { code, bucket, .. } => {
            assert_eq!(code, "InvalidAccessKeyId");
            assert_eq!(bucket, "bucket");
        }
        other => panic!("{other}"),
    }

    let (port, server) = error_server("403 Forbidden", "AccessDenied").await;
    let store = S3Store::connect(&plain_settings(format!("http://127.0.0.1:{port}")))
        .await
        .unwrap();
    let e = store.list("repo/", true).await.unwrap_err();
    server.abort();
    assert!(matches!(e, StoreError::AccessDenied { .. }), "{e}");
    assert!(
        e.to_string().contains("access denied to bucket 'bucket'"),
        "{e}"
    );
}

const CHILD: &str = "SB_BACKUPS_DEFAULT_CHAIN_CHILD";

/// Runs `default_chain_child` in a fresh process with exactly `envs` (the default credential
/// chain reads the process environment, which tests must not mutate in-process).
fn run_child(envs: &[(&str, String)]) -> String {
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "default_chain_child",
            "--exact",
            "--nocapture",
            "--test-threads=1",
        ])
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", "/nonexistent")
        .env("AWS_CONFIG_FILE", "/nonexistent/config")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/credentials")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .envs(envs.iter().map(|(k, v)| (*k, v.as_str())))
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "child failed:\n{text}");
    assert!(text.contains("1 passed"), "child did not run:\n{text}");
    text
}

/// Only does something when spawned by `run_child`.
#[tokio::test]
async fn default_chain_child() {
    let Ok(mode) = std::env::var(CHILD) else {
        return;
    };
    let var = |k: &str| std::env::var(k).unwrap();
    let mut s = plain_settings(var("SB_ENDPOINT"));
    s.bucket = var("SB_BUCKET");
    s.credentials = S3Credentials::DefaultChain;
    if let Ok(ca) = std::env::var("SB_CA") {
        s.tls = TlsTrust::CaFile(PathBuf::from(ca));
    }
    let store = S3Store::connect(&s).await.unwrap();
    let r = store.list("", true).await;
    match mode.as_str() {
        "none" => match r {
            Err(StoreError::NoCredentials { detail }) => {
                assert!(detail.contains("no credentials found in chain"), "{detail}")
            }
            other => panic!("{other:?}"),
        },
        "env" => {
            let listing = r.unwrap();
            assert_eq!(listing.prefixes, vec!["pgbackrest/".to_owned()]);
        }
        other => panic!("unknown child mode {other}"),
    }
}

#[test]
fn default_chain_without_credentials_says_so() {
    run_child(&[
        (CHILD, "none".to_owned()),
        ("SB_ENDPOINT", "http://127.0.0.1:9".to_owned()),
        ("SB_BUCKET", "bucket".to_owned()),
    ]);
}

#[test]
fn live_default_chain_reads_environment_credentials() {
    let Some(f) = fixture() else { return };
    run_child(&[
        (CHILD, "env".to_owned()),
        ("SB_ENDPOINT", f.get("PGBR_S3_ENDPOINT_URL")),
        ("SB_BUCKET", f.get("PGBR_S3_BUCKET_BACKUPS")),
        ("SB_CA", f.get("PGBR_S3_CA_FILE")),
        ("AWS_ACCESS_KEY_ID", f.get("PGBR_S3_KEY")),
        ("AWS_SECRET_ACCESS_KEY", f.get("PGBR_S3_KEY_SECRET")),
        ("AWS_REGION", f.get("PGBR_S3_REGION")),
    ]);
}
