//! Argument conversion shared by the Sprig families: Go's reflect-based
//! typed parameters (`string`, `int`, `bool`) and Sprig's lenient
//! `strval`/`cast.ToInt64` helpers.

use crate::gotmpl::gofmt;
use crate::value::{Value, go_sprint};

/// Prefix of errors Go raises before calling a function (argument type
/// mismatch); the executor does not wrap them in `error calling`.
pub const WRONG_TYPE: &str = "wrong type for value; expected";

/// Separates a type error's message from the address of the offending
/// argument, so the executor can report it at that argument like Go.
pub const ARG_TAG: &str = "\u{0}arg@";

/// Builds Go's argument type error, tagged with the argument's identity.
pub fn type_error(v: &Value, expected: &str) -> String {
    let msg = match v {
        Value::Nil => format!("invalid value; expected {expected}"),
        other => format!("{WRONG_TYPE} {expected}; got {}", other.type_name()),
    };
    format!("{msg}{ARG_TAG}{}", v as *const Value as usize)
}

/// A `string` parameter.
pub fn want_str(v: &Value) -> Result<&str, String> {
    match v {
        Value::Str(s) => Ok(s),
        other => Err(type_error(other, "string")),
    }
}

/// An `int` parameter (Go converts only integer kinds).
pub fn want_int(v: &Value) -> Result<i64, String> {
    match v {
        Value::Int(i) | Value::Int64(i) => Ok(*i),
        other => Err(type_error(other, "int")),
    }
}

/// A `bool` parameter.
pub fn want_bool(v: &Value) -> Result<bool, String> {
    match v {
        Value::Bool(b) => Ok(*b),
        other => Err(type_error(other, "bool")),
    }
}

/// A `map[string]interface{}` parameter.
pub fn want_map(v: &Value) -> Result<&crate::value::MapRef, String> {
    match v {
        Value::Map(m) => Ok(m),
        other => Err(type_error(other, "map[string]interface {}")),
    }
}

/// Sprig's `strval`: strings as is, everything else via `%v`.
pub fn strval(v: &Value) -> String {
    match v {
        Value::Str(s) => s.to_string(),
        other => go_sprint(other),
    }
}

/// Sprig's `strslice`.
pub fn strslice(v: &Value) -> Vec<String> {
    match v {
        Value::List(l) => l
            .iter()
            .filter(|e| !matches!(e, Value::Nil))
            .map(strval)
            .collect(),
        Value::Nil => Vec::new(),
        other => vec![strval(other)],
    }
}

/// `cast.ToInt64` (lenient: strings parsed, floats truncated, else 0).
pub fn to_i64(v: &Value) -> i64 {
    match v {
        Value::Int(i) | Value::Int64(i) => *i,
        Value::Float(f) => *f as i64,
        Value::Bool(b) => i64::from(*b),
        Value::Str(s) => {
            let t = trim_zero_decimal(s);
            parse_int_base0(t).unwrap_or(0)
        }
        _ => 0,
    }
}

/// `cast.ToFloat64`.
pub fn to_f64(v: &Value) -> f64 {
    match v {
        Value::Int(i) | Value::Int64(i) => *i as f64,
        Value::Float(f) => *f,
        Value::Bool(b) => f64::from(u8::from(*b)),
        Value::Str(s) => s.parse::<f64>().unwrap_or(0.0),
        _ => 0.0,
    }
}

fn trim_zero_decimal(s: &str) -> &str {
    // cast's trimZeroDecimal: "12.000" -> "12"
    if let Some((int, frac)) = s.split_once('.')
        && !frac.is_empty()
        && frac.bytes().all(|c| c == b'0')
    {
        return int;
    }
    s
}

/// `strconv.ParseInt(s, 0, 64)`.
pub fn parse_int_base0(s: &str) -> Option<i64> {
    let (neg, body) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let body: String = body.chars().filter(|c| *c != '_').collect();
    let lower = body.to_ascii_lowercase();
    let v = if let Some(h) = lower.strip_prefix("0x") {
        i64::from_str_radix(h, 16).ok()?
    } else if let Some(o) = lower.strip_prefix("0o") {
        i64::from_str_radix(o, 8).ok()?
    } else if let Some(b) = lower.strip_prefix("0b") {
        i64::from_str_radix(b, 2).ok()?
    } else if lower.len() > 1 && lower.starts_with('0') {
        i64::from_str_radix(&lower[1..], 8).ok()?
    } else {
        lower.parse::<i64>().ok()?
    };
    Some(if neg { -v } else { v })
}

/// `fmt.Sprint` of several values.
pub fn sprint(a: &[Value]) -> String {
    gofmt::sprint(a)
}
