//! Classic Helm chart repositories: `index.yaml` plus chart archives, with
//! semver constraints (`~5.8`), basic auth and the content-addressed cache.
//! The index itself is cached per URL and only refreshed when asked
//! (`update_repo_cache`) or when the wanted version is not in it.

use std::sync::atomic::{AtomicU64, Ordering};

use super::auth::Credentials;
use super::cache::Cache;
use super::http::{status_error, transport};
use super::oci::is_exact_version;
use super::{FetchedChart, SourceError, select_version, sorted_versions, verify_digest};
use crate::value::Value;

/// One chart version from `index.yaml`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexEntry {
    /// Version.
    pub version: String,
    /// Download URLs (absolute or relative to the repository).
    pub urls: Vec<String>,
    /// sha256 hex of the archive, when the index has one.
    pub digest: Option<String>,
}

/// A repository client.
#[derive(Debug)]
pub struct RepoClient {
    http: reqwest::Client,
    url: String,
    credentials: Option<Credentials>,
    pass_credentials_all: bool,
    downloaded: AtomicU64,
}

impl RepoClient {
    /// A client for the repository at `url`.
    pub fn new(http: reqwest::Client, url: &str, credentials: Option<Credentials>) -> Self {
        RepoClient {
            http,
            url: url.trim_end_matches('/').to_string(),
            credentials,
            pass_credentials_all: false,
            downloaded: AtomicU64::new(0),
        }
    }

    /// Sends the credentials to every host, not only the repository's own
    /// (Helm's `--pass-credentials`, `pass_credentials_all` in repositories.yaml).
    pub fn pass_credentials_all(mut self, yes: bool) -> Self {
        self.pass_credentials_all = yes;
        self
    }

    /// Bytes downloaded so far by this client.
    pub fn downloaded_bytes(&self) -> u64 {
        self.downloaded.load(Ordering::Relaxed)
    }

    /// Downloads `index.yaml`, checks that it is an index (an `entries`
    /// map), records it in the cache (so a later install with an exact or
    /// cached version needs no request) and returns its bytes.
    pub async fn download_index(&self, cache: &Cache) -> Result<Vec<u8>, SourceError> {
        let what = format!("{}/index.yaml", self.url);
        let data = self.get(&what).await?;
        let doc = crate::yaml::parse(&String::from_utf8_lossy(&data)).map_err(|e| {
            SourceError::Malformed {
                what: what.clone(),
                reason: format!("not a chart repository index (invalid YAML: {e})"),
            }
        })?;
        if !matches!(doc.get("entries"), Some(Value::Map(_))) {
            return Err(SourceError::Malformed {
                what,
                reason: "not a chart repository index (no `entries` map)".into(),
            });
        }
        let d = cache.put_blob(&data)?;
        cache.put_ref(&format!("index {}", self.url), &d)?;
        Ok(data)
    }

    async fn get(&self, url: &str) -> Result<Vec<u8>, SourceError> {
        let mut rb = self.http.get(url);
        // Like Helm (without --pass-credentials): credentials only go to the
        // repository's own host.
        if let Some(c) = &self.credentials
            && (self.pass_credentials_all || same_origin(url, &self.url))
        {
            rb = rb.basic_auth(&c.username, Some(&c.password));
        }
        let started = std::time::Instant::now();
        let resp = rb.send().await.map_err(|e| transport(url, e))?;
        super::http::log_response(&reqwest::Method::GET, url, resp.status(), started);
        let status = resp.status().as_u16();
        if status == 401 || status == 403 {
            return Err(SourceError::Auth {
                url: url.to_string(),
                status,
                had_credentials: self.credentials.is_some(),
            });
        }
        if !resp.status().is_success() {
            return Err(status_error(url, resp).await);
        }
        let bytes = resp.bytes().await.map_err(|e| transport(url, e))?;
        self.downloaded
            .fetch_add(bytes.len() as u64, Ordering::Relaxed);
        Ok(bytes.to_vec())
    }

    /// Downloads and parses `index.yaml` (cached under the cache's refs;
    /// `refresh` forces a download).
    pub async fn index(
        &self,
        chart: &str,
        cache: &Cache,
        refresh: bool,
        offline: bool,
    ) -> Result<Vec<IndexEntry>, SourceError> {
        let key = format!("index {}", self.url);
        let text = match cache.lookup(&key) {
            Some((_, data)) if !refresh || offline => data,
            _ if offline => {
                return Err(SourceError::NotCached {
                    chart: format!("{}/index.yaml", self.url),
                    cache: cache.root().to_path_buf(),
                });
            }
            _ => {
                let data = self.get(&format!("{}/index.yaml", self.url)).await?;
                let d = cache.put_blob(&data)?;
                cache.put_ref(&key, &d)?;
                data
            }
        };
        parse_index(
            &String::from_utf8_lossy(&text),
            chart,
            &format!("{}/index.yaml", self.url),
        )
    }

