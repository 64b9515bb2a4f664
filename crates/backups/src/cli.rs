//! `stackbook backups`: `pgbackrest info` for an S3 repository, without pgBackRest, plus the
//! verdicts of the init and restore guards.
//!
//! Operators run it before pointing a new cluster at a bucket or restoring from one, and CI
//! runs it as a gate: exit 0 when everything asked for is allowed, 2 when a requested guard
//! (`--check-init`, `--check-restore`) refuses, 1 when the repository cannot be inspected.
//!
//! Credentials come from `--s3-conf` (PGO's `s3.conf` or any `pgbackrest.conf`) or, without
//! keys there, the AWS default chain (`AWS_ACCESS_KEY_ID`, profiles, web identity). Secrets are
//! never flags: the cipher passphrase comes from `--s3-conf`, `--cipher-pass-file` or
//! `STACKBOOK_PGBACKREST_CIPHER_PASS`, and nothing printed contains it.

use std::fmt::Write as _;
use std::io::Write;
use std::path::{Path, PathBuf};

use clap::{Args, ValueEnum};

use crate::check::{CheckOutcome, check_blocking, parse_target, scrub, scrub_str, secrets_of};
use crate::config::{Overrides, RepoRequest, Timeouts, seconds};
use crate::guard::Decision;
use crate::report::{BackupInfo, BackupKind};
use crate::secret::Secret;

/// Environment variable holding the repository cipher passphrase.
pub const CIPHER_PASS_ENV: &str = "STACKBOOK_PGBACKREST_CIPHER_PASS";

/// Exit code: everything asked for is allowed.
pub const EXIT_OK: i32 = 0;
/// Exit code: the repository could not be inspected (settings, network, credentials, format).
pub const EXIT_ERROR: i32 = 1;
/// Exit code: a requested guard refused.
pub const EXIT_REFUSED: i32 = 2;
/// Exit code: the S3 endpoint could not be reached in time (as `ansible-playbook` exits for an
/// unreachable host).
pub const EXIT_UNREACHABLE: i32 = 4;

/// Output formats of `stackbook backups`.
#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq, Default)]
pub enum BackupsOutput {
    /// A report like `pgbackrest info`, with the guard verdicts.
    #[default]
    Human,
    /// The `pgbackrest_info` module's result as one JSON document.
    Json,
}

/// `stackbook backups`: inspect a pgBackRest repository in S3 and judge init/restore.
#[derive(Debug, Clone, Args)]
pub struct BackupsArgs {
    /// pgBackRest options file (`[global]` + `[<stanza>]`), e.g. the `s3.conf` of a PGO Secret.
    #[arg(long = "s3-conf", value_name = "FILE")]
    pub s3_conf: Option<PathBuf>,
    /// Repository index N of the `repoN-*` options.
    #[arg(long = "repo", value_name = "N")]
    pub repo: Option<u32>,
    /// S3 endpoint: host, host:port or URL (repoN-s3-endpoint).
    #[arg(long, value_name = "URL")]
    pub endpoint: Option<String>,
    /// Bucket (repoN-s3-bucket).
    #[arg(long)]
    pub bucket: Option<String>,
    /// Region (repoN-s3-region).
    #[arg(long)]
    pub region: Option<String>,
    /// Bucket addressing: host (AWS) or path (most S3-compatible stores).
    #[arg(long = "uri-style", value_name = "host|path")]
    pub uri_style: Option<String>,
    /// Trust only the CAs in this PEM file (repoN-storage-ca-file).
    #[arg(long = "ca-file", value_name = "FILE")]
    pub ca_file: Option<PathBuf>,
    /// Do not verify the server certificate (repoN-storage-verify-tls=n; test stores only).
    #[arg(long = "no-verify-tls")]
    pub no_verify_tls: bool,
    /// Repository path in the bucket (repoN-path, default /var/lib/pgbackrest).
    #[arg(long = "repo-path", value_name = "PATH")]
    pub repo_path: Option<String>,
    /// Stanza (PGO: db).
    #[arg(long, default_value = crate::config::DEFAULT_STANZA)]
    pub stanza: String,
    /// File holding the repository cipher passphrase (else STACKBOOK_PGBACKREST_CIPHER_PASS,
    /// else repoN-cipher-pass from --s3-conf).
    #[arg(long = "cipher-pass-file", value_name = "FILE")]
    pub cipher_pass_file: Option<PathBuf>,
    /// TCP connect timeout, seconds.
    #[arg(long = "connect-timeout", value_name = "SECS")]
    pub connect_timeout: Option<f64>,
    /// Time allowed for one attempt, seconds.
    #[arg(long = "attempt-timeout", value_name = "SECS")]
    pub attempt_timeout: Option<f64>,
    /// Time allowed for one S3 operation including retries, seconds.
    #[arg(long, value_name = "SECS")]
    pub timeout: Option<f64>,
    /// Attempts per S3 request (1 = no retry).
    #[arg(long, value_name = "N")]
    pub attempts: Option<u32>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = BackupsOutput::Human)]
    pub output: BackupsOutput,
    /// Exit 2 unless a new cluster may be initialised on this repository.
    #[arg(long = "check-init")]
    pub check_init: bool,
    /// Exit 2 unless a cluster may be restored from this repository (to --target).
    #[arg(long = "check-restore")]
    pub check_restore: bool,
    /// Point-in-time restore target with an offset, e.g. '2026-11-23 07:40:00+00'.
    #[arg(long, value_name = "TIME", requires = "check_restore")]
    pub target: Option<String>,
}

