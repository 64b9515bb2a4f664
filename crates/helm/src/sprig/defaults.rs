//! Sprig defaults and flow helpers (`default`, `empty`, `coalesce`,
//! `ternary`, `all`, `any`) plus Helm's `required` and `fail`.

use super::args::want_bool;
use crate::gotmpl::FuncMap;
use crate::value::Value;

/// Marker wrapped around `required`/`fail` messages (Helm's
/// `HELM_ERR_START`/`HELM_ERR_END`) so the renderer can report them as
/// `execution error at (file:line:col): MSG`.
pub const WARN_START: &str = "HELM_ERR_START";
/// End marker, see [`WARN_START`].
pub const WARN_END: &str = "HELM_ERR_END";

/// Registers the defaults family.
pub fn register(m: &mut FuncMap) {
    m.add_variadic("default", 1, |a| {
        let given = a.get(1);
        Ok(match given {
            Some(g) if !g.is_empty() => g.clone(),
            _ => a[0].clone(),
        })
    });
    m.add("empty", 1, |a| Ok(Value::Bool(a[0].is_empty())));
    m.add_variadic("coalesce", 0, |a| {
        Ok(a.iter()
            .find(|v| !v.is_empty())
            .cloned()
            .unwrap_or(Value::Nil))
    });
    m.add_variadic("all", 0, |a| {
        Ok(Value::Bool(a.iter().all(|v| !v.is_empty())))
    });
    m.add_variadic("any", 0, |a| {
        Ok(Value::Bool(a.iter().any(|v| !v.is_empty())))
    });
    m.add("ternary", 3, |a| {
        Ok(if want_bool(&a[2])? {
            a[0].clone()
        } else {
            a[1].clone()
        })
    });
    m.add("required", 2, |a| {
        let msg = super::args::want_str(&a[0])?;
        match &a[1] {
            Value::Nil => Err(format!("{WARN_START}{msg}{WARN_END}")),
            Value::Str(s) if s.is_empty() => Err(format!("{WARN_START}{msg}{WARN_END}")),
            v => Ok(v.clone()),
        }
    });
    m.add("fail", 1, |a| {
        let msg = super::args::want_str(&a[0])?;
        Err(format!("{WARN_START}{msg}{WARN_END}"))
    });
    m.add_range("lookup", 4, 4, |_| Ok(Value::empty_map()));
    m.add("getHostByName", 1, |_| Ok(Value::from("")));
}
