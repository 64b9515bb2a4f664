//! The OCI distribution API for Helm charts: pull by tag (= chart version),
//! list tags, push, with anonymous, basic and bearer-token auth.
//!
//! Why hand-written: the protocol surface Helm uses is small (manifest,
//! blob, tags, upload) and an OCI client crate would bring a second HTTP
//! stack. Every blob is verified against its digest; charts land in the
//! content-addressed [`Cache`] so the next pull of the same version makes
//! no request at all.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use reqwest::{Method, StatusCode};
use serde_json::json;

use super::auth::{Challenge, Credentials, parse_challenge};
use super::cache::Cache;
use super::http::{status_error, transport};
use super::reference::OciRef;
use super::{
    FetchedChart, HELM_CHART_MEDIA_TYPE, HELM_CONFIG_MEDIA_TYPE, LEGACY_CHART_MEDIA_TYPE,
    OCI_MANIFEST_MEDIA_TYPE, SourceError, select_version, sha256_digest, sorted_versions,
    verify_digest,
};

const MANIFEST_ACCEPT: &str = "application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json";
/// Largest manifest or config accepted (they are tiny JSON documents).
const MAX_MANIFEST: usize = 4 * 1024 * 1024;

/// A client for one registry.
pub struct OciClient {
    http: reqwest::Client,
    plain_http: bool,
    credentials: Option<Credentials>,
    /// `Authorization` header per scope, learned from challenges.
    auth: Mutex<HashMap<String, String>>,
    downloaded: AtomicU64,
}

impl std::fmt::Debug for OciClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OciClient")
            .field("plain_http", &self.plain_http)
            .field("credentials", &self.credentials)
            .finish_non_exhaustive()
    }
}

impl OciClient {
    /// A client; `plain_http` talks `http://` (loopback registries).
    pub fn new(http: reqwest::Client, plain_http: bool, credentials: Option<Credentials>) -> Self {
        OciClient {
            http,
            plain_http,
            credentials,
            auth: Mutex::new(HashMap::new()),
            downloaded: AtomicU64::new(0),
        }
    }

    /// Bytes of response bodies read so far.
    pub fn downloaded_bytes(&self) -> u64 {
        self.downloaded.load(Ordering::Relaxed)
    }

    fn base(&self, r: &OciRef) -> String {
        let scheme = if self.plain_http { "http" } else { "https" };
        format!("{scheme}://{}/v2/{}", r.registry, r.repository)
    }

    /// Sends a request, answering one auth challenge (basic, or a bearer
    /// token fetched from the challenge's realm) and retrying once.
    async fn send(
        &self,
        method: Method,
        url: &str,
        scope: &str,
        headers: &[(&str, &str)],
        body: Option<Vec<u8>>,
    ) -> Result<reqwest::Response, SourceError> {
        let build = |auth: Option<String>| {
            let mut rb = self.http.request(method.clone(), url);
            for (k, v) in headers {
                rb = rb.header(*k, *v);
            }
            if let Some(a) = auth {
                rb = rb.header("Authorization", a);
            }
            if let Some(b) = &body {
                rb = rb.body(b.clone());
            }
            rb
        };
        let cached = self.auth.lock().ok().and_then(|m| m.get(scope).cloned());
        let started = std::time::Instant::now();
        let resp = build(cached.clone())
            .send()
            .await
            .map_err(|e| transport(url, e))?;
        super::http::log_response(&method, url, resp.status(), started);
        if resp.status() != StatusCode::UNAUTHORIZED {
            return self.check_auth(url, resp, cached.is_some());
        }
        let challenge = resp
            .headers()
            .get("www-authenticate")
            .and_then(|v| v.to_str().ok())
            .and_then(parse_challenge);
        let header = match challenge {
            Some(Challenge::Basic) => match &self.credentials {
                Some(c) => c.basic_header(),
                None => return Err(self.auth_error(url, 401)),
            },
            Some(Challenge::Bearer {
                realm,
                service,
                scope: challenge_scope,
            }) => {
                let wanted = challenge_scope.unwrap_or_else(|| scope.to_string());
                self.fetch_token(&realm, service.as_deref(), &wanted)
                    .await?
            }
            None => return Err(self.auth_error(url, 401)),
        };
        if let Ok(mut m) = self.auth.lock() {
            m.insert(scope.to_string(), header.clone());
        }
        let started = std::time::Instant::now();
        let resp = build(Some(header))
            .send()
            .await
            .map_err(|e| transport(url, e))?;
        super::http::log_response(&method, url, resp.status(), started);
        self.check_auth(url, resp, true)
    }

