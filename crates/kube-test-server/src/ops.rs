//! The verbs: get, list, create, update, patch (JSON, merge, strategic, apply), delete,
//! deletecollection, and namespace finalization, all on [`Store`].
//!
//! Every write, whether from an HTTP request or a simulated controller, runs through
//! [`Store::write`], so object semantics (uid, resourceVersion, generation, status scoping,
//! managedFields, schema validation, dry-run, no-op detection) hold uniformly.

use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value, json};

use crate::apply::{self, ApplyRequest};
use crate::managed;
use crate::resources::{self, ResourceType};
use crate::schema;
use crate::selectors::{FieldSelector, LabelSelector};
use crate::status::{self, ApiError, Cause};
use crate::store::{Store, meta_str};
use crate::{ids, kinds, patch, time};

/// `fieldValidation` query parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldValidation {
    /// Unknown fields fail the request with 400.
    Strict,
    /// Unknown fields are pruned with a `Warning` header (server default).
    Warn,
    /// Unknown fields are pruned silently.
    Ignore,
}

/// Options shared by all writes.
#[derive(Debug, Clone)]
pub struct WriteOpts {
    /// Field manager (from `fieldManager` or the User-Agent).
    pub manager: String,
    /// Whether `fieldManager` was given explicitly (required for apply).
    pub manager_explicit: bool,
    /// `dryRun=All`.
    pub dry_run: bool,
    /// `fieldValidation`.
    pub validation: FieldValidation,
    /// Requested API version.
    pub version: String,
}

impl WriteOpts {
    /// Options for an internal (controller) write.
    pub fn internal(manager: &str, version: &str) -> Self {
        Self {
            manager: manager.to_string(),
            manager_explicit: true,
            dry_run: false,
            validation: FieldValidation::Ignore,
            version: version.to_string(),
        }
    }
}

/// A successful response: HTTP code, body, `Warning` headers.
#[derive(Debug, Clone)]
pub struct Reply {
    /// HTTP status code.
    pub code: u16,
    /// Response body.
    pub body: Value,
    /// Warnings for `Warning: 299 - "..."` headers.
    pub warnings: Vec<String>,
}

/// PATCH content types.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PatchType {
    /// `application/json-patch+json`.
    Json,
    /// `application/merge-patch+json`.
    Merge,
    /// `application/strategic-merge-patch+json`.
    Strategic,
    /// `application/apply-patch+yaml`.
    Apply,
}

/// Parsed list parameters.
#[derive(Debug, Clone, Default)]
pub struct ListQuery {
    /// `labelSelector`.
    pub labels: Option<LabelSelector>,
    /// `fieldSelector`.
    pub fields: Option<FieldSelector>,
    /// `limit`.
    pub limit: Option<usize>,
    /// `continue`.
    pub continue_token: Option<String>,
}

impl ListQuery {
    /// Whether an object passes both selectors.
    pub fn matches(&self, obj: &Value) -> bool {
        self.labels.as_ref().is_none_or(|l| l.matches(obj))
            && self.fields.as_ref().is_none_or(|f| f.matches(obj))
    }
}

/// Parsed DeleteOptions.
#[derive(Debug, Clone, Default)]
pub struct DeleteOpts {
    /// `dryRun=All`.
    pub dry_run: bool,
    /// `propagationPolicy=Orphan`.
    pub orphan: bool,
    /// `preconditions.resourceVersion`.
    pub precondition_rv: Option<String>,
    /// `preconditions.uid`.
    pub precondition_uid: Option<String>,
}

fn set_meta(obj: &mut Value, key: &str, value: Value) {
    if let Some(map) = obj.as_object_mut() {
        let meta = map
            .entry("metadata")
            .or_insert_with(|| Value::Object(Map::new()));
        if !meta.is_object() {
            *meta = Value::Object(Map::new());
        }
        if let Some(m) = meta.as_object_mut() {
            if value.is_null() {
                m.remove(key);
            } else {
                m.insert(key.to_string(), value);
            }
        }
    }
}

