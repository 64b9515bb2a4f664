//! Diagnostic logs behind `-vvv` (debug) and `-vvvv` (trace), written to stderr with every
//! registered secret masked.
//!
//! Why a module of its own: logs are one more output sink, and the one most likely to leak.
//! They are written from deep inside the Kubernetes client, the Helm chart fetcher and the
//! secret lookups, before any printer has seen the value. So every log line passes through the
//! same [`Redactor`] the printers use ([`redactor`] hands it to `play`), and the writer asks it
//! at *write* time, not at setup: secrets are registered throughout a run (vault files as they
//! load, lookup results as templates render, `no_log` results as tasks finish), and each line
//! must be masked against everything known when it is written. Lookup results still waiting in
//! the template layer's queue are absorbed first, as the printers do.
//!
//! Trace events inside a `no_log` task are dropped. The engine marks such a task with a span
//! named `no_log`; at trace level modules log payloads (arguments, request and response
//! bodies) whose secrets the task's result censoring registers only *after* the line would have
//! been written.
//!
//! Levels: nothing below `-vvv`; `-vvv` shows stackbook's debug events (each Kubernetes API
//! request with method, path, status and duration; chart fetches; secret lookup endpoints;
//! module invocations) and warnings of the libraries below it; `-vvvv` adds trace events
//! (module arguments, Kubernetes request and response bodies). `STACKBOOK_LOG` overrides this
//! for any subcommand, in tracing's `Targets` syntax (`stackbook_k8s=trace,warn`).

use std::io::Write;
use std::sync::{Arc, LazyLock};

use stackbook_engine::output::redact::{Redactor, absorb_pending};
use tracing::{Level, Metadata};
use tracing_subscriber::filter::{DynFilterFn, LevelFilter, Targets};
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::registry::{LookupSpan, Registry};
use tracing_subscriber::{Layer, fmt};

use crate::cli::{Cli, Command};

/// The environment variable that overrides the verbosity-derived log filter.
pub const LOG_ENV: &str = "STACKBOOK_LOG";

/// The process's one redactor: printers, logs and final error messages share it, so a secret
/// registered by any of them is masked in all of them.
static REDACTOR: LazyLock<Arc<Redactor>> = LazyLock::new(|| Arc::new(Redactor::new()));

/// The shared redactor (see [`REDACTOR`]).
pub fn redactor() -> Arc<Redactor> {
    REDACTOR.clone()
}

/// `text` with every secret known so far masked (pending lookup results included).
pub fn redact(text: &str) -> String {
    absorb_pending(&REDACTOR);
    REDACTOR.redact(text).into_owned()
}

/// Installs the stderr log subscriber the command line asks for; does nothing (no subscriber,
/// no cost) when logs are off.
pub fn init(cli: &Cli) {
    let verbosity = match &cli.command {
        Command::Play(args) => args.verbose,
        _ => 0,
    };
    let spec = std::env::var(LOG_ENV).ok();
    let targets = match targets(verbosity, spec.as_deref()) {
        Ok(Some(targets)) => targets,
        Ok(None) => return,
        Err(error) => {
            eprintln!("[WARNING]: {LOG_ENV}: {error}; logging stays off");
            return;
        }
    };
    let subscriber = Registry::default().with(layer(targets, Redacting::stderr(redactor())));
    // Fails only if a subscriber is already set (never, in the binary).
    let _ = tracing::subscriber::set_global_default(subscriber);
}

/// What to log: from `STACKBOOK_LOG` when set, else from the `-v` count. `None`: nothing.
fn targets(verbosity: u8, spec: Option<&str>) -> Result<Option<Targets>, String> {
    if let Some(spec) = spec.map(str::trim).filter(|s| !s.is_empty()) {
        return spec
            .parse::<Targets>()
            .map(Some)
            .map_err(|e| format!("invalid filter '{spec}': {e}"));
    }
    let level = match verbosity {
        0..=2 => return Ok(None),
        3 => Level::DEBUG,
        _ => Level::TRACE,
    };
    // Every stackbook crate's target starts with `stackbook` (`stackbook_k8s::cluster`, …).
    Ok(Some(
        Targets::new()
            .with_target("stackbook", level)
            .with_default(LevelFilter::WARN),
    ))
}

