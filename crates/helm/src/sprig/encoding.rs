//! Encodings: base64/base32, JSON (Go's `encoding/json` output, including
//! its HTML escaping), YAML via [`crate::yaml`], TOML, and hashes.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use sha2::Digest as _;

use super::args::{strval, want_str};
use crate::gotmpl::FuncMap;
use crate::value::{Map, Value};
use crate::yaml;

/// Registers encoding functions.
pub fn register(m: &mut FuncMap) {
    m.add("b64enc", 1, |a| {
        Ok(Value::from(
            STANDARD.encode(crate::value::bytes_of(&strval(&a[0]))),
        ))
    });
    m.add("b64dec", 1, |a| {
        Ok(Value::from(match STANDARD.decode(strval(&a[0])) {
            Ok(b) => crate::value::string_from_bytes(&b),
            Err(e) => format!("illegal base64 data at input byte {}", b64_err_offset(&e)),
        }))
    });
    m.add("b32enc", 1, |a| {
        Ok(Value::from(b32enc(&crate::value::bytes_of(&strval(&a[0])))))
    });
    m.add("b32dec", 1, |a| {
        Ok(Value::from(b32dec(&strval(&a[0])).unwrap_or_else(|e| e)))
    });
    m.add("mustFromJson", 1, |a| {
        let s = want_str(&a[0])?;
        serde_json::from_str::<serde_json::Value>(s)
            .map(|j| Value::from_json(&j))
            .map_err(|e| e.to_string())
    });
    m.add("toJson", 1, |a| Ok(Value::from(to_json(&a[0], true))));
    m.add("mustToJson", 1, |a| Ok(Value::from(to_json(&a[0], true))));
    m.add("toRawJson", 1, |a| Ok(Value::from(to_json(&a[0], false))));
    m.add("mustToRawJson", 1, |a| {
        Ok(Value::from(to_json(&a[0], false)))
    });
    m.add("toPrettyJson", 1, |a| {
        Ok(Value::from(to_pretty_json(&a[0])))
    });
    m.add("mustToPrettyJson", 1, |a| {
        Ok(Value::from(to_pretty_json(&a[0])))
    });
    m.add("fromJson", 1, |a| Ok(from_json(want_str(&a[0])?)));
    m.add("fromJsonArray", 1, |a| {
        Ok(
            match serde_json::from_str::<serde_json::Value>(want_str(&a[0])?) {
                Ok(j @ serde_json::Value::Array(_)) => Value::from_json(&j),
                Ok(_) => Value::list(vec![Value::from(
                    "json: cannot unmarshal object into Go value of type []interface {}",
                )]),
                Err(e) => Value::list(vec![Value::from(e.to_string())]),
            },
        )
    });
    m.add("toYamlPretty", 1, |a| {
        Ok(Value::from(yaml::emit::helm_to_yaml_pretty(&a[0])))
    });
    m.add("toYaml", 1, |a| Ok(Value::from(yaml::helm_to_yaml(&a[0]))));
    m.add("mustToYaml", 1, |a| {
        Ok(Value::from(yaml::helm_to_yaml(&a[0])))
    });
    m.add("fromYaml", 1, |a| {
        Ok(match yaml::parse(want_str(&a[0])?) {
            Ok(Value::Map(m)) => Value::Map(m),
            Ok(Value::Nil) => Value::empty_map(),
            Ok(other) => error_map(format!(
                "error unmarshaling JSON: while decoding JSON: json: cannot unmarshal {} into Go value of type map[string]interface {{}}",
                json_kind(&other)
            )),
            Err(e) => error_map(format!("error converting YAML to JSON: {e}")),
        })
    });
    m.add("fromYamlArray", 1, |a| {
        Ok(match yaml::parse(want_str(&a[0])?) {
            Ok(Value::List(l)) => Value::List(l),
            Ok(Value::Nil) => Value::list(Vec::new()),
            Ok(other) => Value::list(vec![Value::from(format!(
                "error unmarshaling JSON: while decoding JSON: json: cannot unmarshal {} into Go value of type []interface {{}}",
                json_kind(&other)
            ))]),
            Err(e) => Value::list(vec![Value::from(format!("error converting YAML to JSON: {e}"))]),
        })
    });
    m.add("fromToml", 1, |a| {
        Ok(match super::toml_read::parse(want_str(&a[0])?) {
            Ok(v) => v,
            Err(e) => error_map(e),
        })
    });
    m.add("toToml", 1, |a| Ok(Value::from(to_toml(&a[0]))));
    m.add("sha256sum", 1, |a| {
        Ok(Value::from(hex(&sha2::Sha256::digest(
            crate::value::bytes_of(want_str(&a[0])?),
        ))))
    });
    m.add("sha1sum", 1, |a| {
        Ok(Value::from(hex(&sha1::Sha1::digest(
            crate::value::bytes_of(want_str(&a[0])?),
        ))))
    });
    m.add("sha512sum", 1, |a| {
        Ok(Value::from(hex(&sha2::Sha512::digest(
            crate::value::bytes_of(want_str(&a[0])?),
        ))))
    });
    m.add("bcrypt", 1, |a| {
        Ok(Value::from(bcrypt_hash(&strval(&a[0]))))
    });
    m.add("htpasswd", 2, |a| {
        let (user, pass) = (want_str(&a[0])?, want_str(&a[1])?);
        if user.contains(':') {
            return Ok(Value::from(format!("invalid username: {user}")));
        }
        Ok(Value::from(format!("{user}:{}", bcrypt_hash(pass))))
    });
    m.add("adler32sum", 1, |a| {
        Ok(Value::from(
            adler32(&crate::value::bytes_of(want_str(&a[0])?)).to_string(),
        ))
    });
}

