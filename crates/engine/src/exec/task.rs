//! One task on the active hosts: conditions, loops, retries, the module, result handling.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use minijinja::Value;
use serde_json::{Map, Value as Json};
use stackbook_syntax::playbook::Task;
use stackbook_syntax::{Node, NodeValue};
use stackbook_template::{Scope, TemplateError};

use super::args::{raw_arguments, template_arguments};
use super::fork::HostRun;
use super::loops::loop_items;
use super::{Core, Flow, Inherited, Runtime};
use crate::error::EngineError;
use crate::event::{Event, Status};
use crate::modules::registry::Entry;
use crate::modules::{Action, Builtin, ModuleContext, ModuleResult, failed};
use crate::options::tags_selected;
use crate::value::{from_json, node_to_value, to_json};

const CENSORED: &str =
    "the output has been hidden due to the fact that 'no_log: true' was specified for this result";

/// Variables an include passes to its tasks (loop variables, params).
type Params = Vec<(String, Value)>;

/// What an include brings in.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum IncludeTarget {
    /// `include_tasks: file.yml`.
    Tasks(String),
    /// `include_role: {name: x, tasks_from: y}`.
    Role(crate::roles::RoleRef, crate::roles::RoleFiles),
}

/// One host's request to include tasks with parameters.
struct IncludeRequest {
    host: String,
    target: IncludeTarget,
    params: Params,
}

/// What one host asked the executor to do after its task.
pub(super) enum Request {
    None,
    EndPlay,
    EndHost,
    FlushHandlers,
    Include(Vec<(IncludeTarget, Params)>),
}

/// What running a task on one host produced.
pub(super) struct HostOutcome {
    status: Status,
    result: ModuleResult,
    ignored: bool,
    request: Request,
}