/// The formatting layer: compact lines with the time since start, filtered by `targets` and
/// by the `no_log` rule, written through `writer`.
fn layer<S, W>(targets: Targets, writer: W) -> impl Layer<S>
where
    S: tracing::Subscriber + for<'l> LookupSpan<'l>,
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    let filter = DynFilterFn::new(move |meta: &Metadata<'_>, cx: &Context<'_, S>| {
        if meta.is_span() && is_no_log_span(meta) {
            return true;
        }
        if !targets.would_enable(meta.target(), meta.level()) {
            return false;
        }
        !(meta.is_event() && *meta.level() == Level::TRACE && inside_no_log(cx))
    });
    fmt::layer()
        .with_ansi(false)
        .with_timer(fmt::time::uptime())
        .with_writer(writer)
        .with_filter(filter)
}

/// The span the engine opens around a `no_log` task.
fn is_no_log_span(meta: &Metadata<'_>) -> bool {
    meta.name() == "no_log" && meta.target().starts_with("stackbook_engine")
}

fn inside_no_log<S>(cx: &Context<'_, S>) -> bool
where
    S: tracing::Subscriber + for<'l> LookupSpan<'l>,
{
    cx.lookup_current()
        .is_some_and(|span| span.scope().any(|s| is_no_log_span(s.metadata())))
}

/// Makes one [`RedactingLine`] per log event; `sink` opens the real output.
pub struct Redacting<F> {
    redactor: Arc<Redactor>,
    sink: F,
}

impl Redacting<fn() -> std::io::Stderr> {
    /// Redacted lines to stderr.
    pub fn stderr(redactor: Arc<Redactor>) -> Self {
        Redacting {
            redactor,
            sink: std::io::stderr,
        }
    }
}

impl<'a, F, W> MakeWriter<'a> for Redacting<F>
where
    F: Fn() -> W + 'static,
    W: Write,
{
    type Writer = RedactingLine<W>;

    fn make_writer(&'a self) -> Self::Writer {
        RedactingLine {
            redactor: self.redactor.clone(),
            sink: Some((self.sink)()),
            buffer: Vec::new(),
        }
    }
}

/// Collects one formatted event and writes it, masked, when flushed or dropped — so a secret
/// is never split across two writes where neither half would match.
pub struct RedactingLine<W: Write> {
    redactor: Arc<Redactor>,
    sink: Option<W>,
    buffer: Vec<u8>,
}

impl<W: Write> RedactingLine<W> {
    fn emit(&mut self) -> std::io::Result<()> {
        if self.buffer.is_empty() {
            return Ok(());
        }
        absorb_pending(&self.redactor);
        let text = String::from_utf8_lossy(&self.buffer);
        let masked = self.redactor.redact(&text);
        let result = match self.sink.as_mut() {
            Some(sink) => sink
                .write_all(masked.as_bytes())
                .and_then(|()| sink.flush()),
            None => Ok(()),
        };
        self.buffer.clear();
        result
    }
}

impl<W: Write> Write for RedactingLine<W> {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.buffer.extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.emit()
    }
}

