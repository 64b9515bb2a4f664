//! `lookup('aws_secret', 'name', region=…)`: AWS Secrets Manager `GetSecretValue`.
//!
//! One signed JSON-protocol POST (see [`crate::sigv4`]); credentials come from the keyword
//! arguments or from `AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY` / `AWS_SESSION_TOKEN`, the
//! region from `region=` or `AWS_REGION` / `AWS_DEFAULT_REGION`. Returns `SecretString`, or
//! `SecretBinary` decoded as UTF-8 text; `json_key=` picks one field of a JSON secret.
//! Not supported (yet): profiles, instance/IRSA credentials, `bypath`, `nested`, `on_missing`.

use std::collections::BTreeMap;

use base64::Engine;
use serde_json::Value;
use url::Url;

use crate::error::LookupError;
use crate::http::{self, Ctx, HttpSettings};
use crate::kwargs::Kwargs;
use crate::sensitive::Sensitive;
use crate::sigv4;

const LOOKUP: &str = "aws_secret";

const KNOWN: &[&str] = &[
    "region",
    "aws_region",
    "endpoint",
    "endpoint_url",
    "aws_endpoint_url",
    "version_stage",
    "version_id",
    "access_key",
    "aws_access_key",
    "aws_access_key_id",
    "secret_key",
    "aws_secret_key",
    "aws_secret_access_key",
    "session_token",
    "aws_session_token",
    "security_token",
    "json_key",
    "timeout",
    "validate_certs",
];

/// Options of the `aws_secret` lookup.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AwsSecretOptions {
    /// `region=` (aliases `aws_region`); else `AWS_REGION`, `AWS_DEFAULT_REGION`.
    pub region: Option<String>,
    /// `endpoint=` (aliases `endpoint_url`, `aws_endpoint_url`), e.g. a moto or LocalStack URL;
    /// default `https://secretsmanager.<region>.amazonaws.com`.
    pub endpoint: Option<String>,
    /// `VersionStage`, e.g. `AWSPREVIOUS`.
    pub version_stage: Option<String>,
    /// `VersionId`.
    pub version_id: Option<String>,
    /// Access key id; else `AWS_ACCESS_KEY_ID`.
    pub access_key: Option<Sensitive>,
    /// Secret access key; else `AWS_SECRET_ACCESS_KEY`.
    pub secret_key: Option<Sensitive>,
    /// Session token; else `AWS_SESSION_TOKEN` (only with credentials from the environment).
    pub session_token: Option<Sensitive>,
    /// Return this top-level field of a JSON `SecretString` instead of the whole string.
    pub json_key: Option<String>,
    /// Timeout and TLS validation.
    pub http: HttpSettings,
}

impl AwsSecretOptions {
    /// Reads the keyword arguments; unknown keys are an error with a did-you-mean.
    pub fn from_kwargs(kwargs: &BTreeMap<String, Value>) -> Result<Self, LookupError> {
        let k = Kwargs::new(LOOKUP, kwargs, KNOWN)?;
        let mut o = Self {
            region: k.string(&["region", "aws_region"])?,
            endpoint: k.string(&["endpoint", "endpoint_url", "aws_endpoint_url"])?,
            version_stage: k.string(&["version_stage"])?,
            version_id: k.string(&["version_id"])?,
            access_key: k.sensitive(&["access_key", "aws_access_key", "aws_access_key_id"])?,
            secret_key: k.sensitive(&["secret_key", "aws_secret_key", "aws_secret_access_key"])?,
            session_token: k.sensitive(&[
                "session_token",
                "aws_session_token",
                "security_token",
            ])?,
            json_key: k.string(&["json_key"])?,
            http: HttpSettings::default(),
        };
        if let Some(t) = k.seconds(&["timeout"])? {
            o.http.timeout = t;
        }
        if let Some(v) = k.bool(&["validate_certs"])? {
            o.http.validate_certs = v;
        }
        Ok(o)
    }
}

/// The credentials a request is signed with.
struct Credentials {
    access_key: Sensitive,
    secret_key: Sensitive,
    session_token: Option<Sensitive>,
}

/// Fetches the secret `name` (a name or ARN) and returns its value.
pub fn aws_secret(name: &str, options: &AwsSecretOptions) -> Result<String, LookupError> {
    http::off_runtime(|| fetch(name, options, &|var| std::env::var(var).ok()))
}

