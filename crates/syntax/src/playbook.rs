//! The playbook AST: plays, blocks and tasks with every keyword checked and located.
//!
//! Parsing needs to know which names are modules (to tell `debug:` from a misspelled
//! keyword), so callers pass a [`ModuleNames`] predicate; the engine's registry provides it.

use std::sync::Arc;

use crate::did_you_mean;
use crate::error::SyntaxError;
use crate::keywords::{BLOCK_KEYWORDS, PLAY_KEYWORDS, TASK_KEYWORDS, WITH_LOOPS};
use crate::location::Location;
use crate::yaml::{Node, NodeValue};

/// Answers "is this a module or action name?" and lists names for suggestions.
pub trait ModuleNames {
    /// True when `name` (short or fully qualified) is a known module or action.
    fn is_module(&self, name: &str) -> bool;
    /// All known names, for did-you-mean hints.
    fn all_names(&self) -> Vec<&str>;
}

/// A whole playbook file.
#[derive(Debug, Clone)]
pub struct Playbook {
    /// The file as the user named it.
    pub path: Arc<str>,
    /// Its plays in order.
    pub plays: Vec<Play>,
}

/// One play.
#[derive(Debug, Clone)]
pub struct Play {
    /// `name:` (may contain templates).
    pub name: Option<String>,
    /// `hosts:` pattern: a string or a list.
    pub hosts: Node,
    /// `gather_facts:`.
    pub gather_facts: Option<Node>,
    /// `vars:` in source order.
    pub vars: Vec<(String, Node)>,
    /// `vars_files:` entries (templated paths; a nested list means "first found").
    pub vars_files: Vec<Node>,
    /// `pre_tasks:`.
    pub pre_tasks: Vec<TaskItem>,
    /// `roles:` entries, unparsed until roles land.
    pub roles: Vec<Node>,
    /// `tasks:`.
    pub tasks: Vec<TaskItem>,
    /// `post_tasks:`.
    pub post_tasks: Vec<TaskItem>,
    /// `handlers:`.
    pub handlers: Vec<TaskItem>,
    /// Keywords inherited by every task of the play.
    pub keywords: Keywords,
    /// `force_handlers:`.
    pub force_handlers: Option<Node>,
    /// `any_errors_fatal:`.
    pub any_errors_fatal: Option<Node>,
    /// `serial:` batch sizes (an int, `"30%"`, or a list of them).
    pub serial: Option<Node>,
    /// `max_fail_percentage:`.
    pub max_fail_percentage: Option<Node>,
    /// Where the play starts.
    pub location: Location,
}

/// A task or a block.
#[derive(Debug, Clone)]
pub enum TaskItem {
    /// A single task.
    Task(Box<Task>),
    /// `block:` with optional `rescue:` and `always:`.
    Block(Box<Block>),
}

/// A `block:`.
#[derive(Debug, Clone)]
pub struct Block {
    /// `name:`.
    pub name: Option<String>,
    /// The tasks of the block.
    pub block: Vec<TaskItem>,
    /// Run when a task of `block` fails.
    pub rescue: Vec<TaskItem>,
    /// Always run.
    pub always: Vec<TaskItem>,
    /// Keywords inherited by the block's tasks.
    pub keywords: Keywords,
    /// Where the block starts.
    pub location: Location,
}

/// A single task.
#[derive(Debug, Clone)]
pub struct Task {
    /// `name:` (may contain templates).
    pub name: Option<String>,
    /// The module or action as written (`debug`, `ansible.builtin.debug`, …).
    pub action: String,
    /// Its arguments: a mapping, or a free-form string (`command: ls -l`), merged with `args:`.
    pub args: Node,
    /// The location of the module key, for argument errors.
    pub action_location: Location,
    /// Task keywords.
    pub keywords: Keywords,
    /// Where the task starts.
    pub location: Location,
}

/// How a loop was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoopKind {
    /// `loop:`
    Loop,
    /// `with_<name>:` (name without the `with_` prefix).
    With(String),
}

/// A task's loop source.
#[derive(Debug, Clone)]
pub struct LoopSource {
    /// How it was written.
    pub kind: LoopKind,
    /// The list or template.
    pub items: Node,
}

