//! go-yaml v2's implicit tag resolution for plain scalars (YAML 1.1 flavour:
//! `yes`/`on`/`off` are booleans, `0755` is octal, `1_000` is an int).
//! Used both when reading YAML and when deciding whether `toYaml` must quote
//! a string.

/// What a plain scalar resolves to.
#[derive(Debug, Clone, PartialEq)]
pub enum Resolved {
    /// `~`, `null`, empty.
    Null,
    /// A boolean.
    Bool(bool),
    /// An integer.
    Int(i64),
    /// An unsigned integer beyond `i64`.
    Uint(u64),
    /// A float.
    Float(f64),
    /// A timestamp-looking value (kept as a string by go-yaml v2 when
    /// decoding into `interface{}`, but quoted when encoding).
    Timestamp,
    /// The merge key `<<`.
    Merge,
    /// A plain string.
    Str,
}

/// Resolves a plain (unquoted, untagged) scalar.
pub fn resolve_plain(s: &str) -> Resolved {
    match s {
        "" | "~" | "null" | "Null" | "NULL" => return Resolved::Null,
        "y" | "Y" | "yes" | "Yes" | "YES" | "true" | "True" | "TRUE" | "on" | "On" | "ON" => {
            return Resolved::Bool(true);
        }
        "n" | "N" | "no" | "No" | "NO" | "false" | "False" | "FALSE" | "off" | "Off" | "OFF" => {
            return Resolved::Bool(false);
        }
        ".nan" | ".NaN" | ".NAN" => return Resolved::Float(f64::NAN),
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => {
            return Resolved::Float(f64::INFINITY);
        }
        "-.inf" | "-.Inf" | "-.INF" => return Resolved::Float(f64::NEG_INFINITY),
        "<<" => return Resolved::Merge,
        _ => {}
    }
    let Some(first) = s.bytes().next() else {
        return Resolved::Null;
    };
    match first {
        b'.' => match s.parse::<f64>() {
            // strconv.ParseFloat reports overflow as an error.
            Ok(f) if go_parse_float_ok(s) && f.is_finite() => Resolved::Float(f),
            _ => Resolved::Str,
        },
        b'0'..=b'9' | b'+' | b'-' => {
            if is_timestamp(s) {
                return Resolved::Timestamp;
            }
            let plain: String = s.chars().filter(|c| *c != '_').collect();
            if let Some(i) = go_parse_int(&plain) {
                return Resolved::Int(i);
            }
            if let Some(u) = go_parse_uint(&plain) {
                return Resolved::Uint(u);
            }
            if is_yaml_style_float(&plain)
                && let Ok(f) = plain.parse::<f64>()
                && f.is_finite()
            {
                return Resolved::Float(f);
            }
            if let Some(b) = plain.strip_prefix("0b")
                && let Ok(i) = i64::from_str_radix(b, 2)
            {
                return Resolved::Int(i);
            }
            if let Some(b) = plain.strip_prefix("-0b")
                && let Ok(i) = i64::from_str_radix(b, 2)
            {
                return Resolved::Int(-i);
            }
            Resolved::Str
        }
        _ => Resolved::Str,
    }
}

fn go_parse_float_ok(s: &str) -> bool {
    // strconv.ParseFloat accepts ".5", ".5e3"; reject Rust-only forms.
    s.bytes()
        .all(|c| c.is_ascii_digit() || matches!(c, b'.' | b'e' | b'E' | b'+' | b'-'))
}

/// `strconv.ParseInt(s, 0, 64)`.
fn go_parse_int(s: &str) -> Option<i64> {
    let (neg, body) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let u = parse_uint_base0(body)?;
    if neg {
        if u <= i64::MAX as u64 + 1 {
            Some((u as i128).wrapping_neg() as i64)
        } else {
            None
        }
    } else if u <= i64::MAX as u64 {
        Some(u as i64)
    } else {
        None
    }
}

fn go_parse_uint(s: &str) -> Option<u64> {
    if s.starts_with(['-', '+']) {
        return None;
    }
    parse_uint_base0(s)
}

fn parse_uint_base0(s: &str) -> Option<u64> {
    if s.is_empty() {
        return None;
    }
    let lower = s.to_ascii_lowercase();
    let (digits, radix) = if let Some(h) = lower.strip_prefix("0x") {
        (h.to_string(), 16)
    } else if let Some(o) = lower.strip_prefix("0o") {
        (o.to_string(), 8)
    } else if let Some(b) = lower.strip_prefix("0b") {
        (b.to_string(), 2)
    } else if lower.len() > 1 && lower.starts_with('0') {
        (lower[1..].to_string(), 8)
    } else {
        (lower, 10)
    };
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    u64::from_str_radix(&digits, radix).ok()
}

/// `^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`
fn is_yaml_style_float(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    if matches!(b.first(), Some(b'-' | b'+')) {
        i += 1;
    }
    let digits = |i: &mut usize| {
        let st = *i;
        while b.get(*i).is_some_and(u8::is_ascii_digit) {
            *i += 1;
        }
        *i - st
    };
    if b.get(i) == Some(&b'.') {
        i += 1;
        if digits(&mut i) == 0 {
            return false;
        }
    } else {
        if digits(&mut i) == 0 {
            return false;
        }
        if b.get(i) == Some(&b'.') {
            i += 1;
            digits(&mut i);
        }
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'-' | b'+')) {
            i += 1;
        }
        if digits(&mut i) == 0 {
            return false;
        }
    }
    i == b.len()
}

/// go-yaml v2's `parseTimestamp` acceptance (formats `2006-1-2`,
/// `2006-1-2T15:4:5.999999999Z07:00`, `2006-1-2 15:4:5.999999999`, ...).
fn is_timestamp(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() && b[i].is_ascii_digit() {
        i += 1;
    }
    if i != 4 || i == b.len() || b[i] != b'-' {
        return false;
    }
    // Date part: YYYY-M-D
    let rest = &s[5..];
    let (date, time) = match rest.find(['T', 't', ' ']) {
        Some(p) => (&rest[..p], Some(&rest[p + 1..])),
        None => (rest, None),
    };
    let mut parts = date.split('-');
    let (Some(m), Some(d), None) = (parts.next(), parts.next(), parts.next()) else {
        return false;
    };
    let num_ok = |x: &str, max: u32| {
        !x.is_empty() && x.len() <= 2 && x.parse::<u32>().is_ok_and(|v| (1..=max).contains(&v))
    };
    if !num_ok(m, 12) || !num_ok(d, 31) {
        return false;
    }
    match time {
        None => true,
        Some(t) => {
            // H:M:S with optional fraction and zone
            let t = t.trim_start();
            let core_end = t
                .find(|c: char| !(c.is_ascii_digit() || c == ':' || c == '.'))
                .unwrap_or(t.len());
            let core = &t[..core_end];
            let zone = t[core_end..].trim_start();
            let hms: Vec<&str> = core.split('.').next().unwrap_or("").split(':').collect();
            if hms.len() != 3
                || hms
                    .iter()
                    .any(|x| x.is_empty() || x.len() > 2 || x.parse::<u32>().is_err())
            {
                return false;
            }
            zone.is_empty()
                || zone == "Z"
                || ((zone.starts_with('+') || zone.starts_with('-')) && zone.len() >= 3)
        }
    }
}
