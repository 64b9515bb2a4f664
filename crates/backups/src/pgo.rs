//! What creating a PGO `PostgresCluster` would do to its pgBackRest repositories, as
//! [`RepoRequest`]s ready for [`crate::check`].
//!
//! The `k8s` guard must decide before anything is written: a cluster without `dataSource`
//! initialises every S3 repository it lists (so each must hold no stanza), a cluster with
//! `dataSource.pgbackrest` restores from the repository named there (so it must hold a backup,
//! and a PITR target must be in range). This module reads those facts out of the object; the
//! caller supplies the `s3.conf` text of the Secret(s) that `configuration` references (from
//! the cluster or from an object applied earlier in the run — see [`configuration_secrets`]).

use serde_json::Value as Json;

use crate::check::parse_target;
use crate::config::{ConfigError, RepoRequest};
use crate::secret::Secret;

/// The API group of PGO's objects.
pub const GROUP: &str = "postgres-operator.crunchydata.com";

/// What the cluster will do with a repository.
#[derive(Debug, Clone)]
pub enum Plan {
    /// A new cluster: PGO runs `stanza-create` on each of these repositories.
    Init(Vec<RepoRequest>),
    /// Restore from this repository (`dataSource.pgbackrest`), optionally to a time.
    Restore {
        /// The source repository.
        request: Box<RepoRequest>,
        /// `--type=time --target=…` from `options`.
        target: Option<jiff::Timestamp>,
    },
    /// Nothing this module can check (no S3 repository, a clone from another
    /// `PostgresCluster`, a volume repository as source); `reason` says which.
    Skip {
        /// Why nothing is checked.
        reason: String,
    },
}

/// True for a `postgres-operator.crunchydata.com/*` `PostgresCluster`.
pub fn is_postgres_cluster(object: &Json) -> bool {
    object.get("kind").and_then(Json::as_str) == Some("PostgresCluster")
        && object
            .get("apiVersion")
            .and_then(Json::as_str)
            .is_some_and(|v| v.split('/').next() == Some(GROUP))
}

