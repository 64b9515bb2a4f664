//! Output-side secret redaction.
//!
//! Every value that came from a vault, a secret lookup or a `no_log` task is
//! registered here, and every sink (console, JSON output, diffs, errors,
//! logs) passes its text through [`Redactor::redact`]. A secret is caught
//! not only verbatim but in the encodings it typically takes on its way into
//! Kubernetes objects and structured output:
//!
//! * its JSON-escaped form (quotes, backslashes, control characters, and
//!   non-ASCII as `\uXXXX`);
//! * standard and URL-safe base64, at all three byte alignments: the
//!   characters of `base64(prefix ‖ secret ‖ suffix)` that depend only on the
//!   secret's bytes are the same whatever the prefix length mod 3 is, so a
//!   secret embedded anywhere in a longer blob (e.g. an `s3.conf` Secret
//!   body in `data:`) is still found — up to two boundary characters per side
//!   are left, which carry at most 4 bits of the secret each;
//! * its percent-encoded forms (a password inside a `postgres://` URI or a
//!   query string: RFC 3986 unreserved set, with and without `/` kept, and
//!   the form encoding with `+` for spaces) and its YAML single-quoted form;
//! * each line of a multi-line secret (PEM keys) separately, since output is
//!   redacted line by line.
//!
//! Matching uses one Aho–Corasick automaton over all patterns; patterns
//! registered since the last build are matched directly until there are
//! enough of them to justify a rebuild, so registering secrets while output
//! streams stays cheap. Overlapping matches are merged so that two
//! overlapping secrets never leave a fragment of either visible.
//!
//! **Short-secret policy**: patterns shorter than [`MIN_SECRET_LEN`] (4)
//! bytes are not redacted — masking every `a` or `no` in the output would
//! make it unreadable and would itself leak where the secret occurs. Such
//! registrations are reported by [`Redactor::add`] as
//! [`Registration::TooShort`] so the caller can warn. Encoded variants
//! shorter than [`MIN_ENCODED_LEN`] are skipped for the same reason.
//! Plain surrounding whitespace is trimmed before registration (password
//! files end in newlines).

use std::borrow::Cow;
use std::collections::BTreeSet;
use std::sync::RwLock;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
use zeroize::Zeroizing;

use crate::secret::{MASK, SecretString};

/// Secrets shorter than this (in bytes, after trimming) are not redacted.
pub const MIN_SECRET_LEN: usize = 4;
/// Encoded fragments shorter than this are not used as patterns.
pub const MIN_ENCODED_LEN: usize = 6;

/// What [`Redactor::add`] did with a secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Registration {
    /// Registered (possibly already known).
    Registered,
    /// Too short to redact safely; not registered.
    TooShort,
}

/// A pattern string wiped from memory when dropped.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Pattern(String);

/// Patterns added since the last automaton build are matched naively until
/// there are this many; then the automaton is rebuilt. Keeps interleaved
/// add/redact sequences (secrets registered while output streams) from
/// rebuilding the automaton on every line.
const PENDING_LIMIT: usize = 64;

impl Drop for Pattern {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.0);
    }
}

#[derive(Default)]
struct Inner {
    patterns: BTreeSet<Pattern>,
    secrets: usize,
    automaton: Option<AhoCorasick>,
    /// Patterns not yet in the automaton, matched naively.
    pending: Vec<Pattern>,
    /// Set when the automaton could not be built: match every pattern
    /// naively instead of failing open.
    naive: bool,
}

/// A thread-safe set of secrets and the matcher over them.
#[derive(Default)]
pub struct Redactor {
    inner: RwLock<Inner>,
}

impl std::fmt::Debug for Redactor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (secrets, patterns) = self
            .inner
            .read()
            .map(|i| (i.secrets, i.patterns.len()))
            .unwrap_or((0, 0));
        f.debug_struct("Redactor")
            .field("secrets", &secrets)
            .field("patterns", &patterns)
            .finish()
    }
}

impl Redactor {
    /// An empty redactor (redacts nothing).
    pub fn new() -> Self {
        Self::default()
    }