    fn check_auth(
        &self,
        url: &str,
        resp: reqwest::Response,
        sent_auth: bool,
    ) -> Result<reqwest::Response, SourceError> {
        match resp.status() {
            StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN
                if sent_auth || resp.status() == StatusCode::FORBIDDEN =>
            {
                Err(self.auth_error(url, resp.status().as_u16()))
            }
            _ => Ok(resp),
        }
    }

    fn auth_error(&self, url: &str, status: u16) -> SourceError {
        SourceError::Auth {
            url: url.to_string(),
            status,
            had_credentials: self.credentials.is_some(),
        }
    }

    async fn fetch_token(
        &self,
        realm: &str,
        service: Option<&str>,
        scope: &str,
    ) -> Result<String, SourceError> {
        let mut rb = self.http.get(realm);
        let mut q: Vec<(&str, &str)> = vec![("scope", scope)];
        if let Some(s) = service {
            q.push(("service", s));
        }
        rb = rb.query(&q);
        if let Some(c) = &self.credentials {
            rb = rb.basic_auth(&c.username, Some(&c.password));
        }
        let started = std::time::Instant::now();
        let resp = rb.send().await.map_err(|e| transport(realm, e))?;
        super::http::log_response(&Method::GET, realm, resp.status(), started);
        if matches!(
            resp.status(),
            StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN
        ) {
            return Err(self.auth_error(realm, resp.status().as_u16()));
        }
        if !resp.status().is_success() {
            return Err(status_error(realm, resp).await);
        }
        let body: serde_json::Value = resp.json().await.map_err(|e| transport(realm, e))?;
        let token = body
            .get("token")
            .or_else(|| body.get("access_token"))
            .and_then(|t| t.as_str())
            .ok_or_else(|| SourceError::Malformed {
                what: realm.to_string(),
                reason: "token response has neither `token` nor `access_token`".into(),
            })?;
        Ok(format!("Bearer {token}"))
    }

    async fn read_body(
        &self,
        url: &str,
        resp: reqwest::Response,
        limit: usize,
    ) -> Result<Vec<u8>, SourceError> {
        let bytes = resp.bytes().await.map_err(|e| transport(url, e))?;
        self.downloaded
            .fetch_add(bytes.len() as u64, Ordering::Relaxed);
        if bytes.len() > limit {
            return Err(SourceError::Malformed {
                what: url.to_string(),
                reason: format!("response larger than {limit} bytes"),
            });
        }
        Ok(bytes.to_vec())
    }

