//! Turning `k8s` arguments into a validated [`Task`]: which objects, which method, which
//! validation, dry-run and wait settings. No I/O besides reading `src`/`template` files.

use std::time::Duration;

use serde::Deserialize;
use serde_json::Value as Json;
use stackbook_engine::modules::{ModuleContext, args};

use crate::backup_guard::{CA_FILE_VARIABLE, GUARD_VARIABLE, GuardSettings};
use crate::definitions;
use crate::ops::{ApplySettings, DeleteOptions, Validation};
use crate::wait::{WaitCondition, WaitSpec};

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct ServerSideApply {
    #[serde(default, deserialize_with = "args::string_opt")]
    field_manager: Option<String>,
    #[serde(default, deserialize_with = "args::bool_opt")]
    force_conflicts: Option<bool>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct Validate {
    #[serde(default, deserialize_with = "args::bool_opt")]
    fail_on_error: Option<bool>,
    #[serde(default, deserialize_with = "args::bool_opt")]
    strict: Option<bool>,
    #[serde(default, deserialize_with = "args::string_opt")]
    version: Option<String>,
}

/// The module's own arguments (connection parameters are taken out before parsing).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct K8sArgs {
    #[serde(default, deserialize_with = "args::string_opt")]
    state: Option<String>,
    #[serde(default, alias = "resource_definition")]
    definition: Option<Json>,
    #[serde(default, deserialize_with = "args::string_opt")]
    src: Option<String>,
    #[serde(default)]
    template: Option<Json>,
    #[serde(
        default,
        alias = "api",
        alias = "version",
        deserialize_with = "args::string_opt"
    )]
    api_version: Option<String>,
    #[serde(default, deserialize_with = "args::string_opt")]
    kind: Option<String>,
    #[serde(default, deserialize_with = "args::string_opt")]
    name: Option<String>,
    #[serde(default, deserialize_with = "args::string_opt")]
    namespace: Option<String>,
    #[serde(default, deserialize_with = "args::string_list")]
    label_selectors: Vec<String>,
    #[serde(default)]
    delete_options: Option<DeleteOptions>,
    #[serde(default, deserialize_with = "args::string_opt")]
    generate_name: Option<String>,
    #[serde(default, deserialize_with = "args::bool_opt")]
    append_hash: Option<bool>,
    #[serde(default, deserialize_with = "args::bool_opt")]
    force: Option<bool>,
    #[serde(default, deserialize_with = "args::bool_opt")]
    apply: Option<bool>,
    #[serde(default)]
    server_side_apply: Option<ServerSideApply>,
    #[serde(default, deserialize_with = "args::string_list")]
    merge_type: Vec<String>,
    #[serde(default)]
    validate: Option<Validate>,
    #[serde(default, deserialize_with = "args::bool_opt")]
    wait: Option<bool>,
    #[serde(default)]
    wait_condition: Option<WaitCondition>,
    #[serde(default, deserialize_with = "args::int_opt")]
    wait_sleep: Option<i64>,
    #[serde(default, deserialize_with = "args::int_opt")]
    wait_timeout: Option<i64>,
    #[serde(default, deserialize_with = "args::bool_opt")]
    continue_on_error: Option<bool>,
    /// stackbook: `false` skips the backup guard for PGO PostgresClusters on this task.
    #[serde(default, deserialize_with = "args::bool_opt")]
    safety_checks: Option<bool>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum State {
    Present,
    Absent,
    Patched,
}

/// A validated task.
pub(super) struct Task {
    pub(super) state: State,
    pub(super) objects: Vec<Json>,
    /// Objects given by api_version/kind/namespace + label_selectors (absent only).
    pub(super) selection: Option<(String, String, Option<String>, String)>,
    pub(super) namespace: Option<String>,
    pub(super) check_mode: bool,
    pub(super) diff: bool,
    pub(super) method: Method,
    pub(super) settings: ApplySettings,
    pub(super) merge_types: Vec<String>,
    pub(super) delete_options: DeleteOptions,
    pub(super) wait: Option<WaitSpec>,
    pub(super) continue_on_error: bool,
    pub(super) guard: GuardSettings,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Method {
    Apply,
    Replace,
    Create,
}

impl Method {
    pub(super) fn name(self) -> &'static str {
        match self {
            Method::Apply => "apply",
            Method::Replace => "replace",
            Method::Create => "create",
        }
    }
}

