//! Running plays: hosts, sections, blocks, handlers, and the recap.
//!
//! The strategy is Ansible's `linear`: each task runs on every active host before the next
//! task starts. A host that fails leaves the play (unless a `rescue` takes it back); a play
//! ends early when no host is left or on `meta: end_play`.

mod args;
mod batches;
mod facts;
mod fork;
mod loops;
mod scope;
mod task;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use minijinja::Value;
use serde_json::Value as Json;
use stackbook_syntax::Node;
use stackbook_syntax::playbook::{Block, Keywords, Play, TaskItem};
use stackbook_template::{Templar, VarLayer};

use stackbook_template::Templar as TemplarType;

use crate::error::{EngineError, ExitCode};
use crate::event::{Event, EventSink, HostStats, Status};
use crate::inventory::Inventory;
use crate::load::LoadedPlaybook;
use crate::modules::Registry;
use crate::options::RunOptions;
use crate::output::redact::{Redactor, Registration, register_secret};
use crate::roles::{RoleFiles, RoleRef, check_depth, load_role};
use crate::value::{Decryptor, node_to_value};

/// Everything a run needs besides the playbook.
pub struct RunContext<'a> {
    /// Module registry.
    pub registry: &'a Registry,
    /// Templar with all filters registered.
    pub templar: Templar,
    /// Command-line options.
    pub options: &'a RunOptions,
    /// The inventory.
    pub inventory: Inventory,
    /// Where events go.
    pub sink: &'a mut dyn EventSink,
    /// Secrets to mask in all output.
    pub redactor: Arc<Redactor>,
    /// Vault decryption, when configured.
    pub decryptor: Option<Arc<dyn Decryptor>>,
}

/// Per-host state that lives across tasks. Cheap to clone (shared parts are `Arc`s): a fork
/// worker runs a task on its own copy, which replaces the original when the task is done.
#[derive(Debug, Default, Clone)]
struct HostState {
    /// `set_fact`, registered results and `include_vars`, by name. Shared with the scopes
    /// of running tasks and copied on write, so scopes never copy all facts.
    facts: Arc<HashMap<String, Value>>,
    /// Gathered facts as a variable layer (top-level `ansible_*` and `ansible_facts`).
    gathered: Option<Arc<VarLayer>>,
    failed: bool,
    ended: bool,
    notified: Vec<String>,
    /// For `rescue`: the task that failed and its result.
    failed_task: Option<Value>,
    failed_result: Option<Value>,
}

impl HostState {
    /// Sets one fact (set_fact, register, include_vars).
    fn set_fact(&mut self, name: String, value: Value) {
        Arc::make_mut(&mut self.facts).insert(name, value);
    }

    /// Forgets all facts (`meta: clear_facts`).
    fn clear_facts(&mut self) {
        self.facts = Arc::default();
    }
}

/// Keywords a task inherits from its play, blocks and includes.
#[derive(Clone, Default)]
struct Inherited {
    when: Vec<Node>,
    tags: Vec<String>,
    vars: Vec<(String, Node)>,
    environment: Vec<Node>,
    ignore_errors: Option<Node>,
    no_log: Option<Node>,
    check_mode: Option<Node>,
    run_once: Option<Node>,
    /// `any_errors_fatal` of an enclosing block (the play's is in [`PlayState`]).
    any_errors_fatal: Option<Node>,
    /// Variables passed by `include_tasks` loops and params (highest but extra vars).
    include_params: Vec<(String, Value)>,
    /// Directories to resolve relative files in (role, including file, playbook).
    search_dirs: Vec<PathBuf>,
    /// How messages name the directory of the current file.
    display_dir: PathBuf,
    /// The role the tasks belong to, when they do.
    role: Option<Arc<RoleScope>>,
}

/// A running role: its name and folder, and its defaults and vars as variable layers.
#[derive(Debug)]
struct RoleScope {
    name: String,
    path: PathBuf,
    defaults: Arc<VarLayer>,
    vars: Arc<VarLayer>,
    /// Included at run time (`include_role`), as opposed to known when the play is parsed
    /// (`roles:`, `import_role`); decides which use's variables a shared handler sees.
    dynamic: bool,
}