impl<W: Write> Drop for RedactingLine<W> {
    fn drop(&mut self) {
        let _ = self.emit();
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use stackbook_engine::output::redact::register_secret;

    use super::*;

    /// The template layer's pending-secret queue is process-wide: tests that log (and so drain
    /// it) take turns.
    static SERIAL: Mutex<()> = Mutex::new(());

    /// A subscriber writing into a shared buffer through the production layer.
    fn capture(
        targets: Targets,
        redactor: Arc<Redactor>,
    ) -> (impl tracing::Subscriber, Arc<Mutex<Vec<u8>>>) {
        #[derive(Clone)]
        struct Shared(Arc<Mutex<Vec<u8>>>);
        impl Write for Shared {
            fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
                if let Ok(mut buffer) = self.0.lock() {
                    buffer.extend_from_slice(bytes);
                }
                Ok(bytes.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let out = Arc::new(Mutex::new(Vec::new()));
        let shared = Shared(out.clone());
        let writer = Redacting {
            redactor,
            sink: move || shared.clone(),
        };
        (Registry::default().with(layer(targets, writer)), out)
    }

    fn text(out: &Arc<Mutex<Vec<u8>>>) -> String {
        String::from_utf8_lossy(&out.lock().map(|b| b.clone()).unwrap_or_default()).into_owned()
    }

    #[test]
    fn secrets_registered_after_setup_are_masked_in_later_lines() {
        let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
        let redactor = Arc::new(Redactor::new());
        let targets = targets(4, None).ok().flatten().expect("trace level");
        let (subscriber, out) = capture(targets, redactor.clone());
        tracing::subscriber::with_default(subscriber, || {
            tracing::debug!(target: "stackbook_k8s::cluster", body = "before-Zq81-secret-value", "early");
            register_secret(&redactor, "Zq81-secret-value");
            tracing::debug!(target: "stackbook_k8s::cluster", body = "x=Zq81-secret-value;", "late");
            tracing::trace!(target: "stackbook_k8s::cluster", "b64 {}", "WnE4MS1zZWNyZXQtdmFsdWU=");
        });
        let logged = text(&out);
        // The first line was written before the secret was known: that is what registration
        // order means, and why sources register before they log.
        assert!(logged.contains("before-Zq81-secret-value"), "{logged}");
        assert!(logged.contains("x=********;"), "{logged}");
        assert!(!logged.contains("WnE4MS1zZWNyZXQtdmFsdWU"), "{logged}");
        assert_eq!(logged.matches("Zq81").count(), 1, "{logged}");
    }

    #[test]
    fn lookup_results_still_pending_are_absorbed_before_writing() {
        let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
        let redactor = Arc::new(Redactor::new());
        let targets = targets(3, None).ok().flatten().expect("debug level");
        let (subscriber, out) = capture(targets, redactor.clone());
        stackbook_template::secrets::mark_secret("pending-lookup-Rt5v");
        tracing::subscriber::with_default(subscriber, || {
            tracing::debug!(target: "stackbook_lookups::http", "got pending-lookup-Rt5v");
        });
        let logged = text(&out);
        assert!(logged.contains("got ********"), "{logged}");
        assert_eq!(redactor.redact("pending-lookup-Rt5v"), "********");
    }

    #[test]
    fn trace_events_inside_no_log_tasks_are_dropped() {
        let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
        let targets = targets(4, None).ok().flatten().expect("trace level");
        let (subscriber, out) = capture(targets, Arc::new(Redactor::new()));
        tracing::subscriber::with_default(subscriber, || {
            tracing::trace!(target: "stackbook_k8s::cluster", "visible body");
            {
                let _task = tracing::error_span!(target: "stackbook_engine::exec::task", "no_log")
                    .entered();
                tracing::trace!(target: "stackbook_k8s::cluster", "hidden body");
                tracing::debug!(target: "stackbook_k8s::cluster", "GET /api/v1 200");
            }
            tracing::trace!(target: "stackbook_k8s::cluster", "visible again");
        });
        let logged = text(&out);
        assert!(logged.contains("visible body"), "{logged}");
        assert!(logged.contains("visible again"), "{logged}");
        assert!(logged.contains("GET /api/v1 200"), "{logged}");
        assert!(!logged.contains("hidden body"), "{logged}");
    }

    #[test]
    fn verbosity_maps_to_levels() {
        assert!(matches!(targets(2, None), Ok(None)));
        let debug = targets(3, None).ok().flatten().expect("debug");
        assert!(debug.would_enable("stackbook_k8s::cluster", &Level::DEBUG));
        assert!(!debug.would_enable("stackbook_k8s::cluster", &Level::TRACE));
        assert!(!debug.would_enable("hyper::proto", &Level::DEBUG));
        let trace = targets(5, None).ok().flatten().expect("trace");
        assert!(trace.would_enable("stackbook_engine::exec::task", &Level::TRACE));
        let custom = targets(0, Some("stackbook_helm=trace")).ok().flatten();
        assert!(custom.is_some_and(|t| t.would_enable("stackbook_helm::source", &Level::TRACE)));
        assert!(targets(0, Some("=bogus=")).is_err());
    }
}
