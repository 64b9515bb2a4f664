//! Secret lookups for stackbook templates, as plain functions the template layer's `lookup()`
//! dispatcher calls:
//!
//! - [`url()`] — `lookup('url', 'https://…', headers=…, timeout=10, …)`
//! - [`aws_secret()`] — `lookup('aws_secret', 'name', region=…, endpoint=…)`, AWS Secrets Manager
//!   with a hand-written SigV4 signer (no AWS SDK, no aws-lc)
//! - [`scaleway_secret()`] — `lookup('scaleway_secret', 'id', revision=…, region=…)`
//!
//! Why a separate crate: these are the only lookups that talk to the network; keeping reqwest
//! and the signer here keeps the template crate free of an HTTP stack. All requests use rustls
//! with the ring provider, a 10 s timeout, certificate validation and environment proxies by
//! default. No error (Display or Debug) and no options `Debug` ever contains a secret value,
//! password, key or token.

mod aws;
mod dispatch;
mod error;
pub mod http;
mod kwargs;
mod scaleway;
mod sensitive;
pub mod sigv4;
mod url_lookup;

pub use aws::{AwsSecretOptions, aws_secret, aws_secret_with_env};
pub use dispatch::{LOOKUP_NAMES, run};
pub use error::LookupError;
pub use http::HttpSettings;
pub use scaleway::{ScalewayOptions, scaleway_secret, scaleway_secret_with_env};
pub use sensitive::Sensitive;
pub use url_lookup::{UrlOptions, python_splitlines, url};
