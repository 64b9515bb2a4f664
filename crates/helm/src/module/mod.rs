//! The `kubernetes.core.helm` module (alias `helm`) for stackbook's engine:
//! chart sources + rendering + release storage behind Ansible's interface.
//!
//! ```yaml
//! - kubernetes.core.helm:
//!     name: pgo
//!     chart_ref: oci://registry.developers.crunchydata.com/crunchydata/pgo
//!     chart_version: 5.8.2
//!     release_namespace: postgres-operator
//!     create_namespace: true
//!     wait: true
//!     wait_timeout: 10m
//!     values: {singleNamespace: false}
//! ```
//!
//! Modules are synchronous; the async cluster and registry code runs on one
//! process-wide tokio runtime kept in a `OnceLock`.

use std::path::PathBuf;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use serde::Deserialize;
use serde_json::{Map, Value as Json, json};
use stackbook_engine::modules::{
    Module, ModuleContext, ModuleResult, Registry, args, failed, parse_args,
};

use crate::install::{self, Cluster, InstallRequest, Outcome};
use crate::source::{self, ChartRef, FetchOptions, repositories};
use crate::values::{SetMode, UserValues};

pub mod repository;

/// Registers `kubernetes.core.helm` (alias `helm`),
/// `kubernetes.core.helm_info` (alias `helm_info`) and
/// `kubernetes.core.helm_repository` (alias `helm_repository`).
pub fn register(registry: &mut Registry) {
    registry.register(
        "kubernetes.core.helm_repository",
        &["helm_repository"],
        Arc::new(repository::HelmRepository),
        false,
    );
    registry.register("kubernetes.core.helm", &["helm"], Arc::new(Helm), false);
    registry.register(
        "kubernetes.core.helm_info",
        &["helm_info"],
        Arc::new(HelmInfo),
        false,
    );
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct HelmInfoArgs {
    #[serde(alias = "release_name", deserialize_with = "args::string_opt", default)]
    name: Option<String>,
    #[serde(alias = "namespace", deserialize_with = "args::string_opt", default)]
    release_namespace: Option<String>,
    #[serde(
        alias = "kubeconfig_path",
        deserialize_with = "args::string_opt",
        default
    )]
    kubeconfig: Option<String>,
    #[serde(alias = "context", deserialize_with = "args::string_opt", default)]
    kube_context: Option<String>,
}

/// `kubernetes.core.helm_info`: the release's current revision (never changes anything).
pub struct HelmInfo;

impl Module for HelmInfo {
    fn docs(&self) -> Option<stackbook_engine::modules::docs::DocSource> {
        Some(stackbook_engine::module_docs!("helm_info"))
    }

    fn run(&self, context: &ModuleContext<'_>, args: Json) -> ModuleResult {
        let a: HelmInfoArgs = match parse_args("kubernetes.core.helm_info", args) {
            Ok(a) => a,
            Err(f) => return f,
        };
        let info = || -> Result<ModuleResult, ModError> {
            let name = a.name.clone().ok_or("missing required arguments: name")?;
            let namespace = a
                .release_namespace
                .clone()
                .ok_or("missing required arguments: release_namespace")?;
            let kubeconfig = a
                .kubeconfig
                .clone()
                .map(PathBuf::from)
                .or_else(|| task_env(context, "K8S_AUTH_KUBECONFIG").map(PathBuf::from));
            let kube_context = a
                .kube_context
                .clone()
                .or_else(|| task_env(context, "K8S_AUTH_CONTEXT"));
            let history = runtime()?.block_on(async {
                let c = Cluster::connect(kubeconfig.as_deref(), kube_context.as_deref()).await?;
                Ok::<_, ModError>(c.history(&namespace, &name).await?)
            })?;
            let current = history
                .iter()
                .rev()
                .find(|r| r.info.status == crate::release::Status::Deployed)
                .or(history.last());
            let out = Outcome {
                changed: false,
                release: current.cloned(),
                before_manifest: String::new(),
                warnings: Vec::new(),
                changes: Vec::new(),
            };
            Ok(result(context, &out, &name, &namespace))
        };
        info().unwrap_or_else(ModError::into_result)
    }
}

