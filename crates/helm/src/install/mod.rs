//! Install, upgrade, uninstall and rollback against a cluster, storing
//! release records in Helm's format ([`crate::release`]) so `helm list`
//! and the Helm SDK see stackbook's releases and vice versa.
//!
//! Why not shell out to `helm`: stackbook is one static binary. The flow
//! follows Helm's `action` package in its essentials: a `pending-*` record
//! first (a lock other runs see), CRDs from `crds/` before anything on
//! install (never touched on upgrade), pre-hooks, resources applied with
//! server-side apply (field manager `helm`, Helm's ownership labels and
//! annotations), objects dropped from the chart deleted on upgrade unless
//! `helm.sh/resource-policy: keep`, waiting for workloads when asked,
//! post-hooks, then the previous revision marked `superseded` and the new
//! one `deployed`. With `atomic`, a failed install is uninstalled and a
//! failed upgrade rolled back.
//!
//! Idempotence: when the deployed revision has the same chart (name,
//! version), the same user values and the same rendered manifest, nothing
//! is written and no revision is added.
//!
//! Submodules: [`wait`] (readiness per kind), [`hooks`] (hook execution),
//! [`plan`] (`--check`: server-side dry run of every object), [`diff`]
//! (`--diff`: per-object diff of two release manifests, Secrets redacted).

pub mod diff;
pub mod hooks;
pub mod plan;
pub mod wait;

pub use wait::wait_ready;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::time::Duration;

use kube::api::{Api, DeleteParams, DynamicObject, ListParams, Patch, PatchParams, PostParams};
use kube::core::{ApiResource, GroupVersionKind};
use kube::discovery::{Discovery, Scope};
use serde_json::{Value as Json, json};
use thiserror::Error;
use tokio::sync::RwLock;

use crate::chart::Chart;
use crate::release::build::go_json;
use crate::release::{
    NewRelease, Release, ReleaseError, Status, from_secret, secret_name, to_secret,
};
use crate::render::{Capabilities, ReleaseOptions, RenderError, render_chart};
use crate::value::Value;

/// Field manager for server-side apply (what Helm 4 uses).
pub const FIELD_MANAGER: &str = "helm";

/// Errors talking to the cluster or running a release action.
#[derive(Debug, Error)]
pub enum InstallError {
    /// Kubeconfig could not be loaded.
    #[error("kubeconfig: {0}")]
    Config(String),
    /// An API call failed.
    #[error("{what}: {message}")]
    Api {
        /// What was being done (`apply Deployment postgres-operator/pgo`).
        what: String,
        /// The API server's message.
        message: String,
    },
    /// The chart could not be rendered.
    #[error(transparent)]
    Render(#[from] RenderError),
    /// A rendered document is not a Kubernetes object.
    #[error("{template}: {reason}")]
    BadManifest {
        /// Template path.
        template: String,
        /// What is wrong.
        reason: String,
    },
    /// The server does not know a kind.
    #[error(
        "{template}: resource mapping not found for apiVersion {api_version:?} kind {kind:?} (is the CRD installed?)"
    )]
    UnknownKind {
        /// Template path.
        template: String,
        /// apiVersion.
        api_version: String,
        /// kind.
        kind: String,
    },
    /// A release record could not be read or written.
    #[error(transparent)]
    Record(#[from] ReleaseError),
    /// Another operation holds the release.
    #[error(
        "release {name}: another operation (install/upgrade/rollback) is in progress (revision {version} is {status})"
    )]
    Locked {
        /// Release name.
        name: String,
        /// Pending revision.
        version: i64,
        /// Its status.
        status: Status,
    },
    /// Resources did not become ready in time.
    #[error("timed out after {timeout:?} waiting for {pending}")]
    Timeout {
        /// The wait timeout.
        timeout: Duration,
        /// Resources still not ready.
        pending: String,
    },
    /// No such release/revision.
    #[error("release {0}: not found")]
    NotFound(String),
    /// The API server could not be reached (connection refused, DNS, TLS,
    /// timeout): the module reports the host unreachable.
    #[error("{what}: cluster unreachable: {message}")]
    Unreachable {
        /// What was being done.
        what: String,
        /// The transport error chain.
        message: String,
    },
    /// An object can never become ready (a failed Job or Pod).
    #[error("{object}: {reason}")]
    NotReady {
        /// `Job ns/name`.
        object: String,
        /// Why.
        reason: String,
    },
    /// A hook failed.
    #[error("{event} hook {hook} failed: {message}")]
    Hook {
        /// `pre-install`, ...
        event: String,
        /// Hook name and template.
        hook: String,
        /// The failure.
        message: String,
    },
}

