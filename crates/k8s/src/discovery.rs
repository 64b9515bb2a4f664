//! API discovery, lazily per group version and cached per cluster.
//!
//! A task that applies a Secret needs `/api/v1` only; a PostgresCluster needs its one group
//! version. Each group version is fetched once per cluster and refetched only when a kind is
//! missing from it (a CRD applied earlier in the run), never on every task.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value as Json;

use crate::cluster::{Call, Cluster};
use crate::error::K8sError;

/// A served resource.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiResource {
    /// API group (`""` for core).
    pub group: String,
    /// Version.
    pub version: String,
    /// Kind.
    pub kind: String,
    /// Plural (URL) name.
    pub plural: String,
    /// Singular name.
    pub singular: String,
    /// Short names.
    pub short_names: Vec<String>,
    /// Namespaced or cluster scoped.
    pub namespaced: bool,
    /// Has a `/status` subresource.
    pub has_status: bool,
}

impl ApiResource {
    /// `group/version` or `version`.
    pub fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.clone()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }

    /// The collection URL, in a namespace when the resource is namespaced.
    pub fn collection_path(&self, namespace: Option<&str>) -> String {
        let prefix = if self.group.is_empty() {
            format!("/api/{}", self.version)
        } else {
            format!("/apis/{}/{}", self.group, self.version)
        };
        match (self.namespaced, namespace) {
            (true, Some(ns)) => format!("{prefix}/namespaces/{ns}/{}", self.plural),
            _ => format!("{prefix}/{}", self.plural),
        }
    }

    fn matches(&self, kind: &str) -> bool {
        let lower = kind.to_ascii_lowercase();
        self.kind == kind
            || self.plural == lower
            || self.singular == lower
            || self.short_names.contains(&lower)
    }
}

/// Per-cluster cache: group version → resources (`None`: the group version is not served).
#[derive(Debug, Default)]
pub struct Discovery {
    groups: Mutex<HashMap<String, Option<Arc<Vec<ApiResource>>>>>,
}

fn group_version_path(api_version: &str) -> String {
    if api_version.contains('/') {
        format!("/apis/{api_version}")
    } else {
        format!("/api/{api_version}")
    }
}

fn parse_resources(api_version: &str, body: &Json) -> Vec<ApiResource> {
    let (group, version) = api_version.rsplit_once('/').unwrap_or(("", api_version));
    let list = body
        .get("resources")
        .and_then(Json::as_array)
        .cloned()
        .unwrap_or_default();
    let has_status = |plural: &str| {
        list.iter()
            .any(|r| r.get("name").and_then(Json::as_str) == Some(&format!("{plural}/status")))
    };
    list.iter()
        .filter_map(|r| {
            let plural = r.get("name")?.as_str()?;
            if plural.contains('/') {
                return None;
            }
            Some(ApiResource {
                group: group.to_string(),
                version: version.to_string(),
                kind: r.get("kind")?.as_str()?.to_string(),
                plural: plural.to_string(),
                singular: r
                    .get("singularName")
                    .and_then(Json::as_str)
                    .unwrap_or_default()
                    .to_string(),
                short_names: r
                    .get("shortNames")
                    .and_then(Json::as_array)
                    .map(|a| {
                        a.iter()
                            .filter_map(Json::as_str)
                            .map(str::to_string)
                            .collect()
                    })
                    .unwrap_or_default(),
                namespaced: r.get("namespaced").and_then(Json::as_bool).unwrap_or(false),
                has_status: has_status(plural),
            })
        })
        .collect()
}

impl Discovery {
    fn cached(&self, api_version: &str) -> Option<Option<Arc<Vec<ApiResource>>>> {
        self.groups
            .lock()
            .ok()
            .and_then(|g| g.get(api_version).cloned())
    }

    async fn fetch(
        &self,
        cluster: &Cluster,
        api_version: &str,
    ) -> Result<Option<Arc<Vec<ApiResource>>>, K8sError> {
        let reply = cluster
            .send(&Call::get(&group_version_path(api_version))?)
            .await?;
        let resources = if reply.ok() {
            Some(Arc::new(parse_resources(api_version, &reply.json())))
        } else if reply.status.as_u16() == 404 {
            None
        } else {
            return Err(reply.error("discover", api_version));
        };
        if let Ok(mut groups) = self.groups.lock() {
            groups.insert(api_version.to_string(), resources.clone());
        }
        Ok(resources)
    }

    /// Finds a kind, fetching its group version on first use and once more when the kind is
    /// missing from the cached list. `patience` keeps polling for a kind a CRD is about to
    /// serve.
    pub async fn resolve(
        &self,
        cluster: &Cluster,
        api_version: &str,
        kind: &str,
        patience: Duration,
    ) -> Result<ApiResource, K8sError> {
        let find = |list: &Option<Arc<Vec<ApiResource>>>| {
            list.as_ref()
                .and_then(|l| l.iter().find(|r| r.matches(kind)).cloned())
        };
        if let Some(found) = self.cached(api_version).as_ref().and_then(find) {
            return Ok(found);
        }
        let started = Instant::now();
        let mut delay = Duration::from_millis(50);
        loop {
            if let Some(found) = find(&self.fetch(cluster, api_version).await?) {
                return Ok(found);
            }
            if started.elapsed() >= patience {
                return Err(K8sError::UnknownKind {
                    api_version: api_version.to_string(),
                    kind: kind.to_string(),
                });
            }
            tokio::time::sleep(delay).await;
            delay = (delay * 2).min(Duration::from_secs(1));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resources_skip_subresources_and_note_status() {
        let body = serde_json::json!({"resources": [
            {"name": "postgresclusters", "singularName": "postgrescluster", "namespaced": true,
             "kind": "PostgresCluster", "shortNames": ["pgc"]},
            {"name": "postgresclusters/status", "namespaced": true, "kind": "PostgresCluster"}
        ]});
        let list = parse_resources("postgres-operator.crunchydata.com/v1beta1", &body);
        assert_eq!(list.len(), 1);
        let pgc = &list[0];
        assert!(pgc.has_status && pgc.namespaced && pgc.matches("pgc"));
        assert_eq!(
            pgc.collection_path(Some("db")),
            "/apis/postgres-operator.crunchydata.com/v1beta1/namespaces/db/postgresclusters"
        );
        assert_eq!(
            pgc.api_version(),
            "postgres-operator.crunchydata.com/v1beta1"
        );
    }
}
