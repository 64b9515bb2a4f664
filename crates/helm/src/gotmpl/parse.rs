//! Recursive-descent parser from lexed items to [`Tree`]s.
//!
//! Mirrors Go's `text/template/parse`: keywords, `else if`/`else with`
//! chains, `define`/`block` producing extra trees, parse-time checks for
//! unknown functions and undefined variables.

use std::sync::Arc;

use super::ast::{Arg, Command, Conditional, Node, Pipe, Pos, RangeNode, Tree};
use super::error::ParseError;
use super::lex::{Item, Tok, Token, lex};

/// Parses `src` as template `name`. Returns the main tree followed by the
/// trees of every `define`/`block` in it.
pub fn parse(
    name: &str,
    src: &str,
    is_func: &dyn Fn(&str) -> bool,
) -> Result<Vec<Tree>, ParseError> {
    let items = lex(name, src)?;
    let source: Arc<str> = Arc::from(src);
    let mut p = Parser {
        name,
        src,
        items,
        idx: 0,
        vars: vec!["$".to_string()],
        defs: Vec::new(),
        is_func,
        source: source.clone(),
        range_depth: 0,
    };
    let (root, end) = p.list(true)?;
    if let Some(end) = end {
        return Err(p.err_at(end.pos, format!("unexpected {{{{{}}}}}", end.kw)));
    }
    let mut out = vec![Tree {
        name: name.to_string(),
        parse_name: name.to_string(),
        source,
        root,
    }];
    out.append(&mut p.defs);
    Ok(out)
}

struct Parser<'a> {
    name: &'a str,
    src: &'a str,
    items: Vec<Item>,
    idx: usize,
    vars: Vec<String>,
    defs: Vec<Tree>,
    is_func: &'a dyn Fn(&str) -> bool,
    source: Arc<str>,
    /// Nesting depth of `range` bodies (for `break`/`continue`).
    range_depth: usize,
}

/// A list terminator: `end` or `else` (with the rest of its tokens).
struct End {
    kw: &'static str,
    pos: Pos,
    rest: Vec<Token>,
}

impl<'a> Parser<'a> {
    fn line(&self, pos: Pos) -> usize {
        1 + self.src.get(..pos).unwrap_or("").matches('\n').count()
    }
    fn err_at(&self, pos: Pos, msg: impl Into<String>) -> ParseError {
        ParseError::new(self.name, self.line(pos), msg)
    }
    /// Go's `Tree.add`: a second non-empty definition of the same name in
    /// one parse is an error.
    fn check_redefinition(&self, name: &str, body: &[Node], pos: Pos) -> Result<(), ParseError> {
        let empty = |b: &[Node]| {
            b.iter()
                .all(|n| matches!(n, Node::Text(t) if t.trim().is_empty()))
        };
        if empty(body) {
            return Ok(());
        }
        if self.defs.iter().any(|t| t.name == name && !t.is_empty()) {
            let line = self.line(pos);
            return Err(ParseError::new(
                self.name,
                line,
                format!("template: multiple definition of template {name:?}"),
            ));
        }
        Ok(())
    }

    fn eof(&self) -> ParseError {
        ParseError::new(self.name, self.line(self.src.len()), "unexpected EOF")
    }

