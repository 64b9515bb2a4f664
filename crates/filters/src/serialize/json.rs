//! `to_json`, `to_nice_json` and `from_json` with Python `json` semantics.
//!
//! Ansible calls `json.dumps`, so the text differs from serde_json's in
//! visible ways: `", "`/`": "` separators, `ensure_ascii` escaping of all
//! non-ASCII characters, Python float reprs, `NaN`/`Infinity`, and
//! `sort_keys` for the nice variant. This module writes that format directly.

use std::fmt::Write as _;

use minijinja::value::{Kwargs, Value, ValueKind};
use minijinja::{Error, ErrorKind};

use crate::repr::float_repr;
use crate::util::{invalid, map_entries};

/// Options of Python's `json.dumps` that Ansible's filters use.
#[derive(Debug, Clone)]
pub(crate) struct JsonOptions {
    /// `indent=`: `None` writes everything on one line.
    pub indent: Option<usize>,
    /// `sort_keys=`.
    pub sort_keys: bool,
    /// `ensure_ascii=`: escape every non-ASCII character as `\uXXXX`.
    pub ensure_ascii: bool,
    /// `separators=(item, key)`.
    pub item_sep: String,
    /// The key separator (`": "` unless `separators=` says otherwise).
    pub key_sep: String,
}

impl JsonOptions {
    /// Python's defaults for a given `indent`.
    fn new(indent: Option<usize>, sort_keys: bool) -> Self {
        JsonOptions {
            indent,
            sort_keys,
            ensure_ascii: true,
            item_sep: if indent.is_some() { "," } else { ", " }.to_owned(),
            key_sep: ": ".to_owned(),
        }
    }
}

/// Serializes `value` like `json.dumps(value, indent=.., sort_keys=..)`.
pub(crate) fn dumps(value: &Value, opts: &JsonOptions) -> Result<String, Error> {
    let mut out = String::new();
    write_value(&mut out, value, opts, 0)?;
    Ok(out)
}

/// `to_json(indent=None, sort_keys=False, ensure_ascii=True, separators=None)`.
pub(crate) fn to_json(value: &Value, kwargs: Kwargs) -> Result<String, Error> {
    let indent: Option<usize> = kwargs.get("indent")?;
    let sort_keys: Option<bool> = kwargs.get("sort_keys")?;
    let mut opts = JsonOptions::new(indent, sort_keys.unwrap_or(false));
    if let Some(ensure_ascii) = kwargs.get::<Option<bool>>("ensure_ascii")? {
        opts.ensure_ascii = ensure_ascii;
    }
    if let Some(seps) = kwargs.get::<Option<Value>>("separators")? {
        let parts = crate::util::to_vec("to_json", &seps)?;
        match parts.as_slice() {
            [item, key] if item.as_str().is_some() && key.as_str().is_some() => {
                opts.item_sep = crate::repr::python_str(item);
                opts.key_sep = crate::repr::python_str(key);
            }
            _ => return Err(invalid("to_json: separators must be a pair of strings")),
        }
    }
    kwargs.assert_all_used()?;
    dumps(value, &opts)
}

/// `to_nice_json(indent=4, sort_keys=True)`.
pub(crate) fn to_nice_json(
    value: &Value,
    indent: Option<usize>,
    kwargs: Kwargs,
) -> Result<String, Error> {
    let indent = match indent {
        Some(i) => Some(i),
        None => kwargs.get::<Option<usize>>("indent")?,
    };
    let sort_keys: Option<bool> = kwargs.get("sort_keys")?;
    let mut opts = JsonOptions::new(Some(indent.unwrap_or(4)), sort_keys.unwrap_or(true));
    if let Some(ensure_ascii) = kwargs.get::<Option<bool>>("ensure_ascii")? {
        opts.ensure_ascii = ensure_ascii;
    }
    // Ansible drops `separators` here and always uses (',', ': ').
    let _: Option<Value> = kwargs.get("separators")?;
    kwargs.assert_all_used()?;
    dumps(value, &opts)
}

/// `from_json`: parses JSON text into a template value, keeping key order.
pub(crate) fn from_json(text: &str) -> Result<Value, Error> {
    let parsed: serde_json::Value = serde_json::from_str(text).map_err(|e| {
        Error::new(
            ErrorKind::InvalidOperation,
            format!("from_json: input is not valid JSON: {e}"),
        )
    })?;
    Ok(json_to_value(parsed))
}

