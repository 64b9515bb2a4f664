//! Verbs and object semantics on built-in kinds.

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{ConfigMap, Namespace, Secret};
use kube::api::{Api, DeleteParams, ListParams, Patch, PatchParams, PostParams};
use serde_json::json;

use crate::support::{client, create, dynamic, eventually, obj, server, status};

fn cm(name: &str, labels: serde_json::Value) -> serde_json::Value {
    json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "labels": labels}, "data": {"k": name}})
}

#[tokio::test]
async fn create_get_list_selectors_and_pagination() {
    let s = server().await;
    let c = client(&s).await;
    let api = dynamic(&c, Some("default"), "", "v1", "ConfigMap", "configmaps");
    let a = create(&api, cm("a", json!({"app": "web", "tier": "fe"}))).await;
    create(&api, cm("b", json!({"app": "web"}))).await;
    create(&api, cm("c", json!({"app": "db"}))).await;
    let uid = a.metadata.uid.clone().expect("uid");
    assert_eq!(uid.len(), 36);
    assert!(a.metadata.creation_timestamp.is_some());
    let rv_a: u64 = a
        .metadata
        .resource_version
        .as_deref()
        .expect("rv")
        .parse()
        .expect("numeric rv");

    let got = api.get("a").await.expect("get");
    assert_eq!(got.metadata.uid.as_deref(), Some(uid.as_str()));
    assert_eq!(got.data["data"]["k"], "a");

    let names = |l: kube::core::ObjectList<kube::api::DynamicObject>| -> Vec<String> {
        l.items
            .into_iter()
            .filter_map(|o| o.metadata.name)
            .collect()
    };
    assert_eq!(
        names(
            api.list(&ListParams::default().labels("app=web"))
                .await
                .expect("list")
        ),
        ["a", "b"]
    );
    assert_eq!(
        names(
            api.list(&ListParams::default().labels("app in (db),!tier"))
                .await
                .expect("list")
        ),
        ["c"]
    );
    assert_eq!(
        names(
            api.list(&ListParams::default().fields("metadata.name=b"))
                .await
                .expect("list")
        ),
        ["b"]
    );
    assert_eq!(
        names(
            api.list(&ListParams::default().fields("metadata.name!=b"))
                .await
                .expect("list")
        ),
        ["a", "c"]
    );
    let bad = api
        .list(&ListParams::default().fields("data.k=a"))
        .await
        .expect_err("unsupported field");
    assert_eq!(status(bad).code, 400);

    let page1 = api
        .list(&ListParams::default().limit(2))
        .await
        .expect("page 1");
    let token = page1.metadata.continue_.clone().expect("continue token");
    assert_eq!(page1.metadata.remaining_item_count, Some(1));
    assert_eq!(names(page1), ["a", "b"]);
    let page2 = api
        .list(&ListParams::default().limit(2).continue_token(&token))
        .await
        .expect("page 2");
    assert!(page2.metadata.continue_.is_none());
    let list_rv: u64 = page2
        .metadata
        .resource_version
        .as_deref()
        .expect("list rv")
        .parse()
        .expect("num");
    assert!(list_rv > rv_a);
    assert_eq!(names(page2), ["c"]);

    // Metadata-only views (kube's PartialObjectMetadata negotiation).
    let typed: Api<ConfigMap> = Api::namespaced(c.clone(), "default");
    let meta = typed
        .list_metadata(&ListParams::default().labels("app=web"))
        .await
        .expect("list_metadata");
    let meta_names: Vec<String> = meta
        .items
        .into_iter()
        .filter_map(|m| m.metadata.name)
        .collect();
    assert_eq!(meta_names, ["a", "b"]);
    let one = typed.get_metadata("c").await.expect("get_metadata");
    assert_eq!(
        one.metadata
            .labels
            .unwrap_or_default()
            .get("app")
            .map(String::as_str),
        Some("db")
    );

    // Across namespaces.
    let all = dynamic(&c, None, "", "v1", "ConfigMap", "configmaps");
    assert_eq!(
        all.list(&ListParams::default())
            .await
            .expect("all")
            .items
            .len(),
        3
    );
}