/// [`aws_secret`] with the environment supplied by the caller (tests, embedding).
pub fn aws_secret_with_env(
    name: &str,
    options: &AwsSecretOptions,
    env: &(dyn Fn(&str) -> Option<String> + Sync),
) -> Result<String, LookupError> {
    http::off_runtime(|| fetch(name, options, env))
}

fn fetch(
    name: &str,
    o: &AwsSecretOptions,
    env: &(dyn Fn(&str) -> Option<String> + Sync),
) -> Result<String, LookupError> {
    if name.trim().is_empty() {
        return Err(LookupError::BadTerm {
            lookup: LOOKUP,
            problem: "expected a secret name or ARN, got an empty string".into(),
        });
    }
    let ctx = Ctx {
        lookup: LOOKUP,
        target: name.to_string(),
    };
    let region = o
        .region
        .clone()
        .or_else(|| env("AWS_REGION"))
        .or_else(|| env("AWS_DEFAULT_REGION"))
        .filter(|r| !r.is_empty())
        .ok_or_else(|| LookupError::Credentials {
            lookup: LOOKUP,
            target: name.to_string(),
            problem: "no region: pass region= or set AWS_REGION".into(),
        })?;
    if !region
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    {
        return Err(LookupError::BadOption {
            lookup: LOOKUP,
            key: "region".into(),
            expected: "must look like eu-west-1 (lower-case letters, digits, dashes)".into(),
        });
    }
    let creds = credentials(name, o, env)?;
    let endpoint_text = o
        .endpoint
        .clone()
        .unwrap_or_else(|| format!("https://secretsmanager.{region}.amazonaws.com/"));
    let endpoint = Url::parse(&endpoint_text)
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some())
        .ok_or_else(|| LookupError::BadOption {
            lookup: LOOKUP,
            key: "endpoint".into(),
            expected: "must be an absolute http:// or https:// URL".into(),
        })?;

    let payload = request_body(name, o);
    let headers = signed_headers(&endpoint, &payload, &creds, &region, &sigv4::amz_date_now());

    let client = http::client(&ctx, &o.http)?;
    let mut request = client.post(endpoint.clone()).body(payload);
    // reqwest writes the same Host itself (host, and the port when not the scheme's default).
    for (name, value) in headers.iter().filter(|(n, _)| n != "Host") {
        request = request.header(name.as_str(), sensitive_header(value)?);
    }
    let response = http::send(&ctx, &endpoint, &o.http, request)?;
    let status = response.status();
    let bytes = http::body(&ctx, &endpoint, &o.http, response)?;
    if !status.is_success() {
        return Err(LookupError::Status {
            lookup: LOOKUP,
            target: name.to_string(),
            url: http::redact_url(&endpoint),
            status: status.as_u16(),
            detail: error_detail(&bytes, &creds),
        });
    }
    let value = secret_value(&ctx, &bytes)?;
    match &o.json_key {
        None => Ok(value),
        Some(key) => json_field(&ctx, &value, key),
    }
}

/// The JSON body of `GetSecretValue`.
fn request_body(name: &str, o: &AwsSecretOptions) -> Vec<u8> {
    let mut body = serde_json::Map::new();
    body.insert("SecretId".into(), Value::from(name));
    if let Some(v) = &o.version_id {
        body.insert("VersionId".into(), Value::from(v.as_str()));
    }
    if let Some(v) = &o.version_stage {
        body.insert("VersionStage".into(), Value::from(v.as_str()));
    }
    Value::Object(body).to_string().into_bytes()
}

/// All request headers, `Host` and `Authorization` included, signed at `amz_date`.
fn signed_headers(
    endpoint: &Url,
    payload: &[u8],
    creds: &Credentials,
    region: &str,
    amz_date: &str,
) -> Vec<(String, String)> {
    let host = match endpoint.port() {
        Some(port) => format!("{}:{port}", endpoint.host_str().unwrap_or("")),
        None => endpoint.host_str().unwrap_or("").to_string(),
    };
    let mut headers = vec![
        (
            "Content-Type".to_string(),
            "application/x-amz-json-1.1".to_string(),
        ),
        ("Host".to_string(), host),
        ("X-Amz-Date".to_string(), amz_date.to_string()),
        (
            "X-Amz-Target".to_string(),
            "secretsmanager.GetSecretValue".to_string(),
        ),
    ];
    if let Some(token) = &creds.session_token {
        headers.push((
            "X-Amz-Security-Token".to_string(),
            token.expose().to_string(),
        ));
    }
    let params = sigv4::SigningParams {
        access_key: &creds.access_key,
        secret_key: &creds.secret_key,
        session_token: creds.session_token.as_ref(),
        region,
        service: "secretsmanager",
        amz_date,
    };
    let authorization = sigv4::authorization("POST", endpoint, &headers, payload, &params);
    headers.push(("Authorization".to_string(), authorization));
    headers
}

