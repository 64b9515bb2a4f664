//! The chart model and loader (Helm's `pkg/chart` + `pkg/chart/loader`).
//!
//! A chart is loaded from a directory or a `.tgz` into a flat list of
//! files (after `.helmignore`), then classified the way Helm's `LoadFiles`
//! does: `Chart.yaml`, `values.yaml`, `values.schema.json`, `templates/`,
//! `charts/` (subcharts, directories or archives), and everything else as
//! `.Files` (including `crds/`).

pub mod deps;
pub mod ignore;
pub mod schema;

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use thiserror::Error;

use crate::value::{Map, Value};
use crate::yaml;

/// Chart loading failures; each names the file or path involved.
#[derive(Debug, Error)]
pub enum ChartError {
    /// Reading a file or directory failed.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The path.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A chart archive could not be unpacked.
    #[error("cannot unpack chart archive {path}: {message}")]
    Archive {
        /// Archive path (or in-archive name).
        path: String,
        /// What failed.
        message: String,
    },
    /// `Chart.yaml` is missing.
    #[error("{path}: Chart.yaml file is missing")]
    MissingChartYaml {
        /// Chart directory or archive.
        path: String,
    },
    /// A YAML/JSON file does not parse.
    #[error("{file}: {message}")]
    Parse {
        /// The file inside the chart.
        file: String,
        /// Parser message.
        message: String,
    },
    /// `Chart.yaml` is invalid.
    #[error("validation: chart.metadata.{field} is required ({file})")]
    Invalid {
        /// Missing/invalid field.
        field: &'static str,
        /// The file.
        file: String,
    },
}

/// A file inside a chart (path relative to the chart root, `/`-separated).
#[derive(Debug, Clone)]
pub struct ChartFile {
    /// Relative name, e.g. `templates/deployment.yaml`.
    pub name: String,
    /// Content.
    pub data: std::sync::Arc<[u8]>,
}

/// A CRD file shipped in `crds/` (installed as is, never templated).
#[derive(Debug, Clone)]
pub struct Crd {
    /// Full name, e.g. `pgo/crds/postgresclusters.yaml`.
    pub name: String,
    /// File content.
    pub data: std::sync::Arc<[u8]>,
}

impl Crd {
    /// The content as text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.data).into_owned()
    }
}

/// A dependency entry from `Chart.yaml` (`dependencies:`).
#[derive(Debug, Clone, Default)]
pub struct Dependency {
    /// Chart name.
    pub name: String,
    /// Version constraint.
    pub version: String,
    /// Repository URL.
    pub repository: String,
    /// Comma-separated value paths deciding whether it is enabled.
    pub condition: String,
    /// Tags enabling it.
    pub tags: Vec<String>,
    /// Alias (renames the subchart).
    pub alias: String,
    /// `import-values` entries (strings or `{child, parent}` maps).
    pub import_values: Vec<Value>,
    /// Result of condition/tag evaluation.
    pub enabled: bool,
}

/// A loaded chart.
#[derive(Debug, Clone)]
pub struct Chart {
    /// `Chart.yaml` as parsed (JSON semantics).
    pub metadata: Value,
    /// Chart name (after aliasing).
    pub name: String,
    /// Chart version.
    pub version: String,
    /// `type: library`.
    pub is_library: bool,
    /// `dependencies:` (or `requirements.yaml` for v1 charts).
    pub dependencies: Vec<Dependency>,
    /// `values.yaml` (a map).
    pub values: Value,
    /// `values.schema.json`, if any.
    pub schema: Option<serde_json::Value>,
    /// `values.schema.json` bytes as read (release records store them verbatim).
    pub schema_raw: Option<std::sync::Arc<[u8]>>,
    /// Files under `templates/`.
    pub templates: Vec<ChartFile>,
    /// Every other file (`.Files`), including `crds/`.
    pub files: Vec<ChartFile>,
    /// Loaded subcharts.
    pub subcharts: Vec<Chart>,
    /// Names of ancestors (root first), for `ChartFullPath`.
    pub parents: Vec<String>,
}

impl Chart {
    /// Helm's `ChartFullPath`: `root/charts/sub/charts/subsub`.
    pub fn full_path(&self) -> String {
        let mut p = String::new();
        for a in &self.parents {
            p.push_str(a);
            p.push_str("/charts/");
        }
        p.push_str(&self.name);
        p
    }

    /// True for the top-level chart.
    pub fn is_root(&self) -> bool {
        self.parents.is_empty()
    }

