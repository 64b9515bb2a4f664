//! `s3_bucket` (`stackbook.db.s3_bucket`): make sure the bucket a pgBackRest repository lives
//! in exists, with versioning on and old versions expiring.
//!
//! ```yaml
//! - stackbook.db.s3_bucket:
//!     name: pgbackrest-production
//!     endpoint_url: https://s3.fr-par.scw.cloud
//!     region: fr-par
//!     access_key: "{{ vault_s3_access_key }}"
//!     secret_key: "{{ vault_s3_secret_key }}"
//!     versioning: true
//!     noncurrent_version_expiration_days: 30
//! ```
//!
//! `changed` is reported only for what was really changed (bucket created, versioning
//! switched, stackbook's lifecycle rule written); `--check` reads the bucket and reports what
//! would change without writing. `state: absent` deletes only an empty bucket: one holding any
//! object or version is refused, because in this tool a bucket is where backups live.

use std::sync::Arc;
use std::time::Duration;

use serde::Deserialize;
use serde_json::{Map, Value as Json, json};
use stackbook_engine::modules::{
    Module, ModuleContext, ModuleResult, Registry, args, failed, parse_args,
};

use crate::check::{CheckError, block_on, scrub_str};
use crate::module::secret_opt;
use crate::s3::bucket::{LIFECYCLE_RULE_ID, Versioning};
use crate::s3::{S3Credentials, S3Settings, S3Store, TlsTrust, UriStyle};
use crate::secret::Secret;
use crate::store::{RepoStore, StoreError};

/// Fully qualified module name.
pub const FQCN: &str = "stackbook.db.s3_bucket";

/// Registers [`FQCN`] with the alias `s3_bucket`.
pub fn register(registry: &mut Registry) {
    registry.register(FQCN, &["s3_bucket"], Arc::new(S3Bucket), false);
}

/// The module.
#[derive(Debug, Default, Clone, Copy)]
pub struct S3Bucket;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BucketArgs {
    #[serde(deserialize_with = "args::string_opt")]
    name: Option<String>,
    #[serde(default, deserialize_with = "args::string_opt")]
    state: Option<String>,
    #[serde(default, deserialize_with = "args::bool_opt")]
    versioning: Option<bool>,
    #[serde(default, deserialize_with = "args::int_opt")]
    noncurrent_version_expiration_days: Option<i64>,
    #[serde(default, alias = "endpoint", deserialize_with = "args::string_opt")]
    endpoint_url: Option<String>,
    #[serde(default, deserialize_with = "args::string_opt")]
    region: Option<String>,
    #[serde(default, deserialize_with = "args::string_opt")]
    uri_style: Option<String>,
    #[serde(
        default,
        alias = "aws_access_key",
        deserialize_with = "args::string_opt"
    )]
    access_key: Option<String>,
    #[serde(default, alias = "aws_secret_key", deserialize_with = "secret_opt")]
    secret_key: Option<Secret>,
    #[serde(default, deserialize_with = "secret_opt")]
    session_token: Option<Secret>,
    #[serde(default, deserialize_with = "args::bool_opt")]
    validate_certs: Option<bool>,
    #[serde(
        default,
        alias = "aws_ca_bundle",
        deserialize_with = "args::string_opt"
    )]
    ca_file: Option<String>,
    #[serde(default, deserialize_with = "args::float_opt")]
    timeout: Option<f64>,
    #[serde(default, deserialize_with = "args::int_opt")]
    attempts: Option<i64>,
}

/// The validated request.
#[derive(Debug)]
struct Request {
    settings: S3Settings,
    present: bool,
    versioning: Option<bool>,
    noncurrent_days: Option<i32>,
}

