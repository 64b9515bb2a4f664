//! The backup guard: before `k8s` creates (or restores) a PGO `PostgresCluster`, look into its
//! pgBackRest S3 repository.
//!
//! Why here and not only in a playbook task: the seed playbooks create the cluster with a plain
//! `kubernetes.core.k8s` task, and an operator initialising over a bucket that holds backups
//! (or restoring from a bucket with nothing in it) loses a database. Putting the check in the
//! module makes it automatic for every playbook, unchanged.
//!
//! What is checked, before anything is written:
//! - a new cluster without `dataSource`: every S3 repository in `spec.backups.pgbackrest.repos`
//!   must hold no stanza (PGO's `stanza-create` would fail with pgBackRest error 028 or bury
//!   the backups);
//! - a new cluster with `dataSource.pgbackrest`: the source repository must hold a usable
//!   backup, and a `--type=time` target must lie inside the recoverable range;
//! - a new cluster with `dataSource.postgresCluster`: the source cluster (read from the API)
//!   must have a backup in the named repository;
//! - any apply with `spec.backups.pgbackrest.restore.enabled: true` (an in-place restore): the
//!   named repository must hold a backup (and the target be in range).
//!
//! Credentials and the cipher passphrase come from the `*.conf` keys of the Secrets the
//! cluster's `configuration` references: from a Secret applied earlier in this run (also a
//! dry-run one, so `--check` sees it) or else read from the cluster.
//!
//! Escape hatches, both explicit: `safety_checks: false` on the task, or the variable
//! `stackbook_backup_guard: false`. `stackbook_backup_guard_ca_file` names a CA bundle on the
//! control node for S3 endpoints with a private CA (the spec's `repoN-storage-ca-file` is a
//! path inside the pod).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use base64::Engine as _;
use serde_json::{Map, Value as Json, json};
use stackbook_backups::Secret;
use stackbook_backups::check::{CheckOutcome, check_blocking, scrub_str, secrets_of};
use stackbook_backups::config::RepoRequest;
use stackbook_backups::guard::Decision;
use stackbook_backups::pgo::{self, Plan};

use crate::cluster::Cluster;
use crate::error::K8sError;
use crate::ops::{self, Target};

/// The variable that turns the guard off for a whole run (`-e stackbook_backup_guard=false`).
pub const GUARD_VARIABLE: &str = "stackbook_backup_guard";
/// The variable naming a CA bundle for the S3 endpoint, on the control node.
pub const CA_FILE_VARIABLE: &str = "stackbook_backup_guard_ca_file";

/// How the guard runs for one task.
#[derive(Debug, Clone, Default)]
pub struct GuardSettings {
    /// False when the task or the run turned the guard off.
    pub enabled: bool,
    /// CA bundle for S3 TLS verification (overrides the spec's pod-side path).
    pub ca_file: Option<String>,
}

/// What the guard found, for the task result (`backup_guard`) and `--check` reports.
#[derive(Debug, Clone)]
pub struct GuardReport {
    /// `init`, `restore`, `clone` or `in-place restore`.
    pub action: &'static str,
    /// One line per repository: location and summary.
    pub findings: Vec<String>,
    /// S3 requests made.
    pub requests: u64,
}

impl GuardReport {
    /// The report as the `backup_guard` field of the result.
    pub fn to_json(&self) -> Json {
        json!({
            "action": self.action,
            "decision": "allow",
            "findings": self.findings,
            "requests": self.requests,
        })
    }

    /// One line for a `--check` warning.
    pub fn line(&self) -> String {
        format!(
            "backup guard: {} allowed — {}",
            self.action,
            self.findings.join("; ")
        )
    }
}

/// Secrets applied (or dry-run applied) in this run, by `namespace/name`, so a Secret written by
/// an earlier task is found even in `--check`, where it never reached the cluster.
#[derive(Debug, Default)]
pub struct AppliedSecrets(Mutex<HashMap<String, Json>>);

impl AppliedSecrets {
    /// Remembers a Secret the module just wrote.
    pub fn remember(&self, object: &Json) {
        if object.get("kind").and_then(Json::as_str) != Some("Secret") {
            return;
        }
        let (Some(ns), Some(name)) = (
            object.pointer("/metadata/namespace").and_then(Json::as_str),
            object.pointer("/metadata/name").and_then(Json::as_str),
        ) else {
            return;
        };
        if let Ok(mut map) = self.0.lock() {
            map.insert(format!("{ns}/{name}"), object.clone());
        }
    }

    fn get(&self, namespace: &str, name: &str) -> Option<Json> {
        self.0
            .lock()
            .ok()?
            .get(&format!("{namespace}/{name}"))
            .cloned()
    }
}

