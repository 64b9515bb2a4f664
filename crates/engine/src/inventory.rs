//! Hosts, groups and their variables.
//!
//! Supports the implicit `localhost`, comma lists (`-i web1,web2,`), INI inventories
//! (`[group]`, `[group:vars]`, `[group:children]`, inline host vars) and YAML inventories
//! (`all: {hosts, children, vars}`), plus host patterns (`all`, groups, `a:b`, `a:&b`,
//! `a:!b`, `*` wildcards).

use std::collections::BTreeMap;
use std::path::Path;

use minijinja::Value;
use stackbook_syntax::{Node, NodeValue, load_documents};

use crate::error::EngineError;
use crate::value::node_to_value;

pub mod vars_dirs;

pub use vars_dirs::{VarsDirLevel, VarsDirs};

/// One host with its own variables.
#[derive(Debug, Clone)]
pub struct Host {
    /// The inventory name.
    pub name: String,
    /// Host variables (inline and `host_vars`).
    pub vars: Vec<(String, Value)>,
}

/// All hosts and groups.
#[derive(Debug, Clone, Default)]
pub struct Inventory {
    /// Hosts in inventory order.
    pub hosts: Vec<Host>,
    /// Group name → member host names (direct members and members of children).
    pub groups: BTreeMap<String, Vec<String>>,
    /// Group name → its variables.
    pub group_vars: BTreeMap<String, Vec<(String, Value)>>,
    children: BTreeMap<String, Vec<String>>,
    /// True when no inventory was given and `localhost` is implicit.
    pub implicit_localhost: bool,
    /// `group_vars/` and `host_vars/` folders beside the inventory and the playbook.
    pub vars_dirs: VarsDirs,
    /// The folders of the inventory sources, where their vars folders are looked for.
    pub source_dirs: Vec<std::path::PathBuf>,
    /// Problems that do not stop a run (ansible-core warns about them too), with their
    /// `file:line:column`; the run reports them as warnings.
    pub warnings: Vec<String>,
}

impl Inventory {
    /// The implicit inventory: just `localhost`, with a local connection.
    pub fn implicit() -> Inventory {
        let mut inventory = Inventory {
            implicit_localhost: true,
            ..Inventory::default()
        };
        inventory.hosts.push(Host {
            name: "localhost".into(),
            vars: Vec::new(),
        });
        // The implicit localhost is in no group, not even `all` (as in Ansible).
        inventory.groups.insert("all".into(), Vec::new());
        inventory.groups.insert("ungrouped".into(), Vec::new());
        inventory
    }

    /// Loads the given sources (files, directories, or comma-separated host lists).
    pub fn load(sources: &[String]) -> Result<Inventory, EngineError> {
        if sources.is_empty() {
            return Ok(Inventory::implicit());
        }
        let mut inventory = Inventory::default();
        for source in sources {
            let path = Path::new(source);
            if path.is_dir() {
                inventory.source_dirs.push(path.to_path_buf());
                let mut entries: Vec<_> = std::fs::read_dir(path)
                    .map_err(|e| {
                        EngineError::Fatal(format!(
                            "{source}: cannot read inventory directory: {e}"
                        ))
                    })?
                    .filter_map(Result::ok)
                    .map(|e| e.path())
                    .filter(|p| p.is_file())
                    .collect();
                entries.sort();
                for file in entries {
                    inventory.load_file(&file)?;
                }
            } else if path.is_file() {
                let dir = path
                    .parent()
                    .map(Path::to_path_buf)
                    .filter(|p| !p.as_os_str().is_empty())
                    .unwrap_or_else(|| ".".into());
                inventory.source_dirs.push(dir);
                inventory.load_file(path)?;
            } else if source.contains(',') {
                for host in source.split(',').map(str::trim).filter(|h| !h.is_empty()) {
                    inventory.add_host(host, "ungrouped");
                }
            } else {
                return Err(EngineError::Usage(format!(
                    "inventory source '{source}' does not exist"
                )));
            }
        }
        inventory.finish();
        Ok(inventory)
    }

    fn load_file(&mut self, path: &Path) -> Result<(), EngineError> {
        let display = path.display().to_string();
        let text = std::fs::read_to_string(path)
            .map_err(|e| EngineError::Fatal(format!("{display}: cannot read inventory: {e}")))?;
        let is_yaml = matches!(
            path.extension().and_then(|e| e.to_str()),
            Some("yml" | "yaml" | "json")
        );
        if is_yaml {
            let docs = load_documents(&text, &display)?;
            if let Some(doc) = docs.first() {
                self.load_yaml_group("all", doc)?;
            }
            Ok(())
        } else {
            self.load_ini(&text, &display)
        }
    }

