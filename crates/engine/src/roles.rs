//! Roles: a folder of tasks, handlers, defaults, vars, templates and files, found beside the
//! playbook in `roles/` or in `--roles-path`, with `meta/main.yml` dependencies.
//!
//! Precedence (see the README): role defaults are the lowest variables, role vars sit above
//! play `vars_files`, and role parameters (`roles: [{role: x, param: 1}]`, the `vars:` of an
//! `include_role`) rank with include parameters.

use std::path::{Path, PathBuf};

use minijinja::Value;
use stackbook_syntax::playbook::{TaskItem, parse_task_list};
use stackbook_syntax::{Location, Node, NodeValue, load_single_file};

use crate::error::EngineError;
use crate::load::expand_imports_in;
use crate::modules::Registry;
use crate::value::{Decryptor, node_to_value};

/// Role dependencies nested deeper than this are a cycle.
const MAX_DEPTH: usize = 16;

/// A role, loaded.
#[derive(Debug, Clone)]
pub struct Role {
    /// The role's name (its folder name).
    pub name: String,
    /// Its folder.
    pub path: PathBuf,
    /// How messages name the folder (relative to the playbook when possible).
    pub display: PathBuf,
    /// `tasks/main.yml` (or `tasks_from`).
    pub tasks: Vec<TaskItem>,
    /// `handlers/main.yml`.
    pub handlers: Vec<TaskItem>,
    /// `defaults/main.yml` (or `defaults_from`).
    pub defaults: Vec<(String, Value)>,
    /// `vars/main.yml` (or `vars_from`).
    pub vars: Vec<(String, Value)>,
    /// `meta/main.yml` dependencies, in order.
    pub dependencies: Vec<RoleRef>,
}

/// A use of a role: its name and parameters, with the keywords of the entry.
#[derive(Debug, Clone, PartialEq)]
pub struct RoleRef {
    /// Role name or path.
    pub name: String,
    /// Parameters (`vars:` and any other non-keyword key).
    pub params: Vec<(String, Node)>,
    /// `when:` of the entry.
    pub when: Vec<Node>,
    /// `tags:` of the entry.
    pub tags: Vec<String>,
    /// Where the entry is.
    pub location: Location,
}

/// Which files of the role to load (`include_role`'s `tasks_from`, …).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RoleFiles {
    /// `tasks_from` (default `main`).
    pub tasks_from: Option<String>,
    /// `vars_from`.
    pub vars_from: Option<String>,
    /// `defaults_from`.
    pub defaults_from: Option<String>,
    /// `handlers_from`.
    pub handlers_from: Option<String>,
}

impl RoleRef {
    /// Parses one entry of a play's `roles:` list (a name, or a mapping).
    pub fn parse(node: &Node) -> Result<RoleRef, EngineError> {
        match &node.value {
            NodeValue::String(name) => Ok(RoleRef {
                name: name.clone(),
                params: Vec::new(),
                when: Vec::new(),
                tags: Vec::new(),
                location: node.location.clone(),
            }),
            NodeValue::Mapping(entries) => {
                let mut role = RoleRef {
                    name: String::new(),
                    params: Vec::new(),
                    when: Vec::new(),
                    tags: Vec::new(),
                    location: node.location.clone(),
                };
                for (key, value) in entries {
                    match key.scalar_text().unwrap_or_default().as_str() {
                        "role" | "name" => role.name = value.scalar_text().unwrap_or_default(),
                        "when" => {
                            role.when = match &value.value {
                                NodeValue::Sequence(items) => items.clone(),
                                _ => vec![value.clone()],
                            }
                        }
                        "tags" => {
                            role.tags = match &value.value {
                                NodeValue::Sequence(items) => {
                                    items.iter().filter_map(Node::scalar_text).collect()
                                }
                                _ => value
                                    .scalar_text()
                                    .map(|t| t.split(',').map(|s| s.trim().to_string()).collect())
                                    .unwrap_or_default(),
                            }
                        }
                        "vars" => {
                            for (name, node) in value.as_mapping().unwrap_or_default() {
                                role.params
                                    .push((name.scalar_text().unwrap_or_default(), node.clone()));
                            }
                        }
                        // Accepted for compatibility; no effect for local execution.
                        "become" | "become_user" | "environment" | "delegate_to" | "no_log" => {}
                        other => role.params.push((other.to_string(), value.clone())),
                    }
                }
                if role.name.is_empty() {
                    return Err(EngineError::invalid(
                        &node.location,
                        "a role entry needs 'role:' (or 'name:')",
                    ));
                }
                Ok(role)
            }
            _ => Err(EngineError::invalid(
                &node.location,
                "a role entry must be a name or a mapping",
            )),
        }
    }
}

