//! Sprig list functions (`list`, `append`, `has`, `uniq`, ...). Lists are
//! immutable: like Sprig, every function returns a new list.

use super::args::to_i64;
use crate::gotmpl::FuncMap;
use crate::value::Value;

type R = Result<Value, String>;

fn want_list<'a>(v: &'a Value, fname: &str) -> Result<&'a [Value], String> {
    match v {
        Value::List(l) => Ok(l.as_slice()),
        Value::Nil => Err(format!("Cannot {fname} on type <nil>")),
        other => Err(format!("Cannot {fname} on type {}", other.type_name())),
    }
}

/// Registers the list family.
pub fn register(m: &mut FuncMap) {
    m.add_variadic("list", 0, |a| Ok(Value::list(a.to_vec())));
    m.add("append", 2, push);
    m.add("push", 2, push);
    m.add("mustAppend", 2, push);
    m.add("mustPush", 2, push);
    m.add("prepend", 2, |a| {
        let l = want_list(&a[0], "prepend")?;
        let mut v = vec![a[1].clone()];
        v.extend_from_slice(l);
        Ok(Value::list(v))
    });
    m.add("mustPrepend", 2, |a| {
        let l = want_list(&a[0], "prepend")?;
        let mut v = vec![a[1].clone()];
        v.extend_from_slice(l);
        Ok(Value::list(v))
    });
    m.add_variadic("concat", 0, |a| {
        let mut v = Vec::new();
        for l in a {
            match l {
                Value::List(l) => v.extend_from_slice(l),
                Value::Nil => return Err("Cannot concat type <nil> as list".into()),
                other => return Err(format!("Cannot concat type {} as list", other.type_name())),
            }
        }
        Ok(Value::list(v))
    });
    m.add("first", 1, |a| {
        Ok(want_list(&a[0], "find first")?
            .first()
            .cloned()
            .unwrap_or(Value::Nil))
    });
    m.add("mustFirst", 1, |a| {
        Ok(want_list(&a[0], "find first")?
            .first()
            .cloned()
            .unwrap_or(Value::Nil))
    });
    m.add("last", 1, |a| {
        Ok(want_list(&a[0], "find last")?
            .last()
            .cloned()
            .unwrap_or(Value::Nil))
    });
    m.add("mustLast", 1, |a| {
        Ok(want_list(&a[0], "find last")?
            .last()
            .cloned()
            .unwrap_or(Value::Nil))
    });
    m.add("rest", 1, |a| {
        let l = want_list(&a[0], "find rest")?;
        Ok(if l.is_empty() {
            Value::Nil
        } else {
            Value::list(l[1..].to_vec())
        })
    });
    m.add("initial", 1, |a| {
        let l = want_list(&a[0], "find initial")?;
        Ok(if l.is_empty() {
            Value::Nil
        } else {
            Value::list(l[..l.len() - 1].to_vec())
        })
    });
    m.add("reverse", 1, |a| {
        let mut v = want_list(&a[0], "find reverse")?.to_vec();
        v.reverse();
        Ok(Value::list(v))
    });
    m.add("uniq", 1, uniq);
    m.add("mustUniq", 1, uniq);
    m.add_variadic("without", 1, |a| {
        let l = want_list(&a[0], "find without")?;
        Ok(Value::list(
            l.iter().filter(|e| !a[1..].contains(e)).cloned().collect(),
        ))
    });
    m.add("has", 2, |a| match &a[1] {
        Value::List(l) => Ok(Value::Bool(l.contains(&a[0]))),
        Value::Nil => Ok(Value::Bool(false)),
        other => Err(format!("Cannot find has on type {}", other.type_name())),
    });
    m.add("mustHas", 2, |a| match &a[1] {
        Value::List(l) => Ok(Value::Bool(l.contains(&a[0]))),
        _ => Ok(Value::Bool(false)),
    });
    m.add("compact", 1, compact);
    m.add("mustCompact", 1, compact);
    m.add_variadic("slice", 1, |a| {
        let l = match &a[0] {
            Value::List(l) => l.as_slice(),
            other => {
                return Err(format!(
                    "list should be type of slice or array but {}",
                    other.kind_name()
                ));
            }
        };
        if l.is_empty() {
            return Ok(Value::Nil);
        }
        let start = a.get(1).map(to_i64).unwrap_or(0);
        let end = a.get(2).map(to_i64).unwrap_or(l.len() as i64);
        if start < 0 || end < start || end as usize > l.len() {
            return Err(format!("reflect: slice index out of range [{start}:{end}]"));
        }
        Ok(Value::list(l[start as usize..end as usize].to_vec()))
    });
    m.add("chunk", 2, |a| {
        let size = super::args::want_int(&a[0])?;
        let l = want_list(&a[1], "chunk")?;
        if size <= 0 {
            return Err("runtime error: integer divide by zero".into());
        }
        Ok(Value::list(
            l.chunks(size as usize)
                .map(|c| Value::list(c.to_vec()))
                .collect(),
        ))
    });
    m.add("until", 1, |a| {
        Ok(until_step(
            0,
            to_i64(&a[0]),
            if to_i64(&a[0]) < 0 { -1 } else { 1 },
        ))
    });
    m.add("untilStep", 3, |a| {
        Ok(until_step(to_i64(&a[0]), to_i64(&a[1]), to_i64(&a[2])))
    });
    m.add_variadic("seq", 0, |a| {
        let n: Vec<i64> = a.iter().map(to_i64).collect();
        let (start, step, end) = match n.as_slice() {
            [] => return Ok(Value::from("")),
            [e] => (1, if *e >= 1 { 1 } else { -1 }, *e),
            [s, e] => (*s, if e >= s { 1 } else { -1 }, *e),
            [s, st, e, ..] => (*s, *st, *e),
        };
        if step == 0 || (step > 0 && start > end) || (step < 0 && start < end) {
            return Ok(Value::from(""));
        }
        let mut out = Vec::new();
        let mut i = start;
        while (step > 0 && i <= end) || (step < 0 && i >= end) {
            out.push(i.to_string());
            i += step;
        }
        Ok(Value::from(out.join(" ")))
    });
}

fn push(a: &[Value]) -> R {
    let l = want_list(&a[0], "push")?;
    let mut v = l.to_vec();
    v.push(a[1].clone());
    Ok(Value::list(v))
}

fn uniq(a: &[Value]) -> R {
    let l = want_list(&a[0], "find uniq")?;
    let mut out: Vec<Value> = Vec::new();
    for e in l {
        if !out.contains(e) {
            out.push(e.clone());
        }
    }
    Ok(Value::list(out))
}

fn compact(a: &[Value]) -> R {
    let l = want_list(&a[0], "compact")?;
    Ok(Value::list(
        l.iter().filter(|e| e.is_true()).cloned().collect(),
    ))
}

fn until_step(start: i64, stop: i64, step: i64) -> Value {
    let mut v = Vec::new();
    if step == 0 {
        return Value::list(v);
    }
    let mut i = start;
    while (step > 0 && i < stop) || (step < 0 && i > stop) {
        v.push(Value::Int(i));
        i += step;
        if v.len() > 10_000_000 {
            break;
        }
    }
    Value::list(v)
}
