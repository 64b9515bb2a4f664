//! List and dictionary filters (`mathstuff.py` and `core.py` in Ansible).
//!
//! Ansible's versions differ from Jinja's/minijinja's in ways playbooks rely
//! on: `unique` is case-insensitive by default, `flatten` drops nulls,
//! `combine` merges left to right with optional recursion and list merge
//! strategies, and results of `zip`/`product` are Python tuples.

use std::cmp::Ordering;

use minijinja::Error;
use minijinja::value::{Kwargs, Rest, Value, ValueKind};

use crate::util::{
    attr_path, invalid, is_mapping, is_sequence, map_entries, new_map, py_contains, py_eq,
    require_defined, to_vec, type_error,
};

/// Python's `<` ordering between two values; `None` when Python would
/// raise `TypeError` (e.g. `1 < 'a'`, or any dict comparison).
pub(crate) fn py_cmp(a: &Value, b: &Value) -> Option<Ordering> {
    let num = |v: &Value| matches!(v.kind(), ValueKind::Number | ValueKind::Bool);
    if num(a) && num(b) {
        if a.is_integer() && b.is_integer() {
            return Some(a.cmp(b));
        }
        return crate::util::as_f64(a)?.partial_cmp(&crate::util::as_f64(b)?);
    }
    match (a.kind(), b.kind()) {
        (ValueKind::String, ValueKind::String) => Some(a.as_str()?.cmp(b.as_str()?)),
        (ValueKind::Seq, ValueKind::Seq) => {
            let xs: Vec<Value> = a.try_iter().ok()?.collect();
            let ys: Vec<Value> = b.try_iter().ok()?.collect();
            for (x, y) in xs.iter().zip(ys.iter()) {
                if py_eq(x, y) {
                    continue;
                }
                return py_cmp(x, y);
            }
            Some(xs.len().cmp(&ys.len()))
        }
        _ => None,
    }
}

/// Stable sort with Python's ordering; errors like Python's `TypeError`
/// when two items are not comparable.
pub(crate) fn py_sort<T>(items: &mut [T], key: impl Fn(&T) -> &Value) -> Result<(), Error> {
    let mut failure: Option<(String, String)> = None;
    items.sort_by(|x, y| {
        let (a, b) = (key(x), key(y));
        py_cmp(a, b).unwrap_or_else(|| {
            if failure.is_none() {
                failure = Some((
                    crate::repr::python_type_name(a).into(),
                    crate::repr::python_type_name(b).into(),
                ));
            }
            Ordering::Equal
        })
    });
    match failure {
        Some((a, b)) => Err(invalid(format!(
            "'<' not supported between instances of '{a}' and '{b}'"
        ))),
        None => Ok(()),
    }
}

/// Case folding used by Jinja's `ignore_case` helper (strings only).
fn fold(v: &Value, case_sensitive: bool) -> Value {
    match v.as_str() {
        Some(s) if !case_sensitive => Value::from(s.to_lowercase()),
        _ => v.clone(),
    }
}

/// `unique(case_sensitive=False, attribute=None)`: first occurrence wins.
pub(crate) fn unique(value: &Value, kwargs: Kwargs) -> Result<Value, Error> {
    let items = to_vec("unique", value)?;
    let case_sensitive_arg = kwargs.get::<Option<bool>>("case_sensitive")?;
    let explicit_insensitive = case_sensitive_arg == Some(false);
    let case_sensitive = case_sensitive_arg.unwrap_or(false);
    let attribute: Option<String> = kwargs.get("attribute")?;
    kwargs.assert_all_used()?;
    let mut seen: Vec<Value> = Vec::new();
    let mut out = Vec::new();
    for item in items {
        let key = match &attribute {
            Some(a) => attr_path(&item, a),
            None => item.clone(),
        };
        let key = fold(&key, case_sensitive);
        // Jinja's unique needs hashable keys; Ansible's fallback cannot
        // honour `attribute`/`case_sensitive=False`, so it fails too.
        if (attribute.is_some() || explicit_insensitive)
            && matches!(key.kind(), ValueKind::Seq | ValueKind::Map)
        {
            return Err(invalid(format!(
                "Jinja2's unique filter failed and we cannot fall back to Ansible's version as it does not support the parameters supplied: unhashable type: '{}'",
                crate::repr::python_type_name(&key)
            )));
        }
        if !py_contains(&seen, &key) {
            seen.push(key);
            out.push(item);
        }
    }
    Ok(Value::from(out))
}

