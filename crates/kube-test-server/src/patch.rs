//! PATCH bodies: JSON patch (RFC 6902), merge patch (RFC 7386) and a practical subset of
//! Kubernetes strategic merge patch.
//!
//! Strategic merge covers what kubectl and kubernetes.core send for the kinds stackbook manages:
//! maps merge, `null` deletes, lists of objects with a merge key (`name`, `containerPort`, `port`,
//! `mountPath`, `type`, `ip`) merge element-wise, `$patch: delete|replace`,
//! `$deleteFromPrimitiveList/<field>` and `$setElementOrder/<field>` directives; other lists are
//! replaced. Custom resources reject strategic merge with 415, as the real server does.

use serde_json::{Map, Value};

use crate::fields::list_key;

/// Why a patch could not be applied.
#[derive(Debug, thiserror::Error)]
pub enum PatchError {
    /// The body is not valid JSON/YAML of the expected shape.
    #[error("the body of the request was invalid: {0}")]
    Body(String),
    /// A JSON patch operation failed.
    #[error("the server rejected our request due to an error in our request: {0}")]
    JsonPatch(String),
}

/// Applies an RFC 6902 JSON patch.
pub fn json_patch(target: &Value, body: &Value) -> Result<Value, PatchError> {
    let patch: json_patch::Patch =
        serde_json::from_value(body.clone()).map_err(|e| PatchError::Body(e.to_string()))?;
    let mut out = target.clone();
    json_patch::patch(&mut out, &patch).map_err(|e| PatchError::JsonPatch(e.to_string()))?;
    Ok(out)
}

/// Applies an RFC 7386 merge patch.
pub fn merge_patch(target: &Value, body: &Value) -> Result<Value, PatchError> {
    if !body.is_object() {
        return Err(PatchError::Body("merge patch must be a JSON object".into()));
    }
    let mut out = target.clone();
    json_patch::merge(&mut out, body);
    Ok(out)
}

/// Applies a strategic merge patch (practical subset, see module docs).
pub fn strategic_merge(target: &Value, body: &Value) -> Result<Value, PatchError> {
    let Value::Object(patch) = body else {
        return Err(PatchError::Body(
            "strategic merge patch must be a JSON object".into(),
        ));
    };
    let mut out = target.clone();
    if !out.is_object() {
        out = Value::Object(Map::new());
    }
    merge_map(&mut out, patch);
    Ok(out)
}

fn merge_map(target: &mut Value, patch: &Map<String, Value>) {
    if patch.get("$patch").and_then(Value::as_str) == Some("replace") {
        let mut replaced = patch.clone();
        replaced.remove("$patch");
        *target = Value::Object(replaced);
        return;
    }
    if !target.is_object() {
        *target = Value::Object(Map::new());
    }
    let Value::Object(tmap) = target else { return };
    for (k, v) in patch {
        if k == "$patch" || k == "$retainKeys" || k.starts_with("$setElementOrder/") {
            continue;
        }
        if let Some(field) = k.strip_prefix("$deleteFromPrimitiveList/") {
            if let (Some(Value::Array(list)), Some(remove)) = (tmap.get_mut(field), v.as_array()) {
                list.retain(|x| !remove.contains(x));
            }
            continue;
        }
        match v {
            Value::Null => {
                tmap.remove(k);
            }
            Value::Object(pm) => {
                if pm.get("$patch").and_then(Value::as_str) == Some("delete") {
                    tmap.remove(k);
                    continue;
                }
                let slot = tmap.entry(k.clone()).or_insert(Value::Null);
                merge_map(slot, pm);
            }
            Value::Array(items) => {
                let merged = match tmap.get(k) {
                    Some(Value::Array(existing)) => merge_list(existing, items),
                    _ => items
                        .iter()
                        .filter(|i| i.get("$patch").is_none())
                        .cloned()
                        .collect(),
                };
                tmap.insert(k.clone(), Value::Array(merged));
            }
            other => {
                tmap.insert(k.clone(), other.clone());
            }
        }
    }
}

fn merge_list(existing: &[Value], patch: &[Value]) -> Vec<Value> {
    let plain: Vec<Value> = patch
        .iter()
        .filter(|i| i.get("$patch").is_none())
        .cloned()
        .collect();
    let Some(key) = list_key(patch).or_else(|| list_key(existing)) else {
        return plain;
    };
    if patch
        .iter()
        .any(|i| i.get("$patch").and_then(Value::as_str) == Some("replace"))
    {
        return plain;
    }
    let mut out = existing.to_vec();
    for item in patch {
        let Some(id) = item.get(key) else { continue };
        let pos = out.iter().position(|e| e.get(key) == Some(id));
        let delete = item.get("$patch").and_then(Value::as_str) == Some("delete");
        match (pos, delete) {
            (Some(p), true) => {
                out.remove(p);
            }
            (None, true) => {}
            (Some(p), false) => {
                if let (Some(slot), Value::Object(pm)) = (out.get_mut(p), item) {
                    merge_map(slot, pm);
                }
            }
            (None, false) => out.push(item.clone()),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn strategic_merges_containers_by_name() {
        let live = json!({"spec": {"containers": [
            {"name": "a", "image": "a:1", "env": [{"name": "X", "value": "1"}]},
            {"name": "b", "image": "b:1"}
        ], "args": ["x"]}});
        let patch = json!({"spec": {"containers": [
            {"name": "a", "env": [{"name": "Y", "value": "2"}]},
            {"name": "b", "$patch": "delete"},
            {"name": "c", "image": "c:1"}
        ], "args": ["y"], "$setElementOrder/containers": [{"name": "a"}]}});
        let out = strategic_merge(&live, &patch).ok();
        assert_eq!(
            out,
            Some(json!({"spec": {"containers": [
                {"name": "a", "image": "a:1", "env": [{"name": "X", "value": "1"}, {"name": "Y", "value": "2"}]},
                {"name": "c", "image": "c:1"}
            ], "args": ["y"]}}))
        );
    }

    #[test]
    fn json_and_merge_patch() {
        let live = json!({"a": {"b": 1, "c": 2}});
        let merged = merge_patch(&live, &json!({"a": {"b": null, "d": 3}})).ok();
        assert_eq!(merged, Some(json!({"a": {"c": 2, "d": 3}})));
        let jp = json_patch(
            &live,
            &json!([{"op": "replace", "path": "/a/b", "value": 5}]),
        )
        .ok();
        assert_eq!(jp, Some(json!({"a": {"b": 5, "c": 2}})));
        assert!(json_patch(&live, &json!([{"op": "remove", "path": "/zz"}])).is_err());
    }
}