impl Runtime<'_> {
    pub(super) fn run_task(
        &mut self,
        task: &Task,
        inherited: &Inherited,
        hosts: &[String],
        is_handler: bool,
    ) -> Result<Flow, EngineError> {
        self.refresh_snapshot();
        let entry = self
            .ctx
            .registry
            .resolve(&task.action)
            .cloned()
            .ok_or_else(|| {
                EngineError::invalid(
                    &task.action_location,
                    format!("couldn't resolve module/action '{}'", task.action),
                )
            })?;
        let mut tags: Vec<String> = inherited.tags.clone();
        tags.extend(task.keywords.tags.iter().cloned());
        let is_meta = matches!(entry.action, Action::Builtin(Builtin::Meta));
        if !is_handler && !is_meta && !tags_selected(self.ctx.options, &tags) {
            return Ok(Flow::Continue);
        }
        if matches!(entry.action, Action::Builtin(Builtin::IncludeRole))
            && task.action.ends_with("import_role")
        {
            return self.import_role(task, inherited, hosts);
        }
        let display_name = self.display_name(task, inherited, hosts);
        if self.waiting_for_start {
            if Some(display_name.as_str()) == self.ctx.options.start_at_task.as_deref()
                || task.name.as_deref() == self.ctx.options.start_at_task.as_deref()
            {
                self.waiting_for_start = false;
            } else {
                return Ok(Flow::Continue);
            }
        }
        let location = task.location.to_string();
        {
            let event = if is_handler {
                Event::HandlerStart {
                    task: display_name.clone(),
                    action: entry.fqcn.clone(),
                    location,
                }
            } else {
                Event::TaskStart {
                    task: display_name.clone(),
                    action: entry.fqcn.clone(),
                    location,
                }
            };
            self.emit(&event);
        }
        let run_once = self.keyword_on_first(
            task.keywords
                .run_once
                .as_ref()
                .or(inherited.run_once.as_ref()),
            inherited,
            hosts,
        );
        let targets: Vec<String> = if run_once {
            hosts.iter().take(1).cloned().collect()
        } else {
            hosts.to_vec()
        };
        let mut includes: Vec<IncludeRequest> = Vec::new();
        let mut flow = Flow::Continue;
        let mut flush = false;
        let mut any_failed = false;
        let mut forked = self.fork_hosts(task, &entry, inherited, &targets, &display_name);
        for (index, host) in targets.iter().enumerate() {
            let outcome =
                self.host_outcome(&mut forked, index, task, &entry, inherited, &display_name);
            let HostOutcome {
                status,
                result,
                ignored,
                request,
            } = outcome;
            // Notifying a handler that does not exist aborts the run, as in ansible-core.
            if status == Status::Changed
                && let Some(missing) = task.keywords.notify.iter().find(|name| {
                    !stackbook_template::is_template(name) && !self.handler_exists(name)
                })
            {
                return Err(EngineError::Aborted {
                    location: task.location.clone(),
                    message: format!(
                        "The requested handler '{missing}' was not found in either the main handlers list nor in the listening handlers list"
                    ),
                });
            }
            // An executed meta action has no result of its own (Ansible prints none).
            let silent = is_meta && status != Status::Skipped && status != Status::Failed;
            let no_log = self.no_log(task, inherited, host);
            let shown = if no_log {
                censor(&result)
            } else {
                Json::Object(result.clone())
            };
            if no_log {
                // What a no_log task produced is a secret from now on — except what is plainly
                // not: text written literally in the task itself, and identifying fields such
                // as an object's kind, name or namespace (masking "database" everywhere would
                // make the output unreadable while protecting nothing).
                let literal = literal_strings(&task.args);
                let mut secrets = Vec::new();
                collect_strings(&Json::Object(result.clone()), &mut secrets);
                for secret in secrets.iter().filter(|s| !literal.contains(*s)) {
                    let _ = crate::output::redact::register_secret(&self.ctx.redactor, secret);
                }
            }
            let register_value = from_json(&Json::Object(result.clone()));
            let hosts_to_update: Vec<String> = if run_once {
                hosts.to_vec()
            } else {
                vec![host.clone()]
            };
            for target in &hosts_to_update {
                if let Some(name) = &task.keywords.register {
                    self.host(target)
                        .set_fact(name.clone(), register_value.clone());
                }
                if let Some(facts) = result.get("ansible_facts").and_then(Json::as_object)
                    && matches!(entry.action, Action::Builtin(Builtin::SetFact))
                {
                    // The executing host already has them (set when the action ran);
                    // run_once copies them to the others.
                    if target != host {
                        for (key, value) in facts {
                            self.host(target).set_fact(key.clone(), from_json(value));
                        }
                    }
                }
                let is_include = matches!(
                    entry.action,
                    Action::Builtin(Builtin::IncludeTasks | Builtin::IncludeRole)
                );
                if silent || (run_once && target != host) {
                    continue;
                }
                let stats = self.stats_mut(target);
                let changed = result.get("changed").and_then(Json::as_bool) == Some(true);
                match (status, ignored) {
                    // Ansible counts an ignored failure as ok and ignored (and changed if it was).
                    (Status::Failed, true) => {
                        stats.ignored += 1;
                        stats.ok += 1;
                        if changed {
                            stats.changed += 1;
                        }
                    }
                    (Status::Failed, false) => stats.failed += 1,
                    (Status::Changed, _) => {
                        stats.changed += 1;
                        stats.ok += 1;
                    }
                    // A looped include counts once per file it included, as in Ansible.
                    (Status::Ok, _) if is_include => {
                        let included =
                            result.get("results").and_then(Json::as_array).map(|items| {
                                items
                                    .iter()
                                    .filter(|item| {
                                        item.get("skipped").and_then(Json::as_bool) != Some(true)
                                    })
                                    .count()
                            });
                        stats.ok += included.map_or(1, |n| u32::try_from(n).unwrap_or(u32::MAX));
                    }
                    (Status::Ok, _) => stats.ok += 1,
                    (Status::Skipped, _) => stats.skipped += 1,
                    (Status::Unreachable, _) => stats.unreachable += 1,
                }
                if status == Status::Changed {
                    let notify = task.keywords.notify.clone();
                    self.host(target).notified.extend(notify);
                }
                if status == Status::Unreachable {
                    // Leaves the play; counted as unreachable, not failed.
                    self.host(target).failed = true;
                }
                if status == Status::Failed && !ignored {
                    any_failed = true;
                    let state = self.host(target);
                    state.failed = true;
                    state.failed_result = Some(register_value.clone());
                    state.failed_task = Some(Value::from_pairs([
                        ("name", Value::from(display_name.clone())),
                        ("action", Value::from(task.action.clone())),
                    ]));
                }
                self.emit(&Event::HostResult {
                    task: display_name.clone(),
                    host: target.clone(),
                    status,
                    ignored,
                    result: shown.clone(),
                });
            }
            match request {
                Request::None => {}
                Request::EndPlay => flow = Flow::EndPlay,
                Request::EndHost => self.host(host).ended = true,
                Request::FlushHandlers => flush = true,
                Request::Include(files) => {
                    for (target, params) in files {
                        includes.push(IncludeRequest {
                            host: host.clone(),
                            target,
                            params,
                        });
                    }
                }
            }
        }
        // A failure under any_errors_fatal (or of a run_once task, as in ansible-core's
        // linear strategy), or more failed hosts than max_fail_percentage allows, fails the
        // whole batch and ends the playbook.
        let fatal_keyword = task
            .keywords
            .any_errors_fatal
            .as_ref()
            .or(inherited.any_errors_fatal.as_ref());
        let fatal = any_failed
            && (run_once
                || self.keyword_on_first(fatal_keyword, inherited, hosts)
                || (fatal_keyword.is_none() && self.play.any_errors_fatal));
        if fatal || self.max_fail_exceeded() {
            self.fail_batch();
            return Ok(Flow::EndPlay);
        }

        if flush {
            self.run_handlers(inherited)?;
        }
        if flow == Flow::EndPlay {
            return Ok(flow);
        }
        self.run_includes(includes, inherited)
    }

    /// Runs included task files, grouping hosts that included the same file with the same
    /// parameters (as Ansible's linear strategy does).
    fn run_includes(
        &mut self,
        includes: Vec<IncludeRequest>,
        inherited: &Inherited,
    ) -> Result<Flow, EngineError> {
        let mut groups: Vec<(IncludeTarget, Params, Vec<String>)> = Vec::new();
        for IncludeRequest {
            host,
            target,
            params,
        } in includes
        {
            match groups
                .iter_mut()
                .find(|(t, p, _)| *t == target && p == &params)
            {
                Some((_, _, hosts)) => hosts.push(host),
                None => groups.push((target, params, vec![host])),
            }
        }
        for (target, params, hosts) in groups {
            let file = match target {
                IncludeTarget::Tasks(file) => file,
                IncludeTarget::Role(reference, files) => {
                    let role_use = super::RoleUse {
                        reference: &reference,
                        files: &files,
                        params,
                        dynamic: true,
                    };
                    if self.run_role(role_use, inherited, &hosts, 0)? == Flow::EndPlay {
                        return Ok(Flow::EndPlay);
                    }
                    continue;
                }
            };
            let (path, display) = self.resolve_task_file(&file, inherited);
            let items = crate::load::load_task_file(&path, &display, self.ctx.registry)?;
            let mut next = inherited.clone();
            next.include_params.extend(params);
            if let Some(parent) = path.parent() {
                next.search_dirs.insert(0, parent.to_path_buf());
            }
            if let Some(parent) = Path::new(&display).parent() {
                next.display_dir = parent.to_path_buf();
            }
            if self.run_items(&items, &next, &hosts)? == Flow::EndPlay {
                return Ok(Flow::EndPlay);
            }
        }
        Ok(Flow::Continue)
    }
}

