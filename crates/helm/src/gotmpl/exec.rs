//! Executor: walks a parsed [`Tree`] against a data [`Value`].
//!
//! Follows Go's `text/template/exec.go` semantics as Helm configures it
//! (`missingkey=zero`): missing map keys yield nil, nil prints as
//! `<no value>` (Helm strips that later), field access through a nil map
//! entry fails with `nil pointer evaluating interface {}.X`, `and`/`or`
//! short-circuit and return an operand, and errors carry `file:line:col`.

use std::collections::HashMap;
use std::sync::Arc;

use super::ast::{Arg, Command, Conditional, Node, Pipe, Pos, RangeNode, Tree};
use super::error::ExecError;
use super::funcs::FuncSpec;
use super::{Templates, parse};
use crate::value::{Value, go_sprint};

/// Go's maximum template call depth.
const MAX_EXEC_DEPTH: usize = 1000;
/// Helm's include recursion limit.
const MAX_INCLUDE: usize = 1000;

/// Which parts of map values templates read (for "value never read"
/// warnings): individual keys, and maps consumed as a whole (ranged over,
/// printed, serialised).
#[derive(Debug, Default, Clone)]
pub struct AccessLog {
    keys: std::collections::HashSet<(usize, String)>,
    whole: std::collections::HashSet<usize>,
}

impl AccessLog {
    /// True when `key` of the map with id `map` was read.
    pub fn key_read(&self, map: usize, key: &str) -> bool {
        self.keys.contains(&(map, key.to_string()))
    }
    /// True when the map with id `map` was consumed as a whole.
    pub fn whole_read(&self, map: usize) -> bool {
        self.whole.contains(&map)
    }
    fn key(&mut self, v: &Value, key: &str) {
        if let Value::Map(m) = v {
            self.keys.insert((m.id(), key.to_string()));
        }
    }
    fn whole(&mut self, v: &Value) {
        match v {
            Value::Map(m) => {
                self.whole.insert(m.id());
            }
            Value::List(l) => l.iter().for_each(|e| self.whole(e)),
            _ => {}
        }
    }
}

/// State shared by a top-level execution and its nested `include`s.
#[derive(Debug, Default)]
pub(crate) struct Shared {
    pub(crate) includes: HashMap<String, usize>,
    pub(crate) access: AccessLog,
}

/// Functions that consume their map arguments entirely.
const WHOLE_FUNCS: &[&str] = &[
    "toYaml",
    "mustToYaml",
    "toYamlPretty",
    "toJson",
    "mustToJson",
    "toRawJson",
    "mustToRawJson",
    "toPrettyJson",
    "mustToPrettyJson",
    "toToml",
    "keys",
    "values",
    "merge",
    "mustMerge",
    "mergeOverwrite",
    "mustMergeOverwrite",
    "deepCopy",
    "mustDeepCopy",
    "print",
    "printf",
    "println",
    "toString",
    "omit",
    "pick",
    "deepEqual",
    "quote",
    "squote",
    "cat",
    "join",
    "toStrings",
    "sortAlpha",
    "list",
    "dict",
    "append",
    "concat",
    "uniq",
    "has",
];

/// Control flow out of a node list.
enum Flow {
    Break,
    Continue,
    Err(ExecError),
}

impl From<ExecError> for Flow {
    fn from(e: ExecError) -> Flow {
        Flow::Err(e)
    }
}

type R<T> = Result<T, Flow>;

/// Execution state for one top-level `execute` call.
pub(crate) struct State<'a> {
    set: &'a Templates,
    /// Trees visible to this state (a `tpl` clone adds its own).
    overlay: Option<Arc<HashMap<String, Arc<Tree>>>>,
    tree: Arc<Tree>,
    vars: Vec<(String, Value)>,
    depth: usize,
    includes: &'a mut Shared,
}

