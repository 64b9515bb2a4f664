//! Content negotiation for `Table` and `PartialObjectMetadata` responses.
//!
//! kubectl asks for `application/json;as=Table;v=v1;g=meta.k8s.io` and prints the server's
//! columns; kube-rs metadata APIs ask for `as=PartialObjectMetadata(List)`. Columns follow
//! kube-apiserver's printers for the common kinds and CRD `additionalPrinterColumns` (simple
//! `.a.b[0]` JSONPaths); other kinds get Name and Age.

use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{Map, Value, json};

use crate::resources::ResourceType;

/// How a GET response should be rendered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Render {
    /// The object or list itself.
    Full,
    /// A `meta.k8s.io/v1` Table.
    Table,
    /// `PartialObjectMetadata` / `PartialObjectMetadataList`.
    Metadata,
}

/// Picks the first representation in the `Accept` header this server can produce.
pub fn negotiate(accept: &str) -> Render {
    for entry in accept.split(',') {
        let mut parts = entry.split(';').map(str::trim);
        let media = parts.next().unwrap_or_default();
        if media != "application/json" && media != "*/*" && media != "application/*" {
            continue;
        }
        let params: Vec<&str> = parts.collect();
        let as_ = params.iter().find_map(|p| p.strip_prefix("as="));
        let group_ok = params
            .iter()
            .find_map(|p| p.strip_prefix("g="))
            .is_none_or(|g| g == "meta.k8s.io");
        match as_ {
            None => return Render::Full,
            Some("Table") if group_ok => return Render::Table,
            Some("PartialObjectMetadata") | Some("PartialObjectMetadataList") if group_ok => {
                return Render::Metadata;
            }
            Some(_) => continue,
        }
    }
    Render::Full
}

/// `PartialObjectMetadata` for one object.
pub fn partial(obj: &Value) -> Value {
    json!({
        "kind": "PartialObjectMetadata",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": obj.get("metadata").cloned().unwrap_or(json!({})),
    })
}

/// `PartialObjectMetadataList` for a list response.
pub fn partial_list(list: &Value) -> Value {
    let items: Vec<Value> = list
        .get("items")
        .and_then(Value::as_array)
        .map(|items| items.iter().map(partial).collect())
        .unwrap_or_default();
    json!({
        "kind": "PartialObjectMetadataList",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": list.get("metadata").cloned().unwrap_or(json!({})),
        "items": items,
    })
}

/// Kubernetes' `HumanDuration` for an age in seconds.
pub fn human_duration(secs: u64) -> String {
    let (m, h, d) = (secs / 60, secs / 3600, secs / 86_400);
    if secs < 120 {
        format!("{secs}s")
    } else if m < 10 {
        match secs % 60 {
            0 => format!("{m}m"),
            s => format!("{m}m{s}s"),
        }
    } else if h < 3 {
        format!("{m}m")
    } else if h < 8 {
        match m % 60 {
            0 => format!("{h}h"),
            mm => format!("{h}h{mm}m"),
        }
    } else if h < 48 {
        format!("{h}h")
    } else if d < 8 {
        match h % 24 {
            0 => format!("{d}d"),
            hh => format!("{d}d{hh}h"),
        }
    } else if d < 365 * 2 {
        format!("{d}d")
    } else {
        format!("{}y", d / 365)
    }
}

/// Parses `YYYY-MM-DDTHH:MM:SSZ` into Unix seconds.
fn parse_rfc3339(ts: &str) -> Option<u64> {
    let (date, time) = ts.strip_suffix('Z')?.split_once('T')?;
    let mut d = date.split('-').map(|p| p.parse::<i64>().ok());
    let (y, mo, da) = (d.next()??, d.next()??, d.next()??);
    let mut t = time.split(':').map(|p| p.parse::<i64>().ok());
    let (h, mi, s) = (t.next()??, t.next()??, t.next()??);
    let y = if mo <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (mo + 9) % 12;
    let doy = (153 * mp + 2) / 5 + da - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    u64::try_from(days * 86_400 + h * 3600 + mi * 60 + s).ok()
}

fn age(ts: Option<&str>) -> String {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    match ts.and_then(parse_rfc3339) {
        Some(t) => human_duration(now.saturating_sub(t)),
        None => "<unknown>".into(),
    }
}

/// Evaluates a simple JSONPath (`.a.b`, `.a[0].b`).
fn json_path<'a>(obj: &'a Value, path: &str) -> Option<&'a Value> {
    let mut cur = obj;
    for seg in path
        .trim_start_matches('.')
        .split('.')
        .filter(|s| !s.is_empty())
    {
        let (field, idx) = match seg.split_once('[') {
            Some((f, rest)) => (f, rest.trim_end_matches(']').parse::<usize>().ok()),
            None => (seg, None),
        };
        if !field.is_empty() {
            cur = cur.get(field)?;
        }
        if let Some(i) = idx {
            cur = cur.get(i)?;
        }
    }
    Some(cur)
}

type Cell = fn(&Value) -> Value;

fn int_at(obj: &Value, p: &str) -> i64 {
    obj.pointer(p).and_then(Value::as_i64).unwrap_or(0)
}