fn credentials(
    name: &str,
    o: &AwsSecretOptions,
    env: &(dyn Fn(&str) -> Option<String> + Sync),
) -> Result<Credentials, LookupError> {
    let missing = |problem: &str| LookupError::Credentials {
        lookup: LOOKUP,
        target: name.to_string(),
        problem: problem.to_string(),
    };
    match (&o.access_key, &o.secret_key) {
        (Some(a), Some(s)) => Ok(Credentials {
            access_key: a.clone(),
            secret_key: s.clone(),
            session_token: o.session_token.clone(),
        }),
        (Some(_), None) => Err(missing("access_key= is set but secret_key= is not")),
        (None, Some(_)) => Err(missing("secret_key= is set but access_key= is not")),
        (None, None) => {
            let access = env("AWS_ACCESS_KEY_ID").filter(|v| !v.is_empty());
            let secret = env("AWS_SECRET_ACCESS_KEY").filter(|v| !v.is_empty());
            match (access, secret) {
                (Some(a), Some(s)) => Ok(Credentials {
                    access_key: Sensitive::new(a),
                    secret_key: Sensitive::new(s),
                    session_token: o.session_token.clone().or_else(|| {
                        env("AWS_SESSION_TOKEN")
                            .filter(|v| !v.is_empty())
                            .map(Sensitive::new)
                    }),
                }),
                _ => Err(missing(
                    "no credentials: pass access_key= and secret_key=, or set \
                     AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY",
                )),
            }
        }
    }
}

fn sensitive_header(value: &str) -> Result<reqwest::header::HeaderValue, LookupError> {
    let mut v =
        reqwest::header::HeaderValue::from_str(value).map_err(|_| LookupError::BadOption {
            lookup: LOOKUP,
            key: "access_key/secret_key/session_token".into(),
            expected: "must be visible ASCII without newlines".into(),
        })?;
    v.set_sensitive(true);
    Ok(v)
}

/// `" (ResourceNotFoundException: message)"` from an AWS JSON error body, credentials scrubbed
/// and bounded in length.
fn error_detail(body: &[u8], creds: &Credentials) -> String {
    let Ok(Value::Object(map)) = serde_json::from_slice::<Value>(body) else {
        return String::new();
    };
    let code = map
        .get("__type")
        .and_then(Value::as_str)
        .map(|t| t.rsplit('#').next().unwrap_or(t).to_string());
    let message = ["message", "Message"]
        .iter()
        .find_map(|k| map.get(*k).and_then(Value::as_str));
    let mut text = match (code, message) {
        (Some(c), Some(m)) => format!("{c}: {m}"),
        (Some(c), None) => c,
        (None, Some(m)) => m.to_string(),
        (None, None) => return String::new(),
    };
    for secret in [
        Some(&creds.access_key),
        Some(&creds.secret_key),
        creds.session_token.as_ref(),
    ]
    .into_iter()
    .flatten()
    {
        if !secret.expose().is_empty() {
            text = text.replace(secret.expose(), "<redacted>");
        }
    }
    let text: String = text.chars().take(300).collect();
    format!(" ({text})")
}

/// `SecretString`, or `SecretBinary` (base64 in the JSON) decoded as UTF-8.
fn secret_value(ctx: &Ctx, body: &[u8]) -> Result<String, LookupError> {
    let json: Value = serde_json::from_slice(body).map_err(|_| {
        ctx.bad_response("expected a JSON GetSecretValue response, got something else")
    })?;
    if let Some(s) = json.get("SecretString").and_then(Value::as_str) {
        return Ok(s.to_string());
    }
    if let Some(b) = json.get("SecretBinary").and_then(Value::as_str) {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(b)
            .map_err(|_| ctx.bad_response("SecretBinary is not valid base64"))?;
        return String::from_utf8(bytes).map_err(|_| {
            ctx.bad_response("SecretBinary is not UTF-8 text; expected a text secret")
        });
    }
    Err(ctx.bad_response("the response has neither SecretString nor SecretBinary"))
}

