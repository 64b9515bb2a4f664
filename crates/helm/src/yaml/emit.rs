//! `toYaml` exactly as Helm prints it.
//!
//! Helm marshals with `sigs.k8s.io/yaml`: the value goes through
//! `encoding/json` first, then is re-read and written by go-yaml v2 (a port
//! of libyaml's emitter). That fixes the observable format: keys sorted by
//! go-yaml's natural order, 2-space indentation, sequences not indented under
//! their key, scalars quoted only when they would otherwise resolve to
//! another type, long lines folded at column 80, and numbers normalised by
//! the JSON round trip (`1e+06` becomes `1000000`).

use crate::value::{Value, format_float_g};

const BEST_WIDTH: usize = 80;

/// A value after the JSON round trip: what go-yaml actually sees.
enum Node {
    Null,
    Bool(bool),
    /// Integer or float text as go-yaml will print it.
    Num(String),
    Str(String),
    Seq(Vec<Node>),
    Map(Vec<(String, Node)>),
}

/// Why a value cannot be marshalled (Helm's `toYaml` then yields "").
#[derive(Debug, Clone, PartialEq)]
pub enum MarshalError {
    /// `encoding/json` rejects NaN and infinities.
    UnsupportedFloat,
    /// go-yaml's reader rejects DEL, C1 controls and U+FFFE/U+FFFF, which
    /// `encoding/json` leaves unescaped.
    ControlCharacter,
}

/// Checks what `sigs.k8s.io/yaml.Marshal` would fail on.
pub fn check_marshal(v: &Value) -> Result<(), MarshalError> {
    fn bad_char(c: char) -> bool {
        let u = c as u32;
        u == 0x7F || ((0x80..=0x9F).contains(&u) && u != 0x85) || u == 0xFFFE || u == 0xFFFF
    }
    match v {
        Value::Float(f) if !f.is_finite() => Err(MarshalError::UnsupportedFloat),
        Value::Str(s) if s.chars().any(bad_char) => Err(MarshalError::ControlCharacter),
        Value::List(l) => l.iter().try_for_each(check_marshal),
        Value::Map(m) => m.snapshot().iter().try_for_each(|(k, v)| {
            if k.chars().any(bad_char) {
                return Err(MarshalError::ControlCharacter);
            }
            check_marshal(v)
        }),
        Value::Object(o) => check_marshal(&o.to_data()),
        _ => Ok(()),
    }
}

/// Marshals like `sigs.k8s.io/yaml.Marshal` (with the trailing newline).
pub fn to_yaml(v: &Value) -> String {
    let node = to_node(&v.to_data());
    let mut e = Emitter {
        out: String::new(),
        column: 0,
        width: BEST_WIDTH,
        indent_seq: false,
    };
    // A root scalar is indented like a nested one (libyaml's first indent).
    let indent = if matches!(node, Node::Str(_)) { 2 } else { 0 };
    e.node(&node, indent, Ctx::Root);
    if !e.out.ends_with('\n') {
        e.out.push('\n');
    }
    e.out
}

/// Helm's `toYamlPretty` (go-yaml v3 encoder, indent 2): no JSON round
/// trip (floats print as Go's `%g`), sequences indented under their key,
/// no line folding.
pub fn helm_to_yaml_pretty(v: &Value) -> String {
    if check_marshal(v).is_err() {
        return String::new();
    }
    let node = to_node_raw(&v.to_data());
    let mut e = Emitter {
        out: String::new(),
        column: 0,
        width: usize::MAX,
        indent_seq: true,
    };
    let indent = if matches!(node, Node::Str(_)) { 2 } else { 0 };
    e.node(&node, indent, Ctx::Root);
    e.out.trim_end_matches('\n').to_string()
}

