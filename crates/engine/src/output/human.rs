//! The console view Ansible users read at a glance: PLAY/TASK banners, one line per host,
//! and the PLAY RECAP. Colour only on a terminal and never with `NO_COLOR`.

use std::io::Write;

use serde_json::Value as Json;

use super::redact::Redactor;
use crate::event::{Event, EventSink, Status};

const COLUMNS: usize = 80;

/// Writes the human-readable view.
pub struct HumanPrinter<W: Write> {
    out: W,
    redactor: std::sync::Arc<Redactor>,
    color: bool,
    verbosity: u8,
    /// Actions whose results are always shown (like Ansible's debug).
    current_action: String,
}

impl<W: Write> HumanPrinter<W> {
    /// Creates a printer.
    pub fn new(out: W, redactor: std::sync::Arc<Redactor>, color: bool, verbosity: u8) -> Self {
        HumanPrinter {
            out,
            redactor,
            color,
            verbosity,
            current_action: String::new(),
        }
    }

    fn line(&mut self, text: &str) {
        super::redact::absorb_pending(&self.redactor);
        let text = self.redactor.redact(text);
        // A closed pipe (`| head`) is not an error worth reporting.
        let _ = writeln!(self.out, "{text}");
    }

    fn paint(&self, text: &str, status: Status) -> String {
        if !self.color {
            return text.to_string();
        }
        let code = match status {
            Status::Ok => "32",
            Status::Changed => "33",
            Status::Failed | Status::Unreachable => "31",
            Status::Skipped => "36",
        };
        format!("\x1b[0;{code}m{text}\x1b[0m")
    }

    fn banner(&mut self, title: &str) {
        let stars = COLUMNS.saturating_sub(title.chars().count() + 1).max(3);
        self.line(&format!("\n{title} {}", "*".repeat(stars)));
    }

    /// `--diff`: modules put Ansible-shaped `diff` entries (`before`, `after`, and headers;
    /// one or a list) in their result; they are shown as unified diffs before the status line.
    fn diff(&mut self, result: &Json) {
        let entries: Vec<&Json> = match result.get("diff") {
            Some(Json::Array(items)) => items.iter().collect(),
            Some(entry @ Json::Object(_)) => vec![entry],
            _ => return,
        };
        for entry in entries {
            let text = |key: &str| {
                entry
                    .get(key)
                    .and_then(Json::as_str)
                    .unwrap_or_default()
                    .to_string()
            };
            let (before, after) = (text("before"), text("after"));
            if before == after {
                continue;
            }
            let before_header = entry
                .get("before_header")
                .and_then(Json::as_str)
                .unwrap_or("before");
            let after_header = entry
                .get("after_header")
                .and_then(Json::as_str)
                .unwrap_or("after");
            let diff = similar::TextDiff::from_lines(&before, &after);
            let unified = diff
                .unified_diff()
                .context_radius(3)
                .header(
                    &format!("before: {before_header}"),
                    &format!("after: {after_header}"),
                )
                .to_string();
            for line in unified.lines() {
                self.line(line);
            }
            self.line("");
        }
    }

    fn shows_result(&self, status: Status) -> bool {
        self.verbosity > 0
            || self.current_action == "ansible.builtin.debug"
            || status == Status::Failed
    }
}

fn compact(json: &Json) -> String {
    crate::value::python_json(json)
}

fn pretty(json: &Json) -> String {
    let mut buffer = Vec::new();
    let formatter = serde_json::ser::PrettyFormatter::with_indent(b"    ");
    let mut serializer = serde_json::Serializer::with_formatter(&mut buffer, formatter);
    if serde::Serialize::serialize(json, &mut serializer).is_err() {
        return json.to_string();
    }
    String::from_utf8(buffer).unwrap_or_default()
}

/// Drops keys Ansible does not show on the console.
fn displayed(result: &Json) -> Json {
    match result {
        Json::Object(map) => {
            let mut shown = map.clone();
            for key in ["ansible_loop_var", "item", "_ansible_no_log"] {
                shown.remove(key);
            }
            Json::Object(shown)
        }
        other => other.clone(),
    }
}

fn item_label(item: &Json) -> String {
    match item {
        Json::String(text) => text.clone(),
        other => compact(other),
    }
}

