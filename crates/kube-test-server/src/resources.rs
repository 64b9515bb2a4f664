//! The resource registry: which group/version/resource triples are served, and how.
//!
//! Built-in kinds come from a static table mirroring kube-apiserver's discovery documents;
//! CustomResourceDefinitions add entries when they are stored and remove them when deleted.

use std::sync::Arc;

use serde_json::Value;

/// The full verb set of an ordinary namespaced or cluster-scoped resource.
pub const ALL_VERBS: &[&str] = &[
    "create",
    "delete",
    "deletecollection",
    "get",
    "list",
    "patch",
    "update",
    "watch",
];

const NS_VERBS: &[&str] = &[
    "create", "delete", "get", "list", "patch", "update", "watch",
];

/// One served version of a resource.
#[derive(Debug, Clone)]
pub struct Version {
    /// Version name, e.g. `v1beta1`.
    pub name: String,
    /// Whether this version is served.
    pub served: bool,
    /// Whether this is the storage version.
    pub storage: bool,
    /// Structural `openAPIV3Schema` for custom resources.
    pub schema: Option<Value>,
    /// Whether the `/status` subresource is enabled.
    pub status: bool,
    /// CRD `additionalPrinterColumns`.
    pub printer_columns: Option<Vec<Value>>,
}

/// A servable resource type.
#[derive(Debug, Clone)]
pub struct ResourceType {
    /// API group, empty for the core group.
    pub group: String,
    /// Versions, first is preferred.
    pub versions: Vec<Version>,
    /// Plural resource name (URL segment).
    pub plural: String,
    /// Singular name.
    pub singular: String,
    /// Kind.
    pub kind: String,
    /// List kind.
    pub list_kind: String,
    /// Whether objects live in namespaces.
    pub namespaced: bool,
    /// kubectl short names.
    pub short_names: Vec<String>,
    /// kubectl categories (e.g. `all`).
    pub categories: Vec<String>,
    /// Whether `metadata.generation` is maintained.
    pub generation: bool,
    /// Verbs served.
    pub verbs: Vec<String>,
    /// True for CRD-defined types.
    pub custom: bool,
}

impl ResourceType {
    /// `group/version` or `version` for the core group.
    pub fn api_version(&self, version: &str) -> String {
        if self.group.is_empty() {
            version.to_string()
        } else {
            format!("{}/{version}", self.group)
        }
    }

    /// The served version with this name.
    pub fn version(&self, name: &str) -> Option<&Version> {
        self.versions.iter().find(|v| v.name == name && v.served)
    }

    /// The preferred (first served) version name.
    pub fn preferred_version(&self) -> &str {
        self.versions
            .iter()
            .find(|v| v.served)
            .map(|v| v.name.as_str())
            .unwrap_or("v1")
    }

    /// Whether the status subresource exists in any version.
    pub fn has_status(&self, version: &str) -> bool {
        self.version(version).is_some_and(|v| v.status)
    }
}

struct Builtin {
    group: &'static str,
    plural: &'static str,
    singular: &'static str,
    kind: &'static str,
    namespaced: bool,
    short: &'static [&'static str],
    status: bool,
    generation: bool,
    all: bool,
}

#[allow(clippy::too_many_arguments)]
const fn b(
    group: &'static str,
    plural: &'static str,
    kind: &'static str,
    namespaced: bool,
    short: &'static [&'static str],
    status: bool,
    generation: bool,
    all: bool,
) -> Builtin {
    Builtin {
        group,
        plural,
        singular: "",
        kind,
        namespaced,
        short,
        status,
        generation,
        all,
    }
}

