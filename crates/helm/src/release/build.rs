//! A new release record from a loaded chart and its rendering — what Helm's
//! install/upgrade actions write before applying anything.

use std::collections::BTreeMap;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use serde_json::{Map, Value as Json};

use super::model::{ChartFileRecord, ChartRecord, Hook, HookExecution, Info, Release, Status};
use crate::chart::{Chart, ChartFile};
use crate::render::{Manifest, Rendered};
use crate::value::Value;

/// `Chart.yaml` fields Helm's `Metadata` struct keeps (unknown keys are
/// dropped by Go's decoder, so they never reach the release record).
const METADATA_FIELDS: &[&str] = &[
    "name",
    "home",
    "sources",
    "version",
    "description",
    "keywords",
    "maintainers",
    "icon",
    "apiVersion",
    "condition",
    "tags",
    "appVersion",
    "deprecated",
    "annotations",
    "kubeVersion",
    "dependencies",
    "type",
];

/// Hook events Helm recognises (others are ignored, as Helm does).
const HOOK_EVENTS: &[&str] = &[
    "pre-install",
    "post-install",
    "pre-delete",
    "post-delete",
    "pre-upgrade",
    "post-upgrade",
    "pre-rollback",
    "post-rollback",
    "test",
    "test-success",
];

/// Everything needed to write one revision.
#[derive(Debug, Clone)]
pub struct NewRelease<'a> {
    /// Release name.
    pub name: &'a str,
    /// Release namespace.
    pub namespace: &'a str,
    /// Revision number (1 for an install).
    pub version: i64,
    /// The chart.
    pub chart: &'a Chart,
    /// User-supplied values (stored as `config`).
    pub config: &'a Value,
    /// The rendering of `chart` with `config`.
    pub rendered: &'a Rendered,
    /// Status to record.
    pub status: Status,
    /// Description ("Install complete", "Upgrade complete").
    pub description: &'a str,
    /// First install time; `None` means "now" (a fresh install).
    pub first_deployed: Option<&'a str>,
    /// This revision's time (RFC 3339).
    pub now: &'a str,
    /// Custom labels (stored on the Secret).
    pub labels: BTreeMap<String, String>,
}

impl NewRelease<'_> {
    /// Builds the record.
    pub fn build(&self) -> Release {
        Release {
            name: self.name.to_string(),
            info: Info {
                first_deployed: self.first_deployed.unwrap_or(self.now).to_string(),
                last_deployed: self.now.to_string(),
                description: self.description.to_string(),
                status: self.status.clone(),
                notes: self.rendered.notes.clone(),
                ..Info::default()
            },
            chart: chart_record(self.chart),
            config: go_json(self.config),
            manifest: self.rendered.manifest(),
            hooks: self.rendered.hooks.iter().map(hook_record).collect(),
            version: self.version,
            namespace: self.namespace.to_string(),
            apply_method: "ssa".to_string(),
            labels: self.labels.clone(),
            extra: Map::new(),
        }
    }
}

/// The chart as Helm serialises it into a release: metadata, values,
/// schema and files, without subcharts (Helm's `Chart.dependencies` is
/// unexported and never reaches the JSON).
pub fn chart_record(chart: &Chart) -> ChartRecord {
    let metadata = match go_json(&chart.metadata) {
        Json::Object(m) => Json::Object(
            m.into_iter()
                .filter(|(k, v)| METADATA_FIELDS.contains(&k.as_str()) && !is_go_empty(v))
                .collect(),
        ),
        other => other,
    };
    let files = |fs: &[ChartFile]| -> Vec<ChartFileRecord> {
        fs.iter()
            .map(|f| ChartFileRecord {
                name: f.name.clone(),
                data: B64.encode(&f.data),
                extra: Map::new(),
            })
            .collect()
    };
    ChartRecord {
        metadata,
        lock: Json::Null,
        templates: files(&chart.templates),
        values: go_json(&chart.values),
        schema: chart
            .schema_raw
            .as_ref()
            .map(|b| Json::String(B64.encode(b)))
            .unwrap_or(Json::Null),
        files: files(&chart.files),
        extra: Map::new(),
    }
}

/// What Go's `omitempty` leaves out.
fn is_go_empty(v: &Json) -> bool {
    match v {
        Json::Null => true,
        Json::Bool(b) => !b,
        Json::String(s) => s.is_empty(),
        Json::Array(a) => a.is_empty(),
        Json::Object(m) => m.is_empty(),
        Json::Number(_) => false,
    }
}

/// A value as Go's `encoding/json` writes an `interface{}` tree: integral
/// `float64`s print without a fraction (`1`, not `1.0`).
pub fn go_json(v: &Value) -> Json {
    normalize_numbers(v.to_json())
}

fn normalize_numbers(j: Json) -> Json {
    const EXACT: f64 = 9_007_199_254_740_992.0; // 2^53
    match j {
        Json::Number(n) => match n.as_f64() {
            Some(f) if n.is_f64() && f.fract() == 0.0 && f.abs() < EXACT => Json::from(f as i64),
            _ => Json::Number(n),
        },
        Json::Array(a) => Json::Array(a.into_iter().map(normalize_numbers).collect()),
        Json::Object(m) => Json::Object(
            m.into_iter()
                .map(|(k, v)| (k, normalize_numbers(v)))
                .collect(),
        ),
        other => other,
    }
}

/// A rendered hook document as Helm records it (`release.Hook`).
pub fn hook_record(m: &Manifest) -> Hook {
    let doc = crate::yaml::parse(&m.content).unwrap_or(Value::Nil);
    let meta = doc.get("metadata").unwrap_or(Value::Nil);
    let annotation = |key: &str| {
        meta.get("annotations")
            .and_then(|a| a.get(key))
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default()
    };
    let split = |s: String| -> Vec<String> {
        s.split(',')
            .map(str::trim)
            .filter(|e| !e.is_empty())
            .map(str::to_string)
            .collect()
    };
    Hook {
        name: meta
            .get("name")
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default(),
        kind: m.kind.clone(),
        path: m.name.clone(),
        manifest: m.content.clone(),
        events: split(annotation("helm.sh/hook"))
            .into_iter()
            .filter(|e| HOOK_EVENTS.contains(&e.as_str()))
            .collect(),
        last_run: HookExecution::default(),
        weight: annotation("helm.sh/hook-weight")
            .trim()
            .parse()
            .unwrap_or(0),
        delete_policies: split(annotation("helm.sh/hook-delete-policy")),
        extra: Map::new(),
    }
}
