//! `stackbook inventory --list | --graph | --host H`: the inventory as ansible-inventory shows
//! it, with group_vars/host_vars applied. Values from vaults are masked.

use stackbook_engine::inventory::{Inventory, VarsDirLevel};
use stackbook_engine::output::redact::{Redactor, register_secret};
use stackbook_engine::value::to_json;

use crate::cli::InventoryArgs;

/// Runs the subcommand.
pub fn run(args: InventoryArgs) -> i32 {
    match execute(&args) {
        Ok(text) => {
            println!("{text}");
            0
        }
        Err(message) => {
            eprintln!("[ERROR]: {message}");
            5
        }
    }
}

fn execute(args: &InventoryArgs) -> Result<String, String> {
    let mut inventory = Inventory::load(&args.inventory).map_err(|e| e.to_string())?;
    let (keys, configured) = crate::secrets::load_keys(&args.secrets)?;
    let vault = stackbook_engine::vault::VaultKeys::new(keys);
    let decryptor: Option<&dyn stackbook_engine::value::Decryptor> =
        configured.then_some(&vault as _);
    let mut secrets = Vec::new();
    for dir in inventory.source_dirs.clone() {
        inventory
            .vars_dirs
            .load(&dir, VarsDirLevel::Inventory, decryptor, &mut secrets)
            .map_err(|e| e.to_string())?;
    }
    if let Some(dir) = &args.playbook_dir {
        inventory
            .vars_dirs
            .load(dir, VarsDirLevel::Playbook, decryptor, &mut secrets)
            .map_err(|e| e.to_string())?;
    }
    let redactor = Redactor::new();
    for secret in &secrets {
        register_secret(&redactor, secret);
    }
    let text = if let Some(host) = &args.host {
        if inventory.host(host).is_none() {
            return Err(format!("host '{host}' is not in the inventory"));
        }
        pretty(&host_vars(&inventory, host))
    } else if let Some(group) = &args.graph {
        graph(&inventory, group)?
    } else if args.list {
        pretty(&list(&inventory))
    } else {
        return Err("give one of --list, --graph or --host".into());
    };
    Ok(redactor.redact(&text).into_owned())
}

fn pretty(json: &serde_json::Value) -> String {
    serde_json::to_string_pretty(json).unwrap_or_default()
}

fn host_vars(inventory: &Inventory, host: &str) -> serde_json::Value {
    let mut map = serde_json::Map::new();
    for (name, value) in inventory.merged_vars(host) {
        map.insert(name, to_json(&value));
    }
    serde_json::Value::Object(map)
}

/// Hosts that belong to `group` itself, not only through a child group.
fn direct_hosts(inventory: &Inventory, group: &str) -> Vec<String> {
    let members = inventory.groups.get(group).cloned().unwrap_or_default();
    let through_children: Vec<String> = inventory
        .children_of(group)
        .iter()
        .flat_map(|child| inventory.groups.get(child).cloned().unwrap_or_default())
        .collect();
    members
        .into_iter()
        .filter(|h| !through_children.contains(h))
        .collect()
}

/// Groups under `all`: `ungrouped` first (as ansible-inventory lists it), then the others.
fn top_level_groups(inventory: &Inventory) -> Vec<String> {
    let mut groups: Vec<String> = inventory
        .groups
        .keys()
        .filter(|g| g.as_str() != "all")
        .filter(|g| {
            !inventory
                .groups
                .keys()
                .any(|parent| parent != "all" && inventory.children_of(parent).contains(g))
        })
        .cloned()
        .collect();
    groups.sort_by_key(|g| g.as_str() != "ungrouped");
    groups
}

fn list(inventory: &Inventory) -> serde_json::Value {
    let mut root = serde_json::Map::new();
    let mut hostvars = serde_json::Map::new();
    for host in &inventory.hosts {
        hostvars.insert(host.name.clone(), host_vars(inventory, &host.name));
    }
    root.insert(
        "_meta".into(),
        serde_json::json!({ "hostvars": hostvars, "profile": "inventory_legacy" }),
    );
    root.insert(
        "all".into(),
        serde_json::json!({ "children": top_level_groups(inventory) }),
    );
    for group in inventory.groups.keys().filter(|g| g.as_str() != "all") {
        let mut entry = serde_json::Map::new();
        let hosts = if group == "ungrouped" {
            inventory.groups.get(group).cloned().unwrap_or_default()
        } else {
            direct_hosts(inventory, group)
        };
        if !hosts.is_empty() {
            entry.insert("hosts".into(), serde_json::json!(hosts));
        }
        let children = inventory.children_of(group);
        if !children.is_empty() {
            entry.insert("children".into(), serde_json::json!(children));
        }
        if !entry.is_empty() {
            root.insert(group.clone(), serde_json::Value::Object(entry));
        }
    }
    serde_json::Value::Object(root)
}

fn graph(inventory: &Inventory, group: &str) -> Result<String, String> {
    if !inventory.groups.contains_key(group) {
        return Err(format!("group '{group}' is not in the inventory"));
    }
    let mut out = format!("@{group}:");
    let children: Vec<String> = if group == "all" {
        top_level_groups(inventory)
    } else {
        inventory.children_of(group).to_vec()
    };
    let hosts = if group == "all" {
        Vec::new()
    } else if group == "ungrouped" {
        inventory.groups.get(group).cloned().unwrap_or_default()
    } else {
        direct_hosts(inventory, group)
    };
    draw(inventory, &children, &hosts, "  ", &mut out, 0);
    Ok(out)
}

fn draw(
    inventory: &Inventory,
    children: &[String],
    hosts: &[String],
    indent: &str,
    out: &mut String,
    depth: usize,
) {
    if depth > 32 {
        return;
    }
    for child in children {
        out.push_str(&format!("\n{indent}|--@{child}:"));
        let grandchildren = inventory.children_of(child).to_vec();
        let child_hosts = if child == "ungrouped" {
            inventory.groups.get(child).cloned().unwrap_or_default()
        } else {
            direct_hosts(inventory, child)
        };
        draw(
            inventory,
            &grandchildren,
            &child_hosts,
            &format!("{indent}|  "),
            out,
            depth + 1,
        );
    }
    for host in hosts {
        out.push_str(&format!("\n{indent}|--{host}"));
    }
}