const BUILTINS: &[Builtin] = &[
    b(
        "",
        "namespaces",
        "Namespace",
        false,
        &["ns"],
        true,
        false,
        false,
    ),
    b("", "secrets", "Secret", true, &[], false, false, false),
    b(
        "",
        "configmaps",
        "ConfigMap",
        true,
        &["cm"],
        false,
        false,
        false,
    ),
    b("", "services", "Service", true, &["svc"], true, false, true),
    b(
        "",
        "serviceaccounts",
        "ServiceAccount",
        true,
        &["sa"],
        false,
        false,
        false,
    ),
    b(
        "",
        "persistentvolumeclaims",
        "PersistentVolumeClaim",
        true,
        &["pvc"],
        true,
        false,
        false,
    ),
    b("", "pods", "Pod", true, &["po"], true, false, true),
    b("", "events", "Event", true, &["ev"], false, false, false),
    b(
        "apps",
        "deployments",
        "Deployment",
        true,
        &["deploy"],
        true,
        true,
        true,
    ),
    b(
        "apps",
        "statefulsets",
        "StatefulSet",
        true,
        &["sts"],
        true,
        true,
        true,
    ),
    b("batch", "jobs", "Job", true, &[], true, true, true),
    b(
        "batch",
        "cronjobs",
        "CronJob",
        true,
        &["cj"],
        true,
        true,
        true,
    ),
    b(
        "rbac.authorization.k8s.io",
        "roles",
        "Role",
        true,
        &[],
        false,
        false,
        false,
    ),
    b(
        "rbac.authorization.k8s.io",
        "rolebindings",
        "RoleBinding",
        true,
        &[],
        false,
        false,
        false,
    ),
    b(
        "rbac.authorization.k8s.io",
        "clusterroles",
        "ClusterRole",
        false,
        &[],
        false,
        false,
        false,
    ),
    b(
        "rbac.authorization.k8s.io",
        "clusterrolebindings",
        "ClusterRoleBinding",
        false,
        &[],
        false,
        false,
        false,
    ),
    b(
        "apiextensions.k8s.io",
        "customresourcedefinitions",
        "CustomResourceDefinition",
        false,
        &["crd", "crds"],
        true,
        true,
        false,
    ),
    b(
        "policy",
        "poddisruptionbudgets",
        "PodDisruptionBudget",
        true,
        &["pdb"],
        true,
        true,
        false,
    ),
    b(
        "networking.k8s.io",
        "networkpolicies",
        "NetworkPolicy",
        true,
        &["netpol"],
        false,
        true,
        false,
    ),
    b(
        "storage.k8s.io",
        "storageclasses",
        "StorageClass",
        false,
        &["sc"],
        false,
        false,
        false,
    ),
];

/// The built-in resource types, in kube-apiserver's discovery order.
pub fn builtins() -> Vec<ResourceType> {
    BUILTINS
        .iter()
        .map(|bi| ResourceType {
            group: bi.group.to_string(),
            versions: vec![Version {
                name: "v1".into(),
                served: true,
                storage: true,
                schema: None,
                status: bi.status,
                printer_columns: None,
            }],
            plural: bi.plural.to_string(),
            singular: if bi.singular.is_empty() {
                bi.kind.to_lowercase()
            } else {
                bi.singular.to_string()
            },
            kind: bi.kind.to_string(),
            list_kind: format!("{}List", bi.kind),
            namespaced: bi.namespaced,
            short_names: bi.short.iter().map(|s| s.to_string()).collect(),
            categories: if bi.all { vec!["all".into()] } else { vec![] },
            generation: bi.generation,
            verbs: if bi.plural == "namespaces" {
                NS_VERBS.iter().map(|s| s.to_string()).collect()
            } else {
                ALL_VERBS.iter().map(|s| s.to_string()).collect()
            },
            custom: false,
        })
        .collect()
}

/// Why a CustomResourceDefinition cannot be served.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum CrdError {
    /// A required field is missing or has the wrong type.
    #[error("{0}: Required value")]
    Required(&'static str),
    /// `metadata.name` must be `<plural>.<group>`.
    #[error("metadata.name: Invalid value: \"{name}\": must be spec.names.plural+\".\"+spec.group")]
    Name {
        /// The name given.
        name: String,
    },
    /// `spec.scope` is not Namespaced or Cluster.
    #[error(
        "spec.scope: Unsupported value: \"{0}\": supported values: \"Cluster\", \"Namespaced\""
    )]
    Scope(String),
    /// No version or more than one storage version.
    #[error(
        "spec.versions: Invalid value: must have exactly one version marked as storage version"
    )]
    Storage,
}