impl Inherited {
    fn extend(&self, keywords: &Keywords) -> Inherited {
        let mut next = self.clone();
        next.when.extend(keywords.when.iter().cloned());
        next.tags.extend(keywords.tags.iter().cloned());
        next.vars.extend(keywords.vars.iter().cloned());
        next.environment
            .extend(keywords.environment.iter().cloned());
        for (slot, value) in [
            (&mut next.ignore_errors, &keywords.ignore_errors),
            (&mut next.no_log, &keywords.no_log),
            (&mut next.check_mode, &keywords.check_mode),
            (&mut next.run_once, &keywords.run_once),
            (&mut next.any_errors_fatal, &keywords.any_errors_fatal),
        ] {
            if value.is_some() {
                slot.clone_from(value);
            }
        }
        next
    }
}

/// The `name:` of a task or block, for matching handlers.
fn task_name(item: &TaskItem) -> Option<&str> {
    match item {
        TaskItem::Task(task) => task.name.as_deref(),
        TaskItem::Block(block) => block.name.as_deref(),
    }
}

/// One use of a role: which role and files, with which parameters, and whether it is an
/// `include_role` (known only at run time).
pub(super) struct RoleUse<'r> {
    pub(super) reference: &'r RoleRef,
    pub(super) files: &'r RoleFiles,
    pub(super) params: Vec<(String, Value)>,
    pub(super) dynamic: bool,
}

/// Control flow out of a list of tasks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Flow {
    Continue,
    EndPlay,
}

struct PlayState {
    name: String,
    /// The hosts the play's pattern selects (after `--limit`), all batches.
    all_hosts: Vec<String>,
    /// The hosts of the current `serial` batch that have not failed in an earlier play.
    hosts: Vec<String>,
    vars: Vec<(String, Value)>,
    /// `vars` and `vars_files` as one shared layer.
    vars_layer: Arc<VarLayer>,
    /// Magic variables that are the same for every task of the play.
    magic_layer: Arc<VarLayer>,
    /// Handlers with the context they run in (a role's handlers see the role's variables).
    handlers: Vec<(TaskItem, Option<Inherited>)>,
    /// Roles already run in this play (name and parameters), which do not run twice.
    ran_roles: Vec<String>,
    any_errors_fatal: bool,
    /// `max_fail_percentage`: more failed hosts than this share of the batch ends the play.
    max_fail_percentage: Option<f64>,
    /// Hosts in the current batch (including ones that failed in an earlier play), the
    /// denominator of `max_fail_percentage`.
    batch_size: usize,
    force_handlers: bool,
}

/// The parts of [`RunContext`] a run reads, borrowed apart from the event sink so that fork
/// workers can share them.
struct Ctx<'b> {
    registry: &'b Registry,
    templar: TemplarType,
    options: &'b RunOptions,
    inventory: &'b mut Inventory,
    redactor: Arc<Redactor>,
    decryptor: Option<Arc<dyn Decryptor>>,
}

/// What running a task on one host reads: shared (immutably) by the fork workers of a task.
/// Everything that changes while hosts run lives in a worker's own [`HostState`] copy or in
/// [`Runtime`] (events, counters).
struct Core<'b> {
    ctx: Ctx<'b>,
    playbook_dir: PathBuf,
    hosts: HashMap<String, HostState>,
    play: PlayState,
    omit: String,
    /// Each inventory host's variables as a layer, built once per play (the inventory does
    /// not change while a play runs); shared with `hostvars`.
    inventory_layers: Arc<scope::InventoryLayers>,
    /// Facts of every host and the active hosts as of the current task, for `hostvars` and
    /// `ansible_play_hosts` ([`Runtime::refresh_snapshot`]).
    snapshot: scope::Snapshot,
    /// Extra vars (`-e`), the highest layer of every scope.
    extra_layer: Arc<VarLayer>,
}

/// The run: the shared [`Core`], the event sink, counters. Dereferences to the core, so
/// methods that only read are written once, on [`Core`], for the executor and the workers.
struct Runtime<'b> {
    core: Core<'b>,
    sink: &'b mut dyn EventSink,
    stats: Vec<(String, HostStats)>,
    /// `--start-at-task` not reached yet.
    waiting_for_start: bool,
    /// `any_errors_fatal` or `max_fail_percentage` tripped, or a whole batch failed: no
    /// further play runs.
    aborted: bool,
    /// Roles whose `meta` dependencies are being run, outermost first, each with where it
    /// was referenced: a role that reappears here depends on itself.
    role_chain: Vec<(String, stackbook_syntax::Location)>,
}

