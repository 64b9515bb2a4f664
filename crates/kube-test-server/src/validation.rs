//! Spec validation for built-in kinds: the checks kube-apiserver makes that manifests most often
//! fail (missing selectors, selector/label mismatch, containers without name or image, Job restart
//! policy, Service ports, config keys, RoleBinding roleRef) and the updates it refuses (immutable
//! Secrets/ConfigMaps, selectors, StatefulSet spec, Job template, PVC spec, Service clusterIP),
//! with the real field paths and messages.

use serde_json::{Map, Value};

use crate::resources::ResourceType;
use crate::status::Cause;

fn required(field: &str) -> Cause {
    Cause {
        reason: "FieldValueRequired".into(),
        message: "Required value".into(),
        field: field.to_string(),
    }
}

fn invalid(field: &str, message: String) -> Cause {
    Cause {
        reason: "FieldValueInvalid".into(),
        message,
        field: field.to_string(),
    }
}

/// Go's `%#v` rendering of a `map[string]string`, as used in selector mismatch messages.
fn go_map(m: Option<&Map<String, Value>>) -> String {
    let mut pairs: Vec<(String, String)> = m
        .map(|m| {
            m.iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
                .collect()
        })
        .unwrap_or_default();
    pairs.sort();
    let body: Vec<String> = pairs.iter().map(|(k, v)| format!("{k:?}:{v:?}")).collect();
    format!("map[string]string{{{}}}", body.join(", "))
}

fn pod_spec(spec: Option<&Value>, path: &str, out: &mut Vec<Cause>) {
    let containers = spec
        .and_then(|s| s.get("containers"))
        .and_then(Value::as_array);
    match containers {
        None => out.push(required(&format!("{path}.containers"))),
        Some(list) if list.is_empty() => out.push(required(&format!("{path}.containers"))),
        Some(list) => {
            for (i, c) in list.iter().enumerate() {
                for key in ["name", "image"] {
                    if c.get(key).and_then(Value::as_str).is_none_or(str::is_empty) {
                        out.push(required(&format!("{path}.containers[{i}].{key}")));
                    }
                }
            }
        }
    }
}

fn workload(obj: &Value, out: &mut Vec<Cause>, job: bool) {
    let spec = obj.get("spec");
    let selector = spec.and_then(|s| s.get("selector"));
    let labels = spec
        .and_then(|s| s.pointer("/template/metadata/labels"))
        .and_then(Value::as_object);
    if !job {
        match selector {
            None | Some(Value::Null) => out.push(required("spec.selector")),
            Some(sel) => {
                let wanted = sel.get("matchLabels").and_then(Value::as_object);
                let matches = wanted.is_none_or(|w| {
                    w.iter()
                        .all(|(k, v)| labels.and_then(|l| l.get(k)) == Some(v))
                });
                if !matches {
                    out.push(invalid(
                        "spec.template.metadata.labels",
                        format!(
                            "Invalid value: {}: `selector` does not match template `labels`",
                            go_map(labels)
                        ),
                    ));
                }
            }
        }
    }
    pod_spec(
        spec.and_then(|s| s.pointer("/template/spec")),
        "spec.template.spec",
        out,
    );
    if job {
        let policy = spec
            .and_then(|s| s.pointer("/template/spec/restartPolicy"))
            .and_then(Value::as_str)
            .unwrap_or("Always");
        if policy != "OnFailure" && policy != "Never" {
            out.push(Cause {
                reason: "FieldValueNotSupported".into(),
                message: format!(
                    "Unsupported value: {policy:?}: supported values: \"OnFailure\", \"Never\""
                ),
                field: "spec.template.spec.restartPolicy".into(),
            });
        }
    }
}

fn config_keys(obj: &Value, fields: &[&str], out: &mut Vec<Cause>) {
    let ok = |k: &str| {
        !k.is_empty()
            && k.len() <= 253
            && k.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.')
    };
    for field in fields {
        if let Some(map) = obj.get(*field).and_then(Value::as_object) {
            for k in map.keys().filter(|k| !ok(k)) {
                out.push(invalid(
                    &format!("{field}[{k}]"),
                    format!(
                        "Invalid value: {k:?}: a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')"
                    ),
                ));
            }
        }
    }
}

