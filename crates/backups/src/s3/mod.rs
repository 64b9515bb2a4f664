//! [`RepoStore`] over S3 and S3-compatible stores, on `aws-sdk-s3`.
//!
//! Settings mirror pgBackRest's `repo1-s3-*` / `repo1-storage-*` options so a guard can build
//! them straight from a PGO spec and its `s3.conf`. The SDK is built without its default HTTPS
//! client (which would pull aws-lc-sys); [`connector`] supplies a rustls/ring one.

pub mod bucket;
pub mod connector;
pub mod options;

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use aws_config::BehaviorVersion;
use aws_credential_types::Credentials;
use aws_credential_types::provider::SharedCredentialsProvider;
use aws_credential_types::provider::error::CredentialsError;
use aws_sdk_s3::config::retry::RetryConfig;
use aws_sdk_s3::config::timeout::TimeoutConfig;
use aws_sdk_s3::config::{Region, RequestChecksumCalculation, ResponseChecksumValidation};
use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};
use aws_smithy_async::rt::sleep::{SharedAsyncSleep, TokioSleep};
use jiff::Timestamp;

use crate::secret::Secret;
use crate::store::{Listing, ObjectEntry, RepoStore, StoreError};
pub use connector::TlsTrust;

/// Bucket addressing (pgBackRest `repo1-s3-uri-style`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum UriStyle {
    /// `https://bucket.endpoint/key` (AWS default).
    #[default]
    Host,
    /// `https://endpoint/bucket/key` (MinIO, moto, most S3-compatible stores).
    Path,
}

/// Where credentials come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum S3Credentials {
    /// Explicit keys (pgBackRest `repo1-s3-key`, `repo1-s3-key-secret`, `repo1-s3-token`).
    Static {
        /// Access key id (not secret by itself, but not logged either).
        access_key_id: String,
        /// Secret access key.
        secret_access_key: Secret,
        /// Session token for temporary credentials.
        session_token: Option<Secret>,
    },
    /// The AWS default chain: environment, profile files, web identity (IRSA), ECS, IMDS.
    DefaultChain,
}

/// Everything needed to reach one bucket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3Settings {
    /// Endpoint: `host`, `host:port` or a URL (`https://host:port`). `None` = AWS for `region`.
    /// pgBackRest's `repo1-s3-endpoint` plus `repo1-storage-port` map to `host:port`.
    pub endpoint: Option<String>,
    /// Bucket name.
    pub bucket: String,
    /// Region (`repo1-s3-region`); S3-compatible stores usually accept any, e.g. `us-east-1`.
    pub region: String,
    /// Path or virtual-host addressing.
    pub uri_style: UriStyle,
    /// Server certificate trust.
    pub tls: TlsTrust,
    /// Credentials.
    pub credentials: S3Credentials,
    /// TCP connect timeout.
    pub connect_timeout: Duration,
    /// Time allowed for one attempt (request to full response).
    pub attempt_timeout: Duration,
    /// Time allowed for one operation including retries.
    pub operation_timeout: Duration,
    /// Total attempts per request (1 = no retry).
    pub max_attempts: u32,
}

impl S3Settings {
    /// Settings with defaults: AWS endpoint, host style, system CAs, default credential chain,
    /// 5 s connect, 20 s per attempt, 60 s per operation, 3 attempts.
    pub fn new(bucket: impl Into<String>, region: impl Into<String>) -> Self {
        Self {
            endpoint: None,
            bucket: bucket.into(),
            region: region.into(),
            uri_style: UriStyle::Host,
            tls: TlsTrust::System,
            credentials: S3Credentials::DefaultChain,
            connect_timeout: Duration::from_secs(5),
            attempt_timeout: Duration::from_secs(20),
            operation_timeout: Duration::from_secs(60),
            max_attempts: 3,
        }
    }

    /// The endpoint as a URL (`https://` added to a bare host), or `None` for AWS.
    pub fn endpoint_url(&self) -> Option<String> {
        self.endpoint.as_ref().map(|e| {
            let e = e.trim().trim_end_matches('/');
            if e.contains("://") {
                e.to_owned()
            } else {
                format!("https://{e}")
            }
        })
    }

    /// For messages: the endpoint URL or `AWS S3 (<region>)`.
    pub fn endpoint_label(&self) -> String {
        self.endpoint_url()
            .unwrap_or_else(|| format!("AWS S3 ({})", self.region))
    }
}

