//! YAML 1.1 implicit typing of plain scalars, as PyYAML resolves it.
//!
//! Ansible loads YAML with PyYAML, which follows YAML 1.1: `yes`/`no`/
//! `on`/`off` are booleans, `0755` is octal, `1_000` is an int and `1e5`
//! (no dot) is a string. Both directions need this table: `from_yaml` to
//! construct values and the emitter to know when a string must be quoted
//! (`'yes'`, `'1.0'`) to survive a round trip.

use std::sync::LazyLock;

use minijinja::Value;
use regex::Regex;

/// The implicit type a plain scalar resolves to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Implicit {
    Null,
    Bool,
    Int,
    Float,
    Timestamp,
    Merge,
    Value,
    Str,
}

static BOOL: LazyLock<Regex> = LazyLock::new(|| {
    re(r"^(?:yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$")
});
static FLOAT: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$",
    )
});
static INT: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$",
    )
});
static NULL: LazyLock<Regex> = LazyLock::new(|| re(r"^(?:~|null|Null|NULL|)$"));
static TIMESTAMP: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"^(?:[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]|[0-9][0-9][0-9][0-9]-[0-9][0-9]?-[0-9][0-9]?(?:[Tt]|[ \t]+)[0-9][0-9]?:[0-9][0-9]:[0-9][0-9](?:\.[0-9]*)?(?:[ \t]*(?:Z|[-+][0-9][0-9]?(?::[0-9][0-9])?))?)$",
    )
});

fn re(pattern: &str) -> Regex {
    // The patterns are constants checked by the unit tests below.
    Regex::new(pattern).unwrap_or_else(|e| panic!("invalid built-in YAML regex: {e}"))
}

/// Resolves a plain scalar like PyYAML's `Resolver.resolve`: only the
/// resolvers registered for the first character are tried, in order.
pub(crate) fn resolve(value: &str) -> Implicit {
    let first = value.chars().next();
    let candidates: &[Implicit] = match first {
        None => &[Implicit::Null],
        Some('y' | 'Y' | 'n' | 'N' | 't' | 'T' | 'f' | 'F' | 'o' | 'O') => {
            &[Implicit::Bool, Implicit::Null]
        }
        Some('-' | '+') => &[Implicit::Float, Implicit::Int],
        Some('0'..='9') => &[Implicit::Float, Implicit::Int, Implicit::Timestamp],
        Some('.') => &[Implicit::Float],
        Some('<') => &[Implicit::Merge],
        Some('~') => &[Implicit::Null],
        Some('=') => &[Implicit::Value],
        _ => &[],
    };
    for &kind in candidates {
        let hit = match kind {
            Implicit::Bool => BOOL.is_match(value),
            Implicit::Float => FLOAT.is_match(value),
            Implicit::Int => INT.is_match(value),
            Implicit::Null => NULL.is_match(value),
            Implicit::Timestamp => TIMESTAMP.is_match(value),
            Implicit::Merge => value == "<<",
            Implicit::Value => value == "=",
            Implicit::Str => false,
        };
        if hit {
            return kind;
        }
    }
    Implicit::Str
}

/// True if a plain scalar with this text would load back as a string.
pub(crate) fn resolves_plain_as_str(value: &str) -> bool {
    // `Value` (`=`) is constructed as a str by SafeLoader, but the emitter
    // still sees a non-str tag and quotes it.
    resolve(value) == Implicit::Str
}

/// Constructs the value of a plain scalar (`SafeConstructor`).
pub(crate) fn construct_plain(value: &str) -> Value {
    match resolve(value) {
        Implicit::Null => Value::from(()),
        Implicit::Bool => Value::from(
            matches!(value.chars().next(), Some('y' | 'Y' | 't' | 'T'))
                || value.eq_ignore_ascii_case("on"),
        ),
        Implicit::Int => construct_int(value).unwrap_or_else(|| Value::from(value)),
        Implicit::Float => construct_float(value).map_or_else(|| Value::from(value), Value::from),
        _ => Value::from(value),
    }
}

fn sign_and_body(value: &str) -> (i128, String) {
    let cleaned: String = value.chars().filter(|&c| c != '_').collect();
    match cleaned.strip_prefix('-') {
        Some(rest) => (-1, rest.to_owned()),
        None => (1, cleaned.strip_prefix('+').unwrap_or(&cleaned).to_owned()),
    }
}

fn construct_int(value: &str) -> Option<Value> {
    let (sign, body) = sign_and_body(value);
    let n = if body == "0" {
        0
    } else if let Some(b) = body.strip_prefix("0b") {
        i128::from_str_radix(b, 2).ok()?
    } else if let Some(h) = body.strip_prefix("0x") {
        i128::from_str_radix(h, 16).ok()?
    } else if let Some(o) = body.strip_prefix('0') {
        i128::from_str_radix(o, 8).ok()?
    } else if body.contains(':') {
        body.split(':').try_fold(0i128, |acc, part| {
            acc.checked_mul(60)?.checked_add(part.parse::<i128>().ok()?)
        })?
    } else {
        body.parse::<i128>().ok()?
    };
    let n = n.checked_mul(sign)?;
    Some(match i64::try_from(n) {
        Ok(small) => Value::from(small),
        Err(_) => Value::from(n),
    })
}

fn construct_float(value: &str) -> Option<f64> {
    let (sign, body) = sign_and_body(value);
    let body = body.to_lowercase();
    let f = if body == ".inf" {
        f64::INFINITY
    } else if body == ".nan" {
        return Some(f64::NAN);
    } else if body.contains(':') {
        let mut acc = 0.0;
        for part in body.split(':') {
            acc = acc * 60.0 + part.parse::<f64>().ok()?;
        }
        acc
    } else {
        body.parse::<f64>().ok()?
    };
    Some(f * sign as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yaml11_resolution() {
        assert_eq!(resolve("yes"), Implicit::Bool);
        assert_eq!(resolve("Off"), Implicit::Bool);
        assert_eq!(resolve("y"), Implicit::Str);
        assert_eq!(resolve("0755"), Implicit::Int);
        assert_eq!(resolve("1e5"), Implicit::Str);
        assert_eq!(resolve("1.5e+3"), Implicit::Float);
        assert_eq!(resolve("2024-01-02"), Implicit::Timestamp);
        assert_eq!(resolve(""), Implicit::Null);
        assert_eq!(resolve("abc"), Implicit::Str);
        assert_eq!(construct_plain("0755"), Value::from(493));
        assert_eq!(construct_plain("0x1F"), Value::from(31));
        assert_eq!(construct_plain("1_000"), Value::from(1000));
        assert_eq!(construct_plain("1:30"), Value::from(90));
        assert_eq!(construct_plain("on"), Value::from(true));
        assert_eq!(construct_plain("NO"), Value::from(false));
    }
}
