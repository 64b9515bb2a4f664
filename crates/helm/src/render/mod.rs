//! `render_chart`: Helm's install-time rendering pipeline without a
//! cluster — dependency processing, values coalescing, schema validation,
//! template execution with the built-in objects, NOTES extraction, manifest
//! splitting and sorting in Helm's install order.

pub mod objects;
pub mod sort;

use std::collections::BTreeMap;
use std::sync::Arc;

use thiserror::Error;

use crate::chart::{Chart, deps, schema};
use crate::gotmpl::{ExecError, Templates};
use crate::sprig::defaults::{WARN_END, WARN_START};
use crate::value::{Map, MapRef, Value};
use crate::values::coalesce::coalesce_values;
use objects::{ApiVersions, CapabilitiesObj, Files, KubeVersion};
pub use sort::Manifest;

/// Kubernetes API versions Helm 4.2 assumes without a cluster
/// (`common.DefaultVersionSet`, read from the Helm SDK).
pub const DEFAULT_API_VERSIONS: &[&str] = &[
    "v1",
    "admissionregistration.k8s.io/v1",
    "admissionregistration.k8s.io/v1alpha1",
    "admissionregistration.k8s.io/v1beta1",
    "internal.apiserver.k8s.io/v1alpha1",
    "apps/v1",
    "apps/v1beta1",
    "apps/v1beta2",
    "authentication.k8s.io/v1",
    "authentication.k8s.io/v1alpha1",
    "authentication.k8s.io/v1beta1",
    "authorization.k8s.io/v1",
    "authorization.k8s.io/v1beta1",
    "autoscaling/v1",
    "autoscaling/v2",
    "batch/v1",
    "batch/v1beta1",
    "certificates.k8s.io/v1",
    "certificates.k8s.io/v1beta1",
    "certificates.k8s.io/v1alpha1",
    "coordination.k8s.io/v1alpha2",
    "coordination.k8s.io/v1beta1",
    "coordination.k8s.io/v1",
    "discovery.k8s.io/v1",
    "discovery.k8s.io/v1beta1",
    "events.k8s.io/v1",
    "events.k8s.io/v1beta1",
    "extensions/v1beta1",
    "flowcontrol.apiserver.k8s.io/v1",
    "flowcontrol.apiserver.k8s.io/v1beta1",
    "flowcontrol.apiserver.k8s.io/v1beta2",
    "flowcontrol.apiserver.k8s.io/v1beta3",
    "networking.k8s.io/v1",
    "networking.k8s.io/v1beta1",
    "node.k8s.io/v1",
    "node.k8s.io/v1alpha1",
    "node.k8s.io/v1beta1",
    "policy/v1",
    "policy/v1beta1",
    "rbac.authorization.k8s.io/v1",
    "rbac.authorization.k8s.io/v1beta1",
    "rbac.authorization.k8s.io/v1alpha1",
    "resource.k8s.io/v1",
    "resource.k8s.io/v1beta2",
    "resource.k8s.io/v1beta1",
    "resource.k8s.io/v1alpha3",
    "scheduling.k8s.io/v1alpha2",
    "scheduling.k8s.io/v1beta1",
    "scheduling.k8s.io/v1",
    "storage.k8s.io/v1beta1",
    "storage.k8s.io/v1",
    "storage.k8s.io/v1alpha1",
    "storagemigration.k8s.io/v1beta1",
    "apiextensions.k8s.io/v1beta1",
    "apiextensions.k8s.io/v1",
];

/// Kubernetes version Helm 4.2.3 assumes without a cluster.
pub const DEFAULT_KUBE_VERSION: &str = "v1.36.0";

/// Release information (`.Release`).
#[derive(Debug, Clone)]
pub struct ReleaseOptions {
    /// Release name.
    pub name: String,
    /// Target namespace.
    pub namespace: String,
    /// Revision number.
    pub revision: i64,
    /// First install.
    pub is_install: bool,
    /// Upgrade of an existing release.
    pub is_upgrade: bool,
}

impl Default for ReleaseOptions {
    fn default() -> Self {
        ReleaseOptions {
            name: "release-name".into(),
            namespace: "default".into(),
            revision: 1,
            is_install: true,
            is_upgrade: false,
        }
    }
}

