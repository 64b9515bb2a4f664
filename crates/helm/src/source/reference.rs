//! Chart references as `kubernetes.core.helm`'s `chart_ref` accepts them.

use std::path::PathBuf;

use super::SourceError;

/// Where a chart comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChartRef {
    /// A chart directory or `.tgz` on disk.
    Local(PathBuf),
    /// `oci://host[:port]/path/chart`.
    Oci(OciRef),
    /// `repo/chart`: a chart from a named repository (its URL supplied by
    /// the caller, e.g. `chart_repo_url` or a `helm_repository` entry).
    Repo {
        /// Repository name.
        repo: String,
        /// Chart name.
        chart: String,
    },
    /// A direct `http(s)://…/chart.tgz` URL.
    Url(String),
}

/// An OCI repository reference without tag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OciRef {
    /// `host[:port]`.
    pub registry: String,
    /// Repository path (`crunchydata/pgo`).
    pub repository: String,
}

impl OciRef {
    /// The chart name (last path segment).
    pub fn chart_name(&self) -> &str {
        self.repository
            .rsplit('/')
            .next()
            .unwrap_or(&self.repository)
    }
}

impl std::fmt::Display for OciRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "oci://{}/{}", self.registry, self.repository)
    }
}

/// Parses `oci://host/repo`, checking the OCI naming rules.
pub fn parse_oci(s: &str) -> Result<OciRef, SourceError> {
    let bad = |reason: &str| SourceError::BadReference {
        reference: s.to_string(),
        reason: reason.to_string(),
    };
    let rest = s
        .strip_prefix("oci://")
        .ok_or_else(|| bad("expected oci://host/path"))?;
    if rest.contains('@') {
        return Err(bad(
            "digests in the reference are not supported; use chart_version",
        ));
    }
    let (registry, repository) = rest
        .split_once('/')
        .ok_or_else(|| bad("expected a repository path after the host"))?;
    let repository = repository.trim_end_matches('/');
    let (repository, tag) = match repository.rsplit_once(':') {
        Some((r, t)) if !t.contains('/') => (r, Some(t)),
        _ => (repository, None),
    };
    if tag.is_some() {
        return Err(bad("put the version in chart_version, not a :tag"));
    }
    if registry.is_empty() || repository.is_empty() {
        return Err(bad("empty host or repository"));
    }
    let valid_component = |c: &str| {
        !c.is_empty()
            && c.bytes().all(|b| {
                b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'_' | b'-')
            })
            && c.bytes().next().is_some_and(|b| b.is_ascii_alphanumeric())
    };
    if !repository.split('/').all(valid_component) {
        return Err(bad(
            "repository path components must be lowercase letters, digits, '.', '_' or '-'",
        ));
    }
    Ok(OciRef {
        registry: registry.to_string(),
        repository: repository.to_string(),
    })
}

impl ChartRef {
    /// Parses a `chart_ref`. A string naming an existing path is local;
    /// `oci://` and `http(s)://` are remote; `a/b` (not on disk) is
    /// `repo/chart`.
    pub fn parse(s: &str) -> Result<ChartRef, SourceError> {
        if s.starts_with("oci://") {
            return parse_oci(s).map(ChartRef::Oci);
        }
        if s.starts_with("http://") || s.starts_with("https://") {
            return Ok(ChartRef::Url(s.to_string()));
        }
        let path = PathBuf::from(s);
        if path.exists() || s.starts_with('.') || s.starts_with('/') || s.ends_with(".tgz") {
            return Ok(ChartRef::Local(path));
        }
        match s.split_once('/') {
            Some((repo, chart))
                if !repo.is_empty() && !chart.is_empty() && !chart.contains('/') =>
            {
                Ok(ChartRef::Repo {
                    repo: repo.to_string(),
                    chart: chart.to_string(),
                })
            }
            _ => Err(SourceError::BadReference {
                reference: s.to_string(),
                reason: "expected a path, oci://host/path/chart, repo/chart or an http(s) URL"
                    .into(),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_references() {
        let r =
            ChartRef::parse("oci://registry.developers.crunchydata.com/crunchydata/pgo").unwrap();
        let ChartRef::Oci(o) = r else { panic!() };
        assert_eq!(o.registry, "registry.developers.crunchydata.com");
        assert_eq!(o.repository, "crunchydata/pgo");
        assert_eq!(o.chart_name(), "pgo");
        assert_eq!(
            o.to_string(),
            "oci://registry.developers.crunchydata.com/crunchydata/pgo"
        );
        let ChartRef::Oci(o) = ChartRef::parse("oci://127.0.0.1:5055/charts/pgo").unwrap() else {
            panic!()
        };
        assert_eq!(o.registry, "127.0.0.1:5055");
        assert_eq!(
            ChartRef::parse("bitnami/redis").unwrap(),
            ChartRef::Repo {
                repo: "bitnami".into(),
                chart: "redis".into()
            }
        );
        assert!(matches!(
            ChartRef::parse("./charts/pgo").unwrap(),
            ChartRef::Local(_)
        ));
        for bad in [
            "oci://host",
            "oci://host/Pgo",
            "oci://host/pgo:5.8.2",
            "oci://host/a@sha256:x",
            "nochart",
        ] {
            let e = ChartRef::parse(bad).unwrap_err();
            assert!(e.to_string().contains(bad), "{e}");
        }
    }
}
