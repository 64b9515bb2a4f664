//! YAML 1.1 implicit typing of plain scalars, following PyYAML's resolver (which Ansible uses).
//!
//! Differences from YAML 1.2 that matter in playbooks: `yes/no/on/off` are booleans, a leading
//! `0` means octal (`mode: 0644` is 420), floats need a dot (`1e3` stays a string), and
//! `1:30` is sexagesimal 90. Timestamps are left as strings (see DIFFERENCES.md).

use super::NodeValue;

/// Resolves an unquoted scalar to its YAML 1.1 type.
pub fn resolve_plain_scalar(text: &str) -> NodeValue {
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return NodeValue::Null,
        "yes" | "Yes" | "YES" | "true" | "True" | "TRUE" | "on" | "On" | "ON" | "y" | "Y" => {
            // PyYAML does not treat `y`/`Y` as booleans; keep them strings.
            if text.eq_ignore_ascii_case("y") {
                return NodeValue::String(text.to_string());
            }
            return NodeValue::Bool(true);
        }
        "no" | "No" | "NO" | "false" | "False" | "FALSE" | "off" | "Off" | "OFF" => {
            return NodeValue::Bool(false);
        }
        _ => {}
    }
    if let Some(value) = resolve_int(text) {
        return NodeValue::Int(value);
    }
    if let Some(value) = resolve_float(text) {
        return NodeValue::Float(value);
    }
    NodeValue::String(text.to_string())
}

fn split_sign(text: &str) -> (bool, &str) {
    if let Some(rest) = text.strip_prefix('-') {
        (true, rest)
    } else if let Some(rest) = text.strip_prefix('+') {
        (false, rest)
    } else {
        (false, text)
    }
}

fn all_digits(text: &str, radix: u32) -> bool {
    !text.is_empty()
        && text.chars().all(|c| c == '_' || c.is_digit(radix))
        && text.chars().any(|c| c != '_')
}

fn parse_radix(digits: &str, radix: u32) -> Option<i64> {
    let cleaned: String = digits.chars().filter(|c| *c != '_').collect();
    i64::from_str_radix(&cleaned, radix).ok()
}

fn resolve_int(text: &str) -> Option<i64> {
    let (negative, body) = split_sign(text);
    let magnitude = if let Some(bin) = body.strip_prefix("0b") {
        if !all_digits(bin, 2) {
            return None;
        }
        parse_radix(bin, 2)?
    } else if let Some(hex) = body.strip_prefix("0x") {
        if !all_digits(hex, 16) {
            return None;
        }
        parse_radix(hex, 16)?
    } else if body == "0" {
        0
    } else if let Some(oct) = body.strip_prefix('0') {
        if !all_digits(oct, 8) {
            return None;
        }
        parse_radix(oct, 8)?
    } else if body.contains(':') {
        sexagesimal_int(body)?
    } else {
        let first = body.chars().next()?;
        if !('1'..='9').contains(&first) || !all_digits(body, 10) {
            return None;
        }
        parse_radix(body, 10)?
    };
    Some(if negative { -magnitude } else { magnitude })
}

/// `[1-9][0-9_]*(:[0-5]?[0-9])+`
fn sexagesimal_int(body: &str) -> Option<i64> {
    let mut parts = body.split(':');
    let head = parts.next()?;
    let first = head.chars().next()?;
    if !('1'..='9').contains(&first) || !all_digits(head, 10) {
        return None;
    }
    let mut value = parse_radix(head, 10)?;
    for part in parts {
        if part.is_empty() || part.len() > 2 || !part.chars().all(|c| c.is_ascii_digit()) {
            return None;
        }
        let digit: i64 = part.parse().ok()?;
        if part.len() == 2 && !part.starts_with(['0', '1', '2', '3', '4', '5']) {
            return None;
        }
        value = value.checked_mul(60)?.checked_add(digit)?;
    }
    Some(value)
}

fn resolve_float(text: &str) -> Option<f64> {
    let (negative, body) = split_sign(text);
    let sign = if negative { -1.0 } else { 1.0 };
    match body {
        ".inf" | ".Inf" | ".INF" => return Some(sign * f64::INFINITY),
        ".nan" | ".NaN" | ".NAN" if text == body => return Some(f64::NAN),
        _ => {}
    }
    // [0-9][0-9_]*\.[0-9_]*([eE][-+][0-9]+)?  |  \.[0-9_]+([eE][-+][0-9]+)?
    let (mantissa, exponent) = match body.find(['e', 'E']) {
        Some(index) => (&body[..index], Some(&body[index + 1..])),
        None => (body, None),
    };
    let (integer, fraction) = mantissa.split_once('.')?;
    if integer.is_empty() {
        if !all_digits(fraction, 10) {
            return None;
        }
    } else if !integer.starts_with(|c: char| c.is_ascii_digit())
        || !integer.chars().all(|c| c.is_ascii_digit() || c == '_')
        || !fraction.chars().all(|c| c.is_ascii_digit() || c == '_')
    {
        return None;
    }
    if let Some(exponent) = exponent {
        let digits = exponent.strip_prefix(['-', '+'])?;
        if digits.is_empty() || !digits.chars().all(|c| c.is_ascii_digit()) {
            return None;
        }
    }
    let cleaned: String = body.chars().filter(|c| *c != '_').collect();
    let cleaned = if cleaned.ends_with('.') {
        format!("{cleaned}0")
    } else {
        cleaned
    };
    cleaned.parse::<f64>().ok().map(|v| sign * v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yaml_1_1_booleans_are_booleans() {
        for word in ["yes", "Yes", "on", "ON", "true"] {
            assert_eq!(resolve_plain_scalar(word), NodeValue::Bool(true), "{word}");
        }
        for word in ["no", "off", "Off", "FALSE"] {
            assert_eq!(resolve_plain_scalar(word), NodeValue::Bool(false), "{word}");
        }
        assert_eq!(resolve_plain_scalar("y"), NodeValue::String("y".into()));
    }

    #[test]
    fn integers_follow_pyyaml() {
        assert_eq!(resolve_plain_scalar("0644"), NodeValue::Int(420));
        assert_eq!(resolve_plain_scalar("0x1F"), NodeValue::Int(31));
        assert_eq!(resolve_plain_scalar("0b101"), NodeValue::Int(5));
        assert_eq!(resolve_plain_scalar("-42"), NodeValue::Int(-42));
        assert_eq!(resolve_plain_scalar("1_000"), NodeValue::Int(1000));
        assert_eq!(resolve_plain_scalar("1:30"), NodeValue::Int(90));
        assert_eq!(resolve_plain_scalar("09"), NodeValue::String("09".into()));
    }

    #[test]
    fn floats_need_a_dot() {
        assert_eq!(resolve_plain_scalar("1.5"), NodeValue::Float(1.5));
        assert_eq!(resolve_plain_scalar("1e3"), NodeValue::String("1e3".into()));
        assert_eq!(resolve_plain_scalar("1.0e+3"), NodeValue::Float(1000.0));
        assert_eq!(resolve_plain_scalar("5."), NodeValue::Float(5.0));
        assert_eq!(
            resolve_plain_scalar("-.inf"),
            NodeValue::Float(f64::NEG_INFINITY)
        );
        assert_eq!(
            resolve_plain_scalar("5.8.2"),
            NodeValue::String("5.8.2".into())
        );
    }

    #[test]
    fn nulls() {
        assert_eq!(resolve_plain_scalar("~"), NodeValue::Null);
        assert_eq!(resolve_plain_scalar("null"), NodeValue::Null);
    }
}
