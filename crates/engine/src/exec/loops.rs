//! Turning `loop:` and `with_*:` into the list of items, as Ansible's lookups do.

use minijinja::Value;
use minijinja::value::ValueKind;
use stackbook_syntax::playbook::{LoopKind, LoopSource};

/// Computes loop items from the rendered loop source.
pub fn loop_items(source: &LoopSource, rendered: Value) -> Result<Vec<Value>, String> {
    let kind = match &source.kind {
        LoopKind::Loop => {
            return match rendered.kind() {
                ValueKind::Seq | ValueKind::Iterable => Ok(rendered
                    .try_iter()
                    .map(Iterator::collect)
                    .unwrap_or_default()),
                _ => Err(format!(
                    "Invalid data passed to 'loop', it requires a list, got this instead: {}. Hint: If you passed a \
                     list/dict of just one element, try adding wantlist=True to your lookup invocation or use q/query \
                     instead of lookup.",
                    stackbook_template::python::python_str(&rendered)
                )),
            };
        }
        LoopKind::With(kind) => kind.as_str(),
    };
    match kind {
        "items" => Ok(flatten_one(&rendered)),
        "list" => Ok(as_list(&rendered)),
        "flattened" => Ok(flatten_all(&rendered)),
        "dict" => {
            if rendered.kind() != ValueKind::Map {
                return Err("with_dict expects a dict".into());
            }
            Ok(rendered
                .try_iter()
                .map(|keys| {
                    keys.map(|key| {
                        let value = rendered.get_item(&key).unwrap_or_default();
                        Value::from_pairs([("key", key), ("value", value)])
                    })
                    .collect()
                })
                .unwrap_or_default())
        }
        "indexed_items" => Ok(flatten_one(&rendered)
            .into_iter()
            .enumerate()
            .map(|(i, item)| Value::from(vec![Value::from(i), item]))
            .collect()),
        "together" => {
            let lists: Vec<Vec<Value>> = as_list(&rendered).iter().map(as_list).collect();
            let longest = lists.iter().map(Vec::len).max().unwrap_or(0);
            Ok((0..longest)
                .map(|i| {
                    Value::from(
                        lists
                            .iter()
                            .map(|l| l.get(i).cloned().unwrap_or(Value::from(())))
                            .collect::<Vec<_>>(),
                    )
                })
                .collect())
        }
        "nested" => {
            let lists: Vec<Vec<Value>> = as_list(&rendered).iter().map(as_list).collect();
            let mut product: Vec<Vec<Value>> = vec![Vec::new()];
            for list in lists {
                let mut next = Vec::new();
                for prefix in &product {
                    for item in &list {
                        let mut combined = prefix.clone();
                        combined.push(item.clone());
                        next.push(combined);
                    }
                }
                product = next;
            }
            Ok(product.into_iter().map(Value::from).collect())
        }
        "sequence" => sequence(&rendered),
        "subelements" => subelements(&rendered),
        "lines" => {
            let mut lines = Vec::new();
            for command in as_list(&rendered) {
                let command = stackbook_template::python::python_str(&command);
                let output = std::process::Command::new("/bin/sh")
                    .arg("-c")
                    .arg(&command)
                    .output()
                    .map_err(|e| format!("with_lines: cannot run '{command}': {e}"))?;
                if !output.status.success() {
                    return Err(format!(
                        "lookup_plugin.lines({command}) returned {}",
                        output.status.code().unwrap_or(-1)
                    ));
                }
                lines.extend(
                    String::from_utf8_lossy(&output.stdout)
                        .lines()
                        .map(|l| Value::from(l.to_string())),
                );
            }
            Ok(lines)
        }
        "env" => Ok(as_list(&rendered)
            .iter()
            .map(|name| {
                Value::from(
                    std::env::var(stackbook_template::python::python_str(name)).unwrap_or_default(),
                )
            })
            .collect()),

        other => Err(format!(
            "with_{other} is not supported yet; use loop: with a filter instead"
        )),
    }
}

fn as_list(value: &Value) -> Vec<Value> {
    match value.kind() {
        ValueKind::Seq | ValueKind::Iterable => {
            value.try_iter().map(Iterator::collect).unwrap_or_default()
        }
        ValueKind::None | ValueKind::Undefined => Vec::new(),
        _ => vec![value.clone()],
    }
}

