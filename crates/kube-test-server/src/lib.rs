//! # kube-test-server — a TEST DOUBLE of kube-apiserver
//!
//! An in-process imitation of the Kubernetes API server for stackbook's end-to-end tests: real
//! HTTP(S) with bearer-token auth, legacy discovery, generic storage for the built-in kinds
//! stackbook manages plus any kind a stored CRD defines, all verbs including watch and
//! server-side apply, CRD schema validation/pruning, simulated controllers and fault injection.
//! It is never a product default; see README.md for what it does not do.
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use kube_test_server::{Config, TestServer};
//! let server = TestServer::start(Config::default()).await?;
//! let kubeconfig = server.kubeconfig_path()?; // hand this to stackbook / kubectl
//! # let _ = kubeconfig; Ok(()) }
//! ```

mod apply;
mod controllers;
mod discovery;
mod faults;
mod fields;
mod http;
mod ids;
mod kinds;
mod kubeconfig;
mod managed;
mod openapi;
mod ops;
mod patch;
mod protobuf;
mod resources;
mod schema;
mod seed;
mod selectors;
mod server;
mod state;
mod status;
mod store;
mod tables;
mod time;
mod tls;
mod validation;
mod watch;

pub use controllers::Controllers;
pub use faults::{FaultAction, FaultRule, Faults};
pub use seed::SeedError;
pub use server::{Config, StartError, TestServer};
pub use state::RequestRecord;
pub use tls::TlsError;
