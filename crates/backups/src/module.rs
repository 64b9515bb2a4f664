//! `pgbackrest_info` (`stackbook.db.pgbackrest_info`): what a pgBackRest S3 repository holds,
//! and whether a new cluster may be initialised on it or restored from it.
//!
//! ```yaml
//! - pgbackrest_info:
//!     s3_conf: "{{ lookup('file', 's3.conf') }}"        # same text as the PGO Secret
//!     global: "{{ cluster.spec.backups.pgbackrest.global }}"
//!     repo: "{{ cluster.spec.backups.pgbackrest.repos[0] }}"
//!     fail_if: backups_exist                           # or no_backups (with restore_target)
//!   register: repo
//! - debug: msg="{{ repo.backups | length }} backups, latest {{ repo.backups[-1].label }}"
//! ```
//! Or explicit settings: `endpoint`, `bucket`, `region`, `repo_path`, `stanza`, `uri_style`,
//! `verify_tls`, `ca_file`, `key_type`, `access_key`, `secret_key`, `session_token`,
//! `cipher_pass`, `connect_timeout`, `attempt_timeout`, `timeout` (seconds), `attempts`.
//! Explicit settings win over `repo`, which wins over `global`, which wins over `s3_conf`.
//!
//! The module only reads, so it runs the same in `--check`. Its result never carries the
//! passphrase, keys or token, and any text that would contain one (an echoing server, an
//! argument error) is masked: a registered result can be printed safely.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::{Deserialize, Deserializer};
use serde_json::Value as Json;
use stackbook_engine::modules::{
    Module, ModuleContext, ModuleResult, Registry, args, failed, parse_args,
};

use crate::check::{check_blocking, parse_target, scrub, scrub_str, secrets_of};
use crate::config::{Overrides, RepoRequest, Timeouts, seconds};
use crate::secret::Secret;

/// Fully qualified module name.
pub const FQCN: &str = "stackbook.db.pgbackrest_info";

/// Register `pgbackrest_info` as [`FQCN`] with the alias `pgbackrest_info`, and `s3_bucket`
/// ([`crate::s3_bucket::FQCN`]).
pub fn register(registry: &mut Registry) {
    registry.register(FQCN, &["pgbackrest_info"], Arc::new(PgbackrestInfo), false);
    crate::s3_bucket::register(registry);
}

/// The module.
#[derive(Debug, Default, Clone, Copy)]
pub struct PgbackrestInfo;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct InfoArgs {
    #[serde(default, deserialize_with = "secret_opt")]
    s3_conf: Option<Secret>,
    #[serde(default, deserialize_with = "options_map")]
    global: BTreeMap<String, String>,
    #[serde(default)]
    repo: Option<Json>,
    #[serde(default, deserialize_with = "args::int_opt")]
    repo_index: Option<i64>,
    #[serde(default, deserialize_with = "args::string_opt")]
    stanza: Option<String>,
    #[serde(default, deserialize_with = "args::string_opt")]
    endpoint: Option<String>,
    #[serde(default, deserialize_with = "args::string_opt")]
    bucket: Option<String>,
    #[serde(default, deserialize_with = "args::string_opt")]
    region: Option<String>,
    #[serde(default, deserialize_with = "args::string_opt")]
    repo_path: Option<String>,
    #[serde(default, deserialize_with = "args::string_opt")]
    uri_style: Option<String>,
    #[serde(default, deserialize_with = "args::bool_opt")]
    verify_tls: Option<bool>,
    #[serde(default, deserialize_with = "args::string_opt")]
    ca_file: Option<String>,
    #[serde(default, deserialize_with = "args::string_opt")]
    key_type: Option<String>,
    #[serde(default, deserialize_with = "args::string_opt")]
    access_key: Option<String>,
    #[serde(default, deserialize_with = "secret_opt")]
    secret_key: Option<Secret>,
    #[serde(default, deserialize_with = "secret_opt")]
    session_token: Option<Secret>,
    #[serde(default, deserialize_with = "secret_opt")]
    cipher_pass: Option<Secret>,
    #[serde(default, deserialize_with = "args::float_opt")]
    connect_timeout: Option<f64>,
    #[serde(default, deserialize_with = "args::float_opt")]
    attempt_timeout: Option<f64>,
    #[serde(default, deserialize_with = "args::float_opt")]
    timeout: Option<f64>,
    #[serde(default, deserialize_with = "args::int_opt")]
    attempts: Option<i64>,
    #[serde(default, deserialize_with = "args::string_opt")]
    restore_target: Option<String>,
    #[serde(default, deserialize_with = "args::string_list")]
    fail_if: Vec<String>,
}

