//! One cluster connection: the kube client, retries, request counting and the discovery cache.
//!
//! Clients are cached per distinct connection (see [`ConnectionArgs::cache_key`]) for the life
//! of the process, so a playbook's tasks share pooled connections and API discovery instead of
//! paying for both on every task as kubernetes.core does.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use http::{HeaderMap, Method, StatusCode, Uri};
use serde_json::Value as Json;

use crate::connection::{ConnectionArgs, KubeconfigSource, describe};
use crate::discovery::Discovery;
use crate::error::K8sError;

/// A connected cluster.
pub struct Cluster {
    client: kube::Client,
    /// Server URL, for messages.
    pub url: String,
    /// Kubeconfig description, for messages.
    pub kubeconfig: String,
    /// Namespace of the kubeconfig context (`default` otherwise).
    pub default_namespace: String,
    /// API discovery, filled lazily per group version.
    pub discovery: Discovery,
    /// Secrets written (or dry-run written) through this connection, for the backup guard.
    pub applied_secrets: crate::backup_guard::AppliedSecrets,
    requests: AtomicU64,
}

impl std::fmt::Debug for Cluster {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cluster")
            .field("url", &self.url)
            .field("kubeconfig", &self.kubeconfig)
            .finish_non_exhaustive()
    }
}

type Cache = Mutex<HashMap<String, Arc<Cluster>>>;
static CLUSTERS: OnceLock<Cache> = OnceLock::new();

/// Returns the cached cluster for this connection, connecting on first use.
pub async fn connect(
    args: &ConnectionArgs,
    source: &KubeconfigSource,
) -> Result<Arc<Cluster>, K8sError> {
    let key = args.cache_key(source);
    let cache = CLUSTERS.get_or_init(Cache::default);
    if let Some(cluster) = cache.lock().ok().and_then(|c| c.get(&key).cloned()) {
        return Ok(cluster);
    }
    let config = args.config(source).await?;
    let url = config.cluster_url.to_string();
    let kubeconfig = describe(source);
    let default_namespace = config.default_namespace.clone();
    let client = kube::Client::try_from(config).map_err(|e| K8sError::Config {
        source_name: kubeconfig.clone(),
        detail: e.to_string(),
    })?;
    let cluster = Arc::new(Cluster {
        client,
        url,
        kubeconfig,
        default_namespace,
        discovery: Discovery::default(),
        applied_secrets: Default::default(),
        requests: AtomicU64::new(0),
    });
    if let Ok(mut cache) = cache.lock() {
        cache.entry(key).or_insert_with(|| cluster.clone());
    }
    Ok(cluster)
}

/// Total HTTP requests sent by every cached cluster (for benchmarks and tests).
pub fn total_requests() -> u64 {
    CLUSTERS
        .get()
        .and_then(|c| {
            c.lock()
                .ok()
                .map(|c| c.values().map(|c| c.requests()).sum())
        })
        .unwrap_or(0)
}

/// A response: status, `Warning` headers, body.
#[derive(Debug)]
pub struct Reply {
    /// HTTP status.
    pub status: StatusCode,
    /// `Warning` header texts (the quoted part of `299 - "text"`).
    pub warnings: Vec<String>,
    /// Body bytes.
    pub body: Vec<u8>,
}

impl Reply {
    /// The body as JSON (`null` when empty or invalid).
    pub fn json(&self) -> Json {
        serde_json::from_slice(&self.body).unwrap_or(Json::Null)
    }

    /// True for 2xx.
    pub fn ok(&self) -> bool {
        self.status.is_success()
    }

    /// Turns a non-2xx reply into an [`K8sError::Api`].
    pub fn error(&self, verb: &str, what: &str) -> K8sError {
        let body = self.json();
        let message = body
            .get("message")
            .and_then(Json::as_str)
            .map(str::to_string)
            .unwrap_or_else(|| String::from_utf8_lossy(&self.body).trim().to_string());
        let reason = body
            .get("reason")
            .and_then(Json::as_str)
            .map(|r| format!(", {r}"))
            .unwrap_or_default();
        K8sError::Api {
            verb: verb.to_string(),
            what: what.to_string(),
            code: self.status.as_u16(),
            reason,
            message,
        }
    }
}

/// A request that can be sent more than once.
#[derive(Debug, Clone)]
pub struct Call {
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Vec<u8>,
}

impl Call {
    /// From a request built by `kube::core::Request`.
    pub fn from_request(request: http::Request<Vec<u8>>) -> Call {
        let (parts, body) = request.into_parts();
        Call {
            method: parts.method,
            uri: parts.uri,
            headers: parts.headers,
            body,
        }
    }