fn flatten_one(value: &Value) -> Vec<Value> {
    let mut out = Vec::new();
    for item in as_list(value) {
        if matches!(item.kind(), ValueKind::Seq | ValueKind::Iterable) {
            out.extend(as_list(&item));
        } else {
            out.push(item);
        }
    }
    out
}

fn flatten_all(value: &Value) -> Vec<Value> {
    let mut out = Vec::new();
    for item in as_list(value) {
        if matches!(item.kind(), ValueKind::Seq | ValueKind::Iterable) {
            out.extend(flatten_all(&item));
        } else {
            out.push(item);
        }
    }
    out
}

/// `with_sequence: start=1 end=5 format=db%02d stride=1` (or `count=`).
fn sequence(value: &Value) -> Result<Vec<Value>, String> {
    let text = stackbook_template::python::python_str(value);
    let mut start = 1i64;
    let mut end: Option<i64> = None;
    let mut stride = 1i64;
    let mut format: Option<String> = None;
    for (key, val) in stackbook_syntax::kv::parse_kv(&text) {
        let parse = |v: &str| {
            v.parse::<i64>()
                .map_err(|_| format!("with_sequence: '{v}' is not an integer"))
        };
        match key.as_deref() {
            Some("start") => start = parse(&val)?,
            Some("end") => end = Some(parse(&val)?),
            Some("count") => end = Some(start + parse(&val)? - 1),
            Some("stride") => stride = parse(&val)?,
            Some("format") => format = Some(val),
            None if val.contains('-') => {
                let (a, b) = val.split_once('-').unwrap_or(("1", "0"));
                start = parse(a)?;
                end = Some(parse(b)?);
            }
            None => end = Some(parse(&val)?),
            Some(other) => return Err(format!("with_sequence: unknown option '{other}'")),
        }
    }
    let end = end.ok_or("with_sequence needs end= or count=")?;
    if stride == 0 {
        return Err("with_sequence: stride must not be 0".into());
    }
    let mut items = Vec::new();
    let mut n = start;
    while (stride > 0 && n <= end) || (stride < 0 && n >= end) {
        items.push(Value::from(match &format {
            Some(fmt) => printf_int(fmt, n),
            None => n.to_string(),
        }));
        n += stride;
        if items.len() > 1_000_000 {
            return Err("with_sequence produced more than a million items".into());
        }
    }
    Ok(items)
}

/// The `%d`, `%02d`, `%x` subset of Python's `%` formatting used by `with_sequence`.
fn printf_int(format: &str, n: i64) -> String {
    let Some(start) = format.find('%') else {
        return format.to_string();
    };
    let rest = &format[start + 1..];
    let spec_len = rest
        .find(|c: char| c.is_ascii_alphabetic())
        .map(|i| i + 1)
        .unwrap_or(rest.len());
    let spec = &rest[..spec_len];
    let width: usize = spec
        .trim_start_matches('0')
        .trim_end_matches(|c: char| c.is_ascii_alphabetic())
        .parse()
        .unwrap_or(0);
    let zero = spec.starts_with('0');
    let body = match spec.chars().last() {
        Some('x') => format!("{n:x}"),
        Some('o') => format!("{n:o}"),
        _ => n.to_string(),
    };
    let padded = if zero {
        format!("{body:0>width$}")
    } else {
        format!("{body:>width$}")
    };
    format!("{}{}{}", &format[..start], padded, &rest[spec_len..])
}

/// `with_subelements: [users, groups]` — each element paired with each of its sub-items.
fn subelements(value: &Value) -> Result<Vec<Value>, String> {
    let args = as_list(value);
    let (Some(list), Some(key)) = (
        args.first(),
        args.get(1).and_then(|k| k.as_str().map(str::to_string)),
    ) else {
        return Err("with_subelements expects [list, 'subkey']".into());
    };
    let mut out = Vec::new();
    for element in as_list(list) {
        let sub = element.get_attr(&key).unwrap_or_default();
        if sub.is_undefined() {
            return Err(format!("could not find '{key}' key in iterated item"));
        }
        for item in as_list(&sub) {
            out.push(Value::from(vec![element.clone(), item]));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sequence_with_format() {
        let items = sequence(&Value::from("start=1 end=3 format=db%02d")).unwrap();
        let texts: Vec<String> = items
            .iter()
            .map(|v| v.as_str().unwrap_or_default().to_string())
            .collect();
        assert_eq!(texts, vec!["db01", "db02", "db03"]);
    }
}
