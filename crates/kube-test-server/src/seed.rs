//! Direct access for tests: seeding objects from YAML manifests and reading stored objects
//! without going through HTTP. Seeding uses server-side apply with the field manager
//! `kube-test-server`, so later client applies see realistic ownership.

use serde_json::Value;

use crate::ops::{PatchType, WriteOpts, present, storage_version};
use crate::state::State;
use crate::store::meta_str;

/// Why a manifest could not be seeded.
#[derive(Debug, thiserror::Error)]
pub enum SeedError {
    /// The YAML stream did not parse.
    #[error("manifest document {index}: invalid YAML: {message}")]
    Yaml {
        /// 0-based document index.
        index: usize,
        /// Parser message.
        message: String,
    },
    /// A document lacks apiVersion, kind or metadata.name.
    #[error("manifest document {index}: missing {field}")]
    Missing {
        /// 0-based document index.
        index: usize,
        /// The missing field.
        field: &'static str,
    },
    /// No served resource has this apiVersion/kind.
    #[error("manifest document {index}: no resource serves {api_version} {kind}")]
    UnknownKind {
        /// 0-based document index.
        index: usize,
        /// apiVersion.
        api_version: String,
        /// kind.
        kind: String,
    },
    /// The API rejected the object.
    #[error("manifest document {index} ({kind}/{name}): {status}")]
    Rejected {
        /// 0-based document index.
        index: usize,
        /// kind.
        kind: String,
        /// name.
        name: String,
        /// The API error (code, reason, message).
        status: String,
    },
}

fn split_api_version(av: &str) -> (&str, &str) {
    av.split_once('/').unwrap_or(("", av))
}

/// Applies every document of a YAML stream; returns `kind/name` for each.
pub fn apply_manifests(state: &State, yaml: &str) -> Result<Vec<String>, SeedError> {
    let mut applied = Vec::new();
    for (index, doc) in serde_yaml::Deserializer::from_str(yaml).enumerate() {
        let value: Value = serde::Deserialize::deserialize(doc).map_err(|e| SeedError::Yaml {
            index,
            message: e.to_string(),
        })?;
        if value.is_null() {
            continue;
        }
        let api_version =
            value
                .get("apiVersion")
                .and_then(Value::as_str)
                .ok_or(SeedError::Missing {
                    index,
                    field: "apiVersion",
                })?;
        let kind = value
            .get("kind")
            .and_then(Value::as_str)
            .ok_or(SeedError::Missing {
                index,
                field: "kind",
            })?;
        let name = meta_str(&value, "name").ok_or(SeedError::Missing {
            index,
            field: "metadata.name",
        })?;
        let (group, version) = split_api_version(api_version);
        let mut store = state.lock();
        let rt = store
            .registry
            .by_kind(group, kind)
            .filter(|t| t.version(version).is_some())
            .cloned()
            .ok_or_else(|| SeedError::UnknownKind {
                index,
                api_version: api_version.to_string(),
                kind: kind.to_string(),
            })?;
        let ns = if rt.namespaced {
            meta_str(&value, "namespace")
                .unwrap_or("default")
                .to_string()
        } else {
            String::new()
        };
        let opts = WriteOpts::internal("kube-test-server", version);
        let body = serde_json::to_vec(&value).unwrap_or_default();
        store
            .op_patch(&rt, &ns, name, PatchType::Apply, &body, &opts, "", true)
            .map_err(|e| SeedError::Rejected {
                index,
                kind: kind.to_string(),
                name: name.to_string(),
                status: e.to_string(),
            })?;
        applied.push(format!("{kind}/{name}"));
    }
    Ok(applied)
}

/// Reads one stored object as `api_version` would present it.
pub fn get(
    state: &State,
    api_version: &str,
    kind: &str,
    ns: Option<&str>,
    name: &str,
) -> Option<Value> {
    let (group, version) = split_api_version(api_version);
    let store = state.lock();
    let rt = store.registry.by_kind(group, kind)?.clone();
    let obj = store.get(group, &rt.plural, ns.unwrap_or_default(), name)?;
    let version = if rt.version(version).is_some() {
        version
    } else {
        storage_version(&rt)
    };
    Some(present(&rt, version, obj))
}

/// Lists stored objects of a kind (all namespaces when `ns` is `None`).
pub fn list(state: &State, api_version: &str, kind: &str, ns: Option<&str>) -> Vec<Value> {
    let (group, version) = split_api_version(api_version);
    let store = state.lock();
    let Some(rt) = store.registry.by_kind(group, kind).cloned() else {
        return Vec::new();
    };
    let version = if rt.version(version).is_some() {
        version
    } else {
        storage_version(&rt)
    };
    store
        .list(group, &rt.plural, ns)
        .into_iter()
        .map(|o| present(&rt, version, o))
        .collect()
}
