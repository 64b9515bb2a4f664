//! The stackbook executor.
//!
//! Pipeline: [`load`] reads a playbook into the syntax AST and validates it against the module
//! registry (nothing runs yet, so every structural mistake surfaces before a cluster is
//! touched); [`exec::run_playbook`] then runs plays host by host, task by task, emitting
//! [`event::Event`]s; printers in [`output`] turn events into the console view or JSON lines,
//! passing every line through the secret [`output::redact::Redactor`].

pub mod clock;
pub mod error;
pub mod event;
pub mod exec;
pub mod inventory;
pub mod load;
pub mod modules;
pub mod options;
pub mod output;
pub mod roles;
pub mod value;
pub mod vault;

pub use error::{EngineError, ExitCode};
pub use options::RunOptions;
