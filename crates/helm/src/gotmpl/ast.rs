//! Parse tree of a Go `text/template`.
//!
//! Every node keeps the byte offset of its source so runtime errors can be
//! reported as `name:line:col` exactly like Go's `Tree.ErrorContext`, and a
//! copy of its source text for the `at <...>` context.

use std::sync::Arc;

/// Byte offset into the template source.
pub type Pos = usize;

/// One parsed template (a file, or a `define` inside a file).
#[derive(Debug)]
pub struct Tree {
    /// The template's name (`define` name or file name).
    pub name: String,
    /// Name of the file the tree was parsed from (Go's `ParseName`).
    pub parse_name: String,
    /// The whole source of that file, for line/column computation.
    pub source: Arc<str>,
    /// Top-level nodes.
    pub root: Vec<Node>,
}

impl Tree {
    /// `name:line:col` for a position, Go style (column is a 0-based byte
    /// offset within the line).
    pub fn location(&self, pos: Pos) -> String {
        let pos = pos.min(self.source.len());
        let text = self.source.get(..pos).unwrap_or("");
        let line = 1 + text.matches('\n').count();
        let col = match text.rfind('\n') {
            Some(nl) => pos - (nl + 1),
            None => pos,
        };
        format!("{}:{}:{}", self.parse_name, line, col)
    }

    /// True when the tree holds nothing but whitespace text (Go's
    /// `IsEmptyTree`), so it does not replace an existing definition.
    pub fn is_empty(&self) -> bool {
        self.root.iter().all(|n| match n {
            Node::Text(t) => t.trim().is_empty(),
            _ => false,
        })
    }
}

/// A node of the template body.
#[derive(Debug, Clone)]
pub enum Node {
    /// Literal text.
    Text(String),
    /// `{{ pipeline }}`.
    Action(Pipe),
    /// `if` / `else if` / `else`.
    If(Conditional),
    /// `with` / `else with` / `else`.
    With(Conditional),
    /// `range`.
    Range(RangeNode),
    /// `{{ template "name" pipeline }}`.
    Template {
        /// Position of the action.
        pos: Pos,
        /// Name of the template to invoke.
        name: String,
        /// Optional data pipeline.
        pipe: Option<Pipe>,
    },
    /// `{{ break }}`.
    Break(Pos),
    /// `{{ continue }}`.
    Continue(Pos),
}

/// `if`/`with` with their `else if`/`else with` chain.
#[derive(Debug, Clone)]
pub struct Conditional {
    /// Condition pipelines with their bodies, in order.
    pub branches: Vec<(Pipe, Vec<Node>)>,
    /// The final `else` body.
    pub otherwise: Option<Vec<Node>>,
}

/// `range`.
#[derive(Debug, Clone)]
pub struct RangeNode {
    /// The pipeline (with its variable declarations).
    pub pipe: Pipe,
    /// Loop body.
    pub body: Vec<Node>,
    /// `else` body (run when there is nothing to iterate).
    pub otherwise: Option<Vec<Node>>,
}

/// A pipeline: optional declarations, then commands joined by `|`.
#[derive(Debug, Clone)]
pub struct Pipe {
    /// Position of the pipeline.
    pub pos: Pos,
    /// Declared or assigned variable names (with `$`).
    pub decl: Vec<String>,
    /// `=` instead of `:=`.
    pub is_assign: bool,
    /// The commands.
    pub cmds: Vec<Command>,
}

/// One command of a pipeline: operands separated by spaces.
#[derive(Debug, Clone)]
pub struct Command {
    /// Position of the command.
    pub pos: Pos,
    /// Source text of the command (error context).
    pub text: String,
    /// Operands; the first is the function or value.
    pub args: Vec<Arg>,
}

/// An operand.
#[derive(Debug, Clone)]
pub enum Arg {
    /// `.` (the data cursor).
    Dot(Pos),
    /// `.A.B`.
    Field(Pos, Vec<String>),
    /// `$x.A.B` (first element is the variable name, with `$`).
    Variable(Pos, Vec<String>),
    /// A function name.
    Ident(Pos, String),
    /// `(pipeline).A.B`.
    Chain(Pos, Box<Arg>, Vec<String>),
    /// `(pipeline)`.
    Pipe(Pos, Box<Pipe>),
    /// String literal.
    Str(Pos, String),
    /// Integer literal (Go `int`).
    Int(Pos, i64),
    /// Floating literal.
    Float(Pos, f64),
    /// `true` / `false`.
    Bool(Pos, bool),
    /// `nil`.
    Nil(Pos),
}

impl Arg {
    /// Source position of the operand.
    pub fn pos(&self) -> Pos {
        match self {
            Arg::Dot(p)
            | Arg::Field(p, _)
            | Arg::Variable(p, _)
            | Arg::Ident(p, _)
            | Arg::Chain(p, _, _)
            | Arg::Pipe(p, _)
            | Arg::Str(p, _)
            | Arg::Int(p, _)
            | Arg::Float(p, _)
            | Arg::Bool(p, _)
            | Arg::Nil(p) => *p,
        }
    }
}
