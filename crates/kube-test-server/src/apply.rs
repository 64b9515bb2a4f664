//! Server-side apply (`application/apply-patch+yaml`).
//!
//! Implements the ownership rules clients observe: the applied configuration's fields become the
//! manager's `Apply` set; fields another manager owns with a different value are conflicts
//! (409, message shaped like structured-merge-diff's) unless `force=true`, which transfers them;
//! fields the manager applied before and omits now are removed unless someone else owns them.
//! An apply that changes nothing leaves the object, including managedFields times, untouched.

use serde_json::{Map, Value};

use crate::fields::{self, Elem, FieldSet, list_key};
use crate::managed::{self, Entry, scoped_fields};
use crate::status::{ApiError, Cause};
use crate::time::now_rfc3339;

/// One ownership conflict.
#[derive(Debug, Clone, PartialEq)]
pub struct Conflict {
    /// Printed manager identity.
    pub manager: String,
    /// Printed path.
    pub path: String,
}

/// Parameters of one apply request.
#[derive(Debug, Clone)]
pub struct ApplyRequest<'a> {
    /// Field manager (required).
    pub manager: &'a str,
    /// apiVersion of the request.
    pub api_version: &'a str,
    /// Whether `force=true` was given.
    pub force: bool,
    /// `""` or `status`.
    pub subresource: &'a str,
    /// Whether the resource has a status subresource.
    pub status_enabled: bool,
}

/// Merges `applied` into `live` under SSA ownership rules, returning the new object.
pub fn apply(
    live: &Value,
    applied: &Value,
    req: &ApplyRequest<'_>,
) -> Result<Value, Vec<Conflict>> {
    let mut entries = managed::read(live);
    let set = scoped_fields(applied, req.subresource, req.status_enabled);
    let mine = |e: &Entry| {
        e.manager == req.manager && e.operation == "Apply" && e.subresource == req.subresource
    };
    let previous: FieldSet = entries
        .iter()
        .find(|e| mine(e))
        .map(|e| e.fields.clone())
        .unwrap_or_default();

    let mut conflicts = Vec::new();
    for path in &set {
        if matches!(path.last(), Some(Elem::Key(_))) {
            continue;
        }
        let live_value = fields::get(live, path);
        if live_value.is_none() || live_value == fields::get(applied, path) {
            continue;
        }
        for e in entries
            .iter()
            .filter(|e| !mine(e) && e.fields.contains(path))
        {
            conflicts.push((e.display(), path.clone()));
        }
    }
    if !conflicts.is_empty() && !req.force {
        return Err(conflicts
            .into_iter()
            .map(|(manager, p)| Conflict {
                manager,
                path: fields::display(&p),
            })
            .collect());
    }
    if req.force {
        for e in entries.iter_mut().filter(|e| !mine(e)) {
            e.fields.retain(|p| !set.contains(p));
        }
    }

    let mut result = live.clone();
    let mut removed: Vec<&fields::Path> = previous
        .iter()
        .filter(|p| !set.contains(*p))
        .filter(|p| !entries.iter().any(|e| !mine(e) && e.fields.contains(*p)))
        .collect();
    removed.sort_by_key(|p| std::cmp::Reverse(p.len()));
    for p in removed {
        fields::remove(&mut result, p);
        prune_empty_parents(&mut result, p);
    }

    let mut scoped = applied.clone();
    if let Some(map) = scoped.as_object_mut() {
        if req.subresource == "status" {
            map.retain(|k, _| k == "status");
        } else if req.status_enabled {
            map.remove("status");
        }
    }
    deep_merge(&mut result, &scoped);

    if previous != set || !entries.iter().any(&mine) {
        entries.retain(|e| !mine(e));
        if !set.is_empty() {
            entries.insert(
                0,
                Entry {
                    manager: req.manager.to_string(),
                    operation: "Apply".into(),
                    api_version: req.api_version.to_string(),
                    time: now_rfc3339(),
                    subresource: req.subresource.to_string(),
                    fields: set,
                },
            );
        }
    }
    entries.retain(|e| !e.fields.is_empty());
    managed::write(&mut result, &entries);
    Ok(result)
}

