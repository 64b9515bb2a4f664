//! CustomResourceDefinitions: the real PGO and Zalando CRDs, schema validation, pruning,
//! fieldValidation, served versions, scope and the status subresource.

use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::api::{Api, DeleteParams, PostParams};
use kube::discovery::Discovery;
use serde_json::{Value, json};

use crate::support::{
    client, create, dynamic, eventually, raw, server, shared_dir, status, yaml_docs,
};

async fn load_crds(c: &kube::Client, dir: &str) -> Vec<String> {
    let crds: Api<CustomResourceDefinition> = Api::all(c.clone());
    let mut names = Vec::new();
    let mut files: Vec<_> = std::fs::read_dir(shared_dir().join(dir))
        .unwrap_or_else(|e| panic!("{dir} must exist under ../shared: {e}"))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    files.sort();
    for file in files {
        for doc in yaml_docs(&file) {
            let crd: CustomResourceDefinition = serde_json::from_value(doc).expect("CRD document");
            let made = crds
                .create(&PostParams::default(), &crd)
                .await
                .unwrap_or_else(|e| panic!("{}: {e}", file.display()));
            names.push(made.metadata.name.unwrap_or_default());
        }
    }
    for name in &names {
        eventually("CRD Established", || async {
            crds.get(name)
                .await
                .ok()
                .and_then(|c| c.status)
                .and_then(|s| s.conditions)
                .is_some_and(|cs| {
                    cs.iter()
                        .any(|c| c.type_ == "Established" && c.status == "True")
                })
        })
        .await;
    }
    names
}

/// The seed's `04_init_db.yaml` PostgresCluster, indentation restored, variables filled in.
fn seed_cluster(user: &str) -> Value {
    json!({
        "apiVersion": "postgres-operator.crunchydata.com/v1beta1",
        "kind": "PostgresCluster",
        "metadata": {"name": "your-project-db", "namespace": "database"},
        "spec": {
            "postgresVersion": 16,
            "instances": [{
                "name": "instance1",
                "replicas": 1,
                "dataVolumeClaimSpec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "5Gi"}}}
            }],
            "backups": {"pgbackrest": {
                "repos": [{
                    "name": "repo1",
                    "s3": {"bucket": "pgbr-backups", "endpoint": "s3.example.test", "region": "fr-par"},
                    "schedules": {"full": "0 1 * * 0", "incremental": "0 1 * * *"}
                }],
                "configuration": [{"secret": {"name": "pgo-s3-creds"}}]
            }},
            "users": [{"name": user, "databases": ["your_project_db"]}]
        }
    })
}

async fn post(c: &kube::Client, body: &Value, validation: &str) -> (u16, http::HeaderMap, Value) {
    let req = http::Request::post(format!(
        "/apis/postgres-operator.crunchydata.com/v1beta1/namespaces/database/postgresclusters?fieldValidation={validation}"
    ))
    .header("content-type", "application/json")
    .body(serde_json::to_vec(body).expect("json"))
    .expect("req");
    raw(c, req).await
}

