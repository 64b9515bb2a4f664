//! The `template` lookup, which needs the whole templating context and so lives here rather
//! than with the other lookups (`stackbook_filters`), to which everything else is delegated.
//!
//! ```jinja
//! {{ lookup('template', 'pg_hba.conf.j2') }}
//! ```

use std::path::PathBuf;

use minijinja::value::{Kwargs, Rest, Value};
use minijinja::{Error, ErrorKind, State};

/// `lookup(name, ...)`: `template` here, everything else in `stackbook_filters`.
pub fn lookup(
    state: &State,
    name: &str,
    terms: Rest<Value>,
    kwargs: Kwargs,
) -> Result<Value, Error> {
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
    match name {
        "template" | "ansible.builtin.template" => Ok(Value::from(render_all(state, &terms)?)),
        _ => stackbook_filters::query(state, name, terms, kwargs),
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
