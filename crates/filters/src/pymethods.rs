//! Python methods on template values (`x.split(',')`, `d.get('k', 1)`,
//! `d.items()`), installed as minijinja's unknown-method callback.
//!
//! Jinja templates run on Python objects, so playbooks routinely call
//! `str`/`dict`/`list` methods. minijinja has none of them built in; this
//! module implements the commonly used ones with Python's semantics.

use minijinja::value::{Kwargs, Value, ValueKind, from_args};
use minijinja::{Error, ErrorKind, State};

use crate::repr::python_str;
use crate::util::{invalid, map_entries, py_contains, py_eq, to_vec};

/// The unknown-method callback registered by [`crate::add_to_environment`].
pub fn call_method(
    _state: &mut State,
    value: &Value,
    method: &str,
    args: &[Value],
) -> Result<Value, Error> {
    match value.kind() {
        ValueKind::String => str_method(value.as_str().unwrap_or_default(), method, args),
        ValueKind::Map => dict_method(value, method, args),
        ValueKind::Seq => list_method(value, method, args),
        _ => Err(Error::from(ErrorKind::UnknownMethod)),
    }
}

fn strs(values: Vec<String>) -> Value {
    Value::from(values.into_iter().map(Value::from).collect::<Vec<_>>())
}

fn chars_arg(chars: Option<&str>) -> impl Fn(char) -> bool + '_ {
    move |c| match chars {
        Some(set) => set.contains(c),
        None => c.is_whitespace(),
    }
}

/// Python's `str.split(sep=None, maxsplit=-1)`.
pub(crate) fn py_split(s: &str, sep: Option<&str>, maxsplit: i64) -> Result<Vec<String>, Error> {
    let max = usize::try_from(maxsplit).ok();
    Ok(match sep {
        Some("") => return Err(invalid("empty separator")),
        Some(sep) => match max {
            Some(m) => s.splitn(m + 1, sep).map(str::to_owned).collect(),
            None => s.split(sep).map(str::to_owned).collect(),
        },
        None => {
            let mut out = Vec::new();
            let mut rest = s.trim_start();
            while !rest.is_empty() {
                if max.is_some_and(|m| out.len() >= m) {
                    out.push(rest.trim_end().to_owned());
                    break;
                }
                let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
                out.push(rest[..end].to_owned());
                rest = rest[end..].trim_start();
            }
            out
        }
    })
}

/// Python's `str.splitlines(keepends=False)`.
fn splitlines(s: &str, keepends: bool) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        let is_break = matches!(
            c,
            '\n' | '\r'
                | '\u{b}'
                | '\u{c}'
                | '\u{1c}'
                | '\u{1d}'
                | '\u{1e}'
                | '\u{85}'
                | '\u{2028}'
                | '\u{2029}'
        );
        if !is_break {
            cur.push(c);
            continue;
        }
        if keepends {
            cur.push(c);
        }
        if c == '\r' && chars.peek() == Some(&'\n') {
            chars.next();
            if keepends {
                cur.push('\n');
            }
        }
        out.push(std::mem::take(&mut cur));
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

