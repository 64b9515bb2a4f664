//! Byte-size formatting: Ansible's `human_readable`/`human_to_bytes`
//! (binary prefixes, `module_utils.common.text.formatters`) and Jinja's
//! `filesizeformat` (decimal by default). Useful for memory and storage
//! settings (`shared_buffers`, PVC sizes) in database playbooks.

use minijinja::Error;
use minijinja::value::{Kwargs, Value};

use crate::util::{as_f64, invalid, require_defined, text_of};

/// Ansible's `SIZE_RANGES`, largest first.
const RANGES: &[(char, f64)] = &[
    ('Y', 1_208_925_819_614_629_174_706_176.0),
    ('Z', 1_180_591_620_717_411_303_424.0),
    ('E', 1_152_921_504_606_846_976.0),
    ('P', 1_125_899_906_842_624.0),
    ('T', 1_099_511_627_776.0),
    ('G', 1_073_741_824.0),
    ('M', 1_048_576.0),
    ('K', 1024.0),
    ('B', 1.0),
];

fn number(filter: &str, value: &Value) -> Result<f64, Error> {
    match as_f64(value) {
        Some(f) => Ok(f),
        None => text_of(value).trim().parse::<f64>().map_err(|_| {
            invalid(format!(
                "{filter}() can't interpret the input {:?}",
                text_of(value)
            ))
        }),
    }
}

/// `human_readable(isbits=False, unit=None)`: `'1.00 KB'`, `'12.00 Bytes'`.
pub(crate) fn human_readable(
    value: &Value,
    isbits: Option<bool>,
    unit: Option<String>,
    kwargs: Kwargs,
) -> Result<String, Error> {
    require_defined("human_readable", value)?;
    let isbits = isbits.or(kwargs.get("isbits")?).unwrap_or(false);
    let unit: Option<String> = unit.or(kwargs.get("unit")?);
    kwargs.assert_all_used()?;
    // Python compares the input with ints, so strings are a TypeError.
    let size = as_f64(value).ok_or_else(|| {
        invalid(format!(
            "human_readable() failed on bad input {:?}",
            text_of(value)
        ))
    })?;
    let wanted = unit
        .as_deref()
        .and_then(|u| u.chars().next())
        .map(|c| c.to_ascii_uppercase());
    let (suffix, limit) = RANGES
        .iter()
        .copied()
        .find(|&(s, limit)| match wanted {
            None => size >= limit,
            Some(w) => w == s,
        })
        .unwrap_or(('B', 1.0));
    let base = if isbits { "bits" } else { "Bytes" };
    let suffix = if limit != 1.0 {
        format!("{suffix}{}", &base[..1])
    } else {
        base.to_owned()
    };
    Ok(format!("{:.2} {suffix}", size / limit))
}

/// `human_to_bytes(default_unit=None, isbits=False)`: `'1.5G'` → 1610612736.
pub(crate) fn human_to_bytes(
    value: &Value,
    default_unit: Option<String>,
    isbits: Option<bool>,
    kwargs: Kwargs,
) -> Result<i64, Error> {
    require_defined("human_to_bytes", value)?;
    let default_unit: Option<String> = default_unit.or(kwargs.get("default_unit")?);
    let isbits = isbits.or(kwargs.get("isbits")?).unwrap_or(false);
    kwargs.assert_all_used()?;
    let text = text_of(value);
    let bad = || {
        invalid(format!(
            "human_to_bytes() can't interpret the input {text:?}"
        ))
    };
    let trimmed = text.trim_end();
    let num_end = trimmed
        .char_indices()
        .find(|&(_, c)| !(c.is_ascii_digit() || c == '.'))
        .map_or(trimmed.len(), |(i, _)| i);
    let (num_part, rest) = trimmed.split_at(num_end);
    let unit_part = rest.trim_start();
    if num_part.is_empty()
        || num_part.ends_with('.')
        || num_part.matches('.').count() > 1
        || !unit_part.chars().all(|c| c.is_ascii_alphabetic())
        || (rest.len() != unit_part.len() && unit_part.is_empty())
    {
        return Err(bad());
    }
    let num: f64 = num_part.parse().map_err(|_| bad())?;
    let unit = if unit_part.is_empty() {
        default_unit
    } else {
        Some(unit_part.to_owned())
    };
    let Some(unit) = unit else {
        return Ok(num.round_ties_even() as i64);
    };
    let key = unit
        .chars()
        .next()
        .map(|c| c.to_ascii_uppercase())
        .ok_or_else(bad)?;
    let limit = RANGES
        .iter()
        .find(|(s, _)| *s == key)
        .map(|(_, l)| *l)
        .ok_or_else(bad)?;
    if unit.chars().count() > 1 {
        let names = [
            "byte",
            "kilobyte",
            "megabyte",
            "gigabyte",
            "terabyte",
            "petabyte",
            "exabyte",
            "zetabyte",
            "yottabyte",
        ];
        let idx = "BKMGTPEZY".find(key).unwrap_or(0);
        let long = if isbits {
            names[idx].replace("byte", "bit")
        } else {
            names[idx].to_owned()
        };
        let short = match (key, isbits) {
            ('B', false) => "B".to_owned(),
            ('B', true) => "b".to_owned(),
            (k, false) => format!("{k}B"),
            (k, true) => format!("{k}b"),
        };
        if unit.to_lowercase() != long && unit != short {
            return Err(bad());
        }
    }
    Ok((num * limit).round_ties_even() as i64)
}

/// Jinja's `filesizeformat(binary=False)`: `'1.5 kB'`, `'1 Byte'`.
pub(crate) fn filesizeformat(
    value: &Value,
    binary: Option<bool>,
    kwargs: Kwargs,
) -> Result<String, Error> {
    require_defined("filesizeformat", value)?;
    let binary = binary.or(kwargs.get("binary")?);
    kwargs.assert_all_used()?;
    let bytes = number("filesizeformat", value)?;
    let binary = binary.unwrap_or(false);
    let base: f64 = if binary { 1024.0 } else { 1000.0 };
    let prefixes = if binary {
        ["KiB", "MiB", "GiB", "TiB", "PiB", "EiB", "ZiB", "YiB"]
    } else {
        ["kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"]
    };
    if bytes == 1.0 {
        return Ok("1 Byte".into());
    }
    if bytes < base {
        return Ok(format!("{} Bytes", bytes.trunc() as i64));
    }
    let mut unit = base;
    for (i, prefix) in prefixes.iter().enumerate() {
        unit = base.powi(i as i32 + 2);
        if bytes < unit {
            return Ok(format!("{:.1} {prefix}", base * bytes / unit));
        }
    }
    Ok(format!(
        "{:.1} {}",
        base * bytes / unit,
        prefixes[prefixes.len() - 1]
    ))
}
