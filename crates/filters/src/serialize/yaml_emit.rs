//! A YAML emitter that writes what PyYAML's `SafeDumper` writes.
//!
//! Ansible's `to_yaml`/`to_nice_yaml` call `yaml.dump(..., Dumper=AnsibleDumper,
//! allow_unicode=True)`, and users diff that text, embed it in ConfigMaps
//! and compare it in tests, so it has to match byte for byte. The structure
//! here is a recursive transcription of PyYAML's event-driven `Emitter`
//! (`yaml/emitter.py`): the same indentation stack, column tracking,
//! scalar analysis, style choice and line folding at 80 columns. The
//! representer part (`sort_keys=True`, flow style only for collections of
//! plain scalars when `default_flow_style=None`, float/bool/null spellings)
//! lives in [`to_node`].

use minijinja::value::{Value, ValueKind};
use minijinja::{Error, ErrorKind};

use crate::util::{invalid, map_entries};
use crate::yaml_resolve::resolves_plain_as_str;

/// How `yaml.dump` was called.
#[derive(Debug, Clone, Copy)]
pub(crate) struct DumpOptions {
    /// `indent=`; PyYAML ignores values outside `2..=9`.
    pub indent: usize,
    /// `default_flow_style=`: `None` picks flow style for collections whose
    /// children are all plain scalars; `Some(b)` forces it.
    pub default_flow_style: Option<bool>,
    /// `width=`; defaults to 80.
    pub width: usize,
    /// `sort_keys=`; PyYAML sorts mapping keys unless told otherwise.
    pub sort_keys: bool,
}

/// A represented node (PyYAML's `ScalarNode`/`SequenceNode`/`MappingNode`).
#[derive(Debug)]
enum Node {
    Scalar { value: String, is_str: bool },
    Seq { items: Vec<Node>, flow: bool },
    Map { pairs: Vec<(Node, Node)>, flow: bool },
}

impl Node {
    /// PyYAML's "plain scalar node without explicit style" check used by
    /// the representer's `best_style`.
    fn is_plain_scalar(&self) -> bool {
        matches!(self, Node::Scalar { .. })
    }
}

/// `yaml.dump(value, Dumper=AnsibleDumper, allow_unicode=True, ...)`.
pub(crate) fn dump(value: &Value, opts: DumpOptions) -> Result<String, Error> {
    let node = to_node(value, opts)?;
    let mut em = Emitter::new(opts);
    em.emit_document(&node);
    Ok(em.out)
}

fn to_node(value: &Value, opts: DumpOptions) -> Result<Node, Error> {
    let scalar = |s: &str| Node::Scalar {
        value: s.to_owned(),
        is_str: false,
    };
    Ok(match value.kind() {
        ValueKind::Undefined => {
            return Err(Error::new(
                ErrorKind::UndefinedError,
                "cannot serialize an undefined value to YAML",
            ));
        }
        ValueKind::None => scalar("null"),
        ValueKind::Bool => scalar(if value.is_true() { "true" } else { "false" }),
        ValueKind::Number => scalar(&yaml_number(value)),
        ValueKind::String => Node::Scalar {
            value: value.as_str().unwrap_or_default().to_owned(),
            is_str: true,
        },
        ValueKind::Seq | ValueKind::Iterable => {
            let items = value
                .try_iter()
                .map_err(|e| invalid("to_yaml: cannot iterate sequence").with_source(e))?
                .map(|v| to_node(&v, opts))
                .collect::<Result<Vec<_>, _>>()?;
            let best = items.iter().all(Node::is_plain_scalar_for_style);
            Node::Seq {
                flow: opts.default_flow_style.unwrap_or(best),
                items,
            }
        }
        ValueKind::Map => {
            let mut entries = map_entries("to_yaml", value)?;
            if opts.sort_keys {
                crate::collections::py_sort(&mut entries, |p| &p.0)?;
            }
            let pairs = entries
                .iter()
                .map(|(k, v)| Ok((to_node(k, opts)?, to_node(v, opts)?)))
                .collect::<Result<Vec<_>, Error>>()?;
            let best = pairs
                .iter()
                .all(|(k, v)| k.is_plain_scalar_for_style() && v.is_plain_scalar_for_style());
            Node::Map {
                flow: opts.default_flow_style.unwrap_or(best),
                pairs,
            }
        }
        _ => {
            return Err(invalid(format!(
                "cannot represent an object of type {} as YAML",
                crate::repr::python_type_name(value)
            )));
        }
    })
}