/// Builds the resource type a stored CRD object describes.
pub fn from_crd(crd: &Value) -> Result<ResourceType, CrdError> {
    let spec = crd.get("spec").ok_or(CrdError::Required("spec"))?;
    let group = str_at(spec, "group").ok_or(CrdError::Required("spec.group"))?;
    let names = spec.get("names").ok_or(CrdError::Required("spec.names"))?;
    let plural = str_at(names, "plural").ok_or(CrdError::Required("spec.names.plural"))?;
    let kind = str_at(names, "kind").ok_or(CrdError::Required("spec.names.kind"))?;
    let name = crd
        .pointer("/metadata/name")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if name != format!("{plural}.{group}") {
        return Err(CrdError::Name {
            name: name.to_string(),
        });
    }
    let scope = str_at(spec, "scope").ok_or(CrdError::Required("spec.scope"))?;
    let namespaced = match scope {
        "Namespaced" => true,
        "Cluster" => false,
        other => return Err(CrdError::Scope(other.to_string())),
    };
    let versions: Vec<Version> = spec
        .get("versions")
        .and_then(Value::as_array)
        .ok_or(CrdError::Required("spec.versions"))?
        .iter()
        .filter_map(|v| {
            Some(Version {
                name: str_at(v, "name")?.to_string(),
                served: v.get("served").and_then(Value::as_bool).unwrap_or(false),
                storage: v.get("storage").and_then(Value::as_bool).unwrap_or(false),
                schema: v.pointer("/schema/openAPIV3Schema").cloned(),
                status: v.pointer("/subresources/status").is_some(),
                printer_columns: v
                    .get("additionalPrinterColumns")
                    .and_then(Value::as_array)
                    .cloned(),
            })
        })
        .collect();
    if versions.iter().filter(|v| v.storage).count() != 1 {
        return Err(CrdError::Storage);
    }
    let strings = |key: &str| -> Vec<String> {
        names
            .get(key)
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default()
    };
    Ok(ResourceType {
        group: group.to_string(),
        versions,
        plural: plural.to_string(),
        singular: str_at(names, "singular")
            .map(str::to_string)
            .unwrap_or_else(|| kind.to_lowercase()),
        kind: kind.to_string(),
        list_kind: str_at(names, "listKind")
            .map(str::to_string)
            .unwrap_or_else(|| format!("{kind}List")),
        namespaced,
        short_names: strings("shortNames"),
        categories: strings("categories"),
        generation: true,
        verbs: ALL_VERBS.iter().map(|s| s.to_string()).collect(),
        custom: true,
    })
}

fn str_at<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str)
}

/// All servable resource types.
#[derive(Debug, Clone)]
pub struct Registry {
    types: Vec<Arc<ResourceType>>,
}

impl Default for Registry {
    fn default() -> Self {
        Self {
            types: builtins().into_iter().map(Arc::new).collect(),
        }
    }
}

impl Registry {
    /// Finds the type served at `group/version/plural`.
    pub fn lookup(&self, group: &str, version: &str, plural: &str) -> Option<&Arc<ResourceType>> {
        self.types
            .iter()
            .find(|t| t.group == group && t.plural == plural && t.version(version).is_some())
    }

    /// Finds a type by group and plural regardless of version.
    pub fn by_plural(&self, group: &str, plural: &str) -> Option<&Arc<ResourceType>> {
        self.types
            .iter()
            .find(|t| t.group == group && t.plural == plural)
    }

    /// Finds a type by group and kind.
    pub fn by_kind(&self, group: &str, kind: &str) -> Option<&Arc<ResourceType>> {
        self.types
            .iter()
            .find(|t| t.group == group && t.kind == kind)
    }

    /// All types in registration order.
    pub fn all(&self) -> &[Arc<ResourceType>] {
        &self.types
    }

    /// Adds or replaces a CRD-defined type.
    pub fn upsert_custom(&mut self, rt: ResourceType) {
        if let Some(existing) = self
            .types
            .iter_mut()
            .find(|t| t.group == rt.group && t.plural == rt.plural)
        {
            *existing = Arc::new(rt);
        } else {
            self.types.push(Arc::new(rt));
        }
    }

    /// Removes a CRD-defined type.
    pub fn remove_custom(&mut self, group: &str, plural: &str) {
        self.types
            .retain(|t| !(t.custom && t.group == group && t.plural == plural));
    }

    /// Groups in order of first appearance, with their served versions (preferred first).
    pub fn groups(&self) -> Vec<(String, Vec<String>)> {
        let mut out: Vec<(String, Vec<String>)> = Vec::new();
        for t in &self.types {
            if t.group.is_empty() {
                continue;
            }
            let idx = match out.iter().position(|(g, _)| *g == t.group) {
                Some(i) => i,
                None => {
                    out.push((t.group.clone(), Vec::new()));
                    out.len() - 1
                }
            };
            if let Some((_, versions)) = out.get_mut(idx) {
                for v in t.versions.iter().filter(|v| v.served) {
                    if !versions.contains(&v.name) {
                        versions.push(v.name.clone());
                    }
                }
            }
        }
        out
    }
}
