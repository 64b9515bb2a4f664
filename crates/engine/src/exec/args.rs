//! Preparing module arguments: free-form strings, templating, and `omit`.

use std::sync::Arc;

use minijinja::Value;
use minijinja::value::ValueKind;
use serde_json::Value as Json;
use stackbook_syntax::kv::{join_args, parse_kv, split_args_keeping_lines};
use stackbook_syntax::{Node, NodeValue};
use stackbook_template::{Scope, Templar, TemplateError};

use crate::value::{node_to_value, to_json};

/// Options `command`/`shell` accept inline in their free-form line.
const COMMAND_INLINE_OPTIONS: &[&str] = &[
    "chdir",
    "creates",
    "removes",
    "executable",
    "stdin",
    "stdin_add_newline",
    "strip_empty_ends",
];

/// Converts a task's argument node to a value, splitting free-form strings.
pub fn raw_arguments(args: &Node, action: &str, free_form: bool) -> Result<Value, String> {
    match &args.value {
        NodeValue::String(text) if free_form => Ok(free_form_arguments(text, action)),
        NodeValue::String(text) => {
            let mut pairs = Vec::new();
            for (key, value) in parse_kv(text) {
                match key {
                    Some(key) => pairs.push((Value::from(key), Value::from(value))),
                    None => {
                        return Err(format!(
                            "this module requires key=value arguments (got '{value}' in '{text}')"
                        ));
                    }
                }
            }
            Ok(Value::from_pairs(pairs))
        }
        NodeValue::Null => Ok(Value::from_pairs(Vec::<(Value, Value)>::new())),
        NodeValue::Mapping(_) => {
            node_to_value(args, None, &mut Vec::new()).map_err(|e| e.to_string())
        }
        _ => Err(format!(
            "module arguments must be a mapping or a string, not {}",
            args.type_name()
        )),
    }
}

fn free_form_arguments(text: &str, action: &str) -> Value {
    let short = action.rsplit('.').next().unwrap_or(action);
    if !matches!(short, "command" | "shell") {
        return Value::from_pairs([("_raw_params", Value::from(text.trim()))]);
    }
    let mut pairs = Vec::new();
    let mut words = Vec::new();
    for token in split_args_keeping_lines(text) {
        match token.trim_end_matches('\n').split_once('=') {
            Some((key, value)) if COMMAND_INLINE_OPTIONS.contains(&key) => {
                pairs.push((
                    Value::from(key),
                    Value::from(stackbook_syntax::kv::unquote(value)),
                ));
                // Like ansible-core: a line break after an inline option is lost with it.
            }
            _ => words.push(token),
        }
    }
    pairs.insert(
        0,
        (Value::from("_raw_params"), Value::from(join_args(&words))),
    );
    Value::from_pairs(pairs)
}

/// Templates every argument except the module's raw ones, then drops `omit`ted keys.
pub fn template_arguments(
    templar: &Templar,
    scope: &Arc<Scope>,
    raw: &Value,
    raw_keys: &[&str],
    omit: &str,
) -> Result<Json, (String, TemplateError)> {
    let mut map = serde_json::Map::new();
    if let Ok(keys) = raw.try_iter() {
        for key in keys {
            let name = key.as_str().unwrap_or_default().to_string();
            let value = raw.get_item(&key).unwrap_or_default();
            let rendered = if raw_keys.contains(&name.as_str()) {
                value
            } else {
                templar
                    .render_value(&value, scope)
                    .map_err(|error| (name.clone(), error))?
            };
            if is_omit(&rendered, omit) {
                continue;
            }
            map.insert(name, strip_omit(to_json(&rendered), omit));
        }
    }
    Ok(Json::Object(map))
}

fn is_omit(value: &Value, omit: &str) -> bool {
    value.kind() == ValueKind::String && value.as_str() == Some(omit)
}

fn strip_omit(json: Json, omit: &str) -> Json {
    match json {
        Json::Object(map) => Json::Object(
            map.into_iter()
                .filter(|(_, v)| v.as_str() != Some(omit))
                .map(|(k, v)| (k, strip_omit(v, omit)))
                .collect(),
        ),
        Json::Array(items) => Json::Array(
            items
                .into_iter()
                .filter(|v| v.as_str() != Some(omit))
                .map(|v| strip_omit(v, omit))
                .collect(),
        ),
        other => other,
    }
}
