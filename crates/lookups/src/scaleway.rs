//! `lookup('scaleway_secret', 'secret-id', revision='latest', region='fr-par')`: one version of
//! a Scaleway Secret Manager secret, decoded.
//!
//! `GET {api_url}/secret-manager/v1beta1/regions/{region}/secrets/{id}/versions/{revision}/access`
//! with `X-Auth-Token: <secret key>`; the response's `data` is base64 and, when the version was
//! created with one, `data_crc32` is checked against the decoded bytes. The secret key comes from
//! `secret_key=` or `SCW_SECRET_KEY`, the region from `region=`, `SCW_DEFAULT_REGION`, else
//! `fr-par`, the API from `api_url=`, `SCW_API_URL`, else `https://api.scaleway.com`.

use std::collections::BTreeMap;

use base64::Engine;
use serde_json::Value;
use url::Url;

use crate::error::LookupError;
use crate::http::{self, Ctx, HttpSettings};
use crate::kwargs::Kwargs;
use crate::sensitive::Sensitive;

const LOOKUP: &str = "scaleway_secret";

/// The public Scaleway API.
pub const DEFAULT_API_URL: &str = "https://api.scaleway.com";

const KNOWN: &[&str] = &[
    "revision",
    "region",
    "api_url",
    "secret_key",
    "api_token",
    "timeout",
    "validate_certs",
];

/// Options of the `scaleway_secret` lookup.
#[derive(Debug, Clone, PartialEq)]
pub struct ScalewayOptions {
    /// `latest` (default), `latest_enabled`, or a revision number.
    pub revision: String,
    /// Region, e.g. `fr-par`, `nl-ams`, `pl-waw`.
    pub region: Option<String>,
    /// API base URL (tests, private endpoints).
    pub api_url: Option<String>,
    /// IAM secret key sent as `X-Auth-Token` (`secret_key`, alias `api_token`).
    pub secret_key: Option<Sensitive>,
    /// Timeout and TLS validation.
    pub http: HttpSettings,
}

impl Default for ScalewayOptions {
    fn default() -> Self {
        Self {
            revision: "latest".into(),
            region: None,
            api_url: None,
            secret_key: None,
            http: HttpSettings::default(),
        }
    }
}

impl ScalewayOptions {
    /// Reads the keyword arguments; unknown keys are an error with a did-you-mean.
    pub fn from_kwargs(kwargs: &BTreeMap<String, Value>) -> Result<Self, LookupError> {
        let k = Kwargs::new(LOOKUP, kwargs, KNOWN)?;
        let mut o = Self {
            region: k.string(&["region"])?,
            api_url: k.string(&["api_url"])?,
            secret_key: k.sensitive(&["secret_key", "api_token"])?,
            ..Self::default()
        };
        if let Some(r) = k.string(&["revision"])? {
            let ok = r == "latest"
                || r == "latest_enabled"
                || (r.parse::<u32>().is_ok_and(|n| n > 0) && !r.starts_with('+'));
            if !ok {
                return Err(LookupError::BadOption {
                    lookup: LOOKUP,
                    key: "revision".into(),
                    expected: format!(
                        "must be 'latest', 'latest_enabled' or a revision number >= 1, got '{r}'"
                    ),
                });
            }
            o.revision = r;
        }
        if let Some(t) = k.seconds(&["timeout"])? {
            o.http.timeout = t;
        }
        if let Some(v) = k.bool(&["validate_certs"])? {
            o.http.validate_certs = v;
        }
        Ok(o)
    }
}

/// Fetches and decodes one version of the secret `id`.
pub fn scaleway_secret(id: &str, options: &ScalewayOptions) -> Result<String, LookupError> {
    http::off_runtime(|| fetch(id, options, &|var| std::env::var(var).ok()))
}

/// [`scaleway_secret`] with the environment supplied by the caller (tests, embedding).
pub fn scaleway_secret_with_env(
    id: &str,
    options: &ScalewayOptions,
    env: &(dyn Fn(&str) -> Option<String> + Sync),
) -> Result<String, LookupError> {
    http::off_runtime(|| fetch(id, options, env))
}

