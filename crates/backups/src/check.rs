//! Inspect one repository and judge it, for callers that are not async: the `pgbackrest_info`
//! module and `stackbook backups` both end here.
//!
//! The engine and the CLI are synchronous; the S3 client is not. One current-thread tokio
//! runtime, created on first use and kept in a `OnceLock`, drives every inspection (and keeps
//! nothing running between them). A caller already inside a tokio runtime cannot block on it,
//! so that case moves the work to a scoped thread instead of panicking.
//!
//! The outcome is rendered as JSON with no secret field at all, and every string in it is
//! scrubbed of the secrets the request carried (a server could echo anything in an error).

use std::sync::OnceLock;

use jiff::Timestamp;
use serde_json::{Map, Value as Json};

use crate::config::{ConfigError, Resolved};
use crate::guard::{Decision, decide_init, decide_restore, summary};
use crate::inspect::{InspectError, inspect};
use crate::report::RepoReport;
use crate::s3::{S3ConfigError, S3Credentials, S3Store};
use crate::store::RepoStore;

/// What replaces a secret found in any output text.
pub const MASK: &str = "********";

/// Why a check produced no report.
#[derive(Debug, thiserror::Error)]
pub enum CheckError {
    /// The request could not be turned into settings.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The S3 client could not be built (CA file, TLS).
    #[error(transparent)]
    S3(#[from] S3ConfigError),
    /// The repository could not be read or understood.
    #[error("{location}: {hint}{source}")]
    Inspect {
        /// `s3://bucket at endpoint`, repository path.
        location: String,
        /// A plain-words lead-in for known causes (wrong passphrase), else empty.
        hint: String,
        /// The failure.
        #[source]
        source: Box<InspectError>,
    },
    /// The restore target is not a time with an offset.
    #[error(
        "restore target '{0}': expected a time with a UTC offset, e.g. '2026-11-23 07:40:00+00' or '2026-11-23T07:40:00Z'"
    )]
    Target(String),
    /// No async runtime could be started.
    #[error("cannot start the async runtime for S3: {0}")]
    Runtime(String),
}

impl CheckError {
    /// True when the passphrase is wrong (decryption or checksum failed on every copy).
    pub fn is_wrong_passphrase(&self) -> bool {
        matches!(self, Self::Inspect { source, .. } if source.is_wrong_passphrase())
    }

    /// True when the store could not be reached or did not answer in time (connection refused,
    /// DNS, timeout): the repository host is unreachable, like an unreachable inventory host.
    pub fn is_unreachable(&self) -> bool {
        matches!(
            self,
            Self::Inspect { source, .. } if matches!(
                source.as_ref(),
                InspectError::Store {
                    source: crate::store::StoreError::Unreachable { .. }
                        | crate::store::StoreError::Timeout { .. },
                    ..
                }
            )
        )
    }
}

/// A judged repository.
#[derive(Debug, Clone)]
pub struct CheckOutcome {
    /// What the repository holds.
    pub report: RepoReport,
    /// May a new cluster be initialised on it?
    pub init: Decision,
    /// May a cluster be restored from it (to `restore_target`)?
    pub restore: Decision,
    /// The point-in-time target the restore decision was made for.
    pub restore_target: Option<Timestamp>,
    /// `s3://bucket at endpoint`.
    pub location: String,
    /// `repoN-path`.
    pub repo_path: String,
    /// Repository index N.
    pub repo: u32,
    /// S3 requests made.
    pub requests: u64,
}

/// Parse a PITR target as pgBackRest's `--target` takes it for `--type=time`, but with a
/// mandatory offset (pgBackRest would use the server's time zone, which a preflight does not
/// know): `2026-11-23 07:40:00+00`, `2026-11-23T07:40:00.5+01:00`, `2026-11-23T07:40:00Z`.
pub fn parse_target(text: &str) -> Result<Timestamp, CheckError> {
    let t = text.trim();
    t.parse::<Timestamp>()
        .or_else(|_| t.replacen(' ', "T", 1).parse::<Timestamp>())
        .map_err(|_| CheckError::Target(text.to_owned()))
}

