//! stackbook's Kubernetes layer: the `kubernetes.core.k8s`, `kubernetes.core.k8s_info` and
//! `kubernetes.core.k8s_exec` modules, built on kube-rs.
//!
//! Playbooks written for Ansible's kubernetes.core collection run unchanged; what differs is
//! underneath: one client and one discovery cache per cluster for the whole run, server-side
//! apply with `Strict` field validation, `changed` only when the server really changed
//! something, server-side dry runs for `--check`, and retries on 429/5xx/resets.
//!
//! The engine is synchronous; [`runtime`] owns the one async runtime the modules block on.

pub mod backup_guard;
pub mod cluster;
pub mod connection;
pub mod definitions;
pub mod diff;
pub mod discovery;
pub mod error;
pub mod k8s;
pub mod k8s_exec;
pub mod k8s_info;
pub mod ops;
pub mod runtime;
pub mod wait;

use std::sync::Arc;

use stackbook_engine::modules::Registry;

pub use error::K8sError;

/// Registers `kubernetes.core.k8s`, `kubernetes.core.k8s_info` and `kubernetes.core.k8s_exec`
/// (aliases `k8s`, `k8s_info`, `k8s_exec`).
pub fn register(registry: &mut Registry) {
    registry.register("kubernetes.core.k8s", &["k8s"], Arc::new(k8s::K8s), false);
    registry.register(
        "kubernetes.core.k8s_info",
        &["k8s_info"],
        Arc::new(k8s_info::K8sInfo),
        false,
    );
    registry.register(
        "kubernetes.core.k8s_exec",
        &["k8s_exec"],
        Arc::new(k8s_exec::K8sExec),
        false,
    );
}
