//! Type conversion and value-choice filters: `bool`, `int`, `float`,
//! `string`, `list`, `type_debug`, `ternary`, `default`, `mandatory`.
//!
//! These differ from minijinja's built-ins in ways users notice: Ansible's
//! `bool` parses `"yes"`/`"off"`, Jinja's `int` parses `"3.7"` as 3 and
//! falls back to a default instead of failing, and `string` produces
//! Python reprs for containers.

use minijinja::value::{Kwargs, Value, ValueKind};
use minijinja::{Error, ErrorKind};

use crate::repr::{python_str, python_type_name};
use crate::util::{require_defined, to_vec};

/// Ansible's `bool` filter (`to_bool`): `yes`/`on`/`true`/`1` (any case)
/// are true, everything else is false.
pub fn ansible_bool(value: &Value) -> bool {
    let text = match value.kind() {
        ValueKind::String => value.as_str().unwrap_or_default().to_lowercase(),
        ValueKind::Bool => {
            if value.is_true() {
                "true".into()
            } else {
                "false".into()
            }
        }
        ValueKind::Number if value.is_integer() => value.to_string(),
        // Anything else falls back to `value == 1` (deprecated in Ansible).
        _ => return crate::util::as_f64(value) == Some(1.0),
    };
    match text.as_str() {
        "yes" | "on" | "true" | "1" => true,
        "no" | "off" | "false" | "0" => false,
        _ => false,
    }
}

/// `bool`.
pub(crate) fn bool_filter(value: &Value) -> Result<bool, Error> {
    require_defined("bool", value)?;
    Ok(ansible_bool(value))
}

/// Python's `int(str, base)` after stripping whitespace and underscores.
fn parse_int(s: &str, base: u32) -> Option<i128> {
    let t = s.trim();
    let (neg, body) = match t.strip_prefix('-') {
        Some(b) => (true, b),
        None => (false, t.strip_prefix('+').unwrap_or(t)),
    };
    let lower = body.to_ascii_lowercase();
    let (base, digits) = match base {
        0 | 16 if lower.starts_with("0x") => (16, &body[2..]),
        0 | 8 if lower.starts_with("0o") => (8, &body[2..]),
        0 | 2 if lower.starts_with("0b") => (2, &body[2..]),
        0 => (10, body),
        b => (b, body),
    };
    if digits.is_empty()
        || digits.starts_with('_')
        || digits.ends_with('_')
        || digits.contains("__")
    {
        return None;
    }
    let cleaned: String = digits.chars().filter(|&c| c != '_').collect();
    let n = i128::from_str_radix(&cleaned, base).ok()?;
    Some(if neg { -n } else { n })
}

/// Python's `float(str)`: accepts surrounding whitespace, `inf`, `nan`, `1_0.5`.
fn parse_float(s: &str) -> Option<f64> {
    let t = s.trim();
    let lower = t.to_ascii_lowercase();
    let body = lower.trim_start_matches(['+', '-']);
    if matches!(body, "inf" | "infinity" | "nan") {
        return lower
            .parse::<f64>()
            .ok()
            .or(Some(if lower.starts_with('-') {
                f64::NEG_INFINITY
            } else {
                f64::INFINITY
            }));
    }
    if t.is_empty() || t.contains("__") || t.starts_with('_') || t.ends_with('_') {
        return None;
    }
    let cleaned: String = t.chars().filter(|&c| c != '_').collect();
    if cleaned
        .chars()
        .any(|c| c.is_ascii_alphabetic() && c != 'e' && c != 'E')
    {
        return None;
    }
    cleaned.parse::<f64>().ok()
}

fn int_value(n: i128) -> Value {
    match i64::try_from(n) {
        Ok(small) => Value::from(small),
        Err(_) => Value::from(n),
    }
}

/// `int(default=0, base=10)` with Jinja's fallbacks.
pub(crate) fn int(
    value: &Value,
    default: Option<Value>,
    base: Option<u32>,
    kwargs: Kwargs,
) -> Result<Value, Error> {
    require_defined("int", value)?;
    let default = match default {
        Some(d) => d,
        None => kwargs
            .get::<Option<Value>>("default")?
            .unwrap_or(Value::from(0)),
    };
    let base = match base {
        Some(b) => b,
        None => kwargs.get::<Option<u32>>("base")?.unwrap_or(10),
    };
    kwargs.assert_all_used()?;
    if base == 1 || base > 36 {
        return Err(crate::util::invalid(format!(
            "int() base must be >= 2 and <= 36, or 0, got {base}"
        )));
    }
    Ok(match value.kind() {
        ValueKind::Bool => Value::from(i64::from(value.is_true())),
        ValueKind::Number if value.is_integer() => value.clone(),
        ValueKind::Number => match crate::util::as_f64(value) {
            Some(f) if f.is_finite() => int_value(f.trunc() as i128),
            _ => default,
        },
        ValueKind::String => {
            let s = value.as_str().unwrap_or_default();
            match parse_int(s, base) {
                Some(n) => int_value(n),
                None => match parse_float(s) {
                    Some(f) if f.is_finite() => int_value(f.trunc() as i128),
                    _ => default,
                },
            }
        }
        _ => default,
    })
}

