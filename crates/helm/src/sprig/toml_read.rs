//! A TOML reader for Helm's `fromToml` (integers become `int64`, floats
//! `float64`, datetimes stay strings): tables, arrays of tables, dotted and
//! quoted keys, basic/literal/multi-line strings, arrays, inline tables.

use crate::value::{Map, MapRef, Value};

/// Parses a TOML document into a map.
pub fn parse(src: &str) -> Result<Value, String> {
    let mut p = P {
        s: src.as_bytes(),
        i: 0,
        line: 1,
    };
    let root = MapRef::default();
    let mut current = root.clone();
    loop {
        p.skip_ws_comments_newlines();
        if p.eof() {
            break;
        }
        if p.peek() == Some(b'[') {
            let array = p.s.get(p.i + 1) == Some(&b'[');
            p.i += if array { 2 } else { 1 };
            p.skip_ws();
            let path = p.key_path()?;
            p.skip_ws();
            if array {
                p.expect(b']')?;
                p.expect(b']')?;
            } else {
                p.expect(b']')?;
            }
            current = open_table(&root, &path, array).map_err(|e| p.err(&e))?;
            p.end_of_line()?;
            continue;
        }
        let path = p.key_path()?;
        p.skip_ws();
        p.expect(b'=')?;
        p.skip_ws();
        let v = p.value()?;
        insert_path(&current, &path, v).map_err(|e| p.err(&e))?;
        p.end_of_line()?;
    }
    Ok(Value::Map(root))
}

fn open_table(root: &MapRef, path: &[String], array: bool) -> Result<MapRef, String> {
    let mut cur = root.clone();
    for (i, k) in path.iter().enumerate() {
        let last = i + 1 == path.len();
        if last && array {
            let mut list = match cur.get(k) {
                Some(Value::List(l)) => l.as_ref().clone(),
                None => Vec::new(),
                Some(_) => return Err(format!("key {k:?} is not an array of tables")),
            };
            let t = MapRef::default();
            list.push(Value::Map(t.clone()));
            cur.insert(k.clone(), Value::list(list));
            return Ok(t);
        }
        cur = match cur.get(k) {
            Some(Value::Map(m)) => m,
            Some(Value::List(l)) => match l.last() {
                Some(Value::Map(m)) => m.clone(),
                _ => return Err(format!("key {k:?} is not a table")),
            },
            None => {
                let m = MapRef::default();
                cur.insert(k.clone(), Value::Map(m.clone()));
                m
            }
            Some(_) => return Err(format!("key {k:?} is not a table")),
        };
    }
    Ok(cur)
}

fn insert_path(table: &MapRef, path: &[String], v: Value) -> Result<(), String> {
    let Some((last, parents)) = path.split_last() else {
        return Err("empty key".into());
    };
    let t = open_table(table, parents, false)?;
    if t.contains_key(last) {
        return Err(format!("key {last:?} is already defined"));
    }
    t.insert(last.clone(), v);
    Ok(())
}

struct P<'a> {
    s: &'a [u8],
    i: usize,
    line: usize,
}

