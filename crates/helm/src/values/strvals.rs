//! Helm's `--set` syntax (`pkg/strvals`): `a.b[0].c=x,d={1,2}` with `\`
//! escapes, typed scalars (`true`, `null`, int64) unless `--set-string`,
//! and JSON values for `--set-json`.

use thiserror::Error;

use crate::value::{Map, MapRef, Value};

/// A `--set` expression that does not parse.
#[derive(Debug, Clone, Error, PartialEq)]
#[error("failed parsing --set data {expr:?}: {message}")]
pub struct SetError {
    /// The expression.
    pub expr: String,
    /// What is wrong.
    pub message: String,
}

const MAX_INDEX: usize = 65536;

/// How values are typed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum SetMode {
    /// `--set`: `true`/`false`/`null`/int64 recognised.
    Typed,
    /// `--set-string`: everything is a string.
    String,
    /// `--set-json`: the value is JSON.
    Json,
}

#[derive(Debug, Clone)]
enum Seg {
    Key(String),
    Index(usize),
}

/// Parses `expr` into `target` (Helm's `ParseInto`).
pub fn parse_into(expr: &str, target: &MapRef, mode: SetMode) -> Result<(), SetError> {
    let err = |m: String| SetError {
        expr: expr.to_string(),
        message: m,
    };
    let chars: Vec<char> = expr.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        // key path
        let mut segs = Vec::new();
        let mut cur = String::new();
        let mut have_cur = false;
        loop {
            let Some(&c) = chars.get(i) else {
                if segs.is_empty() && cur.is_empty() {
                    return Ok(());
                }
                return Err(err(format!("key {:?} has no value", key_text(&segs, &cur))));
            };
            match c {
                '\\' => {
                    if let Some(&n) = chars.get(i + 1) {
                        cur.push(n);
                        have_cur = true;
                        i += 2;
                    } else {
                        i += 1;
                    }
                }
                '.' => {
                    if have_cur || !cur.is_empty() {
                        segs.push(Seg::Key(std::mem::take(&mut cur)));
                    }
                    have_cur = false;
                    i += 1;
                }
                '[' => {
                    if have_cur || !cur.is_empty() {
                        segs.push(Seg::Key(std::mem::take(&mut cur)));
                        have_cur = false;
                    }
                    let close = chars[i..]
                        .iter()
                        .position(|&x| x == ']')
                        .map(|p| p + i)
                        .ok_or_else(|| err("missing ]".into()))?;
                    let idx_s: String = chars[i + 1..close].iter().collect();
                    let idx: i64 = idx_s.parse().map_err(|_| {
                        err(format!("strconv.Atoi: parsing {idx_s:?}: invalid syntax"))
                    })?;
                    if idx < 0 {
                        return Err(err(format!("negative {idx} index not allowed")));
                    }
                    if idx as usize > MAX_INDEX {
                        return Err(err(format!(
                            "index of {idx} is greater than maximum supported index of {MAX_INDEX}"
                        )));
                    }
                    segs.push(Seg::Index(idx as usize));
                    i = close + 1;
                }
                '=' => {
                    if have_cur || !cur.is_empty() {
                        segs.push(Seg::Key(std::mem::take(&mut cur)));
                    }
                    i += 1;
                    break;
                }
                ',' => {
                    return Err(err(format!(
                        "key {:?} has no value (cannot end with ,)",
                        key_text(&segs, &cur)
                    )));
                }
                c => {
                    cur.push(c);
                    have_cur = true;
                    i += 1;
                }
            }
        }
        if segs.is_empty() {
            return Err(err("key has no name".into()));
        }
        // value
        let value = if mode != SetMode::Json && chars.get(i) == Some(&'{') {
            let close = chars[i..]
                .iter()
                .position(|&x| x == '}')
                .map(|p| p + i)
                .ok_or_else(|| err("list must terminate with '}'".into()))?;
            let inner: String = chars[i + 1..close].iter().collect();
            i = close + 1;
            if chars.get(i).is_some_and(|c| *c != ',') {
                return Err(err("list must terminate with '}'".into()));
            }
            i += 1;
            Value::list(inner.split(',').map(|s| typed(s, mode)).collect())
        } else if mode == SetMode::Json {
            // JSON value runs to the next top-level comma.
            let start = i;
            let mut depth = 0i32;
            let mut in_str = false;
            while let Some(&c) = chars.get(i) {
                if in_str {
                    if c == '\\' {
                        i += 1;
                    } else if c == '"' {
                        in_str = false;
                    }
                } else {
                    match c {
                        '"' => in_str = true,
                        '{' | '[' => depth += 1,
                        '}' | ']' => depth -= 1,
                        ',' if depth == 0 => break,
                        _ => {}
                    }
                }
                i += 1;
            }
            let raw: String = chars[start..i.min(chars.len())].iter().collect();
            i += 1;
            let j: serde_json::Value =
                serde_json::from_str(&raw).map_err(|e| err(format!("{e}")))?;
            Value::from_json(&j)
        } else {
            let mut v = String::new();
            while let Some(&c) = chars.get(i) {
                match c {
                    '\\' => {
                        if let Some(&n) = chars.get(i + 1) {
                            v.push(n);
                        }
                        i += 2;
                    }
                    ',' => break,
                    c => {
                        v.push(c);
                        i += 1;
                    }
                }
            }
            i += 1;
            typed(&v, mode)
        };
        set_path(target, &segs, value).map_err(err)?;
    }
    Ok(())
}

