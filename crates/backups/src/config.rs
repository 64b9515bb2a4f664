//! One repository description assembled from the places a playbook or operator already has it.
//!
//! A PGO stack keeps a repository's settings in three pieces: the `s3.conf` text of the Secret
//! that `spec.backups.pgbackrest.configuration` references (keys, cipher passphrase), the
//! PostgresCluster's `spec.backups.pgbackrest.global` options (path, URI style, cipher type,
//! TLS) and its `spec.backups.pgbackrest.repos[]` entry (bucket, endpoint, region). The
//! `pgbackrest_info` module and `stackbook backups` accept exactly those pieces, plus explicit
//! settings that win over them, so the data a playbook writes into the cluster is the data that
//! is inspected. Everything is merged into pgBackRest option names first and then mapped by
//! [`crate::s3::options::repo_options`], so defaults and "option required" errors are
//! pgBackRest's own.

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::Value as Json;

use crate::s3::options::{OptionError, RepoOptions, parse_conf, repo_options};
use crate::secret::Secret;

/// The stanza PGO creates for every cluster.
pub const DEFAULT_STANZA: &str = "db";

/// Where to read options from, lowest precedence first: `s3_conf`, `global`, `repo_spec`,
/// `overrides`.
#[derive(Debug, Clone, Default)]
pub struct RepoRequest {
    /// Text of a `pgbackrest.conf`-style file, typically PGO's `s3.conf` (`[global]` plus an
    /// optional `[<stanza>]` section). Its `repoN-*` options are used verbatim.
    pub s3_conf: Option<Secret>,
    /// `spec.backups.pgbackrest.global` of a PostgresCluster (option name → value).
    pub global: BTreeMap<String, String>,
    /// One `spec.backups.pgbackrest.repos[]` entry (`{name: repo1, s3: {bucket, endpoint,
    /// region}}`).
    pub repo_spec: Option<Json>,
    /// Explicit settings; they win over every other source.
    pub overrides: Overrides,
    /// Stanza name; [`DEFAULT_STANZA`] when `None`.
    pub stanza: Option<String>,
    /// Network limits; library defaults where `None`.
    pub timeouts: Timeouts,
}

/// Explicit settings, each mapped to the pgBackRest option named in its doc.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    /// Repository index N of the `repoN-*` options (default: from `repo_spec.name`, else 1).
    pub repo: Option<u32>,
    /// `repoN-s3-endpoint` (`host`, `host:port` or URL).
    pub endpoint: Option<String>,
    /// `repoN-s3-bucket`.
    pub bucket: Option<String>,
    /// `repoN-s3-region`.
    pub region: Option<String>,
    /// `repoN-s3-uri-style` (`host` or `path`).
    pub uri_style: Option<String>,
    /// `repoN-storage-verify-tls` (`y`/`n`).
    pub verify_tls: Option<bool>,
    /// `repoN-storage-ca-file`.
    pub ca_file: Option<String>,
    /// `repoN-s3-key-type` (`shared`, `auto`, `web-id`).
    pub key_type: Option<String>,
    /// `repoN-s3-key`.
    pub access_key: Option<String>,
    /// `repoN-s3-key-secret`.
    pub secret_key: Option<Secret>,
    /// `repoN-s3-token`.
    pub session_token: Option<Secret>,
    /// `repoN-path`.
    pub repo_path: Option<String>,
    /// `repoN-cipher-pass` (implies `repoN-cipher-type=aes-256-cbc` unless a type is set).
    pub cipher_pass: Option<Secret>,
}

/// Network limits; `None` keeps the [`crate::S3Settings::new`] default.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Timeouts {
    /// TCP connect timeout.
    pub connect: Option<Duration>,
    /// One attempt, request to full response.
    pub attempt: Option<Duration>,
    /// One operation including retries.
    pub operation: Option<Duration>,
    /// Total attempts per request (1 = no retry).
    pub attempts: Option<u32>,
}

