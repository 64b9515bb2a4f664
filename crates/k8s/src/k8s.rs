//! `kubernetes.core.k8s`: make objects present, absent or patched.
//!
//! ```yaml
//! - kubernetes.core.k8s:
//!     kubeconfig: "{{ k3s_kubeconfig_path }}"
//!     state: present
//!     wait: true
//!     definition: {apiVersion: v1, kind: Namespace, metadata: {name: database}}
//! ```
//!
//! Objects are written with server-side apply (field manager `stackbook`), validated
//! `Strict`ly so a misspelled field fails instead of being pruned, and reported `changed` only
//! when the server really changed them (`resourceVersion` moved; in check mode, the dry-run
//! result differs from the live object).

use std::sync::Arc;
use std::time::Duration;

use serde_json::{Map, Value as Json};
use stackbook_engine::modules::{Module, ModuleContext, ModuleResult, failed, parse_args};

use crate::cluster::Cluster;
use crate::connection::ConnectionArgs;
use crate::definitions;
use crate::diff;
use crate::discovery::ApiResource;
use crate::error::K8sError;
use crate::ops::{self, Target};
use crate::wait;

mod task;

use task::{K8sArgs, Method, State, Task};

/// The `kubernetes.core.k8s` module.
#[derive(Debug, Default)]
pub struct K8s;

/// Module name in messages.
const NAME: &str = "kubernetes.core.k8s";

impl Module for K8s {
    fn docs(&self) -> Option<stackbook_engine::modules::docs::DocSource> {
        Some(stackbook_engine::module_docs!(
            "k8s",
            fragments = ["k8s_connection"]
        ))
    }

    fn run(&self, context: &ModuleContext<'_>, args: Json) -> ModuleResult {
        let mut map = match args {
            Json::Object(map) => map,
            Json::Null => Map::new(),
            other => return failed(format!("{NAME}: arguments must be a mapping, got {other}")),
        };
        let connection = match ConnectionArgs::take(&mut map) {
            Ok(connection) => connection,
            Err(message) => return failed(message),
        };
        let args: K8sArgs = match parse_args(NAME, Json::Object(map)) {
            Ok(args) => args,
            Err(failure) => return failure,
        };
        let task = match Task::prepare(context, args) {
            Ok(task) => task,
            Err(message) => return failed(message),
        };
        let source = connection.source(context);
        let outcome = crate::runtime::block_on(async {
            let cluster = crate::cluster::connect(&connection, &source).await?;
            task.run(&cluster).await
        });
        match outcome {
            None => failed("cannot start the Kubernetes client runtime (no threads available)"),
            Some(Ok(result)) => result,
            Some(Err(error)) => error.into_result(),
        }
    }
}

impl Task {
    async fn run(&self, cluster: &Arc<Cluster>) -> Result<ModuleResult, K8sError> {
        let mut objects = self.objects.clone();
        if let Some((api_version, kind, namespace, selector)) = &self.selection {
            let resource = cluster
                .discovery
                .resolve(cluster, api_version, kind, Duration::ZERO)
                .await?;
            let namespace = resource.namespaced.then(|| {
                namespace
                    .clone()
                    .unwrap_or_else(|| cluster.default_namespace.clone())
            });
            objects = ops::list(
                cluster,
                &resource,
                namespace.as_deref(),
                Some(selector),
                None,
            )
            .await?;
        }
        let crd_kinds = definitions::crd_kinds(&objects);
        let mut outcomes = Vec::new();
        let mut errors = Vec::new();
        for object in &objects {
            match self.one(cluster, object, &crd_kinds).await {
                Ok(outcome) => outcomes.push(outcome),
                Err(error)
                    if self.continue_on_error && !matches!(error, K8sError::Unreachable { .. }) =>
                {
                    errors.push(error.to_string());
                    outcomes.push(error_outcome(&error));
                }
                Err(error) => return Err(error),
            }
        }
        Ok(self.assemble(outcomes, errors))
    }

