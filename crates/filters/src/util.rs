//! Small value helpers shared by the filters, tests and lookups.
//!
//! minijinja's own helpers for these (attribute paths, safe iteration) are
//! crate-private, and Ansible's semantics differ in places anyway (Python
//! equality, `str()` coercion), so the crate keeps its own small set here.

use minijinja::value::{Value, ValueKind};
use minijinja::{Error, ErrorKind};

/// Builds an `InvalidOperation` error with a message.
pub(crate) fn invalid(msg: impl Into<String>) -> Error {
    Error::new(ErrorKind::InvalidOperation, msg.into())
}

/// Builds an `InvalidOperation` error for a filter that got the wrong input type.
pub(crate) fn type_error(filter: &str, expected: &str, got: &Value) -> Error {
    invalid(format!(
        "{filter} requires {expected}, got {} ({})",
        crate::repr::python_type_name(got),
        crate::repr::python_repr(got)
    ))
}

/// Fails if `value` is undefined, naming the filter that received it.
pub(crate) fn require_defined(filter: &str, value: &Value) -> Result<(), Error> {
    if value.is_undefined() {
        Err(Error::new(
            ErrorKind::UndefinedError,
            format!("{filter} received an undefined value"),
        ))
    } else {
        Ok(())
    }
}

/// True for values Ansible treats as a mapping.
pub(crate) fn is_mapping(value: &Value) -> bool {
    value.kind() == ValueKind::Map
}

/// True for values Ansible's `is_sequence` accepts: lists, tuples and
/// iterables, but not strings or mappings.
pub(crate) fn is_sequence(value: &Value) -> bool {
    matches!(value.kind(), ValueKind::Seq | ValueKind::Iterable)
}

/// Collects an iterable value (list, map keys, string characters) into a vector.
pub(crate) fn to_vec(filter: &str, value: &Value) -> Result<Vec<Value>, Error> {
    require_defined(filter, value)?;
    if let Some(s) = value.as_str() {
        return Ok(s.chars().map(Value::from).collect());
    }
    match value.try_iter() {
        Ok(iter) => Ok(iter.collect()),
        Err(_) => Err(type_error(filter, "an iterable", value)),
    }
}

/// Returns the `(key, value)` pairs of a mapping in insertion order.
pub(crate) fn map_entries(filter: &str, value: &Value) -> Result<Vec<(Value, Value)>, Error> {
    if !is_mapping(value) {
        return Err(type_error(filter, "a dictionary", value));
    }
    if let Some(pairs) = value.as_object().and_then(|o| o.try_iter_pairs()) {
        return Ok(pairs.collect());
    }
    let keys = value
        .try_iter()
        .map_err(|e| invalid(format!("{filter}: cannot iterate mapping")).with_source(e))?;
    keys.map(|k| {
        let v = value.get_item(&k)?;
        Ok((k, v))
    })
    .collect()
}

/// Resolves a Jinja-style attribute path (`"a.b.0"`) like Jinja's
/// `make_attrgetter`: each part is tried as an item key, numeric parts also
/// as an index. Returns undefined when a part is missing.
pub(crate) fn attr_path(value: &Value, path: &str) -> Value {
    let mut current = value.clone();
    for part in path.split('.') {
        let next = match current.get_attr(part) {
            Ok(v) if !v.is_undefined() => v,
            _ => match part.parse::<i64>() {
                Ok(idx) => current
                    .get_item(&Value::from(idx))
                    .unwrap_or(Value::UNDEFINED),
                Err(_) => Value::UNDEFINED,
            },
        };
        if next.is_undefined() {
            return next;
        }
        current = next;
    }
    current
}

/// Python `==` for the value kinds templates produce (`1 == 1.0`,
/// `True == 1`, deep equality for containers).
pub(crate) fn py_eq(a: &Value, b: &Value) -> bool {
    match (a.kind(), b.kind()) {
        (ValueKind::Bool, ValueKind::Number) | (ValueKind::Number, ValueKind::Bool) => {
            as_f64(a) == as_f64(b)
        }
        _ => a == b,
    }
}

/// Python membership (`x in seq`) using [`py_eq`].
pub(crate) fn py_contains(haystack: &[Value], needle: &Value) -> bool {
    haystack.iter().any(|v| py_eq(v, needle))
}

/// Converts a number or bool to `f64`.
pub(crate) fn as_f64(value: &Value) -> Option<f64> {
    match value.kind() {
        ValueKind::Bool => Some(if value.is_true() { 1.0 } else { 0.0 }),
        ValueKind::Number => f64::try_from(value.clone()).ok(),
        _ => None,
    }
}

/// True if the value is a float (not an integer) number.
pub(crate) fn is_float(value: &Value) -> bool {
    value.kind() == ValueKind::Number && !value.is_integer()
}

/// Python `str()` coercion used by string filters (`to_text(nonstring='simplerepr')`).
pub(crate) fn text_of(value: &Value) -> String {
    crate::repr::python_str(value)
}

/// Builds an ordered map value from key/value pairs.
pub(crate) fn new_map(pairs: Vec<(Value, Value)>) -> Value {
    Value::from_pairs(pairs)
}
