//! The dynamic value model shared by the template engine, Sprig and the
//! chart layer.
//!
//! Helm hands templates Go `interface{}` trees: `map[string]interface{}`,
//! `[]interface{}`, `float64` (values parsed from YAML/JSON), `int64`
//! (`--set`), `int` (template literals, `len`), strings and bools. Go's
//! formatting and comparison rules depend on which of those numeric types a
//! value has, so [`Value`] keeps `int`, `int64` and `float64` apart.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Arc, RwLock};

/// A map with Go's iteration order for templates (keys sorted).
pub type Map = BTreeMap<String, Value>;

/// A shared, mutable map: Go maps are reference types, and charts rely on
/// `set $dict "k" v` being visible through every alias of `$dict`.
#[derive(Clone, Default)]
pub struct MapRef(Arc<RwLock<Map>>);

impl MapRef {
    /// Wraps a map.
    pub fn new(m: Map) -> MapRef {
        MapRef(Arc::new(RwLock::new(m)))
    }
    fn read(&self) -> std::sync::RwLockReadGuard<'_, Map> {
        self.0.read().unwrap_or_else(|e| e.into_inner())
    }
    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Map> {
        self.0.write().unwrap_or_else(|e| e.into_inner())
    }
    /// Value at `key` (cloned).
    pub fn get(&self, key: &str) -> Option<Value> {
        self.read().get(key).cloned()
    }
    /// True when `key` is present.
    pub fn contains_key(&self, key: &str) -> bool {
        self.read().contains_key(key)
    }
    /// Inserts (mutating every alias).
    pub fn insert(&self, key: String, v: Value) {
        self.write().insert(key, v);
    }
    /// Removes a key.
    pub fn remove(&self, key: &str) -> Option<Value> {
        self.write().remove(key)
    }
    /// Number of entries.
    pub fn len(&self) -> usize {
        self.read().len()
    }
    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.read().is_empty()
    }
    /// A snapshot of the entries (sorted by key).
    pub fn snapshot(&self) -> Map {
        self.read().clone()
    }
    /// The sorted keys.
    pub fn keys(&self) -> Vec<String> {
        self.read().keys().cloned().collect()
    }
    /// Identity of the underlying map (stable while it is alive).
    pub fn id(&self) -> usize {
        Arc::as_ptr(&self.0) as *const () as usize
    }
    /// True when both handles point at the same map.
    pub fn ptr_eq(&self, other: &MapRef) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl fmt::Debug for MapRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.read().iter()).finish()
    }
}

impl PartialEq for MapRef {
    fn eq(&self, other: &MapRef) -> bool {
        self.ptr_eq(other) || *self.read() == *other.read()
    }
}

/// A host object exposed to templates with Go struct semantics: named
/// fields and methods (for example `.Capabilities.APIVersions.Has`).
pub trait Object: Send + Sync + fmt::Debug {
    /// Go type name used in error messages and `typeOf`.
    fn type_name(&self) -> &str;
    /// A field of the struct, `None` when it has no such field.
    fn field(&self, name: &str) -> Option<Value>;
    /// Calls a method; `None` when the object has no such method.
    fn call_method(&self, name: &str, args: &[Value]) -> Option<Result<Value, String>>;
    /// How `fmt.Sprint` prints the object (its `String()` method if any).
    fn display(&self) -> String;
    /// The plain-data view used by `toYaml`/`toJson`.
    fn to_data(&self) -> Value;
    /// Entries when the object is a Go map that `range` can iterate.
    fn entries(&self) -> Option<Vec<(String, Value)>> {
        None
    }
}

/// A Go value as seen by a template.
#[derive(Clone, Debug, Default)]
pub enum Value {
    /// `nil` (a nil interface, or a missing map entry).
    #[default]
    Nil,
    /// `bool`.
    Bool(bool),
    /// Go `int`.
    Int(i64),
    /// Go `int64`.
    Int64(i64),
    /// Go `float64`.
    Float(f64),
    /// `string`.
    Str(Arc<str>),
    /// `[]interface{}`.
    List(Arc<Vec<Value>>),
    /// `map[string]interface{}`.
    Map(MapRef),
    /// A struct or other host object with methods.
    Object(Arc<dyn Object>),
}