#[tokio::test]
async fn real_pgo_crds_validate_postgres_clusters() {
    let s = server().await;
    let c = client(&s).await;
    let names = load_crds(&c, "charts/pgo/crds").await;
    assert!(
        names.contains(&"postgresclusters.postgres-operator.crunchydata.com".to_string()),
        "{names:?}"
    );
    let d = Discovery::new(c.clone()).run().await.expect("discovery");
    let (ar, caps) = d
        .groups()
        .find(|g| g.name() == "postgres-operator.crunchydata.com")
        .and_then(|g| {
            g.recommended_resources()
                .into_iter()
                .find(|(ar, _)| ar.kind == "PostgresCluster")
        })
        .expect("PostgresCluster served");
    assert_eq!(
        (ar.plural.as_str(), ar.version.as_str()),
        ("postgresclusters", "v1beta1")
    );
    assert!(
        caps.subresources
            .iter()
            .any(|(sub, _)| sub.plural.ends_with("status"))
    );
    create(
        &dynamic(&c, None, "", "v1", "Namespace", "namespaces"),
        json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "database"}}),
    )
    .await;

    // The seed as written uses an underscore in the user name; the real CRD's pattern rejects it.
    let (code, _, st) = post(&c, &seed_cluster("your_project_user"), "Strict").await;
    assert_eq!(
        (code, st["reason"].as_str()),
        (422, Some("Invalid")),
        "{st}"
    );
    assert_eq!(st["details"]["causes"][0]["field"], "spec.users[0].name");
    assert!(
        st["message"]
            .as_str()
            .unwrap_or_default()
            .contains("should match '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$'"),
        "{st}"
    );

    // Corrected user name: accepted, defaults applied, status subresource respected.
    let mut good = seed_cluster("your-project-user");
    good["status"] = json!({"observedGeneration": 42});
    let (code, _, created) = post(&c, &good, "Strict").await;
    assert_eq!(code, 201, "{created}");
    assert_eq!(created["metadata"]["generation"], 1);
    assert_eq!(created["spec"]["port"], 5432, "schema default applied");
    assert!(
        created["status"]["observedGeneration"] != 42,
        "status dropped on create"
    );

    // Misspelled field: Strict rejects with the path, Warn prunes with a Warning header.
    let mut typo = seed_cluster("app");
    typo["metadata"]["name"] = json!("typo");
    typo["spec"]["instances"][0]["replica"] = json!(2);
    let (code, _, st) = post(&c, &typo, "Strict").await;
    assert_eq!((code, st["reason"].as_str()), (400, Some("BadRequest")));
    assert_eq!(
        st["message"],
        "PostgresCluster in version \"v1beta1\" cannot be handled as a PostgresCluster: strict decoding error: unknown field \"spec.instances[0].replica\""
    );
    let (code, headers, obj) = post(&c, &typo, "Warn").await;
    assert_eq!(code, 201, "{obj}");
    let warnings: Vec<&str> = headers
        .get_all("warning")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect();
    assert_eq!(
        warnings,
        ["299 - \"unknown field \\\"spec.instances[0].replica\\\"\""]
    );
    assert!(
        obj["spec"]["instances"][0].get("replica").is_none(),
        "pruned"
    );

    // Type and bounds errors are 422 Invalid with kube-apiserver's messages.
    let mut bad = seed_cluster("app");
    bad["metadata"]["name"] = json!("bad");
    bad["spec"]["postgresVersion"] = json!("16");
    let (code, _, st) = post(&c, &bad, "Strict").await;
    assert_eq!(code, 422);
    assert_eq!(
        st["message"],
        "PostgresCluster.postgres-operator.crunchydata.com \"bad\" is invalid: spec.postgresVersion: Invalid value: \"string\": spec.postgresVersion in body must be of type integer: \"string\""
    );
    bad["spec"]["postgresVersion"] = json!(9);
    let (_, _, st) = post(&c, &bad, "Strict").await;
    assert!(
        st["message"]
            .as_str()
            .unwrap_or_default()
            .contains("should be greater than or equal to 11"),
        "{st}"
    );
    bad["spec"]
        .as_object_mut()
        .expect("spec")
        .remove("instances");
    bad["spec"]["postgresVersion"] = json!(16);
    let (_, _, st) = post(&c, &bad, "Strict").await;
    assert_eq!(st["details"]["causes"][0]["field"], "spec.instances");
    assert_eq!(st["details"]["causes"][0]["reason"], "FieldValueRequired");

    // Strategic merge patch is not supported for custom resources.
    let req = http::Request::patch(
        "/apis/postgres-operator.crunchydata.com/v1beta1/namespaces/database/postgresclusters/typo",
    )
    .header("content-type", "application/strategic-merge-patch+json")
    .body(b"{}".to_vec())
    .expect("req");
    assert_eq!(raw(&c, req).await.0, 415);
}

#[tokio::test]
async fn zalando_crds_load() {
    let s = server().await;
    let c = client(&s).await;
    let names = load_crds(&c, "charts/zalando-postgres-operator/crds").await;
    assert!(
        names.contains(&"postgresqls.acid.zalan.do".to_string()),
        "{names:?}"
    );
}

