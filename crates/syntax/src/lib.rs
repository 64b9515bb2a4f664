//! The first stage of stackbook: text to typed, located structure.
//!
//! Ansible reads YAML with PyYAML's YAML 1.1 rules (`yes`/`on` are booleans, `0644` is
//! octal, `<<` merges mappings) and keeps the line of every task for its messages. This crate
//! does the same with [`yaml::load_documents`], then turns documents into the playbook AST
//! ([`playbook`]) while checking every keyword, so that typos fail before anything runs.
//! Nothing here evaluates templates or touches a host.

pub mod did_you_mean;
pub mod error;
pub mod keywords;
pub mod kv;
pub mod location;
pub mod playbook;
pub mod yaml;

pub use error::SyntaxError;
pub use location::Location;
pub use yaml::{
    Node, NodeValue, load_documents, load_file, load_single_document, load_single_file,
};