/// Keywords shared by plays, blocks and tasks. Values stay as nodes: most may be templated.
#[derive(Debug, Clone, Default)]
pub struct Keywords {
    /// `when:` conditions, AND-ed.
    pub when: Vec<Node>,
    /// `tags:`.
    pub tags: Vec<String>,
    /// `vars:`.
    pub vars: Vec<(String, Node)>,
    /// `environment:` (a mapping or a template of one).
    pub environment: Option<Node>,
    /// `ignore_errors:`.
    pub ignore_errors: Option<Node>,
    /// `no_log:`.
    pub no_log: Option<Node>,
    /// `check_mode:`.
    pub check_mode: Option<Node>,
    /// `diff:`.
    pub diff: Option<Node>,
    /// `delegate_to:`.
    pub delegate_to: Option<Node>,
    /// `run_once:`.
    pub run_once: Option<Node>,
    /// `become:` and friends are accepted and have no effect for local connections.
    pub become_: Option<Node>,
    /// `loop:` / `with_*:`.
    pub loop_source: Option<LoopSource>,
    /// `loop_control:`.
    pub loop_control: Option<Node>,
    /// `register:`.
    pub register: Option<String>,
    /// `changed_when:` conditions (OR-ed? no: AND-ed, as Ansible does).
    pub changed_when: Option<Vec<Node>>,
    /// `failed_when:` conditions, AND-ed.
    pub failed_when: Option<Vec<Node>>,
    /// `until:` conditions.
    pub until: Option<Vec<Node>>,
    /// `retries:`.
    pub retries: Option<Node>,
    /// `delay:`.
    pub delay: Option<Node>,
    /// `notify:` handler names or topics.
    pub notify: Vec<String>,
    /// `listen:` topics (handlers only).
    pub listen: Vec<String>,
    /// `any_errors_fatal:` on a block or task.
    pub any_errors_fatal: Option<Node>,
}

/// Parses a playbook document (a list of plays).
pub fn parse_playbook(
    document: &Node,
    path: Arc<str>,
    modules: &dyn ModuleNames,
) -> Result<Playbook, SyntaxError> {
    let plays_node = match &document.value {
        NodeValue::Sequence(items) => items,
        NodeValue::Null => {
            return Ok(Playbook {
                path,
                plays: Vec::new(),
            });
        }
        _ => {
            return Err(SyntaxError::invalid(
                &document.location,
                format!(
                    "a playbook must be a list of plays, but this is {}",
                    document.type_name()
                ),
            ));
        }
    };
    let mut plays = Vec::new();
    for play in plays_node {
        plays.push(parse_play(play, modules)?);
    }
    Ok(Playbook { path, plays })
}

/// Parses a task file (a list of tasks and blocks), as used by `include_tasks`/`import_tasks`.
pub fn parse_task_list(
    document: &Node,
    modules: &dyn ModuleNames,
) -> Result<Vec<TaskItem>, SyntaxError> {
    match &document.value {
        NodeValue::Null => Ok(Vec::new()),
        NodeValue::Sequence(items) => items
            .iter()
            .map(|item| parse_task_item(item, modules))
            .collect(),
        _ => Err(SyntaxError::invalid(
            &document.location,
            format!(
                "a task list must be a list of tasks, but this is {}",
                document.type_name()
            ),
        )),
    }
}

fn mapping<'a>(node: &'a Node, what: &str) -> Result<&'a [(Node, Node)], SyntaxError> {
    node.as_mapping().ok_or_else(|| {
        SyntaxError::invalid(
            &node.location,
            format!("{what} must be a mapping, but this is {}", node.type_name()),
        )
    })
}

fn key_text(key: &Node) -> Result<String, SyntaxError> {
    key.scalar_text()
        .ok_or_else(|| SyntaxError::invalid(&key.location, "mapping keys must be scalars"))
}

