//! `--output json`: one JSON object per line, for CI. The schema is in the README.

use std::io::Write;

use super::redact::Redactor;
use crate::event::{Event, EventSink};

/// Writes events as JSON lines.
pub struct JsonPrinter<W: Write> {
    out: W,
    redactor: std::sync::Arc<Redactor>,
}

impl<W: Write> JsonPrinter<W> {
    /// Creates a printer.
    pub fn new(out: W, redactor: std::sync::Arc<Redactor>) -> Self {
        JsonPrinter { out, redactor }
    }
}

impl<W: Write> EventSink for JsonPrinter<W> {
    fn emit(&mut self, event: &Event) {
        super::redact::absorb_pending(&self.redactor);
        let line = serde_json::to_string(event)
            .unwrap_or_else(|error| format!("{{\"event\":\"error\",\"message\":\"{error}\"}}"));
        let _ = writeln!(self.out, "{}", self.redactor.redact(&line));
    }
}