    /// Parses nodes until `end`/`else` (returned) or end of input.
    fn list(&mut self, top: bool) -> Result<(Vec<Node>, Option<End>), ParseError> {
        let mut nodes = Vec::new();
        while self.idx < self.items.len() {
            let item = std::mem::replace(&mut self.items[self.idx], Item::Text(String::new()));
            self.idx += 1;
            match item {
                Item::Text(t) => nodes.push(Node::Text(t)),
                Item::Action { pos, tokens, text } => {
                    let kw = match tokens.first() {
                        Some(Token {
                            tok: Tok::Ident(k), ..
                        }) => k.clone(),
                        _ => String::new(),
                    };
                    let rest: Vec<Token> = tokens.iter().skip(1).cloned().collect();
                    match kw.as_str() {
                        "end" => {
                            if !rest.is_empty() {
                                return Err(self.err_at(pos, "unexpected tokens after end"));
                            }
                            return Ok((
                                nodes,
                                Some(End {
                                    kw: "end",
                                    pos,
                                    rest,
                                }),
                            ));
                        }
                        "else" => {
                            return Ok((
                                nodes,
                                Some(End {
                                    kw: "else",
                                    pos,
                                    rest,
                                }),
                            ));
                        }
                        "if" => nodes.push(Node::If(self.conditional(pos, rest, "if")?)),
                        "with" => nodes.push(Node::With(self.conditional(pos, rest, "with")?)),
                        "range" => nodes.push(self.range(pos, rest)?),
                        "template" | "block" => {
                            nodes.push(self.template(pos, rest, kw == "block", &text)?)
                        }
                        "define" => {
                            if !top {
                                return Err(self.err_at(pos, "unexpected <define> in command"));
                            }
                            self.define(pos, rest)?;
                        }
                        "break" | "continue" => {
                            if self.range_depth == 0 {
                                return Err(
                                    self.err_at(pos, format!("{{{{{kw}}}}} outside {{{{range}}}}"))
                                );
                            }
                            if !rest.is_empty() {
                                return Err(
                                    self.err_at(pos, format!("unexpected tokens in {{{{{kw}}}}}"))
                                );
                            }
                            nodes.push(if kw == "break" {
                                Node::Break(pos)
                            } else {
                                Node::Continue(pos)
                            });
                        }
                        _ => {
                            let pipe = self.pipeline(pos, &tokens, "command", &text)?;
                            nodes.push(Node::Action(pipe));
                        }
                    }
                }
            }
        }
        Ok((nodes, None))
    }

    fn conditional(
        &mut self,
        pos: Pos,
        rest: Vec<Token>,
        kw: &'static str,
    ) -> Result<Conditional, ParseError> {
        let mark = self.vars.len();
        let mut branches = Vec::new();
        let mut otherwise = None;
        let mut cond_tokens = rest;
        let mut cond_pos = pos;
        loop {
            let text = tokens_text(&cond_tokens);
            let pipe = self.pipeline(cond_pos, &cond_tokens, kw, &text)?;
            let (body, end) = self.list(false)?;
            branches.push((pipe, body));
            let Some(end) = end else {
                return Err(self.eof());
            };
            if end.kw == "end" {
                break;
            }
            // else: maybe `else if` / `else with`
            if let Some(Token {
                tok: Tok::Ident(k), ..
            }) = end.rest.first()
                && k == kw
            {
                cond_tokens = end.rest[1..].to_vec();
                cond_pos = end.pos;
                continue;
            }
            if !end.rest.is_empty() {
                return Err(self.err_at(end.pos, "unexpected tokens after else"));
            }
            let (body, end2) = self.list(false)?;
            otherwise = Some(body);
            match end2 {
                Some(e) if e.kw == "end" => break,
                Some(e) => return Err(self.err_at(e.pos, "expected end; found {{else}}")),
                None => return Err(self.eof()),
            }
        }
        self.vars.truncate(mark);
        Ok(Conditional {
            branches,
            otherwise,
        })
    }

    fn range(&mut self, pos: Pos, rest: Vec<Token>) -> Result<Node, ParseError> {
        let mark = self.vars.len();
        let text = tokens_text(&rest);
        let pipe = self.pipeline(pos, &rest, "range", &text)?;
        self.range_depth += 1;
        let listed = self.list(false);
        self.range_depth -= 1;
        let (body, end) = listed?;
        let Some(end) = end else {
            return Err(self.eof());
        };
        let mut otherwise = None;
        if end.kw == "else" {
            if !end.rest.is_empty() {
                return Err(self.err_at(end.pos, "unexpected tokens after else"));
            }
            let (b, e2) = self.list(false)?;
            otherwise = Some(b);
            match e2 {
                Some(e) if e.kw == "end" => {}
                Some(e) => return Err(self.err_at(e.pos, "expected end; found {{else}}")),
                None => return Err(self.eof()),
            }
        }
        self.vars.truncate(mark);
        Ok(Node::Range(RangeNode {
            pipe,
            body,
            otherwise,
        }))
    }

