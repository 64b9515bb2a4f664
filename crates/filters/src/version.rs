//! Version comparison for the `version`/`version_compare` test.
//!
//! Ansible compares with `LooseVersion` by default (a vendored copy of
//! distutils'), or `StrictVersion`/`SemanticVersion` on request. Their
//! orderings are quirky (`1.10 > 1.9`, `1.0a < 1.0` only for strict), and
//! playbooks gate features on them, so each is reproduced here.

use std::cmp::Ordering;

use minijinja::Error;

use crate::util::invalid;

/// One component of a LooseVersion: a number or a run of other text.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Loose {
    Num(u128),
    Text(String),
}

/// `LooseVersion.parse`: split into digit runs, lowercase-letter runs and
/// the text between them, dropping dots.
fn loose_parse(v: &str) -> Vec<Loose> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut cur_kind = 0u8; // 0 other, 1 digit, 2 lower
    let flush = |cur: &mut String, out: &mut Vec<Loose>| {
        if !cur.is_empty() && cur != "." {
            out.push(match cur.parse::<u128>() {
                Ok(n) => Loose::Num(n),
                Err(_) => Loose::Text(cur.clone()),
            });
        }
        cur.clear();
    };
    for ch in v.chars() {
        let kind = if ch.is_ascii_digit() {
            1
        } else if ch.is_ascii_lowercase() {
            2
        } else if ch == '.' {
            3
        } else {
            0
        };
        if kind == 3 {
            flush(&mut cur, &mut out);
            cur_kind = 0;
            continue;
        }
        if kind != cur_kind {
            flush(&mut cur, &mut out);
            cur_kind = kind;
        }
        cur.push(ch);
    }
    flush(&mut cur, &mut out);
    out
}

fn loose_cmp(a: &str, b: &str) -> Result<Ordering, Error> {
    let (xs, ys) = (loose_parse(a), loose_parse(b));
    for (x, y) in xs.iter().zip(ys.iter()) {
        let ord = match (x, y) {
            (Loose::Num(p), Loose::Num(q)) => p.cmp(q),
            (Loose::Text(p), Loose::Text(q)) => p.cmp(q),
            _ => {
                return Err(invalid(
                    "Version comparison failed: '<' not supported between instances of 'str' and 'int'",
                ));
            }
        };
        if ord != Ordering::Equal {
            return Ok(ord);
        }
    }
    Ok(xs.len().cmp(&ys.len()))
}

/// `major.minor.patch`.
type Triple = (u64, u64, u64);

/// A parsed StrictVersion: the numbers and an optional `a`/`b` prerelease.
type Strict = (Triple, Option<(char, u64)>);

/// `StrictVersion`: `N.N[.N][{a|b}N]`.
fn strict_parse(v: &str) -> Result<Strict, Error> {
    let bad = || {
        invalid(format!(
            "Version comparison failed: invalid version number '{v}'"
        ))
    };
    let (main, pre) = match v.find(['a', 'b']) {
        Some(i) => (&v[..i], Some(&v[i..])),
        None => (v, None),
    };
    let nums: Vec<u64> = main
        .split('.')
        .map(|p| {
            if !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) {
                p.parse().map_err(|_| bad())
            } else {
                Err(bad())
            }
        })
        .collect::<Result<_, _>>()?;
    let triple = match nums.as_slice() {
        [a, b] => (*a, *b, 0),
        [a, b, c] => (*a, *b, *c),
        _ => return Err(bad()),
    };
    let pre = match pre {
        None => None,
        Some(p) => {
            let mut chars = p.chars();
            let letter = chars.next().ok_or_else(bad)?;
            let rest = chars.as_str();
            if rest.is_empty() || !rest.bytes().all(|b| b.is_ascii_digit()) {
                return Err(bad());
            }
            Some((letter, rest.parse().map_err(|_| bad())?))
        }
    };
    Ok((triple, pre))
}

fn strict_cmp(a: &str, b: &str) -> Result<Ordering, Error> {
    let (va, pa) = strict_parse(a)?;
    let (vb, pb) = strict_parse(b)?;
    Ok(va.cmp(&vb).then_with(|| match (pa, pb) {
        (None, None) => Ordering::Equal,
        (None, Some(_)) => Ordering::Greater,
        (Some(_), None) => Ordering::Less,
        (Some(x), Some(y)) => x.cmp(&y),
    }))
}

