//! Loading: playbook and task files to the AST, with static imports expanded and every
//! action resolved against the registry — all before anything runs.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use stackbook_syntax::playbook::{
    Block, Keywords, Playbook, TaskItem, parse_playbook, parse_task_list,
};
use stackbook_syntax::{Node, NodeValue, load_single_file};

use crate::error::EngineError;
use crate::modules::{Action, Builtin, Registry};

/// Imports nested deeper than this are a cycle.
const MAX_IMPORT_DEPTH: usize = 32;

/// A playbook ready to run.
#[derive(Debug, Clone)]
pub struct LoadedPlaybook {
    /// The AST.
    pub playbook: Playbook,
    /// The playbook's directory (`playbook_dir`).
    pub dir: PathBuf,
}

/// Reads a playbook, expands `import_tasks`, and checks every action.
pub fn load_playbook(path: &Path, registry: &Registry) -> Result<LoadedPlaybook, EngineError> {
    let display = path.display().to_string();
    let document = load_single_file(path, &display)?;
    let mut playbook = parse_playbook(&document, Arc::from(display.as_str()), registry)?;
    let dir = path
        .parent()
        .map(Path::to_path_buf)
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or_else(|| PathBuf::from("."));
    let dir = std::fs::canonicalize(&dir).unwrap_or(dir);
    for play in &mut playbook.plays {
        for section in [
            &mut play.pre_tasks,
            &mut play.tasks,
            &mut play.post_tasks,
            &mut play.handlers,
        ] {
            expand_imports(section, &dir, &display_dir(&display), registry, 0)?;
        }
    }
    Ok(LoadedPlaybook { playbook, dir })
}

fn display_dir(display: &str) -> PathBuf {
    Path::new(display)
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default()
}

/// Loads a task file for `include_tasks` (imports inside it are expanded too).
pub fn load_task_file(
    path: &Path,
    display: &str,
    registry: &Registry,
) -> Result<Vec<TaskItem>, EngineError> {
    let document = load_single_file(path, display)?;
    let mut items = parse_task_list(&document, registry)?;
    let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
    expand_imports(&mut items, &dir, &display_dir(display), registry, 0)?;
    Ok(items)
}

/// Replaces each `import_tasks` with a block holding the imported tasks; the import's `when`,
/// `tags` and `vars` become the block's, which is how Ansible applies them.
fn expand_imports(
    items: &mut [TaskItem],
    dir: &Path,
    display_dir: &Path,
    registry: &Registry,
    depth: usize,
) -> Result<(), EngineError> {
    for item in items.iter_mut() {
        match item {
            TaskItem::Block(block) => {
                for section in [&mut block.block, &mut block.rescue, &mut block.always] {
                    expand_imports(section, dir, display_dir, registry, depth)?;
                }
            }
            TaskItem::Task(task) => {
                let is_import = matches!(
                    registry.resolve(&task.action).map(|e| &e.action),
                    Some(Action::Builtin(Builtin::ImportTasks))
                );
                if !is_import {
                    continue;
                }
                let file = import_file_argument(&task.args).ok_or_else(|| {
                    EngineError::invalid(
                        &task.action_location,
                        "import_tasks needs a file name (import_tasks: file.yml)",
                    )
                })?;
                if stackbook_template::is_template(&file) {
                    // Resolved at run time, like include_tasks.
                    continue;
                }
                if depth >= MAX_IMPORT_DEPTH {
                    return Err(EngineError::invalid(
                        &task.location,
                        format!("import_tasks nested too deeply (cycle?) at '{file}'"),
                    ));
                }
                let path = dir.join(&file);
                let display = display_dir.join(&file).display().to_string();
                if !path.is_file() {
                    return Err(EngineError::missing(
                        &task.action_location,
                        format!(
                            "Could not find or access '{file}' (looked in {})",
                            dir.display()
                        ),
                    ));
                }
                let document = load_single_file(&path, &display)?;
                let mut imported = parse_task_list(&document, registry)?;

                let next_dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
                let next_display = Path::new(&display)
                    .parent()
                    .map(Path::to_path_buf)
                    .unwrap_or_default();
                expand_imports(&mut imported, &next_dir, &next_display, registry, depth + 1)?;
                let keywords = Keywords {
                    when: task.keywords.when.clone(),
                    tags: task.keywords.tags.clone(),
                    vars: task.keywords.vars.clone(),
                    environment: task.keywords.environment.clone(),
                    ignore_errors: task.keywords.ignore_errors.clone(),
                    no_log: task.keywords.no_log.clone(),
                    check_mode: task.keywords.check_mode.clone(),
                    become_: task.keywords.become_.clone(),
                    ..Keywords::default()
                };
                *item = TaskItem::Block(Box::new(Block {
                    name: None,
                    block: imported,
                    rescue: Vec::new(),
                    always: Vec::new(),
                    keywords,
                    location: task.location.clone(),
                }));
            }
        }
    }
    Ok(())
}

/// `import_tasks: file.yml`, `import_tasks: {file: file.yml}`.
pub fn import_file_argument(args: &Node) -> Option<String> {
    match &args.value {
        NodeValue::String(text) => Some(text.trim().to_string()),
        NodeValue::Mapping(_) => args
            .get("file")
            .or_else(|| args.get("_raw_params"))
            .and_then(Node::scalar_text),
        _ => None,
    }
}

/// Expands `import_tasks` inside task files that are loaded later (roles).
pub fn expand_imports_in(
    items: &mut [TaskItem],
    dir: &Path,
    display_dir: &Path,
    registry: &Registry,
) -> Result<(), EngineError> {
    expand_imports(items, dir, display_dir, registry, 0)
}