    fn template(
        &mut self,
        pos: Pos,
        rest: Vec<Token>,
        is_block: bool,
        _text: &str,
    ) -> Result<Node, ParseError> {
        let ctx = if is_block {
            "block clause"
        } else {
            "template clause"
        };
        let Some(Token {
            tok: Tok::Str(name),
            ..
        }) = rest.first()
        else {
            return Err(self.err_at(
                pos,
                format!(
                    "unexpected {} in {ctx}",
                    rest.first().map(|t| t.text.as_str()).unwrap_or("}}")
                ),
            ));
        };
        let name = name.clone();
        let pipe_toks = &rest[1..];
        let pipe = if pipe_toks.is_empty() {
            None
        } else {
            let t = tokens_text(pipe_toks);
            Some(self.pipeline(pos, pipe_toks, ctx, &t)?)
        };
        if is_block {
            let saved = std::mem::replace(&mut self.vars, vec!["$".to_string()]);
            let (body, end) = self.list(false)?;
            self.vars = saved;
            let end_pos = match end {
                Some(e) if e.kw == "end" => e.pos,
                Some(e) => return Err(self.err_at(e.pos, "unexpected {{else}} in block clause")),
                None => return Err(self.eof()),
            };
            self.check_redefinition(&name, &body, end_pos)?;
            self.defs.push(Tree {
                name: name.clone(),
                parse_name: self.name.to_string(),
                source: self.source.clone(),
                root: body,
            });
        }
        Ok(Node::Template { pos, name, pipe })
    }

    fn define(&mut self, pos: Pos, rest: Vec<Token>) -> Result<(), ParseError> {
        let Some(Token {
            tok: Tok::Str(name),
            ..
        }) = rest.first()
        else {
            return Err(self.err_at(pos, "unexpected token in define clause"));
        };
        if rest.len() > 1 {
            return Err(self.err_at(pos, "unexpected tokens in define clause"));
        }
        let name = name.clone();
        let saved = std::mem::replace(&mut self.vars, vec!["$".to_string()]);
        let (body, end) = self.list(false)?;
        self.vars = saved;
        let end_pos = match end {
            Some(e) if e.kw == "end" => e.pos,
            Some(e) => return Err(self.err_at(e.pos, "unexpected {{else}} in define clause")),
            None => return Err(self.eof()),
        };
        self.check_redefinition(&name, &body, end_pos)?;
        self.defs.push(Tree {
            name,
            parse_name: self.name.to_string(),
            source: self.source.clone(),
            root: body,
        });
        Ok(())
    }

    /// Parses a pipeline (with optional declarations) from tokens.
    fn pipeline(
        &mut self,
        pos: Pos,
        toks: &[Token],
        ctx: &str,
        _text: &str,
    ) -> Result<Pipe, ParseError> {
        let mut i = 0;
        let mut decl = Vec::new();
        let mut is_assign = false;
        // Declarations: $x :=   |  $x =   |  $i, $v :=
        if let Some(Token {
            tok: Tok::Var(v), ..
        }) = toks.first()
        {
            match toks.get(1).map(|t| &t.tok) {
                Some(Tok::Declare) | Some(Tok::Assign) => {
                    is_assign = toks[1].tok == Tok::Assign;
                    decl.push(v.clone());
                    i = 2;
                }
                Some(Tok::Comma) if ctx == "range" => {
                    if let (
                        Some(Token {
                            tok: Tok::Var(v2), ..
                        }),
                        Some(t3),
                    ) = (toks.get(2), toks.get(3))
                        && matches!(t3.tok, Tok::Declare | Tok::Assign)
                    {
                        is_assign = t3.tok == Tok::Assign;
                        decl.push(v.clone());
                        decl.push(v2.clone());
                        i = 4;
                    } else {
                        return Err(self.err_at(pos, "range can only initialize variables"));
                    }
                }
                _ => {}
            }
        }
        if is_assign {
            for d in &decl {
                if !self.vars.contains(d) {
                    return Err(self.err_at(pos, format!("undefined variable \"{d}\"")));
                }
            }
        }
        let pipe_pos = toks.get(i).map(|t| t.pos).unwrap_or(pos);
        let mut cmds = Vec::new();
        let rest = &toks[i.min(toks.len())..];
        let mut j = 0;
        while j < rest.len() {
            let (cmd, next) = self.command(rest, j)?;
            cmds.push(cmd);
            j = next;
            if j < rest.len() {
                if rest[j].tok == Tok::Pipe {
                    j += 1;
                    if j >= rest.len() {
                        return Err(self.err_at(pos, "missing command"));
                    }
                } else {
                    return Err(self.err_at(
                        rest[j].pos,
                        format!("unexpected {} in operand", rest[j].text),
                    ));
                }
            }
        }
        if cmds.is_empty() {
            return Err(self.err_at(pos, format!("missing value for {ctx}")));
        }
        // Declared variables become visible after the pipeline.
        if !is_assign {
            for d in &decl {
                self.vars.push(d.clone());
            }
        }
        Ok(Pipe {
            pos: pipe_pos,
            decl,
            is_assign,
            cmds,
        })
    }

