//! Sprig reflection helpers: `typeOf`, `kindOf`, `typeIs`, `kindIs`,
//! `deepEqual`.

use super::args::want_str;
use crate::gotmpl::FuncMap;
use crate::value::Value;

/// Registers type inspection functions.
pub fn register(m: &mut FuncMap) {
    m.add("typeOf", 1, |a| Ok(Value::from(a[0].type_name())));
    m.add("kindOf", 1, |a| Ok(Value::from(a[0].kind_name())));
    m.add("typeIs", 2, |a| {
        Ok(Value::Bool(want_str(&a[0])? == a[1].type_name()))
    });
    m.add("typeIsLike", 2, |a| {
        let t = want_str(&a[0])?;
        let n = a[1].type_name();
        Ok(Value::Bool(t == n || t == format!("*{n}")))
    });
    m.add("kindIs", 2, |a| {
        Ok(Value::Bool(want_str(&a[0])? == a[1].kind_name()))
    });
    m.add("deepEqual", 2, |a| Ok(Value::Bool(a[0] == a[1])));
}
