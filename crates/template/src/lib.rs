//! Templating as Ansible does it, on minijinja.
//!
//! Three Ansible rules shape this crate:
//! - A value that is exactly one `{{ expression }}` keeps the expression's native type
//!   (`"{{ 3 }}"` is the integer 3); anything else renders to a string ([`Templar::render_string`]).
//! - Variables are templated lazily, when used, so `a: "{{ b }}"` works whatever the order of
//!   definition; a variable that refers back to itself is reported, not looped
//!   ([`scope::Scope`]).
//! - The result of templating is data, never a template again: strings produced by rendering
//!   (and `!unsafe` strings, module results) are marked so later passes leave them alone
//!   ([`data::mark_data`]).

pub mod data;
pub mod error;
pub mod lookups;
pub mod python;
pub mod scope;
pub mod secrets;
mod templar;

pub use data::{is_template, mark_data};
pub use error::TemplateError;
pub use scope::{Scope, VarLayer};
pub use templar::Templar;

/// Re-exported so downstream crates use the same minijinja types.
pub use minijinja;