fn parse_play(node: &Node, modules: &dyn ModuleNames) -> Result<Play, SyntaxError> {
    let entries = mapping(node, "a play")?;
    if node.get("import_playbook").is_some()
        || node.get("ansible.builtin.import_playbook").is_some()
    {
        return Err(SyntaxError::invalid(
            &node.location,
            "import_playbook is not supported yet; run the playbooks one after the other",
        ));
    }
    let mut play = Play {
        name: None,
        hosts: Node::new(NodeValue::Null, node.location.clone()),
        gather_facts: None,
        vars: Vec::new(),
        vars_files: Vec::new(),
        pre_tasks: Vec::new(),
        roles: Vec::new(),
        tasks: Vec::new(),
        post_tasks: Vec::new(),
        handlers: Vec::new(),
        keywords: Keywords::default(),
        force_handlers: None,
        any_errors_fatal: None,
        serial: None,
        max_fail_percentage: None,
        location: node.location.clone(),
    };
    let mut has_hosts = false;
    for (key, value) in entries {
        let name = key_text(key)?;
        match name.as_str() {
            "name" => play.name = value.scalar_text(),
            "hosts" => {
                has_hosts = true;
                play.hosts = value.clone();
            }
            "gather_facts" => play.gather_facts = Some(value.clone()),
            "vars" => play.vars = parse_vars(value)?,
            "vars_files" => play.vars_files = list_of_nodes(value),
            "pre_tasks" => play.pre_tasks = parse_task_section(value, modules, "pre_tasks")?,
            "tasks" => play.tasks = parse_task_section(value, modules, "tasks")?,
            "post_tasks" => play.post_tasks = parse_task_section(value, modules, "post_tasks")?,
            "handlers" => play.handlers = parse_task_section(value, modules, "handlers")?,
            "roles" => play.roles = list_of_nodes(value),
            "force_handlers" => play.force_handlers = Some(value.clone()),
            "any_errors_fatal" => play.any_errors_fatal = Some(value.clone()),
            "serial" => play.serial = Some(value.clone()),
            "max_fail_percentage" => play.max_fail_percentage = Some(value.clone()),
            other if PLAY_KEYWORDS.contains(&other) => {
                apply_common_keyword(&mut play.keywords, other, value)?;
            }
            other => {
                let hint = did_you_mean::hint(other, PLAY_KEYWORDS.iter().copied());
                return Err(SyntaxError::invalid(
                    &key.location,
                    format!("'{other}' is not a valid attribute for a play{hint}"),
                ));
            }
        }
    }
    if !has_hosts {
        return Err(SyntaxError::invalid(
            &node.location,
            "the field 'hosts' is required but was not set",
        ));
    }
    Ok(play)
}

fn parse_task_section(
    node: &Node,
    modules: &dyn ModuleNames,
    section: &str,
) -> Result<Vec<TaskItem>, SyntaxError> {
    match &node.value {
        NodeValue::Null => Ok(Vec::new()),
        NodeValue::Sequence(items) => items
            .iter()
            .map(|item| parse_task_item(item, modules))
            .collect(),
        _ => Err(SyntaxError::invalid(
            &node.location,
            format!(
                "'{section}' must be a list of tasks, but this is {}",
                node.type_name()
            ),
        )),
    }
}

fn parse_task_item(node: &Node, modules: &dyn ModuleNames) -> Result<TaskItem, SyntaxError> {
    let entries = mapping(node, "a task")?;
    let is_block = entries.iter().any(|(k, _)| k.as_str() == Some("block"));
    if is_block {
        parse_block(node, entries, modules).map(|b| TaskItem::Block(Box::new(b)))
    } else {
        parse_task(node, entries, modules).map(|t| TaskItem::Task(Box::new(t)))
    }
}

fn parse_block(
    node: &Node,
    entries: &[(Node, Node)],
    modules: &dyn ModuleNames,
) -> Result<Block, SyntaxError> {
    let mut block = Block {
        name: None,
        block: Vec::new(),
        rescue: Vec::new(),
        always: Vec::new(),
        keywords: Keywords::default(),
        location: node.location.clone(),
    };
    for (key, value) in entries {
        let name = key_text(key)?;
        match name.as_str() {
            "name" => block.name = value.scalar_text(),
            "block" => block.block = parse_task_section(value, modules, "block")?,
            "rescue" => block.rescue = parse_task_section(value, modules, "rescue")?,
            "always" => block.always = parse_task_section(value, modules, "always")?,
            other if BLOCK_KEYWORDS.contains(&other) => {
                apply_common_keyword(&mut block.keywords, other, value)?
            }
            other => {
                let hint = did_you_mean::hint(other, BLOCK_KEYWORDS.iter().copied());
                return Err(SyntaxError::invalid(
                    &key.location,
                    format!("'{other}' is not a valid attribute for a block{hint}"),
                ));
            }
        }
    }
    Ok(block)
}

