//! The variables a template sees, resolved lazily with cycle detection.
//!
//! A [`Scope`] holds the raw (untemplated) variables of one host at one task as a stack of
//! layers in precedence order (lowest first). Layers that do not change between tasks
//! (inventory, play vars, extra vars, a host's facts) are shared `Arc`s, so building the
//! scope of a task costs a handful of pointer copies, not a copy of every variable. A variable is rendered only when a template reads it, so `a: "{{ b }}"`
//! works whatever the order of definition, and unused variables that would fail are never
//! evaluated — both as in Ansible.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use minijinja::Value;
use minijinja::value::{Enumerator, Object, ObjectRepr};

use crate::data::contains_templates;
use crate::error::TemplateError;
use crate::templar::Templar;

thread_local! {
    /// Names being resolved on this thread, innermost last: the cycle detector.
    static RESOLVING: RefCell<Vec<String>> = const { RefCell::new(Vec::new()) };
}

/// Lazily-templated variables for one evaluation context.
#[derive(Debug)]
pub struct Scope {
    layers: Vec<Arc<VarLayer>>,
    templar: Templar,
    cache: Mutex<HashMap<String, Value>>,
    /// The first error met while resolving a variable. minijinja's `get_value` cannot return
    /// errors, so we park it here and the templar reports it instead of a bare "undefined".
    error: Mutex<Option<TemplateError>>,
}

impl Scope {
    /// Creates a scope over raw variables (later entries with the same name win).
    pub fn new(templar: &Templar, vars: impl IntoIterator<Item = (String, Value)>) -> Arc<Scope> {
        Scope::layered(templar, vec![VarLayer::ordered(vars)])
    }

    /// Creates a scope over layers, lowest precedence first.
    pub fn layered(templar: &Templar, layers: Vec<Arc<VarLayer>>) -> Arc<Scope> {
        Arc::new(Scope {
            layers,
            templar: templar.clone(),
            cache: Mutex::new(HashMap::new()),
            error: Mutex::new(None),
        })
    }

    /// The scope as a template context value.
    pub fn as_context(self: &Arc<Self>) -> Value {
        Value::from_dyn_object(self.clone())
    }

    /// True when the variable exists (defined, even if its template would fail).
    pub fn contains(&self, name: &str) -> bool {
        self.raw(name).is_some()
    }

    /// The raw, untemplated value of a variable.
    pub fn raw(&self, name: &str) -> Option<&Value> {
        self.layers.iter().rev().find_map(|layer| layer.get(name))
    }

    /// Variable names in definition order.
    pub fn names(&self) -> Vec<&str> {
        let mut seen = std::collections::HashSet::new();
        let mut names = Vec::new();
        for layer in &self.layers {
            for name in layer.names() {
                if seen.insert(name) {
                    names.push(name);
                }
            }
        }
        names
    }

    /// Resolves (templates) one variable.
    pub fn resolve(self: &Arc<Self>, name: &str) -> Result<Option<Value>, TemplateError> {
        let Some(raw) = self.raw(name) else {
            return Ok(None);
        };
        if !contains_templates(raw) {
            return Ok(Some(raw.clone()));
        }
        if let Some(cached) = self
            .cache
            .lock()
            .ok()
            .and_then(|cache| cache.get(name).cloned())
        {
            return Ok(Some(cached));
        }
        let cycle = RESOLVING.with(|stack| {
            let stack = stack.borrow();
            stack.iter().position(|n| n == name).map(|start| {
                let mut chain: Vec<&str> = stack[start..].iter().map(String::as_str).collect();
                chain.push(name);
                chain.join(" -> ")
            })
        });
        if let Some(chain) = cycle {
            return Err(TemplateError::Recursive { chain });
        }
        RESOLVING.with(|stack| stack.borrow_mut().push(name.to_string()));
        let result = self.templar.render_value(raw, self);
        RESOLVING.with(|stack| {
            stack.borrow_mut().pop();
        });
        let value = result?;
        if let Ok(mut cache) = self.cache.lock() {
            cache.insert(name.to_string(), value.clone());
        }
        Ok(Some(value))
    }

