//! DELETE, deletecollection, cascading removal and namespace finalization.

use std::sync::Arc;

use serde_json::{Value, json};

use super::{DeleteOpts, ListQuery, Reply, object_name, present, set_meta};
use crate::resources::{self, ResourceType};
use crate::status::{self, ApiError};
use crate::store::{Store, meta_str};
use crate::time;

impl Store {
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
