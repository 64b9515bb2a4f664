//! `stackbook template`: the `helm template` command as a library call, so
//! the CLI only maps flags onto [`TemplateOptions`].

use std::path::PathBuf;

use thiserror::Error;

use crate::chart::{ChartError, load_chart};
use crate::render::{Capabilities, ReleaseOptions, RenderError, Rendered, render_chart};
use crate::values::{SetMode, UserValues, ValuesError};

/// Flags of `helm template`.
#[derive(Debug, Clone, Default)]
pub struct TemplateOptions {
    /// Chart directory or `.tgz`.
    pub chart: PathBuf,
    /// `-f/--values` files, in order.
    pub values_files: Vec<PathBuf>,
    /// `--set` expressions.
    pub set: Vec<String>,
    /// `--set-string` expressions.
    pub set_string: Vec<String>,
    /// `--set-json` expressions.
    pub set_json: Vec<String>,
    /// Release name (`release-name` when empty).
    pub name: String,
    /// Namespace (`default` when empty).
    pub namespace: String,
    /// `--include-crds`.
    pub include_crds: bool,
    /// `--kube-version` (Helm's default when empty).
    pub kube_version: String,
    /// `--api-versions`, added to the default set.
    pub api_versions: Vec<String>,
    /// `--is-upgrade`.
    pub is_upgrade: bool,
}

/// Anything `template` can fail with.
#[derive(Debug, Error)]
pub enum TemplateError {
    /// Loading the chart failed.
    #[error(transparent)]
    Chart(#[from] ChartError),
    /// A values file could not be read.
    #[error("cannot read values file {path}: {source}")]
    ValuesFile {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// Values are malformed.
    #[error(transparent)]
    Values(#[from] ValuesError),
    /// Rendering failed.
    #[error(transparent)]
    Render(#[from] RenderError),
}

/// The result of `template`: the text `helm template` prints plus the
/// structured render (for warnings such as unused values).
#[derive(Debug)]
pub struct TemplateOutput {
    /// What `helm template` prints on stdout.
    pub text: String,
    /// The render itself.
    pub rendered: Rendered,
}

/// Runs `helm template` semantics. Values are applied in Helm's order:
/// files, then `--set-json`, `--set`, `--set-string`.
pub fn template(opts: &TemplateOptions) -> Result<TemplateOutput, TemplateError> {
    let chart = load_chart(&opts.chart)?;
    let mut uv = UserValues::new();
    for f in &opts.values_files {
        let text = std::fs::read_to_string(f).map_err(|e| TemplateError::ValuesFile {
            path: f.clone(),
            source: e,
        })?;
        uv.add_yaml(&f.display().to_string(), &text)?;
    }
    for e in &opts.set_json {
        uv.set(e, SetMode::Json)?;
    }
    for e in &opts.set {
        uv.set(e, SetMode::Typed)?;
    }
    for e in &opts.set_string {
        uv.set(e, SetMode::String)?;
    }
    let release = ReleaseOptions {
        name: if opts.name.is_empty() {
            "release-name".into()
        } else {
            opts.name.clone()
        },
        namespace: if opts.namespace.is_empty() {
            "default".into()
        } else {
            opts.namespace.clone()
        },
        revision: 1,
        is_install: !opts.is_upgrade,
        is_upgrade: opts.is_upgrade,
    };
    let mut caps = Capabilities::default();
    if !opts.kube_version.is_empty() {
        caps.kube_version = if opts.kube_version.starts_with('v') {
            opts.kube_version.clone()
        } else {
            format!("v{}", opts.kube_version)
        };
    }
    caps.api_versions.extend(opts.api_versions.iter().cloned());
    let rendered = render_chart(&chart, &uv.to_value(), &release, &caps)?;
    Ok(TemplateOutput {
        text: rendered.template_output(opts.include_crds),
        rendered,
    })
}