/// Order-preserving de-duplication used by the set filters.
fn dedup(items: Vec<Value>) -> Vec<Value> {
    let mut out: Vec<Value> = Vec::new();
    for item in items {
        if !py_contains(&out, &item) {
            out.push(item);
        }
    }
    out
}

/// `union`: items of `a` then of `b`, without duplicates.
pub(crate) fn union(a: &Value, b: &Value) -> Result<Value, Error> {
    let mut items = to_vec("union", a)?;
    items.extend(to_vec("union", b)?);
    Ok(Value::from(dedup(items)))
}

/// `intersect`: items of `a` that are also in `b`.
pub(crate) fn intersect(a: &Value, b: &Value) -> Result<Value, Error> {
    let other = to_vec("intersect", b)?;
    let items = to_vec("intersect", a)?
        .into_iter()
        .filter(|x| py_contains(&other, x))
        .collect();
    Ok(Value::from(dedup(items)))
}

/// `difference`: items of `a` that are not in `b`.
pub(crate) fn difference(a: &Value, b: &Value) -> Result<Value, Error> {
    let other = to_vec("difference", b)?;
    let items = to_vec("difference", a)?
        .into_iter()
        .filter(|x| !py_contains(&other, x))
        .collect();
    Ok(Value::from(dedup(items)))
}

/// `symmetric_difference`: items in exactly one of `a` and `b`.
pub(crate) fn symmetric_difference(a: &Value, b: &Value) -> Result<Value, Error> {
    let xs = to_vec("symmetric_difference", a)?;
    let ys = to_vec("symmetric_difference", b)?;
    let mut items: Vec<Value> = xs
        .iter()
        .filter(|x| !py_contains(&ys, x))
        .cloned()
        .collect();
    items.extend(ys.iter().filter(|y| !py_contains(&xs, y)).cloned());
    Ok(Value::from(dedup(items)))
}

fn is_null_like(v: &Value) -> bool {
    v.is_none() || matches!(v.as_str(), Some("None" | "null"))
}

fn flatten_into(out: &mut Vec<Value>, items: Vec<Value>, levels: Option<i64>, skip_nulls: bool) {
    for item in items {
        if skip_nulls && is_null_like(&item) {
            continue;
        }
        if is_sequence(&item) && levels.is_none_or(|l| l >= 1) {
            let inner: Vec<Value> = item.try_iter().map(|i| i.collect()).unwrap_or_default();
            flatten_into(out, inner, levels.map(|l| l - 1), skip_nulls);
        } else {
            out.push(item);
        }
    }
}

/// `flatten(levels=None, skip_nulls=True)`.
pub(crate) fn flatten(value: &Value, levels: Option<i64>, kwargs: Kwargs) -> Result<Value, Error> {
    let items = to_vec("flatten", value)?;
    let levels = match levels {
        Some(l) => Some(l),
        None => kwargs.get::<Option<i64>>("levels")?,
    };
    let skip_nulls = kwargs.get::<Option<bool>>("skip_nulls")?.unwrap_or(true);
    kwargs.assert_all_used()?;
    let mut out = Vec::new();
    flatten_into(&mut out, items, levels, skip_nulls);
    Ok(Value::from(out))
}

