//! Collecting the objects a `k8s` task works on: `definition` (mapping, list, or multi-document
//! YAML), `src`, `template`, or `api_version`/`kind`/`name`/`namespace`.
//!
//! Objects are ordered so that what others depend on comes first: Namespaces, then CRDs, then
//! everything else in the order given (reversed for deletion). `kind: List` documents are
//! expanded.

use serde::Deserialize;
use serde_json::{Map, Value as Json};

use crate::error::K8sError;

/// Parses every YAML document of `text` (empty documents skipped, `List`s expanded).
pub fn parse_documents(text: &str, location: &str) -> Result<Vec<Json>, K8sError> {
    let mut objects = Vec::new();
    for document in serde_yaml::Deserializer::from_str(text) {
        let value = Json::deserialize(document).map_err(|e| K8sError::Definition {
            location: location.to_string(),
            detail: e.to_string(),
        })?;
        push(value, location, &mut objects)?;
    }
    Ok(objects)
}

/// Adds a definition value (mapping, list, YAML string) to `objects`.
pub fn push(value: Json, location: &str, objects: &mut Vec<Json>) -> Result<(), K8sError> {
    match value {
        Json::Null => Ok(()),
        Json::String(text) => {
            objects.extend(parse_documents(&text, location)?);
            Ok(())
        }
        Json::Array(items) => items
            .into_iter()
            .try_for_each(|item| push(item, location, objects)),
        Json::Object(map) => {
            let is_list = map
                .get("kind")
                .and_then(Json::as_str)
                .is_some_and(|k| k.ends_with("List"))
                && map.get("items").is_some_and(Json::is_array);
            if is_list {
                if let Some(Json::Array(items)) = map.get("items").cloned() {
                    return items
                        .into_iter()
                        .try_for_each(|item| push(item, location, objects));
                }
            }
            objects.push(Json::Object(map));
            Ok(())
        }
        other => Err(K8sError::Definition {
            location: location.to_string(),
            detail: format!("expected a mapping, a list or YAML text, got {other}"),
        }),
    }
}

/// The identity every object needs.
#[derive(Debug, Clone, PartialEq)]
pub struct Identity {
    /// `apiVersion`.
    pub api_version: String,
    /// `kind`.
    pub kind: String,
    /// `metadata.name` (may be empty with `generateName`).
    pub name: String,
    /// `metadata.namespace`, if set.
    pub namespace: Option<String>,
}

/// Reads `apiVersion`, `kind`, `metadata.name/namespace`, naming what is missing.
pub fn identity(object: &Json, location: &str) -> Result<Identity, K8sError> {
    let get = |path: &[&str]| {
        path.iter()
            .try_fold(object, |v, k| v.get(*k))
            .and_then(Json::as_str)
            .map(str::to_string)
    };
    let missing = |what: &str| K8sError::Definition {
        location: location.to_string(),
        detail: format!("{what} is required (in {})", short(object)),
    };
    let api_version = get(&["apiVersion"]).ok_or_else(|| missing("apiVersion"))?;
    let kind = get(&["kind"]).ok_or_else(|| missing("kind"))?;
    let name = get(&["metadata", "name"]).unwrap_or_default();
    if name.is_empty() && get(&["metadata", "generateName"]).is_none() {
        return Err(missing("metadata.name"));
    }
    Ok(Identity {
        api_version,
        kind,
        name,
        namespace: get(&["metadata", "namespace"]).filter(|n| !n.is_empty()),
    })
}

fn short(object: &Json) -> String {
    let text = object.to_string();
    match text.char_indices().nth(80) {
        Some((index, _)) => format!("{}…", &text[..index]),
        None => text,
    }
}

/// Dependencies first: Namespaces, CRDs, then the rest (stable). Reversed for deletion.
pub fn order(objects: &mut [Json], deleting: bool) {
    let rank = |o: &Json| match o.get("kind").and_then(Json::as_str) {
        Some("Namespace") => 0,
        Some("CustomResourceDefinition") => 1,
        _ => 2,
    };
    objects.sort_by_key(rank);
    if deleting {
        objects.reverse();
    }
}

/// The `group/kind` pairs the CRDs among `objects` will serve.
pub fn crd_kinds(objects: &[Json]) -> Vec<(String, String)> {
    objects
        .iter()
        .filter(|o| o.get("kind").and_then(Json::as_str) == Some("CustomResourceDefinition"))
        .filter_map(|o| {
            let spec = o.get("spec")?;
            Some((
                spec.get("group")?.as_str()?.to_string(),
                spec.get("names")?.get("kind")?.as_str()?.to_string(),
            ))
        })
        .collect()
}

/// A stub object for `api_version`/`kind`/`name`/`namespace` without a definition.
pub fn stub(api_version: &str, kind: &str, name: &str, namespace: Option<&str>) -> Json {
    let mut metadata = Map::new();
    metadata.insert("name".into(), Json::String(name.into()));
    if let Some(ns) = namespace {
        metadata.insert("namespace".into(), Json::String(ns.into()));
    }
    serde_json::json!({"apiVersion": api_version, "kind": kind, "metadata": metadata})
}

/// kubectl's config hash suffix for `append_hash` (ConfigMap/Secret content → 10 characters).
pub fn content_hash(object: &Json) -> String {
    let mut material = Map::new();
    for key in ["kind", "data", "stringData", "binaryData", "type"] {
        if let Some(value) = object.get(key) {
            material.insert(key.into(), value.clone());
        }
    }
    let digest = ring::digest::digest(
        &ring::digest::SHA256,
        Json::Object(material).to_string().as_bytes(),
    );
    let hex: String = digest.as_ref().iter().map(|b| format!("{b:02x}")).collect();
    // kubectl's encodeHash: avoid vowels and look-alike digits.
    hex.chars()
        .take(10)
        .map(|c| match c {
            '0' => 'g',
            '1' => 'h',
            '3' => 'k',
            'a' => 'm',
            'e' => 't',
            other => other,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn multi_document_text_lists_and_kind_list_are_flattened() {
        let mut objects = Vec::new();
        let text = "---\napiVersion: v1\nkind: Secret\nmetadata: {name: a}\n---\n---\n\
                    apiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: Namespace, metadata: {name: n}}\n";
        push(json!([text, null, {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}}]), "", &mut objects)
            .unwrap_or_default();
        let kinds: Vec<_> = objects.iter().filter_map(|o| o["kind"].as_str()).collect();
        assert_eq!(kinds, vec!["Secret", "Namespace", "ConfigMap"]);
        order(&mut objects, false);
        let kinds: Vec<_> = objects.iter().filter_map(|o| o["kind"].as_str()).collect();
        assert_eq!(kinds, vec!["Namespace", "Secret", "ConfigMap"]);
    }

    #[test]
    fn identity_names_the_missing_field() {
        let error = identity(
            &json!({"apiVersion": "v1", "kind": "Secret", "metadata": {}}),
            " in x.yaml",
        );
        let text = error
            .map(|_| String::new())
            .unwrap_or_else(|e| e.to_string());
        assert!(text.contains("metadata.name is required"), "{text}");
        assert!(text.contains("in x.yaml"), "{text}");
    }

    #[test]
    fn bad_yaml_is_an_error_not_a_panic() {
        assert!(parse_documents("a: [", "").is_err());
    }
}
