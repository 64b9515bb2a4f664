//! String filters: regular expressions, shell quoting, paths and the Jinja
//! text helpers minijinja lacks (`center`, `wordcount`, `truncate`).
//!
//! Non-string input is first converted with Python's `str()`, as Ansible's
//! `to_text(..., nonstring='simplerepr')` does.

use minijinja::Error;
use minijinja::value::{Kwargs, Rest, Value, ValueKind};

use crate::pyregex;
use crate::repr::python_str;
use crate::util::{invalid, require_defined, text_of};

fn flags(kwargs: &Kwargs) -> Result<(bool, bool), Error> {
    let ignorecase = kwargs.get::<Option<bool>>("ignorecase")?.unwrap_or(false);
    let multiline = kwargs.get::<Option<bool>>("multiline")?.unwrap_or(false);
    Ok((ignorecase, multiline))
}

/// `regex_replace(pattern='', replacement='', ignorecase=False, multiline=False, count=0, mandatory_count=0)`.
pub(crate) fn regex_replace(
    value: &Value,
    pattern: Option<&str>,
    replacement: Option<&str>,
    kwargs: Kwargs,
) -> Result<String, Error> {
    require_defined("regex_replace", value)?;
    let (ignorecase, multiline) = flags(&kwargs)?;
    let count = kwargs.get::<Option<usize>>("count")?.unwrap_or(0);
    let mandatory = kwargs.get::<Option<usize>>("mandatory_count")?.unwrap_or(0);
    let pattern = match pattern {
        Some(p) => p.to_owned(),
        None => kwargs.get::<Option<String>>("pattern")?.unwrap_or_default(),
    };
    let replacement = match replacement {
        Some(r) => r.to_owned(),
        None => kwargs
            .get::<Option<String>>("replacement")?
            .unwrap_or_default(),
    };
    kwargs.assert_all_used()?;
    let text = text_of(value);
    let re = pyregex::compile(&pattern, ignorecase, multiline)?;
    let (out, n) = pyregex::subn(&re, &replacement, &text, count)?;
    if mandatory > 0 && mandatory != n {
        return Err(invalid(format!(
            "'{pattern}' should match {mandatory} times, but matches {n} times in '{text}'"
        )));
    }
    Ok(out)
}

/// `regex_search(regex, *groups, ignorecase=False, multiline=False)`:
/// the match, the requested groups as a list, or `None`.
pub(crate) fn regex_search(
    value: &Value,
    regex: &str,
    groups: Rest<String>,
    kwargs: Kwargs,
) -> Result<Value, Error> {
    require_defined("regex_search", value)?;
    let (ignorecase, multiline) = flags(&kwargs)?;
    kwargs.assert_all_used()?;
    enum G {
        Idx(usize),
        Name(String),
    }
    let mut wanted = Vec::new();
    for arg in &groups.0 {
        if let Some(rest) = arg.strip_prefix("\\g<").and_then(|r| r.strip_suffix('>')) {
            wanted.push(match rest.parse::<usize>() {
                Ok(n) => G::Idx(n),
                Err(_) => G::Name(rest.to_owned()),
            });
        } else if let Some(n) = arg.strip_prefix('\\').and_then(|r| r.parse::<usize>().ok()) {
            wanted.push(G::Idx(n));
        } else {
            return Err(invalid(format!(
                "regex_search: unknown argument {arg:?} (expected '\\\\N' or '\\\\g<name>')"
            )));
        }
    }
    let text = text_of(value);
    let re = pyregex::compile(regex, ignorecase, multiline)?;
    let caps = re
        .captures(&text)
        .map_err(|e| invalid(format!("regular expression failed: {e}")))?;
    let Some(caps) = caps else {
        return Ok(Value::from(()));
    };
    if wanted.is_empty() {
        return Ok(Value::from(caps.get(0).map_or("", |m| m.as_str())));
    }
    let mut out = Vec::new();
    for g in wanted {
        let m = match &g {
            G::Idx(n) if *n >= caps.len() => {
                return Err(invalid(format!("regex_search: no such group {n}")));
            }
            G::Idx(n) => caps.get(*n),
            G::Name(name) => caps.name(name),
        };
        out.push(m.map_or(Value::from(()), |m| Value::from(m.as_str())));
    }
    Ok(Value::from(out))
}

