//! Inspect a pgBackRest repository in S3 and print the report and guard decisions as JSON.
//!
//! ```text
//! cargo run --example inspect -- <endpoint-url> <bucket> <repo-path> <stanza> [ca-file|insecure|system]
//! ```
//! Credentials from `AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY` (or the default chain when
//! unset), passphrase from `PGBR_CIPHER_PASS` (unset = unencrypted repository).

use std::path::PathBuf;

use stackbook_backups::s3::TlsTrust;
use stackbook_backups::{
    RepoStore, S3Credentials, S3Settings, S3Store, Secret, UriStyle, decide_init, decide_restore,
    inspect,
};

#[tokio::main(flavor = "current_thread")]
async fn main() -> std::process::ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [endpoint, bucket, repo_path, stanza, rest @ ..] = args.as_slice() else {
        eprintln!(
            "usage: inspect <endpoint-url> <bucket> <repo-path> <stanza> [ca-file|insecure|system]"
        );
        return std::process::ExitCode::from(2);
    };
    let mut s = S3Settings::new(
        bucket.clone(),
        std::env::var("AWS_REGION").unwrap_or_else(|_| "us-east-1".into()),
    );
    s.endpoint = Some(endpoint.clone());
    s.uri_style = UriStyle::Path;
    s.tls = match rest.first().map(String::as_str) {
        None | Some("system") => TlsTrust::System,
        Some("insecure") => TlsTrust::Insecure,
        Some(path) => TlsTrust::CaFile(PathBuf::from(path)),
    };
    if let (Ok(k), Ok(v)) = (
        std::env::var("AWS_ACCESS_KEY_ID"),
        std::env::var("AWS_SECRET_ACCESS_KEY"),
    ) {
        s.credentials = S3Credentials::Static {
            access_key_id: k,
            secret_access_key: Secret::new(v),
            session_token: std::env::var("AWS_SESSION_TOKEN").ok().map(Secret::new),
        };
    }
    let pass = std::env::var("PGBR_CIPHER_PASS").ok().map(Secret::new);
    let store = match S3Store::connect(&s).await {
        Ok(st) => st,
        Err(e) => {
            eprintln!("error: {e}");
            return std::process::ExitCode::from(2);
        }
    };
    match inspect(&store, repo_path, stanza, pass.as_ref()).await {
        Ok(report) => {
            let out = serde_json::json!({
                "report": report,
                "init": decide_init(&report),
                "restore": decide_restore(&report, None),
                "requests": store.request_count(),
            });
            println!("{}", serde_json::to_string_pretty(&out).unwrap_or_default());
            std::process::ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
