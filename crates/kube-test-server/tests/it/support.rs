//! Shared helpers: start a server, build a kube client from its kubeconfig, raw requests.

use std::path::PathBuf;

use kube::api::{Api, ApiResource, DynamicObject, GroupVersionKind, PostParams};
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::{Client, Config as KubeConfig};
use kube_test_server::{Config, TestServer};
use serde_json::Value;

/// A fresh HTTPS server with default settings.
pub async fn server() -> TestServer {
    TestServer::start(Config::default())
        .await
        .expect("start test server")
}

/// A kube client configured only through the server's kubeconfig.
pub async fn client(server: &TestServer) -> Client {
    let kc = Kubeconfig::from_yaml(&server.kubeconfig_yaml()).expect("kubeconfig parses");
    let cfg = KubeConfig::from_custom_kubeconfig(kc, &KubeConfigOptions::default())
        .await
        .expect("kube accepts the kubeconfig");
    Client::try_from(cfg).expect("client")
}

/// Dynamic API for a group/version/kind/plural.
pub fn dynamic(
    client: &Client,
    ns: Option<&str>,
    group: &str,
    version: &str,
    kind: &str,
    plural: &str,
) -> Api<DynamicObject> {
    let ar =
        ApiResource::from_gvk_with_plural(&GroupVersionKind::gvk(group, version, kind), plural);
    match ns {
        Some(ns) => Api::namespaced_with(client.clone(), ns, &ar),
        None => Api::all_with(client.clone(), &ar),
    }
}

/// Parses a JSON literal into a DynamicObject.
pub fn obj(v: Value) -> DynamicObject {
    serde_json::from_value(v).expect("valid object")
}

/// Creates an object from JSON.
pub async fn create(api: &Api<DynamicObject>, v: Value) -> DynamicObject {
    api.create(&PostParams::default(), &obj(v))
        .await
        .expect("create")
}

/// The `Status` carried by a kube API error.
pub fn status(err: kube::Error) -> kube::core::Status {
    match err {
        kube::Error::Api(s) => *s,
        other => panic!("expected an API error, got {other:?}"),
    }
}

/// Sends a raw request and returns status, headers and JSON body.
pub async fn raw(client: &Client, req: http::Request<Vec<u8>>) -> (u16, http::HeaderMap, Value) {
    let resp = client
        .send(req.map(kube::client::Body::from))
        .await
        .expect("send");
    let code = resp.status().as_u16();
    let headers = resp.headers().clone();
    let bytes = http_body_util::BodyExt::collect(resp.into_body())
        .await
        .expect("body")
        .to_bytes();
    let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    (code, headers, body)
}

/// `../shared` relative to the repository root (the crate lives in `crates/kube-test-server`).
pub fn shared_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared")
}

/// Loads every document of a YAML file.
pub fn yaml_docs(path: &std::path::Path) -> Vec<Value> {
    let text =
        std::fs::read_to_string(path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    serde_yaml::Deserializer::from_str(&text)
        .filter_map(|d| {
            let v: Value = serde::Deserialize::deserialize(d).ok()?;
            (!v.is_null()).then_some(v)
        })
        .collect()
}

/// Polls `f` every 5 ms for up to 10 s (generous: CI machines are shared).
pub async fn eventually<F, Fut>(what: &str, mut f: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while std::time::Instant::now() < deadline {
        if f().await {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    panic!("timed out waiting for {what}");
}