fn str_method(s: &str, method: &str, args: &[Value]) -> Result<Value, Error> {
    Ok(match method {
        "upper" => {
            let () = from_args(args)?;
            Value::from(s.to_uppercase())
        }
        "lower" => {
            let () = from_args(args)?;
            Value::from(s.to_lowercase())
        }
        "strip" | "lstrip" | "rstrip" => {
            let (chars,): (Option<&str>,) = from_args(args)?;
            let pred = chars_arg(chars);
            Value::from(match method {
                "strip" => s.trim_matches(pred),
                "lstrip" => s.trim_start_matches(pred),
                _ => s.trim_end_matches(pred),
            })
        }
        "split" => {
            let (sep, maxsplit, kwargs): (Option<Value>, Option<i64>, Kwargs) = from_args(args)?;
            let sep = match sep {
                Some(v) if !v.is_none() => Some(python_str(&v)),
                _ => kwargs.get::<Option<String>>("sep")?,
            };
            let maxsplit = maxsplit
                .or(kwargs.get::<Option<i64>>("maxsplit")?)
                .unwrap_or(-1);
            kwargs.assert_all_used()?;
            strs(py_split(s, sep.as_deref(), maxsplit)?)
        }
        "rsplit" => {
            let (sep, maxsplit): (Option<&str>, Option<i64>) = from_args(args)?;
            let max = maxsplit.and_then(|m| usize::try_from(m).ok());
            match (sep, max) {
                (Some(sep), Some(m)) if !sep.is_empty() => {
                    let mut parts: Vec<String> = s.rsplitn(m + 1, sep).map(str::to_owned).collect();
                    parts.reverse();
                    strs(parts)
                }
                _ => strs(py_split(s, sep, -1)?),
            }
        }
        "splitlines" => {
            let (keepends,): (Option<bool>,) = from_args(args)?;
            strs(splitlines(s, keepends.unwrap_or(false)))
        }
        "startswith" | "endswith" => {
            let (prefix,): (Value,) = from_args(args)?;
            let options: Vec<String> = if prefix.kind() == ValueKind::Seq {
                to_vec(method, &prefix)?.iter().map(python_str).collect()
            } else {
                vec![python_str(&prefix)]
            };
            Value::from(options.iter().any(|p| {
                if method == "startswith" {
                    s.starts_with(p.as_str())
                } else {
                    s.ends_with(p.as_str())
                }
            }))
        }
        "replace" => {
            let (old, new, count): (&str, &str, Option<i64>) = from_args(args)?;
            match count.and_then(|c| usize::try_from(c).ok()) {
                Some(c) => Value::from(s.replacen(old, new, c)),
                None => Value::from(s.replace(old, new)),
            }
        }
        "find" | "index" | "rfind" | "rindex" => {
            let (needle,): (&str,) = from_args(args)?;
            let byte_pos = if method.starts_with('r') {
                s.rfind(needle)
            } else {
                s.find(needle)
            };
            match byte_pos {
                Some(b) => Value::from(s[..b].chars().count()),
                None if method.ends_with("index") => return Err(invalid("substring not found")),
                None => Value::from(-1),
            }
        }
        "count" => {
            let (needle,): (&str,) = from_args(args)?;
            if needle.is_empty() {
                Value::from(s.chars().count() + 1)
            } else {
                Value::from(s.matches(needle).count())
            }
        }
        "join" => {
            let (items,): (Value,) = from_args(args)?;
            Value::from(
                to_vec("join", &items)?
                    .iter()
                    .map(python_str)
                    .collect::<Vec<_>>()
                    .join(s),
            )
        }
        "capitalize" => {
            let () = from_args(args)?;
            let mut chars = s.chars();
            Value::from(match chars.next() {
                Some(first) => first
                    .to_uppercase()
                    .chain(chars.flat_map(char::to_lowercase))
                    .collect::<String>(),
                None => String::new(),
            })
        }
        "title" => {
            let () = from_args(args)?;
            let mut out = String::new();
            let mut prev_cased = false;
            for c in s.chars() {
                if prev_cased {
                    out.extend(c.to_lowercase());
                } else {
                    out.extend(c.to_uppercase());
                }
                prev_cased = c.is_alphabetic();
            }
            Value::from(out)
        }
        "isdigit" | "isnumeric" | "isdecimal" => {
            let () = from_args(args)?;
            Value::from(!s.is_empty() && s.chars().all(|c| c.is_numeric()))
        }
        "isalpha" => {
            let () = from_args(args)?;
            Value::from(!s.is_empty() && s.chars().all(char::is_alphabetic))
        }
        "isalnum" => {
            let () = from_args(args)?;
            Value::from(!s.is_empty() && s.chars().all(char::is_alphanumeric))
        }
        "isspace" => {
            let () = from_args(args)?;
            Value::from(!s.is_empty() && s.chars().all(char::is_whitespace))
        }
        "islower" | "isupper" => {
            let () = from_args(args)?;
            let cased: Vec<char> = s
                .chars()
                .filter(|c| c.is_lowercase() || c.is_uppercase())
                .collect();
            Value::from(
                !cased.is_empty()
                    && cased.iter().all(|c| {
                        if method == "islower" {
                            c.is_lowercase()
                        } else {
                            c.is_uppercase()
                        }
                    }),
            )
        }
        "zfill" => {
            let (width,): (usize,) = from_args(args)?;
            let len = s.chars().count();
            if len >= width {
                Value::from(s)
            } else {
                let (sign, digits) = match s.chars().next() {
                    Some(c @ ('+' | '-')) => (c.to_string(), &s[1..]),
                    _ => (String::new(), s),
                };
                Value::from(format!("{sign}{}{digits}", "0".repeat(width - len)))
            }
        }
        "ljust" | "rjust" => {
            let (width, fill): (usize, Option<&str>) = from_args(args)?;
            let fill = fill.and_then(|f| f.chars().next()).unwrap_or(' ');
            let len = s.chars().count();
            let pad: String = std::iter::repeat_n(fill, width.saturating_sub(len)).collect();
            Value::from(if method == "ljust" {
                format!("{s}{pad}")
            } else {
                format!("{pad}{s}")
            })
        }
        "partition" | "rpartition" => {
            let (sep,): (&str,) = from_args(args)?;
            let found = if method == "partition" {
                s.split_once(sep)
            } else {
                s.rsplit_once(sep)
            };
            let parts = match found {
                Some((a, b)) => [a, sep, b],
                None if method == "partition" => [s, "", ""],
                None => ["", "", s],
            };
            Value::from(parts.iter().map(|p| Value::from(*p)).collect::<Vec<_>>())
        }
        "format" => {
            return Err(invalid(
                "str.format() is not supported; use the `format` filter",
            ));
        }
        _ => return Err(Error::from(ErrorKind::UnknownMethod)),
    })
}

