//! A practical subset of JSON Schema (draft 7 / 2020-12 keywords charts
//! use) for `values.schema.json`: `type`, `properties`, `required`,
//! `additionalProperties`, `items`, `enum`, `const`, numeric and length
//! bounds, `pattern`, `allOf`/`anyOf`/`oneOf`/`not`, and local `$ref`.
//! Each error names the value path (`/image/tag`) and what was expected.

use serde_json::Value as J;

/// One validation failure.
#[derive(Debug, Clone, PartialEq)]
pub struct SchemaViolation {
    /// JSON pointer into the values (`/a/b/0`), `/` for the root.
    pub path: String,
    /// What was expected.
    pub message: String,
}

impl std::fmt::Display for SchemaViolation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "at '{}': {}", self.path, self.message)
    }
}

/// Validates `values` against `schema`.
pub fn validate(schema: &J, values: &J) -> Vec<SchemaViolation> {
    let mut out = Vec::new();
    check(schema, schema, values, "", &mut out);
    out
}

fn type_name(v: &J) -> &'static str {
    match v {
        J::Null => "null",
        J::Bool(_) => "boolean",
        J::Number(n) => {
            if n.as_f64().is_some_and(|f| f.fract() == 0.0) {
                "integer"
            } else {
                "number"
            }
        }
        J::String(_) => "string",
        J::Array(_) => "array",
        J::Object(_) => "object",
    }
}

fn type_ok(want: &str, v: &J) -> bool {
    let t = type_name(v);
    want == t || (want == "number" && t == "integer")
}

fn resolve<'a>(root: &'a J, s: &'a J) -> &'a J {
    if let Some(r) = s.get("$ref").and_then(J::as_str)
        && let Some(ptr) = r.strip_prefix('#')
    {
        return root.pointer(ptr).unwrap_or(s);
    }
    s
}

fn check(root: &J, schema: &J, v: &J, path: &str, out: &mut Vec<SchemaViolation>) {
    let schema = resolve(root, schema);
    let p = if path.is_empty() {
        "/".to_string()
    } else {
        path.to_string()
    };
    let mut err = |m: String| {
        out.push(SchemaViolation {
            path: p.clone(),
            message: m,
        })
    };
    if schema == &J::Bool(false) {
        err("not allowed".into());
        return;
    }
    let Some(obj) = schema.as_object() else {
        return;
    };
    if let Some(t) = obj.get("type") {
        let wants: Vec<&str> = match t {
            J::String(s) => vec![s.as_str()],
            J::Array(a) => a.iter().filter_map(J::as_str).collect(),
            _ => Vec::new(),
        };
        if !wants.is_empty() && !wants.iter().any(|w| type_ok(w, v)) {
            err(format!("got {}, want {}", type_name(v), wants.join(" or ")));
            return;
        }
    }
    if let Some(J::Array(e)) = obj.get("enum")
        && !e.contains(v)
    {
        let vals: Vec<String> = e.iter().map(|x| x.to_string()).collect();
        err(format!("value must be one of {}", vals.join(", ")));
    }
    if let Some(c) = obj.get("const")
        && c != v
    {
        err(format!("value must be {c}"));
    }
    if let Some(f) = v.as_f64() {
        if let Some(m) = obj.get("minimum").and_then(J::as_f64)
            && f < m
        {
            err(format!("minimum: got {f}, want {m}"));
        }
        if let Some(m) = obj.get("maximum").and_then(J::as_f64)
            && f > m
        {
            err(format!("maximum: got {f}, want {m}"));
        }
        if let Some(m) = obj.get("exclusiveMinimum").and_then(J::as_f64)
            && f <= m
        {
            err(format!("exclusiveMinimum: got {f}, want {m}"));
        }
        if let Some(m) = obj.get("exclusiveMaximum").and_then(J::as_f64)
            && f >= m
        {
            err(format!("exclusiveMaximum: got {f}, want {m}"));
        }
    }
    if let Some(s) = v.as_str() {
        let n = s.chars().count() as u64;
        if let Some(m) = obj.get("minLength").and_then(J::as_u64)
            && n < m
        {
            err(format!("minLength: got {n}, want {m}"));
        }
        if let Some(m) = obj.get("maxLength").and_then(J::as_u64)
            && n > m
        {
            err(format!("maxLength: got {n}, want {m}"));
        }
        if let Some(pat) = obj.get("pattern").and_then(J::as_str)
            && let Ok(re) = regex::Regex::new(pat)
            && !re.is_match(s)
        {
            err(format!("{s:?} does not match pattern {pat:?}"));
        }
    }
    if let Some(m) = v.as_object() {
        if let Some(J::Array(req)) = obj.get("required") {
            let missing: Vec<String> = req
                .iter()
                .filter_map(J::as_str)
                .filter(|k| !m.contains_key(*k))
                .map(|k| format!("'{k}'"))
                .collect();
            if !missing.is_empty() {
                err(format!("missing property {}", missing.join(", ")));
            }
        }
        let props = obj.get("properties").and_then(J::as_object);
        for (k, val) in m {
            let child = format!("{path}/{k}");
            if let Some(ps) = props.and_then(|p| p.get(k)) {
                check(root, ps, val, &child, out);
            } else if let Some(ap) = obj.get("additionalProperties") {
                if ap == &J::Bool(false) {
                    out.push(SchemaViolation {
                        path: if path.is_empty() {
                            "/".into()
                        } else {
                            path.into()
                        },
                        message: format!("additional properties '{k}' not allowed"),
                    });
                } else if ap.is_object() {
                    check(root, ap, val, &child, out);
                }
            }
        }
    }
    if let Some(a) = v.as_array() {
        if let Some(items) = obj.get("items")
            && items.is_object()
        {
            for (i, e) in a.iter().enumerate() {
                check(root, items, e, &format!("{path}/{i}"), out);
            }
        }
        if let Some(m) = obj.get("minItems").and_then(J::as_u64)
            && (a.len() as u64) < m
        {
            out.push(SchemaViolation {
                path: p.clone(),
                message: format!("minItems: got {}, want {m}", a.len()),
            });
        }
        if let Some(m) = obj.get("maxItems").and_then(J::as_u64)
            && (a.len() as u64) > m
        {
            out.push(SchemaViolation {
                path: p.clone(),
                message: format!("maxItems: got {}, want {m}", a.len()),
            });
        }
    }
    if let Some(J::Array(all)) = obj.get("allOf") {
        for s in all {
            check(root, s, v, path, out);
        }
    }
    let count_ok = |list: &Vec<J>| list.iter().filter(|s| validate_sub(root, s, v)).count();
    if let Some(J::Array(any)) = obj.get("anyOf")
        && count_ok(any) == 0
    {
        out.push(SchemaViolation {
            path: p.clone(),
            message: "anyOf failed".into(),
        });
    }
    if let Some(J::Array(one)) = obj.get("oneOf")
        && count_ok(one) != 1
    {
        out.push(SchemaViolation {
            path: p.clone(),
            message: "oneOf failed".into(),
        });
    }
    if let Some(n) = obj.get("not")
        && validate_sub(root, n, v)
    {
        out.push(SchemaViolation {
            path: p,
            message: "not failed".into(),
        });
    }
}

fn validate_sub(root: &J, s: &J, v: &J) -> bool {
    let mut o = Vec::new();
    check(root, s, v, "", &mut o);
    o.is_empty()
}
