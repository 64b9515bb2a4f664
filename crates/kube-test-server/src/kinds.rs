//! Kind-specific behaviour of built-in types: the parts of kube-apiserver's registry
//! "strategies" that clients can observe (Secret `stringData`, Namespace phase and finalizers,
//! Service defaults, name formats, Secret data encoding).

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Map, Value, json};

use crate::resources::ResourceType;
use crate::status::Cause;

const DNS1123_SUBDOMAIN: &str =
    r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$";
const DNS1123_LABEL: &str = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$";

/// Checks `metadata.name` the way the real server does for this kind.
pub fn validate_name(rt: &ResourceType, name: &str) -> Option<Cause> {
    let label = rt.plural == "namespaces" || rt.plural == "services";
    let (re, max, msg) = if label {
        (
            DNS1123_LABEL,
            63,
            "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')",
        )
    } else {
        (
            DNS1123_SUBDOMAIN,
            253,
            "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
        )
    };
    // RBAC objects allow any path segment name; keep them permissive like the real server.
    if rt.group == "rbac.authorization.k8s.io" {
        return (name.is_empty() || name.contains('/') || name == "." || name == "..").then(|| {
            Cause {
                reason: "FieldValueInvalid".into(),
                message: format!("Invalid value: {name:?}: may not contain '/'"),
                field: "metadata.name".into(),
            }
        });
    }
    let ok = name.len() <= max && regex_lite::Regex::new(re).is_ok_and(|r| r.is_match(name));
    (!ok).then(|| Cause {
        reason: "FieldValueInvalid".into(),
        message: format!("Invalid value: {name:?}: {msg}"),
        field: "metadata.name".into(),
    })
}

/// Normalises a new or updated object of a built-in kind before it is stored.
pub fn prepare(rt: &ResourceType, obj: &mut Value, creating: bool) {
    match (rt.group.as_str(), rt.plural.as_str()) {
        ("", "secrets") => merge_string_data(obj),
        ("", "namespaces") => {
            if creating {
                set(obj, "spec", json!({"finalizers": ["kubernetes"]}));
                set(obj, "status", json!({"phase": "Active"}));
            }
            let name = obj
                .pointer("/metadata/name")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string();
            if let Some(meta) = obj.get_mut("metadata").and_then(Value::as_object_mut) {
                let labels = meta
                    .entry("labels")
                    .or_insert_with(|| Value::Object(Map::new()));
                if let Some(l) = labels.as_object_mut() {
                    l.insert("kubernetes.io/metadata.name".into(), Value::String(name));
                }
            }
        }
        ("", "services") => {
            if let Some(spec) = obj.get_mut("spec").and_then(Value::as_object_mut) {
                spec.entry("type").or_insert_with(|| json!("ClusterIP"));
                spec.entry("sessionAffinity")
                    .or_insert_with(|| json!("None"));
            }
        }
        ("", "configmaps") | ("", "serviceaccounts") => {}
        ("apps", "deployments") | ("apps", "statefulsets") => {
            if let Some(spec) = obj.get_mut("spec").and_then(Value::as_object_mut) {
                spec.entry("replicas").or_insert_with(|| json!(1));
            }
        }
        ("", "pods") if creating => {
            set(
                obj,
                "status",
                json!({"phase": "Pending", "qosClass": "BestEffort"}),
            );
        }
        ("", "persistentvolumeclaims") if creating => {
            set(obj, "status", json!({"phase": "Pending"}));
        }
        _ => {}
    }
}

fn set(obj: &mut Value, key: &str, value: Value) {
    if let Some(map) = obj.as_object_mut() {
        map.insert(key.to_string(), value);
    }
}

/// Secret `stringData` is write-only: merged into base64 `data` and dropped.
fn merge_string_data(obj: &mut Value) {
    let Some(map) = obj.as_object_mut() else {
        return;
    };
    let Some(Value::Object(string_data)) = map.remove("stringData") else {
        return;
    };
    let data = map
        .entry("data")
        .or_insert_with(|| Value::Object(Map::new()));
    if !data.is_object() {
        *data = Value::Object(Map::new());
    }
    if let Some(data) = data.as_object_mut() {
        for (k, v) in string_data {
            let text = match v {
                Value::String(s) => s,
                other => other.to_string(),
            };
            data.insert(k, Value::String(STANDARD.encode(text)));
        }
    }
    map.entry("type").or_insert_with(|| json!("Opaque"));
}

/// Kind-specific validation after preparation.
pub fn validate(rt: &ResourceType, obj: &Value) -> Vec<Cause> {
    let mut causes = crate::validation::validate_builtin(rt, obj);
    if rt.group.is_empty() && rt.plural == "secrets" {
        if let Some(data) = obj.get("data").and_then(Value::as_object) {
            for (k, v) in data {
                let ok = v.as_str().is_some_and(|s| STANDARD.decode(s).is_ok());
                if !ok {
                    causes.push(Cause {
                        reason: "FieldValueInvalid".into(),
                        message:
                            "Invalid value: \"<secret contents redacted>\": illegal base64 data"
                                .into(),
                        field: format!("data[{k}]"),
                    });
                }
            }
        }
    }
    if rt.group == "apiextensions.k8s.io"
        && let Err(e) = crate::resources::from_crd(obj)
    {
        let text = e.to_string();
        let (field, message) = text
            .split_once(": ")
            .map(|(f, m)| (f.to_string(), m.to_string()))
            .unwrap_or_default();
        causes.push(Cause {
            reason: "FieldValueInvalid".into(),
            message,
            field,
        });
    }
    causes
}

/// Fills defaults the real server applies to every new object of these kinds.
pub fn default_type(rt: &ResourceType, obj: &mut Value) {
    if rt.group.is_empty()
        && rt.plural == "secrets"
        && let Some(map) = obj.as_object_mut()
    {
        // Defaulting treats an empty type (what protobuf clients send) like a missing one.
        let empty = map
            .get("type")
            .is_none_or(|t| t.is_null() || t.as_str() == Some(""));
        if empty {
            map.insert("type".into(), json!("Opaque"));
        }
    }
}
