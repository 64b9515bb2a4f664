//! The [`Templar`]: renders strings, values and conditions against a [`Scope`].

use std::sync::Arc;

use minijinja::value::ValueKind;
use minijinja::{AutoEscape, Environment, ErrorKind, UndefinedBehavior, Value};

use crate::data::{is_template, is_template_value, mark_data, mark_string};
use crate::error::TemplateError;
use crate::python::{python_repr, python_str, python_type_name};
use crate::scope::Scope;

/// A configured minijinja environment with Ansible's settings. Cheap to clone.
#[derive(Clone)]
pub struct Templar {
    env: Arc<Environment<'static>>,
}

impl std::fmt::Debug for Templar {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Templar")
    }
}

impl Default for Templar {
    fn default() -> Self {
        Templar::new(|_| {})
    }
}

impl Templar {
    /// Builds the environment with Ansible's filters, tests and lookups; `extend` registers
    /// more (functions that need the engine, like the `template` lookup).
    pub fn new(extend: impl FnOnce(&mut Environment<'static>)) -> Templar {
        let mut env = Environment::new();
        // Chainable so `a.b is defined` works when `a` is missing, as in Ansible; printing or
        // returning an undefined value is still an error (see the formatter and `native`).
        env.set_undefined_behavior(UndefinedBehavior::Chainable);
        env.set_auto_escape_callback(|_| AutoEscape::None);
        // Ansible's template settings.
        if let Ok(syntax) = minijinja::syntax::SyntaxConfig::builder()
            .trim_blocks(true)
            .keep_trailing_newline(true)
            .build()
        {
            env.set_syntax(syntax);
        }
        env.set_debug(false);
        env.set_recursion_limit(200);
        env.set_formatter(|out, _state, value| {
            if value.is_undefined() {
                return Err(minijinja::Error::new(
                    ErrorKind::UndefinedError,
                    "undefined value printed",
                ));
            }
            // Ansible 2.19 renders None inside text as nothing (a lone `{{ none }}` stays None
            // on the native path).
            if value.is_none() {
                return Ok(());
            }
            out.write_str(&python_str(value))
                .map_err(|_| minijinja::Error::new(ErrorKind::WriteFailure, "write failed"))
        });
        stackbook_filters::add_to_environment(&mut env);
        env.add_function("lookup", crate::lookups::lookup);
        env.add_function("query", crate::lookups::query);
        env.add_function("q", crate::lookups::query);
        extend(&mut env);
        Templar { env: Arc::new(env) }
    }

    /// The environment, for callers that need to render whole files.
    pub fn environment(&self) -> &Environment<'static> {
        &self.env
    }

    /// Renders a string the Ansible way: exactly one `{{ expr }}` keeps its native type,
    /// anything else renders to text. Strings without markup are returned as they are.
    pub fn render_string(&self, source: &str, scope: &Arc<Scope>) -> Result<Value, TemplateError> {
        if !is_template(source) {
            return Ok(Value::from(source));
        }
        if let Some(expression) = single_expression(source) {
            // Ansible's lexer keeps backslashes in string literals literal.
            let escaped = stackbook_filters::compat::escape_expression_backslashes(expression);
            if let Ok(compiled) = self.env.compile_expression(&escaped) {
                let result = compiled.eval(scope.as_context());
                return match result {
                    Ok(value) if value.is_undefined() => {
                        Err(self.undefined_error(expression, scope, None))
                    }
                    Ok(value) => Ok(mark_data(value)),
                    Err(error) => Err(self.convert_error(error, expression, scope)),
                };
            }
        }
        self.render_text(source, scope)
            .map(|text| mark_string(&text))
    }

    /// Renders a whole template to text (the `template` module and mixed strings).
    pub fn render_text(&self, source: &str, scope: &Arc<Scope>) -> Result<String, TemplateError> {
        let _ = scope.take_error();
        let escaped = stackbook_filters::compat::escape_backslashes(source);
        let template =
            self.env
                .template_from_str(&escaped)
                .map_err(|error| TemplateError::Syntax {
                    message: describe(&error),
                })?;
        template
            .render(scope.as_context())
            .map_err(|error| self.convert_error(error, source, scope))
    }

    /// Renders every template string inside a value (lists and mappings recursively).
    pub fn render_value(&self, value: &Value, scope: &Arc<Scope>) -> Result<Value, TemplateError> {
        match value.kind() {
            ValueKind::String if is_template_value(value) => {
                self.render_string(value.as_str().unwrap_or_default(), scope)
            }
            ValueKind::Seq => {
                if !crate::data::contains_templates(value) {
                    return Ok(value.clone());
                }
                let mut items = Vec::new();
                for item in value.try_iter().map_err(render_error)? {
                    items.push(self.render_value(&item, scope)?);
                }
                Ok(Value::from(items))
            }
            ValueKind::Map => {
                if !crate::data::contains_templates(value) {
                    return Ok(value.clone());
                }
                let mut pairs = Vec::new();
                for key in value.try_iter().map_err(render_error)? {
                    let item = value.get_item(&key).map_err(render_error)?;
                    pairs.push((key, self.render_value(&item, scope)?));
                }
                Ok(Value::from_pairs(pairs))
            }
            _ => Ok(value.clone()),
        }
    }