/// `regex_findall(regex, multiline=False, ignorecase=False)`: Python's
/// `re.findall` shapes (strings, or tuples when there are several groups).
pub(crate) fn regex_findall(value: &Value, regex: &str, kwargs: Kwargs) -> Result<Value, Error> {
    require_defined("regex_findall", value)?;
    let (ignorecase, multiline) = flags(&kwargs)?;
    kwargs.assert_all_used()?;
    let text = text_of(value);
    let re = pyregex::compile(regex, ignorecase, multiline)?;
    let mut out = Vec::new();
    for caps in re.captures_iter(&text) {
        let caps = caps.map_err(|e| invalid(format!("regular expression failed: {e}")))?;
        let group = |i: usize| Value::from(caps.get(i).map_or("", |m| m.as_str()));
        out.push(match caps.len() {
            1 => group(0),
            2 => group(1),
            n => Value::from((1..n).map(group).collect::<Vec<_>>()),
        });
    }
    Ok(Value::from(out))
}

/// `regex_escape(re_type='python')`.
pub(crate) fn regex_escape(
    value: &Value,
    re_type: Option<String>,
    kwargs: Kwargs,
) -> Result<String, Error> {
    require_defined("regex_escape", value)?;
    let re_type = re_type.or(kwargs.get("re_type")?);
    kwargs.assert_all_used()?;
    let text = text_of(value);
    match re_type.as_deref().unwrap_or("python") {
        "python" => Ok(pyregex::escape(&text)),
        "posix_basic" => {
            let mut out = String::new();
            for c in text.chars() {
                if "].[^$*\\".contains(c) {
                    out.push('\\');
                }
                out.push(c);
            }
            Ok(out)
        }
        "posix_extended" => Err(invalid("Regex type (posix_extended) not yet implemented")),
        other => Err(invalid(format!("Invalid regex type ({other})"))),
    }
}

/// `quote`: `shlex.quote`.
pub(crate) fn quote(value: &Value) -> Result<String, Error> {
    require_defined("quote", value)?;
    let s = if value.is_none() {
        String::new()
    } else {
        text_of(value)
    };
    if s.is_empty() {
        return Ok("''".into());
    }
    let safe = s
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "_@%+=:,./-".contains(c));
    if safe {
        Ok(s)
    } else {
        Ok(format!("'{}'", s.replace('\'', "'\"'\"'")))
    }
}

/// `basename`: `os.path.basename`.
pub(crate) fn basename(value: &Value) -> Result<String, Error> {
    require_defined("basename", value)?;
    let s = text_of(value);
    Ok(s.rsplit_once('/').map_or(s.as_str(), |(_, b)| b).to_owned())
}

/// `dirname`: `os.path.dirname`.
pub(crate) fn dirname(value: &Value) -> Result<String, Error> {
    require_defined("dirname", value)?;
    let s = text_of(value);
    let head = match s.rfind('/') {
        Some(i) => &s[..=i],
        None => "",
    };
    if !head.is_empty() && !head.chars().all(|c| c == '/') {
        Ok(head.trim_end_matches('/').to_owned())
    } else {
        Ok(head.to_owned())
    }
}

/// `splitext`: `os.path.splitext`, as a `(root, ext)` tuple.
pub(crate) fn splitext(value: &Value) -> Result<Value, Error> {
    require_defined("splitext", value)?;
    let s = text_of(value);
    let file_start = s.rfind('/').map_or(0, |i| i + 1);
    let (root, ext) = match s.rfind('.') {
        Some(dot) if dot > file_start && s[file_start..dot].chars().any(|c| c != '.') => {
            (s[..dot].to_owned(), s[dot..].to_owned())
        }
        _ => (s.clone(), String::new()),
    };
    // Ansible 2.19 turns tuples into lists in template results.
    Ok(Value::from(vec![Value::from(root), Value::from(ext)]))
}

/// `center(width=80)`: `str.center`.
pub(crate) fn center(value: &Value, width: Option<usize>, kwargs: Kwargs) -> Result<String, Error> {
    require_defined("center", value)?;
    let s = text_of(value);
    let width = width.or(kwargs.get("width")?).unwrap_or(80);
    kwargs.assert_all_used()?;
    let len = s.chars().count();
    if len >= width {
        return Ok(s);
    }
    let marg = width - len;
    let left = marg / 2 + (marg & width & 1);
    let right = marg - left;
    Ok(format!("{}{}{}", " ".repeat(left), s, " ".repeat(right)))
}

/// `wordcount`: number of `\w+` runs.
pub(crate) fn wordcount(value: &Value) -> Result<usize, Error> {
    require_defined("wordcount", value)?;
    let s = text_of(value);
    let mut count = 0;
    let mut in_word = false;
    for c in s.chars() {
        let w = c.is_alphanumeric() || c == '_';
        if w && !in_word {
            count += 1;
        }
        in_word = w;
    }
    Ok(count)
}