/// Validation failures of a built-in object (empty when valid or not checked).
pub fn validate_builtin(rt: &ResourceType, obj: &Value) -> Vec<Cause> {
    let mut out = Vec::new();
    match (rt.group.as_str(), rt.plural.as_str()) {
        ("apps", "deployments") | ("apps", "statefulsets") => workload(obj, &mut out, false),
        ("batch", "jobs") => workload(obj, &mut out, true),
        ("batch", "cronjobs") => {
            if obj
                .pointer("/spec/schedule")
                .and_then(Value::as_str)
                .is_none_or(str::is_empty)
            {
                out.push(required("spec.schedule"));
            }
            pod_spec(
                obj.pointer("/spec/jobTemplate/spec/template/spec"),
                "spec.jobTemplate.spec.template.spec",
                &mut out,
            );
        }
        ("", "pods") => pod_spec(obj.get("spec"), "spec", &mut out),
        ("", "services") => {
            let headless_or_external = matches!(
                obj.pointer("/spec/type").and_then(Value::as_str),
                Some("ExternalName")
            ) || obj.pointer("/spec/clusterIP").and_then(Value::as_str)
                == Some("None");
            let no_ports = obj
                .pointer("/spec/ports")
                .and_then(Value::as_array)
                .is_none_or(Vec::is_empty);
            if no_ports && !headless_or_external {
                out.push(required("spec.ports"));
            }
        }
        ("", "configmaps") => config_keys(obj, &["data", "binaryData"], &mut out),
        ("", "secrets") => config_keys(obj, &["data"], &mut out),
        ("rbac.authorization.k8s.io", "rolebindings")
        | ("rbac.authorization.k8s.io", "clusterrolebindings") => {
            for key in ["kind", "name"] {
                if obj
                    .pointer(&format!("/roleRef/{key}"))
                    .and_then(Value::as_str)
                    .is_none_or(str::is_empty)
                {
                    out.push(required(&format!("roleRef.{key}")));
                }
            }
        }
        _ => {}
    }
    out
}

fn forbidden(field: &str, message: &str) -> Cause {
    Cause {
        reason: "FieldValueForbidden".into(),
        message: format!("Forbidden: {message}"),
        field: field.to_string(),
    }
}

fn immutable(field: &str, value: Option<&Value>) -> Cause {
    invalid(
        field,
        format!(
            "Invalid value: {}: field is immutable",
            value.map(Value::to_string).unwrap_or_else(|| "null".into())
        ),
    )
}

