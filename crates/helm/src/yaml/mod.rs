//! YAML as Helm reads and writes it.
//!
//! Reading follows `sigs.k8s.io/yaml.Unmarshal` into `interface{}`: go-yaml
//! v2 resolves scalars (YAML 1.1 booleans, octal ints, ...), then the tree
//! is converted to JSON and decoded again, so every number becomes a
//! `float64` and every key a string. Writing lives in [`emit`].

pub mod emit;
pub mod resolve;

use std::collections::HashMap;

use thiserror::Error;
use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser, Tag};
use yaml_rust2::scanner::{Marker, TScalarStyle};

use crate::value::{Map, Value};
pub use emit::{helm_to_yaml, to_yaml};
use resolve::{Resolved, resolve_plain};

/// A YAML document Helm cannot read: a syntax error (`yaml: ...`) or a
/// value JSON cannot hold (`json: unsupported value: NaN`).
#[derive(Debug, Clone, Error, PartialEq)]
#[error("{0}")]
pub struct YamlError(pub String);

/// Parses every document of `src` (empty documents become nil).
pub fn parse_all(src: &str) -> Result<Vec<Value>, YamlError> {
    let mut b = Builder::default();
    let mut p = Parser::new_from_str(src);
    p.load(&mut b, true)
        .map_err(|e| YamlError(format!("yaml: {e}")))?;
    if let Some(e) = b.error {
        return Err(YamlError(e));
    }
    Ok(b.docs)
}

/// Parses the first document (nil when empty), like `yaml.Unmarshal`.
pub fn parse(src: &str) -> Result<Value, YamlError> {
    Ok(parse_all(src)?.into_iter().next().unwrap_or(Value::Nil))
}

enum Frame {
    Seq(Vec<Value>, usize),
    Map(Map, Option<String>, usize, Vec<Map>),
}

#[derive(Default)]
struct Builder {
    docs: Vec<Value>,
    stack: Vec<Frame>,
    anchors: HashMap<usize, Value>,
    error: Option<String>,
}

fn key_string(v: &Value) -> String {
    match v {
        Value::Str(s) => s.to_string(),
        Value::Nil => "null".into(),
        other => crate::value::go_sprint(other),
    }
}

fn scalar(value: String, style: TScalarStyle, tag: &Option<Tag>) -> Value {
    if let Some(t) = tag {
        let suffix = t.suffix.as_str();
        match suffix {
            "str" => return Value::from(value),
            "int" | "float" => {
                return match resolve_plain(&value) {
                    Resolved::Int(i) => Value::Float(i as f64),
                    Resolved::Uint(u) => Value::Float(u as f64),
                    Resolved::Float(f) => Value::Float(f),
                    _ => Value::from(value),
                };
            }
            "bool" => {
                if let Resolved::Bool(b) = resolve_plain(&value) {
                    return Value::Bool(b);
                }
                return Value::from(value);
            }
            "null" => return Value::Nil,
            _ => {}
        }
    }
    if style != TScalarStyle::Plain {
        return Value::from(value);
    }
    match resolve_plain(&value) {
        Resolved::Null => Value::Nil,
        Resolved::Bool(b) => Value::Bool(b),
        Resolved::Int(i) => Value::Float(i as f64),
        Resolved::Uint(u) => Value::Float(u as f64),
        Resolved::Float(f) => Value::Float(f),
        Resolved::Timestamp | Resolved::Merge | Resolved::Str => Value::from(value),
    }
}

impl Builder {
    fn push_value(&mut self, v: Value, anchor: usize) {
        if anchor > 0 {
            self.anchors.insert(anchor, v.clone());
        }
        match self.stack.last_mut() {
            None => self.docs.push(v),
            Some(Frame::Seq(items, _)) => items.push(v),
            Some(Frame::Map(m, key, _, merges)) => match key.take() {
                None => {
                    let k = key_string(&v);
                    *key = Some(k);
                }
                Some(k) => {
                    if k == "<<" {
                        match v {
                            Value::Map(mm) => merges.push(mm.snapshot()),
                            Value::List(l) => {
                                for e in l.iter() {
                                    if let Value::Map(mm) = e {
                                        merges.push(mm.snapshot());
                                    }
                                }
                            }
                            _ => {
                                self.error = Some(
                                    "map merge requires map or sequence of maps as the value"
                                        .into(),
                                )
                            }
                        }
                    } else {
                        m.insert(k, v);
                    }
                }
            },
        }
    }
}

impl MarkedEventReceiver for Builder {
    fn on_event(&mut self, ev: Event, _mark: Marker) {
        match ev {
            Event::DocumentStart | Event::DocumentEnd => {}
            Event::Scalar(v, style, anchor, tag) => {
                let val = scalar(v, style, &tag);
                if let Value::Float(f) = val
                    && !f.is_finite()
                    && self.error.is_none()
                {
                    let shown = if f.is_nan() {
                        "NaN"
                    } else if f > 0.0 {
                        "+Inf"
                    } else {
                        "-Inf"
                    };
                    self.error = Some(format!("json: unsupported value: {shown}"));
                }
                self.push_value(val, anchor);
            }
            Event::SequenceStart(anchor, _) => self.stack.push(Frame::Seq(Vec::new(), anchor)),
            Event::SequenceEnd => {
                if let Some(Frame::Seq(items, anchor)) = self.stack.pop() {
                    self.push_value(Value::list(items), anchor);
                }
            }
            Event::MappingStart(anchor, _) => {
                self.stack
                    .push(Frame::Map(Map::new(), None, anchor, Vec::new()))
            }
            Event::MappingEnd => {
                if let Some(Frame::Map(mut m, _, anchor, merges)) = self.stack.pop() {
                    for mm in merges {
                        for (k, v) in mm {
                            m.entry(k).or_insert(v);
                        }
                    }
                    self.push_value(Value::map(m), anchor);
                }
            }
            Event::Alias(id) => {
                let v = self.anchors.get(&id).cloned().unwrap_or(Value::Nil);
                self.push_value(v, 0);
            }
            Event::StreamStart | Event::StreamEnd | Event::Nothing => {}
        }
    }
}
