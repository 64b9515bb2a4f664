//! Typed reading of a lookup's keyword arguments.
//!
//! Why strict: a misspelt `validate_cert=false` or `regoin=` silently ignored would send a
//! request somewhere unexpected. Unknown keys are rejected with a did-you-mean, and type errors
//! describe the expected type without echoing the value (it may be a password).
//! `null` values count as absent, like Ansible's `None` defaults.

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::Value;

use crate::error::LookupError;
use crate::sensitive::Sensitive;

/// The keyword arguments of one lookup call, with the lookup's name for error messages.
pub(crate) struct Kwargs<'a> {
    lookup: &'static str,
    map: &'a BTreeMap<String, Value>,
}

impl<'a> Kwargs<'a> {
    /// Checks that every key is in `known` (canonical names and aliases).
    pub(crate) fn new(
        lookup: &'static str,
        map: &'a BTreeMap<String, Value>,
        known: &[&str],
    ) -> Result<Self, LookupError> {
        if let Some(key) = map.keys().find(|k| !known.contains(&k.as_str())) {
            let suggestion = did_you_mean(key, known)
                .map(|s| format!(" (did you mean '{s}'?)"))
                .unwrap_or_default();
            return Err(LookupError::UnknownOption {
                lookup,
                key: key.clone(),
                suggestion,
                expected: known.join(", "),
            });
        }
        Ok(Self { lookup, map })
    }

    /// The value under the first of `keys` (a name and its aliases) that is set and not null.
    fn get(&self, keys: &[&'static str]) -> Option<(&'static str, &'a Value)> {
        keys.iter()
            .find_map(|k| self.map.get(*k).filter(|v| !v.is_null()).map(|v| (*k, v)))
    }

    fn bad(&self, key: &str, expected: &str, got: &Value) -> LookupError {
        LookupError::BadOption {
            lookup: self.lookup,
            key: key.to_string(),
            expected: format!("{expected}, got {}", type_name(got)),
        }
    }

    /// A string; numbers are accepted and written out (`version_id=3`).
    pub(crate) fn string(&self, keys: &[&'static str]) -> Result<Option<String>, LookupError> {
        match self.get(keys) {
            None => Ok(None),
            Some((_, Value::String(s))) => Ok(Some(s.clone())),
            Some((_, Value::Number(n))) => Ok(Some(n.to_string())),
            Some((key, other)) => Err(self.bad(key, "must be a string", other)),
        }
    }

    /// A credential: a string only, wrapped so it cannot be printed.
    pub(crate) fn sensitive(
        &self,
        keys: &[&'static str],
    ) -> Result<Option<Sensitive>, LookupError> {
        match self.get(keys) {
            None => Ok(None),
            Some((_, Value::String(s))) => Ok(Some(Sensitive::new(s.as_str()))),
            Some((key, other)) => Err(self.bad(key, "must be a string", other)),
        }
    }

    /// A boolean, also in Ansible's spellings (`yes`/`no`, `on`/`off`, `1`/`0`, `true`/`false`).
    pub(crate) fn bool(&self, keys: &[&'static str]) -> Result<Option<bool>, LookupError> {
        let Some((key, value)) = self.get(keys) else {
            return Ok(None);
        };
        let parsed = match value {
            Value::Bool(b) => Some(*b),
            Value::Number(n) => match n.as_i64() {
                Some(1) => Some(true),
                Some(0) => Some(false),
                _ => None,
            },
            Value::String(s) => match s.trim().to_ascii_lowercase().as_str() {
                "yes" | "on" | "true" | "1" | "y" | "t" => Some(true),
                "no" | "off" | "false" | "0" | "n" | "f" => Some(false),
                _ => None,
            },
            _ => None,
        };
        parsed
            .map(Some)
            .ok_or_else(|| self.bad(key, "must be a boolean (true/false, yes/no)", value))
    }

    /// A positive, finite number of seconds (integer, float or numeric string).
    pub(crate) fn seconds(&self, keys: &[&'static str]) -> Result<Option<Duration>, LookupError> {
        let Some((key, value)) = self.get(keys) else {
            return Ok(None);
        };
        let secs = match value {
            Value::Number(n) => n.as_f64(),
            Value::String(s) => s.trim().parse::<f64>().ok(),
            _ => None,
        };
        match secs {
            Some(s) if s.is_finite() && s > 0.0 && s <= 86_400.0 => {
                Ok(Some(Duration::from_secs_f64(s)))
            }
            _ => Err(self.bad(
                key,
                "must be a number of seconds greater than 0 (at most 86400)",
                value,
            )),
        }
    }

    /// A mapping of header names to values; scalar values are written out, values are sensitive.
    pub(crate) fn headers(
        &self,
        keys: &[&'static str],
    ) -> Result<Vec<(String, Sensitive)>, LookupError> {
        let Some((key, value)) = self.get(keys) else {
            return Ok(Vec::new());
        };
        let Value::Object(map) = value else {
            return Err(self.bad(key, "must be a mapping of header names to values", value));
        };
        map.iter()
            .map(|(name, v)| {
                let text = match v {
                    Value::String(s) => s.clone(),
                    Value::Number(n) => n.to_string(),
                    Value::Bool(b) => if *b { "True" } else { "False" }.to_string(),
                    other => {
                        return Err(LookupError::BadOption {
                            lookup: self.lookup,
                            key: format!("{key}.{name}"),
                            expected: format!("must be a string, got {}", type_name(other)),
                        });
                    }
                };
                Ok((name.clone(), Sensitive::new(text)))
            })
            .collect()
    }
}

/// The JSON type of a value, for "expected X, got Y" without the value itself.
pub(crate) fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a mapping",
    }
}

/// The known name closest to `key` (edit distance at most 2, or a prefix match).
pub(crate) fn did_you_mean<'k>(key: &str, known: &[&'k str]) -> Option<&'k str> {
    known
        .iter()
        .map(|k| (levenshtein(key, k), *k))
        .filter(|(d, k)| *d <= 2 || (key.len() >= 3 && k.starts_with(key)))
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k)
}

