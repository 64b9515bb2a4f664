//! Module documentation, as `ansible-doc` shows it: description, parameters, an example and
//! the return values.
//!
//! Each module's docs are a YAML file beside its code (`docs/<module>.yml` in the module's
//! crate), embedded with [`module_docs!`](crate::module_docs) and handed out by the module
//! itself ([`Module::docs`](super::Module::docs)); the executor's own actions (`set_fact`,
//! `include_role`, …) have theirs in this crate's `docs/`. So the registry stays the one list
//! of modules: `stackbook doc`, the generated Markdown reference and the tests that hold the
//! docs to the argument structs all walk it, and a module without docs cannot go unnoticed.
//!
//! Format (every key but `parameters`, `notes` and `returns` is required):
//!
//! ```yaml
//! module: kubernetes.core.k8s            # fully qualified name
//! short_description: one line for `stackbook doc --list`
//! description:                           # paragraphs
//!   - ...
//! parameters:                            # in the order to show them
//!   name:
//!     description: ...
//!     type: str                          # str, bool, int, float, path, list, dict, raw
//!     elements: str                      # for lists
//!     required: false
//!     default: ...
//!     choices: [a, b]
//!     aliases: [other_name]
//!     secret: true                       # never printed (masked in all output)
//! examples: |                            # a task list, checked by the playbook loader
//!   - name: ...
//! returns:
//!   name: {description: ..., type: str, returned: always, sample: ...}
//! ```
//!
//! Documentation fragments (the Kubernetes connection parameters every `kubernetes.core`
//! module takes) hold only `parameters:` and are appended to the module's own.

use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value as Json};
use stackbook_syntax::{Node, NodeValue, SyntaxError, load_single_document};

use super::registry::{Action, Builtin, Entry};

/// The embedded documentation of one module: its YAML text and any fragments.
#[derive(Debug, Clone, Copy)]
pub struct DocSource {
    /// Path of the docs file inside its crate (`docs/k8s.yml`), for messages.
    pub path: &'static str,
    /// The YAML text.
    pub text: &'static str,
    /// Fragments whose `parameters` are appended (e.g. the Kubernetes connection).
    pub fragments: &'static [&'static str],
}

/// Embeds `docs/<name>.yml` of the calling crate as a [`DocSource`], optionally with fragments
/// (`docs/<fragment>.yml`):
///
/// ```ignore
/// fn docs(&self) -> Option<DocSource> {
///     Some(stackbook_engine::module_docs!("k8s", fragments = ["k8s_connection"]))
/// }
/// ```
#[macro_export]
macro_rules! module_docs {
    ($name:literal) => {
        $crate::modules::docs::DocSource {
            path: concat!(env!("CARGO_PKG_NAME"), "/docs/", $name, ".yml"),
            text: include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/", $name, ".yml")),
            fragments: &[],
        }
    };
    ($name:literal, fragments = [$($fragment:literal),* $(,)?]) => {
        $crate::modules::docs::DocSource {
            path: concat!(env!("CARGO_PKG_NAME"), "/docs/", $name, ".yml"),
            text: include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/", $name, ".yml")),
            fragments: &[$(include_str!(concat!(
                env!("CARGO_MANIFEST_DIR"), "/docs/", $fragment, ".yml"
            ))),*],
        }
    };
}

/// Why a module's docs cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum DocError {
    /// The YAML itself is malformed.
    #[error("module docs {path}: {source}")]
    Yaml {
        /// The docs file.
        path: String,
        /// The parser's error.
        #[source]
        source: SyntaxError,
    },
    /// The YAML does not have the documented shape.
    #[error("module docs {path}: {message}")]
    Shape {
        /// The docs file.
        path: String,
        /// What was expected.
        message: String,
    },
}

/// A module's documentation.
#[derive(Debug, Clone, PartialEq)]
pub struct ModuleDoc {
    /// Fully qualified name.
    pub module: String,
    /// One line.
    pub short_description: String,
    /// Paragraphs.
    pub description: Vec<String>,
    /// Caveats, one per entry.
    pub notes: Vec<String>,
    /// Parameters, in display order.
    pub parameters: Vec<Parameter>,
    /// A task list using the module.
    pub examples: String,
    /// Result fields.
    pub returns: Vec<ReturnValue>,
    /// Where the docs came from (`docs/k8s.yml`).
    pub path: String,
}

