//! `wait`: polls the release's objects until they are ready, like Helm's
//! status watcher: Deployments, StatefulSets and DaemonSets rolled out and
//! ready, Jobs complete (a failed Job fails the wait at once), Pods running
//! or succeeded, PersistentVolumeClaims `Bound`, Services of type
//! `LoadBalancer` with an ingress address (other Services are ready
//! immediately). A timeout names every object still not ready and why.

use std::time::{Duration, Instant};

use serde_json::Value as Json;

use super::{Cluster, InstallError, identity};

/// Readiness of one live object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Readiness {
    /// Ready.
    Ready,
    /// Not yet; the reason (`0/1 replicas ready`).
    Pending(String),
    /// Will never be ready (a failed Job).
    Failed(String),
}

/// Whether `kind` is waited for at all.
pub fn is_watched(kind: &str) -> bool {
    matches!(
        kind,
        "Deployment"
            | "StatefulSet"
            | "DaemonSet"
            | "Job"
            | "Pod"
            | "PersistentVolumeClaim"
            | "Service"
    )
}

/// Readiness of `live`, an object of `kind`.
pub fn readiness(kind: &str, live: &Json) -> Readiness {
    let num = |p: &str| live.pointer(p).and_then(Json::as_i64);
    let text = |p: &str| live.pointer(p).and_then(Json::as_str).unwrap_or("");
    let generation_seen =
        num("/status/observedGeneration").unwrap_or(0) >= num("/metadata/generation").unwrap_or(0);
    let pending = |why: String| Readiness::Pending(why);
    match kind {
        "Deployment" | "StatefulSet" => {
            let want = num("/spec/replicas").unwrap_or(1);
            let ready = num("/status/readyReplicas").unwrap_or(0);
            let updated = num("/status/updatedReplicas").unwrap_or(ready);
            if !generation_seen {
                pending("spec change not yet observed".into())
            } else if ready < want || updated < want {
                pending(format!("{ready}/{want} replicas ready, {updated} updated"))
            } else {
                Readiness::Ready
            }
        }
        "DaemonSet" => {
            let want = num("/status/desiredNumberScheduled").unwrap_or(0);
            let ready = num("/status/numberReady").unwrap_or(0);
            if generation_seen && ready >= want {
                Readiness::Ready
            } else {
                pending(format!("{ready}/{want} pods ready"))
            }
        }
        "Job" => {
            let failed = live
                .pointer("/status/conditions")
                .and_then(Json::as_array)
                .into_iter()
                .flatten()
                .find(|c| {
                    c.get("type").and_then(Json::as_str) == Some("Failed")
                        && c.get("status").and_then(Json::as_str) == Some("True")
                });
            if let Some(c) = failed {
                let msg = c
                    .get("message")
                    .or_else(|| c.get("reason"))
                    .and_then(Json::as_str)
                    .unwrap_or("failed");
                return Readiness::Failed(format!("job failed: {msg}"));
            }
            let want = num("/spec/completions").unwrap_or(1);
            let done = num("/status/succeeded").unwrap_or(0);
            if done >= want {
                Readiness::Ready
            } else {
                pending(format!("{done}/{want} completions"))
            }
        }
        "Pod" => match text("/status/phase") {
            "Running" | "Succeeded" => Readiness::Ready,
            "Failed" => Readiness::Failed("pod failed".into()),
            "" => pending("no phase yet".into()),
            other => pending(format!("phase {other}")),
        },
        "PersistentVolumeClaim" => match text("/status/phase") {
            "Bound" => Readiness::Ready,
            "" => pending("phase Pending".into()),
            other => pending(format!("phase {other}")),
        },
        "Service" => {
            if text("/spec/type") != "LoadBalancer" {
                return Readiness::Ready;
            }
            let has_ingress = live
                .pointer("/status/loadBalancer/ingress")
                .and_then(Json::as_array)
                .is_some_and(|a| !a.is_empty());
            if has_ingress {
                Readiness::Ready
            } else {
                pending("load balancer has no ingress address yet".into())
            }
        }
        _ => Readiness::Ready,
    }
}

/// Polls the watched objects among `docs` until every one is ready, one
/// fails, or `timeout` passes.
pub async fn wait_ready(
    cluster: &Cluster,
    docs: &[(String, Json)],
    ns: &str,
    timeout: Duration,
) -> Result<(), InstallError> {
    let start = Instant::now();
    let watched: Vec<&Json> = docs
        .iter()
        .map(|(_, d)| d)
        .filter(|d| is_watched(d.get("kind").and_then(Json::as_str).unwrap_or("")))
        .collect();
    loop {
        let mut pending = Vec::new();
        for d in &watched {
            let kind = d.get("kind").and_then(Json::as_str).unwrap_or("");
            let (_, k, n, name) = identity(d, ns);
            let label = if n.is_empty() || matches!(kind, "Namespace") {
                format!("{k} {name}")
            } else {
                format!("{k} {n}/{name}")
            };
            match cluster.get(d, ns).await? {
                None => pending.push(format!("{label} (not found)")),
                Some(live) => match readiness(kind, &live) {
                    Readiness::Ready => {}
                    Readiness::Pending(why) => pending.push(format!("{label} ({why})")),
                    Readiness::Failed(why) => {
                        return Err(InstallError::NotReady {
                            object: label,
                            reason: why,
                        });
                    }
                },
            }
        }
        if pending.is_empty() {
            return Ok(());
        }
        if start.elapsed() >= timeout {
            return Err(InstallError::Timeout {
                timeout,
                pending: pending.join(", "),
            });
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn readiness_per_kind() {
        let dep = json!({"metadata": {"generation": 2}, "spec": {"replicas": 2},
            "status": {"observedGeneration": 2, "readyReplicas": 1, "updatedReplicas": 2}});
        assert_eq!(
            readiness("Deployment", &dep),
            Readiness::Pending("1/2 replicas ready, 2 updated".into())
        );
        let pvc = json!({"status": {"phase": "Bound"}});
        assert_eq!(readiness("PersistentVolumeClaim", &pvc), Readiness::Ready);
        assert!(matches!(
            readiness("PersistentVolumeClaim", &json!({})),
            Readiness::Pending(_)
        ));
        let lb = json!({"spec": {"type": "LoadBalancer"}, "status": {"loadBalancer": {}}});
        assert!(matches!(readiness("Service", &lb), Readiness::Pending(_)));
        let lb_ok = json!({"spec": {"type": "LoadBalancer"},
            "status": {"loadBalancer": {"ingress": [{"ip": "10.0.0.1"}]}}});
        assert_eq!(readiness("Service", &lb_ok), Readiness::Ready);
        assert_eq!(
            readiness("Service", &json!({"spec": {"type": "ClusterIP"}})),
            Readiness::Ready
        );
        let failed_job = json!({"status": {"conditions": [
            {"type": "Failed", "status": "True", "message": "BackoffLimitExceeded"}]}});
        assert_eq!(
            readiness("Job", &failed_job),
            Readiness::Failed("job failed: BackoffLimitExceeded".into())
        );
        assert!(!is_watched("ConfigMap"));
    }
}
