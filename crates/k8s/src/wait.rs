//! Waiting for objects: built-in readiness per kind, `wait_condition` on conditions or on plain
//! status fields, and deletion.
//!
//! kubernetes.core only understands `status.conditions`; operators such as the Zalando one
//! report `status.PostgresClusterStatus: Running` instead, so a `wait_condition.type` that is a
//! dotted path (`status.phase`) compares that field with `wait_condition.status`.

use std::time::{Duration, Instant};

use serde::Deserialize;
use serde_json::Value as Json;
use stackbook_engine::modules::args;

use crate::cluster::{Call, Cluster};
use crate::discovery::ApiResource;
use crate::error::K8sError;

/// `wait_condition`.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct WaitCondition {
    /// Condition type, or a dotted status field path (`status.phase`).
    #[serde(rename = "type", default, deserialize_with = "args::string_opt")]
    pub kind: Option<String>,
    /// Expected status (`"True"` by default) or field value.
    #[serde(default, deserialize_with = "args::string_opt")]
    pub status: Option<String>,
    /// Expected reason, when given.
    #[serde(default, deserialize_with = "args::string_opt")]
    pub reason: Option<String>,
}

/// What and how long to wait.
#[derive(Debug, Clone)]
pub struct WaitSpec {
    /// The custom condition, if any.
    pub condition: Option<WaitCondition>,
    /// Longest pause between polls (`wait_sleep`).
    pub sleep: Duration,
    /// Give up after (`wait_timeout`).
    pub timeout: Duration,
}

/// One observation.
#[derive(Debug, Clone, PartialEq)]
pub enum Readiness {
    /// The object is ready.
    Ready,
    /// Not yet; the text says what was observed.
    Pending(String),
    /// It will never become ready (a failed Job, a failed Pod).
    Failed(String),
}

fn field<'a>(object: &'a Json, path: &str) -> Option<&'a Json> {
    path.split('.')
        .filter(|p| !p.is_empty())
        .try_fold(object, |value, key| value.get(key))
}

fn int(object: &Json, path: &str) -> i64 {
    field(object, path).and_then(Json::as_i64).unwrap_or(0)
}

fn scalar(value: &Json) -> String {
    match value {
        Json::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn condition<'a>(object: &'a Json, kind: &str) -> Option<&'a Json> {
    field(object, "status.conditions")
        .and_then(Json::as_array)?
        .iter()
        .find(|c| c.get("type").and_then(Json::as_str) == Some(kind))
}

fn condition_is(object: &Json, kind: &str, status: &str) -> bool {
    condition(object, kind)
        .and_then(|c| c.get("status"))
        .and_then(Json::as_str)
        == Some(status)
}