/// `dict2items(key_name='key', value_name='value')`.
pub(crate) fn dict2items(
    value: &Value,
    key_name: Option<&str>,
    value_name: Option<&str>,
    kwargs: Kwargs,
) -> Result<Value, Error> {
    require_defined("dict2items", value)?;
    let key_name = key_name
        .map(str::to_owned)
        .or(kwargs.get::<Option<String>>("key_name")?)
        .unwrap_or_else(|| "key".into());
    let value_name = value_name
        .map(str::to_owned)
        .or(kwargs.get::<Option<String>>("value_name")?)
        .unwrap_or_else(|| "value".into());
    kwargs.assert_all_used()?;
    if !is_mapping(value) {
        return Err(invalid(format!(
            "dict2items requires a dictionary, got {} instead.",
            crate::repr::python_type_name(value)
        )));
    }
    let items = map_entries("dict2items", value)?
        .into_iter()
        .map(|(k, v)| {
            new_map(vec![
                (Value::from(key_name.as_str()), k),
                (Value::from(value_name.as_str()), v),
            ])
        })
        .collect::<Vec<_>>();
    Ok(Value::from(items))
}

/// `items2dict(key_name='key', value_name='value')`.
pub(crate) fn items2dict(
    value: &Value,
    key_name: Option<&str>,
    value_name: Option<&str>,
    kwargs: Kwargs,
) -> Result<Value, Error> {
    require_defined("items2dict", value)?;
    let key_name = key_name
        .map(str::to_owned)
        .or(kwargs.get::<Option<String>>("key_name")?)
        .unwrap_or_else(|| "key".into());
    let value_name = value_name
        .map(str::to_owned)
        .or(kwargs.get::<Option<String>>("value_name")?)
        .unwrap_or_else(|| "value".into());
    kwargs.assert_all_used()?;
    if !is_sequence(value) {
        return Err(invalid(format!(
            "items2dict requires a list, got {} instead.",
            crate::repr::python_type_name(value)
        )));
    }
    let mut pairs: Vec<(Value, Value)> = Vec::new();
    for item in to_vec("items2dict", value)? {
        if !is_mapping(&item) {
            return Err(invalid("items2dict requires a list of dictionaries"));
        }
        let k = item
            .get_item(&Value::from(key_name.as_str()))
            .unwrap_or(Value::UNDEFINED);
        let v = item
            .get_item(&Value::from(value_name.as_str()))
            .unwrap_or(Value::UNDEFINED);
        if k.is_undefined() || v.is_undefined() {
            return Err(invalid(format!(
                "items2dict requires each dictionary in the list to contain the keys '{key_name}' and '{value_name}'"
            )));
        }
        set_pair(&mut pairs, k, v);
    }
    Ok(new_map(pairs))
}

fn set_pair(pairs: &mut Vec<(Value, Value)>, key: Value, value: Value) {
    if let Some(slot) = pairs.iter_mut().find(|(k, _)| py_eq(k, &key)) {
        slot.1 = value;
    } else {
        pairs.push((key, value));
    }
}

/// How `combine` merges two lists found under the same key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ListMerge {
    Replace,
    Keep,
    Append,
    Prepend,
    AppendRp,
    PrependRp,
}

impl ListMerge {
    fn parse(s: &str) -> Result<Self, Error> {
        Ok(match s {
            "replace" => Self::Replace,
            "keep" => Self::Keep,
            "append" => Self::Append,
            "prepend" => Self::Prepend,
            "append_rp" => Self::AppendRp,
            "prepend_rp" => Self::PrependRp,
            other => {
                return Err(invalid(format!(
                    "merge_hash: 'list_merge' argument can only be equal to 'replace', 'keep', 'append', 'prepend', 'append_rp' or 'prepend_rp', got {other:?}"
                )));
            }
        })
    }
}

