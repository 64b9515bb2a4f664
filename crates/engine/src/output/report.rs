//! `--report FILE`: a Markdown run report for runbooks — every task with its duration and
//! outcome per host, what changed, and the total wall time (the recovery time of a DR run).
//! Written from the same events as the console, through the same redactor.

use std::io::Write;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::redact::Redactor;
use crate::event::{Event, EventSink, Status};

struct Row {
    play: String,
    task: String,
    action: String,
    started: Instant,
    duration: Duration,
    outcomes: Vec<(String, Status, bool)>,
}

/// Collects events and writes the report when the run ends (on the recap).
pub struct ReportSink<W: Write> {
    out: Option<W>,
    redactor: Arc<Redactor>,
    playbook: String,
    play: String,
    rows: Vec<Row>,
    started: Instant,
}

impl<W: Write> ReportSink<W> {
    /// Creates a report writer.
    pub fn new(out: W, redactor: Arc<Redactor>) -> Self {
        ReportSink {
            out: Some(out),
            redactor,
            playbook: String::new(),
            play: String::new(),
            rows: Vec::new(),
            started: Instant::now(),
        }
    }

    fn close_current(&mut self) {
        if let Some(row) = self.rows.last_mut()
            && row.duration.is_zero()
        {
            row.duration = row.started.elapsed();
        }
    }

    fn write(&mut self, stats: &serde_json::Map<String, serde_json::Value>) {
        self.close_current();
        let total = self.started.elapsed();
        let mut text = format!("# Run report: {}\n\n", self.playbook);
        text.push_str(&format!("Total wall time: **{}**\n\n", seconds(total)));
        text.push_str(
            "| play | task | action | duration | result |\n| --- | --- | --- | ---: | --- |\n",
        );
        for row in &self.rows {
            let result = row
                .outcomes
                .iter()
                .map(|(host, status, ignored)| {
                    let status = serde_json::to_value(status)
                        .ok()
                        .and_then(|v| v.as_str().map(str::to_string))
                        .unwrap_or_default();
                    if *ignored {
                        format!("{host}: {status} (ignored)")
                    } else {
                        format!("{host}: {status}")
                    }
                })
                .collect::<Vec<_>>()
                .join(", ");
            text.push_str(&format!(
                "| {} | {} | `{}` | {} | {} |\n",
                cell(&row.play),
                cell(&row.task),
                row.action,
                seconds(row.duration),
                cell(&result)
            ));
        }
        let changed: Vec<&Row> = self
            .rows
            .iter()
            .filter(|r| r.outcomes.iter().any(|(_, s, _)| *s == Status::Changed))
            .collect();
        text.push_str("\n## Changed\n\n");
        if changed.is_empty() {
            text.push_str("Nothing changed.\n");
        }
        for row in changed {
            text.push_str(&format!("- {} (`{}`)\n", cell(&row.task), row.action));
        }
        text.push_str("\n## Recap\n\n| host | ok | changed | unreachable | failed | skipped | rescued | ignored |\n| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n");
        for (host, counts) in stats {
            let get = |key: &str| {
                counts
                    .get(key)
                    .and_then(serde_json::Value::as_u64)
                    .unwrap_or(0)
            };
            text.push_str(&format!(
                "| {host} | {} | {} | {} | {} | {} | {} | {} |\n",
                get("ok"),
                get("changed"),
                get("unreachable"),
                get("failed"),
                get("skipped"),
                get("rescued"),
                get("ignored")
            ));
        }
        super::redact::absorb_pending(&self.redactor);
        if let Some(mut out) = self.out.take() {
            let _ = out.write_all(self.redactor.redact(&text).as_bytes());
            let _ = out.flush();
        }
    }
}

fn seconds(duration: Duration) -> String {
    format!("{:.2}s", duration.as_secs_f64())
}

/// Keeps a Markdown table cell on one line.
fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

impl<W: Write> EventSink for ReportSink<W> {
    fn emit(&mut self, event: &Event) {
        match event {
            Event::PlaybookStart { playbook } => self.playbook = playbook.clone(),
            Event::PlayStart { play, .. } => {
                self.close_current();
                self.play = play.clone();
            }
            Event::TaskStart { task, action, .. } | Event::HandlerStart { task, action, .. } => {
                self.close_current();
                self.rows.push(Row {
                    play: self.play.clone(),
                    task: task.clone(),
                    action: action.clone(),
                    started: Instant::now(),
                    duration: Duration::ZERO,
                    outcomes: Vec::new(),
                });
            }
            Event::HostResult {
                host,
                status,
                ignored,
                ..
            } => {
                if let Some(row) = self.rows.last_mut() {
                    row.outcomes.push((host.clone(), *status, *ignored));
                }
            }
            Event::Recap { stats } => self.write(stats),
            _ => {}
        }
    }
}

/// Sends every event to several sinks (console and report).
pub struct Tee<'a> {
    sinks: Vec<&'a mut dyn EventSink>,
}

impl<'a> Tee<'a> {
    /// Combines sinks.
    pub fn new(sinks: Vec<&'a mut dyn EventSink>) -> Self {
        Tee { sinks }
    }
}

impl EventSink for Tee<'_> {
    fn emit(&mut self, event: &Event) {
        for sink in &mut self.sinks {
            sink.emit(event);
        }
    }
}
