//! Building the variables a task sees on a host, in Ansible's precedence order.
//!
//! Lowest to highest: magic variables, inventory group vars (`all` first), inventory host
//! vars, gathered facts, play `vars`, `vars_files`, block vars, task vars, `include_vars` /
//! `set_fact` / registered results, include params, loop variables, extra vars.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use minijinja::Value;
use stackbook_syntax::{Node, NodeValue, load_documents};
use stackbook_template::{Scope, VarLayer};

use super::{Core, HostState, Inherited, Runtime};
use crate::error::EngineError;
use crate::value::{is_encrypted_file, node_to_value};

/// What all hosts see of each other while a task runs: every host's facts (for `hostvars`) and
/// the active hosts, as of the start of the task. Taken once per task
/// ([`Runtime::refresh_snapshot`]) so that building a host's scope does not walk all hosts.
#[derive(Debug, Default)]
pub(super) struct Snapshot {
    facts: Arc<HashMap<String, Facts>>,
    /// `ansible_play_batch` / `play_hosts`: the batch's hosts that have not failed or ended.
    batch: Value,
    /// `ansible_play_hosts`: the play's hosts (all batches) that have not failed or ended.
    play_hosts: Value,
}

/// One host's `set_fact`/registered variables.
type Facts = Arc<HashMap<String, Value>>;

/// Each inventory host's group and host variables as a layer, in inventory order; built once
/// per play and shared with every `hostvars`.
#[derive(Debug, Default)]
pub(super) struct InventoryLayers {
    order: Vec<String>,
    layers: HashMap<String, Arc<VarLayer>>,
    /// `group_names` of each host.
    group_names: HashMap<String, Value>,
}

impl Runtime<'_> {
    /// Builds every inventory host's variable layer (at play start, after the play's hosts
    /// are known to the inventory).
    pub(super) fn build_inventory_layers(&mut self) {
        let inventory = &self.ctx.inventory;
        let order: Vec<String> = inventory.hosts.iter().map(|h| h.name.clone()).collect();
        let layers = order
            .iter()
            .map(|host| (host.clone(), VarLayer::ordered(inventory.merged_vars(host))))
            .collect();
        let group_names = order
            .iter()
            .map(|host| (host.clone(), group_names(inventory, host)))
            .collect();
        self.core.inventory_layers = Arc::new(InventoryLayers {
            order,
            layers,
            group_names,
        });
    }

    /// Takes the [`Snapshot`] the next task's scopes read.
    pub(super) fn refresh_snapshot(&mut self) {
        let facts = self
            .hosts
            .iter()
            .map(|(name, state)| (name.clone(), state.facts.clone()))
            .collect();
        let batch = Value::from(self.active_hosts());
        let play_hosts: Vec<String> = self
            .play
            .all_hosts
            .iter()
            .filter(|h| self.hosts.get(*h).is_none_or(|s| !s.failed && !s.ended))
            .cloned()
            .collect();
        self.core.snapshot = Snapshot {
            facts: Arc::new(facts),
            batch,
            play_hosts: Value::from(play_hosts),
        };
    }
}

