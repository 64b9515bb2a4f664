//! Create, update, patch and server-side apply, all ending in one write path that enforces
//! object semantics (uid, resourceVersion, generation, status scoping, managedFields, schema
//! validation, dry-run, no-op detection).

use std::sync::Arc;

use serde_json::{Value, json};

use super::{
    FieldValidation, Managed, PatchType, Reply, WriteOpts, get_meta, object_name, present,
    set_meta, spec_part, storage_version,
};
use crate::apply::{self, ApplyRequest};
use crate::managed;
use crate::resources::{self, ResourceType};
use crate::schema;
use crate::status::{self, ApiError, Cause};
use crate::store::{Store, meta_str};
use crate::{ids, kinds, patch, time};

impl Store {
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
        if let Some(old) = old {
            causes.extend(crate::validation::validate_update(rt, old, &new));
        }
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
}