fn get_meta(obj: &Value, key: &str) -> Value {
    obj.pointer(&format!("/metadata/{key}"))
        .cloned()
        .unwrap_or(Value::Null)
}

/// The object without metadata and status: what `generation` tracks.
fn spec_part(obj: &Value) -> Value {
    let mut o = obj.clone();
    if let Some(m) = o.as_object_mut() {
        m.remove("metadata");
        m.remove("status");
    }
    o
}

/// Rewrites apiVersion for the requested version (CRDs without conversion webhooks).
pub fn present(rt: &ResourceType, version: &str, obj: &Value) -> Value {
    let mut o = obj.clone();
    if let Some(m) = o.as_object_mut() {
        m.insert("apiVersion".into(), json!(rt.api_version(version)));
        m.insert("kind".into(), json!(rt.kind));
    }
    o
}

/// The version objects are stored in.
pub fn storage_version(rt: &ResourceType) -> &str {
    rt.versions
        .iter()
        .find(|v| v.storage)
        .map(|v| v.name.as_str())
        .unwrap_or_else(|| rt.preferred_version())
}

fn object_name(obj: &Value) -> String {
    meta_str(obj, "name").unwrap_or_default().to_string()
}

#[derive(Clone, Copy, PartialEq)]
enum Managed {
    Update,
    Precomputed,
}

fn decode_continue(token: &str) -> Result<(String, String), ApiError> {
    let bad = || ApiError::bad_request(format!("continue key is not valid: {token}"));
    let raw = URL_SAFE_NO_PAD.decode(token).map_err(|_| bad())?;
    let v: Value = serde_json::from_slice(&raw).map_err(|_| bad())?;
    let ns = v.get("ns").and_then(Value::as_str).ok_or_else(bad)?;
    let name = v.get("name").and_then(Value::as_str).ok_or_else(bad)?;
    Ok((ns.to_string(), name.to_string()))
}

fn encode_continue(rv: u64, ns: &str, name: &str) -> String {
    URL_SAFE_NO_PAD
        .encode(json!({"v": "meta.k8s.io/v1", "rv": rv, "ns": ns, "name": name}).to_string())
}

impl Store {
    /// GET one object.
    pub fn op_get(
        &self,
        rt: &ResourceType,
        version: &str,
        ns: &str,
        name: &str,
    ) -> Result<Value, ApiError> {
        self.get(&rt.group, &rt.plural, ns, name)
            .map(|o| present(rt, version, o))
            .ok_or_else(|| ApiError::not_found(&rt.group, &rt.plural, name))
    }

    /// LIST objects (ns `None` = all namespaces).
    pub fn op_list(
        &self,
        rt: &ResourceType,
        version: &str,
        ns: Option<&str>,
        q: &ListQuery,
    ) -> Result<Value, ApiError> {
        let start = q
            .continue_token
            .as_deref()
            .map(decode_continue)
            .transpose()?;
        let mut matching: Vec<&Value> = self
            .list(&rt.group, &rt.plural, ns)
            .into_iter()
            .filter(|o| q.matches(o))
            .collect();
        if let Some((sns, sname)) = &start {
            matching.retain(|o| {
                let key = (
                    meta_str(o, "namespace").unwrap_or_default(),
                    meta_str(o, "name").unwrap_or_default(),
                );
                key > (sns.as_str(), sname.as_str())
            });
        }
        let mut meta = Map::new();
        meta.insert("resourceVersion".into(), json!(self.rv.to_string()));
        if let Some(limit) = q.limit.filter(|l| *l > 0)
            && matching.len() > limit
        {
            let remaining = matching.len() - limit;
            matching.truncate(limit);
            if let Some(last) = matching.last() {
                let token = encode_continue(
                    self.rv,
                    meta_str(last, "namespace").unwrap_or_default(),
                    meta_str(last, "name").unwrap_or_default(),
                );
                meta.insert("continue".into(), json!(token));
                meta.insert("remainingItemCount".into(), json!(remaining));
            }
        }
        let items: Vec<Value> = matching
            .into_iter()
            .map(|o| {
                let mut p = present(rt, version, o);
                if !rt.custom
                    && let Some(m) = p.as_object_mut()
                {
                    m.remove("apiVersion");
                    m.remove("kind");
                }
                p
            })
            .collect();
        Ok(json!({
            "kind": rt.list_kind,
            "apiVersion": rt.api_version(version),
            "metadata": meta,
            "items": items,
        }))
    }