fn runtime() -> Result<&'static tokio::runtime::Runtime, String> {
    static RT: OnceLock<Result<tokio::runtime::Runtime, String>> = OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("stackbook-helm")
            .enable_all()
            .build()
            .map_err(|e| format!("cannot start the async runtime: {e}"))
    })
    .as_ref()
    .map_err(Clone::clone)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SetValue {
    #[serde(deserialize_with = "args::string_opt", default)]
    value: Option<String>,
    #[serde(deserialize_with = "args::string_opt", default)]
    value_type: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct HelmArgs {
    #[serde(alias = "release_name", deserialize_with = "args::string_opt", default)]
    name: Option<String>,
    #[serde(alias = "chart", deserialize_with = "args::string_opt", default)]
    chart_ref: Option<String>,
    #[serde(deserialize_with = "args::string_opt", default)]
    chart_version: Option<String>,
    #[serde(deserialize_with = "args::string_opt", default)]
    chart_repo_url: Option<String>,
    #[serde(alias = "namespace", deserialize_with = "args::string_opt", default)]
    release_namespace: Option<String>,
    #[serde(default, deserialize_with = "args::bool_opt")]
    create_namespace: Option<bool>,
    #[serde(alias = "state", deserialize_with = "args::string_opt", default)]
    release_state: Option<String>,
    #[serde(alias = "release_values", default)]
    values: Option<Json>,
    #[serde(default, deserialize_with = "args::string_list")]
    values_files: Vec<String>,
    #[serde(default)]
    set_values: Vec<SetValue>,
    #[serde(default, deserialize_with = "args::bool_opt")]
    wait: Option<bool>,
    wait_timeout: Option<Json>,
    #[serde(
        alias = "kubeconfig_path",
        deserialize_with = "args::string_opt",
        default
    )]
    kubeconfig: Option<String>,
    #[serde(alias = "context", deserialize_with = "args::string_opt", default)]
    kube_context: Option<String>,
    #[serde(default, deserialize_with = "args::bool_opt")]
    update_repo_cache: Option<bool>,
    #[serde(default, deserialize_with = "args::bool_opt")]
    atomic: Option<bool>,
    #[serde(default, deserialize_with = "args::bool_opt")]
    skip_crds: Option<bool>,
    #[serde(default, deserialize_with = "args::bool_opt")]
    plain_http: Option<bool>,
    #[serde(deserialize_with = "args::string_opt", default)]
    registry_config: Option<String>,
    #[serde(deserialize_with = "args::string_opt", default)]
    ca_cert: Option<String>,
    #[serde(default, deserialize_with = "args::bool_opt")]
    force: Option<bool>,
    #[serde(default, deserialize_with = "args::int_opt")]
    history_max: Option<i64>,
}

/// Go-style durations (`10m`, `1h30m`, `90s`, `500ms`) or plain seconds.
pub fn parse_duration(v: &Json) -> Result<Duration, String> {
    if let Some(n) = v.as_u64() {
        return Ok(Duration::from_secs(n));
    }
    let s = v
        .as_str()
        .ok_or_else(|| format!("wait_timeout: expected a duration like 10m, got {v}"))?
        .trim();
    if let Ok(n) = s.parse::<u64>() {
        return Ok(Duration::from_secs(n));
    }
    let mut total = 0f64;
    let mut rest = s;
    if rest.is_empty() {
        return Err("wait_timeout: empty duration".into());
    }
    while !rest.is_empty() {
        let num_end = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let n: f64 = rest[..num_end]
            .parse()
            .map_err(|_| format!("wait_timeout: invalid duration {s:?}"))?;
        rest = &rest[num_end..];
        let unit_end = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let mult = match &rest[..unit_end] {
            "h" => 3600.0,
            "m" => 60.0,
            "s" => 1.0,
            "ms" => 0.001,
            other => {
                return Err(format!(
                    "wait_timeout: unknown unit {other:?} in {s:?} (use h, m, s, ms)"
                ));
            }
        };
        total += n * mult;
        rest = &rest[unit_end..];
    }
    Ok(Duration::from_secs_f64(total))
}

