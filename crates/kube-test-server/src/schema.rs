//! Structural `openAPIV3Schema` validation, defaulting and pruning for custom resources.
//!
//! Follows kube-apiserver's order: unknown fields are detected and pruned (unless
//! `x-kubernetes-preserve-unknown-fields`), `null`s in non-nullable fields are dropped, `default`s
//! are filled in, then `type`/`required`/`enum`/bounds are checked. Messages and cause reasons are
//! the real server's. `pattern` uses Rust regex syntax (close to RE2). Not implemented: `format`, `anyOf`/`oneOf`/`allOf`/`not`,
//! and `x-kubernetes-validations` (CEL).

use serde_json::{Map, Value};

use crate::status::Cause;

/// What validating one object found.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Findings {
    /// Paths of unknown (pruned) fields, e.g. `spec.postgresVersio`.
    pub unknown: Vec<String>,
    /// Validation failures.
    pub errors: Vec<Cause>,
}

/// Validates and prunes a whole custom resource against its version's schema.
pub fn validate_object(obj: &mut Value, schema: &Value) -> Findings {
    let mut out = Findings::default();
    let Some(map) = obj.as_object_mut() else {
        out.errors.push(cause(
            "FieldValueTypeInvalid",
            "",
            "must be an object".into(),
        ));
        return out;
    };
    let props = schema.get("properties").and_then(Value::as_object);
    let keys: Vec<String> = map.keys().cloned().collect();
    for k in keys {
        if k == "apiVersion" || k == "kind" || k == "metadata" {
            continue;
        }
        match props.and_then(|p| p.get(&k)) {
            Some(sub) => {
                if map.get(&k).is_some_and(Value::is_null) && !nullable(sub) {
                    map.remove(&k);
                } else if let Some(v) = map.get_mut(&k) {
                    walk(v, sub, &k, &mut out);
                }
            }
            None if preserves(schema) => {}
            None => {
                map.remove(&k);
                out.unknown.push(k);
            }
        }
    }
    apply_defaults(map, schema);
    check_required(map, schema, "", &mut out);
    out
}

fn nullable(schema: &Value) -> bool {
    schema.get("nullable").and_then(Value::as_bool) == Some(true)
}

fn preserves(schema: &Value) -> bool {
    schema
        .get("x-kubernetes-preserve-unknown-fields")
        .and_then(Value::as_bool)
        == Some(true)
}

