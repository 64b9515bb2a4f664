//! Conversions between YAML nodes, template values and JSON.
//!
//! Runtime data is `minijinja::Value` (what templates see); results and events are
//! `serde_json::Value` (what modules build and printers write). Strings that come from the
//! playbook are templates; strings tagged `!unsafe` are data.

use minijinja::Value;
use minijinja::value::ValueKind;
use stackbook_syntax::yaml::CustomTag;
use stackbook_syntax::{Node, NodeValue};
use stackbook_template::data::mark_string;

use crate::error::EngineError;

/// Decrypts `!vault` / `!age` values. Provided by the secrets layer; without it, encrypted
/// values are an error that says which option to pass.
pub trait Decryptor: Send + Sync {
    /// Returns the plaintext of an encrypted scalar.
    fn decrypt(&self, tag: CustomTag, payload: &str) -> Result<String, String>;

    /// Returns the plaintext of a whole encrypted file (Ansible Vault or armored age), or
    /// `None` when the text is not encrypted.
    fn decrypt_file(&self, text: &str) -> Option<Result<String, String>>;
}

/// True when a file's text is a whole-file vault (Ansible Vault or armored age).
pub fn is_encrypted_file(text: &str) -> bool {
    let start = text.trim_start();
    start.starts_with("$ANSIBLE_VAULT;") || start.starts_with("-----BEGIN AGE ENCRYPTED FILE-----")
}

/// Converts a YAML node to a template value.
pub fn node_to_value(
    node: &Node,
    decryptor: Option<&dyn Decryptor>,
    secrets: &mut Vec<String>,
) -> Result<Value, EngineError> {
    Ok(match &node.value {
        NodeValue::Null => Value::from(()),
        NodeValue::Bool(b) => Value::from(*b),
        NodeValue::Int(i) => Value::from(*i),
        NodeValue::Float(f) => Value::from(*f),
        NodeValue::String(s) => Value::from(s.as_str()),
        NodeValue::Sequence(items) => {
            let mut values = Vec::with_capacity(items.len());
            for item in items {
                values.push(node_to_value(item, decryptor, secrets)?);
            }
            Value::from(values)
        }
        NodeValue::Mapping(entries) => {
            let mut pairs = Vec::with_capacity(entries.len());
            for (key, value) in entries {
                // Keys keep their YAML type (`{yes: 1}` has the boolean key True, as in Ansible).
                let key = node_to_value(key, decryptor, secrets)?;
                pairs.push((key, node_to_value(value, decryptor, secrets)?));
            }
            Value::from_pairs(pairs)
        }
        NodeValue::Tagged(CustomTag::Unsafe, text) => mark_string(text),
        NodeValue::Tagged(tag, payload) => {
            let Some(decryptor) = decryptor else {
                return Err(EngineError::invalid(
                    &node.location,
                    format!(
                        "found an encrypted {} value but no vault secret was given \
                         (use --vault-password-file, --vault-id or --age-identity)",
                        tag.as_str()
                    ),
                ));
            };
            let plaintext = decryptor.decrypt(*tag, payload).map_err(|message| {
                EngineError::invalid(
                    &node.location,
                    format!("cannot decrypt {} value: {message}", tag.as_str()),
                )
            })?;
            secrets.push(plaintext.clone());
            // Decrypted values are data: a secret that happens to contain `{{` is not a template.
            mark_string(&plaintext)
        }
    })
}

/// Converts a template value to JSON (undefined becomes null).
pub fn to_json(value: &Value) -> serde_json::Value {
    match value.kind() {
        ValueKind::Undefined | ValueKind::None => serde_json::Value::Null,
        ValueKind::Bool => serde_json::Value::Bool(value.is_true()),
        ValueKind::Number => {
            if let Some(int) = value.as_i64().filter(|_| value.is_integer()) {
                serde_json::Value::from(int)
            } else {
                f64::try_from(value.clone())
                    .ok()
                    .and_then(serde_json::Number::from_f64)
                    .map(serde_json::Value::Number)
                    .unwrap_or(serde_json::Value::Null)
            }
        }
        ValueKind::String => {
            serde_json::Value::String(value.as_str().unwrap_or_default().to_string())
        }
        ValueKind::Seq | ValueKind::Iterable => serde_json::Value::Array(
            value
                .try_iter()
                .map(|items| items.map(|item| to_json(&item)).collect())
                .unwrap_or_default(),
        ),
        ValueKind::Map => {
            let mut map = serde_json::Map::new();
            if let Ok(keys) = value.try_iter() {
                for key in keys {
                    let item = value.get_item(&key).unwrap_or_default();
                    let key = match key.as_str() {
                        Some(text) => text.to_string(),
                        // Python's json.dumps turns None/True/False keys into null/true/false.
                        None if key.is_none() => "null".to_string(),
                        None if key.kind() == ValueKind::Bool => key.is_true().to_string(),
                        None => stackbook_template::python::python_str(&key),
                    };
                    map.insert(key, to_json(&item));
                }
            }
            serde_json::Value::Object(map)
        }
        _ => serde_json::Value::String(value.to_string()),
    }
}

/// Converts JSON to a template value; strings become data (module output is never a template).
pub fn from_json(json: &serde_json::Value) -> Value {
    match json {
        serde_json::Value::Null => Value::from(()),
        serde_json::Value::Bool(b) => Value::from(*b),
        serde_json::Value::Number(n) => match n.as_i64() {
            Some(i) => Value::from(i),
            None => Value::from(n.as_f64().unwrap_or(0.0)),
        },
        serde_json::Value::String(s) => mark_string(s),
        serde_json::Value::Array(items) => {
            Value::from(items.iter().map(from_json).collect::<Vec<_>>())
        }
        serde_json::Value::Object(map) => Value::from_pairs(
            map.iter()
                .map(|(k, v)| (Value::from(k.as_str()), from_json(v))),
        ),
    }
}

/// `json.dumps(value)` with Python's default separators (`", "` and `": "`), which Ansible
/// uses when it turns data into text (e.g. `copy` with non-string `content`).
pub fn python_json(json: &serde_json::Value) -> String {
    let mut out = String::new();
    write_python_json(&mut out, json);
    out
}

fn write_python_json(out: &mut String, json: &serde_json::Value) {
    match json {
        serde_json::Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_python_json(out, item);
            }
            out.push(']');
        }
        serde_json::Value::Object(map) => {
            out.push('{');
            for (i, (key, value)) in map.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                out.push_str(&serde_json::Value::String(key.clone()).to_string());
                out.push_str(": ");
                write_python_json(out, value);
            }
            out.push('}');
        }
        other => out.push_str(&other.to_string()),
    }
}

/// Ansible's `bool` conversion for keyword values such as `ignore_errors: yes`.
pub fn truthy_keyword(value: &Value) -> Option<bool> {
    match value.kind() {
        ValueKind::Bool => Some(value.is_true()),
        ValueKind::Number => value.as_i64().map(|i| i != 0),
        ValueKind::String => match value
            .as_str()
            .unwrap_or_default()
            .to_ascii_lowercase()
            .trim()
        {
            "yes" | "on" | "true" | "1" | "y" | "t" => Some(true),
            "no" | "off" | "false" | "0" | "n" | "f" | "" => Some(false),
            _ => None,
        },
        ValueKind::None | ValueKind::Undefined => Some(false),
        _ => None,
    }
}