/// `truncate(length=255, killwords=False, end='...', leeway=5)`.
pub(crate) fn truncate(value: &Value, args: Rest<Value>, kwargs: Kwargs) -> Result<String, Error> {
    require_defined("truncate", value)?;
    let s = text_of(value);
    let positional = |i: usize| args.0.get(i).cloned();
    let length = match positional(0) {
        Some(v) => usize::try_from(v)?,
        None => kwargs.get::<Option<usize>>("length")?.unwrap_or(255),
    };
    let killwords = match positional(1) {
        Some(v) => v.is_true(),
        None => kwargs.get::<Option<bool>>("killwords")?.unwrap_or(false),
    };
    let end = match positional(2) {
        Some(v) => python_str(&v),
        None => kwargs
            .get::<Option<String>>("end")?
            .unwrap_or_else(|| "...".to_owned()),
    };
    let end = end.as_str();
    let leeway = match positional(3) {
        Some(v) => usize::try_from(v)?,
        None => kwargs.get::<Option<usize>>("leeway")?.unwrap_or(5),
    };
    kwargs.assert_all_used()?;
    let end_len = end.chars().count();
    if length < end_len {
        return Err(invalid(format!(
            "expected length >= {end_len}, got {length}"
        )));
    }
    let chars: Vec<char> = s.chars().collect();
    if chars.len() <= length + leeway {
        return Ok(s);
    }
    let cut: String = chars[..length - end_len].iter().collect();
    if killwords {
        return Ok(cut + end);
    }
    let kept = cut
        .rsplit_once(' ')
        .map_or(cut.as_str(), |(a, _)| a)
        .to_owned();
    Ok(kept + end)
}

/// `split(sep=None, maxsplit=-1)`: Python's `str.split`.
pub(crate) fn split(
    value: &Value,
    sep: Option<Value>,
    maxsplit: Option<i64>,
    kwargs: Kwargs,
) -> Result<Value, Error> {
    let sep = match sep {
        Some(s) => Some(s),
        None => kwargs.get::<Option<Value>>("sep")?,
    };
    let maxsplit = maxsplit.or(kwargs.get("maxsplit")?);
    kwargs.assert_all_used()?;
    require_defined("split", value)?;
    let sep = sep
        .filter(|v| !v.is_none() && !v.is_undefined())
        .map(|v| python_str(&v));
    let parts =
        crate::pymethods::py_split(&text_of(value), sep.as_deref(), maxsplit.unwrap_or(-1))?;
    Ok(Value::from(
        parts.into_iter().map(Value::from).collect::<Vec<_>>(),
    ))
}

/// `format(*args)`: Python `%`-formatting (`"%s-%d" | format(a, 1)`).
pub(crate) fn format(value: &Value, args: Rest<Value>) -> Result<String, Error> {
    require_defined("format", value)?;
    let fmt = text_of(value);
    let mut args = args.0.into_iter();
    let mut out = String::new();
    let mut chars = fmt.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        let mut flags = String::new();
        while let Some(&f) = chars.peek().filter(|f| "-+ 0#".contains(**f)) {
            flags.push(f);
            chars.next();
        }
        let mut width = String::new();
        while let Some(&d) = chars.peek().filter(|d| d.is_ascii_digit()) {
            width.push(d);
            chars.next();
        }
        let mut precision: Option<usize> = None;
        if chars.peek() == Some(&'.') {
            chars.next();
            let mut p = String::new();
            while let Some(&d) = chars.peek().filter(|d| d.is_ascii_digit()) {
                p.push(d);
                chars.next();
            }
            precision = Some(p.parse().unwrap_or(0));
        }
        let conv = chars
            .next()
            .ok_or_else(|| invalid("format: incomplete format"))?;
        if conv == '%' {
            out.push('%');
            continue;
        }
        let arg = args
            .next()
            .ok_or_else(|| invalid("format: not enough arguments for format string"))?;
        let num = || {
            crate::util::as_f64(&arg).ok_or_else(|| {
                invalid(format!(
                    "format: %{conv} format: a real number is required, not {}",
                    crate::repr::python_type_name(&arg)
                ))
            })
        };
        let body = match conv {
            's' => {
                let s = python_str(&arg);
                match precision {
                    Some(p) => s.chars().take(p).collect(),
                    None => s,
                }
            }
            'r' | 'a' => crate::repr::python_repr(&arg),
            'd' | 'i' | 'u' => {
                let n = num()?.trunc() as i128;
                if flags.contains('+') && n >= 0 {
                    format!("+{n}")
                } else {
                    n.to_string()
                }
            }
            'f' | 'F' => format!("{:.*}", precision.unwrap_or(6), num()?),
            'e' | 'E' => {
                let s = format!("{:.*e}", precision.unwrap_or(6), num()?);
                let (m, e) = s.split_once('e').unwrap_or((&s, "0"));
                let e: i32 = e.parse().unwrap_or(0);
                let s = format!("{m}e{}{:02}", if e < 0 { '-' } else { '+' }, e.abs());
                if conv == 'E' { s.to_uppercase() } else { s }
            }
            'x' => format!("{:x}", num()? as i64),
            'X' => format!("{:X}", num()? as i64),
            'o' => format!("{:o}", num()? as i64),
            'c' => match arg.as_str() {
                Some(s) => s.to_owned(),
                None => char::from_u32(num()? as u32)
                    .map(String::from)
                    .unwrap_or_default(),
            },
            other => {
                return Err(invalid(format!(
                    "format: unsupported format character '{other}'"
                )));
            }
        };
        let width: usize = width.parse().unwrap_or(0);
        let len = body.chars().count();
        if len >= width {
            out.push_str(&body);
        } else if flags.contains('-') {
            out.push_str(&body);
            out.push_str(&" ".repeat(width - len));
        } else if flags.contains('0') && !matches!(conv, 's' | 'r' | 'a' | 'c') {
            let (sign, digits) = match body.strip_prefix('-') {
                Some(d) => ("-", d),
                None => ("", body.as_str()),
            };
            out.push_str(sign);
            out.push_str(&"0".repeat(width - len));
            out.push_str(digits);
        } else {
            out.push_str(&" ".repeat(width - len));
            out.push_str(&body);
        }
    }
    if args.next().is_some() {
        return Err(invalid(
            "format: not all arguments converted during string formatting",
        ));
    }
    Ok(out)
}