impl InstallError {
    /// True when the cluster could not be reached at all.
    pub fn is_unreachable(&self) -> bool {
        matches!(self, InstallError::Unreachable { .. })
    }
}

fn api_err(what: impl Into<String>) -> impl FnOnce(kube::Error) -> InstallError {
    let what = what.into();
    move |e| match &e {
        kube::Error::Api(s) => InstallError::Api {
            what,
            message: s.message.clone(),
        },
        kube::Error::HyperError(_) | kube::Error::Service(_) => InstallError::Unreachable {
            what,
            message: crate::source::http::error_chain(&e),
        },
        other => InstallError::Api {
            what,
            message: crate::source::http::error_chain(other),
        },
    }
}

/// A connected cluster with API discovery.
pub struct Cluster {
    client: kube::Client,
    discovery: RwLock<Discovery>,
}

impl std::fmt::Debug for Cluster {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cluster").finish_non_exhaustive()
    }
}

fn secrets_resource() -> ApiResource {
    ApiResource {
        group: String::new(),
        version: "v1".into(),
        api_version: "v1".into(),
        kind: "Secret".into(),
        plural: "secrets".into(),
    }
}

impl Cluster {
    /// Connects with `kubeconfig` (and `context`), or the usual inference
    /// (`KUBECONFIG`, `~/.kube/config`, in-cluster).
    pub async fn connect(
        kubeconfig: Option<&Path>,
        context: Option<&str>,
    ) -> Result<Cluster, InstallError> {
        let options = kube::config::KubeConfigOptions {
            context: context.map(str::to_string),
            ..Default::default()
        };
        let config = match kubeconfig {
            Some(p) => {
                let kc = kube::config::Kubeconfig::read_from(p)
                    .map_err(|e| InstallError::Config(format!("{}: {e}", p.display())))?;
                kube::Config::from_custom_kubeconfig(kc, &options)
                    .await
                    .map_err(|e| InstallError::Config(format!("{}: {e}", p.display())))?
            }
            None if context.is_some() => kube::Config::from_kubeconfig(&options)
                .await
                .map_err(|e| InstallError::Config(e.to_string()))?,
            None => kube::Config::infer()
                .await
                .map_err(|e| InstallError::Config(e.to_string()))?,
        };
        let _ = rustls::crypto::ring::default_provider().install_default();
        let client =
            kube::Client::try_from(config).map_err(|e| InstallError::Config(e.to_string()))?;
        let discovery = Discovery::new(client.clone())
            .run()
            .await
            .map_err(api_err("API discovery"))?;
        Ok(Cluster {
            client,
            discovery: RwLock::new(discovery),
        })
    }

    /// Re-reads API discovery (after CRDs were created).
    pub async fn refresh(&self) -> Result<(), InstallError> {
        let d = Discovery::new(self.client.clone())
            .run()
            .await
            .map_err(api_err("API discovery"))?;
        *self.discovery.write().await = d;
        Ok(())
    }

