//! pgBackRest's INI dialect and its `backrest-checksum`.
//!
//! Info files are INI with one JSON value per key. pgBackRest protects them with a SHA-1 over a
//! JSON rendering of every key except the checksum itself (`src/info/info.c`, `infoNewLoad`):
//! the text `{"<section>":{<json key>:<raw value>,...},...}`, one object per run of keys in the
//! same section, in file order. The section name is inserted verbatim, the key JSON-escaped, the
//! value byte-for-byte as stored. Checking it is what turns "decrypted with the wrong passphrase
//! but the padding happened to be valid" and "truncated upload" into errors instead of silently
//! wrong reports.

use sha1::{Digest, Sha1};

/// Section holding `backrest-format`, `backrest-version` and `backrest-checksum`.
pub const SECTION_BACKREST: &str = "backrest";
/// Key holding the checksum.
pub const KEY_CHECKSUM: &str = "backrest-checksum";

/// A syntax or integrity problem in an info file. `file` names the object that was read.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum IniError {
    /// A line starting with `[` that does not end with `]`.
    #[error("{file}: line {line}: section header must end with ']'")]
    UnterminatedSection {
        /// Object name.
        file: String,
        /// 1-based line number.
        line: usize,
    },
    /// A key/value line without `=`.
    #[error("{file}: line {line}: expected 'key=value'")]
    MissingEquals {
        /// Object name.
        file: String,
        /// 1-based line number.
        line: usize,
    },
    /// A line like `=value`.
    #[error("{file}: line {line}: key is empty")]
    EmptyKey {
        /// Object name.
        file: String,
        /// 1-based line number.
        line: usize,
    },
    /// A key before the first `[section]`.
    #[error("{file}: line {line}: key/value found outside of a section")]
    OutsideSection {
        /// Object name.
        file: String,
        /// 1-based line number.
        line: usize,
    },
    /// `[backrest] backrest-checksum` is absent.
    #[error("{file}: no [backrest] backrest-checksum found (computed {actual})")]
    ChecksumMissing {
        /// Object name.
        file: String,
        /// The checksum computed over the content.
        actual: String,
    },
    /// The stored checksum does not match the content.
    #[error(
        "{file}: checksum mismatch: content hashes to {actual} but backrest-checksum says {expected} (corrupt file, or decrypted with the wrong passphrase)"
    )]
    ChecksumMismatch {
        /// Object name.
        file: String,
        /// The checksum computed over the content.
        actual: String,
        /// The checksum stored in the file.
        expected: String,
    },
    /// The checksum value is not a JSON string.
    #[error("{file}: backrest-checksum is not a JSON string: {value}")]
    ChecksumNotString {
        /// Object name.
        file: String,
        /// The raw value.
        value: String,
    },
}

/// One `key=value` line, with the section it belongs to. `value` is the raw JSON text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IniEntry {
    /// Section name without brackets.
    pub section: String,
    /// Key, trimmed.
    pub key: String,
    /// Raw value text (JSON in info files), trimmed.
    pub value: String,
    /// 1-based line number, for error messages.
    pub line: usize,
}

/// A parsed info file: entries in file order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IniFile {
    /// Object name used in error messages.
    pub file: String,
    /// All key/value entries in file order.
    pub entries: Vec<IniEntry>,
}

impl IniFile {
    /// Parse `text`. `file` is only used to name the object in errors.
    pub fn parse(text: &str, file: &str) -> Result<Self, IniError> {
        let mut entries = Vec::new();
        let mut section: Option<String> = None;
        for (idx, raw) in text.lines().enumerate() {
            let line_no = idx + 1;
            let line = raw.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            if let Some(rest) = line.strip_prefix('[') {
                let name = rest
                    .strip_suffix(']')
                    .ok_or_else(|| IniError::UnterminatedSection {
                        file: file.to_owned(),
                        line: line_no,
                    })?;
                section = Some(name.to_owned());
                continue;
            }
            let (key, value) = line
                .split_once('=')
                .ok_or_else(|| IniError::MissingEquals {
                    file: file.to_owned(),
                    line: line_no,
                })?;
            let key = key.trim();
            if key.is_empty() {
                return Err(IniError::EmptyKey {
                    file: file.to_owned(),
                    line: line_no,
                });
            }
            let section = section.clone().ok_or_else(|| IniError::OutsideSection {
                file: file.to_owned(),
                line: line_no,
            })?;
            entries.push(IniEntry {
                section,
                key: key.to_owned(),
                value: value.trim().to_owned(),
                line: line_no,
            });
        }
        Ok(Self {
            file: file.to_owned(),
            entries,
        })
    }

