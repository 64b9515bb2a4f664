//! Secret masking for every printer. The matcher lives in `stackbook-secrets` (each secret
//! verbatim, JSON-escaped, percent-encoded and in base64 at every alignment); printers only
//! call [`Redactor::redact`] on each line they write. What counts as a secret's "forms" beyond
//! that is engine policy, in [`register_secret`].

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::Value as Json;
pub use stackbook_secrets::redact::Registration;
pub use stackbook_secrets::{MASK, Redactor};

/// Registers a secret and the values it usually turns into before use:
/// - secret managers hand out base64 (the seed's `scw secret version access … | jq -r .data`),
///   which playbooks `| b64decode` — so the decoded text is masked too;
/// - a secret that is a JSON document (`aws_secret` without `json_key`, a `url` lookup of a
///   credentials endpoint, a `no_log` task's `stdout`) is usually taken apart with
///   `from_json`, so every string in it is a secret of its own (and its base64-decoded text);
/// - a secret with backslashes is also masked as `echo` prints it: `/bin/sh`'s `echo` (dash,
///   XSI) turns `\n`, `\t`, `\\`, … into the characters they name and stops at `\c`, so
///   `shell: echo "$PASSWORD"` would otherwise print it split over lines or cut short;
/// - the forms two common filters give it, which the printers then quote once more: `quote`
///   (shell quoting: each `'` becomes `'"'"'`, shown in a shell task's `cmd`) and
///   `to_json`/`to_nice_json` (a JSON string, JSON-escaped again when a printer shows it).
///
/// Returns whether the secret itself could be registered (too-short values cannot be masked
/// safely).
pub fn register_secret(redactor: &Redactor, secret: &str) -> Registration {
    let registration = redactor.add(secret);
    register_decoded(redactor, secret);
    if let Some(echoed) = echo_unescaped(secret) {
        let _ = redactor.add(&echoed);
    }
    let trimmed = secret.trim();
    if trimmed.contains('\'') {
        let _ = redactor.add(&trimmed.replace('\'', "'\"'\"'"));
    }
    // Registered as secrets of their own, so their JSON-escaped forms (the double escape) are
    // masked as well; `to_json` escapes non-ASCII as Python's `json.dumps` does.
    for ascii_only in [false, true] {
        let escaped = json_escaped(trimmed, ascii_only);
        if escaped != trimmed {
            let _ = redactor.add(&escaped);
        }
    }
    if trimmed.starts_with(['{', '['])
        && let Ok(document) = serde_json::from_str::<serde_json::Value>(trimmed)
    {
        let mut strings = Vec::new();
        json_strings(&document, &mut strings);
        for string in strings {
            let _ = redactor.add(string);
            register_decoded(redactor, string);
        }
    }
    registration
}

/// Registers what a secret replaced in a `--diff` (a module result's `diff` entries): when a
/// changed line's new text holds a registered secret, the part of the old line that differs is
/// the *previous* secret — `repo1-s3-key-secret=<old>` in an `s3.conf` being rotated — and is
/// known to no one else, so it would print in clear on the `-` side. The engine calls this on
/// every module result before anything shows it.
pub fn register_replaced_secrets(redactor: &Redactor, result: &serde_json::Map<String, Json>) {
    let entries: Vec<&Json> = match result.get("diff") {
        Some(Json::Array(items)) => items.iter().collect(),
        Some(entry @ Json::Object(_)) => vec![entry],
        _ => return,
    };
    for entry in entries {
        let text = |key: &str| entry.get(key).and_then(Json::as_str).unwrap_or_default();
        let (before, after) = (text("before"), text("after"));
        if before.is_empty() || before == after || !redactor.redact(after).contains(MASK) {
            continue;
        }
        let diff = similar::TextDiff::from_lines(before, after);
        for op in diff.ops() {
            let (tag, old, new) = op.as_tag_tuple();
            if tag != similar::DiffTag::Replace {
                continue;
            }
            let old_lines = diff.old_slices().get(old).unwrap_or_default();
            let new_lines = diff.new_slices().get(new).unwrap_or_default();
            for (old_line, new_line) in old_lines.iter().zip(new_lines) {
                if redactor.redact(new_line).contains(MASK)
                    && let Some(previous) = differing_part(old_line, new_line)
                {
                    register_secret(redactor, previous);
                }
            }
        }
    }
}