impl<'b> std::ops::Deref for Runtime<'b> {
    type Target = Core<'b>;
    fn deref(&self) -> &Core<'b> {
        &self.core
    }
}

impl std::ops::DerefMut for Runtime<'_> {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.core
    }
}

/// Runs a loaded playbook and returns the exit code.
pub fn run_playbook(
    loaded: &LoadedPlaybook,
    ctx: &mut RunContext<'_>,
) -> Result<ExitCode, EngineError> {
    let waiting_for_start = ctx.options.start_at_task.is_some();
    let extra_layer = VarLayer::ordered(ctx.options.extra_vars.clone());
    let RunContext {
        registry,
        templar,
        options,
        inventory,
        sink,
        redactor,
        decryptor,
    } = ctx;
    let mut runtime = Runtime {
        core: Core {
            ctx: Ctx {
                registry,
                templar: templar.clone(),
                options,
                inventory,
                redactor: redactor.clone(),
                decryptor: decryptor.clone(),
            },
            playbook_dir: loaded.dir.clone(),
            hosts: HashMap::new(),
            play: PlayState {
                name: String::new(),
                all_hosts: Vec::new(),
                hosts: Vec::new(),
                vars: Vec::new(),
                vars_layer: VarLayer::ordered(Vec::new()),
                magic_layer: VarLayer::ordered(Vec::new()),
                handlers: Vec::new(),
                ran_roles: Vec::new(),
                any_errors_fatal: false,
                max_fail_percentage: None,
                batch_size: 0,
                force_handlers: false,
            },
            omit: "__omit_place_holder__stackbook".to_string(),
            inventory_layers: Arc::default(),
            snapshot: scope::Snapshot::default(),
            extra_layer,
        },
        sink: &mut **sink,
        stats: Vec::new(),
        waiting_for_start,
        aborted: false,
        role_chain: Vec::new(),
    };
    runtime.sink.emit(&Event::PlaybookStart {
        playbook: loaded.playbook.path.to_string(),
    });
    for message in runtime.ctx.inventory.warnings.clone() {
        runtime.sink.emit(&Event::Warning { message });
    }
    let display_dir = Path::new(&*loaded.playbook.path)
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default();
    for play in &loaded.playbook.plays {
        runtime.run_play(play, &display_dir)?;
        if runtime.aborted {
            break;
        }
    }
    let mut stats = serde_json::Map::new();
    for (host, counts) in &runtime.stats {
        stats.insert(
            host.clone(),
            serde_json::to_value(counts).unwrap_or(Json::Null),
        );
    }
    runtime.sink.emit(&Event::Recap { stats });
    let any_failed = runtime.stats.iter().any(|(_, s)| s.failed > 0);
    let any_unreachable = runtime.stats.iter().any(|(_, s)| s.unreachable > 0);
    Ok(if any_failed {
        ExitCode::HostFailed
    } else if any_unreachable {
        ExitCode::UnreachableOrParse
    } else {
        ExitCode::Ok
    })
}

