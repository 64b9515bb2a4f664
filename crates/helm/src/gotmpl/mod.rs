//! A Go `text/template` engine.
//!
//! Why our own: Helm charts depend on the exact behaviour of Go's engine
//! (whitespace trimming, `missingkey=zero`, truthiness, `eq` across numeric
//! types, `<no value>`), and no maintained Rust crate reproduces it. The
//! engine is split into [`lex`] → [`parse`] → `exec`, with Go's predefined
//! functions in [`funcs`] and its `fmt` verbs in [`gofmt`].
//!
//! ```
//! use stackbook_helm::gotmpl::Templates;
//! use stackbook_helm::value::Value;
//! let mut t = Templates::new(stackbook_helm::sprig::helm_funcs());
//! t.add("x", "{{ .a | upper }}").unwrap();
//! let data = Value::map([("a".to_string(), Value::from("hi"))].into_iter().collect());
//! assert_eq!(t.execute("x", &data).unwrap(), "HI");
//! ```

pub mod ast;
pub mod error;
mod exec;
pub mod funcs;
pub mod gofmt;
pub mod lex;
pub mod parse;

use std::collections::HashMap;
use std::sync::Arc;

pub use error::{ExecError, ParseError, TemplateError};
pub use exec::AccessLog;
pub use funcs::{Func, FuncMap, FuncSpec};

use crate::value::Value;
use ast::Tree;

/// Stack size for template execution threads.
const EXEC_STACK: usize = 512 * 1024 * 1024;

/// Runs `f` on a scoped thread with a large, lazily committed stack so
/// Helm's 1000-level include limit is reached before the stack is
/// exhausted. Falls back to the current thread if no thread can be
/// spawned; `None` if `f` panicked.
pub fn on_big_stack<T: Send>(f: impl FnOnce() -> T + Send) -> Option<T> {
    let cell = std::sync::Mutex::new(Some(f));
    let take = || cell.lock().ok().and_then(|mut g| g.take());
    let spawned = std::thread::scope(|scope| {
        let res = std::thread::Builder::new()
            .stack_size(EXEC_STACK)
            .spawn_scoped(scope, || take().map(|f| f()));
        res.ok().map(|h| h.join().ok().flatten())
    });
    match spawned {
        Some(out) => out,
        // No thread available: run here (deep recursion may then hit the
        // smaller stack, but ordinary charts render normally).
        None => take().map(|f| f()),
    }
}

/// A set of named templates sharing `define`s and a function map (Go's
/// associated `*template.Template`s).
#[derive(Clone)]
pub struct Templates {
    pub(crate) trees: HashMap<String, Arc<Tree>>,
    pub(crate) funcs: Arc<FuncMap>,
    pub(crate) lookup: Option<LookupFn>,
}

/// Helm's `lookup apiVersion kind namespace name` against a live cluster:
/// returns the object (or a `List` with `items` when `name` is empty), or
/// an empty map when nothing is found. Without one, `lookup` returns an
/// empty map, as Helm does when no cluster is connected.
pub type LookupFn = Arc<dyn Fn(&str, &str, &str, &str) -> Result<Value, String> + Send + Sync>;

impl Templates {
    /// An empty set using `funcs` (plus Go's builtins, which it should
    /// already contain; see [`crate::sprig::helm_funcs`]).
    pub fn new(funcs: FuncMap) -> Templates {
        Templates {
            trees: HashMap::new(),
            funcs: Arc::new(funcs),
            lookup: None,
        }
    }

    /// Answers `lookup` calls with `f` (a live cluster connection).
    pub fn set_lookup(&mut self, f: LookupFn) {
        self.lookup = Some(f);
    }

    /// True when `name` is callable from a template.
    pub fn is_func(&self, name: &str) -> bool {
        self.funcs.contains(name) || funcs::EXECUTOR_FUNCS.contains(&name)
    }

    /// Parses `src` as template `name`, registering its `define`s. Like Go,
    /// a later definition replaces an earlier one unless it is empty.
    pub fn add(&mut self, name: &str, src: &str) -> Result<(), ParseError> {
        let trees = parse::parse(name, src, &|n| self.is_func(n))?;
        for t in trees {
            if t.is_empty() && self.trees.contains_key(&t.name) {
                continue;
            }
            self.trees.insert(t.name.clone(), Arc::new(t));
        }
        Ok(())
    }

    /// True when a template called `name` exists.
    pub fn has(&self, name: &str) -> bool {
        self.trees.contains_key(name)
    }

    /// Executes template `name` with `data`, returning the output as Go
    /// produces it (nil prints as `<no value>`).
    pub fn execute(&self, name: &str, data: &Value) -> Result<String, ExecError> {
        let mut log = AccessLog::default();
        self.execute_tracked(name, data, &mut log)
    }

    /// Like [`Templates::execute`], also recording which map keys the
    /// template read into `log`.
    pub fn execute_tracked(
        &self,
        name: &str,
        data: &Value,
        log: &mut AccessLog,
    ) -> Result<String, ExecError> {
        on_big_stack(|| self.execute_inline(name, data, log)).unwrap_or_else(|| {
            Err(ExecError::Plain {
                template: name.to_string(),
                message: "template execution aborted".into(),
            })
        })
    }

    /// Executes on the current thread. Deeply nested `include`s recurse
    /// natively, so callers run this inside [`on_big_stack`].
    pub fn execute_inline(
        &self,
        name: &str,
        data: &Value,
        log: &mut AccessLog,
    ) -> Result<String, ExecError> {
        let Some(tree) = self.trees.get(name).cloned() else {
            return Err(ExecError::NoTemplate {
                name: name.to_string(),
                parent: "gotpl".to_string(),
            });
        };
        let mut shared = exec::Shared {
            access: std::mem::take(log),
            ..Default::default()
        };
        let mut out = String::new();
        let res = exec::State::new(self, None, tree, &mut shared, 0).run(data, &mut out);
        *log = shared.access;
        res.map(|()| out)
    }
}