    async fn api_for(
        &self,
        obj: &Json,
        ns: &str,
        template: &str,
    ) -> Result<(Api<DynamicObject>, String, String), InstallError> {
        let s = |p: &str| {
            obj.pointer(p)
                .and_then(Json::as_str)
                .unwrap_or("")
                .to_string()
        };
        let (api_version, kind, name) = (s("/apiVersion"), s("/kind"), s("/metadata/name"));
        if kind.is_empty() || api_version.is_empty() || name.is_empty() {
            return Err(InstallError::BadManifest {
                template: template.to_string(),
                reason: "expected apiVersion, kind and metadata.name".into(),
            });
        }
        let (group, version) = api_version.split_once('/').unwrap_or(("", &api_version));
        let gvk = GroupVersionKind::gvk(group, version, &kind);
        let found = self.discovery.read().await.resolve_gvk(&gvk);
        let Some((ar, caps)) = found else {
            return Err(InstallError::UnknownKind {
                template: template.to_string(),
                api_version,
                kind,
            });
        };
        let (api, ns) = if caps.scope == Scope::Namespaced {
            let ns = obj
                .pointer("/metadata/namespace")
                .and_then(Json::as_str)
                .filter(|n| !n.is_empty())
                .unwrap_or(ns)
                .to_string();
            (Api::namespaced_with(self.client.clone(), &ns, &ar), ns)
        } else {
            (Api::all_with(self.client.clone(), &ar), String::new())
        };
        let label = if ns.is_empty() {
            format!("{kind} {name}")
        } else {
            format!("{kind} {ns}/{name}")
        };
        Ok((api, name, label))
    }

    /// Server-side applies one object (field manager `helm`, forced like Helm 4).
    pub async fn apply(
        &self,
        obj: &Json,
        ns: &str,
        template: &str,
        dry_run: bool,
    ) -> Result<Json, InstallError> {
        let (api, name, label) = self.api_for(obj, ns, template).await?;
        let mut pp = PatchParams::apply(FIELD_MANAGER).force();
        pp.dry_run = dry_run;
        let out = api
            .patch(&name, &pp, &Patch::Apply(obj))
            .await
            .map_err(api_err(format!("apply {label}")))?;
        serde_json::to_value(out).map_err(|e| InstallError::Api {
            what: format!("apply {label}"),
            message: e.to_string(),
        })
    }

    /// Deletes one object; a missing object is fine.
    pub async fn delete(&self, obj: &Json, ns: &str, template: &str) -> Result<(), InstallError> {
        let (api, name, label) = match self.api_for(obj, ns, template).await {
            Ok(x) => x,
            Err(InstallError::UnknownKind { .. }) => return Ok(()),
            Err(e) => return Err(e),
        };
        let dp = DeleteParams {
            propagation_policy: Some(kube::api::PropagationPolicy::Background),
            ..Default::default()
        };
        match api.delete(&name, &dp).await {
            Ok(_) => Ok(()),
            Err(kube::Error::Api(s)) if s.code == 404 => Ok(()),
            Err(e) => Err(api_err(format!("delete {label}"))(e)),
        }
    }

    /// Reads one object (None when absent).
    pub async fn get(&self, obj: &Json, ns: &str) -> Result<Option<Json>, InstallError> {
        let (api, name, label) = match self.api_for(obj, ns, "").await {
            Ok(x) => x,
            Err(InstallError::UnknownKind { .. }) => return Ok(None),
            Err(e) => return Err(e),
        };
        let o = api
            .get_opt(&name)
            .await
            .map_err(api_err(format!("get {label}")))?;
        Ok(o.and_then(|o| serde_json::to_value(o).ok()))
    }