#[tokio::test]
async fn errors_are_status_objects_with_reasons() {
    let s = server().await;
    let c = client(&s).await;
    let api: Api<ConfigMap> = Api::namespaced(c.clone(), "default");
    let pp = PostParams::default();
    let st = status(api.get("nope").await.expect_err("missing"));
    assert_eq!(
        (st.code, st.reason.as_str(), st.message.as_str()),
        (404, "NotFound", "configmaps \"nope\" not found")
    );

    let first = api
        .create(
            &pp,
            &serde_json::from_value(cm("dup", json!({}))).expect("cm"),
        )
        .await
        .expect("create");
    let st = status(
        api.create(
            &pp,
            &serde_json::from_value(cm("dup", json!({}))).expect("cm"),
        )
        .await
        .expect_err("dup"),
    );
    assert_eq!(
        (st.code, st.reason.as_str(), st.message.as_str()),
        (409, "AlreadyExists", "configmaps \"dup\" already exists")
    );

    // Optimistic concurrency.
    let mut stale = first.clone();
    let mut fresh = first.clone();
    fresh.data = Some([("k".to_string(), "v2".to_string())].into());
    let updated = api
        .replace("dup", &pp, &fresh)
        .await
        .expect("update with current rv");
    assert_ne!(
        updated.metadata.resource_version,
        first.metadata.resource_version
    );
    // Replacing with identical content writes nothing.
    let before = s.resource_version();
    let same = api
        .replace("dup", &pp, &updated)
        .await
        .expect("no-op update");
    assert_eq!(
        same.metadata.resource_version,
        updated.metadata.resource_version
    );
    assert_eq!(s.resource_version(), before);
    stale.data = Some([("k".to_string(), "lost".to_string())].into());
    let st = status(api.replace("dup", &pp, &stale).await.expect_err("stale rv"));
    assert_eq!((st.code, st.reason.as_str()), (409, "Conflict"));
    assert!(
        st.message.contains("the object has been modified"),
        "{}",
        st.message
    );

    let bad_name = api
        .create(
            &pp,
            &serde_json::from_value(cm("Bad_Name", json!({}))).expect("cm"),
        )
        .await
        .expect_err("invalid");
    let st = status(bad_name);
    assert_eq!((st.code, st.reason.as_str()), (422, "Invalid"));
    assert!(
        st.message
            .starts_with("ConfigMap \"Bad_Name\" is invalid: metadata.name: Invalid value"),
        "{}",
        st.message
    );

    let other_ns: Api<ConfigMap> = Api::namespaced(c.clone(), "missing-ns");
    let st = status(
        other_ns
            .create(
                &pp,
                &serde_json::from_value(cm("x", json!({}))).expect("cm"),
            )
            .await
            .expect_err("no ns"),
    );
    assert_eq!(
        (st.code, st.message.as_str()),
        (404, "namespaces \"missing-ns\" not found")
    );

    // Built-in spec validation: selector must match the template labels.
    let deps: Api<k8s_openapi::api::apps::v1::Deployment> = Api::namespaced(c.clone(), "default");
    let bad = serde_json::from_value(json!({"metadata": {"name": "mismatch"}, "spec": {
        "selector": {"matchLabels": {"app": "a"}},
        "template": {"metadata": {"labels": {"app": "b"}}, "spec": {"containers": [{"name": "c", "image": "i"}]}}}}))
    .expect("deployment");
    let st = status(
        deps.create(&pp, &bad)
            .await
            .expect_err("invalid deployment"),
    );
    assert_eq!(st.code, 422);
    assert_eq!(
        st.message,
        "Deployment.apps \"mismatch\" is invalid: spec.template.metadata.labels: Invalid value: map[string]string{\"app\":\"b\"}: `selector` does not match template `labels`"
    );

    // Immutable Secrets refuse data changes.
    let secrets: Api<Secret> = Api::namespaced(c.clone(), "default");
    secrets
        .create(&pp, &serde_json::from_value(json!({"metadata": {"name": "frozen"}, "immutable": true, "stringData": {"a": "1"}})).expect("secret"))
        .await
        .expect("create immutable secret");
    let st = status(
        secrets
            .patch(
                "frozen",
                &PatchParams::default(),
                &Patch::Merge(json!({"stringData": {"a": "2"}})),
            )
            .await
            .expect_err("immutable"),
    );
    assert_eq!((st.code, st.reason.as_str()), (422, "Invalid"));
    assert_eq!(
        st.message,
        "Secret \"frozen\" is invalid: data: Forbidden: field is immutable when `immutable` is set"
    );

    // PUT on a collection URL is not allowed.
    let req = http::Request::put("/api/v1/namespaces/default/configmaps")
        .body(b"{}".to_vec())
        .expect("req");
    let (code, _, body) = crate::support::raw(&c, req).await;
    assert_eq!(
        (code, body["reason"].as_str()),
        (405, Some("MethodNotAllowed"))
    );
}

