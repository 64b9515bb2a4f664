//! `urlsplit` and `to_uuid`: small identifiers-and-addresses helpers.

use minijinja::Error;
use minijinja::value::{Kwargs, Value};

use crate::util::{invalid, new_map, require_defined, text_of};

/// The fields of Python's `urllib.parse.urlsplit` result.
struct Split {
    scheme: String,
    netloc: String,
    path: String,
    query: String,
    fragment: String,
}

fn split(url: &str) -> Split {
    let mut rest = url;
    let mut scheme = String::new();
    if let Some(colon) = rest.find(':') {
        let candidate = &rest[..colon];
        let valid = candidate
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic())
            && candidate
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c));
        if valid {
            scheme = candidate.to_ascii_lowercase();
            rest = &rest[colon + 1..];
        }
    }
    let mut netloc = String::new();
    if let Some(after) = rest.strip_prefix("//") {
        let end = after.find(['/', '?', '#']).unwrap_or(after.len());
        netloc = after[..end].to_owned();
        rest = &after[end..];
    }
    let (rest, fragment) = rest.split_once('#').unwrap_or((rest, ""));
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    Split {
        scheme,
        netloc,
        path: path.to_owned(),
        query: query.to_owned(),
        fragment: fragment.to_owned(),
    }
}

/// `urlsplit(query='')`: the whole split as a dict (keys sorted like
/// Python's `dir()`), or one field.
pub(crate) fn urlsplit(
    value: &Value,
    query: Option<String>,
    kwargs: Kwargs,
) -> Result<Value, Error> {
    require_defined("urlsplit", value)?;
    let query = query.or(kwargs.get("query")?);
    kwargs.assert_all_used()?;
    let s = split(&text_of(value));
    let (userinfo, hostport) = match s.netloc.rsplit_once('@') {
        Some((u, h)) => (Some(u), h),
        None => (None, s.netloc.as_str()),
    };
    let (username, password) = match userinfo {
        Some(u) => match u.split_once(':') {
            Some((name, pw)) => (Value::from(name), Value::from(pw)),
            None => (Value::from(u), Value::from(())),
        },
        None => (Value::from(()), Value::from(())),
    };
    let (host, port) = if let Some(v6) = hostport.strip_prefix('[') {
        match v6.split_once(']') {
            Some((h, p)) => (h.to_owned(), p.strip_prefix(':').unwrap_or("")),
            None => return Err(invalid("Invalid IPv6 URL")),
        }
    } else {
        match hostport.rsplit_once(':') {
            Some((h, p)) => (h.to_owned(), p),
            None => (hostport.to_owned(), ""),
        }
    };
    let hostname = if host.is_empty() {
        Value::from(())
    } else {
        Value::from(host.to_lowercase())
    };
    let port = if port.is_empty() {
        Value::from(())
    } else {
        match port.parse::<u16>() {
            Ok(p) => Value::from(p),
            Err(_) => {
                return Err(invalid(format!(
                    "Port could not be cast to integer value as {port:?}"
                )));
            }
        }
    };
    let fields = vec![
        ("fragment", Value::from(s.fragment)),
        ("hostname", hostname),
        ("netloc", Value::from(s.netloc.clone())),
        ("password", password),
        ("path", Value::from(s.path)),
        ("port", port),
        ("query", Value::from(s.query)),
        ("scheme", Value::from(s.scheme)),
        ("username", username),
    ];
    match query.as_deref().filter(|q| !q.is_empty()) {
        Some(q) => fields
            .into_iter()
            .find(|(k, _)| *k == q)
            .map(|(_, v)| v)
            .ok_or_else(|| invalid(format!("urlsplit: unknown URL component: {q}"))),
        None => Ok(new_map(
            fields
                .into_iter()
                .map(|(k, v)| (Value::from(k), v))
                .collect(),
        )),
    }
}

/// Ansible's namespace for `to_uuid`.
const ANSIBLE_NAMESPACE: [u8; 16] = [
    0x36, 0x1e, 0x6d, 0x51, 0xfa, 0xec, 0x44, 0x4a, 0x90, 0x79, 0x34, 0x13, 0x86, 0xda, 0x8e, 0x2e,
];

/// `to_uuid(namespace=ANSIBLE)`: a name-based (version 5) UUID.
pub(crate) fn to_uuid(
    value: &Value,
    namespace: Option<String>,
    kwargs: Kwargs,
) -> Result<String, Error> {
    use sha1::Digest as _;
    require_defined("to_uuid", value)?;
    let namespace = namespace.or(kwargs.get("namespace")?);
    kwargs.assert_all_used()?;
    let ns: [u8; 16] = match namespace.as_deref() {
        None => ANSIBLE_NAMESPACE,
        Some(text) => {
            let hex: String = text
                .chars()
                .filter(|c| *c != '-' && *c != '{' && *c != '}')
                .collect();
            let bytes = (0..hex.len())
                .step_by(2)
                .map(|i| {
                    hex.get(i..i + 2)
                        .and_then(|h| u8::from_str_radix(h, 16).ok())
                })
                .collect::<Option<Vec<u8>>>()
                .filter(|b| b.len() == 16)
                .ok_or_else(|| invalid(format!("to_uuid: invalid namespace UUID {text:?}")))?;
            let mut out = [0u8; 16];
            out.copy_from_slice(&bytes);
            out
        }
    };
    let mut hasher = sha1::Sha1::new();
    hasher.update(ns);
    hasher.update(text_of(value).as_bytes());
    let digest = hasher.finalize();
    let mut b = [0u8; 16];
    b.copy_from_slice(&digest[..16]);
    b[6] = (b[6] & 0x0f) | 0x50;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h: String = b.iter().map(|x| format!("{x:02x}")).collect();
    Ok(format!(
        "{}-{}-{}-{}-{}",
        &h[..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..]
    ))
}