    /// Creates the namespace when missing.
    pub async fn ensure_namespace(&self, ns: &str) -> Result<bool, InstallError> {
        let obj = json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}});
        if self.get(&obj, "").await?.is_some() {
            return Ok(false);
        }
        self.apply(&obj, "", "namespace", false).await?;
        Ok(true)
    }

    fn secrets(&self, ns: &str) -> Api<DynamicObject> {
        Api::namespaced_with(self.client.clone(), ns, &secrets_resource())
    }

    /// Every stored revision of release `name`, oldest first.
    pub async fn history(&self, ns: &str, name: &str) -> Result<Vec<Release>, InstallError> {
        let lp = ListParams::default().labels(&format!("owner=helm,name={name}"));
        let list = self
            .secrets(ns)
            .list(&lp)
            .await
            .map_err(api_err(format!("list release secrets in {ns}")))?;
        let mut out = Vec::new();
        for item in list.items {
            let j = serde_json::to_value(&item).map_err(|e| InstallError::Api {
                what: "decode secret".into(),
                message: e.to_string(),
            })?;
            if j.get("type").and_then(Json::as_str) != Some(crate::release::RELEASE_SECRET_TYPE) {
                continue;
            }
            out.push(from_secret(&j)?);
        }
        out.sort_by_key(|r| r.version);
        Ok(out)
    }

    /// Creates (`create`) or overwrites a release record.
    pub async fn store(&self, rel: &Release, create: bool) -> Result<(), InstallError> {
        let now = unix_now();
        let label = if create { "createdAt" } else { "modifiedAt" };
        let secret = to_secret(rel, Some((label, now)))?;
        let what = format!("store release {}", secret_name(&rel.name, rel.version));
        let obj: DynamicObject = serde_json::from_value(secret).map_err(|e| InstallError::Api {
            what: what.clone(),
            message: e.to_string(),
        })?;
        let api = self.secrets(&rel.namespace);
        if create {
            api.create(&PostParams::default(), &obj)
                .await
                .map_err(api_err(what))?;
        } else {
            let patch =
                json!({"metadata": {"labels": obj.metadata.labels}, "data": obj.data.get("data")});
            api.patch(
                &secret_name(&rel.name, rel.version),
                &PatchParams::default(),
                &Patch::Merge(&patch),
            )
            .await
            .map_err(api_err(what))?;
        }
        Ok(())
    }

    /// Deletes a release record.
    pub async fn forget(&self, rel: &Release) -> Result<(), InstallError> {
        let name = secret_name(&rel.name, rel.version);
        match self
            .secrets(&rel.namespace)
            .delete(&name, &DeleteParams::default())
            .await
        {
            Ok(_) => Ok(()),
            Err(kube::Error::Api(s)) if s.code == 404 => Ok(()),
            Err(e) => Err(api_err(format!("delete {name}"))(e)),
        }
    }
}

fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// A parsed document of a manifest: (template path, object).
pub(crate) fn documents(
    manifest_text: &[(String, String)],
) -> Result<Vec<(String, Json)>, InstallError> {
    let mut out = Vec::new();
    for (template, content) in manifest_text {
        let docs = crate::yaml::parse_all(content).map_err(|e| InstallError::BadManifest {
            template: template.clone(),
            reason: e.to_string(),
        })?;
        for d in docs {
            let j = go_json(&d);
            if j.is_null() {
                continue;
            }
            if !j.is_object() {
                return Err(InstallError::BadManifest {
                    template: template.clone(),
                    reason: "expected a mapping".into(),
                });
            }
            out.push((template.clone(), j));
        }
    }
    Ok(out)
}

/// Splits a stored release manifest (`---\n# Source: path\n...`) into (path, content).
pub fn split_stored_manifest(manifest: &str) -> Vec<(String, String)> {
    crate::render::sort::split_manifests(manifest)
        .into_iter()
        .map(|doc| {
            let (first, rest) = doc.split_once('\n').unwrap_or((&doc, ""));
            match first.strip_prefix("# Source: ") {
                Some(src) => (src.trim().to_string(), rest.to_string()),
                None => (String::new(), doc.clone()),
            }
        })
        .filter(|(_, c)| !c.trim().is_empty())
        .collect()
}

/// Identity of an object: (apiVersion group part, kind, namespace, name).
pub(crate) fn identity(obj: &Json, ns: &str) -> (String, String, String, String) {
    let s = |p: &str| {
        obj.pointer(p)
            .and_then(Json::as_str)
            .unwrap_or("")
            .to_string()
    };
    let group = s("/apiVersion")
        .split_once('/')
        .map(|(g, _)| g.to_string())
        .unwrap_or_default();
    let n = s("/metadata/namespace");
    (
        group,
        s("/kind"),
        if n.is_empty() { ns.to_string() } else { n },
        s("/metadata/name"),
    )
}