    fn load_yaml_group(&mut self, group: &str, node: &Node) -> Result<(), EngineError> {
        let Some(entries) = node.as_mapping() else {
            return Ok(());
        };
        for (key, value) in entries {
            let key = key.scalar_text().unwrap_or_default();
            if ["hosts", "children", "vars"].contains(&key.as_str()) {
                continue;
            }
            // Top-level keys are groups (usually just `all`).
            if group == "all" && node.get("hosts").is_none() && node.get("children").is_none() {
                self.load_yaml_group_body(&key, value)?;
            }
        }
        if node.get("hosts").is_some()
            || node.get("children").is_some()
            || node.get("vars").is_some()
        {
            self.load_yaml_group_body(group, node)?;
        }
        Ok(())
    }

    fn load_yaml_group_body(&mut self, group: &str, node: &Node) -> Result<(), EngineError> {
        self.groups.entry(group.to_string()).or_default();
        if let Some(hosts) = node.get("hosts").and_then(Node::as_mapping) {
            for (name, vars) in hosts {
                let name = name.scalar_text().unwrap_or_default();
                for host in expand_range(&name) {
                    self.add_host(&host, group);
                    if let NodeValue::Mapping(entries) = &vars.value {
                        for (k, v) in entries {
                            let value = node_to_value(v, None, &mut Vec::new())?;
                            self.host_mut(&host)
                                .vars
                                .push((k.scalar_text().unwrap_or_default(), value));
                        }
                    }
                }
            }
        }
        if let Some(vars) = node.get("vars").and_then(Node::as_mapping) {
            for (k, v) in vars {
                let value = node_to_value(v, None, &mut Vec::new())?;
                self.group_vars
                    .entry(group.to_string())
                    .or_default()
                    .push((k.scalar_text().unwrap_or_default(), value));
            }
        }
        if let Some(children) = node.get("children").and_then(Node::as_mapping) {
            for (child, body) in children {
                let child = child.scalar_text().unwrap_or_default();
                self.children
                    .entry(group.to_string())
                    .or_default()
                    .push(child.clone());
                self.load_yaml_group_body(&child, body)?;
            }
        }
        Ok(())
    }