impl BucketArgs {
    fn request(self) -> Result<Request, String> {
        let name = self
            .name
            .filter(|n| !n.is_empty())
            .ok_or("missing required arguments: name")?;
        let present = match self.state.as_deref().unwrap_or("present") {
            "present" => true,
            "absent" => false,
            other => {
                return Err(format!(
                    "value of state must be one of: present, absent, got: {other}"
                ));
            }
        };
        let noncurrent_days = match self.noncurrent_version_expiration_days {
            None => None,
            Some(days) if (1..=36500).contains(&days) => i32::try_from(days).ok(),
            Some(days) => {
                return Err(format!(
                    "noncurrent_version_expiration_days: {days} is not between 1 and 36500"
                ));
            }
        };
        if noncurrent_days.is_some() && self.versioning == Some(false) {
            return Err(
                "noncurrent_version_expiration_days needs versioning: true (without \
                        versioning there are no noncurrent versions to expire)"
                    .into(),
            );
        }
        let mut settings = S3Settings::new(name, self.region.unwrap_or("us-east-1".into()));
        settings.uri_style = match self.uri_style.as_deref() {
            Some("path") => UriStyle::Path,
            Some("host") => UriStyle::Host,
            None if self.endpoint_url.is_some() => UriStyle::Path,
            None => UriStyle::Host,
            Some(other) => {
                return Err(format!(
                    "value of uri_style must be one of: path, host, got: {other}"
                ));
            }
        };
        settings.endpoint = self.endpoint_url;
        settings.tls = match (self.validate_certs, self.ca_file) {
            (Some(false), _) => TlsTrust::Insecure,
            (_, Some(ca)) => TlsTrust::CaFile(ca.into()),
            _ => TlsTrust::System,
        };
        settings.credentials = match (self.access_key, self.secret_key) {
            (Some(access_key_id), Some(secret_access_key)) => S3Credentials::Static {
                access_key_id,
                secret_access_key,
                session_token: self.session_token,
            },
            (None, None) => S3Credentials::DefaultChain,
            _ => return Err("access_key and secret_key must be given together".into()),
        };
        if let Some(t) = self.timeout {
            if !(t.is_finite() && t > 0.0) {
                return Err(format!("timeout: {t} is not a positive number of seconds"));
            }
            settings.operation_timeout = Duration::from_secs_f64(t);
        }
        if let Some(n) = self.attempts {
            settings.max_attempts = u32::try_from(n)
                .ok()
                .filter(|n| *n >= 1)
                .ok_or_else(|| format!("attempts: {n} is not at least 1"))?;
        }
        Ok(Request {
            settings,
            present,
            versioning: self.versioning,
            noncurrent_days,
        })
    }

    fn secrets(&self) -> Vec<String> {
        [&self.secret_key, &self.session_token]
            .into_iter()
            .flatten()
            .map(|s| s.expose().to_owned())
            .filter(|s| !s.is_empty())
            .collect()
    }
}

/// What was (or, in check mode, would be) done.
#[derive(Default)]
struct Actions {
    done: Vec<String>,
    result: Map<String, Json>,
}

async fn ensure(request: &Request, check_mode: bool) -> Result<Actions, StoreError> {
    let store = S3Store::connect(&request.settings)
        .await
        .map_err(|e| StoreError::Other {
            operation: "connect",
            key: String::new(),
            endpoint: request.settings.endpoint_label(),
            detail: e.to_string(),
        })?;
    let mut actions = Actions::default();
    let exists = store.bucket_exists().await?;
    if !request.present {
        if exists {
            if store.holds_anything().await? {
                return Err(StoreError::Other {
                    operation: "delete-bucket",
                    key: String::new(),
                    endpoint: request.settings.endpoint_label(),
                    detail: format!(
                        "bucket '{}' is not empty (objects or versions remain): stackbook does \
                         not delete backups; empty it deliberately first",
                        request.settings.bucket
                    ),
                });
            }
            if !check_mode {
                store.delete_bucket().await?;
            }
            actions.done.push("deleted the bucket".into());
        }
        actions.result.insert("exists".into(), Json::Bool(false));
        return Ok(actions);
    }
    if !exists {
        if !check_mode {
            store.create_bucket(&request.settings.region).await?;
        }
        actions.done.push("created the bucket".into());
    }
    // A bucket that does not exist yet (check mode) has no versioning and no rules.
    let readable = exists || !check_mode;
    let versioning = if readable {
        store.versioning().await?
    } else {
        Versioning::Unversioned
    };
    let mut now = versioning;
    if let Some(want) = request.versioning {
        let is_on = versioning == Versioning::Enabled;
        // Turning off a never-versioned bucket is nothing to do (S3 has no "off" to go back to).
        let nothing_to_turn_off = !want && versioning == Versioning::Unversioned;
        if want != is_on && !nothing_to_turn_off {
            if !check_mode {
                store.set_versioning(want).await?;
            }
            now = if want {
                Versioning::Enabled
            } else {
                Versioning::Suspended
            };
            actions.done.push(format!("versioning {}", now.as_str()));
        }
    }
    let mut days = None;
    if let Some(want) = request.noncurrent_days {
        let lifecycle = if readable {
            Some(store.lifecycle().await?)
        } else {
            None
        };
        let have = lifecycle.as_ref().and_then(|l| l.noncurrent_days());
        if have != Some(want) {
            if let (false, Some(lifecycle)) = (check_mode, &lifecycle) {
                store
                    .set_noncurrent_expiration(lifecycle, Some(want))
                    .await?;
            }
            actions.done.push(format!(
                "lifecycle rule {LIFECYCLE_RULE_ID}: noncurrent versions expire after {want} days"
            ));
        }
        days = Some(want);
    }
    actions.result.insert("exists".into(), Json::Bool(true));
    actions
        .result
        .insert("versioning".into(), Json::String(now.as_str().into()));
    if let Some(days) = days {
        actions.result.insert(
            "noncurrent_version_expiration_days".into(),
            Json::from(days),
        );
    }
    actions
        .result
        .insert("requests".into(), Json::from(store.request_count()));
    Ok(actions)
}

