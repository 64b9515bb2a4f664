//! Single-object operations against the API: read, server-side apply, replace, create,
//! patch and delete, each with dry-run, field validation, warnings and 409 handling.
//!
//! Requests are built with `kube::core::Request` (paths and query strings) and sent through
//! [`Cluster::send`], which retries 429/5xx and resets; 409s are handled here because only
//! the caller knows whether re-reading makes the retry meaningful.

use std::time::Duration;

use kube::core::Request;
use kube::core::params::{
    DeleteParams, Patch, PatchParams, PostParams, PropagationPolicy, ValidationDirective,
};
use serde_json::Value as Json;

use crate::cluster::{Call, Cluster, Reply};
use crate::discovery::ApiResource;
use crate::error::K8sError;
use crate::wait::qualified;

/// How a write is validated (`fieldValidation`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Validation {
    /// Unknown fields fail the request (the default).
    Strict,
    /// Unknown fields are dropped with a warning.
    Warn,
}

impl Validation {
    fn directive(self) -> ValidationDirective {
        match self {
            Validation::Strict => ValidationDirective::Strict,
            Validation::Warn => ValidationDirective::Warn,
        }
    }

    fn query(self) -> &'static str {
        match self {
            Validation::Strict => "Strict",
            Validation::Warn => "Warn",
        }
    }
}

/// The object being worked on.
#[derive(Debug, Clone)]
pub struct Target<'a> {
    /// Its resource.
    pub resource: &'a ApiResource,
    /// Namespace (only for namespaced resources).
    pub namespace: Option<&'a str>,
    /// Name.
    pub name: &'a str,
}

impl Target<'_> {
    /// `Kind namespace/name`, for messages.
    pub fn describe(&self) -> String {
        format!(
            "{} {}",
            self.resource.kind,
            qualified(self.namespace, self.name)
        )
    }

    fn request(&self) -> Request {
        Request::new(self.resource.collection_path(self.namespace))
    }
}

/// The outcome of a write.
#[derive(Debug)]
pub struct Written {
    /// The object the server returned.
    pub object: Json,
    /// Server warnings.
    pub warnings: Vec<String>,
}

fn build_error(what: &str, error: kube::core::request::Error) -> K8sError {
    K8sError::Definition {
        location: String::new(),
        detail: format!("cannot build the request for {what}: {error}"),
    }
}

/// Attempts for a 409 that re-reading can resolve.
const CONFLICT_ATTEMPTS: u32 = 5;

fn is_field_manager_conflict(reply: &Reply) -> bool {
    let body = reply.json();
    let causes = body
        .pointer("/details/causes")
        .and_then(Json::as_array)
        .is_some_and(|c| {
            c.iter()
                .any(|c| c.get("type").and_then(Json::as_str) == Some("FieldManagerConflict"))
        });
    causes
        || body
            .get("message")
            .and_then(Json::as_str)
            .is_some_and(|m| m.starts_with("Apply failed"))
}

async fn conflict_pause(attempt: u32) {
    tokio::time::sleep(Duration::from_millis(50u64 << attempt.min(5))).await;
}

/// GET; `None` on 404.
pub async fn get(cluster: &Cluster, target: &Target<'_>) -> Result<Option<Json>, K8sError> {
    let request = target
        .request()
        .get(target.name, &Default::default())
        .map_err(|e| build_error(&target.describe(), e))?;
    let reply = cluster.send(&Call::from_request(request)).await?;
    match reply.status.as_u16() {
        404 => Ok(None),
        _ if reply.ok() => Ok(Some(reply.json())),
        _ => Err(reply.error("get", &target.describe())),
    }
}