impl Core<'_> {
    /// The scope for `host` with the inherited keywords, task vars and loop variables.
    pub(super) fn scope(
        &self,
        host: &str,
        inherited: &Inherited,
        task_vars: &[(String, Node)],
        loop_vars: &[(String, Value)],
    ) -> Result<Arc<Scope>, EngineError> {
        self.scope_for(host, self.hosts.get(host), inherited, task_vars, loop_vars)
    }

    /// The scope for `host` whose state is `state` (a fork worker's own copy, or the
    /// executor's).
    pub(super) fn scope_for(
        &self,
        host: &str,
        state: Option<&HostState>,
        inherited: &Inherited,
        task_vars: &[(String, Node)],
        loop_vars: &[(String, Value)],
    ) -> Result<Arc<Scope>, EngineError> {
        let mut layers: Vec<Arc<VarLayer>> = Vec::with_capacity(12);
        let mut magic: Vec<(String, Value)> = Vec::with_capacity(32);
        self.magic_vars(host, state, inherited, &mut magic);
        layers.push(self.play.magic_layer.clone());
        layers.push(VarLayer::ordered(magic));
        // Role defaults are the lowest variables a play can set.
        if let Some(role) = &inherited.role {
            layers.push(role.defaults.clone());
        }
        layers.push(self.inventory_layer(host));
        if let Some(gathered) = state.and_then(|s| s.gathered.clone()) {
            layers.push(gathered);
        }
        layers.push(self.play.vars_layer.clone());
        if let Some(role) = &inherited.role {
            layers.push(role.vars.clone());
        }
        if !inherited.vars.is_empty() || !task_vars.is_empty() {
            let mut vars = Vec::with_capacity(inherited.vars.len() + task_vars.len());
            for (name, node) in inherited.vars.iter().chain(task_vars) {
                let value = node_to_value(node, self.ctx.decryptor.as_deref(), &mut Vec::new())?;
                vars.push((name.clone(), value));
            }
            layers.push(VarLayer::ordered(vars));
        }
        if let Some(state) = state {
            layers.push(VarLayer::map(state.facts.clone()));
            let mut rescue = Vec::new();
            if let Some(task) = &state.failed_task {
                rescue.push(("ansible_failed_task".to_string(), task.clone()));
            }
            if let Some(result) = &state.failed_result {
                rescue.push(("ansible_failed_result".to_string(), result.clone()));
            }
            if !rescue.is_empty() {
                layers.push(VarLayer::ordered(rescue));
            }
        }
        if !inherited.include_params.is_empty() || !loop_vars.is_empty() {
            let params = inherited.include_params.iter().chain(loop_vars).cloned();
            layers.push(VarLayer::ordered(params));
        }
        layers.push(self.extra_layer.clone());
        Ok(Scope::layered(&self.ctx.templar, layers))
    }

    /// Group vars (`all` first) and host vars of one host.
    fn inventory_layer(&self, host: &str) -> Arc<VarLayer> {
        match self.inventory_layers.layers.get(host) {
            Some(layer) => layer.clone(),
            None => VarLayer::ordered(self.ctx.inventory.merged_vars(host)),
        }
    }

    /// Magic variables that depend on the host and the moment: the rest is in the play's
    /// shared magic layer ([`Core::play_magic_layer`]).
    fn magic_vars(
        &self,
        host: &str,
        state: Option<&HostState>,
        inherited: &Inherited,
        vars: &mut Vec<(String, Value)>,
    ) {
        let group_names = match self.inventory_layers.group_names.get(host) {
            Some(names) => names.clone(),
            None => group_names(self.ctx.inventory, host),
        };
        vars.push(("inventory_hostname".into(), Value::from(host)));
        vars.push((
            "inventory_hostname_short".into(),
            Value::from(host.split('.').next().unwrap_or(host)),
        ));
        vars.push(("group_names".into(), group_names));
        vars.push((
            "ansible_play_hosts".into(),
            self.snapshot.play_hosts.clone(),
        ));
        vars.push(("ansible_play_batch".into(), self.snapshot.batch.clone()));
        vars.push(("play_hosts".into(), self.snapshot.batch.clone()));
        vars.push((
            "ansible_play_name".into(),
            Value::from(self.play.name.clone()),
        ));
        if let Some(role) = &inherited.role {
            vars.push((
                "role_path".into(),
                Value::from(role.path.display().to_string()),
            ));
            vars.push(("role_name".into(), Value::from(role.name.clone())));
        }
        let hostvars = HostVars {
            inventory: self.inventory_layers.clone(),
            facts: self.snapshot.facts.clone(),
            own: state.map(|s| (host.to_string(), s.facts.clone())),
        };
        vars.push(("hostvars".into(), Value::from_object(hostvars)));
    }

    /// Magic variables that stay the same for a whole play.
    pub(super) fn play_magic_layer(&self) -> Arc<VarLayer> {
        let inventory = &self.ctx.inventory;
        let options = self.ctx.options;
        let mut vars: Vec<(String, Value)> = Vec::with_capacity(24);
        let groups = Value::from_pairs(
            inventory
                .groups
                .iter()
                .map(|(g, members)| (g.clone(), Value::from(members.clone()))),
        );
        vars.push(("groups".into(), groups));
        vars.push((
            "playbook_dir".into(),
            Value::from(self.playbook_dir.display().to_string()),
        ));
        vars.push((
            "ansible_play_hosts_all".into(),
            Value::from(self.play.all_hosts.clone()),
        ));
        vars.push(("ansible_check_mode".into(), Value::from(options.check)));
        vars.push(("ansible_diff_mode".into(), Value::from(options.diff)));
        vars.push(("ansible_verbosity".into(), Value::from(options.verbosity)));
        vars.push(("ansible_connection".into(), Value::from("local")));
        let run_tags = if options.tags.is_empty() {
            vec!["all".to_string()]
        } else {
            options.tags.clone()
        };
        vars.push(("ansible_run_tags".into(), Value::from(run_tags)));
        vars.push((
            "ansible_skip_tags".into(),
            Value::from(options.skip_tags.clone()),
        ));
        vars.push(("omit".into(), Value::from(self.omit.clone())));
        vars.push((
            "ansible_version".into(),
            Value::from_pairs([
                ("full", Value::from("2.19.0")),
                ("major", Value::from(2)),
                ("minor", Value::from(19)),
                ("revision", Value::from(0)),
                ("string", Value::from("2.19.0")),
            ]),
        ));
        vars.push(("ansible_managed".into(), Value::from("Ansible managed")));
        // No Python runs here; the variable exists because inventories reference it.
        vars.push((
            "ansible_playbook_python".into(),
            Value::from("/usr/bin/python3"),
        ));
        if let Some(source) = options.inventories.first() {
            let path = std::path::Path::new(source);
            if path.exists() {
                let absolute = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
                let dir = if absolute.is_dir() {
                    absolute.clone()
                } else {
                    absolute
                        .parent()
                        .map(std::path::Path::to_path_buf)
                        .unwrap_or_default()
                };
                vars.push((
                    "inventory_file".into(),
                    Value::from(absolute.display().to_string()),
                ));
                vars.push((
                    "inventory_dir".into(),
                    Value::from(dir.display().to_string()),
                ));
            }
        }
        VarLayer::ordered(vars)
    }
}