/// `comment(style='plain')`: wraps text in a comment block like Ansible's
/// default plain style (`#` prefix with an empty line before and after).
pub(crate) fn comment(
    value: &Value,
    style: Option<String>,
    kwargs: Kwargs,
) -> Result<String, Error> {
    require_defined("comment", value)?;
    let style = style.or(kwargs.get("style")?);
    kwargs.assert_all_used()?;
    let (beginning, prefix, end) = match style.as_deref().unwrap_or("plain") {
        "plain" => ("", "# ", ""),
        "erlang" => ("", "% ", ""),
        "c" => ("", "// ", ""),
        "cblock" => ("/*", " * ", " */"),
        "xml" => ("<!--", " - ", "-->"),
        other => return Err(invalid(format!("comment: unknown style {other:?}"))),
    };
    let text = text_of(value);
    let bare = prefix.trim_end();
    let mut lines = Vec::new();
    if !beginning.is_empty() {
        lines.push(beginning.to_owned());
    }
    lines.push(bare.to_owned());
    for line in text.split('\n') {
        lines.push(if line.is_empty() {
            bare.to_owned()
        } else {
            format!("{prefix}{line}")
        });
    }
    lines.push(bare.to_owned());
    if !end.is_empty() {
        lines.push(end.to_owned());
    }
    Ok(lines.join("\n"))
}

/// `urlencode`: Jinja's, with `+` for spaces in query-string pairs.
pub(crate) fn urlencode(value: &Value) -> Result<String, Error> {
    require_defined("urlencode", value)?;
    fn quote(s: &str, safe: &str) -> String {
        let mut out = String::new();
        for b in s.bytes() {
            if b.is_ascii_alphanumeric() || b"_.-~".contains(&b) || safe.as_bytes().contains(&b) {
                out.push(b as char);
            } else {
                out.push_str(&format!("%{b:02X}"));
            }
        }
        out
    }
    let qs = |v: &Value| quote(&python_str(v), "").replace("%20", "+");
    if crate::util::is_mapping(value) {
        let pairs = crate::util::map_entries("urlencode", value)?;
        return Ok(pairs
            .iter()
            .map(|(k, v)| format!("{}={}", qs(k), qs(v)))
            .collect::<Vec<_>>()
            .join("&"));
    }
    if value.kind() == ValueKind::Seq {
        let mut parts = Vec::new();
        for item in crate::util::to_vec("urlencode", value)? {
            let kv = crate::util::to_vec("urlencode", &item)?;
            match kv.as_slice() {
                [k, v] => parts.push(format!("{}={}", qs(k), qs(v))),
                _ => {
                    return Err(invalid(
                        "urlencode expects a string, a mapping or a list of pairs",
                    ));
                }
            }
        }
        return Ok(parts.join("&"));
    }
    Ok(quote(&python_str(value), "/"))
}

/// `path_join`: `os.path.join` of a list of path parts (an absolute part
/// discards everything before it).
pub(crate) fn path_join(value: &Value) -> Result<String, Error> {
    require_defined("path_join", value)?;
    let parts: Vec<String> = if value.kind() == ValueKind::String {
        vec![text_of(value)]
    } else {
        crate::util::to_vec("path_join", value)?
            .iter()
            .map(python_str)
            .collect()
    };
    let mut out = String::new();
    for part in parts {
        if part.starts_with('/') {
            out = part;
        } else if out.is_empty() || out.ends_with('/') {
            out.push_str(&part);
        } else {
            out.push('/');
            out.push_str(&part);
        }
    }
    Ok(out)
}