/// `float(default=0.0)`.
pub(crate) fn float(value: &Value, default: Option<Value>, kwargs: Kwargs) -> Result<Value, Error> {
    require_defined("float", value)?;
    let default = match default {
        Some(d) => d,
        None => kwargs
            .get::<Option<Value>>("default")?
            .unwrap_or(Value::from(0.0)),
    };
    kwargs.assert_all_used()?;
    Ok(match value.kind() {
        ValueKind::Bool | ValueKind::Number => {
            crate::util::as_f64(value).map_or(default, Value::from)
        }
        ValueKind::String => {
            parse_float(value.as_str().unwrap_or_default()).map_or(default, Value::from)
        }
        _ => default,
    })
}

/// `string`: Python's `str()`.
pub(crate) fn string(value: &Value) -> Result<Value, Error> {
    require_defined("string", value)?;
    if value.kind() == ValueKind::String {
        return Ok(value.clone());
    }
    Ok(Value::from(python_str(value)))
}

/// `list`: Python's `list()` (characters of a string, keys of a dict).
pub(crate) fn list(value: &Value) -> Result<Value, Error> {
    Ok(Value::from(to_vec("list", value)?))
}

/// `type_debug`: the Python type name.
pub(crate) fn type_debug(value: &Value) -> String {
    python_type_name(value).to_owned()
}

/// `ternary(true_val, false_val, none_val=None)`.
pub(crate) fn ternary(
    value: &Value,
    true_val: Option<Value>,
    false_val: Option<Value>,
    none_val: Option<Value>,
    kwargs: Kwargs,
) -> Result<Value, Error> {
    require_defined("ternary", value)?;
    let true_val = true_val
        .or(kwargs.get("true_val")?)
        .ok_or_else(|| crate::util::invalid("ternary: missing true_val"))?;
    let false_val = false_val
        .or(kwargs.get("false_val")?)
        .ok_or_else(|| crate::util::invalid("ternary: missing false_val"))?;
    let none_val = none_val.or(kwargs.get("none_val")?);
    kwargs.assert_all_used()?;
    if let Some(none_val) = none_val.filter(|v| !v.is_none())
        && value.is_none()
    {
        return Ok(none_val);
    }
    Ok(if value.is_true() { true_val } else { false_val })
}

/// `default(default_value='', boolean=False)`, also available as `d`.
pub(crate) fn default(
    value: &Value,
    other: Option<Value>,
    boolean: Option<bool>,
    kwargs: Kwargs,
) -> Result<Value, Error> {
    let other = match other {
        Some(o) => o,
        None => kwargs
            .get::<Option<Value>>("default_value")?
            .unwrap_or(Value::from("")),
    };
    let boolean = match boolean {
        Some(b) => b,
        None => kwargs.get::<Option<bool>>("boolean")?.unwrap_or(false),
    };
    kwargs.assert_all_used()?;
    if value.is_undefined() || (boolean && !value.is_true()) {
        Ok(other)
    } else {
        Ok(value.clone())
    }
}

/// `mandatory(msg=None)`: fails on an undefined value.
pub(crate) fn mandatory(
    value: &Value,
    msg: Option<String>,
    kwargs: Kwargs,
) -> Result<Value, Error> {
    let msg = msg.or(kwargs.get("msg")?);
    kwargs.assert_all_used()?;
    if value.is_undefined() {
        let detail = msg.unwrap_or_else(|| "Mandatory variable not defined.".to_owned());
        return Err(Error::new(ErrorKind::UndefinedError, detail));
    }
    Ok(value.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_int_parsing() {
        assert_eq!(parse_int(" 42 ", 10), Some(42));
        assert_eq!(parse_int("1_000", 10), Some(1000));
        assert_eq!(parse_int("0x1F", 16), Some(31));
        assert_eq!(parse_int("0x1F", 10), None);
        assert_eq!(parse_int("3.5", 10), None);
        assert_eq!(parse_float("3.5"), Some(3.5));
        assert_eq!(parse_float("abc"), None);
    }
}
