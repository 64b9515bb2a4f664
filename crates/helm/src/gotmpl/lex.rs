//! Lexer for Go `text/template` source.
//!
//! Splits the source into text runs and actions (`{{ ... }}`), applying the
//! `{{-` / `-}}` whitespace trimming, and tokenizes the inside of each
//! action. Kept separate from the parser so trimming rules live in one place.

use super::ast::Pos;
use super::error::ParseError;

/// A token inside an action.
#[derive(Debug, Clone, PartialEq)]
pub enum Tok {
    /// `.Name` (field).
    Field(String),
    /// `.` alone.
    Dot,
    /// `$name` or `$`.
    Var(String),
    /// Identifier (function name or keyword).
    Ident(String),
    /// Quoted or raw string (already unescaped).
    Str(String),
    /// Character constant (its code point).
    Char(i64),
    /// Number literal text.
    Number(String),
    /// `|`.
    Pipe,
    /// `(`.
    LParen,
    /// `)`.
    RParen,
    /// `=`.
    Assign,
    /// `:=`.
    Declare,
    /// `,`.
    Comma,
}

/// A token with its position and whether whitespace precedes it.
#[derive(Debug, Clone)]
pub struct Token {
    /// The token.
    pub tok: Tok,
    /// Byte offset in the source.
    pub pos: Pos,
    /// True when whitespace separates it from the previous token.
    pub space_before: bool,
    /// Source text of the token.
    pub text: String,
}

/// A lexed item of the template: text, or an action with its tokens.
#[derive(Debug)]
pub enum Item {
    /// Literal text (already trimmed).
    Text(String),
    /// An action; `pos` points at the first token (or the delimiter).
    Action {
        /// Position of the left delimiter.
        pos: Pos,
        /// The tokens.
        tokens: Vec<Token>,
        /// Source text inside the delimiters.
        text: String,
    },
}

fn is_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\r' | b'\n')
}

/// Splits `src` into items.
pub fn lex(name: &str, src: &str) -> Result<Vec<Item>, ParseError> {
    let b = src.as_bytes();
    let mut items = Vec::new();
    let mut i = 0usize;
    let mut trim_next_text = false;
    let line_of = |p: usize| 1 + src.get(..p).unwrap_or("").matches('\n').count();
    while i <= b.len() {
        let next = src.get(i..).and_then(|s| s.find("{{")).map(|o| i + o);
        let text_end = next.unwrap_or(b.len());
        let mut text = src.get(i..text_end).unwrap_or("");
        if trim_next_text {
            text = text.trim_start_matches([' ', '\t', '\r', '\n']);
        }
        let Some(start) = next else {
            if !text.is_empty() {
                items.push(Item::Text(text.to_string()));
            }
            break;
        };
        // Left trim marker: "{{- " (dash followed by whitespace).
        let mut j = start + 2;
        let left_trim = b.get(j) == Some(&b'-') && b.get(j + 1).is_some_and(|c| is_space(*c));
        if left_trim {
            text = text.trim_end_matches([' ', '\t', '\r', '\n']);
            j += 2;
        }
        if !text.is_empty() {
            items.push(Item::Text(text.to_string()));
        }
        // Comment.
        let mut k = j;
        while left_trim && k < b.len() && is_space(b[k]) {
            k += 1;
        }
        if src.get(k..).is_some_and(|s| s.starts_with("/*")) {
            let Some(end) = src
                .get(k + 2..)
                .and_then(|s| s.find("*/"))
                .map(|o| k + 2 + o)
            else {
                return Err(ParseError::new(name, line_of(start), "unclosed comment"));
            };
            let mut after = end + 2;
            let mut right_trim = false;
            if src.get(after..).is_some_and(|s| s.starts_with(" -}}"))
                || (b.get(after).is_some_and(|c| is_space(*c))
                    && src.get(after + 1..).is_some_and(|s| s.starts_with("-}}")))
            {
                right_trim = true;
                after += 2;
            }
            if !src.get(after..).is_some_and(|s| s.starts_with("}}")) {
                return Err(ParseError::new(
                    name,
                    line_of(start),
                    "comment ends before closing delimiter",
                ));
            }
            trim_next_text = right_trim;
            i = after + 2;
            continue;
        }
        let (tokens, end, right_trim) = lex_action(name, src, j, &line_of)?;
        let inner = src.get(start + 2..end).unwrap_or("").to_string();
        items.push(Item::Action {
            pos: start,
            tokens,
            text: inner,
        });
        trim_next_text = right_trim;
        i = end + if right_trim { 3 } else { 2 };
    }
    Ok(items)
}