/// A repository request that cannot be turned into settings.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ConfigError {
    /// The `s3.conf` text does not parse.
    #[error("s3_conf: {0}")]
    S3Conf(#[source] OptionError),
    /// The merged options are incomplete or invalid (pgBackRest's own wording).
    #[error(transparent)]
    Options(#[from] OptionError),
    /// The PostgresCluster `repos[]` entry is unusable.
    #[error("repo (PostgresCluster spec.backups.pgbackrest.repos[]): {0}")]
    RepoSpec(String),
    /// The explicit repository index disagrees with the one the `repos[]` entry names.
    #[error("repo index {given} does not match the repository entry named '{name}'")]
    RepoIndexMismatch {
        /// The explicit index.
        given: u32,
        /// The entry's name.
        name: String,
    },
    /// A setting is out of range.
    #[error("{field}: {detail}")]
    Invalid {
        /// The setting.
        field: &'static str,
        /// What is wrong.
        detail: String,
    },
}

/// Everything [`crate::check::check`] needs.
#[derive(Debug, Clone)]
pub struct Resolved {
    /// Connection, path and passphrase.
    pub options: RepoOptions,
    /// The repository index N.
    pub repo: u32,
    /// The stanza.
    pub stanza: String,
}

/// pgBackRest supports repo1..repo256.
const MAX_REPO: u32 = 256;

impl RepoRequest {
    /// Merge the sources into pgBackRest options and map them to settings.
    pub fn resolve(&self) -> Result<Resolved, ConfigError> {
        let stanza = self
            .stanza
            .clone()
            .unwrap_or_else(|| DEFAULT_STANZA.to_owned());
        if stanza.is_empty() || stanza.contains('/') {
            return Err(ConfigError::Invalid {
                field: "stanza",
                detail: format!("'{stanza}' must be non-empty and contain no '/'"),
            });
        }
        let spec = self
            .repo_spec
            .as_ref()
            .map(|v| RepoSpec::select(v, self.overrides.repo))
            .transpose()?;
        let repo = match (self.overrides.repo, &spec) {
            (Some(given), Some(s)) if given != s.index => {
                return Err(ConfigError::RepoIndexMismatch {
                    given,
                    name: s.name.clone(),
                });
            }
            (Some(given), _) => given,
            (None, Some(s)) => s.index,
            (None, None) => 1,
        };
        if !(1..=MAX_REPO).contains(&repo) {
            return Err(ConfigError::Invalid {
                field: "repo",
                detail: format!("repository index {repo} is outside 1..={MAX_REPO}"),
            });
        }
        let name = |suffix: &str| format!("repo{repo}-{suffix}");

        let mut options = match &self.s3_conf {
            Some(text) => parse_conf(text.expose(), Some(&stanza)).map_err(ConfigError::S3Conf)?,
            None => BTreeMap::new(),
        };
        options.extend(self.global.iter().map(|(k, v)| (k.clone(), v.clone())));
        if let Some(spec) = &spec {
            options.insert(name("type"), "s3".to_owned());
            for (suffix, value) in [
                ("s3-bucket", &spec.bucket),
                ("s3-endpoint", &spec.endpoint),
                ("s3-region", &spec.region),
            ] {
                if let Some(v) = value {
                    options.insert(name(suffix), v.clone());
                }
            }
        }
        let o = &self.overrides;
        let plain = [
            ("s3-endpoint", o.endpoint.clone()),
            ("s3-bucket", o.bucket.clone()),
            ("s3-region", o.region.clone()),
            ("s3-uri-style", o.uri_style.clone()),
            (
                "storage-verify-tls",
                o.verify_tls.map(|v| if v { "y" } else { "n" }.to_owned()),
            ),
            ("storage-ca-file", o.ca_file.clone()),
            ("s3-key-type", o.key_type.clone()),
            ("s3-key", o.access_key.clone()),
            ("path", o.repo_path.clone()),
        ];
        for (suffix, value) in plain {
            if let Some(v) = value {
                options.insert(name(suffix), v);
            }
        }
        let secrets = [
            ("s3-key-secret", &o.secret_key),
            ("s3-token", &o.session_token),
            ("cipher-pass", &o.cipher_pass),
        ];
        for (suffix, value) in secrets {
            if let Some(v) = value {
                options.insert(name(suffix), v.expose().to_owned());
            }
        }
        // Only S3 repositories can be inspected, so S3 is the type when nothing says otherwise
        // (PGO's s3.conf never carries repoN-type: the operator derives it from the spec).
        options
            .entry(name("type"))
            .or_insert_with(|| "s3".to_owned());
        let has = |options: &BTreeMap<String, String>, suffix: &str| {
            options.get(&name(suffix)).is_some_and(|v| !v.is_empty())
        };
        // Without an s3.conf and without keys, the caller means the AWS default chain; with an
        // s3.conf, missing keys are pgBackRest's error 037, reported by repo_options.
        if self.s3_conf.is_none()
            && !has(&options, "s3-key-type")
            && !has(&options, "s3-key")
            && !has(&options, "s3-key-secret")
        {
            options.insert(name("s3-key-type"), "auto".to_owned());
        }
        if has(&options, "cipher-pass") && !has(&options, "cipher-type") {
            options.insert(name("cipher-type"), "aes-256-cbc".to_owned());
        }
        let mut resolved = repo_options(&options, repo)?;
        // Passing the secret through the map copied it into plain Strings; zero them now.
        for (key, value) in options.iter_mut() {
            if key.ends_with("-key-secret") || key.ends_with("-token") || key.ends_with("-pass") {
                zeroize::Zeroize::zeroize(value);
            }
        }
        self.timeouts.apply(&mut resolved.s3)?;
        Ok(Resolved {
            options: resolved,
            repo,
            stanza,
        })
    }
}

impl Timeouts {
    fn apply(&self, s3: &mut crate::S3Settings) -> Result<(), ConfigError> {
        let positive = |field: &'static str, d: Option<Duration>| match d {
            Some(d) if d.is_zero() => Err(ConfigError::Invalid {
                field,
                detail: "must be greater than zero".to_owned(),
            }),
            other => Ok(other),
        };
        if let Some(d) = positive("connect_timeout", self.connect)? {
            s3.connect_timeout = d;
        }
        if let Some(d) = positive("attempt_timeout", self.attempt)? {
            s3.attempt_timeout = d;
        }
        if let Some(d) = positive("timeout", self.operation)? {
            s3.operation_timeout = d;
        }
        match self.attempts {
            Some(0) => {
                return Err(ConfigError::Invalid {
                    field: "attempts",
                    detail: "must be at least 1".to_owned(),
                });
            }
            Some(n) => s3.max_attempts = n,
            None => {}
        }
        Ok(())
    }
}