/// One top-level field of a JSON object secret; strings as is, other values as JSON.
fn json_field(ctx: &Ctx, value: &str, key: &str) -> Result<String, LookupError> {
    let Ok(Value::Object(map)) = serde_json::from_str::<Value>(value) else {
        return Err(ctx.bad_response(format!(
            "json_key='{key}' needs the secret to be a JSON object; it is not"
        )));
    };
    match map.get(key) {
        Some(Value::String(s)) => Ok(s.clone()),
        Some(other) => Ok(other.to_string()),
        None => Err(ctx.bad_response(format!(
            "the secret's JSON object has no key '{key}' (it has {} keys)",
            map.len()
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn kw(v: Value) -> BTreeMap<String, Value> {
        serde_json::from_value(v).unwrap_or_default()
    }

    #[test]
    fn missing_credentials_and_region_are_named() {
        let o = AwsSecretOptions::default();
        let none = |_: &str| None;
        let e = aws_secret_with_env("db/pw", &o, &none)
            .err()
            .map(|e| e.to_string());
        let e = e.unwrap_or_default();
        assert!(e.contains("lookup('aws_secret', 'db/pw')"), "{e}");
        assert!(e.contains("no region"), "{e}");
        let env = |v: &str| (v == "AWS_REGION").then(|| "eu-west-1".to_string());
        let e = aws_secret_with_env("db/pw", &o, &env)
            .err()
            .map(|e| e.to_string());
        assert!(e.unwrap_or_default().contains("no credentials"));
    }

    #[test]
    fn region_must_be_plain() -> Result<(), LookupError> {
        let o = AwsSecretOptions::from_kwargs(&kw(json!({
            "region": "evil.com/x", "access_key": "a", "secret_key": "b"})))?;
        let e = aws_secret_with_env("s", &o, &|_| None)
            .err()
            .map(|e| e.to_string());
        assert!(
            e.unwrap_or_default()
                .contains("option 'region' must look like")
        );
        Ok(())
    }

    /// Golden from botocore's SigV4Auth: `scripts/sigv4-vectors.py` signs the same request.
    #[test]
    fn get_secret_value_signature_matches_botocore() -> Result<(), LookupError> {
        let o = AwsSecretOptions::from_kwargs(&kw(json!({"version_stage": "AWSPREVIOUS"})))?;
        let payload = request_body("app/db", &o);
        assert_eq!(
            String::from_utf8_lossy(&payload),
            r#"{"SecretId":"app/db","VersionStage":"AWSPREVIOUS"}"#
        );
        let creds = Credentials {
            access_key: Sensitive::new("AKIDEXAMPLE"),
            secret_key: Sensitive::new("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"),
            session_token: Some(Sensitive::new("SESSIONTOKENEXAMPLE")),
        };
        let endpoint = Url::parse("http://127.0.0.1:5000/").map_err(|_| LookupError::BadTerm {
            lookup: LOOKUP,
            problem: "url".into(),
        })?;
        let headers = signed_headers(&endpoint, &payload, &creds, "eu-west-1", "20150830T123600Z");
        let auth = headers
            .iter()
            .find(|(n, _)| n == "Authorization")
            .map(|(_, v)| v.as_str());
        assert_eq!(
            auth,
            Some(
                "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/eu-west-1/secretsmanager/aws4_request, \
                 SignedHeaders=content-type;host;x-amz-date;x-amz-security-token;x-amz-target, \
                 Signature=6ccabc14b1b9981791ed183534ecb1f59c5bc7e6441d55937d46115a31d00ad9"
            )
        );
        Ok(())
    }

    #[test]
    fn error_detail_scrubs_credentials() {
        let creds = Credentials {
            access_key: Sensitive::new("AKIDCANARY"),
            secret_key: Sensitive::new("SKCANARY"),
            session_token: None,
        };
        let body = br#"{"__type":"com.amazon#UnrecognizedClientException","message":"key AKIDCANARY bad"}"#;
        let d = error_detail(body, &creds);
        assert_eq!(d, " (UnrecognizedClientException: key <redacted> bad)");
    }

    #[test]
    fn json_key_errors_do_not_show_values() {
        let ctx = Ctx {
            lookup: LOOKUP,
            target: "s".into(),
        };
        let e = json_field(&ctx, r#"{"password":"CANARY"}"#, "user")
            .err()
            .map(|e| e.to_string());
        let e = e.unwrap_or_default();
        assert!(e.contains("no key 'user'"), "{e}");
        assert!(!e.contains("CANARY"), "{e}");
        let e = json_field(&ctx, "CANARY-not-json", "user")
            .err()
            .map(|e| e.to_string());
        assert!(!e.unwrap_or_default().contains("CANARY"));
    }
}
