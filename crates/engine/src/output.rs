//! Printers: turn [`crate::event::Event`]s into what users and CI read.
//!
//! Every byte a printer writes passes through the [`redact::Redactor`] first, so a secret
//! that reached an event by any path (a vault value inside a longer string, a `no_log` result
//! copied into a message, its base64 form) is masked at the last possible moment.

pub mod human;
pub mod json;
pub mod redact;
pub mod report;