/// Cluster capabilities (`.Capabilities`), plus the live-cluster `lookup`.
#[derive(Clone)]
pub struct Capabilities {
    /// e.g. `v1.30.2`.
    pub kube_version: String,
    /// Available API group/versions (and `group/version/Kind` entries).
    pub api_versions: Vec<String>,
    /// Answers `lookup` from a connected cluster; `None` = offline (empty
    /// results, like `helm template`).
    pub lookup: Option<crate::gotmpl::LookupFn>,
}

impl std::fmt::Debug for Capabilities {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Capabilities")
            .field("kube_version", &self.kube_version)
            .field("api_versions", &self.api_versions.len())
            .field("lookup", &self.lookup.is_some())
            .finish()
    }
}

impl Default for Capabilities {
    fn default() -> Self {
        Capabilities {
            kube_version: DEFAULT_KUBE_VERSION.into(),
            api_versions: DEFAULT_API_VERSIONS.iter().map(|s| s.to_string()).collect(),
            lookup: None,
        }
    }
}

/// What rendering produced.
#[derive(Debug, Clone, Default)]
pub struct Rendered {
    /// Non-hook manifests in Helm's install order: (template path, content).
    pub manifests: Vec<Manifest>,
    /// Hook manifests (documents annotated `helm.sh/hook`).
    pub hooks: Vec<Manifest>,
    /// Rendered root `NOTES.txt` (empty when none).
    pub notes: String,
    /// CRDs from `crds/` of the chart and its enabled subcharts.
    pub crds: Vec<crate::chart::Crd>,
    /// Raw per-template output (what Helm's engine returns), by path.
    pub files: BTreeMap<String, String>,
    /// Warnings (values coalescing conflicts, ...).
    pub warnings: Vec<String>,
    /// User-supplied value paths (dotted) that no template read and no
    /// `values.schema.json` declares, e.g. `resources.limits` for PGO.
    pub unused_values: Vec<String>,
}

impl Rendered {
    /// The release manifest as Helm stores it (and `helm install
    /// --dry-run` prints): every non-hook document with its
    /// `# Source:` header.
    pub fn manifest(&self) -> String {
        let mut out = String::new();
        for m in &self.manifests {
            out.push_str(&format!("---\n# Source: {}\n{}\n", m.name, m.content));
        }
        out
    }

    /// What `helm template` prints: CRDs (when `include_crds`), the
    /// manifests, then hooks.
    pub fn template_output(&self, include_crds: bool) -> String {
        let mut out = String::new();
        if include_crds {
            for c in &self.crds {
                out.push_str(&format!("---\n# Source: {}\n{}\n", c.name, c.text()));
            }
        }
        out.push_str(&self.manifest());
        for h in &self.hooks {
            out.push_str(&format!("---\n# Source: {}\n{}\n", h.name, h.content));
        }
        out
    }
}

/// Rendering failures, worded like Helm's.
#[derive(Debug, Error)]
pub enum RenderError {
    /// The release name is not a valid Kubernetes name (Helm's check).
    #[error(
        "release name check failed: release name {0:?}: invalid release name, must match regex ^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$ and the length must not be longer than 53"
    )]
    ReleaseName(String),
    /// The chart's `kubeVersion` constraint excludes the target cluster.
    #[error(
        "chart requires kubeVersion: {constraint} which is incompatible with Kubernetes {version}"
    )]
    KubeVersion {
        /// The chart's constraint.
        constraint: String,
        /// The cluster version.
        version: String,
    },
    /// Dependency/values processing failed.
    #[error("{0}")]
    Values(String),
    /// Values do not satisfy `values.schema.json`.
    #[error(
        "values don't meet the specifications of the schema(s) in the following chart(s):\n{0}"
    )]
    Schema(String),
    /// A template does not parse.
    #[error("parse error at ({location}): {message}")]
    Parse {
        /// `file:line`.
        location: String,
        /// The message.
        message: String,
    },
    /// `required`/`fail` fired.
    #[error("execution error at ({location}): {message}")]
    Failed {
        /// `file:line:col`.
        location: String,
        /// The message given to `required`/`fail`.
        message: String,
    },
    /// Any other runtime error, with the template call chain as Helm
    /// prints it.
    #[error("{}", .0.helm_trace())]
    Exec(ExecError),
    /// A rendered document is not valid YAML.
    #[error("YAML parse error on {file}: {message}")]
    Yaml {
        /// Template path.
        file: String,
        /// Parser message.
        message: String,
    },
}

