//! The one async runtime the synchronous modules drive kube-rs with.
//!
//! Modules run on the engine's threads and block there; the runtime's two workers keep
//! hyper's connection tasks alive between tasks so pooled connections are reused. A module
//! called from inside another async runtime (where blocking would panic) blocks on a scoped
//! helper thread instead.

use std::future::Future;
use std::sync::OnceLock;

static RUNTIME: OnceLock<Option<tokio::runtime::Runtime>> = OnceLock::new();

/// Runs a future to completion on the shared runtime. `None` if the runtime or the helper
/// thread could not be created.
pub fn block_on<F>(future: F) -> Option<F::Output>
where
    F: Future + Send,
    F::Output: Send,
{
    let runtime = RUNTIME
        .get_or_init(|| {
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .thread_name("stackbook-k8s")
                .enable_all()
                .build()
                .ok()
        })
        .as_ref()?;
    if tokio::runtime::Handle::try_current().is_err() {
        return Some(runtime.block_on(future));
    }
    std::thread::scope(|scope| {
        std::thread::Builder::new()
            .name("stackbook-k8s-call".into())
            .spawn_scoped(scope, || runtime.block_on(future))
            .ok()?
            .join()
            .ok()
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn works_outside_and_inside_another_runtime() {
        assert_eq!(super::block_on(async { 1 + 1 }), Some(2));
        let other = tokio::runtime::Builder::new_current_thread().build().ok();
        let inside = other.and_then(|rt| rt.block_on(async { super::block_on(async { 3 }) }));
        assert_eq!(inside, Some(3));
    }
}