/// The `kubernetes.core.helm` module.
pub struct Helm;

impl Module for Helm {
    fn docs(&self) -> Option<stackbook_engine::modules::docs::DocSource> {
        Some(stackbook_engine::module_docs!("helm"))
    }

    fn run(&self, context: &ModuleContext<'_>, args: Json) -> ModuleResult {
        let a: HelmArgs = match parse_args("kubernetes.core.helm", args) {
            Ok(a) => a,
            Err(f) => return f,
        };
        match run(context, a) {
            Ok(r) => r,
            Err(e) => e.into_result(),
        }
    }
}

/// A module failure: a plain failure, or a target that could not be
/// reached at all (the API server or a registry/repository host), which the
/// engine reports as an unreachable host (exit code 4), like the `k8s` module.
#[derive(Debug)]
pub(crate) enum ModError {
    /// `failed: true`.
    Failed(String),
    /// `unreachable: true`.
    Unreachable(String),
}

impl From<String> for ModError {
    fn from(s: String) -> Self {
        ModError::Failed(s)
    }
}

impl From<&str> for ModError {
    fn from(s: &str) -> Self {
        ModError::Failed(s.to_string())
    }
}

impl From<install::InstallError> for ModError {
    fn from(e: install::InstallError) -> Self {
        if e.is_unreachable() {
            ModError::Unreachable(e.to_string())
        } else {
            ModError::Failed(e.to_string())
        }
    }
}

impl From<source::SourceError> for ModError {
    fn from(e: source::SourceError) -> Self {
        match &e {
            source::SourceError::Http { url, .. } if !url.is_empty() => {
                ModError::Unreachable(e.to_string())
            }
            _ => ModError::Failed(e.to_string()),
        }
    }
}

impl ModError {
    /// The module result.
    pub(crate) fn into_result(self) -> ModuleResult {
        match self {
            ModError::Failed(m) => failed(m),
            ModError::Unreachable(m) => {
                let mut r = failed(m);
                r.insert("unreachable".into(), Json::Bool(true));
                r
            }
        }
    }
}

/// An environment variable as the task sees it: its `environment:` first,
/// then the process.
pub(crate) fn task_env(context: &ModuleContext<'_>, key: &str) -> Option<String> {
    context
        .environment
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.clone())
        .or_else(|| std::env::var(key).ok())
}

/// The chart cache: `$XDG_CACHE_HOME/stackbook/charts` as the task sees it.
pub(crate) fn chart_cache(context: &ModuleContext<'_>) -> source::Cache {
    match task_env(context, "XDG_CACHE_HOME").filter(|v| !v.is_empty()) {
        Some(x) => source::Cache::new(PathBuf::from(x).join("stackbook").join("charts")),
        None => source::Cache::new(source::Cache::default_root()),
    }
}

fn user_values(context: &ModuleContext<'_>, a: &HelmArgs) -> Result<UserValues, ModError> {
    let mut user = UserValues::new();
    if let Some(v) = a.values.as_ref().filter(|v| !v.is_null()) {
        let text = serde_json::to_string(v).map_err(|e| e.to_string())?;
        user.add_yaml("values", &text).map_err(|e| e.to_string())?;
    }
    for f in &a.values_files {
        let p = context.find_source(f, "files");
        let text = std::fs::read_to_string(&p)
            .map_err(|e| format!("values_files: {}: {e}", p.display()))?;
        user.add_yaml(f, &text).map_err(|e| e.to_string())?;
    }
    for s in &a.set_values {
        let expr = s
            .value
            .as_deref()
            .ok_or("set_values: each entry needs `value`")?;
        let mode = match s.value_type.as_deref().unwrap_or("raw") {
            "raw" => SetMode::Typed,
            "string" => SetMode::String,
            "json" => SetMode::Json,
            other => {
                return Err(format!(
                    "set_values: value_type must be raw, string or json, got {other:?}"
                )
                .into());
            }
        };
        user.set(expr, mode).map_err(|e| e.to_string())?;
    }
    Ok(user)
}

