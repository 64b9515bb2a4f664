//! Simulated controllers: the cluster-side behaviour stackbook waits for.
//!
//! Each controller is switchable and has its own delay ([`Controllers`]). They react to store
//! events, sleep, re-read the object and write through the same code path as API clients (status
//! through `/status` when the subresource exists), so watches see exactly what a real controller
//! would produce.

mod operators;
mod workloads;

use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;
use tokio::sync::broadcast::error::RecvError;

use crate::ops::{WriteOpts, storage_version};
use crate::state::State;
use crate::store::{Event, EventType, meta_str};

/// Which simulated controllers run, and after what delay. `None` disables one.
#[derive(Debug, Clone, PartialEq)]
pub struct Controllers {
    /// Namespace finalization (contents removed, then the namespace) after deletion.
    pub namespaces: Option<Duration>,
    /// CRD `NamesAccepted`/`Established` conditions.
    pub crds: Option<Duration>,
    /// Deployment/StatefulSet ready replicas and `Available`.
    pub workloads: Option<Duration>,
    /// Job completion.
    pub jobs: Option<Duration>,
    /// PGO-like PostgresCluster status and `<cluster>-pguser-<user>` Secrets.
    pub pgo: Option<Duration>,
    /// Zalando-like `postgresql` status and credentials Secrets.
    pub zalando: Option<Duration>,
}

impl Default for Controllers {
    /// Everything enabled with a 10 ms delay.
    fn default() -> Self {
        Self::all(Duration::from_millis(10))
    }
}

impl Controllers {
    /// Every controller enabled with the same delay.
    pub fn all(delay: Duration) -> Self {
        Self {
            namespaces: Some(delay),
            crds: Some(delay),
            workloads: Some(delay),
            jobs: Some(delay),
            pgo: Some(delay),
            zalando: Some(delay),
        }
    }

    /// No controllers: objects stay as clients wrote them (namespaces stay Terminating).
    pub fn none() -> Self {
        Self {
            namespaces: None,
            crds: None,
            workloads: None,
            jobs: None,
            pgo: None,
            zalando: None,
        }
    }
}

/// Starts the controller loop on the current runtime.
pub fn spawn(state: Arc<State>, cfg: Controllers) {
    let mut rx = state.lock().subscribe();
    tokio::spawn(async move {
        loop {
            match rx.recv().await {
                Ok(ev) => dispatch(&state, &cfg, &ev),
                Err(RecvError::Lagged(_)) => continue,
                Err(RecvError::Closed) => return,
            }
        }
    });
}

fn later(state: &Arc<State>, delay: Duration, job: impl FnOnce(&State) + Send + 'static) {
    let state = state.clone();
    tokio::spawn(async move {
        if !delay.is_zero() {
            tokio::time::sleep(delay).await;
        }
        job(&state);
    });
}

/// Identifies the object an event is about.
#[derive(Debug, Clone)]
pub(crate) struct ObjRef {
    pub group: String,
    pub plural: String,
    pub ns: String,
    pub name: String,
}

fn dispatch(state: &Arc<State>, cfg: &Controllers, ev: &Event) {
    if ev.kind == EventType::Deleted {
        return;
    }
    let obj = &ev.object;
    let r = ObjRef {
        group: ev.group.clone(),
        plural: ev.plural.clone(),
        ns: meta_str(obj, "namespace").unwrap_or_default().to_string(),
        name: meta_str(obj, "name").unwrap_or_default().to_string(),
    };
    let terminating = obj.pointer("/metadata/deletionTimestamp").is_some();
    let stale = || {
        let observed = obj.pointer("/status/observedGeneration").and_then(|v| {
            v.as_i64()
                .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
        });
        observed != obj.pointer("/metadata/generation").and_then(Value::as_i64)
    };
    match (r.group.as_str(), r.plural.as_str()) {
        ("", "namespaces") if terminating => {
            if let Some(d) = cfg.namespaces {
                later(state, d, move |s| s.lock().finalize_namespace(&r.name));
            }
        }
        ("apiextensions.k8s.io", "customresourcedefinitions") if !terminating => {
            if let Some(d) = cfg.crds
                && !has_condition(obj, "Established")
            {
                later(state, d, move |s| {
                    update_status(s, &r, "apiextensions-apiserver", workloads::crd_status)
                });
            }
        }
        ("apps", "deployments") | ("apps", "statefulsets") if !terminating && stale() => {
            if let Some(d) = cfg.workloads {
                let f = if r.plural == "deployments" {
                    workloads::deployment_status
                } else {
                    workloads::statefulset_status
                };
                later(state, d, move |s| {
                    update_status(s, &r, "kube-controller-manager", f)
                });
            }
        }
        ("batch", "jobs") if !terminating && !has_condition(obj, "Complete") => {
            if let Some(d) = cfg.jobs {
                later(state, d, move |s| {
                    update_status(s, &r, "kube-controller-manager", workloads::job_status)
                });
            }
        }
        ("postgres-operator.crunchydata.com", "postgresclusters") if !terminating && stale() => {
            if let Some(d) = cfg.pgo {
                later(state, d, move |s| operators::reconcile_pgo(s, &r));
            }
        }
        ("acid.zalan.do", "postgresqls") if !terminating && stale() => {
            if let Some(d) = cfg.zalando {
                later(state, d, move |s| operators::reconcile_zalando(s, &r));
            }
        }
        _ => {}
    }
}

fn has_condition(obj: &Value, kind: &str) -> bool {
    obj.pointer("/status/conditions")
        .and_then(Value::as_array)
        .is_some_and(|cs| {
            cs.iter().any(|c| {
                c.get("type").and_then(Value::as_str) == Some(kind)
                    && c.get("status").and_then(Value::as_str) == Some("True")
            })
        })
}

/// Re-reads the object and writes the status `f` computes (if any) as `manager`.
pub(crate) fn update_status(
    state: &State,
    r: &ObjRef,
    manager: &str,
    f: fn(&Value) -> Option<Value>,
) {
    let mut store = state.lock();
    let Some(rt) = store.registry.by_plural(&r.group, &r.plural).cloned() else {
        return;
    };
    let Some(obj) = store.get(&r.group, &r.plural, &r.ns, &r.name).cloned() else {
        return;
    };
    let Some(status) = f(&obj) else { return };
    let mut new = obj;
    if let Some(m) = new.as_object_mut() {
        m.insert("status".into(), status);
    }
    let version = storage_version(&rt).to_string();
    let sub = if rt.has_status(&version) {
        "status"
    } else {
        ""
    };
    let opts = WriteOpts::internal(manager, &version);
    // A concurrent client write makes this fail with a conflict; the resulting event re-triggers.
    let _ = store.op_update(&rt, &r.ns, &r.name, new, &opts, sub);
}