/// Invalid S3 settings (detected before any request).
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum S3ConfigError {
    /// The CA file cannot be read or parsed.
    #[error("CA file {path}: {detail}")]
    CaFile {
        /// Path as given.
        path: String,
        /// What is wrong.
        detail: String,
    },
    /// TLS setup failed.
    #[error("TLS setup: {0}")]
    Tls(String),
    /// A setting is unusable.
    #[error("invalid S3 setting {field}: {detail}")]
    Invalid {
        /// Setting name.
        field: &'static str,
        /// What is wrong.
        detail: String,
    },
}

/// A bucket reachable through `aws-sdk-s3`.
#[derive(Debug)]
pub struct S3Store {
    client: aws_sdk_s3::Client,
    bucket: String,
    endpoint: String,
    requests: AtomicU64,
}

impl S3Store {
    /// Build the client. Only the default credential chain does I/O here (it is resolved lazily
    /// per request anyway); nothing is sent to the bucket until the first list/get.
    pub async fn connect(settings: &S3Settings) -> Result<Self, S3ConfigError> {
        if settings.bucket.is_empty() {
            return Err(S3ConfigError::Invalid {
                field: "bucket",
                detail: "must not be empty".to_owned(),
            });
        }
        if settings.max_attempts == 0 {
            return Err(S3ConfigError::Invalid {
                field: "max_attempts",
                detail: "must be at least 1".to_owned(),
            });
        }
        let http = connector::build(&settings.tls, settings.connect_timeout)?;
        let sleep = SharedAsyncSleep::new(TokioSleep::new());
        let timeouts = TimeoutConfig::builder()
            .connect_timeout(settings.connect_timeout)
            .read_timeout(settings.attempt_timeout)
            .operation_attempt_timeout(settings.attempt_timeout)
            .operation_timeout(settings.operation_timeout)
            .build();
        let region = Region::new(settings.region.clone());
        let credentials = match &settings.credentials {
            S3Credentials::Static {
                access_key_id,
                secret_access_key,
                session_token,
            } => SharedCredentialsProvider::new(Credentials::new(
                access_key_id.clone(),
                secret_access_key.expose().to_owned(),
                session_token.as_ref().map(|t| t.expose().to_owned()),
                None,
                "stackbook-static",
            )),
            S3Credentials::DefaultChain => {
                let shared = aws_config::defaults(BehaviorVersion::latest())
                    .http_client(http.clone())
                    .sleep_impl(sleep.clone())
                    .region(region.clone())
                    .timeout_config(timeouts.clone())
                    .load()
                    .await;
                shared
                    .credentials_provider()
                    .ok_or_else(|| S3ConfigError::Invalid {
                        field: "credentials",
                        detail: "the default AWS credential chain is unavailable".to_owned(),
                    })?
            }
        };
        let mut conf = aws_sdk_s3::config::Builder::new()
            .behavior_version(BehaviorVersion::latest())
            .region(region)
            .http_client(http)
            .sleep_impl(sleep)
            .credentials_provider(credentials)
            .force_path_style(settings.uri_style == UriStyle::Path)
            .timeout_config(timeouts)
            .retry_config(RetryConfig::standard().with_max_attempts(settings.max_attempts))
            // S3-compatible stores vary in CRC support; the info files carry their own checksum.
            .request_checksum_calculation(RequestChecksumCalculation::WhenRequired)
            .response_checksum_validation(ResponseChecksumValidation::WhenRequired);
        if let Some(url) = settings.endpoint_url() {
            conf = conf.endpoint_url(url);
        }
        Ok(Self {
            client: aws_sdk_s3::Client::from_conf(conf.build()),
            bucket: settings.bucket.clone(),
            endpoint: settings.endpoint_label(),
            requests: AtomicU64::new(0),
        })
    }

