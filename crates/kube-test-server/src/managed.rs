//! `metadata.managedFields`: reading, writing and the ownership bookkeeping of non-apply writes.
//!
//! Create, update and non-apply patches hand the fields they change to the request's field
//! manager (operation `Update`), taking them away from other managers; fields that disappear
//! leave every set. Entries whose set did not change keep their timestamp, so a no-op write
//! leaves the object byte-identical and does not bump `resourceVersion`.

use serde_json::{Map, Value, json};

use crate::fields::{self, Elem, FieldSet, Path};
use crate::time::now_rfc3339;

/// One `managedFields` entry.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    /// Field manager name.
    pub manager: String,
    /// `Apply` or `Update`.
    pub operation: String,
    /// apiVersion the manager used.
    pub api_version: String,
    /// RFC 3339 time of the last change to this entry.
    pub time: String,
    /// `""` or `status`.
    pub subresource: String,
    /// Owned paths.
    pub fields: FieldSet,
}

impl Entry {
    /// The manager identity printed in conflict messages, as structured-merge-diff prints it.
    pub fn display(&self) -> String {
        let mut s = format!("{:?}", self.manager);
        if !self.subresource.is_empty() {
            s = format!("{s} with subresource {:?}", self.subresource);
        }
        if self.operation == "Update" {
            s = format!("{s} using {}", self.api_version);
        }
        s
    }

    fn same_identity(&self, manager: &str, operation: &str, subresource: &str) -> bool {
        self.manager == manager && self.operation == operation && self.subresource == subresource
    }
}

/// Reads the entries of an object (malformed entries are skipped).
pub fn read(obj: &Value) -> Vec<Entry> {
    obj.pointer("/metadata/managedFields")
        .and_then(Value::as_array)
        .map(|list| {
            list.iter()
                .filter_map(|e| {
                    Some(Entry {
                        manager: e.get("manager")?.as_str()?.to_string(),
                        operation: e.get("operation")?.as_str()?.to_string(),
                        api_version: e
                            .get("apiVersion")
                            .and_then(Value::as_str)
                            .unwrap_or_default()
                            .to_string(),
                        time: e
                            .get("time")
                            .and_then(Value::as_str)
                            .unwrap_or_default()
                            .to_string(),
                        subresource: e
                            .get("subresource")
                            .and_then(Value::as_str)
                            .unwrap_or_default()
                            .to_string(),
                        fields: e.get("fieldsV1").map(fields::decode).unwrap_or_default(),
                    })
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Writes entries into `metadata.managedFields` (removing the key when empty).
pub fn write(obj: &mut Value, entries: &[Entry]) {
    let list: Vec<Value> = entries
        .iter()
        .filter(|e| !e.fields.is_empty())
        .map(|e| {
            let mut m = Map::new();
            m.insert("manager".into(), json!(e.manager));
            m.insert("operation".into(), json!(e.operation));
            m.insert("apiVersion".into(), json!(e.api_version));
            m.insert("time".into(), json!(e.time));
            m.insert("fieldsType".into(), json!("FieldsV1"));
            m.insert("fieldsV1".into(), fields::encode(&e.fields));
            if !e.subresource.is_empty() {
                m.insert("subresource".into(), json!(e.subresource));
            }
            Value::Object(m)
        })
        .collect();
    if let Some(meta) = obj.get_mut("metadata").and_then(Value::as_object_mut) {
        if list.is_empty() {
            meta.remove("managedFields");
        } else {
            meta.insert("managedFields".into(), Value::Array(list));
        }
    }
}

/// Whether `path` belongs to the write scope (main resource vs `/status`).
pub fn in_scope(path: &Path, subresource: &str, status_enabled: bool) -> bool {
    let is_status = matches!(path.first(), Some(Elem::Field(f)) if f == "status");
    if subresource == "status" {
        is_status
    } else {
        !(status_enabled && is_status)
    }
}

/// The in-scope field set of an object.
pub fn scoped_fields(obj: &Value, subresource: &str, status_enabled: bool) -> FieldSet {
    fields::fields_of(obj)
        .into_iter()
        .filter(|p| in_scope(p, subresource, status_enabled))
        .collect()
}

/// Records a non-apply write by `manager` turning `old` into `new`.
pub fn record_update(
    entries: &mut Vec<Entry>,
    old: Option<&Value>,
    new: &Value,
    manager: &str,
    api_version: &str,
    subresource: &str,
    status_enabled: bool,
) {
    let all_new = fields::fields_of(new);
    for e in entries.iter_mut() {
        e.fields.retain(|p| all_new.contains(p));
    }
    let changed: FieldSet = scoped_fields(new, subresource, status_enabled)
        .into_iter()
        .filter(|p| {
            let now = fields::get(new, p);
            let before = old.and_then(|o| fields::get(o, p));
            match p.last() {
                Some(Elem::Key(_)) => before.is_none(),
                _ => before != now,
            }
        })
        .collect();
    if changed.is_empty() {
        entries.retain(|e| !e.fields.is_empty());
        return;
    }
    for e in entries.iter_mut() {
        if !e.same_identity(manager, "Update", subresource) {
            e.fields.retain(|p| !changed.contains(p));
        }
    }
    let now = now_rfc3339();
    match entries
        .iter_mut()
        .find(|e| e.same_identity(manager, "Update", subresource))
    {
        Some(e) => {
            e.fields.extend(changed);
            e.time = now;
            e.api_version = api_version.to_string();
        }
        None => entries.push(Entry {
            manager: manager.to_string(),
            operation: "Update".into(),
            api_version: api_version.to_string(),
            time: now,
            subresource: subresource.to_string(),
            fields: changed,
        }),
    }
    entries.retain(|e| !e.fields.is_empty());
}