/// The middle of `old` that differs from `new` (common prefix and suffix removed).
fn differing_part<'a>(old: &'a str, new: &str) -> Option<&'a str> {
    let prefix: usize = old
        .char_indices()
        .zip(new.chars())
        .take_while(|((_, a), b)| a == b)
        .last()
        .map_or(0, |((i, a), _)| i + a.len_utf8());
    // `prefix` ends a run of equal characters, so it is a boundary in both strings.
    let suffix: usize = old
        .get(prefix..)
        .unwrap_or_default()
        .chars()
        .rev()
        .zip(new.get(prefix..).unwrap_or_default().chars().rev())
        .take_while(|(a, b)| a == b)
        .map(|(a, _)| a.len_utf8())
        .sum();
    let part = old.get(prefix..old.len() - suffix)?.trim();
    (!part.is_empty()).then_some(part)
}

/// Registers the text a base64 secret decodes to, if it is base64 of UTF-8 text.
fn register_decoded(redactor: &Redactor, secret: &str) {
    let trimmed = secret.trim();
    if trimmed.len() >= 8
        && let Ok(decoded) = STANDARD.decode(trimmed)
        && let Ok(text) = String::from_utf8(decoded)
    {
        let _ = redactor.add(text.trim());
    }
}

/// `text` as XSI `echo` (dash's, `/bin/sh` on Debian) prints it, if that differs: `\a \b \f
/// \n \r \t \v \\` and `\0nnn` become the characters they name, `\c` ends the output.
/// The redactor masks each line of a multi-line result on its own.
fn echo_unescaped(text: &str) -> Option<String> {
    if !text.contains('\\') {
        return None;
    }
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('a') => out.push('\u{07}'),
            Some('b') => out.push('\u{08}'),
            Some('c') => break,
            Some('f') => out.push('\u{0c}'),
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some('t') => out.push('\t'),
            Some('v') => out.push('\u{0b}'),
            Some('\\') => out.push('\\'),
            Some('0') => {
                let mut value = 0u32;
                for _ in 0..3 {
                    match chars.peek().and_then(|d| d.to_digit(8)) {
                        Some(digit) => {
                            value = value * 8 + digit;
                            chars.next();
                        }
                        None => break,
                    }
                }
                out.extend(char::from_u32(value & 0xff));
            }
            Some(other) => {
                out.push('\\');
                out.push(other);
            }
            None => out.push('\\'),
        }
    }
    (out != text).then_some(out)
}

/// The inside of `text`'s JSON string literal; with `ascii_only`, non-ASCII as `\uXXXX`.
fn json_escaped(text: &str, ascii_only: bool) -> String {
    let json = serde_json::to_string(text).unwrap_or_default();
    let inner = json
        .get(1..json.len().saturating_sub(1))
        .unwrap_or_default();
    if !ascii_only {
        return inner.to_string();
    }
    let mut out = String::with_capacity(inner.len());
    for c in inner.chars() {
        if c.is_ascii() {
            out.push(c);
        } else {
            let mut units = [0u16; 2];
            for unit in c.encode_utf16(&mut units) {
                out.push_str(&format!("\\u{unit:04x}"));
            }
        }
    }
    out
}