/// Fetch options for `chart_ref`; a `repo/chart` without `chart_repo_url`
/// resolves through Helm's repositories file (`helm_repository`).
fn fetch_options(
    context: &ModuleContext<'_>,
    a: &HelmArgs,
    reference: &ChartRef,
) -> Result<FetchOptions, ModError> {
    let mut fetch = FetchOptions {
        cache: chart_cache(context),
        plain_http: a.plain_http.unwrap_or(false),
        registry_config: a.registry_config.clone().map(PathBuf::from),
        repo_url: a.chart_repo_url.clone(),
        update_repo_cache: a.update_repo_cache.unwrap_or(false),
        http: source::http::HttpOptions {
            ca_file: a.ca_cert.clone().map(PathBuf::from),
            ..Default::default()
        },
        ..Default::default()
    };
    if let ChartRef::Repo { repo, chart } = reference
        && a.chart_repo_url.is_none()
    {
        let env = |k: &str| task_env(context, k);
        let path = repositories::config_path(&env);
        let file = repositories::RepositoryFile::load(&path)?;
        let entry = file.get(repo)?.ok_or_else(|| {
            let known = file.names();
            format!(
                "chart_ref {repo}/{chart}: no repository named {repo:?} in {} (known: {}); add it with helm_repository or set chart_repo_url",
                path.display(),
                if known.is_empty() { "none".to_string() } else { known.join(", ") }
            )
        })?;
        fetch.repo_url = Some(entry.url.clone());
        if !entry.username.is_empty() || !entry.password.is_empty() {
            fetch.credentials = Some(source::Credentials {
                username: entry.username.clone(),
                password: entry.password.clone(),
            });
        }
        fetch.pass_credentials_all = entry.pass_credentials_all;
        if !entry.ca_file.is_empty() && fetch.http.ca_file.is_none() {
            fetch.http.ca_file = Some(PathBuf::from(&entry.ca_file));
        }
        fetch.http.insecure_skip_tls_verify = entry.insecure_skip_tls_verify;
    }
    Ok(fetch)
}

