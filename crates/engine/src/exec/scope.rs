//! Building the variables a task sees on a host, in Ansible's precedence order.
//!
//! Lowest to highest: magic variables, inventory group vars (`all` first), inventory host
//! vars, gathered facts, play `vars`, `vars_files`, block vars, task vars, `include_vars` /
//! `set_fact` / registered results, include params, loop variables, extra vars.

use std::path::PathBuf;
use std::sync::Arc;

use minijinja::Value;
use stackbook_syntax::{Node, NodeValue, load_documents};
use stackbook_template::Scope;

use super::{Inherited, Runtime};
use crate::error::EngineError;
use crate::value::{is_encrypted_file, node_to_value};

impl Runtime<'_, '_> {
    /// The scope for `host` with the inherited keywords, task vars and loop variables.
    pub(super) fn scope(
        &self,
        host: &str,
        inherited: &Inherited,
        task_vars: &[(String, Node)],
        loop_vars: &[(String, Value)],
    ) -> Result<Arc<Scope>, EngineError> {
        let mut vars: Vec<(String, Value)> = Vec::with_capacity(64);
        self.magic_vars(host, inherited, &mut vars);
        let inventory = &self.ctx.inventory;
        for group in inventory.groups_of(host) {
            if let Some(group_vars) = inventory.group_vars.get(&group) {
                vars.extend(group_vars.iter().cloned());
            }
        }
        if let Some(entry) = inventory.host(host) {
            vars.extend(entry.vars.iter().cloned());
        }
        let state = self.hosts.get(host);
        if let Some(gathered) = state.and_then(|s| s.gathered.as_ref()) {
            if let Ok(keys) = gathered.try_iter() {
                for key in keys {
                    if let Some(name) = key.as_str() {
                        vars.push((
                            name.to_string(),
                            gathered.get_item(&key).unwrap_or_default(),
                        ));
                    }
                }
            }
            // Inside `ansible_facts` the names drop their `ansible_` prefix, as in Ansible.
            let unprefixed: Vec<(String, Value)> = gathered
                .try_iter()
                .map(|keys| {
                    keys.filter_map(|key| {
                        let name = key.as_str()?.to_string();
                        let short = name.strip_prefix("ansible_").unwrap_or(&name).to_string();
                        Some((short, gathered.get_item(&key).unwrap_or_default()))
                    })
                    .collect()
                })
                .unwrap_or_default();
            vars.push(("ansible_facts".into(), Value::from_pairs(unprefixed)));
        }
        vars.extend(self.play.vars.iter().cloned());
        for (name, node) in inherited.vars.iter().chain(task_vars) {
            let value = node_to_value(node, self.ctx.decryptor.as_deref(), &mut Vec::new())?;
            vars.push((name.clone(), value));
        }
        if let Some(state) = state {
            vars.extend(state.facts.iter().map(|(k, v)| (k.clone(), v.clone())));
            if let Some(task) = &state.failed_task {
                vars.push(("ansible_failed_task".into(), task.clone()));
            }
            if let Some(result) = &state.failed_result {
                vars.push(("ansible_failed_result".into(), result.clone()));
            }
        }
        vars.extend(inherited.include_params.iter().cloned());
        vars.extend(loop_vars.iter().cloned());
        vars.extend(self.ctx.options.extra_vars.iter().cloned());
        Ok(Scope::new(&self.ctx.templar, vars))
    }