    fn check_namespace(&self, rt: &ResourceType, ns: &str, name: &str) -> Result<(), ApiError> {
        if !rt.namespaced {
            return Ok(());
        }
        match self.get("", "namespaces", "", ns) {
            None => Err(ApiError::not_found("", "namespaces", ns)),
            Some(n) if n.pointer("/metadata/deletionTimestamp").is_some() => {
                Err(ApiError::forbidden(format!(
                    "{} \"{name}\" is forbidden: unable to create new content in namespace {ns} because it is being terminated",
                    status::qualified(&rt.group, &rt.plural)
                )).with_details(&rt.group, &rt.plural, name))
            }
            Some(_) => Ok(()),
        }
    }

    /// Checks body type meta and namespace against the URL; fills them in.
    fn check_body(
        &self,
        rt: &ResourceType,
        version: &str,
        ns: &str,
        body: &mut Value,
    ) -> Result<(), ApiError> {
        if !body.is_object() {
            return Err(ApiError::bad_request(
                "the body of the request was not a JSON object",
            ));
        }
        let want = rt.api_version(version);
        if let Some(av) = body.get("apiVersion").and_then(Value::as_str)
            && av != want
        {
            return Err(ApiError::bad_request(format!(
                "the API version in the data ({av}) does not match the expected API version ({want})"
            )));
        }
        if let Some(kind) = body.get("kind").and_then(Value::as_str)
            && kind != rt.kind
        {
            return Err(ApiError::bad_request(format!(
                "the kind in the data ({kind}) does not match the expected kind ({})",
                rt.kind
            )));
        }
        if rt.namespaced {
            match meta_str(body, "namespace") {
                Some(n) if !n.is_empty() && n != ns => {
                    return Err(ApiError::bad_request(
                        "the namespace of the provided object does not match the namespace sent on the request",
                    ));
                }
                _ => set_meta(body, "namespace", json!(ns)),
            }
        } else {
            set_meta(body, "namespace", Value::Null);
        }
        Ok(())
    }

    /// POST: create an object.
    pub fn op_create(
        &mut self,
        rt: &Arc<ResourceType>,
        ns: &str,
        mut body: Value,
        opts: &WriteOpts,
    ) -> Result<Reply, ApiError> {
        self.check_body(rt, &opts.version, ns, &mut body)?;
        if meta_str(&body, "resourceVersion").is_some_and(|s| !s.is_empty()) {
            return Err(ApiError::bad_request(
                "resourceVersion should not be set on objects to be created",
            ));
        }
        let mut name = object_name(&body);
        if name.is_empty() {
            match meta_str(&body, "generateName") {
                Some(prefix) if !prefix.is_empty() => {
                    let prefix = prefix.to_string();
                    name = loop {
                        let candidate = format!("{prefix}{}", ids::name_suffix());
                        if self.get(&rt.group, &rt.plural, ns, &candidate).is_none() {
                            break candidate;
                        }
                    };
                    set_meta(&mut body, "name", json!(name));
                }
                _ => {
                    return Err(ApiError::invalid(
                        &rt.group,
                        &rt.kind,
                        "",
                        vec![Cause {
                            reason: "FieldValueRequired".into(),
                            message: "Required value: name or generateName is required".into(),
                            field: "metadata.name".into(),
                        }],
                    ));
                }
            }
        }
        for k in [
            "uid",
            "creationTimestamp",
            "generation",
            "managedFields",
            "deletionTimestamp",
        ] {
            set_meta(&mut body, k, Value::Null);
        }
        self.check_namespace(rt, ns, &name)?;
        if self.get(&rt.group, &rt.plural, ns, &name).is_some() {
            return Err(ApiError::already_exists(&rt.group, &rt.plural, &name));
        }
        self.write(rt, None, body, opts, "", Managed::Update)
    }

