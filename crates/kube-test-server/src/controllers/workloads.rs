//! Status computations for built-in controllers (CRD establishment, Deployment, StatefulSet,
//! Job): the fields `kubectl wait`, `kubernetes.core.k8s wait` and stackbook check.

use serde_json::{Value, json};

use crate::time::now_rfc3339;

fn generation(obj: &Value) -> i64 {
    obj.pointer("/metadata/generation")
        .and_then(Value::as_i64)
        .unwrap_or(1)
}

fn replicas(obj: &Value) -> i64 {
    obj.pointer("/spec/replicas")
        .and_then(Value::as_i64)
        .unwrap_or(1)
}

fn name(obj: &Value) -> &str {
    obj.pointer("/metadata/name")
        .and_then(Value::as_str)
        .unwrap_or_default()
}

/// CRD: `NamesAccepted` and `Established`, accepted names, stored versions.
pub fn crd_status(obj: &Value) -> Option<Value> {
    let now = now_rfc3339();
    let storage: Vec<Value> = obj
        .pointer("/spec/versions")
        .and_then(Value::as_array)
        .map(|vs| {
            vs.iter()
                .filter(|v| v.get("storage").and_then(Value::as_bool) == Some(true))
                .filter_map(|v| v.get("name").cloned())
                .collect()
        })
        .unwrap_or_default();
    Some(json!({
        "conditions": [
            {"type": "NamesAccepted", "status": "True", "reason": "NoConflicts", "message": "no conflicts found", "lastTransitionTime": now},
            {"type": "Established", "status": "True", "reason": "InitialNamesAccepted", "message": "the initial names have been accepted", "lastTransitionTime": now},
        ],
        "acceptedNames": obj.pointer("/spec/names").cloned().unwrap_or(json!({})),
        "storedVersions": storage,
    }))
}

/// Deployment: all replicas ready, `Available` and `Progressing`.
pub fn deployment_status(obj: &Value) -> Option<Value> {
    let n = replicas(obj);
    let now = now_rfc3339();
    Some(json!({
        "observedGeneration": generation(obj),
        "replicas": n,
        "updatedReplicas": n,
        "readyReplicas": n,
        "availableReplicas": n,
        "conditions": [
            {"type": "Available", "status": "True", "reason": "MinimumReplicasAvailable",
             "message": "Deployment has minimum availability.", "lastUpdateTime": now, "lastTransitionTime": now},
            {"type": "Progressing", "status": "True", "reason": "NewReplicaSetAvailable",
             "message": format!("ReplicaSet \"{}\" has successfully progressed.", name(obj)),
             "lastUpdateTime": now, "lastTransitionTime": now},
        ],
    }))
}

/// StatefulSet: all replicas ready and current.
pub fn statefulset_status(obj: &Value) -> Option<Value> {
    let n = replicas(obj);
    let revision = format!("{}-{}", name(obj), generation(obj));
    Some(json!({
        "observedGeneration": generation(obj),
        "replicas": n,
        "readyReplicas": n,
        "currentReplicas": n,
        "updatedReplicas": n,
        "availableReplicas": n,
        "currentRevision": revision,
        "updateRevision": revision,
        "collisionCount": 0,
    }))
}

/// Job: succeeded with `SuccessCriteriaMet` and `Complete`.
pub fn job_status(obj: &Value) -> Option<Value> {
    let completions = obj
        .pointer("/spec/completions")
        .and_then(Value::as_i64)
        .unwrap_or(1);
    let now = now_rfc3339();
    Some(json!({
        "startTime": now,
        "completionTime": now,
        "succeeded": completions,
        "ready": 0,
        "terminating": 0,
        "uncountedTerminatedPods": {},
        "conditions": [
            {"type": "SuccessCriteriaMet", "status": "True", "reason": "CompletionsReached",
             "message": "Reached expected number of succeeded pods", "lastProbeTime": now, "lastTransitionTime": now},
            {"type": "Complete", "status": "True", "reason": "CompletionsReached",
             "message": "Reached expected number of succeeded pods", "lastProbeTime": now, "lastTransitionTime": now},
        ],
    }))
}
