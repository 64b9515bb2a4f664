//! PATCH flavours and server-side apply through kube's PatchParams.

use k8s_openapi::api::apps::v1::Deployment;
use kube::api::{Api, Patch, PatchParams, PostParams};
use serde_json::json;

use crate::support::{client, dynamic, raw, server, status};

fn deployment() -> serde_json::Value {
    json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "namespace": "default"},
    "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "web"}},
        "template": {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [
            {"name": "app", "image": "app:1", "env": [{"name": "A", "value": "1"}], "ports": [{"containerPort": 80}]},
            {"name": "sidecar", "image": "side:1"}
        ]}}}})
}

#[tokio::test]
async fn merge_json_and_strategic_patches() {
    let s = server().await;
    let c = client(&s).await;
    let deps: Api<Deployment> = Api::namespaced(c.clone(), "default");
    deps.create(
        &PostParams::default(),
        &serde_json::from_value(deployment()).expect("d"),
    )
    .await
    .expect("create");
    let pp = PatchParams::default();
    let d = deps
        .patch("web", &pp, &Patch::Strategic(json!({"spec": {"template": {"spec": {"containers": [
            {"name": "app", "image": "app:2", "env": [{"name": "B", "value": "2"}], "ports": [{"containerPort": 8080}]}
        ]}}}})))
        .await
        .expect("strategic");
    let containers = d.spec.template.spec.expect("pod spec").containers;
    assert_eq!(containers.len(), 2, "sidecar kept: lists merged by name");
    let app = &containers[0];
    assert_eq!(app.image.as_deref(), Some("app:2"));
    let env: Vec<String> = app
        .env
        .clone()
        .unwrap_or_default()
        .into_iter()
        .map(|e| e.name)
        .collect();
    assert_eq!(env, ["A", "B"]);
    let ports: Vec<i32> = app
        .ports
        .clone()
        .unwrap_or_default()
        .into_iter()
        .map(|p| p.container_port)
        .collect();
    assert_eq!(ports, [80, 8080]);

    let d = deps
        .patch(
            "web",
            &pp,
            &Patch::Merge(json!({"metadata": {"labels": {"a": "b"}}})),
        )
        .await
        .expect("merge");
    assert_eq!(d.metadata.labels.expect("labels")["a"], "b");
    let json_patch = |ops: serde_json::Value| {
        http::Request::patch("/apis/apps/v1/namespaces/default/deployments/web")
            .header("content-type", "application/json-patch+json")
            .body(serde_json::to_vec(&ops).expect("ops"))
            .expect("req")
    };
    let (code, _, d) = raw(
        &c,
        json_patch(json!([
            {"op": "replace", "path": "/spec/replicas", "value": 4},
            {"op": "test", "path": "/metadata/labels/a", "value": "b"}
        ])),
    )
    .await;
    assert_eq!((code, d["spec"]["replicas"].as_i64()), (200, Some(4)));
    let (code, _, st) = raw(
        &c,
        json_patch(json!([{"op": "test", "path": "/spec/replicas", "value": 5}])),
    )
    .await;
    assert_eq!((code, st["reason"].as_str()), (422, Some("Invalid")));
}