    /// The first value of `key` in `section`.
    pub fn get(&self, section: &str, key: &str) -> Option<&IniEntry> {
        self.entries
            .iter()
            .find(|e| e.section == section && e.key == key)
    }

    /// All entries of `section`, in file order.
    pub fn section<'a>(&'a self, section: &'a str) -> impl Iterator<Item = &'a IniEntry> + 'a {
        self.entries.iter().filter(move |e| e.section == section)
    }

    /// The SHA-1 pgBackRest computes over the content (hex, lower case).
    pub fn computed_checksum(&self) -> String {
        let mut h = Sha1::new();
        h.update(b"{");
        let mut last: Option<&str> = None;
        for e in &self.entries {
            if e.section == SECTION_BACKREST && e.key == KEY_CHECKSUM {
                continue;
            }
            if last != Some(e.section.as_str()) {
                if last.is_some() {
                    h.update(b"},");
                }
                h.update(b"\"");
                h.update(e.section.as_bytes());
                h.update(b"\":{");
                last = Some(e.section.as_str());
            } else {
                h.update(b",");
            }
            h.update(json_string(&e.key).as_bytes());
            h.update(b":");
            h.update(e.value.as_bytes());
        }
        h.update(b"}}");
        hex::encode(h.finalize())
    }

    /// Check `[backrest] backrest-checksum` against the content.
    pub fn verify_checksum(&self) -> Result<(), IniError> {
        let actual = self.computed_checksum();
        let entry =
            self.get(SECTION_BACKREST, KEY_CHECKSUM)
                .ok_or_else(|| IniError::ChecksumMissing {
                    file: self.file.clone(),
                    actual: actual.clone(),
                })?;
        let expected: String =
            serde_json::from_str(&entry.value).map_err(|_| IniError::ChecksumNotString {
                file: self.file.clone(),
                value: entry.value.clone(),
            })?;
        if expected != actual {
            return Err(IniError::ChecksumMismatch {
                file: self.file.clone(),
                actual,
                expected,
            });
        }
        Ok(())
    }
}

/// JSON string rendering as pgBackRest's `jsonFromVar` does it: `"` and `\` escaped, the usual
/// short escapes for control characters, `\u00XX` for the rest, everything else verbatim.
fn json_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{08}' => out.push_str("\\b"),
            '\u{0c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn syntax_errors_name_file_and_line() {
        assert_eq!(
            IniFile::parse("[backrest\n", "x.info"),
            Err(IniError::UnterminatedSection {
                file: "x.info".into(),
                line: 1
            })
        );
        assert_eq!(
            IniFile::parse("[a]\nnovalue\n", "x.info"),
            Err(IniError::MissingEquals {
                file: "x.info".into(),
                line: 2
            })
        );
        assert_eq!(
            IniFile::parse("[a]\n=1\n", "x.info"),
            Err(IniError::EmptyKey {
                file: "x.info".into(),
                line: 2
            })
        );
        assert_eq!(
            IniFile::parse("k=1\n", "x.info"),
            Err(IniError::OutsideSection {
                file: "x.info".into(),
                line: 1
            })
        );
    }

    #[test]
    fn value_keeps_equals_signs() {
        let ini = IniFile::parse("[cipher]\ncipher-pass=\"a=b==\"\n", "f").unwrap();
        assert_eq!(ini.get("cipher", "cipher-pass").unwrap().value, "\"a=b==\"");
    }

    #[test]
    fn missing_checksum_is_an_error() {
        let ini = IniFile::parse("[backrest]\nbackrest-format=5\n", "f").unwrap();
        assert!(matches!(
            ini.verify_checksum(),
            Err(IniError::ChecksumMissing { .. })
        ));
    }

    #[test]
    fn json_escaping() {
        assert_eq!(json_string("a\"b\\c\n\u{1}"), "\"a\\\"b\\\\c\\n\\u0001\"");
    }
}
