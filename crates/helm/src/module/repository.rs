//! The `kubernetes.core.helm_repository` module (alias `helm_repository`):
//! registers a classic chart repository by name, as `helm repo add` does,
//! so `helm` tasks can use `chart_ref: <repo>/<chart>`.
//!
//! ```yaml
//! - kubernetes.core.helm_repository:
//!     name: internal
//!     repo_url: https://charts.example.com/stable
//!     repo_username: deploy
//!     repo_password: "{{ vault_chart_password }}"
//! ```
//!
//! Storage is Helm's own `repositories.yaml` (see
//! [`crate::source::repositories`] for why and where). Semantics:
//! - `present`, not yet known: the index is downloaded (the repository
//!   must answer, like `helm repo add`), the entry written, `changed`.
//! - `present`, known with the same settings: `ok`, nothing written.
//! - `present`, known with other settings: a failure naming the fields
//!   that differ (never their values), unless `force_update: true`, which
//!   replaces the entry (`changed`). kubernetes.core silently keeps the
//!   old credentials in that case; failing is safer than ignoring what the
//!   playbook says.
//! - `absent`: the entry and its cached index are removed when present.
//! - Check mode touches neither the network nor any file.
//!
//! `repo_password` is never part of a result, a diff or an error message.
//! kubernetes.core's connection options (`kubeconfig`, `context`, `host`,
//! `api_key`, `ca_cert`, `validate_certs`, `binary_path`) are accepted and
//! ignored: registering a repository does not talk to the cluster.

use std::path::PathBuf;

use serde::Deserialize;
use serde_json::{Map, Value as Json, json};
use stackbook_engine::modules::{Module, ModuleContext, ModuleResult, args, parse_args};

use super::{ModError, chart_cache, runtime, task_env};
use crate::source::repositories::{self, Entry, RepositoryFile};
use crate::source::{self, Credentials};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RepoArgs {
    #[serde(alias = "name", deserialize_with = "args::string_opt", default)]
    repo_name: Option<String>,
    #[serde(alias = "url", deserialize_with = "args::string_opt", default)]
    repo_url: Option<String>,
    #[serde(alias = "username", deserialize_with = "args::string_opt", default)]
    repo_username: Option<String>,
    #[serde(alias = "password", deserialize_with = "args::string_opt", default)]
    repo_password: Option<String>,
    #[serde(alias = "state", deserialize_with = "args::string_opt", default)]
    repo_state: Option<String>,
    #[serde(default, deserialize_with = "args::bool_opt")]
    pass_credentials: Option<bool>,
    #[serde(alias = "force", default, deserialize_with = "args::bool_opt")]
    force_update: Option<bool>,
    /// CA bundle for the repository's TLS (`helm repo add --ca-file`).
    #[serde(
        alias = "repo_ca_file",
        alias = "chart_ca_cert",
        deserialize_with = "args::string_opt",
        default
    )]
    ca_file: Option<String>,
    /// `helm repo add --insecure-skip-tls-verify`.
    #[serde(
        alias = "skip_tls_certs_check",
        default,
        deserialize_with = "args::bool_opt"
    )]
    insecure_skip_tls_verify: Option<bool>,
    // Cluster connection options of kubernetes.core (unused here).
    #[serde(default)]
    binary_path: Option<Json>,
    #[serde(default)]
    host: Option<Json>,
    #[serde(default)]
    api_key: Option<Json>,
    #[serde(alias = "verify_ssl", default)]
    validate_certs: Option<Json>,
    #[serde(alias = "ssl_ca_cert", default)]
    ca_cert: Option<Json>,
    #[serde(alias = "kube_context", default)]
    context: Option<Json>,
    #[serde(alias = "kubeconfig_path", default)]
    kubeconfig: Option<Json>,
}

/// `kubernetes.core.helm_repository`.
pub struct HelmRepository;

impl Module for HelmRepository {
    fn docs(&self) -> Option<stackbook_engine::modules::docs::DocSource> {
        Some(stackbook_engine::module_docs!("helm_repository"))
    }

    fn run(&self, context: &ModuleContext<'_>, args: Json) -> ModuleResult {
        let a: RepoArgs = match parse_args("kubernetes.core.helm_repository", args) {
            Ok(a) => a,
            Err(f) => return f,
        };
        run(context, a).unwrap_or_else(ModError::into_result)
    }
}

/// The entry as shown in results and diffs: the password replaced.
fn shown(e: &Entry) -> Json {
    let mut j = serde_json::to_value(e).unwrap_or(Json::Null);
    if let Some(m) = j.as_object_mut()
        && !e.password.is_empty()
    {
        m.insert("password".into(), json!("********"));
    }
    j
}

fn entry_yaml(e: Option<&Entry>) -> String {
    e.map(|e| crate::yaml::emit::to_yaml(&crate::Value::from_json(&shown(e))))
        .unwrap_or_default()
}

