//! Field sets for server-side apply: paths, `fieldsV1` encoding and value lookup.
//!
//! kube-apiserver tracks field ownership with structured-merge-diff. This module models the part
//! clients can observe: a set of paths per manager, serialised as `fieldsV1`, and paths printed
//! as in conflict messages (`.spec.containers[name="app"].image`). Lists of objects that carry a
//! merge key (`name`, `containerPort`, `port`, `type`, `mountPath`) are associative; other lists
//! are atomic, as in the real schemas for the kinds stackbook manages. A CRD version's `schema`
//! is owned as a whole (see [`fields_of`]).

use std::collections::BTreeSet;
use std::fmt::Write as _;

use serde_json::{Map, Value};

/// One step of a field path.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Elem {
    /// A map key (`f:name`).
    Field(String),
    /// An associative-list element, identified by its key fields as canonical JSON (`k:{...}`).
    Key(String),
}

/// A path from the object root.
pub type Path = Vec<Elem>;

/// A set of owned paths.
pub type FieldSet = BTreeSet<Path>;

/// Top-level and metadata fields the server owns; never part of a manager's set.
fn ignored(path: &[Elem]) -> bool {
    match path {
        [Elem::Field(top)] if top == "apiVersion" || top == "kind" => true,
        [Elem::Field(m), Elem::Field(f), ..] if m == "metadata" => matches!(
            f.as_str(),
            "name"
                | "namespace"
                | "uid"
                | "resourceVersion"
                | "generation"
                | "creationTimestamp"
                | "deletionTimestamp"
                | "deletionGracePeriodSeconds"
                | "managedFields"
                | "selfLink"
                | "generateName"
        ),
        _ => false,
    }
}

/// The merge key of a list, if its elements are objects that all carry one.
pub fn list_key(items: &[Value]) -> Option<&'static str> {
    const KEYS: &[&str] = &["name", "containerPort", "port", "mountPath", "type", "ip"];
    if items.is_empty() {
        return None;
    }
    KEYS.iter().copied().find(|k| {
        items.iter().all(|i| {
            i.as_object()
                .is_some_and(|o| o.get(*k).is_some_and(|v| !v.is_null()))
        })
    })
}

/// The `k:` identity of a list element under `key`.
pub fn key_of(item: &Value, key: &str) -> Option<String> {
    let v = item.get(key)?;
    let mut m = Map::new();
    m.insert(key.to_string(), v.clone());
    serde_json::to_string(&Value::Object(m)).ok()
}

/// All leaf paths (plus associative-list element paths) of `value`, minus server-owned fields;
/// CRD version schemas count as one leaf.
pub fn fields_of(value: &Value) -> FieldSet {
    let mut out = FieldSet::new();
    let mut path = Vec::new();
    collect(value, &mut path, &mut out);
    out
}

/// Subtrees tracked as one field. A CRD's `openAPIV3Schema` can hold tens of thousands of
/// leaves (the PGO schema does); owning it as a unit keeps apply fast, at the price of conflicts
/// naming `.schema` instead of the exact schema field.
fn atomic(path: &[Elem]) -> bool {
    matches!(path, [Elem::Field(spec), Elem::Field(versions), Elem::Key(_), Elem::Field(schema)]
        if spec == "spec" && versions == "versions" && schema == "schema")
}

fn collect(value: &Value, path: &mut Path, out: &mut FieldSet) {
    if ignored(path) {
        return;
    }
    if atomic(path) {
        out.insert(path.clone());
        return;
    }
    match value {
        Value::Object(map) if !map.is_empty() => {
            for (k, v) in map {
                path.push(Elem::Field(k.clone()));
                collect(v, path, out);
                path.pop();
            }
        }
        Value::Array(items) if !path.is_empty() => {
            if let Some(key) = list_key(items) {
                for item in items {
                    if let Some(k) = key_of(item, key) {
                        path.push(Elem::Key(k));
                        out.insert(path.clone());
                        collect(item, path, out);
                        path.pop();
                    }
                }
            } else {
                out.insert(path.clone());
            }
        }
        _ => {
            if !path.is_empty() {
                out.insert(path.clone());
            }
        }
    }
}

/// The value at `path`, if present.
pub fn get<'a>(value: &'a Value, path: &[Elem]) -> Option<&'a Value> {
    let mut cur = value;
    for elem in path {
        cur = match elem {
            Elem::Field(f) => cur.get(f)?,
            Elem::Key(k) => find_keyed(cur.as_array()?, k)?,
        };
    }
    Some(cur)
}

fn find_keyed<'a>(items: &'a [Value], key: &str) -> Option<&'a Value> {
    let want: Map<String, Value> = serde_json::from_str(key).ok()?;
    items
        .iter()
        .find(|i| want.iter().all(|(k, v)| i.get(k) == Some(v)))
}

