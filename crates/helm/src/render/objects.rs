//! Built-in objects with Go methods: `.Files`, `.Capabilities` (with
//! `KubeVersion` and `APIVersions.Has`).

use std::collections::BTreeMap;
use std::sync::Arc;

use base64::Engine as _;

use crate::chart::ignore::files_glob_match;
use crate::value::{Map, Object, Value};
use crate::yaml::helm_to_yaml;

/// `.Files`: the chart's non-template files (Helm's `engine.files`).
#[derive(Debug, Clone, Default)]
pub struct Files {
    /// Name → content.
    pub files: BTreeMap<String, Arc<[u8]>>,
}

impl Object for Files {
    fn type_name(&self) -> &str {
        "engine.files"
    }
    fn field(&self, _name: &str) -> Option<Value> {
        None
    }
    fn call_method(&self, name: &str, args: &[Value]) -> Option<Result<Value, String>> {
        let arg = |i: usize| -> Result<String, String> {
            match args.get(i) {
                Some(Value::Str(s)) => Ok(s.to_string()),
                Some(other) => Err(format!(
                    "wrong type for value; expected string; got {}",
                    other.type_name()
                )),
                None => Err(format!(
                    "wrong number of args for {name}: want 1 got {}",
                    args.len()
                )),
            }
        };
        Some(match name {
            "Get" => arg(0).map(|p| {
                Value::from(
                    self.files
                        .get(&p)
                        .map(|d| crate::value::string_from_bytes(d))
                        .unwrap_or_default(),
                )
            }),
            "GetBytes" => arg(0).map(|p| {
                Value::from(
                    self.files
                        .get(&p)
                        .map(|d| crate::value::string_from_bytes(d))
                        .unwrap_or_default(),
                )
            }),
            "Glob" => arg(0).map(|pat| {
                let files = self
                    .files
                    .iter()
                    .filter(|(n, _)| files_glob_match(&pat, n))
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect();
                Value::Object(Arc::new(Files { files }))
            }),
            "Lines" => arg(0).map(|p| match self.files.get(&p) {
                Some(d) if !d.is_empty() => {
                    let s = crate::value::string_from_bytes(d);
                    let s = s.strip_suffix('\n').unwrap_or(&s);
                    Value::list(s.split('\n').map(Value::from).collect())
                }
                _ => Value::list(Vec::new()),
            }),
            "AsConfig" => Ok(Value::from({
                let m: Map = self
                    .files
                    .iter()
                    .map(|(k, v)| (base(k), Value::from(crate::value::string_from_bytes(v))))
                    .collect();
                helm_to_yaml(&Value::map(m))
            })),
            "AsSecrets" => Ok(Value::from({
                let m: Map = self
                    .files
                    .iter()
                    .map(|(k, v)| {
                        (
                            base(k),
                            Value::from(base64::engine::general_purpose::STANDARD.encode(&v[..])),
                        )
                    })
                    .collect();
                helm_to_yaml(&Value::map(m))
            })),
            _ => return None,
        })
    }
    fn display(&self) -> String {
        let parts: Vec<String> = self
            .files
            .iter()
            .map(|(k, v)| format!("{k}:{:?}", &v[..]))
            .collect();
        format!("map[{}]", parts.join(" "))
    }
    fn to_data(&self) -> Value {
        Value::map(
            self.files
                .iter()
                .map(|(k, v)| {
                    (
                        k.clone(),
                        Value::from(base64::engine::general_purpose::STANDARD.encode(&v[..])),
                    )
                })
                .collect(),
        )
    }
    fn entries(&self) -> Option<Vec<(String, Value)>> {
        Some(
            self.files
                .iter()
                .map(|(k, v)| (k.clone(), Value::from(crate::value::string_from_bytes(v))))
                .collect(),
        )
    }
}

fn base(p: &str) -> String {
    p.rsplit('/').next().unwrap_or(p).to_string()
}

/// `.Capabilities.KubeVersion`.
#[derive(Debug, Clone)]
pub struct KubeVersion {
    /// Full version as given, e.g. `v1.33.4-gke.1245000` (`.Version`,
    /// `.GitVersion`).
    pub version: String,
    /// Numeric part only, e.g. `v1.33.4` (what `String()` prints and what
    /// `kubeVersion` constraints are checked against).
    pub normalized: String,
    /// e.g. `1`.
    pub major: String,
    /// e.g. `36`.
    pub minor: String,
}

