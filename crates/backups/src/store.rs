//! The two object-store operations inspection needs, behind a trait.
//!
//! Inspection only ever lists a prefix and reads small objects, so the trait is exactly that. It
//! keeps the pgBackRest logic independent of the S3 SDK: tests run the same code over
//! [`MemStore`] (filled from captured fixture files), production over [`crate::s3::S3Store`].

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};

use jiff::Timestamp;

/// One object in a listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectEntry {
    /// Full key.
    pub key: String,
    /// Size in bytes.
    pub size: u64,
    /// Last modification time reported by the store.
    pub last_modified: Option<Timestamp>,
}

/// Result of listing a prefix.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Listing {
    /// Objects directly under the prefix (all objects when not delimited), in key order.
    pub objects: Vec<ObjectEntry>,
    /// With `delimited`, the "sub-directories": full prefixes ending in `/`, in key order.
    pub prefixes: Vec<String>,
}

/// Failure talking to the object store. Messages name the endpoint/bucket/key involved.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum StoreError {
    /// No TCP/TLS connection could be made (DNS, refused, unreachable).
    #[error("cannot reach {endpoint}: {detail}")]
    Unreachable {
        /// Endpoint URL or description.
        endpoint: String,
        /// Underlying cause.
        detail: String,
    },
    /// TLS handshake or certificate verification failed.
    #[error(
        "TLS failure talking to {endpoint}: {detail} (set a CA file for a private CA, or disable verification for tests only)"
    )]
    Tls {
        /// Endpoint URL or description.
        endpoint: String,
        /// Underlying cause.
        detail: String,
    },
    /// No answer within the configured timeout (after retries).
    #[error("timed out talking to {endpoint} ({detail})")]
    Timeout {
        /// Endpoint URL or description.
        endpoint: String,
        /// Which timeout fired.
        detail: String,
    },
    /// The credentials were rejected (unknown key id, bad signature, expired token).
    #[error("credentials rejected by {endpoint} for bucket '{bucket}': {code}: {detail}")]
    BadCredentials {
        /// Endpoint URL or description.
        endpoint: String,
        /// Bucket name.
        bucket: String,
        /// S3 error code (InvalidAccessKeyId, SignatureDoesNotMatch, ...).
        code: String,
        /// Message from the server.
        detail: String,
    },
    /// Authenticated but not allowed.
    #[error("access denied to bucket '{bucket}' at {endpoint}: {detail}")]
    AccessDenied {
        /// Endpoint URL or description.
        endpoint: String,
        /// Bucket name.
        bucket: String,
        /// Message from the server.
        detail: String,
    },
    /// The bucket does not exist.
    #[error("bucket '{bucket}' does not exist at {endpoint}")]
    NoSuchBucket {
        /// Endpoint URL or description.
        endpoint: String,
        /// Bucket name.
        bucket: String,
    },
    /// No credentials could be found (default chain empty).
    #[error("no S3 credentials: {detail}")]
    NoCredentials {
        /// What the credential chain reported.
        detail: String,
    },
    /// Anything else, with the operation and key.
    #[error("{operation} '{key}' failed at {endpoint}: {detail}")]
    Other {
        /// `list` or `get`.
        operation: &'static str,
        /// Key or prefix.
        key: String,
        /// Endpoint URL or description.
        endpoint: String,
        /// Underlying cause.
        detail: String,
    },
}

/// Read-only access to the objects of one bucket.
pub trait RepoStore: Send + Sync {
    /// List every object under `prefix` (all pages). With `delimited`, keys with a further `/`
    /// after the prefix are folded into [`Listing::prefixes`].
    fn list(
        &self,
        prefix: &str,
        delimited: bool,
    ) -> impl Future<Output = Result<Listing, StoreError>> + Send;

    /// Read a whole object; `Ok(None)` when it does not exist.
    fn get(&self, key: &str) -> impl Future<Output = Result<Option<Vec<u8>>, StoreError>> + Send;

    /// Human-readable location for messages, e.g. `s3://bucket at https://host:port`.
    fn location(&self) -> String;

    /// Number of requests made so far (list pages + gets), for cost reporting.
    fn request_count(&self) -> u64;
}

/// An in-memory bucket. Used by tests and for inspecting a downloaded snapshot.
#[derive(Debug, Default)]
pub struct MemStore {
    objects: BTreeMap<String, MemObject>,
    requests: AtomicU64,
}

#[derive(Debug)]
struct MemObject {
    /// `None` for an object known only from a listing (its content was not captured).
    data: Option<Vec<u8>>,
    size: u64,
    modified: Option<Timestamp>,
}

impl MemStore {
    /// An empty bucket.
    pub fn new() -> Self {
        Self::default()
    }

    /// Add or replace an object.
    pub fn insert(&mut self, key: impl Into<String>, data: Vec<u8>, modified: Option<Timestamp>) {
        let size = data.len() as u64;
        self.objects.insert(
            key.into(),
            MemObject {
                data: Some(data),
                size,
                modified,
            },
        );
    }

    /// Add an object known only from a listing: it is listed, but `get` fails for it.
    pub fn insert_listed(
        &mut self,
        key: impl Into<String>,
        size: u64,
        modified: Option<Timestamp>,
    ) {
        self.objects.insert(
            key.into(),
            MemObject {
                data: None,
                size,
                modified,
            },
        );
    }

    /// Remove an object; returns whether it existed.
    pub fn remove(&mut self, key: &str) -> bool {
        self.objects.remove(key).is_some()
    }
}

impl RepoStore for MemStore {
    async fn list(&self, prefix: &str, delimited: bool) -> Result<Listing, StoreError> {
        self.requests.fetch_add(1, Ordering::Relaxed);
        let mut out = Listing::default();
        for (key, obj) in self.objects.range(prefix.to_owned()..) {
            let Some(rest) = key.strip_prefix(prefix) else {
                break;
            };
            if delimited && let Some(pos) = rest.find('/') {
                let p = format!("{prefix}{}", &rest[..=pos]);
                if out.prefixes.last() != Some(&p) {
                    out.prefixes.push(p);
                }
                continue;
            }
            out.objects.push(ObjectEntry {
                key: key.clone(),
                size: obj.size,
                last_modified: obj.modified,
            });
        }
        Ok(out)
    }

    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        self.requests.fetch_add(1, Ordering::Relaxed);
        match self.objects.get(key) {
            None => Ok(None),
            Some(MemObject { data: Some(d), .. }) => Ok(Some(d.clone())),
            Some(MemObject { data: None, .. }) => Err(StoreError::Other {
                operation: "get",
                key: key.to_owned(),
                endpoint: self.location(),
                detail: "only the listing of this object is available".to_owned(),
            }),
        }
    }

    fn location(&self) -> String {
        "in-memory store".to_owned()
    }

    fn request_count(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }
}