    /// Fetches `chart` at `version` (exact, constraint, or empty = newest
    /// stable). Exact versions already cached make no request.
    pub async fn fetch(
        &self,
        chart: &str,
        version: &str,
        cache: &Cache,
        refresh: bool,
        offline: bool,
    ) -> Result<FetchedChart, SourceError> {
        let exact = is_exact_version(version);
        let key = |v: &str| format!("{}|{chart}|{v}", self.url);
        if exact
            && !refresh
            && let Some((digest, archive)) = cache.lookup(&key(version))
        {
            return Ok(FetchedChart {
                archive,
                digest,
                version: version.to_string(),
                from_cache: true,
                downloaded_bytes: 0,
            });
        }
        let start = self.downloaded.load(Ordering::Relaxed);
        let mut entries = self.index(chart, cache, refresh, offline).await?;
        let versions = |es: &[IndexEntry]| es.iter().map(|e| e.version.clone()).collect::<Vec<_>>();
        let mut chosen = select_version(&versions(&entries), version);
        if chosen.is_none() && !refresh && !offline {
            entries = self.index(chart, cache, true, false).await?;
            chosen = select_version(&versions(&entries), version);
        }
        let chosen = chosen.ok_or_else(|| SourceError::NoSuchVersion {
            chart: format!("{}/{chart}", self.url),
            wanted: version.to_string(),
            available: sorted_versions(&versions(&entries)),
        })?;
        if let Some((digest, archive)) = cache.lookup(&key(&chosen)) {
            return Ok(FetchedChart {
                archive,
                digest,
                version: chosen,
                from_cache: false,
                downloaded_bytes: self.downloaded.load(Ordering::Relaxed) - start,
            });
        }
        if offline {
            return Err(SourceError::NotCached {
                chart: format!("{}/{chart} {chosen}", self.url),
                cache: cache.root().to_path_buf(),
            });
        }
        let entry = entries
            .iter()
            .find(|e| e.version == chosen)
            .ok_or_else(|| SourceError::Malformed {
                what: format!("{}/index.yaml", self.url),
                reason: format!("entry {chart} {chosen} vanished"),
            })?;
        let url = entry.urls.first().ok_or_else(|| SourceError::Malformed {
            what: format!("{}/index.yaml", self.url),
            reason: format!("entries.{chart}[version={chosen}].urls is empty"),
        })?;
        let url = resolve_url(&self.url, url);
        let archive = self.get(&url).await?;
        if let Some(d) = &entry.digest {
            verify_digest(&archive, d, &url)?;
        }
        let digest = cache.put_blob(&archive)?;
        cache.put_ref(&key(&chosen), &digest)?;
        Ok(FetchedChart {
            archive,
            digest,
            version: chosen,
            from_cache: false,
            downloaded_bytes: self.downloaded.load(Ordering::Relaxed) - start,
        })
    }
}

fn origin(url: &str) -> &str {
    let after = url.find("://").map(|i| i + 3).unwrap_or(0);
    let end = url[after..]
        .find('/')
        .map(|i| after + i)
        .unwrap_or(url.len());
    &url[..end]
}

fn same_origin(a: &str, b: &str) -> bool {
    origin(a).eq_ignore_ascii_case(origin(b))
}

/// Resolves an index URL against the repository URL (Helm's `ResolveReferenceURL`).
pub fn resolve_url(repo: &str, url: &str) -> String {
    if url.contains("://") {
        url.to_string()
    } else if let Some(abs) = url.strip_prefix('/') {
        format!("{}/{abs}", origin(repo))
    } else {
        format!("{}/{url}", repo.trim_end_matches('/'))
    }
}

/// The entries of `chart` in an `index.yaml`.
pub fn parse_index(text: &str, chart: &str, what: &str) -> Result<Vec<IndexEntry>, SourceError> {
    let malformed = |reason: String| SourceError::Malformed {
        what: what.to_string(),
        reason,
    };
    let doc = crate::yaml::parse(text).map_err(|e| malformed(format!("invalid YAML: {e}")))?;
    let Some(entries) = doc.get("entries") else {
        return Err(malformed("no `entries` map".into()));
    };
    let Some(Value::List(list)) = entries.get(chart) else {
        return Ok(Vec::new());
    };
    let s = |v: &Value, k: &str| v.get(k).and_then(|x| x.as_str().map(str::to_string));
    Ok(list
        .iter()
        .filter_map(|e| {
            let version = s(e, "version")?;
            let urls = match e.get("urls") {
                Some(Value::List(u)) => u
                    .iter()
                    .filter_map(|x| x.as_str().map(str::to_string))
                    .collect(),
                _ => Vec::new(),
            };
            Some(IndexEntry {
                version,
                urls,
                digest: s(e, "digest").filter(|d| !d.is_empty()),
            })
        })
        .collect())
}

/// `host[:port]` of a URL (for credential lookup).
pub fn origin_host(url: &str) -> String {
    let o = origin(url);
    o.split_once("://").map(|(_, h)| h).unwrap_or(o).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_and_urls() {
        let idx = "apiVersion: v1\nentries:\n  pgo:\n  - version: 5.8.2\n    urls: [charts/pgo-5.8.2.tgz]\n    digest: abc\n  - version: 5.7.0\n    urls: [https://cdn/pgo-5.7.0.tgz]\n";
        let e = parse_index(idx, "pgo", "i").unwrap();
        assert_eq!(e.len(), 2);
        assert_eq!(e[0].digest.as_deref(), Some("abc"));
        assert!(parse_index(idx, "other", "i").unwrap().is_empty());
        assert!(parse_index("foo: [", "pgo", "i").is_err());
        assert_eq!(
            resolve_url("http://h:1/repo", "charts/a.tgz"),
            "http://h:1/repo/charts/a.tgz"
        );
        assert_eq!(
            resolve_url("http://h:1/repo", "/x/a.tgz"),
            "http://h:1/x/a.tgz"
        );
        assert_eq!(
            resolve_url("http://h/repo", "https://c/a.tgz"),
            "https://c/a.tgz"
        );
        assert!(same_origin("http://h:1/a", "http://h:1/b/c"));
        assert!(!same_origin("http://h:1/a", "http://evil/b"));
    }
}