/// Ansible's `merge_hash(x, y, recursive, list_merge)`: `y` wins.
fn merge_hash(
    x: &Value,
    y: &Value,
    recursive: bool,
    list_merge: ListMerge,
) -> Result<Value, Error> {
    let mut out = map_entries("combine", x)?;
    for (key, y_value) in map_entries("combine", y)? {
        let Some(slot) = out.iter_mut().find(|(k, _)| py_eq(k, &key)) else {
            out.push((key, y_value));
            continue;
        };
        let x_value = slot.1.clone();
        slot.1 = if is_mapping(&x_value) && is_mapping(&y_value) {
            if recursive {
                merge_hash(&x_value, &y_value, recursive, list_merge)?
            } else {
                y_value
            }
        } else if x_value.kind() == ValueKind::Seq && y_value.kind() == ValueKind::Seq {
            let xs = to_vec("combine", &x_value)?;
            let ys = to_vec("combine", &y_value)?;
            match list_merge {
                ListMerge::Replace => y_value,
                ListMerge::Keep => x_value,
                ListMerge::Append => Value::from(xs.into_iter().chain(ys).collect::<Vec<_>>()),
                ListMerge::Prepend => Value::from(ys.into_iter().chain(xs).collect::<Vec<_>>()),
                ListMerge::AppendRp => {
                    let mut v: Vec<Value> =
                        xs.into_iter().filter(|z| !py_contains(&ys, z)).collect();
                    v.extend(ys);
                    Value::from(v)
                }
                ListMerge::PrependRp => {
                    let kept: Vec<Value> =
                        xs.into_iter().filter(|z| !py_contains(&ys, z)).collect();
                    Value::from(ys.into_iter().chain(kept).collect::<Vec<_>>())
                }
            }
        } else {
            y_value
        };
    }
    Ok(new_map(out))
}

/// `combine(*dicts, recursive=False, list_merge='replace')`.
pub(crate) fn combine(value: &Value, others: Rest<Value>, kwargs: Kwargs) -> Result<Value, Error> {
    require_defined("combine", value)?;
    let recursive = kwargs.get::<Option<bool>>("recursive")?.unwrap_or(false);
    let list_merge = ListMerge::parse(
        kwargs
            .get::<Option<&str>>("list_merge")?
            .unwrap_or("replace"),
    )?;
    if let Some(extra) = kwargs
        .args()
        .find(|a| *a != "recursive" && *a != "list_merge")
    {
        return Err(invalid(format!(
            "'recursive' and 'list_merge' are the only valid keyword arguments, got {extra:?}"
        )));
    }
    let mut dicts = Vec::new();
    for term in std::iter::once(value.clone()).chain(others.0) {
        require_defined("combine", &term)?;
        if is_sequence(&term) {
            dicts.extend(to_vec("combine", &term)?);
        } else {
            dicts.push(term);
        }
    }
    for d in &dicts {
        if !is_mapping(d) {
            return Err(type_error("combine", "dictionaries", d));
        }
    }
    let mut iter = dicts.into_iter();
    let Some(mut result) = iter.next() else {
        return Ok(new_map(Vec::new()));
    };
    for d in iter {
        result = merge_hash(&result, &d, recursive, list_merge)?;
    }
    Ok(result)
}

/// Python returns tuples here, but Ansible 2.19 converts template results
/// to lists, so lists are what users see.
fn tuple(values: Vec<Value>) -> Value {
    Value::from(values)
}

/// `zip(*others)`: Python's `zip`, as a list of tuples.
pub(crate) fn zip(value: &Value, others: Rest<Value>) -> Result<Value, Error> {
    let mut lists = vec![to_vec("zip", value)?];
    for o in &others.0 {
        lists.push(to_vec("zip", o)?);
    }
    let n = lists.iter().map(Vec::len).min().unwrap_or(0);
    Ok(Value::from(
        (0..n)
            .map(|i| tuple(lists.iter().filter_map(|l| l.get(i).cloned()).collect()))
            .collect::<Vec<_>>(),
    ))
}