/// Semantic Versioning 2.0 ordering (build metadata ignored).
fn semver_cmp(a: &str, b: &str) -> Result<Ordering, Error> {
    fn parse(v: &str) -> Result<(Triple, Vec<String>), Error> {
        let bad = || {
            invalid(format!(
                "Version comparison failed: invalid semantic version '{v}'"
            ))
        };
        let core_pre = v.split('+').next().unwrap_or(v);
        let (core, pre) = match core_pre.split_once('-') {
            Some((c, p)) => (c, p.split('.').map(str::to_owned).collect()),
            None => (core_pre, Vec::new()),
        };
        let nums: Vec<u64> = core
            .split('.')
            .map(|p| p.parse().map_err(|_| bad()))
            .collect::<Result<_, _>>()?;
        match nums.as_slice() {
            [x, y, z] => Ok(((*x, *y, *z), pre)),
            _ => Err(bad()),
        }
    }
    let (va, pa) = parse(a)?;
    let (vb, pb) = parse(b)?;
    Ok(va
        .cmp(&vb)
        .then_with(|| match (pa.is_empty(), pb.is_empty()) {
            (true, true) => Ordering::Equal,
            (true, false) => Ordering::Greater,
            (false, true) => Ordering::Less,
            _ => {
                for (x, y) in pa.iter().zip(pb.iter()) {
                    let ord = match (x.parse::<u64>(), y.parse::<u64>()) {
                        (Ok(p), Ok(q)) => p.cmp(&q),
                        (Ok(_), Err(_)) => Ordering::Less,
                        (Err(_), Ok(_)) => Ordering::Greater,
                        _ => x.cmp(y),
                    };
                    if ord != Ordering::Equal {
                        return ord;
                    }
                }
                pa.len().cmp(&pb.len())
            }
        }))
}

/// `version_compare(value, version, operator='eq', strict=None, version_type=None)`.
pub(crate) fn compare(
    value: &str,
    version: &str,
    operator: &str,
    strict: bool,
    version_type: Option<&str>,
) -> Result<bool, Error> {
    if value.is_empty() {
        return Err(invalid("Input version value cannot be empty"));
    }
    if version.is_empty() {
        return Err(invalid(
            "Version parameter to compare against cannot be empty",
        ));
    }
    let kind = if strict {
        "strict"
    } else {
        version_type.unwrap_or("loose")
    };
    let ord = match kind {
        "loose" => loose_cmp(value, version)?,
        "strict" => strict_cmp(value, version)?,
        "semver" | "semantic" => semver_cmp(value, version)?,
        other => {
            return Err(invalid(format!(
                "Invalid version type ({other}). Must be one of 'loose', 'strict', 'semver', 'semantic'"
            )));
        }
    };
    Ok(match operator {
        "==" | "=" | "eq" => ord == Ordering::Equal,
        "<" | "lt" => ord == Ordering::Less,
        "<=" | "le" => ord != Ordering::Greater,
        ">" | "gt" => ord == Ordering::Greater,
        ">=" | "ge" => ord != Ordering::Less,
        "!=" | "<>" | "ne" => ord != Ordering::Equal,
        other => {
            return Err(invalid(format!(
                "Invalid operator type ({other}). Must be one of '==', '=', 'eq', '<', 'lt', '<=', 'le', '>', 'gt', '>=', 'ge', '!=', '<>', 'ne'"
            )));
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loose_ordering() {
        assert_eq!(loose_cmp("1.10", "1.9").ok(), Some(Ordering::Greater));
        assert_eq!(loose_cmp("1.2.0", "1.2").ok(), Some(Ordering::Greater));
        assert_eq!(loose_cmp("2.19.1", "2.19.1").ok(), Some(Ordering::Equal));
        assert!(loose_cmp("1.0a", "1.0.1").is_err());
    }

    #[test]
    fn strict_and_semver() {
        assert_eq!(strict_cmp("1.0a1", "1.0").ok(), Some(Ordering::Less));
        assert!(strict_cmp("1.0.0.0", "1.0").is_err());
        assert_eq!(
            semver_cmp("1.0.0-alpha", "1.0.0-alpha.1").ok(),
            Some(Ordering::Less)
        );
        assert_eq!(semver_cmp("1.0.0-rc.1", "1.0.0").ok(), Some(Ordering::Less));
    }
}