struct Renderable {
    path: String,
    source: String,
    vals: Value,
    base_path: String,
    is_partial_only: bool,
}

/// Renders `chart` like `helm install --dry-run`/`helm template`.
///
/// `values` are the user values (see [`crate::values::UserValues`]).
pub fn render_chart(
    chart: &Chart,
    values: &Value,
    release: &ReleaseOptions,
    caps: &Capabilities,
) -> Result<Rendered, RenderError> {
    let mut r = render_files(chart, values, release, caps)?;
    let manifest_files: BTreeMap<String, String> = r
        .files
        .iter()
        .filter(|(k, _)| !k.ends_with("NOTES.txt"))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let (hooks, manifests) = sort::sort_manifests(&manifest_files)?;
    r.hooks = hooks;
    r.manifests = manifests;
    Ok(r)
}

/// Runs the template engine only (Helm's `engine.Render`): every
/// non-partial template's output in [`Rendered::files`], plus notes and
/// CRDs, without splitting or sorting manifests (so non-YAML output is
/// fine).
pub fn render_files(
    chart: &Chart,
    values: &Value,
    release: &ReleaseOptions,
    caps: &Capabilities,
) -> Result<Rendered, RenderError> {
    if !valid_release_name(&release.name) {
        return Err(RenderError::ReleaseName(release.name.clone()));
    }
    let constraint = chart
        .metadata
        .get("kubeVersion")
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default();
    let normalized = KubeVersion::parse(&caps.kube_version)
        .map(|k| k.normalized)
        .unwrap_or_else(|| caps.kube_version.clone());
    if !constraint.is_empty()
        && !crate::sprig::semver::check(&constraint, &normalized).unwrap_or(false)
    {
        return Err(RenderError::KubeVersion {
            constraint,
            version: caps.kube_version.clone(),
        });
    }
    let mut warnings = Vec::new();
    let mut chart = chart.clone();
    deps::process_dependencies(&mut chart, values, &mut warnings).map_err(RenderError::Values)?;
    let vals = coalesce_values(&chart, values, &mut warnings).map_err(RenderError::Values)?;
    validate_schemas(&chart, &Value::Map(vals.clone()))?;

    let kube = KubeVersion::parse(&caps.kube_version).unwrap_or_else(|| KubeVersion {
        version: caps.kube_version.clone(),
        normalized: caps.kube_version.clone(),
        major: String::new(),
        minor: String::new(),
    });
    let helm_version: Map = [
        ("GitCommit".to_string(), Value::from("")),
        ("GitTreeState".to_string(), Value::from("")),
        ("GoVersion".to_string(), Value::from("go1.26.6")),
        ("KubeClientVersion".to_string(), Value::from("v1.36")),
        ("Version".to_string(), Value::from("v4.2")),
    ]
    .into_iter()
    .collect();
    let caps_obj = Value::Object(Arc::new(CapabilitiesObj {
        kube: Arc::new(kube),
        apis: Arc::new(ApiVersions(caps.api_versions.clone())),
        helm: Value::map(helm_version),
    }));
    let release_v = Value::map(
        [
            ("IsInstall".to_string(), Value::Bool(release.is_install)),
            ("IsUpgrade".to_string(), Value::Bool(release.is_upgrade)),
            ("Name".to_string(), Value::from(release.name.as_str())),
            (
                "Namespace".to_string(),
                Value::from(release.namespace.as_str()),
            ),
            ("Revision".to_string(), Value::Int(release.revision)),
            ("Service".to_string(), Value::from("Helm")),
        ]
        .into_iter()
        .collect(),
    );

    let root_values = vals.clone();
    let mut tpls = Vec::new();
    collect(
        &chart,
        Value::Map(vals),
        &release_v,
        &caps_obj,
        true,
        &mut tpls,
    );

    // Parse order: Helm sorts by path depth (deepest first), then name
    // descending, so parent definitions override subchart ones.
    tpls.sort_by(|a, b| {
        let (ca, cb) = (a.path.matches('/').count(), b.path.matches('/').count());
        cb.cmp(&ca).then_with(|| b.path.cmp(&a.path))
    });
    let mut set = Templates::new(crate::sprig::helm_funcs());
    if let Some(f) = &caps.lookup {
        set.set_lookup(f.clone());
    }
    for t in &tpls {
        set.add(&t.path, &t.source)
            .map_err(|e| RenderError::Parse {
                location: format!("{}:{}", e.name, e.line),
                message: e
                    .message
                    .rsplit(": ")
                    .next()
                    .unwrap_or(&e.message)
                    .to_string(),
            })?;
    }
    let execute_all =
        || -> Result<(BTreeMap<String, String>, crate::gotmpl::AccessLog), RenderError> {
            let mut files = BTreeMap::new();
            let mut log = crate::gotmpl::AccessLog::default();
            for t in &tpls {
                let base = t.path.rsplit('/').next().unwrap_or(&t.path);
                if base.starts_with('_') || t.is_partial_only {
                    continue;
                }
                let data = match &t.vals {
                    Value::Map(m) => {
                        let top = crate::value::MapRef::new(m.snapshot());
                        top.insert(
                            "Template".into(),
                            Value::map(
                                [
                                    ("BasePath".to_string(), Value::from(t.base_path.as_str())),
                                    ("Name".to_string(), Value::from(t.path.as_str())),
                                ]
                                .into_iter()
                                .collect(),
                            ),
                        );
                        Value::Map(top)
                    }
                    other => other.clone(),
                };
                let out = set
                    .execute_inline(&t.path, &data, &mut log)
                    .map_err(exec_error)?;
                files.insert(t.path.clone(), out.replace("<no value>", ""));
            }
            Ok((files, log))
        };
    let (files, log) = crate::gotmpl::on_big_stack(execute_all)
        .unwrap_or_else(|| Err(RenderError::Values("template execution aborted".into())))?;

    let notes_key = format!("{}/templates/NOTES.txt", chart.name);
    let notes = files.get(&notes_key).cloned().unwrap_or_default();
    let mut unused_values = Vec::new();
    unused_paths(values, &root_values, &log, &chart, "", &mut unused_values);
    Ok(Rendered {
        manifests: Vec::new(),
        hooks: Vec::new(),
        notes,
        crds: chart.crd_objects(),
        files,
        warnings,
        unused_values,
    })
}