fn to_node_raw(v: &Value) -> Node {
    match v {
        Value::Float(f) => Node::Num(format_float_g(*f, 6)),
        Value::List(l) => Node::Seq(l.iter().map(to_node_raw).collect()),
        Value::Map(m) => {
            let mut entries: Vec<(String, Node)> = m
                .snapshot()
                .iter()
                .map(|(k, v)| (k.clone(), to_node_raw(v)))
                .collect();
            entries.sort_by(|a, b| key_cmp(&a.0, &b.0));
            Node::Map(entries)
        }
        Value::Str(s) => Node::Str(s.to_string()),
        other => to_node(other),
    }
}

/// Helm's `toYaml`: marshal and drop the final newline ("" when the value
/// cannot be marshalled).
pub fn helm_to_yaml(v: &Value) -> String {
    if check_marshal(v).is_err() {
        return String::new();
    }
    let s = to_yaml(v);
    s.strip_suffix('\n').map(str::to_string).unwrap_or(s)
}

/// Go's `encoding/json` float formatting.
pub fn json_float(f: f64) -> String {
    if f.is_nan() || f.is_infinite() {
        return "null".into();
    }
    let abs = f.abs();
    if abs != 0.0 && !(1e-6..1e21).contains(&abs) {
        // 'e' format, then Go trims "e-07" to "e-7".
        let s = format_float_g(f, -100);
        if let Some((m, e)) = s.split_once('e') {
            let (sign, digits) = e.split_at(1);
            let digits = digits.trim_start_matches('0');
            return format!("{m}e{sign}{}", if digits.is_empty() { "0" } else { digits });
        }
        s
    } else {
        // Shortest digits in plain decimal form.
        crate::value::format_float_f(f)
    }
}

fn num_node(text: String) -> Node {
    // go-yaml re-resolves the JSON number: ints stay ints, others become
    // floats printed with FormatFloat('g', -1).
    if let Ok(i) = text.parse::<i64>() {
        return Node::Num(i.to_string());
    }
    if text.parse::<u64>().is_ok() {
        return Node::Num(text);
    }
    match text.parse::<f64>() {
        Ok(f) => Node::Num(format_float_g(f, 6)),
        Err(_) => Node::Num(text),
    }
}

fn to_node(v: &Value) -> Node {
    match v {
        Value::Nil => Node::Null,
        Value::Bool(b) => Node::Bool(*b),
        Value::Int(i) | Value::Int64(i) => Node::Num(i.to_string()),
        Value::Float(f) => {
            if f.is_nan() || f.is_infinite() {
                Node::Null
            } else {
                num_node(json_float(*f))
            }
        }
        Value::Str(s) => Node::Str(fold_nel(s)),
        Value::List(l) => Node::Seq(l.iter().map(to_node).collect()),
        Value::Map(m) => {
            let mut entries: Vec<(String, Node)> = m
                .snapshot()
                .iter()
                .map(|(k, v)| (fold_nel(k), to_node(v)))
                .collect();
            entries.sort_by(|a, b| key_cmp(&a.0, &b.0));
            Node::Map(entries)
        }
        Value::Object(o) => to_node(&o.to_data()),
    }
}

/// `encoding/json` leaves U+0085 (NEL) unescaped, and go-yaml's scanner
/// folds raw line breaks inside the JSON's double-quoted strings: spaces
/// before a break are dropped, a single break becomes a space, further
/// breaks stay newlines, and spaces after them are dropped.
fn fold_nel(s: &str) -> String {
    if !s.contains('\u{85}') {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let chars: Vec<char> = s.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c != ' ' && c != '\u{85}' {
            out.push(c);
            i += 1;
            continue;
        }
        let mut whitespace = String::new();
        let mut leading = false;
        let mut trailing = 0usize;
        while i < chars.len() && (chars[i] == ' ' || chars[i] == '\u{85}') {
            if chars[i] == ' ' {
                if !leading {
                    whitespace.push(' ');
                }
            } else if !leading {
                whitespace.clear();
                leading = true;
            } else {
                trailing += 1;
            }
            i += 1;
        }
        if leading {
            if trailing == 0 {
                out.push(' ');
            } else {
                out.push_str(&"\n".repeat(trailing));
            }
        } else {
            out.push_str(&whitespace);
        }
    }
    out
}

