//! YAML documents as Ansible's loader sees them, with a location on every node.
//!
//! We build our own tree from `saphyr-parser` events instead of using a serde format because
//! (1) every task and every scalar needs its `file:line:column` for messages, (2) Ansible
//! resolves plain scalars with YAML 1.1 rules (PyYAML), not YAML 1.2, and (3) Ansible's custom
//! tags (`!vault`, `!unsafe`, and our `!age`) must survive loading as markers.

mod loader;
mod resolve;

use crate::location::Location;

pub use loader::{load_documents, load_file, load_single_document, load_single_file};
pub use resolve::resolve_plain_scalar;

/// One YAML node with the location of its first character.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    /// The value.
    pub value: NodeValue,
    /// Where it starts.
    pub location: Location,
}

/// The value of a YAML node after YAML 1.1 resolution.
#[derive(Debug, Clone, PartialEq)]
pub enum NodeValue {
    /// `null`, `~`, or an empty value.
    Null,
    /// `true`/`yes`/`on` and friends.
    Bool(bool),
    /// Decimal, octal (`0644`), hex, binary or sexagesimal integers.
    Int(i64),
    /// Floats with a dot, `.inf`, `.nan`.
    Float(f64),
    /// Any other scalar, and every quoted or block scalar.
    String(String),
    /// A sequence.
    Sequence(Vec<Node>),
    /// A mapping in source order; duplicate keys keep the last value, as PyYAML does.
    Mapping(Vec<(Node, Node)>),
    /// A scalar with one of Ansible's custom tags.
    Tagged(CustomTag, String),
}

/// The custom tags stackbook understands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CustomTag {
    /// `!vault |` — an inline Ansible Vault payload.
    Vault,
    /// `!age |` — an inline age-encrypted, ASCII-armored payload.
    Age,
    /// `!unsafe` — a string that must never be templated.
    Unsafe,
}

impl CustomTag {
    /// The tag as written in YAML.
    pub fn as_str(self) -> &'static str {
        match self {
            CustomTag::Vault => "!vault",
            CustomTag::Age => "!age",
            CustomTag::Unsafe => "!unsafe",
        }
    }
}

impl Node {
    /// Creates a node.
    pub fn new(value: NodeValue, location: Location) -> Node {
        Node { value, location }
    }

    /// The string content when this node is a plain string.
    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            NodeValue::String(s) => Some(s),
            _ => None,
        }
    }

    /// The entries when this node is a mapping.
    pub fn as_mapping(&self) -> Option<&[(Node, Node)]> {
        match &self.value {
            NodeValue::Mapping(entries) => Some(entries),
            _ => None,
        }
    }

    /// The items when this node is a sequence.
    pub fn as_sequence(&self) -> Option<&[Node]> {
        match &self.value {
            NodeValue::Sequence(items) => Some(items),
            _ => None,
        }
    }

    /// Looks up a string key in a mapping node.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.as_mapping()?
            .iter()
            .find(|(k, _)| k.as_str() == Some(key))
            .map(|(_, v)| v)
    }

    /// True for `null`.
    pub fn is_null(&self) -> bool {
        matches!(self.value, NodeValue::Null)
    }

    /// A short name of the node's type for messages ("a mapping", "a string", …).
    pub fn type_name(&self) -> &'static str {
        match &self.value {
            NodeValue::Null => "null",
            NodeValue::Bool(_) => "a boolean",
            NodeValue::Int(_) => "an integer",
            NodeValue::Float(_) => "a float",
            NodeValue::String(_) => "a string",
            NodeValue::Sequence(_) => "a list",
            NodeValue::Mapping(_) => "a mapping",
            NodeValue::Tagged(tag, _) => tag.as_str(),
        }
    }

    /// The scalar rendered back to text (for keys and free-form values).
    pub fn scalar_text(&self) -> Option<String> {
        match &self.value {
            NodeValue::Null => Some(String::new()),
            NodeValue::Bool(b) => Some(if *b { "True" } else { "False" }.to_string()),
            NodeValue::Int(i) => Some(i.to_string()),
            NodeValue::Float(f) => Some(f.to_string()),
            NodeValue::String(s) | NodeValue::Tagged(_, s) => Some(s.clone()),
            NodeValue::Sequence(_) | NodeValue::Mapping(_) => None,
        }
    }
}
