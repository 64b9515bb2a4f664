//! Sprig regular-expression functions. Go's RE2 syntax maps onto the
//! `regex` crate; `$1`/`${name}` expansion follows Go's `Expand` rules.

use regex::Regex;

use super::args::{want_int, want_str};
use crate::gotmpl::FuncMap;
use crate::value::Value;

fn compile(re: &str) -> Result<Regex, String> {
    Regex::new(re).map_err(|e| format!("error parsing regexp: {e}"))
}

/// Registers regex functions.
pub fn register(m: &mut FuncMap) {
    m.add("regexMatch", 2, |a| {
        Ok(Value::Bool(
            compile(want_str(&a[0])?)?.is_match(want_str(&a[1])?),
        ))
    });
    m.add("mustRegexMatch", 2, |a| {
        Ok(Value::Bool(
            compile(want_str(&a[0])?)?.is_match(want_str(&a[1])?),
        ))
    });
    m.add("regexFind", 2, |a| {
        let re = compile(want_str(&a[0])?)?;
        Ok(Value::from(
            re.find(want_str(&a[1])?).map(|m| m.as_str()).unwrap_or(""),
        ))
    });
    m.add("regexFindAll", 3, |a| {
        let re = compile(want_str(&a[0])?)?;
        let n = want_int(&a[2])?;
        let it = re
            .find_iter(want_str(&a[1])?)
            .map(|m| Value::from(m.as_str()));
        Ok(Value::list(if n < 0 {
            it.collect()
        } else {
            it.take(n as usize).collect()
        }))
    });
    m.add("regexReplaceAll", 3, |a| {
        let re = compile(want_str(&a[0])?)?;
        Ok(Value::from(
            re.replace_all(want_str(&a[1])?, want_str(&a[2])?)
                .into_owned(),
        ))
    });
    m.add("regexReplaceAllLiteral", 3, |a| {
        let re = compile(want_str(&a[0])?)?;
        Ok(Value::from(
            re.replace_all(want_str(&a[1])?, regex::NoExpand(want_str(&a[2])?))
                .into_owned(),
        ))
    });
    m.add("regexSplit", 3, |a| {
        let re = compile(want_str(&a[0])?)?;
        let n = want_int(&a[2])?;
        let s = want_str(&a[1])?;
        let parts: Vec<Value> = if n < 0 {
            re.split(s).map(Value::from).collect()
        } else {
            re.splitn(s, n as usize).map(Value::from).collect()
        };
        Ok(Value::list(parts))
    });
    m.add("regexQuoteMeta", 1, |a| {
        Ok(Value::from(regex::escape(want_str(&a[0])?)))
    });
}