/// A secret argument: a string (or number), never echoed in an error.
pub(crate) fn secret_opt<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<Secret>, D::Error> {
    match Option::<Json>::deserialize(deserializer)? {
        None | Some(Json::Null) => Ok(None),
        Some(Json::String(s)) => Ok(Some(Secret::new(s))),
        Some(Json::Number(n)) => Ok(Some(Secret::new(n.to_string()))),
        Some(_) => Err(serde::de::Error::custom(
            "a secret argument must be a string (value not shown)",
        )),
    }
}

/// `global`: option name → scalar value (PGO's `spec.backups.pgbackrest.global`).
fn options_map<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<BTreeMap<String, String>, D::Error> {
    let value = Option::<Json>::deserialize(deserializer)?;
    let map = match value {
        None | Some(Json::Null) => return Ok(BTreeMap::new()),
        Some(Json::Object(map)) => map,
        Some(_) => {
            return Err(serde::de::Error::custom(
                "global: expected a mapping of pgBackRest options",
            ));
        }
    };
    map.into_iter()
        .map(|(k, v)| {
            let text = match v {
                Json::String(s) => s,
                Json::Number(n) => n.to_string(),
                Json::Bool(b) => if b { "y" } else { "n" }.to_owned(),
                _ => {
                    return Err(serde::de::Error::custom(format!(
                        "global.{k}: expected a string, number or boolean"
                    )));
                }
            };
            Ok((k, text))
        })
        .collect()
}

/// What `fail_if` can ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FailIf {
    /// Fail when the init guard refuses (the stanza exists).
    BackupsExist,
    /// Fail when the restore guard refuses (nothing to restore, or target out of range).
    NoBackups,
}

impl InfoArgs {
    fn request(&self) -> Result<RepoRequest, String> {
        let repo = match self.repo_index {
            None => None,
            Some(n) => Some(
                u32::try_from(n)
                    .map_err(|_| format!("repo_index: {n} is not a repository index"))?,
            ),
        };
        let secs = |field: &'static str, v: Option<f64>| {
            v.map(|v| seconds(field, v))
                .transpose()
                .map_err(|e| e.to_string())
        };
        let attempts = match self.attempts {
            None => None,
            Some(n) => {
                Some(u32::try_from(n).map_err(|_| format!("attempts: {n} is out of range"))?)
            }
        };
        let repo_spec = match &self.repo {
            None | Some(Json::Null) => None,
            Some(v) => Some(v.clone()),
        };
        Ok(RepoRequest {
            s3_conf: self.s3_conf.clone(),
            global: self.global.clone(),
            repo_spec,
            overrides: Overrides {
                repo,
                endpoint: self.endpoint.clone(),
                bucket: self.bucket.clone(),
                region: self.region.clone(),
                uri_style: self.uri_style.clone(),
                verify_tls: self.verify_tls,
                ca_file: self.ca_file.clone(),
                key_type: self.key_type.clone(),
                access_key: self.access_key.clone(),
                secret_key: self.secret_key.clone(),
                session_token: self.session_token.clone(),
                repo_path: self.repo_path.clone(),
                cipher_pass: self.cipher_pass.clone(),
            },
            stanza: self.stanza.clone(),
            timeouts: Timeouts {
                connect: secs("connect_timeout", self.connect_timeout)?,
                attempt: secs("attempt_timeout", self.attempt_timeout)?,
                operation: secs("timeout", self.timeout)?,
                attempts,
            },
        })
    }

    fn fail_if(&self) -> Result<Vec<FailIf>, String> {
        self.fail_if
            .iter()
            .map(|f| match f.trim() {
                "backups_exist" => Ok(FailIf::BackupsExist),
                "no_backups" => Ok(FailIf::NoBackups),
                other => Err(format!(
                    "fail_if: '{other}' is not one of backups_exist, no_backups"
                )),
            })
            .collect()
    }

    /// Every secret the arguments carry, for masking messages made before resolution.
    fn secrets(&self) -> Vec<String> {
        [&self.cipher_pass, &self.secret_key, &self.session_token]
            .into_iter()
            .flatten()
            .map(|s| s.expose().to_owned())
            .filter(|s| !s.is_empty())
            .collect()
    }
}

impl Module for PgbackrestInfo {
    fn docs(&self) -> Option<stackbook_engine::modules::docs::DocSource> {
        Some(stackbook_engine::module_docs!("pgbackrest_info"))
    }

