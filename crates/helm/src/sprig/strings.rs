//! Sprig string functions (`quote`, `indent`, `trunc`, `replace`, ...).

use super::args::{strslice, strval, want_int, want_str};
use crate::gotmpl::FuncMap;
use crate::gotmpl::gofmt::go_quote;
use crate::value::Value;

type R = Result<Value, String>;

fn s(v: impl Into<String>) -> R {
    Ok(Value::from(v.into()))
}

/// Registers the string family.
pub fn register(m: &mut FuncMap) {
    m.add("upper", 1, |a| s(want_str(&a[0])?.to_uppercase()));
    m.add("lower", 1, |a| s(want_str(&a[0])?.to_lowercase()));
    m.add("title", 1, |a| s(title(want_str(&a[0])?)));
    m.add("untitle", 1, |a| s(untitle(want_str(&a[0])?)));
    m.add("trim", 1, |a| {
        s(want_str(&a[0])?.trim_matches(char::is_whitespace))
    });
    m.add("trimAll", 2, |a| {
        let cut = want_str(&a[0])?;
        s(want_str(&a[1])?.trim_matches(|c| cut.contains(c)))
    });
    m.add("trimall", 2, |a| {
        let cut = want_str(&a[0])?;
        s(want_str(&a[1])?.trim_matches(|c| cut.contains(c)))
    });
    m.add("trimSuffix", 2, |a| {
        let suf = want_str(&a[0])?;
        let v = want_str(&a[1])?;
        s(v.strip_suffix(suf).unwrap_or(v))
    });
    m.add("trimPrefix", 2, |a| {
        let pre = want_str(&a[0])?;
        let v = want_str(&a[1])?;
        s(v.strip_prefix(pre).unwrap_or(v))
    });
    m.add("replace", 3, |a| {
        let (old, new, src) = (want_str(&a[0])?, want_str(&a[1])?, want_str(&a[2])?);
        s(go_replace_all(src, old, new))
    });
    m.add("repeat", 2, |a| {
        let n = want_int(&a[0])?;
        if n < 0 {
            return Err("strings: negative Repeat count".into());
        }
        s(want_str(&a[1])?.repeat(n as usize))
    });
    m.add("substr", 3, |a| {
        s(substr(want_int(&a[0])?, want_int(&a[1])?, want_str(&a[2])?))
    });
    m.add("trunc", 2, |a| s(trunc(want_int(&a[0])?, want_str(&a[1])?)));
    m.add("abbrev", 2, |a| {
        let w = want_int(&a[0])?;
        let v = want_str(&a[1])?;
        if w < 4 || v.len() as i64 <= w {
            return s(v);
        }
        s(format!("{}...", trunc(w - 3, v)))
    });
    m.add("abbrevboth", 3, |a| {
        let (left, right, v) = (want_int(&a[0])?, want_int(&a[1])?, want_str(&a[2])?);
        s(abbrev_both(left, right, v))
    });
    m.add("hello", 0, |_| s("Hello!"));
    m.add("nospace", 1, |a| {
        s(want_str(&a[0])?
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect::<String>())
    });
    m.add("contains", 2, |a| {
        Ok(Value::Bool(want_str(&a[1])?.contains(want_str(&a[0])?)))
    });
    m.add("hasPrefix", 2, |a| {
        Ok(Value::Bool(want_str(&a[1])?.starts_with(want_str(&a[0])?)))
    });
    m.add("hasSuffix", 2, |a| {
        Ok(Value::Bool(want_str(&a[1])?.ends_with(want_str(&a[0])?)))
    });
    m.add_variadic("quote", 0, |a| {
        let parts: Vec<String> = a
            .iter()
            .filter(|v| !matches!(v, Value::Nil))
            .map(|v| go_quote(&strval(v)))
            .collect();
        s(parts.join(" "))
    });
    m.add_variadic("squote", 0, |a| {
        let parts: Vec<String> = a
            .iter()
            .filter(|v| !matches!(v, Value::Nil))
            .map(|v| format!("'{}'", strval(v)))
            .collect();
        s(parts.join(" "))
    });
    m.add_variadic("cat", 0, |a| {
        let parts: Vec<String> = a
            .iter()
            .filter(|v| !matches!(v, Value::Nil))
            .map(crate::value::go_sprint)
            .collect();
        s(parts.join(" "))
    });
    m.add("indent", 2, |a| {
        s(indent(want_int(&a[0])?, want_str(&a[1])?))
    });
    m.add("nindent", 2, |a| {
        s(format!("\n{}", indent(want_int(&a[0])?, want_str(&a[1])?)))
    });
    m.add("plural", 3, |a| {
        let n = want_int(&a[2])?;
        s(if n == 1 {
            want_str(&a[0])?
        } else {
            want_str(&a[1])?
        })
    });
    m.add("snakecase", 1, |a| s(snake(want_str(&a[0])?, '_')));
    m.add("kebabcase", 1, |a| s(snake(want_str(&a[0])?, '-')));
    m.add("camelcase", 1, |a| s(camel(want_str(&a[0])?)));
    m.add("swapcase", 1, |a| {
        s(want_str(&a[0])?
            .chars()
            .map(|c| {
                if c.is_uppercase() {
                    c.to_lowercase().collect::<String>()
                } else {
                    c.to_uppercase().collect()
                }
            })
            .collect::<String>())
    });
    m.add("initials", 1, |a| {
        s(want_str(&a[0])?
            .split_whitespace()
            .filter_map(|w| w.chars().next())
            .collect::<String>())
    });
    m.add("wrap", 2, |a| {
        s(wrap(want_int(&a[0])?, want_str(&a[1])?, "\n"))
    });
    m.add("wrapWith", 3, |a| {
        s(wrap(want_int(&a[0])?, want_str(&a[2])?, want_str(&a[1])?))
    });
    m.add("split", 2, |a| {
        let sep = want_str(&a[0])?;
        let parts = go_split(want_str(&a[1])?, sep);
        Ok(Value::map(
            parts
                .into_iter()
                .enumerate()
                .map(|(i, p)| (format!("_{i}"), Value::from(p)))
                .collect(),
        ))
    });
    m.add("splitList", 2, |a| {
        let sep = want_str(&a[0])?;
        Ok(Value::list(
            go_split(want_str(&a[1])?, sep)
                .into_iter()
                .map(Value::from)
                .collect(),
        ))
    });
    m.add("splitn", 3, |a| {
        let sep = want_str(&a[0])?;
        let n = want_int(&a[1])?;
        let orig = want_str(&a[2])?;
        let parts: Vec<String> = if n < 0 {
            go_split(orig, sep)
        } else {
            orig.splitn(n as usize, sep).map(str::to_string).collect()
        };
        Ok(Value::map(
            parts
                .into_iter()
                .enumerate()
                .map(|(i, p)| (format!("_{i}"), Value::from(p)))
                .collect(),
        ))
    });
    m.add("join", 2, |a| {
        let sep = want_str(&a[0])?;
        s(strslice(&a[1]).join(sep))
    });
    m.add("sortAlpha", 1, |a| {
        let mut v = strslice(&a[0]);
        v.sort();
        Ok(Value::list(v.into_iter().map(Value::from).collect()))
    });
    m.add("toString", 1, |a| s(strval(&a[0])));
    m.add("toStrings", 1, |a| {
        Ok(Value::list(
            strslice(&a[0]).into_iter().map(Value::from).collect(),
        ))
    });
}

