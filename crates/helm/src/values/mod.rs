//! User values: values files, `--set`/`--set-string`/`--set-json` and
//! coalescing with chart defaults exactly as Helm does.

pub mod coalesce;
pub mod strvals;

use thiserror::Error;

use crate::value::{MapRef, Value};
pub use strvals::SetMode;

/// Problems with user-supplied values.
#[derive(Debug, Error)]
pub enum ValuesError {
    /// A values file is not valid YAML or not a map.
    #[error("failed to parse {file}: {message}")]
    File {
        /// The file name.
        file: String,
        /// Parser message.
        message: String,
    },
    /// A `--set` expression is invalid.
    #[error(transparent)]
    Set(#[from] strvals::SetError),
}

/// Builds the user values like `helm install -f a.yaml -f b.yaml --set ...`:
/// files merged in order (later wins), then each `--set*` applied.
#[derive(Debug, Default, Clone)]
pub struct UserValues {
    map: MapRef,
}

impl UserValues {
    /// Empty user values.
    pub fn new() -> UserValues {
        UserValues::default()
    }

    /// Merges a values file's YAML content (`file` names it in errors).
    pub fn add_yaml(&mut self, file: &str, content: &str) -> Result<(), ValuesError> {
        let v = crate::yaml::parse(content).map_err(|e| ValuesError::File {
            file: file.to_string(),
            message: e.to_string(),
        })?;
        match v {
            Value::Map(m) => {
                self.map = coalesce::merge_maps(&self.map, &m);
                Ok(())
            }
            Value::Nil => Ok(()),
            other => Err(ValuesError::File {
                file: file.to_string(),
                message: format!("values must be a map, got {}", other.type_name()),
            }),
        }
    }

    /// Merges an already-parsed map.
    pub fn add_map(&mut self, v: &Value) {
        if let Value::Map(m) = v {
            self.map = coalesce::merge_maps(&self.map, m);
        }
    }

    /// Applies one `--set`-style expression.
    pub fn set(&mut self, expr: &str, mode: SetMode) -> Result<(), ValuesError> {
        strvals::parse_into(expr, &self.map, mode)?;
        Ok(())
    }

    /// The combined values.
    pub fn to_value(&self) -> Value {
        Value::Map(self.map.clone())
    }
}