/// Inspect and judge. Async; see [`check_blocking`] for synchronous callers.
pub async fn check(
    resolved: &Resolved,
    restore_target: Option<Timestamp>,
) -> Result<CheckOutcome, CheckError> {
    let store = S3Store::connect(&resolved.options.s3).await?;
    let location = format!("{} path {}", store.location(), resolved.options.repo_path);
    let report = inspect(
        &store,
        &resolved.options.repo_path,
        &resolved.stanza,
        resolved.options.cipher_pass.as_ref(),
    )
    .await
    .map_err(|source| CheckError::Inspect {
        location,
        hint: if source.is_wrong_passphrase() {
            format!(
                "wrong cipher passphrase (repo{}-cipher-pass): the info files do not decrypt \
                 with it. ",
                resolved.repo
            )
        } else {
            String::new()
        },
        source: Box::new(source),
    })?;
    Ok(CheckOutcome {
        init: decide_init(&report),
        restore: decide_restore(&report, restore_target),
        restore_target,
        location: store.location(),
        repo_path: resolved.options.repo_path.clone(),
        repo: resolved.repo,
        requests: store.request_count(),
        report,
    })
}

fn runtime() -> Result<&'static tokio::runtime::Runtime, CheckError> {
    static RUNTIME: OnceLock<Result<tokio::runtime::Runtime, String>> = OnceLock::new();
    RUNTIME
        .get_or_init(|| {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| e.to_string())
        })
        .as_ref()
        .map_err(|e| CheckError::Runtime(e.clone()))
}

/// [`check`] on the shared runtime, for synchronous callers.
pub fn check_blocking(
    resolved: &Resolved,
    restore_target: Option<Timestamp>,
) -> Result<CheckOutcome, CheckError> {
    block_on(check(resolved, restore_target))?
}

/// Runs `work` to completion on the shared S3 runtime, from synchronous code (also from inside
/// another runtime, where `block_on` would panic: then on a thread of our own).
pub fn block_on<T: Send>(work: impl Future<Output = T> + Send) -> Result<T, CheckError> {
    let rt = runtime()?;
    if tokio::runtime::Handle::try_current().is_err() {
        return Ok(rt.block_on(work));
    }
    std::thread::scope(|scope| {
        scope
            .spawn(|| rt.block_on(work))
            .join()
            .map_err(|_| CheckError::Runtime("the S3 worker thread panicked".into()))
    })
}

/// The secret values of a resolved request (cipher passphrase, S3 secret key, session token),
/// for [`scrub`].
pub fn secrets_of(resolved: &Resolved) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(p) = &resolved.options.cipher_pass {
        out.push(p.expose().to_owned());
    }
    if let S3Credentials::Static {
        secret_access_key,
        session_token,
        ..
    } = &resolved.options.s3.credentials
    {
        out.push(secret_access_key.expose().to_owned());
        if let Some(t) = session_token {
            out.push(t.expose().to_owned());
        }
    }
    out.retain(|s| !s.is_empty());
    out
}

/// Replace every occurrence of a secret in `text` with [`MASK`].
pub fn scrub_str(text: &str, secrets: &[String]) -> String {
    let mut out = text.to_owned();
    for s in secrets.iter().filter(|s| !s.is_empty()) {
        if out.contains(s.as_str()) {
            out = out.replace(s.as_str(), MASK);
        }
    }
    out
}

/// Replace every occurrence of a secret in every string (and key) of `value` with [`MASK`].
pub fn scrub(value: &mut Json, secrets: &[String]) {
    match value {
        Json::String(s) => *s = scrub_str(s, secrets),
        Json::Array(items) => items.iter_mut().for_each(|v| scrub(v, secrets)),
        Json::Object(map) => {
            let entries = std::mem::take(map);
            for (k, mut v) in entries {
                scrub(&mut v, secrets);
                map.insert(scrub_str(&k, secrets), v);
            }
        }
        Json::Null | Json::Bool(_) | Json::Number(_) => {}
    }
}