/// Helm's ownership metadata on every resource it manages.
pub(crate) fn with_ownership(mut obj: Json, release: &str, ns: &str) -> Json {
    if let Some(md) = obj.get_mut("metadata").and_then(Json::as_object_mut) {
        let labels = md.entry("labels").or_insert_with(|| json!({}));
        if let Some(l) = labels.as_object_mut() {
            l.insert("app.kubernetes.io/managed-by".into(), json!("Helm"));
        } else {
            *labels = json!({"app.kubernetes.io/managed-by": "Helm"});
        }
        let ann = md.entry("annotations").or_insert_with(|| json!({}));
        if !ann.is_object() {
            *ann = json!({});
        }
        if let Some(a) = ann.as_object_mut() {
            a.insert("meta.helm.sh/release-name".into(), json!(release));
            a.insert("meta.helm.sh/release-namespace".into(), json!(ns));
        }
    }
    obj
}

/// What to install.
#[derive(Debug, Clone)]
pub struct InstallRequest<'a> {
    /// Release name.
    pub name: &'a str,
    /// Release namespace.
    pub namespace: &'a str,
    /// The chart.
    pub chart: &'a Chart,
    /// User-supplied values.
    pub values: &'a Value,
    /// Create the namespace when missing.
    pub create_namespace: bool,
    /// Wait for workloads to be ready.
    pub wait: bool,
    /// Wait timeout (Helm's default 5 minutes).
    pub timeout: Duration,
    /// Roll back (or uninstall) on failure.
    pub atomic: bool,
    /// Skip `crds/`.
    pub skip_crds: bool,
    /// Render and compare only; write nothing (`--check`).
    pub dry_run: bool,
    /// Keep at most this many revisions (`history_max`); older records are
    /// deleted after a successful install/upgrade. `None` keeps all.
    pub max_history: Option<usize>,
}

/// The result of an action.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// Whether the cluster changed (or would, in dry-run).
    pub changed: bool,
    /// The release now current (None after uninstall).
    pub release: Option<Release>,
    /// The deployed manifest before the action ("" when none).
    pub before_manifest: String,
    /// Warnings (e.g. values no template reads).
    pub warnings: Vec<String>,
    /// Per-object actions of a dry run (`--check`): what would be created,
    /// updated or deleted, each validated by the API server.
    pub changes: Vec<plan::ObjectChange>,
}