/// LIST with selectors.
pub async fn list(
    cluster: &Cluster,
    resource: &ApiResource,
    namespace: Option<&str>,
    label_selector: Option<&str>,
    field_selector: Option<&str>,
) -> Result<Vec<Json>, K8sError> {
    let mut items = Vec::new();
    let mut continue_token: Option<String> = None;
    loop {
        let mut params = kube::core::params::ListParams::default().limit(500);
        if let Some(labels) = label_selector {
            params = params.labels(labels);
        }
        if let Some(fields) = field_selector {
            params = params.fields(fields);
        }
        if let Some(token) = &continue_token {
            params = params.continue_token(token);
        }
        let what = format!(
            "{} in {}",
            resource.plural,
            namespace.unwrap_or("all namespaces")
        );
        let request = Request::new(resource.collection_path(namespace))
            .list(&params)
            .map_err(|e| build_error(&what, e))?;
        let reply = cluster.send(&Call::from_request(request)).await?;
        if !reply.ok() {
            return Err(reply.error("list", &what));
        }
        let body = reply.json();
        let api_version = resource.api_version();
        if let Some(page) = body.get("items").and_then(Json::as_array) {
            // List items carry no apiVersion/kind; add them as kubernetes.core does.
            items.extend(page.iter().cloned().map(|mut item| {
                if let Some(map) = item.as_object_mut() {
                    map.insert("apiVersion".into(), Json::String(api_version.clone()));
                    map.insert("kind".into(), Json::String(resource.kind.clone()));
                }
                item
            }));
        }
        continue_token = body
            .pointer("/metadata/continue")
            .and_then(Json::as_str)
            .filter(|t| !t.is_empty())
            .map(str::to_string);
        if continue_token.is_none() {
            return Ok(items);
        }
    }
}

/// Server-side apply settings.
#[derive(Debug, Clone)]
pub struct ApplySettings {
    /// `fieldManager`.
    pub field_manager: String,
    /// `force` (take over conflicting fields).
    pub force_conflicts: bool,
    /// Dry run (`--check`).
    pub dry_run: bool,
    /// Field validation.
    pub validation: Validation,
}

/// Server-side apply (`application/apply-patch+yaml`).
pub async fn apply(
    cluster: &Cluster,
    target: &Target<'_>,
    object: &Json,
    settings: &ApplySettings,
) -> Result<Written, K8sError> {
    let params = PatchParams {
        dry_run: settings.dry_run,
        force: settings.force_conflicts,
        field_manager: Some(settings.field_manager.clone()),
        field_validation: Some(settings.validation.directive()),
    };
    let request = target
        .request()
        .patch(target.name, &params, &Patch::Apply(object))
        .map_err(|e| build_error(&target.describe(), e))?;
    let call = Call::from_request(request);
    let mut attempt = 0;
    loop {
        let reply = cluster.send(&call).await?;
        if reply.ok() {
            return Ok(Written {
                object: reply.json(),
                warnings: reply.warnings,
            });
        }
        if reply.status.as_u16() == 409 {
            if is_field_manager_conflict(&reply) {
                let mut error = reply.error("apply", &target.describe());
                if let K8sError::Api { message, .. } = &mut error {
                    message.push_str(
                        " (another field manager owns these fields; set server_side_apply.force_conflicts: true to take them over)",
                    );
                }
                return Err(error);
            }
            attempt += 1;
            if attempt < CONFLICT_ATTEMPTS {
                conflict_pause(attempt).await;
                continue;
            }
        }
        return Err(reply.error("apply", &target.describe()));
    }
}

/// POST (also for `generateName`).
pub async fn create(
    cluster: &Cluster,
    target: &Target<'_>,
    object: &Json,
    dry_run: bool,
    validation: Validation,
) -> Result<Written, K8sError> {
    let params = PostParams {
        dry_run,
        field_manager: Some("stackbook".into()),
    };
    let body = serde_json::to_vec(object).unwrap_or_default();
    let request = target
        .request()
        .create(&params, body)
        .map_err(|e| build_error(&target.describe(), e))?;
    let reply = cluster
        .send(&Call::from_request(request).query("fieldValidation", validation.query()))
        .await?;
    if reply.ok() {
        Ok(Written {
            object: reply.json(),
            warnings: reply.warnings,
        })
    } else {
        Err(reply.error("create", &target.describe()))
    }
}

/// PUT (`force: true`): replaces the object, re-reading its `resourceVersion` on 409.
pub async fn replace(
    cluster: &Cluster,
    target: &Target<'_>,
    object: &Json,
    dry_run: bool,
    validation: Validation,
) -> Result<Written, K8sError> {
    let params = PostParams {
        dry_run,
        field_manager: Some("stackbook".into()),
    };
    let mut attempt = 0;
    loop {
        let current = get(cluster, target).await?;
        let Some(current) = current else {
            return create(cluster, target, object, dry_run, validation).await;
        };
        let mut body = object.clone();
        if let (Some(rv), Some(metadata)) = (
            current.pointer("/metadata/resourceVersion").cloned(),
            body.get_mut("metadata").and_then(Json::as_object_mut),
        ) {
            metadata.insert("resourceVersion".into(), rv);
        }
        let request = target
            .request()
            .replace(
                target.name,
                &params,
                serde_json::to_vec(&body).unwrap_or_default(),
            )
            .map_err(|e| build_error(&target.describe(), e))?;
        let reply = cluster
            .send(&Call::from_request(request).query("fieldValidation", validation.query()))
            .await?;
        if reply.ok() {
            return Ok(Written {
                object: reply.json(),
                warnings: reply.warnings,
            });
        }
        attempt += 1;
        if reply.status.as_u16() == 409 && attempt < CONFLICT_ATTEMPTS {
            conflict_pause(attempt).await;
            continue;
        }
        return Err(reply.error("replace", &target.describe()));
    }
}