    /// A plain GET.
    pub fn get(path: &str) -> Result<Call, K8sError> {
        Ok(Call {
            method: Method::GET,
            uri: path.parse().map_err(|e| K8sError::Definition {
                location: String::new(),
                detail: format!("bad request path {path}: {e}"),
            })?,
            headers: HeaderMap::new(),
            body: Vec::new(),
        })
    }

    /// Adds a query parameter (kube-core's `PostParams` has no `fieldValidation`).
    pub fn query(mut self, key: &str, value: &str) -> Call {
        let text = self.uri.to_string();
        let separator = if text.contains('?') { '&' } else { '?' };
        if let Ok(uri) = format!("{text}{separator}{key}={value}").parse() {
            self.uri = uri;
        }
        self
    }

    fn request(&self) -> http::Request<kube::client::Body> {
        let mut request = http::Request::new(kube::client::Body::from(self.body.clone()));
        *request.method_mut() = self.method.clone();
        *request.uri_mut() = self.uri.clone();
        *request.headers_mut() = self.headers.clone();
        request
    }
}

/// How long a call may keep retrying.
pub const RETRY_BUDGET: Duration = Duration::from_secs(60);
/// Attempts for transport failures (refused/reset): a dead server fails fast.
const TRANSPORT_ATTEMPTS: u32 = 4;
/// Attempts for 429/5xx answers.
const STATUS_ATTEMPTS: u32 = 8;

fn retryable(status: StatusCode) -> bool {
    matches!(status.as_u16(), 429 | 500 | 502 | 503 | 504)
}

impl Cluster {
    /// The kube client (for protocols [`Cluster::send`] does not speak, like exec).
    pub fn client(&self) -> &kube::Client {
        &self.client
    }

    /// Requests this cluster has sent.
    pub fn requests(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    /// Sends a call, retrying with exponential backoff (honouring `Retry-After`) on 429/5xx and
    /// on connection failures. Non-retryable error statuses are returned as replies.
    pub async fn send(&self, call: &Call) -> Result<Reply, K8sError> {
        let started = Instant::now();
        let mut transport_failures = 0u32;
        let mut status_failures = 0u32;
        let mut delay = Duration::from_millis(100);
        tracing::trace!(method = %call.method, path = %call.uri, body = %BodyLog(&call.body), "kubernetes request body");
        loop {
            self.requests.fetch_add(1, Ordering::Relaxed);
            let attempt = Instant::now();
            let wait = match self.client.send(call.request()).await {
                Ok(response) => {
                    let status = response.status();
                    let warnings = warnings(response.headers());
                    let retry_after = response
                        .headers()
                        .get(http::header::RETRY_AFTER)
                        .and_then(|v| v.to_str().ok())
                        .and_then(|v| v.trim().parse::<u64>().ok())
                        .map(Duration::from_secs);
                    let body = match response.into_body().collect_bytes().await {
                        Ok(bytes) => bytes.to_vec(),
                        Err(error) => {
                            transport_failures += 1;
                            if transport_failures >= TRANSPORT_ATTEMPTS {
                                return Err(self.unreachable(error.to_string()));
                            }
                            tokio::time::sleep(delay).await;
                            delay = (delay * 2).min(Duration::from_secs(2));
                            continue;
                        }
                    };
                    tracing::debug!(method = %call.method, path = %call.uri, status = status.as_u16(), duration = ?attempt.elapsed(), "kubernetes request");
                    tracing::trace!(method = %call.method, path = %call.uri, body = %BodyLog(&body), "kubernetes response body");
                    if status == StatusCode::UNAUTHORIZED {
                        let reply = Reply {
                            status,
                            warnings,
                            body,
                        };
                        let message = reply
                            .json()
                            .get("message")
                            .and_then(Json::as_str)
                            .unwrap_or("Unauthorized")
                            .to_string();
                        return Err(K8sError::Unauthorized {
                            url: self.url.clone(),
                            kubeconfig: self.kubeconfig.clone(),
                            message,
                        });
                    }
                    if !retryable(status) {
                        return Ok(Reply {
                            status,
                            warnings,
                            body,
                        });
                    }
                    status_failures += 1;
                    if status_failures >= STATUS_ATTEMPTS || started.elapsed() > RETRY_BUDGET {
                        return Ok(Reply {
                            status,
                            warnings,
                            body,
                        });
                    }
                    retry_after
                        .map(|d| d.min(Duration::from_secs(10)))
                        .unwrap_or(delay)
                }
                Err(error) => {
                    tracing::debug!(method = %call.method, path = %call.uri, error = %describe_transport(&error), duration = ?attempt.elapsed(), "kubernetes request failed");
                    transport_failures += 1;
                    if transport_failures >= TRANSPORT_ATTEMPTS || started.elapsed() > RETRY_BUDGET
                    {
                        return Err(self.unreachable(describe_transport(&error)));
                    }
                    delay
                }
            };
            tokio::time::sleep(wait).await;
            delay = (delay * 2).min(Duration::from_secs(2));
        }
    }

    fn unreachable(&self, detail: String) -> K8sError {
        K8sError::Unreachable {
            url: self.url.clone(),
            kubeconfig: self.kubeconfig.clone(),
            detail,
        }
    }
}

/// The innermost cause of a transport error ("Connection refused"), not just "ServiceError".
fn describe_transport(error: &kube::Error) -> String {
    let mut text = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        text = format!("{text}: {cause}");
        source = cause.source();
    }
    text
}