fn conditions_summary(object: &Json) -> String {
    let list: Vec<String> = field(object, "status.conditions")
        .and_then(Json::as_array)
        .map(|items| {
            items
                .iter()
                .map(|c| {
                    format!(
                        "{}={}{}",
                        c.get("type").map(scalar).unwrap_or_default(),
                        c.get("status").map(scalar).unwrap_or_default(),
                        c.get("reason")
                            .map(|r| format!(" ({})", scalar(r)))
                            .unwrap_or_default()
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    if list.is_empty() {
        "no conditions".to_string()
    } else {
        format!("conditions {}", list.join(", "))
    }
}

/// What a wait is waiting for, in words.
pub fn describe(kind: &str, condition: Option<&WaitCondition>) -> String {
    match condition {
        Some(c) => {
            let kind = c.kind.as_deref().unwrap_or("Ready");
            let status = c.status.as_deref().unwrap_or("True");
            let reason = c
                .reason
                .as_ref()
                .map(|r| format!(" reason={r}"))
                .unwrap_or_default();
            if kind.contains('.') {
                format!("{kind} == {status}")
            } else {
                format!("condition {kind}={status}{reason}")
            }
        }
        None => match kind {
            "Namespace" => "phase Active".into(),
            "CustomResourceDefinition" => "condition Established=True".into(),
            "Deployment" | "StatefulSet" | "DaemonSet" => "all replicas ready and updated".into(),
            "Job" => "condition Complete=True".into(),
            "Pod" => "condition Ready=True".into(),
            "PersistentVolumeClaim" => "phase Bound".into(),
            _ => "existence".into(),
        },
    }
}

/// Judges one observation of `object`.
pub fn readiness(kind: &str, object: &Json, wanted: Option<&WaitCondition>) -> Readiness {
    if let Some(wanted) = wanted {
        let kind = wanted.kind.as_deref().unwrap_or("Ready");
        let status = wanted.status.as_deref().unwrap_or("True");
        if kind.contains('.') {
            let observed = field(object, kind).map(scalar);
            return if observed.as_deref() == Some(status) {
                Readiness::Ready
            } else {
                Readiness::Pending(format!(
                    "{kind} = {}",
                    observed.unwrap_or_else(|| "<unset>".into())
                ))
            };
        }
        let found = condition(object, kind);
        let status_ok = found.and_then(|c| c.get("status")).and_then(Json::as_str) == Some(status);
        let reason_ok = wanted.reason.as_ref().is_none_or(|r| {
            found.and_then(|c| c.get("reason")).and_then(Json::as_str) == Some(r.as_str())
        });
        return if status_ok && reason_ok {
            Readiness::Ready
        } else {
            Readiness::Pending(conditions_summary(object))
        };
    }
    let phase = field(object, "status.phase")
        .map(scalar)
        .unwrap_or_default();
    let generation_seen =
        int(object, "status.observedGeneration") >= int(object, "metadata.generation");
    match kind {
        "Namespace" if phase == "Active" => Readiness::Ready,
        "Namespace" => Readiness::Pending(format!("phase {}", or_unset(&phase))),
        "PersistentVolumeClaim" if phase == "Bound" => Readiness::Ready,
        "PersistentVolumeClaim" => Readiness::Pending(format!("phase {}", or_unset(&phase))),
        "CustomResourceDefinition" if condition_is(object, "Established", "True") => {
            Readiness::Ready
        }
        "Job" if condition_is(object, "Complete", "True") => Readiness::Ready,
        "Job" if condition_is(object, "Failed", "True") => {
            Readiness::Failed(conditions_summary(object))
        }
        "Pod" if phase == "Failed" => Readiness::Failed("phase Failed".into()),
        "Pod" if phase == "Succeeded" || condition_is(object, "Ready", "True") => Readiness::Ready,
        "Deployment" | "StatefulSet" => {
            let wanted = field(object, "spec.replicas")
                .and_then(Json::as_i64)
                .unwrap_or(1);
            let ready = int(object, "status.readyReplicas");
            let updated = int(object, "status.updatedReplicas");
            let available = if kind == "Deployment" {
                int(object, "status.availableReplicas")
            } else {
                ready
            };
            if generation_seen && ready >= wanted && updated >= wanted && available >= wanted {
                Readiness::Ready
            } else {
                Readiness::Pending(format!(
                    "{ready}/{wanted} ready, {updated} updated, {available} available{}",
                    if generation_seen {
                        ""
                    } else {
                        ", generation not observed yet"
                    }
                ))
            }
        }
        "DaemonSet" => {
            let desired = int(object, "status.desiredNumberScheduled");
            let ready = int(object, "status.numberReady");
            let updated = int(object, "status.updatedNumberScheduled");
            if generation_seen && desired > 0 && ready >= desired && updated >= desired {
                Readiness::Ready
            } else {
                Readiness::Pending(format!("{ready}/{desired} ready, {updated} updated"))
            }
        }
        "CustomResourceDefinition" | "Job" | "Pod" => {
            Readiness::Pending(conditions_summary(object))
        }
        _ => Readiness::Ready,
    }
}

fn or_unset(text: &str) -> &str {
    if text.is_empty() { "<unset>" } else { text }
}

/// Polls until the object is ready. Returns the last object and the time waited.
pub async fn until_ready(
    cluster: &Cluster,
    resource: &ApiResource,
    namespace: Option<&str>,
    name: &str,
    spec: &WaitSpec,
) -> Result<(Json, Duration), K8sError> {
    let what = format!("{} {}", resource.kind, qualified(namespace, name));
    let awaited = describe(&resource.kind, spec.condition.as_ref());
    let started = Instant::now();
    let mut delay = Duration::from_millis(50);
    let mut last = "not found".to_string();
    loop {
        let call = Call::get(&format!("{}/{name}", resource.collection_path(namespace)))?;
        let reply = cluster.send(&call).await?;
        if reply.ok() {
            let object = reply.json();
            match readiness(&resource.kind, &object, spec.condition.as_ref()) {
                Readiness::Ready => return Ok((object, started.elapsed())),
                Readiness::Failed(detail) => return Err(K8sError::WaitFailed { what, detail }),
                Readiness::Pending(observed) => last = observed,
            }
        } else if reply.status.as_u16() != 404 {
            return Err(reply.error("get", &what));
        }
        if started.elapsed() >= spec.timeout {
            return Err(K8sError::WaitTimeout {
                what,
                awaited,
                seconds: spec.timeout.as_secs(),
                last,
            });
        }
        tokio::time::sleep(delay.min(spec.timeout.saturating_sub(started.elapsed()))).await;
        delay = (delay * 2).min(spec.sleep.max(Duration::from_millis(50)));
    }
}

/// Polls until the object is gone.
pub async fn until_gone(
    cluster: &Cluster,
    resource: &ApiResource,
    namespace: Option<&str>,
    name: &str,
    spec: &WaitSpec,
) -> Result<Duration, K8sError> {
    let what = format!("{} {}", resource.kind, qualified(namespace, name));
    let started = Instant::now();
    let mut delay = Duration::from_millis(50);
    loop {
        let call = Call::get(&format!("{}/{name}", resource.collection_path(namespace)))?;
        let reply = cluster.send(&call).await?;
        if reply.status.as_u16() == 404 {
            return Ok(started.elapsed());
        }
        if !reply.ok() {
            return Err(reply.error("get", &what));
        }
        if started.elapsed() >= spec.timeout {
            let object = reply.json();
            let last = match field(&object, "metadata.deletionTimestamp") {
                Some(_) => format!(
                    "terminating, finalizers {}",
                    field(&object, "metadata.finalizers")
                        .map(Json::to_string)
                        .unwrap_or_else(|| "[]".into())
                ),
                None => "still present".into(),
            };
            return Err(K8sError::WaitTimeout {
                what,
                awaited: "deletion".into(),
                seconds: spec.timeout.as_secs(),
                last,
            });
        }
        tokio::time::sleep(delay.min(spec.timeout.saturating_sub(started.elapsed()))).await;
        delay = (delay * 2).min(spec.sleep.max(Duration::from_millis(50)));
    }
}

/// `namespace/name` or `name`.
pub fn qualified(namespace: Option<&str>, name: &str) -> String {
    match namespace {
        Some(ns) => format!("{ns}/{name}"),
        None => name.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn deployment_needs_observed_generation_and_replicas() {
        let mut object = json!({"metadata": {"generation": 2}, "spec": {"replicas": 2},
            "status": {"observedGeneration": 1, "readyReplicas": 2, "updatedReplicas": 2,
                       "availableReplicas": 2}});
        assert!(matches!(
            readiness("Deployment", &object, None),
            Readiness::Pending(_)
        ));
        object["status"]["observedGeneration"] = json!(2);
        assert_eq!(readiness("Deployment", &object, None), Readiness::Ready);
    }

    #[test]
    fn failed_job_stops_the_wait() {
        let object = json!({"status": {"conditions": [{"type": "Failed", "status": "True"}]}});
        assert!(matches!(
            readiness("Job", &object, None),
            Readiness::Failed(_)
        ));
    }

    #[test]
    fn custom_condition_checks_reason_and_plain_fields() {
        let object = json!({"status": {"PostgresClusterStatus": "Running",
            "conditions": [{"type": "Ready", "status": "True", "reason": "Up"}]}});
        let cond = |kind: &str, status: &str, reason: Option<&str>| WaitCondition {
            kind: Some(kind.into()),
            status: Some(status.into()),
            reason: reason.map(str::to_string),
        };
        assert_eq!(
            readiness("X", &object, Some(&cond("Ready", "True", Some("Up")))),
            Readiness::Ready
        );
        assert!(matches!(
            readiness("X", &object, Some(&cond("Ready", "True", Some("Down")))),
            Readiness::Pending(_)
        ));
        assert_eq!(
            readiness(
                "X",
                &object,
                Some(&cond("status.PostgresClusterStatus", "Running", None))
            ),
            Readiness::Ready
        );
        assert_eq!(
            readiness("X", &object, Some(&cond("status.phase", "Running", None))),
            Readiness::Pending("status.phase = <unset>".into())
        );
    }
}