/// Converts a parsed JSON document into a minijinja value.
pub fn json_to_value(v: serde_json::Value) -> Value {
    match v {
        serde_json::Value::Null => Value::from(()),
        serde_json::Value::Bool(b) => Value::from(b),
        serde_json::Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                Value::from(i)
            } else if let Some(u) = n.as_u64() {
                Value::from(u)
            } else {
                Value::from(n.as_f64().unwrap_or(f64::NAN))
            }
        }
        serde_json::Value::String(s) => Value::from(s),
        serde_json::Value::Array(items) => {
            Value::from(items.into_iter().map(json_to_value).collect::<Vec<_>>())
        }
        serde_json::Value::Object(map) => Value::from_pairs(
            map.into_iter()
                .map(|(k, v)| (Value::from(k), json_to_value(v)))
                .collect::<Vec<_>>(),
        ),
    }
}

fn write_value(
    out: &mut String,
    value: &Value,
    opts: &JsonOptions,
    depth: usize,
) -> Result<(), Error> {
    match value.kind() {
        ValueKind::Undefined => {
            return Err(Error::new(
                ErrorKind::UndefinedError,
                "cannot serialize an undefined value to JSON",
            ));
        }
        ValueKind::None => out.push_str("null"),
        ValueKind::Bool => out.push_str(if value.is_true() { "true" } else { "false" }),
        ValueKind::Number => out.push_str(&json_number(value)),
        ValueKind::String => {
            write_json_str(out, value.as_str().unwrap_or_default(), opts.ensure_ascii)
        }
        ValueKind::Seq | ValueKind::Iterable => {
            let items: Vec<Value> = value.try_iter().map(|i| i.collect()).unwrap_or_default();
            if items.is_empty() {
                out.push_str("[]");
                return Ok(());
            }
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(&opts.item_sep);
                }
                newline(out, opts, depth + 1);
                write_value(out, item, opts, depth + 1)?;
            }
            newline(out, opts, depth);
            out.push(']');
        }
        ValueKind::Map => {
            let mut pairs = map_entries("to_json", value)?;
            if pairs.is_empty() {
                out.push_str("{}");
                return Ok(());
            }
            if opts.sort_keys {
                crate::collections::py_sort(&mut pairs, |p| &p.0)?;
            }
            out.push('{');
            for (i, (k, v)) in pairs.iter().enumerate() {
                if i > 0 {
                    out.push_str(&opts.item_sep);
                }
                newline(out, opts, depth + 1);
                write_json_str(out, &json_key(k)?, opts.ensure_ascii);
                out.push_str(&opts.key_sep);
                write_value(out, v, opts, depth + 1)?;
            }
            newline(out, opts, depth);
            out.push('}');
        }
        ValueKind::Bytes => {
            return Err(invalid("Object of type bytes is not JSON serializable"));
        }
        _ => {
            return Err(invalid(format!(
                "Object of type {} is not JSON serializable",
                value.kind()
            )));
        }
    }
    Ok(())
}

fn newline(out: &mut String, opts: &JsonOptions, depth: usize) {
    if let Some(indent) = opts.indent {
        out.push('\n');
        out.extend(std::iter::repeat_n(' ', indent * depth));
    }
}

fn json_number(value: &Value) -> String {
    if value.is_integer() {
        return value.to_string();
    }
    match f64::try_from(value.clone()) {
        Ok(f) if f.is_nan() => "NaN".into(),
        Ok(f) if f.is_infinite() => if f > 0.0 { "Infinity" } else { "-Infinity" }.into(),
        Ok(f) => float_repr(f),
        Err(_) => value.to_string(),
    }
}

/// Python converts non-string keys: numbers to their repr, bools to
/// `true`/`false`, `None` to `null`.
fn json_key(key: &Value) -> Result<String, Error> {
    match key.kind() {
        ValueKind::String => Ok(key.as_str().unwrap_or_default().to_owned()),
        ValueKind::Number => Ok(json_number(key)),
        ValueKind::Bool => Ok(if key.is_true() { "true" } else { "false" }.into()),
        ValueKind::None => Ok("null".into()),
        _ => Err(invalid(format!(
            "keys must be str, int, float, bool or None, not {}",
            crate::repr::python_type_name(key)
        ))),
    }
}

/// Writes a JSON string; with `ensure_ascii` every non-ASCII character is
/// escaped (as UTF-16 units), otherwise only quotes, backslashes and
/// control characters are.
fn write_json_str(out: &mut String, s: &str, ensure_ascii: bool) {
    out.push('"');
    for ch in s.chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if (' '..='~').contains(&c) => out.push(c),
            c if !ensure_ascii && c >= ' ' => out.push(c),
            c => {
                let mut buf = [0u16; 2];
                for unit in c.encode_utf16(&mut buf) {
                    let _ = write!(out, "\\u{unit:04x}");
                }
            }
        }
    }
    out.push('"');
}
