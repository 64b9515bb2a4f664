//! Manifest splitting and ordering (Helm's `releaseutil.SortManifests` and
//! `InstallOrder`): documents are split on `---` lines, hooks separated by
//! their `helm.sh/hook` annotation, and the rest stably sorted by kind.

use std::collections::BTreeMap;

use super::RenderError;

/// Helm's `InstallOrder`.
pub const INSTALL_ORDER: &[&str] = &[
    "PriorityClass",
    "Namespace",
    "NetworkPolicy",
    "ResourceQuota",
    "LimitRange",
    "PodSecurityPolicy",
    "PodDisruptionBudget",
    "ServiceAccount",
    "Secret",
    "SecretList",
    "ConfigMap",
    "StorageClass",
    "PersistentVolume",
    "PersistentVolumeClaim",
    "CustomResourceDefinition",
    "ClusterRole",
    "ClusterRoleList",
    "ClusterRoleBinding",
    "ClusterRoleBindingList",
    "Role",
    "RoleList",
    "RoleBinding",
    "RoleBindingList",
    "Service",
    "DaemonSet",
    "Pod",
    "ReplicationController",
    "ReplicaSet",
    "Deployment",
    "HorizontalPodAutoscaler",
    "StatefulSet",
    "Job",
    "CronJob",
    "IngressClass",
    "Ingress",
    "APIService",
    "MutatingWebhookConfiguration",
    "ValidatingWebhookConfiguration",
];

/// One rendered document.
#[derive(Debug, Clone, PartialEq)]
pub struct Manifest {
    /// Template path (`chart/templates/x.yaml`).
    pub name: String,
    /// Document text.
    pub content: String,
    /// `kind` of the document.
    pub kind: String,
}

/// Helm 4.2's `SplitManifests`: splits on `(?:^|\s*\n)---\s*` (which
/// also swallows the whitespace around separators) and left-trims
/// documents. Hand-written equivalent of the regex (leftmost-first).
pub fn split_manifests(big: &str) -> Vec<String> {
    let s = big.trim_start();
    let b = s.as_bytes();
    let ws = |c: u8| matches!(c, b'\t' | b'\n' | 0x0c | b'\r' | b' ');
    let skip_ws = |mut e: usize| {
        while e < b.len() && ws(b[e]) {
            e += 1;
        }
        e
    };
    let mut pieces: Vec<&str> = Vec::new();
    let mut last = 0;
    if s.starts_with("---") {
        pieces.push("");
        last = skip_ws(3);
    }
    let mut from = last;
    while let Some(off) = s.get(from..).and_then(|r| r.find("\n---")) {
        let nl = from + off;
        let mut start = nl;
        while start > last && ws(b[start - 1]) {
            start -= 1;
        }
        pieces.push(&s[last..start]);
        last = skip_ws(nl + 4);
        from = last;
    }
    pieces.push(&s[last..]);
    pieces
        .into_iter()
        .filter(|d| !d.trim().is_empty())
        .map(|d| d.trim_start().to_string())
        .collect()
}

fn rank(kind: &str) -> Option<usize> {
    INSTALL_ORDER.iter().position(|k| *k == kind)
}

/// Splits and sorts rendered files into (hooks, manifests).
pub fn sort_manifests(
    files: &BTreeMap<String, String>,
) -> Result<(Vec<Manifest>, Vec<Manifest>), RenderError> {
    let mut hooks = Vec::new();
    let mut generic = Vec::new();
    for (path, content) in files {
        let base = path.rsplit('/').next().unwrap_or(path);
        if base.starts_with('_') || content.trim().is_empty() {
            continue;
        }
        for doc in split_manifests(content) {
            let head = crate::yaml::parse(&doc).map_err(|e| RenderError::Yaml {
                file: path.clone(),
                message: e.to_string(),
            })?;
            let kind = head
                .get("kind")
                .and_then(|k| k.as_str().map(str::to_string))
                .unwrap_or_default();
            let is_hook = head
                .get("metadata")
                .and_then(|m| m.get("annotations"))
                .and_then(|a| a.get("helm.sh/hook"))
                .is_some();
            let m = Manifest {
                name: path.clone(),
                content: doc,
                kind,
            };
            if is_hook {
                hooks.push(m)
            } else {
                generic.push(m)
            }
        }
    }
    let order = |a: &Manifest, b: &Manifest| match (rank(&a.kind), rank(&b.kind)) {
        (Some(x), Some(y)) => x.cmp(&y),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => a.kind.cmp(&b.kind),
    };
    generic.sort_by(order);
    hooks.sort_by(order);
    Ok((hooks, generic))
}