fn cause(reason: &str, field: &str, message: String) -> Cause {
    Cause {
        reason: reason.to_string(),
        message,
        field: field.to_string(),
    }
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_f64() => "number",
        Value::Number(_) => "integer",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn type_ok(want: &str, v: &Value) -> bool {
    match want {
        "object" => v.is_object(),
        "array" => v.is_array(),
        "string" => v.is_string(),
        "integer" => v.is_i64() || v.is_u64(),
        "number" => v.is_number(),
        "boolean" => v.is_boolean(),
        _ => true,
    }
}

fn render(v: &Value) -> String {
    match v {
        Value::String(s) => format!("{s:?}"),
        other => other.to_string(),
    }
}

fn walk(value: &mut Value, schema: &Value, path: &str, out: &mut Findings) {
    if value.is_null() {
        if !nullable(schema) {
            out.errors.push(cause(
                "FieldValueTypeInvalid",
                path,
                format!(
                    "Invalid value: \"null\": {path} in body must be of type {}: \"null\"",
                    schema
                        .get("type")
                        .and_then(Value::as_str)
                        .unwrap_or("object")
                ),
            ));
        }
        return;
    }
    if schema
        .get("x-kubernetes-int-or-string")
        .and_then(Value::as_bool)
        == Some(true)
    {
        if !(value.is_string() || value.is_i64() || value.is_u64()) {
            let t = type_name(value);
            out.errors.push(cause(
                "FieldValueTypeInvalid",
                path,
                format!(
                    "Invalid value: \"{t}\": {path} in body must be of type integer,string: \"{t}\""
                ),
            ));
        }
        return;
    }
    if let Some(want) = schema.get("type").and_then(Value::as_str)
        && !type_ok(want, value)
    {
        let t = type_name(value);
        out.errors.push(cause(
            "FieldValueTypeInvalid",
            path,
            format!("Invalid value: \"{t}\": {path} in body must be of type {want}: \"{t}\""),
        ));
        return;
    }
    if let Some(allowed) = schema.get("enum").and_then(Value::as_array)
        && !allowed.contains(value)
    {
        let list: Vec<String> = allowed.iter().map(render).collect();
        out.errors.push(cause(
            "FieldValueNotSupported",
            path,
            format!(
                "Unsupported value: {}: supported values: {}",
                render(value),
                list.join(", ")
            ),
        ));
    }
    check_bounds(value, schema, path, out);
    match value {
        Value::Object(map) => walk_object(map, schema, path, out),
        Value::Array(items) => {
            if let Some(item_schema) = schema.get("items") {
                for (i, item) in items.iter_mut().enumerate() {
                    walk(item, item_schema, &format!("{path}[{i}]"), out);
                }
            }
        }
        _ => {}
    }
}

fn walk_object(map: &mut Map<String, Value>, schema: &Value, path: &str, out: &mut Findings) {
    let props = schema.get("properties").and_then(Value::as_object);
    let additional = schema.get("additionalProperties");
    let embedded = schema
        .get("x-kubernetes-embedded-resource")
        .and_then(Value::as_bool)
        == Some(true);
    let keys: Vec<String> = map.keys().cloned().collect();
    for k in keys {
        let child = join(path, &k);
        let sub = props
            .and_then(|p| p.get(&k))
            .or_else(|| additional.filter(|a| a.is_object()));
        match sub {
            Some(sub) => {
                if map.get(&k).is_some_and(Value::is_null) && !nullable(sub) {
                    map.remove(&k);
                } else if let Some(v) = map.get_mut(&k) {
                    walk(v, sub, &child, out);
                }
            }
            None => {
                let keep = preserves(schema)
                    || additional.and_then(Value::as_bool) == Some(true)
                    || (embedded && matches!(k.as_str(), "apiVersion" | "kind" | "metadata"));
                if !keep {
                    map.remove(&k);
                    out.unknown.push(child);
                }
            }
        }
    }
    apply_defaults(map, schema);
    check_required(map, schema, path, out);
}

fn apply_defaults(map: &mut Map<String, Value>, schema: &Value) {
    if let Some(props) = schema.get("properties").and_then(Value::as_object) {
        for (k, sub) in props {
            if let Some(default) = sub.get("default")
                && !map.contains_key(k)
            {
                map.insert(k.clone(), default.clone());
            }
        }
    }
}

fn check_required(map: &Map<String, Value>, schema: &Value, path: &str, out: &mut Findings) {
    if let Some(required) = schema.get("required").and_then(Value::as_array) {
        for r in required.iter().filter_map(Value::as_str) {
            if !map.contains_key(r) {
                out.errors.push(cause(
                    "FieldValueRequired",
                    &join(path, r),
                    "Required value".into(),
                ));
            }
        }
    }
}

fn check_bounds(value: &Value, schema: &Value, path: &str, out: &mut Findings) {
    let num = |k: &str| schema.get(k).and_then(Value::as_f64);
    let int = |k: &str| schema.get(k).and_then(Value::as_u64);
    if let Some(x) = value.as_f64() {
        if let Some(min) = num("minimum")
            && x < min
        {
            out.errors.push(cause(
                "FieldValueInvalid",
                path,
                format!("Invalid value: {value}: {path} in body should be greater than or equal to {min}"),
            ));
        }
        if let Some(max) = num("maximum")
            && x > max
        {
            out.errors.push(cause(
                "FieldValueInvalid",
                path,
                format!(
                    "Invalid value: {value}: {path} in body should be less than or equal to {max}"
                ),
            ));
        }
    }
    if let Some(s) = value.as_str() {
        if let Some(pattern) = schema.get("pattern").and_then(Value::as_str)
            && regex_lite::Regex::new(pattern).is_ok_and(|re| !re.is_match(s))
        {
            out.errors.push(cause(
                "FieldValueInvalid",
                path,
                format!("Invalid value: {s:?}: {path} in body should match '{pattern}'"),
            ));
        }
        let len = s.chars().count() as u64;
        if let Some(max) = int("maxLength")
            && len > max
        {
            out.errors.push(cause(
                "FieldValueTooLong",
                path,
                format!("Too long: may not be more than {max} bytes"),
            ));
        }
        if let Some(min) = int("minLength")
            && len < min
        {
            out.errors.push(cause(
                "FieldValueInvalid",
                path,
                format!("Invalid value: {s:?}: {path} in body should be at least {min} chars long"),
            ));
        }
    }
    if let Some(items) = value.as_array() {
        let n = items.len() as u64;
        if let Some(max) = int("maxItems")
            && n > max
        {
            out.errors.push(cause(
                "FieldValueTooMany",
                path,
                format!("Too many: {n}: must have at most {max} items"),
            ));
        }
        if let Some(min) = int("minItems")
            && n < min
        {
            out.errors.push(cause(
                "FieldValueInvalid",
                path,
                format!("Invalid value: {n}: {path} in body should have at least {min} items"),
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn prunes_defaults_and_reports() {
        let schema = json!({"type": "object", "properties": {
            "spec": {"type": "object", "required": ["size"], "properties": {
                "size": {"type": "integer", "minimum": 1},
                "mode": {"type": "string", "enum": ["a", "b"], "default": "a"},
                "port": {"x-kubernetes-int-or-string": true},
                "extra": {"type": "object", "x-kubernetes-preserve-unknown-fields": true},
                "list": {"type": "array", "items": {"type": "object", "properties": {"n": {"type": "string"}}}}
            }}
        }});
        let mut obj = json!({"apiVersion": "x/v1", "kind": "X", "metadata": {"name": "a"},
            "spec": {"size": "big", "port": "http", "extra": {"any": 1}, "list": [{"n": "x", "typo": 1}], "siez": 2},
            "junk": true});
        let f = validate_object(&mut obj, &schema);
        assert_eq!(f.unknown, vec!["spec.list[0].typo", "spec.siez", "junk"]);
        assert_eq!(obj.pointer("/spec/mode"), Some(&json!("a")));
        assert_eq!(obj.pointer("/spec/extra/any"), Some(&json!(1)));
        assert_eq!(f.errors.len(), 1);
        assert_eq!(
            f.errors.first().map(|c| c.field.as_str()),
            Some("spec.size")
        );
        assert_eq!(
            f.errors.first().map(|c| c.message.as_str()),
            Some(
                "Invalid value: \"string\": spec.size in body must be of type integer: \"string\""
            )
        );
        let mut missing = json!({"spec": {"mode": "c"}});
        let f = validate_object(&mut missing, &schema);
        let reasons: Vec<&str> = f.errors.iter().map(|c| c.reason.as_str()).collect();
        assert_eq!(
            reasons,
            vec!["FieldValueNotSupported", "FieldValueRequired"]
        );
    }
}
