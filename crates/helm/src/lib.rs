//! stackbook's Helm engine: renders Helm charts without the `helm` binary,
//! producing byte-for-byte what `helm template` produces.
//!
//! Layers, bottom up:
//! - [`value`]: Go-typed dynamic values (`int` vs `int64` vs `float64`).
//! - [`gotmpl`]: a Go `text/template` engine (lexer, parser, executor).
//! - [`sprig`]: Sprig and Helm template functions.
//! - [`yaml`]: YAML reading/writing with go-yaml v2 / `sigs.k8s.io/yaml`
//!   semantics (what `toYaml` prints).
//! - [`chart`]: chart loading (directory or `.tgz`), `.helmignore`,
//!   dependencies, values schema.
//! - [`values`]: values coalescing and `--set` parsing (Helm's strvals).
//! - [`render`]: `render_chart`, the built-in objects and install order.
//! - [`template_cmd`]: `helm template` as one call ([`template`]).

pub mod chart;
pub mod gotmpl;
pub mod install;
pub mod module;
pub mod release;
pub mod render;
pub mod source;
pub mod sprig;
pub mod template_cmd;
pub mod value;
pub mod values;
pub mod yaml;

pub use chart::{Chart, ChartError, load_chart};
pub use render::{Capabilities, ReleaseOptions, RenderError, Rendered, render_chart};
pub use template_cmd::{TemplateError, TemplateOptions, TemplateOutput, template};
pub use value::Value;
