//! `--check`: what an install or upgrade would do, validated by the API
//! server without writing anything.
//!
//! Every rendered object (and, on install, every CRD) is sent as a
//! server-side apply with `dryRun=All`: the API server runs admission,
//! defaulting and schema validation exactly as for the real write, and
//! returns the object it would store. Comparing that with the live object
//! says whether the object would be created, updated or left alone; objects
//! only the deployed revision has would be deleted. So a check run catches
//! what a client-side render cannot: an invalid field, an immutable field
//! change, a missing namespace, a kind the cluster does not serve.
//!
//! Two cases cannot be validated server-side and are reported as creations
//! with a warning: objects in a namespace `create_namespace` would create,
//! and custom resources whose CRD this chart itself installs.

use std::collections::BTreeSet;

use serde_json::{Value as Json, json};

use super::{
    Cluster, InstallError, InstallRequest, documents, identity, split_stored_manifest,
    with_ownership,
};
use crate::release::Release;

/// What would happen to one object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// It does not exist yet.
    Create,
    /// It exists and would change.
    Update,
    /// It would be deleted (no longer in the chart).
    Delete,
    /// It exists and would stay as it is.
    Unchanged,
}

impl Action {
    /// `create`, `update`, `delete`, `unchanged`.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Create => "create",
            Action::Update => "update",
            Action::Delete => "delete",
            Action::Unchanged => "unchanged",
        }
    }
}

/// One object's planned action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectChange {
    /// The action.
    pub action: Action,
    /// `apiVersion`.
    pub api_version: String,
    /// `kind`.
    pub kind: String,
    /// Namespace ("" for cluster-scoped).
    pub namespace: String,
    /// Name.
    pub name: String,
    /// Template path (`pgo/templates/manager.yaml`).
    pub template: String,
}

impl ObjectChange {
    /// The change `action` for `obj` from `template` (default namespace `ns`).
    pub fn of(action: Action, template: &str, obj: &Json, ns: &str) -> ObjectChange {
        let (_, kind, namespace, name) = identity(obj, ns);
        ObjectChange {
            action,
            api_version: obj
                .get("apiVersion")
                .and_then(Json::as_str)
                .unwrap_or("")
                .to_string(),
            kind,
            namespace,
            name,
            template: template.to_string(),
        }
    }

    /// The module's result entry.
    pub fn to_json(&self) -> Json {
        json!({
            "action": self.action.as_str(),
            "apiVersion": self.api_version,
            "kind": self.kind,
            "namespace": self.namespace,
            "name": self.name,
            "template": self.template,
        })
    }
}

/// Metadata the server maintains; differences there are not changes.
const VOLATILE: &[&str] = &[
    "managedFields",
    "resourceVersion",
    "uid",
    "creationTimestamp",
    "generation",
    "selfLink",
];

fn strip(obj: &Json) -> Json {
    let mut obj = obj.clone();
    if let Some(md) = obj.get_mut("metadata").and_then(Json::as_object_mut) {
        for k in VOLATILE {
            md.remove(*k);
        }
    }
    obj
}

/// `(group, kind)` of every CRD in the chart (`crds/` and templates).
fn chart_crd_kinds(crds: &[(String, Json)], docs: &[(String, Json)]) -> BTreeSet<(String, String)> {
    crds.iter()
        .chain(docs)
        .filter(|(_, d)| d.get("kind").and_then(Json::as_str) == Some("CustomResourceDefinition"))
        .filter_map(|(_, d)| {
            let group = d.pointer("/spec/group")?.as_str()?.to_string();
            let kind = d.pointer("/spec/names/kind")?.as_str()?.to_string();
            Some((group, kind))
        })
        .collect()
}

fn group_kind(obj: &Json) -> (String, String) {
    let api = obj.get("apiVersion").and_then(Json::as_str).unwrap_or("");
    let group = api.split_once('/').map(|(g, _)| g).unwrap_or("");
    (
        group.to_string(),
        obj.get("kind")
            .and_then(Json::as_str)
            .unwrap_or("")
            .to_string(),
    )
}

