//! Errors of the Kubernetes layer.
//!
//! Every variant names what was being done (verb, object, server) so that a failed task tells
//! the operator where to look without re-running with `-vvv`.

use thiserror::Error;

/// Why a Kubernetes operation failed.
#[derive(Debug, Error)]
pub enum K8sError {
    /// The connection parameters or kubeconfig could not be turned into a client.
    #[error("invalid Kubernetes connection settings ({source_name}): {detail}")]
    Config {
        /// The kubeconfig path or parameter that was read.
        source_name: String,
        /// What was wrong.
        detail: String,
    },
    /// The API server could not be reached (refused, reset, TLS failure, timeout).
    #[error("cannot reach the Kubernetes API at {url} (kubeconfig: {kubeconfig}): {detail}")]
    Unreachable {
        /// Server URL.
        url: String,
        /// The kubeconfig the client was built from (or "none").
        kubeconfig: String,
        /// The transport error.
        detail: String,
    },
    /// The API rejected the credentials (401).
    #[error(
        "the Kubernetes API at {url} rejected the credentials (kubeconfig: {kubeconfig}): {message}"
    )]
    Unauthorized {
        /// Server URL.
        url: String,
        /// The kubeconfig the client was built from.
        kubeconfig: String,
        /// The server's message.
        message: String,
    },
    /// The API answered with an error `Status`.
    #[error("{verb} {what} failed: {message} (HTTP {code}{reason})")]
    Api {
        /// HTTP verb and purpose (`apply`, `get`, …).
        verb: String,
        /// The object or collection (`Secret database/pgo-s3-creds`).
        what: String,
        /// HTTP status code.
        code: u16,
        /// `, Reason` or empty.
        reason: String,
        /// The server's message.
        message: String,
    },
    /// A kind is not served by the cluster.
    #[error(
        "failed to find exact match for {api_version}.{kind} by [kind, name, singularName, shortNames]"
    )]
    UnknownKind {
        /// Requested apiVersion.
        api_version: String,
        /// Requested kind.
        kind: String,
    },
    /// A definition is not a valid Kubernetes object.
    #[error("invalid resource definition{location}: {detail}")]
    Definition {
        /// ` in FILE` or empty.
        location: String,
        /// What is wrong.
        detail: String,
    },
    /// A wait did not reach its condition in time.
    #[error("timed out after {seconds}s waiting for {what} ({awaited}); last observed: {last}")]
    WaitTimeout {
        /// The object.
        what: String,
        /// The condition.
        awaited: String,
        /// Timeout in seconds.
        seconds: u64,
        /// Last observed state.
        last: String,
    },
    /// The backup guard refused to create or restore a PostgresCluster, or could not check its
    /// pgBackRest repository. Nothing was written.
    #[error("backup guard refused {what}: {detail}")]
    BackupGuard {
        /// The object.
        what: String,
        /// What was found and the ways forward.
        detail: String,
        /// The S3 endpoint could not be reached (reported like an unreachable host).
        unreachable: bool,
    },
    /// A wait saw a terminal failure (e.g. a Job's `Failed` condition).
    #[error("{what} failed while waiting: {detail}")]
    WaitFailed {
        /// The object.
        what: String,
        /// The failure.
        detail: String,
    },
}

impl K8sError {
    /// The HTTP code of an API error.
    pub fn code(&self) -> Option<u16> {
        match self {
            K8sError::Api { code, .. } => Some(*code),
            _ => None,
        }
    }

    /// Turns the error into a failed module result (`unreachable: true` for transport failures).
    pub fn into_result(self) -> stackbook_engine::modules::ModuleResult {
        let unreachable = matches!(
            self,
            K8sError::Unreachable { .. }
                | K8sError::BackupGuard {
                    unreachable: true,
                    ..
                }
        );
        let mut result = stackbook_engine::modules::failed(self.to_string());
        if unreachable {
            result.insert("unreachable".into(), serde_json::Value::Bool(true));
        }
        result
    }
}
