//! Values coalescing, ported from Helm 4's `pkg/chart/common/util/
//! coalesce.go` line by line: chart defaults under user values, `null`
//! deleting keys, subchart sections receiving the parent's `global`.
//! Operates on shared [`MapRef`]s exactly like the Go code mutates maps.

use crate::chart::Chart;
use crate::value::{MapRef, Value};

/// A warning raised while coalescing (Helm logs these).
pub type Warnings = Vec<String>;

/// `CoalesceValues(chart, vals)`: user values over chart defaults.
pub fn coalesce_values(
    chart: &Chart,
    vals: &Value,
    warnings: &mut Warnings,
) -> Result<MapRef, String> {
    let dest = match vals.deep_copy() {
        Value::Map(m) => m,
        _ => MapRef::default(),
    };
    coalesce(chart, &dest, "", false, warnings)?;
    Ok(dest)
}

/// `MergeValues(chart, vals)`: like coalesce but keeps nulls.
pub fn merge_values(
    chart: &Chart,
    vals: &Value,
    warnings: &mut Warnings,
) -> Result<MapRef, String> {
    let dest = match vals.deep_copy() {
        Value::Map(m) => m,
        _ => MapRef::default(),
    };
    coalesce(chart, &dest, "", true, warnings)?;
    Ok(dest)
}

fn concat(a: &str, b: &str) -> String {
    if a.is_empty() {
        b.to_string()
    } else {
        format!("{a}.{b}")
    }
}

fn coalesce(
    ch: &Chart,
    dest: &MapRef,
    prefix: &str,
    merge: bool,
    w: &mut Warnings,
) -> Result<(), String> {
    coalesce_chart_values(ch, dest, prefix, merge, w);
    coalesce_deps(ch, dest, prefix, merge, w)
}

fn coalesce_deps(
    ch: &Chart,
    dest: &MapRef,
    prefix: &str,
    merge: bool,
    w: &mut Warnings,
) -> Result<(), String> {
    for sub in &ch.subcharts {
        match dest.get(&sub.name) {
            None => dest.insert(sub.name.clone(), Value::empty_map()),
            Some(Value::Map(_)) => {}
            Some(other) => {
                return Err(format!(
                    "type mismatch on {}: %!t({}={})",
                    sub.name,
                    other.type_name(),
                    crate::value::go_sprint(&other)
                ));
            }
        }
        if let Some(Value::Map(dv)) = dest.get(&sub.name) {
            let sub_prefix = concat(prefix, &ch.name);
            coalesce_globals(&dv, dest, &sub_prefix, w);
            coalesce(sub, &dv, &sub_prefix, merge, w)?;
        }
    }
    Ok(())
}

fn coalesce_globals(dest: &MapRef, src: &MapRef, prefix: &str, w: &mut Warnings) {
    let dg = match dest.get("global") {
        None => MapRef::default(),
        Some(Value::Map(m)) => m,
        Some(_) => {
            w.push("warning: skipping globals because destination global is not a table.".into());
            return;
        }
    };
    let sg = match src.get("global") {
        None => MapRef::default(),
        Some(Value::Map(m)) => m,
        Some(_) => {
            w.push("warning: skipping globals because source global is not a table.".into());
            return;
        }
    };
    for (key, val) in sg.snapshot() {
        if let Value::Map(vm) = &val {
            let vv = MapRef::new(vm.snapshot());
            match dg.get(&key) {
                None => dg.insert(key, Value::Map(vv)),
                Some(Value::Map(destv)) => {
                    coalesce_tables(&vv, &destv, &concat(prefix, &key), true, w);
                    dg.insert(key, Value::Map(vv));
                }
                Some(_) => w.push(format!(
                    "Conflict: cannot merge map onto non-map for {key:?}. Skipping."
                )),
            }
        } else if matches!(dg.get(&key), Some(Value::Map(_))) {
            w.push(format!("key {key} is table. Skipping"));
        } else {
            dg.insert(key, val);
        }
    }
    dest.insert("global".into(), Value::Map(dg));
}

fn coalesce_chart_values(ch: &Chart, v: &MapRef, prefix: &str, merge: bool, w: &mut Warnings) {
    let sub_prefix = concat(prefix, &ch.name);
    let vc = match ch.values.deep_copy() {
        Value::Map(m) => m,
        _ => MapRef::default(),
    };
    for (key, val) in vc.snapshot() {
        match v.get(&key) {
            Some(value) => {
                if matches!(value, Value::Nil) && !merge {
                    v.remove(&key);
                } else if let Value::Map(dest) = &value {
                    match &val {
                        Value::Map(src) => {
                            let merge = merge || ch.subcharts.iter().any(|s| s.name == key);
                            if !merge {
                                clean_nil(src);
                            }
                            coalesce_tables(dest, src, &concat(&sub_prefix, &key), merge, w);
                        }
                        Value::Nil => {}
                        _ => w.push(format!(
                            "warning: skipped value for {sub_prefix}.{key}: Not a table."
                        )),
                    }
                }
            }
            None => {
                if !merge {
                    if matches!(val, Value::Nil) {
                        continue;
                    }
                    if let Value::Map(sub) = &val {
                        clean_nil(sub);
                    }
                }
                v.insert(key, val);
            }
        }
    }
}

/// `coalesceTablesFullKey`: `dst` (higher precedence) over `src`.
pub fn coalesce_tables(dst: &MapRef, src: &MapRef, prefix: &str, merge: bool, w: &mut Warnings) {
    let src_non_nil: Vec<String> = src
        .snapshot()
        .into_iter()
        .filter(|(_, v)| !matches!(v, Value::Nil))
        .map(|(k, _)| k)
        .collect();
    for (key, val) in dst.snapshot() {
        if matches!(val, Value::Nil) {
            src.insert(key, Value::Nil);
        }
    }
    for (key, val) in src.snapshot() {
        let full = concat(prefix, &key);
        let dv = dst.get(&key);
        match dv {
            Some(Value::Nil) if !merge && src_non_nil.contains(&key) => {
                dst.remove(&key);
            }
            None => dst.insert(key, val),
            Some(dv) => {
                if let Value::Map(sv) = &val {
                    if let Value::Map(dm) = &dv {
                        coalesce_tables(dm, sv, &full, merge, w);
                    } else {
                        w.push(format!(
                            "warning: cannot overwrite table with non table for {full} ({})",
                            crate::value::go_sprint(&val)
                        ));
                    }
                } else if matches!(dv, Value::Map(_)) && !matches!(val, Value::Nil) {
                    w.push(format!(
                        "warning: destination for {full} is a table. Ignoring non-table value ({})",
                        crate::value::go_sprint(&val)
                    ));
                }
            }
        }
    }
}

fn clean_nil(m: &MapRef) {
    for (k, v) in m.snapshot() {
        match &v {
            Value::Nil => {
                m.remove(&k);
            }
            Value::Map(sub) => clean_nil(sub),
            _ => {}
        }
    }
}

/// Helm's `mergeMaps` for combining user values files and `--set`
/// results: later maps win, nested maps merge.
pub fn merge_maps(a: &MapRef, b: &MapRef) -> MapRef {
    let out = MapRef::new(a.snapshot());
    for (k, v) in b.snapshot() {
        if let Value::Map(bv) = &v
            && let Some(Value::Map(av)) = out.get(&k)
        {
            out.insert(k, Value::Map(merge_maps(&av, bv)));
            continue;
        }
        out.insert(k, v);
    }
    out
}