/// Runs the guard for `object` about to be written into `namespace`. `exists` says whether the
/// object is already live (re-runs of an existing cluster only check in-place restores).
/// `Ok(None)`: nothing to check.
pub async fn check(
    cluster: &Cluster,
    object: &Json,
    namespace: &str,
    exists: bool,
    settings: &GuardSettings,
) -> Result<Option<GuardReport>, K8sError> {
    if !settings.enabled || !pgo::is_postgres_cluster(object) {
        return Ok(None);
    }
    let what = describe(object, namespace);
    let refuse = |detail: String| K8sError::BackupGuard {
        what: what.clone(),
        detail,
        unreachable: false,
    };
    let (own, source) = pgo::configuration_secrets(object);
    let in_place = object
        .pointer("/spec/backups/pgbackrest/restore/enabled")
        .and_then(Json::as_bool)
        == Some(true);
    let (action, plan) = if exists {
        if !in_place {
            return Ok(None);
        }
        let conf = conf_text(cluster, namespace, &own).await?;
        let plan = pgo::in_place_restore_plan(object, conf.as_ref()).map_err(|e| {
            refuse(format!(
                "{e}; fix spec.backups.pgbackrest.restore or set safety_checks: false"
            ))
        })?;
        ("in-place restore", plan)
    } else if let Some(clone) = object.pointer("/spec/dataSource/postgresCluster") {
        (
            "clone",
            clone_plan(cluster, namespace, clone, &refuse).await?,
        )
    } else {
        let conf = conf_text(cluster, namespace, &own).await?;
        let source_conf = conf_text(cluster, namespace, &source).await?;
        let plan = pgo::plan(object, conf.as_ref(), source_conf.as_ref())
            .map_err(|e| refuse(format!("{e}; fix the PostgresCluster spec")))?;
        let standby = object
            .pointer("/spec/standby/enabled")
            .and_then(Json::as_bool)
            == Some(true);
        let action = match plan {
            Plan::Restore { .. } if standby => "standby",
            Plan::Restore { .. } => "restore",
            _ => "init",
        };
        (action, plan)
    };
    let mut report = GuardReport {
        action,
        findings: Vec::new(),
        requests: 0,
    };
    match plan {
        Plan::Skip { reason } => {
            report.findings.push(format!("not checked: {reason}"));
        }
        Plan::Init(requests) => {
            for request in requests {
                let outcome = inspect(request, None, settings, &what).await?;
                report.requests += outcome.requests;
                if let Decision::Refuse { reason } = &outcome.init {
                    return Err(refuse(format!(
                        "{}: {reason} To restore instead, run the playbook with -e \
                         restore_db=true (a dataSource.pgbackrest cluster); to override this \
                         check deliberately, set safety_checks: false on the task or -e \
                         {GUARD_VARIABLE}=false.",
                        outcome.location
                    )));
                }
                report.findings.push(finding(&outcome));
            }
        }
        Plan::Restore { request, target } => {
            let outcome = inspect(*request, target, settings, &what).await?;
            report.requests += outcome.requests;
            if let Decision::Refuse { reason } = &outcome.restore {
                return Err(refuse(format!(
                    "{}: {reason} Nothing was written. To create an empty cluster instead, run \
                     without a restore (no dataSource); to override this check deliberately, set \
                     safety_checks: false on the task or -e {GUARD_VARIABLE}=false.",
                    outcome.location
                )));
            }
            report.findings.push(finding(&outcome));
        }
    }
    Ok(Some(report))
}

fn finding(outcome: &CheckOutcome) -> String {
    format!(
        "{} path {}: {}",
        outcome.location,
        outcome.repo_path,
        stackbook_backups::guard::summary(&outcome.report)
    )
}

fn describe(object: &Json, namespace: &str) -> String {
    let name = object
        .pointer("/metadata/name")
        .and_then(Json::as_str)
        .unwrap_or("?");
    format!("PostgresCluster {namespace}/{name}")
}

/// Inspects one repository on the blocking S3 client (its own runtime, off this thread).
async fn inspect(
    mut request: RepoRequest,
    target: Option<jiff::Timestamp>,
    settings: &GuardSettings,
    what: &str,
) -> Result<CheckOutcome, K8sError> {
    if let Some(ca) = &settings.ca_file {
        request.overrides.ca_file = Some(ca.clone());
    }
    // A guard must answer quickly: a dead endpoint fails the task, it does not hang the run.
    request
        .timeouts
        .connect
        .get_or_insert(Duration::from_secs(5));
    request
        .timeouts
        .operation
        .get_or_insert(Duration::from_secs(60));
    let error = |detail: String, unreachable: bool| K8sError::BackupGuard {
        what: what.to_owned(),
        detail,
        unreachable,
    };
    let resolved = request.resolve().map_err(|e| {
        error(
            format!(
                "the pgBackRest repository settings are incomplete: {e} (pgBackRest would fail \
                 the same way in the pod); fix the Secret named in spec.backups.pgbackrest.\
                 configuration or the repo settings"
            ),
            false,
        )
    })?;
    let secrets = secrets_of(&resolved);
    tokio::task::spawn_blocking(move || check_blocking(&resolved, target))
        .await
        .map_err(|e| error(format!("the inspection task failed: {e}"), false))?
        .map_err(|e| {
            let pod_view = if e.is_unreachable() {
                " (if the pods cannot reach it either, pgBackRest fails with error 039, S3 \
                 connection)"
            } else {
                ""
            };
            error(
                format!(
                    "cannot inspect the pgBackRest repository: {}{pod_view} — nothing was \
                     written. Fix the endpoint/credentials, or set safety_checks: false to skip \
                     the check",
                    scrub_str(&e.to_string(), &secrets)
                ),
                e.is_unreachable(),
            )
        })
}