    fn assemble(&self, mut outcomes: Vec<Map<String, Json>>, errors: Vec<String>) -> ModuleResult {
        let changed = outcomes
            .iter()
            .any(|o| o.get("changed").and_then(Json::as_bool) == Some(true));
        let warnings: Vec<Json> = outcomes
            .iter()
            .filter_map(|o| o.get("warnings").and_then(Json::as_array))
            .flatten()
            .cloned()
            .collect();
        let mut result = Map::new();
        result.insert("changed".into(), Json::Bool(changed));
        if outcomes.len() == 1 {
            let mut only = outcomes.remove(0);
            for key in ["result", "method", "diff", "duration", "backup_guard"] {
                if let Some(value) = only.remove(key) {
                    result.insert(key.into(), value);
                }
            }
        } else {
            let diffs: Vec<Json> = outcomes
                .iter_mut()
                .filter_map(|o| o.remove("diff"))
                .collect();
            if !diffs.is_empty() {
                result.insert("diff".into(), Json::Array(diffs));
            }
            let method = match self.state {
                State::Absent => "delete",
                State::Patched => "patch",
                State::Present => self.method.name(),
            };
            result.insert("method".into(), Json::String(method.into()));
            result.insert(
                "result".into(),
                serde_json::json!({"results": outcomes.into_iter().map(Json::Object).collect::<Vec<_>>()}),
            );
        }
        result.insert("warnings".into(), Json::Array(warnings));
        if !errors.is_empty() {
            result.insert("failed".into(), Json::Bool(true));
            result.insert("msg".into(), Json::String(errors.join("; ")));
        }
        result
    }

    /// Resolves an object's resource; kinds served by a CRD of the same task may take a moment.
    async fn resource(
        &self,
        cluster: &Cluster,
        identity: &definitions::Identity,
        crd_kinds: &[(String, String)],
    ) -> Result<Option<ApiResource>, K8sError> {
        let group = identity
            .api_version
            .rsplit_once('/')
            .map(|(g, _)| g)
            .unwrap_or("");
        let from_this_task = crd_kinds
            .iter()
            .any(|(g, k)| g == group && *k == identity.kind);
        let patience = if from_this_task && !self.check_mode {
            Duration::from_secs(30)
        } else {
            Duration::ZERO
        };
        match cluster
            .discovery
            .resolve(cluster, &identity.api_version, &identity.kind, patience)
            .await
        {
            Ok(resource) => Ok(Some(resource)),
            // In check mode the CRD (here, or in an earlier task such as a Helm install) was
            // only dry-run: its custom resources cannot be checked, only reported.
            Err(K8sError::UnknownKind { .. })
                if self.check_mode && (from_this_task || self.state == State::Present) =>
            {
                Ok(None)
            }
            Err(error) => Err(error),
        }
    }

    async fn one(
        &self,
        cluster: &Cluster,
        object: &Json,
        crd_kinds: &[(String, String)],
    ) -> Result<Map<String, Json>, K8sError> {
        let identity = definitions::identity(object, "")?;
        let Some(resource) = self.resource(cluster, &identity, crd_kinds).await? else {
            let mut outcome = Map::new();
            outcome.insert("changed".into(), Json::Bool(self.state == State::Present));
            outcome.insert("method".into(), Json::String(self.method.name().into()));
            outcome.insert("result".into(), object.clone());
            outcome.insert(
                "warnings".into(),
                serde_json::json!([format!(
                    "{} {} was not checked: {} is not served yet (its CustomResourceDefinition \
                     is only created in check mode)",
                    identity.kind, identity.name, identity.api_version
                )]),
            );
            // The kind is not served, so the object cannot exist yet: the backup guard still
            // answers what creating it would do.
            if self.state == State::Present {
                let namespace = identity
                    .namespace
                    .clone()
                    .or_else(|| self.namespace.clone())
                    .unwrap_or_else(|| cluster.default_namespace.clone());
                let guard =
                    crate::backup_guard::check(cluster, object, &namespace, false, &self.guard)
                        .await?;
                self.report_guard(&mut outcome, guard);
            }
            return Ok(outcome);
        };
        let namespace = resource.namespaced.then(|| {
            identity
                .namespace
                .clone()
                .or_else(|| self.namespace.clone())
                .unwrap_or_else(|| cluster.default_namespace.clone())
        });
        let mut object = object.clone();
        if let (Some(ns), Some(meta)) = (
            &namespace,
            object.get_mut("metadata").and_then(Json::as_object_mut),
        ) {
            meta.insert("namespace".into(), Json::String(ns.clone()));
        }
        let target = Target {
            resource: &resource,
            namespace: namespace.as_deref(),
            name: &identity.name,
        };
        match self.state {
            State::Present => self.present(cluster, &target, &object).await,
            State::Absent => self.absent(cluster, &target).await,
            State::Patched => self.patched(cluster, &target, &object).await,
        }
    }