fn parse_task(
    node: &Node,
    entries: &[(Node, Node)],
    modules: &dyn ModuleNames,
) -> Result<Task, SyntaxError> {
    let mut name = None;
    let mut action: Option<(String, Node, Location)> = None;
    let mut extra_args: Option<Node> = None;
    let mut keywords = Keywords::default();
    for (key, value) in entries {
        let key_name = key_text(key)?;
        match key_name.as_str() {
            "name" => name = value.scalar_text(),
            "args" => extra_args = Some(value.clone()),
            "action" | "local_action" => {
                let (module, args) = split_action_keyword(value)?;
                set_action(&mut action, module, args, key.location.clone())?;
                if key_name == "local_action" {
                    keywords.delegate_to = Some(Node::new(
                        NodeValue::String("localhost".into()),
                        key.location.clone(),
                    ));
                }
            }
            other if TASK_KEYWORDS.contains(&other) => {
                apply_common_keyword(&mut keywords, other, value)?
            }
            other if other.starts_with("with_") => {
                if !WITH_LOOPS.contains(&other) {
                    return Err(SyntaxError::invalid(
                        &key.location,
                        format!(
                            "'{other}' is not a supported loop{}",
                            did_you_mean::hint(other, WITH_LOOPS.iter().copied())
                        ),
                    ));
                }
                set_loop(
                    &mut keywords,
                    LoopKind::With(other.trim_start_matches("with_").to_string()),
                    value,
                )?;
            }
            other if modules.is_module(other) => {
                set_action(
                    &mut action,
                    other.to_string(),
                    value.clone(),
                    key.location.clone(),
                )
                .map_err(|error| at_task(error, &node.location))?;
            }
            other => {
                let mut candidates: Vec<&str> = TASK_KEYWORDS.to_vec();
                candidates.extend(modules.all_names());
                let hint = did_you_mean::hint(other, candidates);
                let message = if action.is_some() || entries.len() > 1 && hint.is_empty() {
                    format!(
                        "'{other}' is not a valid task keyword, and no module or action named '{other}' is known{hint}"
                    )
                } else {
                    format!("couldn't resolve module/action '{other}'{hint}")
                };
                return Err(at_task(
                    SyntaxError::invalid(&key.location, message),
                    &node.location,
                ));
            }
        }
    }
    let Some((action, mut args, action_location)) = action else {
        return Err(SyntaxError::invalid(
            &node.location,
            "no module/action detected in task (expected one of the known modules, e.g. 'debug:')",
        ));
    };
    if let Some(extra) = extra_args {
        args = merge_args(args, extra)?;
    }
    Ok(Task {
        name,
        action,
        args,
        action_location,
        keywords,
        location: node.location.clone(),
    })
}

fn set_action(
    slot: &mut Option<(String, Node, Location)>,
    module: String,
    args: Node,
    location: Location,
) -> Result<(), SyntaxError> {
    if let Some((existing, _, _)) = slot {
        return Err(SyntaxError::invalid(
            &location,
            format!("conflicting action statements: {existing}, {module}"),
        ));
    }
    *slot = Some((module, args, location));
    Ok(())
}

/// Points an error at the start of its task, as ansible-core does, keeping the exact key
/// position in the message.
fn at_task(error: SyntaxError, task_location: &Location) -> SyntaxError {
    match error {
        SyntaxError::Invalid { location, message } => SyntaxError::Invalid {
            message: format!(
                "{message} (line {}, column {})",
                location.line, location.column
            ),
            location: task_location.clone(),
        },
        other => other,
    }
}

/// `action: debug msg=hi` or `action: {module: debug, msg: hi}`.
fn split_action_keyword(value: &Node) -> Result<(String, Node), SyntaxError> {
    match &value.value {
        NodeValue::String(text) => {
            let trimmed = text.trim_start();
            let (module, rest) = trimmed
                .split_once(char::is_whitespace)
                .unwrap_or((trimmed, ""));
            Ok((
                module.to_string(),
                Node::new(
                    NodeValue::String(rest.trim().to_string()),
                    value.location.clone(),
                ),
            ))
        }
        NodeValue::Mapping(entries) => {
            let module = value.get("module").and_then(Node::as_str).ok_or_else(|| {
                SyntaxError::invalid(&value.location, "'action' mapping needs a 'module' key")
            })?;
            let rest: Vec<(Node, Node)> = entries
                .iter()
                .filter(|(k, _)| k.as_str() != Some("module"))
                .cloned()
                .collect();
            Ok((
                module.to_string(),
                Node::new(NodeValue::Mapping(rest), value.location.clone()),
            ))
        }
        _ => Err(SyntaxError::invalid(
            &value.location,
            "'action' must be a string or a mapping",
        )),
    }
}