    fn magic_vars(&self, host: &str, inherited: &Inherited, vars: &mut Vec<(String, Value)>) {
        let inventory = &self.ctx.inventory;
        let groups = Value::from_pairs(
            inventory
                .groups
                .iter()
                .map(|(g, members)| (g.clone(), Value::from(members.clone()))),
        );
        let group_names: Vec<String> = inventory
            .groups_of(host)
            .into_iter()
            .filter(|g| g != "all" && g != "ungrouped")
            .collect();
        let play_hosts = Value::from(self.play.hosts.clone());
        let active: Vec<String> = self.active_hosts();
        vars.push(("inventory_hostname".into(), Value::from(host)));
        vars.push((
            "inventory_hostname_short".into(),
            Value::from(host.split('.').next().unwrap_or(host)),
        ));
        vars.push(("groups".into(), groups));
        vars.push(("group_names".into(), Value::from(group_names)));
        vars.push((
            "playbook_dir".into(),
            Value::from(self.playbook_dir.display().to_string()),
        ));
        vars.push(("ansible_play_hosts_all".into(), play_hosts.clone()));
        vars.push(("ansible_play_hosts".into(), Value::from(active.clone())));
        vars.push(("ansible_play_batch".into(), Value::from(active.clone())));
        vars.push(("play_hosts".into(), Value::from(active)));
        vars.push((
            "ansible_play_name".into(),
            Value::from(self.play.name.clone()),
        ));
        vars.push((
            "ansible_check_mode".into(),
            Value::from(self.ctx.options.check),
        ));
        vars.push((
            "ansible_diff_mode".into(),
            Value::from(self.ctx.options.diff),
        ));
        vars.push((
            "ansible_verbosity".into(),
            Value::from(self.ctx.options.verbosity),
        ));
        vars.push(("ansible_connection".into(), Value::from("local")));
        vars.push((
            "ansible_run_tags".into(),
            Value::from(if self.ctx.options.tags.is_empty() {
                vec!["all".to_string()]
            } else {
                self.ctx.options.tags.clone()
            }),
        ));
        vars.push((
            "ansible_skip_tags".into(),
            Value::from(self.ctx.options.skip_tags.clone()),
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
        if let Some(role_dir) = inherited
            .search_dirs
            .first()
            .filter(|d| **d != self.playbook_dir)
        {
            vars.push((
                "role_path".into(),
                Value::from(role_dir.display().to_string()),
            ));
        }
        vars.push(("ansible_managed".into(), Value::from("Ansible managed")));
        // No Python runs here; the variable exists because inventories reference it.
        vars.push((
            "ansible_playbook_python".into(),
            Value::from("/usr/bin/python3"),
        ));

        if let Some(source) = self.ctx.options.inventories.first() {
            let path = std::path::Path::new(source);
            if path.exists() {
                let absolute = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
                let dir = if absolute.is_dir() {
                    absolute.clone()
                } else {
                    absolute
                        .parent()
                        .map(|p| p.to_path_buf())
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

        let hostvars = Value::from_pairs(inventory.hosts.iter().map(|host| &host.name).map(|h| {
            let mut entries: Vec<(String, Value)> =
                vec![("inventory_hostname".into(), Value::from(h.as_str()))];
            for group in inventory.groups_of(h) {
                if let Some(group_vars) = inventory.group_vars.get(&group) {
                    entries.extend(group_vars.iter().cloned());
                }
            }
            if let Some(entry) = inventory.host(h) {
                entries.extend(entry.vars.iter().cloned());
            }
            if let Some(state) = self.hosts.get(h) {
                entries.extend(state.facts.iter().map(|(k, v)| (k.clone(), v.clone())));
            }
            (h.clone(), Value::from_pairs(entries))
        }));
        vars.push(("hostvars".into(), hostvars));
    }

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
                    self.ctx.sink.emit(&crate::event::Event::Warning {
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
                return self.read_vars_file(&path, &display);
            }
            tried.push(relative);
        }
        // Like ansible-core 2.19, a missing vars file is reported and the play goes on; the
        // variables it would have defined are then undefined where used.
        self.ctx.sink.emit(&crate::event::Event::Warning {
            message: format!(
                "vars file {} was not found (relative to the playbook directory)\nOrigin: {}",
                tried.join(", "),
                entry.location
            ),
        });
        Ok(Vec::new())
    }

    /// Reads a YAML vars file (whole-file vaults decrypted) into variables.
    pub(super) fn read_vars_file(
        &mut self,
        path: &std::path::Path,
        display: &str,
    ) -> Result<Vec<(String, Value)>, EngineError> {
        let text = std::fs::read_to_string(path).map_err(|error| {
            EngineError::Fatal(format!("{display}: cannot read vars file: {error}"))
        })?;
        let mut secrets = Vec::new();
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
                collect_scalars(document, &mut secrets);
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
                            node_to_value(value, self.ctx.decryptor.as_deref(), &mut secrets)?,
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
        self.add_secrets(secrets);
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
