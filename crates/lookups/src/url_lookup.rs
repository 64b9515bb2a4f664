//! `lookup('url', 'https://…', headers={…}, timeout=10, …)`: the body of an HTTP(S) resource.
//!
//! Follows Ansible's `ansible.builtin.url` lookup: one result per term, split into lines unless
//! `split_lines=false`; non-2xx answers are errors. Differences: credentials (`username`/
//! `password`) are always sent preemptively as Basic auth (Ansible waits for a 401 unless
//! `force_basic_auth`), and `method` (default `GET`) is accepted.

use std::collections::BTreeMap;
use std::path::PathBuf;

use reqwest::Method;
use reqwest::header::{HeaderName, HeaderValue};
use serde_json::Value;
use url::Url;

use crate::error::LookupError;
use crate::http::{self, Ctx, HttpSettings};
use crate::kwargs::Kwargs;
use crate::sensitive::Sensitive;

const LOOKUP: &str = "url";

const KNOWN: &[&str] = &[
    "headers",
    "timeout",
    "validate_certs",
    "username",
    "url_username",
    "password",
    "url_password",
    "method",
    "split_lines",
    "use_proxy",
    "http_agent",
    "force_basic_auth",
    "ca_path",
    "follow_redirects",
];

/// Options of the `url` lookup.
#[derive(Debug, Clone, PartialEq)]
pub struct UrlOptions {
    /// Extra request headers (values are sensitive: `Authorization: Bearer …`).
    pub headers: Vec<(String, Sensitive)>,
    /// Timeout, TLS validation, proxies, CA bundle, redirects, user agent.
    pub http: HttpSettings,
    /// Basic-auth user (`username`, alias `url_username`).
    pub username: Option<Sensitive>,
    /// Basic-auth password (`password`, alias `url_password`).
    pub password: Option<Sensitive>,
    /// HTTP method, `GET` by default.
    pub method: Method,
    /// One result per line (true, default) or the whole body as one result.
    pub split_lines: bool,
}

impl Default for UrlOptions {
    fn default() -> Self {
        Self {
            headers: Vec::new(),
            http: HttpSettings {
                user_agent: "ansible-httpget".to_string(),
                ..HttpSettings::default()
            },
            username: None,
            password: None,
            method: Method::GET,
            split_lines: true,
        }
    }
}

impl UrlOptions {
    /// Reads the keyword arguments; unknown keys are an error with a did-you-mean.
    pub fn from_kwargs(kwargs: &BTreeMap<String, Value>) -> Result<Self, LookupError> {
        let k = Kwargs::new(LOOKUP, kwargs, KNOWN)?;
        let mut o = Self {
            headers: k.headers(&["headers"])?,
            username: k.sensitive(&["username", "url_username"])?,
            password: k.sensitive(&["password", "url_password"])?,
            ..Self::default()
        };
        if let Some(t) = k.seconds(&["timeout"])? {
            o.http.timeout = t;
        }
        if let Some(v) = k.bool(&["validate_certs"])? {
            o.http.validate_certs = v;
        }
        if let Some(v) = k.bool(&["use_proxy"])? {
            o.http.use_proxy = v;
        }
        if let Some(v) = k.bool(&["split_lines"])? {
            o.split_lines = v;
        }
        // Accepted for compatibility: credentials are always sent preemptively.
        k.bool(&["force_basic_auth"])?;
        if let Some(agent) = k.string(&["http_agent"])? {
            o.http.user_agent = agent;
        }
        if let Some(path) = k.string(&["ca_path"])? {
            o.http.ca_path = Some(PathBuf::from(path));
        }
        if let Some(f) = k.string(&["follow_redirects"])? {
            o.http.follow_redirects = match f.to_ascii_lowercase().as_str() {
                "all" | "safe" | "urllib2" | "yes" | "true" => true,
                "none" | "no" | "false" => false,
                _ => {
                    return Err(LookupError::BadOption {
                        lookup: LOOKUP,
                        key: "follow_redirects".into(),
                        expected: "must be one of all, safe, urllib2, none".into(),
                    });
                }
            };
        }
        if let Some(m) = k.string(&["method"])? {
            let upper = m.to_ascii_uppercase();
            o.method =
                Method::from_bytes(upper.as_bytes()).map_err(|_| LookupError::BadOption {
                    lookup: LOOKUP,
                    key: "method".into(),
                    expected: "must be an HTTP method such as GET, POST or HEAD".into(),
                })?;
        }
        if o.password.is_some() && o.username.is_none() {
            return Err(LookupError::BadOption {
                lookup: LOOKUP,
                key: "password".into(),
                expected: "needs username= as well".into(),
            });
        }
        Ok(o)
    }
}

/// Fetches `term` and returns its body as lines (`split_lines`) or as one string.
pub fn url(term: &str, options: &UrlOptions) -> Result<Vec<String>, LookupError> {
    http::off_runtime(|| fetch(term, options))
}

