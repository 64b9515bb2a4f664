//! Ansible's Jinja tests (`value is succeeded`, `is version('1.2', '>=')`,
//! `is subset(...)`, path tests) and the Jinja built-in tests whose
//! semantics minijinja does not share (`sequence` includes strings and
//! mappings in Python).

use std::path::Path;

use minijinja::Error;
use minijinja::value::{Kwargs, Value, ValueKind};

use crate::util::{invalid, is_mapping, py_contains, text_of, to_vec};

fn result_dict<'a>(test: &str, value: &'a Value) -> Result<&'a Value, Error> {
    if is_mapping(value) {
        Ok(value)
    } else {
        Err(invalid(format!("The '{test}' test expects a dictionary")))
    }
}

fn field(value: &Value, key: &str) -> Value {
    value
        .get_item(&Value::from(key))
        .unwrap_or(Value::UNDEFINED)
}

/// `failed` / `failure`.
pub(crate) fn failed(value: &Value) -> Result<bool, Error> {
    Ok(field(result_dict("failed", value)?, "failed").is_true())
}

/// `succeeded` / `success` / `successful`.
pub(crate) fn succeeded(value: &Value) -> Result<bool, Error> {
    Ok(!failed(value)?)
}

/// `unreachable`.
pub(crate) fn unreachable(value: &Value) -> Result<bool, Error> {
    Ok(field(result_dict("unreachable", value)?, "unreachable").is_true())
}

/// `reachable`.
pub(crate) fn reachable(value: &Value) -> Result<bool, Error> {
    Ok(!unreachable(value)?)
}

/// `changed` / `change`: also true if any loop result changed.
pub(crate) fn changed(value: &Value) -> Result<bool, Error> {
    let result = result_dict("changed", value)?;
    let changed = field(result, "changed");
    if !changed.is_undefined() {
        return Ok(changed.is_true());
    }
    let results = field(result, "results");
    if results.kind() == ValueKind::Seq {
        let items = to_vec("changed", &results)?;
        if items.first().is_some_and(is_mapping) {
            return Ok(items.iter().any(|r| field(r, "changed").is_true()));
        }
    }
    Ok(false)
}

/// `skipped` / `skip`.
pub(crate) fn skipped(value: &Value) -> Result<bool, Error> {
    Ok(field(result_dict("skipped", value)?, "skipped").is_true())
}

/// `finished` (async results; true when the key is absent).
pub(crate) fn finished(value: &Value) -> Result<bool, Error> {
    let f = field(result_dict("finished", value)?, "finished");
    Ok(f.is_undefined() || f.is_true())
}

/// `started` (async results; true when the key is absent).
pub(crate) fn started(value: &Value) -> Result<bool, Error> {
    let f = field(result_dict("started", value)?, "started");
    Ok(f.is_undefined() || f.is_true())
}

fn regex_test(
    value: &Value,
    pattern: &str,
    kwargs: &Kwargs,
    anchored: bool,
) -> Result<bool, Error> {
    let ignorecase = kwargs.get::<Option<bool>>("ignorecase")?.unwrap_or(false);
    let multiline = kwargs.get::<Option<bool>>("multiline")?.unwrap_or(false);
    let match_type: Option<String> = kwargs.get("match_type")?;
    kwargs.assert_all_used()?;
    let anchored = match match_type.as_deref() {
        Some("match") => true,
        Some("search") => false,
        Some("fullmatch") => {
            let re = crate::pyregex::compile(&format!("(?:{pattern})\\z"), ignorecase, multiline)?;
            let text = text_of(value);
            return Ok(matches!(re.find(&text), Ok(Some(m)) if m.start() == 0));
        }
        Some(other) => return Err(invalid(format!("regex: unknown match_type {other:?}"))),
        None => anchored,
    };
    let re = crate::pyregex::compile(pattern, ignorecase, multiline)?;
    let text = text_of(value);
    if anchored {
        // re.match: the match must start at position 0.
        let re = crate::pyregex::compile(&format!("\\A(?:{pattern})"), ignorecase, multiline)?;
        return re
            .is_match(&text)
            .map_err(|e| invalid(format!("regular expression failed: {e}")));
    }
    re.is_match(&text)
        .map_err(|e| invalid(format!("regular expression failed: {e}")))
}

/// `match(pattern, ignorecase=False, multiline=False)`: `re.match`.
pub(crate) fn is_match(
    value: &Value,
    pattern: Option<&str>,
    kwargs: Kwargs,
) -> Result<bool, Error> {
    regex_test(value, pattern.unwrap_or(""), &kwargs, true)
}

/// `search(pattern, ignorecase=False, multiline=False)`: `re.search`.
pub(crate) fn is_search(
    value: &Value,
    pattern: Option<&str>,
    kwargs: Kwargs,
) -> Result<bool, Error> {
    regex_test(value, pattern.unwrap_or(""), &kwargs, false)
}

/// `regex(pattern, ..., match_type='search')`.
pub(crate) fn is_regex(
    value: &Value,
    pattern: Option<&str>,
    kwargs: Kwargs,
) -> Result<bool, Error> {
    regex_test(value, pattern.unwrap_or(""), &kwargs, false)
}

/// `version(version, operator='eq', strict=None, version_type=None)`.
pub(crate) fn version(
    value: &Value,
    version: &Value,
    operator: Option<&str>,
    kwargs: Kwargs,
) -> Result<bool, Error> {
    let operator = match operator {
        Some(op) => op.to_owned(),
        None => kwargs
            .get::<Option<String>>("operator")?
            .unwrap_or_else(|| "eq".into()),
    };
    let strict = kwargs.get::<Option<bool>>("strict")?.unwrap_or(false);
    let version_type: Option<String> = kwargs.get("version_type")?;
    kwargs.assert_all_used()?;
    if strict && version_type.is_some() {
        return Err(invalid("Cannot specify both 'strict' and 'version_type'"));
    }
    let lhs = if value.is_true() {
        text_of(value)
    } else {
        String::new()
    };
    crate::version::compare(
        &lhs,
        &text_of(version),
        &operator,
        strict,
        version_type.as_deref(),
    )
}

