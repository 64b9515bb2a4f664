//! The release JSON, field for field as Helm's `pkg/release/v1` marshals it.
//!
//! Field order and `skip_serializing_if` follow the Go struct tags
//! (`omitempty`), so Helm decodes what we write and we decode what Helm
//! writes. Every struct keeps fields it does not know in `extra`, so a
//! record written by a newer Helm survives a decode/encode round trip
//! (stackbook rewrites old records when it marks them `superseded`).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value as Json};

/// A release status (`pkg/release/common.Status`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    /// Unknown state.
    Unknown,
    /// The release is the live one.
    Deployed,
    /// Uninstalled with `--keep-history`.
    Uninstalled,
    /// Replaced by a newer revision.
    Superseded,
    /// The install/upgrade failed.
    Failed,
    /// Being uninstalled.
    Uninstalling,
    /// Install in progress (acts as a lock).
    PendingInstall,
    /// Upgrade in progress (acts as a lock).
    PendingUpgrade,
    /// Rollback in progress (acts as a lock).
    PendingRollback,
}

impl Status {
    /// The string Helm stores (also the `status` label).
    pub fn as_str(&self) -> &'static str {
        match self {
            Status::Unknown => "unknown",
            Status::Deployed => "deployed",
            Status::Uninstalled => "uninstalled",
            Status::Superseded => "superseded",
            Status::Failed => "failed",
            Status::Uninstalling => "uninstalling",
            Status::PendingInstall => "pending-install",
            Status::PendingUpgrade => "pending-upgrade",
            Status::PendingRollback => "pending-rollback",
        }
    }

    /// True for the `pending-*` states Helm treats as "operation in progress".
    pub fn is_pending(&self) -> bool {
        matches!(
            self,
            Status::PendingInstall | Status::PendingUpgrade | Status::PendingRollback
        )
    }
}

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

fn is_empty_str(s: &str) -> bool {
    s.is_empty()
}

fn is_zero(n: &i64) -> bool {
    *n == 0
}

fn is_null_or_empty(v: &Json) -> bool {
    match v {
        Json::Null => true,
        Json::Object(m) => m.is_empty(),
        _ => false,
    }
}

/// `release.Release`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Release {
    /// Release name.
    #[serde(default, skip_serializing_if = "is_empty_str")]
    pub name: String,
    /// Status and timestamps.
    #[serde(default)]
    pub info: Info,
    /// The chart as installed (without subcharts, like Helm).
    #[serde(default)]
    pub chart: ChartRecord,
    /// User-supplied values (`helm get values`), not the coalesced ones.
    #[serde(default, skip_serializing_if = "is_null_or_empty")]
    pub config: Json,
    /// The rendered manifest (`helm get manifest`), hooks excluded.
    #[serde(default, skip_serializing_if = "is_empty_str")]
    pub manifest: String,
    /// Hook resources.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hooks: Vec<Hook>,
    /// Revision, starting at 1.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub version: i64,
    /// Namespace the release lives in.
    #[serde(default, skip_serializing_if = "is_empty_str")]
    pub namespace: String,
    /// How resources were applied: `ssa` (server-side apply, Helm 4's
    /// default) or `csa` (client-side); Helm 4 reads it on upgrade.
    #[serde(default, skip_serializing_if = "is_empty_str")]
    pub apply_method: String,
    /// Custom labels. Helm does not put them in the JSON (`json:"-"`); they
    /// live on the storage Secret next to the system labels.
    #[serde(skip)]
    pub labels: BTreeMap<String, String>,
    /// Fields this version does not model (kept for round trips).
    #[serde(flatten)]
    pub extra: Map<String, Json>,
}

/// `release.Info`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Info {
    /// First install time (RFC 3339).
    #[serde(default, skip_serializing_if = "is_empty_str")]
    pub first_deployed: String,
    /// Time of this revision.
    #[serde(default, skip_serializing_if = "is_empty_str")]
    pub last_deployed: String,
    /// Deletion time (uninstall with history kept); empty when not deleted
    /// (Helm 4 omits the zero time, Helm 3 writes `0001-01-01T00:00:00Z`).
    #[serde(default, skip_serializing_if = "is_zero_time")]
    pub deleted: String,
    /// Human-readable description ("Install complete").
    #[serde(default, skip_serializing_if = "is_empty_str")]
    pub description: String,
    /// Release status.
    pub status: Status,
    /// Rendered NOTES.txt.
    #[serde(default, skip_serializing_if = "is_empty_str")]
    pub notes: String,
    /// Fields this version does not model.
    #[serde(flatten)]
    pub extra: Map<String, Json>,
}