impl<'a> State<'a> {
    pub(crate) fn new(
        set: &'a Templates,
        overlay: Option<Arc<HashMap<String, Arc<Tree>>>>,
        tree: Arc<Tree>,
        includes: &'a mut Shared,
        depth: usize,
    ) -> State<'a> {
        State {
            set,
            overlay,
            tree,
            vars: Vec::new(),
            depth,
            includes,
        }
    }

    fn lookup_tree(&self, name: &str) -> Option<Arc<Tree>> {
        if let Some(o) = &self.overlay
            && let Some(t) = o.get(name)
        {
            return Some(t.clone());
        }
        self.set.trees.get(name).cloned()
    }

    /// Runs the tree with `dot` as data, appending to `out`.
    pub(crate) fn run(&mut self, dot: &Value, out: &mut String) -> Result<(), ExecError> {
        if self.depth > MAX_EXEC_DEPTH {
            return Err(ExecError::Plain {
                template: self.tree.name.clone(),
                message: format!("exceeded maximum template depth ({MAX_EXEC_DEPTH})"),
            });
        }
        self.vars.push(("$".to_string(), dot.clone()));
        let tree = self.tree.clone();
        match self.walk_list(dot, &tree.root, out) {
            Ok(()) => Ok(()),
            Err(Flow::Err(e)) => Err(e),
            Err(_) => Ok(()),
        }
    }

    fn err(&self, pos: Pos, context: &str, message: impl Into<String>) -> Flow {
        Flow::Err(self.err_with(pos, context, message, None, false))
    }

    fn err_with(
        &self,
        pos: Pos,
        context: &str,
        message: impl Into<String>,
        source: Option<ExecError>,
        wraps_plain: bool,
    ) -> ExecError {
        ExecError::At {
            location: self.tree.location(pos),
            template: self.tree.name.clone(),
            context: context.to_string(),
            message: message.into(),
            source: source.map(Box::new),
            wraps_plain,
        }
    }

    fn walk_list(&mut self, dot: &Value, nodes: &[Node], out: &mut String) -> R<()> {
        for n in nodes {
            self.walk(dot, n, out)?;
        }
        Ok(())
    }

    fn walk(&mut self, dot: &Value, node: &Node, out: &mut String) -> R<()> {
        match node {
            Node::Text(t) => out.push_str(t),
            Node::Action(pipe) => {
                let v = self.eval_pipeline(dot, pipe)?;
                if pipe.decl.is_empty() {
                    self.includes.access.whole(&v);
                    print_value(&v, out);
                }
            }
            Node::If(c) => self.walk_cond(dot, c, false, out)?,
            Node::With(c) => self.walk_cond(dot, c, true, out)?,
            Node::Range(r) => self.walk_range(dot, r, out)?,
            Node::Template { pos, name, pipe } => {
                let Some(tree) = self.lookup_tree(name) else {
                    return Err(self.err(
                        *pos,
                        &format!("template {name:?}"),
                        format!("no such template {name:?}"),
                    ));
                };
                let data = match pipe {
                    Some(p) => self.eval_pipeline(dot, p)?,
                    None => Value::Nil,
                };
                let mut sub = State {
                    set: self.set,
                    overlay: self.overlay.clone(),
                    tree,
                    vars: Vec::new(),
                    depth: self.depth + 1,
                    includes: self.includes,
                };
                sub.run(&data, out)?;
            }
            Node::Break(_) => return Err(Flow::Break),
            Node::Continue(_) => return Err(Flow::Continue),
        }
        Ok(())
    }

    fn walk_cond(
        &mut self,
        dot: &Value,
        c: &Conditional,
        is_with: bool,
        out: &mut String,
    ) -> R<()> {
        let mark = self.vars.len();
        for (pipe, body) in &c.branches {
            let v = self.eval_pipeline(dot, pipe)?;
            if v.is_true() {
                let r = if is_with {
                    self.walk_list(&v, body, out)
                } else {
                    self.walk_list(dot, body, out)
                };
                self.vars.truncate(mark);
                return r;
            }
        }
        let r = match &c.otherwise {
            Some(body) => self.walk_list(dot, body, out),
            None => Ok(()),
        };
        self.vars.truncate(mark);
        r
    }

    fn walk_range(&mut self, dot: &Value, r: &RangeNode, out: &mut String) -> R<()> {
        let mark = self.vars.len();
        let val = self.eval_pipeline_no_decl(dot, &r.pipe)?;
        // Declared variables live in the loop scope.
        for d in &r.pipe.decl {
            if !r.pipe.is_assign {
                self.vars.push((d.clone(), Value::Nil));
            }
        }
        self.includes.access.whole(&val);
        let items: Vec<(Value, Value)> = match &val {
            Value::List(l) => l
                .iter()
                .enumerate()
                .map(|(i, v)| (Value::Int(i as i64), v.clone()))
                .collect(),
            Value::Map(m) => m
                .snapshot()
                .into_iter()
                .map(|(k, v)| (Value::str(k), v))
                .collect(),
            Value::Int(n) | Value::Int64(n) => {
                if r.pipe.decl.len() > 1 {
                    self.vars.truncate(mark);
                    return Err(self.err(
                        r.pipe.pos,
                        "range",
                        format!("can't use {n} to iterate over more than one variable"),
                    ));
                }
                (0..(*n).max(0))
                    .map(|i| {
                        (
                            Value::Int(i),
                            if matches!(val, Value::Int64(_)) {
                                Value::Int64(i)
                            } else {
                                Value::Int(i)
                            },
                        )
                    })
                    .collect()
            }
            Value::Nil => Vec::new(),
            Value::Object(o) if o.entries().is_some() => o
                .entries()
                .unwrap_or_default()
                .into_iter()
                .map(|(k, v)| (Value::from(k), v))
                .collect(),
            other => {
                self.vars.truncate(mark);
                let ctx = r
                    .pipe
                    .cmds
                    .iter()
                    .map(|c| c.text.as_str())
                    .collect::<Vec<_>>()
                    .join(" | ");
                return Err(self.err(
                    r.pipe.pos,
                    &ctx,
                    format!("range can't iterate over {}", go_sprint(other)),
                ));
            }
        };
        if items.is_empty() {
            let res = match &r.otherwise {
                Some(body) => self.walk_list(dot, body, out),
                None => Ok(()),
            };
            self.vars.truncate(mark);
            return res;
        }
        let base = self.vars.len();
        for (k, v) in items {
            match r.pipe.decl.len() {
                1 => self.set_var(&r.pipe.decl[0], v.clone()),
                2 => {
                    self.set_var(&r.pipe.decl[0], k);
                    self.set_var(&r.pipe.decl[1], v.clone());
                }
                _ => {}
            }
            let res = self.walk_list(&v, &r.body, out);
            self.vars.truncate(base);
            match res {
                Ok(()) | Err(Flow::Continue) => {}
                Err(Flow::Break) => break,
                Err(e) => {
                    self.vars.truncate(mark);
                    return Err(e);
                }
            }
        }
        self.vars.truncate(mark);
        Ok(())
    }

    fn set_var(&mut self, name: &str, v: Value) {
        if let Some(slot) = self.vars.iter_mut().rev().find(|(n, _)| n == name) {
            slot.1 = v;
        }
    }

    fn var(&self, pos: Pos, name: &str) -> R<Value> {
        match self.vars.iter().rev().find(|(n, _)| n == name) {
            Some((_, v)) => Ok(v.clone()),
            None => Err(self.err(pos, name, format!("undefined variable: {name}"))),
        }
    }

    fn eval_pipeline_no_decl(&mut self, dot: &Value, pipe: &Pipe) -> R<Value> {
        let mut value: Option<Value> = None;
        for cmd in &pipe.cmds {
            value = Some(self.eval_command(dot, cmd, value)?);
        }
        Ok(value.unwrap_or_default())
    }

    fn eval_pipeline(&mut self, dot: &Value, pipe: &Pipe) -> R<Value> {
        let v = self.eval_pipeline_no_decl(dot, pipe)?;
        if pipe.decl.len() == 1 {
            if pipe.is_assign {
                self.set_var(&pipe.decl[0], v.clone());
            } else {
                self.vars.push((pipe.decl[0].clone(), v.clone()));
            }
        }
        Ok(v)
    }

    fn eval_command(&mut self, dot: &Value, cmd: &Command, fin: Option<Value>) -> R<Value> {
        let Some(first) = cmd.args.first() else {
            return Err(self.err(cmd.pos, &cmd.text, "empty command"));
        };
        let rest = &cmd.args[1..];
        match first {
            Arg::Field(p, names) => {
                self.eval_field_chain(dot, dot.clone(), *p, names, rest, fin, false, &|| {
                    format!(".{}", names.join("."))
                })
            }
            Arg::Variable(p, names) => {
                let v = self.var(*p, &names[0])?;
                if names.len() == 1 {
                    self.not_a_function(cmd, rest, &fin)?;
                    return Ok(v);
                }
                self.eval_field_chain(dot, v, *p, &names[1..], rest, fin, false, &|| {
                    names.join(".")
                })
            }
            Arg::Chain(p, inner, names) => {
                let v = self.eval_arg(dot, inner)?;
                self.eval_field_chain(dot, v, *p, names, rest, fin, true, &|| arg_text(first))
            }
            Arg::Ident(p, name) => self.eval_function(dot, *p, name, cmd, rest, fin),
            Arg::Pipe(_, pipe) => {
                self.not_a_function(cmd, rest, &fin)?;
                self.eval_pipeline(dot, pipe)
            }
            Arg::Nil(p) => Err(self.err(*p, &cmd.text, "nil is not a command")),
            other => {
                self.not_a_function(cmd, rest, &fin)?;
                self.eval_arg(dot, other)
            }
        }
    }

    fn not_a_function(&self, cmd: &Command, rest: &[Arg], fin: &Option<Value>) -> R<()> {
        if !rest.is_empty() || fin.is_some() {
            let first = cmd.text.split_whitespace().next().unwrap_or("");
            return Err(self.err(
                cmd.pos,
                &cmd.text,
                format!("can't give argument to non-function {first}"),
            ));
        }
        Ok(())
    }

    /// Evaluates an operand used as an argument.
    fn eval_arg(&mut self, dot: &Value, arg: &Arg) -> R<Value> {
        Ok(match arg {
            Arg::Dot(_) => dot.clone(),
            Arg::Field(p, names) => {
                self.eval_field_chain(dot, dot.clone(), *p, names, &[], None, false, &|| {
                    format!(".{}", names.join("."))
                })?
            }
            Arg::Variable(p, names) => {
                let v = self.var(*p, &names[0])?;
                if names.len() == 1 {
                    v
                } else {
                    self.eval_field_chain(dot, v, *p, &names[1..], &[], None, false, &|| {
                        names.join(".")
                    })?
                }
            }
            Arg::Chain(p, inner, names) => {
                let v = self.eval_arg(dot, inner)?;
                self.eval_field_chain(dot, v, *p, names, &[], None, true, &|| {
                    format!(".{}", names.join("."))
                })?
            }
            Arg::Pipe(_, pipe) => self.eval_pipeline(dot, pipe)?,
            Arg::Ident(p, name) => {
                let cmd = Command {
                    pos: *p,
                    text: name.clone(),
                    args: vec![arg.clone()],
                };
                self.eval_function(dot, *p, name, &cmd, &[], None)?
            }
            Arg::Str(_, s) => Value::str(s.as_str()),
            Arg::Int(_, i) => Value::Int(*i),
            Arg::Float(_, f) => Value::Float(*f),
            Arg::Bool(_, b) => Value::Bool(*b),
            Arg::Nil(_) => Value::Nil,
        })
    }

    #[allow(clippy::too_many_arguments)]
    fn eval_field_chain(
        &mut self,
        dot: &Value,
        mut receiver: Value,
        pos: Pos,
        names: &[String],
        args: &[Arg],
        fin: Option<Value>,
        chained: bool,
        ctx: &dyn Fn() -> String,
    ) -> R<Value> {
        let n = names.len();
        for (i, name) in names.iter().enumerate() {
            let last = i + 1 == n;
            // A nil that came out of a map lookup in this chain is an error.
            let nil_is_error = i > 0 || chained;
            receiver = if last {
                self.eval_field(
                    dot,
                    receiver,
                    pos,
                    name,
                    args,
                    fin.clone(),
                    nil_is_error,
                    ctx,
                )?
            } else {
                self.eval_field(dot, receiver, pos, name, &[], None, nil_is_error, ctx)?
            };
        }
        Ok(receiver)
    }

    #[allow(clippy::too_many_arguments)]
    fn eval_field(
        &mut self,
        dot: &Value,
        receiver: Value,
        pos: Pos,
        name: &str,
        args: &[Arg],
        fin: Option<Value>,
        nil_is_error: bool,
        ctx: &dyn Fn() -> String,
    ) -> R<Value> {
        let has_args = !args.is_empty() || fin.is_some();
        match &receiver {
            Value::Map(m) => {
                self.includes.access.key(&receiver, name);
                if has_args {
                    return Err(self.err(
                        pos,
                        &ctx(),
                        format!("{name} is not a method but has arguments"),
                    ));
                }
                Ok(m.get(name).unwrap_or(Value::Nil))
            }
            Value::Object(o) => {
                if !has_args && let Some(v) = o.field(name) {
                    return Ok(v);
                }
                let mut vals = Vec::with_capacity(args.len() + 1);
                for a in args {
                    vals.push(self.eval_arg(dot, a)?);
                }
                if let Some(f) = fin {
                    vals.push(f);
                }
                match o.call_method(name, &vals) {
                    Some(Ok(v)) => Ok(v),
                    Some(Err(e)) => {
                        Err(self.err(pos, &ctx(), format!("error calling {name}: {e}")))
                    }
                    None => {
                        if o.field(name).is_some() {
                            Err(self.err(
                                pos,
                                &ctx(),
                                format!("{name} is not a method but has arguments"),
                            ))
                        } else {
                            Err(self.err(
                                pos,
                                &ctx(),
                                format!("can't evaluate field {name} in type {}", o.type_name()),
                            ))
                        }
                    }
                }
            }
            Value::Nil => {
                if nil_is_error {
                    Err(self.err(
                        pos,
                        &ctx(),
                        format!("nil pointer evaluating interface {{}}.{name}"),
                    ))
                } else {
                    Ok(Value::Nil)
                }
            }
            other => {
                let t = if nil_is_error {
                    "interface {}".to_string()
                } else {
                    other.type_name()
                };
                Err(self.err(
                    pos,
                    &ctx(),
                    format!("can't evaluate field {name} in type {t}"),
                ))
            }
        }
    }

    fn eval_function(
        &mut self,
        dot: &Value,
        pos: Pos,
        name: &str,
        cmd: &Command,
        args: &[Arg],
        fin: Option<Value>,
    ) -> R<Value> {
        // Short-circuit builtins.
        if name == "and" || name == "or" {
            let total = args.len() + usize::from(fin.is_some());
            if total == 0 {
                return Err(self.err(
                    pos,
                    name,
                    format!("wrong number of args for {name}: want at least 1 got 0"),
                ));
            }
            let mut last = Value::Nil;
            for a in args {
                last = self.eval_arg(dot, a)?;
                if (name == "and") != last.is_true() {
                    return Ok(last);
                }
            }
            if let Some(f) = fin {
                last = f;
            }
            return Ok(last);
        }
        let mut vals = Vec::with_capacity(args.len() + 1);
        for a in args {
            vals.push(self.eval_arg(dot, a)?);
        }
        if let Some(f) = fin {
            vals.push(f);
        }
        match name {
            "lookup" if self.set.lookup.is_some() => {
                self.check_arity(pos, name, &vals, 4, Some(4))?;
                let mut strs = Vec::with_capacity(4);
                for v in &vals {
                    match v {
                        Value::Str(s) => strs.push(s.to_string()),
                        other => {
                            return Err(self.err(
                                pos,
                                &cmd.text,
                                format!(
                                    "wrong type for value; expected string; got {}",
                                    other.type_name()
                                ),
                            ));
                        }
                    }
                }
                let f = self.set.lookup.clone();
                return match f {
                    Some(f) => f(&strs[0], &strs[1], &strs[2], &strs[3]).map_err(|e| {
                        Flow::Err(self.err_with(
                            cmd.pos,
                            &cmd.text,
                            format!("error calling lookup: {e}"),
                            None,
                            true,
                        ))
                    }),
                    None => Ok(Value::empty_map()),
                };
            }
            "include" => {
                self.check_arity(pos, name, &vals, 2, Some(2))?;
                let tname = match &vals[0] {
                    Value::Str(s) => s.to_string(),
                    other => {
                        return Err(self.err(
                            pos,
                            &cmd.text,
                            format!(
                                "wrong type for value; expected string; got {}",
                                other.type_name()
                            ),
                        ));
                    }
                };
                return self
                    .include(&tname, &vals[1])
                    .map(Value::from)
                    .map_err(|e| {
                        Flow::Err(self.err_with(
                            cmd.pos,
                            &cmd.text,
                            format!("error calling include: {e}"),
                            Some(e),
                            false,
                        ))
                    });
            }
            "tpl" => {
                self.check_arity(pos, name, &vals, 2, Some(2))?;
                let src = match &vals[0] {
                    Value::Str(s) => s.to_string(),
                    other => {
                        return Err(self.err(
                            pos,
                            &cmd.text,
                            format!(
                                "wrong type for value; expected string; got {}",
                                other.type_name()
                            ),
                        ));
                    }
                };
                return self.tpl(&src, &vals[1]).map(Value::from).map_err(|e| {
                    Flow::Err(self.err_with(
                        cmd.pos,
                        &cmd.text,
                        format!("error calling tpl: {e}"),
                        None,
                        true,
                    ))
                });
            }
            _ => {}
        }
        if WHOLE_FUNCS.contains(&name) {
            vals.iter().for_each(|v| self.includes.access.whole(v));
        }
        match (name, vals.as_slice()) {
            ("index", [first, keys @ ..]) => {
                let mut cur = first.clone();
                for k in keys {
                    if let Value::Str(k) = k {
                        self.includes.access.key(&cur, k);
                        cur = cur.get(k).unwrap_or(Value::Nil);
                    }
                }
            }
            ("get" | "hasKey", [m, Value::Str(k)]) => self.includes.access.key(m, k),
            ("pluck", [Value::Str(k), ms @ ..]) => {
                ms.iter().for_each(|m| self.includes.access.key(m, k))
            }
            ("dig", [keys @ .., _, m]) => {
                let mut cur = m.clone();
                for k in keys {
                    if let Value::Str(k) = k {
                        self.includes.access.key(&cur, k);
                        cur = cur.get(k).unwrap_or(Value::Nil);
                    }
                }
            }
            _ => {}
        }
        let Some(spec) = self.set.funcs.get(name) else {
            return Err(self.err(pos, name, format!("{name:?} is not a defined function")));
        };
        let FuncSpec { f, min, max } = *spec;
        self.check_arity(pos, name, &vals, min, max)?;
        f(&vals).map_err(|e| {
            // Go checks argument types before the call and reports them at
            // the offending argument, unwrapped.
            if let Some((msg, addr)) = e.split_once(crate::sprig::args::ARG_TAG) {
                let addr: usize = addr.parse().unwrap_or(0);
                let idx = vals.iter().position(|v| v as *const Value as usize == addr);
                return match idx.and_then(|i| args.get(i)) {
                    Some(a) => {
                        let expected = msg
                            .rsplit("expected ")
                            .next()
                            .unwrap_or("")
                            .split(';')
                            .next()
                            .unwrap_or("");
                        match literal_mismatch(a, expected) {
                            Some(m) => self.err(a.pos(), &arg_text(a), m),
                            None => self.err(a.pos(), &arg_text(a), msg),
                        }
                    }
                    None => self.err(cmd.pos, &cmd.text, msg),
                };
            }
            Flow::Err(self.err_with(
                cmd.pos,
                &cmd.text,
                format!("error calling {name}: {e}"),
                None,
                true,
            ))
        })
    }

    fn check_arity(
        &self,
        pos: Pos,
        name: &str,
        vals: &[Value],
        min: usize,
        max: Option<usize>,
    ) -> R<()> {
        let got = vals.len();
        match max {
            Some(m) if m == min && got != m => Err(self.err(
                pos,
                name,
                format!("wrong number of args for {name}: want {m} got {got}"),
            )),
            Some(m) if got > m || got < min => Err(self.err(
                pos,
                name,
                format!("wrong number of args for {name}: want {min}-{m} got {got}"),
            )),
            None if got < min => Err(self.err(
                pos,
                name,
                format!("wrong number of args for {name}: want at least {min} got {got}"),
            )),
            _ => Ok(()),
        }
    }

    /// Helm's `include`: run a named template and return its output.
    fn include(&mut self, name: &str, data: &Value) -> Result<String, ExecError> {
        let count = self.includes.includes.get(name).copied().unwrap_or(0);
        if count > MAX_INCLUDE {
            return Err(ExecError::Plain {
                template: name.to_string(),
                message: format!(
                    "rendering template has a nested reference name: {name}: unable to execute template"
                ),
            });
        }
        let Some(tree) = self.lookup_tree(name) else {
            return Err(ExecError::NoTemplate {
                name: name.to_string(),
                parent: "gotpl".to_string(),
            });
        };
        *self.includes.includes.entry(name.to_string()).or_insert(0) += 1;
        let mut out = String::new();
        let res = {
            let mut sub = State {
                set: self.set,
                overlay: self.overlay.clone(),
                tree,
                vars: Vec::new(),
                depth: self.depth + 1,
                includes: self.includes,
            };
            sub.run(data, &mut out)
        };
        if let Some(c) = self.includes.includes.get_mut(name) {
            *c = c.saturating_sub(1);
        }
        res.map(|()| out)
    }

    /// Helm's `tpl`: parse a string as a template (seeing all defined
    /// templates) and render it with `data`.
    fn tpl(&mut self, src: &str, data: &Value) -> Result<String, String> {
        let set = self.set;
        let trees = parse::parse("gotpl", src, &|n| set.is_func(n))
            .map_err(|e| format!("cannot parse template {src:?}: {e}"))?;
        let mut overlay: HashMap<String, Arc<Tree>> =
            self.overlay.as_deref().cloned().unwrap_or_default();
        let mut main = None;
        for (i, t) in trees.into_iter().enumerate() {
            let t = Arc::new(t);
            if i == 0 {
                main = Some(t);
            } else {
                overlay.insert(t.name.clone(), t);
            }
        }
        let Some(main) = main else {
            return Ok(String::new());
        };
        let mut out = String::new();
        let mut sub = State {
            set: self.set,
            overlay: Some(Arc::new(overlay)),
            tree: main,
            vars: Vec::new(),
            depth: self.depth + 1,
            includes: self.includes,
        };
        sub.run(data, &mut out)
            .map_err(|e| format!("error during tpl function execution for {src:?}: {e}"))?;
        Ok(out.replace("<no value>", ""))
    }
}