fn count(obj: &Value, keys: &[&str]) -> Value {
    json!(
        keys.iter()
            .filter_map(|k| obj.get(*k).and_then(Value::as_object))
            .map(Map::len)
            .sum::<usize>()
    )
}

fn builtin_columns(rt: &ResourceType) -> Vec<(&'static str, &'static str, Cell)> {
    match (rt.group.as_str(), rt.plural.as_str()) {
        ("", "configmaps") => vec![("Data", "integer", |o| count(o, &["data", "binaryData"]))],
        ("", "secrets") => vec![
            ("Type", "string", |o| {
                o.get("type").cloned().unwrap_or(json!(""))
            }),
            ("Data", "integer", |o| count(o, &["data"])),
        ],
        ("", "namespaces") => vec![("Status", "string", |o| {
            o.pointer("/status/phase").cloned().unwrap_or(json!(""))
        })],
        ("apps", "deployments") => vec![
            ("Ready", "string", |o| {
                json!(format!(
                    "{}/{}",
                    int_at(o, "/status/readyReplicas"),
                    int_at(o, "/spec/replicas")
                ))
            }),
            ("Up-to-date", "integer", |o| {
                json!(int_at(o, "/status/updatedReplicas"))
            }),
            ("Available", "integer", |o| {
                json!(int_at(o, "/status/availableReplicas"))
            }),
        ],
        ("apps", "statefulsets") => vec![("Ready", "string", |o| {
            json!(format!(
                "{}/{}",
                int_at(o, "/status/readyReplicas"),
                int_at(o, "/spec/replicas")
            ))
        })],
        ("batch", "jobs") => vec![("Completions", "string", |o| {
            let want = o
                .pointer("/spec/completions")
                .and_then(Value::as_i64)
                .unwrap_or(1);
            json!(format!("{}/{want}", int_at(o, "/status/succeeded")))
        })],
        ("", "pods") => vec![("Status", "string", |o| {
            o.pointer("/status/phase").cloned().unwrap_or(json!(""))
        })],
        ("", "services") => vec![("Type", "string", |o| {
            o.pointer("/spec/type").cloned().unwrap_or(json!(""))
        })],
        _ => vec![],
    }
}

/// Renders objects as a Table (`list_meta` is the list's metadata, or `{}` for one object).
pub fn table(rt: &ResourceType, version: &str, objects: &[Value], list_meta: Value) -> Value {
    let printer: Vec<Value> = rt
        .version(version)
        .and_then(|v| v.printer_columns.clone())
        .unwrap_or_default();
    let mut defs = vec![
        json!({"name": "Name", "type": "string", "format": "name", "description": "Name must be unique within a namespace.", "priority": 0}),
    ];
    let builtin = builtin_columns(rt);
    for (name, ty, _) in &builtin {
        defs.push(
            json!({"name": name, "type": ty, "format": "", "description": "", "priority": 0}),
        );
    }
    for col in &printer {
        defs.push(json!({
            "name": col.get("name").cloned().unwrap_or(json!("")),
            "type": col.get("type").cloned().unwrap_or(json!("string")),
            "format": col.get("format").cloned().unwrap_or(json!("")),
            "description": col.get("description").cloned().unwrap_or(json!("")),
            "priority": col.get("priority").cloned().unwrap_or(json!(0)),
        }));
    }
    // CRDs with printer columns list their own Age column, like the real table convertor.
    let with_age = printer.is_empty();
    if with_age {
        defs.push(json!({"name": "Age", "type": "string", "format": "", "description": "CreationTimestamp", "priority": 0}));
    }
    let rows: Vec<Value> = objects
        .iter()
        .map(|o| {
            let mut cells = vec![o.pointer("/metadata/name").cloned().unwrap_or(json!(""))];
            cells.extend(builtin.iter().map(|(_, _, f)| f(o)));
            for col in &printer {
                let path = col
                    .get("jsonPath")
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                let v = json_path(o, path).cloned().unwrap_or(Value::Null);
                let is_date = col.get("type").and_then(Value::as_str) == Some("date");
                cells.push(if is_date { json!(age(v.as_str())) } else { v });
            }
            if with_age {
                cells.push(json!(age(o
                    .pointer("/metadata/creationTimestamp")
                    .and_then(Value::as_str))));
            }
            json!({"cells": cells, "object": partial(o)})
        })
        .collect();
    json!({
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": list_meta,
        "columnDefinitions": defs,
        "rows": rows,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negotiation_and_durations() {
        let kubectl = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json";
        assert_eq!(negotiate(kubectl), Render::Table);
        assert_eq!(
            negotiate("application/vnd.kubernetes.protobuf,application/json"),
            Render::Full
        );
        assert_eq!(
            negotiate("application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1"),
            Render::Metadata
        );
        assert_eq!(negotiate(""), Render::Full);
        assert_eq!(human_duration(5), "5s");
        assert_eq!(human_duration(150), "2m30s");
        assert_eq!(human_duration(3 * 3600 + 60), "3h1m");
        assert_eq!(human_duration(9 * 86_400), "9d");
        assert_eq!(parse_rfc3339("1970-01-02T00:00:01Z"), Some(86_401));
        assert_eq!(parse_rfc3339("2026-11-18T11:06:40Z"), Some(1_795_000_000));
    }
}