/// Installs or upgrades `req.name`.
pub async fn upgrade_install(
    cluster: &Cluster,
    req: &InstallRequest<'_>,
) -> Result<Outcome, InstallError> {
    let history = cluster.history(req.namespace, req.name).await?;
    if let Some(p) = history.iter().rev().find(|r| r.info.status.is_pending()) {
        return Err(InstallError::Locked {
            name: req.name.to_string(),
            version: p.version,
            status: p.info.status.clone(),
        });
    }
    let deployed = history
        .iter()
        .rev()
        .find(|r| r.info.status == Status::Deployed)
        .cloned();
    let last_version = history.last().map(|r| r.version).unwrap_or(0);
    let config = go_json(req.values);
    let caps = Capabilities::default();
    let mut warnings = Vec::new();

    if let Some(d) = &deployed {
        // Same chart, same values and the same rendering: nothing to do.
        let same_chart = d.chart_name() == req.chart.name && d.chart_version() == req.chart.version;
        let same_values = normalize_config(&d.config) == normalize_config(&config);
        if same_chart && same_values {
            let opts = ReleaseOptions {
                name: req.name.into(),
                namespace: req.namespace.into(),
                revision: d.version,
                is_install: d.version == 1,
                is_upgrade: d.version > 1,
            };
            let r = render_chart(req.chart, req.values, &opts, &caps)?;
            if r.manifest() == d.manifest {
                return Ok(Outcome {
                    changed: false,
                    release: Some(d.clone()),
                    before_manifest: d.manifest.clone(),
                    warnings,
                    changes: Vec::new(),
                });
            }
        }
    }
    let is_upgrade = deployed.is_some();
    let version = last_version + 1;
    let opts = ReleaseOptions {
        name: req.name.into(),
        namespace: req.namespace.into(),
        revision: version,
        is_install: !is_upgrade,
        is_upgrade,
    };
    let rendered = render_chart(req.chart, req.values, &opts, &caps)?;
    warnings.extend(
        rendered
            .unused_values
            .iter()
            .map(|p| format!("value {p} is never read by chart {}", req.chart.name)),
    );
    let now = crate::release::time::now_rfc3339();
    let first = deployed.as_ref().map(|d| d.info.first_deployed.clone());
    let mut rel = NewRelease {
        name: req.name,
        namespace: req.namespace,
        version,
        chart: req.chart,
        config: req.values,
        rendered: &rendered,
        status: if is_upgrade {
            Status::PendingUpgrade
        } else {
            Status::PendingInstall
        },
        description: if is_upgrade {
            "Preparing upgrade"
        } else {
            "Initial install underway"
        },
        first_deployed: first.as_deref(),
        now: &now,
        labels: BTreeMap::new(),
    }
    .build();
    let before_manifest = deployed
        .as_ref()
        .map(|d| d.manifest.clone())
        .unwrap_or_default();
    // Validate every document before touching the cluster.
    let new_docs = documents(
        &rendered
            .manifests
            .iter()
            .map(|m| (m.name.clone(), m.content.clone()))
            .collect::<Vec<_>>(),
    )?;
    if req.dry_run {
        // Server-side dry run (dryRun=All) of every object: the API server
        // validates and defaults them; nothing is written.
        let changes = plan::dry_run(
            cluster,
            req,
            &rendered,
            &new_docs,
            deployed.as_ref(),
            is_upgrade,
            &mut warnings,
        )
        .await?;
        rel.info.status = Status::Deployed;
        return Ok(Outcome {
            changed: true,
            release: Some(rel),
            before_manifest,
            warnings,
            changes,
        });
    }
    if req.create_namespace {
        cluster.ensure_namespace(req.namespace).await?;
    }
    // An install over an uninstalled/failed history replaces the records like Helm's --replace.
    cluster.store(&rel, true).await?;
    let result = deploy(
        cluster,
        req,
        &rendered,
        &new_docs,
        deployed.as_ref(),
        is_upgrade,
        &mut rel.hooks,
    )
    .await;
    match result {
        Ok(()) => {
            if let Some(d) = &deployed {
                let mut old = d.clone();
                old.info.status = Status::Superseded;
                cluster.store(&old, false).await?;
            }
            rel.info.status = Status::Deployed;
            rel.info.description = if is_upgrade {
                "Upgrade complete".into()
            } else {
                "Install complete".into()
            };
            cluster.store(&rel, false).await?;
            if let Some(max) = req.max_history.filter(|m| *m > 0) {
                let all = cluster.history(req.namespace, req.name).await?;
                let excess = all.len().saturating_sub(max);
                for old in all.iter().filter(|r| r.version != rel.version).take(excess) {
                    cluster.forget(old).await?;
                }
            }
            Ok(Outcome {
                changed: true,
                release: Some(rel),
                before_manifest,
                warnings,
                changes: Vec::new(),
            })
        }
        Err(e) => {
            rel.info.status = Status::Failed;
            rel.info.description = format!(
                "{} \"{}\" failed: {e}",
                if is_upgrade { "Upgrade" } else { "Release" },
                req.name
            );
            cluster.store(&rel, false).await?;
            if req.atomic {
                match &deployed {
                    Some(d) => {
                        rollback_to(
                            cluster,
                            req.name,
                            req.namespace,
                            d,
                            version + 1,
                            req.timeout,
                            req.wait,
                        )
                        .await?;
                    }
                    None => {
                        uninstall(cluster, req.name, req.namespace, false, req.timeout).await?;
                    }
                }
                return Err(InstallError::Api {
                    what: format!("release {} (atomic: rolled back)", req.name),
                    message: e.to_string(),
                });
            }
            Err(e)
        }
    }
}

fn normalize_config(v: &Json) -> Json {
    match v {
        Json::Object(m) if m.is_empty() => Json::Null,
        other => other.clone(),
    }
}

