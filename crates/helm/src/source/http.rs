//! One HTTP client for repositories and registries: reqwest on rustls with
//! the ring provider (no OpenSSL, no aws-lc), system roots plus an optional
//! custom CA bundle, and small helpers that turn failures into
//! [`SourceError`]s naming the URL.

use std::path::Path;
use std::time::Duration;

use super::SourceError;

/// HTTP settings shared by every source.
#[derive(Debug, Clone, Default)]
pub struct HttpOptions {
    /// Extra PEM CA bundle (`ca_cert` / `--ca-file`).
    pub ca_file: Option<std::path::PathBuf>,
    /// Skip TLS verification (`insecure_skip_tls_verify`).
    pub insecure_skip_tls_verify: bool,
    /// Per-request timeout (default 60 s).
    pub timeout: Option<Duration>,
}

/// Builds the client.
pub fn client(opts: &HttpOptions) -> Result<reqwest::Client, SourceError> {
    // reqwest is built without a default crypto provider; install ring once
    // per process (an error means another provider is already installed).
    let _ = rustls::crypto::ring::default_provider().install_default();
    let mut b = reqwest::Client::builder()
        .user_agent(concat!("stackbook-helm/", env!("CARGO_PKG_VERSION")))
        .timeout(opts.timeout.unwrap_or(Duration::from_secs(60)))
        .connect_timeout(Duration::from_secs(15));
    if let Some(ca) = &opts.ca_file {
        b = b.tls_certs_merge(read_ca(ca)?);
    }
    if opts.insecure_skip_tls_verify {
        b = b.tls_danger_accept_invalid_certs(true);
    }
    b.build().map_err(|e| SourceError::Http {
        url: String::new(),
        message: error_chain(&e),
    })
}

fn read_ca(path: &Path) -> Result<Vec<reqwest::Certificate>, SourceError> {
    let pem = std::fs::read(path).map_err(|source| SourceError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| SourceError::Malformed {
        what: path.display().to_string(),
        reason: format!("expected PEM certificates: {e}"),
    })
}

/// reqwest's error with its source chain ("error sending request: connection refused").
pub fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        let m = c.to_string();
        if !s.contains(&m) {
            s.push_str(": ");
            s.push_str(&m);
        }
        cur = c.source();
    }
    s
}

/// `url` as debug logs show it: without userinfo and with the query string elided, since
/// either may carry credentials.
pub fn shown(url: &str) -> String {
    match reqwest::Url::parse(url) {
        Ok(mut parsed) => {
            let _ = parsed.set_username("");
            let _ = parsed.set_password(None);
            let had_query = parsed.query().is_some();
            parsed.set_query(None);
            parsed.set_fragment(None);
            if had_query {
                format!("{parsed}?<query>")
            } else {
                parsed.to_string()
            }
        }
        Err(_) => "<unparsable URL>".to_string(),
    }
}

/// Logs one finished request at debug level: method, URL, status and duration.
pub fn log_response(
    method: &reqwest::Method,
    url: &str,
    status: reqwest::StatusCode,
    started: std::time::Instant,
) {
    tracing::debug!(%method, url = %shown(url), status = status.as_u16(), duration = ?started.elapsed(), "chart source request");
}

/// Maps a transport error for `url`.
pub fn transport(url: &str, e: reqwest::Error) -> SourceError {
    SourceError::Http {
        url: url.to_string(),
        message: error_chain(&e),
    }
}

/// Turns a non-success response into [`SourceError::Status`] with the start of its body.
pub async fn status_error(url: &str, resp: reqwest::Response) -> SourceError {
    let status = resp.status().as_u16();
    let body = resp.text().await.unwrap_or_default();
    let body: String = body.trim().chars().take(300).collect();
    SourceError::Status {
        url: url.to_string(),
        status,
        body,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shown_urls_hide_credentials() {
        assert_eq!(
            shown("https://bob:hunter2@charts.example.com/repo/index.yaml?token=abc"),
            "https://charts.example.com/repo/index.yaml?<query>"
        );
        assert_eq!(shown("not a url"), "<unparsable URL>");
    }
}