    /// CRD files of this chart and its subcharts (Helm's `CRDObjects`):
    /// `crds/*.yaml|yml|json`, named `chart/.../crds/file`.
    pub fn crd_objects(&self) -> Vec<Crd> {
        let mut out = Vec::new();
        for f in &self.files {
            if f.name.starts_with("crds/")
                && (f.name.ends_with(".yaml")
                    || f.name.ends_with(".yml")
                    || f.name.ends_with(".json"))
            {
                out.push(Crd {
                    name: format!("{}/{}", self.full_path(), f.name),
                    data: f.data.clone(),
                });
            }
        }
        for s in &self.subcharts {
            out.extend(s.crd_objects());
        }
        out
    }

    /// `.Chart` as templates see it (Helm 4's `MetadataAsMap`).
    pub fn metadata_map(&self) -> Value {
        let md = &self.metadata;
        let s = |k: &str| {
            Value::from(
                md.get(k)
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_default(),
            )
        };
        let list = |k: &str| match md.get(k) {
            Some(Value::List(l)) => Value::List(l),
            _ => Value::list(Vec::new()),
        };
        let mut m = Map::new();
        m.insert("APIVersion".into(), s("apiVersion"));
        m.insert(
            "Annotations".into(),
            md.get("annotations").unwrap_or(Value::Nil),
        );
        m.insert("AppVersion".into(), s("appVersion"));
        m.insert("Condition".into(), s("condition"));
        m.insert(
            "Deprecated".into(),
            Value::Bool(md.get("deprecated").is_some_and(|v| v.is_true())),
        );
        m.insert("Description".into(), s("description"));
        m.insert("Home".into(), s("home"));
        m.insert("Icon".into(), s("icon"));
        m.insert("IsRoot".into(), Value::Bool(self.is_root()));
        m.insert("Keywords".into(), list("keywords"));
        m.insert("KubeVersion".into(), s("kubeVersion"));
        m.insert("Name".into(), Value::from(self.name.as_str()));
        m.insert("Sources".into(), list("sources"));
        m.insert("Tags".into(), s("tags"));
        m.insert("Type".into(), s("type"));
        m.insert("Version".into(), s("version"));
        let maint: Vec<Value> = match md.get("maintainers") {
            Some(Value::List(l)) => l
                .iter()
                .map(|e| {
                    let g = |k: &str| {
                        Value::from(
                            e.get(k)
                                .and_then(|v| v.as_str().map(str::to_string))
                                .unwrap_or_default(),
                        )
                    };
                    Value::map(
                        [
                            ("Email".to_string(), g("email")),
                            ("Name".to_string(), g("name")),
                            ("URL".to_string(), g("url")),
                        ]
                        .into_iter()
                        .collect(),
                    )
                })
                .collect(),
            _ => Vec::new(),
        };
        m.insert("Maintainers".into(), Value::list(maint));
        let deps: Vec<Value> = self
            .dependencies
            .iter()
            .map(|d| {
                let mut dm = Map::new();
                dm.insert("Name".into(), Value::from(d.name.as_str()));
                dm.insert("Version".into(), Value::from(d.version.as_str()));
                dm.insert("Repository".into(), Value::from(d.repository.as_str()));
                dm.insert("Condition".into(), Value::from(d.condition.as_str()));
                dm.insert(
                    "Tags".into(),
                    Value::list(d.tags.iter().map(|t| Value::from(t.as_str())).collect()),
                );
                dm.insert("Enabled".into(), Value::Bool(d.enabled));
                dm.insert("ImportValues".into(), Value::list(d.import_values.clone()));
                dm.insert("Alias".into(), Value::from(d.alias.as_str()));
                Value::map(dm)
            })
            .collect();
        m.insert("Dependencies".into(), Value::list(deps));
        Value::map(m)
    }
}

/// Loads a chart from a directory or a `.tgz` archive.
pub fn load_chart(path: impl AsRef<Path>) -> Result<Chart, ChartError> {
    let path = path.as_ref();
    let meta = std::fs::metadata(path).map_err(|e| ChartError::Io {
        path: path.to_path_buf(),
        source: e,
    })?;
    if meta.is_dir() {
        load_dir(path)
    } else {
        let data = std::fs::read(path).map_err(|e| ChartError::Io {
            path: path.to_path_buf(),
            source: e,
        })?;
        load_archive(&data, &path.display().to_string())
    }
}

/// Loads a chart directory, honouring `.helmignore`.
pub fn load_dir(dir: &Path) -> Result<Chart, ChartError> {
    let files = read_dir_files(dir)?;
    from_files(files, &dir.display().to_string())
}