/// go-yaml v2's `keyList.Less` for string keys: a "natural" order where
/// digit runs compare numerically and non-letters sort before letters.
pub fn key_cmp(a: &str, b: &str) -> std::cmp::Ordering {
    use std::cmp::Ordering;
    if key_less(a, b) {
        Ordering::Less
    } else if key_less(b, a) {
        Ordering::Greater
    } else {
        Ordering::Equal
    }
}

fn key_less(a: &str, b: &str) -> bool {
    let ar: Vec<char> = a.chars().collect();
    let br: Vec<char> = b.chars().collect();
    let mut i = 0;
    while i < ar.len() && i < br.len() {
        if ar[i] == br[i] {
            i += 1;
            continue;
        }
        let al = ar[i].is_alphabetic();
        let bl = br[i].is_alphabetic();
        if al && bl {
            return ar[i] < br[i];
        }
        if al || bl {
            return bl;
        }
        let mut an: i64 = 0;
        let mut bn: i64 = 0;
        if ar[i] == '0' || br[i] == '0' {
            let mut j = i;
            while j > 0 && ar[j - 1].is_ascii_digit() {
                j -= 1;
                if ar[j] != '0' {
                    an = 1;
                    bn = 1;
                    break;
                }
            }
        }
        let mut ai = i;
        while ai < ar.len() && ar[ai].is_ascii_digit() {
            an = an.wrapping_mul(10).wrapping_add(ar[ai] as i64 - '0' as i64);
            ai += 1;
        }
        let mut bi = i;
        while bi < br.len() && br[bi].is_ascii_digit() {
            bn = bn.wrapping_mul(10).wrapping_add(br[bi] as i64 - '0' as i64);
            bi += 1;
        }
        if an != bn {
            return an < bn;
        }
        if ai != bi {
            return ai < bi;
        }
        return ar[i] < br[i];
    }
    ar.len() < br.len()
}

#[derive(Clone, Copy, PartialEq)]
enum Ctx {
    Root,
    MapValue,
    SeqItem,
}

#[derive(Clone, Copy, PartialEq)]
enum Style {
    Plain,
    Single,
    Double,
    Literal,
}

struct Emitter {
    out: String,
    column: usize,
    /// Column after which long scalars fold (go-yaml v2: 80; v3: never).
    width: usize,
    /// Indent sequences under their mapping key (go-yaml v3 style).
    indent_seq: bool,
}

impl Emitter {
    fn put(&mut self, s: &str) {
        for c in s.chars() {
            if c == '\n' {
                self.column = 0;
            } else {
                self.column += 1;
            }
        }
        self.out.push_str(s);
    }

    /// libyaml's `write_indent` at the start of a line (column 0).
    fn write_indent(&mut self, indent: usize) {
        if self.column < indent {
            self.put(&" ".repeat(indent - self.column));
        }
    }

    fn newline_indent(&mut self, indent: usize) {
        self.put("\n");
        self.put(&" ".repeat(indent));
    }