impl Core<'_> {
    pub(super) fn resolve_task_file(
        &self,
        file: &str,
        inherited: &Inherited,
    ) -> (std::path::PathBuf, String) {
        let candidate = Path::new(file);
        if candidate.is_absolute() {
            return (candidate.to_path_buf(), file.to_string());
        }
        for (index, dir) in self.search_dirs(inherited).iter().enumerate() {
            for sub in ["tasks", ""] {
                let path = if sub.is_empty() {
                    dir.join(file)
                } else {
                    dir.join(sub).join(file)
                };
                if path.is_file() {
                    let display = if index == 0 {
                        inherited.display_dir.join(file)
                    } else {
                        Path::new(file).to_path_buf()
                    };
                    return (path, display.display().to_string());
                }
            }
        }
        (
            self.playbook_dir.join(file),
            inherited.display_dir.join(file).display().to_string(),
        )
    }

    /// True when a handler of the play (or of a role used so far) answers to `name`, by its
    /// name, its `role : name` form, or a `listen` topic.
    fn handler_exists(&self, name: &str) -> bool {
        self.play.handlers.iter().any(|(handler, context)| {
            let stackbook_syntax::playbook::TaskItem::Task(handler) = handler else {
                return false;
            };
            let own = handler.name.as_deref() == Some(name);
            let qualified = context
                .as_ref()
                .and_then(|c| c.role.as_ref())
                .zip(handler.name.as_deref())
                .is_some_and(|(role, handler_name)| {
                    format!("{} : {handler_name}", role.name) == name
                });
            own || qualified || handler.keywords.listen.iter().any(|topic| topic == name)
        })
    }
}

impl Runtime<'_> {
    /// `import_role` is static in Ansible: it has no result of its own; its `when`, `tags` and
    /// `vars` apply to the role's tasks.
    fn import_role(
        &mut self,
        task: &Task,
        inherited: &Inherited,
        hosts: &[String],
    ) -> Result<Flow, EngineError> {
        let host = hosts.first().cloned().unwrap_or_default();
        let scope = self.scope(&host, inherited, &task.keywords.vars, &[])?;
        let raw = raw_arguments(&task.args, "ansible.builtin.import_role", false)
            .map_err(|message| EngineError::invalid(&task.action_location, message))?;
        let args = template_arguments(&self.ctx.templar, &scope, &raw, &[], &self.omit).map_err(
            |(key, error)| {
                EngineError::invalid(
                    &task.action_location,
                    format!("import_role '{key}': {error}"),
                )
            },
        )?;
        let (reference, files) = role_request(&args, task)
            .map_err(|message| EngineError::invalid(&task.action_location, message))?;
        let mut next = inherited.clone();
        next.when.extend(task.keywords.when.iter().cloned());
        next.tags.extend(task.keywords.tags.iter().cloned());
        let mut params = Vec::new();
        for (name, node) in &task.keywords.vars {
            params.push((
                name.clone(),
                node_to_value(node, self.ctx.decryptor.as_deref(), &mut Vec::new())?,
            ));
        }
        let role_use = super::RoleUse {
            reference: &reference,
            files: &files,
            params,
            dynamic: false,
        };
        self.run_role(role_use, &next, hosts, 0)
    }
}

impl Core<'_> {
    /// A name whose template fails is still shown, with each failing `{{ }}` replaced by
    /// ansible-core 2.19's marker: `loop name << error 1 - 'item' is undefined >>`.
    fn name_with_error_markers(&self, name: &str, scope: &Arc<Scope>) -> String {
        let mut out = String::new();
        let mut rest = name;
        let mut errors = 0;
        while let Some(start) = rest.find("{{") {
            let Some(length) = rest[start..].find("}}") else {
                break;
            };
            let block = &rest[start..start + length + 2];
            out.push_str(&rest[..start]);
            match self.ctx.templar.render_string(block, scope) {
                Ok(value) => out.push_str(&stackbook_template::python::python_str(&value)),
                Err(error) => {
                    errors += 1;
                    out.push_str(&format!("<< error {errors} - {error} >>"));
                }
            }
            rest = &rest[start + length + 2..];
        }
        out.push_str(rest);
        out
    }

    /// The task's name as shown: templated when possible, prefixed with its role.
    fn display_name(&self, task: &Task, inherited: &Inherited, hosts: &[String]) -> String {
        let name = match &task.name {
            None => task.action.clone(),
            Some(name) if !stackbook_template::is_template(name) => name.clone(),
            Some(name) => {
                let host = hosts.first().cloned().unwrap_or_default();
                match self.scope(&host, inherited, &task.keywords.vars, &[]) {
                    Ok(scope) => match self.ctx.templar.render_string(name, &scope) {
                        Ok(value) => stackbook_template::python::python_str(&value),
                        Err(_) => self.name_with_error_markers(name, &scope),
                    },
                    Err(_) => name.clone(),
                }
            }
        };
        match &inherited.role {
            Some(role) => format!("{} : {name}", role.name),
            None => name,
        }
    }

    fn keyword_on_first(
        &self,
        node: Option<&Node>,
        inherited: &Inherited,
        hosts: &[String],
    ) -> bool {
        let (Some(host), Some(_)) = (hosts.first(), node) else {
            return false;
        };
        let Ok(scope) = self.scope(host, inherited, &[], &[]) else {
            return false;
        };
        self.keyword_bool(node, &scope).unwrap_or(false)
    }

    fn no_log(&self, task: &Task, inherited: &Inherited, host: &str) -> bool {
        let node = task.keywords.no_log.as_ref().or(inherited.no_log.as_ref());
        if node.is_none() {
            return false;
        }
        match self.scope(host, inherited, &task.keywords.vars, &[]) {
            // When in doubt, hide: a no_log that cannot be evaluated censors.
            Ok(scope) => self.keyword_bool(node, &scope).unwrap_or(true),
            Err(_) => true,
        }
    }
}

