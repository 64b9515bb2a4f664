//! Discovery documents, checked through kube's own Discovery client and raw JSON.

use kube::discovery::{Discovery, Scope, verbs};

use crate::support::{client, raw, server};

#[tokio::test]
async fn kube_discovery_sees_builtins_with_caps() {
    let s = server().await;
    let c = client(&s).await;
    let d = Discovery::new(c.clone()).run().await.expect("discovery");
    let find = |group: &str, kind: &str| {
        d.groups()
            .find(|g| g.name() == group)
            .and_then(|g| {
                g.recommended_resources()
                    .into_iter()
                    .find(|(ar, _)| ar.kind == kind)
            })
            .unwrap_or_else(|| panic!("{group}/{kind} discovered"))
    };
    let (ar, caps) = find("apps", "Deployment");
    assert_eq!(ar.plural, "deployments");
    assert_eq!(caps.scope, Scope::Namespaced);
    assert!(caps.supports_operation(verbs::PATCH) && caps.supports_operation(verbs::WATCH));
    assert!(
        caps.subresources
            .iter()
            .any(|(sub, _)| sub.plural == "deployments/status" || sub.plural == "status")
    );
    let (_, ns_caps) = find("", "Namespace");
    assert_eq!(ns_caps.scope, Scope::Cluster);
    assert!(!ns_caps.supports_operation(verbs::DELETE_COLLECTION));
    for (group, kind) in [
        ("", "Secret"),
        ("", "ConfigMap"),
        ("", "Service"),
        ("", "ServiceAccount"),
        ("", "PersistentVolumeClaim"),
        ("", "Pod"),
        ("", "Event"),
        ("apps", "StatefulSet"),
        ("batch", "Job"),
        ("batch", "CronJob"),
        ("rbac.authorization.k8s.io", "Role"),
        ("rbac.authorization.k8s.io", "ClusterRoleBinding"),
        ("apiextensions.k8s.io", "CustomResourceDefinition"),
        ("policy", "PodDisruptionBudget"),
        ("networking.k8s.io", "NetworkPolicy"),
        ("storage.k8s.io", "StorageClass"),
    ] {
        find(group, kind);
    }
}

#[tokio::test]
async fn raw_documents_have_kube_apiserver_shape() {
    let s = server().await;
    let c = client(&s).await;
    let get = |p: &str| http::Request::get(p).body(Vec::new()).expect("req");
    let (code, _, api) = raw(&c, get("/api")).await;
    assert_eq!(code, 200);
    assert_eq!(api["kind"], "APIVersions");
    assert_eq!(api["versions"][0], "v1");
    let (_, _, groups) = raw(&c, get("/apis")).await;
    assert_eq!(groups["kind"], "APIGroupList");
    assert_eq!(groups["groups"][0]["name"], "apps");
    assert_eq!(
        groups["groups"][0]["preferredVersion"]["groupVersion"],
        "apps/v1"
    );
    let (_, _, core) = raw(&c, get("/api/v1")).await;
    assert_eq!(core["kind"], "APIResourceList");
    let ns = core["resources"]
        .as_array()
        .expect("resources")
        .iter()
        .find(|r| r["name"] == "namespaces")
        .expect("namespaces")
        .clone();
    assert_eq!(ns["singularName"], "namespace");
    assert_eq!(ns["shortNames"][0], "ns");
    assert_eq!(ns["namespaced"], false);
    let (code, _, missing) = raw(&c, get("/apis/example.com/v1")).await;
    assert_eq!((code, missing["reason"].as_str()), (404, Some("NotFound")));
}

#[tokio::test]
async fn aggregated_discovery_matches_legacy() {
    let s = server().await;
    let c = client(&s).await;
    let crd = std::fs::read_to_string(
        crate::support::shared_dir().join("charts/zalando-postgres-operator/crds/postgresqls.yaml"),
    )
    .expect("crd");
    s.apply_manifests(&crd).expect("seed CRD");
    let agg = Discovery::new(c.clone())
        .run_aggregated()
        .await
        .expect("aggregated discovery");
    let legacy = Discovery::new(c.clone())
        .run()
        .await
        .expect("legacy discovery");
    let summary = |d: &Discovery| {
        let mut out: Vec<String> = d
            .groups()
            .flat_map(|g| {
                g.recommended_resources().into_iter().map(|(ar, caps)| {
                    format!(
                        "{}/{} {} {:?} {}",
                        ar.group,
                        ar.version,
                        ar.plural,
                        caps.scope,
                        caps.subresources.len()
                    )
                })
            })
            .collect();
        out.sort();
        out
    };
    assert_eq!(summary(&agg), summary(&legacy));
    assert!(
        summary(&agg)
            .iter()
            .any(|l| l == "acid.zalan.do/v1 postgresqls Namespaced 1"),
        "{:?}",
        summary(&agg)
    );
}