    /// PUT: replace an object (or its status).
    pub fn op_update(
        &mut self,
        rt: &Arc<ResourceType>,
        ns: &str,
        name: &str,
        mut body: Value,
        opts: &WriteOpts,
        sub: &str,
    ) -> Result<Reply, ApiError> {
        self.check_body(rt, &opts.version, ns, &mut body)?;
        let old = self
            .get(&rt.group, &rt.plural, ns, name)
            .cloned()
            .ok_or_else(|| ApiError::not_found(&rt.group, &rt.plural, name))?;
        let body_name = object_name(&body);
        if !body_name.is_empty() && body_name != name {
            return Err(ApiError::bad_request(format!(
                "the name of the object ({body_name}) does not match the name on the URL ({name})"
            )));
        }
        set_meta(&mut body, "name", json!(name));
        self.check_rv(rt, &old, &body)?;
        self.write(rt, Some(&old), body, opts, sub, Managed::Update)
    }

    fn check_rv(&self, rt: &ResourceType, old: &Value, new: &Value) -> Result<(), ApiError> {
        let want = meta_str(new, "resourceVersion").unwrap_or_default();
        let have = meta_str(old, "resourceVersion").unwrap_or_default();
        if !want.is_empty() && want != have {
            return Err(ApiError::conflict(&rt.group, &rt.plural, &object_name(old)));
        }
        Ok(())
    }

    /// PATCH with any supported content type.
    #[allow(clippy::too_many_arguments)]
    pub fn op_patch(
        &mut self,
        rt: &Arc<ResourceType>,
        ns: &str,
        name: &str,
        ptype: PatchType,
        body: &[u8],
        opts: &WriteOpts,
        sub: &str,
        force: bool,
    ) -> Result<Reply, ApiError> {
        if ptype == PatchType::Apply {
            return self.op_apply(rt, ns, name, body, opts, sub, force);
        }
        if force {
            return Err(ApiError::bad_request(
                "force may not be specified for non-apply patch",
            ));
        }
        if ptype == PatchType::Strategic && rt.custom {
            return Err(ApiError::unsupported_media_type(
                "the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml",
            ));
        }
        let old = self
            .get(&rt.group, &rt.plural, ns, name)
            .cloned()
            .ok_or_else(|| ApiError::not_found(&rt.group, &rt.plural, name))?;
        let patch_body: Value = serde_json::from_slice(body)
            .map_err(|e| ApiError::bad_request(format!("error decoding patch: {e}")))?;
        let patched = match ptype {
            PatchType::Json => patch::json_patch(&old, &patch_body),
            PatchType::Merge => patch::merge_patch(&old, &patch_body),
            _ => patch::strategic_merge(&old, &patch_body),
        }
        .map_err(|e| match e {
            patch::PatchError::Body(m) => ApiError::bad_request(m),
            patch::PatchError::JsonPatch(m) => ApiError::new(
                422,
                "Invalid",
                format!("the server rejected our request due to an error in our request: {m}"),
            ),
        })?;
        let mut patched = patched;
        self.check_body(rt, &opts.version, ns, &mut patched)?;
        if object_name(&patched) != name {
            return Err(ApiError::bad_request(
                "metadata.name: the name of a patched object cannot change",
            ));
        }
        self.check_rv(rt, &old, &patched)?;
        self.write(rt, Some(&old), patched, opts, sub, Managed::Update)
    }