    /// Registers a secret string and its encodings.
    pub fn add(&self, secret: &str) -> Registration {
        let trimmed = secret.trim();
        if trimmed.len() < MIN_SECRET_LEN {
            return Registration::TooShort;
        }
        let mut new = Vec::new();
        variants(trimmed, &mut new);
        if trimmed.contains('\n') {
            for line in trimmed.lines() {
                let line = line.trim();
                if line.len() >= MIN_SECRET_LEN {
                    variants(line, &mut new);
                }
            }
        }
        let mut inner = match self.inner.write() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        };
        inner.secrets += 1;
        for p in new {
            if !inner.patterns.contains(&p) {
                inner.pending.push(p.clone());
                inner.patterns.insert(p);
            }
        }
        Registration::Registered
    }

    /// Registers a [`SecretString`].
    pub fn add_secret(&self, secret: &SecretString) -> Registration {
        self.add(secret.expose())
    }

    /// Number of secrets registered (not counting too-short ones).
    pub fn len(&self) -> usize {
        self.inner.read().map(|i| i.secrets).unwrap_or(0)
    }

    /// Whether nothing is registered.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Replaces every occurrence of any registered secret (or its encodings)
    /// with `********`. Borrows when nothing matched.
    pub fn redact<'a>(&self, text: &'a str) -> Cow<'a, str> {
        self.ensure_built();
        let inner = match self.inner.read() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        };
        // Collect overlapping matches (reported by end position, so starts
        // are not monotonic), then sort and merge them into disjoint ranges.
        let naive = |p: &Pattern| {
            text.match_indices(p.0.as_str())
                .map(|(i, m)| (i, i + m.len()))
                .collect::<Vec<_>>()
        };
        let mut ranges: Vec<(usize, usize)> = match &inner.automaton {
            Some(ac) => ac
                .find_overlapping_iter(text)
                .map(|m| (m.start(), m.end()))
                .collect(),
            None if inner.naive => inner.patterns.iter().flat_map(naive).collect(),
            None => Vec::new(),
        };
        ranges.extend(inner.pending.iter().flat_map(naive));
        if ranges.is_empty() {
            return Cow::Borrowed(text);
        }
        ranges.sort_unstable();
        let mut merged: Vec<(usize, usize)> = Vec::with_capacity(ranges.len());
        for (s, e) in ranges {
            match merged.last_mut() {
                Some(last) if s <= last.1 => last.1 = last.1.max(e),
                _ => merged.push((s, e)),
            }
        }
        let mut out = String::with_capacity(text.len());
        let mut pos = 0;
        for (s, e) in merged {
            // Patterns are valid UTF-8, so match bounds are char boundaries.
            out.push_str(text.get(pos..s).unwrap_or(""));
            out.push_str(MASK);
            pos = e;
        }
        out.push_str(text.get(pos..).unwrap_or(""));
        Cow::Owned(out)
    }

    fn ensure_built(&self) {
        let needs = self
            .inner
            .read()
            .map(|i| i.pending.len() > PENDING_LIMIT)
            .unwrap_or(false);
        if !needs {
            return;
        }
        let mut inner = match self.inner.write() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        };
        if inner.pending.len() <= PENDING_LIMIT {
            return;
        }
        let pats: Vec<&str> = inner.patterns.iter().map(|p| p.0.as_str()).collect();
        // Standard match kind is required for overlapping search. Building
        // only fails on absurd sizes; then fall back to naive matching
        // rather than panic or stop redacting.
        let built = AhoCorasickBuilder::new()
            .match_kind(MatchKind::Standard)
            .build(&pats)
            .ok();
        inner.naive = built.is_none();
        inner.automaton = built;
        inner.pending.clear();
    }
}

/// Adds `s` and its encoded forms to `out`.
fn variants(s: &str, out: &mut Vec<Pattern>) {
    let mut push = |p: String, min: usize| {
        if p.len() >= min {
            out.push(Pattern(p));
        }
    };
    push(s.to_owned(), MIN_SECRET_LEN);
    for ascii_only in [false, true] {
        let json = json_escape(s, ascii_only);
        if json != s {
            push(json, MIN_SECRET_LEN);
        }
    }
    if s.contains('\'') {
        push(s.replace('\'', "''"), MIN_SECRET_LEN);
    }
    for (keep_slash, plus_for_space) in [(false, false), (true, false), (false, true)] {
        let enc = percent_encode(s, keep_slash, plus_for_space);
        if enc != s {
            push(enc, MIN_SECRET_LEN);
        }
    }
    let bytes = s.as_bytes();
    for engine in [&STANDARD, &URL_SAFE] {
        // The complete encodings (padded and unpadded) of the secret alone.
        push(engine.encode(bytes), MIN_ENCODED_LEN);
    }
    for engine in [&STANDARD_NO_PAD, &URL_SAFE_NO_PAD] {
        push(engine.encode(bytes), MIN_ENCODED_LEN);
        // Embedded at offset k (mod 3) inside a longer blob: keep only the
        // characters whose 6 bits all come from the secret.
        for k in 0..3usize {
            let mut buf = Zeroizing::new(vec![0u8; k]);
            buf.extend_from_slice(bytes);
            let enc = Zeroizing::new(engine.encode(buf.as_slice()));
            let start = (8 * k).div_ceil(6);
            let end = (8 * (k + bytes.len())) / 6;
            if let Some(frag) = enc.get(start..end) {
                push(frag.to_owned(), MIN_ENCODED_LEN);
            }
        }
    }
}

/// Percent-encoding (uppercase hex) of everything outside RFC 3986's
/// unreserved set, as Python's `quote`/`quote_plus` and Jinja's `urlencode`
/// produce it.
fn percent_encode(s: &str, keep_slash: bool, plus_for_space: bool) -> String {
    let mut out = String::with_capacity(s.len() * 3);
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                out.push(char::from(b));
            }
            b'/' if keep_slash => out.push('/'),
            b' ' if plus_for_space => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// JSON string escaping as serde_json produces it, or (with `ascii_only`)