/// The files of a chart directory as `helm package` would include them
/// (`.helmignore` honoured), paths relative to `dir`, sorted.
pub fn read_dir_files(dir: &Path) -> Result<Vec<ChartFile>, ChartError> {
    let ignore_src = std::fs::read_to_string(dir.join(".helmignore")).unwrap_or_default();
    let rules = ignore::Rules::parse(&ignore_src);
    let mut files = Vec::new();
    walk(dir, dir, &rules, &mut files)?;
    Ok(files)
}

fn walk(
    root: &Path,
    dir: &Path,
    rules: &ignore::Rules,
    out: &mut Vec<ChartFile>,
) -> Result<(), ChartError> {
    let rd = std::fs::read_dir(dir).map_err(|e| ChartError::Io {
        path: dir.to_path_buf(),
        source: e,
    })?;
    let mut entries: Vec<_> = rd.filter_map(Result::ok).collect();
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let p = e.path();
        let rel = p
            .strip_prefix(root)
            .unwrap_or(&p)
            .to_string_lossy()
            .replace('\\', "/");
        let md = std::fs::metadata(&p).map_err(|err| ChartError::Io {
            path: p.clone(),
            source: err,
        })?;
        if rules.ignore(&rel, md.is_dir()) {
            continue;
        }
        if md.is_dir() {
            walk(root, &p, rules, out)?;
        } else {
            let data = std::fs::read(&p).map_err(|err| ChartError::Io {
                path: p.clone(),
                source: err,
            })?;
            out.push(ChartFile {
                name: rel,
                data: data.into(),
            });
        }
    }
    Ok(())
}

/// Loads a chart from `.tgz` bytes (files under one top-level directory).
pub fn load_archive(data: &[u8], label: &str) -> Result<Chart, ChartError> {
    let gz = flate2::read::GzDecoder::new(data);
    let mut ar = tar::Archive::new(gz);
    let mut files = Vec::new();
    let entries = ar.entries().map_err(|e| ChartError::Archive {
        path: label.to_string(),
        message: e.to_string(),
    })?;
    for entry in entries {
        let mut entry = entry.map_err(|e| ChartError::Archive {
            path: label.to_string(),
            message: e.to_string(),
        })?;
        if !entry.header().entry_type().is_file() {
            continue;
        }
        let name = entry
            .path()
            .map_err(|e| ChartError::Archive {
                path: label.to_string(),
                message: e.to_string(),
            })?
            .to_string_lossy()
            .replace('\\', "/");
        // Strip the top-level directory.
        let Some((_, rel)) = name.split_once('/') else {
            continue;
        };
        if rel.split('/').any(|seg| seg == "..") {
            return Err(ChartError::Archive {
                path: label.to_string(),
                message: format!("chart illegally contains path {name:?}"),
            });
        }
        let mut buf = Vec::new();
        entry
            .read_to_end(&mut buf)
            .map_err(|e| ChartError::Archive {
                path: label.to_string(),
                message: e.to_string(),
            })?;
        files.push(ChartFile {
            name: rel.to_string(),
            data: buf.into(),
        });
    }
    // Honour .helmignore inside the archive too.
    let rules = files
        .iter()
        .find(|f| f.name == ".helmignore")
        .map(|f| ignore::Rules::parse(&String::from_utf8_lossy(&f.data)))
        .unwrap_or_default();
    files.retain(|f| {
        !rules.ignore(&f.name, false) && !parent_dirs(&f.name).iter().any(|d| rules.ignore(d, true))
    });
    from_files(files, label)
}

fn parent_dirs(name: &str) -> Vec<String> {
    let parts: Vec<&str> = name.split('/').collect();
    (1..parts.len()).map(|i| parts[..i].join("/")).collect()
}

fn parse_deps(v: Option<Value>) -> Vec<Dependency> {
    let Some(Value::List(l)) = v else {
        return Vec::new();
    };
    l.iter()
        .map(|d| {
            let s = |k: &str| {
                d.get(k)
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_default()
            };
            Dependency {
                name: s("name"),
                version: s("version"),
                repository: s("repository"),
                condition: s("condition"),
                tags: match d.get("tags") {
                    Some(Value::List(t)) => t
                        .iter()
                        .filter_map(|x| x.as_str().map(str::to_string))
                        .collect(),
                    _ => Vec::new(),
                },
                alias: s("alias"),
                import_values: match d.get("import-values") {
                    Some(Value::List(t)) => t.to_vec(),
                    _ => Vec::new(),
                },
                enabled: true,
            }
        })
        .collect()
}

