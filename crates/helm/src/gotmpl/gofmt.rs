//! Go's `fmt` package as templates use it: `Sprint`, `Sprintln` and
//! `Sprintf` with the common verbs (`%s %d %v %q %t %f %e %g %x %X %o %c
//! %%`), flags, width and precision, including Go's `%!v(...)` error
//! annotations for mismatched arguments.

use crate::value::{Value, format_float_g, go_sprint};

/// `fmt.Sprint`: spaces between operands when neither side is a string.
pub fn sprint(args: &[Value]) -> String {
    let mut out = String::new();
    for (i, a) in args.iter().enumerate() {
        if i > 0 {
            let prev_str = matches!(args[i - 1], Value::Str(_));
            let cur_str = matches!(a, Value::Str(_));
            if !prev_str && !cur_str {
                out.push(' ');
            }
        }
        out.push_str(&go_sprint(a));
    }
    out
}

/// `fmt.Sprintln`: always spaces, trailing newline.
pub fn sprintln(args: &[Value]) -> String {
    let mut s = args.iter().map(go_sprint).collect::<Vec<_>>().join(" ");
    s.push('\n');
    s
}

/// Go's `strconv.Quote`.
pub fn go_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            '\x07' => out.push_str("\\a"),
            '\x08' => out.push_str("\\b"),
            '\x0c' => out.push_str("\\f"),
            '\x0b' => out.push_str("\\v"),
            c if (c as u32) < 0x20 || c == '\x7f' => out.push_str(&format!("\\x{:02x}", c as u32)),
            '\u{FFFD}' => out.push_str("\\ufffd"),
            c if is_go_printable(c) => out.push(c),
            c if (c as u32) < 0x10000 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push_str(&format!("\\U{:08x}", c as u32)),
        }
    }
    out.push('"');
    out
}

fn is_go_printable(c: char) -> bool {
    !c.is_control() && !matches!(c as u32, 0x80..=0x9f | 0xad | 0x2028 | 0x2029 | 0xfeff)
}

#[derive(Default, Clone, Copy)]
struct Spec {
    minus: bool,
    plus: bool,
    sharp: bool,
    zero: bool,
    space: bool,
    width: Option<usize>,
    prec: Option<usize>,
}

/// `fmt.Sprintf`.
pub fn sprintf(format: &str, args: &[Value]) -> String {
    let mut out = String::new();
    let mut argi = 0usize;
    let mut chars = format.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        let mut spec = Spec::default();
        while let Some(&f) = chars.peek() {
            match f {
                '-' => spec.minus = true,
                '+' => spec.plus = true,
                '#' => spec.sharp = true,
                '0' => spec.zero = true,
                ' ' => spec.space = true,
                _ => break,
            }
            chars.next();
        }
        // width
        if chars.peek() == Some(&'*') {
            chars.next();
            if let Some(w) = args.get(argi).and_then(Value::as_int) {
                spec.width = Some(w.unsigned_abs() as usize);
                if w < 0 {
                    spec.minus = true;
                }
            }
            argi += 1;
        } else {
            let mut w = String::new();
            while let Some(&d) = chars.peek().filter(|d| d.is_ascii_digit()) {
                w.push(d);
                chars.next();
            }
            if !w.is_empty() {
                spec.width = w.parse().ok();
            }
        }
        if chars.peek() == Some(&'.') {
            chars.next();
            if chars.peek() == Some(&'*') {
                chars.next();
                spec.prec = args
                    .get(argi)
                    .and_then(Value::as_int)
                    .map(|p| p.max(0) as usize);
                argi += 1;
            } else {
                let mut p = String::new();
                while let Some(&d) = chars.peek().filter(|d| d.is_ascii_digit()) {
                    p.push(d);
                    chars.next();
                }
                spec.prec = Some(p.parse().unwrap_or(0));
            }
        }
        let Some(verb) = chars.next() else {
            out.push_str("%!(NOVERB)");
            break;
        };
        if verb == '%' {
            out.push('%');
            continue;
        }
        let Some(arg) = args.get(argi) else {
            out.push_str(&format!("%!{verb}(MISSING)"));
            continue;
        };
        argi += 1;
        let s = format_one(verb, &spec, arg);
        out.push_str(&pad(
            &s,
            &spec,
            matches!(arg, Value::Int(_) | Value::Int64(_) | Value::Float(_)) && verb != 'q',
        ));
    }
    if argi < args.len() {
        out.push_str("%!(EXTRA ");
        let extra: Vec<String> = args[argi..]
            .iter()
            .map(|a| format!("{}={}", a.type_name(), go_sprint(a)))
            .collect();
        out.push_str(&extra.join(", "));
        out.push(')');
    }
    out
}

fn pad(s: &str, spec: &Spec, numeric: bool) -> String {
    let Some(w) = spec.width else {
        return s.to_string();
    };
    let len = s.chars().count();
    if len >= w {
        return s.to_string();
    }
    let fill = w - len;
    if spec.minus {
        format!("{s}{}", " ".repeat(fill))
    } else if spec.zero && numeric {
        let (sign, digits) = match s.strip_prefix('-') {
            Some(d) => ("-", d),
            None => match s.strip_prefix('+') {
                Some(d) => ("+", d),
                None => ("", s),
            },
        };
        format!("{sign}{}{digits}", "0".repeat(fill))
    } else {
        format!("{}{s}", " ".repeat(fill))
    }
}

