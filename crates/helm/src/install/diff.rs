//! `--diff`: one diff entry per object between two release manifests (the
//! deployed revision and the new rendering), in Ansible's `diff` shape
//! (`before`, `after`, headers) so the engine prints each as a unified diff.
//!
//! Why per object and not one manifest diff: a chart upgrade touches a few
//! objects among dozens, and a reviewer wants to see "Deployment pgo changed
//! its image" under that object's name. Secret values never appear: each
//! `data`/`stringData` value becomes `********`, or `******** (changed)`
//! when it differs from the deployed one — the diff says *that* a password
//! changed, never what it is.

use serde_json::{Value as Json, json};

use super::{documents, identity, split_stored_manifest};
use crate::value::Value;

/// The marker that replaces a Secret value.
pub const REDACTED: &str = "********";

type Key = (String, String, String, String);

fn objects(manifest: &str, ns: &str) -> Vec<(Key, String, Json)> {
    match documents(&split_stored_manifest(manifest)) {
        Ok(docs) => docs
            .into_iter()
            .map(|(t, d)| (identity(&d, ns), t, d))
            .collect(),
        Err(_) => Vec::new(),
    }
}

fn is_secret(obj: &Json) -> bool {
    obj.get("kind").and_then(Json::as_str) == Some("Secret")
}

/// Replaces Secret values by markers; `before` marks values that changed.
pub fn redact(obj: &Json, before: Option<&Json>) -> Json {
    let mut obj = obj.clone();
    if !is_secret(&obj) {
        return obj;
    }
    for section in ["data", "stringData"] {
        let previous = before
            .and_then(|b| b.get(section))
            .and_then(Json::as_object)
            .cloned();
        if let Some(values) = obj.get_mut(section).and_then(Json::as_object_mut) {
            for (key, value) in values.iter_mut() {
                let changed =
                    before.is_some() && previous.as_ref().and_then(|p| p.get(key)) != Some(&*value);
                *value = Json::String(if changed {
                    format!("{REDACTED} (changed)")
                } else {
                    REDACTED.to_string()
                });
            }
        }
    }
    obj
}

fn yaml(obj: Option<&Json>) -> String {
    obj.map(|o| crate::yaml::emit::to_yaml(&Value::from_json(o)))
        .unwrap_or_default()
}

fn header(key: &Key, template: &str) -> String {
    let (_, kind, ns, name) = key;
    let object = if ns.is_empty() {
        format!("{kind} {name}")
    } else {
        format!("{kind} {ns}/{name}")
    };
    if template.is_empty() {
        object
    } else {
        format!("{object} ({template})")
    }
}

/// Diff entries for every object that differs between `before` and
/// `after` (stored manifests), new and changed objects in `after`'s order,
/// then removed ones.
pub fn manifest_diffs(before: &str, after: &str, ns: &str) -> Vec<Json> {
    let old = objects(before, ns);
    let new = objects(after, ns);
    let mut out = Vec::new();
    for (key, template, obj) in &new {
        let prev = old.iter().find(|(k, _, _)| k == key).map(|(_, _, o)| o);
        if prev == Some(obj) {
            continue;
        }
        let h = header(key, template);
        out.push(json!({
            "before": yaml(prev.map(|p| redact(p, None)).as_ref()),
            "after": yaml(Some(&redact(obj, prev))),
            "before_header": h,
            "after_header": h,
        }));
    }
    for (key, template, obj) in &old {
        if new.iter().any(|(k, _, _)| k == key) {
            continue;
        }
        let h = header(key, template);
        out.push(json!({
            "before": yaml(Some(&redact(obj, None))),
            "after": "",
            "before_header": h,
            "after_header": h,
        }));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn per_object_entries_with_secrets_redacted() {
        let before = "---\n# Source: c/templates/cm.yaml\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\ndata:\n  k: one\n---\n# Source: c/templates/s.yaml\napiVersion: v1\nkind: Secret\nmetadata:\n  name: s\nstringData:\n  password: hunter2\n  user: app\n---\n# Source: c/templates/old.yaml\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: old\n";
        let after = "---\n# Source: c/templates/cm.yaml\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\ndata:\n  k: two\n---\n# Source: c/templates/s.yaml\napiVersion: v1\nkind: Secret\nmetadata:\n  name: s\nstringData:\n  password: s3cr3t-new\n  user: app\n";
        let d = manifest_diffs(before, after, "ns");
        assert_eq!(d.len(), 3, "{d:?}");
        assert_eq!(
            d[0]["before_header"],
            "ConfigMap ns/a (c/templates/cm.yaml)"
        );
        assert!(d[0]["after"].as_str().unwrap().contains("k: two"));
        let text = serde_json::to_string(&d).unwrap();
        assert!(
            !text.contains("hunter2") && !text.contains("s3cr3t-new"),
            "{text}"
        );
        assert!(
            d[1]["after"]
                .as_str()
                .unwrap()
                .contains("password: '******** (changed)'")
        );
        assert!(d[1]["after"].as_str().unwrap().contains("user: '********'"));
        assert_eq!(d[2]["after"], "");
        assert!(manifest_diffs(after, after, "ns").is_empty());
    }
}