fn fetch(term: &str, o: &UrlOptions) -> Result<Vec<String>, LookupError> {
    let parsed = Url::parse(term.trim()).map_err(|e| LookupError::BadTerm {
        lookup: LOOKUP,
        problem: format!(
            "expected an absolute http:// or https:// URL, got an unparsable one ({e})"
        ),
    })?;
    let ctx = Ctx {
        lookup: LOOKUP,
        target: http::redact_url(&parsed),
    };
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(LookupError::BadTerm {
            lookup: LOOKUP,
            problem: format!("expected an http:// or https:// URL, got {}", ctx.target),
        });
    }
    let client = http::client(&ctx, &o.http)?;
    let mut request = client.request(o.method.clone(), parsed.clone());
    for (name, value) in &o.headers {
        let header =
            HeaderName::from_bytes(name.as_bytes()).map_err(|_| LookupError::BadOption {
                lookup: LOOKUP,
                key: format!("headers.{name}"),
                expected: "must be a valid HTTP header name".into(),
            })?;
        let mut value =
            HeaderValue::from_str(value.expose()).map_err(|_| LookupError::BadOption {
                lookup: LOOKUP,
                key: format!("headers.{name}"),
                expected: "must be a valid HTTP header value (visible ASCII, no newlines)".into(),
            })?;
        value.set_sensitive(true);
        request = request.header(header, value);
    }
    if let Some(user) = &o.username {
        request = request.basic_auth(user.expose(), o.password.as_ref().map(Sensitive::expose));
    }
    let response = http::send(&ctx, &parsed, &o.http, request)?;
    let status = response.status();
    if !status.is_success() {
        let reason = status
            .canonical_reason()
            .map(|r| format!(" {r}"))
            .unwrap_or_default();
        return Err(LookupError::Status {
            lookup: LOOKUP,
            target: ctx.target.clone(),
            url: "the server".into(),
            status: status.as_u16(),
            detail: reason,
        });
    }
    let bytes = http::body(&ctx, &parsed, &o.http, response)?;
    let text = String::from_utf8(bytes)
        .map_err(|_| ctx.bad_response("the response body is not UTF-8 text"))?;
    Ok(if o.split_lines {
        python_splitlines(&text)
    } else {
        vec![text]
    })
}

/// Python's `str.splitlines()`: the line boundaries Ansible splits on, terminators dropped.
pub fn python_splitlines(text: &str) -> Vec<String> {
    let mut lines = Vec::new();
    let mut current = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\r' => {
                if chars.peek() == Some(&'\n') {
                    chars.next();
                }
                lines.push(std::mem::take(&mut current));
            }
            '\n' | '\u{0b}' | '\u{0c}' | '\u{1c}' | '\u{1d}' | '\u{1e}' | '\u{85}' | '\u{2028}'
            | '\u{2029}' => lines.push(std::mem::take(&mut current)),
            other => current.push(other),
        }
    }
    if !current.is_empty() {
        lines.push(current);
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn splitlines_matches_python() {
        // Expected values from Python: "a\nb\r\nc\rd\x0be\u2028f\n\ng\n".splitlines()
        assert_eq!(
            python_splitlines("a\nb\r\nc\rd\x0be\u{2028}f\n\ng\n"),
            ["a", "b", "c", "d", "e", "f", "", "g"]
        );
        assert!(python_splitlines("").is_empty());
        assert_eq!(python_splitlines("\n"), [""]);
    }

    #[test]
    fn defaults_are_safe() -> Result<(), LookupError> {
        let o = UrlOptions::from_kwargs(&BTreeMap::new())?;
        assert!(o.http.validate_certs);
        assert!(o.http.use_proxy);
        assert_eq!(o.http.timeout, http::DEFAULT_TIMEOUT);
        assert_eq!(o.method, Method::GET);
        assert!(o.split_lines);
        Ok(())
    }

    #[test]
    fn options_parse_and_debug_redacts() -> Result<(), LookupError> {
        let kw: BTreeMap<String, Value> = serde_json::from_value(json!({
            "headers": {"Authorization": "Bearer CANARY-TOKEN"},
            "username": "bob", "password": "CANARY-PW",
            "timeout": 2, "validate_certs": "no", "method": "post", "split_lines": false
        }))
        .unwrap_or_default();
        let o = UrlOptions::from_kwargs(&kw)?;
        assert_eq!(o.method, Method::POST);
        assert!(!o.http.validate_certs);
        let debug = format!("{o:?}");
        assert!(!debug.contains("CANARY"), "{debug}");
        assert!(!debug.contains("bob"), "{debug}");
        Ok(())
    }

    #[test]
    fn unknown_option_suggests() {
        let kw: BTreeMap<String, Value> =
            serde_json::from_value(json!({"validate_cert": false})).unwrap_or_default();
        let e = UrlOptions::from_kwargs(&kw)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(e.contains("did you mean 'validate_certs'?"), "{e}");
    }

    #[test]
    fn non_http_terms_are_rejected() {
        let e = url("file:///etc/passwd", &UrlOptions::default())
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(e.contains("expected an http:// or https:// URL"), "{e}");
    }
}
