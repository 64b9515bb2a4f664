//! Sprig dict functions. Dicts are Go maps, i.e. shared references:
//! `set`, `unset`, `merge` mutate their first argument in place and return
//! it, which charts rely on (`$_ := set $ctx "k" v`).

use super::args::{strval, want_map, want_str};
use crate::gotmpl::FuncMap;
use crate::value::{Map, MapRef, Value};

type R = Result<Value, String>;

/// Registers the dict family.
pub fn register(m: &mut FuncMap) {
    m.add_variadic("dict", 0, |a| {
        let mut d = Map::new();
        for pair in a.chunks(2) {
            let k = strval(&pair[0]);
            d.insert(k, pair.get(1).cloned().unwrap_or(Value::from("")));
        }
        Ok(Value::map(d))
    });
    m.add("get", 2, |a| {
        let d = want_map(&a[0])?;
        Ok(d.get(want_str(&a[1])?).unwrap_or(Value::from("")))
    });
    m.add("set", 3, |a| {
        let d = want_map(&a[0])?;
        d.insert(want_str(&a[1])?.to_string(), a[2].clone());
        Ok(a[0].clone())
    });
    m.add("unset", 2, |a| {
        let d = want_map(&a[0])?;
        d.remove(want_str(&a[1])?);
        Ok(a[0].clone())
    });
    m.add("hasKey", 2, |a| {
        Ok(Value::Bool(want_map(&a[0])?.contains_key(want_str(&a[1])?)))
    });
    m.add_variadic("pluck", 1, |a| {
        let k = want_str(&a[0])?;
        let mut out = Vec::new();
        for d in &a[1..] {
            if let Some(v) = want_map(d)?.get(k) {
                out.push(v);
            }
        }
        Ok(Value::list(out))
    });
    m.add_variadic("keys", 0, |a| {
        let mut out = Vec::new();
        for d in a {
            out.extend(want_map(d)?.keys().into_iter().map(Value::from));
        }
        Ok(Value::list(out))
    });
    m.add("values", 1, |a| {
        Ok(Value::list(
            want_map(&a[0])?.snapshot().into_values().collect(),
        ))
    });
    m.add_variadic("pick", 1, |a| {
        let d = want_map(&a[0])?;
        let mut out = Map::new();
        for k in &a[1..] {
            let k = want_str(k)?;
            if let Some(v) = d.get(k) {
                out.insert(k.to_string(), v);
            }
        }
        Ok(Value::map(out))
    });
    m.add_variadic("omit", 1, |a| {
        let d = want_map(&a[0])?;
        let drop: Vec<String> = a[1..].iter().map(strval).collect();
        Ok(Value::map(
            d.snapshot()
                .into_iter()
                .filter(|(k, _)| !drop.contains(k))
                .collect(),
        ))
    });
    m.add_variadic("merge", 1, |a| merge(a, false));
    m.add_variadic("mustMerge", 1, |a| merge(a, false));
    m.add_variadic("mergeOverwrite", 1, |a| merge(a, true));
    m.add_variadic("mustMergeOverwrite", 1, |a| merge(a, true));
    m.add("deepCopy", 1, |a| Ok(a[0].deep_copy()));
    m.add("mustDeepCopy", 1, |a| Ok(a[0].deep_copy()));
    m.add_variadic("dig", 2, |a| {
        let n = a.len();
        let d = want_map(&a[n - 1])?;
        let default = a[n - 2].clone();
        let keys: Vec<&str> = a[..n - 2].iter().map(want_str).collect::<Result<_, _>>()?;
        let mut cur = Value::Map(d.clone());
        for k in keys {
            match cur.get(k) {
                Some(v) => cur = v,
                None => return Ok(default),
            }
        }
        Ok(cur)
    });
}

/// mergo's zero-value test.
fn is_empty_value(v: &Value) -> bool {
    v.is_empty()
}

/// `mergo.Merge(dst, src...)` (with `WithOverride` when `overwrite`).
fn merge(a: &[Value], overwrite: bool) -> R {
    let dst = want_map(&a[0])?;
    for src in &a[1..] {
        let src = want_map(src)?;
        merge_into(dst, src, overwrite);
    }
    Ok(a[0].clone())
}

fn merge_into(dst: &MapRef, src: &MapRef, overwrite: bool) {
    if dst.ptr_eq(src) {
        return;
    }
    for (k, sv) in src.snapshot() {
        let dv = dst.get(&k);
        if let (Some(Value::Map(dm)), Value::Map(sm)) = (&dv, &sv) {
            merge_into(dm, sm, overwrite);
            continue;
        }
        let dst_empty = dv.as_ref().is_none_or(is_empty_value);
        if dst_empty || overwrite {
            dst.insert(k, sv);
        }
    }
}
