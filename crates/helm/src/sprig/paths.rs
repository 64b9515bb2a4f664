//! Path helpers (`base`, `dir`, `clean`, `ext`, `isAbs` and the `os*`
//! variants, which behave the same on the Unix hosts stackbook targets)
//! and URL helpers.

use super::args::want_str;
use crate::gotmpl::FuncMap;
use crate::value::{Map, Value};

/// Go's `path.Clean`.
pub fn clean(p: &str) -> String {
    if p.is_empty() {
        return ".".into();
    }
    let rooted = p.starts_with('/');
    let mut out: Vec<&str> = Vec::new();
    for seg in p.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                if out.last().is_some_and(|l| *l != "..") {
                    out.pop();
                } else if !rooted {
                    out.push("..");
                }
            }
            s => out.push(s),
        }
    }
    let joined = out.join("/");
    match (rooted, joined.is_empty()) {
        (true, _) => format!("/{joined}"),
        (false, true) => ".".into(),
        (false, false) => joined,
    }
}

/// Go's `path.Base`.
pub fn base(p: &str) -> String {
    if p.is_empty() {
        return ".".into();
    }
    let t = p.trim_end_matches('/');
    if t.is_empty() {
        return "/".into();
    }
    t.rsplit('/').next().unwrap_or(t).to_string()
}

/// Go's `path.Dir`.
pub fn dir(p: &str) -> String {
    let cut = p.rfind('/').map(|i| &p[..=i]).unwrap_or("");
    clean(cut)
}

/// Go's `path.Ext`.
pub fn ext(p: &str) -> String {
    let b = p.rsplit('/').next().unwrap_or(p);
    match b.rfind('.') {
        Some(i) => b[i..].to_string(),
        None => String::new(),
    }
}

/// Registers path and URL functions.
pub fn register(m: &mut FuncMap) {
    m.add("base", 1, |a| Ok(Value::from(base(want_str(&a[0])?))));
    m.add("osBase", 1, |a| Ok(Value::from(base(want_str(&a[0])?))));
    m.add("dir", 1, |a| Ok(Value::from(dir(want_str(&a[0])?))));
    m.add("osDir", 1, |a| Ok(Value::from(dir(want_str(&a[0])?))));
    m.add("clean", 1, |a| Ok(Value::from(clean(want_str(&a[0])?))));
    m.add("osClean", 1, |a| Ok(Value::from(clean(want_str(&a[0])?))));
    m.add("ext", 1, |a| Ok(Value::from(ext(want_str(&a[0])?))));
    m.add("osExt", 1, |a| Ok(Value::from(ext(want_str(&a[0])?))));
    m.add("isAbs", 1, |a| {
        Ok(Value::Bool(want_str(&a[0])?.starts_with('/')))
    });
    m.add("osIsAbs", 1, |a| {
        Ok(Value::Bool(want_str(&a[0])?.starts_with('/')))
    });
    m.add("urlParse", 1, |a| Ok(url_parse(want_str(&a[0])?)));
    m.add("urlJoin", 1, |a| Ok(Value::from(url_join(&a[0]))));
}

fn url_parse(s: &str) -> Value {
    let (scheme, rest) = match s.split_once("://") {
        Some((sc, r)) => (sc.to_string(), r),
        None => (String::new(), s),
    };
    let (rest, fragment) = rest
        .split_once('#')
        .map(|(a, b)| (a, b.to_string()))
        .unwrap_or((rest, String::new()));
    let (rest, query) = rest
        .split_once('?')
        .map(|(a, b)| (a, b.to_string()))
        .unwrap_or((rest, String::new()));
    let (authority, path) = if scheme.is_empty() {
        ("", rest.to_string())
    } else {
        match rest.find('/') {
            Some(i) => (&rest[..i], rest[i..].to_string()),
            None => (rest, String::new()),
        }
    };
    let (userinfo, host) = authority
        .rsplit_once('@')
        .map(|(u, h)| (u.to_string(), h.to_string()))
        .unwrap_or((String::new(), authority.to_string()));
    let mut m = Map::new();
    m.insert("scheme".into(), Value::from(scheme));
    m.insert("host".into(), Value::from(host));
    m.insert("hostname".into(), Value::from(String::new()));
    m.insert("path".into(), Value::from(path));
    m.insert("query".into(), Value::from(query));
    m.insert("opaque".into(), Value::from(String::new()));
    m.insert("fragment".into(), Value::from(fragment));
    m.insert("userinfo".into(), Value::from(userinfo));
    Value::map(m)
}

fn url_join(v: &Value) -> String {
    let g = |k: &str| {
        v.get(k)
            .and_then(|x| x.as_str().map(str::to_string))
            .unwrap_or_default()
    };
    let mut out = String::new();
    let scheme = g("scheme");
    if !scheme.is_empty() {
        out.push_str(&scheme);
        out.push_str("://");
    }
    let ui = g("userinfo");
    if !ui.is_empty() {
        out.push_str(&ui);
        out.push('@');
    }
    out.push_str(&g("host"));
    out.push_str(&g("path"));
    let q = g("query");
    if !q.is_empty() {
        out.push('?');
        out.push_str(&q);
    }
    let f = g("fragment");
    if !f.is_empty() {
        out.push('#');
        out.push_str(&f);
    }
    out
}
