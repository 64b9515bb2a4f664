//! `kubernetes.core.k8s_info`: read objects, optionally waiting until they are ready.
//!
//! ```yaml
//! - kubernetes.core.k8s_info:
//!     kind: Secret
//!     namespace: database
//!     name: your-project-db-pguser-your_project_user
//!   register: pguser
//! ```
//!
//! Returns `resources` (a list, empty when nothing matches) and `api_found` (false when the
//! kind is not served, instead of failing, so `until:` loops can wait for a CRD).

use std::time::{Duration, Instant};

use serde::Deserialize;
use serde_json::{Map, Value as Json};
use stackbook_engine::modules::{Module, ModuleContext, ModuleResult, args, failed, parse_args};

use crate::cluster::Cluster;
use crate::connection::ConnectionArgs;
use crate::discovery::ApiResource;
use crate::error::K8sError;
use crate::ops::{self, Target};
use crate::wait::{self, Readiness, WaitCondition};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct InfoArgs {
    #[serde(default, deserialize_with = "args::string_opt")]
    kind: Option<String>,
    #[serde(
        default,
        alias = "api",
        alias = "version",
        deserialize_with = "args::string_opt"
    )]
    api_version: Option<String>,
    #[serde(default, deserialize_with = "args::string_opt")]
    name: Option<String>,
    #[serde(default, deserialize_with = "args::string_opt")]
    namespace: Option<String>,
    #[serde(default, deserialize_with = "args::string_list")]
    label_selectors: Vec<String>,
    #[serde(default, deserialize_with = "args::string_list")]
    field_selectors: Vec<String>,
    #[serde(default, deserialize_with = "args::bool_opt")]
    wait: Option<bool>,
    #[serde(default)]
    wait_condition: Option<WaitCondition>,
    #[serde(default, deserialize_with = "args::int_opt")]
    wait_sleep: Option<i64>,
    #[serde(default, deserialize_with = "args::int_opt")]
    wait_timeout: Option<i64>,
    #[serde(default, deserialize_with = "args::bool_opt")]
    hidden_fields: Option<bool>,
}

/// The `kubernetes.core.k8s_info` module.
#[derive(Debug, Default)]
pub struct K8sInfo;

const NAME: &str = "kubernetes.core.k8s_info";

impl Module for K8sInfo {
    fn docs(&self) -> Option<stackbook_engine::modules::docs::DocSource> {
        Some(stackbook_engine::module_docs!(
            "k8s_info",
            fragments = ["k8s_connection"]
        ))
    }

    fn run(&self, context: &ModuleContext<'_>, args: Json) -> ModuleResult {
        let mut map = match args {
            Json::Object(map) => map,
            Json::Null => Map::new(),
            other => return failed(format!("{NAME}: arguments must be a mapping, got {other}")),
        };
        let connection = match ConnectionArgs::take(&mut map) {
            Ok(connection) => connection,
            Err(message) => return failed(message),
        };
        let args: InfoArgs = match parse_args(NAME, Json::Object(map)) {
            Ok(args) => args,
            Err(failure) => return failure,
        };
        let _ = args.hidden_fields;
        let Some(kind) = args.kind.clone() else {
            return failed("missing required arguments: kind");
        };
        let source = connection.source(context);
        let outcome = crate::runtime::block_on(async {
            let cluster = crate::cluster::connect(&connection, &source).await?;
            info(&cluster, &args, &kind).await
        });
        match outcome {
            None => failed("cannot start the Kubernetes client runtime (no threads available)"),
            Some(Ok(result)) => result,
            Some(Err(error)) => error.into_result(),
        }
    }
}

async fn info(cluster: &Cluster, args: &InfoArgs, kind: &str) -> Result<ModuleResult, K8sError> {
    let api_version = args.api_version.clone().unwrap_or_else(|| "v1".into());
    let mut result = Map::new();
    result.insert("changed".into(), Json::Bool(false));
    let resource = match cluster
        .discovery
        .resolve(cluster, &api_version, kind, Duration::ZERO)
        .await
    {
        Ok(resource) => resource,
        Err(K8sError::UnknownKind { .. }) => {
            result.insert("api_found".into(), Json::Bool(false));
            result.insert("resources".into(), Json::Array(Vec::new()));
            return Ok(result);
        }
        Err(error) => return Err(error),
    };
    let namespace = if resource.namespaced {
        args.namespace.clone().or_else(|| {
            // A named object lives in a namespace; a list without one spans all of them.
            args.name
                .as_ref()
                .map(|_| cluster.default_namespace.clone())
        })
    } else {
        None
    };
    let resources = match (args.wait == Some(true), &args.wait_condition) {
        (true, condition) => {
            let timeout = Duration::from_secs(args.wait_timeout.unwrap_or(120).max(0) as u64);
            let sleep = Duration::from_secs(args.wait_sleep.unwrap_or(5).max(1) as u64);
            wait_for_all(
                cluster,
                &resource,
                namespace.as_deref(),
                args,
                condition.as_ref(),
                timeout,
                sleep,
            )
            .await?
        }
        (false, _) => fetch(cluster, &resource, namespace.as_deref(), args).await?,
    };
    result.insert("api_found".into(), Json::Bool(true));
    result.insert("resources".into(), Json::Array(resources));
    Ok(result)
}

async fn fetch(
    cluster: &Cluster,
    resource: &ApiResource,
    namespace: Option<&str>,
    args: &InfoArgs,
) -> Result<Vec<Json>, K8sError> {
    match &args.name {
        Some(name) => {
            let target = Target {
                resource,
                namespace,
                name,
            };
            Ok(ops::get(cluster, &target).await?.into_iter().collect())
        }
        None => {
            let labels = (!args.label_selectors.is_empty()).then(|| args.label_selectors.join(","));
            let fields = (!args.field_selectors.is_empty()).then(|| args.field_selectors.join(","));
            ops::list(
                cluster,
                resource,
                namespace,
                labels.as_deref(),
                fields.as_deref(),
            )
            .await
        }
    }
}

/// Polls until something matches and everything that matches is ready.
async fn wait_for_all(
    cluster: &Cluster,
    resource: &ApiResource,
    namespace: Option<&str>,
    args: &InfoArgs,
    condition: Option<&WaitCondition>,
    timeout: Duration,
    sleep: Duration,
) -> Result<Vec<Json>, K8sError> {
    let started = Instant::now();
    let mut delay = Duration::from_millis(50);
    let what = format!(
        "{} {}",
        resource.kind,
        args.name.clone().unwrap_or_else(|| "objects".into())
    );
    loop {
        let found = fetch(cluster, resource, namespace, args).await?;
        let mut last = if found.is_empty() {
            "nothing found".to_string()
        } else {
            String::new()
        };
        for object in &found {
            match wait::readiness(&resource.kind, object, condition) {
                Readiness::Ready => {}
                Readiness::Failed(detail) => return Err(K8sError::WaitFailed { what, detail }),
                Readiness::Pending(observed) => {
                    let name = object
                        .pointer("/metadata/name")
                        .and_then(Json::as_str)
                        .unwrap_or_default();
                    last = format!("{name}: {observed}");
                    break;
                }
            }
        }
        if last.is_empty() {
            return Ok(found);
        }
        if started.elapsed() >= timeout {
            return Err(K8sError::WaitTimeout {
                what,
                awaited: wait::describe(&resource.kind, condition),
                seconds: timeout.as_secs(),
                last,
            });
        }
        tokio::time::sleep(delay.min(timeout.saturating_sub(started.elapsed()))).await;
        delay = (delay * 2).min(sleep);
    }
}
