//! Fork workers: one task runs on up to `--forks` hosts at once.
//!
//! The strategy stays Ansible's `linear`: every host finishes a task before any host starts
//! the next one. Within a task, workers (scoped threads) take hosts in inventory order from a
//! shared counter. A worker reads the run's [`Core`] (shared, immutable while the task runs)
//! and works on its own copy of its host's [`HostState`]; the events it produces are kept
//! with its result. The executor then takes the results in inventory order, puts each host's
//! state back and emits its events, so the output is the same whatever the timing: exactly
//! what a run with `--forks 1` prints.
//!
//! With one fork (or one host) nothing is spawned: the host runs on the executor's thread and
//! its events (loop items, retries) go to the printers as they happen.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, PoisonError};

use stackbook_syntax::playbook::Task;

use super::task::HostOutcome;
use super::{Core, HostState, Inherited, Runtime};
use crate::event::{Event, EventSink};
use crate::modules::registry::Entry;
use crate::output::redact::{Registration, register_secret};

/// A task running on one host: the shared core, the host's own state, and where its events
/// go. Reads through to [`Core`].
pub(super) struct HostRun<'c, 'b> {
    core: &'c Core<'b>,
    host: String,
    state: HostState,
    /// The printers, when the host runs on the executor's thread; otherwise events are kept.
    sink: Option<&'c mut dyn EventSink>,
    events: Vec<Event>,
}

/// A host's finished task: its outcome, its new state and the events to emit.
struct Finished {
    outcome: HostOutcome,
    state: HostState,
    events: Vec<Event>,
}

/// The task's hosts and the results of its fork workers by position (none when the hosts run
/// on the executor's thread).
pub(super) struct Forked {
    targets: Vec<String>,
    finished: Vec<Option<Finished>>,
}

/// What a task is, for the workers.
#[derive(Clone, Copy)]
struct Job<'j> {
    task: &'j Task,
    entry: &'j Entry,
    inherited: &'j Inherited,
    display_name: &'j str,
}

impl<'b> std::ops::Deref for HostRun<'_, 'b> {
    type Target = Core<'b>;
    fn deref(&self) -> &Core<'b> {
        self.core
    }
}

impl<'c, 'b> HostRun<'c, 'b> {
    fn start(core: &'c Core<'b>, host: &str, sink: Option<&'c mut dyn EventSink>) -> Self {
        HostRun {
            core,
            host: host.to_string(),
            state: core.hosts.get(host).cloned().unwrap_or_default(),
            sink,
            events: Vec::new(),
        }
    }

    fn run(mut self, job: Job<'_>) -> Finished {
        let host = self.host.clone();
        let outcome = self.run_on_host(job.task, job.entry, job.inherited, &host, job.display_name);
        Finished {
            outcome,
            state: self.state,
            events: self.events,
        }
    }

    /// The state of the host this worker runs (the only host it changes).
    pub(super) fn host(&mut self, name: &str) -> &mut HostState {
        debug_assert_eq!(name, self.host, "a fork worker changes only its own host");
        &mut self.state
    }

    /// Sends an event to the printers, or keeps it for the executor.
    pub(super) fn emit(&mut self, event: &Event) {
        match &mut self.sink {
            Some(sink) => sink.emit(event),
            None => self.events.push(event.clone()),
        }
    }

    /// The scope for `host`, seeing this worker's latest state of its own host.
    pub(super) fn scope(
        &self,
        host: &str,
        inherited: &Inherited,
        task_vars: &[(String, stackbook_syntax::Node)],
        loop_vars: &[(String, minijinja::Value)],
    ) -> Result<std::sync::Arc<stackbook_template::Scope>, crate::error::EngineError> {
        let state = if host == self.host {
            Some(&self.state)
        } else {
            self.core.hosts.get(host)
        };
        self.core
            .scope_for(host, state, inherited, task_vars, loop_vars)
    }

    /// Registers vault values with the (thread-safe) redactor; one too short to mask is
    /// reported.
    pub(super) fn add_secrets(&mut self, secrets: Vec<String>) {
        for secret in secrets {
            if register_secret(&self.core.ctx.redactor, &secret) == Registration::TooShort
                && !secret.trim().is_empty()
            {
                self.emit(&Event::Warning {
                    message: format!(
                        "a vault value shorter than {} characters cannot be masked in output",
                        stackbook_secrets::redact::MIN_SECRET_LEN
                    ),
                });
            }
        }
    }
}

impl Runtime<'_> {
    /// Runs the task on `targets` with up to `--forks` workers, when there is more than one
    /// of each; the results are taken with [`Runtime::host_outcome`].
    pub(super) fn fork_hosts(
        &mut self,
        task: &Task,
        entry: &Entry,
        inherited: &Inherited,
        targets: &[String],
        display_name: &str,
    ) -> Forked {
        let workers = self.ctx.options.forks.max(1).min(targets.len());
        if workers <= 1 {
            return Forked {
                targets: targets.to_vec(),
                finished: Vec::new(),
            };
        }
        let job = Job {
            task,
            entry,
            inherited,
            display_name,
        };
        let core = &self.core;
        let next = AtomicUsize::new(0);
        let slots: Vec<Mutex<Option<Finished>>> =
            targets.iter().map(|_| Mutex::new(None)).collect();
        std::thread::scope(|scope| {
            for _ in 0..workers {
                scope.spawn(|| {
                    loop {
                        let index = next.fetch_add(1, Ordering::Relaxed);
                        let (Some(host), Some(slot)) = (targets.get(index), slots.get(index))
                        else {
                            break;
                        };
                        let finished = HostRun::start(core, host, None).run(job);
                        *slot.lock().unwrap_or_else(PoisonError::into_inner) = Some(finished);
                    }
                });
            }
        });
        Forked {
            targets: targets.to_vec(),
            finished: slots
                .into_iter()
                .map(|slot| slot.into_inner().unwrap_or_else(PoisonError::into_inner))
                .collect(),
        }
    }

    /// The outcome of the task on the `index`th host: a worker's (its state is put back and
    /// its events emitted now), or run here and now when no worker ran it.
    pub(super) fn host_outcome(
        &mut self,
        forked: &mut Forked,
        index: usize,
        task: &Task,
        entry: &Entry,
        inherited: &Inherited,
        display_name: &str,
    ) -> HostOutcome {
        let host = forked.targets.get(index).cloned().unwrap_or_default();
        let job = Job {
            task,
            entry,
            inherited,
            display_name,
        };
        let finished = match forked.finished.get_mut(index).and_then(Option::take) {
            Some(finished) => {
                for event in &finished.events {
                    self.sink.emit(event);
                }
                finished
            }
            None => {
                let Runtime { core, sink, .. } = self;
                HostRun::start(core, &host, Some(&mut **sink)).run(job)
            }
        };
        self.core.hosts.insert(host, finished.state);
        finished.outcome
    }
}
