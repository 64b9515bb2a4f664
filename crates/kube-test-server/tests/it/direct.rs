//! Test-side access without a client: seeding manifests, reading objects, the request log.

use kube::api::{Patch, PatchParams};
use serde_json::json;

use crate::support::{client, dynamic, server, shared_dir};

#[tokio::test]
async fn seed_manifests_and_inspect_objects() {
    let s = server().await;
    let crd = std::fs::read_to_string(
        shared_dir()
            .join("charts/pgo/crds/postgres-operator.crunchydata.com_postgresclusters.yaml"),
    )
    .expect("PGO CRD");
    let seeded = s.apply_manifests(&crd).expect("seed CRD");
    assert_eq!(
        seeded,
        ["CustomResourceDefinition/postgresclusters.postgres-operator.crunchydata.com"]
    );
    let fixtures = "\
apiVersion: v1
kind: Namespace
metadata: {name: database}
---
apiVersion: v1
kind: Secret
metadata: {name: pgo-s3-creds, namespace: database}
stringData: {s3.conf: x}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: in-default}
";
    assert_eq!(s.apply_manifests(fixtures).expect("seed").len(), 3);
    let secret = s
        .object("v1", "Secret", Some("database"), "pgo-s3-creds")
        .expect("stored");
    assert_eq!(secret["data"]["s3.conf"], "eA==");
    assert_eq!(
        secret["metadata"]["managedFields"][0]["manager"],
        "kube-test-server"
    );
    assert!(
        s.object("v1", "ConfigMap", Some("default"), "in-default")
            .is_some()
    );
    assert_eq!(s.objects("v1", "Namespace", None).len(), 5);

    let err = s
        .apply_manifests("apiVersion: example.com/v1\nkind: Nope\nmetadata: {name: x}\n")
        .expect_err("unknown kind");
    assert_eq!(
        err.to_string(),
        "manifest document 0: no resource serves example.com/v1 Nope"
    );
    let err = s
        .apply_manifests("apiVersion: v1\nkind: Secret\nmetadata: {name: s, namespace: missing}\n")
        .expect_err("no namespace");
    assert!(
        err.to_string()
            .contains("404 NotFound: namespaces \"missing\" not found"),
        "{err}"
    );
}

#[tokio::test]
async fn request_log_shows_a_second_apply_writes_nothing() {
    let s = server().await;
    let c = client(&s).await;
    let api = dynamic(&c, Some("default"), "", "v1", "ConfigMap", "configmaps");
    let cfg = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cfg"}, "data": {"a": "1"}});
    let pp = PatchParams::apply("stackbook");
    api.patch("cfg", &pp, &Patch::Apply(&cfg))
        .await
        .expect("first");
    let first = s.take_requests();
    assert_eq!(first.len(), 1);
    assert_eq!(first[0].method, "PATCH");
    assert_eq!(first[0].path, "/api/v1/namespaces/default/configmaps/cfg");
    assert!(
        first[0].query.contains("fieldManager=stackbook"),
        "{:?}",
        first[0]
    );
    assert_eq!(first[0].status, 201);
    let rv = s.resource_version();
    api.patch("cfg", &pp, &Patch::Apply(&cfg))
        .await
        .expect("second");
    let second = s.take_requests();
    assert_eq!(second.iter().map(|r| r.status).collect::<Vec<_>>(), [200]);
    assert!(
        second[0].is_write(),
        "an apply is a write request even when it changes nothing"
    );
    assert_eq!(s.resource_version(), rv, "but nothing was written");
}