impl Node {
    /// Representer nodes never carry an explicit style for safe types, so
    /// "plain" here just means "a scalar" (PyYAML: `ScalarNode and not style`).
    fn is_plain_scalar_for_style(&self) -> bool {
        self.is_plain_scalar()
    }
}

/// `SafeRepresenter.represent_int/represent_float`.
fn yaml_number(value: &Value) -> String {
    if value.is_integer() {
        return value.to_string();
    }
    let Ok(f) = f64::try_from(value.clone()) else {
        return value.to_string();
    };
    if f.is_nan() {
        return ".nan".into();
    }
    if f.is_infinite() {
        return if f > 0.0 { ".inf".into() } else { "-.inf".into() };
    }
    let repr = crate::repr::float_repr(f).to_lowercase();
    if !repr.contains('.') && repr.contains('e') {
        repr.replacen('e', ".0e", 1)
    } else {
        repr
    }
}

/// `Emitter.analyze_scalar`'s result.
#[derive(Debug, Clone, Copy)]
struct Analysis {
    empty: bool,
    multiline: bool,
    allow_flow_plain: bool,
    allow_block_plain: bool,
    allow_single_quoted: bool,
}

fn is_break(c: char) -> bool {
    matches!(c, '\n' | '\u{85}' | '\u{2028}' | '\u{2029}')
}

fn is_ws_or_break(c: char) -> bool {
    matches!(c, '\0' | ' ' | '\t' | '\r' | '\n' | '\u{85}' | '\u{2028}' | '\u{2029}')
}