fn widget_crd() -> Value {
    let schema = json!({"openAPIV3Schema": {"type": "object", "properties": {
        "spec": {"type": "object", "required": ["size"], "properties": {
            "size": {"type": "string", "enum": ["S", "M", "L"]},
            "port": {"x-kubernetes-int-or-string": true},
            "extra": {"type": "object", "x-kubernetes-preserve-unknown-fields": true}
        }},
        "status": {"type": "object", "properties": {"phase": {"type": "string"}}}
    }}});
    json!({"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
    "metadata": {"name": "widgets.example.com"},
    "spec": {"group": "example.com", "scope": "Cluster",
        "names": {"plural": "widgets", "singular": "widget", "kind": "Widget", "shortNames": ["wd"]},
        "versions": [
            {"name": "v1", "served": true, "storage": true, "schema": schema, "subresources": {"status": {}}},
            {"name": "v1beta1", "served": true, "storage": false, "schema": schema},
            {"name": "v1alpha1", "served": false, "storage": false, "schema": schema}
        ]}})
}

#[tokio::test]
async fn crd_versions_scope_status_and_removal() {
    let s = server().await;
    let c = client(&s).await;
    let crds = dynamic(
        &c,
        None,
        "apiextensions.k8s.io",
        "v1",
        "CustomResourceDefinition",
        "customresourcedefinitions",
    );
    let st = status(
        crds.create(
            &Default::default(),
            &crate::support::obj(
                json!({"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
            "metadata": {"name": "wrong.example.com"}, "spec": widget_crd()["spec"].clone()}),
            ),
        )
        .await
        .expect_err("name must be plural.group"),
    );
    assert_eq!(st.code, 422);
    create(&crds, widget_crd()).await;

    let v1 = dynamic(&c, None, "example.com", "v1", "Widget", "widgets");
    let w = create(
        &v1,
        json!({"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"},
        "spec": {"size": "M", "port": "http", "extra": {"anything": [1, 2]}}}),
    )
    .await;
    assert_eq!(w.data["spec"]["extra"]["anything"], json!([1, 2]));
    let st = status(
        v1.create(&Default::default(), &crate::support::obj(json!({"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "x"}, "spec": {"size": "XL"}})))
            .await
            .expect_err("enum"),
    );
    assert_eq!(
        st.message,
        "Widget.example.com \"x\" is invalid: spec.size: Unsupported value: \"XL\": supported values: \"S\", \"M\", \"L\""
    );

    // Same object through the other served version; unserved version is not found.
    let beta = dynamic(&c, None, "example.com", "v1beta1", "Widget", "widgets");
    let via_beta = beta.get("w").await.expect("served v1beta1");
    assert_eq!(
        via_beta.types.map(|t| t.api_version).as_deref(),
        Some("example.com/v1beta1")
    );
    let alpha = dynamic(&c, None, "example.com", "v1alpha1", "Widget", "widgets");
    assert_eq!(
        status(alpha.get("w").await.expect_err("unserved")).code,
        404
    );

    // Cluster scope: a namespaced URL is not found.
    let namespaced = dynamic(
        &c,
        Some("default"),
        "example.com",
        "v1",
        "Widget",
        "widgets",
    );
    assert_eq!(
        status(namespaced.get("w").await.expect_err("cluster scoped")).code,
        404
    );

    // Status subresource on v1.
    let req = http::Request::patch("/apis/example.com/v1/widgets/w/status")
        .header("content-type", "application/merge-patch+json")
        .body(br#"{"status": {"phase": "Ready"}, "spec": {"size": "L"}}"#.to_vec())
        .expect("req");
    let (code, _, obj) = raw(&c, req).await;
    assert_eq!(
        (
            code,
            obj["status"]["phase"].as_str(),
            obj["spec"]["size"].as_str()
        ),
        (200, Some("Ready"), Some("M"))
    );

    // Deleting the CRD removes its objects and its discovery entry.
    crds.delete("widgets.example.com", &DeleteParams::default())
        .await
        .expect("delete crd");
    assert_eq!(status(v1.get("w").await.expect_err("gone")).code, 404);
    let (code, _, _) = raw(
        &c,
        http::Request::get("/apis/example.com/v1")
            .body(Vec::new())
            .expect("req"),
    )
    .await;
    assert_eq!(code, 404);
}