fn merge_args(args: Node, extra: Node) -> Result<Node, SyntaxError> {
    let Some(extra_entries) = extra.as_mapping() else {
        return Err(SyntaxError::invalid(
            &extra.location,
            "'args' must be a mapping",
        ));
    };
    match args.value {
        NodeValue::Mapping(mut entries) => {
            for (key, value) in extra_entries {
                if !entries.iter().any(|(k, _)| k.value == key.value) {
                    entries.push((key.clone(), value.clone()));
                }
            }
            Ok(Node::new(NodeValue::Mapping(entries), args.location))
        }
        NodeValue::Null => Ok(extra),
        NodeValue::String(raw) => {
            let mut entries = extra_entries.to_vec();
            entries.insert(
                0,
                (
                    Node::new(
                        NodeValue::String("_raw_params".into()),
                        args.location.clone(),
                    ),
                    Node::new(NodeValue::String(raw), args.location.clone()),
                ),
            );
            Ok(Node::new(NodeValue::Mapping(entries), args.location))
        }
        _ => Err(SyntaxError::invalid(
            &args.location,
            "module arguments must be a mapping or a string",
        )),
    }
}

fn set_loop(keywords: &mut Keywords, kind: LoopKind, value: &Node) -> Result<(), SyntaxError> {
    if keywords.loop_source.is_some() {
        return Err(SyntaxError::invalid(
            &value.location,
            "a task can have only one loop (loop or with_*)",
        ));
    }
    keywords.loop_source = Some(LoopSource {
        kind,
        items: value.clone(),
    });
    Ok(())
}

fn apply_common_keyword(
    keywords: &mut Keywords,
    name: &str,
    value: &Node,
) -> Result<(), SyntaxError> {
    match name {
        "when" => keywords.when = conditions(value),
        "tags" => keywords.tags = string_list(value),
        "vars" => keywords.vars = parse_vars(value)?,
        "environment" => keywords.environment = Some(value.clone()),
        "ignore_errors" => keywords.ignore_errors = Some(value.clone()),
        "no_log" => keywords.no_log = Some(value.clone()),
        "check_mode" => keywords.check_mode = Some(value.clone()),
        "diff" => keywords.diff = Some(value.clone()),
        "delegate_to" => keywords.delegate_to = Some(value.clone()),
        "run_once" => keywords.run_once = Some(value.clone()),
        "become" => keywords.become_ = Some(value.clone()),
        "loop" => set_loop(keywords, LoopKind::Loop, value)?,
        "loop_control" => {
            mapping(value, "'loop_control'")?;
            keywords.loop_control = Some(value.clone());
        }
        "register" => {
            let text = value.as_str().ok_or_else(|| {
                SyntaxError::invalid(&value.location, "'register' must be a variable name")
            })?;
            if !is_valid_var_name(text) {
                return Err(SyntaxError::invalid(
                    &value.location,
                    format!("invalid variable name in 'register': '{text}'"),
                ));
            }
            keywords.register = Some(text.to_string());
        }
        "changed_when" => keywords.changed_when = Some(conditions(value)),
        "failed_when" => keywords.failed_when = Some(conditions(value)),
        "until" => keywords.until = Some(conditions(value)),
        "retries" => keywords.retries = Some(value.clone()),
        "delay" => keywords.delay = Some(value.clone()),
        "notify" => keywords.notify = string_list(value),
        "listen" => keywords.listen = string_list(value),
        "any_errors_fatal" => keywords.any_errors_fatal = Some(value.clone()),
        // Accepted and documented as having no effect for local execution.
        _ => {}
    }
    Ok(())
}

