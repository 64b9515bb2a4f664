//! Encrypted values embedded in YAML text (`key: !vault |` / `key: !age |`).
//!
//! The engine's YAML loader resolves tags itself; this module exists for the
//! operations that must *rewrite* a vars file while keeping everything else
//! byte-for-byte (comments, key order, quoting): `migrate` swaps each
//! `!vault` block for an `!age` block, and tools can list what a file holds.
//! It is a line scanner for block scalars, not a YAML parser: it recognises
//! `[- ][key:] !tag |` / `>` headers (with chomping/indentation indicators and
//! trailing comments), treats every more-indented or blank line after them as
//! the scalar's content, and never looks for tags inside another block
//! scalar. Flow-style (`!vault "…"`) values are not recognised.

use std::ops::Range;

/// The two encrypted-value tags.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InlineTag {
    /// `!vault` (Ansible Vault).
    Vault,
    /// `!age` (age armor).
    Age,
}

impl InlineTag {
    /// The tag as written in YAML.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Vault => "!vault",
            Self::Age => "!age",
        }
    }

    fn from_token(t: &str) -> Option<Self> {
        match t {
            "!vault" => Some(Self::Vault),
            "!age" => Some(Self::Age),
            _ => None,
        }
    }
}

/// One tagged block scalar found in YAML text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InlineValue {
    /// Which tag.
    pub tag: InlineTag,
    /// The mapping key, when the value belongs to one (`None` in sequences).
    pub key: Option<String>,
    /// 1-based line of the header (`key: !tag |`).
    pub line: usize,
    /// Byte range of `!tag |…` in the header line (up to the indicator).
    pub header_range: Range<usize>,
    /// Byte range of the content lines (start of first content line to the
    /// end of the last non-blank content line, including its newline).
    pub body_range: Range<usize>,
    /// Column of the content lines.
    pub indent: usize,
    /// The dedented content, one `\n` after each line.
    pub body: String,
}

struct Line<'a> {
    start: usize,
    /// Without the line terminator.
    text: &'a str,
    /// Start of the next line.
    end: usize,
}

fn lines(text: &str) -> Vec<Line<'_>> {
    let mut out = Vec::new();
    let mut start = 0;
    for raw in text.split_inclusive('\n') {
        let end = start + raw.len();
        let body = raw.strip_suffix('\n').unwrap_or(raw);
        let body = body.strip_suffix('\r').unwrap_or(body);
        out.push(Line {
            start,
            text: body,
            end,
        });
        start = end;
    }
    out
}

fn indent_of(s: &str) -> usize {
    s.len() - s.trim_start_matches(' ').len()
}

/// A parsed block scalar header.
struct Header<'a> {
    tag: Option<(&'a str, Range<usize>)>,
    indicator_end: usize,
    explicit_indent: Option<usize>,
    parent_col: usize,
    key: Option<String>,
}

fn is_indicator(t: &str) -> Option<Option<usize>> {
    let mut chars = t.chars();
    if !matches!(chars.next(), Some('|' | '>')) {
        return None;
    }
    let rest: Vec<char> = chars.collect();
    if rest.len() > 2 {
        return None;
    }
    let mut digit = None;
    for c in rest {
        match c {
            '+' | '-' => {}
            '1'..='9' => digit = Some(c as usize - '0' as usize),
            _ => return None,
        }
    }
    Some(digit)
}

/// Strips a trailing ` # comment` (YAML comments need preceding whitespace).
fn strip_comment(s: &str) -> &str {
    let bytes = s.as_bytes();
    for (i, b) in bytes.iter().enumerate() {
        if *b == b'#' && (i == 0 || bytes[i - 1] == b' ' || bytes[i - 1] == b'\t') {
            return &s[..i];
        }
    }
    s
}