fn levenshtein(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = Vec::with_capacity(b.len() + 1);
        cur.push(i + 1);
        for (j, cb) in b.iter().enumerate() {
            let sub = prev.get(j).copied().unwrap_or(0) + usize::from(ca != *cb);
            let del = prev.get(j + 1).copied().unwrap_or(0) + 1;
            let ins = cur.last().copied().unwrap_or(0) + 1;
            cur.push(sub.min(del).min(ins));
        }
        prev = cur;
    }
    prev.last().copied().unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn map(v: Value) -> BTreeMap<String, Value> {
        serde_json::from_value(v).unwrap_or_default()
    }

    #[test]
    fn unknown_key_suggests_the_closest() {
        let m = map(json!({"regoin": "x"}));
        let err = Kwargs::new("aws_secret", &m, &["region", "endpoint"])
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains("unknown option 'regoin'"), "{err}");
        assert!(err.contains("did you mean 'region'?"), "{err}");
        assert!(err.contains("expected one of: region, endpoint"), "{err}");
    }

    #[test]
    fn far_keys_get_no_suggestion() {
        assert_eq!(did_you_mean("zzzzzz", &["region", "endpoint"]), None);
        assert_eq!(
            did_you_mean("valid", &["validate_certs"]),
            Some("validate_certs")
        );
    }

    #[test]
    fn type_errors_do_not_echo_the_value() {
        let m = map(json!({"password": 123456789, "timeout": "soon"}));
        let k = Kwargs::new("url", &m, &["password", "timeout"]).ok();
        let k = k.as_ref();
        let pw = k
            .and_then(|k| k.sensitive(&["password"]).err())
            .map(|e| e.to_string());
        let pw = pw.unwrap_or_default();
        assert!(pw.contains("must be a string, got a number"), "{pw}");
        assert!(!pw.contains("123456789"), "{pw}");
        let t = k
            .and_then(|k| k.seconds(&["timeout"]).err())
            .map(|e| e.to_string());
        assert!(t.unwrap_or_default().contains("number of seconds"));
    }

    #[test]
    fn bools_seconds_and_nulls() -> Result<(), LookupError> {
        let m = map(json!({"a": "yes", "b": 0, "c": "2.5", "d": null}));
        let k = Kwargs::new("url", &m, &["a", "b", "c", "d"])?;
        assert_eq!(k.bool(&["a"])?, Some(true));
        assert_eq!(k.bool(&["b"])?, Some(false));
        assert_eq!(k.seconds(&["c"])?, Some(Duration::from_millis(2500)));
        assert_eq!(k.string(&["d"])?, None);
        assert_eq!(k.string(&["missing", "c"])?, Some("2.5".to_string()));
        Ok(())
    }
}