impl HostRun<'_, '_> {
    pub(super) fn run_on_host(
        &mut self,
        task: &Task,
        entry: &Entry,
        inherited: &Inherited,
        host: &str,
        display_name: &str,
    ) -> HostOutcome {
        match self.try_run_on_host(task, entry, inherited, host, display_name) {
            Ok(outcome) => outcome,
            Err(message) => {
                let ignored = self.ignore_errors(task, inherited, host);
                HostOutcome {
                    status: Status::Failed,
                    result: failed(message),
                    ignored,
                    request: Request::None,
                }
            }
        }
    }

    fn ignore_errors(&self, task: &Task, inherited: &Inherited, host: &str) -> bool {
        let node = task
            .keywords
            .ignore_errors
            .as_ref()
            .or(inherited.ignore_errors.as_ref());
        if node.is_none() {
            return false;
        }
        self.scope(host, inherited, &task.keywords.vars, &[])
            .ok()
            .and_then(|scope| self.keyword_bool(node, &scope))
            .unwrap_or(false)
    }

    fn try_run_on_host(
        &mut self,
        task: &Task,
        entry: &Entry,
        inherited: &Inherited,
        host: &str,
        display_name: &str,
    ) -> Result<HostOutcome, String> {
        let scope = self
            .scope(host, inherited, &task.keywords.vars, &[])
            .map_err(|e| e.to_string())?;
        let conditions: Vec<Node> = inherited
            .when
            .iter()
            .chain(&task.keywords.when)
            .cloned()
            .collect();
        let ignore_errors = self.ignore_errors(task, inherited, host);

        // Meta actions act on the executor and never loop.
        if let Action::Builtin(Builtin::Meta) = entry.action {
            if let Some(false_condition) = self.first_false(&conditions, &scope)? {
                return Ok(skipped_outcome(&false_condition));
            }
            let raw = raw_arguments(&task.args, &entry.fqcn, true)?;
            let action = raw
                .get_attr("_raw_params")
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default();
            let request = match action.as_str() {
                "end_play" | "end_batch" => Request::EndPlay,
                "end_host" => Request::EndHost,
                "flush_handlers" => Request::FlushHandlers,
                "noop" | "refresh_inventory" | "reset_connection" | "clear_host_errors" => {
                    Request::None
                }
                "clear_facts" => {
                    self.host(host).clear_facts();
                    Request::None
                }
                other => return Err(format!("invalid meta action requested: {other}")),
            };
            return Ok(HostOutcome {
                status: Status::Ok,
                result: crate::modules::done(false),
                ignored: false,
                request,
            });
        }

        let Some(loop_source) = &task.keywords.loop_source else {
            if let Some(false_condition) = self.first_false(&conditions, &scope)? {
                return Ok(skipped_outcome(&false_condition));
            }
            let (result, request) =
                self.run_with_retries(task, entry, inherited, host, &scope, &[])?;
            return Ok(finish(result, request, ignore_errors));
        };

        // Loops: render the source, then run each item with its own scope.
        let loop_value =
            node_to_value(&loop_source.items, None, &mut Vec::new()).map_err(|e| e.to_string())?;
        let rendered = self
            .ctx
            .templar
            .render_value(&loop_value, &scope)
            .map_err(|e| format!("Error while resolving value for 'loop': {e}"))?;
        let items = loop_items(loop_source, rendered)?;
        let control = task.keywords.loop_control.as_ref();
        let control_value =
            |key: &str| control.and_then(|c| c.get(key)).and_then(Node::scalar_text);
        let loop_var = control_value("loop_var").unwrap_or_else(|| "item".into());
        let index_var = control_value("index_var");
        let extended = control
            .and_then(|c| c.get("extended"))
            .is_some_and(|n| matches!(n.value, NodeValue::Bool(true)));
        let label_template = control.and_then(|c| c.get("label")).cloned();
        let pause = control
            .and_then(|c| c.get("pause"))
            .and_then(|n| n.scalar_text())
            .and_then(|t| t.parse::<f64>().ok());

        let mut results = Vec::new();
        let mut requests = Vec::new();
        let total = items.len();
        let mut any_changed = false;
        let mut any_failed = false;
        let mut all_skipped = true;
        for (index, item) in items.iter().enumerate() {
            let mut loop_vars = vec![(loop_var.clone(), item.clone())];
            if let Some(index_var) = &index_var {
                loop_vars.push((index_var.clone(), Value::from(index)));
            }
            let mut ansible_loop = vec![
                ("index", Value::from(index + 1)),
                ("index0", Value::from(index)),
                ("revindex", Value::from(total - index)),
                ("revindex0", Value::from(total - index - 1)),
                ("first", Value::from(index == 0)),
                ("last", Value::from(index + 1 == total)),
                ("length", Value::from(total)),
            ];
            if extended {
                if index > 0 {
                    ansible_loop.push(("previtem", items[index - 1].clone()));
                }
                if let Some(next) = items.get(index + 1) {
                    ansible_loop.push(("nextitem", next.clone()));
                }
                ansible_loop.push(("allitems", Value::from(items.clone())));
            }
            // `ansible_loop` exists only with `loop_control.extended`, as in Ansible.
            if extended {
                loop_vars.push(("ansible_loop".into(), Value::from_pairs(ansible_loop)));
            }

            loop_vars.push(("ansible_loop_var".into(), Value::from(loop_var.clone())));
            let item_scope = self
                .scope(host, inherited, &task.keywords.vars, &loop_vars)
                .map_err(|e| e.to_string())?;
            let label = match &label_template {
                Some(node) => {
                    let raw =
                        node_to_value(node, None, &mut Vec::new()).map_err(|e| e.to_string())?;
                    to_json(
                        &self
                            .ctx
                            .templar
                            .render_value(&raw, &item_scope)
                            .map_err(|e| e.to_string())?,
                    )
                }
                None => to_json(item),
            };
            let (mut result, request) = match self.first_false(&conditions, &item_scope)? {
                Some(false_condition) => (skipped_result(&false_condition), Request::None),
                None => match self.run_with_retries(
                    task,
                    entry,
                    inherited,
                    host,
                    &item_scope,
                    &loop_vars,
                ) {
                    Ok(pair) => pair,
                    Err(message) => (failed(message), Request::None),
                },
            };
            let status = status_of(&result);
            any_changed |= status == Status::Changed;
            any_failed |= status == Status::Failed;
            all_skipped &= status == Status::Skipped;
            result.insert(loop_var.clone(), to_json(item));
            if let Some(index_var) = &index_var {
                result.insert(index_var.clone(), Json::from(index));
            }
            result.insert("ansible_loop_var".into(), Json::String(loop_var.clone()));
            if index_var.is_some() {
                result.insert(
                    "ansible_index_var".into(),
                    Json::String(index_var.clone().unwrap_or_default()),
                );
            }
            if extended
                && let Some((_, value)) = loop_vars.iter().find(|(name, _)| name == "ansible_loop")
            {
                result.insert("ansible_loop".into(), to_json(value));
            }
            if status != Status::Skipped {
                result.entry("failed").or_insert(Json::Bool(false));
            }
            let no_log = self.no_log(task, inherited, host);
            self.emit(&Event::ItemResult {
                task: display_name.to_string(),
                host: host.to_string(),
                status,
                item: if no_log { Json::Null } else { to_json(item) },
                label: if no_log { Json::Null } else { label },
                result: if no_log {
                    censor(&result)
                } else {
                    Json::Object(result.clone())
                },
            });
            if let Request::Include(files) = request {
                requests.extend(files);
            }
            results.push(Json::Object(result));
            if let Some(seconds) = pause
                && index + 1 < total
                && seconds > 0.0
            {
                std::thread::sleep(Duration::from_secs_f64(seconds.min(3600.0)));
            }
        }
        let mut aggregate = Map::new();
        aggregate.insert("changed".into(), Json::Bool(any_changed));
        aggregate.insert(
            "msg".into(),
            Json::String(
                if any_failed {
                    "One or more items failed"
                } else {
                    "All items completed"
                }
                .into(),
            ),
        );
        if any_failed {
            aggregate.insert("failed".into(), Json::Bool(true));
        }
        if total == 0 {
            aggregate.remove("msg");
            aggregate.insert("skipped".into(), Json::Bool(true));
            aggregate.insert(
                "skipped_reason".into(),
                Json::String("No items in the list".into()),
            );
        } else {
            aggregate.insert("skipped".into(), Json::Bool(all_skipped));
        }
        aggregate.insert("results".into(), Json::Array(results));
        let request = if requests.is_empty() {
            Request::None
        } else {
            Request::Include(requests)
        };
        Ok(finish(aggregate, request, ignore_errors))
    }

