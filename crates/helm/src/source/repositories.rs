//! Named chart repositories, stored in Helm's own `repositories.yaml`.
//!
//! Why Helm's file and not a stackbook one: `kubernetes.core.helm_repository`
//! runs `helm repo add`, so a platform engineer expects the repository to
//! show up in `helm repo list` and `helm install <repo>/<chart>` to work
//! after a playbook registered it — and a repository added with the helm
//! CLI to be usable from a playbook. Sharing the file keeps one source of
//! truth. Like Helm, the file holds repository passwords in clear text, so
//! it is written with mode 0600 (what `helm repo add` uses), atomically
//! (temporary file + rename), and fields this module does not know are kept.
//!
//! Locations follow Helm (`helmpath`): `$HELM_REPOSITORY_CONFIG`, else
//! `$HELM_CONFIG_HOME/repositories.yaml`, else
//! `$XDG_CONFIG_HOME/helm/repositories.yaml`, else
//! `~/.config/helm/repositories.yaml`. Indexes downloaded when a repository
//! is added go to Helm's cache too (`<name>-index.yaml` and
//! `<name>-charts.txt` under `$HELM_REPOSITORY_CACHE`, else
//! `$HELM_CACHE_HOME/repository`, `$XDG_CACHE_HOME/helm/repository`,
//! `~/.cache/helm/repository`) so `helm search repo` sees them.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value as Json};

use super::SourceError;
use crate::value::Value;

/// One repository entry (Helm's `repo.Entry`, same YAML keys).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// Repository name (`bitnami`).
    #[serde(default)]
    pub name: String,
    /// Repository URL.
    #[serde(default)]
    pub url: String,
    /// Basic-auth user.
    #[serde(default)]
    pub username: String,
    /// Basic-auth password (clear text, like Helm).
    #[serde(default)]
    pub password: String,
    /// Client certificate file.
    #[serde(default, rename = "certFile")]
    pub cert_file: String,
    /// Client key file.
    #[serde(default, rename = "keyFile")]
    pub key_file: String,
    /// Extra CA bundle.
    #[serde(default, rename = "caFile")]
    pub ca_file: String,
    /// Skip TLS verification.
    #[serde(default)]
    pub insecure_skip_tls_verify: bool,
    /// Send credentials to every host (index URLs may point elsewhere).
    #[serde(default)]
    pub pass_credentials_all: bool,
}

impl Entry {
    /// Names of the fields that differ from `other`, for messages (values,
    /// the password in particular, are never shown).
    pub fn differing_fields(&self, other: &Entry) -> Vec<&'static str> {
        let mut out = Vec::new();
        let mut check = |differs: bool, name: &'static str| {
            if differs {
                out.push(name);
            }
        };
        check(self.url != other.url, "url");
        check(self.username != other.username, "username");
        check(self.password != other.password, "password");
        check(self.cert_file != other.cert_file, "certFile");
        check(self.key_file != other.key_file, "keyFile");
        check(self.ca_file != other.ca_file, "caFile");
        check(
            self.insecure_skip_tls_verify != other.insecure_skip_tls_verify,
            "insecure_skip_tls_verify",
        );
        check(
            self.pass_credentials_all != other.pass_credentials_all,
            "pass_credentials_all",
        );
        out
    }
}

/// Helm's repositories file, kept as a JSON tree so unknown keys survive a rewrite.
#[derive(Debug, Clone)]
pub struct RepositoryFile {
    path: PathBuf,
    doc: Map<String, Json>,
}

fn env_path(env: &dyn Fn(&str) -> Option<String>, key: &str) -> Option<PathBuf> {
    env(key).filter(|v| !v.is_empty()).map(PathBuf::from)
}

/// `repositories.yaml` as Helm locates it; `env` reads a variable (the task's
/// `environment:` first, then the process).
pub fn config_path(env: &dyn Fn(&str) -> Option<String>) -> PathBuf {
    if let Some(p) = env_path(env, "HELM_REPOSITORY_CONFIG") {
        return p;
    }
    let base = env_path(env, "HELM_CONFIG_HOME")
        .or_else(|| env_path(env, "XDG_CONFIG_HOME").map(|p| p.join("helm")))
        .or_else(|| env_path(env, "HOME").map(|h| h.join(".config").join("helm")))
        .unwrap_or_else(|| std::env::temp_dir().join("helm"));
    base.join("repositories.yaml")
}