/// PATCH with a merge or strategic-merge patch, trying each type in `merge_types` on 415.
pub async fn patch(
    cluster: &Cluster,
    target: &Target<'_>,
    object: &Json,
    merge_types: &[String],
    dry_run: bool,
    validation: Validation,
) -> Result<Written, K8sError> {
    let params = PatchParams {
        dry_run,
        force: false,
        field_manager: Some("stackbook".into()),
        field_validation: Some(validation.directive()),
    };
    let mut last = None;
    for merge_type in merge_types {
        let body = match merge_type.as_str() {
            "strategic-merge" => Patch::Strategic(object),
            "merge" => Patch::Merge(object),
            other => {
                return Err(K8sError::Definition {
                    location: String::new(),
                    detail: format!(
                        "merge_type '{other}' is not supported (use merge or strategic-merge; \
                         JSON patches belong to kubernetes.core.k8s_json_patch)"
                    ),
                });
            }
        };
        let request = target
            .request()
            .patch(target.name, &params, &body)
            .map_err(|e| build_error(&target.describe(), e))?;
        let call = Call::from_request(request);
        let mut attempt = 0;
        let reply = loop {
            let reply = cluster.send(&call).await?;
            attempt += 1;
            if reply.status.as_u16() == 409 && attempt < CONFLICT_ATTEMPTS {
                conflict_pause(attempt).await;
                continue;
            }
            break reply;
        };
        if reply.ok() {
            return Ok(Written {
                object: reply.json(),
                warnings: reply.warnings,
            });
        }
        let error = reply.error(&format!("patch ({merge_type})"), &target.describe());
        if reply.status.as_u16() != 415 {
            return Err(error);
        }
        last = Some(error);
    }
    Err(last.unwrap_or_else(|| K8sError::Definition {
        location: String::new(),
        detail: "merge_type is empty".into(),
    }))
}

/// `delete_options`.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct DeleteOptions {
    /// `Foreground`, `Background` or `Orphan`.
    #[serde(default)]
    pub propagation_policy: Option<String>,
    /// Grace period.
    #[serde(default, deserialize_with = "stackbook_engine::modules::args::int_opt")]
    pub grace_period_seconds: Option<i64>,
    /// Preconditions (`uid`, `resourceVersion`).
    #[serde(default)]
    pub preconditions: Option<Json>,
}

/// DELETE; `false` when the object was already gone.
pub async fn delete(
    cluster: &Cluster,
    target: &Target<'_>,
    options: &DeleteOptions,
    dry_run: bool,
) -> Result<bool, K8sError> {
    let propagation_policy = match options.propagation_policy.as_deref() {
        None => None,
        Some("Foreground") => Some(PropagationPolicy::Foreground),
        Some("Background") => Some(PropagationPolicy::Background),
        Some("Orphan") => Some(PropagationPolicy::Orphan),
        Some(other) => {
            return Err(K8sError::Definition {
                location: String::new(),
                detail: format!(
                    "delete_options.propagationPolicy must be Foreground, Background or Orphan, got '{other}'"
                ),
            });
        }
    };
    let preconditions = options.preconditions.as_ref().map(|p| {
        let text = |key: &str| p.get(key).and_then(Json::as_str).map(str::to_string);
        kube::core::params::Preconditions {
            resource_version: text("resourceVersion"),
            uid: text("uid"),
        }
    });
    let params = DeleteParams {
        dry_run,
        grace_period_seconds: options
            .grace_period_seconds
            .and_then(|g| u32::try_from(g).ok()),
        propagation_policy,
        preconditions,
    };
    let request = target
        .request()
        .delete(target.name, &params)
        .map_err(|e| build_error(&target.describe(), e))?;
    let reply = cluster.send(&Call::from_request(request)).await?;
    match reply.status.as_u16() {
        404 => Ok(false),
        _ if reply.ok() => Ok(true),
        _ => Err(reply.error("delete", &target.describe())),
    }
}