/// Helm's `LoadFiles`: classify files into a chart.
pub fn from_files(files: Vec<ChartFile>, label: &str) -> Result<Chart, ChartError> {
    let mut metadata = None;
    let mut values = Value::empty_map();
    let mut schema = None;
    let mut schema_raw = None;
    let mut requirements = None;
    let mut templates = Vec::new();
    let mut other = Vec::new();
    let mut sub_files: BTreeMap<String, Vec<ChartFile>> = BTreeMap::new();
    let mut sub_archives: Vec<ChartFile> = Vec::new();
    for f in files {
        let text = || String::from_utf8_lossy(strip_bom(&f.data)).into_owned();
        match f.name.as_str() {
            "Chart.yaml" => {
                metadata = Some(yaml::parse(&text()).map_err(|e| ChartError::Parse {
                    file: format!("{label}/Chart.yaml"),
                    message: e.to_string(),
                })?);
            }
            "values.yaml" => {
                values = match yaml::parse(&text()).map_err(|e| ChartError::Parse {
                    file: format!("{label}/values.yaml"),
                    message: e.to_string(),
                })? {
                    Value::Nil => Value::empty_map(),
                    v @ Value::Map(_) => v,
                    _ => {
                        return Err(ChartError::Parse {
                            file: format!("{label}/values.yaml"),
                            message: "values must be a map".into(),
                        });
                    }
                };
            }
            "values.schema.json" => {
                schema_raw = Some(f.data.clone());
                schema = Some(
                    serde_json::from_slice(&f.data).map_err(|e| ChartError::Parse {
                        file: format!("{label}/values.schema.json"),
                        message: e.to_string(),
                    })?,
                );
            }
            "requirements.yaml" => {
                requirements = Some(yaml::parse(&text()).map_err(|e| ChartError::Parse {
                    file: format!("{label}/requirements.yaml"),
                    message: e.to_string(),
                })?);
            }
            "Chart.lock" | "requirements.lock" => {}
            n if n.starts_with("templates/") => templates.push(f),
            n if n.starts_with("charts/") => {
                if n.ends_with(".prov") {
                    continue;
                }
                let rest = &n["charts/".len()..];
                match rest.split_once('/') {
                    Some((dir, sub)) => {
                        sub_files
                            .entry(dir.to_string())
                            .or_default()
                            .push(ChartFile {
                                name: sub.to_string(),
                                data: f.data,
                            })
                    }
                    None => {
                        if rest.ends_with(".tgz") || rest.ends_with(".tar.gz") {
                            sub_archives.push(f);
                        }
                    }
                }
            }
            _ => other.push(f),
        }
    }
    let Some(metadata) = metadata else {
        return Err(ChartError::MissingChartYaml {
            path: label.to_string(),
        });
    };
    let get = |k: &str| {
        metadata
            .get(k)
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default()
    };
    let name = get("name");
    if name.is_empty() {
        return Err(ChartError::Invalid {
            field: "name",
            file: format!("{label}/Chart.yaml"),
        });
    }
    let version = get("version");
    let mut dependencies = parse_deps(metadata.get("dependencies"));
    if dependencies.is_empty()
        && let Some(r) = requirements
    {
        dependencies = parse_deps(r.get("dependencies"));
    }
    let mut subcharts = Vec::new();
    for (dir, files) in sub_files {
        let mut c = from_files(files, &format!("{label}/charts/{dir}"))?;
        c.set_parent(&name);
        subcharts.push(c);
    }
    for a in sub_archives {
        let mut c = load_archive(&a.data, &format!("{label}/{}", a.name))?;
        c.set_parent(&name);
        subcharts.push(c);
    }
    templates.sort_by(|a, b| a.name.cmp(&b.name));
    other.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(Chart {
        is_library: get("type") == "library",
        metadata,
        name,
        version,
        dependencies,
        values,
        schema,
        schema_raw,
        templates,
        files: other,
        subcharts,
        parents: Vec::new(),
    })
}

impl Chart {
    fn set_parent(&mut self, parent: &str) {
        self.parents.insert(0, parent.to_string());
        for s in &mut self.subcharts {
            s.set_parent(parent);
        }
    }
}

fn strip_bom(b: &[u8]) -> &[u8] {
    b.strip_prefix(&[0xEF, 0xBB, 0xBF]).unwrap_or(b)
}