    #[allow(clippy::too_many_arguments)]
    fn op_apply(
        &mut self,
        rt: &Arc<ResourceType>,
        ns: &str,
        name: &str,
        body: &[u8],
        opts: &WriteOpts,
        sub: &str,
        force: bool,
    ) -> Result<Reply, ApiError> {
        if !opts.manager_explicit || opts.manager.is_empty() {
            return Err(ApiError::bad_request(
                "PATCH, application/apply-patch+yaml requires fieldManager to be set",
            ));
        }
        let text = std::str::from_utf8(body)
            .map_err(|_| ApiError::bad_request("apply patch is not UTF-8"))?;
        // Most clients (kubectl, kube-rs) send JSON, which is YAML; parse it as JSON first because
        // that is far faster for large objects such as CRDs.
        let mut applied: Value = match serde_json::from_str(text) {
            Ok(v) => v,
            Err(_) => serde_yaml::from_str(text)
                .map_err(|e| ApiError::bad_request(format!("error decoding YAML: {e}")))?,
        };
        if applied.get("apiVersion").is_none() || applied.get("kind").is_none() {
            return Err(ApiError::bad_request(
                "apply patch must include apiVersion and kind",
            ));
        }
        self.check_body(rt, &opts.version, ns, &mut applied)?;
        let applied_name = object_name(&applied);
        if applied_name.is_empty() {
            set_meta(&mut applied, "name", json!(name));
        } else if applied_name != name {
            return Err(ApiError::bad_request(format!(
                "the name of the object ({applied_name}) does not match the name on the URL ({name})"
            )));
        }
        let mut warnings = Vec::new();
        if rt.custom
            && let Some(schema) = rt.version(&opts.version).and_then(|v| v.schema.as_ref())
        {
            let findings = schema::validate_object(&mut applied, schema);
            self.unknown_fields(
                rt,
                &opts.version,
                opts.validation,
                &findings.unknown,
                &mut warnings,
            )?;
        }
        let req = ApplyRequest {
            manager: &opts.manager,
            api_version: &rt.api_version(&opts.version),
            force,
            subresource: sub,
            status_enabled: rt.has_status(&opts.version),
        };
        let old = self.get(&rt.group, &rt.plural, ns, name).cloned();
        let reply = match old {
            None => {
                if sub == "status" {
                    return Err(ApiError::not_found(&rt.group, &rt.plural, name));
                }
                self.check_namespace(rt, ns, name)?;
                let mut base = json!({"apiVersion": rt.api_version(&opts.version), "kind": rt.kind, "metadata": {"name": name}});
                if rt.namespaced {
                    set_meta(&mut base, "namespace", json!(ns));
                }
                let merged = apply::apply(&base, &applied, &req)
                    .map_err(|c| apply::conflict_error(&rt.group, &rt.plural, name, &c))?;
                self.write(rt, None, merged, opts, "", Managed::Precomputed)?
            }
            Some(old) => {
                self.check_rv(rt, &old, &applied)?;
                let mut merged = apply::apply(&old, &applied, &req)
                    .map_err(|c| apply::conflict_error(&rt.group, &rt.plural, name, &c))?;
                set_meta(
                    &mut merged,
                    "resourceVersion",
                    get_meta(&old, "resourceVersion"),
                );
                self.write(rt, Some(&old), merged, opts, sub, Managed::Precomputed)?
            }
        };
        Ok(Reply {
            warnings: [warnings, reply.warnings].concat(),
            ..reply
        })
    }