/// Secret names whose keys PGO projects into pgBackRest's configuration, for the init repos
/// (`spec.backups.pgbackrest.configuration[].secret.name`) and for a `dataSource.pgbackrest`
/// restore (`spec.dataSource.pgbackrest.configuration[].secret.name`). The caller reads their
/// `s3.conf` (or every `*.conf`) key and passes the text to [`plan`].
pub fn configuration_secrets(object: &Json) -> (Vec<String>, Vec<String>) {
    let names = |configuration: Option<&Json>| -> Vec<String> {
        configuration
            .and_then(Json::as_array)
            .map(|items| {
                items
                    .iter()
                    .filter_map(|i| i.pointer("/secret/name").and_then(Json::as_str))
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default()
    };
    (
        names(object.pointer("/spec/backups/pgbackrest/configuration")),
        names(object.pointer("/spec/dataSource/pgbackrest/configuration")),
    )
}

/// The plan for creating `object`. `s3_conf` is the configuration text for the cluster's own
/// repositories, `source_s3_conf` the one for a `dataSource.pgbackrest` restore.
pub fn plan(
    object: &Json,
    s3_conf: Option<&Secret>,
    source_s3_conf: Option<&Secret>,
) -> Result<Plan, ConfigError> {
    let spec = object.get("spec").unwrap_or(&Json::Null);
    if let Some(source) = spec.pointer("/dataSource/pgbackrest") {
        return restore_plan(source, source_s3_conf);
    }
    if spec.pointer("/standby/enabled").and_then(Json::as_bool) == Some(true) {
        // A standby replays what the primary archived; it never runs stanza-create.
        return match spec.get("standby").filter(|s| s.get("repoName").is_some()) {
            Some(standby) => repo_restore_plan(
                spec.pointer("/backups/pgbackrest"),
                Some(standby),
                "spec.standby",
                s3_conf,
            ),
            None => Ok(Plan::Skip {
                reason: "a streaming standby (standby.host) initialises no repository".to_owned(),
            }),
        };
    }
    if let Some(clone) = spec.pointer("/dataSource/postgresCluster") {
        let name = clone
            .get("clusterName")
            .and_then(Json::as_str)
            .unwrap_or("?");
        return Ok(Plan::Skip {
            reason: format!(
                "dataSource.postgresCluster clones from PostgresCluster '{name}'; its repository \
                 is checked through that cluster"
            ),
        });
    }
    let pgbackrest = spec.pointer("/backups/pgbackrest");
    let repos = pgbackrest
        .and_then(|p| p.get("repos"))
        .and_then(Json::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    let global = global_options(pgbackrest.and_then(|p| p.get("global")))?;
    let requests: Vec<RepoRequest> = repos
        .iter()
        .filter(|r| r.get("s3").is_some())
        .map(|r| RepoRequest {
            s3_conf: Some(conf_or_empty(s3_conf)),
            global: with_default_path(global.clone(), r),
            repo_spec: Some(r.clone()),
            ..RepoRequest::default()
        })
        .collect();
    if requests.is_empty() {
        return Ok(Plan::Skip {
            reason: "the cluster has no S3 repository".to_owned(),
        });
    }
    Ok(Plan::Init(requests))
}

/// An in-place restore (`spec.backups.pgbackrest.restore` with `enabled: true`) of an existing
/// cluster: PGO restores from the repository named by `repoName` of the cluster itself.
pub fn in_place_restore_plan(object: &Json, s3_conf: Option<&Secret>) -> Result<Plan, ConfigError> {
    let pgbackrest = object.pointer("/spec/backups/pgbackrest");
    let restore = pgbackrest.and_then(|p| p.get("restore"));
    repo_restore_plan(
        pgbackrest,
        restore,
        "spec.backups.pgbackrest.restore",
        s3_conf,
    )
}

/// A clone (`dataSource.postgresCluster`) of the live `source` cluster: PGO restores from the
/// source's repository named by `repoName`; `s3_conf` is the source's configuration text.
pub fn clone_plan(
    source: &Json,
    data_source: &Json,
    s3_conf: Option<&Secret>,
) -> Result<Plan, ConfigError> {
    repo_restore_plan(
        source.pointer("/spec/backups/pgbackrest"),
        Some(data_source),
        "dataSource.postgresCluster",
        s3_conf,
    )
}

/// A restore from the repository `request.repoName` of the cluster whose `backups.pgbackrest`
/// is `pgbackrest`, with `request.options`.
fn repo_restore_plan(
    pgbackrest: Option<&Json>,
    request: Option<&Json>,
    field: &'static str,
    s3_conf: Option<&Secret>,
) -> Result<Plan, ConfigError> {
    let repo_name = request
        .and_then(|r| r.get("repoName"))
        .and_then(Json::as_str)
        .ok_or_else(|| ConfigError::Invalid {
            field,
            detail: "repoName is required (the repository to restore from)".to_owned(),
        })?;
    let repo = pgbackrest
        .and_then(|p| p.get("repos"))
        .and_then(Json::as_array)
        .and_then(|repos| {
            repos
                .iter()
                .find(|r| r.get("name").and_then(Json::as_str) == Some(repo_name))
        })
        .ok_or_else(|| ConfigError::Invalid {
            field,
            detail: format!(
                "repoName {repo_name} is not one of the cluster's backups.pgbackrest.repos"
            ),
        })?;
    if repo.get("s3").is_none() {
        return Ok(Plan::Skip {
            reason: format!("{repo_name} is not an S3 repository"),
        });
    }
    let options: Vec<&str> = request
        .and_then(|r| r.get("options"))
        .and_then(Json::as_array)
        .map(|o| o.iter().filter_map(Json::as_str).collect())
        .unwrap_or_default();
    Ok(Plan::Restore {
        request: Box::new(RepoRequest {
            s3_conf: Some(conf_or_empty(s3_conf)),
            global: with_default_path(
                global_options(pgbackrest.and_then(|p| p.get("global")))?,
                repo,
            ),
            repo_spec: Some(repo.clone()),
            ..RepoRequest::default()
        }),
        target: restore_target(&options)?,
    })
}

/// PGO configures pgBackRest only from the spec and the Secret: without a Secret there are no
/// keys (pgBackRest error 037), never the AWS default chain that [`RepoRequest`] assumes when it
/// has no configuration text at all.
fn conf_or_empty(s3_conf: Option<&Secret>) -> Secret {
    s3_conf.cloned().unwrap_or_else(|| Secret::new(""))
}

fn restore_plan(source: &Json, s3_conf: Option<&Secret>) -> Result<Plan, ConfigError> {
    let Some(repo) = source.get("repo") else {
        return Err(ConfigError::RepoSpec(
            "dataSource.pgbackrest has no 'repo' (PGO requires one)".to_owned(),
        ));
    };
    if repo.get("s3").is_none() {
        return Ok(Plan::Skip {
            reason: "dataSource.pgbackrest.repo is not an S3 repository".to_owned(),
        });
    }
    let options: Vec<&str> = source
        .get("options")
        .and_then(Json::as_array)
        .map(|o| o.iter().filter_map(Json::as_str).collect())
        .unwrap_or_default();
    let target = restore_target(&options)?;
    Ok(Plan::Restore {
        request: Box::new(RepoRequest {
            s3_conf: Some(conf_or_empty(s3_conf)),
            global: with_default_path(global_options(source.get("global"))?, repo),
            repo_spec: Some(repo.clone()),
            stanza: source
                .get("stanza")
                .and_then(Json::as_str)
                .map(str::to_owned),
            ..RepoRequest::default()
        }),
        target,
    })
}

/// `--type=time` with `--target=…` (quotes stripped) → the target; other types → `None`.
pub fn restore_target(options: &[&str]) -> Result<Option<jiff::Timestamp>, ConfigError> {
    let mut kind = None;
    let mut target = None;
    for option in options.iter().flat_map(|o| split_words(o)) {
        if let Some(v) = option.strip_prefix("--type=") {
            kind = Some(v.to_owned());
        } else if let Some(v) = option.strip_prefix("--target=") {
            target = Some(v.to_owned());
        }
    }
    match (kind.as_deref(), target) {
        (Some("time"), Some(t)) => parse_target(&t)
            .map(Some)
            .map_err(|e| ConfigError::Invalid {
                field: "dataSource.pgbackrest.options",
                detail: e.to_string(),
            }),
        (Some("time"), None) => Err(ConfigError::Invalid {
            field: "dataSource.pgbackrest.options",
            detail: "--type=time needs --target=<time> (pgBackRest error 037)".to_owned(),
        }),
        _ => Ok(None),
    }
}

/// PGO passes each `options` entry through a shell: split on unquoted spaces, drop quotes.
fn split_words(option: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut quote: Option<char> = None;
    for c in option.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), c) => cur.push(c),
            (None, '"' | '\'') => quote = Some(c),
            (None, c) if c.is_whitespace() => {
                if !cur.is_empty() {
                    words.push(std::mem::take(&mut cur));
                }
            }
            (None, c) => cur.push(c),
        }
    }
    if !cur.is_empty() {
        words.push(cur);
    }
    words
}