impl Value {
    /// A string value.
    pub fn str(s: impl Into<Arc<str>>) -> Value {
        Value::Str(s.into())
    }
    /// A list value.
    pub fn list(v: Vec<Value>) -> Value {
        Value::List(Arc::new(v))
    }
    /// A map value.
    pub fn map(m: Map) -> Value {
        Value::Map(MapRef::new(m))
    }
    /// An empty map.
    pub fn empty_map() -> Value {
        Value::map(Map::new())
    }

    /// Go's `reflect.Kind` name, as Sprig's `kindOf` reports it.
    pub fn kind_name(&self) -> &'static str {
        match self {
            Value::Nil => "invalid",
            Value::Bool(_) => "bool",
            Value::Int(_) => "int",
            Value::Int64(_) => "int64",
            Value::Float(_) => "float64",
            Value::Str(_) => "string",
            Value::List(_) => "slice",
            Value::Map(_) => "map",
            Value::Object(_) => "struct",
        }
    }

    /// Go's `%T` type name, as Sprig's `typeOf` reports it.
    pub fn type_name(&self) -> String {
        match self {
            Value::Nil => "<nil>".into(),
            Value::List(_) => "[]interface {}".into(),
            Value::Map(_) => "map[string]interface {}".into(),
            Value::Object(o) => o.type_name().to_string(),
            other => other.kind_name().into(),
        }
    }

    /// Go template truthiness (`if`, `with`, `and`, `or`, `not`).
    pub fn is_true(&self) -> bool {
        match self {
            Value::Nil => false,
            Value::Bool(b) => *b,
            Value::Int(i) | Value::Int64(i) => *i != 0,
            Value::Float(f) => *f != 0.0,
            Value::Str(s) => !s.is_empty(),
            Value::List(l) => !l.is_empty(),
            Value::Map(m) => !m.is_empty(),
            Value::Object(_) => true,
        }
    }

    /// Sprig's `empty`: like Go's zero-value test.
    pub fn is_empty(&self) -> bool {
        !self.is_true()
    }

    /// The string inside a `Str`.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    /// Integer value of an `int`/`int64`.
    pub fn as_int(&self) -> Option<i64> {
        match self {
            Value::Int(i) | Value::Int64(i) => Some(*i),
            _ => None,
        }
    }

    /// Looks up a key in a map value.
    pub fn get(&self, key: &str) -> Option<Value> {
        match self {
            Value::Map(m) => m.get(key),
            _ => None,
        }
    }

    /// A deep copy: nested maps become new, unaliased maps.
    pub fn deep_copy(&self) -> Value {
        match self {
            Value::List(l) => Value::list(l.iter().map(Value::deep_copy).collect()),
            Value::Map(m) => Value::map(
                m.snapshot()
                    .into_iter()
                    .map(|(k, v)| (k, v.deep_copy()))
                    .collect(),
            ),
            other => other.clone(),
        }
    }

    /// Replaces host objects by their data view, recursively.
    pub fn to_data(&self) -> Value {
        match self {
            Value::Object(o) => o.to_data(),
            Value::List(l) => Value::list(l.iter().map(Value::to_data).collect()),
            Value::Map(m) => Value::map(
                m.snapshot()
                    .into_iter()
                    .map(|(k, v)| (k, v.to_data()))
                    .collect(),
            ),
            other => other.clone(),
        }
    }

    /// Converts parsed JSON into a value the way Go's `encoding/json`
    /// decodes into `interface{}` (all numbers become `float64`).
    pub fn from_json(j: &serde_json::Value) -> Value {
        match j {
            serde_json::Value::Null => Value::Nil,
            serde_json::Value::Bool(b) => Value::Bool(*b),
            serde_json::Value::Number(n) => Value::Float(n.as_f64().unwrap_or(0.0)),
            serde_json::Value::String(s) => Value::str(s.as_str()),
            serde_json::Value::Array(a) => Value::list(a.iter().map(Value::from_json).collect()),
            serde_json::Value::Object(o) => Value::map(
                o.iter()
                    .map(|(k, v)| (k.clone(), Value::from_json(v)))
                    .collect(),
            ),
        }
    }

    /// Converts to `serde_json::Value` (for schema validation and tests).
    pub fn to_json(&self) -> serde_json::Value {
        match self.to_data() {
            Value::Nil => serde_json::Value::Null,
            Value::Bool(b) => serde_json::Value::Bool(b),
            Value::Int(i) | Value::Int64(i) => serde_json::Value::from(i),
            Value::Float(f) => serde_json::Number::from_f64(f)
                .map(serde_json::Value::Number)
                .unwrap_or(serde_json::Value::Null),
            Value::Str(s) => serde_json::Value::String(s.to_string()),
            Value::List(l) => serde_json::Value::Array(l.iter().map(Value::to_json).collect()),
            Value::Map(m) => serde_json::Value::Object(
                m.snapshot()
                    .iter()
                    .map(|(k, v)| (k.clone(), v.to_json()))
                    .collect(),
            ),
            Value::Object(_) => serde_json::Value::Null,
        }
    }
}