/// as Python's `json.dumps` does by default (`ensure_ascii`: non-ASCII as
/// lowercase `\uXXXX`, surrogate pairs above the BMP).
fn json_escape(s: &str, ascii_only: bool) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{08}' => out.push_str("\\b"),
            '\u{0c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c if ascii_only && !c.is_ascii() => {
                let mut units = [0u16; 2];
                for u in c.encode_utf16(&mut units) {
                    out.push_str(&format!("\\u{u:04x}"));
                }
            }
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn red(secrets: &[&str], text: &str) -> String {
        let r = Redactor::new();
        for s in secrets {
            r.add(s);
        }
        r.redact(text).into_owned()
    }

    #[test]
    fn plain_json_and_lines() {
        assert_eq!(red(&["hunter22"], "pw=hunter22;x"), "pw=********;x");
        assert_eq!(
            red(&["a\"b\\c\nd"], r#"{"v":"a\"b\\c\nd"}"#),
            r#"{"v":"********"}"#
        );
        assert_eq!(
            red(&["pässwörd"], r#""p\u00e4ssw\u00f6rd""#),
            r#""********""#
        );
        let pem = "-----BEGIN KEY-----\nAAAABBBBCCCC\n-----END KEY-----\n";
        assert_eq!(red(&[pem], "  AAAABBBBCCCC"), "  ********");
        let r = Redactor::new();
        assert!(matches!(r.redact("untouched"), Cow::Borrowed(_)));
    }

    #[test]
    fn url_and_yaml_quoted_forms() {
        let pw = "p@ss/w0rd it's";
        assert_eq!(
            red(&[pw], "postgres://app:p%40ss%2Fw0rd%20it%27s@db:5432/app"),
            "postgres://app:********@db:5432/app"
        );
        assert_eq!(red(&[pw], "q=p%40ss%2Fw0rd+it%27s&x=1"), "q=********&x=1");
        assert_eq!(
            red(&[pw], "password: 'p@ss/w0rd it''s'"),
            "password: '********'"
        );
    }

    #[test]
    fn short_secrets_are_refused() {
        let r = Redactor::new();
        assert_eq!(r.add("abc"), Registration::TooShort);
        assert_eq!(r.add("  ab \n"), Registration::TooShort);
        assert_eq!(r.redact("abc abc"), "abc abc");
        assert!(r.is_empty());
    }

    #[test]
    fn overlapping_secrets_leave_no_fragment() {
        assert_eq!(red(&["abcdef", "defghi"], "xabcdefghiy"), "x********y");
        assert_eq!(red(&["secretval", "cretv"], "1secretval2"), "1********2");
    }

    #[test]
    fn base64_at_every_alignment() {
        let secret = "S3cr3t-Passw0rd/with+stuff";
        for engine in [&STANDARD, &URL_SAFE] {
            for prefix in ["", "a", "ab", "abc", "[global]\naccess_key=", "xyz123\n"] {
                for suffix in ["", "!", "\nmore text after the secret"] {
                    let blob = engine.encode(format!("{prefix}{secret}{suffix}"));
                    let out = red(&[secret], &blob);
                    assert!(out.contains(MASK), "{prefix:?}{suffix:?}: {out}");
                    // At most 2 boundary chars of the secret's encoding may
                    // remain on each side: the surviving text must be short.
                    let left = out.replace(MASK, "");
                    let budget = engine.encode(prefix).len() + engine.encode(suffix).len() + 8;
                    assert!(left.len() <= budget, "{prefix:?}{suffix:?}: {out}");
                }
            }
        }
        // Whole-blob encoding is fully masked, padding included.
        assert_eq!(red(&[secret], &STANDARD.encode(secret)), MASK);
    }

    #[test]
    fn interleaved_adds_use_pending_then_rebuild() {
        let r = Redactor::new();
        for i in 0..300 {
            r.add(&format!("streamed-secret-{i:04}"));
            // Each secret is caught immediately, before and after rebuilds.
            assert_eq!(
                r.redact(&format!("v=streamed-secret-{i:04};")),
                "v=********;"
            );
            assert_eq!(r.redact("v=streamed-secret-0000;"), "v=********;");
        }
        let inner = r.inner.read().unwrap();
        assert!(inner.automaton.is_some() && inner.pending.len() <= PENDING_LIMIT);
    }

    #[test]
    fn many_secrets() {
        let r = Redactor::new();
        for i in 0..2000 {
            r.add(&format!("secret-value-{i:05}"));
        }
        let line = "a secret-value-01234 and secret-value-00007 end";
        assert_eq!(r.redact(line), "a ******** and ******** end");
        r.add("late-added-secret");
        assert_eq!(r.redact("x late-added-secret"), "x ********");
    }
}