fn fetch(
    id: &str,
    o: &ScalewayOptions,
    env: &(dyn Fn(&str) -> Option<String> + Sync),
) -> Result<String, LookupError> {
    let id = id.trim();
    if id.is_empty() || id.contains('/') {
        return Err(LookupError::BadTerm {
            lookup: LOOKUP,
            problem: "expected a secret id (a UUID), got an empty string or a path".into(),
        });
    }
    let ctx = Ctx {
        lookup: LOOKUP,
        target: id.to_string(),
    };
    let token = o
        .secret_key
        .clone()
        .or_else(|| {
            env("SCW_SECRET_KEY")
                .filter(|v| !v.is_empty())
                .map(Sensitive::new)
        })
        .ok_or_else(|| LookupError::Credentials {
            lookup: LOOKUP,
            target: id.to_string(),
            problem: "no credentials: pass secret_key= or set SCW_SECRET_KEY".into(),
        })?;
    let region = o
        .region
        .clone()
        .or_else(|| env("SCW_DEFAULT_REGION").filter(|v| !v.is_empty()))
        .unwrap_or_else(|| "fr-par".to_string());
    if region.is_empty()
        || !region
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    {
        return Err(LookupError::BadOption {
            lookup: LOOKUP,
            key: "region".into(),
            expected: "must look like fr-par (lower-case letters, digits, dashes)".into(),
        });
    }
    let base = o
        .api_url
        .clone()
        .or_else(|| env("SCW_API_URL").filter(|v| !v.is_empty()))
        .unwrap_or_else(|| DEFAULT_API_URL.to_string());
    let mut url = Url::parse(&base)
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some())
        .ok_or_else(|| LookupError::BadOption {
            lookup: LOOKUP,
            key: "api_url".into(),
            expected: "must be an absolute http:// or https:// URL".into(),
        })?;
    url.set_query(None);
    url.path_segments_mut()
        .map_err(|_| LookupError::BadOption {
            lookup: LOOKUP,
            key: "api_url".into(),
            expected: "must be a URL that can have a path".into(),
        })?
        .pop_if_empty()
        .extend([
            "secret-manager",
            "v1beta1",
            "regions",
            &region,
            "secrets",
            id,
            "versions",
            &o.revision,
            "access",
        ]);

    let mut header = reqwest::header::HeaderValue::from_str(token.expose()).map_err(|_| {
        LookupError::BadOption {
            lookup: LOOKUP,
            key: "secret_key".into(),
            expected: "must be visible ASCII without newlines".into(),
        }
    })?;
    header.set_sensitive(true);
    let client = http::client(&ctx, &o.http)?;
    let request = client.get(url.clone()).header("X-Auth-Token", header);
    let response = http::send(&ctx, &url, &o.http, request)?;
    let status = response.status();
    let bytes = http::body(&ctx, &url, &o.http, response)?;
    if !status.is_success() {
        return Err(LookupError::Status {
            lookup: LOOKUP,
            target: id.to_string(),
            url: http::redact_url(&url),
            status: status.as_u16(),
            detail: error_detail(&bytes, &token),
        });
    }
    decode(&ctx, &bytes)
}

/// `data` (base64) decoded, checked against `data_crc32` when present, as UTF-8 text.
fn decode(ctx: &Ctx, body: &[u8]) -> Result<String, LookupError> {
    let json: Value = serde_json::from_slice(body).map_err(|_| {
        ctx.bad_response("expected a JSON AccessSecretVersionResponse, got something else")
    })?;
    let data = json
        .get("data")
        .and_then(Value::as_str)
        .ok_or_else(|| ctx.bad_response("the response has no string field 'data'"))?;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(data)
        .map_err(|_| ctx.bad_response("the response's 'data' is not valid base64"))?;
    if let Some(expected) = json.get("data_crc32").and_then(Value::as_u64) {
        let actual = u64::from(crc32fast::hash(&bytes));
        if actual != expected {
            return Err(ctx.bad_response(format!(
                "the decoded data fails its checksum (data_crc32 {expected}, computed {actual})"
            )));
        }
    }
    String::from_utf8(bytes).map_err(|_| {
        ctx.bad_response("the secret's data is not UTF-8 text; expected a text secret")
    })
}

/// `" (not_found: resource is not found)"` from a Scaleway error body, token scrubbed.
fn error_detail(body: &[u8], token: &Sensitive) -> String {
    let Ok(Value::Object(map)) = serde_json::from_slice::<Value>(body) else {
        return String::new();
    };
    let kind = map.get("type").and_then(Value::as_str);
    let message = map.get("message").and_then(Value::as_str);
    let text = match (kind, message) {
        (Some(k), Some(m)) => format!("{k}: {m}"),
        (Some(k), None) => k.to_string(),
        (None, Some(m)) => m.to_string(),
        (None, None) => return String::new(),
    };
    let text = if token.expose().is_empty() {
        text
    } else {
        text.replace(token.expose(), "<redacted>")
    };
    format!(" ({})", text.chars().take(300).collect::<String>())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn kw(v: Value) -> BTreeMap<String, Value> {
        serde_json::from_value(v).unwrap_or_default()
    }

    #[test]
    fn revisions_are_validated() -> Result<(), LookupError> {
        assert_eq!(
            ScalewayOptions::from_kwargs(&kw(json!({"revision": 3})))?.revision,
            "3"
        );
        assert_eq!(
            ScalewayOptions::from_kwargs(&kw(json!({"revision": "latest_enabled"})))?.revision,
            "latest_enabled"
        );
        for bad in [json!("0"), json!("../x"), json!(-1), json!("newest")] {
            let e = ScalewayOptions::from_kwargs(&kw(json!({ "revision": bad })));
            assert!(e.is_err(), "{bad} accepted");
        }
        Ok(())
    }

    #[test]
    fn crc_mismatch_is_reported() {
        let ctx = Ctx {
            lookup: LOOKUP,
            target: "id".into(),
        };
        let ok = decode(&ctx, br#"{"data":"aGVsbG8=","data_crc32":907060870}"#);
        assert_eq!(ok.ok().as_deref(), Some("hello"));
        let bad = decode(&ctx, br#"{"data":"aGVsbG8=","data_crc32":1}"#).err();
        let bad = bad.map(|e| e.to_string()).unwrap_or_default();
        assert!(bad.contains("fails its checksum"), "{bad}");
        assert!(!bad.contains("hello"), "{bad}");
    }

    #[test]
    fn missing_key_is_named() {
        let e = scaleway_secret_with_env("abc", &ScalewayOptions::default(), &|_| None)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(e.contains("lookup('scaleway_secret', 'abc')"), "{e}");
        assert!(e.contains("SCW_SECRET_KEY"), "{e}");
    }
}