    async fn present(
        &self,
        cluster: &Cluster,
        target: &Target<'_>,
        object: &Json,
    ) -> Result<Map<String, Json>, K8sError> {
        let before = if self.method == Method::Create {
            None
        } else {
            ops::get(cluster, target).await?
        };
        // Read-only, before anything is written: a refusal leaves the cluster untouched.
        let guard = match target.namespace {
            Some(namespace) => {
                crate::backup_guard::check(
                    cluster,
                    object,
                    namespace,
                    before.is_some(),
                    &self.guard,
                )
                .await?
            }
            None => None,
        };
        let dry_run = self.check_mode;
        let attempt = match self.method {
            Method::Apply => ops::apply(cluster, target, object, &self.settings).await,
            Method::Replace => {
                ops::replace(cluster, target, object, dry_run, self.settings.validation).await
            }
            Method::Create => {
                ops::create(cluster, target, object, dry_run, self.settings.validation).await
            }
        };
        let written = match attempt {
            Ok(written) => written,
            // A dry run into a namespace an earlier (dry-run) task would create: report the
            // creation instead of failing the whole --check.
            Err(K8sError::Api { code: 404, .. }) if dry_run && before.is_none() => ops::Written {
                object: object.clone(),
                warnings: vec![format!(
                    "{} was not validated: namespace {} does not exist yet",
                    target.describe(),
                    target.namespace.unwrap_or_default()
                )],
            },
            Err(error) => return Err(error),
        };
        cluster.applied_secrets.remember(&written.object);
        let changed = changed(before.as_ref(), &written.object, self.check_mode);
        let method = match (self.method, &before) {
            (Method::Replace, None) => "create",
            (method, _) => method.name(),
        };
        let mut outcome = self
            .finish(cluster, target, before, written, changed, method)
            .await?;
        self.report_guard(&mut outcome, guard);
        Ok(outcome)
    }

    /// Adds what the backup guard checked to the outcome; `--check` runs also show it.
    fn report_guard(
        &self,
        outcome: &mut Map<String, Json>,
        guard: Option<crate::backup_guard::GuardReport>,
    ) {
        let Some(report) = guard else { return };
        if self.check_mode {
            if let Some(Json::Array(warnings)) = outcome.get_mut("warnings") {
                warnings.push(Json::String(report.line()));
            }
        }
        outcome.insert("backup_guard".into(), report.to_json());
    }

    async fn patched(
        &self,
        cluster: &Cluster,
        target: &Target<'_>,
        object: &Json,
    ) -> Result<Map<String, Json>, K8sError> {
        let Some(before) = ops::get(cluster, target).await? else {
            let mut outcome = Map::new();
            outcome.insert("changed".into(), Json::Bool(false));
            outcome.insert("method".into(), Json::String("patch".into()));
            outcome.insert("result".into(), Json::Object(Map::new()));
            outcome.insert(
                "warnings".into(),
                serde_json::json!([format!(
                    "{} was not found; state=patched does not create objects",
                    target.describe()
                )]),
            );
            return Ok(outcome);
        };
        let mut body = object.clone();
        if let Some(map) = body.as_object_mut() {
            map.remove("status");
        }
        let written = ops::patch(
            cluster,
            target,
            &body,
            &self.merge_types,
            self.check_mode,
            self.settings.validation,
        )
        .await?;
        let changed = changed(Some(&before), &written.object, self.check_mode);
        self.finish(cluster, target, Some(before), written, changed, "patch")
            .await
    }