fn bad(verb: char, v: &Value) -> String {
    match v {
        Value::Nil => format!("%!{verb}(<nil>)"),
        _ => format!("%!{verb}({}={})", v.type_name(), go_sprint(v)),
    }
}

fn format_one(verb: char, spec: &Spec, v: &Value) -> String {
    match (verb, v) {
        ('v', Value::Str(s)) if spec.sharp => go_quote(s),
        ('v', _) => {
            if let (Value::Float(f), Some(_)) = (v, spec.prec) {
                return float_verb('g', spec, *f);
            }
            let s = go_sprint(v);
            if spec.plus && matches!(v, Value::Int(_) | Value::Int64(_)) && !s.starts_with('-') {
                return format!("+{s}");
            }
            s
        }
        ('T', _) => v.type_name(),
        ('s', Value::Str(s)) => truncate(s, spec.prec),
        ('s', Value::List(l)) => {
            let parts: Vec<String> = l.iter().map(|e| format_one('s', spec, e)).collect();
            format!("[{}]", parts.join(" "))
        }
        ('s', Value::Map(_)) | ('s', Value::Object(_)) => truncate(&go_sprint(v), spec.prec),
        ('q', Value::Str(s)) => go_quote(s),
        ('q', Value::Int(i) | Value::Int64(i)) => match char::from_u32(*i as u32) {
            Some(c) => format!("'{c}'"),
            None => bad('q', v),
        },
        ('q', Value::List(l)) => {
            let parts: Vec<String> = l.iter().map(|e| format_one('q', spec, e)).collect();
            format!("[{}]", parts.join(" "))
        }
        ('t', Value::Bool(b)) => b.to_string(),
        ('d', Value::Int(i) | Value::Int64(i)) => {
            let mut s = i.to_string();
            if spec.plus && *i >= 0 {
                s.insert(0, '+');
            } else if spec.space && *i >= 0 {
                s.insert(0, ' ');
            }
            s
        }
        ('d', Value::List(l)) => {
            let parts: Vec<String> = l.iter().map(|e| format_one('d', spec, e)).collect();
            format!("[{}]", parts.join(" "))
        }
        ('x' | 'X', Value::Int(i) | Value::Int64(i)) => {
            let s = if *i < 0 {
                format!("-{:x}", i.unsigned_abs())
            } else {
                format!("{:x}", i)
            };
            let s = if spec.sharp {
                s.replacen("", "0x", 1)
            } else {
                s
            };
            if verb == 'X' { s.to_uppercase() } else { s }
        }
        ('x' | 'X', Value::Str(s)) => {
            let h: String = s.bytes().map(|b| format!("{b:02x}")).collect();
            if verb == 'X' { h.to_uppercase() } else { h }
        }
        ('o', Value::Int(i) | Value::Int64(i)) => format!("{:o}", i),
        ('U', Value::Int(i) | Value::Int64(i)) => format!("U+{:04X}", i),
        ('b', Value::Int(i) | Value::Int64(i)) => format!("{:b}", i),
        ('c', Value::Int(i) | Value::Int64(i)) => char::from_u32(*i as u32)
            .map(String::from)
            .unwrap_or_else(|| "\u{FFFD}".into()),
        ('f' | 'F' | 'e' | 'E' | 'g' | 'G', Value::Float(f)) => float_verb(verb, spec, *f),
        _ => bad(verb, v),
    }
}

fn truncate(s: &str, prec: Option<usize>) -> String {
    match prec {
        Some(p) => s.chars().take(p).collect(),
        None => s.to_string(),
    }
}

fn float_verb(verb: char, spec: &Spec, f: f64) -> String {
    let mut s = match verb {
        'f' | 'F' => format!("{:.*}", spec.prec.unwrap_or(6), f),
        'e' | 'E' => {
            let s = format!("{:.*e}", spec.prec.unwrap_or(6), f);
            let s = go_exp(&s);
            if verb == 'E' { s.to_uppercase() } else { s }
        }
        _ => match spec.prec {
            None => format_float_g(f, 6),
            Some(p) => {
                let p = p.max(1);
                let exp = if f == 0.0 {
                    0
                } else {
                    f.abs().log10().floor() as i32
                };
                if exp < -4 || exp >= p as i32 {
                    go_exp(&format!("{:.*e}", p - 1, f))
                } else {
                    let s = format!("{:.*}", (p as i32 - 1 - exp).max(0) as usize, f);
                    if s.contains('.') {
                        s.trim_end_matches('0').trim_end_matches('.').to_string()
                    } else {
                        s
                    }
                }
            }
        },
    };
    if spec.plus && f >= 0.0 {
        s.insert(0, '+');
    }
    s
}

/// Rust `1.5e2` → Go `1.5e+02`.
fn go_exp(s: &str) -> String {
    match s.split_once('e') {
        Some((m, e)) => {
            let (sign, digits) = match e.strip_prefix('-') {
                Some(d) => ('-', d),
                None => ('+', e),
            };
            let digits = if digits.len() < 2 {
                format!("0{digits}")
            } else {
                digits.to_string()
            };
            format!("{m}e{sign}{digits}")
        }
        None => s.to_string(),
    }
}