/// Why the command could not start the inspection.
#[derive(Debug, thiserror::Error)]
enum CliError {
    #[error("{what} {path}: {source}")]
    Read {
        what: &'static str,
        path: String,
        source: std::io::Error,
    },
    #[error("{0}")]
    Invalid(String),
}

/// Run the command with the process's stdout/stderr; returns the exit code.
pub fn run(args: BackupsArgs) -> i32 {
    let stdout = std::io::stdout();
    let stderr = std::io::stderr();
    run_with(&args, &mut stdout.lock(), &mut stderr.lock())
}

/// Run the command writing to `out` (report) and `err` (errors); returns the exit code.
pub fn run_with(args: &BackupsArgs, out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    let env_pass = std::env::var(CIPHER_PASS_ENV)
        .ok()
        .filter(|p| !p.is_empty());
    run_inner(args, env_pass.map(Secret::new), out, err)
}

fn run_inner(
    args: &BackupsArgs,
    env_pass: Option<Secret>,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> i32 {
    let fail = |out: &mut dyn Write, err: &mut dyn Write, msg: String| {
        // Write failures (closed pipe) leave nothing else to report to.
        let _ = match args.output {
            BackupsOutput::Json => writeln!(
                out,
                "{}",
                serde_json::json!({"changed": false, "failed": true, "msg": msg})
            ),
            BackupsOutput::Human => writeln!(err, "error: {msg}"),
        };
        EXIT_ERROR
    };
    let request = match request(args, env_pass) {
        Ok(r) => r,
        Err(e) => return fail(out, err, e.to_string()),
    };
    let target = match args.target.as_deref().map(parse_target).transpose() {
        Ok(t) => t,
        Err(e) => return fail(out, err, e.to_string()),
    };
    let resolved = match request.resolve() {
        Ok(r) => r,
        Err(e) => return fail(out, err, e.to_string()),
    };
    let secrets = secrets_of(&resolved);
    let outcome = match check_blocking(&resolved, target) {
        Ok(o) => o,
        Err(e) => {
            let unreachable = e.is_unreachable();
            let code = fail(out, err, scrub_str(&e.to_string(), &secrets));
            return if unreachable { EXIT_UNREACHABLE } else { code };
        }
    };
    let refused = (args.check_init && !outcome.init.is_allow())
        || (args.check_restore && !outcome.restore.is_allow());
    let text = match args.output {
        BackupsOutput::Json => {
            let mut value = serde_json::Value::Object(outcome.to_json());
            scrub(&mut value, &secrets);
            serde_json::to_string_pretty(&value).unwrap_or_default()
        }
        BackupsOutput::Human => scrub_str(&human(&outcome), &secrets),
    };
    if writeln!(out, "{text}").is_err() {
        return EXIT_ERROR;
    }
    if refused { EXIT_REFUSED } else { EXIT_OK }
}

fn read(what: &'static str, path: &Path) -> Result<String, CliError> {
    std::fs::read_to_string(path).map_err(|source| CliError::Read {
        what,
        path: path.display().to_string(),
        source,
    })
}

fn request(args: &BackupsArgs, env_pass: Option<Secret>) -> Result<RepoRequest, CliError> {
    let s3_conf = args
        .s3_conf
        .as_deref()
        .map(|p| read("--s3-conf", p).map(Secret::new))
        .transpose()?;
    let cipher_pass = match &args.cipher_pass_file {
        Some(path) => {
            let text = Secret::new(read("--cipher-pass-file", path)?);
            let pass = text.expose().trim_end_matches(['\n', '\r']);
            if pass.is_empty() {
                return Err(CliError::Invalid(format!(
                    "--cipher-pass-file {}: the file is empty",
                    path.display()
                )));
            }
            Some(Secret::new(pass))
        }
        None => env_pass,
    };
    let secs = |field: &'static str, v: Option<f64>| {
        v.map(|v| seconds(field, v))
            .transpose()
            .map_err(|e| CliError::Invalid(format!("--{}", e.to_string().replace('_', "-"))))
    };
    Ok(RepoRequest {
        s3_conf,
        global: Default::default(),
        repo_spec: None,
        overrides: Overrides {
            repo: args.repo,
            endpoint: args.endpoint.clone(),
            bucket: args.bucket.clone(),
            region: args.region.clone(),
            uri_style: args.uri_style.clone(),
            verify_tls: args.no_verify_tls.then_some(false),
            ca_file: args.ca_file.as_ref().map(|p| p.display().to_string()),
            repo_path: args.repo_path.clone(),
            cipher_pass,
            ..Overrides::default()
        },
        stanza: Some(args.stanza.clone()),
        timeouts: Timeouts {
            connect: secs("connect_timeout", args.connect_timeout)?,
            attempt: secs("attempt_timeout", args.attempt_timeout)?,
            operation: secs("timeout", args.timeout)?,
            attempts: args.attempts,
        },
    })
}