    async fn finish(
        &self,
        cluster: &Cluster,
        target: &Target<'_>,
        before: Option<Json>,
        written: ops::Written,
        changed: bool,
        method: &str,
    ) -> Result<Map<String, Json>, K8sError> {
        let mut object = written.object;
        let mut outcome = Map::new();
        if let (Some(spec), false) = (&self.wait, self.check_mode) {
            // A generateName object is known by the name the server gave it.
            let name = object
                .pointer("/metadata/name")
                .and_then(Json::as_str)
                .unwrap_or(target.name)
                .to_string();
            let (ready, waited) =
                wait::until_ready(cluster, target.resource, target.namespace, &name, spec).await?;
            object = ready;
            outcome.insert("duration".into(), Json::from(waited.as_secs_f64()));
        }
        outcome.insert("changed".into(), Json::Bool(changed));
        outcome.insert("method".into(), Json::String(method.into()));
        if self.diff && changed {
            outcome.insert(
                "diff".into(),
                diff::object_diff(&target.describe(), before.as_ref(), Some(&object)),
            );
        }
        outcome.insert("result".into(), object);
        outcome.insert(
            "warnings".into(),
            Json::Array(written.warnings.into_iter().map(Json::String).collect()),
        );
        Ok(outcome)
    }

    async fn absent(
        &self,
        cluster: &Cluster,
        target: &Target<'_>,
    ) -> Result<Map<String, Json>, K8sError> {
        let before = ops::get(cluster, target).await?;
        let mut outcome = Map::new();
        let deleted = match &before {
            None => false,
            // Already terminating: nothing to do but (optionally) wait.
            Some(object) if object.pointer("/metadata/deletionTimestamp").is_some() => false,
            Some(_) => ops::delete(cluster, target, &self.delete_options, self.check_mode).await?,
        };
        if let (Some(spec), false, true) = (&self.wait, self.check_mode, before.is_some()) {
            let waited = wait::until_gone(
                cluster,
                target.resource,
                target.namespace,
                target.name,
                spec,
            )
            .await?;
            outcome.insert("duration".into(), Json::from(waited.as_secs_f64()));
        }
        outcome.insert("changed".into(), Json::Bool(deleted));
        outcome.insert("method".into(), Json::String("delete".into()));
        if self.diff && deleted {
            outcome.insert(
                "diff".into(),
                diff::object_diff(&target.describe(), before.as_ref(), None),
            );
        }
        outcome.insert("result".into(), before.unwrap_or(Json::Object(Map::new())));
        outcome.insert("warnings".into(), Json::Array(Vec::new()));
        Ok(outcome)
    }
}

/// A real write changed the object when its `resourceVersion` moved; a dry run when the
/// would-be object differs from the live one.
fn changed(before: Option<&Json>, after: &Json, dry_run: bool) -> bool {
    let Some(before) = before else {
        return true;
    };
    if dry_run {
        return diff::differs(before, after);
    }
    let rv = |o: &Json| o.pointer("/metadata/resourceVersion").cloned();
    rv(before) != rv(after)
}

fn error_outcome(error: &K8sError) -> Map<String, Json> {
    let mut outcome = Map::new();
    outcome.insert("changed".into(), Json::Bool(false));
    outcome.insert("failed".into(), Json::Bool(true));
    outcome.insert("error".into(), Json::String(error.to_string()));
    outcome
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn changed_uses_resource_version_for_writes_and_content_for_dry_runs() {
        let before = json!({"metadata": {"resourceVersion": "5"}, "data": {"a": "1"}});
        let same_rv = json!({"metadata": {"resourceVersion": "5"}, "data": {"a": "1"}});
        let new_rv = json!({"metadata": {"resourceVersion": "6"}, "data": {"a": "1"}});
        assert!(!changed(Some(&before), &same_rv, false));
        assert!(changed(Some(&before), &new_rv, false));
        assert!(!changed(Some(&before), &new_rv, true));
        assert!(changed(
            Some(&before),
            &json!({"metadata": {}, "data": {"a": "2"}}),
            true
        ));
        assert!(changed(None, &same_rv, true));
    }
}
