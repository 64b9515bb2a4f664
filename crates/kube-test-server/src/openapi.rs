//! A minimal OpenAPI v3 surface: enough for kubectl's field-validation capability check.
//!
//! kubectl (1.27+) asks `/openapi/v3` which group-versions exist, fetches the document of the
//! object's group-version, and looks for a PATCH operation tagged with the object's
//! `x-kubernetes-group-version-kind` that accepts the `fieldValidation` parameter. Without this
//! it refuses `kubectl apply` unless `--validate=false`. The documents carry paths and
//! parameters only, no schemas, so `kubectl explain` and client-side apply do not work.

use serde_json::{Map, Value, json};

use crate::resources::Registry;

fn gv_key(group: &str, version: &str) -> String {
    if group.is_empty() {
        format!("api/{version}")
    } else {
        format!("apis/{group}/{version}")
    }
}

/// `/openapi/v3`: the list of group-version documents.
pub fn root(reg: &Registry) -> Value {
    let mut paths = Map::new();
    for t in reg.all() {
        for v in t.versions.iter().filter(|v| v.served) {
            let key = gv_key(&t.group, &v.name);
            let url = format!("/openapi/v3/{key}?hash={}", reg_hash(reg));
            paths.insert(key, json!({"serverRelativeURL": url}));
        }
    }
    json!({"paths": paths})
}

/// A cache-busting hash that changes whenever the set of served types changes.
fn reg_hash(reg: &Registry) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for t in reg.all() {
        for b in t.group.bytes().chain(t.plural.bytes()) {
            h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
        for v in &t.versions {
            for b in v.name.bytes() {
                h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
            }
        }
    }
    format!("{h:016X}")
}

fn param(name: &str) -> Value {
    json!({"name": name, "in": "query", "schema": {"type": "string", "uniqueItems": true}})
}

/// `/openapi/v3/api/v1` or `/openapi/v3/apis/{group}/{version}`.
pub fn group_version(reg: &Registry, group: &str, version: &str) -> Option<Value> {
    let mut paths = Map::new();
    for t in reg.all().iter().filter(|t| t.group == group) {
        if t.version(version).is_none() {
            continue;
        }
        let prefix = format!("/{}", gv_key(group, version));
        let item = if t.namespaced {
            format!("{prefix}/namespaces/{{namespace}}/{}/{{name}}", t.plural)
        } else {
            format!("{prefix}/{}/{{name}}", t.plural)
        };
        let gvk = json!({"group": group, "version": version, "kind": t.kind});
        let op = |action: &str, params: Vec<Value>| {
            json!({"operationId": format!("{action}{}", t.kind), "x-kubernetes-action": action,
                "x-kubernetes-group-version-kind": gvk, "parameters": params,
                "responses": {"200": {"description": "OK"}}})
        };
        let write = || {
            ["dryRun", "fieldManager", "fieldValidation"]
                .iter()
                .map(|p| param(p))
                .collect::<Vec<_>>()
        };
        let mut patch_params = write();
        patch_params.push(param("force"));
        paths.insert(
            item,
            json!({
                "get": op("get", vec![]),
                "put": op("put", write()),
                "patch": op("patch", patch_params),
                "delete": op("delete", vec![param("dryRun")]),
            }),
        );
    }
    if paths.is_empty() {
        return None;
    }
    Some(json!({
        "openapi": "3.0.0",
        "info": {"title": "Kubernetes", "version": "v1.32.0"},
        "paths": paths,
        "components": {"schemas": {}},
    }))
}
