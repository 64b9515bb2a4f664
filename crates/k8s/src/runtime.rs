//! The one async runtime the synchronous modules drive kube-rs with.
//!
//! Modules run on the engine's threads and block there; the runtime's two workers keep
//! hyper's connection tasks alive between tasks so pooled connections are reused.

use std::future::Future;
use std::sync::OnceLock;

static RUNTIME: OnceLock<Option<tokio::runtime::Runtime>> = OnceLock::new();

/// Runs a future to completion on the shared runtime. `None` if the runtime could not be
/// created (no threads available).
pub fn block_on<F: Future>(future: F) -> Option<F::Output> {
    let runtime = RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("stackbook-k8s")
            .enable_all()
            .build()
            .ok()
    });
    runtime.as_ref().map(|rt| rt.block_on(future))
}