/// goutils `AbbreviateFull` as Sprig's `abbrevboth` calls it.
fn abbrev_both(offset: i64, max: i64, s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    let len = chars.len() as i64;
    if s.is_empty() || max < 4 || len <= max {
        return s.to_string();
    }
    let mut offset = offset.clamp(0, len);
    if len - offset < max - 3 {
        offset = len - (max - 3);
    }
    let take = |from: i64, n: i64| {
        chars
            .iter()
            .skip(from.max(0) as usize)
            .take(n.max(0) as usize)
            .collect::<String>()
    };
    if offset <= 4 {
        return format!("{}...", take(0, max - 3));
    }
    if max < 7 {
        return s.to_string();
    }
    if offset + max - 3 < len {
        return format!("...{}", abbrev_both(0, max - 3, &take(offset, len)));
    }
    format!("...{}", take(len - (max - 3), max - 3))
}

/// Go's `strings.Replace(s, old, new, -1)` (empty `old` inserts between runes).
fn go_replace_all(src: &str, old: &str, new: &str) -> String {
    if old.is_empty() {
        let mut out = String::from(new);
        for c in src.chars() {
            out.push(c);
            out.push_str(new);
        }
        return out;
    }
    src.replace(old, new)
}

/// Go's `strings.Split` (empty separator splits into runes).
fn go_split(s: &str, sep: &str) -> Vec<String> {
    if sep.is_empty() {
        return s.chars().map(String::from).collect();
    }
    s.split(sep).map(str::to_string).collect()
}