fn dict_method(value: &Value, method: &str, args: &[Value]) -> Result<Value, Error> {
    Ok(match method {
        "get" => {
            let (key, default): (Value, Option<Value>) = from_args(args)?;
            let found = map_entries("get", value)?
                .into_iter()
                .find(|(k, _)| py_eq(k, &key));
            match found {
                Some((_, v)) => v,
                None => default.unwrap_or(Value::from(())),
            }
        }
        "keys" => {
            let () = from_args(args)?;
            Value::from(
                map_entries("keys", value)?
                    .into_iter()
                    .map(|(k, _)| k)
                    .collect::<Vec<_>>(),
            )
        }
        "values" => {
            let () = from_args(args)?;
            Value::from(
                map_entries("values", value)?
                    .into_iter()
                    .map(|(_, v)| v)
                    .collect::<Vec<_>>(),
            )
        }
        "items" => {
            let () = from_args(args)?;
            Value::from(
                map_entries("items", value)?
                    .into_iter()
                    .map(|(k, v)| Value::from(vec![k, v]))
                    .collect::<Vec<_>>(),
            )
        }
        "copy" => {
            let () = from_args(args)?;
            value.clone()
        }
        _ => return Err(Error::from(ErrorKind::UnknownMethod)),
    })
}

fn list_method(value: &Value, method: &str, args: &[Value]) -> Result<Value, Error> {
    let items = to_vec(method, value)?;
    Ok(match method {
        "index" => {
            let (needle,): (Value,) = from_args(args)?;
            match items.iter().position(|v| py_eq(v, &needle)) {
                Some(i) => Value::from(i),
                None => {
                    return Err(invalid(format!(
                        "{} is not in list",
                        crate::repr::python_repr(&needle)
                    )));
                }
            }
        }
        "count" => {
            let (needle,): (Value,) = from_args(args)?;
            Value::from(items.iter().filter(|v| py_eq(v, &needle)).count())
        }
        "copy" => {
            let () = from_args(args)?;
            Value::from(items)
        }
        "__contains__" => {
            let (needle,): (Value,) = from_args(args)?;
            Value::from(py_contains(&items, &needle))
        }
        _ => return Err(Error::from(ErrorKind::UnknownMethod)),
    })
}