impl CheckOutcome {
    /// The result as registered by `pgbackrest_info` and printed by `stackbook backups
    /// --output json`: the report's fields at the top level, the guard verdicts, where it was
    /// read from. Contains no passphrase, key or token field.
    pub fn to_json(&self) -> Map<String, Json> {
        let mut out = Map::new();
        out.insert("changed".into(), Json::Bool(false));
        out.insert("msg".into(), Json::String(summary(&self.report)));
        out.insert("location".into(), Json::String(self.location.clone()));
        out.insert("repo".into(), Json::from(self.repo));
        out.insert("repo_path".into(), Json::String(self.repo_path.clone()));
        if let Ok(Json::Object(report)) = serde_json::to_value(&self.report) {
            out.extend(report);
        }
        out.insert("status_code".into(), Json::from(self.report.status.code()));
        let (init_allowed, init_reason) = verdict(&self.init);
        out.insert("init_allowed".into(), Json::Bool(init_allowed));
        out.insert("init_refused_reason".into(), init_reason);
        let (restore_allowed, restore_reason) = verdict(&self.restore);
        out.insert("restore_allowed".into(), Json::Bool(restore_allowed));
        out.insert("restore_refused_reason".into(), restore_reason);
        out.insert(
            "restore_target".into(),
            self.restore_target
                .map_or(Json::Null, |t| Json::String(t.to_string())),
        );
        out.insert("requests".into(), Json::from(self.requests));
        out
    }
}

fn verdict(d: &Decision) -> (bool, Json) {
    match d {
        Decision::Allow => (true, Json::Null),
        Decision::Refuse { reason } => (false, Json::String(reason.clone())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn targets_need_an_offset() {
        let want: Timestamp = "2026-11-23T07:40:00Z".parse().unwrap();
        for t in [
            "2026-11-23 07:40:00+00",
            "2026-11-23 07:40:00+00:00",
            "2026-11-23T08:40:00+01:00",
            " 2026-11-23T07:40:00Z ",
        ] {
            assert_eq!(parse_target(t).unwrap(), want, "{t}");
        }
        for t in ["2026-11-23 07:40:00", "yesterday", ""] {
            let e = parse_target(t).unwrap_err().to_string();
            assert!(e.contains("expected a time with a UTC offset"), "{e}");
        }
    }

    #[test]
    fn scrub_masks_secrets_everywhere() {
        let secrets = vec!["s3cr3t-pass".to_owned(), String::new()];
        let mut v = json!({
            "msg": "bad s3cr3t-pass here",
            "list": ["x", "s3cr3t-pass"],
            "s3cr3t-pass": {"n": 1}
        });
        scrub(&mut v, &secrets);
        let text = v.to_string();
        assert!(!text.contains("s3cr3t-pass"), "{text}");
        assert_eq!(v["msg"], json!(format!("bad {MASK} here")));
        assert_eq!(v["list"][1], json!(MASK));
        assert_eq!(v[MASK]["n"], json!(1));
    }

    #[test]
    fn blocking_works_inside_a_runtime_too() {
        // An unreachable endpoint fails fast; what matters is that no panic occurs when the
        // caller is itself on a tokio runtime.
        let req = crate::config::RepoRequest {
            overrides: crate::config::Overrides {
                endpoint: Some("http://127.0.0.1:1".into()),
                bucket: Some("b".into()),
                region: Some("r".into()),
                access_key: Some("k".into()),
                secret_key: Some(crate::Secret::new("s")),
                ..Default::default()
            },
            timeouts: crate::config::Timeouts {
                attempts: Some(1),
                ..Default::default()
            },
            ..Default::default()
        };
        let resolved = req.resolve().unwrap();
        let outer = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let err = outer
            .block_on(async { check_blocking(&resolved, None) })
            .unwrap_err();
        assert!(err.to_string().contains("cannot reach"), "{err}");
        let err = check_blocking(&resolved, None).unwrap_err();
        assert!(err.to_string().contains("cannot reach"), "{err}");
    }
}
