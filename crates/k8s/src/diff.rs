//! `--diff` output: a readable before/after of each object, with noise removed and Secret
//! values redacted.
//!
//! The result's `diff` has Ansible's shape (`before`, `after`, `before_header`,
//! `after_header`) so the engine's printer renders it like a file diff. Server bookkeeping
//! (`managedFields`, `resourceVersion`, `uid`, timestamps, `generation`) is dropped because it
//! changes on every write and hides the change that matters. Secret values never appear: each
//! is `********`, or `******** (changed)` when the value differs from the one before, so the
//! diff still says *that* a password changed without saying what it is.

use serde_json::{Map, Value as Json};

/// Metadata fields the server maintains.
const VOLATILE_METADATA: &[&str] = &[
    "managedFields",
    "resourceVersion",
    "uid",
    "creationTimestamp",
    "generation",
    "selfLink",
];

/// The marker that replaces a Secret value.
pub const REDACTED: &str = "********";

/// Drops server bookkeeping from an object.
pub fn strip(object: &Json) -> Json {
    let mut object = object.clone();
    if let Some(metadata) = object.get_mut("metadata").and_then(Json::as_object_mut) {
        for key in VOLATILE_METADATA {
            metadata.remove(*key);
        }
        if metadata
            .get("annotations")
            .and_then(Json::as_object)
            .is_some_and(Map::is_empty)
        {
            metadata.remove("annotations");
        }
    }
    object
}

fn is_secret(object: &Json) -> bool {
    object.get("kind").and_then(Json::as_str) == Some("Secret")
}

/// Replaces Secret `data`/`stringData` values by markers. `before` is the earlier version, to
/// mark values that changed.
pub fn redact(object: &Json, before: Option<&Json>) -> Json {
    let mut object = object.clone();
    if !is_secret(&object) {
        return object;
    }
    for section in ["data", "stringData"] {
        let previous = before
            .and_then(|b| b.get(section))
            .and_then(Json::as_object);
        if let Some(values) = object.get_mut(section).and_then(Json::as_object_mut) {
            for (key, value) in values.iter_mut() {
                let changed = previous.is_some_and(|p| p.get(key) != Some(&*value));
                *value = Json::String(if changed {
                    format!("{REDACTED} (changed)")
                } else {
                    REDACTED.to_string()
                });
            }
        }
    }
    object
}

/// YAML text of an object (empty for none).
pub fn to_yaml(object: Option<&Json>) -> String {
    match object {
        None => String::new(),
        Some(value) => serde_yaml::to_string(value).unwrap_or_else(|_| value.to_string()),
    }
}

/// The `diff` entry for one object.
pub fn object_diff(header: &str, before: Option<&Json>, after: Option<&Json>) -> Json {
    let before_clean = before.map(strip);
    let after_clean = after.map(strip);
    let before_shown = before_clean.as_ref().map(|b| redact(b, None));
    let after_shown = after_clean
        .as_ref()
        .map(|a| redact(a, before_clean.as_ref()));
    serde_json::json!({
        "before": to_yaml(before_shown.as_ref()),
        "after": to_yaml(after_shown.as_ref()),
        "before_header": header,
        "after_header": header,
    })
}

/// True when two versions differ in more than server bookkeeping.
pub fn differs(before: &Json, after: &Json) -> bool {
    strip(before) != strip(after)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn secret_values_never_appear_and_changes_are_marked() {
        let before = json!({"kind": "Secret", "metadata": {"name": "s", "resourceVersion": "1"},
            "data": {"a": "c2VjcmV0MQ==", "b": "c2FtZQ=="}});
        let after = json!({"kind": "Secret", "metadata": {"name": "s", "resourceVersion": "2"},
            "data": {"a": "c2VjcmV0Mg==", "b": "c2FtZQ=="}});
        let diff = object_diff("Secret db/s", Some(&before), Some(&after));
        let text = diff.to_string();
        assert!(!text.contains("c2VjcmV0") && !text.contains("c2FtZQ"));
        assert_eq!(
            diff["after"].as_str(),
            Some(
                "kind: Secret\nmetadata:\n  name: s\ndata:\n  a: '******** (changed)'\n  b: '********'\n"
            )
        );
        assert!(
            !diff["before"]
                .as_str()
                .unwrap_or_default()
                .contains("resourceVersion")
        );
    }

    #[test]
    fn bookkeeping_alone_is_no_difference() {
        let a = json!({"metadata": {"name": "x", "resourceVersion": "1"}, "spec": {"r": 1}});
        let b = json!({"metadata": {"name": "x", "resourceVersion": "9"}, "spec": {"r": 1}});
        assert!(!differs(&a, &b));
        assert!(differs(
            &a,
            &json!({"metadata": {"name": "x"}, "spec": {"r": 2}})
        ));
    }
}
