//! `lookup()`, `query()` and `q()`: Ansible's lookup plugins that need no
//! engine state beyond the template's variables.
//!
//! `query` always returns a list; `lookup` applies Ansible's historical
//! munging (one item is unwrapped, several strings are comma-joined)
//! unless `wantlist=True`. The `template` lookup needs the full templating
//! context, so the engine provides it; any lookup not listed here fails
//! with an error naming it.

use std::path::{Path, PathBuf};
use std::process::Command;

use minijinja::value::{Kwargs, Rest, Value, ValueKind};
use minijinja::{Error, ErrorKind, State};

use crate::util::{is_mapping, is_sequence, text_of, to_vec};

/// The lookups this crate implements.
pub const SUPPORTED_LOOKUPS: &[&str] = &[
    "fileglob",
    "env",
    "file",
    "pipe",
    "lines",
    "vars",
    "first_found",
    "items",
    "list",
    "indexed_items",
    "dict",
];

/// Errors raised by lookup plugins.
#[derive(Debug, thiserror::Error)]
pub enum LookupError {
    /// No plugin by that name exists here.
    #[error(
        "lookup plugin '{name}' not found (available: {available}; 'template' is provided by the engine)"
    )]
    Unknown {
        /// The requested plugin name.
        name: String,
        /// Comma-separated list of supported plugins.
        available: String,
    },
    /// `file`/`first_found` could not locate a path.
    #[error("could not locate file in lookup: {0}")]
    FileNotFound(String),
    /// Reading a located file failed.
    #[error("could not read file {path}: {source}")]
    Read {
        /// The file that was read.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A command could not be started.
    #[error("could not run command {cmd:?}: {source}")]
    Spawn {
        /// The shell command.
        cmd: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A command exited non-zero.
    #[error("lookup_plugin.{plugin}({cmd}) returned {code}")]
    CommandFailed {
        /// `pipe` or `lines`.
        plugin: &'static str,
        /// The shell command.
        cmd: String,
        /// Its exit status (-1 if killed by a signal).
        code: i32,
    },
    /// `vars` was asked for a variable that does not exist.
    #[error("No variable found with this name: {0}")]
    NoVariable(String),
    /// `first_found` found none of the candidates.
    #[error("No file was found when using first_found.")]
    NothingFound,
    /// A term had the wrong type.
    #[error("lookup '{plugin}' expects {expected}, got {got}")]
    BadTerm {
        /// The plugin.
        plugin: &'static str,
        /// What it expected.
        expected: &'static str,
        /// The Python type name received.
        got: &'static str,
    },
    /// `errors=` had an unknown value.
    #[error("errors must be one of 'strict', 'warn' or 'ignore', got {0:?}")]
    BadErrorsOption(String),
}

impl From<LookupError> for Error {
    fn from(e: LookupError) -> Self {
        let kind = match e {
            LookupError::NoVariable(_) => ErrorKind::UndefinedError,
            _ => ErrorKind::InvalidOperation,
        };
        Error::new(kind, e.to_string()).with_source(e)
    }
}

fn var(state: &State, name: &str) -> Option<Value> {
    state
        .lookup(name)
        .filter(|v| !v.is_undefined() && !v.is_none())
}

/// The directory relative lookups and commands run from: `playbook_dir`,
/// else the process's working directory.
fn base_dir(state: &State) -> PathBuf {
    var(state, "playbook_dir").map_or_else(|| PathBuf::from("."), |v| PathBuf::from(text_of(&v)))
}

/// Ansible's search path for `file`-like lookups: the role's `files/` and
/// root, then the playbook directory's `files/` and root.
fn search_path(state: &State) -> Vec<PathBuf> {
    let mut dirs = Vec::new();
    if let Some(role) = var(state, "role_path") {
        let role = PathBuf::from(text_of(&role));
        dirs.push(role.join("files"));
        dirs.push(role);
    }
    let base = base_dir(state);
    dirs.push(base.join("files"));
    dirs.push(base);
    dirs
}

fn find_file(state: &State, term: &str) -> Option<PathBuf> {
    let p = Path::new(term);
    if p.is_absolute() {
        return p.exists().then(|| p.to_path_buf());
    }
    search_path(state)
        .into_iter()
        .map(|d| d.join(term))
        .find(|c| c.exists())
}

fn run_shell(state: &State, plugin: &'static str, cmd: &str) -> Result<String, LookupError> {
    let out = Command::new("/bin/sh")
        .arg("-c")
        .arg(cmd)
        .current_dir(base_dir(state))
        .output()
        .map_err(|source| LookupError::Spawn {
            cmd: cmd.to_owned(),
            source,
        })?;
    if !out.status.success() {
        return Err(LookupError::CommandFailed {
            plugin,
            cmd: cmd.to_owned(),
            code: out.status.code().unwrap_or(-1),
        });
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

fn term_strings(plugin: &'static str, terms: &[Value]) -> Result<Vec<String>, LookupError> {
    let mut out = Vec::new();
    for t in terms {
        if is_sequence(t) {
            out.extend(to_vec(plugin, t).unwrap_or_default().iter().map(text_of));
        } else if t.kind() == ValueKind::String {
            out.push(text_of(t));
        } else {
            return Err(LookupError::BadTerm {
                plugin,
                expected: "string terms",
                got: crate::repr::python_type_name(t),
            });
        }
    }
    Ok(out)
}

/// Runs one lookup plugin and returns its raw list result.
fn run_plugin(
    state: &State,
    name: &str,
    terms: &[Value],
    kwargs: &Kwargs,
) -> Result<Vec<Value>, Error> {
    let name = name.strip_prefix("ansible.builtin.").unwrap_or(name);
    Ok(match name {
        "env" => {
            let default = kwargs.get::<Option<String>>("default")?.unwrap_or_default();
            term_strings("env", terms)?
                .iter()
                .map(|t| Value::from(std::env::var(t).unwrap_or_else(|_| default.clone())))
                .collect()
        }
        "file" => {
            let rstrip = kwargs.get::<Option<bool>>("rstrip")?.unwrap_or(true);
            let lstrip = kwargs.get::<Option<bool>>("lstrip")?.unwrap_or(false);
            let mut out = Vec::new();
            for t in term_strings("file", terms)? {
                let path =
                    find_file(state, &t).ok_or_else(|| LookupError::FileNotFound(t.clone()))?;
                let text = std::fs::read_to_string(&path)
                    .map_err(|source| LookupError::Read { path, source })?;
                let text = if rstrip {
                    text.trim_end()
                } else {
                    text.as_str()
                };
                let text = if lstrip { text.trim_start() } else { text };
                out.push(Value::from(text));
            }
            out
        }
        "pipe" => term_strings("pipe", terms)?
            .iter()
            .map(|cmd| Ok(Value::from(run_shell(state, "pipe", cmd)?.trim_end())))
            .collect::<Result<_, LookupError>>()?,
        "lines" => {
            let mut out = Vec::new();
            for cmd in term_strings("lines", terms)? {
                out.extend(run_shell(state, "lines", &cmd)?.lines().map(Value::from));
            }
            out
        }
        "vars" => {
            let default: Option<Value> = kwargs.get("default")?;
            let mut out = Vec::new();
            for t in term_strings("vars", terms)? {
                match state.lookup(&t).filter(|v| !v.is_undefined()) {
                    Some(v) => out.push(v),
                    None => match &default {
                        Some(d) => out.push(d.clone()),
                        None => return Err(LookupError::NoVariable(t).into()),
                    },
                }
            }
            out
        }
        "first_found" => {
            let skip = kwargs.get::<Option<bool>>("skip")?.unwrap_or(false);
            let mut files: Vec<String> = Vec::new();
            let mut paths: Vec<String> = Vec::new();
            if let Some(f) = kwargs.get::<Option<Value>>("files")? {
                files.extend(to_vec("first_found", &f)?.iter().map(text_of));
            }
            if let Some(p) = kwargs.get::<Option<Value>>("paths")? {
                paths.extend(to_vec("first_found", &p)?.iter().map(text_of));
            }
            for t in terms {
                if is_mapping(t) {
                    for key in ["files", "paths"] {
                        let v = t.get_item(&Value::from(key)).unwrap_or(Value::UNDEFINED);
                        let items: Vec<String> = if v.is_undefined() {
                            Vec::new()
                        } else if let Some(s) = v.as_str() {
                            s.split([',', ';']).map(str::to_owned).collect()
                        } else {
                            to_vec("first_found", &v)?.iter().map(text_of).collect()
                        };
                        if key == "files" {
                            files.extend(items)
                        } else {
                            paths.extend(items)
                        }
                    }
                } else {
                    files.extend(term_strings("first_found", std::slice::from_ref(t))?);
                }
            }
            let mut candidates: Vec<String> = Vec::new();
            for f in &files {
                if paths.is_empty() {
                    candidates.push(f.clone());
                } else {
                    candidates.extend(
                        paths
                            .iter()
                            .map(|p| format!("{}/{}", p.trim_end_matches('/'), f)),
                    );
                }
            }
            match candidates.iter().find_map(|c| find_file(state, c)) {
                Some(p) => vec![Value::from(p.to_string_lossy().into_owned())],
                None if skip => Vec::new(),
                None => return Err(LookupError::NothingFound.into()),
            }
        }
        "fileglob" => {
            let mut out = Vec::new();
            for term in term_strings("fileglob", terms)? {
                let dirs: Vec<PathBuf> = match term.rsplit_once('/') {
                    // A directory part is searched like a `file` lookup.
                    Some((dir, _)) => find_file(state, dir).into_iter().collect(),
                    None => {
                        let base = base_dir(state);
                        vec![base.join("files"), base]
                    }
                };
                let file = term.rsplit_once('/').map_or(term.as_str(), |(_, f)| f);
                for dir in dirs {
                    let found = crate::glob::glob_files(&dir, file);
                    if !found.is_empty() {
                        out.extend(
                            found
                                .iter()
                                .map(|p| Value::from(p.to_string_lossy().into_owned())),
                        );
                        break;
                    }
                }
            }
            out
        }
        "items" => {
            let mut out = Vec::new();
            for t in terms {
                if is_sequence(t) {
                    out.extend(to_vec("items", t)?);
                } else {
                    out.push(t.clone());
                }
            }
            out
        }
        "list" => terms.to_vec(),
        "indexed_items" => {
            let items = match terms {
                [single] if is_sequence(single) => to_vec("indexed_items", single)?,
                _ => terms.to_vec(),
            };
            items
                .into_iter()
                .enumerate()
                .map(|(i, v)| Value::from(minijinja::value::Tuple::new(vec![Value::from(i), v])))
                .collect()
        }
        "dict" => {
            let mut out = Vec::new();
            for t in terms {
                for (k, v) in crate::util::map_entries("dict", t)? {
                    out.push(crate::util::new_map(vec![
                        (Value::from("key"), k),
                        (Value::from("value"), v),
                    ]));
                }
            }
            out
        }
        other => {
            return Err(LookupError::Unknown {
                name: other.to_owned(),
                available: SUPPORTED_LOOKUPS.join(", "),
            }
            .into());
        }
    })
}

/// Shared implementation of `lookup` and `query`.
fn invoke(
    state: &State,
    name: &str,
    terms: Rest<Value>,
    kwargs: Kwargs,
    force_list: bool,
) -> Result<Value, Error> {
    let wantlist = force_list || kwargs.get::<Option<bool>>("wantlist")?.unwrap_or(false);
    let errors = kwargs
        .get::<Option<String>>("errors")?
        .unwrap_or_else(|| "strict".into());
    if !matches!(errors.as_str(), "strict" | "warn" | "ignore") {
        return Err(LookupError::BadErrorsOption(errors).into());
    }
    let name = name.strip_prefix("ansible.builtin.").unwrap_or(name);
    let result = match run_plugin(state, name, &terms.0, &kwargs) {
        Ok(r) => r,
        // errors=warn/ignore swallow plugin failures, never unknown plugins.
        Err(_) if errors != "strict" && SUPPORTED_LOOKUPS.contains(&name) => {
            return Ok(if wantlist {
                Value::from(Vec::<Value>::new())
            } else {
                Value::from(())
            });
        }
        Err(e) => return Err(e),
    };
    kwargs.assert_all_used()?;
    if wantlist {
        return Ok(Value::from(result));
    }
    Ok(match result.len() {
        0 => Value::from(result),
        1 => result.into_iter().next().unwrap_or(Value::from(())),
        _ if result.iter().all(|v| v.kind() == ValueKind::String) => {
            Value::from(result.iter().map(text_of).collect::<Vec<_>>().join(","))
        }
        _ => Value::from(result),
    })
}

/// `lookup(name, *terms, wantlist=False, errors='strict', **plugin_options)`.
///
/// Public so the engine can register its own `lookup` that handles
/// `template` and delegates everything else here.
pub fn lookup(
    state: &State,
    name: &str,
    terms: Rest<Value>,
    kwargs: Kwargs,
) -> Result<Value, Error> {
    invoke(state, name, terms, kwargs, false)
}

/// `query(name, *terms, **plugin_options)` / `q(...)`: always a list.
pub fn query(
    state: &State,
    name: &str,
    terms: Rest<Value>,
    kwargs: Kwargs,
) -> Result<Value, Error> {
    invoke(state, name, terms, kwargs, true)
}