/// Sprig's `trunc` (byte based; negative counts keep the tail).
pub fn trunc(c: i64, s: &str) -> String {
    let len = s.len() as i64;
    let cut =
        |from: usize, to: usize| String::from_utf8_lossy(&s.as_bytes()[from..to]).into_owned();
    if c < 0 && len + c > 0 {
        return cut((len + c) as usize, s.len());
    }
    if c >= 0 && len > c {
        return cut(0, c as usize);
    }
    s.to_string()
}

fn substr(start: i64, end: i64, s: &str) -> String {
    let len = s.len() as i64;
    let cut = |from: i64, to: i64| {
        String::from_utf8_lossy(&s.as_bytes()[from as usize..to as usize]).into_owned()
    };
    if start < 0 {
        return cut(0, end.clamp(0, len));
    }
    if end < 0 || end > len {
        return cut(start.min(len), len);
    }
    if start > end {
        return String::new();
    }
    cut(start, end)
}

/// Sprig's `indent`.
pub fn indent(n: i64, v: &str) -> String {
    let pad = " ".repeat(n.max(0) as usize);
    format!("{pad}{}", v.replace('\n', &format!("\n{pad}")))
}

/// Go's deprecated `strings.Title`.
fn title(s: &str) -> String {
    let mut prev = ' ';
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        let sep = if prev.is_ascii() {
            !(prev.is_ascii_alphanumeric() || prev == '_')
        } else {
            !prev.is_alphanumeric() && (prev.is_whitespace() || !prev.is_alphanumeric())
        };
        if sep {
            out.extend(c.to_uppercase());
        } else {
            out.push(c);
        }
        prev = c;
    }
    out
}

fn untitle(s: &str) -> String {
    let mut prev = ' ';
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if prev.is_whitespace() {
            out.extend(c.to_lowercase());
        } else {
            out.push(c);
        }
        prev = c;
    }
    out
}

fn snake(s: &str, sep: char) -> String {
    let mut out = String::new();
    let chars: Vec<char> = s.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        if c == '_' || c == '-' || c == ' ' {
            if !out.is_empty() && !out.ends_with(sep) {
                out.push(sep);
            }
            continue;
        }
        if c.is_uppercase() {
            let prev_lower =
                i > 0 && (chars[i - 1].is_lowercase() || chars[i - 1].is_ascii_digit());
            let next_lower = chars.get(i + 1).is_some_and(|n| n.is_lowercase());
            let prev_upper = i > 0 && chars[i - 1].is_uppercase();
            if !out.is_empty() && !out.ends_with(sep) && (prev_lower || (prev_upper && next_lower))
            {
                out.push(sep);
            }
            out.extend(c.to_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

fn camel(s: &str) -> String {
    let mut out = String::new();
    let mut upper_next = true;
    for c in s.chars() {
        if c == '_' || c == ' ' || c == '-' {
            upper_next = true;
            continue;
        }
        if upper_next {
            out.extend(c.to_uppercase());
            upper_next = false;
        } else {
            out.push(c);
        }
    }
    out
}

fn wrap(width: i64, s: &str, newline: &str) -> String {
    let width = width.max(1) as usize;
    let mut out = Vec::new();
    for line in s.split('\n') {
        let mut cur = String::new();
        for word in line.split(' ').filter(|w| !w.is_empty()) {
            if !cur.is_empty() && cur.len() + 1 + word.len() > width {
                out.push(std::mem::take(&mut cur));
            }
            if !cur.is_empty() {
                cur.push(' ');
            }
            cur.push_str(word);
        }
        out.push(cur);
    }
    out.join(newline)
}