    fn load_ini(&mut self, text: &str, display: &str) -> Result<(), EngineError> {
        enum Section {
            Hosts(String),
            Vars(String),
            Children(String),
        }
        let mut section = Section::Hosts("ungrouped".to_string());
        // `[parent:children]` entries naming a group not defined (yet): (child, parent, line,
        // column). A later `[child]` or `[child:children]` section defines it.
        let mut pending: Vec<(String, String, usize, usize)> = Vec::new();
        for (number, raw_line) in text.lines().enumerate() {
            let line = raw_line.trim();
            if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
                continue;
            }
            if let Some(header) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
                section = match header.split_once(':') {
                    Some((group, "vars")) => Section::Vars(group.to_string()),
                    Some((group, "children")) => Section::Children(group.to_string()),
                    Some((_, other)) => {
                        return Err(EngineError::Fatal(format!(
                            "{display}:{}: unknown section suffix ':{other}' (expected :vars or :children)",
                            number + 1
                        )));
                    }
                    None => Section::Hosts(header.to_string()),
                };
                let (Section::Hosts(group) | Section::Vars(group) | Section::Children(group)) =
                    &section;
                if !matches!(section, Section::Vars(_)) {
                    pending.retain(|(child, ..)| child != group);
                }
                self.groups.entry(group.clone()).or_default();
                continue;
            }
            match &section {
                Section::Hosts(group) => {
                    let tokens = stackbook_syntax::kv::parse_kv(line);
                    let Some((None, host_pattern)) = tokens.first().cloned() else {
                        return Err(EngineError::Fatal(format!(
                            "{display}:{}: expected a host name",
                            number + 1
                        )));
                    };
                    // `host key` without `=value` (ansible-core: "Expected key=value host
                    // variable assignment").
                    if let Some((_, word)) = tokens.iter().skip(1).find(|(key, _)| key.is_none()) {
                        let column = raw_line.find(word.as_str()).map_or(1, |c| c + 1);
                        return Err(EngineError::Fatal(format!(
                            "{display}:{}:{column}: expected key=value host variable assignment, got: {word}",
                            number + 1
                        )));
                    }
                    for host in expand_range(&host_pattern) {
                        self.add_host(&host, group);
                        for (key, value) in tokens.iter().skip(1) {
                            if let Some(key) = key {
                                let value = ini_value(value);
                                self.host_mut(&host).vars.push((key.clone(), value));
                            }
                        }
                    }
                }
                Section::Vars(group) => {
                    let (key, value) = line.split_once('=').ok_or_else(|| {
                        EngineError::Fatal(format!(
                            "{display}:{}: expected key=value in [{group}:vars]",
                            number + 1
                        ))
                    })?;
                    let value = ini_value(&stackbook_syntax::kv::unquote(value.trim()));
                    self.group_vars
                        .entry(group.clone())
                        .or_default()
                        .push((key.trim().to_string(), value));
                }
                Section::Children(group) => {
                    self.children
                        .entry(group.clone())
                        .or_default()
                        .push(line.to_string());
                    if !self.groups.contains_key(line) {
                        let column = raw_line.find(line).map_or(1, |c| c + 1);
                        pending.push((line.to_string(), group.clone(), number + 1, column));
                    }
                }
            }
        }
        // Like ansible-core, a child group defined nowhere is reported and left out; the rest
        // of the file stays.
        for (child, parent, line, column) in pending {
            if let Some(children) = self.children.get_mut(&parent) {
                children.retain(|c| *c != child);
            }
            self.warnings.push(format!(
                "{display}:{line}:{column}: section [{parent}:children] includes undefined group '{child}'; it is ignored"
            ));
        }
        Ok(())
    }

    fn add_host(&mut self, name: &str, group: &str) {
        if !self.hosts.iter().any(|h| h.name == name) {
            self.hosts.push(Host {
                name: name.to_string(),
                vars: Vec::new(),
            });
        }
        let members = self.groups.entry(group.to_string()).or_default();
        if !members.iter().any(|m| m == name) {
            members.push(name.to_string());
        }
    }

    fn host_mut(&mut self, name: &str) -> &mut Host {
        let index = self.hosts.iter().position(|h| h.name == name).unwrap_or(0);
        &mut self.hosts[index]
    }

    /// Resolves children into member lists and builds `all` and `ungrouped`.
    fn finish(&mut self) {
        let groups: Vec<String> = self.groups.keys().cloned().collect();
        for group in groups {
            let mut members = Vec::new();
            self.collect_members(&group, &mut members, 0);
            self.groups.insert(group, members);
        }
        let all: Vec<String> = self.hosts.iter().map(|h| h.name.clone()).collect();
        self.groups.insert("all".into(), all);
        let grouped: Vec<String> = self
            .groups
            .iter()
            .filter(|(g, _)| g.as_str() != "all" && g.as_str() != "ungrouped")
            .flat_map(|(_, m)| m.clone())
            .collect();
        let ungrouped: Vec<String> = self
            .hosts
            .iter()
            .map(|h| h.name.clone())
            .filter(|h| !grouped.contains(h))
            .collect();
        self.groups.insert("ungrouped".into(), ungrouped);
    }

    fn collect_members(&self, group: &str, out: &mut Vec<String>, depth: usize) {
        if depth > 32 {
            return;
        }
        for host in self.groups.get(group).into_iter().flatten() {
            if !out.contains(host) {
                out.push(host.clone());
            }
        }
        for child in self.children.get(group).into_iter().flatten() {
            self.collect_members(child, out, depth + 1);
        }
    }

    /// Parent groups of `group` (for variable precedence), outermost first.
    pub fn groups_of(&self, host: &str) -> Vec<String> {
        let mut groups: Vec<String> = vec!["all".to_string()];
        for (group, members) in &self.groups {
            if group != "all" && members.iter().any(|m| m == host) {
                groups.push(group.clone());
            }
        }
        groups
    }

    /// Hosts matching an Ansible host pattern, in inventory order.
    pub fn select(&self, pattern: &str) -> Vec<String> {
        let mut selected: Vec<String> = Vec::new();
        for (index, part) in pattern
            .split([':', ','])
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .enumerate()
        {
            if let Some(intersect) = part.strip_prefix('&') {
                let matching = self.match_one(intersect);
                selected.retain(|h| matching.contains(h));
            } else if let Some(exclude) = part.strip_prefix('!') {
                let matching = self.match_one(exclude);
                selected.retain(|h| !matching.contains(h));
            } else {
                let _ = index;
                for host in self.match_one(part) {
                    if !selected.contains(&host) {
                        selected.push(host);
                    }
                }
            }
        }
        selected
    }

    fn match_one(&self, pattern: &str) -> Vec<String> {
        if pattern == "all" || pattern == "*" {
            return self.groups.get("all").cloned().unwrap_or_default();
        }

        if let Some(members) = self.groups.get(pattern) {
            return members.clone();
        }
        if self.hosts.iter().any(|h| h.name == pattern) {
            return vec![pattern.to_string()];
        }
        if pattern.contains('*') {
            let mut out: Vec<String> = self
                .hosts
                .iter()
                .filter(|h| wildcard(pattern, &h.name))
                .map(|h| h.name.clone())
                .collect();
            for (group, members) in &self.groups {
                if wildcard(pattern, group) {
                    out.extend(members.iter().cloned());
                }
            }
            return out;
        }
        // Ansible lets `localhost` be targeted even when it is not in the inventory.
        if pattern == "localhost" || pattern == "127.0.0.1" {
            return vec![pattern.to_string()];
        }
        Vec::new()
    }

    /// Ensures an implicit localhost exists when a play targets it explicitly.
    pub fn ensure_host(&mut self, name: &str) {
        if !self.hosts.iter().any(|h| h.name == name) {
            self.hosts.push(Host {
                name: name.to_string(),
                vars: Vec::new(),
            });
        }
    }

    /// A host's variables from the inventory, merged in Ansible's order: inventory-file group
    /// vars, `group_vars/all` beside the inventory then beside the playbook, the other
    /// groups' `group_vars` (inventory, then playbook), inventory-file host vars, then
    /// `host_vars` (inventory, then playbook). Later entries win.
    pub fn merged_vars(&self, host: &str) -> Vec<(String, Value)> {
        let dirs = &self.vars_dirs;
        let groups = self.groups_of(host);
        let mut vars = Vec::new();
        let mut extend = |source: Option<&Vec<(String, Value)>>| {
            if let Some(source) = source {
                vars.extend(source.iter().cloned());
            }
        };
        for group in &groups {
            extend(self.group_vars.get(group));
        }
        extend(dirs.inventory_groups.get("all"));
        extend(dirs.playbook_groups.get("all"));
        for group in groups.iter().filter(|g| g.as_str() != "all") {
            extend(dirs.inventory_groups.get(group));
            extend(dirs.playbook_groups.get(group));
        }
        extend(self.host(host).map(|entry| &entry.vars));
        extend(dirs.inventory_hosts.get(host));
        extend(dirs.playbook_hosts.get(host));
        vars
    }

    /// Direct child groups of a group.
    pub fn children_of(&self, group: &str) -> &[String] {
        self.children
            .get(group)
            .map(Vec::as_slice)
            .unwrap_or_default()
    }

    /// The host's own variables.
    pub fn host(&self, name: &str) -> Option<&Host> {
        self.hosts.iter().find(|h| h.name == name)
    }
}