    /// Parses a command from `toks[start..]` up to `|`, `)` or the end.
    fn command(&self, toks: &[Token], start: usize) -> Result<(Command, usize), ParseError> {
        let mut args = Vec::new();
        let mut i = start;
        while i < toks.len() {
            match toks[i].tok {
                Tok::Pipe | Tok::RParen => break,
                _ => {}
            }
            if !args.is_empty() && !toks[i].space_before {
                return Err(self.err_at(
                    toks[i].pos,
                    format!("missing space? unexpected {}", toks[i].text),
                ));
            }
            let (arg, next) = self.operand(toks, i)?;
            args.push(arg);
            i = next;
        }
        if args.is_empty() {
            let p = toks.get(start).map(|t| t.pos).unwrap_or(0);
            return Err(self.err_at(p, "missing value for command"));
        }
        let pos = toks[start].pos;
        let end_pos = toks
            .get(i.saturating_sub(1))
            .map(|t| t.pos + t.text.len())
            .unwrap_or(pos);
        let text = self.src.get(pos..end_pos).unwrap_or("").to_string();
        Ok((Command { pos, text, args }, i))
    }

    /// A term followed by an optional `.Field` chain.
    fn operand(&self, toks: &[Token], i: usize) -> Result<(Arg, usize), ParseError> {
        let (term, mut next) = self.term(toks, i)?;
        let mut fields = Vec::new();
        // Go gives the combined node the position of the first chained field.
        let chain_pos = toks.get(next).map(|t| t.pos).unwrap_or(0);
        while let Some(Token {
            tok: Tok::Field(f),
            space_before: false,
            ..
        }) = toks.get(next)
        {
            fields.push(f.clone());
            next += 1;
        }
        if fields.is_empty() {
            return Ok((term, next));
        }
        let arg = match term {
            Arg::Field(_, mut names) => {
                names.extend(fields);
                Arg::Field(chain_pos, names)
            }
            Arg::Variable(_, mut names) => {
                names.extend(fields);
                Arg::Variable(chain_pos, names)
            }
            Arg::Str(p, _)
            | Arg::Int(p, _)
            | Arg::Float(p, _)
            | Arg::Bool(p, _)
            | Arg::Nil(p)
            | Arg::Dot(p)
            | Arg::Ident(p, _) => {
                return Err(self.err_at(p, format!("unexpected . after term {:?}", toks[i].text)));
            }
            other => Arg::Chain(chain_pos, Box::new(other), fields),
        };
        Ok((arg, next))
    }

