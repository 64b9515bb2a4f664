//! Secret masking for every printer. The matcher lives in `stackbook-secrets` (each secret
//! verbatim, JSON-escaped, percent-encoded and in base64 at every alignment); printers only
//! call [`Redactor::redact`] on each line they write. What counts as a secret's "forms" beyond
//! that is engine policy, in [`register_secret`].

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
pub use stackbook_secrets::redact::Registration;
pub use stackbook_secrets::{MASK, Redactor};

/// Registers a secret and the value it usually turns into before use: secret managers hand
/// out base64 (the seed's `scw secret version access … | jq -r .data`), which playbooks
/// `| b64decode` — so the decoded text is masked too. Returns whether the secret itself
/// could be registered (too-short values cannot be masked safely).
pub fn register_secret(redactor: &Redactor, secret: &str) -> Registration {
    let registration = redactor.add(secret);
    let trimmed = secret.trim();
    if trimmed.len() >= 8
        && let Ok(decoded) = STANDARD.decode(trimmed)
        && let Ok(text) = String::from_utf8(decoded)
    {
        let _ = redactor.add(text.trim());
    }
    registration
}

/// Registers the secrets that lookups recorded during templating since the last call
/// (`stackbook_template::secrets`). Every printer calls this before it writes.
pub fn absorb_pending(redactor: &Redactor) {
    for secret in stackbook_template::secrets::take_pending() {
        register_secret(redactor, &secret);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_the_decoded_form_of_a_base64_secret() {
        let redactor = Redactor::new();
        register_secret(&redactor, &STANDARD.encode("cipher-passphrase-42"));
        assert_eq!(
            redactor.redact("x=cipher-passphrase-42"),
            format!("x={MASK}")
        );
    }

    #[test]
    fn short_values_are_reported_not_masked() {
        let redactor = Redactor::new();
        assert_eq!(register_secret(&redactor, "no"), Registration::TooShort);
        assert_eq!(redactor.redact("no change"), "no change");
    }
}