fn analyze(scalar: &[char]) -> Analysis {
    if scalar.is_empty() {
        return Analysis {
            empty: true,
            multiline: false,
            allow_flow_plain: false,
            allow_block_plain: true,
            allow_single_quoted: true,
        };
    }
    let mut block_indicators = false;
    let mut flow_indicators = false;
    let mut line_breaks = false;
    let mut special_characters = false;
    let mut leading_space = false;
    let mut leading_break = false;
    let mut trailing_space = false;
    let mut trailing_break = false;
    let mut break_space = false;
    let mut space_break = false;
    let starts_with = |p: &str| {
        let p: Vec<char> = p.chars().collect();
        scalar.starts_with(&p)
    };
    if starts_with("---") || starts_with("...") {
        block_indicators = true;
        flow_indicators = true;
    }
    let mut preceded_by_whitespace = true;
    let mut followed_by_whitespace = scalar.len() == 1 || scalar.get(1).is_some_and(|&c| is_ws_or_break(c));
    let mut previous_space = false;
    let mut previous_break = false;
    let len = scalar.len();
    for (index, &ch) in scalar.iter().enumerate() {
        if index == 0 {
            if "#,[]{}&*!|>'\"%@`".contains(ch) {
                flow_indicators = true;
                block_indicators = true;
            }
            if ch == '?' || ch == ':' {
                flow_indicators = true;
                if followed_by_whitespace {
                    block_indicators = true;
                }
            }
            if ch == '-' && followed_by_whitespace {
                flow_indicators = true;
                block_indicators = true;
            }
        } else {
            if ",?[]{}".contains(ch) {
                flow_indicators = true;
            }
            if ch == ':' {
                flow_indicators = true;
                if followed_by_whitespace {
                    block_indicators = true;
                }
            }
            if ch == '#' && preceded_by_whitespace {
                flow_indicators = true;
                block_indicators = true;
            }
        }
        if is_break(ch) {
            line_breaks = true;
        }
        if !(ch == '\n' || ('\u{20}'..='\u{7e}').contains(&ch)) {
            let unicode = (ch == '\u{85}'
                || ('\u{a0}'..='\u{d7ff}').contains(&ch)
                || ('\u{e000}'..='\u{fffd}').contains(&ch)
                || ('\u{10000}'..'\u{10ffff}').contains(&ch))
                && ch != '\u{feff}';
            // allow_unicode=True: unicode characters are not special.
            if !unicode {
                special_characters = true;
            }
        }
        if ch == ' ' {
            if index == 0 {
                leading_space = true;
            }
            if index == len - 1 {
                trailing_space = true;
            }
            if previous_break {
                break_space = true;
            }
            previous_space = true;
            previous_break = false;
        } else if is_break(ch) {
            if index == 0 {
                leading_break = true;
            }
            if index == len - 1 {
                trailing_break = true;
            }
            if previous_space {
                space_break = true;
            }
            previous_space = false;
            previous_break = true;
        } else {
            previous_space = false;
            previous_break = false;
        }
        preceded_by_whitespace = is_ws_or_break(ch);
        followed_by_whitespace = index + 2 >= len || scalar.get(index + 2).is_some_and(|&c| is_ws_or_break(c));
    }
    let mut allow_flow_plain = true;
    let mut allow_block_plain = true;
    let mut allow_single_quoted = true;
    if leading_space || leading_break || trailing_space || trailing_break {
        allow_flow_plain = false;
        allow_block_plain = false;
    }
    if break_space {
        allow_flow_plain = false;
        allow_block_plain = false;
        allow_single_quoted = false;
    }
    if space_break || special_characters {
        allow_flow_plain = false;
        allow_block_plain = false;
        allow_single_quoted = false;
    }
    if line_breaks {
        allow_flow_plain = false;
        allow_block_plain = false;
    }
    if flow_indicators {
        allow_flow_plain = false;
    }
    if block_indicators {
        allow_block_plain = false;
    }
    Analysis {
        empty: false,
        multiline: line_breaks,
        allow_flow_plain,
        allow_block_plain,
        allow_single_quoted,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Style {
    Plain,
    Single,
    Double,
}

#[derive(Debug, Clone, Copy, Default)]
struct Context {
    root: bool,
    mapping: bool,
    simple_key: bool,
}

struct Emitter {
    out: String,
    best_indent: usize,
    best_width: usize,
    indent: Option<usize>,
    indents: Vec<Option<usize>>,
    flow_level: usize,
    column: usize,
    whitespace: bool,
    indention: bool,
    open_ended: bool,
}

impl Emitter {
    fn new(opts: DumpOptions) -> Self {
        let best_indent = if opts.indent > 1 && opts.indent < 10 { opts.indent } else { 2 };
        let best_width = if opts.width > best_indent * 2 { opts.width } else { 80 };
        Emitter {
            out: String::new(),
            best_indent,
            best_width,
            indent: None,
            indents: Vec::new(),
            flow_level: 0,
            column: 0,
            whitespace: true,
            indention: true,
            open_ended: false,
        }
    }

    fn emit_document(&mut self, node: &Node) {
        self.expect_node(
            node,
            Context {
                root: true,
                ..Context::default()
            },
        );
        // DocumentEnd (implicit) then StreamEnd.
        self.write_indent();
        if self.open_ended {
            self.write_indicator("...", true, false, false);
            self.write_indent();
        }
    }

    fn increase_indent(&mut self, flow: bool, indentless: bool) {
        self.indents.push(self.indent);
        match self.indent {
            None => self.indent = Some(if flow { self.best_indent } else { 0 }),
            Some(i) if !indentless => self.indent = Some(i + self.best_indent),
            Some(_) => {}
        }
    }

    fn pop_indent(&mut self) {
        self.indent = self.indents.pop().flatten();
    }

    fn expect_node(&mut self, node: &Node, ctx: Context) {
        match node {
            Node::Scalar { value, is_str } => {
                self.increase_indent(true, false);
                self.process_scalar(value, *is_str, ctx);
                self.pop_indent();
            }
            Node::Seq { items, flow } => {
                if self.flow_level > 0 || *flow || items.is_empty() {
                    self.flow_sequence(items);
                } else {
                    self.block_sequence(items, ctx);
                }
            }
            Node::Map { pairs, flow } => {
                if self.flow_level > 0 || *flow || pairs.is_empty() {
                    self.flow_mapping(pairs);
                } else {
                    self.block_mapping(pairs);
                }
            }
        }
    }

    fn flow_sequence(&mut self, items: &[Node]) {
        self.write_indicator("[", true, true, false);
        self.flow_level += 1;
        self.increase_indent(true, false);
        for (i, item) in items.iter().enumerate() {
            if i > 0 {
                self.write_indicator(",", false, false, false);
            }
            if self.column > self.best_width {
                self.write_indent();
            }
            self.expect_node(item, Context::default());
        }
        self.pop_indent();
        self.flow_level -= 1;
        self.write_indicator("]", false, false, false);
    }

    fn flow_mapping(&mut self, pairs: &[(Node, Node)]) {
        self.write_indicator("{", true, true, false);
        self.flow_level += 1;
        self.increase_indent(true, false);
        let map_ctx = Context {
            mapping: true,
            ..Context::default()
        };
        for (i, (k, v)) in pairs.iter().enumerate() {
            if i > 0 {
                self.write_indicator(",", false, false, false);
            }
            if self.column > self.best_width {
                self.write_indent();
            }
            if check_simple_key(k) {
                self.expect_node(
                    k,
                    Context {
                        mapping: true,
                        simple_key: true,
                        ..Context::default()
                    },
                );
                self.write_indicator(":", false, false, false);
            } else {
                self.write_indicator("?", true, false, false);
                self.expect_node(k, map_ctx);
                if self.column > self.best_width {
                    self.write_indent();
                }
                self.write_indicator(":", true, false, false);
            }
            self.expect_node(v, map_ctx);
        }
        self.pop_indent();
        self.flow_level -= 1;
        self.write_indicator("}", false, false, false);
    }

    fn block_sequence(&mut self, items: &[Node], ctx: Context) {
        let indentless = ctx.mapping && !self.indention;
        self.increase_indent(false, indentless);
        for item in items {
            self.write_indent();
            self.write_indicator("-", true, false, true);
            self.expect_node(item, Context::default());
        }
        self.pop_indent();
    }

    fn block_mapping(&mut self, pairs: &[(Node, Node)]) {
        self.increase_indent(false, false);
        let map_ctx = Context {
            mapping: true,
            ..Context::default()
        };
        for (k, v) in pairs {
            self.write_indent();
            if check_simple_key(k) {
                self.expect_node(
                    k,
                    Context {
                        mapping: true,
                        simple_key: true,
                        ..Context::default()
                    },
                );
                self.write_indicator(":", false, false, false);
            } else {
                self.write_indicator("?", true, false, true);
                self.expect_node(k, map_ctx);
                self.write_indent();
                self.write_indicator(":", true, false, true);
            }
            self.expect_node(v, map_ctx);
        }
        self.pop_indent();
    }

    fn choose_style(&self, a: &Analysis, plain_implicit: bool, ctx: Context) -> Style {
        if plain_implicit
            && !(ctx.simple_key && (a.empty || a.multiline))
            && ((self.flow_level > 0 && a.allow_flow_plain)
                || (self.flow_level == 0 && a.allow_block_plain))
        {
            return Style::Plain;
        }
        if a.allow_single_quoted && !(ctx.simple_key && a.multiline) {
            return Style::Single;
        }
        Style::Double
    }

    fn process_scalar(&mut self, value: &str, is_str: bool, ctx: Context) {
        let chars: Vec<char> = value.chars().collect();
        let analysis = analyze(&chars);
        // Non-str scalars are represented with their own tag and always
        // resolve back to it when plain; strings are plain-implicit only if
        // the plain text would not resolve to another type.
        let plain_implicit = !is_str || resolves_plain_as_str(value);
        let style = self.choose_style(&analysis, plain_implicit, ctx);
        let split = !ctx.simple_key;
        match style {
            Style::Plain => self.write_plain(&chars, split, ctx.root),
            Style::Single => self.write_single_quoted(&chars, split),
            Style::Double => self.write_double_quoted(&chars, split),
        }
    }

    fn write_raw(&mut self, data: &str) {
        self.column += data.chars().count();
        self.out.push_str(data);
    }

    fn write_chars(&mut self, data: &[char]) {
        self.column += data.len();
        self.out.extend(data.iter());
    }

    fn write_indicator(&mut self, indicator: &str, need_whitespace: bool, whitespace: bool, indention: bool) {
        if !(self.whitespace || !need_whitespace) {
            self.out.push(' ');
            self.column += 1;
        }
        self.out.push_str(indicator);
        self.column += indicator.chars().count();
        self.whitespace = whitespace;
        self.indention = self.indention && indention;
        self.open_ended = false;
    }

    fn write_indent(&mut self) {
        let indent = self.indent.unwrap_or(0);
        if !self.indention || self.column > indent || (self.column == indent && !self.whitespace) {
            self.write_line_break(None);
        }
        if self.column < indent {
            self.whitespace = true;
            let pad = indent - self.column;
            self.out.extend(std::iter::repeat_n(' ', pad));
            self.column = indent;
        }
    }

    fn write_line_break(&mut self, data: Option<char>) {
        self.whitespace = true;
        self.indention = true;
        self.column = 0;
        self.out.push(data.unwrap_or('\n'));
    }

    fn write_plain(&mut self, text: &[char], split: bool, root: bool) {
        if root {
            self.open_ended = true;
        }
        if text.is_empty() {
            return;
        }
        if !self.whitespace {
            self.write_raw(" ");
        }
        self.whitespace = false;
        self.indention = false;
        let mut spaces = false;
        let mut breaks = false;
        let mut start = 0;
        let mut end = 0;
        while end <= text.len() {
            let ch = text.get(end).copied();
            if spaces {
                if ch != Some(' ') {
                    if start + 1 == end && self.column > self.best_width && split {
                        self.write_indent();
                        self.whitespace = false;
                        self.indention = false;
                    } else {
                        self.write_chars(&text[start..end]);
                    }
                    start = end;
                }
            } else if breaks {
                if !ch.is_some_and(is_break) {
                    if text.get(start) == Some(&'\n') {
                        self.write_line_break(None);
                    }
                    for &br in &text[start..end] {
                        self.write_line_break(Some(br));
                    }
                    self.write_indent();
                    self.whitespace = false;
                    self.indention = false;
                    start = end;
                }
            } else if ch.is_none_or(|c| c == ' ' || is_break(c)) {
                self.write_chars(&text[start..end]);
                start = end;
            }
            if let Some(c) = ch {
                spaces = c == ' ';
                breaks = is_break(c);
            }
            end += 1;
        }
    }

    fn write_single_quoted(&mut self, text: &[char], split: bool) {
        self.write_indicator("'", true, false, false);
        let mut spaces = false;
        let mut breaks = false;
        let mut start = 0;
        let mut end = 0;
        while end <= text.len() {
            let ch = text.get(end).copied();
            if spaces {
                if ch != Some(' ') {
                    if start + 1 == end && self.column > self.best_width && split && start != 0 && end != text.len()
                    {
                        self.write_indent();
                    } else {
                        self.write_chars(&text[start..end]);
                    }
                    start = end;
                }
            } else if breaks {
                if !ch.is_some_and(is_break) {
                    if text.get(start) == Some(&'\n') {
                        self.write_line_break(None);
                    }
                    for &br in &text[start..end] {
                        self.write_line_break(Some(br));
                    }
                    self.write_indent();
                    start = end;
                }
            } else if ch.is_none_or(|c| c == ' ' || is_break(c) || c == '\'') && start < end {
                self.write_chars(&text[start..end]);
                start = end;
            }
            if ch == Some('\'') {
                self.write_raw("''");
                start = end + 1;
            }
            if let Some(c) = ch {
                spaces = c == ' ';
                breaks = is_break(c);
            }
            end += 1;
        }
        self.write_indicator("'", false, false, false);
    }

    fn write_double_quoted(&mut self, text: &[char], split: bool) {
        self.write_indicator("\"", true, false, false);
        let mut start = 0;
        let mut end = 0;
        while end <= text.len() {
            let ch = text.get(end).copied();
            let needs_escape = ch.is_none_or(|c| {
                matches!(c, '"' | '\\' | '\u{85}' | '\u{2028}' | '\u{2029}' | '\u{feff}')
                    || !(('\u{20}'..='\u{7e}').contains(&c)
                        || ('\u{a0}'..='\u{d7ff}').contains(&c)
                        || ('\u{e000}'..='\u{fffd}').contains(&c))
            });
            if needs_escape {
                if start < end {
                    self.write_chars(&text[start..end]);
                    start = end;
                }
                if let Some(c) = ch {
                    let data = match c {
                        '\0' => "\\0".to_owned(),
                        '\u{7}' => "\\a".to_owned(),
                        '\u{8}' => "\\b".to_owned(),
                        '\t' => "\\t".to_owned(),
                        '\n' => "\\n".to_owned(),
                        '\u{b}' => "\\v".to_owned(),
                        '\u{c}' => "\\f".to_owned(),
                        '\r' => "\\r".to_owned(),
                        '\u{1b}' => "\\e".to_owned(),
                        '"' => "\\\"".to_owned(),
                        '\\' => "\\\\".to_owned(),
                        '\u{85}' => "\\N".to_owned(),
                        '\u{a0}' => "\\_".to_owned(),
                        '\u{2028}' => "\\L".to_owned(),
                        '\u{2029}' => "\\P".to_owned(),
                        c if (c as u32) <= 0xff => format!("\\x{:02X}", c as u32),
                        c if (c as u32) <= 0xffff => format!("\\u{:04X}", c as u32),
                        c => format!("\\U{:08X}", c as u32),
                    };
                    self.write_raw(&data);
                    start = end + 1;
                }
            }
            if end > 0
                && end + 1 < text.len()
                && (ch == Some(' ') || start >= end)
                && self.column + end.saturating_sub(start) > self.best_width
                && split
            {
                let mut data: String = text[start.min(end)..end].iter().collect();
                data.push('\\');
                if start < end {
                    start = end;
                }
                self.write_raw(&data);
                self.write_indent();
                self.whitespace = false;
                self.indention = false;
                if text.get(start) == Some(&' ') {
                    self.write_raw("\\");
                }
            }
            end += 1;
        }
        self.write_indicator("\"", false, false, false);
    }
}

/// `Emitter.check_simple_key` for the nodes the representer produces.
fn check_simple_key(node: &Node) -> bool {
    match node {
        Node::Scalar { value, .. } => {
            let chars: Vec<char> = value.chars().collect();
            let a = analyze(&chars);
            chars.len() < 128 && !a.empty && !a.multiline
        }
        Node::Seq { items, .. } => items.is_empty(),
        Node::Map { pairs, .. } => pairs.is_empty(),
    }
}
