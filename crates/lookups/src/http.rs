//! The blocking HTTP client shared by the lookups, and the helpers that keep its errors clean.
//!
//! Why here: all three lookups need the same safe defaults — a 10 s timeout, TLS validation on,
//! proxies from `HTTP(S)_PROXY`/`NO_PROXY` honoured, rustls with the *ring* provider — and the
//! same discipline for errors: URLs are shown without userinfo or query string, and reqwest's
//! own messages are used without their URL.

use std::path::PathBuf;
use std::time::Duration;

use reqwest::blocking::{Client, Response};
use url::Url;

use crate::error::LookupError;

/// Default timeout for connect, read and write (Ansible's `url` lookup default, too).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// Responses larger than this are refused rather than buffered (a lookup reads into memory).
pub const MAX_BODY_BYTES: u64 = 64 * 1024 * 1024;

/// Transport settings shared by the lookups.
#[derive(Debug, Clone, PartialEq)]
pub struct HttpSettings {
    /// Connect/read/write timeout.
    pub timeout: Duration,
    /// Verify the server certificate and host name (default true).
    pub validate_certs: bool,
    /// Honour proxy environment variables (default true).
    pub use_proxy: bool,
    /// Extra PEM CA bundle trusted in addition to the system roots.
    pub ca_path: Option<PathBuf>,
    /// Follow redirects (up to 10).
    pub follow_redirects: bool,
    /// `User-Agent` header.
    pub user_agent: String,
}

impl Default for HttpSettings {
    fn default() -> Self {
        Self {
            timeout: DEFAULT_TIMEOUT,
            validate_certs: true,
            use_proxy: true,
            ca_path: None,
            follow_redirects: true,
            user_agent: concat!("stackbook/", env!("CARGO_PKG_VERSION")).to_string(),
        }
    }
}

/// Who is asking, for error messages: the lookup's name and its redacted target.
#[derive(Debug, Clone)]
pub(crate) struct Ctx {
    pub lookup: &'static str,
    pub target: String,
}

impl Ctx {
    pub(crate) fn bad_response(&self, problem: impl Into<String>) -> LookupError {
        LookupError::BadResponse {
            lookup: self.lookup,
            target: self.target.clone(),
            problem: problem.into(),
        }
    }
}

/// Builds a client; the ring provider is installed process-wide if none is yet (idempotent).
pub(crate) fn client(ctx: &Ctx, settings: &HttpSettings) -> Result<Client, LookupError> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let mut builder = Client::builder()
        .timeout(settings.timeout)
        .connect_timeout(settings.timeout)
        .user_agent(settings.user_agent.clone())
        .tls_danger_accept_invalid_certs(!settings.validate_certs)
        .tls_danger_accept_invalid_hostnames(!settings.validate_certs)
        .redirect(if settings.follow_redirects {
            reqwest::redirect::Policy::limited(10)
        } else {
            reqwest::redirect::Policy::none()
        });
    if !settings.use_proxy {
        builder = builder.no_proxy();
    }
    if let Some(path) = &settings.ca_path {
        let shown = path.display().to_string();
        let pem = std::fs::read(path).map_err(|e| LookupError::BadOption {
            lookup: ctx.lookup,
            key: "ca_path".into(),
            expected: format!("must name a readable PEM file: cannot read {shown}: {e}"),
        })?;
        let certs =
            reqwest::Certificate::from_pem_bundle(&pem).map_err(|_| LookupError::BadOption {
                lookup: ctx.lookup,
                key: "ca_path".into(),
                expected: format!("must name a PEM certificate bundle; {shown} is not one"),
            })?;
        builder = builder.tls_certs_merge(certs);
    }
    builder.build().map_err(|e| LookupError::Transport {
        lookup: ctx.lookup,
        target: ctx.target.clone(),
        url: "(client setup)".into(),
        reason: describe(&e, settings.timeout),
    })
}

/// Runs `f` on a fresh thread, so the blocking client never runs inside an async runtime
/// (reqwest's blocking client panics there) whatever the caller's context is.
pub(crate) fn off_runtime<T: Send>(f: impl FnOnce() -> T + Send) -> T {
    std::thread::scope(|scope| match scope.spawn(f).join() {
        Ok(value) => value,
        Err(panic) => std::panic::resume_unwind(panic),
    })
}