/// One parameter.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Parameter {
    /// The parameter's name (the mapping key in the docs file).
    #[serde(skip)]
    pub name: String,
    /// What it does.
    pub description: String,
    /// `str`, `bool`, `int`, `float`, `path`, `list`, `dict` or `raw`.
    #[serde(rename = "type", default = "raw")]
    pub kind: String,
    /// Element type of a list.
    #[serde(default)]
    pub elements: Option<String>,
    /// Must be given.
    #[serde(default)]
    pub required: bool,
    /// The value used when it is not given.
    #[serde(default)]
    pub default: Option<Json>,
    /// The accepted values, when limited.
    #[serde(default)]
    pub choices: Vec<Json>,
    /// Other names accepted for it.
    #[serde(default)]
    pub aliases: Vec<String>,
    /// A secret: never printed, masked in all output.
    #[serde(default)]
    pub secret: bool,
}

/// One field of the module's result.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReturnValue {
    /// The field (the mapping key in the docs file).
    #[serde(skip)]
    pub name: String,
    /// What it holds.
    pub description: String,
    /// Its type.
    #[serde(rename = "type", default = "raw")]
    pub kind: String,
    /// When it is present (`always`, `success`, `when X`).
    #[serde(default)]
    pub returned: Option<String>,
    /// An example value.
    #[serde(default)]
    pub sample: Option<Json>,
}