    fn unknown_fields(
        &self,
        rt: &ResourceType,
        version: &str,
        mode: FieldValidation,
        unknown: &[String],
        warnings: &mut Vec<String>,
    ) -> Result<(), ApiError> {
        if unknown.is_empty() {
            return Ok(());
        }
        match mode {
            FieldValidation::Strict => {
                let list: Vec<String> = unknown
                    .iter()
                    .map(|u| format!("unknown field \"{u}\""))
                    .collect();
                Err(ApiError::bad_request(format!(
                    "{kind} in version \"{version}\" cannot be handled as a {kind}: strict decoding error: {}",
                    list.join(", "),
                    kind = rt.kind
                )))
            }
            FieldValidation::Warn => {
                warnings.extend(unknown.iter().map(|u| format!("unknown field \"{u}\"")));
                Ok(())
            }
            FieldValidation::Ignore => Ok(()),
        }
    }

    /// The common write path (see module docs).
    fn write(
        &mut self,
        rt: &Arc<ResourceType>,
        old: Option<&Value>,
        mut new: Value,
        opts: &WriteOpts,
        sub: &str,
        managed_mode: Managed,
    ) -> Result<Reply, ApiError> {
        let version = opts.version.as_str();
        let creating = old.is_none();
        let status_enabled = rt.has_status(version);
        if let Some(m) = new.as_object_mut() {
            m.insert(
                "apiVersion".into(),
                json!(rt.api_version(storage_version(rt))),
            );
            m.insert("kind".into(), json!(rt.kind));
        }
        if let Some(old) = old {
            for k in [
                "uid",
                "creationTimestamp",
                "deletionTimestamp",
                "generation",
                "namespace",
                "name",
                "resourceVersion",
            ] {
                set_meta(&mut new, k, get_meta(old, k));
            }
            if managed_mode == Managed::Update {
                set_meta(&mut new, "managedFields", get_meta(old, "managedFields"));
            }
            if sub == "status" {
                let st = new.get("status").cloned();
                let mut base = old.clone();
                if let Some(m) = base.as_object_mut() {
                    match st {
                        Some(s) => m.insert("status".into(), s),
                        None => m.remove("status"),
                    };
                }
                if managed_mode == Managed::Precomputed {
                    set_meta(&mut base, "managedFields", get_meta(&new, "managedFields"));
                }
                new = base;
            } else if status_enabled && let Some(m) = new.as_object_mut() {
                match old.get("status") {
                    Some(s) => m.insert("status".into(), s.clone()),
                    None => m.remove("status"),
                };
            }
        } else if status_enabled && let Some(m) = new.as_object_mut() {
            m.remove("status");
        }
        if !rt.custom {
            kinds::prepare(rt, &mut new, creating);
            kinds::default_type(rt, &mut new);
        }
        let name = object_name(&new);
        let mut warnings = Vec::new();
        if rt.custom
            && let Some(schema) = rt.version(version).and_then(|v| v.schema.as_ref())
        {
            let findings = schema::validate_object(&mut new, schema);
            self.unknown_fields(
                rt,
                version,
                opts.validation,
                &findings.unknown,
                &mut warnings,
            )?;
            if !findings.errors.is_empty() {
                return Err(ApiError::invalid(
                    &rt.group,
                    &rt.kind,
                    &name,
                    findings.errors,
                ));
            }
        }
        let mut causes = Vec::new();
        if creating && let Some(c) = kinds::validate_name(rt, &name) {
            causes.push(c);
        }
        causes.extend(kinds::validate(rt, &new));
        if !causes.is_empty() {
            return Err(ApiError::invalid(&rt.group, &rt.kind, &name, causes));
        }
        if rt.generation {
            let gen_now = match old {
                None => 1,
                Some(o) => {
                    let g = o
                        .pointer("/metadata/generation")
                        .and_then(Value::as_i64)
                        .unwrap_or(1);
                    if spec_part(o) != spec_part(&new) {
                        g + 1
                    } else {
                        g
                    }
                }
            };
            set_meta(&mut new, "generation", json!(gen_now));
        }
        if managed_mode == Managed::Update {
            let mut entries = old.map(managed::read).unwrap_or_default();
            managed::record_update(
                &mut entries,
                old,
                &new,
                &opts.manager,
                &rt.api_version(version),
                sub,
                status_enabled,
            );
            managed::write(&mut new, &entries);
        }
        if let Some(old) = old {
            if new == *old {
                return Ok(Reply {
                    code: 200,
                    body: present(rt, version, old),
                    warnings,
                });
            }
            let terminating = new.pointer("/metadata/deletionTimestamp").is_some();
            let no_finalizers = new
                .pointer("/metadata/finalizers")
                .and_then(Value::as_array)
                .is_none_or(Vec::is_empty);
            if terminating && no_finalizers && rt.plural != "namespaces" {
                if !opts.dry_run {
                    let ns = meta_str(&new, "namespace").unwrap_or_default().to_string();
                    self.put(&rt.group, &rt.plural, new.clone());
                    self.remove_object(rt, &ns, &name, false);
                }
                return Ok(Reply {
                    code: 200,
                    body: present(rt, version, &new),
                    warnings,
                });
            }
        }
        if creating {
            set_meta(&mut new, "uid", json!(ids::uid()));
            set_meta(&mut new, "creationTimestamp", json!(time::now_rfc3339()));
        }
        let code = if creating { 201 } else { 200 };
        if opts.dry_run {
            if creating {
                set_meta(&mut new, "resourceVersion", Value::Null);
            }
            return Ok(Reply {
                code,
                body: present(rt, version, &new),
                warnings,
            });
        }
        let stored = self.put(&rt.group, &rt.plural, new);
        if rt.group == "apiextensions.k8s.io"
            && rt.plural == "customresourcedefinitions"
            && let Ok(crt) = resources::from_crd(&stored)
        {
            self.registry.upsert_custom(crt);
        }
        Ok(Reply {
            code,
            body: present(rt, version, &stored),
            warnings,
        })
    }

