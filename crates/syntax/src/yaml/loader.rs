//! Builds [`Node`] trees from parser events: anchors, aliases, merge keys and tags.

use std::collections::HashMap;
use std::sync::Arc;

use saphyr_parser::{Event, Parser, ScalarStyle, Span, Tag};

use super::resolve::resolve_plain_scalar;
use super::{CustomTag, Node, NodeValue};
use crate::error::SyntaxError;
use crate::location::Location;

/// Reads and parses a YAML file; `display_path` is how messages name it.
pub fn load_file(path: &std::path::Path, display_path: &str) -> Result<Vec<Node>, SyntaxError> {
    let text = std::fs::read_to_string(path).map_err(|source| SyntaxError::Read {
        path: display_path.to_string(),
        source,
    })?;
    load_documents(&text, display_path)
}

/// Reads a file that must hold at most one YAML document.
pub fn load_single_file(path: &std::path::Path, display_path: &str) -> Result<Node, SyntaxError> {
    let text = std::fs::read_to_string(path).map_err(|source| SyntaxError::Read {
        path: display_path.to_string(),
        source,
    })?;
    load_single_document(&text, display_path)
}

/// Parses a stream that must hold at most one document (playbooks, task and vars files, as
/// Ansible requires); an empty stream is `null`.
pub fn load_single_document(text: &str, file: &str) -> Result<Node, SyntaxError> {
    let mut documents = load_documents(text, file)?;
    if documents.len() > 1 {
        return Err(SyntaxError::Yaml {
            location: documents[1].location.clone(),
            message: "expected a single document in the stream but found another document".into(),
        });
    }
    Ok(documents.pop().unwrap_or_else(|| {
        Node::new(
            NodeValue::Null,
            Location {
                file: Arc::from(file),
                line: 1,
                column: 1,
            },
        )
    }))
}

/// Parses every document of a YAML stream.
pub fn load_documents(text: &str, file: &str) -> Result<Vec<Node>, SyntaxError> {
    let file: Arc<str> = Arc::from(file);
    let mut builder = Builder {
        file: file.clone(),
        parser: Parser::new_from_str(text),
        anchors: HashMap::new(),
        depth: 0,
    };
    let mut documents = Vec::new();
    loop {
        let (event, span) = builder.next()?;
        match event {
            Event::StreamStart | Event::DocumentEnd | Event::Nothing => {}
            Event::StreamEnd => break,
            Event::DocumentStart(_) => {
                builder.anchors.clear();
                let (event, span) = builder.next()?;
                if matches!(event, Event::DocumentEnd) {
                    documents.push(Node::new(NodeValue::Null, builder.location(&span)));
                    continue;
                }
                documents.push(builder.node(event, span)?);
            }
            _ => return Err(builder.error(&span, "unexpected event outside a document")),
        }
    }
    Ok(documents)
}

/// Deep nesting beyond this is refused instead of overflowing the stack.
const MAX_DEPTH: usize = 512;

struct Builder<'input> {
    file: Arc<str>,
    parser: Parser<'input, saphyr_parser::StrInput<'input>>,
    anchors: HashMap<usize, Node>,
    depth: usize,
}

impl<'input> Builder<'input> {
    fn next(&mut self) -> Result<(Event<'input>, Span), SyntaxError> {
        match self.parser.next_event() {
            Some(Ok(pair)) => Ok(pair),
            Some(Err(error)) => {
                let marker = error.marker();
                Err(SyntaxError::Yaml {
                    location: self.location_at(marker.line(), marker.col()),
                    message: error.info().to_string(),
                })
            }
            None => Err(SyntaxError::Yaml {
                location: self.location_at(1, 0),
                message: "unexpected end of input".into(),
            }),
        }
    }

    fn location_at(&self, line: usize, col: usize) -> Location {
        Location {
            file: self.file.clone(),
            line: u32::try_from(line).unwrap_or(u32::MAX),
            column: u32::try_from(col + 1).unwrap_or(u32::MAX),
        }
    }

    fn location(&self, span: &Span) -> Location {
        self.location_at(span.start.line(), span.start.col())
    }

    fn error(&self, span: &Span, message: &str) -> SyntaxError {
        SyntaxError::invalid(&self.location(span), message)
    }