fn key_text(segs: &[Seg], cur: &str) -> String {
    let mut s: Vec<String> = segs
        .iter()
        .map(|x| match x {
            Seg::Key(k) => k.clone(),
            Seg::Index(i) => format!("[{i}]"),
        })
        .collect();
    if !cur.is_empty() {
        s.push(cur.to_string());
    }
    s.join(".")
}

fn typed(v: &str, mode: SetMode) -> Value {
    if mode == SetMode::String {
        return Value::from(v);
    }
    if v.eq_ignore_ascii_case("true") {
        return Value::Bool(true);
    }
    if v.eq_ignore_ascii_case("false") {
        return Value::Bool(false);
    }
    if v.eq_ignore_ascii_case("null") {
        return Value::Nil;
    }
    if v == "0" {
        return Value::Int64(0);
    }
    if !v.is_empty()
        && !v.starts_with('0')
        && let Ok(i) = v.parse::<i64>()
    {
        return Value::Int64(i);
    }
    Value::from(v)
}

fn set_path(target: &MapRef, segs: &[Seg], value: Value) -> Result<(), String> {
    let Some((Seg::Key(first), rest)) = segs.split_first() else {
        return Err("path must start with a key".into());
    };
    let existing = target.get(first);
    let new = set_in(existing, rest, value)?;
    target.insert(first.clone(), new);
    Ok(())
}

fn set_in(existing: Option<Value>, segs: &[Seg], value: Value) -> Result<Value, String> {
    let Some((seg, rest)) = segs.split_first() else {
        return Ok(value);
    };
    match seg {
        Seg::Key(k) => {
            let m = match existing {
                Some(Value::Map(m)) => m,
                _ => MapRef::new(Map::new()),
            };
            let child = m.get(k);
            let v = set_in(child, rest, value)?;
            m.insert(k.clone(), v);
            Ok(Value::Map(m))
        }
        Seg::Index(idx) => {
            let mut l = match existing {
                Some(Value::List(l)) => l.as_ref().clone(),
                _ => Vec::new(),
            };
            while l.len() <= *idx {
                l.push(Value::Nil);
            }
            let child = Some(l[*idx].clone()).filter(|v| !matches!(v, Value::Nil));
            l[*idx] = set_in(child, rest, value)?;
            Ok(Value::list(l))
        }
    }
}