/// `zip_longest(*others, fillvalue=None)`.
pub(crate) fn zip_longest(
    value: &Value,
    others: Rest<Value>,
    kwargs: Kwargs,
) -> Result<Value, Error> {
    let fill: Option<Value> = kwargs.get("fillvalue")?;
    kwargs.assert_all_used()?;
    let fill = fill.unwrap_or(Value::from(()));
    let mut lists = vec![to_vec("zip_longest", value)?];
    for o in &others.0 {
        lists.push(to_vec("zip_longest", o)?);
    }
    let n = lists.iter().map(Vec::len).max().unwrap_or(0);
    Ok(Value::from(
        (0..n)
            .map(|i| {
                tuple(
                    lists
                        .iter()
                        .map(|l| l.get(i).cloned().unwrap_or_else(|| fill.clone()))
                        .collect(),
                )
            })
            .collect::<Vec<_>>(),
    ))
}

/// Upper bound on `product` results, so a typo cannot exhaust memory.
const PRODUCT_LIMIT: usize = 1_000_000;

/// `product(*others, repeat=1)`: Python's `itertools.product`.
pub(crate) fn product(value: &Value, others: Rest<Value>, kwargs: Kwargs) -> Result<Value, Error> {
    let repeat = kwargs.get::<Option<usize>>("repeat")?.unwrap_or(1);
    kwargs.assert_all_used()?;
    let mut pools = vec![to_vec("product", value)?];
    for o in &others.0 {
        pools.push(to_vec("product", o)?);
    }
    let pools: Vec<Vec<Value>> = (0..repeat).flat_map(|_| pools.iter().cloned()).collect();
    let total = pools
        .iter()
        .try_fold(1usize, |acc, p| acc.checked_mul(p.len()));
    if total.is_none_or(|t| t > PRODUCT_LIMIT) {
        return Err(invalid(format!(
            "product: result would exceed {PRODUCT_LIMIT} items"
        )));
    }
    let mut result: Vec<Vec<Value>> = vec![Vec::new()];
    for pool in &pools {
        let mut next = Vec::with_capacity(result.len() * pool.len());
        for prefix in &result {
            for item in pool {
                let mut row = prefix.clone();
                row.push(item.clone());
                next.push(row);
            }
        }
        result = next;
    }
    Ok(Value::from(
        result.into_iter().map(tuple).collect::<Vec<_>>(),
    ))
}

/// `join(d='', attribute=None)`: items are converted with Python's `str()`.
pub(crate) fn join(value: &Value, sep: Option<&str>, kwargs: Kwargs) -> Result<String, Error> {
    require_defined("join", value)?;
    let attribute: Option<String> = kwargs.get("attribute")?;
    kwargs.assert_all_used()?;
    let items = to_vec("join", value)?;
    let parts: Vec<String> = items
        .iter()
        .map(|i| match &attribute {
            Some(a) => attr_path(i, a),
            None => i.clone(),
        })
        .map(|v| crate::repr::python_str(&v))
        .collect();
    Ok(parts.join(sep.unwrap_or("")))
}

/// The `dict` global: `dict(pairs)`, `dict(mapping)` and/or `dict(k=v, ...)`.
pub(crate) fn dict(value: Option<Value>, kwargs: Kwargs) -> Result<Value, Error> {
    let mut pairs: Vec<(Value, Value)> = Vec::new();
    if let Some(v) = value.filter(|v| !v.is_undefined()) {
        if is_mapping(&v) {
            pairs = map_entries("dict", &v)?;
        } else {
            for item in to_vec("dict", &v)? {
                let kv = to_vec("dict", &item)?;
                match kv.as_slice() {
                    [k, val] => set_pair(&mut pairs, k.clone(), val.clone()),
                    _ => {
                        return Err(invalid(format!(
                            "dictionary update sequence element has length {}; 2 is required",
                            kv.len()
                        )));
                    }
                }
            }
        }
    }
    for key in kwargs.args().map(str::to_owned).collect::<Vec<_>>() {
        let v: Value = kwargs.get(&key)?;
        set_pair(&mut pairs, Value::from(key), v);
    }
    Ok(new_map(pairs))
}

/// `first`: the first item, undefined for an empty sequence.
pub(crate) fn first(value: &Value) -> Result<Value, Error> {
    require_defined("first", value)?;
    Ok(to_vec("first", value)?
        .into_iter()
        .next()
        .unwrap_or(Value::UNDEFINED))
}