    /// Evaluates a bare expression (no braces), as `when:` and friends use.
    pub fn evaluate(&self, expression: &str, scope: &Arc<Scope>) -> Result<Value, TemplateError> {
        let _ = scope.take_error();
        let trimmed = expression.trim();
        // `when: "{{ x }}"` is accepted (Ansible warns about it): evaluate the inner expression.
        let inner = single_expression(trimmed).unwrap_or(trimmed);
        let compiled =
            self.env
                .compile_expression(inner)
                .map_err(|error| TemplateError::Syntax {
                    message: describe(&error),
                })?;
        match compiled.eval(scope.as_context()) {
            Ok(value) if value.is_undefined() => Err(self.undefined_error(inner, scope, None)),
            Ok(value) => Ok(value),
            Err(error) => Err(self.convert_error(error, inner, scope)),
        }
    }

    /// Evaluates a condition; the result must be a boolean, as in ansible-core 2.19.
    pub fn evaluate_condition(
        &self,
        expression: &str,
        scope: &Arc<Scope>,
    ) -> Result<bool, TemplateError> {
        let value = match expression.trim() {
            "" => return Ok(true),
            _ => self.evaluate(expression, scope)?,
        };
        if value.kind() == ValueKind::Bool {
            return Ok(value.is_true());
        }
        Err(TemplateError::NotBoolean {
            value: python_repr(&value),
            kind: python_type_name(&value).to_string(),
        })
    }

    fn convert_error(
        &self,
        error: minijinja::Error,
        source: &str,
        scope: &Arc<Scope>,
    ) -> TemplateError {
        if let Some(parked) = scope.take_error() {
            return parked;
        }
        let mentions_undefined = error.kind() == ErrorKind::UndefinedError
            || error.detail().is_some_and(|d| d.contains("undefined"));
        if mentions_undefined && let Some(name) = self.missing_top_level(source, scope) {
            return TemplateError::Undefined { name };
        }
        match error.kind() {
            _ if mentions_undefined => self.undefined_error(source, scope, error.detail()),

            ErrorKind::SyntaxError => TemplateError::Syntax {
                message: describe(&error),
            },
            _ => TemplateError::Render {
                message: describe(&error),
            },
        }
    }

    /// Names the missing variable: the first top-level name the template uses that the scope
    /// does not define; otherwise it was an attribute or item of a defined value.
    fn undefined_error(
        &self,
        source: &str,
        scope: &Arc<Scope>,
        detail: Option<&str>,
    ) -> TemplateError {
        if let Some(parked) = scope.take_error() {
            return parked;
        }
        if let Some(name) = self.missing_top_level(source, scope) {
            return TemplateError::Undefined { name };
        }
        // All top-level names exist: an attribute is missing. Walk each dotted path the
        // source uses to find the first missing step, and say it as Jinja does.
        let mut nested: Vec<String> = Vec::new();
        if let Ok(template) = self.env.template_from_str(source) {
            nested.extend(template.undeclared_variables(true));
        }
        if let Ok(expression) = self.env.compile_expression(source.trim()) {
            nested.extend(expression.undeclared_variables(true));
        }
        nested.sort();
        for path in nested.iter().filter(|n| n.contains('.')) {
            let mut segments = path.split('.');
            let Some(Ok(Some(mut current))) = segments.next().map(|root| scope.resolve(root))
            else {
                continue;
            };
            for segment in segments {
                let next = current.get_attr(segment).unwrap_or_default();
                if next.is_undefined() {
                    return TemplateError::Render {
                        message: format!(
                            "object of type '{}' has no attribute '{segment}'",
                            python_type_name(&current)
                        ),
                    };
                }
                current = next;
            }
        }
        let _ = detail;
        TemplateError::Render {
            message: "a value used by the template is undefined".to_string(),
        }
    }
}

impl Templar {
    /// The first (alphabetically) top-level variable the source uses that nothing defines.
    fn missing_top_level(&self, source: &str, scope: &Arc<Scope>) -> Option<String> {
        // The source may be a template or a bare expression; ask both parsers.
        let mut names: Vec<String> = Vec::new();
        if let Ok(template) = self.env.template_from_str(source) {
            names.extend(template.undeclared_variables(false));
        }
        if let Ok(expression) = self.env.compile_expression(source) {
            names.extend(expression.undeclared_variables(false));
        }
        names.sort();
        names.into_iter().find(|name| {
            !scope.contains(name) && !self.env.globals().any(|(g, _)| g == name.as_str())
        })
    }
}

fn render_error(error: minijinja::Error) -> TemplateError {
    TemplateError::Render {
        message: describe(&error),
    }
}

