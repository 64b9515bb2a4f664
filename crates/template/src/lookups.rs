//! The lookups that need more than `stackbook_filters` gives: `template` needs the whole
//! templating context, and the secret lookups (`url`, `aws_secret`, `scaleway_secret`, crate
//! `stackbook-lookups`) must record their results as secrets. Everything else is delegated.
//!
//! ```jinja
//! {{ lookup('template', 'pg_hba.conf.j2') }}
//! ```

use std::path::PathBuf;

use minijinja::value::{Kwargs, Rest, Value};
use minijinja::{Error, ErrorKind, State};

/// `lookup(name, ...)`: `template` and the secret lookups here, everything else in
/// `stackbook_filters`.
pub fn lookup(
    state: &State,
    name: &str,
    terms: Rest<Value>,
    kwargs: Kwargs,
) -> Result<Value, Error> {
    if let Some(values) = secret_lookup(name, &terms, &kwargs)? {
        // lookup() unwraps one value and joins several with commas, as Ansible does.
        return Ok(match values.as_slice() {
            [one] => Value::from(one.clone()),
            many => Value::from(many.join(",")),
        });
    }
    match name {
        "template" | "ansible.builtin.template" => {
            let rendered = render_all(state, &terms)?;
            // lookup() joins results with commas, like Ansible's wantlist=False.
            Ok(Value::from(rendered.join(",")))
        }
        _ => stackbook_filters::lookup(state, name, terms, kwargs),
    }
}

/// `query(name, ...)` / `q(...)`: always a list.
pub fn query(
    state: &State,
    name: &str,
    terms: Rest<Value>,
    kwargs: Kwargs,
) -> Result<Value, Error> {
    if let Some(values) = secret_lookup(name, &terms, &kwargs)? {
        return Ok(Value::from(values));
    }
    match name {
        "template" | "ansible.builtin.template" => Ok(Value::from(render_all(state, &terms)?)),
        _ => stackbook_filters::query(state, name, terms, kwargs),
    }
}

/// Runs `url`, `aws_secret` or `scaleway_secret` (crate `stackbook-lookups`); `None` for
/// other names. Every value is recorded as secret before templating sees it.
fn secret_lookup(
    name: &str,
    terms: &[Value],
    kwargs: &Kwargs,
) -> Result<Option<Vec<String>>, Error> {
    if !stackbook_lookups::LOOKUP_NAMES.contains(&name) {
        return Ok(None);
    }
    let mut options = std::collections::BTreeMap::new();
    for key in kwargs.args() {
        let value: Value = kwargs.get(key)?;
        options.insert(key.to_string(), value_to_json(&value));
    }
    let errors = options
        .get("errors")
        .and_then(|v| v.as_str())
        .unwrap_or("strict")
        .to_string();
    let terms: Vec<String> = terms
        .iter()
        .map(|t| {
            t.as_str()
                .map(str::to_string)
                .unwrap_or_else(|| t.to_string())
        })
        .collect();
    let Some(result) = stackbook_lookups::run(name, &terms, &options) else {
        return Ok(None);
    };
    kwargs.assert_all_used().ok();
    match result {
        Ok(values) => {
            for value in &values {
                crate::secrets::mark_secret(value);
            }
            Ok(Some(values))
        }
        Err(_) if errors == "ignore" || errors == "warn" => Ok(Some(Vec::new())),
        Err(error) => Err(Error::new(ErrorKind::InvalidOperation, error.to_string())),
    }
}

fn value_to_json(value: &Value) -> serde_json::Value {
    use minijinja::value::ValueKind;
    match value.kind() {
        ValueKind::None | ValueKind::Undefined => serde_json::Value::Null,
        ValueKind::Bool => serde_json::Value::Bool(value.is_true()),
        ValueKind::Number => match value.as_i64() {
            Some(i) if value.is_integer() => serde_json::Value::from(i),
            _ => f64::try_from(value.clone())
                .ok()
                .and_then(serde_json::Number::from_f64)
                .map_or(serde_json::Value::Null, serde_json::Value::Number),
        },
        ValueKind::String => {
            serde_json::Value::String(value.as_str().unwrap_or_default().to_string())
        }
        ValueKind::Seq => serde_json::Value::Array(
            value
                .try_iter()
                .map(|it| it.map(|v| value_to_json(&v)).collect())
                .unwrap_or_default(),
        ),
        ValueKind::Map => serde_json::Value::Object(
            value
                .try_iter()
                .map(|keys| {
                    keys.map(|k| {
                        (
                            k.to_string(),
                            value_to_json(&value.get_item(&k).unwrap_or_default()),
                        )
                    })
                    .collect()
                })
                .unwrap_or_default(),
        ),
        _ => serde_json::Value::String(value.to_string()),
    }
}

fn render_all(state: &State, terms: &[Value]) -> Result<Vec<String>, Error> {
    terms
        .iter()
        .map(|term| render_one(state, &term.to_string()))
        .collect()
}

fn render_one(state: &State, file: &str) -> Result<String, Error> {
    let path = find(state, file).ok_or_else(|| {
        Error::new(
            ErrorKind::InvalidOperation,
            format!("the template file {file} could not be found for the lookup"),
        )
    })?;
    let source = std::fs::read_to_string(&path).map_err(|e| {
        Error::new(
            ErrorKind::InvalidOperation,
            format!("cannot read template {file}: {e}"),
        )
    })?;
    let escaped = stackbook_filters::compat::escape_backslashes(&source);
    let template = state.env().template_from_str(&escaped)?;
    // The template sees the caller's variables: look up each name it uses.
    let names = template.undeclared_variables(false);
    let context = Value::from_pairs(names.into_iter().filter_map(|name| {
        let value = state.lookup(&name)?;
        Some((name, value))
    }));
    template.render(context)
}

fn find(state: &State, file: &str) -> Option<PathBuf> {
    let candidate = PathBuf::from(file);
    if candidate.is_absolute() {
        return candidate.is_file().then_some(candidate);
    }
    let mut dirs = Vec::new();
    for var in ["role_path", "playbook_dir"] {
        if let Some(dir) = state
            .lookup(var)
            .and_then(|v| v.as_str().map(PathBuf::from))
        {
            dirs.push(dir.join("templates"));
            dirs.push(dir);
        }
    }
    dirs.into_iter()
        .map(|dir| dir.join(file))
        .find(|path| path.is_file())
}