    /// The first condition that is false, or `None` when all hold.
    fn first_false(&self, conditions: &[Node], scope: &Arc<Scope>) -> Result<Option<Json>, String> {
        for condition in conditions {
            let text = match &condition.value {
                NodeValue::Bool(true) => continue,
                NodeValue::Bool(false) => return Ok(Some(Json::Bool(false))),
                _ => condition.scalar_text().unwrap_or_default(),
            };
            match self.ctx.templar.evaluate_condition(&text, scope) {
                Ok(true) => {}
                Ok(false) => return Ok(Some(Json::String(text))),
                Err(error) => return Err(conditional_error(&text, &error)),
            }
        }
        Ok(None)
    }

    /// Runs the action once, or until `until` holds.
    fn run_with_retries(
        &mut self,
        task: &Task,
        entry: &Entry,
        inherited: &Inherited,
        host: &str,
        scope: &Arc<Scope>,
        loop_vars: &[(String, Value)],
    ) -> Result<(ModuleResult, Request), String> {
        let Some(until) = &task.keywords.until else {
            let (result, request) =
                self.run_action(task, entry, inherited, host, scope, loop_vars)?;
            return Ok((
                self.apply_result_conditions(task, inherited, host, loop_vars, result)?,
                request,
            ));
        };
        let number = |node: Option<&Node>, default: i64| -> Result<i64, String> {
            match node {
                None => Ok(default),
                Some(node) => {
                    let value =
                        node_to_value(node, None, &mut Vec::new()).map_err(|e| e.to_string())?;
                    let rendered = self
                        .ctx
                        .templar
                        .render_value(&value, scope)
                        .map_err(|e| e.to_string())?;
                    rendered
                        .as_i64()
                        .or_else(|| rendered.as_str().and_then(|s| s.trim().parse().ok()))
                        .ok_or_else(|| {
                            format!(
                                "expected an integer, got {}",
                                stackbook_template::python::python_str(&rendered)
                            )
                        })
                }
            }
        };
        let retries = number(task.keywords.retries.as_ref(), 3)?.max(0) as u32;
        let delay = number(task.keywords.delay.as_ref(), 5)?.max(0) as u64;
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            let (result, request) =
                self.run_action(task, entry, inherited, host, scope, loop_vars)?;
            let mut result =
                self.apply_result_conditions(task, inherited, host, loop_vars, result)?;
            let register_scope =
                self.scope_with_result(task, inherited, host, loop_vars, &result)?;
            let done = self.first_false(until, &register_scope)?.is_none();
            result.insert("attempts".into(), Json::from(attempt));
            if done {
                result.insert("failed".into(), Json::Bool(false));
                return Ok((result, request));
            }
            if attempt >= retries.max(1) {
                result.insert("failed".into(), Json::Bool(true));
                return Ok((result, request));
            }
            self.emit(&Event::Retry {
                task: self.display_name(task, inherited, &[host.to_string()]),
                host: host.to_string(),
                attempt,
                retries: retries + 1,
            });
            std::thread::sleep(Duration::from_secs(delay));
        }
    }

    fn scope_with_result(
        &self,
        task: &Task,
        inherited: &Inherited,
        host: &str,
        loop_vars: &[(String, Value)],
        result: &ModuleResult,
    ) -> Result<Arc<Scope>, String> {
        let mut vars = loop_vars.to_vec();
        if let Some(name) = &task.keywords.register {
            vars.push((name.clone(), from_json(&Json::Object(result.clone()))));
        }
        self.scope(host, inherited, &task.keywords.vars, &vars)
            .map_err(|e| e.to_string())
    }

    /// `changed_when` and `failed_when`, which may read the registered result.
    fn apply_result_conditions(
        &self,
        task: &Task,
        inherited: &Inherited,
        host: &str,
        loop_vars: &[(String, Value)],
        mut result: ModuleResult,
    ) -> Result<ModuleResult, String> {
        if task.keywords.changed_when.is_none() && task.keywords.failed_when.is_none() {
            return Ok(result);
        }
        if result.get("skipped").and_then(Json::as_bool) == Some(true) {
            return Ok(result);
        }
        let scope = self.scope_with_result(task, inherited, host, loop_vars, &result)?;
        if let Some(conditions) = &task.keywords.changed_when {
            let changed = self.first_false(conditions, &scope)?.is_none();
            result.insert("changed".into(), Json::Bool(changed));
        }
        if let Some(conditions) = &task.keywords.failed_when {
            let failed = self.first_false(conditions, &scope)?.is_none();
            result.insert("failed_when_result".into(), Json::Bool(failed));
            if failed {
                result.insert("failed".into(), Json::Bool(true));
            } else {
                result.insert("failed".into(), Json::Bool(false));
            }
        }
        Ok(result)
    }

    fn run_action(
        &mut self,
        task: &Task,
        entry: &Entry,
        inherited: &Inherited,
        host: &str,
        scope: &Arc<Scope>,
        loop_vars: &[(String, Value)],
    ) -> Result<(ModuleResult, Request), String> {
        // The log writer drops trace events (arguments, payloads) inside this span: a no_log
        // task's values become secrets only once its result is censored (src/logging.rs).
        let _no_log = self
            .no_log(task, inherited, host)
            .then(|| tracing::error_span!("no_log").entered());
        let raw = raw_arguments(&task.args, &entry.fqcn, entry.free_form)?;
        let raw_keys: &[&str] = match &entry.action {
            Action::Module(module) => module.raw_arguments(),
            Action::Builtin(_) => &[],
        };
        let args = template_arguments(&self.ctx.templar, scope, &raw, raw_keys, &self.omit).map_err(|(key, error)| {
            format!(
                "Task failed: Finalization of task args for '{}' failed: Error while resolving value for '{key}': {error}",
                entry.fqcn
            )
        })?;
        match &entry.action {
            Action::Module(module) => {
                let environment = self.environment(inherited, task, scope)?;
                let check_mode = self.check_mode(task, inherited, scope);
                let search_dirs = self.search_dirs(inherited);
                tracing::debug!(module = %entry.fqcn, host, check_mode, "running module");
                tracing::trace!(module = %entry.fqcn, %args, "module arguments");
                let context = ModuleContext {
                    host,
                    check_mode,
                    diff: self.ctx.options.diff,
                    verbosity: self.ctx.options.verbosity,

                    environment: &environment,
                    search_dirs: &search_dirs,
                    templar: &self.ctx.templar,
                    scope,
                };
                let result = module.run(&context, args);
                crate::output::redact::register_replaced_secrets(&self.ctx.redactor, &result);
                Ok((result, Request::None))
            }
            Action::Builtin(Builtin::SetFact) => {
                let mut facts = args.as_object().cloned().unwrap_or_default();
                facts.remove("cacheable");
                if facts.is_empty() {
                    return Err("No key/value pairs provided, at least one is required for this action to succeed".into());
                }
                for key in facts.keys() {
                    if !stackbook_syntax::playbook::is_valid_var_name(key) {
                        return Err(format!(
                            "The variable name '{key}' is not valid. Variables must start with a letter or underscore character, and contain only letters, numbers and underscores."
                        ));
                    }
                }
                // Applied at once, so the next loop item already sees the new value.
                for (key, value) in &facts {
                    self.host(host).set_fact(key.clone(), from_json(value));
                }
                let mut result = crate::modules::done(false);
                result.insert("ansible_facts".into(), Json::Object(facts));
                Ok((result, Request::None))
            }
            Action::Builtin(Builtin::IncludeVars) => self
                .include_vars(&args, inherited, host)
                .map(|r| (r, Request::None)),
            Action::Builtin(Builtin::IncludeTasks | Builtin::ImportTasks) => {
                let file = args
                    .get("_raw_params")
                    .or_else(|| args.get("file"))
                    .and_then(Json::as_str)
                    .ok_or("include_tasks needs a file name")?
                    .to_string();
                let (path, _) = self.resolve_task_file(&file, inherited);
                if !path.is_file() {
                    return Err(format!(
                        "Could not find or access '{file}' (searched beside the including file and in the playbook directory)"
                    ));
                }
                let mut params = loop_vars.to_vec();
                params.retain(|(name, _)| name != "ansible_loop");

                // The include's own `vars:` become variables of every included task.
                for (name, node) in &task.keywords.vars {
                    let value =
                        node_to_value(node, None, &mut Vec::new()).map_err(|e| e.to_string())?;
                    params.push((name.clone(), value));
                }
                let mut result = crate::modules::done(false);
                result.insert("include".into(), Json::String(file.clone()));
                result.insert("include_args".into(), Json::Object(Map::new()));

                Ok((
                    result,
                    Request::Include(vec![(IncludeTarget::Tasks(file), params)]),
                ))
            }
            Action::Builtin(Builtin::IncludeRole) => {
                let (reference, files) = role_request(&args, task)?;
                let mut params = loop_vars.to_vec();
                params.retain(|(name, _)| name != "ansible_loop");
                for (name, node) in &task.keywords.vars {
                    let value =
                        node_to_value(node, None, &mut Vec::new()).map_err(|e| e.to_string())?;
                    params.push((name.clone(), value));
                }
                let mut result = crate::modules::done(false);
                result.insert("include_role".into(), Json::String(reference.name.clone()));
                Ok((
                    result,
                    Request::Include(vec![(IncludeTarget::Role(reference, files), params)]),
                ))
            }
            Action::Builtin(Builtin::Meta) => Err("meta cannot be used here".into()),
            Action::Builtin(Builtin::GatherFacts) => {
                let facts = super::facts::gather();
                self.host(host).gathered = Some(super::facts::layer(&facts));
                let mut result = crate::modules::done(false);
                result.insert("ansible_facts".into(), facts);
                Ok((result, Request::None))
            }
        }
    }

    /// `include_vars`: a file, or every `.yml`/`.yaml`/`.json` file of a `dir` in name order.
    /// Values stay raw (templated on use, like any variable) and land in the host's facts.
    fn include_vars(
        &mut self,
        args: &Json,
        inherited: &Inherited,
        host: &str,
    ) -> Result<ModuleResult, String> {
        let search_dirs = self.search_dirs(inherited);
        let find = |relative: &str, want_dir: bool| {
            search_dirs
                .iter()
                .flat_map(|dir| [dir.join("vars").join(relative), dir.join(relative)])
                .find(|p| if want_dir { p.is_dir() } else { p.is_file() })
        };
        let mut files: Vec<(std::path::PathBuf, String)> = Vec::new();
        if let Some(dir) = args.get("dir").and_then(Json::as_str) {
            let path = find(dir, true)
                .ok_or_else(|| format!("Could not find or access directory '{dir}'"))?;
            let mut entries: Vec<_> = std::fs::read_dir(&path)
                .map_err(|e| format!("{dir}: {e}"))?
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| {
                    p.is_file()
                        && p.extension()
                            .is_some_and(|x| x == "yml" || x == "yaml" || x == "json")
                })
                .collect();
            entries.sort();
            for entry in entries {
                let name = entry
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                files.push((
                    entry,
                    inherited
                        .display_dir
                        .join(dir)
                        .join(name)
                        .display()
                        .to_string(),
                ));
            }
        } else {
            let file = args
                .get("_raw_params")
                .or_else(|| args.get("file"))
                .and_then(Json::as_str)
                .ok_or("include_vars needs a file (include_vars: file.yml) or dir")?
                .to_string();
            let path =
                find(&file, false).ok_or_else(|| format!("Could not find or access '{file}'"))?;
            files.push((
                path,
                inherited.display_dir.join(&file).display().to_string(),
            ));
        }
        let mut vars: Vec<(String, Value)> = Vec::new();
        for (path, display) in &files {
            let mut secrets = Vec::new();
            vars.extend(
                self.read_vars_file(path, display, &mut secrets)
                    .map_err(|e| e.to_string())?,
            );
            self.add_secrets(secrets);
        }
        let vars = match args.get("name").and_then(Json::as_str) {
            Some(name) => vec![(name.to_string(), Value::from_pairs(vars))],
            None => vars,
        };
        let mut facts = Map::new();
        for (name, value) in vars {
            facts.insert(name.clone(), to_json(&value));
            self.host(host).set_fact(name, value);
        }
        let mut result = crate::modules::done(false);
        result.insert("ansible_facts".into(), Json::Object(facts));
        result.insert(
            "ansible_included_var_files".into(),
            Json::Array(files.into_iter().map(|(_, d)| Json::String(d)).collect()),
        );
        Ok(result)
    }

    fn environment(
        &self,
        inherited: &Inherited,
        task: &Task,
        scope: &Arc<Scope>,
    ) -> Result<Vec<(String, String)>, String> {
        let mut environment = Vec::new();
        for node in inherited
            .environment
            .iter()
            .chain(task.keywords.environment.iter())
        {
            let raw = node_to_value(node, None, &mut Vec::new()).map_err(|e| e.to_string())?;
            let rendered = self
                .ctx
                .templar
                .render_value(&raw, scope)
                .map_err(|e| format!("Error while resolving 'environment': {e}"))?;
            let json = to_json(&rendered);
            let Some(map) = json.as_object() else {
                return Err("'environment' must be a mapping".into());
            };
            for (key, value) in map {
                let text = match value {
                    Json::String(s) => s.clone(),
                    other => stackbook_template::python::python_str(&from_json(other)),
                };
                environment.retain(|(k, _)| k != key);
                environment.push((key.clone(), text));
            }
        }
        Ok(environment)
    }

    fn check_mode(&self, task: &Task, inherited: &Inherited, scope: &Arc<Scope>) -> bool {
        match task
            .keywords
            .check_mode
            .as_ref()
            .or(inherited.check_mode.as_ref())
        {
            Some(node) => self
                .keyword_bool(Some(node), scope)
                .unwrap_or(self.ctx.options.check),
            None => self.ctx.options.check,
        }
    }
}