    /// DELETE one object.
    pub fn op_delete(
        &mut self,
        rt: &Arc<ResourceType>,
        version: &str,
        ns: &str,
        name: &str,
        opts: &DeleteOpts,
    ) -> Result<Reply, ApiError> {
        let old = self
            .get(&rt.group, &rt.plural, ns, name)
            .cloned()
            .ok_or_else(|| ApiError::not_found(&rt.group, &rt.plural, name))?;
        let uid = meta_str(&old, "uid").unwrap_or_default().to_string();
        if opts.precondition_uid.as_ref().is_some_and(|u| *u != uid)
            || opts
                .precondition_rv
                .as_ref()
                .is_some_and(|r| Some(r.as_str()) != meta_str(&old, "resourceVersion"))
        {
            return Err(ApiError::conflict(&rt.group, &rt.plural, name));
        }
        let has_finalizers = old
            .pointer("/metadata/finalizers")
            .and_then(Value::as_array)
            .is_some_and(|f| !f.is_empty());
        if rt.plural == "namespaces" && rt.group.is_empty() || has_finalizers {
            if old.pointer("/metadata/deletionTimestamp").is_some() {
                return Ok(Reply {
                    code: 200,
                    body: present(rt, version, &old),
                    warnings: vec![],
                });
            }
            let mut new = old.clone();
            set_meta(&mut new, "deletionTimestamp", json!(time::now_rfc3339()));
            if rt.plural == "namespaces"
                && let Some(m) = new.as_object_mut()
            {
                m.insert("status".into(), json!({"phase": "Terminating"}));
            }
            if opts.dry_run {
                return Ok(Reply {
                    code: 200,
                    body: present(rt, version, &new),
                    warnings: vec![],
                });
            }
            let stored = self.put(&rt.group, &rt.plural, new);
            return Ok(Reply {
                code: 200,
                body: present(rt, version, &stored),
                warnings: vec![],
            });
        }
        if !opts.dry_run {
            self.remove_object(rt, ns, name, opts.orphan);
        }
        Ok(Reply {
            code: 200,
            body: status::success(&rt.group, &rt.plural, name, &uid),
            warnings: vec![],
        })
    }