/// Removes the value at `path`; returns whether something was removed.
pub fn remove(value: &mut Value, path: &[Elem]) -> bool {
    let Some((last, parent_path)) = path.split_last() else {
        return false;
    };
    let mut cur = value;
    for elem in parent_path {
        let next = match elem {
            Elem::Field(f) => cur.get_mut(f),
            Elem::Key(k) => {
                let Ok(want) = serde_json::from_str::<Map<String, Value>>(k) else {
                    return false;
                };
                cur.as_array_mut().and_then(|a| {
                    a.iter_mut()
                        .find(|i| want.iter().all(|(k, v)| i.get(k) == Some(v)))
                })
            }
        };
        match next {
            Some(n) => cur = n,
            None => return false,
        }
    }
    match last {
        Elem::Field(f) => cur.as_object_mut().is_some_and(|m| m.remove(f).is_some()),
        Elem::Key(k) => {
            let Ok(want) = serde_json::from_str::<Map<String, Value>>(k) else {
                return false;
            };
            match cur.as_array_mut() {
                Some(a) => {
                    let before = a.len();
                    a.retain(|i| !want.iter().all(|(k, v)| i.get(k) == Some(v)));
                    a.len() != before
                }
                None => false,
            }
        }
    }
}

/// Prints a path the way structured-merge-diff does in conflict messages.
pub fn display(path: &[Elem]) -> String {
    let mut s = String::new();
    for elem in path {
        match elem {
            Elem::Field(f) => {
                let _ = write!(s, ".{f}");
            }
            Elem::Key(k) => {
                let parts: Vec<String> = serde_json::from_str::<Map<String, Value>>(k)
                    .map(|m| m.iter().map(|(k, v)| format!("{k}={v}")).collect())
                    .unwrap_or_default();
                let _ = write!(s, "[{}]", parts.join(","));
            }
        }
    }
    s
}

/// Encodes a set as a `fieldsV1` object.
pub fn encode(set: &FieldSet) -> Value {
    let mut root = Map::new();
    for path in set {
        let mut cur = &mut root;
        for (i, elem) in path.iter().enumerate() {
            let key = match elem {
                Elem::Field(f) => format!("f:{f}"),
                Elem::Key(k) => format!("k:{k}"),
            };
            let entry = cur.entry(key).or_insert_with(|| Value::Object(Map::new()));
            let Value::Object(child) = entry else { break };
            if i + 1 == path.len() && matches!(elem, Elem::Key(_)) {
                child.insert(".".into(), Value::Object(Map::new()));
            }
            cur = child;
        }
    }
    Value::Object(root)
}

/// Decodes a `fieldsV1` object back into a set (unknown encodings are skipped).
pub fn decode(fields: &Value) -> FieldSet {
    let mut out = FieldSet::new();
    let mut path = Vec::new();
    if let Some(map) = fields.as_object() {
        decode_into(map, &mut path, &mut out);
    }
    out
}

fn decode_into(map: &Map<String, Value>, path: &mut Path, out: &mut FieldSet) {
    for (k, v) in map {
        if k == "." {
            out.insert(path.clone());
            continue;
        }
        let elem = if let Some(f) = k.strip_prefix("f:") {
            Elem::Field(f.to_string())
        } else if let Some(key) = k.strip_prefix("k:") {
            Elem::Key(key.to_string())
        } else {
            continue;
        };
        path.push(elem);
        match v.as_object() {
            Some(child) if !child.is_empty() => decode_into(child, path, out),
            _ => {
                out.insert(path.clone());
            }
        }
        path.pop();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn roundtrips_and_displays() {
        let obj = json!({
            "apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": "p", "labels": {"app": "x"}},
            "spec": {"containers": [{"name": "c", "image": "i"}], "args": ["a"]}
        });
        let set = fields_of(&obj);
        assert_eq!(decode(&encode(&set)), set);
        let shown: Vec<String> = set.iter().map(|p| display(p)).collect();
        assert_eq!(
            shown,
            vec![
                ".metadata.labels.app",
                ".spec.args",
                ".spec.containers[name=\"c\"]",
                ".spec.containers[name=\"c\"].image",
                ".spec.containers[name=\"c\"].name",
            ]
        );
        let crd = json!({"spec": {"versions": [{"name": "v1", "schema": {"openAPIV3Schema": {"type": "object", "properties": {"a": {"type": "string"}}}}}]}});
        let crd_paths: Vec<String> = fields_of(&crd).iter().map(|p| display(p)).collect();
        assert_eq!(
            crd_paths,
            [
                ".spec.versions[name=\"v1\"]",
                ".spec.versions[name=\"v1\"].name",
                ".spec.versions[name=\"v1\"].schema"
            ]
        );
        let mut o = obj.clone();
        let key = Elem::Key("{\"name\":\"c\"}".into());
        assert!(remove(
            &mut o,
            &[
                Elem::Field("spec".into()),
                Elem::Field("containers".into()),
                key
            ]
        ));
        assert_eq!(o.pointer("/spec/containers"), Some(&json!([])));
    }
}