fn parse_header(line: &str) -> Option<Header<'_>> {
    let indent = indent_of(line);
    let content = strip_comment(line).trim_end();
    if content.len() <= indent {
        return None;
    }
    let ind_start = content.rfind([' ', '\t']).map_or(indent, |i| i + 1);
    let ind_tok = &content[ind_start..];
    let explicit = is_indicator(ind_tok)?;
    let mut rest = content[..ind_start].trim_end();
    let mut tag = None;
    let tag_start = rest.rfind([' ', '\t']).map_or(indent, |i| i + 1);
    if tag_start <= rest.len() && rest[tag_start..].starts_with('!') {
        tag = Some((&rest[tag_start..], tag_start..rest.len()));
        rest = rest[..tag_start].trim_end();
    }
    let prefix = &rest[indent.min(rest.len())..];
    // Column of the node that owns the scalar: after any `- ` markers.
    let mut parent_col = indent;
    let mut p = prefix;
    while let Some(after) = p.strip_prefix('-') {
        if after.is_empty() || after.starts_with(' ') {
            let skipped = p.len() - after.trim_start().len();
            parent_col += skipped;
            p = after.trim_start();
        } else {
            break;
        }
    }
    let key = if p.is_empty() {
        // A sequence entry (`- !vault |`) or a top-level scalar: content
        // only has to be indented more than the dash.
        parent_col = indent;
        None
    } else if let Some(k) = p.strip_suffix(':') {
        let k = k.trim();
        let k = k
            .strip_prefix('"')
            .and_then(|k| k.strip_suffix('"'))
            .or_else(|| k.strip_prefix('\'').and_then(|k| k.strip_suffix('\'')))
            .unwrap_or(k);
        Some(k.to_owned())
    } else {
        return None;
    };
    Some(Header {
        tag,
        indicator_end: content.len(),
        explicit_indent: explicit.map(|d| parent_col + d),
        parent_col,
        key,
    })
}

/// Finds every `!vault`/`!age` block scalar in `yaml`.
pub fn find_inline_values(yaml: &str) -> Vec<InlineValue> {
    let lines = lines(yaml);
    let mut out = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let line = &lines[i];
        let t = line.text.trim_start();
        if t.is_empty() || t.starts_with('#') {
            i += 1;
            continue;
        }
        let Some(h) = parse_header(line.text) else {
            i += 1;
            continue;
        };
        // Collect the scalar's content lines.
        let mut j = i + 1;
        let mut last_nonblank = None;
        let mut first_indent = None;
        while let Some(l) = lines.get(j) {
            if l.text.trim().is_empty() {
                j += 1;
                continue;
            }
            let ind = indent_of(l.text);
            if ind <= h.parent_col {
                break;
            }
            first_indent.get_or_insert(ind);
            last_nonblank = Some(j);
            j += 1;
        }
        let next = last_nonblank.map_or(i + 1, |k| k + 1);
        if let (Some((tok, range)), Some(last)) = (&h.tag, last_nonblank) {
            if let Some(tag) = InlineTag::from_token(tok) {
                let indent = h
                    .explicit_indent
                    .or(first_indent)
                    .unwrap_or(h.parent_col + 1);
                let mut body = String::new();
                for l in &lines[i + 1..=last] {
                    body.push_str(l.text.get(indent..).unwrap_or("").trim_end());
                    body.push('\n');
                }
                out.push(InlineValue {
                    tag,
                    key: h.key.clone(),
                    line: i + 1,
                    header_range: line.start + range.start..line.start + h.indicator_end,
                    body_range: lines[i + 1].start..lines[last].end,
                    indent,
                    body,
                });
            }
        }
        i = next;
    }
    out
}

/// Rewrites selected tagged values. `f` returns `Some((tag, new_body))` to
/// replace a value (the body is re-indented at the value's column and
/// written as a `|` literal block) or `None` to keep it.
pub fn rewrite_inline_values<E>(
    yaml: &str,
    mut f: impl FnMut(&InlineValue) -> Result<Option<(InlineTag, String)>, E>,
) -> Result<(String, usize), E> {
    let values = find_inline_values(yaml);
    let mut out = String::with_capacity(yaml.len() * 2);
    let mut pos = 0;
    let mut changed = 0;
    for v in &values {
        let Some((tag, new_body)) = f(v)? else {
            continue;
        };
        out.push_str(&yaml[pos..v.header_range.start]);
        out.push_str(tag.as_str());
        out.push_str(" |");
        out.push_str(&yaml[v.header_range.end..v.body_range.start]);
        let pad = " ".repeat(v.indent);
        for l in new_body.lines() {
            if !l.is_empty() {
                out.push_str(&pad);
                out.push_str(l);
            }
            out.push('\n');
        }
        pos = v.body_range.end;
        changed += 1;
    }
    out.push_str(&yaml[pos..]);
    Ok((out, changed))
}