    fn term(&self, toks: &[Token], i: usize) -> Result<(Arg, usize), ParseError> {
        let t = &toks[i];
        let p = t.pos;
        let arg = match &t.tok {
            Tok::Ident(name) => match name.as_str() {
                "true" => Arg::Bool(p, true),
                "false" => Arg::Bool(p, false),
                "nil" => Arg::Nil(p),
                _ => {
                    if !(self.is_func)(name) {
                        return Err(self.err_at(p, format!("function {name:?} not defined")));
                    }
                    Arg::Ident(p, name.clone())
                }
            },
            Tok::Dot => Arg::Dot(p),
            Tok::Field(f) => Arg::Field(p, vec![f.clone()]),
            Tok::Var(v) => {
                if !self.vars.contains(v) {
                    return Err(self.err_at(p, format!("undefined variable \"{v}\"")));
                }
                Arg::Variable(p, vec![v.clone()])
            }
            Tok::Str(s) => Arg::Str(p, s.clone()),
            Tok::Char(c) => Arg::Int(p, *c),
            Tok::Number(n) => self.number(p, n)?,
            Tok::LParen => {
                // Find matching paren.
                let mut depth = 0;
                let mut j = i;
                while j < toks.len() {
                    match toks[j].tok {
                        Tok::LParen => depth += 1,
                        Tok::RParen => {
                            depth -= 1;
                            if depth == 0 {
                                break;
                            }
                        }
                        _ => {}
                    }
                    j += 1;
                }
                if j >= toks.len() {
                    return Err(self.err_at(p, "unclosed left paren"));
                }
                let inner = &toks[i + 1..j];
                let mut sub = Parser {
                    name: self.name,
                    src: self.src,
                    items: Vec::new(),
                    idx: 0,
                    vars: self.vars.clone(),
                    defs: Vec::new(),
                    is_func: self.is_func,
                    source: self.source.clone(),
                    range_depth: 0,
                };
                let text = tokens_text(inner);
                let pipe = sub.pipeline(p, inner, "parenthesized pipeline", &text)?;
                if !pipe.decl.is_empty() {
                    return Err(self.err_at(p, "variable declaration in parenthesized pipeline"));
                }
                return Ok((Arg::Pipe(p, Box::new(pipe)), j + 1));
            }
            _ => return Err(self.err_at(p, format!("unexpected {:?} in operand", t.text))),
        };
        Ok((arg, i + 1))
    }

    fn number(&self, p: Pos, text: &str) -> Result<Arg, ParseError> {
        let bad = || self.err_at(p, format!("bad number syntax: {text:?}"));
        let (neg, body) = match text.as_bytes().first() {
            Some(b'-') => (true, &text[1..]),
            Some(b'+') => (false, &text[1..]),
            _ => (false, text),
        };
        let clean: String = body.chars().filter(|c| *c != '_').collect();
        let lower = clean.to_ascii_lowercase();
        let is_hex = lower.starts_with("0x");
        let int = if is_hex {
            i64::from_str_radix(&clean[2..], 16).ok()
        } else if lower.starts_with("0o") {
            i64::from_str_radix(&clean[2..], 8).ok()
        } else if lower.starts_with("0b") {
            i64::from_str_radix(&clean[2..], 2).ok()
        } else if clean.len() > 1
            && clean.starts_with('0')
            && clean.bytes().all(|c| c.is_ascii_digit())
        {
            i64::from_str_radix(&clean[1..], 8).ok()
        } else {
            clean.parse::<i64>().ok()
        };
        let floaty = !is_hex && clean.contains(['.', 'e', 'E', 'p', 'P']);
        if let Some(v) = int
            && !floaty
        {
            return Ok(Arg::Int(p, if neg { -v } else { v }));
        }
        match clean.parse::<f64>() {
            Ok(f) => {
                let f = if neg { -f } else { f };
                if floaty {
                    Ok(Arg::Float(p, f))
                } else if f.fract() == 0.0 && f.abs() < 9.2e18 {
                    Ok(Arg::Int(p, f as i64))
                } else {
                    Ok(Arg::Float(p, f))
                }
            }
            Err(_) => Err(bad()),
        }
    }
}

fn tokens_text(toks: &[Token]) -> String {
    toks.iter()
        .map(|t| t.text.as_str())
        .collect::<Vec<_>>()
        .join(" ")
}