    /// Emits `node`; the cursor is right after `key:`/`- ` (or at start).
    fn node(&mut self, node: &Node, indent: usize, ctx: Ctx) {
        match node {
            Node::Map(entries) if !entries.is_empty() => {
                for (i, (k, v)) in entries.iter().enumerate() {
                    if i > 0 || ctx == Ctx::MapValue {
                        if ctx == Ctx::Root && i == 0 {
                        } else {
                            self.newline_indent(indent);
                        }
                    }
                    self.scalar_str(k, indent, true);
                    self.put(":");
                    match v {
                        Node::Map(e) if !e.is_empty() => self.node(v, indent + 2, Ctx::MapValue),
                        Node::Seq(s) if !s.is_empty() => {
                            // v2: indentless sequence under a mapping key
                            let seq_indent = if self.indent_seq { indent + 2 } else { indent };
                            self.newline_indent(seq_indent);
                            self.node(v, seq_indent, Ctx::MapValue);
                        }
                        _ => {
                            self.put(" ");
                            self.node(v, indent + 2, Ctx::MapValue);
                        }
                    }
                }
            }
            Node::Seq(items) if !items.is_empty() => {
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        self.newline_indent(indent);
                    } else if ctx == Ctx::SeqItem {
                        // nested sequence starts inline after "- "
                    }
                    self.put("- ");
                    match item {
                        Node::Map(e) if !e.is_empty() => self.node(item, indent + 2, Ctx::SeqItem),
                        Node::Seq(s) if !s.is_empty() => self.node(item, indent + 2, Ctx::SeqItem),
                        _ => self.node(item, indent + 2, Ctx::SeqItem),
                    }
                }
            }
            Node::Map(_) => self.put("{}"),
            Node::Seq(_) => self.put("[]"),
            Node::Null => self.put("null"),
            Node::Bool(b) => self.put(if *b { "true" } else { "false" }),
            Node::Num(n) => self.put(n),
            Node::Str(s) => self.scalar_str(s, indent, false),
        }
    }

    fn scalar_str(&mut self, s: &str, indent: usize, simple_key: bool) {
        let requested = if s.contains('\n') {
            Style::Literal
        } else if resolves_to_str(s) && !is_base60_float(s) {
            Style::Plain
        } else {
            Style::Double
        };
        let a = analyze(s);
        let mut style = requested;
        if style == Style::Plain && (!a.block_plain_allowed || (s.is_empty() && simple_key)) {
            style = Style::Single;
        }
        if style == Style::Single && !a.single_quoted_allowed {
            style = Style::Double;
        }
        if style == Style::Literal && (!a.block_allowed || simple_key) {
            style = Style::Double;
        }
        let allow_breaks = !simple_key;
        match style {
            Style::Plain => self.write_plain(s, indent, allow_breaks),
            Style::Single => self.write_single(s, indent, allow_breaks),
            Style::Double => self.write_double(s, indent, allow_breaks),
            Style::Literal => self.write_literal(s, indent),
        }
    }

    fn write_plain(&mut self, s: &str, indent: usize, allow_breaks: bool) {
        let chars: Vec<char> = s.chars().collect();
        let mut spaces = false;
        for (i, &c) in chars.iter().enumerate() {
            if c == ' ' {
                if allow_breaks
                    && !spaces
                    && self.column > self.width
                    && chars.get(i + 1) != Some(&' ')
                {
                    self.newline_indent(indent);
                } else {
                    self.put(" ");
                }
                spaces = true;
            } else {
                let mut b = [0u8; 4];
                self.put(c.encode_utf8(&mut b));
                spaces = false;
            }
        }
    }

    fn write_single(&mut self, s: &str, indent: usize, allow_breaks: bool) {
        self.put("'");
        let chars: Vec<char> = s.chars().collect();
        let mut spaces = false;
        let mut breaks = false;
        for (i, &c) in chars.iter().enumerate() {
            if c == ' ' {
                if allow_breaks
                    && !spaces
                    && self.column > self.width
                    && i != 0
                    && i + 1 != chars.len()
                    && chars.get(i + 1) != Some(&' ')
                {
                    self.newline_indent(indent);
                } else {
                    self.put(" ");
                }
                spaces = true;
            } else if is_break(c) {
                // LS/PS (the only breaks single quotes can hold) are copied
                // raw; the next character starts an indented line.
                let mut b = [0u8; 4];
                self.put(c.encode_utf8(&mut b));
                self.column = 0;
                breaks = true;
            } else {
                if breaks {
                    self.write_indent(indent);
                    breaks = false;
                }
                if c == '\'' {
                    self.put("'");
                }
                let mut b = [0u8; 4];
                self.put(c.encode_utf8(&mut b));
                spaces = false;
            }
        }
        self.put("'");
    }

    fn write_double(&mut self, s: &str, indent: usize, allow_breaks: bool) {
        self.put("\"");
        let bom_start = s.starts_with('\u{FEFF}');
        let chars: Vec<char> = s.chars().collect();
        let mut spaces = false;
        for (i, &c) in chars.iter().enumerate() {
            // go-yaml v2's is_bom looks at the start of the string, not at
            // the current character: a leading BOM escapes everything.
            if bom_start
                || !is_printable(c)
                || c == '\u{FEFF}'
                || is_break(c)
                || c == '"'
                || c == '\\'
            {
                let esc = match c {
                    '\0' => "\\0".to_string(),
                    '\x07' => "\\a".into(),
                    '\x08' => "\\b".into(),
                    '\t' => "\\t".into(),
                    '\n' => "\\n".into(),
                    '\x0b' => "\\v".into(),
                    '\x0c' => "\\f".into(),
                    '\r' => "\\r".into(),
                    '\x1b' => "\\e".into(),
                    '"' => "\\\"".into(),
                    '\\' => "\\\\".into(),
                    '\u{85}' => "\\N".into(),
                    '\u{a0}' => "\\_".into(),
                    '\u{2028}' => "\\L".into(),
                    '\u{2029}' => "\\P".into(),
                    c if (c as u32) <= 0xFF => format!("\\x{:02X}", c as u32),
                    c if (c as u32) <= 0xFFFF => format!("\\u{:04X}", c as u32),
                    c => format!("\\U{:08X}", c as u32),
                };
                self.put(&esc);
                spaces = false;
            } else if c == ' ' {
                if allow_breaks
                    && !spaces
                    && self.column > self.width
                    && i != 0
                    && i + 1 != chars.len()
                {
                    self.newline_indent(indent);
                    if chars.get(i + 1) == Some(&' ') {
                        self.put("\\");
                    }
                } else {
                    self.put(" ");
                }
                spaces = true;
            } else {
                let mut b = [0u8; 4];
                self.put(c.encode_utf8(&mut b));
                spaces = false;
            }
        }
        self.put("\"");
    }

    fn write_literal(&mut self, s: &str, indent: usize) {
        self.put("|");
        let first = s.chars().next();
        if first.is_some_and(|c| c == ' ' || is_break(c)) {
            self.put("2");
        }
        let chars: Vec<char> = s.chars().collect();
        let n = chars.len();
        if n == 0 || !is_break(chars[n - 1]) {
            self.put("-");
        } else if n == 1 || is_break(chars[n - 2]) {
            self.put("+");
        }
        self.put("\n");
        let mut breaks = true;
        for &c in &chars {
            if is_break(c) {
                let mut b = [0u8; 4];
                self.put(c.encode_utf8(&mut b));
                self.column = 0;
                breaks = true;
            } else {
                if breaks {
                    self.put(&" ".repeat(indent));
                    breaks = false;
                }
                let mut b = [0u8; 4];
                self.put(c.encode_utf8(&mut b));
            }
        }
        // The emitter's next write starts a new line; drop a final break
        // we already wrote so the caller's newline logic stays uniform.
        if self.out.ends_with('\n') {
            self.out.pop();
            self.column = 0;
        }
    }
}

