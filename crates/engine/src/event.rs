//! The event stream every run produces. Printers consume it; nothing else prints.
//!
//! The JSON form (`--output json`) is one event per line and is a stable interface for CI:
//! fields are only ever added, never renamed or removed. The schema is documented in the
//! README.

use serde::Serialize;

/// Per-host counters of the recap.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct HostStats {
    /// Tasks that ran without change.
    pub ok: u32,
    /// Tasks that changed something.
    pub changed: u32,
    /// Unreachable results.
    pub unreachable: u32,
    /// Failed tasks (not rescued, not ignored).
    pub failed: u32,
    /// Skipped tasks.
    pub skipped: u32,
    /// Failures handled by `rescue`.
    pub rescued: u32,
    /// Failures ignored by `ignore_errors`.
    pub ignored: u32,
}

/// The outcome of a task on a host.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Ran, nothing changed.
    Ok,
    /// Ran and changed something.
    Changed,
    /// Failed.
    Failed,
    /// Not run (condition false).
    Skipped,
    /// The host could not be reached.
    Unreachable,
}

/// One thing that happened during a run.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    /// The playbook starts.
    PlaybookStart {
        /// The playbook path as given.
        playbook: String,
    },
    /// A play starts.
    PlayStart {
        /// Its (templated) name.
        play: String,
        /// The hosts it targets after `--limit`.
        hosts: Vec<String>,
    },
    /// A task starts (once, before its per-host results).
    TaskStart {
        /// Task name as displayed.
        task: String,
        /// The resolved action (`ansible.builtin.debug`).
        action: String,
        /// `file:line:column`.
        location: String,
    },
    /// A handler starts.
    HandlerStart {
        /// Handler name.
        task: String,
        /// The resolved action.
        action: String,
        /// `file:line:column`.
        location: String,
    },
    /// One loop item finished on a host.
    ItemResult {
        /// Task name.
        task: String,
        /// Host.
        host: String,
        /// Outcome of this item.
        status: Status,
        /// The loop item (`null` under `no_log`).
        item: serde_json::Value,
        /// What the console shows for the item (`loop_control.label`, else the item).
        label: serde_json::Value,
        /// The item's result.
        result: serde_json::Value,
    },
    /// A task finished on a host.
    HostResult {
        /// Task name.
        task: String,
        /// Host.
        host: String,
        /// Outcome.
        status: Status,
        /// The failure was ignored (`ignore_errors`).
        ignored: bool,
        /// The registered result (censored under `no_log`).
        result: serde_json::Value,
    },
    /// A message for the user (deprecations, warnings, retries).
    Warning {
        /// The text.
        message: String,
    },
    /// A task is retrying (`until`).
    Retry {
        /// Task name.
        task: String,
        /// Host.
        host: String,
        /// Attempts so far.
        attempt: u32,
        /// Retries allowed.
        retries: u32,
    },
    /// The final counters.
    Recap {
        /// Per host, in inventory order.
        stats: serde_json::Map<String, serde_json::Value>,
    },
}

/// Receives events. Printers implement it.
pub trait EventSink {
    /// Handles one event.
    fn emit(&mut self, event: &Event);
}

/// Collects events in memory (tests, and `--output json` buffering).
#[derive(Debug, Default)]
pub struct CollectingSink {
    /// The events so far.
    pub events: Vec<Event>,
}

impl EventSink for CollectingSink {
    fn emit(&mut self, event: &Event) {
        self.events.push(event.clone());
    }
}
