//! Masterminds/semver v3 as Sprig exposes it: `semver` (parse) and
//! `semverCompare` (constraint check, with its prerelease rule: a version
//! with a prerelease only satisfies constraints that carry one).

use std::cmp::Ordering;
use std::sync::Arc;

use super::args::want_str;
use crate::gotmpl::FuncMap;
use crate::value::{Map, Object, Value};

/// A parsed semantic version.
#[derive(Debug, Clone, PartialEq)]
pub struct Version {
    /// Major.
    pub major: u64,
    /// Minor.
    pub minor: u64,
    /// Patch.
    pub patch: u64,
    /// Prerelease (without `-`).
    pub pre: String,
    /// Build metadata (without `+`).
    pub meta: String,
    /// The input text.
    pub original: String,
}

/// Which parts were given (for constraint wildcards).
#[derive(Debug, Clone, Copy, PartialEq)]
enum Given {
    Major,
    Minor,
    Full,
    None,
}

fn parse_lenient(s: &str) -> Option<(Version, Given)> {
    let orig = s;
    let s = s.trim();
    let s = s.strip_prefix('v').unwrap_or(s);
    let (core, meta) = match s.split_once('+') {
        Some((c, m)) => (c, m.to_string()),
        None => (s, String::new()),
    };
    let (nums, pre) = match core.split_once('-') {
        Some((n, p)) => (n, p.to_string()),
        None => (core, String::new()),
    };
    let ident_ok = |x: &str| {
        x.is_empty()
            || x.split('.')
                .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'))
    };
    if !ident_ok(&pre) || !ident_ok(&meta) {
        return None;
    }
    let parts: Vec<&str> = nums.split('.').collect();
    if parts.is_empty() || parts.len() > 3 {
        return None;
    }
    let is_x = |p: &str| matches!(p, "x" | "X" | "*");
    let mut vals = [0u64; 3];
    let mut given = Given::Full;
    for (i, p) in parts.iter().enumerate() {
        if is_x(p) {
            given = match i {
                0 => Given::None,
                1 => Given::Major,
                _ => Given::Minor,
            };
            break;
        }
        if p.is_empty() || !p.bytes().all(|c| c.is_ascii_digit()) {
            return None;
        }
        vals[i] = p.parse().ok()?;
    }
    if given == Given::Full {
        given = match parts.len() {
            1 => Given::Major,
            2 => Given::Minor,
            _ => Given::Full,
        };
    }
    Some((
        Version {
            major: vals[0],
            minor: vals[1],
            patch: vals[2],
            pre,
            meta,
            original: orig.to_string(),
        },
        given,
    ))
}

/// `semver.NewVersion`.
pub fn parse_version(s: &str) -> Result<Version, String> {
    match parse_lenient(s) {
        Some((v, g)) if g != Given::None => Ok(v),
        _ => Err("invalid semantic version".into()),
    }
}

fn cmp_pre(a: &str, b: &str) -> Ordering {
    match (a.is_empty(), b.is_empty()) {
        (true, true) => return Ordering::Equal,
        (true, false) => return Ordering::Greater,
        (false, true) => return Ordering::Less,
        _ => {}
    }
    let (pa, pb): (Vec<&str>, Vec<&str>) = (a.split('.').collect(), b.split('.').collect());
    for (x, y) in pa.iter().zip(pb.iter()) {
        let o = match (x.parse::<u64>(), y.parse::<u64>()) {
            (Ok(i), Ok(j)) => i.cmp(&j),
            (Ok(_), Err(_)) => Ordering::Less,
            (Err(_), Ok(_)) => Ordering::Greater,
            _ => x.cmp(y),
        };
        if o != Ordering::Equal {
            return o;
        }
    }
    pa.len().cmp(&pb.len())
}

impl Version {
    /// Semver precedence.
    pub fn compare(&self, o: &Version) -> Ordering {
        (self.major, self.minor, self.patch)
            .cmp(&(o.major, o.minor, o.patch))
            .then_with(|| cmp_pre(&self.pre, &o.pre))
    }
    fn with(major: u64, minor: u64, patch: u64, pre: &str) -> Version {
        Version {
            major,
            minor,
            patch,
            pre: pre.to_string(),
            meta: String::new(),
            original: String::new(),
        }
    }
}