impl KubeVersion {
    /// Parses `v1.30.2` / `1.30` like Helm's `ParseKubeVersion`.
    pub fn parse(s: &str) -> Option<KubeVersion> {
        let v = s.strip_prefix('v').unwrap_or(s);
        let core = v.split(['-', '+']).next().unwrap_or(v);
        let nums: Vec<&str> = core.split('.').collect();
        if nums.len() < 2 || nums.iter().any(|n| n.parse::<u64>().is_err()) {
            return None;
        }
        Some(KubeVersion {
            version: format!("v{v}"),
            normalized: format!("v{}", nums.join(".")),
            major: nums[0].to_string(),
            minor: nums[1].to_string(),
        })
    }
}

impl Object for KubeVersion {
    fn type_name(&self) -> &str {
        "common.KubeVersion"
    }
    fn field(&self, name: &str) -> Option<Value> {
        match name {
            "Version" => Some(Value::from(self.version.as_str())),
            "Major" => Some(Value::from(self.major.as_str())),
            "Minor" => Some(Value::from(self.minor.as_str())),
            _ => None,
        }
    }
    fn call_method(&self, name: &str, _args: &[Value]) -> Option<Result<Value, String>> {
        match name {
            "String" => Some(Ok(Value::from(self.normalized.as_str()))),
            "GitVersion" => Some(Ok(Value::from(self.version.as_str()))),
            _ => None,
        }
    }
    fn display(&self) -> String {
        self.normalized.clone()
    }
    fn to_data(&self) -> Value {
        Value::map(
            [
                ("Major".to_string(), Value::from(self.major.as_str())),
                ("Minor".to_string(), Value::from(self.minor.as_str())),
                ("Version".to_string(), Value::from(self.version.as_str())),
            ]
            .into_iter()
            .collect(),
        )
    }
}

/// `.Capabilities.APIVersions` (a `VersionSet` with `Has`).
#[derive(Debug, Clone)]
pub struct ApiVersions(pub Vec<String>);

impl Object for ApiVersions {
    fn type_name(&self) -> &str {
        "common.VersionSet"
    }
    fn field(&self, _name: &str) -> Option<Value> {
        None
    }
    fn call_method(&self, name: &str, args: &[Value]) -> Option<Result<Value, String>> {
        match name {
            "Has" => Some(match args {
                [Value::Str(s)] => Ok(Value::Bool(self.0.iter().any(|v| v == s.as_ref()))),
                _ => Err("wrong number of args for Has: want 1".into()),
            }),
            _ => None,
        }
    }
    fn display(&self) -> String {
        format!("[{}]", self.0.join(" "))
    }
    fn to_data(&self) -> Value {
        Value::list(self.0.iter().map(|s| Value::from(s.as_str())).collect())
    }
}

/// `.Capabilities`.
#[derive(Debug, Clone)]
pub struct CapabilitiesObj {
    /// Kubernetes version.
    pub kube: Arc<KubeVersion>,
    /// API versions.
    pub apis: Arc<ApiVersions>,
    /// Helm version info.
    pub helm: Value,
}

impl Object for CapabilitiesObj {
    fn type_name(&self) -> &str {
        "*common.Capabilities"
    }
    fn field(&self, name: &str) -> Option<Value> {
        match name {
            "KubeVersion" => Some(Value::Object(self.kube.clone())),
            "APIVersions" => Some(Value::Object(self.apis.clone())),
            "HelmVersion" => Some(self.helm.clone()),
            _ => None,
        }
    }
    fn call_method(&self, _name: &str, _args: &[Value]) -> Option<Result<Value, String>> {
        None
    }
    fn display(&self) -> String {
        format!(
            "&{{{} {} {}}}",
            self.kube.display(),
            self.apis.display(),
            crate::value::go_sprint(&self.helm)
        )
    }
    fn to_data(&self) -> Value {
        Value::map(
            [
                ("APIVersions".to_string(), self.apis.to_data()),
                ("HelmVersion".to_string(), self.helm.clone()),
                ("KubeVersion".to_string(), self.kube.to_data()),
            ]
            .into_iter()
            .collect(),
        )
    }
}
