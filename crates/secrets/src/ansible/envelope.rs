//! The text envelope around Ansible Vault ciphertext.
//!
//! Ansible writes `$ANSIBLE_VAULT;<version>;<cipher>[;<vault-id>]`, a newline,
//! then the (doubly) hexlified payload split into 80-column lines and a
//! trailing newline. This module only parses and formats that envelope; the
//! cryptography lives in [`super::cipher`]. Parsing is stricter than Ansible's
//! (it validates hex and the header shape up front) so that tampered or
//! truncated files fail with a precise message instead of a generic one.

use super::AnsibleVaultError;

/// The magic prefix of every Ansible Vault payload.
pub const HEADER: &str = "$ANSIBLE_VAULT";

/// The only cipher Ansible has ever written for format 1.1/1.2.
pub const CIPHER_AES256: &str = "AES256";

/// Width of the hex lines Ansible writes.
const LINE_WIDTH: usize = 80;

/// A parsed envelope: header fields plus the still-hexlified body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Envelope {
    /// Format version, `1.1` or `1.2`.
    pub version: String,
    /// Cipher name; only `AES256` is supported.
    pub cipher: String,
    /// Vault id label from a 1.2 header.
    pub vault_id: Option<String>,
    /// The hexlified body with all line breaks and whitespace removed.
    pub body: String,
}

/// Whether `text` starts like Ansible Vault data (leading whitespace allowed,
/// as inline YAML values are often indented).
pub fn is_ansible_vault(text: &str) -> bool {
    text.trim_start().starts_with(HEADER)
}

/// Parses a vault envelope (a whole file or the dedented body of a `!vault`
/// scalar).
pub fn parse(text: &str) -> Result<Envelope, AnsibleVaultError> {
    let text = text.trim();
    let mut lines = text.lines();
    let header = lines.next().unwrap_or_default().trim();
    let parts: Vec<&str> = header.split(';').map(str::trim).collect();
    let (magic, version, cipher) = match parts.as_slice() {
        [magic, version, cipher, ..] => (*magic, *version, *cipher),
        _ => {
            return Err(AnsibleVaultError::Format(format!(
                "header {:?} is not `$ANSIBLE_VAULT;<version>;<cipher>`",
                truncate(header)
            )));
        }
    };
    if magic != HEADER {
        return Err(AnsibleVaultError::Format(
            "missing `$ANSIBLE_VAULT` header".to_owned(),
        ));
    }
    if version != "1.1" && version != "1.2" {
        return Err(AnsibleVaultError::UnsupportedVersion(version.to_owned()));
    }
    if cipher != CIPHER_AES256 {
        return Err(AnsibleVaultError::UnsupportedCipher(cipher.to_owned()));
    }
    if parts.len() > 4 {
        return Err(AnsibleVaultError::Format(format!(
            "header has {} `;`-separated fields, expected at most 4",
            parts.len()
        )));
    }
    let vault_id = parts
        .get(3)
        .filter(|label| !label.is_empty())
        .map(|label| (*label).to_owned());
    let mut body = String::with_capacity(text.len());
    for line in lines {
        body.extend(line.chars().filter(|c| !c.is_whitespace()));
    }
    if body.is_empty() {
        return Err(AnsibleVaultError::Format(
            "no ciphertext after the header".to_owned(),
        ));
    }
    if let Some(bad) = body.chars().find(|c| !c.is_ascii_hexdigit()) {
        return Err(AnsibleVaultError::Format(format!(
            "ciphertext contains non-hex character {bad:?}"
        )));
    }
    Ok(Envelope {
        version: version.to_owned(),
        cipher: cipher.to_owned(),
        vault_id,
        body,
    })
}

/// Formats a hexlified body exactly like `ansible-vault` does: version 1.2
/// with the label when a vault id other than `default` is given, 1.1
/// otherwise; 80-column lines; trailing newline.
pub fn format(body_hex: &str, vault_id: Option<&str>) -> String {
    let mut out = String::with_capacity(body_hex.len() + body_hex.len() / LINE_WIDTH + 64);
    out.push_str(HEADER);
    match vault_id.filter(|id| !id.is_empty() && *id != super::DEFAULT_VAULT_ID) {
        Some(id) => {
            out.push_str(";1.2;");
            out.push_str(CIPHER_AES256);
            out.push(';');
            out.push_str(id);
        }
        None => {
            out.push_str(";1.1;");
            out.push_str(CIPHER_AES256);
        }
    }
    out.push('\n');
    // The body is ASCII hex, so byte chunks are char boundaries.
    for chunk in body_hex.as_bytes().chunks(LINE_WIDTH) {
        out.push_str(&String::from_utf8_lossy(chunk));
        out.push('\n');
    }
    out
}

fn truncate(s: &str) -> String {
    s.chars().take(60).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_labelled_header_and_joins_lines() {
        let env = parse("  $ANSIBLE_VAULT;1.2;AES256;prod\n  6162\n  6364\n").unwrap();
        assert_eq!(env.version, "1.2");
        assert_eq!(env.vault_id.as_deref(), Some("prod"));
        assert_eq!(env.body, "61626364");
    }

    #[test]
    fn rejects_bad_headers() {
        assert!(matches!(
            parse("$ANSIBLE_VAULT;1.0;AES\nab"),
            Err(AnsibleVaultError::UnsupportedVersion(_))
        ));
        assert!(matches!(
            parse("$ANSIBLE_VAULT;1.1;AES128\nab"),
            Err(AnsibleVaultError::UnsupportedCipher(_))
        ));
        assert!(matches!(
            parse("$ANSIBLE_VAULT;1.1;AES256\n"),
            Err(AnsibleVaultError::Format(_))
        ));
        assert!(matches!(
            parse("$ANSIBLE_VAULT;1.1;AES256\nzz"),
            Err(AnsibleVaultError::Format(_))
        ));
        assert!(matches!(parse(""), Err(AnsibleVaultError::Format(_))));
        assert!(matches!(parse("hello"), Err(AnsibleVaultError::Format(_))));
    }

    #[test]
    fn format_wraps_at_80_and_picks_version() {
        let body = "a".repeat(170);
        let out = format(&body, None);
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines[0], "$ANSIBLE_VAULT;1.1;AES256");
        assert_eq!(lines[1].len(), 80);
        assert_eq!(lines[3].len(), 10);
        assert!(out.ends_with('\n'));
        assert!(format(&body, Some("default")).starts_with("$ANSIBLE_VAULT;1.1;AES256\n"));
        assert!(format(&body, Some("dev")).starts_with("$ANSIBLE_VAULT;1.2;AES256;dev\n"));
    }
}
