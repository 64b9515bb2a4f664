//! GET and LIST, with `limit`/`continue` paging.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value, json};

use super::{ListQuery, present};
use crate::resources::ResourceType;
use crate::status::ApiError;
use crate::store::{Store, meta_str};

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
}