/// After removing `path`, drops now-empty parent maps below the top level.
fn prune_empty_parents(obj: &mut Value, path: &[Elem]) {
    let mut depth = path.len();
    while depth > 2 {
        depth -= 1;
        let parent = path.get(..depth).unwrap_or_default();
        let empty = fields::get(obj, parent)
            .and_then(Value::as_object)
            .is_some_and(Map::is_empty);
        if !empty || !fields::remove(obj, parent) {
            break;
        }
    }
}

/// Merges an applied configuration into an object: maps recursively, associative lists by key,
/// everything else replaced. `null` removes a field.
pub fn deep_merge(target: &mut Value, applied: &Value) {
    match (target, applied) {
        (Value::Object(t), Value::Object(a)) => {
            for (k, v) in a {
                if v.is_null() {
                    t.remove(k);
                    continue;
                }
                match t.get_mut(k) {
                    Some(slot) => deep_merge(slot, v),
                    None => {
                        t.insert(k.clone(), v.clone());
                    }
                }
            }
        }
        (Value::Array(t), Value::Array(a)) => match list_key(a) {
            Some(key) if list_key(t).is_some() || t.is_empty() => {
                for item in a {
                    let id = item.get(key);
                    match t.iter_mut().find(|x| x.get(key) == id) {
                        Some(slot) => deep_merge(slot, item),
                        None => t.push(item.clone()),
                    }
                }
            }
            _ => *t = a.clone(),
        },
        (t, a) => *t = a.clone(),
    }
}

/// Renders conflicts as kube-apiserver's 409 `Status`.
pub fn conflict_error(group: &str, resource: &str, name: &str, conflicts: &[Conflict]) -> ApiError {
    let message = if let [only] = conflicts {
        format!(
            "Apply failed with 1 conflict: conflict with {}: {}",
            only.manager, only.path
        )
    } else {
        let mut managers: Vec<&str> = conflicts.iter().map(|c| c.manager.as_str()).collect();
        managers.sort_unstable();
        managers.dedup();
        let mut lines = Vec::new();
        for m in managers {
            lines.push(format!("conflicts with {m}:"));
            for c in conflicts.iter().filter(|c| c.manager == m) {
                lines.push(format!("- {}", c.path));
            }
        }
        format!(
            "Apply failed with {} conflicts: {}",
            conflicts.len(),
            lines.join("\n")
        )
    };
    let causes = conflicts
        .iter()
        .map(|c| Cause {
            reason: "FieldManagerConflict".into(),
            message: format!("conflict with {}", c.manager),
            field: c.path.clone(),
        })
        .collect();
    ApiError::new(409, "Conflict", message)
        .with_details(group, resource, name)
        .with_causes(causes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn req<'a>(manager: &'a str, force: bool) -> ApplyRequest<'a> {
        ApplyRequest {
            manager,
            api_version: "v1",
            force,
            subresource: "",
            status_enabled: false,
        }
    }

    #[test]
    fn ownership_conflicts_force_and_removal() {
        let base = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}});
        let a1 = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"x": "1", "y": "2"}});
        let live = apply(&base, &a1, &req("alice", false)).unwrap_or_default();
        assert_eq!(live.pointer("/data/y"), Some(&json!("2")));
        // Re-applying the same config is a no-op, byte for byte.
        assert_eq!(
            apply(&live, &a1, &req("alice", false)).ok(),
            Some(live.clone())
        );
        // Bob changing x conflicts with alice.
        let b = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"x": "9"}});
        let err = apply(&live, &b, &req("bob", false))
            .err()
            .unwrap_or_default();
        assert_eq!(
            err,
            vec![Conflict {
                manager: "\"alice\"".into(),
                path: ".data.x".into()
            }]
        );
        let forced = apply(&live, &b, &req("bob", true)).unwrap_or_default();
        assert_eq!(forced.pointer("/data/x"), Some(&json!("9")));
        // Alice drops y: it is removed; x now belongs to bob and stays.
        let a2 =
            json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {}});
        let after = apply(&forced, &a2, &req("alice", false)).unwrap_or_default();
        assert_eq!(after.get("data"), Some(&json!({"x": "9"})));
    }

    #[test]
    fn conflict_message_shape() {
        let one = conflict_error(
            "",
            "configmaps",
            "c",
            &[Conflict {
                manager: "\"m\" using v1".into(),
                path: ".data.k".into(),
            }],
        );
        assert_eq!(
            one.message,
            "Apply failed with 1 conflict: conflict with \"m\" using v1: .data.k"
        );
        assert_eq!(one.code, 409);
    }
}