/// Finds a role folder: `roles/<name>` beside the playbook, then each `--roles-path`, then a
/// path relative to the playbook.
pub fn find_role(name: &str, playbook_dir: &Path, roles_path: &[PathBuf]) -> Option<PathBuf> {
    let mut candidates = vec![playbook_dir.join("roles").join(name)];
    candidates.extend(roles_path.iter().map(|dir| dir.join(name)));
    candidates.push(playbook_dir.join(name));
    candidates.into_iter().find(|dir| dir.is_dir())
}

/// Loads a role's files.
pub fn load_role(
    reference: &RoleRef,
    files: &RoleFiles,
    playbook_dir: &Path,
    roles_path: &[PathBuf],
    registry: &Registry,
    decryptor: Option<&dyn Decryptor>,
    secrets: &mut Vec<String>,
) -> Result<Role, EngineError> {
    let path = find_role(&reference.name, playbook_dir, roles_path).ok_or_else(|| {
        EngineError::missing(
            &reference.location,
            format!(
                "the role '{}' was not found in {}/roles, the --roles-path directories, or {}",
                reference.name,
                playbook_dir.display(),
                playbook_dir.display()
            ),
        )
    })?;
    let name = Path::new(&reference.name)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let display = path
        .strip_prefix(playbook_dir)
        .map(Path::to_path_buf)
        .unwrap_or_else(|_| path.clone());
    let read_tasks = |sub: &str, file: &str| -> Result<Vec<TaskItem>, EngineError> {
        let Some(file_path) = yaml_file(&path.join(sub), file) else {
            return Ok(Vec::new());
        };
        let shown = display
            .join(sub)
            .join(file_path.file_name().unwrap_or_default())
            .display()
            .to_string();
        let document = load_single_file(&file_path, &shown)?;
        let mut items = parse_task_list(&document, registry)?;
        let dir = file_path
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default();
        expand_imports_in(&mut items, &dir, &display.join(sub), registry)?;
        Ok(items)
    };
    let read_vars = |sub: &str,
                     file: &str,
                     secrets: &mut Vec<String>|
     -> Result<Vec<(String, Value)>, EngineError> {
        let Some(file_path) = yaml_file(&path.join(sub), file) else {
            return Ok(Vec::new());
        };
        let shown = display
            .join(sub)
            .join(file_path.file_name().unwrap_or_default())
            .display()
            .to_string();
        let document = load_single_file(&file_path, &shown)?;
        let mut vars = Vec::new();
        for (key, value) in document.as_mapping().unwrap_or_default() {
            vars.push((
                key.scalar_text().unwrap_or_default(),
                node_to_value(value, decryptor, secrets)?,
            ));
        }
        Ok(vars)
    };
    let tasks = read_tasks("tasks", files.tasks_from.as_deref().unwrap_or("main"))?;
    let handlers = read_tasks("handlers", files.handlers_from.as_deref().unwrap_or("main"))?;
    let defaults = read_vars(
        "defaults",
        files.defaults_from.as_deref().unwrap_or("main"),
        secrets,
    )?;
    let vars = read_vars(
        "vars",
        files.vars_from.as_deref().unwrap_or("main"),
        secrets,
    )?;
    let mut dependencies = Vec::new();
    if let Some(meta) = yaml_file(&path.join("meta"), "main") {
        let shown = display.join("meta/main.yml").display().to_string();
        let document = load_single_file(&meta, &shown)?;
        if let Some(list) = document.get("dependencies").and_then(Node::as_sequence) {
            for entry in list {
                dependencies.push(RoleRef::parse(entry)?);
            }
        }
    }
    Ok(Role {
        name,
        path,
        display,
        tasks,
        handlers,
        defaults,
        vars,
        dependencies,
    })
}

/// `main` → `main.yml`, `main.yaml` or `main`.
fn yaml_file(dir: &Path, stem: &str) -> Option<PathBuf> {
    [
        format!("{stem}.yml"),
        format!("{stem}.yaml"),
        stem.to_string(),
    ]
    .into_iter()
    .map(|name| dir.join(name))
    .find(|path| path.is_file())
}

/// Guards dependency recursion.
pub fn check_depth(depth: usize, reference: &RoleRef) -> Result<(), EngineError> {
    if depth > MAX_DEPTH {
        return Err(EngineError::invalid(
            &reference.location,
            format!(
                "role dependencies nested too deeply at '{}' (cycle?)",
                reference.name
            ),
        ));
    }
    Ok(())
}