impl Module for S3Bucket {
    fn docs(&self) -> Option<stackbook_engine::modules::docs::DocSource> {
        Some(stackbook_engine::module_docs!("s3_bucket"))
    }

    fn run(&self, context: &ModuleContext<'_>, args: Json) -> ModuleResult {
        let args: BucketArgs = match parse_args(FQCN, args) {
            Ok(args) => args,
            Err(failure) => return failure,
        };
        let secrets = args.secrets();
        let request = match args.request() {
            Ok(request) => request,
            Err(message) => return failed(scrub_str(&message, &secrets)),
        };
        let outcome = block_on(ensure(&request, context.check_mode)).and_then(|r| {
            r.map_err(|source| CheckError::Inspect {
                location: format!("s3://{}", request.settings.bucket),
                hint: String::new(),
                source: Box::new(crate::inspect::InspectError::Store {
                    what: "the bucket settings".into(),
                    source,
                }),
            })
        });
        match outcome {
            Ok(actions) => {
                let mut result = actions.result;
                let changed = !actions.done.is_empty();
                result.insert("changed".into(), Json::Bool(changed));
                result.insert("name".into(), Json::String(request.settings.bucket.clone()));
                result.insert(
                    "msg".into(),
                    Json::String(if changed {
                        actions.done.join("; ")
                    } else {
                        "bucket already as requested".into()
                    }),
                );
                result.insert("actions".into(), json!(actions.done));
                result
            }
            Err(error) => {
                let mut result = failed(scrub_str(&error.to_string(), &secrets));
                if error.is_unreachable() {
                    result.insert("unreachable".into(), Json::Bool(true));
                }
                result
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(args: Json) -> Result<Request, String> {
        parse_args::<BucketArgs>(FQCN, args)
            .map_err(|f| f["msg"].to_string())?
            .request()
    }

    #[test]
    fn arguments_are_validated_before_any_request() {
        assert!(request(json!({})).unwrap_err().contains("name"));
        assert!(
            request(json!({"name": "b", "state": "gone"}))
                .unwrap_err()
                .contains("present, absent")
        );
        assert!(
            request(
                json!({"name": "b", "versioning": false, "noncurrent_version_expiration_days": 3})
            )
            .unwrap_err()
            .contains("needs versioning")
        );
        assert!(
            request(json!({"name": "b", "noncurrent_version_expiration_days": 0}))
                .unwrap_err()
                .contains("between 1 and 36500")
        );
        assert!(
            request(json!({"name": "b", "access_key": "k"}))
                .unwrap_err()
                .contains("together")
        );
        let r = request(json!({"name": "b", "endpoint_url": "http://127.0.0.1:9000"})).unwrap();
        assert_eq!(r.settings.uri_style, UriStyle::Path);
        let e = parse_args::<BucketArgs>(FQCN, json!({"name": "b", "versionning": true}))
            .err()
            .unwrap();
        assert!(e["msg"].as_str().unwrap().contains("versioning"), "{e:?}");
    }
}