/// `last`: the last item, undefined for an empty sequence.
pub(crate) fn last(value: &Value) -> Result<Value, Error> {
    require_defined("last", value)?;
    Ok(to_vec("last", value)?.pop().unwrap_or(Value::UNDEFINED))
}

/// `sort(reverse=False, case_sensitive=False, attribute=None)`: Jinja's
/// sort with Python's ordering (mixed types are an error, not a guess).
pub(crate) fn sort(value: &Value, kwargs: Kwargs) -> Result<Value, Error> {
    let items = to_vec("sort", value)?;
    let reverse = kwargs.get::<Option<bool>>("reverse")?.unwrap_or(false);
    let case_sensitive = kwargs
        .get::<Option<bool>>("case_sensitive")?
        .unwrap_or(false);
    let attribute: Option<String> = kwargs.get("attribute")?;
    kwargs.assert_all_used()?;
    let attrs: Vec<String> = attribute
        .map(|a| {
            a.split(',')
                .map(|p| p.trim().to_owned())
                .filter(|p| !p.is_empty())
                .collect()
        })
        .unwrap_or_default();
    let mut keyed: Vec<(Value, Value)> = items
        .into_iter()
        .map(|item| {
            let key = match attrs.as_slice() {
                [] => fold(&item, case_sensitive),
                [one] => fold(&attr_path(&item, one), case_sensitive),
                many => Value::from(
                    many.iter()
                        .map(|a| fold(&attr_path(&item, a), case_sensitive))
                        .collect::<Vec<_>>(),
                ),
            };
            (key, item)
        })
        .collect();
    if let Some((k, _)) = keyed.iter().find(|(k, _)| k.is_undefined()) {
        let _ = k;
        return Err(invalid("sort: an item lacks the sort attribute"));
    }
    py_sort(&mut keyed, |p| &p.0)?;
    if reverse {
        keyed.reverse();
    }
    Ok(Value::from(
        keyed.into_iter().map(|(_, v)| v).collect::<Vec<_>>(),
    ))
}

/// `subelements(key, skip_missing=False)`: pairs each item with each element
/// of its `key` list (`users | subelements('groups')`).
pub(crate) fn subelements(
    value: &Value,
    key: &str,
    skip_missing: Option<bool>,
    kwargs: Kwargs,
) -> Result<Value, Error> {
    require_defined("subelements", value)?;
    let skip_missing = match skip_missing {
        Some(s) => s,
        None => kwargs.get::<Option<bool>>("skip_missing")?.unwrap_or(false),
    };
    kwargs.assert_all_used()?;
    let items = if is_mapping(value) {
        map_entries("subelements", value)?
            .into_iter()
            .map(|(_, v)| v)
            .collect()
    } else if is_sequence(value) {
        to_vec("subelements", value)?
    } else {
        return Err(invalid("obj must be a list of dicts or a nested dict"));
    };
    let mut out = Vec::new();
    for item in items {
        let mut sub = item.clone();
        let mut missing = false;
        for part in key.split('.') {
            if !is_mapping(&sub) {
                return Err(invalid(format!(
                    "the key {part} should point to a dictionary, got {}",
                    crate::repr::python_repr(&sub)
                )));
            }
            match sub.get_item(&Value::from(part)) {
                Ok(v) if !v.is_undefined() => sub = v,
                _ => {
                    missing = true;
                    break;
                }
            }
        }
        if missing {
            if skip_missing {
                continue;
            }
            return Err(invalid(format!(
                "could not find '{key}' key in iterated item {}",
                crate::repr::python_repr(&item)
            )));
        }
        if sub.kind() != ValueKind::Seq {
            return Err(invalid(format!(
                "the key {key} should point to a list, got {}",
                crate::repr::python_repr(&sub)
            )));
        }
        for element in to_vec("subelements", &sub)? {
            out.push(Value::from(vec![item.clone(), element]));
        }
    }
    Ok(Value::from(out))
}