    fn run(&self, _context: &ModuleContext<'_>, args: Json) -> ModuleResult {
        let args: InfoArgs = match parse_args(FQCN, args) {
            Ok(args) => args,
            Err(failure) => return failure,
        };
        let early = args.secrets();
        let masked = |msg: String| failed(scrub_str(&msg, &early));
        let (request, fail_if) = match (args.request(), args.fail_if()) {
            (Ok(r), Ok(f)) => (r, f),
            (Err(e), _) | (_, Err(e)) => return masked(e),
        };
        let target = match args.restore_target.as_deref().map(parse_target).transpose() {
            Ok(t) => t,
            Err(e) => return masked(e.to_string()),
        };
        let resolved = match request.resolve() {
            Ok(r) => r,
            Err(e) => return masked(e.to_string()),
        };
        let mut secrets = secrets_of(&resolved);
        secrets.extend(early);
        let outcome = match check_blocking(&resolved, target) {
            Ok(o) => o,
            Err(e) => {
                let mut result = failed(scrub_str(&e.to_string(), &secrets));
                result.insert(
                    "wrong_passphrase".into(),
                    Json::Bool(e.is_wrong_passphrase()),
                );
                if e.is_unreachable() {
                    result.insert("unreachable".into(), Json::Bool(true));
                }
                return result;
            }
        };
        let mut result = outcome.to_json();
        let refusal = fail_if.iter().find_map(|f| match f {
            FailIf::BackupsExist => refused(&outcome.init),
            FailIf::NoBackups => refused(&outcome.restore),
        });
        if let Some(reason) = refusal {
            result.insert("failed".into(), Json::Bool(true));
            result.insert("msg".into(), Json::String(reason));
        }
        let mut value = Json::Object(result);
        scrub(&mut value, &secrets);
        match value {
            Json::Object(map) => map,
            _ => failed("internal error: result is not a mapping"),
        }
    }
}

fn refused(d: &crate::guard::Decision) -> Option<String> {
    match d {
        crate::guard::Decision::Allow => None,
        crate::guard::Decision::Refuse { reason } => Some(reason.clone()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn registered_under_both_names() {
        let mut r = Registry::builtin();
        register(&mut r);
        assert_eq!(
            r.resolve("pgbackrest_info").map(|e| e.fqcn.as_str()),
            Some(FQCN)
        );
        assert_eq!(r.resolve(FQCN).map(|e| e.fqcn.as_str()), Some(FQCN));
    }

    #[test]
    fn unknown_arguments_are_named_with_a_hint() {
        let e = parse_args::<InfoArgs>(FQCN, json!({"buckett": "x"}))
            .err()
            .unwrap();
        let msg = e["msg"].as_str().unwrap();
        assert!(
            msg.contains(
                "Unsupported parameters for (stackbook.db.pgbackrest_info) module: buckett"
            ),
            "{msg}"
        );
        assert!(msg.contains("bucket"), "{msg}");
    }

    #[test]
    fn secret_arguments_of_the_wrong_type_are_not_echoed() {
        let e = parse_args::<InfoArgs>(FQCN, json!({"cipher_pass": ["hunter2-passphrase"]}))
            .err()
            .unwrap();
        let msg = e["msg"].as_str().unwrap();
        assert!(msg.contains("value not shown"), "{msg}");
        assert!(!msg.contains("hunter2"), "{msg}");
    }

    #[test]
    fn fail_if_values_are_checked() {
        let a: InfoArgs =
            parse_args(FQCN, json!({"fail_if": ["backups_exist", "no_backups"]})).unwrap();
        assert_eq!(
            a.fail_if().unwrap(),
            vec![FailIf::BackupsExist, FailIf::NoBackups]
        );
        let a: InfoArgs = parse_args(FQCN, json!({"fail_if": "sometimes"})).unwrap();
        assert!(
            a.fail_if()
                .unwrap_err()
                .contains("'sometimes' is not one of")
        );
    }

    #[test]
    fn global_accepts_scalars_and_rejects_structures() {
        let a: InfoArgs = parse_args(
            FQCN,
            json!({"global": {"repo1-path": "/r", "repo1-retention-full": 2, "x": true}}),
        )
        .unwrap();
        assert_eq!(a.global["repo1-retention-full"], "2");
        assert_eq!(a.global["x"], "y");
        assert!(parse_args::<InfoArgs>(FQCN, json!({"global": {"a": [1]}})).is_err());
        assert!(parse_args::<InfoArgs>(FQCN, json!({"global": "x"})).is_err());
    }
}
