//! `group_vars/` and `host_vars/` folders beside the inventory and beside the playbook.
//!
//! Each holds `<name>.yml`, `.yaml`, `.json`, a file without extension, or a folder
//! `<name>/` whose files load in name order. Encrypted files (age or Ansible Vault) are
//! decrypted and all their values become secrets.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use minijinja::Value;
use stackbook_syntax::{NodeValue, load_single_document};

use crate::error::EngineError;
use crate::value::{Decryptor, is_encrypted_file, node_to_value};

/// Where a vars folder sits: its precedence depends on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VarsDirLevel {
    /// Beside the inventory.
    Inventory,
    /// Beside the playbook (higher precedence).
    Playbook,
}

/// Variables from vars folders, by group and by host, for each level.
#[derive(Debug, Clone, Default)]
pub struct VarsDirs {
    /// Inventory-level `group_vars`.
    pub inventory_groups: BTreeMap<String, Vec<(String, Value)>>,
    /// Playbook-level `group_vars`.
    pub playbook_groups: BTreeMap<String, Vec<(String, Value)>>,
    /// Inventory-level `host_vars`.
    pub inventory_hosts: BTreeMap<String, Vec<(String, Value)>>,
    /// Playbook-level `host_vars`.
    pub playbook_hosts: BTreeMap<String, Vec<(String, Value)>>,
}

impl VarsDirs {
    /// Loads `group_vars/` and `host_vars/` under `dir` (missing folders are fine).
    pub fn load(
        &mut self,
        dir: &Path,
        level: VarsDirLevel,
        decryptor: Option<&dyn Decryptor>,
        secrets: &mut Vec<String>,
    ) -> Result<(), EngineError> {
        let (groups, hosts) = match level {
            VarsDirLevel::Inventory => (&mut self.inventory_groups, &mut self.inventory_hosts),
            VarsDirLevel::Playbook => (&mut self.playbook_groups, &mut self.playbook_hosts),
        };
        load_folder(&dir.join("group_vars"), groups, decryptor, secrets)?;
        load_folder(&dir.join("host_vars"), hosts, decryptor, secrets)
    }
}

fn load_folder(
    folder: &Path,
    into: &mut BTreeMap<String, Vec<(String, Value)>>,
    decryptor: Option<&dyn Decryptor>,
    secrets: &mut Vec<String>,
) -> Result<(), EngineError> {
    let Ok(entries) = std::fs::read_dir(folder) else {
        return Ok(());
    };
    let mut paths: Vec<PathBuf> = entries.filter_map(Result::ok).map(|e| e.path()).collect();
    paths.sort();
    for path in paths {
        let file_name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if file_name.starts_with('.') {
            continue;
        }
        let name = match path.extension().and_then(|e| e.to_str()) {
            Some("yml" | "yaml" | "json") => path
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default(),
            Some(_) if path.is_file() => continue,
            _ => file_name.clone(),
        };
        let files: Vec<PathBuf> = if path.is_dir() {
            let mut inner: Vec<PathBuf> = std::fs::read_dir(&path)
                .map_err(|e| EngineError::Fatal(format!("{}: {e}", path.display())))?
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| {
                    p.is_file()
                        && !p
                            .file_name()
                            .is_some_and(|n| n.to_string_lossy().starts_with('.'))
                })
                .collect();
            inner.sort();
            inner
        } else {
            vec![path.clone()]
        };
        for file in files {
            let vars = read_vars(&file, decryptor, secrets)?;
            into.entry(name.clone()).or_default().extend(vars);
        }
    }
    Ok(())
}

fn read_vars(
    path: &Path,
    decryptor: Option<&dyn Decryptor>,
    secrets: &mut Vec<String>,
) -> Result<Vec<(String, Value)>, EngineError> {
    let display = path.display().to_string();
    let text = std::fs::read_to_string(path)
        .map_err(|e| EngineError::Fatal(format!("{display}: cannot read: {e}")))?;
    let (text, encrypted) = if is_encrypted_file(&text) {
        let Some(decryptor) = decryptor else {
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
        (plaintext, true)
    } else {
        (text, false)
    };
    let document = load_single_document(&text, &display)?;
    let mut vars = Vec::new();
    match &document.value {
        NodeValue::Mapping(entries) => {
            for (key, value) in entries {
                let value = node_to_value(value, decryptor, secrets)?;
                if encrypted {
                    collect_strings(&value, secrets);
                }
                vars.push((key.scalar_text().unwrap_or_default(), value));
            }
        }
        NodeValue::Null => {}
        _ => {
            return Err(EngineError::invalid(
                &document.location,
                format!(
                    "a vars file must contain a mapping, but this is {}",
                    document.type_name()
                ),
            ));
        }
    }
    Ok(vars)
}

fn collect_strings(value: &Value, out: &mut Vec<String>) {
    if let Some(text) = value.as_str() {
        out.push(text.to_string());
    } else if let Ok(items) = value.try_iter() {
        for item in items {
            let inner = value
                .get_item(&item)
                .ok()
                .filter(|v| !v.is_undefined())
                .unwrap_or(item);
            collect_strings(&inner, out);
        }
    }
}
