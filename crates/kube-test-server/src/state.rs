//! Shared server state: the store behind one mutex, and the broadcast channel that carries its
//! events to watches and simulated controllers.

use std::sync::{Mutex, MutexGuard};

use serde_json::json;
use tokio::sync::broadcast;

use crate::faults::Faults;
use crate::store::{Event, Store};

/// One handled request, for tests that assert what a client did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestRecord {
    /// HTTP method.
    pub method: String,
    /// URL path.
    pub path: String,
    /// Raw query string (without `?`).
    pub query: String,
    /// `User-Agent` header.
    pub user_agent: String,
    /// Response status code; 0 when the connection was dropped by a fault rule.
    pub status: u16,
}

impl RequestRecord {
    /// Whether the request could change state (POST, PUT, PATCH, DELETE) and was not a dry run.
    pub fn is_write(&self) -> bool {
        matches!(self.method.as_str(), "POST" | "PUT" | "PATCH" | "DELETE")
            && !self.query.split('&').any(|p| p == "dryRun=All")
    }
}

/// State shared by every connection of one server.
pub struct State {
    store: Mutex<Store>,
    requests: Mutex<Vec<RequestRecord>>,
    events: broadcast::Sender<Event>,
    /// Required bearer token, if any.
    pub token: Option<String>,
    /// Fault rules.
    pub faults: Faults,
    /// `host:port` the server listens on (for `/api` serverAddressByClientCIDRs).
    pub address: String,
}

/// A locked store; pending events are broadcast when the guard is dropped.
pub struct Locked<'a> {
    guard: MutexGuard<'a, Store>,
    events: &'a broadcast::Sender<Event>,
}

impl std::ops::Deref for Locked<'_> {
    type Target = Store;
    fn deref(&self) -> &Store {
        &self.guard
    }
}

impl std::ops::DerefMut for Locked<'_> {
    fn deref_mut(&mut self) -> &mut Store {
        &mut self.guard
    }
}

impl Drop for Locked<'_> {
    fn drop(&mut self) {
        for ev in self.guard.pending.drain(..) {
            // No receivers is fine: nobody is watching.
            let _ = self.events.send(ev);
        }
    }
}

impl Locked<'_> {
    /// Subscribes to events after everything already in history (call while locked).
    pub fn subscribe(&self) -> broadcast::Receiver<Event> {
        self.events.subscribe()
    }
}

impl State {
    /// A fresh state with the namespaces every cluster has.
    pub fn new(token: Option<String>, faults: Faults, address: String) -> Self {
        let (events, _) = broadcast::channel(16_384);
        let state = Self {
            store: Mutex::new(Store::default()),
            requests: Mutex::new(Vec::new()),
            events,
            token,
            faults,
            address,
        };
        {
            let mut store = state.lock();
            let ns_type = store.registry.by_plural("", "namespaces").cloned();
            if let Some(rt) = ns_type {
                for ns in ["default", "kube-system", "kube-public", "kube-node-lease"] {
                    let opts = crate::ops::WriteOpts::internal("kube-apiserver", "v1");
                    let body =
                        json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}});
                    // Creating the well-known namespaces cannot fail on an empty store.
                    let _ = store.op_create(&rt, "", body, &opts);
                }
            }
        }
        state
    }

    /// Appends to the request log.
    pub fn record(&self, r: RequestRecord) {
        self.requests
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(r);
    }

    /// Takes (and clears) or copies the request log.
    pub fn requests(&self, clear: bool) -> Vec<RequestRecord> {
        let mut log = self.requests.lock().unwrap_or_else(|e| e.into_inner());
        if clear {
            std::mem::take(&mut *log)
        } else {
            log.clone()
        }
    }

    /// Locks the store.
    pub fn lock(&self) -> Locked<'_> {
        Locked {
            guard: self.store.lock().unwrap_or_else(|e| e.into_inner()),
            events: &self.events,
        }
    }
}
