//! Connection parameters shared by every Kubernetes module, and turning them into a
//! `kube::Config`.
//!
//! The parameters are taken out of the module's arguments before the module parses its own
//! (serde cannot combine `flatten` with `deny_unknown_fields`), so each module still rejects
//! misspelled parameters. Precedence follows kubernetes.core: explicit `kubeconfig`, then
//! `K8S_AUTH_KUBECONFIG`, then `KUBECONFIG`/`~/.kube/config`, then in-cluster config; `host`,
//! `api_key`, `ca_cert`, … override what the kubeconfig says.

use std::path::PathBuf;

use kube::config::{KubeConfigOptions, Kubeconfig};
use serde_json::{Map, Value as Json};
use stackbook_engine::modules::ModuleContext;
use stackbook_engine::modules::args::to_bool;

use crate::error::K8sError;

/// Parameter names that belong to the connection, not the module.
const CONNECTION_KEYS: &[&str] = &[
    "kubeconfig",
    "context",
    "host",
    "api_key",
    "validate_certs",
    "verify_ssl",
    "ca_cert",
    "ssl_ca_cert",
    "client_cert",
    "cert_file",
    "client_key",
    "key_file",
    "proxy",
    "no_proxy",
    "proxy_headers",
    "impersonate_user",
    "impersonate_groups",
    "username",
    "password",
    "persist_config",
];

/// Where the kubeconfig comes from. `Debug` never prints an inline kubeconfig (it holds
/// credentials).
#[derive(Clone, PartialEq)]
pub enum KubeconfigSource {
    /// A file.
    Path(PathBuf),
    /// An inline mapping (`kubeconfig: {apiVersion: v1, clusters: …}`).
    Inline(Json),
    /// Nothing given: `KUBECONFIG`, `~/.kube/config` or in-cluster.
    Infer,
}

impl std::fmt::Debug for KubeconfigSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            KubeconfigSource::Path(path) => f.debug_tuple("Path").field(path).finish(),
            KubeconfigSource::Inline(_) => f.write_str("Inline(<redacted>)"),
            KubeconfigSource::Infer => f.write_str("Infer"),
        }
    }
}

/// The connection a task asks for. `Debug` redacts `api_key`, `password` and inline
/// kubeconfigs.
#[derive(Clone, PartialEq, Default)]
pub struct ConnectionArgs {
    /// Explicit kubeconfig (path or mapping).
    pub kubeconfig: Option<Json>,
    /// Context name.
    pub context: Option<String>,
    /// API server URL override.
    pub host: Option<String>,
    /// Bearer token override.
    pub api_key: Option<String>,
    /// `false` skips TLS verification.
    pub validate_certs: Option<bool>,
    /// CA bundle file (PEM).
    pub ca_cert: Option<String>,
    /// Client certificate file (PEM).
    pub client_cert: Option<String>,
    /// Client key file (PEM).
    pub client_key: Option<String>,
    /// HTTP proxy URL.
    pub proxy: Option<String>,
    /// User to impersonate.
    pub impersonate_user: Option<String>,
    /// Groups to impersonate.
    pub impersonate_groups: Vec<String>,
    /// Basic-auth user.
    pub username: Option<String>,
    /// Basic-auth password.
    pub password: Option<String>,
}

impl std::fmt::Debug for ConnectionArgs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let hidden = |v: &Option<String>| v.as_ref().map(|_| "<redacted>");
        f.debug_struct("ConnectionArgs")
            .field(
                "kubeconfig",
                &self.kubeconfig.as_ref().map(|k| match k {
                    Json::String(path) => path.clone(),
                    _ => "<inline, redacted>".to_string(),
                }),
            )
            .field("context", &self.context)
            .field("host", &self.host)
            .field("api_key", &hidden(&self.api_key))
            .field("validate_certs", &self.validate_certs)
            .field("ca_cert", &self.ca_cert)
            .field("client_cert", &self.client_cert)
            .field("client_key", &self.client_key)
            .field("proxy", &self.proxy)
            .field("impersonate_user", &self.impersonate_user)
            .field("impersonate_groups", &self.impersonate_groups)
            .field("username", &self.username)
            .field("password", &hidden(&self.password))
            .finish()
    }
}

