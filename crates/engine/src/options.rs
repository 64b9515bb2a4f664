//! What the command line asks of a run, resolved and validated.

use std::path::PathBuf;

/// Options of one `stackbook play` run.
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    /// `--check`: report what would change without changing it.
    pub check: bool,
    /// `--diff`: show differences of changed files/objects.
    pub diff: bool,
    /// `--tags`: run only tasks with these tags (empty = all).
    pub tags: Vec<String>,
    /// `--skip-tags`.
    pub skip_tags: Vec<String>,
    /// `--limit` host pattern.
    pub limit: Option<String>,
    /// `--start-at-task`.
    pub start_at_task: Option<String>,
    /// `-v` count.
    pub verbosity: u8,
    /// `--forks`: hosts that run a task at the same time (0 counts as 1).
    pub forks: usize,
    /// `--force-handlers`.
    pub force_handlers: bool,
    /// Extra variables, in command-line order (later win).
    pub extra_vars: Vec<(String, minijinja::Value)>,
    /// Inventory sources (`-i`).
    pub inventories: Vec<String>,
    /// Extra role search paths.
    pub roles_path: Vec<PathBuf>,
}

/// Ansible's tag selection: `all` (default), `tagged`, `untagged`, and the special `always`
/// (runs unless skipped explicitly) and `never` (runs only when asked for).
pub fn tags_selected(options: &RunOptions, task_tags: &[String]) -> bool {
    let has = |tag: &str| task_tags.iter().any(|t| t == tag);
    let wanted = |tag: &str| options.tags.iter().any(|t| t == tag);
    let skipped = |tag: &str| options.skip_tags.iter().any(|t| t == tag);

    if task_tags.iter().any(|t| skipped(t))
        || (skipped("tagged") && !task_tags.is_empty())
        || (skipped("untagged") && task_tags.is_empty())
    {
        return false;
    }
    if skipped("all") && !has("always") {
        return false;
    }
    if options.tags.is_empty() || wanted("all") {
        // `never` tasks run only when one of their other tags is asked for.
        return !has("never");
    }
    if has("always") {
        return true;
    }
    if wanted("tagged") && !task_tags.is_empty() && !has("never") {
        return true;
    }
    if wanted("untagged") && task_tags.is_empty() {
        return true;
    }
    task_tags.iter().any(|t| t != "never" && wanted(t)) || (has("never") && wanted("never"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts(tags: &[&str], skip: &[&str]) -> RunOptions {
        RunOptions {
            tags: tags.iter().map(|s| s.to_string()).collect(),
            skip_tags: skip.iter().map(|s| s.to_string()).collect(),
            ..RunOptions::default()
        }
    }

    fn t(tags: &[&str]) -> Vec<String> {
        tags.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn tag_rules() {
        assert!(tags_selected(&opts(&[], &[]), &t(&[])));
        assert!(!tags_selected(&opts(&[], &[]), &t(&["never"])));
        assert!(tags_selected(&opts(&["db"], &[]), &t(&["db"])));
        assert!(!tags_selected(&opts(&["db"], &[]), &t(&["web"])));
        assert!(tags_selected(&opts(&["db"], &[]), &t(&["always"])));
        assert!(!tags_selected(&opts(&[], &["always"]), &t(&["always"])));
        assert!(tags_selected(&opts(&["never"], &[]), &t(&["never"])));
        assert!(tags_selected(&opts(&["untagged"], &[]), &t(&[])));
        assert!(!tags_selected(&opts(&[], &["db"]), &t(&["db", "x"])));
    }
}