#[tokio::test]
async fn generate_name_dry_run_and_deletes() {
    let s = server().await;
    let c = client(&s).await;
    let api = dynamic(&c, Some("default"), "", "v1", "ConfigMap", "configmaps");
    let generated = create(&api, json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"generateName": "gen-", "labels": {"batch": "x"}}})).await;
    let name = generated.metadata.name.clone().expect("name");
    assert!(name.starts_with("gen-") && name.len() == 9, "{name}");

    let before = s.resource_version();
    let dry = api
        .create(
            &PostParams {
                dry_run: true,
                ..Default::default()
            },
            &obj(cm("dry", json!({}))),
        )
        .await
        .expect("dry create");
    assert!(dry.metadata.uid.is_some());
    assert_eq!(s.resource_version(), before, "dry run writes nothing");
    assert!(api.get_opt("dry").await.expect("get").is_none());

    let dp = DeleteParams {
        dry_run: true,
        ..Default::default()
    };
    api.delete(&name, &dp).await.expect("dry delete");
    assert!(api.get_opt(&name).await.expect("get").is_some());

    create(&api, json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "other", "labels": {"batch": "x"}}})).await;
    create(
        &api,
        json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "keep"}}),
    )
    .await;
    let deleted = api
        .delete_collection(
            &DeleteParams::default(),
            &ListParams::default().labels("batch=x"),
        )
        .await
        .expect("deletecollection");
    let count = deleted.left().map(|l| l.items.len());
    assert_eq!(count, Some(2));
    let left: Vec<String> = api
        .list(&ListParams::default())
        .await
        .expect("list")
        .items
        .into_iter()
        .filter_map(|o| o.metadata.name)
        .collect();
    assert_eq!(left, ["keep"]);
    let res = api
        .delete("keep", &DeleteParams::default())
        .await
        .expect("delete");
    assert!(res.is_right(), "immediate delete returns a Status");
    assert!(api.get_opt("keep").await.expect("get").is_none());
}

#[tokio::test]
async fn namespace_terminating_then_contents_removed() {
    let s = server().await;
    let c = client(&s).await;
    let nss: Api<Namespace> = Api::all(c.clone());
    let ns = nss
        .create(
            &PostParams::default(),
            &serde_json::from_value(json!({"metadata": {"name": "doomed"}})).expect("ns"),
        )
        .await
        .expect("create ns");
    assert_eq!(ns.status.and_then(|s| s.phase).as_deref(), Some("Active"));
    let secrets: Api<Secret> = Api::namespaced(c.clone(), "doomed");
    secrets
        .create(
            &PostParams::default(),
            &serde_json::from_value(json!({"metadata": {"name": "s"}, "stringData": {"a": "b"}}))
                .expect("secret"),
        )
        .await
        .expect("secret");
    let res = nss
        .delete("doomed", &DeleteParams::default())
        .await
        .expect("delete ns");
    let terminating = res.left().expect("namespace returned while terminating");
    assert_eq!(
        terminating.status.and_then(|s| s.phase).as_deref(),
        Some("Terminating")
    );
    // Creating in a terminating namespace may race the controller; either Forbidden or NotFound.
    if let Err(e) = secrets
        .create(
            &PostParams::default(),
            &serde_json::from_value(json!({"metadata": {"name": "t"}})).expect("secret"),
        )
        .await
    {
        let st = status(e);
        assert!(st.code == 403 || st.code == 404, "{st:?}");
    }
    eventually("namespace removed", || async {
        nss.get_opt("doomed").await.expect("get").is_none()
    })
    .await;
    assert!(secrets.get_opt("s").await.expect("get").is_none());
}