    /// The repository's tags (`/tags/list`).
    pub async fn tags(&self, r: &OciRef) -> Result<Vec<String>, SourceError> {
        let url = format!("{}/tags/list", self.base(r));
        let scope = pull_scope(r);
        let resp = self.send(Method::GET, &url, &scope, &[], None).await?;
        if resp.status() == StatusCode::NOT_FOUND {
            return Ok(Vec::new());
        }
        if !resp.status().is_success() {
            return Err(status_error(&url, resp).await);
        }
        let body = self.read_body(&url, resp, MAX_MANIFEST).await?;
        let json: serde_json::Value =
            serde_json::from_slice(&body).map_err(|e| SourceError::Malformed {
                what: url.clone(),
                reason: format!("invalid tags JSON: {e}"),
            })?;
        Ok(json
            .get("tags")
            .and_then(|t| t.as_array())
            .map(|a| {
                a.iter()
                    .filter_map(|t| t.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default())
    }

    /// Pulls chart `r` at `version` (exact version, semver constraint, or
    /// empty for the newest stable). An exact version already in `cache`
    /// is served without any request; `offline` forbids the network.
    pub async fn pull(
        &self,
        r: &OciRef,
        version: &str,
        cache: &Cache,
        offline: bool,
    ) -> Result<FetchedChart, SourceError> {
        let start = self.downloaded_bytes();
        let exact = is_exact_version(version);
        if exact {
            let key = format!("{r}:{}", version.replace('+', "_"));
            if let Some((digest, archive)) = cache.lookup(&key) {
                return Ok(FetchedChart {
                    archive,
                    digest,
                    version: version.to_string(),
                    from_cache: true,
                    downloaded_bytes: 0,
                });
            }
        }
        if offline {
            return Err(SourceError::NotCached {
                chart: format!("{r} {version}"),
                cache: cache.root().to_path_buf(),
            });
        }
        let version = if exact {
            version.to_string()
        } else {
            let tags: Vec<String> = self
                .tags(r)
                .await?
                .iter()
                .map(|t| t.replace('_', "+"))
                .collect();
            select_version(&tags, version).ok_or_else(|| SourceError::NoSuchVersion {
                chart: r.to_string(),
                wanted: version.to_string(),
                available: sorted_versions(&tags),
            })?
        };
        let tag = version.replace('+', "_");
        let url = format!("{}/manifests/{tag}", self.base(r));
        let resp = self
            .send(
                Method::GET,
                &url,
                &pull_scope(r),
                &[("Accept", MANIFEST_ACCEPT)],
                None,
            )
            .await?;
        if resp.status() == StatusCode::NOT_FOUND {
            let tags: Vec<String> = self
                .tags(r)
                .await
                .unwrap_or_default()
                .iter()
                .map(|t| t.replace('_', "+"))
                .collect();
            return Err(SourceError::NoSuchVersion {
                chart: r.to_string(),
                wanted: version,
                available: sorted_versions(&tags),
            });
        }
        if !resp.status().is_success() {
            return Err(status_error(&url, resp).await);
        }
        let header_digest = resp
            .headers()
            .get("docker-content-digest")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let body = self.read_body(&url, resp, MAX_MANIFEST).await?;
        if let Some(d) = &header_digest {
            verify_digest(&body, d, &format!("manifest {r}:{tag}"))?;
        }
        let layer = chart_layer(&body, &format!("manifest {r}:{tag}"))?;
        let archive = match cache.get_blob(&layer.digest) {
            Some(a) => a,
            None => {
                let url = format!("{}/blobs/{}", self.base(r), layer.digest);
                let resp = self
                    .send(Method::GET, &url, &pull_scope(r), &[], None)
                    .await?;
                if !resp.status().is_success() {
                    return Err(status_error(&url, resp).await);
                }
                let data = self.read_body(&url, resp, usize::MAX).await?;
                verify_digest(&data, &layer.digest, &format!("chart layer of {r}:{tag}"))?;
                if layer.size.is_some_and(|s| s != data.len() as u64) {
                    return Err(SourceError::Malformed {
                        what: url,
                        reason: format!(
                            "expected {} bytes, got {}",
                            layer.size.unwrap_or(0),
                            data.len()
                        ),
                    });
                }
                cache.put_blob(&data)?;
                data
            }
        };
        cache.put_ref(&format!("{r}:{tag}"), &layer.digest)?;
        Ok(FetchedChart {
            archive,
            digest: layer.digest,
            version,
            from_cache: false,
            downloaded_bytes: self.downloaded_bytes() - start,
        })
    }

    /// Pushes a chart `.tgz` to `namespace/<chart name>:<version>` like
    /// `helm push chart.tgz oci://host/namespace`. Returns the pushed
    /// reference and the manifest digest.
    pub async fn push(
        &self,
        namespace: &OciRef,
        archive: &[u8],
    ) -> Result<(String, String), SourceError> {
        let chart = crate::chart::load_archive(archive, "chart archive")?;
        let r = OciRef {
            registry: namespace.registry.clone(),
            repository: format!("{}/{}", namespace.repository, chart.name),
        };
        let config = serde_json::to_vec(&crate::release::build::chart_record(&chart).metadata)
            .map_err(|e| SourceError::Malformed {
                what: "Chart.yaml".into(),
                reason: e.to_string(),
            })?;
        let config_digest = self.upload_blob(&r, &config).await?;
        let layer_digest = self.upload_blob(&r, archive).await?;
        let manifest = json!({
            "schemaVersion": 2,
            "mediaType": OCI_MANIFEST_MEDIA_TYPE,
            "config": {"mediaType": HELM_CONFIG_MEDIA_TYPE, "digest": config_digest, "size": config.len()},
            "layers": [{"mediaType": HELM_CHART_MEDIA_TYPE, "digest": layer_digest, "size": archive.len()}],
            "annotations": {
                "org.opencontainers.image.title": chart.name,
                "org.opencontainers.image.version": chart.version,
            },
        });
        let body = serde_json::to_vec(&manifest).map_err(|e| SourceError::Malformed {
            what: "manifest".into(),
            reason: e.to_string(),
        })?;
        let tag = chart.version.replace('+', "_");
        let url = format!("{}/manifests/{tag}", self.base(&r));
        let resp = self
            .send(
                Method::PUT,
                &url,
                &push_scope(&r),
                &[("Content-Type", OCI_MANIFEST_MEDIA_TYPE)],
                Some(body.clone()),
            )
            .await?;
        if !resp.status().is_success() {
            return Err(status_error(&url, resp).await);
        }
        Ok((format!("{r}:{tag}"), sha256_digest(&body)))
    }

    async fn upload_blob(&self, r: &OciRef, data: &[u8]) -> Result<String, SourceError> {
        let digest = sha256_digest(data);
        let scope = push_scope(r);
        let head = format!("{}/blobs/{digest}", self.base(r));
        let resp = self.send(Method::HEAD, &head, &scope, &[], None).await?;
        if resp.status().is_success() {
            return Ok(digest);
        }
        let start = format!("{}/blobs/uploads/", self.base(r));
        let resp = self.send(Method::POST, &start, &scope, &[], None).await?;
        if resp.status() != StatusCode::ACCEPTED {
            return Err(status_error(&start, resp).await);
        }
        let location = resp
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .ok_or_else(|| SourceError::Malformed {
                what: start.clone(),
                reason: "upload response without Location".into(),
            })?;
        let location = if location.starts_with("http://") || location.starts_with("https://") {
            location.to_string()
        } else {
            let scheme = if self.plain_http { "http" } else { "https" };
            format!("{scheme}://{}{location}", r.registry)
        };
        let sep = if location.contains('?') { '&' } else { '?' };
        let put = format!("{location}{sep}digest={digest}");
        let resp = self
            .send(
                Method::PUT,
                &put,
                &scope,
                &[("Content-Type", "application/octet-stream")],
                Some(data.to_vec()),
            )
            .await?;
        if resp.status() != StatusCode::CREATED {
            return Err(status_error(&put, resp).await);
        }
        Ok(digest)
    }
}

fn pull_scope(r: &OciRef) -> String {
    format!("repository:{}:pull", r.repository)
}

fn push_scope(r: &OciRef) -> String {
    format!("repository:{}:pull,push", r.repository)
}

/// True for a plain version (`5.8.2`, `v1.0.0-rc.1`), false for
/// constraints (`~5.8`, `>=1`, `5.x`) and empty.
pub fn is_exact_version(v: &str) -> bool {
    let v = v.trim();
    !v.is_empty()
        && crate::sprig::semver::parse_version(v).is_ok()
        && !v.contains(['~', '^', '<', '>', '=', '*', ',', ' ', '|'])
        && !v.split(['.', '-', '+']).any(|p| p == "x" || p == "X")
        && v.trim_start_matches('v').split('.').count() >= 3
}

/// The chart layer of a manifest.
#[derive(Debug)]
struct Layer {
    digest: String,
    size: Option<u64>,
}

fn chart_layer(manifest: &[u8], what: &str) -> Result<Layer, SourceError> {
    let malformed = |reason: String| SourceError::Malformed {
        what: what.to_string(),
        reason,
    };
    let m: serde_json::Value =
        serde_json::from_slice(manifest).map_err(|e| malformed(format!("invalid JSON: {e}")))?;
    let config_type = m
        .pointer("/config/mediaType")
        .and_then(|v| v.as_str())
        .unwrap_or("");
    if config_type != HELM_CONFIG_MEDIA_TYPE {
        return Err(malformed(format!(
            "not a Helm chart (config media type {config_type:?}, expected {HELM_CONFIG_MEDIA_TYPE})"
        )));
    }
    let layers = m
        .get("layers")
        .and_then(|l| l.as_array())
        .ok_or_else(|| malformed("no layers".into()))?;
    let layer = layers
        .iter()
        .find(|l| {
            matches!(
                l.get("mediaType").and_then(|t| t.as_str()),
                Some(HELM_CHART_MEDIA_TYPE | LEGACY_CHART_MEDIA_TYPE)
            )
        })
        .ok_or_else(|| malformed(format!("no layer of type {HELM_CHART_MEDIA_TYPE}")))?;
    let digest = layer
        .get("digest")
        .and_then(|d| d.as_str())
        .ok_or_else(|| malformed("chart layer without digest".into()))?;
    Ok(Layer {
        digest: digest.to_ascii_lowercase(),
        size: layer.get("size").and_then(|s| s.as_u64()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_versions() {
        for v in ["5.8.2", "v5.8.2", "1.0.0-rc.1", "1.0.0+build.1"] {
            assert!(is_exact_version(v), "{v}");
        }
        for v in [
            "",
            "~5.8",
            "^5",
            ">=5.0.0",
            "5.8",
            "5.x",
            "5.8.*",
            "1.0.0 || 2.0.0",
        ] {
            assert!(!is_exact_version(v), "{v}");
        }
    }

    #[test]
    fn finds_the_chart_layer() {
        let m = format!(
            r#"{{"config":{{"mediaType":"{HELM_CONFIG_MEDIA_TYPE}"}},"layers":[{{"mediaType":"application/vnd.cncf.helm.chart.provenance.v1.prov","digest":"sha256:aa"}},{{"mediaType":"{HELM_CHART_MEDIA_TYPE}","digest":"sha256:BB","size":3}}]}}"#
        );
        let l = chart_layer(m.as_bytes(), "m").unwrap();
        assert_eq!((l.digest.as_str(), l.size), ("sha256:bb", Some(3)));
        let img =
            r#"{"config":{"mediaType":"application/vnd.oci.image.config.v1+json"},"layers":[]}"#;
        assert!(
            chart_layer(img.as_bytes(), "m")
                .unwrap_err()
                .to_string()
                .contains("not a Helm chart")
        );
        assert!(chart_layer(b"{", "m").is_err());
    }
}