/// Collects user value paths that were never read (see
/// [`Rendered::unused_values`]). A map consumed as a whole (ranged,
/// printed, `toYaml`...) counts as read with everything below it.
fn unused_paths(
    user: &Value,
    coalesced: &MapRef,
    log: &crate::gotmpl::AccessLog,
    chart: &Chart,
    prefix: &str,
    out: &mut Vec<String>,
) {
    let Value::Map(u) = user else { return };
    if log.whole_read(coalesced.id()) {
        return;
    }
    for (k, uv) in u.snapshot() {
        let path = if prefix.is_empty() {
            k.clone()
        } else {
            format!("{prefix}.{k}")
        };
        if prefix.is_empty() && (k == "global" || k == "tags") {
            continue;
        }
        if let Some(sub) = chart.subcharts.iter().find(|s| s.name == k)
            && let Some(Value::Map(cv)) = coalesced.get(&k)
        {
            unused_paths(&uv, &cv, log, sub, &path, out);
            continue;
        }
        if !log.key_read(coalesced.id(), &k) {
            if !schema_declares(chart, &path) {
                out.push(path);
            }
            continue;
        }
        if let (Value::Map(_), Some(Value::Map(cv))) = (&uv, coalesced.get(&k)) {
            unused_paths_in(&uv, &cv, log, chart, &path, out);
        }
    }
}

