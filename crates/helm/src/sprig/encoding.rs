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
        Ok(Value::from(STANDARD.encode(strval(&a[0]))))
    });
    m.add("b64dec", 1, |a| {
        Ok(Value::from(match STANDARD.decode(strval(&a[0])) {
            Ok(b) => String::from_utf8_lossy(&b).into_owned(),
            Err(e) => format!("illegal base64 data at input byte {}", b64_err_offset(&e)),
        }))
    });
    m.add("b32enc", 1, |a| {
        Ok(Value::from(b32enc(strval(&a[0]).as_bytes())))
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
    m.add("toToml", 1, |a| Ok(Value::from(to_toml(&a[0]))));
    m.add("sha256sum", 1, |a| {
        Ok(Value::from(hex(&sha2::Sha256::digest(
            want_str(&a[0])?.as_bytes(),
        ))))
    });
    m.add("sha1sum", 1, |a| {
        Ok(Value::from(hex(&sha1::Sha1::digest(
            want_str(&a[0])?.as_bytes(),
        ))))
    });
    m.add("sha512sum", 1, |a| {
        Ok(Value::from(hex(&sha2::Sha512::digest(
            want_str(&a[0])?.as_bytes(),
        ))))
    });
    m.add("adler32sum", 1, |a| {
        Ok(Value::from(
            adler32(want_str(&a[0])?.as_bytes()).to_string(),
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

/// BurntSushi/toml encoding of a map (scalars first, then tables).
pub fn to_toml(v: &Value) -> String {
    let Value::Map(m) = v.to_data() else {
        return "toml: top-level values must be Go maps or structs".into();
    };
    let mut out = String::new();
    toml_table(&mut out, &m.snapshot(), &[]);
    out
}

fn toml_key(k: &str) -> String {
    if !k.is_empty()
        && k.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        k.to_string()
    } else {
        crate::gotmpl::gofmt::go_quote(k)
    }
}

fn toml_scalar(v: &Value) -> Option<String> {
    Some(match v {
        Value::Bool(b) => b.to_string(),
        Value::Int(i) | Value::Int64(i) => i.to_string(),
        Value::Float(f) => {
            if f.fract() == 0.0 && f.abs() < 1e16 {
                format!("{f:.1}")
            } else {
                crate::value::format_float_g(*f, 21)
            }
        }
        Value::Str(s) => crate::gotmpl::gofmt::go_quote(s),
        Value::List(l) if l.iter().all(|e| !matches!(e, Value::Map(_))) => {
            let parts: Vec<String> = l.iter().filter_map(toml_scalar).collect();
            format!("[{}]", parts.join(", "))
        }
        _ => return None,
    })
}

fn toml_table(out: &mut String, m: &Map, path: &[String]) {
    let indent = "  ".repeat(path.len());
    for (k, v) in m {
        if let Some(s) = toml_scalar(v) {
            out.push_str(&format!("{indent}{} = {s}\n", toml_key(k)));
        }
    }
    for (k, v) in m {
        if let Value::Map(sub) = v {
            let mut p = path.to_vec();
            p.push(toml_key(k));
            let ind = "  ".repeat(p.len() - 1);
            out.push_str(&format!("\n{ind}[{}]\n", p.join(".")));
            toml_table(out, &sub.snapshot(), &p);
        }
    }
}