/// PGO writes `repoN-path=/pgbackrest/repoN` for every repository whose path the spec does
/// not set (pgBackRest's own default, `/var/lib/pgbackrest`, never applies to a PGO cluster).
fn with_default_path(
    mut global: std::collections::BTreeMap<String, String>,
    repo: &Json,
) -> std::collections::BTreeMap<String, String> {
    if let Some(name) = repo.get("name").and_then(Json::as_str) {
        global
            .entry(format!("{name}-path"))
            .or_insert_with(|| format!("/pgbackrest/{name}"));
    }
    global
}

fn global_options(
    global: Option<&Json>,
) -> Result<std::collections::BTreeMap<String, String>, ConfigError> {
    let Some(global) = global else {
        return Ok(Default::default());
    };
    let map = global.as_object().ok_or_else(|| ConfigError::Invalid {
        field: "backups.pgbackrest.global",
        detail: "expected a mapping of pgBackRest options".to_owned(),
    })?;
    map.iter()
        .map(|(k, v)| match v {
            Json::String(s) => Ok((k.clone(), s.clone())),
            Json::Number(n) => Ok((k.clone(), n.to_string())),
            Json::Bool(b) => Ok((k.clone(), if *b { "y" } else { "n" }.to_owned())),
            _ => Err(ConfigError::Invalid {
                field: "backups.pgbackrest.global",
                detail: format!("{k}: expected a string"),
            }),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn cluster(spec: Json) -> Json {
        json!({"apiVersion": "postgres-operator.crunchydata.com/v1beta1",
               "kind": "PostgresCluster", "metadata": {"name": "db"}, "spec": spec})
    }

    const CONF: &str = "[global]\nrepo1-s3-key=K\nrepo1-s3-key-secret=S\nrepo1-cipher-pass=P\n";

    #[test]
    fn a_new_cluster_inits_every_s3_repo() {
        let c = cluster(json!({"backups": {"pgbackrest": {
        "configuration": [{"secret": {"name": "pgo-s3-creds"}}],
        "global": {"repo1-path": "/pgbackrest/db/repo1", "repo1-s3-uri-style": "path",
                   "repo1-cipher-type": "aes-256-cbc", "repo1-retention-full": 2},
        "repos": [
            {"name": "repo1", "s3": {"bucket": "b", "endpoint": "s3.fr-par.scw.cloud", "region": "fr-par"}},
            {"name": "repo2", "volume": {}}
        ]}}}));
        assert!(is_postgres_cluster(&c));
        assert_eq!(configuration_secrets(&c).0, vec!["pgo-s3-creds"]);
        let Plan::Init(reqs) = plan(&c, Some(&Secret::new(CONF)), None).unwrap() else {
            panic!("expected init")
        };
        assert_eq!(reqs.len(), 1);
        let r = reqs[0].resolve().unwrap();
        assert_eq!(r.options.repo_path, "/pgbackrest/db/repo1");
        assert_eq!(r.options.s3.bucket, "b");
        assert_eq!(
            r.options.cipher_pass.as_ref().map(Secret::expose),
            Some("P")
        );
        // Without the s3.conf, pgBackRest's own error names the missing key.
        let Plan::Init(reqs) = plan(&c, None, None).unwrap() else {
            panic!("expected init")
        };
        assert!(
            reqs[0]
                .resolve()
                .unwrap_err()
                .to_string()
                .contains("repo1-s3-key")
        );
    }

    #[test]
    fn data_source_pgbackrest_is_a_restore_with_its_target() {
        let c = cluster(json!({"dataSource": {"pgbackrest": {
            "stanza": "db",
            "configuration": [{"secret": {"name": "source-creds"}}],
            "global": {"repo1-path": "/pgbackrest/old/repo1"},
            "repo": {"name": "repo1", "s3": {"bucket": "old", "endpoint": "e", "region": "r"}},
            "options": ["--type=time", "--target=\"2026-11-23 07:40:00+00\""]}},
            "backups": {"pgbackrest": {"repos": [{"name": "repo1", "s3": {"bucket": "new", "endpoint": "e", "region": "r"}}]}}}));
        assert_eq!(configuration_secrets(&c).1, vec!["source-creds"]);
        let Plan::Restore { request, target } = plan(&c, None, Some(&Secret::new(CONF))).unwrap()
        else {
            panic!("expected restore")
        };
        assert_eq!(
            target.map(|t| t.to_string()).as_deref(),
            Some("2026-11-23T07:40:00Z")
        );
        let r = request.resolve().unwrap();
        assert_eq!(r.options.s3.bucket, "old");
        assert_eq!(r.options.repo_path, "/pgbackrest/old/repo1");
    }

    #[test]
    fn restore_options_are_read_like_pgbackrest() {
        assert_eq!(restore_target(&["--type=immediate"]).unwrap(), None);
        assert_eq!(restore_target(&[]).unwrap(), None);
        let t = restore_target(&["--type=time --target='2026-11-23 08:40:00+01'"]).unwrap();
        assert_eq!(
            t.map(|t| t.to_string()).as_deref(),
            Some("2026-11-23T07:40:00Z")
        );
        assert!(
            restore_target(&["--type=time"])
                .unwrap_err()
                .to_string()
                .contains("--target")
        );
        assert!(restore_target(&["--type=time", "--target=soon"]).is_err());
    }

    #[test]
    fn a_standby_replays_its_repo_instead_of_initialising_it() {
        let c = cluster(json!({"standby": {"enabled": true, "repoName": "repo1"},
            "backups": {"pgbackrest": {"repos": [
                {"name": "repo1", "s3": {"bucket": "primary", "endpoint": "e", "region": "r"}}]}}}));
        let Plan::Restore { request, target } = plan(&c, Some(&Secret::new(CONF)), None).unwrap()
        else {
            panic!("a standby must need backups, not an empty repository")
        };
        assert!(target.is_none());
        assert_eq!(request.resolve().unwrap().options.s3.bucket, "primary");
        let streaming = cluster(json!({"standby": {"enabled": true, "host": "primary.db"}}));
        assert!(matches!(
            plan(&streaming, None, None).unwrap(),
            Plan::Skip { .. }
        ));
    }

    #[test]
    fn in_place_restores_and_clones_read_the_named_repo() {
        let c = cluster(json!({"backups": {"pgbackrest": {
            "global": {"repo2-path": "/pgbackrest/db/repo2"},
            "restore": {"enabled": true, "repoName": "repo2",
                        "options": ["--type=time", "--target=\"2026-11-23 07:40:00+00\""]},
            "repos": [{"name": "repo1", "volume": {}},
                      {"name": "repo2", "s3": {"bucket": "b2", "endpoint": "e", "region": "r"}}]}}}));
        let conf = Secret::new(CONF.replace("repo1", "repo2"));
        let Plan::Restore { request, target } = in_place_restore_plan(&c, Some(&conf)).unwrap()
        else {
            panic!("expected restore")
        };
        assert!(target.is_some());
        let r = request.resolve().unwrap();
        assert_eq!((r.repo, r.options.s3.bucket.as_str()), (2, "b2"));
        assert_eq!(r.options.repo_path, "/pgbackrest/db/repo2");
        let data_source = json!({"clusterName": "c", "repoName": "repo1"});
        assert!(matches!(
            clone_plan(&c, &data_source, None).unwrap(),
            Plan::Skip { .. }
        ));
        let missing = json!({"clusterName": "c", "repoName": "repo9"});
        assert!(
            clone_plan(&c, &missing, None)
                .unwrap_err()
                .to_string()
                .contains("repo9 is not one of")
        );
        assert!(clone_plan(&c, &json!({"clusterName": "c"}), None).is_err());
    }

    #[test]
    fn clones_and_volume_only_clusters_are_skipped_with_a_reason() {
        let c = cluster(
            json!({"dataSource": {"postgresCluster": {"clusterName": "hippo", "repoName": "repo1"}}}),
        );
        assert!(
            matches!(plan(&c, None, None).unwrap(), Plan::Skip { reason } if reason.contains("'hippo'"))
        );
        let c = cluster(
            json!({"backups": {"pgbackrest": {"repos": [{"name": "repo1", "volume": {}}]}}}),
        );
        assert!(matches!(plan(&c, None, None).unwrap(), Plan::Skip { .. }));
        let c = cluster(json!({"dataSource": {"pgbackrest": {"stanza": "db"}}}));
        assert!(plan(&c, None, None).is_err());
        let c = cluster(json!({"dataSource": {"pgbackrest": {}}}));
        assert!(plan(&c, None, None).is_err());
        assert!(!is_postgres_cluster(
            &json!({"apiVersion": "v1", "kind": "PostgresCluster"})
        ));
    }
}
