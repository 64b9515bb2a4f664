//! Python `re` compatibility: pattern translation, `sub` replacement
//! templates and `findall` result shapes.
//!
//! Playbooks are written against Python's `re`, which has backreferences,
//! lookaround, `\Z` and `\g<name>` replacement syntax. `fancy-regex` covers
//! the pattern features; this module translates the syntax that differs.

use std::collections::HashMap;
use std::sync::{LazyLock, Mutex};

use fancy_regex::{Captures, Regex, RegexBuilder};
use minijinja::Error;

use crate::util::invalid;

/// Compiled patterns, keyed by pattern text and flags. Loops apply the same
/// `regex_replace` to thousands of items; compiling once keeps that cheap.
/// Cache key: pattern text, `ignorecase`, `multiline`.
type CacheKey = (String, bool, bool);

static CACHE: LazyLock<Mutex<HashMap<CacheKey, Regex>>> = LazyLock::new(Default::default);

/// Upper bound on cached patterns; the cache is simply cleared when full.
const CACHE_LIMIT: usize = 256;

/// Compiles a Python pattern with `re.I`/`re.M` flags (cached).
pub(crate) fn compile(pattern: &str, ignorecase: bool, multiline: bool) -> Result<Regex, Error> {
    let key = (pattern.to_owned(), ignorecase, multiline);
    if let Some(re) = CACHE.lock().ok().and_then(|c| c.get(&key).cloned()) {
        return Ok(re);
    }
    let re = compile_uncached(pattern, ignorecase, multiline)?;
    if let Ok(mut cache) = CACHE.lock() {
        if cache.len() >= CACHE_LIMIT {
            cache.clear();
        }
        cache.insert(key, re.clone());
    }
    Ok(re)
}

fn compile_uncached(pattern: &str, ignorecase: bool, multiline: bool) -> Result<Regex, Error> {
    let mut translated = String::with_capacity(pattern.len() + 8);
    let mut prefix = String::new();
    if ignorecase {
        prefix.push('i');
    }
    if multiline {
        prefix.push('m');
    }
    if !prefix.is_empty() {
        translated.push_str(&format!("(?{prefix})"));
    }
    let mut chars = pattern.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                // Python's end-of-string anchor.
                Some('Z') => translated.push_str("\\z"),
                Some(other) => {
                    translated.push('\\');
                    translated.push(other);
                }
                None => translated.push('\\'),
            }
        } else {
            translated.push(c);
        }
    }
    RegexBuilder::new(&translated)
        .build()
        .map_err(|e| invalid(format!("invalid regular expression {pattern:?}: {e}")))
}

/// A parsed `re.sub` replacement template.
#[derive(Debug)]
enum Part {
    Lit(String),
    Group(usize),
    Named(String),
}

fn parse_replacement(repl: &str) -> Result<Vec<Part>, Error> {
    let mut parts = Vec::new();
    let mut lit = String::new();
    let chars: Vec<char> = repl.chars().collect();
    let mut i = 0;
    let push_lit = |lit: &mut String, parts: &mut Vec<Part>| {
        if !lit.is_empty() {
            parts.push(Part::Lit(std::mem::take(lit)));
        }
    };
    while i < chars.len() {
        let c = chars[i];
        if c != '\\' {
            lit.push(c);
            i += 1;
            continue;
        }
        let Some(&next) = chars.get(i + 1) else {
            return Err(invalid("bad escape (end of pattern) in replacement"));
        };
        i += 2;
        match next {
            'g' => {
                if chars.get(i) != Some(&'<') {
                    return Err(invalid("missing < in group reference of replacement"));
                }
                let end = chars[i..]
                    .iter()
                    .position(|&c| c == '>')
                    .map(|p| p + i)
                    .ok_or_else(|| invalid("missing > in group reference of replacement"))?;
                let name: String = chars[i + 1..end].iter().collect();
                i = end + 1;
                push_lit(&mut lit, &mut parts);
                match name.parse::<usize>() {
                    Ok(n) => parts.push(Part::Group(n)),
                    Err(_) => parts.push(Part::Named(name)),
                }
            }
            '0'..='9' => {
                let mut digits = next.to_string();
                if let Some(&d) = chars.get(i).filter(|d| d.is_ascii_digit()) {
                    digits.push(d);
                    i += 1;
                }
                push_lit(&mut lit, &mut parts);
                parts.push(Part::Group(digits.parse().unwrap_or(0)));
            }
            'n' => lit.push('\n'),
            't' => lit.push('\t'),
            'r' => lit.push('\r'),
            'f' => lit.push('\u{c}'),
            'v' => lit.push('\u{b}'),
            'a' => lit.push('\u{7}'),
            'b' => lit.push('\u{8}'),
            '\\' => lit.push('\\'),
            c if c.is_ascii_alphabetic() => {
                return Err(invalid(format!("bad escape \\{c} in replacement")));
            }
            c => {
                lit.push('\\');
                lit.push(c);
            }
        }
    }
    push_lit(&mut lit, &mut parts);
    Ok(parts)
}

fn expand(parts: &[Part], caps: &Captures<'_>, out: &mut String) -> Result<(), Error> {
    for part in parts {
        match part {
            Part::Lit(s) => out.push_str(s),
            Part::Group(n) => {
                if *n >= caps.len() {
                    return Err(invalid(format!(
                        "invalid group reference {n} in replacement"
                    )));
                }
                out.push_str(caps.get(*n).map_or("", |m| m.as_str()));
            }
            Part::Named(name) => match caps.name(name) {
                Some(m) => out.push_str(m.as_str()),
                None => {
                    return Err(invalid(format!(
                        "unknown group name '{name}' in replacement"
                    )));
                }
            },
        }
    }
    Ok(())
}

/// `re.subn(repl, text, count)`: returns the new text and the number of
/// substitutions.
pub(crate) fn subn(
    re: &Regex,
    repl: &str,
    text: &str,
    count: usize,
) -> Result<(String, usize), Error> {
    let parts = parse_replacement(repl)?;
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    let mut n = 0;
    for caps in re.captures_iter(text) {
        let caps = caps.map_err(|e| invalid(format!("regular expression failed: {e}")))?;
        let Some(m) = caps.get(0) else { continue };
        out.push_str(&text[last..m.start()]);
        expand(&parts, &caps, &mut out)?;
        last = m.end();
        n += 1;
        if count > 0 && n >= count {
            break;
        }
    }
    out.push_str(&text[last..]);
    Ok((out, n))
}

/// `re.escape` (Python 3.7+): escapes only regex metacharacters and whitespace.
pub(crate) fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 2);
    for c in s.chars() {
        if "()[]{}?*+-|^$\\.&~# \t\n\r\u{b}\u{c}".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}
