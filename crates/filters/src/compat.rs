//! Source-level compatibility shims for Ansible's Jinja dialect.
//!
//! ansible-core (2.19+) lexes templates with `AnsibleLexer`, which doubles
//! every backslash inside string constants of `{{ ... }}` expressions
//! before Jinja unescapes them, so `{{ x | regex_replace('(\d+)', '\1') }}`
//! passes the regex `(\d+)` and the backreference `\1` through verbatim.
//! Statements (`{% set s = 'a\nb' %}`) and comments are not affected.
//! minijinja always unescapes string literals, so the engine rewrites the
//! template source with [`escape_backslashes`] before compiling it.

use std::borrow::Cow;

/// Rewrites string literals inside `{{ ... }}` so that minijinja decodes
/// them to their raw source text, as Ansible's lexer does.
///
/// `{% raw %}` blocks, statements and comments are left untouched. Text
/// without backslashes is returned borrowed.
pub fn escape_backslashes(template: &str) -> Cow<'_, str> {
    if !template.contains('\\') || !template.contains("{{") {
        return Cow::Borrowed(template);
    }
    let mut out = String::with_capacity(template.len() + 16);
    let mut rest = template;
    while let Some(pos) = rest.find('{') {
        out.push_str(&rest[..pos]);
        let tail = &rest[pos..];
        if let Some(expr) = tail.strip_prefix("{{") {
            out.push_str("{{");
            rest = rewrite_expression(expr, &mut out);
        } else if tail.starts_with("{#") {
            let end = tail.find("#}").map_or(tail.len(), |e| e + 2);
            out.push_str(&tail[..end]);
            rest = &tail[end..];
        } else if tail.starts_with("{%") {
            let end = statement_end(tail);
            let stmt = &tail[..end];
            out.push_str(stmt);
            rest = &tail[end..];
            if is_raw_start(stmt) {
                let close = find_endraw(rest);
                out.push_str(&rest[..close]);
                rest = &rest[close..];
            }
        } else {
            out.push('{');
            rest = &tail[1..];
        }
    }
    out.push_str(rest);
    Cow::Owned(out)
}

/// Copies one expression body up to and including `}}`, re-encoding its
/// string literals; returns the text after it.
fn rewrite_expression<'a>(mut s: &'a str, out: &mut String) -> &'a str {
    // Like Jinja's lexer, `}}` only ends the expression outside brackets
    // (`{{ {'a': {'b': 1}} }}`).
    let mut depth = 0usize;
    loop {
        let Some(c) = s.chars().next() else {
            return s;
        };
        if depth == 0
            && let Some(after) = s.strip_prefix("}}")
        {
            out.push_str("}}");
            return after;
        }
        match c {
            '(' | '[' | '{' => depth += 1,
            ')' | ']' | '}' => depth = depth.saturating_sub(1),
            _ => {}
        }
        if c == '\'' || c == '"' {
            // Jinja's string token: a backslash escapes the next character.
            let mut raw = String::new();
            let mut chars = s[1..].char_indices();
            let mut end = None;
            while let Some((i, ch)) = chars.next() {
                if ch == '\\' {
                    raw.push('\\');
                    if let Some((_, next)) = chars.next() {
                        raw.push(next);
                    }
                } else if ch == c {
                    end = Some(i + 2);
                    break;
                } else {
                    raw.push(ch);
                }
            }
            let Some(end) = end else {
                // Unterminated: leave it for the parser to report.
                out.push_str(s);
                return "";
            };
            out.push(c);
            for ch in raw.chars() {
                if ch == '\\' || ch == c {
                    out.push('\\');
                }
                out.push(ch);
            }
            out.push(c);
            s = &s[end..];
            continue;
        }
        out.push(c);
        s = &s[c.len_utf8()..];
    }
}

/// Rewrites the string literals of a bare expression (the inside of a
/// `{{ ... }}` that the engine evaluates on its own to keep native types)
/// the way [`escape_backslashes`] does for whole templates.
pub fn escape_expression_backslashes(expr: &str) -> Cow<'_, str> {
    if !expr.contains('\\') {
        return Cow::Borrowed(expr);
    }
    let mut out = String::with_capacity(expr.len() + 8);
    let mut rest = expr;
    while !rest.is_empty() {
        rest = rewrite_expression(rest, &mut out);
    }
    Cow::Owned(out)
}

/// End (exclusive) of a `{% ... %}` statement, skipping string literals.
fn statement_end(s: &str) -> usize {
    let bytes = s.as_bytes();
    let mut i = 2;
    let mut quote: Option<u8> = None;
    while i < bytes.len() {
        let b = bytes[i];
        match quote {
            Some(_) if b == b'\\' => i += 1,
            Some(q) if b == q => quote = None,
            Some(_) => {}
            None if b == b'\'' || b == b'"' => quote = Some(b),
            None if b == b'%' && bytes.get(i + 1) == Some(&b'}') => return i + 2,
            None => {}
        }
        i += 1;
    }
    s.len()
}

fn is_raw_start(stmt: &str) -> bool {
    stmt.trim_start_matches("{%")
        .trim_start_matches('-')
        .trim_start()
        .starts_with("raw")
        && stmt
            .trim_start_matches("{%")
            .trim_start_matches('-')
            .trim()
            .trim_end_matches("%}")
            .trim_end_matches('-')
            .trim()
            == "raw"
}

fn find_endraw(s: &str) -> usize {
    let mut from = 0;
    while let Some(p) = s[from..].find("{%") {
        let start = from + p;
        let end = statement_end(&s[start..]) + start;
        let inner = s
            .get(start + 2..end.saturating_sub(2).max(start + 2))
            .unwrap_or("")
            .trim_matches('-')
            .trim();
        if inner == "endraw" {
            return start;
        }
        from = end;
    }
    s.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_backslashes_in_expressions_only() {
        assert_eq!(escape_backslashes(r"{{ 'a\nb' }}"), r"{{ 'a\\nb' }}");
        assert_eq!(escape_backslashes(r#"{{ 'x\'"' }}"#), r#"{{ 'x\\\'"' }}"#);
        assert_eq!(
            escape_backslashes(r"{% set s = 'a\nb' %}{{ s }}"),
            r"{% set s = 'a\nb' %}{{ s }}"
        );
        assert_eq!(
            escape_backslashes(r"{% raw %}{{ '\n' }}{% endraw %}"),
            r"{% raw %}{{ '\n' }}{% endraw %}"
        );
        assert_eq!(escape_backslashes("plain"), "plain");
        assert_eq!(
            escape_backslashes(r"{{ {'a': {'b': '\n'}} | to_json }} {{ '\t' }}"),
            r"{{ {'a': {'b': '\\n'}} | to_json }} {{ '\\t' }}"
        );
        assert_eq!(
            escape_expression_backslashes(r"x | regex_replace('\d', '\1')"),
            r"x | regex_replace('\\d', '\\1')"
        );
        assert_eq!(
            escape_backslashes(r"{{ 'unterminated\"),
            r"{{ 'unterminated\"
        );
    }
}