/// pgBackRest's size format: one decimal above a KB (`22.2MB`), whole bytes below.
fn size(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["KB", "MB", "GB", "TB", "PB"];
    if bytes < 1024 {
        return format!("{bytes}B");
    }
    let mut value = bytes as f64 / 1024.0;
    let mut unit = UNITS[0];
    for next in &UNITS[1..] {
        if value < 1024.0 {
            break;
        }
        value /= 1024.0;
        unit = next;
    }
    format!("{value:.1}{unit}")
}

fn kind(b: &BackupInfo) -> &'static str {
    match b.kind {
        BackupKind::Full => "full",
        BackupKind::Diff => "diff",
        BackupKind::Incr => "incr",
    }
}

fn time(t: jiff::Timestamp) -> String {
    t.strftime("%Y-%m-%d %H:%M:%S+00").to_string()
}

/// The human report: `pgbackrest info`'s layout, then the verdicts.
fn human(o: &CheckOutcome) -> String {
    let r = &o.report;
    let mut s = String::new();
    // Writing to a String cannot fail.
    let _ = writeln!(s, "stanza: {}", r.stanza);
    let _ = writeln!(s, "    status: {}", r.status.message());
    let _ = writeln!(
        s,
        "    cipher: {}",
        if r.encrypted {
            "aes-256-cbc"
        } else if r.stanza_exists {
            "none"
        } else {
            "unknown (no info files)"
        }
    );
    let _ = writeln!(
        s,
        "    repository: repo{} {} path {}",
        o.repo, o.location, o.repo_path
    );
    if let Some(db) = &r.db {
        let _ = writeln!(
            s,
            "    db (current): PostgreSQL {} system-id {}",
            db.version, db.system_id
        );
    }
    match &r.wal_archive {
        Some(w) => {
            let _ = writeln!(
                s,
                "        wal archive min/max ({}): {}/{}{}",
                w.archive_id,
                w.min,
                w.max,
                w.max_archived_at
                    .map(|t| format!(" (newest stored {})", time(t)))
                    .unwrap_or_default()
            );
        }
        None if r.stanza_exists => {
            let _ = writeln!(s, "        wal archive: none");
        }
        None => {}
    }
    for b in &r.backups {
        let _ = writeln!(s);
        let _ = writeln!(s, "        {} backup: {}", kind(b), b.label);
        let _ = writeln!(
            s,
            "            timestamp start/stop: {} / {}",
            time(b.start),
            time(b.stop)
        );
        if let (Some(a), Some(z)) = (&b.wal_start, &b.wal_stop) {
            let _ = writeln!(s, "            wal start/stop: {a} / {z}");
        }
        let _ = writeln!(
            s,
            "            database size: {}, database backup size: {}",
            size(b.size),
            size(b.size_delta)
        );
        let _ = writeln!(
            s,
            "            repo{}: backup set size: {}, backup size: {}",
            o.repo,
            size(b.repo_size),
            size(b.repo_size_delta)
        );
        if !b.references.is_empty() {
            let _ = writeln!(
                s,
                "            backup reference list: {}",
                b.references.join(", ")
            );
        }
        if b.error {
            let _ = writeln!(s, "            error: page checksum errors were recorded");
        }
    }
    for w in &r.warnings {
        let _ = writeln!(s, "    warning: {w}");
    }
    let _ = writeln!(s);
    let verdict = |d: &Decision| match d {
        Decision::Allow => "allowed".to_owned(),
        Decision::Refuse { reason } => format!("REFUSED: {reason}"),
    };
    let _ = writeln!(s, "init: {}", verdict(&o.init));
    let target = o
        .restore_target
        .map(|t| format!(" to {}", time(t)))
        .unwrap_or_default();
    let _ = write!(s, "restore{target}: {}", verdict(&o.restore));
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Wrapper {
        #[command(flatten)]
        args: BackupsArgs,
    }

    fn parse(argv: &[&str]) -> Result<BackupsArgs, clap::Error> {
        let mut full = vec!["stackbook-backups"];
        full.extend_from_slice(argv);
        Wrapper::try_parse_from(full).map(|w| w.args)
    }

    /// The shape the `stackbook` binary wires: a boxed subcommand.
    #[derive(Parser)]
    struct Top {
        #[command(subcommand)]
        command: Top2,
    }

    #[derive(clap::Subcommand)]
    enum Top2 {
        /// Inspect a pgBackRest repository.
        Backups(Box<BackupsArgs>),
    }

    #[test]
    fn wires_as_a_subcommand_with_help() {
        let top =
            Top::try_parse_from(["stackbook", "backups", "--bucket", "b", "--check-init"]).unwrap();
        let Top2::Backups(args) = top.command;
        assert_eq!(args.bucket.as_deref(), Some("b"));
        assert!(args.check_init);
        let help = Top::try_parse_from(["stackbook", "backups", "--help"])
            .err()
            .unwrap()
            .to_string();
        for flag in [
            "--s3-conf <FILE>",
            "--cipher-pass-file <FILE>",
            "--check-restore",
            "--target <TIME>",
        ] {
            assert!(help.contains(flag), "{flag} missing from:\n{help}");
        }
    }

    #[test]
    fn sizes_follow_pgbackrest() {
        assert_eq!(size(0), "0B");
        assert_eq!(size(1023), "1023B");
        assert_eq!(size(1536), "1.5KB");
        assert_eq!(size(23_278_592), "22.2MB");
        assert_eq!(size(5 * 1024 * 1024 * 1024), "5.0GB");
    }

    #[test]
    fn flags_parse_and_target_requires_check_restore() {
        let a = parse(&[
            "--bucket",
            "b",
            "--output",
            "json",
            "--check-restore",
            "--target",
            "2026-11-23 07:40:00+00",
            "--no-verify-tls",
            "--attempts",
            "1",
        ])
        .unwrap();
        assert_eq!(a.output, BackupsOutput::Json);
        assert!(a.no_verify_tls && a.check_restore && !a.check_init);
        assert_eq!(a.stanza, "db");
        assert!(parse(&["--target", "2026-11-23 07:40:00+00"]).is_err());
        assert!(parse(&["--output", "yaml"]).is_err());
    }

    #[test]
    fn settings_errors_exit_1_with_the_option_named() {
        let a = parse(&["--bucket", "b", "--endpoint", "127.0.0.1:1"]).unwrap();
        let (mut out, mut err) = (Vec::new(), Vec::new());
        assert_eq!(run_inner(&a, None, &mut out, &mut err), EXIT_ERROR);
        let err = String::from_utf8(err).unwrap();
        assert!(err.contains("'repo1-s3-region' is required"), "{err}");
        assert!(out.is_empty());

        let a = parse(&["--bucket", "b", "--output", "json", "--timeout", "0"]).unwrap();
        let (mut out, mut err) = (Vec::new(), Vec::new());
        assert_eq!(run_inner(&a, None, &mut out, &mut err), EXIT_ERROR);
        let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(v["failed"], true);
        assert!(v["msg"].as_str().unwrap().starts_with("--timeout:"), "{v}");

        let a = parse(&["--cipher-pass-file", "/nonexistent/pass"]).unwrap();
        let (mut out, mut err) = (Vec::new(), Vec::new());
        assert_eq!(run_inner(&a, None, &mut out, &mut err), EXIT_ERROR);
        let err = String::from_utf8(err).unwrap();
        assert!(
            err.contains("--cipher-pass-file /nonexistent/pass:"),
            "{err}"
        );
    }
}