/// `scheme://host[:port]/path`, with `?<query>` standing in for a query string: userinfo and
/// query parameters may carry credentials.
pub fn redact_url(url: &Url) -> String {
    let mut shown = format!("{}://{}", url.scheme(), url.host_str().unwrap_or(""));
    if let Some(port) = url.port() {
        shown.push_str(&format!(":{port}"));
    }
    shown.push_str(url.path());
    if url.query().is_some() {
        shown.push_str("?<query>");
    }
    shown
}

/// Sends a request and maps transport failures to [`LookupError::Transport`]. Each request
/// is logged at debug level with its endpoint (redacted as in errors), status and duration;
/// never with headers or bodies, which are credentials and secrets by definition here.
pub(crate) fn send(
    ctx: &Ctx,
    url: &Url,
    settings: &HttpSettings,
    request: reqwest::blocking::RequestBuilder,
) -> Result<Response, LookupError> {
    let started = std::time::Instant::now();
    let endpoint = redact_url(url);
    match request.send() {
        Ok(response) => {
            tracing::debug!(lookup = ctx.lookup, %endpoint, status = response.status().as_u16(), duration = ?started.elapsed(), "secret lookup request");
            Ok(response)
        }
        Err(e) => {
            let reason = describe(&e, settings.timeout);
            tracing::debug!(lookup = ctx.lookup, %endpoint, %reason, duration = ?started.elapsed(), "secret lookup request failed");
            Err(LookupError::Transport {
                lookup: ctx.lookup,
                target: ctx.target.clone(),
                url: endpoint,
                reason,
            })
        }
    }
}

/// Reads the whole body (bounded by [`MAX_BODY_BYTES`]).
pub(crate) fn body(
    ctx: &Ctx,
    url: &Url,
    settings: &HttpSettings,
    response: Response,
) -> Result<Vec<u8>, LookupError> {
    use std::io::Read;
    let mut buf = Vec::new();
    let mut limited = response.take(MAX_BODY_BYTES + 1);
    limited
        .read_to_end(&mut buf)
        .map_err(|e| LookupError::Transport {
            lookup: ctx.lookup,
            target: ctx.target.clone(),
            url: redact_url(url),
            reason: if e.kind() == std::io::ErrorKind::TimedOut {
                format!(
                    "timed out after {:?} reading the response",
                    settings.timeout
                )
            } else {
                format!("reading the response: {e}")
            },
        })?;
    if buf.len() as u64 > MAX_BODY_BYTES {
        return Err(ctx.bad_response(format!(
            "the response from {} is larger than {MAX_BODY_BYTES} bytes",
            redact_url(url)
        )));
    }
    Ok(buf)
}

/// reqwest's error without its URL, with its causes (TLS, connect, DNS) appended.
fn describe(e: &reqwest::Error, timeout: Duration) -> String {
    if e.is_timeout() {
        return format!("timed out after {timeout:?} (set timeout= to wait longer)");
    }
    let mut text = String::new();
    let mut source: Option<&(dyn std::error::Error + 'static)> = std::error::Error::source(e);
    let head = if e.is_connect() {
        "could not connect"
    } else if e.is_redirect() {
        "too many redirects"
    } else if e.is_builder() {
        "invalid request"
    } else {
        "error sending the request"
    };
    text.push_str(head);
    while let Some(cause) = source {
        let msg = cause.to_string();
        if !text.ends_with(&msg) {
            text.push_str(": ");
            text.push_str(&msg);
        }
        source = cause.source();
    }
    if text.contains("certificate") || text.contains("UnknownIssuer") {
        text.push_str(" (the server certificate was not trusted: add ca_path= or, for a test server only, validate_certs=false)");
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacted_urls_hide_userinfo_and_query() -> Result<(), url::ParseError> {
        let url = Url::parse("https://bob:hunter2@example.com:8443/a/b?token=abc")?;
        assert_eq!(redact_url(&url), "https://example.com:8443/a/b?<query>");
        let url = Url::parse("http://127.0.0.1/")?;
        assert_eq!(redact_url(&url), "http://127.0.0.1/");
        Ok(())
    }

    #[test]
    fn off_runtime_returns_the_value() {
        assert_eq!(off_runtime(|| 41 + 1), 42);
    }
}