/// Seconds as given by a user (`2`, `0.5`) to a [`Duration`].
pub fn seconds(field: &'static str, value: f64) -> Result<Duration, ConfigError> {
    Duration::try_from_secs_f64(value)
        .ok()
        .filter(|d| !d.is_zero())
        .ok_or_else(|| ConfigError::Invalid {
            field,
            detail: format!("{value} is not a positive number of seconds"),
        })
}

/// The parts of a PGO `repos[]` entry that locate an S3 repository.
struct RepoSpec {
    name: String,
    index: u32,
    bucket: Option<String>,
    endpoint: Option<String>,
    region: Option<String>,
}

impl RepoSpec {
    /// One entry, or from the whole `repos` list the one named `repo<wanted>`, else the first
    /// with an `s3` section.
    fn select(value: &Json, wanted: Option<u32>) -> Result<Self, ConfigError> {
        let Json::Array(items) = value else {
            return Self::parse(value);
        };
        let name_of = |v: &Json| v.get("name").and_then(Json::as_str).map(str::to_owned);
        let chosen = match wanted {
            Some(n) => items
                .iter()
                .find(|v| name_of(v).as_deref() == Some(format!("repo{n}").as_str()))
                .ok_or_else(|| ConfigError::RepoSpec(format!("no entry named repo{n}")))?,
            None => items
                .iter()
                .find(|v| v.get("s3").is_some())
                .ok_or_else(|| ConfigError::RepoSpec("no entry has an 's3' section".to_owned()))?,
        };
        Self::parse(chosen)
    }

    fn parse(value: &Json) -> Result<Self, ConfigError> {
        let bad = |detail: String| ConfigError::RepoSpec(detail);
        let map = value
            .as_object()
            .ok_or_else(|| bad(format!("expected a mapping, got {}", kind(value))))?;
        let name = match map.get("name") {
            Some(Json::String(s)) => s.clone(),
            None => "repo1".to_owned(),
            Some(other) => {
                return Err(bad(format!("name: expected a string, got {}", kind(other))));
            }
        };
        let index = name
            .strip_prefix("repo")
            .and_then(|n| n.parse::<u32>().ok())
            .filter(|n| (1..=MAX_REPO).contains(n))
            .ok_or_else(|| {
                bad(format!(
                    "name '{name}' is not repo1..repo{MAX_REPO} (PGO's repository names)"
                ))
            })?;
        let Some(s3) = map.get("s3") else {
            let other = ["volume", "gcs", "azure"]
                .into_iter()
                .find(|k| map.contains_key(*k));
            return Err(bad(match other {
                Some(k) => {
                    format!("{name} is a '{k}' repository; only s3 repositories can be inspected")
                }
                None => format!("{name} has no 's3' section (bucket, endpoint, region)"),
            }));
        };
        let s3 = s3
            .as_object()
            .ok_or_else(|| bad(format!("{name}.s3: expected a mapping, got {}", kind(s3))))?;
        let field = |key: &str| -> Result<Option<String>, ConfigError> {
            match s3.get(key) {
                None | Some(Json::Null) => Ok(None),
                Some(Json::String(s)) => Ok(Some(s.clone())),
                Some(other) => Err(bad(format!(
                    "{name}.s3.{key}: expected a string, got {}",
                    kind(other)
                ))),
            }
        };
        Ok(Self {
            bucket: field("bucket")?,
            endpoint: field("endpoint")?,
            region: field("region")?,
            name,
            index,
        })
    }
}