/// Every string value (not key) in a JSON document.
fn json_strings<'a>(value: &'a serde_json::Value, out: &mut Vec<&'a str>) {
    match value {
        serde_json::Value::String(text) => out.push(text),
        serde_json::Value::Array(items) => items.iter().for_each(|item| json_strings(item, out)),
        serde_json::Value::Object(map) => map.values().for_each(|item| json_strings(item, out)),
        _ => {}
    }
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
    fn fields_of_a_json_secret_are_secrets_of_their_own() {
        let redactor = Redactor::new();
        let document = r#"{"username": "app", "password": "Zx9-json-field", "nested": [{"key": "c2VjcmV0LWtleS12YWx1ZQ=="}], "port": 5432}"#;
        register_secret(&redactor, document);
        assert_eq!(
            redactor.redact("pw=Zx9-json-field key=secret-key-value"),
            format!("pw={MASK} key={MASK}")
        );
        // Keys, numbers and too-short values stay readable.
        assert_eq!(
            redactor.redact("username app port 5432"),
            "username app port 5432"
        );
        // Text that only looks like JSON is registered as it is.
        register_secret(&redactor, "{not json Zx9-brace");
        assert_eq!(redactor.redact("{not json Zx9-brace"), MASK);
    }

    #[test]
    fn secrets_echoed_through_shell_escapes_stay_masked() {
        let redactor = Redactor::new();
        register_secret(&redactor, r"first-half\nsecond-half\tend");
        // dash's `echo "$SECRET"` prints two lines, the second with a real tab.
        assert_eq!(redactor.redact("x first-half"), format!("x {MASK}"));
        assert_eq!(redactor.redact("second-half\tend"), MASK);
        // `\c` stops echo's output: the prefix is all that prints.
        register_secret(&redactor, r"prefix-only\crest");
        assert_eq!(redactor.redact("got prefix-only"), format!("got {MASK}"));
        assert_eq!(echo_unescaped(r"a\0101\\b\q"), Some("aA\\b\\q".to_string()));
        assert_eq!(echo_unescaped("no escapes"), None);
    }

    #[test]
    fn shell_quoted_and_json_serialized_secrets_stay_masked() {
        let redactor = Redactor::new();
        register_secret(&redactor, r#"Zx9Pw/it's "q" \n é end"#);
        // `{{ pw | quote }}` in a shell task's `cmd`, printed as a JSON string.
        assert_eq!(
            redactor.redact(r#""cmd": "echo 'Zx9Pw/it'\"'\"'s \"q\" \\n é end'","#),
            format!(r#""cmd": "echo '{MASK}'","#)
        );
        // `{{ pw | to_json }}` printed as a JSON string: escaped twice, non-ASCII as \u.
        assert_eq!(
            redactor.redact(r#""msg": "\"Zx9Pw/it's \\\"q\\\" \\\\n \\u00e9 end\"""#),
            format!(r#""msg": "\"{MASK}\"""#)
        );
    }

    #[test]
    fn a_value_a_secret_replaces_in_a_diff_is_a_secret_too() {
        let redactor = Redactor::new();
        register_secret(&redactor, "New-Rotated-Key-42");
        let mut result = serde_json::Map::new();
        result.insert(
            "diff".into(),
            serde_json::json!([{
                "before": "[global]\nrepo1-s3-key-secret=Old-Key-From-Disk\nrepo1-path=/x\n",
                "after": "[global]\nrepo1-s3-key-secret=New-Rotated-Key-42\nrepo1-path=/y\n",
            }]),
        );
        register_replaced_secrets(&redactor, &result);
        assert_eq!(
            redactor.redact("-repo1-s3-key-secret=Old-Key-From-Disk"),
            format!("-repo1-s3-key-secret={MASK}")
        );
        // Lines changed without a secret on the new side teach nothing.
        assert_eq!(redactor.redact("repo1-path=/x"), "repo1-path=/x");
        assert_eq!(
            differing_part("pw=old-value;", "pw=new;"),
            Some("old-value")
        );
        assert_eq!(differing_part("é=ä", "é=ö"), Some("ä"));
        assert_eq!(differing_part("same", "same"), None);
    }

    #[test]
    fn short_values_are_reported_not_masked() {
        let redactor = Redactor::new();
        assert_eq!(register_secret(&redactor, "no"), Registration::TooShort);
        assert_eq!(redactor.redact("no change"), "no change");
    }
}
