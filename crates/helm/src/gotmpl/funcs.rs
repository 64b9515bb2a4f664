//! Function registry and Go's predefined template functions (`eq`, `len`,
//! `index`, `printf`, ...). `and`/`or`/`include`/`tpl` are evaluated by the
//! executor because they need lazy arguments or the template set.

use std::collections::HashMap;

use super::gofmt;
use crate::value::Value;

/// A template function: takes evaluated arguments, returns a value or the
/// message Go would wrap as `error calling NAME: MSG`.
pub type Func = fn(&[Value]) -> Result<Value, String>;

/// A function with its accepted argument count.
#[derive(Clone, Copy)]
pub struct FuncSpec {
    /// The implementation.
    pub f: Func,
    /// Minimum argument count.
    pub min: usize,
    /// Maximum argument count (`None` = variadic).
    pub max: Option<usize>,
}

/// Name → function table.
#[derive(Clone, Default)]
pub struct FuncMap(pub(crate) HashMap<&'static str, FuncSpec>);

impl FuncMap {
    /// Registers `name` with a fixed arity.
    pub fn add(&mut self, name: &'static str, n: usize, f: Func) {
        self.0.insert(
            name,
            FuncSpec {
                f,
                min: n,
                max: Some(n),
            },
        );
    }
    /// Registers `name` taking between `min` and `max` args.
    pub fn add_range(&mut self, name: &'static str, min: usize, max: usize, f: Func) {
        self.0.insert(
            name,
            FuncSpec {
                f,
                min,
                max: Some(max),
            },
        );
    }
    /// Registers a variadic function taking at least `min` args.
    pub fn add_variadic(&mut self, name: &'static str, min: usize, f: Func) {
        self.0.insert(name, FuncSpec { f, min, max: None });
    }
    /// Registers `alias` as another name for the already registered `name`.
    pub fn alias(&mut self, alias: &'static str, name: &str) {
        if let Some(spec) = self.0.get(name).copied() {
            self.0.insert(alias, spec);
        }
    }
    /// Looks a function up.
    pub fn get(&self, name: &str) -> Option<&FuncSpec> {
        self.0.get(name)
    }
    /// True when `name` is registered.
    pub fn contains(&self, name: &str) -> bool {
        self.0.contains_key(name)
    }
}

/// Names handled by the executor itself.
pub const EXECUTOR_FUNCS: &[&str] = &["and", "or", "include", "tpl"];

/// Go's builtin template functions.
pub fn builtins() -> FuncMap {
    let mut m = FuncMap::default();
    m.add("not", 1, |a| Ok(Value::Bool(!a[0].is_true())));
    m.add("len", 1, len);
    m.add_variadic("index", 1, index);
    m.add_variadic("slice", 1, slice);
    m.add_variadic("print", 0, |a| Ok(Value::from(gofmt::sprint(a))));
    m.add_variadic("println", 0, |a| Ok(Value::from(gofmt::sprintln(a))));
    m.add_variadic("printf", 1, |a| {
        let f = a[0].as_str().ok_or_else(|| {
            format!(
                "wrong type for value; expected string; got {}",
                a[0].type_name()
            )
        })?;
        Ok(Value::from(gofmt::sprintf(f, &a[1..])))
    });
    m.add_variadic("html", 0, |a| Ok(Value::from(html_escape(&eval_args(a)))));
    m.add_variadic("js", 0, |a| Ok(Value::from(js_escape(&eval_args(a)))));
    m.add_variadic("urlquery", 0, |a| {
        Ok(Value::from(query_escape(&eval_args(a))))
    });
    m.add_variadic("eq", 1, |a| eq(&a[0], &a[1..]).map(Value::Bool));
    m.add("ne", 2, |a| eq(&a[0], &a[1..2]).map(|b| Value::Bool(!b)));
    m.add("lt", 2, |a| less(&a[0], &a[1]).map(Value::Bool));
    m.add("le", 2, |a| {
        Ok(Value::Bool(less(&a[0], &a[1])? || eq(&a[0], &a[1..2])?))
    });
    m.add("gt", 2, |a| {
        Ok(Value::Bool(!less(&a[0], &a[1])? && !eq(&a[0], &a[1..2])?))
    });
    m.add("ge", 2, |a| less(&a[0], &a[1]).map(|b| Value::Bool(!b)));
    m
}

/// `evalArgs`: a single string argument is used as is, otherwise Sprint.
fn eval_args(a: &[Value]) -> String {
    match a {
        [Value::Str(s)] => s.to_string(),
        _ => gofmt::sprint(a),
    }
}

fn len(a: &[Value]) -> Result<Value, String> {
    Ok(Value::Int(match &a[0] {
        Value::Str(s) => crate::value::go_len(s) as i64,
        Value::List(l) => l.len() as i64,
        Value::Map(m) => m.len() as i64,
        Value::Nil => return Err("len of nil pointer".into()),
        other => return Err(format!("len of type {}", other.type_name())),
    }))
}

fn to_index(v: &Value) -> Result<i64, String> {
    match v {
        Value::Int(i) | Value::Int64(i) => Ok(*i),
        Value::Nil => Err("cannot index slice/array with nil".into()),
        other => Err(format!(
            "cannot index slice/array with type {}",
            other.type_name()
        )),
    }
}

fn index(a: &[Value]) -> Result<Value, String> {
    let mut item = a[0].clone();
    for idx in &a[1..] {
        item = match &item {
            Value::List(l) => {
                let i = to_index(idx)?;
                if i < 0 || i as usize >= l.len() {
                    return Err(format!("index out of range: {i}"));
                }
                l[i as usize].clone()
            }
            Value::Str(s) => {
                let i = to_index(idx)?;
                match s.as_bytes().get(i as usize) {
                    Some(b) if i >= 0 => Value::Int(*b as i64),
                    _ => return Err(format!("index out of range: {i}")),
                }
            }
            Value::Map(m) => match idx {
                Value::Str(k) => m.get(k).unwrap_or(Value::Nil),
                Value::Nil => return Err("value is nil; should be of type string".into()),
                other => {
                    return Err(format!(
                        "value has type {}; should be string",
                        other.type_name()
                    ));
                }
            },
            Value::Nil => return Err("index of untyped nil".into()),
            other => return Err(format!("can't index item of type {}", other.type_name())),
        };
    }
    Ok(item)
}

fn slice(a: &[Value]) -> Result<Value, String> {
    let idx: Vec<i64> = a[1..].iter().map(to_index).collect::<Result<_, _>>()?;
    if idx.len() > 3 {
        return Err(format!("too many slice indexes: {}", idx.len()));
    }
    let len = match &a[0] {
        Value::List(l) => l.len(),
        Value::Str(s) => {
            if idx.len() == 3 {
                return Err("cannot 3-index slice a string".into());
            }
            s.len()
        }
        Value::Nil => return Err("slice of untyped nil".into()),
        other => return Err(format!("can't slice item of type {}", other.type_name())),
    } as i64;
    let lo = idx.first().copied().unwrap_or(0);
    let hi = idx.get(1).copied().unwrap_or(len);
    if lo < 0 || hi < lo || hi > len {
        return Err(format!(
            "index out of range: {}",
            if lo < 0 { lo } else { hi }
        ));
    }
    Ok(match &a[0] {
        Value::List(l) => Value::list(l[lo as usize..hi as usize].to_vec()),
        Value::Str(s) => Value::from(
            String::from_utf8_lossy(&s.as_bytes()[lo as usize..hi as usize]).into_owned(),
        ),
        _ => Value::Nil,
    })
}

#[derive(PartialEq, Clone, Copy)]
enum Kind {
    Bool,
    Int,
    Float,
    Str,
    Other,
    Invalid,
}

fn basic_kind(v: &Value) -> Kind {
    match v {
        Value::Bool(_) => Kind::Bool,
        Value::Int(_) | Value::Int64(_) => Kind::Int,
        Value::Float(_) => Kind::Float,
        Value::Str(_) => Kind::Str,
        Value::Nil => Kind::Invalid,
        _ => Kind::Other,
    }
}

/// Go's `eq`: true when `a` equals any of `bs`.
pub fn eq(a: &Value, bs: &[Value]) -> Result<bool, String> {
    if bs.is_empty() {
        return Err("missing argument for comparison".into());
    }
    let k1 = basic_kind(a);
    for b in bs {
        let k2 = basic_kind(b);
        let truth = if k1 != k2 {
            if k1 != Kind::Invalid && k2 != Kind::Invalid {
                return Err(format!(
                    "incompatible types for comparison: {} and {}",
                    a.type_name(),
                    b.type_name()
                ));
            }
            false
        } else {
            match (a, b) {
                (Value::Bool(x), Value::Bool(y)) => x == y,
                (Value::Int(x) | Value::Int64(x), Value::Int(y) | Value::Int64(y)) => x == y,
                (Value::Float(x), Value::Float(y)) => x == y,
                (Value::Str(x), Value::Str(y)) => x == y,
                (Value::Nil, Value::Nil) => true,
                (Value::List(_), _)
                | (Value::Map(_), _)
                | (_, Value::List(_))
                | (_, Value::Map(_)) => {
                    let bad = if matches!(a, Value::List(_) | Value::Map(_)) {
                        a
                    } else {
                        b
                    };
                    return Err(format!(
                        "non-comparable type {}: {}",
                        gofmt::sprintf("%s", std::slice::from_ref(bad)),
                        bad.type_name()
                    ));
                }
                _ => a == b,
            }
        };
        if truth {
            return Ok(true);
        }
    }
    Ok(false)
}

/// Go's `lt`.
pub fn less(a: &Value, b: &Value) -> Result<bool, String> {
    let (k1, k2) = (basic_kind(a), basic_kind(b));
    if matches!(k1, Kind::Bool | Kind::Other | Kind::Invalid)
        || matches!(k2, Kind::Bool | Kind::Other | Kind::Invalid)
    {
        return Err("invalid type for comparison".into());
    }
    if k1 != k2 {
        return Err(format!(
            "incompatible types for comparison: {} and {}",
            a.type_name(),
            b.type_name()
        ));
    }
    Ok(match (a, b) {
        (Value::Int(x) | Value::Int64(x), Value::Int(y) | Value::Int64(y)) => x < y,
        (Value::Float(x), Value::Float(y)) => x < y,
        (Value::Str(x), Value::Str(y)) => x < y,
        _ => false,
    })
}

/// Go's `template.HTMLEscapeString`.
pub fn html_escape(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\0' => o.push('\u{FFFD}'),
            '"' => o.push_str("&#34;"),
            '\'' => o.push_str("&#39;"),
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            c => o.push(c),
        }
    }
    o
}

/// Go's `template.JSEscapeString`.
pub fn js_escape(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => o.push_str("\\\\"),
            '\'' => o.push_str("\\'"),
            '"' => o.push_str("\\\""),
            '<' => o.push_str("\\u003C"),
            '>' => o.push_str("\\u003E"),
            '&' => o.push_str("\\u0026"),
            '=' => o.push_str("\\u003D"),
            '\n' => o.push_str("\\n"),
            '\r' => o.push_str("\\r"),
            '\t' => o.push_str("\\t"),
            c if (c as u32) < 0x20 => o.push_str(&format!("\\u{:04X}", c as u32)),
            c => o.push(c),
        }
    }
    o
}

/// Go's `url.QueryEscape`.
pub fn query_escape(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                o.push(b as char)
            }
            b' ' => o.push('+'),
            b => o.push_str(&format!("%{b:02X}")),
        }
    }
    o
}
