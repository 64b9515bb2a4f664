//! A YAML emitter that writes what Ansible's `to_yaml`/`to_nice_yaml` write.
//!
//! Ansible calls `yaml.dump(..., Dumper=AnsibleDumper, allow_unicode=True)`,
//! and `AnsibleDumper` derives from PyYAML's `CSafeDumper`: the Python
//! representer feeding libyaml's C emitter. Users diff that text, embed it
//! in ConfigMaps and compare it in tests, so it has to match byte for byte.
//!
//! * [`to_node`] is the representer: `sort_keys=True`, flow style only for
//!   collections of scalars when `default_flow_style=None`, and the
//!   float/bool/null spellings of `SafeRepresenter`.
//! * [`Emitter`] follows libyaml's emitter behaviour: the same indentation
//!   stack and column tracking, its scalar analysis (astral characters,
//!   tabs and NEL are "special" and force double quotes even with
//!   `allow_unicode`), its style selection, and its character-by-character
//!   line folding past 80 columns.

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
    Scalar {
        value: String,
        is_str: bool,
    },
    Seq {
        items: Vec<Node>,
        flow: bool,
    },
    Map {
        pairs: Vec<(Node, Node)>,
        flow: bool,
    },
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
        return if f > 0.0 {
            ".inf".into()
        } else {
            "-.inf".into()
        };
    }
    let repr = crate::repr::float_repr(f).to_lowercase();
    if !repr.contains('.') && repr.contains('e') {
        repr.replacen('e', ".0e", 1)
    } else {
        repr
    }
}

/// libyaml's scalar analysis result (`yaml_emitter_analyze_scalar`).
#[derive(Debug, Clone, Copy)]
struct Analysis {
    empty: bool,
    multiline: bool,
    flow_plain_allowed: bool,
    block_plain_allowed: bool,
    single_quoted_allowed: bool,
}

/// libyaml `IS_BREAK`.
fn is_break(c: char) -> bool {
    matches!(c, '\r' | '\n' | '\u{85}' | '\u{2028}' | '\u{2029}')
}

/// libyaml `IS_BLANKZ` (space, tab, line break or end of string).
fn is_blankz(c: Option<char>) -> bool {
    match c {
        None => true,
        Some(c) => matches!(c, '\0' | ' ' | '\t') || is_break(c),
    }
}

/// libyaml `IS_PRINTABLE`: `\n`, printable ASCII and the BMP outside the
/// surrogates, minus BOM/noncharacters. Astral-plane characters are *not*
/// printable for libyaml.
fn is_printable(c: char) -> bool {
    c == '\n'
        || (' '..='~').contains(&c)
        || ('\u{a0}'..='\u{d7ff}').contains(&c)
        || (('\u{e000}'..='\u{fffd}').contains(&c) && c != '\u{feff}')
}