/// Request and response bodies at trace level: JSON on one line, with the values of Secret
/// objects (and of Secrets in lists) replaced as `--diff` does — a Secret read from the cluster
/// need not be registered anywhere, so the log writer's redactor would not know it — and long
/// bodies cut. Formatted only when the event is actually written.
struct BodyLog<'a>(&'a [u8]);

/// Bodies longer than this are cut in trace logs (the PGO CRDs are megabytes).
const BODY_LOG_LIMIT: usize = 16 * 1024;

impl std::fmt::Display for BodyLog<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.0.is_empty() {
            return f.write_str("<empty>");
        }
        let text = match serde_json::from_slice::<Json>(self.0) {
            Ok(mut json) => {
                if let Some(items) = json.get_mut("items").and_then(Json::as_array_mut) {
                    for item in items.iter_mut() {
                        *item = crate::diff::redact(item, None);
                    }
                }
                crate::diff::redact(&json, None).to_string()
            }
            // Not JSON (protobuf, plain text errors): never shown raw, it may be a Secret.
            Err(_) => return write!(f, "<{} bytes, not JSON>", self.0.len()),
        };
        match text.char_indices().nth(BODY_LOG_LIMIT) {
            Some((cut, _)) => write!(
                f,
                "{}… ({} bytes in all)",
                text.get(..cut).unwrap_or_default(),
                text.len()
            ),
            None => f.write_str(&text),
        }
    }
}

/// Texts of `Warning: 299 - "text"` headers.
fn warnings(headers: &HeaderMap) -> Vec<String> {
    headers
        .get_all("warning")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .map(|v| {
            let text = v.split_once(" - ").map(|(_, t)| t).unwrap_or(v).trim();
            text.strip_prefix('"')
                .and_then(|t| t.strip_suffix('"'))
                .unwrap_or(text)
                .replace("\\\"", "\"")
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn warning_headers_are_unquoted() {
        let mut headers = HeaderMap::new();
        headers.append(
            "warning",
            http::HeaderValue::from_static("299 - \"unknown field \\\"spec.x\\\"\""),
        );
        assert_eq!(warnings(&headers), vec!["unknown field \"spec.x\""]);
    }

    #[test]
    fn logged_bodies_hide_secret_values_even_in_lists() {
        let secret = br#"{"kind":"Secret","metadata":{"name":"s3"},"data":{"key":"Y2FuYXJ5LXZhbHVl"},"stringData":{"conf":"canary-value"}}"#;
        let shown = BodyLog(secret).to_string();
        assert!(shown.contains(r#""name":"s3""#), "{shown}");
        assert!(
            !shown.contains("Y2FuYXJ5LXZhbHVl") && !shown.contains("canary-value"),
            "{shown}"
        );
        let list =
            br#"{"kind":"SecretList","items":[{"kind":"Secret","data":{"k":"Y2FuYXJ5LXZhbHVl"}}]}"#;
        let shown = BodyLog(list).to_string();
        assert!(!shown.contains("Y2FuYXJ5LXZhbHVl"), "{shown}");
        assert_eq!(
            BodyLog(b"\x00canary-value").to_string(),
            "<13 bytes, not JSON>"
        );
        let config_map = format!(
            r#"{{"kind":"ConfigMap","data":{{"k":"{}"}}}}"#,
            "x".repeat(40_000)
        );
        let shown = BodyLog(config_map.as_bytes()).to_string();
        assert!(
            shown.len() < 17_000 && shown.ends_with("bytes in all)"),
            "{}",
            shown.len()
        );
    }

    #[test]
    fn query_appends_with_the_right_separator() {
        let call = Call::get("/api/v1/namespaces").map(|c| c.query("a", "1").query("b", "2"));
        assert_eq!(
            call.map(|c| c.uri.to_string()).ok().as_deref(),
            Some("/api/v1/namespaces?a=1&b=2")
        );
    }
}