fn is_zero_time(s: &str) -> bool {
    s.is_empty() || s == super::time::ZERO_TIME
}

impl Default for Info {
    fn default() -> Self {
        Info {
            first_deployed: String::new(),
            last_deployed: String::new(),
            deleted: String::new(),
            description: String::new(),
            status: Status::Unknown,
            notes: String::new(),
            extra: Map::new(),
        }
    }
}

/// `chart.Chart` as serialised inside a release (Helm drops `Raw` and the
/// subcharts; file contents are base64 like every Go `[]byte`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ChartRecord {
    /// `Chart.yaml` (Go `Metadata` struct as JSON).
    #[serde(default)]
    pub metadata: Json,
    /// `Chart.lock`, or null.
    #[serde(default)]
    pub lock: Json,
    /// Files under `templates/`.
    #[serde(default, deserialize_with = "null_as_empty")]
    pub templates: Vec<ChartFileRecord>,
    /// `values.yaml` as a map.
    #[serde(default)]
    pub values: Json,
    /// `values.schema.json` as base64, or null.
    #[serde(default)]
    pub schema: Json,
    /// Every other file (README, `crds/`, ...).
    #[serde(default, deserialize_with = "null_as_empty")]
    pub files: Vec<ChartFileRecord>,
    /// Fields this version does not model.
    #[serde(flatten)]
    pub extra: Map<String, Json>,
}

fn null_as_empty<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Ok(Option::<Vec<T>>::deserialize(d)?.unwrap_or_default())
}

/// `common.File`: a path relative to the chart root and its bytes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChartFileRecord {
    /// Path relative to the chart root.
    pub name: String,
    /// Contents, base64 (Go `[]byte`).
    #[serde(default)]
    pub data: String,
    /// Fields this version does not model (Helm 4 adds `modtime`).
    #[serde(flatten)]
    pub extra: Map<String, Json>,
}

/// `release.Hook`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Hook {
    /// Resource name.
    #[serde(default, skip_serializing_if = "is_empty_str")]
    pub name: String,
    /// Resource kind.
    #[serde(default, skip_serializing_if = "is_empty_str")]
    pub kind: String,
    /// Template path (`chart/templates/hook.yaml`).
    #[serde(default, skip_serializing_if = "is_empty_str")]
    pub path: String,
    /// The hook's manifest.
    #[serde(default, skip_serializing_if = "is_empty_str")]
    pub manifest: String,
    /// `pre-install`, `post-upgrade`, ...
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub events: Vec<String>,
    /// Last execution (always written, like Go's non-pointer struct).
    #[serde(default)]
    pub last_run: HookExecution,
    /// `helm.sh/hook-weight`.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub weight: i64,
    /// `helm.sh/hook-delete-policy` values.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub delete_policies: Vec<String>,
    /// Fields this version does not model.
    #[serde(flatten)]
    pub extra: Map<String, Json>,
}

/// `release.HookExecution`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct HookExecution {
    /// Start time, or empty.
    #[serde(default, skip_serializing_if = "is_empty_str")]
    pub started_at: String,
    /// Completion time, or empty.
    #[serde(default, skip_serializing_if = "is_empty_str")]
    pub completed_at: String,
    /// `Unknown`, `Running`, `Succeeded`, `Failed`.
    #[serde(default)]
    pub phase: String,
    /// Fields this version does not model.
    #[serde(flatten)]
    pub extra: Map<String, Json>,
}

impl Release {
    /// The chart's `name` from its metadata.
    pub fn chart_name(&self) -> &str {
        self.chart
            .metadata
            .get("name")
            .and_then(Json::as_str)
            .unwrap_or("")
    }

    /// The chart's `version` from its metadata.
    pub fn chart_version(&self) -> &str {
        self.chart
            .metadata
            .get("version")
            .and_then(Json::as_str)
            .unwrap_or("")
    }

    /// The chart's `appVersion` from its metadata.
    pub fn app_version(&self) -> &str {
        self.chart
            .metadata
            .get("appVersion")
            .and_then(Json::as_str)
            .unwrap_or("")
    }
}