/// Go's `evalBool`/`evalString`/`evalInteger` messages for a literal
/// argument of the wrong kind.
fn literal_mismatch(a: &Arg, expected: &str) -> Option<String> {
    let word = match expected {
        "bool" => "bool",
        "string" => "string",
        "int" => "integer",
        "float64" => "float",
        _ => return None,
    };
    match a {
        Arg::Nil(_) => Some(format!("cannot assign nil to {expected}")),
        Arg::Str(..) | Arg::Int(..) | Arg::Float(..) | Arg::Bool(..) => {
            Some(format!("expected {word}; found {}", arg_text(a)))
        }
        _ => None,
    }
}

/// Source-like text of an operand (Go's `Node.String()`).
fn arg_text(a: &Arg) -> String {
    match a {
        Arg::Dot(_) => ".".into(),
        Arg::Field(_, n) => format!(".{}", n.join(".")),
        Arg::Variable(_, n) => n.join("."),
        Arg::Ident(_, n) => n.clone(),
        Arg::Chain(_, inner, n) => format!("({}).{}", arg_text(inner), n.join(".")),
        Arg::Pipe(_, p) => format!(
            "({})",
            p.cmds
                .iter()
                .map(|c| c.text.as_str())
                .collect::<Vec<_>>()
                .join(" | ")
        ),
        Arg::Str(_, s) => crate::gotmpl::gofmt::go_quote(s),
        Arg::Int(_, i) => i.to_string(),
        Arg::Float(_, f) => crate::value::go_sprint(&Value::Float(*f)),
        Arg::Bool(_, b) => b.to_string(),
        Arg::Nil(_) => "nil".into(),
    }
}

/// How an action prints its value (`fmt.Fprint`, `<no value>` for nil).
pub(crate) fn print_value(v: &Value, out: &mut String) {
    match v {
        Value::Nil => out.push_str("<no value>"),
        Value::Str(s) => out.push_str(s),
        other => out.push_str(&go_sprint(other)),
    }
}
