//! Chart sources: where a chart comes from before it is rendered.
//!
//! Why a module of its own: the seed playbook installs PGO from an OCI
//! registry, other charts come from classic HTTP repositories or local
//! paths, and air-gapped runs must work from a local cache. Every remote
//! chart goes through the content-addressed [`cache`], so a second run
//! downloads nothing.
//!
//! - [`reference`]: parsing `oci://host/path/chart`, `repo/chart`, paths.
//! - [`http`]: one reqwest client (rustls + ring, custom CA, basic auth).
//! - [`oci`]: the OCI distribution API (pull, push, tags, token auth).
//! - [`repo`]: classic `index.yaml` repositories with semver constraints.
//! - [`repositories`]: named repositories in Helm's `repositories.yaml`.
//! - [`auth`]: credentials (`~/.docker/config.json`, `--registry-config`).
//! - [`cache`]: blobs by sha256 plus reference → digest records.
//! - [`package`]: `.tgz` packaging of a chart directory (`helm package`).

pub mod auth;
pub mod cache;
pub mod http;
pub mod oci;
pub mod package;
pub mod reference;
pub mod repo;
pub mod repositories;

use std::path::PathBuf;

use thiserror::Error;

pub use auth::Credentials;
pub use cache::Cache;
pub use reference::ChartRef;

/// Media type of the Helm chart config blob in an OCI manifest.
pub const HELM_CONFIG_MEDIA_TYPE: &str = "application/vnd.cncf.helm.config.v1+json";
/// Media type of the chart `.tgz` layer in an OCI manifest.
pub const HELM_CHART_MEDIA_TYPE: &str = "application/vnd.cncf.helm.chart.content.v1.tar+gzip";
/// Legacy chart layer media type (Helm 3.0-3.7 pushes).
pub const LEGACY_CHART_MEDIA_TYPE: &str = "application/tar+gzip";
/// OCI image manifest media type.
pub const OCI_MANIFEST_MEDIA_TYPE: &str = "application/vnd.oci.image.manifest.v1+json";