/// Helm's repository index cache directory.
pub fn cache_dir(env: &dyn Fn(&str) -> Option<String>) -> PathBuf {
    if let Some(p) = env_path(env, "HELM_REPOSITORY_CACHE") {
        return p;
    }
    env_path(env, "HELM_CACHE_HOME")
        .or_else(|| env_path(env, "XDG_CACHE_HOME").map(|p| p.join("helm")))
        .or_else(|| env_path(env, "HOME").map(|h| h.join(".cache").join("helm")))
        .unwrap_or_else(|| std::env::temp_dir().join("helm-cache"))
        .join("repository")
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> SourceError + '_ {
    move |source| SourceError::Io {
        path: path.to_path_buf(),
        source,
    }
}

impl RepositoryFile {
    /// Reads the file; a missing file is an empty one.
    pub fn load(path: &Path) -> Result<RepositoryFile, SourceError> {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
            Err(e) => return Err(io_err(path)(e)),
        };
        let malformed = |reason: String| SourceError::Malformed {
            what: path.display().to_string(),
            reason,
        };
        let doc = match crate::yaml::parse(&text)
            .map_err(|e| malformed(format!("invalid YAML: {e}")))?
            .to_json()
        {
            Json::Object(m) => m,
            Json::Null => Map::new(),
            _ => return Err(malformed("expected a mapping with `repositories`".into())),
        };
        if let Some(r) = doc.get("repositories")
            && !(r.is_array() || r.is_null())
        {
            return Err(malformed("`repositories` must be a list".into()));
        }
        Ok(RepositoryFile {
            path: path.to_path_buf(),
            doc,
        })
    }

    /// Where the file lives.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn list(&self) -> &[Json] {
        self.doc
            .get("repositories")
            .and_then(Json::as_array)
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }

    /// The entry named `name`.
    pub fn get(&self, name: &str) -> Result<Option<Entry>, SourceError> {
        for (i, item) in self.list().iter().enumerate() {
            if item.get("name").and_then(Json::as_str) == Some(name) {
                return serde_json::from_value(item.clone()).map(Some).map_err(|e| {
                    SourceError::Malformed {
                        what: format!("{}: repositories[{i}]", self.path.display()),
                        reason: e.to_string(),
                    }
                });
            }
        }
        Ok(None)
    }

    /// Names of every entry (for messages).
    pub fn names(&self) -> Vec<String> {
        self.list()
            .iter()
            .filter_map(|e| e.get("name").and_then(Json::as_str).map(str::to_string))
            .collect()
    }

    /// Adds or replaces the entry with `entry.name` (unknown keys of an
    /// existing entry are kept).
    pub fn upsert(&mut self, entry: &Entry) {
        let mut new = match serde_json::to_value(entry) {
            Ok(Json::Object(m)) => m,
            _ => Map::new(),
        };
        let list = self
            .doc
            .entry("repositories")
            .or_insert_with(|| Json::Array(Vec::new()));
        if !list.is_array() {
            *list = Json::Array(Vec::new());
        }
        let Some(items) = list.as_array_mut() else {
            return;
        };
        match items
            .iter_mut()
            .find(|e| e.get("name").and_then(Json::as_str) == Some(&entry.name))
        {
            Some(Json::Object(old)) => {
                for (k, v) in std::mem::take(&mut new) {
                    old.insert(k, v);
                }
            }
            _ => items.push(Json::Object(new)),
        }
    }

    /// Removes the entry named `name`; true when it existed.
    pub fn remove(&mut self, name: &str) -> bool {
        let Some(items) = self
            .doc
            .get_mut("repositories")
            .and_then(Json::as_array_mut)
        else {
            return false;
        };
        let before = items.len();
        items.retain(|e| e.get("name").and_then(Json::as_str) != Some(name));
        items.len() != before
    }

    /// Writes the file (mode 0600, atomically), stamping `generated` and
    /// `apiVersion` like `helm repo add`.
    pub fn save(&mut self) -> Result<(), SourceError> {
        self.doc
            .entry("apiVersion")
            .or_insert_with(|| Json::String("v1".into()));
        self.doc.insert(
            "generated".into(),
            Json::String(crate::release::time::now_rfc3339()),
        );
        let text = crate::yaml::emit::to_yaml(&Value::from_json(&Json::Object(self.doc.clone())));
        write_private(&self.path, text.as_bytes())
    }
}