fn is_break(c: char) -> bool {
    matches!(c, '\r' | '\n' | '\u{85}' | '\u{2028}' | '\u{2029}')
}

fn is_blankz(c: Option<char>) -> bool {
    match c {
        None => true,
        Some(c) => c == ' ' || c == '\t' || is_break(c) || c == '\0',
    }
}

/// go-yaml v2's `is_printable` (its UTF-8 byte test, which rejects
/// characters outside the BMP and U+0085).
fn is_printable(c: char) -> bool {
    let u = c as u32;
    u == 0x0A
        || (0x20..=0x7E).contains(&u)
        || (0xA0..=0xD7FF).contains(&u)
        || ((0xE000..=0xFFFD).contains(&u) && u != 0xFEFF)
}

struct Analysis {
    block_plain_allowed: bool,
    single_quoted_allowed: bool,
    block_allowed: bool,
}

fn analyze(s: &str) -> Analysis {
    if s.is_empty() {
        return Analysis {
            block_plain_allowed: true,
            single_quoted_allowed: true,
            block_allowed: false,
        };
    }
    let chars: Vec<char> = s.chars().collect();
    let mut block_ind = s.starts_with("---") || s.starts_with("...");
    let (mut leading_space, mut leading_break, mut trailing_space, mut trailing_break) =
        (false, false, false, false);
    let (mut break_space, mut space_break, mut prev_space, mut prev_break) =
        (false, false, false, false);
    let mut special = false;
    let mut line_breaks = false;
    let mut preceded_ws = true;
    let n = chars.len();
    for i in 0..n {
        let c = chars[i];
        let followed_ws = is_blankz(chars.get(i + 1).copied());
        if i == 0 {
            if "#,[]{}&*!|>'\"%@`".contains(c) {
                block_ind = true;
            }
            if (c == '?' || c == ':') && followed_ws {
                block_ind = true;
            }
            if c == '-' && followed_ws {
                block_ind = true;
            }
        } else {
            if c == ':' && followed_ws {
                block_ind = true;
            }
            if c == '#' && preceded_ws {
                block_ind = true;
            }
        }
        if !is_printable(c) && !is_break(c) || (is_break(c) && c != '\n' && !is_printable(c)) {
            special = true;
        }
        if is_break(c) {
            line_breaks = true;
        }
        if c == ' ' {
            if i == 0 {
                leading_space = true;
            }
            if i + 1 == n {
                trailing_space = true;
            }
            if prev_break {
                break_space = true;
            }
            prev_space = true;
            prev_break = false;
        } else if is_break(c) {
            if i == 0 {
                leading_break = true;
            }
            if i + 1 == n {
                trailing_break = true;
            }
            if prev_space {
                space_break = true;
            }
            prev_space = false;
            prev_break = true;
        } else {
            prev_space = false;
            prev_break = false;
        }
        preceded_ws = is_blankz(Some(c));
    }
    let mut a = Analysis {
        block_plain_allowed: true,
        single_quoted_allowed: true,
        block_allowed: true,
    };
    if leading_space || leading_break || trailing_space || trailing_break {
        a.block_plain_allowed = false;
    }
    if trailing_space {
        a.block_allowed = false;
    }
    if break_space {
        a.block_plain_allowed = false;
        a.single_quoted_allowed = false;
    }
    if space_break || special {
        a.block_plain_allowed = false;
        a.single_quoted_allowed = false;
        a.block_allowed = false;
    }
    if line_breaks || block_ind {
        a.block_plain_allowed = false;
    }
    a
}