/// Dry-runs one object: its action and the namespace the server placed it
/// in ("" for cluster-scoped kinds), or why it could only be checked
/// client-side.
async fn plan_one(
    cluster: &Cluster,
    obj: &Json,
    ns: &str,
    template: &str,
    ns_missing: bool,
    chart_kinds: &BTreeSet<(String, String)>,
) -> Result<Result<(Action, String), String>, InstallError> {
    let live = cluster.get(obj, ns).await?;
    match cluster.apply(obj, ns, template, true).await {
        Ok(would) => {
            let action = match &live {
                None => Action::Create,
                Some(l) if strip(l) != strip(&would) => Action::Update,
                Some(_) => Action::Unchanged,
            };
            let placed = would
                .pointer("/metadata/namespace")
                .and_then(Json::as_str)
                .unwrap_or("")
                .to_string();
            Ok(Ok((action, placed)))
        }
        Err(InstallError::UnknownKind { .. }) if chart_kinds.contains(&group_kind(obj)) => Ok(Err(
            "its CustomResourceDefinition is installed by this chart".into(),
        )),
        Err(InstallError::Api { message, .. })
            if ns_missing && message.contains(&format!("namespaces \"{ns}\" not found")) =>
        {
            Ok(Err(format!("namespace {ns} does not exist yet")))
        }
        Err(e) => Err(e),
    }
}

/// Plans an install/upgrade with server-side dry runs; writes nothing.
pub async fn dry_run(
    cluster: &Cluster,
    req: &InstallRequest<'_>,
    rendered: &crate::render::Rendered,
    new_docs: &[(String, Json)],
    deployed: Option<&Release>,
    is_upgrade: bool,
    warnings: &mut Vec<String>,
) -> Result<Vec<ObjectChange>, InstallError> {
    let mut changes = Vec::new();
    let ns_obj =
        json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": req.namespace}});
    let ns_missing = cluster.get(&ns_obj, "").await?.is_none();
    if ns_missing && req.create_namespace {
        cluster.apply(&ns_obj, "", "namespace", true).await?;
        changes.push(ObjectChange::of(Action::Create, "", &ns_obj, ""));
    }
    let crds = if !is_upgrade && !req.skip_crds {
        documents(
            &rendered
                .crds
                .iter()
                .map(|c| (c.name.clone(), c.text()))
                .collect::<Vec<_>>(),
        )?
    } else {
        Vec::new()
    };
    let chart_kinds = chart_crd_kinds(&crds, new_docs);
    let mut unchecked = Vec::new();
    for (t, d) in &crds {
        // Helm creates missing CRDs on install and never touches existing ones.
        if cluster.get(d, req.namespace).await?.is_none() {
            cluster.apply(d, req.namespace, t, true).await?;
            changes.push(ObjectChange::of(Action::Create, t, d, req.namespace));
        }
    }
    for (t, d) in new_docs {
        let obj = with_ownership(d.clone(), req.name, req.namespace);
        match plan_one(cluster, &obj, req.namespace, t, ns_missing, &chart_kinds).await? {
            Ok((action, placed)) => {
                let mut c = ObjectChange::of(action, t, d, req.namespace);
                c.namespace = placed;
                changes.push(c);
            }
            Err(why) => {
                let c = ObjectChange::of(Action::Create, t, d, req.namespace);
                unchecked.push(format!("{} {}/{} ({why})", c.kind, c.namespace, c.name));
                changes.push(c);
            }
        }
    }
    if !unchecked.is_empty() {
        warnings.push(format!(
            "validated client-side only: {}",
            unchecked.join(", ")
        ));
    }
    if let Some(prev) = deployed {
        let keep: BTreeSet<_> = new_docs
            .iter()
            .map(|(_, d)| identity(d, req.namespace))
            .collect();
        for (t, d) in documents(&split_stored_manifest(&prev.manifest))? {
            let policy = d
                .pointer("/metadata/annotations/helm.sh~1resource-policy")
                .and_then(Json::as_str);
            if !keep.contains(&identity(&d, req.namespace))
                && policy != Some("keep")
                && cluster.get(&d, req.namespace).await?.is_some()
            {
                changes.push(ObjectChange::of(Action::Delete, &t, &d, req.namespace));
            }
        }
    }
    Ok(changes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crd_kinds_and_bookkeeping() {
        let crd = json!({"kind": "CustomResourceDefinition",
            "spec": {"group": "postgres-operator.crunchydata.com", "names": {"kind": "PostgresCluster"}}});
        let kinds = chart_crd_kinds(&[("crds/a.yaml".into(), crd)], &[]);
        let cr = json!({"apiVersion": "postgres-operator.crunchydata.com/v1beta1", "kind": "PostgresCluster"});
        assert!(kinds.contains(&group_kind(&cr)));
        let a = json!({"metadata": {"name": "x", "resourceVersion": "1"}, "data": {"k": "v"}});
        let b = json!({"metadata": {"name": "x", "resourceVersion": "2"}, "data": {"k": "v"}});
        assert_eq!(strip(&a), strip(&b));
        let c = ObjectChange::of(Action::Update, "t.yaml", &a, "ns");
        assert_eq!(c.to_json()["action"], "update");
        assert_eq!(c.namespace, "ns");
    }
}
