//! Vaults and secrets for stackbook.
//!
//! * [`secret`]: [`SecretString`]/[`SecretBytes`], zeroised and masked types.
//! * [`age`](crate::age): stackbook's vault format (armored age, whole file
//!   or `!age` values), recipients and identity discovery.
//! * [`ansible`]: Ansible Vault 1.1/1.2 (read, and write for round-trips).
//! * [`inline`]: finds `!vault`/`!age` block scalars in YAML text and
//!   rewrites them without disturbing the rest of the file.
//! * [`keys`]: one decryption context over both formats.
//! * [`ops`]: the file operations behind `stackbook vault …`.
//! * [`redact`]: the output-side guarantee that secrets never print.

pub mod age;
pub mod ansible;
pub mod inline;
pub mod keys;
pub mod ops;
pub mod redact;
pub mod secret;

pub use keys::{DecryptError, Keys, VaultFormat};
pub use redact::Redactor;
pub use secret::{MASK, Secret, SecretBytes, SecretString};