/// `include_role`/`import_role` arguments: `name` and the `*_from` files.
fn role_request(
    args: &Json,
    task: &Task,
) -> Result<(crate::roles::RoleRef, crate::roles::RoleFiles), String> {
    let text = |key: &str| args.get(key).and_then(Json::as_str).map(str::to_string);
    let name = text("name")
        .or_else(|| text("role"))
        .ok_or("include_role/import_role needs 'name'")?;
    for key in args
        .as_object()
        .map(|m| m.keys().cloned().collect::<Vec<_>>())
        .unwrap_or_default()
    {
        if !matches!(
            key.as_str(),
            "name"
                | "role"
                | "tasks_from"
                | "vars_from"
                | "defaults_from"
                | "handlers_from"
                | "public"
                | "apply"
                | "allow_duplicates"
                | "rolespec_validate"
        ) {
            return Err(crate::modules::args::describe_error(
                "ansible.builtin.include_role",
                &format!(
                    "unknown field `{key}`, expected one of `name`, `tasks_from`, `vars_from`, `defaults_from`, `handlers_from`, `public`, `apply`, `allow_duplicates`"
                ),
            ));
        }
    }
    let reference = crate::roles::RoleRef {
        name,
        params: Vec::new(),
        when: Vec::new(),
        tags: Vec::new(),
        location: task.location.clone(),
    };
    let files = crate::roles::RoleFiles {
        tasks_from: text("tasks_from"),
        vars_from: text("vars_from"),
        defaults_from: text("defaults_from"),
        handlers_from: text("handlers_from"),
    };
    Ok((reference, files))
}

