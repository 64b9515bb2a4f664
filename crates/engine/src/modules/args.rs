//! Argument conversions as Ansible's argument spec does them: `yes`/`"true"` are booleans for
//! boolean parameters, `"5"` is an integer for integer ones, numbers are accepted as strings.

use serde::{Deserialize, Deserializer};
use serde_json::Value as Json;

/// Turns serde's "unknown field `mgs`, expected one of `msg`, `var`" into Ansible's wording
/// with a did-you-mean.
pub fn describe_error(module: &str, message: &str) -> String {
    if let Some(rest) = message.strip_prefix("unknown field `")
        && let Some((field, expected)) = rest.split_once('`')
    {
        let candidates: Vec<&str> = expected
            .split('`')
            .filter(|s| s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') && !s.is_empty())
            .collect();
        let hint = stackbook_syntax::did_you_mean::hint(field, candidates.iter().copied());
        let mut supported = candidates.clone();
        supported.sort_unstable();
        return format!(
            "Unsupported parameters for ({module}) module: {field}. Supported parameters include: {}{hint}",
            supported.join(", ")
        );
    }
    format!("invalid arguments for ({module}) module: {message}")
}

/// Ansible's boolean conversion.
pub fn to_bool(value: &Json) -> Option<bool> {
    match value {
        Json::Bool(b) => Some(*b),
        Json::Number(n) => n.as_i64().map(|i| i != 0),
        Json::String(s) => match s.trim().to_ascii_lowercase().as_str() {
            "yes" | "on" | "true" | "1" | "y" | "t" | "1.0" => Some(true),
            "no" | "off" | "false" | "0" | "n" | "f" | "0.0" => Some(false),
            _ => None,
        },
        _ => None,
    }
}

/// `Option<bool>` accepting Ansible's boolean spellings.
pub fn bool_opt<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<bool>, D::Error> {
    let value = Option::<Json>::deserialize(deserializer)?;
    match value {
        None | Some(Json::Null) => Ok(None),
        Some(value) => to_bool(&value)
            .map(Some)
            .ok_or_else(|| serde::de::Error::custom(format!("{value} is not a valid boolean"))),
    }
}

/// `Option<i64>` accepting numeric strings.
pub fn int_opt<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<i64>, D::Error> {
    let value = Option::<Json>::deserialize(deserializer)?;
    match value {
        None | Some(Json::Null) => Ok(None),
        Some(Json::Number(n)) => n
            .as_i64()
            .or_else(|| n.as_f64().filter(|f| f.fract() == 0.0).map(|f| f as i64))
            .map(Some)
            .ok_or_else(|| serde::de::Error::custom(format!("{n} is not a valid integer"))),
        Some(Json::String(s)) => s
            .trim()
            .parse::<i64>()
            .map(Some)
            .map_err(|_| serde::de::Error::custom(format!("'{s}' is not a valid integer"))),
        Some(other) => Err(serde::de::Error::custom(format!(
            "{other} is not a valid integer"
        ))),
    }
}

/// `Option<f64>` accepting numeric strings.
pub fn float_opt<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<f64>, D::Error> {
    let value = Option::<Json>::deserialize(deserializer)?;
    match value {
        None | Some(Json::Null) => Ok(None),
        Some(Json::Number(n)) => Ok(n.as_f64()),
        Some(Json::String(s)) => s
            .trim()
            .parse::<f64>()
            .map(Some)
            .map_err(|_| serde::de::Error::custom(format!("'{s}' is not a valid number"))),
        Some(other) => Err(serde::de::Error::custom(format!(
            "{other} is not a valid number"
        ))),
    }
}

/// `Option<String>` accepting numbers and booleans (converted as Python's `str`).
pub fn string_opt<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<String>, D::Error> {
    let value = Option::<Json>::deserialize(deserializer)?;
    match value {
        None | Some(Json::Null) => Ok(None),
        Some(Json::String(s)) => Ok(Some(s)),
        Some(Json::Number(n)) => Ok(Some(n.to_string())),
        Some(Json::Bool(b)) => Ok(Some(if b { "True" } else { "False" }.into())),
        Some(other) => Err(serde::de::Error::custom(format!(
            "expected a string, got {other}"
        ))),
    }
}

/// A string or a list of strings (`that: x` or `that: [x, y]`).
pub fn string_list<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<String>, D::Error> {
    let value = Json::deserialize(deserializer)?;
    match value {
        Json::Null => Ok(Vec::new()),
        Json::Array(items) => items
            .into_iter()
            .map(|item| match item {
                Json::String(s) => Ok(s),
                Json::Bool(b) => Ok(if b { "True" } else { "False" }.to_string()),
                Json::Number(n) => Ok(n.to_string()),
                other => Err(serde::de::Error::custom(format!(
                    "expected a string, got {other}"
                ))),
            })
            .collect(),
        Json::String(s) => Ok(vec![s]),
        Json::Bool(b) => Ok(vec![if b { "True" } else { "False" }.to_string()]),
        other => Err(serde::de::Error::custom(format!(
            "expected a string or a list, got {other}"
        ))),
    }
}