/// Formats a `name: !age |` snippet (or a bare `!age |` block when `name`
/// is `None`), indented by two spaces, as `encrypt-string` prints it.
pub fn format_tagged_block(name: Option<&str>, tag: InlineTag, body: &str) -> String {
    let mut out = String::new();
    if let Some(n) = name {
        out.push_str(&yaml_key(n));
        out.push_str(": ");
    }
    out.push_str(tag.as_str());
    out.push_str(" |\n");
    for l in body.lines() {
        out.push_str("  ");
        out.push_str(l);
        out.push('\n');
    }
    out
}

fn yaml_key(k: &str) -> String {
    let plain = !k.is_empty()
        && k.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
        && !k.starts_with(['-', '.']);
    if plain {
        k.to_owned()
    } else {
        format!("'{}'", k.replace('\'', "''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = "\
# top comment
plain: value
db_password: !vault |   # from ansible-vault
          $ANSIBLE_VAULT;1.1;AES256
          6162
          6364

nested:
  - name: x
    token: !age |-
      -----BEGIN AGE ENCRYPTED FILE-----
      YWJj
      -----END AGE ENCRYPTED FILE-----
  - !vault |
    $ANSIBLE_VAULT;1.2;AES256;prod
    6566
text: |
  not: !vault |
    inside another scalar
'quoted key': !vault |
  $ANSIBLE_VAULT;1.1;AES256
  6768
last: 1
";

    #[test]
    fn finds_tagged_block_scalars() {
        let v = find_inline_values(DOC);
        let summary: Vec<_> = v
            .iter()
            .map(|v| (v.tag, v.key.as_deref(), v.line, v.indent))
            .collect();
        assert_eq!(
            summary,
            vec![
                (InlineTag::Vault, Some("db_password"), 3, 10),
                (InlineTag::Age, Some("token"), 10, 6),
                (InlineTag::Vault, None, 14, 4),
                (InlineTag::Vault, Some("quoted key"), 20, 2),
            ]
        );
        assert_eq!(v[0].body, "$ANSIBLE_VAULT;1.1;AES256\n6162\n6364\n");
        assert_eq!(
            v[1].body,
            "-----BEGIN AGE ENCRYPTED FILE-----\nYWJj\n-----END AGE ENCRYPTED FILE-----\n"
        );
        assert_eq!(&DOC[v[0].header_range.clone()], "!vault |");
    }

    #[test]
    fn rewrite_keeps_everything_else() {
        let (out, n) = rewrite_inline_values::<()>(DOC, |v| {
            Ok((v.tag == InlineTag::Vault).then(|| (InlineTag::Age, "NEW1\nNEW2\n".to_owned())))
        })
        .unwrap();
        assert_eq!(n, 3);
        assert!(out.contains(
            "db_password: !age |   # from ansible-vault\n          NEW1\n          NEW2\n\nnested:"
        ));
        assert!(out.contains("  - !age |\n    NEW1\n    NEW2\ntext: |\n  not: !vault |\n"));
        assert!(out.ends_with("'quoted key': !age |\n  NEW1\n  NEW2\nlast: 1\n"));
        // The untouched !age value is byte-identical.
        assert!(out.contains(
            "    token: !age |-\n      -----BEGIN AGE ENCRYPTED FILE-----\n      YWJj\n"
        ));
        assert_eq!(find_inline_values(&out).len(), 4);
    }

    #[test]
    fn no_panic_on_odd_input() {
        for doc in [
            "",
            "!vault |",
            "a: !vault |\n",
            "- |\n",
            "a: !age |\n\n\n",
            ":\n  x",
            "\u{feff}k: !vault |\n  é",
        ] {
            let _ = find_inline_values(doc);
        }
        assert!(find_inline_values("a: !vault |\n").is_empty());
        assert_eq!(
            format_tagged_block(Some("db pass"), InlineTag::Age, "L1\nL2\n"),
            "'db pass': !age |\n  L1\n  L2\n"
        );
    }
}