impl Task {
    pub(super) fn prepare(context: &ModuleContext<'_>, args: K8sArgs) -> Result<Task, String> {
        let state = match args.state.as_deref().unwrap_or("present") {
            "present" => State::Present,
            "absent" => State::Absent,
            "patched" => State::Patched,
            other => {
                return Err(format!(
                    "value of state must be one of: present, absent, patched, got: {other}"
                ));
            }
        };
        let given = [
            args.definition.is_some(),
            args.src.is_some(),
            args.template.is_some(),
        ]
        .iter()
        .filter(|g| **g)
        .count();
        if given > 1 {
            return Err("parameters are mutually exclusive: definition|src|template".into());
        }
        let mut objects = Vec::new();
        if let Some(definition) = args.definition {
            definitions::push(definition, "", &mut objects).map_err(|e| e.to_string())?;
        } else if let Some(src) = &args.src {
            let path = context.find_source(src, "files");
            let text = std::fs::read_to_string(&path)
                .map_err(|e| format!("Could not find or access '{src}': {e}"))?;
            objects = definitions::parse_documents(&text, &format!(" in {src}"))
                .map_err(|e| e.to_string())?;
        } else if let Some(template) = &args.template {
            let path = match template {
                Json::String(path) => path.clone(),
                Json::Object(map) => map
                    .get("path")
                    .and_then(Json::as_str)
                    .map(str::to_string)
                    .ok_or("template: a mapping needs 'path'")?,
                other => return Err(format!("template must be a path or a mapping, got {other}")),
            };
            let file = context.find_source(&path, "templates");
            let source = std::fs::read_to_string(&file)
                .map_err(|e| format!("Could not find or access '{path}': {e}"))?;
            let rendered = context
                .templar
                .render_text(&source, context.scope)
                .map_err(|e| format!("{path}: {e}"))?;
            objects = definitions::parse_documents(&rendered, &format!(" in template {path}"))
                .map_err(|e| e.to_string())?;
        }
        let mut selection = None;
        if objects.is_empty() {
            let (Some(kind), Some(api_version)) = (
                args.kind.clone(),
                Some(args.api_version.clone().unwrap_or_else(|| "v1".into())),
            ) else {
                return Err(
                    "one of definition, src, template, or kind (with name or label_selectors) is required"
                        .into(),
                );
            };
            match (&args.name, state) {
                (Some(name), _) => objects.push(definitions::stub(
                    &api_version,
                    &kind,
                    name,
                    args.namespace.as_deref(),
                )),
                (None, State::Absent) if !args.label_selectors.is_empty() => {
                    selection = Some((
                        api_version,
                        kind,
                        args.namespace.clone(),
                        args.label_selectors.join(","),
                    ));
                }
                (None, State::Present) if args.generate_name.is_some() => {
                    let mut stub =
                        definitions::stub(&api_version, &kind, "", args.namespace.as_deref());
                    if let Some(meta) = stub.get_mut("metadata").and_then(Json::as_object_mut) {
                        meta.remove("name");
                    }
                    objects.push(stub);
                }
                _ => {
                    return Err(
                        "name (or label_selectors for state=absent) is required with kind".into(),
                    );
                }
            }
        }
        let generate_name = args.generate_name.clone();
        let append_hash = args.append_hash == Some(true);
        for object in &mut objects {
            if let Some(prefix) = &generate_name {
                if let Some(meta) = object.get_mut("metadata").and_then(Json::as_object_mut) {
                    meta.remove("name");
                    meta.insert("generateName".into(), Json::String(prefix.clone()));
                }
            }
            if append_hash && state == State::Present {
                let hash = definitions::content_hash(object);
                if let Some(name) = object
                    .pointer_mut("/metadata/name")
                    .filter(|n| n.as_str().is_some_and(|s| !s.is_empty()))
                {
                    *name = Json::String(format!("{}-{hash}", name.as_str().unwrap_or_default()));
                }
            }
            if let Some(meta) = object.get_mut("metadata").and_then(Json::as_object_mut) {
                for key in [
                    "resourceVersion",
                    "uid",
                    "creationTimestamp",
                    "managedFields",
                    "selfLink",
                ] {
                    meta.remove(key);
                }
            }
        }
        definitions::order(&mut objects, state == State::Absent);
        let method = if objects.iter().any(|o| {
            o.pointer("/metadata/name")
                .and_then(Json::as_str)
                .is_none_or(str::is_empty)
        }) {
            Method::Create
        } else if args.force == Some(true) {
            Method::Replace
        } else {
            Method::Apply
        };
        let _ = args.apply; // apply: true and the default are both server-side apply.
        let ssa = args.server_side_apply.unwrap_or_default();
        let validate = args.validate.unwrap_or_default();
        let _ = (validate.strict, validate.version);
        let validation = if validate.fail_on_error == Some(false) {
            Validation::Warn
        } else {
            Validation::Strict
        };
        let merge_types = if args.merge_type.is_empty() {
            vec!["strategic-merge".to_string(), "merge".to_string()]
        } else {
            args.merge_type
        };
        let timeout = args.wait_timeout.unwrap_or(120).max(0);
        let wait = (args.wait == Some(true)).then(|| WaitSpec {
            condition: args.wait_condition.clone(),
            sleep: Duration::from_secs(args.wait_sleep.unwrap_or(5).max(1) as u64),
            timeout: Duration::from_secs(timeout as u64),
        });
        Ok(Task {
            state,
            objects,
            selection,
            namespace: args.namespace,
            check_mode: context.check_mode,
            diff: context.diff,
            method,
            settings: ApplySettings {
                field_manager: ssa.field_manager.unwrap_or_else(|| "stackbook".into()),
                force_conflicts: ssa.force_conflicts.unwrap_or(false),
                dry_run: context.check_mode,
                validation,
            },
            merge_types,
            delete_options: args.delete_options.unwrap_or_default(),
            wait,
            continue_on_error: args.continue_on_error == Some(true),
            guard: guard_settings(context, args.safety_checks),
        })
    }
}

/// The backup guard runs unless the task (`safety_checks: false`) or the run
/// (`stackbook_backup_guard: false`) turns it off.
fn guard_settings(context: &ModuleContext<'_>, safety_checks: Option<bool>) -> GuardSettings {
    let variable = |name: &str| -> Option<Json> {
        let value = context.scope.resolve(name).ok()??;
        serde_json::to_value(&value).ok()
    };
    let run_enabled = variable(GUARD_VARIABLE)
        .and_then(|v| args::to_bool(&v))
        .unwrap_or(true);
    let ca_file = variable(CA_FILE_VARIABLE)
        .and_then(|v| v.as_str().map(str::to_owned))
        .filter(|s| !s.is_empty());
    GuardSettings {
        enabled: run_enabled && safety_checks != Some(false),
        ca_file,
    }
}
