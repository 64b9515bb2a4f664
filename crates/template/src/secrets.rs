//! Values that templating produced from secret sources (the `url`, `aws_secret` and
//! `scaleway_secret` lookups). Lookups run deep inside rendering, far from the printers, so
//! they leave their results here; every printer drains this list into its redactor before it
//! writes a line ([`take_pending`]), so a secret is masked from the first line that could
//! show it.

use std::sync::Mutex;

static PENDING: Mutex<Vec<String>> = Mutex::new(Vec::new());

/// Records a value as secret.
pub fn mark_secret(value: &str) {
    if let Ok(mut pending) = PENDING.lock() {
        pending.push(value.to_string());
    }
}

/// Takes the secrets recorded since the last call.
pub fn take_pending() -> Vec<String> {
    PENDING
        .lock()
        .map(|mut pending| std::mem::take(&mut *pending))
        .unwrap_or_default()
}