impl PartialEq for Value {
    /// Go's `reflect.DeepEqual` (types must match exactly).
    fn eq(&self, other: &Value) -> bool {
        match (self, other) {
            (Value::Nil, Value::Nil) => true,
            (Value::Bool(a), Value::Bool(b)) => a == b,
            (Value::Int(a), Value::Int(b)) | (Value::Int64(a), Value::Int64(b)) => a == b,
            (Value::Float(a), Value::Float(b)) => a == b,
            (Value::Str(a), Value::Str(b)) => a == b,
            (Value::List(a), Value::List(b)) => a == b,
            (Value::Map(a), Value::Map(b)) => a == b,
            (Value::Object(a), Value::Object(b)) => Arc::ptr_eq(a, b),
            _ => false,
        }
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Value {
        Value::str(s)
    }
}
impl From<String> for Value {
    fn from(s: String) -> Value {
        Value::str(s)
    }
}
impl From<bool> for Value {
    fn from(b: bool) -> Value {
        Value::Bool(b)
    }
}

/// `strconv.FormatFloat(f, 'g', -1, 64)` generalised: shortest round-trip
/// digits, exponent form when the decimal exponent is below `-4` or at
/// least `exp_limit` (6 for `%v`/`%g`, 21 for `encoding/json`).
pub fn format_float_g(f: f64, exp_limit: i32) -> String {
    if f.is_nan() {
        return "NaN".into();
    }
    if f.is_infinite() {
        return if f > 0.0 {
            "+Inf".into()
        } else {
            "-Inf".into()
        };
    }
    if f == 0.0 {
        return if f.is_sign_negative() {
            "-0".into()
        } else {
            "0".into()
        };
    }
    // Shortest round-trip digits via Rust's `{:e}`.
    let sci = format!("{:e}", f);
    let (mant, exp) = match sci.split_once('e') {
        Some(p) => p,
        None => return sci,
    };
    let exp: i32 = exp.parse().unwrap_or(0);
    let neg = mant.starts_with('-');
    let digits: String = mant.chars().filter(|c| c.is_ascii_digit()).collect();
    let eprec = exp_limit;
    let mut out = String::new();
    if neg {
        out.push('-');
    }
    if exp < -4 || exp >= eprec {
        out.push_str(&digits[..1]);
        if digits.len() > 1 {
            out.push('.');
            out.push_str(&digits[1..]);
        }
        out.push('e');
        out.push(if exp < 0 { '-' } else { '+' });
        let a = exp.unsigned_abs();
        if a < 10 {
            out.push('0');
        }
        out.push_str(&a.to_string());
    } else if exp < 0 {
        out.push_str("0.");
        for _ in 0..(-exp - 1) {
            out.push('0');
        }
        out.push_str(&digits);
    } else {
        let e = exp as usize;
        if digits.len() > e + 1 {
            out.push_str(&digits[..=e]);
            out.push('.');
            out.push_str(&digits[e + 1..]);
        } else {
            out.push_str(&digits);
            for _ in 0..(e + 1 - digits.len()) {
                out.push('0');
            }
        }
    }
    out
}

/// First code point of the private-use block that carries raw bytes
/// 0x80..=0xFF that are not valid UTF-8 (Go strings are byte strings; ours
/// are UTF-8, so file contents are kept lossless this way).
const RAW_BYTE_BASE: u32 = 0xF700;

/// Bytes to a string without loss: invalid UTF-8 bytes become U+F780..U+F7FF.
pub fn string_from_bytes(b: &[u8]) -> String {
    let mut out = String::with_capacity(b.len());
    let mut rest = b;
    loop {
        match std::str::from_utf8(rest) {
            Ok(s) => {
                out.push_str(s);
                return out;
            }
            Err(e) => {
                let (good, bad) = rest.split_at(e.valid_up_to());
                out.push_str(std::str::from_utf8(good).unwrap_or_default());
                let n = e.error_len().unwrap_or(bad.len()).max(1).min(bad.len());
                for &byte in &bad[..n] {
                    out.push(char::from_u32(RAW_BYTE_BASE + u32::from(byte)).unwrap_or('\u{FFFD}'));
                }
                rest = &bad[n..];
                if rest.is_empty() {
                    return out;
                }
            }
        }
    }
}

/// The Go bytes of a string made by [`string_from_bytes`].
pub fn bytes_of(s: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.len());
    for c in s.chars() {
        let u = c as u32;
        if (RAW_BYTE_BASE + 0x80..=RAW_BYTE_BASE + 0xFF).contains(&u) {
            out.push((u - RAW_BYTE_BASE) as u8);
        } else {
            let mut b = [0u8; 4];
            out.extend_from_slice(c.encode_utf8(&mut b).as_bytes());
        }
    }
    out
}