    /// Removes an object now, cascading to owned objects and, for CRDs, to their resources.
    pub fn remove_object(&mut self, rt: &ResourceType, ns: &str, name: &str, orphan: bool) {
        let Some(gone) = self.remove(&rt.group, &rt.plural, ns, name) else {
            return;
        };
        if rt.group == "apiextensions.k8s.io"
            && rt.plural == "customresourcedefinitions"
            && let Ok(crt) = resources::from_crd(&gone)
        {
            let doomed: Vec<(String, String)> = self
                .list(&crt.group, &crt.plural, None)
                .iter()
                .map(|o| {
                    (
                        meta_str(o, "namespace").unwrap_or_default().to_string(),
                        object_name(o),
                    )
                })
                .collect();
            for (ons, oname) in doomed {
                self.remove(&crt.group, &crt.plural, &ons, &oname);
            }
            self.registry.remove_custom(&crt.group, &crt.plural);
        }
        if orphan {
            return;
        }
        let uid = meta_str(&gone, "uid").unwrap_or_default().to_string();
        let dependents: Vec<(String, String, String, String)> = self
            .all_objects()
            .into_iter()
            .filter(|(_, _, o)| {
                o.pointer("/metadata/ownerReferences")
                    .and_then(Value::as_array)
                    .is_some_and(|refs| {
                        refs.iter()
                            .any(|r| r.get("uid").and_then(Value::as_str) == Some(uid.as_str()))
                    })
            })
            .map(|(g, p, o)| {
                (
                    g,
                    p,
                    meta_str(o, "namespace").unwrap_or_default().to_string(),
                    object_name(o),
                )
            })
            .collect();
        for (g, p, dns, dname) in dependents {
            if let Some(drt) = self.registry.by_plural(&g, &p).cloned() {
                self.remove_object(&drt, &dns, &dname, false);
            }
        }
    }

    /// DELETE on a collection.
    pub fn op_delete_collection(
        &mut self,
        rt: &Arc<ResourceType>,
        version: &str,
        ns: Option<&str>,
        q: &ListQuery,
        opts: &DeleteOpts,
    ) -> Result<Reply, ApiError> {
        let targets: Vec<(String, String)> = self
            .list(&rt.group, &rt.plural, ns)
            .into_iter()
            .filter(|o| q.matches(o))
            .map(|o| {
                (
                    meta_str(o, "namespace").unwrap_or_default().to_string(),
                    object_name(o),
                )
            })
            .collect();
        let mut items = Vec::new();
        for (tns, tname) in targets {
            if let Ok(obj) = self.op_get(rt, version, &tns, &tname) {
                self.op_delete(rt, version, &tns, &tname, opts)?;
                items.push(obj);
            }
        }
        Ok(Reply {
            code: 200,
            body: json!({"kind": rt.list_kind, "apiVersion": rt.api_version(version), "metadata": {"resourceVersion": self.rv.to_string()}, "items": items}),
            warnings: vec![],
        })
    }

    /// Completes deletion of a Terminating namespace: removes its contents, then itself.
    pub fn finalize_namespace(&mut self, name: &str) {
        let terminating = self
            .get("", "namespaces", "", name)
            .is_some_and(|n| n.pointer("/metadata/deletionTimestamp").is_some());
        if !terminating {
            return;
        }
        let types: Vec<Arc<ResourceType>> = self
            .registry
            .all()
            .iter()
            .filter(|t| t.namespaced)
            .cloned()
            .collect();
        for t in types {
            let names: Vec<String> = self
                .list(&t.group, &t.plural, Some(name))
                .iter()
                .map(|o| object_name(o))
                .collect();
            for n in names {
                self.remove_object(&t, name, &n, true);
            }
        }
        self.remove("", "namespaces", "", name);
    }
}