fn raw() -> String {
    "raw".to_string()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDoc {
    module: String,
    short_description: String,
    #[serde(deserialize_with = "paragraphs")]
    description: Vec<String>,
    #[serde(default, deserialize_with = "paragraphs")]
    notes: Vec<String>,
    #[serde(default)]
    parameters: Map<String, Json>,
    examples: String,
    #[serde(default)]
    returns: Map<String, Json>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFragment {
    parameters: Map<String, Json>,
}

/// A string or a list of strings.
fn paragraphs<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Vec<String>, D::Error> {
    super::args::string_list(deserializer)
}

impl DocSource {
    /// Parses the docs and their fragments.
    pub fn parse(&self) -> Result<ModuleDoc, DocError> {
        let shape = |message: String| DocError::Shape {
            path: self.path.to_string(),
            message,
        };
        let raw: RawDoc = serde_json::from_value(yaml_json(self.text, self.path)?)
            .map_err(|e| shape(e.to_string()))?;
        let mut parameters = named::<Parameter>(raw.parameters, "parameters")
            .map_err(shape)?
            .into_iter()
            .map(|(name, p)| Parameter { name, ..p })
            .collect::<Vec<_>>();
        for (index, fragment) in self.fragments.iter().enumerate() {
            let fragment_path = format!("{} (fragment {})", self.path, index + 1);
            let raw: RawFragment = serde_json::from_value(yaml_json(fragment, &fragment_path)?)
                .map_err(|e| shape(format!("fragment {}: {e}", index + 1)))?;
            for (name, p) in named::<Parameter>(raw.parameters, "parameters").map_err(shape)? {
                parameters.push(Parameter { name, ..p });
            }
        }
        let returns = named::<ReturnValue>(raw.returns, "returns")
            .map_err(shape)?
            .into_iter()
            .map(|(name, r)| ReturnValue { name, ..r })
            .collect();
        Ok(ModuleDoc {
            module: raw.module,
            short_description: raw.short_description,
            description: raw.description,
            notes: raw.notes,
            parameters,
            examples: raw.examples,
            returns,
            path: self.path.to_string(),
        })
    }
}

/// Reads a mapping of name → entry, keeping the file's order.
fn named<T: DeserializeOwned>(
    map: Map<String, Json>,
    section: &str,
) -> Result<Vec<(String, T)>, String> {
    map.into_iter()
        .map(|(name, value)| {
            serde_json::from_value(value)
                .map(|entry| (name.clone(), entry))
                .map_err(|e| format!("{section}.{name}: {e}"))
        })
        .collect()
}

fn yaml_json(text: &str, path: &str) -> Result<Json, DocError> {
    let node = load_single_document(text, path).map_err(|source| DocError::Yaml {
        path: path.to_string(),
        source,
    })?;
    Ok(node_json(&node))
}

/// Plain YAML → JSON (docs hold no vault values; tags keep their text).
fn node_json(node: &Node) -> Json {
    match &node.value {
        NodeValue::Null => Json::Null,
        NodeValue::Bool(b) => Json::Bool(*b),
        NodeValue::Int(i) => Json::from(*i),
        NodeValue::Float(f) => serde_json::Number::from_f64(*f)
            .map(Json::Number)
            .unwrap_or(Json::Null),
        NodeValue::String(s) | NodeValue::Tagged(_, s) => Json::String(s.clone()),
        NodeValue::Sequence(items) => Json::Array(items.iter().map(node_json).collect()),
        NodeValue::Mapping(entries) => Json::Object(
            entries
                .iter()
                .map(|(k, v)| {
                    let key = match node_json(k) {
                        Json::String(s) => s,
                        other => other.to_string(),
                    };
                    (key, node_json(v))
                })
                .collect(),
        ),
    }
}

impl Entry {
    /// This entry's documentation: the module's own, or the executor action's.
    pub fn docs(&self) -> Option<DocSource> {
        match &self.action {
            Action::Module(module) => module.docs(),
            Action::Builtin(kind) => builtin_docs(*kind, &self.fqcn),
        }
    }
}

/// Docs of the actions the executor performs itself.
fn builtin_docs(kind: Builtin, fqcn: &str) -> Option<DocSource> {
    Some(match kind {
        Builtin::SetFact => crate::module_docs!("set_fact"),
        Builtin::IncludeTasks => crate::module_docs!("include_tasks"),
        Builtin::ImportTasks => crate::module_docs!("import_tasks"),
        Builtin::IncludeVars => crate::module_docs!("include_vars"),
        Builtin::Meta => crate::module_docs!("meta"),
        Builtin::IncludeRole if fqcn.ends_with(".import_role") => {
            crate::module_docs!("import_role")
        }
        Builtin::IncludeRole => crate::module_docs!("include_role"),
        Builtin::GatherFacts if fqcn.ends_with(".gather_facts") => {
            crate::module_docs!("gather_facts")
        }
        Builtin::GatherFacts => crate::module_docs!("setup"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: DocSource = DocSource {
        path: "docs/x.yml",
        text: "module: ns.c.x\nshort_description: X\ndescription: one\nparameters:\n  b: {description: B, type: bool, default: false}\n  a: {description: A, required: true, aliases: [aa]}\nexamples: |\n  - ns.c.x: {a: 1}\nreturns:\n  out: {description: O, type: str, returned: always}\n",
        fragments: &["parameters:\n  conn: {description: C, type: str, secret: true}\n"],
    };

    #[test]
    fn parses_in_file_order_with_fragments_appended() {
        let doc = DOC.parse().unwrap();
        assert_eq!(doc.module, "ns.c.x");
        assert_eq!(doc.description, vec!["one".to_string()]);
        let names: Vec<_> = doc.parameters.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["b", "a", "conn"]);
        assert_eq!(doc.parameters[0].default, Some(Json::Bool(false)));
        assert_eq!(doc.parameters[1].kind, "raw");
        assert!(doc.parameters[1].required);
        assert!(doc.parameters[2].secret);
        assert_eq!(doc.returns[0].name, "out");
    }

    #[test]
    fn unknown_keys_are_errors_naming_the_file_and_field() {
        let bad = DocSource {
            text: "module: x\nshort_description: X\ndescription: d\nexamples: ''\nparameters:\n  a: {description: A, defualt: 1}\n",
            ..DOC
        };
        let message = bad.parse().unwrap_err().to_string();
        assert!(message.contains("docs/x.yml"), "{message}");
        assert!(
            message.contains("parameters.a") && message.contains("defualt"),
            "{message}"
        );
    }
}