    fn node(&mut self, event: Event<'input>, span: Span) -> Result<Node, SyntaxError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.error(&span, "YAML nesting is too deep"));
        }
        let result = self.node_inner(event, span);
        self.depth -= 1;
        result
    }

    fn node_inner(&mut self, event: Event<'input>, span: Span) -> Result<Node, SyntaxError> {
        let location = self.location(&span);
        let (node, anchor) = match event {
            Event::Alias(id) => {
                return self
                    .anchors
                    .get(&id)
                    .cloned()
                    .ok_or_else(|| self.error(&span, "alias refers to an unknown anchor"));
            }
            Event::Scalar(text, style, anchor, tag) => {
                let value = self.scalar(&text, style, tag.as_deref(), &span)?;
                (Node::new(value, location), anchor)
            }
            Event::SequenceStart(anchor, tag) => {
                let unsafe_tag = self.check_collection_tag(tag.as_deref(), &span)?;
                let mut items = Vec::new();
                loop {
                    let (event, span) = self.next()?;
                    if matches!(event, Event::SequenceEnd) {
                        break;
                    }
                    items.push(self.node(event, span)?);
                }
                let mut node = Node::new(NodeValue::Sequence(items), location);
                if unsafe_tag {
                    mark_unsafe(&mut node);
                }
                (node, anchor)
            }
            Event::MappingStart(anchor, tag) => {
                let unsafe_tag = self.check_collection_tag(tag.as_deref(), &span)?;
                let entries = self.mapping_entries()?;
                let mut node = Node::new(NodeValue::Mapping(entries), location);
                if unsafe_tag {
                    mark_unsafe(&mut node);
                }
                (node, anchor)
            }
            _ => return Err(self.error(&span, "unexpected YAML event")),
        };
        if anchor > 0 {
            self.anchors.insert(anchor, node.clone());
        }
        Ok(node)
    }

    fn mapping_entries(&mut self) -> Result<Vec<(Node, Node)>, SyntaxError> {
        let mut explicit: Vec<(Node, Node)> = Vec::new();
        let mut merged: Vec<(Node, Node)> = Vec::new();
        loop {
            let (event, span) = self.next()?;
            if matches!(event, Event::MappingEnd) {
                break;
            }
            let is_merge_key =
                matches!(&event, Event::Scalar(text, ScalarStyle::Plain, _, None) if text == "<<");
            let key = self.node(event, span)?;
            let (event, span) = self.next()?;
            let value = self.node(event, span)?;
            if is_merge_key {
                self.merge_into(&mut merged, value)?;
            } else {
                insert_last_wins(&mut explicit, key, value);
            }
        }
        // Merged keys come first and never override explicit ones (YAML merge key spec).
        for (key, value) in merged {
            if !explicit.iter().any(|(k, _)| k.value == key.value) {
                explicit.push((key, value));
            }
        }
        Ok(explicit)
    }

    /// `<<: *a` or `<<: [*a, *b]` — earlier sources win over later ones.
    fn merge_into(&self, merged: &mut Vec<(Node, Node)>, value: Node) -> Result<(), SyntaxError> {
        let sources = match value.value {
            NodeValue::Mapping(entries) => vec![entries],
            NodeValue::Sequence(items) => {
                let mut sources = Vec::new();
                for item in items {
                    match item.value {
                        NodeValue::Mapping(entries) => sources.push(entries),
                        _ => {
                            return Err(SyntaxError::invalid(
                                &item.location,
                                "merge key '<<' expects mappings in its list",
                            ));
                        }
                    }
                }
                sources
            }
            _ => {
                return Err(SyntaxError::invalid(
                    &value.location,
                    "merge key '<<' expects a mapping or a list of mappings",
                ));
            }
        };
        for entries in sources {
            for (key, value) in entries {
                if !merged.iter().any(|(k, _)| k.value == key.value) {
                    merged.push((key, value));
                }
            }
        }
        Ok(())
    }

    fn scalar(
        &self,
        text: &str,
        style: ScalarStyle,
        tag: Option<&Tag>,
        span: &Span,
    ) -> Result<NodeValue, SyntaxError> {
        let Some(tag) = tag else {
            return Ok(if style == ScalarStyle::Plain {
                resolve_plain_scalar(text)
            } else {
                NodeValue::String(text.to_string())
            });
        };
        let value = match (tag.handle.as_str(), tag.suffix.as_str()) {
            ("!", "vault") => NodeValue::Tagged(CustomTag::Vault, text.to_string()),
            ("!", "age") => NodeValue::Tagged(CustomTag::Age, text.to_string()),
            ("!", "unsafe") => NodeValue::Tagged(CustomTag::Unsafe, text.to_string()),
            ("tag:yaml.org,2002:", "str") | ("!!", "str") => NodeValue::String(text.to_string()),
            ("tag:yaml.org,2002:", "int") | ("!!", "int") => match resolve_plain_scalar(text) {
                NodeValue::Int(i) => NodeValue::Int(i),
                _ => return Err(self.error(span, &format!("'{text}' is not a valid !!int"))),
            },
            ("tag:yaml.org,2002:", "float") | ("!!", "float") => match resolve_plain_scalar(text) {
                NodeValue::Float(f) => NodeValue::Float(f),
                NodeValue::Int(i) => NodeValue::Float(i as f64),
                _ => return Err(self.error(span, &format!("'{text}' is not a valid !!float"))),
            },
            ("tag:yaml.org,2002:", "bool") | ("!!", "bool") => match resolve_plain_scalar(text) {
                NodeValue::Bool(b) => NodeValue::Bool(b),
                _ => return Err(self.error(span, &format!("'{text}' is not a valid !!bool"))),
            },
            ("tag:yaml.org,2002:", "null") | ("!!", "null") => NodeValue::Null,
            (handle, suffix) => {
                return Err(self.error(
                    span,
                    &format!(
                        "could not determine a constructor for the tag '{handle}{suffix}' \
                         (known custom tags: !vault, !age, !unsafe)"
                    ),
                ));
            }
        };
        Ok(value)
    }

    /// Accepts core collection tags and `!unsafe` (returns true for the latter).
    fn check_collection_tag(&self, tag: Option<&Tag>, span: &Span) -> Result<bool, SyntaxError> {
        match tag {
            None => Ok(false),
            Some(tag) if tag.handle == "!" && tag.suffix == "unsafe" => Ok(true),
            Some(tag) if matches!(tag.suffix.as_str(), "seq" | "map" | "omap") => Ok(false),

            Some(tag) => Err(self.error(
                span,
                &format!(
                    "the tag '{}{}' can only be used on a scalar",
                    tag.handle, tag.suffix
                ),
            )),
        }
    }
}