/// Writes `data` to `path` through a temporary file and a rename, mode 0600.
pub fn write_private(path: &Path, data: &[u8]) -> Result<(), SourceError> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(io_err(dir))?;
    }
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    {
        use std::io::Write as _;
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create(true).truncate(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt as _;
            opts.mode(0o600);
        }
        let mut f = opts.open(&tmp).map_err(io_err(&tmp))?;
        f.write_all(data).map_err(io_err(&tmp))?;
    }
    std::fs::rename(&tmp, path).map_err(io_err(path))
}

/// Stores a downloaded index in Helm's cache (`<name>-index.yaml` and the
/// chart-name list `<name>-charts.txt`), so the helm CLI can use the repository.
pub fn write_helm_index_cache(dir: &Path, name: &str, index: &[u8]) -> Result<(), SourceError> {
    let index_path = dir.join(format!("{name}-index.yaml"));
    write_private(&index_path, index)?;
    let names = crate::yaml::parse(&String::from_utf8_lossy(index))
        .ok()
        .and_then(|v| v.get("entries"))
        .map(|e| match e.to_json() {
            Json::Object(m) => m.keys().cloned().collect::<Vec<_>>(),
            _ => Vec::new(),
        })
        .unwrap_or_default();
    let mut text = names.join("\n");
    if !text.is_empty() {
        text.push('\n');
    }
    write_private(&dir.join(format!("{name}-charts.txt")), text.as_bytes())
}

/// Removes a repository's files from Helm's cache (missing files are fine).
pub fn remove_helm_index_cache(dir: &Path, name: &str) {
    for f in [format!("{name}-index.yaml"), format!("{name}-charts.txt")] {
        let _ = std::fs::remove_file(dir.join(f));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_keeps_unknown_fields_and_is_private() {
        let dir = std::env::temp_dir().join(format!("sb-repofile-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let path = dir.join("repositories.yaml");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            &path,
            "apiVersion: v1\ngenerated: \"2024-01-01T00:00:00Z\"\nrepositories:\n- name: a\n  url: https://a.example/charts\n  futureField: x\n",
        )
        .unwrap();
        let mut f = RepositoryFile::load(&path).unwrap();
        assert_eq!(f.get("a").unwrap().unwrap().url, "https://a.example/charts");
        assert!(f.get("b").unwrap().is_none());
        f.upsert(&Entry {
            name: "a".into(),
            url: "https://a2.example".into(),
            ..Default::default()
        });
        f.upsert(&Entry {
            name: "b".into(),
            url: "http://b".into(),
            username: "u".into(),
            password: "p".into(),
            ..Default::default()
        });
        f.save().unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains("futureField: x"), "{text}");
        assert!(text.contains("caFile: \"\""), "{text}");
        let again = RepositoryFile::load(&path).unwrap();
        assert_eq!(again.names(), ["a", "b"]);
        assert_eq!(again.get("b").unwrap().unwrap().password, "p");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let mut f = again;
        assert!(f.remove("a"));
        assert!(!f.remove("a"));
        assert_eq!(f.names(), ["b"]);
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn locations_follow_helm() {
        let env = |vars: &'static [(&'static str, &'static str)]| {
            move |k: &str| {
                vars.iter()
                    .find(|(n, _)| *n == k)
                    .map(|(_, v)| v.to_string())
            }
        };
        let e = env(&[("HOME", "/h")]);
        assert_eq!(
            config_path(&e),
            PathBuf::from("/h/.config/helm/repositories.yaml")
        );
        assert_eq!(cache_dir(&e), PathBuf::from("/h/.cache/helm/repository"));
        let e = env(&[("HOME", "/h"), ("XDG_CONFIG_HOME", "/x")]);
        assert_eq!(config_path(&e), PathBuf::from("/x/helm/repositories.yaml"));
        let e = env(&[("HELM_REPOSITORY_CONFIG", "/r.yaml")]);
        assert_eq!(config_path(&e), PathBuf::from("/r.yaml"));
        assert!(
            RepositoryFile::load(Path::new("/nonexistent/dir/r.yaml"))
                .unwrap()
                .names()
                .is_empty()
        );
    }
}