impl P<'_> {
    fn err(&self, m: &str) -> String {
        format!("toml: line {}: {m}", self.line)
    }
    fn eof(&self) -> bool {
        self.i >= self.s.len()
    }
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }
    fn expect(&mut self, c: u8) -> Result<(), String> {
        if self.peek() == Some(c) {
            self.i += 1;
            Ok(())
        } else {
            Err(self.err(&format!("expected {:?}", c as char)))
        }
    }
    fn skip_ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t')) {
            self.i += 1;
        }
    }
    fn skip_comment(&mut self) {
        if self.peek() == Some(b'#') {
            while !matches!(self.peek(), None | Some(b'\n')) {
                self.i += 1;
            }
        }
    }
    fn skip_ws_comments_newlines(&mut self) {
        loop {
            self.skip_ws();
            self.skip_comment();
            match self.peek() {
                Some(b'\n') => {
                    self.line += 1;
                    self.i += 1;
                }
                Some(b'\r') => self.i += 1,
                _ => break,
            }
        }
    }
    fn end_of_line(&mut self) -> Result<(), String> {
        self.skip_ws();
        self.skip_comment();
        match self.peek() {
            None | Some(b'\n') | Some(b'\r') => Ok(()),
            _ => Err(self.err("expected end of line")),
        }
    }
    fn key_path(&mut self) -> Result<Vec<String>, String> {
        let mut out = vec![self.key()?];
        loop {
            self.skip_ws();
            if self.peek() == Some(b'.') {
                self.i += 1;
                self.skip_ws();
                out.push(self.key()?);
            } else {
                return Ok(out);
            }
        }
    }
    fn key(&mut self) -> Result<String, String> {
        match self.peek() {
            Some(b'"') => self.basic_string(),
            Some(b'\'') => self.literal_string(),
            _ => {
                let st = self.i;
                while self
                    .peek()
                    .is_some_and(|c| c.is_ascii_alphanumeric() || c == b'_' || c == b'-')
                {
                    self.i += 1;
                }
                if st == self.i {
                    return Err(self.err("expected a key"));
                }
                Ok(String::from_utf8_lossy(&self.s[st..self.i]).into_owned())
            }
        }
    }
    fn value(&mut self) -> Result<Value, String> {
        match self.peek() {
            Some(b'"') => self.basic_string().map(Value::from),
            Some(b'\'') => self.literal_string().map(Value::from),
            Some(b'[') => self.array(),
            Some(b'{') => self.inline_table(),
            Some(_) => self.scalar(),
            None => Err(self.err("expected a value")),
        }
    }
    fn array(&mut self) -> Result<Value, String> {
        self.i += 1;
        let mut out = Vec::new();
        loop {
            self.skip_ws_comments_newlines();
            if self.peek() == Some(b']') {
                self.i += 1;
                return Ok(Value::list(out));
            }
            out.push(self.value()?);
            self.skip_ws_comments_newlines();
            match self.peek() {
                Some(b',') => self.i += 1,
                Some(b']') => {}
                _ => return Err(self.err("expected , or ] in array")),
            }
        }
    }
    fn inline_table(&mut self) -> Result<Value, String> {
        self.i += 1;
        let t = MapRef::new(Map::new());
        loop {
            self.skip_ws();
            if self.peek() == Some(b'}') {
                self.i += 1;
                return Ok(Value::Map(t));
            }
            let path = self.key_path()?;
            self.skip_ws();
            self.expect(b'=')?;
            self.skip_ws();
            let v = self.value()?;
            insert_path(&t, &path, v).map_err(|e| self.err(&e))?;
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.i += 1,
                Some(b'}') => {}
                _ => return Err(self.err("expected , or } in inline table")),
            }
        }
    }
    fn basic_string(&mut self) -> Result<String, String> {
        let multi = self.s[self.i..].starts_with(b"\"\"\"");
        self.i += if multi { 3 } else { 1 };
        if multi && self.peek() == Some(b'\n') {
            self.i += 1;
            self.line += 1;
        }
        let mut out = Vec::new();
        loop {
            let Some(c) = self.peek() else {
                return Err(self.err("unterminated string"));
            };
            if multi && self.s[self.i..].starts_with(b"\"\"\"") {
                self.i += 3;
                break;
            }
            if !multi && c == b'"' {
                self.i += 1;
                break;
            }
            if !multi && c == b'\n' {
                return Err(self.err("newline in string"));
            }
            self.i += 1;
            if c == b'\n' {
                self.line += 1;
            }
            if c != b'\\' {
                out.push(c);
                continue;
            }
            let Some(e) = self.peek() else {
                return Err(self.err("unterminated string"));
            };
            self.i += 1;
            match e {
                b'n' => out.push(b'\n'),
                b't' => out.push(b'\t'),
                b'r' => out.push(b'\r'),
                b'b' => out.push(8),
                b'f' => out.push(12),
                b'"' => out.push(b'"'),
                b'\\' => out.push(b'\\'),
                b'u' | b'U' => {
                    let n = if e == b'u' { 4 } else { 8 };
                    let hex = self
                        .s
                        .get(self.i..self.i + n)
                        .ok_or_else(|| self.err("bad escape"))?;
                    let code = u32::from_str_radix(&String::from_utf8_lossy(hex), 16)
                        .map_err(|_| self.err("bad escape"))?;
                    let ch = char::from_u32(code).ok_or_else(|| self.err("bad escape"))?;
                    let mut b = [0u8; 4];
                    out.extend_from_slice(ch.encode_utf8(&mut b).as_bytes());
                    self.i += n;
                }
                b'\n' | b' ' | b'\t' | b'\r' if multi => {
                    // line-ending backslash: trim whitespace and newlines
                    while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
                        if self.peek() == Some(b'\n') {
                            self.line += 1;
                        }
                        self.i += 1;
                    }
                }
                _ => return Err(self.err("bad escape")),
            }
        }
        Ok(String::from_utf8_lossy(&out).into_owned())
    }
    fn literal_string(&mut self) -> Result<String, String> {
        let multi = self.s[self.i..].starts_with(b"\'\'\'");
        self.i += if multi { 3 } else { 1 };
        if multi && self.peek() == Some(b'\n') {
            self.i += 1;
        }
        let st = self.i;
        loop {
            match self.peek() {
                None => return Err(self.err("unterminated string")),
                Some(b'\'') if !multi => break,
                Some(b'\n') if !multi => return Err(self.err("newline in string")),
                _ if multi && self.s[self.i..].starts_with(b"\'\'\'") => break,
                Some(c) => {
                    if c == b'\n' {
                        self.line += 1;
                    }
                    self.i += 1;
                }
            }
        }
        let text = String::from_utf8_lossy(&self.s[st..self.i]).into_owned();
        self.i += if multi { 3 } else { 1 };
        Ok(text)
    }
    fn scalar(&mut self) -> Result<Value, String> {
        let st = self.i;
        while self
            .peek()
            .is_some_and(|c| !matches!(c, b',' | b']' | b'}' | b'\n' | b'\r' | b'#'))
        {
            self.i += 1;
        }
        let raw = String::from_utf8_lossy(&self.s[st..self.i])
            .trim()
            .to_string();
        match raw.as_str() {
            "true" => return Ok(Value::Bool(true)),
            "false" => return Ok(Value::Bool(false)),
            "inf" | "+inf" => return Ok(Value::Float(f64::INFINITY)),
            "-inf" => return Ok(Value::Float(f64::NEG_INFINITY)),
            "nan" | "+nan" | "-nan" => return Ok(Value::Float(f64::NAN)),
            _ => {}
        }
        let clean: String = raw.chars().filter(|c| *c != '_').collect();
        let int = if let Some(h) = clean.strip_prefix("0x") {
            i64::from_str_radix(h, 16).ok()
        } else if let Some(o) = clean.strip_prefix("0o") {
            i64::from_str_radix(o, 8).ok()
        } else if let Some(b) = clean.strip_prefix("0b") {
            i64::from_str_radix(b, 2).ok()
        } else if clean
            .bytes()
            .all(|c| c.is_ascii_digit() || c == b'+' || c == b'-')
        {
            clean.parse::<i64>().ok()
        } else {
            None
        };
        if let Some(i) = int {
            return Ok(Value::Int64(i));
        }
        if clean.bytes().any(|c| c.is_ascii_digit())
            && clean
                .bytes()
                .all(|c| c.is_ascii_digit() || matches!(c, b'+' | b'-' | b'.' | b'e' | b'E'))
            && let Ok(f) = clean.parse::<f64>()
        {
            return Ok(Value::Float(f));
        }
        // Dates and times are kept as their text.
        if raw.len() >= 8 && raw.bytes().next().is_some_and(|c| c.is_ascii_digit()) {
            return Ok(Value::from(raw));
        }
        Err(self.err(&format!("invalid value {raw:?}")))
    }
}