/// Go's `len(s)` for such a string (raw bytes count once).
pub fn go_len(s: &str) -> usize {
    let raw = s
        .chars()
        .filter(|c| (RAW_BYTE_BASE + 0x80..=RAW_BYTE_BASE + 0xFF).contains(&(*c as u32)))
        .count();
    s.len() - 2 * raw
}

/// Shortest round-trip digits of `f` in plain decimal notation (Go's
/// `strconv.FormatFloat(f, 'f', -1, 64)`).
pub fn format_float_f(f: f64) -> String {
    if !f.is_finite() {
        return format_float_g(f, 6);
    }
    if f == 0.0 {
        return if f.is_sign_negative() {
            "-0".into()
        } else {
            "0".into()
        };
    }
    let sci = format!("{:e}", f);
    let Some((mant, exp)) = sci.split_once('e') else {
        return sci;
    };
    let exp: i64 = exp.parse().unwrap_or(0);
    let neg = mant.starts_with('-');
    let digits: String = mant.chars().filter(|c| c.is_ascii_digit()).collect();
    let mut out = String::new();
    if neg {
        out.push('-');
    }
    if exp < 0 {
        out.push_str("0.");
        for _ in 0..(-exp - 1) {
            out.push('0');
        }
        out.push_str(&digits);
    } else {
        let e = exp as usize;
        if digits.len() > e + 1 {
            out.push_str(&digits[..=e]);
            out.push('.');
            out.push_str(&digits[e + 1..]);
        } else {
            out.push_str(&digits);
            for _ in 0..(e + 1 - digits.len()) {
                out.push('0');
            }
        }
    }
    out
}

/// `fmt.Sprint` of a single value (`%v`).
pub fn go_sprint(v: &Value) -> String {
    let mut s = String::new();
    write_v(&mut s, v);
    s
}

fn write_v(out: &mut String, v: &Value) {
    match v {
        Value::Nil => out.push_str("<nil>"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Int(i) | Value::Int64(i) => out.push_str(&i.to_string()),
        Value::Float(f) => out.push_str(&go_float_v_verb(*f)),
        Value::Str(s) => out.push_str(s),
        Value::List(l) => {
            out.push('[');
            for (i, e) in l.iter().enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                write_v(out, e);
            }
            out.push(']');
        }
        Value::Map(m) => {
            out.push_str("map[");
            for (i, (k, e)) in m.snapshot().iter().enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                out.push_str(k);
                out.push(':');
                write_v(out, e);
            }
            out.push(']');
        }
        Value::Object(o) => out.push_str(&o.display()),
    }
}

/// `%v` of a float64: `%g` with the shortest representation.
pub fn go_float_v_verb(f: f64) -> String {
    format_float_g(f, 6)
}