impl<W: Write> EventSink for HumanPrinter<W> {
    fn emit(&mut self, event: &Event) {
        match event {
            Event::PlaybookStart { .. } => {}
            Event::PlayStart { play, .. } => self.banner(&format!("PLAY [{play}]")),
            Event::TaskStart { task, action, .. } => {
                self.current_action = action.clone();
                self.banner(&format!("TASK [{task}]"));
            }
            Event::HandlerStart { task, action, .. } => {
                self.current_action = action.clone();
                self.banner(&format!("RUNNING HANDLER [{task}]"));
            }
            Event::ItemResult {
                host,
                status,
                label,
                result,
                ..
            } => {
                self.diff(result);
                let label = item_label(label);
                let text = match status {
                    Status::Failed => format!(
                        "failed: [{host}] (item={label}) => {}",
                        compact(&displayed(result))
                    ),
                    Status::Skipped => format!("skipping: [{host}] => (item={label}) "),
                    Status::Ok if self.shows_result(*status) => {
                        format!(
                            "ok: [{host}] => (item={label}) => {}",
                            pretty(&debug_view(result))
                        )
                    }
                    Status::Ok => format!("ok: [{host}] => (item={label})"),
                    Status::Changed if self.shows_result(*status) => {
                        format!(
                            "changed: [{host}] => (item={label}) => {}",
                            pretty(&displayed(result))
                        )
                    }
                    Status::Changed => format!("changed: [{host}] => (item={label})"),
                    Status::Unreachable => format!("unreachable: [{host}] (item={label})"),
                };
                let painted = self.paint(&text, *status);
                self.line(&painted);
            }
            Event::HostResult {
                host,
                status,
                ignored,
                result,
                ..
            } => {
                self.diff(result);
                let is_loop = result.get("results").is_some();
                let text = match status {
                    Status::Failed => format!(
                        "fatal: [{host}]: FAILED! => {}",
                        compact(&displayed(result))
                    ),
                    Status::Unreachable => format!(
                        "fatal: [{host}]: UNREACHABLE! => {}",
                        compact(&displayed(result))
                    ),
                    // Loops print per item; the aggregate line only appears for failures.
                    _ if is_loop => String::new(),
                    Status::Skipped => format!("skipping: [{host}]"),
                    Status::Ok if self.shows_result(*status) => {
                        format!("ok: [{host}] => {}", pretty(&debug_view(result)))
                    }
                    Status::Ok => format!("ok: [{host}]"),
                    Status::Changed if self.shows_result(*status) => {
                        format!("changed: [{host}] => {}", pretty(&displayed(result)))
                    }
                    Status::Changed => format!("changed: [{host}]"),
                };
                if !text.is_empty() {
                    let painted = self.paint(&text, *status);
                    self.line(&painted);
                }
                if *ignored {
                    let painted = self.paint("...ignoring", Status::Skipped);
                    self.line(&painted);
                }
            }
            Event::Warning { message } => self.line(&format!("[WARNING]: {message}")),
            Event::Retry {
                task,
                host,
                attempt,
                retries,
            } => {
                let remaining = retries.saturating_sub(*attempt);
                self.line(&format!(
                    "FAILED - RETRYING: [{host}]: {task} ({remaining} retries left)."
                ));
            }
            Event::Recap { stats } => {
                self.banner("PLAY RECAP");
                for (host, counts) in stats {
                    let get = |key: &str| counts.get(key).and_then(Json::as_u64).unwrap_or(0);
                    let cell = |key: &str| format!("{key}={:<4}", get(key));
                    self.line(&format!(
                        "{host:<26} : {} {} {} {} {} {} {}",
                        cell("ok"),
                        cell("changed"),
                        cell("unreachable"),
                        cell("failed"),
                        cell("skipped"),
                        cell("rescued"),
                        cell("ignored")
                    ));
                }
                self.line("");
            }
        }
    }
}

/// A debug result shows only its message or variable, like Ansible's console.
fn debug_view(result: &Json) -> Json {
    let mut shown = displayed(result);
    if let Json::Object(map) = &mut shown {
        map.remove("changed");
        map.remove("failed");
    }
    shown
}