fn run(context: &ModuleContext<'_>, a: HelmArgs) -> Result<ModuleResult, ModError> {
    // `force` is accepted for compatibility: stackbook always applies with
    // server-side apply and `force=true` (Helm 4's behaviour), which takes
    // over conflicting fields as `helm upgrade --force` would.
    let _ = a.force;
    let name = a.name.clone().ok_or("missing required arguments: name")?;
    let namespace = a
        .release_namespace
        .clone()
        .ok_or("missing required arguments: release_namespace")?;
    let state = a.release_state.clone().unwrap_or_else(|| "present".into());
    let timeout = match &a.wait_timeout {
        Some(v) => parse_duration(v)?,
        None => Duration::from_secs(300),
    };
    let kubeconfig = a
        .kubeconfig
        .clone()
        .map(PathBuf::from)
        .or_else(|| task_env(context, "K8S_AUTH_KUBECONFIG").map(PathBuf::from));
    let kube_context = a
        .kube_context
        .clone()
        .or_else(|| task_env(context, "K8S_AUTH_CONTEXT"));
    let rt = runtime()?;
    match state.as_str() {
        "absent" => rt.block_on(async {
            let cluster = Cluster::connect(kubeconfig.as_deref(), kube_context.as_deref()).await?;
            let out = install::uninstall(&cluster, &name, &namespace, context.check_mode, timeout)
                .await?;
            Ok(result(context, &out, &name, &namespace))
        }),
        "present" => {
            let chart_ref = a
                .chart_ref
                .clone()
                .ok_or("missing required arguments: chart_ref")?;
            let version = a.chart_version.clone().unwrap_or_default();
            let values = user_values(context, &a)?.to_value();
            let reference = ChartRef::parse(&chart_ref)?;
            let fetch = fetch_options(context, &a, &reference)?;
            rt.block_on(async {
                let chart = match &reference {
                    ChartRef::Local(p) => {
                        let p = if p.exists() {
                            p.clone()
                        } else {
                            context.find_source(&chart_ref, "files")
                        };
                        crate::load_chart(&p).map_err(|e| e.to_string())?
                    }
                    _ => {
                        let f = source::fetch(&reference, &version, &fetch).await?;
                        crate::chart::load_archive(&f.archive, &chart_ref)
                            .map_err(|e| e.to_string())?
                    }
                };
                if !version.is_empty()
                    && matches!(reference, ChartRef::Local(_))
                    && chart.version != version
                    && crate::source::oci::is_exact_version(&version)
                {
                    return Err(format!(
                        "chart {chart_ref} has version {}, not the requested {version}",
                        chart.version
                    )
                    .into());
                }
                let cluster =
                    Cluster::connect(kubeconfig.as_deref(), kube_context.as_deref()).await?;
                let req = InstallRequest {
                    name: &name,
                    namespace: &namespace,
                    chart: &chart,
                    values: &values,
                    create_namespace: a.create_namespace.unwrap_or(false),
                    wait: a.wait.unwrap_or(false),
                    timeout,
                    atomic: a.atomic.unwrap_or(false),
                    skip_crds: a.skip_crds.unwrap_or(false),
                    dry_run: context.check_mode,
                    max_history: a.history_max.and_then(|m| usize::try_from(m).ok()),
                };
                let out = install::upgrade_install(&cluster, &req).await?;
                Ok(result(context, &out, &name, &namespace))
            })
        }
        other => Err(format!(
            "value of release_state must be one of: present, absent, got: {other}"
        )
        .into()),
    }
}

fn result(context: &ModuleContext<'_>, out: &Outcome, name: &str, namespace: &str) -> ModuleResult {
    let mut r = Map::new();
    r.insert("changed".into(), Json::Bool(out.changed));
    if let Some(rel) = &out.release {
        r.insert(
            "status".into(),
            json!({
                "name": name,
                "namespace": namespace,
                "revision": rel.version.to_string(),
                "status": rel.info.status.as_str(),
                "chart": format!("{}-{}", rel.chart_name(), rel.chart_version()),
                "app_version": rel.app_version(),
                "updated": rel.info.last_deployed,
                "values": if rel.config.is_null() { json!({}) } else { rel.config.clone() },
            }),
        );
    }
    if !out.warnings.is_empty() {
        r.insert("warnings".into(), json!(out.warnings));
    }
    if context.check_mode && out.changed {
        r.insert(
            "changes".into(),
            Json::Array(out.changes.iter().map(|c| c.to_json()).collect()),
        );
    }
    if context.diff && out.changed {
        let after = out
            .release
            .as_ref()
            .map(|x| x.manifest.as_str())
            .unwrap_or_default();
        r.insert(
            "diff".into(),
            Json::Array(install::diff::manifest_diffs(
                &out.before_manifest,
                after,
                namespace,
            )),
        );
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(
            parse_duration(&json!("10m")).unwrap(),
            Duration::from_secs(600)
        );
        assert_eq!(
            parse_duration(&json!("1h30m5s")).unwrap(),
            Duration::from_secs(5405)
        );
        assert_eq!(parse_duration(&json!(45)).unwrap(), Duration::from_secs(45));
        assert_eq!(
            parse_duration(&json!("500ms")).unwrap(),
            Duration::from_millis(500)
        );
        assert!(parse_duration(&json!("10 minutes")).is_err());
        assert!(parse_duration(&json!("")).is_err());
    }
}