/// go-yaml v2's `isBase60Float`.
fn is_base60_float(s: &str) -> bool {
    // ^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$
    let b = s.as_bytes();
    let mut i = 0;
    if matches!(b.first(), Some(b'-' | b'+')) {
        i += 1;
    }
    if !b.get(i).is_some_and(u8::is_ascii_digit) {
        return false;
    }
    i += 1;
    while b.get(i).is_some_and(|c| c.is_ascii_digit() || *c == b'_') {
        i += 1;
    }
    let mut groups = 0;
    while b.get(i) == Some(&b':') {
        i += 1;
        let start = i;
        while b.get(i).is_some_and(u8::is_ascii_digit) && i - start < 2 {
            i += 1;
        }
        let g = &s[start..i];
        let ok = match g.len() {
            1 => true,
            2 => g.as_bytes()[0] <= b'5',
            _ => false,
        };
        if !ok {
            return false;
        }
        groups += 1;
    }
    if groups == 0 {
        return false;
    }
    if b.get(i) == Some(&b'.') {
        i += 1;
        while b.get(i).is_some_and(|c| c.is_ascii_digit() || *c == b'_') {
            i += 1;
        }
    }
    i == b.len()
}

/// True when go-yaml v2 would resolve the plain scalar `s` to a string.
pub fn resolves_to_str(s: &str) -> bool {
    matches!(
        super::resolve::resolve_plain(s),
        super::resolve::Resolved::Str | super::resolve::Resolved::Merge
    )
}
