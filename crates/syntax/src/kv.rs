//! Ansible's `key=value` free-form argument syntax (`debug: msg="hi there" verbosity=1`).
//!
//! Quoting follows Ansible's `parse_kv`: values may be single- or double-quoted, and `{{ }}`
//! or `{% %}` blocks are kept whole even when they contain spaces or `=`.

/// One parsed token: `Some(key)` with its value, or a bare word (`None`, value).
pub type KvToken = (Option<String>, String);

/// Splits free-form arguments into tokens, honouring quotes and Jinja blocks.
pub fn split_args(text: &str) -> Vec<String> {
    tokenize(text, false)
}

/// Like [`split_args`], but a token followed by a line break (outside quotes and Jinja) keeps a
/// trailing `\n`, as Ansible's `split_args` does, so [`join_args`] can restore the lines of a
/// multi-line `shell: |` script.
pub fn split_args_keeping_lines(text: &str) -> Vec<String> {
    tokenize(text, true)
}

/// Ansible's `join_args`: tokens joined by one space, except after a line break.
pub fn join_args(tokens: &[String]) -> String {
    let mut out = String::new();
    for token in tokens {
        if !out.is_empty() && !out.ends_with('\n') {
            out.push(' ');
        }
        out.push_str(token);
    }
    out
}

fn tokenize(text: &str, keep_lines: bool) -> Vec<String> {
    let mut tokens = Vec::new();
    let mut current = String::new();
    let mut quote: Option<char> = None;
    let mut jinja_depth = 0usize;
    let chars: Vec<char> = text.chars().collect();
    let mut index = 0;
    while index < chars.len() {
        let c = chars[index];
        let next = chars.get(index + 1).copied();
        if quote.is_none() && (c == '{') && matches!(next, Some('{') | Some('%') | Some('#')) {
            jinja_depth += 1;
            current.push(c);
            current.push(next.unwrap_or('{'));
            index += 2;
            continue;
        }
        if jinja_depth > 0 && matches!(c, '}' | '%' | '#') && next == Some('}') {
            jinja_depth -= 1;
            current.push(c);
            current.push('}');
            index += 2;
            continue;
        }
        if jinja_depth == 0 {
            match quote {
                Some(q) if c == q && !current.ends_with('\\') => quote = None,
                None if c == '"' || c == '\'' => quote = Some(c),
                None if c.is_whitespace() => {
                    if !current.is_empty() {
                        tokens.push(std::mem::take(&mut current));
                    }
                    if keep_lines
                        && c == '\n'
                        && let Some(last) = tokens.last_mut().filter(|t| !t.ends_with('\n'))
                    {
                        last.push('\n');
                    }
                    index += 1;
                    continue;
                }
                _ => {}
            }
        }
        current.push(c);
        index += 1;
    }
    if !current.is_empty() {
        tokens.push(current);
    }
    tokens
}

/// Parses `k=v` tokens; tokens without `=` are returned with `None` as key (free-form words,
/// which `command`/`shell` keep as their command line).
pub fn parse_kv(text: &str) -> Vec<KvToken> {
    split_args(text)
        .into_iter()
        .map(|token| match token.split_once('=') {
            Some((key, value)) if is_identifier(key) => (Some(key.to_string()), unquote(value)),
            _ => (None, token),
        })
        .collect()
}

fn is_identifier(text: &str) -> bool {
    !text.is_empty() && text.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Removes one level of matching surrounding quotes.
pub fn unquote(text: &str) -> String {
    let bytes = text.as_bytes();
    if bytes.len() >= 2
        && (bytes[0] == b'"' || bytes[0] == b'\'')
        && bytes[bytes.len() - 1] == bytes[0]
    {
        text[1..text.len() - 1].to_string()
    } else {
        text.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_quoted_values_and_jinja() {
        let tokens = parse_kv(r#"msg="hello world" var={{ a + b }} verbosity=1"#);
        assert_eq!(
            tokens,
            vec![
                (Some("msg".into()), "hello world".into()),
                (Some("var".into()), "{{ a + b }}".into()),
                (Some("verbosity".into()), "1".into()),
            ]
        );
    }

    #[test]
    fn multi_line_scripts_keep_their_line_breaks_like_ansible() {
        let text = "echo one\n  echo 'two\nthree' && \\\n  echo four\n";
        let tokens = split_args_keeping_lines(text);
        assert_eq!(
            join_args(&tokens),
            "echo one\necho 'two\nthree' && \\\necho four\n"
        );
        // Plain splitting still treats line breaks as spaces.
        assert_eq!(split_args("a\nb"), vec!["a", "b"]);
    }

    #[test]
    fn keeps_free_words() {
        let tokens = parse_kv("echo hi chdir=/tmp");
        assert_eq!(tokens[0], (None, "echo".into()));
        assert_eq!(tokens[2], (Some("chdir".into()), "/tmp".into()));
    }
}