impl Runtime<'_> {
    /// Loads one `vars_files` entry (a path, or a list meaning "first that exists").
    pub(super) fn load_vars_file(
        &mut self,
        entry: &Node,
        host: &str,
        inherited: &Inherited,
    ) -> Result<Vec<(String, Value)>, EngineError> {
        let candidates: Vec<&Node> = match &entry.value {
            NodeValue::Sequence(items) => items.iter().collect(),
            _ => vec![entry],
        };
        let scope = self.scope(host, inherited, &[], &[])?;
        let mut tried = Vec::new();
        for candidate in candidates {
            let raw = candidate.scalar_text().unwrap_or_default();
            let rendered = match self.ctx.templar.render_string(&raw, &scope) {
                Ok(rendered) => rendered,
                // Ansible skips such an entry with a warning and goes on.
                Err(stackbook_template::TemplateError::Undefined { name }) => {
                    self.emit(&crate::event::Event::Warning {
                        message: format!(
                            "skipping vars_files item due to an undefined variable ('{name}' is undefined)\nOrigin: {}",
                            candidate.location
                        ),
                    });
                    return Ok(Vec::new());
                }
                Err(error) => {
                    return Err(EngineError::invalid(
                        &candidate.location,
                        format!("vars_files entry '{raw}': {error}"),
                    ));
                }
            };
            let relative = stackbook_template::python::python_str(&rendered);
            let path = self.playbook_dir.join(&relative);
            if path.is_file() {
                let display = inherited.display_dir.join(&relative).display().to_string();
                let mut secrets = Vec::new();
                let vars = self.read_vars_file(&path, &display, &mut secrets)?;
                self.add_secrets(secrets);
                return Ok(vars);
            }
            tried.push(relative);
        }
        // Like ansible-core 2.19, a missing vars file is reported and the play goes on; the
        // variables it would have defined are then undefined where used.
        self.emit(&crate::event::Event::Warning {
            message: format!(
                "vars file {} was not found (relative to the playbook directory)\nOrigin: {}",
                tried.join(", "),
                entry.location
            ),
        });
        Ok(Vec::new())
    }
}