fn check_one(v: &Version, c: &str) -> Result<bool, String> {
    let c = c.trim();
    let ops = [">=", "=>", "<=", "=<", "!=", "~>", ">", "<", "=", "~", "^"];
    let (op, rest) = ops
        .iter()
        .find_map(|op| c.strip_prefix(op).map(|r| (*op, r.trim())))
        .unwrap_or(("", c));
    let Some((cv, given)) = parse_lenient(rest) else {
        return Err(format!("improper constraint: {c}"));
    };
    if !v.pre.is_empty() && cv.pre.is_empty() {
        return Ok(false);
    }
    let lower = cv.clone();
    let next = |g: Given| match g {
        Given::None => None,
        Given::Major => Some(Version::with(cv.major + 1, 0, 0, "")),
        Given::Minor => Some(Version::with(cv.major, cv.minor + 1, 0, "")),
        Given::Full => None,
    };
    let ge = |x: &Version| v.compare(x) != Ordering::Less;
    let lt = |x: &Version| v.compare(x) == Ordering::Less;
    Ok(match op {
        "" | "=" => match given {
            Given::None => true,
            Given::Full => v.compare(&cv) == Ordering::Equal,
            g => ge(&lower) && next(g).is_none_or(|n| lt(&n)),
        },
        "!=" => match given {
            Given::None => false,
            Given::Full => v.compare(&cv) != Ordering::Equal,
            g => !(ge(&lower) && next(g).is_none_or(|n| lt(&n))),
        },
        ">" => match given {
            Given::None => false,
            Given::Full => v.compare(&cv) == Ordering::Greater,
            g => next(g).is_some_and(|n| ge(&n)),
        },
        ">=" | "=>" => given == Given::None || ge(&lower),
        "<" => given != Given::None && lt(&lower),
        "<=" | "=<" => match given {
            Given::None => true,
            Given::Full => v.compare(&cv) != Ordering::Greater,
            g => next(g).is_some_and(|n| lt(&n)),
        },
        "~" | "~>" => {
            let upper = match given {
                Given::None => return Ok(true),
                Given::Major => Version::with(cv.major + 1, 0, 0, ""),
                _ => Version::with(cv.major, cv.minor + 1, 0, ""),
            };
            ge(&lower) && lt(&upper)
        }
        "^" => {
            let upper = if given == Given::None {
                return Ok(true);
            } else if cv.major > 0 || given == Given::Major {
                Version::with(cv.major + 1, 0, 0, "")
            } else if cv.minor > 0 || given == Given::Minor {
                Version::with(0, cv.minor + 1, 0, "")
            } else {
                Version::with(0, 0, cv.patch + 1, "")
            };
            ge(&lower) && lt(&upper)
        }
        _ => return Err(format!("improper constraint: {c}")),
    })
}

/// `semver.NewConstraint(c).Check(v)`.
pub fn check(constraint: &str, version: &str) -> Result<bool, String> {
    let v = parse_version(version).map_err(|_| "invalid semantic version".to_string())?;
    for or_group in constraint.split("||") {
        let mut ok = true;
        let mut any = false;
        // Hyphen ranges "a - b".
        let group = or_group.trim();
        if let Some((lo, hi)) = group.split_once(" - ") {
            any = true;
            ok = check_one(&v, &format!(">={}", lo.trim()))?
                && check_one(&v, &format!("<={}", hi.trim()))?;
        } else {
            for part in split_and(group) {
                any = true;
                if !check_one(&v, &part)? {
                    ok = false;
                    break;
                }
            }
        }
        if any && ok {
            return Ok(true);
        }
        if !any {
            return Err(format!("improper constraint: {constraint}"));
        }
    }
    Ok(false)
}

/// Splits an AND group on commas and on whitespace between constraints
/// (keeping `>= 1.2` together).
fn split_and(s: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for chunk in s.split(',') {
        let mut pending_op = String::new();
        for tok in chunk.split_whitespace() {
            if tok.chars().all(|c| "<>=!~^".contains(c)) {
                pending_op.push_str(tok);
            } else {
                out.push(format!("{pending_op}{tok}"));
                pending_op.clear();
            }
        }
    }
    out
}

#[derive(Debug)]
struct SemverObj(Version);

impl Object for SemverObj {
    fn type_name(&self) -> &str {
        "*semver.Version"
    }
    fn field(&self, _name: &str) -> Option<Value> {
        None
    }
    fn call_method(&self, name: &str, _args: &[Value]) -> Option<Result<Value, String>> {
        let v = &self.0;
        Some(Ok(match name {
            "Major" => Value::Int64(v.major as i64),
            "Minor" => Value::Int64(v.minor as i64),
            "Patch" => Value::Int64(v.patch as i64),
            "Prerelease" => Value::from(v.pre.as_str()),
            "Metadata" => Value::from(v.meta.as_str()),
            "Original" => Value::from(v.original.as_str()),
            "String" => Value::from(self.display()),
            _ => return None,
        }))
    }
    fn display(&self) -> String {
        let v = &self.0;
        let mut s = format!("{}.{}.{}", v.major, v.minor, v.patch);
        if !v.pre.is_empty() {
            s.push('-');
            s.push_str(&v.pre);
        }
        if !v.meta.is_empty() {
            s.push('+');
            s.push_str(&v.meta);
        }
        s
    }
    fn to_data(&self) -> Value {
        Value::map(Map::new())
    }
}

/// Registers `semver` and `semverCompare`.
pub fn register(m: &mut FuncMap) {
    m.add("semverCompare", 2, |a| {
        check(want_str(&a[0])?, want_str(&a[1])?).map(Value::Bool)
    });
    m.add("semver", 1, |a| {
        Ok(Value::Object(Arc::new(SemverObj(parse_version(
            want_str(&a[0])?,
        )?))))
    });
}