fn kind(value: &Json) -> &'static str {
    match value {
        Json::Null => "null",
        Json::Bool(_) => "a boolean",
        Json::Number(_) => "a number",
        Json::String(_) => "a string",
        Json::Array(_) => "a list",
        Json::Object(_) => "a mapping",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::s3::{S3Credentials, TlsTrust, UriStyle};
    use serde_json::json;

    const S3_CONF: &str = "[global]\nrepo1-s3-key=AKID\nrepo1-s3-key-secret=key-secret-value\n\
                           repo1-cipher-pass=cipher-pass-value\n";

    fn pgo_request() -> RepoRequest {
        RepoRequest {
            s3_conf: Some(Secret::new(S3_CONF)),
            global: BTreeMap::from([
                ("repo1-path".to_owned(), "/pgbackrest/repo1".to_owned()),
                ("repo1-s3-uri-style".to_owned(), "path".to_owned()),
                ("repo1-storage-verify-tls".to_owned(), "n".to_owned()),
                ("repo1-cipher-type".to_owned(), "aes-256-cbc".to_owned()),
            ]),
            repo_spec: Some(json!({
                "name": "repo1",
                "s3": {"bucket": "backups", "endpoint": "minio.example:9000", "region": "eu"},
                "schedules": {"full": "0 1 * * 0"}
            })),
            ..RepoRequest::default()
        }
    }

    #[test]
    fn pgo_pieces_merge_into_settings() {
        let r = pgo_request().resolve().unwrap();
        assert_eq!(r.repo, 1);
        assert_eq!(r.stanza, "db");
        assert_eq!(r.options.repo_path, "/pgbackrest/repo1");
        assert_eq!(r.options.s3.bucket, "backups");
        assert_eq!(r.options.s3.region, "eu");
        assert_eq!(
            r.options.s3.endpoint_url().as_deref(),
            Some("https://minio.example:9000")
        );
        assert_eq!(r.options.s3.uri_style, UriStyle::Path);
        assert_eq!(r.options.s3.tls, TlsTrust::Insecure);
        assert_eq!(
            r.options.cipher_pass.as_ref().map(Secret::expose),
            Some("cipher-pass-value")
        );
        assert!(matches!(
            &r.options.s3.credentials,
            S3Credentials::Static { access_key_id, .. } if access_key_id == "AKID"
        ));
    }

    #[test]
    fn overrides_win_and_repo_index_follows_the_spec_name() {
        let mut req = pgo_request();
        req.s3_conf = Some(Secret::new(
            "[global]\nrepo2-s3-key=K2\nrepo2-s3-key-secret=S2\n",
        ));
        req.global.clear();
        req.repo_spec =
            Some(json!({"name": "repo2", "s3": {"bucket": "b2", "endpoint": "e", "region": "r"}}));
        req.overrides.bucket = Some("other".into());
        req.overrides.verify_tls = Some(false);
        req.stanza = Some("main".into());
        let r = req.resolve().unwrap();
        assert_eq!(r.repo, 2);
        assert_eq!(r.stanza, "main");
        assert_eq!(r.options.s3.bucket, "other");
        assert_eq!(r.options.s3.tls, TlsTrust::Insecure);
        assert_eq!(r.options.repo_path, "/var/lib/pgbackrest");
        assert!(r.options.cipher_pass.is_none());
        req.overrides.repo = Some(1);
        assert_eq!(
            req.resolve().unwrap_err(),
            ConfigError::RepoIndexMismatch {
                given: 1,
                name: "repo2".into()
            }
        );
    }

    #[test]
    fn explicit_settings_without_keys_use_the_default_chain() {
        let req = RepoRequest {
            overrides: Overrides {
                endpoint: Some("https://127.0.0.1:9000".into()),
                bucket: Some("b".into()),
                region: Some("us-east-1".into()),
                cipher_pass: Some(Secret::new("p")),
                ..Overrides::default()
            },
            ..RepoRequest::default()
        };
        let r = req.resolve().unwrap();
        assert_eq!(r.options.s3.credentials, S3Credentials::DefaultChain);
        assert_eq!(
            r.options.cipher_pass.as_ref().map(Secret::expose),
            Some("p")
        );
        assert_eq!(r.options.s3.uri_style, UriStyle::Host);
        assert_eq!(r.options.s3.tls, TlsTrust::System);
    }

    #[test]
    fn an_s3_conf_without_keys_is_pgbackrest_error_037() {
        let mut req = pgo_request();
        req.s3_conf = Some(Secret::new("[global]\nrepo1-cipher-pass=x\n"));
        let e = req.resolve().unwrap_err().to_string();
        assert!(e.contains("'repo1-s3-key' is required"), "{e}");
        assert!(e.contains("error 037"), "{e}");
    }

    #[test]
    fn bad_repo_specs_are_named() {
        let cases = [
            (json!("repo1"), "expected a mapping, got a string"),
            (
                json!({"name": "repo1", "volume": {}}),
                "is a 'volume' repository",
            ),
            (
                json!({"name": "backup"}),
                "name 'backup' is not repo1..repo256",
            ),
            (
                json!({"name": "repo1", "s3": {"bucket": 3}}),
                "repo1.s3.bucket: expected a string",
            ),
            (json!({"name": "repo3"}), "repo3 has no 's3' section"),
        ];
        for (spec, want) in cases {
            let req = RepoRequest {
                repo_spec: Some(spec),
                ..RepoRequest::default()
            };
            let e = req.resolve().unwrap_err().to_string();
            assert!(e.contains(want), "{e} lacks {want}");
            assert!(e.starts_with("repo (PostgresCluster"), "{e}");
        }
    }

    #[test]
    fn a_whole_repos_list_selects_by_index_or_first_s3() {
        let repos = json!([
            {"name": "repo1", "volume": {"volumeClaimSpec": {}}},
            {"name": "repo2", "s3": {"bucket": "b2", "endpoint": "e2", "region": "r"}},
            {"name": "repo3", "s3": {"bucket": "b3", "endpoint": "e3", "region": "r"}}
        ]);
        let mut req = RepoRequest {
            repo_spec: Some(repos),
            ..RepoRequest::default()
        };
        let r = req.resolve().unwrap();
        assert_eq!((r.repo, r.options.s3.bucket.as_str()), (2, "b2"));
        req.overrides.repo = Some(3);
        let r = req.resolve().unwrap();
        assert_eq!((r.repo, r.options.s3.bucket.as_str()), (3, "b3"));
        req.overrides.repo = Some(1);
        assert!(
            req.resolve()
                .unwrap_err()
                .to_string()
                .contains("'volume' repository")
        );
        req.overrides.repo = Some(4);
        assert!(
            req.resolve()
                .unwrap_err()
                .to_string()
                .contains("no entry named repo4")
        );
        req.repo_spec = Some(json!([{"name": "repo1", "gcs": {}}]));
        req.overrides.repo = None;
        assert!(
            req.resolve()
                .unwrap_err()
                .to_string()
                .contains("no entry has an 's3' section")
        );
    }

    #[test]
    fn timeouts_are_applied_and_validated() {
        let mut req = pgo_request();
        req.timeouts = Timeouts {
            connect: Some(Duration::from_millis(300)),
            attempt: Some(Duration::from_secs(2)),
            operation: Some(Duration::from_secs(4)),
            attempts: Some(1),
        };
        let s3 = req.resolve().unwrap().options.s3;
        assert_eq!(s3.connect_timeout, Duration::from_millis(300));
        assert_eq!(s3.attempt_timeout, Duration::from_secs(2));
        assert_eq!(s3.operation_timeout, Duration::from_secs(4));
        assert_eq!(s3.max_attempts, 1);
        req.timeouts.attempts = Some(0);
        assert!(
            req.resolve()
                .unwrap_err()
                .to_string()
                .starts_with("attempts:")
        );
        assert!(seconds("timeout", -1.0).is_err());
        assert!(seconds("timeout", f64::NAN).is_err());
        assert!(seconds("timeout", 0.0).is_err());
        assert_eq!(
            seconds("timeout", 1.5).unwrap(),
            Duration::from_millis(1500)
        );
    }

    #[test]
    fn invalid_stanza_is_refused_before_anything_else() {
        let req = RepoRequest {
            stanza: Some("a/b".into()),
            ..RepoRequest::default()
        };
        assert!(
            req.resolve()
                .unwrap_err()
                .to_string()
                .starts_with("stanza:")
        );
    }
}