impl Core<'_> {
    /// Reads a YAML vars file (whole-file vaults decrypted) into variables; the values of
    /// encrypted files and vaulted values go to `secrets`.
    pub(super) fn read_vars_file(
        &self,
        path: &std::path::Path,
        display: &str,
        secrets: &mut Vec<String>,
    ) -> Result<Vec<(String, Value)>, EngineError> {
        let text = std::fs::read_to_string(path).map_err(|error| {
            EngineError::Fatal(format!("{display}: cannot read vars file: {error}"))
        })?;
        let text = if is_encrypted_file(&text) {
            let Some(decryptor) = self.ctx.decryptor.clone() else {
                return Err(EngineError::Fatal(format!(
                    "{display} is encrypted but no vault secret was given (use --vault-password-file, --vault-id or --age-identity)"
                )));
            };
            let plaintext = decryptor
                .decrypt_file(&text)
                .unwrap_or_else(|| Err("not an encrypted file".into()))
                .map_err(|message| {
                    EngineError::Fatal(format!("{display}: cannot decrypt: {message}"))
                })?;
            // Every value of an encrypted file is a secret.
            let documents = load_documents(&plaintext, display)?;
            if let Some(document) = documents.first() {
                collect_scalars(document, secrets);
            }
            plaintext
        } else {
            text
        };
        let documents = load_documents(&text, display)?;
        let mut vars = Vec::new();
        if let Some(document) = documents.first() {
            match &document.value {
                NodeValue::Mapping(entries) => {
                    for (key, value) in entries {
                        let name = key.scalar_text().unwrap_or_default();
                        vars.push((
                            name,
                            node_to_value(value, self.ctx.decryptor.as_deref(), secrets)?,
                        ));
                    }
                }
                NodeValue::Null => {}
                _ => {
                    return Err(EngineError::invalid(
                        &document.location,
                        format!(
                            "vars file must contain a mapping, but this is {}",
                            document.type_name()
                        ),
                    ));
                }
            }
        }
        Ok(vars)
    }

    /// The directories a relative path is looked up in, for a task in `inherited`.
    pub(super) fn search_dirs(&self, inherited: &Inherited) -> Vec<PathBuf> {
        let mut dirs = inherited.search_dirs.clone();
        if !dirs.contains(&self.playbook_dir) {
            dirs.push(self.playbook_dir.clone());
        }
        dirs
    }
}

/// `hostvars`: every inventory host's variables, merged only when a template asks for a host.
#[derive(Debug)]
struct HostVars {
    inventory: Arc<InventoryLayers>,
    facts: Arc<HashMap<String, Facts>>,
    /// The host whose scope this is, with its own latest facts (newer than the snapshot
    /// while its task runs).
    own: Option<(String, Facts)>,
}

impl minijinja::value::Object for HostVars {
    fn repr(self: &Arc<Self>) -> minijinja::value::ObjectRepr {
        minijinja::value::ObjectRepr::Map
    }

    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        let name = key.as_str()?;
        let inventory = self.inventory.layers.get(name)?;
        let facts = match &self.own {
            Some((own, facts)) if own == name => Some(facts),
            _ => self.facts.get(name),
        };
        let mut entries: Vec<(Value, Value)> =
            vec![(Value::from("inventory_hostname"), Value::from(name))];
        entries.extend(
            inventory
                .entries()
                .into_iter()
                .map(|(k, v)| (Value::from(k), v.clone())),
        );
        if let Some(facts) = facts {
            entries.extend(
                facts
                    .iter()
                    .map(|(k, v)| (Value::from(k.as_str()), v.clone())),
            );
        }
        Some(Value::from_pairs(entries))
    }

    fn enumerate(self: &Arc<Self>) -> minijinja::value::Enumerator {
        minijinja::value::Enumerator::Values(
            self.inventory
                .order
                .iter()
                .map(|host| Value::from(host.as_str()))
                .collect(),
        )
    }
}

/// `group_names`: the host's groups except `all` and `ungrouped`.
fn group_names(inventory: &crate::inventory::Inventory, host: &str) -> Value {
    Value::from(
        inventory
            .groups_of(host)
            .into_iter()
            .filter(|g| g != "all" && g != "ungrouped")
            .collect::<Vec<_>>(),
    )
}

fn collect_scalars(node: &Node, out: &mut Vec<String>) {
    match &node.value {
        NodeValue::String(text) | NodeValue::Tagged(_, text) => out.push(text.clone()),
        NodeValue::Int(_) | NodeValue::Float(_) | NodeValue::Bool(_) | NodeValue::Null => {}
        NodeValue::Sequence(items) => items.iter().for_each(|item| collect_scalars(item, out)),
        NodeValue::Mapping(entries) => entries
            .iter()
            .for_each(|(_, value)| collect_scalars(value, out)),
    }
}