/// Errors resolving or downloading a chart.
#[derive(Debug, Error)]
pub enum SourceError {
    /// The chart reference cannot be parsed.
    #[error("invalid chart reference {reference:?}: {reason}")]
    BadReference {
        /// The reference as given.
        reference: String,
        /// What was expected.
        reason: String,
    },
    /// An HTTP request failed at the transport level.
    #[error("{url}: {message}")]
    Http {
        /// Request URL.
        url: String,
        /// reqwest's message (with its source chain).
        message: String,
    },
    /// The server answered with an unexpected status.
    #[error("{url}: HTTP {status}{}", if .body.is_empty() { String::new() } else { format!(": {}", .body) })]
    Status {
        /// Request URL.
        url: String,
        /// HTTP status.
        status: u16,
        /// Start of the response body.
        body: String,
    },
    /// Authentication was refused.
    #[error("{url}: authentication failed (HTTP {status}){}", if *.had_credentials { "" } else { "; no credentials found for this host (set them in ~/.docker/config.json, --registry-config or the module's username/password)" })]
    Auth {
        /// Request URL.
        url: String,
        /// HTTP status (401 or 403).
        status: u16,
        /// Whether credentials were sent.
        had_credentials: bool,
    },
    /// The requested version does not exist.
    #[error("chart {chart}: no version matches {wanted:?}; available: {}", if .available.is_empty() { "none".to_string() } else { .available.join(", ") })]
    NoSuchVersion {
        /// Chart reference.
        chart: String,
        /// Requested version or constraint.
        wanted: String,
        /// Versions that exist (newest first).
        available: Vec<String>,
    },
    /// Downloaded content does not match its declared digest.
    #[error("{what}: digest mismatch: expected {expected}, got {actual}")]
    DigestMismatch {
        /// What was downloaded.
        what: String,
        /// Declared digest.
        expected: String,
        /// Digest of the bytes received.
        actual: String,
    },
    /// A manifest, index or config is malformed.
    #[error("{what}: {reason}")]
    Malformed {
        /// Which document.
        what: String,
        /// What was expected.
        reason: String,
    },
    /// Offline mode and the chart is not cached.
    #[error("chart {chart} is not in the local cache ({cache}) and downloads are disabled")]
    NotCached {
        /// Chart reference.
        chart: String,
        /// Cache directory.
        cache: PathBuf,
    },
    /// Local file-system error.
    #[error("{path}: {source}")]
    Io {
        /// Path involved.
        path: PathBuf,
        /// Underlying error.
        source: std::io::Error,
    },
    /// The chart itself is invalid.
    #[error(transparent)]
    Chart(#[from] crate::chart::ChartError),
}

/// A chart archive obtained from a source.
#[derive(Debug, Clone)]
pub struct FetchedChart {
    /// The `.tgz` bytes.
    pub archive: Vec<u8>,
    /// `sha256:<hex>` of `archive`.
    pub digest: String,
    /// Chart version resolved (tag or index entry).
    pub version: String,
    /// True when served from the cache without any network request.
    pub from_cache: bool,
    /// Bytes downloaded over the network for this fetch.
    pub downloaded_bytes: u64,
}

/// `sha256:<hex>` of `data`.
pub fn sha256_digest(data: &[u8]) -> String {
    use sha2::Digest as _;
    let hash = sha2::Sha256::digest(data);
    let mut out = String::with_capacity(71);
    out.push_str("sha256:");
    for b in hash {
        out.push_str(&format!("{b:02x}"));
    }
    out
}

/// Verifies `data` against a `sha256:<hex>` (or bare hex) digest.
pub fn verify_digest(data: &[u8], expected: &str, what: &str) -> Result<(), SourceError> {
    let actual = sha256_digest(data);
    let want = if expected.contains(':') {
        expected.to_ascii_lowercase()
    } else {
        format!("sha256:{}", expected.to_ascii_lowercase())
    };
    if !want.starts_with("sha256:") {
        return Err(SourceError::Malformed {
            what: what.to_string(),
            reason: format!("unsupported digest algorithm in {expected:?} (only sha256)"),
        });
    }
    if actual != want {
        return Err(SourceError::DigestMismatch {
            what: what.to_string(),
            expected: want,
            actual,
        });
    }
    Ok(())
}

/// Picks from `versions` the newest matching `constraint` (empty: newest
/// stable release, like Helm). Returns the original string.
pub fn select_version(versions: &[String], constraint: &str) -> Option<String> {
    use crate::sprig::semver::{check, parse_version};
    let mut best: Option<(crate::sprig::semver::Version, &String)> = None;
    for v in versions {
        let Ok(parsed) = parse_version(v) else {
            continue;
        };
        let ok = if constraint.trim().is_empty() {
            parsed.pre.is_empty()
        } else if v == constraint.trim() {
            true
        } else {
            check(constraint, v).unwrap_or(false)
        };
        if ok
            && best
                .as_ref()
                .is_none_or(|(b, _)| parsed.compare(b) == std::cmp::Ordering::Greater)
        {
            best = Some((parsed, v));
        }
    }
    best.map(|(_, v)| v.clone())
}

/// `versions` sorted newest first (unparseable ones last), for messages.
pub fn sorted_versions(versions: &[String]) -> Vec<String> {
    use crate::sprig::semver::parse_version;
    let mut v: Vec<String> = versions.to_vec();
    v.sort_by(|a, b| match (parse_version(a), parse_version(b)) {
        (Ok(x), Ok(y)) => y.compare(&x),
        (Ok(_), Err(_)) => std::cmp::Ordering::Less,
        (Err(_), Ok(_)) => std::cmp::Ordering::Greater,
        _ => a.cmp(b),
    });
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selects_versions_like_helm() {
        let vs: Vec<String> = ["5.7.4", "5.8.0", "5.8.2", "5.9.0-rc.1", "6.0.0"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(select_version(&vs, "~5.8").as_deref(), Some("5.8.2"));
        assert_eq!(select_version(&vs, "").as_deref(), Some("6.0.0"));
        assert_eq!(select_version(&vs, "5.7.4").as_deref(), Some("5.7.4"));
        assert_eq!(select_version(&vs, "^5.0").as_deref(), Some("5.8.2"));
        assert_eq!(select_version(&vs, ">=7"), None);
        assert_eq!(sorted_versions(&vs)[0], "6.0.0");
    }

    #[test]
    fn digests() {
        let d = sha256_digest(b"abc");
        assert_eq!(
            d,
            "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert!(verify_digest(b"abc", &d, "x").is_ok());
        assert!(verify_digest(b"abc", &d[7..], "x").is_ok());
        let e = verify_digest(b"abd", &d, "blob").unwrap_err();
        assert!(e.to_string().starts_with("blob: digest mismatch"), "{e}");
    }
}

/// How to reach remote charts.
#[derive(Debug, Clone)]
pub struct FetchOptions {
    /// The chart cache.
    pub cache: Cache,
    /// TLS and timeout settings.
    pub http: http::HttpOptions,
    /// Talk `http://` to OCI registries (`--plain-http`).
    pub plain_http: bool,
    /// Docker-style credentials file (`--registry-config`); default
    /// `$DOCKER_CONFIG/config.json` or `~/.docker/config.json`.
    pub registry_config: Option<PathBuf>,
    /// Explicit credentials (take precedence over the config file).
    pub credentials: Option<Credentials>,
    /// Repository URL for `repo/chart` references (`chart_repo_url`).
    pub repo_url: Option<String>,
    /// Re-download repository indexes (`update_repo_cache`).
    pub update_repo_cache: bool,
    /// Never touch the network; serve from the cache or fail.
    pub offline: bool,
    /// Send repository credentials to every host an index points at
    /// (`pass_credentials_all`), not only the repository's own.
    pub pass_credentials_all: bool,
}

impl Default for FetchOptions {
    fn default() -> Self {
        FetchOptions {
            cache: Cache::new(Cache::default_root()),
            http: http::HttpOptions::default(),
            plain_http: false,
            registry_config: None,
            credentials: None,
            repo_url: None,
            update_repo_cache: false,
            offline: false,
            pass_credentials_all: false,
        }
    }
}

impl FetchOptions {
    /// Credentials for `host`: explicit ones, else the Docker config.
    pub fn credentials_for(&self, host: &str) -> Result<Option<Credentials>, SourceError> {
        if self.credentials.is_some() {
            return Ok(self.credentials.clone());
        }
        match self
            .registry_config
            .clone()
            .or_else(auth::default_config_path)
        {
            Some(p) => auth::from_docker_config(&p, host),
            None => Ok(None),
        }
    }

    /// An OCI client for `registry` with its credentials.
    pub fn oci_client(&self, registry: &str) -> Result<oci::OciClient, SourceError> {
        Ok(oci::OciClient::new(
            http::client(&self.http)?,
            self.plain_http,
            self.credentials_for(registry)?,
        ))
    }
}

/// Fetches a remote chart archive (`oci://`, `repo/chart` with
/// `repo_url`, or an `http(s)://….tgz`). Local references are not
/// fetched: load them with [`crate::load_chart`].
pub async fn fetch(
    reference: &ChartRef,
    version: &str,
    opts: &FetchOptions,
) -> Result<FetchedChart, SourceError> {
    let shown = match reference {
        ChartRef::Url(url) => http::shown(url),
        other => format!("{other:?}"),
    };
    tracing::debug!(reference = %shown, version, offline = opts.offline, "fetching chart");
    let fetched = fetch_from_source(reference, version, opts).await;
    match &fetched {
        Ok(chart) => tracing::debug!(
            reference = %shown,
            version = %chart.version,
            digest = %chart.digest,
            from_cache = chart.from_cache,
            downloaded_bytes = chart.downloaded_bytes,
            "chart fetched"
        ),
        Err(error) => tracing::debug!(reference = %shown, %error, "chart fetch failed"),
    }
    fetched
}

/// [`fetch`] without its logging: the cache or the network, per reference kind.
async fn fetch_from_source(
    reference: &ChartRef,
    version: &str,
    opts: &FetchOptions,
) -> Result<FetchedChart, SourceError> {
    match reference {
        ChartRef::Oci(r) => {
            opts.oci_client(&r.registry)?
                .pull(r, version, &opts.cache, opts.offline)
                .await
        }
        ChartRef::Repo { repo, chart } => {
            let url = opts
                .repo_url
                .as_deref()
                .ok_or_else(|| SourceError::BadReference {
                    reference: format!("{repo}/{chart}"),
                    reason: format!("repository {repo:?} has no URL (set chart_repo_url)"),
                })?;
            let host = repo::origin_host(url);
            let client =
                repo::RepoClient::new(http::client(&opts.http)?, url, opts.credentials_for(&host)?)
                    .pass_credentials_all(opts.pass_credentials_all);
            client
                .fetch(
                    chart,
                    version,
                    &opts.cache,
                    opts.update_repo_cache,
                    opts.offline,
                )
                .await
        }
        ChartRef::Url(url) => {
            let key = format!("url {url}");
            if let Some((digest, archive)) = opts.cache.lookup(&key) {
                return Ok(FetchedChart {
                    archive,
                    digest,
                    version: version.to_string(),
                    from_cache: true,
                    downloaded_bytes: 0,
                });
            }
            if opts.offline {
                return Err(SourceError::NotCached {
                    chart: url.clone(),
                    cache: opts.cache.root().to_path_buf(),
                });
            }
            let client = http::client(&opts.http)?;
            let started = std::time::Instant::now();
            let resp = client
                .get(url)
                .send()
                .await
                .map_err(|e| http::transport(url, e))?;
            http::log_response(&reqwest::Method::GET, url, resp.status(), started);
            if !resp.status().is_success() {
                return Err(http::status_error(url, resp).await);
            }
            let archive = resp
                .bytes()
                .await
                .map_err(|e| http::transport(url, e))?
                .to_vec();
            let digest = opts.cache.put_blob(&archive)?;
            opts.cache.put_ref(&key, &digest)?;
            let downloaded_bytes = archive.len() as u64;
            Ok(FetchedChart {
                archive,
                digest,
                version: version.to_string(),
                from_cache: false,
                downloaded_bytes,
            })
        }
        ChartRef::Local(p) => Err(SourceError::BadReference {
            reference: p.display().to_string(),
            reason: "local charts are loaded, not fetched".into(),
        }),
    }
}
