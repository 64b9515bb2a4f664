//! Templating errors, phrased the way Ansible users know them.

/// A template could not be rendered or evaluated.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum TemplateError {
    /// A variable used by the template is not defined.
    #[error("'{name}' is undefined")]
    Undefined {
        /// The variable (or attribute path) that is missing.
        name: String,
    },
    /// A variable refers to itself through a chain of other variables.
    #[error("recursive loop detected in template: {chain}")]
    Recursive {
        /// `a -> b -> a`.
        chain: String,
    },
    /// The template text is not valid Jinja.
    #[error("template syntax error: {message}")]
    Syntax {
        /// minijinja's explanation, with the line inside the template.
        message: String,
    },
    /// Rendering failed (bad filter argument, type error, failed `mandatory`, …).
    #[error("{message}")]
    Render {
        /// What went wrong.
        message: String,
    },
    /// A `when`/`failed_when`/`changed_when`/`until` did not produce a boolean.
    #[error(
        "conditional result ({value}) was derived from value of type '{kind}'; conditionals must have a boolean result"
    )]
    NotBoolean {
        /// The value rendered for the message.
        value: String,
        /// Its Python-style type name.
        kind: String,
    },
}
