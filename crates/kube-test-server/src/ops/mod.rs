//! The verbs: get, list, create, update, patch (JSON, merge, strategic, apply), delete,
//! deletecollection, and namespace finalization, all on [`Store`].
//!
//! Every write, whether from an HTTP request or a simulated controller, runs through the common
//! write path in `write.rs`, so object semantics (uid, resourceVersion, generation, status
//! scoping, managedFields, schema validation, dry-run, no-op detection) hold uniformly.

use serde_json::{Map, Value, json};

use crate::resources::ResourceType;
use crate::selectors::{FieldSelector, LabelSelector};
use crate::store::meta_str;

/// `fieldValidation` query parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldValidation {
    /// Unknown fields fail the request with 400.
    Strict,
    /// Unknown fields are pruned with a `Warning` header (server default).
    Warn,
    /// Unknown fields are pruned silently.
    Ignore,
}

/// Options shared by all writes.
#[derive(Debug, Clone)]
pub struct WriteOpts {
    /// Field manager (from `fieldManager` or the User-Agent).
    pub manager: String,
    /// Whether `fieldManager` was given explicitly (required for apply).
    pub manager_explicit: bool,
    /// `dryRun=All`.
    pub dry_run: bool,
    /// `fieldValidation`.
    pub validation: FieldValidation,
    /// Requested API version.
    pub version: String,
}

impl WriteOpts {
    /// Options for an internal (controller) write.
    pub fn internal(manager: &str, version: &str) -> Self {
        Self {
            manager: manager.to_string(),
            manager_explicit: true,
            dry_run: false,
            validation: FieldValidation::Ignore,
            version: version.to_string(),
        }
    }
}

/// A successful response: HTTP code, body, `Warning` headers.
#[derive(Debug, Clone)]
pub struct Reply {
    /// HTTP status code.
    pub code: u16,
    /// Response body.
    pub body: Value,
    /// Warnings for `Warning: 299 - "..."` headers.
    pub warnings: Vec<String>,
}

/// PATCH content types.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PatchType {
    /// `application/json-patch+json`.
    Json,
    /// `application/merge-patch+json`.
    Merge,
    /// `application/strategic-merge-patch+json`.
    Strategic,
    /// `application/apply-patch+yaml`.
    Apply,
}

/// Parsed list parameters.
#[derive(Debug, Clone, Default)]
pub struct ListQuery {
    /// `labelSelector`.
    pub labels: Option<LabelSelector>,
    /// `fieldSelector`.
    pub fields: Option<FieldSelector>,
    /// `limit`.
    pub limit: Option<usize>,
    /// `continue`.
    pub continue_token: Option<String>,
}

impl ListQuery {
    /// Whether an object passes both selectors.
    pub fn matches(&self, obj: &Value) -> bool {
        self.labels.as_ref().is_none_or(|l| l.matches(obj))
            && self.fields.as_ref().is_none_or(|f| f.matches(obj))
    }
}

/// Parsed DeleteOptions.
#[derive(Debug, Clone, Default)]
pub struct DeleteOpts {
    /// `dryRun=All`.
    pub dry_run: bool,
    /// `propagationPolicy=Orphan`.
    pub orphan: bool,
    /// `preconditions.resourceVersion`.
    pub precondition_rv: Option<String>,
    /// `preconditions.uid`.
    pub precondition_uid: Option<String>,
}

pub(crate) fn set_meta(obj: &mut Value, key: &str, value: Value) {
    if let Some(map) = obj.as_object_mut() {
        let meta = map
            .entry("metadata")
            .or_insert_with(|| Value::Object(Map::new()));
        if !meta.is_object() {
            *meta = Value::Object(Map::new());
        }
        if let Some(m) = meta.as_object_mut() {
            if value.is_null() {
                m.remove(key);
            } else {
                m.insert(key.to_string(), value);
            }
        }
    }
}

pub(crate) fn get_meta(obj: &Value, key: &str) -> Value {
    obj.pointer(&format!("/metadata/{key}"))
        .cloned()
        .unwrap_or(Value::Null)
}

/// The object without metadata and status: what `generation` tracks.
pub(crate) fn spec_part(obj: &Value) -> Value {
    let mut o = obj.clone();
    if let Some(m) = o.as_object_mut() {
        m.remove("metadata");
        m.remove("status");
    }
    o
}

/// Rewrites apiVersion for the requested version (CRDs without conversion webhooks).
pub fn present(rt: &ResourceType, version: &str, obj: &Value) -> Value {
    let mut o = obj.clone();
    if let Some(m) = o.as_object_mut() {
        m.insert("apiVersion".into(), json!(rt.api_version(version)));
        m.insert("kind".into(), json!(rt.kind));
    }
    o
}

/// The version objects are stored in.
pub fn storage_version(rt: &ResourceType) -> &str {
    rt.versions
        .iter()
        .find(|v| v.storage)
        .map(|v| v.name.as_str())
        .unwrap_or_else(|| rt.preferred_version())
}

pub(crate) fn object_name(obj: &Value) -> String {
    meta_str(obj, "name").unwrap_or_default().to_string()
}

#[derive(Clone, Copy, PartialEq)]
pub(crate) enum Managed {
    Update,
    Precomputed,
}

mod delete;
mod read;
mod write;