fn b64_err_offset(e: &base64::DecodeError) -> usize {
    match e {
        base64::DecodeError::InvalidByte(off, _)
        | base64::DecodeError::InvalidLastSymbol(off, _) => *off,
        base64::DecodeError::InvalidLength(len) => *len,
        base64::DecodeError::InvalidPadding => 0,
    }
}

/// Go's `bcrypt.GenerateFromPassword(p, DefaultCost)`: `$2a$10$...`.
fn bcrypt_hash(p: &str) -> String {
    match bcrypt::hash_with_result(crate::value::bytes_of(p), 10) {
        Ok(h) => h.format_for_version(bcrypt::Version::TwoA),
        Err(e) => format!("failed to encrypt string with bcrypt: {e}"),
    }
}

fn error_map(msg: String) -> Value {
    let mut m = Map::new();
    m.insert("Error".into(), Value::from(msg));
    Value::map(m)
}

fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::List(_) => "array",
        Value::Str(_) => "string",
        Value::Bool(_) => "bool",
        Value::Int(_) | Value::Int64(_) | Value::Float(_) => "number",
        _ => "object",
    }
}

fn from_json(s: &str) -> Value {
    match serde_json::from_str::<serde_json::Value>(s) {
        Ok(j @ serde_json::Value::Object(_)) => Value::from_json(&j),
        Ok(serde_json::Value::Null) => Value::empty_map(),
        Ok(other) => {
            let kind = match other {
                serde_json::Value::Array(_) => "array",
                serde_json::Value::String(_) => "string",
                serde_json::Value::Bool(_) => "bool",
                _ => "number",
            };
            error_map(format!(
                "json: cannot unmarshal {kind} into Go value of type map[string]interface {{}}"
            ))
        }
        Err(e) => error_map(e.to_string()),
    }
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn adler32(data: &[u8]) -> u32 {
    let (mut a, mut b) = (1u32, 0u32);
    for &d in data {
        a = (a + d as u32) % 65521;
        b = (b + a) % 65521;
    }
    (b << 16) | a
}

fn b32enc(data: &[u8]) -> String {
    const ALPHA: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut out = String::new();
    for chunk in data.chunks(5) {
        let mut buf = [0u8; 5];
        buf[..chunk.len()].copy_from_slice(chunk);
        let bits = buf.iter().fold(0u64, |acc, b| (acc << 8) | *b as u64);
        let n = (chunk.len() * 8).div_ceil(5);
        for i in 0..8 {
            if i < n {
                out.push(ALPHA[((bits >> (35 - i * 5)) & 31) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn b32dec(s: &str) -> Result<String, String> {
    const ALPHA: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut bits: u64 = 0;
    let mut nbits = 0;
    let mut out = Vec::new();
    for (i, c) in s.bytes().enumerate() {
        if c == b'=' {
            break;
        }
        let v = ALPHA
            .iter()
            .position(|x| *x == c)
            .ok_or_else(|| format!("illegal base32 data at input byte {i}"))?
            as u64;
        bits = (bits << 5) | v;
        nbits += 5;
        if nbits >= 8 {
            nbits -= 8;
            out.push((bits >> nbits) as u8);
            bits &= (1 << nbits) - 1;
        }
    }
    Ok(String::from_utf8_lossy(&out).into_owned())
}

/// Go's `json.Marshal` (HTML-safe when `html` is true); "" for values JSON
/// cannot represent (NaN, infinities), as Helm's `toJson` returns.
pub fn to_json(v: &Value, html: bool) -> String {
    if crate::yaml::emit::check_marshal(v) == Err(crate::yaml::emit::MarshalError::UnsupportedFloat)
    {
        return String::new();
    }
    let mut out = String::new();
    write_json(&mut out, &v.to_data(), html, None, 0);
    out
}

fn to_pretty_json(v: &Value) -> String {
    let mut out = String::new();
    write_json(&mut out, &v.to_data(), true, Some("  "), 0);
    out
}

fn write_json(out: &mut String, v: &Value, html: bool, indent: Option<&str>, depth: usize) {
    let nl = |out: &mut String, d: usize| {
        if let Some(ind) = indent {
            out.push('\n');
            for _ in 0..d {
                out.push_str(ind);
            }
        }
    };
    match v {
        Value::Nil => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Int(i) | Value::Int64(i) => out.push_str(&i.to_string()),
        Value::Float(f) => out.push_str(&yaml::emit::json_float(*f)),
        Value::Str(s) => json_string(out, s, html),
        Value::List(l) => {
            out.push('[');
            for (i, e) in l.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                nl(out, depth + 1);
                write_json(out, e, html, indent, depth + 1);
            }
            if !l.is_empty() {
                nl(out, depth);
            }
            out.push(']');
        }
        Value::Map(m) => {
            out.push('{');
            let snap = m.snapshot();
            for (i, (k, e)) in snap.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                nl(out, depth + 1);
                json_string(out, k, html);
                out.push(':');
                if indent.is_some() {
                    out.push(' ');
                }
                write_json(out, e, html, indent, depth + 1);
            }
            if !snap.is_empty() {
                nl(out, depth);
            }
            out.push('}');
        }
        Value::Object(o) => write_json(out, &o.to_data(), html, indent, depth),
    }
}

fn json_string(out: &mut String, s: &str, html: bool) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\x08' => out.push_str("\\b"),
            '\x0c' => out.push_str("\\f"),
            '<' | '>' | '&' if html => out.push_str(&format!("\\u{:04x}", c as u32)),
            '\u{2028}' | '\u{2029}' => out.push_str(&format!("\\u{:04x}", c as u32)),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

/// BurntSushi/toml's encoder (what Helm's `toToml` uses): direct keys
/// first, then sub-tables and arrays of tables, keys sorted bytewise, two
/// spaces of indentation per nesting level.
pub fn to_toml(v: &Value) -> String {
    let mut enc = TomlEnc {
        out: String::new(),
        written: false,
    };
    match v.to_data() {
        Value::Map(m) => match enc.table(&[], &m.snapshot()) {
            Ok(()) => enc.out,
            Err(e) => e,
        },
        other => toml_value(&other).unwrap_or_else(|e| e),
    }
}

struct TomlEnc {
    out: String,
    written: bool,
}

fn toml_bare(k: &str) -> bool {
    !k.is_empty()
        && k.bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'_' || c == b'-')
}

fn toml_key(k: &str) -> String {
    if toml_bare(k) {
        k.to_string()
    } else {
        toml_string(k)
    }
}

fn toml_string(s: &str) -> String {
    let mut o = String::from("\"");
    for c in s.chars() {
        match c {
            '\\' => o.push_str("\\\\"),
            '"' => o.push_str("\\\""),
            '\u{8}' => o.push_str("\\b"),
            '\t' => o.push_str("\\t"),
            '\n' => o.push_str("\\n"),
            '\u{c}' => o.push_str("\\f"),
            '\r' => o.push_str("\\r"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                o.push_str(&format!("\\u{:04X}", c as u32))
            }
            c => o.push(c),
        }
    }
    o.push('"');
    o
}

fn toml_float(f: f64) -> String {
    if f.is_nan() {
        return "nan".into();
    }
    if f.is_infinite() {
        return if f > 0.0 { "inf".into() } else { "-inf".into() };
    }
    let s = crate::value::format_float_g(f, 6);
    if s.contains(['.', 'e']) {
        s
    } else {
        format!("{s}.0")
    }
}

fn is_table(v: &Value) -> bool {
    matches!(v, Value::Map(_))
}

fn is_table_array(v: &Value) -> bool {
    matches!(v, Value::List(l) if !l.is_empty() && l.iter().all(is_table))
}

/// An inline TOML value.
fn toml_value(v: &Value) -> Result<String, String> {
    Ok(match v {
        Value::Bool(b) => b.to_string(),
        Value::Int(i) | Value::Int64(i) => i.to_string(),
        Value::Float(f) => toml_float(*f),
        Value::Str(s) => toml_string(s),
        Value::List(l) => {
            let mut parts = Vec::new();
            for e in l.iter() {
                if matches!(e, Value::Nil) {
                    return Err("toml: cannot encode array with nil element".into());
                }
                parts.push(toml_value(e)?);
            }
            format!("[{}]", parts.join(", "))
        }
        Value::Map(m) => {
            let snap = m.snapshot();
            let mut keys: Vec<&String> = snap.keys().collect();
            keys.sort();
            let mut parts = Vec::new();
            for k in keys {
                if let Some(val) = snap.get(k)
                    && !matches!(val, Value::Nil)
                {
                    parts.push(format!("{} = {}", toml_key(k), toml_value(val)?));
                }
            }
            format!("{{{}}}", parts.join(", "))
        }
        Value::Nil => String::new(),
        Value::Object(o) => return toml_value(&o.to_data()),
    })
}

impl TomlEnc {
    fn wf(&mut self, s: &str) {
        self.out.push_str(s);
        self.written = true;
    }
    fn newline(&mut self) {
        if self.written {
            self.out.push('\n');
        }
    }
    fn indent(key: &[String]) -> String {
        "  ".repeat(key.len().saturating_sub(1))
    }
    fn path(key: &[String]) -> String {
        key.iter()
            .map(|k| toml_key(k))
            .collect::<Vec<_>>()
            .join(".")
    }

    fn table(&mut self, key: &[String], m: &Map) -> Result<(), String> {
        let mut direct: Vec<&String> = Vec::new();
        let mut sub: Vec<&String> = Vec::new();
        for (k, v) in m {
            if is_table(v) || is_table_array(v) {
                sub.push(k);
            } else {
                direct.push(k);
            }
        }
        direct.sort();
        sub.sort();
        for k in direct.into_iter().chain(sub) {
            let Some(v) = m.get(k) else { continue };
            if matches!(v, Value::Nil) {
                continue;
            }
            let mut child = key.to_vec();
            child.push(k.clone());
            self.encode(&child, v)?;
        }
        Ok(())
    }

    fn encode(&mut self, key: &[String], v: &Value) -> Result<(), String> {
        match v {
            Value::Map(m) => {
                if key.len() == 1 {
                    self.newline();
                }
                self.wf(&format!("{}[{}]", Self::indent(key), Self::path(key)));
                self.newline();
                self.table(key, &m.snapshot())
            }
            Value::List(l) if is_table_array(v) => {
                for e in l.iter() {
                    if let Value::Map(m) = e {
                        self.newline();
                        self.wf(&format!("{}[[{}]]", Self::indent(key), Self::path(key)));
                        self.newline();
                        self.table(key, &m.snapshot())?;
                    }
                }
                Ok(())
            }
            other => {
                let val = toml_value(other)?;
                let last = key.last().map(|k| toml_key(k)).unwrap_or_default();
                self.wf(&format!("{}{} = {}", Self::indent(key), last, val));
                self.newline();
                Ok(())
            }
        }
    }
}