fn unused_paths_in(
    user: &Value,
    coalesced: &MapRef,
    log: &crate::gotmpl::AccessLog,
    chart: &Chart,
    prefix: &str,
    out: &mut Vec<String>,
) {
    let Value::Map(u) = user else { return };
    if log.whole_read(coalesced.id()) {
        return;
    }
    for (k, uv) in u.snapshot() {
        let path = format!("{prefix}.{k}");
        if !log.key_read(coalesced.id(), &k) {
            if !schema_declares(chart, &path) {
                out.push(path);
            }
            continue;
        }
        if let (Value::Map(_), Some(Value::Map(cv))) = (&uv, coalesced.get(&k)) {
            unused_paths_in(&uv, &cv, log, chart, &path, out);
        }
    }
}

fn schema_declares(chart: &Chart, path: &str) -> bool {
    let Some(mut s) = chart.schema.as_ref() else {
        return false;
    };
    for seg in path.split('.') {
        match s.get("properties").and_then(|p| p.get(seg)) {
            Some(next) => s = next,
            None => return false,
        }
    }
    true
}

/// Helm's `ValidateReleaseName`: a DNS-1123 subdomain of at most 53 chars.
pub fn valid_release_name(name: &str) -> bool {
    let label_ok = |l: &str| {
        let b = l.as_bytes();
        !b.is_empty()
            && b.iter()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
            && b.first() != Some(&b'-')
            && b.last() != Some(&b'-')
    };
    !name.is_empty() && name.len() <= 53 && name.split('.').all(label_ok)
}

fn exec_error(e: ExecError) -> RenderError {
    if let ExecError::At {
        location, message, ..
    } = &e
        && let Some(start) = message.find(WARN_START)
        && let Some(end) = message.rfind(WARN_END)
        && end >= start + WARN_START.len()
    {
        return RenderError::Failed {
            location: location.clone(),
            message: message[start + WARN_START.len()..end].to_string(),
        };
    }
    RenderError::Exec(e)
}

fn validate_schemas(chart: &Chart, vals: &Value) -> Result<(), RenderError> {
    let mut report = String::new();
    check_schema(chart, vals, &mut report);
    if report.is_empty() {
        Ok(())
    } else {
        Err(RenderError::Schema(report))
    }
}

fn check_schema(chart: &Chart, vals: &Value, report: &mut String) {
    if let Some(s) = &chart.schema {
        let errs = schema::validate(s, &vals.to_json());
        if !errs.is_empty() {
            report.push_str(&format!("{}:\n", chart.name));
            for e in errs {
                report.push_str(&format!("- {e}\n"));
            }
        }
    }
    for sub in &chart.subcharts {
        let sv = vals.get(&sub.name).unwrap_or_else(Value::empty_map);
        check_schema(sub, &sv, report);
    }
}

/// Helm's `recAllTpls`: the per-chart top-level data and its templates.
fn collect(
    chart: &Chart,
    values_for_chart: Value,
    release: &Value,
    caps: &Value,
    root: bool,
    out: &mut Vec<Renderable>,
) -> Value {
    let files = Files {
        files: chart
            .files
            .iter()
            .map(|f| (f.name.clone(), f.data.clone()))
            .collect(),
    };
    let mut next = Map::new();
    next.insert("Chart".into(), chart.metadata_map());
    next.insert("Files".into(), Value::Object(Arc::new(files)));
    next.insert("Release".into(), release.clone());
    next.insert("Capabilities".into(), caps.clone());
    let vals = if root {
        values_for_chart
    } else {
        match values_for_chart.get(&chart.name) {
            Some(v @ Value::Map(_)) => v,
            _ => Value::empty_map(),
        }
    };
    next.insert("Values".into(), vals.clone());
    let mut subs = Map::new();
    for s in &chart.subcharts {
        let sv = collect(s, vals.clone(), release, caps, false, out);
        subs.insert(s.name.clone(), sv);
    }
    next.insert("Subcharts".into(), Value::map(subs));
    let next = Value::map(next);
    let full = chart.full_path();
    for t in &chart.templates {
        let partial_only =
            chart.is_library && !t.name.rsplit('/').next().unwrap_or("").starts_with('_');
        if chart.is_library && partial_only {
            continue;
        }
        out.push(Renderable {
            path: format!("{full}/{}", t.name),
            source: String::from_utf8_lossy(&t.data).into_owned(),
            vals: next.clone(),
            base_path: format!("{full}/templates"),
            is_partial_only: partial_only,
        });
    }
    next
}
