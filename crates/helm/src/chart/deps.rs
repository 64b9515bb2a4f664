//! Dependency processing before rendering (Helm's `ProcessDependencies`):
//! aliases, `condition`/`tags` enabling, and `import-values`.

use super::{Chart, Dependency};
use crate::value::{Map, MapRef, Value};
use crate::values::coalesce::{Warnings, coalesce_tables, coalesce_values, merge_values};

fn compatible(constraint: &str, version: &str) -> bool {
    crate::sprig::semver::check(constraint, version).unwrap_or(false)
}

impl Chart {
    fn rename(&mut self, name: &str) {
        let depth = self.parents.len();
        self.name = name.to_string();
        for s in &mut self.subcharts {
            s.set_ancestor(depth, name);
        }
    }
    fn set_ancestor(&mut self, idx: usize, name: &str) {
        if let Some(p) = self.parents.get_mut(idx) {
            *p = name.to_string();
        }
        for s in &mut self.subcharts {
            s.set_ancestor(idx, name);
        }
    }
}

/// Applies aliases, conditions/tags and import-values to `chart` given the
/// user values.
pub fn process_dependencies(
    chart: &mut Chart,
    user_vals: &Value,
    w: &mut Warnings,
) -> Result<(), String> {
    process_enabled(chart, user_vals, "", w)?;
    process_import_values_rec(chart, w)
}

fn path_value(v: &MapRef, path: &str) -> Option<Value> {
    let mut parts: Vec<&str> = path.split('.').collect();
    let last = parts.pop()?;
    let mut cur = v.clone();
    for p in parts {
        match cur.get(p) {
            Some(Value::Map(m)) => cur = m,
            _ => return None,
        }
    }
    cur.get(last)
}

fn process_enabled(c: &mut Chart, v: &Value, path: &str, w: &mut Warnings) -> Result<(), String> {
    if c.dependencies.is_empty() {
        return Ok(());
    }
    let existing = std::mem::take(&mut c.subcharts);
    let mut new_subs: Vec<Chart> = Vec::new();
    for e in &existing {
        if !c
            .dependencies
            .iter()
            .any(|r| e.name == r.name && compatible(&r.version, &e.version))
        {
            new_subs.push(e.clone());
        }
    }
    for req in &mut c.dependencies {
        if let Some(found) = existing
            .iter()
            .find(|e| e.name == req.name && compatible(&req.version, &e.version))
        {
            let mut out = found.clone();
            if !req.alias.is_empty() {
                out.rename(&req.alias);
            }
            new_subs.push(out);
        }
        if !req.alias.is_empty() {
            req.name = req.alias.clone();
        }
        req.enabled = true;
    }
    c.subcharts = new_subs;
    let cvals = coalesce_values(c, v, w)?;
    // tags
    if let Some(Value::Map(tags)) = cvals.get("tags") {
        for r in &mut c.dependencies {
            let (mut has_true, mut has_false) = (false, false);
            for t in &r.tags {
                match tags.get(t) {
                    Some(Value::Bool(true)) => has_true = true,
                    Some(Value::Bool(false)) => has_false = true,
                    Some(_) => w.push(format!(
                        "tag {t:?} for chart {} returned non-bool value",
                        r.name
                    )),
                    None => {}
                }
            }
            r.enabled = has_true || !has_false;
        }
    }
    // conditions
    for r in &mut c.dependencies {
        for cond in r.condition.trim().split(',') {
            let cond = cond.trim();
            if cond.is_empty() {
                continue;
            }
            match path_value(&cvals, &format!("{path}{cond}")) {
                Some(Value::Bool(b)) => {
                    r.enabled = b;
                    break;
                }
                Some(_) => w.push(format!(
                    "condition path {cond:?} for chart {} returned non-bool value",
                    r.name
                )),
                None => {}
            }
        }
    }
    let disabled: Vec<String> = c
        .dependencies
        .iter()
        .filter(|r| !r.enabled)
        .map(|r| r.name.clone())
        .collect();
    c.subcharts.retain(|s| !disabled.contains(&s.name));
    c.dependencies
        .retain(|d: &Dependency| !disabled.contains(&d.name));
    let cv = Value::Map(cvals);
    for s in &mut c.subcharts {
        let sub = format!("{path}{}.", s.name);
        process_enabled(s, &cv, &sub, w)?;
    }
    Ok(())
}

fn process_import_values_rec(c: &mut Chart, w: &mut Warnings) -> Result<(), String> {
    for s in &mut c.subcharts {
        process_import_values_rec(s, w)?;
    }
    if c.dependencies.is_empty() {
        return Ok(());
    }
    let cvals = merge_values(c, &Value::empty_map(), w)?;
    let b = MapRef::default();
    for r in &mut c.dependencies {
        let mut out = Vec::new();
        for iv in &r.import_values {
            let (child, parent) = match iv {
                Value::Map(m) => {
                    let g = |k: &str| {
                        m.get(k)
                            .map(|v| crate::sprig::args::strval(&v))
                            .unwrap_or_else(|| "<nil>".into())
                    };
                    (g("child"), g("parent"))
                }
                Value::Str(s) => (format!("exports.{s}"), ".".to_string()),
                _ => continue,
            };
            out.push(Value::map(
                [
                    ("child".to_string(), Value::from(child.as_str())),
                    ("parent".to_string(), Value::from(parent.as_str())),
                ]
                .into_iter()
                .collect(),
            ));
            let Some(Value::Map(vv)) = path_value(&cvals, &format!("{}.{}", r.name, child)) else {
                w.push(format!(
                    "ImportValues missing table from chart {}: {child}",
                    r.name
                ));
                continue;
            };
            let src = if parent == "." {
                MapRef::new(vv.snapshot())
            } else {
                path_to_map(&parent, Value::map(vv.snapshot()))
            };
            coalesce_tables(&b, &src, "", true, w);
        }
        r.import_values = out;
    }
    let merged = match cvals_deep(&cvals) {
        Value::Map(m) => m,
        _ => MapRef::default(),
    };
    coalesce_tables(&merged, &b, "", true, w);
    c.values = Value::Map(merged);
    Ok(())
}

fn cvals_deep(m: &MapRef) -> Value {
    Value::Map(m.clone()).deep_copy()
}

fn path_to_map(path: &str, data: Value) -> MapRef {
    let parts: Vec<&str> = path.split('.').filter(|p| !p.is_empty()).collect();
    let mut cur = data;
    for p in parts.iter().rev() {
        let mut m = Map::new();
        m.insert((*p).to_string(), cur);
        cur = Value::map(m);
    }
    match cur {
        Value::Map(m) => m,
        _ => MapRef::default(),
    }
}