/// `truthy(convert_bool=False)`.
pub(crate) fn truthy(value: &Value, kwargs: Kwargs) -> Result<bool, Error> {
    let convert = kwargs.get::<Option<bool>>("convert_bool")?.unwrap_or(false);
    kwargs.assert_all_used()?;
    crate::util::require_defined("truthy", value)?;
    if convert
        && matches!(
            value.kind(),
            ValueKind::String | ValueKind::Bool | ValueKind::Number
        )
    {
        let lowered = text_of(value).to_lowercase();
        if matches!(
            lowered.as_str(),
            "yes" | "on" | "true" | "1" | "1.0" | "y" | "t"
        ) {
            return Ok(true);
        }
        if matches!(
            lowered.as_str(),
            "no" | "off" | "false" | "0" | "0.0" | "n" | "f"
        ) {
            return Ok(false);
        }
    }
    Ok(value.is_true())
}

/// `falsy(convert_bool=False)`.
pub(crate) fn falsy(value: &Value, kwargs: Kwargs) -> Result<bool, Error> {
    Ok(!truthy(value, kwargs)?)
}

/// `subset` / `issubset`: every item of `value` is in `other`.
pub(crate) fn subset(value: &Value, other: &Value) -> Result<bool, Error> {
    let b = to_vec("subset", other)?;
    Ok(to_vec("subset", value)?.iter().all(|x| py_contains(&b, x)))
}

/// `superset` / `issuperset`.
pub(crate) fn superset(value: &Value, other: &Value) -> Result<bool, Error> {
    subset(other, value)
}

/// `contains(item)`: `item in value`.
pub(crate) fn contains(value: &Value, item: &Value) -> Result<bool, Error> {
    if let (Some(haystack), Some(needle)) = (value.as_str(), item.as_str()) {
        return Ok(haystack.contains(needle));
    }
    Ok(py_contains(&to_vec("contains", value)?, item))
}

/// `any`: at least one item is truthy.
pub(crate) fn any(value: &Value) -> Result<bool, Error> {
    Ok(to_vec("any", value)?.iter().any(Value::is_true))
}

/// `all`: every item is truthy.
pub(crate) fn all(value: &Value) -> Result<bool, Error> {
    Ok(to_vec("all", value)?.iter().all(Value::is_true))
}

/// `nan` / `isnan`.
pub(crate) fn nan(value: &Value) -> bool {
    crate::util::is_float(value) && crate::util::as_f64(value).is_some_and(f64::is_nan)
}

/// Jinja's `sequence`: anything with a length and item access, which in
/// Python includes strings and mappings.
pub(crate) fn sequence(value: &Value) -> bool {
    matches!(
        value.kind(),
        ValueKind::Seq | ValueKind::Map | ValueKind::String | ValueKind::Bytes
    )
}

/// Jinja's `iterable`.
pub(crate) fn iterable(value: &Value) -> bool {
    matches!(
        value.kind(),
        ValueKind::Seq
            | ValueKind::Map
            | ValueKind::String
            | ValueKind::Bytes
            | ValueKind::Iterable
    )
}

/// Jinja's `integer` (booleans are not integers).
pub(crate) fn integer(value: &Value) -> bool {
    value.kind() == ValueKind::Number && value.is_integer()
}

/// Jinja's `float`.
pub(crate) fn float(value: &Value) -> bool {
    crate::util::is_float(value)
}

/// Jinja's `number` (booleans are numbers in Python).
pub(crate) fn number(value: &Value) -> bool {
    matches!(value.kind(), ValueKind::Number | ValueKind::Bool)
}

/// Jinja's `divisibleby`.
pub(crate) fn divisibleby(value: &Value, num: &Value) -> Result<bool, Error> {
    let (Some(a), Some(b)) = (crate::util::as_f64(value), crate::util::as_f64(num)) else {
        return Err(invalid("divisibleby expects numbers"));
    };
    if b == 0.0 {
        return Err(invalid("integer division or modulo by zero"));
    }
    Ok(a % b == 0.0)
}

fn path_of(value: &Value) -> std::path::PathBuf {
    let raw = text_of(value);
    match (raw.strip_prefix("~/"), std::env::var_os("HOME")) {
        (Some(rest), Some(home)) => Path::new(&home).join(rest),
        _ => std::path::PathBuf::from(&raw),
    }
}

/// `file` / `is_file`.
pub(crate) fn is_file(value: &Value) -> bool {
    path_of(value).is_file()
}

/// `directory` / `is_dir`.
pub(crate) fn is_dir(value: &Value) -> bool {
    path_of(value).is_dir()
}

/// `exists`: follows symlinks like `os.path.exists`.
pub(crate) fn exists(value: &Value) -> bool {
    path_of(value).exists()
}

/// `link` / `is_link`.
pub(crate) fn is_link(value: &Value) -> bool {
    path_of(value).is_symlink()
}

/// `abs` / `is_abs`: an absolute path.
pub(crate) fn is_abs(value: &Value) -> bool {
    text_of(value).starts_with('/')
}

/// `same_file` / `is_same_file`.
pub(crate) fn same_file(value: &Value, other: &Value) -> bool {
    match (path_of(value).canonicalize(), path_of(other).canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}