fn text(value: &Json) -> Option<String> {
    match value {
        Json::Null => None,
        Json::String(s) if s.is_empty() => None,
        Json::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}

impl ConnectionArgs {
    /// Removes the connection parameters from `args` and returns them.
    pub fn take(args: &mut Map<String, Json>) -> Result<ConnectionArgs, String> {
        let mut found = Map::new();
        for key in CONNECTION_KEYS {
            if let Some(value) = args.remove(*key) {
                found.insert((*key).to_string(), value);
            }
        }
        let get = |names: &[&str]| names.iter().find_map(|n| found.get(*n).and_then(text));
        let validate_certs = match found
            .get("validate_certs")
            .or_else(|| found.get("verify_ssl"))
        {
            None | Some(Json::Null) => None,
            Some(value) => Some(
                to_bool(value)
                    .ok_or_else(|| format!("validate_certs: {value} is not a valid boolean"))?,
            ),
        };
        let impersonate_groups = match found.get("impersonate_groups") {
            Some(Json::Array(items)) => items.iter().filter_map(text).collect(),
            Some(other) => text(other).into_iter().collect(),
            None => Vec::new(),
        };
        let kubeconfig = match found.get("kubeconfig") {
            None | Some(Json::Null) => None,
            Some(Json::String(s)) if s.is_empty() => None,
            Some(value @ (Json::String(_) | Json::Object(_))) => Some(value.clone()),
            Some(other) => {
                return Err(format!(
                    "kubeconfig must be a path or a mapping, got {other}"
                ));
            }
        };
        Ok(ConnectionArgs {
            kubeconfig,
            context: get(&["context"]),
            host: get(&["host"]),
            api_key: get(&["api_key"]),
            validate_certs,
            ca_cert: get(&["ca_cert", "ssl_ca_cert"]),
            client_cert: get(&["client_cert", "cert_file"]),
            client_key: get(&["client_key", "key_file"]),
            proxy: get(&["proxy"]),
            impersonate_user: get(&["impersonate_user"]),
            impersonate_groups,
            username: get(&["username"]),
            password: get(&["password"]),
        })
    }

    /// Resolves where the kubeconfig comes from, looking at the task's `environment:` first
    /// and then the process environment for `K8S_AUTH_KUBECONFIG`.
    pub fn source(&self, context: &ModuleContext<'_>) -> KubeconfigSource {
        match &self.kubeconfig {
            Some(Json::String(path)) => KubeconfigSource::Path(expand_home(path)),
            Some(inline) => KubeconfigSource::Inline(inline.clone()),
            None => {
                let from_task = context
                    .environment
                    .iter()
                    .rev()
                    .find(|(k, _)| k == "K8S_AUTH_KUBECONFIG")
                    .map(|(_, v)| v.clone());
                let from_task_kubeconfig = context
                    .environment
                    .iter()
                    .rev()
                    .find(|(k, _)| k == "KUBECONFIG")
                    .map(|(_, v)| v.clone());
                match from_task
                    .or_else(|| std::env::var("K8S_AUTH_KUBECONFIG").ok())
                    .or(from_task_kubeconfig)
                    .filter(|v| !v.is_empty())
                {
                    // KUBECONFIG may list several files; kubernetes.core takes the first.
                    Some(value) => KubeconfigSource::Path(expand_home(
                        value.split(':').next().unwrap_or_default(),
                    )),
                    None => KubeconfigSource::Infer,
                }
            }
        }
    }

    /// A key identifying the connection: equal keys share one client. Includes the kubeconfig's
    /// content, so a rewritten file gets a new client.
    pub fn cache_key(&self, source: &KubeconfigSource) -> String {
        let content = match source {
            KubeconfigSource::Path(path) => std::fs::read(path).unwrap_or_default(),
            KubeconfigSource::Inline(value) => value.to_string().into_bytes(),
            KubeconfigSource::Infer => std::env::var("KUBECONFIG").unwrap_or_default().into_bytes(),
        };
        // Every field, secrets included (only the digest is kept).
        let fields = serde_json::json!([
            format!("{source:?}"),
            self.kubeconfig,
            self.context,
            self.host,
            self.api_key,
            self.validate_certs,
            self.ca_cert,
            self.client_cert,
            self.client_key,
            self.proxy,
            self.impersonate_user,
            self.impersonate_groups,
            self.username,
            self.password,
        ]);
        let mut material = fields.to_string().into_bytes();
        material.push(0);
        material.extend_from_slice(&content);
        let digest = ring::digest::digest(&ring::digest::SHA256, &material);
        digest.as_ref().iter().map(|b| format!("{b:02x}")).collect()
    }

    /// Builds the `kube::Config`.
    pub async fn config(&self, source: &KubeconfigSource) -> Result<kube::Config, K8sError> {
        let name = describe(source);
        let bad = |detail: String| K8sError::Config {
            source_name: name.clone(),
            detail,
        };
        let options = KubeConfigOptions {
            context: self.context.clone(),
            cluster: None,
            user: None,
        };
        let mut config = match source {
            KubeconfigSource::Path(path) => {
                let kubeconfig = Kubeconfig::read_from(path).map_err(|e| bad(e.to_string()))?;
                kube::Config::from_custom_kubeconfig(kubeconfig, &options)
                    .await
                    .map_err(|e| bad(e.to_string()))?
            }
            KubeconfigSource::Inline(value) => {
                let kubeconfig =
                    Kubeconfig::from_yaml(&value.to_string()).map_err(|e| bad(e.to_string()))?;
                kube::Config::from_custom_kubeconfig(kubeconfig, &options)
                    .await
                    .map_err(|e| bad(e.to_string()))?
            }
            KubeconfigSource::Infer => match &self.host {
                Some(host) => kube::Config::new(
                    host.parse()
                        .map_err(|e| bad(format!("host '{host}' is not a URL: {e}")))?,
                ),
                None if self.context.is_some() => kube::Config::from_kubeconfig(&options)
                    .await
                    .map_err(|e| bad(e.to_string()))?,
                None => kube::Config::infer()
                    .await
                    .map_err(|e| bad(e.to_string()))?,
            },
        };
        if let Some(host) = &self.host {
            config.cluster_url = host
                .parse()
                .map_err(|e| bad(format!("host '{host}' is not a URL: {e}")))?;
        }
        if let Some(token) = &self.api_key {
            config.auth_info.token = Some(token.clone().into());
        }
        if let Some(user) = &self.username {
            config.auth_info.username = Some(user.clone());
        }
        if let Some(password) = &self.password {
            config.auth_info.password = Some(password.clone().into());
        }
        if self.validate_certs == Some(false) {
            config.accept_invalid_certs = true;
        }
        if let Some(path) = &self.ca_cert {
            let pem = std::fs::read_to_string(expand_home(path))
                .map_err(|e| bad(format!("ca_cert {path}: {e}")))?;
            let certs = pem_certificates(&pem);
            if certs.is_empty() {
                return Err(bad(format!("ca_cert {path}: no PEM certificate found")));
            }
            config.root_cert = Some(certs);
        }
        if let Some(path) = &self.client_cert {
            config.auth_info.client_certificate = Some(path.clone());
            config.auth_info.client_certificate_data = None;
        }
        if let Some(path) = &self.client_key {
            config.auth_info.client_key = Some(path.clone());
            config.auth_info.client_key_data = None;
        }
        if let Some(user) = &self.impersonate_user {
            config.auth_info.impersonate = Some(user.clone());
        }
        if !self.impersonate_groups.is_empty() {
            config.auth_info.impersonate_groups = Some(self.impersonate_groups.clone());
        }
        if let Some(proxy) = &self.proxy {
            config.proxy_url = Some(
                proxy
                    .parse()
                    .map_err(|e| bad(format!("proxy '{proxy}' is not a URL: {e}")))?,
            );
        }
        // Retries are ours (cluster.rs): they also cover 500s and resets, and count requests.
        config.default_retry = false;
        Ok(config)
    }
}

/// How messages name the kubeconfig.
pub fn describe(source: &KubeconfigSource) -> String {
    match source {
        KubeconfigSource::Path(path) => path.display().to_string(),
        KubeconfigSource::Inline(_) => "inline kubeconfig".to_string(),
        KubeconfigSource::Infer => match std::env::var("KUBECONFIG") {
            Ok(value) if !value.is_empty() => value,
            _ => "default (~/.kube/config or in-cluster)".to_string(),
        },
    }
}

fn expand_home(path: &str) -> PathBuf {
    match (path.strip_prefix("~/"), std::env::var_os("HOME")) {
        (Some(rest), Some(home)) => PathBuf::from(home).join(rest),
        _ => PathBuf::from(path),
    }
}

/// DER certificates from a PEM bundle.
fn pem_certificates(pem: &str) -> Vec<Vec<u8>> {
    use base64::Engine;
    let mut certs = Vec::new();
    let mut current: Option<String> = None;
    for line in pem.lines() {
        let line = line.trim();
        if line == "-----BEGIN CERTIFICATE-----" {
            current = Some(String::new());
        } else if line == "-----END CERTIFICATE-----" {
            if let Some(body) = current.take() {
                if let Ok(der) = base64::engine::general_purpose::STANDARD.decode(body) {
                    certs.push(der);
                }
            }
        } else if let Some(body) = current.as_mut() {
            body.push_str(line);
        }
    }
    certs
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn take_removes_connection_keys_and_converts_aliases() {
        let mut args = serde_json::json!({
            "kubeconfig": "/tmp/kc", "verify_ssl": "no", "state": "present",
            "impersonate_groups": ["a", "b"], "cert_file": "c.pem"
        })
        .as_object()
        .cloned()
        .unwrap_or_default();
        let conn = ConnectionArgs::take(&mut args).unwrap_or_default();
        assert_eq!(args.keys().collect::<Vec<_>>(), vec!["state"]);
        assert_eq!(conn.validate_certs, Some(false));
        assert_eq!(conn.client_cert.as_deref(), Some("c.pem"));
        assert_eq!(conn.impersonate_groups, vec!["a", "b"]);
        assert_eq!(conn.kubeconfig, Some(Json::String("/tmp/kc".into())));
    }

    #[test]
    fn debug_never_shows_credentials_and_keys_differ_by_token() {
        let mut args = serde_json::json!({"api_key": "tok-123456", "password": "pw-123456",
            "kubeconfig": {"users": [{"user": {"token": "inline-tok"}}]}})
        .as_object()
        .cloned()
        .unwrap_or_default();
        let conn = ConnectionArgs::take(&mut args).unwrap_or_default();
        let source = KubeconfigSource::Inline(conn.kubeconfig.clone().unwrap_or_default());
        let shown = format!("{conn:?} {source:?}");
        for secret in ["tok-123456", "pw-123456", "inline-tok"] {
            assert!(!shown.contains(secret), "{shown}");
        }
        let other = ConnectionArgs {
            api_key: Some("other".into()),
            ..conn.clone()
        };
        assert_ne!(conn.cache_key(&source), other.cache_key(&source));
        assert_eq!(conn.cache_key(&source), conn.clone().cache_key(&source));
    }

    #[test]
    fn take_rejects_a_kubeconfig_list() {
        let mut args = serde_json::json!({"kubeconfig": [1]})
            .as_object()
            .cloned()
            .unwrap_or_default();
        assert!(ConnectionArgs::take(&mut args).is_err());
    }
}
