//! `from_yaml` / `from_yaml_all`: YAML text to template values.
//!
//! Parsing uses `saphyr-parser` (the maintained successor of yaml-rust;
//! serde_yaml is archived and resolves scalars by YAML 1.2 rules). Its
//! event stream keeps each scalar's style and tag, so typing is done here
//! with PyYAML's YAML 1.1 table ([`crate::yaml_resolve`]): `yes`/`on` are
//! booleans as they are for Ansible. Anchors, aliases and `<<` merge keys
//! are supported.

use std::collections::HashMap;

use minijinja::value::{Value, ValueKind};
use minijinja::{Error, ErrorKind};
use saphyr_parser::{Event, Parser, ScalarStyle, Tag};

use crate::util::map_entries;
use crate::yaml_resolve::construct_plain;

/// Errors while loading YAML text.
#[derive(Debug, thiserror::Error)]
pub enum YamlLoadError {
    /// The text is not valid YAML.
    #[error("invalid YAML: {0}")]
    Syntax(String),
    /// An alias names an anchor that was never defined.
    #[error("YAML alias refers to an unknown anchor")]
    UnknownAnchor,
    /// A `<<` merge key's value is not a mapping or list of mappings.
    #[error("YAML merge key `<<` expects a mapping or a list of mappings")]
    BadMerge,
    /// The event stream ended in the middle of a node.
    #[error("unexpected end of YAML stream")]
    Truncated,
}

impl From<YamlLoadError> for Error {
    fn from(e: YamlLoadError) -> Error {
        Error::new(ErrorKind::InvalidOperation, format!("from_yaml: {e}")).with_source(e)
    }
}

/// Loads every document of a YAML stream.
pub fn load_all(text: &str) -> Result<Vec<Value>, YamlLoadError> {
    let mut loader = Loader {
        parser: Parser::new_from_str(text),
        anchors: HashMap::new(),
    };
    let mut docs = Vec::new();
    loop {
        match loader.next()? {
            Event::StreamStart | Event::DocumentEnd | Event::Nothing => {}
            Event::StreamEnd => break,
            Event::DocumentStart(_) => {
                let ev = loader.next()?;
                docs.push(loader.node(ev)?);
            }
            other => docs.push(loader.node(other)?),
        }
    }
    Ok(docs)
}

/// `from_yaml`: the first document, or `None` for an empty stream.
pub(crate) fn from_yaml(text: &str) -> Result<Value, Error> {
    let docs = load_all(text)?;
    Ok(docs.into_iter().next().unwrap_or(Value::from(())))
}

/// `from_yaml_all`: all documents as a list.
pub(crate) fn from_yaml_all(text: &str) -> Result<Value, Error> {
    Ok(Value::from(load_all(text)?))
}

struct Loader<'a> {
    parser: Parser<'a, saphyr_parser::StrInput<'a>>,
    anchors: HashMap<usize, Value>,
}

impl<'a> Loader<'a> {
    fn next(&mut self) -> Result<Event<'a>, YamlLoadError> {
        match self.parser.next_event() {
            Some(Ok((ev, _))) => Ok(ev),
            Some(Err(e)) => Err(YamlLoadError::Syntax(e.to_string())),
            None => Err(YamlLoadError::Truncated),
        }
    }

    fn remember(&mut self, anchor: usize, value: &Value) {
        if anchor > 0 {
            self.anchors.insert(anchor, value.clone());
        }
    }

    fn node(&mut self, ev: Event<'a>) -> Result<Value, YamlLoadError> {
        match ev {
            Event::Alias(id) => self
                .anchors
                .get(&id)
                .cloned()
                .ok_or(YamlLoadError::UnknownAnchor),
            Event::Scalar(text, style, anchor, tag) => {
                let value = scalar(&text, style, tag.as_deref());
                self.remember(anchor, &value);
                Ok(value)
            }
            Event::SequenceStart(anchor, _) => {
                let mut items = Vec::new();
                loop {
                    match self.next()? {
                        Event::SequenceEnd => break,
                        ev => items.push(self.node(ev)?),
                    }
                }
                let value = Value::from(items);
                self.remember(anchor, &value);
                Ok(value)
            }
            Event::MappingStart(anchor, _) => {
                let mut pairs: Vec<(Value, Value)> = Vec::new();
                let mut merged: Vec<(Value, Value)> = Vec::new();
                loop {
                    let key_ev = match self.next()? {
                        Event::MappingEnd => break,
                        ev => ev,
                    };
                    let is_merge = matches!(&key_ev, Event::Scalar(t, ScalarStyle::Plain, _, None) if t == "<<");
                    let key = self.node(key_ev)?;
                    let val_ev = self.next()?;
                    let value = self.node(val_ev)?;
                    if is_merge {
                        merge_into(&mut merged, &value)?;
                    } else {
                        set_pair(&mut pairs, key, value);
                    }
                }
                // Explicit keys win over merged ones; merged keys come first
                // as in PyYAML's flatten_mapping.
                let mut all = merged;
                for (k, v) in pairs {
                    set_pair(&mut all, k, v);
                }
                let value = Value::from_pairs(all);
                self.remember(anchor, &value);
                Ok(value)
            }
            Event::StreamEnd | Event::DocumentEnd => Err(YamlLoadError::Truncated),
            _ => Ok(Value::from(())),
        }
    }
}

fn set_pair(pairs: &mut Vec<(Value, Value)>, key: Value, value: Value) {
    if let Some(slot) = pairs.iter_mut().find(|(k, _)| *k == key) {
        slot.1 = value;
    } else {
        pairs.push((key, value));
    }
}

fn merge_into(merged: &mut Vec<(Value, Value)>, value: &Value) -> Result<(), YamlLoadError> {
    let sources: Vec<Value> = match value.kind() {
        ValueKind::Map => vec![value.clone()],
        ValueKind::Seq => value.try_iter().map(|i| i.collect()).unwrap_or_default(),
        _ => return Err(YamlLoadError::BadMerge),
    };
    // Earlier mappings in a merge list take precedence.
    for source in sources.iter().rev() {
        let entries = map_entries("from_yaml", source).map_err(|_| YamlLoadError::BadMerge)?;
        for (k, v) in entries {
            set_pair(merged, k, v);
        }
    }
    Ok(())
}

fn scalar(text: &str, style: ScalarStyle, tag: Option<&Tag>) -> Value {
    if let Some(tag) = tag {
        let full = format!("{}{}", tag.handle, tag.suffix);
        match full.as_str() {
            "tag:yaml.org,2002:str" | "!!str" | "!unsafe" | "!vault" => return Value::from(text),
            "tag:yaml.org,2002:float" | "!!float" => {
                let v = construct_plain(text);
                return match crate::util::as_f64(&v) {
                    Some(f) if v.kind() == ValueKind::Number => Value::from(f),
                    _ => v,
                };
            }
            "tag:yaml.org,2002:int"
            | "!!int"
            | "tag:yaml.org,2002:bool"
            | "!!bool"
            | "tag:yaml.org,2002:null"
            | "!!null" => {
                return construct_plain(text);
            }
            _ => return Value::from(text),
        }
    }
    match style {
        ScalarStyle::Plain => construct_plain(text),
        _ => Value::from(text),
    }
}
