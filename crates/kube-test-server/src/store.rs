//! The object store: objects keyed by resource/namespace/name, one global `resourceVersion`
//! counter, and the complete event history watches replay from.
//!
//! Everything lives behind one mutex in [`crate::state::State`]; operations here are synchronous
//! and short, so a write and the event it produces are always ordered consistently.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::Value;

use crate::resources::Registry;

/// Watch event type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventType {
    /// Object created.
    Added,
    /// Object changed.
    Modified,
    /// Object removed.
    Deleted,
}

impl EventType {
    /// Wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            EventType::Added => "ADDED",
            EventType::Modified => "MODIFIED",
            EventType::Deleted => "DELETED",
        }
    }
}

/// One change, as delivered to watches and simulated controllers.
#[derive(Debug, Clone)]
pub struct Event {
    /// resourceVersion of the change.
    pub rv: u64,
    /// API group of the object.
    pub group: String,
    /// Resource plural.
    pub plural: String,
    /// Event type.
    pub kind: EventType,
    /// Object as of the change (for deletes: the last state, with the deletion's RV).
    pub object: Arc<Value>,
    /// For MODIFIED: the object before the change (selector watches turn transitions into
    /// ADDED/DELETED, as the real watch cache does).
    pub previous: Option<Arc<Value>>,
}

/// Namespace + name (`""` namespace for cluster-scoped objects).
pub type ObjKey = (String, String);

/// All stored state.
#[derive(Debug, Default)]
pub struct Store {
    /// Last issued resourceVersion.
    pub rv: u64,
    /// Servable types.
    pub registry: Registry,
    objects: BTreeMap<(String, String), BTreeMap<ObjKey, Value>>,
    /// Every event since start, oldest first.
    pub history: Vec<Event>,
    /// Events produced by the current operation, not yet broadcast.
    pub pending: Vec<Event>,
}

/// Reads `metadata.<field>` as a string.
pub fn meta_str<'a>(obj: &'a Value, field: &str) -> Option<&'a str> {
    obj.get("metadata")?.get(field)?.as_str()
}

impl Store {
    /// The stored object, if any.
    pub fn get(&self, group: &str, plural: &str, ns: &str, name: &str) -> Option<&Value> {
        self.objects
            .get(&(group.to_string(), plural.to_string()))?
            .get(&(ns.to_string(), name.to_string()))
    }

    /// Objects of a resource, optionally in one namespace, ordered by namespace then name.
    pub fn list(&self, group: &str, plural: &str, ns: Option<&str>) -> Vec<&Value> {
        self.objects
            .get(&(group.to_string(), plural.to_string()))
            .map(|m| {
                m.iter()
                    .filter(|((o_ns, _), _)| ns.is_none_or(|n| n == o_ns))
                    .map(|(_, v)| v)
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Every stored object with its group and plural.
    pub fn all_objects(&self) -> Vec<(String, String, &Value)> {
        self.objects
            .iter()
            .flat_map(|((g, p), m)| m.values().map(move |v| (g.clone(), p.clone(), v)))
            .collect()
    }

    /// Stores an object under a fresh resourceVersion and records the event.
    pub fn put(&mut self, group: &str, plural: &str, mut obj: Value) -> Value {
        self.rv += 1;
        let rv = self.rv;
        if let Some(meta) = obj.get_mut("metadata").and_then(Value::as_object_mut) {
            meta.insert("resourceVersion".into(), Value::String(rv.to_string()));
        }
        let ns = meta_str(&obj, "namespace").unwrap_or_default().to_string();
        let name = meta_str(&obj, "name").unwrap_or_default().to_string();
        let bucket = self
            .objects
            .entry((group.to_string(), plural.to_string()))
            .or_default();
        let previous = bucket.insert((ns, name), obj.clone()).map(Arc::new);
        let kind = if previous.is_some() {
            EventType::Modified
        } else {
            EventType::Added
        };
        self.record(group, plural, kind, obj.clone(), previous);
        obj
    }

    /// Removes an object, recording a DELETED event with a fresh resourceVersion.
    pub fn remove(&mut self, group: &str, plural: &str, ns: &str, name: &str) -> Option<Value> {
        let mut obj = self
            .objects
            .get_mut(&(group.to_string(), plural.to_string()))?
            .remove(&(ns.to_string(), name.to_string()))?;
        self.rv += 1;
        if let Some(meta) = obj.get_mut("metadata").and_then(Value::as_object_mut) {
            meta.insert("resourceVersion".into(), Value::String(self.rv.to_string()));
        }
        self.record(group, plural, EventType::Deleted, obj.clone(), None);
        Some(obj)
    }

    fn record(
        &mut self,
        group: &str,
        plural: &str,
        kind: EventType,
        obj: Value,
        previous: Option<Arc<Value>>,
    ) {
        let event = Event {
            rv: self.rv,
            group: group.to_string(),
            plural: plural.to_string(),
            kind,
            object: Arc::new(obj),
            previous,
        };
        self.history.push(event.clone());
        self.pending.push(event);
    }
}