fn conditional_error(condition: &str, error: &TemplateError) -> String {
    format!("Task failed: Conditional result evaluation of '{condition}' failed: {error}")
}

fn skipped_result(false_condition: &Json) -> ModuleResult {
    let mut result = Map::new();
    result.insert("changed".into(), Json::Bool(false));
    result.insert("false_condition".into(), false_condition.clone());
    result.insert(
        "skip_reason".into(),
        Json::String("Conditional result was False".into()),
    );
    result.insert("skipped".into(), Json::Bool(true));
    result
}

fn skipped_outcome(false_condition: &Json) -> HostOutcome {
    HostOutcome {
        status: Status::Skipped,
        result: skipped_result(false_condition),
        ignored: false,
        request: Request::None,
    }
}

fn status_of(result: &ModuleResult) -> Status {
    // A module that could not reach its target (a Kubernetes API server) says so; the host
    // leaves the play and the run exits 4, as ansible-playbook does for unreachable hosts.
    if result.get("unreachable").and_then(Json::as_bool) == Some(true) {
        Status::Unreachable
    } else if result.get("failed").and_then(Json::as_bool) == Some(true) {
        Status::Failed
    } else if result.get("skipped").and_then(Json::as_bool) == Some(true) {
        Status::Skipped
    } else if result
        .get("changed")
        .and_then(|v| v.as_bool().or_else(|| crate::modules::args::to_bool(v)))
        == Some(true)
    {
        Status::Changed
    } else {
        Status::Ok
    }
}

