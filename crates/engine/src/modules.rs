//! Modules: what a task does. One file per builtin, named like the Ansible module.
//!
//! [`registry`] is the only place where names and aliases (`debug`,
//! `ansible.builtin.debug`, `ansible.legacy.debug`) are listed. Actions that change the
//! executor's own state (`set_fact`, `include_tasks`, `meta`, …) are [`Builtin`] variants the
//! executor handles; everything else implements [`Module`] and only sees its typed arguments.

pub mod args;
pub mod assert;
pub mod command;
pub mod copy;
pub mod debug;
pub mod docs;
pub mod fail;
pub mod pause;
pub mod registry;
pub mod stat;
pub mod template;

use std::path::PathBuf;
use std::sync::Arc;

use serde_json::{Map, Value as Json};
use stackbook_template::{Scope, Templar};

pub use registry::{Action, Builtin, Registry};

/// A module result: the fields Ansible registers (`changed`, `failed`, `msg`, `rc`, …).
pub type ModuleResult = Map<String, Json>;

/// What a module may use while it runs.
pub struct ModuleContext<'a> {
    /// Host the task runs for.
    pub host: &'a str,
    /// `--check` or `check_mode: true`.
    pub check_mode: bool,
    /// `--diff`.
    pub diff: bool,
    /// `-v` count (for `debug`'s `verbosity`).
    pub verbosity: u8,

    /// Environment variables from `environment:` keywords.
    pub environment: &'a [(String, String)],
    /// Directories to resolve relative `src` paths in, most specific first (role, playbook).
    pub search_dirs: &'a [PathBuf],
    /// The templar, for modules that render files.
    pub templar: &'a Templar,
    /// The variables visible to the task.
    pub scope: &'a Arc<Scope>,
}

impl ModuleContext<'_> {
    /// Resolves a relative source path against the search directories (`templates/`,
    /// `files/` subfolders first, as Ansible does).
    pub fn find_source(&self, path: &str, subdir: &str) -> PathBuf {
        let candidate = PathBuf::from(path);
        if candidate.is_absolute() {
            return candidate;
        }
        for dir in self.search_dirs {
            for option in [dir.join(subdir).join(path), dir.join(path)] {
                if option.exists() {
                    return option;
                }
            }
        }
        self.search_dirs
            .first()
            .map(|d| d.join(path))
            .unwrap_or(candidate)
    }
}

/// A module that runs with typed arguments and returns a result.
pub trait Module: Send + Sync {
    /// Runs the module. Failures are results with `failed: true` (see [`failed`]).
    fn run(&self, context: &ModuleContext<'_>, args: Json) -> ModuleResult;

    /// Arguments that must reach the module untemplated (like `assert`'s `that`).
    fn raw_arguments(&self) -> &'static [&'static str] {
        &[]
    }

    /// This module's documentation (`docs/<module>.yml` beside it, see [`docs`]). Every
    /// registered module must have some: a test walks the registry.
    fn docs(&self) -> Option<docs::DocSource> {
        None
    }
}

/// A failed result with a message.
pub fn failed(msg: impl Into<String>) -> ModuleResult {
    let mut result = Map::new();
    result.insert("changed".into(), Json::Bool(false));
    result.insert("failed".into(), Json::Bool(true));
    result.insert("msg".into(), Json::String(msg.into()));
    result
}

/// An ok/changed result.
pub fn done(changed: bool) -> ModuleResult {
    let mut result = Map::new();
    result.insert("changed".into(), Json::Bool(changed));
    result
}

/// Parses module arguments into a typed struct, turning serde's message into Ansible's.
pub fn parse_args<T: serde::de::DeserializeOwned>(
    module: &str,
    args: Json,
) -> Result<T, ModuleResult> {
    serde_json::from_value(args)
        .map_err(|error| failed(args::describe_error(module, &error.to_string())))
}

/// The shared form of an executor-owned handler: `Arc<dyn Module>`.
pub type DynModule = Arc<dyn Module>;