    /// Takes the parked resolution error, if any.
    pub(crate) fn take_error(&self) -> Option<TemplateError> {
        self.error.lock().ok().and_then(|mut slot| slot.take())
    }

    fn park_error(&self, error: TemplateError) {
        if let Ok(mut slot) = self.error.lock() {
            // The innermost error is the most precise one; keep the first.
            if slot.is_none() {
                *slot = Some(error);
            }
        }
    }
}

impl Object for Scope {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Map
    }

    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        let name = key.as_str()?;
        match self.resolve(name) {
            Ok(value) => value,
            Err(error) => {
                self.park_error(error);
                None
            }
        }
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        Enumerator::Values(self.names().into_iter().map(Value::from).collect())
    }
}

/// One layer of variables.
#[derive(Debug)]
pub enum VarLayer {
    /// Built for one scope (task vars, loop variables, magic variables).
    Ordered(indexmap_like::OrderedVars),
    /// A shared map that changes between tasks by copy-on-write (a host's facts).
    Map(Arc<HashMap<String, Value>>),
}

impl VarLayer {
    /// A layer from name/value pairs (later pairs with the same name win).
    pub fn ordered(vars: impl IntoIterator<Item = (String, Value)>) -> Arc<VarLayer> {
        Arc::new(VarLayer::Ordered(indexmap_like::OrderedVars::from_iter(
            vars,
        )))
    }

    /// A layer over a shared map.
    pub fn map(map: Arc<HashMap<String, Value>>) -> Arc<VarLayer> {
        Arc::new(VarLayer::Map(map))
    }

    /// Looks up one variable.
    pub fn get(&self, name: &str) -> Option<&Value> {
        match self {
            VarLayer::Ordered(vars) => vars.get(name),
            VarLayer::Map(map) => map.get(name),
        }
    }

    /// The names in this layer.
    pub fn names(&self) -> Vec<&str> {
        match self {
            VarLayer::Ordered(vars) => vars.names().collect(),
            VarLayer::Map(map) => map.keys().map(String::as_str).collect(),
        }
    }

    /// The entries, for callers that merge layers (e.g. `hostvars`).
    pub fn entries(&self) -> Vec<(&str, &Value)> {
        match self {
            VarLayer::Ordered(vars) => vars.entries().collect(),
            VarLayer::Map(map) => map.iter().map(|(k, v)| (k.as_str(), v)).collect(),
        }
    }
}

/// A tiny insertion-ordered map; avoids pulling `indexmap` into the public API.
pub mod indexmap_like {
    use std::collections::HashMap;

    use minijinja::Value;

    /// Insertion-ordered variables with hashed lookup.
    #[derive(Debug, Default)]
    pub struct OrderedVars {
        index: HashMap<String, usize>,
        entries: Vec<(String, Value)>,
    }

    impl OrderedVars {
        /// Looks up one variable.
        pub fn get(&self, name: &str) -> Option<&Value> {
            self.index
                .get(name)
                .and_then(|i| self.entries.get(*i))
                .map(|(_, v)| v)
        }

        /// Names in definition order.
        pub fn names(&self) -> impl Iterator<Item = &str> {
            self.entries.iter().map(|(n, _)| n.as_str())
        }

        /// Entries in definition order.
        pub fn entries(&self) -> impl Iterator<Item = (&str, &Value)> {
            self.entries.iter().map(|(n, v)| (n.as_str(), v))
        }
    }

    impl FromIterator<(String, Value)> for OrderedVars {
        fn from_iter<I: IntoIterator<Item = (String, Value)>>(iter: I) -> Self {
            let mut vars = OrderedVars::default();
            for (name, value) in iter {
                match vars.index.get(&name) {
                    Some(&i) => vars.entries[i].1 = value,
                    None => {
                        vars.index.insert(name.clone(), vars.entries.len());
                        vars.entries.push((name, value));
                    }
                }
            }
            vars
        }
    }
}