async fn deploy(
    cluster: &Cluster,
    req: &InstallRequest<'_>,
    rendered: &crate::render::Rendered,
    new_docs: &[(String, Json)],
    previous: Option<&Release>,
    is_upgrade: bool,
    hooks: &mut [crate::release::Hook],
) -> Result<(), InstallError> {
    // CRDs first, on install only (Helm never upgrades or deletes them).
    if !is_upgrade && !req.skip_crds && !rendered.crds.is_empty() {
        let crd_docs = documents(
            &rendered
                .crds
                .iter()
                .map(|c| (c.name.clone(), c.text()))
                .collect::<Vec<_>>(),
        )?;
        for (t, d) in &crd_docs {
            cluster.apply(d, req.namespace, t, false).await?;
        }
        cluster.refresh().await?;
    }
    let event = if is_upgrade {
        "pre-upgrade"
    } else {
        "pre-install"
    };
    hooks::run(cluster, req.namespace, hooks, event, req.timeout).await?;
    for (t, d) in new_docs {
        cluster
            .apply(
                &with_ownership(d.clone(), req.name, req.namespace),
                req.namespace,
                t,
                false,
            )
            .await?;
    }
    if let Some(prev) = previous {
        let keep: BTreeSet<_> = new_docs
            .iter()
            .map(|(_, d)| identity(d, req.namespace))
            .collect();
        let old = documents(&split_stored_manifest(&prev.manifest))?;
        for (t, d) in old.iter().rev() {
            let policy = d
                .pointer("/metadata/annotations/helm.sh~1resource-policy")
                .and_then(Json::as_str);
            if !keep.contains(&identity(d, req.namespace)) && policy != Some("keep") {
                cluster.delete(d, req.namespace, t).await?;
            }
        }
    }
    if req.wait {
        wait_ready(cluster, new_docs, req.namespace, req.timeout).await?;
    }
    let event = if is_upgrade {
        "post-upgrade"
    } else {
        "post-install"
    };
    hooks::run(cluster, req.namespace, hooks, event, req.timeout).await
}

/// Uninstalls: deletes the release's resources (reverse install order,
/// `helm.sh/resource-policy: keep` honoured) and every release record.
pub async fn uninstall(
    cluster: &Cluster,
    name: &str,
    ns: &str,
    dry_run: bool,
    timeout: Duration,
) -> Result<Outcome, InstallError> {
    let history = cluster.history(ns, name).await?;
    let Some(mut last) = history
        .iter()
        .rev()
        .find(|r| r.info.status != Status::Uninstalled)
        .or(history.last())
        .cloned()
    else {
        return Ok(Outcome {
            changed: false,
            release: None,
            before_manifest: String::new(),
            warnings: Vec::new(),
            changes: Vec::new(),
        });
    };
    let docs = documents(&split_stored_manifest(&last.manifest))?;
    let kept = |d: &Json| {
        d.pointer("/metadata/annotations/helm.sh~1resource-policy")
            .and_then(Json::as_str)
            == Some("keep")
    };
    if dry_run {
        let changes = docs
            .iter()
            .filter(|(_, d)| !kept(d))
            .map(|(t, d)| plan::ObjectChange::of(plan::Action::Delete, t, d, ns))
            .collect();
        return Ok(Outcome {
            changed: true,
            release: None,
            before_manifest: last.manifest,
            warnings: Vec::new(),
            changes,
        });
    }
    // Helm's order: mark `uninstalling`, pre-delete hooks, delete the
    // resources (reverse install order), post-delete hooks, drop the records.
    last.info.status = Status::Uninstalling;
    last.info.description = "Deletion in progress (or silently failed)".into();
    cluster.store(&last, false).await?;
    hooks::run(cluster, ns, &mut last.hooks, "pre-delete", timeout).await?;
    for (t, d) in docs.iter().rev() {
        if !kept(d) {
            cluster.delete(d, ns, t).await?;
        }
    }
    hooks::run(cluster, ns, &mut last.hooks, "post-delete", timeout).await?;
    for r in &history {
        cluster.forget(r).await?;
    }
    Ok(Outcome {
        changed: true,
        release: None,
        before_manifest: last.manifest,
        warnings: Vec::new(),
        changes: Vec::new(),
    })
}