fn ini_value(text: &str) -> Value {
    match stackbook_syntax::yaml::resolve_plain_scalar(text) {
        NodeValue::Bool(b)
            if text == "True" || text == "False" || text == "true" || text == "false" =>
        {
            Value::from(b)
        }
        NodeValue::Int(i) => Value::from(i),
        NodeValue::Float(f) => Value::from(f),
        _ => Value::from(text),
    }
}

/// `db[01:03]` → `db01 db02 db03`; `[a:c]` letters too.
fn expand_range(pattern: &str) -> Vec<String> {
    let (Some(open), Some(close)) = (pattern.find('['), pattern.find(']')) else {
        return vec![pattern.to_string()];
    };
    if close < open {
        return vec![pattern.to_string()];
    }
    let (prefix, rest) = pattern.split_at(open);
    let inner = &rest[1..close - open];
    let suffix = &rest[close - open + 1..];
    let Some((start, end)) = inner.split_once(':') else {
        return vec![pattern.to_string()];
    };
    let mut out = Vec::new();
    if let (Ok(a), Ok(b)) = (start.parse::<u64>(), end.parse::<u64>()) {
        let width = start.len();
        for n in a..=b.min(a + 100_000) {
            out.extend(expand_range(&format!("{prefix}{n:0width$}{suffix}")));
        }
    } else if let (Some(a), Some(b)) = (start.chars().next(), end.chars().next()) {
        for c in a..=b {
            out.extend(expand_range(&format!("{prefix}{c}{suffix}")));
        }
    }
    out
}

fn wildcard(pattern: &str, text: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    let mut rest = text;
    for (i, part) in parts.iter().enumerate() {
        if i == 0 {
            if !rest.starts_with(part) {
                return false;
            }
            rest = &rest[part.len()..];
        } else if i == parts.len() - 1 {
            return rest.ends_with(part);
        } else if let Some(pos) = rest.find(part) {
            rest = &rest[pos + part.len()..];
        } else {
            return false;
        }
    }
    rest.is_empty() || parts.len() > 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ini_groups_children_and_patterns() {
        let mut inventory = Inventory::default();
        inventory
            .load_ini("[db]\ndb[01:03] port=5432\n[web]\nweb1\n[prod:children]\ndb\nweb\n[db:vars]\nrole=primary\n", "hosts.ini")
            .unwrap();
        inventory.finish();
        assert_eq!(inventory.select("db"), vec!["db01", "db02", "db03"]);
        assert_eq!(inventory.select("prod:!web"), vec!["db01", "db02", "db03"]);
        assert_eq!(inventory.select("prod:&web"), vec!["web1"]);
        assert_eq!(inventory.select("db0*"), vec!["db01", "db02", "db03"]);
        assert_eq!(inventory.host("db02").unwrap().vars[0].1, Value::from(5432));
        assert_eq!(inventory.group_vars["db"][0].1.as_str(), Some("primary"));
    }
}
