//! The storage format: `base64(gzip(json))` inside a Secret named
//! `sh.helm.release.v1.<name>.v<revision>` (Helm's `storage/driver/secrets.go`).
//!
//! Kubernetes base64-encodes Secret `data` once more on the wire, so the
//! `data.release` value of a Secret read from the API is base64 of the
//! base64 payload. [`to_secret`] and [`from_secret`] work on the API form.

use std::collections::BTreeMap;
use std::io::{Read, Write};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use flate2::Compression;
use flate2::read::GzDecoder;
use flate2::write::GzEncoder;
use thiserror::Error;

use super::model::Release;

/// The Secret `type` Helm uses for release records.
pub const RELEASE_SECRET_TYPE: &str = "helm.sh/release.v1";

/// Labels Helm manages itself; everything else on the Secret is a custom
/// release label (`Release.labels`).
const SYSTEM_LABELS: &[&str] = &[
    "name",
    "owner",
    "status",
    "version",
    "createdAt",
    "modifiedAt",
];

/// Upper bound for a decompressed release (a release Secret is at most 1 MiB;
/// gzip of JSON rarely exceeds 20:1). Guards against decompression bombs.
const MAX_RELEASE_JSON: u64 = 64 * 1024 * 1024;

/// Errors reading or writing a release record.
#[derive(Debug, Error)]
pub enum ReleaseError {
    /// The payload is not valid base64.
    #[error("release {what}: invalid base64: {source}")]
    Base64 {
        /// Which record or layer.
        what: String,
        /// Decoder error.
        source: base64::DecodeError,
    },
    /// The payload is not valid gzip.
    #[error("release {what}: invalid gzip data: {source}")]
    Gzip {
        /// Which record.
        what: String,
        /// I/O error from the decoder.
        source: std::io::Error,
    },
    /// The decompressed payload exceeds the size limit.
    #[error("release {what}: decompressed record exceeds {MAX_RELEASE_JSON} bytes")]
    TooLarge {
        /// Which record.
        what: String,
    },
    /// The JSON does not have the release shape.
    #[error("release {what}: invalid release JSON: {source}")]
    Json {
        /// Which record.
        what: String,
        /// Parser error.
        source: serde_json::Error,
    },
    /// The Secret lacks a field Helm always writes.
    #[error("secret {secret}: expected {field}")]
    Secret {
        /// Secret name.
        secret: String,
        /// The missing or malformed field.
        field: &'static str,
    },
}

/// The name of the Secret holding revision `version` of release `name`.
pub fn secret_name(name: &str, version: i64) -> String {
    format!("sh.helm.release.v1.{name}.v{version}")
}

/// Encodes a release the way Helm's `encodeRelease` does:
/// JSON, gzip at best compression, standard base64.
pub fn encode_payload(release: &Release) -> Result<String, ReleaseError> {
    let what = || secret_name(&release.name, release.version);
    let json = serde_json::to_vec(release).map_err(|source| ReleaseError::Json {
        what: what(),
        source,
    })?;
    let mut gz = GzEncoder::new(Vec::new(), Compression::best());
    gz.write_all(&json)
        .and_then(|()| gz.finish())
        .map(|bytes| B64.encode(bytes))
        .map_err(|source| ReleaseError::Gzip {
            what: what(),
            source,
        })
}

/// Decodes Helm's payload (`decodeRelease`): base64, then gunzip when the
/// gzip magic is present (Helm 2-era records are plain JSON), then JSON.
/// `what` names the record in errors.
pub fn decode_payload(payload: &str, what: &str) -> Result<Release, ReleaseError> {
    let raw = B64
        .decode(payload.trim())
        .map_err(|source| ReleaseError::Base64 {
            what: what.to_string(),
            source,
        })?;
    let json = if raw.starts_with(&[0x1f, 0x8b, 0x08]) {
        let mut out = Vec::new();
        GzDecoder::new(raw.as_slice())
            .take(MAX_RELEASE_JSON + 1)
            .read_to_end(&mut out)
            .map_err(|source| ReleaseError::Gzip {
                what: what.to_string(),
                source,
            })?;
        if out.len() as u64 > MAX_RELEASE_JSON {
            return Err(ReleaseError::TooLarge {
                what: what.to_string(),
            });
        }
        out
    } else {
        raw
    };
    serde_json::from_slice(&json).map_err(|source| ReleaseError::Json {
        what: what.to_string(),
        source,
    })
}

/// The storage Secret for `release` in API form (`data` base64-encoded as
/// Kubernetes expects), with Helm's labels. `timestamp_label` is
/// `("createdAt", unix seconds)` on create or `("modifiedAt", ...)` on
/// update, as Helm's Secrets driver sets them.
pub fn to_secret(
    release: &Release,
    timestamp_label: Option<(&str, i64)>,
) -> Result<serde_json::Value, ReleaseError> {
    let payload = encode_payload(release)?;
    let mut labels: BTreeMap<String, String> = release.labels.clone();
    labels.insert("name".into(), release.name.clone());
    labels.insert("owner".into(), "helm".into());
    labels.insert("status".into(), release.info.status.as_str().into());
    labels.insert("version".into(), release.version.to_string());
    if let Some((key, secs)) = timestamp_label {
        labels.insert(key.to_string(), secs.to_string());
    }
    Ok(serde_json::json!({
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {
            "name": secret_name(&release.name, release.version),
            "namespace": release.namespace,
            "labels": labels,
        },
        "type": RELEASE_SECRET_TYPE,
        "data": { "release": B64.encode(payload.as_bytes()) },
    }))
}

/// Decodes a storage Secret in API form. Custom labels (everything but
/// Helm's system labels) become `Release.labels`, as Helm's driver does.
pub fn from_secret(secret: &serde_json::Value) -> Result<Release, ReleaseError> {
    let name = secret
        .pointer("/metadata/name")
        .and_then(serde_json::Value::as_str)
        .unwrap_or("<unnamed>")
        .to_string();
    let field_err = |field| ReleaseError::Secret {
        secret: name.clone(),
        field,
    };
    let data = secret
        .pointer("/data/release")
        .and_then(serde_json::Value::as_str)
        .ok_or_else(|| field_err("data.release (a base64 string)"))?;
    let payload = B64.decode(data).map_err(|source| ReleaseError::Base64 {
        what: format!("{name} (data.release)"),
        source,
    })?;
    let payload =
        String::from_utf8(payload).map_err(|_| field_err("data.release to hold base64 text"))?;
    let mut release = decode_payload(&payload, &name)?;
    if let Some(labels) = secret
        .pointer("/metadata/labels")
        .and_then(serde_json::Value::as_object)
    {
        release.labels = labels
            .iter()
            .filter(|(k, _)| !SYSTEM_LABELS.contains(&k.as_str()))
            .filter_map(|(k, v)| v.as_str().map(|v| (k.clone(), v.to_string())))
            .collect();
    }
    Ok(release)
}