#[tokio::test]
async fn terminating_namespace_forbids_new_content_without_controller() {
    let s = kube_test_server::TestServer::start(
        kube_test_server::Config::default().controllers(kube_test_server::Controllers::none()),
    )
    .await
    .expect("start");
    let c = client(&s).await;
    let nss: Api<Namespace> = Api::all(c.clone());
    nss.create(
        &PostParams::default(),
        &serde_json::from_value(json!({"metadata": {"name": "t"}})).expect("ns"),
    )
    .await
    .expect("ns");
    nss.delete("t", &DeleteParams::default())
        .await
        .expect("delete");
    let cms: Api<ConfigMap> = Api::namespaced(c.clone(), "t");
    let st = status(
        cms.create(
            &PostParams::default(),
            &serde_json::from_value(cm("x", json!({}))).expect("cm"),
        )
        .await
        .expect_err("forbidden"),
    );
    assert_eq!((st.code, st.reason.as_str()), (403, "Forbidden"));
    assert_eq!(
        st.message,
        "configmaps \"x\" is forbidden: unable to create new content in namespace t because it is being terminated"
    );
}

#[tokio::test]
async fn secret_string_data_and_generation_and_status_subresource() {
    let s = kube_test_server::TestServer::start(
        kube_test_server::Config::default().controllers(kube_test_server::Controllers::none()),
    )
    .await
    .expect("start");
    let c = client(&s).await;
    let secrets: Api<Secret> = Api::namespaced(c.clone(), "default");
    let sec = secrets
        .create(&PostParams::default(), &serde_json::from_value(json!({"metadata": {"name": "s"}, "data": {"a": "eA=="}, "stringData": {"b": "hello"}})).expect("secret"))
        .await
        .expect("secret");
    let data = sec.data.expect("data");
    assert_eq!(data.get("a").map(|b| b.0.clone()), Some(b"x".to_vec()));
    assert_eq!(data.get("b").map(|b| b.0.clone()), Some(b"hello".to_vec()));
    assert!(sec.string_data.is_none());
    assert_eq!(sec.type_.as_deref(), Some("Opaque"));

    let deps: Api<Deployment> = Api::namespaced(c.clone(), "default");
    let d = deps
        .create(&PostParams::default(), &serde_json::from_value(json!({
            "metadata": {"name": "web"},
            "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "web"}},
                     "template": {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [{"name": "c", "image": "nginx:1"}]}}},
            "status": {"replicas": 99}
        })).expect("deploy"))
        .await
        .expect("deployment");
    assert_eq!(d.metadata.generation, Some(1));
    assert!(
        d.status.as_ref().and_then(|s| s.replicas).is_none(),
        "status dropped on create"
    );
    let pp = PatchParams::default();
    let d2 = deps
        .patch(
            "web",
            &pp,
            &Patch::Merge(json!({"metadata": {"labels": {"x": "y"}}})),
        )
        .await
        .expect("label patch");
    assert_eq!(
        d2.metadata.generation,
        Some(1),
        "metadata change keeps generation"
    );
    let d3 = deps
        .patch(
            "web",
            &pp,
            &Patch::Merge(json!({"spec": {"replicas": 3}, "status": {"replicas": 7}})),
        )
        .await
        .expect("spec patch");
    assert_eq!(d3.metadata.generation, Some(2));
    assert!(
        d3.status.as_ref().and_then(|s| s.replicas).is_none(),
        "status ignored on main resource"
    );
    let d4 = deps
        .patch_status(
            "web",
            &pp,
            &Patch::Merge(json!({"status": {"replicas": 3}, "spec": {"replicas": 9}})),
        )
        .await
        .expect("status patch");
    assert_eq!(d4.status.and_then(|s| s.replicas), Some(3));
    assert_eq!(d4.spec.replicas, Some(3), "spec ignored on /status");
    assert_eq!(d4.metadata.generation, Some(2));
}