/// Fields the real server refuses to change on update (checked for main-resource writes).
pub fn validate_update(rt: &ResourceType, old: &Value, new: &Value) -> Vec<Cause> {
    let mut out = Vec::new();
    let changed = |p: &str| old.pointer(p) != new.pointer(p);
    match (rt.group.as_str(), rt.plural.as_str()) {
        ("", "secrets") | ("", "configmaps")
            if old.get("immutable").and_then(Value::as_bool) == Some(true) =>
        {
            for field in ["data", "binaryData", "immutable"] {
                if changed(&format!("/{field}")) {
                    out.push(forbidden(
                        field,
                        "field is immutable when `immutable` is set",
                    ));
                }
            }
        }
        ("apps", "deployments") if changed("/spec/selector") => {
            out.push(immutable("spec.selector", new.pointer("/spec/selector")));
        }
        ("apps", "statefulsets") => {
            const MUTABLE: &[&str] = &[
                "replicas",
                "ordinals",
                "template",
                "updateStrategy",
                "revisionHistoryLimit",
                "persistentVolumeClaimRetentionPolicy",
                "minReadySeconds",
            ];
            let strip = |v: &Value| {
                let mut spec = v.get("spec").cloned().unwrap_or(Value::Null);
                if let Some(m) = spec.as_object_mut() {
                    m.retain(|k, _| !MUTABLE.contains(&k.as_str()));
                }
                spec
            };
            if strip(old) != strip(new) {
                out.push(forbidden(
                    "spec",
                    "updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'revisionHistoryLimit', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden",
                ));
            }
        }
        ("batch", "jobs") => {
            if changed("/spec/template") {
                out.push(immutable("spec.template", new.pointer("/spec/template")));
            }
            if changed("/spec/selector") {
                out.push(immutable("spec.selector", new.pointer("/spec/selector")));
            }
        }
        ("", "persistentvolumeclaims") => {
            let strip = |v: &Value| {
                let mut spec = v.get("spec").cloned().unwrap_or(Value::Null);
                if let Some(m) = spec.as_object_mut() {
                    m.remove("volumeAttributesClassName");
                    if let Some(r) = m.get_mut("resources").and_then(Value::as_object_mut) {
                        r.remove("requests");
                    }
                }
                spec
            };
            if strip(old) != strip(new) {
                out.push(forbidden(
                    "spec",
                    "spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims",
                ));
            }
        }
        ("", "services") => {
            let ip = |v: &Value| v.pointer("/spec/clusterIP").cloned();
            if ip(old).is_some() && ip(new).is_some() && ip(old) != ip(new) {
                out.push(immutable("spec.clusterIP", new.pointer("/spec/clusterIP")));
            }
        }
        _ => {}
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resources::builtins;
    use serde_json::json;

    fn rt(plural: &str) -> ResourceType {
        builtins()
            .into_iter()
            .find(|t| t.plural == plural)
            .unwrap_or_else(|| builtins().remove(0))
    }

    #[test]
    fn workload_checks() {
        let d = json!({"spec": {"selector": {"matchLabels": {"app": "a"}},
            "template": {"metadata": {"labels": {"app": "b"}}, "spec": {"containers": [{"name": "c"}]}}}});
        let fields: Vec<String> = validate_builtin(&rt("deployments"), &d)
            .into_iter()
            .map(|c| c.field)
            .collect();
        assert_eq!(
            fields,
            [
                "spec.template.metadata.labels",
                "spec.template.spec.containers[0].image"
            ]
        );
        let msg = validate_builtin(&rt("deployments"), &d)
            .into_iter()
            .next()
            .map(|c| c.message);
        assert_eq!(
            msg.as_deref(),
            Some(
                "Invalid value: map[string]string{\"app\":\"b\"}: `selector` does not match template `labels`"
            )
        );
        let job =
            json!({"spec": {"template": {"spec": {"containers": [{"name": "c", "image": "i"}]}}}});
        let reasons: Vec<String> = validate_builtin(&rt("jobs"), &job)
            .into_iter()
            .map(|c| c.reason)
            .collect();
        assert_eq!(reasons, ["FieldValueNotSupported"]);
        let sts_old = json!({"spec": {"replicas": 1, "serviceName": "a", "volumeClaimTemplates": [{"metadata": {"name": "d"}}]}});
        let mut sts_new = sts_old.clone();
        sts_new["spec"]["replicas"] = json!(3);
        assert!(validate_update(&rt("statefulsets"), &sts_old, &sts_new).is_empty());
        sts_new["spec"]["volumeClaimTemplates"] = json!([]);
        assert_eq!(
            validate_update(&rt("statefulsets"), &sts_old, &sts_new).len(),
            1
        );
        let frozen = json!({"immutable": true, "data": {"a": "eA=="}});
        let thawed = json!({"immutable": true, "data": {"a": "eQ=="}});
        let causes = validate_update(&rt("secrets"), &frozen, &thawed);
        assert_eq!(
            causes.first().map(|c| c.message.as_str()),
            Some("Forbidden: field is immutable when `immutable` is set")
        );
        let cm = json!({"data": {"ok.key": "", "bad key": ""}});
        assert_eq!(validate_builtin(&rt("configmaps"), &cm).len(), 1);
    }
}
