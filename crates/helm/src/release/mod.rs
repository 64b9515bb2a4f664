//! Helm release records, exactly as Helm 3/4 stores them.
//!
//! Why: stackbook installs charts without the `helm` binary, but the cluster
//! must be left in a state the real `helm` CLI (and anything built on the Helm
//! SDK) understands: `helm list`, `helm upgrade`, `helm rollback` read these
//! records. So the record layout is Helm's own, not ours:
//!
//! - [`model`]: the release JSON (`pkg/release/v1.Release`) with serde
//!   field names and omit-empty rules as Go's `encoding/json` writes them;
//!   unknown fields from newer Helm versions are kept so a decode/encode
//!   round trip loses nothing.
//! - [`codec`]: the payload (`base64(gzip(json))`) and the storage Secret
//!   `sh.helm.release.v1.<name>.v<revision>` (type `helm.sh/release.v1`,
//!   labels `name`, `owner=helm`, `status`, `version`).
//! - [`build`]: a new record from a loaded chart and its rendering.
//! - [`time`]: RFC 3339 timestamps as Go's `time.Time` marshals them.

pub mod build;
pub mod codec;
pub mod model;
pub mod time;

pub use build::{NewRelease, chart_record};
pub use codec::{
    RELEASE_SECRET_TYPE, ReleaseError, decode_payload, encode_payload, from_secret, secret_name,
    to_secret,
};
pub use model::{ChartFileRecord, ChartRecord, Hook, HookExecution, Info, Release, Status};
