//! Fault injection for reliability tests.
//!
//! Rules match a request by path substring and optionally HTTP method, and fire a limited or
//! unlimited number of times: an error `Status` (500/503/429 with `Retry-After`, 409, 403...),
//! added latency, or a dropped connection. Rules are checked in insertion order; the first match
//! that still has budget fires.

use std::sync::{Arc, Mutex};
use std::time::Duration;

/// What a matching rule does.
#[derive(Debug, Clone, PartialEq)]
pub enum FaultAction {
    /// Respond with a `Status` of this HTTP code (reason derived from the code), with an optional
    /// `Retry-After` in seconds.
    Status {
        /// HTTP code, e.g. 500, 503, 429, 409, 403.
        code: u16,
        /// `Retry-After` seconds.
        retry_after: Option<u32>,
    },
    /// Sleep, then handle the request normally.
    Latency(Duration),
    /// Close the connection without a response.
    DropConnection,
}

/// One rule.
#[derive(Debug, Clone, PartialEq)]
pub struct FaultRule {
    /// Substring of the request path (`""` matches everything).
    pub path_contains: String,
    /// HTTP method (`GET`, `PATCH`...) or `None` for any.
    pub method: Option<String>,
    /// What to do.
    pub action: FaultAction,
    /// How many times to fire; `None` = forever.
    pub times: Option<u32>,
}

impl FaultRule {
    /// A rule for `path_contains` and any method.
    pub fn new(path_contains: &str, action: FaultAction) -> Self {
        Self {
            path_contains: path_contains.to_string(),
            method: None,
            action,
            times: None,
        }
    }

    /// Restricts to one HTTP method.
    pub fn method(mut self, method: &str) -> Self {
        self.method = Some(method.to_ascii_uppercase());
        self
    }

    /// Fires only `n` times.
    pub fn times(mut self, n: u32) -> Self {
        self.times = Some(n);
        self
    }
}

/// The shared, runtime-editable rule list of one server.
#[derive(Debug, Clone, Default)]
pub struct Faults {
    rules: Arc<Mutex<Vec<FaultRule>>>,
}

impl Faults {
    /// Adds a rule.
    pub fn add(&self, rule: FaultRule) {
        self.lock().push(rule);
    }

    /// Removes all rules.
    pub fn clear(&self) {
        self.lock().clear();
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<FaultRule>> {
        self.rules.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Returns the actions that fire for this request (latency first, then at most one
    /// terminal action), consuming budget.
    pub fn check(&self, method: &str, path: &str) -> Vec<FaultAction> {
        let mut rules = self.lock();
        let mut out = Vec::new();
        let mut terminal = false;
        for rule in rules.iter_mut() {
            let matches = path.contains(&rule.path_contains)
                && rule.method.as_deref().is_none_or(|m| m == method)
                && rule.times != Some(0);
            let is_latency = matches!(rule.action, FaultAction::Latency(_));
            if !matches || (terminal && !is_latency) {
                continue;
            }
            if let Some(n) = rule.times.as_mut() {
                *n -= 1;
            }
            terminal |= !is_latency;
            out.push(rule.action.clone());
        }
        rules.retain(|r| r.times != Some(0));
        out
    }
}

/// The `Status.reason` the real server uses for an HTTP code.
pub fn reason_for(code: u16) -> &'static str {
    match code {
        400 => "BadRequest",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "NotFound",
        409 => "Conflict",
        410 => "Expired",
        422 => "Invalid",
        429 => "TooManyRequests",
        503 => "ServiceUnavailable",
        504 => "Timeout",
        _ => "InternalError",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn budgets_and_ordering() {
        let f = Faults::default();
        f.add(
            FaultRule::new(
                "/secrets",
                FaultAction::Status {
                    code: 503,
                    retry_after: Some(1),
                },
            )
            .times(2)
            .method("get"),
        );
        f.add(FaultRule::new("", FaultAction::Latency(Duration::from_millis(5))).times(1));
        assert_eq!(f.check("GET", "/api/v1/namespaces/a/secrets").len(), 2);
        assert_eq!(f.check("POST", "/api/v1/namespaces/a/secrets"), vec![]);
        assert_eq!(f.check("GET", "/api/v1/namespaces/a/secrets").len(), 1);
        assert_eq!(f.check("GET", "/api/v1/namespaces/a/secrets"), vec![]);
    }
}