/// Tokenizes from `i` until the closing delimiter. Returns the tokens, the
/// offset of the closing delimiter (of `-}}` when trimming) and the trim flag.
fn lex_action(
    name: &str,
    src: &str,
    mut i: usize,
    line_of: &dyn Fn(usize) -> usize,
) -> Result<(Vec<Token>, usize, bool), ParseError> {
    let b = src.as_bytes();
    let mut toks = Vec::new();
    let mut space_before = true;
    let mut paren_depth = 0i32;
    loop {
        let Some(&c) = b.get(i) else {
            return Err(ParseError::new(name, line_of(i), "unclosed action"));
        };
        if is_space(c) {
            // Right trim marker " -}}".
            if src.get(i + 1..).is_some_and(|s| s.starts_with("-}}")) {
                return Ok((toks, i + 1, true));
            }
            i += 1;
            space_before = true;
            continue;
        }
        if src.get(i..).is_some_and(|s| s.starts_with("}}")) {
            if paren_depth > 0 {
                return Err(ParseError::new(name, line_of(i), "unclosed left paren"));
            }
            return Ok((toks, i, false));
        }
        let start = i;
        let tok = match c {
            b'|' => {
                i += 1;
                Tok::Pipe
            }
            b'(' => {
                i += 1;
                paren_depth += 1;
                Tok::LParen
            }
            b')' => {
                i += 1;
                paren_depth -= 1;
                if paren_depth < 0 {
                    return Err(ParseError::new(
                        name,
                        line_of(start),
                        "unexpected right paren",
                    ));
                }
                Tok::RParen
            }
            b',' => {
                i += 1;
                Tok::Comma
            }
            b'=' => {
                i += 1;
                Tok::Assign
            }
            b':' => {
                if b.get(i + 1) == Some(&b'=') {
                    i += 2;
                    Tok::Declare
                } else {
                    return Err(ParseError::new(name, line_of(start), "expected :="));
                }
            }
            b'"' => {
                let (s, end) = lex_quote(name, src, i, line_of)?;
                i = end;
                Tok::Str(s)
            }
            b'`' => {
                let Some(end) = src
                    .get(i + 1..)
                    .and_then(|s| s.find('`'))
                    .map(|o| i + 1 + o)
                else {
                    return Err(ParseError::new(
                        name,
                        line_of(start),
                        "unterminated raw quoted string",
                    ));
                };
                let s = src.get(i + 1..end).unwrap_or("").to_string();
                i = end + 1;
                Tok::Str(s)
            }
            b'\'' => {
                let (s, end) = lex_char(name, src, i, line_of)?;
                i = end;
                Tok::Char(s)
            }
            b'$' => {
                i += 1;
                while b.get(i).is_some_and(|c| is_alnum(*c)) {
                    i += 1;
                }
                Tok::Var(src.get(start..i).unwrap_or("$").to_string())
            }
            b'.' => {
                if b.get(i + 1).is_some_and(|c| c.is_ascii_digit()) {
                    i = lex_number_end(b, i);
                    Tok::Number(src.get(start..i).unwrap_or("").to_string())
                } else {
                    i += 1;
                    while b.get(i).is_some_and(|c| is_alnum(*c)) {
                        i += 1;
                    }
                    if i == start + 1 {
                        Tok::Dot
                    } else {
                        Tok::Field(src.get(start + 1..i).unwrap_or("").to_string())
                    }
                }
            }
            b'0'..=b'9' => {
                i = lex_number_end(b, i);
                Tok::Number(src.get(start..i).unwrap_or("").to_string())
            }
            b'+' | b'-'
                if b.get(i + 1)
                    .is_some_and(|c| c.is_ascii_digit() || *c == b'.') =>
            {
                i = lex_number_end(b, i + 1);
                Tok::Number(src.get(start..i).unwrap_or("").to_string())
            }
            c if is_alnum(c) || c >= 0x80 => {
                while b.get(i).is_some_and(|c| is_alnum(*c) || *c >= 0x80) {
                    i += 1;
                }
                Tok::Ident(src.get(start..i).unwrap_or("").to_string())
            }
            _ => {
                let ch = src.get(i..).and_then(|s| s.chars().next()).unwrap_or('?');
                return Err(ParseError::new(
                    name,
                    line_of(start),
                    format!("unrecognized character in action: {}", go_quote_rune(ch)),
                ));
            }
        };
        toks.push(Token {
            tok,
            pos: start,
            space_before,
            text: src.get(start..i).unwrap_or("").to_string(),
        });
        space_before = false;
    }
}