impl Runtime<'_> {
    fn stats_mut(&mut self, host: &str) -> &mut HostStats {
        let index = match self.stats.iter().position(|(h, _)| h == host) {
            Some(index) => index,
            None => {
                self.stats.push((host.to_string(), HostStats::default()));
                self.stats.len() - 1
            }
        };
        &mut self.stats[index].1
    }

    /// Sends an event to the printers.
    fn emit(&mut self, event: &Event) {
        self.sink.emit(event);
    }

    /// Registers vault values with the redactor; one too short to mask is reported once.
    fn add_secrets(&mut self, secrets: Vec<String>) {
        for secret in secrets {
            if register_secret(&self.ctx.redactor, &secret) == Registration::TooShort
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

    fn run_play(&mut self, play: &Play, display_dir: &Path) -> Result<(), EngineError> {
        let pattern = match &play.hosts.value {
            stackbook_syntax::NodeValue::Sequence(items) => items
                .iter()
                .filter_map(Node::scalar_text)
                .collect::<Vec<_>>()
                .join(":"),
            _ => play.hosts.scalar_text().unwrap_or_default(),
        };
        // The play's own variables, converted once; vault values become secrets.
        let mut secrets = Vec::new();
        let mut play_vars = Vec::new();
        for (name, node) in &play.vars {
            play_vars.push((
                name.clone(),
                node_to_value(node, self.ctx.decryptor.as_deref(), &mut secrets)?,
            ));
        }
        self.add_secrets(secrets);
        let mut hosts = self.ctx.inventory.select(&pattern);
        if let Some(limit) = &self.ctx.options.limit {
            let allowed = self.ctx.inventory.select(limit);
            hosts.retain(|h| allowed.contains(h));
        }
        for host in &hosts {
            self.ctx.inventory.ensure_host(host);
        }
        self.build_inventory_layers();
        self.play = PlayState {
            name: String::new(),
            all_hosts: hosts.clone(),
            hosts: hosts.clone(),
            vars: play_vars,
            vars_layer: VarLayer::ordered(Vec::new()),
            magic_layer: VarLayer::ordered(Vec::new()),
            handlers: Vec::new(),
            ran_roles: Vec::new(),
            any_errors_fatal: false,
            max_fail_percentage: None,
            batch_size: hosts.len(),
            force_handlers: self.ctx.options.force_handlers,
        };
        self.play.magic_layer = self.play_magic_layer();
        self.play.vars_layer = VarLayer::ordered(self.play.vars.clone());
        self.refresh_snapshot();
        let base = Inherited {
            search_dirs: vec![self.playbook_dir.clone()],
            display_dir: display_dir.to_path_buf(),
            ..Inherited::default()
        }
        .extend(&play.keywords);

        // vars_files are templated with play vars and extra vars, then appended.
        let first_host = hosts
            .first()
            .cloned()
            .unwrap_or_else(|| "localhost".to_string());
        for entry in &play.vars_files {
            let loaded = self.load_vars_file(entry, &first_host, &base)?;
            self.play.vars.extend(loaded);
            self.play.vars_layer = VarLayer::ordered(self.play.vars.clone());
        }
        let name_scope = self.scope(&first_host, &base, &[], &[])?;
        let raw_name = play.name.clone().unwrap_or_else(|| pattern.clone());
        self.play.name = self
            .ctx
            .templar
            .render_string(&raw_name, &name_scope)
            .map(|v| stackbook_template::python::python_str(&v))
            .unwrap_or(raw_name);
        self.play.any_errors_fatal = self
            .keyword_bool(play.any_errors_fatal.as_ref(), &name_scope)
            .unwrap_or(false);
        self.play.max_fail_percentage = batches::max_fail_percentage(
            play.max_fail_percentage.as_ref(),
            &self.ctx.templar,
            &name_scope,
        )?;
        if let Some(force) = self.keyword_bool(play.force_handlers.as_ref(), &name_scope) {
            self.play.force_handlers |= force;
        }
        if hosts.is_empty() {
            self.emit(&Event::PlayStart {
                play: self.play.name.clone(),
                hosts: Vec::new(),
            });
            self.emit(&Event::Warning {
                message: format!("Could not match supplied host pattern, ignoring: {pattern}"),
            });
            return Ok(());
        }
        let sizes = batches::serial(play.serial.as_ref(), &self.ctx.templar, &name_scope)?;
        for batch in batches::split(&hosts, &sizes) {
            // Each batch runs the whole play, as its own play in Ansible.
            self.play.handlers = play.handlers.iter().map(|h| (h.clone(), None)).collect();
            self.play.ran_roles.clear();
            let failed_before: Vec<bool> = batch
                .iter()
                .map(|h| self.hosts.get(h).is_some_and(|s| s.failed))
                .collect();
            self.run_batch(play, &base, &name_scope, batch.clone())?;
            if self.aborted {
                break;
            }
            // A batch in which every host failed ends the playbook (ansible-core's
            // PlaybookExecutor), as does any_errors_fatal or max_fail_percentage.
            let newly_failed = batch
                .iter()
                .zip(&failed_before)
                .filter(|(h, before)| !**before && self.hosts.get(*h).is_some_and(|s| s.failed))
                .count();
            if newly_failed == batch.len() {
                self.aborted = true;
                break;
            }
        }
        Ok(())
    }

    /// Runs the play's sections and handlers on one `serial` batch (all hosts when the play
    /// has no `serial`).
    fn run_batch(
        &mut self,
        play: &Play,
        base: &Inherited,
        name_scope: &Arc<stackbook_template::Scope>,
        batch: Vec<String>,
    ) -> Result<(), EngineError> {
        self.emit(&Event::PlayStart {
            play: self.play.name.clone(),
            hosts: batch.clone(),
        });
        // A host is in the recap once its batch starts (hosts of batches that never run are
        // not, as in ansible-core).
        for host in &batch {
            self.stats_mut(host);
        }
        self.play.batch_size = batch.len();
        self.play.hosts = batch;
        // Hosts that failed in an earlier play stay out of later plays, as in Ansible.
        let core = &mut self.core;
        core.play
            .hosts
            .retain(|h| !core.hosts.get(h).is_some_and(|s| s.failed));
        for host in self.play.hosts.clone() {
            self.host(&host).ended = false;
        }
        if self.play.hosts.is_empty() {
            return Ok(());
        }
        let hosts = self.play.hosts.clone();
        self.refresh_snapshot();

        let gather = match &play.gather_facts {
            Some(node) => self.keyword_bool(Some(node), name_scope).unwrap_or(true),
            None => true,
        };
        if gather && !self.waiting_for_start {
            self.gather_facts(&hosts);
        }
        // Role entries are checked before anything runs.
        let roles: Vec<RoleRef> = play
            .roles
            .iter()
            .map(RoleRef::parse)
            .collect::<Result<_, _>>()?;
        // Ansible's order: pre_tasks, then roles and tasks as one section, then post_tasks;
        // notified handlers run at the end of each section.
        for (with_roles, section) in [
            (false, &play.pre_tasks),
            (true, &play.tasks),
            (false, &play.post_tasks),
        ] {
            let mut flow = Flow::Continue;
            if with_roles {
                for reference in &roles {
                    let active = self.active_hosts();
                    let mut params = Vec::new();
                    for (name, node) in &reference.params {
                        params.push((
                            name.clone(),
                            node_to_value(node, self.ctx.decryptor.as_deref(), &mut Vec::new())?,
                        ));
                    }
                    let key = format!("{}{:?}", reference.name, params);
                    if self.play.ran_roles.contains(&key) {
                        continue;
                    }
                    self.play.ran_roles.push(key);
                    flow = self.run_role(
                        RoleUse {
                            reference,
                            files: &RoleFiles::default(),
                            params,
                            dynamic: false,
                        },
                        base,
                        &active,
                        0,
                    )?;
                    if flow == Flow::EndPlay {
                        break;
                    }
                }
            }
            if flow == Flow::Continue {
                let active = self.active_hosts();
                flow = self.run_items(section, base, &active)?;
            }
            self.run_handlers(base)?;
            if flow == Flow::EndPlay {
                break;
            }
        }
        Ok(())
    }

    /// Runs a role (after its `meta` dependencies) on `hosts`, registering its handlers.
    pub(super) fn run_role(
        &mut self,
        role_use: RoleUse<'_>,
        inherited: &Inherited,
        hosts: &[String],
        depth: usize,
    ) -> Result<Flow, EngineError> {
        let RoleUse {
            reference,
            files,
            params,
            dynamic,
        } = role_use;
        check_depth(depth, reference)?;
        let mut secrets = Vec::new();
        let role = load_role(
            reference,
            files,
            &self.playbook_dir,
            &self.ctx.options.roles_path,
            self.ctx.registry,
            self.ctx.decryptor.as_deref(),
            &mut secrets,
        )?;
        self.add_secrets(secrets);
        if let Some(start) = self
            .role_chain
            .iter()
            .position(|(name, _)| *name == reference.name)
        {
            // Point at the first dependency of the cycle, as ansible-core does.
            let location = self
                .role_chain
                .get(start + 1)
                .map_or(&reference.location, |(_, location)| location)
                .clone();
            let mut names: Vec<&str> = self.role_chain[start..]
                .iter()
                .map(|(name, _)| name.as_str())
                .collect();
            names.push(&reference.name);
            return Err(EngineError::Aborted {
                location,
                message: format!(
                    "role dependencies nested too deeply: '{}' depends on itself ({})",
                    reference.name,
                    names.join(" -> ")
                ),
            });
        }
        self.role_chain
            .push((reference.name.clone(), reference.location.clone()));
        let dependencies =
            self.run_dependencies(&role.dependencies, inherited, hosts, dynamic, depth);
        self.role_chain.pop();
        if dependencies? == Flow::EndPlay {
            return Ok(Flow::EndPlay);
        }
        let mut role_inherited = inherited.clone();
        role_inherited.role = Some(Arc::new(RoleScope {
            name: role.name.clone(),
            path: role.path.clone(),
            defaults: VarLayer::ordered(role.defaults.clone()),
            vars: VarLayer::ordered(role.vars.clone()),
            dynamic,
        }));
        role_inherited.search_dirs.insert(0, role.path.clone());
        role_inherited.display_dir = role.display.join("tasks");
        role_inherited.include_params.extend(params);
        role_inherited.when.extend(reference.when.iter().cloned());
        role_inherited.tags.extend(reference.tags.iter().cloned());
        // A handler runs once per play, with the variables of the role's latest use as Ansible
        // sees it: uses known at parse time (`roles:`, `import_role`) come before any
        // `include_role`, whatever the order in which they run.
        for handler in &role.handlers {
            let same = |(existing, context): &(TaskItem, Option<Inherited>)| {
                let same_role = context
                    .as_ref()
                    .and_then(|c| c.role.as_ref())
                    .is_some_and(|r| r.name == role.name);
                same_role && task_name(existing) == task_name(handler)
            };
            match self.play.handlers.iter().position(same) {
                Some(index) => {
                    let registered_dynamically = self.play.handlers[index]
                        .1
                        .as_ref()
                        .and_then(|c| c.role.as_ref())
                        .is_some_and(|r| r.dynamic);
                    if dynamic || !registered_dynamically {
                        self.play.handlers[index].1 = Some(role_inherited.clone());
                    }
                }
                None => self
                    .play
                    .handlers
                    .push((handler.clone(), Some(role_inherited.clone()))),
            }
        }
        self.run_items(&role.tasks, &role_inherited, hosts)
    }

    /// Runs a role's `meta` dependencies in order.
    fn run_dependencies(
        &mut self,
        dependencies: &[RoleRef],
        inherited: &Inherited,
        hosts: &[String],
        dynamic: bool,
        depth: usize,
    ) -> Result<Flow, EngineError> {
        for dependency in dependencies {
            let mut dependency_params = Vec::new();
            for (name, node) in &dependency.params {
                dependency_params.push((
                    name.clone(),
                    node_to_value(node, self.ctx.decryptor.as_deref(), &mut Vec::new())?,
                ));
            }
            let dependency_use = RoleUse {
                reference: dependency,
                files: &RoleFiles::default(),
                params: dependency_params,
                dynamic,
            };
            if self.run_role(dependency_use, inherited, hosts, depth + 1)? == Flow::EndPlay {
                return Ok(Flow::EndPlay);
            }
        }
        Ok(Flow::Continue)
    }

    fn gather_facts(&mut self, hosts: &[String]) {
        self.emit(&Event::TaskStart {
            task: "Gathering Facts".into(),
            action: "ansible.builtin.gather_facts".into(),
            location: String::new(),
        });
        let facts = facts::gather();
        for host in hosts {
            self.host(host).gathered = Some(facts::layer(&facts));
            self.stats_mut(host).ok += 1;
            self.emit(&Event::HostResult {
                task: "Gathering Facts".into(),
                host: host.clone(),
                status: Status::Ok,
                ignored: false,
                result: serde_json::json!({"changed": false}),
            });
        }
    }

    fn run_items(
        &mut self,
        items: &[TaskItem],
        inherited: &Inherited,
        hosts: &[String],
    ) -> Result<Flow, EngineError> {
        for item in items {
            let active: Vec<String> = hosts
                .iter()
                .filter(|h| self.hosts.get(*h).is_none_or(|s| !s.failed && !s.ended))
                .cloned()
                .collect();
            if active.is_empty() {
                break;
            }
            let flow = match item {
                TaskItem::Task(task) => self.run_task(task, inherited, &active, false)?,
                TaskItem::Block(block) => self.run_block(block, inherited, &active)?,
            };
            if flow == Flow::EndPlay {
                return Ok(Flow::EndPlay);
            }
        }
        Ok(Flow::Continue)
    }

    fn run_block(
        &mut self,
        block: &Block,
        inherited: &Inherited,
        hosts: &[String],
    ) -> Result<Flow, EngineError> {
        let inner = inherited.extend(&block.keywords);
        let mut flow = self.run_items(&block.block, &inner, hosts)?;
        let failed: Vec<String> = hosts
            .iter()
            .filter(|h| self.hosts.get(*h).is_some_and(|s| s.failed && !s.ended))
            .cloned()
            .collect();
        if flow == Flow::Continue && !block.rescue.is_empty() && !failed.is_empty() {
            for host in &failed {
                self.host(host).failed = false;
                let stats = self.stats_mut(host);
                stats.failed = stats.failed.saturating_sub(1);
                stats.rescued += 1;
            }
            flow = self.run_items(&block.rescue, &inner, &failed)?;
        }
        if !block.always.is_empty() {
            // `always` runs for every host that entered the block, failed or not.
            let still_failed: Vec<String> = hosts
                .iter()
                .filter(|h| self.hosts.get(*h).is_some_and(|s| s.failed))
                .cloned()
                .collect();
            for host in &still_failed {
                self.host(host).failed = false;
            }
            let always_flow = self.run_items(&block.always, &inner, hosts)?;
            for host in &still_failed {
                self.host(host).failed = true;
            }
            if always_flow == Flow::EndPlay {
                flow = Flow::EndPlay;
            }
        }
        Ok(flow)
    }

    fn run_handlers(&mut self, inherited: &Inherited) -> Result<(), EngineError> {
        // Each round takes the pending notifications; handlers that notify others start a
        // new round. Bounded, so handlers notifying each other cannot loop forever.
        for _round in 0..16 {
            let pending: Vec<(String, Vec<String>)> = self
                .play
                .hosts
                .iter()
                .filter_map(|h| {
                    let state = self.hosts.get(h)?;
                    let eligible = (!state.failed || self.play.force_handlers) && !state.ended;
                    (eligible && !state.notified.is_empty())
                        .then(|| (h.clone(), state.notified.clone()))
                })
                .collect();
            if pending.is_empty() {
                break;
            }
            for (host, _) in &pending {
                self.host(host).notified.clear();
            }
            let handlers = self.play.handlers.clone();
            // A role used twice registers its handlers twice; each handler runs once.
            let mut ran: Vec<String> = Vec::new();
            for (handler, context) in &handlers {
                let TaskItem::Task(task) = handler else {
                    continue;
                };
                let name = task.name.clone().unwrap_or_default();
                let role = context
                    .as_ref()
                    .and_then(|c| c.role.as_ref())
                    .map(|r| r.name.clone());
                let qualified = role.as_ref().map(|r| format!("{r} : {name}"));
                let key = qualified.clone().unwrap_or_else(|| name.clone());
                if ran.contains(&key) {
                    continue;
                }
                let notified: Vec<String> = pending
                    .iter()
                    .filter(|(_, names)| {
                        names.iter().any(|n| {
                            *n == name
                                || Some(n) == qualified.as_ref()
                                || task.keywords.listen.contains(n)
                        })
                    })
                    .map(|(host, _)| host.clone())
                    .collect();
                if notified.is_empty() {
                    continue;
                }
                ran.push(key);
                if self.play.force_handlers {
                    for host in &notified {
                        self.host(host).failed = false;
                    }
                }
                self.run_task(task, context.as_ref().unwrap_or(inherited), &notified, true)?;
            }
        }
        for host in self.play.hosts.clone() {
            self.host(&host).notified.clear();
        }
        Ok(())
    }
}

impl Core<'_> {
    fn host(&mut self, name: &str) -> &mut HostState {
        self.hosts.entry(name.to_string()).or_default()
    }

    /// The batch's hosts that have not failed or ended.
    fn active_hosts(&self) -> Vec<String> {
        self.play
            .hosts
            .iter()
            .filter(|h| self.hosts.get(*h).is_none_or(|s| !s.failed && !s.ended))
            .cloned()
            .collect()
    }

    /// Evaluates a boolean keyword (`ignore_errors: "{{ x }}"`, `gather_facts: no`).
    fn keyword_bool(
        &self,
        node: Option<&Node>,
        scope: &Arc<stackbook_template::Scope>,
    ) -> Option<bool> {
        let node = node?;
        let value = node_to_value(node, None, &mut Vec::new()).ok()?;
        let rendered = self.ctx.templar.render_value(&value, scope).ok()?;
        crate::value::truthy_keyword(&rendered)
    }
}