fn analyze(scalar: &[char]) -> Analysis {
    if scalar.is_empty() {
        return Analysis {
            empty: true,
            multiline: false,
            flow_plain_allowed: false,
            block_plain_allowed: true,
            single_quoted_allowed: true,
        };
    }
    let mut block_indicators = false;
    let mut flow_indicators = false;
    let mut line_breaks = false;
    let mut special_characters = false;
    let (mut leading_space, mut leading_break, mut trailing_space, mut trailing_break) =
        (false, false, false, false);
    let (mut break_space, mut space_break) = (false, false);
    if scalar.starts_with(&['-', '-', '-']) || scalar.starts_with(&['.', '.', '.']) {
        block_indicators = true;
        flow_indicators = true;
    }
    let mut preceded_by_whitespace = true;
    let (mut previous_space, mut previous_break) = (false, false);
    let last = scalar.len() - 1;
    for (i, &ch) in scalar.iter().enumerate() {
        let followed_by_whitespace = is_blankz(scalar.get(i + 1).copied());
        if i == 0 {
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
        if !is_printable(ch) {
            special_characters = true;
        }
        if is_break(ch) {
            line_breaks = true;
        }
        if ch == ' ' {
            leading_space |= i == 0;
            trailing_space |= i == last;
            break_space |= previous_break;
            previous_space = true;
            previous_break = false;
        } else if is_break(ch) {
            leading_break |= i == 0;
            trailing_break |= i == last;
            space_break |= previous_space;
            previous_space = false;
            previous_break = true;
        } else {
            previous_space = false;
            previous_break = false;
        }
        preceded_by_whitespace = is_blankz(Some(ch));
    }
    let mut a = Analysis {
        empty: false,
        multiline: line_breaks,
        flow_plain_allowed: true,
        block_plain_allowed: true,
        single_quoted_allowed: true,
    };
    if leading_space || leading_break || trailing_space || trailing_break {
        a.flow_plain_allowed = false;
        a.block_plain_allowed = false;
    }
    if break_space || space_break || special_characters {
        a.flow_plain_allowed = false;
        a.block_plain_allowed = false;
        a.single_quoted_allowed = false;
    }
    if line_breaks {
        a.flow_plain_allowed = false;
        a.block_plain_allowed = false;
    }
    if flow_indicators {
        a.flow_plain_allowed = false;
    }
    if block_indicators {
        a.block_plain_allowed = false;
    }
    a
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Style {
    Plain,
    Single,
    Double,
}

#[derive(Debug, Clone, Copy, Default)]
struct Context {
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
}

impl Emitter {
    fn new(opts: DumpOptions) -> Self {
        let best_indent = if (2..=9).contains(&opts.indent) {
            opts.indent
        } else {
            2
        };
        let best_width = if opts.width <= best_indent * 2 {
            80
        } else {
            opts.width
        };
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
        }
    }

    fn emit_document(&mut self, node: &Node) {
        self.expect_node(node, Context::default());
        // Implicit document end: finish the last line.
        self.write_indent();
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
                let chars: Vec<char> = value.chars().collect();
                let analysis = analyze(&chars);
                // Non-str scalars always resolve back to their own tag when
                // plain; a string is plain-implicit only if its plain text
                // would load back as a string.
                let plain_implicit = !is_str || resolves_plain_as_str(value);
                let style = self.select_style(&analysis, plain_implicit, ctx);
                self.increase_indent(true, false);
                let allow_breaks = !ctx.simple_key;
                match style {
                    Style::Plain => self.write_plain(&chars, allow_breaks),
                    Style::Single => self.write_single_quoted(&chars, allow_breaks),
                    Style::Double => self.write_double_quoted(&chars, allow_breaks),
                }
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
        self.increase_indent(true, false);
        self.flow_level += 1;
        for (i, item) in items.iter().enumerate() {
            if i > 0 {
                self.write_indicator(",", false, false, false);
            }
            if self.column > self.best_width {
                self.write_indent();
            }
            self.expect_node(item, Context::default());
        }
        self.flow_level -= 1;
        self.pop_indent();
        self.write_indicator("]", false, false, false);
    }

    fn flow_mapping(&mut self, pairs: &[(Node, Node)]) {
        self.write_indicator("{", true, true, false);
        self.increase_indent(true, false);
        self.flow_level += 1;
        let map_ctx = Context {
            mapping: true,
            simple_key: false,
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
        self.flow_level -= 1;
        self.pop_indent();
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
            simple_key: false,
        };
        for (k, v) in pairs {
            self.write_indent();
            if check_simple_key(k) {
                self.expect_node(
                    k,
                    Context {
                        mapping: true,
                        simple_key: true,
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

    /// `yaml_emitter_select_scalar_style` for an event without explicit style.
    fn select_style(&self, a: &Analysis, plain_implicit: bool, ctx: Context) -> Style {
        if ctx.simple_key && a.multiline {
            return Style::Double;
        }
        let mut style = Style::Plain;
        if (self.flow_level > 0 && !a.flow_plain_allowed)
            || (self.flow_level == 0 && !a.block_plain_allowed)
        {
            style = Style::Single;
        }
        if a.empty && (self.flow_level > 0 || ctx.simple_key) {
            style = Style::Single;
        }
        if !plain_implicit {
            style = Style::Single;
        }
        if style == Style::Single && !a.single_quoted_allowed {
            style = Style::Double;
        }
        style
    }

    fn put(&mut self, c: char) {
        self.out.push(c);
        self.column += 1;
    }

    fn put_break(&mut self) {
        self.out.push('\n');
        self.column = 0;
    }

    /// libyaml `WRITE_BREAK`: `\n` becomes the line break, other break
    /// characters are copied as they are.
    fn write_break(&mut self, c: char) {
        if c == '\n' {
            self.put_break();
        } else {
            self.out.push(c);
            self.column = 0;
        }
    }

    fn write_indicator(
        &mut self,
        indicator: &str,
        need_whitespace: bool,
        is_whitespace: bool,
        is_indention: bool,
    ) {
        if need_whitespace && !self.whitespace {
            self.put(' ');
        }
        for c in indicator.chars() {
            self.put(c);
        }
        self.whitespace = is_whitespace;
        self.indention = self.indention && is_indention;
    }

    fn write_indent(&mut self) {
        let indent = self.indent.unwrap_or(0);
        if !self.indention || self.column > indent || (self.column == indent && !self.whitespace) {
            self.put_break();
        }
        while self.column < indent {
            self.put(' ');
        }
        self.whitespace = true;
        self.indention = true;
    }

    fn write_plain(&mut self, text: &[char], allow_breaks: bool) {
        if !self.whitespace && (!text.is_empty() || self.flow_level > 0) {
            self.put(' ');
        }
        let (mut spaces, mut breaks) = (false, false);
        for (i, &ch) in text.iter().enumerate() {
            if ch == ' ' {
                if allow_breaks
                    && !spaces
                    && self.column > self.best_width
                    && text.get(i + 1) != Some(&' ')
                {
                    self.write_indent();
                } else {
                    self.put(ch);
                }
                spaces = true;
            } else if is_break(ch) {
                if !breaks && ch == '\n' {
                    self.put_break();
                }
                self.write_break(ch);
                self.indention = true;
                breaks = true;
            } else {
                if breaks {
                    self.write_indent();
                }
                self.put(ch);
                self.indention = false;
                spaces = false;
                breaks = false;
            }
        }
        self.whitespace = false;
        self.indention = false;
    }

    fn write_single_quoted(&mut self, text: &[char], allow_breaks: bool) {
        self.write_indicator("'", true, false, false);
        let (mut spaces, mut breaks) = (false, false);
        let last = text.len().saturating_sub(1);
        for (i, &ch) in text.iter().enumerate() {
            if ch == ' ' {
                if allow_breaks
                    && !spaces
                    && self.column > self.best_width
                    && i != 0
                    && i != last
                    && text.get(i + 1) != Some(&' ')
                {
                    self.write_indent();
                } else {
                    self.put(ch);
                }
                spaces = true;
            } else if is_break(ch) {
                if !breaks && ch == '\n' {
                    self.put_break();
                }
                self.write_break(ch);
                self.indention = true;
                breaks = true;
            } else {
                if breaks {
                    self.write_indent();
                }
                if ch == '\'' {
                    self.put('\'');
                }
                self.put(ch);
                self.indention = false;
                spaces = false;
                breaks = false;
            }
        }
        if breaks {
            self.write_indent();
        }
        self.write_indicator("'", false, false, false);
        self.whitespace = false;
        self.indention = false;
    }

    fn write_double_quoted(&mut self, text: &[char], allow_breaks: bool) {
        self.write_indicator("\"", true, false, false);
        let mut spaces = false;
        let last = text.len().saturating_sub(1);
        for (i, &ch) in text.iter().enumerate() {
            if !is_printable(ch) || ch == '\u{feff}' || is_break(ch) || ch == '"' || ch == '\\' {
                self.put('\\');
                let escape = match ch {
                    '\0' => Some('0'),
                    '\u{7}' => Some('a'),
                    '\u{8}' => Some('b'),
                    '\t' => Some('t'),
                    '\n' => Some('n'),
                    '\u{b}' => Some('v'),
                    '\u{c}' => Some('f'),
                    '\r' => Some('r'),
                    '\u{1b}' => Some('e'),
                    '"' => Some('"'),
                    '\\' => Some('\\'),
                    '\u{85}' => Some('N'),
                    '\u{a0}' => Some('_'),
                    '\u{2028}' => Some('L'),
                    '\u{2029}' => Some('P'),
                    _ => None,
                };
                match escape {
                    Some(e) => self.put(e),
                    None => {
                        let v = ch as u32;
                        let (prefix, width) = if v <= 0xff {
                            ('x', 2)
                        } else if v <= 0xffff {
                            ('u', 4)
                        } else {
                            ('U', 8)
                        };
                        self.put(prefix);
                        for digit in format!("{v:0width$X}").chars() {
                            self.put(digit);
                        }
                    }
                }
                spaces = false;
            } else if ch == ' ' {
                if allow_breaks && !spaces && self.column > self.best_width && i != 0 && i != last {
                    self.write_indent();
                    if text.get(i + 1) == Some(&' ') {
                        self.put('\\');
                    }
                } else {
                    self.put(ch);
                }
                spaces = true;
            } else {
                self.put(ch);
                spaces = false;
            }
        }
        self.write_indicator("\"", false, false, false);
        self.whitespace = false;
        self.indention = false;
    }
}

/// `yaml_emitter_check_simple_key` for the nodes the representer produces:
/// single-line scalars of at most 128 bytes, or empty collections.
fn check_simple_key(node: &Node) -> bool {
    match node {
        Node::Scalar { value, .. } => value.len() <= 128 && !value.chars().any(is_break),
        Node::Seq { items, .. } => items.is_empty(),
        Node::Map { pairs, .. } => pairs.is_empty(),
    }
}