fn run(context: &ModuleContext<'_>, a: RepoArgs) -> Result<ModuleResult, ModError> {
    let _ = (
        &a.binary_path,
        &a.host,
        &a.api_key,
        &a.validate_certs,
        &a.ca_cert,
        &a.context,
        &a.kubeconfig,
    );
    let name = a
        .repo_name
        .clone()
        .filter(|n| !n.is_empty())
        .ok_or("missing required arguments: repo_name")?;
    if name.contains('/') {
        return Err(format!("repo_name {name:?}: repository names cannot contain '/'").into());
    }
    let state = a.repo_state.clone().unwrap_or_else(|| "present".into());
    let env = |k: &str| task_env(context, k);
    let path = repositories::config_path(&env);
    let helm_cache = repositories::cache_dir(&env);
    let mut file = RepositoryFile::load(&path)?;
    let existing = file.get(&name)?;
    let mut r = Map::new();
    r.insert("repo_name".into(), json!(name));
    r.insert(
        "repositories_file".into(),
        json!(path.display().to_string()),
    );
    let diff = |r: &mut Map<String, Json>, before: Option<&Entry>, after: Option<&Entry>| {
        if context.diff {
            let h = format!("helm repository {name}");
            r.insert(
                "diff".into(),
                json!({"before": entry_yaml(before), "after": entry_yaml(after),
                       "before_header": h, "after_header": h}),
            );
        }
    };
    match state.as_str() {
        "absent" => {
            let changed = existing.is_some();
            if changed && !context.check_mode {
                file.remove(&name);
                file.save()?;
                repositories::remove_helm_index_cache(&helm_cache, &name);
            }
            r.insert("changed".into(), json!(changed));
            if changed {
                diff(&mut r, existing.as_ref(), None);
            }
            Ok(r)
        }
        "present" => {
            let url = a
                .repo_url
                .clone()
                .filter(|u| !u.is_empty())
                .ok_or("state is present but all of the following are missing: repo_url")?;
            if url.starts_with("oci://") {
                return Err(format!(
                    "repo_url {url}: OCI registries are not chart repositories; use chart_ref: {url}/<chart> in the helm module directly"
                )
                .into());
            }
            if !(url.starts_with("http://") || url.starts_with("https://")) {
                return Err(
                    format!("repo_url {url:?}: expected an http:// or https:// URL").into(),
                );
            }
            if a.repo_username.is_some() != a.repo_password.is_some() {
                return Err(
                    "parameters are required together: repo_username, repo_password".into(),
                );
            }
            let mut desired = Entry {
                name: name.clone(),
                url: url.trim_end_matches('/').to_string(),
                username: a.repo_username.clone().unwrap_or_default(),
                password: a.repo_password.clone().unwrap_or_default(),
                ca_file: a.ca_file.clone().unwrap_or_default(),
                insecure_skip_tls_verify: a.insecure_skip_tls_verify.unwrap_or(false),
                pass_credentials_all: a.pass_credentials.unwrap_or(false),
                ..Default::default()
            };
            if let Some(old) = &existing {
                // Client certificates are not managed here; keep them.
                desired.cert_file = old.cert_file.clone();
                desired.key_file = old.key_file.clone();
            }
            r.insert("repo_url".into(), json!(desired.url));
            let force = a.force_update.unwrap_or(false);
            let changed = match &existing {
                Some(old) if *old == desired => false,
                Some(old) if !force => {
                    return Err(format!(
                        "repository {name:?} already exists in {} with a different {}; set force_update: true to replace it",
                        path.display(),
                        old.differing_fields(&desired).join(", ")
                    )
                    .into());
                }
                _ => true,
            };
            if context.check_mode || !(changed || force) {
                r.insert("changed".into(), json!(changed));
                if changed {
                    diff(&mut r, existing.as_ref(), Some(&desired));
                }
                return Ok(r);
            }
            // Like `helm repo add`: the repository must serve an index.
            let http = source::http::HttpOptions {
                ca_file: (!desired.ca_file.is_empty()).then(|| PathBuf::from(&desired.ca_file)),
                insecure_skip_tls_verify: desired.insecure_skip_tls_verify,
                ..Default::default()
            };
            let credentials = (!desired.username.is_empty()).then(|| Credentials {
                username: desired.username.clone(),
                password: desired.password.clone(),
            });
            let cache = chart_cache(context);
            let index = runtime()?.block_on(async {
                source::repo::RepoClient::new(
                    source::http::client(&http)?,
                    &desired.url,
                    credentials,
                )
                .pass_credentials_all(desired.pass_credentials_all)
                .download_index(&cache)
                .await
            })?;
            if changed {
                file.upsert(&desired);
                file.save()?;
            }
            repositories::write_helm_index_cache(&helm_cache, &name, &index)?;
            r.insert("changed".into(), json!(changed));
            if changed {
                diff(&mut r, existing.as_ref(), Some(&desired));
            }
            Ok(r)
        }
        other => {
            Err(format!("value of repo_state must be one of: present, absent, got: {other}").into())
        }
    }
}
