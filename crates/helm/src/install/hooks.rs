//! Chart hooks (`helm.sh/hook`), run the way Helm's `execHook` runs them:
//! the hooks of one event sorted by `helm.sh/hook-weight` then name, each
//! applied and waited for (Jobs complete, Pods succeed) before the next;
//! delete policies `before-hook-creation` (the default), `hook-succeeded`
//! and `hook-failed`. Each hook's `last_run` (start, end, phase) is
//! recorded in the release, as Helm does, so `helm status --show-resources`
//! and the SDK see the same history.

use std::time::Duration;

use super::wait::wait_ready;
use super::{Cluster, InstallError, documents};
use crate::release::model::Hook;

/// Runs the hooks of `hooks` registered for `event` in namespace `ns`.
pub async fn run(
    cluster: &Cluster,
    ns: &str,
    hooks: &mut [Hook],
    event: &str,
    timeout: Duration,
) -> Result<(), InstallError> {
    let mut order: Vec<usize> = (0..hooks.len())
        .filter(|&i| {
            hooks
                .get(i)
                .is_some_and(|h| h.events.iter().any(|e| e == event))
        })
        .collect();
    order.sort_by(|&a, &b| match (hooks.get(a), hooks.get(b)) {
        (Some(x), Some(y)) => x.weight.cmp(&y.weight).then(x.name.cmp(&y.name)),
        _ => std::cmp::Ordering::Equal,
    });
    for i in order {
        let Some(h) = hooks.get_mut(i) else { continue };
        let docs = documents(&[(h.path.clone(), h.manifest.clone())])?;
        let policies: Vec<String> = if h.delete_policies.is_empty() {
            vec!["before-hook-creation".to_string()]
        } else {
            h.delete_policies.clone()
        };
        let has = |p: &str| policies.iter().any(|x| x == p);
        if has("before-hook-creation") {
            for (t, d) in &docs {
                cluster.delete(d, ns, t).await?;
            }
        }
        h.last_run.started_at = crate::release::time::now_rfc3339();
        h.last_run.phase = "Running".into();
        let mut result = Ok(());
        for (t, d) in &docs {
            if let Err(e) = cluster.apply(d, ns, t, false).await {
                result = Err(e);
                break;
            }
        }
        if result.is_ok() {
            result = wait_ready(cluster, &docs, ns, timeout).await;
        }
        h.last_run.completed_at = crate::release::time::now_rfc3339();
        match result {
            Ok(()) => {
                h.last_run.phase = "Succeeded".into();
                if has("hook-succeeded") {
                    for (t, d) in &docs {
                        cluster.delete(d, ns, t).await?;
                    }
                }
            }
            Err(e) => {
                h.last_run.phase = "Failed".into();
                if has("hook-failed") {
                    for (t, d) in &docs {
                        cluster.delete(d, ns, t).await?;
                    }
                }
                return Err(InstallError::Hook {
                    event: event.to_string(),
                    hook: format!("{} ({})", h.name, h.path),
                    message: e.to_string(),
                });
            }
        }
    }
    Ok(())
}