/// `!unsafe` on a collection marks every string inside it.
fn mark_unsafe(node: &mut Node) {
    match &mut node.value {
        NodeValue::String(text) => {
            node.value = NodeValue::Tagged(CustomTag::Unsafe, std::mem::take(text))
        }
        NodeValue::Sequence(items) => items.iter_mut().for_each(mark_unsafe),
        NodeValue::Mapping(entries) => entries.iter_mut().for_each(|(_, value)| mark_unsafe(value)),
        _ => {}
    }
}

fn insert_last_wins(entries: &mut Vec<(Node, Node)>, key: Node, value: Node) {
    if let Some(existing) = entries.iter_mut().find(|(k, _)| k.value == key.value) {
        *existing = (key, value);
    } else {
        entries.push((key, value));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load_one(text: &str) -> Node {
        let mut docs = load_documents(text, "test.yml").expect("valid yaml");
        assert_eq!(docs.len(), 1);
        docs.remove(0)
    }

    #[test]
    fn keeps_line_and_column_of_nested_nodes() {
        let doc = load_one("- name: a\n  debug:\n    msg: hi\n");
        let task = &doc.as_sequence().unwrap()[0];
        let msg = task.get("debug").unwrap().get("msg").unwrap();
        assert_eq!((msg.location.line, msg.location.column), (3, 10));
        assert_eq!(task.location.line, 1);
    }

    #[test]
    fn yaml_1_1_bool_inside_manifest() {
        let doc = load_one("wait: yes\nspec:\n  enabled: on\n  mode: '0644'\n");
        assert_eq!(doc.get("wait").unwrap().value, NodeValue::Bool(true));
        assert_eq!(
            doc.get("spec").unwrap().get("enabled").unwrap().value,
            NodeValue::Bool(true)
        );
        assert_eq!(
            doc.get("spec").unwrap().get("mode").unwrap().value,
            NodeValue::String("0644".into())
        );
    }

    #[test]
    fn merge_keys_do_not_override_explicit_keys() {
        let doc = load_one("base: &b {a: 1, b: 2}\nchild:\n  <<: *b\n  b: 3\n");
        let child = doc.get("child").unwrap();
        assert_eq!(child.get("a").unwrap().value, NodeValue::Int(1));
        assert_eq!(child.get("b").unwrap().value, NodeValue::Int(3));
    }

    #[test]
    fn merge_list_earlier_wins() {
        let doc = load_one("x: &x {k: 1}\ny: &y {k: 2, z: 3}\nm:\n  <<: [*x, *y]\n");
        let m = doc.get("m").unwrap();
        assert_eq!(m.get("k").unwrap().value, NodeValue::Int(1));
        assert_eq!(m.get("z").unwrap().value, NodeValue::Int(3));
    }

    #[test]
    fn custom_tags_survive() {
        let doc =
            load_one("a: !unsafe '{{ x }}'\nb: !vault |\n  $ANSIBLE_VAULT;1.1;AES256\n  3031\n");
        assert_eq!(
            doc.get("a").unwrap().value,
            NodeValue::Tagged(CustomTag::Unsafe, "{{ x }}".into())
        );
        assert!(matches!(
            doc.get("b").unwrap().value,
            NodeValue::Tagged(CustomTag::Vault, _)
        ));
    }

    #[test]
    fn unknown_tag_is_an_error_with_location() {
        let error = load_documents("a: !frob x\n", "f.yml").unwrap_err();
        assert!(error.to_string().starts_with("f.yml:1:4:"), "{error}");
    }

    #[test]
    fn multi_document_stream() {
        let docs = load_documents("a: 1\n---\nb: 2\n", "m.yml").unwrap();
        assert_eq!(docs.len(), 2);
    }

    #[test]
    fn malformed_yaml_reports_position() {
        let error = load_documents("a: [1, 2\nb: 3\n", "bad.yml").unwrap_err();
        assert!(error.to_string().starts_with("bad.yml:"), "{error}");
    }

    #[test]
    fn duplicate_keys_keep_last() {
        let doc = load_one("a: 1\na: 2\n");
        assert_eq!(doc.as_mapping().unwrap().len(), 1);
        assert_eq!(doc.get("a").unwrap().value, NodeValue::Int(2));
    }

    #[test]
    fn deep_nesting_is_refused_not_crashing() {
        let text = "[".repeat(2000);
        assert!(load_documents(&text, "deep.yml").is_err());
    }
}