/// Rolls back to `revision` (0 = the previous one), as a new revision.
pub async fn rollback(
    cluster: &Cluster,
    name: &str,
    ns: &str,
    revision: i64,
    timeout: Duration,
    wait: bool,
) -> Result<Outcome, InstallError> {
    let history = cluster.history(ns, name).await?;
    let last = history
        .last()
        .ok_or_else(|| InstallError::NotFound(name.to_string()))?;
    let target_version = if revision > 0 {
        revision
    } else {
        last.version - 1
    };
    let target = history
        .iter()
        .find(|r| r.version == target_version)
        .ok_or_else(|| InstallError::NotFound(format!("{name} revision {target_version}")))?
        .clone();
    let before = history
        .iter()
        .rev()
        .find(|r| r.info.status == Status::Deployed)
        .map(|r| r.manifest.clone())
        .unwrap_or_default();
    let rel = rollback_to(cluster, name, ns, &target, last.version + 1, timeout, wait).await?;
    Ok(Outcome {
        changed: true,
        release: Some(rel),
        before_manifest: before,
        warnings: Vec::new(),
        changes: Vec::new(),
    })
}

async fn rollback_to(
    cluster: &Cluster,
    name: &str,
    ns: &str,
    target: &Release,
    version: i64,
    timeout: Duration,
    wait: bool,
) -> Result<Release, InstallError> {
    let history = cluster.history(ns, name).await?;
    let mut rel = target.clone();
    rel.version = version;
    rel.info.status = Status::PendingRollback;
    rel.info.description = format!("Rollback to {}", target.version);
    rel.info.last_deployed = crate::release::time::now_rfc3339();
    rel.info.deleted = String::new();
    let docs = documents(&split_stored_manifest(&target.manifest))?;
    cluster.store(&rel, true).await?;
    // From here on a failure marks the revision failed, so no
    // `pending-rollback` record is left to lock the release.
    let current = history
        .iter()
        .rev()
        .find(|r| r.info.status == Status::Deployed || r.info.status == Status::Failed);
    let applied = apply_rollback(cluster, name, ns, &docs, current, &mut rel, timeout, wait).await;
    if let Err(e) = applied {
        rel.info.status = Status::Failed;
        rel.info.description = format!("Rollback \"{name}\" failed: {e}");
        cluster.store(&rel, false).await?;
        return Err(e);
    }
    for r in history.iter().filter(|r| r.info.status == Status::Deployed) {
        let mut old = r.clone();
        old.info.status = Status::Superseded;
        cluster.store(&old, false).await?;
    }
    rel.info.status = Status::Deployed;
    cluster.store(&rel, false).await?;
    Ok(rel)
}

/// The cluster side of a rollback: `pre-rollback` hooks, the target's
/// objects applied, objects only the current revision has deleted, wait,
/// `post-rollback` hooks.
#[allow(clippy::too_many_arguments)]
async fn apply_rollback(
    cluster: &Cluster,
    name: &str,
    ns: &str,
    docs: &[(String, Json)],
    current: Option<&Release>,
    rel: &mut Release,
    timeout: Duration,
    wait: bool,
) -> Result<(), InstallError> {
    hooks::run(cluster, ns, &mut rel.hooks, "pre-rollback", timeout).await?;
    for (t, d) in docs {
        cluster
            .apply(&with_ownership(d.clone(), name, ns), ns, t, false)
            .await?;
    }
    if let Some(current) = current {
        let keep: BTreeSet<_> = docs.iter().map(|(_, d)| identity(d, ns)).collect();
        for (t, d) in documents(&split_stored_manifest(&current.manifest))?
            .iter()
            .rev()
        {
            let policy = d
                .pointer("/metadata/annotations/helm.sh~1resource-policy")
                .and_then(Json::as_str);
            if !keep.contains(&identity(d, ns)) && policy != Some("keep") {
                cluster.delete(d, ns, t).await?;
            }
        }
    }
    if wait {
        wait_ready(cluster, docs, ns, timeout).await?;
    }
    hooks::run(cluster, ns, &mut rel.hooks, "post-rollback", timeout).await
}