#[tokio::test]
async fn server_side_apply_ownership_and_idempotence() {
    let s = server().await;
    let c = client(&s).await;
    let api = dynamic(&c, Some("default"), "", "v1", "ConfigMap", "configmaps");
    let cfg = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cfg", "labels": {"app": "x"}}, "data": {"a": "1", "b": "2"}});
    let ssa = PatchParams::apply("stackbook");
    let first = api
        .patch("cfg", &ssa, &Patch::Apply(&cfg))
        .await
        .expect("apply creates");
    let rv1 = first.metadata.resource_version.clone();
    let mf = first
        .metadata
        .managed_fields
        .clone()
        .expect("managedFields");
    assert_eq!(mf.len(), 1);
    assert_eq!(mf[0].manager.as_deref(), Some("stackbook"));
    assert_eq!(mf[0].operation.as_deref(), Some("Apply"));
    let fields = serde_json::to_value(&mf[0].fields_v1).expect("fieldsV1");
    assert_eq!(
        fields,
        json!({"f:data": {"f:a": {}, "f:b": {}}, "f:metadata": {"f:labels": {"f:app": {}}}})
    );

    // Second identical apply: no write, same resourceVersion (stackbook reports `ok`).
    let before = s.resource_version();
    let second = api
        .patch("cfg", &ssa, &Patch::Apply(&cfg))
        .await
        .expect("re-apply");
    assert_eq!(second.metadata.resource_version, rv1);
    assert_eq!(s.resource_version(), before);

    // Another manager changing an owned field conflicts, with the real message shape.
    let other = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cfg"}, "data": {"a": "changed"}});
    let st = status(
        api.patch("cfg", &PatchParams::apply("helm"), &Patch::Apply(&other))
            .await
            .expect_err("conflict"),
    );
    assert_eq!((st.code, st.reason.as_str()), (409, "Conflict"));
    assert_eq!(
        st.message,
        "Apply failed with 1 conflict: conflict with \"stackbook\": .data.a"
    );
    let cause = st
        .details
        .expect("details")
        .causes
        .into_iter()
        .next()
        .expect("cause");
    assert_eq!(
        (cause.reason.as_str(), cause.field.as_str()),
        ("FieldManagerConflict", ".data.a")
    );

    // A non-apply update takes ownership; then stackbook's apply conflicts "using v1".
    api.patch(
        "cfg",
        &PatchParams {
            field_manager: Some("kubectl-edit".into()),
            ..Default::default()
        },
        &Patch::Merge(json!({"data": {"b": "edited"}})),
    )
    .await
    .expect("merge");
    let st = status(
        api.patch("cfg", &ssa, &Patch::Apply(&cfg))
            .await
            .expect_err("conflict with updater"),
    );
    assert_eq!(
        st.message,
        "Apply failed with 1 conflict: conflict with \"kubectl-edit\" using v1: .data.b"
    );

    // force=true takes the field back.
    let forced = api
        .patch("cfg", &ssa.clone().force(), &Patch::Apply(&cfg))
        .await
        .expect("forced");
    assert_eq!(forced.data["data"]["b"], "2");

    // Dropping a field from the applied config removes it.
    let smaller = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cfg"}, "data": {"a": "1"}});
    let after = api
        .patch("cfg", &ssa, &Patch::Apply(&smaller))
        .await
        .expect("shrink");
    assert_eq!(after.data["data"], json!({"a": "1"}));
    assert!(after.metadata.labels.unwrap_or_default().is_empty());

    // dryRun apply leaves the object alone.
    let before = s.resource_version();
    let dry = api
        .patch(
            "cfg",
            &PatchParams::apply("stackbook").dry_run(),
            &Patch::Apply(&cfg),
        )
        .await
        .expect("dry apply");
    assert_eq!(dry.data["data"]["b"], "2");
    assert_eq!(s.resource_version(), before);
}

#[tokio::test]
async fn apply_requires_field_manager_and_yaml_body_works() {
    let s = server().await;
    let c = client(&s).await;
    let body = b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: y\ndata:\n  k: v\n".to_vec();
    let req = |q: &str| {
        http::Request::patch(format!("/api/v1/namespaces/default/configmaps/y{q}"))
            .header("content-type", "application/apply-patch+yaml")
            .body(body.clone())
            .expect("req")
    };
    let (code, _, st) = raw(&c, req("")).await;
    assert_eq!((code, st["reason"].as_str()), (400, Some("BadRequest")));
    let (code, _, obj) = raw(&c, req("?fieldManager=yaml-client")).await;
    assert_eq!(code, 201);
    assert_eq!(obj["data"]["k"], "v");
    let (code, _, _) = raw(&c, req("?fieldManager=yaml-client")).await;
    assert_eq!(code, 200);
    // Strategic merge is refused for media types the server does not know.
    let bogus = http::Request::patch("/api/v1/namespaces/default/configmaps/y")
        .header("content-type", "application/xml")
        .body(b"<x/>".to_vec())
        .expect("req");
    let (code, _, st) = raw(&c, bogus).await;
    assert_eq!(
        (code, st["reason"].as_str()),
        (415, Some("UnsupportedMediaType"))
    );
}