/// minijinja's message without the debug dump, with the template line when known.
fn describe(error: &minijinja::Error) -> String {
    let mut message = match error.detail() {
        Some(detail) => detail.to_string(),
        None => error.kind().to_string(),
    };
    if let Some(line) = error.line()
        && line > 1
    {
        message.push_str(&format!(" (line {line} of the template)"));
    }
    message
}

/// The inner expression when `source` is exactly `{{ expr }}` (with optional `-` trimming).
fn single_expression(source: &str) -> Option<&str> {
    let inner = source.strip_prefix("{{")?.strip_suffix("}}")?;
    let inner = inner.strip_prefix('-').unwrap_or(inner);
    let inner = inner.strip_suffix('-').unwrap_or(inner);
    if inner.contains("{{") || inner.contains("{%") || inner.trim().is_empty() {
        return None;
    }
    Some(inner)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scope(templar: &Templar, vars: &[(&str, Value)]) -> Arc<Scope> {
        Scope::new(
            templar,
            vars.iter().map(|(k, v)| (k.to_string(), v.clone())),
        )
    }

    #[test]
    fn single_expression_keeps_native_type() {
        let templar = Templar::default();
        let s = scope(&templar, &[("n", Value::from(3))]);
        assert_eq!(
            templar.render_string("{{ n + 1 }}", &s).unwrap(),
            Value::from(4)
        );
        assert_eq!(
            templar.render_string("{{ [n, 2] }}", &s).unwrap().len(),
            Some(2)
        );
        assert_eq!(
            templar.render_string("n={{ n }}", &s).unwrap().as_str(),
            Some("n=3")
        );
    }

    #[test]
    fn mixed_text_uses_python_reprs() {
        let templar = Templar::default();
        let s = scope(
            &templar,
            &[
                ("flag", Value::from(true)),
                ("items", Value::from(vec!["a", "b"])),
            ],
        );
        assert_eq!(
            templar
                .render_string("{{ flag }} {{ items }}", &s)
                .unwrap()
                .as_str(),
            Some("True ['a', 'b']")
        );
    }

    #[test]
    fn variables_resolve_lazily_in_any_order() {
        let templar = Templar::default();
        let s = scope(
            &templar,
            &[
                ("a", Value::from("{{ b }}-x")),
                ("b", Value::from("{{ c * 2 }}")),
                ("c", Value::from(21)),
            ],
        );
        assert_eq!(
            templar.render_string("{{ a }}", &s).unwrap().as_str(),
            Some("42-x")
        );
    }

    #[test]
    fn recursive_variables_are_reported() {
        let templar = Templar::default();
        let s = scope(
            &templar,
            &[("a", Value::from("{{ b }}")), ("b", Value::from("{{ a }}"))],
        );
        let error = templar.render_string("{{ a }}", &s).unwrap_err();
        assert!(matches!(error, TemplateError::Recursive { .. }), "{error}");
        assert!(error.to_string().contains("a -> b -> a"), "{error}");
    }

    #[test]
    fn undefined_variable_is_named() {
        let templar = Templar::default();
        let s = scope(&templar, &[("known", Value::from(1))]);
        let error = templar
            .render_string("{{ known + missing_var }}", &s)
            .unwrap_err();
        assert_eq!(error.to_string(), "'missing_var' is undefined");
        let error = templar
            .render_string("x {{ missing_var }}", &s)
            .unwrap_err();
        assert_eq!(error.to_string(), "'missing_var' is undefined");
    }

    #[test]
    fn defined_test_and_default_work_on_missing_values() {
        let templar = Templar::default();
        let s = scope(&templar, &[("d", Value::from_pairs([("a", 1)]))]);
        assert_eq!(
            templar.evaluate("d.b is defined", &s).unwrap(),
            Value::from(false)
        );
        assert_eq!(
            templar.evaluate("nope.b is defined", &s).unwrap(),
            Value::from(false)
        );
        assert_eq!(
            templar
                .render_string("{{ nope | default('z') }}", &s)
                .unwrap()
                .as_str(),
            Some("z")
        );
    }

    #[test]
    fn conditions_must_be_boolean() {
        let templar = Templar::default();
        let s = scope(&templar, &[("x", Value::from("yes"))]);
        assert!(templar.evaluate_condition("x == 'yes'", &s).unwrap());
        let error = templar.evaluate_condition("x", &s).unwrap_err();
        assert!(matches!(error, TemplateError::NotBoolean { .. }), "{error}");
    }

    #[test]
    fn rendered_output_is_not_templated_again() {
        let templar = Templar::default();
        let s = scope(&templar, &[("raw", Value::from("{{ '{{ x }}' }}"))]);
        let value = templar.render_string("{{ raw }}", &s).unwrap();
        assert_eq!(value.as_str(), Some("{{ x }}"));
        assert!(!is_template_value(&value));
    }
}
