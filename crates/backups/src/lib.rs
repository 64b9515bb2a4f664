//! Inspect pgBackRest repositories before a database stack touches them.
//!
//! Initialising a Postgres cluster over a bucket that already holds backups destroys them;
//! restoring from a bucket with nothing in it leaves a database that never starts. This crate
//! reads what pgBackRest itself wrote — `archive.info`, `backup.info` (and their `.copy`),
//! decrypted exactly as pgBackRest encrypts them — plus the WAL archive listing, produces a typed
//! [`RepoReport`], and turns it into allow/refuse [`Decision`]s.
//!
//! Layers, each usable on its own:
//! - [`cipher`], [`ini`], [`info`], [`wal`]: pure parsing of repository bytes and names;
//! - [`store`]: the [`RepoStore`] trait (list a prefix, get an object) and an in-memory store;
//! - [`s3`]: [`RepoStore`] over `aws-sdk-s3` with a rustls/ring HTTPS client;
//! - [`inspect()`]: the report; [`guard`]: the decisions;
//! - [`config`], [`check`]: a repository described the way PGO stores it (`s3.conf`, spec
//!   `global`, `repos[]`) resolved, inspected and judged synchronously;
//! - [`pgo`]: what creating a `PostgresCluster` would do (init or restore) as requests, for the
//!   `k8s` guard;
//! - [`module`]: the `pgbackrest_info` playbook module; [`s3_bucket`]: the `s3_bucket` module
//!   (bucket exists, versioning, noncurrent-version expiry); [`cli`]: `stackbook backups`.

pub mod check;
pub mod cipher;
pub mod cli;
pub mod config;
pub mod guard;
pub mod info;
pub mod ini;
pub mod inspect;
pub mod module;
pub mod pgo;
pub mod report;
pub mod s3;
pub mod s3_bucket;
pub mod secret;
pub mod store;
pub mod wal;

pub use guard::{Decision, decide_init, decide_restore};
pub use inspect::{InspectError, inspect};
pub use report::{BackupInfo, BackupKind, DbInfo, RepoReport, StanzaStatus, WalRange};
pub use s3::{S3Credentials, S3Settings, S3Store, UriStyle};
pub use secret::Secret;
pub use store::{Listing, MemStore, ObjectEntry, RepoStore, StoreError};