fn go_quote_rune(c: char) -> String {
    format!("U+{:04X} '{}'", c as u32, c)
}

fn is_alnum(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}

fn lex_number_end(b: &[u8], mut i: usize) -> usize {
    let mut prev = 0u8;
    while let Some(&c) = b.get(i) {
        let ok = c.is_ascii_alphanumeric()
            || c == b'.'
            || c == b'_'
            || ((c == b'+' || c == b'-') && matches!(prev, b'e' | b'E' | b'p' | b'P'));
        if !ok {
            break;
        }
        prev = c;
        i += 1;
    }
    i
}

fn lex_quote(
    name: &str,
    src: &str,
    start: usize,
    line_of: &dyn Fn(usize) -> usize,
) -> Result<(String, usize), ParseError> {
    let mut out = String::new();
    let mut chars = src.get(start + 1..).unwrap_or("").char_indices();
    while let Some((off, c)) = chars.next() {
        match c {
            '"' => return Ok((out, start + 1 + off + 1)),
            '\n' => break,
            '\\' => {
                let Some((_, e)) = chars.next() else { break };
                match e {
                    'n' => out.push('\n'),
                    't' => out.push('\t'),
                    'r' => out.push('\r'),
                    'a' => out.push('\x07'),
                    'b' => out.push('\x08'),
                    'f' => out.push('\x0c'),
                    'v' => out.push('\x0b'),
                    '\\' => out.push('\\'),
                    '"' => out.push('"'),
                    '\'' => out.push('\''),
                    'x' | 'u' | 'U' => {
                        let n = match e {
                            'x' => 2,
                            'u' => 4,
                            _ => 8,
                        };
                        let mut v = 0u32;
                        for _ in 0..n {
                            let d = chars.next().and_then(|(_, h)| h.to_digit(16));
                            let Some(d) = d else {
                                return Err(ParseError::new(
                                    name,
                                    line_of(start),
                                    "invalid syntax",
                                ));
                            };
                            v = v * 16 + d;
                        }
                        out.push(char::from_u32(v).unwrap_or('\u{FFFD}'));
                    }
                    '0'..='7' => {
                        let mut v = e.to_digit(8).unwrap_or(0);
                        for _ in 0..2 {
                            let d = chars.next().and_then(|(_, h)| h.to_digit(8));
                            let Some(d) = d else {
                                return Err(ParseError::new(
                                    name,
                                    line_of(start),
                                    "invalid syntax",
                                ));
                            };
                            v = v * 8 + d;
                        }
                        out.push(char::from_u32(v).unwrap_or('\u{FFFD}'));
                    }
                    _ => return Err(ParseError::new(name, line_of(start), "invalid syntax")),
                }
            }
            c => out.push(c),
        }
    }
    Err(ParseError::new(
        name,
        line_of(start),
        "unterminated quoted string",
    ))
}

fn lex_char(
    name: &str,
    src: &str,
    start: usize,
    line_of: &dyn Fn(usize) -> usize,
) -> Result<(i64, usize), ParseError> {
    let rest = src.get(start + 1..).unwrap_or("");
    let Some(end) = rest.find('\'') else {
        return Err(ParseError::new(
            name,
            line_of(start),
            "unterminated character constant",
        ));
    };
    let body = rest.get(..end).unwrap_or("");
    let v = if let Some(esc) = body.strip_prefix('\\') {
        match esc {
            "n" => '\n' as i64,
            "t" => '\t' as i64,
            "r" => '\r' as i64,
            "\\" => '\\' as i64,
            "0" => 0,
            _ => return Err(ParseError::new(name, line_of(start), "invalid syntax")),
        }
    } else {
        let mut cs = body.chars();
        match (cs.next(), cs.next()) {
            (Some(c), None) => c as i64,
            _ => return Err(ParseError::new(name, line_of(start), "invalid syntax")),
        }
    };
    Ok((v, start + 1 + end + 1))
}
