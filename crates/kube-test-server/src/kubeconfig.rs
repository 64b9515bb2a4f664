//! The kubeconfig clients use to reach a test server.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::json;

/// Renders a kubeconfig with one cluster, user (bearer token) and context named
/// `kube-test-server`, default namespace `default`.
pub fn render(server_url: &str, ca_pem: Option<&str>, token: Option<&str>) -> String {
    let mut cluster = json!({"server": server_url});
    if let (Some(ca), Some(map)) = (ca_pem, cluster.as_object_mut()) {
        map.insert(
            "certificate-authority-data".into(),
            json!(STANDARD.encode(ca.as_bytes())),
        );
    }
    let user = match token {
        Some(t) => json!({"token": t}),
        None => json!({}),
    };
    let doc = json!({
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "kube-test-server", "cluster": cluster}],
        "users": [{"name": "kube-test-server", "user": user}],
        "contexts": [{"name": "kube-test-server", "context": {
            "cluster": "kube-test-server", "user": "kube-test-server", "namespace": "default"}}],
        "current-context": "kube-test-server",
        "preferences": {},
    });
    serde_yaml::to_string(&doc).unwrap_or_default()
}