/// True for names Ansible accepts as variables.
pub fn is_valid_var_name(text: &str) -> bool {
    let mut chars = text.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn conditions(value: &Node) -> Vec<Node> {
    match &value.value {
        NodeValue::Sequence(items) => items.clone(),
        NodeValue::Null => Vec::new(),
        _ => vec![value.clone()],
    }
}

fn string_list(value: &Node) -> Vec<String> {
    match &value.value {
        NodeValue::Sequence(items) => items.iter().filter_map(Node::scalar_text).collect(),
        NodeValue::String(text) => text
            .split(',')
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect(),
        NodeValue::Null => Vec::new(),
        _ => value.scalar_text().into_iter().collect(),
    }
}

fn list_of_nodes(value: &Node) -> Vec<Node> {
    match &value.value {
        NodeValue::Sequence(items) => items.clone(),
        NodeValue::Null => Vec::new(),
        _ => vec![value.clone()],
    }
}

/// Parses a `vars:` mapping (or a list of single-key mappings, which Ansible also accepts).
pub fn parse_vars(value: &Node) -> Result<Vec<(String, Node)>, SyntaxError> {
    let mut vars = Vec::new();
    match &value.value {
        NodeValue::Null => {}
        NodeValue::Mapping(entries) => {
            for (key, value) in entries {
                vars.push((key_text(key)?, value.clone()));
            }
        }
        NodeValue::Sequence(items) => {
            for item in items {
                for (key, value) in mapping(item, "each item of 'vars'")? {
                    vars.push((key_text(key)?, value.clone()));
                }
            }
        }
        _ => {
            return Err(SyntaxError::invalid(
                &value.location,
                format!(
                    "'vars' must be a mapping, but this is {}",
                    value.type_name()
                ),
            ));
        }
    }
    for (name, node) in &vars {
        if !is_valid_var_name(name) {
            return Err(SyntaxError::invalid(
                &node.location,
                format!("invalid variable name: '{name}'"),
            ));
        }
    }
    Ok(vars)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml::load_documents;

    struct Known;
    impl ModuleNames for Known {
        fn is_module(&self, name: &str) -> bool {
            matches!(
                name,
                "debug" | "ansible.builtin.debug" | "set_fact" | "command"
            )
        }
        fn all_names(&self) -> Vec<&str> {
            vec!["debug", "set_fact", "command"]
        }
    }

    fn parse(text: &str) -> Result<Playbook, SyntaxError> {
        let docs = load_documents(text, "play.yml")?;
        parse_playbook(&docs[0], Arc::from("play.yml"), &Known)
    }

    #[test]
    fn parses_tasks_blocks_and_keywords() {
        let book = parse(
            "- hosts: localhost\n  tasks:\n    - name: one\n      debug: msg=hi\n      when: x\n      with_items: [1, 2]\n    - block:\n        - command: ls\n      rescue:\n        - debug: {}\n",
        )
        .unwrap();
        let play = &book.plays[0];
        assert_eq!(play.tasks.len(), 2);
        let TaskItem::Task(task) = &play.tasks[0] else {
            panic!("task expected")
        };
        assert_eq!(task.action, "debug");
        assert_eq!(task.keywords.when.len(), 1);
        assert_eq!(
            task.keywords.loop_source.as_ref().unwrap().kind,
            LoopKind::With("items".into())
        );
        assert!(matches!(play.tasks[1], TaskItem::Block(_)));
    }

    #[test]
    fn unknown_keyword_suggests_the_right_one() {
        let error = parse("- hosts: localhost\n  tasks:\n    - debug: msg=hi\n      whne: x\n")
            .unwrap_err();
        let text = error.to_string();
        assert!(text.starts_with("play.yml:3:7:"), "{text}");
        assert!(text.contains("(line 4, column 7)"), "{text}");
        assert!(text.contains("did you mean 'when'?"), "{text}");
    }

    #[test]
    fn unknown_module_is_reported() {
        let error = parse("- hosts: localhost\n  tasks:\n    - debgu: msg=hi\n").unwrap_err();
        let text = error.to_string();
        assert!(
            text.contains("couldn't resolve module/action 'debgu'"),
            "{text}"
        );
        assert!(text.contains("did you mean 'debug'?"), "{text}");
    }

    #[test]
    fn two_modules_conflict() {
        let error = parse("- hosts: localhost\n  tasks:\n    - debug: msg=hi\n      command: ls\n")
            .unwrap_err();
        assert!(
            error.to_string().contains("conflicting action statements"),
            "{error}"
        );
    }

    #[test]
    fn play_needs_hosts() {
        let error = parse("- name: x\n  tasks: []\n").unwrap_err();
        assert!(error.to_string().contains("'hosts' is required"), "{error}");
    }

    #[test]
    fn unknown_play_keyword() {
        let error = parse("- hosts: all\n  taks: []\n").unwrap_err();
        assert!(
            error.to_string().contains("did you mean 'tasks'?"),
            "{error}"
        );
    }
}
