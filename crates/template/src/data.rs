//! Telling templates from data.
//!
//! minijinja's "safe string" flag exists for HTML auto-escaping, which stackbook never uses
//! (auto-escape is off everywhere). We reuse the flag to mean "this string is data, do not
//! template it again" — the equivalent of Ansible's unsafe/untrusted marking. It survives
//! cloning and costs nothing on strings that are never marked.

use minijinja::Value;
use minijinja::value::ValueKind;

/// True when `text` contains Jinja markup that needs rendering.
pub fn is_template(text: &str) -> bool {
    text.contains("{{") || text.contains("{%") || text.contains("{#")
}

/// True when `value` is a string that must be rendered before use.
pub fn is_template_value(value: &Value) -> bool {
    !value.is_safe() && value.as_str().is_some_and(is_template)
}

/// Marks a string as data (never templated again); other values are returned unchanged.
pub fn mark_string(text: &str) -> Value {
    Value::from_safe_string(text.to_string())
}

/// Deeply marks every string in `value` as data. Used for module results and rendered output.
pub fn mark_data(value: Value) -> Value {
    match value.kind() {
        ValueKind::String if !value.is_safe() => match value.as_str() {
            Some(text) if is_template(text) => mark_string(text),
            _ => value,
        },
        ValueKind::Seq => {
            if !contains_templates(&value) {
                return value;
            }
            Value::from(
                value
                    .try_iter()
                    .map(|iter| iter.map(mark_data).collect::<Vec<_>>())
                    .unwrap_or_default(),
            )
        }
        ValueKind::Map => {
            if !contains_templates(&value) {
                return value;
            }
            let pairs: Vec<(Value, Value)> = value
                .try_iter()
                .map(|keys| {
                    keys.map(|key| {
                        let item = value.get_item(&key).unwrap_or_default();
                        (key, mark_data(item))
                    })
                    .collect()
                })
                .unwrap_or_default();
            Value::from_pairs(pairs)
        }
        _ => value,
    }
}

/// True when some string inside `value` still needs rendering.
pub fn contains_templates(value: &Value) -> bool {
    match value.kind() {
        ValueKind::String => is_template_value(value),
        ValueKind::Seq => value
            .try_iter()
            .map(|mut it| it.any(|v| contains_templates(&v)))
            .unwrap_or(false),
        ValueKind::Map => value
            .try_iter()
            .map(|mut keys| {
                keys.any(|k| contains_templates(&value.get_item(&k).unwrap_or_default()))
            })
            .unwrap_or(false),
        _ => false,
    }
}
