//! The one table of module names and aliases.

use std::collections::BTreeMap;
use std::sync::Arc;

use stackbook_syntax::playbook::ModuleNames;

use super::{DynModule, Module};

/// Actions the executor performs itself, because they change its own state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Builtin {
    /// `set_fact`.
    SetFact,
    /// `include_tasks` (dynamic).
    IncludeTasks,
    /// `import_tasks` (static, expanded at load time).
    ImportTasks,
    /// `include_vars`.
    IncludeVars,
    /// `meta`.
    Meta,
    /// `include_role` / `import_role` (arrive with the roles work).
    IncludeRole,
    /// `setup` / `gather_facts`: (re)gather the host's facts.
    GatherFacts,
}

/// What a task's action resolves to.
#[derive(Clone)]
pub enum Action {
    /// Handled by the executor.
    Builtin(Builtin),
    /// A module with typed arguments.
    Module(DynModule),
}

/// A registered action with its canonical name.
#[derive(Clone)]
pub struct Entry {
    /// The fully qualified name shown in events (`ansible.builtin.debug`).
    pub fqcn: String,
    /// What runs.
    pub action: Action,
    /// True when the module takes a free-form string (`command: ls -l`).
    pub free_form: bool,
}

/// Name → action, with every alias.
#[derive(Clone, Default)]
pub struct Registry {
    entries: BTreeMap<String, Entry>,
}

impl Registry {
    /// The builtin modules.
    pub fn builtin() -> Registry {
        let mut registry = Registry::default();
        let builtin = |r: &mut Registry, name: &str, kind: Builtin, free_form: bool| {
            r.add_ansible_builtin(name, Action::Builtin(kind), free_form);
        };
        builtin(&mut registry, "set_fact", Builtin::SetFact, false);
        builtin(&mut registry, "include_tasks", Builtin::IncludeTasks, true);
        builtin(&mut registry, "import_tasks", Builtin::ImportTasks, true);
        builtin(&mut registry, "include_vars", Builtin::IncludeVars, true);
        builtin(&mut registry, "meta", Builtin::Meta, true);
        builtin(&mut registry, "include_role", Builtin::IncludeRole, false);
        builtin(&mut registry, "import_role", Builtin::IncludeRole, false);
        builtin(&mut registry, "setup", Builtin::GatherFacts, false);
        builtin(&mut registry, "gather_facts", Builtin::GatherFacts, false);

        let module = |r: &mut Registry, name: &str, module: DynModule, free_form: bool| {
            r.add_ansible_builtin(name, Action::Module(module), free_form);
        };
        module(&mut registry, "debug", Arc::new(super::debug::Debug), false);
        module(
            &mut registry,
            "assert",
            Arc::new(super::assert::Assert),
            false,
        );
        module(&mut registry, "fail", Arc::new(super::fail::Fail), false);
        module(
            &mut registry,
            "command",
            Arc::new(super::command::Command { shell: false }),
            true,
        );
        module(
            &mut registry,
            "shell",
            Arc::new(super::command::Command { shell: true }),
            true,
        );
        module(&mut registry, "pause", Arc::new(super::pause::Pause), false);
        module(
            &mut registry,
            "template",
            Arc::new(super::template::Template),
            false,
        );
        module(&mut registry, "copy", Arc::new(super::copy::Copy), false);
        module(&mut registry, "stat", Arc::new(super::stat::Stat), false);
        registry
    }

    fn add_ansible_builtin(&mut self, name: &str, action: Action, free_form: bool) {
        let fqcn = format!("ansible.builtin.{name}");
        let entry = Entry {
            fqcn: fqcn.clone(),
            action,
            free_form,
        };
        self.entries.insert(name.to_string(), entry.clone());
        self.entries
            .insert(format!("ansible.legacy.{name}"), entry.clone());
        self.entries.insert(fqcn, entry);
    }

    /// Registers an extension module under its fully qualified name and short aliases
    /// (e.g. `kubernetes.core.k8s` and `k8s`).
    pub fn register(
        &mut self,
        fqcn: &str,
        aliases: &[&str],
        module: Arc<dyn Module>,
        free_form: bool,
    ) {
        let entry = Entry {
            fqcn: fqcn.to_string(),
            action: Action::Module(module),
            free_form,
        };
        for alias in aliases {
            self.entries.insert((*alias).to_string(), entry.clone());
        }
        self.entries.insert(fqcn.to_string(), entry);
    }

    /// Looks up a name or alias.
    pub fn resolve(&self, name: &str) -> Option<&Entry> {
        self.entries.get(name)
    }
}

impl ModuleNames for Registry {
    fn is_module(&self, name: &str) -> bool {
        self.entries.contains_key(name)
    }

    fn all_names(&self) -> Vec<&str> {
        self.entries.keys().map(String::as_str).collect()
    }
}