fn finish(mut result: ModuleResult, request: Request, ignore_errors: bool) -> HostOutcome {
    let status = status_of(&result);
    // Registered results of tasks that ran always say whether they failed (a loop's summary
    // does not: its items do).
    if status != Status::Skipped && !result.contains_key("results") {
        result.entry("failed").or_insert(Json::Bool(false));
    }

    HostOutcome {
        status,
        ignored: status == Status::Failed && ignore_errors,
        request: if status == Status::Failed {
            Request::None
        } else {
            request
        },
        result,
    }
}

fn censor(result: &ModuleResult) -> Json {
    let mut censored = Map::new();
    censored.insert("censored".into(), Json::String(CENSORED.into()));
    censored.insert(
        "changed".into(),
        result.get("changed").cloned().unwrap_or(Json::Bool(false)),
    );
    if let Some(failed) = result.get("failed") {
        censored.insert("failed".into(), failed.clone());
    }
    Json::Object(censored)
}

/// Result fields that identify things rather than carry data; never treated as secrets.
const IDENTIFYING_FIELDS: &[&str] = &[
    "cmd",
    // Kubernetes objects in k8s results: only their data can be secret.
    "metadata",
    "status",
    "spec",
    "conditions",
    "method",
    "warnings",
    "kind",
    "apiVersion",
    "api_version",
    "namespace",
    "name",
    "generateName",
    "uid",
    "resourceVersion",
    "creationTimestamp",
    "state",
    "phase",
    "type",
    "action",
    "start",
    "end",
    "delta",
    "dest",
    "include",
];

fn collect_strings(json: &Json, out: &mut Vec<String>) {
    match json {
        Json::String(text) => out.push(text.clone()),
        Json::Array(items) => items.iter().for_each(|item| collect_strings(item, out)),
        Json::Object(map) => map
            .iter()
            .filter(|(k, _)| !IDENTIFYING_FIELDS.contains(&k.as_str()))
            .for_each(|(_, v)| collect_strings(v, out)),
        _ => {}
    }
}

/// Every scalar written literally in a task's arguments (playbook text is not secret).
fn literal_strings(node: &Node) -> std::collections::HashSet<String> {
    fn walk(node: &Node, out: &mut std::collections::HashSet<String>) {
        match &node.value {
            NodeValue::String(text) if !stackbook_template::is_template(text) => {
                out.insert(text.clone());
            }
            NodeValue::Sequence(items) => items.iter().for_each(|item| walk(item, out)),
            NodeValue::Mapping(entries) => entries.iter().for_each(|(_, value)| walk(value, out)),
            _ => {}
        }
    }
    let mut out = std::collections::HashSet::new();
    walk(node, &mut out);
    out
}