    fn map_err<E>(&self, err: SdkError<E>, operation: &'static str, key: &str) -> StoreError
    where
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
        SdkError<E>: std::error::Error + 'static,
    {
        let endpoint = self.endpoint.clone();
        let bucket = self.bucket.clone();
        let code = err.code().map(str::to_owned);
        let message = err.message().map(str::to_owned);
        let chain = error_chain(&err);
        if has_source::<CredentialsError>(&err) {
            return StoreError::NoCredentials { detail: chain };
        }
        match &err {
            SdkError::TimeoutError(_) => StoreError::Timeout {
                endpoint,
                detail: "the operation or attempt timeout elapsed".to_owned(),
            },
            SdkError::DispatchFailure(d) if d.is_timeout() => StoreError::Timeout {
                endpoint,
                detail: chain,
            },
            SdkError::DispatchFailure(_) => {
                let lower = chain.to_ascii_lowercase();
                if lower.contains("certificate")
                    || lower.contains("tls")
                    || lower.contains("handshake")
                {
                    StoreError::Tls {
                        endpoint,
                        detail: chain,
                    }
                } else {
                    StoreError::Unreachable {
                        endpoint,
                        detail: chain,
                    }
                }
            }
            SdkError::ServiceError(s) => {
                let status = s.raw().status().as_u16();
                let code_s = code.clone().unwrap_or_default();
                let detail = message.unwrap_or_else(|| format!("HTTP {status}"));
                match code_s.as_str() {
                    "InvalidAccessKeyId"
                    | "SignatureDoesNotMatch"
                    | "ExpiredToken"
                    | "InvalidToken"
                    | "InvalidSecurity" => StoreError::BadCredentials {
                        endpoint,
                        bucket,
                        code: code_s,
                        detail,
                    },
                    "NoSuchBucket" => StoreError::NoSuchBucket { endpoint, bucket },
                    _ if status == 403 => StoreError::AccessDenied {
                        endpoint,
                        bucket,
                        detail: format!("{code_s} {detail}").trim().to_owned(),
                    },
                    _ => StoreError::Other {
                        operation,
                        key: key.to_owned(),
                        endpoint,
                        detail: format!("HTTP {status} {code_s}: {detail}"),
                    },
                }
            }
            _ => StoreError::Other {
                operation,
                key: key.to_owned(),
                endpoint,
                detail: chain,
            },
        }
    }
}

/// The messages of an error and its sources joined by `: `, skipping the SDK's generic wrapper
/// texts and repeats ("dispatch failure: io error: ..." becomes the useful part only).
fn error_chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(e) = cur {
        let msg = e.to_string();
        let generic = matches!(
            msg.as_str(),
            "dispatch failure"
                | "io error"
                | "other"
                | "timeout"
                | "service error"
                | "response error"
        );
        if !generic && !msg.is_empty() && !parts.iter().any(|p| p.contains(&msg)) {
            parts.push(msg);
        }
        cur = e.source();
    }
    if parts.is_empty() {
        err.to_string()
    } else {
        parts.join(": ")
    }
}

fn has_source<T: std::error::Error + 'static>(err: &(dyn std::error::Error + 'static)) -> bool {
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(e) = cur {
        if e.is::<T>() {
            return true;
        }
        cur = e.source();
    }
    false
}

fn to_timestamp(t: &aws_sdk_s3::primitives::DateTime) -> Option<Timestamp> {
    Timestamp::new(t.secs(), t.subsec_nanos().try_into().ok()?).ok()
}

impl RepoStore for S3Store {
    async fn list(&self, prefix: &str, delimited: bool) -> Result<Listing, StoreError> {
        let mut out = Listing::default();
        let mut token: Option<String> = None;
        loop {
            self.requests.fetch_add(1, Ordering::Relaxed);
            let mut req = self
                .client
                .list_objects_v2()
                .bucket(&self.bucket)
                .prefix(prefix)
                .set_continuation_token(token.take());
            if delimited {
                req = req.delimiter("/");
            }
            let page = req
                .send()
                .await
                .map_err(|e| self.map_err(e, "list", prefix))?;
            for o in page.contents() {
                if let Some(key) = o.key() {
                    out.objects.push(ObjectEntry {
                        key: key.to_owned(),
                        size: o.size().and_then(|s| u64::try_from(s).ok()).unwrap_or(0),
                        last_modified: o.last_modified().and_then(to_timestamp),
                    });
                }
            }
            out.prefixes.extend(
                page.common_prefixes()
                    .iter()
                    .filter_map(|p| p.prefix().map(str::to_owned)),
            );
            match page.next_continuation_token() {
                Some(t) if page.is_truncated() == Some(true) => token = Some(t.to_owned()),
                _ => break,
            }
        }
        out.prefixes.sort();
        out.prefixes.dedup();
        Ok(out)
    }

    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        self.requests.fetch_add(1, Ordering::Relaxed);
        let resp = self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await;
        let out = match resp {
            Ok(o) => o,
            Err(e) => {
                if e.as_service_error().is_some_and(|s| s.is_no_such_key()) {
                    return Ok(None);
                }
                return Err(self.map_err(e, "get", key));
            }
        };
        let body = out.body.collect().await.map_err(|e| StoreError::Other {
            operation: "get",
            key: key.to_owned(),
            endpoint: self.endpoint.clone(),
            detail: format!("reading the body: {}", error_chain(&e)),
        })?;
        Ok(Some(body.into_bytes().to_vec()))
    }

    fn location(&self) -> String {
        format!("s3://{} at {}", self.bucket, self.endpoint)
    }

    fn request_count(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }
}