/// The `*.conf` keys of the named Secrets, concatenated in order (PGO projects them all into
/// pgBackRest's configuration). `None` when no Secret is named.
async fn conf_text(
    cluster: &Cluster,
    namespace: &str,
    names: &[String],
) -> Result<Option<Secret>, K8sError> {
    if names.is_empty() {
        return Ok(None);
    }
    let mut text = String::new();
    for name in names {
        let secret = match cluster.applied_secrets.get(namespace, name) {
            Some(secret) => Some(secret),
            None => {
                let resource = cluster
                    .discovery
                    .resolve(cluster, "v1", "Secret", Duration::ZERO)
                    .await?;
                let target = Target {
                    resource: &resource,
                    namespace: Some(namespace),
                    name,
                };
                ops::get(cluster, &target).await?
            }
        };
        let Some(secret) = secret else {
            return Err(K8sError::BackupGuard {
                what: format!("Secret {namespace}/{name}"),
                detail: "the PostgresCluster's pgBackRest configuration references it, but it \
                         does not exist (and was not applied earlier in this run); create it \
                         before the cluster"
                    .to_owned(),
                unreachable: false,
            });
        };
        for value in conf_values(&secret) {
            text.push_str(&value);
            text.push('\n');
        }
    }
    Ok(Some(Secret::new(text)))
}

/// Values of `*.conf` keys from `stringData` (as applied) and `data` (base64, as stored).
fn conf_values(secret: &Json) -> Vec<String> {
    let mut out: Map<String, Json> = Map::new();
    if let Some(data) = secret.get("data").and_then(Json::as_object) {
        for (key, value) in data {
            let decoded = value
                .as_str()
                .and_then(|v| base64::engine::general_purpose::STANDARD.decode(v).ok())
                .and_then(|bytes| String::from_utf8(bytes).ok());
            if let (true, Some(text)) = (key.ends_with(".conf"), decoded) {
                out.insert(key.clone(), Json::String(text));
            }
        }
    }
    if let Some(data) = secret.get("stringData").and_then(Json::as_object) {
        for (key, value) in data {
            if let (true, Some(text)) = (key.ends_with(".conf"), value.as_str()) {
                out.insert(key.clone(), Json::String(text.to_owned()));
            }
        }
    }
    let mut keys: Vec<&String> = out.keys().collect();
    keys.sort();
    keys.iter()
        .filter_map(|k| out.get(*k).and_then(Json::as_str).map(str::to_owned))
        .collect()
}

/// A clone: read the source cluster, then check its repository like a restore.
async fn clone_plan(
    cluster: &Cluster,
    namespace: &str,
    clone: &Json,
    refuse: &impl Fn(String) -> K8sError,
) -> Result<Plan, K8sError> {
    let name = clone
        .get("clusterName")
        .and_then(Json::as_str)
        .ok_or_else(|| refuse("dataSource.postgresCluster has no clusterName".to_owned()))?;
    let source_ns = clone
        .get("clusterNamespace")
        .and_then(Json::as_str)
        .unwrap_or(namespace);
    let resource = cluster
        .discovery
        .resolve(
            cluster,
            &format!("{}/v1beta1", pgo::GROUP),
            "PostgresCluster",
            Duration::ZERO,
        )
        .await?;
    let target = Target {
        resource: &resource,
        namespace: Some(source_ns),
        name,
    };
    let Some(source) = ops::get(cluster, &target).await? else {
        return Err(refuse(format!(
            "dataSource.postgresCluster names PostgresCluster {source_ns}/{name}, which does not \
             exist: there is nothing to clone from"
        )));
    };
    let (own, _) = pgo::configuration_secrets(&source);
    let conf = conf_text(cluster, source_ns, &own).await?;
    pgo::clone_plan(&source, clone, conf.as_ref())
        .map_err(|e| refuse(format!("{e}; fix dataSource.postgresCluster")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conf_values_reads_string_data_and_base64_data_in_key_order() {
        let secret = json!({"kind": "Secret",
            "data": {"b.conf": "W2dsb2JhbF0=", "other": "eA==", "bad.conf": "%%"},
            "stringData": {"a.conf": "[global]\nrepo1-s3-key=k"}});
        assert_eq!(
            conf_values(&secret),
            vec!["[global]\nrepo1-s3-key=k".to_owned(), "[global]".to_owned()]
        );
    }

    #[test]
    fn applied_secrets_are_found_by_namespace_and_name() {
        let applied = AppliedSecrets::default();
        applied
            .remember(&json!({"kind": "ConfigMap", "metadata": {"namespace": "a", "name": "x"}}));
        applied.remember(&json!({"kind": "Secret", "metadata": {"namespace": "a", "name": "s"}}));
        assert!(applied.get("a", "x").is_none());
        assert!(applied.get("a", "s").is_some());
        assert!(applied.get("b", "s").is_none());
    }
}
