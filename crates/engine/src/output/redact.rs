//! Masks secrets in text: the values themselves, their trimmed forms, JSON-escaped forms and
//! base64 encodings (at every alignment, so a secret inside a longer base64 blob is caught).

use std::sync::{Arc, RwLock};

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE};

/// What replaces a secret.
pub const MASK: &str = "********";

/// Secrets shorter than this are not masked: masking `1` or `no` would destroy every line
/// while protecting nothing. Vault and lookup values that short are reported once as a warning.
pub const MIN_SECRET_LEN: usize = 4;

/// A shared, growing set of secrets. Cloning shares the set.
#[derive(Clone, Default)]
pub struct Redactor {
    patterns: Arc<RwLock<Vec<String>>>,
}

impl std::fmt::Debug for Redactor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Redactor(..)")
    }
}

impl Redactor {
    /// Registers a secret and the forms it may take in output.
    pub fn add(&self, secret: &str) {
        let mut forms: Vec<String> = Vec::new();
        let trimmed = secret.trim();
        for candidate in [secret, trimmed] {
            if candidate.len() >= MIN_SECRET_LEN {
                forms.push(candidate.to_string());
                let escaped = serde_json::to_string(candidate).unwrap_or_default();
                forms.push(escaped.trim_matches('"').to_string());
                forms.extend(base64_forms(candidate.as_bytes()));
            }
            for line in candidate
                .lines()
                .map(str::trim)
                .filter(|l| l.len() >= MIN_SECRET_LEN)
            {
                forms.push(line.to_string());
            }
        }
        // A base64 secret is usually decoded before use (`| b64decode`): mask the plaintext too.
        if let Ok(decoded) = STANDARD.decode(trimmed) {
            if let Ok(text) = String::from_utf8(decoded) {
                let text = text.trim().to_string();
                if text.len() >= MIN_SECRET_LEN {
                    forms.extend(base64_forms(text.as_bytes()));
                    forms.push(text);
                }
            }
        }
        let Ok(mut patterns) = self.patterns.write() else {
            return;
        };
        for form in forms {
            if form.len() >= MIN_SECRET_LEN && !patterns.contains(&form) {
                patterns.push(form);
            }
        }
        // Longest first, so a secret is masked whole before any of its parts.
        patterns.sort_by_key(|p| std::cmp::Reverse(p.len()));
    }

    /// True when no secret is registered.
    pub fn is_empty(&self) -> bool {
        self.patterns.read().map(|p| p.is_empty()).unwrap_or(true)
    }

    /// Masks every registered secret in `text`.
    pub fn redact(&self, text: &str) -> String {
        let Ok(patterns) = self.patterns.read() else {
            return MASK.to_string();
        };
        let mut out = text.to_string();
        for pattern in patterns.iter() {
            if out.contains(pattern.as_str()) {
                out = out.replace(pattern.as_str(), MASK);
            }
        }
        out
    }
}

/// The stable core of `secret`'s base64 encoding at each of the three byte alignments.
fn base64_forms(secret: &[u8]) -> Vec<String> {
    let mut forms = Vec::new();
    for offset in 0..3usize {
        let mut padded = vec![0u8; offset];
        padded.extend_from_slice(secret);
        for engine in [&STANDARD, &URL_SAFE] {
            let encoded = engine.encode(&padded);
            // Characters influenced by the padding bytes or the unknown tail are dropped.
            let skip = if offset == 0 {
                0
            } else {
                (offset * 4).div_ceil(3) + 1
            };
            let full_groups = padded.len() / 3 * 4;
            if full_groups > skip + 3 {
                let core = &encoded[skip..full_groups];
                if core.len() >= 6 {
                    forms.push(core.to_string());
                }
            }
        }
    }
    forms
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_plain_embedded_and_base64_forms() {
        let redactor = Redactor::default();
        redactor.add("s3cr3t-canary-value");
        assert_eq!(
            redactor.redact("pass=s3cr3t-canary-value;"),
            format!("pass={MASK};")
        );
        for prefix in ["", "a", "ab"] {
            let blob = STANDARD.encode(format!(
                "{prefix}[global]\nrepo1-cipher-pass=s3cr3t-canary-value\nx=1"
            ));
            let redacted = redactor.redact(&blob);
            assert!(redacted.contains(MASK), "alignment {prefix:?}: {redacted}");
        }
    }

    #[test]
    fn masks_decoded_form_of_base64_secret() {
        let redactor = Redactor::default();
        redactor.add(&STANDARD.encode("cipher-passphrase-42"));
        assert_eq!(
            redactor.redact("x=cipher-passphrase-42"),
            format!("x={MASK}")
        );
    }

    #[test]
    fn short_values_are_not_masked() {
        let redactor = Redactor::default();
        redactor.add("no");
        assert_eq!(redactor.redact("no change"), "no change");
    }
}
